"""Dashboards and alert rules, contributed by each app and assembled by the kernel.

An app declares what an operator should see and be paged for in ``<app>/monitoring.py``::

    from axiomod.observability import Monitoring, Panel, Query, Row, selector

    def rows(params):
        yield Row("Audit", (Panel("Entries written", (Query(
            f"sum(rate(audit_entries_total{selector()}[$__rate_interval]))"),), unit="ops"),))

    AXIOMOD_MONITORING = Monitoring("Audit", rows=rows)

``manage.py axiomod_observability export`` renders the installed apps' contributions as
Grafana dashboards and a Prometheus rule file; ``axiomod new`` renders them into a new
project's ``deploy/``.
"""

from .discovery import Contribution, contributions, resolve
from .model import (
    RATE,
    SELECTOR,
    Alert,
    Monitoring,
    Panel,
    Parameter,
    Params,
    Query,
    Recording,
    Row,
    RuleGroup,
    minutes,
    runnable,
    selector,
)

__all__ = [
    "RATE",
    "SELECTOR",
    "Alert",
    "Contribution",
    "Monitoring",
    "Panel",
    "Parameter",
    "Params",
    "Query",
    "Recording",
    "Row",
    "RuleGroup",
    "contributions",
    "minutes",
    "resolve",
    "runnable",
    "selector",
]
