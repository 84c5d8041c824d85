"""Fixtures of the auth tests: a real loopback OpenID provider and settings pointing at it."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from axiomod.testing.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from axiomod_auth import oidc as oidc_module


@pytest.fixture(scope="session")
def idp(oidc_provider_session: OidcProvider) -> OidcProvider:
    """One provider process-wide (key generation is the slow part): axiomod.testing's."""
    return oidc_provider_session


@pytest.fixture
def provider(oidc_provider: OidcProvider) -> OidcProvider:
    """The provider reset for this test (mode ok, counts zero): the plugin's oidc_provider."""
    return oidc_provider


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
        oidc_module.reset()
        return oidc_module.provider()

    yield apply
    caches["default"].clear()
    oidc_module.reset()


@pytest.fixture
def oidc(configure):
    """The provider configured with defaults."""
    return configure()


@pytest.fixture(autouse=True)
def bearer_middleware_installed(settings):
    """The example settings install BearerTokenMiddleware; the tests rely on it once."""
    assert settings.MIDDLEWARE.count("axiomod_auth.bearer.BearerTokenMiddleware") == 1
