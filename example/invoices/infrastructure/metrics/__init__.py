"""Application metrics of the invoices module."""

from .invoice_metrics import InvoiceMetrics

__all__ = ["InvoiceMetrics"]
