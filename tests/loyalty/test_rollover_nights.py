"""Rollover of a calendar year's surplus (IHG One Rewards' rollover nights): ``rollover=
"surplus"`` on a fixed window, with ``rollover_metrics``, ``rollover_from`` and
``rollover_once``.

The published rule, IHG's own tier page (https://qap.www.ihg.com/onerewards/content/us/en/
tier-benefits): thresholds "Silver Elite 10; Gold Elite 20 or 40,000; Platinum Elite 40 or
60,000; Diamond Elite 70 or 120,000" (qualified nights or qualified points), and "Rollover
Nights for Next Year's Status: Not included in Club Member, Not included in Silver Elite,
Included in Gold Elite, Platinum Elite, Diamond Elite". How the nights are counted, in IHG's
terms as quoted by the programme's commentators:

- "Qualifying nights in excess of [the threshold] will be counted towards a member's Elite
  status qualification for the following calendar year. Elite Rollover Nights are only
  valid for one calendar year" (IHG Rewards Club terms of July 2013, quoted at
  https://loyaltytraveler.boardingarea.com/2013/08/15/ihg-rewards-club-elite-qualification-
  changes).
- "You must start with the number of qualifying nights you had in 2016 and deduct any
  possible rollover nights carried over from 2015. Only those nights that were consumed in
  2016 and are greater than your reached elite status rollover to 2017"; "20 rollover
  nights from 2015 and 60 consumed nights in 2016 ... 80 ... ZERO rollover"; "112 (nights)
  - 75 (Spire Elite requirement) = 37" (http://loyaltylobby.com/2017/01/09/ihg-rewards-club-
  gold-platinum-spire-elite-member-rollover-nights-2017/).
- "Only to Gold, Platinum, and Diamond Elite members, excluding Silver Elite. A Gold Elite
  member who completes 25 nights in a year ... would begin the next year with five rollover
  nights ... these nights can only roll over once" (Head for Points, summarised at
  https://bestcashbackrewardscreditcard.com/ihg-one-rewards-the-last-stand-for-rollover-
  elite-nights/); "25 nights -> 5 roll over; 22 nights the next year, 27 in all: only the 22
  stayed count, 2 roll over" (https://voyageavance.global/ihg-roll-over).

As crmkit data: ``rollover="surplus"`` on ``window="calendar_year"``,
``rollover_metrics=["nights"]`` (points never roll over), ``rollover_from="gold"``,
``rollover_once=True``. The surplus is measured against the tier the year's counters reach
(rolled-over nights included: they count "towards status qualification"), on the nights
stayed in the year only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import zoneinfo
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    EarningScheme,
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    QualifyingPosting,
    Refund,
    Tier,
    TierLadder,
    replay_many,
)
from crmkit.loyalty._replay_many import events_from_frame
from tests.loyalty.test_tier_batch import one_by_one, outcome, state
from tests.strategies import (
    TIER_ZONES,
    examples,
    ledger_qualifying,
    one_metric_ladders,
    tier_ladders,
)

NY = zoneinfo.ZoneInfo("America/New_York")
#: IHG One Rewards' thresholds since 2022 (tier page above).
IHG_TIERS = (
    Tier(name="club"),
    Tier(name="silver", alternatives=[Qualification(counts={"nights": 10})]),
    Tier(name="gold", points=40_000, counts={"nights": 20}),
    Tier(name="platinum", points=60_000, counts={"nights": 40}),
    Tier(name="diamond", points=120_000, counts={"nights": 70}),
)
IHG_ROLLOVER = {
    "rollover": "surplus",
    "rollover_metrics": ["nights"],
    "rollover_from": "gold",
    "rollover_once": True,
}
#: Gold threshold, for the reference model.
NIGHTS = {"club": 0, "silver": 10, "gold": 20, "platinum": 40, "diamond": 70}
POINTS = {"club": None, "silver": None, "gold": 40_000, "platinum": 60_000, "diamond": 120_000}


def _ihg(**changes: Any) -> TierLadder:
    return TierLadder(tiers=IHG_TIERS, window="calendar_year", **(IHG_ROLLOVER | changes))


def _ihg_2016() -> TierLadder:
    """IHG Rewards Club as of 2016: "Club members will need to earn just 10,000 qualifying
    points or stay for ten qualifying nights to be eligible for Gold membership. Gold
    members will need to earn 40,000 qualifying points or stay for 40 qualifying nights to
    reach Platinum"; Spire Elite "75,000 qualifying points or ... 75 qualifying nights"
    (IHG's press release of 13 April 2015, https://loyaltytraveler.boardingarea.com/2015/
    04/13/ihg-rewards-club-adds-elite-tier-at-75-nights-...)."""
    return TierLadder(
        tiers=[
            Tier(name="club"),
            Tier(name="gold", points=10_000, counts={"nights": 10}),
            Tier(name="platinum", points=40_000, counts={"nights": 40}),
            Tier(name="spire", points=75_000, counts={"nights": 75}),
        ],
        **IHG_ROLLOVER | {"rollover_from": None},
    )


def _nights(year: int, month: int, nights: int, points: int = 0) -> QualifyingPosting:
    return QualifyingPosting(
        dt.datetime(year, month, 1, 12, tzinfo=NY), points=points, counts={"nights": nights}
    )


def _at(ladder: TierLadder, posts: list[QualifyingPosting], when: dt.datetime) -> Any:
    return ladder.evaluate(
        posts, as_of=when, timezone=NY, enrolled_at=dt.datetime(2015, 1, 1, tzinfo=NY)
    )


def _jan1(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, 0, 0, 1, tzinfo=NY)


# ------------------------------------------------------------------------------ examples


def test_loyalty_lobby_112_nights_as_spire_roll_37_over() -> None:
    """Loyalty Lobby (above): "I had 112 qualifying nights in 2016 without any rollovers
    from 2015. 112 (nights) - 75 (Spire Elite requirement) = 37 (rollover)". On the 2016
    ladder: 2017 starts at 37 nights; on 31 December 2016 the count is still 112."""
    posts = [_nights(2016, 3, 60), _nights(2016, 9, 52)]
    ladder = _ihg_2016()
    assert _at(ladder, posts, dt.datetime(2016, 12, 31, 23, tzinfo=NY)).counters.counts == {
        "nights": 112
    }
    jan = _at(ladder, posts, _jan1(2017))
    assert (jan.tier, jan.counters.counts) == ("spire", {"nights": 37})


def test_loyalty_lobby_rolled_nights_never_roll_again() -> None:
    """Loyalty Lobby (above): Spire "in 2016 by having 20 rollover nights from 2015 and 60
    consumed nights in 2016 ... 80. However, you would have ZERO rollover for 2017":
    60 - 75 < 0. 2015: 85 nights, 85 - 75 = 10?  No: to start 2016 with 20 the member stayed
    95 nights in 2015 (95 - 75 = 20). Without ``rollover_once`` (Hilton's count, below) the
    same history rolls 80 - 75 = 5 over."""
    posts = [_nights(2015, 6, 95), _nights(2016, 6, 60)]
    once = _ihg_2016()
    assert _at(once, posts, _jan1(2016)).counters.counts == {"nights": 20}
    st2016 = _at(once, posts, dt.datetime(2016, 12, 31, tzinfo=NY))
    assert (st2016.tier, st2016.counters.counts) == ("spire", {"nights": 80})
    assert _at(once, posts, _jan1(2017)).counters.counts == {"nights": 0}
    again = attrs.evolve(once, rollover_once=False)
    assert _at(again, posts, _jan1(2017)).counters.counts == {"nights": 5}


def test_gold_25_nights_roll_5_then_only_nights_stayed_roll() -> None:
    """Head for Points / voyageavance (above), today's thresholds: Gold with 25 nights in
    2024 starts 2025 with 25 - 20 = 5; 22 nights stayed in 2025 make 27 (Gold: 20 <= 27 <
    40), and only the 22 stayed roll: 22 - 20 = 2 start 2026. Gold reached again in 2025
    (on the first stay: 5 + 22 >= 20) holds through 31 December 2026."""
    ladder = _ihg()
    posts = [_nights(2024, 4, 25), _nights(2025, 5, 22)]
    assert _at(ladder, posts, _jan1(2025)).counters.counts == {"nights": 5}
    end = _at(ladder, posts, dt.datetime(2025, 12, 31, tzinfo=NY))
    assert (end.tier, end.counters.counts) == ("gold", {"nights": 27})
    nxt = _at(ladder, posts, _jan1(2026))
    assert (nxt.tier, nxt.counters.counts, nxt.valid_through) == (
        "gold",
        {"nights": 2},
        dt.date(2026, 12, 31),
    )


def test_silver_rolls_nothing_and_points_never_roll() -> None:
    """IHG (above): "Not included in Silver Elite": 19 nights (Silver, 10) roll nothing.
    Only nights roll over: 130,000 qualifying points reach Diamond (120,000), with 30 nights
    (Platinum's 40 not reached); the nights surplus is measured against Diamond's 70 nights:
    30 - 70 < 0, nothing rolls; the 10,000 surplus points do not roll either."""
    ladder = _ihg()
    assert _at(ladder, [_nights(2024, 4, 19)], _jan1(2025)).counters.counts == {"nights": 0}
    rich = _at(ladder, [_nights(2024, 4, 30, points=130_000)], _jan1(2025))
    assert (rich.tier, rich.counters.points, rich.counters.counts) == ("diamond", 0, {"nights": 0})


def test_diamond_rollover_requalifies_platinum_at_new_year() -> None:
    """Diamond with 112 nights in 2024: 112 - 70 = 42 nights start 2025, more than
    Platinum's 40: Platinum is reached for 2025 on 1 January 2025 (rolled-over nights count
    "for next year's status"), so with no stay at all in 2025 the member is Diamond through
    2025 (reached in 2024), Platinum through 2026 (reached in 2025), then Club."""
    ladder = _ihg()
    posts = [_nights(2024, 3, 60), _nights(2024, 9, 52)]
    jan25 = _at(ladder, posts, _jan1(2025))
    assert (jan25.tier, jan25.valid_through, jan25.counters.counts) == (
        "diamond",
        dt.date(2025, 12, 31),
        {"nights": 42},
    )
    jan26 = _at(ladder, posts, _jan1(2026))
    assert (jan26.tier, jan26.valid_through, jan26.counters.counts) == (
        "platinum",
        dt.date(2026, 12, 31),
        {"nights": 0},  # 0 stayed in 2025: nothing rolls into 2026
    )
    assert _at(ladder, posts, _jan1(2027)).tier == "club"
    without = TierLadder(tiers=IHG_TIERS, window="calendar_year")
    assert _at(without, posts, _jan1(2026)).tier == "club"


def test_hilton_rolled_nights_count_toward_the_next_surplus() -> None:
    """Hilton Honors until 2025 (https://insideflyer.com/2021/10/20/why-every-hotel-loyalty-
    program-should-offer-rollover-nights/): "Starting at Silver ... any qualifying nights in
    excess of those required to qualify for your elite status level will be counted toward
    your elite status qualification for the following calendar year"; "Year 1 - 90 actual
    nights - since 60 is required for Diamond, 30 would rollover; Year 2 - 30 rollover
    nights and 50 actual nights -> 20 (30+50 minus the 60); Year 3 - 20 rollover and 45
    actual nights -> 5". Silver 10, Gold 40, Diamond 60 nights; ``rollover_once=False``."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", counts={"nights": 10}),
            Tier(name="gold", counts={"nights": 40}),
            Tier(name="diamond", counts={"nights": 60}),
        ],
        rollover="surplus",
    )
    posts = [_nights(2019, 5, 90), _nights(2020, 5, 50), _nights(2021, 5, 45)]
    rolled = [_at(ladder, posts, _jan1(y)).counters.counts["nights"] for y in (2020, 2021, 2022)]
    assert rolled == [30, 20, 5]
    # IHG's count of the same nights: 30, then 50 - 60 < 0 -> 0, then 45 - 40 (Gold) = 5.
    once = attrs.evolve(ladder, rollover_once=True)
    assert [_at(once, posts, _jan1(y)).counters.counts["nights"] for y in (2020, 2021, 2022)] == [
        30,
        0,
        5,
    ]


