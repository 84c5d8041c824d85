"""django-socio-grpc services with axiomod's domain errors.

Socio-grpc catches every exception inside its servicer and answers ``UNKNOWN`` with the
class name, so axiomod's error interceptor never sees a ``NotFound``. This socio
middleware converts a domain error into socio's own ``GRPCException`` with the code of
the table in :mod:`axiomod.errors` (socio then aborts with it), and any other exception
into ``INTERNAL`` "internal error" after logging it::

    GRPC_FRAMEWORK = {
        "GRPC_ASYNC": True,
        "GRPC_MIDDLEWARE": [
            "axiomod.grpc.socio.domain_errors_middleware",
            "django_socio_grpc.middlewares.close_old_connections_middleware",
        ],
    }

and the project's socio handler hook goes into ``AXIOMOD["grpc"]["handlers"]``, so
``manage.py axiomod_grpc --asyncio`` serves the services with axiomod's interceptors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import grpc

from axiomod.errors import DomainError, describe

__all__ = ["domain_errors_middleware"]

logger = logging.getLogger("axiomod.grpc")


def _translate(exc: Exception, request: Any) -> Exception:
    from django_socio_grpc.exceptions import GRPCException
    from rest_framework.exceptions import APIException

    if isinstance(exc, APIException):
        return exc  # socio's and DRF's own (a serializer's ValidationError): socio maps them
    if not isinstance(exc, DomainError):
        logger.error("%s failed", getattr(request, "action", "socio-grpc action"), exc_info=exc)
    error = describe(exc)
    translated = GRPCException(detail=error.detail(), code=error.code)
    translated.status_code = getattr(grpc.StatusCode, error.grpc_code)
    return translated


def domain_errors_middleware(get_response: Callable) -> Callable:
    """A socio-grpc middleware (sync or async, like socio's own)."""
    if asyncio.iscoroutinefunction(get_response):

        async def middleware(request: Any) -> Any:
            from django_socio_grpc.utils.utils import safe_async_response

            try:
                return await safe_async_response(get_response, request)
            except Exception as exc:
                raise _translate(exc, request) from exc

        return middleware

    def sync_middleware(request: Any) -> Any:
        try:
            return get_response(request)
        except Exception as exc:
            raise _translate(exc, request) from exc

    return sync_middleware
