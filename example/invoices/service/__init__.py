"""Domain services: business rules that belong to no single entity instance."""

from example.invoices.service.invoice_service import (
    ALLOWED_CURRENCIES,
    MAX_AMOUNT,
    MAX_CUSTOMER_LENGTH,
    InvoiceService,
)

__all__ = ["ALLOWED_CURRENCIES", "MAX_AMOUNT", "MAX_CUSTOMER_LENGTH", "InvoiceService"]
