"""``celery worker`` and ``celery beat`` of the test project as real subprocesses.

The tests run them the way a Deployment would (``celery -A <app> worker|beat``), signal
them the way Kubernetes does, and read what the jobs recorded in Redis
(``tests/jobs/project/jobs.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import ROOT, service_env

APP = "tests.jobs.project.celery"
SETTINGS = "tests.jobs.project.settings"


def project_env(broker: str, record: str, extra: Mapping[str, str | None] = {}) -> dict:
    env = service_env(
        {
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": broker,
            "AXIOMOD_TEST_RECORD_URL": record,
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    return env


@dataclass
class CeleryProcess:
    """One ``celery worker`` or ``celery beat`` process, in its own process group."""

    kind: str  # "worker" or "beat"
    env: Mapping[str, str]
    log_path: Path
    args: tuple[str, ...] = ()
    app: str = APP
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> CeleryProcess:
        command = [sys.executable, "-m", "celery", "-A", self.app, self.kind, "--loglevel", "INFO"]
        if self.kind == "worker":
            command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        else:
            # A fresh schedule file per beat (only the file scheduler uses it).
            command += ["--schedule", str(self.log_path.with_suffix(".schedule"))]
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in wait())
        self.process = subprocess.Popen(
            [*command, *self.args],
            cwd=ROOT,
            env=dict(self.env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"{self.kind} exited early:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged by {self.kind}:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def kill_group(self) -> None:
        """SIGKILL the main process and its pool children: a node lost, an OOM kill."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)

    def wait(self, timeout: float = 60.0) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()


def entries(client, key: str) -> list[tuple[str, int, float]]:
    """What the jobs recorded under ``key``: (value, pid, time) in order."""
    found = []
    for raw in client.lrange(key, 0, -1):
        value, pid, at = raw.decode().split("|")
        found.append((value, int(pid), float(at)))
    return found


def wait_for_entries(client, key: str, count: int, timeout: float = 60.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = entries(client, key)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
