"""Composition root of the invoices module: the one place that wires concrete classes.

Deliveries ask ``use_cases()`` for ready-made use cases instead of constructing
repositories themselves, so swapping the storage (or a fake in a test) is a change here
only, and the HTTP and gRPC deliveries share one wiring.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from example.invoices.infrastructure.metrics import InvoiceMetrics
from example.invoices.infrastructure.persistence.django_repository import (
    DjangoInvoiceRepository,
)
from example.invoices.service import InvoiceService
from example.invoices.usecase import (
    CreateInvoice,
    GetInvoice,
    IssueInvoice,
    IssueStaleDrafts,
    ListInvoices,
)
from example.invoices.usecase.ports import InvoiceEvents
from example.invoices.usecase.settle_invoice import (
    CloseSettledInvoice,
    SettleInvoice,
    SettlementEvents,
)


@dataclass(frozen=True, slots=True)
class InvoiceUseCases:
    """Everything a delivery can do with invoices."""

    create: CreateInvoice
    get: GetInvoice
    list: ListInvoices
    issue: IssueInvoice
    issue_stale: IssueStaleDrafts
    settle: SettleInvoice
    close_settled: CloseSettledInvoice


@functools.cache
def use_cases() -> InvoiceUseCases:
    """Build the use cases once per process.

    Cached because every piece is stateless (the Django repository looks the database
    connection up per call), so there is nothing to rebuild per request. Call
    ``use_cases.cache_clear()`` to rewire, e.g. in a test.
    """
    repository = DjangoInvoiceRepository()
    service = InvoiceService()
    return InvoiceUseCases(
        create=CreateInvoice(repository, service, events=_events()),
        get=GetInvoice(repository),
        list=ListInvoices(repository),
        issue=IssueInvoice(repository),
        issue_stale=IssueStaleDrafts(repository),
        settle=SettleInvoice(repository, _settlement_events()),
        close_settled=CloseSettledInvoice(repository),
    )


def _events() -> list[InvoiceEvents]:
    """Metrics always; ``invoices.created`` on Kafka when ``AXIOMOD["kafka"]`` is set."""
    from axiomod.conf import settings

    events: list[InvoiceEvents] = [InvoiceMetrics()]
    if settings.kafka is not None:
        from example.invoices.infrastructure.messaging import KafkaInvoiceEvents

        events.append(KafkaInvoiceEvents())
    return events


def _settlement_events() -> SettlementEvents:
    """``invoices.settled`` on Kafka when ``AXIOMOD["kafka"]`` is set, else the job at once."""
    from axiomod.conf import settings
    from example.invoices.delivery.jobs.settlements import JobSettlementEvents
    from example.invoices.infrastructure.messaging.settlement_events import (
        KafkaSettlementEvents,
    )

    return KafkaSettlementEvents() if settings.kafka is not None else JobSettlementEvents()
