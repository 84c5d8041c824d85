"""The job registry, the Celery settings mapping, the schedule merge and the checks."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import Celery, shared_task
from celery.schedules import crontab, schedule
from django.test import override_settings

from axiomod.conf import validate
from axiomod_jobs import Job, celery_config, create_app, job
from axiomod_jobs.checks import check_jobs
from axiomod_jobs.factory import beat_schedule
from axiomod_jobs.registry import TIMEOUT_GRACE, JobRegistry
from axiomod_jobs.schedules import ZonedCrontab


def jobs_settings(raw=None):
    result = validate({"jobs": raw or {}}, {})
    assert not any(result.errors.values()), result.errors
    return result.values["jobs"]


@pytest.fixture
def local_registry(monkeypatch):
    """A registry of this test's own, installed where the factory and checks read it."""
    fresh = JobRegistry()
    monkeypatch.setattr("axiomod_jobs.factory.registry", fresh)
    monkeypatch.setattr("axiomod_jobs.checks.registry", fresh)
    monkeypatch.setattr("axiomod_jobs.registry.registry", fresh)
    return fresh


# -- @job ---------------------------------------------------------------------------------


def test_job_is_a_celery_task_with_production_options(local_registry):
    @job(name="units.close_day", timeout=60, retries=3, queue="slow", registry=local_registry)
    def close_day(day):
        return f"closed {day}"

    app = Celery("units", set_as_current=False)
    task = app.tasks["units.close_day"]  # shared: bound to every app
    assert task.soft_time_limit == 60
    assert task.time_limit == 60 + TIMEOUT_GRACE
    assert task.max_retries == 3
    assert task.autoretry_for == (Exception,)
    assert task.retry_backoff is True and task.retry_jitter is True
    routed = Celery("routed", set_as_current=False)
    routed.conf.update(celery_config(jobs_settings(), "svc"))
    assert routed.amqp.router.route({}, "units.close_day")["queue"].name == "slow"
    assert routed.amqp.router.route({}, "units.other")["queue"].name == "default"
    assert task.run("monday") == "closed monday"
    entry = local_registry.get("units.close_day")
    assert entry.location.endswith("close_day")
    assert (entry.timeout, entry.retries, entry.queue, entry.schedule) == (60, 3, "slow", None)


def test_job_without_retries_is_not_retried_and_gets_celerys_default_name(local_registry):
    @job(registry=local_registry)
    def plain():
        return 1

    name = f"{__name__}.plain"
    assert name in local_registry
    task = Celery("units2", set_as_current=False).tasks[name]
    assert task.max_retries == 0
    assert not getattr(task, "autoretry_for", ())


def test_same_function_twice_is_one_job_two_functions_one_name_is_reported(local_registry):
    def first():
        return None

    def second():
        return None

    job(name="units.dup", registry=local_registry)(first)
    job(name="units.dup", registry=local_registry)(first)  # a module imported twice
    assert local_registry.duplicates() == []
    # Recorded directly: a second shared task under the name would stay in Celery's
    # process-wide list and warn at every app finalized later in the test run.
    local_registry.register(Job(name="units.dup", func=second))
    assert len(local_registry.duplicates()) == 1
    messages = check_jobs()
    (error,) = [m for m in messages if m.id == "axiomod.E052"]
    assert "'units.dup'" in error.msg and "first" in error.msg and "second" in error.msg


# -- settings mapping ---------------------------------------------------------------------


def test_no_broker_means_eager_and_nothing_to_connect_to():
    config = celery_config(jobs_settings(), "svc")
    assert config["task_always_eager"] is True
    assert config["task_eager_propagates"] is False  # .delay() does not raise the job's error
    assert config["broker_url"].startswith("memory://")
    assert "beat_scheduler" not in config


def test_redis_broker_gets_production_defaults_and_redbeat():
    config = celery_config(
        jobs_settings(
            {
                "broker_url": "redis://cache:6379/2",
                "result_backend": "redis://cache:6379/3",
                "time_limit": 120,
                "soft_time_limit": 100,
                "concurrency": 4,
                "visibility_timeout": 7200,
                "beat_max_interval": 10,
            }
        ),
        "invoices",
    )
    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["worker_prefetch_multiplier"] == 1
    assert config["task_serializer"] == "json" and config["accept_content"] == ["json"]
    assert (config["task_time_limit"], config["task_soft_time_limit"]) == (120, 100)
    assert config["worker_concurrency"] == 4
    assert config["broker_transport_options"]["visibility_timeout"] == 7200
    assert config["beat_scheduler"] == "axiomod_jobs.beat:RedBeatScheduler"
    assert config["redbeat_redis_url"] == "redis://cache:6379/2"
    assert config["redbeat_key_prefix"] == "redbeat:invoices:"
    assert config["redbeat_lock_timeout"] == 50  # five times beat_max_interval
    assert config["beat_max_loop_interval"] == 10
    assert "task_always_eager" not in config


def test_other_brokers_get_the_file_scheduler():
    config = celery_config(jobs_settings({"broker_url": "amqp://mq//"}), "svc")
    assert config["beat_scheduler"] == "axiomod_jobs.beat:PersistentScheduler"
    assert "redbeat_redis_url" not in config


def test_create_app_reads_settings_lazily_and_project_settings_win():
    with override_settings(AXIOMOD={"jobs": {"broker_url": "redis://cache:6379/4"}}):
        app = create_app("lazy", set_as_current=False)
        app.conf.update(worker_prefetch_multiplier=8)  # the project's own word
        assert app.conf.broker_url == "redis://cache:6379/4"
        assert app.conf.task_acks_late is True
        assert app.conf.worker_prefetch_multiplier == 8


