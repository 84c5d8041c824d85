"""The ``axiomod`` console script.

Release 1.3.0 fills it with ``migrate``, ``validator``, ``generate`` and ``new``; until
then it answers ``--help`` and ``--version`` and says which commands are coming, with
exit codes that mean something (0 ok, 2 usage error).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from axiomod import __version__

PLANNED_COMMANDS = {
    "migrate": "create, apply, roll back and inspect migrations",
    "validator": "check architecture rules, naming and configuration",
    "generate": "generate modules, services and handlers",
    "new": "create a new axiomod service from the project template",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axiomod",
        description="Tooling for axiomod Django services.",
        epilog="The commands arrive during the 1.3.0 cycle; see docs/index.md.",
    )
    parser.add_argument("--version", action="version", version=f"axiomod {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in PLANNED_COMMANDS.items():
        sub.add_parser(name, help=f"{text} (not available in this build)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    print(f"axiomod {args.command}: not available in axiomod {__version__} yet.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
