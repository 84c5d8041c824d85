"""Settling an invoice: the use cases with an in-memory store, ``mark_paid`` in the database.

The whole path across the transports (HTTP -> gRPC -> Kafka -> Celery -> SQL) is
``test_one_trace.py``; these pin the rules each hop relies on.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from axiomod.errors import Conflict
from example.invoices.entity import Invoice, InvoiceNotFound, InvoiceStatus, NewInvoice
from example.invoices.infrastructure.persistence.django_repository import (
    DjangoInvoiceRepository,
)
from example.invoices.service import InvoiceService
from example.invoices.usecase.settle_invoice import (
    CloseSettledInvoice,
    InvoiceNotSettleable,
    SettleInvoice,
)
from tests.example.test_invoice_usecases import InMemoryInvoiceRepository


class PaidInMemory(InMemoryInvoiceRepository):
    """The in-memory store with the settlement's one storage operation."""

    def mark_paid(self, invoice_id: int) -> bool:
        invoice = self.rows.get(invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.ISSUED:
            return False
        self.rows[invoice_id] = dataclasses.replace(invoice, status=InvoiceStatus.PAID)
        return True


class RecordedEvents:
    def __init__(self) -> None:
        self.settled_ids: list[int | None] = []

    def settled(self, invoice: Invoice) -> None:
        self.settled_ids.append(invoice.id)


@pytest.fixture
def store() -> PaidInMemory:
    return PaidInMemory()


@pytest.fixture
def events() -> RecordedEvents:
    return RecordedEvents()


def _invoice(store: PaidInMemory, status: InvoiceStatus) -> Invoice:
    new = NewInvoice(customer="ACME GmbH", amount=Decimal("12.50"), currency="EUR")
    invoice = store.add(new, InvoiceService().number_for)
    store.rows[invoice.id] = dataclasses.replace(invoice, status=status)
    return store.rows[invoice.id]


def test_an_issued_invoice_is_announced_and_left_for_the_job_to_close(store, events):
    invoice = _invoice(store, InvoiceStatus.ISSUED)

    answered = SettleInvoice(store, events).execute(invoice.id)

    assert answered.status is InvoiceStatus.ISSUED
    assert events.settled_ids == [invoice.id]
    assert CloseSettledInvoice(store).execute(invoice.id) is True
    assert store.get(invoice.id).status is InvoiceStatus.PAID


def test_a_paid_invoice_is_answered_as_it_is_and_announced_no_more(store, events):
    invoice = _invoice(store, InvoiceStatus.PAID)

    assert SettleInvoice(store, events).execute(invoice.id) == invoice
    assert events.settled_ids == []
    assert CloseSettledInvoice(store).execute(invoice.id) is False


def test_a_draft_cannot_be_settled(store, events):
    invoice = _invoice(store, InvoiceStatus.DRAFT)

    with pytest.raises(InvoiceNotSettleable, match=f"{invoice.number} is draft") as refused:
        SettleInvoice(store, events).execute(invoice.id)
    assert isinstance(refused.value, Conflict)  # 409 over HTTP, ALREADY_EXISTS over gRPC
    assert events.settled_ids == []
    assert store.get(invoice.id).status is InvoiceStatus.DRAFT


def test_an_unknown_invoice_is_not_found(store, events):
    with pytest.raises(InvoiceNotFound):
        SettleInvoice(store, events).execute(404)


@pytest.mark.django_db
def test_mark_paid_moves_only_issued_invoices_and_only_once():
    repository = DjangoInvoiceRepository()
    new = NewInvoice(customer="ACME GmbH", amount=Decimal("12.50"), currency="EUR")
    draft = repository.add(new, InvoiceService().number_for)
    issued = repository.add(new, InvoiceService().number_for)
    repository.issue(issued.id)

    assert repository.mark_paid(draft.id) is False
    assert repository.mark_paid(issued.id) is True
    assert repository.mark_paid(issued.id) is False  # a retried job changes nothing
    assert repository.get(draft.id).status is InvoiceStatus.DRAFT
    assert repository.get(issued.id).status is InvoiceStatus.PAID
