"""Trace-id exemplars on the request-duration histograms (sampled requests only).

A bucket of ``http_request_duration_seconds`` / ``grpc_request_duration_seconds`` carries
``{trace_id, span_id}`` of the last *sampled* request that fell into it; Prometheus stores
it when run with ``--enable-feature=exemplar-storage`` (it then asks for OpenMetrics,
which is what :func:`axiomod_metrics.exposition.metrics_view` and the metrics port answer
with), and Grafana links a latency spike to its trace.

Why a capture hook and not a look at the current span when the duration is recorded: the
metrics middleware and interceptor are the outermost layer (so the duration covers the
whole stack), and by the time they record, the tracing layer inside has ended its span
and detached its context. The span is read while it is current instead: over HTTP in
``process_view`` (Django calls it inside every middleware, after URL resolution), over
gRPC by a small interceptor placed inside the tracing one. An unsampled request costs one
trace-flags check.

Only in single-process mode: prometheus_client's multiprocess value class drops exemplars
(``values.py``, ``MultiProcessValue.set_exemplar``: "TODO: Implement exemplars for
multiprocess mode"), so under gunicorn/Celery prefork with ``PROMETHEUS_MULTIPROC_DIR``
no capture is installed and no exemplar is exposed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from . import multiprocess

__all__ = ["ATTRIBUTE", "capture_hook", "enabled", "exemplar_of_current_span", "take"]

#: Where ``process_view`` leaves the exemplar of a sampled request (``request.__dict__``).
ATTRIBUTE = "_axiomod_exemplar"

try:
    from opentelemetry.trace import get_current_span
except ImportError:  # no OpenTelemetry API: nothing is ever sampled
    get_current_span = None  # type: ignore[assignment]


def enabled() -> bool:
    """Whether exemplars can be recorded in this process (API present, single-process)."""
    return get_current_span is not None and not multiprocess.is_enabled()


def exemplar_of_current_span() -> dict[str, str] | None:
    """``{"trace_id", "span_id"}`` (lower-case hex) of the current span if it is sampled."""
    context = get_current_span().get_span_context()
    if not context.trace_flags & 1:  # TraceFlags.SAMPLED; also false for the invalid span
        return None
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }


def _capture(request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
    exemplar = exemplar_of_current_span()
    if exemplar is not None:
        request.__dict__[ATTRIBUTE] = exemplar


async def _acapture(request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
    _capture(request, view_func, view_args, view_kwargs)


def capture_hook(is_async: bool) -> Callable[..., Any] | None:
    """A ``process_view`` for the metrics middleware, or None when exemplars are off.

    Async under ASGI: Django would wrap a sync ``process_view`` in a thread hop.
    """
    if not enabled():
        return None
    return _acapture if is_async else _capture


#: gRPC: the inner interceptor sets it, the outer metrics interceptor takes it.
_grpc_exemplar: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "axiomod_grpc_exemplar", default=None
)


def remember() -> None:
    """Called inside the gRPC tracing layer: keep the sampled span's ids for the recorder."""
    exemplar = exemplar_of_current_span()
    if exemplar is not None:
        _grpc_exemplar.set(exemplar)


def take() -> dict[str, str] | None:
    """The exemplar :func:`remember` kept for the call that just ended (and forget it)."""
    exemplar = _grpc_exemplar.get()
    if exemplar is not None:
        _grpc_exemplar.set(None)
    return exemplar
