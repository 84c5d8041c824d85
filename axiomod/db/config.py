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
"""

from __future__ import annotations

from typing import Any

import dj_database_url

__all__ = ["POOL_DEFAULTS", "database"]

#: Sized for a gunicorn worker: a sync worker uses one connection at a time, threads more.
POOL_DEFAULTS = {
    "max_open": 10,
    "min_idle": 2,
    "max_lifetime": 1800.0,
    "max_idle_time": 300.0,
    "timeout": 10.0,
}

_POOL_ONLY = ("max_open", "min_idle", "max_idle", "max_idle_time")


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
        named = [name for name in _POOL_ONLY if given[name] is not None]
        if pool:
            named.insert(0, "pool=True")
        if named:
            reason = (
                "pool=False was given"
                if engine == "django.db.backends.postgresql"
                else f"{engine} has no connection pool in Django"
            )
            raise ValueError(
                f"{', '.join(named)}: {reason}; use max_lifetime (persistent connections) instead"
            )
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
