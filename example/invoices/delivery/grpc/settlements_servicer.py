"""``Settlements`` gRPC service: accept the settlement of an invoice.

Listed in ``AXIOMOD["grpc"]["handlers"]`` beside the ``Invoices`` service. Errors are the
domain's (``InvoiceNotFound``, ``InvoiceNotSettleable``), answered NOT_FOUND and
ALREADY_EXISTS by axiomod's error interceptor.
"""

from __future__ import annotations

from typing import Any

from example.invoices.container import use_cases

from . import settlements_pb2_grpc
from .servicer import to_message


class SettlementsServicer(settlements_pb2_grpc.SettlementsServicer):
    def SettleInvoice(self, request: Any, context: Any) -> Any:  # noqa: N802  (the proto's name)
        return to_message(use_cases().settle.execute(request.id))


def register(server: Any) -> None:
    """Add the service to ``server`` (a hook of ``AXIOMOD["grpc"]["handlers"]``)."""
    settlements_pb2_grpc.add_SettlementsServicer_to_server(SettlementsServicer(), server)
