"""The baseline's Celery app: ``celery -A bench.jobs_project.bare worker``.

A bare Celery app as Celery's "First steps" writes it: ``Celery(broker=..., backend=...)``
and a no-op ``@app.task``, every other setting at Celery's default. No Django: the
worker is started without ``DJANGO_SETTINGS_MODULE``, so Celery's Django fixup is not
installed either. The broker and result backend are ``AXIOMOD_BENCH_JOBS_BARE_URL``
(``bench/jobs.py`` sets Redis database 14; it also removes ``CELERY_BROKER_URL`` and
``CELERY_RESULT_BACKEND`` from the environment, which Celery would read over these).
"""

import os

from celery import Celery

URL = os.environ.get("AXIOMOD_BENCH_JOBS_BARE_URL", "redis://127.0.0.1:6379/14")

app = Celery("bench-jobs-bare", broker=URL, backend=URL)


@app.task(name="bench.bare.noop")
def noop() -> None:
    return None
