"""Numbers written as text are read one way across crmkit, and the forms it refuses are
named: thousands separators, a decimal comma, currency signs, full-width digits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit._spec import to_decimal
from crmkit._validate import number_text_hint
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.loyalty import Program, PurchaseLine, replay_many
from crmkit.segmentation import summarize

FULL_WIDTH_100 = "\uff11\uff10\uff10"


def _pandas_reads(text: str) -> bool:
    """Whether the analytics read ``text`` as a finite number (``pd.to_numeric``)."""
    number = pd.to_numeric(pd.Series([text], dtype=object), errors="coerce").iloc[0]
    return bool(pd.notna(number) and abs(float(number)) != float("inf"))


def _decimal_reads(text: str) -> bool:
    """Whether loyalty money reads ``text`` as a finite decimal (the spec converter)."""
    read = to_decimal(text)
    return isinstance(read, Decimal) and read.is_finite()


@given(st.text(alphabet="0123456789.,_-+ \uff10\uff11\u0661\u00a5", max_size=8))
def test_money_text_is_read_as_the_analytics_read_numbers(text: str) -> None:
    """Loyalty amounts (``Decimal``) and analytics amounts (pandas) accept the same text:
    ``Decimal`` alone would also take full-width and other non-ASCII digits and
    underscores between digits, which pandas refuses."""
    assert _decimal_reads(text) == _pandas_reads(text), text


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("1234.50", True),
        (" 12 ", True),
        ("+5", True),
        (".5", True),
        ("1e3", True),
        ("1_000", False),
        (FULL_WIDTH_100, False),
        ("1,234.50", False),
        ("\u00a5100", False),
        ("", False),
    ],
)
def test_the_one_form_of_a_number(text: str, reads: bool) -> None:
    assert _decimal_reads(text) == reads == _pandas_reads(text)


@pytest.mark.parametrize(
    ("value", "start", "fix"),
    [
        ("1,234", "'1,234' reads as 1234 with a thousands separator or as 1.234", "where the file"),
        ("1,234,567.5", "'1,234,567.5' has thousands separators", "str.replace(',', '')"),
        ("35,5", "'35,5' has a decimal comma", "str.replace(',', '.')"),
        (
            "1.234,56",
            "'1.234,56' has dots between thousands and a decimal comma",
            "remove the dots",
        ),
        ("\uffe520", "'\uffe520' carries a currency sign or unit", "remove it"),
        ("\u00a5 1,234.50", "'\u00a5 1,234.50' carries a currency sign", "remove it"),
        ("20\u5143", "'20\u5143' carries a currency sign or unit", "remove it"),
        ("12 RMB", "'12 RMB' carries a currency sign or unit", "remove it"),
        (FULL_WIDTH_100, f"'{FULL_WIDTH_100}' has full-width digits", "normalize('NFKC')"),
        ("1_000", "'1_000' has underscores between digits", "remove them"),
    ],
)
def test_each_refused_form_is_named_with_its_fix(value: str, start: str, fix: str) -> None:
    hint = number_text_hint([value])
    assert hint.startswith(start)
    assert "crmkit reads numbers one way: ASCII digits" in hint
    assert fix in hint


def test_text_that_is_no_number_gets_no_hint() -> None:
    assert number_text_hint(["n/a", "", None, 3]) == ""


def test_analytics_name_the_form_of_the_refused_amount() -> None:
    """Regression: '1,234.50' (an Excel export's formatted amount) was refused without
    saying why; the message now names the thousands separators and the fix."""
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "date": ["2025-01-01", "2025-01-02"],
            "amount": ["1,234.50", "20"],
        }
    )
    with pytest.raises(SchemaError, match=r"'1,234.50' has thousands separators, and crmkit"):
        summarize(tx, as_of="2025-02-01")


def test_loyalty_refuses_what_the_analytics_refuse_and_says_why() -> None:
    """Regression: a loyalty amount of full-width digits or with underscores was read
    (``Decimal`` takes both) while the analytics refused it."""
    with pytest.raises(ConfigError, match="has full-width digits"):
        PurchaseLine("1", FULL_WIDTH_100)
    with pytest.raises(ConfigError, match="has underscores"):
        PurchaseLine("1", "1_000")
    for amount, words in (
        ("1,234.50", "has thousands separators"),
        (FULL_WIDTH_100, "has full-width digits"),
        ("1_000", "has underscores"),
        ("\uffe520", "carries a currency sign"),
    ):
        table = pd.DataFrame(
            {
                "member_id": ["m"],
                "event_id": ["e1"],
                "time": ["2025-01-01T10:00:00+08:00"],
                "kind": ["purchase"],
                "amount": [amount],
            }
        )
        with pytest.raises(InvalidInputError, match=words):
            replay_many(
                table,
                Program(timezone="Asia/Shanghai"),
                as_of=dt.datetime(2025, 2, 1, tzinfo=dt.UTC),
            )
