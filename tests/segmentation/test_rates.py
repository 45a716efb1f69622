"""Churn, retention, repurchase and reactivation rates: definitions, denominators, segments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import (
    LifecyclePolicy,
    Rate,
    churn_rate,
    classify_lifecycle,
    cohort_retention,
    rates_by_period,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
)


def campaign_log() -> tuple[pd.DataFrame, pd.Series]:
    """40 half-year sleepers on 30 June 2025; 20 get a comeback coupon, 20 are held out.

    5 coupon holders and 2 held-out sleepers buy again in July: 7 of 40 = 17.5% ("wakes
    15%+"). Also 10 active customers who buy in July and 5 lost ones (over a year) who do.
    """
    rows = []
    group = {}
    for i in range(40):
        cid = f"s{i:02d}"
        last = pd.Timestamp("2024-07-10") + pd.Timedelta(days=4 * i)  # 2024-07-10 .. 2024-12-15
        rows += [(cid, last - pd.Timedelta(days=60), 80.0), (cid, last, 60.0)]
        group[cid] = "coupon" if i % 2 == 0 else "control"
    woke = [f"s{i:02d}" for i in (0, 2, 4, 6, 8)] + ["s01", "s03"]
    rows += [(cid, pd.Timestamp("2025-07-12"), 55.0) for cid in woke]
    for i in range(10):
        rows += [
            (f"a{i}", pd.Timestamp("2025-06-01"), 30.0),
            (f"a{i}", pd.Timestamp("2025-07-20"), 30.0),
        ]
    for i in range(5):
        rows += [
            (f"l{i}", pd.Timestamp("2024-03-01"), 30.0),
            (f"l{i}", pd.Timestamp("2025-07-25"), 30.0),
        ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    return tx, pd.Series(group, name="campaign")


def test_reactivation_rate_of_half_year_sleepers_wakes_15_percent_plus() -> None:
    tx, group = campaign_log()
    at_send = classify_lifecycle(tx, as_of="2025-06-30", amount=None)
    assert (at_send["stage"] == "dormant").sum() == 40
    r = reactivation_rate(tx, start="2025-06-30", end="2025-07-31", by=group, amount=None)
    assert isinstance(r, Rate)
    assert (r.numerator, r.denominator) == (7, 40)
    assert r.value == pytest.approx(0.175)
    assert r.value >= 0.15
    assert r.by_segment is not None
    cols = ["numerator", "denominator", "rate"]
    assert r.by_segment.loc["coupon", cols].tolist() == [5, 20, 0.25]
    assert r.by_segment.loc["control", cols].tolist() == [2, 20, 0.10]
    lo, hi = Rate("x", "", None, None, 5, 20).interval()
    assert (r.by_segment.loc["coupon", "lower"], r.by_segment.loc["coupon", "upper"]) == (lo, hi)
    assert r.by_segment.index.name == "campaign"
    assert r.unassigned == 0
    assert "dormant at 2025-06-30" in r.definition
    assert str(r) == "reactivation rate 17.5% (7 of 40)"


def test_reactivation_rate_can_include_the_lost() -> None:
    tx, _ = campaign_log()
    r = reactivation_rate(
        tx, start="2025-06-30", end="2025-07-31", from_stages=("dormant", "churned"), amount=None
    )
    assert (r.numerator, r.denominator) == (12, 45)
    only_lost = reactivation_rate(
        tx, start="2025-06-30", end="2025-07-31", from_stages="churned", amount=None
    )
    assert (only_lost.numerator, only_lost.denominator) == (5, 5)


def test_reactivation_rate_by_segment_with_partial_assignment() -> None:
    tx, group = campaign_log()
    partial = group.iloc[:10]
    r = reactivation_rate(
        tx, start="2025-06-30", end="2025-07-31", by=partial.to_dict(), amount=None
    )
    assert r.unassigned == 30
    assert r.by_segment is not None
    assert r.by_segment["denominator"].sum() == 10
    assert (r.numerator, r.denominator) == (7, 40)  # the overall rate keeps everyone


def test_reactivation_rate_errors() -> None:
    tx, group = campaign_log()
    with pytest.raises(ConfigError, match="from_stages"):
        reactivation_rate(
            tx, start="2025-06-30", end="2025-07-31", from_stages=("sleeping",), amount=None
        )
    with pytest.raises(ConfigError, match="from_stages"):
        reactivation_rate(tx, start="2025-06-30", end="2025-07-31", from_stages=(), amount=None)
    with pytest.raises(ConfigError) as info:
        reactivation_rate(tx, start="2025-07-31", end="2025-06-30", amount=None)
    assert info.value.field == "end"
    with pytest.raises(ConfigError, match="Series"):
        reactivation_rate(tx, start="2025-06-30", end="2025-07-31", by=["coupon"], amount=None)  # type: ignore[arg-type]
    doubled = pd.concat([group, group.iloc[:2]])
    with pytest.raises(InvalidInputError, match="one segment per customer"):
        reactivation_rate(tx, start="2025-06-30", end="2025-07-31", by=doubled, amount=None)


def test_churn_rate_hand_checked() -> None:
    # On 31 Dec 2024: 1 (last 15 Mar 2024) dormant, 2 at risk, 3 active, 4 already churned.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "date": pd.to_datetime(["2024-03-15", "2024-06-01", "2024-11-20", "2023-01-10"]),
        }
    )
    r = churn_rate(tx, start="2024-12-31", end="2025-03-31", amount=None)
    assert (r.numerator, r.denominator) == (1, 3)  # 1 passes 365 days on 15 March 2025
    assert r.name == "churn"
    short = churn_rate(tx, start="2024-12-31", end="2025-03-14", amount=None)
    assert short.numerator == 0  # 364 days: still dormant
    strict = churn_rate(
        tx,
        start="2024-12-31",
        end="2025-03-31",
        policy=LifecyclePolicy(at_risk_days=60, dormant_days=120, churned_days=200),
        amount=None,
    )
    # 200-day churn: 1 (291 days) and 2 (213 days) are already churned at the start; 3 is
    # the whole base and is dormant (131 days) at the end.
    assert (strict.numerator, strict.denominator) == (0, 1)


def test_churn_rate_by_segment() -> None:
    tx, group = campaign_log()
    r = churn_rate(tx, start="2025-06-30", end="2025-12-31", by=group, amount=None)
    # Sleepers who did not wake and whose last purchase falls before 31 Dec 2024 churn.
    assert r.denominator == 50  # 40 sleepers + 10 active; the 5 lost are already churned
    assert r.by_segment is not None
    assert r.unassigned == 10  # the active customers have no campaign group
    churned_sleepers = r.by_segment["numerator"].sum()
    assert churned_sleepers == 33  # the 40 sleepers minus the 7 who woke in July
    assert r.numerator == churned_sleepers


def test_retention_rate_hand_checked() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4],
            "date": pd.to_datetime(
                ["2025-05-03", "2025-06-09", "2025-05-20", "2025-05-28", "2025-06-30", "2025-06-02"]
            ),
        }
    )
    r = retention_rate(
        tx, base_start="2025-04-30", start="2025-05-31", end="2025-06-30", amount=None
    )
    assert (r.numerator, r.denominator) == (2, 3)  # 4 is new in June: not in the base
    assert r.start == pd.Timestamp("2025-05-31")
    # The default base period has the length of (start, end]: 30 days, (1 May, 31 May].
    d = retention_rate(tx, start="2025-05-31", end="2025-06-30", amount=None)
    assert (d.numerator, d.denominator) == (2, 3)
    late = retention_rate(tx, start="2025-05-31", end="2025-06-29", amount=None)
    assert (late.numerator, late.denominator) == (1, 3)  # 3's 30 June purchase is outside


def test_retention_rate_order_errors() -> None:
    tx = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2025-05-03"])})
    with pytest.raises(ConfigError) as info:
        retention_rate(
            tx, base_start="2025-06-30", start="2025-05-31", end="2025-06-30", amount=None
        )
    assert info.value.field == "start"


def test_repurchase_rate_hand_checked() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 5],
            "date": [
                pd.Timestamp("2025-06-02 09:00"),
                pd.Timestamp("2025-06-20 12:00"),
                pd.Timestamp("2025-06-05 10:00"),
                pd.Timestamp("2025-06-05 18:00"),  # same day: one purchase day
                pd.Timestamp("2025-06-11 15:30"),
                pd.Timestamp("2025-07-01 10:00"),  # after the period
            ],
            "amount": [20.0, 35.0, 10.0, 12.0, 8.0, 9.0],
        }
    )
    r = repurchase_rate(tx, start="2025-05-31", end="2025-06-30", amount="amount")
    assert (r.numerator, r.denominator) == (1, 3)
    assert r.future_rows == 1
    assert "two or more distinct days" in r.definition


def test_argsort_keys_matches_a_stable_argsort() -> None:
    from crmkit.segmentation._lifecycle_engine import argsort_keys

    rng = np.random.default_rng(0)
    for keys in (
        rng.integers(0, 40, 500),
        rng.integers(-5, 40, 50),  # negative: falls back to numpy
        rng.integers(0, 2**60, 50),  # too wide to pack: falls back
        np.zeros(0, dtype=np.int64),
    ):
        assert (argsort_keys(keys) == np.argsort(keys, kind="stable")).all()


def test_rate_value_interval_and_empty_denominator() -> None:
    r = Rate("reactivation", "d", None, None, numerator=18, denominator=100)
    lo, hi = r.interval()
    assert lo < 0.18 < hi
    assert float(r) == 0.18
    empty = Rate("churn", "d", None, None, numerator=0, denominator=0)
    assert math.isnan(empty.value)
    assert empty.interval() == (0.0, 1.0)
    assert str(empty) == "churn rate undefined (0 of 0)"


def test_rates_on_sample_data_are_consistent_with_stages() -> None:
    tx = datasets.transactions(n_customers=600, seed=4)
    kept = tx.copy()
    start, end = "2025-03-31", "2025-06-30"
    stages = classify_lifecycle(tx, as_of=start, amount="amount")
    r = reactivation_rate(tx, start=start, end=end, amount="amount")
    assert r.denominator == int((stages["stage"] == "dormant").sum())
    later = classify_lifecycle(tx, as_of=end, amount="amount")
    dormant = stages.index[stages["stage"] == "dormant"]
    assert r.numerator == int(
        (later.loc[dormant, "last_purchase"] > pd.Timestamp("2025-04-01")).sum()
    )
    c = churn_rate(tx, start=start, end=end, amount="amount")
    assert c.denominator == int((stages["stage"] != "churned").sum())
    base = stages.index[stages["stage"] != "churned"]
    assert c.numerator == int((later.loc[base, "stage"] == "churned").sum())
    for rate in (
        r,
        c,
        retention_rate(tx, start=start, end=end, amount=None),
        repurchase_rate(tx, start=start, end=end, amount=None),
    ):
        assert 0 <= rate.numerator <= rate.denominator
        assert rate.future_rows == int((tx["date"] >= pd.Timestamp("2025-07-01")).sum())
    pd.testing.assert_frame_equal(tx, kept)


def test_segments_from_a_categorical_keep_their_order() -> None:
    tx, group = campaign_log()
    cat = group.astype(pd.CategoricalDtype(["coupon", "control", "unused"]))
    r = reactivation_rate(tx, start="2025-06-30", end="2025-07-31", by=cat, amount=None)
    assert r.by_segment is not None
    assert r.by_segment.index.tolist() == ["coupon", "control", "unused"]
    assert np.isnan(r.by_segment.loc["unused", "rate"])
    assert r.by_segment.loc["unused", "denominator"] == 0
    assert r.by_segment.loc["unused", ["lower", "upper"]].tolist() == [0.0, 1.0]


# --------------------------------------------------------------------------- rates per period


def test_monthly_churn_over_a_year_hand_checked() -> None:
    """Customer 1 last bought 2024-01-15: churned (365 days) on 2025-01-14, so in January;
    customer 2 last bought 2024-03-01: churned on 2025-03-01 (March); customer 3 stays."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 3],
            "date": pd.to_datetime(["2024-01-15", "2024-03-01", "2024-06-01", "2025-02-01"]),
        }
    )
    table = rates_by_period(tx, "churn", start="2025-01-01", end="2025-04-30", amount=None)
    assert [str(p) for p in table["period"]] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert table["numerator"].tolist() == [1, 0, 1, 0]
    assert table["denominator"].tolist() == [3, 2, 2, 1]
    assert table.attrs["rate"] == "churn"


