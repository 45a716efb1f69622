"""Review of `crmkit report` and `crmkit.plotting` for an analyst in mainland China.

What was checked: the page loads nothing from another host; Chinese text is drawn (or
its missing font is named) and customer text cannot break the page; empty and tiny
inputs give a crmkit error or a page that says so; the figures shown are the library's;
the same input gives the same bytes.

Regressions: the page differed on every run (matplotlib salts each SVG's ids with a
random uuid); Chinese labels drawn by `crmkit.plotting` outside the report came out as
empty boxes with only matplotlib's per-glyph warnings, none naming a font to install;
a score column the survey never filled (an export's empty ``ces``) gave a chart and a
table of blanks with no sentence.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit._cli_support import DemoData
from crmkit._report import ReportData, _figure_style, _table, build_report
from crmkit.errors import InvalidInputError
from crmkit.segmentation import pareto_curve, rfm, segment_summary

pytest.importorskip("matplotlib", reason="the report draws its figures with matplotlib")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from crmkit import plotting

#: Namespaces, the SVG DTD and matplotlib's RDF metadata: names, never fetched.
SVG_NAMES = {
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/dcmitype/StillImage",
    "https://matplotlib.org/",
}
#: Customer ids that would break or inject into a page not escaped.
NASTY = ["<script>alert(1)</script>", "a&b", 'x" onload="y', "王小明"]


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close every figure a test opened."""
    yield
    plt.close("all")


def _section(page: str, sid: str) -> str:
    return page.split(f'id="{sid}"', 1)[1].split("</section>", 1)[0]


def _svgs(part: str) -> list[str]:
    return [
        base64.b64decode(data).decode("utf-8")
        for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', part)
    ]


