"""Issue an invoice: what the billing consumer does when an invoice is created."""

from __future__ import annotations

import datetime as dt

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


class IssueStaleDrafts:
    """Issue drafts older than ``age``: the sweep for events that never arrived.

    A scheduled job (``example/invoices/jobs.py``) runs it; each invoice goes through the
    same conditional update as :class:`IssueInvoice`, so a sweep racing the consumer
    issues nothing twice.
    """

    def __init__(self, repository: InvoiceRepository) -> None:
        self._repository = repository

    def execute(self, age: dt.timedelta, limit: int = 500) -> int:
        before = dt.datetime.now(dt.UTC) - age
        return sum(self._repository.issue(i) for i in self._repository.draft_ids(before, limit))
