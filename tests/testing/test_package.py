"""axiomod.testing as a package: lazy public API, no extra on import, never used at run time."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import axiomod.testing as kit

ROOT = Path(__file__).resolve().parents[2]
#: Modules that only a fixture or a class of the kit may load (they need an extra).
HEAVY = ["grpc", "jwt", "cryptography", "confluent_kafka", "opentelemetry.proto", "pytest"]


def test_every_public_name_resolves_to_its_module():
    assert set(kit.__all__) == set(kit._EXPORTS)
    for name, module in kit._EXPORTS.items():
        value = getattr(kit, name)
        if isinstance(value, type) or callable(value):
            assert value.__module__ == f"axiomod.testing.{module}", name
    assert set(kit.__all__) <= set(dir(kit))


def test_importing_the_kit_loads_no_extra():
    code = (
        "import json, sys\n"
        "import axiomod.testing as kit\n"
        "kit.free_port(); kit.Samples(); kit.ServerProcess; kit.service_unavailable\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert json.loads(out) == []


def test_runtime_code_never_imports_the_kit():
    """Only the kit itself (and tests, bench) import axiomod.testing."""
    offenders = []
    packages = [ROOT / "axiomod", *ROOT.glob("axiomod_*")]
    for package in packages:
        for path in package.rglob("*.py"):
            if "testing" in path.relative_to(ROOT).parts[:2] or "project_template" in str(path):
                continue
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(n == "axiomod.testing" or n.startswith("axiomod.testing.") for n in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_bench_never_imports_tests():
    offenders = []
    for path in (ROOT / "bench").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(n == "tests" or n.startswith("tests.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
