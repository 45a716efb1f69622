"""The ``crmkit sla`` command and the SLA section of ``crmkit demo``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import pandas as pd
import pytest

from crmkit import datasets
from crmkit.cli import DemoData, main
from crmkit.service import PolicySet, evaluate_sla
from crmkit.service._cli import demo_policies, demo_section

AS_OF = "2025-08-01T00:00:00+08:00"


def row_policies() -> PolicySet:
    """The demo policies without ``next_response``: every target reads only what a ticket
    row states (customer replies are not in a row)."""
    policies = demo_policies()
    standard = attrs.evolve(
        policies.default,
        targets={
            key: [t for t in targets if t.metric != "next_response"]
            for key, targets in policies.default.targets
        },
    )
    return attrs.evolve(policies, default=standard)


def plain_tickets(n_tickets: int = 80, seed: int = 11) -> pd.DataFrame:
    """Sample tickets that were never reopened nor waited on the customer."""
    return datasets.tickets(n_tickets=n_tickets, seed=seed).assign(
        reopened=False, waiting_seconds=0
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    tickets = datasets.tickets(n_tickets=80, seed=11)
    events = datasets.ticket_events(tickets)
    paths = {
        "tickets": tmp_path / "tickets.csv",
        "events": tmp_path / "events.csv",
        "policy": tmp_path / "policy.json",
    }
    tickets.to_csv(paths["tickets"], index=False)
    events.to_csv(paths["events"], index=False)
    paths["policy"].write_text(json.dumps(demo_policies().to_dict(), indent=2))
    return paths


def test_sla_command_writes_verdicts_and_attainment(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, table = tmp_path / "verdicts.csv", tmp_path / "attainment.csv"
    argv = [
        "sla",
        str(files["tickets"]),
        "--events",
        str(files["events"]),
        "--policy",
        str(files["policy"]),
        "--as-of",
        AS_OF,
        "--by",
        "kind,target",
    ]
    assert main([*argv, "--verdicts", "-o", str(out)]) == 0
    assert main([*argv, "-o", str(table)]) == 0
    assert capsys.readouterr().out == ""
    assert main([*argv, "--format", "table"]) == 0
    printed = capsys.readouterr().out
    assert "SLA as of 2025-08-01 00:00:00+08:00: 80 tickets" in printed
    assert "met %" in printed
    verdicts = pd.read_csv(out)
    tickets = datasets.tickets(n_tickets=80, seed=11)
    expected = evaluate_sla(datasets.ticket_events(tickets), tickets, demo_policies(), as_of=AS_OF)
    assert len(verdicts) == len(expected)
    assert verdicts["state"].tolist() == expected["state"].astype(str).tolist()
    # Durations are whole seconds (not pandas' "0 days 01:00:00"); instants RFC 3339.
    for column in ("goal", "elapsed", "real_elapsed", "remaining"):
        assert column not in verdicts.columns
        written = verdicts[f"{column}_seconds"].astype("Int64").tolist()
        want = (expected[column] // pd.Timedelta(seconds=1)).astype("Int64").tolist()
        assert [None if pd.isna(v) else v for v in written] == [
            None if pd.isna(v) else v for v in want
        ]
    assert pd.api.types.is_integer_dtype(verdicts["goal_seconds"])
    started = verdicts["due_at"].dropna()
    assert (
        pd.to_datetime(started, utc=True)
        == expected["due_at"].dropna().dt.tz_convert("UTC").to_numpy()
    ).all()
    attainment = pd.read_csv(table)
    assert list(attainment.columns[:4]) == ["kind", "target", "met", "breached"]
    assert attainment[["met", "breached", "running", "not_started"]].to_numpy().sum() == len(
        expected
    )


def test_events_derived_from_ticket_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows that state every event their targets read give the --events verdicts exactly."""
    tickets, events = tmp_path / "t.csv", tmp_path / "e.csv"
    plain_tickets().to_csv(tickets, index=False)
    datasets.ticket_events(plain_tickets()).to_csv(events, index=False)
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps(row_policies().to_dict()))
    with_events, derived = tmp_path / "a.csv", tmp_path / "b.csv"
    common = ["--policy", str(policy), "--as-of", AS_OF, "--verdicts", "-o"]
    assert main(["sla", str(tickets), "--events", str(events), *common, str(with_events)]) == 0
    assert main(["sla", str(tickets), *common, str(derived)]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(pd.read_csv(with_events), pd.read_csv(derived))


def test_verdicts_to_stdout(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "sla",
            str(files["tickets"]),
            "--events",
            str(files["events"]),
            "--policy",
            str(files["policy"]),
            "--as-of",
            AS_OF,
            "--verdicts",
            "-o",
            "-",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("ticket_id,target,policy,metric,clock,goal_seconds,state")
    assert "SLA as of" not in text


def test_single_policy_json(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    single = tmp_path / "single.json"
    single.write_text(
        json.dumps(
            {
                "name": "all",
                "targets": {
                    "*": [{"metric": "first_response", "duration": "2h", "clock": "calendar"}]
                },
            }
        )
    )
    argv = ["sla", str(files["tickets"]), "--events", str(files["events"])]
    assert main([*argv, "--policy", str(single), "--as-of", AS_OF]) == 0
    assert "first_response" in capsys.readouterr().out


def test_bad_inputs_exit_2(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({**demo_policies().to_dict(), "priority": "P1"}))
    naive = tmp_path / "naive.csv"
    frame = pd.read_csv(files["tickets"])
    frame["created_at"] = frame["created_at"].str.slice(0, 19)
    frame.to_csv(naive, index=False)
    cases = [
        (["--policy", str(broken)], "valid JSON"),
        (["--policy", str(unknown)], "'priority' must be one of"),
        (["--policy", str(tmp_path / "missing.json")], "existing JSON file"),
    ]
    for extra, message in cases:
        assert main(["sla", str(files["tickets"]), "--as-of", AS_OF, *extra]) == 2
        assert message in capsys.readouterr().err
    code = main(["sla", str(naive), "--policy", str(files["policy"]), "--as-of", AS_OF])
    assert code == 2
    # Naive created_at, aware replies: mixed, refused (all naive is read in the zone).
    assert "must be naive times, as in 'created_at'; found times with a UTC offset" in (
        capsys.readouterr().err
    )
    events = ["--events", str(files["events"])]
    code = main(
        [
            "sla",
            str(files["tickets"]),
            *events,
            "--policy",
            str(files["policy"]),
            "--as-of",
            "later",
        ]
    )
    assert code == 2
    assert "option --as-of must be a date, datetime" in capsys.readouterr().err


def test_demo_section_reports_the_commitments() -> None:
    text = demo_section(DemoData(seed=3))
    assert text.startswith("\nService levels (SLA)\n====================\n")
    for phrase in (
        "1 h response",
        "72 h follow-up",
        "4 h",
        "complaints",
        "core incidents",
        "on_site",
    ):
        assert phrase in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "ticket_id,when,event\nT1,2025-03-03T09:00:00+08:00,created\n",
            "column 'time' must be present",
        ),
        ("ticket_id,time,event\nT1,,created\n", "missing dates"),
        (
            (
                "ticket_id,time,event\nT1,2025-03-03T09:00:00,created\n"
                "T1,2025-03-03T09:30:00+08:00,agent_reply\n"
            ),
            "all naive or all timezone-aware",
        ),
        ("ticket_id,time,event\nT1,2025-03-03T09:00:00+08:00,teleport\n", "unknown events"),
        ("ticket_id,time,event\nT1,yesterday,created\n", "not dates"),
        ("", "empty file"),
        ("ticket_id,time,event\n", "at least one row"),
    ],
)
def test_bad_event_files_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    tickets, events, policy = tmp_path / "t.csv", tmp_path / "e.csv", tmp_path / "p.json"
    tickets.write_text("ticket_id,priority,kind,customer_tier\nT1,P2,complaint,regular\n")
    events.write_text(content)
    policy.write_text(json.dumps(demo_policies().to_dict()))
    argv = ["sla", str(tickets), "--events", str(events), "--policy", str(policy)]
    assert main([*argv, "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crmkit: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_bad_ticket_files_and_policy_keys_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events, policy = tmp_path / "e.csv", tmp_path / "p.json"
    events.write_text("ticket_id,time,event\nT1,2025-03-03T09:00:00+08:00,created\n")
    policy.write_text(json.dumps(demo_policies().to_dict()))
    data = demo_policies().to_dict()
    data["policies"][0]["targets"]["*"][0]["colour"] = "red"
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps(data))
    cases = [
        ("ticket_id,priority,kind\nT1,P2,complaint\n", policy, "'customer_tier' must be present"),
        ("ticket_id,priority,kind,customer_tier\n", policy, "must be at least one row of tickets"),
        ("", policy, "empty file"),
        (
            "ticket_id,priority,kind,customer_tier\nT1,P2,complaint,core\n",
            typo,
            "targets['*'][0].colour",
        ),
    ]
    for content, policy_file, message in cases:
        tickets = tmp_path / "t.csv"
        tickets.write_text(content)
        argv = ["sla", str(tickets), "--events", str(events), "--policy", str(policy_file)]
        assert main([*argv, "--as-of", AS_OF]) == 2
        err = capsys.readouterr().err
        assert message in err
        assert err.count("\n") == 1


def test_demo_calendar_is_chinas_2025_schedule() -> None:
    """State Council notice for 2025: National Day + Mid-Autumn 1-8 October off, make-up
    working days Sun 28 September and Sat 11 October (and the spring ones); the same as
    the holidays package gives."""
    calendar = demo_policies().calendar
    assert calendar is not None
    for day in range(1, 9):
        assert calendar.owned(dt.date(2025, 10, day)) == ()
    for makeup in ("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"):
        date = dt.date.fromisoformat(makeup)
        assert date.weekday() >= 5
        assert calendar.owned(date) == calendar.weekly[0]
    plain = attrs.evolve(calendar, holidays=(), overrides=())
    assert plain.with_country_holidays("CN", 2025) == calendar


def test_demo_policies_are_the_domain_commitments() -> None:
    """domain.md: complaints 1 h / 24 h / 72 h; core customers 2 h response + 4 h on site."""
    policies = demo_policies()
    complaints, core = policies.policies
    assert dict(complaints.when) == {"kind": ("complaint",)}
    got = {(t.metric, t.duration, t.clock) for t in complaints.targets_for("P4")}
    hours = dt.timedelta(hours=1)
    assert got == {
        ("first_response", 1 * hours, "business"),
        ("resolution", 24 * hours, "calendar"),
        ("follow_up", 72 * hours, "calendar"),
    }
    assert dict(core.when) == {"customer_tier": ("core",), "kind": ("incident",)}
    got = {(t.metric, t.duration, t.clock, t.pausable) for t in core.targets_for("P1")}
    assert got == {
        ("first_response", 2 * hours, "calendar", True),
        ("on_site", 4 * hours, "calendar", False),
    }


def test_ticket_rows_without_any_on_site_visit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: an all-empty time column (no on-site visit at all) read as naive times."""
    tickets = plain_tickets(n_tickets=30)
    tickets["on_site_at"] = pd.NaT
    path, policy = tmp_path / "t.csv", tmp_path / "p.json"
    tickets.to_csv(path, index=False)
    policy.write_text(json.dumps(row_policies().to_dict()))
    out = tmp_path / "v.csv"
    argv = [
        "sla",
        str(path),
        "--policy",
        str(policy),
        "--as-of",
        AS_OF,
        "--verdicts",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    capsys.readouterr()
    expected = evaluate_sla(datasets.ticket_events(tickets), tickets, row_policies(), as_of=AS_OF)
    assert pd.read_csv(out)["state"].tolist() == expected["state"].astype(str).tolist()
    # A ticket without a creation time is reported, not dropped.
    tickets["created_at"] = tickets["created_at"].astype(object)
    tickets.loc[3, "created_at"] = None
    tickets.to_csv(path, index=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'created_at' must be without missing creation times" in err
    assert "rows [5]" in err  # the file's line: header on line 1, row 3 on line 5
