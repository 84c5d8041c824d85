"""System check of ``AXIOMOD["observability"]``: its parameters are the installed apps' (E090)."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from axiomod.checks import TAG
from axiomod.conf import settings

from .discovery import contributions, resolve


@register(TAG)
def check_parameters(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each entry of ``parameters`` names a declared parameter and holds a value it takes."""
    try:
        overrides = settings.observability.parameters
    except ImproperlyConfigured:
        return []  # the section's schema errors are reported by the AXIOMOD check
    if not overrides:
        return []
    _, problems = resolve(contributions(django_settings.INSTALLED_APPS), overrides)
    return [
        Error(
            f'AXIOMOD["observability"]["parameters"]: {problem}.',
            hint="The parameters of each app's rules are listed by "
            "`manage.py axiomod_observability parameters`.",
            obj="settings.AXIOMOD",
            id="axiomod.E090",
        )
        for problem in problems
    ]
