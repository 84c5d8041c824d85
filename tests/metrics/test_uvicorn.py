"""The example under servers that start workers without axiomod's gunicorn hooks.

``uvicorn --workers 2`` (and gunicorn with ``-k uvicorn_worker.UvicornWorker`` but no
``-c python:axiomod.gunicorn_config``): before #24 each worker counted alone and a scrape
showed whichever worker answered it (2 requests sent, 1 counted). Now every worker
switches itself to multiprocess mode in a directory shared by its siblings
(:mod:`axiomod_metrics.workers`), so every scrape, through any worker or the dedicated
metrics port, shows every request exactly once.

One uvicorn server serves the module (~4 s to start); the stale-directory and gunicorn
tests start their own. Readiness is waited for on ``/live`` (answered before the metrics
middleware, so not counted) and on every worker's lifespan startup.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from axiomod.testing import free_port
from tests.metrics.test_gunicorn import listening_pid_owns
from tests.servers import BIN, ServerProcess, manage

pytestmark = pytest.mark.integration

WORKERS = 2
LIST = ("http_requests_total", {"method": "GET", "path": "/invoices/", "status": "200"})
CREATE = ("http_requests_total", {"method": "POST", "path": "/invoices/", "status": "201"})
INVOICE = {"customer": "ACME", "amount": "12.50", "currency": "EUR"}


def uvicorn(
    env: Mapping[str, str | None], log_path: Path, args: Sequence[str] = ()
) -> ServerProcess:
    """``uvicorn example.asgi:application --workers 2``, as the user in #24 ran it."""
    port = free_port()
    command = [
        str(BIN / "uvicorn"),
        "example.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        *args,
    ]
    return ServerProcess(command, port, dict(env), log_path, ready_path="/live")


def gunicorn_without_config(env: Mapping[str, str | None], log_path: Path) -> ServerProcess:
    """gunicorn with uvicorn-worker's ASGI worker and none of axiomod's hooks."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "-k",
        "uvicorn_worker.UvicornWorker",
        "example.asgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--control-socket",
        str(log_path.with_suffix(".ctl")),
    ]
    return ServerProcess(command, port, dict(env), log_path, ready_path="/live")


def default_directory(supervisor: int) -> Path:
    """Where a worker puts the files when ``PROMETHEUS_MULTIPROC_DIR`` is not set."""
    import tempfile

    return Path(tempfile.gettempdir(), f"axiomod-metrics-{os.getuid()}-{supervisor}")


def workers(supervisor: int) -> set[int]:
    """The server's worker processes: its children, uvicorn's resource tracker aside."""
    pids = set()
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                pids.add(int(pid))
    return pids


def wait_for_startups(server: ServerProcess, count: int = WORKERS) -> set[int]:
    """Wait until ``count`` workers in all have finished their ASGI lifespan startup."""
    assert server.process is not None and server.log_path is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.log_path.read_text().count("Application startup complete.") >= count:
            server.request("GET", "/live")
            return workers(server.process.pid)
        time.sleep(0.1)
    raise AssertionError(f"{count} worker startups not seen in 60 s:\n{server.log()}")


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and labels."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        text = answer.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Mapping, sample: tuple[str, dict[str, str]]) -> float:
    name, labels = sample
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def counters(samples: Mapping) -> dict:
    """The samples that may never go down: counters and histogram buckets, counts, sums."""
    suffixes = ("_total", "_bucket", "_count", "_sum", "_created")
    return {
        key: v
        for key, v in samples.items()
        if key[0].endswith(suffixes) and not key[0].startswith(("process_", "python_gc_"))
    }


def send(server: ServerProcess, gets: int, posts: int) -> None:
    """``gets`` + ``posts`` requests from 16 threads at once, so every worker serves some."""
    calls = [("GET", "/invoices/", None)] * gets + [("POST", "/invoices/", INVOICE)] * posts
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda c: server.request(*c).status, calls))
    assert sorted(statuses) == sorted([200] * gets + [201] * posts)


@pytest.fixture(scope="module")
def service_env(tmp_path_factory) -> dict[str, str]:
    """A migrated SQLite example and a settings module that serves the metrics port."""
    tmp = tmp_path_factory.mktemp("uvicorn")
    port = free_port()
    (tmp / "port_settings.py").write_text(
        "from example.settings import *  # noqa\n"
        f"AXIOMOD = {{**AXIOMOD, 'metrics': {{'path': '/metrics', 'port': {port}, "
        "'address': '127.0.0.1'}}\n"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "port_settings",
        "PYTHONPATH": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "AXIOMOD_VAR_DIR": str(tmp),
        "METRICS_PORT": str(port),  # read by the tests only
    }
    result = manage("migrate", "--no-input", env=env)
    assert result.returncode == 0, result.stderr
    return env


@pytest.fixture(scope="module")
def server(service_env, tmp_path_factory) -> Iterator[ServerProcess]:
    """uvicorn --workers 2, no PROMETHEUS_MULTIPROC_DIR: the set-up of the #24 report."""
    log = tmp_path_factory.mktemp("uvicorn-log") / "uvicorn.log"
    with uvicorn(service_env, log) as running:
        assert running.process is not None
        wait_for_startups(running)
        yield running
    # Left by design (no code of ours runs in uvicorn's supervisor); not by the tests.
    shutil.rmtree(default_directory(running.process.pid), ignore_errors=True)
    assert running.process.returncode == 0, running.log()


