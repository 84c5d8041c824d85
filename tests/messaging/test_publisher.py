"""``axiomod_messaging.publish()`` and the process-wide producer, against a real broker."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

import axiomod_messaging
from axiomod.testing import free_port
from axiomod_messaging import publisher, signals
from axiomod_messaging.publisher import Publisher
from tests.servers import ROOT, service_env

from .consumers import consume_all


@pytest.fixture
def kafka_settings(kafka_broker, settings):
    """``AXIOMOD["kafka"]`` pointing at the test broker; a fresh producer per test."""
    settings.AXIOMOD = {**settings.AXIOMOD, "kafka": {"bootstrap_servers": kafka_broker.address}}
    yield settings
    publisher.reset()


def produced(topic: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "kafka_messages_produced_total", {"topic": topic, "status": status}
    )
    return value or 0.0


@pytest.mark.smoke
def test_publish_serialises_and_is_delivered(kafka_broker, kafka_settings):
    topic = kafka_broker.create_topic()
    axiomod_messaging.publish(topic, {"amount": Decimal("10.50")}, key="INV-1")
    axiomod_messaging.publish(topic, b"\x00raw", headers={"x-source": "test"})
    assert axiomod_messaging.flush(10) == 0

    first, second = consume_all(kafka_broker, topic, 2)
    assert json.loads(first.value()) == {"amount": "10.50"}
    assert first.key() == b"INV-1"
    assert second.value() == b"\x00raw"  # bytes pass through the JSON serializer
    assert dict(second.headers())["x-source"] == b"test"
    assert produced(topic, "ok") == 2


def test_publish_with_a_named_serializer(kafka_broker, kafka_settings):
    topic = kafka_broker.create_topic()
    axiomod_messaging.publish(topic, "plain text", serializer="bytes")
    assert axiomod_messaging.flush(10) == 0
    (message,) = consume_all(kafka_broker, topic, 1)
    assert message.value() == b"plain text"


def test_publish_carries_the_trace_context(kafka_broker, kafka_settings, traced):
    exporter = traced(1.0)
    from axiomod.tracing import tracer

    topic = kafka_broker.create_topic()
    with tracer().start_as_current_span("request") as span:
        axiomod_messaging.publish(topic, {"n": 1})
    assert axiomod_messaging.flush(10) == 0
    (message,) = consume_all(kafka_broker, topic, 1)
    traceparent = dict(message.headers())["traceparent"].decode()
    _, trace_id, parent_id, _ = traceparent.split("-")
    assert trace_id == format(span.get_span_context().trace_id, "032x")
    publish_span = next(s for s in exporter.get_finished_spans() if s.name == f"{topic} publish")
    assert parent_id == format(publish_span.context.span_id, "016x")
    assert publish_span.parent.span_id == span.get_span_context().span_id


def test_delivery_failure_is_reported_not_lost_silently(kafka_settings):
    # Nothing listens on this port: the message times out in the client.
    settings = kafka_settings
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "kafka": {"bootstrap_servers": f"127.0.0.1:{free_port()}"},
    }
    failures, callbacks = [], []

    def on_failure(sender, message, error, **kwargs):
        failures.append((message.topic(), error.str()))

    def broken_receiver(sender, **kwargs):
        raise RuntimeError("a receiver with a bug")

    def broken_callback(error, message):
        callbacks.append(error)
        raise RuntimeError("a callback with a bug")

    signals.delivery_failed.connect(broken_receiver)
    signals.delivery_failed.connect(on_failure)
    try:
        producer = Publisher(**{"message.timeout.ms": 300})
        producer.publish("lost-topic", {"n": 1}, on_delivery=broken_callback)
        producer.publish("lost-topic", {"n": 2})
        # Reported as failed, not left in the queue; the buggy receiver and callback
        # neither hide the report from other receivers nor raise out of close().
        assert producer.close(10) == 0
    finally:
        signals.delivery_failed.disconnect(on_failure)
        signals.delivery_failed.disconnect(broken_receiver)
    assert len(failures) == 2 and failures[0][0] == "lost-topic"
    assert "timed out" in failures[0][1].lower()
    assert len(callbacks) == 1 and callbacks[0] is not None
    assert produced("lost-topic", "error") >= 2


def test_override_settings_gets_a_fresh_producer(kafka_broker, kafka_settings):
    first = axiomod_messaging.producer()
    assert axiomod_messaging.producer() is first
    with override_settings(
        AXIOMOD={**kafka_settings.AXIOMOD, "kafka": {"bootstrap_servers": "127.0.0.1:1"}}
    ):
        assert axiomod_messaging.producer() is not first


def run_child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = textwrap.dedent(
        """
        import os, sys, django
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.messaging.project.settings"
        django.setup()
        import axiomod_messaging
        """
    ) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=service_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_messages_are_flushed_when_the_process_exits(kafka_broker):
    topic = kafka_broker.create_topic()
    result = run_child(
        f"""
        for n in range(50):
            axiomod_messaging.publish({topic!r}, {{"n": n}})
        # no flush(): the exit hook delivers what is queued
        """,
        {"KAFKA_BOOTSTRAP_SERVERS": kafka_broker.address},
    )
    assert result.returncode == 0, result.stderr
    assert len(consume_all(kafka_broker, topic, 50)) == 50


def test_a_forked_child_builds_its_own_producer(kafka_broker):
    topic = kafka_broker.create_topic()
    result = run_child(
        f"""
        parent = axiomod_messaging.producer()
        axiomod_messaging.publish({topic!r}, {{"from": "parent"}})
        pid = os.fork()
        if pid == 0:
            child = axiomod_messaging.producer()
            assert child is not parent and child.pid == os.getpid()
            axiomod_messaging.publish({topic!r}, {{"from": "child"}})
            os._exit(axiomod_messaging.flush(10))
        _, status = os.waitpid(pid, 0)
        assert axiomod_messaging.flush(10) == 0
        sys.exit(os.waitstatus_to_exitcode(status))
        """,
        {"KAFKA_BOOTSTRAP_SERVERS": kafka_broker.address},
    )
    assert result.returncode == 0, result.stderr
    origins = sorted(json.loads(m.value())["from"] for m in consume_all(kafka_broker, topic, 2))
    assert origins == ["child", "parent"]


def test_publish_without_kafka_settings_names_the_setting(settings):
    settings.AXIOMOD = {k: v for k, v in settings.AXIOMOD.items() if k != "kafka"}
    publisher.reset()
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=r'AXIOMOD\["kafka"\] is not set'):
        axiomod_messaging.publish("t", {})
