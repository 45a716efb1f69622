"""Earning caps and use limits per membership year (``PeriodCap("membership_year", ...)``).

A membership year runs from the local date of the member's enrolment to the day before its
next anniversary, then anniversary to anniversary (会员年度; Costco's "12-month period").
Example tests follow a real programme's published terms: each names the programme and the
clause, with the arithmetic.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    EarningRule,
    EarningScheme,
    Enroll,
    MemberContext,
    Order,
    OrderBonus,
    OrderLine,
    PeriodCap,
    Program,
    Purchase,
    PurchaseLine,
    Refund,
    YearlyBonus,
    replay_many,
)
from crmkit.loyalty._rules import _membership_year
from tests.loyalty._tables import events_table
from tests.strategies import examples

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _at(y: int, m: int, d: int, h: int = 12, minute: int = 0, *, tz: dt.tzinfo = LA) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=tz)


def _buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    """A one-line order of ``amount``."""
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


# ------------------------------------------------------------------ Costco Executive 2% Reward


def _costco(freq: str = "membership_year") -> Program:
    """Costco (US) Executive Membership: a 2% Reward capped per 12-month membership period.

    Points are dollars of Reward kept to the cent: ``point_decimals=2`` (the library's way
    of money-like points, as the Starbucks China stars of ``test_published_ledger``), so a
    rate of 0.02 point per dollar is 2%, and ledger amounts are cents of Reward.
    """
    return Program(
        timezone="America/Los_Angeles",
        earning=EarningScheme.base_rate("0.02", point_decimals=2, caps=[PeriodCap(freq, 1250)]),
    )


def test_costco_reward_stops_at_the_cap_until_the_membership_anniversary() -> None:
    """Costco Executive Membership 2% Reward terms (costco.com "Executive Rewards" page,
    read in a stored copy at http://so-shei.com/executive-rewards.html of the version before
    1 September 2024: "Reward is capped at and will not exceed $1,000 for any 12-month
    period"); since 1 September 2024 the US cap is $1,250 for the same 12-month period
    (as reported, e.g., by Tasting Table, 2025-10-19: "2% cash back on most purchases,
    capped at $1,250"; the current costco.com wording was not read here). The period is the
    membership year: the certificate comes "with the renewal notice ... prior to the
    member's annual renewal date" (customerservice.costco.com, answer 1205).

    Member enrolled 15 March 2025 (Los Angeles): the membership year is 15 March 2025 to
    14 March 2026. In cents of Reward (``point_decimals=2``; cap 1,250.00 = 125,000):

    - 1 June 2025, $40,000: 2% = $800.00 -> 80,000 (80,000 so far);
    - 1 February 2026, $25,000: 2% = $500.00, but only $1,250 - $800 = $450.00 is left
      -> 45,000 earned, 5,000 capped (125,000: the cap is reached);
    - 14 March 2026 23:30, $1,000: 2% = $20.00 -> 0 earned, 2,000 capped (last day);
    - 15 March 2026 00:30, $1,000: a new membership year -> 2,000 earned.

    Total 80,000 + 45,000 + 0 + 2,000 = 127,000 cents = $1,270.00 of Reward. Under a
    calendar-year cap the February purchase would have earned all $500.00 (2026 is a new
    calendar year): 80,000 + 50,000 + 2,000 + 2,000 = 134,000.
    """
    events = [
        Enroll("join", _at(2025, 3, 15, 10)),
        _buy("p1", _at(2025, 6, 1), "40000"),
        _buy("p2", _at(2026, 2, 1), "25000"),
        _buy("p3", _at(2026, 3, 14, 23, 30), "1000"),
        _buy("p4", _at(2026, 3, 15, 0, 30), "1000"),
    ]
    program = _costco()
    state = program.replay(events, as_of=_at(2026, 4, 1))
    earned = {pid: (r.points, r.capped) for pid, r in state.earnings.items()}
    assert earned == {
        "p1": (80_000, 0),
        "p2": (45_000, 5_000),
        "p3": (0, 2_000),
        "p4": (2_000, 0),
    }
    assert state.available == 127_000
    assert str(program.in_points(state.available)) == "1270.00"
    calendar = _costco("year").replay(events, as_of=_at(2026, 4, 1))
    assert [r.points for r in calendar.earnings.values()] == [80_000, 50_000, 2_000, 2_000]
    assert calendar.available == 134_000


def test_costco_refund_frees_the_cap_of_the_purchases_membership_year() -> None:
    """Costco's Reward is on purchases "less refunds": a refund frees the cap again.

    $62,500 on 1 June 2025 earns 2% = $1,250.00 (125,000: the cap). Refunding it on
    1 July 2025 gives back the whole cap of that membership year: $1,000 on 2 July 2025
    earns $20.00 (2,000).
    """
    events = [
        Enroll("join", _at(2025, 3, 15, 10)),
        _buy("p1", _at(2025, 6, 1), "62500"),
        Refund("r1", _at(2025, 7, 1), "p1"),
        _buy("p2", _at(2025, 7, 2), "1000"),
    ]
    state = _costco().replay(events, as_of=_at(2025, 8, 1))
    assert state.earnings["p1"].points == 125_000
    assert state.earnings["p2"].points == 2_000
    assert state.available == 2_000


# ------------------------------------------------------------------ anniversaries


def test_29_february_enrolment_renews_on_28_february_in_common_years() -> None:
    """Enrolled 29 February 2024, cap 100 points a membership year, 1 point per unit.

    The membership years follow the anniversary rule of ``YearlyBonus(on="anniversary")``
    (29 February -> 28 February in common years): 2024-02-29..2025-02-27,
    2025-02-28..2026-02-27, 2026-02-28..2027-02-27, 2027-02-28..2028-02-28,
    2028-02-29... So: 100 on 1 March 2024 (cap reached), 0 on 27 February 2025 (still the
    first year), 50 on 28 February 2025 (second year); 100 on 1 March 2027 (fourth year),
    0 on 28 February 2028 (its last day), 10 on 29 February 2028 (fifth year).
    """
    program = Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme.base_rate(1, caps=[PeriodCap("membership_year", 100)]),
    )
    events = [
        Enroll("join", _at(2024, 2, 29, 9, tz=SH)),
        _buy("a", _at(2024, 3, 1, tz=SH), "100"),
        _buy("b", _at(2025, 2, 27, 23, 59, tz=SH), "50"),
        _buy("c", _at(2025, 2, 28, 0, 1, tz=SH), "50"),
        _buy("d", _at(2027, 3, 1, tz=SH), "100"),
        _buy("e", _at(2028, 2, 28, 23, 59, tz=SH), "10"),
        _buy("f", _at(2028, 2, 29, 0, 1, tz=SH), "10"),
    ]
    state = program.replay(events, as_of=_at(2028, 3, 1, tz=SH))
    points = {pid: r.points for pid, r in state.earnings.items()}
    assert points == {"a": 100, "b": 0, "c": 50, "d": 100, "e": 0, "f": 10}


@pytest.mark.parametrize(
    "enrolled", [dt.date(2024, 2, 29), dt.date(2025, 3, 15), dt.date(2023, 12, 31)]
)
def test_membership_years_start_on_the_yearly_bonus_anniversaries(enrolled: dt.date) -> None:
    """One rule for anniversaries: every membership year after the first starts on the day
    ``YearlyBonus(on="anniversary").day_in`` credits, and the years tile the calendar."""
    rule = YearlyBonus(id="anniversary", points=1, on="anniversary")
    start, end = _membership_year(enrolled, enrolled)
    assert start == enrolled
    for year in range(enrolled.year + 1, enrolled.year + 10):
        assert end == rule.day_in(year, None, enrolled)
        assert _membership_year(end - dt.timedelta(days=1), enrolled) == (start, end)
        start, end = _membership_year(end, enrolled)
        assert start == rule.day_in(year, None, enrolled)


# ------------------------------------------------------------------ no enrolment


def test_without_enrolment_the_first_event_starts_the_membership_year() -> None:
    """No Enroll event: the membership years start at the member's first event (a gift
    adjustment on 10 May 2025, Shanghai), where the tier clock starts too. Cap 100:
    100 on 1 June 2025, 0 on 9 May 2026 (the first year's last day), 10 on 10 May 2026."""
    program = Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme.base_rate(1, caps=[PeriodCap("membership_year", 100)]),
    )
    events = [
        Adjust("gift", _at(2025, 5, 10, 8, tz=SH), points=5, reason="gift"),
        _buy("a", _at(2025, 6, 1, tz=SH), "300"),
        _buy("b", _at(2026, 5, 9, 23, tz=SH), "10"),
        _buy("c", _at(2026, 5, 10, 1, tz=SH), "10"),
    ]
    state = program.replay(events, as_of=_at(2026, 6, 1, tz=SH))
    points = {pid: (r.points, r.capped) for pid, r in state.earnings.items()}
    assert points == {"a": (100, 200), "b": (0, 10), "c": (10, 0)}
    assert state.enrolled_at is None


def test_another_currency_counts_from_the_members_first_event() -> None:
    """Regression: with two point currencies, a member's membership year starts at their
    first event even when it is an adjustment of the other currency (5 January 2025, UTC),
    not at the first event the capped currency's own book saw (the purchase of 6 January).
    Cap 100 stars: 100 on 6 January 2025; 5 January 2026 is a new membership year: 100."""
    program = Program(
        timezone="UTC",
        earning={
            "points": EarningScheme.base_rate(1),
            "stars": EarningScheme.base_rate(1, caps=[PeriodCap("membership_year", 100)]),
        },
    )
    events = [
        Adjust("gift", _at(2025, 1, 5, tz=dt.UTC), points=5, reason="gift"),
        _buy("a", _at(2025, 1, 6, tz=dt.UTC), "300"),
        _buy("b", _at(2026, 1, 5, tz=dt.UTC), "300"),
    ]
    state = program.replay(events, as_of=_at(2026, 2, 1, tz=dt.UTC))
    assert {k: v.available for k, v in state.by_currency.items()} == {"points": 605, "stars": 200}


def test_a_late_enrolment_starts_the_membership_years_again() -> None:
    """A member first seen on 10 May 2025 enrols on 1 August 2025: from then on the
    membership years run from 1 August. The 100 points of 1 June 2025 stay in the year of
    the first event, so 10 on 1 September 2025 is earned in the new year (documented)."""
    program = Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme.base_rate(1, caps=[PeriodCap("membership_year", 100)]),
    )
    events = [
        Adjust("gift", _at(2025, 5, 10, tz=SH), points=5, reason="gift"),
        _buy("a", _at(2025, 6, 1, tz=SH), "300"),
        Enroll("join", _at(2025, 8, 1, tz=SH)),
        _buy("b", _at(2025, 9, 1, tz=SH), "10"),
    ]
    state = program.replay(events, as_of=_at(2025, 10, 1, tz=SH))
    assert [r.points for r in state.earnings.values()] == [100, 10]


