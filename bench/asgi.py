"""Benchmark ``asgi``: what axiomod's middlewares cost a request under uvicorn (server CPU).

The ASGI counterpart of the gunicorn parts of ``bench metrics`` and ``bench tracing``,
with the same targets: the metrics middleware adds < 5 % on a trivial view, the tracing
middleware at sample ratio 0.1, exporting, < 3 % on the database-backed invoice list.

Servers: three uvicorns at once (one process each, ``--http httptools --loop uvloop``, no
access log, as gunicorn runs without one), serving ``bench.asgi_app`` (settings
``bench.asgi_project``: the example and ``/ping`` of ``bench.metrics_project``, with only
Django's own middlewares, so the chain is async from end to end):

* ``none``: no axiomod middleware and tracing off (``OTEL_TRACES_EXPORTER=none``): the
  honest baseline is the same Django service without axiomod, on the same server;
* ``metrics``: axiomod's ``MetricsMiddleware`` in front (single-process mode, as one
  uvicorn worker runs it: exemplar capture on);
* ``tracing``: axiomod's ``TracingMiddleware`` in front at ``OTEL_TRACES_SAMPLER_ARG=0.1``,
  exporting over OTLP/gRPC to a loopback receiver (``axiomod.testing.OtlpReceiver``, in
  this process) with the SDK's default batching (5 s schedule delay).

Both views are sync (``/ping`` a bare function, ``/invoices/`` the example's list of 20
invoices on SQLite), so every request of every server pays Django's thread hop to run the
view; the middlewares must add no hop of their own: before the servers start, the
benchmark builds Django's ``ASGIHandler`` with each server's ``MIDDLEWARE`` in this process
and fails if Django adapts a middleware or a ``process_view`` to the other mode (its
``Synchronous handler adapted`` debug line, a ``SyncToAsync`` view hook) that it does not
adapt in Django's stack alone; ``extra`` lists what is adapted in Django's stack and in the
example's full stack, for information.

Load: this process is the client (asyncio, :func:`bench.support.keepalive_load`): bursts
of a fixed number of requests over a few keep-alive connections (4 in flight). Phase
``/ping`` loads ``none`` and ``metrics``, phase ``/invoices/`` loads ``none`` and
``tracing``, in interleaved bursts (:func:`bench.support.load_in_turns`: a warm-up round,
then rounds with the order rotated). The figure is each server's CPU time (every thread:
the loop's, the exporter's, and the thread Django starts for each request's sync code,
which has ended by the next reading: so ``utime + stime`` of ``/proc/<pid>/stat``, which
counts ended threads, in clock ticks of 10 ms, rather than the live threads' schedstat)
from its first measured burst to a reading after the exporters' next flush (schedule
delay + 1 s), divided by the requests: deferred export is charged to the server that does
it. ``extra`` gives the burst-only medians, the paired burst ratio, the requests per
second of the bursts (understated: the client shares the two cores) and the idle CPU.
The receiver must have got about 10 % of the tracing server's ``GET /invoices/`` spans.

Options after ``--``: ``--requests N`` (per burst), ``--rounds N``, ``--in-flight N``,
``--profile DIR`` (the servers run under cProfile, see ``bench.asgi_app``; figures taken
so are not results). ``--quick``: small bursts, 0.5 s schedule delay.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from axiomod.testing import free_port, terminate_all
from bench.harness import REPO_ROOT, Figure, Options, benchmark, cpu_time_of
from bench.harness import note as say
from bench.support import (
    cpu_figure,
    keepalive_load,
    load_in_turns,
    migrate,
    seed_invoices,
    start_server,
)
from bench.tracing import _share_bounds

SETTINGS = "bench.asgi_project"
APP = "bench.asgi_app:application"
RATIO = 0.1

#: (path, baseline, candidate, target ratio, what the candidate is)
COMPARISONS = (
    ("/ping", "none", "metrics", 1.05, "axiomod MetricsMiddleware"),
    ("/invoices/", "none", "tracing", 1.03, f"axiomod TracingMiddleware at {RATIO}, OTLP export"),
)


def start_uvicorn(env: dict[str, str], log_path: Path) -> tuple[Any, int]:
    """One uvicorn process (``--workers 1`` serves in the process itself) on a free port."""
    port = free_port()
    command = [
        sys.executable,
        *("-m", "uvicorn", APP, "--host", "127.0.0.1", "--port", str(port)),
        *("--http", "httptools", "--loop", "uvloop", "--no-access-log"),
    ]
    return start_server(command, port, env, log_path)


def adaptations(middleware: list[str]) -> list[str]:
    """What Django wraps for the other mode (a thread hop per request) in an ASGI handler.

    Django says it for a middleware only with ``DEBUG`` on (``django.request``, debug level)
    and never for a ``process_view``; the built handler's view hooks show those.
    """
    from asgiref.sync import SyncToAsync
    from django.core.handlers.asgi import ASGIHandler
    from django.test import override_settings

    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "adapted for" in record.getMessage():
                said.append(record.getMessage())

    logger, keep = logging.getLogger("django.request"), Keep(logging.DEBUG)
    level, logger.level = logger.level, logging.DEBUG
    logger.addHandler(keep)
    try:
        with override_settings(DEBUG=True, MIDDLEWARE=middleware):
            handler = ASGIHandler()
    finally:
        logger.removeHandler(keep)
        logger.level = level
    hooks = [hook.func for hook in handler._view_middleware if isinstance(hook, SyncToAsync)]
    return said + [f"process_view {getattr(f, '__qualname__', f)} (sync)" for f in hooks]


def _check_no_adaptation() -> dict[str, list[str]]:
    """Fail if axiomod's middleware makes Django adapt anything Django's own stack does not.

    Returns what is adapted in Django's stack alone (its ``CsrfViewMiddleware.process_view``
    is sync: a hop every server pays) and in the example's full stack, for ``extra``.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["OTEL_TRACES_EXPORTER"] = "none"
    import django
    from django.conf import settings

    from example import settings as example

    django.setup()
    django_only = adaptations(settings.DJANGO_MIDDLEWARE)
    for name, ours in settings.AXIOMOD_MIDDLEWARE.items():
        added = set(adaptations([*ours, *settings.DJANGO_MIDDLEWARE])) - set(django_only)
        if added:
            raise RuntimeError(f"server {name!r}: Django adapts {sorted(added)} (hops)")
    return {
        "django_stack_adapted": django_only,
        "example_stack_adapted": adaptations(example.MIDDLEWARE),
    }


