"""``create_app()``: the Celery app of a service, configured from ``AXIOMOD["jobs"]``.

The project's ``celery.py`` becomes::

    import os
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myservice.settings")

    from axiomod_jobs import create_app

    app = create_app("myservice")

and the project's ``__init__.py`` imports it (``from .celery import app``), as in Celery's
Django guide, so ``@shared_task`` and ``@job`` bind to it in every process.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery

from axiomod.conf import settings

from . import schedules
from .registry import registry

__all__ = ["beat_schedule", "celery_config", "create_app", "is_redis"]

logger = logging.getLogger("axiomod.jobs")

REDIS_SCHEMES = ("redis://", "rediss://", "redis+socket://", "redis-sentinel://")


def is_redis(url: str | None) -> bool:
    return bool(url) and url.startswith(REDIS_SCHEMES)  # type: ignore[union-attr]


def celery_config(jobs: Any = None, service_name: str | None = None) -> dict[str, Any]:
    """Celery settings (lowercase names) for ``AXIOMOD["jobs"]``.

    The defaults are the ones Celery's own docs recommend for work that must not be lost:
    the message is acknowledged after the job ran (``task_acks_late``), a job whose
    process died is put back (``task_reject_on_worker_lost``), and each process reserves
    one message, so unstarted jobs stay in the broker for other workers and survive a
    shutdown.
    """
    jobs = jobs if jobs is not None else settings.jobs
    service = service_name or settings.service_name
    config: dict[str, Any] = {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": jobs.prefetch_multiplier,
        "task_time_limit": jobs.time_limit,
        "task_soft_time_limit": jobs.soft_time_limit,
        "task_default_queue": jobs.default_queue,
        "task_routes": ("axiomod_jobs.registry.route",),
        "timezone": jobs.timezone,
        "enable_utc": True,
        # A worker that starts before the broker is up waits for it.
        "broker_connection_retry_on_startup": True,
        # When the broker connection drops, running jobs finish instead of being killed:
        # either way an unacknowledged job is delivered again (at least once), and this
        # way no finished work is thrown away. Named, so Celery does not warn at start.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        # Beat: the schedule is read often and a standby beat checks the lock as often.
        "beat_max_loop_interval": jobs.beat_max_interval,
        "worker_hijack_root_logger": False,
    }
    if jobs.concurrency is not None:
        config["worker_concurrency"] = jobs.concurrency
    if jobs.broker_url is None:
        # Embedded default: jobs run where .delay() is called; nothing connects anywhere.
        # A failing job is logged and kept in its result, not raised into the caller:
        # enqueuing does not fail because the job did, as with a broker.
        config.update(
            broker_url="memory://localhost/",
            task_always_eager=True,
            task_eager_propagates=False,
            task_store_eager_result=False,
            result_backend=None,
        )
        return config
    config["broker_url"] = jobs.broker_url
    config["result_backend"] = jobs.result_backend
    config["broker_transport_options"] = {
        "visibility_timeout": jobs.visibility_timeout,
        # Redis transport: look for jobs of dead workers every 10 s. kombu's defaults scan
        # on every 10th 10 s tick, so a job could wait 100 s past its visibility timeout.
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    if jobs.result_backend and is_redis(jobs.result_backend):
        config["result_backend_transport_options"] = {"visibility_timeout": jobs.visibility_timeout}
    if is_redis(jobs.broker_url):
        config.update(
            beat_scheduler="axiomod_jobs.beat:RedBeatScheduler",
            redbeat_redis_url=jobs.broker_url,
            redbeat_key_prefix=f"redbeat:{service}:",
            # Named, so RedBeat stops borrowing broker_transport_options (deprecated).
            redbeat_redis_options={},
            redbeat_lock_timeout=int(jobs.beat_lock_timeout or jobs.beat_max_interval * 5),
        )
    else:
        config["beat_scheduler"] = "axiomod_jobs.beat:PersistentScheduler"
    return config


def beat_schedule(app: Any = None, jobs: Any = None) -> dict[str, dict[str, Any]]:
    """Celery ``beat_schedule`` entries: scheduled ``@job`` functions, then the settings'.

    An entry of ``AXIOMOD["jobs"]["schedule"]`` with the name of a decorated job
    replaces the decorator's schedule (settings are the operator's word). Entries that
    cannot be parsed are left out and logged; ``manage.py check`` reports them.
    """
    jobs = jobs if jobs is not None else settings.jobs
    entries: dict[str, dict[str, Any]] = {}

    def add(name: str, task: str, value: Any, timezone: str | None, **extra: Any) -> None:
        try:
            parsed = schedules.parse_schedule(value, timezone, app=app)
        except schedules.ScheduleError as exc:
            logger.error("schedule %r left out: %s", name, exc)
            return
        entries[name] = {"task": task, "schedule": parsed, **extra}

    for entry in registry.scheduled():
        options = {"queue": entry.queue} if entry.queue else {}
        add(
            entry.name,
            entry.name,
            entry.schedule,
            entry.timezone,
            args=entry.args,
            kwargs=entry.kwargs,
            options=options,
        )
    for name, entry in jobs.schedule.items():
        options = {"queue": entry.queue} if entry.queue else {}
        value = entry.cron if entry.cron is not None else entry.every
        add(
            name,
            entry.task,
            value,
            entry.timezone,
            args=tuple(entry.args),
            kwargs=dict(entry.kwargs),
            options=options,
        )
    return entries


def create_app(main: str | None = None, **options: Any) -> Celery:
    """A Celery app configured from ``AXIOMOD["jobs"]``, finding ``tasks.py`` and ``jobs.py``.

    ``options`` go to :class:`celery.Celery`. The configuration is read when the app
    first needs it (Celery's ``add_defaults``), not here: the project package imports
    its ``celery.py`` while Django is still importing the settings module. Anything the
    project sets itself (``app.conf.update(...)``, ``config_from_object``) wins over
    these defaults. ``beat_schedule`` is filled when the app is finalized after Django's
    apps (and so the ``@job`` modules) are loaded; axiomod's schedulers rebuild it at
    start-up in any case.
    """
    app = Celery(main, **options)

    def defaults() -> dict[str, Any]:
        config = celery_config()
        if config.get("task_always_eager"):
            logger.warning(
                'AXIOMOD["jobs"]["broker_url"] is not set: jobs run eagerly, in the process '
                "that enqueues them (no worker, no beat). Set it (or CELERY_BROKER_URL) to "
                "use a broker."
            )
        return config

    app.add_defaults(defaults)
    app.autodiscover_tasks()
    app.autodiscover_tasks(related_name="jobs")

    def fill_schedule(**kwargs: Any) -> None:
        from django.apps import apps

        if apps.ready:
            app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **beat_schedule(app)}

    app.on_after_finalize.connect(fill_schedule, weak=False)
    return app
