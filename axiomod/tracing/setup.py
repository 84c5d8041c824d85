"""Building the SDK from the settings: resource, sampler, exporter, processor, propagators.

Once per process, and again in a forked child: a BatchSpanProcessor's thread and an
OTLP gRPC channel do not survive ``fork()``. Every entry point goes through
:func:`tracer`, which notices a new pid and builds the child's own provider on first
use (gunicorn workers with ``--preload``, Celery prefork children, a forked consumer).
The global TracerProvider can be set only once per process, so the global one is a
proxy (:data:`FOLLOWING_PROVIDER`) that hands out tracers following the provider kept
here; code and instrumentations using ``trace.get_tracer()`` follow a rebuild too.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import logging
import os
import random
import threading
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from axiomod.conf import settings
from axiomod.extras import require_extra

__all__ = [
    "build_provider",
    "configure",
    "is_configured",
    "preset_trace_id",
    "root_decision",
    "roots_sampled",
    "shutdown",
    "tracer",
    "tracer_provider",
]

logger = logging.getLogger("axiomod.tracing")

INSTRUMENTATION_NAME = "axiomod"

_lock = threading.Lock()
_state: dict[str, Any] = {"pid": None, "provider": None, "tracer": None}

#: Jaeger's own OTLP receiver (v1.35+): gRPC on 4317, plain text inside the cluster.
JAEGER_DEFAULT_ENDPOINT = "http://localhost:4317"


def _sampler(ratio: float, trust_parent: bool = True) -> Any:
    """OpenTelemetry's ParentBased sampler with ``ratio`` deciding for new traces.

    With ``trust_parent`` off (edge services), the same ratio sampler also decides for
    spans whose parent came from a caller, sampled or not: a caller cannot force
    recording (``traceparent ...-01`` at ratio 0), and since ``TraceIdRatioBased``
    decides from the trace id, which is the caller's, the trace id is kept. Local
    parents are still followed, so a trace is never cut inside the process. The SDK's
    own ``TraceIdRatioBased`` without ParentBased would re-decide local children too
    (the same answer for the same trace id, but not for a custom root decision), so the
    remote delegates are replaced rather than the parent-based wrapper dropped.
    """
    from opentelemetry.sdk.trace.sampling import (
        ALWAYS_OFF,
        ALWAYS_ON,
        ParentBased,
        TraceIdRatioBased,
    )

    root = ALWAYS_ON if ratio >= 1.0 else ALWAYS_OFF if ratio <= 0.0 else TraceIdRatioBased(ratio)
    if trust_parent:
        return ParentBased(root)
    return ParentBased(root, remote_parent_sampled=root, remote_parent_not_sampled=root)


def _resource(conf: Any) -> Any:
    from opentelemetry.sdk.resources import Resource

    # The service's own settings win over the generic attribute list (and over
    # OTEL_RESOURCE_ATTRIBUTES, which the SDK merges in underneath).
    attributes = {
        **conf.tracing.resource_attributes,
        "service.name": conf.tracing.service_name or conf.service_name,
        "deployment.environment": conf.environment,
        "deployment.environment.name": conf.environment,
    }
    if conf.version:
        attributes["service.version"] = conf.version
    return Resource.create(attributes)


def _exporter(tracing: Any) -> Any:
    kind = tracing.exporter
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if kind == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = tracing.endpoint or "http://localhost:4318"
        if not endpoint.rstrip("/").endswith("/v1/traces"):
            endpoint = endpoint.rstrip("/") + "/v1/traces"
        return OTLPSpanExporter(
            endpoint=endpoint, headers=dict(tracing.headers), timeout=tracing.timeout
        )
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    endpoint = tracing.endpoint or (JAEGER_DEFAULT_ENDPOINT if kind == "jaeger" else None)
    insecure = tracing.insecure
    if insecure is None and endpoint is not None:
        insecure = endpoint.startswith("http://")
    return OTLPSpanExporter(
        endpoint=endpoint,
        insecure=insecure,
        # gRPC metadata keys must be lower case ("Invalid metadata" otherwise).
        headers={key.lower(): value for key, value in tracing.headers.items()} or None,
        timeout=tracing.timeout,
    )


def _propagator(names: tuple[str, ...]) -> Any:
    from opentelemetry.propagators.composite import CompositePropagator

    propagators = []
    for name in names:
        if name == "none":
            continue
        if name == "tracecontext":
            from opentelemetry.trace.propagation.tracecontext import (
                TraceContextTextMapPropagator,
            )

            propagators.append(TraceContextTextMapPropagator())
        elif name == "baggage":
            from .propagation import baggage_propagator

            propagators.append(baggage_propagator())
        else:
            package = {"b3": "b3", "b3multi": "b3", "jaeger": "jaeger"}[name]
            try:
                from importlib.metadata import entry_points

                (entry,) = entry_points(group="opentelemetry_propagator", name=name)
            except ValueError:
                raise ImproperlyConfigured(
                    f"AXIOMOD['tracing']['propagators'] names {name!r}: "
                    f"pip install opentelemetry-propagator-{package}"
                ) from None
            propagators.append(entry.load()())
    return CompositePropagator(propagators)


#: A trace id the middleware chose and already judged sampled (see :func:`root_decision`).
_preset_trace_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "axiomod_preset_trace_id", default=None
)


def _id_generator_class() -> type:
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class PresetIdGenerator(RandomIdGenerator):
        """Random ids, except a trace id the middleware picked for a root span it samples."""

        def generate_trace_id(self) -> int:
            preset = _preset_trace_id.get()
            return preset if preset is not None else super().generate_trace_id()

    return PresetIdGenerator


try:
    PresetIdGenerator = _id_generator_class()
except ImportError:  # no opentelemetry-sdk: tracing can only be "none"
    PresetIdGenerator = None  # type: ignore[assignment,misc]


def root_decision() -> tuple[int, bool] | None:
    """(trace id, sampled) for a new root span, decided without the SDK; None if unknown.

    The SDK's unsampled ``start_span`` costs ~14 µs inside a request; an unsampled root
    only needs ids. So for providers built here (ratio sampler + :class:`PresetIdGenerator`)
    the middleware draws the trace id, applies the same rule as ``TraceIdRatioBased``,
    and calls the SDK only for the sampled ones, handing it that trace id, so the SDK's
    sampler reaches the same decision.
    """
    bound = _state.get("root_bound")
    if bound is None or not _state.get("preset_ids") or _state["pid"] != os.getpid():
        return None
    trace_id = random.getrandbits(128) or 1
    return trace_id, (trace_id & _TRACE_ID_LIMIT) < bound


@contextlib.contextmanager
def preset_trace_id(trace_id: int) -> Iterator[None]:
    """A root span started inside gets ``trace_id`` (drawn by :func:`root_decision`)."""
    token = _preset_trace_id.set(trace_id)
    try:
        yield
    finally:
        _preset_trace_id.reset(token)


_TRACE_ID_LIMIT = (1 << 64) - 1


def _root_bound(provider: Any) -> int | None:
    """The bound on ``trace_id & TRACE_ID_LIMIT`` under which ``provider`` samples a new
    root (0: never, TRACE_ID_LIMIT + 1: always); None for a sampler it cannot tell."""
    sampler = getattr(provider, "sampler", None)
    if sampler is None:
        return None
    description = sampler.get_description()
    root = description.removeprefix("ParentBased{root:").split(",", 1)[0]
    if root == "AlwaysOnSampler":
        return _TRACE_ID_LIMIT + 1
    if root == "AlwaysOffSampler":
        return 0
    if root.startswith("TraceIdRatioBased{"):
        from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

        return TraceIdRatioBased.get_bound_for_rate(float(root[len("TraceIdRatioBased{") : -1]))
    return None


def build_provider(exporter: Any = None, *, processor: str = "batch") -> Any:
    """A TracerProvider from the settings; ``exporter`` overrides the configured one (tests)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    conf = settings
    tracing = conf.tracing
    provider = TracerProvider(
        resource=_resource(conf),
        sampler=_sampler(tracing.sample_ratio, tracing.trust_parent_sampling),
        id_generator=PresetIdGenerator(),
    )
    exporter = exporter if exporter is not None else _exporter(tracing)
    if processor == "simple" or tracing.exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        batch = tracing.batch
        provider.add_span_processor(
            BatchSpanProcessor(
                exporter,
                max_queue_size=batch.max_queue_size,
                max_export_batch_size=batch.max_export_batch_size,
                schedule_delay_millis=batch.schedule_delay_ms,
            )
        )
    return provider


