"""``--output-encoding``: CSV and tables Excel on Chinese Windows opens without garbling.

Every subcommand that writes CSV or a table takes it from the shared option builder;
``utf-8-sig`` writes the byte-order mark Excel needs, ``gb18030``/``gbk`` the code page.
A character the encoding cannot write is refused (naming the option and the character),
never replaced, and leaves no file. JSON (results, ``--save-model``) stays UTF-8 and
Parquet is unaffected; without the option the output is what it was.

Regressions found on the way: ``--encoding rot13`` (a codec, but no text encoding) ended
in a traceback; a character standard output's own encoding cannot write (a pipe on
Chinese Windows is code page 936) was reported as "cannot decode the input".
"""

from __future__ import annotations

import argparse
import codecs
import io
import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit._cli_support import write_output
from crmkit._demo_cli import write_sample
from crmkit._io import read_table
from crmkit.cli import main
from crmkit.errors import ConfigError
from tests._cli_errors import _error

_ORDERS = (
    "订单编号,客户编号,下单时间,实付金额\n"
    "1,000123,2025-06-01 09:05,1234.50\n"
    "2,张三,2025-06-03 14:05,88.00\n"
    "3,000123,2025-06-15 20:30,299.00\n"
    "4,李四,2025-06-30 14:05,1050.00\n"
)
_COLUMNS = ["--customer", "客户编号", "--date", "下单时间", "--amount", "实付金额"]
_RFM = ["--order", "订单编号"]


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(_ORDERS, encoding="utf-8")
    return path


@pytest.fixture
def emoji_orders(tmp_path: Path) -> Path:
    """The orders with a customer named with an emoji, which GBK cannot write."""
    path = tmp_path / "emoji.csv"
    path.write_text(_ORDERS.replace("李四", "李四\U0001f600"), encoding="utf-8")
    return path


def _rfm(path: Path, *options: str) -> list[str]:
    return ["rfm", str(path), *_COLUMNS, *_RFM, *options]


def _read(path: Path, encoding: str | None = None) -> pd.DataFrame:
    return read_table(path, owner="test", encoding=encoding, text_columns=["客户编号"])


def _no_part_files(folder: Path) -> None:
    assert not list(folder.glob(".*.part")), list(folder.iterdir())


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "gbk"])
def test_round_trip_through_crmkits_reader(orders: Path, tmp_path: Path, encoding: str) -> None:
    """Written in ``encoding``, read back with it: the frame the UTF-8 default gives."""
    plain, encoded = tmp_path / "plain.csv", tmp_path / "encoded.csv"
    assert main([*_rfm(orders), "-o", str(plain)]) == 0
    assert main([*_rfm(orders), "-o", str(encoded), "--output-encoding", encoding]) == 0
    read_as = None if encoding == "utf-8-sig" else encoding  # crmkit's reader skips a BOM
    pd.testing.assert_frame_equal(_read(encoded, read_as), _read(plain))
    assert "张三" in _read(encoded, read_as)["客户编号"].tolist()
    assert encoded.read_bytes().decode(encoding) == plain.read_text(encoding="utf-8")
    assert encoded.read_bytes().startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    _no_part_files(tmp_path)


def test_default_is_unchanged_utf8_without_bom(orders: Path, tmp_path: Path) -> None:
    """Without the option a file is UTF-8 without a BOM, as ``--output-encoding utf-8``."""
    default, explicit = tmp_path / "default.csv", tmp_path / "explicit.csv"
    assert main([*_rfm(orders), "-o", str(default)]) == 0
    assert main([*_rfm(orders), "-o", str(explicit), "--output-encoding", "UTF8"]) == 0
    data = default.read_bytes()
    assert not data.startswith(codecs.BOM_UTF8)
    assert "张三".encode() in data
    assert explicit.read_bytes() == data


