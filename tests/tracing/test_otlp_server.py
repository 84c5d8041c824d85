"""Spans from the example under gunicorn arrive over the real OTLP wire protocol.

The receiver stands in for Jaeger or an OpenTelemetry Collector (neither can be
installed here): OTLP/gRPC and OTLP/HTTP, as the ``otlp``/``jaeger`` and ``otlp-http``
exporters send them.
"""

from __future__ import annotations

import pytest

from tests.servers import gunicorn, manage

pytestmark = pytest.mark.integration

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_example_exports_server_spans_with_parent_links(otlp_receiver, tmp_path, protocol):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc" if protocol == "grpc" else "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": (
            otlp_receiver.grpc_endpoint if protocol == "grpc" else otlp_receiver.http_endpoint
        ),
        "OTEL_EXPORTER_OTLP_HEADERS": "x-collector-token=s3cret",
        "OTEL_BSP_SCHEDULE_DELAY": "60000",  # only the shutdown flush can deliver in time
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    server = gunicorn(env, tmp_path / "gunicorn.log", workers=2)
    with server:
        answer = server.request(
            "GET", "/invoices/", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
        )
        assert answer.status == 200
        assert server.request("GET", "/ready").status == 200  # probes: not traced
    assert server.process.returncode == 0, server.log()

    spans = otlp_receiver.wait_for(lambda s: s.trace_id == TRACE_ID and s.kind == 2, timeout=15)
    assert len(spans) == 1, f"spans flushed at shutdown: {otlp_receiver.spans}"
    (span,) = spans
    assert span.service_name == "invoices"
    assert span.name == "GET /invoices/"
    assert span.parent_span_id == PARENT_ID
    assert span.attributes["http.route"] == "/invoices/"
    assert span.attributes["http.response.status_code"] == 200
    assert not [s for s in otlp_receiver.spans if s.name.startswith("GET /ready")]
    assert any(h.get("x-collector-token") == "s3cret" for h in otlp_receiver.headers)
