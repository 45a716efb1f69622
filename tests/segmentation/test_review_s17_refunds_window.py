"""Review s17: ``refunds="error"`` refuses the refunds the result is made of, not later ones.

The shared log reader (:mod:`crmkit.segmentation._log`) used to refuse every refund of the
log under ``refunds="error"``, before any analysis had read its ``as_of``: a refund dated
after ``as_of`` (a row left out of the result, and counted as such) made
:func:`summarize`, :func:`classify_lifecycle`, :func:`lifecycle_history` and
:func:`cohort_retention` raise. Now each analysis reads its log with the refusal deferred
and refuses, once it knows its window, the refunds on or before ``as_of`` (the last
snapshot for a history), on pandas and on Dask alike. The BTYD summaries judged refunds
in their window already; they are held to it here too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.segmentation import (
    TransactionLog,
    btyd_summary,
    calibration_holdout,
    churn_rate,
    classify_lifecycle,
    cohort_retention,
    lifecycle_history,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
    rfm,
    summarize,
)
from tests.strategies import examples, purchase_logs


def later_refund() -> pd.DataFrame:
    """Purchases in January and on 28 February, a refund on 1 March (row 1).

    The refund is after every "before" as_of used here, and after the last complete month
    of a monthly history (February, which ends on the last purchase day).
    """
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-03-01", "2025-01-10", "2025-01-20", "2025-02-28"]
            ),
            "amount": [10.0, -5.0, 20.0, 7.0, 3.0],
        }
    )


AS_OF = "2025-02-01"

# Each analysis with an as_of before the refund, and with one after it.
CALLS = {
    "summarize": (summarize, {"as_of": AS_OF}, {"as_of": "2025-03-01"}),
    "rfm": (rfm, {"as_of": AS_OF}, {"as_of": "2025-03-31"}),
    "classify_lifecycle": (classify_lifecycle, {"as_of": AS_OF}, {"as_of": "2025-03-01"}),
    "lifecycle_history": (
        lifecycle_history,
        {"as_of": ["2025-01-15", AS_OF]},
        {"as_of": ["2025-01-15", "2025-03-01"]},
    ),
    "lifecycle_history_freq": (
        lifecycle_history,
        {"freq": "M"},  # the last complete month is February: March is after it
        {"freq": "M", "end": "2025-03-31"},
    ),
    "cohort_retention": (cohort_retention, {"as_of": AS_OF}, {"as_of": "2025-03-31"}),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_refund_after_as_of_is_not_refused(name: str) -> None:
    """A refund after as_of is left out, as it is under refunds='drop': no refusal."""
    func, before, _ = CALLS[name]
    tx = later_refund()
    got = func(tx, refunds="error", **before)
    expected = func(tx, refunds="drop", **before)
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, check_like=False)
    else:  # a CohortTable
        pd.testing.assert_frame_equal(got.counts, expected.counts)


@pytest.mark.parametrize("name", list(CALLS))
def test_a_refund_up_to_as_of_is_refused_naming_its_row(name: str) -> None:
    """The refusal itself is kept for the refunds the result is made of."""
    func, _, after = CALLS[name]
    with pytest.raises(InvalidInputError, match=r"1 refund rows on or before as_of at rows \[1\]"):
        func(later_refund(), refunds="error", **after)


def test_the_summary_counts_the_later_refund_as_a_later_row() -> None:
    """The refund is one of the rows after as_of, not one of the refund rows."""
    s = summarize(later_refund(), as_of=AS_OF, refunds="error")
    assert s.attrs["rows_after_as_of"] == 2  # the refund and the purchase of 28 February
    assert s.attrs["refund_rows"] == 0
    assert s["monetary"].to_dict() == {1: 10.0, 2: 20.0, 3: 7.0}


def test_an_instant_as_of_just_before_the_refund() -> None:
    """The window ends at the as_of instant: a refund one second later is outside."""
    tx = later_refund()
    assert len(summarize(tx, as_of="2025-02-28 23:59:59", refunds="error")) == 3
    with pytest.raises(InvalidInputError, match="on or before as_of"):
        summarize(tx, as_of="2025-03-01 00:00:00", refunds="error")


def test_a_log_built_alone_still_refuses_every_refund() -> None:
    """TransactionLog.from_frame knows no as_of: refunds='error' refuses any refund."""
    with pytest.raises(InvalidInputError, match=r"found 1 refund rows at rows \[1\]"):
        TransactionLog.from_frame(later_refund(), refunds="error")


def test_the_btyd_summaries_judge_refunds_in_their_window() -> None:
    """btyd_summary and calibration_holdout refuse only refunds up to as_of (as before)."""
    tx = later_refund()
    assert len(btyd_summary(tx, as_of=AS_OF, refunds="error")) == 3
    split = calibration_holdout(tx, calibration_end="2025-01-12", as_of=AS_OF, refunds="error")
    assert split.attrs["rows_after_as_of"] == 2
    with pytest.raises(InvalidInputError, match="refund"):
        btyd_summary(tx, as_of="2025-03-31", refunds="error")
    with pytest.raises(InvalidInputError, match="refund"):
        calibration_holdout(tx, calibration_end="2025-01-12", as_of="2025-03-31", refunds="error")


@settings(max_examples=examples(40), deadline=None)
@given(
    tx=purchase_logs(),
    cut_day=st.integers(0, 950),
    refund_at=st.lists(st.integers(0, 40), max_size=5),
)
def test_refunds_after_as_of_never_change_a_result(
    tx: pd.DataFrame, cut_day: int, refund_at: list[int]
) -> None:
    """Property: refunds dated after as_of change neither the summary nor the stages.

    Under ``refunds="error"``, adding refunds after ``as_of`` to a log gives the result
    of the log without them (only the count of later rows differs).
    """
    as_of = pd.Timestamp("2023-01-01") + pd.Timedelta(days=cut_day)
    past = tx[tx["date"] <= as_of + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)]
    if past.empty:
        return
    day = as_of.date().isoformat()
    refunds = pd.DataFrame(
        {
            "customer_id": [tx["customer_id"].iloc[i % len(tx)] for i in refund_at],
            "date": [as_of + pd.Timedelta(days=1, hours=i) for i in refund_at],
            "amount": [-1.0 - i for i in refund_at],
        }
    ).astype(tx.dtypes.to_dict())
    more = pd.concat([tx, refunds], ignore_index=True)
    got, expected = (summarize(t, as_of=day, refunds="error") for t in (more, tx))
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs["rows_after_as_of"] == expected.attrs["rows_after_as_of"] + len(refunds)
    stages, base = (classify_lifecycle(t, as_of=day, refunds="error") for t in (more, tx))
    pd.testing.assert_frame_equal(stages, base)


# --------------------------------------------------------------------------- Dask

DASK_CALLS = ["summarize", "classify_lifecycle", "lifecycle_history", "cohort_retention"]


def _computed(result: Any) -> Any:
    return result.compute().sort_index() if hasattr(result, "compute") else result


@pytest.mark.slow
@pytest.mark.parametrize("name", DASK_CALLS)
def test_on_dask_a_refund_after_as_of_is_not_refused(dask_client: Any, name: str) -> None:
    """Each Dask partition refuses only the refunds up to as_of, as pandas does."""
    dd = pytest.importorskip("dask.dataframe")
    func, before, after = CALLS[name]
    tx = later_refund()
    ddf = dd.from_pandas(tx, npartitions=2)
    got = _computed(func(ddf, refunds="error", **before))
    expected = func(tx, refunds="error", **before)
    if isinstance(expected, pd.DataFrame):
        expected.attrs = {}
        got.attrs = {}
        pd.testing.assert_frame_equal(got, expected, check_index_type=False)
    else:
        pd.testing.assert_frame_equal(got.counts, expected.counts)
    with pytest.raises(InvalidInputError, match="on or before as_of"):
        _computed(func(ddf, refunds="error", **after))


@pytest.mark.slow
def test_on_dask_a_freq_history_refuses_no_refund_after_its_last_period(
    dask_client: Any,
) -> None:
    """A freq history's day-range pass reads every row; it refuses no refund."""
    dd = pytest.importorskip("dask.dataframe")
    tx = later_refund()
    ddf = dd.from_pandas(tx, npartitions=2)
    got = lifecycle_history(ddf, freq="M", refunds="error").compute().sort_index()
    expected = lifecycle_history(tx, freq="M", refunds="error")
    assert list(got.columns) == list(expected.columns)
    assert np.array_equal(got.astype(str).to_numpy(), expected.astype(str).to_numpy())


