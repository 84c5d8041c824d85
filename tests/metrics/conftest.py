"""Helpers for reading metric values in the metrics tests."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """Current value of a sample in the default registry (0.0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metric_value():
    return sample
