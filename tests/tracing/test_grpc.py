"""gRPC client and server spans share one trace across a real loopback connection."""

from __future__ import annotations

from concurrent import futures

import grpc
from opentelemetry.trace import SpanKind

from axiomod import tracing
from axiomod_grpc.tracing import instrument_clients, server_interceptor


def test_client_call_and_server_handler_share_the_trace(traced):
    exporter = traced(1.0)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2), interceptors=[server_interceptor()]
    )
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "test.Echo", {"Say": grpc.unary_unary_rpc_method_handler(lambda r, c: r)}
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    assert instrument_clients()
    try:
        with (
            tracing.tracer().start_as_current_span("http handler") as outer,
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
        ):
            assert channel.unary_unary("/test.Echo/Say")(b"hi", timeout=5) == b"hi"
    finally:
        server.stop(None)
        from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient

        GrpcInstrumentorClient().uninstrument()
    spans = exporter.get_finished_spans()
    trace_id = outer.get_span_context().trace_id
    kinds = {s.kind for s in spans if s.context.trace_id == trace_id}
    assert {SpanKind.CLIENT, SpanKind.SERVER} <= kinds
    server_span = next(s for s in spans if s.kind is SpanKind.SERVER)
    assert server_span.parent.is_remote, "the server continued the client's context"
    assert server_span.name == "/test.Echo/Say"


def test_helpers_are_off_when_tracing_is(settings):
    tracing.shutdown()
    assert server_interceptor() is None
    assert instrument_clients() is False
