"""``/live``, ``/ready`` and ``/health`` on the example service."""

from __future__ import annotations

import threading

import pytest
from health_check.exceptions import ServiceUnavailable

from axiomod_health import health_check, shutdown

from ..metrics.conftest import sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    return {"ok": 0, "bad": 0}


@pytest.fixture
def checks(only_checks, calls):
    @health_check(name="ok")
    def ok():
        calls["ok"] += 1

    @health_check(name="bad", critical=False)
    def bad():
        calls["bad"] += 1
        raise ServiceUnavailable("db-replica-3.internal:5432 refused")

    return calls


def test_live_runs_no_check(client, checks):
    response = client.get("/live")
    assert response.status_code == 200
    assert response.json() == {"status": "UP"}
    assert checks == {"ok": 0, "bad": 0}


def test_ready_is_degraded_but_200_when_only_a_non_critical_check_fails(client, checks):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "DEGRADED"
    assert set(body["components"]) == {"ok", "bad"}
    assert body["components"]["bad"]["status"] == "DOWN"
    assert body["components"]["ok"]["duration_ms"] >= 0
    assert body["timestamp"].endswith("Z")
    assert "error" not in body["components"]["bad"], "details are hidden by default"


def test_ready_is_503_when_a_critical_check_fails(client, only_checks):
    @health_check(name="primary-db")
    def primary():
        raise ServiceUnavailable("connection refused")

    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "DOWN"
    assert response.json()["components"]["primary-db"]["status"] == "DOWN"


def test_non_critical_setting_downgrades_a_check(client, only_checks, settings):
    @health_check(name="primary-db")
    def primary():
        raise ServiceUnavailable("connection refused")

    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {**settings.AXIOMOD["health"], "non_critical": ["primary-db"]},
    }
    assert client.get("/ready").status_code == 200


def test_results_are_cached_for_the_ttl(client, checks, settings):
    client.get("/ready")
    client.get("/ready")
    client.get("/health")
    assert checks["ok"] == 1
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {**settings.AXIOMOD["health"], "cache_ttl": 0},
    }
    client.get("/ready")
    client.get("/ready")
    assert checks["ok"] == 3


def _blocking_check(settings, **health):
    """A check that blocks until released; ``cache_ttl`` 0 so every probe wants a run."""
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {**settings.AXIOMOD["health"], "cache_ttl": 0, "check_timeout": 30, **health},
    }
    entered, release = threading.Event(), threading.Event()
    events: list[str] = []

    @health_check(name="slow")
    def slow():
        events.append("run started")
        entered.set()
        release.wait(30)
        events.append("run ended")

    return entered, release, events


def _probe_in_thread(path: str) -> tuple[threading.Thread, list]:
    from django.test import Client

    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(Client().get(path)))
    thread.start()
    return thread, answers


def test_a_probe_that_finds_a_run_in_flight_answers_from_the_last_report(
    client, only_checks, settings
):
    entered, release, events = _blocking_check(settings)
    release.set()
    assert client.get("/ready").json()["status"] == "UP"  # the last report
    release.clear()
    entered.clear()
    leader, leader_answers = _probe_in_thread("/ready")
    assert entered.wait(10)  # the leader's run hangs in the check

    followers = [client.get("/ready") for _ in range(5)]

    assert events.count("run ended") == 1, "the followers did not wait for the leader's run"
    assert all(r.status_code == 200 and r.json()["status"] == "UP" for r in followers)
    assert events.count("run started") == 2, "and started no run of their own"
    release.set()
    leader.join(10)
    assert leader_answers[0].status_code == 200


def test_the_probe_that_starts_a_run_answers_from_the_last_report_while_checks_hang(
    client, only_checks, settings
):
    """A sync worker's only thread is not held for the run (up to ``check_timeout``)."""
    from axiomod_health.state import _state

    entered, release, events = _blocking_check(settings)
    release.set()
    assert client.get("/ready").json()["components"]["slow"]["status"] == "UP"
    release.clear()
    entered.clear()

    answer = client.get("/ready")  # finds the report stale and starts a run, which hangs

    assert entered.wait(10)
    assert events.count("run ended") == 1, "answered while its own run still hangs"
    assert answer.status_code == 200 and answer.json()["status"] == "UP"
    in_flight = _state.in_flight
    assert in_flight is not None
    release.set()
    assert in_flight.wait(10)
    assert events.count("run ended") == 2


