"""``crmkit report``: one self-contained HTML page a manager can open, read and forward.

The page holds six sections (customer value; lifecycle and cohorts; loyalty; service
levels; satisfaction; campaigns), each with a short plain-language reading of the result, its
figures and its tables. Figures are SVG drawn by :mod:`crmkit.plotting` and embedded as
``data:`` URIs; the page has no script, no web font and no link to any other host, so
it reads the same offline, behind a firewall or in mainland China.

It runs over the built-in sample data, or over your files (``--transactions``,
``--tickets`` with ``--policy``, ``--responses``, ``--events`` with ``--program``): a
section whose data you did not give is listed as not included, with the option that
adds it.

Examples:
    >>> import tempfile, pathlib
    >>> from crmkit._cli_support import DemoData
    >>> page = build_report(ReportData.sample(DemoData(seed=1)))  # doctest: +SKIP
    >>> "Customer value" in page  # doctest: +SKIP
    True
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import html
import io
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from crmkit import __version__
from crmkit._cli_support import (
    DemoData,
    MissingDependencyError,
    add_input_options,
    add_timezone_option,
    apply_columns,
    convert_dates,
    load_json_object,
    read_input,
    timezone_option,
    write_text_file,
)
from crmkit.errors import ConfigError, CrmkitError, _rebuild
from crmkit.plotting import _CJK_FONTS

__all__ = ["ReportData", "Section", "add_report_options", "build_report", "run_report"]

#: Section ids and titles, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("customer-value", "Customer value"),
    ("lifecycle", "Lifecycle and cohorts"),
    ("loyalty", "Loyalty"),
    ("service-levels", "Service levels"),
    ("satisfaction", "Satisfaction"),
    ("campaigns", "Campaigns"),
)

#: The sample campaign: its name, the control share held out, the response window (days).
CAMPAIGN = "report-wake-up"
CONTROL_SHARE = 0.1
WINDOW_DAYS = 90
#: The simulated coupon of the sample data (:func:`crmkit.datasets.campaign_orders`):
#: the share of treated sleepers it wakes. Generous, so that the sample's small control
#: group (about 35 customers) can show it with an interval above zero.
SAMPLE_WAKE_RATE = 0.3

#: Below this many responses a month's score is marked as a low sample.
MIN_N = 30


@attrs.frozen
class Figure:
    """One embedded figure: SVG bytes and the sentence under it."""

    caption: str
    svg: bytes
    wide: bool = False


@attrs.frozen
class Section:
    """One section of the report: a reading in plain words, figures and tables.

    ``missing`` says which option adds the section when its data was not given.

    Examples:
        >>> Section(id="x", title="X", reading=("All good.",)).missing
        ''
    """

    id: str
    title: str
    reading: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[tuple[str, str], ...] = ()
    missing: str = ""


@attrs.frozen
class FileSource:
    """One file the report read: the option that named it and its own column names.

    ``columns`` maps the report's name of a renamed column (``amount``) to the file's
    (``金额``); ``names`` holds the table's columns after renaming; ``named``: messages
    name the file (the report read more than one, so "rows [7]" needs saying whose).

    Examples:
        >>> FileSource("--transactions", "订单.csv", {"amount": "金额"}).file_column("amount")
        '金额'
    """

    option: str
    path: str
    columns: Mapping[str, str] = attrs.field(factory=dict)
    names: frozenset[str] = frozenset()
    named: bool = True

    def file_column(self, name: str) -> str:
        """The file's name of the report's column ``name``."""
        return self.columns.get(name, name)


@contextlib.contextmanager
def naming_files(*sources: FileSource | None) -> Iterator[None]:
    """Restate a data error about a column in the words of the file it came from.

    The report renames every file's columns to its own (``金额`` -> ``amount``) and reads
    several files with one ``--date``: an error would name ``'amount'`` at "rows [2, 3]"
    of no file. The column is named as the file has it and the file by its option and
    path. With several sources the first whose table has the column is named.

    Examples:
        >>> from crmkit.errors import InvalidInputError
        >>> src = FileSource("--transactions", "订单.csv", {"amount": "金额"},
        ...                  frozenset({"amount"}))
        >>> with naming_files(src):
        ...     raise InvalidInputError("rfm()", "amount", expected="numeric",
        ...                             found="'¥12'", rows=[2])
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: rfm(): column '金额' must be numeric; found '¥12' in --transactions '订单.csv' at rows [2].
    """
    try:
        yield
    except CrmkitError as err:
        given = [s for s in sources if s is not None]
        if err.kind != "column" or not given or " in --" in err.found:
            raise
        holding = [s for s in given if err.field in s.names]
        if not holding and len(given) > 1:
            raise  # a column none of the files has: the message lists what they have
        source = (holding or given)[0]
        field = source.file_column(err.field)
        if field == err.field and not source.named:
            raise  # one file, its own column name: the message says it all
        state = dict(err.__dict__)
        state["field"] = field
        if source.named:
            state["found"] = f"{err.found} in {source.option} {source.path!r}"
        raise _rebuild(type(err), state) from None  # as unpickling rebuilds an error


@attrs.frozen
class ReportData:
    """The tables the report reads, in the sample data's column names; None = not given.

    Examples:
        >>> ReportData().transactions is None
        True
    """

    transactions: pd.DataFrame | None = None
    tickets: pd.DataFrame | None = None
    ticket_events: pd.DataFrame | None = None
    policies: Any = None
    responses: pd.DataFrame | None = None
    loyalty_events: pd.DataFrame | None = None
    program: Any = None
    assignment: pd.DataFrame | None = None
    campaign_start: dt.date | None = None
    #: Says how the campaign's effect was made when it is simulated (the sample data).
    campaign_note: str = ""
    #: The transactions the campaign is measured on when they differ from
    #: ``transactions`` (the sample data's simulated coupon orders added); None: the same.
    campaign_transactions: pd.DataFrame | None = None
    source: str = "your files"
    #: Where each table came from (keyed by the field name above), so that a data error
    #: names the file and the file's own column; empty for the sample data.
    files: Mapping[str, FileSource] = attrs.field(factory=dict)

    @classmethod
    def sample(cls, data: DemoData) -> ReportData:
        """Everything from the built-in sample data, with the demo's program and policies."""
        from crmkit.loyalty._cli import demo_program
        from crmkit.service._cli import demo_policies

        assignment, start = sample_campaign(data.transactions)
        with_coupon, note = sample_coupon(data.transactions, assignment, start, seed=data.seed)
        return cls(
            # Customer value and lifecycle read the sample's transactions as `crmkit sample`
            # writes them (so `crmkit rfm data/transactions.csv` shows the same figures);
            # only the campaign section sees the simulated coupon orders.
            transactions=data.transactions,
            campaign_transactions=with_coupon,
            tickets=data.tickets,
            ticket_events=data.ticket_events,
            policies=demo_policies(),
            responses=data.survey_responses,
            loyalty_events=data.loyalty_events,
            program=demo_program(),
            assignment=assignment,
            campaign_start=start,
            campaign_note=note,
            source=f"the built-in sample data (seed {data.seed})",
        )


# --------------------------------------------------------------------------- figures


