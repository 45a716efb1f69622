"""Follow-ups (回访), complaint hot-spots and satisfaction by region, for the monthly report.

What a service specialist reports to management, from the domain notes:

- follow-up completion: of the complaints resolved, how many were followed up within 72
  hours (with an interval, since a month has only so many complaints);
- complaint hot-spots: complaints per 1,000 orders, and the causes that recur
  (late delivery among them), each with its exact Poisson interval;
- satisfaction by region (CSAT for service, CES for effort), each region compared with the
  best one, with Holm-adjusted p-values so that five regions do not produce a false alarm.

The sample tickets carry no cause, so causes are drawn once (seeded) in the mix a desk
might see; everything else is the sample data as generated.

Run: .venv/bin/python examples/service_followups_hotspots.py
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmkit import datasets
from crmkit.service import compare_groups, complaint_rate, followup_completion, metric_table

tickets = datasets.tickets(n_tickets=2_000, seed=3)
orders = datasets.transactions(n_customers=3_000, seed=3)
responses = datasets.survey_responses(n_responses=3_000, seed=3)
as_of = tickets["created_at"].max() + pd.Timedelta(days=7)

# 1. Follow-up completion.
done = followup_completion(tickets, due=dt.timedelta(hours=72), as_of=as_of)
print("Follow-ups of resolved complaints within 72 hours:")
print(f"  {done.format()}")

# 2. Complaint hot-spots.
complaints = tickets[tickets["kind"] == "complaint"].copy()
rng = np.random.default_rng(3)
causes = ["late delivery", "damaged goods", "wrong item", "billing", "staff attitude"]
complaints["cause"] = rng.choice(causes, len(complaints), p=[0.38, 0.22, 0.15, 0.15, 0.10])
start = complaints["created_at"].min().tz_localize(None)
end = complaints["created_at"].max().tz_localize(None)
window = orders[(orders["date"] >= start) & (orders["date"] <= end) & (orders["amount"] > 0)]
n_orders = int(window["order_id"].nunique())
print(f"\nComplaints per 1,000 orders ({n_orders:,} orders, {start:%Y-%m-%d} to {end:%Y-%m-%d}):")
print(f"  all complaints: {complaint_rate(complaints, n_orders).format()}")
print("  by cause (share of all complaints):")
for cause, count in complaints["cause"].value_counts().items():
    rate = complaint_rate(int(count), n_orders)
    print(f"    {cause:<15} {count:>4}  {count / len(complaints):5.1%}  {rate.format()}")

# 3. Satisfaction by region.
for metric in ("csat", "ces"):
    table = metric_table(responses, metric, by="region", freq=None)
    best = table.loc[table["value"].idxmax(), "region"]
    comparison = compare_groups(responses, metric, by="region", baseline=best)
    print(f"\n{metric.upper()} by region (% top box, 95% Wilson interval), against {best}:")
    merged = table.set_index("region")[["n", "value", "lower", "upper"]].round(1)
    merged["p (Holm)"] = comparison.set_index("group")["p_adjusted"].round(3)
    print(merged.to_string())
