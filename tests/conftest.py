"""Shared test configuration.

The real-service fixtures: the Kafka broker, the OTLP receiver and the OIDC provider come
from axiomod's own pytest plugin (axiomod.testing.pytest_plugin, the one users enable),
the databases, Redis and Prometheus from tests/services.py.
"""

import pytest

# Registered as plugins (not star-imported) so their asserts are rewritten and the kit's
# pytest_terminal_summary hook reports the services the run used. pytester: the kit's own
# tests (tests/testing) run the plugin in a pytest of their own.
pytest_plugins = ["axiomod.testing.pytest_plugin", "tests.services", "pytester"]


def pytest_configure(config: pytest.Config) -> None:
    # Django's upgrade guide: run the tests with its deprecation warnings as errors, so
    # that what the next Django removes fails here first. The classes differ by release
    # (RemovedInDjango60Warning on 5.2, RemovedInDjango70Warning on 6.x), so they are
    # read from the installed Django rather than named in pyproject's filterwarnings,
    # where a class this Django lacks would stop pytest.
    import django.utils.deprecation as deprecation

    for name in dir(deprecation):
        if name.startswith("RemovedInDjango") and name.endswith("Warning"):
            config.addinivalue_line("filterwarnings", f"error::{deprecation.__name__}.{name}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that needs a real service, directly or through another fixture, is an
    # integration test: `pytest -m "not integration"` runs the rest without any service.
    from tests.services import SERVICE_FIXTURES

    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
