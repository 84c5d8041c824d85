"""``manage.py axiomod_observability export|parameters``: the dashboards and rules of a project.

* ``export [--output DIR] [--set NAME=VALUE ...] [--check]``: render the Grafana
  dashboards and the Prometheus rule file of the installed apps
  (:func:`axiomod.observability.export.render`) into ``DIR`` (default ``deploy``):
  ``grafana/<service>-overview.json``, ``grafana/<service>-components.json`` and
  ``prometheus/<service>-rules.yml``. The parameters are the apps' defaults, then
  ``AXIOMOD["observability"]["parameters"]``, then ``--set``. With ``--check`` nothing is
  written: the command exits 1 when a file is missing or differs from what it would
  write (with a diff), so CI can insist that the committed files are current.
* ``parameters [--set NAME=VALUE ...] [--json]``: every parameter of the installed apps'
  rules: its value, default, the app that declares it and what it means.

Exit codes: 0 done, 1 ``--check`` found stale files (or the apps' contributions are
broken), 2 bad input (an unknown parameter, a value it cannot take, an unwritable
directory). Errors are one message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

EXIT_STALE, EXIT_USAGE = 1, 2
#: Lines of diff shown per stale file by ``--check``.
DIFF_LINES = 40


def _assignment(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` with VALUE read as a number (left a string for ``resolve`` to refuse)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    raw = raw.strip()
    value: object = raw
    try:
        value = int(raw)
    except ValueError:
        try:
            number = float(raw)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                value = number
    return name, value


class Command(BaseCommand):
    help = (
        "Export the installed apps' Grafana dashboards and Prometheus rules (export), or "
        "list the parameters of the rules (parameters). Exit 0 ok, 1 --check found stale "
        "files, 2 bad input."
    )
    # The parameters are checked here, with the --set values; a bad one is this command's
    # error (exit 2), not a system-check failure before it runs.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = sub.add_parser(
            "export", help="write the dashboards and the rule file (or --check them)"
        )
        export.add_argument(
            "-o",
            "--output",
            type=Path,
            default=Path("deploy"),
            metavar="DIR",
            help="directory of grafana/ and prometheus/ (default: deploy)",
        )
        export.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 1 if a file is missing or differs (for CI)",
        )
        self._set_option(export)
        parameters = sub.add_parser("parameters", help="list the rules' parameters")
        self._set_option(parameters)
        parameters.add_argument("--json", action="store_true", help="machine-readable output")

    @staticmethod
    def _set_option(parser: Any) -> None:
        parser.add_argument(
            "--set",
            dest="values",
            metavar="NAME=VALUE",
            type=_assignment,
            action="append",
            default=[],
            help="a parameter's value over the settings' (repeatable), e.g. "
            "--set http_availability_slo=0.995",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ImproperlyConfigured as exc:  # settings, or an app's monitoring module
            raise CommandError(str(exc), returncode=EXIT_USAGE) from None
        except ImportError as exc:
            if (exc.name or "").startswith("grafana_foundation_sdk"):
                message = (
                    "rendering the dashboards needs grafana-foundation-sdk, a dependency of "
                    "axiomod: pip install grafana-foundation-sdk"
                )
            else:  # an app's monitoring module imports what is not installed
                message = f"cannot render the installed apps' monitoring: {exc}"
            raise CommandError(message, returncode=EXIT_USAGE) from None

    # -- the project ----------------------------------------------------------------------

    @staticmethod
    def _project() -> tuple[list[str], str, dict[str, object], str]:
        """INSTALLED_APPS, service name, parameters from settings, runbook base URL."""
        from django.conf import settings as django_settings

        from axiomod.conf import settings

        observability = settings.observability
        return (
            list(django_settings.INSTALLED_APPS),
            settings.service_name,
            dict(observability.parameters),
            observability.runbook_url,
        )

    @staticmethod
    def _overrides(configured: dict[str, object], values: list[tuple[str, object]]) -> dict:
        return {**configured, **dict(values)}

    @staticmethod
    def _problems(problems: list[str], values: list[tuple[str, object]]) -> CommandError:
        where = (
            'AXIOMOD["observability"]["parameters"] or --set'
            if values
            else 'AXIOMOD["observability"]["parameters"]'
        )
        listed = "\n".join(f"  - {problem}" for problem in problems)
        return CommandError(
            f"bad parameters ({where}):\n{listed}\n"
            "`manage.py axiomod_observability parameters` lists them.",
            returncode=EXIT_USAGE,
        )

    # -- export ---------------------------------------------------------------------------

    def _export(self, options: dict[str, Any]) -> None:
        from axiomod.observability.export import ParameterError, differences, render, write

        apps, service, configured, runbook_url = self._project()
        try:
            files = render(
                apps, service, self._overrides(configured, options["values"]), runbook_url
            )
        except ParameterError as exc:
            raise self._problems(exc.problems, options["values"]) from None
        except ValueError as exc:  # two apps' rule groups of one name, a bad row
            raise CommandError(str(exc), returncode=EXIT_STALE) from None
        output: Path = options["output"]
        if options["check"]:
            self._check(files, output, differences(files, output))
            return
        try:
            written = write(files, output)
        except OSError as exc:
            raise CommandError(f"cannot write to {output}: {exc}", returncode=EXIT_USAGE) from None
        for path in written:
            self.stdout.write(f"Wrote {path} ({_summary(path.name, files)})")

    def _check(self, files: dict[str, str], output: Path, stale: list[str]) -> None:
        if not stale:
            self.stdout.write(f"{output}: the dashboards and rules are up to date.")
            return
        for relative in stale:
            path = output / relative
            if not path.exists():
                self.stdout.write(f"missing: {path}")
                continue
            current = path.read_text(encoding="utf-8", errors="replace").splitlines()
            diff = list(
                difflib.unified_diff(
                    current,
                    files[relative].splitlines(),
                    f"{path} (on disk)",
                    f"{path} (rendered)",
                    lineterm="",
                )
            )
            self.stdout.write("\n".join(diff[:DIFF_LINES]))
            if len(diff) > DIFF_LINES:
                self.stdout.write(f"... {len(diff) - DIFF_LINES} more diff lines")
        raise CommandError(
            f"{len(stale)} of {len(files)} files in {output} are missing or differ from "
            f"what the installed apps render: {', '.join(stale)}. "
            "Run `manage.py axiomod_observability export` and commit the result.",
            returncode=EXIT_STALE,
        )

    # -- parameters -----------------------------------------------------------------------

    def _parameters(self, options: dict[str, Any]) -> None:
        from axiomod.observability import contributions, resolve

        apps, _, configured, _ = self._project()
        found = contributions(apps)
        values, problems = resolve(found, self._overrides(configured, options["values"]))
        if problems:
            raise self._problems(problems, options["values"])
        rows = [
            {
                "name": parameter.name,
                "value": values[parameter.name],
                "default": parameter.default,
                "app": contribution.package,
                "doc": parameter.doc,
            }
            for contribution in found
            for parameter in contribution.monitoring.parameters
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No installed app declares a parameter.")
            return
        columns = ("name", "value", "default", "app")
        table = [[str(row[c]) for c in columns] for row in rows]
        widths = [max(len(c), *(len(line[i]) for line in table)) for i, c in enumerate(columns)]
        self.stdout.write(
            "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)) + "  DOC"
        )
        for line, row in zip(table, rows, strict=True):
            cells = "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
            self.stdout.write(f"{cells}  {row['doc']}")


def _summary(name: str, files: dict[str, str]) -> str:
    text = next(t for relative, t in files.items() if relative.endswith("/" + name))
    if name.endswith(".json"):
        board = json.loads(text)
        panels = [
            p
            for top in board.get("panels", [])
            for p in (top, *top.get("panels", []))
            if p.get("type") != "row"
        ]
        return f"{len(panels)} panels"
    rules = text.count("\n      - record: ") + text.count("\n      - alert: ")
    return f"{rules} rules"
