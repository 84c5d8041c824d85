"""The sections of ``AXIOMOD`` read by the core ``axiomod`` app: top level, tracing, db, scaffold.

The other sections live beside the app that reads them (``axiomod_metrics.conf`` and so
on); :mod:`axiomod.conf.registry` finds them all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from .schema import Section, setting

_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")


def _service_name(value: str) -> str | None:
    if not _SERVICE_NAME.match(value):
        return "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def _url_path(value: str) -> str | None:
    if not value.startswith("/"):
        return f"{value!r} must start with '/'"
    return None


def _endpoint(value: str) -> str | None:
    if not re.match(r"^(https?)://[^\s/]+", value):
        return f"{value!r} must be an http:// or https:// URL"
    return None


@dataclasses.dataclass(frozen=True)
class CoreSettings(Section):
    """Top-level keys of ``AXIOMOD`` that every app shares."""

    title = "Top level"

    service_name: str = setting(
        "django-service",
        doc="Name of the service in metrics, traces and logs.",
        env="OTEL_SERVICE_NAME",
        check=_service_name,
        go_key="app.name",
    )
    environment: str = setting(
        "development",
        doc="Deployment environment (``deployment.environment`` on traces).",
        env="AXIOMOD_ENVIRONMENT",
        go_key="app.environment",
    )
    version: str = setting(
        "",
        doc="Version of the service (``service.version`` on traces); empty means unknown.",
        env="AXIOMOD_SERVICE_VERSION",
        go_key="app.version",
    )


def _exporter_from_env(text: str, environ: Mapping[str, str]) -> str:
    """``OTEL_TRACES_EXPORTER`` names ``otlp`` for both protocols; the protocol variable decides.

    Reading ``OTEL_EXPORTER_OTLP_PROTOCOL`` here keeps the mapping of OTel's standard
    variables in one place.
    """
    first = text.split(",")[0].strip()
    if first == "otlp":
        protocol = environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
        )
        if protocol == "http/json":
            raise ValueError("http/json is not supported by the Python OTLP exporter")
        return "otlp-http" if protocol.startswith("http") else "otlp"
    return first


_SAMPLERS = {
    "always_on": 1.0,
    "parentbased_always_on": 1.0,
    "always_off": 0.0,
    "parentbased_always_off": 0.0,
}


def _ratio_from_env(text: str, environ: Mapping[str, str]) -> float:
    """``OTEL_TRACES_SAMPLER`` (+ ``_ARG`` for the ratio samplers) as a sample ratio.

    ``OTEL_TRACES_SAMPLER_ARG`` alone is read as the ratio too: the spec ignores it
    without a ratio sampler, but whoever sets it means a ratio.
    """
    try:
        return float(text)  # OTEL_TRACES_SAMPLER_ARG on its own
    except ValueError:
        pass
    if text in _SAMPLERS:
        return _SAMPLERS[text]
    if text in {"traceidratio", "parentbased_traceidratio"}:
        return float(environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0"))
    raise ValueError("expected always_on, always_off, traceidratio or their parentbased_ forms")


def _trust_from_env(text: str, environ: Mapping[str, str]) -> bool:
    """``OTEL_TRACES_SAMPLER``: the ``parentbased_`` forms trust the caller's sampled flag.

    OpenTelemetry's own SDK reads ``traceidratio``, ``always_on`` and ``always_off`` as
    samplers that ignore the parent; so does axiomod, for remote parents (local child
    spans still follow their parent). A sampler name this does not know is reported
    once, by ``sample_ratio``, which reads the same variable; here it keeps the default.
    """
    return text not in {"traceidratio", "always_on", "always_off"}


_PROPAGATORS = ("tracecontext", "baggage", "b3", "b3multi", "jaeger", "none")


@dataclasses.dataclass(frozen=True)
class BatchSettings(Section):
    """Batch span processor knobs; the defaults are the OpenTelemetry SDK's."""

    title = "Tracing batch export"

    max_queue_size: int = setting(
        2048,
        doc="Spans buffered before new ones are dropped.",
        min=1,
        env="OTEL_BSP_MAX_QUEUE_SIZE",
    )
    max_export_batch_size: int = setting(
        512,
        doc="Spans sent per export call; at most ``max_queue_size``.",
        min=1,
        env="OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    )
    schedule_delay_ms: int = setting(
        5000, doc="Delay between two exports, in ms.", min=1, env="OTEL_BSP_SCHEDULE_DELAY"
    )

    def validate(self) -> Iterable[tuple[str, str]]:
        if self.max_export_batch_size > self.max_queue_size:
            yield (
                "max_export_batch_size",
                f"{self.max_export_batch_size} is larger than max_queue_size "
                f"({self.max_queue_size})",
            )


@dataclasses.dataclass(frozen=True)
class TracingSettings(Section):
    """OpenTelemetry tracing, configured once per process by ``axiomod.tracing``."""

    title = "Tracing"
    key = "tracing"

    exporter: Literal["otlp", "otlp-http", "jaeger", "console", "none"] = setting(
        "none",
        doc=(
            "Where spans go: ``otlp`` (gRPC), ``otlp-http``, ``jaeger`` (OTLP to Jaeger's "
            "own OTLP port), ``console`` or ``none``."
        ),
        env="OTEL_TRACES_EXPORTER",
        env_parser=_exporter_from_env,
        go_key="observability.tracingExporterType",
    )
    endpoint: str | None = setting(
        None,
        doc="Collector URL; None uses the exporter's default (localhost:4317 / :4318).",
        env=("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        check=_endpoint,
        go_key="observability.tracingExporterURL",
    )
    sample_ratio: float = setting(
        1.0,
        doc=(
            "Share of new traces sampled (0 never, 1 always); callers' decisions are kept "
            "unless ``trust_parent_sampling`` is off."
        ),
        min=0.0,
        max=1.0,
        env=("OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"),
        env_parser=_ratio_from_env,
        go_key="observability.tracingSampleRatio",
    )
    trust_parent_sampling: bool = setting(
        True,
        doc=(
            "Follow a caller's sampled flag (``traceparent`` ``-01``/``-00``): right inside a "
            "trusted mesh. False for edge services: ``sample_ratio`` decides every trace, "
            "the caller's trace id is kept."
        ),
        env="OTEL_TRACES_SAMPLER",
        env_parser=_trust_from_env,
    )
    service_name: str | None = setting(
        None,
        doc="Overrides the top-level ``service_name`` on traces.",
        check=_service_name,
    )
    resource_attributes: dict[str, str] = setting(
        {},
        doc="Extra resource attributes, e.g. ``{'k8s.cluster.name': 'prod'}``.",
        env="OTEL_RESOURCE_ATTRIBUTES",
    )
    propagators: tuple[str, ...] = setting(
        ("tracecontext", "baggage"),
        doc="Context propagation formats, in order.",
        choices=_PROPAGATORS,
        env="OTEL_PROPAGATORS",
    )
    headers: dict[str, str] = setting(
        {},
        doc="Headers sent with every export (authenticated collectors).",
        env=("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"),
    )
    insecure: bool | None = setting(
        None,
        doc="Plain-text gRPC to the collector; None decides from the endpoint's scheme.",
        env=("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"),
    )
    timeout: float = setting(
        10.0, doc="Seconds allowed per export request.", min=0.0, min_exclusive=True
    )
    batch: BatchSettings = setting(BatchSettings(), doc="Batch span processor settings.")
    excluded_paths: tuple[str, ...] = setting(
        (),
        doc="URL paths never traced, in addition to the health and metrics endpoints.",
        check=lambda paths: next((_url_path(p) for p in paths if _url_path(p)), None),
    )
    trace_probes: bool = setting(
        False, doc="Also trace the health and metrics endpoints (off: probes are noise)."
    )
    request_hook: str | None = setting(
        None, doc="Dotted path of ``hook(span, request)``, called when a request span starts."
    )
    response_hook: str | None = setting(
        None,
        doc="Dotted path of ``hook(span, request, response)``, called before the span ends.",
    )
    instrument_requests: bool = setting(
        True, doc="Propagate the trace context on outgoing ``requests``/``httpx`` calls."
    )


@dataclasses.dataclass(frozen=True)
class DatabaseSettings(Section):
    """Instrumentation of Django's databases (the pool itself is set per alias)."""

    title = "Database"
    key = "db"

    slow_query_ms: float = setting(
        200.0,
        doc="Queries slower than this (ms) are logged on ``axiomod.db.slow``; 0 logs all.",
        min=0.0,
        go_key="database.slowQueryThreshold",
    )
    log_params: bool = setting(
        False, doc="Include query parameters in the slow-query log (they may hold personal data)."
    )
    slow_query_sample_rate: float = setting(
        1.0, doc="Share of slow queries that are logged.", min=0.0, max=1.0
    )
    query_metrics: bool = setting(True, doc="Record ``db_query_duration_seconds``.")
    query_spans: bool = setting(
        True,
        doc="With tracing on, make each query of a sampled request a child span "
        "(``db.*`` attributes, the text with its literals replaced by ``?``).",
    )
    replicas: tuple[str, ...] = setting(
        (),
        doc="``DATABASES`` aliases used for reads by ``axiomod.db.routers.PrimaryReplicaRouter``.",
    )


#: Where the alerts' ``runbook_url`` annotations point by default: the observability guide.
RUNBOOKS = "https://github.com/axiomod/axiomod-django/blob/main/docs/observability-guide.md"


@dataclasses.dataclass(frozen=True)
class ObservabilitySettings(Section):
    """The dashboards and alert rules the apps contribute (``manage.py axiomod_observability``)."""

    title = "Dashboards and alerts"
    key = "observability"

    parameters: dict[str, float] = setting(
        {},
        doc="Thresholds of the alert rules by parameter name (the SLO targets, lag and "
        "failure limits; each app's are listed in the observability guide). Checked by "
        "``manage.py check`` against the installed apps' parameters.",
    )
    runbook_url: str = setting(
        RUNBOOKS,
        doc="Page the alerts' ``runbook_url`` annotations point at (``<url>#<alert's "
        "section>``): the observability guide, or a team's own copy of it.",
        check=_endpoint,
    )


def _package(value: str) -> str | None:
    if value and not all(part.isidentifier() for part in value.split(".")):
        return f"{value!r} must be a dotted Python package path (or empty for top-level apps)"
    return None


@dataclasses.dataclass(frozen=True)
class ScaffoldSettings(Section):
    """Where ``axiomod generate`` writes modules and which templates it renders."""

    title = "Code generation"
    key = "scaffold"

    package: str | None = setting(
        None,
        doc="Dotted package new modules go in; None means the package of the settings "
        "module (``example`` for ``example.settings``), empty means top-level apps.",
        check=_package,
    )
    templates_dir: str | None = setting(
        None,
        doc="Directory of the project's template overrides, relative to ``BASE_DIR``; "
        "None means ``templates/axiomod/scaffold`` when it exists.",
    )
