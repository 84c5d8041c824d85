"""The repository's own rules file, ``architecture.json``: the directions of issue #20.

The kernel (``axiomod`` without its composition root ``axiomod.process``, its tooling
``axiomod.devtools`` and its test kit ``axiomod.testing``, each a module of its own) imports
no app; runtime code (the kernel, the composition root and the apps) imports neither the
tooling nor the test kit; an app imports another app's package ``__init__`` only; ``bench``
never imports ``tests``. The file is not named ``architecture-rules.json`` on purpose: the
example project's validator (run from this same directory) keeps the built-in defaults.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from axiomod.devtools.validator import render_text, validate

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "architecture.json"
#: The parts of ``axiomod`` that are modules of their own, apart from the kernel.
NESTED = ("axiomod.devtools", "axiomod.process", "axiomod.testing")


def repository_packages(root: Path = ROOT) -> list[str]:
    """What ``axiomod validator architecture`` is run on: the kernel, its parts, every app."""
    apps = sorted(path.parent.name for path in root.glob("axiomod_*/__init__.py"))
    return ["axiomod", *NESTED, *apps, "bench", "tests"]


def package_arguments(packages: list[str]) -> list[str]:
    return [argument for name in packages for argument in ("--package", name)]


def test_the_repository_holds_its_own_rules():
    packages = repository_packages()
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    (result,) = validate(
        "architecture", config=RULES, packages=[name for name in packages if name not in missing]
    )
    report = f"packages the rules expect but missing: {missing}\n{render_text([result])}"
    assert not missing and result.ok, report


# The validator runs on a copy, in a child process: grimp finds packages by name, and
# in this process those names are the repository's own.
SCRIPT = """
import json
import sys
from pathlib import Path

import axiomod
from axiomod.devtools.validator import check_architecture, load_rules, modules_from_names

assert Path(axiomod.__file__).resolve().is_relative_to(Path.cwd().resolve()), axiomod.__file__
result = check_architecture(load_rules(sys.argv[1]), modules_from_names(sys.argv[2:]))
print(json.dumps([[f.path, f.line, f.source, f.target, f.category] for f in result.findings]))
"""


def findings_in(root: Path, packages: list[str]) -> set[tuple[str, int, str, str, str]]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(RULES), *packages],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return {tuple(finding) for finding in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A copy of the kernel and the apps, with three violations and one allowed import planted."""
    root = tmp_path_factory.mktemp("repository")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ["axiomod", *(path.parent.name for path in ROOT.glob("axiomod_*/__init__.py"))]:
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    plants = {
        "axiomod/planted.py": "import axiomod_health  # the kernel imports an app\n",
        "axiomod_jobs/planted.py": "from axiomod_metrics import registry  # app internals\n",
        "axiomod_health/planted.py": "\nimport axiomod.devtools.scaffold  # runtime -> tooling\n",
        "axiomod_auth/planted.py": "import axiomod_metrics  # allowed: an app's public package\n",
    }
    for name, text in plants.items():
        (root / name).write_text(text)
    packages = [
        name for name in repository_packages(root) if (root / name.replace(".", "/")).is_dir()
    ]
    return findings_in(root, packages)


def test_the_kernel_importing_an_app_fails_naming_it(planted):
    assert ("axiomod/planted.py", 1, "axiomod.planted", "axiomod_health", "cross-module") in planted


def test_an_app_importing_another_apps_internals_fails_naming_it(planted):
    finding = ("axiomod_jobs/planted.py", 1, "axiomod_jobs.planted", "axiomod_metrics.registry")
    assert (*finding, "cross-module") in planted


def test_an_app_importing_the_tooling_fails_naming_it(planted):
    finding = ("axiomod_health/planted.py", 2, "axiomod_health.planted")
    assert (*finding, "axiomod.devtools.scaffold", "cross-module") in planted


def test_an_app_importing_another_apps_package_is_allowed(planted):
    assert not [finding for finding in planted if finding[2] == "axiomod_auth.planted"]


def test_the_command_line_reads_the_rules_file():
    # What `make test` will run; exit 1 (violations) or 0, never 2 (a bad file or package).
    from django.core.management import call_command
    from django.core.management.base import CommandError

    packages = [name for name in repository_packages() if importlib.util.find_spec(name)]
    out = io.StringIO()
    arguments = ["architecture", "--config", str(RULES), *package_arguments(packages)]
    try:
        call_command("axiomod_validate", *arguments, stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    assert code in (0, 1)
    assert f"rules: {RULES}" in out.getvalue()
