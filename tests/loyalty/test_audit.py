"""Audit of issue 5: small hand-checked scenarios, one rule at a time, and regressions."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from crmkit.errors import ConfigError, InsufficientPointsError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    CancelRedemption,
    Condition,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    MemberContext,
    Multiplier,
    Order,
    OrderBonus,
    OrderLine,
    PerEvery,
    PeriodCap,
    Program,
    Purchase,
    PurchaseLine,
    QualifyingPosting,
    Redeem,
    Refund,
    RefundLine,
    Tender,
    Tier,
    TierLadder,
)

ZONE = "Asia/Shanghai"
TZ = zoneinfo.ZoneInfo(ZONE)
TIERS = (Tier(name="member"), Tier(name="silver", spend="1000"), Tier(name="gold", spend="3000"))


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


def totals(state: object) -> dict[str, object]:
    names = ("available", "pending", "debt", "credited", "spent", "expired", "reversed")
    return {name: getattr(state, name) for name in (*names, "forfeited", "cash_offset")}


def earn(rules: list[object], lines: list[OrderLine], **settings: object) -> dict[str, int]:
    member = settings.pop("member", MemberContext())
    tender = settings.pop("points_tender", Decimal(0))
    order = Order("o", at(2025, 5, 20, 14), lines, points_tender=tender)  # type: ignore[arg-type]
    result = EarningScheme(rules=rules, **settings).earn(order, member, timezone=ZONE)  # type: ignore[arg-type]
    assert sum(result.line_points().values()) == result.points
    return result.line_points()


# ------------------------------------------------------------------ earning


def test_base_rate_floors_per_order_and_per_line() -> None:
    lines = [OrderLine("a", Decimal("9.99")), OrderLine("b", Decimal("9.99"))]
    rule = BaseRate(id="b", rate=Decimal("1.5"))
    assert earn([rule], lines) == {"a": 15, "b": 14}  # floor(29.97) = 29, split 15/14
    assert earn([rule], lines, rounding_scope="per_line") == {"a": 14, "b": 14}


def test_per_every_counts_whole_steps_of_the_order_or_the_line() -> None:
    lines = [OrderLine("a", Decimal("150")), OrderLine("b", Decimal("60"))]
    rule = PerEvery(id="e", points=10, every=Decimal("100"))
    assert sum(earn([rule], lines).values()) == 20  # 210 -> 2 steps
    per_line = PerEvery(id="e", points=10, every=Decimal("100"), per_line=True)
    assert earn([per_line], lines) == {"a": 10, "b": 0}


@pytest.mark.parametrize(("stacking", "expected"), [("add", 400), ("multiply", 600), ("max", 300)])
def test_multiplier_stacking_modes(stacking: str, expected: int) -> None:
    rules = [
        BaseRate(id="b", rate=1),
        Multiplier(id="m", factor=2, stacking=stacking),
        Multiplier(id="n", factor=3, stacking=stacking),
    ]
    assert earn(rules, [OrderLine("a", Decimal("100"))]) == {"a": expected}  # type: ignore[arg-type]


def test_first_stacking_follows_priority_not_edit_order() -> None:
    rules = [
        BaseRate(id="b", rate=1),
        Multiplier(id="m", factor=2, stacking="first", priority=5),
        Multiplier(id="n", factor=3, stacking="first", priority=1),
    ]
    line = [OrderLine("a", Decimal("100"))]
    assert earn(rules, line) == earn(rules[::-1], line) == {"a": 300}  # type: ignore[arg-type]


def test_order_bonus_threshold_is_on_the_net_base_and_split_by_base() -> None:
    rules = [BaseRate(id="b", rate=1), OrderBonus(id="ob", points=50, min_spend=Decimal("200"))]
    lines = [
        OrderLine("a", Decimal("150")),
        OrderLine("b", Decimal("50")),
        OrderLine("c", Decimal("1")),
    ]
    assert earn(rules, lines) == {"a": 187, "b": 63, "c": 1}  # 201 + 50 = 251
    discounted = [OrderLine("a", Decimal("210"), discount=Decimal("20"))]
    assert earn(rules, discounted) == {"a": 190}  # net 190 < 200: no bonus


def test_caps_per_order_and_per_period() -> None:
    lines = [OrderLine("a", Decimal("300")), OrderLine("b", Decimal("100"))]
    assert earn([BaseRate(id="b", rate=1)], lines, max_points_per_order=100) == {"a": 75, "b": 25}
    member = MemberContext(period_points={"month": 450})
    cap = (PeriodCap(freq="month", max_points=500),)
    assert earn([BaseRate(id="b", rate=1)], lines, member=member, caps=cap) == {"a": 38, "b": 12}


def test_points_tender_and_discounts_earn_nothing() -> None:
    lines = [OrderLine("a", Decimal("100")), OrderLine("b", Decimal("100"), discount=Decimal("30"))]
    assert sum(earn([BaseRate(id="b", rate=1)], lines, points_tender=Decimal("50")).values()) == 120


def test_date_window_end_is_exclusive_and_birthday_month_is_local() -> None:
    from crmkit.loyalty import DateWindow

    line = [OrderLine("a", Decimal("100"))]
    open_ = Condition(windows=(DateWindow(start=dt.date(2025, 5, 20), end=dt.date(2025, 5, 21)),))
    shut = Condition(windows=(DateWindow(start=dt.date(2025, 5, 19), end=dt.date(2025, 5, 20)),))
    base = BaseRate(id="b", rate=1)
    assert earn([base, Multiplier(id="w", factor=2, when=open_)], line) == {"a": 200}
    assert earn([base, Multiplier(id="w", factor=2, when=shut)], line) == {"a": 100}
    bday = Multiplier(id="bd", factor=2, when=Condition(birthday_month=True))
    member = MemberContext(birth_date=dt.date(1990, 5, 31))
    assert earn([base, bday], line, member=member) == {"a": 200}


# ------------------------------------------------------------------ expiry


@pytest.mark.parametrize(
    ("policy", "earned", "expires"),
    [
        (ExpiryPolicy.after_months(1), at(2025, 1, 31, 10), at(2025, 3, 1)),  # through 28 Feb
        (ExpiryPolicy.after_months(1), at(2024, 1, 31, 10), at(2024, 3, 1)),  # through 29 Feb
        (ExpiryPolicy.after_days(10), at(2025, 1, 31, 23, 30), at(2025, 2, 11)),
        (ExpiryPolicy.end_of_period("month"), at(2025, 1, 31, 23, 30), at(2025, 2, 1)),
        (ExpiryPolicy.end_of_period("quarter", 1), at(2025, 1, 31, 23, 30), at(2025, 7, 1)),
        (ExpiryPolicy.end_of_period("year", 1), at(2025, 1, 31, 23, 30), at(2027, 1, 1)),
        (ExpiryPolicy.fixed_date(6, 30), at(2025, 1, 31, 23, 30), at(2025, 7, 1)),
    ],
)
def test_expiry_instants_are_local_midnights(
    policy: ExpiryPolicy, earned: dt.datetime, expires: dt.datetime
) -> None:
    program = Program(timezone=ZONE, expiry=policy)
    state = program.replay([buy("p", earned, "100")], as_of=earned)
    assert state.lots[0].expires_at == expires
    assert program.replay([buy("p", earned, "100")], as_of=expires).available == 0
    before = expires - dt.timedelta(microseconds=1)
    assert program.replay([buy("p", earned, "100")], as_of=before).available == 100


def test_expiry_day_boundary_is_the_program_zone_for_utc_events() -> None:
    program = Program(timezone="America/New_York", expiry=ExpiryPolicy.after_days(10))
    earned = dt.datetime(2025, 3, 2, 3, tzinfo=dt.UTC)  # 1 March 22:00 in New York
    lot = program.replay([Adjust("a", earned, points=5, reason="x")], as_of=earned).lots[0]
    assert lot.expires_at.astimezone(zoneinfo.ZoneInfo("America/New_York")).isoformat() == (
        "2025-03-12T00:00:00-04:00"  # 1 March + 10 days, across the DST change
    )


def test_inactivity_deadline_counts_only_declared_activity() -> None:
    program = Program(
        timezone=ZONE, expiry=ExpiryPolicy.inactivity(3, "months", activity=("purchase",))
    )
    events = [
        Adjust("g", at(2025, 1, 1, 12), points=100, reason="x"),
        buy("p1", at(2025, 2, 10, 12), "50"),
        Redeem("r", at(2025, 4, 1), points=10),  # not an activity
    ]
    assert program.replay(events, as_of=at(2025, 5, 10, 23)).available == 140
    state = program.replay(events, as_of=at(2025, 5, 11))
    assert (state.available, state.expired, state.spent) == (0, 140, 10)


def test_consumption_same_expiry_then_oldest_then_id() -> None:
    events = [
        Adjust("n", at(2025, 1, 1), points=10, reason="x"),
        Adjust("b", at(2025, 2, 5), points=10, reason="x"),
        Adjust("a", at(2025, 2, 5), points=10, reason="x"),
        Adjust("c", at(2025, 2, 3), points=10, reason="x"),
        Redeem("r", at(2025, 2, 6), points=25),
    ]
    # Every lot expires after 28 Feb 2025: oldest first (n, c), then by id (a before b).
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.fixed_date(2, 28))
    state = program.replay(events, as_of=at(2025, 2, 7))
    assert {lot.lot_id: lot.spent for lot in state.lots} == {"n": 10, "b": 0, "a": 5, "c": 10}
    # Under end of month, n expired on 1 February: nothing is drawn from it.
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.end_of_period("month"))
    state = program.replay(
        [*events[:4], Redeem("r", at(2025, 2, 6), points=15)], as_of=at(2025, 2, 7)
    )
    assert {lot.lot_id: (lot.spent, lot.expired) for lot in state.lots} == {
        "n": (0, 10),
        "b": (0, 0),
        "a": (5, 0),
        "c": (10, 0),
    }


# ------------------------------------------------------------------ pending and refunds


def test_pending_points_cannot_be_spent_and_a_refund_in_the_window_cancels_them() -> None:
    program = Program(timezone=ZONE, pending_days=7)
    purchase = Purchase(
        "p",
        at(2025, 1, 1, 10),
        lines=[PurchaseLine("a", "100", quantity=3), PurchaseLine("b", "55")],
    )
    assert (program.replay([purchase], as_of=at(2025, 1, 8, 9)).pending) == 155
    assert (program.replay([purchase], as_of=at(2025, 1, 8, 10)).available) == 155
    with pytest.raises(InsufficientPointsError, match="at most the 0 available"):
        program.replay([purchase, Redeem("x", at(2025, 1, 3), points=10)], as_of=at(2025, 1, 4))
    refund = Refund("r", at(2025, 1, 3), "p", lines=[RefundLine("b")])
    state = program.replay([purchase, refund], as_of=at(2025, 1, 9))
    assert (state.available, state.reversed, state.forfeited, state.debt) == (100, 55, 0, 0)


def test_partial_line_refunds_reverse_the_stored_line_points_and_add_up() -> None:
    program = Program(timezone=ZONE)
    purchase = Purchase(
        "p",
        at(2025, 1, 1, 10),
        lines=[PurchaseLine("a", "100", quantity=3), PurchaseLine("b", "55")],
    )
    refunds = [
        Refund(f"r{i}", at(2025, 1, 2 + i), "p", lines=[RefundLine("a", 1)]) for i in range(3)
    ]
    assert program.replay([purchase, refunds[0]], as_of=at(2025, 1, 9)).reversed == 33
    state = program.replay([purchase, *refunds], as_of=at(2025, 1, 9))
    assert (state.available, state.reversed) == (55, 100)  # the last third takes 34
    with pytest.raises(LedgerError, match="at most the 3 units"):
        program.replay(
            [purchase, Refund("r", at(2025, 1, 2), "p", lines=[RefundLine("a", 4)])],
            as_of=at(2025, 1, 3),
        )
    with pytest.raises(LedgerError, match="already fully refunded"):
        program.replay(
            [purchase, Refund("r1", at(2025, 1, 2), "p"), Refund("r2", at(2025, 1, 3), "p")],
            as_of=at(2025, 1, 4),
        )
    with pytest.raises(LedgerError, match="unknown"):
        program.replay([purchase, Refund("r", at(2024, 12, 2), "p")], as_of=at(2025, 1, 3))


def test_points_tender_restored_pro_rata_to_original_lots_with_original_expiry() -> None:
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_days(30))
    events = [
        Adjust("g1", at(2025, 1, 1), points=100, reason="gift"),
        Adjust("g2", at(2025, 1, 5), points=100, reason="gift"),
        Purchase(
            "p",
            at(2025, 1, 10),
            lines=[PurchaseLine("a", "100", quantity=2)],
            tenders=[Tender("points", "1.50", points=150), Tender("cash", "98.50")],
        ),
    ]
    half = [*events, Refund("r", at(2025, 1, 12), "p", lines=[RefundLine("a", 1)])]
    state = program.replay(half, as_of=at(2025, 1, 13))
    assert {lot.lot_id: lot.remaining for lot in state.lots} == {"g1": 50, "g2": 75, "p": 49}
    full = [*events, Refund("r", at(2025, 1, 12), "p")]
    state = program.replay(full, as_of=at(2025, 2, 3))  # g1 expired on 1 Feb, as at first
    assert {lot.lot_id: lot.expired for lot in state.lots} == {"g1": 100, "g2": 0, "p": 0}
    assert (state.available, state.spent, state.reversed) == (100, 0, 98)


def test_tender_restorations_add_up_over_uneven_partial_refunds() -> None:
    program = Program(timezone=ZONE, tiers=TierLadder(tiers=TIERS[:2]))
    purchase = Purchase(
        "p",
        at(2025, 1, 10),
        lines=[
            PurchaseLine("a", "10.01", quantity=3),
            PurchaseLine("b", "33.33", quantity=7),
            PurchaseLine("c", "7"),
        ],
        tenders=[Tender("points", "1.01", points=101), Tender("cash", "49.33")],
    )
    gifts = [
        Adjust(f"g{i}", at(2025, 1, i), points=n, reason="x")
        for i, n in ((1, 37), (2, 41), (3, 29))
    ]
    refunds = [
        Refund("r1", at(2025, 1, 11), "p", lines=[RefundLine("a", 1), RefundLine("b", 3)]),
        Refund("r2", at(2025, 1, 12), "p", lines=[RefundLine("a", 1), RefundLine("b", 1)]),
        Refund("r3", at(2025, 1, 13), "p", lines=[RefundLine("c")]),
        Refund("r4", at(2025, 1, 14), "p"),
    ]
    first = program.replay([*gifts, purchase, refunds[0]], as_of=at(2025, 1, 20))
    assert (first.reversed, first.spent) == (16, 66)  # 3 + 13 earned back; 35 of 101 restored
    state = program.replay([*gifts, purchase, *refunds], as_of=at(2025, 1, 20))
    assert {lot.lot_id: lot.remaining for lot in state.lots} == {
        "g1": 37,
        "g2": 41,
        "g3": 29,
        "p": 0,
    }
    assert state.tier is not None
    assert state.tier.counters.spend == 0
    assert state.tier.counters.orders == 0


@pytest.mark.parametrize(
    ("policy", "after_refund", "after_next_purchase"),
    [
        ("forfeit", (0, 0, 130, Decimal(0)), (400, 0, 130, Decimal(0))),
        ("debt", (0, 130, 0, Decimal(0)), (270, 0, 0, Decimal(0))),
        ("cash_offset", (0, 0, 0, Decimal("1.30")), (400, 0, 0, Decimal("1.30"))),
    ],
)
def test_shortfall_policies_never_take_points_twice(
    policy: str,
    after_refund: tuple[int, int, int, Decimal],
    after_next_purchase: tuple[int, int, int, Decimal],
) -> None:
    program = Program(timezone=ZONE, shortfall=policy)
    events = [
        Adjust("g", at(2025, 1, 1), points=20, reason="gift"),
        Purchase(
            "p",
            at(2025, 1, 1, 10),
            lines=[PurchaseLine("a", "100", quantity=3), PurchaseLine("b", "55")],
        ),
        Redeem("x", at(2025, 1, 2), points=150),  # 20 from g, 130 from p
        Refund("r", at(2025, 1, 3), "p"),
    ]

    def seen(state: object) -> tuple[object, ...]:
        t = totals(state)
        return (t["available"], t["debt"], t["forfeited"], t["cash_offset"])

    state = program.replay(events, as_of=at(2025, 1, 4))
    assert seen(state) == after_refund
    more = [*events, buy("p2", at(2025, 1, 5), "400")]
    assert seen(program.replay(more, as_of=at(2025, 1, 6))) == after_next_purchase
    for s in (state, program.replay(more, as_of=at(2025, 1, 6))):
        t = totals(s)
        parts = ("available", "pending", "spent", "expired", "reversed", "forfeited")
        assert t["credited"] == sum(t[k] for k in parts)  # type: ignore[misc]


def test_cancel_redemption_restores_lots_and_their_original_expiry() -> None:
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_days(5))
    events = [
        Adjust("g", at(2025, 1, 1), points=100, reason="x"),
        Redeem("r", at(2025, 1, 2), points=60),
        CancelRedemption("c", at(2025, 1, 4), "r"),
    ]
    assert program.replay(events, as_of=at(2025, 1, 5)).available == 100
    late = [*events[:2], CancelRedemption("c", at(2025, 1, 10), "r")]
    state = program.replay(late, as_of=at(2025, 1, 11))
    assert (state.available, state.expired, state.spent) == (0, 100, 0)
    with pytest.raises(LedgerError, match="already cancelled"):
        program.replay([*events, CancelRedemption("c2", at(2025, 1, 4), "r")], as_of=at(2025, 1, 5))


def test_catalogue_price_per_tier_and_insufficient_points_names_the_balance() -> None:
    ladder = TierLadder(tiers=TIERS)
    program = Program(timezone=ZONE, tiers=ladder, catalogue={"mug": {"*": 500, "gold": 300}})
    events = [buy("a", at(2025, 3, 1), "3000"), Redeem("r", at(2025, 3, 3), reward="mug")]
    assert program.replay(events, as_of=at(2025, 3, 4)).spent == 300
    small = [buy("a", at(2025, 3, 1), "155"), Redeem("r", at(2025, 3, 3), reward="mug")]
    with pytest.raises(InsufficientPointsError, match="at most the 155 available points"):
        program.replay(small, as_of=at(2025, 3, 4))


def test_duplicate_ids_are_idempotent_and_conflicting_duplicates_are_errors() -> None:
    program = Program(timezone=ZONE)
    purchase = buy("p", at(2025, 1, 1), "155")
    redeem = Redeem("x", at(2025, 1, 2), points=10)
    state = program.replay([purchase, purchase, redeem, redeem], as_of=at(2025, 1, 3))
    assert (state.available, state.spent) == (145, 10)
    assert program.apply(state, redeem).available == 145
    with pytest.raises(LedgerError, match="identical content"):
        program.replay(
            [purchase, redeem, Redeem("x", at(2025, 1, 3), points=20)], as_of=at(2025, 1, 4)
        )


def test_same_instant_events_are_ordered_by_kind_then_id() -> None:
    program = Program(timezone=ZONE)
    t = at(2025, 1, 1)
    events = [CancelRedemption("c", t, "r"), Redeem("r", t, points=50), buy("p", t, "50")]
    state = program.replay(events, as_of=at(2025, 1, 2))
    assert (state.available, state.spent) == (50, 0)


def test_bad_input_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        buy("p", dt.datetime(2025, 1, 1), "1")
    with pytest.raises(ConfigError, match="never a float"):
        PurchaseLine("a", 1.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="quantity"):
        RefundLine("a", 0)
    with pytest.raises(InvalidInputError, match="at least 1"):
        Redeem("x", at(2025, 1, 2), points=-5)


# ------------------------------------------------------------------ tiers


def test_redeeming_never_demotes_and_downgrade_waits_for_the_end_of_validity() -> None:
    program = Program(timezone=ZONE, tiers=TierLadder(tiers=TIERS, downgrade="one_down"))
    events = [buy("b", at(2025, 3, 1), "3500"), Redeem("x", at(2025, 3, 2), points=3000)]
    assert program.replay(events, as_of=at(2026, 12, 31, 23)).tier_name == "gold"
    assert program.replay(events, as_of=at(2027, 1, 2)).tier_name == "silver"
    assert program.replay(events, as_of=at(2028, 1, 2)).tier_name == "member"


def test_to_base_with_grace_keeps_the_tier_through_the_grace_period() -> None:
    ladder = TierLadder(tiers=TIERS, downgrade="to_base", grace_days=30)
    program = Program(timezone=ZONE, tiers=ladder)
    events = [buy("a", at(2025, 3, 1), "3500")]
    assert program.replay(events, as_of=at(2027, 1, 30, 23)).tier_name == "gold"
    assert program.replay(events, as_of=at(2027, 1, 31)).tier_name == "member"


def test_refunds_reduce_qualifying_counters() -> None:
    program = Program(timezone=ZONE, tiers=TierLadder(tiers=TIERS))
    events = [buy("a1", at(2025, 3, 1), "600"), buy("a2", at(2025, 4, 1), "500")]
    state = program.replay(events, as_of=at(2025, 4, 2))
    assert state.tier is not None
    assert state.tier.tier == "silver"
    assert dict(state.tier.missing) == {"spend": Decimal("1900")}
    state = program.replay([*events, Refund("r", at(2025, 4, 3), "a2")], as_of=at(2025, 4, 4))
    assert state.tier is not None
    assert (state.tier.counters.spend, state.tier.counters.orders) == (Decimal("600.00"), 1)


def test_rolling_window_counters_drop_postings_that_left_the_window() -> None:
    """Regression: the status counters of a rolling ladder kept postings older than the
    window until the next posting, so ``counters`` and ``missing`` were too high."""
    ladder = TierLadder(tiers=TIERS, window="rolling", window_months=12)
    program = Program(timezone=ZONE, tiers=ladder)
    events = [buy("a", at(2025, 1, 31), "600"), buy("b", at(2025, 12, 15), "500")]
    state = program.replay(events, as_of=at(2026, 2, 1, 1))
    assert state.tier is not None
    assert state.tier.tier == "silver"  # reached 15 Dec 2025, valid 12 months
    assert state.tier.counters.spend == Decimal("500")
    assert dict(state.tier.missing) == {"spend": Decimal("2500")}
    posts = [
        QualifyingPosting(at(2025, 1, 31), spend="600"),
        QualifyingPosting(at(2025, 12, 15), spend="500"),
    ]
    status = ladder.evaluate(posts, as_of=at(2026, 2, 1, 1), timezone=ZONE)
    assert status.counters.spend == Decimal("500")
    # The last instant the January posting is still inside the window.
    assert ladder.evaluate(posts, as_of=at(2026, 1, 30, 23), timezone=ZONE).counters.spend == 1100


def test_enroll_twice_is_an_error() -> None:
    program = Program(timezone=ZONE)
    with pytest.raises(LedgerError, match="enrolled once"):
        program.replay(
            [Enroll("e", at(2025, 4, 1)), Enroll("e2", at(2025, 6, 1))], as_of=at(2025, 7, 1)
        )


def test_period_cap_counts_purchase_points_net_of_refunds() -> None:
    """Regression: refunded points still used up the period cap, so a member who
    returned an order was capped on the next one (the points were taken twice)."""
    scheme = EarningScheme(
        rules=[BaseRate(id="b", rate=1)], caps=(PeriodCap(freq="month", max_points=500),)
    )
    program = Program(timezone=ZONE, earning=scheme)
    events = [
        buy("a", at(2025, 1, 3), "400"),
        Refund("r", at(2025, 1, 4), "a"),
        buy("b", at(2025, 1, 5), "400"),
    ]
    state = program.replay(events, as_of=at(2025, 1, 6))
    assert {k: v.points for k, v in state.earnings.items()} == {"a": 400, "b": 400}
    assert state.available == 400
    # A refund in February of a January purchase frees January's cap, not February's.
    events = [
        buy("a", at(2025, 1, 30), "400"),
        buy("b", at(2025, 2, 1), "400"),
        Refund("r", at(2025, 2, 2), "a"),
        buy("c", at(2025, 2, 3), "400"),
    ]
    state = program.replay(events, as_of=at(2025, 2, 4))
    assert state.earnings["c"].points == 100
    # A partial refund frees only what it reversed.
    partial = [
        Purchase("a", at(2025, 1, 3), lines=[PurchaseLine("1", "400", quantity=4)]),
        Refund("r", at(2025, 1, 4), "a", lines=[RefundLine("1", 1)]),
        buy("b", at(2025, 1, 5), "400"),
    ]
    assert program.replay(partial, as_of=at(2025, 1, 6)).earnings["b"].points == 200
    incremental = program.replay(partial[:2], as_of=at(2025, 1, 4))
    assert program.apply(incremental, partial[2]).available == 500


def test_tier_references_without_a_ladder_are_config_errors() -> None:
    """Regression: without tiers, a tier condition silently never matched and a tier-only
    catalogue price was accepted and failed at the first redemption."""
    from crmkit.errors import ConfigError

    tiered = Multiplier(id="m", factor=2, when=Condition(tiers=("gold",)))
    with pytest.raises(ConfigError, match="tier names"):
        Program(earning=EarningScheme(rules=[BaseRate(id="b", rate=1), tiered]))
    with pytest.raises(ConfigError, match="no tiers"):
        Program(catalogue={"mug": {"gold": 5}})
    assert Program(catalogue={"mug": {"*": 5}}).catalogue == {"mug": {"*": 5}}


def test_lifetime_must_be_tiers_and_the_error_names_lifetime() -> None:
    """Regression: a mapping given as ``lifetime`` was reported as a bad ``tiers`` item."""
    from crmkit.errors import ConfigError

    with pytest.raises(ConfigError, match="parameter 'lifetime' must be Tier items"):
        TierLadder(tiers=TIERS, lifetime={"gold": {"spend": "5000"}})  # type: ignore[arg-type]
    ladder = TierLadder(tiers=TIERS, lifetime=(Tier(name="gold", spend="5000"),))
    program = Program(timezone=ZONE, tiers=ladder)
    state = program.replay([buy("a", at(2025, 3, 1), "5000")], as_of=at(2029, 3, 3))
    assert state.tier is not None
    assert (state.tier.tier, state.tier.lifetime_floor) == ("gold", "gold")


def test_expiring_counts_points_gone_exactly_at_the_horizon() -> None:
    """Regression: ``expiring(1)`` at local midnight missed points expiring at the end of
    that day (their ``expires_at`` is the next midnight, exactly ``as_of + 1 day``)."""
    from crmkit.loyalty import replay_many

    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_days(30))
    events = [Adjust("g", at(2025, 1, 1, 9), points=70, reason="gift")]  # gone 1 Feb 00:00
    state = program.replay(events, as_of=at(2025, 1, 31))
    assert state.lots[0].expires_at == at(2025, 2, 1)
    assert (state.expiring(0), state.expiring(1)) == (0, 70)
    assert program.replay(events, as_of=at(2025, 2, 1)).available == 0
    import pandas as pd

    frame = pd.DataFrame(
        {
            "member_id": ["m"],
            "event_id": ["g"],
            "time": [at(2025, 1, 1, 9)],
            "kind": ["adjust"],
            "points": pd.array([70], dtype="Int64"),
            "reason": ["gift"],
        }
    )
    for days, expected in ((0, 0), (1, 70)):
        row = replay_many(frame, program, as_of=at(2025, 1, 31), expiring_days=days).iloc[0]
        assert row["expiring"] == state.expiring(days) == expected


def test_cash_offset_values_whole_points_when_points_have_decimals() -> None:
    """Regression: with ``point_decimals=2`` the cash offset priced each hundredth of a
    point at ``point_value`` (100 times too much)."""
    scheme = EarningScheme(rules=[BaseRate(id="b", rate=Decimal("0.1"))], point_decimals=2)
    program = Program(timezone=ZONE, earning=scheme, shortfall="cash_offset")
    events = [
        buy("a", at(2025, 3, 1), "318.99"),  # 31.89 points = 3189 units
        Redeem("r", at(2025, 3, 2), points=3000),  # 30.00 points
        Refund("f", at(2025, 3, 3), "a"),
    ]
    state = program.replay(events, as_of=at(2025, 3, 4))
    assert (state.credited, state.reversed) == (3189, 3189)
    assert state.cash_offset == Decimal("0.30")  # 30 points x 0.01
    whole = Program(timezone=ZONE, shortfall="cash_offset")
    events = [buy("a", at(2025, 3, 1), "40"), Redeem("r", at(2025, 3, 2), points=30)]
    state = whole.replay([*events, Refund("f", at(2025, 3, 3), "a")], as_of=at(2025, 3, 4))
    assert state.cash_offset == Decimal("0.30")  # unchanged for whole points
