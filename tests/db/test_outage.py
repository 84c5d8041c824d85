"""The database is down: a request answers 503 within one pool timeout, the log stays short.

Reproduced first (issue 21, item 12): with ``DEBUG`` on, one request to the example's
``/invoices/`` with the pool pointed at a closed port and ``timeout=1`` took 5.2 s and
ended in Django's HTML debug page (500): the page printed the ``repr()`` of the
QuerySets in the traceback's frames, and each ran its query, waiting for the pool again.
With the default 10 s timeout that is past gunicorn's 30 s worker timeout. psycopg's pool
logged ``error connecting in 'pool-1'`` at every background attempt.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import time

import pytest

from axiomod.db.outage import ConnectErrorThrottle, DatabaseUnavailable, unavailable
from axiomod.testing.ports import free_port
from tests.servers import ROOT, gunicorn, service_env

POOL_TIMEOUT = 1.0

# Run in a process of its own: its own pools, logging and settings.
SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    import django

    django.setup()
    from django.test import Client

    from axiomod.db.outage import install_log_throttle

    if os.environ["THROTTLE"] == "off":
        import logging
        pool_logger = logging.getLogger("psycopg.pool")
        for f in list(pool_logger.filters):
            pool_logger.removeFilter(f)
    else:
        install_log_throttle(float(os.environ["THROTTLE"]))
    client = Client(raise_request_exception=False)
    answers = []
    end = time.monotonic() + float(os.environ["RUN_FOR"])
    while time.monotonic() < end:
        start = time.monotonic()
        response = client.get("/invoices/")
        answers.append({
            "status": response.status_code,
            "seconds": time.monotonic() - start,
            "body": response.content.decode()[:300],
            "retry_after": response.get("Retry-After"),
        })
    time.sleep(float(os.environ.get("LINGER", "0")))
    print("ANSWERS " + json.dumps(answers))
    """
)

SETTINGS = textwrap.dedent(
    """
    import os

    from example.settings import *  # noqa: F403

    from axiomod.db import database

    DEBUG = os.environ["DEBUG"] == "1"
    DATABASES = {
        "default": database(
            f"postgres://postgres@127.0.0.1:{os.environ['DOWN_PORT']}/down",
            max_open=4, min_idle=1, timeout=float(os.environ["POOL_TIMEOUT"]),
        )
    }
    """
)


