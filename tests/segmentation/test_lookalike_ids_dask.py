"""Ids written as two types (``1`` and ``"1"``) on Dask: refused across partitions.

A shuffle by id sends ``1`` and ``"1"`` to different partitions, where the pandas readers
each see one of them; before the cross-partition check, ``summarize`` on Dask split the
customer into two silently (the pandas path refused it).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit.errors import InvalidInputError
from crmkit.loyalty import Program, replay_many
from crmkit.segmentation import classify_lifecycle, cohort_retention, summarize
from crmkit.segmentation._dask import refuse_lookalike_ids_dask

dd = pytest.importorskip("dask.dataframe")


def _log() -> pd.DataFrame:
    # Two sources stacked: numeric ids (1, 2, 3), then text ids ("1", "x", "2").
    labels = pd.Index([10, 11, 12, 13, 14, 15])
    return pd.DataFrame(
        {
            "customer_id": pd.Series([1, 2, 3, "1", "x", "2"], dtype=object, index=labels),
            "date": pd.to_datetime(
                ["2025-01-02", "2025-01-03", "2025-01-04", "2025-02-01", "2025-02-02", "2025-02-03"]
            ),
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        },
        index=labels,
    )


def _split(frame: pd.DataFrame, column: str = "customer_id") -> Any:
    """``frame`` as two sources stacked with ``dd.concat``: the numeric ids, then the text ones.

    Dask keeps each source's type, so the stacked column holds objects of two types (as
    stacking two exports, one read with numeric ids, gives).
    """
    numeric = frame[column].map(lambda v: isinstance(v, int))
    first = frame[numeric.to_numpy()].astype({column: "int64"})
    second = frame[~numeric.to_numpy()].astype({column: "string"})
    ddf = dd.concat([dd.from_pandas(first, npartitions=1), dd.from_pandas(second, npartitions=1)])
    assert ddf.npartitions == 2
    assert ddf._meta[column].dtype == object
    return ddf


@pytest.mark.usefixtures("dask_client")
@pytest.mark.parametrize(
    "call",
    [
        lambda d: summarize(d).compute(),
        lambda d: classify_lifecycle(d, as_of="2025-03-01").compute(),
        lambda d: cohort_retention(d, as_of="2025-03-01"),
    ],
)
def test_an_id_in_two_types_across_partitions_is_refused(call: Any) -> None:
    frame = _log()
    with pytest.raises(InvalidInputError, match="ids of one type") as err:
        call(_split(frame))
    # The same rows as the pandas reader names: both spellings of customers 1 and 2.
    assert err.value.rows == (10, 11, 13, 15)
    assert "2 ids written as two types (int and str)" in str(err.value)
    with pytest.raises(InvalidInputError) as pandas_err:
        summarize(frame)
    assert pandas_err.value.rows == err.value.rows


@pytest.mark.usefixtures("dask_client")
def test_mixed_types_that_do_not_collide_still_read_on_dask() -> None:
    frame = _log()
    frame.loc[13, "customer_id"] = "y"
    frame.loc[15, "customer_id"] = "z"
    got = summarize(_split(frame)).compute()
    expected = summarize(frame)
    assert sorted(map(str, got.index)) == sorted(map(str, expected.index))
    assert len(got) == 6


@pytest.mark.usefixtures("dask_client")
def test_replay_many_on_dask_refuses_a_member_in_two_types() -> None:
    program = Program(name="club", timezone="Asia/Shanghai")
    events = pd.DataFrame(
        {
            "member_id": pd.Series([7, "7"], dtype=object),
            "event_id": ["e1", "e2"],
            "time": pd.to_datetime(["2025-01-02 10:00", "2025-01-03 10:00"]).tz_localize(
                "Asia/Shanghai"
            ),
            "kind": ["enroll", "enroll"],
        }
    )
    ddf = _split(events, "member_id")
    with pytest.raises(InvalidInputError, match="member_id") as err:
        replay_many(ddf, program, as_of="2025-02-01").compute()
    assert err.value.rows == (0, 1)


def _never(part: pd.DataFrame) -> pd.DataFrame:
    raise AssertionError("computed")


@pytest.mark.usefixtures("dask_client")
@pytest.mark.parametrize("dtype", ["string", "int64"])
def test_typed_columns_cost_no_pass(dtype: str) -> None:
    frame = pd.DataFrame({"id": pd.Series([1, 2], dtype="int64").astype(dtype)})
    ddf = dd.from_pandas(frame, npartitions=2)
    ddf = ddf.map_partitions(_never, meta=ddf._meta)  # computing it fails
    assert not refuse_lookalike_ids_dask(ddf, "id", "f()")  # read off the metadata
