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
``prometheus_server`` (function) -> a factory of :class:`PrometheusServer`
    A real Prometheus scraping the targets it is given.

``kafka_broker``, ``otlp_receiver`` and ``oidc_provider`` come from axiomod's own pytest
plugin, :mod:`axiomod.testing.pytest_plugin` (tests/conftest.py enables both), as do the
skip-or-fail policy and the "real services" summary at the end of the run.

Availability: a service that cannot be reached or started skips the tests that need it,
or fails them when ``AXIOMOD_REQUIRE_SERVICES=1`` (as CI sets); see
:func:`axiomod.testing.service_unavailable`.

The URLs are the forms dj-database-url parses, so a test can run Django against them:
``DATABASES = {"default": dj_database_url.parse(postgres_database)}``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import os
import secrets
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from axiomod.testing.ports import free_port
from axiomod.testing.pytest_plugin import give_up, ledger
from axiomod.testing.services import ServiceUnreachableError
from axiomod.testing.services import one_line as _one_line

__all__ = [
    "SERVICE_FIXTURES",
    "DatabaseFactory",
    "MariaDBService",
    "PostgresService",
    "PrometheusServer",
    "RedisService",
    "find_mariadb",
    "find_postgres",
    "find_redis",
    "mariadb_database",
    "mariadb_database_factory",
    "mariadb_service",
    "postgres_database",
    "postgres_database_factory",
    "postgres_service",
    "prometheus_server",
    "redis_service",
]

POSTGRES_URL_ENV = "AXIOMOD_TEST_POSTGRES_URL"
MYSQL_URL_ENV = "AXIOMOD_TEST_MYSQL_URL"
REDIS_URL_ENV = "AXIOMOD_TEST_REDIS_URL"

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

#: Seconds to wait for a connection to a service that should already be running.
CONNECT_TIMEOUT = 3

#: Every fixture that needs a real service; conftest marks their users ``integration``.
#: (``kafka_broker`` is the axiomod.testing plugin's.)
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
        ledger(request.config).record_used(found.name, found.address, found.version)
        return found
    # Outside the except block, so the report shows the reason, not a chain of tracebacks.
    address = _Url.parse(os.environ.get(env) or default_url, port).address
    give_up(request, service, address, reason)


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
    #: Rule files loaded (recording and alerting rules), evaluated every ``scrape_interval``.
    rule_files: tuple[Path, ...] = ()
    #: More command-line flags (``--enable-feature=exemplar-storage``).
    flags: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> PrometheusServer:
        import json

        self.port = self.port or free_port()
        config = {
            "global": {
                "scrape_interval": self.scrape_interval,
                "scrape_timeout": "1s",
                "evaluation_interval": self.scrape_interval,
            },
            "rule_files": [str(path) for path in self.rule_files],
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
                *self.flags,
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

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        """Range query through the HTTP API: each series' ``metric`` and ``values``."""
        import json
        from urllib.parse import urlencode

        query = urlencode({"query": expr, "start": start, "end": end, "step": step})
        data = json.loads(self._get("/api/v1/query_range?" + query))
        assert data["status"] == "success", data
        return data["data"]["result"]

    def names(self) -> set[str]:
        """Every series name Prometheus holds."""
        import json

        data = json.loads(self._get("/api/v1/label/__name__/values"))
        assert data["status"] == "success", data
        return set(data["data"])

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
        give_up(
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

    def start(
        targets: list[str],
        metrics_path: str = "/metrics",
        *,
        rule_files: Iterable[Path] = (),
        flags: Iterable[str] = (),
    ) -> PrometheusServer:
        workdir = tmp_path / f"prometheus-{len(started)}"
        workdir.mkdir()
        server = PrometheusServer(
            binary,
            workdir,
            list(targets),
            metrics_path,
            version=" ".join(version),
            rule_files=tuple(rule_files),
            flags=tuple(flags),
        )
        try:
            server.start()
        except ServiceUnreachableError as exc:
            give_up(request, "prometheus", server.url, exc)
        started.append(server)
        ledger(request.config).record_used(
            "prometheus", server.url, server.version, origin="started by fixture"
        )
        return server

    yield start
    for server in started:
        server.stop()
