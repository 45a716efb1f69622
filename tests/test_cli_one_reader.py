"""``crmkit loyalty`` reads its events through the one file reader (crmkit._io), as every
other subcommand does: ``--encoding``, ``--sep``, rows named by their line in the file,
columns as text so decimal amounts stay exact; ``--as-of`` through the one instant reader."""

from __future__ import annotations

import contextlib
import io
import itertools
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
    assert "crmkit loyalty: option --as-of must be a date" in err  # the reader's ConfigError
    assert err.count("\n") == 1


# ------------------------------------------------------------------ ids are text in every CSV


def test_rfm_keeps_ids_with_leading_zeros_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``007`` and ``7`` were read as the number 7 and merged into one customer."""
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,date,amount\n007,2025-01-01,10\n7,2025-02-01,20\n")
    assert main(["rfm", str(path), "--map", "none", "--format", "csv"]) == 0
    out = _states(capsys)
    assert out["customer_id"].tolist() == ["007", "7"]
    assert out["frequency"].tolist() == ["1", "1"]


def test_an_id_column_named_by_an_option_is_text_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("kunde,date,amount\n007,2025-01-01,10\n7,2025-02-01,20\n")
    assert main(["rfm", str(path), "--map", "none", "--format", "csv", "--customer", "kunde"]) == 0
    assert _states(capsys)["kunde"].tolist() == ["007", "7"]


def test_read_input_finds_the_file_column_of_a_renamed_id(tmp_path: Path) -> None:
    import argparse

    from crmkit._cli_support import read_input

    path = tmp_path / "t.csv"
    path.write_text("ticket,minutes\n001,5\n1,7\n")
    args = argparse.Namespace(
        encoding="utf-8", sep=",", column=["ticket_id=ticket"], command_name="crmkit x"
    )
    frame = read_input(str(path), args, ids=["ticket_id", None])
    assert frame["ticket"].tolist() == ["001", "1"]
    assert frame["minutes"].tolist() == [5, 7]  # the other columns are inferred as before


def test_campaign_arms_of_padded_ids_are_those_of_the_ids_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``007`` was hashed as ``7`` (GrowthBook's bucket of "007" is 0.6691)."""
    from crmkit.campaigns import assign

    path = tmp_path / "customers.csv"
    path.write_text("customer_id\n007\n0012\n42\n")
    argv = ["campaign", "assign", str(path), "--campaign", "wake", "--control-share", "0.5"]
    assert main([*argv, "--format", "csv"]) == 0
    out = _states(capsys)
    assert out["customer_id"].tolist() == ["007", "0012", "42"]
    expected = assign(["007", "0012", "42"], campaign="wake", control_share=0.5)
    assert out["arm"].tolist() == expected["arm"].astype(str).tolist()
    assert out["bucket"].tolist()[0] == "0.6691"


# ------------------------------------------------------------ --as-of named alike everywhere

#: Every command with an --as-of option, on the sample files (rfm, lifecycle and clv read
#: naive transaction dates; loyalty and sla aware event times).
AS_OF_COMMANDS = {
    "rfm": lambda s: ["rfm", str(s / "transactions.csv")],
    "lifecycle": lambda s: ["lifecycle", str(s / "transactions.csv"), "--amount", "amount"],
    "clv": lambda s: ["clv", str(s / "transactions.csv"), "--freq", "W"],
    "loyalty": lambda s: [
        "loyalty",
        str(s / "loyalty_events.csv"),
        "--program",
        str(s / "program.json"),
    ],
    "sla": lambda s: [
        "sla",
        str(s / "tickets.csv"),
        "--events",
        str(s / "ticket_events.csv"),
        "--policy",
        str(s / "policies.json"),
    ],
}
NAIVE_DATES = ("rfm", "lifecycle", "clv")

#: --as-of values the reader refuses while showing something else than the text typed
#: (a parsed timestamp), and what the command says they must be.
UNREADABLE_AS_OF = {
    "0999-01-01T00:00": "a date between 1678-01-01 and 2261-12-31",
    "9999-12-31": "a date between 1678-01-01 and 2261-12-31",
    "2262-01-01T12:00": "a date between 1678-01-01 and 2261-12-31",
    "2025-02-31": "a date, datetime, Timestamp or ISO 8601 string",
}


def _error_line(argv: list[str]) -> str:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert main(argv) == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("as_of", list(UNREADABLE_AS_OF))
@pytest.mark.parametrize("command", list(AS_OF_COMMANDS))
def test_every_command_names_an_unreadable_as_of_as_the_option_typed(
    sample: Path, command: str, as_of: str
) -> None:
    """``option --as-of must be ...; found '<as typed>'`` in every command (one place:
    ``_cli_support.restate``).

    Regression: rfm, lifecycle, clv and sla said "parameter 'as_of' ... found
    0999-01-01 00:00:00" (the reader's parse, so the typed value was not recognised);
    only loyalty named the option.
    """
    line = _error_line([*AS_OF_COMMANDS[command](sample), "--as-of", as_of])
    assert f"crmkit {command}: option --as-of must be {UNREADABLE_AS_OF[as_of]}; " in line
    assert f"found '{as_of}'." in line
    assert "parameter" not in line


@pytest.mark.parametrize("command", NAIVE_DATES)
def test_an_aware_as_of_beside_naive_dates_names_the_option(sample: Path, command: str) -> None:
    """Regression: "parameter 'as_of' must be naive, like the date column" in the CLI."""
    line = _error_line([*AS_OF_COMMANDS[command](sample), "--as-of", "2025-06-30T18:00+08:00"])
    assert f"crmkit {command}: option --as-of must be naive, like the date column; " in line
    assert "found '2025-06-30T18:00+08:00'." in line
    assert "parameter" not in line


@pytest.mark.parametrize("option", ["--start", "--end", "--pre-start"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0999-01-01T00:00", "a date between 1678-01-01 and 2261-12-31"),
        ("2025-06-30T00:00+08:00", "a naive date or datetime"),
    ],
)
def test_campaign_measure_names_its_date_options_alike(
    sample: Path, tmp_path: Path, option: str, value: str, expected: str
) -> None:
    """The same rule for the other options read as instants (campaign measure's window)."""
    tx = pd.read_csv(sample / "transactions.csv", dtype=str)
    customers = tmp_path / "customers.csv"
    tx[["customer_id"]].drop_duplicates().to_csv(customers, index=False)
    assignment = tmp_path / "assignment.csv"
    with contextlib.redirect_stdout(io.StringIO()):
        assert (
            main(["campaign", "assign", str(customers), "--campaign", "c1", "-o", str(assignment)])
            == 0
        )
    window = {"--start": "2025-07-01", "--end": "2025-07-31", "--pre-start": "2025-06-01"}
    window[option] = value
    argv = ["campaign", "measure", str(assignment), str(sample / "transactions.csv")]
    line = _error_line([*argv, *itertools.chain.from_iterable(window.items())])
    assert f"crmkit campaign measure: option {option} must be {expected}" in line
    assert f"found '{value}'." in line
