"""Bug hunt 14: ambiguous input the segmentation readers used to accept or misreport.

- A customer id written as two types (``1`` and ``"1"``, two sources stacked) was grouped
  as two customers, silently splitting the customer in every summary.
- ``customer_lifetime_value`` refused a repeat buyer with zero spend naming an internal
  column ``'m'`` and ``GammaGammaFit.predict()`` instead of the caller's column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.segmentation import (
    GammaGammaFit,
    ParetoNBDFit,
    btyd_summary,
    classify_lifecycle,
    cohort_retention,
    customer_lifetime_value,
    rfm,
    summarize,
)
from tests.strategies import transaction_logs

READERS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "summarize": summarize,
    "rfm": rfm,
    "btyd_summary": btyd_summary,
    "cohort_retention": cohort_retention,
    "classify_lifecycle": lambda f: classify_lifecycle(f, as_of="2025-12-31"),
}


def _stacked() -> pd.DataFrame:
    """Two sources concatenated: one read customer 7 as a number, the other as text."""
    a = pd.DataFrame({"customer_id": [7, 8], "date": ["2025-01-05", "2025-02-01"]})
    b = pd.DataFrame({"customer_id": ["7", "9"], "date": ["2025-03-05", "2025-03-09"]})
    out = pd.concat([a, b], ignore_index=True)
    out["amount"] = [10.0, 20.0, 30.0, 40.0]
    return out


@pytest.mark.parametrize("name", sorted(READERS))
def test_an_id_written_as_number_and_text_is_refused_naming_rows(name: str) -> None:
    """1 and "1" are one customer written two ways: refused with the column and rows."""
    frame = _stacked()
    before = frame.copy()
    with pytest.raises(InvalidInputError, match="one type") as info:
        READERS[name](frame)
    assert info.value.field == "customer_id"
    assert info.value.rows == (0, 2)
    assert "int and str" in str(info.value)
    pd.testing.assert_frame_equal(frame, before)


def test_mixed_types_that_do_not_collide_are_still_read() -> None:
    """Numbers and text that never read alike stay distinct customers, as documented."""
    frame = _stacked().assign(customer_id=pd.Series([7, 8, "x", "y"], dtype=object))
    assert summarize(frame).index.tolist() == [7, 8, "x", "y"]


@given(transaction_logs(max_customers=6), st.data())
def test_any_customer_written_both_ways_is_refused(tx: pd.DataFrame, data: st.DataObject) -> None:
    """Text copies of some rows' ids are refused exactly when they meet a numeric twin."""
    ids = tx["customer_id"].to_numpy()
    as_text = np.asarray(
        data.draw(st.lists(st.booleans(), min_size=len(tx), max_size=len(tx))), dtype=bool
    )
    mixed = tx.assign(
        customer_id=pd.Series(
            [str(v) if t else int(v) for v, t in zip(ids, as_text, strict=True)], dtype=object
        )
    )
    clash = set(ids[as_text].tolist()) & set(ids[~as_text].tolist())
    if clash:
        with pytest.raises(InvalidInputError, match="one type") as info:
            summarize(mixed)
        assert set(info.value.rows) <= {i for i in tx.index if ids[i] in clash}
    else:
        assert len(summarize(mixed)) == len(set(ids.tolist()))


def test_clv_names_the_callers_monetary_column_and_itself() -> None:
    """A repeat buyer with zero spend is refused as customer_lifetime_value()'s input."""
    pn = ParetoNBDFit(
        params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, time_unit="weeks"
    )
    gg = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
    summary = pd.DataFrame(
        {"frequency": [2, 1], "recency": [30.43, 5.0], "T": [38.86, 20.0], "spend": [22.35, 0.0]},
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    with pytest.raises(InvalidInputError) as info:
        customer_lifetime_value(summary, pn, gg, monetary="spend")
    assert info.value.owner == "customer_lifetime_value()"
    assert info.value.field == "spend"
    assert info.value.rows == ("b",)
