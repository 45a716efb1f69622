"""Fixed yearly bonuses credited by the calendar (birthday, enrolment anniversary): rule 10.

Example tests follow a real programme's published terms: each names the programme and the
clause, with the arithmetic. Where the wording could not be checked against the published
text it says "unverified"; no quote is invented.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zoneinfo
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    Condition,
    DateWindow,
    EarningRule,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    Order,
    OrderLine,
    ProfileUpdate,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Tier,
    TierLadder,
    YearlyBonus,
    replay_many,
)
from tests.loyalty.test_ledger_properties import check_state
from tests.strategies import earning_schemes, examples, loyalty_orders

LONDON = zoneinfo.ZoneInfo("Europe/London")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _mills_and_boon() -> Program:
    """Mills & Boon rewards: birthday points by VIP tier (tier spend thresholds illustrative)."""
    ladder = TierLadder(
        tiers=[
            Tier(name="reader"),
            Tier(name="bronze", spend="20"),
            Tier(name="silver", spend="100"),
            Tier(name="gold", spend="250"),
        ]
    )
    rules = [
        BaseRate(id="base", rate=1),
        YearlyBonus(id="bday-bronze", points=25, notice_days=30, when=Condition(tiers=["bronze"])),
        YearlyBonus(id="bday-silver", points=50, notice_days=30, when=Condition(tiers=["silver"])),
        YearlyBonus(id="bday-gold", points=100, notice_days=30, when=Condition(tiers=["gold"])),
    ]
    return Program(
        currency="GBP", timezone="Europe/London", earning=EarningScheme(rules=rules), tiers=ladder
    )


def _at(y: int, m: int, d: int, h: int = 12, tz: zoneinfo.ZoneInfo = LONDON) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=tz)


def test_mills_and_boon_birthday_points_by_tier() -> None:
    """Mills & Boon, "How can I get a birthday reward?" (millsandboon.co.uk): "Once you
    enter one of our VIP tiers you will earn bonus points on your birthday ... Bronze tier:
    25 points, Silver tier: 50 points, Gold tier: 100 points", and "you must register your
    birthday at least 30 days prior to your birthday". (Their first-year catch-up, points
    paid 30 days after a late registration, is not modelled; the tier thresholds and the
    1 point per pound here are illustrative.)

    Joined 5 Jan 2025 with a birthday on 20 April (105 days' notice). £30 on 1 Feb: 30
    points, Bronze. 20 Apr 2025, local midnight (BST, 19 Apr 23:00 UTC): +25 (Bronze).
    £250 on 1 Oct: 280 spent in 2025, Gold (held through 2026). 20 Apr 2026: +100 (Gold).
    Credited by 1 May 2026: 30 + 25 + 250 + 100 = 405. A member who never reached a VIP
    tier gets nothing.
    """
    program = _mills_and_boon()
    events = [
        Enroll("e", _at(2025, 1, 5), birth_date=dt.date(1988, 4, 20)),
        Purchase("p1", _at(2025, 2, 1), lines=[PurchaseLine("1", "30")]),
        Purchase("p2", _at(2025, 10, 1), lines=[PurchaseLine("1", "250")]),
    ]
    state = program.replay(events, as_of=_at(2026, 5, 1))
    bonuses = [
        (p.time, p.points, p.rule, p.lot_id) for p in state.postings if p.lot_id and "@" in p.lot_id
    ]
    assert bonuses == [
        (_at(2025, 4, 20, 0), 25, "bday-bronze", "bday-bronze@2025"),
        (_at(2026, 4, 20, 0), 100, "bday-gold", "bday-gold@2026"),
    ]
    assert bonuses[0][0].astimezone(dt.UTC) == dt.datetime(2025, 4, 19, 23, tzinfo=dt.UTC)
    assert state.credited == 405
    assert [lot.source for lot in state.lots] == ["purchase", "yearly", "purchase", "yearly"]
    reader = program.replay(events[:1], as_of=_at(2026, 5, 1))
    assert reader.credited == 0
    check_state(state)


def _rivo() -> Program:
    """Rivo's "Celebrate a birthday" earning rule: 250 points, 30 days' notice."""
    rules = [BaseRate(id="base", rate=1), YearlyBonus(id="birthday", points=250, notice_days=30)]
    return Program(timezone="Europe/London", earning=EarningScheme(rules=rules))


def test_rivo_birthday_points_need_30_days_notice() -> None:
    """Rivo, "Birthday Points" (help.rivo.io): "The reward is set to 250 points by default";
    "We ask for 30 days' notice on birthday dates for members to receive these points. If a
    member enters a birthday within 30 days of the date on which they added it, they will
    have to wait until the next year to receive their points."

    Birthday 20 June, entered 1 June 2025 (19 days before): nothing in 2025; 250 on 20 June
    2026. Birthday 15 July, entered 1 June 2025 (44 days before): 250 on 15 July 2025.
    """
    program = _rivo()
    late = [Enroll("e", _at(2025, 6, 1), birth_date=dt.date(1990, 6, 20))]
    state = program.replay(late, as_of=_at(2026, 12, 31))
    assert [(p.time.date(), p.points) for p in state.postings] == [(dt.date(2026, 6, 20), 250)]
    early = [Enroll("e", _at(2025, 6, 1), birth_date=dt.date(1990, 7, 15))]
    state = program.replay(early, as_of=_at(2025, 12, 31))
    assert [(p.time.date(), p.points) for p in state.postings] == [(dt.date(2025, 7, 15), 250)]


def test_loyaltylion_birthday_points_once_a_year_even_if_the_birthday_changes() -> None:
    """LoyaltyLion, "Earning birthday points" (help.loyaltylion.com): "Customers will only be
    given points for their birthday once a year. Therefore, if a customer changes their
    birthday and they have already been given points for their birthday that year. They
    will not be given points again." Its example: "by entering your birthday you can
    receive 500 points".

    Birthday 3 March: 500 on 3 Mar 2025. On 1 May the birthday becomes 9 September: nothing
    on 9 Sep 2025 (already given in 2025); 500 on 9 Sep 2026, and none on 3 Mar 2026. Total
    1,000; the incremental apply agrees with the replay at every step.
    """
    program = Program(
        timezone="Europe/London",
        earning=EarningScheme(
            rules=[BaseRate(id="base", rate=1), YearlyBonus(id="bd", points=500)]
        ),
    )
    events = [
        Enroll("e", _at(2025, 1, 2), birth_date=dt.date(1990, 3, 3)),
        ProfileUpdate("u", _at(2025, 5, 1), birth_date=dt.date(1990, 9, 9)),
        Purchase("p", _at(2026, 12, 1), lines=[PurchaseLine("1", "10")]),
    ]
    state = program.replay(events, as_of=_at(2026, 12, 31))
    assert [(p.time.date(), p.points) for p in state.postings if p.rule == "bd"] == [
        (dt.date(2025, 3, 3), 500),
        (dt.date(2026, 9, 9), 500),
    ]
    assert state.credited == 1010
    step = program.replay([], as_of=_at(2025, 1, 1))
    for event in events:
        step = program.apply(step, event)
        assert step == program.replay(events[: events.index(event) + 1], as_of=step.as_of)


def test_anniversary_bonus_on_the_enrolment_date_expires_like_other_points() -> None:
    """Perkville, "Membership anniversary" (docs.perkville.com): "On the annual anniversary
    of a member's enrollment/join date, they will receive a bonus in the form of points"
    (the amount is the merchant's; 200 here).

    Joined 29 Feb 2024 at 15:00 Shanghai time: bonuses at local midnight of 28 Feb 2025,
    28 Feb 2026 and 28 Feb 2027 (no 29th), then 29 Feb 2028. Points are usable through
    the same date 12 months on (``after_months(12)``): the 2025 lot expires at midnight
    starting 1 Mar 2026, so at that instant: 200 available (the 2026 lot), 200 expired,
    400 credited. A redemption of 150 on 1 Jan 2027 takes the 2026 lot (the only one); it
    expires with 50 left on 1 Mar 2027; the 2027 lot expires whole on 1 Mar 2028, when the
    2028 one (29 Feb) is still usable.
    """
    program = Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                YearlyBonus(id="anniv", points=200, on="anniversary"),
            ]
        ),
        expiry=ExpiryPolicy.after_months(12),
    )
    joined = Enroll("e", _at(2024, 2, 29, 15, SHANGHAI))
    state = program.replay([joined], as_of=_at(2026, 3, 1, 0, SHANGHAI))
    assert [(p.kind, p.time.date(), p.points) for p in state.postings] == [
        ("earn", dt.date(2025, 2, 28), 200),
        ("earn", dt.date(2026, 2, 28), 200),
        ("expire", dt.date(2026, 3, 1), -200),
    ]
    assert (state.available, state.expired, state.credited) == (200, 200, 400)
    redeem = Redeem("r", _at(2027, 1, 1, 10, SHANGHAI), points=150)
    later = program.replay([joined, redeem], as_of=_at(2028, 3, 1, 0, SHANGHAI))
    assert [lot.lot_id for lot in later.lots] == [
        "anniv@2025",
        "anniv@2026",
        "anniv@2027",
        "anniv@2028",
    ]
    assert [(lot.spent, lot.expired, lot.remaining) for lot in later.lots] == [
        (0, 200, 0),
        (150, 50, 0),
        (0, 200, 0),
        (0, 0, 200),
    ]
    assert later.lots[3].earned_at == _at(2028, 2, 29, 0, SHANGHAI)
    check_state(later)


def test_a_29_february_birthday_is_28_february_in_common_years() -> None:
    """As for birthday vouchers (``quota_freq="birthday"``): born 29 Feb 1992, the bonus
    comes on 28 Feb 2025, 2026 and 2027 and on 29 Feb 2028 (local midnight, New Zealand)."""
    program = Program(
        timezone="Pacific/Auckland",
        earning=EarningScheme(rules=[BaseRate(id="base", rate=1), YearlyBonus(id="bd", points=5)]),
    )
    tz = zoneinfo.ZoneInfo("Pacific/Auckland")
    events = [Enroll("e", dt.datetime(2025, 1, 1, tzinfo=tz), birth_date=dt.date(1992, 2, 29))]
    state = program.replay(events, as_of=dt.datetime(2028, 12, 1, tzinfo=tz))
    assert [p.time for p in state.postings] == [
        dt.datetime(2025, 2, 28, tzinfo=tz),
        dt.datetime(2026, 2, 28, tzinfo=tz),
        dt.datetime(2027, 2, 28, tzinfo=tz),
        dt.datetime(2028, 2, 29, tzinfo=tz),
    ]


def test_the_bonus_comes_before_an_event_at_the_same_instant() -> None:
    """The bonus is credited at local midnight, before any event at that instant: a
    redemption of the 500 birthday points at 00:00 on the birthday succeeds, by replay and
    by apply, whatever order the events arrive in."""
    program = Program(
        timezone="Europe/London",
        earning=EarningScheme(
            rules=[BaseRate(id="base", rate=1), YearlyBonus(id="bd", points=500)]
        ),
    )
    events = [
        Enroll("e", _at(2025, 1, 2), birth_date=dt.date(1990, 3, 3)),
        Redeem("r", _at(2025, 3, 3, 0), points=500),
        Adjust("a", _at(2025, 3, 3, 0), points=7, reason="gift"),
    ]
    expected = program.replay(events, as_of=_at(2025, 3, 4))
    assert (expected.available, expected.spent) == (7, 500)
    for order in ([0, 1, 2], [0, 2, 1]):
        step = program.replay([], as_of=_at(2025, 1, 1))
        for k in order:
            step = program.apply(step, events[k])
        assert program.replay(events[::-1], as_of=step.as_of) == step


def test_each_point_currency_credits_its_own_yearly_bonus_by_the_tier_held() -> None:
    """Several point currencies: each scheme's yearly bonus goes to its own currency; a
    tier condition reads the primary ladder at the bonus instant. Gold from 1 Feb (spend
    100): on 3 March 300 miles (gold only) and 20 points (everyone)."""
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="100")])
    program = Program(
        timezone="Europe/London",
        earning={
            "points": EarningScheme(
                rules=[BaseRate(id="b", rate=1), YearlyBonus(id="bd", points=20)]
            ),
            "miles": EarningScheme(
                rules=[
                    BaseRate(id="m", rate=2),
                    YearlyBonus(id="bd-gold", points=300, when=Condition(tiers=["gold"])),
                ]
            ),
        },
        tiers=ladder,
    )
    events = [
        Enroll("e", _at(2025, 1, 2), birth_date=dt.date(1990, 3, 3)),
        Purchase("p", _at(2025, 2, 1), lines=[PurchaseLine("1", "100")]),
    ]
    parts = program.replay(events, as_of=_at(2025, 4, 1)).by_currency
    assert (parts["points"].credited, parts["miles"].credited) == (120, 500)
    member_only = program.replay(events[:1], as_of=_at(2025, 4, 1)).by_currency
    assert (member_only["points"].credited, member_only["miles"].credited) == (20, 0)


def test_replay_many_credits_the_yearly_bonus() -> None:
    """``replay_many`` (one table for a member base) credits the birthday bonus read from
    the table's ``birth_date`` column, as the one-member replay does."""
    program = _rivo()
    table = pd.DataFrame(
        {
            "member_id": ["a", "b"],
            "event_id": ["ea", "eb"],
            "kind": ["enroll", "enroll"],
            "time": [_at(2025, 1, 2), _at(2025, 1, 2)],
            "birth_date": ["1990-03-03", None],
        }
    )
    states = replay_many(table, program, as_of=_at(2025, 6, 1))
    assert list(states["credited"]) == [250, 0]


def test_yearly_bonus_rules_are_data_and_validated() -> None:
    """JSON round trip through the rule union; a yearly bonus narrows only by tiers and
    windows, has no use limit of its own and a notice only on birthdays; its tiers must
    be the ladder's."""
    rule = YearlyBonus(
        id="gold-birthday",
        points=500,
        notice_days=30,
        when=Condition(tiers=["gold"], windows=[DateWindow("2025-01-01", "2026-01-01")]),
    )
    assert EarningRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    with pytest.raises(ConfigError) as info:
        YearlyBonus(id="x", points=5, when=Condition(channels=["app"]))
    assert info.value.field == "when"
    with pytest.raises(ConfigError) as info:
        YearlyBonus(id="x", points=5, max_uses=1)
    assert info.value.field == "max_uses"
    with pytest.raises(ConfigError) as info:
        YearlyBonus(id="x", points=5, on="anniversary", notice_days=3)
    assert info.value.field == "notice_days"
    with pytest.raises(ConfigError) as info:
        YearlyBonus(id="x", points=0)
    assert info.value.field == "points"
    with pytest.raises(ConfigError):
        Program(earning=EarningScheme(rules=[rule]), tiers=TierLadder(tiers=[Tier(name="m")]))


# --------------------------------------------------------------------------- properties

_ZONES = ("UTC", "Asia/Shanghai", "America/New_York", "Pacific/Auckland")


@st.composite
def yearly_programs(draw: st.DrawFn) -> Program:
    """A program with 1-3 yearly bonuses (birthday with or without notice, anniversary,
    some for gold only), any expiry, shortfall policy, pending days and zone."""
    ladder = draw(
        st.sampled_from(
            [None, TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="300")])]
        )
    )
    rules: list[Any] = [BaseRate(id="base", rate=1)]
    for i in range(draw(st.integers(1, 3))):
        on = draw(st.sampled_from(["birthday", "anniversary"]))
        gold = ladder is not None and draw(st.booleans())
        rules.append(
            YearlyBonus(
                id=f"y{i}",
                points=draw(st.integers(1, 500)),
                on=on,
                notice_days=draw(st.sampled_from([0, 30])) if on == "birthday" else 0,
                when=Condition(tiers=["gold"]) if gold else Condition(),
            )
        )
    expiry = draw(
        st.sampled_from(
            [
                ExpiryPolicy.never(),
                ExpiryPolicy.after_days(45),
                ExpiryPolicy.after_months(12),
                ExpiryPolicy.end_of_period("year"),
                ExpiryPolicy.inactivity(90, "days", activity=("purchase",)),
            ]
        )
    )
    earning: Any = EarningScheme(rules=rules)
    if draw(st.booleans()):
        # A second point currency with a yearly bonus of its own (gold only, or anyone).
        gold = ladder is not None and draw(st.booleans())
        miles = EarningScheme(
            rules=[
                BaseRate(id="m", rate=2),
                YearlyBonus(
                    id="ym",
                    points=draw(st.integers(1, 300)),
                    on=draw(st.sampled_from(["birthday", "anniversary"])),
                    when=Condition(tiers=["gold"]) if gold else Condition(),
                ),
            ]
        )
        earning = {"points": earning, "miles": miles}
    return Program(
        timezone=draw(st.sampled_from(_ZONES)),
        earning=earning,
        expiry=expiry,
        tiers=ladder,
        shortfall=draw(st.sampled_from(["forfeit", "debt", "cash_offset"])),
        pending_days=draw(st.sampled_from([0, 7])),
    )


