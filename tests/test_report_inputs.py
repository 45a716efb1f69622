"""`crmkit report` over awkward inputs of your own: short histories, missing columns, CJK.

Regressions of a review of the command: a history shorter than a year failed the whole
report, a loyalty events file without ``time`` gave a traceback, a responses file without
scores gave an empty section, and Chinese tier names came out as empty boxes.
"""

from __future__ import annotations

import base64
import json
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crmkit._cli_support import DemoData
from crmkit._report import ReportData, build_report, lifecycle
from crmkit.cli import main

pytest.importorskip("matplotlib", reason="the report draws its figures with matplotlib")

#: Chinese tier names for the sample program's member, silver and gold tiers.
CJK_TIERS = {"member": "普通会员", "silver": "银卡", "gold": "金卡"}


def _section(page: str, sid: str) -> str:
    """The HTML of one section of the report page."""
    return page.split(f'id="{sid}"', 1)[1].split("</section>", 1)[0]


def _svgs(html_part: str) -> list[str]:
    """The SVG documents embedded as data: URIs in a part of the page."""
    return [
        base64.b64decode(data).decode("utf-8")
        for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html_part)
    ]


def _axes() -> Any:
    from crmkit._report import _figure_factory

    return _figure_factory()


@pytest.fixture(scope="module")
def sample() -> DemoData:
    return DemoData(seed=4)


