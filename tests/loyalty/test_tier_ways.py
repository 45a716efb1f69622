"""Tiers that qualify on combined metrics: an OR of ANDs (``Tier.alternatives``).

Example tests follow a real programme's published terms: each names the programme and the
clause, with the arithmetic. Where the wording could not be checked against the published
text it says "unverified"; no quote is invented.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zoneinfo
from decimal import Decimal

import attrs
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Counters,
    EarningScheme,
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    QualifyingPosting,
    Refund,
    Tier,
    TierLadder,
    assign_tiers,
)
from tests.strategies import tier_ladders

NY = "America/New_York"
CHI = "America/Chicago"


def _united() -> TierLadder:
    """United MileagePlus Premier, standard requirements of 2020 (see the tests)."""

    def level(name: str, pqp: int, pqf: int, pqp_only: int) -> Tier:
        # Every way also needs 4 flights on United itself.
        return Tier(
            name=name,
            alternatives=[
                Qualification(counts={"pqp": pqp, "pqf": pqf, "ua_flights": 4}),
                Qualification(counts={"pqp": pqp_only, "ua_flights": 4}),
            ],
        )

    return TierLadder(
        tiers=[
            Tier(name="member"),
            level("silver", 4_000, 12, 5_000),
            level("gold", 8_000, 24, 10_000),
            level("platinum", 12_000, 36, 15_000),
            level("1k", 18_000, 54, 24_000),
        ],
        window="calendar_year",
    )


def _flight(day: int, pqp: int, *, united: bool = True) -> QualifyingPosting:
    counts = {"pqf": 1, "pqp": pqp, "ua_flights": 1 if united else 0}
    return QualifyingPosting(dt.datetime(2021, 3, 1) + dt.timedelta(days=day), counts=counts)


def test_united_premier_is_flights_and_points_or_points_alone() -> None:
    """United MileagePlus Premier, standard requirements (United's press release of 12 Nov
    2020, as published on gurufocus.com): "Premier Silver 4,000 PQP + 12 PQF or 5,000 PQP;
    Premier Gold 8,000 PQP + 24 PQF or 10,000 PQP"; United's qualification page
    (mileageplusupdates.com): "A minimum of 4 flights on United or United Express is
    always required to achieve Premier status".

    Ten United flights of 450 PQP: 10 PQF, 4,500 PQP: no way to Silver is complete. The
    first way lacks 12 - 10 = 2 PQF (a share of 2/12 = 0.167 of it), the second 5,000 -
    4,500 = 500 PQP (500/5,000 = 0.1): the second is nearer. Two partner flights without
    PQP: 12 PQF and 4,500 >= 4,000 PQP: Silver by the first way. Towards Gold the first way
    lacks 3,500 PQP and 12 PQF (3,500/8,000 + 12/24 = 0.9375), the second 5,500 PQP
    (5,500/10,000 = 0.55): the second is nearer, and ``missing`` is its gap.
    """
    ladder = _united()
    flights = [_flight(d, 450) for d in range(10)]
    status = ladder.evaluate(flights, as_of=dt.datetime(2021, 4, 1), timezone=CHI)
    assert (status.tier, status.next_tier) == ("member", "silver")
    assert status.ways_missing == ({"pqf": 2}, {"pqp": 500})
    assert (status.nearest_way, status.missing) == (1, {"pqp": 500})
    partners = [_flight(20 + d, 0, united=False) for d in range(2)]
    status = ladder.evaluate([*flights, *partners], as_of=dt.datetime(2021, 4, 1), timezone=CHI)
    assert status.tier == "silver"
    assert status.history[-1].time.date() == dt.date(2021, 3, 22)
    assert status.ways_missing == ({"pqp": 3_500, "pqf": 12}, {"pqp": 5_500})
    assert (status.nearest_way, status.missing) == (1, {"pqp": 5_500})
    assert status.to_dict()["ways_missing"] == [{"pqp": 3_500, "pqf": 12}, {"pqp": 5_500}]


def test_united_premier_needs_four_united_flights_on_every_way() -> None:
    """United MileagePlus (as above): "A minimum of 4 flights on United or United Express is
    always required". Three United flights of 1,800 PQP and two partner flights: 5,400 >=
    5,000 PQP, but 3 < 4 United flights: still a member; each way lacks one United flight
    (and the first 12 - 5 = 7 PQF too). A fourth United flight of 100 PQP: Silver."""
    ladder = _united()
    flights = [_flight(d, 1_800) for d in range(3)] + [
        _flight(5 + d, 0, united=False) for d in range(2)
    ]
    status = ladder.evaluate(flights, as_of=dt.datetime(2021, 4, 1), timezone=CHI)
    assert status.tier == "member"
    assert status.ways_missing == ({"pqf": 7, "ua_flights": 1}, {"ua_flights": 1})
    assert status.missing == {"ua_flights": 1}
    more = [*flights, _flight(9, 100)]
    assert ladder.evaluate(more, as_of=dt.datetime(2021, 4, 1), timezone=CHI).tier == "silver"


def _marriott() -> Program:
    """Marriott Bonvoy 2021: Platinum 50, Titanium 75 nights; Ambassador 100 nights AND $14,000."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="platinum", counts={"nights": 50}),
            Tier(name="titanium", counts={"nights": 75}),
            Tier(
                name="ambassador",
                alternatives=[Qualification(spend="14000", counts={"nights": 100})],
            ),
        ],
        window="calendar_year",
    )
    return Program(currency="USD", timezone=NY, earning=EarningScheme.base_rate(10), tiers=ladder)


