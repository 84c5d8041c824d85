"""Per-query instrumentation: slow-query log, query metrics, pool gauges, query spans.

Installed on every new connection (``connection_created``) as a permanent Django
``execute_wrapper``: no ENGINE swap, no ``DEBUG=True``, works on every backend.
django-prometheus' ``django_prometheus.db`` backends were looked at: they need a
different ENGINE per database and record only counters, no durations or slow queries.

The metrics are :mod:`axiomod.instruments`: recorded when a backend (``axiomod_metrics``)
is set. Without one a connection's wrapper skips measuring altogether. Inside a sampled
span each query also gets a CLIENT span of its own (:mod:`axiomod.db.spans`); otherwise
the wrapper only asks whether the current span records.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from typing import Any

from django.db.backends.signals import connection_created

from axiomod import instruments
from axiomod.conf import settings

from .spans import QuerySpans, recording

__all__ = ["QueryInstrument", "install"]

slow_logger = logging.getLogger("axiomod.db.slow")

_OPERATIONS = {"select": "select", "insert": "insert", "update": "update", "delete": "delete"}
#: Modules of library code; the slow-query log names the first frame outside them.
_LIBRARY_MODULES = (
    "django.", "axiomod.", "axiomod_", "psycopg", "pymysql", "MySQLdb", "sqlite3",
    "contextlib", "concurrent.", "asyncio.", "asgiref.", "threading", "importlib",
)  # fmt: skip
#: Buckets for queries: most take well under the 5 ms where HTTP buckets start.
QUERY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

QUERY_DURATION = instruments.histogram(
    "db_query_duration_seconds",
    "Time spent in database queries.",
    ["alias", "operation", "status"],
    buckets=QUERY_BUCKETS,
)
SLOW_QUERIES = instruments.counter(
    "db_slow_queries_total", "Queries slower than slow_query_ms.", ["alias"]
)
POOL_CONNECTIONS = instruments.gauge(
    "db_pool_connections",
    "Connections of the psycopg pool: size, available, waiting.",
    ["alias", "state"],
    multiprocess_mode="livesum",
)


def operation_of(sql: str) -> str:
    head = sql.lstrip()[:6].lower()
    return _OPERATIONS.get(head, "other")


def calling_frame() -> str:
    """``path:line in function`` of the application code that issued the query."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        module = frame.f_globals.get("__name__", "")
        # `python -c` code is "__main__" in "<string>": no place to point at.
        application = (
            not code.co_filename.startswith("<")
            if module == "__main__"
            else not module.startswith(_LIBRARY_MODULES)
        )
        if application:
            return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back
    return "unknown"


def _never() -> bool:
    return False


class QueryInstrument:
    """The wrapper Django calls around every query of one connection."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        conf = settings.db
        self.slow_seconds = conf.slow_query_ms / 1000.0
        self.sample_rate = conf.slow_query_sample_rate
        self.log_params = conf.log_params
        self.metrics = conf.query_metrics and instruments.has_backend()
        self._children: dict[tuple[str, str], Any] = {}
        self._pool_checked = 0.0
        self._spans = QuerySpans(_tracer)
        # AXIOMOD["db"]["query_spans"] off: the check that never records, decided once.
        self._recording = recording if conf.query_spans else _never

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        span = self._spans.start(sql, params, many, context) if self._recording() else None
        start = time.perf_counter()
        status = "success"
        try:
            return execute(sql, params, many, context)
        except BaseException as error:
            status = "error"
            if span is not None:
                QuerySpans.fail(span, error)
            raise
        finally:
            elapsed = time.perf_counter() - start
            if span is not None:
                span.end()
            if self.metrics:
                self._record(sql, status, elapsed, context)
            if elapsed >= self.slow_seconds:
                self._slow(sql, params, elapsed)

    def _record(self, sql: str, status: str, elapsed: float, context: Any) -> None:
        operation = operation_of(sql)
        child = self._children.get((operation, status))
        if child is None:
            child = self._children[(operation, status)] = QUERY_DURATION.labels(
                self.alias, operation, status
            )
        child.observe(elapsed)
        now = time.monotonic()
        if now - self._pool_checked >= 1.0:  # pool gauges: at most once a second
            self._pool_checked = now
            _record_pool(self.alias, context)

    def _slow(self, sql: str, params: Any, elapsed: float) -> None:
        if self.metrics:
            SLOW_QUERIES.labels(self.alias).inc()
        if self.sample_rate < 1.0 and random.random() >= self.sample_rate:
            return
        slow_logger.warning(
            "slow query: %.1f ms on %s at %s: %s%s",
            elapsed * 1000,
            self.alias,
            calling_frame(),
            sql,
            f" params={params!r}" if self.log_params else " params=[redacted]",
            extra={
                "duration_ms": round(elapsed * 1000, 3),
                "alias": self.alias,
                "sql": sql,
            },
        )


def _tracer() -> Any:
    """axiomod's tracer, None when tracing is off. Imported on first use: only a query
    inside a recording span needs it, and the db layer stays importable on its own."""
    from axiomod.tracing import tracer

    return tracer()


def _record_pool(alias: str, context: Any) -> None:
    connection = context.get("connection") if isinstance(context, dict) else None
    pool = getattr(connection, "pool", None) if connection is not None else None
    if pool is None:
        return
    stats = pool.get_stats()
    gauge = POOL_CONNECTIONS
    gauge.labels(alias, "size").set(stats.get("pool_size", 0))
    gauge.labels(alias, "available").set(stats.get("pool_available", 0))
    gauge.labels(alias, "waiting").set(stats.get("requests_waiting", 0))


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if any(isinstance(w, QueryInstrument) for w in connection.execute_wrappers):
        return
    connection.execute_wrappers.append(QueryInstrument(connection.alias))


def install() -> None:
    from .outage import install_log_throttle

    connection_created.connect(_on_connection_created, dispatch_uid="axiomod.db.instrument")
    install_log_throttle()  # psycopg_pool's "error connecting" lines: one per interval
