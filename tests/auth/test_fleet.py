"""A fleet of worker processes fetches each provider document once, however slow the cache.

The workers are real processes (forked, as gunicorn forks them) sharing a real Redis cache
whose ``set`` is slowed down. The first worker fetches; the others start the moment it
begins writing its JWKS to the shared cache — after its fetch, before its copy is there.
"""

from __future__ import annotations

import multiprocessing
import secrets
from typing import Any

import pytest

from axiomod.conf import settings
from axiomod.testing.oidc_provider import DISCOVERY_PATH, JWKS_PATH
from axiomod_auth.oidc import Provider

from . import slow_cache

LATECOMERS = 2


def _worker(wait_for: Any, results: multiprocessing.Queue) -> None:
    if wait_for is not None:
        wait_for.wait(10)
    worker = Provider(settings.oidc)  # a new process: nothing cached in it yet
    try:
        found = worker.signing_key("rsa-1", "RS256") is not None
        results.put((found, worker.discovery.fetches, worker.jwks.fetches))
    except Exception as exc:  # reported to the test rather than lost in the child
        results.put((repr(exc), -1, -1))


@pytest.fixture
def slow_shared_cache(settings, redis_service, monkeypatch):
    settings.CACHES = {
        **settings.CACHES,
        "slow": {
            "BACKEND": "tests.auth.slow_cache.SlowSetRedisCache",
            "LOCATION": redis_service.url,
            "KEY_PREFIX": f"fleet-{secrets.token_hex(4)}",  # nothing left from other runs
        },
    }
    context = multiprocessing.get_context("fork")
    monkeypatch.setattr(slow_cache, "SET_STARTED", context.Event())
    return context


# Python 3.12+ warns when a process with threads forks (the loopback provider serves from
# a thread here); the children use only the locks and sockets they create themselves.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_workers_arriving_while_a_copy_is_being_stored_do_not_fetch_again(
    configure, provider, slow_shared_cache
):
    configure(cache_alias="slow", http_timeout=3.0)
    provider.reset_counts()
    context = slow_shared_cache
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(None, results))]
    workers += [
        context.Process(target=_worker, args=(slow_cache.SET_STARTED, results))
        for _ in range(LATECOMERS)
    ]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=30) for _ in workers]
    for process in workers:
        process.join(10)
    assert [found for found, *_ in outcomes] == [True] * len(workers)
    assert (provider.count(DISCOVERY_PATH), provider.count(JWKS_PATH)) == (1, 1)
    assert sorted(d + j for _, d, j in outcomes) == [0] * LATECOMERS + [2]
