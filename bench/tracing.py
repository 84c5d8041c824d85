"""Benchmark ``tracing``: what a span per HTTP request costs, in-process and under gunicorn.

Two parts, every variant of a part measured in the same run, taking turns:

1. In-process cost per request (``tracing.request.*``, ``tracing.added.*``): a WSGI call
   loop on a prepared environ against the trivial ``/ping`` view of
   ``bench.metrics_project``, variants taking turns (:func:`bench.harness.interleave`):

   * ``bare``: no tracing middleware at all (what a service without tracing runs);
   * ``axiomod 0``, ``axiomod 0.1``, ``axiomod 1``: axiomod's ``TracingMiddleware`` with
     ``sample_ratio`` 0.0, 0.1 and 1.0;
   * ``otel-django 0.1``, ``otel-django 1``: opentelemetry-instrumentation-django's
     middleware (the anchor: what a team would install instead);
   * ``sdk floor``: a bare SDK ``tracer.start_as_current_span("GET", kind=SERVER)`` with
     ``ParentBased(ALWAYS_OFF)`` (the sampler axiomod builds for ratio 0) and no parent,
     i.e. an unsampled request, compiled into a hot loop (:class:`bench.harness.Stmt`);
   * ``hand-written 0``: the same ``start_as_current_span`` made from a five-line
     middleware inside a request, for scale (the hot loop runs with warm caches).

   Every tracing variant has a provider of its own, built by axiomod's
   ``build_provider()`` for its ratio (the ``TracerProvider``, resource and
   ``ParentBased`` sampler production uses) with a ``BatchSpanProcessor`` at the SDK's
   default batching in front of an exporter that counts the spans and drops them: the
   processor's queue and its export thread cost what they cost in production, the
   network and protobuf encoding are left to part 2. axiomod's middleware asks
   ``axiomod.tracing.tracer()`` for this process's tracer on every request, so its
   three variants share one middleware class and each one's untimed per-round set-up
   hook installs its provider as the process's (``_state`` of ``axiomod.tracing.setup``,
   what ``configure()`` would install, minus shutting the others down): the timed path
   is the production path, ``tracer()`` call included. The anchor's middleware reads its
   tracer from the class attribute ``_DjangoMiddleware._tracer`` that
   ``DjangoInstrumentor().instrument()`` sets; the benchmark calls ``instrument()`` once
   (so the meter, histograms, excluded URLs and semantic-convention mode are what a user
   gets: default semantic conventions, no OpenTelemetry metrics SDK, i.e. the global
   no-op meter), then ``uninstrument()`` (which only takes the middleware out of
   ``settings.MIDDLEWARE``) and serves each ratio through a subclass whose ``_tracer``
   comes from that ratio's provider, exactly as ``instrument(tracer_provider=...)``
   obtains it.

   Before the timing, each variant serves a warm-up batch and the exporters are flushed
   and counted: no span at ratio 0, about 10 % at 0.1 (within 5 standard deviations),
   every request at 1; after it, the spans of the timed rounds are counted again (a
   ``BatchSpanProcessor`` drops spans when its queue is full: it must not have).
   "Added" cost is the median over rounds of (variant - bare) in the same round.
   Targets: axiomod's added cost <= 1/5 of the anchor's at 0.1 and <= 1/3 at 1;
   axiomod's added cost at ratio 0 <= ~2x the SDK floor.

2. Server CPU per request (``tracing.server.invoices.*``): the example (project
   ``bench.metrics_project``, so with axiomod's metrics middleware as it ships) served by
   three gunicorns at once (2 workers, ``-c python:axiomod.gunicorn_config``) on the
   database-backed ``/invoices/`` list (SQLite, 20 invoices): without the tracing
   middleware (``AXIOMOD_BENCH_TRACING=off``, exporter ``none``), and with it at ratio
   0.1 and 1 (``OTEL_TRACES_EXPORTER=otlp``, ``OTEL_TRACES_SAMPLER_ARG``), each tracing
   server exporting over OTLP/gRPC to its own loopback receiver
   (``axiomod.testing.OtlpReceiver``, in this process) with the default batching
   (5 s schedule delay, 512 spans per batch). The servers are loaded in interleaved
   bursts (30 rounds of 200 requests each after a warm-up round: many short turns average
   out the machine's speed steps better than a few long ones); on-CPU time of the master,
   the workers and all their threads (the batch export thread and gRPC's included) comes
   from ``/proc/*/task/*/schedstat``.

   A batch processor exports later, often while another server is being loaded, so the
   CPU of a server is read at the start of each of its bursts and charged per *cycle*
   (from one of its bursts to its next one), and after the last round the benchmark
   waits for the exporters to flush (schedule delay + 1 s) before the final reading. The
   figure is the total over the measured cycles divided by the requests (a mean: export
   is bursty, a median of cycles would skip it); the warm-up round and its flush are not
   counted. ``extra`` also gives the median of burst-only readings (what the CPU would
   look like if deferred export were not charged) and the idle CPU of the servers during
   the final wait. The receivers must have got every ``/invoices/`` span of the ratio-1
   server and about 10 % of the ratio-0.1 server's. Targets: < 3 % at 0.1, < 10 % at 1.

Options after ``--``: ``--skip-server``, ``--skip-in-process``, ``--bursts N``,
``--server-rounds N``. ``--quick`` also shortens the servers' batch schedule delay to
0.5 s so that the flush waits stay short (quick results are not results anyway).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from axiomod.testing import terminate_all
from bench.harness import (
    REPO_ROOT,
    Figure,
    Options,
    Stmt,
    Variant,
    benchmark,
    cpu_ns_of,
    interleave,
)
from bench.harness import note as say
from bench.support import (
    BENCH_SETTINGS,
    counting_exporter,
    http_get,
    migrate,
    seed_invoices,
    setup_django,
    start_gunicorn,
    wsgi_caller,
    wsgi_handler,
)

RATIOS = {"0": 0.0, "0.1": 0.1, "1": 1.0}
TRACING_MIDDLEWARE = "axiomod.tracing.middleware.TracingMiddleware"


def _name(label: str) -> str:
    """A variant label as a figure-name part: ``axiomod 0.1`` -> ``axiomod_0_1``."""
    return label.replace(" ", "_").replace("-", "_").replace(".", "_")


def _share_bounds(ratio: float, n: int) -> tuple[float, float]:
    """Counts of sampled requests out of ``n`` accepted for ``ratio`` (5 standard deviations)."""
    if ratio in (0.0, 1.0):
        return ratio * n, ratio * n
    spread = 5 * math.sqrt(ratio * (1 - ratio) * n)
    return max(1.0, ratio * n - spread), ratio * n + spread


# --------------------------------------------------------------------------- 1. in-process


def _provider(ratio: float, exporter: Any) -> Any:
    """axiomod's production provider for ``ratio``: resource, ParentBased sampler, batch."""
    from django.conf import settings as django_settings
    from django.test import override_settings

    from axiomod.tracing.setup import build_provider

    axiomod = dict(django_settings.AXIOMOD)
    tracing = {**axiomod.get("tracing", {}), "exporter": "otlp", "sample_ratio": ratio}
    with override_settings(AXIOMOD={**axiomod, "tracing": tracing}):
        return build_provider(exporter, processor="batch")


