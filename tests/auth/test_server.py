"""The example under gunicorn (prefork workers) with Redis as the shared cache."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from axiomod.testing.oidc_provider import CLIENT_ID, DISCOVERY_PATH, JWKS_PATH
from tests.servers import gunicorn


@pytest.fixture
def served(tmp_path, provider, redis_service):
    env = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "REDIS_CACHE_URL": redis_service.url_for(13),
        "AXIOMOD_VAR_DIR": str(tmp_path),
    }
    import redis

    redis.Redis.from_url(redis_service.url_for(13)).flushdb()
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        yield server


def get_me(server, token):
    # A fresh connection per request, so both workers serve some of them.
    return server.request("GET", "/me", headers={"Authorization": f"Bearer {token}"})


def test_workers_share_one_fetch_of_each_document_through_redis(served, provider):
    token = provider.token()
    # Concurrent requests on fresh connections: both workers take some, cold.
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: get_me(served, token), range(40)))
    assert {a.status for a in answers} == {200}
    assert json.loads(answers[0].body)["sub"] == "user-1"
    assert provider.count(DISCOVERY_PATH) == 1
    assert provider.count(JWKS_PATH) == 1


def test_bad_tokens_and_outages_under_gunicorn(served, provider):
    token = provider.token()
    assert get_me(served, token).status == 200
    refused = get_me(served, provider.token({"aud": "someone-else"}))
    assert refused.status == 401
    assert json.loads(refused.body)["code"] == "audience"
    assert "invalid_token" in refused.headers["WWW-Authenticate"]
    provider.stop()  # the cached documents keep the service answering
    assert {get_me(served, token).status for _ in range(10)} == {200}
    assert served.request("GET", "/me").status == 401
