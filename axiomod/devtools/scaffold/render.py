"""Render a tree of templates into a project: plan every file, refuse conflicts, then write.

A template kind (``module``, ``service``, ``handler/http`` ...) is a directory under
``axiomod/devtools/scaffold/templates``. File and directory names may hold ``{{ variables }}``;
a name ending in ``-tpl`` is rendered (and loses the suffix, which keeps template files
out of ruff and pytest); any other file is copied. A project overrides a template file
by putting one at the same relative path in its templates directory, and adds a file to
a kind by putting a new one there.

Jinja2 rather than Django's template engine (what ``startapp`` uses): the project
template of ``axiomod new`` is a cookiecutter template, which is Jinja2, so a team
writes both in one language; Jinja2 runs without configured Django settings; and
``StrictUndefined`` turns a misspelt variable in an overridden template into an error
instead of an empty string in generated code. cookiecutter itself was looked at for
modules too: it renders whole projects into a new directory, while ``generate`` must add
files to an existing package and refuse before writing anything if one exists.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .names import ScaffoldError

if TYPE_CHECKING:
    import jinja2

__all__ = ["PACKAGE_TEMPLATES", "Generated", "Plan", "compile_protos", "plan_tree", "polish"]

PACKAGE_TEMPLATES = Path(__file__).with_name("templates")
SUFFIX = "-tpl"
#: Package markers are created when missing and otherwise left alone: a second handler
#: of a kind finds ``delivery/kafka/__init__.py`` already there, which is not a conflict.
KEEP_IF_EXISTS = frozenset({"__init__.py"})


@dataclass
class Generated:
    """What a generation did: files written (created or, with ``force``, overwritten),
    and the steps left to the user (settings, urls, migrations)."""

    created: list[Path] = field(default_factory=list)
    overwritten: list[Path] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    @property
    def written(self) -> list[Path]:
        return [*self.created, *self.overwritten]


@dataclass
class Plan:
    """Rendered files, not yet written: target path -> text."""

    files: dict[Path, str]

    def write(self, *, force: bool) -> Generated:
        """Write every file, or nothing when one exists and ``force`` is off."""
        existing = [
            path for path in self.files if path.exists() and path.name not in KEEP_IF_EXISTS
        ]
        if existing and not force:
            listed = ", ".join(str(path) for path in existing[:5])
            more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
            raise ScaffoldError(
                f"would overwrite {listed}{more}; nothing was written (use --force to overwrite)"
            )
        result = Generated()
        for path, text in self.files.items():
            if path.exists() and path.name in KEEP_IF_EXISTS:
                continue
            (result.overwritten if path.exists() else result.created).append(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return result


def _sources(kind: str, override: Path | None) -> dict[str, Path]:
    """Relative template path -> file: the package's tree overlaid by the project's."""
    found: dict[str, Path] = {}
    for root in (PACKAGE_TEMPLATES / kind, override / kind if override else None):
        if root is None or not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = path
    if not found:
        raise ScaffoldError(f"no templates for {kind!r}")
    return found


def _environment() -> jinja2.Environment:
    try:
        import jinja2
    except ImportError:  # the scaffold extra installs it
        raise ScaffoldError(
            "code generation needs Jinja2: pip install 'axiomod[scaffold]'"
        ) from None
    # No autoescaping: the output is Python source, not HTML.
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )


def plan_tree(
    kind: str, context: Mapping[str, object], target: Path, *, override: Path | None = None
) -> Plan:
    """Render the ``kind`` templates for ``target`` without touching the disk.

    A template error (a bad override, an unknown variable) is a :class:`ScaffoldError`
    naming the template file, raised before anything is written.
    """
    env = _environment()
    import jinja2

    files: dict[Path, str] = {}
    for relative, source in _sources(kind, override).items():
        try:
            name = env.from_string(relative).render(context)
            if name.endswith(SUFFIX):
                name = name[: -len(SUFFIX)]
                text = env.from_string(source.read_text(encoding="utf-8")).render(context)
            else:
                text = source.read_text(encoding="utf-8")
        except jinja2.TemplateError as exc:
            raise ScaffoldError(f"template {source}: {exc}") from exc
        files[target / name] = text
    return Plan(files)


def compile_protos(plan: Plan, root: Path) -> None:
    """Add ``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py`` beside each ``.proto`` of ``plan``.

    Compiled in a scratch directory before anything is written, so a ``.proto`` that does
    not compile (a broken override) refuses the whole generation like any other error.
    Paths are relative to ``root`` (the directory on ``sys.path``) so the generated imports
    are absolute (``from shop.billing.delivery.grpc import billing_pb2``), the way the gRPC
    guide tells users to run protoc by hand.
    """
    protos = [path for path in plan.files if path.suffix == ".proto"]
    if not protos:
        return
    try:
        from grpc_tools import protoc
    except ImportError:
        raise ScaffoldError(
            "compiling the gRPC service needs grpcio-tools: pip install 'axiomod[scaffold]'"
        ) from None
    include = Path(protoc.__file__).with_name("_proto")
    with tempfile.TemporaryDirectory(prefix="axiomod-protoc-") as scratch:
        for proto in protos:
            relative = proto.relative_to(root)
            (Path(scratch) / relative).parent.mkdir(parents=True, exist_ok=True)
            (Path(scratch) / relative).write_text(plan.files[proto], encoding="utf-8")
        for proto in protos:
            relative = proto.relative_to(root)
            outputs = [f"--{kind}_out={scratch}" for kind in ("python", "pyi", "grpc_python")]
            arguments = ["grpc_tools.protoc", f"-I{scratch}", f"-I{root}", f"-I{include}"]
            if protoc.main([*arguments, *outputs, str(relative)]) != 0:
                raise ScaffoldError(f"protoc failed on {relative} (see above); nothing was written")
            for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
                generated = relative.with_name(relative.stem + suffix)
                text = (Path(scratch) / generated).read_text(encoding="utf-8")
                plan.files[root / generated] = text


def polish(files: Iterable[Path], project_dir: Path) -> str | None:
    """Fix and format the generated Python files with ruff, under the project's own ruff
    configuration, so they pass the project's lint whatever the names' lengths.

    Returns why it could not (ruff missing or failing), for the next steps; generation
    itself has already succeeded by then.
    """
    paths = [str(path) for path in files if path.suffix == ".py" and "_pb2" not in path.name]
    if not paths:
        return None
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        return "format the new files: ruff is not installed (pip install 'axiomod[scaffold]')"
    ruff = str(find_ruff_bin())
    # The project's rules with safe fixes (import order, ``__all__`` order), then its format.
    for command in (
        [ruff, "check", "--fix", "--no-cache", "--quiet", *paths],
        [ruff, "format", "--no-cache", "--quiet", *paths],
    ):
        done = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):  # 1: findings left for the user, not a failure
            return f"ruff could not format the new files: {done.stderr.strip() or done.stdout}"
    return None
