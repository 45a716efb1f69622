"""Did the wake-up campaign work? A comeback coupon for half-year sleepers, against control.

On the built-in sample data: the half-year sleepers at the end of June 2025 (the lifecycle
policy's dormant stage, with some spend in the last year) as a stored audience, a fifth
held out by GrowthBook-compatible hashing (stratified by past value), the sample-ratio
check, then the campaign measured over July and August: response rates, the uplift, the
incremental revenue (Welch and CUPED), and the uplift by value segment.

The sample data have no campaign in them, so July and August are simulated: a summer sale
brings back about 6 % of all sleepers, and the coupon wakes about as many again among the
treated, who then wake at about 15 %, the playbook's figure.

Run: .venv/bin/python examples/campaign_wake_up.py
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from crmkit import datasets
from crmkit.campaigns import (
    AllOf,
    Audience,
    Compare,
    In,
    assign,
    measure,
    minimum_detectable_uplift,
    srm_check,
)
from crmkit.segmentation import classify_lifecycle

pd.set_option("display.width", 120)

tx = datasets.transactions(n_customers=20_000, seed=11)
stages = classify_lifecycle(tx, as_of="2025-06-30", amount="amount")
year = tx[(tx["date"] >= "2024-07-01") & (tx["date"] < "2025-07-01")]
stages["spend_12m"] = (
    year.groupby("customer_id")["amount"].sum().reindex(stages.index, fill_value=0.0).round(2)
)

rule = Audience(
    "half-year sleepers", AllOf([In("stage", ["dormant"]), Compare("spend_12m", ">", 0)])
)
print("Audience (stored as JSON):", json.dumps(rule.to_dict()["rule"]))
sleepers = stages.loc[rule.select(stages), ["recency_days", "spend_12m"]]
sleepers["value"] = np.where(sleepers["spend_12m"] >= 100, "high", "low")
plan = minimum_detectable_uplift(len(sleepers), 0.08, control_share=0.2)
print(
    f"{len(sleepers):,} sleepers; with 20 % held out the test detects {plan.uplift:.1%} "
    "(80 % power, 5 % level, baseline 8 %)"
)

arms = assign(
    sleepers.reset_index(), campaign="comeback-coupon-2025-07", control_share=0.2, strata="value"
)
print(arms.groupby("value")["arm"].value_counts().unstack().to_string())
print(f"sample-ratio check: p = {srm_check(arms).p_value:.3f}")

rng = np.random.default_rng(2025)
treated = (arms["arm"] == "treatment").to_numpy()
who = arms.index[rng.random(len(arms)) < np.where(treated, 0.125, 0.06)]
past = sleepers.loc[who, "spend_12m"].to_numpy()
summer = pd.DataFrame(
    {
        "customer_id": who,
        "date": pd.Timestamp("2025-07-01")
        + pd.to_timedelta(rng.integers(0, 61 * 24, len(who)), unit="h"),
        "amount": (15 + 0.5 * past + rng.gamma(2.0, 10.0, len(who))).round(2),
    }
)
after = pd.concat([tx, summer], ignore_index=True)

result = measure(arms, after, start="2025-07-01", end="2025-08-31", pre_start="2024-07-01")
print()
for arm in result.arms.values():
    print(f"{arm.arm:<10}", arm.response_rate.format(percent=True))
print("uplift    ", result.uplift.format(percent=True))
print("lift      ", result.relative_lift.format(percent=True, decimals=0))
print("revenue   ", result.incremental_revenue.format(decimals=2))
print("with CUPED", result.incremental_revenue_cuped.format(decimals=2))
print(f"CUPED variance reduction: {result.variance_reduction:.0%}")
print()
print(result.segments()[["control_rate", "treatment_rate", "uplift", "p_holm"]].round(3))
