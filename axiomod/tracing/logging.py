"""``trace_id`` and ``span_id`` on log records, for log lines that link to their trace.

    LOGGING = {
        "filters": {"trace": {"()": "axiomod.tracing.logging.TraceContextFilter"}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(trace_id)s] %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["trace"], ...}},
    }

Outside a span both are ``"0"`` (so a format string never fails). OpenTelemetry's
``LoggingInstrumentor`` does the same by replacing the global log record factory, which
changes every record of the process; a filter is opt-in per handler.
"""

from __future__ import annotations

import logging

__all__ = ["TraceContextFilter"]


class TraceContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            from opentelemetry import trace
        except ImportError:  # no OpenTelemetry installed: every record is outside a span
            context = None
        else:
            context = trace.get_current_span().get_span_context()
        if context is not None and context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
            record.trace_sampled = context.trace_flags.sampled
        else:
            record.trace_id = record.span_id = "0"
            record.trace_sampled = False
        return True
