"""Property: a freshly generated module's JSON API never answers 5xx, always JSON.

``axiomod generate module`` writes a module into a temporary package; the test installs
it in this process (``INSTALLED_APPS``, a root URLconf with axiomod's JSON error
handlers, its table) and hypothesis throws arbitrary bodies, Content-Types, query
strings, headers, methods and ids at its ``JsonView`` endpoints, through the example
project's middleware stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile_http import (
    assert_answered_in_json,
    content_types,
    headers,
    methods,
    object_bodies,
    query_strings,
    send,
)
from tests.scaffold import installed
from tests.scaffold.installed import paths

PACKAGE = "hostile_shop"
MODULE = "gadgets"

PATHS = paths(MODULE)
FIELDS = {"name": st.text(max_size=210)}
HOSTILE = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def generated_package(tmp_path_factory) -> Iterator[Path]:
    with installed.generated_package(tmp_path_factory.mktemp("hostile"), PACKAGE, MODULE) as root:
        yield root


@pytest.fixture
def generated_api(generated_package, transactional_db) -> Iterator[None]:
    """The module installed and routed, with its table."""
    with installed.installed_api(PACKAGE, MODULE):
        yield


def test_the_generated_api_answers(generated_api, client):
    created = send(client, "POST", f"/{MODULE}/", "", b'{"name": "first"}', "application/json", {})
    assert created.status_code == 201, created.content
    assert client.get(f"/{MODULE}/{created.json()['id']}/").json()["name"] == "first"
    surrogate = send(
        client, "POST", f"/{MODULE}/", "", b'{"name": "a\\ud800b"}', "application/json", {}
    )
    assert (surrogate.status_code, surrogate.json()["field"]) == (400, "name")


@HOSTILE
@given(body=object_bodies(FIELDS), content_type=content_types, query=query_strings)
def test_any_post_body_is_answered_in_json_without_a_5xx(
    generated_api, client, body, content_type, query
):
    response = send(client, "POST", f"/{MODULE}/", query, body, content_type, {})

    assert_answered_in_json(response, "POST")


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
    generated_api, client, method, path, query, body, content_type, header_map
):
    response = send(client, method, path, query, body, content_type, header_map)

    assert_answered_in_json(response, method)
