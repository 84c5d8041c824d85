"""Readiness state: cached results, one in-flight run, optional background refresh, draining.

A probe storm (several kubelets, a load balancer, a dashboard) must not turn into a
database ping per request: results are reused for ``cache_ttl`` seconds, and one probe
(the leader) runs the checks when they are older. The probes that arrive during its run
do not wait for it: each of them holds a server thread (a gthread worker has a few), and
waiting up to the largest check timeout behind hanging dependencies held every thread,
so ``/live`` queued behind them past Kubernetes' 1 s liveness timeout. They answer from
the last report at once; before the first report exists they wait at most
:data:`IN_FLIGHT_WAIT` and then answer DOWN, "checks in progress". In background mode a
thread refreshes every ``interval`` seconds and probes only read. All of it is per
process (each gunicorn worker keeps its own state).
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

#: Seconds a probe that finds a run in flight waits for it when there is no earlier
#: report to answer from (the first probes after start-up): long enough for checks that
#: answer at once, short enough that a storm of such probes leaves threads free.
IN_FLIGHT_WAIT = 0.05
IN_PROGRESS = "checks in progress"

logger = logging.getLogger("axiomod.health")


@dataclasses.dataclass(frozen=True)
class Report:
    status: str  # UP, DOWN or DEGRADED
    results: tuple[CheckResult, ...]
    computed_at: float  # time.monotonic()
    timestamp: str  # ISO 8601, UTC
    detail: str | None = None  # why there are no results (IN_PROGRESS)

    @property
    def ready(self) -> bool:
        return self.status != DOWN


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
            _now_iso(),
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
            return self._follow(event)
        try:
            return self.run()
        finally:
            with self.lock:
                self.in_flight = None
            event.set()

    def _follow(self, event: threading.Event) -> Report:
        """The answer of a probe that found another probe's run in flight.

        Never the run's own wait (up to the largest check timeout): the last report if
        there is one, however old (it is at most one run older than a fresh one, and the
        leader's answer will replace it), else the run's result if it ends within
        :data:`IN_FLIGHT_WAIT`, else DOWN with :data:`IN_PROGRESS`.
        """
        report = self.report
        if report is None:
            event.wait(IN_FLIGHT_WAIT)
            report = self.report
        if report is not None:
            return report
        return Report(DOWN, (), time.monotonic(), _now_iso(), detail=IN_PROGRESS)

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
