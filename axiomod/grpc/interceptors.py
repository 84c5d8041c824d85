"""axiomod's own gRPC server interceptors: domain errors to status codes, bearer tokens.

* :class:`ErrorInterceptor`: a servicer that raises an :mod:`axiomod.errors` error ends
  the call with its code and message (``NotFound`` -> ``NOT_FOUND``...); any other
  exception is logged with its traceback (logger ``axiomod.grpc``) and ends the call
  with ``INTERNAL`` and a fixed "internal error", so no traceback reaches a client.
  A servicer that calls ``context.abort()`` itself keeps its own code.
* :class:`AuthInterceptor`: a call with ``authorization: Bearer <jwt>`` metadata is
  verified as an HTTP request would be (``axiomod_auth``: cached discovery and keys,
  audience, issuer, expiry); a bad token ends the call with ``UNAUTHENTICATED`` and the
  reason. A call without a token goes on anonymous; servicers that need a user read
  :func:`current_user` and raise :class:`~axiomod.errors.Unauthorized`.

Each has an ``Async...`` twin for ``grpc.aio`` servers. Health and reflection calls are
passed through untouched.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
from grpc import aio

from axiomod.errors import DomainError, describe

from .handlers import rewrap, split_method, status_code

__all__ = [
    "AsyncAuthInterceptor",
    "AsyncErrorInterceptor",
    "AuthInterceptor",
    "ErrorInterceptor",
    "current_claims",
    "current_user",
]

logger = logging.getLogger("axiomod.grpc")

PASS_THROUGH = ("grpc.health.v1.Health", "grpc.reflection.")

_identity: contextvars.ContextVar[tuple[Any, dict[str, Any]] | None] = contextvars.ContextVar(
    "axiomod_grpc_identity", default=None
)


def current_user() -> Any | None:
    """The user of the call being served (None: anonymous or no auth interceptor)."""
    found = _identity.get()
    return found[0] if found else None


def current_claims() -> dict[str, Any] | None:
    """The verified token claims of the call being served."""
    found = _identity.get()
    return found[1] if found else None


def _skipped(handler_call_details: Any) -> bool:
    return split_method(handler_call_details.method)[0].startswith(PASS_THROUGH)


def _code(error: DomainError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, error.grpc_code)


def _already_ended(context: Any) -> bool:
    """The servicer (or an inner interceptor) called ``context.abort()`` itself."""
    return status_code(context) is not grpc.StatusCode.OK


def _report(exc: BaseException, method: str) -> DomainError:
    error = describe(exc)
    if not isinstance(exc, DomainError):
        logger.error("%s failed", method, exc_info=exc)
    return error


class ErrorInterceptor(grpc.ServerInterceptor):
    """Domain errors -> status codes, on a synchronous ``grpc.server``."""

    def intercept_service(self, continuation: Callable, handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or _skipped(handler_call_details):
            return handler
        method = handler_call_details.method

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                def streaming(request: Any, context: Any) -> Iterator[Any]:
                    try:
                        yield from behaviour(request, context)
                    except Exception as exc:
                        if _already_ended(context):
                            raise
                        error = _report(exc, method)
                        context.abort(_code(error), error.detail())

                return streaming

            def unary(request: Any, context: Any) -> Any:
                try:
                    return behaviour(request, context)
                except Exception as exc:
                    if _already_ended(context):
                        raise
                    error = _report(exc, method)
                    context.abort(_code(error), error.detail())

            return unary

        return rewrap(handler, wrap)


class AsyncErrorInterceptor(aio.ServerInterceptor):
    """Domain errors -> status codes, on a ``grpc.aio`` server."""

    async def intercept_service(self, continuation: Callable, handler_call_details: Any) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or _skipped(handler_call_details):
            return handler
        method = handler_call_details.method

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
                    try:
                        result = behaviour(request, context)
                        if hasattr(result, "__aiter__"):
                            async for item in result:
                                yield item
                        else:
                            for item in await result if hasattr(result, "__await__") else result:
                                yield item
                    except Exception as exc:
                        if _already_ended(context):
                            raise
                        error = _report(exc, method)
                        await context.abort(_code(error), error.detail())

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                try:
                    result = behaviour(request, context)
                    if hasattr(result, "__await__"):
                        result = await result
                    return result
                except Exception as exc:
                    if _already_ended(context):
                        raise
                    error = _report(exc, method)
                    await context.abort(_code(error), error.detail())

            return unary

        return rewrap(handler, wrap)


def _authorization(context: Any) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            return value if isinstance(value, str) else value.decode()
    return None


def _unauthenticated(exc: Exception) -> str:
    code = getattr(exc, "code", "invalid_token")
    return f"invalid_token ({code}): {exc}"


class AuthInterceptor(grpc.ServerInterceptor):
    """Bearer tokens in ``authorization`` metadata, verified by ``axiomod_auth``."""

    def intercept_service(self, continuation: Callable, handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or _skipped(handler_call_details):
            return handler
        from axiomod_auth.bearer import authenticate_bearer
        from axiomod_auth.errors import TokenError

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            def identify(context: Any) -> tuple[Any, dict[str, Any]] | None:
                try:
                    return authenticate_bearer(_authorization(context))
                except TokenError as exc:
                    context.abort(grpc.StatusCode.UNAUTHENTICATED, _unauthenticated(exc))

            if streams:

                def streaming(request: Any, context: Any) -> Iterator[Any]:
                    token = _identity.set(identify(context))
                    try:
                        yield from behaviour(request, context)
                    finally:
                        _identity.reset(token)

                return streaming

            def unary(request: Any, context: Any) -> Any:
                token = _identity.set(identify(context))
                try:
                    return behaviour(request, context)
                finally:
                    _identity.reset(token)

            return unary

        return rewrap(handler, wrap)


class AsyncAuthInterceptor(aio.ServerInterceptor):
    """:class:`AuthInterceptor` for ``grpc.aio``; verification runs in a thread (it may
    fetch keys and look the user up in the database)."""

    async def intercept_service(self, continuation: Callable, handler_call_details: Any) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or _skipped(handler_call_details):
            return handler
        from asgiref.sync import sync_to_async

        from axiomod_auth.bearer import authenticate_bearer
        from axiomod_auth.errors import TokenError

        verify = sync_to_async(authenticate_bearer, thread_sensitive=False)

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            async def identify(context: Any) -> tuple[Any, dict[str, Any]] | None:
                try:
                    return await verify(_authorization(context))
                except TokenError as exc:
                    await context.abort(grpc.StatusCode.UNAUTHENTICATED, _unauthenticated(exc))
                    raise  # abort raises; this line is never reached

            if streams:

                async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
                    _identity.set(await identify(context))
                    result = behaviour(request, context)
                    if hasattr(result, "__aiter__"):
                        async for item in result:
                            yield item
                    else:
                        for item in await result if hasattr(result, "__await__") else result:
                            yield item

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                _identity.set(await identify(context))
                result = behaviour(request, context)
                return await result if hasattr(result, "__await__") else result

            return unary

        return rewrap(handler, wrap)
