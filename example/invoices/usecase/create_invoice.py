"""Create an invoice."""

from __future__ import annotations

from collections.abc import Sequence

from example.invoices.entity import Invoice
from example.invoices.repository import InvoiceRepository
from example.invoices.service import InvoiceService
from example.invoices.usecase.ports import InvoiceEvents


class CreateInvoice:
    """Validate raw input with the domain service, then store it as a draft invoice.

    Validation happens before the repository is touched, so bad input costs no database
    round trip and never leaves a half-written row behind.
    """

    def __init__(
        self,
        repository: InvoiceRepository,
        service: InvoiceService,
        events: Sequence[InvoiceEvents] = (),
    ) -> None:
        self._repository = repository
        self._service = service
        self._events = tuple(events)

    def execute(self, customer: object, amount: object, currency: object) -> Invoice:
        """Return the stored invoice; raise ``InvalidInvoice`` naming the bad field."""
        new = self._service.new_invoice(customer=customer, amount=amount, currency=currency)
        invoice = self._repository.add(new, self._service.number_for)
        for events in self._events:
            events.created(invoice)
        return invoice
