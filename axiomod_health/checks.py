"""System checks of ``AXIOMOD["health"]`` that need more than the schema (ids axiomod.E02x)."""

from __future__ import annotations

from typing import Any

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
