"""The authorization-code login through mozilla-django-oidc, endpoints from discovery."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from axiomod.testing.oidc_provider import CLIENT_ID, JWKS_PATH

pytestmark = [pytest.mark.urls("tests.auth.urls"), pytest.mark.django_db]


@pytest.fixture
def login_settings(settings, oidc):
    settings.AUTHENTICATION_BACKENDS = [
        "axiomod_auth.backends.OIDCBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.LOGIN_REDIRECT_URL = "/home"
    settings.LOGIN_REDIRECT_URL_FAILURE = "/login-failed"
    return settings


def start_login(client):
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302
    return response["Location"]


def provider_redirect(location: str) -> str:
    """What the browser does at the provider: the user logs in, it redirects back."""
    answer = requests.get(location, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def test_full_login_flow(client, login_settings, provider, django_user_model):
    location = start_login(client)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(provider.issuer + "/auth?")  # from discovery, not settings
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]

    response = client.get(provider_redirect(location))
    assert response.status_code == 302
    assert response["Location"] == "/home"
    assert client.get("/home").json()["user"] is not None
    user = django_user_model.objects.get(email="ada@example.com")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.session["_auth_user_backend"] == "axiomod_auth.backends.OIDCBackend"
    assert provider.count("/token") == 1
    assert provider.count(JWKS_PATH) == 1  # ID token verified against the cached JWKS


def test_second_login_reuses_the_cached_documents(client, login_settings, provider):
    for _ in range(2):
        client.get(provider_redirect(start_login(client)))
        client.logout()
    assert provider.count("/.well-known/openid-configuration") == 1
    assert provider.count(JWKS_PATH) == 1
    assert provider.count("/token") == 2


def test_login_with_the_provider_down_is_a_503(client, login_settings, provider):
    provider.stop()
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"identity provider cannot be reached" in response.content


def test_callback_with_the_token_endpoint_failing_is_a_503(client, login_settings, provider):
    back = provider_redirect(start_login(client))
    provider.mode = "error"
    response = client.get(back)
    assert response.status_code == 503


def test_a_replayed_code_fails_the_login_without_an_error_page(client, login_settings, provider):
    location = start_login(client)
    back = provider_redirect(location)
    client.get(back)
    client.logout()
    # Same state and code again: the state is gone from the session, mozilla-django-oidc
    # redirects to the failure URL.
    second = start_login(client)
    state = parse_qs(urlsplit(second).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    response = client.get(f"/oidc/callback/?code={code}&state={state}")
    assert response.status_code == 302
    assert response["Location"] == "/login-failed"


def test_a_nonce_mismatch_fails_the_login(client, login_settings, provider):
    location = start_login(client)
    provider_code = provider_redirect(location)
    code = parse_qs(urlsplit(provider_code).query)["code"][0]
    provider.codes[code]["nonce"] = "forged"  # the provider signs an ID token for another login
    response = client.get(provider_code)
    assert response.status_code == 302
    assert response["Location"] == "/login-failed"


def test_logout(client, login_settings, provider):
    client.get(provider_redirect(start_login(client)))
    response = client.post("/oidc/logout/")
    assert response.status_code == 302
    assert client.get("/home").json() == {"user": None}


def test_provider_logout_url_goes_to_end_session(rf, login_settings, provider):
    from axiomod_auth.views import provider_logout_url

    request = rf.get("/")
    request.session = {"oidc_id_token": "abc"}
    url = provider_logout_url(request)
    assert url.startswith(provider.issuer + "/logout?")
    assert "id_token_hint=abc" in url


def test_views_are_404_without_an_oidc_section(client, settings):
    settings.AXIOMOD = {k: v for k, v in settings.AXIOMOD.items() if k != "oidc"}
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.post("/oidc/refresh/").status_code == 404
