"""System checks of the jobs and their schedules, beyond what the settings schema validates.

* axiomod.E050: a schedule (an ``AXIOMOD["jobs"]["schedule"]`` entry or a job's
  ``schedule=``) is not a valid cron expression or interval, or names an unknown time
  zone; the message names the entry and the field.
* axiomod.E051: a schedule entry names a task that no installed app defines.
* axiomod.E052: two different functions are registered as jobs under one name.
* axiomod.W050: jobs name a ``queue=`` but the Celery app's ``task_routes`` (replaced by
  the project) no longer includes axiomod's router, so they go to the default queue.

E051 and W050 ask the Celery app (its tasks, its routes), which loads the app's
configuration; they are left out while ``AXIOMOD`` has errors that stop the configuration
from loading. The schema's checks (axiomod.E001-E004) name those errors, and E051/W050
run once they are fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from axiomod.checks import TAG
from axiomod.conf import settings

from .registry import registry
from .schedules import ScheduleError, parse_schedule

__all__ = ["check_jobs", "known_task_names"]


@register(TAG)
def check_jobs(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    jobs = settings.best_effort("jobs")
    messages = list(_registered())
    celery_ready = _celery_configurable()
    if jobs is not None:
        messages.extend(_settings_schedule(jobs, with_task_names=celery_ready))
    if celery_ready:
        messages.extend(_routes())
    return messages


def _celery_configurable() -> bool:
    """Whether the Celery app can load its configuration (``celery_config()``) now.

    Asking the Celery app for its tasks or routes finalizes it, which reads
    ``AXIOMOD["jobs"]`` and the top level through ``axiomod.conf.settings``; while either
    has errors that raises ImproperlyConfigured, and a traceback out of ``manage.py
    check`` would hide every error the schema reports (E001-E004, with their paths).
    Building the configuration dict has no side effect, unlike finalizing the app
    halfway, so it is tried first instead of catching the failure of the app.
    """
    from .factory import celery_config

    try:
        celery_config()
    except ImproperlyConfigured:
        return False
    return True


ROUTER = "axiomod_jobs.registry.route"


def _routes() -> Iterator[CheckMessage]:
    queued = [entry.name for entry in registry if entry.queue]
    if not queued:
        return
    from celery import current_app

    from .registry import route

    routes = current_app.conf.task_routes
    routes = routes if isinstance(routes, (list, tuple)) else [routes]
    if not any(r == ROUTER or r is route for r in routes):
        yield Warning(
            f"jobs {', '.join(sorted(queued))} name a queue=, but the Celery app's "
            "task_routes does not include axiomod's router: they go to the default queue.",
            hint=f'Keep "{ROUTER}" first when you set task_routes, e.g. '
            f'task_routes = ("{ROUTER}", your_routes).',
            id="axiomod.W050",
        )


def known_task_names() -> set[str]:
    """Task names of every installed app: ``@job``, ``@shared_task`` in ``tasks.py`` and jobs.

    Imports the ``tasks`` modules as Celery's ``autodiscover_tasks()`` would in a worker,
    then asks the current Celery app (the project's, when its package imports it).
    """
    from celery import current_app
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    return {name for name in current_app.tasks if not name.startswith("celery.")} | {
        entry.name for entry in registry
    }


def _registered() -> Iterator[CheckMessage]:
    for entry in registry.scheduled():
        try:
            parse_schedule(entry.schedule, entry.timezone)  # type: ignore[arg-type]
        except ScheduleError as exc:
            yield Error(
                f"job {entry.name!r} ({entry.location}): schedule: {exc}.",
                hint='Use a five-field cron expression such as "*/5 * * * *" or an '
                "interval in seconds.",
                id="axiomod.E050",
            )
    for first, second in registry.duplicates():
        yield Error(
            f"jobs {first.location} and {second.location} are both registered as {first.name!r}.",
            hint="Give one of them another name=.",
            id="axiomod.E052",
        )


def _settings_schedule(jobs: Any, *, with_task_names: bool) -> Iterator[CheckMessage]:
    """E050 for cron expressions the parser refuses, E051 for unknown tasks.

    ``jobs`` is the best-effort section: an entry the schema refused keeps the values
    that passed, so the checks here judge only what the schema could not (a field out
    of range, an unknown task); ``with_task_names`` is False when the Celery app cannot
    tell its tasks (see :func:`_celery_configurable`).
    """
    if not jobs.schedule:
        return
    names = known_task_names() if with_task_names else None
    # Entries the schema refused are reported there (E003 with the path); a second
    # message about the same cron expression would only repeat it.
    refused = {
        e.path[2] for e in settings.errors if e.path[:2] == ("jobs", "schedule") and len(e.path) > 2
    }
    for name, entry in jobs.schedule.items():
        where = f'AXIOMOD["jobs"]["schedule"]["{name}"]'
        if entry.cron is not None and name not in refused:
            try:
                parse_schedule(entry.cron, entry.timezone)
            except ScheduleError as exc:
                yield Error(f'{where}["cron"]: {exc}.', id="axiomod.E050")
        if names is not None and entry.task not in names:
            yield Error(
                f'{where}["task"]: no installed app defines a task named {entry.task!r}.',
                hint="Task names are @job(name=...) or the module path of a @shared_task "
                "function in an app's jobs.py or tasks.py.",
                id="axiomod.E051",
            )
