"""The per-query wrapper: slow-query log, redaction, sampling, metrics."""

from __future__ import annotations

import logging

import pytest
from django.db import DatabaseError, connection
from django.test import override_settings

from axiomod.db.instrumentation import QueryInstrument, operation_of

from ..metrics.conftest import sample

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sql", "operation"),
    [("SELECT 1", "select"), ("  insert into t", "insert"), ("UPDATE t", "update"),
     ("delete from t", "delete"), ("WITH x AS (SELECT 1) SELECT 1", "other"), ("BEGIN", "other")],
)  # fmt: skip
def test_operation_label(sql, operation):
    assert operation_of(sql) == operation


def instrument(**db_settings) -> QueryInstrument:
    with override_settings(AXIOMOD={"db": db_settings}):
        return QueryInstrument("default")


def run(sql, params=None, **db_settings):
    with connection.execute_wrapper(instrument(**db_settings)), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_slow_query_is_logged_with_duration_alias_sql_and_caller(caplog):
    with caplog.at_level(logging.WARNING, logger="axiomod.db.slow"):
        run("SELECT %s", ["secret-value"], slow_query_ms=0)
    (record,) = caplog.records
    message = record.getMessage()
    assert "on default at " in message
    assert "tests/db/test_instrumentation.py" in message, "names the application frame"
    assert "SELECT %s" in message
    assert "secret-value" not in message and "params=[redacted]" in message
    assert record.alias == "default" and record.duration_ms >= 0


def test_parameters_are_logged_when_asked(caplog):
    with caplog.at_level(logging.WARNING, logger="axiomod.db.slow"):
        run("SELECT %s", ["visible"], slow_query_ms=0, log_params=True)
    assert "visible" in caplog.records[0].getMessage()


def test_fast_queries_are_not_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="axiomod.db.slow"):
        run("SELECT 1", slow_query_ms=10_000)
    assert caplog.records == []


def test_sampling_drops_log_lines_but_still_counts(caplog):
    before = sample("db_slow_queries_total", alias="default")
    with caplog.at_level(logging.WARNING, logger="axiomod.db.slow"):
        for _ in range(5):
            run("SELECT 1", slow_query_ms=0, slow_query_sample_rate=0.0)
    assert caplog.records == []
    assert sample("db_slow_queries_total", alias="default") == before + 5


def test_durations_are_recorded_by_operation_and_status():
    """Through the wrapper every connection gets (no extra wrapper here)."""
    labels = {"alias": "default", "operation": "select", "status": "success"}
    before = sample("db_query_duration_seconds_count", **labels)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert sample("db_query_duration_seconds_count", **labels) == before + 1
    error = {"alias": "default", "operation": "select", "status": "error"}
    before_error = sample("db_query_duration_seconds_count", **error)
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert sample("db_query_duration_seconds_count", **error) == before_error + 1


def test_every_new_connection_is_instrumented():
    connection.close()
    connection.ensure_connection()
    assert any(isinstance(w, QueryInstrument) for w in connection.execute_wrappers)
