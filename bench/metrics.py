"""Benchmark ``metrics``: what HTTP metrics cost a request, and what a scrape costs.

Three parts, every variant measured in the same run:

1. In-process cost per request (``metrics.request.*``, ``metrics.added.*``): a WSGI call
   loop on a prepared environ against a trivial view, variants taking turns: no metrics
   middleware (bare), django-prometheus' pair, axiomod's middleware in single-process
   and in multiprocess mode, and two floors: the bare prometheus_client calls a request
   must make (one ``Counter.labels().inc()`` and one ``Histogram.labels().observe()``)
   in a hot loop, and the same calls made from a hand-written middleware inside the
   request. Targets: axiomod's added cost <= 1.5x the floor and <= 1/5 of
   django-prometheus'.
2. Server CPU per request under gunicorn (``metrics.server.*``): the example served by
   three gunicorns at once (no metrics / axiomod / django-prometheus), loaded in
   interleaved bursts; the master's and workers' on-CPU time is read from
   ``/proc/*/task/*/schedstat`` (nanoseconds), so the load generator's share of the two
   cores does not dilute the figure. Targets: < 5 % on ``/ping``,
   < 2 % on the database-backed ``/invoices/``.
3. Scrape time in multiprocess mode (``metrics.scrape.*``): ~5,000 series written by four
   worker processes, then a few hundred short-lived workers (as gunicorn
   ``max_requests`` restarts leave behind); upstream's MultiProcessCollector against
   axiomod's compacting collector. Target: axiomod's scrape stays flat.

4. Exemplars (``metrics.exemplars.*``): axiomod's middleware in front of axiomod's
   tracing middleware, with and without the exemplar capture (``process_view``), on a
   request whose ``traceparent`` is sampled and on one that is not; variants taking turns.
   What the capture adds is the difference of medians (µs) and the ratio.
5. Process metrics in the scrape (``metrics.scrape.process_metrics``): N live worker
   processes (each with its files and its GC recorder) scraped by the compacting
   collector with and without ``process_*``/``python_gc_*`` per pid.

Options after ``--``: ``--skip-server``, ``--skip-scrape``, ``--restarts N``,
``--workers N`` (part 5), ``--only exemplars|process`` (parts 4 or 5 alone).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from axiomod.testing import terminate_all
from bench.harness import REPO_ROOT, Figure, Options, Variant, benchmark, cpu_ns_of, interleave
from bench.harness import note as say
from bench.support import (
    BENCH_SETTINGS,
    http_get,
    migrate,
    seed_invoices,
    setup_django,
    start_gunicorn,
    wsgi_caller,
    wsgi_handler,
)

# --------------------------------------------------------------------------- 1. in-process


def _multiprocess_middleware_class(directory: str):
    """axiomod's middleware recording into mmap files, as under gunicorn with the config.

    prometheus_client picks its value class at import; the benchmark swaps it while the
    multiprocess variant's metrics are created (in a registry of their own), so both modes
    can take turns in one process.
    """
    import prometheus_client
    from prometheus_client import values

    from axiomod_metrics.metrics import HTTP_LABELS
    from axiomod_metrics.middleware import HttpMetricsRecorder, MetricsMiddleware

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    saved = values.ValueClass
    values.ValueClass = values.MultiProcessValue()
    try:
        requests = prometheus_client.Counter(
            "http_requests_total", "HTTP requests served.", HTTP_LABELS, registry=None
        )
        durations = prometheus_client.Histogram(
            "http_request_duration_seconds", "Time.", HTTP_LABELS, registry=None
        )
        # Children take the value class current when they are created: make the one the
        # benchmark's request uses now, and hand it to the recorder's cache.
        children = {
            ("GET", "ping", 200): (
                requests.labels("GET", "/ping", "200"),
                durations.labels("GET", "/ping", "200"),
            )
        }
    finally:
        # The environment variable stays: children (label sets) open their files lazily.
        values.ValueClass = saved

    class Recorder(HttpMetricsRecorder):
        def __init__(self) -> None:
            self.requests, self.durations = requests, durations
            self._children = dict(children)

    class MultiprocessMetricsMiddleware(MetricsMiddleware):
        def __init__(self, get_response) -> None:
            super().__init__(get_response)
            self.recorder = Recorder()

    return MultiprocessMetricsMiddleware


def _hand_written_middleware_class():
    """The floor inside a request: the same two metrics, ``labels()`` on every request.

    The hot-loop floor above runs with warm caches and without the two clock reads a
    request needs (each ~0.7 µs on these VMs); this is what a team would write by hand.
    """
    from time import perf_counter

    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    labels = ["method", "path", "status"]
    requests = Counter("hand_requests_total", "r", labels, registry=registry)
    durations = Histogram("hand_request_duration_seconds", "d", labels, registry=registry)

    class HandWrittenMetricsMiddleware:
        def __init__(self, get_response) -> None:
            self.get_response = get_response

        def __call__(self, request):
            start = perf_counter()
            response = self.get_response(request)
            match = request.resolver_match
            route = "/" + match.route if match else "unmatched"
            status = str(response.status_code)
            requests.labels(request.method, route, status).inc()
            durations.labels(request.method, route, status).observe(perf_counter() - start)
            return response

    return HandWrittenMetricsMiddleware


def _in_process(options: Options) -> Iterator[Figure]:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    import bench.metrics as this_module

    number, rounds = options.sizes(number=2000, rounds=30, quick_number=200, quick_rounds=4)
    directory = tempfile.mkdtemp(prefix="axiomod-bench-mp-")
    try:
        this_module.MultiprocessMetricsMiddleware = _multiprocess_middleware_class(directory)
        stacks = {
            "bare": [],
            "django-prometheus": [
                "django_prometheus.middleware.PrometheusBeforeMiddleware",
                "django_prometheus.middleware.PrometheusAfterMiddleware",
            ],
            "axiomod": ["axiomod_metrics.middleware.MetricsMiddleware"],
            "axiomod multiprocess": ["bench.metrics.MultiprocessMetricsMiddleware"],
        }
        variants = {
            name: wsgi_caller(wsgi_handler(stack), "/ping") for name, stack in stacks.items()
        }
        registry = CollectorRegistry()
        floor_counter = Counter(
            "floor_requests_total", "f", ["method", "path", "status"], registry=registry
        )
        floor_hist = Histogram(
            "floor_seconds", "f", ["method", "path", "status"], registry=registry
        )

        def floor() -> None:
            floor_counter.labels("GET", "/ping", "200").inc()
            floor_hist.labels("GET", "/ping", "200").observe(0.0002)

        variants["floor"] = Variant(floor)
        this_module.HandWrittenMetricsMiddleware = _hand_written_middleware_class()
        variants["hand-written middleware"] = wsgi_caller(
            wsgi_handler(["bench.metrics.HandWrittenMetricsMiddleware"]), "/ping"
        )
        say(f"metrics: in-process, {rounds} rounds x {number} requests per variant")
        timings = interleave(variants, number=number, rounds=rounds)
        if not list(Path(directory).glob("histogram_*.db")):
            raise RuntimeError("the multiprocess variant wrote no mmap files")
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(directory, ignore_errors=True)

    bare = timings["bare"]
    for name in ("django-prometheus", "axiomod", "axiomod multiprocess"):
        yield Figure.from_timings(f"metrics.request.{name.replace(' ', '_')}", bare, timings[name])

    def added(name: str) -> float:
        """Median over rounds of (variant - bare) in the same round: robust to drifts."""
        pairs = zip(timings[name].per_call, bare.per_call, strict=True)
        return statistics.median(v - b for v, b in pairs)

    floor_cost = timings["floor"].median
    for name in ("axiomod", "axiomod multiprocess"):
        yield Figure(
            f"metrics.added.{name.replace(' ', '_')}_vs_floor",
            floor_cost,
            added(name),
            "s/request",
            baseline_name="prometheus_client floor (labels().inc + labels().observe)",
            candidate_name=f"{name} added cost",
            extra={"target_ratio_max": 1.5},
        )
    yield Figure(
        "metrics.added.axiomod_vs_hand_written",
        added("hand-written middleware"),
        added("axiomod"),
        "s/request",
        baseline_name="hand-written middleware added cost (labels() per request)",
        candidate_name="axiomod added cost",
        extra={"target_ratio_max": 1.5},
    )
    yield Figure(
        "metrics.added.axiomod_vs_django_prometheus",
        added("django-prometheus"),
        added("axiomod"),
        "s/request",
        baseline_name="django-prometheus added cost",
        candidate_name="axiomod added cost",
        extra={"target_ratio_max": 0.2, "bare_request": bare.median},
    )


# --------------------------------------------------------------------------- 4. exemplars


class NoExemplarMetricsMiddleware:
    """axiomod's middleware with its exemplar capture taken off (set in ``_exemplars``)."""