T0 = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)


@st.composite
def member_histories(draw: st.DrawFn) -> list[Any]:
    """Enrolment (birth date or not) then purchases, redemptions, refunds, profile updates
    and negative adjustments over about three years (some right at a local midnight)."""
    born = draw(
        st.sampled_from([None, dt.date(1992, 2, 29), dt.date(1980, 1, 1), dt.date(1975, 8, 31)])
    )
    events: list[Any] = [Enroll("e", T0, birth_date=born)]
    at = T0
    purchases: list[str] = []
    for k in range(draw(st.integers(0, 10))):
        at += dt.timedelta(hours=draw(st.integers(1, 24 * 160)))
        kind = draw(
            st.sampled_from(["purchase", "purchase", "redeem", "profile", "adjust", "refund"])
        )
        eid = f"x{k}"
        if kind == "purchase":
            amount = draw(st.integers(1, 600))
            events.append(Purchase(eid, at, lines=[PurchaseLine("1", str(amount))]))
            purchases.append(eid)
        elif kind == "redeem":
            events.append(Redeem(eid, at, points=draw(st.integers(1, 400))))
        elif kind == "profile":
            month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
            events.append(ProfileUpdate(eid, at, birth_date=dt.date(1990, month, day)))
        elif kind == "adjust":
            events.append(Adjust(eid, at, points=-draw(st.integers(1, 100)), reason="fix"))
        elif purchases:
            from crmkit.loyalty import Refund

            events.append(Refund(eid, at, draw(st.sampled_from(purchases))))
    return events