# ------------------------------------------------------------------ use limits


def test_a_bonus_once_per_membership_year() -> None:
    """``max_uses=1, uses_freq="membership_year"``: a 50-point bonus on the first order of
    each membership year (enrolled 15 March 2025): orders on 1 April 2025 (bonus), 1 March
    2026 (same year: none) and 15 March 2026 (new year: bonus) earn 10+50, 10, 10+50."""
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            OrderBonus(id="renewal", points=50, max_uses=1, uses_freq="membership_year"),
        ]
    )
    program = Program(timezone="America/Los_Angeles", earning=scheme)
    events = [
        Enroll("join", _at(2025, 3, 15, 10)),
        _buy("a", _at(2025, 4, 1), "10"),
        _buy("b", _at(2026, 3, 1), "10"),
        _buy("c", _at(2026, 3, 15, 0, 5), "10"),
    ]
    state = program.replay(events, as_of=_at(2026, 4, 1))
    assert [r.points for r in state.earnings.values()] == [60, 10, 60]
    rule = scheme.rules[1]
    assert EarningRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    assert rule.to_dict()["uses_freq"] == "membership_year"
    history = [(_at(2025, 4, 1), "renewal"), (_at(2026, 3, 1), "renewal")]
    uses = scheme.uses_to_date(
        history, as_of=_at(2026, 3, 14), timezone=LA, enrolled_at=_at(2025, 3, 15, 10)
    )
    assert uses == {"renewal": 2}
    with pytest.raises(InvalidInputError, match="'enrolled_at' must be"):
        scheme.uses_to_date(history, as_of=_at(2026, 3, 14), timezone=LA)


