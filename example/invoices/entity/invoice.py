"""The invoice entity and the value object that asks for a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class InvoiceStatus(StrEnum):
    """Where an invoice is in its life.

    A ``StrEnum`` so the value is the wire and database representation as-is: no mapping
    table to keep in sync between the model, the JSON API and the gRPC messages.
    """

    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"


@dataclass(frozen=True, slots=True)
class NewInvoice:
    """A request to create an invoice, already validated by ``InvoiceService``.

    It has no id, number or timestamp: those are assigned by the repository when the row
    is stored, which is the only place they can be assigned without races.
    """

    customer: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Invoice:
    """A stored invoice.

    Frozen so a use case cannot change an invoice behind the repository's back; a change
    of state is a new value handed to the repository. ``amount`` is a ``Decimal`` with two
    places because money must never pass through binary floating point.
    """

    id: int | None
    number: str
    customer: str
    amount: Decimal
    currency: str
    status: InvoiceStatus = InvoiceStatus.DRAFT
    created_at: datetime | None = None
