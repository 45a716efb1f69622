"""Milestone bonuses (``Program(milestones=...)``): points when a window counter reaches a mark.

Published terms modelled:

- Hilton Honors (terms of 1 April 2018, quoted by LoyaltyLobby): "Members will earn
  10,000 Hilton Honors Bonus Points at 40 eligible nights and 10,000 Hilton Honors Bonus
  Points for every 10 additional eligible nights thereafter during a calendar year
  (January 1st through December 31st)" and "an additional 30,000 Hilton Honors Bonus
  Points on their 60th eligible night per calendar year": ``every=10, after=30`` (marks
  40, 50, 60, ...) and ``marks=(60,)``.
- Qantas Frequent Flyer (FAQ "What are Status Credits"): "a Loyalty Bonus of 8,000 Qantas
  Points for every 500 Status Credits earned ... within a single membership year - up to
  a maximum of four Loyalty Bonuses": ``every=500, points=8_000, max_awards=4`` on an
  ``"anniversary"`` ladder.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    EarningScheme,
    MemberState,
    Milestone,
    Program,
    Purchase,
    PurchaseLine,
    Refund,
    Tier,
    TierLadder,
    replay_many,
)
from tests.loyalty._tables import events_table
from tests.loyalty.test_ledger_properties import check_state
from tests.strategies import examples

NY = zoneinfo.ZoneInfo("America/New_York")
SYD = zoneinfo.ZoneInfo("Australia/Sydney")

HILTON_LADDER = TierLadder(
    tiers=[
        Tier(name="member"),
        Tier(name="silver", counts={"nights": 10}),
        Tier(name="gold", counts={"nights": 40}),
        Tier(name="diamond", counts={"nights": 60}),
    ]
)
HILTON_MILESTONES = (
    Milestone(id="hilton-10n", metric="nights", every=10, after=30, points=10_000),
    Milestone(id="hilton-60n", metric="nights", marks=(60,), points=30_000),
)


def _hilton(**options: Any) -> Program:
    """Hilton's night ladder and milestones; stays earn no base points (bonuses alone)."""
    options.setdefault("earning", EarningScheme.base_rate(0))
    return Program(
        timezone="America/New_York",
        tiers=HILTON_LADDER,
        milestones=options.pop("milestones", HILTON_MILESTONES),
        **options,
    )


def _stay(event_id: str, when: dt.datetime, nights: int) -> Purchase:
    return Purchase(
        event_id,
        when,
        lines=[PurchaseLine("room", Decimal(100 * nights))],
        counts={"nights": nights},
    )


def _bonus_lots(state: MemberState) -> list[tuple[str, int, dt.date]]:
    return [
        (lot.lot_id, lot.amount, lot.earned_at.date())
        for lot in state.lots
        if lot.source == "milestone"
    ]


def _applied(program: Program, events: list[Any], start: dt.datetime) -> MemberState:
    state = program.replay([], as_of=start)
    for event in events:
        state = program.apply(state, event)
    return state


# ----------------------------------------------------------------------------- examples
SIX_STAYS = [_stay(f"s{i}", dt.datetime(2025, 2 + i, 3, 12, tzinfo=NY), 10) for i in range(6)]


def test_hilton_sixty_nights_in_a_year() -> None:
    """Six stays of 10 nights (February to July 2025), 60 nights in the calendar year:
    10,000 at the 40th night (the 4th stay, 3 May), 10,000 at the 50th (3 June), and at the
    60th (3 July) 10,000 + the additional 30,000: 4 lots, 60,000 points. On 1 January 2026
    the counters start over: a stay of 45 nights in January 2026 reaches 40 again, one
    more 10,000 (a lot of the 2026 window): 70,000 in all."""
    program = _hilton()
    events = [*SIX_STAYS, _stay("n1", dt.datetime(2026, 1, 10, 12, tzinfo=NY), 45)]
    state = program.replay(events, as_of="2026-02-01")
    assert _bonus_lots(state) == [
        ("hilton-10n@2025-01-01#1", 10_000, dt.date(2025, 5, 3)),
        ("hilton-10n@2025-01-01#2", 10_000, dt.date(2025, 6, 3)),
        ("hilton-10n@2025-01-01#3", 10_000, dt.date(2025, 7, 3)),
        ("hilton-60n@2025-01-01#1", 30_000, dt.date(2025, 7, 3)),
        ("hilton-10n@2026-01-01#1", 10_000, dt.date(2026, 1, 10)),
    ]
    assert state.available == state.credited == 70_000
    earns = [(p.rule, p.points) for p in state.postings if p.kind == "earn"]
    assert earns == [
        ("hilton-10n", 10_000),
        ("hilton-10n", 10_000),
        ("hilton-10n", 10_000),
        ("hilton-60n", 30_000),
        ("hilton-10n", 10_000),
    ]
    assert state.tier is not None
    assert state.tier.counters.counts == {"nights": 45}
    check_state(state)


