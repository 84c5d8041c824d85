"""``generate module``, ``generate service`` and ``generate handler``, free of Django.

Each takes the project's root (the directory on ``sys.path`` that holds the package) and
the dotted package the modules live in, so the same functions serve the management
command (which reads both from the settings) and ``axiomod new`` (which runs before the
new project has settings anyone could load). Every check runs before the first write.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .names import ModuleNames, ScaffoldError, camel, check_identifier, shadowed
from .render import Generated, Plan, compile_protos, plan_tree, polish

__all__ = ["HANDLER_KINDS", "generate_handler", "generate_module", "generate_service"]

HANDLER_KINDS = ("http", "grpc", "kafka", "job")


def _package_dir(root: Path, package: str) -> Path:
    directory = root.joinpath(*package.split(".")) if package else root
    if package and not (directory / "__init__.py").is_file():
        raise ScaffoldError(f"package {package!r} not found at {directory} (no __init__.py)")
    return directory


def _write(plan: Plan, root: Path, *, force: bool) -> Generated:
    """Compile the plan's protos, write everything, then format it with ruff."""
    compile_protos(plan, root)
    result = plan.write(force=force)
    problem = polish(result.written, root)
    if problem:
        result.next_steps.append(problem)
    return result


def generate_module(
    name: str,
    *,
    package: str = "",
    root: Path,
    entity: str | None = None,
    templates_dir: Path | None = None,
    force: bool = False,
    installed_labels: Iterable[str] = (),
    async_views: bool = False,
) -> Generated:
    """Write a Clean Architecture Django app ``<package>.<name>`` under ``root``.

    Refused (nothing written) when ``name`` is not a lower_snake_case identifier, is a
    keyword, clashes with the label of an installed app (``installed_labels``), or the
    module's directory exists and ``force`` is off. With ``force``, the template's files
    are overwritten and every other file in the module is left alone. ``async_views``
    writes the HTTP views (and their tests) as ``async def`` handlers over the same
    synchronous use cases; every other layer is the same either way.
    """
    names = ModuleNames.build(name, package=package, entity=entity)
    if name in set(installed_labels):
        raise ScaffoldError(
            f"module name {name!r} is the label of an installed app; Django app labels must be "
            "unique, choose another name"
        )
    target = _package_dir(root, package) / name
    if not package:
        _refuse_shadowing(name, target)
    if target.exists() and not force:
        raise ScaffoldError(
            f"{target} already exists; nothing was written (use --force to overwrite the "
            "generated files)"
        )
    # A bool, not a string, so templates test it with a plain ``{% if async_views %}``.
    context: dict[str, object] = {**names.context(), "async_views": async_views}
    plan = plan_tree("module", context, target, override=templates_dir)
    result = _write(plan, root, force=force)
    urls = f"{names.app}.delivery.http.urls"
    result.next_steps[:0] = [
        f'add "{names.app}" to INSTALLED_APPS',
        f'add path("{name}/", include("{urls}")) to the project\'s urlpatterns',
        f'serve its gRPC service: add "{names.app}.delivery.grpc.register" to '
        'AXIOMOD["grpc"]["handlers"] (with "axiomod_grpc" in INSTALLED_APPS)',
        f"create its table: python manage.py axiomod_migrate up {name}",
        f"run its tests: python -m pytest {target.relative_to(root) / 'tests'}",
    ]
    if async_views:
        # Under WSGI (gunicorn's sync workers) Django runs each async view through
        # async_to_sync, an event loop per request: it works, and gains nothing.
        result.next_steps.append(
            "serve its async views under ASGI: pip install 'axiomod[asgi]', then uvicorn "
            "(or gunicorn with uvicorn_worker.UvicornWorker) on the project's "
            "asgi:application; keep ATOMIC_REQUESTS off (Django refuses it for async views)"
        )
    return result


