"""Fixtures of the auth tests: a real loopback OpenID provider and settings pointing at it."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from axiomod_auth import oidc as oidc_provider

from .provider import CLIENT_ID, CLIENT_SECRET, OidcProvider


@pytest.fixture(scope="session")
def idp():
    """One provider process-wide (key generation is the slow part); reset per test."""
    server = OidcProvider().start()
    yield server
    server.stop()


@pytest.fixture
def provider(idp):
    idp.mode = "ok"
    idp.issuer_override = None
    idp.userinfo_claims = {}
    if idp._server is None:
        idp.start()
    idp.settle()
    idp.reset_counts()
    yield idp
    idp.mode = "ok"
    if idp._server is None:
        idp.start()


def oidc_section(idp: OidcProvider, **overrides):
    return {
        "issuer": idp.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "http_timeout": 1.0,
        "refresh_retry_interval": 0.0,
        **overrides,
    }


@pytest.fixture
def configure(settings, provider):
    """``configure(**oidc)``: point AXIOMOD["oidc"] at the test provider, caches empty."""

    def apply(**overrides):
        settings.AXIOMOD = {**settings.AXIOMOD, "oidc": oidc_section(provider, **overrides)}
        caches["default"].clear()
        oidc_provider.reset()
        return oidc_provider.provider()

    yield apply
    caches["default"].clear()
    oidc_provider.reset()


@pytest.fixture
def oidc(configure):
    """The provider configured with defaults."""
    return configure()


@pytest.fixture(autouse=True)
def bearer_middleware_installed(settings):
    """The example settings install BearerTokenMiddleware; the tests rely on it once."""
    assert settings.MIDDLEWARE.count("axiomod_auth.bearer.BearerTokenMiddleware") == 1