def test_more_nights_can_mean_a_lower_tier_later() -> None:
    """The published arithmetic is not monotone across years (why the property below holds
    only within the stay's year): 39 nights in 2024 (Gold) roll 19 over; 40 (Platinum) roll
    0. With 51 nights in 2025 the first member has 70: Diamond for 2025-2026; the second 51:
    Platinum."""
    ladder = _ihg()
    fewer = [_nights(2024, 4, 39), _nights(2025, 4, 51)]
    more = [_nights(2024, 4, 40), _nights(2025, 4, 51)]
    assert _at(ladder, fewer, dt.datetime(2025, 6, 1, tzinfo=NY)).tier == "diamond"
    assert _at(ladder, more, dt.datetime(2025, 6, 1, tzinfo=NY)).tier == "platinum"


def test_rollover_is_data_and_refused_where_it_cannot_apply() -> None:
    """The IHG ladder round-trips through JSON; the options are refused without
    ``rollover="surplus"``, on sliding windows, for a metric no tier uses, a base or unknown
    tier; ``rollover_on="upgrade_or_keep"`` stays a since_change option (Flying Blue)."""
    ladder = _ihg()
    text = json.dumps(ladder.to_dict())
    assert json.loads(text)["rollover_metrics"] == ["nights"]
    assert TierLadder.from_dict(json.loads(text)) == ladder
    plain = TierLadder(tiers=IHG_TIERS)
    assert "rollover_once" not in plain.to_dict()  # defaults stay out of the JSON
    bad: list[tuple[dict[str, Any], str]] = [
        ({"rollover": "none"}, "rollover_metrics"),
        ({"rollover": "surplus", "window": "rolling"}, "rollover"),
        ({"rollover": "surplus", "window": "rolling_calendar_months"}, "rollover"),
        ({"rollover_metrics": ["spend"]}, "rollover_metrics"),
        ({"rollover_metrics": ["nights", "nights"]}, "rollover_metrics"),
        ({"rollover_from": "club"}, "rollover_from"),
        ({"rollover_from": "bronze"}, "rollover_from"),
        ({"rollover_once": "yes"}, "rollover_once"),
        ({"rollover_on": "upgrade_or_keep"}, "rollover_on"),
    ]
    for change, field in bad:
        with pytest.raises(ConfigError) as info:
            TierLadder(tiers=IHG_TIERS, **(IHG_ROLLOVER | change))
        assert info.value.field == field, change


