"""Celery jobs on the components dashboard, and the alert when they fail.

From :mod:`axiomod_jobs.metrics`: ``jobs_processed_total{job,status}`` (``success``,
``failure``, ``retry``), ``job_duration_seconds{job}`` (``AXIOMOD["metrics"]["buckets"]``)
and ``jobs_in_progress{job}``. Their ``job`` label (the task name) collides with the
target label Prometheus adds to every scraped series, so Prometheus stores it as
``exported_job`` (unless the scrape sets ``honor_labels: true``, which would lose the
scrape job): every query here groups by ``exported_job``.

Queue depth is not a metric: the workers record what they run, and Celery's Redis
broker tells them nothing of the messages waiting (an exporter of the broker's list
lengths, such as redis_exporter's ``check-keys``, can).
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
    selector,
)

PROCESSED = "jobs_processed_total"
FAILURE = 'status="failure"'
RETRY = 'status="retry"'
FINISHED = 'status=~"success|failure"'

PARAMETERS = (
    Parameter(
        "jobs_failure_ratio",
        0.1,
        "Share of a job's finished runs (success or failure, over 15 minutes) that failed "
        "above which JobsFailing fires.",
        min=0,
        max=1,
    ),
)


def rows(params: Params) -> Iterator[Row]:
    quiet = "A Celery worker of the service running jobs."
    yield Row(
        "Jobs",
        (
            Panel(
                "Runs by outcome",
                (
                    Query(
                        f"sum by (exported_job, status) (rate({PROCESSED}{selector()}{RATE}))",
                        "{{exported_job}} {{status}}",
                    ),
                ),
                unit="ops",
                description="Runs that succeeded, failed (raised and not retried, or "
                "killed by the time limit) or raised and were queued again (retry).",
                quiet=quiet,
            ),
            Panel(
                "Failures",
                (
                    Query(
                        f"sum by (exported_job) (increase({PROCESSED}{selector(FAILURE)}{RATE}))",
                        "{{exported_job}}",
                    ),
                ),
                description=f"JobsFailing fires when more than {params['jobs_failure_ratio']} "
                "of a job's finished runs fail over 15 minutes.",
                quiet="A job that raised and was not retried, or hit its time limit.",
            ),
            Panel(
                "Retries",
                (
                    Query(
                        f"sum by (exported_job) (increase({PROCESSED}{selector(RETRY)}{RATE}))",
                        "{{exported_job}}",
                    ),
                ),
                quiet="A job that raised and was queued again.",
            ),
            Panel(
                "In progress",
                (
                    Query(
                        f"sum by (exported_job) (jobs_in_progress{selector()})",
                        "{{exported_job}}",
                    ),
                ),
                description="Jobs running now, over every worker child. The depth of "
                "the queue is not a metric: the workers see only what they run (an "
                "exporter of the broker's list lengths can show it).",
                quiet=quiet,
            ),
            Panel(
                "Duration p50 / p95 / p99",
                tuple(
                    Query(
                        f"histogram_quantile({q}, sum by (exported_job, le) "
                        f"(rate(job_duration_seconds_bucket{selector()}{RATE})))",
                        f"p{round(q * 100)} {{{{exported_job}}}}",
                    )
                    for q in (0.5, 0.95, 0.99)
                ),
                unit="s",
                description="Time in the job's function, whatever the outcome.",
                quiet=quiet,
            ),
        ),
    )


def rules(params: Params) -> Iterator[RuleGroup]:
    by = "job, exported_job"
    yield RuleGroup(
        "axiomod-jobs",
        (
            Alert(
                "JobsFailing",
                f"sum by ({by}) (rate({PROCESSED}{{{FAILURE}}}[15m]))\n"
                f"/ sum by ({by}) (rate({PROCESSED}{{{FINISHED}}}[15m]))\n"
                f"> {params['jobs_failure_ratio']}",
                summary="Job {{ $labels.exported_job }} fails "
                "{{ $value | humanizePercentage }} of its runs",
                description="Over the last 15 minutes {{ $value | humanizePercentage }} of "
                "the finished runs of {{ $labels.exported_job }} on the workers of "
                "{{ $labels.job }} failed (threshold "
                f"{params['jobs_failure_ratio']}); the workers' logs have each traceback.",
                runbook="jobs-failing",
                for_="5m",
                severity="ticket",
            ),
        ),
    )


AXIOMOD_MONITORING = Monitoring("Jobs", parameters=PARAMETERS, rows=rows, rules=rules)
