"""Jobs of the test project. Each records what happened in Redis (the side effect the
tests read), in the database named by ``AXIOMOD_TEST_RECORD_URL``."""

from __future__ import annotations

import functools
import os
import time

import redis

from axiomod_jobs import job


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["AXIOMOD_TEST_RECORD_URL"])


def note(key: str, value: str) -> None:
    _redis().rpush(key, f"{value}|{os.getpid()}|{time.time():.3f}")


@job(name="tests.record")
def record(key: str, value: str = "tick") -> str:
    note(key, value)
    return value


@job(name="tests.slow")
def slow(key: str, seconds: float) -> str:
    note(key, "started")
    time.sleep(seconds)
    note(key, "done")
    return "done"


@job(name="tests.flaky", retries=2)
def flaky(key: str, failures: int) -> int:
    """Fails ``failures`` times (counted in Redis), then succeeds."""
    tries = _redis().incr(f"{key}:tries")
    if tries <= failures:
        raise RuntimeError(f"try {tries} fails on purpose")
    note(key, "ok")
    return tries


@job(name="tests.fail")
def fail() -> None:
    raise ValueError("this job always fails")


@job(name="tests.scheduled", schedule=3600.0)
def scheduled() -> None:
    """Has a decorator schedule (listed by ``axiomod_jobs list``); hourly, never due in tests."""