def test_rates_by_period_leaves_out_a_partly_observed_last_period() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(["2025-01-03", "2025-01-09", "2025-02-10"]),
        }
    )
    table = rates_by_period(tx, "repurchase", end="2025-02-27", amount=None)
    assert [str(p) for p in table["period"]] == ["2025-01"]
    assert table.attrs["future_rows"] == 1  # February's row: its period is not complete
    table = rates_by_period(tx, "repurchase", end="2025-02-28", amount=None)
    assert [str(p) for p in table["period"]] == ["2025-01", "2025-02"]
    with pytest.raises(ConfigError, match="complete 'M' period"):
        rates_by_period(tx, "repurchase", end="2025-01-30", amount=None)


def test_rates_by_period_by_segment_and_errors() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                ["2025-01-03", "2025-02-09", "2025-01-10", "2025-01-20", "2025-01-21"]
            ),
        }
    )
    by = pd.Series({1: "a", 2: "b"}, name="group")
    table = rates_by_period(
        tx, "retention", start="2025-02-01", end="2025-02-28", by=by, amount=None
    )
    assert table[["segment", "numerator", "denominator"]].values.tolist() == [
        ["a", 1, 1],
        ["b", 0, 1],
    ]
    assert table.attrs["unassigned"] == [1]  # customer 3 bought in January, no segment
    with pytest.raises(ConfigError, match="'rate'"):
        rates_by_period(tx, "loyalty", amount=None)
    with pytest.raises(ConfigError, match="'freq'"):
        rates_by_period(tx, "churn", freq="H", amount=None)
    with pytest.raises(ConfigError, match="'from_stages'"):
        rates_by_period(tx, "reactivation", from_stages=["asleep"], amount=None)


