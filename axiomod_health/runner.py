"""Running checks: concurrently, each under a timeout that axiomod enforces itself.

django-health-check 4.x wraps a check in ``asyncio.wait_for``, which cannot interrupt a
synchronous check (it keeps its executor thread) nor an ``async`` check that blocks the
event loop. Here every check runs in a daemon thread of its own and the run waits on the
futures with a deadline per check: whatever a check does, the run ends within the largest
timeout. (The probe itself waits for a run only until the first report exists; after
that it answers from the last report within ~50 ms, see ``state.py``.) A check still
running from an earlier run is not started again (it would pile up threads); it reports
DOWN until it returns.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent import futures

from django.db import connections
from health_check.exceptions import HealthCheckException

from .registry import CheckSpec

__all__ = ["CheckResult", "run_checks"]

logger = logging.getLogger("axiomod.health")

UP, DOWN = "UP", "DOWN"

_running_lock = threading.Lock()
_running: dict[str, futures.Future] = {}


def _after_fork_in_child() -> None:
    """A child inherits the parent's bookkeeping (maybe a held lock), not its threads."""
    global _running_lock
    _running_lock = threading.Lock()
    _running.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # UP or DOWN
    critical: bool
    duration: float  # seconds
    error: str | None
    checked_at: float  # time.time()


def _call(spec: CheckSpec) -> tuple[str | None, float]:
    """Run one check in a pool thread: (error text or None, seconds it took)."""
    start = time.perf_counter()
    try:
        run = spec.check.run
        if inspect.iscoroutinefunction(run):
            asyncio.run(run())
        else:
            run()
    except HealthCheckException as exc:
        return str(exc.message), time.perf_counter() - start
    except Exception as exc:  # a check's own bug is a failure, not a crash of the probe
        logger.warning("health check %s failed: %s: %s", spec.name, type(exc).__name__, exc)
        return f"{type(exc).__name__}: {exc}", time.perf_counter() - start
    finally:
        # Django connections are per thread: a pool thread must not keep one open.
        connections.close_all()
    return None, time.perf_counter() - start


def _submit(spec: CheckSpec) -> futures.Future | None:
    """Start ``spec`` in a daemon thread of its own; None while its last run still hangs.

    Not a ThreadPoolExecutor: its threads are joined at interpreter exit, so one hung
    check would hold a worker's shutdown for as long as it hangs. One thread per check
    run is cheap at probe rates (a run every ``cache_ttl``), and a hung check holds one
    thread, never more, since it is not started again until it returns.
    """
    with _running_lock:
        previous = _running.get(spec.name)
        if previous is not None and not previous.done():
            return None
        future: futures.Future = futures.Future()
        _running[spec.name] = future

    def target() -> None:
        future.set_result(_call(spec))

    threading.Thread(target=target, name=f"axiomod-health:{spec.name}", daemon=True).start()
    return future


def run_checks(specs: Sequence[CheckSpec], default_timeout: float) -> list[CheckResult]:
    """Run ``specs`` concurrently; return a result per spec, within the largest timeout."""
    started = time.monotonic()
    submitted: dict[futures.Future, CheckSpec] = {}
    results: dict[str, CheckResult] = {}
    for spec in specs:
        future = _submit(spec)
        if future is None:
            results[spec.name] = CheckResult(
                spec.name, DOWN, spec.critical, 0.0,
                "still running from an earlier probe (hung?)", time.time(),
            )  # fmt: skip
        else:
            submitted[future] = spec
    deadlines = {
        future: started + (spec.timeout or default_timeout) for future, spec in submitted.items()
    }
    pending = set(submitted)
    while pending:
        now = time.monotonic()
        expired = {f for f in pending if deadlines[f] <= now and not f.done()}
        for future in expired:
            spec = submitted[future]
            timeout = spec.timeout or default_timeout
            results[spec.name] = CheckResult(
                spec.name, DOWN, spec.critical, timeout, f"timed out after {timeout:g} s",
                time.time(),
            )  # fmt: skip
        pending -= expired
        if not pending:
            break
        done, pending = futures.wait(
            pending,
            timeout=max(0.0, min(deadlines[f] for f in pending) - time.monotonic()),
            return_when=futures.FIRST_COMPLETED,
        )
        for future in done:
            spec = submitted[future]
            error, seconds = future.result()
            status = UP if error is None else DOWN
            results[spec.name] = CheckResult(
                spec.name, status, spec.critical, seconds, error, time.time()
            )
    return [results[spec.name] for spec in specs]
