"""The rule file: Prometheus' shape, accepted by the real ``promtool``, the same bytes every time.

``promtool check rules`` (Debian's prometheus package) runs on a small contribution of
this file's own and on the installed apps' real rules; the YAML emitter is checked
against PyYAML's reading of what it writes, for hand-picked and generated strings.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from axiomod.observability import (
    Alert,
    Contribution,
    Monitoring,
    Parameter,
    Recording,
    RuleGroup,
    contributions,
    resolve,
)
from axiomod.observability.export import render
from axiomod.observability.rules import rule_file, runbook, to_yaml

BASE = "https://runbooks.example/guide.md"
LIMIT = Parameter("probe_limit", 10, "Errors per second that page.", min=0)


def _probe_rules(params):
    yield RuleGroup(
        "probe-recording",
        (
            Recording("job:probe_errors:rate5m", "sum by (job) (rate(probe_errors_total[5m]))"),
            Recording(
                "job:probe_total:rate5m",
                "sum by (job) (rate(probe_total[5m]))",
                labels={"team": "core"},
            ),
        ),
        interval="30s",
    )
    yield RuleGroup(
        "probe-alerts",
        (
            Alert(
                "ProbeErrors",
                f"job:probe_errors:rate5m > {params['probe_limit']}",
                summary="{{ $labels.job }} fails probes",
                description="It's failing: {{ $value | humanize }}/s\n(threshold "
                f"{params['probe_limit']}).",
                runbook="probe-errors",
                for_="10m",
                severity="page",
                labels={"team": "core"},
            ),
            Alert(
                "ProbeSilent",
                "absent(probe_total)\nor\nsum(rate(probe_total[5m])) == 0",
                summary="no probes",
                description="none",
                runbook="probe-silent",
            ),
        ),
    )


PROBE = [Contribution("probe_app", Monitoring("Probe", parameters=(LIMIT,), rules=_probe_rules))]


def check_rules(promtool: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )


def test_the_shape_of_each_rule():
    data = rule_file(PROBE, {"probe_limit": 4}, BASE)
    recording, alerts = data["groups"]
    assert recording == {
        "name": "probe-recording",
        "interval": "30s",
        "rules": [
            {
                "record": "job:probe_errors:rate5m",
                "expr": "sum by (job) (rate(probe_errors_total[5m]))",
            },
            {
                "record": "job:probe_total:rate5m",
                "expr": "sum by (job) (rate(probe_total[5m]))",
                "labels": {"team": "core"},
            },
        ],
    }
    assert "interval" not in alerts
    errors, silent = alerts["rules"]
    assert errors == {
        "alert": "ProbeErrors",
        "expr": "job:probe_errors:rate5m > 4",
        "for": "10m",
        "labels": {"severity": "page", "team": "core"},
        "annotations": {
            "summary": "{{ $labels.job }} fails probes",
            "description": "It's failing: {{ $value | humanize }}/s\n(threshold 4).",
            "runbook_url": f"{BASE}#probe-errors",
        },
    }
    assert silent["for"] == "5m" and silent["labels"] == {"severity": "ticket"}


def test_the_file_reads_back_as_the_data_and_passes_promtool(tmp_path, promtool):
    data = rule_file(PROBE, {"probe_limit": 4}, BASE)
    text = to_yaml(data, "# a header\n")
    assert text.startswith("# a header\ngroups:\n")
    assert yaml.safe_load(text) == data
    assert "expr: |-\n" in text, "a multi-line expression is a literal block"
    path = tmp_path / "rules.yml"
    path.write_text(text)
    result = check_rules(promtool, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


def test_promtool_rejects_what_it_should(tmp_path, promtool):
    """The check can fail: a broken expression in the same file is refused."""
    data = rule_file(PROBE, {"probe_limit": 4}, BASE)
    data["groups"][0]["rules"][0]["expr"] = "sum by (job (rate(x[5m]))"
    path = tmp_path / "rules.yml"
    path.write_text(to_yaml(data))
    result = check_rules(promtool, path)
    assert result.returncode != 0
    assert '"job:probe_errors:rate5m": could not parse expression' in (
        result.stdout + result.stderr
    )


def test_the_installed_apps_rules_pass_promtool(tmp_path, promtool):
    from django.conf import settings as django_settings

    files = render(django_settings.INSTALLED_APPS, "invoices")
    (rules_path,) = [p for p in files if p.startswith("prometheus/")]
    assert rules_path == "prometheus/invoices-rules.yml"
    path = tmp_path / "rules.yml"
    path.write_text(files[rules_path])
    result = check_rules(promtool, path)
    assert result.returncode == 0, result.stdout + result.stderr

    found = contributions(django_settings.INSTALLED_APPS)
    params, _ = resolve(found)
    declared = [rule for c in found for group in c.monitoring.rules(params) for rule in group.rules]
    assert declared, "the apps declare rules"
    assert f"SUCCESS: {len(declared)} rules found" in result.stdout
    data = yaml.safe_load(files[rules_path])
    alerts = [r for g in data["groups"] for r in g["rules"] if "alert" in r]
    assert alerts
    for alert in alerts:
        assert alert["labels"]["severity"] in {"page", "ticket"}
        assert alert["annotations"]["runbook_url"].startswith(
            "https://github.com/axiomod/axiomod-django/blob/main/docs/observability-guide.md#"
        )
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]


def test_two_groups_of_one_name_are_refused():
    twice = [*PROBE, Contribution("other_app", Monitoring("Other", rules=_probe_rules))]
    with pytest.raises(ValueError, match="'probe-recording' is declared by 'probe_app' and again"):
        rule_file(twice, {"probe_limit": 1}, BASE)


@pytest.mark.parametrize(
    ("base", "url"),
    [
        (BASE, f"{BASE}#x"),
        (f"{BASE}#old", f"{BASE}#x"),
        ("https://wiki.example/runbooks/", "https://wiki.example/runbooks/#x"),
    ],
)
def test_runbook_links(base, url):
    assert runbook(base, "x") == url


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "job:http:rate5m",
        "ends:",
        "5m",
        "1h30m",
        "0.999",
        "1e3",
        "true",
        "No",
        "null",
        "~",
        " leading",
        "trailing ",
        "it's",
        '{"quoted": "json"}',
        "# comment",
        "- dash",
        "a: b",
        "tab\there",
        "a\nb",
        "a\n\n  indented\nc",
        "\nleading newline",
        "trailing newline\n",
        "é ü 漢字 😀",
        "\x85 next line",
        "\u2028 separator",
        "\x00\x07\x1b",
        'back\\slash"quote',
    ],
)
def test_yaml_strings_read_back_unchanged(text):
    data = {"k": text, "list": [{"a": text, text or "empty": [text]}], "empty": {}}
    assert yaml.safe_load(to_yaml(data)) == data


@settings(max_examples=400, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_yaml_any_string_reads_back_unchanged(text):
    data = {"groups": [{"name": text, "rules": [{"expr": text, "labels": {text: text}}]}]}
    assert yaml.safe_load(to_yaml(data)) == data


def test_yaml_numbers_and_booleans():
    data = {"i": 3, "f": 0.999, "big": 14400, "neg": -1.5, "t": True, "n": None, "e": []}
    assert yaml.safe_load(to_yaml(data)) == data
