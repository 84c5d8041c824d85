"""Prometheus metrics for axiomod services: the scrape endpoint and request metrics.

Public API (imported lazily, so reading ``AXIOMOD`` never needs prometheus_client)::

    from axiomod_metrics import counter, histogram, gauge

    invoices_created = counter("invoices_created_total", "Invoices created.", ["currency"])

Middleware: ``axiomod_metrics.middleware.MetricsMiddleware`` (first in ``MIDDLEWARE``).
gRPC: ``axiomod_metrics.grpc.MetricsInterceptor`` / ``AsyncMetricsInterceptor``.
Configured by ``AXIOMOD["metrics"]`` (:class:`axiomod_metrics.conf.MetricsSettings`).
Needs the ``metrics`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry import Counter, Gauge, Histogram, counter, gauge, histogram

__all__ = ["Counter", "Gauge", "Histogram", "counter", "gauge", "histogram"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'axiomod_metrics' has no attribute {name!r}")
