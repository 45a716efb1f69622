"""Properties of the finance view over random member bases (points_liability, breakage).

The streams mix purchases, redemptions, refunds, cancelled redemptions, goodwill credits
and transfers between members (as the ``transfer_out`` / ``transfer_in`` adjustments that
:func:`crmkit.loyalty.transfer` writes), under expiring or non-expiring points, pending
days and the ``forfeit`` or ``debt`` shortfall policy. Events the ledger cannot honour
(a redemption above the balance, a transfer of points not held) are skipped.
"""

import datetime as dt
import math
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import (
    Adjust,
    CancelRedemption,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    breakage,
    points_liability,
)
from tests.strategies import examples

ZONE = "Asia/Shanghai"
START = dt.datetime(2025, 1, 1, tzinfo=zoneinfo.ZoneInfo(ZONE))
AS_OF = START + dt.timedelta(days=400)
ALL_SOURCES = ("purchase", "enroll", "adjust", "yearly")


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """A program with expiring (1-12 months) or never-expiring points and a shortfall."""
    months = draw(st.sampled_from([None, 1, 3, 12]))
    expiry = ExpiryPolicy.never() if months is None else ExpiryPolicy.after_months(months)
    return Program(
        timezone=ZONE,
        expiry=expiry,
        pending_days=draw(st.sampled_from([0, 7])),
        shortfall=draw(st.sampled_from(["forfeit", "debt"])),
    )


@st.composite
def member_bases(draw: st.DrawFn) -> dict[str, list[Any]]:
    """Two to five members' event streams over about a year, with transfers between them."""
    members = [f"m{i}" for i in range(draw(st.integers(2, 5)))]
    events: dict[str, list[Any]] = {who: [] for who in members}
    bought: dict[str, list[str]] = {who: [] for who in members}
    redeemed: dict[str, list[str]] = {who: [] for who in members}
    steps = draw(st.lists(st.tuples(st.integers(0, 360), st.integers(0, 5)), max_size=30))
    for n, (day, kind) in enumerate(steps):
        who = draw(st.sampled_from(members))
        when = START + dt.timedelta(days=day, hours=draw(st.integers(0, 23)))
        amount = draw(st.integers(1, 400))
        if kind <= 1:
            events[who].append(Purchase(f"p{n}", when, lines=[PurchaseLine("1", str(amount))]))
            bought[who].append(f"p{n}")
        elif kind == 2:
            events[who].append(Redeem(f"r{n}", when, points=amount))
            redeemed[who].append(f"r{n}")
        elif kind == 3 and bought[who]:
            ref = draw(st.sampled_from(bought[who]))
            events[who].append(Refund(f"f{n}", when + dt.timedelta(days=1), ref))
        elif kind == 4 and redeemed[who]:
            ref = draw(st.sampled_from(redeemed[who]))
            events[who].append(CancelRedemption(f"c{n}", when + dt.timedelta(days=1), ref))
        elif kind == 5:
            to = draw(st.sampled_from(members))
            if to == who:
                events[who].append(Adjust(f"g{n}", when, points=amount, reason="goodwill"))
            else:
                events[who].append(Adjust(f"t{n}/out", when, points=-amount, reason="transfer_out"))
                events[to].append(Adjust(f"t{n}/in", when, points=amount, reason="transfer_in"))
    return events


def _states(program: Program, base: dict[str, list[Any]]) -> dict[str, Any]:
    return {who: program.replay(evs, as_of=AS_OF, on_error="skip") for who, evs in base.items()}


@settings(max_examples=examples(40), deadline=None)
@given(program=programs(), base=member_bases())
def test_outstanding_is_issued_less_redeemed_and_expired(
    program: Program, base: dict[str, list[Any]]
) -> None:
    """Property (conservation): over every source, each cohort splits exactly (issued =
    redeemed + expired + open, none negative), and the points outstanding that
    ``points_liability`` reports are what breakage leaves open (issued - redeemed -
    expired, refunds, transfers out and debt repayments already netted from issued), and
    what the members hold (available + pending)."""
    result = breakage(base, program, as_of=AS_OF, sources=ALL_SOURCES, on_error="skip")
    table = result.cohorts
    counts = table[["issued", "redeemed", "expired", "open"]]
    assert (counts >= 0).all().all()
    assert (table["issued"] == table["redeemed"] + table["expired"] + table["open"]).all()
    states = _states(program, base)
    liability = points_liability(states, as_of=AS_OF)
    outstanding = int(liability["points"].sum())
    issued, used, gone = (int(table[c].sum()) for c in ("issued", "redeemed", "expired"))
    assert outstanding == issued - used - gone
    assert outstanding == sum(s.available + s.pending for s in states.values())
    assert int(liability["pending"].sum()) == sum(s.pending for s in states.values())


@settings(max_examples=examples(40), deadline=None)
@given(
    program=programs(),
    base=member_bases(),
    rate=st.none() | st.floats(0, 1),
    sources=st.sampled_from([("purchase",), ALL_SOURCES]),
)
def test_breakage_shares_lie_in_zero_one(
    program: Program,
    base: dict[str, list[Any]],
    rate: float | None,
    sources: tuple[str, ...],
) -> None:
    """Property: the rate, the observed and ultimate shares of every cohort and of all
    together are in [0, 1] (or NaN when nothing was issued or resolved), and the points
    expected to be redeemed lie between those redeemed and those plus the open ones."""
    result = breakage(base, program, as_of=AS_OF, sources=sources, rate=rate, on_error="skip")
    for share in (result.rate, result.ultimate):
        assert math.isnan(share) or 0.0 <= share <= 1.0
    table = result.cohorts
    for column in ("observed", "ultimate"):
        values = table[column].to_numpy(dtype=np.float64)
        known = values[~np.isnan(values)]
        assert ((known >= 0.0) & (known <= 1.0 + 1e-12)).all()
    expected = table["expected_redeemed"].to_numpy(dtype=np.float64)
    known = ~np.isnan(expected)
    low = table["redeemed"].to_numpy(dtype=np.float64)[known]
    high = low + table["open"].to_numpy(dtype=np.float64)[known]
    assert ((expected[known] >= low - 1e-9) & (expected[known] <= high + 1e-9)).all()


@settings(max_examples=examples(25), deadline=None)
@given(program=programs(), base=member_bases())
def test_the_order_of_members_does_not_matter(program: Program, base: dict[str, list[Any]]) -> None:
    """Property: the members in reverse order (a mapping or a list of states) give the same
    liability table and the same breakage cohorts and estimate."""
    backwards = dict(reversed(base.items()))
    states = _states(program, base)
    pd.testing.assert_frame_equal(
        points_liability(states, as_of=AS_OF),
        points_liability(list(reversed(states.values())), as_of=AS_OF),
    )
    one = breakage(base, program, as_of=AS_OF, sources=ALL_SOURCES, on_error="skip")
    two = breakage(backwards, program, as_of=AS_OF, sources=ALL_SOURCES, on_error="skip")
    pd.testing.assert_frame_equal(one.cohorts, two.cohorts)
    assert one.to_dict() == two.to_dict()
