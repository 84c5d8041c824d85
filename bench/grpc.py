"""Benchmark ``grpc``: unary ``GetInvoice`` calls, bare servers vs axiomod's (threads, grpc.aio).

The example's ``Invoices.GetInvoice`` (one invoice read through the example's use case
and Django repository: one ``SELECT`` on SQLite, the protobuf answer built from it),
served by two server subprocesses on loopback at the same time, loaded in turns by a
grpcio client in this process.

* Baseline (``bare``): ``python -m bench.grpc_project.server --chain none``: Django set
  up with the same project, a plain ``grpc.server(ThreadPoolExecutor(N))``, the example's
  ``InvoicesServicer`` added with the generated ``add_InvoicesServicer_to_server``, no
  interceptors. What a service serving these RPCs without axiomod would run.
* Candidate (``axiomod``): ``python -m django axiomod_grpc --port 0 --threads``, the
  server axiomod builds (``axiomod_grpc.build_server()``) for the same project, with its
  full interceptor chain, run as one fused grpcio layer: metrics (``axiomod_metrics`` is
  installed), tracing (axiomod's span interceptor on its provider), errors (the
  domain-error mapping, which is also the call's boundary for Django: what the
  ``request_started``/``request_finished`` receivers do, around each call); no bearer
  auth (``AXIOMOD["oidc"]`` is not set). It also serves the
  health and reflection services and its metrics port (127.0.0.1, scraped once at the
  end), as the example configures it. Tracing exports: ``OTEL_TRACES_EXPORTER=otlp``,
  sample ratio 0.1 (``OTEL_TRACES_SAMPLER_ARG``), default batching (5 s schedule delay,
  512 spans per batch), over OTLP/gRPC to a real receiver on loopback
  (``axiomod.testing.OtlpReceiver``, in this process). Not an exporter to nowhere:
  an OTLP exporter aimed at a closed port fails and retries with back-off (different
  work from production's), the ``console`` exporter writes every span synchronously
  (axiomod pairs it with a ``SimpleSpanProcessor``), and ``none`` samples nothing. With
  a receiver the server encodes and sends the sampled spans as in production; the
  receiver's own work (a collector's, elsewhere in production) is not charged to it.

The ``grpc.aio`` pair, served and loaded in the same rounds (its figures ``grpc.aio.*``):

* Baseline (``aio_bare``): ``python -m bench.grpc_project.server --chain none --asyncio``:
  a plain ``grpc.aio.server`` with ``migration_thread_pool=ThreadPoolExecutor(N)``, as
  ``axiomod_grpc.build_server(asyncio=True)`` makes its own, the same servicer added
  the same way, no interceptors; grpc.aio runs the sync ``GetInvoice`` in that pool.
* Candidate (``aio_axiomod``): ``python -m django axiomod_grpc --port 0 --asyncio``, the
  same chain in its ``grpc.aio`` flavour (the error interceptor runs the sync servicer
  method in the server's own ``migration_thread_pool``, as the baseline's grpc.aio
  does), with a receiver and a metrics port of its own.

Both pairs: project ``bench.grpc_project.settings`` (the example's settings with the gRPC
host, ``max_workers`` and logging pinned: same apps, so the per-query database metrics
run on both sides), the same SQLite file (a fresh temporary one, migrated, with one
invoice created through the example's use case before the servers start), the same
worker thread count (``AXIOMOD["grpc"]["max_workers"]``, 10 by default), loopback,
insecure channels, ``AXIOMOD_DRAIN_SECONDS=0``. SQLite rather than the shared
PostgreSQL: the query's cost is then inside the server processes, whose CPU is measured,
and no other session's load on a database server enters the figures.

Load: one channel per server (one HTTP/2 connection). Each round has two phases, and in
each phase every server gets one burst of ``--number`` calls in turn, the order rotating
every round (each side goes first equally often):

* ``sequential``: one call in flight, each call timed (latency percentiles in ``extra``);
* ``concurrent``: ``--concurrency`` calls in flight (default 8, below the 10 worker
  threads), kept full with ``.future()`` calls: throughput under load.

A warm-up round is run and discarded, then the benchmark waits for the candidate's batch
processor to export the warm-up's spans (schedule delay + 1 s). Server CPU is read from
``/proc/<pid>/task/*/schedstat`` (:func:`bench.harness.cpu_ns_of`) around each burst,
and for all servers at once at the start of the measured rounds and after a final wait
for the last export: this total also holds the work done between bursts (the batch
export thread encoding and sending spans, gRPC's and the exporter's idle threads), which
burst readings miss. The client's CPU (this process) per call is in ``extra``: a client
that cost more than the server per call would make calls/s the client's figure.

Figures (ratio = candidate / baseline; for calls/s below 1 means fewer calls per second,
``overhead_pct`` = 100 x (1 - ratio); for CPU above 1 means more CPU per call):

* ``grpc.calls_per_s.sequential`` / ``grpc.calls_per_s.concurrent``: median over rounds
  of each burst's calls / wall seconds; ``extra`` has the median of the per-round ratios
  (paired) and the target: overhead < 10 %.
* ``grpc.server_cpu.sequential`` / ``grpc.server_cpu.concurrent``: median over rounds of
  the server's CPU during its burst / calls (``s/call``).
* ``grpc.server_cpu.total``: the server's CPU from the start of the measured rounds to
  the end of the final export wait / all measured calls; the CPU target:
  ratio - 1 < 10 %.
* ``grpc.aio.calls_per_s.*``, ``grpc.aio.server_cpu.*``: the same five for the
  ``grpc.aio`` pair.

Checks: every server answers ``GetInvoice(id=1)`` with the same invoice before the
timing; every call succeeds (an error stops the run); each candidate's receiver got a
``GetInvoice`` span for about 10 % of its calls (within 5 standard deviations); each
candidate's ``grpc_requests_total{method="GetInvoice",status="OK"}`` equals the calls
it was sent. The servers are stopped (SIGTERM, then SIGKILL of their process groups)
whatever happens, Ctrl-C and SIGTERM included, and die with this process.

Options: ``--number N`` calls per burst (default 300; 40 with ``--quick``), ``--rounds R``
(default 40; 2 with ``--quick``). ``--quick`` also shortens the batch schedule delay to
0.5 s so that the export waits stay short (quick results are not results anyway). After
``--``:

* ``--concurrency C`` (calls in flight in the concurrent phase), ``--workers N``
  (``max_workers`` of every server).
* ``--probes [NAMES]``: more servers, the baseline's plain server behind parts of
  axiomod's chain taken from ``axiomod_grpc.interceptor_chain()`` (see
  ``bench/grpc_project/server.py``): ``errors``, ``errors_metrics``, ``errors_tracing``
  and ``chain`` (all three, to compare with ``manage.py axiomod_grpc``, which adds
  health, reflection, server options and the metrics port) when given alone; also
  ``errors_filter`` and ``errors_startswith`` (the error interceptor behind an
  interceptor that only evaluates axiomod's per-call tracing decision, or only a
  ``str.startswith`` test of the same names: the filter's own cost). Each
  tracing probe exports to a receiver of its own. Figures ``grpc.probe.<name>.*``
  against the same baseline, for attributing the overhead; a round takes longer with
  each server: pass a smaller ``--rounds``.
* ``--in-process``: instead of the servers, the chain's own cost per call in this
  process, without sockets or threads (figures ``grpc.in_process.*``). The example's
  ``GetInvoice`` handler is called as grpcio's synchronous server calls it: every
  interceptor's ``intercept_service`` per call (grpcio runs the pipeline for each call),
  then the request deserialised, the behaviour run with a stand-in servicer context that
  answers what the interceptors ask (the metadata, call details and peer captured from
  one real call to a server in this process; no code set, so the call ends OK) and the
  answer serialised. Variants taking turns (:func:`bench.harness.interleave`, default
  20 rounds x 1000 calls): no interceptor, ``errors``, ``errors+metrics``,
  ``errors+tracing``, the full chain as one fused layer (tracing at 0.1, exporting over
  OTLP to a receiver in this process) and the same parts as one grpcio layer each
  (``full_chain_unfused``, the chain before #22); "added" in ``extra`` is the median
  over rounds of (variant - bare). Several parts are fused as ``build_server()`` fuses
  them. Also the per-call decision axiomod's tracing takes before any span
  (``axiomod_grpc.tracing._Decision()``: probe names, a caller's trace context, the root
  sampling decision) against a bare ``str.startswith`` test of the probe names, on the
  captured call details.

``extra`` of the main figures records which of the gRPC files under test differ from
the commit named in the environment line (``git status``; the servers load the working
tree).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axiomod.testing import Samples, free_port, log_tail, spawn, stop_group
from bench.harness import REPO_ROOT, Figure, Options, benchmark, cpu_ns_of
from bench.harness import note as say
from bench.support import migrate, seed_invoices, uncommitted

SETTINGS = "bench.grpc_project.settings"
SERVICE = "axiomod.example.invoices.v1.Invoices"
METHOD = f"/{SERVICE}/GetInvoice"
SAMPLE_RATIO = 0.1
TARGET_OVERHEAD_PCT = 10.0
#: The SDK's default OTEL_BSP_SCHEDULE_DELAY, which axiomod keeps.
SCHEDULE_DELAY_MS = 5000
CALL_TIMEOUT = 10.0
START_TIMEOUT = 60.0
BASELINE = "bare"
CANDIDATE = "axiomod"
#: The grpc.aio pair.
AIO_BASELINE = "aio_bare"
AIO_CANDIDATE = "aio_axiomod"
#: Probe name -> ``--chain`` of bench.grpc_project.server.
PROBES = {
    "errors": "errors",
    "errors_metrics": "errors,metrics",
    "errors_tracing": "errors,tracing",
    "chain": "errors,metrics,tracing",
    "errors_filter": "errors,filter",
    "errors_startswith": "errors,startswith",
}
#: What ``-- --probes`` alone runs.
DEFAULT_PROBES = ("errors", "errors_metrics", "errors_tracing", "chain")
#: Variables that would change what a server connects to, exports or reads.
_FOREIGN_PREFIXES = ("OTEL_", "OIDC_", "AXIOMOD_", "DJANGO_")
_FOREIGN = (
    "DATABASE_URL",
    "PROMETHEUS_MULTIPROC_DIR",
    "GRPC_PORT",
    "LOG_LEVEL",
    "REDIS_CACHE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
)
_READY = re.compile(r"serving gRPC .*?on 127\.0\.0\.1:(\d+)")


# --------------------------------------------------------------------------- servers


@dataclass
class _Server:
    """One gRPC server subprocess in its own process group."""

    label: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    receiver: Any = None  # its OtlpReceiver when it traces
    metrics_port: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    port: int = 0

    def start(self) -> None:
        self.process = spawn(self.command, self.env, self.log_path, cwd=REPO_ROOT)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    def wait_ready(self, deadline: float) -> None:
        assert self.process is not None
        while True:
            found = _READY.search(self.log_tail())
            if found:
                self.port = int(found.group(1))
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                status = self.process.returncode
                how = "in time" if status is None else f"(exit status {status})"
                raise RuntimeError(
                    f"the {self.label} server did not start {how}:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"the {self.label} server exited ({self.process.returncode}):\n{self.log_tail()}"
            )

    def stop(self) -> None:
        stop_group(self.process, timeout=10)


def _clean_env(database: str, workers: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _FOREIGN and not k.startswith(_FOREIGN_PREFIXES)
    }
    env.update(
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO_ROOT),
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=database,
        AXIOMOD_BENCH_GRPC_WORKERS=str(workers),
        AXIOMOD_DRAIN_SECONDS="0",
    )
    return env


def _tracing_env(receiver: Any, delay_ms: int) -> dict[str, str]:
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpc_endpoint,
        "OTEL_TRACES_SAMPLER_ARG": str(SAMPLE_RATIO),
        "OTEL_BSP_SCHEDULE_DELAY": str(delay_ms),
    }


def _scrape_count(port: int) -> float | None:
    """``grpc_requests_total`` of GetInvoice/OK on the candidate's metrics port."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if (
            line.startswith("grpc_requests_total{")
            and 'method="GetInvoice"' in line
            and 'status="OK"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return None


