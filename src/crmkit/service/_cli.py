"""The ``crmkit sla`` command and the SLA section of ``crmkit demo``.

``crmkit sla TICKETS --policy POLICY.json --as-of INSTANT`` evaluates every ticket's SLA
targets and prints the attainment table; ``--out`` writes the per-ticket verdicts (CSV or
Parquet), ``--attainment-out`` the table. Events come from ``--events`` (``ticket_id``,
``time``, ``event``), or, without it, from the ticket rows themselves when they carry
the timestamp columns of :func:`crmkit.datasets.tickets` (``created_at``,
``first_reply_at``, ...). Written verdicts carry durations as whole seconds
(``goal_seconds``, ``elapsed_seconds``, ``real_elapsed_seconds``, ``remaining_seconds``)
and instants as RFC 3339 timestamps with their UTC offset. Bad input (a missing column,
a missing or unreadable time, naive and aware times mixed, an unknown event or policy
key, an empty file) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmkit import datasets
from crmkit._io import read_table, write_table
from crmkit._validate import (
    check_not_empty,
    datetime_column,
    require_columns,
    require_no_missing,
)
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service._calendar import BusinessCalendar
from crmkit.service._sla import PolicySet, SLAPolicy, SLATarget
from crmkit.service._sla_batch import evaluate_sla, sla_attainment

if TYPE_CHECKING:
    from crmkit.cli import DemoData

__all__ = ["add_commands", "demo_policies", "demo_section", "seconds_columns"]

_OWNER = "crmkit sla"
_TICKET_TIMES = ("created_at", "first_reply_at", "resolved_at", "followed_up_at", "on_site_at")

#: Business hours of the sample service desk: 09:00-12:00 and 13:00-18:00 on working days,
#: with the 2025 public holidays of mainland China and their make-up working days
#: (State Council notice Guo Ban Fa Ming Dian [2024] No. 12), as ``country_holidays``
#: gives them.
_DAY = [["09:00", "12:00"], ["13:00", "18:00"]]
_DEMO_CALENDAR: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "weekly": {
        **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), _DAY),
        "sat": [],
        "sun": [],
    },
    "holidays": [
        "2025-01-01",
        "2025-01-28",
        "2025-01-29",
        "2025-01-30",
        "2025-01-31",
        "2025-02-03",
        "2025-02-04",
        "2025-04-04",
        "2025-05-01",
        "2025-05-02",
        "2025-05-05",
        "2025-05-31",
        "2025-06-02",
        "2025-10-01",
        "2025-10-02",
        "2025-10-03",
        "2025-10-06",
        "2025-10-07",
        "2025-10-08",
    ],
    "overrides": dict.fromkeys(
        ("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"), _DAY
    ),
}


def demo_policies() -> PolicySet:
    """The service commitments of the domain notes as a policy set.

    - Complaints: respond within 1 hour (business hours), give an initial solution
      within 24 hours and follow up on it within 72 hours (calendar time).
    - Core customers' incidents (equipment failures): respond within 2 hours and arrive
      on site within 4 hours, around the clock.
    - Everything else: first response within 4 business hours, resolution by priority
      (P1 8 h around the clock; P2 16, P3 40, P4 72 business hours), an answer to every
      customer reply within 8 business hours.

    Examples:
        >>> ps = demo_policies()
        >>> [p.name for p in ps.all_policies]
        ['complaints', 'core incidents', 'standard']
        >>> [(t.name, str(t.duration), t.clock) for t in ps.policies[0].targets_for("P3")]
        [('first_response', '1:00:00', 'business'), ('resolution', '1 day, 0:00:00', 'calendar'), ('follow_up', '3 days, 0:00:00', 'calendar')]
    """

    def t(metric: str, duration: str, clock: str, **kw: Any) -> SLATarget:
        return SLATarget(metric=metric, duration=duration, clock=clock, **kw)  # type: ignore[arg-type]

    return PolicySet(
        policies=[
            SLAPolicy(
                name="complaints",
                when={"kind": ["complaint"]},
                targets={
                    "*": [
                        t("first_response", "1h", "business", warn_before=["15m"]),
                        t("resolution", "24h", "calendar", escalate_after=["0s", "24h"]),
                        t("follow_up", "72h", "calendar"),
                    ]
                },
            ),
            SLAPolicy(
                name="core incidents",
                when={"customer_tier": ["core"], "kind": ["incident"]},
                targets={
                    "*": [
                        t("first_response", "2h", "calendar"),
                        t("on_site", "4h", "calendar", pausable=False),
                    ]
                },
            ),
        ],
        default=SLAPolicy(
            name="standard",
            targets={
                "*": [
                    t("first_response", "4h", "business"),
                    t("next_response", "8h", "business"),
                ],
                "P1": [t("resolution", "8h", "calendar")],
                "P2": [t("resolution", "16h", "business")],
                "P3": [t("resolution", "40h", "business")],
                "P4": [t("resolution", "72h", "business")],
            },
        ),
        calendar=BusinessCalendar.from_dict(_DEMO_CALENDAR),
    )


def add_commands(subparsers: Any) -> None:
    """Add the ``sla`` subcommand.

    Examples:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="crmkit")
        >>> add_commands(parser.add_subparsers())
        >>> parser.parse_args(["sla", "t.csv", "--policy", "p.json", "--as-of", "2025-08-01"]).by
        'target'
    """
    sla = subparsers.add_parser(
        "sla",
        help="evaluate SLA targets of tickets: per-ticket verdicts and attainment",
        description=(
            "Evaluate the SLA targets of a policy set (JSON) on tickets and their events, "
            "as of an instant; print the attainment table (met / (met + breached) with a "
            "Wilson interval) and optionally write the per-ticket verdicts."
        ),
    )
    sla.add_argument("tickets", help="tickets table (CSV or Parquet; '-' for stdin)")
    sla.add_argument(
        "--events",
        help="events table (ticket_id, time, event); default: derived from the ticket "
        "timestamp columns (created_at, first_reply_at, resolved_at, ...)",
    )
    sla.add_argument("--policy", required=True, help="policy set JSON (PolicySet.to_dict form)")
    sla.add_argument(
        "--as-of",
        required=True,
        help="evaluate as of this instant (ISO 8601; naive = the policy calendar's zone)",
    )
    sla.add_argument("--by", default="target", help="comma-separated attainment groups")
    sla.add_argument("--ticket", default="ticket_id", help="ticket id column")
    sla.add_argument("--priority", default="priority", help="priority column of the tickets")
    sla.add_argument("--out", help="write the per-ticket verdicts here ('-' for stdout)")
    sla.add_argument("--attainment-out", help="write the attainment table here")
    sla.set_defaults(handler=_run_sla)


def _read_policy(path: str) -> PolicySet:
    file = Path(path)
    if not file.is_file():
        raise InvalidInputError(
            _OWNER, path, expected="an existing file", found="no such file", kind="policy"
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(
            _OWNER, "policy", expected="valid JSON", found=f"{err.msg} at line {err.lineno}"
        ) from err
    if isinstance(data, dict) and "targets" in data and "default" not in data:
        return PolicySet(policies=(), default=SLAPolicy.from_dict(data))
    return PolicySet.from_dict(data)


def _events_from_tickets(tickets: pd.DataFrame) -> pd.DataFrame:
    require_columns(tickets, [*_TICKET_TIMES, "waiting_seconds", "reopened"], _OWNER)
    require_no_missing(tickets, "created_at", _OWNER, "creation times")
    frame = tickets.copy()
    dtype: Any = None
    for column in _TICKET_TIMES:  # created_at first: its zone types the empty columns
        present = frame[column].notna()
        if not present.any():  # e.g. no ticket had an on-site visit
            frame[column] = pd.Series(pd.NaT, index=frame.index, dtype=dtype)
            continue
        parsed = datetime_column(frame.loc[present], column, _OWNER)
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
            raise InvalidInputError(
                _OWNER,
                column,
                expected="timezone-aware times (with an offset)",
                found="naive times",
                hint="Give --events, or write the times with their UTC offset.",
            )
        frame[column] = parsed.reindex(frame.index)
        dtype = dtype or parsed.dtype
    frame["reopened"] = frame["reopened"].astype(str).str.lower().isin(["true", "1"])
    return datasets.ticket_events(frame)


def _read_rows(path: str, name: str) -> pd.DataFrame:
    """Read a table; a file without rows is bad input (exit code 2), like an empty one."""
    frame = read_table(path, owner=_OWNER)
    check_not_empty(frame, _OWNER, name)
    return frame


def _run_sla(args: argparse.Namespace) -> int:
    tickets = _read_rows(args.tickets, "tickets")
    policies = _read_policy(args.policy)
    events = _read_rows(args.events, "events") if args.events else _events_from_tickets(tickets)
    by = [part.strip() for part in args.by.split(",") if part.strip()]
    verdicts = evaluate_sla(
        events,
        tickets,
        policies,
        as_of=args.as_of,
        ticket=args.ticket,
        priority=args.priority,
        keep=[c for c in by if c in tickets.columns and c not in (args.ticket,)],
    )
    table = sla_attainment(verdicts, by=by)
    if args.out:
        write_table(seconds_columns(verdicts), args.out)
    if args.attainment_out:
        write_table(table, args.attainment_out)
    if args.out != "-":
        print(_report(verdicts, table))
    return 0


def seconds_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Durations as whole seconds for files: ``goal`` -> ``goal_seconds`` (nullable Int64).

    pandas would write a timedelta as ``"0 days 01:00:00"``, which other tools cannot
    read; instants stay RFC 3339 timestamps with their UTC offset.

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"elapsed": pd.to_timedelta(["1h", None]), "state": ["met", "x"]})
        >>> out = seconds_columns(frame)
        >>> list(out.columns), str(out["elapsed_seconds"].dtype), int(out["elapsed_seconds"].iloc[0])
        (['elapsed_seconds', 'state'], 'Int64', 3600)
        >>> bool(out["elapsed_seconds"].isna().iloc[1])
        True
    """
    out = frame.copy()
    renames = {}
    for column in frame.columns:
        if frame[column].dtype.kind == "m":
            whole = frame[column].dt.total_seconds().round()  # durations are whole seconds
            out[column] = whole.astype("Int64")
            renames[column] = f"{column}_seconds"
    return out.rename(columns=renames)


