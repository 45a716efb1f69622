"""replay_many() on Dask, on a real two-process cluster: equal to the pandas result."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.loyalty import ExpiryPolicy, Program, Tier, TierLadder, replay_many
from crmkit.segmentation._dask import is_dask

dd = pytest.importorskip("dask.dataframe")


@pytest.mark.usefixtures("dask_client")
@pytest.mark.parametrize("npartitions", [1, 3])
def test_replay_many_on_dask_equals_pandas(npartitions: int) -> None:
    """Issue 14: a Dask table partitioned any way gives the pandas rows, member by member."""
    frame = datasets.loyalty_events(n_members=40, seed=5)
    program = Program(
        timezone="Asia/Shanghai",
        expiry=ExpiryPolicy.after_months(6),
        pending_days=7,
        tiers=TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="3000")]),
    )
    as_of = frame["time"].max().to_pydatetime() + dt.timedelta(days=30)
    expected = replay_many(frame, program, as_of=as_of, on_error="skip")
    lazy = replay_many(
        dd.from_pandas(frame, npartitions=npartitions), program, as_of=as_of, on_error="skip"
    )
    assert is_dask(lazy)
    got = lazy.compute().loc[expected.index]
    pd.testing.assert_frame_equal(got, expected)