def test_eager_app_runs_jobs_in_place_and_logs_why(caplog):
    with override_settings(AXIOMOD={}):
        app = create_app("eager", set_as_current=False)

        @app.task(name="units.double")
        def double(x):
            return 2 * x

        with caplog.at_level("WARNING", logger="axiomod.jobs"):
            assert double.delay(21).get() == 42
    assert "broker_url" in caplog.text and "eagerly" in caplog.text


# -- schedules from decorators and settings -----------------------------------------------


def test_beat_schedule_merges_decorators_and_settings(local_registry):
    @job(name="units.tick", schedule=30, args=[1], queue="q", registry=local_registry)
    def tick(n):
        return n

    @job(
        name="units.nightly", schedule="0 3 * * *", timezone="Europe/Paris", registry=local_registry
    )
    def nightly():
        return None

    @job(name="units.replaced", schedule=5, registry=local_registry)
    def replaced():
        return None

    settings = jobs_settings(
        {
            "schedule": {
                "units.replaced": {"task": "units.replaced", "cron": "*/10 * * * *"},
                "cleanup": {"task": "units.tick", "every": 60, "args": [2], "kwargs": {"a": 1}},
            }
        }
    )
    entries = beat_schedule(jobs=settings)
    assert set(entries) == {"units.tick", "units.nightly", "units.replaced", "cleanup"}
    assert entries["units.tick"]["schedule"].run_every == dt.timedelta(seconds=30)
    assert entries["units.tick"]["args"] == (1,)
    assert entries["units.tick"]["options"] == {"queue": "q"}
    assert isinstance(entries["units.nightly"]["schedule"], ZonedCrontab)
    assert entries["units.nightly"]["schedule"].timezone == "Europe/Paris"
    replaced_schedule = entries["units.replaced"]["schedule"]
    assert isinstance(replaced_schedule, crontab)  # the settings entry won
    assert replaced_schedule.minute == set(range(0, 60, 10))
    assert isinstance(entries["cleanup"]["schedule"], schedule)
    assert entries["cleanup"]["task"] == "units.tick"
    assert (entries["cleanup"]["args"], entries["cleanup"]["kwargs"]) == ((2,), {"a": 1})


def test_unparseable_entry_is_left_out_of_beat_and_reported_by_check(local_registry, caplog):
    @job(name="units.bad", schedule="61 * * * *", registry=local_registry)
    def bad():
        return None

    with caplog.at_level("ERROR", logger="axiomod.jobs"):
        assert "units.bad" not in beat_schedule(jobs=jobs_settings())
    assert "bad minute field" in caplog.text
    (error,) = [m for m in check_jobs() if m.id == "axiomod.E050"]
    assert "job 'units.bad'" in error.msg and "bad minute field '61'" in error.msg


def test_decorator_time_zone_typo_is_reported(local_registry):
    @job(name="units.tz", schedule="0 3 * * *", timezone="Europe/Pariss", registry=local_registry)
    def tz():
        return None

    (error,) = [m for m in check_jobs() if m.id == "axiomod.E050"]
    assert "'Europe/Pariss' is not a known time zone" in error.msg


# -- checks on AXIOMOD["jobs"]["schedule"] ------------------------------------------------


@shared_task(name="units.shared")
def a_shared_task():
    return None


def test_settings_entries_are_checked_by_name(local_registry):
    axiomod = {
        "jobs": {
            "schedule": {
                "nightly": {"task": "units.shared", "cron": "0 3 * * 8"},
                "typo": {"task": "units.sharde", "every": 60},
                "fine": {"task": "units.shared", "cron": "0 3 * * *", "timezone": "Asia/Tokyo"},
            }
        }
    }
    with override_settings(AXIOMOD=axiomod):
        messages = check_jobs()
    by_id = {m.id: m.msg for m in messages}
    assert set(by_id) == {"axiomod.E050", "axiomod.E051"}, messages
    assert by_id["axiomod.E050"].startswith('AXIOMOD["jobs"]["schedule"]["nightly"]["cron"]')
    assert "bad day of week field '8'" in by_id["axiomod.E050"]
    assert by_id["axiomod.E051"].startswith('AXIOMOD["jobs"]["schedule"]["typo"]["task"]')
    assert "'units.sharde'" in by_id["axiomod.E051"]


def test_jobs_with_a_queue_warn_when_the_project_replaced_the_router(local_registry):
    from example.celery import app as current_app

    current_app.set_current()  # the project's app, as in a real process

    @job(name="units.queued", queue="slow", registry=local_registry)
    def queued():
        return None

    assert [m.id for m in check_jobs()] == []
    routes = current_app.conf.task_routes
    current_app.conf.task_routes = {"other.*": {"queue": "x"}}
    try:
        (warning,) = check_jobs()
    finally:
        current_app.conf.task_routes = routes
    assert warning.id == "axiomod.W050" and "units.queued" in warning.msg


def test_example_project_passes_its_checks():
    assert check_jobs() == []


def test_file_scheduler_of_other_brokers_is_fed_from_axiomod(local_registry, tmp_path):
    from axiomod_jobs.beat import PersistentScheduler

    @job(name="units.hourly", schedule="0 * * * *", registry=local_registry)
    def hourly():
        return None

    app = Celery("filebeat", set_as_current=False)
    app.conf.update(celery_config(jobs_settings({"broker_url": "memory://localhost/"}), "svc"))
    scheduler = PersistentScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=False)
    try:
        assert isinstance(scheduler.schedule["units.hourly"].schedule, crontab)
        assert scheduler.schedule["units.hourly"].task == "units.hourly"
    finally:
        scheduler.close()
