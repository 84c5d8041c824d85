"""OpenTelemetry tracing for axiomod services, configured from ``AXIOMOD["tracing"]``.

This is the only axiomod package that touches the OpenTelemetry SDK; the apps use the
API. Public API::

    from axiomod.tracing import configure, shutdown, inject_headers, extract_context

    configure()                 # once per process; serving processes do it themselves
    headers = inject_headers()  # {"traceparent": ...} for an outgoing call
    context = extract_context(incoming_headers)

HTTP requests are traced by :class:`axiomod.tracing.middleware.TracingMiddleware`; logs
get ``trace_id``/``span_id`` from :class:`axiomod.tracing.logging.TraceContextFilter`;
Kafka headers are handled by :func:`kafka_headers` and :func:`context_from_kafka`.
Transports that trace their own calls (``axiomod_grpc``) use :func:`tracer_provider`
for the instrumentation, and :func:`root_decision` with :func:`preset_trace_id` to take
the root sampling decision before the SDK, as the HTTP middleware does.
Needs the ``tracing`` extra unless the exporter is ``none``.
"""

from .propagation import (
    context_from_kafka,
    extract_context,
    inject_headers,
    kafka_headers,
)
from .setup import (
    configure,
    exports,
    is_configured,
    preset_trace_id,
    root_decision,
    shutdown,
    tracer,
    tracer_provider,
)

__all__ = [
    "configure",
    "context_from_kafka",
    "exports",
    "extract_context",
    "inject_headers",
    "is_configured",
    "kafka_headers",
    "preset_trace_id",
    "root_decision",
    "shutdown",
    "tracer",
    "tracer_provider",
]
