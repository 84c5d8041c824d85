"""``axiomod new``'s newcomer path: which axiomod the project installs, no bytecode copied,
a validator that says what it checked, and a CLI that points at ``axiomod new``.

Issue 21 items 2, 9 (the hint) and 10. The adoption test (``test_adoption.py``) does the
same for real from a built wheel; these are the quick checks of each piece.
"""

from __future__ import annotations

import compileall
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from axiomod.devtools import cli
from axiomod.devtools.scaffold import project as scaffold_project
from axiomod.devtools.scaffold import source
from axiomod.devtools.scaffold.project import create_project, main
from axiomod.devtools.validator.naming import NO_MODULES, check_naming
from axiomod.devtools.validator.report import render_json, render_text

REPOSITORY = Path(__file__).resolve().parents[2]


class FakeDistribution:
    def __init__(self, direct_url: dict | None) -> None:
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        if name == "direct_url.json" and self.direct_url is not None:
            return json.dumps(self.direct_url)
        return None  # a .dist-info: METADATA, no PKG-INFO


class LeftoverEggInfo:
    """An ``axiomod.egg-info`` of a build, found first when the checkout is the cwd."""

    def read_text(self, name: str) -> str | None:
        return "Metadata-Version: 2.1\nName: axiomod\n" if name == "PKG-INFO" else None


def installed_as(monkeypatch: pytest.MonkeyPatch, direct_url: dict | None) -> None:
    found = [LeftoverEggInfo(), FakeDistribution(direct_url)]
    monkeypatch.setattr(source, "distributions", lambda name: iter(found))


def make_dry_run(project: Path, target: str = "install") -> str:
    """The commands ``make install`` would run in a fresh venv (``make -n``)."""
    result = subprocess.run(
        ["make", "-n", target, "VENV=.venv-not-there"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout


def project_extras(project: Path) -> set[str]:
    """The extras of every ``axiomod[...]`` requirement of the project's pyproject.toml."""
    data = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    requirements = [*data["dependencies"], *data["optional-dependencies"]["dev"]]
    extras: set[str] = set()
    for requirement in requirements:
        found = re.match(r"axiomod\[([^\]]*)\]", requirement)
        if found:
            extras.update(found.group(1).split(","))
    return extras


# --------------------------------------------------------------------------------------
# Where the running axiomod came from
# --------------------------------------------------------------------------------------


def test_this_checkout_is_an_editable_source():
    """The test run's own axiomod is the editable install of this repository."""
    found = source.installed()
    assert found is not None and Path(found.path) == REPOSITORY
    assert found.is_directory and found.kind == "the checkout"


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (None, None),  # from an index: pip writes no direct_url.json
        ({"url": "file:///src/axiomod", "dir_info": {"editable": True}}, "/src/axiomod"),
        ({"url": "file:///src/axiomod", "dir_info": {}}, "/src/axiomod"),
        (
            {"url": "file:///tmp/w%20s/axiomod-1.3.0-py3-none-any.whl", "archive_info": {}},
            "/tmp/w s/axiomod-1.3.0-py3-none-any.whl",
        ),
        ({"url": "https://example.org/axiomod-1.3.0.tar.gz", "archive_info": {}}, None),
        ({"url": "file:///src/axiomod", "vcs_info": {"vcs": "git"}}, None),
    ],
)
def test_installed_source_from_pips_direct_url(monkeypatch, direct_url, expected):
    installed_as(monkeypatch, direct_url)
    found = source.installed()
    assert (found.path if found else None) == expected


def test_axiomod_from_option(tmp_path):
    assert source.from_option("index") is None
    wheel = tmp_path / "axiomod-1.3.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    assert source.from_option(str(wheel)) == source.AxiomodSource(str(wheel))
    assert source.from_option(str(REPOSITORY)).is_directory
    with pytest.raises(source.SourceError, match=r"has no pyproject\.toml"):
        source.from_option(str(tmp_path))
    with pytest.raises(source.SourceError, match="no such file or directory"):
        source.from_option(str(tmp_path / "missing"))
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(source.SourceError, match="not a checkout directory, wheel"):
        source.from_option(str(tmp_path / "notes.txt"))


# --------------------------------------------------------------------------------------
# What the project records, and what make runs
# --------------------------------------------------------------------------------------


def test_a_local_wheel_is_recorded_and_installed_before_the_project(tmp_path, monkeypatch):
    wheel = tmp_path / "dist" / "axiomod-1.3.0.dev0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"")
    installed_as(monkeypatch, {"url": wheel.as_uri(), "archive_info": {}})
    project = create_project("Wheel Made", output_dir=tmp_path, extra_context={"use_oidc": "y"})

    makefile = (project / "Makefile").read_text()
    assert f"AXIOMOD_SOURCE ?= {wheel}\n" in makefile
    extras = re.search(r"^AXIOMOD_EXTRAS \?= (.*)$", makefile, re.MULTILINE).group(1)
    assert set(extras.split(",")) == project_extras(project) >= {"auth", "scaffold"}
    # The requirement itself stays the index's.
    assert '"axiomod[' in (project / "pyproject.toml").read_text()
    assert "@" not in (project / "pyproject.toml").read_text()

    commands = make_dry_run(project).splitlines()
    first = next(i for i, line in enumerate(commands) if f'"{wheel}[{extras}]"' in line)
    assert " -e " not in commands[first]  # a wheel is installed as it is
    assert commands[first + 1].endswith('pip install --quiet  -e ".[dev]"')

    readme = (project / "README.md").read_text()
    assert f"the wheel `{wheel}`" in readme and "local to this machine" in readme
    assert "make clean test AXIOMOD_SOURCE=" in readme


