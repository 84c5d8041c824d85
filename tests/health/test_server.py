"""Probes of the example under gunicorn, against real PostgreSQL, Redis and a Kafka broker."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.servers import gunicorn, manage

pytestmark = pytest.mark.integration


def ready(server):
    answer = server.request("GET", "/ready")
    return answer.status, answer.json()


def wait_for(server, status, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        code, body = ready(server)
        if code == status or time.monotonic() > deadline:
            return code, body
        time.sleep(0.2)


@pytest.mark.smoke
def test_ready_follows_the_kafka_broker_down_and_back(
    tmp_path, postgres_database, redis_service, kafka_broker
):
    (tmp_path / "probe_settings.py").write_text(
        "from example.settings import *  # noqa\n"
        "AXIOMOD = {**AXIOMOD,\n"
        f"  'kafka': {{'bootstrap_servers': {kafka_broker.bootstrap_servers!r}}},\n"
        f"  'jobs': {{'broker_url': {redis_service.url_for(5)!r}}},\n"
        "  'health': {'check_timeout': 1.0, 'cache_ttl': 1.0, 'show_details': 'always'},\n"
        "}\n"
    )
    env = {
        "DATABASE_URL": postgres_database,
        "DJANGO_SETTINGS_MODULE": "probe_settings",
        "PYTHONPATH": str(tmp_path),
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    server = gunicorn(env, tmp_path / "gunicorn.log", workers=1)
    with server:
        code, body = wait_for(server, 200)
        assert code == 200, body
        assert body["status"] == "UP"
        for component in ("database:default", "redis", "kafka", "invoices-table"):
            assert body["components"][component]["status"] == "UP", body

        kafka_broker.stop()
        try:
            started = time.monotonic()
            code, body = wait_for(server, 503)
            assert code == 503, body
            assert time.monotonic() - started < 1.0 + 1.0 + 3.0, "TTL + check timeout + slack"
            assert body["components"]["kafka"]["status"] == "DOWN"
            assert "no metadata" in body["components"]["kafka"]["error"]
            assert body["components"]["database:default"]["status"] == "UP"
            assert server.request("GET", "/live").status == 200
        finally:
            kafka_broker.start()
        code, body = wait_for(server, 200, timeout=30)
        assert code == 200, body


def test_sigterm_drains_ready_503_live_200_then_exits(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AXIOMOD_DRAIN_SECONDS": "3",
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    server = gunicorn(env, tmp_path / "gunicorn.log", workers=2)
    server.start()
    try:
        assert wait_for(server, 200)[0] == 200
        os.kill(server.process.pid, signal.SIGTERM)
        time.sleep(0.5)
        code, body = ready(server)
        assert code == 503 and body["draining"] is True
        assert server.request("GET", "/live").status == 200
        assert server.request("GET", "/invoices/").status == 200, "still serving traffic"
        server.process.wait(timeout=30)
        assert server.process.returncode == 0, server.log()
    finally:
        server.stop()
