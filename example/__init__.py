"""The axiomod example service: a small invoicing API built the way axiomod expects."""

# Celery's Django pattern: the app exists in every process that loads the project, so
# @job and @shared_task functions bind to it (its configuration is read lazily).
from example.celery import app as celery_app

__all__ = ["celery_app"]
