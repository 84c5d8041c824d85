"""The validator on a project that cannot be imported.

The most natural layer violation, an entity importing its module's delivery layer at
module level, makes an import cycle: ``django.setup()`` dies with ``ImportError: cannot
import name ... from partially initialized module``. The architecture and naming checks
are static (grimp and ruff read the files), so ``axiomod validator`` still reports the
violation with its file and line and exits 1; the Django-checks part reports the import
failure as a finding of its own, without a traceback.
"""

from __future__ import annotations

import json

import pytest

from tests.scaffold.project import Project

ENTITY = "shop/orders/entity/order.py"
CYCLE = "from shop.orders.delivery.http.views import order_to_json"
BAD_NAME = "\n\ndef ToJson(order):  # a naming violation too\n    return order_to_json(order)\n"
CANNOT_IMPORT = (
    "the project cannot be imported: ImportError: cannot import name 'NewOrder' from "
    "partially initialized module 'shop.orders.entity' (most likely due to a circular import)"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("unimportable") / "shop-project")
    done = project.axiomod("generate", "module", "-n", "orders")
    assert done.returncode == 0, done.stderr
    project.install("orders")
    entity = project.root / ENTITY
    text = entity.read_text()
    assert "from datetime import datetime\n" in text
    entity.write_text(
        text.replace(
            "from datetime import datetime\n", f"from datetime import datetime\n\n{CYCLE}\n"
        )
        + BAD_NAME
    )
    return project


def cycle_line(project: Project) -> int:
    lines = (project.root / ENTITY).read_text().splitlines()
    return lines.index(CYCLE) + 1


def test_the_project_really_cannot_be_set_up(project):
    done = project.manage("check")
    assert done.returncode == 1
    assert "ImportError: cannot import name 'NewOrder'" in done.stderr


def test_run_reports_the_layer_violation_and_the_import_failure(project):
    done = project.axiomod("validator", "run")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    violation = (
        f"{ENTITY}:{cycle_line(project)}: shop.orders.entity.order imports "
        "shop.orders.delivery.http.views (not allowed)"
    )
    assert violation in out
    assert "architecture: FAILED" in out
    assert f"{ENTITY}:" in out.split("naming: FAILED", 1)[1]  # ToJson
    assert "django checks: FAILED" in out
    assert CANNOT_IMPORT in out
    assert "migrations: FAILED" in out
    assert "not run: the project cannot be imported" in out
    assert "Traceback" not in out + done.stderr
    assert done.stderr.strip() == (
        "CommandError: validation failed: architecture, naming, django checks, migrations"
    )


@pytest.mark.parametrize(
    ("check", "expected"),
    [("architecture", "shop.orders.delivery.http.views (not allowed)"), ("naming", "ToJson")],
)
def test_the_static_checks_alone_report_and_exit_1(project, check, expected):
    done = project.axiomod("validator", check)
    assert done.returncode == 1, done.stdout + done.stderr
    assert expected in done.stdout
    assert f"{ENTITY}:" in done.stdout
    assert "cannot be imported" not in done.stdout  # not their business
    assert "Traceback" not in done.stdout + done.stderr


def test_json_report_holds_the_import_failure_as_a_finding(project):
    done = project.axiomod("validator", "run", "--json")
    assert done.returncode == 1, done.stderr
    checks = {check["name"]: check for check in json.loads(done.stdout)["checks"]}
    [finding] = checks["django checks"]["findings"]
    assert finding["category"] == "cannot-import"
    assert finding["message"].startswith(CANNOT_IMPORT)
    # Where the import failed: the line of the import that could not complete.
    assert finding["path"].endswith("django_repository.py")
    assert finding["line"] > 0
    assert checks["architecture"]["findings"][0]["category"] == "layer"


def test_an_importable_project_is_unchanged(project, tmp_path):
    """The same project with the cycle removed: set up normally, every check passes
    except the naming violation, and the Django checks and migrations run for real."""
    fixed = Project(tmp_path / "fixed")
    done = fixed.axiomod("generate", "module", "-n", "orders")
    assert done.returncode == 0, done.stderr
    fixed.install("orders")
    done = fixed.axiomod("validator", "run")
    assert done.returncode == 0, done.stdout + done.stderr
    for line in ("architecture: ok", "naming: ok", "django checks: ok", "migrations: ok"):
        assert line in done.stdout


def test_modules_from_settings_imports_nothing(tmp_path, monkeypatch):
    """INSTALLED_APPS entries resolved to the project's packages from the files alone: a
    package whose ``__init__`` raises is still found, an AppConfig path gives the ``name``
    its class sets (else the package holding it), and dependencies are left out."""
    from axiomod.devtools.validator.runner import modules_from_settings

    files = {
        "proj/__init__.py": "raise ImportError('never imported')\n",
        "proj/alpha/__init__.py": "raise ImportError('never imported')\n",
        "proj/beta/__init__.py": "",
        "proj/beta/apps.py": (
            "from django.apps import AppConfig\n\n\nclass BetaConfig(AppConfig):\n"
            '    name = "proj.beta"\n    label = "b"\n'
        ),
        "proj/gamma/__init__.py": "",
        "proj/gamma/apps.py": "class GammaConfig:\n    name = NAME\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    installed = [
        "django.contrib.contenttypes",  # site-packages
        "axiomod_health",  # the framework
        "proj.alpha",
        "proj.beta.apps.BetaConfig",
        "proj.gamma.apps.GammaConfig",
        "missing_app",
    ]
    modules = modules_from_settings(tmp_path, installed)
    assert [(module.name, module.path) for module in modules] == [
        ("proj.alpha", tmp_path / "proj" / "alpha"),
        ("proj.beta", tmp_path / "proj" / "beta"),
        ("proj.gamma", tmp_path / "proj" / "gamma"),
    ]


def test_django_checks_report_a_urlconf_that_cannot_be_imported(tmp_path, monkeypatch, settings):
    """Set-up succeeded but ``check`` imports the URLconf, which fails: a finding at the
    failing line, not a traceback out of the validator."""
    from axiomod.devtools.validator import check_django

    (tmp_path / "broken_urls_for_validator.py").write_text(
        '"""URLs."""\n\nfrom no_such_package_anywhere import views  # noqa: F401\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.ROOT_URLCONF = "broken_urls_for_validator"
    result = check_django()
    [finding] = result.findings
    assert finding.category == "cannot-import"
    assert finding.path.endswith("broken_urls_for_validator.py")
    assert finding.line == 3
    assert finding.message == (
        "the project cannot be imported: ModuleNotFoundError: No module named "
        "'no_such_package_anywhere'"
    )
    assert not result.ok


def test_settings_that_cannot_be_imported_are_reported_without_a_traceback(tmp_path):
    broken = Project(tmp_path / "broken")
    settings = broken.root / "shop" / "settings.py"
    settings.write_text(settings.read_text() + "import no_such_settings_dependency\n")
    line = len(settings.read_text().splitlines())
    done = broken.axiomod("validator", "run")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert (
        f"shop/settings.py:{line}: the project cannot be imported: ModuleNotFoundError: "
        "No module named 'no_such_settings_dependency'"
    ) in done.stdout
    assert "error: the project's modules are unknown: its settings cannot be imported" in (
        done.stdout
    )
