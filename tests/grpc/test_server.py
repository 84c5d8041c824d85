"""``manage.py axiomod_grpc`` as a real subprocess, called with a real grpcio client.

Every test runs against the thread-pool server and the ``grpc.aio`` server.
"""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from axiomod.testing.oidc_provider import CLIENT_ID
from example.invoices.delivery.grpc import invoices_pb2 as pb
from example.invoices.delivery.grpc import invoices_pb2_grpc as pb_grpc
from example.invoices.usecase import DEFAULT_LIMIT
from tests.grpc.servers import GrpcServer
from tests.servers import manage

pytestmark = pytest.mark.integration


@pytest.fixture(params=["threads", "asyncio"])
def served(request, tmp_path, provider):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "AXIOMOD_TEST_HEALTH_DOWN": str(tmp_path / "down"),
        "DJANGO_SETTINGS_MODULE": "tests.grpc.project.settings",
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    with GrpcServer(env, tmp_path / "grpc.log", (f"--{request.param}",)) as server:
        yield server


def probe(channel: grpc.Channel, method: str, payload: bytes, **kwargs) -> bytes:
    return channel.unary_unary(f"/tests.Probe/{method}")(payload, timeout=30, **kwargs)


@pytest.mark.smoke
def test_invoices_over_grpc_use_the_same_use_cases(served):
    with served.channel() as channel:
        stub = pb_grpc.InvoicesStub(channel)
        created = stub.CreateInvoice(
            pb.CreateInvoiceRequest(customer="Acme", amount="12.5", currency="EUR")
        )
        assert (created.number, created.amount, created.currency) == ("INV-000001", "12.50", "EUR")
        assert stub.GetInvoice(pb.GetInvoiceRequest(id=created.id)) == created
        page = stub.ListInvoices(pb.ListInvoicesRequest())
        assert page.total == 1 and list(page.invoices) == [created] and page.limit == DEFAULT_LIMIT

        with pytest.raises(grpc.RpcError) as missing:
            stub.GetInvoice(pb.GetInvoiceRequest(id=404))
        assert missing.value.code() is grpc.StatusCode.NOT_FOUND
        assert missing.value.details() == "invoice 404 does not exist"
        with pytest.raises(grpc.RpcError) as invalid:
            stub.CreateInvoice(
                pb.CreateInvoiceRequest(customer="Acme", amount="-1", currency="EUR")
            )
        assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert invalid.value.details().startswith("amount: ")


DOMAIN_CODES = {
    "NotFound": grpc.StatusCode.NOT_FOUND,
    "InvalidInput": grpc.StatusCode.INVALID_ARGUMENT,
    "Validation": grpc.StatusCode.INVALID_ARGUMENT,
    "Unauthorized": grpc.StatusCode.UNAUTHENTICATED,
    "Forbidden": grpc.StatusCode.PERMISSION_DENIED,
    "Conflict": grpc.StatusCode.ALREADY_EXISTS,
    "AlreadyExists": grpc.StatusCode.ALREADY_EXISTS,
    "Timeout": grpc.StatusCode.DEADLINE_EXCEEDED,
    "Unavailable": grpc.StatusCode.UNAVAILABLE,
    "Unimplemented": grpc.StatusCode.UNIMPLEMENTED,
    "NotImplemented": grpc.StatusCode.UNIMPLEMENTED,
}


def test_each_domain_error_is_its_status_code(served):
    """One server for the whole table (a server per row would take a minute)."""
    answered = {}
    with served.channel() as channel:
        for error in DOMAIN_CODES:
            with pytest.raises(grpc.RpcError) as raised:
                probe(channel, "Raise", error.encode())
            answered[error] = (raised.value.code(), raised.value.details())
    expected = {
        error: (
            code,
            ("thing: " if error in ("InvalidInput", "Validation") else "")
            + f"{error} raised on purpose",
        )
        for error, code in DOMAIN_CODES.items()
    }
    assert answered == expected


