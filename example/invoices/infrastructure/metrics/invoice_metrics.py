"""``invoices_created_total``: an application metric through ``axiomod_metrics``' API."""

from __future__ import annotations

from axiomod_metrics import counter
from example.invoices.entity import Invoice


class InvoiceMetrics:
    """Implements the ``InvoiceEvents`` port by counting invoices per currency."""

    def __init__(self) -> None:
        # Get-or-create: safe however often the module is imported or the class built.
        self._created = counter(
            "invoices_created_total", "Invoices created, by currency.", ["currency"]
        )

    def created(self, invoice: Invoice) -> None:
        self._created.labels(invoice.currency).inc()
