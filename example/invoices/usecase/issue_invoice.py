"""Issue an invoice: what the billing consumer does when an invoice is created."""

from __future__ import annotations

from example.invoices.repository import InvoiceRepository


class IssueInvoice:
    """Move a draft invoice to ``issued``; True if this call issued it.

    Idempotent on purpose: Kafka delivers at least once, so the same ``invoices.created``
    event may arrive twice, and the second time must change nothing.
    """

    def __init__(self, repository: InvoiceRepository) -> None:
        self._repository = repository

    def execute(self, invoice_id: int) -> bool:
        return self._repository.issue(invoice_id)
