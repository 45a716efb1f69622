"""CLV models on Dask, on a real two-process cluster: exact fits from distinct rows,
predictions per partition equal to pandas."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.segmentation import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    btyd_summary,
    customer_lifetime_value,
)
from crmkit.segmentation._dask import is_dask

dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    frame = btyd_summary(
        datasets.transactions(1500, seed=12), amount="amount", freq="W", refunds="drop"
    )
    frame.attrs = {}
    return frame


@pytest.mark.parametrize(
    "model", [BetaGeoModel(time_unit="weeks"), ParetoNBDModel(time_unit="weeks")]
)
def test_fit_on_dask_equals_pandas(
    dask_client: Any, summary: pd.DataFrame, model: BetaGeoModel
) -> None:
    """The cluster collapses the rows to distinct ones; the fit is the pandas fit."""
    lazy = dd.from_pandas(summary, npartitions=4)
    on_dask = model.fit(lazy)
    local = model.fit(summary)
    assert on_dask.info is not None
    assert local.info is not None
    assert on_dask.info.n_customers == len(summary)
    for name, value in local.params.items():
        # a flat likelihood (Pareto/NBD's beta) leaves parameters to optimiser tolerance
        assert on_dask.params[name] == pytest.approx(value, rel=1e-3)
    assert on_dask.log_likelihood == pytest.approx(local.log_likelihood, rel=1e-9)


def test_predictions_and_clv_per_partition_equal_pandas(
    dask_client: Any, summary: pd.DataFrame
) -> None:
    """predict() and customer_lifetime_value() run per partition and equal pandas."""
    fit = BetaGeoModel(time_unit="weeks").fit(summary)
    spend = GammaGammaModel(max_correlation=None, time_unit="weeks").fit(summary)
    lazy = dd.from_pandas(summary, npartitions=5)
    predicted = fit.predict(lazy, t=13)
    assert is_dask(predicted)
    pd.testing.assert_frame_equal(
        predicted.compute().sort_index(),
        fit.predict(summary, t=13).sort_index(),
        check_exact=False,
        rtol=1e-12,
    )
    value = customer_lifetime_value(lazy, fit, spend)
    assert is_dask(value)
    pd.testing.assert_frame_equal(
        value.compute().sort_index(),
        customer_lifetime_value(summary, fit, spend).sort_index(),
        check_exact=False,
        rtol=1e-12,
        check_like=True,
    )
    spend_lazy = spend.predict(lazy)
    assert is_dask(spend_lazy)
    assert len(spend_lazy.compute()) == len(summary)
    assert GammaGammaModel(max_correlation=None).fit(lazy).params == pytest.approx(
        GammaGammaModel(max_correlation=None).fit(summary).params
    )
