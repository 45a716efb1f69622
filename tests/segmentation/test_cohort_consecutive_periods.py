"""Cohort tables keep every period: an empty cohort is a row, a quiet offset a column.

A month in which nobody bought for the first time used to be left out of the rows, so the
rows under it shifted and a reader (or a plot) could not tell "no new customers" from "a
month missing". Rows now run over consecutive periods from the first cohort to the last;
an empty cohort has size 0, counts 0 where observable (nobody of it bought: a real zero)
and shares NaN (a rate of nobody is undefined), as PostHog's retention table keeps an
interval with no users and leaves it out of its means.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.segmentation import cohort_retention
from tests.strategies import examples, purchase_logs


def gap_log() -> pd.DataFrame:
    """January: customer 1; February: nobody new; March: customers 2 and 3."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-04-07", "2025-03-02", "2025-03-09", "2025-03-20"]
            ),
            "amount": [10.0, 20.0, 30.0, 40.0, -5.0],
        }
    )


def test_a_month_without_new_customers_is_an_empty_row() -> None:
    """Hand-checked: February is a row of size 0, counts 0 where seen, shares NaN."""
    table = cohort_retention(gap_log(), as_of="2025-04-30", amount=None)
    index = pd.PeriodIndex(["2025-01", "2025-02", "2025-03"], freq="M", name="cohort")
    columns = pd.RangeIndex(4, name="periods_since")
    nan = np.nan
    expected_counts = pd.DataFrame(
        [[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, nan], [2.0, 0.0, nan, nan]],
        index=index,
        columns=columns,
    )
    expected_shares = pd.DataFrame(
        [[1.0, 0.0, 0.0, 1.0], [nan, nan, nan, nan], [1.0, 0.0, nan, nan]],
        index=index,
        columns=columns,
    )
    pd.testing.assert_frame_equal(table.counts, expected_counts)
    pd.testing.assert_frame_equal(table.shares, expected_shares)
    pd.testing.assert_series_equal(
        table.sizes, pd.Series([1, 0, 2], index=index, name="customers", dtype=np.int64)
    )


def test_an_empty_cohort_under_revenue_is_zero_revenue_and_no_share() -> None:
    """Revenue: the empty cohort brought 0 (a real zero); its shares are undefined."""
    table = cohort_retention(gap_log(), as_of="2025-04-30", metric="revenue", amount="amount")
    feb = pd.Period("2025-02", "M")
    assert table.counts.loc[feb].tolist()[:3] == [0.0, 0.0, 0.0]
    assert np.isnan(table.counts.loc[feb, 3])
    assert table.shares.loc[feb].isna().all()
    assert table.counts.loc[pd.Period("2025-03", "M"), 0] == 65.0  # 30 + 40 - 5
    assert table.sizes.tolist() == [1, 0, 2]


def test_weeks_and_quarters_keep_empty_cohorts_and_quiet_offsets() -> None:
    """Weeks: five empty weekly cohorts between the two; offsets nobody bought in stay."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            # Mon 6 Jan; Wed 22 Jan (two weeks on: offset 1 had no activity at all);
            # Mon 17 Feb (six weeks after the first cohort).
            "date": pd.to_datetime(["2025-01-06", "2025-01-22", "2025-02-17"]),
        }
    )
    weeks = cohort_retention(tx, freq="W", as_of="2025-02-23", amount=None)
    assert [str(p.start_time.date()) for p in weeks.counts.index] == [
        "2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27", "2025-02-03", "2025-02-10",
        "2025-02-17",
    ]  # fmt: skip
    assert weeks.sizes.tolist() == [1, 0, 0, 0, 0, 0, 1]
    assert weeks.counts.columns.tolist() == list(range(7))
    # Offset 1: nobody bought in any cohort; it is still a column, a real 0 for week 1.
    assert weeks.counts.iloc[0].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert weeks.counts.iloc[-1, 0] == 1.0
    assert weeks.counts.iloc[-1, 1:].isna().all()
    assert weeks.shares.iloc[1:6].isna().all().all()

    quarters = cohort_retention(
        pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-02-01", "2024-11-30"])}),
        freq="Q",
        as_of="2024-12-31",
        amount=None,
    )
    assert [str(p) for p in quarters.counts.index] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert quarters.sizes.tolist() == [1, 0, 0, 1]


def test_no_purchase_still_gives_an_empty_table() -> None:
    """No cohort at all: still no row (not one empty cohort at the as_of period)."""
    table = cohort_retention(gap_log(), as_of="2024-12-31", amount=None)
    assert table.counts.shape == (0, 1)
    assert len(table.sizes) == 0


def test_downstream_plot_labels_an_empty_cohort_and_leaves_it_blank() -> None:
    """The heatmap draws the February row blank and labels it n=0."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmkit.plotting import plot_cohort_retention

    ax = plot_cohort_retention(cohort_retention(gap_log(), as_of="2025-04-30", amount=None))
    try:
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == ["2025-01 (n=1)", "2025-02 (n=0)", "2025-03 (n=2)"]
        assert ax.images[0].get_array().mask[1].all()
        # The default title says what a blank row of n=0 means (not "not observable yet").
        assert "n=0: nobody bought for the first time" in ax.get_title()
    finally:
        plt.close(ax.figure)
    full = plot_cohort_retention(
        cohort_retention(gap_log(), as_of="2025-04-30", amount=None).counts.iloc[[0, 2]]
    )  # a frame: no sizes, no such note
    try:
        assert full.get_title() == "Cohort retention (blank: not observable yet)"
    finally:
        plt.close(full.figure)


