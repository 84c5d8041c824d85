"""Entities: the invoice as the business sees it, with no framework imports.

Keeping this layer free of Django means every rule above it can be unit-tested in
microseconds and shared by the HTTP and gRPC deliveries.
"""

from example.invoices.entity.errors import InvalidInvoice, InvoiceError, InvoiceNotFound
from example.invoices.entity.invoice import Invoice, InvoiceStatus, NewInvoice

__all__ = [
    "InvalidInvoice",
    "Invoice",
    "InvoiceError",
    "InvoiceNotFound",
    "InvoiceStatus",
    "NewInvoice",
]