# ------------------------------------------------------------------ direct earn, JSON


def test_earn_needs_the_enrolment_of_a_membership_year_scheme() -> None:
    """Called directly, ``earn`` refuses a context without ``enrolled_at`` (it cannot know
    whose year ``period_points`` counts) and earns up to the cap with one."""
    scheme = EarningScheme.base_rate(
        "0.02", point_decimals=2, caps=[PeriodCap("membership_year", 1250)]
    )
    order = Order("o1", _at(2026, 3, 14, 18), [OrderLine("1", "1000")])
    with pytest.raises(InvalidInputError, match=r"'member\.enrolled_at' must be") as err:
        scheme.earn(order, MemberContext(), timezone=LA)
    assert err.value.field == "member.enrolled_at"
    with pytest.raises(InvalidInputError, match="enrolled_at"):
        scheme.earn(order, None, timezone=LA)
    enrolled = _at(2025, 3, 15, 10)
    history = [(_at(2025, 6, 1), 80_000), (_at(2026, 2, 1), 44_000)]
    with pytest.raises(InvalidInputError, match="'enrolled_at' must be"):
        scheme.period_to_date(history, as_of=order.time, timezone=LA)
    with pytest.raises(InvalidInputError, match="'as_of' must be not before"):
        scheme.period_to_date(history, as_of=_at(2025, 3, 14), timezone=LA, enrolled_at=enrolled)
    so_far = scheme.period_to_date(history, as_of=order.time, timezone=LA, enrolled_at=enrolled)
    assert so_far == {"membership_year": 124_000}
    member = MemberContext(enrolled_at=enrolled, period_points=so_far)
    result = scheme.earn(order, member, timezone=LA)
    # 2% of $1,000 = 2,000 cents; 125,000 - 124,000 = 1,000 left.
    assert (result.points, result.capped) == (1_000, 1_000)
    # A replay's member without an Enroll: the first event, as membership_start.
    started = MemberContext(membership_start=enrolled, period_points=so_far)
    assert scheme.earn(order, started, timezone=LA).points == 1_000
    # A calendar-year scheme still earns for anyone.
    assert (
        EarningScheme.base_rate(1, caps=[PeriodCap("year", 5)]).earn(order, timezone=LA).points == 5
    )
    with pytest.raises(InvalidInputError, match="membership_start"):
        MemberContext(membership_start="2025-03-15")  # type: ignore[arg-type]


