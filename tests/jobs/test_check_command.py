"""``manage.py check`` with a broken ``AXIOMOD["jobs"]``: every error listed, no traceback."""

from __future__ import annotations

import subprocess

from tests.servers import manage


def manage_check(settings_module: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    # CELERY_BROKER_URL from the caller's shell would stand in for the settings' broker.
    env: dict[str, str | None] = {"CELERY_BROKER_URL": None, **env_extra}
    return manage("check", f"--settings={settings_module}", env=env)


def test_check_lists_every_refused_schedule_entry_without_a_traceback():
    result = manage_check("tests.jobs.bad_schedule_settings")
    out = result.stderr
    assert "Traceback" not in out, out
    assert result.returncode == 1, out
    entry = '(axiomod.E003) AXIOMOD["jobs"]["schedule"]'
    assert f"""{entry}["three_fields"]["cron"]: '* * *' must have five fields""" in out
    assert f"""{entry}["words"]["cron"]: 'every day' must have five fields""" in out
    assert f'{entry}["both"]["cron"]: set exactly one of cron and every' in out
    assert '(axiomod.E003) AXIOMOD["metrics"]["port"]: 99999 is out of range' in out
    # Said once, by the schema: not again as E050.
    assert "axiomod.E050" not in out
    assert "System check identified 4 issues" in out


def test_check_refuses_a_broker_url_kombu_cannot_connect_with():
    result = manage_check("tests.jobs.bad_broker_settings")
    assert result.returncode == 1, result.stderr
    assert '(axiomod.E003) AXIOMOD["jobs"]["broker_url"]: not a broker URL' in result.stderr
    assert "valid schemes: " in result.stderr


def test_check_names_a_bad_celery_broker_url_variable():
    result = manage_check("example.settings", CELERY_BROKER_URL="reddis://localhost:6379/0")
    assert result.returncode == 1, result.stderr
    assert (
        '(axiomod.E003) CELERY_BROKER_URL (default of AXIOMOD["jobs"]["broker_url"]): '
        "scheme 'reddis' is not one of kombu's transports (did you mean 'redis'?)"
    ) in result.stderr
    assert "Traceback" not in result.stderr
