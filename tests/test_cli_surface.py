"""The command line as a pipeline tool: formats, outputs, column and date options, encodings,
failures as one line and an exit code, help with defaults and examples, `crmkit sample`."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from crmkit import _cli_support
from crmkit._demo_cli import write_sample
from crmkit.cli import build_parser, main

AS_OF = "2025-08-01"
SUBCOMMANDS = ("rfm", "abc", "lifecycle", "clv", "loyalty", "sla", "nps", "campaign")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, seed=3)
    extra = folder.parent / f"{folder.name}-extra"
    extra.mkdir()
    customers = pd.read_csv(folder / "transactions.csv")[["customer_id"]].drop_duplicates()
    customers.to_csv(extra / "customers.csv", index=False)
    return folder


def _argv(command: str, folder: Path) -> list[str]:
    """A working invocation of ``command`` on the files of ``crmkit sample``."""
    return {
        "rfm": ["rfm", str(folder / "transactions.csv"), "--order", "order_id"],
        "abc": ["abc", str(folder / "transactions.csv")],
        "lifecycle": ["lifecycle", str(folder / "transactions.csv"), "--amount", "amount"],
        "clv": ["clv", str(folder / "transactions.csv"), "--freq", "W"],
        "loyalty": [
            "loyalty",
            str(folder / "loyalty_events.csv"),
            "--program",
            str(folder / "program.json"),
            "--as-of",
            "2025-12-31",
        ],
        "sla": [
            "sla",
            str(folder / "tickets.csv"),
            "--events",
            str(folder / "ticket_events.csv"),
            "--policy",
            str(folder / "policies.json"),
            "--as-of",
            AS_OF,
        ],
        "nps": ["nps", str(folder / "responses.csv"), "--by", "segment"],
        "campaign": [
            "campaign",
            "assign",
            str(folder.parent / f"{folder.name}-extra" / "customers.csv"),
            "--campaign",
            "wake-up",
        ],
    }[command]


def _err_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("crmkit: error: ")
    assert "Traceback" not in err
    return err


def test_sample_writes_files_every_subcommand_reads(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = sorted(p.name for p in sample.iterdir())
    assert names == sorted(
        [
            "loyalty_events.csv",
            "policies.json",
            "program.json",
            "responses.csv",
            "ticket_events.csv",
            "tickets.csv",
            "transactions.csv",
        ]
    )
    assert main(["sample", str(sample / "again"), "--seed", "3"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (sample / "again" / "transactions.csv").read_bytes() == (
        sample / "transactions.csv"
    ).read_bytes()


@pytest.mark.parametrize("command", SUBCOMMANDS)
@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet"])
def test_every_subcommand_writes_every_format_by_suffix(
    sample: Path, tmp_path: Path, command: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"out.{fmt}"
    assert main([*_argv(command, sample), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    if fmt == "csv":
        frame = pd.read_csv(out)
    elif fmt == "json":
        rows = json.loads(out.read_text(encoding="utf-8"))
        assert isinstance(rows, list)
        frame = pd.DataFrame(rows)
    elif fmt == "jsonl":
        frame = pd.read_json(out, lines=True)
    else:
        frame = pd.read_parquet(out)
    assert len(frame) > 0
    # The same rows in every format: compare with the CSV written to standard output.
    assert main([*_argv(command, sample), "--format", "csv"]) == 0
    via_stdout = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns) == list(via_stdout.columns)
    assert len(frame) == len(via_stdout)
    assert not list(tmp_path.glob(".*.part"))  # no temporary file left behind


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_an_unknown_suffix_is_an_error_not_silent_csv(
    sample: Path, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.txt"
    assert main([*_argv(command, sample), "-o", str(out)]) == 2
    assert "option '--format' must be given" in _err_line(capsys)
    assert not out.exists()
    assert main([*_argv(command, sample), "-o", str(out), "--format", "table"]) == 0
    assert out.read_text(encoding="utf-8").strip()


def test_a_suffix_contradicting_format_is_an_error(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert main([*_argv("rfm", sample), "-o", str(out), "--format", "csv"]) == 2
    assert "the suffix of" in _err_line(capsys)
    assert not out.exists()


def test_json_output_is_json_not_csv(sample: Path, tmp_path: Path) -> None:
    """Regression: `-o out.json` used to write CSV silently."""
    out = tmp_path / "scores.json"
    assert main([*_argv("rfm", sample), "-o", str(out)]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert set(rows[0]) >= {"customer_id", "recency_days", "frequency", "monetary", "segment"}
    assert isinstance(rows[0]["frequency"], int)


def test_parquet_without_engine_names_the_extra_and_writes_nothing(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Regression: rfm-model.json was written before the Parquet crash."""
    monkeypatch.setattr(_cli_support, "_parquet_engine", lambda: None)
    out, model = tmp_path / "customers.parquet", tmp_path / "rfm-model.json"
    argv = [*_argv("rfm", sample), "-o", str(out), "--save-model", str(model)]
    assert main(argv) == 1
    err = _err_line(capsys)
    assert "pip install 'crmkit[parquet]'" in err
    assert list(tmp_path.iterdir()) == []
    pq = tmp_path / "in.parquet"
    pq.write_bytes(b"PAR1")
    assert main(["rfm", str(pq)]) == 1
    assert "`parquet` extra" in _err_line(capsys)


