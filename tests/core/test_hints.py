"""Hints read as plain text and say how to fix the mistake (issue 21, item 9).

A check's hint is printed by ``manage.py check`` and in the boot error: RST markup such
as a double-backquoted ``host:port`` showed raw there. And a str where a number is
expected is nearly always an environment variable read without a conversion.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from axiomod.conf import ErrorKind, known_sections
from axiomod.conf.schema import plain_text

from .test_conf_schema import only_error

ROOT = Path(__file__).resolve().parents[2]
RST = ("``", ":class:`", ":func:`", ":mod:`", ":data:`", ":meth:`", ":attr:`")


def test_the_missing_value_hint_shows_no_rst_markup():
    error = only_error({"kafka": {}})
    assert error.kind is ErrorKind.MISSING_VALUE
    assert error.hint.startswith("Comma-separated `host:port` list.")
    assert "``" not in str(error)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Comma-separated ``host:port`` list.", "Comma-separated `host:port` list."),
        ("See :class:`~axiomod_auth.OIDCBackend`.", "See `OIDCBackend`."),
        ("Uses :func:`axiomod.db.database`.", "Uses `axiomod.db.database`."),
        ("No markup, `one` backquote.", "No markup, `one` backquote."),
    ],
)
def test_plain_text(text, plain):
    assert plain_text(text) == plain


def test_no_setting_documentation_gives_a_hint_with_rst_markup():
    """Every field's doc may become a hint (a required setting that is missing)."""
    for name, cls in known_sections().items():
        for f in _fields(cls):
            doc = f.metadata.get("doc") or ""
            hint = plain_text(doc)
            assert not any(mark in hint for mark in RST), (name, f.name, hint)


def _fields(cls):
    for f in dataclasses.fields(cls):
        yield f
        tp = f.type if isinstance(f.type, type) else None
        if tp is not None and dataclasses.is_dataclass(tp):
            yield from _fields(tp)


def test_no_check_hint_is_written_in_rst():
    """Every literal ``hint=`` of the system checks, in every package."""
    found = []
    for path in sorted(ROOT.glob("axiomod*/**/checks.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "hint":
                for const in ast.walk(node.value):
                    if isinstance(const, ast.Constant) and isinstance(const.value, str):
                        found.append((path.relative_to(ROOT), const.lineno, const.value))
    assert found, "the scan found no hints at all"
    marked = [entry for entry in found if any(mark in entry[2] for mark in RST)]
    assert marked == []


@pytest.mark.parametrize(
    ("raw", "conversion"),
    [
        ({"metrics": {"port": "9100"}}, 'int(os.environ["...'),
        ({"tracing": {"sample_ratio": "0.5"}}, 'float(os.environ["...'),
        ({"health": {"check_timeout": " 2 "}}, 'float(os.environ["...'),
        ({"tracing": {"insecure": "true"}}, 'os.environ["..."].lower() in ("1", "true")'),
    ],
)
def test_a_str_that_reads_as_the_expected_type_hints_at_the_conversion(raw, conversion):
    error = only_error(raw)
    assert error.kind is ErrorKind.WRONG_TYPE
    assert conversion in error.hint
    assert "environment variable" in error.hint


def test_a_str_that_is_no_number_gets_no_conversion_hint():
    error = only_error({"health": {"check_timeout": "fast"}})
    assert error.kind is ErrorKind.WRONG_TYPE
    assert error.hint is None
