"""Review s16: each CSAT/CES statistic reports its own count, flag and reason.

The share and the mean of a scale question are computed from different answers when
``missing="include"`` (missing answers count in the share as not satisfied, never in a
mean), and they fail in different ways (all answers on one side of the cut-off says
nothing about a mean; a single score says nothing about a share). These tests hold the
scalar results and ``metric_table`` rows to that, in both missing policies.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.service import ces, csat, metric_table
from tests.strategies import examples, survey_frames


def test_mean_format_counts_the_answers_the_mean_uses() -> None:
    """Regression: with missing="include" the mean showed the share's n (missing included)."""
    r = csat([5, 4, None, 2, 5, None], missing="include", min_n=5)
    assert (r.n, r.mean_n, r.mean) == (6, 4, 4.0)
    assert r.format() == "CSAT 50% (95% CI 19% to 81%, Wilson; n = 6)"
    # The mean is of 4 scores: that is its n, below min_n = 5, and the 2 missing are said.
    assert r.format(what="mean", decimals=1) == (
        "CSAT mean 4.0 (95% CI 1.7 to 5.0, t; n = 4, 2 missing left out, low sample)"
    )
    assert (r.low_sample, r.mean_low_sample) == (False, True)


def test_mean_format_unchanged_when_missing_are_excluded() -> None:
    """With missing="exclude" both statistics use the same answers: one n, nothing more."""
    r = ces([7, 6, None, 5, 4, 6])
    assert (r.n, r.mean_n, r.n_missing) == (5, 5, 1)
    assert r.format(what="mean", decimals=1) == (
        "CES 2.0 mean 5.6 (95% CI 4.2 to 7.0, t; n = 5, low sample)"
    )


def test_mean_without_scores_says_so() -> None:
    """Regression: no score at all read "the mean's interval is the whole scale" (no mean)."""
    r = csat([None, None, 4], missing="include", min_n=1)
    assert r.format(what="mean") == "CSAT mean 4 (95% CI 1 to 5, t; n = 1, 2 missing left out)"
    none = csat([None, None], missing="include")
    assert none.format(what="mean") == "CSAT mean n/a (n = 0: no scores, 2 missing answers)"
    assert csat([]).format(what="mean") == "CSAT mean n/a (n = 0: no responses)"


def test_share_reason_is_about_the_share_and_mean_reason_about_the_mean() -> None:
    """Regression: the share's cut-off note also appeared on mean rows, and vice versa."""
    r = csat([5, 5, 4], min_n=1)
    assert r.reason == "all responses on one side of the cut-off"
    assert r.mean_reason is None
    one = csat([3], min_n=1)
    assert one.reason == "all responses on one side of the cut-off"
    assert one.mean_reason == "fewer than 2 scores: the mean's interval is the whole scale"
    equal = ces([6, 6, 6], min_n=1)
    assert equal.reason == "all responses on one side of the cut-off"
    assert equal.mean_reason == "all scores equal: the mean's interval has zero width"


def test_table_rows_carry_their_own_statistic_s_reason_and_count() -> None:
    """Regression: table mean rows said "all responses on one side of the cut-off", share
    rows the mean's notes; mean rows with missing="include" lost the missing count."""
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-03"] * 4 + ["2025-02-01"] * 3),
            "csat": pd.array([5, 5, None, 4, 3, None, None], dtype="Int64"),
        }
    )
    share = metric_table(df, "csat", min_n=2, missing="include")
    assert share["reason"].tolist() == [pd.NA, "all responses on one side of the cut-off"]
    assert share["n"].tolist() == [4, 3]
    mean = metric_table(df, "csat_mean", min_n=2, missing="include")
    assert mean["n"].tolist() == [3, 1]
    assert mean["n_missing"].tolist() == [1, 2]
    assert mean["low_sample"].tolist() == [False, True]
    assert mean["reason"].tolist() == [
        pd.NA,
        (
            "low sample: n = 1 < min_n = 2; fewer than 2 scores: the mean's interval is "
            "the whole scale"
        ),
    ]


def test_table_mean_row_of_a_group_without_scores() -> None:
    """Regression: a mean row with only missing answers gave the share's reason."""
    df = pd.DataFrame({"seg": ["a", "a", "b"], "ces": pd.array([None, None, 6], dtype="Int64")})
    t = metric_table(df, "ces_mean", by="seg", freq=None, min_n=1, missing="include")
    row = t.iloc[0]
    assert (row["n"], row["n_missing"], bool(row["low_sample"])) == (0, 2, True)
    assert pd.isna(row["value"])
    assert row["reason"] == "no scores, 2 missing answers"


