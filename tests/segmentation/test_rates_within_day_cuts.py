"""Rates whose ``start``/``end`` fall inside a day: the purchases themselves decide.

A purchase day counts in a window when it has a purchase in that window. A day that an
instant cut splits (09:00 and 18:00, ``start`` at 12:00) is a purchase day on both sides;
before the fix the whole day was filed at its first purchase, so the 18:00 purchase after
a noon ``start`` was missed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.segmentation import (
    LifecyclePolicy,
    churn_rate,
    classify_lifecycle,
    rates_by_period,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
)
from tests.strategies import examples, purchase_logs

NOON = "2025-06-05 12:00"


def split_day_log() -> pd.DataFrame:
    """Customer 1 buys at 09:00 and 18:00 on 5 June and again on 10 June; 2 only at 09:00."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "date": pd.to_datetime(
                ["2025-06-05 09:00", "2025-06-05 18:00", "2025-06-10 10:00", "2025-06-05 09:00"]
            ),
        }
    )


def test_repurchase_counts_the_18_00_purchase_after_a_noon_start() -> None:
    """(12:00 5 June, 30 June]: customer 1 bought on 5 June (18:00) and 10 June: 2 days."""
    r = repurchase_rate(split_day_log(), start=NOON, end="2025-06-30", amount=None)
    assert (r.numerator, r.denominator) == (1, 1)  # customer 2 bought before noon only


def test_a_split_day_alone_is_one_purchase_day_after_the_cut() -> None:
    """Only the 18:00 purchase is in the period: a buyer on one day, not a repurchaser."""
    tx = split_day_log().iloc[[0, 1]]
    r = repurchase_rate(tx, start=NOON, end="2025-06-30", amount=None)
    assert (r.numerator, r.denominator) == (0, 1)


def test_retention_sees_the_purchase_after_the_cut_on_the_same_day() -> None:
    """Bought at 09:00 in the base (1 June, 12:00 5 June], again at 18:00 in the period."""
    tx = split_day_log()
    r = retention_rate(tx, base_start="2025-06-01", start=NOON, end="2025-06-07", amount=None)
    assert (r.numerator, r.denominator) == (1, 2)


def test_reactivation_sees_the_purchase_after_the_cut_on_the_same_day() -> None:
    """Customer 1 is new at noon and buys again at 18:00: reactivated out of ``new``."""
    tx = split_day_log()
    r = reactivation_rate(tx, start=NOON, end="2025-06-07", from_stages=("new",), amount=None)
    assert (r.numerator, r.denominator) == (1, 2)


def test_whole_day_window_is_unchanged() -> None:
    """``start="2025-06-05"`` is the end of that day: both 5 June purchases are before it."""
    tx = split_day_log()
    r = repurchase_rate(tx, start="2025-06-05", end="2025-06-30", amount=None)
    assert (r.numerator, r.denominator) == (0, 1)  # only 10 June is in the period
    r = retention_rate(
        tx, base_start="2025-06-01", start="2025-06-05", end="2025-06-30", amount=None
    )
    assert (r.numerator, r.denominator) == (1, 2)
    r = repurchase_rate(tx, start="2025-06-04", end="2025-06-30", amount=None)
    assert (r.numerator, r.denominator) == (1, 2)  # 5 June (twice: one day) and 10 June


def test_two_cuts_inside_one_day_read_the_rows_between_them() -> None:
    """Base (10:00, 14:00] on 5 June holds a purchase only if a row lies in it."""
    kwargs: dict[str, Any] = {
        "base_start": "2025-06-05 10:00",
        "start": "2025-06-05 14:00",
        "end": "2025-06-05 22:00",
        "amount": None,
    }
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2025-06-05 09:00", "2025-06-05 21:00"]),
        }
    )
    r = retention_rate(tx, **kwargs)
    assert (r.numerator, r.denominator) == (0, 0)
    noon = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2025-06-05 12:00"])})
    r = retention_rate(pd.concat([tx, noon], ignore_index=True), **kwargs)
    assert (r.numerator, r.denominator) == (1, 1)


def test_churn_at_an_instant_matches_the_stages_at_those_instants() -> None:
    """Churn reads stages only; at an instant they are classify_lifecycle's at it."""
    tx = datasets.transactions(200, seed=5)
    tx = tx.assign(date=tx["date"] + pd.to_timedelta(np.arange(len(tx)) % 24, unit="h"))
    start, end = pd.Timestamp("2024-06-30 12:00"), pd.Timestamp("2025-03-31 07:30")
    before = classify_lifecycle(tx, as_of=start)["stage"]
    after = classify_lifecycle(tx, as_of=end)["stage"].reindex(before.index)
    base = before != "churned"
    r = churn_rate(tx, start=start, end=end)
    assert (r.numerator, r.denominator) == (int((after[base] == "churned").sum()), int(base.sum()))


# --------------------------------------------------------------------------- the oracle


