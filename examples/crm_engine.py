"""crmkit as another system's engine: segments decide loyalty tiers and service levels.

A shop's CRM system keeps its own database and calls crmkit once a night. crmkit reads the
day's tables and returns decisions the system stores and acts on:

1. **Value**: RFM segments and each customer's yearly value (spend over the last 12
   months) from the transaction log.
2. **Loyalty tier**: the member club's ladder on yearly spend (silver 2,000, gold 5,000;
   soft landing one level down), with last night's tiers as the current ones; a
   Champion keeps at least silver (a retention rule the CRM team owns).
3. **Service level**: which SLA policy a customer's tickets get: "vip" for gold members and
   Champions, "retain" for the valuable customers slipping away (At Risk, Can't Lose Them),
   "regular" for everyone else. The policy set keys on that attribute.
4. **Check**: the tickets of the period evaluated under those policies, attainment per
   service level, so the team sees whether the promises made to the best customers hold.

The decisions come out as plain records (JSON) keyed by customer id, which is what the
host system stores. Run: .venv/bin/python examples/crm_engine.py
"""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd

from crmkit import datasets
from crmkit.loyalty import Tier, TierLadder, assign_tiers
from crmkit.segmentation import rfm
from crmkit.service import PolicySet, SLAPolicy, SLATarget, evaluate_sla, sla_attainment
from crmkit.service._cli import demo_policies

AS_OF = pd.Timestamp("2025-12-31")

# --- what the host system hands over -------------------------------------------------
transactions = datasets.transactions(n_customers=2_000, seed=7)
tickets = datasets.tickets(n_tickets=1_000, seed=7)
ticket_events = datasets.ticket_events(tickets)
last_night = pd.Series("member", index=pd.RangeIndex(1, 2_001, name="customer_id"))

# --- 1. value ------------------------------------------------------------------------
customers = rfm(transactions, order="order_id", as_of=AS_OF.date())
year = transactions[transactions["date"] > AS_OF - pd.DateOffset(years=1)]
yearly = year.groupby("customer_id")["amount"].sum().clip(lower=0).round(2)
customers["yearly_value"] = yearly.reindex(customers.index, fill_value=0.0)

# --- 2. loyalty tier -------------------------------------------------------------------
ladder = TierLadder(
    tiers=[Tier(name="member"), Tier(name="silver", spend="2000"), Tier(name="gold", spend="5000")],
    downgrade="one_down",
)
qualifying = pd.DataFrame(
    {
        "member_id": customers.index,
        "spend": [Decimal(str(v)) for v in customers["yearly_value"]],
        "current": last_night.reindex(customers.index).to_numpy(),
    }
)
tiers = assign_tiers(qualifying, ladder, current="current")
tier = tiers["tier"].astype(str).reindex(customers.index)
champion = customers["segment"].astype(str).eq("Champions")
promoted = champion & tier.eq("member")
tier = tier.where(~promoted, "silver")  # the CRM team's retention rule
next_tier = tiers["next_tier"].astype(str).reindex(customers.index).where(~promoted, "gold")

# --- 3. service level ------------------------------------------------------------------
segment = customers["segment"].astype(str)
service_level = pd.Series("regular", index=customers.index)
service_level[segment.isin(["At Risk", "Can't Lose Them"])] = "retain"
service_level[tier.eq("gold") | champion] = "vip"

calendar = demo_policies().calendar


def target(metric: str, duration: str, clock: str) -> SLATarget:
    return SLATarget(metric=metric, duration=duration, clock=clock)  # type: ignore[arg-type]


policies = PolicySet(
    policies=[
        SLAPolicy(
            name="vip",
            when={"service_level": ["vip"]},
            targets={
                "*": [
                    target("first_response", "1h", "calendar"),
                    target("resolution", "24h", "calendar"),
                ]
            },
        ),
        SLAPolicy(
            name="retain",
            when={"service_level": ["retain"]},
            targets={
                "*": [
                    target("first_response", "2h", "business"),
                    target("resolution", "16h", "business"),
                ]
            },
        ),
    ],
    default=SLAPolicy(
        name="regular",
        targets={
            "*": [
                target("first_response", "4h", "business"),
                target("resolution", "40h", "business"),
            ]
        },
    ),
    calendar=calendar,
)

# --- 4. check the promises on the period's tickets ------------------------------------
tickets = tickets.assign(
    service_level=tickets["customer_id"].map(service_level).fillna("regular").astype(str)
)
verdicts = evaluate_sla(
    ticket_events,
    tickets,
    policies,
    as_of=tickets["created_at"].max() + pd.Timedelta(days=30),
)
table = sla_attainment(verdicts, by=["policy", "target"])

# --- what goes back to the host system ---------------------------------------------------
decisions = pd.DataFrame(
    {
        "segment": segment,
        "yearly_value": customers["yearly_value"],
        "loyalty_tier": tier,
        "next_tier": next_tier,
        "service_level": service_level,
    }
)
print("Decisions per customer (3 of 2,000, as the host system stores them):")
for customer_id, row in decisions.loc[[3, 10, 27]].iterrows():
    print(json.dumps({"customer_id": int(customer_id), **row.to_dict()}, ensure_ascii=False))

print("\nCustomers per loyalty tier and service level:")
print(pd.crosstab(decisions["loyalty_tier"], decisions["service_level"]).to_string())

shown = table[["met", "breached", "attainment", "ci_low", "ci_high"]].copy()
for column in ("attainment", "ci_low", "ci_high"):
    shown[column] = (shown[column] * 100).round(1)
print("\nDo the promises hold? Attainment per service level (%, 95% Wilson interval):")
print(shown.to_string())
