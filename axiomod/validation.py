"""Field rules every module needs at its trust boundary, written once.

A module's service turns raw client input (a decoded JSON body, a protobuf message) into
values its entities can hold. Two rules recur in every module and are easy to get subtly
wrong, so they live here rather than in a copy per module (``axiomod generate`` writes
services that call them, and the example's invoices service does too):

* :func:`clean_text`: trimmed, required, bounded text that a database can store. Python
  strings may hold lone surrogates (JSON's ``"\\ud800"`` escape decodes to one) that no
  UTF-8 database encoding accepts; left unchecked they fail in the driver with a
  ``UnicodeEncodeError`` and a 500 instead of a 400 naming the field.
* :func:`clean_decimal`: a decimal written plainly: ASCII digits, an optional point and
  at most ``places`` decimals, an optional leading ``-``. ``Decimal()`` itself accepts
  far more (``"5_000"``, ``"1e5"``, ``"NaN"``, Arabic-Indic digits), none of which a
  client means as an amount of money.

Each function raises the *caller's* invalid-input error, built as ``error(field,
message)``, so a module keeps its own error class (``InvalidInvoice(field, message)``)
and a delivery can still tell the module's errors from bugs. The default builds
:class:`axiomod.errors.InvalidInput`.

Django's form fields (``CharField``, ``DecimalField``) were looked at: they validate the
same things but need a form per call site and answer a dict of messages, and
``DecimalField`` accepts exponents too. Pure functions keep the service layer free of
Django, as the module layout asks.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from axiomod.errors import InvalidInput

__all__ = ["MAX_NUMBER_DIGITS", "JsonDecimal", "clean_decimal", "clean_text", "invalid_input"]

ErrorFactory = Callable[[str, str], Exception]
"""Builds the error to raise from ``(field, message)``, e.g. a module's ``InvalidInvoice``."""


def invalid_input(field: str, message: str) -> Exception:
    """The default :data:`ErrorFactory`: :class:`axiomod.errors.InvalidInput` on ``field``."""
    return InvalidInput(message, field=field)


class JsonDecimal(Decimal):
    """A JSON number with a fraction or an exponent, exact, remembering how it was written.

    :func:`axiomod.views.json_object` parses such numbers into this type. It is a
    ``Decimal`` everywhere (arithmetic returns plain ``Decimal``); ``text`` keeps the
    source so :func:`clean_decimal` can refuse ``1.5e1`` as it refuses ``"1.5e1"``:
    ``Decimal("1.5e1")`` and ``Decimal("15")`` are indistinguishable once parsed.
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonDecimal:
        number = super().__new__(cls, text)
        number.text = text
        return number


def clean_text(
    value: object,
    field: str,
    *,
    max_length: int,
    error: ErrorFactory = invalid_input,
) -> str:
    """``value`` as stored text: a string, trimmed, not blank, at most ``max_length``
    characters, without control characters (PostgreSQL refuses NUL, newlines break
    layouts) and encodable as UTF-8 (no lone surrogates).

    Raises ``error(field, message)`` on the first rule broken, so the client learns which
    field to fix; ``None`` is "is required", another type "must be a string".
    """
    if value is None:
        raise error(field, "is required")
    if not isinstance(value, str):
        raise error(field, "must be a string")
    text = value.strip()
    if not text:
        raise error(field, "must not be blank")
    if len(text) > max_length:
        raise error(field, f"must be at most {max_length} characters")
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise error(field, "must not contain control characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Only lone surrogates (U+D800..U+DFFF) fail here: every other code point has a
        # UTF-8 form. A JSON "\ud800" escape is the usual way in.
        raise error(field, "must be valid Unicode text (no lone surrogates)") from None
    return text


#: How far a number from a client may reach: Python's own bound on integer digits (4300
#: by default), which json.loads already applies to JSON integers. The longest text worth
#: handing to Decimal() (far above any amount, and it keeps the parse cheap whatever a
#: client sends); axiomod.views also refuses JSON numbers beyond it.
MAX_NUMBER_DIGITS = sys.get_int_max_str_digits() or 4300


def clean_decimal(
    value: object,
    field: str,
    *,
    places: int,
    error: ErrorFactory = invalid_input,
) -> Decimal:
    """``value`` as an exact ``Decimal`` written plainly: ``[-]digits[.digits]``, ASCII
    digits only, at most ``places`` decimals.

    Accepted: a string (surrounding whitespace ignored), an ``int`` (not ``bool``), a
    JSON number as :func:`axiomod.views.json_object` parses it (judged by its source
    text), a ``Decimal`` or ``float`` (judged by ``str``/``repr``). Exponents (``1e5``),
    underscores (``5_000``), ``+``, ``NaN``/``Infinity`` and non-ASCII digits (such as
    Arabic-Indic ones) are refused with ``error(field, message)``. The range (positive,
    below a maximum) is the caller's rule.
    """
    if value is None:
        raise error(field, "is required")
    example = f"{Decimal('12.5'):.{places}f}"
    wrong = f"must be a decimal number such as {example}"
    if isinstance(value, bool):  # an int subclass; `true` is no number
        raise error(field, wrong)
    if isinstance(value, JsonDecimal):
        text = value.text
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)  # the shortest repr: 12.1 is "12.1", never its binary value
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise error(field, "is required")
    else:
        raise error(field, wrong)
    if len(text) > MAX_NUMBER_DIGITS:
        raise error(field, wrong)
    match = _DECIMAL_RE.fullmatch(text)
    if match is None:
        raise error(field, wrong)
    if len(match.group("fraction") or "") > places:
        raise error(field, f"must have at most {places} decimal places")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise error(field, wrong) from None


# [0-9], never \d: \d matches every Unicode decimal digit and Decimal() would take them.
_DECIMAL_RE = re.compile(r"-?[0-9]+(?:\.(?P<fraction>[0-9]+))?", re.ASCII)
