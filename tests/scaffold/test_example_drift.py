"""The example's invoices module is the module template, extended: the two never drift.

``generate module --name invoices`` into a scratch copy of the example's package must
produce nothing the example lacks (the layout is the template's), and the files the
example never needed to extend must be byte-identical to what the template writes today.
The rest (entity fields, rules, extra use cases, metrics) is the example's extension.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from axiomod.devtools.scaffold import generate_module
from tests.servers import ROOT

EXAMPLE = Path(ROOT) / "example" / "invoices"

#: Generated files the example keeps exactly as generated.
AS_GENERATED = [
    "__init__.py",
    "apps.py",
    "models.py",
    "health.py",
    "delivery/__init__.py",
    "delivery/grpc/__init__.py",
    "delivery/http/__init__.py",
    "delivery/http/urls.py",
    "entity/errors.py",
    "infrastructure/__init__.py",
    "infrastructure/persistence/__init__.py",
    "infrastructure/messaging/__init__.py",
    "migrations/__init__.py",
    "usecase/get_invoice.py",
    "usecase/ports.py",
]
#: Generated paths the example has elsewhere on purpose: its tests live in the project's
#: tests/ (with the service's other tests), and its migrations are its own history.
NOT_IN_EXAMPLE = ("tests/", "migrations/0001_initial.py")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("drift")
    (root / "example").mkdir()
    (root / "example" / "__init__.py").write_text("")
    # The repository's ruff configuration, so formatting matches the example's.
    shutil.copy(Path(ROOT) / "pyproject.toml", root / "pyproject.toml")
    result = generate_module("invoices", package="example", root=root)
    assert not [step for step in result.next_steps if "ruff" in step]
    return root / "example" / "invoices"


def files(directory: Path) -> set[str]:
    return {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_example_has_every_file_the_template_writes(generated):
    expected = {name for name in files(generated) if not name.startswith(NOT_IN_EXAMPLE)}
    missing = sorted(expected - files(EXAMPLE))
    assert not missing, f"the module template writes files example/invoices lacks: {missing}"


@pytest.mark.parametrize("name", AS_GENERATED)
def test_unextended_files_are_exactly_the_template(generated, name):
    assert (EXAMPLE / name).read_text() == (generated / name).read_text(), (
        f"example/invoices/{name} drifted from the module template: regenerate it, or move "
        "it out of AS_GENERATED if the example now extends it"
    )
