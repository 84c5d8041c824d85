"""``axiomod_validate run``/``all``: every check, and an exit code that means something."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from axiomod.devtools.validator import check_migrations

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"

# makemigrations checks the recorded migration history against the database.
pytestmark = pytest.mark.django_db


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "axiomod_validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_on_the_example_service_exits_0():
    result = manage("run")
    assert result.returncode == 0, result.stdout + result.stderr
    for line in ("architecture: ok", "naming: ok", "django checks: ok", "migrations: ok"):
        assert line in result.stdout


def test_all_with_violations_exits_1_in_a_subprocess():
    result = manage(
        "all",
        "--pythonpath",
        str(FIXTURES),
        "--config",
        str(FIXTURES / "rules.json"),
        "--package",
        "shopproj.orders",
        "--package",
        "shopproj.shipping",
        "--json",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [check["name"] for check in report["checks"]] == [
        "architecture",
        "naming",
        "django checks",
        "migrations",
    ]
    assert "validation failed: architecture" in result.stderr


def test_bad_flag_exits_2():
    result = manage("run", "--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_run_and_all_include_django_checks_and_migrations():
    for check in ("run", "all"):
        out = io.StringIO()
        call_command("axiomod_validate", check, stdout=out)
        assert "django checks: ok" in out.getvalue()
        assert "migrations: ok (apps: invoices" in out.getvalue()


@pytest.fixture
def failing_system_check():
    def broken(app_configs, **kwargs):
        return [checks.Error("planted for the validator test", id="validator_test.E001")]

    checks.register(broken)
    yield
    checks.registry.registry.registered_checks.discard(broken)


def test_a_system_check_error_fails_run(failing_system_check):
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("axiomod_validate", "run", stdout=out)
    assert raised.value.returncode == 1
    assert "django checks: FAILED" in out.getvalue()
    assert "validator_test.E001" in out.getvalue()
    assert "validation failed: django checks" in str(raised.value)


def test_models_without_migrations_fail(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES))
    from django.conf import settings

    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "shopapp"]):
        result = check_migrations(["shopapp"])
    assert not result.ok
    assert result.findings[0].category == "missing-migration"
    assert "Create model Cart" in result.output


def test_example_migrations_are_complete():
    assert check_migrations(["invoices"]).ok
