"""Fixtures of the Kafka tests; the broker itself is ``kafka_broker`` from tests/services.py."""

from tests.tracing.conftest import otlp_receiver, traced

__all__ = ["otlp_receiver", "traced"]