def _anchor_class(provider: Any) -> type:
    """opentelemetry-instrumentation-django's middleware with ``provider``'s tracer."""
    from opentelemetry.instrumentation._semconv import _get_schema_url
    from opentelemetry.instrumentation.django import __name__ as instrumentation_name
    from opentelemetry.instrumentation.django.middleware.otel_middleware import (
        _DjangoMiddleware,
    )
    from opentelemetry.instrumentation.django.version import __version__
    from opentelemetry.trace import get_tracer

    class AnchorMiddleware(_DjangoMiddleware):
        _tracer = get_tracer(
            instrumentation_name,
            __version__,
            tracer_provider=provider,
            schema_url=_get_schema_url(_DjangoMiddleware._sem_conv_opt_in_mode),
        )

    return AnchorMiddleware


def _hand_written_class(tracer: Any) -> type:
    """The floor inside a request: ``start_as_current_span`` around the rest of the stack."""
    from opentelemetry.trace import SpanKind

    server = SpanKind.SERVER

    class HandWrittenTracingMiddleware:
        def __init__(self, get_response) -> None:
            self.get_response = get_response

        def __call__(self, request):
            with tracer.start_as_current_span(request.method, kind=server):
                return self.get_response(request)

    return HandWrittenTracingMiddleware


def _in_process(options: Options) -> Iterator[Figure]:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.trace import SpanKind

    import bench.tracing as this_module
    from axiomod.tracing import setup as tracing_setup

    number, rounds = options.sizes(number=2000, rounds=32, quick_number=200, quick_rounds=8)
    check = 300 if options.quick else 1000

    exporters = {
        f"{kind} {r}": counting_exporter() for kind in ("axiomod", "otel-django") for r in RATIOS
    }
    exporters = {k: v for k, v in exporters.items() if k != "otel-django 0"}
    providers = {
        label: _provider(RATIOS[label.rsplit(" ", 1)[1]], e) for label, e in exporters.items()
    }
    tracers = {
        label: p.get_tracer(tracing_setup.INSTRUMENTATION_NAME) for label, p in providers.items()
    }

    def select(label: str):
        """Install ``label``'s provider as this process's, as ``configure()`` would."""

        def install() -> None:
            tracing_setup._install(providers[label], shutdown_previous=False)

        return install

    instrumentor = DjangoInstrumentor()
    instrumentor.instrument(tracer_provider=providers["otel-django 1"])
    instrumentor.uninstrument()  # out of settings.MIDDLEWARE; the class attributes stay
    try:
        variants: dict[str, Any] = {"bare": wsgi_caller(wsgi_handler([]), "/ping")}
        for ratio in RATIOS:
            label = f"axiomod {ratio}"
            select(label)()
            variants[label] = Variant(
                wsgi_caller(wsgi_handler([TRACING_MIDDLEWARE]), "/ping"), setup=select(label)
            )
        for ratio in ("0.1", "1"):
            label = f"otel-django {ratio}"
            class_name = f"Anchor{_name(ratio)}"
            setattr(this_module, class_name, _anchor_class(providers[label]))
            variants[label] = wsgi_caller(wsgi_handler([f"bench.tracing.{class_name}"]), "/ping")
        this_module.HandWrittenTracingMiddleware = _hand_written_class(tracers["axiomod 0"])
        variants["hand-written 0"] = wsgi_caller(
            wsgi_handler(["bench.tracing.HandWrittenTracingMiddleware"]), "/ping"
        )
        variants["sdk floor"] = Stmt(
            "with start(name, kind=kind): pass",
            {"tracer": tracers["axiomod 0"], "kind": SpanKind.SERVER},
            prelude="start = tracer.start_as_current_span\nname = 'GET'",
        )

        # Do they serve and record as they should? A warm-up batch each, then count.
        for label in exporters:
            variant = variants[label]
            if isinstance(variant, Variant):
                variant.setup()
                variant = variant.func
            for _ in range(check):
                variant()
        checked: dict[str, dict[str, object]] = {}
        for label, exporter in exporters.items():
            providers[label].force_flush()
            ratio = RATIOS[label.rsplit(" ", 1)[1]]
            # wsgi_caller served one request already when it checked for 200.
            served = check + 1
            low, high = _share_bounds(ratio, served)
            if not low <= exporter.count <= high:
                raise RuntimeError(
                    f"{label}: {exporter.count} spans exported for {served} requests; "
                    f"expected {low:.0f}..{high:.0f}"
                )
            checked[label] = {"served": served, "spans": exporter.count}
            exporter.count = 0
        say(
            "tracing: spans after the warm-up batch: "
            + ", ".join(f"{k} {v['spans']}/{v['served']}" for k, v in checked.items())
        )

        say(f"tracing: in-process, {rounds} rounds x {number} requests per variant")
        timings = interleave(variants, number=number, rounds=rounds)
        timed = (rounds + 1) * number  # the harness's warm-up round included
        for label, exporter in exporters.items():
            providers[label].force_flush()
            ratio = RATIOS[label.rsplit(" ", 1)[1]]
            low, high = _share_bounds(ratio, timed)
            if not low <= exporter.count <= high:
                raise RuntimeError(
                    f"{label}: {exporter.count} spans exported for {timed} timed requests; "
                    f"expected {low:.0f}..{high:.0f} (a full batch queue drops spans)"
                )
            checked[label]["timed_requests"] = timed
            checked[label]["timed_spans"] = exporter.count
            checked[label]["span_names"] = sorted(exporter.names)
    finally:
        tracing_setup._state.update(pid=None, provider=None, tracer=None, owner_pid=None)
        for provider in providers.values():
            provider.shutdown()

    bare = timings["bare"]
    for label in (*(f"axiomod {r}" for r in RATIOS), "otel-django 0.1", "otel-django 1"):
        yield Figure.from_timings(
            f"tracing.request.{_name(label)}", bare, timings[label], extra=checked[label]
        )

    def added(label: str) -> float:
        """Median over rounds of (variant - bare) in the same round: robust to drifts."""
        pairs = zip(timings[label].per_call, bare.per_call, strict=True)
        return statistics.median(v - b for v, b in pairs)

    for ratio, target in (("0.1", 0.2), ("1", 1 / 3)):
        yield Figure(
            f"tracing.added.axiomod_vs_otel_django_{_name(ratio)}",
            added(f"otel-django {ratio}"),
            added(f"axiomod {ratio}"),
            "s/request",
            baseline_name=f"opentelemetry-instrumentation-django added cost at {ratio}",
            candidate_name=f"axiomod added cost at {ratio}",
            extra={"target_ratio_max": round(target, 3), "bare_request": bare.median},
        )
    yield Figure(
        "tracing.added.axiomod_unsampled_vs_sdk_floor",
        timings["sdk floor"].median,
        added("axiomod 0"),
        "s/request",
        baseline_name="SDK start_as_current_span, ParentBased(ALWAYS_OFF), hot loop",
        candidate_name="axiomod added cost at ratio 0 (unsampled)",
        extra={"target_ratio_max": 2.0, "floor_best": timings["sdk floor"].best},
    )
    yield Figure(
        "tracing.added.axiomod_unsampled_vs_hand_written",
        added("hand-written 0"),
        added("axiomod 0"),
        "s/request",
        baseline_name="hand-written start_as_current_span middleware added cost (unsampled)",
        candidate_name="axiomod added cost at ratio 0 (unsampled)",
    )


