"""An in-memory span exporter installed as axiomod's provider for a test.

``otlp_receiver`` comes from axiomod.testing's pytest plugin (tests/conftest.py).
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from axiomod import tracing
from axiomod.tracing.setup import build_provider


@pytest.fixture
def traced(settings):
    """``traced(ratio)`` -> the exporter receiving the spans of requests made afterwards."""
    installed = []

    def install(ratio: float = 1.0, **tracing_settings) -> InMemorySpanExporter:
        exporter = InMemorySpanExporter()
        override = override_settings(
            AXIOMOD={
                **settings.AXIOMOD,
                "tracing": {"exporter": "console", "sample_ratio": ratio, **tracing_settings},
            }
        )
        override.enable()
        installed.append(override)
        tracing.configure(provider=build_provider(exporter, processor="simple"))
        return exporter

    yield install
    for override in installed:
        override.disable()
    tracing.shutdown()