def test_membership_year_json_round_trip_and_errors() -> None:
    """JSON round trip of the new period; calendar caps' JSON is unchanged (schema 2)."""
    cap = PeriodCap("membership_year", 1250)
    assert cap.to_dict() == {"schema_version": 2, "freq": "membership_year", "max_points": 1250}
    assert PeriodCap.from_dict(json.loads(json.dumps(cap.to_dict()))) == cap
    assert PeriodCap("month", 5).to_dict() == {
        "schema_version": 2,
        "freq": "month",
        "max_points": 5,
    }
    scheme = EarningScheme.base_rate(
        "0.02", point_decimals=2, caps=[PeriodCap("membership_year", 1250), PeriodCap("month", 500)]
    )
    # Kept in period order: the calendar periods, then the membership year.
    assert [c.freq for c in scheme.caps] == ["month", "membership_year"]
    assert EarningScheme.from_dict(json.loads(json.dumps(scheme.to_dict()))) == scheme
    program = _costco()
    assert Program.from_dict(json.loads(json.dumps(program.to_dict()))) == program
    with pytest.raises(ConfigError, match=r"'membership_year'\]; found 'anniversary'"):
        PeriodCap("anniversary", 10)
    with pytest.raises(ConfigError, match="at most one cap per period"):
        EarningScheme.base_rate(
            1, caps=[PeriodCap("membership_year", 1), PeriodCap("membership_year", 2)]
        )
    with pytest.raises(ConfigError, match=r"'uses_freq' must be one of \[.*'membership_year'\]"):
        OrderBonus(id="b", points=1, max_uses=1, uses_freq="member_year")
    assert MemberContext(period_points={"membership_year": 7}).points_in("membership_year") == 7
    assert scheme.uses_membership_year
    assert not EarningScheme.base_rate(1, caps=[PeriodCap("year", 5)]).uses_membership_year


