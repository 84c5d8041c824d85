"""``AXIOMOD["health"]``: liveness, readiness and details probes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Literal

from axiomod.conf import Section, setting


def _path(value: str) -> str | None:
    return None if value.startswith("/") else f"{value!r} must start with '/'"


@dataclasses.dataclass(frozen=True)
class HealthSettings(Section):
    """Probes served by ``axiomod_health``."""

    title = "Health"
    app = "axiomod_health"
    key = "health"

    live_path: str = setting(
        "/live", doc="Liveness probe path.", check=_path, go_key="health.livenessPath"
    )
    ready_path: str = setting(
        "/ready", doc="Readiness probe path.", check=_path, go_key="health.readinessPath"
    )
    health_path: str = setting(
        "/health", doc="Details view path.", check=_path, go_key="health.path"
    )
    check_timeout: float = setting(
        1.0,
        doc="Seconds each check may take before it counts as failed.",
        min=0.0,
        min_exclusive=True,
        go_key="health.timeout",
    )
    cache_ttl: float = setting(
        2.0,
        doc="Seconds a probe result is reused, so probe storms don't hammer services.",
        min=0.0,
    )
    show_details: Literal["never", "staff", "always"] = setting(
        "never", doc="Who sees error texts and hostnames in the ``/health`` view."
    )
    background: bool = setting(
        False, doc="Refresh checks on an interval in the background; probes only read state."
    )
    interval: float = setting(
        5.0, doc="Seconds between background refreshes.", min=0.0, min_exclusive=True
    )
    checks: tuple[str, ...] = setting((), doc="Dotted paths of extra check functions or classes.")
    migrations: bool = setting(False, doc="Report unapplied migrations as a non-critical check.")
    non_critical: tuple[str, ...] = setting(
        (), doc="Names of checks whose failure only degrades readiness (200, ``DEGRADED``)."
    )
    disabled: tuple[str, ...] = setting(
        (), doc="Names of built-in or registered checks not to run."
    )
    drain_seconds: float = setting(
        5.0,
        doc=(
            "After SIGTERM, seconds the process keeps serving with ``/ready`` at 503 so the "
            "load balancer stops sending traffic; keep it below gunicorn's graceful timeout."
        ),
        min=0.0,
        max=300.0,
        env="AXIOMOD_DRAIN_SECONDS",
    )

    def validate(self) -> Iterable[tuple[str, str]]:
        paths = [self.live_path, self.ready_path, self.health_path]
        if len(set(paths)) != len(paths):
            yield ("ready_path", "live_path, ready_path and health_path must differ")


#: The sections this app adds to ``AXIOMOD`` (found by :mod:`axiomod.conf.registry`).
AXIOMOD_SECTIONS = (HealthSettings,)
