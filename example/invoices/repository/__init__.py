"""Repository ports: what the use cases need from storage, with no storage in sight."""

from example.invoices.repository.invoice_repository import InvoiceRepository, NumberFor

__all__ = ["InvoiceRepository", "NumberFor"]
