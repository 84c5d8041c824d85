"""Benchmark ``health``: ``/ready`` under concurrent probes, and what it costs the database.

The example runs under gunicorn (2 workers) on a fresh PostgreSQL database; client
threads probe it in interleaved bursts of each endpoint:

* ``/live`` (no checks): the baseline for latency;
* ``/ready`` with a warm cache (``cache_ttl`` 2 s): target p99 < 5 ms;
* django-health-check's own view with its Database check (``/dhc/?format=json``), which
  runs the check on every request: the reference axiomod improves on.

Database pings are counted by PostgreSQL itself: the ``sessions`` of the database in
``pg_stat_database`` (the Database check opens a temporary connection for its
``SELECT 1``; the example's own ``invoices-table`` check is disabled here), per second of
each endpoint's bursts. Target: at most workers / ``cache_ttl`` per second for ``/ready``
whatever the probe rate.

Options after ``--``: ``--threads N`` (default 4), ``--seconds S`` per endpoint.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench.harness import REPO_ROOT, Figure, Options, benchmark
from bench.harness import note as say
from bench.support import migrate, start_gunicorn, stop

ADMIN_URL = os.environ.get(
    "AXIOMOD_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
TTL = 2.0
WORKERS = 2


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * (len(ordered) - 1))))
    return ordered[index]


def _probe(port: int, path: str, until: float, latencies: list[float], lock: threading.Lock):
    own = []
    while time.monotonic() < until:
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        own.append(time.perf_counter() - start)
        if response.status >= 500:
            raise RuntimeError(f"{path} answered {response.status}")
    with lock:
        latencies.extend(own)


def _sessions(admin, database: str) -> int:
    """Sessions PostgreSQL has seen on ``database``: a database check opens one per run."""
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [database])
        return cursor.fetchone()[0]


@benchmark("health")
def run(options: Options) -> Iterator[Figure]:
    """/ready latency with a warm cache, and database pings per second, under gunicorn."""
    import psycopg

    parser = argparse.ArgumentParser(prog="bench health")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args(list(options.extra))
    seconds = args.seconds or (3.0 if options.quick else 30.0)
    rounds = 2 if options.quick else 3

    database = f"axiomod_bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{database}"')
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-health-"))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    settings_file = workdir / "health_bench_settings.py"
    settings_file.write_text(
        "import os\n"
        "from bench.metrics_project import *  # noqa\n"
        "from axiomod.db import database\n"
        # No pool and no persistent connection: every database ping is a session
        # PostgreSQL counts, for our probes and django-health-check's alike.
        "DATABASES = {'default': database(os.environ['DATABASE_URL'], pool=False,"
        " max_lifetime=0)}\n"
        "AXIOMOD = {**AXIOMOD, 'health': {\n"
        f"    'cache_ttl': {TTL}, 'disabled': ['cache:default', 'invoices-table']}}}}\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "health_bench_settings",
        "AXIOMOD_BENCH_METRICS": "axiomod",
        "DATABASE_URL": url,
        "PYTHONPATH": f"{workdir}{os.pathsep}{REPO_ROOT}",
        "AXIOMOD_DRAIN_SECONDS": "0",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = None
    try:
        migrate(env)
        server, port = start_gunicorn(
            env, workdir / "gunicorn.log", workers=WORKERS, ready_path="/live"
        )

        endpoints = {"/live": "live", "/ready": "ready", "/dhc/?format=json": "django-health-check"}
        latencies = {name: [] for name in endpoints.values()}
        pings = {name: 0 for name in endpoints.values()}
        elapsed = {name: 0.0 for name in endpoints.values()}
        burst = seconds / rounds
        say(f"health: {args.threads} client threads, {rounds} bursts of {burst:g} s per endpoint")
        for round_index in range(rounds + 1):  # round 0 warms up (and fills /ready's cache)
            order = list(endpoints.items())
            shift = round_index % len(order)
            for path, name in order[shift:] + order[:shift]:
                lock = threading.Lock()
                collected: list[float] = []
                before = _sessions(admin, database)
                started = time.monotonic()
                until = started + burst
                threads = [
                    threading.Thread(target=_probe, args=(port, path, until, collected, lock))
                    for _ in range(args.threads)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                spent = time.monotonic() - started
                time.sleep(0.3)  # let the last checks' sessions end and report
                if round_index:
                    latencies[name].extend(collected)
                    pings[name] += _sessions(admin, database) - before
                    elapsed[name] += spent
        live, ready, dhc = (latencies[n] for n in ("live", "ready", "django-health-check"))
        for stat, percent in (("p50", 50), ("p99", 99)):
            yield Figure(
                f"health.ready.{stat}",
                _percentile(live, percent),
                _percentile(ready, percent),
                "s/request",
                baseline_name=f"/live {stat} (no checks)",
                candidate_name=f"/ready {stat} (warm cache)",
                extra={"requests": len(ready), "target_p99_seconds": 0.005},
            )
            yield Figure(
                f"health.ready_vs_django_health_check.{stat}",
                _percentile(dhc, percent),
                _percentile(ready, percent),
                "s/request",
                baseline_name=f"django-health-check view {stat} (checks every request)",
                candidate_name=f"/ready {stat}",
            )
        probes_per_second = len(ready) / elapsed["ready"]
        yield Figure(
            "health.ready.db_pings_per_second",
            probes_per_second,
            pings["ready"] / elapsed["ready"],
            "1/s",
            baseline_name="/ready probes per second (one ping each without the cache)",
            candidate_name="database sessions (pings) per second during /ready bursts",
            extra={
                "bound_workers_over_ttl": WORKERS / TTL,
                # A burst of B seconds starts with an expired cache: ceil(B / TTL) runs.
                "bound_for_these_bursts": WORKERS * math.ceil(burst / TTL) / burst,
                "django_health_check_pings_per_second": pings["django-health-check"]
                / elapsed["django-health-check"],
                "django_health_check_probes_per_second": len(dhc) / elapsed["django-health-check"],
                "median_ready_latency": statistics.median(ready),
            },
        )
    finally:
        if server is not None:
            stop([server])
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
