"""``axiomod_validate architecture``: planted violations are found, with file and line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from axiomod.devtools.validator import (
    DEFAULT_RULES,
    check_architecture,
    load_rules,
    modules_from_names,
)

FIXTURES = Path(__file__).parent / "fixtures"
RULES = FIXTURES / "rules.json"
PACKAGES = ["shopproj.orders", "shopproj.billing", "shopproj.shipping"]


@pytest.fixture(autouse=True)
def fixture_project_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES))


def validate(*args: str) -> tuple[int, str]:
    """Run the command as a user would; return its exit code and its stdout."""
    out = io.StringIO()
    package_args = [arg for name in PACKAGES for arg in ("--package", name)]
    try:
        call_command("axiomod_validate", *args, *package_args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def violations(result) -> set[tuple[str, str, str]]:
    return {(f.source, f.target, f.category) for f in result.findings}


def test_rules_file_reports_each_planted_violation_with_its_line():
    code, out = validate("architecture", "--config", str(RULES))
    assert code == 1
    prefix = "tests/validator/fixtures/shopproj"
    assert (
        f"{prefix}/orders/entity/order.py:3: shopproj.orders.entity.order imports "
        "shopproj.orders.delivery.views (not allowed)" in out
    )
    assert (
        f"{prefix}/orders/usecase/place_order.py:4: shopproj.orders.usecase.place_order imports "
        "shopproj.orders.infrastructure.db (not allowed)" in out
    )
    assert (
        f"{prefix}/shipping/usecase/ship.py:3: shopproj.shipping.usecase.ship imports "
        "shopproj.billing.entity.invoice (not allowed)" in out
    )
    assert (
        f"{prefix}/orders/entity/pricing.py:3: shopproj.orders.entity.pricing imports "
        "shopproj.common.clock (not allowed)" in out
    )
    assert "by category: cross-module: 1, layer: 2, pattern: 1" in out
    assert "violations: 4" in out


def test_rules_file_allowances_suppress_what_the_defaults_report():
    modules = modules_from_names(PACKAGES)
    with_file = violations(check_architecture(load_rules(RULES), modules))
    with_defaults = violations(check_architecture(DEFAULT_RULES, modules))
    allowed_by_file = {
        # exceptions: "usecase/legacy_"
        ("shopproj.orders.usecase.legacy_import", "shopproj.orders.delivery.views", "layer"),
        # patternRules: entities may import shopproj/common/money
        ("shopproj.orders.entity.pricing", "shopproj.common.money", "pattern"),
        # domainRules.allowedCrossDomainImports: billing -> orders
        ("shopproj.billing.usecase.bill_order", "shopproj.orders.entity.order", "cross-module"),
    }
    assert with_defaults - with_file == allowed_by_file
    assert with_file < with_defaults


def test_container_and_allowed_layers_are_not_reported():
    result = check_architecture(DEFAULT_RULES, modules_from_names(PACKAGES))
    sources = {f.source for f in result.findings}
    assert "shopproj.orders.container" not in sources  # the composition root is an exception
    assert "shopproj.orders.delivery.views" not in sources  # delivery -> usecase, container
    assert "shopproj.orders.infrastructure.db" not in sources  # infrastructure -> entity


def test_cross_domain_dependencies_can_be_allowed_wholesale():
    from axiomod.devtools.validator import parse_rules

    rules = parse_rules({"domainRules": {"allowCrossDomainDependencies": True}})
    result = check_architecture(rules, modules_from_names(PACKAGES))
    assert not [f for f in result.findings if f.category == "cross-module"]


def test_json_report_for_ci():
    code, out = validate("architecture", "--config", str(RULES), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    (architecture,) = report["checks"]
    assert architecture["name"] == "architecture"
    assert architecture["violations_by_category"] == {"cross-module": 1, "layer": 2, "pattern": 1}
    assert architecture["summary"]["files_checked"] == 18
    finding = next(f for f in architecture["findings"] if f["category"] == "cross-module")
    assert finding["path"].endswith("shopproj/shipping/usecase/ship.py")
    assert finding["line"] == 3
    assert finding["target"] == "shopproj.billing.entity.invoice"


def test_example_service_passes_with_the_builtin_defaults():
    # The example project has no rules file, so the defaults apply.
    out = io.StringIO()
    call_command("axiomod_validate", "architecture", stdout=out)
    text = out.getvalue()
    assert "architecture: ok (rules: built-in defaults" in text
    assert "modules: 1" in text


def test_example_module_is_discovered_and_axiomod_itself_is_not():
    from axiomod.devtools.validator import discover_modules

    assert [module.name for module in discover_modules()] == ["example.invoices"]