def test_before_any_report_a_probe_behind_a_run_answers_checks_in_progress(
    client, only_checks, settings
):
    entered, release, events = _blocking_check(settings)
    leader, leader_answers = _probe_in_thread("/ready")
    assert entered.wait(10)

    follower = client.get("/ready")

    assert events == ["run started"], "answered while the run still hangs"
    assert follower.status_code == 503
    assert follower.json()["status"] == "DOWN"
    assert follower.json()["detail"] == "checks in progress"
    assert follower.json()["components"] == {}
    release.set()
    leader.join(10)
    assert leader_answers[0].status_code == 200
    assert leader_answers[0].json()["components"]["slow"]["status"] == "UP"
    assert "detail" not in leader_answers[0].json()


@pytest.mark.parametrize(
    ("policy", "staff", "shown"),
    [
        ("never", True, False),
        ("staff", False, False),
        ("staff", True, True),
        ("always", False, True),
    ],
)
def test_show_details_policy(client, checks, settings, django_user_model, policy, staff, shown):
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {**settings.AXIOMOD["health"], "show_details": policy},
    }
    user = django_user_model.objects.create_user("ops", password="pw", is_staff=staff)
    client.force_login(user)
    body = client.get("/health").json()
    assert ("error" in body["components"]["bad"]) is shown
    if shown:
        assert body["components"]["bad"]["error"] == "db-replica-3.internal:5432 refused"


def test_health_details_show_age_and_criticality(client, checks):
    body = client.get("/health").json()
    assert body["components"]["bad"]["critical"] is False
    assert body["components"]["ok"]["critical"] is True
    assert body["components"]["ok"]["age_seconds"] >= 0


def test_draining_makes_ready_503_while_live_stays_200(client, checks):
    assert client.get("/ready").status_code == 200
    shutdown.begin_drain()
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "DOWN"
    assert ready.json()["draining"] is True
    assert client.get("/live").status_code == 200


def test_probes_bypass_allowed_hosts_but_other_urls_do_not(client, checks):
    assert client.get("/live", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/ready", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/invoices/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_check_results_are_recorded_as_metrics(client, checks):
    client.get("/ready")
    assert sample("health_check_status", check="ok") == 1
    assert sample("health_check_status", check="bad") == 0
    assert sample("health_check_duration_seconds_count", check="ok") >= 1


def test_builtin_checks_cover_databases_and_caches(client):
    body = client.get("/ready").json()
    assert body["components"]["database:default"]["status"] == "UP"
    assert body["components"]["cache:default"]["status"] == "UP"


def test_dotted_path_checks_from_settings(client, only_checks, settings):
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {
            **settings.AXIOMOD["health"],
            "checks": ["tests.health.sample_checks.always_down"],
        },
    }
    body = client.get("/ready").json()
    assert body["components"]["always_down"]["status"] == "DOWN"
    assert client.get("/ready").status_code == 503


def test_background_mode_probes_only_read(only_checks, settings, calls):
    import time

    from axiomod_health.state import current_report

    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {**settings.AXIOMOD["health"], "background": True, "interval": 0.1},
    }

    @health_check(name="ticker")
    def ticker():
        calls["ok"] += 1

    current_report()
    deadline = time.monotonic() + 5
    while calls["ok"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert calls["ok"] >= 3, "the background thread refreshes on its own"


def test_a_dotted_path_that_is_not_a_check_is_down_not_a_500(client, only_checks, settings):
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "health": {**settings.AXIOMOD["health"], "checks": ["os.sep"]},
    }
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["components"]["os.sep"]["status"] == "DOWN"


def test_probe_503_is_not_logged_as_a_server_error(client, only_checks, caplog):
    @health_check(name="down")
    def down():
        raise ServiceUnavailable("no")

    import logging

    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/ready").status_code == 503
    assert [r for r in caplog.records if r.name == "django.request"] == []
