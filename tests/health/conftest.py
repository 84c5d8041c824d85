"""Fixtures of the health tests: a clean registry and state around each test."""

from __future__ import annotations

import pytest

from axiomod_health import registry, shutdown, state


@pytest.fixture(autouse=True)
def clean_health_state():
    before = dict(registry._registry)
    state.reset()
    shutdown.reset()
    yield
    registry._registry.clear()
    registry._registry.update(before)
    state.reset()
    shutdown.reset()


@pytest.fixture
def only_checks(settings):
    """Run only the checks a test registers (built-ins and the example's are disabled)."""
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {
            **settings.AXIOMOD.get("health", {}),
            "disabled": ["database:default", "cache:default", "invoices-table"],
        },
    }
    return settings
