"""The job closing a settled invoice, enqueued by the ``invoices.settled`` handler.

Run workers with ``celery -A example worker``; without a broker it runs in-process.
"""

from __future__ import annotations

import logging

from axiomod_jobs import job
from example.invoices.container import use_cases
from example.invoices.entity import Invoice

logger = logging.getLogger(__name__)


@job(name="invoices.close_settled", timeout=30, retries=3)
def close_settled_invoice(invoice_id: int) -> bool:
    """Mark the invoice paid (idempotent: a retried job finds it paid and changes nothing)."""
    closed = use_cases().close_settled.execute(invoice_id)
    if closed:
        logger.info("invoice %s paid", invoice_id)
    return closed


class JobSettlementEvents:
    """The ``SettlementEvents`` port without Kafka (``make run``): schedule the closing job
    the ``invoices.settled`` handler would schedule.

    The job runs in-process when no Celery broker is configured, so a settlement still
    ends with a paid invoice on a laptop with no services.
    """

    def settled(self, invoice: Invoice) -> None:
        close_settled_invoice.delay(invoice.id)
