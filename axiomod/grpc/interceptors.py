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

import asyncio
import contextvars
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
from asgiref.sync import sync_to_async
from django.core.signals import request_finished, request_started

from axiomod.errors import DomainError, describe

from .handlers import (
    AsyncWrappingInterceptor,
    WrappingInterceptor,
    split_method,
    status_code,
    stream_items,
)

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


class _PassThrough:
    """Health and reflection calls are passed through untouched."""

    def skip(self, method: str) -> bool:
        return split_method(method)[0].startswith(PASS_THROUGH)


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


SENDER = "axiomod.grpc"


def _started() -> None:
    # What Django does around each HTTP request: old connections closed, the replica
    # pin reset, the project's own request_started receivers run.
    request_started.send(sender=SENDER)


def _finished() -> None:
    request_finished.send(sender=SENDER)


class ErrorInterceptor(_PassThrough, WrappingInterceptor):
    """Domain errors -> status codes, on a synchronous ``grpc.server``.

    Innermost in the chain, it is also the call's boundary for Django: it sends
    ``request_started``/``request_finished`` around the servicer, as Django's handlers do
    around a request, so database connections are recycled the same way.
    """

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                def streaming(request: Any, context: Any) -> Iterator[Any]:
                    _started()
                    try:
                        yield from behaviour(request, context)
                    except Exception as exc:
                        if _already_ended(context):
                            raise
                        error = _report(exc, method)
                        context.abort(_code(error), error.detail())
                    finally:
                        _finished()

                return streaming

            def unary(request: Any, context: Any) -> Any:
                _started()
                try:
                    return behaviour(request, context)
                except Exception as exc:
                    if _already_ended(context):
                        raise
                    error = _report(exc, method)
                    context.abort(_code(error), error.detail())
                finally:
                    _finished()

            return unary

        return wrap


class _Abort(Exception):  # noqa: N818
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


class _ThreadContext:
    """The ``grpc.aio`` context as a synchronous servicer method expects it.

    A sync method runs in a thread here; ``abort()`` of an aio context is a coroutine,
    so this one raises instead and the interceptor aborts on the event loop.
    """

    def __init__(self, context: Any) -> None:
        self._context = context

    def abort(self, code: grpc.StatusCode, details: str = "", *args: Any) -> None:
        raise _Abort(code, details)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def _is_async(behaviour: Callable) -> bool:
    return inspect.iscoroutinefunction(behaviour) or inspect.isasyncgenfunction(behaviour)


class AsyncErrorInterceptor(_PassThrough, AsyncWrappingInterceptor):
    """Domain errors -> status codes, on a ``grpc.aio`` server.

    A synchronous servicer method (protoc's generated base classes are synchronous) runs
    in a thread, as Django runs a sync view under ASGI, so the ORM works in it; an async
    one runs on the loop. ``request_started``/``request_finished`` are sent around both.
    """

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:

        async def fail(exc: Exception, context: Any) -> None:
            if isinstance(exc, _Abort):
                await context.abort(exc.code, exc.details)
            if _already_ended(context):
                raise exc
            error = _report(exc, method)
            await context.abort(_code(error), error.detail())

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if not _is_async(behaviour):
                return _in_thread(behaviour, streams, fail)
            signal_started = sync_to_async(_started)
            signal_finished = sync_to_async(_finished)
            if streams:

                async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
                    await signal_started()
                    try:
                        async for item in stream_items(behaviour(request, context)):
                            yield item
                    except Exception as exc:
                        await fail(exc, context)
                    finally:
                        await signal_finished()

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                await signal_started()
                try:
                    return await behaviour(request, context)
                except Exception as exc:
                    await fail(exc, context)
                finally:
                    await signal_finished()

            return unary

        return wrap


def _in_thread(behaviour: Callable, streams: bool, fail: Callable) -> Callable:
    """An async behaviour running the sync ``behaviour`` in a thread (``sync_to_async``)."""
    if streams:

        async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
            # One thread for the whole stream: the generator and its database
            # connection stay on it.
            with futures.ThreadPoolExecutor(1, thread_name_prefix="grpc-stream") as pool:
                loop = asyncio.get_running_loop()
                run = functools.partial(loop.run_in_executor, pool)
                try:
                    await run(_started)
                    items = await run(lambda: iter(behaviour(request, _ThreadContext(context))))
                    while (item := await run(next, items, _END)) is not _END:
                        yield item
                except Exception as exc:
                    await fail(exc, context)
                finally:
                    await run(_finished)

        return streaming

    def call(request: Any, context: Any) -> Any:
        _started()
        try:
            return behaviour(request, _ThreadContext(context))
        finally:
            _finished()

    threaded = sync_to_async(call, thread_sensitive=False)

    async def unary(request: Any, context: Any) -> Any:
        try:
            return await threaded(request, context)
        except Exception as exc:
            await fail(exc, context)

    return unary


_END = object()


def _authorization(context: Any) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            return value if isinstance(value, str) else value.decode()
    return None


def _unauthenticated(exc: Exception) -> str:
    code = getattr(exc, "code", "invalid_token")
    return f"invalid_token ({code}): {exc}"


class AuthInterceptor(_PassThrough, WrappingInterceptor):
    """Bearer tokens in ``authorization`` metadata, verified by ``axiomod_auth``."""

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:
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

        return wrap


class AsyncAuthInterceptor(_PassThrough, AsyncWrappingInterceptor):
    """:class:`AuthInterceptor` for ``grpc.aio``; verification runs in a thread (it may
    fetch keys and look the user up in the database)."""

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:
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
                    async for item in stream_items(behaviour(request, context)):
                        yield item

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                _identity.set(await identify(context))
                result = behaviour(request, context)
                return await result if hasattr(result, "__await__") else result

            return unary

        return wrap
