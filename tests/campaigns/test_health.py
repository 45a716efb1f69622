"""Health scores: thresholds and fitted percentiles, bands, explain, scalar = batch, JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from crmkit.campaigns import (
    Band,
    HealthModel,
    HealthScore,
    Indicator,
    Percentile,
    Thresholds,
)
from crmkit.errors import ConfigError, NotFittedError, SchemaError
from tests.strategies import health_scores

RULES = HealthScore(
    [
        Indicator("recency", "recency_days", 3, Thresholds([30, 90, 180], [100, 70, 30, 0])),
        Indicator("spend", "monetary", 2, Percentile()),
        Indicator(
            "tickets", "open_tickets", 1, Percentile(higher_is_better=False), missing_points=50
        ),
    ],
    bands=[Band("at risk", 0), Band("watch", 40), Band("healthy", 70)],
)


def test_hand_checked_scores():
    """One customer's score and explanation computed by hand."""
    ref = pd.DataFrame(
        {
            "recency_days": [10, 60, 100, 400],
            "monetary": [0.0, 100.0, 200.0, 300.0],
            "open_tickets": [0, 0, 1, 4],
        }
    )
    model = RULES.fit(ref)
    one = {"recency_days": 45, "monetary": 150.0, "open_tickets": None}
    # recency 70 points, spend at the 50th percentile of [0, 100, 200, 300] = 50,
    # tickets missing = 50 -> (3*70 + 2*50 + 1*50) / 6 = 60
    assert model.apply_one(one) == 60.0
    out = model.explain(one)
    assert out["points"].tolist() == [70.0, 50.0, 50.0]
    assert out["contribution"].sum() == pytest.approx(60.0)
    assert out.attrs == {"score": 60.0, "band": "watch"}


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 500)),
            st.one_of(st.none(), st.floats(0, 5000, allow_nan=False)),
            st.one_of(st.none(), st.integers(0, 9)),
        ),
        min_size=1,
        max_size=30,
    )
)
@example(  # monetary percentiles closer than 1e-306 apart: np.interp's slope overflowed (inf)
    [(None, 0.0, None)] * 5
    + [(None, 2.2250738585072014e-308, None), (None, 1.1125369292536007e-308, 0)]
)
@example(  # contributions summing to 28.749999999999996 for a score of 28.75 (shown 28.8)
    [(None, None, 0)] * 3
    + [(None, None, 5), (None, None, 9), (None, 0.0, None), (None, 0.0, None)]
    + [(None, 0.0, 0), (None, 0.0, 0), (None, 0.0, 7), (None, 1.0, 0)]
)
def test_scalar_equals_batch(rows):
    """Property: apply_one and explain agree with apply, row by row; contributions sum."""
    frame = pd.DataFrame(
        rows, columns=["recency_days", "monetary", "open_tickets"], dtype="float64"
    )
    if frame[["monetary", "open_tickets"]].isna().all().any():
        return  # nothing to fit percentiles on
    model = RULES.fit(frame)
    batch = model.apply(frame)
    for i, row in enumerate(frame.to_dict("records")):
        assert model.apply_one(row) == batch["score"].iloc[i]
        explained = model.explain(row)
        assert explained.attrs["band"] == batch["band"].iloc[i]
        # The contributions add up to the score before its one-decimal rounding (up to
        # float error: 28.749999999999996 for a score of 28.75 shown as 28.8), rounded as
        # the model rounds it (10 decimals, then one).
        total = explained["contribution"].sum()
        assert np.round(np.round(total, 10), 1) == batch["score"].iloc[i]
    assert batch["score"].between(0, 100).all()


def test_json_round_trip_of_rules_and_model():
    """The example rules and their fitted model survive JSON unchanged."""
    model = RULES.fit(pd.DataFrame({"recency_days": [1], "monetary": [5.0], "open_tickets": [0]}))
    assert HealthScore.from_dict(json.loads(json.dumps(RULES.to_dict()))) == RULES
    assert HealthModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model


@given(health_scores(), st.integers(0, 2**31))
def test_json_round_trip_of_any_rules_and_fitted_model(rules, seed: int):
    """Property: every rule set and its fitted model survive JSON unchanged, and the
    reloaded model scores exactly as the original."""
    assert HealthScore.from_dict(json.loads(json.dumps(rules.to_dict()))) == rules
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {f"col{i}": rng.gamma(2.0, 50.0, 20).round(1) for i in range(len(rules.indicators))}
    )
    model = rules.fit(frame)
    again = HealthModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    pd.testing.assert_frame_equal(again.apply(frame), model.apply(frame))


