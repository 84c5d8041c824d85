"""``axiomod.instruments``: no-ops without a backend, the metrics app's metrics with one."""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from axiomod import instruments
from axiomod_metrics import registry as metrics_registry

from ..metrics.conftest import sample


@pytest.fixture
def name():
    metric_name = f"test_instruments_{uuid.uuid4().hex[:8]}"
    yield metric_name
    metrics_registry.forget(metric_name)


@pytest.fixture
def no_backend():
    """No backend, as in a project without ``axiomod_metrics``; the real one after."""
    previous = instruments.set_backend(None)
    yield
    instruments.set_backend(previous)


def test_the_metrics_app_is_the_backend():
    assert instruments.has_backend()
    assert instruments._backend is metrics_registry


# -- without a backend ----------------------------------------------------------------


def test_without_a_backend_every_call_is_a_no_op(no_backend, name):
    requests = instruments.counter(f"{name}_total", "Requests.", ["path"])
    in_flight = instruments.gauge(name + "_g", "In flight.", ["path"], multiprocess_mode="max")
    durations = instruments.histogram(name + "_h", "Durations.", ["path"], buckets=(1, 2))
    requests.labels("/a").inc()
    in_flight.labels("/a").inc()
    in_flight.labels("/a").dec(2)
    in_flight.labels(path="/a").set(3)
    in_flight.labels("/a").set_to_current_time()
    durations.labels("/a").observe(0.5)
    with durations.labels("/a").time(), in_flight.labels("/a").track_inprogress():
        pass
    requests.remove("/a")
    assert not instruments.has_backend()
    assert sample(f"{name}_total", path="/a") == 0
    assert name not in {m.name for m in REGISTRY.collect()}


def test_once_apps_are_ready_without_a_backend_children_are_the_shared_no_op(no_backend, name):
    requests = instruments.counter(name, "Requests.", ["path"])
    assert requests.labels("/a") is instruments.NOOP
    assert requests.metric is instruments.NOOP
    assert requests.labels("/b") is instruments.NOOP, "no allocation per call"


def test_the_no_op_timer_is_a_decorator_too(no_backend, name):
    durations = instruments.histogram(name, "Durations.")

    @durations.time()
    def work(x):
        return x * 2

    assert work(4) == 8
    durations.observe(1.0)


# -- binding ----------------------------------------------------------------------------


def test_an_instrument_binds_on_first_use_to_the_metric_the_registry_holds(name):
    requests = instruments.counter(f"{name}_total", "Requests.", ["path", "status"])
    assert requests.metric is None, "declaring creates nothing"
    assert name not in REGISTRY._names_to_collectors

    requests.labels("/a", "200").inc(2)

    same = metrics_registry.counter(f"{name}_total", "Requests.", ["path", "status"])
    assert requests.metric is same
    assert REGISTRY._names_to_collectors[f"{name}_total"] is same
    assert sample(f"{name}_total", path="/a", status="200") == 2


def test_a_bound_call_is_prometheus_clients_own(name):
    requests = instruments.counter(name, "Requests.", ["path"])
    child = requests.labels("/a")
    assert requests.labels.__self__ is requests.metric, "no wrapper left in between"
    assert type(child) is metrics_registry.Counter, "labels() gives the real child"
    assert child is requests.labels("/a")


def test_a_child_taken_before_the_backend_records_once_it_is_there(no_backend, name, monkeypatch):
    # As in a models.py imported before any ready(): a backend may still come.
    monkeypatch.setattr(instruments, "_apps_ready", lambda: False)
    requests = instruments.counter(name, "Requests.", ["path"])
    early = requests.labels("/early")
    early.inc()
    assert requests.metric is None, "not bound to the no-op while a backend may come"

    instruments.set_backend(metrics_registry)
    early.inc()
    early.inc()
    assert sample(f"{name}_total", path="/early") == 2
    assert early.inc.__self__ is requests.metric.labels("/early"), "bound itself"


def test_unlabelled_instruments_record(name):
    done = instruments.counter(name, "Done.")
    done.inc()
    done.inc(2)
    assert sample(f"{name}_total") == 3


def test_gauge_keeps_its_multiprocess_mode_and_its_methods(name):
    lag = instruments.gauge(name, "Lag.", ["topic"], multiprocess_mode="max")
    lag.labels("t").set(5)
    lag.labels("t").inc()
    lag.labels("t").dec(2)
    assert lag.metric._multiprocess_mode == "max"
    assert sample(name, topic="t") == 4
    lag.labels("t").set_to_current_time()
    assert sample(name, topic="t") > 1e9
    lag.remove("t")
    assert sample(name, topic="t") == 0
    assert instruments.gauge(name + "_d", "Default.").metric is None
    in_progress = instruments.gauge(name + "_d", "Default.")
    in_progress.inc()
    assert in_progress.metric._multiprocess_mode == "livesum"
    metrics_registry.forget(name + "_d")