@settings(max_examples=examples(60), deadline=None)
@given(
    survey_frames(),
    st.sampled_from(["csat", "ces", "csat_mean", "ces_mean"]),
    st.sampled_from(["exclude", "include"]),
    st.booleans(),
)
def test_table_rows_equal_scalar_statistic_in_both_missing_policies(
    frame: pd.DataFrame, metric: str, missing: str, weighted: bool
) -> None:
    """Every row's n, n_missing, low-sample flag and reason are its statistic's, as the
    scalar result reports them; n + n_missing counts every row (in both policies)."""
    weights = "weight" if weighted else None
    t = metric_table(
        frame, metric, by="segment", freq="M", weights=weights, min_n=3, missing=missing
    )
    column = metric.partition("_")[0]
    fn = {"csat": csat, "ces": ces}[column]
    is_mean = metric.endswith("_mean")
    # Every row of the frame is in a row's n or its n_missing (the strategy's weights are
    # all positive, and its scores on the scale).
    assert t["n"].sum() + t["n_missing"].sum() == len(frame)
    periods = frame["date"].dt.to_period("M")
    for _, row in t.iterrows():
        sub = frame[(frame["segment"] == row["segment"]) & (periods == row["period"])]
        w = None if weights is None else sub[weights]
        r = fn(sub[column], weights=w, min_n=3, missing=missing)
        reason = None if pd.isna(row["reason"]) else row["reason"]
        if is_mean:
            left_out = r.n_missing + r.n - r.mean_n
            got = (row["n"], row["n_missing"], bool(row["low_sample"]), reason)
            assert got == (r.mean_n, left_out, r.mean_low_sample, r.mean_reason)
            assert r.mean_n <= r.n
            if r.mean is None:
                assert pd.isna(row["value"])
            else:
                assert row["value"] == pytest.approx(r.mean, abs=1e-9)
        else:
            got = (row["n"], row["n_missing"], bool(row["low_sample"]), reason)
            assert got == (r.n, r.n_missing, r.low_sample, r.reason)
        if reason is not None:
            # A row never explains the other statistic.
            other = "cut-off" if is_mean else "mean"
            assert other not in reason


def test_weighted_mean_with_effective_size_under_two_says_whole_scale() -> None:
    """Regression: weights 1 and 2 (Kish n_eff 1.8, t with 0.8 df) give the whole scale as
    the mean's interval, but the reason said nothing, or "zero width" for equal scores."""
    r = csat([5, 4], weights=[1.0, 2.0], min_n=1)
    assert r.mean_interval is not None
    assert (r.mean_interval.lower, r.mean_interval.upper) == (1.0, 5.0)
    assert r.mean_reason == (
        "effective sample size 1.8 < 2 (weights): the mean's interval is the whole scale"
    )
    same = csat([5, 5], weights=[1.0, 2.0], min_n=1)
    assert same.mean_reason is not None
    assert "zero width" not in same.mean_reason
    assert "whole scale" in same.mean_reason


def test_census_mean_is_not_called_the_whole_scale() -> None:
    """Regression: a census of one answer collapses the mean's interval to the mean, but
    its reason still said "the mean's interval is the whole scale"."""
    r = csat([4], population_size=1, min_n=1)
    assert r.mean_interval is not None
    assert (r.mean_interval.lower, r.mean_interval.upper) == (4.0, 4.0)
    assert r.mean_reason == "census (n = population_size): no sampling error"


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.sampled_from([0.25, 0.5, 1.0, 2.0, 3.0, 10.0])),
        min_size=1,
        max_size=8,
    )
)
def test_mean_reason_describes_the_mean_interval(rows: list[tuple[int, float]]) -> None:
    """Whatever the weights: "whole scale" is said exactly when the t interval has under
    one degree of freedom, and then the interval is the scale; "zero width" only when it
    has (about) zero width."""
    scores = [s for s, _ in rows]
    weights = [w for _, w in rows]
    r = csat(scores, weights=weights, min_n=1)
    assert r.mean_interval is not None
    reason = r.mean_reason or ""
    n_eff = sum(weights) ** 2 / sum(w * w for w in weights)
    assume(abs(n_eff - 2) > 1e-9)  # on the boundary float noise decides either way
    assert ("whole scale" in reason) == (n_eff < 2)
    if "whole scale" in reason:
        assert (r.mean_interval.lower, r.mean_interval.upper) == (1.0, 5.0)
    if "zero width" in reason:
        assert r.mean_interval.width <= 1e-6
