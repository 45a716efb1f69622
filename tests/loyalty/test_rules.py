"""Earning rules: hand-checked points per rule kind, stacking, rounding, caps, errors."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest
from attrs import evolve as attrs_evolve

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty import (
    BaseRate,
    Condition,
    DateWindow,
    EarningRule,
    EarningScheme,
    MemberContext,
    Multiplier,
    Order,
    OrderBonus,
    OrderLine,
    PerEvery,
    PeriodCap,
    Privilege,
    SignUpBonus,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
T = dt.datetime(2025, 5, 20, 14, 0, tzinfo=SH)


def order(*lines: OrderLine, time: dt.datetime = T, **kw: object) -> Order:
    return Order("o1", time, lines, **kw)  # type: ignore[arg-type]


def earn(scheme: EarningScheme, o: Order, member: MemberContext | None = None) -> dict[str, int]:
    result = scheme.earn(o, member, timezone=SH)
    assert sum(result.line_points().values()) == result.points
    return result.line_points()


# --------------------------------------------------------------------------- base rate


def test_base_rate_floors_to_whole_points() -> None:
    scheme = EarningScheme.base_rate(1)
    result = scheme.earn(order(OrderLine("l1", "99.90")), timezone=SH)
    assert result.points == 99
    assert result.lines[0].exact == Decimal("99.90")
    assert result.base == Decimal("99.90")


def test_half_up_rounding_rounds_the_order_total() -> None:
    scheme = EarningScheme.base_rate(1, rounding_mode="half_up")
    assert scheme.earn(order(OrderLine("l1", "99.50")), timezone=SH).points == 100
    assert scheme.earn(order(OrderLine("l1", "99.49")), timezone=SH).points == 99


def test_half_even_and_ceiling() -> None:
    line = OrderLine("l1", "2.5")
    assert (
        EarningScheme.base_rate(1, rounding_mode="half_even").earn(order(line), timezone=SH).points
        == 2
    )
    assert (
        EarningScheme.base_rate(1, rounding_mode="ceiling").earn(order(line), timezone=SH).points
        == 3
    )


def test_per_order_rounding_splits_by_largest_remainder() -> None:
    lines = [OrderLine(f"l{i}", "10.60") for i in (1, 2, 3)]
    per_order = EarningScheme.base_rate(1)
    per_line = EarningScheme.base_rate(1, rounding_scope="per_line")
    # 31.80 -> 31 points: floors 10/10/10, the one left goes to the first of equal remainders.
    assert earn(per_order, order(*lines)) == {"l1": 11, "l2": 10, "l3": 10}
    assert earn(per_line, order(*lines)) == {"l1": 10, "l2": 10, "l3": 10}


def test_fractional_rate() -> None:
    scheme = EarningScheme.base_rate("0.05")  # 1 point per 20 yuan
    assert scheme.earn(order(OrderLine("l1", "399.00")), timezone=SH).points == 19


# --------------------------------------------------------------------------- earning base


def test_earning_base_is_net_of_discount_and_points_tender() -> None:
    line = OrderLine("l1", "100.00", discount="10.00")
    o = order(line, points_tender="30.00")
    assert EarningScheme.base_rate(1).earn(o, timezone=SH).points == 60
    assert (
        EarningScheme.base_rate(1, earning_base="net_of_discounts").earn(o, timezone=SH).points
        == 90
    )
    assert EarningScheme.base_rate(1, earning_base="gross").earn(o, timezone=SH).points == 100


def test_points_tender_is_spread_over_lines_by_net_amount_in_cents() -> None:
    lines = [OrderLine("a", "10"), OrderLine("b", "10"), OrderLine("c", "10")]
    result = EarningScheme.base_rate(100).earn(order(*lines, points_tender="10.00"), timezone=SH)
    # 1000 cents split 334/333/333 -> bases 6.66, 6.67, 6.67.
    assert [line.base for line in result.lines] == [
        Decimal("6.66"),
        Decimal("6.67"),
        Decimal("6.67"),
    ]
    assert result.base == Decimal("20.00")
    assert result.points == 2000


def test_points_tender_with_more_decimals_than_the_currency_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="points_tender"):
        EarningScheme.base_rate(1).earn(
            order(OrderLine("a", "10"), points_tender="1.005"), timezone=SH
        )


def test_fully_points_paid_order_earns_nothing() -> None:
    o = order(OrderLine("a", "50"), points_tender="50")
    result = EarningScheme.base_rate(1).earn(o, timezone=SH)
    assert result.points == 0
    assert result.base == 0


# --------------------------------------------------------------------------- X per every Y


def test_per_every_counts_steps_on_the_order_and_splits_back() -> None:
    scheme = EarningScheme(rules=[PerEvery(id="step", points=10, every="100")])
    o = order(OrderLine("a", "150"), OrderLine("b", "99"))
    # 249 -> 2 steps -> 20 points; split 150:99 -> 12.05 : 7.95 -> 12 / 8.
    assert earn(scheme, o) == {"a": 12, "b": 8}


def test_per_every_per_line() -> None:
    scheme = EarningScheme(rules=[PerEvery(id="step", points=10, every="100", per_line=True)])
    assert earn(scheme, order(OrderLine("a", "150"), OrderLine("b", "99"))) == {"a": 10, "b": 0}


def test_per_every_exact_threshold_counts() -> None:
    scheme = EarningScheme(rules=[PerEvery(id="step", points=5, every="50")])
    assert scheme.earn(order(OrderLine("a", "100.00")), timezone=SH).points == 10
    assert scheme.earn(order(OrderLine("a", "99.99")), timezone=SH).points == 5


# --------------------------------------------------------------------------- multipliers


SHOES = OrderLine("s", "100", category="shoes", sku="RUN-1")
SOCKS = OrderLine("k", "10", category="socks", sku="SOCK-1")
BIRTHDAY = MemberContext(birth_date=dt.date(1990, 5, 3))


def stacked(mode: str) -> EarningScheme:
    return EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            Multiplier(id="a-shoes", factor=2, stacking=mode, when=Condition(categories=["shoes"])),
            Multiplier(
                id="b-birthday", factor=3, stacking=mode, when=Condition(birthday_month=True)
            ),
        ]
    )


@pytest.mark.parametrize(
    ("mode", "shoes", "socks"),
    [
        ("multiply", 600, 30),  # x2 x3
        ("add", 400, 30),  # 1 + 1 + 2
        ("max", 300, 30),  # the larger factor
        ("first", 200, 30),  # only the first multiplier that applies to the line
    ],
)
def test_multiplier_stacking_modes(mode: str, shoes: int, socks: int) -> None:
    assert earn(stacked(mode), order(SHOES, SOCKS), BIRTHDAY) == {"s": shoes, "k": socks}


def test_birthday_multiplier_only_in_birth_month() -> None:
    other = MemberContext(birth_date=dt.date(1990, 6, 3))
    assert earn(stacked("multiply"), order(SHOES, SOCKS), other) == {"s": 200, "k": 10}
    assert earn(stacked("multiply"), order(SHOES, SOCKS), MemberContext()) == {"s": 200, "k": 10}


def test_sku_channel_and_tier_multipliers() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            Multiplier(id="sku", factor=2, when=Condition(skus=["SOCK-1"])),
            Multiplier(id="app", factor="1.5", when=Condition(channels=["app"])),
            Multiplier(id="gold", factor="1.25", when=Condition(tiers=["gold"])),
        ]
    )
    store = order(SHOES, SOCKS, channel="store")
    app = order(SHOES, SOCKS, channel="app")
    gold = MemberContext(tier="gold")
    assert earn(scheme, store) == {"s": 100, "k": 20}
    assert earn(scheme, app) == {"s": 150, "k": 30}
    # 100 x 1.5 x 1.25 = 187.5 and 10 x 2 x 1.5 x 1.25 = 37.5; the order floors to 225.
    result = scheme.earn(app, gold, timezone=SH)
    assert result.points == 225
    assert result.line_points() == {"s": 188, "k": 37}


def test_promotion_window_is_read_in_the_program_zone() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            Multiplier(
                id="double-11",
                factor=2,
                when=Condition(windows=[DateWindow("2025-11-11", "2025-11-12")]),
            ),
        ]
    )
    # 16:30 UTC on 10 Nov is 00:30 on 11 Nov in Shanghai.
    late = Order("o", dt.datetime(2025, 11, 10, 16, 30, tzinfo=dt.UTC), [OrderLine("a", "100")])
    assert scheme.earn(late, timezone="Asia/Shanghai").points == 200
    assert scheme.earn(late, timezone="UTC").points == 100
    # The window's end date is excluded.
    after = Order("o", dt.datetime(2025, 11, 12, 0, 0), [OrderLine("a", "100")])
    assert scheme.earn(after, timezone="Asia/Shanghai").points == 100


def test_naive_order_time_is_read_in_the_program_zone() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            Multiplier(
                id="may", factor=2, when=Condition(windows=[DateWindow("2025-05-01", "2025-06-01")])
            ),
        ]
    )
    naive = Order("o", dt.datetime(2025, 5, 31, 23, 30), [OrderLine("a", "10")])
    assert scheme.earn(naive, timezone="Asia/Shanghai").points == 20


# --------------------------------------------------------------------------- points-rule stacking


def test_first_rule_stops_later_points_rules_on_its_lines() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(
                id="tea-promo",
                rate=5,
                priority=10,
                stacking="first",
                when=Condition(categories=["tea"]),
            ),
            BaseRate(id="base", rate=1, priority=100),
        ]
    )
    o = order(OrderLine("t", "10", category="tea"), OrderLine("c", "10", category="coffee"))
    assert earn(scheme, o) == {"t": 50, "c": 10}


def test_max_rule_keeps_the_larger_rate() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1, priority=100),
            BaseRate(
                id="tea-3x",
                rate=3,
                priority=200,
                stacking="max",
                when=Condition(categories=["tea"]),
            ),
            BaseRate(
                id="tea-low",
                rate="0.5",
                priority=300,
                stacking="max",
                when=Condition(categories=["tea"]),
            ),
        ]
    )
    o = order(OrderLine("t", "10", category="tea"), OrderLine("c", "10", category="coffee"))
    assert earn(scheme, o) == {"t": 30, "c": 10}


def test_add_rules_sum() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            BaseRate(id="tea", rate=2, when=Condition(categories=["tea"])),
        ]
    )
    assert earn(scheme, order(OrderLine("t", "10", category="tea"))) == {"t": 30}


def test_priority_ties_run_in_id_order() -> None:
    a = BaseRate(id="a", rate=1, stacking="first")
    b = BaseRate(id="b", rate=7, stacking="first")
    assert EarningScheme(rules=[b, a]).earn(order(OrderLine("x", "10")), timezone=SH).points == 10
    assert EarningScheme(rules=[b, a]) == EarningScheme(rules=[a, b])


# --------------------------------------------------------------------------- bonuses


def test_order_bonus_at_threshold_is_split_by_base() -> None:
    scheme = EarningScheme(
        rules=[BaseRate(id="base", rate=1), OrderBonus(id="spend-500", points=50, min_spend="500")]
    )
    assert earn(scheme, order(OrderLine("a", "300"), OrderLine("b", "200"))) == {"a": 330, "b": 220}
    below = scheme.earn(order(OrderLine("a", "300"), OrderLine("b", "199.99")), timezone=SH)
    assert below.points == 499
    assert "spend-500" not in below.by_rule()


def test_order_bonus_is_not_multiplied() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            Multiplier(id="x2", factor=2),
            OrderBonus(id="bonus", points=50, min_spend="100"),
        ]
    )
    assert scheme.earn(order(OrderLine("a", "100")), timezone=SH).points == 250


def test_order_bonus_threshold_counts_covered_lines_only() -> None:
    scheme = EarningScheme(
        rules=[
            OrderBonus(id="tea-200", points=20, min_spend="200", when=Condition(categories=["tea"]))
        ]
    )
    o = order(OrderLine("t", "150", category="tea"), OrderLine("c", "100", category="coffee"))
    assert scheme.earn(o, timezone=SH).points == 0
    o2 = order(OrderLine("t", "200", category="tea"), OrderLine("c", "100", category="coffee"))
    assert earn(scheme, o2) == {"t": 20, "c": 0}


def test_bonus_stacking_max_and_first() -> None:
    small = OrderBonus(id="small", points=50, min_spend="500", stacking="max")
    big = OrderBonus(id="big", points=120, min_spend="1000", stacking="max")
    o = order(OrderLine("a", "1200"))
    assert EarningScheme(rules=[small, big]).earn(o, timezone=SH).points == 120
    assert (
        EarningScheme(rules=[small, big]).earn(order(OrderLine("a", "600")), timezone=SH).points
        == 50
    )
    first_a = OrderBonus(id="a", points=10, stacking="first")
    first_b = OrderBonus(id="b", points=99, stacking="first")
    assert EarningScheme(rules=[first_b, first_a]).earn(o, timezone=SH).points == 10
    both = EarningScheme(rules=[OrderBonus(id="a", points=10), OrderBonus(id="b", points=99)])
    assert both.earn(o, timezone=SH).points == 109


def test_sign_up_bonus_on_first_purchase_within_days() -> None:
    scheme = EarningScheme(
        rules=[BaseRate(id="base", rate=1), SignUpBonus(id="welcome", points=200, within_days=30)]
    )
    enrolled = dt.datetime(2025, 1, 1, 10, tzinfo=SH)
    first = MemberContext(enrolled_at=enrolled, prior_orders=0)
    inside = Order("o", dt.datetime(2025, 1, 31, 9, 59, tzinfo=SH), [OrderLine("a", "10")])
    outside = Order("o", dt.datetime(2025, 1, 31, 10, 0, tzinfo=SH), [OrderLine("a", "10")])
    assert scheme.earn(inside, first, timezone=SH).points == 210
    assert scheme.earn(outside, first, timezone=SH).points == 10
    second = MemberContext(enrolled_at=enrolled, prior_orders=1)
    assert scheme.earn(inside, second, timezone=SH).points == 10
    assert scheme.earn(inside, MemberContext(), timezone=SH).points == 10  # enrolment unknown


def test_sign_up_bonus_at_enrolment() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            SignUpBonus(id="welcome", points=100, trigger="enroll"),
        ]
    )
    result = scheme.enrollment_points(dt.datetime(2025, 2, 1), timezone=SH)
    assert (result.points, result.by_rule(), result.lines) == (100, {"welcome": 100}, ())
    # An enrolment bonus is not an order bonus.
    assert scheme.earn(order(OrderLine("a", "10")), MemberContext(), timezone=SH).points == 10


# --------------------------------------------------------------------------- caps


def test_order_cap_scales_lines_down_and_reports_what_it_removed() -> None:
    scheme = EarningScheme.base_rate(1, max_points_per_order=100)
    result = scheme.earn(order(OrderLine("a", "150"), OrderLine("b", "100")), timezone=SH)
    assert (result.points, result.capped) == (100, 150)
    assert result.line_points() == {"a": 60, "b": 40}
    assert "caps removed 150" in result.explain()


def test_period_cap_uses_points_already_earned_in_the_period() -> None:
    scheme = EarningScheme.base_rate(1, caps=[PeriodCap("month", 1000)])
    member = MemberContext(period_points={"month": 950})
    result = scheme.earn(order(OrderLine("a", "300")), member, timezone=SH)
    assert (result.points, result.capped) == (50, 250)
    full = MemberContext(period_points={"month": 1200})
    assert scheme.earn(order(OrderLine("a", "300")), full, timezone=SH).points == 0


def test_period_to_date_sums_the_local_period() -> None:
    scheme = EarningScheme.base_rate(1, caps=[PeriodCap("month", 1000), PeriodCap("day", 300)])
    history = [
        (dt.datetime(2025, 4, 30, 17, tzinfo=dt.UTC), 100),  # 1 May 01:00 in Shanghai
        (dt.datetime(2025, 4, 30, 15, tzinfo=dt.UTC), 7),  # 30 April 23:00 in Shanghai
        (dt.datetime(2025, 5, 20, 9, tzinfo=SH), 40),
        (dt.datetime(2025, 5, 20, 12, tzinfo=SH), -10),  # a reversal
    ]
    assert scheme.period_to_date(history, as_of=T, timezone=SH) == {"day": 30, "month": 130}


# --------------------------------------------------------------------------- privileges


def test_earning_privileges_multiply() -> None:
    scheme = EarningScheme.base_rate(1)
    gold_x = Privilege(id="gold-x", kind="earning_multiplier", tiers=["gold"], value="1.5")
    bday = Privilege(id="bday", kind="birthday_bonus", tiers=["gold"], value=2)
    member = MemberContext(birth_date=dt.date(1990, 5, 9), privileges=[gold_x, bday])
    result = scheme.earn(order(OrderLine("a", "100")), member, timezone=SH)
    assert result.points == 300
    # Privileges apply in id order: bday x2 (100 -> 200), then gold-x x1.5 (200 -> 300).
    assert result.by_rule() == {"base": 100, "privilege:bday": 100, "privilege:gold-x": 100}
    june = MemberContext(birth_date=dt.date(1990, 6, 9), privileges=[gold_x, bday])
    assert scheme.earn(order(OrderLine("a", "100")), june, timezone=SH).points == 150


# --------------------------------------------------------------------------- explain & attribution


def test_explain_lists_every_rule_per_line() -> None:
    result = stacked("multiply").earn(order(SHOES, SOCKS), BIRTHDAY, timezone=SH)
    text = result.explain()
    assert text.splitlines()[0] == "order o1: 630 points on base 110 (floor per_order)"
    assert "line s: base 100 -> 600 points (exact 600)" in text
    assert "a-shoes: +100 (x2, multiply)" in text
    assert "b-birthday: +400 (x3, multiply)" in text
    assert result.by_rule() == {"base": 110, "a-shoes": 100, "b-birthday": 420}


def test_rule_attribution_adds_up_after_rounding() -> None:
    scheme = EarningScheme(rules=[BaseRate(id="a", rate="0.3"), BaseRate(id="b", rate="0.3")])
    result = scheme.earn(order(OrderLine("x", "5")), timezone=SH)
    assert result.points == 3
    assert sum(result.by_rule().values()) == 3


# --------------------------------------------------------------------------- round trips


def test_scheme_round_trips_through_json() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate="1.0"),
            PerEvery(id="step", points=5, every="50", per_line=True, priority=5),
            Multiplier(
                id="promo",
                factor="1.5",
                stacking="add",
                when=Condition(
                    categories=["tea", "cups"],
                    channels=["app"],
                    tiers=["gold"],
                    windows=[
                        DateWindow("2025-01-01", "2025-01-08"),
                        DateWindow("2025-02-01", "2025-02-03"),
                    ],
                    birthday_month=True,
                ),
            ),
            OrderBonus(id="bonus", points=20, min_spend="199.99", stacking="max"),
            SignUpBonus(id="welcome", points=100, within_days=14),
        ],
        rounding_scope="per_line",
        rounding_mode="half_even",
        max_points_per_order=10_000,
        caps=[PeriodCap("year", 100_000), PeriodCap("day", 2_000)],
        currency_decimals=0,
    )
    text = json.dumps(scheme.to_dict())
    again = EarningScheme.from_dict(json.loads(text))
    assert again == scheme
    assert again.to_dict() == scheme.to_dict()
    assert [r.id for r in again.rules] == ["step", "base", "bonus", "promo", "welcome"]
    assert again.rules[1].rate == Decimal("1.0")  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- bad config


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: BaseRate(id="b", rate=-1), "rate"),
        (lambda: BaseRate(id="b", rate=1.5), "rate"),  # float
        (lambda: BaseRate(id="b", rate="abc"), "rate"),
        (lambda: BaseRate(id="b", rate="NaN"), "rate"),
        (lambda: BaseRate(id="", rate=1), "id"),
        (lambda: BaseRate(id="b", rate=1, stacking="multiply"), "stacking"),
        (lambda: BaseRate(id="b", rate=1, priority=1.0), "priority"),
        (lambda: PerEvery(id="p", points=10, every=0), "every"),
        (lambda: PerEvery(id="p", points=-1, every=10), "points"),
        (lambda: Multiplier(id="m", factor="0.5"), "factor"),
        (lambda: OrderBonus(id="o", points=5, min_spend="-1"), "min_spend"),
        (lambda: SignUpBonus(id="s", points=5, trigger="birthday"), "trigger"),
        (
            lambda: SignUpBonus(id="s", points=5, trigger="enroll", when=Condition(tiers=["g"])),
            "when",
        ),
        (lambda: SignUpBonus(id="s", points=5, within_days=0), "within_days"),
        (lambda: PeriodCap("fortnight", 5), "freq"),
        (lambda: PeriodCap("day", -5), "max_points"),
        (lambda: DateWindow("2025-02-01", "2025-02-01"), "end"),
        (
            lambda: Condition(
                windows=[
                    DateWindow("2025-01-01", "2025-01-10"),
                    DateWindow("2025-01-09", "2025-01-12"),
                ]
            ),
            "windows",
        ),
        (lambda: Condition(birthday_month="yes"), "birthday_month"),
        (
            lambda: EarningScheme(rules=[BaseRate(id="a", rate=1), BaseRate(id="a", rate=2)]),
            "rules",
        ),
        (lambda: EarningScheme(rules=[], rounding_mode="round"), "rounding_mode"),
        (lambda: EarningScheme(rules=[], rounding_scope="per_item"), "rounding_scope"),
        (lambda: EarningScheme(rules=[], earning_base="list_price"), "earning_base"),
        (lambda: EarningScheme(rules=[], caps=[PeriodCap("day", 1), PeriodCap("day", 2)]), "caps"),
        (lambda: EarningScheme(rules=[], max_points_per_order=-1), "max_points_per_order"),
        (lambda: EarningScheme.from_dict({"rules": [], "bogus": 1}), "bogus"),
        (
            lambda: EarningRule.from_dict({"kind": "base_rate", "id": "b", "rate": 1, "rates": 2}),
            "rates",
        ),
        (lambda: EarningRule.from_dict({"kind": "lottery", "id": "b"}), "kind"),
        (lambda: BaseRate.from_dict({"kind": "multiplier", "id": "b", "factor": 2}), "kind"),
        (lambda: Condition.from_dict({"category": ["x"]}), "category"),
        (lambda: DateWindow.from_dict({"start": "2025-01-01"}), "end"),
        (lambda: PeriodCap.from_dict({"period": "day", "max_points": 1, "x": 1}), "x"),
    ],
)
def test_bad_config_names_the_field(build: object, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: OrderLine("l", 9.99), "amount"),
        (lambda: OrderLine("l", "-1"), "amount"),
        (lambda: OrderLine("l", "10", discount="11"), "discount"),
        (lambda: OrderLine("l", "10", quantity=-1), "quantity"),
        (lambda: OrderLine("", "10"), "line_id"),
        (lambda: Order("o", T, []), "lines"),
        (lambda: Order("o", T, [OrderLine("a", "1"), OrderLine("a", "2")]), "lines"),
        (lambda: Order("o", T, [OrderLine("a", "1")], points_tender="2"), "points_tender"),
        (lambda: Order("o", "2025-01-01", [OrderLine("a", "1")]), "time"),
        (lambda: MemberContext(prior_orders=-1), "prior_orders"),
        (lambda: MemberContext(period_points={"fortnight": 3}), "period_points"),
        (lambda: MemberContext(birth_date=dt.datetime(1990, 1, 1)), "birth_date"),
    ],
)
def test_bad_input_names_the_field(build: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


def test_earn_rejects_other_objects_and_bad_zones() -> None:
    scheme = EarningScheme.base_rate(1)
    with pytest.raises(InvalidInputError, match="order"):
        scheme.earn({"order_id": "o"}, timezone=SH)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="member"):
        scheme.earn(order(OrderLine("a", "1")), {"tier": "gold"}, timezone=SH)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="timezone"):
        scheme.earn(order(OrderLine("a", "1")), timezone="Mars/Base")


def test_inputs_are_not_mutated_and_results_are_frozen() -> None:
    o = order(OrderLine("a", "10"))
    before = (o, o.lines)
    result = EarningScheme.base_rate(1).earn(o, timezone=SH)
    assert (o, o.lines) == before
    with pytest.raises(AttributeError):
        result.points = 5  # type: ignore[misc]


def test_uses_flags() -> None:
    scheme = stacked("add")
    assert scheme.uses_birthday
    assert not scheme.uses_tier
    assert not scheme.uses_caps
    assert not scheme.uses_prior_orders


def test_check_tiers_names_the_rule_with_an_unknown_tier() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="b", rate=1),
            Multiplier(id="gold-x", factor=2, when=Condition(tiers=["gold"])),
        ]
    )
    scheme.check_tiers(["member", "gold"])
    with pytest.raises(ConfigError, match="gold-x") as info:
        scheme.check_tiers(["member", "vip"])
    assert info.value.field == "when"


def test_point_decimals_count_hundredths_of_a_point() -> None:
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate="0.1"),  # 0.1 point per yuan
            PerEvery(id="step", points=1, every="100"),  # 1 point per 100 yuan
            OrderBonus(id="bonus", points=2, min_spend="50"),  # 2 points
        ],
        point_decimals=2,
        max_points_per_order=10,  # 10 points = 1000 units
    )
    result = scheme.earn(order(OrderLine("a", "123.45")), timezone=SH)
    # 12.345 + 1 + 2 = 15.345 points -> 1534 hundredths (floor); capped at 1000.
    assert (result.points, result.capped, result.in_points()) == (1000, 534, Decimal("10.00"))
    uncapped = attrs_evolve(scheme, max_points_per_order=None).earn(
        order(OrderLine("a", "123.45")), timezone=SH
    )
    assert uncapped.by_rule() == {"base": 1234, "step": 100, "bonus": 200}
    assert uncapped.in_points(1234) == Decimal("12.34")
    month = EarningScheme.base_rate(1, point_decimals=1, caps=[PeriodCap("month", 100)])
    # 100 points = 1000 tenths; 990 tenths already earned this month.
    capped = month.earn(
        order(OrderLine("a", "5")), MemberContext(period_points={"month": 990}), timezone=SH
    )
    assert capped.points == 10
    welcome = EarningScheme(
        rules=[SignUpBonus(id="w", points=5, trigger="enroll")], point_decimals=3
    )
    assert welcome.enrollment_points(T, timezone=SH).points == 5000
    with pytest.raises(ConfigError, match="point_decimals"):
        EarningScheme(rules=[], point_decimals=7)


@pytest.mark.parametrize(
    ("build", "error", "field"),
    [
        (lambda: Condition(categories=[""]), ConfigError, "categories"),
        (lambda: Condition(windows=["2025-01-01"]), ConfigError, "windows"),
        (lambda: DateWindow(None, "2025-01-01"), ConfigError, "start"),
        (lambda: DateWindow("2025-13-01", "2026-01-01"), ConfigError, "start"),
        (
            lambda: SignUpBonus(id="s", points=1, trigger="enroll", within_days=3),
            ConfigError,
            "within_days",
        ),
        (lambda: EarningRule.from_dict(["base_rate"]), ConfigError, "data"),  # type: ignore[arg-type]
        (
            lambda: EarningScheme(rules=[{"kind": "base_rate", "id": "b", "rate": "1"}, "x"]),
            ConfigError,
            "rules",
        ),
        (lambda: EarningScheme(rules=[], caps=["month"]), ConfigError, "caps"),
        (lambda: OrderLine("l", "1", sku=5), InvalidInputError, "sku"),
        (lambda: Order("o", T, ["l1"]), InvalidInputError, "lines"),
        (lambda: Order("o", T, [OrderLine("a", "1")], channel=None), InvalidInputError, "channel"),
        (lambda: MemberContext(enrolled_at=dt.date(2025, 1, 1)), InvalidInputError, "enrolled_at"),
        (lambda: MemberContext(privileges=["gold"]), InvalidInputError, "privileges"),
    ],
)
def test_more_bad_values_name_the_field(build: object, error: type[Exception], field: str) -> None:
    with pytest.raises(error) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field  # type: ignore[attr-defined]
