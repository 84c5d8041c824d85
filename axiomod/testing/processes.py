"""Processes of a test or a benchmark: start them, wait until they answer, stop them.

* :class:`ServerProcess`: an HTTP server started with a command (in its own process
  group, output to a log file), waited for until a path answers, stopped with SIGTERM to
  the whole group (SIGKILL if it lingers); :meth:`ServerProcess.request` talks to it.
* :func:`spawn`: any command in its own process group, output to a log file, killed by
  the kernel if this process dies first (Linux); :func:`stop_group` stops it and whatever
  it left behind; :func:`terminate_all` stops several at once; :func:`log_tail` reads the
  end of a log for an error message.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Response",
    "ServerProcess",
    "log_tail",
    "spawn",
    "stop_group",
    "terminate_all",
]


@dataclass
class Response:
    """An HTTP answer: status, headers and the whole body (error statuses included)."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ServerProcess:
    """An HTTP server started with ``command`` that listens on ``port`` of 127.0.0.1.

    ``env`` is the server's whole environment (``None``: this process's);
    :meth:`environment` is the hook a subclass overrides to compute it. ``start()`` returns
    once ``GET ready_path`` answers (any status), ``stop()`` sends SIGTERM to its process
    group and returns the exit code. Usable as a context manager.
    """

    command: Sequence[str]
    port: int
    env: Mapping[str, str] | None = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    cwd: Path | None = None
    ready_path: str = "/"

    def environment(self) -> dict[str, str] | None:
        """The environment the server starts with."""
        return None if self.env is None else {**os.environ, **self.env}

    def start(self, timeout: float = 60, probe: str | None = None) -> ServerProcess:
        """Start it and wait (up to ``timeout`` s) until ``probe`` (``ready_path``) answers."""
        probe = self.ready_path if probe is None else probe
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            list(self.command),
            cwd=self.cwd,
            env=self.environment(),
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
        """The end of its log (empty without a ``log_path``)."""
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
        """One request; ``body`` is sent as JSON. Error statuses are answers, not exceptions."""
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
        """SIGTERM to its process group; SIGKILL after ``timeout`` s. Returns the exit code."""
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


def _parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn``: in the child before exec, SIGKILL it if this process dies first.

    libc is bound here, in the parent: the child of a process with threads (gRPC
    receivers) should do as little as possible between fork and exec (no import, no
    dlopen).
    """
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_it() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return set_it


def spawn(
    command: Sequence[str],
    env: Mapping[str, str],
    log_path: Path,
    *,
    cwd: Path | str | None = None,
) -> subprocess.Popen:
    """``command`` in its own process group, output to ``log_path``, never left orphaned.

    ``env`` is its whole environment.
    """
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_parent_death_signal(),
        )


def log_tail(log_path: Path, size: int = 3000) -> str:
    """The last ``size`` characters of a log, or ``(no log)``."""
    try:
        return log_path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def stop_group(process: subprocess.Popen | None, *, timeout: float = 10) -> None:
    """SIGTERM (a graceful stop), then SIGKILL to whatever is left of its process group."""
    if process is None:
        return
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # a pool child or helper left behind
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)


def terminate_all(processes: Iterable[subprocess.Popen], *, timeout: float = 30) -> None:
    """SIGTERM to every process, then wait for each (all are signalled before any wait)."""
    processes = list(processes)
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout)
