"""Kafka handlers of the invoices module, found by axiomod_messaging's autodiscovery.

Run them with ``python manage.py axiomod_consume --group invoices-billing``.
"""

from __future__ import annotations

import logging

from axiomod_messaging import Message, PermanentError, handler
from example.invoices.container import use_cases
from example.invoices.delivery.kafka import settlements  # noqa: F401  (registers it)
from example.invoices.infrastructure.messaging import INVOICE_CREATED

logger = logging.getLogger(__name__)


@handler(INVOICE_CREATED, group="invoices-billing")
def issue_created_invoice(message: Message) -> None:
    """Issue each new invoice. A redelivered event finds it issued and changes nothing."""
    try:
        invoice_id = int(message.value["id"])
    except (TypeError, KeyError, ValueError) as exc:
        raise PermanentError(f"no invoice id in the event: {exc!r}") from exc
    if use_cases().issue.execute(invoice_id):
        logger.info("invoice %s issued", message.value.get("number", invoice_id))