def _stay(eid: str, month: int, usd: str, nights: int) -> Purchase:
    when = dt.datetime(2021, month, 1, 11, tzinfo=zoneinfo.ZoneInfo(NY))
    return Purchase(eid, when, lines=[PurchaseLine("room", usd)], counts={"nights": nights})


def test_marriott_ambassador_needs_nights_and_spend() -> None:
    """Marriott Bonvoy Terms and Conditions as updated in January 2021 (quoted by
    loyaltylobby.com, 11 Jan 2021): "iv. Marriott Bonvoy - Titanium Elite: 75 Qualifying
    Nights and higher; v. Marriott Bonvoy - Ambassador Elite: 100 Qualifying Nights and
    $14,000 US Dollars in qualified annual spend" (in 2022 the spend returned to $20,000;
    nerdwallet.com gives $23,000 today). The earning rate here is only illustrative.

    A 60-night stay for $9,000: Platinum (60 >= 50). A 40-night stay for $4,999: 100
    nights, $13,999: Titanium (100 >= 75) but not Ambassador: $1 of spend missing although
    the nights are there. A 1-night stay for $1: 101 nights and $14,000: Ambassador. A
    refund of that stay takes the spend below again; the status stays (refunds count at
    the next assessment by default).
    """
    program = _marriott()
    stays = [
        _stay("a", 3, "9000", 60),
        _stay("b", 6, "4999", 40),
        _stay("c", 7, "1", 1),
    ]
    after_b = program.replay(stays[:2], as_of=stays[1].time)
    assert after_b.tier is not None
    assert (after_b.tier.tier, after_b.tier.next_tier) == ("titanium", "ambassador")
    assert after_b.tier.missing == {"spend": Decimal(1)}
    assert after_b.tier.counters.counts == {"nights": 100}
    after_c = program.replay(stays, as_of=stays[2].time)
    assert after_c.tier is not None
    assert [c.new for c in after_c.tier.history] == ["member", "platinum", "titanium", "ambassador"]
    assert (after_c.tier.next_tier, after_c.tier.missing, after_c.tier.ways_missing) == (
        None,
        {},
        (),
    )
    refund = Refund("r", stays[2].time + dt.timedelta(days=3), "c")
    kept = program.replay([*stays, refund], as_of=refund.time)
    assert kept.tier is not None
    assert kept.tier.tier == "ambassador"
    assert kept.tier.counters.spend == Decimal("13999")
    # Incremental apply equals the replay.
    state = program.replay([], as_of=stays[0].time)
    for event in [*stays, refund]:
        state = program.apply(state, event)
    assert state == kept


