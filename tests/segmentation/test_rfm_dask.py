"""RFM scoring on Dask: fitting and transforming on a real two-process cluster equals pandas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import InvalidInputError, SchemaError
from crmkit.segmentation import RFMScorer

pytestmark = pytest.mark.slow

dd = pytest.importorskip("dask.dataframe")


def _summary(n: int = 3_000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frequency = np.where(rng.random(n) < 0.6, 1, rng.geometric(0.3, n) + 1)  # 60 % one-timers
    recency = rng.integers(0, 900, n)
    # Tenure: recency for one-time buyers, longer for the others.
    tenure = recency + np.where(frequency > 1, rng.integers(1, 400, n), 0)
    return pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": np.round(rng.lognormal(4, 1.2, n), 2),
            "tenure_days": tenure,
        },
        index=pd.Index(np.arange(10_000, 10_000 + n), name="customer_id"),
    )


def test_fit_on_dask_gives_the_pandas_cut_points(dask_client: Any) -> None:
    summary = _summary()
    ddf = dd.from_pandas(summary, npartitions=4)
    on_pandas = RFMScorer().fit(summary)
    on_dask = RFMScorer().fit(ddf)
    assert on_dask == on_pandas
    assert on_dask.incomplete == ("frequency",)


def test_transform_on_dask_returns_dask_and_equals_pandas(dask_client: Any) -> None:
    summary = _summary()
    model = RFMScorer().fit(summary)
    ddf = dd.from_pandas(summary, npartitions=5)
    result = model.transform(ddf)
    assert hasattr(result, "map_partitions")  # still lazy: a Dask DataFrame
    computed = result.compute().sort_index()
    expected = model.transform(summary)
    pd.testing.assert_frame_equal(computed, expected, check_index_type=False)
    assert isinstance(computed["segment"].dtype, pd.CategoricalDtype)
    assert computed["segment"].cat.ordered


def test_dask_bad_input(dask_client: Any) -> None:
    summary = _summary(200)
    with pytest.raises(SchemaError, match="'monetary'"):
        RFMScorer().fit(dd.from_pandas(summary.drop(columns="monetary"), npartitions=2))
    holes = summary.astype({"monetary": float})
    holes.iloc[3, 2] = np.nan
    with pytest.raises(InvalidInputError, match="missing"):
        RFMScorer().fit(dd.from_pandas(holes, npartitions=2))
    negative = summary.assign(recency_days=-summary["recency_days"] - 1)
    with pytest.raises(InvalidInputError, match="non-negative"):
        RFMScorer().fit(dd.from_pandas(negative, npartitions=2))


def test_rfm_end_to_end_on_dask_equals_pandas(dask_client: Any) -> None:
    from crmkit import datasets
    from crmkit.segmentation import rfm

    tx = datasets.transactions(n_customers=300, seed=1)
    on_dask = rfm(dd.from_pandas(tx, npartitions=3), order="order_id")
    assert hasattr(on_dask, "map_partitions")
    got = on_dask.compute().sort_index()
    expected = rfm(tx, order="order_id")
    pd.testing.assert_series_equal(got["rfm_code"], expected["rfm_code"], check_index_type=False)
    pd.testing.assert_series_equal(got["segment"], expected["segment"], check_index_type=False)
