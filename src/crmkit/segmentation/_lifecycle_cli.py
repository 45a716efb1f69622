"""``crmkit lifecycle`` subcommand, and the lifecycle section of the demo.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="crmkit")
    >>> add_commands(parser.add_subparsers())
    >>> parser.parse_args(["lifecycle", "tx.csv", "--as-of", "2025-06-30"]).as_of
    '2025-06-30'
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    convert_dates,
    emit,
    load_json_object,
    output_format,
    read_input,
    section,
    timezone_option,
)
from crmkit.errors import ConfigError
from crmkit.segmentation._cohorts import cohort_retention
from crmkit.segmentation._lifecycle_engine import classify_lifecycle, lifecycle_history
from crmkit.segmentation._lifecycle_policy import STAGES, LifecyclePolicy
from crmkit.segmentation._log import as_log
from crmkit.segmentation._rates import reactivation_rate
from crmkit.segmentation._transitions import transition_matrix

if TYPE_CHECKING:  # pragma: no cover
    from crmkit._cli_support import DemoData

__all__ = ["add_commands", "demo_section"]


def add_commands(subparsers: Any) -> None:
    """Add ``lifecycle`` to the ``crmkit`` command.

    Examples:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> add_commands(p.add_subparsers())
        >>> p.parse_args(["lifecycle", "tx.csv", "--counts"]).counts
        True
    """
    p = command(
        subparsers,
        "lifecycle",
        help="lifecycle stage per customer: new, reactivated, active, at risk, dormant, churned",
        description="Read a transaction log (CSV or Parquet) and write each customer's "
        "lifecycle stage with the figures behind it (recency, tenure, thresholds), or the "
        "stage counts with --counts.",
        examples=["crmkit lifecycle transactions.csv --as-of 2025-06-30 --amount amount --counts"],
    )
    p.add_argument("input", help="transactions: CSV, Parquet (.parquet), or - for stdin")
    p.add_argument(
        "--as-of",
        default=None,
        help="classify at this date (end of day) or datetime (default: the last purchase day)",
    )
    p.add_argument("--policy", default=None, help="a LifecyclePolicy as a JSON file")
    add_column_options(
        p,
        {
            "customer": ("customer_id", "customer id column"),
            "date": ("date", "purchase date column"),
            "amount": (
                None,
                (
                    "amount column (default: 'amount' when the file has one); only rows "
                    "with a positive amount count as purchases, so refunds and $0 rows are "
                    "not; without an amount column every row counts (said on stderr)"
                ),
            ),
        },
    )
    p.add_argument("--counts", action="store_true", help="write the stage counts instead")
    add_input_options(p)
    add_timezone_option(p)
    add_output_options(p)
    p.set_defaults(handler=_run_lifecycle)


def _load_policy(path: str | None) -> LifecyclePolicy:
    if path is None:
        return LifecyclePolicy()
    data = load_json_object(path, "crmkit lifecycle", "--policy", "a LifecyclePolicy")
    return LifecyclePolicy.from_dict(data)


def _zone(given: str | None, policy: LifecyclePolicy) -> str | None:
    """The zone days are counted in: ``--timezone``, else the policy's own (None: the data's).

    A ``--timezone`` other than the policy's zone is refused: days would be counted in one
    zone and the policy's thresholds meant in the other.

    Examples:
        >>> _zone("Asia/Shanghai", LifecyclePolicy()), _zone(None, LifecyclePolicy())
        ('Asia/Shanghai', None)
        >>> _zone("Asia/Shanghai", LifecyclePolicy(timezone="Europe/Berlin"))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit lifecycle: option '--timezone' must be the zone of the --policy (Europe/Berlin) or left out; found 'Asia/Shanghai'. Drop --timezone to count days in the policy's zone, or change the policy's "timezone".
    """
    if given is None:
        return policy.timezone
    if policy.timezone is not None and policy.timezone != given:
        raise ConfigError(
            "crmkit lifecycle",
            "--timezone",
            expected=f"the zone of the --policy ({policy.timezone}) or left out",
            found=repr(given),
            kind="option",
            hint="Drop --timezone to count days in the policy's zone, or change the "
            'policy\'s "timezone".',
        )
    return given


def _amount_column(frame: pd.DataFrame, given: str | None) -> str | None:
    """The amount column to read: ``--amount``, else ``amount`` when the file has one.

    Without an amount column every row is a purchase (refunds included); the command then
    says so on stderr (:func:`_run_lifecycle`) rather than counting refunds silently.

    Examples:
        >>> f = pd.DataFrame({"amount": [1.0]})
        >>> _amount_column(f, None), _amount_column(f, "net"), _amount_column(f[[]], None)
        ('amount', 'net', None)
    """
    if given is not None:
        return given
    return "amount" if "amount" in frame.columns else None


def _run_lifecycle(args: argparse.Namespace) -> int:
    owner = "crmkit lifecycle"
    fmt = output_format(args)
    given = timezone_option(args)  # a bad --timezone is refused before any file is read
    policy = _load_policy(args.policy)
    zone = _zone(given, policy)
    frame = read_input(args.input, args, what="transactions", ids=[args.customer])
    frame = convert_dates(apply_columns(frame, args, ()), [args.date], args, timezone=zone)
    amount = _amount_column(frame, args.amount)
    as_of: object = args.as_of
    if as_of is None:
        rows = as_log(
            frame, owner, customer=args.customer, date=args.date, amount=amount,
            timezone=zone,
        )  # fmt: skip
        days = rows.days()
        buying = days[rows.purchase] if rows.purchase.any() else days
        as_of = dt.date(1970, 1, 1) + dt.timedelta(days=int(buying.max()))
    stages = classify_lifecycle(
        frame, as_of=as_of, policy=policy, customer=args.customer, date=args.date,
        amount=amount, timezone=zone,
    )  # fmt: skip
    if args.counts:
        counts = stages["stage"].value_counts().reindex(list(policy.stage_names), fill_value=0)
        table = pd.DataFrame({"customers": counts, "share": counts / max(len(stages), 1)})
        table.index.name = "stage"
        emit(table, args, fmt=fmt)
    else:
        emit(stages, args, fmt=fmt)
    if amount is None:  # said after the result, so that errors stay one line
        sys.stderr.write(
            f"{owner}: note: no 'amount' column and no --amount, so every row counts as a "
            "purchase (refunds and $0 rows included); name the amount column with --amount "
            "COLUMN to count only positive amounts.\n"
        )
    return 0


def _month_end(day: dt.date) -> dt.date:
    """The last day of the month before ``day``'s month, or ``day`` if it is a month end."""
    nxt = day + dt.timedelta(days=1)
    return day if nxt.month != day.month else day.replace(day=1) - dt.timedelta(days=1)


