"""``GET /metrics`` on the example: Prometheus text, OpenMetrics on request, app metrics."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

pytestmark = pytest.mark.django_db


def test_metrics_endpoint_serves_prometheus_text(client):
    client.get("/invoices/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    assert "# TYPE http_requests_total counter" in body
    assert 'http_requests_total{method="GET",path="/invoices/",status="200"}' in body
    assert "# TYPE http_request_duration_seconds histogram" in body
    assert 'le="0.005"' in body and 'le="10.0"' in body


def test_openmetrics_is_served_when_asked_for(client):
    response = client.get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")


def test_invoice_creation_is_counted_as_an_application_metric(client):
    def created() -> float:
        for line in client.get("/metrics").content.decode().splitlines():
            if line.startswith('invoices_created_total{currency="CHF"}'):
                return float(line.split()[-1])
        return 0.0

    before = created()
    response = client.post(
        "/invoices/",
        {"customer": "Acme", "amount": "12.00", "currency": "CHF"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert created() == before + 1


def test_metrics_path_is_configurable(client):
    import importlib

    import axiomod.urls
    import axiomod_metrics.urls
    import example.urls

    try:
        with override_settings(AXIOMOD={"metrics": {"path": "/internal/prometheus"}}):
            for module in (axiomod_metrics.urls, axiomod.urls, example.urls):
                importlib.reload(module)
            clear_url_caches()
            assert client.get("/internal/prometheus").status_code == 200
            assert client.get("/metrics").status_code == 404
    finally:
        for module in (axiomod_metrics.urls, axiomod.urls, example.urls):
            importlib.reload(module)
        clear_url_caches()
    assert client.get("/metrics").status_code == 200
