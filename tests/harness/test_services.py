"""The test harness itself: real services are found, used and cleaned up; the policy holds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from axiomod.testing import REQUIRE_SERVICES_ENV, ServiceUnreachableError, service_unavailable
from axiomod.testing.kafka_broker import KafkaBroker
from tests.services import (
    DatabaseFactory,
    MariaDBService,
    PostgresService,
    RedisService,
    find_mariadb,
    find_postgres,
    find_redis,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the skip-or-fail policy (no service needed) ----------------------------------------


@pytest.mark.parametrize("value", [None, "", "0", "no"])
def test_unavailable_service_skips_by_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(REQUIRE_SERVICES_ENV, raising=False)
    else:
        monkeypatch.setenv(REQUIRE_SERVICES_ENV, value)
    with pytest.raises(pytest.skip.Exception, match=r"redis not reachable at 127\.0\.0\.1:1: "):
        service_unavailable("redis", "127.0.0.1:1", "connection refused")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_unavailable_service_fails_when_required(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_SERVICES_ENV, value)
    with pytest.raises(pytest.fail.Exception, match=r"redis not reachable at 127\.0\.0\.1:1: "):
        service_unavailable("redis", "127.0.0.1:1", "connection refused")


@pytest.mark.parametrize(
    ("finder", "scheme"),
    [(find_postgres, "postgres"), (find_mariadb, "mysql"), (find_redis, "redis")],
)
def test_probe_of_closed_port_reports_reason_quickly(finder, scheme):
    started = time.monotonic()
    with pytest.raises(ServiceUnreachableError) as excinfo:
        finder(f"{scheme}://root@127.0.0.1:{_closed_port()}/")
    assert str(excinfo.value)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("required", "outcome"), [("0", "1 skipped"), ("1", "1 error")])
def test_policy_end_to_end_in_a_pytest_run(required, outcome):
    """A whole pytest run with Redis pointed at a closed port: skipped, or failed in CI."""
    port = _closed_port()
    env = {
        **os.environ,
        REQUIRE_SERVICES_ENV: required,
        "AXIOMOD_TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__).relative_to(REPO_ROOT)}::test_redis_round_trip",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert outcome in output, output
    assert f"redis not reachable at 127.0.0.1:{port}" in output, output
    label = "services failed" if required == "1" else "services skipped"
    assert f"{label}: redis at 127.0.0.1:{port}" in output, output
    assert run.returncode == (1 if required == "1" else 0), output


def test_integration_marker_is_applied_automatically(request):
    # This test uses no service fixture: it must not be marked.
    assert request.node.get_closest_marker("integration") is None


# --- PostgreSQL --------------------------------------------------------------------------


@pytest.fixture
def dropped_afterwards(postgres_service, mariadb_service):
    """Set up before the database fixture, so its teardown checks the drop happened."""
    names: dict[str, str] = {}
    yield names
    if "postgres" in names:
        assert not postgres_service.database_exists(names["postgres"])
    if "mariadb" in names:
        assert not mariadb_service.database_exists(names["mariadb"])


def test_postgres_service_found(postgres_service, request):
    assert isinstance(postgres_service, PostgresService)
    assert postgres_service.version[0].isdigit()
    assert postgres_service.url.startswith("postgres://")
    assert request.node.get_closest_marker("integration") is not None


def test_postgres_database_is_fresh_usable_and_dropped(dropped_afterwards, postgres_database):
    import dj_database_url

    settings = dj_database_url.parse(postgres_database)
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    name = settings["NAME"]
    assert name.startswith("axiomod_test_")
    dropped_afterwards["postgres"] = name

    service = find_postgres()
    assert service.database_exists(name)
    import psycopg

    with psycopg.connect(postgres_database, autocommit=True) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == name
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
        assert tables == 0
        conn.execute("CREATE TABLE invoice (id serial PRIMARY KEY, total numeric NOT NULL)")
        conn.execute("INSERT INTO invoice (total) VALUES (12.50), (7.25)")
        assert conn.execute("SELECT sum(total) FROM invoice").fetchone()[0] == 19.75


def test_postgres_drop_disconnects_sessions(postgres_service):
    with DatabaseFactory(postgres_service) as factory:
        database = factory.create()
        lingering = postgres_service.connect(database.name)
        lingering.execute("SELECT 1")
    assert not postgres_service.database_exists(database.name)
    assert lingering.closed or lingering.broken or _query_fails(lingering)
    lingering.close()


def _query_fails(conn) -> bool:
    try:
        conn.execute("SELECT 1")
    except Exception:
        return True
    return False


# --- MariaDB -----------------------------------------------------------------------------


def test_mariadb_service_found(mariadb_service):
    assert isinstance(mariadb_service, MariaDBService)
    assert mariadb_service.version[0].isdigit()
    assert mariadb_service.url.startswith("mysql://")


def test_mariadb_database_is_fresh_usable_and_dropped(dropped_afterwards, mariadb_database):
    import dj_database_url
    import pymysql

    settings = dj_database_url.parse(mariadb_database)
    assert settings["ENGINE"] == "django.db.backends.mysql"
    name = settings["NAME"]
    assert name.startswith("axiomod_test_")
    dropped_afterwards["mariadb"] = name

    conn = pymysql.connect(
        host=settings["HOST"],
        port=int(settings["PORT"]),
        user=settings["USER"],
        password=settings["PASSWORD"],
        database=name,
        autocommit=True,
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (name,)
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute("CREATE TABLE invoice (id int AUTO_INCREMENT PRIMARY KEY, total int)")
            cursor.execute("INSERT INTO invoice (total) VALUES (12), (7)")
            cursor.execute("SELECT sum(total) FROM invoice")
            assert int(cursor.fetchone()[0]) == 19
    finally:
        conn.close()


def test_mariadb_drop_kills_sessions(mariadb_service):
    with DatabaseFactory(mariadb_service) as factory:
        database = factory.create()
        assert mariadb_service.database_exists(database.name)
        lingering = mariadb_service.connect(database.name)
        with lingering.cursor() as cursor:
            cursor.execute("CREATE TABLE t (id int)")
            cursor.execute("BEGIN")
            cursor.execute("INSERT INTO t VALUES (1)")  # holds a metadata lock
    assert not mariadb_service.database_exists(database.name)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any error: the session was killed
        lingering.ping(reconnect=False)
    lingering.close()


# --- Redis -------------------------------------------------------------------------------


def test_redis_round_trip(redis_service):
    assert isinstance(redis_service, RedisService)
    assert redis_service.version
    client = redis_service.client()
    key = f"axiomod:test:{os.getpid()}:{time.monotonic_ns()}"
    try:
        assert client.set(key, "ok", ex=30)
        assert client.get(key) == b"ok"
    finally:
        client.delete(key)
        client.close()


# --- Kafka-protocol broker ----------------------------------------------------------------


def test_kafka_broker_config(kafka_broker):
    assert isinstance(kafka_broker, KafkaBroker)
    assert kafka_broker.running
    assert kafka_broker.version.startswith("tansu")
    plain = kafka_broker.client_config()
    assert plain == {"bootstrap.servers": kafka_broker.bootstrap_servers}
    consumer = kafka_broker.client_config(group_id="g", enable_auto_commit=False)
    assert consumer["group.id"] == "g"
    assert consumer["enable.auto.commit"] is False
    assert consumer["session.timeout.ms"] == 6000
    overridden = kafka_broker.consumer_config("g", session_timeout_ms=7000)
    assert overridden["session.timeout.ms"] == 7000


def test_kafka_produce_consume_commit(kafka_broker):
    from confluent_kafka import Consumer, Producer, TopicPartition

    topic = kafka_broker.create_topic(partitions=1)
    producer = Producer(kafka_broker.client_config())
    delivered = []
    for i in range(3):
        producer.produce(
            topic,
            key=f"k{i}",
            value=f"v{i}",
            headers=[("trace", f"t{i}".encode()), ("kind", b"invoice")],
            on_delivery=lambda err, msg: delivered.append((err, msg.offset())),
        )
    assert producer.flush(15) == 0
    assert [err for err, _ in delivered] == [None, None, None]

    group = f"group-{topic}"
    consumer = Consumer(kafka_broker.consumer_config(group, enable_auto_commit=False))
    try:
        consumer.subscribe([topic])
        received = []
        deadline = time.monotonic() + 30
        while len(received) < 3 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            received.append(msg)
        assert [m.value() for m in received] == [b"v0", b"v1", b"v2"]
        assert [m.key() for m in received] == [b"k0", b"k1", b"k2"]
        assert received[1].headers() == [("trace", b"t1"), ("kind", b"invoice")]

        committed = consumer.commit(asynchronous=False)
        assert [(tp.partition, tp.offset) for tp in committed] == [(0, 3)]
        [partition] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        assert partition.offset == 3
    finally:
        consumer.close()


def test_kafka_broker_stop_and_start_on_the_same_port(kafka_broker):
    """An outage: a connected producer gets its messages through once the broker is back."""
    from confluent_kafka import Producer

    port = kafka_broker.port
    topic = kafka_broker.create_topic()
    producer = Producer(kafka_broker.client_config(reconnect_backoff_max_ms=500))
    producer.produce(topic, b"before the outage")
    assert producer.flush(15) == 0

    kafka_broker.stop()
    assert not kafka_broker.running
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass

    kafka_broker.start()
    assert kafka_broker.running
    assert kafka_broker.port == port
    # Memory storage: the topic went with the old process.
    kafka_broker.create_topic(topic)
    delivered = []
    producer.produce(
        topic, b"after the restart", on_delivery=lambda err, msg: delivered.append(err)
    )
    assert producer.flush(30) == 0
    assert delivered == [None]
