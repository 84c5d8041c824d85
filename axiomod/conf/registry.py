"""Which sections ``AXIOMOD`` has: declared by the apps, discovered from ``INSTALLED_APPS``.

The kernel lists no app. An app declares its sections in its own ``conf`` module::

    # my_app/conf.py
    @dataclasses.dataclass(frozen=True)
    class AuditSettings(Section):
        key = "audit"
        app = "my_app"
        retention_days: int = setting(30, min=1)

    AXIOMOD_SECTIONS = (AuditSettings,)

and gets validation, did-you-mean hints, ``manage.py check`` errors and a place in the
generated settings reference without the kernel naming it.

Discovery reads ``settings.INSTALLED_APPS`` and imports ``<app>.conf`` where one exists.
That needs Django's settings but not the app registry, so it works before
``django.setup()`` (the gunicorn master reads ``AXIOMOD["metrics"]`` there) and for an
app that is not an installed distribution (a test app, a project's own app). Entry
points were the alternative; they need an installed distribution and say nothing about
what a given project uses, so they serve only as the *catalogue* below.

The catalogue (entry-point group ``axiomod.sections``: ``key = "module:Class"``) names
sections of apps that are available but not in ``INSTALLED_APPS``: a section written for
one of them is still validated and gets the "add the app" warning (``axiomod.W001``)
instead of "unknown setting". It is read only when a key is not found among the
installed apps, so a project that configures only what it installed never scans the
installed distributions' metadata.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from .schema import Section

__all__ = [
    "ENTRY_POINT_GROUP",
    "app_modules",
    "catalogue",
    "forget",
    "installed_sections",
    "section_for",
    "sections_of",
]

#: The entry-point group of the catalogue of available sections.
ENTRY_POINT_GROUP = "axiomod.sections"

#: The module attribute an app's ``conf`` module declares its sections in.
DECLARATION = "AXIOMOD_SECTIONS"

_lock = threading.Lock()
_found: dict[str, dict[str, type[Section]]] = {}  # "installed" and "catalogue", once each


def _once(name: str, find: Callable[[], dict[str, type[Section]]]) -> dict[str, type[Section]]:
    found = _found.get(name)
    if found is None:
        with _lock:
            found = _found.get(name)
            if found is None:
                found = _found[name] = find()
    return found


def installed_sections() -> dict[str, type[Section]]:
    """Sections of the kernel and of every app in ``INSTALLED_APPS``, by key, in that order."""

    def find() -> dict[str, type[Section]]:
        from django.conf import settings as django_settings

        return sections_of(getattr(django_settings, "INSTALLED_APPS", ()))

    return _once("installed", find)


def catalogue() -> dict[str, type[Section]]:
    """Sections of available apps, by key, whether installed in this project or not."""
    return _once("catalogue", _read_catalogue)


def section_for(key: str) -> type[Section] | None:
    """The section class of ``key``: an installed app's first, else the catalogue's."""
    return installed_sections().get(key) or catalogue().get(key)


def forget() -> None:
    """Discover again on next use (``INSTALLED_APPS`` changed, in tests)."""
    with _lock:
        _found.pop("installed", None)


def sections_of(installed_apps: Iterable[str]) -> dict[str, type[Section]]:
    """The sections the kernel and ``installed_apps`` declare, by key; one owner per key."""
    sections: dict[str, type[Section]] = {}
    owners: dict[str, str] = {}
    for module in ("axiomod", *app_modules(installed_apps)):
        for cls in _declared(module):
            if cls.key in sections and owners[cls.key] != module:
                raise ImproperlyConfigured(
                    f'AXIOMOD["{cls.key}"] is declared by both {owners[cls.key]!r} and '
                    f"{module!r}; a section belongs to one app."
                )
            sections[cls.key], owners[cls.key] = cls, module
    return sections


def app_modules(installed_apps: Iterable[str]) -> list[str]:
    """The package of each ``INSTALLED_APPS`` entry (a module or an AppConfig path)."""
    modules: list[str] = []
    for entry in installed_apps:
        module = entry
        if importlib.util.find_spec(entry.partition(".")[0]) is None:
            continue  # Django's own check reports an app that cannot be imported
        try:
            spec = importlib.util.find_spec(entry)
        except (ImportError, ValueError):
            spec = None
        if spec is None:  # "package.apps.SomeConfig": the package is what declares
            module = entry.rpartition(".")[0]
            if module.endswith(".apps"):
                module = module.removesuffix(".apps")
        if module not in modules:
            modules.append(module)
    return modules


def _declared(module: str) -> tuple[type[Section], ...]:
    name = f"{module}.conf"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return ()
    if spec is None:
        return ()
    declared = getattr(importlib.import_module(name), DECLARATION, ())
    for cls in declared:
        if not (isinstance(cls, type) and issubclass(cls, Section) and cls.key):
            raise ImproperlyConfigured(
                f"{name}.{DECLARATION} must hold Section classes with a `key`; got {cls!r}."
            )
    return tuple(declared)


def _read_catalogue() -> dict[str, type[Section]]:
    sections: dict[str, type[Section]] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = point.load()
        except Exception:  # an app whose optional part is broken must not break settings
            continue
        if isinstance(cls, type) and issubclass(cls, Section) and cls.key == point.name:
            sections[point.name] = cls
    return sections


def _forget_on_change(*, setting: str, **kwargs: object) -> None:
    if setting == "INSTALLED_APPS":
        forget()


setting_changed.connect(_forget_on_change, dispatch_uid="axiomod.conf.registry.forget")
