"""Benchmark ``db``: what pooling buys under gunicorn, and what instrumentation costs a query.

1. ``db.server.*``: the example's database-backed ``/invoices/`` under gunicorn (2 sync
   workers) on a fresh PostgreSQL database, three servers loaded in interleaved bursts by
   client threads: Django's default (a new connection per request, ``CONN_MAX_AGE=0``),
   persistent connections (``CONN_MAX_AGE``) and axiomod's default, Django's psycopg pool
   through ``axiomod.db.database()``. Requests per second (the load generator shares the
   two cores, so these understate the server) and server CPU per request (schedstat).
   Target: the pool at least 2x the requests per second of connect-per-request.
2. ``db.query.*``: ``cursor.execute("SELECT 1")`` on one open connection, with and without
   axiomod's execute wrapper (slow-query check + ``db_query_duration_seconds``), on
   PostgreSQL and on SQLite (where a query costs a few µs, so the wrapper shows most).
   Target: < 10 µs added per query.
3. ``db.query_span.*``: what SQL spans add to that query, against today's wrapper (the
   same QueryInstrument minus the span check, :class:`_TodayInstrument`), variants taking
   turns on the same cursor: ``off`` (no current span: tracing off, or a request the
   middleware did not trace), ``unsampled`` (a non-recording request span is current,
   as the middleware leaves for an unsampled request), ``sampled`` (a recording parent
   span from axiomod's production provider, ratio 1, BatchSpanProcessor in front of an
   exporter that counts and drops). Target: < 1 µs added per query unsampled and off;
   sampled is reported. ``db.sanitize.uncached``: sanitising an ORM ``SELECT`` the
   first time (later ones hit the cache), against the cache hit.

Options after ``--``: ``--threads N`` (default 4), ``--seconds S`` per server and round.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from axiomod.testing import terminate_all
from bench.harness import REPO_ROOT, Figure, Options, Variant, benchmark, cpu_ns_of, interleave
from bench.harness import note as say
from bench.support import (
    counting_exporter,
    http_get,
    migrate,
    seed_invoices,
    setup_django,
    start_gunicorn,
)

ADMIN_URL = os.environ.get(
    "AXIOMOD_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
MODES = {
    "connect per request": "pool=False, max_lifetime=0",
    "persistent connections": "pool=False, max_lifetime=600",
    "pool": "",
}


def _load(port: int, seconds: float, threads: int) -> int:
    count = [0] * threads
    until = time.monotonic() + seconds

    def client(index: int) -> None:
        while time.monotonic() < until:
            http_get(port, "/invoices/")
            count[index] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(count)


def _server(options: Options, url: str, workdir: Path, threads: int, seconds: float):
    rounds = 2 if options.quick else 4
    base_env = {
        **os.environ,
        "DATABASE_URL": url,
        "PYTHONPATH": f"{workdir}{os.pathsep}{REPO_ROOT}",
        "AXIOMOD_DRAIN_SECONDS": "0",
        "AXIOMOD_BENCH_METRICS": "axiomod",
    }
    base_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    servers = {}
    try:
        for index, (name, arguments) in enumerate(MODES.items()):
            module = f"db_bench_settings_{index}"
            (workdir / f"{module}.py").write_text(
                "import os\nfrom bench.metrics_project import *  # noqa\n"
                "from axiomod.db import database\n"
                f"DATABASES = {{'default': database(os.environ['DATABASE_URL'], {arguments})}}\n"
            )
            env = {**base_env, "DJANGO_SETTINGS_MODULE": module}
            if index == 0:
                migrate(env)
                seed_invoices(env)
            servers[name] = start_gunicorn(env, workdir / f"{index}.log", ready_path="/invoices/")
        served: dict[str, list[float]] = {name: [] for name in servers}
        cpu: dict[str, list[float]] = {name: [] for name in servers}
        say(f"db: {rounds} rounds x {seconds:g} s per server, {threads} client threads")
        names = list(servers)
        for round_index in range(rounds + 1):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                process, port = servers[name]
                before = cpu_ns_of(process.pid)
                started = time.monotonic()
                done = _load(port, seconds, threads)
                elapsed = time.monotonic() - started
                if round_index:  # round 0 warms up
                    served[name].append(done / elapsed)
                    cpu[name].append((cpu_ns_of(process.pid) - before) / 1e9 / done)
        base = "connect per request"
        for name in ("persistent connections", "pool"):
            yield Figure(
                f"db.server.requests_per_second.{name.replace(' ', '_')}",
                statistics.median(served[base]),
                statistics.median(served[name]),
                "1/s",
                baseline_name=f"{base} (Django's default), req/s",
                candidate_name=f"{name}, req/s",
                extra={"target_ratio_min": 2.0 if name == "pool" else None},
            )
            yield Figure(
                f"db.server.cpu_per_request.{name.replace(' ', '_')}",
                statistics.median(cpu[base]),
                statistics.median(cpu[name]),
                "s/request",
                baseline_name=f"{base}, server CPU",
                candidate_name=f"{name}, server CPU",
            )
    finally:
        terminate_all(process for process, _ in servers.values())


def _per_query(options: Options, url: str, workdir: Path) -> Iterator[Figure]:
    from django.db import connections

    from axiomod.db import database
    from axiomod.db.instrumentation import QueryInstrument

    number, rounds = options.sizes(number=2000, rounds=30, quick_number=200, quick_rounds=4)
    targets = {
        "postgresql": database(url, pool=False, max_lifetime=600),
        "sqlite": database(f"sqlite:///{workdir / 'query.sqlite3'}"),
    }
    for vendor, config in targets.items():
        alias = f"bench_{vendor}"
        connections.settings[alias] = connections.configure_settings(
            {"default": config, alias: config}
        )[alias]
        wrapper = connections[alias]
        wrapper.ensure_connection()
        instrument = next(w for w in wrapper.execute_wrappers if isinstance(w, QueryInstrument))

        exporter = counting_exporter()
        timings = _time_queries(wrapper, instrument, exporter, number, rounds)
        yield Figure.from_timings(
            f"db.query.{vendor}", timings["bare"], timings["axiomod off"],
            extra={
                "added_seconds_per_query": _added(timings, "axiomod off", "bare"),
                "target_added_seconds_max": 10e-6,
            },
        )  # fmt: skip
        for label in ("off", "unsampled", "sampled"):
            extra: dict = {
                "added_seconds_per_query": _added(timings, f"axiomod {label}", "today"),
            }
            if label == "sampled":
                extra["spans_exported"] = exporter.count
                extra["span_names"] = sorted(exporter.names)
            else:
                extra["target_added_seconds_max"] = 1e-6
            yield Figure.from_timings(
                f"db.query_span.{label}.{vendor}", timings["today"], timings[f"axiomod {label}"],
                extra=extra,
            )  # fmt: skip
        wrapper.close()
    yield _sanitize_figure(number, rounds)


def _added(timings: dict, candidate: str, baseline: str) -> float:
    """Median over rounds of the per-query difference (both measured in each round)."""
    return statistics.median(
        a - b for a, b in zip(timings[candidate].per_call, timings[baseline].per_call, strict=True)
    )


def _today_class():
    from axiomod.db.instrumentation import QueryInstrument

    class _TodayInstrument(QueryInstrument):
        """QueryInstrument as it was before SQL spans: the same metrics and slow-query
        log, no ``recording()`` check (the baseline of ``db.query_span.*``)."""

        def __call__(self, execute, sql, params, many, context):
            start = time.perf_counter()
            status = "success"
            try:
                return execute(sql, params, many, context)
            except BaseException:
                status = "error"
                raise
            finally:
                elapsed = time.perf_counter() - start
                if self.metrics:
                    self._record(sql, status, elapsed, context)
                if elapsed >= self.slow_seconds:
                    self._slow(sql, params, elapsed)

    return _TodayInstrument


def _time_queries(wrapper, instrument, exporter, number: int, rounds: int):
    """``SELECT 1`` on one open cursor: no wrapper, today's wrapper, and the new one with
    no current span, a non-recording one, a recording one (axiomod's provider, ratio 1)."""
    from django.conf import settings as django_settings
    from django.test import override_settings
    from opentelemetry import context, trace

    from axiomod import tracing
    from axiomod.tracing.setup import build_provider

    axiomod = dict(django_settings.AXIOMOD)
    conf = {**axiomod.get("tracing", {}), "exporter": "otlp", "sample_ratio": 1.0}
    with override_settings(AXIOMOD={**axiomod, "tracing": conf}):
        provider = build_provider(exporter, processor="batch")
    tracing.configure(provider=provider)
    today = _today_class()(wrapper.alias)
    parent = tracing.tracer().start_span("GET /bench")
    unsampled = trace.NonRecordingSpan(
        trace.SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, False)
    )
    contexts = {
        "off": context.Context(),
        "unsampled": trace.set_span_in_context(unsampled, context.Context()),
        "sampled": trace.set_span_in_context(parent, context.Context()),
    }
    cursor = wrapper.cursor()

    def query() -> None:
        cursor.execute("SELECT 1")

    def using(wrappers: list, current: context.Context):
        def setup() -> None:
            wrapper.execute_wrappers[:] = wrappers
            context.attach(current)  # stays current for the timed run that follows

        return setup

    try:
        variants = {
            "bare": Variant(query, setup=using([], contexts["off"])),
            "today": Variant(query, setup=using([today], contexts["sampled"])),
        }
        for label, current in contexts.items():
            variants[f"axiomod {label}"] = Variant(query, setup=using([instrument], current))
        return interleave(variants, number=number, rounds=rounds)
    finally:
        context.attach(context.Context())
        wrapper.execute_wrappers[:] = [instrument]
        cursor.close()
        parent.end()
        tracing.shutdown()  # flushes: the exporter's count includes every span


