"""The database layer's panels and alerts (the kernel's contribution, always first).

From :mod:`axiomod.db.instrumentation`: ``db_query_duration_seconds{alias,operation,status}``
(a histogram with the query buckets, 0.5 ms to 10 s), ``db_slow_queries_total{alias}`` and
``db_pool_connections{alias,state}`` (``size``/``available``/``waiting`` of the psycopg
pool, a ``livesum`` gauge: the workers' pools added up).
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

QUERIES = "db_query_duration_seconds"
ERROR = 'status="error"'

PARAMETERS = (
    Parameter(
        "db_slow_queries_per_second",
        0.05,
        "Slow queries per second (over 5 minutes, per instance and alias) above which "
        "DatabaseSlowQueries fires; slow means longer than AXIOMOD db.slow_query_ms.",
        min=0,
    ),
    Parameter(
        "db_pool_waiting",
        0,
        "Requests waiting for a pooled connection (summed over an instance's workers) "
        "above which DatabasePoolExhausted counts the pool as exhausted.",
        min=0,
    ),
    Parameter(
        "db_pool_exhausted_minutes",
        5,
        "Minutes the pool stays exhausted before DatabasePoolExhausted fires.",
        min=1,
        max=1440,
    ),
)


def rows(params: Params) -> Iterator[Row]:
    quantiles = tuple(
        Query(
            f"histogram_quantile({q}, sum by (alias, le) "
            f"(rate({QUERIES}_bucket{selector()}{RATE})))",
            f"p{round(q * 100)} {{{{alias}}}}",
        )
        for q in (0.5, 0.95, 0.99)
    )
    yield Row(
        "Database",
        (
            Panel(
                "Query latency p50 / p95 / p99",
                quantiles,
                unit="s",
                description="Time in database queries per DATABASES alias, from the "
                "query buckets (0.5 ms to 10 s).",
            ),
            Panel(
                "Queries by operation and status",
                (
                    Query(
                        f"sum by (alias, operation, status) "
                        f"(rate({QUERIES}_count{selector()}{RATE}))",
                        "{{alias}} {{operation}} {{status}}",
                    ),
                ),
                unit="ops",
            ),
            Panel(
                "Query errors",
                (
                    Query(
                        f"sum by (alias, operation) (rate({QUERIES}_count{selector(ERROR)}{RATE}))",
                        "{{alias}} {{operation}}",
                    ),
                ),
                unit="ops",
                quiet="A query that raised (a constraint violation, a lost connection, "
                "a statement timeout).",
            ),
            Panel(
                "Slow queries",
                (
                    Query(
                        f"sum by (alias) (rate(db_slow_queries_total{selector()}{RATE}))",
                        "{{alias}}",
                    ),
                ),
                unit="ops",
                description="Queries longer than AXIOMOD db.slow_query_ms; each is "
                "logged by axiomod.db.slow with the code that issued it. "
                f"DatabaseSlowQueries fires above {params['db_slow_queries_per_second']}/s.",
                quiet="A query slower than AXIOMOD db.slow_query_ms (200 ms by default).",
            ),
            Panel(
                "Connection pool",
                (
                    Query(
                        f"sum by (alias, state) (db_pool_connections{selector()})",
                        "{{alias}} {{state}}",
                    ),
                ),
                description="psycopg pool of each alias, summed over the instance's "
                "workers: size, available (idle) connections and requests waiting for "
                "one. Refreshed at most once a second, when a query runs.",
                quiet="Only PostgreSQL with Django's native psycopg pool "
                '(DATABASES OPTIONS "pool") reports it.',
            ),
        ),
    )


def rules(params: Params) -> Iterator[RuleGroup]:
    by = "job, instance, alias"
    yield RuleGroup(
        "axiomod-db",
        (
            Alert(
                "DatabaseSlowQueries",
                f"sum by ({by}) (rate(db_slow_queries_total[5m])) "
                f"> {params['db_slow_queries_per_second']}",
                summary="Slow queries on {{ $labels.alias }} of {{ $labels.instance }}",
                description="{{ $labels.instance }} ({{ $labels.job }}) runs "
                "{{ $value | humanize }} slow queries per second on database "
                "{{ $labels.alias }}; the axiomod.db.slow log names each one and "
                "the code that issued it.",
                runbook="database-slow-queries",
                for_="10m",
                severity="ticket",
            ),
            Alert(
                "DatabasePoolExhausted",
                f'sum by ({by}) (db_pool_connections{{state="waiting"}}) '
                f"> {params['db_pool_waiting']}",
                summary="Connection pool of {{ $labels.alias }} exhausted on "
                "{{ $labels.instance }}",
                description="{{ $value }} requests of {{ $labels.instance }} "
                "({{ $labels.job }}) wait for a connection of {{ $labels.alias }}'s "
                "psycopg pool: every pooled connection is in use.",
                runbook="database-pool-exhausted",
                for_=minutes(params["db_pool_exhausted_minutes"]),
                severity="ticket",
            ),
        ),
    )


AXIOMOD_MONITORING = Monitoring("Database", parameters=PARAMETERS, rows=rows, rules=rules)
