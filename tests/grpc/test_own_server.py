"""axiomod's chain on a server the project builds itself (``interceptor_chain()``)."""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest
from prometheus_client import REGISTRY

from axiomod_grpc import interceptor_chain
from tests.grpc.project.services import register


@pytest.fixture(params=[False, True], ids=["plain", "with-tracing"])
def own_server(request, traced):
    if request.param:
        traced(1.0)
    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=interceptor_chain())
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


def count(status: str) -> float:
    value = REGISTRY.get_sample_value(
        "grpc_requests_total", {"service": "tests.Probe", "method": "Raise", "status": status}
    )
    return value or 0.0


def test_the_chain_maps_errors_and_counts_on_a_plain_grpcio_server(own_server):
    before = count("NOT_FOUND"), count("INTERNAL")
    with grpc.insecure_channel(own_server) as channel:
        call = channel.unary_unary("/tests.Probe/Raise")
        with pytest.raises(grpc.RpcError) as missing:
            call(b"NotFound", timeout=10)
        with pytest.raises(grpc.RpcError) as boom:
            call(b"boom", timeout=10)
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
    assert (boom.value.code(), boom.value.details()) == (grpc.StatusCode.INTERNAL, "internal error")
    assert (count("NOT_FOUND"), count("INTERNAL")) == (before[0] + 1, before[1] + 1)


def serve_chain():
    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=interceptor_chain())
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


def test_root_sampling_is_decided_before_the_instrumentation(traced):
    exporter = traced(0.25)
    server, target = serve_chain()
    try:
        with grpc.insecure_channel(target) as channel:
            call = channel.unary_unary("/tests.Probe/Whoami")
            for _ in range(400):
                call(b"", timeout=10)
            parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"
            call(b"", metadata=[("traceparent", f"{parent}-01")], timeout=10)
            call(b"", metadata=[("traceparent", "00-" + "1" * 32 + "-" + "2" * 16 + "-00")])
            health = channel.unary_unary("/grpc.health.v1.Health/Check")
            with pytest.raises(grpc.RpcError):  # no health service here: still no span
                health(b"", timeout=10)
    finally:
        server.stop(None)
    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.parent is None]
    # 400 roots at 25 %: 100 expected; 60..140 is more than six standard deviations.
    assert 60 <= len(roots) <= 140, len(roots)
    assert len({s.context.trace_id for s in roots}) == len(roots)
    assert all(s.name == "/tests.Probe/Whoami" for s in spans)
    continued = [s for s in spans if s.parent is not None]
    assert [format(s.context.trace_id, "032x") for s in continued] == [
        "4bf92f3577b34da6a3ce929d0e0e4736"
    ]  # the sampled caller's trace; the unsampled caller's makes no span


def test_ratio_zero_makes_no_span_for_new_traces(traced):
    exporter = traced(0.0)
    server, target = serve_chain()
    try:
        with grpc.insecure_channel(target) as channel:
            for _ in range(50):
                channel.unary_unary("/tests.Probe/Whoami")(b"", timeout=10)
    finally:
        server.stop(None)
    assert exporter.get_finished_spans() == ()


def test_an_edge_server_does_not_let_a_caller_force_sampling(traced):
    """``trust_parent_sampling`` off holds for gRPC calls as for HTTP requests."""
    exporter = traced(0.0, trust_parent_sampling=False)
    server, target = serve_chain()
    try:
        with grpc.insecure_channel(target) as channel:
            parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            channel.unary_unary("/tests.Probe/Whoami")(
                b"", metadata=[("traceparent", parent)], timeout=10
            )
    finally:
        server.stop(None)
    assert exporter.get_finished_spans() == ()
