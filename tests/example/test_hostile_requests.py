"""Property: whatever a client sends to the example's JSON API, no 5xx and a JSON answer.

Hypothesis throws arbitrary bodies, Content-Types, query strings, headers, methods and
ids at every ``JsonView`` of the example (the invoices collection and detail) through
the full middleware stack, with the project's error handlers.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile_http import (
    assert_answered_in_json,
    content_types,
    headers,
    ids,
    methods,
    object_bodies,
    query_strings,
    send,
)

pytestmark = pytest.mark.django_db

FIELDS = {
    "customer": st.text(max_size=210),
    "amount": st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
        st.integers(),
        st.text(max_size=12),
    ),
    "currency": st.sampled_from(["EUR", "USD", "eur", "XXX", ""]),
}
PATHS = st.one_of(
    st.just("/invoices/"),
    ids.map(lambda pk: f"/invoices/{pk}/"),
    st.sampled_from(["/invoices/abc/", "/invoices/-1/", "/invoices/1.5/", "/invoices/%FF/"]),
)
HOSTILE = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HOSTILE
@given(body=object_bodies(FIELDS), content_type=content_types, query=query_strings)
def test_any_post_body_is_answered_in_json_without_a_5xx(client, body, content_type, query):
    response = send(client, "POST", "/invoices/", query, body, content_type, {})

    assert_answered_in_json(response, "POST")


@HOSTILE
@given(path=PATHS, query=query_strings, header_map=headers)
def test_any_get_is_answered_in_json_without_a_5xx(client, path, query, header_map):
    response = send(client, "GET", path, query, b"", "", header_map)

    assert_answered_in_json(response, "GET")


@HOSTILE
@given(
    method=methods,
    path=PATHS,
    query=query_strings,
    body=object_bodies(FIELDS),
    content_type=content_types,
    header_map=headers,
)
def test_any_request_is_answered_in_json_without_a_5xx(
    client, method, path, query, body, content_type, header_map
):
    response = send(client, method, path, query, body, content_type, header_map)

    assert_answered_in_json(response, method)
