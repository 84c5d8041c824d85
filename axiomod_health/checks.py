"""System checks of the health app (ids axiomod.E02x, W02x).

* axiomod.E020-E022: ``AXIOMOD["health"]`` beyond its schema (checks that cannot be
  imported or are not checks; the metrics path on a probe path).
* axiomod.W023: ``HealthProbeMiddleware`` is not in ``MIDDLEWARE``: the probes go through
  the whole stack, where ``ALLOWED_HOSTS`` refuses a kubelet that calls the pod by IP.
* axiomod.W024: it is below a middleware that refuses or redirects probes
  (``CommonMiddleware`` unless ``ALLOWED_HOSTS`` has ``"*"``; ``SecurityMiddleware``
  with ``SECURE_SSL_REDIRECT`` on and the probe paths not exempt).
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Warning, register

from axiomod.checks import TAG, importable, middleware_above, middleware_index
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


MIDDLEWARE = "axiomod_health.middleware.HealthProbeMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"


@register(TAG)
def check_probe_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """axiomod.W023 (missing) and W024 (below a middleware that refuses probes)."""
    if any(e.path[:1] == ("health",) for e in settings.errors):
        return []  # the schema errors are reported by axiomod.checks already
    health = settings.health
    probes = f"{health.live_path} and {health.ready_path}"
    if middleware_index(MIDDLEWARE) is None:
        return [
            Warning(
                f"{MIDDLEWARE!r} is not in MIDDLEWARE: {probes} go through the whole "
                "middleware stack, where a Kubernetes probe (which calls the pod by its IP) "
                "gets 400 DisallowedHost unless ALLOWED_HOSTS lists that IP, and every probe "
                "pays for sessions and authentication.",
                hint=f"Add {MIDDLEWARE!r} at the top of MIDDLEWARE.",
                obj="settings.MIDDLEWARE",
                id="axiomod.W023",
            )
        ]
    breaks = {}
    if "*" not in getattr(django_settings, "ALLOWED_HOSTS", ()):
        breaks[COMMON] = (
            "it answers a probe that calls the pod by its IP with 400 DisallowedHost "
            "(the IP is not in ALLOWED_HOSTS)"
        )
    if getattr(django_settings, "SECURE_SSL_REDIRECT", False):
        exempt = [re.compile(r) for r in getattr(django_settings, "SECURE_REDIRECT_EXEMPT", ())]
        paths = (health.live_path.lstrip("/"), health.ready_path.lstrip("/"))
        if not all(any(r.search(p) for r in exempt) for p in paths):
            breaks[SECURITY] = (
                "with SECURE_SSL_REDIRECT on it answers a probe over plain HTTP with a "
                "301 to https://"
            )
    return [
        Warning(
            f"{MIDDLEWARE!r} is below {above!r} in MIDDLEWARE: {breaks[above]}, so {probes} fail.",
            hint=f"Move {MIDDLEWARE!r} to the top of MIDDLEWARE.",
            obj="settings.MIDDLEWARE",
            id="axiomod.W024",
        )
        for above in middleware_above(MIDDLEWARE, breaks)
    ]
