"""A base for JSON endpoints on plain Django class-based views.

Views of a Clean Architecture module only translate: HTTP in, a use case call, JSON out.
What every such view needs besides that is here, once: domain errors
(:mod:`axiomod.errors`) answered with their status and the error body, a JSON 405 with an
``Allow`` header, and parsing of a JSON object body and of integer query parameters into
``InvalidInput`` naming the field. ``axiomod generate`` writes views on this base.

DRF was looked at: its ``APIView`` does all of this and more, and a team that wants
serializers and browsable pages should use it (with :func:`axiomod.errors.drf_exception_handler`).
This base exists so a generated module needs nothing beyond Django.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from axiomod.errors import DomainError, InvalidInput

__all__ = ["JsonView", "error_response", "json_object", "query_int"]

# ASCII digits only (``\d`` would accept Arabic-Indic digits) and a bounded length, so a
# database never sees an integer wider than 64 bits.
_QUERY_INT_RE = re.compile(r"-?[0-9]{1,18}")


def error_response(status: int, error: str, detail: str, **extra: str) -> JsonResponse:
    """The one error body shape, :meth:`axiomod.errors.DomainError.body`'s:
    ``{"error": code, "detail": message[, "field": name]}``."""
    return JsonResponse({"error": error, "detail": detail, **extra}, status=status)


# CSRF protection defends cookie-authenticated browser forms: a browser attaches the
# session cookie to a forged cross-site POST on its own. JSON APIs built on this base are
# for programs that authenticate with a bearer token in the Authorization header, which a
# browser never adds by itself, so there is nothing for a forged request to ride on. A
# subclass that accepts session-cookie authentication must wrap its dispatch in
# ``csrf_protect``.
@method_decorator(csrf_exempt, name="dispatch")
class JsonView(View):
    """Maps :class:`axiomod.errors.DomainError` and wrong methods to JSON error responses.

    The mapping happens here rather than only in ``DomainErrorMiddleware`` so a view
    answers the same whether or not the project installed the middleware.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().dispatch(request, *args, **kwargs)
        except DomainError as exc:
            return JsonResponse(exc.body(), status=exc.status)

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        allowed = ", ".join(self._allowed_methods())
        response = error_response(
            405, "method_not_allowed", f"{request.method} is not allowed; use {allowed}"
        )
        response["Allow"] = allowed
        return response


def json_object(request: HttpRequest, *, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """The body as a JSON object; anything else is ``InvalidInput`` on field ``body``.

    Numbers with a fraction are parsed into ``Decimal``, so ``12.10`` never passes through
    a binary float. With ``fields``, an unknown key is rejected rather than ignored: a
    misspelt key silently dropped would surface later as a confusing "is required".
    """
    try:
        data = json.loads(request.body, parse_float=Decimal)
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError, bytes that are not UTF-8/16/32 and integers
        # beyond Python's digit limit; RecursionError absurdly deep nesting.
        raise InvalidInput("must be valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("must be a JSON object", field="body")
    if fields is not None:
        unknown = sorted(set(data) - fields)
        if unknown:
            raise InvalidInput("is not a known field", field=unknown[0])
    return data


def query_int(request: HttpRequest, name: str, default: int) -> int:
    """Integer query parameter ``name``; absent or empty is ``default``."""
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not _QUERY_INT_RE.fullmatch(raw):
        raise InvalidInput("must be an integer", field=name)
    return int(raw)
