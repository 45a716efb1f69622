"""Option checks of `crmkit rfm` and `crmkit clv`: refused as options, before any work.

Regressions: ``--sep '\\t'`` (as documented) was refused; ``clv --horizon-months -3``
failed deep in the fit naming a column 't' the file does not have; ``rfm --model`` with
``--map`` or ``--bins`` silently ignored ``--map`` and failed on ``--bins`` in the words of
a Python parameter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.cli import main


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return datasets.transactions(n_customers=150, seed=4)


@pytest.fixture
def tx_csv(tx: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("crmkit: error: ")
    assert "Traceback" not in err
    return err


# --------------------------------------------------------------------------- --sep


@pytest.mark.parametrize("sep", ["\\t", "tab", "\t"])
def test_a_tsv_read_with_sep_tab_equals_the_csv(
    sep: str, tx: pd.DataFrame, tx_csv: Path, tmp_path: Path
) -> None:
    """`--sep '\\t'` (backslash t, as a shell passes it), `--sep tab` and a real tab agree."""
    tsv = tmp_path / "tx.tsv"
    tx.to_csv(tsv, index=False, sep="\t")
    from_csv, from_tsv = tmp_path / "csv.csv", tmp_path / "tsv.csv"
    assert main(["rfm", str(tx_csv), "--order", "order_id", "-o", str(from_csv)]) == 0
    assert main(["rfm", str(tsv), "--order", "order_id", "--sep", sep, "-o", str(from_tsv)]) == 0
    assert from_tsv.read_bytes() == from_csv.read_bytes()


@pytest.mark.parametrize("sep", ["::", ";;", "\\n", "tabs", '"'])
def test_other_multi_character_separators_are_still_refused(
    sep: str, tx_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the tab spellings are widened; the message is unchanged."""
    err = _one_line_error(capsys, ["rfm", str(tx_csv), "--sep", sep])
    assert "must be one character other than a quote or a line break" in err


# --------------------------------------------------------------------------- crmkit clv


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--horizon-months", "-3", "a whole number of months from 1 to 1200"),
        ("--horizon-months", "0", "a whole number of months from 1 to 1200"),
        ("--horizon-months", "100000000", "a whole number of months from 1 to 1200"),
        ("--discount-rate", "-0.01", "a monthly rate in [0, 10)"),
        ("--discount-rate", "10", "a monthly rate in [0, 10)"),
        ("--discount-rate", "nan", "a monthly rate in [0, 10)"),
        ("--penalizer", "-1", "a number at least 0"),
        ("--penalizer", "inf", "a number at least 0"),
        ("--penalizer", "nan", "a number at least 0"),
    ],
)
def test_clv_numeric_options_are_option_errors_before_any_work(
    option: str, value: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked before the input is read: a missing file does not even come up."""
    missing = tmp_path / "no-such-file.csv"
    out = tmp_path / "clv.csv"
    err = _one_line_error(capsys, ["clv", str(missing), f"{option}={value}", "-o", str(out)])
    assert f"crmkit clv: option '{option}' must be {expected}; found" in err
    assert "column" not in err
    assert "row" not in err
    assert not out.exists()


def test_clv_negative_horizon_on_the_sample_data(
    tx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reviewer's case: no error about a column 't' at row 0."""
    err = _one_line_error(
        capsys, ["clv", str(tx_csv), "--horizon-months", "-3", "-o", str(tmp_path / "c.csv")]
    )
    assert err.endswith(
        "option '--horizon-months' must be a whole number of months from 1 to 1200; found -3."
    )


def test_clv_accepts_the_bounds(tx_csv: Path, tmp_path: Path) -> None:
    """A one-month horizon, a zero rate and no penalty are valid."""
    out = tmp_path / "clv.csv"
    argv = ["clv", str(tx_csv), "--freq", "W", "-o", str(out)]
    assert main([*argv, "--horizon-months", "1", "--discount-rate", "0", "--penalizer", "0"]) == 0
    assert len(pd.read_csv(out)) == 150


# --------------------------------------------------------------------------- rfm --model


@pytest.fixture
def stored_model(tx_csv: Path, tmp_path: Path) -> Path:
    model = tmp_path / "model.json"
    argv = ["rfm", str(tx_csv), "--order", "order_id", "--bins", "4", "--map", "none"]
    assert main([*argv, "-o", str(tmp_path / "fit.csv"), "--save-model", str(model)]) == 0
    return model


@pytest.mark.parametrize(
    "extra",
    [
        ["--map", "rf-grid"],
        ["--map", "default"],  # given, even if it is the default's value
        ["--map", "none"],
        ["--bins", "3"],
        ["--bins", "4"],  # the model's own bins: still a contradiction to refuse
    ],
)
def test_rfm_options_a_stored_model_fixes_are_refused_with_model(
    extra: list[str], tx_csv: Path, stored_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line, exit 2, naming both options; no RFMScorer or Python parameter names."""
    argv = ["rfm", str(tx_csv), "--order", "order_id", "--model", str(stored_model), *extra]
    err = _one_line_error(capsys, argv)
    option = extra[0]
    assert f"crmkit rfm: option '{option}' must be left out with --model" in err
    assert f"found {option} {extra[1]}" in err
    assert "RFMScorer" not in err
    assert "parameter" not in err


def test_rfm_model_alone_applies_the_stored_bins_and_map(
    tx_csv: Path, stored_model: Path, tmp_path: Path
) -> None:
    """Without --bins/--map the stored model is applied as it was fitted."""
    out = tmp_path / "again.csv"
    argv = ["rfm", str(tx_csv), "--order", "order_id", "--model", str(stored_model)]
    assert main([*argv, "-o", str(out)]) == 0
    again = pd.read_csv(out, dtype={"rfm_code": str})
    fitted = pd.read_csv(tmp_path / "fit.csv", dtype={"rfm_code": str})
    assert again["rfm_code"].tolist() == fitted["rfm_code"].tolist()
    assert "segment" not in again.columns  # the stored map: none
    assert json.loads(stored_model.read_text())["bins"] == 4


def test_rfm_defaults_without_model_are_five_bins_and_the_default_map(
    tx_csv: Path, tmp_path: Path
) -> None:
    """Leaving --bins and --map out still means 5 bins and the 11-segment map."""
    model = tmp_path / "m.json"
    argv = ["rfm", str(tx_csv), "--order", "order_id", "-o", str(tmp_path / "s.csv")]
    assert main([*argv, "--save-model", str(model)]) == 0
    explicit = tmp_path / "explicit.json"
    argv = [*argv, "--bins", "5", "--map", "default", "--save-model", str(explicit)]
    assert main(argv) == 0
    assert json.loads(model.read_text()) == json.loads(explicit.read_text())
    assert json.loads(model.read_text())["bins"] == 5


def test_hints_name_the_options_to_type_not_python_keywords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: the command line said "Say which: date_format='%d/%m/%Y'" (a Python
    keyword) where the user types --date-format."""
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,date,amount\n1,01/02/2025,10\n2,03/02/2025,5\n")
    assert main(["rfm", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--date-format '%d/%m/%Y'" in err
    assert "date_format=" not in err


def test_a_refused_separator_with_a_backslash_is_named_as_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``--sep '\\t\\t'`` was refused as "parameter 'sep'" (its message shows
    the value's repr, with doubled backslashes)."""
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,date,amount\n1,2025-01-02,10\n")
    assert main(["rfm", str(path), "--sep", "\\t\\t"]) == 2
    err = capsys.readouterr().err
    assert "option --sep must be one character" in err
    assert "parameter" not in err
