"""``crmkit sla`` without ``--events`` names the file's column and rows for a refused time.

Regression (session 14b): with a calendar in a daylight-saving zone, a ticket row's
``created_at`` of ``2025-11-02 01:30`` (a wall time New York repeats) was refused as
"column 'time' ... rows [3]": the column and row of the events table derived from the
rows, not the user's file. The naive ticket times are now read in the calendar's zone
where the file's names are known: the error names the file's column (as renamed by
``--created-at`` and friends) and the file's row labels (CSV lines).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit.cli import main
from crmkit.service import BusinessCalendar, PolicySet, SLAPolicy, SLATarget
from tests.strategies import examples

NEW_YORK = BusinessCalendar("America/New_York", {"mon": [["09:00", "17:00"]]})
TARGET = SLATarget(metric="first_response", duration="1h", clock="calendar")


def _policy(calendar: BusinessCalendar | None = NEW_YORK) -> dict[str, object]:
    std = SLAPolicy(name="std", targets={"*": [TARGET]})
    return PolicySet(policies=[], default=std, calendar=calendar).to_dict()


def _run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: str,
    *options: str,
    header: str = "ticket_id,priority,created_at,first_reply_at,resolved_at",
    policy: dict[str, object] | None = None,
) -> tuple[int, str, str]:
    tickets, policy_file = tmp_path / "t.csv", tmp_path / "p.json"
    tickets.write_text(header + "\n" + rows)
    policy_file.write_text(json.dumps(policy or _policy()))
    code = main(["sla", str(tickets), "--policy", str(policy_file), "--as-of", "2025-11-05",
                 "--verdicts", "--format", "csv", *options])  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_repeated_wall_time_names_the_files_column_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The renamed ``created_at`` column is named as the file names it, at line 3."""
    rows = "A,P1,2025-11-01 09:00,2025-11-01 09:30,\nB,P1,2025-11-02 01:30,2025-11-02 03:00,\n"
    header = "ticket_id,priority,opened,first_reply_at,resolved_at"
    code, out, err = _run(tmp_path, capsys, rows, "--created-at", "opened", header=header)
    assert (code, out) == (2, "")
    assert "column 'opened' must be wall-clock times that exist exactly once" in err
    assert "at rows [3]" in err
    assert "'time'" not in err


def test_a_skipped_wall_time_in_another_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2025-03-09 02:30 does not exist in New York: the first reply column is named."""
    rows = "A,P1,2025-03-09 01:00,2025-03-09 02:30,\n"
    code, _, err = _run(tmp_path, capsys, rows)
    assert code == 2
    assert "column 'first_reply_at' must be wall-clock times" in err
    assert "at rows [2]" in err


def test_naive_times_without_one_zone_name_created_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy set without a calendar has no zone for naive rows: the file's column."""
    rows = "A,P1,2025-11-01 09:00,2025-11-01 09:30,\n"
    header = "ticket_id,priority,opened,first_reply_at,resolved_at"
    code, _, err = _run(tmp_path, capsys, rows, "--created-at", "opened", header=header,
                        policy=_policy(None))  # fmt: skip
    assert code == 2
    assert "column 'opened' must be times with a UTC offset" in err


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.integers(0, 4 * 60 - 1), st.integers(0, 180))
def test_rows_read_as_aware_rows_or_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: int, reply: int
) -> None:
    """Naive times around the November change: refused (naming 'created_at' or
    'first_reply_at' at line 2) exactly when the wall time is repeated, else the verdict
    equals the one from the same instants written with their offsets."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo("America/New_York")
    walls = [dt.datetime(2025, 11, 1, 23) + dt.timedelta(minutes=m) for m in (start, start + reply)]
    twice = [w.replace(tzinfo=zone, fold=0).utcoffset() != w.replace(tzinfo=zone, fold=1).utcoffset()
             for w in walls]  # fmt: skip
    naive = f"A,P1,{walls[0]:%Y-%m-%d %H:%M},{walls[1]:%Y-%m-%d %H:%M},\n"
    code, out, err = _run(tmp_path, capsys, naive)
    if any(twice):
        column = "created_at" if twice[0] else "first_reply_at"
        assert code == 2
        assert f"column '{column}' must be wall-clock times" in err
        assert "at rows [2]" in err
        return
    assert (code, err) == (0, "")
    aware = ",".join(w.replace(tzinfo=zone).isoformat() for w in walls)
    code, expected, err = _run(tmp_path, capsys, f"A,P1,{aware},\n")
    assert (code, err) == (0, "")
    assert out == expected
