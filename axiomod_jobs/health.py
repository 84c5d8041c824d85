"""The ``redis`` readiness check of the jobs broker, contributed to the health app.

When ``AXIOMOD["jobs"]["broker_url"]`` is a Redis URL: django-health-check's ``Redis``
check, with connect and read timeouts inside the probe's budget. Imported by the health
app's autodiscovery of ``<app>/health.py``.
"""

from __future__ import annotations

from axiomod.conf import settings
from axiomod_health import CheckSpec, check_source

__all__ = ["broker_checks"]

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@check_source
def broker_checks(timeout: float) -> list[CheckSpec]:
    broker = settings.jobs.broker_url
    if not broker or not broker.startswith(REDIS_SCHEMES):
        return []
    from health_check.contrib.redis import Redis
    from redis.asyncio import Redis as RedisClient

    def client() -> RedisClient:
        return RedisClient.from_url(broker, socket_connect_timeout=timeout, socket_timeout=timeout)

    return [CheckSpec("redis", Redis(client_factory=client))]
