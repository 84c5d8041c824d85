"""The storage port of the invoices module.

Use cases depend on this abstract class, never on the Django ORM, so they run against an
in-memory fake in unit tests and against ``DjangoInvoiceRepository`` in the service.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable

from example.invoices.entity import Invoice, NewInvoice

NumberFor = Callable[[int], str]
"""Turns the id the store assigned into the invoice number (``InvoiceService.number_for``)."""


class InvoiceRepository(ABC):
    """Stores and finds invoices.

    Numbering is split on purpose: the domain decides what a number looks like
    (``number_for``), the repository decides *which* integer it is derived from. Only the
    store can hand out an integer that is unique under concurrent writers (its primary
    key), so ``add`` takes the formatting function instead of a ready-made number; a
    ``count() + 1`` computed by the caller would hand two concurrent requests the same one.
    """

    @abstractmethod
    def add(self, new: NewInvoice, number_for: NumberFor) -> Invoice:
        """Store ``new`` atomically and return it with its id, number and timestamp.

        The number must be ``number_for(id)`` of the stored row, and no reader may ever
        see the row without its final number.
        """

    @abstractmethod
    def get(self, invoice_id: int) -> Invoice:
        """Return the invoice with ``invoice_id``; raise ``InvoiceNotFound`` if none."""

    @abstractmethod
    def count(self) -> int:
        """Return how many invoices exist (the ``total`` of a page)."""

    @abstractmethod
    def list(self, limit: int, offset: int) -> list[Invoice]:
        """Return at most ``limit`` invoices after skipping ``offset``, newest first.

        Newest first (ties broken by id, descending) so pages are stable while rows are
        added at the end that readers care about most.
        """

    @abstractmethod
    def issue(self, invoice_id: int) -> bool:
        """Move a draft invoice to ``issued``; False if it was not a draft (or is gone).

        A conditional update, so doing it twice (a redelivered event) changes nothing.
        """

    @abstractmethod
    def draft_ids(self, created_before: dt.datetime, limit: int) -> list[int]:
        """Ids of up to ``limit`` drafts created before ``created_before``, oldest first."""
