"""The overview dashboard: HTTP and gRPC traffic, the service-level objectives, the processes.

Series (:mod:`axiomod_metrics.metrics`): ``http_requests_total`` and
``http_request_duration_seconds`` with ``method``, ``path`` (the route template) and
``status``; ``grpc_requests_total`` and ``grpc_request_duration_seconds`` with
``service``, ``method`` and ``status`` (the code name); the ``process_*`` and
``python_gc_*`` families of prometheus_client's collectors (under
``PROMETHEUS_MULTIPROC_DIR`` one series per live worker, with a ``pid`` label: every
panel here sums or takes the maximum over it, so it reads the same either way).

Recording rules. The per-route latency panels are the heavy queries (every bucket of
every route and status): ``instance_method_path_le:http_request_duration_seconds_bucket:rate5m``
and its gRPC twin keep the bucket rates per route, and the panels take their quantiles.
The SLO alerts read the error ratios of each window of the SRE workbook's multi-window,
multi-burn-rate alerts (chapter 5, "Alerting on SLOs"): ``job:http_requests_errors:ratio_rate<w>``
(answered 5xx) and ``job:http_requests_slow:ratio_rate<w>`` (slower than
``http_latency_slo_seconds``), ``<w>`` in 5m, 30m, 1h, 2h, 6h, 1d, 3d.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from django.core.exceptions import ImproperlyConfigured

from axiomod.observability import (
    RATE,
    Alert,
    Monitoring,
    Panel,
    Parameter,
    Params,
    Query,
    Recording,
    Row,
    RuleGroup,
    selector,
)

HTTP = "http_requests_total"
HTTP_SECONDS = "http_request_duration_seconds"
GRPC = "grpc_requests_total"
GRPC_SECONDS = "grpc_request_duration_seconds"

#: Recorded per-route rates (5 minutes) and bucket rates: what the latency panels read.
HTTP_RATE = "instance_method_path_status:http_requests:rate5m"
HTTP_BUCKETS = "instance_method_path_le:http_request_duration_seconds_bucket:rate5m"
GRPC_RATE = "instance_service_method_status:grpc_requests:rate5m"
GRPC_BUCKETS = "instance_service_method_le:grpc_request_duration_seconds_bucket:rate5m"

SERVER_ERROR = 'status=~"5.."'
CLIENT_ERROR = 'status=~"4.."'
NOT_OK = 'status!="OK"'
#: gRPC codes that say the server failed (the others are the caller's doing).
GRPC_SERVER_CODES = "UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED"
GRPC_FAILED = f'status=~"{GRPC_SERVER_CODES}"'

#: The SRE workbook's burn rates: (severity, factor, long window, short window).
BURN_RATES = (
    ("page", 14.4, "1h", "5m"),
    ("page", 6, "6h", "30m"),
    ("ticket", 3, "1d", "2h"),
    ("ticket", 1, "3d", "6h"),
)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
QUANTILES = (0.5, 0.95, 0.99)


def _buckets() -> tuple[float, ...]:
    """``AXIOMOD["metrics"]["buckets"]``, or the defaults where the settings can't be read."""
    try:
        from axiomod.conf import settings

        return tuple(settings.metrics.buckets)
    except ImproperlyConfigured:  # no Django settings (axiomod new) or invalid ones
        from .conf import DEFAULT_BUCKETS

        return DEFAULT_BUCKETS


def _a_bucket_bound(value: float) -> str | None:
    buckets = _buckets()
    if any(float(value) == float(bound) for bound in buckets):
        return None
    return (
        f"{value!r} is not a bound of AXIOMOD metrics.buckets {list(buckets)}: the "
        "latency SLO counts the requests of the bucket at that bound"
    )


