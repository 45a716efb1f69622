"""The finance view: points liability and breakage (issue 14), hand-checked and properties."""

import datetime as dt
import math
import zoneinfo
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty import (
    EarningScheme,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    Tier,
    TierLadder,
    breakage,
    points_liability,
    replay_many,
)
from crmkit.loyalty._replay_many import events_from_frame

ZONE = "Asia/Shanghai"
TZ = zoneinfo.ZoneInfo(ZONE)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


LADDER = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend=Decimal(1000))])


def test_liability_by_expiry_month_and_tier_valued_at_point_value() -> None:
    """Points valid 12 months (through the same day a year later, local): 300 points earned
    on 10 March 2025 are a liability of March 2026; 1,200 earned on 31 May of a gold member
    one of May 2026. 1 point = 0.01 yuan: 300 -> 3.00, 1,200 + 50 pending -> 12.50."""
    program = Program(
        timezone=ZONE,
        expiry=ExpiryPolicy.after_months(12),
        tiers=LADDER,
        pending_days=7,
    )
    a = program.replay([buy("a1", at(2025, 3, 10, 12), "300")], as_of=at(2025, 6, 30))
    b = program.replay(
        [buy("b1", at(2025, 5, 31, 20), "1200"), buy("b2", at(2025, 6, 29), "50")],
        as_of=at(2025, 6, 30),
    )
    table = points_liability({"m1": a, "m2": b}, as_of=at(2025, 6, 30))
    assert table.to_dict("list") == {
        "currency": ["points", "points", "points"],
        "tier": ["gold", "gold", "member"],
        "expires": ["2026-05", "2026-06", "2026-03"],
        "points": [1200, 50, 300],
        "pending": [0, 50, 0],
        "members": [1, 1, 1],
        "value": [Decimal("12.00"), Decimal("0.50"), Decimal("3.00")],
    }
    assert int(table["points"].sum()) == a.available + a.pending + b.available + b.pending


def test_liability_moves_earlier_states_forward_and_drops_what_expired() -> None:
    """A state replayed on 1 January is read at 1 July: points valid 3 months are gone."""
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(3))
    state = program.replay([buy("p", at(2025, 1, 1, 9), "100")], as_of=at(2025, 1, 1, 10))
    assert points_liability([state], as_of=at(2025, 3, 31))["points"].tolist() == [100]
    assert points_liability([state], as_of=at(2025, 7, 1)).empty
    with pytest.raises(InvalidInputError, match="as_of"):
        points_liability([state], as_of=at(2024, 12, 31))
    other = Program(timezone="UTC").replay([], as_of=at(2025, 1, 1))
    with pytest.raises(InvalidInputError, match="one program"):
        points_liability([state, other], as_of=at(2025, 3, 1))
    with pytest.raises(InvalidInputError, match="MemberState"):
        points_liability([object()], as_of=at(2025, 3, 1))  # type: ignore[list-item]


def test_liability_values_whole_points_when_points_have_decimals() -> None:
    """0.1 point per yuan with 2 decimals: ¥318.99 earns 31.89 points = 3,189 units,
    worth 31.89 x 0.01 = 0.32 yuan (to the fen)."""
    scheme = EarningScheme.base_rate("0.1", point_decimals=2)
    program = Program(timezone=ZONE, earning=scheme)
    state = program.replay([buy("a", at(2025, 3, 1), "318.99")], as_of=at(2025, 3, 2))
    row = points_liability([state], as_of=at(2025, 3, 2)).iloc[0]
    assert (row["points"], row["expires"], row["value"]) == (3189, "never", Decimal("0.32"))


def test_breakage_cohorts_with_refunds_and_a_hand_checked_estimate() -> None:
    """Points valid 6 months. January cohort: 200 issued, 60 redeemed, 140 expired (mature);
    February: 100 bought, 40 refunded -> 60 issued, 10 redeemed, 50 open. Rate from the
    mature cohort: 140 / (140 + 60) = 0.7; February's ultimate (0 + 50 x 0.7) / 60 = 0.5833;
    all cohorts (140 + 35) / 260 = 0.6731."""
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(6))
    events = {
        "m1": [buy("a", at(2025, 1, 15), "100"), Redeem("r", at(2025, 2, 1), points=60)],
        "m2": [buy("b", at(2025, 1, 20), "100")],
        "m3": [
            buy("c", at(2025, 2, 3), "60"),
            Purchase("d", at(2025, 2, 4), lines=[PurchaseLine("1", "40")]),
            Refund("f", at(2025, 2, 5), "d"),
            Redeem("r3", at(2025, 2, 6), points=10),
        ],
    }
    result = breakage(events, program, as_of=at(2025, 7, 31))
    table = result.cohorts
    assert table[["issued", "redeemed", "expired", "open"]].to_dict("index") == {
        "2025-01": {"issued": 200, "redeemed": 60, "expired": 140, "open": 0},
        "2025-02": {"issued": 60, "redeemed": 10, "expired": 0, "open": 50},
    }
    assert (result.method, result.basis) == ("resolved-ratio", "mature")
    assert result.rate == pytest.approx(0.7)
    assert table.loc["2025-02", "ultimate"] == pytest.approx(35 / 60)
    assert table.loc["2025-01", "observed"] == pytest.approx(0.7)
    assert result.ultimate == pytest.approx(175 / 260)
    data = result.to_dict()
    assert data["method"] == "resolved-ratio"
    assert data["cohorts"][0]["cohort"] == "2025-01"


def test_breakage_without_a_mature_cohort_says_so() -> None:
    """Points that never expire: nothing is mature; the rate pools all resolved points
    (here none expired, so 0) and ``basis`` says ``"all"``."""
    program = Program(timezone=ZONE)
    events = {"m1": [buy("a", at(2025, 1, 15), "100"), Redeem("r", at(2025, 2, 1), points=60)]}
    result = breakage(events, program, as_of=at(2025, 7, 31))
    assert (result.basis, result.rate, result.ultimate) == ("all", 0.0, 0.0)
    empty = breakage({"m": []}, program, as_of=at(2025, 7, 31))
    assert math.isnan(empty.rate)
    assert empty.to_dict()["ultimate"] is None
    with pytest.raises(ConfigError, match="sources"):
        breakage(events, program, as_of=at(2025, 7, 31), sources=("gift",))
    with pytest.raises(InvalidInputError, match="events"):
        breakage(None, program, as_of=at(2025, 7, 31))  # type: ignore[arg-type]


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), months=st.integers(1, 12))
def test_breakage_conserves_points_and_reads_tables_like_mappings(seed: int, months: int) -> None:
    """Property: every cohort splits exactly (issued = redeemed + expired + open); over all
    sources the cohorts add up to the members' credited minus reversed points; a table and
    its per-member events give the same result."""
    frame = datasets.loyalty_events(n_members=5, seed=seed)
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(months))
    as_of = frame["time"].max().to_pydatetime()
    sources = ("purchase", "enroll", "adjust")
    result = breakage(frame, program, as_of=as_of, sources=sources, on_error="skip")
    table = result.cohorts
    assert (table["issued"] == table["redeemed"] + table["expired"] + table["open"]).all()
    states = replay_many(frame, program, as_of=as_of, on_error="skip")
    assert int(table["issued"].sum()) == int((states["credited"] - states["reversed"]).sum())
    assert int(table["expired"].sum()) == int(states["expired"].sum())
    assert int(table["open"].sum()) == int((states["available"] + states["pending"]).sum())
    again = breakage(
        events_from_frame(frame, program), program, as_of=as_of, sources=sources, on_error="skip"
    )
    pd.testing.assert_frame_equal(again.cohorts, table)
