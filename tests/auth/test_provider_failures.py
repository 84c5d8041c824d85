"""Every way a discovery or JWKS fetch can fail is ProviderUnavailable, never a 500.

Each failure mode is served for real by the loopback provider (``tests/auth/provider.py``):
a body broken off, stalled, trickled in a byte at a time, or not decodable; a TLS
handshake with a plain-HTTP server; a name that does not resolve (name resolution
stubbed, so no test traffic leaves the machine). For each: a clear error when nothing is
cached, a 401 ``provider_unavailable`` for a bearer request, the stale copy served within
``max_stale``, and ``refresh_retry_interval`` honoured.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest

from axiomod.testing.oidc_provider import DISCOVERY_PATH, JWKS_PATH
from axiomod_auth import ProviderUnavailable, verify_token
from axiomod_auth.fetch import fetch_json

pytestmark = [pytest.mark.urls("tests.auth.urls"), pytest.mark.django_db]

#: The transport failures the loopback provider can act out, and what the error says.
BROKEN_BODIES = {
    "truncated": "failed: ProtocolError",
    "stalled": "failed",
    "trickle": "did not arrive within",
    "bad_encoding": "failed: DecodeError",
}


def bearer_get(client, token: str):
    return client.get("/plain/me", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def quick(configure, provider):
    """The provider configured with a short timeout, stalls long enough to hit it."""
    provider.slow_seconds = 3.0
    provider.trickle_interval = 0.05  # a discovery document takes ~25 s this way
    return configure(http_timeout=0.5)


@pytest.mark.parametrize(("mode", "message"), BROKEN_BODIES.items())
def test_a_broken_body_is_provider_unavailable(quick, provider, mode, message):
    provider.mode = mode
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match=message):
        quick.discovery.get()
    # The whole fetch is bounded: headers within http_timeout, the body within another.
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("mode", BROKEN_BODIES)
def test_a_cold_worker_answers_401_provider_unavailable(client, quick, provider, mode):
    token = provider.token()
    provider.mode = mode
    response = bearer_get(client, token)
    assert response.status_code == 401
    assert response.json()["code"] == "provider_unavailable"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("mode", BROKEN_BODIES)
def test_failed_fetches_back_off_for_refresh_retry_interval(client, configure, provider, mode):
    provider.slow_seconds, provider.trickle_interval = 3.0, 0.05
    configure(http_timeout=0.3, refresh_retry_interval=30)
    token = provider.token()
    provider.mode = mode
    statuses = [bearer_get(client, token).status_code for _ in range(6)]
    assert statuses == [401] * 6
    assert provider.count(DISCOVERY_PATH) == 1


@pytest.mark.parametrize("mode", [*BROKEN_BODIES, "odd_jwks"])
def test_the_stale_copy_is_served_while_fetches_break(configure, provider, caplog, mode):
    provider.slow_seconds, provider.trickle_interval = 3.0, 0.05
    configure(
        http_timeout=0.3, discovery_ttl=0.2, jwks_ttl=0.2, jwks_min_refresh_interval=0.0,
        max_stale=60,
    )  # fmt: skip
    token = provider.token()
    assert verify_token(token)["sub"] == "user-1"
    provider.mode = mode
    time.sleep(0.3)
    with caplog.at_level(logging.WARNING, logger="axiomod.auth"):
        assert verify_token(token)["sub"] == "user-1"
    assert "refresh failed, serving the copy fetched" in caplog.text


def test_a_jwks_of_the_wrong_shape_is_provider_unavailable(oidc, provider):
    oidc.discovery.get()
    provider.mode = "odd_jwks"
    with pytest.raises(ProviderUnavailable, match="jwks document cannot be used: TypeError"):
        oidc.jwks.get()
    assert provider.count(JWKS_PATH) == 1


def test_a_tls_handshake_failure_is_provider_unavailable(provider):
    # https:// to the provider's plain-HTTP port: the handshake fails on loopback.
    with pytest.raises(ProviderUnavailable, match="SSLError"):
        fetch_json(f"https://127.0.0.1:{provider.port}{DISCOVERY_PATH}", timeout=1.0)


def test_a_name_that_does_not_resolve_is_provider_unavailable(
    client, configure, provider, monkeypatch
):
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "idp.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    oidc = configure(issuer="http://idp.invalid/realms/axiomod")
    with pytest.raises(ProviderUnavailable, match="failed: ConnectionError"):
        oidc.discovery.get()
    response = bearer_get(client, provider.token())
    assert response.status_code == 401
    assert response.json()["code"] == "provider_unavailable"


def test_an_oversized_body_is_cut_off(provider, monkeypatch):
    monkeypatch.setattr("axiomod_auth.fetch.MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(ProviderUnavailable, match="more than 100 bytes"):
        fetch_json(provider.issuer + DISCOVERY_PATH, timeout=1.0)
