"""Readiness on the components dashboard, and the alert when a check keeps failing.

From :mod:`axiomod_health.metrics`: ``health_check_status{check}`` (1 passed, 0 failed,
set each time the readiness checks run) and ``health_check_duration_seconds{check}``
(a histogram with ``AXIOMOD["metrics"]["buckets"]``).
"""

from __future__ import annotations

from collections.abc import Iterator

from axiomod.observability import (
    RATE,
    Alert,
    Monitoring,
    Panel,
    Parameter,
    Params,
    Query,
    Row,
    RuleGroup,
    minutes,
    selector,
)

PARAMETERS = (
    Parameter(
        "health_check_failing_minutes",
        5,
        "Minutes a readiness check must keep failing on an instance before "
        "ReadinessCheckFailing fires.",
        min=1,
        max=1440,
    ),
)


def rows(params: Params) -> Iterator[Row]:
    yield Row(
        "Readiness",
        (
            Panel(
                "Check status",
                (
                    Query(
                        f"min by (instance, check) (health_check_status{selector()})",
                        "{{instance}} {{check}}",
                    ),
                ),
                description="1 when the check passed its last run, 0 when it failed; "
                "updated each time the readiness endpoint runs the checks (at most once "
                "per AXIOMOD health.cache_ttl).",
            ),
            Panel(
                "Check duration p95",
                (
                    Query(
                        f"histogram_quantile(0.95, sum by (check, le) "
                        f"(rate(health_check_duration_seconds_bucket{selector()}{RATE})))",
                        "{{check}}",
                    ),
                ),
                unit="s",
                description="A check close to AXIOMOD health.check_timeout is about to "
                "fail by timing out.",
            ),
            Panel(
                "Check runs",
                (
                    Query(
                        f"sum by (check) "
                        f"(rate(health_check_duration_seconds_count{selector()}{RATE}))",
                        "{{check}}",
                    ),
                ),
                unit="ops",
                description="How often the probes run the checks (the cache answers the others).",
            ),
        ),
    )


def rules(params: Params) -> Iterator[RuleGroup]:
    yield RuleGroup(
        "axiomod-health",
        (
            Alert(
                "ReadinessCheckFailing",
                "min by (job, instance, check) (health_check_status) < 1",
                summary="Readiness check {{ $labels.check }} fails on {{ $labels.instance }}",
                description="The readiness check {{ $labels.check }} of "
                "{{ $labels.instance }} ({{ $labels.job }}) has failed for "
                f"{minutes(params['health_check_failing_minutes'])}: if it is critical the "
                "instance answers its readiness probe 503 and receives no traffic, "
                "otherwise it reports DEGRADED.",
                runbook="readiness-check-failing",
                for_=minutes(params["health_check_failing_minutes"]),
                severity="page",
            ),
        ),
    )


AXIOMOD_MONITORING = Monitoring("Readiness", parameters=PARAMETERS, rows=rows, rules=rules)
