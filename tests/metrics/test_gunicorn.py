"""The example under a multi-worker gunicorn: one scrape shows every worker's requests.

Uses ``-c python:axiomod.gunicorn_config`` as ``make run`` does: multiprocess mode in a
private directory, dead workers compacted on exit, the metrics port served by the master.
"""

from __future__ import annotations

import contextlib
import os
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from axiomod.testing import free_port
from tests.servers import gunicorn

pytestmark = pytest.mark.integration


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        return answer.read().decode()


def value(text: str, sample: str) -> float:
    pattern = re.escape(sample) + r" ([0-9.e+]+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


def listening_pid_owns(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds the listening TCP socket of ``port`` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
    links = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            links.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return any(f"socket:[{inode}]" in links for inode in inodes)


LIST = 'http_requests_total{method="GET",path="/invoices/",status="200"}'


@pytest.fixture
def env(tmp_path):
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AXIOMOD_VAR_DIR": str(tmp_path),
    }


@pytest.fixture
def migrated(env):
    from tests.servers import manage

    result = manage("migrate", "--no-input", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_one_scrape_counts_the_requests_of_all_workers(migrated, tmp_path):
    server = gunicorn(migrated, tmp_path / "gunicorn.log", workers=3)
    with server:
        requests = 60
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(
                pool.map(lambda _: server.request("GET", "/invoices/").status, range(requests))
            )
        assert statuses == [200] * requests
        # start() probed /invoices/?limit=1 until the server answered; count those too.
        text = scrape(server.url("/metrics"))
        probes = value(text, LIST) - requests
        assert probes >= 1
        # Every scrape is served by some worker; each must show the same total.
        for _ in range(6):
            assert value(scrape(server.url("/metrics")), LIST) == requests + probes
    assert server.process.returncode == 0, server.log()


def test_worker_restarts_keep_totals_and_do_not_pile_up_files(migrated, tmp_path):
    multiproc = tmp_path / "multiproc"
    env = {**migrated, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    # Each worker serves ~5 requests, then gunicorn replaces it (max_requests).
    server = gunicorn(
        env,
        tmp_path / "gunicorn.log",
        workers=2,
        extra_args=["--max-requests", "5", "--max-requests-jitter", "0"],
    )
    with server:
        requests = 120
        for _ in range(requests):
            assert server.request("GET", "/invoices/").status == 200
        text = scrape(server.url("/metrics"))
        counted = value(text, LIST)
        assert counted >= requests, "no request of a replaced worker may be lost"
        assert counted <= requests + 50  # plus start-up probes
        files = sorted(p.name for p in multiproc.glob("*.db"))
        # ~25 workers have come and gone; only live workers' files and archives remain.
        assert len(files) <= 2 * 2 + 3, files
        assert "counter_archive.db" in files


def test_metrics_port_is_served_by_the_master_with_every_worker(migrated, tmp_path):
    port = free_port()
    settings_module = tmp_path / "port_settings.py"
    settings_module.write_text(
        "from example.settings import *  # noqa\n"
        f"AXIOMOD = {{**AXIOMOD, 'metrics': {{'path': '/metrics', 'port': {port}, "
        "'address': '127.0.0.1'}}\n"
    )
    env = {**migrated, "DJANGO_SETTINGS_MODULE": "port_settings", "PYTHONPATH": str(tmp_path)}
    server = gunicorn(env, tmp_path / "gunicorn.log", workers=3)
    with server:
        for _ in range(30):
            server.request("GET", "/invoices/")
        text = scrape(f"http://127.0.0.1:{port}/metrics")
        assert value(text, LIST) >= 30
        assert listening_pid_owns(server.process.pid, port), "the master serves the port"
        assert "Address already in use" not in server.log(), "workers must not fight over it"


def test_bad_metrics_settings_stop_gunicorn_cleanly(migrated, tmp_path):
    (tmp_path / "bad_metrics_settings.py").write_text(
        "from example.settings import *  # noqa\n"
        "AXIOMOD = {**AXIOMOD, 'metrics': {'port': 'nine-thousand'}}\n"
    )
    env = {
        **migrated,
        "DJANGO_SETTINGS_MODULE": "bad_metrics_settings",
        "PYTHONPATH": str(tmp_path),
    }
    server = gunicorn(env, tmp_path / "gunicorn.log", workers=1)
    # The master validates AXIOMOD before it forks (tests/core/test_boot_errors.py).
    with pytest.raises(RuntimeError, match="server exited with 4"):
        server.start(timeout=60)
    log = server.log()
    assert log.count('AXIOMOD["metrics"]["port"]') == 1
    assert "App failed to load" in log


def test_without_settings_module_in_the_environment_no_worker_binds_the_port(tmp_path, migrated):
    port = free_port()
    (tmp_path / "port_settings.py").write_text(
        "from example.settings import *  # noqa\n"
        f"AXIOMOD = {{**AXIOMOD, 'metrics': {{'port': {port}, 'address': '127.0.0.1'}}}}\n"
    )
    (tmp_path / "port_wsgi.py").write_text(
        "import os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'port_settings')\n"
        "from axiomod.wsgi import get_wsgi_application\n"
        "application = get_wsgi_application()\n"
    )
    env = {**migrated, "DJANGO_SETTINGS_MODULE": None, "PYTHONPATH": str(tmp_path)}
    server = gunicorn(env, tmp_path / "gunicorn.log", workers=2)
    server.command = [
        a if a != "example.wsgi:application" else "port_wsgi:application" for a in server.command
    ]
    with server:
        assert server.request("GET", "/invoices/").status == 200
        with contextlib.closing(__import__("socket").socket()) as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, "no worker may take the port"
        assert "DJANGO_SETTINGS_MODULE is not set" in server.log()
