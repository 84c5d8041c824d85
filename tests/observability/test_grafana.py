"""The dashboards are Grafana dashboard JSON that Grafana can import and fill.

Checked on a small contribution of this file's own (every kind of panel) and on the
installed apps' real contributions: schema version, unique panel ids, grid positions
that fit and do not overlap, every variable a query uses defined in ``templating``, every
panel and query on the ``$datasource`` variable, and the panels' PromQL exactly the
strings the apps declare (the strings the Prometheus tests run).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from axiomod.observability import (
    Contribution,
    Monitoring,
    Panel,
    Parameter,
    Query,
    Row,
    contributions,
    resolve,
    selector,
)
from axiomod.observability.grafana import UID_LENGTH, dashboards, to_json, uid

ROOT = Path(__file__).resolve().parents[2]
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
#: Grafana's own variables, defined by Grafana rather than by the dashboard.
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__range", "__all"}
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")

LATENCY = "histogram_quantile(0.99, sum by (le) (rate(probe_seconds_bucket{}[$__rate_interval])))"
THRESHOLD = Parameter("probe_threshold", 3, "Probes per second that matter.", min=0)


def _probe_rows(params):
    ratio = f"sum(rate(probe_total{selector()}[$__rate_interval]))"
    yield Row(
        "Probe traffic",
        (
            Panel("Rate", (Query(ratio, "{{route}}"),), unit="reqps"),
            Panel(
                "Latency p99",
                (Query(LATENCY.format(selector()), "p99"),),
                unit="s",
                description="Slowest requests.",
            ),
            Panel("Up", (Query(f"sum(up{selector()})"),), kind="stat"),
            Panel(
                "Above threshold",
                (Query(f"{ratio} > {params['probe_threshold']}"),),
                quiet="the probes exceed their threshold",
            ),
        ),
        dashboard="overview",
    )
    yield Row(
        "Probe store",
        (
            Panel("Writes", (Query(f"sum(rate(probe_writes_total{selector()}[5m]))", "w"),)),
            Panel(
                "Two queries",
                (
                    Query(f"sum(probe_a{selector()})", "a"),
                    Query(f"sum(probe_b{selector()})", "b"),
                ),
            ),
        ),
    )
    yield Row("Probe queue", (Panel("Depth", (Query(f"max(probe_depth{selector()})"),)),))


PROBE = [Contribution("probe_app", Monitoring("Probe", parameters=(THRESHOLD,), rows=_probe_rows))]


def _real():
    found = contributions()
    params, problems = resolve(found)
    assert not problems
    return found, params


@pytest.fixture(params=["probe", "installed apps"])
def rendered(request):
    """(contributions, both dashboards) for the probe contribution and the real apps."""
    if request.param == "probe":
        found, params = PROBE, {"probe_threshold": 3}
    else:
        found, params = _real()
        assert len(found) >= 3, "the kernel's and the apps' monitoring modules are found"
    # Through the file text, as Grafana reads it.
    boards = {k: json.loads(to_json(v)) for k, v in dashboards(found, params, "svc").items()}
    return found, params, boards


def flatten(board: dict) -> list[dict]:
    """Every panel of a dashboard, rows and the panels of collapsed rows included."""
    out = []
    for panel in board["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def expected_rows(found, params, which):
    return [row for c in found for row in c.monitoring.rows(params) if row.dashboard == which]


def test_schema_version_uid_title_and_tags(rendered):
    _, _, boards = rendered
    for which, board in boards.items():
        assert board["schemaVersion"] >= 36
        assert board["uid"] == f"svc-{which}"
        assert board["title"] == f"svc {which}"
        assert "axiomod" in board["tags"]
        assert board["annotations"]["list"][0]["builtIn"] == 1
        assert board["time"] == {"from": "now-1h", "to": "now"}


def test_panel_ids_are_unique_and_positive(rendered):
    _, _, boards = rendered
    for board in boards.values():
        ids = [panel["id"] for panel in flatten(board)]
        assert len(ids) == len(set(ids)), ids
        assert all(isinstance(i, int) and i > 0 for i in ids)


def test_grid_positions_fit_the_grid_and_do_not_overlap(rendered):
    _, _, boards = rendered
    for board in boards.values():
        boxes = []
        for panel in flatten(board):
            grid = panel["gridPos"]
            assert set(grid) == {"x", "y", "w", "h"}, panel["title"]
            assert grid["w"] > 0 and grid["h"] > 0
            assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
            boxes.append((grid["x"], grid["y"], grid["w"], grid["h"], panel["title"]))
        for i, (x, y, w, h, title) in enumerate(boxes):
            for x2, y2, w2, h2, title2 in boxes[i + 1 :]:
                apart = x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
                assert apart, f"{title!r} overlaps {title2!r}"


def test_variables_are_defined_and_every_used_one_is(rendered):
    _, _, boards = rendered
    for board in boards.values():
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert list(variables) == ["datasource", "job", "instance"]
        source, job, instance = variables.values()
        assert source["type"] == "datasource" and source["query"] == "prometheus"
        assert job["type"] == "query" and job["query"] == "label_values(up, job)"
        assert instance["type"] == "query"
        assert instance["query"] == 'label_values(up{job=~"$job"}, instance)'
        assert instance["multi"] is True and instance["includeAll"] is True
        assert instance["allValue"] == ".*"
        assert job["datasource"] == instance["datasource"] == DATASOURCE

        used = set()
        texts = [json.dumps(v.get("query", "")) for v in variables.values()]
        texts += [json.dumps(v.get("datasource", "")) for v in variables.values()]
        for panel in flatten(board):
            texts.append(json.dumps(panel.get("datasource", "")))
            for target in panel.get("targets", []):
                texts += [target["expr"], json.dumps(target["datasource"])]
        for text in texts:
            used |= {a or b for a, b in VARIABLE.findall(text)}
        assert {"job", "instance", "datasource"} <= used or not flatten(board)
        undefined = used - set(variables) - GRAFANA_VARIABLES
        assert not undefined, f"used but not defined: {undefined}"


def test_every_panel_and_query_reads_the_datasource_variable(rendered):
    _, _, boards = rendered
    for board in boards.values():
        for panel in flatten(board):
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == DATASOURCE, panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"] == DATASOURCE
            ref_ids = [t["refId"] for t in panel["targets"]]
            assert len(set(ref_ids)) == len(ref_ids) and all(ref_ids)


def test_the_panels_are_the_declared_ones_with_their_promql(rendered):
    found, params, boards = rendered
    for which, board in boards.items():
        rows = expected_rows(found, params, which)
        titles = [p["title"] for p in board["panels"] if p["type"] == "row"]
        assert titles == [row.title for row in rows]
        declared = [panel for row in rows for panel in row.panels]
        drawn = [p for p in flatten(board) if p["type"] != "row"]
        assert [p["title"] for p in drawn] == [p.title for p in declared]
        for model, panel in zip(declared, drawn, strict=True):
            assert panel["type"] == model.kind
            assert panel["fieldConfig"]["defaults"]["unit"] == model.unit
            assert [t["expr"] for t in panel["targets"]] == [q.expr for q in model.queries]
            legends = [t.get("legendFormat", "") for t in panel["targets"]]
            assert legends == [q.legend for q in model.queries]
            exemplars = [t.get("exemplar", False) for t in panel["targets"]]
            assert exemplars == [
                model.kind == "timeseries" and "histogram_quantile" in q.expr for q in model.queries
            ]
            if model.quiet:
                assert model.quiet in panel["description"]
            if model.description:
                assert panel["description"].startswith(model.description.strip())


def test_overview_rows_are_open_and_component_rows_collapsed(rendered):
    _, _, boards = rendered
    for panel in boards["overview"]["panels"]:
        if panel["type"] == "row":
            assert panel["collapsed"] is False and panel["panels"] == []
    for panel in boards["components"]["panels"]:
        assert panel["type"] == "row", "component panels live inside their collapsed row"
        assert panel["collapsed"] is True and panel["panels"]


def test_the_probe_contribution_draws_stat_and_threshold():
    boards = dashboards(PROBE, {"probe_threshold": 7}, "svc")
    drawn = {p["title"]: p for p in flatten(boards["overview"])}
    assert drawn["Up"]["type"] == "stat"
    assert drawn["Up"]["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]
    assert drawn["Above threshold"]["targets"][0]["expr"].endswith("> 7")
    assert drawn["Latency p99"]["targets"][0]["exemplar"] is True
    assert drawn["Above threshold"]["description"].endswith("the probes exceed their threshold")
    components = flatten(boards["components"])
    assert [p["title"] for p in components] == [
        "Probe store",
        "Writes",
        "Two queries",
        "Probe queue",
        "Depth",
    ]
    assert [t["refId"] for t in components[2]["targets"]] == ["A", "B"]


def test_the_json_is_what_the_sdk_reads_back():
    """Grafana's schema as the SDK's generated models know it: a lossless round trip."""
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import Dashboard

    found, params = _real()
    for board in dashboards(found, params, "svc").values():
        data = json.loads(to_json(board))
        back = json.loads(json.dumps(Dashboard.from_json(data), cls=JSONEncoder))
        # The SDK's annotation model has no builtIn field: the one key it drops.
        for annotation in data["annotations"]["list"]:
            annotation.pop("builtIn")
        assert back == data


def test_rendering_is_stable():
    found, params = _real()
    first = {k: to_json(v) for k, v in dashboards(found, params, "svc").items()}
    again = {k: to_json(v) for k, v in dashboards(found, params, "svc").items()}
    assert first == again


@pytest.mark.parametrize("service", ["invoices", "Billing API", "x" * 63, "a.b_c-d"])
def test_uids_are_stable_valid_and_distinct(service):
    for which in ("overview", "components"):
        value = uid(service, which)
        assert len(value) <= UID_LENGTH
        assert re.fullmatch(r"[a-z0-9_-]+", value)
        assert value.endswith(which)
        assert value == uid(service, which)
    assert uid(service, "overview") != uid(service, "components")
    assert uid("x" * 63, "overview") != uid("x" * 62 + "y", "overview")


def test_a_row_for_an_unknown_dashboard_is_refused():
    bad = Contribution(
        "bad_app", Monitoring("Bad", rows=lambda p: [Row("R", (), dashboard="home")])
    )
    with pytest.raises(ValueError, match="bad_app: row 'R' is for dashboard 'home'"):
        dashboards([bad], {}, "svc")


def test_runtime_imports_never_load_the_sdk():
    """Only rendering imports grafana-foundation-sdk: not axiomod, its apps or discovery."""
    code = (
        "import sys, django; django.setup();"
        "from axiomod.observability import contributions, resolve;"
        "resolve(contributions());"
        "import axiomod.observability.export;"
        "print('loaded' if any(m.startswith('grafana_foundation_sdk') for m in sys.modules)"
        " else 'clean')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "example.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
