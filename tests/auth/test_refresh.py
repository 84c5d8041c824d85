"""Manual refresh by the three routes: Python API, management command, HTTP endpoint."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client

import axiomod_auth
from axiomod.testing.oidc_provider import DISCOVERY_PATH, JWKS_PATH

pytestmark = [pytest.mark.urls("tests.auth.urls"), pytest.mark.django_db]


def counts(provider):
    return provider.count(DISCOVERY_PATH), provider.count(JWKS_PATH)


def test_python_api_refetches_both_documents(oidc, provider):
    axiomod_auth.verify_token(provider.token())
    fetched = axiomod_auth.refresh()
    assert counts(provider) == (2, 2)
    assert fetched["jwks"]["kids"] == ["rsa-1", "ec-1"]


def test_python_api_failure_keeps_the_cached_copies(oidc, provider):
    token = provider.token()
    axiomod_auth.verify_token(token)
    provider.mode = "error"
    with pytest.raises(axiomod_auth.ProviderUnavailable, match="HTTP 503"):
        axiomod_auth.refresh()
    assert axiomod_auth.verify_token(token)["sub"] == "user-1"


def test_refresh_picks_up_a_rotated_key_before_any_token_needs_it(oidc, provider):
    axiomod_auth.verify_token(provider.token())
    old = list(provider.keys)
    try:
        new = provider.rotate(keep_old=True)
        axiomod_auth.refresh()
        provider.reset_counts()
        axiomod_auth.verify_token(provider.token(key=new))
        assert counts(provider) == (0, 0)
    finally:
        provider.keys = old


def test_command_refresh_and_show(oidc, provider):
    out = StringIO()
    call_command("axiomod_oidc", "refresh", stdout=out)
    assert "Refreshed." in out.getvalue()
    discovery_url = f"{provider.issuer}/.well-known/openid-configuration"
    assert f"discovery: {discovery_url} fetched" in out.getvalue()
    assert counts(provider) == (1, 1)
    out = StringIO()
    call_command("axiomod_oidc", "show", "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["jwks"]["kids"] == ["rsa-1", "ec-1"]
    assert counts(provider) == (1, 1)  # show never fetches


def test_command_show_in_a_fresh_process_reads_the_shared_cache(oidc, provider):
    from axiomod_auth import oidc as oidc_provider

    axiomod_auth.refresh()
    oidc_provider.reset()  # a new process: empty process cache, same Django cache
    out = StringIO()
    call_command("axiomod_oidc", "show", stdout=out)
    assert "keys ['rsa-1', 'ec-1']" in out.getvalue()


def test_command_refresh_failure_is_a_command_error(oidc, provider):
    provider.stop()
    with pytest.raises(CommandError, match="refresh failed, the previous copies stay in use"):
        call_command("axiomod_oidc", "refresh")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("ops", password="pw", is_staff=True)


def test_endpoint_refreshes_for_staff_with_a_csrf_token(oidc, provider, staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    refused = client.post("/oidc/refresh/")
    assert refused.status_code == 403
    assert refused.json() == {"error": "CSRF check failed"}
    assert counts(provider) == (0, 0)

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post("/oidc/refresh/", HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret))
    assert response.status_code == 200, response.content
    assert response.json()["refreshed"] is True
    assert counts(provider) == (1, 1)


def test_endpoint_refuses_non_staff_and_anonymous(client, oidc, provider, django_user_model):
    assert client.post("/oidc/refresh/").status_code == 401
    client.force_login(django_user_model.objects.create_user("dev", password="pw"))
    assert client.post("/oidc/refresh/").status_code == 403
    assert client.get("/oidc/refresh/").status_code == 405
    assert counts(provider) == (0, 0)


def test_endpoint_accepts_a_staff_bearer_token_without_csrf(
    settings, configure, provider, django_user_model
):
    configure(user_mapper="axiomod_auth.users.sync_user")
    django_user_model.objects.create_user("robot", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    token = provider.token({"sub": "robot"})
    response = client.post("/oidc/refresh/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content


def test_endpoint_reports_a_failed_refresh_as_503(client, oidc, provider, staff):
    client.force_login(staff)
    provider.mode = "garbage"
    response = client.post("/oidc/refresh/")
    assert response.status_code == 503
    assert "did not answer JSON" in response.json()["error"]
