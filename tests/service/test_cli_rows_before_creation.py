"""``crmkit sla`` without ``--events`` refuses a ticket time earlier than its creation.

Regression (hunt, session 14): a row whose ``first_reply_at`` (or ``resolved_at``, ...)
lay before ``created_at`` (a typo, or a time written in another zone) gave an event that
sorted before ``created`` and was silently ignored, so the ticket read as never answered
and its first response and resolution as breached: exit code 0 and verdicts the file does
not state. The row is now refused, naming the file's column and the row.
"""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import given, settings

from crmkit.cli import main
from crmkit.errors import InvalidInputError
from crmkit.service import PolicySet, SLAPolicy, SLATarget
from crmkit.service._cli import _TICKET_TIMES, _events_from_tickets
from tests.strategies import examples

POLICY = PolicySet(
    policies=[],
    default=SLAPolicy(
        name="std",
        targets={
            "*": [
                SLATarget(metric="first_response", duration="1h", clock="calendar"),
                SLATarget(metric="resolution", duration="24h", clock="calendar"),
            ]
        },
    ),
)


def _run(tmp_path: Path, text: str, *extra: str) -> int:
    tickets, policy = tmp_path / "t.csv", tmp_path / "p.json"
    tickets.write_text(text, encoding="utf-8")
    policy.write_text(json.dumps(POLICY.to_dict()))
    argv = ["sla", str(tickets), "--policy", str(policy), "--as-of", "2025-03-20T00:00+08:00"]
    return main([*argv, "--verdicts", "--format", "csv", *extra])


def test_a_reply_before_creation_is_refused_naming_column_and_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Row 3 of the file (the second ticket) replied 30 minutes before it was created."""
    code = _run(
        tmp_path,
        "ticket_id,priority,created_at,first_reply_at,resolved_at\n"
        "T1,P1,2025-03-03T09:00+08:00,2025-03-03T09:20+08:00,2025-03-03T12:00+08:00\n"
        "T2,P1,2025-03-03T17:30+08:00,2025-03-03T17:00+08:00,2025-03-04T10:00+08:00\n",
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "column 'first_reply_at' must be times at or after 'created_at'" in err
    assert "found 1 earlier time at rows [3]" in err


def test_the_message_uses_the_files_own_column_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Columns renamed by options are named as the file spells them."""
    code = _run(
        tmp_path,
        "ticket_id,priority,建单时间,first_reply_at,解决时间\n"
        "T1,P1,2025-03-03T09:00+08:00,2025-03-03T09:20+08:00,2025-03-02T12:00+08:00\n",
        "--created-at",
        "建单时间",
        "--resolved-at",
        "解决时间",
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "column '解决时间' must be times at or after '建单时间'" in err


def test_a_time_equal_to_creation_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Solved at the instant of creation: met, both targets (0 s)."""
    code = _run(
        tmp_path,
        "ticket_id,priority,created_at,first_reply_at,resolved_at\n"
        "T1,P1,2025-03-03T09:00+08:00,2025-03-03T09:00+08:00,2025-03-03T09:00+08:00\n",
    )
    out = capsys.readouterr().out
    assert code == 0
    got = pd.read_csv(pd.io.common.StringIO(out)).set_index("target")
    assert got["state"].to_dict() == {"first_response": "met", "resolution": "met"}
    assert got["elapsed_seconds"].tolist() == [0, 0]


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-120, 600),
            st.none() | st.integers(-120, 600),
            st.none() | st.integers(-5, 5),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_refused_exactly_when_a_stated_time_precedes_creation(
    rows: list[tuple[int, int | None, int | None]],
) -> None:
    """Otherwise every stated time becomes one event, none before its ticket's ``created``."""
    t0 = pd.Timestamp("2025-03-03 09:00", tz="Asia/Shanghai")
    created = [t0 + pd.Timedelta(hours=k) for k in range(len(rows))]
    minutes = pd.Timedelta(minutes=1)
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"T{k}" for k in range(len(rows))],
            "created_at": created,
            "first_reply_at": [c + r * minutes for c, (r, _, _) in zip(created, rows, strict=True)],
            "resolved_at": [
                pd.NaT if s is None else c + s * minutes
                for c, (_, s, _) in zip(created, rows, strict=True)
            ],
            "followed_up_at": [
                pd.NaT if f is None else c + f * minutes
                for c, (_, _, f) in zip(created, rows, strict=True)
            ],
        },
        index=range(2, 2 + len(rows)),
    )
    early = {
        column: [
            label
            for label, row in tickets.iterrows()
            if pd.notna(row[column]) and row[column] < row["created_at"]
        ]
        for column in _TICKET_TIMES[1:4]
    }
    first = next((column for column in _TICKET_TIMES[1:4] if early[column]), None)
    if first is not None:
        with pytest.raises(InvalidInputError) as err:
            _events_from_tickets(tickets)
        assert err.value.field == first
        assert list(err.value.rows) == early[first][:5]
        return
    events = _events_from_tickets(tickets)
    assert len(events) == int(tickets[list(_TICKET_TIMES[:4])].notna().to_numpy().sum())
    for tid, group in events.groupby("ticket_id"):
        assert group["event"].iloc[0] == "created", tid
