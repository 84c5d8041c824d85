"""Extra database aliases pointing at real servers, added for one test."""

from __future__ import annotations

import pytest


@pytest.fixture
def add_alias(django_db_blocker):
    """``add_alias(alias, config)`` makes ``connections[alias]`` usable in this test."""
    from django.db import connections

    added = []

    def add(alias: str, config: dict) -> str:
        configured = connections.configure_settings({"default": config, alias: config})
        connections.settings[alias] = configured[alias]
        added.append(alias)
        return alias

    with django_db_blocker.unblock():
        yield add
        for alias in added:
            wrapper = connections[alias]
            wrapper.close()
            if hasattr(wrapper, "close_pool"):
                wrapper.close_pool()
            del connections[alias]
            del connections.settings[alias]