# ------------------------------------------------------------------ replay, apply, replay_many


def _members() -> dict[str, list[Any]]:
    """Three members of the Costco program: enrolled, enrolled on 29 February, never enrolled."""
    return {
        "m1": [
            Enroll("join", _at(2025, 3, 15, 10)),
            _buy("p1", _at(2025, 6, 1), "40000"),
            _buy("p2", _at(2026, 2, 1), "25000"),
            Refund("r1", _at(2026, 2, 10), "p1"),
            _buy("p3", _at(2026, 3, 14, 23, 30), "50000"),
            _buy("p4", _at(2026, 3, 15, 0, 30), "1000"),
        ],
        "m2": [
            Enroll("join", _at(2024, 2, 29, 9)),
            _buy("p1", _at(2024, 12, 1), "70000"),
            _buy("p2", _at(2025, 2, 27, 20), "1000"),
            _buy("p3", _at(2025, 2, 28, 8), "1000"),
        ],
        "m3": [
            Adjust("gift", _at(2025, 5, 10), points=500, reason="gift"),
            _buy("p1", _at(2025, 6, 1), "70000"),
            _buy("p2", _at(2026, 5, 9, 20), "1000"),
            _buy("p3", _at(2026, 5, 10, 8), "1000"),
        ],
    }


def test_replay_apply_and_replay_many_agree() -> None:
    """A membership-year program folds the same whichever way the events come in."""
    program = _costco()
    members = _members()
    as_of = _at(2026, 6, 1)
    states = {m: program.replay(events, as_of=as_of) for m, events in members.items()}
    # m1: 80,000 then 45,000 (cap); p1 refunded frees 80,000: p3 $50,000 -> 2% = 100,000,
    # 125,000 - 45,000 = 80,000 left; p4 in the new year: 2,000.
    assert [r.points for r in states["m1"].earnings.values()] == [80_000, 45_000, 80_000, 2_000]
    # m2: $70,000 -> capped at 125,000; 27 Feb 2025 still the first year; 28 Feb the second.
    assert [r.points for r in states["m2"].earnings.values()] == [125_000, 0, 2_000]
    # m3: from the gift on 10 May 2025.
    assert [r.points for r in states["m3"].earnings.values()] == [125_000, 0, 2_000]
    for events in members.values():
        state = program.replay([], as_of=events[0].time)
        for event in events:
            state = program.apply(state, event)
        assert program.replay(events, as_of=state.as_of) == state
        assert (
            program.replay(events, as_of=as_of).earnings
            == program.replay(events, as_of=as_of).earnings
        )
    rows = replay_many(events_table(members), program, as_of=as_of)
    for member, state in states.items():
        row = rows.loc[member]
        assert (row["available"], row["credited"], row["reversed"]) == (
            state.available,
            state.credited,
            state.reversed,
        )


# ------------------------------------------------------------------ properties

_STEP = st.tuples(
    # Minutes after the previous event: a few days, or months (to cross anniversaries).
    st.integers(1, 60 * 24 * 3) | st.integers(60 * 24 * 100, 60 * 24 * 400),
    st.sampled_from(["purchase", "purchase", "purchase", "adjust", "refund"]),
    st.integers(0, 200_000),  # cents
)


