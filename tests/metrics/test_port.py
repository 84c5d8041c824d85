"""The dedicated metrics port opens in serving processes only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from axiomod.testing import free_port
from tests.servers import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(params=[True, False], ids=["main-port-too", "port-only"])
def port_env(tmp_path, request):
    port = free_port()
    (tmp_path / "port_settings.py").write_text(
        "from example.settings import *  # noqa\n"
        f"AXIOMOD = {{**AXIOMOD, 'metrics': {{'port': {port}, 'address': '127.0.0.1',"
        f" 'main_port': {request.param}}}}}\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "port_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return port, env, request.param


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_loading_the_wsgi_application_serves_the_port(port_env):
    port, env, main_port = port_env
    probe = (
        "import example.wsgi, time\n"
        "from django.test import Client\n"
        "print('up', Client().get('/metrics').status_code, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().split() == ["up", "200" if main_port else "404"]
        deadline = time.monotonic() + 10
        while not port_open(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        assert "# TYPE http_requests_total counter" in text
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("command", [["migrate", "--no-input"], ["check"], ["shell", "-c", "1"]])
def test_management_commands_do_not_open_the_port(port_env, command):
    port, env, _ = port_env
    probe = (
        "import os, socket, sys, django; django.setup()\n"
        "from django.core.management import call_command\n"
        f"call_command(*{command!r})\n"
        "s = socket.socket(); ok = s.connect_ex(('127.0.0.1', %d)) != 0; s.close()\n"
        "sys.exit(0 if ok else 1)\n" % port
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:] or "the metrics port was opened"
