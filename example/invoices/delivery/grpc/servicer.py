"""``Invoices`` gRPC service: the same use cases as the JSON API, in protobuf.

The servicer only translates messages; errors are raised as the domain raises them
(``InvoiceNotFound`` is an :class:`axiomod.errors.NotFound`, ``InvalidInvoice`` an
:class:`~axiomod.errors.InvalidInput`) and axiomod's error interceptor answers
NOT_FOUND / INVALID_ARGUMENT with the message, so no RPC maps errors by hand.
"""

from __future__ import annotations

from typing import Any

from example.invoices.container import use_cases
from example.invoices.entity import Invoice
from example.invoices.usecase import DEFAULT_LIMIT

from . import invoices_pb2, invoices_pb2_grpc


def to_message(invoice: Invoice) -> invoices_pb2.Invoice:
    return invoices_pb2.Invoice(
        id=invoice.id,
        number=invoice.number,
        customer=invoice.customer,
        amount=f"{invoice.amount:.2f}",
        currency=invoice.currency,
        status=invoice.status.value,
        created_at=invoice.created_at.isoformat() if invoice.created_at else "",
    )


class InvoicesServicer(invoices_pb2_grpc.InvoicesServicer):
    def CreateInvoice(self, request: Any, context: Any) -> invoices_pb2.Invoice:  # noqa: N802
        invoice = use_cases().create.execute(
            customer=request.customer, amount=request.amount, currency=request.currency
        )
        return to_message(invoice)

    def GetInvoice(self, request: Any, context: Any) -> invoices_pb2.Invoice:  # noqa: N802
        return to_message(use_cases().get.execute(request.id))

    def ListInvoices(self, request: Any, context: Any) -> invoices_pb2.ListInvoicesResponse:  # noqa: N802
        page = use_cases().list.execute(limit=request.limit or DEFAULT_LIMIT, offset=request.offset)
        return invoices_pb2.ListInvoicesResponse(
            invoices=[to_message(i) for i in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )
