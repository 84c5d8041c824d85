"""Job metrics from Celery's task signals, recorded through ``axiomod_metrics``.

* ``jobs_processed_total{job,status}``: each run by outcome: ``success``, ``failure``
  (raised and not retried, or killed by the time limit), ``retry`` (raised and queued
  again).
* ``job_duration_seconds{job}``: time in the job's function, whatever the outcome.
* ``jobs_in_progress{job}``: jobs running now (a ``livesum`` gauge: with
  ``PROMETHEUS_MULTIPROC_DIR`` set, a prefork child that dies takes its share with it).

Recorded in the process that runs the job (a prefork child), except a hard time-limit
kill, which the worker's main process reports. Without ``axiomod_metrics`` installed,
nothing is connected. Label children are cached per job name, so a run costs two dict
lookups, three ``inc``/``dec`` and one ``observe``.

django-prometheus and celery-exporter were looked at: the first has no Celery metrics,
the second is a separate process reading Celery events (which workers must be told to
send, ``-E``) and cannot see in-process durations per prefork child.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from celery import signals
from django.apps import apps

__all__ = ["connect", "disconnect"]

_started: dict[str, float] = {}


@functools.cache
def _families() -> dict[str, Any]:
    from axiomod_metrics import counter, gauge, histogram

    return {
        "processed": counter("jobs_processed_total", "Job runs, by outcome.", ["job", "status"]),
        "seconds": histogram("job_duration_seconds", "Time spent running a job.", ["job"]),
        "running": gauge("jobs_in_progress", "Jobs running now.", ["job"]),
    }


@functools.lru_cache(maxsize=4096)
def _child(family: str, *labels: str) -> Any:
    return _families()[family].labels(*labels)


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


def connect() -> bool:
    """Record job metrics in this process (no-op without ``axiomod_metrics``)."""
    if not apps.is_installed("axiomod_metrics"):
        return False
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False, dispatch_uid=f"axiomod_jobs.{receiver.__name__}")
    return True


def disconnect() -> None:
    for signal, receiver in _RECEIVERS:
        signal.disconnect(receiver, dispatch_uid=f"axiomod_jobs.{receiver.__name__}")
