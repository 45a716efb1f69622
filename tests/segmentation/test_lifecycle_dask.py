"""classify_lifecycle() and lifecycle_history() on Dask, on a real two-process cluster.

The Dask results must equal the pandas results row for row (after sorting: Dask returns
customers in partition order), including the population's typical gap, which is global.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import SchemaError
from crmkit.segmentation import LifecyclePolicy, classify_lifecycle, lifecycle_history
from crmkit.segmentation._dask import is_dask
from crmkit.segmentation._lifecycle_dask import pooled_typical
from crmkit.segmentation._lifecycle_engine import GapIndex, _population_typical
from tests.strategies import examples

dd = pytest.importorskip("dask.dataframe")

POLICIES = [
    LifecyclePolicy(),
    LifecyclePolicy(basis="quantile", quantile=0.8, min_gaps=2),
    LifecyclePolicy(basis="mean_sd", k=1.5, min_gaps=3),
]


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return datasets.transactions(300, seed=3)


def _same(lazy: Any, expected: pd.DataFrame) -> None:
    assert is_dask(lazy)
    got = lazy.compute().sort_index()
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("policy", POLICIES, ids=["fixed", "quantile", "mean_sd"])
def test_classify_lifecycle_on_dask(dask_client: Any, tx: pd.DataFrame, policy: Any) -> None:
    ddf = dd.from_pandas(tx, npartitions=3)
    expected = classify_lifecycle(tx, as_of="2025-03-31", policy=policy)
    if policy.basis != "fixed":  # the global figure is used, not each partition's own
        assert (expected["gap_source"] == "population").any()
    _same(classify_lifecycle(ddf, as_of="2025-03-31", policy=policy), expected)


def test_classify_lifecycle_on_dask_in_a_zone(dask_client: Any, tx: pd.DataFrame) -> None:
    aware = tx.assign(date=tx["date"].dt.tz_localize("Asia/Shanghai"))
    ddf = dd.from_pandas(aware, npartitions=2)
    kwargs = {"as_of": "2024-12-31 18:00", "policy": POLICIES[1], "timezone": "Europe/Paris"}
    _same(classify_lifecycle(ddf, **kwargs), classify_lifecycle(aware, **kwargs))


@pytest.mark.parametrize("policy", POLICIES, ids=["fixed", "quantile", "mean_sd"])
def test_lifecycle_history_on_dask(dask_client: Any, tx: pd.DataFrame, policy: Any) -> None:
    ddf = dd.from_pandas(tx, npartitions=3)
    # freq: the snapshots span the whole log's purchase days (a global pass).
    _same(
        lifecycle_history(ddf, freq="Q", policy=policy),
        lifecycle_history(tx, freq="Q", policy=policy),
    )
    snapshots = ["2023-06-30", "2024-01-01 12:00", "2025-02-28"]
    _same(
        lifecycle_history(ddf, as_of=snapshots, policy=policy, amount=None),
        lifecycle_history(tx, as_of=snapshots, policy=policy, amount=None),
    )


def test_lifecycle_history_on_dask_with_one_bound(dask_client: Any, tx: pd.DataFrame) -> None:
    ddf = dd.from_pandas(tx, npartitions=2)
    kwargs = {"freq": "M", "start": "2024-06-15", "policy": POLICIES[2]}
    _same(lifecycle_history(ddf, **kwargs), lifecycle_history(tx, **kwargs))


def test_lifecycle_dask_schema_checks_need_no_computation(tx: pd.DataFrame) -> None:
    ddf = dd.from_pandas(tx, npartitions=2)
    with pytest.raises(SchemaError) as info:
        classify_lifecycle(ddf, as_of="2025-01-01", amount="revenue")
    assert info.value.field == "revenue"
    as_text = dd.from_pandas(tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")), npartitions=2)
    with pytest.raises(SchemaError, match="datetime64 column on Dask input"):
        lifecycle_history(as_text, freq="M")


@settings(max_examples=examples(60), deadline=None)
@given(
    gaps=st.lists(st.integers(0, 400), min_size=0, max_size=40),
    quantile=st.floats(0.01, 1.0),
    k=st.floats(0.0, 3.0),
)
def test_pooled_typical_equals_the_engine_on_the_gaps(
    gaps: list[int], quantile: float, k: float
) -> None:
    values, counts = np.unique(np.array(gaps, dtype=np.int64), return_counts=True)
    pool = np.sort(np.array(gaps, dtype=np.float64))
    index = GapIndex(
        value_sorted=pool, pos_sorted=np.zeros(len(pool), np.int64), pool_sorted=pool,
        pool_pos=np.zeros(len(pool), np.int64), cum1=np.zeros(0, np.int64),
        cum2=np.zeros(0, np.int64),
    )  # fmt: skip
    for policy in (
        LifecyclePolicy(basis="quantile", quantile=quantile),
        LifecyclePolicy(basis="mean_sd", k=k),
    ):
        assert pooled_typical(values, counts, policy) == _population_typical(index, policy, None)


def _same_table(got: Any, expected: Any) -> None:
    pd.testing.assert_frame_equal(got.counts, expected.counts)
    pd.testing.assert_frame_equal(got.shares, expected.shares)
    pd.testing.assert_series_equal(got.sizes, expected.sizes)
    assert (got.freq, got.metric, got.as_of) == (expected.freq, expected.metric, expected.as_of)
    assert (got.future_rows, got.non_purchase_rows, got.orphan_rows) == (
        expected.future_rows,
        expected.non_purchase_rows,
        expected.orphan_rows,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"freq": "Q"},  # as_of: the last day of the whole frame (a global pass)
        {"freq": "M", "metric": "revenue", "as_of": "2024-11-20", "refunds": "drop"},
        {"freq": "W", "as_of": "2024-06-30 12:00", "timezone": "America/New_York"},
    ],
    ids=["quarters", "revenue", "weeks-in-a-zone"],
)
def test_cohort_retention_on_dask(dask_client: Any, tx: pd.DataFrame, kwargs: Any) -> None:
    from crmkit.segmentation import cohort_retention

    ddf = dd.from_pandas(tx, npartitions=3)
    expected = cohort_retention(tx, **kwargs)
    assert expected.non_purchase_rows > 0
    assert len(expected.counts) > 1
    _same_table(cohort_retention(ddf, **kwargs), expected)


def test_cohort_retention_on_dask_refuses_revenue_without_amount(tx: pd.DataFrame) -> None:
    from crmkit.errors import ConfigError
    from crmkit.segmentation import cohort_retention

    with pytest.raises(ConfigError, match="metric='revenue'"):
        cohort_retention(dd.from_pandas(tx, npartitions=2), metric="revenue", amount=None)


def _same_rate(got: Any, expected: Any) -> None:
    assert (got.numerator, got.denominator, got.unassigned) == (
        expected.numerator,
        expected.denominator,
        expected.unassigned,
    )
    assert (got.definition, got.start, got.end) == (
        expected.definition,
        expected.start,
        expected.end,
    )
    assert (got.future_rows, got.non_purchase_rows) == (
        expected.future_rows,
        expected.non_purchase_rows,
    )
    if expected.by_segment is None:
        assert got.by_segment is None
    else:
        pd.testing.assert_frame_equal(got.by_segment, expected.by_segment)


def test_every_rate_on_dask(dask_client: Any, tx: pd.DataFrame) -> None:
    from crmkit.segmentation import churn_rate, reactivation_rate, repurchase_rate, retention_rate

    ddf = dd.from_pandas(tx, npartitions=3)
    ids = tx["customer_id"].unique()
    by = pd.Series(np.where(ids % 3 == 0, "a", "b"), index=ids).iloc[5:]  # some unassigned
    period = {"start": "2024-06-30", "end": "2024-12-31"}
    calls = [
        (churn_rate, {**period, "by": by}),
        (churn_rate, {**period, "policy": POLICIES[1]}),  # the population gap is global
        (retention_rate, {**period}),
        (
            retention_rate,
            {
                "base_start": "2024-01-01",
                "start": "2024-06-30 12:00",
                "end": "2024-12-31",
                "by": by,
            },
        ),
        (repurchase_rate, {**period, "by": by}),
        (reactivation_rate, {**period, "policy": POLICIES[2], "by": by}),
    ]
    for func, kwargs in calls:
        expected = func(tx, **kwargs)
        assert expected.numerator > 0
        _same_rate(func(ddf, **kwargs), expected)


@pytest.mark.parametrize("rate", ["churn", "retention", "repurchase", "reactivation"])
def test_rates_by_period_on_dask(dask_client: Any, tx: pd.DataFrame, rate: str) -> None:
    from crmkit.segmentation import rates_by_period

    ddf = dd.from_pandas(tx, npartitions=2)
    by = pd.Series("all", index=tx["customer_id"].unique()[::2])
    for kwargs in (
        {"freq": "Q"},
        {"freq": "M", "start": "2024-01-01", "by": by, "policy": POLICIES[1]},
    ):
        expected = rates_by_period(tx, rate, **kwargs)
        got = rates_by_period(ddf, rate, **kwargs)
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs == expected.attrs


def test_transitions_of_a_dask_history(dask_client: Any, tx: pd.DataFrame) -> None:
    from crmkit.segmentation import stage_flows, transition_matrix

    history = lifecycle_history(tx, freq="Q", policy=POLICIES[1])
    lazy = lifecycle_history(dd.from_pandas(tx, npartitions=3), freq="Q", policy=POLICIES[1])
    start, end = history.columns[2], history.columns[6]  # not adjacent
    expected = transition_matrix(history, start, end)
    got = transition_matrix(lazy, start, end)
    assert int(expected.entered.sum()) > 0
    assert (got.start, got.end) == (expected.start, expected.end)
    pd.testing.assert_frame_equal(got.counts, expected.counts)
    pd.testing.assert_frame_equal(got.shares, expected.shares)
    pd.testing.assert_series_equal(got.entered, expected.entered)
    pd.testing.assert_frame_equal(stage_flows(lazy), stage_flows(history))
