"""A generated or adopted project served for the length of a ``with`` block (test-only)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from axiomod.testing import free_port
from axiomod.testing.processes import ServerProcess


class _OwnEnvironment(ServerProcess):
    """A server whose ``env`` is its whole environment: these tests take keys away."""

    def environment(self) -> dict[str, str] | None:
        return None if self.env is None else dict(self.env)


@contextlib.contextmanager
def serving(
    command: Callable[[int], Sequence[str | Path]],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    ready_path: str,
    timeout: float = 60,
) -> Iterator[str]:
    """``command(port)`` until the block ends, once ``ready_path`` answers; yields its URL.

    A server that exits or does not answer in ``timeout`` s fails the test with its log.
    """
    port = free_port()
    server = _OwnEnvironment(
        command=[str(part) for part in command(port)],
        port=port,
        env=env,
        log_path=log,
        cwd=cwd,
        ready_path=ready_path,
    )
    try:
        server.start(timeout)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop(15)
