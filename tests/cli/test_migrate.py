"""``axiomod migrate`` run as the installed console script in a temporary project,
against a real PostgreSQL and a real MariaDB."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

MANAGE = """\
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopproj.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""
SETTINGS = """\
import os
from axiomod.db import database
SECRET_KEY = "cli-tests"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "axiomod", "shop"]
DATABASES = {"default": database(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""
MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=50)
"""
IRREVERSIBLE = """\
from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "{previous}")]
    operations = [migrations.RunPython(forwards)]
"""
COLUMNS = (
    "from django.db import connection\n"
    "with connection.cursor() as c:\n"
    "    print(sorted(d.name for d in connection.introspection.get_table_description(c, "
    "'shop_product')))"
)


def console_script() -> str:
    found = shutil.which("axiomod", path=str(Path(sys.executable).parent))
    assert found, "the axiomod console script is not installed next to the interpreter"
    return found


@pytest.fixture(params=["postgres", "mariadb"])
def project(request, tmp_path):
    url = request.getfixturevalue(f"{request.param}_database")
    (tmp_path / "manage.py").write_text(MANAGE)
    (tmp_path / "shopproj").mkdir()
    (tmp_path / "shopproj" / "__init__.py").touch()
    (tmp_path / "shopproj" / "settings.py").write_text(SETTINGS)
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").touch()
    (tmp_path / "shop" / "models.py").write_text(MODELS)
    return tmp_path, url