def _refuse_shadowing(name: str, target: Path) -> None:
    """A top-level app named like an importable module would shadow it for the whole
    project; refuse rather than break imports elsewhere."""
    origin = shadowed(name, inside=target.resolve())
    if origin == "standard library":
        raise ScaffoldError(f"module name {name!r} would shadow the standard library's {name}")
    if origin:
        raise ScaffoldError(
            f"module name {name!r} would shadow the installed module at {origin}; choose "
            "another name or generate it inside a package (--package)"
        )


def _existing_module(root: Path, package: str, module: str) -> tuple[ModuleNames, Path]:
    names = ModuleNames.build(module, package=package)
    target = _package_dir(root, package) / module
    if not (target / "__init__.py").is_file():
        raise ScaffoldError(
            f"no module {names.app!r} at {target}; create it with: axiomod generate module "
            f"--name {module}"
        )
    return names, target


def _context(names: ModuleNames, name: str, **extra: str) -> dict[str, str]:
    return {
        **names.context(),
        "name": name,
        "name_camel": camel(name),
        "name_words": name.replace("_", " "),
        **extra,
    }


def _add_to_module(
    kind: str,
    what: str,
    name: str,
    *,
    module: str,
    package: str,
    root: Path,
    templates_dir: Path | None,
    force: bool,
) -> tuple[Generated, ModuleNames, Path]:
    """Render the ``kind`` templates for ``name`` into the existing ``module``."""
    check_identifier(name, f"{what} name")
    names, target = _existing_module(root, package, module)
    context = _context(names, name, topic=f"{module}.{name}")
    plan = plan_tree(kind, context, target, override=templates_dir)
    return _write(plan, root, force=force), names, target


def generate_service(
    name: str,
    *,
    module: str,
    package: str = "",
    root: Path,
    templates_dir: Path | None = None,
    force: bool = False,
) -> Generated:
    """Add ``service/<name>_service.py`` (class ``<Name>Service``) and its unit test."""
    result, names, _ = _add_to_module(
        "service",
        "service",
        name,
        module=module,
        package=package,
        root=root,
        templates_dir=templates_dir,
        force=force,
    )
    result.next_steps.insert(
        0,
        f"use it from a use case: from {names.app}.service.{name}_service import "
        f"{camel(name)}Service",
    )
    return result


def generate_handler(
    name: str,
    *,
    kind: str,
    module: str,
    package: str = "",
    root: Path,
    templates_dir: Path | None = None,
    force: bool = False,
) -> Generated:
    """Add a delivery skeleton of ``kind`` (http, grpc, kafka, job) and its test."""
    if kind not in HANDLER_KINDS:
        raise ScaffoldError(f"handler kind {kind!r} is not one of {', '.join(HANDLER_KINDS)}")
    result, names, target = _add_to_module(
        f"handler/{kind}",
        "handler",
        name,
        module=module,
        package=package,
        root=root,
        templates_dir=templates_dir,
        force=force,
    )
    app = names.app
    where = target.relative_to(root)
    steps = {
        "http": [
            f"route it in {where}/delivery/http/urls.py: "
            f'path("{name}/", {name}_views.{camel(name)}View.as_view(), name="{name}") '
            f"(import: from {app}.delivery.http import {name}_views)"
        ],
        "grpc": [
            f'serve it: add "{app}.delivery.grpc.{name}_servicer.register" to '
            'AXIOMOD["grpc"]["handlers"]'
        ],
        "kafka": [
            f"register it at start-up: add 'from {app}.delivery.kafka import {name}  "
            f"# noqa: F401' to {where}/handlers.py",
            f"consume: python manage.py axiomod_consume --group {module}",
        ],
        "job": [
            f"register it at start-up: add 'from {app}.delivery.jobs import {name}  "
            f"# noqa: F401' to {where}/jobs.py",
            f"enqueue it by hand: python manage.py axiomod_jobs run {module}.{name}",
        ],
    }[kind]
    result.next_steps[:0] = steps
    return result
