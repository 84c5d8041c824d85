"""System checks of the OIDC configuration (``manage.py check``)."""

from __future__ import annotations

import pytest

from axiomod_auth.checks import check_oidc

BACKENDS = ["axiomod_auth.backends.OIDCBackend", "django.contrib.auth.backends.ModelBackend"]


def ids(settings, oidc=None, **django):
    axiomod = {k: v for k, v in settings.AXIOMOD.items() if k != "oidc"}
    if oidc is not None:
        axiomod["oidc"] = oidc
    settings.AXIOMOD = axiomod
    for name, value in django.items():
        setattr(settings, name, value)
    return [(m.id, m.msg) for m in check_oidc()]


def test_nothing_to_report_without_oidc(settings):
    assert ids(settings) == []


@pytest.mark.parametrize(
    ("issuer", "debug", "expected"),
    [
        ("https://sso.example.com/realms/a", False, []),
        ("http://127.0.0.1:8080/realms/a", False, []),
        ("http://localhost:8080/realms/a", False, []),
        ("http://keycloak:8080/realms/a", True, []),
        ("http://keycloak:8080/realms/a", False, ["axiomod.E030"]),
    ],
)
def test_issuer_must_be_https_outside_localhost_and_debug(settings, issuer, debug, expected):
    found = ids(settings, {"issuer": issuer, "client_id": "api"}, DEBUG=debug)
    assert [i for i, _ in found] == expected
    if expected:
        assert 'AXIOMOD["oidc"]["issuer"]' in found[0][1]


def test_backend_without_oidc_section(settings):
    found = ids(settings, AUTHENTICATION_BACKENDS=BACKENDS)
    assert found[0][0] == "axiomod.E031"


def test_backend_needs_client_id_and_secret(settings):
    found = ids(
        settings,
        {"issuer": "https://sso.example.com/r", "audience": "api"},
        AUTHENTICATION_BACKENDS=BACKENDS,
    )
    assert [m for _, m in found] == [
        'AXIOMOD["oidc"]["client_id"] is required: axiomod_auth.backends.OIDCBackend is in '
        "AUTHENTICATION_BACKENDS.",
        'AXIOMOD["oidc"]["client_secret"] is required: axiomod_auth.backends.OIDCBackend is in '
        "AUTHENTICATION_BACKENDS.",
    ]


def test_user_mapper_must_import(settings):
    found = ids(
        settings,
        {"issuer": "https://sso.example.com/r", "client_id": "a", "user_mapper": "nope.mapper"},
    )
    assert found[0][0] == "axiomod.E032"
    assert "cannot import 'nope.mapper'" in found[0][1]


def test_manage_py_check_reports_them(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.AXIOMOD = {**settings.AXIOMOD, "oidc": {"issuer": "http://idp.internal/r"}}
    settings.DEBUG = False
    with pytest.raises(SystemCheckError) as caught:
        call_command("check")
    text = str(caught.value)
    assert "axiomod.E030" in text
    assert 'AXIOMOD["oidc"]["audience"]: set audience (or client_id)' in text
