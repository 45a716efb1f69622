"""``crmkit loyalty``: replay member events under a program; the loyalty part of the demo."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmkit._io import read_table, write_table
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty._expiry import ExpiryPolicy
from crmkit.loyalty._program import Program
from crmkit.loyalty._replay_many import replay_many
from crmkit.loyalty._rules import EarningScheme
from crmkit.loyalty._tiers import Tier, TierLadder

if TYPE_CHECKING:
    from crmkit.cli import DemoData

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
        >>> from crmkit.cli import DemoData
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
    section = "\n".join(lines)
    return f"\nLoyalty\n{'=' * 7}\n{section.rstrip()}\n"


def add_commands(subparsers: Any) -> None:
    """Add ``crmkit loyalty`` (events table + program JSON -> one row of state per member).

    Examples:
        >>> import argparse
        >>> sub = argparse.ArgumentParser().add_subparsers()
        >>> add_commands(sub)
    """
    parser = subparsers.add_parser(
        "loyalty",
        help="replay loyalty events under a program: balances, tiers, expiring points",
        description=(
            "Replay every member's events (CSV or Parquet; CSV columns are read as text so "
            "amounts stay exact) under a program given as JSON (Program.to_dict()) and write "
            "one row per member."
        ),
    )
    parser.add_argument("events", help="events table (CSV, '-' for stdin, or Parquet)")
    parser.add_argument(
        "--program", help="program JSON file (default: the demo's retail club)", default=None
    )
    parser.add_argument(
        "--as-of",
        required=True,
        help="instant of the states, ISO 8601 (naive: the program's zone)",
    )
    parser.add_argument(
        "--expiring-days", type=int, default=30, help="horizon of the 'expiring' column"
    )
    parser.add_argument("--member", default="member_id", help="member id column")
    parser.add_argument("-o", "--output", default=None, help="output file (default: stdout)")
    parser.set_defaults(handler=_run)


def _read_events(path: str) -> pd.DataFrame:
    if path == "-" or Path(path).suffix.lower() not in (".parquet", ".pq"):
        if path != "-" and not Path(path).is_file():
            return read_table(path, owner="crmkit loyalty")  # raises the usual error
        source: Any = path if path != "-" else sys.stdin
        return pd.read_csv(source, dtype=str, keep_default_na=False)
    return read_table(path, owner="crmkit loyalty")


def _run(args: argparse.Namespace) -> int:
    if args.program is None:
        program = demo_program()
    else:
        file = Path(args.program)
        if not file.is_file():
            raise InvalidInputError(
                "crmkit loyalty",
                args.program,
                expected="an existing file",
                found="no such file",
                kind="program",
            )
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ConfigError(
                "crmkit loyalty",
                "program",
                expected="a JSON object",
                found=f"invalid JSON ({err.msg})",
            ) from err
        program = Program.from_dict(data)
    try:
        as_of = pd.Timestamp(args.as_of).to_pydatetime()
    except ValueError as err:
        raise InvalidInputError(
            "crmkit loyalty",
            "--as-of",
            expected="an ISO 8601 datetime",
            found=repr(args.as_of),
            kind="",
        ) from err
    events = _read_events(args.events)
    states = replay_many(
        events,
        program,
        as_of=as_of,
        member=args.member,
        expiring_days=args.expiring_days,
        on_error="skip",
    )
    write_table(states, args.output)
    return 0
