"""End-to-end member programs from the domain notes: a retail club and an airline scheme.

Both replay a member's events through earning rules, the ledger, the tier ladder and the
privileges together, with hand-checked numbers.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from crmkit.errors import InsufficientPointsError
from crmkit.loyalty import (
    Adjust,
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
    Refund,
    RefundLine,
    SignUpBonus,
    Tier,
    TierLadder,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def on(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SH)


def retail_club() -> Program:
    """Spend-based levels, birthday-month double points, a welcome gift, 12-month points."""
    return Program(
        name="retail club",
        currency="CNY",
        timezone="Asia/Shanghai",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                Multiplier(id="birthday-x2", factor=2, when=Condition(birthday_month=True)),
                SignUpBonus(id="welcome", points=100, trigger="enroll"),
            ]
        ),
        expiry=ExpiryPolicy.after_months(12),
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", spend="2000"),
                Tier(name="gold", spend="10000"),
            ],
            downgrade="one_down",
        ),
        catalogue={"tote-bag": {"*": 800, "gold": 600}, "coupon-50": {"*": 500}},
    )


def retail_year() -> list:  # type: ignore[type-arg]
    return [
        Enroll("e1", on(2025, 1, 5), birth_date="1990-05-17"),
        Purchase(
            "p1",
            on(2025, 3, 8),
            lines=[PurchaseLine("coat", "4000.00"), PurchaseLine("boots", "2000.00")],
        ),
        Purchase("p2", on(2025, 5, 20), lines=[PurchaseLine("bag", "1500.00")]),
        Purchase("p3", on(2025, 9, 1), lines=[PurchaseLine("watch", "2500.00")]),
        Redeem("x1", on(2025, 9, 2), reward="tote-bag"),
        Adjust("g1", on(2025, 10, 1), points=200, reason="gift"),
    ]


def test_retail_member_year() -> None:
    program = retail_club()
    state = program.replay(retail_year(), as_of=on(2025, 12, 20))
    # 100 welcome + 6000 + 1500 x 2 (birthday month) + 2500 + 200 gift.
    assert state.credited == 11_800
    assert state.earnings["p2"].points == 3000
    # Reaching 10,000 of spend with the repurchase on 1 Sep upgrades to gold at once,
    # so the tote bag costs the gold price.
    assert state.tier_name == "gold"
    assert state.tier is not None
    assert state.tier.since == on(2025, 9, 1)
    assert (state.spent, state.available) == (600, 11_200)
    # The redemption drew the soonest-expiring points first: the welcome lot, then March.
    redeem = next(p for p in state.postings if p.kind == "redeem")
    assert redeem.allocations == (("e1", 100), ("p1", 500))


def test_retail_renewal_reminder_of_expiring_points() -> None:
    program = retail_club()
    state = program.replay(retail_year(), as_of=on(2026, 2, 20))
    # March points are valid through 8 Mar 2026: 5,500 of them expire within 30 days.
    assert state.expiring(30) == 5_500
    assert [lot.lot_id for lot in state.expiring_lots(30)] == ["p1"]
    assert state.expiring_lots(30)[0].expires_at == dt.datetime(2026, 3, 9, tzinfo=SH)
    later = program.replay(retail_year(), as_of=on(2026, 3, 9, 0))
    assert (later.expired, later.available) == (5_500, 5_700)


def test_retail_refund_reduces_spend_and_points_but_redemption_never_demotes() -> None:
    program = retail_club()
    events = [
        *retail_year(),
        Redeem("x2", on(2025, 9, 3), reward="coupon-50"),
        Refund("r1", on(2025, 9, 5), "p1", lines=[RefundLine("boots")]),
    ]
    state = program.replay(events, as_of=on(2025, 9, 4))
    assert (state.tier_name, state.available) == ("gold", 10_500)  # redeeming kept gold
    state = program.replay(events, as_of=on(2025, 12, 1))
    # The boots' 2,000 points are reversed; qualifying spend falls to 8,000.
    assert state.reversed == 2_000
    assert sum(q.spend for q in state.qualifying) == Decimal("8000.00")
    assert state.tier is not None
    assert state.tier.counters.spend == Decimal("8000.00")
    with pytest.raises(InsufficientPointsError):
        program.replay(
            [*events, Redeem("x3", on(2025, 12, 1), points=99_999)], as_of=on(2026, 1, 1)
        )


def airline() -> Program:
    """Miles per yuan, calendar qualification year, soft landing, lounge passes per year."""
    return Program(
        name="sky miles",
        currency="CNY",
        timezone="Asia/Shanghai",
        earning=EarningScheme(rules=[BaseRate(id="miles", rate=5)]),
        expiry=ExpiryPolicy.inactivity(18, "months", activity=("purchase", "redeem")),
        tiers=TierLadder(
            tiers=[
                Tier(name="blue"),
                Tier(name="silver", points=25_000),
                Tier(name="gold", points=50_000),
                Tier(name="platinum", points=100_000),
            ],
            window="calendar_year",
            downgrade="one_down",
        ),
        privileges=PrivilegeSet(
            [
                Privilege(id="lounge", kind="quota", tiers=["gold", "platinum"], quota=4),
                Privilege(id="free-upgrade", kind="benefit", tiers=["platinum"]),
            ]
        ),
        catalogue={"award-seat": {"*": 30_000}},
    )


def flights() -> list:  # type: ignore[type-arg]
    return [
        Enroll("e", on(2025, 1, 2)),
        Purchase("f1", on(2025, 2, 10), lines=[PurchaseLine("PEK-SFO", "9000")]),
        Purchase("f2", on(2025, 6, 15), lines=[PurchaseLine("SFO-PEK", "8000")]),
        Purchase("f3", on(2025, 10, 1), lines=[PurchaseLine("PEK-CDG", "4000")]),
        Redeem("award", on(2025, 12, 1), reward="award-seat"),
        Purchase("f4", on(2026, 3, 1), lines=[PurchaseLine("PEK-SHA", "2000")]),
    ]


def test_airline_platinum_year_and_redemption_never_demotes() -> None:
    program = airline()
    state = program.replay(flights(), as_of=on(2025, 12, 31))
    # 21,000 yuan x 5 = 105,000 qualifying miles in 2025: platinum from 1 Oct.
    assert state.tier_name == "platinum"
    assert state.tier is not None
    assert state.tier.since == on(2025, 10, 1)
    # The award seat spent 30,000 miles; the qualifying counter is untouched.
    assert (state.available, state.spent) == (75_000, 30_000)
    assert state.tier.counters.points == 105_000
    assert {p.id for p in state.privileges} == {"lounge", "free-upgrade"}


def test_airline_soft_landing_drops_one_level() -> None:
    program = airline()
    # Status earned in 2025 holds through 2026; 2026 earns only 10,000 miles (blue level),
    # and the soft landing drops platinum by one level to gold, not to blue.
    assert program.replay(flights(), as_of=on(2026, 12, 31)).tier_name == "platinum"
    state = program.replay(flights(), as_of=on(2027, 1, 1, 0))
    assert state.tier_name == "gold"
    assert {p.id for p in state.privileges} == {"lounge"}


def test_airline_lounge_quota_per_year() -> None:
    program = airline()
    state = program.replay(flights(), as_of=on(2026, 6, 1))
    assert program.privileges is not None
    assert state.tier is not None
    uses = [(on(2026, 1, 5), "lounge"), (on(2026, 2, 9), "lounge"), (on(2026, 3, 1), "lounge")]
    quota = program.privileges.quota_status(
        state.tier.history, uses, as_of=on(2026, 6, 1), timezone=SH
    )
    assert (quota["lounge"].allowed, quota["lounge"].used, quota["lounge"].remaining) == (4, 3, 1)


def test_airline_miles_expire_after_18_months_without_activity() -> None:
    program = airline()
    # Last activity: the flight of 1 Mar 2026; miles are valid through 1 Sep 2027.
    assert program.replay(flights(), as_of=on(2027, 9, 1, 23)).available == 85_000
    state = program.replay(flights(), as_of=on(2027, 9, 2, 0))
    assert (state.available, state.expired) == (0, 85_000)
