"""Runs the checks a validator command asks for and decides the exit code.

``architecture`` and ``naming`` run alone; ``run`` (alias ``all``) runs them with Django's
system checks and the missing-migrations check and fails if any of them fails — the Go
validator's ``run`` always exited 0, which made it useless in CI.

``architecture`` and ``naming`` are static: grimp and ruff read the files, so they report
even when the project cannot be imported (an import cycle between layers makes
``django.setup()`` fail). The project is set up when it can be, to find its modules from
the app registry; when it cannot, the modules are found from ``INSTALLED_APPS`` without
importing them, and the Django-checks part reports the failure as its finding.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from pathlib import Path

from axiomod.devtools.validator.architecture import check_architecture
from axiomod.devtools.validator.django_checks import (
    check_django,
    check_migrations,
    import_project,
)
from axiomod.devtools.validator.naming import check_naming
from axiomod.devtools.validator.project import (
    AXIOMOD_APPS,
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
    cannot_import = import_project()
    base = project_dir()
    unknown = None  # why the modules cannot be found
    try:
        if packages:
            modules = modules_from_names(list(packages))
        elif cannot_import is None:
            modules = discover_modules(base)
        else:
            try:
                modules = modules_from_settings(base)
            except Exception as exc:  # the settings module itself does not import
                modules = []
                unknown = (
                    f"the project's modules are unknown: its settings cannot be imported "
                    f"({type(exc).__name__}: {exc}); name them with --package"
                )
        rules = load_rules(config, project_dir=base) if check != "naming" else None
    except (ProjectError, RulesError) as exc:
        raise UsageError(str(exc)) from exc
    results = []
    if rules is not None:
        results.append(check_architecture(rules, modules))
    if check != "architecture":
        results.append(check_naming([module.path for module in modules], cwd=base))
    if unknown:
        for result in results:
            result.error = unknown
    if check in ("run", "all"):
        if cannot_import is None:
            results.append(check_django())
            results.append(check_migrations(_app_labels(modules)))
        else:
            results.append(CheckResult("django checks", findings=[cannot_import]))
            results.append(
                CheckResult("migrations", error="not run: the project cannot be imported")
            )
    return results


def modules_from_settings(
    base: Path, installed_apps: Sequence[str] | None = None
) -> list[ProjectModule]:
    """:func:`discover_modules` without importing any app: ``INSTALLED_APPS`` entries
    resolved to package directories on ``sys.path`` (an ``AppConfig`` path to the
    ``name`` its class body sets, else to the package holding its module)."""
    if installed_apps is None:
        from django.conf import settings

        installed_apps = settings.INSTALLED_APPS
    base = base.resolve()
    found = {}
    for entry in installed_apps:
        name = _app_package(entry)
        if name is None or name.partition(".")[0] in AXIOMOD_APPS:
            continue
        path = _source(name, package=True)
        if path is None:
            continue
        path = path.parent.resolve()
        if not path.is_relative_to(base) or {"site-packages", "dist-packages"} & set(path.parts):
            continue
        found[name] = ProjectModule(name, path)
    return sorted(found.values(), key=lambda module: module.name)


def _source(dotted: str, *, package: bool) -> Path | None:
    """The file of ``dotted`` (its ``__init__.py`` for a package) on ``sys.path``, found
    without importing anything."""
    parts = dotted.split(".")
    for entry in sys.path:
        directory = Path(entry or ".").joinpath(*parts)
        candidate = directory / "__init__.py" if package else directory.with_suffix(".py")
        if candidate.is_file():
            return candidate
    return None


def _app_package(entry: str) -> str | None:
    if _source(entry, package=True) is not None:
        return entry
    module, _, class_name = entry.rpartition(".")
    if not module:
        return None
    source = _source(module, package=False) or _source(module, package=True)
    if source is None:
        return None
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        tree = ast.Module(body=[], type_ignores=[])
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and any(getattr(t, "id", None) == "name" for t in statement.targets)
                    and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)
                ):
                    return statement.value.value
    return module.rpartition(".")[0] or None


def exit_code(results: list[CheckResult]) -> int:
    """0 when every check passed, 1 otherwise."""
    return EXIT_OK if all(result.ok for result in results) else EXIT_FINDINGS


def _app_labels(modules: list[ProjectModule]) -> list[str]:
    """The labels of the modules that are installed apps (others have no migrations)."""
    from django.apps import apps

    names = {module.name for module in modules}
    return sorted(config.label for config in apps.get_app_configs() if config.name in names)