def test_numbers_without_float_noise_and_rounded_shares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tx = tmp_path / "tx.csv"
    # 0.1 + 0.2 + 492.145 sums to 492.44500000000005 in binary floating point.
    tx.write_text(
        "customer_id,date,amount\n1,2025-01-01,0.1\n1,2025-01-02,0.2\n1,2025-01-03,492.145\n"
        "2,2025-01-03,7\n3,2025-01-03,11\n"
    )
    assert main(["rfm", str(tx), "--format", "csv", "--map", "none", "--bins", "2"]) == 0
    text = capsys.readouterr().out
    assert "492.445," in text
    assert "00000000" not in text
    assert main(["abc", str(tx), "--summary", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    for row in rows:
        assert row["customer_share"] == round(row["customer_share"], 4)


def test_column_options_name_every_column_loyalty_reads(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = pd.read_csv(sample / "loyalty_events.csv", dtype=str, keep_default_na=False)
    renamed = events.rename(
        columns={"member_id": "mid", "event_id": "eid", "time": "at", "kind": "type",
                 "amount": "paid"}
    )  # fmt: skip
    path = tmp_path / "events.csv"
    renamed.to_csv(path, index=False)
    base = ["--program", str(sample / "program.json"), "--as-of", "2025-12-31", "--format", "csv"]
    assert main(["loyalty", str(sample / "loyalty_events.csv"), *base]) == 0
    want = pd.read_csv(io.StringIO(capsys.readouterr().out))
    options = ["--member", "mid", "--event-id", "eid", "--time", "at", "--kind", "type"]
    assert main(["loyalty", str(path), *base, *options, "--column", "amount=paid"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert got.drop(columns="mid").equals(want.drop(columns="member_id"))
    assert main(["loyalty", str(path), *base, *options, "--column", "amont=paid"]) == 2
    assert "'--column' must be a NAME among" in _err_line(capsys)


def test_column_options_name_the_ticket_timestamps_sla_reads(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rows without waits or reopenings, and targets a row can give (no next_response):
    # without --events only what a row states is read.
    tickets = pd.read_csv(sample / "tickets.csv").assign(waiting_seconds=0, reopened=False)
    plain, path, policy = tmp_path / "plain.csv", tmp_path / "t.csv", tmp_path / "p.json"
    tickets.to_csv(plain, index=False)
    tickets.rename(
        columns={"ticket_id": "id", "created_at": "opened", "first_reply_at": "replied"}
    ).to_csv(path, index=False)
    data = json.loads((sample / "policies.json").read_text())
    data["default"]["targets"]["*"] = [
        t for t in data["default"]["targets"]["*"] if t["metric"] != "next_response"
    ]
    policy.write_text(json.dumps(data))
    common = ["--policy", str(policy), "--as-of", AS_OF, "--verdicts"]
    assert main(["sla", str(plain), *common, "--format", "csv"]) == 0
    want = pd.read_csv(io.StringIO(capsys.readouterr().out))
    options = ["--ticket", "id", "--created-at", "opened", "--first-reply-at", "replied"]
    assert main(["sla", str(path), *common, *options, "--format", "csv"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert got.drop(columns="id").equals(want.drop(columns="ticket_id"))
    assert main(["sla", str(path), *common]) == 2
    assert "column 'created_at' must be present" in _err_line(capsys)


def test_date_format_and_unit_read_non_iso_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iso = tmp_path / "iso.csv"
    iso.write_text("customer_id,date,amount\n1,2025-01-31,10\n1,2025-02-13,5\n2,2025-02-01,7\n")
    dmy = tmp_path / "dmy.csv"
    dmy.write_text("customer_id,date,amount\n1,31/01/2025,10\n1,13/02/2025,5\n2,01/02/2025,7\n")
    epoch = tmp_path / "epoch.csv"
    epoch.write_text("customer_id,date,amount\n1,1738281600,10\n1,1739404800,5\n2,1738368000,7\n")
    base = ["--format", "csv", "--map", "none", "--bins", "2"]
    assert main(["rfm", str(iso), *base]) == 0
    want = capsys.readouterr().out
    assert main(["rfm", str(dmy), *base, "--date-format", "%d/%m/%Y"]) == 0
    assert capsys.readouterr().out == want
    assert main(["rfm", str(epoch), *base, "--date-unit", "s"]) == 0
    assert capsys.readouterr().out == want
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date,amount\n1,31/01/2025,10\n1,2025-02-13,5\n")
    assert main(["rfm", str(bad), *base, "--date-format", "%d/%m/%Y"]) == 2
    err = _err_line(capsys)
    assert "column 'date' must be dates in the format '%d/%m/%Y'" in err
    assert "'2025-02-13' at rows [3]" in err  # rows are the file's line numbers


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig"])
def test_encodings_and_separators(
    tmp_path: Path, encoding: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "客户;日期;金额\n张三;2025-01-31;10\n李四;2025-02-01;7\n"
    path = tmp_path / "tx.csv"
    path.write_bytes(text.encode(encoding))
    options = ["--customer", "客户", "--date", "日期", "--amount", "金额", "--sep", ";"]
    name = "utf-8" if encoding == "utf-8-sig" else encoding  # BOM read by default
    argv = ["rfm", str(path), *options, "--encoding", name, "--format", "json"]
    assert main([*argv, "--map", "none", "--bins", "2"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["客户"] for row in rows} == {"张三", "李四"}


def test_bad_files_give_one_line_and_documented_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("customer_id,date,amount\nJosé,2025-01-01,1\n".encode("latin-1"))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    cases = [
        ([str(latin)], "at line 2"),
        ([str(empty)], "an empty file"),
        ([str(tmp_path)], "must be a file; found a directory"),
        ([str(tmp_path / "missing.csv")], "no such file"),
        ([str(latin), "--encoding", "klingon"], "option '--encoding'"),
    ]
    for argv, message in cases:
        for command in SUBCOMMANDS:
            if command in ("loyalty", "sla"):
                continue  # their rule file is read first (below)
            words = ["campaign", "assign"] if command == "campaign" else [command]
            extra = ["--campaign", "x"] if command == "campaign" else []
            assert main([*words, *argv, *extra]) == 2, (command, argv)
            assert message in _err_line(capsys)
    assert main(["rfm", str(latin), "--encoding", "latin-1", "--format", "csv"]) == 0
    capsys.readouterr()
    events = ["loyalty", str(empty), "--program", str(tmp_path / "none.json"), "--as-of", AS_OF]
    assert main(events) == 2
    assert "option '--program' must be an existing JSON file" in _err_line(capsys)


def test_ctrl_c_is_exit_130(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("crmkit._demo_cli._run_demo", interrupted)
    assert main(["demo"]) == 130
    assert _err_line(capsys) == "crmkit: error: crmkit demo: interrupted\n"


def test_closed_pipe_is_one_line_and_exit_141(tmp_path: Path) -> None:
    """`crmkit rfm x.csv | head -1`: no traceback, one line on stderr, exit code 141.

    Regression (issue 10): the closed pipe exited 141 without a word, so a script could
    not tell a truncated output from a complete one.
    """
    n = 40_000  # output larger than any pipe buffer, so the writer sees the closed pipe
    big = tmp_path / "big.csv"
    pd.DataFrame({"customer_id": range(n), "date": "2025-01-01", "amount": 1.5}).to_csv(
        big, index=False
    )
    script = (
        f"{sys.executable} -m crmkit.cli rfm {big} --format csv "
        '| head -n 1; echo "status=${PIPESTATUS[0]}"'
    )
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.stdout.startswith("customer_id,")
    assert "status=141" in done.stdout
    assert done.stderr == (
        "crmkit: error: crmkit rfm: standard output was closed before all results were "
        "written (e.g. by `| head`); the output is incomplete\n"
    )


def test_no_program_is_an_error(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["loyalty", str(sample / "loyalty_events.csv"), "--as-of", "2025-12-31"]
    assert main(argv) == 2
    assert "--program" in capsys.readouterr().err


def test_errors_speak_options(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_argv("rfm", sample), "--bins", "1"]) == 2
    assert "crmkit rfm: option --bins must be" in _err_line(capsys)
    assert main([*_argv("rfm", sample), "--customer", "client"]) == 2
    err = _err_line(capsys)
    assert "column 'client' must be present" in err
    assert "Name it with --customer." in err
    assert "keyword argument" not in err


@pytest.mark.parametrize("command", [*SUBCOMMANDS, "demo", "sample", "report", "campaign measure"])
def test_help_shows_defaults_and_an_example(command: str) -> None:
    command = "campaign assign" if command == "campaign" else command
    sub = build_parser()._subparsers._group_actions[0].choices[command.split(maxsplit=1)[0]]  # type: ignore[union-attr]
    if " " in command:
        sub = sub._subparsers._group_actions[0].choices[command.split()[1]]  # type: ignore[union-attr]
    text = sub.format_help()
    assert "example:\n  crmkit " in text
    if command not in ("sample",):
        assert "(default: " in text or "default" in text


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, loud = io.StringIO(), Tty()
    for stream in (quiet, loud):
        bar = _cli_support.Progress(total=4, label="replaying", stream=stream)
        bar.update(2)
        bar.update(2)
        bar.close()
    assert quiet.getvalue() == ""
    assert "replaying: [" in loud.getvalue()
    assert "4/4" in loud.getvalue()


def test_loyalty_in_chunks_equals_one_replay(sample: Path) -> None:
    """The chunked replay behind the progress bar gives exactly the one-call result."""
    from crmkit.loyalty._cli import _replay_in_chunks
    from crmkit.loyalty._program import Program
    from crmkit.loyalty._replay_many import replay_many

    events = pd.read_csv(sample / "loyalty_events.csv", dtype=str, keep_default_na=False)
    program = Program.from_dict(json.loads((sample / "program.json").read_text()))
    options = {
        "as_of": pd.Timestamp("2025-12-31").to_pydatetime(),
        "member": "member_id",
        "event_id": "event_id",
        "time": "time",
        "kind": "kind",
        "expiring_days": 30,
        "on_error": "skip",
    }
    bar = _cli_support.Progress(total=len(events), label="x", stream=io.StringIO())
    chunked = _replay_in_chunks(events, program, options, bar)
    pd.testing.assert_frame_equal(chunked, replay_many(events, program, **options))
