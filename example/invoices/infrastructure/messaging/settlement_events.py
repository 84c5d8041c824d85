"""``invoices.settled`` on Kafka: the ``SettlementEvents`` port's publisher."""

from __future__ import annotations

import axiomod_messaging
from example.invoices.entity import Invoice
from example.invoices.entity.events import INVOICE_SETTLED


class KafkaSettlementEvents:
    """Publishes ``invoices.settled`` keyed by the invoice number (after its
    ``invoices.created`` on the same partition); the billing consumer closes the invoice.

    The publisher adds the current trace context to the message headers, so the
    consumer's work continues the trace of the call that accepted the settlement.
    """

    def settled(self, invoice: Invoice) -> None:
        axiomod_messaging.publish(
            INVOICE_SETTLED, {"id": invoice.id, "number": invoice.number}, key=invoice.number
        )