#: The code under test (``git status`` of these says whether the commit was measured).
_UNDER_TEST = (
    "axiomod_grpc",
    "axiomod_auth/grpc.py",
    "axiomod_health/grpc.py",
    "axiomod/tracing",
    "axiomod_metrics/grpc.py",
    "example",
)


def _versions() -> dict[str, str | None]:
    import importlib.metadata

    found: dict[str, str | None] = {}
    for name in ("grpcio", "protobuf", "opentelemetry-sdk", "opentelemetry-instrumentation-grpc"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def _share_bounds(ratio: float, n: int) -> tuple[float, float]:
    """Sampled counts out of ``n`` accepted for ``ratio`` (5 standard deviations)."""
    spread = 5 * math.sqrt(ratio * (1 - ratio) * n)
    return max(1.0, ratio * n - spread), ratio * n + spread


# --------------------------------------------------------------------------- client


def _sequential(call: Any, request: Any, number: int) -> list[float]:
    """``number`` calls one after the other, each timed: seconds per call."""
    latencies = [0.0] * number
    clock = time.perf_counter
    for index in range(number):
        started = clock()
        call(request, timeout=CALL_TIMEOUT)
        latencies[index] = clock() - started
    return latencies


def _concurrent(future: Any, request: Any, number: int, concurrency: int) -> None:
    """``number`` calls with ``concurrency`` in flight (waiting on the oldest each time)."""
    in_flight = collections.deque(
        future(request, timeout=CALL_TIMEOUT) for _ in range(min(concurrency, number))
    )
    for _ in range(number - len(in_flight)):
        in_flight.popleft().result()
        in_flight.append(future(request, timeout=CALL_TIMEOUT))
    while in_flight:
        in_flight.popleft().result()


def _measure(
    servers: dict[str, _Server],
    stubs: dict[str, Any],
    request: Any,
    *,
    number: int,
    rounds: int,
    concurrency: int,
    flush_wait: float,
) -> tuple[dict[str, Samples], dict[str, int], dict[str, int], float]:
    """The interleaved rounds; returns samples, CPU ns at start and end, measured seconds."""
    labels = list(servers)
    samples = {label: Samples() for label in labels}
    warmup = 1
    start_cpu: dict[str, int] = {}
    started = 0.0
    for index in range(warmup + rounds):
        if index == warmup:
            time.sleep(flush_wait)  # the warm-up's spans are not charged to round 1
            start_cpu = {label: cpu_ns_of(s.pid) for label, s in servers.items()}
            started = time.monotonic()
        shift = (index - warmup) % len(labels)
        order = labels[shift:] + labels[:shift]
        for mode in ("sequential", "concurrent"):
            for label in order:
                stub, server, side = stubs[label], servers[label], samples[label]
                cpu_before = cpu_ns_of(server.pid)
                client_before = time.process_time()
                wall_before = time.perf_counter()
                if mode == "sequential":
                    latencies = _sequential(stub.GetInvoice, request, number)
                else:
                    _concurrent(stub.GetInvoice.future, request, number, concurrency)
                wall = time.perf_counter() - wall_before
                client = time.process_time() - client_before
                cpu = (cpu_ns_of(server.pid) - cpu_before) / 1e9
                side.count("calls", number)  # warm-up included: what the server saw
                if index >= warmup:
                    side.count("measured_calls", number)
                    side.add(f"calls_per_s.{mode}", number / wall)
                    side.add(f"cpu.{mode}", cpu / number)
                    side.add(f"client_cpu.{mode}", client / number)
                    if mode == "sequential":
                        side.add("latency", latencies)
        for server in servers.values():
            server.check_alive()
        if index >= warmup and (index - warmup + 1) % 10 == 0:
            say(
                f"grpc: round {index - warmup + 1}/{rounds}: "
                + ", ".join(
                    f"{label} {samples[label].last('calls_per_s.sequential'):.0f}/"
                    f"{samples[label].last('calls_per_s.concurrent'):.0f} calls/s"
                    for label in labels
                )
            )
    time.sleep(flush_wait)  # the last spans are exported and charged
    end_cpu = {label: cpu_ns_of(s.pid) for label, s in servers.items()}
    return samples, start_cpu, end_cpu, time.monotonic() - started


# --------------------------------------------------------------------------- figures


def _paired(base: list[float], cand: list[float]) -> float:
    return statistics.median(c / b for b, c in zip(base, cand, strict=True))


def _figures(
    prefix: str,
    base: Samples,
    cand: Samples,
    names: tuple[str, str],
    totals: dict[str, float],
    common: dict[str, object],
) -> Iterator[Figure]:
    for mode in ("sequential", "concurrent"):
        b, c = base.values(f"calls_per_s.{mode}"), cand.values(f"calls_per_s.{mode}")
        ratio = statistics.median(c) / statistics.median(b)
        extra: dict[str, object] = {
            "stat": "median over rounds of calls / wall seconds of a burst",
            "in_flight": 1 if mode == "sequential" else common["concurrency"],
            "overhead_pct": round(100 * (1 - ratio), 2),
            "ratio_paired_median": _paired(b, c),
            "target_overhead_pct_max": TARGET_OVERHEAD_PCT,
            "target_met": 100 * (1 - ratio) < TARGET_OVERHEAD_PCT,
            "baseline_rounds": [round(v) for v in b],
            "candidate_rounds": [round(v) for v in c],
            "baseline_client_cpu_per_call": base.median(f"client_cpu.{mode}"),
            "candidate_client_cpu_per_call": cand.median(f"client_cpu.{mode}"),
        }
        if mode == "sequential":
            for side, samples in (("baseline", base), ("candidate", cand)):
                extra[f"{side}_latency_p50"] = samples.percentile("latency", 50)
                extra[f"{side}_latency_p99"] = samples.percentile("latency", 99)
        extra.update(common)
        yield Figure(
            f"{prefix}.calls_per_s.{mode}",
            statistics.median(b),
            statistics.median(c),
            "calls/s",
            baseline_name=names[0],
            candidate_name=names[1],
            extra=extra,
        )
    for mode in ("sequential", "concurrent"):
        b, c = base.values(f"cpu.{mode}"), cand.values(f"cpu.{mode}")
        yield Figure(
            f"{prefix}.server_cpu.{mode}",
            statistics.median(b),
            statistics.median(c),
            "s/call",
            baseline_name=f"{names[0]} (server CPU during its bursts)",
            candidate_name=f"{names[1]} (server CPU during its bursts)",
            extra={
                "stat": "median over rounds of server CPU during a burst / calls",
                "ratio_paired_median": _paired(b, c),
                "added_us": round(1e6 * (statistics.median(c) - statistics.median(b)), 1),
                "baseline_rounds_us": [round(v * 1e6, 1) for v in b],
                "candidate_rounds_us": [round(v * 1e6, 1) for v in c],
                **common,
            },
        )
    ratio = totals["candidate"] / totals["baseline"]
    yield Figure(
        f"{prefix}.server_cpu.total",
        totals["baseline"],
        totals["candidate"],
        "s/call",
        baseline_name=f"{names[0]} (all server CPU / calls)",
        candidate_name=f"{names[1]} (all server CPU / calls)",
        extra={
            "stat": "server CPU from the first measured round to the end of the final "
            "export wait / measured calls (both phases)",
            "overhead_pct": round(100 * (ratio - 1), 2),
            "added_us": round(1e6 * (totals["candidate"] - totals["baseline"]), 1),
            "target_overhead_pct_max": TARGET_OVERHEAD_PCT,
            "target_met": 100 * (ratio - 1) < TARGET_OVERHEAD_PCT,
            **common,
        },
    )


# --------------------------------------------------------------------------- in-process


class _Recorder:
    """Stands in for a server while ``add_InvoicesServicer_to_server`` runs: keeps handlers."""

    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass  # grpcio >= 1.62 generated code also calls add_registered_method_handlers

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.handlers.update(handlers)


def _captured_call(servicer: Any, request: Any) -> tuple[Any, str]:
    """(handler call details, peer) of one real GetInvoice call from grpcio's client.

    A real server in this process with an interceptor that keeps what grpcio hands it:
    the in-process loop replays exactly that (its type, method name and metadata).
    """
    from concurrent import futures

    import grpc

    from example.invoices.delivery.grpc import invoices_pb2_grpc

    seen: dict[str, Any] = {}

    class Capture(grpc.ServerInterceptor):
        def intercept_service(self, continuation: Any, details: Any) -> Any:
            seen["details"] = details
            return continuation(details)

    class Peer(type(servicer)):  # type: ignore[misc]
        def GetInvoice(self, request: Any, context: Any) -> Any:  # noqa: N802
            seen["peer"] = context.peer()
            return super().GetInvoice(request, context)

    server = grpc.server(futures.ThreadPoolExecutor(1), interceptors=[Capture()])
    invoices_pb2_grpc.add_InvoicesServicer_to_server(Peer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            invoices_pb2_grpc.InvoicesStub(channel).GetInvoice(request, timeout=CALL_TIMEOUT)
    finally:
        server.stop(None)
    return seen["details"], seen["peer"]


class _Context:
    """The servicer context of a successful unary call, as the interceptors use it."""

    __slots__ = ("_metadata", "_peer")

    def __init__(self, metadata: Any, peer: str) -> None:
        self._metadata, self._peer = metadata, peer

    def invocation_metadata(self) -> Any:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    def code(self) -> None:
        return None  # nothing set: the call ends OK

    def set_code(self, code: Any) -> None:
        raise AssertionError(f"the call failed: {code}")

    def set_details(self, details: str) -> None:
        pass

    def abort(self, code: Any, details: str) -> None:
        raise AssertionError(f"the call was aborted: {code} {details}")


def _kind(interceptor: object) -> str:
    from bench.grpc_project.server import _kind as kind

    return kind(interceptor)


def _in_process(options: Options) -> Iterator[Figure]:
    """The chain's own cost per call: grpcio's dispatch and the servicer, without sockets."""
    from bench.harness import interleave

    number, rounds = options.sizes(number=1000, rounds=20, quick_number=100, quick_rounds=3)
    from axiomod.testing.otlp import OtlpReceiver

    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-grpc-"))
    receiver = OtlpReceiver().start()
    provider_shut = False
    try:
        env = _clean_env(f"sqlite:///{workdir / 'bench.sqlite3'}", 10)
        migrate(env)
        seed_invoices(env, 1)
        for name in list(os.environ):
            if name in _FOREIGN or name.startswith(_FOREIGN_PREFIXES):
                del os.environ[name]
        os.environ.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            DATABASE_URL=env["DATABASE_URL"],
            **_tracing_env(receiver, SCHEDULE_DELAY_MS),
        )
        import django

        django.setup()
        from axiomod import tracing
        from axiomod_grpc import interceptor_chain
        from axiomod_grpc.tracing import _Decision
        from axiomod_grpc.wrapping import FusedInterceptor
        from example.invoices.delivery.grpc import invoices_pb2, invoices_pb2_grpc
        from example.invoices.delivery.grpc.servicer import InvoicesServicer

        tracing.configure()
        servicer = InvoicesServicer()
        request = invoices_pb2.GetInvoiceRequest(id=1)
        details, peer = _captured_call(servicer, request)
        recorder = _Recorder()
        invoices_pb2_grpc.add_InvoicesServicer_to_server(servicer, recorder)
        handler = recorder.handlers["GetInvoice"]
        payload = request.SerializeToString()
        chain = interceptor_chain(fused=False)

        def served(parts: tuple[str, ...], fused: bool = True) -> Any:
            """One call as grpcio's sync server makes it: interceptors, then the handler.

            Several parts run as one fused layer, as ``build_server()`` runs them, or
            (``fused=False``) one grpcio layer each, as before #22.
            """
            interceptors = [i for i in chain if _kind(i) in parts]
            if {_kind(i) for i in interceptors} != set(parts):
                raise RuntimeError(f"{parts}: the chain has {[_kind(i) for i in chain]}")
            if fused and len(interceptors) > 1:
                interceptors = [FusedInterceptor(interceptors)]

            def continuation_at(index: int) -> Any:
                if index == len(interceptors):
                    return lambda call_details: handler
                following = continuation_at(index + 1)
                return lambda call_details: interceptors[index].intercept_service(
                    following, call_details
                )

            find = continuation_at(0)

            def call() -> bytes:
                found = find(details)
                answer = found.unary_unary(
                    found.request_deserializer(payload), _Context(details.invocation_metadata, peer)
                )
                return found.response_serializer(answer)

            if call() != handler.response_serializer(servicer.GetInvoice(request, None)):
                raise RuntimeError(f"{parts}: a different answer")
            return call

        variants = {
            "bare": served(()),
            "errors": served(("errors",)),
            "errors+metrics": served(("errors", "metrics")),
            "errors+tracing": served(("errors", "tracing")),
            "full chain": served(("metrics", "tracing", "errors")),
            "full chain unfused": served(("metrics", "tracing", "errors"), fused=False),
        }
        probe_filter = _Decision()
        plain_filter = ("/grpc.health.v1.Health/", "/grpc.reflection.")
        say(f"grpc: in-process, {rounds} rounds x {number} calls per variant")
        timings = interleave(variants, number=number, rounds=rounds)
        filters = interleave(
            {
                "axiomod _Decision()": lambda: probe_filter(details),
                "str.startswith": lambda: not details.method.startswith(plain_filter),
            },
            number=number * 20,
            rounds=rounds,
        )
        tracing.shutdown()
        provider_shut = True
    finally:
        if not provider_shut:
            with contextlib.suppress(Exception):
                from axiomod import tracing

                tracing.shutdown()
        receiver.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    bare = timings["bare"]
    for label in ("errors", "errors+metrics", "errors+tracing", "full chain", "full chain unfused"):
        added = statistics.median(
            v - b for v, b in zip(timings[label].per_call, bare.per_call, strict=True)
        )
        yield Figure.from_timings(
            f"grpc.in_process.{label.replace('+', '_').replace(' ', '_')}",
            bare,
            timings[label],
            extra={"added_us": round(added * 1e6, 1), "sample_ratio": SAMPLE_RATIO},
        )
    yield Figure.from_timings(
        "grpc.in_process.call_decision",
        filters["str.startswith"],
        filters["axiomod _Decision()"],
        extra={"what": "axiomod's tracing decision per call, before any span"},
    )


# --------------------------------------------------------------------------- entry point


@benchmark("grpc")
def run(options: Options) -> Iterator[Figure]:
    """Unary GetInvoice calls/s and server CPU: plain grpc.server vs manage.py axiomod_grpc."""
    parser = argparse.ArgumentParser(prog="bench grpc")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument(
        "--probes",
        nargs="?",
        const=",".join(DEFAULT_PROBES),
        default="",
        help=f"comma-separated, of: {', '.join(PROBES)} (alone: {', '.join(DEFAULT_PROBES)})",
    )
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args(list(options.extra))
    if args.concurrency < 1 or args.workers < 1:
        parser.error("--concurrency and --workers must be >= 1")
    probes = [name for name in args.probes.split(",") if name]
    unknown = sorted(set(probes) - set(PROBES))
    if unknown:
        parser.error(f"--probes: unknown {unknown}; known: {list(PROBES)}")
    number, rounds = options.sizes(number=300, rounds=40, quick_number=40, quick_rounds=2)
    delay_ms = 500 if options.quick else SCHEDULE_DELAY_MS
    flush_wait = delay_ms / 1000 + 1.0

    if args.in_process:
        yield from _in_process(options)
        return
    quieted = "GRPC_VERBOSITY" not in os.environ and "grpc" not in sys.modules
    if quieted:
        # Starting a server forks this process while the receivers' gRPC threads run;
        # gRPC core then logs an INFO line per fork ("skipping fork() handlers").
        os.environ["GRPC_VERBOSITY"] = "ERROR"
    import grpc

    from axiomod.testing.otlp import OtlpReceiver
    from example.invoices.delivery.grpc import invoices_pb2, invoices_pb2_grpc

    uncommitted_files = uncommitted(*_UNDER_TEST)  # read before the servers load the code
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-grpc-"))
    database = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = _clean_env(database, args.workers)
    if quieted:
        env.pop("GRPC_VERBOSITY")  # the servers log as they would without the benchmark
    servers: dict[str, _Server] = {}
    channels: list[Any] = []
    receivers: list[Any] = []

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous_sigterm = signal.signal(signal.SIGTERM, terminated)
    keep_logs = False
    try:
        migrate(env)
        seed_invoices(env, 1)

        def traced() -> tuple[Any, dict[str, str]]:
            """A receiver of its own for a tracing server, and the server's OTEL_* env."""
            receiver = OtlpReceiver().start()
            receivers.append(receiver)
            return receiver, _tracing_env(receiver, delay_ms)

        server_module = [sys.executable, "-m", "bench.grpc_project.server", "--chain"]
        servers[BASELINE] = _Server(
            BASELINE, [*server_module, "none"], dict(env), workdir / "bare.log"
        )
        servers[AIO_BASELINE] = _Server(
            AIO_BASELINE, [*server_module, "none", "--asyncio"], dict(env), workdir / "aio_bare.log"
        )
        for label, kind in ((CANDIDATE, "--threads"), (AIO_CANDIDATE, "--asyncio")):
            receiver, tracing_env = traced()
            metrics_port = free_port()
            servers[label] = _Server(
                label,
                [sys.executable, "-m", "django", "axiomod_grpc", "--port", "0", kind],
                {**env, **tracing_env, "AXIOMOD_BENCH_GRPC_METRICS_PORT": str(metrics_port)},
                workdir / f"{label}.log",
                receiver=receiver,
                metrics_port=metrics_port,
            )
        for name in probes:
            chain = PROBES[name]
            probe_env = dict(env)
            probe_receiver = None
            if "tracing" in chain:
                probe_receiver, tracing_env = traced()
                probe_env.update(tracing_env)
            servers[name] = _Server(
                name, [*server_module, chain], probe_env, workdir / f"{name}.log", probe_receiver
            )
        for server in servers.values():
            server.start()
        deadline = time.monotonic() + START_TIMEOUT
        for server in servers.values():
            server.wait_ready(deadline)
        say(
            "grpc: servers up: "
            + ", ".join(f"{s.label} pid {s.pid} :{s.port}" for s in servers.values())
            + f" (logs in {workdir})"
        )

        request = invoices_pb2.GetInvoiceRequest(id=1)
        stubs: dict[str, Any] = {}
        answers = {}
        for label, server in servers.items():
            channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
            channels.append(channel)
            stubs[label] = invoices_pb2_grpc.InvoicesStub(channel)
            answers[label] = stubs[label].GetInvoice(request, timeout=CALL_TIMEOUT)
        if len({a.SerializeToString() for a in answers.values()}) != 1 or answers[BASELINE].id != 1:
            raise RuntimeError(f"the servers answer GetInvoice(id=1) differently: {answers}")

        say(
            f"grpc: {len(servers)} servers x {rounds} rounds (+1 warm-up) x {number} calls per "
            f"burst, sequential and {args.concurrency} in flight"
        )
        samples, start_cpu, end_cpu, elapsed = _measure(
            servers,
            stubs,
            request,
            number=number,
            rounds=rounds,
            concurrency=args.concurrency,
            flush_wait=flush_wait,
        )

        # Checks: every call counted by the candidates' metrics, ~10 % of them traced.
        counts: dict[str, float | None] = {}
        for label in (CANDIDATE, AIO_CANDIDATE):
            port = servers[label].metrics_port
            assert port is not None
            counts[label] = counted = _scrape_count(port)
            sent = samples[label].counts["calls"] + 1  # + the answer check
            if counted != sent:
                raise RuntimeError(
                    f"the {label} server's grpc_requests_total for GetInvoice/OK is "
                    f"{counted}, {sent} calls were sent to it"
                )
        spans: dict[str, int] = {}
        for label, server in servers.items():
            if server.receiver is None:
                continue
            got = server.receiver.wait_for(lambda s: s.name == METHOD, timeout=0)
            sent = samples[label].counts["calls"] + 1
            low, high = _share_bounds(SAMPLE_RATIO, sent)
            if not low <= len(got) <= high:
                raise RuntimeError(
                    f"the {label} server's receiver got {len(got)} {METHOD} spans for {sent} "
                    f"calls; expected {low:.0f}..{high:.0f}"
                )
            spans[label] = len(got)
        for server in servers.values():
            server.check_alive()
    except Exception:
        keep_logs = True  # not on Ctrl-C
        raise
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        for server in servers.values():
            server.stop()
        for channel in channels:
            channel.close()
        for receiver in receivers:
            receiver.stop()
        if keep_logs:
            say(f"grpc: the servers' logs are kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    say(
        "grpc: spans received: "
        + ", ".join(
            f"{label} {n}/{samples[label].counts['calls'] + 1}" for label, n in spans.items()
        )
        + "; candidates' grpc_requests_total: "
        + ", ".join(f"{label} {n:.0f}" for label, n in counts.items())
    )
    totals = {
        label: (end_cpu[label] - start_cpu[label]) / 1e9 / samples[label].counts["measured_calls"]
        for label in servers
    }
    common: dict[str, object] = {
        "number": number,
        "rounds": rounds,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "database": "sqlite (1 invoice)",
        "sample_ratio": SAMPLE_RATIO,
        "bsp_schedule_delay_ms": delay_ms,
        "seconds_measuring": round(elapsed, 1),
    }
    base = samples[BASELINE]
    yield from _figures(
        "grpc",
        base,
        samples[CANDIDATE],
        (
            "plain grpc.server, no interceptors",
            "manage.py axiomod_grpc (metrics, tracing 0.1, errors)",
        ),
        {"baseline": totals[BASELINE], "candidate": totals[CANDIDATE]},
        {
            **common,
            "spans_received": spans[CANDIDATE],
            "grpc_requests_total": counts[CANDIDATE],
            "uncommitted": uncommitted_files,
            "versions": _versions(),
        },
    )
    yield from _figures(
        "grpc.aio",
        samples[AIO_BASELINE],
        samples[AIO_CANDIDATE],
        (
            "plain grpc.aio.server (migration_thread_pool of max_workers), no interceptors",
            "manage.py axiomod_grpc --asyncio (metrics, tracing 0.1, errors)",
        ),
        {"baseline": totals[AIO_BASELINE], "candidate": totals[AIO_CANDIDATE]},
        {
            **common,
            "spans_received": spans[AIO_CANDIDATE],
            "grpc_requests_total": counts[AIO_CANDIDATE],
            "uncommitted": uncommitted_files,
            "versions": _versions(),
        },
    )
    for name in probes:
        yield from _figures(
            f"grpc.probe.{name}",
            base,
            samples[name],
            ("plain grpc.server, no interceptors", f"plain grpc.server + {PROBES[name]}"),
            {"baseline": totals[BASELINE], "candidate": totals[name]},
            {**common, "probe_chain": PROBES[name]},
        )

    for kind, (baseline, candidate) in (
        ("grpc.server", (BASELINE, CANDIDATE)),
        ("grpc.aio", (AIO_BASELINE, AIO_CANDIDATE)),
    ):
        _verdict(kind, samples[baseline], samples[candidate], totals[baseline], totals[candidate])


def _verdict(kind: str, base: Samples, cand: Samples, base_cpu: float, cand_cpu: float) -> None:
    """One line on stderr: a pair's overheads against the target."""

    def overhead(mode: str) -> float:
        c, b = cand.values(f"calls_per_s.{mode}"), base.values(f"calls_per_s.{mode}")
        return 100 * (1 - statistics.median(c) / statistics.median(b))

    cpu_overhead = 100 * (cand_cpu / base_cpu - 1)
    verdict = {
        name: "met" if value < TARGET_OVERHEAD_PCT else "missed"
        for name, value in (
            ("sequential", overhead("sequential")),
            ("concurrent", overhead("concurrent")),
            ("cpu", cpu_overhead),
        )
    }
    say(
        f"grpc: {kind} overhead (target < {TARGET_OVERHEAD_PCT:.0f} %): calls/s sequential "
        f"{overhead('sequential'):.1f} % ({verdict['sequential']}), concurrent "
        f"{overhead('concurrent'):.1f} % ({verdict['concurrent']}); server CPU per call "
        f"{base_cpu * 1e6:.0f} -> {cand_cpu * 1e6:.0f} µs, "
        f"+{cpu_overhead:.1f} % ({verdict['cpu']})"
    )