def configure(*, force: bool = False, provider: Any = None) -> bool:
    """Set tracing up for this process from ``AXIOMOD["tracing"]``; True when spans export.

    Idempotent per process: call it from every entry point. ``force`` rebuilds it (after
    a settings change); ``provider`` installs a ready-made one (tests, custom set-ups).
    """
    tracing = settings.tracing
    with _lock:
        if _state["pid"] == os.getpid() and not force and provider is None:
            return _state["provider"] is not None
        if provider is None and not exports():
            _install(None)
            return False
        require_extra("tracing", feature="AXIOMOD['tracing'] with an exporter")
        from opentelemetry import propagate, trace

        propagate.set_global_textmap(_propagator(tracing.propagators))
        provider = provider or build_provider()
        _install(provider)
        if not isinstance(trace.get_tracer_provider(), FollowingProvider):
            # Global: a provider that follows ours, so code and instrumentations using
            # trace.get_tracer() keep working when this process's provider is rebuilt.
            trace.set_tracer_provider(FOLLOWING_PROVIDER)
        if tracing.instrument_requests:
            _instrument_clients(provider)
        logger.info(
            "tracing to %s (sample ratio %s%s)",
            tracing.exporter,
            tracing.sample_ratio,
            "" if tracing.trust_parent_sampling else ", callers' sampled flags ignored",
        )
        return True


