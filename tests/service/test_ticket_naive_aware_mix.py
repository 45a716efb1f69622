"""``evaluate_ticket`` refuses a history that mixes naive and aware times, as the batch does.

Regression (hunt, session 14): ``evaluate_sla`` refused an event column mixing naive and
timezone-aware times (a naive time beside aware ones has no stated zone), but the scalar
``evaluate_ticket`` read the naive ones in the calendar's zone and answered: created at a
naive 10:00 and replied at 10:30 UTC gave an 8-hour breach on a Shanghai calendar, and the
two entry points disagreed (one verdict, one error) on the same history.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.service import evaluate_sla, evaluate_ticket
from tests.service._desks import DESK, one_target
from tests.strategies import examples

POLICY = one_target("first_response", "1h", "business")
NAIVE = dt.datetime(2025, 3, 3, 10)


@pytest.mark.parametrize(
    "reply",
    [
        dt.datetime(2025, 3, 3, 2, 30, tzinfo=dt.UTC),
        pd.Timestamp("2025-03-03 02:30", tz="UTC"),
        "2025-03-03T10:30+08:00",
    ],
    ids=["datetime", "timestamp", "text"],
)
def test_a_naive_time_beside_an_aware_one_is_refused(reply: object) -> None:
    """The error names the events argument and the position of the fewer kind."""
    with pytest.raises(InvalidInputError, match="all naive or all timezone-aware") as err:
        evaluate_ticket([(NAIVE, "created"), (reply, "agent_reply")], POLICY, as_of="2025-03-04")
    assert err.value.field == "events"
    assert list(err.value.rows) == [1]


def test_all_naive_and_all_aware_histories_still_agree() -> None:
    """Hand-checked: 10:00 to 10:30 Shanghai time is 30 business minutes either way."""
    naive = evaluate_ticket(
        [(NAIVE, "created"), ("2025-03-03 10:30", "agent_reply")], POLICY, as_of="2025-03-04"
    )
    aware = evaluate_ticket(
        [(NAIVE.replace(tzinfo=dt.UTC) - dt.timedelta(hours=8), "created"),
         ("2025-03-03T10:30+08:00", "agent_reply")],
        POLICY,
        as_of="2025-03-04",
    )  # fmt: skip
    assert naive["first_response"].elapsed == aware["first_response"].elapsed
    assert naive["first_response"].elapsed == dt.timedelta(minutes=30)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.booleans()), min_size=1, max_size=6))
def test_scalar_refuses_exactly_when_the_batch_does(times: list[tuple[int, bool]]) -> None:
    """Random histories, each time naive or aware: both entry points answer, or both refuse."""
    history = []
    for k, (minutes, aware) in enumerate(times):
        wall = NAIVE + dt.timedelta(minutes=minutes)
        when = wall.replace(tzinfo=DESK.zone) if aware else wall
        history.append((when, "created" if k == 0 else "agent_reply"))
    events = pd.DataFrame(
        {
            "ticket_id": "T1",
            "time": pd.Series([t for t, _ in history], dtype=object),
            "event": [e for _, e in history],
        }
    )
    tickets = pd.DataFrame({"ticket_id": ["T1"]})
    mixed = len({aware for _, aware in times}) == 2
    if mixed:
        with pytest.raises(InvalidInputError):
            evaluate_sla(events, tickets, POLICY, as_of="2025-03-04")
        with pytest.raises(InvalidInputError):
            evaluate_ticket(history, POLICY, as_of="2025-03-04")
    else:
        batch = evaluate_sla(events, tickets, POLICY, as_of="2025-03-04")
        scalar = evaluate_ticket(history, POLICY, as_of="2025-03-04")
        assert batch.loc[("T1", "first_response"), "state"] == scalar["first_response"].state
        assert batch.loc[("T1", "first_response"), "elapsed"] == scalar["first_response"].elapsed