def run_down(tmp_path, *, debug: bool, throttle: str, run_for: float, linger: float = 0):
    (tmp_path / "down_settings.py").write_text(SETTINGS)
    (tmp_path / "down_client.py").write_text(SCRIPT)
    env = service_env({
        "PYTHONPATH": f"{tmp_path}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "down_settings",
        "DEBUG": "1" if debug else "0",
        "DOWN_PORT": str(free_port()),
        "POOL_TIMEOUT": str(POOL_TIMEOUT),
        "THROTTLE": throttle,
        "RUN_FOR": str(run_for),
        "LINGER": str(linger),
    })  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(tmp_path / "down_client.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("ANSWERS "))
    connect_lines = [x for x in result.stderr.splitlines() if "error connecting in" in x]
    return json.loads(line.removeprefix("ANSWERS ")), connect_lines


@pytest.mark.integration
@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG", "no-DEBUG"])
def test_a_request_answers_503_within_one_pool_timeout(tmp_path, debug):
    answers, _ = run_down(tmp_path, debug=debug, throttle="30", run_for=0.1)
    (answer,) = answers
    assert answer["status"] == 503, answer["body"]
    assert json.loads(answer["body"]) == {
        "error": "unavailable",
        "detail": "the database is unavailable; retry later",
    }
    assert answer["retry_after"] == "5"
    # A bound, not a benchmark: the pool timeout is paid once, not once per QuerySet
    # that Django's debug page would print.
    assert answer["seconds"] < 2 * POOL_TIMEOUT + 0.5, answer


@pytest.mark.integration
def test_the_pool_logs_one_connect_error_per_interval(tmp_path):
    interval = 2.0
    # Without the throttle: a line per attempt (the finding).
    _, unthrottled = run_down(tmp_path, debug=False, throttle="off", run_for=4.5, linger=0.5)
    answers, throttled = run_down(
        tmp_path, debug=False, throttle=str(interval), run_for=4.5, linger=0.5
    )
    assert {a["status"] for a in answers} == {503}
    assert len(unthrottled) > 3, unthrottled
    # 5 s of outage, a line at most every 2 s: at most 3.
    assert 1 <= len(throttled) <= 3, throttled
    assert len(throttled) < len(unthrottled)
    assert any("more in the last" in line for line in throttled[1:]) or len(throttled) == 1


def _record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("psycopg.pool", logging.WARNING, __file__, 1, msg, args, None)


def test_throttle_passes_one_line_per_pool_per_interval_and_counts_the_rest(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("axiomod.db.outage.time.monotonic", lambda: clock[0])
    throttle = ConnectErrorThrottle(interval=10)
    msg = "error connecting in %r: %s"
    assert throttle.filter(_record(msg, "pool-1", "refused"))
    assert not throttle.filter(_record(msg, "pool-1", "refused"))
    assert throttle.filter(_record(msg, "pool-2", "refused")), "another pool has its own"
    assert throttle.filter(_record("discarding broken connection: %s", "c")), "others pass"
    clock[0] += 4
    assert not throttle.filter(_record(msg, "pool-1", "refused"))
    clock[0] += 7
    record = _record(msg, "pool-1", "refused")
    assert throttle.filter(record)
    assert record.getMessage() == (
        "error connecting in 'pool-1' (2 more in the last 11 s): refused"
    )


@pytest.mark.django_db
def test_a_failing_query_is_not_an_outage():
    from django.db import connection
    from django.db.utils import OperationalError

    with pytest.raises(OperationalError) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert unavailable(caught.value) is None


def test_a_failed_connect_is_an_outage(add_alias):
    from django.db import connections
    from django.db.utils import OperationalError

    from axiomod.db import database
    from axiomod.errors import describe

    alias = add_alias(
        "down", database(f"postgres://postgres@127.0.0.1:{free_port()}/x", pool=False)
    )
    with pytest.raises(OperationalError) as caught:
        connections[alias].ensure_connection()
    assert isinstance(unavailable(caught.value), DatabaseUnavailable)
    assert describe(caught.value).status == 503


@pytest.mark.integration
def test_gunicorn_with_debug_answers_503_within_one_pool_timeout_and_logs_once(tmp_path):
    """The finding as it was met: DEBUG on, under gunicorn, the pool's default log."""

    (tmp_path / "down_settings.py").write_text(SETTINGS)
    env = {
        "PYTHONPATH": f"{tmp_path}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "down_settings",
        "DEBUG": "1",
        "DOWN_PORT": str(free_port()),
        "POOL_TIMEOUT": str(POOL_TIMEOUT),
    }
    server = gunicorn(env, tmp_path / "gunicorn.log", workers=1)
    server.ready_path = "/live"  # no database
    with server:
        started = time.monotonic()
        answers = []
        while time.monotonic() - started < 5:
            t = time.monotonic()
            answer = server.request("GET", "/invoices/", timeout=30)
            answers.append((answer.status, time.monotonic() - t, answer.headers))
        log = server.log()
    assert {status for status, _, _ in answers} == {503}, log[-3000:]
    assert max(seconds for _, seconds, _ in answers) < 2 * POOL_TIMEOUT + 0.5, answers
    assert answers[0][2].get("Retry-After") == "5"
    assert "WORKER TIMEOUT" not in log
    connect_lines = [x for x in log.splitlines() if "error connecting in" in x]
    assert len(connect_lines) == 1, connect_lines  # 5 s of outage, one line per 30 s
