"""Shared domain errors: one table for HTTP (middleware, DRF) and gRPC codes."""

from __future__ import annotations

import logging

import grpc
import pytest
from django.test import override_settings

from axiomod import errors

TABLE = [
    ("NotFound", 404, "NOT_FOUND", "not_found"),
    ("InvalidInput", 400, "INVALID_ARGUMENT", "invalid"),
    ("Validation", 400, "INVALID_ARGUMENT", "invalid"),
    ("Unauthorized", 401, "UNAUTHENTICATED", "unauthorized"),
    ("Forbidden", 403, "PERMISSION_DENIED", "forbidden"),
    ("Conflict", 409, "ALREADY_EXISTS", "conflict"),
    ("AlreadyExists", 409, "ALREADY_EXISTS", "conflict"),
    ("Timeout", 408, "DEADLINE_EXCEEDED", "timeout"),
    ("Unavailable", 503, "UNAVAILABLE", "unavailable"),
    ("Unimplemented", 501, "UNIMPLEMENTED", "not_implemented"),
    ("NotImplemented", 501, "UNIMPLEMENTED", "not_implemented"),
]


@pytest.mark.parametrize(("name", "status", "grpc_code", "code"), TABLE)
def test_each_error_has_its_status_code_and_grpc_code(name, status, grpc_code, code):
    error = getattr(errors, name)("msg")
    assert isinstance(error, errors.DomainError)
    assert (error.status, error.code) == (status, code)
    assert getattr(grpc.StatusCode, error.grpc_code).name == grpc_code
    assert errors.http_status(error) == status


def test_anything_else_is_internal_and_says_nothing():
    described = errors.describe(KeyError("secret"))
    assert (described.status, described.grpc_code, described.message) == (
        500,
        "INTERNAL",
        "internal error",
    )
    assert errors.NotImplemented is errors.Unimplemented
    with pytest.raises(AttributeError):
        errors.NoSuchError  # noqa: B018


@override_settings(ROOT_URLCONF="tests.core.errors_urls")
@pytest.mark.parametrize(("name", "status", "grpc_code", "code"), TABLE)
def test_views_raising_domain_errors_answer_json(client, name, status, grpc_code, code):
    answer = client.get(f"/raise/{name}")
    assert answer.status_code == status
    body = {"error": code, "detail": f"{name} on purpose"}
    if name == "InvalidInput":
        body["field"] = "amount"
    assert answer.json() == body


@override_settings(ROOT_URLCONF="tests.core.errors_urls", DEBUG=False)
def test_an_unexpected_exception_is_a_500_without_details_and_is_logged(client, caplog):
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="axiomod.errors"):
        answer = client.get("/raise/boom")
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal", "detail": "internal error"}
    assert "hunter2" not in answer.content.decode()
    assert "GET /raise/boom failed" in caplog.text
    assert "hunter2" in caplog.text  # the operator still gets it


@override_settings(ROOT_URLCONF="tests.core.errors_urls", DEBUG=False)
def test_djangos_own_exceptions_keep_djangos_answers(client):
    assert client.get("/raise/http404").status_code == 404


@override_settings(
    ROOT_URLCONF="tests.core.errors_urls",
    REST_FRAMEWORK={"EXCEPTION_HANDLER": "axiomod.errors.drf_exception_handler"},
)
def test_drf_exception_handler_maps_domain_errors(client):
    answer = client.get("/drf/Conflict")
    assert answer.status_code == 409
    assert answer.json() == {"error": "conflict", "detail": "Conflict from DRF"}
    assert client.get("/drf/fine").status_code == 200
