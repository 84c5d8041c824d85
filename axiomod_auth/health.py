"""The ``oidc`` readiness check, contributed to the health app when ``AXIOMOD["oidc"]`` is set.

Non-critical: the service still verifies tokens with the keys it holds. The answer comes
from this app's cache: UP while a usable copy of the discovery document is held (fresh,
or stale within ``max_stale``), so a probe costs no request to the provider and a brief
provider outage the service rides out does not flap readiness. Imported by the health
app's autodiscovery of ``<app>/health.py``.
"""

from __future__ import annotations

import dataclasses

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from axiomod.conf import settings
from axiomod_health import CheckSpec, check_source

from .errors import ProviderUnavailable
from .oidc import provider

__all__ = ["OidcDiscovery", "oidc_checks"]


@dataclasses.dataclass
class OidcDiscovery(HealthCheck):
    """A usable discovery document is held, or can be fetched now."""

    def run(self) -> None:
        try:
            provider().discovery.get()
        except ProviderUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from exc


@check_source
def oidc_checks(timeout: float) -> list[CheckSpec]:
    if settings.oidc is None:
        return []
    # The fetch keeps its own deadline (AXIOMOD["oidc"]["http_timeout"]).
    return [CheckSpec("oidc", OidcDiscovery(), critical=False)]