def _figure_factory() -> Callable[[float, float], Any]:
    """A maker of matplotlib Axes that touches no global state (no pyplot)."""
    try:
        from matplotlib.figure import Figure as MplFigure
    except ImportError:
        raise MissingDependencyError(
            "crmkit report",
            "figures",
            expected="drawn with matplotlib",
            found="matplotlib not installed",
            kind="",
            hint="Install the `plot` extra: pip install 'crmkit[plot]'.",
        ) from None

    def make(width: float, height: float) -> Any:
        return MplFigure(figsize=(width, height), layout="constrained").subplots()

    return make


#: Fonts named, after matplotlib's default sans-serif list, in the ``font-family`` of the
#: figures' SVG text, so that the reader's own fonts draw Chinese labels (tier names,
#: segments): :mod:`crmkit.plotting`'s list. Names only: no font file is embedded,
#: loaded or linked.
CJK_FONTS: tuple[str, ...] = _CJK_FONTS


#: The salt of the ids matplotlib writes into an SVG (clip paths, markers). Unset, each
#: figure gets a random one and the same data gives a different page every run.
SVG_HASH_SALT = "crmkit-report"


@contextlib.contextmanager
def _figure_style() -> Iterator[None]:
    """The matplotlib settings of the report's figures, for a ``with`` block only.

    SVG text is written as ``<text>`` elements (``svg.fonttype: none``) in the sans-serif
    family listed with :data:`CJK_FONTS`, instead of as glyph outlines of DejaVu Sans,
    which has no CJK glyphs; :mod:`crmkit.plotting` is told to leave that text's font to
    the reader (no font of this machine is picked, no warning that none is installed).
    The ids inside the SVG are salted with :data:`SVG_HASH_SALT`, so that the same data
    give a byte-identical page. The user's global rcParams are left as they were.

    Examples:
        >>> import matplotlib as mpl
        >>> with _figure_style():
        ...     mpl.rcParams["svg.hashsalt"], mpl.rcParams["svg.fonttype"]
        ('crmkit-report', 'none')
    """
    import matplotlib as mpl

    from crmkit.plotting import _fonts_left_to_the_reader

    default = [n for n in mpl.rcParamsDefault["font.sans-serif"] if n != "sans-serif"]
    style: dict[Any, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": SVG_HASH_SALT,
        "font.family": ["sans-serif"],  # the generic family goes last in the SVG
        "font.sans-serif": [*default, *CJK_FONTS],
    }
    with mpl.rc_context(style), _fonts_left_to_the_reader():
        yield


def _svg(ax: Any, caption: str) -> Figure:
    buffer = io.BytesIO()
    with _figure_style(), warnings.catch_warnings():
        # matplotlib measures text for the layout with the first font it finds (DejaVu
        # Sans, bundled): a CJK character is measured as its missing-glyph box (about
        # 1.15 em, a little wider than the 1 em CJK glyph) and warned about. The SVG holds
        # the text itself, drawn by the reader's fonts, so the warning does not apply.
        warnings.filterwarnings(
            "ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning
        )
        ax.figure.savefig(buffer, format="svg", metadata={"Date": None})
    width = float(ax.figure.get_figwidth())
    return Figure(caption=caption, svg=buffer.getvalue(), wide=width >= 7)


def _pct(share: float | None, digits: int = 1) -> str:
    return "n/a" if pd.isna(share) else f"{share * 100:.{digits}f}%"


def _table(frame: pd.DataFrame, *, shares: Sequence[str] = (), digits: int = 1) -> str:
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if column in shares:
            shown[column] = values.map(lambda v: "" if pd.isna(v) else _pct(float(v), digits))
        elif pd.api.types.is_float_dtype(values.dtype):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:,.1f}")
        elif pd.api.types.is_integer_dtype(values.dtype):
            shown[column] = values.map(lambda v: f"{v:,}")
    shown.columns = pd.Index([str(c).replace("_", " ") for c in shown.columns])
    if shown.index.name:
        shown.index.name = str(shown.index.name).replace("_", " ")
    return shown.to_html(border=0, classes="data", na_rep="", escape=True)


# --------------------------------------------------------------------------- sections


def _responses(n: int) -> str:
    return f"{n:,} response" + ("" if n == 1 else "s")


def _customers(n: int) -> str:
    return f"{n:,} customer" + ("" if n == 1 else "s")


def customer_value(tx: pd.DataFrame, figure: Callable[[float, float], Any]) -> Section:
    """RFM segments, ABC classes, the customer pyramid and revenue concentration."""
    from crmkit.plotting import plot_class_shares, plot_pareto, plot_segments
    from crmkit.segmentation import (
        abc_classify,
        class_summary,
        gini,
        pareto_curve,
        pyramid,
        rfm,
        segment_summary,
        top_share,
    )

    order = "order_id" if "order_id" in tx.columns else None
    scored = rfm(tx, order=order)
    # `crmkit rfm` counts purchase days unless --order names the order column: say which
    # count the table shows, so that its figures can be told apart from the command's.
    counted = "distinct orders" if order else "distinct purchase days"
    option = " --order <order column>" if order else ""
    table = segment_summary(scored)
    values = scored["monetary"].clip(lower=0)
    abc = class_summary(abc_classify(values))
    pyr = pyramid(values)
    g, top = gini(values), top_share(values, 0.2)
    at = int(table["revenue_share"].to_numpy().argmax())
    best, row = table.index[at], table.iloc[at]
    a = abc.iloc[0]
    reading: tuple[str, ...] = (
        (
            f"{_customers(len(scored))} {'was' if len(scored) == 1 else 'were'} scored on how "
            "recently, how often and how much "
            f"they bought. The largest share of revenue comes from the {best!s} segment: "
            f"{_pct(row['customer_share'])} of customers bring {_pct(row['revenue_share'])} of "
            "revenue."
        ),
        (
            f"Revenue is concentrated: the top 20% of customers bring {_pct(top)} of it "
            f"(Gini {g:.2f}; 0 means everyone spends the same, 1 that one customer brings "
            f"everything). Class A is {_pct(a['customer_share'])} of customers and "
            f"{_pct(a['revenue_share'])} of revenue; the VIP tier of the pyramid "
            f"({_customers(int(pyr['customers'].iloc[0]))}, "
            f"{_pct(pyr['customer_share'].iloc[0])}) alone brings "
            f"{_pct(pyr['revenue_share'].iloc[0])}."
        ),
    )
    clv_reading, clv_figures, clv_tables = _clv_parts(tx, scored, figure)
    reading = (*reading, *clv_reading)
    shown = table[["customers", "customer_share", "revenue_share", "recency_median"]]
    shown = shown.assign(
        frequency_median=table["frequency_median"],
        monetary_median=table["monetary_median"],
    )
    return Section(
        id="customer-value",
        title="Customer value",
        reading=reading,
        figures=(
            _svg(
                plot_segments(table, ax=figure(7.5, 4.5)),
                "Share of customers and of revenue by RFM segment.",
            ),
            _svg(
                plot_pareto(pareto_curve(values), ax=figure(5.5, 4.2)),
                "Pareto curve: the share of revenue brought by the best customers.",
            ),
            _svg(
                plot_class_shares(abc, ax=figure(5.5, 3.2), title="ABC classes"),
                "ABC classes: A up to 80% of revenue, B to 95%, C the rest.",
            ),
            _svg(
                plot_class_shares(pyr, ax=figure(5.5, 3.4), title="Customer pyramid"),
                "Customer pyramid: VIP top 1%, major next 4%, medium next 15%, small the rest.",
            ),
            *clv_figures,
        ),
        tables=(
            (
                (
                    f"RFM segments (medians per customer; frequency counts {counted}, as "
                    f"`crmkit rfm{option}`)"
                ),
                _table(shown, shares=("customer_share", "revenue_share")),
            ),
            ("ABC classes", _table(abc, shares=("customer_share", "revenue_share"))),
            ("Customer pyramid", _table(pyr, shares=("customer_share", "revenue_share"))),
            *clv_tables,
        ),
    )


