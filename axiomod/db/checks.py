"""System checks of the database layer: ``AXIOMOD["db"]`` and ``DATABASES``.

* axiomod.E070: a ``db.replicas`` entry that is not a ``DATABASES`` alias; E075: the
  primary listed as a replica; W070: replicas without the router that uses them.
* axiomod.E071-E074: the known connection-pool traps of ``DATABASES``.
* axiomod.W071: pool options given to ``database()`` for an entry without a pool.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS
from django.utils.module_loading import import_string

from axiomod.checks import TAG
from axiomod.conf import settings

#: The tag of these checks (``manage.py check --tag axiomod_db``). Not Django's
#: ``database`` tag: Django 6.1 skips checks with that tag unless ``--database`` is given,
#: since its own connect to the database; these only read the settings.
DB_TAG = "axiomod_db"


@register(TAG, DB_TAG)
def check_replicas(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``AXIOMOD["db"]["replicas"]`` names real aliases and is routed to."""
    try:
        replicas = settings.db.replicas
    except ImproperlyConfigured:
        return []  # the section's schema errors are reported by the AXIOMOD check
    return list(_replica_problems(replicas))


def _replica_problems(replicas: Iterable[str]) -> Iterable[CheckMessage]:
    replicas = list(replicas)
    for i, alias in enumerate(replicas):
        if alias not in django_settings.DATABASES:
            yield Error(
                f'AXIOMOD["db"]["replicas"][{i}]: {alias!r} is not an alias in DATABASES.',
                hint="known aliases: " + ", ".join(django_settings.DATABASES),
                obj="settings.AXIOMOD",
                id="axiomod.E070",
            )
    if DEFAULT_DB_ALIAS in replicas:
        yield Error(
            f'AXIOMOD["db"]["replicas"]: {DEFAULT_DB_ALIAS!r} is the primary, not a replica.',
            hint="Replicas never get migrations; listing the primary would skip its own.",
            obj="settings.AXIOMOD",
            id="axiomod.E075",
        )
    router = "axiomod.db.routers.PrimaryReplicaRouter"
    if replicas and not any(map(_is_replica_router, django_settings.DATABASE_ROUTERS)):
        yield Warning(
            'AXIOMOD["db"]["replicas"] is set but no PrimaryReplicaRouter is in '
            "DATABASE_ROUTERS, so every read still goes to the primary.",
            hint=f"DATABASE_ROUTERS = [{router!r}]",
            obj="settings.AXIOMOD",
            id="axiomod.W070",
        )


def _is_replica_router(entry: Any) -> bool:
    from .routers import PrimaryReplicaRouter

    if isinstance(entry, str):
        try:
            entry = import_string(entry)
        except ImportError:
            return False
    cls = entry if isinstance(entry, type) else type(entry)
    return issubclass(cls, PrimaryReplicaRouter)


@register(TAG, DB_TAG)
def check_unused_pool_options(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Pool options that ``database()`` was given for an entry that has no pool."""
    return unused_pool_options(django_settings.DATABASES)


def unused_pool_options(databases: dict[str, Any]) -> list[CheckMessage]:
    from .config import UNUSED_POOL_OPTIONS

    messages: list[CheckMessage] = []
    for alias, config in databases.items():
        unused = config.get(UNUSED_POOL_OPTIONS)
        if not unused:
            continue
        engine = config.get("ENGINE", "")
        reason = (
            "pool=False was given"
            if engine == "django.db.backends.postgresql"
            else f"{engine} has no connection pool in Django"
        )
        named = ", ".join(f"{name}={value!r}" for name, value in unused.items())
        messages.append(Warning(
            f"DATABASES[{alias!r}]: {named} unused: {reason}.",
            hint="They take effect when the URL is PostgreSQL; here each connection "
            "persists for max_lifetime seconds (CONN_MAX_AGE). If one settings module "
            "serves both on purpose (SQLite in development), silence this with "
            'SILENCED_SYSTEM_CHECKS = ["axiomod.W071"].',
            obj="settings.DATABASES", id="axiomod.W071",
        ))  # fmt: skip
    return messages


@register(TAG, DB_TAG)
def check_pools(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for alias, config in django_settings.DATABASES.items():
        pool = (config.get("OPTIONS") or {}).get("pool")
        if not pool:
            continue
        where = f"DATABASES[{alias!r}]"
        engine = config.get("ENGINE", "")
        if engine != "django.db.backends.postgresql":
            messages.append(Error(
                f"{where}: OPTIONS['pool'] is set but {engine} has no connection pool.",
                hint="Only PostgreSQL pools connections in Django; use CONN_MAX_AGE "
                "(axiomod.db.database(url, max_lifetime=...)) elsewhere.",
                obj="settings.DATABASES", id="axiomod.E071",
            ))  # fmt: skip
            continue
        if config.get("CONN_MAX_AGE", 0) != 0:  # None (unlimited) is refused too
            messages.append(Error(
                f"{where}: a pool cannot be combined with CONN_MAX_AGE="
                f"{config.get('CONN_MAX_AGE')!r}; Django refuses to start the pool.",
                hint="Set CONN_MAX_AGE to 0; the pool keeps connections open itself.",
                obj="settings.DATABASES", id="axiomod.E072",
            ))  # fmt: skip
        if isinstance(pool, dict):
            messages.extend(_pool_sizes(where, pool))
        try:
            import psycopg_pool  # noqa: F401
        except ImportError:
            messages.append(Error(
                f"{where}: OPTIONS['pool'] needs psycopg_pool.",
                hint='pip install "axiomod[postgres]"',
                obj="settings.DATABASES", id="axiomod.E074",
            ))  # fmt: skip
    return messages


def _pool_sizes(where: str, pool: dict[str, Any]) -> list[CheckMessage]:
    problems = []
    min_size, max_size = pool.get("min_size", 4), pool.get("max_size")
    if not isinstance(min_size, int) or min_size < 0:
        problems.append(f"min_size={min_size!r} must be an integer >= 0")
    if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
        problems.append(f"max_size={max_size!r} must be an integer >= 1")
    elif isinstance(min_size, int) and isinstance(max_size, int) and max_size < min_size:
        problems.append(f"max_size={max_size} is smaller than min_size={min_size}")
    for key in ("timeout", "max_lifetime", "max_idle"):
        value = pool.get(key)
        if value is not None and (not isinstance(value, int | float) or value <= 0):
            problems.append(f"{key}={value!r} must be a positive number of seconds")
    return [
        Error(f"{where}: OPTIONS['pool'] {problem}.", obj="settings.DATABASES",
              id="axiomod.E073")
        for problem in problems
    ]  # fmt: skip
