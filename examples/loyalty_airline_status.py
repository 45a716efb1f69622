"""An airline-style status ladder: qualification years, soft landing, lounge quota.

Status credits (XP) earned in a calendar year decide the status, which holds through the
next year; a member who does not re-qualify drops one level at a time. Gold and platinum
carry four lounge passes a year and a 50% earning bonus on miles.
"""

import datetime as dt

from crmkit.loyalty import (
    EarningScheme,
    MemberContext,
    Order,
    OrderLine,
    Privilege,
    PrivilegeSet,
    QualifyingPosting,
    Tier,
    TierLadder,
)

TZ = "Europe/Paris"
ladder = TierLadder(
    tiers=[
        Tier(name="explorer"),
        Tier(name="silver", points=100),
        Tier(name="gold", points=180),
        Tier(name="platinum", points=300),
    ],
    window="calendar_year",
    downgrade="one_down",
)
privileges = PrivilegeSet(
    [
        Privilege(id="lounge", kind="quota", tiers=["gold", "platinum"], quota=4),
        Privilege(
            id="elite-bonus", kind="earning_multiplier", tiers=["gold", "platinum"], value="1.5"
        ),
    ]
)
miles = EarningScheme.base_rate(1)  # 1 mile per euro of fare

flights = [
    (dt.datetime(2024, 3, 1, 8), "480.00", 120),
    (dt.datetime(2024, 9, 1, 18), "1250.00", 200),
    (dt.datetime(2025, 5, 1, 7), "910.00", 190),
]
postings = [QualifyingPosting(when, points=xp) for when, _, xp in flights]
status = ladder.evaluate(
    postings, as_of=dt.datetime(2029, 1, 1), timezone=TZ, enrolled_at=dt.datetime(2024, 1, 10)
)

print("Status history")
for change in status.history:
    print(f"  {change.time.date()}  {change.old or '-':>9} -> {change.new:<9} ({change.reason})")

print("\nMiles per flight (tier and privileges held just before departure)")
for number, (when, fare, _) in enumerate(flights, start=1):
    before = when - dt.timedelta(microseconds=1)
    member = MemberContext(
        tier=status.tier_at(before),
        privileges=privileges.active(status.history, as_of=before, timezone=TZ),
    )
    result = miles.earn(Order(f"F{number}", when, [OrderLine("seg", fare)]), member, timezone=TZ)
    print(f"  {when.date()}  fare {fare:>8}  tier {member.tier:<9} miles {result.points}")

print("\nLounge passes left")
uses = [(dt.datetime(2025, 2, 3, 9), "lounge"), (dt.datetime(2025, 2, 17, 9), "lounge")]
for year in (2025, 2026, 2027):
    quota = privileges.quota_status(
        status.history, uses, as_of=dt.datetime(year, 6, 30), timezone=TZ
    )["lounge"]
    print(f"  mid-{year}: {quota.remaining} of {quota.allowed}")
