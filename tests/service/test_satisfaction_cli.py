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
    assert main(["nps", str(responses_csv), "--by", "segment"]) == 0
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
        main(["nps", str(responses_csv), "--metric", "csat", "--period", "Q", "--out", str(out)])
        == 0
    )
    assert "wrote 4 rows" in capsys.readouterr().out
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
