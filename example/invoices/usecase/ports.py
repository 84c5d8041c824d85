"""Outbound ports of the use cases: what they tell the outside world, not how.

Implementations live in ``infrastructure/`` (metrics today, a Kafka publisher once the
messaging app lands) and are wired in ``example.invoices.container``.
"""

from __future__ import annotations

from typing import Protocol

from example.invoices.entity import Invoice


class InvoiceEvents(Protocol):
    """Told about each invoice after it is stored."""

    def created(self, invoice: Invoice) -> None: ...
