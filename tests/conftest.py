"""Shared test configuration. The real-service fixtures live in tests/services.py."""

import pytest

# Registered as a plugin (not star-imported) so its asserts are rewritten and its
# pytest_terminal_summary hook reports the services the run used.
pytest_plugins = ["tests.services"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that needs a real service, directly or through another fixture, is an
    # integration test: `pytest -m "not integration"` runs the rest without any service.
    from tests.services import SERVICE_FIXTURES

    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
