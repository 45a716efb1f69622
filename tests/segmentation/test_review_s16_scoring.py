"""Review s16 of the value scoring: repeated customer labels, segment revenue shares, NaN scores.

Each test here failed on the code before the fix it guards (checked by running it there):

- abc/pyramid/Pareto/Gini counted a customer label on several rows as several customers;
- ``segment_summary`` divided by the net total, giving shares over 1 and below 0 beside
  a net-refunding customer;
- ``ScoreScale.score`` and ``ScoreScale.scores`` gave NaN a score, and different ones.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import CrmkitError, InvalidInputError
from crmkit.segmentation import (
    RFMScorer,
    ScoreScale,
    ValuePotentialMatrix,
    abc_classify,
    class_summary,
    gini,
    pareto_curve,
    pyramid,
    pyramid_tiers,
    segment_summary,
    top_share,
)
from tests.strategies import customer_values

#: Per-row amounts indexed by customer: "a" appears twice (a transaction log, not a summary).
REPEATED = pd.Series([100.0, 50.0, 30.0, 20.0], index=["a", "a", "b", "c"], name="revenue")

_VALUE_FUNCTIONS = [abc_classify, pyramid_tiers, pyramid, gini, top_share, pareto_curve]


@pytest.mark.parametrize("func", _VALUE_FUNCTIONS, ids=lambda f: f.__name__)
def test_repeated_customer_labels_are_refused_naming_field_and_label(func) -> None:
    """A label on two rows is one customer: refused, not counted twice (VIP "a" was 1 of 4)."""
    with pytest.raises(InvalidInputError) as info:
        func(REPEATED)
    assert info.value.field == "revenue"
    assert info.value.rows == ("a",)
    assert "groupby(level=0).sum()" in str(info.value)


def test_class_summary_refuses_a_repeated_index() -> None:
    """class_summary counts rows as customers, so a repeated index label is refused."""
    frame = pd.DataFrame({"abc_class": ["A", "B", "B"], "value": [5.0, 2.0, 1.0]}, index=[1, 2, 2])
    with pytest.raises(InvalidInputError, match="one row per customer") as info:
        class_summary(frame)
    assert info.value.rows == (2,)


def test_summed_per_customer_gives_the_expected_classes() -> None:
    """The hinted fix works: summed per customer there are 3 customers, "a" the only VIP."""
    summed = REPEATED.groupby(level=0).sum()
    classes = abc_classify(summed)  # a = 75 %, b crosses 80 % (stays A), c is B
    assert classes["abc_class"].to_dict() == {"a": "A", "b": "A", "c": "B"}
    assert pyramid(summed)["customers"].tolist() == [1, 0, 0, 2]


def test_unlabelled_values_and_unique_labels_are_unchanged() -> None:
    """Lists and arrays have no labels to repeat; equal values (ties) stay allowed."""
    assert abc_classify([10.0, 10.0, 1.0])["abc_class"].tolist() == ["A", "A", "C"]
    assert gini(np.array([1.0, 1.0])) == 0.0


@given(customer_values, st.data())
def test_any_repeated_label_is_refused_by_every_value_function(values, data) -> None:
    """Property: repeating any one customer label makes every value function refuse it."""
    labels = [f"c{i}" for i in range(len(values))]
    source = data.draw(st.sampled_from(labels))
    series = pd.Series([*values, 1.0], index=[*labels, source], name="spend")
    for func in _VALUE_FUNCTIONS:
        with pytest.raises(InvalidInputError) as info:
            func(series)
        assert info.value.rows == (source,)


def _scored(monetary: list[float]) -> pd.DataFrame:
    n = len(monetary)
    return pd.DataFrame(
        {
            "recency_days": np.arange(n, dtype=float),
            "frequency": np.ones(n),
            "monetary": monetary,
            "segment": pd.Categorical(
                ["Top" if i % 2 == 0 else "Low" for i in range(n)], ["Top", "Low"], ordered=True
            ),
        }
    )


def test_segment_summary_shares_stay_in_unit_interval_beside_a_net_refund() -> None:
    """A net -300 customer made Top's share 1.5 and Low's -0.5; now 1.0 and 0.0."""
    table = segment_summary(_scored([400.0, -300.0, 500.0]))
    assert table["revenue"].tolist() == [900.0, -300.0]
    assert table["revenue_share"].tolist() == [1.0, 0.0]
    assert table.attrs == {"positive_total": 900.0, "negative_total": -300.0, "net_total": 600.0}


def test_segment_summary_accepts_a_non_positive_net_total_with_positive_spend() -> None:
    """Net 0 (refunds = purchases) still has positive spend to share; no spend at all is refused."""
    table = segment_summary(_scored([100.0, -100.0]))
    assert table["revenue_share"].tolist() == [1.0, 0.0]
    with pytest.raises(InvalidInputError, match="no positive value") as info:
        segment_summary(_scored([0.0, -5.0]))
    assert info.value.field == "monetary"


@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0.0, -50.0, 50.0])),
        min_size=1,
        max_size=40,
    ).filter(lambda xs: any(x > 0 for x in xs))
)
def test_segment_revenue_shares_are_sums_of_positive_spend(monetary: list[float]) -> None:
    """Property: shares lie in [0, 1], add up to 1 and equal each segment's positive spend share."""
    scored = _scored(monetary)
    table = segment_summary(scored)
    shares = table["revenue_share"].to_numpy()
    assert ((shares >= 0) & (shares <= 1 + 1e-12)).all()
    assert shares.sum() == pytest.approx(1.0)
    positive = scored["monetary"].clip(lower=0)
    expected = positive.groupby(scored["segment"], observed=False).sum() / positive.sum()
    assert shares == pytest.approx(expected.to_numpy())


