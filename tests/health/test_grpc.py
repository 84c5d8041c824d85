"""``grpc.health.v1.Health`` on a real grpcio server answers from the readiness state."""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from health_check.exceptions import ServiceUnavailable

from axiomod_health import health_check, shutdown
from axiomod_health.grpc import add_health_servicer

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_health_servicer(server, watch_interval=0.05)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield health_pb2_grpc.HealthStub(channel)
    channel.close()
    server.stop(None)


def check(stub, service: str = "") -> int:
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def test_serving_when_ready(stub, only_checks):
    @health_check(name="ok")
    def ok():
        pass

    assert check(stub) == health_pb2.HealthCheckResponse.SERVING
    assert check(stub, "invoices.v1.Invoices") == health_pb2.HealthCheckResponse.SERVING


def test_not_serving_when_a_critical_check_fails(stub, only_checks):
    @health_check(name="primary")
    def primary():
        raise ServiceUnavailable("down")

    assert check(stub) == health_pb2.HealthCheckResponse.NOT_SERVING


def test_not_serving_while_draining_and_watch_sees_the_change(stub, only_checks, settings):
    @health_check(name="ok")
    def ok():
        pass

    stream = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert next(stream).status == health_pb2.HealthCheckResponse.SERVING
    shutdown.begin_drain()
    assert next(stream).status == health_pb2.HealthCheckResponse.NOT_SERVING
    stream.cancel()
