"""System checks for the ``AXIOMOD`` setting, run by ``manage.py check`` and at start-up.

Ids: ``axiomod.E001`` unknown key, ``E002`` wrong type, ``E003`` invalid or out-of-range
value, ``E004`` missing required value, ``W001`` a section whose app is not installed;
``E005`` a scaffold templates directory that does not exist. The other checks of a
section sit in one module beside the code that reads it (the db section's in
:mod:`axiomod.db.checks`, each app's in its ``checks.py``), with ids from its own range
(see docs/configuration.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from axiomod.conf import registry, settings

TAG = "axiomod"


@register(TAG, Tags.compatibility)
def check_axiomod_setting(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every schema error of the ``AXIOMOD`` block, with the path and the valid choices."""
    settings.reload()  # checks may run after the environment or settings changed
    messages: list[CheckMessage] = []
    for error in settings.errors:
        where = error.setting if error.env is None else f"{error.env} (default of {error.setting})"
        messages.append(
            Error(
                f"{where}: {error.message}.", hint=error.hint, obj="settings.AXIOMOD", id=error.id
            )
        )
    raw = getattr(django_settings, "AXIOMOD", {})
    if isinstance(raw, dict):
        for name in raw:
            cls = registry.section_for(name) if isinstance(name, str) else None
            app = cls.app if cls is not None else None
            if app is not None and not apps.is_installed(app):
                messages.append(
                    Warning(
                        f'AXIOMOD["{name}"] is set but {app!r} is not in INSTALLED_APPS, '
                        "so nothing reads it.",
                        hint=f"Add {app!r} to INSTALLED_APPS or remove the section.",
                        obj="settings.AXIOMOD",
                        id="axiomod.W001",
                    )
                )
    if not any(m.is_serious() for m in messages):
        messages.extend(_check_core_references())
    return messages


def _check_core_references() -> Iterable[CheckMessage]:
    """The scaffold section's one check (the db section's are in :mod:`axiomod.db.checks`)."""
    # Only a configured directory can be wrong (the default is used when it exists). The
    # path is resolved as the generators resolve it, without importing the tooling.
    configured = settings.scaffold.templates_dir
    if configured is not None:
        path = Path(getattr(django_settings, "BASE_DIR", Path.cwd())) / configured
        if not path.is_dir():
            yield Error(
                f'AXIOMOD["scaffold"]["templates_dir"]: {path} is not a directory.',
                hint="Create it, or remove the setting to use the package's templates.",
                obj="settings.AXIOMOD",
                id="axiomod.E005",
            )


def importable(dotted: str) -> str | None:
    """Why ``dotted`` cannot be imported, or None; shared by the apps' own checks."""
    try:
        import_string(dotted)
    except ImportError as exc:
        return f"cannot import {dotted!r} ({exc})"
    return None
