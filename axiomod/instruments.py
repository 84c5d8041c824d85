"""Metrics instruments for the kernel and the apps: no-ops until a backend records them.

Every app records its metrics through this module, never through ``axiomod_metrics``::

    from axiomod import instruments

    REFRESHES = instruments.counter("oidc_refresh_total", "Fetches.", ["kind", "status"])
    LAG = instruments.gauge("kafka_consumer_lag", "Behind.", ["topic"], multiprocess_mode="livemax")
    QUERIES = instruments.histogram("db_query_seconds", "Time.", ["alias"], buckets=(0.001, 0.01))

    REFRESHES.labels("jwks", "ok").inc()

``counter``/``gauge``/``histogram`` only *declare* an instrument: they may run at import
time, before any backend exists. The ``axiomod_metrics`` app installs the backend in its
``ready()`` (:func:`set_backend`, with its get-or-create registry: prometheus_client's
default ``REGISTRY``, the ``AXIOMOD["metrics"]`` buckets and cardinality cap, and
multiprocess files under ``PROMETHEUS_MULTIPROC_DIR``); the first use of an instrument
after that creates the real metric through it. Without a backend every call is a no-op,
so the kernel and the apps never ask whether metrics are installed, and the kernel
imports no app.

Cost. Binding stores the real metric's bound methods (``labels``, ``inc``, ``observe``...)
in the instrument's instance ``__dict__``: from then on ``instrument.labels(...)`` *is*
the prometheus_client call, arguments passed straight through, no wrapper frame. On
CPython 3.11 that costs ~50 ns more than the same call on the metric (a stored bound
method misses the interpreter's method-call fast path): +3-5 % on ``labels().inc()``
(~1.8 µs), where a check-and-forward wrapper (``if self._real: ...``) re-packs
``*labelvalues`` and costs ~5x that; on a bare ``inc()`` both cost the same. ``labels()``
returns prometheus_client's own child, so a caller that caches children (every hot path
here does) pays exactly what prometheus_client costs. Before binding, ``labels()``
returns a deferred child that binds itself the same way on its first use after the
backend arrives; so a child taken at import time (``X = counter(...).labels("eur")``, in
a ``models.py`` imported before any ``ready()``) records too. Once every app is ready
without a backend (``django.apps.apps.ready``), instruments bind to the shared no-op for
good: no allocation, a ``labels().inc()`` of ~0.15 µs.

Why hand-written. prometheus_client has no no-op mode and no deferred registry: creating
a ``Counter`` registers it at once, in whatever registry and multiprocess mode exist at
that moment, and raises on a second import of the same module. OpenTelemetry's metrics
API solves the same "declare now, provider later" problem with proxies
(``opentelemetry.metrics._internal``: ``_ProxyMeterProvider`` hands out ``_ProxyMeter``s
whose ``_ProxyCounter.add()`` checks ``if self._real_instrument`` on every call and
forwards once ``set_meter_provider()`` has run); this module is the same idea with the
check moved out of the hot path. OpenTelemetry metrics themselves are not used here:
their SDK has no answer to gunicorn's and Celery's prefork workers (each process would
export its own series; prometheus_client's multiprocess files merge them into one
scrape), ``add(amount, attributes)`` hashes an attribute dict on every call where a
cached prometheus child is one locked add, the provider can be set only once per
process (tests could not swap it), and the metric names, ``_total`` suffixes and
buckets would have to be re-created to keep the Go framework's dashboards.

For tests: :func:`set_backend` (returns the previous one) and :func:`reset` (every
instrument asks the backend again on its next use, after a test recreated a metric).
Children handed out after binding belong to that binding.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

__all__ = [
    "Backend",
    "Counter",
    "Gauge",
    "Histogram",
    "counter",
    "gauge",
    "has_backend",
    "histogram",
    "reset",
    "set_backend",
]

F = TypeVar("F", bound=Callable[..., Any])


class Backend(Protocol):
    """What creates real metrics: get-or-create, so that binding twice is harmless.

    ``axiomod_metrics.registry`` (the module) is the one the project ships.
    """

    def counter(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Any: ...

    def gauge(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        multiprocess_mode: str = ...,
    ) -> Any: ...

    def histogram(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        buckets: Sequence[float] | None = None,
    ) -> Any: ...


class _NoopTimer:
    """What ``time()``/``track_inprogress()``/``count_exceptions()`` return without a backend:
    a context manager and a decorator that do nothing."""

    def __enter__(self) -> _NoopTimer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __call__(self, func: F) -> F:
        return func


class _Noop:
    """The no-op metric, which is also its own child."""

    __slots__ = ()

    def labels(self, *labelvalues: Any, **labelkwargs: Any) -> _Noop:
        return self

    def inc(self, amount: float = 1, exemplar: Any = None) -> None:
        return None

    def dec(self, amount: float = 1) -> None:
        return None

    def set(self, value: float) -> None:
        return None

    def observe(self, amount: float, exemplar: Any = None) -> None:
        return None

    def set_to_current_time(self) -> None:
        return None

    def time(self) -> _NoopTimer:
        return _TIMER

    def track_inprogress(self) -> _NoopTimer:
        return _TIMER

    def count_exceptions(self, exception: Any = Exception) -> _NoopTimer:
        return _TIMER

    def remove(self, *labelvalues: Any) -> None:
        return None

    def clear(self) -> None:
        return None


_TIMER = _NoopTimer()
NOOP = _Noop()

#: Methods stored on a bound instrument or child (those the real object has).
_METHODS = (
    "labels", "inc", "dec", "set", "observe", "set_to_current_time", "time",
    "track_inprogress", "count_exceptions", "remove", "clear",
)  # fmt: skip
_CHILD_METHODS = _METHODS[1:-2]

_lock = threading.RLock()
_backend: Backend | None = None
_instruments: weakref.WeakSet[Instrument] = weakref.WeakSet()


def _apps_ready() -> bool:
    """Whether every ``ready()`` has run: no backend can arrive any more."""
    try:
        from django.apps import apps
    except ImportError:  # pragma: no cover - Django is a dependency of the kernel
        return False
    return apps.ready


def _store(target: Any, real: Any, names: tuple[str, ...] = _METHODS) -> None:
    """Put ``real``'s methods in ``target``'s instance dict: calls skip ``target``'s class."""
    namespace = target.__dict__
    for name in names:
        method = getattr(real, name, None)
        if method is not None:
            namespace[name] = method


