"""The example's Celery app: ``celery -A example worker`` / ``celery -A example beat``.

With no ``CELERY_BROKER_URL`` (``AXIOMOD["jobs"]["broker_url"]``), jobs run eagerly in
the process that enqueues them, so ``make run`` needs no Redis.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")

from axiomod_jobs import create_app

app = create_app("example")
