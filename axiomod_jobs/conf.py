"""``AXIOMOD["jobs"]``: the Celery app, its broker and the RedBeat schedule."""

from __future__ import annotations

import dataclasses
import difflib
import zoneinfo
from collections.abc import Iterable
from typing import Any

from axiomod.conf import Section, setting


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a known time zone"
    return None


def broker_schemes() -> list[str] | None:
    """The URL schemes Celery's broker connection (kombu) has a transport for, or None.

    Read from ``kombu.transport.TRANSPORT_ALIASES``, the table kombu itself resolves a
    URL's scheme with, rather than a list kept here: it follows the installed kombu
    (``pgmq``, ``gcpubsub`` came with recent releases) and any alias a plug-in adds.
    None when kombu is not installed (no ``jobs`` extra): nothing can use the broker
    then, and the app says which extra to install.
    """
    try:
        from kombu.transport import TRANSPORT_ALIASES
    except ImportError:
        return None
    return sorted(TRANSPORT_ALIASES)


def _broker_url(value: str) -> str | None:
    """Why ``value`` cannot be a Celery broker URL, or None.

    kombu reads a string without ``://`` as the host name of an AMQP broker
    (``"garbage"`` -> ``amqp://garbage``) and an unknown scheme only fails when a worker
    or ``.delay()`` connects; both pass ``manage.py check`` unless refused here. Every
    URL of a failover list (``a://...;b://...``) is checked, and ``transport+url`` forms
    (``redis+socket://``, ``sqla+postgresql://``) by their transport, as kombu parses
    them. The value is never quoted back: broker URLs carry passwords.
    """
    schemes = broker_schemes()
    if schemes is None:
        return None
    valid = f"valid schemes: {', '.join(schemes)}"
    for url in value.split(";"):
        url = url.strip()
        if "://" not in url:
            return (
                "not a broker URL (expected <scheme>://[user:password@]host[:port]/..., "
                f"such as redis://localhost:6379/0); {valid}"
            )
        head = url[: url.index("://")]
        # kombu: "transport+url" names the transport before the "+"; otherwise the
        # URL's scheme, lowercased as kombu's urlparse does (not urlsplit itself here:
        # it raises on a malformed host, and a check must report, not crash).
        scheme = head.split("+", 1)[0] if "+" in head else head.lower()
        if scheme not in schemes:
            close = difflib.get_close_matches(scheme, schemes, n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            return f"scheme {scheme!r} is not one of kombu's transports{guess}; {valid}"
    return None


@dataclasses.dataclass(frozen=True)
class ScheduleEntry(Section):
    """One periodic job: a cron expression or a fixed interval."""

    title = "Jobs schedule entry"

    task: str = setting(required=True, doc="Registered task name.")
    cron: str | None = setting(None, doc="Five-field cron expression, e.g. ``0 3 * * *``.")
    every: float | None = setting(None, doc="Interval in seconds.", min=0.0, min_exclusive=True)
    args: tuple[Any, ...] = setting((), doc="Positional arguments.")
    kwargs: dict[str, Any] = setting({}, doc="Keyword arguments.")
    timezone: str | None = setting(None, doc="Time zone of the cron expression.", check=_timezone)
    queue: str | None = setting(None, doc="Queue the job is sent to.")

    def validate(self) -> Iterable[tuple[str, str]]:
        if (self.cron is None) == (self.every is None):
            yield ("cron", "set exactly one of cron and every")
        elif self.cron is not None and len(self.cron.split()) != 5:
            yield ("cron", f"{self.cron!r} must have five fields (minute hour day month weekday)")


@dataclasses.dataclass(frozen=True)
class JobsSettings(Section):
    """Celery workers and beat, read by ``axiomod_jobs``."""

    title = "Jobs"
    app = "axiomod_jobs"
    key = "jobs"

    broker_url: str | None = setting(
        None,
        doc="Celery broker URL (``redis://``, ``rediss://``, ``amqp://``, ``sqs://`` or "
        "another scheme kombu has a transport for); None runs jobs eagerly in-process.",
        env="CELERY_BROKER_URL",
        check=_broker_url,
    )
    result_backend: str | None = setting(
        None, doc="Celery result backend.", env="CELERY_RESULT_BACKEND"
    )
    default_queue: str = setting("default", doc="Queue of jobs that name none.")
    timezone: str = setting("UTC", doc="Time zone of cron schedules.", check=_timezone)
    time_limit: float | None = setting(
        300.0, doc="Hard time limit per job, in seconds.", min=0.0, min_exclusive=True
    )
    soft_time_limit: float | None = setting(
        None, doc="Soft time limit (raises in the job), in seconds.", min=0.0, min_exclusive=True
    )
    concurrency: int | None = setting(
        None, doc="Worker processes; None uses the CPU count.", min=1, go_key="worker.concurrency"
    )
    prefetch_multiplier: int = setting(
        1,
        doc="Messages each worker process reserves; 1 keeps unstarted jobs in the broker "
        "for other workers (and for after a shutdown).",
        min=1,
    )
    visibility_timeout: float = setting(
        3600.0,
        doc="Redis/SQS brokers: seconds before a job taken by a worker that died is "
        "delivered again. Keep it above the longest job (and countdown/ETA).",
        min=0.0,
        min_exclusive=True,
    )
    beat_max_interval: float = setting(
        5.0,
        doc="Longest sleep of beat between two looks at the schedule; a standby beat "
        "tries to take the lock this often.",
        min=0.0,
        min_exclusive=True,
    )
    beat_lock_timeout: float | None = setting(
        None,
        doc="Seconds the RedBeat lock outlives a beat that stopped renewing it (a hard-"
        "killed beat); None is five times beat_max_interval.",
        min=0.0,
        min_exclusive=True,
    )
    schedule: dict[str, ScheduleEntry] = setting({}, doc="Periodic jobs by name.")

    def validate(self) -> Iterable[tuple[str, str]]:
        if (
            self.time_limit is not None
            and self.soft_time_limit is not None
            and self.soft_time_limit >= self.time_limit
        ):
            yield ("soft_time_limit", "must be shorter than time_limit")
        if self.beat_lock_timeout is not None and self.beat_lock_timeout <= self.beat_max_interval:
            yield ("beat_lock_timeout", "must be longer than beat_max_interval")


#: The sections this app adds to ``AXIOMOD`` (found by :mod:`axiomod.conf.registry`).
AXIOMOD_SECTIONS = (JobsSettings,)
