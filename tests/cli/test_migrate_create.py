"""``axiomod migrate create`` in a project laid out as ``axiomod generate`` makes one.

The migrations it creates pass the project's own ``ruff check`` and ``ruff format
--check`` (as ``generate``'s files do), the name can be given positionally, and a usage
error shows the ``create`` subcommand's own usage, which lists ``-n``. SQLite only: the
database plays no part here (tests/cli/test_migrate.py runs the commands on PostgreSQL
and MariaDB).
"""

from __future__ import annotations

import pytest

from tests.scaffold.project import Project, ruff

MODEL = "shop/orders/infrastructure/persistence/models.py"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("migrate-create") / "shop-project")
    done = project.axiomod("generate", "module", "-n", "orders")
    assert done.returncode == 0, done.stderr
    project.install("orders")
    return project


def migrations(project: Project) -> list[str]:
    directory = project.root / "shop" / "orders" / "migrations"
    return sorted(path.name for path in directory.glob("0*.py"))


def test_created_migrations_pass_the_projects_ruff_check_and_format(project):
    for args in (
        ("orders", "--empty", "-n", "backfill"),
        ("orders", "add_index", "--sql"),
    ):
        done = project.axiomod("migrate", "create", *args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("created ")
    model = project.root / MODEL
    model.write_text(
        model.read_text().replace(
            "    created_at = ",
            '    note = models.CharField(max_length=200, default="", blank=True)\n'
            "    created_at = ",
        )
    )
    done = project.manage("axiomod_migrate", "create", "orders", "add_note")
    assert done.returncode == 0, done.stderr
    assert migrations(project)[-3:] == ["0002_backfill.py", "0003_add_index.py", "0004_add_note.py"]
    directory = "shop/orders/migrations"
    formatted = project.run(ruff(), "format", "--check", "--no-cache", directory)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = project.run(ruff(), "check", "--no-cache", directory)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_name_given_positionally_and_with_n_must_agree(project):
    done = project.axiomod("migrate", "create", "orders", "one", "-n", "other", "--empty")
    assert done.returncode == 2
    assert "usage: manage.py axiomod_migrate create" in done.stderr
    assert "the name is given twice ('one' and -n 'other')" in done.stderr
    same = project.axiomod("migrate", "create", "orders", "same", "-n", "same", "--empty")
    assert same.returncode == 0, same.stderr
    assert same.stdout.strip().endswith("_same.py")


@pytest.mark.parametrize("runner", ["axiomod", "manage"])
def test_a_usage_error_prints_the_subcommands_usage(project, runner):
    args = ("create", "orders", "add_note", "extra")
    if runner == "axiomod":
        done = project.axiomod("migrate", *args)
    else:
        done = project.manage("axiomod_migrate", *args)
    assert done.returncode == 2
    usage, _, error = done.stderr.partition("\nmanage.py axiomod_migrate create: error: ")
    assert usage.startswith("usage: manage.py axiomod_migrate create ")
    assert "-n NAME" in usage
    assert error.strip() == "unrecognized arguments: extra"
    assert "Traceback" not in done.stderr
