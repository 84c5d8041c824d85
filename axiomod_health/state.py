"""Readiness state: cached results, one in-flight run, optional background refresh, draining.

A probe storm (several kubelets, a load balancer, a dashboard) must not turn into a
database ping per request: results are reused for ``cache_ttl`` seconds, and the probe
that finds them older starts one run of the checks, in a thread of its own. No probe
holds its server thread for long behind a run: a probe waited up to the largest check
timeout against hanging dependencies, and with a gthread worker's few threads (or a
sync worker's one) all held so, ``/live`` queued behind them for up to a second, which
is Kubernetes' default liveness timeout. Once a report exists, the probe that started
the run waits for it at most :data:`IN_FLIGHT_WAIT` (quick checks answer fresh, slow
ones leave the last report as the answer until the run ends), and probes arriving
during the run answer from the last report at once. Before the first report, the
probe that started the run waits for it (every check is bounded by its timeout), and
the others wait at most :data:`IN_FLIGHT_WAIT`, then answer DOWN, "checks in progress".
In background mode a thread refreshes every ``interval`` seconds and probes only read.
All of it is per process (each gunicorn worker keeps its own state).
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

#: Seconds a probe waits for a run of the checks it does not have to wait for (see the
#: module's docstring): long enough for checks that answer at once, short enough that
#: a storm of probes leaves server threads free.
IN_FLIGHT_WAIT = 0.05
IN_PROGRESS = "checks in progress"
NOT_RUN = "checks could not run (see the axiomod.health log)"

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


def _without_results(detail: str) -> Report:
    """DOWN with no check results, and ``detail`` saying why (no report exists yet)."""
    return Report(DOWN, (), time.monotonic(), _now_iso(), detail=detail)


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
        self.generation = 0  # bumped by reset(): a run started before does not store

    def run(self) -> Report:
        conf = settings.health
        generation = self.generation
        results = tuple(run_checks(configured_checks(), conf.check_timeout))
        report = Report(
            aggregate(results),
            results,
            time.monotonic(),
            _now_iso(),
        )
        _record_metrics(results)
        if generation == self.generation:
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
                threading.Thread(
                    target=self._run_in_flight, args=(event,), name="axiomod-health-run",
                    daemon=True,
                ).start()  # fmt: skip
        if report is None and leader:
            # The first report: nothing else to answer with. The run ends within the
            # largest check timeout (run_checks enforces it) and always sets the event.
            event.wait()
            return self.report or _without_results(NOT_RUN)
        if report is None:
            event.wait(IN_FLIGHT_WAIT)
            return self.report or _without_results(IN_PROGRESS)
        if leader:
            event.wait(IN_FLIGHT_WAIT)
        # However old: at most one run older than the fresh one, which replaces it.
        return self.report or report

    def _run_in_flight(self, event: threading.Event) -> None:
        """Run the checks for the probes (a thread of its own), then let them know."""
        try:
            self.run()
        except Exception:  # the probes answer from the last report, or NOT_RUN
            logger.exception("health checks could not run")
        finally:
            with self.lock:
                if self.in_flight is event:
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
    """Forget cached results (tests, ``setting_changed``); a run in flight stores nothing."""
    with _state.lock:
        _state.generation += 1
        _state.report = None
        _state.in_flight = None


def _record_metrics(results: tuple[CheckResult, ...]) -> None:
    from .metrics import record

    record(results)
