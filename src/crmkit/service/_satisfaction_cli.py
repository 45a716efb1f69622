"""The ``crmkit nps`` command and the satisfaction section of ``crmkit demo``.

``crmkit nps RESPONSES.csv --by segment --period M`` prints one row per group and month
with the score, its interval, ``n`` and a low-sample flag (:func:`crmkit.service.metric_table`);
``--metric csat`` / ``ces`` / ``csat_mean`` / ``ces_mean`` switch the metric and ``-o``
writes the unrounded table (CSV, JSON, JSON lines or Parquet). Rounding for people happens
only in the terminal table.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmkit._cli_support import (
    add_column_options,
    add_input_options,
    add_output_options,
    apply_columns,
    command,
    convert_dates,
    emit,
    output_format,
    read_input,
    section,
)
from crmkit._validate import datetime_column
from crmkit.service._kpi import (
    backlog,
    complaint_rate,
    duration_quantiles,
    first_contact_resolution,
    followup_completion,
    reopen_rate,
    repeat_complaint_rate,
)
from crmkit.service._satisfaction import (
    NPS_METHODS,
    ces,
    compare_nps,
    csat,
    metric_table,
    nps,
    round_shares,
)

if TYPE_CHECKING:
    from crmkit._cli_support import DemoData

__all__ = ["add_commands", "demo_section"]

_OWNER = "crmkit nps"


def add_commands(subparsers: Any) -> None:
    """Add the ``nps`` subcommand.

    Examples:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="crmkit")
        >>> add_commands(parser.add_subparsers())
        >>> parser.parse_args(["nps", "r.csv", "--by", "segment"]).freq
        'M'
    """
    cmd = command(
        subparsers,
        "nps",
        help="NPS (or CSAT/CES) with intervals by segment and month",
        description=(
            "Read survey responses (CSV or Parquet) and write one row per group and period "
            "with the score, its confidence interval, n and a low-sample flag. Files get "
            "the unrounded table; the terminal shows it rounded (--decimals)."
        ),
        examples=["crmkit nps data/responses.csv --by segment --period Q"],
    )
    cmd.add_argument("responses", help="responses table (CSV or Parquet; '-' for stdin)")
    cmd.add_argument(
        "--metric",
        default="nps",
        choices=["nps", "csat", "csat_mean", "ces", "ces_mean"],
        help="metric",
    )
    cmd.add_argument("--by", default="", help="comma-separated group columns, e.g. segment,region")
    cmd.add_argument(
        "--freq",
        "--period",
        dest="freq",
        default="M",
        help="pandas period alias (M, Q, W, Y) or 'none' (metric_table's freq=)",
    )
    add_column_options(
        cmd,
        {
            "date": ("date", "date column"),
            "score": (None, "score column (default: the metric's name, e.g. nps)"),
            "weights": (None, "sampling-weight column"),
        },
    )
    cmd.add_argument(
        "--ci",
        help=f"interval method (NPS: {', '.join(NPS_METHODS)}; shares: wilson, agresti_coull, "
        "clopper_pearson, jeffreys)",
    )
    cmd.add_argument("--level", type=float, default=0.95, help="confidence level")
    cmd.add_argument("--min-n", type=int, default=30, help="low-sample threshold")
    cmd.add_argument(
        "--missing",
        default="exclude",
        choices=["exclude", "include"],
        help="missing scores: exclude from n or count as neither/negative",
    )
    cmd.add_argument(
        "--na-values",
        default="",
        metavar="TEXT[,TEXT...]",
        help="score texts that mean no answer (e.g. '不知道,不适用,N/A'), read as missing; "
        "other text is refused. Only an empty cell is missing by itself: N/A, NA, null, "
        "None, NaN and #N/A are text, named here when they mean no answer",
    )
    cmd.add_argument(
        "--invalid",
        default="raise",
        choices=["raise", "exclude"],
        help="off-scale or non-integer scores: an error or left out and counted",
    )
    cmd.add_argument("--decimals", type=int, default=0, help="decimals shown on a terminal")
    add_input_options(cmd)
    add_output_options(cmd)
    cmd.set_defaults(handler=_run_nps)


def _run_nps(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    responses = read_input(args.responses, args, what="responses")
    responses = apply_columns(responses, args, ())
    period = None if str(args.freq).lower() == "none" else args.freq
    if period is not None and args.date in responses.columns:
        responses = convert_dates(responses, [args.date], args)
        if not pd.api.types.is_datetime64_any_dtype(responses[args.date].dtype):
            responses = responses.assign(
                **{args.date: datetime_column(responses, args.date, _OWNER)}
            )
    responses = _no_answers(responses, args.score or args.metric.partition("_")[0], args.na_values)
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    table = metric_table(
        responses,
        args.metric,
        by=by,
        freq=period,
        date=args.date,
        score=args.score,
        weights=args.weights,
        ci=args.ci,
        level=args.level,
        min_n=args.min_n,
        missing=args.missing,
        invalid=args.invalid,
    )
    emit(table, args, index=False, fmt=fmt, table=lambda t: _show(t, args.decimals))
    return 0


def _no_answers(responses: pd.DataFrame, column: str, tokens: str) -> pd.DataFrame:
    """The score ``column`` with the ``--na-values`` texts made missing (a new frame).

    Only texts named there (compared after trimming spaces) are "no answer": crmkit does
    not decide which answers mean that. Anything else that is not a number is refused by
    the survey reader, naming the rows (and a unit such as ``9分``).
    """
    names = {t.strip() for t in tokens.split(",") if t.strip()}
    if not names or column not in responses.columns:
        return responses
    series = responses[column]
    dtype = series.dtype
    texts = (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )
    if not texts:  # numbers, booleans, dates: no cell is a text
        return responses
    # Vectorised: .str gives <NA> for cells that are not text (numbers in an object column).
    hits = series.astype(object).str.strip().isin(names).to_numpy(dtype=bool)
    if not hits.any():
        return responses
    cleaned = series.astype(object).where(~hits, None)
    numeric = pd.to_numeric(cleaned, errors="coerce")
    if bool((numeric.notna() | cleaned.isna()).all()):  # every other cell a number
        return responses.assign(**{column: numeric})
    return responses.assign(**{column: cleaned})


def _show(table: pd.DataFrame, decimals: int) -> str:
    """The table rounded for display (half-up), intervals as 'lo to hi'."""
    shown = table.copy()
    for column in ("value", "lower", "upper"):
        shown[column] = [
            "n/a" if pd.isna(v) else str(round_shares([float(v)], decimals, sum_to_total=False)[0])
            for v in table[column]
        ]
    shown["interval"] = shown["lower"].astype(str) + " to " + shown["upper"].astype(str)
    shown["low_sample"] = shown["low_sample"].map({True: "yes", False: ""})
    keep = [c for c in shown.columns if c not in ("lower", "upper", "se", "reason")]
    keep.insert(keep.index("value") + 1, keep.pop(keep.index("interval")))
    level = f"{table.attrs.get('level', 0.95) * 100:g}"
    header = f"{table.attrs.get('metric', '')} by {', '.join(keep[: keep.index('n')]) or 'all'} ({level}% CI, {table.attrs.get('method', '')})"
    left_out = [
        f"{table.attrs[key]} {what}"
        for key, what in (("n_invalid", "off-scale scores"), ("n_zero_weight", "zero weights"))
        if table.attrs.get(key)
    ]
    footer = f"\nleft out: {', '.join(left_out)}" if left_out else ""
    with pd.option_context("display.width", 160, "display.max_rows", 400):
        return header + "\n" + shown[keep].to_string(index=False) + footer


def demo_section(data: DemoData) -> str:
    """The satisfaction section of ``crmkit demo``: NPS/CSAT/CES, trend, service KPIs.

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> text = demo_section(DemoData(seed=1))
        >>> text.splitlines()[1]
        'Satisfaction and service KPIs'
    """
    from crmkit.service._cli import demo_policies

    responses = data.survey_responses
    lines = [
        "Overall (rounded half-up only here; intervals name their method):",
        "  " + nps(responses["nps"]).format(),
        "  " + csat(responses["csat"]).format(),
        "  " + ces(responses["ces"]).format(what="mean", decimals=2),
        "  " + ces(responses["ces"]).format(),
        "",
        "Monthly NPS trend (adjusted-Wald 95% CI):",
    ]
    trend = metric_table(responses, "nps", freq="M")
    for _, row in trend.iterrows():
        bar = "#" * max(0, round(float(row["value"]) / 4))
        lines.append(
            f"  {row['period']}  {float(row['value']):5.1f}  "
            f"[{float(row['lower']):5.1f}, {float(row['upper']):5.1f}]  n={row['n']:<4d} {bar}"
        )
    months = responses["date"].dt.to_period("M")
    first, last = months.min(), months.max()
    a = nps(responses.loc[months == last, "nps"])
    b = nps(responses.loc[months == first, "nps"])
    c = compare_nps(a, b)
    assert c.interval is not None
    assert c.difference is not None
    lines.append(
        f"  {last} vs {first}: {c.difference:+.1f} points "
        f"(95% CI {c.interval.lower:+.1f} to {c.interval.upper:+.1f}, p = {c.p_value:.3g})"
    )

    tickets = data.tickets
    as_of = tickets["created_at"].max() + pd.Timedelta(hours=1)
    calendar = demo_policies().calendar
    frt = duration_quantiles(tickets, q=(0.5, 0.9), as_of=as_of, calendar=calendar)
    res = duration_quantiles(tickets, end="resolved_at", q=(0.5, 0.9), as_of=as_of)
    complaints = tickets[tickets["kind"] == "complaint"]
    start = tickets["created_at"].min().tz_localize(None)
    orders = data.transactions
    in_window = (orders["date"] >= start) & (orders["date"] <= as_of.tz_localize(None))
    n_orders = int(orders.loc[in_window & (orders["amount"] > 0), "order_id"].nunique())
    back = backlog(tickets, as_of=as_of)
    lines += [
        "",
        f"Service KPIs ({len(tickets):,} sample tickets, as of {as_of:%Y-%m-%d %H:%M %Z}):",
        f"  first reply, business hours: {frt.format()}",
        f"  resolution, wall clock (Kaplan-Meier, open tickets censored): {res.format()}",
        "  " + first_contact_resolution(tickets, data.ticket_events).format(),
        "  "
        + first_contact_resolution(
            tickets, definition="no_recontact_within", window=dt.timedelta(days=7), as_of=as_of
        ).format(),
        "  " + reopen_rate(tickets).format(),
        f"  complaints per 1,000 orders: {complaint_rate(complaints, n_orders).format()}",
        "  " + repeat_complaint_rate(complaints, as_of=as_of).format(),
        "  " + followup_completion(tickets, due=dt.timedelta(hours=72), as_of=as_of).format(),
        f"  backlog: {back.attrs['total']} open tickets; by age "
        + ", ".join(f"{r.age} {r.tickets}" for r in back.itertuples()),
    ]
    return section("Satisfaction and service KPIs", "\n".join(lines))
