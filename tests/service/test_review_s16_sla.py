"""Review s16 of the SLA engines: missing priorities and missing event times.

- A ticket whose priority is missing (NaN, ``pd.NA``: what a frame row holds) was read by
  the one-ticket engine as the priority ``"nan"``, silently getting only the ``"*"``
  targets, while :func:`evaluate_sla` refuses missing priorities: scalar and batch
  disagreed.
- A missing event time (NaT) under a policy without a calendar was reported as "a naive
  datetime" with a hint about time zones; it is now named as what it is, as under a
  policy with a calendar.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.service import SLAPolicy, SLATarget, SLATracker, evaluate_sla, evaluate_ticket
from tests.strategies import examples

T0 = pd.Timestamp("2025-03-03 09:00", tz="Asia/Shanghai")
BY_PRIORITY = SLAPolicy(
    name="complaints",
    targets={
        "*": [SLATarget(metric="resolution", duration="24h", clock="calendar")],
        "P1": [SLATarget(metric="first_response", duration="1h", clock="calendar")],
    },
)
MISSING = [float("nan"), np.nan, pd.NA, pd.NaT, None]


@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_missing_priority_is_refused_by_the_one_ticket_engine(value: object) -> None:
    """A missing priority under a policy with targets by priority is refused, naming it."""
    with pytest.raises(InvalidInputError, match="'priority' must be given") as err:
        evaluate_ticket([(T0, "created")], BY_PRIORITY, as_of=T0, ticket={"priority": value})
    assert err.value.field == "priority"
    with pytest.raises(InvalidInputError, match="'priority' must be given"):
        SLATracker.start(BY_PRIORITY, priority=value)


def test_missing_priority_is_refused_like_the_batch_engine() -> None:
    """The frame row's NaN priority: evaluate_sla and evaluate_ticket both refuse it."""
    tickets = pd.DataFrame({"ticket_id": ["A"], "priority": [np.nan]})
    events = pd.DataFrame({"ticket_id": ["A"], "time": [T0], "event": ["created"]})
    with pytest.raises(InvalidInputError, match="missing priorities"):
        evaluate_sla(events, tickets, BY_PRIORITY, as_of=T0)
    row = tickets.set_index("ticket_id").loc["A"].to_dict()
    with pytest.raises(InvalidInputError, match="'priority'"):
        evaluate_ticket([(T0, "created")], BY_PRIORITY, as_of=T0, ticket=row)


def test_missing_priority_is_fine_without_targets_by_priority() -> None:
    """With only ``"*"`` targets the priority is not needed: a missing one is no priority."""
    shared = SLAPolicy(
        name="all",
        targets={"*": [SLATarget(metric="resolution", duration="24h", clock="calendar")]},
    )
    result = evaluate_ticket([(T0, "created")], shared, as_of=T0, ticket={"priority": np.nan})
    assert [t.name for t in result.targets] == ["resolution"]
    assert SLATracker.start(shared, priority=pd.NA).priority is None


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.sampled_from(["P1", "P2", np.nan, pd.NA, None]), min_size=1, max_size=5))
def test_scalar_refuses_exactly_when_batch_refuses(priorities: list[object]) -> None:
    """Per frame of tickets: batch refuses iff some ticket row is refused by the scalar engine;
    otherwise every ticket's targets agree."""
    ids = [f"T{i}" for i in range(len(priorities))]
    # An object column keeps each missing cell as given (NaN, pd.NA, None) in its rows.
    tickets = pd.DataFrame({"ticket_id": ids, "priority": pd.Series(priorities, dtype=object)})
    events = pd.DataFrame({"ticket_id": ids, "time": [T0] * len(ids), "event": "created"})
    as_of = T0 + pd.Timedelta(hours=2)
    rows = tickets.set_index("ticket_id")
    scalar_refused = False
    scalar = {}
    for tid in ids:
        try:
            scalar[tid] = evaluate_ticket(
                [(T0, "created")], BY_PRIORITY, as_of=as_of, ticket=rows.loc[tid].to_dict()
            )
        except InvalidInputError:
            scalar_refused = True
    try:
        batch = evaluate_sla(events, tickets, BY_PRIORITY, as_of=as_of)
    except InvalidInputError:
        assert scalar_refused
        return
    assert not scalar_refused
    for (tid, name), row in batch.iterrows():
        assert row["state"] == scalar[tid][name].state


@pytest.mark.parametrize("missing", [pd.NaT, np.datetime64("NaT")], ids=["NaT", "datetime64"])
def test_missing_event_time_without_a_calendar_is_named_missing(missing: object) -> None:
    """NaT is no time at all, not "a naive datetime" (the zone hint misled), rows named."""
    policy = SLAPolicy(
        name="p", targets={"*": [SLATarget(metric="resolution", duration="4h", clock="calendar")]}
    )
    aware = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError, match=r"must be a datetime; found .*NaT.* at rows \[1\]"):
        evaluate_ticket([(aware, "created"), (missing, "solved")], policy, as_of=aware)
    with pytest.raises(InvalidInputError, match="must be a datetime; found") as err:
        SLATracker.start(policy).record("created", aware).record("solved", missing)
    assert "naive" not in str(err.value)
