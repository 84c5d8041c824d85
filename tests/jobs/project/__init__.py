# Celery's Django pattern: the project's app exists wherever the project is loaded.
from tests.jobs.project.celery import app as celery_app

__all__ = ["celery_app"]