def _sanitize_figure(number: int, rounds: int) -> Figure:
    """An ORM ``SELECT`` sanitised on a cache miss vs a hit (raw SQL with changing inline
    values always misses)."""
    from axiomod.db.sanitize import sanitize

    sql = (
        'SELECT "invoices_invoice"."id", "invoices_invoice"."number", '
        '"invoices_invoice"."customer", "invoices_invoice"."amount", '
        '"invoices_invoice"."currency", "invoices_invoice"."status", '
        '"invoices_invoice"."created_at" FROM "invoices_invoice" WHERE '
        '"invoices_invoice"."customer" = %s ORDER BY "invoices_invoice"."created_at" DESC '
        "LIMIT 21"
    )
    timings = interleave(
        {
            "cached": lambda: sanitize(sql),
            "uncached": lambda: sanitize.__wrapped__(sql),
        },
        number=max(number // 10, 20),
        rounds=rounds,
    )
    return Figure.from_timings("db.sanitize.uncached", timings["cached"], timings["uncached"])


@benchmark("db")
def run(options: Options) -> Iterator[Figure]:
    """Pool on/off under gunicorn (req/s, CPU) and the per-query instrumentation cost."""
    import psycopg

    parser = argparse.ArgumentParser(prog="bench db")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args(list(options.extra))
    seconds = args.seconds or (2.0 if options.quick else 5.0)

    name = f"axiomod_bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-db-"))
    try:
        setup_django(AXIOMOD_BENCH_METRICS="axiomod")
        yield from _per_query(options, url, workdir)
        if not args.skip_server:
            yield from _server(options, url, workdir, args.threads, seconds)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
