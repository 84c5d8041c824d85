"""``AXIOMOD["metrics"]`` validation."""

from __future__ import annotations

import pytest

from axiomod.conf import validate
from axiomod_metrics.conf import DEFAULT_BUCKETS


def messages(raw):
    return [str(e) for errors in validate({"metrics": raw}, {}).errors.values() for e in errors]


def test_defaults_match_prometheus_client_buckets():
    from prometheus_client import Histogram

    assert tuple(b for b in Histogram.DEFAULT_BUCKETS if b != float("inf")) == DEFAULT_BUCKETS
    assert validate({}, {}).values["metrics"].buckets == DEFAULT_BUCKETS


@pytest.mark.parametrize(
    ("buckets", "problem"),
    [
        ([0.5, 0.1], "strictly increasing"),
        ([0.1, 0.1], "strictly increasing"),
        ([0, 1], "positive"),
        ([], "at least one"),
        (["0.1"], "expected a number"),
    ],
)
def test_bad_buckets(buckets, problem):
    (message,) = messages({"buckets": buckets})
    assert message.startswith('AXIOMOD["metrics"]["buckets"]')
    assert problem in message


def test_custom_buckets_and_port():
    metrics = validate({"metrics": {"buckets": [0.01, 1, 5], "port": 9100}}, {}).values["metrics"]
    assert metrics.buckets == (0.01, 1.0, 5.0)
    assert metrics.port == 9100


def test_label_cap_must_be_positive():
    (message,) = messages({"max_label_sets": 0})
    assert 'AXIOMOD["metrics"]["max_label_sets"]: 0 is out of range' in message


def test_main_port_off_needs_a_port():
    (message,) = messages({"main_port": False})
    assert 'AXIOMOD["metrics"]["main_port"]' in message
    assert "served nowhere" in message
    assert messages({"main_port": False, "port": 9100}) == []