def test_standard_output_gets_bytes_in_the_encoding(
    orders: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """On standard output the CSV is written as gb18030 bytes (sys.stdout.buffer)."""
    assert main([*_rfm(orders), "--format", "csv"]) == 0
    utf8 = capsysbinary.readouterr().out
    assert main([*_rfm(orders), "--format", "csv", "--output-encoding", "gb18030"]) == 0
    out = capsysbinary.readouterr().out
    assert "张三".encode("gb18030") in out
    assert out.decode("gb18030") == utf8.decode("utf-8")
    assert main([*_rfm(orders), "--format", "csv", "--output-encoding", "utf-8-sig"]) == 0
    assert capsysbinary.readouterr().out == codecs.BOM_UTF8 + utf8


def test_tables_for_people_are_encoded_too(orders: Path, tmp_path: Path) -> None:
    """``--format table`` to a file is text as well: written in the encoding."""
    out = tmp_path / "segments.txt"
    argv = [*_rfm(orders), "--summary", "--format", "table", "-o", str(out)]
    assert main([*argv, "--output-encoding", "gb18030"]) == 0
    assert "segment" in out.read_bytes().decode("gb18030")


def test_an_unwritable_character_is_refused_and_writes_no_file(
    emoji_orders: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An emoji under gbk: one line naming the option, the character and its line; no file.

    The output is sorted by customer id: the header, 000123, 张三, then 李四😀 on line 4.
    """
    out = tmp_path / "scores.csv"
    err = _error(capsys, [*_rfm(emoji_orders), "-o", str(out), "--output-encoding", "gbk"])
    assert "option '--output-encoding'" in err
    assert "(U+1F600) on line 4, which gbk cannot write" in err
    assert "nothing was written" in err
    assert not out.exists()
    _no_part_files(tmp_path)


def test_a_refusal_leaves_an_earlier_file_untouched(
    emoji_orders: Path, orders: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file written before stays as it was; nothing half-written replaces it."""
    out = tmp_path / "scores.csv"
    assert main([*_rfm(orders), "-o", str(out), "--output-encoding", "gbk"]) == 0
    before = out.read_bytes()
    _error(capsys, [*_rfm(emoji_orders), "-o", str(out), "--output-encoding", "gbk"])
    assert out.read_bytes() == before
    _no_part_files(tmp_path)


def test_an_unwritable_character_on_standard_output_writes_nothing(
    emoji_orders: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """Refused before the first byte: a pipe gets no partial CSV."""
    code = main([*_rfm(emoji_orders), "--format", "csv", "--output-encoding", "gbk"])
    captured = capsysbinary.readouterr()
    assert code == 2
    assert captured.out == b""
    assert b"--output-encoding" in captured.err


def test_gb18030_writes_every_character(emoji_orders: Path, tmp_path: Path) -> None:
    """What gbk refuses, gb18030 (all of Unicode) writes and crmkit reads back."""
    out = tmp_path / "scores.csv"
    assert main([*_rfm(emoji_orders), "-o", str(out), "--output-encoding", "gb18030"]) == 0
    assert "李四\U0001f600" in _read(out, "gb18030")["客户编号"].tolist()


@pytest.mark.parametrize("name", ["gb2313", "rot13", "base64"])
def test_an_unknown_encoding_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Not a text encoding: refused by the ``--encoding`` check, before the input is read.

    The input does not exist, so an error about it would mean the option came too late.
    """
    out = tmp_path / "scores.csv"
    argv = ["rfm", str(tmp_path / "missing.csv"), "-o", str(out), "--output-encoding", name]
    err = _error(capsys, argv)
    assert "option '--output-encoding' must be a text encoding Python knows" in err
    assert repr(name) in err
    assert not out.exists()


def test_a_codec_that_is_no_text_encoding_is_refused_for_input_too(
    orders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``--encoding rot13`` ended in a traceback ("not a text encoding")."""
    err = _error(capsys, [*_rfm(orders), "--encoding", "rot13"])
    assert "option '--encoding' must be a text encoding Python knows" in err


def test_json_outputs_stay_utf8(orders: Path, tmp_path: Path) -> None:
    """JSON results and ``--save-model`` are UTF-8 without a BOM whatever the option says."""
    result, model = tmp_path / "scores.json", tmp_path / "model.json"
    argv = [*_rfm(orders), "-o", str(result), "--save-model", str(model)]
    assert main([*argv, "--output-encoding", "utf-16"]) == 0
    for path in (result, model):
        data = path.read_bytes()
        assert not data.startswith(codecs.BOM_UTF8)
        json.loads(data.decode("utf-8"))
    assert "张三" in result.read_text(encoding="utf-8")


def test_save_model_beside_an_encoded_csv(orders: Path, tmp_path: Path) -> None:
    """The CSV in the encoding, the model beside it in UTF-8: one command, two files."""
    scores, model = tmp_path / "scores.csv", tmp_path / "model.json"
    argv = [*_rfm(orders), "-o", str(scores), "--save-model", str(model)]
    assert main([*argv, "--output-encoding", "utf-8-sig"]) == 0
    assert scores.read_bytes().startswith(codecs.BOM_UTF8)
    assert not model.read_bytes().startswith(codecs.BOM_UTF8)


def test_parquet_is_unaffected(orders: Path, tmp_path: Path) -> None:
    """Parquet is binary: the option changes nothing in it."""
    pytest.importorskip("pyarrow")
    plain, encoded = tmp_path / "plain.parquet", tmp_path / "encoded.parquet"
    assert main([*_rfm(orders), "-o", str(plain)]) == 0
    assert main([*_rfm(orders), "-o", str(encoded), "--output-encoding", "gbk"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(encoded), pd.read_parquet(plain))


def test_default_standard_output_that_cannot_write_names_the_option(
    emoji_orders: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: a GBK pipe (Chinese Windows) and an emoji said "cannot decode the input".

    Now the refusal names the character and --output-encoding, the option that fixes it.
    """
    pipe = io.TextIOWrapper(io.BytesIO(), encoding="gbk", newline="\n")
    monkeypatch.setattr(sys, "stdout", pipe)
    code = main([*_rfm(emoji_orders), "--format", "csv"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "standard output's encoding gbk cannot write" in err
    assert "--output-encoding utf-8-sig" in err
    assert "decode" not in err


def test_json_through_a_pipe_that_cannot_write_it_says_so(
    emoji_orders: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: JSON (always UTF-8 in files) on a GBK standard output with an emoji was
    reported as "cannot decode the input ... --encoding", an input problem it is not."""
    pipe = io.TextIOWrapper(io.BytesIO(), encoding="gbk", newline="\n")
    monkeypatch.setattr(sys, "stdout", pipe)
    code = main([*_rfm(emoji_orders), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "standard output's encoding cannot write the result" in err
    assert "-o" in err
    assert "decode" not in err


# --------------------------------------------------------------------------- subcommands


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, seed=3)
    customers = pd.read_csv(folder / "transactions.csv")[["customer_id"]].drop_duplicates()
    customers.to_csv(folder / "customers.csv", index=False)
    return folder


def _argv(command: str, folder: Path) -> list[str]:
    """A working invocation of ``command`` on the files of ``crmkit sample``."""
    return {
        "rfm": ["rfm", str(folder / "transactions.csv")],
        "abc": ["abc", str(folder / "transactions.csv")],
        "lifecycle": ["lifecycle", str(folder / "transactions.csv")],
        "clv": ["clv", str(folder / "transactions.csv"), "--freq", "W"],
        "loyalty": [
            "loyalty", str(folder / "loyalty_events.csv"), "--program",
            str(folder / "program.json"), "--as-of", "2025-12-31",
        ],
        "sla": [
            "sla", str(folder / "tickets.csv"), "--events", str(folder / "ticket_events.csv"),
            "--policy", str(folder / "policies.json"), "--as-of", "2025-08-01",
        ],
        "nps": ["nps", str(folder / "responses.csv"), "--by", "segment"],
        "campaign assign": [
            "campaign", "assign", str(folder / "customers.csv"), "--campaign", "wake-up",
        ],
    }[command]  # fmt: skip


@pytest.mark.parametrize(
    "command", ["rfm", "abc", "lifecycle", "clv", "loyalty", "sla", "nps", "campaign assign"]
)
def test_every_subcommand_writing_csv_takes_the_option(
    sample: Path, tmp_path: Path, command: str
) -> None:
    """Each CSV-writing subcommand writes the BOM and the same rows as without it."""
    plain, encoded = tmp_path / "plain.csv", tmp_path / "encoded.csv"
    assert main([*_argv(command, sample), "-o", str(plain)]) == 0
    assert (
        main([*_argv(command, sample), "-o", str(encoded), "--output-encoding", "utf-8-sig"]) == 0
    )
    assert encoded.read_bytes() == codecs.BOM_UTF8 + plain.read_bytes()


def test_campaign_measure_summary_is_encoded_and_its_json_is_not(
    sample: Path, tmp_path: Path
) -> None:
    """``campaign measure``: the summary (--format table) in gb18030; its JSON in UTF-8."""
    arms = tmp_path / "arms.csv"
    assert main([*_argv("campaign assign", sample), "-o", str(arms)]) == 0
    argv = [
        "campaign", "measure", str(arms), str(sample / "transactions.csv"),
        "--start", "2025-07-01", "--end", "2025-07-31", "--output-encoding", "utf-8-sig",
    ]  # fmt: skip
    summary, result = tmp_path / "summary.txt", tmp_path / "result.json"
    assert main([*argv, "--format", "table", "-o", str(summary)]) == 0
    assert summary.read_bytes().startswith(codecs.BOM_UTF8)
    assert "uplift" in summary.read_text(encoding="utf-8-sig")
    assert main([*argv, "-o", str(result)]) == 0
    assert not result.read_bytes().startswith(codecs.BOM_UTF8)
    assert "uplift" in json.loads(result.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- property

_ENCODINGS = ("gbk", "gb18030", "utf-8-sig", "latin-1", "cp1252", "big5")


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from('ab,\n"é€张三李四丂\U0001f600ß→'), max_size=30),
    encoding=st.sampled_from(_ENCODINGS),
)
def test_written_exactly_or_refused_with_nothing_written(
    tmp_path_factory: pytest.TempPathFactory, text: str, encoding: str
) -> None:
    """Either the file decodes to the text exactly, or the first character the encoding
    cannot write is named and no file exists: never a replaced character."""
    folder = tmp_path_factory.mktemp("prop")
    out = folder / "out.csv"
    args = argparse.Namespace(output=str(out), output_encoding=encoding, command_name="x")
    unwritable = [ch for ch in text if not _writable(ch, encoding)]
    if not unwritable:
        write_output(text, args, fmt="csv")
        assert out.read_bytes().decode(encoding) == text.replace("\n", os.linesep)
        return
    with pytest.raises(ConfigError) as caught:
        write_output(text, args, fmt="csv")
    assert caught.value.field == "--output-encoding"
    assert f"(U+{ord(unwritable[0]):04X})" in str(caught.value)
    assert not out.exists()
    _no_part_files(folder)


def _writable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
