"""axiomod.views: JSON bodies parsed strictly, and Django's error handlers in JSON."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
from django.test import RequestFactory, override_settings
from django.urls import get_resolver

from axiomod.errors import InvalidInput
from axiomod.validation import JsonDecimal
from axiomod.views import is_json_content_type, json_object, server_error


def _parse(body: str | bytes) -> dict:
    return json_object(RequestFactory().post("/", body, content_type="application/json"))


def test_numbers_with_a_fraction_or_exponent_keep_their_text():
    data = _parse('{"a": 12.10, "b": 1.5e1, "c": 7}')

    assert isinstance(data["a"], JsonDecimal)
    assert (data["a"], data["a"].text) == (Decimal("12.10"), "12.10")
    assert (data["b"], data["b"].text) == (Decimal("15"), "1.5e1")
    assert data["c"] == 7
    assert type(data["a"] + 1) is Decimal


@pytest.mark.parametrize(
    "number",
    [
        "1e9999999999999999999",  # beyond decimal's exponent: InvalidOperation
        "-1e-9999999999999999999",
        "1e4301",
        "1e-4301",
        "0." + "1" * 4300,
    ],
)
def test_numbers_out_of_range_are_invalid_input_on_body(number):
    with pytest.raises(InvalidInput) as caught:
        _parse(f'{{"amount": {number}}}')

    assert caught.value.field == "body"
    assert "out of range" in caught.value.message


@pytest.mark.parametrize("number", ["1e4300", "1e-4300", "0." + "1" * 4000])
def test_numbers_within_range_parse(number):
    assert _parse(f'{{"amount": {number}}}')["amount"] == Decimal(number)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    with pytest.raises(InvalidInput) as caught:
        _parse(f'{{"amount": {constant}}}')

    assert (caught.value.field, caught.value.message) == ("body", "must be valid JSON")


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("application/problem+json", True),
        ("application/vnd.api+json", True),
        ("text/plain", False),
        ("application/jsonx", False),
        ("text/json", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data", False),
        ("", False),
    ],
)
def test_json_content_types(content_type, expected):
    assert is_json_content_type(content_type) is expected


# --- error handlers -----------------------------------------------------------------------


@override_settings(ROOT_URLCONF="tests.core.json_views_urls", DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_a_body_over_the_limit_outside_a_json_view_is_413_and_a_warning(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.post("/upload", data="x" * 101, content_type="text/plain")

    assert response.status_code == 413
    assert response.json() == {
        "error": "too_large",
        "detail": "the request body is larger than 100 bytes",
        "field": "body",
    }
    logged = [(r.name, r.levelname, r.exc_info) for r in caplog.records]
    assert logged == [("django.security.RequestDataTooBig", "WARNING", None)], caplog.text


@override_settings(ROOT_URLCONF="tests.core.json_views_urls")
def test_permission_denied_and_unmatched_urls_are_json(client):
    forbidden = client.get("/forbidden")
    missing = client.get("/nowhere")

    assert (forbidden.status_code, forbidden.json()["error"]) == (403, "forbidden")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


@override_settings(ROOT_URLCONF="tests.core.json_views_urls")
def test_the_500_handler_says_nothing_about_the_error():
    handler = get_resolver().resolve_error_handler(500)
    response = handler(RequestFactory().get("/"))

    assert handler is server_error
    assert response.status_code == 500
    assert json.loads(response.content) == {"error": "internal", "detail": "internal error"}


@override_settings(
    ROOT_URLCONF="tests.core.json_views_urls", CSRF_FAILURE_VIEW="axiomod.views.csrf_failure"
)
def test_a_json_view_can_opt_back_into_csrf_for_session_cookies(client):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    refused = browser.post("/session", data="{}", content_type="application/json")
    token = "a" * 32
    browser.cookies["csrftoken"] = token
    accepted = browser.post(
        "/session", data="{}", content_type="application/json", headers={"x-csrftoken": token}
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "error": "forbidden",
        "detail": "CSRF verification failed: CSRF cookie not set.",
    }
    assert accepted.status_code == 200, accepted.content
