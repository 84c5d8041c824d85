"""Django imports ``<app>.models`` to find an app's models; the model lives in the
infrastructure layer, so this module only re-exports it."""

from example.invoices.infrastructure.persistence.models import InvoiceModel

__all__ = ["InvoiceModel"]
