"""``counter``/``histogram``/``gauge``: get-or-create, conflicts, and the cardinality guard."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from axiomod_metrics import Counter, counter, gauge, histogram
from axiomod_metrics.registry import OVERFLOW, forget

from .conftest import sample


@pytest.fixture
def name():
    metric_name = f"test_{uuid.uuid4().hex[:8]}"
    yield metric_name
    forget(metric_name)


def test_counter_is_created_once_and_returned_again(name):
    first = counter(f"{name}_total", "Things.", ["kind"])
    again = counter(f"{name}_total", "Things.", ["kind"])
    assert first is again
    assert isinstance(first, Counter)
    first.labels("a").inc(2)
    assert sample(f"{name}_total", kind="a") == 2


def test_counter_name_with_or_without_total_is_the_same_metric(name):
    assert counter(name, "Things.") is counter(f"{name}_total", "Things.")


def test_conflicting_redefinition_is_refused_with_the_difference(name):
    counter(name, "Things.", ["kind"])
    with pytest.raises(ValueError, match=r"its labels are \('kind',\)"):
        counter(name, "Things.", ["other"])
    with pytest.raises(ValueError, match="it is a Counter, not a Gauge"):
        gauge(name, "Things.", ["kind"])


def test_histogram_buckets_default_to_settings_and_conflicts_are_named(name):
    with override_settings(AXIOMOD={"metrics": {"buckets": [0.1, 1, 10]}}):
        h = histogram(name, "Durations.")
    h.observe(0.5)
    assert sample(f"{name}_bucket", le="0.1") == 0
    assert sample(f"{name}_bucket", le="1.0") == 1
    assert sample(f"{name}_bucket", le="+Inf") == 1
    with pytest.raises(ValueError, match="its buckets are"):
        histogram(name, "Durations.", buckets=[5, 50])


def test_gauge_defaults_to_livesum_in_multiprocess_mode(name):
    g = gauge(name, "In progress.")
    assert g._multiprocess_mode == "livesum"
    g.inc()
    assert sample(name) == 1


def test_label_sets_beyond_the_cap_fold_into_overflow_with_one_warning(name, caplog):
    with override_settings(AXIOMOD={"metrics": {"max_label_sets": 3}}):
        c = counter(name, "Per user.", ["user"])
    with caplog.at_level(logging.WARNING, logger="axiomod.metrics"):
        for user in ["u1", "u2", "u3", "u4", "u5", "u1"]:
            c.labels(user).inc()
        c.labels(user="u6").inc()
    assert sample(f"{name}_total", user="u1") == 2, "known label sets keep counting"
    assert sample(f"{name}_total", user="u3") == 1
    assert sample(f"{name}_total", user="u4") == 0
    assert sample(f"{name}_total", user=OVERFLOW) == 3
    warnings = [r for r in caplog.records if "label sets" in r.getMessage()]
    assert len(warnings) == 1
    assert name in warnings[0].getMessage()


def test_metrics_are_in_the_default_registry(name):
    counter(name, "Things.").inc()
    assert name in {m.name for m in REGISTRY.collect()}


def test_counter_total_name_conflicts_with_another_kind_are_named(name):
    counter(f"{name}_total", "Things.")
    with pytest.raises(ValueError, match="it is a Counter, not a Gauge"):
        gauge(f"{name}_total", "Things.")
    forget(f"{name}_total")


def test_gauge_multiprocess_mode_conflict_is_named(name):
    gauge(name, "Peak.", multiprocess_mode="max")
    with pytest.raises(ValueError, match="its multiprocess_mode is 'max'"):
        gauge(name, "Peak.", multiprocess_mode="livesum")
