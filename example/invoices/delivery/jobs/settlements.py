"""The job closing a settled invoice, enqueued by the ``invoices.settled`` handler.

Run workers with ``celery -A example worker``; without a broker it runs in-process.
"""

from __future__ import annotations

import logging

from axiomod_jobs import job
from example.invoices.container import use_cases

logger = logging.getLogger(__name__)


@job(name="invoices.close_settled", timeout=30, retries=3)
def close_settled_invoice(invoice_id: int) -> bool:
    """Mark the invoice paid (idempotent: a retried job finds it paid and changes nothing)."""
    closed = use_cases().close_settled.execute(invoice_id)
    if closed:
        logger.info("invoice %s paid", invoice_id)
    return closed
