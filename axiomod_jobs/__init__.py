"""Background jobs for axiomod services: Celery workers and RedBeat cron schedules.

Configured by ``AXIOMOD["jobs"]`` (:class:`axiomod_jobs.conf.JobsSettings`).
Needs the ``jobs`` extra. Public API (imported lazily, so reading ``AXIOMOD`` never
needs Celery)::

    # myservice/celery.py
    from axiomod_jobs import create_app
    app = create_app("myservice")

    # <app>/jobs.py
    from axiomod_jobs import job

    @job(name="billing.close_day", schedule="0 3 * * *", timeout=600, retries=3)
    def close_day():
        ...

Workers and beat run with Celery's commands (``celery -A myservice worker``,
``celery -A myservice beat``); ``python manage.py axiomod_jobs list`` shows the jobs and
their next runs, ``axiomod_jobs run NAME`` enqueues one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from axiomod.lazy import lazy_exports

if TYPE_CHECKING:
    from .factory import beat_schedule, celery_config, create_app
    from .registry import Job, JobRegistry, job
    from .schedules import ScheduleError, parse_schedule

_WHERE = {
    "Job": "registry",
    "JobRegistry": "registry",
    "ScheduleError": "schedules",
    "beat_schedule": "factory",
    "celery_config": "factory",
    "create_app": "factory",
    "job": "registry",
    "parse_schedule": "schedules",
}
__all__ = [
    "Job",
    "JobRegistry",
    "ScheduleError",
    "beat_schedule",
    "celery_config",
    "create_app",
    "job",
    "parse_schedule",
]

__getattr__ = lazy_exports(__name__, _WHERE)