def _install(provider: Any, *, shutdown_previous: bool = True) -> None:
    old = _state["provider"]
    _state["pid"] = os.getpid()
    _state["provider"] = provider
    _state["tracer"] = provider.get_tracer(INSTRUMENTATION_NAME) if provider is not None else None
    _state["root_bound"] = _root_bound(provider)
    _state["preset_ids"] = PresetIdGenerator is not None and isinstance(
        getattr(provider, "id_generator", None), PresetIdGenerator
    )
    if (
        shutdown_previous
        and old is not None
        and old is not provider
        and _state.get("owner_pid") == os.getpid()
    ):
        old.shutdown()
    _state["owner_pid"] = os.getpid()


class _FollowingTracer:  # an opentelemetry.trace.Tracer by duck typing
    """A tracer that always uses the provider configured for this process *now*.

    Instrumentations (requests, httpx, grpc) take a tracer once, when instrumented; a
    provider rebuilt after ``fork()`` or a settings change would otherwise leave them
    exporting through one that was shut down.
    """

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        self._args = (name, *args)
        self._kwargs = kwargs
        self._cache: tuple[Any, Any] | None = None

    def _current(self) -> Any:
        from opentelemetry import trace

        if _state["pid"] != os.getpid():
            tracer()  # a forked child (Celery prefork): build this process's provider
        provider = _state["provider"]
        if provider is None:
            return trace.NoOpTracer()
        if self._cache is None or self._cache[0] is not provider:
            self._cache = (provider, provider.get_tracer(*self._args, **self._kwargs))
        return self._cache[1]

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_as_current_span(*args, **kwargs)


def _following_provider_class() -> type:
    from opentelemetry import trace

    class FollowingProvider(trace.TracerProvider):
        """The global TracerProvider: hands out tracers that follow :func:`configure`."""

        def get_tracer(self, name: str, *args: Any, **kwargs: Any) -> Any:
            return _FollowingTracer(name, *args, **kwargs)

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            provider = _state["provider"]
            return provider.force_flush(timeout_millis) if provider is not None else True

    return FollowingProvider


try:
    FollowingProvider = _following_provider_class()
    FOLLOWING_PROVIDER = FollowingProvider()
except ImportError:  # no opentelemetry-api: tracing can only be "none"
    FollowingProvider = FOLLOWING_PROVIDER = None  # type: ignore[assignment,misc]


def _instrument_clients(provider: Any) -> None:
    provider = FOLLOWING_PROVIDER
    try:
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
    except ImportError:
        pass
    else:
        instrumentor = RequestsInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
    try:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    except ImportError:
        return
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


def tracer_provider() -> Any:
    """The provider instrumentations should be given (``tracer_provider=``), configured.

    Its tracers follow :func:`configure` (a rebuild after a settings change, a fork);
    None without opentelemetry-api.
    """
    configure()
    return FOLLOWING_PROVIDER


def tracer() -> Any:
    """axiomod's tracer for this process, or None when tracing is off."""
    if _state["pid"] != os.getpid():
        configure()
    return _state["tracer"]


def roots_sampled() -> bool:
    """Whether a request with no incoming trace context can be sampled at all.

    When not (``sample_ratio`` 0), the middleware starts no span for such a request.
    """
    return _state.get("root_bound") != 0


def exports() -> bool:
    """Whether the settings ask this process to export spans (before any configure()).

    Never raises: invalid tracing settings read as their defaults here (code calling it
    at start-up leaves them to ``manage.py check``; ``configure()`` refuses them).
    """
    disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return not disabled and settings.best_effort("tracing").exporter != "none"


def is_configured() -> bool:
    return _state["pid"] == os.getpid() and _state["provider"] is not None


def shutdown() -> None:
    """Flush and stop this process's span export (at exit, worker exit, SIGTERM)."""
    with _lock:
        provider = _state["provider"]
        if provider is not None and _state["pid"] == os.getpid():
            provider.shutdown()
        _state.update(pid=None, provider=None, tracer=None)


atexit.register(shutdown)
