"""Customer lifetime value (客户生命周期价值): rank customers and pick who to win back.

On the built-in sample data: a weekly BTYD summary, an MBG/NBD purchase model checked on
a half-year holdout, a Gamma-Gamma spend model, the 12-month discounted CLV of every
customer, the growth potential of the value/potential matrix from that CLV, and a win-back
list of valuable customers whose P(alive) has fallen below one half.

Run: .venv/bin/python examples/clv_value_ranking.py
"""

from __future__ import annotations

import pandas as pd

from crmkit import datasets
from crmkit.segmentation import (
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ValuePotentialMatrix,
    abc_classify,
    btyd_summary,
    calibration_holdout,
    calibration_holdout_comparison,
    customer_lifetime_value,
    potential_from_value,
)


def main() -> None:
    tx = datasets.transactions(n_customers=3_000, seed=11)
    summary = btyd_summary(tx, amount="amount", freq="W", refunds="drop", as_of="2025-12-31")
    fit = ModifiedBetaGeoModel(time_unit="weeks").fit(summary)
    print("MBG/NBD:", {k: round(v, 3) for k, v in fit.params.items()})

    split = calibration_holdout(tx, calibration_end="2025-06-30", as_of="2025-12-31", freq="W")
    check = ModifiedBetaGeoModel(time_unit="weeks").fit(
        split, frequency="frequency_cal", recency="recency_cal", T="T_cal"
    )
    print("\nHoldout check (mean purchases July-December 2025 by earlier frequency):")
    print(calibration_holdout_comparison(split, check, max_frequency=5).round(2).to_string())

    spend = GammaGammaModel(time_unit="weeks").fit(summary)
    value = customer_lifetime_value(summary, fit, spend, horizon_months=12, discount_rate=0.01)
    print(f"\nTotal 12-month CLV: {value['clv'].sum():,.0f} ({value.attrs['time_unit']} model)")
    print(value.sort_values("clv", ascending=False).head(5).round(2).to_string())

    spend_so_far = tx[tx["amount"] > 0].groupby("customer_id")["amount"].sum()
    classes = abc_classify(spend_so_far)["abc_class"].astype(str)
    potential = potential_from_value(value["clv"]).reindex(classes.index)
    moved = ValuePotentialMatrix.default().apply(classes, potential.astype(str))
    print("\nValue class after growth potential (rows: by past spend):")
    print(pd.crosstab(classes.rename("past"), moved.rename("with potential")).to_string())

    table = summary.join(fit.predict(summary, t=13)).join(value["clv"])
    win_back = table[(table["p_alive"] < 0.5) & (table["frequency"] >= 3)]
    print(f"\nWin-back list: {len(win_back)} customers, worth {win_back['clv'].sum():,.0f}")
    print(
        win_back.sort_values("clv", ascending=False)
        .head(5)[["frequency", "p_alive", "clv"]]
        .round(2)
        .to_string()
    )


if __name__ == "__main__":
    main()
