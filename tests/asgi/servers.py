"""ASGI servers of the example for tests: uvicorn and gunicorn with the uvicorn worker.

Built on :class:`tests.servers.ServerProcess` (same environment rules: the draining is off
unless a test sets ``AXIOMOD_DRAIN_SECONDS``). :func:`terminate` signals the top process
only, as Kubernetes does to a container's PID 1: a SIGTERM to the whole process group
would reach every worker twice and end each drain at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.servers import BIN, ServerProcess, free_port

__all__ = [
    "gunicorn_uvicorn",
    "status",
    "terminate",
    "tracing_env",
    "uvicorn",
    "wait",
    "wait_for_log",
]

SETTINGS = "tests.asgi.settings"


def uvicorn(
    env: Mapping[str, str],
    log_path: Path,
    *args: str,
    app: str = "example.asgi:application",
) -> ServerProcess:
    """``uvicorn <app>`` on a free loopback port, with ``args`` (``--workers 2``...)."""
    port = free_port()
    command = [str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port), *args]
    return ServerProcess(command, port, {"DJANGO_SETTINGS_MODULE": SETTINGS, **env}, log_path)


def gunicorn_uvicorn(
    env: Mapping[str, str], log_path: Path, workers: int = 2, args: Sequence[str] = ()
) -> ServerProcess:
    """gunicorn with ``uvicorn_worker.UvicornWorker`` and axiomod's config module."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "-k",
        "uvicorn_worker.UvicornWorker",
        "-c",
        "python:axiomod.gunicorn_config",
        "example.asgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "20",
        *args,
    ]
    return ServerProcess(command, port, {"DJANGO_SETTINGS_MODULE": SETTINGS, **env}, log_path)


def terminate(server: ServerProcess) -> None:
    """SIGTERM to the server's top process only (uvicorn's parent, gunicorn's master)."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGTERM)


def wait(server: ServerProcess, timeout: float = 30) -> int:
    """Its exit code; kills the group and fails if it is still running after ``timeout`` s."""
    assert server.process is not None
    try:
        return server.process.wait(timeout)
    except subprocess.TimeoutExpired:
        server.stop(timeout=1)
        message = f"server still running {timeout} s after SIGTERM:\n{server.log()}"
        raise AssertionError(message) from None


def wait_for_log(server: ServerProcess, text: str, count: int, timeout: float = 60) -> None:
    """Wait until ``text`` is in the server's log ``count`` times (every worker started, say)."""
    assert server.log_path is not None
    deadline = time.monotonic() + timeout
    while server.log_path.read_text(errors="replace").count(text) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not {count} times in the log:\n{server.log()}")
        time.sleep(0.1)


def status(server: ServerProcess, path: str) -> int:
    """The status of ``GET path`` on a fresh connection; 0 when nothing answers."""
    try:
        with urllib.request.urlopen(server.url(path), timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def tracing_env(receiver, *, schedule_delay_ms: int = 100) -> dict[str, str]:
    """Export every span over OTLP/HTTP to ``receiver``, batched every ``schedule_delay_ms``."""
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint,
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        "OTEL_BSP_SCHEDULE_DELAY": str(schedule_delay_ms),
        "PYTHONUNBUFFERED": "1",
    }
