"""``invoices.created``: the ``InvoiceEvents`` port implemented with ``axiomod_messaging``."""

from __future__ import annotations

from typing import Any

import axiomod_messaging
from example.invoices.entity import Invoice

INVOICE_CREATED = "invoices.created"


def invoice_payload(invoice: Invoice) -> dict[str, Any]:
    """The event body: the invoice as the HTTP API shows it (amount as a string)."""
    return {
        "id": invoice.id,
        "number": invoice.number,
        "customer": invoice.customer,
        "amount": str(invoice.amount),
        "currency": invoice.currency,
        "status": invoice.status.value,
        "created_at": invoice.created_at.isoformat() if invoice.created_at else None,
    }


class KafkaInvoiceEvents:
    """Publishes ``invoices.created``, keyed by the invoice number.

    The key keeps every event of one invoice on one partition, in order. ``publish()``
    returns once the message is queued; a delivery failure is counted and logged by
    axiomod_messaging rather than failing the HTTP request that created the invoice.
    """

    def created(self, invoice: Invoice) -> None:
        axiomod_messaging.publish(INVOICE_CREATED, invoice_payload(invoice), key=invoice.number)
