"""``crmkit campaign assign`` / ``crmkit campaign measure``, and the campaigns demo section.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="crmkit")
    >>> add_commands(parser.add_subparsers())
    >>> args = parser.parse_args(["campaign", "assign", "c.csv", "--campaign", "wake-up"])
    >>> args.campaign, args.control_share
    ('wake-up', 0.1)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmkit._cli_support import (
    add_column_options,
    add_input_options,
    add_output_options,
    add_timezone_option,
    apply_columns,
    command,
    emit,
    output_format,
    read_input,
    section,
    timezone_option,
    write_output,
)
from crmkit._spec import check_choice
from crmkit.campaigns._holdout import assign
from crmkit.campaigns._measure import CampaignResult, measure
from crmkit.errors import SchemaError

if TYPE_CHECKING:  # pragma: no cover
    from crmkit._cli_support import DemoData

__all__ = ["add_commands", "demo_section"]


def add_commands(subparsers: Any) -> None:
    """Add ``campaign assign`` and ``campaign measure`` to the ``crmkit`` command.

    Examples:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> add_commands(p.add_subparsers())
        >>> p.parse_args(["campaign", "measure", "a.csv", "t.csv", "--start", "2025-07-01",
        ...               "--end", "2025-07-31"]).end
        '2025-07-31'
    """
    top = command(
        subparsers,
        "campaign",
        help="holdout groups and measured uplift of a campaign",
        description="Assign customers to a held-out control group (GrowthBook-compatible "
        "hashing), and measure what the campaign changed against it.",
        examples=["crmkit campaign assign customers.csv --campaign wake-up -o arms.csv"],
    )
    sub = top.add_subparsers(title="campaign commands", metavar="COMMAND")
    top.set_defaults(handler=lambda _args: _help(top))

    a = command(
        sub,
        "assign",
        help="assign customers to control or treatment",
        description="Read customers (CSV or Parquet) and write each one's arm: the "
        "GrowthBook v2 hash of the id salted with the campaign name decides, so the same "
        "customer always lands in the same arm.",
        examples=[
            (
                "crmkit campaign assign customers.csv --campaign wake-up --control-share 0.2 "
                "-o arms.csv"
            )
        ],
        parent="campaign",
    )
    a.add_argument("input", help="customers: CSV, Parquet (.parquet), or - for stdin")
    a.add_argument("--campaign", required=True, help="campaign name: the hash salt")
    a.add_argument("--control-share", type=float, default=0.1, help="held-out share")
    add_column_options(
        a,
        {
            "customer": ("customer_id", "customer id column"),
            "strata": (None, "column to stratify by (exact share per stratum)"),
        },
    )
    add_input_options(a)
    add_output_options(a)
    a.set_defaults(handler=_run_assign)

    m = command(
        sub,
        "measure",
        help="measure a campaign against its control group",
        description="Read an assignment (the output of 'crmkit campaign assign') and a "
        "transaction log, and write the result as JSON: per arm the response rate, revenue "
        "and orders per customer; the uplift with Newcombe's interval, the relative lift, "
        "the incremental revenue (Welch, and CUPED with --pre-start), by segment with "
        "Holm-adjusted p-values, and a sample-ratio-mismatch check. On a terminal a short "
        "summary is shown instead (--format json for the whole result).",
        examples=[
            (
                "crmkit campaign measure arms.csv transactions.csv --start 2025-07-01 "
                "--end 2025-07-31 --control-share 0.2 -o result.json"
            )
        ],
        parent="campaign",
    )
    m.add_argument("assignment", help="assignment: CSV or Parquet with the id and arm columns")
    m.add_argument("transactions", help="transactions: CSV or Parquet")
    m.add_argument("--start", required=True, help="first day of the response window")
    m.add_argument("--end", required=True, help="last day of the response window (included)")
    m.add_argument(
        "--pre-start", default=None, help="start of the CUPED pre-period (ends at --start)"
    )
    m.add_argument(
        "--control-share", type=float, default=None, help="intended share, for the SRM check"
    )
    m.add_argument("--segment", default=None, help="assignment column to report the uplift by")
    m.add_argument("--level", type=float, default=0.95, help="confidence level")
    add_column_options(
        m,
        {
            "customer": ("customer_id", "customer id column (both files)"),
            "date": ("date", "transaction date column"),
            "amount": ("amount", "transaction amount column"),
            "order": (None, "order id column (orders = distinct values)"),
        },
    )
    add_input_options(m)
    add_timezone_option(m, reads="transaction dates and --start, --end and --pre-start")
    add_output_options(
        m, formats=("table", "json", "jsonl"), on_stdout="a summary on a terminal, JSON in a pipe"
    )
    m.set_defaults(handler=_run_measure)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _run_assign(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    frame = read_input(args.input, args, what="customers", ids=[args.customer])
    frame = apply_columns(frame, args, ())
    out = assign(
        frame, campaign=args.campaign, control_share=args.control_share, strata=args.strata,
        customer=args.customer,
    )  # fmt: skip
    emit(out, args, fmt=fmt)
    return 0


def _run_measure(args: argparse.Namespace) -> int:
    owner = "crmkit campaign measure"
    if args.format is None and args.output in (None, "-"):
        args.format = "table" if sys.stdout.isatty() else "json"
    fmt = output_format(args)
    check_choice(
        fmt, ("table", "json", "jsonl"), owner, "--format", kind="option",
        hint="A campaign result is one JSON document.",
    )  # fmt: skip
    zone = timezone_option(args)  # before any file is read
    table = read_input(args.assignment, args, what="assignment", ids=[args.customer])
    table = apply_columns(table, args, ())
    for column in (args.customer, "arm"):
        if column not in table.columns:
            raise SchemaError(
                owner, column, expected="a column of the assignment file",
                found=f"columns {list(table.columns)[:10]}",
            )  # fmt: skip
    assignment = table.set_index(args.customer)
    if args.control_share is not None:
        assignment.attrs["control_share"] = args.control_share
    transactions = read_input(
        args.transactions, args, what="transactions", ids=[args.customer, args.order]
    )
    transactions = apply_columns(transactions, args, ())
    result = measure(
        assignment, transactions, start=args.start, end=args.end, pre_start=args.pre_start,
        segment=args.segment, level=args.level, customer=args.customer, date=args.date,
        amount=args.amount, order=args.order, date_format=args.date_format,
        date_unit=args.date_unit, timezone=zone,
    )  # fmt: skip
    if fmt == "table":
        text = "\n".join(summary_lines(result)) + "\n"
    elif fmt == "jsonl":
        text = json.dumps(result.to_dict(), ensure_ascii=False) + "\n"
    else:
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    write_output(text, args, fmt=fmt)  # --output-encoding: the summary; JSON stays UTF-8
    return 0


def summary_lines(result: CampaignResult) -> list[str]:
    """Return the result as a few readable lines (the demo section and the tutorial).

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> lines = summary_lines(_demo_result(DemoData(seed=1)))
        >>> lines[0].startswith("control")
        True
    """
    ci = f"{result.level:.0%} CI"  # the level measure() was given (--level)

    def show(value: float | None, spec: str) -> str:
        # An unbounded or undefined figure is None (one customer in an arm leaves the
        # revenue intervals without bounds): "n/a", as Estimate.format shows it.
        return "n/a" if value is None else format(value, spec)

    lines = []
    for arm in result.arms.values():
        rate = arm.response_rate
        lines.append(
            f"{arm.arm:<9} n = {arm.n:>6,}  responded {arm.responders:>5,} "
            f"({show(rate.value, '.1%')}, {ci} {show(rate.lower, '.1%')} to "
            f"{show(rate.upper, '.1%')})  revenue/customer "
            f"{show(arm.revenue_per_customer.value, ',.2f')}"
        )
    u = result.uplift
    lines.append(
        f"uplift {show(u.value, '+.1%')} ({ci} {show(u.lower, '+.1%')} to "
        f"{show(u.upper, '+.1%')}, Newcombe; p = {show(u.p_value, '.2g')})"
    )
    r = result.incremental_revenue
    lines.append(
        f"incremental revenue/customer {show(r.value, '+,.2f')} ({ci} "
        f"{show(r.lower, '+,.2f')} to {show(r.upper, '+,.2f')}, Welch)"
    )
    rel = result.relative_revenue_lift
    if rel is not None and rel.lower is not None and rel.upper is not None:
        # gbstats' delta-method interval of the ratio: on few buyers it can reach below
        # -100 %, a revenue below nothing. The figure stays gbstats'; the line says so.
        impossible = rel.lower < -1
        lines.append(
            f"  relative {show(rel.value, '+.1%')} ({ci} {rel.lower:+.1%} to {rel.upper:+.1%}, "
            "delta method"
            + (
                "; below -100% is no revenue at all: too few buyers for a relative "
                "interval, read the revenue difference above)"
                if impossible
                else ")"
            )
        )
    c = result.incremental_revenue_cuped
    if c is not None and result.variance_reduction is not None:
        lines.append(
            f"  with CUPED {show(c.value, '+,.2f')} ({ci} {show(c.lower, '+,.2f')} to "
            f"{show(c.upper, '+,.2f')}; variance -{result.variance_reduction:.0%})"
        )
    if result.srm is not None:
        lines.append(
            f"sample ratio: p = {result.srm.p_value:.3g}"
            + (" MISMATCH" if result.srm.mismatch else " (fine)")
        )
    untested = [s for s in result.by_segment if not s.tested]
    if untested:
        lines.append(
            "not tested: " + "; ".join(f"segment {s.segment!s} ({s.reason})" for s in untested)
        )
    lines.extend(f"note: {note}" for note in result.notes)
    return lines


def _demo_result(data: DemoData) -> CampaignResult:
    """Sleepers of the sample data, 20 % held out; measured over the following 90 days."""
    from crmkit.segmentation import classify_lifecycle

    tx = data.transactions
    as_of = pd.Timestamp(tx["date"].max()).normalize() - pd.Timedelta(days=90)
    stages = classify_lifecycle(tx, as_of=as_of.date(), amount="amount")
    sleepers = stages.index[(stages["stage"] == "dormant").to_numpy()]
    arms = assign(sleepers, campaign="demo-wake-up", control_share=0.2)
    end = as_of + pd.Timedelta(days=90)
    return measure(
        arms, tx, start=(as_of + pd.Timedelta(days=1)).date(), end=end.date(),
        pre_start=(as_of - pd.Timedelta(days=365)).date(),
    )  # fmt: skip


def demo_section(data: DemoData) -> str:
    """Return the campaigns part of ``crmkit demo``: sleepers, a holdout, the measured result.

    The sample data has no real campaign, so the uplift is what chance gives: this shows
    the report, not an effect.

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> "Campaigns" in demo_section(DemoData(seed=1))
        True
    """
    result = _demo_result(data)
    lines = [
        (
            f"Dormant customers on {result.start[:10]} split 80/20 by hash "
            f"(campaign 'demo-wake-up'), response window to {result.end[:10]} (exclusive);"
        ),
        "no coupon was sent in the sample data, so any uplift here is chance:",
        *("  " + line for line in summary_lines(result)),
    ]
    return section("Campaigns: holdout and uplift", "\n".join(lines))
