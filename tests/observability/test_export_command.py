"""``manage.py axiomod_observability export|parameters`` on the example project's apps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from axiomod.observability import contributions

ROOT = Path(__file__).resolve().parents[2]
FILES = (
    "grafana/invoices-overview.json",
    "grafana/invoices-components.json",
    "prometheus/invoices-rules.yml",
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("axiomod_observability", *args, stdout=out)
    return out.getvalue()


def declared():
    """Every declared parameter of the installed apps, by name, with its package."""
    return {p.name: (c.package, p) for c in contributions() for p in c.monitoring.parameters}


def another_value(parameter):
    """A valid value of ``parameter`` other than its default."""
    default = parameter.default
    for value in (default * 2, default / 2, default + 1, default - 1, default + 0.001):
        if value != default and parameter.problem(value) is None:
            return value
    raise AssertionError(f"no other value for {parameter.name}")


def some_parameter():
    name, (_, parameter) = sorted(declared().items())[0]
    return name, parameter


def axiomod(**observability):
    return override_settings(AXIOMOD={**settings.AXIOMOD, "observability": observability})


def test_export_writes_the_three_files(tmp_path):
    output = run("export", "--output", str(tmp_path))
    for relative in FILES:
        assert (tmp_path / relative).is_file(), relative
        assert f"Wrote {tmp_path / relative} (" in output
    overview = json.loads((tmp_path / FILES[0]).read_text())
    assert overview["title"] == "invoices overview"
    assert overview["uid"] == "invoices-overview"
    rules = yaml.safe_load((tmp_path / FILES[2]).read_text())
    assert rules["groups"]
    panels = sum(1 for p in overview["panels"] if p["type"] != "row")
    assert f"invoices-overview.json ({panels} panels)" in output


def test_export_twice_gives_the_same_bytes(tmp_path):
    run("export", "--output", str(tmp_path / "a"))
    run("export", "--output", str(tmp_path / "b"))
    for relative in FILES:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()


def test_check_passes_on_current_files_and_fails_on_stale_ones(tmp_path):
    with pytest.raises(CommandError) as missing:
        run("export", "--output", str(tmp_path), "--check")
    assert missing.value.returncode == 1
    assert not (tmp_path / "grafana").exists(), "--check writes nothing"

    run("export", "--output", str(tmp_path))
    assert "up to date" in run("export", "--output", str(tmp_path), "--check")

    rules = tmp_path / FILES[2]
    rules.write_text(rules.read_text().replace("severity: page", "severity: ticket", 1))
    (tmp_path / FILES[1]).unlink()
    out = StringIO()
    with pytest.raises(CommandError) as stale:
        call_command(
            "axiomod_observability", "export", "--output", str(tmp_path), "--check", stdout=out
        )
    assert stale.value.returncode == 1
    message = str(stale.value)
    assert "2 of 3 files" in message and FILES[1] in message and FILES[2] in message
    assert "axiomod_observability export" in message
    shown = out.getvalue()
    assert f"missing: {tmp_path / FILES[1]}" in shown
    assert "-          severity: ticket" in shown and "+          severity: page" in shown


def test_check_sees_a_changed_parameter(tmp_path):
    name, parameter = some_parameter()
    run("export", "--output", str(tmp_path))
    value = another_value(parameter)
    with pytest.raises(CommandError):
        run("export", "--output", str(tmp_path), "--check", "--set", f"{name}={value}")
    with axiomod(parameters={name: value}):
        with pytest.raises(CommandError):
            run("export", "--output", str(tmp_path), "--check")
        run("export", "--output", str(tmp_path))
        assert "up to date" in run("export", "--output", str(tmp_path), "--check")


def test_set_and_settings_parameters_reach_the_rules(tmp_path):
    name, parameter = some_parameter()
    value = another_value(parameter)
    run("export", "--output", str(tmp_path / "set"), "--set", f"{name}={value}")
    assert f"#   {name} = {value!r}\n" in (tmp_path / "set" / FILES[2]).read_text()
    with axiomod(parameters={name: value}):
        run("export", "--output", str(tmp_path / "settings"))
    assert (tmp_path / "set" / FILES[2]).read_text() == (
        tmp_path / "settings" / FILES[2]
    ).read_text()
    # --set wins over the settings.
    with axiomod(parameters={name: value}):
        run("export", "--output", str(tmp_path / "both"), "--set", f"{name}={parameter.default}")
    assert f"#   {name} = {parameter.default!r}\n" in (tmp_path / "both" / FILES[2]).read_text()


def test_runbook_url_from_settings(tmp_path):
    with axiomod(runbook_url="https://wiki.example/ops/axiomod"):
        run("export", "--output", str(tmp_path))
    rules = yaml.safe_load((tmp_path / FILES[2]).read_text())
    urls = [
        r["annotations"]["runbook_url"] for g in rules["groups"] for r in g["rules"] if "alert" in r
    ]
    assert urls and all(u.startswith("https://wiki.example/ops/axiomod#") for u in urls)


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("{name}x=1", "'{name}x' is not a parameter of any installed app's rules; did you mean"),
        ("{name}=high", "'{name}': expected a number, got str 'high'"),
        ("{name}=nan", "'{name}': expected a number, got str 'nan'"),
        ("{name}=-1e12", "'{name}': -1000000000000.0 is below the minimum"),
    ],
)
def test_a_bad_set_names_the_parameter(tmp_path, assignment, expected):
    name, parameter = some_parameter()
    if parameter.min is None and "minimum" in expected:
        pytest.skip(f"{name} has no minimum")
    with pytest.raises(CommandError) as error:
        run("export", "--output", str(tmp_path), "--set", assignment.format(name=name))
    assert error.value.returncode == 2
    assert expected.format(name=name) in str(error.value)
    assert "axiomod_observability parameters" in str(error.value)
    assert not (tmp_path / "grafana").exists(), "nothing written"


def test_a_bad_setting_is_refused_the_same_way(tmp_path):
    with axiomod(parameters={"no_such_parameter": 1}), pytest.raises(CommandError) as error:
        run("export", "--output", str(tmp_path))
    assert error.value.returncode == 2
    assert 'AXIOMOD["observability"]["parameters"]' in str(error.value)
    assert "'no_such_parameter' is not a parameter" in str(error.value)


def test_set_without_equals_is_a_usage_error(tmp_path):
    with pytest.raises(CommandError, match="expected NAME=VALUE, got 'oops'"):
        run("export", "--output", str(tmp_path), "--set", "oops")


def test_an_output_that_is_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "deploy"
    blocker.write_text("not a directory")
    with pytest.raises(CommandError, match=f"cannot write to {blocker}") as error:
        run("export", "--output", str(blocker))
    assert error.value.returncode == 2


def test_parameters_lists_every_parameter():
    params = declared()
    assert params, "the installed apps declare parameters"
    lines = run("parameters").splitlines()
    assert lines[0].split() == ["NAME", "VALUE", "DEFAULT", "APP", "DOC"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == set(params)
    for name, (package, parameter) in params.items():
        cells = rows[name].split()
        assert cells[1] == cells[2] == str(parameter.default)
        assert cells[3] == package
        assert rows[name].endswith(parameter.doc)


def test_parameters_show_the_values_in_force():
    name, parameter = some_parameter()
    value = another_value(parameter)
    with axiomod(parameters={name: value}):
        listed = json.loads(run("parameters", "--json"))
    (row,) = [r for r in listed if r["name"] == name]
    assert row["value"] == value and row["default"] == parameter.default
    assert set(row) == {"name", "value", "default", "app", "doc"}
    (row,) = [
        r
        for r in json.loads(run("parameters", "--json", "--set", f"{name}={parameter.default}"))
        if r["name"] == name
    ]
    assert row["value"] == parameter.default
    with pytest.raises(CommandError, match="is not a parameter"):
        run("parameters", "--set", "nope=1")


def test_from_the_command_line_errors_are_one_line_and_exit_codes_mean_something(tmp_path):
    """Through manage.py: exit 2 for a bad parameter, 1 for stale files, no traceback."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example.settings"}

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "axiomod_observability", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    bad = manage("export", "--output", str(tmp_path), "--set", "no_such_thing=1")
    assert bad.returncode == 2
    assert "'no_such_thing' is not a parameter" in bad.stderr
    assert "Traceback" not in bad.stderr
    stale = manage("export", "--output", str(tmp_path), "--check")
    assert stale.returncode == 1
    assert "missing: " in stale.stdout and "Traceback" not in stale.stderr
    assert manage("export", "--output", str(tmp_path)).returncode == 0
    assert manage("export", "--output", str(tmp_path), "--check").returncode == 0


def test_without_the_sdk_the_error_says_what_to_install(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m.startswith("grafana_foundation_sdk")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "grafana_foundation_sdk", None)  # not importable
    with pytest.raises(CommandError, match="pip install grafana-foundation-sdk") as error:
        run("export", "--output", str(tmp_path))
    assert error.value.returncode == 2
