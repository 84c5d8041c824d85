"""Unit tests of the invoices use cases and domain service, with no database.

``InMemoryInvoiceRepository`` implements the repository port in a few lines; that it can
is the point of the port.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from example.invoices.entity import (
    InvalidInvoice,
    Invoice,
    InvoiceError,
    InvoiceNotFound,
    InvoiceStatus,
    NewInvoice,
)
from example.invoices.repository import InvoiceRepository, NumberFor
from example.invoices.service import InvoiceService
from example.invoices.usecase import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CreateInvoice,
    GetInvoice,
    IssueStaleDrafts,
    ListInvoices,
)


class InMemoryInvoiceRepository(InvoiceRepository):
    """Keeps invoices in a dict; ids come from a counter, like a primary key."""

    def __init__(self) -> None:
        self.rows: dict[int, Invoice] = {}
        self._ids = itertools.count(1)
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)

    def add(self, new: NewInvoice, number_for: NumberFor) -> Invoice:
        invoice_id = next(self._ids)
        self._clock += timedelta(seconds=1)
        invoice = Invoice(
            id=invoice_id,
            number=number_for(invoice_id),
            customer=new.customer,
            amount=new.amount,
            currency=new.currency,
            status=InvoiceStatus.DRAFT,
            created_at=self._clock,
        )
        self.rows[invoice_id] = invoice
        return invoice

    def get(self, invoice_id: int) -> Invoice:
        try:
            return self.rows[invoice_id]
        except KeyError:
            raise InvoiceNotFound(invoice_id) from None

    def count(self) -> int:
        return len(self.rows)

    def list(self, limit: int, offset: int) -> list[Invoice]:
        newest_first = sorted(self.rows.values(), key=lambda i: (i.created_at, i.id), reverse=True)
        return newest_first[offset : offset + limit]

    def issue(self, invoice_id: int) -> bool:
        invoice = self.rows.get(invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.DRAFT:
            return False
        self.rows[invoice_id] = dataclasses.replace(invoice, status=InvoiceStatus.ISSUED)
        return True

    def draft_ids(self, created_before: datetime, limit: int) -> list[int]:
        drafts = sorted(
            (i.created_at, i.id)
            for i in self.rows.values()
            if i.status is InvoiceStatus.DRAFT and i.created_at < created_before
        )
        return [invoice_id for _, invoice_id in drafts[:limit]]


@pytest.fixture
def repository() -> InMemoryInvoiceRepository:
    return InMemoryInvoiceRepository()


@pytest.fixture
def create(repository: InMemoryInvoiceRepository) -> CreateInvoice:
    return CreateInvoice(repository, InvoiceService())


def _fill(create: CreateInvoice, n: int) -> list[Invoice]:
    return [create.execute(f"Customer {i}", "10.00", "EUR") for i in range(n)]


# --- creating ---------------------------------------------------------------------------


def test_create_stores_a_draft_invoice_with_normalised_fields(create, repository):
    invoice = create.execute(customer="  ACME GmbH ", amount="12.5", currency="EUR")

    assert invoice == repository.get(invoice.id)
    assert invoice.customer == "ACME GmbH"
    assert invoice.amount == Decimal("12.50")
    assert str(invoice.amount) == "12.50"
    assert invoice.currency == "EUR"
    assert invoice.status is InvoiceStatus.DRAFT


def test_create_numbers_invoices_from_the_stored_id(create):
    first, second = _fill(create, 2)

    assert (first.number, second.number) == ("INV-000001", "INV-000002")


def test_create_accepts_integer_decimal_and_float_amounts_exactly(create):
    assert create.execute("A", 7, "USD").amount == Decimal("7.00")
    assert create.execute("A", Decimal("0.01"), "USD").amount == Decimal("0.01")
    # 12.1 as a binary float is 12.0999...; the float's repr is what the client meant.
    assert create.execute("A", 12.1, "USD").amount == Decimal("12.10")


def test_create_stores_nothing_when_input_is_invalid(create, repository):
    with pytest.raises(InvalidInvoice):
        create.execute(customer="ACME", amount="-1", currency="EUR")

    assert repository.count() == 0


@pytest.mark.parametrize(
    ("customer", "amount", "currency", "field"),
    [
        (None, "1", "EUR", "customer"),
        ("", "1", "EUR", "customer"),
        ("   ", "1", "EUR", "customer"),
        (42, "1", "EUR", "customer"),
        ("x" * 201, "1", "EUR", "customer"),
        ("ACME\x00Corp", "1", "EUR", "customer"),
        ("ACME\nCorp", "1", "EUR", "customer"),
        # A lone surrogate (JSON's "\ud800") has no UTF-8 form: the database would fail.
        ("a\ud800b", "1", "EUR", "customer"),
        ("\udfff", "1", "EUR", "customer"),
        ("ACME", None, "EUR", "amount"),
        ("ACME", "", "EUR", "amount"),
        ("ACME", "twelve", "EUR", "amount"),
        ("ACME", "0", "EUR", "amount"),
        ("ACME", "0.00", "EUR", "amount"),
        ("ACME", "-5", "EUR", "amount"),
        ("ACME", "1.005", "EUR", "amount"),
        ("ACME", "10000000000", "EUR", "amount"),
        ("ACME", "1e10", "EUR", "amount"),
        ("ACME", "NaN", "EUR", "amount"),
        ("ACME", "Infinity", "EUR", "amount"),
        ("ACME", float("inf"), "EUR", "amount"),
        ("ACME", True, "EUR", "amount"),
        ("ACME", ["1"], "EUR", "amount"),
        ("ACME", "1" * 100, "EUR", "amount"),
        # Decimal() takes all of these; an amount is plain ASCII digits and a point.
        ("ACME", "5_000", "EUR", "amount"),
        ("ACME", "1e5", "EUR", "amount"),
        ("ACME", "1E+2", "EUR", "amount"),
        ("ACME", "\u0665", "EUR", "amount"),  # ARABIC-INDIC DIGIT FIVE
        ("ACME", "\uff15", "EUR", "amount"),  # FULLWIDTH DIGIT FIVE
        ("ACME", "+5", "EUR", "amount"),
        ("ACME", "--5", "EUR", "amount"),
        ("ACME", "5.", "EUR", "amount"),
        ("ACME", ".5", "EUR", "amount"),
        ("ACME", "1.500", "EUR", "amount"),
        ("ACME", "1 000", "EUR", "amount"),
        ("ACME", Decimal("1E+5"), "EUR", "amount"),
        ("ACME", 1e16, "EUR", "amount"),
        ("ACME", "1", None, "currency"),
        ("ACME", "1", "eur", "currency"),
        ("ACME", "1", "EURO", "currency"),
        ("ACME", "1", "E1R", "currency"),
        ("ACME", "1", "XXX", "currency"),
        ("ACME", "1", 978, "currency"),
    ],
)
def test_create_rejects_invalid_input_naming_the_field(create, customer, amount, currency, field):
    with pytest.raises(InvalidInvoice) as excinfo:
        create.execute(customer=customer, amount=amount, currency=currency)

    assert excinfo.value.field == field
    assert excinfo.value.message


def test_create_reports_the_first_invalid_field_in_customer_amount_currency_order(create):
    with pytest.raises(InvalidInvoice) as excinfo:
        create.execute(customer="", amount="-1", currency="eur")

    assert excinfo.value.field == "customer"


@pytest.mark.parametrize("amount", ["0.01", "9999999999.99", "1.5", "1.50", "  3.20 ", "100"])
def test_create_accepts_amounts_at_the_bounds(create, amount):
    invoice = create.execute("ACME", amount, "EUR")

    assert invoice.amount == Decimal(amount.strip())
    assert invoice.amount.as_tuple().exponent == -2


def test_customer_of_exactly_200_characters_is_accepted(create):
    assert create.execute("x" * 200, "1", "EUR").customer == "x" * 200


def test_invalid_invoice_is_an_invoice_error_that_names_field_and_message():
    error = InvalidInvoice("amount", "must be greater than 0")

    assert isinstance(error, InvoiceError)
    assert str(error) == "amount: must be greater than 0"


# --- numbering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sequence", "number"),
    [(1, "INV-000001"), (42, "INV-000042"), (999_999, "INV-999999"), (1_000_000, "INV-1000000")],
)
def test_number_for_zero_pads_to_six_digits_and_never_truncates(sequence, number):
    assert InvoiceService().number_for(sequence) == number


@pytest.mark.parametrize("sequence", [0, -1])
def test_number_for_refuses_a_non_positive_sequence(sequence):
    with pytest.raises(ValueError, match="positive"):
        InvoiceService().number_for(sequence)


# --- getting ------------------------------------------------------------------------------


def test_get_returns_the_stored_invoice(create, repository):
    stored = create.execute("ACME", "1", "EUR")

    assert GetInvoice(repository).execute(stored.id) == stored


def test_get_raises_invoice_not_found_for_an_unknown_id(repository):
    with pytest.raises(InvoiceNotFound) as excinfo:
        GetInvoice(repository).execute(404)

    assert excinfo.value.invoice_id == 404


def test_entities_are_immutable(create):
    invoice = create.execute("ACME", "1", "EUR")

    with pytest.raises(AttributeError):
        invoice.amount = Decimal("0")  # type: ignore[misc]
    assert replace(invoice, status=InvoiceStatus.PAID).status is InvoiceStatus.PAID


# --- listing ------------------------------------------------------------------------------


def test_list_returns_newest_first_with_the_total(create, repository):
    created = _fill(create, 3)

    page = ListInvoices(repository).execute()

    assert [i.id for i in page.items] == [c.id for c in reversed(created)]
    assert (page.total, page.limit, page.offset) == (3, DEFAULT_LIMIT, 0)


def test_list_pages_through_all_invoices_without_gaps_or_repeats(create, repository):
    created = _fill(create, 7)
    list_invoices = ListInvoices(repository)

    seen = []
    for offset in range(0, 9, 3):
        page = list_invoices.execute(limit=3, offset=offset)
        assert page.total == 7
        seen.extend(i.id for i in page.items)

    assert sorted(seen) == sorted(c.id for c in created)
    assert len(seen) == len(set(seen))


def test_list_beyond_the_end_is_empty_but_keeps_the_total(create, repository):
    _fill(create, 2)

    page = ListInvoices(repository).execute(limit=10, offset=5)

    assert (page.items, page.total) == ([], 2)


def test_list_caps_the_limit_at_the_maximum(create, repository):
    _fill(create, MAX_LIMIT + 1)

    page = ListInvoices(repository).execute(limit=MAX_LIMIT + 50)

    assert page.limit == MAX_LIMIT
    assert len(page.items) == MAX_LIMIT
    assert page.total == MAX_LIMIT + 1


def test_list_default_limit_is_50(create, repository):
    _fill(create, DEFAULT_LIMIT + 1)

    page = ListInvoices(repository).execute()

    assert DEFAULT_LIMIT == 50
    assert len(page.items) == 50


@pytest.mark.parametrize(
    ("limit", "offset", "field"), [(0, 0, "limit"), (-1, 0, "limit"), (10, -1, "offset")]
)
def test_list_rejects_out_of_range_limit_and_offset(repository, limit, offset, field):
    with pytest.raises(InvalidInvoice) as excinfo:
        ListInvoices(repository).execute(limit=limit, offset=offset)

    assert excinfo.value.field == field


def test_stale_drafts_are_issued_once_and_fresh_ones_left(create, repository):
    old, fresh = _fill(create, 2)
    repository.rows[old.id] = dataclasses.replace(old, created_at=datetime(2020, 1, 1, tzinfo=UTC))
    repository.rows[fresh.id] = dataclasses.replace(fresh, created_at=datetime.now(UTC))
    sweep = IssueStaleDrafts(repository)
    assert sweep.execute(timedelta(days=1)) == 1
    assert repository.get(old.id).status is InvoiceStatus.ISSUED
    assert repository.get(fresh.id).status is InvoiceStatus.DRAFT
    assert sweep.execute(timedelta(days=1)) == 0  # a second sweep changes nothing