PARAMETERS = (
    Parameter(
        "http_5xx_ratio",
        0.05,
        "Share of an instance's HTTP requests answered 5xx (over 5 minutes) above which "
        "HttpErrorRatioHigh fires.",
        min=0,
        max=1,
    ),
    Parameter(
        "grpc_error_ratio",
        0.05,
        "Share of an instance's gRPC calls ended with a server-side code "
        f"({GRPC_SERVER_CODES.replace('|', ', ')}) over 5 minutes above which "
        "GrpcErrorRatioHigh fires.",
        min=0,
        max=1,
    ),
    Parameter(
        "http_availability_slo",
        0.999,
        "Availability objective: the share of HTTP requests not answered 5xx. Its error "
        "budget (1 - objective) sets the HttpAvailabilityBudgetBurn alerts' thresholds.",
        min=0.5,
        max=0.99999,
    ),
    Parameter(
        "http_latency_slo",
        0.99,
        "Latency objective: the share of HTTP requests served within "
        "http_latency_slo_seconds. Its error budget sets the HttpLatencyBudgetBurn "
        "alerts' thresholds.",
        min=0.5,
        max=0.99999,
    ),
    Parameter(
        "http_latency_slo_seconds",
        0.25,
        "Duration (seconds) a request must be served within to count as fast for the "
        "latency objective. It must be one of the bounds of AXIOMOD metrics.buckets (the "
        "rules count the requests of that bucket): a value set here is checked against "
        "them; if you change the buckets, keep this default (0.25) among them or set "
        "this parameter too.",
        min=0,
        check=_a_bucket_bound,
    ),
)


def le(seconds: float) -> str:
    """The ``le`` matcher of the bucket bounded by ``seconds``, as prometheus_client writes
    it (``0.25``, ``1.0``) and as Prometheus 3 normalises whole numbers (``1``)."""
    from prometheus_client.utils import floatToGoString

    text = floatToGoString(float(seconds))
    if float(seconds).is_integer():
        whole = text.removesuffix(".0")
        return f'le=~"{whole}(\\\\.0)?"'
    return f'le="{text}"'


def _quantiles(buckets: str, by: str, legend: str) -> tuple[Query, ...]:
    return tuple(
        Query(
            f"histogram_quantile({q}, sum by ({by}, le) ({buckets}{selector()}))",
            f"p{round(q * 100)} {legend}",
        )
        for q in QUANTILES
    )


def _per_route(buckets: str, by: str, legend: str, what: str) -> Iterator[Panel]:
    for q in QUANTILES:
        yield Panel(
            f"Latency p{round(q * 100)} by {what}",
            (
                Query(
                    f"histogram_quantile({q}, sum by ({by}, le) ({buckets}{selector()}))",
                    legend,
                ),
            ),
            unit="s",
            description=f"From the recording rule {buckets} (bucket rates over 5 minutes): "
            "load the rule file for these panels to show data.",
        )


