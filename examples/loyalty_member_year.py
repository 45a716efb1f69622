"""A retail member's year in a member club: points, level, redemption, refund, expiry.

The club from the domain notes: one point per yuan, double points in the birthday month,
a welcome bonus, points valid for 12 months, levels by yearly spend (silver 2,000, gold
10,000: repurchases that reach the amount upgrade the member at once), a gift catalogue
with gold prices. The script replays the member's events, prints the ledger, and then
the renewal reminder the club would send before points expire.
"""

import datetime as dt
import zoneinfo

from crmkit.loyalty import (
    Adjust,
    BaseRate,
    CancelRedemption,
    Condition,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    Multiplier,
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

club = Program(
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
    shortfall="forfeit",
)


def on(month: int, day: int, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, 10, tzinfo=SH)


events = [
    Enroll("e1", on(1, 5), birth_date="1990-05-17"),
    Purchase(
        "p1", on(3, 8), lines=[PurchaseLine("coat", "4000.00"), PurchaseLine("boots", "2000.00")]
    ),
    Purchase("p2", on(5, 20), lines=[PurchaseLine("bag", "1500.00")]),
    Purchase("p3", on(9, 1), lines=[PurchaseLine("watch", "2500.00")]),
    Redeem("x1", on(9, 2), reward="tote-bag"),
    Adjust("g1", on(10, 1), points=200, reason="gift"),
    Refund("r1", on(11, 2), "p1", lines=[RefundLine("boots")]),
    Redeem("x2", on(11, 20), reward="coupon-50"),
    CancelRedemption("c2", on(11, 21), "x2"),
]

state = club.replay(events, as_of=on(12, 31))
print(f"{club.name}: member state on {state.as_of:%Y-%m-%d}")
print(f"  available {state.available:,}  spent {state.spent:,}  reversed {state.reversed:,}")
print(f"  level {state.tier_name} since {state.tier.since:%Y-%m-%d}" if state.tier else "")
print("\nLedger:")
for p in state.postings:
    lots = ", ".join(f"{lot} {n}" for lot, n in p.allocations)
    print(f"  {p.time:%Y-%m-%d}  {p.kind:<8} {p.points:>+7,}  {p.rule:<12} {lots}")
print("\nWhy the birthday-month purchase earned what it did:")
print(state.explain("p2"))

reminder_day = on(2, 20, year=2026)
soon = club.replay(events, as_of=reminder_day)
expiring = soon.expiring(30)
print(f"\nRenewal reminder on {reminder_day:%Y-%m-%d}: {expiring:,} points expire within 30 days")
for lot in soon.expiring_lots(30):
    print(
        f"  {lot.remaining:,} points from {lot.lot_id} expire at {lot.expires_at:%Y-%m-%d %H:%M} (local)"
    )
price = club.catalogue["tote-bag"].get(soon.tier_name or "", club.catalogue["tote-bag"]["*"])
print(f"  enough for {soon.available // price} tote bags at the {soon.tier_name} price of {price}")
