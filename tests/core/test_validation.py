"""axiomod.validation: the text and decimal rules every module's service shares."""

from __future__ import annotations

from decimal import Decimal

import pytest

from axiomod.errors import InvalidInput
from axiomod.validation import JsonDecimal, clean_decimal, clean_text


class RefusedError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def test_text_is_trimmed_and_returned():
    assert clean_text("  ACME  ", "name", max_length=10) == "ACME"
    assert clean_text("Zoë 株式会社 🧾", "name", max_length=20) == "Zoë 株式会社 🧾"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "is required"),
        (5, "must be a string"),
        ("   ", "must not be blank"),
        ("x" * 11, "must be at most 10 characters"),
        ("a\x00b", "must not contain control characters"),
        ("a\nb", "must not contain control characters"),
        ("a\ud800b", "must be valid Unicode text (no lone surrogates)"),
        ("\udfff", "must be valid Unicode text (no lone surrogates)"),
    ],
)
def test_bad_text_raises_the_callers_error_naming_the_field(value, message):
    with pytest.raises(RefusedError) as caught:
        clean_text(value, "name", max_length=10, error=RefusedError)

    assert (caught.value.field, caught.value.message) == ("name", message)


def test_the_default_error_is_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        clean_text("\ud800", "name", max_length=10)

    assert caught.value.field == "name"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (" 12.5 ", Decimal("12.5")),
        ("-3", Decimal("-3")),
        (7, Decimal("7")),
        (12.1, Decimal("12.1")),
        (Decimal("0.01"), Decimal("0.01")),
        (JsonDecimal("12.50"), Decimal("12.50")),
        ("9" * 4000, Decimal("9" * 4000)),
    ],
)
def test_plain_decimals_are_accepted_exactly(value, expected):
    parsed = clean_decimal(value, "amount", places=2)

    assert parsed == expected
    assert type(parsed) is Decimal


@pytest.mark.parametrize(
    "value",
    [
        "5_000",
        "1e5",
        "1E+2",
        "\u0665",  # ARABIC-INDIC DIGIT FIVE
        "\u0661\u0662",
        "\uff11",  # FULLWIDTH DIGIT ONE
        "+5",
        "5.",
        ".5",
        "1,5",
        "NaN",
        "Infinity",
        "0x10",
        "1 000",
        JsonDecimal("1.5e1"),
        JsonDecimal("1250E-2"),
        Decimal("1E+5"),
        float("nan"),
        1e16,
        True,
        ["1"],
        "9" * 5000,
    ],
)
def test_anything_but_plain_ascii_decimals_is_refused(value):
    with pytest.raises(RefusedError) as caught:
        clean_decimal(value, "amount", places=2, error=RefusedError)

    assert caught.value.field == "amount"
    assert caught.value.message == "must be a decimal number such as 12.50"


def test_more_places_than_allowed_are_refused():
    with pytest.raises(RefusedError) as caught:
        clean_decimal("1.500", "amount", places=2, error=RefusedError)
    assert caught.value.message == "must have at most 2 decimal places"
    with pytest.raises(RefusedError) as caught:
        clean_decimal("1.5", "amount", places=0, error=RefusedError)
    assert caught.value.message == "must have at most 0 decimal places"
    assert clean_decimal("1.500", "amount", places=3) == Decimal("1.5")


@pytest.mark.parametrize("value", [None, "", "  "])
def test_a_missing_decimal_is_required(value):
    with pytest.raises(RefusedError) as caught:
        clean_decimal(value, "amount", places=2, error=RefusedError)

    assert caught.value.message == "is required"
