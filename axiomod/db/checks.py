"""System checks of ``DATABASES`` for the known pool traps (ids axiomod.E071-E074)."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, register

from axiomod.checks import TAG


@register(TAG, "database")
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
