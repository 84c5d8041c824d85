"""JSON API of invoices, on plain Django class-based views (no DRF).

The views only translate: HTTP in -> use case call -> JSON out. Rules live in the
service and use cases, wiring in ``example.invoices.container``, and domain errors are
mapped to status codes in one place (``JsonView.dispatch``) so every endpoint answers
errors the same way::

    400 {"error": "invalid", "field": ..., "detail": ...}
    404 {"error": "not_found", "detail": ...}
    405 {"error": "method_not_allowed", "detail": ...} with an Allow header
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from example.invoices.container import use_cases
from example.invoices.entity import InvalidInvoice, Invoice, InvoiceNotFound
from example.invoices.usecase import DEFAULT_LIMIT

CREATE_FIELDS = frozenset({"customer", "amount", "currency"})
# ASCII digits only (``\d`` would accept Arabic-Indic digits) and a bounded length, so
# the database never sees an integer wider than 64 bits.
_QUERY_INT_RE = re.compile(r"-?[0-9]{1,18}")


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


def error_response(status: int, error: str, detail: str, **extra: str) -> JsonResponse:
    """The one error body shape of the API."""
    return JsonResponse({"error": error, **extra, "detail": detail}, status=status)


# CSRF protection defends cookie-authenticated browser forms: a browser attaches the
# session cookie to a forged cross-site POST on its own. This API is for programs that
# authenticate with a bearer token in the Authorization header, which a browser never
# adds by itself, so there is nothing for a forged request to ride on, and a CSRF token
# would only break legitimate API clients. If these views ever accept session-cookie
# authentication, remove this exemption.
@method_decorator(csrf_exempt, name="dispatch")
class JsonView(View):
    """Base view: maps domain errors and wrong methods to JSON error responses."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().dispatch(request, *args, **kwargs)
        except InvalidInvoice as exc:
            return error_response(400, "invalid", exc.message, field=exc.field)
        except InvoiceNotFound as exc:
            return error_response(404, "not_found", str(exc))

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        allowed = ", ".join(self._allowed_methods())
        response = error_response(
            405, "method_not_allowed", f"{request.method} is not allowed; use {allowed}"
        )
        response["Allow"] = allowed
        return response


class InvoiceCollectionView(JsonView):
    """``GET /invoices/`` lists a page of invoices; ``POST /invoices/`` creates one."""

    http_method_names = ["get", "post", "head", "options"]

    def get(self, request: HttpRequest) -> HttpResponse:
        limit = _query_int(request, "limit", DEFAULT_LIMIT)
        offset = _query_int(request, "offset", 0)
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
        body = _json_object(request)
        unknown = sorted(set(body) - CREATE_FIELDS)
        if unknown:
            # Rejected rather than ignored: a misspelt "amout" silently dropped would
            # surface later as a confusing "amount is required" or, worse, not at all.
            raise InvalidInvoice(unknown[0], "is not a known field")
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


def _json_object(request: HttpRequest) -> dict[str, Any]:
    """Parse the body as a JSON object; anything else is a 400 on field ``body``.

    Numbers with a fraction are parsed straight into ``Decimal`` so ``12.10`` is never a
    binary float on its way to the amount rules.
    """
    try:
        data = json.loads(request.body, parse_float=Decimal)
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError, bytes that are not UTF-8/16/32 and integers
        # beyond Python's digit limit; RecursionError absurdly deep nesting.
        raise InvalidInvoice("body", "must be valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInvoice("body", "must be a JSON object")
    return data


def _query_int(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not _QUERY_INT_RE.fullmatch(raw):
        raise InvalidInvoice(name, "must be an integer")
    return int(raw)
