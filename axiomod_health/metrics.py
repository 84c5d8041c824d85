"""``health_check_status{check}`` and ``health_check_duration_seconds{check}``.

Recorded through ``axiomod_metrics`` when that app is installed; without it nothing is
recorded and nothing fails.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django.apps import apps

from .runner import UP, CheckResult


@functools.cache
def _metrics() -> tuple[Any, Any] | None:
    if not apps.is_installed("axiomod_metrics"):
        return None
    from axiomod_metrics import gauge, histogram

    return (
        gauge(
            "health_check_status",
            "1 when the check passed its last run, 0 when it failed.",
            ["check"],
            multiprocess_mode="livemostrecent",
        ),
        histogram("health_check_duration_seconds", "Time a health check took.", ["check"]),
    )


def record(results: Iterable[CheckResult]) -> None:
    metrics = _metrics()
    if metrics is None:
        return
    status, duration = metrics
    for result in results:
        status.labels(result.name).set(1 if result.status == UP else 0)
        duration.labels(result.name).observe(result.duration)
