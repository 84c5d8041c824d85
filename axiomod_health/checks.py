"""System checks of ``AXIOMOD["health"]`` that need more than the schema (ids axiomod.E02x)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

from axiomod.checks import TAG, importable
from axiomod.conf import settings


def _not_a_check(dotted: str) -> str | None:
    from django.utils.module_loading import import_string

    from .registry import spec_for

    try:
        spec_for(import_string(dotted))
    except TypeError:
        return f"not a check: {dotted!r} is neither a function nor a health check"
    return None


@register(TAG)
def check_health_checks_importable(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if any(e.path[:1] == ("health",) for e in settings.errors):
        return []  # the schema errors are reported by axiomod.checks already
    messages: list[CheckMessage] = []
    for i, dotted in enumerate(settings.health.checks):
        where = f'AXIOMOD["health"]["checks"][{i}]'
        problem = importable(dotted)
        if problem:
            messages.append(
                Error(
                    f"{where}: {problem}.",
                    hint="Each entry is the dotted path of a check function or class.",
                    obj="settings.AXIOMOD",
                    id="axiomod.E020",
                )
            )
        elif problem := _not_a_check(dotted):
            messages.append(
                Error(
                    f"{where}: {problem}.",
                    hint="Point at a function, a @health_check function or a "
                    "django-health-check HealthCheck class or instance.",
                    obj="settings.AXIOMOD",
                    id="axiomod.E021",
                )
            )
    return messages


_OWN_PATHS = {
    "live_path": "liveness probe",
    "ready_path": "readiness probe",
    "health_path": "health view",
}


@register(TAG)
def check_metrics_path_is_not_a_probe_path(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """axiomod.E022: ``AXIOMOD["metrics"]["path"]`` equal to a path of this app.

    ``HealthProbeMiddleware`` answers ``live_path`` and ``ready_path`` ahead of every URL,
    so a scrape endpoint there is never served and Prometheus reads the probe instead;
    on ``health_path`` the first of the two URL patterns hides the other.
    The check is this app's, not ``axiomod_metrics``': the probe paths and the middleware
    that takes them are here, so this is where the paths other endpoints must avoid are
    known. It reads the metrics path through the kernel's accessor
    (``axiomod.conf.settings``), the public face of every ``AXIOMOD`` section, and imports
    nothing of ``axiomod_metrics`` (apps import the kernel and each other's public
    ``__init__`` only). Without ``axiomod_metrics`` installed, nothing serves that path.
    """
    if not apps.is_installed("axiomod_metrics"):
        return []
    if any(e.path[:1] in {("health",), ("metrics",)} for e in settings.errors):
        return []  # the schema errors are reported by axiomod.checks already
    metrics, health = settings.metrics, settings.health
    if not metrics.main_port:
        return []  # served only on the metrics port, where no probe answers
    return [
        Error(
            f'AXIOMOD["metrics"]["path"]: {metrics.path!r} is also AXIOMOD["health"]["{key}"]; '
            f"one path cannot serve both the {what} and the metrics (the probe middleware, "
            "or else the first URL pattern, answers it and hides the other).",
            hint="Give the scrape endpoint a path of its own (the default is '/metrics').",
            obj="settings.AXIOMOD",
            id="axiomod.E022",
        )
        for key, what in _OWN_PATHS.items()
        if getattr(health, key) == metrics.path
    ]
