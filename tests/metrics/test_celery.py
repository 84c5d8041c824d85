"""Celery prefork: the main process serves one port with the tasks of every child."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from axiomod.testing import free_port
from tests.servers import ROOT


@pytest.mark.integration
def test_prefork_children_are_counted_on_the_main_process_port(redis_service, tmp_path):
    port = free_port()
    (tmp_path / "celery_port_settings.py").write_text(
        "from example.settings import *  # noqa\n"
        f"AXIOMOD = {{**AXIOMOD, 'metrics': {{'port': {port}, 'address': '127.0.0.1'}}}}\n"
    )
    broker = redis_service.url_for(7)
    with redis_service.client(db=7) as client:
        client.flushdb()  # no queued task of an earlier run
    multiproc = tmp_path / "multiproc"
    multiproc.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "celery_port_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "AXIOMOD_TEST_BROKER_URL": broker,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.metrics.celery_app",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / "worker.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        sender = subprocess.run(
            [
                sys.executable,
                "-c",
                "from tests.metrics.celery_app import count\n"
                "results = [count.delay() for _ in range(20)]\n"
                "import json; print(json.dumps(sorted({r.get(timeout=60) for r in results})))",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert sender.returncode == 0, sender.stderr[-2000:] + log[-2000:]
        pids = json.loads(sender.stdout)
        assert worker.pid not in pids, "tasks run in the prefork children"

        deadline = time.monotonic() + 30
        total = 0.0
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                text = answer.read().decode()
            found = re.search(r"^celery_test_tasks_total ([0-9.]+)$", text, re.M)
            total = float(found.group(1)) if found else 0.0
            if total == 20:
                break
            time.sleep(0.5)
        assert total == 20, f"one scrape must count the tasks of all children ({pids})"
    finally:
        worker.terminate()
        worker.wait(timeout=60)
