"""Property: a module generated with ``--async-views`` never answers 5xx, always JSON, on
Django's ASGI request path too.

The async counterpart of test_generated_hostile_requests.py (same strategies, same
property), with the requests sent through ``AsyncClient`` so the ``async def`` views run
as an ASGI server runs them: awaited, their use case calls handed to ``sync_to_async``.
Fewer examples than the sync suite: the strategies are the same and so is everything
below the views; what is new here is the coroutine path through ``JsonView``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile_http import (
    assert_answered_in_json,
    content_types,
    headers,
    methods,
    object_bodies,
    query_strings,
)
from tests.scaffold import installed
from tests.scaffold.installed import paths

PACKAGE = "hostile_async_shop"
MODULE = "widgets"

PATHS = paths(MODULE)
HOSTILE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def generated_package(tmp_path_factory) -> Iterator[Path]:
    with installed.generated_package(
        tmp_path_factory.mktemp("hostile-async"), PACKAGE, MODULE, async_views=True
    ) as root:
        yield root


@pytest.fixture
def generated_api(generated_package, transactional_db) -> Iterator[None]:
    """The module installed and routed, with its table."""
    with installed.installed_api(PACKAGE, MODULE):
        yield


#: One client for every request: a client loads the middleware chain on its first request.
CLIENT = AsyncClient()

#: Django's AsyncRequestFactory encodes the Content-Type as ASCII (a real ASGI server hands
#: over bytes): other content types are the sync suite's, where Django parses the same
#: header with the same code.
ASCII_CONTENT_TYPES = content_types.filter(str.isascii)


def send_async(
    method: str, path: str, query: str, body: bytes, content_type: str, header_map: Any
) -> Any:
    """One request through ``AsyncClient``, exactly as given (headers as ASGI has them)."""

    async def request() -> Any:
        return await CLIENT.generic(
            method,
            f"{path}?{query}" if query else path,
            data=body,
            content_type=content_type,
            headers=header_map,
        )

    return async_to_sync(request)()


def test_the_generated_async_api_answers(generated_api):
    created = send_async("POST", f"/{MODULE}/", "", b'{"name": "first"}', "application/json", {})
    assert created.status_code == 201, created.content
    fetched = send_async("GET", f"/{MODULE}/{created.json()['id']}/", "", b"", "", {})
    assert fetched.json()["name"] == "first"


@HOSTILE
@given(
    method=methods,
    path=PATHS,
    query=query_strings,
    body=object_bodies({"name": st.text(max_size=210)}),
    content_type=ASCII_CONTENT_TYPES,
    header_map=headers,
)
def test_any_request_is_answered_in_json_without_a_5xx(
    generated_api, method, path, query, body, content_type, header_map
):
    response = send_async(method, path, query, body, content_type, header_map)

    assert_answered_in_json(response, method)
