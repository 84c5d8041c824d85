"""``process_*`` and ``python_gc_*`` per live process in multiprocess mode (process.py).

Against real gunicorn (axiomod's config module, 2 workers): the scrape's figures are
compared with the workers' own /proc entries, and a worker killed with SIGKILL loses
its series once gunicorn has replaced it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.mmap_dict import MmapedDict

from axiomod_metrics import multiprocess

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode()


def series(text: str, name: str) -> dict[str, float]:
    """``pid`` -> value of the sample ``name`` (first label set with that pid)."""
    found: dict[str, float] = {}
    for match in re.finditer(rf"^{name}{{([^}}]*)}} (\S+)$", text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        found.setdefault(labels["pid"], float(match.group(2)))
    return found


def gc_collections(text: str, pid: int) -> float:
    pattern = rf'^python_gc_collections_total{{generation="0",pid="{pid}"}} (\S+)$'
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return {int(p) for p in handle.read().split()}


def proc_stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def boot_time() -> float:
    with open("/proc/stat") as handle:
        return next(float(line.split()[1]) for line in handle if line.startswith("btime "))


def max_fds(pid: int) -> float:
    with open(f"/proc/{pid}/limits") as handle:
        return next(float(line.split()[3]) for line in handle if line.startswith("Max open files"))


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def migrated(tmp_path):
    from tests.servers import manage

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "AXIOMOD_VAR_DIR": str(tmp_path)}
    result = manage("migrate", "--no-input", env=env)
    assert result.returncode == 0, result.stderr
    return env


@pytest.mark.integration
def test_every_gunicorn_worker_has_its_process_and_gc_series(migrated, tmp_path):
    from tests.servers import gunicorn

    with gunicorn(migrated, tmp_path / "gunicorn.log", workers=2) as server:
        master = server.process.pid
        workers = wait_until(lambda: len(children(master)) == 2 and children(master))
        assert workers, "gunicorn started 2 workers"
        for _ in range(20):
            assert server.request("GET", "/invoices/").status == 200
        url = server.url("/metrics")

        def every_worker_collected() -> str | None:
            text = scrape(url)
            return text if all(gc_collections(text, pid) > 0 for pid in workers) else None

        text = wait_until(every_worker_collected)
        assert text, f"GC collections of both workers {workers}: {scrape(url)[-3000:]}"

        rss = series(text, "process_resident_memory_bytes")
        start = series(text, "process_start_time_seconds")
        limits = series(text, "process_max_fds")
        for pid in workers:
            assert str(pid) in rss, (pid, rss)
            real_rss = float(proc_stat(pid)[21]) * PAGE
            assert 0.5 * real_rss < rss[str(pid)] < 2 * real_rss, (rss[str(pid)], real_rss)
            assert start[str(pid)] == pytest.approx(float(proc_stat(pid)[19]) / TICKS + boot_time())
            assert limits[str(pid)] == max_fds(pid)
        for name in (
            "process_cpu_seconds_total",
            "process_virtual_memory_bytes",
            "process_open_fds",
            "python_gc_objects_collected_total",
            "python_gc_objects_uncollectable_total",
            "python_gc_pause_seconds_total",
        ):
            assert {str(p) for p in workers} <= set(series(text, name)), name
        # The master is reported too (the scrape runs in one of its workers).
        assert str(master) in rss
        assert set(rss) == {str(p) for p in (*workers, master)}, "no other pid"
        for generation in "012":
            assert f'python_gc_collections_total{{generation="{generation}",pid=' in text
        assert "axiomod_process_gc" not in text, "the internal gauges are not exported"


@pytest.mark.integration
def test_a_killed_workers_series_go_and_its_replacements_come(migrated, tmp_path):
    from tests.servers import gunicorn

    with gunicorn(migrated, tmp_path / "gunicorn.log", workers=2) as server:
        master = server.process.pid
        workers = wait_until(lambda: len(children(master)) == 2 and children(master))
        url = server.url("/metrics")
        assert wait_until(
            lambda: set(map(str, workers)) <= set(series(scrape(url), "process_open_fds"))
        )
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        replaced = wait_until(
            lambda: (
                victim not in children(master) and len(children(master)) == 2 and children(master)
            )
        )
        assert replaced, "gunicorn replaced the killed worker"
        (newcomer,) = replaced - workers

        def newcomer_listed() -> str | None:
            text = scrape(url)
            return text if str(newcomer) in series(text, "process_open_fds") else None

        text = wait_until(newcomer_listed)
        assert text, "the new worker's series appear"
        assert f'pid="{victim}"' not in text, "no series of the dead worker"
        assert str(newcomer) in series(text, "process_resident_memory_bytes")
        assert str(victim) not in series(text, "python_gc_collections_total")
        assert wait_until(
            lambda: str(newcomer) in series(scrape(url), "python_gc_collections_total")
        ), "the new worker records its GC figures"


# --- without gunicorn: Celery-like forked children of one parent -------------------------

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from axiomod_metrics import process
    process.install_gc_recorder()
    pids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # a prefork child: its own recorder, started by the at-fork hook
            from prometheus_client import Counter
            Counter("jobs", "Jobs done.").inc()  # an ordinary metric, to be archived
            garbage = [[i] for i in range(200_000)]
            del garbage
            time.sleep(60)
            os._exit(0)
        pids.append(pid)
    print(" ".join(map(str, pids)), flush=True)
    try:
        while True:
            os.wait()  # reap, as gunicorn's master and Celery's pool do
    except ChildProcessError:
        time.sleep(60)
    """
)


