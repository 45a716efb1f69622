"""Property tests of the lifecycle rules: monotonicity, order independence, no look-ahead,
scalar = batch, conservation in transition matrices, censoring in cohort tables."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.segmentation import (
    LifecyclePolicy,
    classify_lifecycle,
    cohort_retention,
    lifecycle_history,
    transition_matrix,
)
from tests.strategies import examples, lifecycle_policies, purchase_logs

#: Stage sets with left-out stages (each keeps ``active``).
STAGE_SUBSETS = (("new", "reactivated", "active", "dormant"), ("reactivated", "active", "churned"))

#: Snapshot days (offsets from 2023-01-01) spread over the strategy's range (0..903 days).
offsets = st.integers(0, 960)


def at(offset: int, seconds: int = 0) -> pd.Timestamp:
    return pd.Timestamp("2023-01-01") + pd.Timedelta(days=offset, seconds=seconds)


@given(purchase_logs(), lifecycle_policies(), offsets, st.integers(0, 86_399), st.data())
def test_a_purchase_never_makes_a_customer_older(
    tx: pd.DataFrame, policy: LifecyclePolicy, day: int, second: int, data: st.DataObject
) -> None:
    stages = data.draw(st.sampled_from([None, STAGE_SUBSETS[0], STAGE_SUBSETS[1]]))
    if stages is not None:
        policy = attrs.evolve(policy, stages=stages)
    as_of = at(day, second)
    before = classify_lifecycle(tx, as_of=as_of, policy=policy, amount=None)
    assume(len(before) > 0)
    who = data.draw(st.sampled_from(sorted(before.index)))
    bought = pd.concat(
        [tx, pd.DataFrame({"customer_id": [who], "date": [as_of], "amount": [10.0]})],
        ignore_index=True,
    )
    after = classify_lifecycle(bought, as_of=as_of, policy=policy, amount=None)
    order = policy.stage_names
    assert order.index(after.loc[who, "stage"]) <= order.index(before.loc[who, "stage"])
    assert after.loc[who, "stage"] in ("new", "reactivated", "active")
    assert after.loc[who, "recency_days"] == 0


@given(purchase_logs(), lifecycle_policies(), offsets, st.randoms(use_true_random=False))
def test_shuffling_and_duplicating_rows_changes_nothing(
    tx: pd.DataFrame, policy: LifecyclePolicy, day: int, rnd: object
) -> None:
    order = list(range(len(tx)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    messy = pd.concat([tx.iloc[order], tx.iloc[order[: len(order) // 3]]])
    kept = messy.copy(deep=True)
    a = classify_lifecycle(tx, as_of=at(day), policy=policy, amount=None)
    b = classify_lifecycle(messy, as_of=at(day), policy=policy, amount=None)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(messy, kept)


@settings(max_examples=examples(60))  # each example runs several batch calls
@given(
    purchase_logs(), lifecycle_policies(), st.lists(offsets, min_size=1, max_size=5, unique=True)
)
def test_stages_at_a_snapshot_depend_only_on_data_up_to_it(
    tx: pd.DataFrame, policy: LifecyclePolicy, days: list[int]
) -> None:
    snapshots = sorted(at(d).date() for d in days)
    history = lifecycle_history(tx, as_of=snapshots, policy=policy, amount=None)
    cutoff_last = pd.Timestamp(snapshots[-1]) + pd.Timedelta(days=1)
    assert history.attrs["future_rows"] == int((tx["date"] >= cutoff_last).sum())
    for snap in snapshots:
        cutoff = pd.Timestamp(snap) + pd.Timedelta(days=1)
        past = tx[tx["date"] < cutoff]
        column = history[pd.Timestamp(snap)].dropna()
        if len(past) == 0:
            assert len(column) == 0
            continue
        truncated = classify_lifecycle(past, as_of=snap, policy=policy, amount=None)
        full = classify_lifecycle(tx, as_of=snap, policy=policy, amount=None)
        pd.testing.assert_frame_equal(truncated, full, check_like=False, check_exact=True, obj="x")
        assert column.index.tolist() == truncated.index.tolist()
        assert (column.astype(str) == truncated["stage"].astype(str)).all()


@settings(max_examples=examples(60))  # each example runs several batch calls
@given(
    purchase_logs(),
    lifecycle_policies(),
    offsets,
    st.one_of(st.none(), st.integers(0, 86_399)),
    st.sampled_from([None, *STAGE_SUBSETS]),
)
def test_scalar_classify_equals_batch(
    tx: pd.DataFrame,
    policy: LifecyclePolicy,
    day: int,
    second: int | None,
    stages: tuple[str, ...] | None,
) -> None:
    if stages is not None:
        policy = attrs.evolve(policy, stages=stages, labels={"active": "活跃"})
    # A date (the end of that day) or an instant within the day.
    as_of = at(day).date() if second is None else at(day, second).to_pydatetime()
    batch = classify_lifecycle(tx, as_of=as_of, policy=policy, amount=None)
    pop = batch.attrs["population_gap_days"]
    for cid, group in tx.groupby("customer_id"):
        if cid not in batch.index:
            continue
        one = policy.classify(
            group["date"].sample(frac=1, random_state=0), as_of=as_of, population_gap_days=pop
        )
        row = batch.loc[cid]
        assert one.stage == row["stage"]
        assert one.recency_days == row["recency_days"]
        assert one.tenure_days == row["tenure_days"]
        assert one.purchase_days == row["purchase_days"]
        assert one.gap_source == row["gap_source"]
        assert one.at_risk_after_days == row["at_risk_after_days"]
        assert one.dormant_after_days == row["dormant_after_days"]
        assert one.churned_after_days == row["churned_after_days"]
        assert one.first_purchase == row["first_purchase"]
        assert one.last_purchase == row["last_purchase"]
        if one.last_wake_up is None:
            assert pd.isna(row["last_wake_up"])
        else:
            assert one.last_wake_up == row["last_wake_up"]
        later = (
            group["date"] >= pd.Timestamp(as_of) + pd.Timedelta(days=1)
            if second is None
            else group["date"] > pd.Timestamp(as_of)
        )
        assert one.excluded_purchases == int(later.sum())
        if one.typical_gap_days is None:
            assert np.isnan(row["typical_gap_days"])
        else:
            assert one.typical_gap_days == row["typical_gap_days"]


@given(
    purchase_logs(), lifecycle_policies(), st.lists(offsets, min_size=2, max_size=4, unique=True)
)
def test_transition_rows_sum_to_the_stage_counts(
    tx: pd.DataFrame, policy: LifecyclePolicy, days: list[int]
) -> None:
    snapshots = sorted(at(d).date() for d in days)
    history = lifecycle_history(tx, as_of=snapshots, policy=policy, amount=None)
    start, end = history.columns[0], history.columns[-1]
    tm = transition_matrix(history, start, end)
    at_start = history[start].value_counts().reindex(tm.counts.index, fill_value=0)
    at_end = history[end].value_counts().reindex(tm.counts.columns, fill_value=0)
    assert tm.counts.sum(axis=1).tolist() == at_start.tolist()
    assert (tm.counts.sum(axis=0) + tm.entered).tolist() == at_end.tolist()
    shares = tm.shares.dropna()
    assert np.allclose(shares.sum(axis=1), 1.0)


@settings(max_examples=examples(60))  # each example runs several batch calls
@given(
    purchase_logs(),
    offsets,
    st.sampled_from(["W", "M", "Q"]),
    st.sampled_from(["customers", "revenue"]),
)
def test_cohort_cells_after_as_of_are_nan_and_the_rest_are_not(
    tx: pd.DataFrame, day: int, period: str, metric: str
) -> None:
    as_of = at(day)
    assume((tx["date"] <= as_of).any())
    table = cohort_retention(tx, freq=period, metric=metric, as_of=as_of, amount="amount")
    for cohort, row in table.counts.iterrows():
        for k, value in row.items():
            cell_end = (cohort + int(k)).end_time  # type: ignore[operator]
            observable = cell_end < as_of
            assert np.isnan(value) != observable, (cohort, k)
            if observable and metric == "customers":
                assert 0 <= value <= table.sizes[cohort]
    # Period 0 holds the whole cohort once it is observable.
    first = table.counts[0].dropna()
    if metric == "customers":
        assert (first == table.sizes[first.index]).all()
    assert table.future_rows == int((tx["date"] > as_of).sum())
