"""gRPC server spans, made with the OpenTelemetry SDK on axiomod's provider.

The gRPC glue of :mod:`axiomod.tracing` (which sets tracing up and stays in the kernel):
``axiomod_grpc`` contributes :func:`server_interceptor` (or :func:`aio_server_interceptor`)
to its chain (order 200, after metrics); :func:`instrument_clients` makes every ``grpc``
channel of the process carry the trace context (opentelemetry-instrumentation-grpc's
client side). Plain ``grpc.server`` users add the interceptor themselves.

Why not opentelemetry-instrumentation-grpc's *server* interceptor (used until #22): it
starts an SDK span for every call, sampled or not, wraps the servicer context in a proxy
per call to catch ``abort``/``set_code``, and costs a grpcio interceptor layer of its own
(~70 µs per sampled call in ``bench grpc``'s profile, besides the export). Here the root
decision for a call without a caller's context is taken first, with the ratio sampler's
own rule (as the HTTP middleware does): an unsampled call costs a metadata scan and one
random draw. A sampled call gets the span the instrumentation would make — name = the full
method, kind SERVER, ``rpc.system``/``rpc.service``/``rpc.method``/
``rpc.grpc.status_code``, ``rpc.user_agent``, ``net.peer.ip``/``net.peer.port``/
``net.peer.name``, an ERROR status with ``"<code>:<details>"`` for the server-error
codes, the caller's ``traceparent`` as parent — with the status read from the context
when the call ends (grpcio records what ``abort``/``set_code`` set), so no proxy is
needed. The spans' instrumentation scope is axiomod's tracer (as for HTTP spans).
``tests/grpc/test_chain_guarantees.py`` pins these on both server kinds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import unquote

import grpc

from axiomod.tracing import preset_trace_id, root_decision, tracer, tracer_provider

from .wrapping import (
    AsyncWrappingInterceptor,
    WrappingInterceptor,
    split_method,
    status_code,
    stream_items,
)

__all__ = [
    "AsyncSpanInterceptor",
    "SpanInterceptor",
    "aio_server_interceptor",
    "instrument_clients",
    "server_interceptor",
    "tracing_interceptor",
]


PROBES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

#: Codes that mark a server span as failed (the instrumentation's rule, which follows the
#: RPC semantic conventions: client errors such as NOT_FOUND leave the status unset).
SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


def _parent_fields() -> frozenset[str]:
    from opentelemetry import propagate

    return frozenset(field.lower() for field in propagate.get_global_textmap().fields)


def _has_parent(metadata: Any, fields: frozenset[str]) -> bool:
    return any(key in fields for key, _ in metadata or ())


class _Decision:
    """What happens to a call: ``None`` no span, ``0`` the SDK decides, else a preset id.

    Calls with a caller's trace context go to the SDK (its parent-based sampler follows
    the caller); for the others the root decision is taken here with the ratio sampler's
    own rule, so an unsampled call never reaches the SDK. Probes get no span.
    """

    def __init__(self) -> None:
        self._fields: frozenset[str] | None = None

    def for_metadata(self, metadata: Any) -> int | None:
        if self._fields is None:
            self._fields = _parent_fields()
        if _has_parent(metadata, self._fields):
            return 0
        decision = root_decision()
        if decision is None:
            return 0
        return decision[0] if decision[1] else None

    def __call__(self, details: Any) -> int | None:
        """The decision from grpcio's handler call details (what ``bench grpc`` times)."""
        if details.method.startswith(PROBES):
            return None
        return self.for_metadata(details.invocation_metadata)


def _peer_attributes(peer: str) -> dict[str, str]:
    """``ipv4:10.2.1.1:57284`` (or ``ipv6:[::1]:57284``) -> net.peer.ip/port(/name)."""
    if peer.startswith("unix:"):
        return {}
    try:
        ip, port = peer.split(",")[0].split(":", 1)[1].rsplit(":", 1)
    except (IndexError, ValueError):
        return {}
    ip = unquote(ip)
    found = {"net.peer.ip": ip, "net.peer.port": port}
    if ip in ("[::1]", "127.0.0.1"):
        found["net.peer.name"] = "localhost"
    return found


def _details(context: Any) -> str:
    details = context.details() if hasattr(context, "details") else None
    if isinstance(details, bytes):
        return details.decode("utf-8", "replace")
    return details or ""


