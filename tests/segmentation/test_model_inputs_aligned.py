"""Regression: the fitted models' prediction methods read pandas inputs by position.

Found in session 14's review: ``fit.probability_alive(s.frequency,
s.recency.sort_index(ascending=False), s["T"])`` paired one customer's frequency with
another's recency, with no error; and ``fit.probability_alive(s.frequency, s.recency,
s.T)`` (the transpose, where ``s["T"]`` was meant) broadcast the whole frame and failed
with "T must be at least recency" over thousands of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.segmentation import BetaGeoFit

FIT = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
SUMMARY = pd.DataFrame(
    {"frequency": [2.0, 0.0, 5.0], "recency": [30.4, 0.0, 35.0], "T": [38.9, 20.0, 39.0]},
    index=pd.Index(["c1", "c2", "c3"], name="customer_id"),
)


def test_series_on_different_indexes_are_refused() -> None:
    s = SUMMARY
    with pytest.raises(InvalidInputError) as caught:
        FIT.probability_alive(s.frequency, s.recency.sort_index(ascending=False), s["T"])
    assert caught.value.field == "frequency and recency"
    assert "reindex" in str(caught.value)
    with pytest.raises(InvalidInputError, match="'frequency and T'"):
        FIT.expected_purchases(10, s.frequency, s.recency, s["T"].iloc[::-1])


def test_a_dataframe_is_refused_naming_the_column_meant() -> None:
    s = SUMMARY
    with pytest.raises(InvalidInputError) as caught:
        FIT.probability_alive(s.frequency, s.recency, s.T)
    assert caught.value.field == "T"
    assert "summary['T']" in str(caught.value)
    assert "transpose" in str(caught.value)


def test_columns_of_one_frame_arrays_and_scalars_still_work() -> None:
    s = SUMMARY
    by_series = FIT.probability_alive(s.frequency, s.recency, s["T"])
    by_arrays = FIT.probability_alive(
        s.frequency.to_numpy(), s.recency.to_numpy(), s["T"].to_numpy()
    )
    one = [FIT.probability_alive(*row) for row in s.itertuples(index=False)]
    np.testing.assert_array_equal(by_series, by_arrays)
    np.testing.assert_allclose(by_series, one, rtol=1e-12)
    # A Series beside a scalar broadcasts as before.
    assert len(FIT.expected_purchases(10, s.frequency, 30.0, 40.0)) == 3


@given(st.permutations(range(3)))
def test_aligned_after_reindex_equals_the_frame_order(order: list[int]) -> None:
    """Series in another order are refused unless aligned; aligned, they give the frame's
    answer (the hint's fix works)."""
    s = SUMMARY
    shuffled = s.recency.iloc[order]
    if not shuffled.index.equals(s.index):
        with pytest.raises(InvalidInputError):
            FIT.probability_alive(s.frequency, shuffled, s["T"])
    fixed = FIT.probability_alive(s.frequency, shuffled.reindex(s.index), s["T"])
    np.testing.assert_array_equal(fixed, FIT.probability_alive(s.frequency, s.recency, s["T"]))