def test_every_ten_after_forty() -> None:
    """The brief's reading ``every=10, after=40`` (marks 50, 60, ...): 60 nights in a year
    give 2 bonuses of 10,000, at the 50th night (3 June) and the 60th (3 July)."""
    program = _hilton(
        milestones=[Milestone(id="m", metric="nights", every=10, after=40, points=10_000)]
    )
    state = program.replay(SIX_STAYS, as_of="2025-12-31")
    assert [(amount, day) for _, amount, day in _bonus_lots(state)] == [
        (10_000, dt.date(2025, 6, 3)),
        (10_000, dt.date(2025, 7, 3)),
    ]


def test_one_stay_across_several_marks() -> None:
    """One stay of 65 nights crosses 40, 50 and 60 at once: all four bonuses at its instant."""
    state = _hilton().replay(
        [_stay("long", dt.datetime(2025, 3, 1, tzinfo=NY), 65)], as_of="2025-12-31"
    )
    assert [amount for _, amount, _ in _bonus_lots(state)] == [10_000, 10_000, 10_000, 30_000]
    assert {day for _, _, day in _bonus_lots(state)} == {dt.date(2025, 3, 1)}


def test_qantas_cap_of_four_per_membership_year() -> None:
    """Status credits as a named count on an anniversary ladder (membership years from the
    first flight, 1 March 2025). 12 flights of 250 credits = 3,000 credits by February
    2026: 6 marks of 500 reached, capped at 4 Loyalty Bonuses = 32,000 points. The next
    membership year (from 1 March 2026) starts over: 2 more flights (500) = one more."""
    ladder = TierLadder(
        tiers=[Tier(name="bronze"), Tier(name="silver", counts={"status_credits": 300})],
        window="anniversary",
    )
    program = Program(
        timezone="Australia/Sydney",
        earning=EarningScheme.base_rate(0),
        tiers=ladder,
        milestones=[
            Milestone(
                id="qf-loyalty", metric="status_credits", every=500, points=8_000, max_awards=4
            )
        ],
    )
    first = dt.datetime(2025, 3, 1, 9, tzinfo=SYD)
    flights = [
        Purchase(
            f"f{i}",
            first + dt.timedelta(days=28 * i),
            lines=[PurchaseLine("1", "500")],
            counts={"status_credits": 250},
        )
        for i in range(12)
    ]
    flights += [
        Purchase(
            f"g{i}",
            dt.datetime(2026, 4, 1 + i, tzinfo=SYD),
            lines=[PurchaseLine("1", "500")],
            counts={"status_credits": 250},
        )
        for i in range(2)
    ]
    state = program.replay(flights, as_of="2026-06-01")
    lots = _bonus_lots(state)
    assert [amount for _, amount, _ in lots] == [8_000] * 5
    assert sum(1 for lot_id, _, _ in lots if lot_id.startswith("qf-loyalty@2025")) == 4
    assert state.available == 40_000


def test_a_refund_leaves_the_bonus() -> None:
    """The bonus stands: the 4th stay (40 nights reached: 10,000) is refunded, taking the
    counter back to 30; a new 10-night stay reaches 40 again in the same year and earns
    nothing more (each mark once per window). The counters show 40 nights."""
    events = [
        *SIX_STAYS[:4],
        Refund("r4", dt.datetime(2025, 5, 10, tzinfo=NY), "s3"),
        _stay("again", dt.datetime(2025, 6, 10, tzinfo=NY), 10),
    ]
    state = _hilton().replay(events, as_of="2025-12-31")
    assert [amount for _, amount, _ in _bonus_lots(state)] == [10_000]
    assert state.available == 10_000
    assert state.tier is not None
    assert state.tier.counters.counts == {"nights": 40}
    check_state(state)


