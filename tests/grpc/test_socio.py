"""A django-socio-grpc service served by ``axiomod_grpc`` next to a plain protoc service.

The interceptor chain (metrics, tracing, auth, errors) wraps both; socio's own exception
handling gets axiomod's codes through ``axiomod_grpc.socio.domain_errors_middleware``.
"""

from __future__ import annotations

import re
import urllib.request

import grpc
import pytest

from axiomod.testing import free_port
from example.invoices.delivery.grpc import invoices_pb2 as pb
from example.invoices.delivery.grpc import invoices_pb2_grpc as pb_grpc
from tests.grpc.servers import GrpcServer
from tests.grpc.socio_app.grpc import socio_app_pb2, socio_app_pb2_grpc
from tests.servers import manage

pytestmark = pytest.mark.integration

SETTINGS = "tests.grpc.socio_settings"


def test_socio_and_plain_services_share_axiomods_chain(tmp_path):
    metrics_port = free_port()
    (tmp_path / "socio_port_settings.py").write_text(
        f"from {SETTINGS} import *  # noqa\n"
        f"AXIOMOD = {{**AXIOMOD, 'metrics': {{'port': {metrics_port}, 'address': '127.0.0.1'}}}}\n"
    )
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "socio_port_settings",
        "PYTHONPATH": str(tmp_path),
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    server = GrpcServer({**env}, tmp_path / "grpc.log", settings="socio_port_settings")
    with server:
        assert "GreeterController" in server.log() and "(asyncio)" in server.log()
        with server.channel() as channel:
            greeter = socio_app_pb2_grpc.GreeterControllerStub(channel)
            hello = greeter.Hello(socio_app_pb2.GreeterHelloRequest(name="ada"), timeout=10)
            assert hello.message == "hello ada"
            with pytest.raises(grpc.RpcError) as missing:
                greeter.Hello(socio_app_pb2.GreeterHelloRequest(name="missing"), timeout=10)
            assert missing.value.code() is grpc.StatusCode.NOT_FOUND
            assert "nobody called missing" in missing.value.details()
            with pytest.raises(grpc.RpcError) as invalid:
                greeter.Hello(socio_app_pb2.GreeterHelloRequest(name="invalid"), timeout=10)
            assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT  # socio's mapping
            with pytest.raises(grpc.RpcError) as boom:
                greeter.Hello(socio_app_pb2.GreeterHelloRequest(name="boom"), timeout=10)
            assert boom.value.code() is grpc.StatusCode.INTERNAL
            assert "secret" not in boom.value.details()

            invoices = pb_grpc.InvoicesStub(channel)
            with pytest.raises(grpc.RpcError) as absent:
                invoices.GetInvoice(pb.GetInvoiceRequest(id=7), timeout=10)
            assert absent.value.code() is grpc.StatusCode.NOT_FOUND

        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as answer:
            text = answer.read().decode()
    counted = dict(re.findall(r"^grpc_requests_total\{(.*?)\} ([0-9.]+)$", text, re.M))
    assert (
        counted['method="Hello",service="tests.socio_app.GreeterController",status="OK"'] == "1.0"
    )
    assert (
        counted['method="Hello",service="tests.socio_app.GreeterController",status="NOT_FOUND"']
        == "1.0"
    )
    assert (
        counted['method="Hello",service="tests.socio_app.GreeterController",status="INTERNAL"']
        == "1.0"
    )
    assert (
        counted[
            'method="GetInvoice",service="axiomod.example.invoices.v1.Invoices",status="NOT_FOUND"'
        ]
        == "1.0"
    )
