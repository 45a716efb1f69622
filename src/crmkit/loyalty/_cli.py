"""``crmkit loyalty``: replay member events under a program; the loyalty part of the demo."""

from __future__ import annotations

import argparse
import itertools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmkit._cli_support import (
    Progress,
    add_column_options,
    add_input_options,
    add_output_options,
    apply_columns,
    command,
    emit,
    load_json_object,
    output_format,
    read_input,
    section,
)
from crmkit.errors import ConfigError
from crmkit.loyalty._expiry import ExpiryPolicy
from crmkit.loyalty._program import Program
from crmkit.loyalty._replay_many import replay_many
from crmkit.loyalty._rules import EarningScheme
from crmkit.loyalty._tiers import Tier, TierLadder

if TYPE_CHECKING:
    from crmkit._cli_support import DemoData

__all__ = ["add_commands", "demo_program", "demo_section"]


def demo_program() -> Program:
    """The retail member club the demo replays (domain notes: spend-based levels).

    One point per yuan, points valid for 12 months (to the same day, month ends clamped),
    7-day return window, levels by yearly spend (silver 2,000, gold 5,000, soft landing one level down),
    a 30-yuan coupon for 300 points (250 for gold).

    Examples:
        >>> demo_program().tiers.names
        ['member', 'silver', 'gold']
    """
    return Program(
        name="retail club",
        currency="CNY",
        timezone="Asia/Shanghai",
        earning=EarningScheme.base_rate(1),
        expiry=ExpiryPolicy.after_months(12),
        tiers=TierLadder(
            tiers=(
                Tier(name="member"),
                Tier(name="silver", spend=Decimal(2000)),
                Tier(name="gold", spend=Decimal(5000)),
            ),
            downgrade="one_down",
        ),
        catalogue={"coupon-30": {"*": 300, "gold": 250}},
        pending_days=7,
    )


def demo_section(data: DemoData) -> str:
    """The loyalty section of ``crmkit demo``: balances, tiers and points expiring soon.

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> "Loyalty" in demo_section(DemoData(seed=1))
        True
    """
    events = data.loyalty_events
    program = demo_program()
    as_of = events["time"].max()
    states = replay_many(events, program, as_of=as_of, expiring_days=60, on_error="skip")
    lines = [
        (
            f"Program {program.name!r}: 1 point per yuan, valid 12 months, "
            f"{program.pending_days}-day return window"
        ),
        (
            f"Replayed {int(states['events'].sum()):,} events of {len(states):,} members "
            f"as of {as_of:%Y-%m-%d %H:%M} ({int(states['rejected'].sum())} rejected)"
        ),
        "",
        f"  points credited  {int(states['credited'].sum()):>10,}",
        f"  available        {int(states['available'].sum()):>10,}",
        f"  pending          {int(states['pending'].sum()):>10,}",
        f"  spent            {int(states['spent'].sum()):>10,}",
        f"  reversed         {int(states['reversed'].sum()):>10,}",
        f"  expired          {int(states['expired'].sum()):>10,}",
        "",
        "Members per tier:",
    ]
    counts = states["tier"].value_counts(sort=False)
    lines.extend(f"  {tier:<8} {count:>5}" for tier, count in counts.items())
    soon = states[states["expiring"] > 0].sort_values("expiring", ascending=False)
    lines.append("")
    lines.append(f"Renewal reminders: {len(soon)} members have points expiring within 60 days")
    for member, row in soon.head(5).iterrows():
        lines.append(
            f"  {member}  {int(row['expiring']):>6,} points expire within 60 days, the first "
            f"on {row['next_expiry']:%Y-%m-%d} ({row['tier']})"
        )
    return section("Loyalty", "\n".join(lines))


