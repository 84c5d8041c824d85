"""gRPC interceptors on real grpcio servers (sync and asyncio) called by a real client.

The services are generic handlers on raw bytes, so no generated code is needed; the
calls cross a real HTTP/2 connection on loopback.
"""

from __future__ import annotations

import asyncio
from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from axiomod_metrics.grpc import AsyncMetricsInterceptor, MetricsInterceptor

from .conftest import sample

SERVICE = "test.Echo"


def echo(request: bytes, context) -> bytes:
    if request == b"missing":
        context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    if request == b"crash":
        raise RuntimeError("unexpected")
    return request


def numbers(request: bytes, context):
    for i in range(int(request)):
        yield str(i).encode()


def handlers(unary, stream):
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Say": grpc.unary_unary_rpc_method_handler(unary),
            "Count": grpc.unary_stream_rpc_method_handler(stream),
        },
    )


def requests_total(method: str, status: str) -> float:
    return sample("grpc_requests_total", service=SERVICE, method=method, status=status)


def call_all(target: str) -> None:
    with grpc.insecure_channel(target) as channel:
        say = channel.unary_unary(f"/{SERVICE}/Say")
        count = channel.unary_stream(f"/{SERVICE}/Count")
        assert say(b"hello", timeout=5) == b"hello"
        for request, code in (
            (b"missing", grpc.StatusCode.NOT_FOUND),
            (b"crash", grpc.StatusCode.UNKNOWN),
        ):
            with pytest.raises(grpc.RpcError) as error:
                say(request, timeout=5)
            assert error.value.code() is code
        assert list(count(b"3", timeout=5)) == [b"0", b"1", b"2"]
        checker = health_pb2_grpc.HealthStub(channel)
        answer = checker.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def snapshot() -> dict[str, float]:
    return {
        "ok": requests_total("Say", "OK"),
        "not_found": requests_total("Say", "NOT_FOUND"),
        "unknown": requests_total("Say", "UNKNOWN"),
        "stream": requests_total("Count", "OK"),
        "health": sample(
            "grpc_requests_total", service="grpc.health.v1.Health", method="Check", status="OK"
        ),
        "durations": sample(
            "grpc_request_duration_seconds_count", service=SERVICE, method="Say", status="OK"
        ),
    }


def assert_recorded(before: dict[str, float]) -> None:
    after = snapshot()
    assert after["ok"] == before["ok"] + 1
    assert after["not_found"] == before["not_found"] + 1
    assert after["unknown"] == before["unknown"] + 1
    assert after["stream"] == before["stream"] + 1
    assert after["durations"] == before["durations"] + 1
    assert after["health"] == before["health"] == 0, "health checks are not recorded"


def test_sync_server_records_status_codes_and_durations():
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4), interceptors=[MetricsInterceptor()]
    )
    server.add_generic_rpc_handlers((handlers(echo, numbers),))
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        before = snapshot()
        call_all(f"127.0.0.1:{port}")
        assert_recorded(before)
    finally:
        server.stop(None)


def test_asyncio_server_records_status_codes_and_durations():
    async def async_echo(request: bytes, context) -> bytes:
        if request == b"missing":
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
        if request == b"crash":
            raise RuntimeError("unexpected")
        return request

    async def async_numbers(request: bytes, context):
        for i in range(int(request)):
            yield str(i).encode()

    async def scenario() -> None:
        server = grpc.aio.server(interceptors=[AsyncMetricsInterceptor()])
        server.add_generic_rpc_handlers((handlers(async_echo, async_numbers),))
        health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            before = snapshot()
            await asyncio.to_thread(call_all, f"127.0.0.1:{port}")
            assert_recorded(before)
        finally:
            await server.stop(None)

    asyncio.run(scenario())


def test_interceptors_read_no_settings_when_built():
    """django-socio-grpc builds interceptors inside settings.py, before AXIOMOD exists."""
    from django.test import override_settings

    with override_settings(AXIOMOD={"metrics": {"buckets": "not-a-list"}}):
        MetricsInterceptor()
        AsyncMetricsInterceptor()
