"""Every metric ``axiomod_metrics`` records, in one place.

Names and labels are the Go framework's, so a fleet mixing both shares dashboards:
``http_requests_total`` / ``http_request_duration_seconds`` with ``method``, ``path``
(the route template) and ``status``; ``grpc_requests_total`` /
``grpc_request_duration_seconds`` with ``service``, ``method`` and ``status`` (the code
name). They are created on first use so that the buckets come from the settings.
"""

from __future__ import annotations

import functools

from .registry import Counter, Histogram, counter, histogram

HTTP_LABELS = ("method", "path", "status")
GRPC_LABELS = ("service", "method", "status")


@functools.cache
def http_metrics() -> tuple[Counter, Histogram]:
    return (
        counter("http_requests_total", "HTTP requests served.", HTTP_LABELS),
        histogram(
            "http_request_duration_seconds", "Time spent serving HTTP requests.", HTTP_LABELS
        ),
    )


@functools.cache
def grpc_metrics() -> tuple[Counter, Histogram]:
    return (
        counter("grpc_requests_total", "gRPC calls served.", GRPC_LABELS),
        histogram("grpc_request_duration_seconds", "Time spent serving gRPC calls.", GRPC_LABELS),
    )
