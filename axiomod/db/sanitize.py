"""Query text safe to put on a span: literals become ``?``, placeholders and names stay.

Django passes parameters separately, so ORM SQL carries ``%s`` placeholders; raw SQL may
still inline values (``cursor.execute("... WHERE name = 'secret'")``). The OpenTelemetry
database conventions ask for such text to have its literals replaced before it is
recorded (*Sanitization of db.query.text*), so every query is sanitised: a parameterised
query that also inlines a literal must not leak it either, and a query the ORM writes
with an inline ``LIMIT 21`` only loses the number.

Libraries looked at: ``sqlparse`` (already installed with Django) tokenises SQL correctly
but took ~400 µs for one ORM ``SELECT`` here, and raw SQL with inline values never hits a
cache; opentelemetry-instrumentation-dbapi / -psycopg record the statement as given and
do not sanitise. So this is one regular expression (a few µs), with results cached per
SQL string because ORM SQL repeats.
"""

from __future__ import annotations

import functools
import re

__all__ = ["QueryText", "sanitize"]

# One pass, leftmost alternative first: comments and quoted identifiers are copied as
# they are (a quote inside them must not start a literal), literals become "?".
# Backslash escapes exist in MySQL/MariaDB strings and PostgreSQL's E'...' only: read
# as escapes in a standard string, "'a\\' , 'secret'" would leave "secret" outside.
_COMMON = r"""
      (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<ident>`(?:[^`]|``)*`?)
    | (?P<escaped>[Ee]'(?:[^'\\]|''|\\.)*'?)
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z_0-9]*)?\$.*?(?:\$(?(tag)(?P=tag))\$|\Z))
    | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
    | (?P<placeholder>%(?:\([^)]*\))?s|%%|\$\d+|:[A-Za-z_]\w*)
    | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<semicolon>;)
"""
_STANDARD = re.compile(
    r"""(?P<string>'(?:[^']|'')*'?) | (?P<dquote>"(?:[^"]|"")*"?) |""" + _COMMON,
    re.VERBOSE | re.DOTALL,
)
_MYSQL = re.compile(
    r"""(?P<string>'(?:[^'\\]|''|\\.)*'?|"(?:[^"\\]|""|\\.)*"?) | (?P<hash>\#[^\n]*) |""" + _COMMON,
    re.VERBOSE | re.DOTALL,
)
_LITERALS = frozenset({"string", "escaped", "dollar", "number"})
#: First words that do not name the operation (a CTE may lead to SELECT or INSERT).
_NOT_AN_OPERATION = frozenset({"WITH"})


class QueryText(tuple):
    """``(text, operation)``: the sanitised text and its first keyword, or None.

    The operation is None when the text holds more than one statement: the conventions
    say not to take ``db.operation.name`` from text that may run several operations.
    """

    __slots__ = ()

    @property
    def text(self) -> str:
        return self[0]

    @property
    def operation(self) -> str | None:
        return self[1]


@functools.lru_cache(maxsize=1024)
def sanitize(sql: str, mysql: bool = False) -> QueryText:
    """``sql`` with string, numeric and dollar-quoted literals replaced by ``?``.

    ``mysql``: MySQL and MariaDB read ``"..."`` as a string (without ``ANSI_QUOTES``)
    and backslashes as escapes, where PostgreSQL and SQLite read ``"..."`` as a name.
    """
    parts: list[str] = []
    operation: str | None = None
    first_word = True
    statements = 0  # statements seen ending with ";"
    trailing = False  # something after the last ";"
    position = 0
    for match in (_MYSQL if mysql else _STANDARD).finditer(sql):
        kind = match.lastgroup
        parts.append(sql[position : match.start()])
        position = match.end()
        token = match.group()
        if kind in _LITERALS:
            parts.append("?")
        else:
            parts.append(token)
        if kind == "comment" or kind == "hash":  # "#": MySQL's comment (XOR in PostgreSQL)
            continue
        if kind == "semicolon":
            statements += 1
            trailing = False
            continue
        trailing = True
        if first_word:
            first_word = False
            if kind == "word" and token.upper() not in _NOT_AN_OPERATION:
                operation = token
    parts.append(sql[position:])
    if statements > 1 or (statements == 1 and trailing):
        operation = None  # several statements in one call
    return QueryText(("".join(parts), operation))
