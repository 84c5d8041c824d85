"""Trace-id exemplars on ``http_request_duration_seconds``: sampled requests only.

In-process tests use Django's test client with axiomod's tracing on an in-memory
exporter; the integration test has a real Prometheus (exemplar storage on) scrape the
example served single-process by gunicorn, and asks it for the exemplars.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from urllib.parse import quote

import pytest
from django.test import override_settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from axiomod import tracing
from axiomod.tracing.setup import build_provider
from axiomod_metrics.middleware import MetricsMiddleware

SAMPLED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
UNSAMPLED_TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "00f067aa0ba902b7"


@pytest.fixture
def traced(settings):
    """Tracing on (ratio 0: only callers' sampled flags decide) with spans kept in memory."""
    exporter = InMemorySpanExporter()
    override = override_settings(
        AXIOMOD={**settings.AXIOMOD, "tracing": {"exporter": "console", "sample_ratio": 0.0}}
    )
    override.enable()
    tracing.configure(provider=build_provider(exporter, processor="simple"))
    yield exporter
    override.disable()
    tracing.shutdown()


def exemplars(path: str, status: str = "200") -> dict[str, dict[str, str]]:
    """``le`` -> exemplar labels of the duration buckets of GET ``path`` in this process."""
    found = {}
    for metric in REGISTRY.collect():
        if metric.name != "http_request_duration_seconds":
            continue
        for s in metric.samples:
            labels = s.labels
            if (
                s.name.endswith("_bucket")
                and labels["path"] == path
                and labels["method"] == "GET"
                and labels["status"] == status
                and s.exemplar is not None
            ):
                found[labels["le"]] = dict(s.exemplar.labels)
    return found


def count(path: str, status: str = "200") -> float:
    labels = {"method": "GET", "path": path, "status": status}
    return REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0.0


@pytest.mark.django_db
def test_a_sampled_request_leaves_its_trace_id_on_its_bucket(client, traced):
    response = client.get("/invoices/", HTTP_TRACEPARENT=f"00-{SAMPLED_TRACE}-{PARENT}-01")
    assert response.status_code == 200
    (span,) = [s for s in traced.get_finished_spans() if s.kind is SpanKind.SERVER]
    trace_ids = {e["trace_id"] for e in exemplars("/invoices/").values()}
    assert SAMPLED_TRACE in trace_ids
    (mine,) = [e for e in exemplars("/invoices/").values() if e["trace_id"] == SAMPLED_TRACE]
    assert mine["span_id"] == format(span.context.span_id, "016x"), "the server span's id"


@pytest.mark.django_db
def test_the_scrape_shows_exemplars_to_an_openmetrics_scraper_only(client, traced):
    client.get("/invoices/", HTTP_TRACEPARENT=f"00-{SAMPLED_TRACE}-{PARENT}-01")
    openmetrics = client.get(
        "/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0"
    ).content.decode()
    assert f'trace_id="{SAMPLED_TRACE}"' in openmetrics
    classic = client.get("/metrics", HTTP_ACCEPT="text/plain").content.decode()
    assert SAMPLED_TRACE not in classic, "the 0.0.4 text format has no exemplars"


@pytest.mark.django_db
def test_an_unsampled_request_records_no_exemplar(client, traced):
    path = "/invoices/<int:pk>/"
    before, before_count = exemplars(path, "404"), count(path, "404")
    client.get("/invoices/987654/", HTTP_TRACEPARENT=f"00-{UNSAMPLED_TRACE}-{PARENT}-00")
    assert count(path, "404") == before_count + 1, "the request was recorded"
    assert traced.get_finished_spans() == ()
    assert exemplars(path, "404") == before
    all_ids = {e["trace_id"] for p in ("/invoices/", path) for e in exemplars(p, "404").values()}
    assert UNSAMPLED_TRACE not in all_ids


@pytest.mark.django_db
def test_without_tracing_no_exemplar_is_recorded(client):
    path = "/invoices/<int:pk>/"
    before = exemplars(path, "404")
    client.get("/invoices/123123/", HTTP_TRACEPARENT=f"00-{UNSAMPLED_TRACE}-{PARENT}-01")
    assert exemplars(path, "404") == before


@pytest.mark.django_db(transaction=True)
def test_async_stack_records_the_exemplar_too(async_client, traced):
    trace = "5bf92f3577b34da6a3ce929d0e0e4737"
    headers = {"traceparent": f"00-{trace}-{PARENT}-01"}
    response = asyncio.run(async_client.get("/invoices/", headers=headers))
    assert response.status_code == 200
    assert trace in {e["trace_id"] for e in exemplars("/invoices/").values()}


def test_multiprocess_mode_installs_no_capture(monkeypatch, tmp_path):
    """prometheus_client drops exemplars there (MultiProcessValue.set_exemplar is a no-op)."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    middleware = MetricsMiddleware(lambda request: None)
    assert not hasattr(middleware, "process_view")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert hasattr(MetricsMiddleware(lambda request: None), "process_view")


# --- a real Prometheus with exemplar storage -------------------------------------------


@pytest.fixture
def prometheus_with_exemplars(prometheus_server):
    """``prometheus_server`` with exemplar storage on (Prometheus then asks for OpenMetrics)."""

    def start(targets: list[str]):
        return prometheus_server(targets, flags=["--enable-feature=exemplar-storage"])

    return start


def query_exemplars(prometheus, expr: str) -> list[dict]:
    url = f"{prometheus.url}/api/v1/query_exemplars?query={quote(expr)}&start=0&end=9999999999"
    with urllib.request.urlopen(url, timeout=5) as answer:
        data = json.loads(answer.read())
    assert data["status"] == "success", data
    return data["data"]


@pytest.mark.integration
def test_prometheus_stores_the_trace_id_of_a_sampled_request(
    prometheus_with_exemplars, otlp_receiver, tmp_path
):
    import time

    from tests.servers import BIN, ServerProcess, free_port, manage

    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.grpc_endpoint,
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "PROMETHEUS_MULTIPROC_DIR": None,
        "DJANGO_SETTINGS_MODULE": "example.settings",
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    port = free_port()
    # Single process: plain gunicorn, one worker, no axiomod.gunicorn_config (which turns
    # multiprocess mode on, where prometheus_client keeps no exemplars).
    command = [str(BIN / "gunicorn"), "example.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1"]
    with ServerProcess(command, port, env, tmp_path / "gunicorn.log") as server:
        prometheus = prometheus_with_exemplars([f"127.0.0.1:{server.port}"])
        prometheus.wait_for('up{job="axiomod"} == 1')
        sent = "6e0c63257de34c926f9efcd03927272e"
        expr = 'http_request_duration_seconds_bucket{path="/invoices/",method="GET"}'
        deadline = time.monotonic() + 30
        stored: set[str] = set()
        while sent not in stored and time.monotonic() < deadline:
            response = server.request(
                "GET", "/invoices/", headers={"traceparent": f"00-{sent}-{PARENT}-01"}
            )
            assert response.status == 200
            time.sleep(1)
            stored = {
                e["labels"]["trace_id"]
                for series in query_exemplars(prometheus, expr)
                for e in series["exemplars"]
            }
        assert sent in stored, (stored, prometheus.log_tail())
        # Root requests sampled by the ratio (1.0) get exemplars too: their trace ids are
        # the ones the OTLP receiver got.
        server.request("GET", "/invoices/?limit=2")
        spans = otlp_receiver.wait_for(
            lambda s: s.name == "GET /invoices/" and s.trace_id != sent, timeout=15
        )
        roots = {s.trace_id for s in spans}
        deadline = time.monotonic() + 15
        while not roots & stored and time.monotonic() < deadline:
            time.sleep(1)
            stored = {
                e["labels"]["trace_id"]
                for series in query_exemplars(prometheus, expr)
                for e in series["exemplars"]
            }
        assert roots & stored, (roots, stored)


# --- gRPC: ExemplarInterceptor inside the tracing interceptor ---------------------------

GRPC_SERVICE = "test.Exemplars"


def grpc_exemplars(method: str) -> set[str]:
    return {
        s.exemplar.labels["trace_id"]
        for metric in REGISTRY.collect()
        if metric.name == "grpc_request_duration_seconds"
        for s in metric.samples
        if s.exemplar is not None
        and s.labels.get("service") == GRPC_SERVICE
        and s.labels.get("method") == method
    }


def _grpc_handlers():
    import grpc

    def say(request: bytes, context) -> bytes:
        return request

    def count(request: bytes, context):
        yield from (str(i).encode() for i in range(int(request)))

    return grpc.method_handlers_generic_handler(
        GRPC_SERVICE,
        {
            "Say": grpc.unary_unary_rpc_method_handler(say),
            "Count": grpc.unary_stream_rpc_method_handler(count),
        },
    )


def _grpc_calls(target: str, sampled: str, unsampled: str) -> None:
    import grpc

    with grpc.insecure_channel(target) as channel:
        say = channel.unary_unary(f"/{GRPC_SERVICE}/Say")
        count = channel.unary_stream(f"/{GRPC_SERVICE}/Count")
        sampled_meta = (("traceparent", f"00-{sampled}-{PARENT}-01"),)
        unsampled_meta = (("traceparent", f"00-{unsampled}-{PARENT}-00"),)
        assert say(b"hi", timeout=5, metadata=sampled_meta) == b"hi"
        assert say(b"hi", timeout=5, metadata=unsampled_meta) == b"hi"
        assert list(count(b"2", timeout=5, metadata=sampled_meta)) == [b"0", b"1"]


@pytest.mark.parametrize("chain", ["axiomod_grpc", "listed"])
@pytest.mark.parametrize("flavour", ["sync", "asyncio"])
def test_grpc_sampled_calls_leave_exemplars_unsampled_do_not(traced, flavour, chain):
    """On the chain ``manage.py axiomod_grpc`` builds, and on a plain server listing them."""
    from concurrent import futures

    import grpc

    from axiomod_grpc import interceptor_chain
    from axiomod_grpc.tracing import AsyncSpanInterceptor, SpanInterceptor
    from axiomod_metrics.grpc import (
        AsyncExemplarInterceptor,
        AsyncMetricsInterceptor,
        ExemplarInterceptor,
        MetricsInterceptor,
    )

    tail = {"sync": 1, "asyncio": 2}[flavour] + {"listed": 0, "axiomod_grpc": 2}[chain]
    sampled = f"7bf92f3577b34da6a3ce929d0e0e47a{tail}"
    unsampled = f"1af7651916cd43dd8448eb211c8031a{tail}"
    built = chain == "axiomod_grpc"
    if flavour == "sync":
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=2),
            interceptors=interceptor_chain()
            if built
            else [MetricsInterceptor(), SpanInterceptor(), ExemplarInterceptor()],
        )
        server.add_generic_rpc_handlers((_grpc_handlers(),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            _grpc_calls(f"127.0.0.1:{port}", sampled, unsampled)
        finally:
            server.stop(None)
    else:

        async def serve() -> None:
            server = grpc.aio.server(
                interceptors=interceptor_chain(asyncio=True)
                if built
                else [
                    AsyncMetricsInterceptor(),
                    AsyncSpanInterceptor(),
                    AsyncExemplarInterceptor(),
                ]
            )
            server.add_generic_rpc_handlers((_grpc_handlers(),))
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            try:
                await asyncio.to_thread(_grpc_calls, f"127.0.0.1:{port}", sampled, unsampled)
            finally:
                await server.stop(None)

        asyncio.run(serve())
    assert sampled in grpc_exemplars("Say")
    assert unsampled not in grpc_exemplars("Say")
    assert sampled in grpc_exemplars("Count")
