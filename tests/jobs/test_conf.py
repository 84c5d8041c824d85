"""``AXIOMOD["jobs"]`` validation."""

from __future__ import annotations

import pytest

from axiomod.conf import validate


def messages(raw):
    return [str(e) for errors in validate({"jobs": raw}, {}).errors.values() for e in errors]


def test_no_broker_means_eager_defaults():
    jobs = validate({}, {}).values["jobs"]
    assert jobs.broker_url is None
    assert jobs.timezone == "UTC"


def test_schedule_entries_are_typed():
    jobs = validate(
        {"jobs": {"schedule": {"nightly": {"task": "billing.close", "cron": "0 3 * * *"}}}}, {}
    ).values["jobs"]
    assert jobs.schedule["nightly"].cron == "0 3 * * *"
    assert jobs.schedule["nightly"].args == ()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"task": "t"}, "set exactly one of cron and every"),
        ({"task": "t", "cron": "0 3 * * *", "every": 5}, "set exactly one of cron and every"),
        ({"task": "t", "cron": "0 3 *"}, "must have five fields"),
        ({"task": "t", "every": 0}, "out of range"),
        ({"task": "t", "every": 5, "timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"cron": "* * * * *"}, "required setting is missing"),
    ],
)
def test_bad_schedule_entry_names_the_entry(entry, problem):
    (message,) = messages({"schedule": {"nightly": entry}})
    assert message.startswith('AXIOMOD["jobs"]["schedule"]["nightly"]')
    assert problem in message


def test_soft_limit_must_be_below_hard_limit():
    (message,) = messages({"time_limit": 10, "soft_time_limit": 20})
    assert "soft_time_limit" in message


def test_unknown_timezone():
    (message,) = messages({"timezone": "Europe/Atlantis"})
    assert "not a known time zone" in message
