"""Complaint SLAs (respond 1 h, initial solution 24 h, follow up 72 h) on sample tickets.

Builds the Shanghai service desk's calendar with the 2025 October holiday and its make-up
working days, evaluates one complaint filed the evening before the holiday, then the whole
sample desk, and prints the attainment per policy and target.

Run: .venv/bin/python examples/service_complaint_sla.py
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from crmkit import datasets
from crmkit.service import (
    BusinessCalendar,
    PolicySet,
    SLAPolicy,
    SLATarget,
    evaluate_sla,
    evaluate_ticket,
    sla_attainment,
)

DAY = [["09:00", "12:00"], ["13:00", "18:00"]]
calendar = BusinessCalendar.from_dict(
    {
        "timezone": "Asia/Shanghai",
        "weekly": {"mon": DAY, "tue": DAY, "wed": DAY, "thu": DAY, "fri": DAY},
        "holidays": [f"2025-10-0{d}" for d in (1, 2, 3, 6, 7, 8)],
        "overrides": {"2025-09-28": DAY, "2025-10-11": DAY},  # make-up working days
    }
)

complaints = SLAPolicy(
    name="complaints",
    when={"kind": ["complaint"]},
    targets={
        "*": [
            SLATarget(metric="first_response", duration="1h", clock="business"),
            SLATarget(
                metric="resolution", name="initial_solution", duration="24h", clock="calendar"
            ),
            SLATarget(metric="follow_up", duration="72h", clock="calendar"),
        ]
    },
)
core = SLAPolicy(
    name="core incidents",
    when={"customer_tier": ["core"], "kind": ["incident"]},
    targets={
        "*": [
            SLATarget(metric="first_response", duration="2h", clock="calendar"),
            SLATarget(metric="on_site", duration="4h", clock="calendar", pausable=False),
        ]
    },
)
standard = SLAPolicy(
    name="standard",
    targets={"*": [SLATarget(metric="first_response", duration="4h", clock="business")]},
)
policies = PolicySet(policies=[complaints, core], default=standard, calendar=calendar)

# One complaint, Tuesday 30 September 17:30, the evening before the holiday.
created = dt.datetime(2025, 9, 30, 17, 30)
events = [
    (created, "created"),
    (created + dt.timedelta(minutes=20), "agent_reply"),
    (created + dt.timedelta(minutes=35), "pending"),  # waiting for the customer's photos
    (dt.datetime(2025, 10, 1, 20, 5), "open"),
    (dt.datetime(2025, 10, 2, 1, 0), "solved"),
]
result = evaluate_ticket(
    events, policies, as_of=dt.datetime(2025, 10, 9, 12), ticket={"kind": "complaint"}
)
print(f"Complaint of {created:%a %d %b %H:%M} (policy {result.policy!r}):")
for target in result.targets:
    due = "-" if target.due_at is None else f"{target.due_at:%a %d %b %H:%M}"
    print(f"  {target.name:17} {target.state:12} due {due:16} used {target.elapsed or '-'}")

# The whole sample desk (timestamps of the sample are in Asia/Shanghai).
tickets = datasets.tickets(n_tickets=1_000, seed=7)
verdicts = evaluate_sla(
    datasets.ticket_events(tickets), tickets, policies, as_of="2025-08-01 00:00+08:00"
)
table = sla_attainment(verdicts, by=["policy", "target"])
with pd.option_context("display.width", 120, "display.max_columns", 10, "display.precision", 3):
    print()
    print(table)