def test_a_program_rolls_over_across_the_year_end() -> None:
    """The IHG ladder in a Program (10 base points a dollar): 25 nights in 2024 ($100 a
    night, 25,000 base points: Gold on nights) roll 5 nights over; 15 nights in 2025 make
    20: Gold again, through 2026. Without rollover 15 nights are Silver in 2025 and the
    member is Silver in 2026."""

    def stay(i: str, year: int, nights: int) -> Purchase:
        return Purchase(
            i,
            dt.datetime(year, 6, 1, 12, tzinfo=NY),
            lines=[PurchaseLine("room", str(100 * nights))],
            counts={"nights": nights},
        )

    events = [stay("a", 2024, 25), stay("b", 2025, 15)]
    program = Program(
        timezone="America/New_York", earning=EarningScheme.base_rate(10), tiers=_ihg()
    )
    state = program.replay(events, as_of=dt.datetime(2026, 6, 1, tzinfo=NY))
    assert (state.tier_name, state.tier.valid_through) == ("gold", dt.date(2026, 12, 31))
    plain = attrs.evolve(program, tiers=TierLadder(tiers=IHG_TIERS))
    assert plain.replay(events, as_of=dt.datetime(2026, 6, 1, tzinfo=NY)).tier_name == "silver"


# ---------------------------------------------------------------------------- properties


