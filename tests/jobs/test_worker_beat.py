"""Real ``celery worker`` and ``celery beat`` processes on a real Redis.

The jobs record into Redis (``tests/jobs/project/jobs.py``); the tests read that. Timings
are generous bounds on waits, never assertions about speed.
"""

from __future__ import annotations

import itertools
import os
import signal
import time

import pytest
from celery import Celery

from tests.jobs.workers import entries, wait_for_entries

pytestmark = pytest.mark.integration


def sender(jobs_redis) -> Celery:
    """A bare Celery client, as another service enqueuing our jobs by name would be."""
    app = Celery(
        "sender", broker=jobs_redis.broker, backend=jobs_redis.broker, set_as_current=False
    )
    app.conf.task_default_queue = "default"
    return app


@pytest.mark.smoke
def test_interval_schedule_runs_on_the_worker(jobs_redis, celery_process):
    worker = celery_process("worker", "--pool", "solo")
    beat = celery_process("beat", AXIOMOD_TEST_TICK_EVERY="1", AXIOMOD_TEST_TICK_KEY="ticks")
    ticks = wait_for_entries(jobs_redis.client, "ticks", 3, timeout=60)
    assert len(ticks) >= 3, beat.log()[-3000:] + worker.log()[-3000:]
    assert {pid for _, pid, _ in ticks} == {worker.pid}  # the solo pool runs in the main process
    assert "Acquired lock" in beat.log() or "beat: Acquired lock" in beat.log()


def test_two_beats_fire_each_slot_once_and_the_standby_takes_over(jobs_redis, celery_process):
    celery_process("worker", "--pool", "solo")
    env = {"AXIOMOD_TEST_TICK_EVERY": "1", "AXIOMOD_TEST_TICK_KEY": "ticks"}
    first = celery_process("beat", name="beat-a", **env)
    first.wait_for_log("Acquired lock")
    second = celery_process("beat", name="beat-b", **env)
    start = time.time()
    time.sleep(8)
    ticks = [at for _, _, at in entries(jobs_redis.client, "ticks") if at >= start]
    # One beat: about one tick per second. Two beats firing independently: about two.
    assert 4 <= len(ticks) <= 10, ticks
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert min(gaps) > 0.5, f"two runs of one slot: {gaps}"
    assert "Acquired lock" not in second.log(), "the second beat must wait for the lock"

    # The lock holder stops (a rollout): the standby takes the lock and goes on firing.
    first.signal(signal.SIGTERM)
    assert first.wait(30) == 0
    second.wait_for_log("Acquired lock", timeout=30)
    handover = time.time()
    seen = len(entries(jobs_redis.client, "ticks"))
    later = wait_for_entries(jobs_redis.client, "ticks", seen + 3)
    assert [at for _, _, at in later if at > handover], second.log()[-3000:]


def test_a_lost_lock_makes_beat_wait_and_take_it_again(jobs_redis, celery_process):
    celery_process("worker", "--pool", "solo")
    beat = celery_process("beat", AXIOMOD_TEST_TICK_EVERY="1", AXIOMOD_TEST_TICK_KEY="ticks")
    beat.wait_for_log("Acquired lock")
    lock_keys = jobs_redis.broker_client.keys("redbeat:jobs-tests:*lock*")
    assert lock_keys, jobs_redis.broker_client.keys("*")
    jobs_redis.broker_client.delete(*lock_keys)  # as a Redis restart without persistence would
    beat.wait_for_log("lost the schedule lock", timeout=30)
    after = time.time()
    deadline = time.monotonic() + 30
    while not [e for e in entries(jobs_redis.client, "ticks") if e[2] > after + 1]:
        assert time.monotonic() < deadline, beat.log()[-3000:]
        time.sleep(0.2)
    assert beat.alive(), beat.log()[-3000:]
    assert beat.log().count("Acquired lock") >= 2


def test_sigterm_finishes_the_running_job_and_leaves_queued_ones(jobs_redis, celery_process):
    worker = celery_process("worker", "--pool", "prefork", "--concurrency", "1")
    worker.wait_for_log("ready.")
    app = sender(jobs_redis)
    app.send_task("tests.slow", args=["slow", 3])
    app.send_task("tests.record", args=["after", "queued"])
    wait_for_entries(jobs_redis.client, "slow", 1, timeout=30)
    worker.signal(signal.SIGTERM)  # what Kubernetes sends first
    assert worker.wait(60) == 0, worker.log()[-3000:]
    assert [value for value, _, _ in entries(jobs_redis.client, "slow")] == ["started", "done"]
    assert entries(jobs_redis.client, "after") == [], "an unstarted job ran during shutdown"
    assert "finishing 1 running job(s)" in worker.log()

    # The queued job is still in the broker: the next worker runs it.
    celery_process("worker", "--pool", "solo", name="worker-next")
    assert [v for v, _, _ in wait_for_entries(jobs_redis.client, "after", 1)] == ["queued"]


def test_a_job_whose_child_dies_is_delivered_again(jobs_redis, celery_process):
    """reject_on_worker_lost: the pool child running the job is killed (OOM killer)."""
    worker = celery_process("worker", "--pool", "prefork", "--concurrency", "1")
    worker.wait_for_log("ready.")
    sender(jobs_redis).send_task("tests.slow", args=["slow", 2])
    ((_, child, _),) = wait_for_entries(jobs_redis.client, "slow", 1, timeout=30)
    assert child != worker.pid
    os.kill(child, signal.SIGKILL)
    found = wait_for_entries(jobs_redis.client, "slow", 3, timeout=60)
    assert [v for v, _, _ in found] == ["started", "started", "done"], worker.log()[-3000:]
    assert found[1][1] != child


def test_a_job_of_a_killed_worker_is_delivered_again(jobs_redis, celery_process):
    """Late acks: the whole worker is SIGKILLed mid-job; the broker gives the job back."""
    worker = celery_process(
        "worker", "--pool", "prefork", "--concurrency", "1", AXIOMOD_TEST_VISIBILITY="3"
    )
    worker.wait_for_log("ready.")
    sender(jobs_redis).send_task("tests.slow", args=["slow", 1])
    wait_for_entries(jobs_redis.client, "slow", 1, timeout=30)
    worker.kill_group()
    worker.wait(30)
    assert [v for v, _, _ in entries(jobs_redis.client, "slow")] == ["started"]
    celery_process("worker", "--pool", "solo", name="worker-next", AXIOMOD_TEST_VISIBILITY="3")
    found = wait_for_entries(jobs_redis.client, "slow", 3, timeout=60)
    assert [v for v, _, _ in found] == ["started", "started", "done"]
