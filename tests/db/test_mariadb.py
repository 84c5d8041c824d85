"""The database layer on a real MariaDB: persistent connections and slow queries."""

from __future__ import annotations

import pytest
from django.db import close_old_connections, connections

from axiomod.db import database

from .conftest import run_with_slow_query_log

pytestmark = pytest.mark.integration


def connection_id(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def test_connections_persist_across_requests_for_max_lifetime(add_alias, mariadb_database):
    alias = add_alias("persistent", database(mariadb_database, max_lifetime=60))
    first = connection_id(alias)
    close_old_connections()  # what Django does at the end of each request
    assert connection_id(alias) == first, "reused, not reopened"

    short = add_alias("short", database(mariadb_database, max_lifetime=0))
    first = connection_id(short)
    close_old_connections()
    assert connection_id(short) != first, "max_lifetime=0 closes at the end of the request"


def test_slow_query_log_with_sleep(add_alias, mariadb_database, caplog):
    alias = add_alias("slowmaria", database(mariadb_database))
    (record,) = run_with_slow_query_log(
        alias, [("SELECT SLEEP(0.01)", None), ("SELECT SLEEP(%s)", [0.25])], caplog
    )
    assert record.duration_ms >= 250
    assert "SLEEP(%s)" in record.sql