def _reference(years: dict[int, list[tuple[int, int]]], first: int, last: int) -> dict[int, int]:
    """IHG's count, year by year from the clause: rolled in + stayed reach a tier (nights,
    or points alone); what rolls into the next year is the nights stayed (not rolled in)
    above that tier's nights threshold, for Gold and up."""
    rolled = {first: 0}
    for year in range(first, last + 1):
        stayed = sum(n for n, _ in years.get(year, []))
        points = sum(p for _, p in years.get(year, []))
        total = rolled[year] + stayed
        reached = "club"
        for name, need_nights in NIGHTS.items():
            need_points = POINTS[name]
            if total >= need_nights and name != "club":
                reached = name
            if need_points is not None and points >= need_points:
                reached = name
        best = reached
        surplus = stayed - NIGHTS[best] if best in ("gold", "platinum", "diamond") else 0
        rolled[year + 1] = max(0, surplus)
    return rolled


stays = st.lists(
    st.tuples(
        st.integers(2023, 2026),
        st.integers(1, 12),
        st.integers(1, 28),
        st.integers(1, 40),
        st.sampled_from([0, 0, 0, 15_000, 50_000]),
    ),
    max_size=12,
)


@settings(max_examples=examples(150), deadline=None)
@given(stays)
def test_rolled_in_nights_are_the_published_count_and_never_roll_twice(
    drawn: list[tuple[int, int, int, int, int]],
) -> None:
    """Any stays over 2023-2026: the nights each year starts with equal the reference count
    above, and never exceed the nights stayed the year before (a rolled-over night never
    rolls again)."""
    posts = [
        QualifyingPosting(dt.datetime(y, m, d, 12, tzinfo=NY), points=p, counts={"nights": n})
        for y, m, d, n, p in drawn
    ]
    years: dict[int, list[tuple[int, int]]] = {}
    for y, _, _, n, p in drawn:
        years.setdefault(y, []).append((n, p))
    expected = _reference(years, 2023, 2026)
    ladder = _ihg()
    tracker = ladder.tracker(dt.datetime(2023, 1, 1, tzinfo=NY), timezone=NY)
    for post in sorted(posts, key=lambda p: p.time):
        tracker.post(post)
    for year in (2024, 2025, 2026, 2027):
        probe = ladder.evaluate(
            posts, as_of=_jan1(year), timezone=NY, enrolled_at=dt.datetime(2023, 1, 1, tzinfo=NY)
        )
        assert probe.counters.counts.get("nights", 0) == expected[year], year
        stayed_before = sum(n for n, _ in years.get(year - 1, []))
        assert expected[year] <= stayed_before
    tracker.advance(_jan1(2027))
    assert tracker.status().counters.counts.get("nights", 0) == expected[2027]


