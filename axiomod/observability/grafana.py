"""The apps' rows as two Grafana dashboards: ``<service> overview`` and ``<service> components``.

Built with **grafana-foundation-sdk** (PyPI ``grafana-foundation-sdk``), Grafana's own
"dashboards as code" SDK: its Python builders and models are generated from the schemas
Grafana itself publishes (the ``cog`` generator), so the JSON it emits has the field
names, enums and defaults of Grafana's dashboard schema (``schemaVersion`` 36 and the
panel plugins' options), and a new release follows Grafana's schema without anyone
writing it by hand. It is pure Python with no dependencies. grafanalib was the
alternative: older and well known, but its models are maintained by hand, lag Grafana's
panels (its ``TimeSeries``/``Stat`` options are a subset re-typed in attrs classes) and
its last release is from January 2024. The SDK is imported here, when a dashboard is
rendered, never by runtime code: only the export command and ``axiomod new`` load it.

What the renderer adds to the SDK:

* **Variables**: ``datasource`` (any Prometheus data source), ``job`` (``label_values(up,
  job)``) and ``instance`` (``label_values(up{job=~"$job"}, instance)``, multi-select with
  an *All* of ``.*``): the ``$job``/``$instance`` of every query's
  :data:`~axiomod.observability.model.SELECTOR`. Every panel and query names the data
  source as ``${datasource}``.
* **Layout**: the overview's rows are open (in Grafana's JSON an open row's panels follow
  it in the dashboard's ``panels``); the components dashboard has one collapsed row per
  app row (a collapsed row holds its panels, which Grafana queries only once it is
  opened). The SDK lays the panels out on the 24-column grid: time series 12 wide,
  stats 6.
* **Ids**: the panel ids Grafana needs unique within a dashboard (the SDK leaves them to
  the caller), and uids derived from the service name, so that a re-import replaces the
  dashboard instead of adding a copy.
* **Descriptions**: a panel's ``description``, then what makes a quiet panel show data.
* **Exemplars** on the queries of latency quantiles (``histogram_quantile``): Grafana
  draws the trace ids the histograms carry as points linking to the trace.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .model import Panel, Params, Row

if TYPE_CHECKING:
    from .discovery import Contribution

__all__ = ["DASHBOARDS", "dashboard", "dashboards", "to_json", "uid"]

#: The two dashboards, by the ``Row.dashboard`` value that puts a row on it.
DASHBOARDS: tuple[Literal["overview", "components"], ...] = ("overview", "components")
#: Grafana's limit on a dashboard uid.
UID_LENGTH = 40
DATASOURCE_UID = "${datasource}"
TAGS = ["axiomod"]
BUILT_IN_ANNOTATIONS = {
    "builtIn": 1,
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "enable": True,
    "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)",
    "name": "Annotations & Alerts",
    "type": "dashboard",
}
#: Grid sizes (24 columns): two time series side by side, four stats.
SIZES = {"timeseries": (12, 8), "stat": (6, 4)}


def uid(service: str, which: str) -> str:
    """A stable dashboard uid: ``<service>-<which>``, shortened with a hash past 40 chars."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", service.lower()).strip("-") or "service"
    full = f"{slug}-{which}"
    if len(full) <= UID_LENGTH:
        return full
    digest = hashlib.sha256(service.encode()).hexdigest()[:8]
    keep = UID_LENGTH - len(which) - len(digest) - 2
    return f"{slug[:keep].rstrip('-')}-{digest}-{which}"


def dashboards(
    found: Sequence[Contribution], params: Params, service: str
) -> dict[str, dict[str, Any]]:
    """Both dashboards (as Grafana dashboard JSON objects) of the contributions' rows."""
    rows: dict[str, list[Row]] = {which: [] for which in DASHBOARDS}
    for contribution in found:
        for row in contribution.monitoring.rows(params):
            if row.dashboard not in rows:
                raise ValueError(
                    f"{contribution.package}: row {row.title!r} is for dashboard "
                    f"{row.dashboard!r}; expected one of {', '.join(DASHBOARDS)}"
                )
            rows[row.dashboard].append(row)
    return {which: dashboard(service, which, rows[which]) for which in DASHBOARDS}


