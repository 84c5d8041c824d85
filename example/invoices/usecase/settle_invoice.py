"""Settle an invoice: accept that it was paid, then close it.

Two steps on purpose. :class:`SettleInvoice` answers the caller at once: it checks the
invoice can be settled and records the fact (``invoices.settled``). :class:`CloseSettledInvoice`
runs later, in a job scheduled from that event, and marks the invoice paid; it is where
the slow, retryable part of closing an invoice belongs (a receipt would be sent there),
retried by Celery without holding up the other events of the Kafka partition.
"""

from __future__ import annotations

from typing import Protocol

from axiomod.errors import Conflict
from example.invoices.entity import Invoice, InvoiceError, InvoiceStatus
from example.invoices.repository import InvoiceRepository


class InvoiceNotSettleable(InvoiceError, Conflict):  # noqa: N818  (a domain outcome)
    """Only an issued invoice can be settled: a draft has not been sent to anyone yet."""

    def __init__(self, invoice: Invoice) -> None:
        super().__init__(f"invoice {invoice.number} is {invoice.status.value}, not issued")


class SettlementEvents(Protocol):
    """Told about each settlement accepted; :class:`CloseSettledInvoice` must follow."""

    def settled(self, invoice: Invoice) -> None: ...


class PaidInvoices(Protocol):
    """The storage operation closing a settled invoice."""

    def mark_paid(self, invoice_id: int) -> bool:
        """Move an issued invoice to ``paid``; False if it was not issued (or is gone)."""
        ...


class SettleInvoice:
    """Accept the settlement of an issued invoice and announce it; return the invoice.

    Idempotent: an invoice already paid is returned unchanged and announced no more, so
    a client retrying after a lost answer settles nothing twice.
    """

    def __init__(self, repository: InvoiceRepository, events: SettlementEvents) -> None:
        self._repository = repository
        self._events = events

    def execute(self, invoice_id: int) -> Invoice:
        """Raise ``InvoiceNotFound`` or :class:`InvoiceNotSettleable` (a draft)."""
        invoice = self._repository.get(invoice_id)
        if invoice.status is InvoiceStatus.PAID:
            return invoice
        if invoice.status is not InvoiceStatus.ISSUED:
            raise InvoiceNotSettleable(invoice)
        self._events.settled(invoice)
        return invoice


class CloseSettledInvoice:
    """Mark a settled invoice paid; True if this call did.

    A conditional update, so a redelivered event or a retried job changes nothing.
    """

    def __init__(self, invoices: PaidInvoices) -> None:
        self._invoices = invoices

    def execute(self, invoice_id: int) -> bool:
        return self._invoices.mark_paid(invoice_id)