@settings(max_examples=examples(60), deadline=None)
@given(program=yearly_programs(), events=member_histories(), extra=st.integers(0, 800))
def test_incremental_apply_equals_replay_and_points_are_conserved(
    program: Program, events: list[Any], extra: int
) -> None:
    """Applying the events one by one gives, after each, the state a full replay gives;
    every state conserves points (credited = available + pending + spent + expired +
    reversed + forfeited, per lot too); replaying to a later ``as_of`` only appends to the
    ledger (the calendar credits and expires, nothing before changes)."""
    step = program.replay([], as_of=T0, on_error="skip")
    for k, event in enumerate(events):
        step = program.apply(step, event)
        replayed = program.replay(events[: k + 1], as_of=step.as_of, on_error="skip")
        assert step == replayed
        for part in step.by_currency.values():
            check_state(part)
    end = step.as_of + dt.timedelta(days=extra)
    later = program.replay(events, as_of=end, on_error="skip")
    check_state(later)
    assert later.postings[: len(step.postings)] == step.postings
    # Shuffled arrival: the same state.
    shuffled = list(events)
    random.Random(extra).shuffle(shuffled)
    assert program.replay(shuffled, as_of=end, on_error="skip") == later


@settings(max_examples=examples(60), deadline=None)
@given(program=yearly_programs(), events=member_histories(), years=st.integers(1, 4))
def test_each_yearly_bonus_is_credited_at_most_once_a_year_at_local_midnight(
    program: Program, events: list[Any], years: int
) -> None:
    """Per rule and local calendar year at most one credit, always at local midnight of a
    birthday (of a birth date the member had) or of an enrolment anniversary."""
    state = program.replay(events, as_of=T0 + dt.timedelta(days=365 * years), on_error="skip")
    zone = program.zone
    births = {e.birth_date for e in events if getattr(e, "birth_date", None) is not None}
    joined = T0.astimezone(zone).date()
    rules = {r.id: r for r in program.earning_scheme.yearly_bonuses}
    seen: set[tuple[str, int]] = set()
    for posting in state.postings:
        if posting.rule not in rules or posting.kind != "earn":
            continue
        local = posting.time.astimezone(zone)
        key = (posting.rule, local.year)
        assert key not in seen
        seen.add(key)
        assert local.time() == dt.time(0)  # these zones have no gap at midnight
        rule = rules[posting.rule]
        days = {rule.day_in(local.year, b, joined) for b in births} | {
            rule.day_in(local.year, None, joined)
        }
        assert local.date() in days
        assert posting.lot_id == f"{posting.rule}@{local.year}"