def _no_exemplar_middleware_class():
    from axiomod_metrics.middleware import MetricsMiddleware

    class NoExemplars(MetricsMiddleware):
        def __init__(self, get_response) -> None:
            super().__init__(get_response)
            self.__dict__.pop("process_view", None)  # Django then registers no hook

    return NoExemplars


def _exemplars(options: Options) -> Iterator[Figure]:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
    from prometheus_client import REGISTRY

    import bench.metrics as this_module
    from axiomod import tracing
    from axiomod.tracing.setup import build_provider

    class Discarding(SpanExporter):
        def export(self, spans):  # the same cost in every variant
            return SpanExportResult.SUCCESS

    number, rounds = options.sizes(number=2000, rounds=30, quick_number=200, quick_rounds=4)
    tracing.configure(provider=build_provider(Discarding(), processor="simple"))
    this_module.NoExemplarMetricsMiddleware = _no_exemplar_middleware_class()
    traced = "axiomod.tracing.middleware.TracingMiddleware"
    with_capture = wsgi_handler(["axiomod_metrics.middleware.MetricsMiddleware", traced])
    without = wsgi_handler(["bench.metrics.NoExemplarMetricsMiddleware", traced])
    sampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    unsampled = sampled[:-2] + "00"
    variants = {
        "sampled": wsgi_caller(without, "/ping", HTTP_TRACEPARENT=sampled),
        "sampled + exemplar": wsgi_caller(with_capture, "/ping", HTTP_TRACEPARENT=sampled),
        "unsampled": wsgi_caller(without, "/ping", HTTP_TRACEPARENT=unsampled),
        "unsampled + hook": wsgi_caller(with_capture, "/ping", HTTP_TRACEPARENT=unsampled),
    }
    say(f"metrics: exemplars, {rounds} rounds x {number} requests per variant")
    try:
        timings = interleave(variants, number=number, rounds=rounds)
    finally:
        tracing.shutdown()
    labels = {"method": "GET", "path": "/ping", "status": "200"}
    exemplar = next(
        (
            s.exemplar
            for m in REGISTRY.collect()
            if m.name == "http_request_duration_seconds"
            for s in m.samples
            if s.exemplar is not None and all(s.labels.get(k) == v for k, v in labels.items())
        ),
        None,
    )
    if exemplar is None or exemplar.labels["trace_id"] != sampled[3:35]:
        raise RuntimeError(f"the sampled variant recorded no exemplar ({exemplar})")
    for kind, base, candidate in (
        ("sampled", "sampled", "sampled + exemplar"),
        ("unsampled", "unsampled", "unsampled + hook"),
    ):
        # Median over rounds of (candidate - baseline) in the same round: robust to drifts.
        pairs = zip(timings[candidate].per_call, timings[base].per_call, strict=True)
        added = statistics.median(c - b for c, b in pairs)
        yield Figure.from_timings(
            f"metrics.exemplars.{kind}",
            timings[base],
            timings[candidate],
            extra={"added_us": round(added * 1e6, 3)},
        )
    yield from _exemplar_floor(options)


