"""The architecture rules: the Go framework's ``architecture-rules.json`` format, read and checked.

Teams that run both the Go and the Django framework keep one rules file, so the keys are
exactly the Go validator's: ``allowedDependencies``, ``exceptions``, ``patternRules`` and
``domainRules``. A file replaces the built-in defaults as a whole (a key it leaves out is
empty, as in Go), and a file that cannot be read or does not have that shape is an error
that names the problem — the Go validator silently fell back to its defaults, which hid
typos. Paths use ``/`` and ``*`` matches any run of characters, ``/`` included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

#: Files looked for, in this order, in the project directory when no ``--config`` is given.
DEFAULT_RULES_FILES = (
    "architecture-rules.json",
    ".architecture-rules.json",
    "configs/architecture-rules.json",
)

TOP_LEVEL_KEYS = ("allowedDependencies", "exceptions", "patternRules", "domainRules")
DOMAIN_KEYS = (
    "allowCrossDomainDependencies",
    "allowedCrossDomainImports",
    "allowedInternalStructure",
)


class RulesError(ValueError):
    """The rules file is unreadable or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class PatternRule:
    """Code under ``pattern`` may import code under ``allowed_to_import`` (paths, ``*``)."""

    pattern: str
    allowed_to_import: str
    explanation: str = ""


@dataclass(frozen=True)
class CrossModuleImport:
    """Module ``source`` may import module ``target`` (names, ``/`` paths or patterns)."""

    source: str
    target: str
    explanation: str = ""


@dataclass(frozen=True)
class DomainRules:
    """Rules between modules (the Go framework calls a module a domain)."""

    allow_cross_domain_dependencies: bool = False
    allowed_cross_domain_imports: tuple[CrossModuleImport, ...] = ()
    allowed_internal_structure: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """Parsed rules; ``source`` says where they came from, for the report."""

    allowed_dependencies: Mapping[str, tuple[str, ...]]
    exceptions: tuple[str, ...] = ()
    pattern_rules: tuple[PatternRule, ...] = ()
    domain_rules: DomainRules = field(default_factory=DomainRules)
    source: str = "built-in defaults"

    @property
    def layers(self) -> dict[str, tuple[str, ...]]:
        """The layer table: ``allowedDependencies`` updated by ``allowedInternalStructure``.

        The Go file repeats the same table in both places; where both name a layer, the
        domain-internal one wins because it is the more specific statement.
        """
        return {**self.allowed_dependencies, **self.domain_rules.allowed_internal_structure}


#: Clean Architecture: dependencies point inwards, towards ``entity``. ``container`` is the
#: module's composition root: delivery asks it for ready-wired use cases, and the container
#: itself (an exception) may import every layer to wire them.
DEFAULT_RULES = Rules(
    allowed_dependencies={
        "entity": (),
        "repository": ("entity",),
        "usecase": ("entity", "repository", "service"),
        "service": ("entity", "repository"),
        "delivery": ("usecase", "entity", "container"),
        "infrastructure": ("entity", "repository"),
    },
    exceptions=("container.py", "/migrations/", "/tests/", "/test_", "conftest.py"),
)


@cache
def _compile(pattern: str, below: bool = True) -> re.Pattern[str]:
    body = ".*".join(re.escape(part) for part in pattern.strip("/").split("*"))
    return re.compile(rf"{body}(?:/.*)?" if below else body)


def path_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` is ``pattern`` or lies below it (``entity`` matches ``entity/invoice``)."""
    return _compile(pattern).fullmatch(path) is not None


def path_is(pattern: str, path: str) -> bool:
    """Whether ``pattern`` matches ``path`` itself, not only a path above it (``*`` as always)."""
    return _compile(pattern, below=False).fullmatch(path) is not None


def find_rules_file(project_dir: Path) -> Path | None:
    """The first of :data:`DEFAULT_RULES_FILES` that exists in ``project_dir``."""
    for name in DEFAULT_RULES_FILES:
        candidate = project_dir / name
        if candidate.is_file():
            return candidate
    return None


def load_rules(path: str | Path | None = None, *, project_dir: Path | None = None) -> Rules:
    """Read ``path``; without one, the project's rules file if it has one, else the defaults."""
    if path is None:
        found = find_rules_file(project_dir or Path.cwd())
        if found is None:
            return DEFAULT_RULES
        path = found
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"cannot read rules file {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesError(
            f"rules file {path} is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from exc
    try:
        return parse_rules(data, source=str(path))
    except RulesError as exc:
        raise RulesError(f"rules file {path}: {exc}") from None


def parse_rules(data: Any, *, source: str = "<dict>") -> Rules:
    """Check the shape of decoded JSON and build :class:`Rules`; errors name the key path."""
    obj = _object(data, "the top level")
    _no_unknown(obj, TOP_LEVEL_KEYS, "")
    domain = _object(obj.get("domainRules", {}), "domainRules")
    _no_unknown(domain, DOMAIN_KEYS, "domainRules.")
    allow_cross = domain.get("allowCrossDomainDependencies", False)
    if not isinstance(allow_cross, bool):
        raise RulesError("domainRules.allowCrossDomainDependencies must be true or false")
    return Rules(
        allowed_dependencies=_layer_table(
            obj.get("allowedDependencies", {}), "allowedDependencies"
        ),
        exceptions=_strings(obj.get("exceptions", []), "exceptions"),
        pattern_rules=tuple(
            PatternRule(r["pattern"], r["allowedToImport"], r.get("explanation", ""))
            for r in _records(
                obj.get("patternRules", []), "patternRules", ("pattern", "allowedToImport")
            )
        ),
        domain_rules=DomainRules(
            allow_cross_domain_dependencies=allow_cross,
            allowed_cross_domain_imports=tuple(
                CrossModuleImport(r["source"], r["target"], r.get("explanation", ""))
                for r in _records(
                    domain.get("allowedCrossDomainImports", []),
                    "domainRules.allowedCrossDomainImports",
                    ("source", "target"),
                )
            ),
            allowed_internal_structure=_layer_table(
                domain.get("allowedInternalStructure", {}), "domainRules.allowedInternalStructure"
            ),
        ),
        source=source,
    )


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RulesError(f"{where} must be a JSON object, not {_kind(value)}")
    return value


def _no_unknown(obj: dict[str, Any], known: tuple[str, ...], prefix: str) -> None:
    unknown = sorted(set(obj) - set(known))
    if unknown:
        raise RulesError(
            f"unknown key {prefix}{unknown[0]} "
            f"(valid keys: {', '.join(prefix + key for key in known)})"
        )


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RulesError(f"{where} must be a list of strings, not {_kind(value)}")
    return tuple(value)


def _layer_table(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    table = _object(value, where)
    return {key: _strings(allowed, f"{where}.{key}") for key, allowed in table.items()}


def _records(value: Any, where: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise RulesError(f"{where} must be a list of objects, not {_kind(value)}")
    records = []
    for index, item in enumerate(value):
        record = _object(item, f"{where}[{index}]")
        _no_unknown(record, (*required, "explanation"), f"{where}[{index}].")
        for key in (*required, "explanation"):
            if key in required and key not in record:
                raise RulesError(f"{where}[{index}] needs the key {key!r}")
            if key in record and not isinstance(record[key], str):
                raise RulesError(f"{where}[{index}].{key} must be a string")
        records.append(record)
    return records


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )
