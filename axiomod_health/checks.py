"""System checks of ``AXIOMOD["health"]`` that need more than the schema (ids axiomod.E02x)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from axiomod.checks import TAG, importable
from axiomod.conf import settings


@register(TAG)
def check_health_checks_importable(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if any(e.path[:1] == ("health",) for e in settings.errors):
        return []  # the schema errors are reported by axiomod.checks already
    messages: list[CheckMessage] = []
    for i, dotted in enumerate(settings.health.checks):
        problem = importable(dotted)
        if problem:
            messages.append(
                Error(
                    f'AXIOMOD["health"]["checks"][{i}]: {problem}.',
                    hint="Each entry is the dotted path of a check function or class.",
                    obj="settings.AXIOMOD",
                    id="axiomod.E020",
                )
            )
    return messages
