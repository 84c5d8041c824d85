"""System checks for the pool traps."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from axiomod.db import database
from axiomod.db.checks import DB_TAG

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def ids(databases):
    with override_settings(DATABASES=databases):
        return sorted(m.id for m in checks.run_checks(tags=[DB_TAG]) if m.id.startswith("ax"))


def test_example_databases_are_clean():
    assert [m for m in checks.run_checks(tags=[DB_TAG]) if m.id.startswith("axiomod")] == []


def test_pool_on_a_backend_without_one():
    bad = database("mysql://root@db/shop")
    bad["OPTIONS"]["pool"] = True
    assert ids({"default": bad}) == ["axiomod.E071"]


@pytest.mark.parametrize("age", [60, None])
def test_pool_with_persistent_connections(age):
    bad = database("postgres://db/shop")
    bad["CONN_MAX_AGE"] = age
    assert ids({"default": bad}) == ["axiomod.E072"]


def test_pool_sizes_that_cannot_work():
    bad = database("postgres://db/shop")
    bad["OPTIONS"]["pool"].update(min_size=5, max_size=2, timeout=0)
    with override_settings(DATABASES={"default": bad}):
        messages = [m for m in checks.run_checks(tags=[DB_TAG]) if m.id == "axiomod.E073"]
    texts = " ".join(m.msg for m in messages)
    assert "max_size=2 is smaller than min_size=5" in texts
    assert "timeout=0 must be a positive number" in texts


def test_manage_py_check_runs_them_without_database(settings):
    """``manage.py check`` passes no tags and no databases: Django 6.1 then skips checks
    tagged ``database``; these read settings only and must run."""
    pooled = database("postgres://u:p@db/app")
    pooled["OPTIONS"]["pool"].update(min_size=5, max_size=2)
    settings.DATABASES = {"default": pooled, "dev": database("sqlite:///dev.sqlite3", max_open=4)}
    found = {m.id for m in checks.run_checks() if m.id.startswith("axiomod")}
    assert {"axiomod.E073", "axiomod.W071"} <= found