def _clv_parts(
    tx: pd.DataFrame, scored: pd.DataFrame, figure: Callable[[float, float], Any]
) -> tuple[tuple[str, ...], tuple[Figure, ...], tuple[tuple[str, str], ...]]:
    """Customer lifetime value (MBG/NBD + Gamma-Gamma, 12 months) by segment; top customers.

    A data set the models cannot be fitted on (too few repeat buyers) leaves CLV out with
    a sentence saying why, instead of failing the report.
    """
    from crmkit.errors import CrmkitError
    from crmkit.segmentation._clv_cli import clv_table

    try:
        table, fits = clv_table(tx, freq="W", amount="amount")
    except CrmkitError as err:
        return (
            (f"Customer lifetime value is left out: the models could not be fitted ({err}).",),
            (),
            (),
        )
    clv = table["clv"].reindex(scored.index).fillna(0.0)
    total = float(clv.sum())
    by_segment = clv.groupby(scored["segment"], observed=True).sum()
    by_segment = by_segment / total if total > 0 else by_segment * 0
    top = clv.sort_values(ascending=False)
    top_decile = (
        float(top.head(max(1, len(top) // 10)).sum() / total) if total > 0 else float("nan")
    )
    ax = figure(7.5, 4.0)
    labels = [str(s) for s in by_segment.index][::-1]
    ax.barh(labels, by_segment.to_numpy()[::-1], color="#2ca02c")
    for y, v in enumerate(by_segment.to_numpy()[::-1]):
        ax.annotate(f" {v:.0%}", (float(v), y), va="center")
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share of the expected 12-month value")
    ax.set_title("Customer lifetime value by RFM segment")
    ax.spines[["top", "right"]].set_visible(False)
    reading = (
        (
            f"Over the next 12 months the customers are expected to bring {total:,.0f} "
            f"(MBG/NBD purchase model over weeks with Gamma-Gamma spend, discounted 1% a "
            f"month). The "
            f"top 10% of customers hold {_pct(top_decile)} of it; the "
            f"{by_segment.idxmax()!s} segment alone {_pct(float(by_segment.max()))}."
        ),
    )
    head = table.head(10)[["frequency", "p_alive", "expected_purchases", "clv"]].copy()
    # The models count weeks (freq="W"): "frequency" is the number of weeks with a repeat
    # purchase, not the RFM table's purchases, and `crmkit clv` needs --freq W to agree.
    head = head.rename(columns={"frequency": "repeat purchase weeks"})
    head["segment"] = scored["segment"].reindex(head.index).astype(str)
    return (
        reading,
        (_svg(ax, "Share of the expected 12-month customer lifetime value by RFM segment."),),
        (
            (
                (
                    f"Highest expected lifetime value (purchase model: "
                    f"{fits['purchase_model']['kind']} over weeks, as `crmkit clv --freq W`)"
                ),
                _table(head, shares=("p_alive",)),
            ),
        ),
    )


def _month_end(day: dt.date) -> dt.date:
    nxt = day + dt.timedelta(days=1)
    return day if nxt.month != day.month else day.replace(day=1) - dt.timedelta(days=1)


def lifecycle(tx: pd.DataFrame, figure: Callable[[float, float], Any]) -> Section:
    """Stages now, stages month by month, last month's moves, cohort retention.

    The monthly snapshots cover the last year, from the first month end on or after the
    first purchase at the earliest, so a short history gets a shorter chart. Without a
    customer at the last complete month end the section says why it is left out.
    """
    from crmkit.plotting import (
        plot_cohort_retention,
        plot_lifecycle_stages,
        plot_transition_matrix,
    )
    from crmkit.segmentation import (
        classify_lifecycle,
        cohort_retention,
        lifecycle_history,
        transition_matrix,
    )

    amount = "amount" if "amount" in tx.columns else None
    first, last = pd.Timestamp(tx["date"].min()).date(), pd.Timestamp(tx["date"].max()).date()
    end = _month_end(last)
    if end > last:  # the month is not over yet: look at the month before
        end = last.replace(day=1) - dt.timedelta(days=1)
    # A snapshot at each month end of the last year, none before the first month end on or
    # after the first purchase: a snapshot before anyone bought has no shares to draw.
    months = [(pd.Timestamp(end) - pd.offsets.MonthEnd(k)).date() for k in range(11, 0, -1)]
    history = lifecycle_history(tx, as_of=[*(m for m in months if m >= first), end], amount=amount)
    # Rows that are not purchases (refunds, zero amounts) may come first: keep the
    # snapshots from the first one with a customer (customers never leave the history).
    history = history.loc[:, history.notna().any(axis=0).to_numpy()]
    if history.shape[1] == 0:
        return Section(
            id="lifecycle",
            title="Lifecycle and cohorts",
            reading=(
                (
                    f"Lifecycle and cohorts are left out: stages are read at the end of a "
                    f"complete month, and the transactions ({first} to {last}) hold no "
                    f"purchase on or before the last complete month end, {end}."
                ),
            ),
        )
    snapshots = [pd.Timestamp(c).date() for c in history.columns]
    stages = classify_lifecycle(tx, as_of=end, amount=amount)
    counts = stages["stage"].value_counts(sort=False)
    shares = counts / max(len(stages), 1)
    cohorts = cohort_retention(tx, freq="Q", amount=amount, as_of=end)
    kept = cohorts.shares.iloc[:, 1] if cohorts.shares.shape[1] > 1 else None
    active = shares.get("active", float("nan"))
    risk = shares.get("at_risk", 0.0) + shares.get("dormant", 0.0)
    reading = [
        (
            f"On {end}, {_pct(active)} of {len(stages):,} customers are active, {_pct(risk)} are "
            f"at risk or dormant (no purchase for 90 to 365 days) and "
            f"{_pct(shares.get('churned', float('nan')))} have churned (no purchase for a year)."
        ),
    ]
    if kept is not None and kept.notna().any():
        recent = kept.dropna()
        reading.append(
            f"Of the customers who first bought in {recent.index[-1]}, "
            f"{_pct(float(recent.iloc[-1]))} bought again in the next quarter; across all "
            f"cohorts the median is {_pct(float(recent.median()))}. Blank cells in the cohort "
            "table are periods not over yet, not losses."
        )
    if len(snapshots) < len(months) + 1:
        reading.append(
            f"The history is short: the monthly chart starts at {snapshots[0]}, the first "
            f"month end on or after the first purchase ({first})."
        )
    figures = [
        _svg(
            plot_lifecycle_stages(history, share=True, ax=figure(7.5, 4.0)),
            "Lifecycle stages at each month end (share of customers who had bought).",
        )
    ]
    if len(snapshots) > 1:
        start = snapshots[-2]
        figures.append(
            _svg(
                plot_transition_matrix(transition_matrix(history, start, end), ax=figure(6.0, 5.0)),
                f"Where the customers of each stage on {start} were on {end}.",
            )
        )
    else:
        reading.append(
            f"Moves between stages are left out: they need two month ends with customers, "
            f"and {end} is the only one."
        )
    figures.append(
        _svg(
            plot_cohort_retention(cohorts, ax=figure(7.5, 5.0)),
            "Cohort retention by quarter of first purchase.",
        )
    )
    table = pd.DataFrame({"customers": counts, "share": shares})
    table.index.name = "stage"
    return Section(
        id="lifecycle",
        title="Lifecycle and cohorts",
        reading=tuple(reading),
        figures=tuple(figures),
        tables=((f"Lifecycle stages on {end}", _table(table, shares=("share",))),),
    )


def loyalty(events: pd.DataFrame, program: Any, figure: Callable[[float, float], Any]) -> Section:
    """Balances, members per tier and points expiring in the next 60 days."""
    from crmkit._validate import require_columns
    from crmkit.loyalty import replay_many

    # The report date is the last event's time, so check the columns replay_many requires
    # (in its order) before reading it: a missing one is a SchemaError, not a KeyError.
    require_columns(events, ["member_id", "event_id", "time", "kind"], "replay_many()")
    as_of = pd.Timestamp(events["time"].max()).to_pydatetime()
    states = replay_many(events, program, as_of=as_of, expiring_days=60, on_error="skip")
    totals = pd.DataFrame(
        {
            "points": [
                int(states[c].sum())
                for c in ("credited", "available", "pending", "spent", "expired")
            ]
        },
        index=pd.Index(["credited", "available", "pending", "spent", "expired"], name="points"),
    )
    tiers = states["tier"].astype(str).value_counts(sort=False)
    tiers = tiers.reindex([t for t in program.tiers.names if t in tiers.index], fill_value=0)
    soon = states[states["expiring"] > 0].sort_values("expiring", ascending=False)
    ax = figure(5.5, 3.0)
    ax.barh([str(t) for t in tiers.index][::-1], tiers.to_numpy()[::-1], color="#1f77b4")
    for y, v in enumerate(tiers.to_numpy()[::-1]):
        ax.annotate(f" {int(v):,}", (float(v), y), va="center")
    ax.set_xlabel("members")
    ax.set_title("Members per tier")
    ax.spines[["top", "right"]].set_visible(False)
    reading = (
        (
            f"{len(states):,} members were replayed under the program {program.name!r} as of "
            f"{as_of:%Y-%m-%d}. They hold {int(states['available'].sum()):,} points they can "
            f"spend now and {int(states['pending'].sum()):,} still pending (inside the return "
            "window)."
        ),
        (
            f"{len(soon):,} members have {int(soon['expiring'].sum()):,} points expiring within "
            "60 days: a renewal reminder (\u201cyour points can be exchanged for ...\u201d) plus a "
            f"coupon is due. {int(states['rejected'].sum()):,} events were rejected by the ledger."
        ),
    )
    top = soon.head(10)[["expiring", "next_expiry", "tier", "available"]].copy()
    top["next_expiry"] = top["next_expiry"].map(
        lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"
    )
    top["tier"] = top["tier"].astype(str)
    return Section(
        id="loyalty",
        title="Loyalty",
        reading=reading,
        figures=(_svg(ax, "Members per tier at the report date."),),
        tables=(
            ("Points of all members", _table(totals)),
            ("Members with the most points expiring within 60 days", _table(top)),
        ),
    )


def service_levels(
    tickets: pd.DataFrame,
    events: pd.DataFrame,
    policies: Any,
    figure: Callable[[float, float], Any],
) -> Section:
    """SLA attainment by policy and target, with Wilson intervals."""
    from crmkit._stats import wilson_interval
    from crmkit.plotting import plot_sla_attainment
    from crmkit.service import evaluate_sla, sla_attainment

    as_of = pd.Timestamp(events["time"].max()) + pd.Timedelta(days=1)
    verdicts = evaluate_sla(events, tickets, policies, as_of=as_of)
    table = sla_attainment(verdicts, by=["policy", "target"])
    met, n = int(table["met"].sum()), int(table["met"].sum() + table["breached"].sum())
    low, high = wilson_interval(met, n)
    decided = table[table["n"] > 0]
    pos = int(decided["attainment"].to_numpy().argmin())
    worst = decided.index[pos]
    worst_rate, worst_n = float(decided["attainment"].iloc[pos]), int(decided["n"].iloc[pos])
    reading = (
        (
            f"{verdicts.index.get_level_values(0).nunique():,} tickets were checked against "
            f"their commitments as of {as_of:%Y-%m-%d}: {_pct(met / n if n else float('nan'))} of "
            f"{n:,} decided targets were met (95% Wilson interval {_pct(float(low))} to "
            f"{_pct(float(high))})."
        ),
        (
            f"The weakest commitment is {worst[1].replace('_', ' ')} under "
            f"{worst[0]!r}: {_pct(worst_rate)} met of {worst_n:,}. Intervals are wide where few tickets were "
            "decided; compare commitments by their intervals, not only their rates."
        ),
    )
    labelled = table.copy()
    labelled.index = pd.Index([f"{p} / {t}" for p, t in table.index], name="commitment")
    shown = table[["met", "breached", "n", "attainment", "ci_low", "ci_high"]]
    return Section(
        id="service-levels",
        title="Service levels",
        reading=reading,
        figures=(
            _svg(
                plot_sla_attainment(labelled, goal=0.9, ax=figure(7.5, 4.5)),
                "Attainment by policy and target with 95% Wilson intervals; dashed line: "
                "a 90% goal, red: the whole interval below it.",
            ),
        ),
        tables=(
            (
                "Attainment by policy and target",
                _table(shown, shares=("attainment", "ci_low", "ci_high")),
            ),
        ),
    )


def satisfaction(
    responses: pd.DataFrame,
    figure: Callable[[float, float], Any],
    source: FileSource | None = None,
) -> Section:
    """NPS, CSAT and CES by month with intervals; low-sample months marked.

    ``source``: the file the responses came from, so that a sentence names a score
    column as the file spells it (``--column nps=推荐意愿``: '推荐意愿').

    Raises:
        SchemaError: ``responses`` has none of the columns ``nps``, ``csat`` and ``ces``.
    """
    from crmkit.plotting import plot_metric_trend
    from crmkit.service import metric_table

    metrics = [m for m in ("nps", "csat", "ces") if m in responses.columns]
    if not metrics:
        # A file given for this section without any score is a wrong file or a wrong
        # column name, like a transactions file without customer ids: refuse it.
        from crmkit.errors import SchemaError

        raise SchemaError(
            "satisfaction()",
            "nps",
            expected="present, or else 'csat' or 'ces'",
            found=f"columns {list(map(str, responses.columns))[:20]}",
            hint="The satisfaction section reads these score columns by name: rename yours.",
        )
    figures, tables, reading = [], [], []
    for metric in metrics:
        table = metric_table(responses, metric, freq="M", min_n=MIN_N)
        if int(table["n"].sum()) == 0:
            column = metric if source is None else source.file_column(metric)
            # A score column the survey never filled (an export's empty `ces`): a chart
            # and a table of blanks would read as a failure; say so in one sentence.
            reading.append(
                f"{metric.upper()} is left out: none of the {_responses(len(responses))} has "
                f"a score in the column '{column}'."
            )
            continue
        figures.append(
            _svg(
                plot_metric_trend(table, ax=figure(7.5, 3.6)),
                f"{metric.upper()} by month with its 95% interval; hollow points: fewer than "
                f"{MIN_N} responses.",
            )
        )
        shown = table.set_index("period")[["n", "value", "lower", "upper", "low_sample"]]
        shown = shown.assign(low_sample=shown["low_sample"].map({True: "low sample", False: ""}))
        tables.append((f"{metric.upper()} by month", _table(shown)))
        valid = table.dropna(subset=["value"])
        if len(valid) == 0:
            continue
        first, last = valid.iloc[0], valid.iloc[-1]
        low = int(table["low_sample"].sum())
        unit = "points" if metric == "nps" else "percentage points"
        reading.append(
            f"{metric.upper()} went from {first['value']:.0f} in {first['period']} to "
            f"{last['value']:.0f} in {last['period']} ({last['value'] - first['value']:+.0f} "
            f"{unit}; the last month's 95% interval is {last['lower']:.0f} to "
            f"{last['upper']:.0f})."
            + (
                f" {low} month{'s' if low != 1 else ''} had fewer than {MIN_N} responses: "
                f"read {'them' if low != 1 else 'it'} with care."
                if low
                else ""
            )
        )
    return Section(
        id="satisfaction",
        title="Satisfaction",
        reading=tuple(reading),
        figures=tuple(figures),
        tables=tuple(tables),
    )


def sample_campaign(tx: pd.DataFrame) -> tuple[pd.DataFrame, dt.date]:
    """The seed scenario on ``tx``: half-year sleepers, 10% held out; the window's first day.

    The sleepers are the lifecycle policy's dormant customers (no purchase for 180 days)
    ``WINDOW_DAYS`` before the last purchase; :func:`crmkit.campaigns.assign` holds out
    ``CONTROL_SHARE`` of them by hashing their ids with the campaign name.

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> arms, start = sample_campaign(DemoData(seed=1).transactions)
        >>> sorted(arms["arm"].unique()), arms.attrs["control_share"]
        (['control', 'treatment'], 0.1)
    """
    from crmkit.campaigns import assign
    from crmkit.segmentation import classify_lifecycle

    as_of = pd.Timestamp(tx["date"].max()).normalize() - pd.Timedelta(days=WINDOW_DAYS)
    stages = classify_lifecycle(tx, as_of=as_of.date(), amount="amount")
    sleepers = stages.index[(stages["stage"] == "dormant").to_numpy()]
    arms = assign(sleepers, campaign=CAMPAIGN, control_share=CONTROL_SHARE)
    return arms, (as_of + pd.Timedelta(days=1)).date()


def sample_coupon(
    tx: pd.DataFrame, arms: pd.DataFrame, start: dt.date, *, seed: int
) -> tuple[pd.DataFrame, str]:
    """``tx`` with the sample campaign's simulated coupon orders, and a note saying so.

    The coupon wakes :data:`SAMPLE_WAKE_RATE` of the treated sleepers
    (:func:`crmkit.datasets.campaign_orders`, seeded); the control group gets nothing.

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> data = DemoData(seed=1)
        >>> arms, start = sample_campaign(data.transactions)
        >>> tx, note = sample_coupon(data.transactions, arms, start, seed=1)
        >>> len(tx) > len(data.transactions), note.startswith("The coupon is simulated")
        (True, True)
    """
    from crmkit.datasets import campaign_orders

    end = start + dt.timedelta(days=WINDOW_DAYS - 1)
    orders = campaign_orders(
        tx, arms, start=pd.Timestamp(start), end=pd.Timestamp(end),
        wake_rate=SAMPLE_WAKE_RATE, seed=seed,
    )  # fmt: skip
    merged = pd.concat([tx, orders], ignore_index=True)
    merged = merged.sort_values(["date", "order_id"], kind="stable", ignore_index=True)
    # The true effect: treated sleepers who buy in the window only because of the coupon.
    days = tx["date"].dt.normalize()
    in_window = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end)) & (tx["amount"] > 0)
    anyway = set(tx.loc[in_window, "customer_id"])
    n_treated = int((arms["arm"] == "treatment").sum())
    caused = len(set(orders["customer_id"]) - anyway)
    true_uplift = caused / n_treated if n_treated else 0.0
    note = (
        f"The coupon is simulated: the built-in sample data hold no real campaign, so "
        f"crmkit.datasets.campaign_orders (seed {seed}) woke each treated sleeper with "
        f"probability {SAMPLE_WAKE_RATE:.0%} ({len(orders):,} of {n_treated:,} bought once "
        f"more in the window) and left the control group alone. {caused:,} of them would "
        f"not have bought otherwise: the true uplift is {true_uplift * 100:+.1f} points, "
        "which the measurement above estimates from the control group's behaviour."
    )
    return merged, note


def _arm_bars(
    ax: Any, names: list[str], estimates: list[Any], *, color: str, title: str, label: str
) -> Any:
    """Bars of one estimate per arm (control grey) with its interval as error bars."""
    import numpy as np

    def values(name: str) -> Any:
        return np.array([getattr(e, name) for e in estimates], dtype=float)  # None -> nan

    value, lower, upper = values("value"), values("lower"), values("upper")
    ax.bar(names, np.nan_to_num(value), color=["#7f7f7f", color])
    ax.errorbar(
        names, value, yerr=[value - lower, upper - value], fmt="none", ecolor="#1d2433",
        capsize=6,
    )  # fmt: skip
    ax.set_ylabel(label)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _points(share: float | None) -> str:
    """A difference of two shares in percentage points: ``+5.4 points``."""
    return "n/a" if share is None or pd.isna(share) else f"{share * 100:+.1f} points"


def _money(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:,.2f}"


def campaigns(
    assignment: pd.DataFrame,
    tx: pd.DataFrame,
    start: dt.date,
    figure: Callable[[float, float], Any],
    *,
    note: str = "",
) -> Section:
    """Per arm n, response rate and revenue; uplift (Newcombe), revenue (Welch, CUPED), SRM.

    Measured by :func:`crmkit.campaigns.measure` over ``WINDOW_DAYS`` days from ``start``,
    with the year before ``start`` as the CUPED pre-period. ``note`` says how a simulated
    effect was made (the sample data).
    """
    from crmkit.campaigns import measure

    end = start + dt.timedelta(days=WINDOW_DAYS - 1)
    result = measure(assignment, tx, start=start, end=end, pre_start=start - dt.timedelta(days=365))
    arms = [result.arms[a] for a in ("control", "treatment")]
    u, r, c = result.uplift, result.incremental_revenue, result.incremental_revenue_cuped
    control, treated = arms
    beats = u.lower is not None and u.lower > 0
    worse = u.upper is not None and u.upper < 0
    verdict = (
        "The campaign beats the control group: the whole interval of the uplift is above zero."
        if beats
        else "The campaign does worse than the control group: the whole interval of the "
        "uplift is below zero."
        if worse
        else "The campaign does not clearly beat the control group: the interval of the "
        "uplift includes zero, so the difference may be chance."
    )
    reading = [
        (
            f"{control.n + treated.n:,} half-year sleepers (no purchase for 180 days on "
            f"{start - dt.timedelta(days=1)}) were split by hash (campaign "
            f"'{result.campaign or CAMPAIGN}', {CONTROL_SHARE:.0%} held out as the control "
            f"group) and followed from {start} to {end}. {_pct(treated.response_rate.value)} "
            f"of the treated customers bought again, and {_pct(control.response_rate.value)} "
            "of the control group, who got nothing"
            + (
                ": some sleepers come back anyway, and only the difference is the campaign's."
                if control.responders
                else "."
            )
        ),
        (
            f"{verdict} Uplift {_points(u.value)} (Newcombe 95% interval "
            f"{_points(u.lower)} to {_points(u.upper)}); incremental revenue per customer "
            f"{_money(r.value)} (Welch interval {_money(r.lower)} to {_money(r.upper)})"
            + (
                f", {_money(c.value)} with CUPED ({_money(c.lower)} to {_money(c.upper)}; the "
                f"pre-period spend removes {result.variance_reduction or 0.0:.0%} of the "
                "variance)."
                if c is not None
                else "."
            )
        ),
    ]
    if result.srm is not None:
        reading.append(
            f"Sample-ratio check: p = {result.srm.p_value:.3g}; "
            + (
                "the arm sizes do not fit the intended split: check the assignment before "
                "trusting any figure."
                if result.srm.mismatch
                else "the arm sizes fit the intended split."
            )
        )
    if note:
        reading.append(note)
    elif result.campaign == CAMPAIGN:
        reading.append(
            "The built-in sample data hold no real campaign: no coupon was sent, so any "
            "uplift here is chance. The section shows how a campaign is read, not an effect."
        )
    names = [a.arm for a in arms]
    ax = _arm_bars(
        figure(5.5, 3.2), names, [a.response_rate for a in arms], color="#1f77b4",
        title="Response rate by arm", label="bought in the window",
    )  # fmt: skip
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax2 = _arm_bars(
        figure(5.5, 3.2), names, [a.revenue_per_customer for a in arms],
        color="#2ca02c", title="Revenue per customer by arm", label="revenue per customer",
    )  # fmt: skip
    per_arm = pd.DataFrame(
        {
            "customers": [a.n for a in arms],
            "responders": [a.responders for a in arms],
            "response_rate": [a.response_rate.value for a in arms],
            "rate_low": [a.response_rate.lower for a in arms],
            "rate_high": [a.response_rate.upper for a in arms],
            "revenue_per_customer": [a.revenue_per_customer.value for a in arms],
            "orders_per_customer": [a.orders_per_customer.value for a in arms],
        },
        index=pd.Index(names, name="arm"),
    )
    rows = [("uplift in response rate", u, True), ("relative lift", result.relative_lift, True)]
    rows += [("incremental revenue per customer", r, False)]
    if c is not None:
        rows.append(("incremental revenue per customer, CUPED", c, False))
    effects = pd.DataFrame(
        {
            "value": [_pct(e.value) if pct else _money(e.value) for _, e, pct in rows],
            "95% CI": [
                f"{_pct(e.lower)} to {_pct(e.upper)}"
                if pct
                else f"{_money(e.lower)} to {_money(e.upper)}"
                for _, e, pct in rows
            ],
            "n": [e.n for _, e, _ in rows],
            "method": [e.method for _, e, _ in rows],
            "p_value": [e.p_value for _, e, _ in rows],
        },
        index=pd.Index([name for name, _, _ in rows], name="estimate"),
    )
    effects["p_value"] = effects["p_value"].map(lambda p: "" if p is None else f"{p:.3g}")
    tables = [
        ("Arms", _table(per_arm, shares=("response_rate", "rate_low", "rate_high"))),
        ("What the campaign changed (treatment minus control)", _table(effects)),
    ]
    if result.srm is not None:
        srm = pd.DataFrame(
            {
                "customers": pd.Series(result.srm.counts),
                "expected": pd.Series(result.srm.expected),
            }
        )
        srm.index.name = f"arm (chi-square p = {result.srm.p_value:.3g})"
        tables.append(("Sample-ratio check", _table(srm)))
    return Section(
        id="campaigns",
        title="Campaigns",
        reading=tuple(reading),
        figures=(
            _svg(ax, "Share of each arm who bought in the window, with 95% Wilson intervals."),
            _svg(ax2, "Revenue per customer in the window (zeros included), 95% t intervals."),
        ),
        tables=tuple(tables),
    )


def sections(data: ReportData) -> list[Section]:
    """Every section of the report, computed from ``data`` (missing data: a note).

    Examples:
        >>> [s.missing != "" for s in sections(ReportData())]
        [True, True, True, True, True, True]
    """
    with contextlib.ExitStack() as stack:
        return _sections(data, stack)


def _sections(data: ReportData, stack: contextlib.ExitStack) -> list[Section]:
    figure: Callable[[float, float], Any] | None = None

    def fig() -> Callable[[float, float], Any]:
        nonlocal figure
        if figure is None:
            figure = _figure_factory()
            # The figures' text takes its font family when it is made: the report's style
            # holds from the first figure on (matplotlib is imported only when needed).
            stack.enter_context(_figure_style())
        return figure

    out: list[Section] = []
    files = data.files
    if data.transactions is not None:
        with naming_files(files.get("transactions")):
            out.append(customer_value(data.transactions, fig()))
            out.append(lifecycle(data.transactions, fig()))
    else:
        for sid in ("customer-value", "lifecycle"):
            out.append(_missing(sid, "--transactions FILE"))
    if data.loyalty_events is not None and data.program is not None:
        with naming_files(files.get("loyalty_events")):
            out.append(loyalty(data.loyalty_events, data.program, fig()))
    else:
        out.append(_missing("loyalty", "--events FILE --program PROGRAM.json"))
    if data.tickets is not None and data.policies is not None:
        with naming_files(files.get("tickets"), files.get("ticket_events")):
            out.append(_service_section(data, fig))
    else:
        out.append(_missing("service-levels", "--tickets FILE --policy POLICY.json"))
    if data.responses is not None:
        with naming_files(files.get("responses")):
            out.append(satisfaction(data.responses, fig(), files.get("responses")))
    else:
        out.append(_missing("satisfaction", "--responses FILE"))
    tx = data.transactions if data.campaign_transactions is None else data.campaign_transactions
    if tx is not None and data.assignment is not None and data.campaign_start is not None:
        out.append(
            campaigns(data.assignment, tx, data.campaign_start, fig(), note=data.campaign_note)
        )
    else:
        out.append(_missing("campaigns", _CAMPAIGN_NEEDS))
    return out


def _service_section(data: ReportData, fig: Callable[[], Callable[[float, float], Any]]) -> Section:
    """The service levels section; the ticket events from the rows when none were given."""
    assert data.tickets is not None
    assert data.policies is not None
    events = data.ticket_events
    if events is None:
        from crmkit.service._cli import _canonical_tickets, _events_from_tickets

        ns = argparse.Namespace(
            ticket="ticket_id", date_format=None, date_unit=None,
            **{c: c for c in ("created_at", "first_reply_at", "resolved_at",
                              "followed_up_at", "on_site_at", "waiting_seconds",
                              "reopened")},
        )  # fmt: skip
        # Only what the rows state: reopenings, waits and targets that read replies
        # need the event history (refused, naming --ticket-events).
        events = _events_from_tickets(
            _canonical_tickets(data.tickets, ns),
            policies=data.policies,
            events_option="--ticket-events",
        )
    return service_levels(data.tickets, events, data.policies, fig())


#: What the campaigns section needs; ``crmkit report`` has no option for it (yet).
_CAMPAIGN_NEEDS = (
    "an assignment (customer id and arm, from `crmkit campaign assign`), the transactions "
    "and the first day of the response window; crmkit report has no option for them, so "
    "measure your campaign with `crmkit campaign measure`"
)


def _missing(sid: str, option: str) -> Section:
    title = dict(SECTIONS)[sid]
    return Section(id=sid, title=title, missing=option)


# --------------------------------------------------------------------------- page

_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1d2433;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", Roboto, Arial, sans-serif; }
header, main { max-width: 1040px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 28px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
.meta { color: #5b6475; margin: 0 0 12px; }
nav ol { display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 0; list-style: none; }
nav a { color: #1a5fb4; text-decoration: none; }
section.report-section { background: #fff; border: 1px solid #dde1e8; border-radius: 8px;
  padding: 8px 24px 20px; margin: 18px 0; }
h2 { font-size: 1.3em; border-bottom: 2px solid #e5e8ee; padding-bottom: 6px; }
.reading p { margin: 8px 0; max-width: 72ch; }
.figures { display: flex; flex-wrap: wrap; gap: 14px; }
figure { margin: 8px 0; flex: 1 1 420px; max-width: 480px; }
figure.wide { flex-basis: 100%; max-width: 820px; }
figure img { width: 100%; height: auto; border: 1px solid #eef0f4; }
figcaption { color: #5b6475; font-size: .9em; }
details { margin: 10px 0; }
summary { cursor: pointer; color: #1a5fb4; }
.table-wrap { overflow-x: auto; }
table.data { border-collapse: collapse; font-size: .9em; margin: 8px 0;
  font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 3px 10px; border-bottom: 1px solid #eceff3;
  text-align: right; white-space: nowrap; }
table.data th:first-child, table.data td:first-child { text-align: left; }
.missing { color: #8a5a00; background: #fff8e6; padding: 8px 12px; border-radius: 6px; }
footer { max-width: 1040px; margin: 0 auto; padding: 10px 20px 30px; color: #5b6475;
  font-size: .85em; }
"""


def build_report(data: ReportData, *, generated: str | None = None) -> str:
    """The report as one HTML document (a string) over ``data``.

    Args:
        data: The tables to report on (see :class:`ReportData`).
        generated: The "generated" line (default: crmkit's version only; no clock is read).

    Examples:
        >>> page = build_report(ReportData())
        >>> page.startswith("<!DOCTYPE html>") and "Not included" in page
        True
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        (
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "img-src data:; style-src 'unsafe-inline'\">"
        ),
        "<title>crmkit report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>Customer report</h1>",
        (
            f'<p class="meta">Computed by crmkit {html.escape(__version__)} over '
            f"{html.escape(data.source)}. {html.escape(generated or '')}</p>"
        ),
        "<nav><ol>",
    ]
    built = sections(data)
    parts.extend(f'<li><a href="#{s.id}">{html.escape(s.title)}</a></li>' for s in built)
    parts.append("</ol></nav></header><main>")
    for section in built:
        parts.append(
            f'<section class="report-section" id="{section.id}">'
            f"<h2>{html.escape(section.title)}</h2>"
        )
        if section.missing and not section.missing.startswith("--"):
            parts.append(
                f'<p class="missing">Not included: this section needs '
                f"{html.escape(section.missing)}.</p></section>"
            )
            continue
        if section.missing:
            parts.append(
                f'<p class="missing">Not included: no data was given for this section. '
                f"Add it with <code>{html.escape(section.missing)}</code>.</p></section>"
            )
            continue
        parts.append('<div class="reading">')
        parts.extend(f"<p>{html.escape(text)}</p>" for text in section.reading)
        parts.append('</div><div class="figures">')
        for figure in section.figures:
            encoded = base64.b64encode(figure.svg).decode("ascii")
            alt = html.escape(figure.caption, quote=True)
            parts.append(
                f'<figure class="{"wide" if figure.wide else "narrow"}">'
                f'<img class="figure" alt="{alt}" '
                f'src="data:image/svg+xml;base64,{encoded}">'
                f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>"
            )
        parts.append("</div>")
        for caption, table in section.tables:
            parts.append(
                f"<details open><summary>{html.escape(caption)}</summary>"
                f'<div class="table-wrap">{table}</div></details>'
            )
        parts.append("</section>")
    parts.append(
        "</main><footer>Figures and tables show crmkit's results unrounded except for "
        "display. Intervals are 95% (Wilson for shares, adjusted Wald for NPS).</footer>"
        "</body></html>"
    )
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- command


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``crmkit report``.

    Examples:
        >>> p = argparse.ArgumentParser()
        >>> p.set_defaults(column_options={})
        >>> add_report_options(p)
        >>> p.parse_args(["out", "--transactions", "tx.csv"]).transactions
        'tx.csv'
    """
    parser.add_argument("directory", help="folder to write report.html into (created if missing)")
    parser.add_argument(
        "--seed", type=int, default=7, help="sample data seed (when no file is given)"
    )
    files = parser.add_argument_group("your data (without any: the built-in sample data)")
    files.add_argument("--transactions", metavar="FILE", help="transactions (rfm, lifecycle)")
    files.add_argument("--tickets", metavar="FILE", help="tickets (needs --policy)")
    files.add_argument(
        "--ticket-events",
        metavar="FILE",
        help="ticket events (ticket_id, time, event); default: the events the ticket rows "
        "state (reopened tickets, waits and targets that read replies need this file)",
    )
    files.add_argument("--policy", metavar="FILE", help="SLA policy set JSON")
    files.add_argument("--responses", metavar="FILE", help="survey responses (nps, csat, ces)")
    files.add_argument(
        "--na-values",
        default="",
        metavar="TEXT[,TEXT...]",
        help="score texts of --responses that mean no answer (e.g. '不知道,不适用,N/A'), "
        "read as missing, as in `crmkit nps`; other text is refused",
    )
    files.add_argument("--events", metavar="FILE", help="loyalty events (needs --program)")
    files.add_argument("--program", metavar="FILE", help="loyalty program JSON")
    columns = parser.add_argument_group("columns of your files")
    for name, default, text in (
        ("customer", "customer_id", "customer id column of transactions"),
        ("date", "date", "date column of transactions and responses"),
        ("amount", "amount", "amount column of transactions"),
        (
            "order",
            "order_id",
            (
                "order id column of transactions: RFM frequency counts distinct orders (as "
                "`crmkit rfm --order`); a file without it counts distinct purchase days"
            ),
        ),
        ("member", "member_id", "member id column of loyalty events"),
        ("time", "time", "time column of loyalty and ticket events"),
        ("ticket", "ticket_id", "ticket id column of tickets and ticket events"),
    ):
        columns.add_argument(f"--{name}", default=default, metavar="COLUMN", help=text)
    parser.set_defaults(
        column_options={
            n: f"--{n}" for n in ("customer", "date", "amount", "order", "member", "time", "ticket")
        }
    )
    add_input_options(parser)
    add_timezone_option(parser, reads="the dates of --transactions")


_CANONICAL = {
    "transactions": {
        "customer": "customer_id",
        "date": "date",
        "amount": "amount",
        "order": "order_id",
    },
    "responses": {"date": "date"},
    "events": {"member": "member_id", "time": "time"},
    "tickets": {"ticket": "ticket_id"},
    "ticket_events": {"ticket": "ticket_id", "time": "time"},
}


#: The columns of each file the report reads by name that no option of its own names:
#: ``--column NAME=COLUMN`` maps them (``--column nps=推荐意愿``).
_BY_NAME = {
    "transactions": (),
    "responses": ("nps", "csat", "ces"),
    "events": ("event_id", "kind"),  # and the loyalty command's other event columns
    "tickets": (
        "created_at", "first_reply_at", "resolved_at", "followed_up_at", "on_site_at",
        "waiting_seconds", "reopened", "priority",
    ),
    "ticket_events": ("event",),
}  # fmt: skip


def _column_names(policies: Any) -> list[str]:
    """Every NAME that ``--column NAME=COLUMN`` may name in ``crmkit report``.

    The score, event and ticket columns read by name, and the ticket attributes the SLA
    policies' conditions read (``kind``, ``customer_tier``, ...).

    Examples:
        >>> "nps" in _column_names(None) and "customer_id" not in _column_names(None)
        True
    """
    from crmkit.loyalty._cli import _OTHER_COLUMNS

    names = {name for kind in _BY_NAME.values() for name in kind} | set(_OTHER_COLUMNS)
    for policy in getattr(policies, "policies", ()):
        names.update(key for key, _ in policy.when)
    return sorted(names)


def _check_column_options(args: argparse.Namespace, names: Sequence[str]) -> None:
    """Check every ``--column NAME=COLUMN`` before any file is read.

    Each file is then renamed by the items whose COLUMN it has (one list of items serves
    all the report's files); :func:`_check_columns_found` refuses a COLUMN no file has.
    """
    probe = pd.DataFrame(columns=[_source(item) for item in args.column or []])
    apply_columns(probe, args, names)


def _source(item: object) -> str:
    return str(item).partition("=")[2].strip()


def _check_columns_found(args: argparse.Namespace, frames: Sequence[pd.DataFrame | None]) -> None:
    """Refuse a ``--column`` whose COLUMN is in none of the files given."""
    from crmkit.errors import SchemaError

    read = [f for f in frames if f is not None]
    for item in args.column or []:
        source = _source(item)
        if not any(source in f.attrs.get("file_columns", ()) for f in read):
            seen = sorted({str(c) for f in read for c in f.attrs.get("file_columns", ())})
            raise SchemaError(
                "crmkit report",
                source,
                expected="present in one of the files given (named by --column)",
                found=f"columns {seen[:20]}",
            )


def _read(
    args: argparse.Namespace,
    kind: str,
    dates: Sequence[str],
    names: Sequence[str] = (),
    *,
    timezone: str | None = None,
) -> tuple[pd.DataFrame | None, FileSource | None]:
    path = getattr(args, kind)
    if path is None:
        return None, None
    ids = [
        getattr(args, option)
        for option in ("customer", "order", "ticket")
        if option in _CANONICAL[kind]
    ]
    frame = read_input(path, args, what=kind.replace("_", " "), text=kind == "events", ids=ids)
    columns = tuple(map(str, frame.columns))
    renames = {
        getattr(args, option): name
        for option, name in _CANONICAL[kind].items()
        if getattr(args, option) != name and getattr(args, option) in frame.columns
    }
    frame = frame.rename(columns=renames) if renames else frame
    # One --column list serves every file: each file takes the items whose COLUMN it has.
    mine = [item for item in args.column or [] if _source(item) in columns]
    frame = apply_columns(frame, argparse.Namespace(**{**vars(args), "column": mine}), names)
    # The report's name of each renamed column -> the file's, for messages.
    own = {name: column for column, name in renames.items()}
    own.update({str(item).partition("=")[0].strip(): _source(item) for item in mine})
    files = [getattr(args, k, None) for k in _CANONICAL]
    source = FileSource(
        "--" + kind.replace("_", "-"),
        str(path),
        own,
        frozenset(map(str, frame.columns)),
        named=sum(f is not None for f in files) > 1,
    )
    # With a zone the dates become aware in it, so every section counts days there.
    with naming_files(source):
        frame = convert_dates(frame, dates, args, always=True, timezone=timezone)
    frame.attrs["file_columns"] = columns
    return frame, source


def report_data(args: argparse.Namespace) -> ReportData:
    """The report's data from the options: the user's files, or the sample data.

    Examples:
        >>> ns = argparse.Namespace(transactions=None, tickets=None, responses=None,
        ...     events=None, ticket_events=None, policy=None, program=None, seed=1)
        >>> report_data(ns).source
        'the built-in sample data (seed 1)'
    """
    zone = timezone_option(args)
    for option, needs in (
        ("policy", "tickets"),
        ("ticket_events", "tickets"),
        ("program", "events"),
        ("timezone", "transactions"),
    ):
        value = getattr(args, option, None)
        if value and not getattr(args, needs, None):
            # Alone, the option would be ignored and the report built on other data.
            flag, data = "--" + option.replace("_", "-"), f"--{needs} FILE"
            raise ConfigError(
                "crmkit report",
                flag,
                expected=f"given with {data}",
                found=f"{flag} {value} without it",
                kind="option",
                hint=f"Add {data}, or leave out {flag}.",
            )
    given = [args.transactions, args.tickets, args.responses, args.events]
    if not any(given):
        return ReportData.sample(DemoData(seed=args.seed))
    from crmkit.loyalty import Program
    from crmkit.service import PolicySet, SLAPolicy

    owner = "crmkit report"
    policies = program = None
    if args.policy:
        raw = load_json_object(args.policy, owner, "--policy", "a PolicySet")
        policies = (
            PolicySet(policies=(), default=SLAPolicy.from_dict(raw))
            if "targets" in raw and "default" not in raw
            else PolicySet.from_dict(raw)
        )
    if args.program:
        program = Program.from_dict(
            load_json_object(args.program, owner, "--program", "a Program.to_dict()")
        )
    times = ("created_at", "first_reply_at", "resolved_at", "followed_up_at", "on_site_at")
    names = _column_names(policies)
    _check_column_options(args, names)
    read = {
        "transactions": _read(args, "transactions", ["date"], names, timezone=zone),
        "tickets": _read(args, "tickets", times, names),
        "ticket_events": _read(args, "ticket_events", ["time"], names),
        "responses": _read(args, "responses", ["date"], names),
        "events": _read(args, "events", ["time"], names),
    }
    frames = {kind: frame for kind, (frame, _) in read.items()}
    if frames["responses"] is not None:
        from crmkit.service._satisfaction_cli import _no_answers

        for metric in ("nps", "csat", "ces"):  # the texts named as no answer: missing
            frames["responses"] = _no_answers(frames["responses"], metric, args.na_values)
    files = {kind: source for kind, (_, source) in read.items() if source is not None}
    if "events" in files:
        files["loyalty_events"] = files.pop("events")  # ReportData's name of the table
    _check_columns_found(args, list(frames.values()))
    for frame in frames.values():
        if frame is not None:
            frame.attrs.pop("file_columns", None)
    return ReportData(
        transactions=frames["transactions"],
        tickets=frames["tickets"],
        ticket_events=frames["ticket_events"],
        policies=policies,
        responses=frames["responses"],
        loyalty_events=frames["events"],
        program=program,
        source=", ".join(str(Path(p).name) for p in given if p),
        files=files,
    )


def run_report(args: argparse.Namespace) -> Path:
    """Build the report from the options and write ``DIRECTORY/report.html``; its path.

    Examples:
        >>> import tempfile
        >>> ns = argparse.Namespace(directory=tempfile.mkdtemp(), transactions=None,
        ...     tickets=None, responses=None, events=None, ticket_events=None, policy=None,
        ...     program=None, seed=1)
        >>> run_report(ns).name  # doctest: +SKIP
        'report.html'
    """
    folder = Path(args.directory)
    page = build_report(report_data(args))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.html"
    write_text_file(str(path), page)
    return path.resolve()