def http_row(params: Params) -> Row:
    slow = le(params["http_latency_slo_seconds"])
    budget_a = f"(1 - {params['http_availability_slo']})"
    budget_l = f"(1 - {params['http_latency_slo']})"
    everything = f"sum(rate({HTTP}{selector()}{RATE}))"
    return Row(
        "HTTP",
        (
            Panel(
                "Requests by route",
                (
                    Query(
                        f"sum by (method, path) (rate({HTTP}{selector()}{RATE}))",
                        "{{method}} {{path}}",
                    ),
                ),
                unit="reqps",
            ),
            Panel(
                "Responses by status",
                (Query(f"sum by (status) (rate({HTTP}{selector()}{RATE}))", "{{status}}"),),
                unit="reqps",
            ),
            Panel(
                "Error ratio",
                (
                    Query(
                        f"(sum(rate({HTTP}{selector(SERVER_ERROR)}{RATE})) or vector(0)) "
                        f"/ {everything}",
                        "5xx",
                    ),
                    Query(
                        f"(sum(rate({HTTP}{selector(CLIENT_ERROR)}{RATE})) or vector(0)) "
                        f"/ {everything}",
                        "4xx",
                    ),
                ),
                unit="percentunit",
                description="Share of requests answered 5xx (the service failed) and 4xx "
                f"(the caller did). HttpErrorRatioHigh fires above {params['http_5xx_ratio']}.",
            ),
            Panel(
                "5xx by route",
                (
                    Query(
                        f"sum by (method, path, status) "
                        f"(rate({HTTP}{selector(SERVER_ERROR)}{RATE}))",
                        "{{method}} {{path}} {{status}}",
                    ),
                ),
                unit="reqps",
                quiet="A request answered 5xx (an unhandled exception, a database outage).",
            ),
            Panel(
                "4xx by route",
                (
                    Query(
                        f"sum by (method, path, status) "
                        f"(rate({HTTP}{selector(CLIENT_ERROR)}{RATE}))",
                        "{{method}} {{path}} {{status}}",
                    ),
                ),
                unit="reqps",
                quiet="A request answered 4xx (not found, a rejected token, invalid input).",
            ),
            Panel(
                "Latency p50 / p95 / p99",
                _quantiles(HTTP_BUCKETS, "job", "{{job}}"),
                unit="s",
                description=f"All routes together, from the recording rule {HTTP_BUCKETS}.",
            ),
            *_per_route(HTTP_BUCKETS, "method, path", "{{method}} {{path}}", "route"),
            Panel(
                "Error budget burn rate",
                (
                    Query(
                        f"((sum(rate({HTTP}{selector(SERVER_ERROR)}{RATE})) or vector(0)) "
                        f"/ {everything}) / {budget_a}",
                        "availability",
                    ),
                    Query(
                        f"(1 - sum(rate({HTTP_SECONDS}_bucket{selector(slow)}{RATE})) "
                        f"/ sum(rate({HTTP_SECONDS}_count{selector()}{RATE}))) / {budget_l}",
                        "latency",
                    ),
                ),
                description="How many times faster than the objectives allow the error "
                f"budgets are spent (availability {params['http_availability_slo']}, "
                f"latency {params['http_latency_slo']} within "
                f"{params['http_latency_slo_seconds']} s). 1 spends the budget exactly "
                "over the SLO period; the burn-rate alerts page at 14.4 (1 h) and 6 (6 h) "
                "and open tickets at 3 (1 d) and 1 (3 d).",
            ),
        ),
        dashboard="overview",
    )


def grpc_row(params: Params) -> Row:
    quiet = "Only a service that serves gRPC (axiomod_grpc) with metrics on records it."
    return Row(
        "gRPC",
        (
            Panel(
                "Calls by method",
                (
                    Query(
                        f"sum by (service, method) (rate({GRPC}{selector()}{RATE}))",
                        "{{service}}/{{method}}",
                    ),
                ),
                unit="reqps",
                quiet=quiet,
            ),
            Panel(
                "Calls by code",
                (Query(f"sum by (status) (rate({GRPC}{selector()}{RATE}))", "{{status}}"),),
                unit="reqps",
                quiet=quiet,
            ),
            Panel(
                "Errors by method and code",
                (
                    Query(
                        f"sum by (service, method, status) (rate({GRPC}{selector(NOT_OK)}{RATE}))",
                        "{{service}}/{{method}} {{status}}",
                    ),
                ),
                unit="reqps",
                description=f"Every code but OK; {GRPC_SERVER_CODES.replace('|', ', ')} "
                "count as the server's failures in GrpcErrorRatioHigh.",
                quiet="A gRPC call that ended with a code other than OK.",
            ),
            Panel(
                "Latency p50 / p95 / p99",
                _quantiles(GRPC_BUCKETS, "job", "{{job}}"),
                unit="s",
                description=f"All methods together, from the recording rule {GRPC_BUCKETS}.",
                quiet=quiet,
            ),
            *(
                dataclasses.replace(panel, quiet=quiet)
                for panel in _per_route(
                    GRPC_BUCKETS, "service, method", "{{service}}/{{method}}", "method"
                )
            ),
        ),
        dashboard="overview",
    )


