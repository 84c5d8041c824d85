"""gRPC spans through opentelemetry-instrumentation-grpc, with axiomod's provider.

The gRPC server that axiomod runs adds :func:`server_interceptor` (or
:func:`aio_server_interceptor`) to its chain; :func:`instrument_clients` makes every
``grpc`` channel of the process carry the trace context. Plain ``grpc.server`` users add
the interceptor themselves.
"""

from __future__ import annotations

from typing import Any

from .setup import configure, tracer

__all__ = ["aio_server_interceptor", "instrument_clients", "server_interceptor"]


def _provider() -> Any:
    from .setup import FOLLOWING_PROVIDER

    configure()
    return FOLLOWING_PROVIDER


def _not_probes() -> Any:
    """Health and reflection calls are probes and tooling, not traffic: no spans."""
    from opentelemetry.instrumentation.grpc import filters

    return filters.negate(
        filters.any_of(
            filters.service_name("grpc.health.v1.Health"),
            filters.service_prefix("grpc.reflection"),
        )
    )


def server_interceptor() -> Any | None:
    """A ``grpc.ServerInterceptor`` making server spans; None when tracing is off."""
    if tracer() is None:
        return None
    from opentelemetry.instrumentation.grpc import server_interceptor as make

    return make(tracer_provider=_provider(), filter_=_not_probes())


def aio_server_interceptor() -> Any | None:
    """The ``grpc.aio`` flavour of :func:`server_interceptor`."""
    if tracer() is None:
        return None
    from opentelemetry.instrumentation.grpc import aio_server_interceptor as make

    return make(tracer_provider=_provider(), filter_=_not_probes())


def instrument_clients() -> bool:
    """Client spans and ``traceparent`` metadata on every grpc channel made afterwards."""
    if tracer() is None:
        return False
    from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient

    instrumentor = GrpcInstrumentorClient()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=_provider())
    return True
