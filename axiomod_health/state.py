"""Readiness state: cached results, one in-flight run, optional background refresh, draining.

A probe storm (several kubelets, a load balancer, a dashboard) must not turn into a
database ping per request: results are reused for ``cache_ttl`` seconds and concurrent
probes wait for the one run in progress instead of starting their own. In background
mode a thread refreshes every ``interval`` seconds and probes only read. All of it is
per process (each gunicorn worker keeps its own state).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from datetime import UTC, datetime

from axiomod.conf import settings

from . import shutdown
from .builtin import configured_checks
from .runner import DOWN, UP, CheckResult, run_checks

__all__ = ["DEGRADED", "Report", "current_report", "reset", "start_background_refresh"]

DEGRADED = "DEGRADED"

logger = logging.getLogger("axiomod.health")


@dataclasses.dataclass(frozen=True)
class Report:
    status: str  # UP, DOWN or DEGRADED
    results: tuple[CheckResult, ...]
    computed_at: float  # time.monotonic()
    timestamp: str  # ISO 8601, UTC

    @property
    def ready(self) -> bool:
        return self.status != DOWN


def aggregate(results: tuple[CheckResult, ...]) -> str:
    if any(r.status == DOWN and r.critical for r in results):
        return DOWN
    if any(r.status == DOWN for r in results):
        return DEGRADED
    return UP


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.report: Report | None = None
        self.in_flight: threading.Event | None = None
        self.background: threading.Thread | None = None
        self.pid = os.getpid()

    def run(self) -> Report:
        conf = settings.health
        results = tuple(run_checks(configured_checks(), conf.check_timeout))
        report = Report(
            aggregate(results),
            results,
            time.monotonic(),
            datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        _record_metrics(results)
        self.report = report
        return report

    def current(self) -> Report:
        conf = settings.health
        if os.getpid() != self.pid:  # forked (gunicorn --preload): the thread stayed behind
            self.__init__()
        if conf.background:
            self._ensure_background(conf.interval)
            if self.report is not None:
                return self.report
        report = self.report
        if report is not None and time.monotonic() - report.computed_at < conf.cache_ttl:
            return report
        with self.lock:
            event = self.in_flight
            leader = event is None
            if leader:
                event = self.in_flight = threading.Event()
        if not leader:
            # The leader's run ends within the largest check timeout (run_checks enforces
            # it) and always sets the event, so there is no need for a deadline here.
            event.wait()
            if self.report is not None:
                return self.report
        try:
            return self.run()
        finally:
            if leader:
                with self.lock:
                    self.in_flight = None
                event.set()

    def _ensure_background(self, interval: float) -> None:
        if self.background is not None and self.background.is_alive():
            return
        with self.lock:
            if self.background is not None and self.background.is_alive():
                return
            self.background = threading.Thread(
                target=self._refresh_forever, name="axiomod-health-refresh", daemon=True
            )
            self.background.start()

    def _refresh_forever(self) -> None:
        while True:
            try:
                self.run()
            except Exception:  # keep refreshing; the next run reports the failure
                logger.exception("background health refresh failed")
            time.sleep(settings.health.interval)


_state = _State()


def current_report() -> Report:
    """The readiness report, from cache when fresh; DOWN while the process is draining."""
    report = _state.current()
    if shutdown.draining():
        return dataclasses.replace(report, status=DOWN)
    return report


def start_background_refresh() -> None:
    """Start the refresh thread now (serving processes, background mode)."""
    conf = settings.health
    if conf.background:
        _state._ensure_background(conf.interval)


def reset() -> None:
    """Forget cached results (tests, ``setting_changed``)."""
    _state.report = None


def _record_metrics(results: tuple[CheckResult, ...]) -> None:
    from .metrics import record

    record(results)
