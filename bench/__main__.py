"""``python -m bench NAME [--rounds R] [--number N] [--quick] [-- EXTRA...]``.

Prints one JSON object per line on stdout: first the environment (``"name":
"environment"``), then one line per figure. Notes for humans go to stderr, so
``python -m bench settings > settings.jsonl`` saves only the data.

Exit status: 0 when the benchmark ran, 1 when it raised, 2 for a usage error or an
unknown benchmark name.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback

from bench import BENCHMARKS
from bench.harness import Figure, Options, UnknownBenchmarkError, environment, load, note


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run one axiomod benchmark; prints JSON lines (ratios to a baseline "
        "measured in the same run).",
        epilog="Arguments after `--` are passed to the benchmark. See bench/README.md.",
    )
    parser.add_argument("name", nargs="?", help="benchmark to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--rounds", type=_positive_int, help="measured rounds per variant")
    parser.add_argument("--number", type=_positive_int, help="calls per variant per round")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: checks that it runs, not a result"
    )
    return parser


def _known() -> str:
    return "\n".join(f"  {name:<20} {module}" for name, module in sorted(BENCHMARKS.items()))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, extra = argv[:split], argv[split + 1 :]
    parser = _parser()
    args = parser.parse_args(argv)

    if args.list:
        for name, module in sorted(BENCHMARKS.items()):
            print(f"{name}\t{module}")
        return 0
    if args.name is None:
        parser.print_usage(sys.stderr)
        note(f"python -m bench: a benchmark name is required; known:\n{_known()}")
        return 2
    if args.name not in BENCHMARKS:
        note(f"python -m bench: unknown benchmark {args.name!r}; known:\n{_known()}")
        return 2

    options = Options(rounds=args.rounds, number=args.number, quick=args.quick, extra=tuple(extra))
    try:
        registered = load(args.name)
    except UnknownBenchmarkError as exc:
        note(f"python -m bench: {exc}")
        return 2
    except Exception:
        traceback.print_exc()
        note(f"python -m bench: importing benchmark {args.name!r} failed")
        return 1

    run_info = {
        "benchmark": args.name,
        "options": {
            "rounds": options.rounds,
            "number": options.number,
            "quick": options.quick,
            "extra": list(options.extra),
        },
    }
    print(json.dumps(environment(**run_info), default=str), flush=True)
    figures: list[Figure] = []
    try:
        for figure in registered.run(options):
            print(figure.to_json(), flush=True)
            figures.append(figure)
    except KeyboardInterrupt:
        note("python -m bench: interrupted")
        return 130
    except Exception:
        traceback.print_exc()
        note(f"python -m bench: benchmark {args.name!r} failed")
        return 1
    if not figures:
        note(f"python -m bench: benchmark {args.name!r} produced no figures")
        return 1
    note("")
    for figure in figures:
        note(figure.describe())
    if options.quick:
        note("(--quick: sizes too small for a result; run without it to measure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