# --------------------------------------------------------------------------- 2. gunicorn


def _server(options: Options, bursts: int, rounds: int) -> Iterator[Figure]:
    from axiomod.testing.otlp import OtlpReceiver

    delay_ms = 500 if options.quick else 5000  # OTEL_BSP_SCHEDULE_DELAY (SDK default 5 s)
    path = "/invoices/"
    span_name = f"GET {path}"
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-tracing-"))
    database = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        DATABASE_URL=database,
        DJANGO_SETTINGS_MODULE=BENCH_SETTINGS,
        AXIOMOD_BENCH_METRICS="axiomod",
        OTEL_TRACES_EXPORTER="none",
        PYTHONPATH=str(REPO_ROOT),
        AXIOMOD_DRAIN_SECONDS="0",
    )
    migrate(env)
    seed_invoices(env, 20)
    receivers = {ratio: OtlpReceiver().start() for ratio in ("0.1", "1")}
    variants = {
        "off": {**env, "AXIOMOD_BENCH_TRACING": "off"},
        **{
            ratio: {
                **env,
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpc_endpoint,
                "OTEL_TRACES_SAMPLER_ARG": str(RATIOS[ratio]),
                "OTEL_BSP_SCHEDULE_DELAY": str(delay_ms),
            }
            for ratio, receiver in receivers.items()
        },
    }
    servers: dict[str, tuple[Any, int]] = {}

    def received(ratio: str) -> int:
        return len(receivers[ratio].wait_for(lambda s: s.name == span_name, timeout=0))

    def flushed(expected_all: int) -> None:
        """Wait for the batch processors' next export, and for every span of ratio 1."""
        time.sleep(delay_ms / 1000 + 1.0)
        deadline = time.monotonic() + 15
        while received("1") < expected_all and time.monotonic() < deadline:
            time.sleep(0.1)

    try:
        for variant, server_env in variants.items():
            servers[variant] = start_gunicorn(server_env, workdir / f"{variant}.log")
        say(f"tracing: gunicorn CPU per request on {path}, {rounds} rounds x {bursts}")
        starts: dict[str, list[int]] = {v: [] for v in servers}
        burst_only: dict[str, list[float]] = {v: [] for v in servers}
        for round_index in range(rounds + 1):  # round 0 warms up
            order = list(servers)
            shift = round_index % len(order)
            for variant in order[shift:] + order[:shift]:
                process, port = servers[variant]
                before = cpu_ns_of(process.pid)
                for _ in range(bursts):
                    http_get(port, path)
                after = cpu_ns_of(process.pid)
                if round_index:
                    starts[variant].append(before)
                    burst_only[variant].append((after - before) / 1e9 / bursts)
            if round_index == 0:
                flushed(bursts)  # the warm-up's spans are not charged to round 1
        served = (rounds + 1) * bursts
        idle_start = {v: cpu_ns_of(p.pid) for v, (p, _) in servers.items()}
        wait_started = time.monotonic()
        flushed(served)
        ends = {v: cpu_ns_of(p.pid) for v, (p, _) in servers.items()}
        waited = time.monotonic() - wait_started
    finally:
        terminate_all(process for process, _ in servers.values())
        for receiver in receivers.values():
            receiver.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    counts: dict[str, int] = {}
    for ratio in receivers:
        counts[ratio] = received(ratio)
        low, high = _share_bounds(RATIOS[ratio], served)
        if not low <= counts[ratio] <= high:
            raise RuntimeError(
                f"the ratio-{ratio} server's receiver got {counts[ratio]} '{span_name}' spans "
                f"for {served} requests; expected {low:.0f}..{high:.0f}"
            )
    sample = receivers["1"].wait_for(lambda s: s.name == span_name, timeout=0)[0]
    if sample.attributes.get("http.route") != path or sample.service_name != "invoices":
        raise RuntimeError(f"unexpected span from the ratio-1 server: {sample}")
    say(
        "tracing: spans received: "
        + ", ".join(f"ratio {r}: {counts[r]}/{served}" for r in receivers)
    )

    measured = rounds * bursts
    per_request = {v: (ends[v] - starts[v][0]) / 1e9 / measured for v in servers}
    idle = {v: (ends[v] - idle_start[v]) / 1e9 / waited for v in servers}
    for ratio, target in (("0.1", 1.03), ("1", 1.10)):
        yield Figure(
            f"tracing.server.invoices.axiomod_{_name(ratio)}",
            per_request["off"],
            per_request[ratio],
            "s/request",
            baseline_name="gunicorn, no tracing middleware (CPU)",
            candidate_name=f"gunicorn, axiomod tracing at {ratio}, OTLP export (CPU)",
            extra={
                "stat": "total over measured cycles / requests",
                "rounds": rounds,
                "requests_per_round": bursts,
                "path": path,
                "target_ratio_max": target,
                "spans_received": counts[ratio],
                "requests_served": served,
                "baseline_burst_only_median": statistics.median(burst_only["off"]),
                "candidate_burst_only_median": statistics.median(burst_only[ratio]),
                "ratio_burst_only_paired_median": statistics.median(
                    c / b for c, b in zip(burst_only[ratio], burst_only["off"], strict=True)
                ),
                "baseline_idle_cpu_per_second": idle["off"],
                "candidate_idle_cpu_per_second": idle[ratio],
                "bsp_schedule_delay_ms": delay_ms,
            },
        )


@benchmark("tracing")
def run(options: Options) -> Iterator[Figure]:
    """A span per request: axiomod vs opentelemetry-instrumentation-django; gunicorn CPU."""
    parser = argparse.ArgumentParser(prog="bench tracing")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--bursts", type=int, default=None)
    parser.add_argument("--server-rounds", type=int, default=None)
    args = parser.parse_args(list(options.extra))
    setup_django(AXIOMOD_BENCH_METRICS="none", OTEL_TRACES_EXPORTER="none")
    if not args.skip_in_process:
        yield from _in_process(options)
    if not args.skip_server:
        bursts = args.bursts or (60 if options.quick else 200)
        rounds = args.server_rounds or (3 if options.quick else 30)
        yield from _server(options, bursts, rounds)