def test_other_exceptions_are_internal_without_details_and_logged(served):
    with served.channel() as channel:
        with pytest.raises(grpc.RpcError) as raised:
            probe(channel, "Raise", b"boom")
        assert raised.value.code() is grpc.StatusCode.INTERNAL
        assert raised.value.details() == "internal error"
        with pytest.raises(grpc.RpcError) as aborted:
            probe(channel, "Raise", b"abort")
        assert aborted.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED  # its own code kept
    deadline = time.monotonic() + 10
    while "hunter2" not in served.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = served.log()
    assert "/tests.Probe/Raise failed" in log and "Traceback" in log  # for the operator


def test_bearer_tokens_are_verified_like_http(served, provider):
    with served.channel() as channel:
        assert probe(channel, "Whoami", b"") == b"anonymous"
        token = provider.token({"sub": "grpc-user", "preferred_username": "grace"})
        who = probe(channel, "Whoami", b"", metadata=[("authorization", f"Bearer {token}")])
        assert who.decode().endswith("|grpc-user")
        expired = provider.token(lifetime=-60)
        with pytest.raises(grpc.RpcError) as refused:
            probe(channel, "Whoami", b"", metadata=[("authorization", f"Bearer {expired}")])
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert "expired" in refused.value.details()
        with pytest.raises(grpc.RpcError) as garbage:
            probe(channel, "Whoami", b"", metadata=[("authorization", "Bearer not.a.jwt")])
        assert garbage.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_health_follows_readiness_and_reflection_lists_the_services(served, tmp_path):
    with served.channel() as channel:
        health = health_pb2_grpc.HealthStub(channel)
        serving = health_pb2.HealthCheckResponse.SERVING
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == serving
        watch = health.Watch(health_pb2.HealthCheckRequest(), timeout=10)
        assert next(watch).status == serving  # Watch works too, on both server kinds
        watch.cancel()
        (tmp_path / "down").touch()  # the critical check fails from now on
        deadline = time.monotonic() + 15
        while health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == serving:
            assert time.monotonic() < deadline, "health never left SERVING"
            time.sleep(0.2)
        status = health.Check(health_pb2.HealthCheckRequest(), timeout=10).status
        assert status == health_pb2.HealthCheckResponse.NOT_SERVING

        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        (answer,) = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
        )
        names = {s.name for s in answer.list_services_response.service}
    assert {
        "axiomod.example.invoices.v1.Invoices",
        "tests.Probe",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= names


def test_sigterm_lets_the_call_in_flight_finish_and_exits_0(served):
    answers: list[object] = []
    with served.channel() as channel:
        call = threading.Thread(target=lambda: answers.append(probe(channel, "Slow", b"2")))
        call.start()
        time.sleep(0.5)  # the call is in the servicer
        served.terminate()
        call.join(30)
        assert answers == [b"done"]
    assert served.wait(30) == 0, served.log()[-3000:]
    assert "SIGTERM: stopping" in served.log()


@pytest.mark.parametrize("mode", ["--threads", "--asyncio"])
def test_sigterm_drains_then_lets_calls_finish_then_exits_0(tmp_path, mode):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.grpc.project.settings",
        "AXIOMOD_DRAIN_SECONDS": "1.5",
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    answers: list[object] = []
    with GrpcServer(env, tmp_path / "grpc.log", (mode,)) as server, server.channel() as channel:
        call = threading.Thread(target=lambda: answers.append(probe(channel, "Slow", b"3")))
        call.start()
        time.sleep(0.5)
        server.terminate()
        time.sleep(0.5)
        # Draining: still serving, but health tells the balancers to go elsewhere.
        health = health_pb2_grpc.HealthStub(channel)
        status = health.Check(health_pb2.HealthCheckRequest(), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert probe(channel, "Slow", b"0") == b"done"
        call.join(30)
        assert answers == [b"done"]  # 3 s: longer than the drain, within grace_period
        assert server.wait(30) == 0, server.log()[-3000:]


def test_a_port_in_use_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = manage(
            "axiomod_grpc",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        )
    assert result.returncode == 1
    assert "gRPC server not started" in result.stderr
    assert "Traceback" not in result.stderr