def test_an_editable_checkout_is_installed_editable(tmp_path, monkeypatch):
    installed_as(monkeypatch, {"url": REPOSITORY.as_uri(), "dir_info": {"editable": True}})
    project = create_project("Checkout Made", output_dir=tmp_path)
    assert f"AXIOMOD_SOURCE ?= {REPOSITORY}\n" in (project / "Makefile").read_text()
    assert f'-e "{REPOSITORY}[' in make_dry_run(project)
    assert f"the checkout `{REPOSITORY}`" in (project / "README.md").read_text()


def test_from_an_index_nothing_but_the_requirement(tmp_path, monkeypatch):
    installed_as(monkeypatch, None)
    project = create_project("Index Made", output_dir=tmp_path)
    assert "AXIOMOD_SOURCE ?=\n" in (project / "Makefile").read_text()
    commands = [line for line in make_dry_run(project).splitlines() if "pip install" in line]
    assert commands[-1].endswith('pip install --quiet  -e ".[dev]"')
    assert not any("axiomod" in line for line in commands)
    readme = (project / "README.md").read_text()
    assert "axiomod comes from the package index" in readme
    assert "local to this machine" not in readme
    # Switching to a local axiomod for one run is a make variable.
    switched = subprocess.run(
        ["make", "-n", "install", "VENV=.venv-not-there", f"AXIOMOD_SOURCE={REPOSITORY}"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f'-e "{REPOSITORY}[' in switched.stdout


def test_axiomod_from_index_overrides_a_local_install(tmp_path, capsys):
    """This run's axiomod is an editable checkout; ``--axiomod-from index`` ignores it."""
    assert main(["Pinned", "--no-input", "-o", str(tmp_path), "--axiomod-from", "index"]) == 0
    assert "AXIOMOD_SOURCE ?=\n" in (tmp_path / "pinned" / "Makefile").read_text()
    assert "installed from" not in capsys.readouterr().out

    assert main(["Local", "--no-input", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"axiomod: installed from {REPOSITORY} (AXIOMOD_SOURCE in the Makefile" in out


def test_axiomod_from_a_bad_path_exits_2_and_writes_nothing(tmp_path, capsys):
    missing = tmp_path / "nowhere.whl"
    code = main(["Bad", "--no-input", "-o", str(tmp_path), "--axiomod-from", str(missing)])
    assert code == 2
    assert f"--axiomod-from {missing}: no such file" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_replay_records_the_source_of_the_axiomod_that_replays(tmp_path):
    first = create_project("Replayed", output_dir=tmp_path / "a", axiomod_from="index")
    again = create_project(
        "", output_dir=tmp_path / "b", replay=first / ".cookiecutter.json", axiomod_from=None
    )
    assert f"AXIOMOD_SOURCE ?= {REPOSITORY}\n" in (again / "Makefile").read_text()
    # The replay file holds the answers only, never a path of this machine.
    assert str(REPOSITORY) not in (first / ".cookiecutter.json").read_text()


# --------------------------------------------------------------------------------------
# No bytecode from the template (item 10)
# --------------------------------------------------------------------------------------


def test_template_bytecode_is_not_copied(tmp_path, monkeypatch):
    """pip compiles the template's .py files when it installs the wheel; none are copied."""
    template = tmp_path / "template"
    shutil.copytree(scaffold_project.TEMPLATE_DIR, template)
    compileall.compile_dir(template, quiet=2)  # what pip does to an installed wheel
    caches = list(template.rglob("__pycache__"))
    assert any("{{cookiecutter.project_slug}}" in str(cache) for cache in caches)
    monkeypatch.setattr(scaffold_project, "TEMPLATE_DIR", template)
    project = create_project("No Bytecode", output_dir=tmp_path / "out")
    assert (project / "manage.py").is_file()
    assert not list(project.rglob("__pycache__")), "template bytecode copied"


# --------------------------------------------------------------------------------------
# The validator on a project without modules (item 10)
# --------------------------------------------------------------------------------------


def test_naming_without_modules_says_there_is_nothing_to_check():
    result = check_naming([])
    assert result.ok and result.note == NO_MODULES and not result.summary
    text = render_text([result])
    assert text.startswith("naming: nothing to check (the project has no modules yet")
    assert "files checked: 0" not in text and "'axiomod generate module NAME'" in text
    assert json.loads(render_json([result]))["checks"][0]["note"] == NO_MODULES


def test_architecture_without_modules_says_there_is_nothing_to_check():
    from axiomod.devtools.validator.architecture import check_architecture
    from axiomod.devtools.validator.rules import DEFAULT_RULES

    result = check_architecture(DEFAULT_RULES, [])
    assert result.ok and result.note == NO_MODULES and not result.summary
    assert render_text([result]).startswith("architecture: nothing to check (the project")


@pytest.mark.integration
def test_validator_on_a_fresh_project(tmp_path):
    project = create_project("Fresh", output_dir=tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXIOMOD_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "axiomod_validate", "run"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "naming: nothing to check (the project has no modules yet" in result.stdout
    assert "files checked: 0, violations" not in result.stdout.split("naming:")[1]


# --------------------------------------------------------------------------------------
# Outside a project, the CLI points at axiomod new (item 9)
# --------------------------------------------------------------------------------------


def test_outside_a_project_the_cli_suggests_axiomod_new(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    assert cli.main(["migrate", "status"]) == 2
    err = capsys.readouterr().err
    assert "not inside a Django project" in err
    assert "create a project with 'axiomod new NAME'" in err
    assert cli.main(["validator", "--help"]) == 0
    assert "'axiomod new NAME' creates one" in capsys.readouterr().out
