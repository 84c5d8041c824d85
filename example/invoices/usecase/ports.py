"""Outbound ports of the use cases: what they tell the outside world, not how.

Implementations live in ``infrastructure/`` and are wired in the module's ``container``.
"""

from __future__ import annotations

from typing import Protocol

from example.invoices.entity import Invoice


class InvoiceEvents(Protocol):
    """Told about each new entity after it is stored."""

    def created(self, invoice: Invoice) -> None: ...