def add_commands(subparsers: Any) -> None:
    """Add ``crmkit loyalty`` (events table + program JSON -> one row of state per member).

    Examples:
        >>> import argparse
        >>> sub = argparse.ArgumentParser().add_subparsers()
        >>> add_commands(sub)
    """
    parser = command(
        subparsers,
        "loyalty",
        help="replay loyalty events under a program: balances, tiers, expiring points",
        description=(
            "Replay every member's events (CSV or Parquet; CSV columns are read as text so "
            "amounts stay exact) under a program given as JSON (Program.to_dict()) and write "
            "one row per member. `crmkit sample DIR` writes an example program.json. The end "
            "columns (expires_at: a credit's expiry; until: a tier grant's end) hold the first "
            "instant without the points or the tier, with a time of day: 2025-08-01 00:00 "
            "ends them after 31 July. A date alone reads two ways there and is refused."
        ),
        examples=[
            (
                "crmkit loyalty data/loyalty_events.csv --program data/program.json "
                "--as-of 2025-12-31 -o states.csv"
            )
        ],
    )
    parser.add_argument("events", help="events table (CSV, '-' for stdin, or Parquet)")
    parser.add_argument("--program", required=True, help="program JSON file (Program.to_dict())")
    parser.add_argument(
        "--as-of",
        required=True,
        help="instant of the states, ISO 8601 (naive: the program's zone; a date: its end)",
    )
    parser.add_argument(
        "--expiring-days", type=int, default=30, help="horizon of the 'expiring' column, days"
    )
    parser.add_argument(
        "--on-error",
        choices=("skip", "raise"),
        default="skip",
        help="an event the ledger refuses: counted in 'rejected' and skipped, or an error",
    )
    parser.add_argument(
        "--counts",
        default="",
        metavar="NAMES",
        help="columns of named activity counts of purchases and status-credit adjustments, "
        "comma-separated (nights,stays)",
    )
    add_column_options(
        parser,
        {
            "member": ("member_id", "member id column"),
            "event-id": ("event_id", "event id column"),
            "time": ("time", "event time column"),
            "kind": ("kind", "event kind column"),
        },
    )
    add_input_options(parser)
    add_output_options(parser)
    parser.set_defaults(handler=_run)


#: Columns read by fixed name (rename them with ``--column NAME=COLUMN``).
_OTHER_COLUMNS = (
    "amount", "discount", "quantity", "line", "sku", "category", "channel", "ref",
    "points", "reward", "reason", "birth_date", "currency", "expires_at", "tender_points",
    "tender_amount", "spend", "qualifying_points", "involuntary", "tier", "until", "ladder",
)  # fmt: skip

#: Above this many event rows, a terminal shows a progress bar (replayed in member chunks).
_PROGRESS_ROWS = 100_000


def _run(args: argparse.Namespace) -> int:
    owner = "crmkit loyalty"
    fmt = output_format(args)
    program = Program.from_dict(
        load_json_object(args.program, owner, "--program", "a Program.to_dict()")
    )
    try:  # the one reader of cut-offs: ISO 8601, nothing guessed; a date is its whole day
        as_of = program._as_of(args.as_of, owner)
    except ConfigError as err:
        # Its ConfigError (exit code 2), showing the text typed: the message then names
        # --as-of as every command's does, whatever the reader showed (e.g. a parsed
        # 0999-01-01 00:00:00 for '0999-01-01T00:00').
        raise ConfigError(
            owner, err.field, expected=err.expected, found=repr(args.as_of), hint=err.hint
        ) from None
    events = read_input(args.events, args, what="events", text=True)
    events = apply_columns(events, args, _OTHER_COLUMNS)
    # --date-format / --date-unit go to replay_many, which reads the time column and the
    # end columns (expires_at, until) with them in the program's zone (epoch numbers are
    # instants in UTC) and refuses a date alone in an end column.
    options: dict[str, Any] = {
        "as_of": as_of,
        "member": args.member,
        "event_id": args.event_id,
        "time": args.time,
        "kind": args.kind,
        "counts": [name.strip() for name in args.counts.split(",") if name.strip()],
        "expiring_days": args.expiring_days,
        "on_error": args.on_error,
        "date_format": args.date_format,
        "date_unit": args.date_unit,
    }
    bar = Progress(total=len(events), label="replaying events")
    if not bar.shown or len(events) < _PROGRESS_ROWS or args.member not in events.columns:
        states = replay_many(events, program, **options)
    else:
        states = _replay_in_chunks(events, program, options, bar)
    emit(states, args, fmt=fmt)
    return 0


def _replay_in_chunks(
    events: pd.DataFrame, program: Program, options: dict[str, Any], bar: Progress
) -> pd.DataFrame:
    """Replay members in about 20 chunks, advancing ``bar``; equal to one replay_many call."""
    members = events[options["member"]]
    codes, uniques = pd.factorize(members, sort=True)
    chunks = max(1, min(20, len(uniques)))
    bounds = np.linspace(0, len(uniques), chunks + 1).astype(int)
    parts = []
    try:
        for lo, hi in itertools.pairwise(bounds):
            mask = (codes >= lo) & (codes < hi)
            part = events.loc[mask]
            if len(part):
                parts.append(replay_many(part, program, **options))
            bar.update(int(mask.sum()))
    finally:
        bar.close()
    return (
        pd.concat(parts).sort_index(kind="stable")
        if parts
        else replay_many(events, program, **options)
    )