@settings(max_examples=examples(40), deadline=None)
@given(
    zone=st.sampled_from(_ZONES),
    born=st.dates(dt.date(1950, 1, 1), dt.date(2006, 12, 31)),
    years=st.integers(0, 6),
)
def test_a_birth_date_known_early_gives_exactly_one_bonus_per_birthday(
    zone: str, born: dt.date, years: int
) -> None:
    """Known from enrolment, no condition: exactly one credit per birthday after the
    enrolment instant and up to ``as_of``, and the balance is their sum (never expiring)."""
    program = Program(
        timezone=zone,
        earning=EarningScheme(rules=[BaseRate(id="b", rate=1), YearlyBonus(id="bd", points=3)]),
    )
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime(2024, 7, 1, 12, tzinfo=tz)
    end = start + dt.timedelta(days=365 * years + 17)
    state = program.replay([Enroll("e", start, birth_date=born)], as_of=end)
    rule = program.earning_scheme.yearly_bonuses[0]
    expected = []
    for year in range(2024, end.year + 1):
        day = rule.day_in(year, born, None)
        assert day is not None
        when = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
        if start < when <= end:
            expected.append(when)
    assert [p.time for p in state.postings] == expected
    assert state.available == 3 * len(expected)


@given(earning_schemes(), loyalty_orders())
def test_yearly_bonus_rules_never_change_what_an_order_earns(scheme: Any, order: Order) -> None:
    """A yearly bonus is credited by the calendar, never by an order: removing it from a
    scheme leaves what any order earns unchanged (fast path included)."""
    rules = [r for r in scheme.rules if not isinstance(r, YearlyBonus)]
    if not rules:
        return
    import attrs

    without = attrs.evolve(scheme, rules=rules)
    with_bonus = attrs.evolve(scheme, rules=[*rules, YearlyBonus(id="zz-yearly", points=9)])
    assert with_bonus.earn(order, timezone="UTC") == without.earn(order, timezone="UTC")
    plain = EarningScheme(rules=[BaseRate(id="base", rate=1)])
    plus = EarningScheme(rules=[BaseRate(id="base", rate=1), YearlyBonus(id="y", points=1)])
    assert plus._engine().flat is not None  # the flat fast path stays on
    assert plus.earn(order, timezone="UTC") == plain.earn(order, timezone="UTC")
    assert OrderLine  # (imported for the strategies' orders)


