"""Apps contribute to the kernel through their AppConfig and signals; the kernel names none."""

from __future__ import annotations

from axiomod.probes import probe_paths
from axiomod.signals import serving_stopping


def test_each_app_contributes_its_probe_paths():
    assert {"/metrics", "/live", "/ready", "/health"} <= probe_paths()


def test_probe_paths_follow_the_apps_settings(settings):
    settings.AXIOMOD = {**settings.AXIOMOD, "health": {"ready_path": "/readyz"}}
    assert "/readyz" in probe_paths()
    assert "/ready" not in probe_paths()


def test_a_third_party_app_contributes_probe_paths(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.core.audit_app"]
    assert "/audit/ping" in probe_paths()


def test_without_the_health_app_its_paths_are_not_probes(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "axiomod_health"]
    assert "/ready" not in probe_paths()
    assert "/metrics" in probe_paths()


def test_serving_stopping_drains_the_health_app():
    from axiomod_health import shutdown

    assert not shutdown.draining()
    try:
        serving_stopping.send(sender="test transport")
        assert shutdown.draining()
    finally:
        shutdown.reset()
