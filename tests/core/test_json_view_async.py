"""axiomod.views.JsonView with ``async def`` handlers: the sync view's answers, as coroutines.

Called through Django's ``AsyncClient`` (its ASGI request path, ``get_response_async``)
on a URLconf of this module's own, so what is checked is what an ASGI server's client
gets; the generated module's async views (tests/scaffold/test_async_views.py) build on it.
"""

from __future__ import annotations

import inspect

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, override_settings
from django.urls import path

from axiomod.errors import NotFound
from axiomod.views import JsonView, json_object


class ThingView(JsonView):
    http_method_names = ["get", "post", "head", "options"]

    async def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        if pk != 1:
            raise NotFound(f"thing {pk} does not exist")
        return JsonResponse({"id": pk})

    async def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return JsonResponse(json_object(request, fields=frozenset({"name"})), status=201)


class SessionThingView(ThingView):
    csrf_protected = True


urlpatterns = [
    path("things/<int:pk>/", ThingView.as_view()),
    path("session/<int:pk>/", SessionThingView.as_view()),
]

pytestmark = pytest.mark.urls(__name__)


def send(method: str, url: str, *args: object, **kwargs: object) -> HttpResponse:
    client = AsyncClient(enforce_csrf_checks=True)
    return async_to_sync(getattr(client, method))(url, *args, **kwargs)


def test_the_view_is_a_coroutine_function():
    assert inspect.iscoroutinefunction(ThingView.as_view())
    assert inspect.iscoroutinefunction(SessionThingView.as_view())


def test_handlers_answer_and_domain_errors_are_mapped_without_the_middleware():
    with override_settings(MIDDLEWARE=[]):  # JsonView maps them itself
        assert send("get", "/things/1/").json() == {"id": 1}
        missing = send("get", "/things/7/")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "thing 7 does not exist"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error"),
    [
        (b'{"name": "x"}', "text/plain", 415, "unsupported_media_type"),
        (b"{not json", "application/json", 400, "invalid"),
        (b'{"nmae": "x"}', "application/json", 400, "invalid"),
        (b'{"name": "' + b"x" * 2000 + b'"}', "application/json", 413, "too_large"),
    ],
)
def test_refused_bodies_answer_as_in_sync_views(body, content_type, status, error):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        response = send("post", "/things/1/", body, content_type=content_type)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_a_wrong_method_is_a_json_405_and_options_lists_the_methods():
    refused = send("delete", "/things/1/")
    assert refused.status_code == 405
    assert refused.json()["error"] == "method_not_allowed"
    assert refused["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert send("options", "/things/1/")["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_csrf_protected_async_views_still_check_the_token():
    refused = send("post", "/session/1/", b'{"name": "x"}', content_type="application/json")
    assert refused.status_code == 403
    exempt = send("post", "/things/1/", b'{"name": "x"}', content_type="application/json")
    assert exempt.status_code == 201
