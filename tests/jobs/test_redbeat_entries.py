"""Schedule entries as RedBeat stores them in a real Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import Celery

from axiomod_jobs import celery_config
from axiomod_jobs.beat import ZonedEntry, last_run_times
from axiomod_jobs.schedules import ZonedCrontab, parse_schedule
from tests.jobs.test_units import jobs_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def app(jobs_redis):
    app = Celery("entries", set_as_current=False)
    app.conf.update(celery_config(jobs_settings({"broker_url": jobs_redis.broker}), "entries"))
    return app


def test_zoned_crontab_keeps_its_zone_in_redis(app):
    nightly = ZonedEntry(
        name="nightly",
        task="billing.close",
        schedule=parse_schedule("30 2 * * *", "America/New_York", app=app),
        args=[1],
        app=app,
    ).save()
    loaded = ZonedEntry.from_key(nightly.key, app=app)
    assert isinstance(loaded.schedule, ZonedCrontab)
    assert loaded.schedule.timezone == "America/New_York"
    assert loaded.schedule.hour == {2} and loaded.schedule.minute == {30}
    assert loaded.args == [1]
    # Due at 02:30 New York time, whatever the app's zone (UTC here). RedBeat's due_at
    # adds a now-relative estimate to the last run, so it is early by the test's runtime.
    local = loaded.due_at.astimezone(loaded.schedule.tz)
    slot = (local + dt.timedelta(seconds=5)).replace(second=0, microsecond=0)
    assert (slot.hour, slot.minute) == (2, 30)
    assert abs((slot - local).total_seconds()) < 5


def test_plain_entries_still_load(app):
    every = ZonedEntry(name="often", task="t", schedule=parse_schedule(15, app=app), app=app).save()
    loaded = ZonedEntry.from_key(every.key, app=app)
    assert loaded.schedule.run_every == dt.timedelta(seconds=15)
    assert last_run_times(app, ["often", "missing"])["missing"] is None
    assert last_run_times(app, ["often"])["often"] is not None  # stored with its start time
