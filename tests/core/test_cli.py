"""The ``axiomod`` console script installed by the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import axiomod
from axiomod.devtools.cli import main


def console_script() -> str:
    found = shutil.which("axiomod", path=str(Path(sys.executable).parent))
    assert found, "the axiomod console script is not installed next to the interpreter"
    return found


def test_help_lists_the_commands_and_exits_0():
    result = subprocess.run([console_script(), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("migrate", "validator", "generate", "new"):
        assert command in result.stdout


def test_no_arguments_prints_help():
    result = subprocess.run([console_script()], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: axiomod")


def test_version():
    result = subprocess.run([console_script(), "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.strip() == f"axiomod {axiomod.__version__}"
    assert axiomod.__version__ == "1.3.0.dev0"


def test_unknown_command_is_a_usage_error():
    result = subprocess.run([console_script(), "frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_generate_outside_a_project_says_so_and_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    assert main(["generate", "module", "--name", "billing"]) == 2
    assert "not inside a Django project" in capsys.readouterr().err


def test_validator_runs_through_the_console_script_in_the_example(tmp_path):
    import json
    import os

    from tests.servers import ROOT

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [console_script(), "validator", "architecture", "--json"],
        cwd=Path(ROOT) / "example" / "invoices",  # manage.py is found two levels up
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["checks"][0]["summary"]["files_checked"] > 0
    bad = subprocess.run(
        [console_script(), "validator", "architecture", "--config", str(tmp_path / "nope.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
