"""Review s16 of the command line as an analyst in China uses it.

Terminal tables with Chinese text line up, ``crmkit report`` names the file and the
file's own column in a data error, and an output folder that does not exist is named
(not the temporary file crmkit writes first).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.cli import main
from tests.strategies import examples

pytest.importorskip("matplotlib")  # crmkit report needs the `plot` extra

HEADER = "客户编号,订单号,下单日期,金额\n"


def _width(line: str) -> int:
    """The columns a line takes on a terminal: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _orders(folder: Path, amount: str = "12.50", name: str = "orders.csv") -> Path:
    rows = [
        f"{customer},{order},2025-0{month}-1{day},{amount}\n"
        for order, (customer, month, day) in enumerate(
            [("张三", 1, 1), ("李四", 2, 2), ("王五", 3, 3), ("张三", 4, 4), ("Ann", 5, 5)]
        )
    ]
    path = folder / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8-sig")
    return path


# --------------------------------------------------------------------------- tables


def test_rfm_table_with_chinese_ids_lines_up_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every line of the table takes the same terminal width, Chinese ids and headers too.

    pandas counts a Chinese character as one column; a terminal shows it two wide, so the
    columns after a Chinese id drifted right by one column per character.
    """
    path = _orders(tmp_path)
    args = ["rfm", str(path), "--customer", "客户编号", "--date", "下单日期", "--amount", "金额"]
    assert main([*args, "--format", "table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("张三" in line for line in lines)
    assert len({_width(line) for line in lines}) == 1, lines


@settings(max_examples=examples(25), deadline=None)
@given(
    names=st.lists(
        st.text(alphabet="张三李四王五赵六钱七abcXYZ\uff10\uff11", min_size=1, max_size=6),
        min_size=1,
        max_size=5,
        unique=True,
    )
)
def test_segment_table_lines_up_whatever_the_labels(names: list[str]) -> None:
    """Property: the SLA table of any mix of wide and narrow policy names lines up."""
    import pandas as pd

    from crmkit.cli import _terminal_tables

    frame = pd.DataFrame(
        {"met": range(len(names)), "share": [0.5] * len(names)},
        index=pd.Index(names, name="政策"),
    )
    with _terminal_tables():
        from crmkit._cli_support import human_table

        lines = human_table(frame).splitlines()
    assert len({_width(line) for line in lines}) == 1, lines


def test_csv_output_is_not_padded_for_terminals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The terminal width setting changes tables only: CSV stays as written."""
    path = _orders(tmp_path)
    args = ["abc", str(path), "--customer", "客户编号", "--value", "金额", "--format", "csv"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "客户编号,value,rank,share,cumulative_share,abc_class"
    assert "  " not in out


# --------------------------------------------------------------------------- report


def test_report_names_the_file_and_its_own_amount_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad amount in --transactions names '金额', not the report's 'amount'."""
    path = _orders(tmp_path, amount='"¥1,234.50"', name="订单.csv")
    argv = [
        "report", str(tmp_path / "out"), "--transactions", str(path),
        "--customer", "客户编号", "--date", "下单日期", "--amount", "金额",
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert "column '金额' must be numeric" in err
    assert "at rows [2, 3, 4, 5, 6]" in err
    assert "'amount'" not in err


def test_report_names_which_file_holds_the_bad_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two files share --date: the message says the survey's dates are the bad ones."""
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer_id,date,amount\n张三,2025-01-03,10\n李四,2025-02-04,20\n", encoding="utf-8"
    )
    responses = tmp_path / "问卷.csv"
    responses.write_text("date,nps\n03/04/2025,9\n05/06/2025,7\n", encoding="utf-8-sig")
    argv = [
        "report", str(tmp_path / "out"), "--transactions", str(orders),
        "--responses", str(responses),
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "column 'date'" in err
    assert "问卷.csv" in err
    assert "--responses" in err
    assert "orders.csv" not in err
    assert "--date-format" in err  # the hint still says how to read them


def test_report_names_the_survey_file_and_its_score_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A survey score renamed with --column nps=推荐意愿 is named as the file has it."""
    responses = tmp_path / "问卷.csv"
    responses.write_text("date,推荐意愿\n2025-01-03,9\n2025-01-04,很好\n", encoding="utf-8-sig")
    argv = [
        "report", str(tmp_path / "out"), "--responses", str(responses),
        "--column", "nps=推荐意愿",
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "column '推荐意愿'" in err
    assert "at rows [3]" in err


def test_report_names_the_file_when_it_read_several(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With several files, the message says whose rows: the file and the option naming it."""
    orders = _orders(tmp_path, amount='"¥1,234.50"', name="订单.csv")
    responses = tmp_path / "问卷.csv"
    responses.write_text("date,nps\n2025-01-03,9\n", encoding="utf-8")
    argv = [
        "report", str(tmp_path / "out"), "--transactions", str(orders),
        "--responses", str(responses),
        "--customer", "客户编号", "--date", "下单日期", "--amount", "金额",
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"in --transactions {str(orders)!r} at rows [2, 3, 4, 5, 6]" in err
    assert "column '金额'" in err


# --------------------------------------------------------------------------- output


def test_output_into_a_missing_folder_names_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o into a folder that does not exist: exit 1 naming it, not crmkit's temporary file."""
    path = _orders(tmp_path)
    target = tmp_path / "no" / "such" / "rfm.csv"
    args = ["rfm", str(path), "--customer", "客户编号", "--date", "下单日期", "--amount", "金额"]
    assert main([*args, "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ".part" not in err
    assert str(target) in err
    assert "does not exist" in err
    assert not target.parent.exists()


def test_output_onto_a_folder_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o naming an existing folder: exit 1 saying so, and no temporary file left behind."""
    path = _orders(tmp_path)
    target = tmp_path / "结果.csv"
    target.mkdir()
    args = ["rfm", str(path), "--customer", "客户编号", "--date", "下单日期", "--amount", "金额"]
    assert main([*args, "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert ".part" not in err
    assert f"cannot write {str(target)!r}: it is a folder" in err
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_report_reads_no_answer_texts_named_by_na_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: the report's refusal of a survey text told the user to pass
    ``--na-values``, an option ``crmkit report`` did not have; it has it now, as ``nps``."""
    responses = tmp_path / "问卷.csv"
    rows = ["2025-01-05,9", "2025-01-06,不知道", "2025-01-07,3", "2025-01-08,10"]
    responses.write_text("date,nps\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert main(["report", str(tmp_path / "a"), "--responses", str(responses)]) == 2
    assert "--na-values 不知道" in capsys.readouterr().err
    out = tmp_path / "b"
    assert main(["report", str(out), "--responses", str(responses), "--na-values", "不知道"]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    # 9 and 10 promote, 3 detracts; the no answer is left out of n: (2 - 1) / 3 = 33.
    assert "NPS went from 33 in 2025-01" in page
