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


# -- broker_url: a scheme kombu has a transport for ---------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "rediss://:secret@cache.internal:6380/1",
        "redis+socket:///run/redis.sock",
        "sentinel://s1:26379;sentinel://s2:26379",
        "amqp://guest:guest@localhost:5672//",
        "amqps://mq.internal//",
        "SQS://",
        "sqla+postgresql://user@db/jobs",
        "memory://localhost/",
        "filesystem://",
    ],
)
def test_broker_urls_of_kombu_transports_are_accepted(url):
    assert messages({"broker_url": url}) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        # kombu would read this as the host name of an AMQP broker.
        ("garbage", "not a broker URL (expected <scheme>://"),
        ("reddis://:hunter2@cache:6379/0", "scheme 'reddis' is not one of kombu's transports"),
        ("redis://a:6379;rdis://b:6379", "scheme 'rdis' is not one of kombu's transports"),
        ("redis-sentinel://s1:26379", "(did you mean 'sentinel'?)"),
        ("http://broker.internal/", "scheme 'http'"),
    ],
)
def test_broker_url_needs_a_transport_scheme(url, problem):
    (message,) = messages({"broker_url": url})
    assert message.startswith('AXIOMOD["jobs"]["broker_url"]: ')
    assert problem in message
    assert "valid schemes: " in message and "redis, rediss" in message and "amqp" in message
    assert "hunter2" not in message  # broker URLs carry passwords: never quoted back


def test_a_bad_celery_broker_url_variable_is_named():
    errors = validate({}, {"CELERY_BROKER_URL": "garbage"}).errors["jobs"]
    (error,) = errors
    assert error.env == "CELERY_BROKER_URL"
    assert str(error).startswith(
        'CELERY_BROKER_URL (default of AXIOMOD["jobs"]["broker_url"]): not a broker URL'
    )
