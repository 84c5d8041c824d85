"""Domain rules for a framework laid out like axiomod: nested modules and public packages.

A kernel package holds a nested module (its tooling) that runtime code must not import, and
apps may import one another's package ``__init__`` but not their internals. Two things in
the rules make that expressible: a module nested in another is a module of its own (a
rule naming ``krn`` does not name ``krn/tools``), and a target ending in ``/__init__``
allows the module's package itself only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from axiomod.devtools.validator import ProjectModule, check_architecture, parse_rules

# Top-level names no other test or package uses: grimp finds packages on sys.path by name.
TREE = {
    "krn/__init__.py": "",
    "krn/core.py": "import app_a  # planted: the kernel imports an app\n",
    "krn/errors.py": "",
    "krn/uses_tools.py": "import krn.tools.gen  # planted: runtime imports the tooling\n",
    "krn/tools/__init__.py": "",
    "krn/tools/gen.py": "import app_a.internal\nimport krn.core\n",
    "app_a/__init__.py": "from krn.errors import *\n",
    "app_a/internal.py": "import krn.core\n",
    "app_a/peeks.py": "import krn.tools  # planted: an app imports the tooling\n",
    "app_b/__init__.py": "import app_a\nfrom app_a import internal as _  # planted: internals\n",
    "app_b/views.py": "from app_a import *\n",
}
PLANTED = {
    ("krn.core", "app_a"),
    ("krn.uses_tools", "krn.tools.gen"),
    ("app_a.peeks", "krn.tools"),
    ("app_b", "app_a.internal"),
}
RULES = {
    "domainRules": {
        "allowedCrossDomainImports": [
            {"source": "app_*", "target": "krn", "explanation": "apps use the kernel"},
            {"source": "app_*", "target": "app_*/__init__", "explanation": "public packages"},
            {"source": "krn/tools", "target": "*", "explanation": "tooling uses anything"},
        ]
    }
}


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    root = tmp_path_factory.mktemp("nested")
    for name, text in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        yield [
            ProjectModule(name, root / name.replace(".", "/"))
            for name in ("krn", "krn.tools", "app_a", "app_b")
        ]


def found(rules: dict, modules: list[ProjectModule]) -> set[tuple[str, str]]:
    result = check_architecture(parse_rules(rules), modules)
    assert result.error is None
    assert {finding.category for finding in result.findings} <= {"cross-module"}
    return {(finding.source, finding.target) for finding in result.findings}


def test_the_planted_imports_and_only_they_are_reported(modules):
    assert found(RULES, modules) == PLANTED


def test_a_rule_naming_the_outer_module_does_not_name_the_nested_one(modules):
    # "krn" is the kernel only; "krn*" (or "krn/tools") names the nested module too.
    rules = {"domainRules": {"allowedCrossDomainImports": [
        *RULES["domainRules"]["allowedCrossDomainImports"],
        {"source": "app_*", "target": "krn*"},
    ]}}  # fmt: skip
    assert found(rules, modules) == PLANTED - {("app_a.peeks", "krn.tools")}


def test_a_target_without_init_allows_the_internals_too(modules):
    rules = {"domainRules": {"allowedCrossDomainImports": [
        *RULES["domainRules"]["allowedCrossDomainImports"],
        {"source": "app_b", "target": "app_a"},
    ]}}  # fmt: skip
    assert found(rules, modules) == PLANTED - {("app_b", "app_a.internal")}


def test_a_path_above_the_modules_still_names_them_all():
    # No nesting: "shopproj" is no module, and names shopproj/billing as it always did.
    fixtures = Path(__file__).parent / "fixtures"
    names = ("shopproj.orders", "shopproj.billing", "shopproj.shipping")
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(fixtures))
        modules = [ProjectModule(name, fixtures / name.replace(".", "/")) for name in names]
        base = {"allowedDependencies": {"entity": []}}
        cross = {"domainRules": {"allowedCrossDomainImports": [
            {"source": "shipping", "target": "shopproj"},
        ]}}  # fmt: skip
        before = check_architecture(parse_rules(base), modules).findings
        after = check_architecture(parse_rules({**base, **cross}), modules).findings
    shipping = "shopproj.shipping.usecase.ship"
    assert [f.target for f in before if f.source == shipping] == ["shopproj.billing.entity.invoice"]
    assert not [f for f in after if f.source == shipping]
    assert [f for f in after if f.source != shipping] == [f for f in before if f.source != shipping]
