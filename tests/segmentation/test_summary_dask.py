"""summarize(), btyd_summary() and calibration_holdout() on Dask, on a real two-process cluster.

The Dask results must equal the pandas results row for row (after sorting: Dask returns
customers in partition order), whatever the partitioning.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.errors import InvalidInputError, SchemaError
from crmkit.segmentation import btyd_summary, calibration_holdout, summarize
from crmkit.segmentation._dask import is_dask

dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return datasets.transactions(400, seed=21)


def _same(lazy: Any, expected: pd.DataFrame) -> None:
    assert is_dask(lazy)
    got = lazy.compute().sort_index()
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("npartitions", [1, 4])
def test_summarize_on_dask(dask_client: Any, tx: pd.DataFrame, npartitions: int) -> None:
    ddf = dd.from_pandas(tx, npartitions=npartitions)
    _same(summarize(ddf), summarize(tx))
    _same(
        summarize(ddf, order="order_id", as_of="2024-06-30", refunds="drop"),
        summarize(tx, order="order_id", as_of="2024-06-30", refunds="drop"),
    )
    instant = pd.Timestamp("2025-03-01 12:34:56")
    _same(summarize(ddf, as_of=instant), summarize(tx, as_of=instant))


def test_summarize_on_dask_with_aware_dates(dask_client: Any, tx: pd.DataFrame) -> None:
    aware = tx.assign(date=tx["date"].dt.tz_localize("Asia/Shanghai"))
    ddf = dd.from_pandas(aware, npartitions=3)
    _same(summarize(ddf), summarize(aware))
    _same(summarize(ddf, as_of="2025-01-01"), summarize(aware, as_of="2025-01-01"))


@pytest.mark.parametrize(("freq", "multiplier"), [("D", 1), ("W", 1), ("M", 1), ("h", 24)])
def test_btyd_summary_on_dask(
    dask_client: Any, tx: pd.DataFrame, freq: str, multiplier: int
) -> None:
    ddf = dd.from_pandas(tx, npartitions=3)
    kwargs = {"amount": "amount", "freq": freq, "freq_multiplier": multiplier}
    _same(btyd_summary(ddf, **kwargs), btyd_summary(tx, **kwargs))
    _same(
        btyd_summary(ddf, as_of="2024-12-31", include_first_transaction=True, amount=None),
        btyd_summary(tx, as_of="2024-12-31", include_first_transaction=True, amount=None),
    )


def test_calibration_holdout_on_dask(dask_client: Any, tx: pd.DataFrame) -> None:
    ddf = dd.from_pandas(tx, npartitions=3)
    kwargs = {"amount": "amount", "calibration_end": "2025-01-01", "freq": "W"}
    _same(calibration_holdout(ddf, **kwargs), calibration_holdout(tx, **kwargs))


def test_errors_raised_on_workers_reach_the_caller(dask_client: Any, tx: pd.DataFrame) -> None:
    bad = tx.copy()
    bad.loc[bad.index[5], "amount"] = float("nan")
    ddf = dd.from_pandas(bad, npartitions=2)
    with pytest.raises(InvalidInputError) as info:
        summarize(ddf).compute()
    assert info.value.field == "amount"
    assert info.value.rows == (bad.index[5],)


def test_dask_schema_checks_need_no_computation(tx: pd.DataFrame) -> None:
    ddf = dd.from_pandas(tx, npartitions=2)
    with pytest.raises(SchemaError) as info:
        summarize(ddf, amount="revenue")
    assert info.value.field == "revenue"
    as_text = dd.from_pandas(tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")), npartitions=2)
    with pytest.raises(SchemaError, match="datetime64 column on Dask input"):
        btyd_summary(as_text, amount=None)


def test_is_dask() -> None:
    assert is_dask(dd.from_pandas(pd.DataFrame({"a": [1]}), npartitions=1))
    assert not is_dask(pd.DataFrame({"a": [1]}))
    assert not is_dask(None)
