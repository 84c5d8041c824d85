"""Settings of the worker and beat processes the jobs integration tests start.

What a test varies comes from the environment (set by ``tests.jobs.workers``): the
broker, the ticker's interval and the key it records to, beat's timings.
"""

import os

SECRET_KEY = "jobs-tests"
USE_TZ = True
INSTALLED_APPS = [
    "axiomod",
    "axiomod_metrics",
    "axiomod_jobs",
    "tests.jobs.project",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}

_schedule = {}
if os.environ.get("AXIOMOD_TEST_TICK_EVERY"):
    _schedule["ticker"] = {
        "task": "tests.record",
        "every": float(os.environ["AXIOMOD_TEST_TICK_EVERY"]),
        "args": [os.environ.get("AXIOMOD_TEST_TICK_KEY", "ticks")],
    }

AXIOMOD = {
    "service_name": "jobs-tests",
    "jobs": {
        # broker_url / result_backend: CELERY_BROKER_URL / CELERY_RESULT_BACKEND
        "visibility_timeout": float(os.environ.get("AXIOMOD_TEST_VISIBILITY", "3600")),
        "beat_max_interval": float(os.environ.get("AXIOMOD_TEST_BEAT_INTERVAL", "1")),
        "beat_lock_timeout": float(os.environ.get("AXIOMOD_TEST_BEAT_LOCK", "5")),
        "schedule": _schedule,
    },
}
if os.environ.get("AXIOMOD_TEST_METRICS_PORT"):
    AXIOMOD["metrics"] = {
        "port": int(os.environ["AXIOMOD_TEST_METRICS_PORT"]),
        "address": "127.0.0.1",
    }
