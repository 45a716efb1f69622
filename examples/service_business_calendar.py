"""Business time on a Shanghai service desk: deadlines, verdicts, and a whole ticket table.

Builds a calendar with lunch breaks, China's 2025-2026 public holidays and their make-up
working days (from the optional ``holidays`` package), shows the deadlines of one complaint
(``due_at``, and ``breach_at`` which differs when a deadline falls on a closing time), then
measures business-hours first-reply times for 2,000 sample tickets in one vectorised call.

Run: .venv/bin/python examples/service_business_calendar.py
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from crmkit import datasets
from crmkit.service import BusinessCalendar

HOURS = [["09:00", "12:00"], ["13:00", "18:00"]]
desk = BusinessCalendar(
    "Asia/Shanghai", dict.fromkeys(["mon", "tue", "wed", "thu", "fri"], HOURS)
).with_country_holidays("CN", [2025, 2026])

print("Calendar:", desk)
print("Make-up working days:", [day.isoformat() for day, _ in desk.overrides])

complaint = dt.datetime(2025, 9, 30, 17)  # Tuesday evening before National Day
print(f"\nComplaint received {complaint:%a %Y-%m-%d %H:%M}")
for label, target in [("respond", 1), ("initial solution", 24), ("follow up", 72)]:
    duration = dt.timedelta(hours=target)
    print(
        f"  {label:17} {target:>2} business h: due {desk.due_at(complaint, duration):%a %m-%d %H:%M},"
        f" last compliant {desk.breach_at(complaint, duration):%a %m-%d %H:%M}"
    )

tickets = datasets.tickets(n_tickets=2_000, seed=3)
answered = tickets.dropna(subset=["first_reply_at"])
business = desk.elapsed_many(answered["created_at"], answered["first_reply_at"])
real = answered["first_reply_at"] - answered["created_at"]
summary = pd.DataFrame(
    {
        "tickets": business.groupby(answered["priority"], observed=True).size(),
        "median business h": (business.dt.total_seconds() / 3600)
        .groupby(answered["priority"], observed=True)
        .median()
        .round(2),
        "median real h": (real.dt.total_seconds() / 3600)
        .groupby(answered["priority"], observed=True)
        .median()
        .round(2),
        "within 2 business h": (business <= pd.Timedelta(hours=2))
        .groupby(answered["priority"], observed=True)
        .mean()
        .round(3),
    }
)
print(f"\nFirst replies of {len(answered):,} answered sample tickets, by priority:")
print(summary.to_string())