@settings(max_examples=examples(100), deadline=None)
@given(
    stays, st.tuples(st.integers(2023, 2026), st.integers(1, 12), st.integers(1, 40)), st.booleans()
)
def test_more_nights_never_lower_the_tier_within_their_year(
    drawn: list[tuple[int, int, int, int, int]], extra: tuple[int, int, int], once: bool
) -> None:
    """Monotone in activity, within the year of the extra stay (across years it is not:
    see the example above): adding a stay never lowers the tier at any instant from the
    stay to the end of its year; and rollover never lowers the tier against the same
    ladder without it, at any year start."""
    ladder = _ihg(rollover_once=once)
    posts = [
        QualifyingPosting(dt.datetime(y, m, d, 12, tzinfo=NY), points=p, counts={"nights": n})
        for y, m, d, n, p in drawn
    ]
    y, m, n = extra
    added = QualifyingPosting(dt.datetime(y, m, 15, 12, tzinfo=NY), counts={"nights": n})
    enrolled = dt.datetime(2023, 1, 1, tzinfo=NY)
    plain = TierLadder(tiers=IHG_TIERS, window="calendar_year")
    probes = [added.time, *(dt.datetime(y, mm, 28, tzinfo=NY) for mm in range(m, 13))]
    for when in probes:
        base = ladder.evaluate(posts, as_of=when, timezone=NY, enrolled_at=enrolled)
        more = ladder.evaluate([*posts, added], as_of=when, timezone=NY, enrolled_at=enrolled)
        assert ladder.rank(more.tier) >= ladder.rank(base.tier), when
    for year in (2024, 2025, 2026, 2027):
        with_r = ladder.evaluate(posts, as_of=_jan1(year), timezone=NY, enrolled_at=enrolled)
        no_r = plain.evaluate(posts, as_of=_jan1(year), timezone=NY, enrolled_at=enrolled)
        assert ladder.rank(with_r.tier) >= ladder.rank(no_r.tier), year


