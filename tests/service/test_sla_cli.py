"""The ``crmkit sla`` command and the SLA section of ``crmkit demo``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.cli import DemoData, main
from crmkit.service import evaluate_sla
from crmkit.service._cli import demo_policies, demo_section

AS_OF = "2025-08-01T00:00:00+08:00"


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
            "--by",
            "kind,target",
            "--out",
            str(out),
            "--attainment-out",
            str(table),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "SLA as of 2025-08-01 00:00:00+08:00: 80 tickets" in printed
    assert "met %" in printed
    verdicts = pd.read_csv(out)
    tickets = datasets.tickets(n_tickets=80, seed=11)
    expected = evaluate_sla(datasets.ticket_events(tickets), tickets, demo_policies(), as_of=AS_OF)
    assert len(verdicts) == len(expected)
    assert verdicts["state"].tolist() == expected["state"].astype(str).tolist()
    attainment = pd.read_csv(table)
    assert list(attainment.columns[:4]) == ["kind", "target", "met", "breached"]
    assert attainment[["met", "breached", "running", "not_started"]].to_numpy().sum() == len(
        expected
    )


def test_events_derived_from_ticket_rows(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_events, derived = tmp_path / "a.csv", tmp_path / "b.csv"
    common = ["--policy", str(files["policy"]), "--as-of", AS_OF]
    assert (
        main(
            [
                "sla",
                str(files["tickets"]),
                "--events",
                str(files["events"]),
                *common,
                "--out",
                str(with_events),
            ]
        )
        == 0
    )
    assert main(["sla", str(files["tickets"]), *common, "--out", str(derived)]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(pd.read_csv(with_events), pd.read_csv(derived))


def test_verdicts_to_stdout(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "sla",
            str(files["tickets"]),
            "--policy",
            str(files["policy"]),
            "--as-of",
            AS_OF,
            "--out",
            "-",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("ticket_id,target,policy,metric,clock,goal,state")
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
    assert main(["sla", str(files["tickets"]), "--policy", str(single), "--as-of", AS_OF]) == 0
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
        (["--policy", str(tmp_path / "missing.json")], "existing file"),
    ]
    for extra, message in cases:
        assert main(["sla", str(files["tickets"]), "--as-of", AS_OF, *extra]) == 2
        assert message in capsys.readouterr().err
    code = main(["sla", str(naive), "--policy", str(files["policy"]), "--as-of", AS_OF])
    assert code == 2
    assert "timezone-aware" in capsys.readouterr().err
    code = main(
        ["sla", str(files["tickets"]), "--policy", str(files["policy"]), "--as-of", "later"]
    )
    assert code == 2
    assert "'as_of'" in capsys.readouterr().err


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
