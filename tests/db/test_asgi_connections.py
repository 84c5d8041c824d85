"""Persistent connections under ASGI: why ``get_asgi_application`` warns about them.

Django's ASGI handler runs each request's sync code in a thread of its own (asgiref
gives every request's ``ThreadSensitiveContext`` a fresh executor), and connections are
per thread. Driven here the way Django drives it, on the real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async

from axiomod.db import database
from axiomod.db.config import persistent_under_asgi

pytestmark = pytest.mark.integration

REQUESTS = 6


def backend_pids(alias: str) -> set[int]:
    """The PostgreSQL backend each of REQUESTS ASGI-style requests ran its query on."""
    from django.db import connections

    def query() -> int:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        connections[alias].close_if_unusable_or_obsolete()  # what request_finished does
        return pid

    async def request() -> int:
        async with ThreadSensitiveContext():
            return await sync_to_async(query)()

    async def requests() -> set[int]:
        return {await request() for _ in range(REQUESTS)}

    return asyncio.run(requests())


def test_a_persistent_connection_is_opened_by_every_request(add_alias, postgres_database):
    alias = add_alias("persistent", database(postgres_database, pool=False, max_lifetime=60))
    assert len(backend_pids(alias)) == REQUESTS, "no request reused a kept connection"


def test_the_pool_is_shared_by_every_requests_thread(add_alias, postgres_database):
    alias = add_alias("asgipool", database(postgres_database, pool=True, max_open=2))
    assert len(backend_pids(alias)) <= 2


def test_the_warning_names_persistent_server_databases_only(postgres_database):
    found = persistent_under_asgi(
        {
            "default": database(postgres_database, pool=False, max_lifetime=60),
            "pooled": database(postgres_database, pool=True),
            "closed": database(postgres_database, pool=False, max_lifetime=0),
            "local": database("sqlite:///db.sqlite3"),
        }
    )
    assert len(found) == 1
    assert found[0].startswith("database 'default': CONN_MAX_AGE=60")
    assert "pool=True" in found[0]


def test_get_asgi_application_logs_it(monkeypatch, postgres_database):
    from axiomod.process import asgi

    databases = {"persistent": database(postgres_database, pool=False, max_lifetime=60)}
    monkeypatch.setattr(asgi, "settings", SimpleNamespace(DATABASES=databases))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # the axiomod loggers do not propagate to caplog's
    asgi.logger.addHandler(handler)
    try:
        asgi.get_asgi_application()
    finally:
        asgi.logger.removeHandler(handler)
    assert [r.levelno for r in records] == [logging.WARNING]
    assert "'persistent': CONN_MAX_AGE=60" in records[0].getMessage()
