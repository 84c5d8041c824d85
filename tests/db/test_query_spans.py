"""SQL spans: each query a CLIENT child of the current span, on SQLite, PostgreSQL, MariaDB.

The spans come from the execute wrapper every connection gets (no extra wrapper here);
``traced`` installs axiomod's provider with an in-memory exporter.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError, connection, connections
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from axiomod import tracing
from axiomod.db import database
from axiomod.db.sanitize import sanitize
from axiomod.db.spans import QuerySpans

from ..tracing.conftest import traced  # noqa: F401  (the fixture)

SECRET_LITERAL = "literal-secret-7f3a"
SECRET_PARAM = "param-secret-9c1d"
SECRET_NUMBER = 424242


def client_spans(exporter: InMemorySpanExporter) -> list:
    return [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]


def all_values(spans) -> str:
    """Every attribute value and name of ``spans``, as one string to search."""
    return repr([(s.name, dict(s.attributes)) for s in spans])


def run_queries(alias: str) -> tuple:
    """Under a parent span: DDL, a parameterised INSERT, executemany, inline literals.

    Returns the parent span's context.
    """
    wrapper = connections[alias]
    quote = wrapper.ops.quote_name
    table = quote("span_probe")
    with tracing.tracer().start_as_current_span("parent") as parent, wrapper.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (name VARCHAR(100), n INTEGER)")
        cursor.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", [SECRET_PARAM, 1])
        cursor.executemany(
            f"INSERT INTO {table} (name, n) VALUES (%s, %s)", [("a", 2), ("b", 3), ("c", 4)]
        )
        cursor.execute(
            f"SELECT n FROM {table} WHERE name = '{SECRET_LITERAL}' OR n = {SECRET_NUMBER}"
        )
        assert list(cursor.fetchall()) == []
        cursor.execute(f"DROP TABLE {table}")
    return parent.get_span_context()


def assert_query_spans(exporter, parent, system: str, namespace: str, server) -> None:
    spans = client_spans(exporter)
    assert len(spans) == 5, [s.name for s in spans]
    create, insert, many, select, drop = spans
    for span in spans:
        assert span.parent.span_id == parent.span_id
        assert span.context.trace_id == parent.trace_id
        assert span.attributes["db.system.name"] == system
        assert span.attributes["db.namespace"] == namespace
        if server is None:
            assert "server.address" not in span.attributes
        else:
            assert (span.attributes["server.address"], span.attributes["server.port"]) == server
        assert span.status.status_code is StatusCode.UNSET
    assert insert.name == f"INSERT {namespace}"
    assert insert.attributes["db.operation.name"] == "INSERT"
    assert "%s" in insert.attributes["db.query.text"]
    assert "db.operation.batch.size" not in insert.attributes
    assert many.name == f"BATCH INSERT {namespace}"
    assert many.attributes["db.operation.name"] == "BATCH INSERT"
    assert many.attributes["db.operation.batch.size"] == 3
    assert select.name == f"SELECT {namespace}"
    assert select.attributes["db.query.text"].endswith("WHERE name = ? OR n = ?")
    assert create.attributes["db.operation.name"] == "CREATE"
    assert drop.attributes["db.operation.name"] == "DROP"
    text = all_values(spans)
    assert SECRET_LITERAL not in text and str(SECRET_NUMBER) not in text
    assert SECRET_PARAM not in text, "parameter values are never recorded"


@pytest.mark.django_db(transaction=True)
def test_sqlite_queries_are_client_children_of_the_current_span(traced):  # noqa: F811
    exporter = traced(1.0)
    parent = run_queries("default")
    name = str(connection.settings_dict["NAME"])
    assert_query_spans(exporter, parent, "sqlite", name, None)


@pytest.mark.integration
def test_postgresql_query_spans(traced, add_alias, postgres_database):  # noqa: F811
    alias = add_alias("spanpg", database(postgres_database))
    exporter = traced(1.0)
    parent = run_queries(alias)
    url = urlsplit(postgres_database)
    server = (url.hostname, url.port or 5432)
    assert_query_spans(exporter, parent, "postgresql", url.path.lstrip("/"), server)


@pytest.mark.integration
def test_mariadb_query_spans(traced, add_alias, mariadb_database):  # noqa: F811
    alias = add_alias("spanmaria", database(mariadb_database))
    exporter = traced(1.0)
    parent = run_queries(alias)
    url = urlsplit(mariadb_database)
    server = (url.hostname, url.port or 3306)
    assert_query_spans(exporter, parent, "mariadb", url.path.lstrip("/"), server)


@pytest.mark.integration
def test_mariadb_double_quoted_strings_are_sanitised(traced, add_alias, mariadb_database):  # noqa: F811
    alias = add_alias("quotesmaria", database(mariadb_database))
    exporter = traced(1.0)
    with tracing.tracer().start_as_current_span("parent"), connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT \"{SECRET_LITERAL}\", 'it\\'s {SECRET_LITERAL}'")
        assert cursor.fetchone() == (SECRET_LITERAL, f"it's {SECRET_LITERAL}")
    (span,) = client_spans(exporter)
    assert span.attributes["db.query.text"] == "SELECT ?, ?"


@pytest.mark.django_db
def test_queries_of_a_sampled_request_hang_from_its_server_span(client, traced):  # noqa: F811
    exporter = traced(1.0)
    assert client.get("/invoices/").status_code == 200
    spans = exporter.get_finished_spans()
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    queries = client_spans(exporter)
    assert queries, "the invoice list queries the database"
    assert {q.parent.span_id for q in queries} == {server.context.span_id}
    assert all(q.attributes["db.operation.name"] == "SELECT" for q in queries)
    assert all(server.start_time <= q.start_time <= q.end_time <= server.end_time for q in queries)


@pytest.mark.django_db
def test_unsampled_request_makes_no_query_span_and_never_reaches_span_code(
    client,
    traced,  # noqa: F811
    monkeypatch,
):
    exporter = traced(0.0)

    def refuse(*args, **kwargs):
        raise AssertionError("span code ran for an unsampled query")

    monkeypatch.setattr(QuerySpans, "start", refuse)
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    # An unsampled caller, and a new root at ratio 0: neither records.
    assert (
        client.get("/invoices/", HTTP_TRACEPARENT=f"00-{trace_id}-{parent_id}-00").status_code
        == 200
    )
    with tracing.tracer().start_as_current_span("root") as root, connection.cursor() as cursor:
        assert not root.is_recording()
        cursor.execute("SELECT 1")
    assert exporter.get_finished_spans() == ()


@pytest.mark.django_db
def test_tracing_off_makes_no_query_span_even_under_a_foreign_recording_span(monkeypatch):
    """A span recorded by someone else's SDK (tracing off in axiomod) gets no children
    from axiomod: its tracer is None, so the query runs untraced."""
    tracing.shutdown()
    assert tracing.tracer() is None
    foreign = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(foreign))
    with (
        provider.get_tracer("user").start_as_current_span("theirs"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert [s.name for s in foreign.get_finished_spans()] == ["theirs"]
    monkeypatch.setattr(QuerySpans, "start", lambda *a, **k: pytest.fail("span code ran"))
    with connection.cursor() as cursor:  # no current span at all: not even a tracer lookup
        cursor.execute("SELECT 1")


def failing_query(alias: str) -> tuple[BaseException, BaseException]:
    """The error of a query on a missing table without axiomod's wrapper, then with it
    inside a sampled span: (bare error, wrapped error)."""
    wrapper = connections[alias]
    saved = list(wrapper.execute_wrappers)
    errors = []
    for wrappers in ([], saved):
        wrapper.execute_wrappers[:] = wrappers
        try:
            with (
                tracing.tracer().start_as_current_span("parent"),
                pytest.raises(DatabaseError) as raised,
                wrapper.cursor() as cursor,
            ):
                cursor.execute("SELECT * FROM no_such_table_for_spans WHERE id = %s", [7])
        finally:
            wrapper.execute_wrappers[:] = saved
        errors.append(raised.value)
    if wrapper.vendor == "postgresql":
        wrapper.rollback()  # leave no aborted transaction behind
    return errors[0], errors[1]


def assert_error_span(exporter, bare, error, error_type: str, code: str) -> None:
    assert type(error) is type(bare) and str(error) == str(bare), "propagates unchanged"
    assert type(error.__cause__) is type(bare.__cause__)
    (span,) = client_spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error_type
    assert span.attributes["db.response.status_code"] == code
    assert span.events == (), "no exception event: a message may quote row values"


@pytest.mark.django_db
def test_sqlite_failing_query_is_an_error_span(traced):  # noqa: F811
    exporter = traced(1.0)
    bare, error = failing_query("default")
    assert_error_span(exporter, bare, error, "django.db.utils.OperationalError", "SQLITE_ERROR")


@pytest.mark.integration
def test_postgresql_failing_query_is_an_error_span(traced, add_alias, postgres_database):  # noqa: F811
    alias = add_alias("errorpg", database(postgres_database))
    exporter = traced(1.0)
    bare, error = failing_query(alias)
    # 42P01: undefined_table
    assert_error_span(exporter, bare, error, "django.db.utils.ProgrammingError", "42P01")


@pytest.mark.integration
def test_mariadb_failing_query_is_an_error_span(traced, add_alias, mariadb_database):  # noqa: F811
    alias = add_alias("errormaria", database(mariadb_database))
    exporter = traced(1.0)
    bare, error = failing_query(alias)
    # 1146: ER_NO_SUCH_TABLE
    assert_error_span(exporter, bare, error, "django.db.utils.ProgrammingError", "1146")


@pytest.mark.parametrize(
    ("sql", "mysql", "text", "operation"),
    [
        ('SELECT "t"."a" FROM "t" WHERE "t"."b" = %s LIMIT 21', False,
         'SELECT "t"."a" FROM "t" WHERE "t"."b" = %s LIMIT ?', "SELECT"),
        ("select * from t where a = 'x''y' and b = 1.5e3 and c = 0x1F", False,
         "select * from t where a = ? and b = ? and c = ?", "select"),
        # A standard string ends at the second quote: the backslash is no escape.
        ("SELECT 'a\\' , 'secret'", False, "SELECT ? , ?", "SELECT"),
        ("SELECT E'a\\' , ' , 'secret'", False, "SELECT ? , ?", "SELECT"),
        ("SELECT $q$ secret $$ $q$, $$x$$, $1", False, "SELECT ?, ?, $1", "SELECT"),
        ("SELECT ARRAY['secret', 2]", False, "SELECT ARRAY[?, ?]", "SELECT"),
        ('SELECT "secret", \'it\\\'s\'', True, "SELECT ?, ?", "SELECT"),
        ("SELECT `t1`.`c2` FROM `t1` WHERE x = 'y'", True,
         "SELECT `t1`.`c2` FROM `t1` WHERE x = ?", "SELECT"),
        ("SELECT 2 # 'secret'", False, "SELECT ? # ?", "SELECT"),  # "#" is XOR here
        ("SELECT 'unterminated secret", False, "SELECT ?", "SELECT"),
        ("/* c */ (SELECT 1) UNION (SELECT 2)", False, "/* c */ (SELECT ?) UNION (SELECT ?)",
         "SELECT"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False, "WITH x AS (SELECT ?) SELECT * FROM x",
         None),
        ("SELECT 1; DELETE FROM t", False, "SELECT ?; DELETE FROM t", None),
        ("SELECT 1;", False, "SELECT ?;", "SELECT"),
    ],
)  # fmt: skip
def test_sanitize(sql, mysql, text, operation):
    assert tuple(sanitize(sql, mysql)) == (text, operation)


def test_recording_reads_the_current_span_as_the_public_api_does():
    from opentelemetry import context, trace

    from axiomod.db.spans import recording

    assert recording.__name__ == "direct", "the fast read is in use with the default context"
    recorded = TracerProvider().get_tracer("t").start_span("p", context=context.Context())
    unsampled = trace.NonRecordingSpan(trace.SpanContext(1, 2, False))
    for current in (None, unsampled, recorded):
        ctx = context.Context() if current is None else trace.set_span_in_context(current)
        token = context.attach(ctx)
        try:
            assert recording() is trace.get_current_span().is_recording() is (current is recorded)
        finally:
            context.detach(token)


@pytest.mark.django_db
def test_a_span_that_cannot_be_made_never_fails_the_query(traced, monkeypatch, caplog):  # noqa: F811
    from axiomod.db.instrumentation import QueryInstrument

    exporter = traced(1.0)

    def broken(self, connection):
        raise ValueError("PORT 'abc' is not a number")

    monkeypatch.setattr("axiomod.db.spans.ConnectionFacts.__init__", broken)
    wrapper = connections["default"]
    # A fresh instrument: the connection's own has its facts cached by earlier tests.
    monkeypatch.setattr(wrapper, "execute_wrappers", [QueryInstrument("default")])
    with tracing.tracer().start_as_current_span("parent"):
        for _ in range(2):
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT 1")
                assert cursor.fetchone() == (1,)
    assert client_spans(exporter) == []
    warnings = [r for r in caplog.records if r.name == "axiomod.db"]
    assert len(warnings) == 1 and "no span" in warnings[0].getMessage()


def test_query_spans_off_makes_no_span_under_a_recording_parent(traced):  # noqa: F811
    from django.test import override_settings

    from axiomod.db.instrumentation import QueryInstrument

    exporter = traced(1.0)
    ran = []

    def execute(sql, params, many, context):
        ran.append(sql)
        return "rows"

    context = {"connection": connection, "cursor": None}
    for enabled, expected in ((True, 1), (False, 0)):
        with override_settings(AXIOMOD={"db": {"query_spans": enabled}}):
            instrument = QueryInstrument("default")  # a new connection's wrapper
        exporter.clear()
        with tracing.tracer().start_as_current_span("parent"):
            assert instrument(execute, "SELECT 1", None, False, context) == "rows"
        assert len(client_spans(exporter)) == expected, enabled
    assert ran == ["SELECT 1", "SELECT 1"]
