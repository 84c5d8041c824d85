"""``database(url, ...)``: a ``DATABASES`` entry from a URL, with the Go framework's pool names.

Built on dj-database-url (the URL parsing the ecosystem already uses). Pool settings map
onto Django 5.2's native psycopg pool for PostgreSQL (``OPTIONS["pool"]``); MariaDB/MySQL
and SQLite have no pool in Django, so there a connection lives for ``max_lifetime``
seconds (``CONN_MAX_AGE``) and is checked before reuse (``CONN_HEALTH_CHECKS``).

============================  ==========================  ===========================
Go framework / axiomod        psycopg_pool (PostgreSQL)   MariaDB, SQLite
============================  ==========================  ===========================
``max_open``                  ``max_size``                (no pool)
``min_idle`` / ``max_idle``   ``min_size``                (no pool)
``max_lifetime`` (s)          ``max_lifetime``            ``CONN_MAX_AGE``
``max_idle_time`` (s)         ``max_idle``                (no pool)
``timeout`` (s)               ``timeout`` (wait for one)  connect / SQLite lock wait
============================  ==========================  ===========================

Pool options given for an entry without a pool are not an error: they are unused, and
the axiomod.W071 check names them, so ``database(os.environ["DATABASE_URL"], max_open=4)``
serves SQLite in development and PostgreSQL in production. A value no backend accepts
(``max_open=0``, a negative time) is a ``ValueError`` on every backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dj_database_url

__all__ = ["POOL_DEFAULTS", "UNUSED_POOL_OPTIONS", "database", "persistent_under_asgi"]

#: Sized for a gunicorn worker: a sync worker uses one connection at a time, threads more.
POOL_DEFAULTS = {
    "max_open": 10,
    "min_idle": 2,
    "max_lifetime": 1800.0,
    "max_idle_time": 300.0,
    "timeout": 10.0,
}

#: Key of a ``DATABASES`` entry (ignored by Django) holding the pool options that
#: ``database()`` was given for an entry without a pool; read by axiomod.W071.
UNUSED_POOL_OPTIONS = "AXIOMOD_UNUSED_POOL_OPTIONS"


def database(
    url: str,
    *,
    pool: bool | None = None,
    max_open: int | None = None,
    min_idle: int | None = None,
    max_idle: int | None = None,
    max_lifetime: float | None = None,
    max_idle_time: float | None = None,
    timeout: float | None = None,
    options: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``DATABASES`` entry for ``url`` (``postgres://``, ``mysql://``/``mariadb://``, ``sqlite:///``).

    PostgreSQL gets a pool unless ``pool=False``; ``extra`` keys (``TEST``, ``ATOMIC_REQUESTS``,
    ...) are copied into the entry as they are.
    """
    _refuse_invalid(max_open, min_idle, max_idle, max_lifetime, max_idle_time, timeout)
    if url.startswith("mariadb://"):
        url = "mysql://" + url.removeprefix("mariadb://")
    config = dj_database_url.parse(url)
    config.setdefault("OPTIONS", {})
    config["OPTIONS"].update(options or {})
    engine = config["ENGINE"]
    given = {
        "max_open": max_open,
        "min_idle": min_idle,
        "max_idle": max_idle,
        "max_idle_time": max_idle_time,
    }
    if engine == "django.db.backends.postgresql":
        _require_psycopg()
    if engine == "django.db.backends.postgresql" and pool is not False:
        values = {**POOL_DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
        if max_lifetime is not None:
            values["max_lifetime"] = max_lifetime
        if timeout is not None:
            values["timeout"] = timeout
        min_size = values["min_idle"] if min_idle is not None or max_idle is None else max_idle
        user_pool = config["OPTIONS"].get("pool")
        config["OPTIONS"]["pool"] = {
            "min_size": min(min_size, values["max_open"]),
            "max_size": values["max_open"],
            "max_lifetime": float(values["max_lifetime"]),
            "max_idle": float(values["max_idle_time"]),
            "timeout": float(values["timeout"]),
            **(user_pool if isinstance(user_pool, dict) else {}),  # options={"pool": ...} wins
        }
        config["CONN_MAX_AGE"] = 0  # Django refuses a pool with persistent connections
        # Django hands the pool a check (so it never lends a dead connection) only
        # when CONN_HEALTH_CHECKS is on.
        config["CONN_HEALTH_CHECKS"] = True
    else:
        # Pool options where there is no pool are not an error: one settings module
        # serves SQLite in development and PostgreSQL in production with the same call.
        # They are recorded for the axiomod.W071 check, which names them.
        unused = {name: value for name, value in given.items() if value is not None}
        if pool:
            unused = {"pool": True, **unused}
        if unused:
            config[UNUSED_POOL_OPTIONS] = unused
        if timeout is not None:
            if engine == "django.db.backends.sqlite3":
                config["OPTIONS"].setdefault("timeout", float(timeout))  # lock wait
            else:  # connect timeouts are whole seconds
                config["OPTIONS"].setdefault("connect_timeout", max(1, round(timeout)))
        if engine == "django.db.backends.mysql":
            _use_pymysql()
        config["CONN_MAX_AGE"] = (
            POOL_DEFAULTS["max_lifetime"] if max_lifetime is None else max_lifetime
        )
        config["CONN_HEALTH_CHECKS"] = True
    config.update(extra)
    return config


def _refuse_invalid(
    max_open: Any, min_idle: Any, max_idle: Any, max_lifetime: Any, max_idle_time: Any,
    timeout: Any,
) -> None:  # fmt: skip
    """``ValueError`` for a value that no backend accepts.

    Checked on every backend, so a typo is found in development on SQLite, where the
    pool options are otherwise unused, rather than by the first deployment on
    PostgreSQL. Values that only fail together (``max_open`` below ``min_idle``) or
    only on one backend are the system checks' business (axiomod.E073).
    """
    problems = []
    for name, value, least in (("max_open", max_open, 1), ("min_idle", min_idle, 0),
                               ("max_idle", max_idle, 0)):  # fmt: skip
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < least
        ):
            problems.append(f"{name}={value!r} must be an integer >= {least}")
    for name, value, zero_ok in (("max_lifetime", max_lifetime, True),
                                 ("max_idle_time", max_idle_time, False),
                                 ("timeout", timeout, False)):  # fmt: skip
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{name}={value!r} must be a number of seconds")
        elif value < 0 or (value == 0 and not zero_ok):
            problems.append(f"{name}={value!r} must be {'>= 0' if zero_ok else '> 0'} seconds")
    if problems:
        raise ValueError("database(): " + "; ".join(problems))