@st.composite
def rollover_ladders(draw: st.DrawFn) -> TierLadder:
    """Any ladder of the shared strategies on a calendar or member-year window, with the
    year-end rollover: any metrics of its tiers, from any tier, once or not, capped or not."""
    ladder: TierLadder = draw(
        st.one_of(
            tier_ladders(windows=("calendar_year", "anniversary")),
            one_metric_ladders().filter(lambda x: x.window in ("calendar_year", "anniversary")),
        )
    )
    used = sorted({m for t in ladder.tiers for m in t.metric_names()})
    metrics = draw(st.lists(st.sampled_from(used), unique=True)) if used else []
    names = ladder.names[1:]
    return attrs.evolve(
        ladder,
        rollover="surplus",
        rollover_metrics=metrics,
        rollover_from=draw(st.sampled_from([None, *names])) if names else None,
        rollover_once=draw(st.booleans()),
        rollover_cap=draw(st.sampled_from([None, None, 5])),
    )


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rollover_ladders(),
    ledger_qualifying(shuffled=True),
    st.sampled_from(TIER_ZONES),
    st.lists(st.integers(0, 60), max_size=4),
    st.integers(0, 800),
)
def test_batch_posting_equals_posting_one_by_one_with_rollover(
    ladder: TierLadder,
    postings: list[tuple[Any, ...]],
    name: str,
    cuts: list[int],
    later_days: int,
) -> None:
    """The tracker's batch path (what the ledger and ``replay_many`` use) equals posting one
    by one on rollover ladders, state for state (what rolled in included), across year
    ends; and the ladder round-trips through JSON."""
    assert TierLadder.from_dict(json.loads(json.dumps(ladder.to_dict()))) == ladder
    zone = zoneinfo.ZoneInfo(name)
    first = postings[0][0] if postings else dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    start = first - dt.timedelta(days=later_days % 40)
    single = ladder.tracker(start, timezone=zone)
    batched = ladder.tracker(start, timezone=zone)
    bounds = sorted({0, len(postings), *(c for c in cuts if c < len(postings))})
    for a, b in itertools.pairwise(bounds):
        part = postings[a:b]
        expected = outcome(lambda part=part: one_by_one(single, part, zone))
        assert outcome(lambda part=part: batched._post_many(part)) == expected
        assert state(batched) == state(single)
        assert repr(batched._carried) == repr(single._carried)
        if expected is not None:
            return
        at = part[-1][0] if part else start
        assert repr(batched.status(at)) == repr(single.status(at))
    end = (postings[-1][0] if postings else start) + dt.timedelta(days=later_days)
    assert repr(batched.status(end)) == repr(single.status(end))
    assert state(batched) == state(single)


