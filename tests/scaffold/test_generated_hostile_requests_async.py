"""Property: a module generated with ``--async-views`` never answers 5xx, always JSON, on
Django's ASGI request path too.

The async counterpart of test_generated_hostile_requests.py (same strategies, same
property), with the requests sent through ``AsyncClient`` so the ``async def`` views run
as an ASGI server runs them: awaited, their use case calls handed to ``sync_to_async``.
Fewer examples than the sync suite: the strategies are the same and so is everything
below the views; what is new here is the coroutine path through ``JsonView``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test import AsyncClient, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axiomod.devtools.scaffold import generate_module
from tests.hostile_http import (
    assert_answered_in_json,
    content_types,
    headers,
    ids,
    methods,
    object_bodies,
    query_strings,
)

PACKAGE = "hostile_async_shop"
MODULE = "widgets"

URLS = f"""\
from django.urls import include, path

from axiomod.views import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = [path("{MODULE}/", include("{PACKAGE}.{MODULE}.delivery.http.urls"))]
"""

PATHS = st.one_of(
    st.just(f"/{MODULE}/"),
    ids.map(lambda pk: f"/{MODULE}/{pk}/"),
    st.sampled_from([f"/{MODULE}/abc/", f"/{MODULE}/-1/", f"/{MODULE}/%FF/"]),
)
HOSTILE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def generated_package(tmp_path_factory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("hostile-async")
    (root / PACKAGE).mkdir()
    (root / PACKAGE / "__init__.py").write_text("")
    (root / PACKAGE / "urls.py").write_text(URLS)
    generate_module(MODULE, package=PACKAGE, root=root, async_views=True)
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


@pytest.fixture
def generated_api(generated_package, transactional_db) -> Iterator[None]:
    """The module installed and routed, with its table (see the sync suite's fixture)."""
    with override_settings(
        INSTALLED_APPS=[*django_settings.INSTALLED_APPS, f"{PACKAGE}.{MODULE}"],
        ROOT_URLCONF=f"{PACKAGE}.urls",
    ):
        with connection.schema_editor() as editor:
            for model in apps.get_app_config(MODULE).get_models():
                editor.create_model(model)
        try:
            yield
        finally:
            with connection.schema_editor() as editor:
                for model in apps.get_app_config(MODULE).get_models():
                    editor.delete_model(model)


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
