"""Context propagation: helpers, outgoing ``requests`` calls, Kafka headers, log records."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from axiomod import tracing
from axiomod.tracing.logging import TraceContextFilter


def test_inject_and_extract_round_trip(traced):
    traced(1.0)
    with tracing.tracer().start_as_current_span("outer") as span:
        headers = tracing.inject_headers()
    assert headers["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")
    context = tracing.extract_context({"TraceParent": headers["traceparent"]})
    from opentelemetry import trace

    extracted = trace.get_current_span(context).get_span_context()
    assert extracted.trace_id == span.get_span_context().trace_id
    assert extracted.is_remote


def test_inject_without_a_span_adds_nothing(traced):
    traced(1.0)
    assert tracing.inject_headers() == {}


def test_outgoing_requests_carry_traceparent(traced):
    traced(1.0)
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["traceparent"] = self.headers.get("traceparent")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tracing.tracer().start_as_current_span("handler") as span:
            requests.get(f"http://127.0.0.1:{server.server_address[1]}/", timeout=5)
    finally:
        server.shutdown()
    assert seen["traceparent"] is not None
    assert seen["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")


def test_log_records_carry_trace_and_span_ids(traced, caplog):
    traced(1.0)
    logger = logging.getLogger("tests.tracing.logs")
    log_filter = TraceContextFilter()
    logger.addFilter(log_filter)
    try:
        with caplog.at_level(logging.INFO, logger="tests.tracing.logs"):
            logger.info("outside")
            with tracing.tracer().start_as_current_span("work") as span:
                logger.info("inside")
    finally:
        logger.removeFilter(log_filter)
    outside, inside = [r for r in caplog.records if r.name == "tests.tracing.logs"]
    assert (outside.trace_id, outside.span_id) == ("0", "0")
    assert inside.trace_id == format(span.get_span_context().trace_id, "032x")
    assert inside.span_id == format(span.get_span_context().span_id, "016x")


@pytest.mark.integration
def test_trace_continues_through_a_real_kafka_message(traced, kafka_broker):
    from confluent_kafka import Consumer, Producer

    exporter = traced(1.0)
    topic = kafka_broker.create_topic()
    producer = Producer(kafka_broker.client_config())
    with tracing.tracer().start_as_current_span("publish") as publish:
        producer.produce(topic, b"{}", headers=tracing.kafka_headers({"kind": "created"}))
    assert producer.flush(10) == 0

    consumer = Consumer(kafka_broker.consumer_config("tracing-test"))
    consumer.subscribe([topic])
    try:
        message = None
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                break
        assert message is not None and message.error() is None
        assert ("kind", b"created") in message.headers()
        context = tracing.context_from_kafka(message.headers())
        with tracing.tracer().start_as_current_span("consume", context=context) as consume:
            pass
    finally:
        consumer.close()
    assert consume.get_span_context().trace_id == publish.get_span_context().trace_id
    assert consume.parent.span_id == publish.get_span_context().span_id
    assert {s.name for s in exporter.get_finished_spans()} >= {"publish", "consume"}
