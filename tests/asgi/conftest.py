"""Fixtures of the ASGI server tests: one migrated SQLite database for the package, and a
module-scoped OTLP receiver for a module that shares one server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from axiomod.testing.pytest_plugin import require_extra
from tests.servers import manage


@pytest.fixture(scope="package")
def asgi_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``AXIOMOD_VAR_DIR`` with the example's SQLite database migrated, for every server here."""
    var = tmp_path_factory.mktemp("asgi-var")
    migrated = manage("migrate", "--no-input", env={"AXIOMOD_VAR_DIR": str(var)})
    assert migrated.returncode == 0, migrated.stderr
    return var


@pytest.fixture(scope="module")
def module_otlp_receiver(request: pytest.FixtureRequest) -> Iterator:
    """An OTLP receiver (``axiomod.testing.otlp``) for every test of a module."""
    otlp = require_extra(request, "axiomod.testing.otlp", "tracing")
    receiver = otlp.OtlpReceiver().start()
    yield receiver
    receiver.stop()
