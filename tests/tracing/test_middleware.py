"""HTTP server spans from ``TracingMiddleware`` on the example service."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.trace import SpanKind, StatusCode

pytestmark = pytest.mark.django_db

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def server_spans(exporter) -> list:
    """The request spans (the views' queries add CLIENT spans of their own)."""
    return [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]


def test_span_named_by_route_template_with_semconv_attributes(client, traced):
    exporter = traced(1.0)
    client.get("/invoices/404404/", HTTP_USER_AGENT="probe/1.0")
    (span,) = server_spans(exporter)
    assert span.name == "GET /invoices/<int:pk>/"
    assert span.kind is SpanKind.SERVER
    assert span.attributes["http.request.method"] == "GET"
    assert span.attributes["http.route"] == "/invoices/<int:pk>/"
    assert span.attributes["http.response.status_code"] == 404
    assert span.attributes["url.scheme"] == "http"
    assert span.attributes["user_agent.original"] == "probe/1.0"
    assert span.resource.attributes["service.name"] == "invoices"
    assert span.resource.attributes["deployment.environment"] == "development"
    assert span.status.status_code is StatusCode.UNSET


def test_incoming_traceparent_continues_the_callers_trace(client, traced):
    exporter = traced(0.0)  # parent-based: the caller's sampled flag wins over the ratio
    client.get("/invoices/", HTTP_TRACEPARENT=f"00-{TRACE_ID}-{PARENT_ID}-01")
    (span,) = server_spans(exporter)
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote


def test_unsampled_caller_is_not_recorded_even_at_ratio_1(client, traced):
    exporter = traced(1.0)
    client.get("/invoices/", HTTP_TRACEPARENT=f"00-{TRACE_ID}-{PARENT_ID}-00")
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize(("ratio", "low", "high"), [(0.0, 0, 0), (1.0, 400, 400), (0.25, 60, 140)])
def test_sample_ratio_over_many_new_traces(client, traced, ratio, low, high):
    exporter = traced(ratio)
    count = 400
    for _ in range(count):
        client.get("/live-not-a-probe")
    sampled = len(exporter.get_finished_spans())
    # 0.25 of 400: mean 100, sd ~8.7; the bounds are more than 4 sd wide.
    assert low <= sampled <= high


def test_server_errors_mark_the_span(client, traced, monkeypatch):
    from example.invoices import container

    exporter = traced(1.0)

    def broken():
        raise RuntimeError("database on fire")

    monkeypatch.setattr(container, "use_cases", broken)
    from example.invoices.delivery.http import views

    monkeypatch.setattr(views, "use_cases", broken)
    client.raise_request_exception = False
    assert client.get("/invoices/").status_code == 500
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "500"


def test_probes_and_metrics_are_not_traced_by_default(client, traced):
    exporter = traced(1.0)
    for path in ("/live", "/ready", "/health", "/metrics"):
        client.get(path)
    assert exporter.get_finished_spans() == ()


def test_trace_probes_and_excluded_paths(client, traced):
    exporter = traced(1.0, trace_probes=True, excluded_paths=["/invoices/"])
    client.get("/metrics")
    client.get("/invoices/")
    assert [s.name for s in exporter.get_finished_spans()] == ["GET /metrics"]


def test_request_and_response_hooks(client, traced):
    exporter = traced(
        1.0,
        request_hook="tests.tracing.hooks.on_request",
        response_hook="tests.tracing.hooks.on_response",
    )
    client.get("/invoices/", HTTP_X_TENANT="acme")
    (span,) = server_spans(exporter)
    assert span.attributes["tenant"] == "acme"
    assert span.attributes["response.bytes"] > 0


def test_tracing_off_costs_no_span(client, settings):
    from axiomod import tracing

    tracing.shutdown()
    assert tracing.tracer() is None, "the example exports nothing by default"
    assert client.get("/invoices/").status_code == 200


def test_async_request_is_traced(traced):
    import asyncio

    from django.http import HttpResponse
    from django.test import RequestFactory

    from axiomod.tracing.middleware import TracingMiddleware

    async def view(request):
        from opentelemetry import trace

        assert trace.get_current_span().is_recording()
        return HttpResponse(status=204)

    exporter = traced(1.0)
    middleware = TracingMiddleware(view)
    assert asyncio.iscoroutinefunction(middleware)
    request = RequestFactory().get("/async")
    request.resolver_match = None
    assert asyncio.run(middleware(request)).status_code == 204
    (span,) = exporter.get_finished_spans()
    assert span.attributes["http.response.status_code"] == 204


def test_unknown_methods_are_recorded_as_other(client, traced):
    exporter = traced(1.0)
    client.generic("BREW", "/invoices/")
    (span,) = exporter.get_finished_spans()
    assert span.name == "HTTP /invoices/"
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "BREW"


def test_a_failing_hook_neither_fails_the_request_nor_leaks_the_span(client, traced):
    from opentelemetry import trace

    exporter = traced(1.0, request_hook="tests.tracing.hooks.broken")
    assert client.get("/invoices/").status_code == 200
    assert client.get("/invoices/").status_code == 200
    _first, second = server_spans(exporter)
    assert second.parent is None, "the first span's context was detached"
    assert not trace.get_current_span().is_recording()


def test_sampling_decided_once_per_root_at_half(client, traced):
    """The middleware draws the trace id and the SDK's sampler must agree, not re-draw."""
    exporter = traced(0.5)
    for _ in range(400):
        client.get("/live-not-a-probe")
    # 0.5 of 400: mean 200, sd 10; a second, independent draw would give ~100.
    assert 150 <= len(exporter.get_finished_spans()) <= 250


def test_unsampled_roots_still_carry_a_trace_context_downstream(traced):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from axiomod import tracing
    from axiomod.tracing.middleware import TracingMiddleware

    exporter = traced(1e-12)  # practically never sampled, but not the ratio-0 shortcut
    seen = []

    def view(request):
        seen.append(tracing.inject_headers().get("traceparent"))
        return HttpResponse()

    middleware = TracingMiddleware(view)
    for _ in range(3):
        request = RequestFactory().get("/x")
        request.resolver_match = None
        middleware(request)
    assert exporter.get_finished_spans() == ()
    assert all(t is not None and t.endswith("-00") for t in seen), seen
    assert len({t.split("-")[1] for t in seen}) == 3, "a new trace id per request"


def _outgoing_traceparents(traceparent, count=1):
    """The ``traceparent`` a view would send on, behind the real middleware."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from axiomod import tracing
    from axiomod.tracing.middleware import TracingMiddleware

    seen = []

    def view(request):
        seen.append(tracing.inject_headers().get("traceparent"))
        return HttpResponse()

    middleware = TracingMiddleware(view)
    for _ in range(count):
        request = RequestFactory().get("/x", HTTP_TRACEPARENT=traceparent)
        request.resolver_match = None
        middleware(request)
    return seen


def test_an_edge_service_does_not_let_a_caller_force_sampling(client, traced):
    exporter = traced(0.0, trust_parent_sampling=False)
    client.get("/invoices/", HTTP_TRACEPARENT=f"00-{TRACE_ID}-{PARENT_ID}-01")
    assert exporter.get_finished_spans() == ()
    # The caller's trace id goes on, marked unsampled, so the services behind the edge
    # (which trust it) do not record the forced trace either.
    (outgoing,) = _outgoing_traceparents(f"00-{TRACE_ID}-{PARENT_ID}-01")
    _version, trace_id, span_id, flags = outgoing.split("-")
    assert (trace_id, flags) == (TRACE_ID, "00")
    assert span_id != PARENT_ID
    assert exporter.get_finished_spans() == ()


def test_an_edge_service_samples_callers_by_its_own_ratio(client, traced):
    exporter = traced(1.0, trust_parent_sampling=False)
    client.get("/invoices/", HTTP_TRACEPARENT=f"00-{TRACE_ID}-{PARENT_ID}-00")
    (span,) = server_spans(exporter)
    assert format(span.context.trace_id, "032x") == TRACE_ID, "the caller's trace id is kept"
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.context.trace_flags.sampled


def test_an_edge_service_decides_by_ratio_from_the_callers_trace_id(traced):
    traced(0.5, trust_parent_sampling=False)
    # TraceIdRatioBased looks at the low 64 bits: all ones is above any bound below 1,
    # zero below any bound above 0; the caller's flag says the opposite each time.
    above = "4bf92f3577b34da6ffffffffffffffff"
    below = "4bf92f3577b34da60000000000000001"
    (refused,) = _outgoing_traceparents(f"00-{above}-{PARENT_ID}-01")
    (taken,) = _outgoing_traceparents(f"00-{below}-{PARENT_ID}-00")
    assert refused.split("-")[1:4:2] == [above, "00"]
    assert taken.split("-")[1:4:2] == [below, "01"]


def test_a_trusting_service_still_follows_the_callers_flag(traced):
    exporter = traced(0.0)  # trust_parent_sampling defaults to True
    (outgoing,) = _outgoing_traceparents(f"00-{TRACE_ID}-{PARENT_ID}-01")
    assert outgoing.split("-")[1:4:2] == [TRACE_ID, "01"]
    assert len(exporter.get_finished_spans()) == 1


def test_malformed_baggage_logs_one_line_per_request(client, traced, caplog):
    from django.http import HttpResponse
    from django.test import RequestFactory
    from opentelemetry import baggage

    from axiomod.tracing.middleware import TracingMiddleware

    traced(1.0)
    hostile = ",".join(["="] * 400)
    with caplog.at_level(logging.DEBUG):
        assert client.get("/invoices/", HTTP_BAGGAGE=hostile).status_code == 200
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings[:5]]
    (line,) = warnings
    assert line.name == "axiomod.tracing"
    assert "baggage header: 181 malformed or excess entries ignored" in line.getMessage()

    # Good entries beside bad ones still arrive, and a clean header logs nothing.
    seen = []

    def view(request):
        seen.append(baggage.get_baggage("tenant"))
        return HttpResponse()

    middleware = TracingMiddleware(view)
    caplog.clear()
    for header in ("tenant=acme,=,bad entry", "tenant=acme"):
        request = RequestFactory().get("/x", HTTP_BAGGAGE=header)
        request.resolver_match = None
        middleware(request)
    assert seen == ["acme", "acme"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "baggage header: 2 malformed or excess entries ignored (first: Invalid baggage entry: `=`)"
    ]


def test_baggage_warnings_outside_a_request_are_left_alone(traced, caplog):
    """Only axiomod's own extraction gathers the library's warnings."""
    from opentelemetry.baggage.propagation import W3CBaggagePropagator

    traced(1.0)
    with caplog.at_level(logging.WARNING):
        W3CBaggagePropagator().extract({"baggage": "=,="})
    warnings = [r.name for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["opentelemetry.baggage.propagation"] * 2