def test_forked_children_record_their_own_gc_and_go_when_they_die(tmp_path):
    directory = tmp_path / "multiproc"
    directory.mkdir()
    env = {**os.environ, multiprocess.ENV: str(directory)}
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        kids = [int(p) for p in parent.stdout.readline().split()]
        registry = CollectorRegistry()
        multiprocess.CompactingCollector(registry, path=str(directory))

        def both_collected() -> str | None:
            text = generate_latest(registry).decode()
            return text if all(gc_collections(text, pid) > 0 for pid in kids) else None

        text = wait_until(both_collected)
        assert text, generate_latest(registry).decode()[-2000:]
        rss = series(text, "process_resident_memory_bytes")
        assert {str(p) for p in (*kids, parent.pid, os.getpid())} == set(rss)

        os.kill(kids[0], signal.SIGKILL)
        assert wait_until(lambda: not Path(f"/proc/{kids[0]}").exists())
        text = generate_latest(registry).decode()
        assert f'pid="{kids[0]}"' not in text
        assert str(kids[1]) in series(text, "process_resident_memory_bytes")
        # The scrape compacted the dead child's file: its per-pid GC figures were dropped,
        # not folded into the archive (where they would outlive it).
        assert not list(directory.glob(f"*_{kids[0]}.db"))
        archived = [
            key
            for archive in directory.glob("*_archive.db")
            for key, *_ in MmapedDict.read_all_values_from_file(str(archive))
        ]
        assert archived, "the child's other counters are archived"
        assert not [key for key in archived if "axiomod_process_" in key], archived
    finally:
        parent.kill()
        parent.wait()
        for kid in locals().get("kids", []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGKILL)


def test_without_process_metrics_the_scrape_has_none(tmp_path):
    directory = tmp_path / "multiproc"
    directory.mkdir()
    recorder = (
        "import time\n"
        "from axiomod_metrics import process\n"
        "process.install_gc_recorder()\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, multiprocess.ENV: str(directory)}
    child = subprocess.Popen(
        [sys.executable, "-c", recorder], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        without = CollectorRegistry()
        multiprocess.CompactingCollector(without, path=str(directory), process_metrics=False)
        text = generate_latest(without).decode()
        assert "process_resident_memory_bytes" not in text
        assert "python_gc_" not in text
        assert "axiomod_process_" not in text, "the internal counters are never shown"

        with_them = CollectorRegistry()
        multiprocess.CompactingCollector(with_them, path=str(directory))
        text = generate_latest(with_them).decode()
        assert str(os.getpid()) in series(text, "process_resident_memory_bytes")
        assert str(child.pid) in series(text, "process_resident_memory_bytes")
        assert str(child.pid) in series(text, "python_gc_collections_total")
    finally:
        child.kill()
        child.wait()


@pytest.mark.integration
def test_prometheus_aggregates_the_workers_by_pid(migrated, tmp_path, prometheus_server):
    from tests.servers import gunicorn

    with gunicorn(migrated, tmp_path / "gunicorn.log", workers=2) as server:
        master = server.process.pid
        workers = wait_until(lambda: len(children(master)) == 2 and children(master))
        prometheus = prometheus_server([f"127.0.0.1:{server.port}"])
        pids = prometheus.wait_for('count(process_resident_memory_bytes{job="axiomod"}) == 3')
        assert pids, "two workers and the master"
        result = prometheus.query('process_resident_memory_bytes{job="axiomod"}')
        assert {r["metric"]["pid"] for r in result} == {str(p) for p in (*workers, master)}
        # One evaluation (the values move between scrapes): the sum covers several pids.
        rss = 'process_resident_memory_bytes{job="axiomod"}'
        assert prometheus.query(f"sum({rss}) > max({rss})"), "the processes add up"
        collections = prometheus.wait_for(
            'sum by (pid) (python_gc_collections_total{job="axiomod"}) > 0'
        )
        assert {str(p) for p in workers} <= {r["metric"]["pid"] for r in collections}


@pytest.mark.integration
def test_with_preload_the_master_and_each_worker_record_their_own_gc(migrated, tmp_path):
    """--preload loads the apps (and the GC recorder) in the master; the at-fork hook gives
    each worker its own totals and writer thread."""
    from tests.servers import gunicorn

    server = gunicorn(migrated, tmp_path / "gunicorn.log", workers=2, extra_args=["--preload"])
    with server:
        master = server.process.pid
        workers = wait_until(lambda: len(children(master)) == 2 and children(master))
        url = server.url("/metrics")

        def all_recorded() -> str | None:
            text = scrape(url)
            recorded = set(series(text, "python_gc_collections_total"))
            return text if {str(p) for p in (*workers, master)} <= recorded else None

        text = wait_until(all_recorded)
        assert text, scrape(url)[-3000:]
        assert set(series(text, "process_open_fds")) == {str(p) for p in (*workers, master)}