@given(
    st.lists(st.tuples(st.integers(1, 24 * 120), st.integers(0, 400)), min_size=1, max_size=12),
    st.sampled_from(_ZONES),
)
def test_a_once_a_year_order_bonus_goes_to_the_first_qualifying_order_of_each_year(
    steps: list[tuple[int, int]], zone: str
) -> None:
    """Rule 10, "a once-per-year limit on any bonus", for an order bonus (the property in
    ``test_rule_terms`` holds it for a multiplier): with ``max_uses=1, uses_freq="year"``
    the 50-point bonus for orders of 100 or more goes to the first such order of each local
    calendar year, and to no other."""
    from crmkit.loyalty import OrderBonus

    program = Program(
        timezone=zone,
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                OrderBonus(id="big", points=50, min_spend="100", max_uses=1, uses_freq="year"),
            ]
        ),
    )
    at = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
    events = []
    for k, (hours, amount) in enumerate(steps):
        at += dt.timedelta(hours=hours)
        events.append(Purchase(f"p{k}", at, lines=[PurchaseLine("1", str(amount))]))
    state = program.replay(events, as_of=at)
    given_to = [p.event_id for p in state.postings if p.rule == "big" and p.points]
    expected: dict[int, str] = {}
    for event, (_, amount) in zip(events, steps, strict=True):
        year = event.time.astimezone(program.zone).year
        if amount >= 100:
            expected.setdefault(year, event.event_id)
    assert given_to == list(expected.values())


def test_breakage_can_count_yearly_bonus_lots() -> None:
    """Finance view: the yearly bonuses' lots (source ``"yearly"``) are a cohort source of
    ``breakage`` like purchase points. 250 birthday points on 3 Mar 2025 and 3 Mar 2026,
    each usable 12 months: by 1 Jun 2026 the 2025 cohort has expired whole, the 2026 one is
    open."""
    from crmkit.loyalty import breakage

    program = Program(
        timezone="Europe/London",
        earning=EarningScheme(
            rules=[BaseRate(id="base", rate=1), YearlyBonus(id="bd", points=250)]
        ),
        expiry=ExpiryPolicy.after_months(12),
    )
    events = {"m1": [Enroll("e", _at(2025, 1, 2), birth_date=dt.date(1990, 3, 3))]}
    result = breakage(events, program, as_of=_at(2026, 6, 1), sources="yearly")
    table = result.cohorts
    assert list(table.index) == ["2025-03", "2026-03"]
    assert list(table["issued"]) == [250, 250]
    assert list(table["expired"]) == [250, 0]
    assert list(table["open"]) == [0, 250]
