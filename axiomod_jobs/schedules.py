"""Schedules: five-field cron expressions and intervals, as Celery schedule objects.

Celery's ``crontab`` does the matching and the next-run arithmetic; what it lacks is a
time zone per schedule (it always uses the app's), so :class:`ZonedCrontab` carries one.
RedBeat stores a crontab without its zone; :mod:`axiomod_jobs.beat` stores it with it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from celery.schedules import ParseException, crontab, schedule

__all__ = ["ScheduleError", "ZonedCrontab", "describe", "next_run", "parse_schedule"]

#: The field names of a cron expression, in order, and Celery's names for them.
CRON_FIELDS = (
    ("minute", "minute"),
    ("hour", "hour"),
    ("day of month", "day_of_month"),
    ("month", "month_of_year"),
    ("day of week", "day_of_week"),
)


class ScheduleError(ValueError):
    """A cron expression, interval or time zone that cannot be scheduled."""


class ZonedCrontab(crontab):
    """A crontab evaluated in its own time zone (``0 3 * * *`` at 03:00 Europe/Paris).

    Celery's ``BaseSchedule.tz`` is a cached property read from the app; setting it on
    the instance makes ``remaining_delta`` (which converts ``now`` and ``last_run_at``
    into ``self.tz`` before matching fields) work in this zone, DST changes included.
    """

    def __init__(self, *args: Any, timezone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone = timezone
        self.__dict__["tz"] = zoneinfo.ZoneInfo(timezone)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_zoned, (self._orig_kwargs_for_reduce(), self.timezone))

    def _orig_kwargs_for_reduce(self) -> dict[str, Any]:
        return {
            "minute": self._orig_minute,
            "hour": self._orig_hour,
            "day_of_week": self._orig_day_of_week,
            "day_of_month": self._orig_day_of_month,
            "month_of_year": self._orig_month_of_year,
        }

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ZonedCrontab)
            and other.timezone == self.timezone
            and super().__eq__(other)
        )

    __hash__ = None  # type: ignore[assignment]  (mutable, like crontab)

    def __repr__(self) -> str:
        return f"<crontab: {self.expression} ({self.timezone})>"

    @property
    def expression(self) -> str:
        fields = self._orig_kwargs_for_reduce()
        return " ".join(str(fields[name]) for _, name in CRON_FIELDS)


def _zoned(fields: dict[str, Any], timezone: str) -> ZonedCrontab:
    return ZonedCrontab(timezone=timezone, **fields)


def _sentence(exc: Exception) -> str:
    """An exception's text without its final full stop (messages add their own)."""
    return str(exc).strip().rstrip(".")


def _zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"{name!r} is not a known time zone") from exc


def parse_cron(expression: str, timezone: str | None = None, *, app: Any = None) -> crontab:
    """``"*/5 * * * *"`` -> a crontab (zoned when ``timezone`` is given).

    Every field is parsed now, so a bad one is reported with its name instead of
    surfacing in beat at the first tick.
    """
    fields = expression.split()
    if len(fields) != len(CRON_FIELDS):
        raise ScheduleError(
            f"{expression!r} must have five fields (minute hour day-of-month month day-of-week)"
        )
    kwargs = {name: text for (_, name), text in zip(CRON_FIELDS, fields, strict=True)}
    for (label, name), text in zip(CRON_FIELDS, fields, strict=True):
        try:
            crontab(**{name: text})
        except (ParseException, ValueError, IndexError, KeyError) as exc:
            raise ScheduleError(
                f"{expression!r}: bad {label} field {text!r}: {_sentence(exc)}"
            ) from exc
    try:
        if timezone is not None:
            _zone(timezone)
            return ZonedCrontab(timezone=timezone, app=app, **kwargs)
        return crontab(app=app, **kwargs)
    except ValueError as exc:  # fields fine alone, never together: "0 0 31 2 *"
        raise ScheduleError(f"{expression!r}: {_sentence(exc)}") from exc


def parse_schedule(
    value: str | float | dt.timedelta, timezone: str | None = None, *, app: Any = None
) -> Any:
    """A cron expression (``str``) or an interval (seconds or ``timedelta``) as a schedule."""
    if isinstance(value, str):
        return parse_cron(value, timezone, app=app)
    if isinstance(value, bool) or not isinstance(value, (int, float, dt.timedelta)):
        raise ScheduleError(f"{value!r} is neither a cron expression nor an interval in seconds")
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    if seconds <= 0:
        raise ScheduleError(f"interval {value!r} must be positive")
    if timezone is not None:
        _zone(timezone)  # meaningless for an interval, but a typo is still a typo
    return schedule(run_every=dt.timedelta(seconds=seconds), app=app)


def describe(value: Any) -> str:
    """A schedule as a user wrote it: ``*/5 * * * *`` or ``every 30s``."""
    if isinstance(value, ZonedCrontab):
        return f"{value.expression} ({value.timezone})"
    if isinstance(value, crontab):
        return " ".join(str(getattr(value, f"_orig_{name}")) for _, name in CRON_FIELDS)
    if isinstance(value, schedule):
        seconds = value.run_every.total_seconds()
        return f"every {seconds:g}s"
    return str(value)


def next_run(value: Any, last_run_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When ``value`` fires next, given its last run.

    ``last_run_at`` None means beat has not stored the entry yet: Celery counts a new
    entry's last run from the moment beat stores it, so an interval first fires one
    interval after beat starts and a crontab at its next matching minute. An overdue
    entry fires now.
    """
    if isinstance(value, crontab):
        start, delta, _ = value.remaining_delta(last_run_at or now)
        due = start + delta
    else:
        due = (last_run_at or now) + value.run_every
    return max(now, due)
