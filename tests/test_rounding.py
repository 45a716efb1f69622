"""Tests of crmkit._rounding: the one vocabulary of rounding modes and largest remainder."""

from __future__ import annotations

import decimal
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import _rounding
from crmkit.errors import ConfigError


@pytest.mark.parametrize("mode", _rounding.ROUNDING_MODES)
@pytest.mark.parametrize("text", ["2.5", "-2.5", "2.4999", "-0.5", "7", "0.05"])
def test_every_mode_means_the_decimal_constant_of_its_name(mode: str, text: str) -> None:
    """'floor' is ROUND_FLOOR, 'down' is ROUND_DOWN, ...: the decimal module's meanings."""
    constant = getattr(decimal, "ROUND_" + mode.upper())
    value = Decimal(text)
    assert _rounding.round_integral(value, mode) == int(value.to_integral_value(constant))
    assert _rounding.round_decimal(value, 1, mode, "t()") == value.quantize(
        Decimal("0.1"), rounding=constant
    )


def test_the_table_in_the_module_docstring() -> None:
    """The documented 2.5 / -2.5 table, mode by mode."""
    table = {
        "floor": (2, -3),
        "ceiling": (3, -2),
        "down": (2, -2),
        "up": (3, -3),
        "half_up": (3, -3),
        "half_down": (2, -2),
        "half_even": (2, -2),
    }
    assert set(table) == set(_rounding.ROUNDING_MODES)
    for mode, (pos, neg) in table.items():
        assert _rounding.round_integral(Decimal("2.5"), mode) == pos
        assert _rounding.round_integral(Decimal("-2.5"), mode) == neg


@pytest.mark.parametrize("mode", ["bankers", "truncate", "ROUND_FLOOR", "Floor", "05up", None, 1])
def test_nothing_else_is_accepted(mode: object) -> None:
    """No aliases: an unknown name is a ConfigError that lists the vocabulary."""
    with pytest.raises(ConfigError, match="'rounding' must be one of"):
        _rounding.rounding_mode(mode, "owner()")


def test_fraction_ties_are_decided_on_the_exact_value() -> None:
    """14.5 as a Fraction is a tie (half_up gives 15); a float is rounded as it is shown."""
    assert _rounding.round_decimal(Fraction(29, 2), 0, "half_up", "t()") == Decimal(15)
    assert _rounding.round_decimal(Fraction(29, 2), 0, "half_even", "t()") == Decimal(14)
    assert _rounding.round_decimal(Fraction(1, 3), 3, "up", "t()") == Decimal("0.334")
    # A float is read by its shortest repr: 2.675 rounds as it is shown (round() gives 2.67).
    assert _rounding.round_decimal(2.675, 2, "half_up", "t()") == Decimal("2.68")
    with pytest.raises(ConfigError, match="decimals"):
        _rounding.round_decimal(1.0, 11, "half_up", "t()")


def test_largest_remainder_hand_checked() -> None:
    """Floors first, the rest to the largest remainders, ties to the earlier position."""
    assert _rounding.largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert _rounding.largest_remainder(100, [Decimal("0.5"), Decimal("1.25")]) == [29, 71]
    assert _rounding.largest_remainder(7, [0, 0]) == [4, 3]
    assert _rounding.largest_remainder(5, []) == []
    assert _rounding.largest_remainder(-10, [1, 1, 1]) == [-3, -3, -4]
    # Hamilton's classic: 100 seats over 3 parties with quotas 46.3, 33.6, 20.1.
    assert _rounding.largest_remainder(100, [463, 336, 201]) == [46, 34, 20]


def test_apportion_refuses_quotas_that_cannot_reach_the_total() -> None:
    """A caller's error (quotas not adding up to the total) is refused, not half-done."""
    with pytest.raises(ValueError, match="cannot be rounded to total 10"):
        _rounding.apportion([Fraction(1, 2), Fraction(1, 2)], 10)


weights = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False), min_size=1, max_size=12
)


@given(st.integers(-(10**6), 10**6), weights)
def test_largest_remainder_invariants(total: int, ws: list[Decimal]) -> None:
    """Parts add up exactly, each is its quota's floor or floor + 1, and order is kept."""
    parts = _rounding.largest_remainder(total, ws)
    assert sum(parts) == total
    sum_w = sum(Fraction(w) for w in ws)
    for part, w in zip(parts, ws, strict=True):
        quota = total * Fraction(w) / sum_w if sum_w else Fraction(total, len(ws))
        assert part - quota > -1
        assert part - quota < 1
    for i in range(len(ws) - 1):
        if total >= 0 and ws[i] >= ws[i + 1]:
            assert parts[i] >= parts[i + 1]


@given(st.lists(st.fractions(min_value=0, max_value=1000), min_size=1, max_size=10))
def test_apportion_of_quotas_that_sum_to_a_whole(quotas: list[Fraction]) -> None:
    """Quotas padded to a whole sum are rounded to that sum, each to its floor or ceiling."""
    total = sum(quotas, Fraction(0))
    quotas = [*quotas, math.ceil(total) - total]
    whole = math.ceil(total)
    parts = _rounding.apportion(quotas, whole)
    assert sum(parts) == whole
    for part, quota in zip(parts, quotas, strict=True):
        assert part in (math.floor(quota), math.floor(quota) + 1)