@st.composite
def _histories(draw: st.DrawFn) -> tuple[Program, list[Any]]:
    """A membership-year cap program and one member's events: an Enroll first, later (after
    other events) or never; purchases, adjustments and full refunds, minutes to months apart."""
    zone = draw(st.sampled_from(["Asia/Shanghai", "America/Los_Angeles", "UTC"]))
    tz = zoneinfo.ZoneInfo(zone)
    decimals = draw(st.sampled_from([0, 2]))
    scheme = EarningScheme.base_rate(
        draw(st.sampled_from(["1", "0.5", "0.02"])),
        point_decimals=decimals,
        caps=[PeriodCap("membership_year", draw(st.integers(0, 800)))],
    )
    if draw(st.booleans()):
        scheme = attrs.evolve(
            scheme, caps=(*scheme.caps, PeriodCap("month", draw(st.integers(0, 3000))))
        )
    program = Program(timezone=zone, earning=scheme)
    start = draw(st.datetimes(dt.datetime(2023, 1, 1), dt.datetime(2025, 12, 31)))
    when = start.replace(tzinfo=tz)
    steps = draw(st.lists(_STEP, min_size=1, max_size=25))
    enrol_at = draw(st.none() | st.integers(0, len(steps)))
    events: list[Any] = []
    bought: list[str] = []
    for i, (minutes, kind, cents) in enumerate(steps):
        if enrol_at == i:
            events.append(Enroll("join", when))
            when += dt.timedelta(minutes=1)
        event_id = f"e{i}"
        if kind == "refund" and bought:
            events.append(Refund(event_id, when, bought.pop(draw(st.integers(0, len(bought) - 1)))))
        elif kind == "adjust":
            events.append(Adjust(event_id, when, points=1 + cents % 1000, reason="gift"))
        else:
            amount = f"{cents // 100}.{cents % 100:02d}"
            events.append(Purchase(event_id, when, lines=[PurchaseLine("1", amount)]))
            bought.append(event_id)
        when += dt.timedelta(minutes=minutes)
    return program, events


@settings(max_examples=examples(120), deadline=None)
@given(history=_histories())
def test_points_in_a_membership_year_never_exceed_the_cap(
    history: tuple[Program, list[Any]],
) -> None:
    """Over any events, the purchase points a member keeps (net of full refunds) in any one
    membership year (counted from the start in force at each purchase: the Enroll replayed
    before it, else the first event) never exceed the cap; and replay = apply one by one."""
    program, events = history
    scheme = program.earning_scheme
    cap = next(c.max_points for c in scheme.caps if c.freq == "membership_year")
    cap *= 10**scheme.point_decimals
    state = program.replay(events, as_of=events[-1].time)
    tz = program.zone
    refunded = {e.purchase_id for e in events if isinstance(e, Refund)}
    first = events[0].time
    enrolled: dt.datetime | None = None
    kept: dict[tuple[dt.date, dt.date], int] = {}
    for event in events:
        if isinstance(event, Enroll):
            enrolled = event.time
        if not isinstance(event, Purchase):
            continue
        anchor = (enrolled or first).astimezone(tz).date()
        year = _membership_year(event.time.astimezone(tz).date(), anchor)
        points = state.earnings[event.event_id].points
        assert points <= cap
        if event.event_id not in refunded:
            kept[(anchor, year[0])] = kept.get((anchor, year[0]), 0) + points
    assert all(total <= cap for total in kept.values())
    applied = program.replay([], as_of=events[0].time)
    for event in events:
        applied = program.apply(applied, event)
    assert applied == state


@settings(max_examples=examples(60), deadline=None)
@given(history=_histories())
def test_a_member_enrolled_on_1_january_has_calendar_membership_years(
    history: tuple[Program, list[Any]],
) -> None:
    """Enrolled at local midnight starting 1 January, membership years are calendar years:
    a ``membership_year`` cap earns exactly what the ``year`` cap earns (and the calendar
    cap is untouched by the new period)."""
    program, events = history
    tz = program.zone
    later = [e for e in events if not isinstance(e, Enroll)]
    new_year = dt.datetime(later[0].time.astimezone(tz).year, 1, 1, tzinfo=tz)
    events = [Enroll("join", new_year), *later]
    scheme = program.earning_scheme
    calendar = attrs.evolve(
        program,
        earning=attrs.evolve(
            scheme,
            caps=tuple(
                PeriodCap("year", c.max_points) if c.freq == "membership_year" else c
                for c in scheme.caps
            ),
        ),
    )
    as_of = events[-1].time
    got = program.replay(events, as_of=as_of)
    want = calendar.replay(events, as_of=as_of)
    assert {k: (r.points, r.capped) for k, r in got.earnings.items()} == {
        k: (r.points, r.capped) for k, r in want.earnings.items()
    }
    assert (got.available, got.credited, got.reversed) == (
        want.available,
        want.credited,
        want.reversed,
    )