def _report(verdicts: pd.DataFrame, table: pd.DataFrame) -> str:
    states = verdicts["state"].value_counts(sort=False)
    counts = ", ".join(f"{k} {v:,}" for k, v in states.items() if v)
    tickets = verdicts.index.get_level_values(0).nunique()
    head = f"SLA as of {verdicts.attrs['as_of']}: {tickets:,} tickets, "
    lines = [head + f"{len(verdicts):,} targets ({counts})"]
    if verdicts.attrs.get("events_after_as_of"):
        lines.append(f"  {verdicts.attrs['events_after_as_of']:,} events after as-of not seen")
    if verdicts.attrs.get("untargeted_tickets"):
        lines.append(f"  {verdicts.attrs['untargeted_tickets']:,} tickets without targets")
    shown = table.assign(
        attainment=(table["attainment"] * 100).round(1),
        ci_low=(table["ci_low"] * 100).round(1),
        ci_high=(table["ci_high"] * 100).round(1),
    ).rename(columns={"attainment": "met %", "ci_low": "95% low", "ci_high": "95% high"})
    with pd.option_context("display.width", 120, "display.max_columns", 12):
        lines.extend(shown.to_string().splitlines())
    return "\n".join(lines)


def demo_section(data: DemoData) -> str:
    """The SLA section of ``crmkit demo``: the domain's commitments on the sample tickets.

    Examples:
        >>> from crmkit.cli import DemoData
        >>> print(demo_section(DemoData(seed=1)))  # doctest: +ELLIPSIS
        <BLANKLINE>
        Service levels (SLA)
        ====================
        ...
    """
    tickets, events = data.tickets, data.ticket_events
    as_of = tickets["created_at"].max().normalize() + pd.Timedelta(days=30)
    policies = demo_policies()
    verdicts = evaluate_sla(events, tickets, policies, as_of=as_of)
    table = sla_attainment(verdicts, by=["policy", "target"])
    body = [
        "Commitments: complaints 1 h response (business hours), 24 h initial solution and",
        "72 h follow-up (calendar time); core customers' incidents 2 h response and 4 h",
        "on-site arrival (around the clock); others by priority. Calendar: Asia/Shanghai,",
        "09:00-12:00 and 13:00-18:00 on working days, 2025 holidays and make-up days.",
        "",
        _report(verdicts, table),
    ]
    title = "Service levels (SLA)"
    return f"\n{title}\n{'=' * len(title)}\n" + "\n".join(body).rstrip() + "\n"
