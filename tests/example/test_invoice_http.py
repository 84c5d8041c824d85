"""The invoices JSON API through Django's test client, as a client would see it."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from example.invoices.models import InvoiceModel
from example.invoices.usecase import DEFAULT_LIMIT, MAX_LIMIT

pytestmark = pytest.mark.django_db

URL = "/invoices/"
VALID = {"customer": "ACME GmbH", "amount": "12.50", "currency": "EUR"}


def _post(client, body, **kwargs):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **kwargs)


def _create(client, **overrides):
    response = _post(client, {**VALID, **overrides})
    assert response.status_code == 201, response.content
    return response.json()


def _assert_invalid(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid"
    assert body["field"] == field
    assert body["detail"]


# --- create -------------------------------------------------------------------------------


def test_post_creates_an_invoice_and_answers_201_with_location(client):
    response = _post(client, VALID)

    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == f"/invoices/{body['id']}/"
    assert response["Content-Type"] == "application/json"
    assert body["number"] == f"INV-{body['id']:06d}"
    assert body["customer"] == "ACME GmbH"
    assert body["amount"] == "12.50"
    assert body["currency"] == "EUR"
    assert body["status"] == "draft"
    assert body["created_at"]
    assert InvoiceModel.objects.filter(pk=body["id"], number=body["number"]).exists()


def test_location_of_a_created_invoice_serves_it(client):
    response = _post(client, VALID)

    fetched = client.get(response["Location"])

    assert fetched.status_code == 200
    assert fetched.json() == response.json()


def test_post_needs_no_csrf_token():
    # The API is for token-authenticated programs; see the comment on JsonView.
    response = _post(Client(enforce_csrf_checks=True), VALID)

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("12.5", "12.50"),
        ("7", "7.00"),
        (7, "7.00"),
        ("0.10", "0.10"),
        ("9999999999.99", "9999999999.99"),
    ],
)
def test_amounts_are_strings_with_two_decimals(client, amount, expected):
    created = _create(client, amount=amount)

    assert created["amount"] == expected
    assert client.get(f"/invoices/{created['id']}/").json()["amount"] == expected


def test_json_number_amount_keeps_its_exact_decimal_value(client):
    # 0.1 + 0.2 style binary float error must not reach the invoice: the body's number is
    # parsed as a decimal, and a 14-significant-digit amount survives to the cent.
    response = _post(client, '{"customer": "ACME", "amount": 9999999999.99, "currency": "USD"}')

    assert response.status_code == 201
    assert response.json()["amount"] == "9999999999.99"


def test_customer_is_trimmed(client):
    assert _create(client, customer="  ACME  ")["customer"] == "ACME"


def test_created_invoices_get_distinct_numbers(client):
    numbers = {_create(client)["number"] for _ in range(5)}

    assert len(numbers) == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", "body"),
        (b"\xff\xfe\x00garbage", "body"),
        ("", "body"),
        ("[1, 2]", "body"),
        ('"a string"', "body"),
        ("null", "body"),
        ("[" * 100_000, "body"),
        ({"amount": "1", "currency": "EUR"}, "customer"),
        ({**VALID, "customer": ""}, "customer"),
        ({**VALID, "customer": None}, "customer"),
        ({**VALID, "customer": 5}, "customer"),
        ({**VALID, "customer": "x" * 201}, "customer"),
        ({"customer": "ACME", "currency": "EUR"}, "amount"),
        ({**VALID, "amount": "abc"}, "amount"),
        ({**VALID, "amount": "-1.00"}, "amount"),
        ({**VALID, "amount": "0"}, "amount"),
        ({**VALID, "amount": "1.234"}, "amount"),
        ({**VALID, "amount": "10000000000"}, "amount"),
        ({**VALID, "amount": "NaN"}, "amount"),
        ({**VALID, "amount": True}, "amount"),
        ({**VALID, "amount": {"value": 1}}, "amount"),
        ('{"customer": "ACME", "amount": 1.234, "currency": "EUR"}', "amount"),
        ('{"customer": "ACME", "amount": 1e400, "currency": "EUR"}', "amount"),
        # Exponents beyond what decimal can hold raised InvalidOperation: a 500.
        ('{"customer": "ACME", "amount": 1e9999999999999999999, "currency": "EUR"}', "body"),
        ('{"customer": "ACME", "amount": 1e-9999999999999999999, "currency": "EUR"}', "body"),
        ('{"customer": "ACME", "amount": 1e99999, "currency": "EUR"}', "body"),
        ('{"customer": "ACME", "amount": 0.' + "1" * 5000 + ', "currency": "EUR"}', "body"),
        ('{"customer": "ACME", "amount": NaN, "currency": "EUR"}', "body"),
        ('{"customer": "ACME", "amount": -Infinity, "currency": "EUR"}', "body"),
        # Lone surrogates pass json.loads and fail in the database driver.
        ('{"customer": "a\\ud800b", "amount": "1", "currency": "EUR"}', "customer"),
        ('{"customer": "\\udc00", "amount": "1", "currency": "EUR"}', "customer"),
        # Decimal() reads these as numbers; an amount is ASCII digits and a point.
        ({**VALID, "amount": "5_000"}, "amount"),
        ({**VALID, "amount": "1e5"}, "amount"),
        ({**VALID, "amount": "\u0665"}, "amount"),  # ARABIC-INDIC DIGIT FIVE
        ({**VALID, "amount": "+5"}, "amount"),
        ({**VALID, "amount": "12.500"}, "amount"),
        ('{"customer": "ACME", "amount": 1e5, "currency": "EUR"}', "amount"),
        ('{"customer": "ACME", "amount": 1.5e1, "currency": "EUR"}', "amount"),
        ('{"customer": "ACME", "amount": 1250E-2, "currency": "EUR"}', "amount"),
        ({"customer": "ACME", "amount": "1"}, "currency"),
        ({**VALID, "currency": "eur"}, "currency"),
        ({**VALID, "currency": "EU"}, "currency"),
        ({**VALID, "currency": "ABC"}, "currency"),
        ({**VALID, "currency": ["EUR"]}, "currency"),
        ({**VALID, "amout": "12.50"}, "amout"),
    ],
)
def test_bad_create_input_is_400_naming_the_field_and_stores_nothing(client, body, field):
    response = _post(client, body)

    _assert_invalid(response, field)
    assert InvoiceModel.objects.count() == 0


# --- get ----------------------------------------------------------------------------------


def test_get_returns_the_invoice(client):
    created = _create(client)

    response = client.get(f"/invoices/{created['id']}/")

    assert response.status_code == 200
    assert response.json() == created


def test_get_unknown_invoice_is_404_with_json_error(client):
    response = client.get("/invoices/999999/")

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found"
    assert "999999" in body["detail"]


# --- list ---------------------------------------------------------------------------------


def test_list_of_no_invoices_is_empty_with_defaults(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": DEFAULT_LIMIT, "offset": 0}


def test_list_pages_newest_first_and_reports_the_total(client):
    created = [_create(client, customer=f"C{i}") for i in range(5)]
    newest_first = [c["id"] for c in reversed(created)]

    first = client.get(URL, {"limit": 2}).json()
    second = client.get(URL, {"limit": 2, "offset": 2}).json()
    last = client.get(URL, {"limit": 2, "offset": 4}).json()

    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    assert [i["id"] for i in first["items"] + second["items"] + last["items"]] == newest_first
    assert first["items"][0] == created[-1]
    assert client.get(URL, {"offset": 5}).json()["items"] == []


def test_list_caps_limit_at_the_maximum(client):
    response = client.get(URL, {"limit": MAX_LIMIT * 10})

    assert response.status_code == 200
    assert response.json()["limit"] == MAX_LIMIT


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "1_0"}, "limit"),
        ({"limit": "9" * 40}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"offset": "\u0663"}, "offset"),
    ],
)
def test_bad_limit_or_offset_is_400_naming_it(client, query, field):
    _assert_invalid(client.get(URL, query), field)


# --- methods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", URL, {"GET", "POST"}),
        ("delete", URL, {"GET", "POST"}),
        ("patch", URL, {"GET", "POST"}),
        ("post", "/invoices/1/", {"GET"}),
        ("delete", "/invoices/1/", {"GET"}),
    ],
)
def test_wrong_method_is_405_with_allow_header(client, method, path, allowed):
    response = getattr(client, method)(path, data="{}", content_type="application/json")

    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert allowed <= set(response["Allow"].replace(" ", "").split(","))
    assert InvoiceModel.objects.count() == 0


# --- content types, body limits, routes and hosts: JSON answers everywhere ----------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_a_body_not_declared_json_is_415_and_stores_nothing(client, content_type):
    # text/plain, form and multipart bodies are what a browser sends cross-site without
    # a CORS preflight; the views are csrf_exempt, so the Content-Type is what stops them.
    response = client.post(URL, data=json.dumps(VALID), content_type=content_type)

    assert response.status_code == 415, response.content
    assert response.json() == {
        "error": "unsupported_media_type",
        "detail": "the request body must be sent as Content-Type: application/json",
    }
    assert InvoiceModel.objects.count() == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
    ],
)
def test_json_content_types_are_accepted(client, content_type):
    response = client.post(URL, data=json.dumps(VALID), content_type=content_type)

    assert response.status_code == 201, response.content


def test_a_wrong_method_with_a_text_body_is_still_405(client):
    response = client.put(URL, data="x", content_type="text/plain")

    assert response.status_code == 405


def test_a_body_over_the_upload_limit_is_413_and_one_warning_line(client, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {**VALID, "customer": "x" * 2000}

    with caplog.at_level(logging.INFO):
        response = _post(client, body)

    assert response.status_code == 413
    assert response.json() == {
        "error": "too_large",
        "detail": "the request body is larger than 1000 bytes",
        "field": "body",
    }
    logged = [r for r in caplog.records if r.name.startswith(("django.", "axiomod"))]
    assert [(r.name, r.levelno) for r in logged] == [
        ("django.security.RequestDataTooBig", logging.WARNING)
    ], caplog.text
    assert logged[0].exc_info is None
    assert "/invoices/" in logged[0].getMessage()
    assert InvoiceModel.objects.count() == 0


@pytest.mark.parametrize("path", ["/invoices/abc/", "/invoices/1/x/", "/invoices/-1/", "/nothing"])
def test_a_url_that_matches_no_route_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "not_found", "detail": "no such resource"}


def test_an_unknown_host_is_a_json_400(client):
    response = client.get(URL, headers={"host": "evil.example"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "bad_request",
        "detail": "the request could not be understood",
    }
