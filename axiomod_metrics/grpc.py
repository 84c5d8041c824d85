"""gRPC server interceptors recording ``grpc_requests_total`` and ``grpc_request_duration_seconds``.

Works on a plain ``grpc.server`` (:class:`MetricsInterceptor`), a ``grpc.aio.server``
(:class:`AsyncMetricsInterceptor`) and django-socio-grpc (list either in
``GRPC_FRAMEWORK["SERVER_INTERCEPTORS"]``). ``status`` is the status code name (``OK``,
``NOT_FOUND``...). The health and reflection services are not recorded: probes would
drown the real traffic.

py-grpc-prometheus was looked at: unmaintained since 2021, sync only, and its metric
names (``grpc_server_handled_total``) differ from the Go framework's.

:class:`~axiomod_metrics.apps.MetricsConfig` contributes them to ``axiomod_grpc``'s chain
(order 100, outermost) when ``AXIOMOD["metrics"]["grpc"]`` is on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc

from axiomod_grpc import AsyncWrappingInterceptor, WrappingInterceptor, stream_items
from axiomod_grpc import split_method as _split
from axiomod_grpc import status_code as _code_of

from . import exemplars
from .metrics import grpc_metrics

__all__ = [
    "SKIPPED_SERVICES",
    "AsyncExemplarInterceptor",
    "AsyncMetricsInterceptor",
    "ExemplarInterceptor",
    "MetricsInterceptor",
    "server_interceptor",
]

SKIPPED_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)


class _Recorder:
    """Caches label children; the metrics are made on the first call, not at construction.

    django-socio-grpc takes interceptor *instances* in ``settings.py``; reading
    ``AXIOMOD`` (the buckets) while the settings module is still being executed would
    freeze whatever part of it was written so far.
    """

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def record(self, service: str, method: str, code: grpc.StatusCode, seconds: float) -> None:
        key = (service, method, code.name)
        children = self._children.get(key)
        if children is None:
            requests, durations = grpc_metrics()
            children = self._children[key] = (requests.labels(*key), durations.labels(*key))
        children[0].inc()
        # Left by the Exemplar interceptor inside the tracing one, for sampled calls only.
        children[1].observe(seconds, exemplars.take())


class _Recording:
    """The recorder both flavours share; probes (health, reflection) are not recorded."""

    def __init__(self) -> None:
        super().__init__()
        self._recorder = _Recorder()

    def skip(self, method: str) -> bool:
        return _split(method)[0] in SKIPPED_SERVICES


class MetricsInterceptor(_Recording, WrappingInterceptor):
    """For synchronous ``grpc.server(..., interceptors=[MetricsInterceptor()])``."""

    def wrapper(self, full_method: str) -> Callable[[Callable, bool], Callable]:
        service, method = _split(full_method)
        record = self._recorder.record

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                def streaming(request: Any, context: Any) -> Iterator[Any]:
                    start = time.perf_counter()
                    error = None
                    try:
                        yield from behaviour(request, context)
                    except BaseException as exc:
                        error = exc
                        raise
                    finally:
                        code = _code_of(context, error)
                        record(service, method, code, time.perf_counter() - start)

                return streaming

            def unary(request: Any, context: Any) -> Any:
                start = time.perf_counter()
                error = None
                try:
                    return behaviour(request, context)
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    record(service, method, _code_of(context, error), time.perf_counter() - start)

            return unary

        return wrap


class AsyncMetricsInterceptor(_Recording, AsyncWrappingInterceptor):
    """For ``grpc.aio.server(interceptors=[AsyncMetricsInterceptor()])``."""

    def wrapper(self, full_method: str) -> Callable[[Callable, bool], Callable]:
        service, method = _split(full_method)
        record = self._recorder.record

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
                    start = time.perf_counter()
                    error = None
                    try:
                        async for item in stream_items(behaviour(request, context)):
                            yield item
                    except BaseException as exc:
                        error = exc
                        raise
                    finally:
                        code = _code_of(context, error)
                        record(service, method, code, time.perf_counter() - start)

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                start = time.perf_counter()
                error = None
                try:
                    result = behaviour(request, context)
                    if hasattr(result, "__await__"):
                        result = await result
                    return result
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    record(service, method, _code_of(context, error), time.perf_counter() - start)

            return unary

        return wrap


def server_interceptor(*, asyncio: bool) -> Any:
    """The chain's metrics contribution, for a thread-pool or a ``grpc.aio`` server."""
    return AsyncMetricsInterceptor() if asyncio else MetricsInterceptor()


class ExemplarInterceptor(WrappingInterceptor):
    """Inside the tracing interceptor: keeps a sampled call's span ids for the recorder.

    The metrics interceptor is outermost and records after the tracing layer has ended
    the span, so the ids are read here, while the span is current
    (:mod:`axiomod_metrics.exemplars`).
    """

    def wrapper(self, full_method: str) -> Callable[[Callable, bool], Callable]:
        remember = exemplars.remember

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                def streaming(request: Any, context: Any) -> Iterator[Any]:
                    remember()
                    yield from behaviour(request, context)

                return streaming

            def unary(request: Any, context: Any) -> Any:
                remember()
                return behaviour(request, context)

            return unary

        return wrap


class AsyncExemplarInterceptor(AsyncWrappingInterceptor):
    """:class:`ExemplarInterceptor` for ``grpc.aio`` servers."""

    def wrapper(self, full_method: str) -> Callable[[Callable, bool], Callable]:
        remember = exemplars.remember

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
                    remember()
                    async for item in stream_items(behaviour(request, context)):
                        yield item

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                remember()
                result = behaviour(request, context)
                if hasattr(result, "__await__"):
                    result = await result
                return result

            return unary

        return wrap


def exemplar_interceptor(*, asyncio: bool) -> Any:
    """The exemplar capture for a server, or None where it would keep nothing.

    Off in multiprocess mode (prometheus_client drops exemplars there) and when tracing
    makes no spans. It must sit inside the tracing interceptor: the app contributes it
    to ``axiomod_grpc``'s chain at 250, between tracing (200) and auth (300); on a plain
    server, list it after ``axiomod_grpc.tracing.SpanInterceptor``.
    """
    from axiomod.tracing import tracer

    if not exemplars.enabled() or tracer() is None:
        return None
    return AsyncExemplarInterceptor() if asyncio else ExemplarInterceptor()