def _clear(target: Any) -> None:
    namespace = target.__dict__
    for name in _METHODS:
        namespace.pop(name, None)


class Instrument:
    """A declared metric; see the module docstring. Made by :func:`counter` & co."""

    kind = ""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], options: dict[str, Any]
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.options = options
        #: The real metric (or :data:`NOOP`) once bound, else None.
        self.metric: Any = None
        self._deferred: list[_DeferredChild] = []
        with _lock:
            _instruments.add(self)

    def __repr__(self) -> str:
        state = "unbound" if self.metric is None else ("no-op" if self.metric is NOOP else "bound")
        return f"<{type(self).__name__} {self.name} {state}>"

    # -- binding ---------------------------------------------------------------------
    def _bound(self) -> Any:
        """The real metric or the no-op; binds when a backend is there (or never will be)."""
        metric = self.metric
        if metric is not None:
            return metric
        with _lock:
            if self.metric is not None:
                return self.metric
            backend = _backend
            if backend is not None:
                metric = getattr(backend, self.kind)(
                    self.name, self.documentation, self.labelnames, **self.options
                )
            elif _apps_ready():
                metric = NOOP
            else:
                return NOOP  # not bound: a backend may still come
            self.metric = metric
            _store(self, metric)
            return metric

    def _unbind(self) -> None:
        self.metric = None
        _clear(self)
        for child in self._deferred:
            child._unbind()
        self._deferred.clear()

    # -- the calls, before binding (after it, the instance dict answers them) ---------
    def labels(self, *labelvalues: Any, **labelkwargs: Any) -> Any:
        """The child of these label values: prometheus_client's own once bound."""
        metric = self._bound()
        if self.metric is not metric:  # not bound: a backend may still come
            return _DeferredChild(self, labelvalues, labelkwargs)
        return metric.labels(*labelvalues, **labelkwargs)

    def remove(self, *labelvalues: Any) -> None:
        self._bound().remove(*labelvalues)

    def clear(self) -> None:
        self._bound().clear()


