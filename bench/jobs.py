"""Benchmark ``jobs``: a no-op job's round trip, axiomod's Celery app against a bare one.

What is timed is what a caller waits for: ``task.delay().get()`` of a job that does
nothing, from this process, through Redis to a real ``celery worker`` subprocess and back
(the result comes back through the Redis result backend, which Celery's client waits on
with a pub/sub subscription, not by polling). Every round trip is timed on its own with
``time.perf_counter``, one after the other (one job in flight at a time).

* Baseline (``bare Celery``): ``bench/jobs_project/bare.py``, a bare
  ``celery.Celery(broker=url, backend=url)`` app with a no-op ``@app.task``, every other
  setting at Celery's default, no Django in the worker (it is started without
  ``DJANGO_SETTINGS_MODULE``, so Celery's Django fixup is not installed either). Redis
  database 14 is its broker and its result backend. This is what the issue asks to be
  compared with ("a bare Celery app with the same broker"): the cost of Celery itself,
  so the ratio is what axiomod and the Django project around it add on top.
* Candidate (``axiomod``): ``bench/jobs_project/celery.py``, ``axiomod_jobs.create_app()``
  in a Django project with ``axiomod``, ``axiomod_metrics`` and ``axiomod_jobs`` installed
  (``bench/jobs_project/settings.py``), and a no-op ``@job`` (``jobs.py``): axiomod's job
  metrics' signal handlers are connected (``task_prerun``/``postrun``/``success``: the
  in-progress gauge, the duration histogram, the outcome counter) and ``AXIOMOD["jobs"]``
  is at its defaults except the broker and result backend (Redis database 15): JSON,
  ``task_acks_late``, ``task_reject_on_worker_lost``, prefetch 1, a 300 s time limit,
  the ``default`` queue and axiomod's router (``task_routes``, asked on every
  ``delay()``). The worker's settings that differ from Celery's defaults are read from
  the worker itself and recorded (``worker_conf``), so a figure says which defaults it
  measured (``task_track_started``, a ``STARTED`` state written to the result backend
  before each job, was one of them until commit ``926a7c0``). With the prefork pool the
  worker gets
  ``PROMETHEUS_MULTIPROC_DIR`` (a fresh directory), as axiomod's worker warning asks of a
  prefork worker whose job metrics must be scraped. Celery's Django fixup runs around
  every job (it closes the never-opened database alias and the caches), as in any Django
  project that runs Celery.

Both workers run the same command line: ``celery -A <app> worker --pool prefork
--concurrency 1 --loglevel WARNING --without-mingle --without-gossip --without-heartbeat``.
Prefork, because it is Celery's default pool and the one a service deploys, and the one
where axiomod's defaults act (the time limit, reject-on-worker-lost and late acks concern
the pool's child process; with ``--pool solo`` the time limit is not enforced at all).
One child, because the jobs come one at a time. ``WARNING``: no log line per job on
either side (at ``INFO`` both would write two). ``-- --pool solo`` runs both in the
worker's main process instead.

The benchmark flushes Redis databases 14 and 15 at the start and at the end, starts both
workers, sends one job to each and waits for its result (ready), reads each worker's
non-default configuration through Celery's remote control (``inspect().conf()``), runs a
warm-up round per side (discarded; none with ``--quick``), then the measured rounds:
each round runs N round trips of one side, then N of the other, the order alternating
every round (each side goes first equally often). At the end each worker's own count of
jobs run (``inspect().stats()``) must equal what was sent to it. The workers are stopped
(SIGTERM, then SIGKILL of their process groups) whatever happens, Ctrl-C included.

Figures (``s/job``; ratio = candidate / baseline, above 1 axiomod is slower):

* ``jobs.roundtrip.p50`` / ``jobs.roundtrip.p99``: the percentile of all measured round
  trips of a side (nearest rank); ``extra`` has the percentile of each round, the
  median of the per-round ratios (paired: the two sides of one round saw the same machine), the
  mean, the p99.9 and the targets of the issue: p50 < 10 ms on local Redis, overhead
  < 5 % against bare Celery.
* ``jobs.worker_cpu``: the worker's CPU per job, main process and pool child (schedstat,
  :func:`bench.harness.cpu_ns_of`, read before and after each round), i.e. the in-worker
  cost; ``extra`` also has the Redis server's CPU per job when its process is visible
  (shared with anything else using that Redis: read it as an indication).
* ``jobs.client_cpu``: this process's CPU per round trip (``delay()`` and ``get()``).

The client, the two workers and Redis share the machine's two cores, so the absolute
times are this machine's; the ratios are the result.

Options: ``--number N`` round trips per side per round (default 250; 20 with
``--quick``), ``--rounds R`` (default 30; 2 with ``--quick``). After ``--``: ``--pool
prefork|solo``, ``--loglevel LEVEL`` (both workers), and two probes that change the
candidate (for finding what its overhead is made of; the figures are then not the
defaults'): ``--candidate-conf JSON`` (Celery settings applied to the candidate app with
``app.conf.update``, e.g. ``'{"task_acks_late": false}'``) and ``--without-metrics``
(``axiomod_metrics`` not installed, so the job metrics' handlers are not connected).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axiomod.testing import Samples, log_tail, spawn, stop_group
from bench.harness import REPO_ROOT, Figure, Options, benchmark, cpu_ns_of
from bench.harness import note as say
from bench.support import uncommitted

REDIS = "redis://127.0.0.1:6379"
BASELINE_DB, CANDIDATE_DB = 14, 15
BASELINE_URL, CANDIDATE_URL = f"{REDIS}/{BASELINE_DB}", f"{REDIS}/{CANDIDATE_DB}"
BASELINE_APP, CANDIDATE_APP = "bench.jobs_project.bare", "bench.jobs_project.celery"
BASELINE_TASK, CANDIDATE_TASK = "bench.bare.noop", "bench.jobs.noop"
CANDIDATE_SETTINGS = "bench.jobs_project.settings"
TARGET_P50_SECONDS = 0.010
TARGET_OVERHEAD_PCT = 5.0
#: Longest one measured round trip may take before the run is an error.
ROUND_TRIP_TIMEOUT = 10.0
#: Longest a worker may take to start and answer its first job.
START_TIMEOUT = 60.0
#: Variables that would change what either app connects to or how it records metrics.
#: Celery reads CELERY_BROKER_URL / CELERY_RESULT_BACKEND over an app's own settings.
_FOREIGN_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "PROMETHEUS_MULTIPROC_DIR",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "AXIOMOD_BENCH_JOBS_URL",
    "AXIOMOD_BENCH_JOBS_BARE_URL",
    "AXIOMOD_BENCH_JOBS_CONF",
    "AXIOMOD_BENCH_JOBS_WITHOUT_METRICS",
)
#: Worker settings recorded from ``inspect().conf()`` (the rest would name URLs).
_RECORDED_CONF = (
    "task_acks_late",
    "task_reject_on_worker_lost",
    "worker_prefetch_multiplier",
    "task_track_started",
    "task_time_limit",
    "task_soft_time_limit",
    "task_default_queue",
    "task_routes",
    "task_serializer",
    "result_serializer",
    "result_expires",
    "worker_hijack_root_logger",
)


# --------------------------------------------------------------------------- workers


@dataclass
class _Worker:
    """One ``celery worker`` subprocess in its own process group."""

    side: str
    app: str
    node: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, pool: str, loglevel: str) -> None:
        command = [sys.executable, "-m", "celery", "-A", self.app, "worker"]
        command += ["--pool", pool, "--loglevel", loglevel, "-n", f"{self.node}@%h"]
        if pool == "prefork":
            command += ["--concurrency", "1"]
        command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        self.process = spawn(command, self.env, self.log_path, cwd=REPO_ROOT)

    @property
    def node_name(self) -> str:
        return f"{self.node}@{socket.gethostname()}"  # what -n NODE@%h becomes

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"the {self.side} worker exited ({self.process.returncode}):\n{self.log_tail()}"
            )

    def stop(self) -> None:
        """SIGTERM (warm shutdown), then SIGKILL to a pool child left behind."""
        stop_group(self.process, timeout=15)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _wait_ready(worker: _Worker, task: Any) -> None:
    """Send one job and wait for its result: the worker is up and consuming."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    result = task.delay()
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            result.get(timeout=1.0)
            return
        except CeleryTimeout:
            worker.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the {worker.side} worker ran no job within {START_TIMEOUT:.0f} s:\n"
                    f"{worker.log_tail()}"
                ) from None