def test_alternatives_round_trip_and_old_json_loads_unchanged() -> None:
    """A ladder without alternatives writes the JSON it always wrote (no new key), so JSON
    stored before loads as it did; alternatives round-trip; a way without thresholds and a
    base tier with a way are refused naming the field."""
    stored = {
        "schema_version": 1,
        "tiers": [{"name": "member"}, {"name": "gold", "points": 50000, "counts": {"nights": 25}}],
        "combine": "any",
        "window": "calendar_year",
        "window_months": 12,
        "validity_windows": 1,
        "downgrade": "reevaluate",
        "grace_days": 0,
        "lifetime": [],
    }
    ladder = TierLadder.from_dict(stored)
    assert ladder.to_dict() == stored
    assert ladder.tiers[1].alternatives == ()
    united = _united()
    text = json.dumps(united.to_dict())
    assert TierLadder.from_dict(json.loads(text)) == united
    assert json.loads(text)["tiers"][1]["alternatives"][1] == {
        "counts": {"pqp": 5000, "ua_flights": 4}
    }
    with pytest.raises(ConfigError) as info:
        TierLadder.from_dict({"tiers": [{"name": "m"}, {"name": "g", "alternatives": [{}]}]})
    assert info.value.field == "tiers[1].alternatives[0].counts"
    with pytest.raises(ConfigError) as base:
        TierLadder(tiers=[Tier(name="m", alternatives=[Qualification(orders=1)])])
    assert base.value.field == "tiers"


def test_lifetime_tier_by_a_combined_way() -> None:
    """A lifetime floor may itself be an AND: "1,000 nights and 10 years" style lifetime
    status (the shape of Marriott's lifetime tiers, whose exact terms are unverified here).
    Lifetime nights 1,000 and orders (stays) 10 reached by the 10th posting: a floor."""
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", counts={"nights": 200})],
        lifetime=[
            Tier(name="gold", alternatives=[Qualification(orders=10, counts={"nights": 1000})])
        ],
    )
    posts = [
        QualifyingPosting(dt.datetime(2020 + k, 6, 1), orders=1, counts={"nights": 100})
        for k in range(10)
    ]
    status = ladder.evaluate(posts, as_of=dt.datetime(2035, 1, 1), timezone="UTC")
    assert (status.tier, status.lifetime_floor, status.valid_until) == ("gold", "gold", None)
    assert status.history[-1].reason == "lifetime"


@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(-2, 30), st.integers(0, 2000)),
        max_size=10,
    )
)
def test_own_thresholds_with_combine_all_equal_one_alternative(
    steps: list[tuple[int, int, int]],
) -> None:
    """``combine="all"`` on a tier's own thresholds and the same thresholds as one
    alternative are the same rule: the same status (tier, history, missing) after any
    postings, refunds included."""
    own = TierLadder(
        tiers=[
            Tier(name="m"),
            Tier(name="s", spend="300", counts={"nights": 10}),
            Tier(name="g", spend="900", counts={"nights": 30}),
        ],
        combine="all",
    )
    ways = TierLadder(
        tiers=[
            Tier(name="m"),
            Tier(name="s", alternatives=[Qualification(spend="300", counts={"nights": 10})]),
            Tier(name="g", alternatives=[Qualification(spend="900", counts={"nights": 30})]),
        ],
        combine="all",
    )
    t = dt.datetime(2024, 1, 1)
    posts = []
    for days, nights, spend in steps:
        t += dt.timedelta(days=days)
        sign = -1 if nights < 0 else 1
        posts.append(
            QualifyingPosting(
                t, spend=Decimal(sign * spend), orders=sign, counts={"nights": nights}
            )
        )
    for as_of in (t, t + dt.timedelta(days=500)):
        a = own.evaluate(posts, as_of=as_of, timezone="UTC", enrolled_at=dt.datetime(2024, 1, 1))
        b = ways.evaluate(posts, as_of=as_of, timezone="UTC", enrolled_at=dt.datetime(2024, 1, 1))
        assert (a.tier, a.history, a.missing) == (b.tier, b.history, b.missing)


