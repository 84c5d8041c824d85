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
from bench.support import http_get, migrate, seed_invoices, setup_django, start_gunicorn

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

        timings = _time_queries(wrapper, instrument, number, rounds)
        added = statistics.median(
            a - b
            for a, b in zip(timings["axiomod"].per_call, timings["bare"].per_call, strict=True)
        )
        yield Figure.from_timings(
            f"db.query.{vendor}", timings["bare"], timings["axiomod"],
            extra={"added_seconds_per_query": added, "target_added_seconds_max": 10e-6},
        )  # fmt: skip
        wrapper.close()


def _time_queries(wrapper, instrument, number: int, rounds: int):
    """``SELECT 1`` on one open cursor, the wrapper list emptied or holding axiomod's."""
    cursor = wrapper.cursor()

    def query() -> None:
        cursor.execute("SELECT 1")

    def without() -> None:
        wrapper.execute_wrappers[:] = []

    def with_instrument() -> None:
        wrapper.execute_wrappers[:] = [instrument]

    try:
        return interleave(
            {
                "bare": Variant(query, setup=without),
                "axiomod": Variant(query, setup=with_instrument),
            },
            number=number,
            rounds=rounds,
        )
    finally:
        wrapper.execute_wrappers[:] = [instrument]
        cursor.close()


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
