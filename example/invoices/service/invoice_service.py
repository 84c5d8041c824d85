"""Business rules of invoices: what a valid invoice is and what its number looks like.

Every delivery (the JSON API, the gRPC API) hands its raw input to this one service, so
the rules and their error messages are written once and a client sees the same answer
whichever protocol it speaks.
"""

from __future__ import annotations

import re
from decimal import Decimal

from axiomod.validation import clean_decimal, clean_text
from example.invoices.entity import InvalidInvoice, NewInvoice

MAX_CUSTOMER_LENGTH = 200
"""Matches ``InvoiceModel.customer``'s ``max_length``; checked here so the database never
truncates (MySQL) or rejects (PostgreSQL) a name with a 500."""

MAX_AMOUNT = Decimal(10) ** 10
"""Exclusive upper bound: ``DecimalField(max_digits=12, decimal_places=2)`` holds at most
9,999,999,999.99."""

CURRENCY_PLACES = 2
"""Minor units of every currency in ``ALLOWED_CURRENCIES``."""
CENT = Decimal("0.01")

ALLOWED_CURRENCIES = frozenset(
    {"AUD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "NOK", "NZD", "PLN", "SEK", "USD"}
)
"""ISO 4217 codes the service bills in. All have two minor units, which is why every
amount is stored with exactly two decimal places."""

_CURRENCY_RE = re.compile(r"[A-Z]{3}")
NUMBER_PREFIX = "INV-"


class InvoiceService:
    """Validates input into a ``NewInvoice`` and formats invoice numbers.

    The ``clean_*`` methods accept ``object`` because they sit at the trust boundary: JSON
    and protobuf hand over whatever the client sent, and a wrong type must become an
    ``InvalidInvoice`` naming the field, not a ``TypeError`` and a 500.
    """

    def new_invoice(self, customer: object, amount: object, currency: object) -> NewInvoice:
        """Return the normalised ``NewInvoice``; raise ``InvalidInvoice`` on the first bad field."""
        return NewInvoice(
            customer=self.clean_customer(customer),
            amount=self.clean_amount(amount),
            currency=self.clean_currency(currency),
        )

    def clean_customer(self, value: object) -> str:
        """A customer name: text, trimmed, not blank, at most 200 characters, no control
        characters (PostgreSQL rejects NUL outright, and newlines break invoice layouts),
        storable as UTF-8 (:func:`axiomod.validation.clean_text`)."""
        return clean_text(value, "customer", max_length=MAX_CUSTOMER_LENGTH, error=InvalidInvoice)

    def clean_amount(self, value: object) -> Decimal:
        """A positive amount below 10^10 written plainly with at most two decimal places
        (``"12.50"`` or ``12.50``, never ``"1e5"``, ``"5_000"`` or Arabic-Indic digits:
        :func:`axiomod.validation.clean_decimal`), as a ``Decimal`` quantized to cents.

        Strings and JSON numbers are exact; a float is taken by its shortest repr
        (``12.5`` -> ``Decimal("12.5")``), never by its binary value (``12.1`` is not
        ``12.0999999999999996447286321199499070644378662109375``).
        """
        amount = clean_decimal(value, "amount", places=CURRENCY_PLACES, error=InvalidInvoice)
        if amount <= 0:
            raise InvalidInvoice("amount", "must be greater than 0")
        if amount >= MAX_AMOUNT:
            raise InvalidInvoice("amount", f"must be less than {MAX_AMOUNT:f}")
        return amount.quantize(CENT)

    def clean_currency(self, value: object) -> str:
        """An upper-case three-letter ISO 4217 code the service bills in."""
        if value is None:
            raise InvalidInvoice("currency", "is required")
        if not isinstance(value, str):
            raise InvalidInvoice("currency", "must be a string")
        if not _CURRENCY_RE.fullmatch(value):
            raise InvalidInvoice("currency", "must be an upper-case three-letter ISO 4217 code")
        if value not in ALLOWED_CURRENCIES:
            allowed = ", ".join(sorted(ALLOWED_CURRENCIES))
            raise InvalidInvoice("currency", f"is not supported; use one of {allowed}")
        return value

    def number_for(self, sequence: int) -> str:
        """``INV-000042``: zero-padded to six digits so numbers sort as text up to
        999,999 invoices, and simply longer after that (never truncated, never reused)."""
        if sequence < 1:
            raise ValueError(f"invoice sequence must be positive, got {sequence}")
        return f"{NUMBER_PREFIX}{sequence:06d}"
