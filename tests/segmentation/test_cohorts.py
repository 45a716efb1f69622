"""Cohort retention tables: hand-checked counts and shares, censoring as NaN, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation import CohortTable, cohort_retention
from tests.strategies import examples


def sample() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3, 4, 5, 5],
            "date": pd.to_datetime(
                [
                    "2025-01-03",
                    "2025-02-10",
                    "2025-03-15",
                    "2025-01-20",
                    "2025-02-02",
                    "2025-03-30",
                    "2025-02-14",
                    "2025-03-03",
                    "2025-03-04",
                ]
            ),
            "amount": [50.0, 20.0, 30.0, 80.0, 40.0, 10.0, 25.0, 60.0, -60.0],
        }
    )


def test_customers_table_hand_checked() -> None:
    table = cohort_retention(sample(), as_of="2025-03-31", amount=None)
    assert isinstance(table, CohortTable)
    expected = pd.DataFrame(
        [[2.0, 1.0, 1.0], [2.0, 1.0, np.nan], [1.0, np.nan, np.nan]],
        index=pd.PeriodIndex(["2025-01", "2025-02", "2025-03"], freq="M", name="cohort"),
        columns=pd.RangeIndex(3, name="periods_since"),
    )
    pd.testing.assert_frame_equal(table.counts, expected)
    assert table.shares.loc[pd.Period("2025-01", "M")].tolist() == [1.0, 0.5, 0.5]
    assert table.sizes.tolist() == [2, 2, 1]
    assert table.metric == "customers"
    assert table.freq == "M"
    assert table.as_of == pd.Timestamp("2025-03-31")


def test_refunds_count_as_revenue_not_as_purchases() -> None:
    table = cohort_retention(sample(), as_of="2025-03-31", metric="revenue", amount="amount")
    assert table.counts.loc[pd.Period("2025-01", "M")].tolist() == [130.0, 20.0, 30.0]
    assert table.counts.loc[pd.Period("2025-03", "M"), 0] == 0.0  # 60 bought, 60 refunded
    assert table.non_purchase_rows == 1
    assert table.shares.loc[pd.Period("2025-02", "M"), 1] == pytest.approx(10 / 65)
    by_customers = cohort_retention(sample(), as_of="2025-03-31", amount="amount")
    assert by_customers.sizes.tolist() == [2, 2, 1]


def test_a_period_that_has_not_ended_is_nan_not_zero() -> None:
    # as_of in the middle of March: March cells cannot be seen whole yet.
    table = cohort_retention(sample(), as_of="2025-03-20", amount=None)
    assert table.counts.columns.tolist() == [0, 1]
    assert table.counts.loc[pd.Period("2025-01", "M")].tolist() == [2.0, 1.0]
    assert np.isnan(table.counts.loc[pd.Period("2025-02", "M"), 1])
    assert table.counts.loc[pd.Period("2025-03", "M")].isna().all()
    assert table.sizes[pd.Period("2025-03", "M")] == 1
    assert table.future_rows == 1


def test_default_as_of_is_the_end_of_the_last_day() -> None:
    table = cohort_retention(sample(), amount=None)
    assert table.as_of == pd.Timestamp("2025-03-30")
    assert table.counts.columns.tolist() == [0, 1]  # March ends on the 31st: not complete
    assert table.counts.loc[pd.Period("2025-03", "M")].isna().all()


def test_zero_is_a_real_zero() -> None:
    tx = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2025-01-05", "2025-01-06"])})
    table = cohort_retention(tx, as_of="2025-04-30", amount=None)
    assert table.counts.iloc[0].tolist() == [2.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(("period", "label"), [("Q", "2025Q1"), ("Y", "2025"), ("D", "2025-01-03")])
def test_other_periods(period: str, label: str) -> None:
    table = cohort_retention(sample(), freq=period, as_of="2025-12-31", amount=None)
    assert str(table.counts.index[0]) == label
    assert table.counts.iloc[0, 0] >= 1


def test_weeks_run_monday_to_sunday() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(["2025-03-03", "2025-03-10", "2025-03-09"]),
        }
    )  # Mon 3rd, Mon 10th, Sun 9th
    table = cohort_retention(tx, freq="W", as_of="2025-03-16", amount=None)
    assert table.sizes.tolist() == [2]
    assert table.counts.iloc[0].tolist() == [2.0, 1.0]
    assert table.counts.index[0].start_time == pd.Timestamp("2025-03-03")


def test_sample_data_never_reports_unobservable_zeros() -> None:
    tx = datasets.transactions(n_customers=500, seed=2)
    table = cohort_retention(tx, amount="amount", as_of="2025-06-30")
    last = pd.Period("2025-06", "M")
    for cohort, row in table.counts.iterrows():
        visible = row.dropna()
        assert cohort + int(visible.index.max()) == last  # type: ignore[operator]
    assert (table.shares[0].dropna() == 1.0).all()
    assert table.future_rows > 0


def test_input_is_not_modified_and_row_order_does_not_matter() -> None:
    tx = sample()
    shuffled = tx.sample(frac=1, random_state=0)
    kept = shuffled.copy()
    a = cohort_retention(tx, as_of="2025-03-31", metric="revenue", amount="amount")
    b = cohort_retention(shuffled, as_of="2025-03-31", metric="revenue", amount="amount")
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(shuffled, kept)


def test_no_purchase_up_to_as_of_gives_an_empty_table() -> None:
    table = cohort_retention(sample(), as_of="2024-12-31", amount=None)
    assert len(table.counts) == 0
    assert table.counts.index.dtype == pd.PeriodDtype("M")
    assert table.future_rows == len(sample())


def test_refund_only_customers_are_orphans() -> None:
    tx = sample()
    tx.loc[len(tx)] = [9, pd.Timestamp("2025-02-01"), -5.0]
    table = cohort_retention(tx, as_of="2025-03-31", amount="amount", metric="revenue")
    assert table.orphan_rows == 1
    assert 9 not in table.sizes.index


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"freq": "fortnight"}, "freq"),
        ({"metric": "orders"}, "metric"),
        ({"metric": "revenue", "amount": None}, "amount"),
    ],
)
def test_config_errors(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        cohort_retention(sample(), **{"amount": None, **kwargs})  # type: ignore[arg-type]
    assert info.value.field == field


def test_input_errors() -> None:
    with pytest.raises(SchemaError, match="'signup'"):
        cohort_retention(sample(), date="signup", amount=None)
    bad = sample()
    bad.loc[2, "customer_id"] = None
    with pytest.raises(InvalidInputError) as info:
        cohort_retention(bad, amount=None)
    assert info.value.rows == (2,)


@settings(max_examples=examples(200), deadline=None)
@given(
    lo=st.integers(-700_000, 700_000),
    width=st.integers(0, 5_000),
    n=st.integers(1, 3_000),
    seed=st.integers(0, 2**32 - 1),
)
def test_months_of_equals_the_calendar_conversion(lo: int, width: int, n: int, seed: int) -> None:
    """The per-span lookup gives numpy's own day -> month conversion, for spans shorter
    and longer than the array, before 1970 and after."""
    from crmkit.segmentation._cohorts import _months_of

    days = np.random.default_rng(seed).integers(lo, lo + width + 1, n)
    expected = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    assert np.array_equal(_months_of(days), expected)
