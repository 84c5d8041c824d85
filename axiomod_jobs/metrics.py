"""Job metrics from Celery's task signals, recorded through ``axiomod_metrics``.

* ``jobs_processed_total{job,status}``: each run by outcome: ``success``, ``failure``
  (raised and not retried, or killed by the time limit), ``retry`` (raised and queued
  again).
* ``job_duration_seconds{job}``: time in the job's function, whatever the outcome.
* ``jobs_in_progress{job}``: jobs running now (a ``livesum`` gauge: with
  ``PROMETHEUS_MULTIPROC_DIR`` set, a prefork child that dies takes its share with it).

Recorded in the process that runs the job (a prefork child), except a hard time-limit
kill, which the worker's main process reports. Declared on the kernel's
:mod:`axiomod.instruments`: recorded when ``axiomod_metrics`` supplies the backend,
no-ops without it (the receivers stay connected: the app need not know which app
records metrics, and a no-op run costs about a microsecond next to Celery's own
milliseconds). Label children are cached per job name, so a run costs two dict lookups,
three ``inc``/``dec`` and one ``observe``.

django-prometheus and celery-exporter were looked at: the first has no Celery metrics,
the second is a separate process reading Celery events (which workers must be told to
send, ``-E``) and cannot see in-process durations per prefork child.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from celery import signals

from axiomod import instruments

__all__ = ["connect", "disconnect"]

_started: dict[str, float] = {}


PROCESSED = instruments.counter("jobs_processed_total", "Job runs, by outcome.", ["job", "status"])
SECONDS = instruments.histogram("job_duration_seconds", "Time spent running a job.", ["job"])
RUNNING = instruments.gauge("jobs_in_progress", "Jobs running now.", ["job"])
_FAMILIES = {"processed": PROCESSED, "seconds": SECONDS, "running": RUNNING}


@functools.lru_cache(maxsize=4096)
def _child(family: str, *labels: str) -> Any:
    return _FAMILIES[family].labels(*labels)


def _name(sender: Any, kwargs: dict[str, Any]) -> str:
    task = sender if sender is not None else kwargs.get("task")
    return getattr(task, "name", None) or str(task)


def _prerun(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    if task_id is not None:
        _started[task_id] = time.perf_counter()
    _child("running", _name(sender, kwargs)).inc()


def _postrun(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    name = _name(sender, kwargs)
    started = _started.pop(task_id, None) if task_id is not None else None
    if started is not None:
        _child("seconds", name).observe(time.perf_counter() - started)
    _child("running", name).dec()


def _success(sender: Any = None, **kwargs: Any) -> None:
    _child("processed", _name(sender, kwargs), "success").inc()


def _failure(sender: Any = None, **kwargs: Any) -> None:
    _child("processed", _name(sender, kwargs), "failure").inc()


def _retry(sender: Any = None, request: Any = None, **kwargs: Any) -> None:
    _child("processed", _name(sender, kwargs), "retry").inc()


_RECEIVERS = (
    (signals.task_prerun, _prerun),
    (signals.task_postrun, _postrun),
    (signals.task_success, _success),
    (signals.task_failure, _failure),
    (signals.task_retry, _retry),
)


def connect() -> None:
    """Record job metrics in this process (no-ops until a metrics backend is set)."""
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False, dispatch_uid=f"axiomod_jobs.{receiver.__name__}")


def disconnect() -> None:
    for signal, receiver in _RECEIVERS:
        signal.disconnect(receiver, dispatch_uid=f"axiomod_jobs.{receiver.__name__}")