def dashboard(
    service: str, which: Literal["overview", "components"], rows: Iterable[Row]
) -> dict[str, Any]:
    """One dashboard: the variables, then each row with its panels."""
    from grafana_foundation_sdk.builders import dashboard as builders

    collapsed = which == "components"
    ids = iter(range(1, 1_000_000))
    board = (
        builders.Dashboard(f"{service} {which}")
        .uid(uid(service, which))
        .description(_DESCRIPTIONS[which].format(service=service))
        .tags([*TAGS, service])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .editable()
    )
    for variable in _variables():
        board = board.with_variable(variable)
    for row in rows:
        heading = builders.Row(row.title).id(next(ids)).collapsed(collapsed)
        panels = [_panel(panel, next(ids)) for panel in row.panels]
        if collapsed:
            for panel in panels:
                heading = heading.with_panel(panel)
            board = board.with_row(heading)
        else:  # an open row's panels follow it (Grafana's JSON model)
            board = board.with_row(heading)
            for panel in panels:
                board = board.with_panel(panel)
    plain = _plain(board.build())
    # Grafana's own "Annotations & Alerts" (what Grafana adds to a dashboard it creates);
    # the SDK's AnnotationQuery has no ``builtIn`` field, so it is written as Grafana does.
    plain["annotations"] = {"list": [dict(BUILT_IN_ANNOTATIONS)]}
    return plain


_DESCRIPTIONS = {
    "overview": "{service}: traffic, errors and latency of every transport. "
    "Generated by axiomod (manage.py axiomod_observability export); edit the apps' "
    "monitoring.py or the parameters, not this file.",
    "components": "{service}: one row per component (database, readiness, OIDC, Kafka, "
    "jobs). Generated by axiomod (manage.py axiomod_observability export).",
}


def _datasource() -> Any:
    from grafana_foundation_sdk.models.dashboard import DataSourceRef

    return DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)


def _variables() -> list[Any]:
    from grafana_foundation_sdk.builders import dashboard as builders
    from grafana_foundation_sdk.models.dashboard import (
        VariableOption,
        VariableRefresh,
        VariableSort,
    )

    on_time_range = VariableRefresh.ON_TIME_RANGE_CHANGED
    return [
        builders.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .description("The Prometheus that scrapes the service."),
        builders.QueryVariable("job")
        .label("Job")
        .description("Prometheus' job label: the scrape job of the service.")
        .datasource(_datasource())
        .query("label_values(up, job)")
        .refresh(on_time_range)
        .sort(VariableSort.ALPHABETICAL_ASC),
        builders.QueryVariable("instance")
        .label("Instance")
        .description("The scraped processes (pods) of the job; All for the whole service.")
        .datasource(_datasource())
        .query('label_values(up{job=~"$job"}, instance)')
        .refresh(on_time_range)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all")),
    ]


def _description(panel: Panel) -> str:
    parts = [panel.description.strip()] if panel.description.strip() else []
    if panel.quiet:
        parts.append(f"Empty while the service is healthy; it shows data when {panel.quiet}")
    return "\n\n".join(parts)


def _latency(expr: str) -> bool:
    return "histogram_quantile" in expr


def _panel(panel: Panel, panel_id: int) -> Any:
    from grafana_foundation_sdk.builders import common, prometheus, stat, timeseries
    from grafana_foundation_sdk.models import common as models

    if panel.kind == "stat":
        builder = (
            stat.Panel()
            .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
            .graph_mode(models.BigValueGraphMode.AREA)
            .color_mode(models.BigValueColorMode.VALUE)
            .text_mode(models.BigValueTextMode.AUTO)
        )
    elif panel.kind == "timeseries":
        builder = (
            timeseries.Panel()
            .legend(
                common.VizLegendOptions()
                .display_mode(models.LegendDisplayMode.LIST)
                .placement(models.LegendPlacement.BOTTOM)
                .show_legend(True)
            )
            .tooltip(
                common.VizTooltipOptions()
                .mode(models.TooltipDisplayMode.MULTI)
                .sort(models.SortOrder.DESCENDING)
            )
            .fill_opacity(10)
            .show_points(models.VisibilityMode.NEVER)
        )
    else:
        raise ValueError(f"panel {panel.title!r}: unknown kind {panel.kind!r}")
    width, height = SIZES[panel.kind]
    builder = (
        builder.id(panel_id)
        .title(panel.title)
        .datasource(_datasource())
        .unit(panel.unit)
        .span(width)
        .height(height)
    )
    description = _description(panel)
    if description:
        builder = builder.description(description)
    for index, query in enumerate(panel.queries):
        target = (
            prometheus.Dataquery()
            .ref_id(_ref_id(index))
            .expr(query.expr)
            .datasource({"type": "prometheus", "uid": DATASOURCE_UID})
            .range()
        )
        if query.legend:
            target = target.legend_format(query.legend)
        if panel.kind == "timeseries" and _latency(query.expr):
            target = target.exemplar(True)
        builder = builder.with_target(target)
    return builder


def _ref_id(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[index] if index < len(letters) else f"Q{index}"


def _plain(built: Any) -> dict[str, Any]:
    """The SDK's model as plain JSON data (its encoder drops the unset fields)."""
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    return json.loads(json.dumps(built, cls=JSONEncoder))


def to_json(board: dict[str, Any]) -> str:
    """The file's text: keys sorted, two-space indents, a final newline (stable diffs)."""
    return json.dumps(board, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
