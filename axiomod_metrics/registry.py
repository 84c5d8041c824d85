"""Get-or-create application metrics with a cardinality guard.

``prometheus_client`` raises ``Duplicated timeseries`` when a module that defines a
metric is imported twice (autoreload, tests, a module imported under two names); the
functions here return the existing metric instead, and refuse only a real conflict (same
name, different type, labels or buckets). Every metric they create caps its distinct
label sets at ``AXIOMOD["metrics"]["max_label_sets"]``: beyond that, new label values
fold into one ``__overflow__`` series and a warning is logged once, so a label fed from
user input cannot exhaust memory or the Prometheus server.

This module is the backend of the kernel's facade, :mod:`axiomod.instruments`: the app
installs it in ``ready()``, and every instrument the kernel and the apps declare is
created here on its first use (same registry, buckets, cap and multiprocess files).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from typing import Any, TypeVar

import prometheus_client
from prometheus_client import REGISTRY, CollectorRegistry

from axiomod.conf import settings

__all__ = ["OVERFLOW", "Counter", "Gauge", "Histogram", "counter", "gauge", "histogram"]

logger = logging.getLogger("axiomod.metrics")

#: Label value that stands for every label set beyond the cap.
OVERFLOW = "__overflow__"

M = TypeVar("M", bound="_GuardedMixin")


class _GuardedMixin:
    """Caps the children a labelled metric creates (``labels()`` is its only way in)."""

    _max_label_sets: int = 0  # 0: read the setting when the metric is created
    _overflow_warned: bool = False

    def _setup_guard(self) -> None:
        self._max_label_sets = settings.metrics.max_label_sets

    def labels(self: M, *labelvalues: Any, **labelkwargs: Any) -> M:
        metrics: dict = self._metrics  # type: ignore[attr-defined]
        if self._max_label_sets and len(metrics) >= self._max_label_sets:
            names = self._labelnames  # type: ignore[attr-defined]
            if labelkwargs:
                key = tuple(str(labelkwargs.get(n)) for n in names)
            else:
                key = tuple(str(v) for v in labelvalues)
            if key not in metrics:
                if not self._overflow_warned:
                    self._overflow_warned = True
                    logger.warning(
                        "metric %s reached %d label sets (AXIOMOD['metrics']['max_label_sets']);"
                        " new label values are recorded as %r",
                        self._name,  # type: ignore[attr-defined]
                        self._max_label_sets,
                        OVERFLOW,
                    )
                return super().labels(*([OVERFLOW] * len(names)))  # type: ignore[misc]
        return super().labels(*labelvalues, **labelkwargs)  # type: ignore[misc]


class Counter(_GuardedMixin, prometheus_client.Counter):
    """A prometheus_client Counter whose label sets are capped."""


class Histogram(_GuardedMixin, prometheus_client.Histogram):
    """A prometheus_client Histogram whose label sets are capped."""


class Gauge(_GuardedMixin, prometheus_client.Gauge):
    """A prometheus_client Gauge whose label sets are capped."""


_lock = threading.Lock()
_created: dict[str, prometheus_client.metrics.MetricWrapperBase] = {}


def _normalized(name: str, kind: type) -> str:
    # prometheus_client stores counters without their _total suffix.
    if kind is Counter and name.endswith("_total"):
        return name[: -len("_total")]
    return name


def _get_or_create(
    kind: type, name: str, documentation: str, labelnames: Sequence[str], **kwargs: Any
) -> Any:
    key = _normalized(name, kind)
    labelnames = tuple(labelnames)
    with _lock:
        # "x_total" may be a counter (stored as "x") or, wrongly, another kind: look both up.
        existing = next(
            (_created[k] for k in (key, name, name.removesuffix("_total")) if k in _created),
            None,
        )
        if existing is not None:
            _ensure_same(existing, kind, name, labelnames, kwargs)
            return existing
        metric = kind(
            name, documentation, labelnames, registry=kwargs.pop("registry", REGISTRY), **kwargs
        )
        metric._setup_guard()
        _created[key] = metric
        return metric


def _ensure_same(
    existing: Any, kind: type, name: str, labelnames: tuple[str, ...], kwargs: dict
) -> None:
    problems = []
    if type(existing) is not kind:
        problems.append(f"it is a {type(existing).__name__}, not a {kind.__name__}")
    if existing._labelnames != labelnames:
        problems.append(f"its labels are {existing._labelnames}, not {labelnames}")
    mode = kwargs.get("multiprocess_mode")
    if mode is not None and getattr(existing, "_multiprocess_mode", mode) != mode:
        problems.append(f"its multiprocess_mode is {existing._multiprocess_mode!r}")
    buckets = kwargs.get("buckets")
    if buckets is not None and hasattr(existing, "_upper_bounds"):
        wanted = [float(b) for b in buckets]
        if wanted[-1] != float("inf"):
            wanted.append(float("inf"))
        if existing._upper_bounds != wanted:
            problems.append(f"its buckets are {existing._upper_bounds[:-1]}")
    if problems:
        raise ValueError(f"metric {name!r} already exists and " + "; ".join(problems))


def counter(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    *,
    registry: CollectorRegistry | None = REGISTRY,
) -> Counter:
    """The counter ``name``, created on first call; ``name`` may end in ``_total``."""
    return _get_or_create(Counter, name, documentation, labelnames, registry=registry)


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    *,
    buckets: Sequence[float] | None = None,
    registry: CollectorRegistry | None = REGISTRY,
) -> Histogram:
    """The histogram ``name``; ``buckets`` default to ``AXIOMOD["metrics"]["buckets"]``."""
    if buckets is None:
        buckets = settings.metrics.buckets
    return _get_or_create(
        Histogram, name, documentation, labelnames, buckets=tuple(buckets), registry=registry
    )


def gauge(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    *,
    multiprocess_mode: str = "livesum",
    registry: CollectorRegistry | None = REGISTRY,
) -> Gauge:
    """The gauge ``name``.

    ``multiprocess_mode`` says how the values of several worker processes combine when
    ``PROMETHEUS_MULTIPROC_DIR`` is set; ``livesum`` (the default here, unlike
    prometheus_client's ``all``) adds up the live workers, which is what in-progress and
    pool-size gauges mean.
    """
    return _get_or_create(
        Gauge,
        name,
        documentation,
        labelnames,
        multiprocess_mode=multiprocess_mode,
        registry=registry,
    )


def forget(name: str) -> None:
    """Unregister a metric created here; for tests that need to recreate one."""
    with _lock:
        metric = _created.pop(name, None) or _created.pop(_normalized(name, Counter), None)
        if metric is not None:
            with contextlib.suppress(KeyError):
                REGISTRY.unregister(metric)
