"""The ledger's cheap tier reads (branch loyctx) give exactly what a full status gives.

Tier-dependent earning, prices per tier and expiry by tier read the member's tier at every
purchase, redemption or credit; they read it off the tracker (``TierTracker._tier_at``,
:meth:`Book.ladder_tiers`) instead of building a :class:`TierStatus` each time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import (
    BaseRate,
    Condition,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    Multiplier,
    Privilege,
    PrivilegeSet,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Tier,
    TierLadder,
)
from crmkit.loyalty._ledger import Book
from crmkit.loyalty._tracker import TierTracker
from tests.strategies import climbing_histories, examples, qualifying_postings, tier_ladders

_CLUB = TierLadder(
    tiers=[Tier(name="basic"), Tier(name="plus", orders=3)], window="rolling", window_months=2
)


@settings(max_examples=examples(150), deadline=None)
@given(
    ladder=tier_ladders(),
    postings=qualifying_postings(refunds=True),
    reads=st.lists(st.integers(0, 400 * 86_400), max_size=6),
)
def test_tier_at_is_the_status_tier_and_leaves_the_same_tracker(
    ladder: TierLadder, postings: list[Any], reads: list[int]
) -> None:
    """Two trackers fed the same postings, one read with ``_tier_at`` and the other with
    ``status`` at the same instants (after each posting and later), agree at every read on
    the tier, its validity and the history, and end in the same status."""
    postings = sorted(postings, key=lambda p: p.time)
    start = dt.datetime(2024, 1, 1)
    cheap = ladder.tracker(start, timezone="Asia/Shanghai")
    full = ladder.tracker(start, timezone="Asia/Shanghai")
    instants = [p.time for p in postings]
    last = instants[-1] if instants else start
    instants += sorted(last + dt.timedelta(seconds=s) for s in reads)
    for k, when in enumerate(instants):
        if k < len(postings):
            cheap.post(postings[k])
            full.post(postings[k])
        status = full.status(when)
        assert cheap._tier_at(when) == status.tier
        assert cheap.valid_until == status.valid_until
        assert cheap.history == status.history
    assert cheap.status() == full.status()


@st.composite
def _tier_programs(draw: st.DrawFn) -> Program:
    """Programs whose earning, prices and expiry depend on the tier: one drawn ladder or
    two ladders, with or without privileges."""
    ladder = draw(tier_ladders())
    names = ladder.names
    top = names[-1]
    rules: list[Any] = [
        BaseRate(id="base", rate=1),
        BaseRate(id="top", rate=2, when=Condition(tiers=[top])),
    ]
    if len(names) > 1:
        rules.append(Multiplier(id="second", factor="1.5", when=Condition(tiers=[names[1]])))
    several = draw(st.booleans())
    prices = {"*": 300, top: 200}
    if several:
        rules.append(Multiplier(id="club", factor=2, when=Condition(tiers=["club:plus"])))
        prices["club:plus"] = 250
    expiry = draw(
        st.sampled_from(
            [
                ExpiryPolicy.after_months(1),
                ExpiryPolicy.after_days(30).per_tier({top: ExpiryPolicy.never()}),
                ExpiryPolicy.after_days(30).per_tier({top: ExpiryPolicy.never()}, basis="held"),
                ExpiryPolicy.after_days(20).per_tier({top: ExpiryPolicy.after_days(90)}),
                ExpiryPolicy.inactivity(20, "days", activity=("purchase",)).per_tier(
                    {top: ExpiryPolicy.never()}
                ),
            ]
        )
    )
    privileges = draw(
        st.sampled_from([None, PrivilegeSet([Privilege(id="perk", kind="benefit", tiers=[top])])])
    )
    return Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme(rules=rules),
        expiry=expiry,
        tiers={"status": ladder, "club": _CLUB} if several else ladder,
        privileges=privileges,
        catalogue={"coupon": prices},
        pending_days=draw(st.sampled_from([0, 7])),
    )


def _through_status(self: TierTracker, as_of: dt.datetime) -> str:
    return self.status(as_of).tier


def _ladder_tiers_through_statuses(self: Book, at: dt.datetime) -> dict[str, str]:
    return {name: status.tier for name, status in self.ladder_statuses(at).items()}


@settings(max_examples=examples(120), deadline=None)
@given(program=_tier_programs(), events=climbing_histories())
def test_replay_equals_a_replay_reading_full_statuses(program: Program, events: list[Any]) -> None:
    """A replay under a tier-dependent program (earning by tier, prices by tier, expiry by
    tier, privileges, one or two ladders) equals, state for state, the replay whose every
    tier read builds the full status first (the ledger before branch loyctx)."""
    as_of = events[-1].time + dt.timedelta(days=45)
    cheap = program.replay(events, as_of=as_of, on_error="skip")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TierTracker, "_tier_at", _through_status)
        patch.setattr(Book, "ladder_tiers", _ladder_tiers_through_statuses)
        full = program.replay(events, as_of=as_of, on_error="skip")
    assert cheap == full
    assert cheap.tiers_by_ladder == full.tiers_by_ladder
    assert cheap.privileges == full.privileges
    assert cheap.rejected == full.rejected


def test_gold_earns_double_and_pays_the_gold_price() -> None:
    """Hand-checked: 1 point per yuan, +2 per yuan for gold (reached at 1,000 spent);
    the coupon costs 300, 200 for gold. 800 earns 800 (member); 300 earns 300 and makes the
    member gold (the tier is read before the order's own spend counts); then 100 earns
    100 + 200 = 300 and the coupon costs 200: 800 + 300 + 300 - 200 = 1,200."""
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="1000")])
    program = Program(
        timezone="UTC",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                BaseRate(id="gold", rate=2, when=Condition(tiers=["gold"])),
            ]
        ),
        tiers=ladder,
        catalogue={"coupon": {"*": 300, "gold": 200}},
    )
    day = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    events = [
        Enroll("e", day),
        Purchase("p1", day + dt.timedelta(days=1), lines=[PurchaseLine("1", "800")]),
        Purchase("p2", day + dt.timedelta(days=2), lines=[PurchaseLine("1", "300")]),
        Purchase("p3", day + dt.timedelta(days=3), lines=[PurchaseLine("1", "100")]),
        Redeem("r", day + dt.timedelta(days=4), reward="coupon"),
    ]
    state = program.replay(events, as_of=day + dt.timedelta(days=5))
    assert state.tier_name == "gold"
    assert state.available == 1200
    assert state.spent == 200
