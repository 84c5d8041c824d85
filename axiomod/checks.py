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


# MIDDLEWARE: what the apps' checks for their middleware share (axiomod.W010, W023, W033,
# W080 and the order warnings next to them; each app checks its own middleware).

#: Django's and axiomod's middlewares that answer some requests themselves, before the
#: view: what they answer never reaches a middleware placed below them.
ANSWERS_ITSELF = {
    "django.middleware.security.SecurityMiddleware": "redirects to HTTPS",
    "django.middleware.common.CommonMiddleware": (
        "301 to the URL with a slash and 400 for a Host not in ALLOWED_HOSTS"
    ),
    "axiomod_auth.bearer.BearerTokenMiddleware": "401 for a bad bearer token",
}


def answers_itself(found: list[str]) -> tuple[str, str]:
    """``('A' and 'B', "A's redirects ...; B's 401 ...")`` for entries of ANSWERS_ITSELF."""
    names = " and ".join(repr(name) for name in found)
    what = "; ".join(f"{name.rsplit('.', 1)[-1]}'s {ANSWERS_ITSELF[name]}" for name in found)
    return names, what


def middleware_index(dotted: str) -> int | None:
    """Position in ``MIDDLEWARE`` of ``dotted`` or of a subclass of it; None if absent.

    Like Django admin's checks for its required middleware, an entry matches when it is
    the class itself or a subclass. Only the entries are imported (the server imports
    them anyway), never ``dotted``, which may belong to an app that is not installed; an
    entry that cannot be imported matches nothing (the server reports it when it loads).
    """
    entries = list(getattr(django_settings, "MIDDLEWARE", None) or ())
    if dotted in entries:
        return entries.index(dotted)
    for i, entry in enumerate(entries):
        try:
            cls = import_string(entry)
        except Exception:
            continue
        if isinstance(cls, type) and any(
            f"{base.__module__}.{base.__qualname__}" == dotted for base in cls.__mro__
        ):
            return i
    return None


def middleware_above(dotted: str, candidates: Iterable[str]) -> list[str]:
    """The ``candidates`` found in ``MIDDLEWARE`` above ``dotted``, in their order there.

    ``dotted`` must be in ``MIDDLEWARE`` (else the list is empty).
    """
    own = middleware_index(dotted)
    if own is None:
        return []
    found = [(i, c) for c in candidates if (i := middleware_index(c)) is not None and i < own]
    return [c for _, c in sorted(found)]


def middleware_anchor(after: Iterable[str]) -> str | None:
    """The last of ``after`` found in ``MIDDLEWARE`` (what a middleware goes right after)."""
    present = [(i, a) for a in after if (i := middleware_index(a)) is not None]
    return max(present)[1] if present else None


def middleware_place(after: Iterable[str]) -> str:
    """Where in ``MIDDLEWARE`` a middleware goes: right after the last of ``after`` there."""
    anchor = middleware_anchor(after)
    return "at the top of MIDDLEWARE" if anchor is None else f"to MIDDLEWARE right after {anchor!r}"
