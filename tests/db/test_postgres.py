"""The database layer on a real PostgreSQL: pool, slow queries, fork safety."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from django.db import OperationalError, connections
from django.test import override_settings

from axiomod.db import database
from axiomod.db.instrumentation import QueryInstrument
from tests.servers import ROOT

from ..metrics.conftest import sample
from .conftest import run_with_slow_query_log

pytestmark = pytest.mark.integration


def test_pool_bounds_connections_and_waits_then_times_out(add_alias, postgres_database):
    alias = add_alias("pooled", database(postgres_database, max_open=2, min_idle=0, timeout=1))
    holding, release = threading.Barrier(3), threading.Event()
    errors = []

    def hold():
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                holding.wait(5)
                release.wait(10)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections[alias].close()  # back to the pool

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    holding.wait(5)
    try:
        third = connections[alias]
        # Both pool connections are taken: the caller waits `timeout`, then gets a clear
        # OperationalError (Django wraps psycopg_pool's PoolTimeout).
        with pytest.raises(OperationalError, match=r"couldn't get a connection after 1\.00 sec"):
            third.ensure_connection()
        stats = third.pool.get_stats()
        assert stats["pool_max"] == 2
        assert stats["requests_errors"] >= 1
    finally:
        release.set()
        for thread in threads:
            thread.join(10)
    assert errors == []
    with connections[alias].cursor() as cursor:  # a connection came back: it works again
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_pool_gauges_come_from_psycopg_pool_statistics(add_alias, postgres_database):
    alias = add_alias("gauged", database(postgres_database, max_open=3, min_idle=1))
    with override_settings(AXIOMOD={"db": {"query_metrics": True}}):
        instrument = QueryInstrument(alias)
    wrapper = connections[alias]
    with wrapper.execute_wrapper(instrument), wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert sample("db_pool_connections", alias=alias, state="size") >= 1
    assert sample("db_pool_connections", alias=alias, state="waiting") == 0


def test_slow_query_log_with_pg_sleep(add_alias, postgres_database, caplog):
    alias = add_alias("slowpg", database(postgres_database))
    (record,) = run_with_slow_query_log(
        alias, [("SELECT pg_sleep(0.01)", None), ("SELECT pg_sleep(%s)", [0.25])], caplog
    )
    assert record.alias == alias
    assert record.duration_ms >= 250
    assert "pg_sleep(%s)" in record.sql


FORK_SCRIPT = """
import os, sys, django
django.setup()
from django.db import connection
def one():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]
parent_pid = one()  # opens the pool and a connection in the parent
child = os.fork()
if child == 0:
    try:
        os._exit(0 if one() != parent_pid else 3)  # a connection of its own
    except Exception as exc:
        print("child failed:", exc, file=sys.stderr)
        os._exit(1)
_, status = os.waitpid(child, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
assert one() == parent_pid, "the parent's connection survived the child"
print("ok")
"""


def test_a_pooled_connection_survives_fork_in_parent_and_child(postgres_database):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example.settings",
        "DATABASE_URL": postgres_database,
    }
    result = subprocess.run(
        [sys.executable, "-c", FORK_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
