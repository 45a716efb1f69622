"""``crmkit campaign assign`` and ``crmkit campaign measure`` on CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit.campaigns import assign, measure
from crmkit.cli import main


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    ids = [f"客户{i:04d}" for i in range(400)]
    customers = pd.DataFrame({"customer_id": ids, "stage": ["dormant", "churned"] * 200})
    tx = pd.DataFrame(
        {
            "customer_id": ids[::7] + ids[::5],
            "date": ["2025-03-01"] * len(ids[::7]) + ["2025-07-15"] * len(ids[::5]),
            "amount": [50.0] * len(ids[::7]) + [80.0] * len(ids[::5]),
        }
    )
    paths = {"customers": tmp_path / "customers.csv", "tx": tmp_path / "tx.csv"}
    customers.to_csv(paths["customers"], index=False)
    tx.to_csv(paths["tx"], index=False)
    paths["arms"] = tmp_path / "arms.csv"
    paths["result"] = tmp_path / "result.json"
    return paths


def test_assign_then_measure(files: dict[str, Path], capsys: pytest.CaptureFixture[str]):
    """assign then measure on CSV files give what the Python functions give."""
    code = main(
        ["campaign", "assign", str(files["customers"]), "--campaign", "wake-up",
         "--control-share", "0.2", "--strata", "stage", "-o", str(files["arms"])]
    )  # fmt: skip
    assert code == 0
    arms = pd.read_csv(files["arms"])
    expected = assign(
        pd.read_csv(files["customers"]), campaign="wake-up", control_share=0.2, strata="stage"
    )
    assert arms["arm"].tolist() == expected["arm"].astype(str).tolist()
    assert arms.columns.tolist() == ["customer_id", "arm", "bucket", "stage"]

    code = main(
        ["campaign", "measure", str(files["arms"]), str(files["tx"]), "--start", "2025-07-01",
         "--end", "2025-07-31", "--pre-start", "2025-01-01", "--segment", "stage",
         "--control-share", "0.2", "-o", str(files["result"])]
    )  # fmt: skip
    assert code == 0
    got = json.loads(files["result"].read_text(encoding="utf-8"))
    ref = measure(
        expected, pd.read_csv(files["tx"]), start="2025-07-01", end="2025-07-31",
        pre_start="2025-01-01", segment="stage",
    ).to_dict()  # fmt: skip
    ref["campaign"] = None  # the CSV does not carry the campaign name
    assert got == json.loads(json.dumps(ref))
    assert [s["segment"] for s in got["by_segment"]] == ["churned", "dormant"]


def test_errors_exit_2(files: dict[str, Path], capsys: pytest.CaptureFixture[str]):
    """Bad options and files are one line on stderr and exit code 2."""
    code = main(
        ["campaign", "assign", str(files["customers"]), "--campaign", "x", "--control-share", "1.5"]
    )
    assert code == 2
    assert "option --control-share" in capsys.readouterr().err
    code = main(
        [
            "campaign",
            "measure",
            str(files["customers"]),
            str(files["tx"]),
            "--start",
            "2025-07-01",
            "--end",
            "2025-07-31",
        ]
    )
    assert code == 2
    assert "'arm'" in capsys.readouterr().err


def test_measure_to_stdout(files: dict[str, Path], capsys: pytest.CaptureFixture[str]):
    """Without -o the JSON goes to stdout; no pre-period means no CUPED, no share no SRM."""
    main(
        ["campaign", "assign", str(files["customers"]), "--campaign", "c", "-o", str(files["arms"])]
    )
    capsys.readouterr()
    code = main(
        [
            "campaign",
            "measure",
            str(files["arms"]),
            str(files["tx"]),
            "--start",
            "2025-07-01",
            "--end",
            "2025-07-31",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["incremental_revenue_cuped"] is None
    assert out["srm"] is None  # no --control-share: nothing to check against


def test_summary_lines_show_relative_revenue_lift_and_untested_segments() -> None:
    """The command line's readable summary carries what the JSON has: the relative revenue
    lift (control revenue 3.50, treatment 3.25 a customer: -7.1 %) and a segment without a
    control group marked not tested, instead of leaving them to the JSON alone."""
    import pandas as pd

    from crmkit.campaigns import measure
    from crmkit.campaigns._cli import summary_lines

    arms = pd.DataFrame(
        {
            "arm": pd.Categorical(["control"] * 20 + ["treatment"] * 40, ["control", "treatment"]),
            "seg": ["A"] * 10 + ["B"] * 10 + ["A"] * 20 + ["B"] * 10 + ["C"] * 10,
        },
        index=pd.Index(range(60), name="customer_id"),
    )
    tx = pd.DataFrame(
        {"customer_id": list(range(0, 60, 3)), "date": pd.Timestamp("2025-07-05"), "amount": 10.0}
    )
    result = measure(arms, tx, start="2025-07-01", end="2025-07-31", segment="seg")
    lines = summary_lines(result)
    assert any(line.startswith("  relative -7.1% (95% CI") for line in lines)
    assert lines[-1] == "not tested: segment C (no control customers)"
    # The intervals are labelled with the level they were computed at (--level 0.9).
    at_90 = summary_lines(
        measure(arms, tx, start="2025-07-01", end="2025-07-31", segment="seg", level=0.9)
    )
    assert all("95% CI" not in line for line in at_90)
    assert any(line.startswith("uplift -2.5% (90% CI") for line in at_90)
