"""List invoices a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from example.invoices.entity import InvalidInvoice, Invoice
from example.invoices.repository import InvoiceRepository

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
"""A page is capped so one request cannot make the service load the whole table."""


@dataclass(frozen=True, slots=True)
class InvoicePage:
    """One page of invoices plus what a client needs to ask for the next one.

    ``limit`` is the limit actually applied (a request above ``MAX_LIMIT`` is capped),
    so a client can tell it got fewer rows than it asked for on purpose.
    """

    items: list[Invoice]
    total: int
    limit: int
    offset: int


class ListInvoices:
    """Return a page of invoices, newest first, and the total count."""

    def __init__(self, repository: InvoiceRepository) -> None:
        self._repository = repository

    def execute(self, limit: int = DEFAULT_LIMIT, offset: int = 0) -> InvoicePage:
        """Raise ``InvalidInvoice`` for ``limit < 1`` or ``offset < 0``; cap ``limit`` at
        ``MAX_LIMIT`` (a too-large page is a harmless request, a negative one a bug)."""
        if limit < 1:
            raise InvalidInvoice("limit", "must be at least 1")
        if offset < 0:
            raise InvalidInvoice("offset", "must be 0 or more")
        limit = min(limit, MAX_LIMIT)
        items = self._repository.list(limit=limit, offset=offset)
        return InvoicePage(items=items, total=self._repository.count(), limit=limit, offset=offset)
