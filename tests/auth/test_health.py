"""The ``oidc`` readiness check answers from axiomod_auth's cache."""

from __future__ import annotations

import pytest
from health_check.exceptions import ServiceUnavailable

from axiomod.testing.oidc_provider import DISCOVERY_PATH
from axiomod_auth.health import OidcDiscovery
from axiomod_health.builtin import configured_checks


def test_the_check_is_configured_non_critical_with_the_section(oidc):
    (spec,) = [spec for spec in configured_checks() if spec.name == "oidc"]
    assert spec.critical is False


def test_no_oidc_check_without_the_section(settings):
    settings.AXIOMOD = {k: v for k, v in settings.AXIOMOD.items() if k != "oidc"}
    assert "oidc" not in [spec.name for spec in configured_checks()]


def test_probes_cost_one_fetch_and_ride_out_an_outage(oidc, provider):
    check = OidcDiscovery()
    for _ in range(10):
        check.run()
    assert provider.count(DISCOVERY_PATH) == 1
    provider.stop()
    check.run()  # the cached copy is usable: still UP


def test_nothing_cached_and_provider_down_is_down(oidc, provider):
    provider.stop()
    with pytest.raises(ServiceUnavailable, match="OIDC discovery unavailable"):
        OidcDiscovery().run()