@pytest.mark.smoke
def test_every_scrape_counts_exactly_the_requests_sent(server, service_env):
    metrics_port = f"http://127.0.0.1:{service_env['METRICS_PORT']}/metrics"
    before = scrape(server.url("/metrics"))
    gets, posts = 120, 30
    send(server, gets, posts)
    # Any worker may answer a scrape: each must show every request, once.
    for url in [server.url("/metrics")] * 8 + [metrics_port] * 3:
        after = scrape(url)
        assert value(after, LIST) - value(before, LIST) == gets, url
        assert value(after, CREATE) - value(before, CREATE) == posts, url
    assert server.process is not None
    directory = default_directory(server.process.pid)
    served = {p.stem.rsplit("_", 1)[1] for p in directory.glob("histogram_[0-9]*.db")}
    assert len(served) == WORKERS, f"the load must reach every worker, reached {served}"


def test_a_killed_worker_loses_no_count_and_hands_the_metrics_port_over(server, service_env):
    assert server.process is not None
    metrics_port = int(service_env["METRICS_PORT"])
    send(server, 40, 10)
    before = counters(scrape(server.url("/metrics")))
    old = workers(server.process.pid)
    (owner,) = [pid for pid in old if listening_pid_owns(pid, metrics_port)]
    os.kill(owner, signal.SIGKILL)
    # uvicorn notices within its 0.5 s loop and starts a replacement.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = workers(server.process.pid)
        if owner not in now and len(now) == WORKERS:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"uvicorn did not replace worker {owner}:\n{server.log()}")
    wait_for_startups(server, WORKERS + 1)
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    for address in [server.url("/metrics")] * 6 + [url] * 2:
        after = counters(scrape(address))
        went_down = [(k, v, after.get(k, 0.0)) for k, v in before.items() if after.get(k, 0.0) < v]
        assert not went_down, f"{address}: {len(went_down)} went down, e.g. {went_down[:3]}"
        assert value(after, LIST) == value(before, LIST)
    # The surviving worker took the port over at once (the kernel released the lock).
    (survivor,) = old - {owner}
    assert listening_pid_owns(survivor, metrics_port)
    assert server.log_path is not None
    assert f"metrics port taken over by pid {survivor}" in server.log_path.read_text()
    # The dead worker's files were folded into the archive by a scrape.
    directory = default_directory(server.process.pid)
    assert not list(directory.glob(f"*_{owner}.db"))
    assert (directory / "counter_archive.db").exists()


def stale_directory(path: Path, env: Mapping[str, str]) -> None:
    """Files an earlier run of the service left: counts of a worker that is gone."""
    path.mkdir()
    code = (
        "import os, prometheus_client as p\n"
        "c = p.Counter('http_requests', 'x', ['method', 'path', 'status'])\n"
        "c.labels('GET', '/invoices/', '200').inc(1000)\n"
    )
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(path)},
        check=True, timeout=60,
    )  # fmt: skip
    (path / ".axiomod-run").write_text("an earlier run")
    assert len(list(path.glob("counter_*.db"))) == 1


def test_a_stale_directory_from_an_earlier_run_does_not_add(service_env, tmp_path):
    directory = tmp_path / "multiproc"  # as on a Kubernetes emptyDir across restarts
    stale_directory(directory, service_env)
    env = {**service_env, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    with uvicorn(env, tmp_path / "uvicorn.log") as running:
        pids = wait_for_startups(running)
        send(running, 20, 0)
        for _ in range(4):
            assert value(scrape(running.url("/metrics")), LIST) == 20
        # health_check_status is a "livemostrecent" gauge: one file per worker that ran
        # the checks (the probe is answered by the worker that accepts it).
        for _ in range(8):
            assert running.request("GET", "/ready").status == 200
        live = {p.name for p in directory.glob("gauge_livemostrecent_*.db")}
        assert live
    # A clean stop (lifespan shutdown, serving_stopped): each worker dropped its live
    # gauges itself, uvicorn's supervisor running no code of ours; its counts stay.
    assert not list(directory.glob("gauge_live*.db")), live
    assert {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob("counter_[0-9]*.db")} == pids
    assert "Application shutdown complete." in running.log()


def test_gunicorn_without_axiomod_config_still_counts_every_worker(service_env, tmp_path):
    with gunicorn_without_config(service_env, tmp_path / "gunicorn.log") as running:
        assert running.process is not None
        wait_for_startups(running)
        before = scrape(running.url("/metrics"))
        send(running, 60, 0)
        for _ in range(6):
            assert value(scrape(running.url("/metrics")), LIST) - value(before, LIST) == 60
        directory = default_directory(running.process.pid)  # keyed by the master
        served = {p.stem.rsplit("_", 1)[1] for p in directory.glob("histogram_[0-9]*.db")}
        assert len(served) == WORKERS, f"the load must reach every worker, reached {served}"
    shutil.rmtree(directory, ignore_errors=True)
