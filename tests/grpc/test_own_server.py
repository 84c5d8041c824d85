"""axiomod's chain on a server the project builds itself (``interceptor_chain()``)."""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest
from prometheus_client import REGISTRY

from axiomod.grpc import interceptor_chain
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
