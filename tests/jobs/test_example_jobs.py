"""The example's jobs end to end: a prefork worker of ``celery -A example`` issuing
invoices in PostgreSQL, enqueued with ``manage.py axiomod_jobs run``."""

from __future__ import annotations

import json

import pytest

from tests.jobs.workers import CeleryProcess
from tests.servers import manage, service_env

pytestmark = pytest.mark.integration

CREATE = """
from example.invoices.container import use_cases
ids = [use_cases().create.execute(customer=f"acme-{n}", amount="12.00", currency="EUR").id
       for n in range(3)]
print(ids)
"""

STATUSES = """
from example.invoices.models import InvoiceModel
print(sorted(InvoiceModel.objects.values_list("status", flat=True)))
"""


def test_the_stale_draft_sweep_issues_invoices_from_a_prefork_worker(
    jobs_redis, postgres_database, tmp_path
):
    env = {
        "DATABASE_URL": postgres_database,
        "CELERY_BROKER_URL": jobs_redis.broker,
        "CELERY_RESULT_BACKEND": jobs_redis.broker,
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    created = manage("shell", "-c", CREATE, env=env)
    assert created.returncode == 0, created.stderr[-3000:]
    assert len(json.loads(created.stdout.strip().splitlines()[-1])) == 3

    worker_env = service_env({**env, "DJANGO_SETTINGS_MODULE": "example.settings"})
    worker = CeleryProcess(
        "worker",
        worker_env,
        tmp_path / "worker.log",
        ("--pool", "prefork", "--concurrency", "2"),
        app="example",
    ).start()
    try:
        worker.wait_for_log("ready.")
        sweep = manage(
            "axiomod_jobs",
            "run",
            "invoices.issue_stale_drafts",
            "--kwargs",
            '{"minutes": 0}',
            "--wait",
            "60",
            env=env,
        )
        assert sweep.returncode == 0, sweep.stderr[-3000:] + worker.log()[-3000:]
        assert "result: 3" in sweep.stdout
        again = manage(
            "axiomod_jobs", "run", "invoices.issue", "--args", "[1]", "--wait", "60", env=env
        )
        assert "result: False" in again.stdout, again.stderr[-3000:]  # already issued: no change
    finally:
        worker.stop()
    statuses = manage("shell", "-c", STATUSES, env=env)
    assert statuses.stdout.strip().splitlines()[-1] == "['issued', 'issued', 'issued']"
