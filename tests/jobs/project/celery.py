"""The test project's Celery app (``celery -A tests.jobs.project.celery``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.jobs.project.settings")

from axiomod_jobs import create_app

app = create_app("jobs-tests")
