"""Errors of the invoices domain.

Each is also one of axiomod's shared domain errors (:mod:`axiomod.errors`), which says
what kind of failure it is, not how a protocol spells it: the HTTP views answer 400/404
and the gRPC interceptor INVALID_ARGUMENT/NOT_FOUND from that kind, in one place each.
"""

from __future__ import annotations

from axiomod.errors import InvalidInput, NotFound


class InvoiceError(Exception):
    """Base of every error the invoices module raises on purpose.

    One base class lets a delivery catch "a domain error" without also swallowing bugs.
    """


# The names read as the domain outcome ("not found"); an Error suffix would add nothing
# but length, and the common base class already says what they are.
class InvoiceNotFound(InvoiceError, NotFound):  # noqa: N818
    """No invoice has the requested id."""

    def __init__(self, invoice_id: int) -> None:
        self.invoice_id = missing = invoice_id
        super().__init__(f"invoice {missing} does not exist")


class InvalidInvoice(InvoiceError, InvalidInput):  # noqa: N818
    """Input broke a rule; ``field`` names the offending input so a client can fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"
