"""The ``crmkit sla`` command and the SLA section of ``crmkit demo``.

``crmkit sla TICKETS --policy POLICY.json --as-of INSTANT`` evaluates every ticket's SLA
targets and writes the attainment table (a human table on a terminal; ``-o``/``--format``
for files); ``--verdicts`` writes the per-ticket verdicts instead. Events come from ``--events`` (``ticket_id``,
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
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmkit import datasets
from crmkit._cli_support import (
    add_column_options,
    add_input_options,
    add_output_options,
    apply_columns,
    command,
    convert_dates,
    emit,
    load_json_object,
    output_format,
    read_input,
    section,
)
from crmkit._validate import (
    datetime_column,
    require_columns,
    require_no_missing,
)
from crmkit.errors import InvalidInputError
from crmkit.service._calendar import BusinessCalendar
from crmkit.service._sla import PolicySet, SLAPolicy, SLATarget
from crmkit.service._sla_batch import evaluate_sla, sla_attainment

if TYPE_CHECKING:
    from crmkit._cli_support import DemoData

__all__ = ["add_commands", "demo_policies", "demo_section"]

_OWNER = "crmkit sla"
_TICKET_TIMES = ("created_at", "first_reply_at", "resolved_at", "followed_up_at", "on_site_at")

#: Business hours of the sample service desk: 09:00-12:00 and 13:00-18:00 on working days,
#: with the 2025 public holidays of mainland China and their make-up working days
#: (State Council notice Guo Ban Fa Ming Dian [2024] No. 12: whole blocks, weekends in
#: them included), as ``country_holidays`` gives them.
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
        "2025-02-01",
        "2025-02-02",
        "2025-02-03",
        "2025-02-04",
        "2025-04-04",
        "2025-04-05",
        "2025-04-06",
        "2025-05-01",
        "2025-05-02",
        "2025-05-03",
        "2025-05-04",
        "2025-05-05",
        "2025-05-31",
        "2025-06-01",
        "2025-06-02",
        "2025-10-01",
        "2025-10-02",
        "2025-10-03",
        "2025-10-04",
        "2025-10-05",
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
    sla = command(
        subparsers,
        "sla",
        help="evaluate SLA targets of tickets: attainment with intervals, or per-ticket verdicts",
        description=(
            "Evaluate the SLA targets of a policy set (JSON) on tickets and their events, "
            "as of an instant; write the attainment table (met / (met + breached) with a "
            "Wilson interval), or the per-ticket verdicts with --verdicts (durations in "
            "whole seconds, instants in RFC 3339)."
        ),
        examples=[
            (
                "crmkit sla data/tickets.csv --events data/ticket_events.csv "
                "--policy data/policies.json --as-of 2025-08-01 --by policy,target"
            )
        ],
    )
    sla.add_argument("tickets", help="tickets table (CSV or Parquet; '-' for stdin)")
    sla.add_argument(
        "--events",
        help="events table (ticket, time, event columns); default: derived from the ticket "
        "timestamp columns (created_at, first_reply_at, resolved_at; optional "
        "followed_up_at, on_site_at, waiting_seconds, reopened), all naive (the policy "
        "calendar's zone) or all with a UTC offset",
    )
    sla.add_argument("--policy", required=True, help="policy set JSON (PolicySet.to_dict form)")
    sla.add_argument(
        "--as-of",
        required=True,
        help="evaluate as of this instant (ISO 8601; naive = the policy calendar's zone)",
    )
    sla.add_argument("--by", default="target", help="comma-separated attainment groups")
    sla.add_argument(
        "--verdicts", action="store_true", help="write one row per ticket and target instead"
    )
    add_column_options(
        sla,
        {
            "ticket": ("ticket_id", "ticket id column (tickets and events)"),
            "priority": ("priority", "priority column of the tickets"),
            "time": ("time", "event time column of --events"),
            "event": ("event", "event name column of --events"),
            **{
                name.replace("_", "-"): (name, f"{name} column of the tickets (without --events)")
                for name in (*_TICKET_TIMES, "waiting_seconds", "reopened")
            },
        },
    )
    add_input_options(sla)
    add_output_options(sla)
    sla.set_defaults(handler=_run_sla)


def _read_policy(path: str) -> PolicySet:
    data = load_json_object(path, _OWNER, "--policy", "a PolicySet or SLAPolicy")
    if "targets" in data and "default" not in data:
        return PolicySet(policies=(), default=SLAPolicy.from_dict(data))
    return PolicySet.from_dict(data)


def _events_from_tickets(
    tickets: pd.DataFrame, names: dict[str, str] | None = None
) -> pd.DataFrame:
    """The event history of ticket rows (``created_at``, ``first_reply_at``, ...).

    ``created_at``, ``first_reply_at`` and ``resolved_at`` must be columns; an absent
    ``followed_up_at`` or ``on_site_at`` means none recorded, an absent ``waiting_seconds``
    no wait and an absent ``reopened`` no reopening. Times are all naive (read in the
    policy calendar's zone, as ``--events`` times are) or all with a UTC offset;
    ``names`` maps each canonical column back to the file's, for messages.
    """
    names = names or {}
    require_columns(tickets, list(_TICKET_TIMES[:3]), _OWNER)
    require_no_missing(tickets, "created_at", _OWNER, "creation times")
    frame = tickets.copy()
    if "waiting_seconds" not in frame.columns:
        frame["waiting_seconds"] = 0
    if "reopened" not in frame.columns:
        frame["reopened"] = False
    dtype: Any = None
    for column in _TICKET_TIMES:  # created_at first: its zone types the empty columns
        present = frame[column].notna() if column in frame.columns else None
        if present is None or not present.any():  # e.g. no ticket had an on-site visit
            frame[column] = pd.Series(pd.NaT, index=frame.index, dtype=dtype or "M8[ns]")
            continue
        parsed = datetime_column(frame.loc[present], column, _OWNER)
        aware = isinstance(parsed.dtype, pd.DatetimeTZDtype)
        if dtype is not None and aware != isinstance(dtype, pd.DatetimeTZDtype):
            raise InvalidInputError(
                _OWNER,
                names.get(column, column),
                expected=(
                    "times with a UTC offset"
                    if isinstance(dtype, pd.DatetimeTZDtype)
                    else "naive times"
                )
                + f", as in {names.get('created_at', 'created_at')!r}",
                found="naive times" if not aware else "times with a UTC offset",
                hint="Write every ticket time with its UTC offset, or none (naive times "
                "are read in the policy calendar's zone).",
            )
        frame[column] = parsed.reindex(frame.index)
        dtype = dtype or parsed.dtype
    frame["reopened"] = frame["reopened"].astype(str).str.lower().isin(["true", "1"])
    events = datasets.ticket_events(frame)
    # A ticket not yet replied to has no agent_reply (nor a wait after it): no event.
    return events.loc[events["time"].notna()].reset_index(drop=True)


def _canonical_tickets(tickets: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """Rename the ticket timestamp columns named by options to the names the sample uses."""
    renames = {}
    for name in (*_TICKET_TIMES, "waiting_seconds", "reopened"):
        given = getattr(args, name)
        if given != name and given in tickets.columns:
            renames[given] = name
    frame = tickets.rename(columns=renames) if renames else tickets
    if args.ticket != "ticket_id" and args.ticket in frame.columns:
        frame = frame.rename(columns={args.ticket: "ticket_id"})
    return convert_dates(frame, list(_TICKET_TIMES), args)


def _file_names(args: argparse.Namespace) -> dict[str, str]:
    """The file's name of each ticket column the derived events read, for messages."""
    return {name: str(getattr(args, name)) for name in _TICKET_TIMES}


def _run_sla(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    policies = _read_policy(args.policy)
    tickets = read_input(args.tickets, args, what="tickets", ids=[args.ticket])
    # The ticket attributes the policies' conditions read (kind, customer_tier, ...) have
    # no options of their own: --column kind=类型 names them.
    attributes = sorted({key for policy in policies.policies for key, _ in policy.when})
    tickets = apply_columns(tickets, args, attributes)
    if args.events:
        events = read_input(args.events, args, what="events", ids=[args.ticket])
        events = convert_dates(events, [args.time], args)  # --column names ticket columns
        ticket, time, event = args.ticket, args.time, args.event
    else:
        events = _events_from_tickets(_canonical_tickets(tickets, args), _file_names(args))
        ticket, time, event = "ticket_id", "time", "event"
        if args.ticket != "ticket_id":
            events = events.rename(columns={"ticket_id": args.ticket})
            ticket = args.ticket
    by = [part.strip() for part in args.by.split(",") if part.strip()]
    verdicts = evaluate_sla(
        events,
        tickets,
        policies,
        as_of=args.as_of,
        ticket=ticket,
        time=time,
        event=event,
        priority=args.priority,
        keep=[c for c in by if c in tickets.columns and c not in (args.ticket,)],
    )
    table = sla_attainment(verdicts, by=by)
    if args.verdicts:
        emit(verdicts, args, fmt=fmt)
    else:
        emit(table, args, fmt=fmt, table=lambda t: _report(verdicts, t))
    return 0


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
        >>> from crmkit._cli_support import DemoData
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
    return section("Service levels (SLA)", "\n".join(body))
