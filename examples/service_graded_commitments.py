"""Requests graded by urgency and by customer value; the grade decides the commitment.

From the domain notes: a system failure at a strategic customer is not a feature question
from an ordinary one. Four grades, each a policy of one policy set (rules as data, stored
as JSON), plus two commitments named in the notes:

- core manufacturing customers: respond within 2 hours and arrive on site within 4 hours
  for an equipment failure, around the clock;
- a software customer's custom-report request: a prototype and a quote within 72 hours
  (a custom target from "created" to "prototype_sent").

The script evaluates five tickets as of one instant, prints each one's deadlines and state,
then the attainment per grade over a simulated week of tickets.

Run: .venv/bin/python examples/service_graded_commitments.py
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from crmkit.service import (
    BusinessCalendar,
    PolicySet,
    SLAPolicy,
    SLATarget,
    evaluate_sla,
    evaluate_ticket,
    sla_attainment,
)

ZONE = ZoneInfo("Asia/Shanghai")
DAY = [["09:00", "12:00"], ["13:00", "18:00"]]
calendar = BusinessCalendar.from_dict(
    {
        "timezone": "Asia/Shanghai",
        "weekly": {**dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), DAY), "sat": [], "sun": []},
    }
)


def target(metric: str, duration: str, clock: str, **kw: object) -> SLATarget:
    return SLATarget(metric=metric, duration=duration, clock=clock, **kw)  # type: ignore[arg-type]


policies = PolicySet(
    policies=[
        SLAPolicy(
            name="core equipment failure",
            when={"customer_tier": ["core"], "kind": ["failure"]},
            targets={
                "*": [
                    target("first_response", "2h", "calendar"),
                    target("on_site", "4h", "calendar", pausable=False),
                ]
            },
        ),
        SLAPolicy(
            name="custom report",
            when={"kind": ["custom_report"]},
            targets={
                "*": [
                    target(
                        "custom",
                        "72h",
                        "calendar",
                        name="prototype_and_quote",
                        start="created",
                        stop="prototype_sent",
                    )
                ]
            },
        ),
        SLAPolicy(
            name="urgent / strategic",
            when={"kind": ["failure"], "customer_tier": ["strategic"]},
            targets={
                "*": [
                    target("first_response", "30m", "calendar"),
                    target("resolution", "8h", "calendar"),
                ]
            },
        ),
        SLAPolicy(
            name="urgent / ordinary",
            when={"kind": ["failure"]},
            targets={
                "*": [
                    target("first_response", "2h", "business"),
                    target("resolution", "16h", "business"),
                ]
            },
        ),
        SLAPolicy(
            name="question / strategic",
            when={"customer_tier": ["strategic"]},
            targets={"*": [target("first_response", "4h", "business")]},
        ),
    ],
    default=SLAPolicy(
        name="question / ordinary",
        targets={"*": [target("first_response", "8h", "business")]},
    ),
    calendar=calendar,
)
# Rules are data: what a configuration screen stores and the service loads.
assert PolicySet.from_dict(json.loads(json.dumps(policies.to_dict()))) == policies

as_of = dt.datetime(2025, 3, 4, 12, 0, tzinfo=ZONE)
monday = dt.datetime(2025, 3, 3, tzinfo=ZONE)
tickets = {
    "T1 press line down (core)": (
        {"kind": "failure", "customer_tier": "core", "priority": "P1"},
        [
            (monday + dt.timedelta(hours=22), "created"),
            (monday + dt.timedelta(hours=23), "agent_reply"),
        ],
    ),
    "T2 quote for a custom report": (
        {"kind": "custom_report", "customer_tier": "ordinary", "priority": "P3"},
        [(monday + dt.timedelta(hours=10), "created")],
    ),
    "T3 login fails (strategic)": (
        {"kind": "failure", "customer_tier": "strategic", "priority": "P1"},
        [(monday + dt.timedelta(hours=17, minutes=40), "created")],
    ),
    "T4 login fails (ordinary)": (
        {"kind": "failure", "customer_tier": "ordinary", "priority": "P2"},
        [(monday + dt.timedelta(hours=17, minutes=40), "created")],
    ),
    "T5 how to export? (ordinary)": (
        {"kind": "question", "customer_tier": "ordinary", "priority": "P4"},
        [(monday + dt.timedelta(hours=17, minutes=40), "created")],
    ),
}
print(f"Deadlines as of {as_of:%a %Y-%m-%d %H:%M} (Shanghai):")
for label, (attributes, history) in tickets.items():
    sla = evaluate_ticket(policies=policies, events=history, as_of=as_of, ticket=attributes)
    print(f"  {label}: policy {sla.policy!r}")
    for t in sla.targets:
        due = f"{t.due_at:%a %H:%M}" if t.due_at else "not started"
        print(f"    {t.name:<20} due {due:<12} {t.state}")

# A simulated week of 400 tickets: grades drawn by the desk's mix, replies by a
# log-normal delay, so the attainment table has something to say.
rng = np.random.default_rng(11)
n = 400
kind = rng.choice(["failure", "question", "custom_report"], n, p=[0.3, 0.6, 0.1])
tier = rng.choice(["core", "strategic", "ordinary"], n, p=[0.1, 0.2, 0.7])
created = monday + pd.to_timedelta(rng.uniform(0, 5 * 24 * 3600, n), unit="s")
reply = created + pd.to_timedelta(rng.lognormal(np.log(2 * 3600), 0.9, n), unit="s")
frame = pd.DataFrame(
    {
        "ticket_id": [f"W{i:03d}" for i in range(n)],
        "kind": kind,
        "customer_tier": tier,
        "priority": "P2",
    }
)
events = pd.concat(
    [
        pd.DataFrame({"ticket_id": frame["ticket_id"], "time": created, "event": "created"}),
        pd.DataFrame({"ticket_id": frame["ticket_id"], "time": reply, "event": "agent_reply"}),
        pd.DataFrame(
            {
                "ticket_id": frame["ticket_id"],
                "time": reply + pd.Timedelta(hours=3),
                "event": "on_site",
            }
        ),
        pd.DataFrame(
            {
                "ticket_id": frame["ticket_id"],
                "time": reply + pd.Timedelta(hours=20),
                "event": "solved",
            }
        ),
        pd.DataFrame(
            {
                "ticket_id": frame["ticket_id"],
                "time": reply + pd.Timedelta(hours=30),
                "event": "prototype_sent",
            }
        ),
    ]
)
verdicts = evaluate_sla(events, frame, policies, as_of=monday + dt.timedelta(days=14))
table = sla_attainment(verdicts, by=["policy", "target"])
shown = table[["met", "breached", "attainment", "ci_low", "ci_high"]].copy()
for column in ("attainment", "ci_low", "ci_high"):
    shown[column] = (shown[column] * 100).round(1)
print("\nAttainment per grade over a simulated week (%, 95% Wilson interval):")
print(shown.to_string())
