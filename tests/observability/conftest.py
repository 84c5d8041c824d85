"""Fixtures of the dashboards and rules tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def promtool(request: pytest.FixtureRequest) -> str:
    """Debian's ``promtool`` (the ``prometheus`` package): a failure when CI requires it."""
    binary = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if binary is None:
        from axiomod.testing.pytest_plugin import give_up

        give_up(request, "promtool", "-", "no promtool binary (apt-get install prometheus)")
    return binary
