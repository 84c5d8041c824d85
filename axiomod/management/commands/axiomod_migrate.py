"""``manage.py axiomod_migrate create|up|down|status``: Django migrations, with guard rails.

* ``create APP [NAME] [--empty | --sql]`` (or ``-n NAME``): ``makemigrations`` for model
  changes, or an empty RunPython/RunSQL migration from a template with both directions
  stubbed. The new file is fixed and formatted with ruff under the project's configuration,
  as ``axiomod_generate``'s files are, so it passes the project's own lint.
* ``up [APP [TARGET]]``: ``migrate``; prints each migration applied.
* ``down APP [--steps N | --to NAME] [--dry-run] [--yes]``: roll back the last N
  migrations. Asks first (refuses without ``--yes`` when nobody can answer), shows the
  SQL with ``--dry-run`` and runs nothing, stops before anything runs at an
  irreversible migration or a merge it cannot count across.
* ``status [APP] [--check] [--json]``: applied and pending per app; ``--check`` exits 1
  when a migration is pending or a model change has no migration.

Exit codes: 0 done, 1 refused or failed (``--check`` findings), 2 usage error (and a
rollback without ``--yes`` when standard input is not a terminal: /dev/null, a pipe, or
closed). A usage error after the action prints that action's own usage
(``usage: manage.py axiomod_migrate create ...``), not the command's.
"""

from __future__ import annotations

import argparse
import json
import sys
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS


def _stdin_is_a_terminal() -> bool:
    """Whether a question can be answered: standard input exists, is open and is a terminal.

    With standard input closed (``0<&-``, as some CI runners and supervisors start
    processes) Python sets ``sys.stdin`` to None, and a stream closed since start-up
    raises ValueError from ``isatty()``: both mean nobody can answer, exactly like
    /dev/null, rather than an AttributeError out of the command.
    """
    stdin = sys.stdin
    if stdin is None:
        return False
    try:
        return stdin.isatty()
    except (ValueError, OSError):
        return False


class ActionParser(CommandParser):
    """The parser of one action: what it cannot parse is its own usage error.

    argparse hands the arguments an action's parser leaves over back to the command's
    parser, whose error then shows the command's usage (``ACTION ...``), which lists none
    of the action's options. Refusing them here shows ``create``'s usage, with ``-n``.
    """

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