def axiomod(project, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    root, url = project
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(root)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [console_script(), *args],
        cwd=cwd or root / "shop",  # a subdirectory: manage.py is found above it
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def axiomod_without_stdin(project, *args: str) -> subprocess.CompletedProcess:
    """The console script with standard input closed (``0<&-``), as some CI runners and
    cron jobs start it: Python then has no ``sys.stdin`` at all, unlike with /dev/null."""
    root, url = project
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(root)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        ["bash", "-c", 'exec "$0" "$@" 0<&-', console_script(), *args],
        cwd=root / "shop",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def columns(project) -> list[str]:
    root, url = project
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", COLUMNS],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])


def test_create_up_status_down_against_a_real_database(project):
    root, _ = project
    migrations = root / "shop" / "migrations"

    created = axiomod(project, "migrate", "create", "shop")
    assert created.returncode == 0, created.stderr
    assert (migrations / "0001_initial.py").is_file()
    pending = axiomod(project, "migrate", "status", "shop", "--check")
    assert pending.returncode == 1 and "[ ] 0001_initial" in pending.stdout

    applied = axiomod(project, "migrate", "up")
    assert applied.returncode == 0, applied.stderr
    assert "Applying shop.0001_initial... OK" in applied.stdout
    assert axiomod(project, "migrate", "status", "--check").returncode == 0

    (root / "shop" / "models.py").write_text(
        MODELS + "    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)\n"
    )
    changed = axiomod(project, "migrate", "status", "--check", "--json")
    assert changed.returncode == 1
    assert '"model_changes_without_migration": [\n    "shop"\n  ]' in changed.stdout
    assert axiomod(project, "migrate", "create", "shop", "--name=add_price").returncode == 0
    assert axiomod(project, "migrate", "up", "shop").returncode == 0
    assert "price" in columns(project)

    dry = axiomod(project, "migrate", "down", "shop", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "shop.0002_add_price" in dry.stdout and "DROP COLUMN" in dry.stdout.upper()
    assert "price" in columns(project)  # the catalog says nothing happened

    refused = axiomod(project, "migrate", "down", "shop")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "price" in columns(project)

    rolled = axiomod(project, "migrate", "down", "shop", "--yes")
    assert rolled.returncode == 0, rolled.stderr
    assert "Unapplying shop.0002_add_price... OK" in rolled.stdout
    assert "price" not in columns(project)
    status = axiomod(project, "migrate", "status", "shop")
    assert "[X] 0001_initial" in status.stdout and "[ ] 0002_add_price" in status.stdout

    # up never rolls back; wrong requests are usage errors (exit 2) that change nothing.
    assert axiomod(project, "migrate", "up").returncode == 0
    backwards = axiomod(project, "migrate", "up", "shop", "0001")
    assert backwards.returncode == 2 and "use `down shop --to 0001`" in backwards.stderr
    assert "price" in columns(project)
    unknown = axiomod(project, "migrate", "down", "shop", "--to", "0009", "--dry-run")
    assert unknown.returncode == 2 and "no migration named '0009'" in unknown.stderr
    alias = axiomod(project, "migrate", "status", "shop", "--database", "nope")
    assert alias.returncode == 2 and "no such alias" in alias.stderr


def test_questions_are_refused_when_standard_input_is_closed(project):
    created = axiomod_without_stdin(project, "migrate", "create", "shop")
    assert created.returncode == 0, created.stderr
    assert axiomod_without_stdin(project, "migrate", "up").returncode == 0

    refused = axiomod_without_stdin(project, "migrate", "down", "shop")
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    assert "rolling back needs confirmation: run it in a terminal, or pass --yes" in (
        refused.stderr
    )
    status = axiomod_without_stdin(project, "migrate", "status", "shop", "--check")
    assert status.returncode == 0, "nothing may have been rolled back"

    rolled = axiomod_without_stdin(project, "migrate", "down", "shop", "--yes")
    assert rolled.returncode == 0, rolled.stderr
    assert "Unapplying shop.0001_initial... OK" in rolled.stdout


def test_templates_and_an_irreversible_migration(project):
    root, _ = project
    migrations = root / "shop" / "migrations"
    assert axiomod(project, "migrate", "create", "shop").returncode == 0
    data = axiomod(project, "migrate", "create", "shop", "--empty", "-n", "backfill")
    assert data.returncode == 0, data.stderr
    text = (migrations / "0002_backfill.py").read_text()
    assert "migrations.RunPython(forwards, backwards)" in text
    assert '("shop", "0001_initial")' in text  # formatted by ruff
    sql = axiomod(project, "migrate", "create", "shop", "--sql", "--name", "raw")
    assert sql.returncode == 0
    assert "migrations.RunSQL(UP, DOWN)" in (migrations / "0003_raw.py").read_text()
    (migrations / "0004_irreversible.py").write_text(IRREVERSIBLE.format(previous="0003_raw"))
    assert axiomod(project, "migrate", "up").returncode == 0

    blocked = axiomod(project, "migrate", "down", "shop", "--steps", "2", "--yes")
    assert blocked.returncode == 1
    assert "shop.0004_irreversible is irreversible" in blocked.stderr
    status = axiomod(project, "migrate", "status", "shop", "--check")
    assert status.returncode == 0, "nothing may have been rolled back"

    # Without the irreversible one, the templated ones roll back (their stubs do nothing).
    (migrations / "0004_irreversible.py").unlink()
    back = axiomod(project, "migrate", "down", "shop", "--to", "0001", "--yes")
    assert back.returncode == 0, back.stderr
    assert "Unapplying shop.0003_raw... OK" in back.stdout
    status = axiomod(project, "migrate", "status", "shop")
    assert "[ ] 0002_backfill" in status.stdout and "[ ] 0003_raw" in status.stdout


def test_outside_a_project_it_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [console_script(), "migrate", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not inside a Django project" in result.stderr
    helped = subprocess.run(
        [console_script(), "migrate", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert helped.returncode == 0 and "usage: axiomod migrate" in helped.stdout


MERGE_BRANCH = """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunSQL("SELECT 1", "SELECT 1")]
"""
MERGE = """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_left"), ("shop", "0002_right")]
    operations = []
"""


def test_steps_across_a_merge_migration_are_refused(project):
    root, _ = project
    migrations = root / "shop" / "migrations"
    assert axiomod(project, "migrate", "create", "shop").returncode == 0
    (migrations / "0002_left.py").write_text(MERGE_BRANCH)
    (migrations / "0002_right.py").write_text(MERGE_BRANCH)
    (migrations / "0003_merge.py").write_text(MERGE)
    assert axiomod(project, "migrate", "up").returncode == 0
    refused = axiomod(project, "migrate", "down", "shop", "--yes")
    assert refused.returncode == 1
    assert "shop.0003_merge is a merge migration" in refused.stderr and "--to" in refused.stderr
    back = axiomod(project, "migrate", "down", "shop", "--to", "0001_initial", "--yes")
    assert back.returncode == 0, back.stderr
    status = axiomod(project, "migrate", "status", "shop")
    assert "[X] 0001_initial" in status.stdout and "[ ] 0003_merge" in status.stdout
