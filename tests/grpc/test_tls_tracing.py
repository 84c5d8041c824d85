"""TLS from settings, and server spans continuing the caller's trace (OTLP receiver)."""

from __future__ import annotations

import datetime as dt
import ipaddress

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from example.invoices.delivery.grpc import invoices_pb2 as pb
from example.invoices.delivery.grpc import invoices_pb2_grpc as pb_grpc
from tests.grpc.servers import GrpcServer
from tests.servers import manage

pytestmark = pytest.mark.integration


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def project(tmp_path, extra: str) -> dict:
    (tmp_path / "grpc_extra_settings.py").write_text(
        "from tests.grpc.project.settings import *  # noqa\n" + extra
    )
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "grpc_extra_settings",
        "PYTHONPATH": str(tmp_path),
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    return env


def test_tls_from_settings(tmp_path):
    cert, key = self_signed(tmp_path)
    env = project(
        tmp_path,
        f"AXIOMOD = {{**AXIOMOD, 'grpc': {{**AXIOMOD['grpc'], "
        f"'tls_cert': {str(cert)!r}, 'tls_key': {str(key)!r}}}}}\n",
    )
    with GrpcServer(env, tmp_path / "grpc.log", settings="grpc_extra_settings") as server:
        credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        with grpc.secure_channel(server.target, credentials) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            answer = health.Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with server.channel() as plaintext, pytest.raises(grpc.RpcError) as refused:
            health_pb2_grpc.HealthStub(plaintext).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("mode", ["--threads", "--asyncio"])
def test_server_spans_continue_the_callers_trace(tmp_path, otlp_receiver, mode):
    env = project(tmp_path, "")
    env.update(
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver.http_endpoint,
        OTEL_TRACES_SAMPLER_ARG="1.0",
    )
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    server = GrpcServer(env, tmp_path / "grpc.log", (mode,), settings="grpc_extra_settings")
    with server:
        with server.channel() as channel:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            with pytest.raises(grpc.RpcError):
                pb_grpc.InvoicesStub(channel).GetInvoice(
                    pb.GetInvoiceRequest(id=5),
                    metadata=[("traceparent", f"00-{trace_id}-{parent}-01")],
                    timeout=10,
                )
        server.terminate()  # spans are flushed at exit
        assert server.wait(30) == 0
    # The call's SERVER span (kind 2); the handler's queries add CLIENT spans of their own.
    spans = otlp_receiver.wait_for(lambda s: s.trace_id == trace_id and s.kind == 2, timeout=15)
    assert [s.name for s in spans] == ["/axiomod.example.invoices.v1.Invoices/GetInvoice"]
    assert spans[0].parent_span_id == parent
    assert spans[0].attributes.get("rpc.grpc.status_code") in (5, "5")  # NOT_FOUND
    assert not otlp_receiver.wait_for(lambda s: "Health" in s.name, timeout=1)
