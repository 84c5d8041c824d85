"""gRPC spans through opentelemetry-instrumentation-grpc, with axiomod's provider.

The gRPC glue of :mod:`axiomod.tracing` (which sets tracing up and stays in the kernel):
``axiomod_grpc`` contributes :func:`server_interceptor` (or :func:`aio_server_interceptor`)
to its chain (order 200, after metrics); :func:`instrument_clients` makes every ``grpc``
channel of the process carry the trace context. Plain ``grpc.server`` users add the
interceptor themselves.
"""

from __future__ import annotations

from typing import Any

from axiomod.tracing import preset_trace_id, root_decision, tracer, tracer_provider

from .wrapping import rewrap

__all__ = [
    "aio_server_interceptor",
    "instrument_clients",
    "server_interceptor",
    "tracing_interceptor",
]


PROBES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def _parent_fields() -> frozenset[str]:
    from opentelemetry import propagate

    return frozenset(field.lower() for field in propagate.get_global_textmap().fields)


def _has_parent(details: Any, fields: frozenset[str]) -> bool:
    return any(key in fields for key, _ in details.invocation_metadata or ())


def _preset(trace_id: int, is_async: bool) -> Any:
    """Wrap behaviours so the span the inner interceptor starts gets ``trace_id``."""

    def wrap(behaviour: Any, streams: bool) -> Any:
        if is_async and streams:

            async def async_streaming(request: Any, context: Any) -> Any:
                with preset_trace_id(trace_id):
                    async for item in behaviour(request, context):
                        yield item

            return async_streaming
        if is_async:

            async def async_unary(request: Any, context: Any) -> Any:
                with preset_trace_id(trace_id):
                    return await behaviour(request, context)

            return async_unary
        if streams:

            def streaming(request: Any, context: Any) -> Any:
                with preset_trace_id(trace_id):
                    yield from behaviour(request, context)

            return streaming

        def unary(request: Any, context: Any) -> Any:
            with preset_trace_id(trace_id):
                return behaviour(request, context)

        return unary

    return wrap


class _Decision:
    """What happens to a call: ``None`` no span, ``0`` the SDK decides, else a preset id.

    opentelemetry-instrumentation-grpc starts an SDK span for every call, sampled or not,
    and its ``filter_`` helpers cost ~9 µs per ``isinstance`` against grpcio's
    ``HandlerCallDetails`` protocol (``bench grpc``). So, as the HTTP middleware does,
    the root decision for a call without a caller's context is taken here with the
    ratio sampler's own rule; unsampled calls and probes bypass the instrumentation.
    """

    def __init__(self) -> None:
        self._fields: frozenset[str] | None = None

    def __call__(self, details: Any) -> int | None:
        if details.method.startswith(PROBES):
            return None
        if self._fields is None:
            self._fields = _parent_fields()
        if _has_parent(details, self._fields):
            return 0
        decision = root_decision()
        if decision is None:
            return 0
        return decision[0] if decision[1] else None


def _sampling_interceptor(inner: Any) -> Any:
    import grpc

    class SampledServerInterceptor(grpc.ServerInterceptor):
        def __init__(self) -> None:
            self.decide = _Decision()

        def intercept_service(self, continuation: Any, details: Any) -> Any:
            decision = self.decide(details)
            if decision is None:
                return continuation(details)
            handler = inner.intercept_service(continuation, details)
            if decision == 0 or handler is None:
                return handler
            return rewrap(handler, _preset(decision, is_async=False))

    return SampledServerInterceptor()


def _aio_sampling_interceptor(inner: Any) -> Any:
    from grpc import aio

    class SampledAioServerInterceptor(aio.ServerInterceptor):
        def __init__(self) -> None:
            self.decide = _Decision()

        async def intercept_service(self, continuation: Any, details: Any) -> Any:
            decision = self.decide(details)
            if decision is None:
                return await continuation(details)
            handler = await inner.intercept_service(continuation, details)
            if decision == 0 or handler is None:
                return handler
            return rewrap(handler, _preset(decision, is_async=True))

    return SampledAioServerInterceptor()


def server_interceptor() -> Any | None:
    """A ``grpc.ServerInterceptor`` making server spans; None when tracing is off.

    Calls without a caller's trace context that the ratio sampler would not sample, and
    health/reflection calls, get no span and cost a few microseconds.
    """
    if tracer() is None:
        return None
    from opentelemetry.instrumentation.grpc import server_interceptor as make

    return _sampling_interceptor(make(tracer_provider=tracer_provider()))


def aio_server_interceptor() -> Any | None:
    """The ``grpc.aio`` flavour of :func:`server_interceptor`."""
    if tracer() is None:
        return None
    from opentelemetry.instrumentation.grpc import aio_server_interceptor as make

    return _aio_sampling_interceptor(make(tracer_provider=tracer_provider()))


def instrument_clients() -> bool:
    """Client spans and ``traceparent`` metadata on every grpc channel made afterwards."""
    if tracer() is None:
        return False
    from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient

    instrumentor = GrpcInstrumentorClient()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider())
    return True


def tracing_interceptor(*, asyncio: bool) -> Any | None:
    """The chain's tracing contribution: None unless ``AXIOMOD["tracing"]`` exports."""
    from axiomod import tracing

    if not tracing.exports():
        return None
    return aio_server_interceptor() if asyncio else server_interceptor()
