"""``manage.py check`` with a broken ``AXIOMOD["jobs"]``: every error listed, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage_check(settings_module: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.pop("CELERY_BROKER_URL", None)
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", f"--settings={settings_module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


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
