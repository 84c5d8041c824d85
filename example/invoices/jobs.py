"""Background jobs of the invoices module, found by axiomod_jobs' autodiscovery.

Run a worker with ``celery -A example worker`` and the scheduler with
``celery -A example beat``; without a broker they run in-process when enqueued.
"""

from __future__ import annotations

import datetime as dt
import logging

from axiomod_jobs import job
from example.invoices.container import use_cases
from example.invoices.delivery.jobs import settlements  # noqa: F401  (registers it)

logger = logging.getLogger(__name__)


@job(name="invoices.issue", timeout=30, retries=3)
def issue_invoice(invoice_id: int) -> bool:
    """Issue one invoice (idempotent: a redelivered job finds it issued)."""
    return use_cases().issue.execute(invoice_id)


@job(name="invoices.issue_stale_drafts", schedule="*/5 * * * *", timeout=120)
def issue_stale_drafts(minutes: int = 10) -> int:
    """Every five minutes, issue drafts older than ``minutes`` whose event never came."""
    issued = use_cases().issue_stale.execute(dt.timedelta(minutes=minutes))
    if issued:
        logger.info("issued %d stale draft invoice(s)", issued)
    return issued
