"""Discovery and JWKS caching against a real provider on loopback: count the fetches."""

from __future__ import annotations

import logging
import secrets
import threading
import time

import pytest
from django.core.cache import caches
from prometheus_client import REGISTRY

from axiomod.conf import settings
from axiomod.testing.oidc_provider import DISCOVERY_PATH, JWKS_PATH
from axiomod_auth import ProviderUnavailable, TokenError, verify_token
from axiomod_auth.oidc import Provider


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_many_verifications_cost_one_fetch_of_each_document(oidc, provider):
    token = provider.token()
    for _ in range(200):
        assert verify_token(token)["sub"] == "user-1"
    assert provider.count(DISCOVERY_PATH) == 1
    assert provider.count(JWKS_PATH) == 1


def test_documents_are_refetched_once_expired(configure, provider):
    configure(discovery_ttl=0.3, jwks_ttl=0.3, jwks_min_refresh_interval=0.0)
    token = provider.token()
    verify_token(token)
    verify_token(token)
    assert (provider.count(DISCOVERY_PATH), provider.count(JWKS_PATH)) == (1, 1)
    time.sleep(0.4)
    verify_token(token)
    verify_token(token)
    assert (provider.count(DISCOVERY_PATH), provider.count(JWKS_PATH)) == (2, 2)


def test_the_last_good_copy_is_served_while_the_provider_is_down(configure, provider, caplog):
    configure(discovery_ttl=0.2, jwks_ttl=0.2, jwks_min_refresh_interval=0.0, max_stale=60)
    token = provider.token()
    verify_token(token)
    errors_before = sample("oidc_refresh_total", kind="jwks", status="error")
    provider.stop()
    time.sleep(0.3)
    with caplog.at_level(logging.WARNING, logger="axiomod.auth"):
        assert verify_token(token)["sub"] == "user-1"
    assert "refresh failed, serving the copy fetched" in caplog.text
    assert sample("oidc_refresh_total", kind="jwks", status="error") == errors_before + 1


def test_beyond_max_stale_the_token_is_refused_with_a_reason(configure, provider):
    configure(discovery_ttl=0.2, jwks_ttl=0.2, jwks_min_refresh_interval=0.0, max_stale=0.2)
    token = provider.token()
    verify_token(token)
    provider.mode = "error"
    time.sleep(0.5)
    with pytest.raises(TokenError) as caught:
        verify_token(token)
    assert caught.value.code == "provider_unavailable"
    assert "identity provider is unavailable" in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "message"),
    [("error", "answered HTTP 503"), ("garbage", "did not answer JSON"), ("down", "failed")],
)
def test_nothing_cached_and_provider_failing_is_a_clear_error(oidc, provider, mode, message):
    if mode == "down":
        provider.stop()
    else:
        provider.mode = mode
    with pytest.raises(ProviderUnavailable, match=message):
        oidc.discovery.get()
    with pytest.raises(TokenError) as caught:
        verify_token(provider.token())
    assert caught.value.code == "provider_unavailable"


def test_a_discovery_document_naming_another_issuer_is_refused(oidc, provider):
    provider.issuer_override = "https://evil.example/realms/axiomod"
    with pytest.raises(ProviderUnavailable, match=r"names issuer 'https://evil\.example"):
        oidc.discovery.get()


def test_a_slow_provider_is_cut_off_at_http_timeout(configure, provider):
    oidc = configure(http_timeout=0.3)
    provider.mode, provider.slow_seconds = "slow", 2.0
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="failed"):
        oidc.discovery.get()
    assert time.monotonic() - started < 1.5


def test_failed_fetches_are_retried_after_refresh_retry_interval_only(configure, provider):
    configure(refresh_retry_interval=30)
    provider.mode = "error"
    for _ in range(20):
        with pytest.raises(TokenError):
            verify_token(provider.token())
    assert provider.count(DISCOVERY_PATH) == 1