class Command(BaseCommand):
    help = "Create, apply, roll back and inspect Django migrations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="ACTION", parser_class=ActionParser
        )

        create = sub.add_parser("create", help="a migration for model changes, or an empty one")
        self._create_parser = create
        self._database_option(create)
        create.add_argument("app", help="app label")
        create.add_argument(
            "positional_name", nargs="?", metavar="NAME", help="migration name (after the number)"
        )
        create.add_argument("-n", "--name", help="the same, as an option")
        kind = create.add_mutually_exclusive_group()
        kind.add_argument("--empty", action="store_true", help="RunPython, both directions")
        kind.add_argument("--sql", action="store_true", help="RunSQL with up and down SQL")

        up = sub.add_parser("up", help="apply pending migrations")
        self._database_option(up)
        up.add_argument("app", nargs="?", help="only this app")
        up.add_argument("target", nargs="?", help="up to this migration of the app")

        down = sub.add_parser("down", help="roll back the last migrations of an app")
        self._database_option(down)
        down.add_argument("app", help="app label")
        how = down.add_mutually_exclusive_group()
        how.add_argument("--steps", type=int, help="how many migrations (default 1)")
        how.add_argument("--to", help="migration to return to (or 'zero')")
        down.add_argument("--dry-run", action="store_true", help="print the SQL, change nothing")
        down.add_argument("-y", "--yes", action="store_true", help="do not ask")

        status = sub.add_parser("status", help="applied and pending migrations")
        self._database_option(status)
        status.add_argument("app", nargs="?", help="only this app")
        status.add_argument(
            "--check", action="store_true", help="exit 1 when pending or missing migrations"
        )
        status.add_argument("--json", action="store_true", help="machine-readable output")

    @staticmethod
    def _database_option(parser: Any) -> None:
        # Also after the action (`status app --database x`), where people put it.
        parser.add_argument(
            "--database", default=argparse.SUPPRESS, help="database alias (default: default)"
        )

    def _raw_stdout(self) -> Any:
        # Django's commands write "Applying x..." with ending="" then " OK": handing them
        # our OutputWrapper would wrap it again and break those lines.
        return getattr(self.stdout, "_out", self.stdout)

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connections
        from django.utils.connection import ConnectionDoesNotExist

        from axiomod.devtools.migrate.history import RollbackRefused, UsageError

        try:
            connections[options["database"]]
        except ConnectionDoesNotExist:
            raise CommandError(
                f"--database {options['database']!r}: no such alias in DATABASES", returncode=2
            ) from None
        try:
            getattr(self, f"_{options['action']}")(options)
        except UsageError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except RollbackRefused as exc:
            raise CommandError(str(exc), returncode=1) from exc

    # -- create -------------------------------------------------------------------------

    def _create(self, options: dict[str, Any]) -> None:
        from django.apps import apps

        from axiomod.devtools.migrate.templates import write_empty_migration

        app = options["app"]
        name, positional = options["name"], options.get("positional_name")
        if name and positional and name != positional:
            self._create_parser.error(f"the name is given twice ({positional!r} and -n {name!r})")
        name = name or positional
        try:
            apps.get_app_config(app)
        except LookupError:
            raise CommandError(f"app {app!r} is not installed", returncode=2) from None
        from axiomod.devtools.migrate.history import leaf_conflicts

        if options["empty"] or options["sql"]:
            conflicts = leaf_conflicts(app)
            if conflicts:
                raise CommandError(
                    f"{app} has conflicting migrations ({', '.join(conflicts)}): merge them "
                    f"first with `python manage.py makemigrations --merge {app}`"
                )
            kind = "sql" if options["sql"] else "python"
            try:
                path = write_empty_migration(app, name, kind)
            except FileExistsError as exc:
                raise CommandError(str(exc)) from exc
            except (KeyError, ValueError) as exc:  # string.Template: unknown or stray $
                from axiomod.devtools.migrate.templates import find_template

                raise CommandError(
                    f"migration template {find_template(kind)} is invalid: {exc!r} (use "
                    "$app_label, $dependencies, $description; $$ for a dollar sign)"
                ) from exc
            self.stdout.write(f"created {path}")
            self._format([path])
            return
        from django.core.management.commands.makemigrations import Command as MakeMigrations

        kwargs = {"name": name} if name else {}
        makemigrations = MakeMigrations()
        # Without a terminal, makemigrations' questions (a new non-null field...) end it
        # with their message instead of waiting for an answer nobody can give.
        call_command(
            makemigrations,
            app,
            interactive=_stdin_is_a_terminal(),
            stdout=self._raw_stdout(),
            **kwargs,
        )
        self._format([Path(path) for path in getattr(makemigrations, "written_files", [])])

    def _format(self, paths: list[Path]) -> None:
        """ruff's safe fixes and format, as ``axiomod_generate`` applies them to its files."""
        from django.conf import settings

        from axiomod.devtools.scaffold.render import polish

        base = getattr(settings, "BASE_DIR", None)
        problem = polish(paths, Path(base) if base else Path.cwd())
        if problem:
            self.stderr.write(problem)

    # -- up -----------------------------------------------------------------------------

    def _up(self, options: dict[str, Any]) -> None:
        from axiomod.devtools.migrate.history import UsageError, backwards_steps

        if options["app"] and options["target"]:
            behind = backwards_steps(options["app"], options["target"], options["database"])
            if behind:
                raise UsageError(
                    f"up {options['app']} {options['target']} would unapply "
                    f"{', '.join(behind)}: use `down {options['app']} --to "
                    f"{options['target']}` (it asks first and checks reversibility)"
                )
        args = [a for a in (options["app"], options["target"]) if a]
        call_command(
            "migrate",
            *args,
            database=options["database"],
            interactive=False,
            stdout=self._raw_stdout(),
            verbosity=max(1, options["verbosity"]),
        )

    # -- down ---------------------------------------------------------------------------

    def _down(self, options: dict[str, Any]) -> None:
        from axiomod.devtools.migrate.history import plan_rollback

        app, database = options["app"], options["database"]
        rollback = plan_rollback(app, steps=options["steps"], to=options["to"], database=database)
        self.stdout.write(f"Rolling {app} back to {rollback.target} unapplies:")
        for name in rollback.names:
            self.stdout.write(f"  {name}")
        if options["dry_run"]:
            for migration, _ in rollback.steps:
                self.stdout.write(f"-- {migration.app_label}.{migration.name} (backwards)")
                if not migration.operations:
                    self.stdout.write("-- (no operations)")
                    continue
                sql = StringIO()
                call_command(
                    "sqlmigrate",
                    migration.app_label,
                    migration.name,
                    backwards=True,
                    database=database,
                    stdout=sql,
                    stderr=StringIO(),
                )
                self.stdout.write(sql.getvalue().rstrip() or "-- (no SQL: Python code only)")
            self.stdout.write("dry run: nothing was changed")
            return
        if not options["yes"]:
            if not _stdin_is_a_terminal():
                raise CommandError(
                    "rolling back needs confirmation: run it in a terminal, or pass --yes",
                    returncode=2,
                )
            try:
                answer = input(f"Roll back {len(rollback.names)} migration(s)? [y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("not confirmed: nothing was rolled back")
        call_command(
            "migrate",
            app,
            rollback.target,
            database=database,
            interactive=False,
            stdout=self._raw_stdout(),
            verbosity=max(1, options["verbosity"]),
        )

    # -- status -------------------------------------------------------------------------

    def _status(self, options: dict[str, Any]) -> None:
        from axiomod.devtools.migrate.history import app_status

        found = app_status([options["app"]] if options["app"] else (), options["database"])
        changes = self._model_changes(options["app"]) if options["check"] else None
        pending = sum(len(s.pending) for s in found)
        if options["json"]:
            document = {
                "apps": {s.app: {"applied": s.applied, "pending": s.pending} for s in found},
                "pending": pending,
            }
            if changes is not None:
                document["model_changes_without_migration"] = changes
            self.stdout.write(json.dumps(document, indent=2))
        else:
            for status in found:
                self.stdout.write(
                    f"{status.app}: {len(status.applied)} applied, {len(status.pending)} pending"
                )
                for name in status.applied:
                    self.stdout.write(f"  [X] {name}")
                for name in status.pending:
                    self.stdout.write(f"  [ ] {name}")
            if changes:
                self.stdout.write("models have changes without a migration: " + ", ".join(changes))
        if options["check"] and (pending or changes):
            raise CommandError(
                f"{pending} pending migration(s)"
                + (
                    f"; model changes without a migration in {', '.join(changes)}"
                    if changes
                    else ""
                ),
                returncode=1,
            )

    def _model_changes(self, app: str | None) -> list[str]:
        """Apps whose models differ from their migrations (``makemigrations --check``)."""
        from django.apps import apps
        from django.db.migrations.autodetector import MigrationAutodetector
        from django.db.migrations.loader import MigrationLoader
        from django.db.migrations.state import ProjectState

        loader = MigrationLoader(None, ignore_no_migrations=True)
        autodetector = MigrationAutodetector(loader.project_state(), ProjectState.from_apps(apps))
        changes = autodetector.changes(graph=loader.graph)
        return sorted(label for label in changes if app is None or label == app)