@pytest.mark.parametrize("reverse", [False, True])
def test_score_scale_refuses_missing_values_scalar_and_batch(reverse: bool) -> None:
    """NaN scored 3 by score() and 1 by scores() (recency); both now refuse it, naming the column."""
    scale = ScoreScale("recency_days", "fixed", (30.0, 90.0), reverse=reverse)
    with pytest.raises(InvalidInputError) as info:
        scale.score(math.nan)
    assert info.value.field == "recency_days"
    with pytest.raises(InvalidInputError) as info:
        scale.scores(np.array([5.0, math.nan, math.nan]))
    assert info.value.field == "recency_days"
    assert info.value.rows == (1, 2)


@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=8, unique=True).map(
        sorted
    ),
    st.lists(st.floats(allow_nan=False), min_size=1, max_size=20),
    st.booleans(),
)
def test_score_scale_scalar_and_batch_agree(cuts: list[float], values: list[float], rev) -> None:
    """Property: for any non-missing value (infinities included) score() equals scores()."""
    scale = ScoreScale("x", "fixed", tuple(cuts), reverse=rev)
    batch = scale.scores(np.array(values, dtype=np.float64)).tolist()
    assert batch == [scale.score(v) for v in values]
    assert all(1 <= s <= scale.bins for s in batch)


@pytest.mark.parametrize(
    ("values", "cuts"),
    [
        (pd.Series([1.0, 2.0], index=["a", "a"], name="m"), (0.01, 0.05, 0.20)),
        (pd.Series([1.0, 2.0], index=["a", "b"], name="m"), (0.5, 0.2)),
    ],
)
def test_pyramid_errors_name_pyramid(values: pd.Series, cuts: tuple[float, ...]) -> None:
    """Regression: errors raised for ``pyramid()`` were labelled ``pyramid_tiers()``."""
    with pytest.raises(CrmkitError, match=r"^pyramid\(\): "):
        pyramid(values, cuts)


def test_rfm_fit_refuses_a_customer_on_two_rows() -> None:
    """Regression: a summary with a customer on two rows weighed it twice in the cuts."""
    summary = pd.DataFrame(
        {"recency_days": [1, 2, 3], "frequency": [1, 2, 3], "monetary": [1.0, 2.0, 3.0]},
        index=["a", "a", "b"],
    )
    with pytest.raises(InvalidInputError, match="one row per customer") as info:
        RFMScorer().fit(summary)
    assert info.value.rows == ("a",)
    assert RFMScorer().fit(summary.reset_index(drop=True)).n_customers == 3


def test_value_potential_matrix_apply_names_a_potential_list_of_the_wrong_length() -> None:
    """Regression: a potential list of the wrong length raised a bare pandas ValueError."""
    m = ValuePotentialMatrix.default()
    with pytest.raises(InvalidInputError, match=r"'potential' must be as many values as") as info:
        m.apply(pd.Series(["A", "B", "C"]), ["low", "high"])
    assert "found 2" in str(info.value)
    assert m.apply(pd.Series(["C", "C"], index=[7, 8]), ["high", "low"]).to_dict() == {
        7: "A",
        8: "C",
    }
