"""``axiomod_validate naming``: ruff's pep8-naming rules on the project's modules.

The badly named package is written at test time: kept in the repository, it would fail
the repository's own ``ruff check``, and ``# noqa`` would hide it from the validator too.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from axiomod.devtools.validator import naming


@pytest.fixture
def badly_named(tmp_path, monkeypatch):
    package = tmp_path / "badnames"
    package.mkdir()
    (package / "__init__.py").write_text('"""A module with PEP 8 naming violations."""\n')
    (package / "models.py").write_text(
        "class order_line:\n    pass\n\n\ndef ComputeTotal():\n    return 0\n"
    )
    (package / "BadModule.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return package


def run_naming(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("axiomod_validate", "naming", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_naming_violations_are_reported_with_their_rule_and_line(badly_named):
    code, out = run_naming("--package", "badnames")
    assert code == 1
    assert f"{badly_named}/models.py:1: N801 Class name `order_line`" in out
    assert f"{badly_named}/models.py:5: N802 Function name `ComputeTotal`" in out
    assert "BadModule.py:1: N999 Invalid module name: 'BadModule'" in out


def test_naming_json(badly_named):
    code, out = run_naming("--package", "badnames", "--json")
    assert code == 1
    (result,) = json.loads(out)["checks"]
    assert result["violations_by_category"] == {"N801": 1, "N802": 1, "N999": 1}


def test_example_service_names_are_pep8():
    code, out = run_naming()
    assert code == 0, out
    assert out.startswith("naming: ok")


def test_missing_ruff_fails_with_a_clear_error(badly_named, monkeypatch):
    monkeypatch.setattr(naming, "ruff_command", lambda: None)
    code, out = run_naming("--package", "badnames")
    assert code == 1
    assert "the naming check needs ruff" in out
    assert "pip install ruff" in out
