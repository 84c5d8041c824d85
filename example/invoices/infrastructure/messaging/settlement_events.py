"""``invoices.settled``: the ``SettlementEvents`` port, on Kafka or in-process."""

from __future__ import annotations

import axiomod_messaging
from example.invoices.entity import Invoice

INVOICE_SETTLED = "invoices.settled"


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


class JobSettlementEvents:
    """Without Kafka (``make run``), schedule the closing job the consumer would schedule.

    The job runs in-process when no Celery broker is configured, so a settlement still
    ends with a paid invoice on a laptop with no services.
    """

    def settled(self, invoice: Invoice) -> None:
        from example.invoices.delivery.jobs.settlements import close_settled_invoice

        close_settled_invoice.delay(invoice.id)
