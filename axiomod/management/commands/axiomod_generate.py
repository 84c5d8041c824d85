"""``manage.py axiomod_generate module|service|handler``: Clean Architecture skeletons.

* ``module --name NAME [--entity ENTITY] [--async-views]``: a whole app (entity,
  repository, usecase, service, delivery/http, delivery/grpc, infrastructure, jobs,
  health, migrations, tests); ``--async-views`` writes the HTTP views as ``async def``.
* ``service --name NAME --module MODULE``: ``service/<name>_service.py`` and its test.
* ``handler --name NAME --module MODULE --kind http|grpc|kafka|job``: a delivery
  skeleton and its test.

Modules go in ``AXIOMOD["scaffold"]["package"]`` (default: the settings module's
package); templates come from the package, overridden file by file by the project's
templates directory. Nothing existing is overwritten without ``--force``. Exit codes:
0 written, 2 refused (bad name, clash, missing module, existing files).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

if TYPE_CHECKING:
    from axiomod.devtools.scaffold import Generated

# The generators (axiomod.devtools) are imported when the command runs, not when Django
# loads the command: runtime code never imports the developer tooling.


class Command(BaseCommand):
    help = "Generate Clean Architecture modules, services and handlers."
    # Generating code must not depend on the rest of the project being valid (one often
    # generates the module that will fix it); the settings this command reads are
    # validated where they are used, with exit 2 and the setting's name.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        from axiomod.devtools.scaffold import HANDLER_KINDS

        sub = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
        module = sub.add_parser("module", help="a whole module (Django app) with every layer")
        module.add_argument("-n", "--name", required=True, help="module name, e.g. billing")
        module.add_argument(
            "-e", "--entity", help="entity class name (default: the singular of the name)"
        )
        module.add_argument(
            "--async-views",
            action="store_true",
            help="write the HTTP views as async def (for ASGI servers); the use cases "
            "stay sync and are called through sync_to_async",
        )
        service = sub.add_parser("service", help="a domain service in an existing module")
        service.add_argument("-n", "--name", required=True, help="service name, e.g. pricing")
        handler = sub.add_parser("handler", help="a delivery handler in an existing module")
        handler.add_argument("-n", "--name", required=True, help="handler name, e.g. export")
        handler.add_argument("-k", "--kind", required=True, choices=HANDLER_KINDS)
        for each in (service, handler):
            each.add_argument("-m", "--module", required=True, help="the existing module")
        for each in (module, service, handler):
            each.add_argument(
                "-p", "--package", help="dotted package of the modules (default: from settings)"
            )
            each.add_argument(
                "-f", "--force", action="store_true", help="overwrite files that exist"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.apps import apps

        from axiomod.devtools import scaffold

        package = self._package(options["package"])
        root = self._root(package)
        common: dict[str, Any] = {
            "package": package,
            "root": root,
            "templates_dir": self._templates_dir(),
            "force": options["force"],
        }
        try:
            if options["what"] == "module":
                app = f"{package}.{options['name']}" if package else options["name"]
                result = scaffold.generate_module(
                    options["name"],
                    entity=options["entity"],
                    async_views=options["async_views"],
                    # Its own label is no clash: --force regenerates an installed module.
                    installed_labels=[
                        config.label for config in apps.get_app_configs() if config.name != app
                    ],
                    **common,
                )
            elif options["what"] == "service":
                result = scaffold.generate_service(
                    options["name"], module=options["module"], **common
                )
            else:
                result = scaffold.generate_handler(
                    options["name"], kind=options["kind"], module=options["module"], **common
                )
        except scaffold.ScaffoldError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self._report(result, root)

    def _report(self, result: Generated, root: Path) -> None:
        for label, paths in (("created", result.created), ("overwrote", result.overwritten)):
            for path in paths:
                self.stdout.write(f"  {label} {path.relative_to(root)}")
        self.stdout.write(self.style.SUCCESS(f"{len(result.written)} file(s) written."))
        if result.next_steps:
            self.stdout.write("Next steps:")
            for number, step in enumerate(result.next_steps, 1):
                self.stdout.write(f"  {number}. {step}")

    @staticmethod
    def _package(given: str | None) -> str:
        from axiomod.conf import settings

        if given is not None:
            return given
        if settings.scaffold.package is not None:
            return settings.scaffold.package
        # The package holding the settings: ``shop`` for ``shop.settings`` and for split
        # settings such as ``shop.settings.production`` alike.
        parts = os.environ.get("DJANGO_SETTINGS_MODULE", "").split(".")
        if "settings" in parts[1:]:
            return ".".join(parts[: parts.index("settings", 1)])
        return ".".join(parts[:-1])

    @staticmethod
    def _root(package: str) -> Path:
        """The directory on ``sys.path`` that holds ``package``."""
        from django.conf import settings

        if not package:
            return Path(getattr(settings, "BASE_DIR", Path.cwd()))
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise CommandError(
                f"package {package!r} cannot be imported; set --package or "
                'AXIOMOD["scaffold"]["package"]',
                returncode=2,
            )
        directory = Path(next(iter(spec.submodule_search_locations)))
        return directory.parents[package.count(".")]

    @staticmethod
    def _templates_dir() -> Path | None:
        from axiomod.devtools.scaffold.overrides import templates_dir

        try:
            return templates_dir()
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
