"""Sections are declared by the apps and found from INSTALLED_APPS: the kernel lists none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from axiomod.conf import registry, settings, validate
from axiomod.conf.reference import render

REPO = Path(__file__).resolve().parents[2]
AUDIT_APP = "tests.core.audit_app"


@pytest.fixture
def audit_installed(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, AUDIT_APP]


def test_an_installed_apps_section_is_validated_with_its_defaults(audit_installed):
    loaded = validate({"audit": {"retention_days": 7}})
    assert loaded.errors["audit"] == []
    assert loaded.values["audit"].retention_days == 7
    assert loaded.values["audit"].sink == "log"


def test_an_installed_apps_section_gets_hints_and_check_errors(audit_installed, settings):
    settings.AXIOMOD = {**settings.AXIOMOD, "audit": {"sink": "tabel", "retention_dayz": 3}}
    errors = [str(m) for m in run_checks(tags=["axiomod"])]
    text = "\n".join(errors)
    assert 'AXIOMOD["audit"]["sink"]' in text and "'table'" in text
    assert 'AXIOMOD["audit"]["retention_dayz"]' in text and "retention_days" in text


def test_the_accessor_serves_the_apps_section_typed(audit_installed, settings):
    from tests.core.audit_app.conf import AuditSettings

    settings.AXIOMOD = {**settings.AXIOMOD, "audit": {"sink": "table"}}
    from axiomod.conf import settings as axiomod_settings

    assert axiomod_settings.section(AuditSettings).sink == "table"
    assert axiomod_settings.audit is axiomod_settings.section(AuditSettings)


def test_the_reference_documents_an_installed_apps_section(audit_installed):
    rendered = render()
    assert '### `AXIOMOD["audit"]` — Audit trail' in rendered
    assert '`AXIOMOD["audit"]["retention_days"]`' in rendered


def test_without_the_app_its_key_is_an_unknown_setting():
    loaded = validate({"audit": {}})
    assert [e.message for e in loaded.errors[""]] == ["unknown setting"]
    with pytest.raises(AttributeError, match="no setting 'audit'"):
        settings.audit  # noqa: B018


def test_a_catalogued_section_of_an_app_not_installed_is_validated_and_warned(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "axiomod_messaging"]
    assert "kafka" not in registry.installed_sections()
    loaded = validate({"kafka": {"bootstrap_servers": 5}})
    assert loaded.errors[""] == []  # not "unknown setting": the catalogue knows it
    assert [e.setting for e in loaded.errors["kafka"]] == ['AXIOMOD["kafka"]["bootstrap_servers"]']
    settings.AXIOMOD = {**settings.AXIOMOD, "kafka": {"bootstrap_servers": "127.0.0.1:9092"}}
    warnings = [m for m in run_checks(tags=["axiomod"]) if m.id == "axiomod.W001"]
    assert len(warnings) == 1
    assert "'axiomod_messaging' is not in INSTALLED_APPS" in warnings[0].msg


def test_two_apps_declaring_one_key_is_an_error(tmp_path, monkeypatch):
    package = tmp_path / "copycat"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "conf.py").write_text(
        "from axiomod_metrics.conf import MetricsSettings\nAXIOMOD_SECTIONS = (MetricsSettings,)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        ImproperlyConfigured, match="declared by both 'axiomod_metrics' and 'copycat'"
    ):
        registry.sections_of(["axiomod_metrics", "copycat"])


def test_an_apps_config_path_in_installed_apps_is_followed():
    found = registry.sections_of(["axiomod", "axiomod_health.apps.HealthConfig"])
    assert set(found) == {"tracing", "db", "observability", "scaffold", "health"}


def test_sections_are_found_before_django_setup():
    """The gunicorn master reads AXIOMOD["metrics"] before (or without) django.setup()."""
    code = (
        "from axiomod.conf import settings\n"
        "from django.apps import apps\n"
        "assert not apps.ready\n"
        "print(settings.metrics.path, settings.health.ready_path)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["/metrics", "/ready"]
