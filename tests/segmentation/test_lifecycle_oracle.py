"""Differential tests: a plain-Python, per-customer oracle of the documented lifecycle rules
against the vectorised ``classify_lifecycle``, ``lifecycle_history``, the rates and the
cohort table, on random logs.

The oracle is written from the docstrings (calendar days, purchase days, thresholds reached
with ``>=``, wake-ups after a gap of ``dormant_days``), not from the implementation.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence

import attrs
import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.segmentation import (
    LifecyclePolicy,
    churn_rate,
    classify_lifecycle,
    cohort_retention,
    lifecycle_history,
    rates_by_period,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
)
from tests.strategies import examples, lifecycle_policies, purchase_logs

EPOCH = dt.date(1970, 1, 1)


def _days_by_customer(tx: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, list[int]]:
    """Sorted distinct purchase days (days since 1970) per customer, rows before ``cutoff``."""
    out: dict[str, set[int]] = {}
    for cid, stamp in zip(tx["customer_id"], tx["date"], strict=True):
        if stamp < cutoff:
            out.setdefault(cid, set()).add((stamp.date() - EPOCH).days)
    return {cid: sorted(days) for cid, days in out.items()}


def _typical(gaps: Sequence[int], policy: LifecyclePolicy) -> float:
    if policy.basis == "quantile":
        return float(np.quantile(np.asarray(gaps, dtype=float), policy.quantile))
    mean = sum(gaps) / len(gaps)
    var = sum(g * g for g in gaps) / len(gaps) - mean * mean
    return mean + policy.k * math.sqrt(max(var, 0.0))


def oracle_stages(
    tx: pd.DataFrame, as_of: dt.date, policy: LifecyclePolicy
) -> dict[str, tuple[str, int, int, float]]:
    """Stage, recency, tenure and at-risk threshold per customer at the end of ``as_of``."""
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    by_customer = _days_by_customer(tx, cutoff)
    today = (as_of - EPOCH).days
    pooled = [b - a for days in by_customer.values() for a, b in itertools.pairwise(days)]
    out = {}
    for cid, days in by_customer.items():
        gaps = [b - a for a, b in itertools.pairwise(days)]
        recency, tenure = today - days[-1], today - days[0]
        if policy.basis == "fixed":
            thresholds = (policy.at_risk_days, policy.dormant_days, policy.churned_days)
        else:
            if len(gaps) >= policy.min_gaps:
                typical: float | None = _typical(gaps, policy)
            elif pooled:
                typical = _typical(pooled, policy)
            else:
                typical = None
            if typical is None:
                thresholds = (policy.at_risk_days, policy.dormant_days, policy.churned_days)
            else:
                t = round(typical, 6)
                thresholds = (t, t * policy.dormant_multiple, t * policy.churned_multiple)
        steps = sum(recency >= t for t in thresholds)
        wakes = [b for a, b in itertools.pairwise(days) if b - a >= policy.dormant_days]
        # The ladder of threshold stages, a left-out one handing over to the one below.
        ladder = [s for s in ("active", "at_risk", "dormant", "churned") if s in policy.stages]
        reached = ("active", "at_risk", "dormant", "churned")[: steps + 1]
        stage = [s for s in reached if s in ladder][-1]
        recent_wake = bool(wakes) and today - wakes[-1] < policy.reactivated_days
        if "new" in policy.stages and tenure < policy.new_days:
            stage = "new"
        elif "reactivated" in policy.stages and stage == "active" and recent_wake:
            stage = "reactivated"
        out[cid] = (dict(policy.labels)[stage], recency, tenure, thresholds[0])
    return out


snap_days = st.integers(0, 960).map(lambda d: dt.date(2023, 1, 1) + dt.timedelta(days=d))
ZH = {"new": "新客", "reactivated": "回流", "active": "活跃", "at_risk": "预警", "dormant": "沉睡"}


@st.composite
def policies_with_stage_sets(draw: st.DrawFn) -> LifecyclePolicy:
    """A policy of ``lifecycle_policies`` with any valid stage subset and, maybe, labels."""
    policy = draw(lifecycle_policies())
    optional = ["new", "reactivated", "at_risk", "dormant", "churned"]
    kept = {s for s in optional if draw(st.booleans())} | {"active"}
    stages = [s for s in policy.stages if s in kept]
    labels = draw(st.sampled_from([None, ZH, {"dormant": "sleeping", "churned": "lost"}]))
    return attrs.evolve(policy, stages=stages, labels=labels)


@settings(max_examples=examples(80))
@given(purchase_logs(), policies_with_stage_sets(), snap_days)
def test_classify_lifecycle_matches_the_oracle(
    tx: pd.DataFrame, policy: LifecyclePolicy, as_of: dt.date
) -> None:
    expected = oracle_stages(tx, as_of, policy)
    if not expected:
        return
    got = classify_lifecycle(
        tx.sample(frac=1, random_state=1), as_of=as_of, policy=policy, amount=None
    )
    assert sorted(got.index) == sorted(expected)
    assert list(got["stage"].cat.categories) == list(policy.stage_names)
    for cid, (stage, recency, tenure, at_risk) in expected.items():
        row = got.loc[cid]
        assert (row["stage"], row["recency_days"], row["tenure_days"]) == (stage, recency, tenure)
        assert math.isclose(row["at_risk_after_days"], at_risk, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=examples(40))
@given(
    purchase_logs(), lifecycle_policies(), st.lists(snap_days, min_size=1, max_size=4, unique=True)
)
def test_lifecycle_history_matches_the_oracle(
    tx: pd.DataFrame, policy: LifecyclePolicy, snaps: list[dt.date]
) -> None:
    history = lifecycle_history(tx, as_of=snaps, policy=policy, amount=None)
    for snap in sorted(snaps):
        expected = oracle_stages(tx, snap, policy)
        column = history[pd.Timestamp(snap)].dropna()
        assert {c: str(s) for c, s in column.items()} == {c: v[0] for c, v in expected.items()}


def _bought(tx: pd.DataFrame, lo: dt.date, hi: dt.date) -> dict[str, set[int]]:
    """Purchase days per customer in the half-open day range (end of lo, end of hi]."""
    a = pd.Timestamp(lo) + pd.Timedelta(days=1)
    b = pd.Timestamp(hi) + pd.Timedelta(days=1)
    out: dict[str, set[int]] = {}
    for cid, stamp in zip(tx["customer_id"], tx["date"], strict=True):
        if a <= stamp < b:
            out.setdefault(cid, set()).add((stamp.date() - EPOCH).days)
    return out


@settings(max_examples=examples(60))
@given(purchase_logs(), lifecycle_policies(), snap_days, st.integers(1, 200), st.integers(1, 200))
def test_the_four_rates_match_the_oracle(
    tx: pd.DataFrame, policy: LifecyclePolicy, start: dt.date, length: int, base_length: int
) -> None:
    end = start + dt.timedelta(days=length)
    base_start = start - dt.timedelta(days=base_length)
    at_start = oracle_stages(tx, start, policy)
    at_end = oracle_stages(tx, end, policy)
    in_period = _bought(tx, start, end)
    in_base = _bought(tx, base_start, start)

    churn = churn_rate(tx, start=start, end=end, policy=policy, amount=None)
    base = [c for c, v in at_start.items() if v[0] != "churned"]
    assert churn.denominator == len(base)
    assert churn.numerator == sum(at_end[c][0] == "churned" for c in base)

    retention = retention_rate(tx, base_start=base_start, start=start, end=end, amount=None)
    assert retention.denominator == len(in_base)
    assert retention.numerator == sum(c in in_period for c in in_base)

    repurchase = repurchase_rate(tx, start=start, end=end, amount=None)
    assert repurchase.denominator == len(in_period)
    assert repurchase.numerator == sum(len(d) >= 2 for d in in_period.values())

    wake = reactivation_rate(tx, start=start, end=end, policy=policy, amount=None)
    dormant = [c for c, v in at_start.items() if v[0] == "dormant"]
    assert wake.denominator == len(dormant)
    assert wake.numerator == sum(c in in_period for c in dormant)


@settings(max_examples=examples(60))
@given(purchase_logs(), snap_days)
def test_monthly_cohort_table_matches_the_oracle(tx: pd.DataFrame, as_of: dt.date) -> None:
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    seen = tx[tx["date"] < cutoff]
    if seen.empty:
        return
    table = cohort_retention(tx, as_of=as_of, amount=None)
    months = {
        c: sorted({d.year * 12 + d.month - 1 for d in g})
        for c, g in seen.groupby("customer_id")["date"]
    }
    # The last month that has ended by the end of as_of.
    nxt = as_of + dt.timedelta(days=1)
    last_complete = as_of.year * 12 + as_of.month - 1 - (0 if nxt.day == 1 else 1)
    for cohort, row in table.counts.iterrows():
        first = cohort.year * 12 + cohort.month - 1  # type: ignore[attr-defined]
        members = [c for c, ms in months.items() if ms[0] == first]
        assert table.sizes[cohort] == len(members)
        for k, value in row.items():
            if first + int(k) > last_complete:
                assert np.isnan(value)
            else:
                assert value == sum(first + int(k) in months[c] for c in members)


@settings(max_examples=examples(40))
@given(
    purchase_logs(),
    lifecycle_policies(),
    st.sampled_from(["churn", "retention", "repurchase", "reactivation"]),
    st.sampled_from(["W", "M", "Q"]),
    snap_days,
    st.integers(20, 400),
)
def test_rates_by_period_equals_the_single_period_functions(  # noqa: PLR0917 (hypothesis draws)
    tx: pd.DataFrame, policy: LifecyclePolicy, rate: str, freq: str, start: dt.date, length: int
) -> None:
    end = start + dt.timedelta(days=length)
    by = pd.Series({f"c{i}": "odd" if i % 2 else "even" for i in range(5)})
    try:
        table = rates_by_period(
            tx, rate, freq=freq, start=start, end=end, policy=policy, by=by, amount=None
        )
    except ConfigError:  # no complete period between start and end
        assume(False)
        return
    pfreq = "W-SUN" if freq == "W" else freq
    for period, rows in table.groupby("period", sort=True):
        p = pd.Period(period, freq=pfreq)
        prev_end = (p - 1).end_time.date()
        this_end = p.end_time.date()
        assert this_end <= end
        assert p.end_time.date() >= start
        if rate == "churn":
            one = churn_rate(tx, start=prev_end, end=this_end, policy=policy, by=by, amount=None)
        elif rate == "retention":
            one = retention_rate(
                tx,
                base_start=(p - 2).end_time.date(),
                start=prev_end,
                end=this_end,
                by=by,
                amount=None,
            )
        elif rate == "repurchase":
            one = repurchase_rate(tx, start=prev_end, end=this_end, by=by, amount=None)
        else:
            one = reactivation_rate(
                tx, start=prev_end, end=this_end, policy=policy, by=by, amount=None
            )
        assert one.by_segment is not None
        got = rows.set_index("segment")[["numerator", "denominator"]]
        want = one.by_segment[["numerator", "denominator"]]
        assert got.to_dict() == want.to_dict()


@settings(max_examples=examples(40))
@given(purchase_logs(), snap_days, st.randoms(use_true_random=False))
def test_cohorts_and_period_rates_ignore_row_order_and_duplicate_rows(
    tx: pd.DataFrame, as_of: dt.date, rnd: object
) -> None:
    order = list(range(len(tx)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    messy = pd.concat([tx.iloc[order], tx.iloc[order[: len(order) // 2]]])
    if not (tx["date"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)).any():
        return
    a = cohort_retention(tx, as_of=as_of, freq="W", amount=None)
    b = cohort_retention(messy, as_of=as_of, freq="W", amount=None)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    for rate in ("churn", "retention", "repurchase", "reactivation"):
        try:
            x = rates_by_period(tx, rate, end=as_of, amount=None)
        except ConfigError:  # no complete month before as_of
            return
        y = rates_by_period(messy, rate, end=as_of, amount=None)
        pd.testing.assert_frame_equal(x.drop(columns="period"), y.drop(columns="period"))
        assert x["period"].tolist() == y["period"].tolist()


@settings(max_examples=examples(40))
@given(purchase_logs(), snap_days, st.lists(st.booleans(), min_size=40, max_size=40))
def test_monthly_revenue_cohorts_match_the_oracle(
    tx: pd.DataFrame, as_of: dt.date, refund: list[bool]
) -> None:
    tx = tx.assign(amount=np.where(refund[: len(tx)], -tx["amount"], tx["amount"]))
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    seen = tx[tx["date"] < cutoff]
    buys = seen[seen["amount"] > 0]
    if buys.empty:
        return
    table = cohort_retention(tx, as_of=as_of, metric="revenue", amount="amount")
    month = seen["date"].dt.year * 12 + seen["date"].dt.month - 1
    first = (
        (buys["date"].dt.year * 12 + buys["date"].dt.month - 1).groupby(buys["customer_id"]).min()
    )
    nxt = as_of + dt.timedelta(days=1)
    last_complete = as_of.year * 12 + as_of.month - 1 - (0 if nxt.day == 1 else 1)
    for cohort, row in table.counts.iterrows():
        start = cohort.year * 12 + cohort.month - 1  # type: ignore[attr-defined]
        members = set(first.index[first == start])
        for k, value in row.items():
            if start + int(k) > last_complete:
                assert np.isnan(value)
                continue
            mask = seen["customer_id"].isin(members) & (month == start + int(k))
            assert math.isclose(value, float(seen.loc[mask, "amount"].sum()), abs_tol=1e-9)
    # Rows no cohort cell can hold: customers without a purchase, refunds before the first.
    own_first = seen["customer_id"].map(first)
    orphans = int((own_first.isna() | (month < own_first)).sum())
    assert table.orphan_rows == orphans
    assert table.non_purchase_rows == int((seen["amount"] <= 0).sum())


@settings(max_examples=examples(40))
@given(
    purchase_logs(),
    lifecycle_policies(),
    snap_days,
    st.sampled_from(["Asia/Shanghai", "America/New_York"]),
)
def test_aware_data_are_classified_on_the_policy_zones_calendar_days(
    tx: pd.DataFrame, policy: LifecyclePolicy, as_of: dt.date, zone: str
) -> None:
    """UTC instants read in a zone give the stages of the same wall times as naive data."""
    aware = tx.assign(date=tx["date"].dt.tz_localize("UTC"))
    wall = tx.assign(date=aware["date"].dt.tz_convert(zone).dt.tz_localize(None))
    if not (wall["date"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)).any():
        return
    zoned = attrs.evolve(policy, timezone=zone)
    a = classify_lifecycle(aware, as_of=as_of, policy=zoned, amount=None)
    b = classify_lifecycle(wall, as_of=as_of, policy=policy, amount=None)
    pd.testing.assert_series_equal(a["stage"], b["stage"])
    pd.testing.assert_series_equal(a["recency_days"], b["recency_days"])
    assert a.attrs["future_rows"] == b.attrs["future_rows"]