def process_row(params: Params) -> Row:
    by = "sum by (job, instance)"
    workers = (
        "Summed over the instance's processes (one series per live worker under "
        "PROMETHEUS_MULTIPROC_DIR, told apart by pid)."
    )
    return Row(
        "Process",
        (
            Panel(
                "CPU",
                (
                    Query(
                        f"{by} (rate(process_cpu_seconds_total{selector()}{RATE}))",
                        "{{instance}}",
                    ),
                ),
                unit="short",
                description="CPU seconds per second (cores in use). " + workers,
            ),
            Panel(
                "Resident memory",
                (
                    Query(f"{by} (process_resident_memory_bytes{selector()})", "{{instance}}"),
                    Query(
                        f"max by (job, instance) (process_resident_memory_bytes{selector()})",
                        "{{instance}} largest process",
                    ),
                ),
                unit="bytes",
                description=workers + " A worker that keeps growing is a leak.",
            ),
            Panel(
                "Open file descriptors",
                (
                    Query(f"{by} (process_open_fds{selector()})", "{{instance}}"),
                    Query(
                        f"max by (job, instance) (process_open_fds{selector()} "
                        f"/ process_max_fds{selector()})",
                        "{{instance}} fullest process (share of its limit)",
                    ),
                ),
                description=workers,
            ),
            Panel(
                "Garbage collections",
                (
                    Query(
                        f"sum by (job, instance, generation) "
                        f"(rate(python_gc_collections_total{selector()}{RATE}))",
                        "{{instance}} generation {{generation}}",
                    ),
                ),
                unit="ops",
                description="Collections per second by generation: a storm of generation 2 "
                "collections costs CPU on every worker. " + workers,
            ),
            Panel(
                "Time in garbage collection",
                (
                    Query(
                        f"sum by (job, instance, generation) "
                        f"(rate(python_gc_pause_seconds_total{selector()}{RATE}))",
                        "{{instance}} generation {{generation}}",
                    ),
                ),
                unit="s",
                description="Seconds spent collecting per second, by generation, summed "
                "over the instance's processes: the share of time the workers stood still.",
                quiet="Only under PROMETHEUS_MULTIPROC_DIR (gunicorn, Celery prefork), where "
                "axiomod_metrics times each collection; prometheus_client's own GC "
                "collector has no pause figure.",
            ),
            Panel(
                "Processes",
                (
                    Query(
                        f"count by (job, instance) (process_start_time_seconds{selector()})",
                        "{{instance}}",
                    ),
                ),
                description="Processes reporting: the live workers under "
                "PROMETHEUS_MULTIPROC_DIR, 1 otherwise.",
            ),
        ),
        dashboard="overview",
    )


def rows(params: Params) -> Iterator[Row]:
    yield http_row(params)
    yield grpc_row(params)
    yield process_row(params)


def _recordings() -> RuleGroup:
    return RuleGroup(
        "axiomod-metrics-recording",
        (
            Recording(
                HTTP_RATE,
                f"sum by (job, instance, method, path, status) (rate({HTTP}[5m]))",
            ),
            Recording(
                HTTP_BUCKETS,
                f"sum by (job, instance, method, path, le) (rate({HTTP_SECONDS}_bucket[5m]))",
            ),
            Recording(
                GRPC_RATE,
                f"sum by (job, instance, service, method, status) (rate({GRPC}[5m]))",
            ),
            Recording(
                GRPC_BUCKETS,
                f"sum by (job, instance, service, method, le) (rate({GRPC_SECONDS}_bucket[5m]))",
            ),
        ),
    )


