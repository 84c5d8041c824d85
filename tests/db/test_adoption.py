"""An existing project adopts ``database()``: one settings line for SQLite and PostgreSQL.

Reproduced first (issue 21, item 5): the guide's
``database(os.environ["DATABASE_URL"], max_open=4, min_idle=1)`` raised ``ValueError:
max_open, min_idle: django.db.backends.sqlite3 has no connection pool in Django`` at
settings import with a SQLite URL; and a PostgreSQL URL without psycopg installed ended
in Django's ``Error loading psycopg2 or psycopg module``, with no word of the extra.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from axiomod.db import database
from axiomod.db.checks import unused_pool_options
from tests.servers import ROOT, service_env

GUIDE_LINE = 'database(os.environ["DATABASE_URL"], max_open=4, min_idle=1)'

SETTINGS = textwrap.dedent(
    f"""
    import os

    from example.settings import *  # noqa: F403

    from axiomod.db import database

    DATABASES = {{"default": {GUIDE_LINE}}}
    """
)


def manage_check(tmp_path, url: str) -> subprocess.CompletedProcess:
    (tmp_path / "adopted_settings.py").write_text(SETTINGS)
    env = service_env({
        "PYTHONPATH": f"{tmp_path}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "adopted_settings",
        "DATABASE_URL": url,
    })  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_guides_line_serves_sqlite_with_a_warning_naming_the_unused_options(tmp_path):
    result = manage_check(tmp_path, f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout + result.stderr
    assert (
        "(axiomod.W071) DATABASES['default']: max_open=4, min_idle=1 unused: "
        "django.db.backends.sqlite3 has no connection pool in Django." in out
    ), out
    assert 'SILENCED_SYSTEM_CHECKS = ["axiomod.W071"]' in out


def test_the_guides_line_serves_postgresql_with_a_pool_and_no_warning(tmp_path):
    result = manage_check(tmp_path, "postgres://app:secret@127.0.0.1:5432/shop")
    assert result.returncode == 0, result.stderr
    assert "W071" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


W071_CASES = [
    ("mysql://db/x", {"max_open": 2, "max_idle_time": 30.0}, "max_open=2, max_idle_time=30.0"),
    ("postgres://db/x", {"pool": False, "min_idle": 1}, "min_idle=1 unused: pool=False was"),
    ("mysql://db/x", {"pool": True}, "pool=True unused: django.db.backends.mysql has no"),
]


@pytest.mark.parametrize(("url", "kwargs", "expected"), W071_CASES)
def test_w071_names_what_is_unused_and_why(url, kwargs, expected):
    databases = {"default": database("sqlite:///x"), "other": database(url, **kwargs)}
    (message,) = unused_pool_options(databases)
    assert message.id == "axiomod.W071"
    assert message.msg.startswith("DATABASES['other']: ")
    assert expected in message.msg


@pytest.mark.parametrize("url", ["sqlite:////tmp/x.sqlite3", "postgres://db/shop", "mysql://db/x"])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_open": 0}, "max_open=0 must be an integer >= 1"),
        ({"min_idle": -1}, "min_idle=-1 must be an integer >= 0"),
        ({"max_idle": 1.5}, "max_idle=1.5 must be an integer >= 0"),
        ({"timeout": 0}, "timeout=0 must be > 0 seconds"),
        ({"max_idle_time": -5}, "max_idle_time=-5 must be > 0 seconds"),
        ({"max_lifetime": -1}, "max_lifetime=-1 must be >= 0 seconds"),
        ({"timeout": "5"}, "timeout='5' must be a number of seconds"),
    ],
)
def test_a_value_no_backend_accepts_is_refused_on_every_backend(url, kwargs, message):
    # Found in development on SQLite, not at the first deployment on PostgreSQL.
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        database(url, **kwargs)


def test_max_lifetime_zero_stays_valid_without_a_pool():
    assert database("sqlite:////tmp/x.sqlite3", max_lifetime=0)["CONN_MAX_AGE"] == 0


# psycopg hidden from the interpreter, as in an environment without the extra.
HIDE_PSYCOPG = textwrap.dedent(
    """
    import sys

    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("psycopg", "psycopg2", "psycopg_pool", "psycopg_c",
                                      "psycopg_binary"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    from axiomod.db import database
    """
)


def run_without_psycopg(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", HIDE_PSYCOPG + textwrap.dedent(code)],
        cwd=ROOT, env=service_env({}), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_postgresql_url_without_psycopg_names_the_extra():
    result = run_without_psycopg('database("postgres://app@db/shop", max_open=4)')
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "django.core.exceptions.ImproperlyConfigured: PostgreSQL needs a driver: "
        'pip install "axiomod[postgres]"'
    ), result.stderr


def test_other_backends_do_not_need_psycopg():
    result = run_without_psycopg('print(database("sqlite:///x.sqlite3", max_open=4)["ENGINE"])')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
