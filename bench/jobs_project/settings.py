"""Settings of the candidate side of ``bench jobs``: a service with axiomod's jobs.

The broker and the result backend are ``AXIOMOD_BENCH_JOBS_URL`` (``bench/jobs.py`` sets
Redis database 15 for the worker and for its own client). Not ``CELERY_BROKER_URL`` /
``CELERY_RESULT_BACKEND``: Celery reads those from the environment over any app's
configuration, so in the benchmark's process, which holds both apps, they would send the
baseline's jobs to the candidate's broker too; ``bench/jobs.py`` removes them. Everything
else in ``AXIOMOD["jobs"]`` is left at axiomod's defaults. ``AXIOMOD_BENCH_JOBS_WITHOUT_METRICS=1``
leaves ``axiomod_metrics`` out (the job metrics' signal handlers are then not connected):
for probing what the overhead is made of, not for the reported figures.
"""

import os

SECRET_KEY = "bench-jobs"
USE_TZ = True
INSTALLED_APPS = [
    "axiomod",
    "axiomod_metrics",
    "axiomod_jobs",
    "bench.jobs_project",  # its jobs.py holds the no-op job
]
if os.environ.get("AXIOMOD_BENCH_JOBS_WITHOUT_METRICS") == "1":
    INSTALLED_APPS.remove("axiomod_metrics")

# One database alias, never opened (Celery's Django fixup walks it around every job).
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# The worker's --loglevel sets the root logger's level (bench jobs passes the same one
# to both workers); this only gives the root logger a handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

_URL = os.environ.get("AXIOMOD_BENCH_JOBS_URL", "redis://127.0.0.1:6379/15")
AXIOMOD = {"service_name": "bench-jobs", "jobs": {"broker_url": _URL, "result_backend": _URL}}
