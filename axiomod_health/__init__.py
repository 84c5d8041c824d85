"""Kubernetes probes for axiomod services: ``/live``, ``/ready`` and ``/health``.

Public API (imported lazily, so reading ``AXIOMOD`` never needs django-health-check)::

    from axiomod_health import health_check

    @health_check(name="payments-api", critical=False, timeout=0.5)
    def payments_api():
        ...  # return for UP, raise for DOWN

An app that checks a service only when it is configured registers a source of checks
in its own ``health.py`` with ``@check_source`` (see
:func:`axiomod_health.registry.check_source`); ``CheckSpec`` names one check.

``readiness()`` returns the current report (used by the gRPC health service).
Configured by ``AXIOMOD["health"]`` (:class:`axiomod_health.conf.HealthSettings`).
Needs the ``health`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry import CheckSpec, check_source, health_check
    from .state import Report

__all__ = ["CheckSpec", "Report", "check_source", "health_check", "readiness"]


def readiness() -> Report:
    """The current readiness report (cached per ``cache_ttl``; DOWN while draining)."""
    from .state import current_report

    return current_report()


def __getattr__(name: str) -> Any:
    if name in {"health_check", "CheckSpec", "check_source"}:
        from . import registry

        return getattr(registry, name)
    if name == "Report":
        from .state import Report

        return Report
    raise AttributeError(f"module 'axiomod_health' has no attribute {name!r}")