def _inspect(app: Any, node: str, method: str, **kwargs: Any) -> dict[str, Any] | None:
    """A remote-control reply of one worker (``None`` if it did not answer in time)."""
    try:
        replies = getattr(app.control.inspect(destination=[node], timeout=3.0), method)(**kwargs)
    except Exception as exc:  # the reply is informative only
        say(f"jobs: inspect().{method}() of {node} failed: {exc!r}")
        return None
    return (replies or {}).get(node)


def _redis_pid(url: str) -> int | None:
    """The Redis server's pid, when this machine's /proc shows it (else None)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        pid = int(client.info("server")["process_id"])
    finally:
        client.close()
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cpu_ns_of(pid)
    except OSError:
        return None
    return pid if "redis" in comm else None


def _versions(url: str) -> dict[str, str | None]:
    """Celery, kombu, redis-py and the Redis server (the environment line has Django's)."""
    import importlib.metadata

    import redis

    found: dict[str, str | None] = {}
    for name in ("celery", "kombu", "redis"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    client = redis.Redis.from_url(url)
    try:
        found["redis_server"] = str(client.info("server").get("redis_version"))
    finally:
        client.close()
    return found


def _flush(*urls: str) -> None:
    import redis

    for url in urls:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        try:
            client.flushdb()
        except redis.ConnectionError as exc:
            raise RuntimeError(f"no Redis at {url}: {exc}") from None
        finally:
            client.close()


# --------------------------------------------------------------------------- clients


def _client_apps() -> tuple[Any, Any]:
    """Both Celery apps in this process, as their workers build them."""
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("bench jobs configures Django itself; run it in a fresh process")
    for name in _FOREIGN_ENV:
        os.environ.pop(name, None)
    os.environ["AXIOMOD_BENCH_JOBS_BARE_URL"] = BASELINE_URL
    os.environ["AXIOMOD_BENCH_JOBS_URL"] = CANDIDATE_URL
    # The bare app first, without DJANGO_SETTINGS_MODULE, so Celery's Django fixup is not
    # installed on it (as in its worker).
    from bench.jobs_project.bare import app as bare

    os.environ["DJANGO_SETTINGS_MODULE"] = CANDIDATE_SETTINGS
    import django

    django.setup()
    from bench.jobs_project.celery import app as candidate

    for app, url in ((bare, BASELINE_URL), (candidate, CANDIDATE_URL)):
        if (app.conf.broker_url, app.conf.result_backend) != (url, url):
            raise RuntimeError(
                f"{app.main}: broker {app.conf.broker_url}, backend {app.conf.result_backend};"
                f" expected {url} for both"
            )
    return bare, candidate


def _round(task: Any, number: int) -> list[float]:
    """``number`` sequential ``delay().get()``, each timed: seconds per round trip."""
    latencies = [0.0] * number
    delay, clock = task.delay, time.perf_counter
    for index in range(number):
        started = clock()
        delay().get(timeout=ROUND_TRIP_TIMEOUT)
        latencies[index] = clock() - started
    return latencies


def _measure(
    sides: dict[str, tuple[_Worker, Any]],
    number: int,
    rounds: int,
    warmup: int,
    redis_pid: int | None,
) -> dict[str, Samples]:
    names = list(sides)
    samples = {name: Samples() for name in names}
    for index in range(warmup + rounds):
        shift = (index - warmup) % len(names)
        order = names[shift:] + names[:shift]
        for name in order:
            worker, task = sides[name]
            worker_before = cpu_ns_of(worker.pid)
            redis_before = cpu_ns_of(redis_pid) if redis_pid else 0
            client_before = time.process_time()
            latencies = _round(task, number)
            client = time.process_time() - client_before
            redis_cpu = (cpu_ns_of(redis_pid) - redis_before) / 1e9 if redis_pid else None
            worker_cpu = (cpu_ns_of(worker.pid) - worker_before) / 1e9
            if index >= warmup:
                side = samples[name]
                side.add("latency", latencies)  # seconds, per round trip
                side.add("worker_cpu", worker_cpu / number)  # seconds per job
                side.add("client_cpu", client / number)
                if redis_cpu is not None:
                    side.add("redis_cpu", redis_cpu / number)
        if index >= warmup:
            say(
                f"jobs: round {index - warmup + 1}/{rounds}: "
                + ", ".join(
                    f"{n} p50 {statistics.median(samples[n].rounds('latency')[-1]) * 1e3:.2f} ms"
                    for n in order
                )
            )
    return samples


# --------------------------------------------------------------------------- figures


def _ms(seconds: float) -> float:
    return round(seconds * 1e3, 4)


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1e6, 2)


def _latency_figure(
    name: str,
    percent: float,
    base: Samples,
    cand: Samples,
    names: tuple[str, str],
    extra: dict[str, object],
) -> Figure:
    base_rounds = base.per_round("latency", percent)
    cand_rounds = cand.per_round("latency", percent)
    paired = [c / b for b, c in zip(base_rounds, cand_rounds, strict=True)]
    base_value = base.percentile("latency", percent)
    cand_value = cand.percentile("latency", percent)
    details: dict[str, object] = {
        "stat": f"p{percent:g} of all measured round trips (nearest rank)",
        "round_trips": len(cand.values("latency")),
        "overhead_pct": 100 * (cand_value / base_value - 1),
        "ratio_paired_median": statistics.median(paired),
        "baseline_rounds_ms": [_ms(v) for v in base_rounds],
        "candidate_rounds_ms": [_ms(v) for v in cand_rounds],
        "baseline_mean": base.mean("latency"),
        "candidate_mean": cand.mean("latency"),
        "baseline_best": base.best("latency"),
        "candidate_best": cand.best("latency"),
        "baseline_p99_9": base.percentile("latency", 99.9),
        "candidate_p99_9": cand.percentile("latency", 99.9),
        "baseline_worst": base.worst("latency"),
        "candidate_worst": cand.worst("latency"),
    }
    details.update(extra)
    return Figure(
        name,
        base_value,
        cand_value,
        "s/job",
        baseline_name=names[0],
        candidate_name=names[1],
        extra=details,
    )


def _cpu_figure(
    name: str,
    base: list[float],
    cand: list[float],
    names: tuple[str, str],
    extra: dict[str, object],
) -> Figure:
    details: dict[str, object] = {
        "stat": "median over rounds of CPU seconds / jobs in the round",
        "rounds": len(cand),
        "baseline_rounds_us": [_us(v) for v in base],
        "candidate_rounds_us": [_us(v) for v in cand],
        "added_us": _us(statistics.median(cand) - statistics.median(base)),
    }
    details.update(extra)
    return Figure(
        name,
        statistics.median(base),
        statistics.median(cand),
        "s/job",
        baseline_name=names[0],
        candidate_name=names[1],
        extra=details,
    )


# --------------------------------------------------------------------------- entry point


@benchmark("jobs")
def run(options: Options) -> Iterator[Figure]:
    """No-op job delay().get() p50/p99: axiomod's create_app() + @job vs a bare Celery app."""
    parser = argparse.ArgumentParser(prog="bench jobs")
    parser.add_argument("--pool", choices=("prefork", "solo"), default="prefork")
    parser.add_argument("--loglevel", default="WARNING")
    parser.add_argument("--candidate-conf", default=None, metavar="JSON")
    parser.add_argument("--without-metrics", action="store_true")
    args = parser.parse_args(list(options.extra))
    if args.candidate_conf is not None and not isinstance(json.loads(args.candidate_conf), dict):
        parser.error("--candidate-conf must be a JSON object")
    number, rounds = options.sizes(number=250, rounds=30, quick_number=20, quick_rounds=2)
    warmup = 0 if options.quick else 1
    probes = args.candidate_conf is not None or args.without_metrics
    if probes:
        say("jobs: probing a changed candidate (--candidate-conf/--without-metrics)")

    uncommitted_files = uncommitted("axiomod_jobs")  # read when the workers load the code
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-jobs-"))
    base_env = _clean_env()
    baseline = _Worker(
        "baseline",
        BASELINE_APP,
        "bench-bare",
        {**base_env, "AXIOMOD_BENCH_JOBS_BARE_URL": BASELINE_URL},
        workdir / "baseline.log",
    )
    candidate_env = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": CANDIDATE_SETTINGS,
        "AXIOMOD_BENCH_JOBS_URL": CANDIDATE_URL,
    }
    if args.pool == "prefork":
        (workdir / "prometheus").mkdir()
        candidate_env["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "prometheus")
    if args.candidate_conf is not None:
        candidate_env["AXIOMOD_BENCH_JOBS_CONF"] = args.candidate_conf
    if args.without_metrics:
        candidate_env["AXIOMOD_BENCH_JOBS_WITHOUT_METRICS"] = "1"
    candidate = _Worker(
        "candidate", CANDIDATE_APP, "bench-axiomod", candidate_env, workdir / "candidate.log"
    )
    workers = (baseline, candidate)

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous_sigterm = signal.signal(signal.SIGTERM, terminated)
    keep_logs = False  # only when the run failed
    try:
        _flush(BASELINE_URL, CANDIDATE_URL)
        for worker in workers:
            worker.start(args.pool, args.loglevel)
        say(
            f"jobs: workers started (--pool {args.pool}, --loglevel {args.loglevel}; "
            f"baseline pid {baseline.pid} on {BASELINE_URL}, candidate pid {candidate.pid} "
            f"on {CANDIDATE_URL}; logs in {workdir})"
        )
        bare_app, axiomod_app = _client_apps()
        if args.candidate_conf is not None:  # this process's candidate app as its worker's
            axiomod_app.conf.update(json.loads(args.candidate_conf))
        bare_task = bare_app.tasks[BASELINE_TASK]
        axiomod_task = axiomod_app.tasks[CANDIDATE_TASK]
        if bare_task.app is not bare_app or axiomod_task.app is not axiomod_app:
            raise RuntimeError("a no-op task is bound to the other side's app")
        sides = {"bare Celery": (baseline, bare_task), "axiomod": (candidate, axiomod_task)}
        for worker, task in sides.values():
            _wait_ready(worker, task)
        conf = {
            side: {
                key: value
                for key, value in (_inspect(task.app, worker.node_name, "conf") or {}).items()
                if key in _RECORDED_CONF
            }
            for side, (worker, task) in sides.items()
        }
        say(f"jobs: non-default worker settings: {json.dumps(conf, default=str)}")
        redis_pid = _redis_pid(BASELINE_URL)
        versions = _versions(BASELINE_URL)
        say(
            f"jobs: {len(sides)} sides x {rounds} rounds (+{warmup} warm-up) x {number} "
            "sequential delay().get() round trips"
        )
        started = time.monotonic()
        samples = _measure(sides, number, rounds, warmup, redis_pid)
        elapsed = time.monotonic() - started
        for side, (worker, task) in sides.items():
            stats = _inspect(task.app, worker.node_name, "stats")
            ran = (stats or {}).get("total", {}).get(task.name)
            expected = 1 + (warmup + rounds) * number
            if stats is not None and ran != expected:
                raise RuntimeError(f"{side} worker ran {ran} jobs, {expected} were sent to it")
            worker.check_alive()
    except Exception:
        keep_logs = True
        raise
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        for worker in workers:
            worker.stop()
        with contextlib.suppress(Exception):
            _flush(BASELINE_URL, CANDIDATE_URL)
        if keep_logs:
            say(f"jobs: the workers' logs are kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    base, cand = samples["bare Celery"], samples["axiomod"]
    names = (
        "bare Celery app, no-op @app.task",
        "axiomod create_app() + no-op @job (metrics handlers, defaults)",
    )
    p50 = base.percentile("latency", 50), cand.percentile("latency", 50)
    common: dict[str, object] = {
        "number": number,
        "rounds": rounds,
        "warmup_rounds": warmup,
        "pool": args.pool,
        "concurrency": 1 if args.pool == "prefork" else None,
        "loglevel": args.loglevel,
        "seconds_measuring": round(elapsed, 1),
        "probe": {"candidate_conf": args.candidate_conf, "without_metrics": args.without_metrics}
        if probes
        else None,
    }
    targets = {
        "target_p50_max_s": TARGET_P50_SECONDS,
        "target_p50_met": p50[1] < TARGET_P50_SECONDS,
        "target_overhead_pct_max": TARGET_OVERHEAD_PCT,
        "target_overhead_met": p50[1] / p50[0] - 1 < TARGET_OVERHEAD_PCT / 100,
        "worker_conf": conf,
        "axiomod_jobs_uncommitted": uncommitted_files,
        "versions": versions,
    }
    yield _latency_figure("jobs.roundtrip.p50", 50, base, cand, names, {**common, **targets})
    yield _latency_figure("jobs.roundtrip.p99", 99, base, cand, names, common)
    redis_extra: dict[str, object] = {}
    if "redis_cpu" in base and "redis_cpu" in cand:
        redis_extra = {
            "baseline_redis_cpu_us": _us(base.median("redis_cpu")),
            "candidate_redis_cpu_us": _us(cand.median("redis_cpu")),
        }
    yield _cpu_figure(
        "jobs.worker_cpu",
        base.values("worker_cpu"),
        cand.values("worker_cpu"),
        (f"bare Celery worker ({args.pool})", f"axiomod worker ({args.pool})"),
        {**common, **redis_extra},
    )
    yield _cpu_figure(
        "jobs.client_cpu",
        base.values("client_cpu"),
        cand.values("client_cpu"),
        ("bare Celery client: delay().get()", "axiomod client: delay().get()"),
        common,
    )
    p99 = base.percentile("latency", 99), cand.percentile("latency", 99)
    say(
        f"jobs: p50 bare {p50[0] * 1e3:.2f} ms, axiomod {p50[1] * 1e3:.2f} ms "
        f"(x{p50[1] / p50[0]:.3f}); p99 bare {p99[0] * 1e3:.2f} ms, axiomod "
        f"{p99[1] * 1e3:.2f} ms (x{p99[1] / p99[0]:.3f}); target p50 < 10 ms: "
        f"{'met' if targets['target_p50_met'] else 'missed'}; target overhead < 5 %: "
        f"{'met' if targets['target_overhead_met'] else 'missed'}"
    )
