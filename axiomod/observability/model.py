"""What an app declares about how it is watched: panels, recording rules, alerts, parameters.

These are plain frozen dataclasses, not Grafana or Prometheus objects: an app's
``monitoring`` module imports nothing heavier than this, the PromQL of every panel and
rule is a string the tests can hand to a real Prometheus, and the renderers
(:mod:`axiomod.observability.grafana`, :mod:`axiomod.observability.rules`) turn them into
the files a team imports. The kernel assembles them from the installed apps
(:mod:`axiomod.observability.discovery`) as it assembles the settings sections.

Dashboard variables. Every expression selects its series with :data:`SELECTOR` (or
:func:`selector`), so one dashboard serves every service and instance scraped into the
same Prometheus: ``$job`` and ``$instance`` are the dashboard's variables (Prometheus'
own target labels, present on every scraped series), ``$__rate_interval`` Grafana's
rate window. :func:`runnable` substitutes them for a query outside Grafana.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

__all__ = [
    "RATE",
    "SELECTOR",
    "Alert",
    "Monitoring",
    "Panel",
    "Parameter",
    "Query",
    "Recording",
    "Row",
    "RuleGroup",
    "minutes",
    "runnable",
    "selector",
]

#: The label matchers every dashboard query starts with.
SELECTOR = 'job=~"$job", instance=~"$instance"'


#: The range of a panel's ``rate()``/``increase()``: Grafana's own choice for the scrape
#: interval and the zoom.
RATE = "[$__rate_interval]"


def minutes(value: float) -> str:
    """A Prometheus duration for ``value`` minutes (``5m``, ``90s``): a parameter in
    minutes as a rule's ``for`` or range."""
    return f"{int(value)}m" if float(value).is_integer() else f"{round(value * 60)}s"


def selector(*matchers: str) -> str:
    """``{job=~"$job", instance=~"$instance", <matchers>}``: the dashboard's variables first."""
    return "{" + ", ".join((SELECTOR, *matchers)) + "}"


_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "30s",
    "$__range": "5m",
    "$job": ".*",
    "$instance": ".*",
}
_VARIABLE = re.compile("|".join(re.escape(k) for k in sorted(_VARIABLES, key=len, reverse=True)))


def runnable(expr: str, **values: str) -> str:
    """``expr`` with the dashboard variables replaced, as Grafana would before querying.

    ``values`` overrides a default (``job="invoices"``, ``__rate_interval="2m"``).
    """
    table = {**_VARIABLES, **{f"${k}": v for k, v in values.items()}}
    return _VARIABLE.sub(lambda m: table[m.group(0)], expr)


@dataclasses.dataclass(frozen=True)
class Query:
    """One PromQL expression of a panel and the legend of its series."""

    expr: str
    legend: str = ""


@dataclasses.dataclass(frozen=True)
class Panel:
    """A panel: one or more queries drawn together.

    ``unit`` is Grafana's unit id (``reqps``, ``s``, ``percentunit``, ``bytes``,
    ``short``). ``quiet`` says, for a panel that a healthy service's ordinary traffic
    leaves empty (dead letters, pool waiters), what makes it show data: the dashboard
    prints it in the description, and the test that scrapes a real Prometheus reports
    it rather than failing.
    """

    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: Literal["timeseries", "stat"] = "timeseries"
    description: str = ""
    quiet: str = ""


@dataclasses.dataclass(frozen=True)
class Row:
    """A titled row of panels on one of the dashboards (``overview`` or ``components``)."""

    title: str
    panels: tuple[Panel, ...]
    dashboard: Literal["overview", "components"] = "components"


@dataclasses.dataclass(frozen=True)
class Recording:
    """A recording rule; ``record`` names the new series (``level:metric:operation``)."""

    record: str
    expr: str
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Alert:
    """A Prometheus alerting rule.

    ``runbook`` is the anchor of the section of the observability guide that says what
    to do (``http-5xx-ratio``); the renderer makes it the ``runbook_url`` annotation.
    ``severity`` follows the SRE workbook's split: ``page`` wakes someone, ``ticket``
    waits for working hours.
    """

    name: str
    expr: str
    summary: str
    description: str
    runbook: str
    for_: str = "5m"
    severity: Literal["page", "ticket"] = "ticket"
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class RuleGroup:
    """Rules evaluated together, every ``interval`` (Prometheus' default if None)."""

    name: str
    rules: tuple[Recording | Alert, ...]
    interval: str | None = None


Number = float | int


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A threshold of an app's rules, settable in ``AXIOMOD["observability"]["parameters"]``.

    Thresholds are parameters rather than literals in the rule text so that a team
    tunes them in settings (checked by ``manage.py check``) or on the export command,
    never by editing a rendered file that the next export overwrites.
    """

    name: str
    default: Number
    doc: str
    min: Number | None = None
    max: Number | None = None
    check: Callable[[Number], str | None] | None = None

    def problem(self, value: object) -> str | None:
        """Why ``value`` cannot be this parameter, or None."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {type(value).__name__} {value!r}"
        if not math.isfinite(value):  # NaN passes every min/max comparison
            return f"expected a finite number, got {value!r}"
        if self.min is not None and value < self.min:
            return f"{value!r} is below the minimum {self.min!r}"
        if self.max is not None and value > self.max:
            return f"{value!r} is above the maximum {self.max!r}"
        return self.check(value) if self.check is not None else None


Params = Mapping[str, Number]


@dataclasses.dataclass(frozen=True)
class Monitoring:
    """One app's contribution, declared as ``AXIOMOD_MONITORING`` in ``<app>/monitoring.py``.

    ``rows`` and ``rules`` take the resolved parameters (every app's, defaults overridden
    by the settings) so a threshold can appear in a panel as well as in a rule.
    """

    title: str
    parameters: tuple[Parameter, ...] = ()
    rows: Callable[[Params], Iterable[Row]] = lambda params: ()
    rules: Callable[[Params], Iterable[RuleGroup]] = lambda params: ()
