"""``manage.py axiomod_jobs list | run``: eager in the example, against Redis in the project."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest
from celery import shared_task
from django.core.management import CommandError, call_command

from axiomod.testing import free_port
from tests.jobs.workers import entries, project_env, wait_for_entries
from tests.servers import ROOT


def run_command(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", "axiomod_jobs", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@shared_task(name="cmd.plain")
def plain_shared_task():
    return None


def test_list_shows_the_example_jobs_and_the_next_five_minute_slot(capsys):
    call_command("axiomod_jobs", "list")
    out = capsys.readouterr().out
    other = next(x for x in out.splitlines() if x.startswith("Other tasks"))
    assert "cmd.plain" in other and "invoices.issue" not in other
    assert "cron in UTC unless noted" in out
    assert "invoices.issue  queue=default (timeout 30s, retries 3)" in out
    schedules = out.split("Schedules")[1]
    line = next(x for x in schedules.splitlines() if "invoices.issue_stale" in x)
    assert "*/5 * * * *" in line
    minute = int(re.search(r"next \d{4}-\d\d-\d\d \d\d:(\d\d):00Z", line).group(1))
    assert minute % 5 == 0


@pytest.mark.django_db
def test_run_without_a_broker_runs_the_job_here(capsys):
    call_command("axiomod_jobs", "run", "invoices.issue_stale_drafts", "--kwargs", '{"minutes": 1}')
    assert "ran invoices.issue_stale_drafts here (no broker configured): SUCCESS: 0" in (
        capsys.readouterr().out
    )


def test_run_names_close_matches_for_an_unknown_job():
    with pytest.raises(CommandError, match=r"Did you mean invoices\.issue"):
        call_command("axiomod_jobs", "run", "invoices.isue")


def test_run_refuses_arguments_that_are_not_json():
    with pytest.raises(CommandError, match="--args"):
        call_command("axiomod_jobs", "run", "invoices.issue", "--args", "[1")


@pytest.mark.integration
def test_run_enqueues_on_redis_and_list_reads_redbeats_last_run(jobs_redis, celery_process):
    env = project_env(
        jobs_redis.broker,
        jobs_redis.record,
        {"AXIOMOD_TEST_TICK_EVERY": "600", "AXIOMOD_TEST_TICK_KEY": "ticks"},
    )
    celery_process("worker", "--pool", "solo")
    done = run_command(
        env, "run", "tests.record", "--args", json.dumps(["cmd", "by hand"]), "--wait", "30"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"enqueued tests.record as [0-9a-f-]{36}", done.stdout)
    assert "result: 'by hand'" in done.stdout
    assert [v for v, _, _ in entries(jobs_redis.client, "cmd")] == ["by hand"]

    before = run_command(env, "list")
    assert "ticker  every 600s  -> tests.record" in before.stdout, before.stderr[-2000:]
    assert "Z  last " not in before.stdout  # beat never ran

    # A schedule entry by name runs with the entry's arguments.
    entry = run_command(env, "run", "ticker")
    assert entry.returncode == 0, entry.stderr[-3000:]
    wait_for_entries(jobs_redis.client, "ticks", 1)

    beat = celery_process("beat", AXIOMOD_TEST_TICK_EVERY="600", AXIOMOD_TEST_TICK_KEY="ticks")
    beat.wait_for_log("Acquired lock")  # the schedule is stored before the lock is taken
    after = run_command(env, "list")
    line = next(x for x in after.stdout.splitlines() if x.strip().startswith("ticker"))
    assert "after the last run RedBeat recorded" in after.stdout, beat.log()[-2000:]
    last, following = re.search(r"next (\S+ \S+)Z  last (\S+ \S+)Z", line).group(2, 1)
    gap = dt.datetime.fromisoformat(following) - dt.datetime.fromisoformat(last)
    assert gap == dt.timedelta(seconds=600), line

    down = run_command(
        {**env, "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"},
        "run",
        "tests.record",
        "--args",
        '["x"]',
    )
    assert down.returncode == 1
    assert "tests.record not enqueued: broker redis://127.0.0.1:" in down.stderr
    assert "Traceback" not in down.stderr

    unknown = run_command(env, "run", "tests.recrod")
    assert unknown.returncode == 1
    assert "Did you mean tests.record" in unknown.stderr
