"""The endpoints Kubernetes and Prometheus call: /live, /ready and /metrics."""

import pytest

pytestmark = pytest.mark.django_db


def test_live_answers(client):
    assert client.get("/live").status_code == 200


def test_ready_answers_when_the_database_is_up(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.content


def test_metrics_count_requests(client):
    assert client.get("/no-such-page").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "# TYPE http_requests_total counter" in text
    assert 'http_requests_total{method="GET",path="unmatched",status="404"}' in text