def test_histogram_buckets_are_given_or_the_settings_at_binding(name):
    given = instruments.histogram(name, "Given.", buckets=(0.1, 1))
    given.observe(0.5)
    assert given.metric._upper_bounds == [0.1, 1.0, float("inf")]
    default = instruments.histogram(name + "_d", "Default.")
    with override_settings(AXIOMOD={"metrics": {"buckets": [2, 4]}}), default.time():
        pass
    assert default.metric._upper_bounds == [2.0, 4.0, float("inf")]
    assert sample(f"{name}_d_bucket", le="2.0") == 1
    metrics_registry.forget(name + "_d")


def test_a_conflicting_declaration_fails_where_it_is_first_used(name):
    instruments.counter(name, "Things.", ["kind"]).labels("a").inc()
    other = instruments.gauge(name, "Things.", ["kind"])
    with pytest.raises(ValueError, match="it is a Counter, not a Gauge"):
        other.labels("a")


def test_reset_rebinds_after_a_test_recreated_a_metric(name):
    requests = instruments.counter(name, "Requests.")
    requests.inc()
    first = requests.metric
    metrics_registry.forget(name)
    instruments.reset()
    requests.inc()
    assert requests.metric is not first
    assert sample(f"{name}_total") == 1


def test_set_backend_rebinds_instruments_and_their_deferred_children(name, monkeypatch):
    monkeypatch.setattr(instruments, "_apps_ready", lambda: False)
    previous = instruments.set_backend(None)
    try:
        requests = instruments.counter(name, "Requests.", ["path"])
        early = requests.labels("/a")
        instruments.set_backend(previous)
        early.inc()
        assert requests.metric is not None
        instruments.set_backend(None)
        assert requests.metric is None and "inc" not in vars(early)
        early.inc()  # no backend again: a no-op
    finally:
        instruments.set_backend(previous)
    early.inc()
    assert sample(f"{name}_total", path="/a") == 2


# -- the apps' instruments ------------------------------------------------------------

APP_INSTRUMENTS = [
    ("axiomod.db.instrumentation", "QUERY_DURATION", "histogram", ("alias", "operation", "status")),
    ("axiomod.db.instrumentation", "SLOW_QUERIES", "counter", ("alias",)),
    ("axiomod.db.instrumentation", "POOL_CONNECTIONS", "gauge", ("alias", "state")),
    ("axiomod_auth.metrics", "REFRESHES", "counter", ("kind", "status")),
    ("axiomod_auth.metrics", "AGE", "gauge", ("kind",)),
    ("axiomod_auth.metrics", "FETCHED", "gauge", ("kind",)),
    ("axiomod_auth.metrics", "VERIFICATIONS", "counter", ("result",)),
    ("axiomod_health.metrics", "STATUS", "gauge", ("check",)),
    ("axiomod_health.metrics", "DURATION", "histogram", ("check",)),
    ("axiomod_messaging.metrics", "PRODUCED", "counter", ("topic", "status")),
    ("axiomod_messaging.metrics", "CONSUMED", "counter", ("topic", "group", "status")),
    ("axiomod_messaging.metrics", "RETRIES", "counter", ("topic", "group")),
    ("axiomod_messaging.metrics", "SECONDS", "histogram", ("topic", "group")),
    ("axiomod_messaging.metrics", "DEAD_LETTERED", "counter", ("topic", "group")),
    ("axiomod_messaging.metrics", "LAG", "gauge", ("topic", "partition", "group")),
    ("axiomod_jobs.metrics", "PROCESSED", "counter", ("job", "status")),
    ("axiomod_jobs.metrics", "SECONDS", "histogram", ("job",)),
    ("axiomod_jobs.metrics", "RUNNING", "gauge", ("job",)),
]  # fmt: skip


@pytest.mark.parametrize(("module", "attribute", "kind", "labelnames"), APP_INSTRUMENTS)
def test_the_apps_instruments_are_the_registrys_metrics(module, attribute, kind, labelnames):
    instrument = getattr(importlib.import_module(module), attribute)
    assert instrument.kind == kind
    assert instrument.labelnames == labelnames
    metric = instrument._bound()
    assert type(metric) is getattr(metrics_registry, kind.capitalize())
    assert metric._labelnames == labelnames
    assert metric._documentation == instrument.documentation
    assert REGISTRY._names_to_collectors[metric._name] is metric
