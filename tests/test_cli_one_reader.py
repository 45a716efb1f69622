"""``crmkit loyalty`` reads its events through the one file reader (crmkit._io), as every
other subcommand does: ``--encoding``, ``--sep``, rows named by their line in the file,
columns as text so decimal amounts stay exact; ``--as-of`` through the one instant reader."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from crmkit._demo_cli import write_sample
from crmkit.cli import main


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, seed=3)
    return folder


def _events(sample: Path) -> pd.DataFrame:
    return pd.read_csv(sample / "loyalty_events.csv", dtype=str, keep_default_na=False)


def _base(sample: Path) -> list[str]:
    return ["--program", str(sample / "program.json"), "--as-of", "2025-12-31"]


def _states(capsys: pytest.CaptureFixture[str]) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)


def test_loyalty_reads_gb18030_with_semicolons_like_utf8(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Chinese Excel export (GB18030, ';') gives the states of the UTF-8 original."""
    base = [*_base(sample), "--format", "csv"]
    assert main(["loyalty", str(sample / "loyalty_events.csv"), *base]) == 0
    want = _states(capsys)
    events = _events(sample)
    events["channel"] = events["channel"].replace({"store": "门店", "online": "线上"})
    path = tmp_path / "events.csv"
    path.write_bytes(events.to_csv(index=False, sep=";").encode("gb18030"))
    assert main(["loyalty", str(path), *base, "--encoding", "gb18030", "--sep", ";"]) == 0
    got = _states(capsys)
    pd.testing.assert_frame_equal(got, want)
    # Without --encoding the bytes are refused with the line of the first bad byte.
    assert main(["loyalty", str(path), *base, "--sep", ";"]) == 2
    assert "must be text in UTF-8" in capsys.readouterr().err


def test_loyalty_names_the_file_line_of_a_bad_amount(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: loyalty named row positions (a blank line shifted every label)."""
    events = _events(sample)
    row = int(events.index[events["kind"] == "purchase"][3])
    events.loc[row, "amount"] = "12,50"
    lines = events.to_csv(index=False).splitlines()
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([lines[0], "", *lines[1:]]) + "\n")  # a blank line 2
    argv = ["loyalty", str(path), *_base(sample), "--on-error", "raise"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "column 'amount'" in err
    assert f"at rows [{row + 3}]" in err  # header line 1, blank line 2, row 0 on line 3


def test_loyalty_keeps_amounts_and_ids_as_written(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text mode: ids keep leading zeros, amounts are never passed through float."""
    events = _events(sample)
    first = events["member_id"].iloc[0]
    events["member_id"] = events["member_id"].str.replace("M", "00", regex=False)
    path = tmp_path / "zeros.csv"
    events.to_csv(path, index=False)
    assert main(["loyalty", str(path), *_base(sample), "--format", "csv"]) == 0
    states = _states(capsys)
    assert first.replace("M", "00") in set(states["member_id"])


@pytest.mark.parametrize("as_of", ["01/02/2025", "someday", "9999-12-31"])
def test_loyalty_as_of_is_read_like_every_as_of(
    sample: Path, as_of: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``--as-of 01/02/2025`` was guessed month first (2 January), exit 0."""
    argv = ["loyalty", str(sample / "loyalty_events.csv"), "--program"]
    assert main([*argv, str(sample / "program.json"), "--as-of", as_of]) == 2
    err = capsys.readouterr().err
    assert "option '--as-of' must be an ISO 8601 datetime between 1678-01-01" in err
    assert err.count("\n") == 1