def _exemplar_floor(options: Options) -> Iterator[Figure]:
    """The capture and the exemplar write alone, in a hot loop inside a sampled span.

    A few µs disappear in a ~200 µs request's noise; this says what they are.
    """
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from prometheus_client import CollectorRegistry, Histogram

    from axiomod_metrics.exemplars import exemplar_of_current_span

    number, rounds = options.sizes(number=20000, rounds=21, quick_number=2000, quick_rounds=3)
    histogram = Histogram("floor_exemplar_seconds", "f", registry=CollectorRegistry())
    span = TracerProvider().get_tracer("bench").start_span("request")

    def plain() -> None:
        histogram.observe(0.0002)

    def with_exemplar() -> None:
        histogram.observe(0.0002, exemplar_of_current_span())

    with trace.use_span(span, end_on_exit=True):
        timings = interleave(
            {"observe": plain, "observe + exemplar": with_exemplar}, number=number, rounds=rounds
        )
    added = timings["observe + exemplar"].median - timings["observe"].median
    yield Figure.from_timings(
        "metrics.exemplars.floor",
        timings["observe"],
        timings["observe + exemplar"],
        extra={"added_us": round(added * 1e6, 3)},
    )


# --------------------------------------------------------------------------- 2. gunicorn


def _server(options: Options) -> Iterator[Figure]:
    bursts, rounds = (60, 3) if options.quick else (500, 10)
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-gunicorn-"))
    database = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database, "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    migrate(env)
    seed_invoices(env, 20)
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    try:
        for variant in ("none", "axiomod", "django_prometheus"):
            server_env = {
                **env,
                "AXIOMOD_BENCH_METRICS": variant,
                "PYTHONPATH": str(REPO_ROOT),
            }
            servers[variant] = start_gunicorn(server_env, workdir / f"{variant}.log")
        for path in ("/ping", "/invoices/"):
            cpu: dict[str, list[float]] = {v: [] for v in servers}
            say(f"metrics: gunicorn CPU per request on {path}, {rounds} rounds x {bursts}")
            for round_index in range(rounds + 1):
                order = list(servers)
                shift = round_index % len(order)
                for variant in order[shift:] + order[:shift]:
                    process, port = servers[variant]
                    before = cpu_ns_of(process.pid)
                    for _ in range(bursts):
                        http_get(port, path)
                    spent = (cpu_ns_of(process.pid) - before) / 1e9
                    if round_index:  # the first round warms up
                        cpu[variant].append(spent / bursts)
            base = statistics.median(cpu["none"])
            label = path.strip("/") or "root"
            for variant in ("axiomod", "django_prometheus"):
                yield Figure(
                    f"metrics.server.{label}.{variant}",
                    base,
                    statistics.median(cpu[variant]),
                    "s/request",
                    baseline_name="gunicorn, no metrics middleware (CPU)",
                    candidate_name=f"gunicorn, {variant} (CPU)",
                    extra={"rounds": rounds, "requests_per_round": bursts, "path": path},
                )
    finally:
        terminate_all(process for process, _ in servers.values())
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- 3. scrapes