@pytest.mark.parametrize("months", [1, 3, 10])
def test_report_over_a_short_history(
    months: int, sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under a year of transactions: a shorter lifecycle chart, or a stated omission."""
    tx = sample.transactions
    since = tx["date"].max() - pd.DateOffset(months=months)
    path = tmp_path / "orders.csv"
    tx[tx["date"] > since].to_csv(path, index=False)
    assert main(["report", str(tmp_path / "out"), "--transactions", str(path)]) == 0
    assert capsys.readouterr().err == ""
    part = _section((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "lifecycle")
    figures = part.count('<img class="figure"')
    if figures == 0:
        assert "Lifecycle and cohorts are left out" in part
    else:
        assert "Lifecycle stages at each month end" in part
        assert "The history is short" in part
    if months >= 3:  # at least one complete month end after the first purchase
        assert figures >= 2
    if months >= 10:
        assert figures == 3  # stages, moves of the last month, cohorts


def test_lifecycle_of_the_cli_sample_from_march(sample: DemoData) -> None:
    """The reviewer's case: the sample from 2025-03-01 charts the month ends from March."""
    tx = sample.transactions
    section = lifecycle(tx[tx["date"] >= "2025-03-01"], _axes())
    assert len(section.figures) == 3
    assert "monthly chart starts at 2025-03-31" in " ".join(section.reading)


def test_lifecycle_without_a_complete_month_is_left_out(sample: DemoData) -> None:
    """All purchases after the last complete month end: the section says why it is empty."""
    tx = sample.transactions
    last = tx["date"].max()
    section = lifecycle(tx[tx["date"] >= last.normalize().replace(day=1)], _axes())
    assert section.figures == ()
    assert section.tables == ()
    (reading,) = section.reading
    assert reading.startswith("Lifecycle and cohorts are left out:")
    page = build_report(ReportData(transactions=tx[tx["date"] >= last - pd.Timedelta(days=5)]))
    assert "Lifecycle and cohorts are left out:" in _section(page, "lifecycle")


def test_lifecycle_with_one_month_end_has_no_moves(sample: DemoData) -> None:
    """One month end with customers: the stages chart, and no transition matrix."""
    tx = sample.transactions
    section = lifecycle(tx[(tx["date"] >= "2025-10-01") & (tx["date"] < "2025-11-01")], _axes())
    captions = [f.caption for f in section.figures]
    assert len(captions) == 2
    assert captions[0].startswith("Lifecycle stages at each month end")
    assert "Moves between stages are left out" in " ".join(section.reading)


def _write_program(path: Path, names: dict[str, str] | None = None) -> Path:
    """The sample program as JSON, its tiers renamed by ``names``."""
    from crmkit.loyalty._cli import demo_program

    raw = demo_program().to_dict()
    names = names or {}
    for tier in raw["tiers"]["tiers"]:
        tier["name"] = names.get(tier["name"], tier["name"])
    for prices in (raw.get("catalogue") or {}).values():
        for old in [k for k in prices if k in names]:
            prices[names[old]] = prices.pop(old)
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def test_events_without_time_give_a_one_line_error(
    sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No `time` column: exit 2 and the SchemaError of `crmkit loyalty`, no traceback."""
    events = tmp_path / "events.csv"
    sample.loyalty_events.drop(columns=["time"]).to_csv(events, index=False)
    program = _write_program(tmp_path / "program.json")
    argv = ["report", str(tmp_path / "out"), "--events", str(events), "--program", str(program)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert "crmkit report: column 'time' must be present" in err
    assert err.strip().endswith("Name it with --time.")
    assert not (tmp_path / "out" / "report.html").exists()


def test_responses_without_scores_give_a_one_line_error(
    sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No nps, csat or ces column: refused like any file missing a column the report reads."""
    responses = tmp_path / "responses.csv"
    sample.survey_responses.drop(columns=["nps", "csat", "ces"]).to_csv(responses, index=False)
    assert main(["report", str(tmp_path / "out"), "--responses", str(responses)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "crmkit report: column 'nps' must be present, or else 'csat' or 'ces'" in err
    assert not (tmp_path / "out" / "report.html").exists()


def test_responses_with_one_score_are_enough(sample: DemoData) -> None:
    """Any one score column makes the section; the others are simply not shown."""
    page = build_report(ReportData(responses=sample.survey_responses.drop(columns=["nps", "ces"])))
    part = _section(page, "satisfaction")
    assert "CSAT by month" in part
    assert "NPS" not in part


def test_cjk_tier_names_are_text_in_the_figures(
    sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chinese tier names: real SVG <text> in CJK-capable font families, no glyph warning."""
    import matplotlib as mpl

    events = tmp_path / "events.csv"
    sample.loyalty_events.to_csv(events, index=False)
    program = _write_program(tmp_path / "program.json", CJK_TIERS)
    before = {k: mpl.rcParams[k] for k in ("svg.fonttype", "font.family", "font.sans-serif")}
    argv = ["report", str(tmp_path / "out"), "--events", str(events), "--program", str(program)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        assert main(argv) == 0
    assert capsys.readouterr().err == ""
    assert {k: mpl.rcParams[k] for k in before} == before  # the user's settings untouched
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    (svg,) = _svgs(_section(page, "loyalty"))
    # Text is written as <text> elements (svg.fonttype "none"), not as glyph outlines.
    labels = {text: style for style, text in re.findall(r"<text ([^>]*)>([^<]*)</text>", svg)}
    for name in CJK_TIERS.values():
        assert name in labels, sorted(labels)
        assert "'Noto Sans CJK SC'" in labels[name]
        assert "'Microsoft YaHei'" in labels[name]
        family = labels[name].split("font-family:", 1)[1].split(";")[0]
        assert family.strip().endswith("sans-serif")  # the generic family last
    # Font names only: nothing is embedded or fetched.
    assert "@font-face" not in svg
    assert re.findall(r"url\((?!#)", svg) == []  # only references inside the SVG
    assert "https://" not in page


@pytest.mark.parametrize(
    ("option", "needs"),
    [("--policy", "--tickets"), ("--ticket-events", "--tickets"), ("--program", "--events")],
)
def test_an_option_without_its_data_file_is_refused(
    option: str, needs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``crmkit report out/ --policy p.json`` alone ignored the policy and
    built the report on the sample data."""
    assert main(["report", str(tmp_path / "out"), option, "x.json"]) == 2
    err = capsys.readouterr().err
    assert f"must be given with {needs} FILE" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out" / "report.html").exists()


def test_tickets_whose_rows_cannot_state_their_events_name_ticket_events(
    sample: DemoData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without `--ticket-events` the report reads only what each ticket row states, as
    `crmkit sla` does: the sample's reopened tickets are refused (a row says neither when
    it was reopened nor what came after) with the report's own option to pass; with the
    events file the same tickets make a report."""
    from crmkit.service._cli import demo_policies

    tickets = tmp_path / "tickets.csv"
    events = tmp_path / "ticket_events.csv"
    policy = tmp_path / "policy.json"
    sample.tickets.to_csv(tickets, index=False)
    sample.ticket_events.to_csv(events, index=False)
    policy.write_text(json.dumps(demo_policies().to_dict()), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["report", str(out), "--tickets", str(tickets), "--policy", str(policy)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "column 'reopened' must be false on every ticket" in err
    assert "Pass --ticket-events with the tickets' event history" in err
    assert not (out / "report.html").exists()
    assert main([*argv, "--ticket-events", str(events)]) == 0
    assert (out / "report.html").exists()
