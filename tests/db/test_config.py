"""``axiomod.db.database()``: the Go framework's pool names onto Django's settings."""

from __future__ import annotations

import pytest

from axiomod.db import database


def test_postgres_gets_the_native_pool_with_go_names():
    config = database(
        "postgres://app:pw@db:5432/shop",
        max_open=20, min_idle=3, max_lifetime=600, max_idle_time=60, timeout=2,
    )  # fmt: skip
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "shop"
    assert config["OPTIONS"]["pool"] == {
        "min_size": 3,
        "max_size": 20,
        "max_lifetime": 600.0,
        "max_idle": 60.0,
        "timeout": 2.0,
    }
    assert config["CONN_MAX_AGE"] == 0, "Django refuses a pool with persistent connections"


def test_postgres_pool_defaults_and_opt_out():
    assert database("postgres://db/shop")["OPTIONS"]["pool"]["max_size"] == 10
    plain = database("postgres://db/shop", pool=False, max_lifetime=60, timeout=3)
    assert "pool" not in plain["OPTIONS"]
    assert plain["CONN_MAX_AGE"] == 60
    assert plain["CONN_HEALTH_CHECKS"] is True
    assert plain["OPTIONS"]["connect_timeout"] == 3


def test_max_idle_stands_for_min_size_when_min_idle_is_absent():
    assert database("postgres://db/shop", max_idle=5)["OPTIONS"]["pool"]["min_size"] == 5


@pytest.mark.parametrize("url", ["mariadb://root@db:3306/shop", "mysql://root@db:3306/shop"])
def test_mariadb_gets_persistent_connections(url):
    config = database(url, max_lifetime=120, timeout=4)
    assert config["ENGINE"] == "django.db.backends.mysql"
    assert config["CONN_MAX_AGE"] == 120
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["OPTIONS"]["connect_timeout"] == 4
    assert "pool" not in config["OPTIONS"]


@pytest.mark.parametrize("url", ["mysql://root@db/shop", "sqlite:////tmp/x.sqlite3"])
def test_pool_settings_on_a_backend_without_a_pool_are_recorded_not_refused(url):
    config = database(url, max_open=10)  # W071 names them (tests/db/test_adoption.py)
    assert config["AXIOMOD_UNUSED_POOL_OPTIONS"] == {"max_open": 10}
    assert "pool" not in config["OPTIONS"]


def test_extra_keys_are_copied():
    config = database("sqlite:////tmp/x.sqlite3", ATOMIC_REQUESTS=True, TEST={"NAME": "t"})
    assert config["ATOMIC_REQUESTS"] is True
    assert config["TEST"] == {"NAME": "t"}


def test_pool_lends_only_checked_connections():
    config = database("postgres://db/shop")
    assert config["CONN_HEALTH_CHECKS"] is True, "Django gives the pool a check only then"


def test_pool_true_on_a_backend_without_a_pool_and_pool_false_with_sizes_are_recorded():
    assert database("mysql://root@db/shop", pool=True)["AXIOMOD_UNUSED_POOL_OPTIONS"] == {
        "pool": True
    }
    plain = database("postgres://db/shop", pool=False, max_open=3)
    assert plain["AXIOMOD_UNUSED_POOL_OPTIONS"] == {"max_open": 3}
    assert "AXIOMOD_UNUSED_POOL_OPTIONS" not in database("postgres://db/shop", max_open=3)


def test_min_idle_never_exceeds_max_open_and_explicit_pool_options_win():
    assert database("postgres://db/shop", max_open=1)["OPTIONS"]["pool"]["min_size"] == 1
    config = database("postgres://db/shop", options={"pool": {"max_size": 7, "num_workers": 2}})
    assert config["OPTIONS"]["pool"]["max_size"] == 7
    assert config["OPTIONS"]["pool"]["num_workers"] == 2


def test_timeouts_per_backend():
    assert database("sqlite:////tmp/x.sqlite3", timeout=2.5)["OPTIONS"]["timeout"] == 2.5
    assert database("mysql://root@db/shop", timeout=0.5)["OPTIONS"]["connect_timeout"] == 1
