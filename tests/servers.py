"""Real server processes for tests: the example service under gunicorn (or ``make run``).

Integration tests talk to these over loopback HTTP, as a user or a load balancer would,
instead of through Django's test client.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``manage.py`` as a subprocess with ``env`` on top of this process's environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=service_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def service_env(extra: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with ``extra`` on top; a None value removes a variable."""
    env = {**os.environ}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py / wsgi.py set the example's
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # Servers stop at once on SIGTERM unless a test is about draining.
    env["AXIOMOD_DRAIN_SECONDS"] = "0"
    env.update(extra)
    return {key: value for key, value in env.items() if value is not None}


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ServerProcess:
    """A server started with ``command``; ``stop()`` sends SIGTERM and returns the exit code."""

    command: Sequence[str]
    port: int
    env: Mapping[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    def start(self, timeout: float = 60, probe: str = "/invoices/?limit=1") -> ServerProcess:
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            list(self.command),
            cwd=ROOT,
            env=service_env(self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches every worker
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                self.request("GET", probe, timeout=2)
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        timeout: float = 10,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url(path), data=data, method=method, headers=dict(headers or {})
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    def stop(self, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def gunicorn(
    env: Mapping[str, str], log_path: Path, workers: int = 2, extra_args: Sequence[str] = ()
) -> ServerProcess:
    """The example service under gunicorn with axiomod's config module, as ``make run``."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "-c",
        "python:axiomod.gunicorn_config",
        "example.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        *extra_args,
    ]
    return ServerProcess(
        command, port, {"DJANGO_SETTINGS_MODULE": "example.settings", **env}, log_path
    )
