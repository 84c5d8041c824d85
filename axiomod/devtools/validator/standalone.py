"""``axiomod validator ...``: the validator even when the project cannot be imported.

``python manage.py COMMAND`` runs ``django.setup()`` before it even looks the command up,
so a project whose import fails (an import cycle between layers, the most natural layer
violation) ends in a traceback there, before any validator code runs. The ``axiomod``
console script therefore runs the project's ``manage.py`` through this module, with
Django's ``execute_from_command_line`` replaced for ``axiomod_validate``: whatever
``manage.py`` sets up first (``DJANGO_SETTINGS_MODULE``, a ``.env``) still happens, then
the command runs directly and sets the project up itself, reporting a failure as a
finding while its static checks (architecture, naming) run from the files.

Usage (what ``axiomod validator ARGS`` executes)::

    python -m axiomod.devtools.validator.standalone PATH/manage.py axiomod_validate ARGS
    python -m axiomod.devtools.validator.standalone -m django axiomod_validate ARGS
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

COMMAND = "axiomod_validate"


def run_command(argv: Sequence[str]) -> None:
    """``execute_from_command_line`` for ``argv = [prog, "axiomod_validate", ...]``,
    without Django's set-up first (the command does it; see the module docstring)."""
    from django.conf import settings
    from django.db import connections

    from axiomod.management.commands.axiomod_validate import Command

    close_all = connections.close_all

    def close_all_if_configured() -> None:
        # run_from_argv closes the connections at the end, which reads the settings: when
        # they do not import (the report says so), no connection was opened to close.
        if settings.configured:
            close_all()

    connections.close_all = close_all_if_configured  # type: ignore[method-assign]
    Command().run_from_argv(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["-m", "django"]:
        run_command(["python -m django", *argv[2:]])
        return 0
    if not argv or not argv[0].endswith("manage.py") or argv[1:2] != [COMMAND]:
        print(f"usage: python -m {__spec__.name} PATH/manage.py {COMMAND} ...", file=sys.stderr)
        return 2
    manage = Path(argv[0]).resolve()
    # As ``python manage.py``: its directory first on sys.path, argv as Django reads it.
    sys.path.insert(0, str(manage.parent))
    sys.argv = [str(manage), *argv[1:]]

    from django.core import management

    original = management.execute_from_command_line

    def execute_from_command_line(args: Sequence[str] | None = None) -> None:
        args = list(sys.argv if args is None else args)
        if args[1:2] == [COMMAND]:
            run_command(args)
        else:  # a manage.py that runs something else first
            original(args)

    management.execute_from_command_line = execute_from_command_line
    runpy.run_path(str(manage), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
