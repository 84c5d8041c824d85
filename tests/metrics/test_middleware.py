"""HTTP request metrics recorded by ``MetricsMiddleware`` on the example service."""

from __future__ import annotations

import asyncio

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from axiomod_metrics.middleware import MetricsMiddleware

from .conftest import sample

pytestmark = pytest.mark.django_db


def requests_total(method: str, path: str, status: str) -> float:
    return sample("http_requests_total", method=method, path=path, status=status)


def durations_count(method: str, path: str, status: str) -> float:
    return sample("http_request_duration_seconds_count", method=method, path=path, status=status)


def test_path_label_is_the_route_template_not_the_url(client):
    before = requests_total("GET", "/invoices/<int:pk>/", "404")
    client.get("/invoices/12345/")
    client.get("/invoices/67890/")
    assert requests_total("GET", "/invoices/<int:pk>/", "404") == before + 2
    assert sample("http_requests_total", method="GET", path="/invoices/12345/", status="404") == 0


def test_counter_and_histogram_move_together_per_status(client):
    before_ok = requests_total("POST", "/invoices/", "201")
    before_bad = durations_count("POST", "/invoices/", "400")
    client.post(
        "/invoices/",
        {"customer": "A", "amount": "1.00", "currency": "EUR"},
        content_type="application/json",
    )
    client.post("/invoices/", {"customer": "A"}, content_type="application/json")
    assert requests_total("POST", "/invoices/", "201") == before_ok + 1
    assert durations_count("POST", "/invoices/", "400") == before_bad + 1


def test_unmatched_urls_share_one_label_value(client):
    before = requests_total("GET", "unmatched", "404")
    client.get("/no/such/page")
    client.get("/another/random/url/1234")
    assert requests_total("GET", "unmatched", "404") == before + 2


def test_unknown_methods_are_recorded_as_other(client):
    before = requests_total("other", "/invoices/", "405")
    client.generic("BREW", "/invoices/")
    client.generic("PROPFIND", "/invoices/")
    assert requests_total("other", "/invoices/", "405") == before + 2


def test_scrape_endpoint_is_not_counted(client):
    before = sum(
        requests_total("GET", path, "200") for path in ("/metrics", "unmatched", "metrics")
    )
    client.get("/metrics")
    after = sum(requests_total("GET", path, "200") for path in ("/metrics", "unmatched", "metrics"))
    assert after == before


def test_durations_are_observed_in_seconds(client):
    client.get("/invoices/")
    total = sample(
        "http_request_duration_seconds_sum", method="GET", path="/invoices/", status="200"
    )
    count = durations_count("GET", "/invoices/", "200")
    assert 0 < total / count < 5, "a list request takes milliseconds, recorded in seconds"


def test_an_exception_that_escapes_is_recorded_as_500_and_re_raised():
    def explode(request):
        raise RuntimeError("boom")

    middleware = MetricsMiddleware(explode)
    request = RequestFactory().get("/exploding")
    request.resolver_match = None
    before = requests_total("GET", "unmatched", "500")
    with pytest.raises(RuntimeError):
        middleware(request)
    assert requests_total("GET", "unmatched", "500") == before + 1


def test_async_stack_is_served_without_a_thread_hop():
    calls = []

    async def view(request):
        calls.append(asyncio.current_task())
        return HttpResponse(status=202)

    middleware = MetricsMiddleware(view)
    assert asyncio.iscoroutinefunction(middleware)
    request = RequestFactory().get("/async-only")
    request.resolver_match = None
    before = requests_total("GET", "unmatched", "202")
    response = asyncio.run(middleware(request))
    assert response.status_code == 202
    assert calls and calls[0] is not None
    assert requests_total("GET", "unmatched", "202") == before + 1


def test_excluded_paths_are_not_counted(settings):
    settings.AXIOMOD = {"metrics": {"excluded_paths": ["/internal/ping"]}}
    middleware = MetricsMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/internal/ping")
    request.resolver_match = None
    before = requests_total("GET", "unmatched", "200")
    middleware(request)
    assert requests_total("GET", "unmatched", "200") == before
