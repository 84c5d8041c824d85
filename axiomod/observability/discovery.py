"""Which apps contribute panels and rules: ``<app>.monitoring`` modules of ``INSTALLED_APPS``.

The same discovery as the settings sections (:mod:`axiomod.conf.registry`): the kernel
names no app; an app that has a ``monitoring`` module declaring ``AXIOMOD_MONITORING``
(a :class:`~axiomod.observability.model.Monitoring`) gets its rows on the dashboards and
its rules in the rule file. The kernel's own contribution (the database layer's) lives in
``axiomod.db.monitoring`` and is always first.

Discovery needs the list of apps, not the app registry: the export command passes the
project's ``INSTALLED_APPS``, ``axiomod new`` the list of the project it is generating.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.util
from collections.abc import Iterable, Mapping

from django.core.exceptions import ImproperlyConfigured

from axiomod.conf.registry import app_modules

from .model import Monitoring, Number, Parameter, Params

__all__ = ["KERNEL_MODULES", "Contribution", "contributions", "resolve"]

#: The kernel's packages that contribute, before any app.
KERNEL_MODULES = ("axiomod.db",)
#: The module attribute a ``monitoring`` module declares its contribution in.
DECLARATION = "AXIOMOD_MONITORING"


@dataclasses.dataclass(frozen=True)
class Contribution:
    """A :class:`Monitoring` and the package that declared it."""

    package: str
    monitoring: Monitoring


def contributions(installed_apps: Iterable[str] | None = None) -> list[Contribution]:
    """The kernel's contribution, then each installed app's, in ``INSTALLED_APPS`` order."""
    if installed_apps is None:
        from django.conf import settings

        installed_apps = settings.INSTALLED_APPS
    found: list[Contribution] = []
    seen: set[str] = set()
    for package in (*KERNEL_MODULES, *app_modules(installed_apps)):
        if package in seen:
            continue
        seen.add(package)
        monitoring = _declared(package)
        if monitoring is not None:
            found.append(Contribution(package, monitoring))
    return found


def resolve(
    found: Iterable[Contribution], overrides: Mapping[str, object] | None = None
) -> tuple[Params, list[str]]:
    """Every declared parameter's value (defaults, then ``overrides``) and the problems.

    A problem names the parameter and says why (unknown, with the closest known name;
    not a number; out of range); its default is kept so rendering can still go on.
    """
    declared: dict[str, Parameter] = {}
    for contribution in found:
        for parameter in contribution.monitoring.parameters:
            if parameter.name in declared:
                raise ImproperlyConfigured(
                    f"monitoring parameter {parameter.name!r} is declared twice "
                    f"(again by {contribution.package!r}); a parameter belongs to one app."
                )
            declared[parameter.name] = parameter
    values: dict[str, Number] = {name: p.default for name, p in declared.items()}
    problems: list[str] = []
    for name, value in (overrides or {}).items():
        parameter = declared.get(name)
        if parameter is None:
            close = difflib.get_close_matches(str(name), declared, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{name!r} is not a parameter of any installed app's rules{hint}")
            continue
        problem = parameter.problem(value)
        if problem:
            problems.append(f"{name!r}: {problem}")
        else:
            # The settings section reads every value as a float: a whole number for a
            # parameter declared with an int default is that int again, so a rule reads
            # the same (``> 10``, ``10m``) whether it was set in settings or with --set.
            if isinstance(parameter.default, int) and isinstance(value, float):
                value = int(value) if value.is_integer() else value
            values[name] = value  # type: ignore[assignment]
    return values, problems


def _declared(package: str) -> Monitoring | None:
    name = f"{package}.monitoring"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    module = importlib.import_module(name)
    monitoring = getattr(module, DECLARATION, None)
    if monitoring is not None and not isinstance(monitoring, Monitoring):
        raise ImproperlyConfigured(
            f"{name}.{DECLARATION} must be an axiomod.observability.Monitoring, "
            f"not {type(monitoring).__name__}"
        )
    return monitoring
