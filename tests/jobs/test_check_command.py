"""``manage.py check`` with a broken ``AXIOMOD["jobs"]``: every error listed, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage_check(settings_module: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.pop("CELERY_BROKER_URL", None)
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
