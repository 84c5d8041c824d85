"""The apps' rules, checked and unit-tested by the real ``promtool``; every name they read exists.

* ``promtool check rules`` on the rule file the installed apps' contributions make
  (rendered by :mod:`axiomod.observability.rules`, as the export command does).
* ``promtool test rules`` with the cases in ``promtool/*.yaml`` beside this file: for every
  alert, input series that fire it and input series that do not (a test below fails when
  an alert has no such pair). The cases run against the rules with the default
  parameters, their annotations left out (promtool compares annotations too, so each
  case would repeat the texts), except ``promtool/annotations.yaml``, which runs against
  the full rules and so checks how some texts render.
* Every metric name, label and histogram bound a panel or a rule references is one the
  code declares: the kernel's and the apps' instruments (:mod:`axiomod.instruments`),
  axiomod_metrics' request metrics, prometheus_client's process and GC collectors and
  the per-worker GC families of multiprocess mode (:mod:`axiomod_metrics.process`), or a
  series a recording rule records.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, GCCollector, ProcessCollector
from prometheus_client.utils import floatToGoString

from axiomod.conf import settings
from axiomod.observability import Alert, Recording, RuleGroup, contributions, resolve, runnable
from axiomod.observability.rules import rule_file, to_yaml

CASES = Path(__file__).parent / "promtool"
RUNBOOK = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


# -- the rule file ---------------------------------------------------------------------
def _groups(params: dict[str, Any] | None = None) -> list[RuleGroup]:
    found = contributions()
    values, problems = resolve(found, params)
    assert problems == []
    return [group for c in found for group in c.monitoring.rules(values)]


def render(params: dict[str, Any] | None = None, annotations: bool = True) -> str:
    """The rule file the export command writes (:mod:`axiomod.observability.rules`)."""
    found = contributions()
    values, problems = resolve(found, params)
    assert problems == []
    data = rule_file(found, values, settings.observability.runbook_url)
    if not annotations:
        for group in data["groups"]:
            for rule in group["rules"]:
                rule.pop("annotations", None)
    return to_yaml(data)


def _alerts(groups: list[RuleGroup]) -> list[Alert]:
    return [rule for group in groups for rule in group.rules if isinstance(rule, Alert)]


def _run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_promtool_accepts_the_rule_file(promtool: str, tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(render())
    result = _run(promtool, "check", "rules", "rules.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_parses_every_panel_query(promtool: str, tmp_path: Path) -> None:
    """Each panel's PromQL, with the dashboard variables as Grafana fills them, parses."""
    queries = [expr for where, expr in _expressions() if " panel " in where]
    assert queries
    rules = [
        {"record": f"panel:query{n}:check", "expr": runnable(expr)}
        for n, expr in enumerate(queries)
    ]
    (tmp_path / "panels.yml").write_text(to_yaml({"groups": [{"name": "p", "rules": rules}]}))
    result = _run(promtool, "check", "rules", "panels.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _case_files() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))


@pytest.mark.parametrize("case", _case_files(), ids=lambda p: p.stem)
def test_promtool_unit_tests(promtool: str, tmp_path: Path, case: Path) -> None:
    full = case.stem == "annotations"
    (tmp_path / "rules.yml").write_text(render(annotations=full))
    text = case.read_text().replace("RUNBOOKS#", f"{settings.observability.runbook_url}#")
    document = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", **yaml.safe_load(text)}
    (tmp_path / "test.yml").write_text(yaml.safe_dump(document, sort_keys=False, width=1000))
    result = _run(promtool, "test", "rules", "test.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_case_that_fires_it_and_one_that_does_not() -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in _case_files():
        for test in yaml.safe_load(case.read_text())["tests"]:
            for check in test.get("alert_rule_test", ()):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {alert.name for alert in _alerts(_groups())}
    assert names - fired == set(), "alerts no promtool case fires"
    assert names - quiet == set(), "alerts no promtool case shows staying quiet"
    assert (fired | quiet) - names == set(), "cases of alerts that do not exist"


def test_a_unit_test_fails_when_an_alert_is_wrong(promtool: str, tmp_path: Path) -> None:
    """The cases can fail: with one threshold changed, the case that fired no longer does."""
    (tmp_path / "rules.yml").write_text(render({"jobs_failure_ratio": 0.5}, annotations=False))
    tests = yaml.safe_load((CASES / "jobs.yaml").read_text())
    document = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", **tests}
    (tmp_path / "test.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    result = _run(promtool, "test", "rules", "test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "alertname: JobsFailing" in result.stdout + result.stderr


# -- what each alert carries ------------------------------------------------------------
def test_each_alert_has_a_runbook_anchor_texts_and_a_severity() -> None:
    anchors = set()
    for alert in _alerts(_groups()):
        assert RUNBOOK.match(alert.runbook), alert.name
        anchors.add(alert.runbook)
        assert alert.severity in ("page", "ticket"), alert.name
        assert alert.summary and alert.description, alert.name
        assert "{{ $labels." in alert.summary + alert.description, alert.name
        assert re.fullmatch(r"\d+[smh]", alert.for_), alert.name


def test_every_parameter_changes_what_is_rendered() -> None:
    """A threshold is a parameter, not a literal: changing it changes a rule or a panel."""
    found = contributions()
    defaults, _ = resolve(found)

    def rendered(values: dict[str, Any]) -> str:
        parts = []
        for c in found:
            parts.append(repr(list(c.monitoring.rules(values))))
            parts.append(repr(list(c.monitoring.rows(values))))
        return "\n".join(parts)

    base = rendered(dict(defaults))
    bounds = {float(b) for b in settings.metrics.buckets}
    for c in found:
        for parameter in c.monitoring.parameters:
            value = parameter.default
            if parameter.name == "http_latency_slo_seconds":
                changed: float = next(b for b in sorted(bounds) if b != value)
            elif parameter.max is not None and value * 2 + 1 > parameter.max:
                changed = (value + parameter.max) / 2
            else:
                changed = value * 2 + 1
            assert parameter.problem(changed) is None, (parameter.name, changed)
            assert rendered({**defaults, parameter.name: changed}) != base, parameter.name


def test_the_latency_threshold_must_be_a_bucket_bound() -> None:
    values, problems = resolve(contributions(), {"http_latency_slo_seconds": 0.3})
    assert values["http_latency_slo_seconds"] == 0.25
    assert len(problems) == 1 and "not a bound of AXIOMOD metrics.buckets" in problems[0]
    assert resolve(contributions(), {"http_latency_slo_seconds": 1})[1] == []


def test_the_latency_threshold_is_checked_against_the_configured_buckets() -> None:
    from django.test import override_settings

    with override_settings(AXIOMOD={"metrics": {"buckets": [0.1, 0.3, 1.0]}}):
        assert resolve(contributions(), {"http_latency_slo_seconds": 0.3})[1] == []
        problems = resolve(contributions(), {"http_latency_slo_seconds": 0.25})[1]
    assert len(problems) == 1 and "[0.1, 0.3, 1.0]" in problems[0], problems


# -- every name referenced exists -------------------------------------------------------
@dataclasses.dataclass
class Family:
    kind: str  # counter, gauge, histogram
    labels: frozenset[str]
    buckets: tuple[float, ...] = ()


TARGET_LABELS = frozenset({"job", "instance"})


def _declared() -> dict[str, Family]:
    """Exposed sample name -> its family, from what the code declares."""
    from axiomod import instruments

    apps = [f"{c.package}.metrics" for c in contributions()]
    for module in ("axiomod.db.instrumentation", *apps):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
    families: dict[str, tuple[str, Family]] = {}
    default_buckets = tuple(settings.metrics.buckets)
    for instrument in list(instruments._instruments):
        labels = frozenset(instrument.labelnames)
        buckets = tuple(instrument.options.get("buckets") or default_buckets)
        families[instrument.name] = (instrument.kind, Family(instrument.kind, labels, buckets))

    from axiomod_metrics.metrics import grpc_metrics, http_metrics

    for metric in (*http_metrics(), *grpc_metrics()):
        kind = metric._type
        buckets = tuple(b for b in getattr(metric, "_upper_bounds", ()) if b != float("inf"))
        families[metric._name] = (kind, Family(kind, frozenset(metric._labelnames), buckets))

    registry = CollectorRegistry()
    for collector in (ProcessCollector(registry=registry), GCCollector(registry=registry)):
        for family in collector.collect():
            labels = frozenset(k for s in family.samples for k in s.labels) | {"pid"}
            families[family.name] = (family.type, Family(family.type, labels))

    from axiomod_metrics.process import _GC_FAMILIES  # the per-pid families of prefork mode

    for name, _ in _GC_FAMILIES.values():
        if name not in families:
            families[name] = ("counter", Family("counter", frozenset({"generation", "pid"})))

    exposed: dict[str, Family] = {}
    for name, (kind, family) in families.items():
        if kind == "counter":
            exposed[name if name.endswith("_total") else name + "_total"] = family
        elif kind == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                exposed[name + suffix] = family
        else:
            exposed[name] = family
    return exposed


KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"and", "or", "unless", "offset", "bool"}
)
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
MATCHERS = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}")
MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*')
CLAUSE = re.compile(r"\b(by|without|on|ignoring)\s*\(([^)]*)\)")
IDENTIFIER = re.compile(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")


def _expressions() -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel query and rule of the installed apps."""
    found = contributions()
    values, _ = resolve(found)
    for c in found:
        for row in c.monitoring.rows(values):
            for panel in row.panels:
                for query in panel.queries:
                    yield f"{c.package} panel {panel.title!r}", query.expr
        for group in c.monitoring.rules(values):
            for rule in group.rules:
                name = rule.record if isinstance(rule, Recording) else rule.name
                yield f"{c.package} rule {name}", rule.expr


def _names(expr: str) -> set[str]:
    """The series names ``expr`` selects."""
    text = STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = CLAUSE.sub(" ", text)
    return {
        m.group(1)
        for m in IDENTIFIER.finditer(text)
        if m.group(1) not in KEYWORDS and not re.fullmatch(r"[0-9.e+-]+|Inf|NaN", m.group(1))
    }


def _recorded() -> dict[str, set[str]]:
    """Recorded series -> the series its rule reads."""
    return {
        rule.record: _names(rule.expr)
        for group in _groups()
        for rule in group.rules
        if isinstance(rule, Recording)
    }


def _sources(name: str, recorded: dict[str, set[str]]) -> set[str]:
    if name not in recorded:
        return {name}
    return set().union(*(_sources(n, recorded) for n in recorded[name]))


def test_the_name_parser_sees_every_series() -> None:
    expr = (
        'histogram_quantile(0.5, sum by (alias, le) (rate(a_bucket{job=~"$job", x="y"}[5m])))'
        " / on (job) b:c:rate5m > 2 * (1 - 0.99) unless d offset 10m or vector(0)"
    )
    assert _names(expr) == {"a_bucket", "b:c:rate5m", "d"}


def test_every_metric_name_label_and_bucket_referenced_exists() -> None:
    declared = _declared()
    recorded = _recorded()
    problems = []
    count = 0
    for where, expr in _expressions():
        names = _names(expr)
        assert names, f"{where}: no series in {expr!r}"
        families = {}
        for name in names:
            for source in _sources(name, recorded):
                count += 1
                if source not in declared:
                    problems.append(f"{where}: {source!r} is not a declared metric")
                else:
                    families[source] = declared[source]
        allowed = set(TARGET_LABELS)
        for source, family in families.items():
            allowed |= family.labels
            if source.endswith("_bucket"):
                allowed.add("le")
            if "job" in family.labels:  # Prometheus renames a scraped job label
                allowed.add("exported_job")
        text = STRING.sub(lambda m: m.group(0).replace("(", "<").replace(")", ">"), expr)
        for clause in CLAUSE.finditer(text):
            for label in filter(None, (s.strip() for s in clause.group(2).split(","))):
                if label not in allowed:
                    problems.append(f"{where}: label {label!r} of {clause.group(0)!r}")
        for match in MATCHERS.finditer(expr):
            metric, body = match.group(1), match.group(2)
            for label, op, value in MATCHER.findall(body):
                if label not in allowed:
                    problems.append(f"{where}: label {label!r} in {{{body}}}")
                if label == "le":
                    family = declared.get(metric or "")
                    bounds = [floatToGoString(b) for b in (family.buckets if family else ())]
                    pattern = yaml.safe_load(value)  # the PromQL string, unescaped
                    hits = [
                        b
                        for b in bounds
                        if (re.fullmatch(pattern, b) if op == "=~" else b == pattern)
                    ]
                    if not hits:
                        problems.append(f"{where}: le {value} is no bound of {metric}: {bounds}")
    assert count > 50
    assert problems == []


def test_the_name_check_can_fail() -> None:
    declared = _declared()
    assert "http_requests_total" in declared
    assert "http_requests" not in declared
    assert "db_query_duration_seconds_bucket" in declared
    assert "db_query_duration_seconds" not in declared
    assert "db_slow_queries_total" in declared
    assert "process_cpu_seconds_total" in declared
    assert declared["kafka_consumer_lag"].labels == {"topic", "partition", "group"}


def test_dashboard_queries_select_with_the_variables_and_rules_do_not() -> None:
    for where, expr in _expressions():
        if " panel " in where:
            for match in MATCHERS.finditer(expr):
                if match.group(1):
                    assert match.group(2).startswith('job=~"$job", instance=~"$instance"'), where
            plain = STRING.sub('""', expr)
            assert not re.search(r"\[\d+[smhd]\]", plain), f"{where}: a fixed window"
        else:
            assert "$" not in expr, where


def test_quiet_panels_say_what_fills_them() -> None:
    found = contributions()
    values, _ = resolve(found)
    panels = [panel for c in found for row in c.monitoring.rows(values) for panel in row.panels]
    assert any(panel.quiet for panel in panels)
    assert all(panel.quiet.endswith(".") for panel in panels if panel.quiet)


def _github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown`` (a repeated one gets -1, -2...)."""
    seen: dict[str, int] = {}
    anchors = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not line.startswith("#"):
            continue
        text = line.lstrip("#").strip().lower()
        anchor = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def test_every_runbook_anchor_is_a_section_of_the_guide() -> None:
    guide = Path(__file__).parents[2] / "docs" / "observability-guide.md"
    wanted = {alert.runbook for alert in _alerts(_groups())}
    anchors = _github_anchors(guide.read_text())
    assert wanted - anchors == set(), "runbook anchors without a section in the guide"


def test_github_anchors() -> None:
    text = "# Guide\n## HTTP 5xx ratio\n```\n# not a heading\n```\n"
    text += "### Jobs failing\n### Jobs failing\n"
    assert _github_anchors(text) == {"guide", "http-5xx-ratio", "jobs-failing", "jobs-failing-1"}