def test_dask_keeps_the_empty_cohort_too(dask_client: Any) -> None:
    """The Dask path builds the same table, empty row included."""
    dd = pytest.importorskip("dask.dataframe")
    expected = cohort_retention(gap_log(), as_of="2025-04-30", amount=None)
    got = cohort_retention(
        dd.from_pandas(gap_log(), npartitions=2), as_of="2025-04-30", amount=None
    )
    pd.testing.assert_frame_equal(got.counts, expected.counts)
    pd.testing.assert_frame_equal(got.shares, expected.shares)
    pd.testing.assert_series_equal(got.sizes, expected.sizes)


@settings(max_examples=examples(40), deadline=None)
@given(
    purchase_logs(),
    st.integers(0, 1100),
    st.sampled_from(["D", "W", "M", "Q", "Y"]),
    st.sampled_from(["customers", "revenue"]),
)
def test_rows_and_columns_are_consecutive_and_sizes_add_up(
    tx: pd.DataFrame, offset: int, freq: str, metric: str
) -> None:
    """Rows are every period from the first cohort to the last; columns every offset from 0
    to the last complete period; sizes add up to the buyers; empty cohorts have no share."""
    as_of = dt.date(2023, 1, 1) + dt.timedelta(days=offset)
    seen = tx[tx["date"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    table = cohort_retention(tx, freq=freq, metric=metric, as_of=as_of, amount="amount")
    if seen.empty:
        assert len(table.counts) == 0
        return
    pfreq = "W-SUN" if freq == "W" else freq
    firsts = seen.groupby("customer_id")["date"].min().dt.to_period(pfreq)
    expected_rows = pd.period_range(firsts.min(), firsts.max(), freq=pfreq, name="cohort")
    pd.testing.assert_index_equal(table.counts.index, expected_rows)
    pd.testing.assert_index_equal(table.shares.index, expected_rows)
    pd.testing.assert_index_equal(table.sizes.index, expected_rows)
    last_complete = pd.Period(as_of, pfreq)
    if last_complete.end_time.date() != as_of:
        last_complete -= 1
    n_cols = max((last_complete - firsts.min()).n + 1, 1)
    pd.testing.assert_index_equal(table.counts.columns, pd.RangeIndex(n_cols, name="periods_since"))
    assert int(table.sizes.sum()) == seen["customer_id"].nunique()
    assert table.sizes.tolist() == [int((firsts == p).sum()) for p in expected_rows]
    empty = (table.sizes == 0).to_numpy()
    assert table.shares[empty].isna().all().all()
    for cohort, row in table.counts.iterrows():
        for k, value in row.items():
            observable = cohort + int(k) <= last_complete  # type: ignore[operator]
            assert np.isnan(value) != observable, (cohort, k)
            if observable and table.sizes[cohort] == 0:
                assert value == 0.0
