"""``SLATracker.record`` refuses a naive time after aware ones, and the reverse.

Regression (session 14b): each ``record`` call alone was fine, so a tracker fed a naive
10:00 and then 10:30 UTC read the naive one in the calendar's zone and answered, though
``evaluate_ticket`` refuses the same history (a naive time beside aware ones has no
stated zone). The tracker now remembers which kind its times were.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.service import SLATracker, evaluate_ticket
from tests.service._desks import DESK, one_target
from tests.strategies import examples

POLICY = one_target("first_response", "1h", "business")
NAIVE = dt.datetime(2025, 3, 3, 10)
AWARE = dt.datetime(2025, 3, 3, 2, 30, tzinfo=dt.UTC)  # 10:30 in Shanghai


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (NAIVE, AWARE, "naive"),
        (NAIVE, "2025-03-03T10:30+08:00", "naive"),
        (AWARE, NAIVE + dt.timedelta(hours=1), "timezone-aware"),
        ("2025-03-03T10:00+08:00", "2025-03-03 11:00", "timezone-aware"),
    ],
)
def test_a_change_of_kind_is_refused(first: object, second: object, expected: str) -> None:
    """The error names the field, the kind the earlier times were, and hints at the fix."""
    tracker = SLATracker.start(POLICY).record("created", first)
    assert tracker.aware is (expected == "timezone-aware")
    with pytest.raises(InvalidInputError, match=f"must be {expected}, as the earlier") as err:
        tracker.record("agent_reply", second)
    assert err.value.field == "time"
    assert "UTC offset" in err.value.hint


def test_one_kind_throughout_is_read() -> None:
    """Hand-checked: 10:00 to 10:30 Shanghai time is 30 business minutes either way."""
    naive = (
        SLATracker.start(POLICY).record("created", NAIVE).record("agent_reply", "2025-03-03 10:30")
    )
    aware = SLATracker.start(POLICY).record("created", AWARE - dt.timedelta(minutes=30))
    aware = aware.record("agent_reply", AWARE)
    for tracker in (naive, aware):
        assert tracker.evaluate("2025-03-04")["first_response"].elapsed == dt.timedelta(minutes=30)
    # A naive as_of is read in the calendar's zone for either kind, by design.
    assert aware.evaluate(dt.datetime(2025, 3, 4))["first_response"].state == "met"


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.booleans()), min_size=1, max_size=6))
def test_the_tracker_refuses_exactly_when_evaluate_ticket_does(
    times: list[tuple[int, bool]],
) -> None:
    """Random sorted histories, each time naive or aware: recording them one by one
    refuses exactly when ``evaluate_ticket`` refuses them, and agrees otherwise."""
    history = []
    for k, (minutes, aware) in enumerate(sorted(times)):
        wall = NAIVE + dt.timedelta(minutes=minutes)
        history.append((wall.replace(tzinfo=DESK.zone) if aware else wall,
                        "created" if k == 0 else "agent_reply"))  # fmt: skip
    kinds = [aware for _, aware in sorted(times)]
    tracker = SLATracker.start(POLICY)
    if len(set(kinds)) == 2:
        change = next(k for k in range(1, len(kinds)) if kinds[k] != kinds[0])
        for when, event in history[:change]:
            tracker = tracker.record(event, when)
        when, event = history[change]
        with pytest.raises(InvalidInputError, match="as the earlier times were"):
            tracker.record(event, when)
        with pytest.raises(InvalidInputError, match="all naive or all timezone-aware"):
            evaluate_ticket(history, POLICY, as_of="2025-03-04")
        return
    for when, event in history:
        tracker = tracker.record(event, when)
    assert tracker.evaluate("2025-03-04") == evaluate_ticket(history, POLICY, as_of="2025-03-04")
