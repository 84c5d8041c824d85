"""``DjangoInvoiceRepository`` against the real database (SQLite by default; PostgreSQL or
MariaDB when ``DATABASE_URL`` points there)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from example.invoices.entity import InvoiceNotFound, InvoiceStatus, NewInvoice
from example.invoices.infrastructure.persistence.django_repository import (
    DjangoInvoiceRepository,
)
from example.invoices.models import InvoiceModel
from example.invoices.service import InvoiceService

number_for = InvoiceService().number_for


@pytest.fixture
def repository() -> DjangoInvoiceRepository:
    return DjangoInvoiceRepository()


def _new(customer: str = "ACME GmbH", amount: str = "12.50") -> NewInvoice:
    return NewInvoice(customer=customer, amount=Decimal(amount), currency="EUR")


@pytest.mark.django_db
def test_add_then_get_round_trips_every_field(repository):
    before = timezone.now()

    added = repository.add(_new(amount="9999999999.99"), number_for)
    fetched = repository.get(added.id)

    assert fetched == added
    assert fetched.number == number_for(added.id)
    assert fetched.customer == "ACME GmbH"
    assert fetched.amount == Decimal("9999999999.99")
    assert fetched.currency == "EUR"
    assert fetched.status is InvoiceStatus.DRAFT
    assert fetched.created_at is not None
    assert before - timedelta(seconds=1) <= fetched.created_at <= timezone.now()


@pytest.mark.django_db
def test_amount_comes_back_with_two_decimal_places(repository):
    added = repository.add(_new(amount="12.50"), number_for)

    assert str(repository.get(added.id).amount) == "12.50"


@pytest.mark.django_db
def test_several_adds_get_distinct_numbers_derived_from_their_ids(repository):
    invoices = [repository.add(_new(customer=f"C{i}"), number_for) for i in range(5)]

    numbers = [invoice.number for invoice in invoices]
    assert len(set(numbers)) == 5
    assert numbers == [number_for(invoice.id) for invoice in invoices]
    assert sorted(InvoiceModel.objects.values_list("number", flat=True)) == sorted(numbers)


@pytest.mark.django_db
def test_numbers_stay_unique_after_a_delete(repository):
    # A count()+1 scheme would hand the deleted invoice's number out again.
    first = repository.add(_new(), number_for)
    second = repository.add(_new(), number_for)
    InvoiceModel.objects.filter(pk=second.id).delete()

    third = repository.add(_new(), number_for)

    assert third.number not in {first.number, second.number}


@pytest.mark.django_db
def test_add_leaves_no_row_when_numbering_fails(repository):
    def broken_number_for(sequence: int) -> str:
        raise RuntimeError("numbering service down")

    with pytest.raises(RuntimeError):
        repository.add(_new(), broken_number_for)

    assert InvoiceModel.objects.count() == 0


@pytest.mark.django_db
def test_get_unknown_id_raises_invoice_not_found(repository):
    with pytest.raises(InvoiceNotFound) as excinfo:
        repository.get(123456)

    assert excinfo.value.invoice_id == 123456


@pytest.mark.django_db
def test_list_is_newest_first_and_paginates_with_count(repository):
    invoices = [repository.add(_new(customer=f"C{i}"), number_for) for i in range(5)]
    # created_at can tie within a clock tick; spread them so "newest" is unambiguous.
    base = timezone.now()
    for age, invoice in enumerate(reversed(invoices)):
        InvoiceModel.objects.filter(pk=invoice.id).update(created_at=base - timedelta(hours=age))

    newest_first = [invoice.id for invoice in reversed(invoices)]
    assert [i.id for i in repository.list(limit=2, offset=0)] == newest_first[:2]
    assert [i.id for i in repository.list(limit=2, offset=2)] == newest_first[2:4]
    assert [i.id for i in repository.list(limit=2, offset=4)] == newest_first[4:]
    assert repository.list(limit=2, offset=5) == []
    assert repository.count() == 5


@pytest.mark.django_db
def test_list_breaks_created_at_ties_by_id_descending(repository):
    invoices = [repository.add(_new(customer=f"C{i}"), number_for) for i in range(3)]
    InvoiceModel.objects.update(created_at=timezone.now())

    assert [i.id for i in repository.list(limit=10, offset=0)] == [
        invoice.id for invoice in reversed(invoices)
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_never_share_a_number(repository):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's shared in-memory test database fails concurrent writers with "
            "'table is locked' instead of queueing them; run with DATABASE_URL set to "
            "PostgreSQL or MariaDB to exercise concurrency"
        )
    threads_count, per_thread = 8, 5
    barrier = threading.Barrier(threads_count)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                invoice = repository.add(_new(customer=f"T{i}"), number_for)
                with lock:
                    numbers.append(invoice.number)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(numbers) == len(set(numbers)) == threads_count * per_thread
    stored = dict(InvoiceModel.objects.values_list("pk", "number"))
    assert stored == {pk: number_for(pk) for pk in stored}