def _require_psycopg() -> None:
    """PostgreSQL needs psycopg (the ``postgres`` extra); say so rather than Django's
    generic ``Error loading psycopg2 or psycopg module`` at the first connection."""
    try:
        import psycopg  # noqa: F401  (Django imports it at the first connection anyway)
    except ImportError as exc:
        try:
            import psycopg2  # noqa: F401  (Django still accepts psycopg 2)
        except ImportError:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f'PostgreSQL needs a driver: pip install "axiomod[postgres]" ({exc})'
            ) from None


def _use_pymysql() -> None:
    """MariaDB/MySQL through PyMySQL (the ``mysql`` extra) when mysqlclient is absent."""
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        try:
            import pymysql
        except ImportError:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                'MariaDB/MySQL needs a driver: pip install "axiomod[mysql]"'
            ) from None
        pymysql.install_as_MySQLdb()


def persistent_under_asgi(databases: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Why each server database's persistent connections are wasted under ASGI, if they are.

    Under an ASGI server Django runs each request's sync code (ORM calls included) in a
    thread of its own (asgiref gives every request's ``ThreadSensitiveContext`` a fresh
    executor), and connections are per thread: a connection kept for ``CONN_MAX_AGE``
    is opened by every request and never reused, then closed when its thread's objects
    are collected (``bench asgi``: 50 connections for 50 requests). Django's docs say to
    turn persistent connections off under ASGI; PostgreSQL's pool (Django >= 5.1), which
    ``database(pool=True)`` configures, is shared by all threads and is unaffected.
    SQLite is left out: a file connection costs microseconds.
    """
    found = []
    for alias, config in databases.items():
        engine = str(config.get("ENGINE", ""))
        max_age = config.get("CONN_MAX_AGE", 0)
        if engine.endswith("sqlite3") or max_age == 0:
            continue
        found.append(
            f"database {alias!r}: CONN_MAX_AGE={max_age!r} under ASGI opens a connection "
            "per request and never reuses it (each request's sync code runs in a thread "
            "of its own, and connections are per thread). Use "
            "axiomod.db.database(..., pool=True) on PostgreSQL, or max_lifetime=0 "
            "(CONN_MAX_AGE=0) for the ASGI server's settings."
        )
    return found
