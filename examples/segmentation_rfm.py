"""From a transaction log to RFM segments, ABC classes and the customer pyramid.

Run: .venv/bin/python examples/segmentation_rfm.py
"""

from __future__ import annotations

import json

import pandas as pd

from crmkit import datasets
from crmkit.segmentation import (
    RFMModel,
    RFMScorer,
    SegmentMap,
    abc_classify,
    class_summary,
    gini,
    pyramid,
    rfm,
    segment_summary,
    top_share,
)

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 10)

# 1. Three years of transactions of 1,000 customers (one row per purchase, refunds negative).
tx = datasets.transactions(n_customers=1_000, seed=7)

# 2. One call: per-customer summary, tie-safe quintile scores, 11-segment map.
scored = rfm(tx, order="order_id")
table = segment_summary(scored)
print("RFM segments, best first:")
print(table[["customers", "customer_share", "revenue_share", "average_order_value"]].round(2))

# 3. The fitted model: cut points, and which dimensions ties kept from filling all scores.
model = RFMModel.from_dict(scored.attrs["rfm_model"])
print("\nCut points:")
print(model.cut_table().round(2))
print("Dimensions with unused scores:", model.incomplete)

# 4. Store the model as JSON and score one customer later, exactly as in the batch.
stored = json.dumps(model.to_dict())
again = RFMModel.from_dict(json.loads(stored))
print(
    "\nOne customer (12 days ago, 6 orders, 850 spent, first order 400 days ago):",
    again.score(12, 6, 850.0, tenure_days=400),
)

# 5. Playbooks: the handbook's three layers, with fixed recency periods in days.
layers = rfm(
    tx,
    order="order_id",
    scorer=RFMScorer(edges={"recency": [30, 90, 180, 365]}, segment_map="three-layer"),
)
three = SegmentMap.three_layer()
print("\nThree layers and what to do with them:")
for name, row in segment_summary(layers).iterrows():
    print(
        f"  {name:<17} {int(row['customers']):>4} customers {row['revenue_share']:6.1%} of revenue"
    )
    print(f"  {'':<17} -> {three.description(str(name))}")

# 6. Value classes, the pyramid and concentration.
spend = scored["monetary"].clip(lower=0)
print("\nABC classes (A to 80 % of revenue, B to 95 %):")
print(class_summary(abc_classify(spend)).round(3))
print("\nCustomer pyramid:")
print(pyramid(spend).round(3))
print(
    f"\nGini {gini(spend):.3f}; top 20 % of customers bring {top_share(spend, 0.2):.1%} of revenue"
)
