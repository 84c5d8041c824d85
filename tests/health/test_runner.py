"""Running checks: concurrently, each under a timeout axiomod enforces, hung ones not piled up."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from health_check.exceptions import ServiceUnavailable

from axiomod_health.registry import CheckSpec, FunctionCheck
from axiomod_health.runner import run_checks


def spec(name, func, **kwargs) -> CheckSpec:
    return CheckSpec(name, FunctionCheck(func=func), **kwargs)


def test_checks_run_concurrently():
    # Each check waits for the other: only a concurrent run lets both pass.
    a_started, b_started = threading.Event(), threading.Event()

    def a():
        a_started.set()
        assert b_started.wait(5), "b never ran while a was running"

    def b():
        b_started.set()
        assert a_started.wait(5), "a never ran while b was running"

    results = run_checks([spec("a", a), spec("b", b)], default_timeout=10)
    assert [(r.name, r.status) for r in results] == [("a", "UP"), ("b", "UP")]


def test_a_hung_check_cannot_hold_the_probe_past_its_timeout():
    release = threading.Event()
    try:
        started = time.monotonic()
        results = run_checks(
            [spec("hangs", lambda: release.wait(30)), spec("fine", lambda: None)],
            default_timeout=0.3,
        )
        elapsed = time.monotonic() - started
        assert elapsed < 5, "the probe waited for the hung check"
        hung, fine = results
        assert (hung.status, hung.error) == ("DOWN", "timed out after 0.3 s")
        assert fine.status == "UP"

        again = run_checks([spec("hangs", lambda: release.wait(30))], default_timeout=0.3)
        assert again[0].status == "DOWN"
        assert "still running from an earlier probe" in again[0].error
    finally:
        release.set()


def test_an_async_check_that_blocks_its_loop_still_times_out():
    async def blocks_the_loop():
        time.sleep(1.5)  # a blocking call inside async def: wait_for could not stop it

    started = time.monotonic()
    (result,) = run_checks([spec("blocking", blocks_the_loop, timeout=0.2)], default_timeout=5)
    assert time.monotonic() - started < 1.4
    assert result.error == "timed out after 0.2 s"


def test_per_check_timeout_overrides_the_default():
    release = threading.Event()
    try:
        (slow,) = run_checks([spec("slow", lambda: release.wait(5), timeout=0.1)], 10)
        assert slow.error == "timed out after 0.1 s"
    finally:
        release.set()


def test_failures_carry_their_reason():
    def unavailable():
        raise ServiceUnavailable("replica lag 30 s")

    def bug():
        raise KeyError("oops")

    async def async_fails():
        await asyncio.sleep(0)
        raise ServiceUnavailable("async says no")

    results = run_checks(
        [spec("unavailable", unavailable), spec("bug", bug), spec("async", async_fails)], 5
    )
    assert [r.error for r in results] == [
        "replica lag 30 s",
        "KeyError: 'oops'",
        "async says no",
    ]
    assert all(r.status == "DOWN" for r in results)


@pytest.mark.integration
def test_pool_threads_do_not_keep_database_connections_open(
    postgres_service, postgres_database, django_db_blocker
):
    """On PostgreSQL (SQLite in-memory connections cannot be closed at all)."""
    import dj_database_url
    from django.db import connections

    config = dj_database_url.parse(postgres_database)
    config["OPTIONS"] = {"application_name": "axiomod-health-test"}
    alias = "health_pool_test"
    configured = connections.configure_settings({"default": config, alias: config})
    connections.settings[alias] = configured[alias]

    def query():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")

    def open_connections() -> int:
        with postgres_service.connect() as admin, admin.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                ["axiomod-health-test"],
            )
            return cursor.fetchone()[0]

    try:
        with django_db_blocker.unblock():
            results = run_checks([spec(f"db{i}", query) for i in range(4)], 5)
        assert [r.status for r in results] == ["UP"] * 4
        assert open_connections() == 0
    finally:
        del connections.settings[alias]


def test_a_hung_check_does_not_hold_interpreter_exit(tmp_path):
    """A worker must exit when asked, whatever a check is doing (daemon threads)."""
    import subprocess
    import sys

    script = (
        "import os, threading, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'example.settings'\n"
        "django.setup()\n"
        "from axiomod_health.registry import CheckSpec, FunctionCheck\n"
        "from axiomod_health.runner import run_checks\n"
        "hang = threading.Event()\n"
        "print(run_checks([CheckSpec('hangs', FunctionCheck(func=lambda: hang.wait(60)))],"
        " 0.2)[0].status, flush=True)\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=50,
        cwd=str(__import__("tests.servers").servers.ROOT),
    )
    assert result.stdout.strip() == "DOWN", result.stderr[-2000:]
    assert time.monotonic() - started < 30, "the interpreter waited for the hung check"
