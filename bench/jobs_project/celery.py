"""The candidate's Celery app: ``celery -A bench.jobs_project.celery worker``.

As a service's ``celery.py`` is written with axiomod (see ``axiomod_jobs.factory``).
``AXIOMOD_BENCH_JOBS_CONF`` (a JSON object of Celery settings, lowercase names) is
applied on top with ``app.conf.update``, for probing which default costs what; the
reported figures run without it.
"""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.jobs_project.settings")

from axiomod_jobs import create_app

app = create_app("bench-jobs")

if os.environ.get("AXIOMOD_BENCH_JOBS_CONF"):
    app.conf.update(json.loads(os.environ["AXIOMOD_BENCH_JOBS_CONF"]))