class _Spans:
    """Starting and ending the server span of a call of one method."""

    def __init__(self, full_method: str, decision: _Decision) -> None:
        from opentelemetry import context, propagate, trace

        service, method = split_method(full_method)
        self._name = full_method
        self._static = {
            "rpc.system": "grpc",
            "rpc.grpc.status_code": grpc.StatusCode.OK.value[0],
            "rpc.method": method,
            "rpc.service": service,
        }
        self._decision = decision
        self._context, self._propagate, self._trace = context, propagate, trace
        self._server = trace.SpanKind.SERVER

    def start(self, context: Any) -> tuple[Any, Any] | None:
        """(span, context token) for a traced call; None for a call without a span."""
        metadata = context.invocation_metadata()
        decision = self._decision.for_metadata(metadata)
        if decision is None:
            return None
        active = tracer()
        if active is None:  # tracing was switched off since the chain was built
            return None
        attributes = dict(self._static)
        parent = None
        if metadata:
            carrier = {item[0]: item[1] for item in metadata}
            if decision == 0:
                parent = self._propagate.extract(carrier)
            if "user-agent" in carrier:
                attributes["rpc.user_agent"] = carrier["user-agent"]
        attributes.update(_peer_attributes(context.peer()))
        if decision:
            with preset_trace_id(decision):
                span = active.start_span(
                    self._name, context=parent, kind=self._server, attributes=attributes
                )
        else:
            span = active.start_span(
                self._name, context=parent, kind=self._server, attributes=attributes
            )
        token = self._context.attach(self._trace.set_span_in_context(span, parent))
        return span, token

    def end(self, started: tuple[Any, Any], context: Any, error: BaseException | None) -> None:
        span, token = started
        try:
            if span.is_recording():
                code = status_code(context, error)
                if code is not grpc.StatusCode.OK:
                    span.set_attribute("rpc.grpc.status_code", code.value[0])
                    if code in SERVER_ERRORS:
                        span.set_status(
                            self._trace.Status(
                                self._trace.StatusCode.ERROR, f"{code}:{_details(context)}"
                            )
                        )
                # A bare Exception is grpcio's abort (its status is set above); anything
                # else escaped the servicer and every interceptor inside this one.
                if error is not None and type(error) is not Exception:
                    span.record_exception(error)
        finally:
            span.end()
            self._context.detach(token)


class _Tracing:
    """What both flavours share: probes are not traced, one decision per interceptor."""

    def __init__(self) -> None:
        super().__init__()
        self._decision = _Decision()

    def skip(self, method: str) -> bool:
        return method.startswith(PROBES)


class SpanInterceptor(_Tracing, WrappingInterceptor):
    """Server spans on a synchronous ``grpc.server`` (and in axiomod's fused chain)."""

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:
        spans = _Spans(method, self._decision)

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                def streaming(request: Any, context: Any) -> Iterator[Any]:
                    started = spans.start(context)
                    if started is None:
                        yield from behaviour(request, context)
                        return
                    error = None
                    try:
                        yield from behaviour(request, context)
                    except BaseException as exc:
                        error = exc
                        raise
                    finally:
                        spans.end(started, context, error)

                return streaming

            def unary(request: Any, context: Any) -> Any:
                started = spans.start(context)
                if started is None:
                    return behaviour(request, context)
                error = None
                try:
                    return behaviour(request, context)
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    spans.end(started, context, error)

            return unary

        return wrap


class AsyncSpanInterceptor(_Tracing, AsyncWrappingInterceptor):
    """:class:`SpanInterceptor` for ``grpc.aio`` servers."""

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:
        spans = _Spans(method, self._decision)

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:

                async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
                    started = spans.start(context)
                    error = None
                    try:
                        async for item in stream_items(behaviour(request, context)):
                            yield item
                    except BaseException as exc:
                        error = exc
                        raise
                    finally:
                        if started is not None:
                            spans.end(started, context, error)

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                started = spans.start(context)
                error = None
                try:
                    result = behaviour(request, context)
                    return await result if hasattr(result, "__await__") else result
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    if started is not None:
                        spans.end(started, context, error)

            return unary

        return wrap


def server_interceptor() -> Any | None:
    """A ``grpc.ServerInterceptor`` making server spans; None when tracing is off.

    Calls without a caller's trace context that the ratio sampler would not sample, and
    health/reflection calls, get no span and cost a few microseconds.
    """
    if tracer() is None:
        return None
    return SpanInterceptor()


def aio_server_interceptor() -> Any | None:
    """The ``grpc.aio`` flavour of :func:`server_interceptor`."""
    if tracer() is None:
        return None
    return AsyncSpanInterceptor()


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
