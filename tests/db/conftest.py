"""Extra database aliases pointing at real servers, added for one test."""

from __future__ import annotations

import logging

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


def run_with_slow_query_log(alias: str, queries, caplog, slow_query_ms: float = 200):
    """Run ``(sql, params)`` queries on ``alias`` through a QueryInstrument; its log records."""
    from django.db import connections
    from django.test import override_settings

    from axiomod.db.instrumentation import QueryInstrument

    with override_settings(AXIOMOD={"db": {"slow_query_ms": slow_query_ms}}):
        instrument = QueryInstrument(alias)
    wrapper = connections[alias]
    with (
        caplog.at_level(logging.WARNING, logger="axiomod.db.slow"),
        wrapper.execute_wrapper(instrument),
        wrapper.cursor() as cursor,
    ):
        for sql, params in queries:
            cursor.execute(sql, params)
    return [r for r in caplog.records if r.name == "axiomod.db.slow"]
