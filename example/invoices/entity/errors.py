"""Errors of the invoices domain.

Deliveries translate these into their own protocol (HTTP 400/404, gRPC
INVALID_ARGUMENT/NOT_FOUND); the domain never knows about status codes.
"""

from __future__ import annotations


class InvoiceError(Exception):
    """Base of every error the invoices module raises on purpose.

    One base class lets a delivery catch "a domain error" without also swallowing bugs.
    """


# The names read as the domain outcome ("invoice not found"); an Error suffix would add
# nothing but length, and the common base InvoiceError already says what they are.
class InvoiceNotFound(InvoiceError):  # noqa: N818
    """No invoice has the requested id."""

    def __init__(self, invoice_id: int) -> None:
        self.invoice_id = invoice_id
        super().__init__(f"invoice {invoice_id} does not exist")


class InvalidInvoice(InvoiceError):  # noqa: N818
    """Input broke a rule; ``field`` names the offending input so a client can fix it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
