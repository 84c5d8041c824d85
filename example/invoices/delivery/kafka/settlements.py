"""Kafka handler of ``invoices.settled``, run by the billing consumer::

    python manage.py axiomod_consume --group invoices-billing

It only schedules the job that closes the invoice: a job is retried by Celery with its
own timeout, while a handler's retries would hold up every later event of its partition.
"""

from __future__ import annotations

import logging

from axiomod_messaging import Message, PermanentError, handler
from example.invoices.delivery.jobs.settlements import close_settled_invoice
from example.invoices.entity.events import INVOICE_SETTLED

logger = logging.getLogger(__name__)


@handler(INVOICE_SETTLED, group="invoices-billing")
def schedule_closing(message: Message) -> None:
    """Enqueue ``invoices.close_settled`` for the settled invoice (idempotent job)."""
    try:
        invoice_id = int(message.value["id"])
    except (TypeError, KeyError, ValueError) as exc:
        raise PermanentError(f"no invoice id in the event: {exc!r}") from exc
    close_settled_invoice.delay(invoice_id)
    logger.info("invoice %s settled: closing scheduled", message.value.get("number", invoice_id))
