"""An event time given as a date alone is refused, by the batch and the scalar paths alike.

Regression (session 14b): ``evaluate_sla`` read ``"2025-06-30"`` in the event ``time``
column as that day's midnight (a guess: an event happened at an instant, and a date does
not say when on that day), and ``evaluate_ticket`` / ``SLATracker.record`` did the same
(``datetime.fromisoformat`` reads a date as midnight). ``crmkit sla`` read it too, in
``--events`` and in the ticket rows' time columns. All refuse it now, naming the column
(or argument) and the rows. An ``as_of`` given as a date still means the end of that day.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.cli import main
from crmkit.errors import InvalidInputError
from crmkit.service import (
    PolicySet,
    SLAPolicy,
    SLATracker,
    evaluate_sla,
    evaluate_ticket,
)
from tests.service._desks import one_target
from tests.strategies import examples

POLICY = one_target("resolution", "24h", "calendar")
TICKETS = pd.DataFrame({"ticket_id": ["T1"]})


def _events(times: list[object], index: list[object] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": "T1",
            "time": pd.Series(times, dtype=object, index=index),
            "event": ["created", *["solved"] * (len(times) - 1)],
        },
        index=index,
    )


@pytest.mark.parametrize(
    "day",
    ["2025-06-30", " 20250630 ", "2025/6/30", dt.date(2025, 6, 30)],
    ids=["iso", "basic", "slashes", "date"],
)
def test_the_batch_refuses_a_date_alone(day: object) -> None:
    """The error names the time column, the rows' labels and asks for the time of day."""
    first = dt.datetime(2025, 6, 30, 9) if isinstance(day, dt.date) else "2025-06-30 09:00"
    events = _events([first, day], index=["a", "b"])
    with pytest.raises(InvalidInputError, match="without a time of day") as err:
        evaluate_sla(events, TICKETS, POLICY, as_of="2025-07-02")
    assert err.value.field == "time"
    assert list(err.value.rows) == ["b"]
    assert "give the time of day" in err.value.hint
    assert "2025-06-30 09:30" in err.value.hint


def test_a_format_without_a_time_of_day_is_refused() -> None:
    """``date_format='%d/%m/%Y'`` reads days; one with ``%H:%M`` reads instants."""
    events = _events(["30/06/2025", "01/07/2025"])
    with pytest.raises(InvalidInputError, match="without a time of day") as err:
        evaluate_sla(events, TICKETS, POLICY, as_of="2025-07-02", date_format="%d/%m/%Y")
    assert list(err.value.rows) == [0, 1]
    assert "%d/%m/%Y %H:%M" in err.value.hint
    timed = _events(["30/06/2025 00:00", "01/07/2025 00:00"])
    out = evaluate_sla(timed, TICKETS, POLICY, as_of="2025-07-02", date_format="%d/%m/%Y %H:%M")
    assert out.loc[("T1", "resolution"), "state"] == "met"


def test_instants_and_a_date_as_of_still_read() -> None:
    """Hand-checked: created 30 June 09:00, solved 1 July 08:00 Shanghai time: 23 h, met.
    ``as_of="2025-07-01"`` is the end of that day, so the solution is seen."""
    events = _events(["2025-06-30 09:00", "2025-07-01T08:00:00"])
    out = evaluate_sla(events, TICKETS, POLICY, as_of="2025-07-01")
    assert out.loc[("T1", "resolution"), "elapsed"] == pd.Timedelta(hours=23)
    scalar = evaluate_ticket(
        [("2025-06-30 09:00", "created"), ("2025-07-01 08:00", "solved")],
        POLICY,
        as_of="2025-07-01",
    )
    assert scalar["resolution"].elapsed == dt.timedelta(hours=23)