@st.composite
def hotel_histories(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, list[Any]]]:
    """Members' stays (1-30 nights, $80-$400 a night) over 2023-2025, some refunded."""
    rows: list[dict[str, Any]] = []
    objects: dict[str, list[Any]] = {}
    for member in ("m1", "m2", "m3")[: draw(st.integers(1, 3))]:
        events: list[Any] = []
        stays_drawn = draw(
            st.lists(
                st.tuples(
                    st.integers(0, 3 * 365 - 1),
                    st.integers(1, 30),
                    st.integers(80, 400),
                    st.booleans(),
                ),
                max_size=8,
                unique_by=lambda s: s[0],
            )
        )
        for k, (day, nights, rate, refunded) in enumerate(sorted(stays_drawn)):
            when = dt.datetime(2023, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=day)
            amount = f"{nights * rate}.00"
            pid = f"{member}-s{k}"
            events.append(
                Purchase(pid, when, lines=[PurchaseLine("room", amount)], counts={"nights": nights})
            )
            rows.append(
                {
                    "member_id": member,
                    "event_id": pid,
                    "time": when.strftime("%Y-%m-%d %H:%M"),
                    "kind": "purchase",
                    "amount": amount,
                    "line": "room",
                    "ref": None,
                    "nights": nights,
                }
            )
            if refunded:
                later = when + dt.timedelta(days=40)
                events.append(Refund(f"{pid}-r", later, pid))
                rows.append(
                    {
                        "member_id": member,
                        "event_id": f"{pid}-r",
                        "time": later.strftime("%Y-%m-%d %H:%M"),
                        "kind": "refund",
                        "amount": None,
                        "line": None,
                        "ref": pid,
                        "nights": None,
                    }
                )
        objects[member] = events
    table = pd.DataFrame(
        rows, columns=["member_id", "event_id", "time", "kind", "amount", "line", "ref", "nights"]
    )
    table["nights"] = pd.array(table["nights"], dtype="Int64")
    return table, objects


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hotel_histories(), st.sampled_from(["posted", "purchase_window"]))
def test_replay_equals_apply_equals_replay_many(
    drawn: tuple[pd.DataFrame, dict[str, list[Any]]], refunds: str
) -> None:
    """IHG's ladder in a Program (10 base points a dollar), stays over 2023-2025 (so the
    nights roll over twice): per member, applying the events one by one gives the full
    replay's state; the ``replay_many`` row gives its tier, start and next tier at the end
    of 2025 and on 1 January 2026 (after the roll)."""
    table, objects = drawn
    program = Program(
        timezone="UTC", earning=EarningScheme.base_rate(10), tiers=_ihg(refunds=refunds)
    )
    for member, events in objects.items():
        if not events:
            continue
        ordered = sorted(events, key=lambda e: (e.time, e.rank, e.event_id))
        step = program.replay([], as_of=ordered[0].time, on_error="skip")
        for event in ordered:
            step = program.apply(step, event)
        assert step == program.replay(events, as_of=ordered[-1].time, on_error="skip"), member
    if table.empty:
        return
    for as_of in (
        dt.datetime(2025, 12, 31, 23, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC),
    ):
        frame = replay_many(table, program, as_of=as_of, counts=["nights"], on_error="skip")
        built = events_from_frame(table, program, counts=["nights"])
        for member, events in objects.items():
            if not events:
                continue
            assert built[member] == events
            full = program.replay(events, as_of=as_of, on_error="skip")
            assert full.tier is not None
            row = frame.loc[member]
            assert row["tier"] == full.tier.tier
            top = full.tier.next_tier is None
            assert pd.isna(row["next_tier"]) if top else row["next_tier"] == full.tier.next_tier
            assert pd.Timestamp(row["tier_since"]) == pd.Timestamp(full.tier.since)
