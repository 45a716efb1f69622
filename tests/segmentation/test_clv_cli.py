"""The ``crmkit clv`` subcommand and the CLV section of ``crmkit demo``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit import datasets
from crmkit._cli_support import DemoData
from crmkit.cli import main
from crmkit.segmentation._clv_cli import clv_table, demo_section


@pytest.fixture(scope="module")
def tx_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clv") / "tx.csv"
    datasets.transactions(600, seed=4).to_csv(path, index=False)
    return path


def test_clv_writes_a_ranked_csv(tx_csv: Path, tmp_path: Path) -> None:
    """One row per customer, highest CLV first, with the model columns."""
    out = tmp_path / "clv.csv"
    assert main(["clv", str(tx_csv), "-o", str(out), "--freq", "W"]) == 0
    table = pd.read_csv(out, index_col="customer_id")
    assert len(table) == 600
    assert table["clv"].is_monotonic_decreasing
    assert ((table["p_alive"] >= 0) & (table["p_alive"] <= 1)).all()
    assert (table["clv"] >= 0).all()


def test_clv_json_and_models_file(tx_csv: Path, tmp_path: Path) -> None:
    """JSON records per customer; --models writes the unit, horizon, rate and both fits."""
    out = tmp_path / "clv.json"
    models = tmp_path / "models.json"
    code = main(
        [
            "clv",
            str(tx_csv),
            "-o",
            str(out),
            "--model",
            "pareto",
            "--freq",
            "W",
            "--models",
            str(models),
        ]
    )
    assert code == 0
    records = json.loads(out.read_text())
    assert len(records) == 600
    assert records[0]["clv"] >= records[-1]["clv"]
    assert "customer_id" in records[0]
    data = json.loads(models.read_text())
    assert data["time_unit"] == "weeks"
    assert data["horizon_months"] == 12
    assert data["purchase_model"]["kind"] == "pareto"
    assert set(data["purchase_model"]["params"]) == {"r", "alpha", "s", "beta"}


def test_clv_table_matches_the_library_calls() -> None:
    """The CLI table is the documented library pipeline, nothing more."""
    from crmkit.segmentation import (
        GammaGammaModel,
        ModifiedBetaGeoModel,
        btyd_summary,
        customer_lifetime_value,
    )

    tx = datasets.transactions(300, seed=9)
    table, _ = clv_table(tx, freq="W")
    summary = btyd_summary(tx, amount="amount", freq="W", refunds="drop")
    fit = ModifiedBetaGeoModel(time_unit="weeks").fit(summary)
    spend = GammaGammaModel(max_correlation=None, time_unit="weeks").fit(summary)
    clv = customer_lifetime_value(summary, fit, spend)
    pd.testing.assert_series_equal(table["clv"].sort_index(), clv["clv"].sort_index())


def test_clv_bad_input_is_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A log with only one-time buyers is a one-line error and exit code 2."""
    path = tmp_path / "one_time.csv"
    pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "date": ["2025-01-01", "2025-02-01", "2025-03-01"],
            "amount": [5.0, 6.0, 7.0],
        }
    ).to_csv(path, index=False)
    assert main(["clv", str(path)]) == 2
    assert "repeat purchase" in capsys.readouterr().err


def test_demo_section_lists_top_customers() -> None:
    """The demo shows the fitted parameters and a top-5 table."""
    text = demo_section(DemoData(seed=2))
    assert "Top predicted value" in text
    assert "win-back" in text
