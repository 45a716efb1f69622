"""The ``crmkit lifecycle`` subcommand and the lifecycle section of ``crmkit demo``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit.cli import DemoData, main
from crmkit.segmentation._lifecycle_cli import demo_section


@pytest.fixture
def tx_csv(tmp_path: Path) -> Path:
    tx = pd.DataFrame(
        {
            "member": ["ann", "ann", "bob", "cy", "dee", "dee"],
            "paid_at": [
                "2025-01-05 10:00",
                "2025-06-20 12:30",
                "2024-12-01 09:00",
                "2025-06-15 18:00",
                "2024-05-01 11:00",
                "2025-05-20 16:45",
            ],
            "net": [30.0, 40.0, 25.0, 60.0, 15.0, 20.0],
        }
    )
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    return path


def test_lifecycle_writes_stages_per_customer(
    tx_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "lifecycle",
            str(tx_csv),
            "--as-of",
            "2025-06-30",
            "--customer",
            "member",
            "--date",
            "paid_at",
            "--amount",
            "net",
        ]
    )
    assert code == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="member")
    assert out["stage"].to_dict() == {
        "ann": "active",
        "bob": "dormant",
        "cy": "new",
        "dee": "reactivated",
    }
    assert out.loc["bob", "recency_days"] == 211


def test_lifecycle_default_as_of_is_the_last_purchase_day(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "stages.parquet"
    args = [
        "lifecycle",
        str(tx_csv),
        "--customer",
        "member",
        "--date",
        "paid_at",
        "-o",
        str(target),
    ]
    assert main(args) == 0
    out = pd.read_parquet(target).set_index("member")  # the id is a column in files
    assert out.loc["ann", "recency_days"] == 0  # 20 June is the last day with a purchase
    assert capsys.readouterr().out == ""


def test_lifecycle_counts_with_a_policy_file(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"at_risk_days": 60, "dormant_days": 120, "churned_days": 200}))
    args = ["lifecycle", str(tx_csv), "--customer", "member", "--date", "paid_at"]
    assert main([*args, "--as-of", "2025-06-30", "--policy", str(policy), "--counts"]) == 0
    counts = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="stage")
    assert counts["customers"].to_dict() == {
        "new": 1,
        "reactivated": 2,  # ann's 166-day gap is a wake-up with a 120-day dormant threshold
        "active": 0,
        "at_risk": 0,
        "dormant": 0,
        "churned": 1,  # bob: 211 days >= 200
    }
    assert counts["share"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--policy", "missing.json"], "--policy"),
        (["--customer", "customer_id"], "'customer_id'"),
        (["--as-of", "someday"], "option --as-of"),
    ],
)
def test_lifecycle_errors_are_one_line_and_exit_2(
    tx_csv: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["lifecycle", str(tx_csv), "--customer", "member", "--date", "paid_at"]
    if extra[0] == "--customer":
        base = ["lifecycle", str(tx_csv), "--date", "paid_at"]
    assert main([*base, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crmkit: error:")
    assert message in err
    assert err.count("\n") == 1


def test_lifecycle_bad_policy_json(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{dormant_days: 180")
    assert main(["lifecycle", str(tx_csv), "--policy", str(bad)]) == 2
    assert "valid JSON" in capsys.readouterr().err
    unordered = tmp_path / "unordered.json"
    unordered.write_text(json.dumps({"at_risk_days": 200}))
    assert main(["lifecycle", str(tx_csv), "--policy", str(unordered)]) == 2
    assert "'dormant_days'" in capsys.readouterr().err


def test_demo_section_reports_stages_moves_and_cohorts() -> None:
    text = demo_section(DemoData(seed=2))
    assert "Lifecycle stages of 2,000 customers" in text
    for stage in ("new", "reactivated", "active", "at_risk", "dormant", "churned"):
        assert f"  {stage}" in text
    assert "Moves from" in text
    assert "Reactivation:" in text
    assert "Cohort retention by quarter" in text


def test_demo_includes_the_lifecycle_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3"]) == 0
    assert "Lifecycle: stages, transitions, cohorts" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("customer_id,date\n1,2025-01-01\n2,\n", "missing dates at rows [3]"),
        ("", "empty file"),
        ("customer_id,date\n", "at least one row"),
        ("customer_id,day\n1,2025-01-01\n", "column 'date' must be present"),
        ("customer_id,date\n1,2025-01-01\n2,last tuesday\n", "not dates at rows [3]"),
    ],
)
def test_lifecycle_bad_files_are_one_line_errors_with_exit_2(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["lifecycle", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crmkit: error:")
    assert message in err
    assert err.count("\n") == 1


def test_lifecycle_policy_file_with_stage_names(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "zh.json"
    policy.write_text(
        json.dumps(
            {
                "stages": ["new", "active", "dormant", "churned"],
                "labels": {"new": "新客", "active": "活跃", "dormant": "沉睡", "churned": "流失"},
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    args = ["lifecycle", str(tx_csv), "--customer", "member", "--date", "paid_at"]
    assert main([*args, "--as-of", "2025-06-30", "--policy", str(policy), "--counts"]) == 0
    counts = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="stage")
    # ann and dee were woken up (reactivated is not in this stage set: active), bob sleeps.
    assert counts["customers"].to_dict() == {"新客": 1, "活跃": 2, "沉睡": 1, "流失": 0}


def test_lifecycle_without_amount_reads_the_amount_column_so_refunds_are_not_purchases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression (issue 12): without --amount a refund used to count as a purchase."""
    tx = pd.DataFrame(
        {
            "customer_id": ["ann", "ann", "bob"],
            "date": ["2025-01-05", "2025-06-20", "2025-06-10"],
            "amount": [50.0, -50.0, 30.0],  # ann's June row is a refund
        }
    )
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    assert main(["lifecycle", str(path), "--as-of", "2025-06-30"]) == 0
    captured = capsys.readouterr()
    out = pd.read_csv(io.StringIO(captured.out), index_col="customer_id")
    assert out.loc["ann", "last_purchase"].startswith("2025-01-05")  # not the refund day
    assert out.loc["ann", "recency_days"] == 176
    assert "note" not in captured.err
    # The same file named explicitly gives the same table.
    assert main(["lifecycle", str(path), "--as-of", "2025-06-30", "--amount", "amount"]) == 0
    assert capsys.readouterr().out == captured.out


def test_lifecycle_without_an_amount_column_says_every_row_is_a_purchase(
    tx_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["lifecycle", str(tx_csv), "--as-of", "2025-06-30"]
    args += ["--customer", "member", "--date", "paid_at"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "no 'amount' column and no --amount, so every row counts as a purchase" in captured.err
    assert len(pd.read_csv(io.StringIO(captured.out))) == 4
