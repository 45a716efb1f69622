"""A co-branded airline program: two tier ladders and two point currencies.

Purchases earn miles (2 per yuan, doubled for co-brand club "plus" members, never expire;
the primary currency) and redeemable shop points (1 per yuan, 12 months). The airline's
status ladder runs on the miles earned in the calendar year, the co-brand club ladder on
spend. A lounge day is priced in miles, cheaper for silver status or club plus members
(the lower price applies); a mug costs shop points.
"""

import datetime as dt

from crmkit.loyalty import (
    BaseRate,
    Condition,
    EarningScheme,
    ExpiryPolicy,
    Multiplier,
    Privilege,
    PrivilegeSet,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    Tier,
    TierLadder,
)

program = Program(
    name="sky club",
    timezone="Asia/Shanghai",
    earning={  # miles first: the primary currency, which the status ladder counts
        "miles": EarningScheme(
            rules=[
                BaseRate(id="base", rate=2),
                Multiplier(id="club-x2", factor=2, when=Condition(tiers=["club:plus"])),
            ]
        ),
        "points": EarningScheme.base_rate(1),
    },
    expiry={"miles": ExpiryPolicy.never(), "points": ExpiryPolicy.after_months(12)},
    tiers={
        "status": TierLadder(
            tiers=[Tier(name="blue"), Tier(name="silver", points=15_000)], downgrade="one_down"
        ),
        "club": TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", spend="5000")]),
    },
    privileges=PrivilegeSet([Privilege(id="lounge", kind="quota", tiers=["silver"], quota=4)]),
    catalogue={
        "lounge-day": {"*": 6000, "silver": 5000, "club:plus": 4500},
        "mug": {"*": 800, "currency": "points"},
    },
)


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2025, month, day, 10, tzinfo=program.zone)


events = [
    Purchase("p1", at(2, 1), lines=[PurchaseLine("1", "4000")]),
    Purchase("p2", at(3, 1), lines=[PurchaseLine("1", "2000")]),  # club plus from here
    Purchase("p3", at(4, 1), lines=[PurchaseLine("1", "1500")]),  # miles x2 as plus
    Redeem("x1", at(4, 2), reward="lounge-day"),  # silver 5000, club plus 4500: 4500 miles
    Redeem("x2", at(4, 3), reward="mug"),  # in points
    Refund("r1", at(4, 5), "p2"),  # takes back 2000 points and 4000 miles
]
state = program.replay(events, as_of=at(4, 6))
print(f"tiers: {state.tier_names}, privileges: {[p.id for p in state.privileges]}")
for name, s in state.by_currency.items():
    print(
        f"{name:>6}: credited {s.credited:>6}  available {s.available:>6}  spent {s.spent:>5}"
        f"  reversed {s.reversed:>5}  forfeited {s.forfeited:>5}"
    )
    assert s.credited == s.available + s.pending + s.spent + s.expired + s.reversed + s.forfeited
