"""Fixtures of the Kafka tests; the broker itself is ``kafka_broker`` from axiomod.testing's
pytest plugin (tests/conftest.py enables it), as is ``otlp_receiver``."""

from tests.tracing.conftest import traced

__all__ = ["traced"]