def test_by_segment_lists_every_segment_even_one_without_customers_in_the_data() -> None:
    """Regression: segments were taken from the customers in the data only, so a group
    whose customers had not bought yet vanished instead of showing 0 of 0."""
    tx = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2025-06-02", "2025-06-03"])})
    groups = pd.Series({1: "coupon", 2: "coupon", 9: "held out"}, name="group")
    r = repurchase_rate(tx, start="2025-05-31", end="2025-06-30", by=groups, amount=None)
    assert r.by_segment is not None
    assert r.by_segment.index.tolist() == ["coupon", "held out"]
    assert r.by_segment.loc["held out", "denominator"] == 0
    assert np.isnan(r.by_segment.loc["held out", "rate"])


def test_no_rate_or_cohort_function_modifies_the_callers_frame() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["b", "a", "b", "c", "a"]),
            "date": ["2025-03-02", "2025-01-05", "2024-11-20", "2025-02-28 23:59", "2025-01-05"],
            "amount": [20.0, -5.0, 30.0, 12.5, 40.0],
        }
    )
    kept = tx.copy(deep=True)
    churn_rate(tx, start="2025-01-31", end="2025-03-31", amount="amount")
    retention_rate(tx, start="2025-01-31", end="2025-03-31", amount="amount")
    repurchase_rate(tx, start="2025-01-31", end="2025-03-31", amount="amount")
    reactivation_rate(tx, start="2025-01-31", end="2025-03-31", amount="amount")
    rates_by_period(tx, "retention", end="2025-03-31", amount="amount")
    cohort_retention(tx, metric="revenue", amount="amount")
    pd.testing.assert_frame_equal(tx, kept)
