"""``manage.py check`` reports AXIOMOD errors as system-check errors with ids and hints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def axiomod_messages():
    return checks.run_checks(tags=["axiomod"])


def test_example_configuration_is_clean():
    assert axiomod_messages() == []


def test_each_error_kind_becomes_a_check_error_with_its_id():
    bad = {
        "tracing": {"sample_rate": 0.5},  # unknown key
        "health": {"check_timeout": "1s"},  # wrong type
        "metrics": {"port": 0},  # out of range
        "kafka": {},  # missing required value
    }
    with override_settings(AXIOMOD=bad):
        messages = axiomod_messages()
    by_id = {m.id: m for m in messages}
    assert set(by_id) == {"axiomod.E001", "axiomod.E002", "axiomod.E003", "axiomod.E004"}
    assert by_id["axiomod.E001"].msg.startswith('AXIOMOD["tracing"]["sample_rate"]: unknown')
    assert "sample_ratio" in by_id["axiomod.E001"].hint
    assert all(m.level == checks.ERROR and m.obj == "settings.AXIOMOD" for m in messages)


def test_call_command_check_fails_on_errors():
    with (
        override_settings(AXIOMOD={"tracing": {"exporter": "zipkin"}}),
        pytest.raises(SystemCheckError, match=r"axiomod\.E003"),
    ):
        call_command("check")


ROUTERS = ["axiomod.db.routers.PrimaryReplicaRouter"]


def test_unknown_database_alias_in_replicas():
    with override_settings(AXIOMOD={"db": {"replicas": ["replica1"]}}, DATABASE_ROUTERS=ROUTERS):
        messages = axiomod_messages()
    assert [m.id for m in messages] == ["axiomod.E070"]
    assert "'replica1'" in messages[0].msg and "default" in messages[0].hint


def test_the_primary_listed_as_a_replica():
    with override_settings(AXIOMOD={"db": {"replicas": ["default"]}}, DATABASE_ROUTERS=ROUTERS):
        assert [m.id for m in axiomod_messages()] == ["axiomod.E075"]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_replicas_without_the_router_warn():
    databases = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "replica": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    }
    with override_settings(AXIOMOD={"db": {"replicas": ["replica"]}}, DATABASES=databases):
        assert [m.id for m in axiomod_messages()] == ["axiomod.W070"]


def test_grpc_handler_that_cannot_be_imported():
    with override_settings(AXIOMOD={"grpc": {"handlers": ["example.nope.register"]}}):
        messages = axiomod_messages()
    assert [m.id for m in messages] == ["axiomod.E060"]
    assert 'AXIOMOD["grpc"]["handlers"][0]' in messages[0].msg


def test_section_of_an_app_that_is_not_installed_warns():
    from django.conf import settings as django_settings

    apps = [a for a in django_settings.INSTALLED_APPS if a != "axiomod_jobs"]
    with override_settings(INSTALLED_APPS=apps, AXIOMOD={"jobs": {"broker_url": "redis://x"}}):
        messages = axiomod_messages()
    assert [m.id for m in messages] == ["axiomod.W001"]
    assert "'axiomod_jobs' is not in INSTALLED_APPS" in messages[0].msg


def test_a_warning_does_not_hide_reference_errors():
    from django.conf import settings as django_settings

    apps = [a for a in django_settings.INSTALLED_APPS if a != "axiomod_jobs"]
    with override_settings(
        INSTALLED_APPS=apps,
        AXIOMOD={"jobs": {}, "db": {"replicas": ["nope"]}},
        DATABASE_ROUTERS=ROUTERS,
    ):
        ids = sorted(m.id for m in axiomod_messages())
    assert ids == ["axiomod.E070", "axiomod.W001"]


def run_manage(*args, env_extra=None):
    import os

    env = {**os.environ, **(env_extra or {})}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_manage_py_check_is_clean_for_the_example():
    result = run_manage("check")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_manage_py_check_reports_unknown_key_wrong_type_and_out_of_range():
    result = run_manage("check", "--settings=tests.core.bad_settings")
    assert result.returncode == 1
    out = result.stderr
    assert '(axiomod.E001) AXIOMOD["tracing"]["sample_rate"]: unknown setting.' in out
    assert "HINT: did you mean 'sample_ratio'?" in out
    assert '(axiomod.E002) AXIOMOD["health"]["check_timeout"]: expected a number' in out
    assert '(axiomod.E003) AXIOMOD["metrics"]["port"]: 99999 is out of range.' in out
    assert "Traceback" not in out


def test_bad_environment_variable_is_reported_by_check():
    result = run_manage("check", env_extra={"OTEL_TRACES_SAMPLER_ARG": "lots"})
    assert result.returncode == 1
    assert 'OTEL_TRACES_SAMPLER_ARG (default of AXIOMOD["tracing"]["sample_ratio"])' in (
        result.stderr
    )
