"""``health_check_status{check}`` and ``health_check_duration_seconds{check}``.

Declared on the kernel's :mod:`axiomod.instruments`: recorded when ``axiomod_metrics``
supplies the backend, no-ops without it.
"""

from __future__ import annotations

from collections.abc import Iterable

from axiomod import instruments

from .runner import UP, CheckResult

STATUS = instruments.gauge(
    "health_check_status",
    "1 when the check passed its last run, 0 when it failed.",
    ["check"],
    multiprocess_mode="livemostrecent",
)
DURATION = instruments.histogram(
    "health_check_duration_seconds", "Time a health check took.", ["check"]
)


def record(results: Iterable[CheckResult]) -> None:
    for result in results:
        STATUS.labels(result.name).set(1 if result.status == UP else 0)
        DURATION.labels(result.name).observe(result.duration)
