"""``AXIOMOD["health"]`` validation, including the app's own system check."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from axiomod.conf import validate


def messages(raw):
    return [str(e) for errors in validate({"health": raw}, {}).errors.values() for e in errors]


def test_defaults():
    health = validate({}, {}).values["health"]
    assert (health.live_path, health.ready_path, health.health_path) == (
        "/live",
        "/ready",
        "/health",
    )
    assert health.check_timeout == 1.0
    assert health.cache_ttl == 2.0
    assert health.show_details == "never"


def test_show_details_choices():
    (message,) = messages({"show_details": "admins"})
    assert "allowed: never, staff, always" in message


def test_probe_paths_must_differ():
    (message,) = messages({"ready_path": "/live"})
    assert "must differ" in message


def test_check_that_cannot_be_imported_is_reported_by_the_app():
    with override_settings(AXIOMOD={"health": {"checks": ["example.invoices.health.nope"]}}):
        found = [m for m in checks.run_checks(tags=["axiomod"]) if m.id == "axiomod.E020"]
    assert len(found) == 1
    assert 'AXIOMOD["health"]["checks"][0]' in found[0].msg
    assert "cannot import 'example.invoices.health.nope'" in found[0].msg


def test_importable_check_passes():
    with override_settings(AXIOMOD={"health": {"checks": ["os.getcwd"]}}):
        assert checks.run_checks(tags=["axiomod"]) == []


def test_check_that_is_not_a_check_is_reported():
    with override_settings(AXIOMOD={"health": {"checks": ["os.sep"]}}):
        found = [m for m in checks.run_checks(tags=["axiomod"]) if m.id == "axiomod.E021"]
    assert len(found) == 1
    assert "not a check" in found[0].msg


# -- the metrics path may not be one of the probe paths (axiomod.E022) ---------------------


@pytest.mark.parametrize(
    ("metrics", "health", "key", "what"),
    [
        ({"path": "/ready"}, {}, "ready_path", "readiness probe"),
        ({"path": "/live"}, {}, "live_path", "liveness probe"),
        ({"path": "/health"}, {}, "health_path", "health view"),
        ({"path": "/probe/ready"}, {"ready_path": "/probe/ready"}, "ready_path", "readiness"),
    ],
)
def test_a_metrics_path_on_a_probe_path_fails_check(metrics, health, key, what):
    with (
        override_settings(AXIOMOD={"metrics": metrics, "health": health}),
        pytest.raises(SystemCheckError) as caught,
    ):
        call_command("check")
    text = str(caught.value)
    path = metrics["path"]
    assert (
        f"""(axiomod.E022) AXIOMOD["metrics"]["path"]: '{path}' is also """
        f'AXIOMOD["health"]["{key}"]; one path cannot serve both the {what}'
    ) in text
    assert "HINT: Give the scrape endpoint a path of its own" in text


def test_metrics_only_on_their_own_port_may_use_any_path():
    metrics = {"path": "/ready", "port": 9464, "main_port": False}
    with override_settings(AXIOMOD={"metrics": metrics}):
        assert [m.id for m in checks.run_checks(tags=["axiomod"])] == []


def test_metrics_path_is_left_to_the_schema_when_it_is_invalid():
    with override_settings(
        AXIOMOD={"metrics": {"path": "ready"}, "health": {"ready_path": "ready"}}
    ):
        ids = sorted(m.id for m in checks.run_checks(tags=["axiomod"]))
    assert ids == ["axiomod.E003", "axiomod.E003"]