def _worker(directory: str, series: range, requests: int) -> None:
    """Fork a process that records like a worker (its own mmap files), then exits."""
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        return
    try:
        from prometheus_client import CollectorRegistry, Counter, Histogram, values

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        values.ValueClass = values.MultiProcessValue()
        registry = CollectorRegistry()
        counter = Counter("bench_requests_total", "r", ["path"], registry=registry)
        histogram = Histogram(
            "bench_request_seconds", "d", ["path"], registry=registry, buckets=(0.01, 0.1, 1.0)
        )
        for _ in range(requests):
            for i in series:
                counter.labels(f"/p{i}").inc()
                histogram.labels(f"/p{i}").observe(0.05)
    finally:
        os._exit(0)


def _scrape_timer(collector_class, directory: str):
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    collector_class(registry, path=directory)
    return lambda: generate_latest(registry)


def _scrape(options: Options, restarts: int) -> Iterator[Figure]:
    from prometheus_client.multiprocess import MultiProcessCollector

    from axiomod_metrics.multiprocess import CompactingCollector, compact

    rounds = 3 if options.quick else 9
    # 1,000 label values x (1 counter + 5 histogram samples + sum/count) ~= 5,000+ series.
    labels = 700 if not options.quick else 200
    root = Path(tempfile.mkdtemp(prefix="axiomod-bench-scrape-"))
    try:
        upstream, compacted = root / "upstream", root / "axiomod"
        upstream.mkdir()
        say(f"metrics: scrape, {labels} label values from 4 workers")
        for _ in range(4):
            _worker(str(upstream), range(labels), 1)
        shutil.copytree(upstream, compacted)
        before = interleave(
            {
                "upstream": _scrape_timer(MultiProcessCollector, str(upstream)),
                "axiomod": _scrape_timer(CompactingCollector, str(compacted)),
            },
            number=1,
            rounds=rounds,
        )
        series = sum(
            len(m.samples) for m in CompactingCollector(None, path=str(compacted)).collect()
        )
        yield Figure.from_timings(
            "metrics.scrape.fresh",
            before["upstream"],
            before["axiomod"],
            extra={"series": series, "files": 4 * 2},
        )

        say(f"metrics: {restarts} short-lived workers (max_requests restarts)")
        for index in range(restarts):
            start = (index * 37) % labels
            _worker(str(upstream), range(start, min(start + 20, labels)), 5)
        shutil.rmtree(compacted)
        shutil.copytree(upstream, compacted)
        files_before = len(list(compacted.glob("*.db")))
        started = time.perf_counter()
        folded = compact(str(compacted))
        compaction = time.perf_counter() - started
        after = interleave(
            {
                "upstream": _scrape_timer(MultiProcessCollector, str(upstream)),
                "axiomod": _scrape_timer(CompactingCollector, str(compacted)),
            },
            number=1,
            rounds=rounds,
        )
        yield Figure.from_timings(
            "metrics.scrape.after_restarts",
            after["upstream"],
            after["axiomod"],
            extra={
                "restarts": restarts,
                "files_upstream": files_before,
                "files_axiomod": len(list(compacted.glob("*.db"))),
                "one_off_compaction_seconds": compaction,
                "files_folded": folded,
            },
        )
        yield Figure(
            "metrics.scrape.axiomod_flatness",
            before["axiomod"].median,
            after["axiomod"].median,
            "s/call",
            baseline_name="axiomod scrape, fresh",
            candidate_name=f"axiomod scrape after {restarts} restarts",
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _live_worker(directory: str, labels: int) -> tuple[int, int]:
    """Fork a worker that records ``labels`` series, starts its GC recorder and stays up.

    Returns (pid, fd of the pipe the worker waits on); the benchmark kills it at the end.
    """
    ready_r, ready_w = os.pipe()
    stop_r, stop_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(ready_w)
        os.close(stop_r)
        os.read(ready_r, 1)
        os.close(ready_r)
        return pid, stop_w
    try:
        os.close(ready_r)
        os.close(stop_w)
        from prometheus_client import CollectorRegistry, Counter, Histogram, values

        from axiomod_metrics import process

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        values.ValueClass = values.MultiProcessValue()
        registry = CollectorRegistry()
        counter = Counter("bench_requests_total", "r", ["path"], registry=registry)
        histogram = Histogram("bench_request_seconds", "d", ["path"], registry=registry)
        for i in range(labels):
            counter.labels(f"/p{i}").inc()
            histogram.labels(f"/p{i}").observe(0.05)
        process.install_gc_recorder()
        os.write(ready_w, b"x")
        os.read(stop_r, 1)  # until the benchmark closes its end
    finally:
        os._exit(0)


def _process_metrics(options: Options, workers: int) -> Iterator[Figure]:
    from axiomod_metrics.multiprocess import CompactingCollector

    rounds = 5 if options.quick else 21
    labels = 20  # a small service's routes x statuses per worker
    root = Path(tempfile.mkdtemp(prefix="axiomod-bench-process-"))
    children: list[tuple[int, int]] = []
    try:
        say(f"metrics: scrape with/without process metrics, {workers} live workers")
        children = [_live_worker(str(root), labels) for _ in range(workers)]
        without = CompactingCollector(None, path=str(root), process_metrics=False)
        with_them = CompactingCollector(None, path=str(root))

        def scrape(collector):
            from prometheus_client import CollectorRegistry, generate_latest

            registry = CollectorRegistry()
            registry.register(collector)
            return lambda: generate_latest(registry)

        timings = interleave(
            {"without": scrape(without), "with": scrape(with_them)}, number=1, rounds=rounds
        )
        series = sum(len(m.samples) for m in with_them.collect())
        extra_series = series - sum(len(m.samples) for m in without.collect())
        added = timings["with"].median - timings["without"].median
        yield Figure.from_timings(
            "metrics.scrape.process_metrics",
            timings["without"],
            timings["with"],
            extra={
                "workers": workers,
                "series": series,
                "process_series": extra_series,
                "added_ms": round(added * 1e3, 3),
                "added_ms_per_process": round(added * 1e3 / (workers + 1), 4),
            },
        )
    finally:
        for pid, stop in children:
            # Not EOF on the pipe: later workers inherited earlier workers' ends of it.
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(stop)
        shutil.rmtree(root, ignore_errors=True)


@benchmark("metrics")
def run(options: Options) -> Iterator[Figure]:
    """HTTP metrics cost per request (in-process and gunicorn CPU) and scrape time."""
    parser = argparse.ArgumentParser(prog="bench metrics")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-scrape", action="store_true")
    parser.add_argument("--restarts", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--only", choices=["exemplars", "process"], default=None)
    args = parser.parse_args(list(options.extra))
    setup_django(AXIOMOD_BENCH_METRICS="none")
    if args.only is None:
        yield from _in_process(options)
    if args.only != "process":
        yield from _exemplars(options)
    if args.only == "exemplars":
        return
    if not args.skip_scrape:
        yield from _process_metrics(options, args.workers or (4 if options.quick else 8))
        if args.only == "process":
            return
        restarts = args.restarts or (40 if options.quick else 300)
        yield from _scrape(options, restarts)
    if not args.skip_server:
        yield from _server(options)
