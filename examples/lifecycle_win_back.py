"""Who is slipping away, and did the win-back campaign work?

On the built-in sample data: lifecycle stages at the end of June 2025, who moved where
in June, then a comeback coupon sent on 30 June to half of the half-year sleepers (the
other half held out), and the reactivation rate of both groups by the end of July.

The sample data have no campaign in them, so the coupon's redemptions are simulated: 15%
of the coupon holders buy once in July. Everything else is the data as generated.

Run: .venv/bin/python examples/lifecycle_win_back.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmkit import datasets
from crmkit.segmentation import (
    classify_lifecycle,
    cohort_retention,
    lifecycle_history,
    rates_by_period,
    reactivation_rate,
    transition_matrix,
)

pd.set_option("display.width", 120)

tx = datasets.transactions(n_customers=5_000, seed=11)

# 1. Where is everyone on 30 June 2025?
stages = classify_lifecycle(tx, as_of="2025-06-30", amount="amount")
print("Stages on 2025-06-30:")
print(stages["stage"].value_counts(sort=False).to_string())

# 2. Who is slipping away: at risk, most recent first, with the figures behind the stage.
slipping = stages[stages["stage"] == "at_risk"].sort_values("recency_days")
print(f"\n{len(slipping)} customers at risk (90+ days without a purchase), e.g.:")
print(slipping[["recency_days", "purchase_days", "last_purchase"]].head(5).to_string())

# 3. What moved in June?
history = lifecycle_history(tx, as_of=["2025-05-31", "2025-06-30"], amount="amount")
moves = transition_matrix(history, "2025-05-31", "2025-06-30")
print("\nJune moves (rows: stage on 31 May, columns: stage on 30 June):")
print(moves.counts.to_string())

# 4. The campaign: a comeback coupon for half of the half-year sleepers on 30 June.
sleepers = stages.index[stages["stage"] == "dormant"]
rng = np.random.default_rng(2025)
group = pd.Series(
    np.where(rng.random(len(sleepers)) < 0.5, "coupon", "held out"), index=sleepers, name="group"
)
coupon = group.index[group == "coupon"]
redeemers = rng.choice(coupon, size=int(0.15 * len(coupon)), replace=False)
redemptions = pd.DataFrame(
    {
        "order_id": np.arange(len(redeemers)) + tx["order_id"].max() + 1,
        "customer_id": redeemers,
        "date": pd.Timestamp("2025-07-02 10:00")
        + pd.to_timedelta(rng.integers(0, 28 * 24, len(redeemers)), unit="h"),
        "amount": 49.0,
    }
)
after = pd.concat([tx, redemptions], ignore_index=True)

# 5. Did it work? Reactivation = share of 30 June sleepers who bought by 31 July.
wake = reactivation_rate(after, start="2025-06-30", end="2025-07-31", by=group, amount="amount")
print(f"\n{wake}")
print(wake.definition)
assert wake.by_segment is not None
print(wake.by_segment.round(3).to_string())
uplift = wake.by_segment.loc["coupon", "rate"] - wake.by_segment.loc["held out", "rate"]
print(f"uplift over the held-out group: {uplift:+.1%}")

# 6. The longer view: quarterly cohorts, share of each cohort buying in later quarters.
cohorts = cohort_retention(tx, freq="Q", amount="amount", as_of="2025-06-30")
print("\nCohort retention (NaN = quarter not over yet):")
print(cohorts.shares.iloc[-6:, :5].round(2).to_string())

# 7. Month by month: the churn rate of each month of the first half of 2025.
monthly = rates_by_period(
    tx, "churn", freq="M", start="2025-01-01", end="2025-06-30", amount="amount"
)
monthly["rate"] = monthly["rate"].round(3)
print("\nMonthly churn (not churned at the previous month end -> churned at this one):")
print(monthly[["period", "numerator", "denominator", "rate"]].to_string(index=False))
