"""``AXIOMOD["oidc"]`` validation."""

from __future__ import annotations

import pytest

from axiomod.conf import validate

ISSUER = "https://idp.example/realms/x"


def messages(raw):
    return [str(e) for errors in validate({"oidc": raw}, {}).errors.values() for e in errors]


def test_unconfigured_section_is_none():
    assert validate({}, {}).values["oidc"] is None


def test_issuer_is_required_when_the_section_is_set():
    (message,) = messages({"client_id": "api"})
    assert message.startswith('AXIOMOD["oidc"]["issuer"]: required setting is missing')


def test_defaults():
    oidc = validate({"oidc": {"issuer": ISSUER}}, {}).values["oidc"]
    assert oidc.discovery_ttl == 3600
    assert oidc.jwks_min_refresh_interval == 60
    assert "RS256" in oidc.allowed_algorithms
    assert not any(a.startswith("HS") for a in oidc.allowed_algorithms)


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_none_and_hmac_are_never_allowed(algorithm):
    (message,) = messages({"issuer": ISSUER, "allowed_algorithms": ["RS256", algorithm]})
    assert f'AXIOMOD["oidc"]["allowed_algorithms"][1]: {algorithm!r} is not one of' in message


@pytest.mark.parametrize("issuer", ["idp.example", "ftp://idp.example", "https://idp/x?a=b"])
def test_issuer_must_be_a_url(issuer):
    (message,) = messages({"issuer": issuer})
    assert message.startswith('AXIOMOD["oidc"]["issuer"]')


def test_refresh_interval_cannot_exceed_ttl():
    (message,) = messages(
        {"issuer": ISSUER, "audience": "api", "jwks_ttl": 30, "jwks_min_refresh_interval": 60}
    )
    assert "jwks_min_refresh_interval" in message


def test_an_audience_is_required_for_token_verification():
    (message,) = messages({"issuer": ISSUER})
    assert message.startswith('AXIOMOD["oidc"]["audience"]: set audience (or client_id)')
    assert messages({"issuer": ISSUER, "client_id": "api"}) == []