def _by_hand(tx: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
    """Each customer's distinct purchase days among the rows in ``(lo, hi]``."""
    inside = tx[(tx["date"] > lo) & (tx["date"] <= hi) & (tx["amount"] > 0)]
    pairs = inside.assign(day=inside["date"].dt.normalize())[["customer_id", "day"]]
    return pairs.drop_duplicates()["customer_id"].value_counts()


_SECONDS = st.integers(0, 930 * 86_400)  # the span of purchase_logs, in seconds
_ORIGIN = pd.Timestamp("2023-01-01")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(purchase_logs(), _SECONDS, st.integers(1, 200 * 86_400), st.integers(1, 200 * 86_400))
def test_instant_window_rates_equal_the_rows_counted_by_hand(
    tx: pd.DataFrame, at: int, length: int, base_length: int
) -> None:
    """Retention and repurchase over instant windows, from the raw rows."""
    start = _ORIGIN + pd.Timedelta(seconds=at)
    end = start + pd.Timedelta(seconds=length)
    base_start = start - pd.Timedelta(seconds=base_length)
    base_days = _by_hand(tx, base_start, start)
    days = _by_hand(tx, start, end)

    rep = repurchase_rate(tx, start=start, end=end)
    assert (rep.numerator, rep.denominator) == (int((days >= 2).sum()), len(days))

    ret = retention_rate(tx, base_start=base_start, start=start, end=end)
    again = base_days.index.isin(days.index)
    assert (ret.numerator, ret.denominator) == (int(again.sum()), len(base_days))

    stage = classify_lifecycle(tx, as_of=start)["stage"] if (tx["date"] <= start).any() else None
    react = reactivation_rate(tx, start=start, end=end, from_stages=("new", "dormant"))
    sleepers = pd.Index([]) if stage is None else stage.index[stage.isin(["new", "dormant"])]
    assert (react.numerator, react.denominator) == (
        int(sleepers.isin(days.index).sum()),
        len(sleepers),
    )


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    purchase_logs(),
    _SECONDS,
    st.integers(1, 120 * 86_400),
    st.data(),
)
def test_moving_a_purchase_within_its_day_not_across_a_cut_changes_no_rate(
    tx: pd.DataFrame, at: int, length: int, data: st.DataObject
) -> None:
    """Only the day and the side of each cut matter, not the time of day."""
    start = _ORIGIN + pd.Timedelta(seconds=at)
    end = start + pd.Timedelta(seconds=length)
    base_start = start - pd.Timedelta(seconds=length)
    row = data.draw(st.integers(0, len(tx) - 1))
    old = tx["date"].iloc[row]
    new = old.normalize() + pd.Timedelta(seconds=data.draw(st.integers(0, 86_399)))
    assume(all((old <= cut) == (new <= cut) for cut in (base_start, start, end)))
    moved = tx.copy()
    moved.iloc[row, moved.columns.get_loc("date")] = new
    policy = LifecyclePolicy(new_days=10, at_risk_days=40, dormant_days=80, churned_days=200)
    for func, kwargs in (
        (churn_rate, {"policy": policy}),
        (retention_rate, {"base_start": base_start}),
        (repurchase_rate, {}),
        (reactivation_rate, {"policy": policy, "from_stages": ("new", "active", "dormant")}),
    ):
        expected = func(tx, start=start, end=end, **kwargs)
        got = func(moved, start=start, end=end, **kwargs)
        assert (got.numerator, got.denominator) == (expected.numerator, expected.denominator)


def test_whole_day_periods_are_the_single_period_rates() -> None:
    """rates_by_period (whole days) agrees with the single rates on intraday data."""
    tx = datasets.transactions(200, seed=7)
    tx = tx.assign(date=tx["date"] + pd.to_timedelta(np.arange(len(tx)) % 20, unit="h"))
    table = rates_by_period(tx, "repurchase", freq="M", start="2024-07-01", end="2024-12-31")
    july = repurchase_rate(tx, start="2024-06-30", end="2024-07-31")
    assert (table["numerator"].iloc[0], table["denominator"].iloc[0]) == (
        july.numerator,
        july.denominator,
    )


# --------------------------------------------------------------------------- Dask


def test_instant_window_rates_on_dask_equal_pandas(dask_client: Any) -> None:
    """Split days are read per partition, with the same result as the pandas path."""
    dd = pytest.importorskip("dask.dataframe")
    tx = datasets.transactions(300, seed=3)
    tx = tx.assign(date=tx["date"] + pd.to_timedelta(np.arange(len(tx)) % 24, unit="h"))
    split = pd.DataFrame(
        {
            "customer_id": np.repeat(tx["customer_id"].unique()[:6], 2),
            "date": pd.to_datetime(["2024-06-30 09:00", "2024-06-30 18:00"] * 6),
            "amount": 10.0,
        }
    )
    tx = pd.concat([tx, split], ignore_index=True)
    ddf = dd.from_pandas(tx, npartitions=3)
    period = {"start": "2024-06-30 12:00", "end": "2024-12-31 06:00"}
    calls = [
        (retention_rate, {**period, "base_start": "2024-06-29 23:00"}),
        (repurchase_rate, period),
        (reactivation_rate, {**period, "from_stages": ("new", "active")}),
        (churn_rate, period),
    ]
    for func, kwargs in calls:
        expected = func(tx, **kwargs)
        got = func(ddf, **kwargs)
        assert (got.numerator, got.denominator) == (expected.numerator, expected.denominator)
        assert (got.future_rows, got.non_purchase_rows) == (
            expected.future_rows,
            expected.non_purchase_rows,
        )
    # The six split-day customers bought in (23:00 29 June, noon 30 June] and after noon.
    ret = retention_rate(tx, **calls[0][1])
    assert ret.numerator >= 6
