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

Mode ``storm`` (``--mode storm``; ``all``, the default, runs both): ``/live`` latency
while a ``/ready`` storm meets hanging dependencies, under real gunicorn, gthread (1
worker, 8 threads), sync (2 workers) and sync with ``health.background``. Two checks
connect to a loopback server that accepts and never answers; their clients give up
after 1.5 s, past ``check_timeout`` (1 s), so every run after the cache expires leads
with a 1 s wait. ``STORM_CLIENTS`` threads (in a process of their own) fire ``/ready``,
each on a new connection as kubelets and load balancers do, 50 ms apart, while
``/live`` is sent every 10 ms on a fixed schedule (latency from the time each was due).
The baseline is the same ``/live`` prober with no storm, in alternating bursts on the
same server. Target: ``/live`` p99 < 50 ms during the storm (Kubernetes' default
liveness timeout is 1 s). Before/after a change cannot be compared in one run: the
figure is the ratio storm / no storm.

Options after ``--``: ``--mode all|ready|storm``, ``--threads N`` (default 4),
``--seconds S`` per endpoint (ready) or per side and server (storm).
"""

from __future__ import annotations

import argparse
import http.client
import math
import multiprocessing
import os
import secrets
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

from axiomod.testing import terminate_all
from bench.harness import REPO_ROOT, Figure, Options, benchmark
from bench.harness import note as say
from bench.support import migrate, start_gunicorn

ADMIN_URL = os.environ.get(
    "AXIOMOD_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
TTL = 2.0
WORKERS = 2
STORM_CLIENTS = 20
STORM_PAUSE = 0.05  # each storm client: a /ready, its answer, 50 ms, the next
LIVE_INTERVAL = 0.01
_FORK = multiprocessing.get_context("fork")
#: (name, gunicorn arguments, health settings) of the servers the storm mode measures.
STORM_SERVERS = (
    ("gthread", "--worker-class gthread --threads 8 --workers 1", {}),
    ("sync", "--worker-class sync --workers 2", {}),
    ("sync_background", "--worker-class sync --workers 2", {"background": True, "interval": 2.0}),
)


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
    """/ready with a warm cache and database pings; /live during a /ready storm."""
    parser = argparse.ArgumentParser(prog="bench health")
    parser.add_argument("--mode", choices=("all", "ready", "storm"), default="all")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args(list(options.extra))
    if args.mode in {"all", "ready"}:
        yield from _ready(options, args)
    if args.mode in {"all", "storm"}:
        yield from _storm(options, args)


def _ready(options: Options, args: argparse.Namespace) -> Iterator[Figure]:
    """/ready latency with a warm cache, and database pings per second, under gunicorn."""
    import psycopg

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
            terminate_all([server])
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


class _Blackhole:
    """A loopback server that accepts connections and never answers (a hung dependency)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.held.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()


STORM_CHECKS = """\
import os
import socket


def _call_hung_dependency():
    # A client whose own timeout (1.5 s) is longer than check_timeout (1 s).
    with socket.create_connection(("127.0.0.1", int(os.environ["BENCH_HUNG_PORT"])), 2) as s:
        s.settimeout(1.5)
        s.recv(1)


def redis():
    _call_hung_dependency()


def kafka():
    _call_hung_dependency()
"""


