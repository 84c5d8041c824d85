"""Bearer tokens through the DRF class, the plain-Django decorator and the middleware."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from axiomod.testing.oidc_provider import CLIENT_ID, DISCOVERY_PATH, JWKS_PATH, SigningKey
from axiomod_auth import TokenError, verify_token

pytestmark = [pytest.mark.urls("tests.auth.urls"), pytest.mark.django_db]

ENDPOINTS = ["/api/me", "/plain/me"]


def call(client, path, token=None, authorization=None):
    headers = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    elif token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(path, **headers)


def reason(response) -> str:
    body = response.json()
    return body.get("detail") or body.get("reason")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_valid_token_authenticates(client, oidc, provider, path):
    response = call(client, path, provider.token())
    assert response.status_code == 200
    assert response.json() == {"user": "user-1", "sub": "user-1"}


def test_an_ec_signed_token_authenticates(client, oidc, provider):
    ec_key = next(key for key in provider.keys if key.algorithm == "ES256")
    assert call(client, "/api/me", provider.token(key=ec_key)).status_code == 200


def test_async_views_are_protected_too(client, oidc, provider):
    assert call(client, "/async/me", provider.token()).json() == {"user": "user-1"}
    assert call(client, "/async/me").status_code == 401


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _alg_none(provider) -> str:
    now = int(time.time())
    claims = {"iss": provider.issuer, "sub": "u", "aud": CLIENT_ID, "iat": now, "exp": now + 60}
    return jwt.encode(claims, None, algorithm="none", headers={"kid": "rsa-1"})


def _hmac_with_public_key(provider) -> str:
    # The classic confusion attack: HS256 with the provider's public key as the secret.
    # PyJWT refuses to build it, so it is assembled by hand.
    rsa_key = next(key for key in provider.keys if key.algorithm == "RS256")
    secret = rsa_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {"iss": provider.issuer, "sub": "u", "aud": CLIENT_ID, "iat": now, "exp": now + 60}
    signing_input = f"{_b64({'alg': 'HS256', 'kid': rsa_key.kid})}.{_b64(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _b64(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


BAD_TOKENS = {
    "tampered": (lambda p: _tampered(p.token()), "signature", "signature does not verify"),
    "expired": (lambda p: p.token({"exp": int(time.time()) - 120}), "expired", "token expired"),
    "not yet valid": (
        lambda p: p.token({"nbf": int(time.time()) + 600}),
        "not_yet_valid",
        "not valid yet",
    ),
    "issued in the future": (
        lambda p: p.token({"iat": int(time.time()) + 600}),
        "not_yet_valid",
        "not valid yet",
    ),
    "wrong audience": (lambda p: p.token({"aud": "other-api"}), "audience", "another audience"),
    "wrong issuer": (
        lambda p: p.token({"iss": "https://evil.example"}),
        "issuer",
        "another issuer",
    ),
    "no exp": (lambda p: p.token({"exp": None}), "claims", "lacks a required claim"),
    "alg none": (_alg_none, "algorithm", "'none' is not allowed"),
    "HS256 with the public key": (_hmac_with_public_key, "algorithm", "'HS256' is not allowed"),
    "unknown key": (
        lambda p: p.token(key=SigningKey("stranger", "RS256")),
        "unknown_key",
        "unknown key",
    ),
    "kid of another key type": (
        lambda p: p.token(key=SigningKey("rsa-1", "ES256")),
        "unknown_key",
        "unknown key",
    ),
    "garbage": (lambda p: "not.a.jwt", "malformed", "not a well-formed JWT"),
    "empty": (lambda p: "", "malformed", "not a well-formed JWT"),
}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_get_401_with_a_reason(client, oidc, provider, path, case):
    make, code, text = BAD_TOKENS[case]
    response = call(client, path, make(provider))
    assert response.status_code == 401
    assert text in reason(response)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    with pytest.raises(TokenError) as caught:
        verify_token(make(provider))
    assert caught.value.code == code


def test_a_wrong_signature_from_a_known_kid_is_refused(oidc, provider):
    impostor = SigningKey("rsa-1", "RS256")  # same kid, other private key
    with pytest.raises(TokenError) as caught:
        verify_token(provider.token(key=impostor))
    assert caught.value.code == "signature"


def test_small_clock_skew_is_tolerated(oidc, provider):
    skewed = provider.token({"iat": int(time.time()) + 10, "nbf": int(time.time()) + 10})
    assert verify_token(skewed)["sub"] == "user-1"


def test_missing_token(client, oidc):
    drf = client.get("/api/me")
    assert drf.status_code == 401
    assert drf["WWW-Authenticate"] == 'Bearer realm="api"'
    plain = client.get("/plain/me")
    assert plain.status_code == 401
    assert plain.json()["reason"] == "bearer token required"


def test_provider_down_with_nothing_cached_is_a_401_with_a_reason(client, oidc, provider):
    provider.stop()
    for path in ENDPOINTS:
        assert call(client, path, "e30.e30.sig").status_code == 401
    token = provider.token()
    for path in ENDPOINTS:
        response = call(client, path, token)
        assert response.status_code == 401
        assert "identity provider is unavailable" in reason(response)


def test_the_middleware_authenticates_and_refuses(client, settings, oidc, provider):
    assert client.get("/home").json() == {"user": None}
    assert call(client, "/home", provider.token()).json() == {"user": "user-1"}
    refused = call(client, "/home", provider.token({"aud": "x"}))
    assert refused.status_code == 401
    assert refused.json()["code"] == "audience"
    # Other schemes are not ours to judge.
    assert call(client, "/home", authorization="Basic dXNlcjpwdw==").status_code == 200


def test_user_mapper_syncs_django_users(client, configure, provider, django_user_model):
    configure(user_mapper="axiomod_auth.users.sync_user")
    token = provider.token({"sub": "kc-42", "email": "grace@example.com", "given_name": "Grace"})
    assert call(client, "/api/me", token).json()["user"] == "kc-42"
    user = django_user_model.objects.get(username="kc-42")
    assert (user.email, user.first_name, user.has_usable_password()) == (
        "grace@example.com",
        "Grace",
        False,
    )
    user.is_active = False
    user.save()
    refused = call(client, "/api/me", token)
    assert refused.status_code == 401
    assert "no active user" in reason(refused)


def test_warm_cache_verification_makes_no_network_call(client, oidc, provider):
    token = provider.token()
    call(client, "/api/me", token)
    provider.reset_counts()
    for _ in range(50):
        assert call(client, "/api/me", token).status_code == 200
    assert sum(provider.requests.values()) == 0
    assert provider.count(DISCOVERY_PATH) == provider.count(JWKS_PATH) == 0


_header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    authorization=st.one_of(
        _header_text,
        _header_text.map(lambda t: f"Bearer {t}"),
        st.lists(_header_text, min_size=3, max_size=3).map(
            lambda parts: "Bearer " + ".".join(parts)
        ),
        st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4).map(
            lambda header: (
                "Bearer "
                + base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
                + ".e30.c2ln"
            )
        ),
    )
)
def test_malformed_headers_never_cause_a_500(client, oidc, authorization):
    for path in ENDPOINTS:
        response = call(client, path, authorization=authorization)
        assert response.status_code in (200, 401), (authorization, response.content)


def test_the_middleware_under_asgi(settings, oidc, provider):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    client = AsyncClient()

    async def calls():
        good = await client.get("/home", headers={"Authorization": f"Bearer {provider.token()}"})
        bad = await client.get("/home", headers={"Authorization": "Bearer x.y.z"})
        return good, bad

    good, bad = async_to_sync(calls)()
    assert good.json() == {"user": "user-1"}
    assert bad.status_code == 401
    assert bad.json()["code"] == "malformed"


def test_drf_reuses_the_middlewares_verification(client, settings, oidc, provider):
    from prometheus_client import REGISTRY

    token = provider.token()
    call(client, "/api/me", token)
    before = REGISTRY.get_sample_value("oidc_token_verifications_total", {"result": "ok"})
    assert call(client, "/api/me", token).json()["sub"] == "user-1"
    after = REGISTRY.get_sample_value("oidc_token_verifications_total", {"result": "ok"})
    assert after == before + 1
