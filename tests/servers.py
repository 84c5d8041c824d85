"""Real server processes for tests: the example service under gunicorn (or ``make run``).

Integration tests talk to these over loopback HTTP, as a user or a load balancer would,
instead of through Django's test client.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from axiomod.testing import processes
from axiomod.testing.ports import free_port
from axiomod.testing.processes import Response

__all__ = [
    "BIN",
    "ROOT",
    "Response",
    "ServerProcess",
    "free_port",
    "gunicorn",
    "manage",
    "service_env",
]

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


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
class ServerProcess(processes.ServerProcess):
    """A server of the example (``axiomod.testing.ServerProcess``) run from the repository
    root with :func:`service_env` on top of this process's environment, ready once
    ``/invoices/?limit=1`` answers."""

    cwd: Path | None = ROOT
    ready_path: str = "/invoices/?limit=1"

    def environment(self) -> dict[str, str]:
        return service_env(self.env or {})


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