def _ratio_alerts(params: Params) -> RuleGroup:
    return RuleGroup(
        "axiomod-metrics-errors",
        (
            Alert(
                "HttpErrorRatioHigh",
                f"sum by (job, instance) (rate({HTTP}{{{SERVER_ERROR}}}[5m])) "
                f"/ sum by (job, instance) (rate({HTTP}[5m])) > {params['http_5xx_ratio']}",
                summary="{{ $labels.instance }} answers {{ $value | humanizePercentage }} "
                "of its HTTP requests 5xx",
                description="Over the last 5 minutes {{ $value | humanizePercentage }} of "
                "the HTTP requests served by {{ $labels.instance }} ({{ $labels.job }}) "
                f"were answered 5xx (threshold {params['http_5xx_ratio']}).",
                runbook="http-5xx-ratio",
                for_="5m",
                severity="ticket",
            ),
            Alert(
                "GrpcErrorRatioHigh",
                f"sum by (job, instance) (rate({GRPC}{{{GRPC_FAILED}}}[5m])) "
                f"/ sum by (job, instance) (rate({GRPC}[5m])) > {params['grpc_error_ratio']}",
                summary="{{ $labels.instance }} fails {{ $value | humanizePercentage }} "
                "of its gRPC calls",
                description="Over the last 5 minutes {{ $value | humanizePercentage }} of "
                "the gRPC calls served by {{ $labels.instance }} ({{ $labels.job }}) ended "
                f"with {GRPC_SERVER_CODES.replace('|', ', ')} "
                f"(threshold {params['grpc_error_ratio']}).",
                runbook="grpc-error-ratio",
                for_="5m",
                severity="ticket",
            ),
        ),
    )


def _burn_alerts(
    name: str, ratio: str, objective: float, what: str, runbook: str
) -> Iterator[Alert]:
    budget = f"(1 - {objective})"
    for severity, speed in (("page", "Fast"), ("ticket", "Slow")):
        windows = [b for b in BURN_RATES if b[0] == severity]
        expr = "\nor\n".join(
            f"({ratio}{long} > {factor} * {budget} and {ratio}{short} > {factor} * {budget})"
            for _, factor, long, short in windows
        )
        spans = " or ".join(
            f"{factor} times over {long} and {short}" for _, factor, long, short in windows
        )
        lasts = " to ".join(f"{30 / factor:.0f}" for _, factor, _, _ in windows)
        yield Alert(
            f"{name}{speed}",
            expr,
            summary=f"{{{{ $labels.job }}}} spends its {what} error budget too fast",
            description=f"{{{{ $labels.job }}}} misses its {what} objective ({objective}) "
            f"for {{{{ $value | humanizePercentage }}}} of its requests: the error budget "
            f"burns at more than {spans} the rate the objective allows. At this pace a "
            f"30-day budget lasts {lasts} days.",
            runbook=runbook,
            for_="2m" if severity == "page" else "15m",
            severity=severity,  # type: ignore[arg-type]
        )


def _slo(params: Params) -> RuleGroup:
    slow = le(params["http_latency_slo_seconds"])
    recordings = []
    for window in WINDOWS:
        recordings.append(
            Recording(
                f"job:http_requests_errors:ratio_rate{window}",
                f"sum by (job) (rate({HTTP}{{{SERVER_ERROR}}}[{window}])) "
                f"/ sum by (job) (rate({HTTP}[{window}]))",
            )
        )
        recordings.append(
            Recording(
                f"job:http_requests_slow:ratio_rate{window}",
                f"1 - sum by (job) (rate({HTTP_SECONDS}_bucket{{{slow}}}[{window}])) "
                f"/ sum by (job) (rate({HTTP_SECONDS}_count[{window}]))",
            )
        )
    return RuleGroup(
        "axiomod-metrics-slo",
        (
            *recordings,
            *_burn_alerts(
                "HttpAvailabilityBudgetBurn",
                "job:http_requests_errors:ratio_rate",
                params["http_availability_slo"],
                "availability",
                "http-availability-error-budget-burn",
            ),
            *_burn_alerts(
                "HttpLatencyBudgetBurn",
                "job:http_requests_slow:ratio_rate",
                params["http_latency_slo"],
                f"latency (within {params['http_latency_slo_seconds']} s)",
                "http-latency-error-budget-burn",
            ),
        ),
    )


def rules(params: Params) -> Iterator[RuleGroup]:
    yield _recordings()
    yield _ratio_alerts(params)
    yield _slo(params)


AXIOMOD_MONITORING = Monitoring(
    "HTTP, gRPC and processes", parameters=PARAMETERS, rows=rows, rules=rules
)
