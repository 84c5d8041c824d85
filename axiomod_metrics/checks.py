"""System checks of the metrics app (ids axiomod.W01x): its middleware in ``MIDDLEWARE``.

* axiomod.W010: ``MetricsMiddleware`` is not in ``MIDDLEWARE``, so ``/metrics`` has no
  ``http_requests_total`` (HTTP requests are counted by the middleware only).
* axiomod.W011: it is below a middleware that changes what it sees: below
  ``HealthProbeMiddleware`` is right, above it every probe is counted as traffic; below
  ``SecurityMiddleware``, ``CommonMiddleware`` or ``BearerTokenMiddleware``, the
  responses those return themselves (redirects, 400, 401) are not counted.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Warning, register

from axiomod.checks import (
    ANSWERS_ITSELF,
    TAG,
    answers_itself,
    middleware_above,
    middleware_index,
    middleware_place,
)
from axiomod.conf import settings

MIDDLEWARE = "axiomod_metrics.middleware.MetricsMiddleware"
PROBES = "axiomod_health.middleware.HealthProbeMiddleware"


@register(TAG)
def check_metrics_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if middleware_index(MIDDLEWARE) is None:
        return [
            Warning(
                f"{MIDDLEWARE!r} is not in MIDDLEWARE: HTTP requests are not counted, so "
                "the scrape endpoint has no http_requests_total or "
                "http_request_duration_seconds.",
                hint=f"Add {MIDDLEWARE!r} {middleware_place([PROBES])}.",
                obj="settings.MIDDLEWARE",
                id="axiomod.W010",
            )
        ]
    messages: list[CheckMessage] = []
    own = middleware_index(MIDDLEWARE)
    probes = middleware_index(PROBES) if apps.is_installed("axiomod_health") else None
    if probes is not None and own is not None and probes > own:
        messages.append(
            Warning(
                f"{MIDDLEWARE!r} is above {PROBES!r} in MIDDLEWARE: every {_probes()} "
                'probe is counted as a request (path="unmatched").',
                hint=f"Put {PROBES!r} first in MIDDLEWARE and {MIDDLEWARE!r} right after it.",
                obj="settings.MIDDLEWARE",
                id="axiomod.W011",
            )
        )
    spot = f"right after {PROBES!r}" if probes is not None else "to the top of MIDDLEWARE"
    found = middleware_above(MIDDLEWARE, ANSWERS_ITSELF)
    if found:
        names, what = answers_itself(found)
        messages.append(
            Warning(
                f"{MIDDLEWARE!r} is below {names} in MIDDLEWARE: the responses returned "
                f"there ({what}) are not counted, and the durations leave out the "
                "middleware above it.",
                hint=f"Move {MIDDLEWARE!r} above {found[0]!r}, {spot}.",
                obj="settings.MIDDLEWARE",
                id="axiomod.W011",
            )
        )
    return messages


def _probes() -> str:
    """The probe paths, read through the kernel's accessor (the health app's section)."""
    health = settings.best_effort("health")
    return f"{health.live_path} and {health.ready_path}"
