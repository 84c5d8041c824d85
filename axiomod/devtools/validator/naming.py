"""PEP 8 naming of the project's modules, classes, functions and variables, by ruff.

ruff's ``N`` rules are pep8-naming re-implemented and maintained by the ruff project, so the
validator runs them rather than a copy: ``ruff check --select N`` on each module's
directory, with the interpreter that runs Django (``python -m ruff``), or a ``ruff`` on
``PATH``. ruff reads the project's own configuration, so its ``extend-exclude``,
``per-file-ignores`` and ``# noqa`` comments apply here too; ``--force-exclude`` keeps
excluded files (generated ``*_pb2.py``...) out even though their directory is named.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

from axiomod.devtools.validator.report import NO_MODULES, CheckResult, Finding

RUFF_MISSING = (
    "the naming check needs ruff, which is not installed for this Python "
    f"({sys.executable}) nor on PATH: pip install ruff"
)

#: What a project without modules (a fresh ``axiomod new``) is told instead of a count of 0.


def ruff_command() -> list[str] | None:
    """How to run ruff: the package of this interpreter first, else the binary on PATH."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    return [found] if found else None


def check_naming(paths: list[Path], *, cwd: Path | None = None) -> CheckResult:
    """Run ruff's naming rules on ``paths``; each diagnostic is a finding."""
    result = CheckResult("naming")
    command = ruff_command()
    if command is None:
        result.error = RUFF_MISSING
        return result
    if not paths:
        # A new project has no modules yet: say so rather than "files checked: 0".
        result.note = NO_MODULES
        return result
    result.summary = {
        "files_checked": sum(1 for path in paths for _ in path.rglob("*.py")),
    }
    completed = subprocess.run(
        [
            *command,
            "check",
            "--select",
            "N",
            "--output-format",
            "json",
            "--no-cache",
            "--force-exclude",
            "--exit-zero",
            *(str(path) for path in paths),
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    try:
        diagnostics = json.loads(completed.stdout or "null")
    except json.JSONDecodeError:
        diagnostics = None
    if completed.returncode != 0 or not isinstance(diagnostics, list):
        result.error = f"ruff failed (exit {completed.returncode}): {completed.stderr.strip()}"
        return result
    for item in diagnostics:
        result.findings.append(
            Finding(
                path=_display(Path(item["filename"])),
                line=(item.get("location") or {}).get("row", 0),
                message=f"{item['code']} {item['message']}",
                category=item["code"],
            )
        )
    return result


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
