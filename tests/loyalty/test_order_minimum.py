"""OrderMinimum: a floor of points per order, Wyndham Rewards' "go get 'em".

References (the clauses the rule follows):

- Wyndham's member-levels FAQ (https://www.wyndhamhotels.com/en-uk/wyndham-rewards/
  comingsoon/faq/member-levels): "Accelerated earnings (if any) will be applied to a stay
  first, followed by go get 'em. In instances where accelerated earning pushes a member's
  points earning above 1,000 points for a stay, go get 'em will not be applied", with the
  Gold ($80: 800 + 80 + 120 = 1,000) and Diamond ($125: 1,250 + 250 = 1,500) examples.
- Wyndham's offer terms "Stay 2 Nights, Get 6,500 Bonus Points" (https://wyndhamhotels.com/
  en-ap/laquinta/hotel-deals/stay-two-nights): "The Bonus, when added to the minimum of
  1,000 Base Points a points-earning Member earns for a Qualified Stay pursuant to the
  Program Terms, results in earnings of at least 7,500 Wyndham Rewards points per Offer
  Qualifying Stay": promotional bonuses come on top of the minimum (the default,
  ``include_bonuses=False``).
- Wyndham's 2015 announcement, as quoted at https://loyaltytraveler.boardingarea.com/2015/
  03/31/big-changes-for-wyndham-rewards-may-11-and-i-redeemed-all-my-points-yesterday/:
  "1,000 point minimum earned every stay: Regardless of room rate, all stays will result
  in a minimum of 1,000 points earned" (every level: no tier condition).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    BaseRate,
    Condition,
    EarningRule,
    EarningScheme,
    ExpiryPolicy,
    MemberContext,
    Multiplier,
    Order,
    OrderBonus,
    OrderLine,
    OrderMinimum,
    PeriodCap,
    Program,
    Purchase,
    PurchaseLine,
    Refund,
    RefundLine,
    SignUpBonus,
    Tier,
    TierLadder,
    replay_many,
    sort_events,
)
from crmkit.loyalty._engine import Earner
from tests.loyalty.test_ledger_properties import check_state
from tests.strategies import (
    earning_schemes,
    examples,
    loyalty_event_tables,
    loyalty_orders,
    member_contexts,
)

NY = zoneinfo.ZoneInfo("America/New_York")
TZ = "America/New_York"
GOLD = MemberContext(tier="gold")


def _ny(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=NY)


def _wyndham(**minimum: Any) -> EarningScheme:
    """10 points a dollar, Gold +10 %, Diamond +20 %, and the 1,000-point minimum."""
    return EarningScheme(
        rules=[
            BaseRate(id="base", rate=10),
            Multiplier(id="gold", factor="1.1", when=Condition(tiers=["gold"])),
            Multiplier(id="diamond", factor="1.2", when=Condition(tiers=["diamond"])),
            OrderMinimum(id="go-get-em", **{"points": 1_000, **minimum}),
        ]
    )


def _night(amount: str, *more: str, order_id: str = "s1", **kw: Any) -> Order:
    lines = [OrderLine(f"n{k + 1}", a) for k, a in enumerate((amount, *more))]
    return Order(order_id, dt.datetime(2024, 3, 1, 20), lines, **kw)


# --------------------------------------------------------------------------- by hand


def test_the_faq_gold_night_is_topped_up_by_120_to_1000() -> None:
    """The FAQ's Gold example: $80 earns 80 x 10 = 800 base points; Gold's accelerated
    earning adds 10 % of them, 80: 880 < 1,000, so go get 'em adds 1,000 - 880 = 120. The
    explanation shows it after the multiplier, and all 1,000 qualify."""
    result = _wyndham().earn(_night("80"), GOLD, timezone=TZ)
    assert result.by_rule() == {"base": 800, "gold": 80, "go-get-em": 120}
    assert (result.points, result.qualifying_points) == (1_000, 1_000)
    assert result.explain() == "\n".join(
        [
            "order s1: 1000 points on base 80 (floor per_order)",
            "  line n1: base 80 -> 1000 points (exact 1000)",
            "    base: +800 (10 per unit)",
            "    gold: +80 (x1.1, multiply)",
            "    go-get-em: +120 (at least 1000 per order)",
        ]
    )


def test_a_diamond_night_above_the_minimum_gets_no_top_up() -> None:
    """The FAQ's Diamond example: $125 earns 1,250 base points + 20 % = 1,500 > 1,000: go
    get 'em is not applied (no component, no attribution). A Blue member's $100 night earns
    exactly 1,000: nothing to top up either; a Blue $99.99 night (999.9 exact) gets 0.1 and
    earns 1,000."""
    scheme = _wyndham()
    diamond = scheme.earn(_night("125"), MemberContext(tier="diamond"), timezone=TZ)
    assert diamond.by_rule() == {"base": 1_250, "diamond": 250}
    assert all(c.rule_id != "go-get-em" for c in diamond.lines[0].components)
    assert scheme.earn(_night("100"), timezone=TZ).by_rule() == {"base": 1_000}
    almost = scheme.earn(_night("99.99"), timezone=TZ)
    assert almost.points == 1_000
    assert almost.lines[0].components[-1].points == Decimal("0.1")


def test_a_promotional_bonus_comes_on_top_of_the_minimum() -> None:
    """Wyndham's offer: 6,500 bonus points "added to the minimum of 1,000 Base Points ...
    results in earnings of at least 7,500". A Blue $50 stay: 500 base, topped up by 500 to
    1,000, plus the 6,500 bonus = 7,500. With ``include_bonuses=True`` the bonus counts
    toward the minimum: 500 + 6,500 = 7,000 >= 1,000, no top-up. A sign-up bonus is a
    bonus too."""
    offer = OrderBonus(id="stay-2", points=6_500)
    base = _wyndham()
    on_top = attrs.evolve(base, rules=[*base.rules, offer])
    assert on_top.earn(_night("50"), timezone=TZ).by_rule() == {
        "base": 500,
        "stay-2": 6_500,
        "go-get-em": 500,
    }
    counted = _wyndham(include_bonuses=True)
    counted = attrs.evolve(counted, rules=[*counted.rules, offer])
    assert counted.earn(_night("50"), timezone=TZ).by_rule() == {"base": 500, "stay-2": 6_500}
    welcome = attrs.evolve(base, rules=[*base.rules, SignUpBonus(id="welcome", points=300)])
    first = welcome.earn(_night("50"), MemberContext(prior_orders=0), timezone=TZ)
    assert first.by_rule() == {"base": 500, "welcome": 300, "go-get-em": 500}


def test_a_free_night_a_points_paid_stay_and_an_uncovered_stay_get_no_top_up() -> None:
    """Nothing paid, nothing topped up: a $0 night (free-night certificate), a $60 stay paid
    wholly with points (net_paid base 0) and a third-party booking the rule leaves out
    (``except_channels``) earn what the other rules give. A free night beside a paid one
    gets no share: the paid night ($40, 400) takes all 600."""
    scheme = _wyndham(when=Condition(except_channels=["third_party"]))
    assert scheme.earn(_night("0"), timezone=TZ).points == 0
    assert scheme.earn(_night("60", points_tender="60"), timezone=TZ).points == 0
    assert scheme.earn(_night("60", channel="third_party"), timezone=TZ).points == 600
    mixed = scheme.earn(_night("40", "0"), timezone=TZ)
    assert mixed.line_points() == {"n1": 1_000, "n2": 0}
    assert [c.rule_id for c in mixed.lines[1].components] == ["base", "go-get-em"]


def test_rounding_per_order_and_per_line_still_reach_the_minimum() -> None:
    """Two nights of $49.95 and $49.96: 499.5 + 499.6 = 999.1 exact. Per order (floor) the
    order would earn 999; the top-up is the exact shortfall 1,000 - 999.10 = 0.90, split by
    base in hundredths (90 x 49.95 / 99.91 = 44.99.. and 45.00..: 44 + 45, the hundredth
    left to the larger remainder, .99..): 0.45 / 0.45, and the order earns 1,000. Per
    line the lines would earn 499 + 499 = 998; the top-up is 2 whole points, 1 each: 500 +
    500 = 1,000. With ``point_decimals=2`` the minimum is 100,000 hundredths."""
    per_order = _wyndham()
    result = per_order.earn(_night("49.95", "49.96"), timezone=TZ)
    assert result.points == 1_000
    assert [lp.components[-1].points for lp in result.lines] == [Decimal("0.45"), Decimal("0.45")]
    per_line = attrs.evolve(per_order, rounding_scope="per_line")
    lined = per_line.earn(_night("49.95", "49.96"), timezone=TZ)
    assert lined.line_points() == {"n1": 500, "n2": 500}
    assert lined.by_rule()["go-get-em"] == 2
    hundredths = attrs.evolve(per_order, point_decimals=2)
    cents = hundredths.earn(_night("12.34"), timezone=TZ)
    assert (cents.points, cents.in_points()) == (100_000, Decimal("1000"))


def test_caps_apply_after_the_minimum() -> None:
    """A cap still caps: with ``max_points_per_order=900`` the topped-up 1,000 is cut to 900
    (100 capped); a monthly cap with 400 points left leaves 400."""
    capped = attrs.evolve(_wyndham(), max_points_per_order=900)
    result = capped.earn(_night("80"), GOLD, timezone=TZ)
    assert (result.points, result.capped) == (900, 100)
    monthly = attrs.evolve(_wyndham(), caps=[PeriodCap("month", 5_000)])
    member = MemberContext(tier="gold", period_points={"month": 4_600})
    assert monthly.earn(_night("80"), member, timezone=TZ).points == 400


def test_a_top_up_that_does_not_qualify_stays_out_of_qualifying_points() -> None:
    """``qualifying=False``: the member earns 1,000, of which the 880 earned by base and
    accelerated earning qualify for tiers."""
    scheme = _wyndham(qualifying=False)
    result = scheme.earn(_night("80"), GOLD, timezone=TZ)
    assert (result.points, result.qualifying_points) == (1_000, 880)


def test_the_largest_of_several_minimums_holds_and_order_filters_pick_orders() -> None:
    """A Gold-only minimum of 1,500 beside go get 'em: for Gold, go-get-em (first by id)
    tops 880 up by 120 to 1,000, then gold-floor by 500 to 1,500; a Blue member only gets
    go-get-em. A minimum covering one category tops up that line only."""
    scheme = _wyndham()
    floors = attrs.evolve(
        scheme,
        rules=[
            *scheme.rules,
            OrderMinimum(id="gold-floor", points=1_500, when=Condition(tiers=["gold"])),
        ],
    )
    assert floors.earn(_night("80"), GOLD, timezone=TZ).by_rule() == {
        "base": 800,
        "gold": 80,
        "go-get-em": 120,
        "gold-floor": 500,
    }
    assert floors.earn(_night("80"), timezone=TZ).points == 1_000
    rooms = EarningScheme(
        rules=[
            BaseRate(id="base", rate=10),
            OrderMinimum(id="room-floor", points=1_000, when=Condition(categories=["room"])),
        ]
    )
    stay = Order(
        "s2",
        dt.datetime(2024, 3, 1),
        [OrderLine("r", "30", category="room"), OrderLine("f", "20", category="food")],
    )
    assert rooms.earn(stay, timezone=TZ).line_points() == {"r": 1_000, "f": 200}


# --------------------------------------------------------------------------- JSON, checks


def test_json_round_trip_and_validation() -> None:
    """The rule reads back from JSON text (as a rule and inside a scheme); ``points`` must
    be a whole number >= 1, ``include_bonuses`` a bool, ``stacking`` ``"max"``; unknown
    keys are refused by name."""
    rule = OrderMinimum(
        id="go-get-em",
        points=1_000,
        include_bonuses=True,
        priority=5,
        when=Condition(except_channels=["third_party"]),
        max_uses=1,
        uses_freq="month",
        qualifying=False,
    )
    text = json.dumps(rule.to_dict())
    assert EarningRule.from_dict(json.loads(text)) == rule
    assert OrderMinimum.from_dict(json.loads(text)) == rule
    assert "include_bonuses" not in OrderMinimum(id="m", points=1).to_dict()
    scheme = _wyndham()
    assert EarningScheme.from_dict(json.loads(json.dumps(scheme.to_dict()))) == scheme
    for bad in (
        {"points": 0},
        {"points": Decimal("1.5")},
        {"points": True},
        {"points": 10, "include_bonuses": "yes"},
        {"points": 10, "stacking": "add"},
    ):
        with pytest.raises(ConfigError):
            OrderMinimum(id="m", **bad)
    with pytest.raises(ConfigError, match="minimum_points"):
        EarningRule.from_dict({"kind": "order_minimum", "id": "m", "minimum_points": 1})


def test_the_compiled_fast_paths_leave_minimums_to_the_general_path() -> None:
    """A plain or tiered earner computes points as the base times a rate: a minimum is not
    linear in the base, so a scheme holding one earns through ``EarningScheme.earn``."""
    plain = EarningScheme(rules=[BaseRate(id="base", rate=10), OrderMinimum(id="m", points=1)])
    assert not Earner(plain, member_free=True).plain
    assert not Earner(_wyndham(), member_free=False, tier_only=True).tiered


# --------------------------------------------------------------------------- in a program


def _program(**minimum: Any) -> Program:
    """Wyndham-like: 10 a dollar, Gold (5 nights) +10 %, the 1,000 minimum; no expiry."""
    return Program(
        name="Wyndham-like",
        currency="USD",
        timezone=TZ,
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=10),
                Multiplier(id="gold", factor="1.1", when=Condition(tiers=["gold"])),
                OrderMinimum(id="go-get-em", **{"points": 1_000, **minimum}),
            ]
        ),
        tiers=TierLadder(tiers=[Tier(name="blue"), Tier(name="gold", counts={"nights": 5})]),
        expiry=ExpiryPolicy.never(),
    )


def _stay(event_id: str, when: dt.datetime, *amounts: str, nights: int = 1) -> Purchase:
    lines = [PurchaseLine(f"n{k + 1}", a) for k, a in enumerate(amounts)]
    return Purchase(event_id, when, lines=lines, counts={"nights": nights})


_GOLD_STAYS = [
    _stay("g1", _ny(2024, 1, 10), "500", nights=5),  # 5,000 as Blue; Gold from here
    _stay("g2", _ny(2024, 2, 1), "40", "40", nights=2),  # 800 + 80 + 120 = 1,000
    _stay("g3", _ny(2024, 3, 1), "30", nights=1),  # 300 + 30 + 670 = 1,000
]


def test_refunds_take_back_the_top_up_whole_or_by_the_refunded_lines_share() -> None:
    """Two Gold nights of $40: 880 + 120 = 1,000, the top-up split 60 / 60, 500 a line. A
    refund of night n2 takes back that line's 500 (its 60 of the top-up included); the 500
    kept are not topped up again (refunds reverse stored numbers). A whole refund of the
    $30 night takes back all 1,000, its 670 top-up included. Balance: 5,000 + 500 + 0."""
    program = _program()
    events = [
        *_GOLD_STAYS,
        Refund("r2", _ny(2024, 4, 1), "g2", lines=[RefundLine("n2")]),
        Refund("r3", _ny(2024, 4, 2), "g3"),
    ]
    before = program.replay(_GOLD_STAYS, as_of=_ny(2024, 3, 31))
    assert before.earnings["g2"].line_points() == {"n1": 500, "n2": 500}
    assert before.earnings["g3"].by_rule() == {"base": 300, "gold": 30, "go-get-em": 670}
    assert before.available == 7_000
    state = program.replay(events, as_of=_ny(2024, 4, 3))
    check_state(state)
    assert [(lot.lot_id, lot.remaining, lot.reversed) for lot in state.lots] == [
        ("g1", 5_000, 0),
        ("g2", 500, 500),
        ("g3", 0, 1_000),
    ]
    assert (state.available, state.reversed) == (5_500, 1_500)
    assert state.tier is not None
    assert state.tier.counters.points == 5_500


def test_max_uses_counts_the_orders_a_minimum_topped_up() -> None:
    """``max_uses=1, uses_freq="year"``: the first cheap stay of 2024 is topped up (300 +
    700), the second is not (300), and the first of 2025 is again. A stay above the minimum
    does not use it."""
    program = _program(max_uses=1, uses_freq="year")
    events = [
        _stay("big", _ny(2024, 1, 5), "150"),
        _stay("a", _ny(2024, 2, 1), "30"),
        _stay("b", _ny(2024, 3, 1), "30"),
        _stay("c", _ny(2025, 1, 2), "30"),
    ]
    state = program.replay(events, as_of=_ny(2025, 1, 3))
    assert [e.points for e in state.earnings.values()] == [1_500, 1_000, 300, 1_000]


def test_replay_apply_and_replay_many_agree_on_the_gold_member() -> None:
    """The one-line stays through the three folds: the same balances, tier and earnings
    (5,000 + 1,000 = 6,000 for the Gold member's $30 night topped up by 670)."""
    program = Program.from_dict(json.loads(json.dumps(_program().to_dict())))
    assert program == _program()
    events = [_GOLD_STAYS[0], _GOLD_STAYS[2]]
    as_of = _ny(2024, 6, 1)
    state = program.replay(events, as_of=as_of)
    assert state.available == 6_000
    table = pd.DataFrame(
        [
            {
                "member_id": "m",
                "event_id": e.event_id,
                "time": e.time,
                "kind": "purchase",
                "amount": str(e.lines[0].amount),
                "line": "n1",
                "nights": dict(e.counts)["nights"],
            }
            for e in events
        ]
    )
    row = replay_many(table, program, as_of=as_of, counts=["nights"]).loc["m"]
    assert (row["available"], row["credited"], row["tier"]) == (6_000, 6_000, "gold")
    stepped = program.replay([], as_of=events[0].time)
    for event in sort_events(events):
        stepped = program.apply(stepped, event)
    assert program.replay(stepped.events, as_of=as_of) == state


# --------------------------------------------------------------------------- properties


def _without_caps(scheme: EarningScheme) -> EarningScheme:
    return attrs.evolve(scheme, max_points_per_order=None, caps=())


@settings(max_examples=examples(150))
@given(
    scheme=earning_schemes(),
    order=loyalty_orders(),
    member=member_contexts(),
    points=st.integers(1, 3_000),
    include_bonuses=st.booleans(),
)
def test_an_order_never_earns_below_the_minimum_and_the_rule_adds_only_the_shortfall(
    scheme: EarningScheme,
    order: Order,
    member: MemberContext,
    points: int,
    include_bonuses: bool,
) -> None:
    """Without caps, with a minimum of ``points`` covering every line (run last):

    - an order whose base is above 0 earns at least the minimum, and one of base 0 earns
      what it earned without the rule;
    - counting bonuses, it earns exactly ``max(points without the rule, minimum)``: the
      same as without the rule when that reaches the minimum;
    - not counting them, the rule adds ``max(0, minimum - points without the bonuses)``.
    """
    base = _without_caps(scheme)
    base = attrs.evolve(base, rules=[r for r in base.rules if not isinstance(r, OrderMinimum)])
    rule = OrderMinimum(id="zz-min", points=points, include_bonuses=include_bonuses)
    floored = attrs.evolve(base, rules=[*base.rules, rule])
    without = base.earn(order, member, timezone=TZ)
    result = floored.earn(order, member, timezone=TZ)
    minimum = points * 10**scheme.point_decimals
    if without.base == 0:
        assert result.points == without.points
        return
    assert result.points >= minimum
    if include_bonuses:
        assert result.points == max(without.points, minimum)
    else:
        unbonused = attrs.evolve(
            base, rules=[r for r in base.rules if not isinstance(r, OrderBonus | SignUpBonus)]
        ).earn(order, member, timezone=TZ)
        assert result.points - without.points == max(0, minimum - unbonused.points)
    if result.points > without.points:  # the rule's exact points (its whole points are
        # an attribution of the total by exact shares: 0.5 + 0.5 -> 1 + 0)
        topped = [c.points for line in result.lines for c in line.components]
        assert sum(topped) > sum(line.exact for line in without.lines)
        assert any(c.rule_id == "zz-min" for line in result.lines for c in line.components)


@st.composite
def _minimum_programs(draw: st.DrawFn) -> Program:
    """A program with a spend ladder, a Gold multiplier, sometimes a bonus, and a minimum
    of random size (some only for Gold, some counting bonuses, some once a month), either
    rounding scope."""
    rules: list[Any] = [
        BaseRate(id="base", rate=Decimal(draw(st.integers(1, 300))).scaleb(-2)),
        Multiplier(id="gold", factor="1.1", when=Condition(tiers=["gold"])),
        OrderMinimum(
            id="floor",
            points=draw(st.integers(1, 400)),
            include_bonuses=draw(st.booleans()),
            when=draw(st.sampled_from([Condition(), Condition(tiers=["gold"])])),
            max_uses=draw(st.sampled_from([None, None, 1])),
            uses_freq="month",
        ),
    ]
    if draw(st.booleans()):
        rules.append(OrderBonus(id="bonus", points=draw(st.integers(0, 200)), min_spend="50"))
    return Program(
        timezone="UTC",
        earning=EarningScheme(
            rules=rules, rounding_scope=draw(st.sampled_from(["per_order", "per_line"]))
        ),
        expiry=ExpiryPolicy.after_months(2),
        tiers=TierLadder(
            tiers=[Tier(name="member"), Tier(name="gold", spend="300")], downgrade="one_down"
        ),
    )


_FIGURES = ("available", "pending", "debt", "balance", "credited", "spent", "expired", "reversed")


@settings(max_examples=examples(40), deadline=None)
@given(program=_minimum_programs(), drawn=loyalty_event_tables())
def test_replay_replay_many_and_apply_agree_under_a_minimum(
    program: Program, drawn: tuple[pd.DataFrame, dict[str, list[Any]]]
) -> None:
    """Generated histories (multi-line purchases, whole and per-line refunds, redemptions,
    cancellations, adjustments) give the same state in a replay, in ``replay_many`` and
    applied event by event, and every state keeps the ledger's invariants."""
    table, objects = drawn
    as_of = max(e.time for events in objects.values() for e in events) + dt.timedelta(days=3)
    rows = replay_many(table, program, as_of=as_of, on_error="skip")
    for member, events in objects.items():
        state = program.replay(events, as_of=as_of, on_error="skip")
        check_state(state)
        for name in _FIGURES:
            assert rows.loc[member, name] == getattr(state, name), name
        assert rows.loc[member, "tier"] == state.tier_name
        ordered = sort_events(events)
        step = program.replay([], as_of=ordered[0].time, on_error="skip")
        for event in ordered:
            step = program.apply(step, event)
        assert step == program.replay(events, as_of=ordered[-1].time, on_error="skip")
