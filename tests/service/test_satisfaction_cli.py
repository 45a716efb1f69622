"""Tests of the ``crmkit nps`` command and the satisfaction demo section."""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest

from crmkit.cli import DemoData, main
from crmkit.datasets import survey_responses
from crmkit.service import metric_table
from crmkit.service._satisfaction_cli import demo_section


@pytest.fixture
def responses_csv(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "responses.csv"
    survey_responses(n_responses=400, seed=2).to_csv(path, index=False)
    return path


def test_nps_table_by_segment_and_month(
    responses_csv: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["nps", str(responses_csv), "--by", "segment", "--format", "table"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "nps by segment, period (95% CI, adjusted_wald)"
    assert lines[1].split() == [
        "segment",
        "period",
        "n",
        "value",
        "interval",
        "n_missing",
        "low_sample",
    ]
    expected = metric_table(survey_responses(n_responses=400, seed=2), "nps", by="segment")
    assert len(lines) == 2 + len(expected)
    first = expected.iloc[0]
    assert f"{round(float(first['value']))}" in lines[2]
    assert "yes" in out  # some segment-months have fewer than 30 answers


def test_nps_out_writes_unrounded_table(
    responses_csv: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.csv"
    assert (
        main(["nps", str(responses_csv), "--metric", "csat", "--period", "Q", "-o", str(out)]) == 0
    )
    assert capsys.readouterr().out == ""  # a file was asked for: nothing else is printed
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["period", "n", "value"]
    assert table["value"].between(0, 100).all()


def test_nps_without_period_and_weights(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.csv"
    pd.DataFrame({"nps": [10, 9, 3, None], "w": [1.0, 2.0, 1.0, 1.0]}).to_csv(path, index=False)
    assert (
        main(
            [
                "nps",
                str(path),
                "--period",
                "none",
                "--weights",
                "w",
                "--ci",
                "wald",
                "--decimals",
                "1",
                "--format",
                "table",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "50.0" in out  # (3 - 1) / 4 weighted


def test_nps_bad_input_exits_2(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.csv"
    pd.DataFrame({"date": ["2025-01-01", "someday"], "nps": [1, 2]}).to_csv(path, index=False)
    assert main(["nps", str(path)]) == 2
    assert "date" in capsys.readouterr().err
    pd.DataFrame({"date": ["2025-01-01"], "nps": [12]}).to_csv(path, index=False)
    assert main(["nps", str(path)]) == 2
    assert "whole numbers in [0, 10]" in capsys.readouterr().err


def test_demo_section() -> None:
    text = demo_section(DemoData(seed=3))
    assert "Satisfaction and service KPIs" in text
    assert "adjusted Wald" in text
    assert "Monthly NPS trend" in text
    assert "first_contact_resolution (one_touch)" in text
    assert "Kaplan-Meier" in text
    assert "per 1,000" in text


@pytest.mark.parametrize(
    ("content", "args", "needle"),
    [
        # Regression: an empty file used to exit 1 with pandas' "No columns to parse".
        ("", [], "empty file"),
        # Regression: a header-only file used to crash with a traceback in the display.
        ("date,segment,nps\n", ["--by", "segment"], "only a header row"),
        ("date,segment,score\n2025-01-03,a,9\n", [], "column 'nps' must be present"),
        ("date,nps\n2025-01-03,11\n2025-01-04,-1\n", [], "'nps' must be whole numbers"),
        ("date,nps\n2025-01-03,8.5\n", [], "'nps' must be whole numbers"),
        # Regression: the error named the parameter 'scores', not the column.
        ("date,nps\n2025-01-03,abc\n", [], "column 'nps' must be numeric"),
        (",nps\n,9\n", ["--date", ""], "must be"),
        ("date,nps\n,9\n", [], "column 'date' must be without missing dates"),
        ("date,nps,w\n2025-01-03,9,\n", ["--weights", "w"], "column 'w' must be finite"),
        ("date,nps\n2025-01-03,9\n", ["--by", "segment"], "column 'segment' must be present"),
        ("date,nps\n2025-01-03,9\n", ["--ci", "wilson"], "option --ci"),
        ("date,nps\n2025-01-03,9\n", ["--period", "XX"], "option --freq"),
    ],
)
def test_nps_bad_input_is_one_line_and_exits_2(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    args: list[str],
    needle: str,
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(content)
    assert main(["nps", str(path), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert needle in lines[0]


def test_nps_missing_scores_are_counted_not_errors(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Empty scores, and texts named by ``--na-values`` (here ``NaN``), follow the missing
    policy: left out of n and counted. The CSV reader reads only an empty cell as missing;
    ``NaN`` without ``--na-values`` is refused as text."""
    path = tmp_path / "r.csv"
    path.write_text("date,nps\n2025-01-03,9\n2025-01-04,NaN\n2025-01-05,\n")
    assert main(["nps", str(path), "--min-n", "1", "--format", "table"]) == 2
    assert "--na-values NaN" in capsys.readouterr().err
    assert main(["nps", str(path), "--min-n", "1", "--format", "table", "--na-values", "NaN"]) == 0
    row = capsys.readouterr().out.splitlines()[2].split()
    assert row[:3] == ["2025-01", "1", "100"]
    assert row[-1] == "2"  # n_missing
    include = ["--missing", "include", "--format", "table", "--na-values", "NaN"]
    assert main(["nps", str(path), "--min-n", "1", *include]) == 0
    row = capsys.readouterr().out.splitlines()[2].split()
    assert row[:3] == ["2025-01", "3", "33"]


def test_nps_invalid_exclude_shows_the_count(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.csv"
    path.write_text("date,nps\n2025-01-03,9\n2025-01-04,11\n")
    assert (
        main(["nps", str(path), "--invalid", "exclude", "--min-n", "1", "--format", "table"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    # One promoter: adjusted Wald (0.25 -/+ 1.96 * 0.375) is -48 to 98, which missed the
    # score 100 it was printed with; the interval is extended to it: -48 to 100.
    assert lines[2].split() == ["2025-01", "1", "100", "-48", "to", "100", "0"]
    assert lines[-1] == "left out: 1 off-scale scores"


def test_nps_display_rounds_exact_ties_half_up(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: 29 net promoters of 200 (exactly 14.5) was shown as 14."""
    path = tmp_path / "r.csv"
    pd.DataFrame({"nps": [10] * 29 + [8] * 171}).to_csv(path, index=False)
    assert main(["nps", str(path), "--period", "none", "--format", "table"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[:2] == ["200", "15"]


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_na_values_vectorised_reading(dtype: object) -> None:
    """``--na-values`` texts are matched after trimming, in text cells only (numbers in an
    object column never match), for object, string and categorical columns alike; a
    numeric column is returned unchanged."""
    from crmkit.service._satisfaction_cli import _no_answers

    cells = ["9", " N/A ", None, "不知道", "n/a", "10"]
    frame = pd.DataFrame({"nps": pd.Series(cells, dtype=dtype)})  # type: ignore[call-overload]
    out = _no_answers(frame, "nps", "N/A,不知道")
    assert out["nps"].isna().tolist() == [False, True, True, True, False, False]
    mixed = pd.DataFrame({"nps": pd.Series([9, "N/A", 7.0], dtype=object)})
    cleaned = _no_answers(mixed, "nps", "N/A")["nps"]
    assert cleaned.isna().tolist() == [False, True, False]
    assert cleaned.dropna().tolist() == [9.0, 7.0]
    numbers = pd.DataFrame({"nps": [9.0, 10.0]})
    assert _no_answers(numbers, "nps", "N/A") is numbers
