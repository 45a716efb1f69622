"""evaluate_sla / sla_cycles / sla_attainment on Dask, on a real two-process LocalCluster."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.errors import InvalidInputError
from crmkit.service import (
    BusinessCalendar,
    PolicySet,
    SLAPolicy,
    SLATarget,
    evaluate_sla,
    sla_attainment,
    sla_cycles,
)

CAL = BusinessCalendar(
    "Asia/Shanghai",
    {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]},
    holidays=["2025-05-01", "2025-05-02"],
)
POLICIES = PolicySet(
    policies=[
        SLAPolicy(
            name="complaints",
            when={"kind": ["complaint"]},
            targets={
                "*": [
                    SLATarget(metric="first_response", duration="1h", clock="business"),
                    SLATarget(metric="resolution", duration="2bd", clock="business"),
                    SLATarget(metric="follow_up", duration="72h", clock="calendar"),
                ]
            },
        )
    ],
    default=SLAPolicy(
        name="standard",
        targets={
            "*": [SLATarget(metric="resolution", duration="24h", clock="business")],
            "P1": [SLATarget(metric="resolution", duration="4h", clock="calendar")],
        },
    ),
    calendar=CAL,
)
AS_OF = pd.Timestamp("2025-08-01", tz="Asia/Shanghai")


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    tickets = datasets.tickets(n_tickets=400, seed=11)
    events = datasets.ticket_events(tickets)
    return events, tickets


def _plain(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sorted by the keys, a plain RangeIndex, categories as strings (partition-free)."""
    out = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(str)
    return out


def test_evaluate_sla_on_dask_equals_pandas(dask_client: Any) -> None:
    """Partitioned by ticket on two worker processes, the same rows as pandas."""
    import dask.dataframe as dd

    events, tickets = _frames()
    expected = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF, keep="channel").reset_index()
    lazy = evaluate_sla(
        dd.from_pandas(events, npartitions=4),
        dd.from_pandas(tickets, npartitions=3),
        POLICIES,
        as_of=AS_OF,
        keep="channel",
    )
    got = lazy.compute()
    keys = ["ticket_id", "target"]
    pd.testing.assert_frame_equal(_plain(got, keys), _plain(expected, keys), check_dtype=False)
    # A pandas tickets frame next to Dask events works too.
    mixed = evaluate_sla(dd.from_pandas(events, npartitions=3), tickets, POLICIES, as_of=AS_OF)
    assert len(mixed.compute()) == len(expected)


def test_sla_cycles_and_attainment_on_dask(dask_client: Any) -> None:
    """Cycles equal pandas; attainment of the Dask result equals attainment of pandas'."""
    import dask.dataframe as dd

    events, tickets = _frames()
    expected = sla_cycles(events, tickets, POLICIES, as_of=AS_OF).reset_index()
    got = sla_cycles(
        dd.from_pandas(events, npartitions=4), tickets, POLICIES, as_of=AS_OF
    ).compute()
    keys = ["ticket_id", "target", "cycle"]
    pd.testing.assert_frame_equal(_plain(got, keys), _plain(expected, keys), check_dtype=False)

    results = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
    lazy = evaluate_sla(dd.from_pandas(events, npartitions=4), tickets, POLICIES, as_of=AS_OF)
    for by in ("target", ["policy", "target"], ["kind", "target"]):
        ours = sla_attainment(lazy, by)
        theirs = sla_attainment(results, by)
        pd.testing.assert_frame_equal(
            ours.reset_index().astype({"target": str}),
            theirs.reset_index().astype({"target": str}),
            check_dtype=False,
            check_categorical=False,
        )
    broken = dd.from_pandas(
        pd.DataFrame({"target": ["a", "a"], "state": ["met", "lost"]}), npartitions=2
    )
    with pytest.raises(InvalidInputError, match="'lost'"):
        sla_attainment(broken)