def test_pending_points_count_when_they_activate() -> None:
    """With a 7-day return window and pending purchases counted only once active, the
    40th night counts when the 4th stay's points activate (10 May): the bonus is
    credited then, not at the stay (stays earn 1 point per dollar here: a stay without
    points has nothing pending and counts at once)."""
    program = _hilton(pending_days=7, earning=EarningScheme.base_rate(1))
    state = program.replay(SIX_STAYS[:4], as_of="2025-06-01")
    assert _bonus_lots(state) == [("hilton-10n@2025-01-01#1", 10_000, dt.date(2025, 5, 10))]
    early = program.replay(SIX_STAYS[:4], as_of="2025-05-09")
    assert _bonus_lots(early) == []


def test_milestones_on_points_and_spend() -> None:
    """Marks on qualifying points (in points, also with point decimals) and on spend."""
    ladder = TierLadder(tiers=[Tier(name="base"), Tier(name="gold", points=1_000)])
    t = dt.datetime(2025, 1, 5, tzinfo=dt.UTC)
    buys = [
        Purchase(f"p{i}", t + dt.timedelta(days=i), lines=[PurchaseLine("1", "400")])
        for i in range(3)
    ]
    for decimals in (0, 2):
        program = Program(
            earning=EarningScheme.base_rate(1, point_decimals=decimals),
            tiers=ladder,
            milestones=[
                Milestone(id="pts", metric="points", marks=(1_000,), points=100),
                Milestone(id="money", metric="spend", every=500, points=7),
            ],
        )
        state = program.replay(buys, as_of=t + dt.timedelta(days=5))
        scale = 10**decimals
        # 1,200 points: the 1,000 mark (the 3rd purchase); 1,200 spend: 2 marks of 500.
        assert sorted(lot.rule for lot in state.lots if lot.source == "milestone") == [
            "money",
            "money",
            "pts",
        ]
        assert state.credited == (1_200 + 100 + 14) * scale


# ------------------------------------------------------------------ replay, apply, many
@pytest.mark.parametrize(
    "options",
    [{}, {"pending_days": 7, "earning": EarningScheme.base_rate(1)}],
    ids=["at-once", "pending"],
)
def test_replay_apply_and_replay_many_agree(options: dict[str, Any]) -> None:
    """Event by event (``Program.apply``) equals the full replay, and each member's row of
    ``replay_many`` its replay: three members of the Hilton program (also with pending
    points, whose nights count when they activate)."""
    program = _hilton(**options)
    members: dict[str, list[Any]] = {
        "sixty": SIX_STAYS,
        "refund": [*SIX_STAYS[:4], Refund("r4", dt.datetime(2025, 5, 10, tzinfo=NY), "s3")],
        "two_years": [*SIX_STAYS[:5], _stay("n1", dt.datetime(2026, 1, 10, tzinfo=NY), 45)],
    }
    as_of = dt.datetime(2026, 2, 1, tzinfo=NY)
    rows = replay_many(events_table(members), program, as_of=as_of, counts=("nights",))
    for member, events in members.items():
        replayed = program.replay(events, as_of=events[-1].time)
        applied = _applied(program, events, dt.datetime(2025, 1, 1, tzinfo=NY))
        assert applied == replayed, member
        assert _bonus_lots(applied) == _bonus_lots(replayed)
        state = program.replay(events, as_of=as_of)
        assert (rows.loc[member, "available"], rows.loc[member, "credited"]) == (
            state.available,
            state.credited,
        ), member


# ------------------------------------------------------------------------------- data
def test_json_round_trip() -> None:
    """A program with milestones reads back equal through JSON; without, the key is left out."""
    program = _hilton()
    data = json.loads(json.dumps(program.to_dict()))
    assert data["milestones"] == [
        {"id": "hilton-10n", "metric": "nights", "points": 10_000, "every": 10, "after": 30},
        {"id": "hilton-60n", "metric": "nights", "points": 30_000, "marks": [60]},
    ]
    assert Program.from_dict(data) == program
    assert "milestones" not in Program(tiers=HILTON_LADDER).to_dict()
    capped = Milestone(id="q", metric="orders", every=5, points=1, max_awards=4)
    assert Milestone.from_dict(json.loads(json.dumps(capped.to_dict()))) == capped


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"every": 10, "marks": (40,)}, "found both"),
        ({}, "found neither"),
        ({"marks": (40, 40)}, "strictly increasing"),
        ({"marks": (0,)}, "at least 1"),
        ({"every": 0}, "'every' must be an int at least 1"),
        ({"every": 10, "after": -1}, "'after' must be an int at least 0"),
        ({"marks": (40,), "after": 10}, "0 with 'marks'"),
        ({"every": 10, "points": 0}, "'points' must be an int at least 1"),
        ({"every": 10, "max_awards": 0}, "'max_awards' must be an int at least 1"),
        ({"every": 10, "id": ""}, "'id' must be a non-empty string"),
    ],
)
def test_bad_milestones_are_refused(options: dict[str, Any], message: str) -> None:
    """Each parameter is checked when the milestone is built (a ConfigError naming it)."""
    fields: dict[str, Any] = {"id": "m", "metric": "nights", "points": 1, **options}
    with pytest.raises(ConfigError, match=message):
        Milestone(**fields)


