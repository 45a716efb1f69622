"""`crmkit rfm`, `crmkit abc` and the segmentation section of `crmkit demo`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit.cli import DemoData, main
from crmkit.segmentation import RFMModel, SegmentMap
from crmkit.segmentation._cli import demo_section

TX = pd.DataFrame(
    {
        "cust": [1, 1, 1, 2, 3, 3, 4],
        "when": [
            "2025-01-05",
            "2025-03-01",
            "2025-06-20",
            "2024-11-02",
            "2025-05-01",
            "2025-06-01",
            "2025-06-19",
        ],
        "paid": [120.0, 80.0, 200.0, 35.0, 60.0, 60.0, 15.0],
    }
)
COLS = ["--customer", "cust", "--date", "when", "--amount", "paid"]


@pytest.fixture
def tx_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tx.csv"
    TX.to_csv(path, index=False)
    return path


def test_rfm_writes_scored_customers(tx_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    model_file = tmp_path / "model.json"
    assert (
        main(
            [
                "rfm",
                str(tx_csv),
                "-o",
                str(out),
                *COLS,
                "--bins",
                "3",
                "--map",
                "none",
                "--save-model",
                str(model_file),
            ]
        )
        == 0
    )
    scored = pd.read_csv(out, index_col="cust", dtype={"rfm_code": str})
    assert scored.loc[1, "rfm_code"] == "333"
    assert scored.loc[2, "rfm_code"] == "111"
    model = RFMModel.from_dict(json.loads(model_file.read_text()))
    assert model.bins == 3
    # Applying the stored model reproduces the codes.
    again = tmp_path / "again.csv"
    assert (
        main(
            [
                "rfm",
                str(tx_csv),
                "-o",
                str(again),
                *COLS,
                "--model",  # the stored model brings its bins (3) and map (none)
                str(model_file),
            ]
        )
        == 0
    )
    assert (
        pd.read_csv(again, dtype={"rfm_code": str})["rfm_code"].tolist()
        == scored["rfm_code"].tolist()
    )


def test_rfm_summary_to_stdout_and_parquet(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rfm", str(tx_csv), *COLS, "--summary", "--map", "three-layer"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col=0)
    assert list(table.index) == ["High-value loyal", "Potential growth", "Sleeping"]
    assert table["customers"].sum() == 4
    pq = tmp_path / "seg.parquet"
    assert main(["rfm", str(tx_csv), *COLS, "-o", str(pq)]) == 0
    assert len(pd.read_parquet(pq)) == 4


def test_rfm_custom_map_file(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custom = SegmentMap.from_dict(
        {
            "name": "two",
            "segments": [
                {"name": "Hot", "rules": [{"r": [3, 5]}]},
                {"name": "Cold", "rules": [{"r": [1, 2]}]},
            ],
        }
    )
    path = tmp_path / "map.json"
    path.write_text(json.dumps(custom.to_dict()))
    assert main(["rfm", str(tx_csv), *COLS, "--map", str(path)]) == 0
    scored = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(scored["segment"]) <= {"Hot", "Cold"}


def test_rfm_errors_exit_2_with_one_line(tx_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rfm", str(tx_csv)]) == 2  # default column names are absent
    err = capsys.readouterr().err
    assert err.startswith("crmkit: error:")
    assert "customer_id" in err
    assert main(["rfm", str(tx_csv), *COLS, "--map", "nope"]) == 2
    assert "--map" in capsys.readouterr().err
    assert main(["rfm", str(tx_csv), *COLS, "--bins", "4"]) == 2
    assert "4 bins" in capsys.readouterr().err
    assert main(["rfm", str(tx_csv), *COLS, "--map", "none", "--summary"]) == 2
    assert main(["rfm", "missing.csv"]) == 2


def test_abc_sums_per_customer_and_classifies(
    tx_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["abc", str(tx_csv), "--customer", "cust", "--value", "paid"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="cust")
    assert out.loc[1, "value"] == 400.0
    assert out.loc[1, "abc_class"] == "A"
    assert (
        main(
            [
                "abc",
                str(tx_csv),
                "--customer",
                "cust",
                "--value",
                "paid",
                "--summary",
                "--method",
                "rank",
                "--cuts",
                "0.25",
                "0.5",
            ]
        )
        == 0
    )
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col=0)
    assert table["customers"].tolist() == [1, 1, 2]


def test_abc_thresholds_and_bad_cuts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "turnover.csv"
    pd.DataFrame({"customer_id": ["a", "b", "c"], "amount": [6e6, 2e6, 5e5]}).to_csv(
        path, index=False
    )
    assert main(["abc", str(path), "--method", "thresholds"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col=0)
    assert out["abc_class"].tolist() == ["A", "B", "C"]
    assert main(["abc", str(path), "--cuts", "0.9", "0.8"]) == 2
    assert "cuts" in capsys.readouterr().err
    assert main(["abc", str(path), "--value", "turnover"]) == 2
    holes = tmp_path / "holes.csv"
    pd.DataFrame({"customer_id": ["a", None, "c"], "amount": [1.0, 2.0, None]}).to_csv(
        holes, index=False
    )
    assert main(["abc", str(holes)]) == 2
    assert "customer ids" in capsys.readouterr().err


def test_demo_section_reports_segments_abc_pyramid() -> None:
    text = demo_section(DemoData(seed=2))
    assert "RFM segments of 2,000 customers" in text
    assert "Champions" in text
    assert "Lost" in text
    assert "ABC classes" in text
    assert "Customer pyramid" in text
    assert "VIP" in text
    assert "Gini" in text


def test_demo_runs_through_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3"]) == 0
    assert "Segmentation: RFM, ABC, customer pyramid" in capsys.readouterr().out


# ------------------------------------------------------------------ bad input, one line, 2


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("crmkit: error: ")
    return err


@pytest.mark.parametrize("command", ["rfm", "abc"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "found an empty file"),  # regression: exited 1 with a raw pandas message
        ("cust,when,paid\n", "at least one row"),  # header only; abc said "0 non-numeric"
        ("cust,when,paid\n1,2025-01-01,10\n2,2025-01-02,abc\n", "'paid' must be numeric"),
        ("cust,when,paid\n1,2025-01-01,10\n2,2025-01-02,\n", "'paid' must be without missing"),
        ("cust,when,total\n1,2025-01-01,10\n", "'paid' must be present"),
        ('cust,when,paid\n1,2025-01-01,10\n"2,x\n', "CSV file; found"),  # regression
    ],
)
def test_bad_input_files_give_one_line_and_exit_2(
    command: str,
    content: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    argv = [command, str(path), "--customer", "cust"]
    argv += ["--date", "when", "--amount", "paid"] if command == "rfm" else ["--value", "paid"]
    err = _one_line_error(capsys, argv)
    assert message in err


@pytest.mark.parametrize("command", ["rfm", "abc"])
def test_binary_and_broken_parquet_inputs_give_one_line_and_exit_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: these exited 1 with a raw UnicodeDecodeError / pyarrow message."""
    binary = tmp_path / "tx.csv"
    binary.write_bytes(b"cust,when,paid\n\xff\xfe\x00\x81,1,2\n")
    err = _one_line_error(capsys, [command, str(binary)])
    assert "must be text in UTF-8; found bytes that are not UTF-8 text at line 2" in err
    assert "--encoding" in err
    broken = tmp_path / "tx.parquet"
    broken.write_bytes(b"this is not parquet")
    assert "must be a Parquet file; found" in _one_line_error(capsys, [command, str(broken)])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "'--model' must be an existing JSON file"),
        ("{bad", "'--model' must be valid JSON"),
        ("[1, 2]", "'--model' must be a JSON object"),
        ('{"bins": 5, "extra": 1}', "RFMModel.from_dict()"),
        ('{"bins": 5, "method": "quantile"}', "RFMScorer's parameters, which hold no cut points"),
    ],
)
def test_bad_model_file_gives_one_line_and_exit_2(
    content: str | None,
    message: str,
    tx_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Regression: a missing or malformed --model file used to exit 1 with a raw error."""
    model = tmp_path / "model.json"
    if content is not None:
        model.write_text(content, encoding="utf-8")
    err = _one_line_error(capsys, ["rfm", str(tx_csv), *COLS, "--model", str(model)])
    assert message in err


def test_bad_map_file_gives_one_line_and_exit_2(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "map.json"
    bad.write_text("{not json", encoding="utf-8")
    err = _one_line_error(capsys, ["rfm", str(tx_csv), *COLS, "--map", str(bad)])
    assert "'--map' must be valid JSON" in err
    bad.write_text('"a string"', encoding="utf-8")
    err = _one_line_error(capsys, ["rfm", str(tx_csv), *COLS, "--map", str(bad)])
    assert "'--map' must be a JSON object" in err


def test_rfm_published_table_by_name_reports_its_broken_promises(
    tx_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--map marketer-11`` keeps the published table available from the shell."""
    assert main(["rfm", str(tx_csv), *COLS, "--summary", "--map", "marketer-11"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col=0)
    assert len(table) == 11
    assert "promise_kept_share" in table.columns
    assert table["customers"].sum() == 4
