"""Pieces every axiomod server interceptor needs: method names, status codes, rewrapping.

grpcio hands an interceptor a ``RpcMethodHandler``; to run code around the call, an
interceptor returns a copy whose behaviour is wrapped. grpcio has no helper for that
(``grpc-interceptor`` on PyPI does, but only for the synchronous server and with its own
exception mapping), so :func:`rewrap` is the one place it is done, for the metrics,
auth and error interceptors alike.

(Not called ``handlers.py``: that name is the Kafka handlers' module that
``axiomod_messaging`` autodiscovers in every app.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from grpc import aio

__all__ = [
    "AsyncFusedInterceptor",
    "AsyncWrappingInterceptor",
    "FusedInterceptor",
    "HandlerCache",
    "WrappingInterceptor",
    "rewrap",
    "split_method",
    "status_code",
    "stream_items",
]


def split_method(full_method: str) -> tuple[str, str]:
    """``"/package.Service/Method"`` -> ``("package.Service", "Method")``."""
    service, _, method = full_method.lstrip("/").partition("/")
    return service, method


def status_code(context: Any, error: BaseException | None = None) -> grpc.StatusCode:
    """The code the call ended with: the one set on ``context``, else OK or UNKNOWN."""
    code = context.code() if hasattr(context, "code") else None
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):  # grpc.aio may report the raw cygrpc integer
        for status in grpc.StatusCode:
            if status.value[0] == code:
                return status
    return grpc.StatusCode.OK if error is None else grpc.StatusCode.UNKNOWN


def rewrap(handler: grpc.RpcMethodHandler, wrap: Callable[[Callable, bool], Callable]) -> Any:
    """A copy of ``handler`` whose behaviour is ``wrap(behaviour, streams_response)``."""
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary, False),
            handler.request_deserializer,
            handler.response_serializer,
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            wrap(handler.unary_stream, True),
            handler.request_deserializer,
            handler.response_serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary, False),
            handler.request_deserializer,
            handler.response_serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        wrap(handler.stream_stream, True),
        handler.request_deserializer,
        handler.response_serializer,
    )


class HandlerCache:
    """Wrapped handlers by method, reused while the inner handler is the same object.

    A server hands an interceptor the same ``RpcMethodHandler`` for a method on every
    call (and the tracing interceptor hands on the inner one for unsampled calls), so
    the wrapped copy is built once instead of per call (a few µs each).
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._items: dict[str, tuple[Any, Any]] = {}
        self._limit = limit

    def get(self, method: str, handler: Any) -> Any | None:
        found = self._items.get(method)
        return found[1] if found is not None and found[0] is handler else None

    def put(self, method: str, handler: Any, wrapped: Any) -> Any:
        if len(self._items) < self._limit or method in self._items:
            self._items[method] = (handler, wrapped)
        return wrapped


async def stream_items(result: Any) -> AsyncIterator[Any]:
    """The items of a streaming behaviour's result under ``grpc.aio``, whatever its form:
    an async iterator, a coroutine giving one (or a plain iterable), or an iterable."""
    if not hasattr(result, "__aiter__") and hasattr(result, "__await__"):
        result = await result
    if hasattr(result, "__aiter__"):
        async for item in result:
            yield item
    else:
        for item in result:
            yield item


class _Wrapping:
    """What axiomod's server interceptors share: wrap each method's handler once.

    A subclass says which methods it leaves alone (:meth:`skip`) and how it wraps a
    behaviour (:meth:`wrapper`, given the full method name); the continuation call, the
    cache and :func:`rewrap` are done here, for the sync and the ``grpc.aio`` flavours.
    """

    def __init__(self) -> None:
        self._cache = HandlerCache()

    def skip(self, method: str) -> bool:
        return False

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:
        raise NotImplementedError  # each interceptor's own wrapping

    def _wrapped(self, method: str, handler: Any) -> Any:
        if handler is None:
            return None
        cached = self._cache.get(method, handler)
        if cached is not None:
            return cached
        return self._cache.put(method, handler, self._rewrapped(method, handler))

    def _rewrapped(self, method: str, handler: Any) -> Any:
        return handler if self.skip(method) else rewrap(handler, self.wrapper(method))


class WrappingInterceptor(_Wrapping, grpc.ServerInterceptor):
    """Base of a synchronous server interceptor that wraps behaviours."""

    def intercept_service(self, continuation: Callable, handler_call_details: Any) -> Any:
        method = handler_call_details.method
        return self._wrapped(method, continuation(handler_call_details))


class AsyncWrappingInterceptor(_Wrapping, aio.ServerInterceptor):
    """Base of a ``grpc.aio`` server interceptor that wraps behaviours."""

    async def intercept_service(self, continuation: Callable, handler_call_details: Any) -> Any:
        method = handler_call_details.method
        return self._wrapped(method, await continuation(handler_call_details))


def fusable(interceptor: Any) -> bool:
    """Whether ``interceptor`` can run inside a fused layer: it says how it wraps a
    method's behaviour (``skip(method)``, ``wrapper(method)``), as the bases above do."""
    return callable(getattr(interceptor, "wrapper", None)) and callable(
        getattr(interceptor, "skip", None)
    )


class _Fused(_Wrapping):
    """Several wrapping interceptors run as one grpcio interceptor.

    grpcio runs each interceptor of a server as a layer per call: its
    ``intercept_service``, a continuation closure, a handler lookup. Here the parts'
    wrappers are folded into one handler per method, built once (innermost part
    first) and cached, so a call pays one layer and, per part, only the frame of its
    wrapped behaviour (#22). A part that :meth:`skip` s a method is left out of that
    method's handler, as it would pass the call through on its own.
    """

    def __init__(self, parts: Any) -> None:
        super().__init__()
        self.parts = tuple(parts)

    def _rewrapped(self, method: str, handler: Any) -> Any:
        for part in reversed(self.parts):
            if not part.skip(method):
                handler = rewrap(handler, part.wrapper(method))
        return handler


class FusedInterceptor(_Fused, WrappingInterceptor):
    """The parts (``WrappingInterceptor`` s, outermost first) as one sync interceptor."""


class AsyncFusedInterceptor(_Fused, AsyncWrappingInterceptor):
    """The parts (``AsyncWrappingInterceptor`` s, outermost first) as one aio interceptor."""
