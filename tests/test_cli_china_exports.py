"""The command line on hand-made exports of Chinese ERP, shop and helpdesk systems.

Regressions found by running every subcommand on such files:

- the ``,,,,`` rows Excel writes below a table were refused as missing customer ids (so
  every real export needed hand editing); they hold no value and are now blank lines;
- ``--as-of 2025年6月30日`` was answered with "pass --date-format", which never reads
  ``--as-of``; and "unless date_format= states another format" kept the Python keyword;
- ``--column amount=实付金额`` on ``crmkit rfm`` said "must be a NAME among []";
- ``crmkit sla`` without ``--events`` refused naive (Beijing) ticket times that ``--events``
  and ``--as-of`` read in the policy calendar's zone, required ``followed_up_at``,
  ``on_site_at``, ``waiting_seconds`` and ``reopened`` columns a helpdesk export lacks,
  failed on a ticket not yet replied to ("column 'time' must be without missing dates"),
  and could not map a policy condition column (``--column kind=类型``);
- the sample report's customer value section counted the simulated coupon orders of its
  campaign section, so its figures disagreed with ``crmkit rfm data/transactions.csv``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit._cli_support import DemoData
from crmkit._report import ReportData
from crmkit.cli import main
from crmkit.service._cli import demo_policies
from tests._cli_errors import _error

_ORDERS = (
    "订单编号,客户编号,下单时间,实付金额\r\n"
    "202506010001,000123,2025-06-01 09:05,1234.50\r\n"
    "202506010002,000456,2025-06-03 14:05,88.00\r\n"
    "202506010003,000123,2025-06-15 20:30,299.00\r\n"
    ",,,\r\n"
    "202506010004,007788,2025-06-30 14:05,1050.00\r\n"
    ",,,\r\n"
    ' , ,"",\r\n'
)
_COLUMNS = ["--customer", "客户编号", "--date", "下单时间", "--amount", "实付金额"]


def test_excel_empty_rows_are_blank_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A GBK export with ``,,,`` rows scores the three customers, ids with leading zeros.

    Hand-checked: 000123 buys 1234.50 + 299.00 = 1533.50 in 2 orders, last on 15 June,
    15 days before the last order day (30 June).
    """
    path = tmp_path / "orders.csv"
    path.write_bytes(_ORDERS.encode("gbk"))
    argv = ["rfm", str(path), "--encoding", "gbk", *_COLUMNS, "--order", "订单编号"]
    assert main([*argv, "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"客户编号": str})
    assert out["客户编号"].tolist() == ["000123", "000456", "007788"]
    row = out.set_index("客户编号").loc["000123"]
    assert (row["frequency"], row["monetary"], row["recency_days"]) == (2, 1533.5, 15)


def test_a_total_row_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The "合计" row below the blank rows is refused, named by its line (9) in the file."""
    path = tmp_path / "orders.csv"
    path.write_bytes((_ORDERS + "合计,,,2671.50\r\n").encode("gb18030"))
    err = _error(capsys, ["rfm", str(path), "--encoding", "gb18030", *_COLUMNS])
    assert "column '客户编号'" in err
    assert "at rows [9]" in err


def test_as_of_is_iso_whatever_date_format_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--date-format reads the file's dates; a Chinese --as-of gets the ISO 8601 hint."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "客户编号,下单日期,实付金额\n000123,2025年6月1日,100\n000456,2025年6月30日,50\n"
    )
    base = [
        "rfm",
        str(path),
        "--customer",
        "客户编号",
        "--date",
        "下单日期",
        "--amount",
        "实付金额",
    ]
    err = _error(capsys, [*base, "--date-format", "%Y年%m月%d日", "--as-of", "2025年6月30日"])
    assert "option --as-of must be" in err
    assert "Write it in ISO 8601, e.g. --as-of 2025-06-30" in err
    assert "pass --date-format" not in err
    assert "unless --date-format" not in err
    err = _error(capsys, base)
    assert "unless --date-format states another format" in err
    assert "date_format=" not in err
    assert main([*base, "--date-format", "%Y年%m月%d日", "--as-of", "2025-06-30"]) == 0
    capsys.readouterr()


def test_column_on_a_command_whose_columns_all_have_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The message names the option to type instead of 'a NAME among []'."""
    path = tmp_path / "orders.csv"
    path.write_bytes(_ORDERS.encode("utf-8"))
    argv = ["rfm", str(path), "--customer", "客户编号", "--date", "下单时间"]
    err = _error(capsys, [*argv, "--column", "amount=实付金额"])
    assert "among []" not in err
    assert "Type --amount 实付金额 instead." in err


def test_sla_from_a_helpdesk_export_in_beijing_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Naive times in the calendar's zone (Asia/Shanghai), three timestamp columns only.

    Hand-checked against the demo policies (09:00-12:00, 13:00-18:00 on working days):
    T001, a VIP complaint created Monday 30 June 2025 17:30, has 1 business hour to the
    first reply: 30 minutes that evening and 30 the next morning, due 1 July 09:30; the
    reply at 09:20 used 50 minutes (3000 s). Its 24 h calendar resolution ends 1 July
    15:00 after 21.5 h (77400 s). T003, never replied to, has 4 business hours from
    1 July 09:00: 3 h to noon and 1 h after lunch, due 14:00, breached by the end of 2 July.
    """
    policy = tmp_path / "policies.json"
    # Without --events only what a row states is read: the standard policy's next_response
    # target needs customer replies, which a row does not record (refused below).
    data = demo_policies().to_dict()
    standard = data["default"]["targets"]["*"]
    data["default"]["targets"]["*"] = [t for t in standard if t["metric"] != "next_response"]
    policy.write_text(json.dumps(data))
    tickets = tmp_path / "tickets.csv"
    tickets.write_bytes(
        (
            "工单号,优先级,类型,客户等级,创建时间,首次回复时间,解决时间\r\n"
            "T001,P3,complaint,vip,2025-06-30 17:30,2025-07-01 09:20,2025-07-01 15:00\r\n"
            "T002,P2,incident,core,2025-06-30 10:00,2025-06-30 10:30,\r\n"
            "T003,P3,question,core,2025-07-01 09:00,,\r\n"
        ).encode("gb18030")
    )
    argv = [
        "sla", str(tickets), "--policy", str(policy), "--as-of", "2025-07-02",
        "--encoding", "gb18030", "--ticket", "工单号", "--priority", "优先级",
        "--created-at", "创建时间", "--first-reply-at", "首次回复时间", "--resolved-at", "解决时间",
        "--column", "kind=类型", "--column", "customer_tier=客户等级",
    ]  # fmt: skip
    assert main([*argv, "--verdicts", "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index(["工单号", "target"])
    first = out.loc[("T001", "first_response")]
    assert (first["policy"], first["state"], first["elapsed_seconds"]) == (
        "complaints",
        "met",
        3000,
    )
    assert first["due_at"] == "2025-07-01 09:30:00+08:00"
    assert out.loc[("T001", "resolution"), "elapsed_seconds"] == 77400
    late = out.loc[("T003", "first_response")]
    assert (late["state"], late["due_at"]) == ("breached", "2025-07-01 14:00:00+08:00")
    err = _error(capsys, [*argv, "--column", "kinds=类型"])
    assert "a NAME among ['customer_tier', 'kind']" in err
    policy.write_text(json.dumps(demo_policies().to_dict()))
    err = _error(capsys, argv)
    assert "target 'next_response' must be read from --events (policy 'standard'" in err
    assert "rows [4]" in err  # T003, a question: the standard policy


def test_sample_report_values_the_sample_files_customers() -> None:
    """The report's customer value reads the transactions `crmkit sample` writes."""
    data = DemoData(seed=7)
    report = ReportData.sample(data)
    assert report.transactions is data.transactions
    assert report.campaign_transactions is not None
    assert len(report.campaign_transactions) > len(data.transactions)
