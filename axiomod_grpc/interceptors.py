"""The transport's own server interceptor: domain errors to status codes.

* :class:`ErrorInterceptor`: a servicer that raises an :mod:`axiomod.errors` error ends
  the call with its code and message (``NotFound`` -> ``NOT_FOUND``...); any other
  exception is logged with its traceback (logger ``axiomod.grpc``) and ends the call
  with ``INTERNAL`` and a fixed "internal error", so no traceback reaches a client.
  A servicer that calls ``context.abort()`` itself keeps its own code.

:class:`AsyncErrorInterceptor` is its twin for ``grpc.aio`` servers. Health and reflection
calls are passed through untouched (:class:`PassThrough`, shared with the interceptors the
apps contribute). The bearer-token interceptors are ``axiomod_auth``'s
(:mod:`axiomod_auth.grpc`); :func:`current_user` is :mod:`axiomod_grpc.identity`'s.
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

from axiomod.errors import DomainError, describe

from .boundary import call_finished, call_started
from .wrapping import (
    AsyncWrappingInterceptor,
    WrappingInterceptor,
    split_method,
    status_code,
    stream_items,
)

__all__ = [
    "PASS_THROUGH",
    "AsyncErrorInterceptor",
    "ErrorInterceptor",
    "PassThrough",
    "error_interceptor",
]

logger = logging.getLogger("axiomod.grpc")

#: Services (prefixes) no interceptor of axiomod touches: probes and tools.
PASS_THROUGH = ("grpc.health.v1.Health", "grpc.reflection.")


class PassThrough:
    """Health and reflection calls are passed through untouched (a mixin of interceptors)."""

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


# What Django does around each HTTP request: old connections closed, the replica pin
# reset, the project's own receivers run (see boundary.py).
_started = call_started
_finished = call_finished


class ErrorInterceptor(PassThrough, WrappingInterceptor):
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


class AsyncErrorInterceptor(PassThrough, AsyncWrappingInterceptor):
    """Domain errors -> status codes, on a ``grpc.aio`` server.

    A synchronous servicer method (protoc's generated base classes are synchronous) runs
    in a thread, as Django runs a sync view under ASGI, so the ORM works in it; an async
    one runs on the loop. ``request_started``/``request_finished`` are sent around both.

    The thread is one of the server's own pool (``AXIOMOD["grpc"]["max_workers"]``, the
    pool grpc.aio runs the sync handlers it is given in) once :meth:`use_executor` has
    been called, as ``build_server()`` does; otherwise the event loop's default one.
    """

    def __init__(self) -> None:
        super().__init__()
        self._executor: futures.Executor | None = None

    def use_executor(self, executor: futures.Executor) -> None:
        """Run synchronous servicer methods in ``executor`` (the server's pool)."""
        self._executor = executor

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
                return _in_thread(behaviour, streams, fail, self._executor)
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


def _in_thread(
    behaviour: Callable, streams: bool, fail: Callable, executor: futures.Executor | None
) -> Callable:
    """An async behaviour running the sync ``behaviour`` in a thread of ``executor``.

    Not asgiref's ``sync_to_async(thread_sensitive=False)``, which used the loop's
    default executor (unbounded by ``max_workers``) and costs more per call for what it
    adds here (copying context variables back to the caller, thread-sensitive mode):
    the call runs in a copy of the caller's context, so what the chain set (the
    caller's identity, the span) is seen by the servicer.
    """
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

    async def unary(request: Any, context: Any) -> Any:
        run = contextvars.copy_context().run
        try:
            return await asyncio.get_running_loop().run_in_executor(
                executor, run, call, request, context
            )
        except Exception as exc:
            await fail(exc, context)

    return unary


_END = object()


def error_interceptor(*, asyncio: bool) -> Any:
    """The chain's error contribution, for a thread-pool or a ``grpc.aio`` server."""
    return AsyncErrorInterceptor() if asyncio else ErrorInterceptor()