def test_errors():
    """Bad rules, missing data and out-of-range arguments are refused with their names."""
    with pytest.raises(NotFittedError, match="percentile"):
        RULES.fit()
    with pytest.raises(SchemaError, match="'monetary'"):
        RULES.fit(pd.DataFrame({"recency_days": [1], "open_tickets": [1]}))
    with pytest.raises(ConfigError, match="points"):
        Thresholds([1, 2], [0, 100])
    with pytest.raises(ConfigError, match="ascending"):
        Thresholds([2, 1], [0, 50, 100])
    with pytest.raises(ConfigError, match="first at 0"):
        HealthScore(RULES.indicators, bands=[Band("ok", 10)])
    with pytest.raises(ConfigError, match=r"indicators\[0\]\.scoring\.kind"):
        HealthScore.from_dict(
            {"indicators": [{"name": "a", "column": "a", "weight": 1, "scoring": {"kind": "eval"}}]}
        )


def test_percentile_direction():
    """Percentile points: 100 for the best of the reference, reversed when lower is better."""
    rules = HealthScore([Indicator("t", "t", 1, Percentile(higher_is_better=False))])
    model = rules.fit(pd.DataFrame({"t": np.arange(101, dtype=float)}))
    assert model.apply(pd.DataFrame({"t": [0.0, 100.0, 25.0]}))["t"].tolist() == [100.0, 0.0, 75.0]


@given(
    st.lists(st.integers(0, 500_000), min_size=2, max_size=30),
    st.sampled_from([1e-300, 1e-306, 1e-308, 1e-310]),
)
def test_percentile_points_do_not_depend_on_the_unit(cents, scale):
    """Percentile points rank a customer among the fitted ones, so rescaling the column
    (cents to yuan, or down to subnormal floats where np.interp's slope overflows to inf)
    changes no customer's points beyond float rounding, and every score stays in 0-100."""
    monetary = [c / 100 for c in cents]
    frame = pd.DataFrame({"recency_days": 10.0, "monetary": monetary, "open_tickets": 1.0})
    small = frame.assign(monetary=frame["monetary"] * scale)
    big = RULES.fit(frame).apply(frame)
    tiny = RULES.fit(small).apply(small)
    assert np.isfinite(tiny["score"]).all()
    assert tiny["score"].between(0, 100).all()
    # Subnormal floats keep fewer digits: the points agree to a point or so there.
    tolerance = 1e-6 if scale >= 1e-300 else 2.0
    assert np.allclose(tiny["spend"], big["spend"], atol=tolerance)


def test_tied_values_get_the_middle_of_their_percentiles_in_either_direction():
    """Regression: a tie group got the top of its percentiles, so direction changed its
    points (the 60 % of customers with no ticket scored 41 with higher_is_better=False but
    100 on the negated column; 60 % zero spenders got 59 spend points)."""
    tickets = np.array([0] * 60 + [1] * 20 + [2] * 10 + [5] * 10, dtype=float)
    frame = pd.DataFrame({"tickets": tickets, "neg": -tickets})
    lower = HealthScore([Indicator("x", "tickets", 1, Percentile(higher_is_better=False))])
    higher = HealthScore([Indicator("x", "neg", 1, Percentile())])
    spend = HealthScore([Indicator("x", "tickets", 1, Percentile())])
    by_lower = lower.fit(frame).apply(frame)
    by_negation = higher.fit(frame).apply(frame)
    pd.testing.assert_frame_equal(by_lower, by_negation)
    # The fitted quantiles of 100 values hold 0 at 0 % .. 59 % (numpy's linear quantiles
    # reach 0.4 at 60 %): the zeros are the middle of 0-59, 29.5, or 70.5 reversed.
    assert by_lower["x"].iloc[[0, 60, 80, 90]].tolist() == [70.5, 30.0, 15.0, 4.5]
    assert spend.fit(frame).apply(frame)["x"].iloc[[0, 60, 80, 90]].tolist() == [
        29.5, 70.0, 85.0, 95.5
    ]  # fmt: skip
    assert lower.fit(frame).apply_one({"tickets": 0}) == 70.5  # scalar = batch


