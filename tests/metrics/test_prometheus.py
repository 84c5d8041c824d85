"""A real Prometheus server scrapes the example under gunicorn and can query its metrics."""

from __future__ import annotations

import pytest

from tests.servers import gunicorn, manage


@pytest.mark.smoke
@pytest.mark.integration
def test_prometheus_scrapes_the_service(prometheus_server, tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert manage("migrate", "--no-input", env=env).returncode == 0
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        for _ in range(10):
            assert server.request("GET", "/invoices/").status == 200
        prometheus = prometheus_server([f"127.0.0.1:{server.port}"])

        up = prometheus.wait_for('up{job="axiomod"} == 1')
        assert [r["value"][1] for r in up] == ["1"], prometheus.log_tail()

        result = prometheus.wait_for(
            'http_requests_total{job="axiomod",path="/invoices/",method="GET",status="200"}'
        )
        assert len(result) == 1, "one series across both workers, not one per worker"
        assert float(result[0]["value"][1]) >= 10

        buckets = prometheus.wait_for(
            'http_request_duration_seconds_bucket{job="axiomod",path="/invoices/",le="+Inf"}'
        )
        assert float(buckets[0]["value"][1]) >= 10
