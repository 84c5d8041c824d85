"""Fetch one of the module's entities."""

from __future__ import annotations

from example.invoices.entity import Invoice
from example.invoices.repository import InvoiceRepository


class GetInvoice:
    """Return one by id; the not-found error propagates for the delivery to map.

    A class of its own (rather than deliveries calling the repository) so that access
    rules added later, such as "only the owning tenant", have one home.
    """

    def __init__(self, repository: InvoiceRepository) -> None:
        self._repository = repository

    def execute(self, invoice_id: int) -> Invoice:
        """Return the entity with that id or raise the module's not-found error."""
        return self._repository.get(invoice_id)