def test_programs_that_cannot_count_milestones_are_refused() -> None:
    """Milestones need tiers, a window that does not slide, a counter the ladder keeps,
    unique ids, and Milestone items."""
    nights = Milestone(id="m", metric="nights", every=10, points=1)
    with pytest.raises(ConfigError, match="milestones without tiers"):
        Program(milestones=[nights])
    rolling = TierLadder(
        tiers=[Tier(name="a"), Tier(name="b", counts={"nights": 5})], window="rolling"
    )
    with pytest.raises(ConfigError, match="window 'rolling'"):
        Program(tiers=rolling, milestones=[nights])
    with pytest.raises(ConfigError, match=r"milestones\[0\].metric"):
        Program(
            tiers=HILTON_LADDER,
            milestones=[Milestone(id="m", metric="segments", every=10, points=1)],
        )
    with pytest.raises(ConfigError, match=r"milestones\[1\].id"):
        Program(tiers=HILTON_LADDER, milestones=[nights, nights])
    with pytest.raises(ConfigError, match="a Milestone"):
        Program(tiers=HILTON_LADDER, milestones=[{"id": "m"}])
    with pytest.raises(ConfigError, match="milestones"):
        Program.from_dict(
            {"milestones": [{"id": "m", "metric": "nights", "points": 1, "every": 10}]}
        )


# --------------------------------------------------------------------------- property
@settings(max_examples=examples(30), deadline=None)
@given(
    stays=st.lists(st.tuples(st.integers(0, 700), st.integers(1, 25)), min_size=1, max_size=12),
    every=st.integers(5, 30),
    after=st.integers(0, 30),
    cap=st.one_of(st.none(), st.integers(1, 3)),
)
def test_awards_match_the_marks_reached(
    stays: list[tuple[int, int]], every: int, after: int, cap: int | None
) -> None:
    """Per calendar year, the awards equal the marks its night count reached (within the
    cap), and the member's points are conserved."""
    milestone = Milestone(
        id="m", metric="nights", every=every, after=after, points=1_000, max_awards=cap
    )
    program = _hilton(milestones=[milestone])
    start = dt.datetime(2025, 1, 1, 12, tzinfo=NY)
    events = [
        _stay(f"s{i}", start + dt.timedelta(days=day, minutes=i), nights)
        for i, (day, nights) in enumerate(stays)
    ]
    state = program.replay(events, as_of="2027-01-01")
    nights: Counter[int] = Counter()
    for event in events:
        nights[event.time.year] += dict(event.counts)["nights"]
    awards = Counter(lot.earned_at.year for lot in state.lots if lot.source == "milestone")
    assert {year: n for year, n in awards.items() if n} == {
        year: milestone.reached(count) for year, count in nights.items() if milestone.reached(count)
    }
    assert state.credited == 1_000 * sum(awards.values())
    check_state(state)


def test_breakage_counts_milestone_bonuses_when_asked() -> None:
    """``breakage(sources=("milestone",))``: the Hilton bonuses of 2025 (60,000 issued,
    none redeemed) are issued points of their earning months, and still outstanding at
    the end of 2025 (no expiry). Before, ``"milestone"`` was refused as a source."""
    from crmkit.loyalty import breakage

    result = breakage({"m1": SIX_STAYS}, _hilton(), as_of="2025-12-31", sources=("milestone",))
    cohorts = result.cohorts
    assert int(cohorts["issued"].sum()) == 60_000
    assert int(cohorts["redeemed"].sum()) == int(cohorts["expired"].sum()) == 0
