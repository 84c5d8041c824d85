"""A Celery app for the prefork metrics test: each task counts itself through axiomod_metrics."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
django.setup()

from celery import Celery  # noqa: E402

app = Celery(
    "axiomod_metrics_test",
    broker=os.environ.get("AXIOMOD_TEST_BROKER_URL", "memory://"),
    backend=os.environ.get("AXIOMOD_TEST_BROKER_URL", "cache+memory://"),
)
app.conf.update(worker_prefetch_multiplier=1, task_acks_late=True, broker_connection_retry=True)


@app.task(name="axiomod_test.count")
def count() -> int:
    from axiomod_metrics import counter

    counter("celery_test_tasks_total", "Tasks run by the prefork test.").inc()
    return os.getpid()