def demo_section(data: DemoData) -> str:
    """Return the lifecycle part of ``crmkit demo``: stages, last month's moves, cohorts.

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> text = demo_section(DemoData(seed=1))
        >>> "Lifecycle stages" in text and "Cohort retention" in text
        True
    """
    tx = data.transactions
    rows = as_log(tx, "demo", customer="customer_id", date="date", amount="amount")
    last_day = dt.date(1970, 1, 1) + dt.timedelta(days=int(rows.days()[rows.purchase].max()))
    end = _month_end(last_day)
    start = end.replace(day=1) - dt.timedelta(days=1)
    stages = classify_lifecycle(tx, as_of=end, amount="amount")
    counts = stages["stage"].value_counts().reindex(list(STAGES), fill_value=0)
    lines = [
        (
            f"Lifecycle stages of {len(stages):,} customers as of {end} "
            "(new 30 d, at risk 90 d, dormant 180 d, churned 365 d, reactivated 90 d):"
        )
    ]
    for stage, n in counts.items():
        lines.append(f"  {stage:<12} {int(n):>6,}  {n / max(len(stages), 1):6.1%}")

    history = lifecycle_history(tx, as_of=[start, end], amount="amount")
    tm = transition_matrix(history, start, end)
    lines.append("")
    lines.append(f"Moves from {start} to {end} (rows: stage at start; columns: stage at end):")
    moves = tm.counts.copy()
    moves.index = pd.Index([str(s) for s in moves.index])
    moves.columns = pd.Index([str(s) for s in moves.columns])
    moves["total"] = moves.sum(axis=1)
    with pd.option_context("display.width", 120, "display.max_columns", 12):
        lines.extend("  " + row for row in moves.to_string().splitlines())
    lines.append(f"  first purchases in the month: {int(tm.entered.sum()):,}")

    sent = (pd.Timestamp(end) - pd.offsets.MonthEnd(3)).date()
    wake = reactivation_rate(tx, start=sent, end=end, amount="amount")
    lines.append("")
    lines.append(
        f"Reactivation: {wake.numerator:,} of {wake.denominator:,} customers dormant on "
        f"{sent} bought again by {end} ({wake.value:.1%})."
    )

    table = cohort_retention(tx, freq="Q", amount="amount", as_of=end)
    shares = table.shares.iloc[-6:, :6]
    shown = shares.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    shown.index = pd.Index([str(p) for p in shown.index], name="cohort")
    shown.columns = pd.Index([f"Q+{k}" for k in shown.columns])
    shown.insert(0, "customers", table.sizes.iloc[-6:].map("{:,}".format))
    lines.append("")
    lines.append(
        "Cohort retention by quarter of first purchase (share of the cohort buying in "
        "each later quarter; blank = not observable yet):"
    )
    lines.extend("  " + row for row in shown.to_string().splitlines())
    return section("Lifecycle: stages, transitions, cohorts", "\n".join(lines))
