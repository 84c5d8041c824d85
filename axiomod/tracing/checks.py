"""System checks of tracing (ids axiomod.W08x): spans are exported but not made.

* axiomod.W080: ``AXIOMOD["tracing"]["exporter"]`` (or ``OTEL_TRACES_EXPORTER``) exports
  but ``TracingMiddleware`` is not in ``MIDDLEWARE``: HTTP requests get no span (and a
  web process never sets tracing up, which building the middleware does).
* axiomod.W081: it is below a middleware that answers some requests itself
  (``SecurityMiddleware``, ``CommonMiddleware``, ``BearerTokenMiddleware``): those
  responses get no span.

Registered by the core app (``AxiomodConfig.ready``).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Warning, register

from axiomod.checks import (
    ANSWERS_ITSELF,
    TAG,
    answers_itself,
    middleware_above,
    middleware_anchor,
    middleware_index,
    middleware_place,
)
from axiomod.conf import settings

from .setup import exports

MIDDLEWARE = "axiomod.tracing.middleware.TracingMiddleware"
#: What goes above it: the probes (never traced) and the request metrics.
ABOVE = (
    "axiomod_health.middleware.HealthProbeMiddleware",
    "axiomod_metrics.middleware.MetricsMiddleware",
)


def _exporter_source() -> str:
    """Where the exporter comes from, as the user wrote it."""
    raw = getattr(django_settings, "AXIOMOD", {})
    section = raw.get("tracing") if isinstance(raw, dict) else None
    exporter = settings.best_effort("tracing").exporter
    if isinstance(section, dict) and "exporter" in section:
        return f'AXIOMOD["tracing"]["exporter"] is {exporter!r}'
    variable = os.environ.get("OTEL_TRACES_EXPORTER", "")
    return f"OTEL_TRACES_EXPORTER={variable} (the default of AXIOMOD['tracing']['exporter'])"


@register(TAG)
def check_tracing_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if any(e.path[:1] == ("tracing",) for e in settings.errors):
        return []  # the schema errors are reported by axiomod.checks already
    if not exports():
        return []  # nothing to export: the middleware is a no-op either way
    if middleware_index(MIDDLEWARE) is None:
        return [
            Warning(
                f"{_exporter_source()}, but {MIDDLEWARE!r} is not in MIDDLEWARE: HTTP "
                "requests get no span.",
                hint=f"Add {MIDDLEWARE!r} {middleware_place(ABOVE)}. (A process that "
                "serves no HTTP, such as a Kafka consumer, can silence axiomod.W080 in "
                "SILENCED_SYSTEM_CHECKS.)",
                obj="settings.MIDDLEWARE",
                id="axiomod.W080",
            )
        ]
    found = middleware_above(MIDDLEWARE, ANSWERS_ITSELF)
    if not found:
        return []
    names, what = answers_itself(found)
    return [
        Warning(
            f"{MIDDLEWARE!r} is below {names} in MIDDLEWARE: the responses returned there "
            f"({what}) get no span.",
            hint=f"Move {MIDDLEWARE!r} above {found[0]!r}, {_spot()}.",
            obj="settings.MIDDLEWARE",
            id="axiomod.W081",
        )
    ]


def _spot() -> str:
    anchor = middleware_anchor(ABOVE)
    return "to the top of MIDDLEWARE" if anchor is None else f"right after {anchor!r}"
