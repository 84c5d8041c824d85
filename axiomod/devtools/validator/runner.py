"""Runs the checks a validator command asks for and decides the exit code.

``architecture`` and ``naming`` run alone; ``run`` (alias ``all``) runs them with Django's
system checks and the missing-migrations check and fails if any of them fails — the Go
validator's ``run`` always exited 0, which made it useless in CI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from axiomod.devtools.validator.architecture import check_architecture
from axiomod.devtools.validator.django_checks import check_django, check_migrations
from axiomod.devtools.validator.naming import check_naming
from axiomod.devtools.validator.project import (
    ProjectError,
    ProjectModule,
    discover_modules,
    modules_from_names,
    project_dir,
)
from axiomod.devtools.validator.report import CheckResult
from axiomod.devtools.validator.rules import RulesError, load_rules

CHECKS = ("architecture", "naming", "run", "all")

#: Exit codes, the same for ``manage.py axiomod_validate`` and ``axiomod validator``.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(ValueError):
    """A bad request (unknown check, bad rules file, unknown package): exit code 2."""


def validate(
    check: str,
    *,
    config: str | Path | None = None,
    packages: Sequence[str] = (),
) -> list[CheckResult]:
    """Run ``check`` on the project's modules (or ``packages``) and return every result.

    Raises :class:`UsageError` before running anything when the request itself is wrong,
    so a typo in the rules file is never reported as "no violations".
    """
    if check not in CHECKS:
        raise UsageError(f"unknown check {check!r} (choose from {', '.join(CHECKS)})")
    base = project_dir()
    try:
        modules = modules_from_names(list(packages)) if packages else discover_modules(base)
        rules = load_rules(config, project_dir=base) if check != "naming" else None
    except (ProjectError, RulesError) as exc:
        raise UsageError(str(exc)) from exc
    results = []
    if rules is not None:
        results.append(check_architecture(rules, modules))
    if check != "architecture":
        results.append(check_naming([module.path for module in modules], cwd=base))
    if check in ("run", "all"):
        results.append(check_django())
        results.append(check_migrations(_app_labels(modules)))
    return results


def exit_code(results: list[CheckResult]) -> int:
    """0 when every check passed, 1 otherwise."""
    return EXIT_OK if all(result.ok for result in results) else EXIT_FINDINGS


def _app_labels(modules: list[ProjectModule]) -> list[str]:
    """The labels of the modules that are installed apps (others have no migrations)."""
    from django.apps import apps

    names = {module.name for module in modules}
    return sorted(config.label for config in apps.get_app_configs() if config.name in names)