def _environments(receiver_endpoint: str, delay_ms: int, profile: str | None) -> dict[str, dict]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    base.pop("PROMETHEUS_MULTIPROC_DIR", None)
    base.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        PYTHONPATH=str(REPO_ROOT),
        OTEL_TRACES_EXPORTER="none",
    )
    if profile:
        base["AXIOMOD_BENCH_PROFILE"] = profile
    return {
        "none": {**base, "AXIOMOD_BENCH_ASGI": "none"},
        "metrics": {**base, "AXIOMOD_BENCH_ASGI": "metrics"},
        "tracing": {
            **base,
            "AXIOMOD_BENCH_ASGI": "tracing",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver_endpoint,
            "OTEL_TRACES_SAMPLER_ARG": str(RATIO),
            "OTEL_BSP_SCHEDULE_DELAY": str(delay_ms),
        },
    }


@benchmark("asgi")
def run(options: Options) -> Iterator[Figure]:
    """axiomod's metrics and tracing middlewares under uvicorn: server CPU per request."""
    from axiomod.testing.otlp import OtlpReceiver

    parser = argparse.ArgumentParser(prog="bench asgi")
    parser.add_argument("--requests", type=int, default=150 if options.quick else 300)
    parser.add_argument("--rounds", type=int, default=options.rounds or (2 if options.quick else 8))
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args(list(options.extra))
    delay_ms = 500 if options.quick else 5000  # OTEL_BSP_SCHEDULE_DELAY (SDK default 5 s)

    adapted = _check_no_adaptation()
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-asgi-"))
    receiver = OtlpReceiver().start()
    servers: dict[str, tuple[Any, int]] = {}
    envs = _environments(receiver.grpc_endpoint, delay_ms, args.profile)
    database = f"sqlite:///{workdir / 'bench.sqlite3'}"
    for env in envs.values():
        env["DATABASE_URL"] = database
    try:
        migrate(envs["none"])
        seed_invoices(envs["none"], 20)
        for name, env in envs.items():
            servers[name] = start_uvicorn(env, workdir / f"{name}.log")
        results = {}
        for path, base, candidate, _, _ in COMPARISONS:
            say(
                f"asgi: uvicorn CPU per request on {path}, {base} vs {candidate}, "
                f"{args.rounds} rounds x {args.requests} requests, {args.in_flight} in flight"
            )
            ports = {name: servers[name][1] for name in (base, candidate)}
            results[path] = load_in_turns(
                {name: servers[name][0].pid for name in ports},
                lambda name, ports=ports, path=path: _burst(ports[name], path, args),
                rounds=args.rounds,
                settle=delay_ms / 1000 + 1.0 if candidate == "tracing" else 0.0,
                cpu=cpu_time_of,
            )
    finally:
        # Profiled servers write their profiles on the way out.
        terminate_all((p for p, _ in servers.values()), timeout=120 if args.profile else 30)
        receiver.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    span_name = "GET /invoices/"
    spans = receiver.wait_for(lambda s: s.name == span_name, timeout=0)
    served = results["/invoices/"]["tracing"].requests + args.requests  # + the warm-up
    low, high = _share_bounds(RATIO, served)
    if not low <= len(spans) <= high:
        raise RuntimeError(
            f"the receiver got {len(spans)} '{span_name}' spans for {served} requests "
            f"at ratio {RATIO}; expected {low:.0f}..{high:.0f}"
        )
    say(f"asgi: spans received from the tracing server: {len(spans)}/{served}")

    for path, base, candidate, target, description in COMPARISONS:
        yield cpu_figure(
            f"asgi.server.{path.strip('/')}.{candidate}",
            results[path][base],
            results[path][candidate],
            baseline_name="uvicorn, no axiomod middleware (CPU)",
            candidate_name=f"uvicorn, {description} (CPU)",
            extra={
                "path": path,
                "target_ratio_max": target,
                "requests_per_round": args.requests,
                "in_flight": args.in_flight,
                "server": "uvicorn --http httptools --loop uvloop, 1 process",
                **adapted,
                **(
                    {"spans_received": len(spans), "requests_served": served}
                    if candidate == "tracing"
                    else {}
                ),
                **({"profiled": args.profile} if args.profile else {}),
            },
        )


def _burst(port: int, path: str, args: argparse.Namespace) -> int:
    keepalive_load(port, path, requests=args.requests, in_flight=args.in_flight)
    return args.requests