def _tx(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


@pytest.fixture(scope="module")
def sample() -> DemoData:
    return DemoData(seed=6)


@pytest.fixture(scope="module")
def nasty_tx(sample: DemoData) -> pd.DataFrame:
    """The sample transactions with customer ids that are HTML, ampersands and Chinese."""
    tx = sample.transactions
    # 400 customers are every section of the page, at a fraction of the sample's cost.
    tx = tx[tx["customer_id"].isin(tx["customer_id"].unique()[:400])].copy()
    ids = {c: f"{NASTY[i % len(NASTY)]}{c}" for i, c in enumerate(tx["customer_id"].unique())}
    tx["customer_id"] = tx["customer_id"].map(ids)
    return tx


@pytest.fixture(scope="module")
def value_page(nasty_tx: pd.DataFrame) -> str:
    return build_report(ReportData(transactions=nasty_tx))


# --------------------------------------------------------------------------- other hosts


class _Tags(HTMLParser):
    """Every start tag and its attributes; raises on nothing, records everything."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_page_and_its_figures_load_nothing_from_another_host(value_page: str) -> None:
    """No script, stylesheet link, @import, url(...) or http(s) source; SVGs hold names only."""
    parser = _Tags()
    parser.feed(value_page)
    for tag, attrs in parser.tags:
        assert tag not in {"script", "link", "iframe", "object", "embed", "base"}, tag
        for name in ("src", "href", "srcset", "poster", "action", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("#", "data:image/svg+xml;base64,")), (tag, value[:60])
    assert "@import" not in value_page
    assert "url(" not in value_page
    assert "@font-face" not in value_page
    assert re.findall(r"https?://", value_page) == []
    assert "default-src 'none'" in value_page  # and the browser is told to refuse any load
    svgs = _svgs(value_page)
    assert len(svgs) >= 5
    for svg in svgs:
        assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= SVG_NAMES
        for ref in re.findall(r'(?:xlink:href|href|src)="([^"]*)"', svg):
            assert ref.startswith(("#", "data:image/png;base64,")), ref[:60]
        assert re.findall(r"url\((?!#)", svg) == []
        assert "@import" not in svg
        assert "<script" not in svg
        assert "@font-face" not in svg


# --------------------------------------------------------------------------- text


def test_customer_ids_are_escaped_in_the_page(value_page: str) -> None:
    """Ids like ``<script>`` and ``a&b`` are text of the table, never markup."""
    parser = _Tags()
    parser.feed(value_page)
    assert [t for t, _ in parser.tags if t == "script"] == []
    assert "<script>alert" not in value_page
    text = "".join(parser.text)
    shown = [name for name in NASTY if name in text]
    assert shown == NASTY  # the CLV table lists the top customers by their ids, as text


#: Text a customer id may hold: any character but controls and line breaks.
_LABEL = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12
).filter(lambda t: t.strip() == t and t != "")


@given(st.lists(_LABEL, min_size=1, max_size=5, unique=True))
def test_any_label_round_trips_through_a_report_table(labels: list[str]) -> None:
    """Whatever a customer id or column name holds, the table shows exactly that text."""
    frame = pd.DataFrame({"金额": np.arange(len(labels), dtype=float)}, index=labels)
    parser = _Tags()
    parser.feed(_table(frame))
    cells = [t for t in parser.text if t.strip()]
    assert set(labels) <= {c.strip() for c in cells}
    assert [
        t for t, _ in parser.tags if t not in {"table", "thead", "tbody", "tr", "th", "td"}
    ] == []


def test_chinese_labels_without_a_cjk_font_warn_naming_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: no font was picked and nothing named one; tofu with glyph warnings."""
    monkeypatch.setattr(plotting, "_cjk_font", lambda: None)  # as on this bare machine
    table = pd.DataFrame(
        {"customers": [3, 2], "customer_share": [0.6, 0.4], "revenue_share": [0.8, 0.2]},
        index=pd.Index(["重要价值客户", "一般客户"], name="segment"),
    )
    with pytest.warns(UserWarning, match="plot_segments") as caught:
        plotting.plot_segments(table)
    (message,) = [str(w.message) for w in caught]
    assert "'重要价值客户'" in message
    assert "Noto Sans CJK SC" in message
    assert "fonts-noto-cjk" in message
    assert "font.sans-serif" in message


def test_chinese_labels_get_an_installed_cjk_font_on_their_own_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a CJK font installed, the CJK text (only) uses it; rcParams are untouched."""
    monkeypatch.setattr(plotting, "_cjk_font", lambda: "Noto Sans CJK SC")
    before = list(matplotlib.rcParams["font.sans-serif"])
    table = pd.DataFrame(
        {"customers": [3, 2], "customer_share": [0.6, 0.4], "revenue_share": [0.8, 0.2]},
        index=pd.Index(["重要价值客户", "Champions"], name="segment"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plotting.plot_segments(table, title="客户分群")
    families = {t.get_text(): t.get_fontfamily() for t in ax.get_yticklabels()}
    assert families["重要价值客户"][0] == "Noto Sans CJK SC"
    assert families["Champions"] == ["sans-serif"]
    assert ax.title.get_fontfamily()[0] == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.sans-serif"] == before


def test_a_font_the_user_configured_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text its own fonts can draw is not touched and draws no warning."""
    monkeypatch.setattr(plotting, "_drawable", lambda text, chars: True)
    monkeypatch.setattr(plotting, "_cjk_font", lambda: "Noto Sans CJK SC")
    table = pd.DataFrame(
        {"customers": [1], "customer_share": [1.0], "revenue_share": [1.0]}, index=["重要价值客户"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plotting.plot_segments(table)
    assert ax.get_yticklabels()[0].get_fontfamily() == ["sans-serif"]


def test_the_report_leaves_cjk_text_to_the_readers_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """In the report the SVG keeps the font list for the browser: no pick, no warning."""
    monkeypatch.setattr(plotting, "_cjk_font", lambda: None)
    table = pd.DataFrame(
        {"customers": [1], "customer_share": [1.0], "revenue_share": [1.0]}, index=["重要价值客户"]
    )
    with _figure_style(), warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plotting.plot_segments(table)
    assert ax.get_yticklabels()[0].get_fontfamily() == ["sans-serif"]
    with pytest.warns(UserWarning, match="CJK"):  # and outside the block it warns again
        plotting.plot_segments(table)


# --------------------------------------------------------------------------- tiny inputs


def test_one_customer_on_one_day_gives_a_page_that_says_what_is_left_out() -> None:
    """No traceback, no NaN: CLV and lifecycle say why they are left out."""
    page = build_report(ReportData(transactions=_tx([("c1", "2025-03-05", 100.0)])))
    part = _section(page, "customer-value")
    assert "Customer lifetime value is left out" in part
    assert "at least 2 customers" in part
    assert "Lifecycle and cohorts are left out" in _section(page, "lifecycle")
    assert "1 customer was scored" in html.unescape(page)  # not "1 customers were"
    assert not re.search(r"\bnan\b", re.sub(r"base64,[^\"]+", "", page), re.IGNORECASE)


@pytest.mark.parametrize(
    ("rows", "found"),
    [
        ([("c1", "2025-01-05", -100.0), ("c2", "2025-03-05", -50.0)], "2 refunds"),
        ([("c1", "2025-01-05", 0.0)], "1 zero amounts"),
    ],
)
def test_no_purchase_at_all_is_a_crmkit_error(
    rows: list[tuple[str, str, float]], found: str
) -> None:
    """All refunds or zero amounts: one InvalidInputError that counts them."""
    with pytest.raises(InvalidInputError, match=found):
        build_report(ReportData(transactions=_tx(rows)))


def test_no_transactions_at_all_is_a_crmkit_error() -> None:
    with pytest.raises(InvalidInputError, match="at least one row"):
        build_report(ReportData(transactions=_tx([])))


def test_a_score_column_nobody_filled_is_left_out_in_words(sample: DemoData) -> None:
    """Regression: an empty ``ces`` column drew a blank chart and a table of blanks."""
    responses = sample.survey_responses.head(400).assign(ces=np.nan)
    part = _section(build_report(ReportData(responses=responses)), "satisfaction")
    assert len(_svgs(part)) == 2  # NPS and CSAT only
    assert "CES by month" not in part
    assert (
        "CES is left out: none of the 400 responses has a score in the column &#x27;ces&#x27;"
        in part
    )
    assert "NPS went from" in part


def test_responses_without_any_score_give_sentences_not_blank_charts(sample: DemoData) -> None:
    responses = sample.survey_responses.head(5).assign(nps=np.nan, csat=np.nan, ces=np.nan)
    part = _section(build_report(ReportData(responses=responses)), "satisfaction")
    assert _svgs(part) == []
    assert "<table" not in part
    assert part.count("is left out: none of the 5 responses") == 3


# --------------------------------------------------------------------------- numbers


def _rows(table_html: str) -> dict[str, list[str]]:
    rows = re.findall(r"<tr>\s*<th>(.*?)</th>(.*?)</tr>", table_html, re.DOTALL)
    return {
        html.unescape(head): [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", cells)]
        for head, cells in rows
    }


def test_segment_table_is_segment_summary_of_the_same_data(
    value_page: str, nasty_tx: pd.DataFrame
) -> None:
    """Counts and shares equal segment_summary's; shares in % sum to 100 within rounding."""
    expected = segment_summary(rfm(nasty_tx, order="order_id"))
    part = _section(value_page, "customer-value")
    first = part.split("<table", 2)[1]
    shown = _rows(first)
    shown.pop("segment")  # the row naming the index
    assert list(shown) == [str(s) for s in expected.index]  # every segment, empty ones too
    for segment, row in expected.iterrows():
        cells = shown[str(segment)]
        assert cells[0] == f"{int(row['customers']):,}"
        assert cells[1] == f"{row['customer_share'] * 100:.1f}%"
        assert cells[2] == f"{row['revenue_share'] * 100:.1f}%"
    for column in (1, 2):
        total = sum(float(cells[column].rstrip("%")) for cells in shown.values())
        assert abs(total - 100) <= 0.05 * len(shown) + 1e-9
    # Shares are percentages, never fractions such as 0.123.
    assert all(cells[1].endswith("%") and cells[2].endswith("%") for cells in shown.values())


def test_reading_quotes_the_largest_revenue_segment(
    value_page: str, nasty_tx: pd.DataFrame
) -> None:
    table = segment_summary(rfm(nasty_tx, order="order_id"))
    best = table["revenue_share"].idxmax()
    row = table.loc[best]
    assert (
        f"{best} segment: {row['customer_share'] * 100:.1f}% of customers bring "
        f"{row['revenue_share'] * 100:.1f}% of revenue"
    ) in html.unescape(value_page)


# --------------------------------------------------------------------------- determinism


def test_the_same_data_give_the_same_bytes(sample: DemoData) -> None:
    """Regression: every figure's SVG ids were salted with a random uuid."""
    data = ReportData(responses=sample.survey_responses.head(600), source="responses.csv")
    first, second = build_report(data), build_report(data)
    assert len(_svgs(first)) == 3
    assert first == second
    assert matplotlib.rcParams["svg.hashsalt"] is None  # the user's setting is untouched


def test_the_page_reads_no_clock(sample: DemoData) -> None:
    """No date of today unless the caller passes one as ``generated``."""
    data = ReportData(responses=sample.survey_responses.head(200))
    page = build_report(data)
    today = dt.date.today()
    assert str(today) not in page
    assert today.strftime("%d %B %Y") not in page
    assert "Generated on 2025-06-30." in build_report(data, generated="Generated on 2025-06-30.")


def test_a_plotting_figure_drawn_twice_is_the_same_svg_in_the_report_style() -> None:
    """The salt holds for figures drawn by `crmkit.plotting` too, not only the report's."""
    import io

    curve = pareto_curve([700.0, 100.0, 100.0, 50.0, 50.0])

    def draw() -> bytes:
        with _figure_style():
            ax = plotting.plot_pareto(curve)
            buffer = io.BytesIO()
            ax.figure.savefig(buffer, format="svg", metadata={"Date": None})
        return buffer.getvalue()

    assert draw() == draw()


def test_dollar_signs_in_labels_draw_as_dollar_signs() -> None:
    """Regression: matplotlib read text between two ``$`` as a formula, so a segment
    "$5-$10 club" lost its dollar signs and "a_b $x^$" failed to draw (ValueError)."""
    summary = pd.DataFrame(
        {"customer_share": [0.6, 0.4], "revenue_share": [0.6, 0.4]},
        index=pd.Index(["$5-$10 club", "a_b $x^$"], name="segment"),
    )
    ax = plotting.plot_class_shares(summary)
    ax.figure.canvas.draw()  # the formula parser ran here and raised
    shown = {t.get_text() for t in ax.get_legend().get_texts()}
    assert r"\$5-\$10 club" in shown  # an escaped dollar sign, drawn as "$"
    plt.close(ax.figure)