def test_a_wall_clock_step_does_not_end_the_retry_interval(configure, provider):
    oidc = configure(refresh_retry_interval=30)
    wall = [time.time()]
    oidc.discovery._clock = lambda: wall[0]
    provider.mode = "error"
    with pytest.raises(ProviderUnavailable):
        oidc.discovery.get()
    wall[0] += 3600  # NTP steps the clock forward, or a paused VM resumes
    with pytest.raises(ProviderUnavailable):
        oidc.discovery.get()
    assert provider.count(DISCOVERY_PATH) == 1


def test_concurrent_cold_requests_share_one_fetch(configure, provider):
    configure()
    provider.mode, provider.slow_seconds = "slow", 0.3
    token = provider.token()
    results: list[str] = []

    def verify():
        results.append(verify_token(token)["sub"])

    threads = [threading.Thread(target=verify) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["user-1"] * 16
    assert (provider.count(DISCOVERY_PATH), provider.count(JWKS_PATH)) == (1, 1)


def test_a_second_worker_takes_the_documents_from_the_shared_cache(oidc, provider):
    oidc.jwks.get()
    other_worker = Provider(settings.oidc)  # another process: empty process cache
    assert other_worker.signing_key("rsa-1", "RS256") is not None
    assert other_worker.discovery.fetches == other_worker.jwks.fetches == 0
    assert (provider.count(DISCOVERY_PATH), provider.count(JWKS_PATH)) == (1, 1)


def test_a_broken_shared_cache_degrades_to_the_process_cache(configure, settings, provider):
    settings.CACHES = {
        **settings.CACHES,
        "broken": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        },
    }
    configure(cache_alias="broken")
    token = provider.token()
    assert verify_token(token)["sub"] == "user-1"
    assert verify_token(token)["sub"] == "user-1"
    assert (provider.count(DISCOVERY_PATH), provider.count(JWKS_PATH)) == (1, 1)


def test_key_rotation_is_picked_up_without_restart(oidc, provider):
    verify_token(provider.token())
    old_keys = list(provider.keys)
    try:
        new_key = provider.rotate()
        assert verify_token(provider.token(key=new_key))["sub"] == "user-1"
        assert provider.count(JWKS_PATH) == 2
        # The old key is gone from the provider, and so from the cache.
        with pytest.raises(TokenError) as caught:
            verify_token(provider.token(key=old_keys[0]))
        assert caught.value.code == "unknown_key"
    finally:
        provider.keys = old_keys


def test_a_flood_of_unknown_kids_costs_one_fetch(oidc, provider):
    verify_token(provider.token())
    for _ in range(300):
        with pytest.raises(TokenError) as caught:
            verify_token(provider.token(kid=secrets.token_hex(8)))
        assert caught.value.code == "unknown_key"
    assert provider.count(JWKS_PATH) == 2  # the first fetch and one refetch for the flood


def test_the_unknown_kid_budget_is_shared_by_the_workers(oidc, provider):
    verify_token(provider.token())
    with pytest.raises(TokenError):
        verify_token(provider.token(kid="random-1"))
    other_worker = Provider(settings.oidc)
    assert other_worker.signing_key("random-2", "RS256") is None
    assert other_worker.jwks.fetches == 0
    assert provider.count(JWKS_PATH) == 2


def test_the_shared_cache_entry_outlives_the_ttl_by_max_stale(configure, provider):
    oidc = configure(discovery_ttl=10, max_stale=50)
    oidc.discovery.get()
    key = oidc.discovery._shared_key
    assert caches["default"].get(key)["raw"]["issuer"] == provider.issuer
    assert caches["default"]._expire_info[caches["default"].make_and_validate_key(key)] > (
        time.time() + 55
    )


def test_refresh_metrics_and_cache_age(oidc, provider):
    before = sample("oidc_refresh_total", kind="discovery", status="ok")
    verify_token(provider.token())
    assert sample("oidc_refresh_total", kind="discovery", status="ok") == before + 1
    fetched = sample("oidc_cache_fetched_timestamp_seconds", kind="jwks")
    assert abs(fetched - time.time()) < 5
    assert sample("oidc_token_verifications_total", result="ok") >= 1
