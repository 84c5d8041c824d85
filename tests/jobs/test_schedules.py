"""Schedule parsing and next-run arithmetic (no broker)."""

from __future__ import annotations

import datetime as dt
import pickle
import zoneinfo

import pytest
from celery.schedules import crontab, schedule

from axiomod_jobs.schedules import (
    ScheduleError,
    ZonedCrontab,
    describe,
    next_run,
    parse_schedule,
)

UTC = dt.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_cron_expression_becomes_a_crontab_with_every_field():
    parsed = parse_schedule("*/5 3 1-7 1,6 mon")
    assert isinstance(parsed, crontab) and not isinstance(parsed, ZonedCrontab)
    assert parsed.minute == set(range(0, 60, 5))
    assert parsed.hour == {3}
    assert parsed.day_of_month == set(range(1, 8))
    assert parsed.month_of_year == {1, 6}
    assert parsed.day_of_week == {1}
    assert describe(parsed) == "*/5 3 1-7 1,6 mon"


@pytest.mark.parametrize("seconds", [5, 2.5, dt.timedelta(minutes=1)])
def test_interval_in_seconds_or_timedelta(seconds):
    parsed = parse_schedule(seconds)
    assert isinstance(parsed, schedule)
    expected = seconds if isinstance(seconds, dt.timedelta) else dt.timedelta(seconds=seconds)
    assert parsed.run_every == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("* * * *", "must have five fields"),
        ("* * * * * *", "must have five fields"),
        ("61 * * * *", "bad minute field '61'"),
        ("* 24 * * *", "bad hour field '24'"),
        ("* * 0 * *", "bad day of month field '0'"),
        ("* * * 13 *", "bad month field '13'"),
        ("* * * * funday", "bad day of week field 'funday'"),
        ("*/x * * * *", "bad minute field"),
        ("0 0 31 2 *", "day_of_month '31' never occurs in month_of_year '2'"),
        (0, "must be positive"),
        (-3, "must be positive"),
        (True, "neither a cron expression nor an interval"),
        ([5], "neither a cron expression nor an interval"),
    ],
)
def test_bad_schedules_say_what_is_wrong(value, problem):
    with pytest.raises(ScheduleError, match=problem.replace("*", r"\*")):
        parse_schedule(value)


def test_unknown_time_zone_is_refused():
    with pytest.raises(ScheduleError, match="'Mars/Olympus' is not a known time zone"):
        parse_schedule("0 3 * * *", "Mars/Olympus")


def test_zoned_crontab_fires_at_local_time_across_the_dst_change():
    daily = parse_schedule("0 3 * * *", "Europe/Paris")
    assert isinstance(daily, ZonedCrontab)
    # Summer (UTC+2): 03:00 in Paris is 01:00 UTC.
    summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_run(daily, None, summer) == dt.datetime(2026, 7, 2, 1, 0, tzinfo=UTC)
    # Winter (UTC+1): 02:00 UTC. The schedule follows the wall clock, not a fixed offset.
    winter = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert next_run(daily, None, winter) == dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    # The night of the change (25 Oct 2026, 03:00 CEST -> 02:00 CET).
    before = dt.datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    assert next_run(daily, None, before).astimezone(PARIS).hour == 3


def test_unzoned_crontab_uses_utc_here():
    daily = parse_schedule("0 3 * * *")
    now = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_run(daily, None, now) == dt.datetime(2026, 7, 2, 3, 0, tzinfo=UTC)


def test_next_run_of_an_interval_counts_from_the_last_run():
    every = parse_schedule(30)
    now = dt.datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
    assert next_run(every, None, now) == now + dt.timedelta(seconds=30)  # Celery's rule
    last = now - dt.timedelta(seconds=10)
    assert next_run(every, last, now) == now + dt.timedelta(seconds=20)
    assert next_run(every, now - dt.timedelta(hours=1), now) == now  # overdue: now


def test_next_run_of_a_crontab_after_its_last_run():
    five = parse_schedule("*/5 * * * *")
    now = dt.datetime(2026, 7, 1, 12, 2, 30, tzinfo=UTC)
    assert next_run(five, dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC), now) == dt.datetime(
        2026, 7, 1, 12, 5, tzinfo=UTC
    )


def test_zoned_crontab_survives_pickling_and_compares_by_zone():
    paris = parse_schedule("0 3 * * *", "Europe/Paris")
    copy = pickle.loads(pickle.dumps(paris))
    assert copy == paris and copy.timezone == "Europe/Paris"
    assert copy != parse_schedule("0 3 * * *", "Europe/Berlin")
    assert describe(copy) == "0 3 * * * (Europe/Paris)"
    assert describe(parse_schedule(90)) == "every 90s"
