"""The checks axiomod enables by itself for what the project configures.

* ``database:<alias>`` for every ``DATABASES`` alias, and ``cache:<alias>`` for every
  ``CACHES`` alias (non-critical: a cache outage slows a service down, it does not stop
  it): django-health-check's ``Database`` and ``Cache`` checks.
* ``redis`` when ``AXIOMOD["jobs"]["broker_url"]`` is a Redis URL: django-health-check's
  ``Redis`` check.
* ``kafka`` when ``AXIOMOD["kafka"]`` is set: a metadata request with a timeout. Not
  django-health-check's ``Kafka`` check: it joins a consumer group for every probe and
  reports DOWN for a healthy cluster that has no topics yet.
* ``oidc`` when ``AXIOMOD["oidc"]`` is set (non-critical): a usable discovery document
  (from ``axiomod_auth``'s cache when that app is installed).
* ``migrations`` when ``AXIOMOD["health"]["migrations"]`` is on (non-critical).

Then the checks registered with ``@health_check`` and the dotted paths of
``AXIOMOD["health"]["checks"]``. ``disabled`` removes checks by name, ``non_critical``
downgrades them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import urllib.request
from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.utils.module_loading import import_string
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable

from axiomod.conf import settings

from .registry import CheckSpec, registered, spec_for

__all__ = ["KafkaMetadata", "Migrations", "OidcDiscovery", "configured_checks"]


@dataclasses.dataclass
class KafkaMetadata(HealthCheck):
    """The brokers answer a metadata request within the timeout."""

    bootstrap_servers: str = ""
    config: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    timeout_seconds: float = 1.0

    def _admin(self) -> Any:
        from confluent_kafka.admin import AdminClient

        key = (os.getpid(), self.bootstrap_servers, tuple(sorted(self.config.items())))
        with _ADMIN_LOCK:
            client = _ADMIN_CLIENTS.get(key)
            if client is None:  # one client per process: it reconnects by itself
                client = _ADMIN_CLIENTS[key] = AdminClient(
                    {
                        "bootstrap.servers": self.bootstrap_servers,
                        # librdkafka writes to stderr by default, several lines a second
                        # while a broker is down; route it to a logger users can tune.
                        "logger": logging.getLogger("axiomod.health.kafka"),
                        **self.config,
                    }
                )
            return client

    def run(self) -> None:
        from confluent_kafka import KafkaException

        try:
            metadata = self._admin().list_topics(timeout=self.timeout_seconds)
        except KafkaException as exc:
            raise ServiceUnavailable(f"no metadata from {self.bootstrap_servers}: {exc}") from exc
        if not metadata.brokers:
            raise ServiceUnavailable(f"no broker answered at {self.bootstrap_servers}")


_ADMIN_CLIENTS: dict[tuple, Any] = {}
_ADMIN_LOCK = threading.Lock()


@dataclasses.dataclass
class OidcDiscovery(HealthCheck):
    """The provider's discovery document can be fetched and names the issuer.

    With ``axiomod_auth`` installed the answer comes from its cache: UP while a usable
    copy is held (fresh, or stale within ``max_stale``), so a probe costs no request to
    the provider and a brief provider outage the service rides out does not flap
    readiness. Without it, one GET per run.
    """

    issuer: str = ""
    timeout_seconds: float = 1.0

    def run(self) -> None:
        if apps.is_installed("axiomod_auth"):
            import axiomod_auth

            try:
                axiomod_auth.provider().discovery.get()
            except axiomod_auth.ProviderUnavailable as exc:
                raise ServiceUnavailable(str(exc)) from exc
            return
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_seconds) as answer:
                document = json.loads(answer.read())
        except (OSError, ValueError) as exc:
            raise ServiceUnavailable(f"discovery at {url} failed: {exc}") from exc
        if document.get("issuer") != self.issuer:
            raise ServiceUnavailable(f"discovery at {url} names another issuer")


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration of the installed apps is applied on ``alias``."""

    alias: str = "default"

    def run(self) -> None:
        from django.db import connections
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connections[self.alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
            raise ServiceUnavailable(f"{len(plan)} unapplied migration(s): {names}")


@dataclasses.dataclass
class _Broken(HealthCheck):
    """Stands for a configured check that cannot be built: DOWN with the reason."""

    error: str = ""

    def run(self) -> None:
        raise ServiceUnavailable(self.error)


def _builtins() -> list[CheckSpec]:
    # Clients get most of the check's budget, so their own error ("connection refused",
    # "no metadata") reaches the report rather than axiomod's "timed out".
    timeout = settings.health.check_timeout * 0.8
    specs = [
        CheckSpec(f"database:{alias}", Database(alias=alias)) for alias in django_settings.DATABASES
    ]
    specs += [
        CheckSpec(f"cache:{alias}", Cache(alias=alias), critical=False)
        for alias in getattr(django_settings, "CACHES", {})
    ]
    broker = settings.jobs.broker_url if apps.is_installed("axiomod_jobs") else None
    if broker and broker.startswith(("redis://", "rediss://", "unix://")):
        from health_check.contrib.redis import Redis
        from redis.asyncio import Redis as RedisClient

        specs.append(
            CheckSpec(
                "redis",
                Redis(
                    client_factory=lambda: RedisClient.from_url(
                        broker, socket_connect_timeout=timeout, socket_timeout=timeout
                    )
                ),
            )
        )
    kafka = settings.kafka if apps.is_installed("axiomod_messaging") else None
    if kafka is not None:
        specs.append(
            CheckSpec(
                "kafka",
                KafkaMetadata(kafka.bootstrap_servers, dict(kafka.security), timeout),
            )
        )
    oidc = settings.oidc
    if oidc is not None:
        specs.append(CheckSpec("oidc", OidcDiscovery(oidc.issuer, timeout), critical=False))
    if settings.health.migrations:
        specs.append(CheckSpec("migrations", Migrations(), critical=False))
    return specs


def configured_checks() -> list[CheckSpec]:
    """Every check a readiness probe runs, with ``disabled`` and ``non_critical`` applied."""
    conf = settings.health
    specs = {spec.name: spec for spec in _builtins()}
    for spec in registered():
        specs[spec.name] = spec
    for dotted in conf.checks:
        try:
            spec = spec_for(import_string(dotted))
        except (ImportError, TypeError) as exc:  # reported by `manage.py check` (E020/E021)
            spec = CheckSpec(dotted, _Broken(error=f"{dotted}: {exc}"))
        specs[spec.name] = spec
    return [
        dataclasses.replace(spec, critical=False) if spec.name in conf.non_critical else spec
        for name, spec in specs.items()
        if name not in conf.disabled
    ]
