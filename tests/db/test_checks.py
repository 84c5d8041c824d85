"""System checks for the pool traps."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from axiomod.db import database

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def ids(databases):
    with override_settings(DATABASES=databases):
        return sorted(m.id for m in checks.run_checks(tags=["database"]) if m.id.startswith("ax"))


def test_example_databases_are_clean():
    assert [m for m in checks.run_checks(tags=["database"]) if m.id.startswith("axiomod")] == []


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
        messages = [m for m in checks.run_checks(tags=["database"]) if m.id == "axiomod.E073"]
    texts = " ".join(m.msg for m in messages)
    assert "max_size=2 is smaller than min_size=5" in texts
    assert "timeout=0 must be a positive number" in texts
