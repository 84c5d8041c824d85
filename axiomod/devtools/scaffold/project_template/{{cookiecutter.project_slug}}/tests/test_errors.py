"""Errors outside any view are JSON too: the handlers imported in the root URLconf."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_a_url_that_matches_no_route_is_a_json_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_an_unknown_host_is_a_json_400(client):
    response = client.get("/no-such-page/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


@override_settings(DEBUG=False)
def test_handlers_answer_json(client):
    from django.urls import get_resolver

    resolver = get_resolver()
    for status in (400, 403, 404, 500):
        assert resolver.resolve_error_handler(status).__module__ == "axiomod.views"
