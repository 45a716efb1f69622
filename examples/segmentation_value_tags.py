"""Value tags a CRM specialist keeps: ABC by region thresholds, potential, health tags, rates.

The domain notes' examples, on the sample data:

- ABC by fixed yearly thresholds, set per region (enterprise accounts: over 5,000,000 = A,
  1,000,000 to 5,000,000 = B; here scaled to the sample's retail customers: over 3,000 = A,
  1,000 to 3,000 = B in the east, 2,000 and 700 elsewhere), then moved by growth potential
  ("a C with large potential becomes A, a B about to go bankrupt becomes C");
- tags that change as data arrives: "high value" (over 10,000 a year for retail; 1,500 in
  the sample's scale), "sleeping" (no purchase for 6 months), "high churn risk" (a repeat
  buyer silent for three times their usual gap) and "high upsell potential" (bought in the
  electronics category in each of the last 3 months);
- the churn rate and the repurchase rate the customer-information supervisor reports.

Run: .venv/bin/python examples/segmentation_value_tags.py
"""

from __future__ import annotations

import pandas as pd

from crmkit import datasets
from crmkit.segmentation import (
    ValuePotentialMatrix,
    abc_classify,
    churn_rate,
    class_summary,
    repurchase_rate,
    summarize,
)

tx = datasets.transactions(n_customers=2_000, seed=7)
as_of = pd.Timestamp("2025-12-31")
year = tx[(tx["date"] > as_of - pd.DateOffset(years=1)) & (tx["date"] <= as_of)]
spend = year.groupby("customer_id")["amount"].sum().clip(lower=0)

# Each customer's region: the channel of their first order stands in for it here.
region = tx.sort_values("date").groupby("customer_id")["channel"].first()
region = region.map({"store": "east", "online": "north", "app": "south"}).fillna("north")

# 1. ABC by fixed thresholds, per region.
thresholds = {"east": (3_000.0, 1_000.0), "north": (2_000.0, 700.0), "south": (2_000.0, 700.0)}
classes = pd.concat(
    abc_classify(spend[region.reindex(spend.index) == name], method="thresholds", cuts=cuts)
    for name, cuts in thresholds.items()
).sort_index()
print("ABC by yearly spend, thresholds per region:")
print(class_summary(classes).round(3).to_string())

# 2. Growth potential moves the class: here, spend growth against the year before.
before = tx[
    (tx["date"] > as_of - pd.DateOffset(years=2)) & (tx["date"] <= as_of - pd.DateOffset(years=1))
]
prior = (
    before.groupby("customer_id")["amount"].sum().clip(lower=0).reindex(spend.index, fill_value=0)
)
growth = (spend - prior) / prior.where(prior > 0)
potential = pd.Series("medium", index=spend.index)
potential[growth > 0.5] = "high"
potential[growth < -0.5] = "low"
moved = ValuePotentialMatrix.default().apply(classes["abc_class"].astype(str), potential)
changes = pd.crosstab(
    classes["abc_class"].astype(str), moved, rownames=["by value"], colnames=["with potential"]
)
print("\nValue class moved by growth potential (rows: by value, columns: final):")
print(changes.to_string())

# 3. Health tags, recomputed whenever data arrives.
summary = summarize(tx, order="order_id", as_of=as_of.date())
gap = summary["tenure_days"] / (summary["frequency"] - 1).where(summary["frequency"] > 1)
months = year.assign(month=year["date"].dt.to_period("M"))
recent = months[
    (months["category"] == "electronics") & (months["month"] >= pd.Period("2025-10", "M"))
]
electronics_3m = recent.groupby("customer_id")["month"].nunique() == 3
tags = pd.DataFrame(
    {
        "high value": spend.reindex(summary.index, fill_value=0) > 1_500,
        "sleeping": summary["recency_days"] > 182,
        "high churn risk": (summary["frequency"] > 1) & (summary["recency_days"] > 3 * gap),
        "high upsell potential": electronics_3m.reindex(summary.index, fill_value=False),
    }
)
print("\nHealth tags (customers carrying each):")
for tag, count in tags.sum().items():
    print(f"  {tag:<22} {int(count):>5,}  {count / len(tags):6.1%}")

# 4. The rates management asks for.
churn = churn_rate(tx, start="2025-06-30", end="2025-12-31", amount="amount")
again = repurchase_rate(tx, start="2025-07-01", end="2025-12-31", amount="amount")
print(
    f"\nChurn rate, second half of 2025: {churn.value:.1%} ({churn.numerator:,} of {churn.denominator:,})"
)
print(
    f"Repurchase rate, second half of 2025: {again.value:.1%} ({again.numerator:,} of {again.denominator:,})"
)