@given(
    st.lists(st.integers(-4, 4), min_size=1, max_size=60),
    st.sampled_from([1.0, 0.1, 3.7, 1e-310, 3e307]),  # gaps over float64 at 3e307
    st.lists(st.integers(-5, 5), max_size=10),
)
@example([0] * 29 + [1] * 72, 1.0, [0])  # np.quantile gave q[28] = 3.6e-15 (0.28 * 100 > 28)
def test_lower_is_better_scores_as_the_negated_column(ints, scale, others):
    """Property: a column scored with higher_is_better=False gets exactly the points of the
    negated column scored with higher_is_better=True, ties and values off the reference
    included (up to float rounding between fitted quantiles)."""
    values = np.array(ints, dtype=float) * scale
    new = np.r_[values, np.array(others, dtype=float) * scale, np.nan]
    lower = HealthScore([Indicator("x", "v", 1, Percentile(higher_is_better=False))])
    higher = HealthScore([Indicator("x", "v", 1, Percentile())])
    by_lower = lower.fit(pd.DataFrame({"v": values})).apply(pd.DataFrame({"v": new}))
    by_negation = higher.fit(pd.DataFrame({"v": -values})).apply(pd.DataFrame({"v": -new}))
    np.testing.assert_allclose(by_lower["x"], by_negation["x"], rtol=0, atol=1e-9)
    # A tie group of the reference: the same points from either side, to the last bit.
    tied = pd.Series(values).duplicated(keep=False).to_numpy()
    tied = np.r_[tied, np.zeros(len(new) - len(values), dtype=bool)]
    assert by_lower["x"][tied].tolist() == by_negation["x"][tied].tolist()


def test_the_band_is_that_of_the_score_as_shown() -> None:
    """Regression: a score of 69.95 printed as 70.0 was banded "watch" (healthy from 70)."""
    from crmkit.campaigns import Thresholds

    rules = HealthScore(
        [
            Indicator("a", "a", 1, Thresholds([1], [0, 100])),
            Indicator("b", "b", 1, Thresholds([1, 2], [0, 39.9, 100])),
        ]
    )
    model = rules.fit()
    out = model.apply(pd.DataFrame({"a": [2], "b": [1.5]}))
    assert out["score"].tolist() == [70.0]  # (100 + 39.9) / 2 = 69.95 shown as 70.0
    assert out["band"].astype(str).tolist() == ["healthy"]
    assert model.apply_one({"a": 2, "b": 1.5}) == 70.0


def test_bands_hold_their_members_on_the_sample_book():
    """On crmkit's sample log (3,000 customers, summarised at year end): every customer's
    band is the band its shown score falls in (at risk < 40 <= watch < 70 <= healthy),
    the bands keep their business order, one customer scores the same alone and in the
    batch, and the contributions of ``explain`` add up to the score. A one-order customer
    (the largest tie group of frequency) gets the middle of the percentiles it spans."""
    from crmkit.datasets import transactions
    from crmkit.segmentation import summarize

    book = summarize(transactions(3000, seed=7), as_of="2025-12-31")
    rules = HealthScore(
        [
            Indicator("recency", "recency_days", 3, Thresholds([30, 90, 180], [100, 70, 30, 0])),
            Indicator("value", "monetary", 2, Percentile()),
            Indicator("frequency", "frequency", 1, Percentile()),
        ]
    )
    model = rules.fit(book)
    out = model.apply(book)
    assert out["band"].cat.categories.tolist() == ["at risk", "watch", "healthy"]
    assert out["band"].cat.ordered
    edges = np.searchsorted([40.0, 70.0], out["score"].to_numpy(), side="right")
    assert (out["band"].cat.codes.to_numpy() == edges).all()
    assert set(out["band"]) == {"at risk", "watch", "healthy"}
    assert out[["recency", "value", "frequency"]].stack().between(0, 100).all()
    rows = book.to_dict("index")
    for customer in book.index[:200]:
        assert model.apply_one(rows[customer]) == out.at[customer, "score"]
        parts = model.explain(rows[customer])
        assert parts["contribution"].sum() == pytest.approx(out.at[customer, "score"], abs=0.05)
    single = book["frequency"] == 1
    share = float(single.mean())
    # 1,344 of 3,000 (44.8 %) have one order: quantiles 0 % to 44 % are 1, the middle is 22
    assert round(share, 3) == 0.448
    assert out.loc[single, "frequency"].unique().tolist() == [22.0]
