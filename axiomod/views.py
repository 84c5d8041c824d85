"""A base for JSON endpoints on plain Django class-based views, and JSON error pages.

Views of a Clean Architecture module only translate: HTTP in, a use case call, JSON out.
What every such view needs besides that is here, once: domain errors
(:mod:`axiomod.errors`) answered with their status and the error body, a JSON 405 with an
``Allow`` header, a 415 for a body that is not declared JSON, a 413 for a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, and parsing of a JSON object body and of integer query
parameters into ``InvalidInput`` naming the field. ``axiomod generate`` writes views on
this base.

What happens before a view runs (no route matched, an unknown ``Host``, a crash) is
answered by Django's error handlers; :func:`bad_request`, :func:`permission_denied`,
:func:`page_not_found` and :func:`server_error` answer those in the same JSON shape. A
project switches them on with one line in its root URLconf::

    from axiomod.views import handler400, handler403, handler404, handler500  # noqa: F401

DRF was looked at: its ``APIView`` does all of this and more, and a team that wants
serializers and browsable pages should use it (with :func:`axiomod.errors.drf_exception_handler`).
This base exists so a generated module needs nothing beyond Django.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, ClassVar, NoReturn

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from axiomod.errors import INTERNAL, DomainError, InvalidInput
from axiomod.validation import MAX_NUMBER_DIGITS, JsonDecimal

__all__ = [
    "JsonView",
    "bad_request",
    "csrf_failure",
    "error_response",
    "handler400",
    "handler403",
    "handler404",
    "handler500",
    "is_json_content_type",
    "json_object",
    "page_not_found",
    "permission_denied",
    "query_int",
    "request_too_large",
    "server_error",
]

# ASCII digits only (``\d`` would accept Arabic-Indic digits) and a bounded length, so a
# database never sees an integer wider than 64 bits.
_QUERY_INT_RE = re.compile(r"-?[0-9]{1,18}")

# JSON types are application/json and any application/<something>+json (RFC 6839).
_JSON_CONTENT_TYPE_RE = re.compile(r"application/(?:[^/;\s]+\+)?json")


def error_response(status: int, error: str, detail: str, **extra: str) -> JsonResponse:
    """The one error body shape, :meth:`axiomod.errors.DomainError.body`'s:
    ``{"error": code, "detail": message[, "field": name]}``."""
    return JsonResponse({"error": error, "detail": detail, **extra}, status=status)


def is_json_content_type(content_type: str) -> bool:
    """Whether a (parsed, lower-case) ``Content-Type`` says JSON: ``application/json``
    or ``application/<x>+json``."""
    return _JSON_CONTENT_TYPE_RE.fullmatch(content_type) is not None


def _has_body(request: HttpRequest) -> bool:
    # Django reads exactly CONTENT_LENGTH bytes (none when it is absent or not a number;
    # see WSGIRequest.__init__), so that is what "has a body" means to a view.
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return False


def request_too_large(request: HttpRequest, exception: BaseException | None = None) -> JsonResponse:
    """413 with the JSON error body, logged as one WARNING line without a traceback.

    Django treats ``RequestDataTooBig`` as a ``SuspiciousOperation``: a 400 from
    ``handler400`` and an ERROR with the traceback on ``django.security.RequestDataTooBig``
    (``django.core.handlers.exception.response_for_exception``). A client sending too
    much is neither suspicious nor our error, and has a status of its own. The line goes
    to the same logger through Django's ``log_response``, which marks the response as
    logged so Django does not log it a second time.
    """
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = error_response(
        413, "too_large", f"the request body is larger than {limit} bytes", field="body"
    )
    log_response(
        "Request body too large (over DATA_UPLOAD_MAX_MEMORY_SIZE=%s bytes): %s",
        limit,
        request.path,
        response=response,
        request=request,
        logger=logging.getLogger("django.security.RequestDataTooBig"),
        level="warning",
    )
    return response


class JsonView(View):
    """Maps :class:`axiomod.errors.DomainError`, wrong methods, bodies that are not JSON
    (415) and bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413) to JSON error responses.

    The mapping happens here rather than only in ``DomainErrorMiddleware`` and the error
    handlers so a view answers the same whether or not the project installed them. The
    handlers may be ``async def`` (all of them, as Django requires): the view is then a
    coroutine function with the same answers, served under ASGI without a thread hop.

    CSRF protection defends cookie-authenticated browser requests: a browser attaches the
    session cookie to a forged cross-site POST on its own. These views are for programs
    that authenticate with a bearer token in the Authorization header, which a browser
    never adds by itself, so they are CSRF-exempt. What a browser does send cross-site
    without asking (no CORS preflight) is a "simple" request: a body typed text/plain,
    form-urlencoded or multipart. Requiring a JSON Content-Type for every body (415
    otherwise) keeps those away from the views, which matters for services reached
    without credentials (an internal API that a browser on the intranet can reach). A
    subclass that also accepts session-cookie authentication sets ``csrf_protected = True``:
    a POST without a body needs no Content-Type, so only the CSRF check stops that one.
    """

    #: Run Django's CSRF check (for views that also accept the session cookie).
    csrf_protected: ClassVar[bool] = False

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponse]:
        """The view function, CSRF-exempt unless ``csrf_protected`` is set.

        Exempted here, as DRF's ``APIView.as_view`` does, rather than with
        ``method_decorator(csrf_exempt)`` on ``dispatch``: ``View.as_view`` copies the
        flag from ``dispatch`` onto every subclass's view, and neither ``csrf_protect``
        on a subclass's ``dispatch`` nor the middleware would then check it.
        """
        view = super().as_view(**initkwargs)
        return csrf_protect(view) if cls.csrf_protected else csrf_exempt(view)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """The handler's response, or a coroutine of it when the handlers are ``async def``.

        Async handlers (Django's ``view_is_async``) return coroutines: the errors they
        raise surface at the ``await``, so the mapping moves into :meth:`_adispatch`, and
        the view stays a coroutine function that Django's ASGI handler awaits as it is.
        """
        refused = self._refuse_body(request)
        if self.view_is_async:
            return self._adispatch(refused, request, *args, **kwargs)
        if refused is not None:
            return refused
        try:
            return super().dispatch(request, *args, **kwargs)
        except DomainError as exc:
            return JsonResponse(exc.body(), status=exc.status)
        except RequestDataTooBig as exc:
            return request_too_large(request, exc)

    async def _adispatch(
        self, refused: HttpResponse | None, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if refused is not None:
            return refused
        try:
            # Every handler of an async view returns a coroutine (Django's own 405 and
            # OPTIONS do; so does this class's 405).
            return await super().dispatch(request, *args, **kwargs)
        except DomainError as exc:
            return JsonResponse(exc.body(), status=exc.status)
        except RequestDataTooBig as exc:
            return request_too_large(request, exc)

    def _refuse_body(self, request: HttpRequest) -> HttpResponse | None:
        """415 for a body not declared JSON sent to a handler of this view, else None."""
        method = (request.method or "").lower()
        if (
            method in self.http_method_names
            and hasattr(self, method)
            and _has_body(request)
            and not is_json_content_type(request.content_type or "")
        ):
            return error_response(
                415,
                "unsupported_media_type",
                "the request body must be sent as Content-Type: application/json",
            )
        return None

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        allowed = ", ".join(self._allowed_methods())
        response = error_response(
            405, "method_not_allowed", f"{request.method} is not allowed; use {allowed}"
        )
        response["Allow"] = allowed
        if self.view_is_async:  # as Django's View.http_method_not_allowed does

            async def answer() -> HttpResponse:
                return response

            return answer()
        return response


class _NumberOutOfRangeError(ValueError):
    pass


def _json_decimal(text: str) -> JsonDecimal:
    # A number longer than the bound, or whose exponent would write out more digits than
    # it (1e999999999), is refused rather than handed to code that may quantize it or
    # convert it to int.
    if len(text) > MAX_NUMBER_DIGITS:
        raise _NumberOutOfRangeError(text[:20])
    try:
        number = JsonDecimal(text)
    except ArithmeticError:  # decimal.InvalidOperation: an exponent beyond decimal's own
        raise _NumberOutOfRangeError(text[:20]) from None
    if abs(number.adjusted()) > MAX_NUMBER_DIGITS:
        raise _NumberOutOfRangeError(text[:20])
    return number


def _no_constant(name: str) -> NoReturn:
    # json.loads takes NaN, Infinity and -Infinity by default; they are not JSON.
    raise ValueError(f"{name} is not JSON")


def json_object(request: HttpRequest, *, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """The body as a JSON object; anything else is ``InvalidInput`` on field ``body``.

    Numbers with a fraction or an exponent are parsed into
    :class:`axiomod.validation.JsonDecimal` (a ``Decimal`` that remembers its text), so
    ``12.10`` never passes through a binary float and
    :func:`axiomod.validation.clean_decimal` can refuse ``1e5``. A number beyond what
    Python parses as an integer (4300 digits, or an exponent that would write out more)
    and ``NaN``/``Infinity`` are refused. With ``fields``, an unknown key is rejected
    rather than ignored: a misspelt key silently dropped would surface later as a
    confusing "is required".
    """
    try:
        data = json.loads(request.body, parse_float=_json_decimal, parse_constant=_no_constant)
    except _NumberOutOfRangeError:
        raise InvalidInput(
            f"has a number out of range (at most {MAX_NUMBER_DIGITS} digits)", field="body"
        ) from None
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


# --- error handlers -----------------------------------------------------------------------
# Django answers what happens outside a view (no route matched, an unknown Host, a body
# over the limit read by a middleware, a crash) through the root URLconf's handler400,
# handler403, handler404 and handler500, whose defaults (django.views.defaults) render
# HTML templates. These answer the same errors in the JSON body every view uses. They
# never echo the request (no path, no host): a handler400 for DisallowedHost must not
# call request.get_host(), which raises again.


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: 400 ``{"error": "bad_request"}``; 413 for a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (see :func:`request_too_large`)."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request, exception)
    return error_response(400, "bad_request", "the request could not be understood")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``: 403 ``{"error": "forbidden"}``."""
    return error_response(403, "forbidden", "forbidden")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: 404 ``{"error": "not_found"}`` for a URL no route matches."""
    return error_response(404, "not_found", "no such resource")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: 403 ``{"error": "forbidden"}`` with Django's reason, for
    views with ``JsonView.csrf_protected`` (Django's default renders an HTML page)."""
    return error_response(403, "forbidden", f"CSRF verification failed: {reason}")


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 500 with the fixed internal error body, never the exception."""
    return JsonResponse(INTERNAL.body(), status=500)


# The names Django looks up in a root URLconf, so one import line switches them on.
handler400 = bad_request
handler403 = permission_denied
handler404 = page_not_found
handler500 = server_error
