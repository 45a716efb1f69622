"""``EarningScheme.refund_rounding``: how a partial refund's share of a line's points rounds.

Hand-checked example (Youzan's deduction rounded up) and properties: the shares of a line
refunded in several goes add up to the line's points in every mode, each share is the
mode's rounding of ``points x units / all units`` cumulatively, incremental ``apply``
equals ``replay``, and points are conserved.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit._rounding import round_integral
from crmkit.errors import ConfigError
from crmkit.loyalty import EarningScheme, Program, Purchase, PurchaseLine, Refund, RefundLine

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 1, 10, tzinfo=UTC)
MODES = ("floor", "ceiling", "down", "up", "half_up", "half_down", "half_even")


def _program(mode: str, rate: str = "0.1") -> Program:
    return Program(timezone="UTC", earning=EarningScheme.base_rate(rate, refund_rounding=mode))


def test_youzan_rounding_up_and_back_to_the_whole_line() -> None:
    """10 points on 100 units: 22 refunded takes ceil(2.2) = 3; 50 more: ceil(7.2) - 3 =
    5; the last 28: 10 - 8 = 2 (the whole line's 10 in all). Floor: 2, 5, 3."""
    order = Purchase("b", T0, lines=[PurchaseLine("1", "100", quantity=100)])
    refunds = [
        Refund(f"r{n}", T0 + dt.timedelta(days=n + 1), "b", lines=[RefundLine("1", quantity=q)])
        for n, q in enumerate((22, 50, 28))
    ]
    for mode, steps in (("ceiling", [3, 8, 10]), ("floor", [2, 7, 10])):
        program = _program(mode)
        seen = [
            program.replay([order, *refunds[: k + 1]], as_of=T0 + dt.timedelta(days=5)).reversed
            for k in range(3)
        ]
        assert seen == steps, mode
    scheme = EarningScheme.base_rate("0.1", refund_rounding="ceiling")
    assert scheme.to_dict()["refund_rounding"] == "ceiling"
    assert EarningScheme.from_dict(scheme.to_dict()) == scheme
    assert "refund_rounding" not in EarningScheme.base_rate("0.1").to_dict()
    with pytest.raises(ConfigError, match="refund_rounding"):
        EarningScheme.base_rate("0.1", refund_rounding="round_up")


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(MODES),
    st.integers(1, 60),
    st.integers(1, 5_000),
    st.lists(st.integers(1, 20), min_size=1, max_size=6),
)
def test_refund_shares_round_cumulatively_and_add_up(
    mode: str, units: int, cents: int, parts: list[int]
) -> None:
    program = _program(mode, rate="1")
    amount = f"{cents / 100:.2f}"
    order = Purchase("b", T0, lines=[PurchaseLine("1", amount, quantity=units)])
    earned = program.replay([order], as_of=T0).credited
    events: list[object] = [order]
    done = 0
    for n, part in enumerate(parts):
        take = min(part, units - done)
        if not take:
            break
        done += take
        events.append(
            Refund(
                f"r{n}", T0 + dt.timedelta(hours=n + 1), "b", lines=[RefundLine("1", quantity=take)]
            )
        )
        state = program.replay(events, as_of=T0 + dt.timedelta(days=1))  # type: ignore[arg-type]
        assert state.reversed == round_integral(Fraction(earned * done, units), mode)
        assert state.credited == state.available + state.reversed + state.spent + state.forfeited
    state = program.replay([], as_of=T0)
    for event in events:
        state = program.apply(state, event)  # type: ignore[arg-type]
    assert state == program.replay(events, as_of=state.as_of)  # type: ignore[arg-type]
    if done == units:
        assert state.reversed == earned
