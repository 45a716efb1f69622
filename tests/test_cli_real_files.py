"""The command line on files as analysts have them: workbooks, TSVs, Chinese survey exports.

Regressions found by running every subcommand on such files:

- an ``.xlsx`` workbook given where a CSV is read was answered "must be text in UTF-8 ...
  pass the file's encoding with --encoding"; ``--encoding latin-1`` then "read" the ZIP
  bytes as one garbled column. It is now named as a workbook, with how to save it as CSV;
- a TSV or semicolon file read with the default comma said "column 'customer_id' must be
  present; found columns ['customer_id\\tdate\\tamount']" instead of naming ``--sep``;
- hints written for both interfaces came out as "--encoding (--encoding in Python)", and
  "the format named by date_format" kept the Python keyword;
- ``--help`` printed "(default: )" for options whose default is an empty string;
- ``crmkit report --column nps=推荐意愿`` was refused ("a NAME among" the file's own
  columns), so a survey export with Chinese headers could not be reported at all;
- the report's RFM and CLV tables did not say what their "frequency" counts: its CLV
  table counted repeat purchase *weeks* (23 for customer 755 of the sample) beside an RFM
  table of purchases, and neither said which `crmkit rfm` / `crmkit clv` options give the
  same figures.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit._cli_support import DemoData
from crmkit.cli import main
from tests._cli_errors import _error


def _workbook(path: Path) -> None:
    """A ZIP archive laid out like an .xlsx workbook (what Excel's default save writes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + "<row/>" * 50 + "</worksheet>")


@pytest.mark.parametrize("encoding", [None, "gb18030", "latin-1"])
def test_a_workbook_is_named_as_one(
    encoding: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An .xlsx is refused as a workbook whatever --encoding says, never as bad text."""
    path = tmp_path / "订单.xlsx"
    _workbook(path)
    extra = ["--encoding", encoding] if encoding else []
    err = _error(capsys, ["rfm", str(path), *extra])
    assert "must be a CSV text file; found a ZIP archive, such as an Excel workbook" in err
    assert "Save As > CSV UTF-8" in err
    assert "--encoding" not in err
    assert "columns [" not in err


@pytest.mark.parametrize(
    ("magic", "found"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
        (b"PAR1", "a Parquet file"),
        (b"\x1f\x8b\x08\x00", "a gzip-compressed file"),
    ],
)
def test_other_binary_files_are_named(
    magic: bytes, found: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .xls (OLE2), a Parquet file without its suffix, a .csv.gz: named by their bytes."""
    path = tmp_path / "data.csv"
    path.write_bytes(magic + bytes(range(256)))
    err = _error(capsys, ["abc", str(path)])
    assert f"found {found}" in err


@pytest.mark.parametrize(
    ("sep", "word", "shown"), [("\t", "4 tabs", "--sep '\\t'"), (";", "4 semicolons", "--sep ';'")]
)
def test_another_separator_is_named(
    sep: str, word: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A TSV (or an ``;`` export) read with the comma: the message names the --sep to pass.

    With that --sep the same file is read: 000123 buys 1234.50 + 299.00 = 1533.50.
    """
    path = tmp_path / "orders.tsv"
    rows = [
        ["订单号", "客户编号", "下单日期", "实付金额", "渠道"],
        ["1", "000123", "2024-01-05", "1234.50", "线上"],
        ["2", "000123", "2024-02-01", "299.00", "门店"],
    ]
    path.write_bytes("\r\n".join(sep.join(r) for r in rows).encode("gbk"))
    argv = ["abc", str(path), "--encoding", "gbk", "--customer", "客户编号", "--value", "实付金额"]
    err = _error(capsys, argv)
    assert f"must be fields separated by ','; found one column whose header holds {word}" in err
    assert err.endswith(f"Pass the separator: {shown}.")
    assert "in Python" not in err
    assert main([*argv, "--sep", sep, "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"客户编号": str})
    assert out.set_index("客户编号").loc["000123", "value"] == 1533.5


def test_hints_name_options_not_keywords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A GBK file read as UTF-8, a UTF-8 file read as GBK, day-first dates: option words."""
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("客户编号,date,amount\r\n000123,2024-01-05,10\r\n".encode("gbk"))
    err = _error(capsys, ["rfm", str(gbk)])
    assert "Pass the file's encoding with --encoding, e.g. gb18030" in err
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffcustomer_id,date,amount\r\n1,2024-01-05,10\r\n".encode())
    err = _error(capsys, ["rfm", str(bom), "--encoding", "gbk"])
    assert err.endswith("Leave out --encoding: UTF-8 is the default.")
    days = tmp_path / "days.csv"
    days.write_text("customer_id,date,amount\n1,1/5/2024,10\n2,13/5/2024,20\n")
    err = _error(capsys, ["rfm", str(days)])
    assert "in the format named by --date-format;" in err
    assert "date_format" not in err
    assert "Pass --date-format '%d/%m/%Y'" in err


def test_help_shows_no_empty_default(capsys: pytest.CaptureFixture[str]) -> None:
    """``--by`` and ``--na-values`` default to nothing: no "(default: )" in the help."""
    assert main(["nps", "--help"]) == 0
    text = capsys.readouterr().out
    assert "(default: )" not in text
    assert "--by BY" in text


@pytest.fixture(scope="module")
def sample() -> DemoData:
    return DemoData(seed=7)


def _survey_export(sample: DemoData, path: Path) -> pd.DataFrame:
    """The sample responses as a GB18030 export with Chinese headers."""
    frame = sample.survey_responses.rename(columns={"date": "日期", "nps": "推荐意愿"})
    frame.to_csv(path, index=False, encoding="gb18030")
    return frame


def test_report_maps_score_columns_with_column(
    sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--column nps=推荐意愿`` names the NPS column of a Chinese export.

    The January 2025 NPS equals plain pandas on the same rows (promoters minus detractors
    among the answered scores): 56.8 over 155 answers for seed 7.
    """
    pytest.importorskip("matplotlib")
    path = tmp_path / "满意度.csv"
    frame = _survey_export(sample, path)
    month = pd.to_datetime(frame["日期"]).dt.to_period("M") == "2025-01"
    scores = frame.loc[month, "推荐意愿"].dropna()
    expected = ((scores >= 9).mean() - (scores <= 6).mean()) * 100
    assert (len(scores), round(expected, 1)) == (155, 56.8)
    base = ["report", str(tmp_path / "out"), "--responses", str(path), "--encoding", "gb18030"]
    assert main([*base, "--date", "日期", "--column", "nps=推荐意愿"]) == 0
    capsys.readouterr()
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    satisfaction = page.split('id="satisfaction"', 1)[1].split("</section>", 1)[0]
    assert "NPS by month" in satisfaction
    assert re.search(r"<th>2025-01</th>\s*<td>155</td>\s*<td>56\.8</td>", satisfaction)
    err = _error(capsys, [*base, "--date", "日期", "--column", "nps=推荐"])
    assert "column '推荐' must be present in one of the files given (named by --column)" in err
    err = _error(capsys, [*base, "--date", "日期", "--column", "nsp=推荐意愿"])
    assert "option '--column' must be a NAME among [" in err
    assert "'nps'" in err
    assert "'推荐意愿'" not in err


def test_report_names_an_empty_mapped_score_column_as_the_file_does(
    sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: after ``--column ces=费力度`` the sentence about an unfilled score named
    the report's own column ('ces'), a name the user's file does not have."""
    pytest.importorskip("matplotlib")
    path = tmp_path / "满意度.csv"
    frame = sample.survey_responses.head(300).rename(columns={"date": "日期", "ces": "费力度"})
    frame.assign(费力度=np.nan).to_csv(path, index=False, encoding="gb18030")
    argv = ["report", str(tmp_path / "out"), "--responses", str(path), "--encoding", "gb18030"]
    assert main([*argv, "--date", "日期", "--column", "ces=费力度"]) == 0
    capsys.readouterr()
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    satisfaction = page.split('id="satisfaction"', 1)[1].split("</section>", 1)[0]
    assert (
        "CES is left out: none of the 300 responses has a score in the column &#x27;费力度&#x27;"
        in satisfaction
    )


def test_report_tables_say_what_frequency_counts(
    sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The captions name the `crmkit rfm` / `crmkit clv` options that give their figures.

    With order ids the RFM table counts orders (434 Champions for seed 7, as
    `crmkit rfm --order order_id`; 433 without --order); the CLV table's "frequency" is
    weeks with a repeat purchase (23 for customer 755, as `crmkit clv --freq W`).
    """
    pytest.importorskip("matplotlib")
    path = tmp_path / "transactions.csv"
    sample.transactions.to_csv(path, index=False)
    assert main(["report", str(tmp_path / "out"), "--transactions", str(path)]) == 0
    capsys.readouterr()
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "frequency counts distinct orders, as `crmkit rfm --order &lt;order column&gt;`" in page
    assert re.search(r"<th>Champions</th>\s*<td>434</td>", page)
    assert "as `crmkit clv --freq W`" in page
    assert "<th>repeat purchase weeks</th>" in page
    assert re.search(r"<th>755</th>\s*<td>23\.0</td>", page)
    for argv, champions in (
        (["rfm", str(path), "--summary", "--format", "csv"], 433),
        (["rfm", str(path), "--order", "order_id", "--summary", "--format", "csv"], 434),
    ):
        assert main(argv) == 0
        table = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="segment")
        assert table.loc["Champions", "customers"] == champions
    assert main(["clv", str(path), "--freq", "W", "--format", "csv"]) == 0
    clv = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="customer_id")
    assert clv.loc[755, "frequency"] == 23
