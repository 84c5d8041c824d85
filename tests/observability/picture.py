"""The overview dashboard as the real Prometheus graphs it: an SVG for the observability guide.

Grafana cannot run on this machine (no package in the reachable registries), so the
guide's picture is drawn from what a Grafana panel would query: each panel's PromQL,
with the dashboard variables substituted, run as a range query against the Prometheus
that scraped the example in the dashboards test. Hand-written SVG rather than
matplotlib: a grid of line charts needs ~100 lines, matplotlib would add numpy and
Pillow to the test environment for one picture.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterable, Sequence

from axiomod.observability import Panel, runnable

__all__ = ["Chart", "Series", "charts_from", "svg"]

COLUMNS = 3
WIDTH, HEIGHT = 400, 210  # one chart, with its title and legend
PLOT_LEFT, PLOT_TOP, PLOT_W, PLOT_H = 52, 30, 330, 120
PALETTE = ("#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9")


@dataclasses.dataclass(frozen=True)
class Series:
    legend: str
    points: tuple[tuple[float, float], ...]


@dataclasses.dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    series: tuple[Series, ...]


def charts_from(
    prometheus: object, panels: Iterable[Panel], start: float, end: float, step: float
) -> list[Chart]:
    """Each panel's queries as range queries over ``[start, end]``, as Grafana would run them."""
    charts = []
    for panel in panels:
        series = []
        for query in panel.queries:
            for result in prometheus.query_range(runnable(query.expr), start, end, step):  # type: ignore[attr-defined]
                points = tuple(
                    (float(t), float(v))
                    for t, v in result["values"]
                    if v not in ("NaN", "+Inf", "-Inf")
                )
                if points:
                    series.append(Series(_legend(query.legend, result["metric"]), points))
        charts.append(Chart(panel.title, panel.unit, tuple(series)))
    return charts


def _legend(template: str, labels: dict[str, str]) -> str:
    """Grafana's ``{{label}}`` legend templating."""
    text = template or ", ".join(f"{k}={v}" for k, v in labels.items() if k != "__name__")
    for key, value in labels.items():
        text = text.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
    return text or "value"


def svg(title: str, charts: Sequence[Chart]) -> str:
    """The charts in a grid, dark like Grafana's default theme."""
    rows = math.ceil(len(charts) / COLUMNS)
    width, height = COLUMNS * WIDTH + 20, rows * HEIGHT + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#111217"/>',
        f'<text x="12" y="26" fill="#ccccdc" font-size="16">{html.escape(title)}</text>',
    ]
    for index, chart in enumerate(charts):
        x = 10 + (index % COLUMNS) * WIDTH
        y = 40 + (index // COLUMNS) * HEIGHT
        parts.append(_chart(chart, x, y))
    parts.append("</svg>")
    return "\n".join(parts)


def _chart(chart: Chart, x: float, y: float) -> str:
    out = [
        f'<g transform="translate({x},{y})">',
        f'<rect width="{WIDTH - 10}" height="{HEIGHT - 10}" fill="#181b1f" stroke="#2c3235"/>',
        f'<text x="8" y="18" fill="#ccccdc" font-size="12">{html.escape(chart.title)}</text>',
    ]
    points = [p for s in chart.series for p in s.points]
    if not points:
        out.append(
            f'<text x="{WIDTH / 2 - 30}" y="{PLOT_TOP + PLOT_H / 2}" fill="#8e8e8e">No data</text>'
        )
        out.append("</g>")
        return "\n".join(out)
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    top = max(p[1] for p in points)
    top = top * 1.1 if top > 0 else 1.0
    span = (t1 - t0) or 1.0
    for fraction in (0.0, 0.5, 1.0):  # the y axis: 0, half, top
        gy = PLOT_TOP + PLOT_H * (1 - fraction)
        out.append(
            f'<line x1="{PLOT_LEFT}" y1="{gy:.1f}" x2="{PLOT_LEFT + PLOT_W}" y2="{gy:.1f}" '
            'stroke="#2c3235"/>'
        )
        out.append(
            f'<text x="{PLOT_LEFT - 4}" y="{gy + 4:.1f}" fill="#8e8e8e" text-anchor="end">'
            f"{html.escape(_format(top * fraction, chart.unit))}</text>"
        )
    for number, series in enumerate(chart.series[: len(PALETTE)]):
        colour = PALETTE[number]
        path = " ".join(
            f"{PLOT_LEFT + PLOT_W * (t - t0) / span:.1f},{PLOT_TOP + PLOT_H * (1 - v / top):.1f}"
            for t, v in series.points
        )
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        lx, ly = 8 + (number % 2) * 190, PLOT_TOP + PLOT_H + 18 + (number // 2) * 13
        out.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{colour}"/>')
        legend = html.escape(series.legend[:30])
        out.append(f'<text x="{lx + 14}" y="{ly - 3}" fill="#ccccdc">{legend}</text>')
    out.append("</g>")
    return "\n".join(out)


def _format(value: float, unit: str) -> str:
    if unit == "percentunit":
        return f"{value * 100:.1f}%"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"
    if unit == "bytes":
        return f"{value / 2**20:.0f} MiB"
    suffix = {"reqps": " req/s", "ops": " ops/s"}.get(unit, "")
    return f"{value:.2g}{suffix}"
