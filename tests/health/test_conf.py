"""``AXIOMOD["health"]`` validation, including the app's own system check."""

from __future__ import annotations

from django.core import checks
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
