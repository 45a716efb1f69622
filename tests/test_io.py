"""Reading and writing tables for the command line."""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit import _validate as v
from crmkit._io import read_csv_bytes, read_table, write_table
from crmkit.cli import main
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError
from tests.strategies import accepted_date_columns, examples


def test_csv_and_parquet_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    for name in ["t.csv", "t.parquet"]:
        write_table(frame, tmp_path / name, index=False)
        got = read_table(tmp_path / name, labels="positions")
        pd.testing.assert_frame_equal(got, frame, check_dtype=False)
    assert read_table(tmp_path / "t.csv").index.tolist() == [2, 3]  # the file's lines


def test_written_tables_leave_result_attrs_out(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1]})
    frame.attrs["as_of"] = pd.Timestamp("2025-01-01")
    write_table(frame, tmp_path / "t.parquet")
    assert frame.attrs == {"as_of": pd.Timestamp("2025-01-01")}  # the caller's frame keeps them
    assert read_table(tmp_path / "t.parquet").attrs == {}


@pytest.mark.parametrize(
    ("content", "found"),
    [("", "an empty file"), ('a,b\n1,"x\n', "well-formed CSV")],
)
def test_unreadable_csv_is_invalid_input(tmp_path: Path, content: str, found: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InvalidInputError, match=found) as info:
        read_table(path, owner="crmkit rfm")
    assert info.value.field == str(path)


