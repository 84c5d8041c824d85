"""gRPC delivery of the invoices module (not yet implemented).

The gRPC delivery issue adds ``CreateInvoice``, ``GetInvoice`` and ``ListInvoices`` RPCs
here, calling the same use cases as the JSON API through ``example.invoices.container``
and mapping ``InvalidInvoice`` / ``InvoiceNotFound`` to ``INVALID_ARGUMENT`` /
``NOT_FOUND``.
"""