def _get(port: int, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return response.status, time.perf_counter() - start


def _live_prober(port: int, until: float, latencies: list[float]) -> None:
    """``/live`` every ``LIVE_INTERVAL`` on a fixed schedule, as a kubelet probes.

    Each probe is sent on time whether or not the previous one has been answered (a
    prober that waits for each answer sends one probe per stall and hides the stall:
    coordinated omission); its latency counts from the time it was due.
    """
    errors: list[str] = []

    def one(due: float) -> None:
        try:
            status, _ = _get(port, "/live")
        except OSError as exc:
            errors.append(repr(exc))
            return
        if status != 200:
            errors.append(f"/live answered {status}")
        latencies.append(time.perf_counter() - due)

    with futures.ThreadPoolExecutor(max_workers=200, thread_name_prefix="live") as pool:
        due = time.perf_counter()
        while time.monotonic() < until:
            pool.submit(one, due)
            due += LIVE_INTERVAL
            time.sleep(max(0.0, due - time.perf_counter()))
    if errors:
        raise RuntimeError(f"{len(errors)} /live probes failed, first: {errors[0]}")


def _ready_client(port: int, until: float, statuses: list[int]) -> None:
    own = []
    while time.monotonic() < until:
        own.append(_get(port, "/ready")[0])
        time.sleep(STORM_PAUSE)
    statuses.extend(own)  # list.extend is atomic under the GIL


def _storm_process(port: int, until: float, answers: Any) -> None:
    """The storm's clients, in a process of their own so that they do not take the GIL
    from the ``/live`` prober (its latency would then be the client's, not the server's)."""
    statuses: list[int] = []
    threads = [
        threading.Thread(target=_ready_client, args=(port, until, statuses))
        for _ in range(STORM_CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.send(statuses)


def _storm(options: Options, args: argparse.Namespace) -> Iterator[Figure]:
    """/live p50/p99 during a /ready storm against hanging checks vs without the storm."""
    seconds = args.seconds or (2.0 if options.quick else 20.0)
    rounds = 2 if options.quick else 4
    burst = seconds / rounds
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-health-storm-"))
    (workdir / "health_storm_checks.py").write_text(STORM_CHECKS)
    blackhole = _Blackhole()
    say(
        f"health storm: {STORM_CLIENTS} /ready clients against 2 hanging checks, /live every "
        f"{LIVE_INTERVAL * 1000:g} ms; {rounds} bursts of {burst:g} s per side and server"
    )
    try:
        for name, gunicorn_args, health in STORM_SERVERS:
            module = f"health_storm_{name}"
            (workdir / f"{module}.py").write_text(
                "from bench.metrics_project import *  # noqa\n"
                f"DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', "
                f"'NAME': {str(workdir / 'unused.sqlite3')!r}}}}}\n"
                "AXIOMOD = {**AXIOMOD, 'health': {\n"
                f"    'cache_ttl': {TTL}, 'check_timeout': 1.0,\n"
                "    'disabled': ['database:default', 'cache:default', 'invoices-table'],\n"
                "    'checks': ['health_storm_checks.redis', 'health_storm_checks.kafka'],\n"
                f"    **{health!r}}}}}\n"
            )
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": module,
                "AXIOMOD_BENCH_METRICS": "axiomod",
                "PYTHONPATH": f"{workdir}{os.pathsep}{REPO_ROOT}",
                "AXIOMOD_DRAIN_SECONDS": "0",
                "BENCH_HUNG_PORT": str(blackhole.port),
                "GUNICORN_CMD_ARGS": gunicorn_args,
            }
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
            server, port = start_gunicorn(env, workdir / f"{name}.log", ready_path="/live")
            try:
                yield from _storm_one(name, gunicorn_args, health, port, burst, rounds)
            finally:
                terminate_all([server])
    finally:
        blackhole.close()


def _storm_one(
    name: str, gunicorn_args: str, health: dict, port: int, burst: float, rounds: int
) -> Iterator[Figure]:
    _get(port, "/ready")  # the first run (1 s): later probes have a report to answer from
    quiet: list[float] = []
    storm: list[float] = []
    statuses: list[int] = []
    for round_index in range(rounds):
        for stormy in (round_index % 2 == 0, round_index % 2 == 1):
            until = time.monotonic() + burst
            latencies: list[float] = []
            prober = threading.Thread(target=_live_prober, args=(port, until, latencies))
            if stormy:
                receiving, sending = multiprocessing.Pipe(duplex=False)
                clients = _FORK.Process(target=_storm_process, args=(port, until, sending))
                clients.start()
                time.sleep(0.1)  # the storm is under way before /live is measured
            prober.start()
            prober.join()
            if stormy:
                statuses.extend(receiving.recv())
                clients.join()
            (storm if stormy else quiet).extend(latencies)
    say(
        f"  {name}: /live p99 {_percentile(quiet, 99) * 1000:.1f} ms quiet, "
        f"{_percentile(storm, 99) * 1000:.1f} ms during the storm (p99.9 "
        f"{_percentile(storm, 99.9) * 1000:.1f} ms, max {max(storm) * 1000:.1f} ms, "
        f"{sum(x > 0.05 for x in storm)} of {len(storm)} over 50 ms); "
        f"{len(statuses)} /ready answers"
    )
    for stat, percent in (("p50", 50), ("p99", 99)):
        yield Figure(
            f"health.live_during_ready_storm.{name}.{stat}",
            _percentile(quiet, percent),
            _percentile(storm, percent),
            "s/request",
            baseline_name=f"/live {stat}, no storm",
            candidate_name=f"/live {stat} during a /ready storm ({STORM_CLIENTS} clients)",
            extra={
                "gunicorn": gunicorn_args,
                "health": health,
                "live_requests": [len(quiet), len(storm)],
                "live_p999": [_percentile(quiet, 99.9), _percentile(storm, 99.9)],
                "live_max": [max(quiet), max(storm)],
                "live_over_50ms": [sum(x > 0.05 for x in quiet), sum(x > 0.05 for x in storm)],
                "ready_answers": len(statuses),
                "ready_503": statuses.count(503),
                "target_p99_seconds": 0.05,
            },
        )
