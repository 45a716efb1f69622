"""Review s17: ``RFMScorer.fit`` refuses a Dask summary that repeats a customer, as pandas does.

The pandas path refuses a summary whose index holds a customer label on more than one row
(:func:`crmkit._validate.check_unique_labels`): that customer would weigh twice in the
quantile cut points. The Dask path fitted such a summary silently. It now finds the
repeated labels in the computation that already reduces the value counts (the partitions
are read once for both) and raises the pandas message, on a real two-process cluster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import InvalidInputError
from crmkit.segmentation import RFMScorer

pytestmark = pytest.mark.slow

dd = pytest.importorskip("dask.dataframe")


def summary(ids: list[Any]) -> pd.DataFrame:
    """A small customer summary with the given index labels."""
    n = len(ids)
    rng = np.random.default_rng(17)
    return pd.DataFrame(
        {
            "recency_days": rng.integers(0, 400, n),
            "frequency": rng.integers(1, 9, n),
            "monetary": np.round(rng.lognormal(3, 1, n), 2),
        },
        index=pd.Index(ids, name="customer_id"),
    )


def pandas_message(frame: pd.DataFrame) -> str:
    with pytest.raises(InvalidInputError) as info:
        RFMScorer().fit(frame)
    return str(info.value)


def test_a_label_repeated_across_partitions_is_refused(dask_client: Any) -> None:
    """Label 7 in the first and the last partition: the pandas error, word for word."""
    frame = summary([7, *range(100, 130), 7])
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    assert ddf.npartitions == 3
    with pytest.raises(InvalidInputError) as info:
        RFMScorer().fit(ddf)
    assert str(info.value) == pandas_message(frame)
    assert "found 1 label on more than one row at rows [7]" in str(info.value)


def test_several_repeated_labels_are_counted_and_named_once(dask_client: Any) -> None:
    """Each repeated label once, however many rows it is on, in sorted order."""
    frame = summary([5, 3, 3, 9, 5, 3, 11, 12])
    ddf = dd.from_pandas(frame, npartitions=2, sort=False)
    with pytest.raises(
        InvalidInputError, match=r"found 2 labels on more than one row at rows \[3, 5\]"
    ):
        RFMScorer().fit(ddf)


def test_a_repeat_inside_one_partition_is_refused(dask_client: Any) -> None:
    """String labels, both rows in one partition."""
    frame = summary(["a", "b", "b", "c"])
    with pytest.raises(InvalidInputError, match=r"at rows \['b'\]"):
        RFMScorer().fit(dd.from_pandas(frame, npartitions=1))


def test_unique_labels_fit_as_on_pandas(dask_client: Any) -> None:
    """No repeat: the Dask fit is the pandas fit, as before."""
    frame = summary(list(range(500)))
    assert RFMScorer().fit(dd.from_pandas(frame, npartitions=4)) == RFMScorer().fit(frame)
