"""An OTLP trace receiver on loopback for tests, speaking the real wire protocol.

It stands in for a Jaeger or an OpenTelemetry Collector: an OTLP/gRPC ``TraceService``
(grpcio + opentelemetry-proto's generated service) and an OTLP/HTTP endpoint
(``POST /v1/traces`` with a protobuf body) that keep every span they receive, flattened
with its resource's service name.

Needs grpcio and opentelemetry-proto, which ``pip install "axiomod[tracing]"`` brings
(through opentelemetry-exporter-otlp).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

__all__ = ["OtlpReceiver", "ReceivedSpan"]


@dataclasses.dataclass(frozen=True)
class ReceivedSpan:
    service_name: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict
    #: ``opentelemetry.proto.trace.v1.Status.StatusCode``: 0 unset, 1 ok, 2 error.
    status_code: int = 0
    status_message: str = ""


def _flatten(request: trace_service_pb2.ExportTraceServiceRequest) -> list[ReceivedSpan]:
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attributes = {}
                for attribute in span.attributes:
                    value = attribute.value
                    attributes[attribute.key] = getattr(value, value.WhichOneof("value"))
                spans.append(
                    ReceivedSpan(
                        resource.get("service.name", ""),
                        span.name,
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.parent_span_id.hex(),
                        span.kind,
                        attributes,
                        span.status.code,
                        span.status.message,
                    )
                )
    return spans


class OtlpReceiver:
    """Start with :meth:`start`; ``grpc_endpoint`` and ``http_endpoint`` point at it."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.headers: list[dict[str, str]] = []  # of each export request (HTTP and gRPC)
        self._lock = threading.Lock()
        self._grpc: grpc.Server | None = None
        self._http: ThreadingHTTPServer | None = None
        self.grpc_port = self.http_port = 0

    def _add(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        with self._lock:
            self.spans.extend(_flatten(request))

    def start(self) -> OtlpReceiver:
        receiver = self

        class Service(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):  # noqa: N802  (generated name)
                with receiver._lock:
                    receiver.headers.append(dict(context.invocation_metadata()))
                receiver._add(request)
                return trace_service_pb2.ExportTraceServiceResponse()

        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Service(), self._grpc)
        self.grpc_port = self._grpc.add_insecure_port("127.0.0.1:0")
        self._grpc.start()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                with receiver._lock:
                    receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                receiver._add(request)
                payload = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http_port = self._http.server_address[1]
        # shutdown() waits for the serving loop's next poll: 0.5 s by default, per test.
        threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True).start()
        return self

    @property
    def grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def wait_for(self, predicate, timeout: float = 30.0) -> list[ReceivedSpan]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [span for span in self.spans if predicate(span)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(None)
        if self._http is not None:
            self._http.shutdown()