RATES = {
    "churn_rate": (churn_rate, {"start": "2025-01-31", "end": "2025-02-28"}),
    "repurchase_rate": (repurchase_rate, {"start": "2025-01-01", "end": "2025-02-28"}),
    "retention_rate": (retention_rate, {"start": "2025-01-31", "end": "2025-02-28"}),
    "reactivation_rate": (reactivation_rate, {"start": "2025-01-31", "end": "2025-02-28"}),
}


@pytest.mark.parametrize("name", list(RATES))
def test_a_rate_refuses_only_the_refunds_up_to_its_end(name: str) -> None:
    """The rates read refunds as every analysis does: the refund of 1 March is after an
    ``end`` of 28 February (no refusal, the rate of refunds='drop'); an ``end`` of
    1 March holds it (refused, naming ``end`` and the row)."""
    func, window = RATES[name]
    tx = later_refund()
    got = func(tx, refunds="error", **window)
    assert repr(got) == repr(func(tx, refunds="drop", **window))
    with pytest.raises(InvalidInputError, match=r"1 refund rows on or before end at rows \[1\]"):
        func(tx, refunds="error", **{**window, "end": "2025-03-01"})


@pytest.mark.slow
@pytest.mark.parametrize("name", ["churn_rate", "repurchase_rate"])
def test_on_dask_a_rate_refuses_only_the_refunds_up_to_its_end(dask_client: Any, name: str) -> None:
    dd = pytest.importorskip("dask.dataframe")
    func, window = RATES[name]
    tx = later_refund()
    ddf = dd.from_pandas(tx, npartitions=2)
    assert repr(func(ddf, refunds="error", **window)) == repr(func(tx, refunds="error", **window))
    with pytest.raises(InvalidInputError, match="on or before end"):
        func(ddf, refunds="error", **{**window, "end": "2025-03-01"})
