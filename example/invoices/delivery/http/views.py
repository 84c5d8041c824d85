"""JSON API of invoices, on plain Django class-based views (no DRF).

The views only translate: HTTP in -> use case call -> JSON out. Rules live in the
service and use cases, wiring in ``example.invoices.container``, and domain errors are
mapped to status codes in one place (:class:`axiomod.views.JsonView`, the base
``axiomod generate`` writes views on) so every endpoint answers errors the same way::

    400 {"error": "invalid", "detail": ..., "field": ...}
    404 {"error": "not_found", "detail": ...}
    405 {"error": "method_not_allowed", "detail": ...} with an Allow header
    413 {"error": "too_large", ...}, 415 {"error": "unsupported_media_type", ...}
        for a body over DATA_UPLOAD_MAX_MEMORY_SIZE or not sent as application/json
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from axiomod.views import JsonView, json_object, query_int
from example.invoices.container import use_cases
from example.invoices.entity import Invoice
from example.invoices.usecase import DEFAULT_LIMIT

CREATE_FIELDS = frozenset({"customer", "amount", "currency"})


def invoice_to_json(invoice: Invoice) -> dict[str, Any]:
    """The wire form of an invoice.

    ``amount`` is a string with exactly two decimals ("12.50"): a JSON number would be
    read as a binary float by most clients and lose cents on large amounts.
    """
    return {
        "id": invoice.id,
        "number": invoice.number,
        "customer": invoice.customer,
        "amount": f"{invoice.amount:.2f}",
        "currency": invoice.currency,
        "status": invoice.status.value,
        "created_at": invoice.created_at.isoformat() if invoice.created_at else None,
    }


class InvoiceCollectionView(JsonView):
    """``GET /invoices/`` lists a page of invoices; ``POST /invoices/`` creates one."""

    http_method_names = ["get", "post", "head", "options"]

    def get(self, request: HttpRequest) -> HttpResponse:
        limit = query_int(request, "limit", DEFAULT_LIMIT)
        offset = query_int(request, "offset", 0)
        page = use_cases().list.execute(limit=limit, offset=offset)
        return JsonResponse(
            {
                "items": [invoice_to_json(invoice) for invoice in page.items],
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
            }
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        body = json_object(request, fields=CREATE_FIELDS)
        invoice = use_cases().create.execute(
            customer=body.get("customer"),
            amount=body.get("amount"),
            currency=body.get("currency"),
        )
        response = JsonResponse(invoice_to_json(invoice), status=201)
        response["Location"] = reverse("invoices:detail", kwargs={"pk": invoice.id})
        return response


class InvoiceDetailView(JsonView):
    """``GET /invoices/<id>/`` returns one invoice or 404."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return JsonResponse(invoice_to_json(use_cases().get.execute(pk)))