class Counter(Instrument):
    kind = "counter"

    def inc(self, amount: float = 1, exemplar: Any = None) -> None:
        self._bound().inc(amount, exemplar)

    def count_exceptions(self, exception: Any = Exception) -> Any:
        return self._bound().count_exceptions(exception)


class Gauge(Instrument):
    kind = "gauge"

    def inc(self, amount: float = 1) -> None:
        self._bound().inc(amount)

    def dec(self, amount: float = 1) -> None:
        self._bound().dec(amount)

    def set(self, value: float) -> None:
        self._bound().set(value)

    def set_to_current_time(self) -> None:
        self._bound().set_to_current_time()

    def time(self) -> Any:
        return self._bound().time()

    def track_inprogress(self) -> Any:
        return self._bound().track_inprogress()


class Histogram(Instrument):
    kind = "histogram"

    def observe(self, amount: float, exemplar: Any = None) -> None:
        self._bound().observe(amount, exemplar)

    def time(self) -> Any:
        return self._bound().time()


class _DeferredChild:
    """A child taken before its instrument was bound; binds itself on first use after."""

    def __init__(
        self, parent: Instrument, labelvalues: tuple[Any, ...], labelkwargs: dict[str, Any]
    ) -> None:
        self._parent = parent
        self._labelvalues = labelvalues
        self._labelkwargs = labelkwargs
        self._is_bound = False

    def _real(self) -> Any:
        parent = self._parent
        metric = parent._bound()
        if parent.metric is not metric:  # not bound: a backend may still come
            return NOOP
        child = metric.labels(*self._labelvalues, **self._labelkwargs)
        with _lock:
            if not self._is_bound:
                self._is_bound = True
                _store(self, child, _CHILD_METHODS)
                parent._deferred.append(self)
        return child

    def _unbind(self) -> None:
        self._is_bound = False
        _clear(self)

    def inc(self, amount: float = 1, *args: Any) -> None:
        self._real().inc(amount, *args)

    def dec(self, amount: float = 1) -> None:
        self._real().dec(amount)

    def set(self, value: float) -> None:
        self._real().set(value)

    def observe(self, amount: float, *args: Any) -> None:
        self._real().observe(amount, *args)

    def set_to_current_time(self) -> None:
        self._real().set_to_current_time()

    def time(self) -> Any:
        return self._real().time()

    def track_inprogress(self) -> Any:
        return self._real().track_inprogress()

    def count_exceptions(self, exception: Any = Exception) -> Any:
        return self._real().count_exceptions(exception)


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    """A counter; ``name`` may end in ``_total`` (the exposition adds it anyway)."""
    return Counter(name, documentation, labelnames, {})


def gauge(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    *,
    multiprocess_mode: str = "livesum",
) -> Gauge:
    """A gauge. ``multiprocess_mode`` says how worker processes' values combine under
    ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's modes: ``livesum``, ``max``,
    ``mostrecent``, ``livemostrecent``...); ``livesum`` adds up the live workers."""
    return Gauge(name, documentation, labelnames, {"multiprocess_mode": multiprocess_mode})


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    *,
    buckets: Sequence[float] | None = None,
) -> Histogram:
    """A histogram; ``buckets`` default to the backend's (``AXIOMOD["metrics"]["buckets"]``,
    read when the instrument binds)."""
    options = {} if buckets is None else {"buckets": tuple(buckets)}
    return Histogram(name, documentation, labelnames, options)


def set_backend(backend: Backend | None) -> Backend | None:
    """Record through ``backend`` from now on (None: no-ops); returns the previous one.

    Every instrument forgets its binding and binds again on its next use.
    """
    global _backend
    with _lock:
        previous, _backend = _backend, backend
        _reset()
    return previous


def has_backend() -> bool:
    """Whether instruments record; for callers that can skip the work of measuring."""
    return _backend is not None


def reset() -> None:
    """Forget every binding: each instrument asks the backend again on its next use."""
    with _lock:
        _reset()


def _reset() -> None:
    for instrument in list(_instruments):
        instrument._unbind()
