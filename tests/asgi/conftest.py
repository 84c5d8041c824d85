"""Fixtures of the ASGI server tests: one migrated SQLite database, and one uvicorn of the
example (default parser, httptools; DEBUG on; tracing to an OTLP receiver) shared by the
modules that need no server of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from axiomod.testing.pytest_plugin import require_extra
from tests.asgi.servers import tracing_env, uvicorn
from tests.servers import ServerProcess, manage


@pytest.fixture(scope="package")
def asgi_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``AXIOMOD_VAR_DIR`` with the example's SQLite database migrated, for every server here."""
    var = tmp_path_factory.mktemp("asgi-var")
    migrated = manage("migrate", "--no-input", env={"AXIOMOD_VAR_DIR": str(var)})
    assert migrated.returncode == 0, migrated.stderr
    return var


@pytest.fixture(scope="package")
def shared_otlp_receiver(request: pytest.FixtureRequest) -> Iterator:
    """The OTLP receiver (``axiomod.testing.otlp``) :func:`shared_uvicorn` exports to."""
    otlp = require_extra(request, "axiomod.testing.otlp", "tracing")
    receiver = otlp.OtlpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="package")
def shared_uvicorn(
    asgi_var_dir: Path, shared_otlp_receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """``uvicorn example.asgi:application`` with ``tests.asgi.settings``, every span exported
    to :func:`shared_otlp_receiver` within 0.1 s."""
    log = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    env = {"AXIOMOD_VAR_DIR": str(asgi_var_dir), **tracing_env(shared_otlp_receiver)}
    with uvicorn(env, log) as server:
        yield server
