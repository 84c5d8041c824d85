"""Jobs: ``@job(name=..., schedule=..., timeout=..., retries=..., queue=...)`` in ``<app>/jobs.py``.

A job is a Celery shared task with production options, plus what beat needs to run it
periodically. The ``jobs`` modules are imported by ``autodiscover()`` from the app's
``ready()`` (Django's ``autodiscover_modules``, as for admin modules); Celery's own
``app.autodiscover_tasks()`` still finds ``tasks.py`` and plain ``@shared_task``
functions work alongside. Registration only records: a bad schedule is reported by
``manage.py check`` (axiomod.E050) naming the job, not raised at import time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "JobRegistry", "autodiscover", "job", "registry", "route"]

#: Hard limit added to a job's ``timeout`` (its soft limit), so the job can clean up
#: after ``SoftTimeLimitExceeded`` before the pool kills its process.
TIMEOUT_GRACE = 5.0


@dataclass(frozen=True)
class Job:
    """One registered job: its task name and how beat schedules it (if it does)."""

    name: str
    func: Callable[..., Any] = field(compare=False)
    schedule: str | float | dt.timedelta | None = None
    timezone: str | None = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict, compare=False)
    timeout: float | None = None
    retries: int = 0
    queue: str | None = None

    @property
    def location(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


class JobRegistry:
    """Every job registered with ``@job``, by name."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._duplicates: list[tuple[Job, Job]] = []
        self._lock = threading.Lock()

    def register(self, entry: Job) -> None:
        with self._lock:
            known = self._jobs.get(entry.name)
            if known is None:
                self._jobs[entry.name] = entry
            elif known.location != entry.location:  # a module imported twice is fine
                self._duplicates.append((known, entry))

    def unregister(self, name: str) -> None:
        with self._lock:
            self._jobs.pop(name, None)
            self._duplicates = [d for d in self._duplicates if d[0].name != name]

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def get(self, name: str) -> Job | None:
        return self._jobs.get(name)

    def scheduled(self) -> list[Job]:
        return [entry for entry in self if entry.schedule is not None]

    def duplicates(self) -> list[tuple[Job, Job]]:
        """Pairs of different functions registered under one name (axiomod.E052)."""
        return list(self._duplicates)


registry = JobRegistry()


def job(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    schedule: str | float | dt.timedelta | None = None,
    timezone: str | None = None,
    args: tuple[Any, ...] | list[Any] = (),
    kwargs: dict[str, Any] | None = None,
    timeout: float | None = None,
    retries: int = 0,
    queue: str | None = None,
    registry: JobRegistry = registry,
    **task_options: Any,
) -> Any:
    """Register the decorated function as a Celery task and, with ``schedule``, a periodic job.

    * ``name``: the task name (default ``module.function``, Celery's rule). Schedules in
      ``AXIOMOD["jobs"]["schedule"]`` and ``manage.py axiomod_jobs run`` use it.
    * ``schedule``: a five-field cron expression (``"*/5 * * * *"``, in ``timezone`` or
      ``AXIOMOD["jobs"]["timezone"]``) or an interval in seconds; beat then enqueues it
      with ``args``/``kwargs``.
    * ``timeout``: seconds before ``SoftTimeLimitExceeded`` is raised in the job; the
      process is killed :data:`TIMEOUT_GRACE` seconds later (prefork pool). Default:
      ``AXIOMOD["jobs"]["time_limit"]``.
    * ``retries``: a job that raises is retried this many times with exponential backoff
      and jitter (Celery's ``autoretry_for``), then counted as a failure.
    * ``queue``: the queue it is sent to (default ``AXIOMOD["jobs"]["default_queue"]``).

    Other keyword arguments go to Celery's ``shared_task`` (``bind=True``, ``rate_limit``
    ...). Returns the task, so ``.delay()`` and ``.apply_async()`` work as usual.
    """

    def register(function: Callable[..., Any]) -> Any:
        from celery import shared_task

        options: dict[str, Any] = dict(task_options)
        if name is not None:
            options["name"] = name
        if timeout is not None:
            options.setdefault("soft_time_limit", timeout)
            options.setdefault("time_limit", timeout + TIMEOUT_GRACE)
        if retries:
            options.setdefault("autoretry_for", (Exception,))
            options.setdefault("max_retries", retries)
            options.setdefault("retry_backoff", True)
            options.setdefault("retry_jitter", True)
        else:
            options.setdefault("max_retries", 0)
        task = shared_task(**options)(function)
        registry.register(
            Job(
                name=options.get("name") or f"{function.__module__}.{function.__name__}",
                func=function,
                schedule=schedule,
                timezone=timezone,
                args=tuple(args),
                kwargs=dict(kwargs or {}),
                timeout=timeout,
                retries=retries,
                queue=queue,
            )
        )
        return task

    if func is not None:  # bare @job
        return register(func)
    return register


def route(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """Celery router (``task_routes``): a job's ``queue=``, else Celery's other routes.

    Celery 5.7 deprecates the task ``queue`` attribute in favour of ``task_routes``;
    ``create_app()`` installs this router first, so a queue given to ``@job`` wins.
    """
    entry = registry.get(name)
    if entry is not None and entry.queue:
        return {"queue": entry.queue}
    return None


def autodiscover() -> None:
    """Import ``jobs`` of every installed app (errors in them propagate, as in admin)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")