@pytest.mark.parametrize("day", ["2025-06-30", "20250630", dt.date(2025, 6, 30)])
def test_the_scalar_paths_refuse_a_date_alone(day: object) -> None:
    """``evaluate_ticket`` names the events argument and position; the tracker its field."""
    with pytest.raises(InvalidInputError, match="date alone") as err:
        evaluate_ticket(
            [("2025-06-29 09:00", "created"), (day, "solved")], POLICY, as_of="2025-07-02"
        )
    assert (err.value.field, list(err.value.rows)) == ("events", [1])
    assert "give the time of day" in err.value.hint
    with pytest.raises(InvalidInputError, match="date alone") as err:
        SLATracker.start(POLICY).record("created", day)
    assert err.value.field == "time"
    # Without a calendar it is refused as a day too (before the missing zone).
    bare = SLAPolicy(name="b", targets=POLICY.targets)
    with pytest.raises(InvalidInputError, match="date alone"):
        SLATracker.start(bare).record("created", day)


def test_an_impossible_date_is_still_unreadable() -> None:
    """``"2025-02-31"`` names no day: refused as unreadable data, not as a day."""
    with pytest.raises(InvalidInputError, match="ISO 8601"):
        SLATracker.start(POLICY).record("created", "2025-02-31")


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 23), st.booleans()), min_size=1,
                max_size=5))  # fmt: skip
def test_scalar_refuses_exactly_when_the_batch_does(times: list[tuple[int, int, bool]]) -> None:
    """Random histories, each time with or without its time of day: both entry points
    refuse exactly when one time is a date alone, and agree when both answer."""
    start = dt.datetime(2025, 6, 30)
    written = []
    for days, hour, alone in sorted(times):
        when = start + dt.timedelta(days=days, hours=hour)
        written.append(when.date().isoformat() if alone else when.isoformat(sep=" "))
    history = [(w, "created" if k == 0 else "solved") for k, w in enumerate(written)]
    events = _events(list(written))
    if any(alone for *_, alone in times):
        with pytest.raises(InvalidInputError, match="time of day"):
            evaluate_sla(events, TICKETS, POLICY, as_of="2025-07-10")
        with pytest.raises(InvalidInputError, match="time of day"):
            evaluate_ticket(history, POLICY, as_of="2025-07-10")
    else:
        batch = evaluate_sla(events, TICKETS, POLICY, as_of="2025-07-10")
        scalar = evaluate_ticket(history, POLICY, as_of="2025-07-10")
        assert batch.loc[("T1", "resolution"), "state"] == scalar["resolution"].state
        assert batch.loc[("T1", "resolution"), "elapsed"] == scalar["resolution"].elapsed


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps(PolicySet(policies=[], default=POLICY).to_dict()))
    code = main(["sla", *argv, "--policy", str(policy), "--as-of", "2025-07-10",
                 "--verdicts", "--format", "csv"])  # fmt: skip
    return code, capsys.readouterr().err


def test_the_cli_refuses_a_date_alone_in_events_and_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--events`` names its time column, ticket rows the file's column; rows are lines."""
    tickets, events = tmp_path / "t.csv", tmp_path / "e.csv"
    tickets.write_text("ticket_id,priority\nT1,P1\n")
    events.write_text("ticket_id,time,event\nT1,2025-06-30 09:00,created\nT1,2025-07-01,solved\n")
    code, err = _cli(tmp_path, capsys, str(tickets), "--events", str(events))
    assert code == 2
    assert "column 'time' must be instants" in err
    assert "at rows [3]" in err
    events.write_text("ticket_id,time,event\nT1,30/06/2025,created\n")
    code, err = _cli(tmp_path, capsys, str(tickets), "--events", str(events),
                     "--date-format", "%d/%m/%Y")  # fmt: skip
    assert code == 2
    assert "without a time of day" in err
    rows = tmp_path / "rows.csv"
    rows.write_text("ticket_id,priority,opened,first_reply_at,resolved_at\n"
                    "T1,P1,2025-06-30 09:00,2025-06-30 09:30,\n"
                    "T2,P1,2025-06-30,2025-06-30 09:30,\n")  # fmt: skip
    code, err = _cli(tmp_path, capsys, str(rows), "--created-at", "opened")
    assert code == 2
    assert "column 'opened' must be instants" in err
    assert "at rows [3]" in err
