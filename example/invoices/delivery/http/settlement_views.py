"""``POST /invoices/<id>/settle/``: the public edge of settlement, forwarding to gRPC.

Settlement belongs to the billing core, whose API is the ``Settlements`` gRPC service
(``settlements.proto``); this view is the browser-facing door to it, so the rules of
settling live behind one API. Deployed, the web and gRPC Deployments are separate
processes, so this is a network call: the channel carries the request's trace context
(opentelemetry-instrumentation-grpc's client interceptor, switched on by
``axiomod_grpc.tracing.instrument_clients``) and the gRPC server continues the trace.

Answers 202 with the invoice: the settlement is accepted and the invoice becomes
``paid`` once the job scheduled from ``invoices.settled`` has run. The gRPC status of a
refusal comes back as the same domain error (404 unknown invoice, 409 a draft).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import grpc
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from axiomod.errors import Conflict, DomainError, InvalidInput, NotFound, Timeout, Unavailable
from axiomod.views import JsonView
from axiomod_grpc.tracing import instrument_clients
from example.invoices.delivery.grpc import settlements_pb2, settlements_pb2_grpc

#: Seconds the edge waits for the billing core before answering 408.
DEADLINE = 5.0

#: The domain error each gRPC refusal stands for (the inverse of the error interceptor).
_ERRORS: dict[grpc.StatusCode, type[DomainError]] = {
    getattr(grpc.StatusCode, error.grpc_code): error
    for error in (NotFound, InvalidInput, Conflict, Timeout, Unavailable)
}


@functools.cache
def _settlements(pid: int, target: str) -> settlements_pb2_grpc.SettlementsStub:
    """One channel per process and target: ``pid`` is in the key because a gRPC channel
    does not survive ``fork()`` (gunicorn workers build their own on first use)."""
    instrument_clients()  # before the channel exists: it wraps channels made afterwards
    return settlements_pb2_grpc.SettlementsStub(grpc.insecure_channel(target))


class SettleInvoiceView(JsonView):
    """``POST /invoices/<id>/settle/`` -> ``Settlements.SettleInvoice`` -> 202."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        stub = _settlements(os.getpid(), settings.SETTLEMENTS_GRPC_TARGET)
        try:
            invoice = stub.SettleInvoice(
                settlements_pb2.SettleInvoiceRequest(id=pk), timeout=DEADLINE
            )
        except grpc.RpcError as error:
            refusal = _ERRORS.get(error.code())
            if refusal is None:
                raise
            raise refusal(error.details()) from None
        return JsonResponse(_invoice_json(invoice), status=202)


def _invoice_json(message: Any) -> dict[str, Any]:
    """The invoice in the JSON API's form (``invoice_to_json``) from its gRPC message,
    which carries the same fields in the same text forms."""
    fields = ("id", "number", "customer", "amount", "currency", "status")
    return {
        **{name: getattr(message, name) for name in fields},
        "created_at": message.created_at or None,
    }
