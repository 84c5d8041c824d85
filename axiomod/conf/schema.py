"""Typed sections of the ``AXIOMOD`` setting and the validation that reads them.

A section is a frozen dataclass whose fields are declared with :func:`setting`: the type
annotation says what is accepted, the metadata carries the default, the documentation,
the allowed range or choices and the environment variables that provide a default.
:func:`load_section` turns the user's dict into an instance and collects every problem
as a :class:`ConfigError` naming the full path (``AXIOMOD["tracing"]["sample_ratio"]``)
instead of stopping at the first.

Why not pydantic or django-environ: pydantic would add a heavy runtime dependency to
every service for one dict, and its error texts (``loc``/``msg``) would still need
rewriting into Django's check format with the valid keys listed; django-environ only
reads the environment. DRF's ``api_settings`` is the model for the accessor side
(``axiomod.conf.loader``), but it validates nothing, which is what this module adds.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import math
import os
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal, Union, get_args, get_origin
from urllib.parse import unquote

__all__ = [
    "ConfigError",
    "ErrorKind",
    "Section",
    "format_path",
    "load_section",
    "section_fields",
    "setting",
]

MISSING = dataclasses.MISSING


class ErrorKind(enum.Enum):
    """What went wrong; each kind has its own system-check id."""

    UNKNOWN_KEY = "axiomod.E001"
    WRONG_TYPE = "axiomod.E002"
    INVALID_VALUE = "axiomod.E003"
    MISSING_VALUE = "axiomod.E004"


@dataclasses.dataclass(frozen=True)
class ConfigError:
    """One problem in the configuration, with enough context to fix it without the docs."""

    kind: ErrorKind
    path: tuple[str | int, ...]
    message: str
    hint: str | None = None
    env: str | None = None

    @property
    def id(self) -> str:
        return self.kind.value

    @property
    def setting(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        where = self.setting if self.env is None else f"{self.env} (default of {self.setting})"
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


def format_path(path: Iterable[str | int]) -> str:
    """``("tracing", "sample_ratio")`` -> ``AXIOMOD["tracing"]["sample_ratio"]``."""
    return "AXIOMOD" + "".join(f"[{p!r}]" if isinstance(p, int) else f'["{p}"]' for p in path)


def setting(
    default: Any = MISSING,
    *,
    doc: str,
    required: bool = False,
    min: float | None = None,
    max: float | None = None,
    min_exclusive: bool = False,
    choices: Iterable[str] | None = None,
    env: str | tuple[str, ...] = (),
    env_parser: Callable[[str, Mapping[str, str]], Any] | None = None,
    check: Callable[[Any], str | None] | None = None,
    go_key: str | None = None,
) -> Any:
    """Declare one setting of a section.

    ``min``/``max`` bound numbers (and every item of a tuple of numbers); ``choices``
    restricts strings (and items of a tuple of strings) beyond what a ``Literal`` says;
    ``check`` returns an error text for values the type cannot express (a path that
    must start with ``/``, increasing buckets). ``env`` names environment variables read,
    in order, when the user leaves the key out; ``env_parser(text, environ)`` converts
    their text when the generic reading of the type is not enough.
    ``go_key`` is the Go framework's name of the same setting, for the mapping table.
    """
    metadata = {
        "doc": doc,
        "required": required,
        "min": min,
        "max": max,
        "min_exclusive": min_exclusive,
        "choices": tuple(choices) if choices is not None else None,
        "env": (env,) if isinstance(env, str) else tuple(env),
        "env_parser": env_parser,
        "check": check,
        "go_key": go_key,
    }
    if required:
        return dataclasses.field(default=None, metadata=metadata)
    if isinstance(default, dict | list | set):
        frozen = default
        return dataclasses.field(default_factory=lambda: _copy(frozen), metadata=metadata)
    if default is MISSING:
        raise TypeError("a setting needs a default unless it is required")
    return dataclasses.field(default=default, metadata=metadata)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return type(value)(_copy(v) for v in value)
    return value


class Section:
    """Base of every settings section: a frozen dataclass with :func:`setting` fields.

    Subclasses may override :meth:`validate` for rules that span several fields; it
    returns ``(field_name, message)`` pairs.
    """

    #: Human title used in the generated settings reference.
    title: ClassVar[str] = ""
    #: Django app that reads the section, or None for the core ``axiomod`` app.
    app: ClassVar[str | None] = None
    #: Its key in ``AXIOMOD``; set on a top-level section (one an app declares in its
    #: ``conf.AXIOMOD_SECTIONS``), empty on a nested one.
    key: ClassVar[str] = ""
    #: A section that describes an external service: left out, the accessor returns
    #: None ("not configured") rather than defaults that point at nothing.
    optional: ClassVar[bool] = False

    def validate(self) -> Iterable[tuple[str, str]]:
        return ()


def section_fields(cls: type[Section]) -> list[tuple[dataclasses.Field, Any]]:
    """The fields of a section with their resolved type annotations, in declaration order."""
    hints = _hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls)]  # type: ignore[arg-type]


_HINTS_CACHE: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS_CACHE:
        _HINTS_CACHE[cls] = typing.get_type_hints(cls)
    return _HINTS_CACHE[cls]


def field_default(f: dataclasses.Field) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


class _Collector:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.errors: list[ConfigError] = []

    def add(self, kind: ErrorKind, path, message: str, hint=None, env=None) -> None:
        hint = plain_text(hint) if hint else hint
        self.errors.append(ConfigError(kind, tuple(path), message, hint, env))


_RST_LITERAL = re.compile(r"``(.+?)``")
_RST_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")


def plain_text(text: str) -> str:
    """``text`` (a setting's RST doc) as a hint for a terminal: ``x`` and :class:`x` -> `x`.

    A setting's doc is the hint of a missing required value; printed by ``manage.py
    check`` and at start-up, RST markup would show raw. A ``~`` role keeps the last name.
    """

    def role(match: re.Match[str]) -> str:
        target = match.group(1)
        return f"`{target.rsplit('.', 1)[-1]}`" if match.group(0).count("~") else f"`{target}`"

    return _RST_ROLE.sub(role, _RST_LITERAL.sub(r"`\1`", text))


def load_section(
    cls: type[Section],
    raw: Any,
    path: tuple[str | int, ...] = (),
    environ: Mapping[str, str] | None = None,
) -> tuple[Section, list[ConfigError]]:
    """Build ``cls`` from the user's value, returning the instance and every error found.

    Invalid entries fall back to their defaults so the rest of the section is still
    checked and the accessor has a usable object; the caller decides whether errors
    are fatal.
    """
    collector = _Collector(os.environ if environ is None else environ)
    instance = _load(cls, raw, path, collector)
    return instance, collector.errors


def _load(cls: type[Section], raw: Any, path, collector: _Collector) -> Section:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        collector.add(
            ErrorKind.WRONG_TYPE,
            path,
            f"expected a dict, got {type(raw).__name__}",
            _keys_hint(cls),
        )
        raw = {}
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if key not in known:
            collector.add(
                ErrorKind.UNKNOWN_KEY,
                (*path, key),
                "unknown setting",
                _keys_hint(cls, key if isinstance(key, str) else None),
            )
    values: dict[str, Any] = {}
    errors_before = len(collector.errors)
    for f, tp in section_fields(cls):
        fpath = (*path, f.name)
        meta = f.metadata
        if f.name in raw:
            if raw[f.name] is None and meta["required"]:
                collector.add(ErrorKind.MISSING_VALUE, fpath, "required setting cannot be None")
                continue
            value = _coerce(raw[f.name], tp, fpath, collector, meta)
            if value is not _INVALID:
                values[f.name] = value
            continue
        if isinstance(tp, type) and issubclass(tp, Section):
            # An absent nested section still reads its environment defaults.
            values[f.name] = _load(tp, {}, fpath, collector)
            continue
        env_value = _from_environment(f, tp, fpath, collector)
        if env_value is not _INVALID:
            values[f.name] = env_value
        elif meta["required"]:
            hint = meta["doc"]
            if meta["env"]:
                hint += f" It may also come from {' or '.join(meta['env'])}."
            collector.add(ErrorKind.MISSING_VALUE, fpath, "required setting is missing", hint)
    instance = cls(**values)
    if len(collector.errors) > errors_before:
        # Cross-field rules would judge the defaults that stand in for the bad
        # values and report errors the user did not make.
        return instance
    for name, message in instance.validate():
        collector.add(ErrorKind.INVALID_VALUE, (*path, name), message)
    return instance


def _from_environment(f: dataclasses.Field, tp: Any, path, collector: _Collector) -> Any:
    for var in f.metadata["env"]:
        text = collector.environ.get(var)
        if text is None or text.strip() == "":
            continue
        parser = f.metadata["env_parser"]
        try:
            parsed = (
                parser(text.strip(), collector.environ)
                if parser
                else parse_env_text(text.strip(), tp)
            )
        except (TypeError, ValueError) as exc:
            collector.add(ErrorKind.INVALID_VALUE, path, f"{text!r} cannot be read: {exc}", env=var)
            return _INVALID
        before = len(collector.errors)
        value = _coerce(parsed, tp, path, collector, f.metadata)
        for i in range(before, len(collector.errors)):
            collector.errors[i] = dataclasses.replace(collector.errors[i], env=var)
        return value
    return _INVALID


def parse_env_text(text: str, tp: Any) -> Any:
    """Read an environment variable's text as ``tp``, following OTel's conventions.

    Lists are comma separated, mappings are ``key=value`` pairs separated by commas
    (as in ``OTEL_RESOURCE_ATTRIBUTES``), booleans are ``true``/``false``.
    """
    base = _strip_optional(tp)
    origin = get_origin(base)
    if base is bool:
        lowered = text.lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off"}:
            return False
        raise ValueError("expected true or false")
    if base is int:
        return int(text)
    if base is float:
        return float(text)
    if origin is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if origin is dict:
        pairs = {}
        for part in text.split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"expected key=value pairs, got {part.strip()!r}")
            # Values are percent-encoded (W3C Baggage format, as OTel specifies).
            pairs[key.strip()] = unquote(value.strip())
        return pairs
    return text


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


_INVALID: Any = _Invalid()


def _strip_optional(tp: Any) -> Any:
    if _is_union(tp):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _describe(tp: Any) -> str:
    if tp is Any:
        return "any value"
    if _is_union(tp):
        return " or ".join(_describe(a) for a in get_args(tp))
    if tp is type(None):
        return "None"
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin is tuple:
        return f"a list of {_plural(get_args(tp)[0])}"
    if origin is dict:
        return f"a dict of {_plural(get_args(tp)[1])}"
    if isinstance(tp, type) and issubclass(tp, Section):
        return "a dict"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _plural(tp: Any) -> str:
    if isinstance(tp, type) and issubclass(tp, Section):
        return "sections"
    return {bool: "booleans", int: "integers", float: "numbers", str: "strings", Any: "values"}.get(
        tp, _describe(tp)
    )


def _coerce(value: Any, tp: Any, path, collector: _Collector, meta: Mapping[str, Any]) -> Any:
    """Return ``value`` converted to ``tp``, or ``_INVALID`` after recording why not."""
    if tp is Any:
        return value
    if _is_union(tp):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None)]
        if len(others) == 1:
            probe = _Collector(collector.environ)
            result = _coerce(value, others[0], path, probe, meta)
            if result is _INVALID and all(
                e.kind is ErrorKind.WRONG_TYPE and e.path == tuple(path) for e in probe.errors
            ):
                return _wrong_type(value, tp, path, collector)  # say "... or None"
            collector.errors.extend(probe.errors)
            return result
        for candidate in others:
            probe = _Collector(collector.environ)
            result = _coerce(value, candidate, path, probe, meta)
            if result is not _INVALID:
                return result
        return _wrong_type(value, tp, path, collector)
    origin = get_origin(tp)
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            if not isinstance(value, str):
                return _wrong_type(value, tp, path, collector)
            collector.add(
                ErrorKind.INVALID_VALUE,
                path,
                f"{value!r} is not one of the allowed values",
                _choices_hint(allowed, value),
            )
            return _INVALID
        return value
    if origin is tuple:
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            return _wrong_type(value, tp, path, collector)
        item_type = get_args(tp)[0]
        item_meta = {**meta, "check": None}  # bounds and choices apply to each item
        items = []
        for i, item in enumerate(value):
            coerced = _coerce(item, item_type, (*path, i), collector, item_meta)
            if coerced is _INVALID:
                return _INVALID
            items.append(coerced)
        return _check_value(tuple(items), path, collector, {"check": meta.get("check")})
    if origin is dict:
        if not isinstance(value, Mapping):
            return _wrong_type(value, tp, path, collector)
        key_type, value_type = get_args(tp)
        result = {}
        ok = True
        for key, item in value.items():
            if key_type is str and not isinstance(key, str):
                collector.add(
                    ErrorKind.WRONG_TYPE,
                    (*path, str(key)),
                    f"keys must be strings, got {type(key).__name__}",
                )
                ok = False
                continue
            if isinstance(value_type, type) and issubclass(value_type, Section):
                result[key] = _load(value_type, item, (*path, key), collector)
                continue
            coerced = _coerce(item, value_type, (*path, key), collector, {})
            if coerced is _INVALID:
                ok = False
                continue
            result[key] = coerced
        return result if ok else _INVALID
    if isinstance(tp, type) and issubclass(tp, Section):
        return _load(tp, value, path, collector)
    if tp is bool:
        if not isinstance(value, bool):
            return _wrong_type(value, tp, path, collector)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return _wrong_type(value, tp, path, collector)
        return _check_value(value, path, collector, meta)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _wrong_type(value, tp, path, collector)
        if isinstance(value, float) and not math.isfinite(value):
            collector.add(ErrorKind.INVALID_VALUE, path, f"{value!r} is not a finite number")
            return _INVALID
        checked = _check_value(value, path, collector, meta)
        return checked if checked is _INVALID else float(checked)
    if tp is str:
        if not isinstance(value, str):
            return _wrong_type(value, tp, path, collector)
        return _check_value(value, path, collector, meta)
    raise TypeError(f"unsupported setting type {tp!r} at {format_path(path)}")


def _check_value(value: Any, path, collector: _Collector, meta: Mapping[str, Any]) -> Any:
    low, high = meta.get("min"), meta.get("max")
    if isinstance(value, int | float):
        too_low = low is not None and (value <= low if meta.get("min_exclusive") else value < low)
        if too_low or (high is not None and value > high):
            collector.add(
                ErrorKind.INVALID_VALUE, path, f"{value!r} is out of range", _range_hint(meta)
            )
            return _INVALID
    choices = meta.get("choices")
    if choices is not None and isinstance(value, str) and value not in choices:
        collector.add(
            ErrorKind.INVALID_VALUE,
            path,
            f"{value!r} is not one of the allowed values",
            _choices_hint(choices, value),
        )
        return _INVALID
    check = meta.get("check")
    if check is not None:
        problem = check(value)
        if problem:
            collector.add(ErrorKind.INVALID_VALUE, path, problem)
            return _INVALID
    return value


def _range_hint(meta: Mapping[str, Any]) -> str:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and high is not None:
        op = "<" if meta.get("min_exclusive") else "<="
        return f"allowed: {low} {op} value <= {high}"
    if low is not None:
        return f"allowed: value {'>' if meta.get('min_exclusive') else '>='} {low}"
    return f"allowed: value <= {high}"


def _wrong_type(value: Any, tp: Any, path, collector: _Collector) -> Any:
    collector.add(
        ErrorKind.WRONG_TYPE,
        path,
        f"expected {_describe(tp)}, got {type(value).__name__} {value!r}",
        _conversion_hint(value, tp),
    )
    return _INVALID


_TRUTHY = {"true", "1", "yes", "on"}
_FALSY = {"false", "0", "no", "off"}


def _conversion_hint(value: Any, tp: Any) -> str | None:
    """A str that reads as the expected number or boolean: an environment variable read
    without converting it, as in ``"port": os.environ["METRICS_PORT"]``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    base = _strip_optional(tp)
    expected = get_args(base) if _is_union(base) else (base,)
    for target in expected:
        if target is int and _reads_as(int, text):
            code = 'int(os.environ["..."])'
        elif target is float and _reads_as(float, text):
            code = 'float(os.environ["..."])'
        elif target is bool and text.lower() in _TRUTHY | _FALSY:
            code = 'os.environ["..."].lower() in ("1", "true")'
        else:
            continue
        return f"an environment variable is always a str: convert it, e.g. {code}"
    return None


def _reads_as(kind: type, text: str) -> bool:
    try:
        number = kind(text)
    except ValueError:
        return False
    return kind is not float or math.isfinite(number)


def _choices_hint(choices: Iterable[Any], given: str | None) -> str:
    allowed = [str(c) for c in choices]
    hint = "allowed: " + ", ".join(allowed)
    close = difflib.get_close_matches(given or "", allowed, n=1)
    return f"did you mean {close[0]!r}? {hint}" if close else hint


def _keys_hint(cls: type[Section], given: str | None = None) -> str:
    return _choices_hint([f.name for f in dataclasses.fields(cls)], given).replace(  # type: ignore[arg-type]
        "allowed: ", "valid keys: "
    )


def describe_type(tp: Any) -> str:
    """Readable type text for the generated reference."""
    return _describe(tp)
