"""``manage.py axiomod_validate {architecture,naming,run,all} [--config F] [--json]``.

Exit codes mean something, so CI can gate on them: 0 every check passed, 1 a check found
violations or failed, 2 the request was wrong (unknown flag, unreadable or invalid rules
file, unknown ``--package``). The report goes to stdout (JSON with ``--json``); the
one-line verdict of a failure goes to stderr as Django's ``CommandError``.

``manage.py`` sets the project up before it runs any command, so a project that cannot be
imported never reaches this one that way; ``axiomod validator`` runs it through
:mod:`axiomod.devtools.validator.standalone`, and then the static checks still report and
the import failure is a finding (see :func:`axiomod.devtools.validator.validate`).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Validate the project: architecture (import rules between layers and modules), "
        "naming (PEP 8 via ruff), run/all (both, plus Django's system checks and missing "
        "migrations). Exit 0 ok, 1 violations, 2 usage error."
    )
    # The command runs the system checks itself (in `run`) and reports them as a result.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "check",
            choices=["architecture", "naming", "run", "all"],
            help="what to validate; run and all are the same",
        )
        parser.add_argument(
            "--config",
            metavar="FILE",
            help="architecture rules file (default: architecture-rules.json in the project "
            "directory if present, else the built-in Clean Architecture rules)",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON report for CI")
        parser.add_argument(
            "--package",
            action="append",
            default=[],
            metavar="DOTTED.NAME",
            help="a module (package) to validate; repeatable. Default: the installed apps "
            "under the project directory",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported when the command runs: runtime code never imports the developer tooling.
        from axiomod.devtools.validator import (
            EXIT_FINDINGS,
            EXIT_USAGE,
            UsageError,
            exit_code,
            render_json,
            render_text,
            validate,
        )

        try:
            results = validate(
                options["check"], config=options["config"], packages=options["package"]
            )
        except UsageError as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from exc
        self.stdout.write(render_json(results) if options["json"] else render_text(results))
        if exit_code(results):
            failed = ", ".join(result.name for result in results if not result.ok)
            raise CommandError(f"validation failed: {failed}", returncode=EXIT_FINDINGS)
