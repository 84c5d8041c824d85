"""What axiomod's middlewares share: one class for sync and async stacks.

Django calls a middleware with the next handler; under ASGI that handler is a coroutine
function and the middleware must be one too, or Django wraps it in a thread hop per
request. A subclass sets up its own state in ``__init__`` after calling this one, and
writes ``__call__`` (sync) and ``__acall__`` (async); ``__call__`` returns
``self.__acall__(request)`` when ``self.is_async``.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

__all__ = ["DomainErrorMiddleware", "SyncAndAsyncMiddleware"]


class SyncAndAsyncMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class DomainErrorMiddleware(SyncAndAsyncMiddleware):
    """Answer :mod:`axiomod.errors` raised by a view with their status and a JSON body.

    ``{"error": "not_found", "detail": "invoice 7 not found"}`` with 404, and so on down
    the table in :mod:`axiomod.errors`. Any other exception is logged with its traceback
    (logger ``axiomod.errors``) and answered ``500 {"error": "internal", ...}``, never
    with its text; with ``DEBUG`` on it is left to Django's debug page instead. A
    database connection that cannot be had (:mod:`axiomod.db.outage`) is ``503
    {"error": "unavailable", ...}`` with ``Retry-After``, with ``DEBUG`` on too. The
    exceptions Django answers itself (``Http404``, ``PermissionDenied``, ``BadRequest``,
    ``SuspiciousOperation``) keep Django's answers: its ``handler400``/``403``/``404``,
    JSON too when the root URLconf imports :mod:`axiomod.views`' handlers. Place it
    after the metrics and tracing middlewares so they see the final status.
    """

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return self.get_response(request)

    async def __acall__(self, request: Any) -> Any:
        return await self.get_response(request)

    def process_exception(self, request: Any, exception: Exception) -> Any:
        from django.conf import settings
        from django.http import JsonResponse

        from axiomod.errors import INTERNAL, describe

        error = describe(exception)
        if error is INTERNAL:
            if settings.DEBUG or isinstance(exception, _DJANGO_ANSWERED):
                return None  # Django's own answer (debug page, 404, 403, 400)
            _logger().error("%s %s failed", request.method, request.path, exc_info=exception)
        # A database that cannot be reached is a 503 with DEBUG on too: the debug page
        # would run the QuerySets of the traceback's frames again, paying the pool
        # timeout once for each (axiomod.db.outage).
        response = JsonResponse(error.body(), status=error.status)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response


def _django_answered() -> tuple[type[BaseException], ...]:
    from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
    from django.http import Http404
    from django.http.multipartparser import MultiPartParserError

    return (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


_DJANGO_ANSWERED = _django_answered()


def _logger() -> Any:
    import logging

    return logging.getLogger("axiomod.errors")
