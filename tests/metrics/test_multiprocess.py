"""Multiprocess mode with real worker processes: totals add up and dead workers compact.

Each "worker" is a real Python process with ``PROMETHEUS_MULTIPROC_DIR`` set that
records samples through prometheus_client and exits, as a gunicorn or Celery worker does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from axiomod_metrics import multiprocess

WORKER = textwrap.dedent(
    """
    import sys
    from prometheus_client import Counter, Gauge, Histogram
    requests = Counter("jobs_total", "Jobs.", ["queue"])
    latency = Histogram("job_seconds", "Job time.", buckets=[0.1, 1.0])
    busy = Gauge("busy", "Busy.", multiprocess_mode="livesum")
    peak = Gauge("peak", "Peak.", multiprocess_mode="max")
    total = Gauge("total", "Total.", multiprocess_mode="sum")
    n = int(sys.argv[1])
    for i in range(n):
        requests.labels("default").inc()
        latency.observe(0.05 if i % 2 else 0.5)
    busy.set(1)
    peak.set(n)
    total.set(n)
    """
)


def run_worker(directory: Path, n: int) -> None:
    env = {**os.environ, multiprocess.ENV: str(directory)}
    subprocess.run([sys.executable, "-c", WORKER, str(n)], env=env, check=True, timeout=60)


def values(directory: Path, collector_class=multiprocess.CompactingCollector) -> dict[str, float]:
    registry = CollectorRegistry()
    collector_class(registry, path=str(directory))
    found = {}
    for metric in registry.collect():
        for s in metric.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            found[f"{s.name}{{{labels}}}"] = s.value
    return found


@pytest.fixture
def directory(tmp_path):
    path = tmp_path / "multiproc"
    path.mkdir()
    return path


def db_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.db"))


def test_compaction_keeps_totals_and_leaves_one_file_per_type(directory):
    for n in (3, 5, 7):
        run_worker(directory, n)
    upstream = values(directory, MultiProcessCollector)
    assert len(db_files(directory)) == 3 * 5, "upstream keeps every dead worker's files"

    compacted = values(directory)
    assert db_files(directory) == [
        "counter_archive.db",
        "gauge_max_archive.db",
        "gauge_sum_archive.db",
        "histogram_archive.db",
    ]
    assert compacted["jobs_total{queue=default}"] == 15
    assert compacted["job_seconds_count{}"] == 15
    assert compacted["job_seconds_bucket{le=0.1}"] == upstream["job_seconds_bucket{le=0.1}"]
    assert compacted["job_seconds_bucket{le=+Inf}"] == 15
    assert compacted["peak{}"] == 7, "max gauges keep the maximum"
    assert compacted["total{}"] == 15, "sum gauges keep the sum"
    assert "busy{}" not in compacted or compacted["busy{}"] == 0, "live gauges of the dead go"
    for key, value in compacted.items():
        if key.startswith(("jobs_total", "job_seconds")):
            assert upstream[key] == value, key


def test_later_workers_add_to_the_archive(directory):
    run_worker(directory, 2)
    assert values(directory)["jobs_total{queue=default}"] == 2
    run_worker(directory, 4)
    assert values(directory)["jobs_total{queue=default}"] == 6
    assert "counter_archive.db" in db_files(directory)
    assert len([f for f in db_files(directory) if f.startswith("counter_")]) == 1


def test_files_of_live_processes_are_left_alone(directory):
    live = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, prometheus_client as p; p.Counter('jobs_total','J').inc(3);"
            "print('ready', flush=True); sys.stdin.read()",
        ],
        env={**os.environ, multiprocess.ENV: str(directory)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert live.stdout.readline().strip() == "ready"
        assert multiprocess.compact(str(directory)) == 0
        assert f"counter_{live.pid}.db" in db_files(directory)
        assert values(directory)["jobs_total{}"] == 3
    finally:
        live.stdin.close()
        live.wait(timeout=30)
    assert multiprocess.compact(str(directory)) == 1
    assert values(directory)["jobs_total{}"] == 3


def test_files_do_not_pile_up_after_many_worker_restarts(directory):
    for _ in range(40):
        run_worker(directory, 1)
    values(directory)
    assert len(db_files(directory)) <= 4, "40 dead workers leave only the archive files"


def test_prepare_directory_empties_an_earlier_run(directory):
    run_worker(directory, 1)
    assert db_files(directory)
    multiprocess.prepare_directory(str(directory))
    assert db_files(directory) == []


def test_mark_dead_is_safe_for_unknown_pids(directory):
    multiprocess.mark_dead(999_999_999, str(directory))
    assert db_files(directory) == []


def test_exposition_of_the_compacted_directory_is_valid_text(directory):
    run_worker(directory, 2)
    registry = CollectorRegistry()
    multiprocess.CompactingCollector(registry, path=str(directory))
    text = generate_latest(registry).decode()
    assert 'jobs_total{queue="default"} 2.0' in text


def test_a_file_a_worker_is_still_creating_does_not_break_a_scrape(directory):
    # prometheus_client opens a worker's file and only then grows it to its initial size:
    # a scrape in between found it empty and failed with struct.error (seen in CI).
    run_worker(directory, 2)
    (directory / f"counter_{os.getpid()}.db").touch()  # a live process, mid-creation
    assert values(directory)["jobs_total{queue=default}"] == 2


def test_an_empty_file_of_a_dead_worker_is_compacted_away(directory):
    run_worker(directory, 3)
    (directory / "counter_999999999.db").touch()  # died before growing its file
    assert values(directory)["jobs_total{queue=default}"] == 3
    assert "counter_999999999.db" not in db_files(directory)


def test_no_shipped_gauge_keeps_a_dead_workers_value():
    # A "max"/"min"/"sum"/"mostrecent" gauge is folded into the archive when its worker
    # dies and reports that last value for ever: a dead worker's OIDC cache age or Kafka
    # lag would hold an alert on. Gauges that describe running processes use live* modes.
    import importlib

    from axiomod import instruments

    for module in ("axiomod.db.instrumentation", "axiomod_auth.metrics",
                   "axiomod_health.metrics", "axiomod_messaging.metrics"):  # fmt: skip
        importlib.import_module(module)  # declares its instruments

    gauges = {i.name: i.options["multiprocess_mode"] for i in list(instruments._instruments)
              if isinstance(i, instruments.Gauge) and i.name.split("_")[0] in
              ("oidc", "kafka", "health", "db")}  # fmt: skip
    assert {"oidc_cache_age_seconds", "kafka_consumer_lag"} <= gauges.keys()
    assert {name: mode for name, mode in gauges.items() if not mode.startswith("live")} == {}