def test_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        read_table(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- issue 10


def test_row_labels_are_file_lines_across_blank_lines_and_quoted_breaks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,note\n1,plain\n\n2,"two\nlines"\n3,"a ""quoted"" word"\n4,x\n')
    frame = read_table(path)
    assert frame.index.tolist() == [2, 4, 6, 7]
    assert frame.loc[4, "note"] == "two\nlines"
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(b"id,amount\r\n1,2\r\n\r\n2,oops\r\n")
    with pytest.raises(SchemaError) as info:
        v.numeric_column(read_table(crlf), "amount", "crmkit rfm")
    assert info.value.rows == (4,)


def test_stray_quotes_inside_fields_still_give_line_labels(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,size\n1,5" screen\n2,7" screen\n3,9" screen\n')
    assert read_table(path).index.tolist() == [2, 3, 4]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8", "cp1252", "utf-16"])
def test_stated_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    text = (
        "客户,金额\n张三,12.5\n" if encoding not in ("cp1252",) else "client,montant\nCéline,12.5\n"
    )
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    frame = read_table(path, encoding=encoding)
    assert frame.columns.tolist() == text.splitlines()[0].split(",")
    assert frame.iloc[0, 0] == text.splitlines()[1].split(",")[0]
    assert frame.index.tolist() == [2]


def test_utf8_with_a_byte_order_mark_is_the_default(tmp_path: Path) -> None:
    """Regression: Excel's UTF-8 BOM became part of the first column's name."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfcustomer_id,amount\n1,2\n")
    assert read_table(path).columns.tolist() == ["customer_id", "amount"]
    assert read_table(path, encoding="UTF8").columns.tolist() == ["customer_id", "amount"]


@pytest.mark.parametrize(
    ("data", "line"),
    [("a,b\nCéline,1\n".encode("latin-1"), 2), ("客户\n1\n".encode("gbk"), 1)],
)
def test_undecodable_files_say_to_pass_the_encoding(tmp_path: Path, data: bytes, line: int) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with pytest.raises(InvalidInputError) as info:
        read_table(path, owner="crmkit rfm")
    assert f"bytes that are not UTF-8 text at line {line}" in str(info.value)
    assert "--encoding" in str(info.value)
    assert info.value.field == str(path)


def test_separator_and_bad_options(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2,5\n")
    assert read_table(path, sep=";").to_dict("records") == [{"a": 1, "b": "2,5"}]
    # Read with a tab, the header is one column that a semicolon would split: refused with
    # the separator to pass (it was one column named "a;b", then "column 'a' missing").
    with pytest.raises(
        InvalidInputError, match=r"holds 1 semicolon: 'a;b'. Pass the separator: --sep ';'"
    ):
        read_table(path, sep="\t")
    path.write_text("a b\n1\n")
    assert read_table(path, sep="\t").columns.tolist() == ["a b"]  # one column of its own
    with pytest.raises(ConfigError, match="'sep' must be one character"):
        read_table(path, sep=";;")
    with pytest.raises(ConfigError, match="'encoding' must be a text encoding"):
        read_table(path, encoding="klingon")
    with pytest.raises(ConfigError, match="'labels'"):
        read_table(path, labels="rows")  # type: ignore[arg-type]


@pytest.mark.parametrize("content", ["", "\n\n", "   \n"])
def test_empty_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(content)
    with pytest.raises(InvalidInputError, match="found an empty file"):
        read_table(path)


def test_header_only_file_is_an_empty_frame(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["a", "b"]
    assert len(frame) == 0


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="must be a file; found a directory"):
        read_table(tmp_path)


def test_missing_parquet_engine_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    with pytest.raises(InvalidInputError, match=r"crmkit\[parquet\]") as info:
        read_table(path)
    assert "no Parquet engine installed" in str(info.value)


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"customer_id,date\n1,2025-01-01\n")
    with pytest.raises(InvalidInputError, match="must be a Parquet file"):
        read_table(path)


def test_standard_input_is_read_as_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Stdin:
        buffer = __import__("io").BytesIO("a,b\n1,2\n".encode("gb18030"))

    monkeypatch.setattr(sys, "stdin", _Stdin())
    assert read_table("-", encoding="gb18030").to_dict("records") == [{"a": 1, "b": 2}]


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(column=accepted_date_columns())
def test_accepted_dates_survive_a_csv_round_trip(
    tmp_path: Path, column: tuple[pd.Series, str | None]
) -> None:
    """Any date column crmkit accepts reads as the same instants after to_csv and back."""
    series, fmt = column
    frame = pd.DataFrame({"d": series})
    first = v.datetime_column(frame, "d", "f()", date_format=fmt)
    path = tmp_path / "t.csv"
    write_table(frame, path, index=False)
    again = v.datetime_column(read_table(path), "d", "f()", date_format=fmt)
    assert again.tolist() == first.tolist()


_OPTIONS = st.fixed_dictionaries(
    {
        "encoding": st.sampled_from([None, "gb18030", "latin-1", "utf-16"]),
        "sep": st.sampled_from([None, ";", "\t"]),
        "labels": st.sampled_from(["lines", "positions"]),
        "as_text": st.booleans(),
    }
)


@settings(max_examples=examples(300), deadline=None)
@given(
    data=st.binary(max_size=200) | st.text(alphabet=',;"\n\r\t\\ab1é客\x00').map(str.encode),
    options=_OPTIONS,
)
def test_csv_reader_never_raises_a_foreign_exception(
    data: bytes, options: dict[str, object]
) -> None:
    """Arbitrary bytes give a DataFrame or a crmkit error, nothing else."""
    try:
        frame = read_csv_bytes(data, "x.csv", **options)  # type: ignore[arg-type]
    except CrmkitError:
        return
    assert isinstance(frame, pd.DataFrame)
    if options["labels"] == "lines":
        assert frame.index.is_unique
        assert (np.asarray(frame.index) >= 0).all()


def test_standard_input_replaced_by_text_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("a,b\n1,2\n"))
    assert read_table("-").to_dict("records") == [{"a": 1, "b": 2}]


def test_a_partitioned_parquet_directory_is_read(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "part": ["x", "y"]})
    frame.to_parquet(tmp_path / "sales.parquet", partition_cols=["part"])
    got = read_table(tmp_path / "sales.parquet")
    assert sorted(got["a"].tolist()) == [1, 2]


def test_as_text_keeps_every_value_as_written_with_line_labels(tmp_path: Path) -> None:
    """Decimal money and ids with leading zeros never pass through float or NaN."""
    path = tmp_path / "t.csv"
    path.write_bytes('会员,金额,备注\n007,12.50,NA\n\n008,,"a\nb"\n'.encode("gb18030"))
    frame = read_table(path, encoding="gb18030", as_text=True)
    assert frame.to_dict("records") == [
        {"会员": "007", "金额": "12.50", "备注": "NA"},
        {"会员": "008", "金额": "", "备注": "a\nb"},
    ]
    assert frame.index.tolist() == [2, 4]
    assert all(frame[c].map(type).eq(str).all() for c in frame.columns)


def test_a_header_naming_a_column_twice_is_refused() -> None:
    """Regression: pandas renamed the second ``customer_id`` to ``customer_id.1`` and the
    first was read without a word; empty names (trailing separators) still pass."""
    with pytest.raises(InvalidInputError, match="'customer_id' named more than once") as info:
        read_csv_bytes(b"customer_id,customer_id,amount\n1,2,3\n", "t.csv")
    assert info.value.field == "t.csv"
    frame = read_csv_bytes(b"customer_id,amount,,\n1,3,,\n", "t.csv")
    assert list(frame.columns[:2]) == ["customer_id", "amount"]


def test_a_utf8_file_read_in_another_encoding_is_named() -> None:
    """Regression: a UTF-8 file with a byte-order mark read as GB18030 gave the first
    column the name '锘縞ustomer_id' and no hint."""
    data = codecs.BOM_UTF8 + "customer_id,城市\n1,上海\n".encode()
    with pytest.raises(InvalidInputError, match="starts with the UTF-8 byte-order mark"):
        read_csv_bytes(data, "t.csv", encoding="gb18030")
    assert list(read_csv_bytes(data, "t.csv").columns) == ["customer_id", "城市"]


@settings(max_examples=examples(100), deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["007", "a b", "客户", "1"]), st.integers(-5, 5)),
        min_size=1,
        max_size=6,
    ),
    empty=st.lists(st.integers(0, 6), max_size=3),
    as_text=st.booleans(),
)
def test_rows_without_a_value_are_blank_lines(
    rows: list[tuple[str, int]], empty: list[int], as_text: bool
) -> None:
    """Inserting ``,,`` / `` ,"" ,`` rows (Excel's rows below a table) changes nothing but
    the line numbers: the same values, the same inferred dtypes, each row at its own line."""
    body = [f"{c},{n},x" for c, n in rows]
    plain = read_csv_bytes(("id,n,t\n" + "\n".join(body) + "\n").encode(), "t.csv",
                           as_text=as_text, text_columns=["id"])  # fmt: skip
    lines = list(body)
    for k in sorted(empty, reverse=True):
        lines.insert(min(k, len(lines)), ",," if k % 2 else ' ,"" ,')
    padded = read_csv_bytes(("id,n,t\n" + "\n".join(lines) + "\n").encode(), "t.csv",
                            as_text=as_text, text_columns=["id"])  # fmt: skip
    pd.testing.assert_frame_equal(padded.reset_index(drop=True), plain.reset_index(drop=True))
    where = [i + 2 for i, line in enumerate(lines) if line in body and line.endswith("x")]
    assert padded.index.tolist() == where


def test_only_an_empty_cell_is_missing() -> None:
    """Regression: pandas read ``NA`` (North America), ``None`` and ``N/A`` as missing, so a
    region or an id spelt that way vanished into a missing group. Only an empty cell is
    missing; the other spellings are the text they are."""
    frame = read_csv_bytes(
        b"id,region,amount\n1,NA,2.5\n2,EU,\n3,None,1\n4,N/A,3\n", "t.csv", labels="lines"
    )
    assert frame["region"].tolist() == ["NA", "EU", "None", "N/A"]
    assert frame["amount"].isna().tolist() == [False, True, False, False]


def test_a_spreadsheet_error_cell_is_refused_where_a_number_is_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``#N/A`` in an amount column (an Excel lookup that failed) is not "no data": the
    command refuses it, naming its line, instead of reading it as missing."""
    path = tmp_path / "t.csv"
    path.write_text(
        "customer_id,date,amount\n1,2025-01-02,10\n1,2025-02-02,#N/A\n", encoding="utf-8"
    )
    assert main(["rfm", str(path), "--as-of", "2025-06-30"]) == 2
    err = capsys.readouterr().err
    assert "column 'amount'" in err
    assert "rows [3]" in err


def test_standard_input_is_read_whole(tmp_path: Path) -> None:
    """``crmkit rfm -`` reads all of standard input: a 3 MB pipe gives exactly the table
    the same bytes give from a file."""
    import subprocess

    rows = [f"{k % 997},2025-0{1 + k % 6}-1{k % 9},{k % 500}.25" for k in range(150_000)]
    text = "customer_id,date,amount\n" + "\n".join(rows) + "\n"
    assert len(text) > 3_000_000
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    argv = [sys.executable, "-m", "crmkit.cli", "rfm", "--as-of", "2025-06-30", "--format", "csv"]
    piped = subprocess.run([*argv, "-"], input=text.encode(), capture_output=True, check=True)
    filed = subprocess.run([*argv, str(path)], capture_output=True, check=True)
    assert piped.stdout == filed.stdout
    assert piped.stdout.count(b"\n") == 998


def test_utf8_text_stated_to_be_gbk_is_refused() -> None:
    """Regression: a UTF-8 file read with ``encoding="gbk"`` came out garbled ('上海' as
    '涓婃捣') without an error; the message shows the line both ways."""
    data = "customer_id,城市\n1,上海\n".encode()
    with pytest.raises(InvalidInputError, match="found UTF-8 text: line 1 reads") as info:
        read_csv_bytes(data, "t.csv", encoding="gbk")
    assert "'customer_id,城市' in UTF-8, 'customer_id,鍩庡競' in gbk" in str(info.value)
    assert "Leave out --encoding" in str(info.value)
    # cp1252 too (the euro sign is three UTF-8 bytes), before its undefined bytes fail.
    with pytest.raises(InvalidInputError, match="in cp1252"):
        read_csv_bytes("id,price\n1,5 €\n2,7 €\n".encode(), "t.csv", encoding="cp1252")


def test_gbk_text_that_is_also_utf8_in_two_bytes_is_read_as_stated() -> None:
    """'女' in GBK is the bytes of 'Ů' in UTF-8: two-byte sequences prove nothing."""
    data = "id,sex\n1,女\n2,女\n".encode("gbk")
    data.decode("utf-8")  # valid UTF-8 too ('Ů')
    assert read_csv_bytes(data, "t.csv", encoding="gbk")["sex"].tolist() == ["女", "女"]


#: The 3,755 level-1 hanzi of GB2312 (B0A1-D7F9), the common characters of Chinese text.
_HANZI = "".join(
    bytes([lead, trail]).decode("gb2312")
    for lead in range(0xB0, 0xD8)
    for trail in range(0xA1, 0xFA if lead == 0xD7 else 0xFF)
)


@settings(max_examples=examples(100), deadline=None)
@given(
    names=st.lists(st.text(st.sampled_from(_HANZI), min_size=2, max_size=4), min_size=1, max_size=5)
)
def test_chinese_text_round_trips_in_its_encoding_and_utf8_is_refused_as_gb18030(
    names: list[str],
) -> None:
    """Level-1 hanzi written in GB18030 read back as written; the same text in UTF-8
    stated to be GB18030 is refused (it would come out garbled)."""
    text = "会员,姓名\n" + "".join(f"{k},{n}\n" for k, n in enumerate(names))
    frame = read_csv_bytes(text.encode("gb18030"), "t.csv", encoding="gb18030")
    assert frame["姓名"].tolist() == names
    with pytest.raises(InvalidInputError, match="found UTF-8 text"):
        read_csv_bytes(text.encode(), "t.csv", encoding="gb18030")