@given(
    tier_ladders(),
    st.lists(st.tuples(st.integers(0, 6000), st.integers(0, 15)), min_size=1, max_size=20),
)
def test_assign_tiers_missing_equals_the_status_missing(
    ladder: TierLadder, rows: list[tuple[int, int]]
) -> None:
    """The vectorised ``assign_tiers`` reports, per member, the tier and the ``missing``
    gaps the one-member status reports (nearest way for tiers with alternatives), for any
    ladder of the shared strategy (own thresholds, alternatives, or ways only)."""
    # Floors need all-time counters, and a since-change period restarts at an upgrade:
    # both are the one-member fold's, not assign_tiers' (a table of window counters).
    ladder = attrs.evolve(
        ladder,
        lifetime=(),
        window="calendar_year",
        rollover="none",
        rollover_on="upgrade",
        climb="highest",
    )
    frame = pd.DataFrame(
        {
            "member_id": range(len(rows)),
            "spend": [Decimal(s).scaleb(-1) for s, _ in rows],
            "orders": [o for _, o in rows],
            "nights": [2 * o for _, o in rows],
        }
    )
    table = assign_tiers(frame, ladder)
    start = dt.datetime(2025, 3, 1)
    for i, (s, o) in enumerate(rows):
        tracker = ladder.tracker(start, timezone="UTC")
        tracker.post(
            QualifyingPosting(
                start, spend=Decimal(s).scaleb(-1), orders=o, counts={"nights": 2 * o}
            )
        )
        status = tracker.status()
        assert table["tier"].iloc[i] == status.tier
        reported = {
            c.removeprefix("missing_"): table[c].iloc[i]
            for c in table.columns
            if c.startswith("missing_") and table[c].iloc[i] != 0
        }
        assert reported == status.missing


@given(tier_ladders(), st.integers(0, 5000), st.integers(0, 20), st.integers(0, 3000))
def test_more_of_any_metric_never_lowers_the_qualified_tier(
    ladder: TierLadder, spend: int, orders: int, more: int
) -> None:
    """Monotonic qualification with combined metrics: raising one counter never gives a
    lower tier (every way is an AND of ``>=`` thresholds; the tier is the highest reached)."""
    base = Counters(Decimal(spend), 0, orders, {"nights": orders})
    ranks = [
        ladder.rank(ladder.qualify(c.spend, c.points, c.orders, counts=c.counts))
        for c in (
            base,
            base + Counters(Decimal(more)),
            base + Counters(orders=more),
            base + Counters(counts={"nights": more}),
        )
    ]
    assert min(ranks[1:]) >= ranks[0]


@given(
    tier_ladders(),
    st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 6)), min_size=2, max_size=6),
    st.randoms(use_true_random=False),
)
def test_same_instant_purchases_give_the_same_tier_in_any_order(
    ladder: TierLadder, rows: list[tuple[int, int]], shuffle: random.Random
) -> None:
    """Order independence: purchases posted at the same instant (no refunds) reach the
    same tier, counters, validity and gaps to the next tier whatever order they come in
    (only the intermediate steps of the history may differ). Not for ``since_change``
    windows, whose period restarts at the upgrade by design (rule 4): what comes after it at
    the same instant counts in the new period."""
    if ladder.window == "since_change":
        ladder = attrs.evolve(
            ladder,
            window="rolling",
            rollover="none",
            rollover_cap=None,
            rollover_on="upgrade",
            climb="highest",
        )
    at = dt.datetime(2025, 5, 1, 12)
    posts = [
        QualifyingPosting(at, spend=Decimal(s), orders=1, counts={"nights": n}) for s, n in rows
    ]
    shuffled = list(posts)
    shuffle.shuffle(shuffled)
    enrolled = dt.datetime(2025, 1, 1)
    for as_of in (at, at + dt.timedelta(days=400)):
        a = ladder.evaluate(posts, as_of=as_of, timezone="UTC", enrolled_at=enrolled)
        b = ladder.evaluate(shuffled, as_of=as_of, timezone="UTC", enrolled_at=enrolled)
        assert (a.tier, a.counters, a.valid_until, a.ways_missing, a.missing) == (
            b.tier,
            b.counters,
            b.valid_until,
            b.ways_missing,
            b.missing,
        )
