"""The ``axiomod`` console script.

``axiomod migrate ...``, ``axiomod validator ...`` and ``axiomod generate ...`` run the
project's management commands (``axiomod_migrate``, ``axiomod_validate``,
``axiomod_generate``), so the CLI and ``manage.py`` are one implementation; ``axiomod new``
runs outside any project and renders the project template. The project is the nearest
directory, from the current one upwards, holding a ``manage.py``; failing that,
``DJANGO_SETTINGS_MODULE`` through ``python -m django``. Outside a project the CLI says
so. Exit codes: 0 ok, 1 findings or failure, 2 usage error (or no project).

Click and Typer were looked at: argparse already parses the top level here, and
everything below ``migrate``/``validator``/``generate`` is parsed by the management
command itself,
whose ``--help`` is the reference.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from axiomod import __version__

COMMANDS = {
    "migrate": ("axiomod_migrate", "create, apply, roll back and inspect migrations"),
    "validator": ("axiomod_validate", "check architecture rules, naming and configuration"),
    "generate": ("axiomod_generate", "generate modules, services and handlers"),
}
#: Commands that run outside any project (``new`` creates one).
STANDALONE_COMMANDS = {
    "new": "create a new axiomod service from the project template",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axiomod",
        description="Tooling for axiomod Django services. Inside a project (a directory "
        "with manage.py, or DJANGO_SETTINGS_MODULE set), 'axiomod migrate ...' is "
        "'python manage.py axiomod_migrate ...'.",
        epilog="'axiomod COMMAND --help' shows a command's own options.",
    )
    parser.add_argument("--version", action="version", version=f"axiomod {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, text) in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    for name, text in STANDALONE_COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


def find_manage_py(start: Path | None = None) -> Path | None:
    """The nearest ``manage.py`` in ``start`` (default: the current directory) or above."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "manage.py"
        if candidate.is_file():
            return candidate
    return None


def project_command(management_command: str, args: Sequence[str]) -> list[str] | None:
    """The command line that runs ``management_command`` in the current project, or None."""
    manage = find_manage_py()
    if manage is not None:
        return [sys.executable, str(manage), management_command, *args]
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        return [sys.executable, "-m", "django", management_command, *args]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        parser.print_help()
        return 0
    if args.command == "new":
        from axiomod.devtools.scaffold.project import main as new

        return new(rest)
    management_command, text = COMMANDS[args.command]
    command = project_command(management_command, rest)
    if command is None:
        if rest in (["--help"], ["-h"]):
            print(
                f"usage: axiomod {args.command} ...\n\n{text}.\nRun it inside a project "
                "to see its options (no project yet? 'axiomod new NAME' creates one)."
            )
            return 0
        print(
            f"axiomod {args.command}: not inside a Django project (no manage.py in "
            f"{Path.cwd()} or above, and DJANGO_SETTINGS_MODULE is not set).\n"
            "Run it from a project's directory, or create a project with 'axiomod new NAME'.",
            file=sys.stderr,
        )
        return 2
    if command[1].endswith("manage.py"):
        os.chdir(Path(command[1]).parent)
    if args.command == "validator":
        # Not straight into manage.py, whose django.setup() would die before the
        # validator runs when the project cannot be imported (see that module).
        command[1:1] = ["-m", "axiomod.devtools.validator.standalone"]
    # exec, not a child process: signals (SIGTERM from Kubernetes, Ctrl-C) and the exit
    # status are the management command's own, and nothing is left orphaned.
    os.execv(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
