"""Fixtures of the jobs tests: a private Redis database and the Celery processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.jobs.workers import CeleryProcess, project_env

#: Redis databases of the jobs tests (others: 5 health, 7 metrics, 13 auth).
BROKER_DB, RECORD_DB = 9, 10


@dataclass
class JobsRedis:
    broker: str
    record: str
    client: object  # redis.Redis on the record database
    broker_client: object


@pytest.fixture
def jobs_redis(redis_service) -> Iterator[JobsRedis]:
    """Empty broker and record databases (no queued job or RedBeat key of an earlier test)."""
    # client(db=...) would not do: the URL's database wins over the keyword.
    broker_client = redis.Redis.from_url(redis_service.url_for(BROKER_DB))
    client = redis.Redis.from_url(redis_service.url_for(RECORD_DB))
    broker_client.flushdb()
    client.flushdb()
    yield JobsRedis(
        redis_service.url_for(BROKER_DB), redis_service.url_for(RECORD_DB), client, broker_client
    )
    broker_client.flushdb()
    client.flushdb()
    broker_client.close()
    client.close()


@pytest.fixture
def celery_process(jobs_redis: JobsRedis, tmp_path: Path) -> Iterator[Callable[..., CeleryProcess]]:
    """Start ``celery worker``/``beat`` of the test project; all are killed at the end."""
    started: list[CeleryProcess] = []

    def start(kind: str, *args: str, name: str | None = None, **env: str) -> CeleryProcess:
        log = tmp_path / f"{name or kind}-{len(started)}.log"
        process = CeleryProcess(
            kind, project_env(jobs_redis.broker, jobs_redis.record, env), log, args
        ).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
