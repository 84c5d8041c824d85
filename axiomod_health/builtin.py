"""The checks axiomod enables by itself for what the project configures.

* ``database:<alias>`` for every ``DATABASES`` alias, and ``cache:<alias>`` for every
  ``CACHES`` alias (non-critical: a cache outage slows a service down, it does not stop
  it): django-health-check's ``Database`` and ``Cache`` checks.
* the checks the other apps contribute from their own ``health.py`` for what is
  configured (:func:`~axiomod_health.registry.check_source`): ``redis`` (the jobs
  broker, ``axiomod_jobs.health``), ``kafka`` (``axiomod_messaging.health``), ``oidc``
  (``axiomod_auth.health``). This app knows none of them.
* ``migrations`` when ``AXIOMOD["health"]["migrations"]`` is on (non-critical).

Then the checks registered with ``@health_check`` and the dotted paths of
``AXIOMOD["health"]["checks"]``. ``disabled`` removes checks by name, ``non_critical``
downgrades them.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings as django_settings
from django.utils.module_loading import import_string
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable

from axiomod.conf import settings

from .registry import CheckSpec, contributed, registered, spec_for

__all__ = ["Migrations", "configured_checks"]


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
    specs += contributed(timeout)  # the apps' own: redis, kafka, oidc...
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
