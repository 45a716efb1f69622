"""The ``crmkit sla`` command and the SLA section of ``crmkit demo``.

``crmkit sla TICKETS --policy POLICY.json --as-of INSTANT`` evaluates every ticket's SLA
targets and writes the attainment table (a human table on a terminal; ``-o``/``--format``
for files); ``--verdicts`` writes the per-ticket verdicts instead. Events come from ``--events`` (``ticket_id``,
``time``, ``event``), or, without it, from what the ticket rows state in the timestamp
columns of :func:`crmkit.datasets.tickets` (``created_at``, ``first_reply_at``, ...):
nothing is invented, and rows whose verdicts need more (a reopening, a wait on a pausable
target, customer replies) or state a time before ``created_at`` are refused. Written
verdicts carry durations as whole seconds
(``goal_seconds``, ``elapsed_seconds``, ``real_elapsed_seconds``, ``remaining_seconds``)
and instants as RFC 3339 timestamps with their UTC offset. Bad input (a missing column,
a missing or unreadable time, naive and aware times mixed, an unknown event or policy
key, an empty file) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

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
    first_labels,
    flag_column,
    numeric_column,
    require_columns,
    require_no_missing,
)
from crmkit.errors import InvalidInputError
from crmkit.service._calendar import BusinessCalendar
from crmkit.service._sla import PolicySet, SLAPolicy, SLATarget
from crmkit.service._sla_batch import _zone, evaluate_sla, refuse_whole_days, sla_attainment

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
    # The year those holidays are for: a deadline that runs into 2026 is refused, not
    # computed as if 2026's public holidays were working days.
    "country_years": {"CN": [2025]},
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
        help="events table (ticket, time, event columns); default: the events the ticket "
        "rows state (created_at, first_reply_at, resolved_at; optional followed_up_at, "
        "on_site_at), all naive (the policy calendar's zone) or all with a UTC offset; "
        "reopened rows, waits (waiting_seconds) on pausable targets and targets that "
        "read customer replies need --events",
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


#: The events a ticket row states, from its timestamp columns, in the order equal times
#: are recorded (a reply at the creation instant comes after the creation).
_ROW_EVENTS = (
    ("created_at", "created"),
    ("first_reply_at", "agent_reply"),
    ("on_site_at", "on_site"),
    ("resolved_at", "solved"),
    ("followed_up_at", "follow_up"),
)
#: Every event a built-in or custom target can read from rows that were not reopened:
#: ``reopened`` never happens on them (reopened rows are refused).
_STATED = frozenset({"created", "agent_reply", "on_site", "solved", "follow_up", "reopened"})
_SAMPLE_EVENTS = "crmkit sample writes ticket_events.csv for the sample tickets"


def _unstated(target: SLATarget) -> str | None:
    """What ``target`` reads that a ticket row does not state (None: the row says it all).

    A row states one creation, the first agent reply, one solution, one follow-up and one
    on-site arrival. Customer replies, later agent replies, custom events, time on hold
    and (on a pausable target) the timing of waits are not in it.
    """
    rule = target._rule()  # the metric's start/stop rule (built-in or custom)
    other = sorted(rule.events - _STATED)
    if other:
        return f"the {', '.join(repr(e) for e in other)} events"
    if target.pausable and rule.pause_on_hold:
        # Zendesk's agent work time: a row has no column for time on hold.
        return "the times the ticket was on hold (a row does not record them)"
    if "agent_reply" in (*rule.start, *rule.restart, *rule.cancel) or (
        "agent_reply" in rule.stop and not set(rule.start) <= {"created", "reopened"}
    ):
        return "every agent reply (a row has the first one only)"
    return None


def _waits(frame: pd.DataFrame, shown: str) -> np.ndarray[Any, Any]:
    """Rows whose ``waiting_seconds`` is not 0 (blank: unknown, so perhaps a wait)."""
    series = frame["waiting_seconds"]
    blank = series.isna().to_numpy(dtype=bool)
    if blank.all():
        return blank
    given = numeric_column(frame.loc[~blank, ["waiting_seconds"]], "waiting_seconds", _OWNER)
    if (given < 0).any():
        bad = given < 0
        raise InvalidInputError(
            _OWNER,
            shown,
            expected="seconds >= 0",
            found=f"{int(bad.sum())} negative values",
            rows=first_labels(frame.index[~blank], bad),
            total=int(bad.sum()),
        )
    waited = blank.copy()
    waited[~blank] = given > 0
    return waited


def _check_rows_state_events(
    frame: pd.DataFrame,
    policies: PolicySet | None,
    priority: str,
    names: dict[str, str],
    events_option: str = "--events",
) -> None:
    """Refuse ticket rows whose SLA verdicts would need events the row does not state.

    - ``reopened`` rows (or blank): the row gives neither when the ticket was reopened
      nor the replies and solutions after it, nor whether ``resolved_at`` is the first
      solution or the last, so no resolution or follow-up cycle can be read.
    - ``waiting_seconds`` other than 0 (or blank) on a ticket with a pausable target: a
      pause counts only where it falls (before or after the first reply, inside business
      hours or not), and the row has its length, not its place. No pausable metric is
      exempt: even a calendar-clock resolution stopped after the wait depends on whether
      the wait was inside that cycle (a helpdesk also counts waits after a solution), and
      its deadline (``due_at``) moves with a pause before it. Without ``policies`` every
      wait is refused.
    - a target reading events no row holds (``next_response`` reads customer replies,
      ``periodic_update`` every agent reply, a custom target its own events).
    """
    hint = f"Pass {events_option} with the tickets' event history; {_SAMPLE_EVENTS}."
    if "reopened" in frame.columns:
        # Blank cells are unknown: True, the ticket may have been reopened.
        reopened = flag_column(
            frame, "reopened", _OWNER, blank=True, shown=names.get("reopened", "reopened")
        )
        if reopened.any():
            raise InvalidInputError(
                _OWNER,
                names.get("reopened", "reopened"),
                expected="false on every ticket when the events come from the ticket rows "
                "(a row does not say when it was reopened, nor the replies and solutions "
                "after that)",
                found=f"{int(reopened.sum())} reopened tickets (or blank)",
                rows=first_labels(frame.index, reopened),
                total=int(reopened.sum()),
                hint=hint,
            )
    waited = (
        _waits(frame, names.get("waiting_seconds", "waiting_seconds"))
        if "waiting_seconds" in frame.columns
        else np.zeros(len(frame), dtype=bool)
    )
    if policies is None:
        pausable = waited
        unstated = np.zeros(len(frame), dtype=bool)
        needs: dict[tuple[str, str], str] = {}
    else:
        pausable, unstated, needs = _target_needs(frame, policies, priority, waited)
    if pausable.any():
        raise InvalidInputError(
            _OWNER,
            names.get("waiting_seconds", "waiting_seconds"),
            expected="0 on tickets with pausable targets when the events come from the "
            "ticket rows (a pause counts only where it falls, and the row gives its length, "
            "not its place)",
            found=f"{int(pausable.sum())} tickets that waited (or blank)",
            rows=first_labels(frame.index, pausable),
            total=int(pausable.sum()),
            hint=hint.replace("history", "history, waits as pending and open events"),
        )
    if unstated.any():
        (target, policy), what = next(iter(needs.items()))
        raise InvalidInputError(
            _OWNER,
            target,
            expected=f"read from {events_option} (policy {policy!r} sets it): it needs {what}, "
            "which ticket rows do not record",
            found=f"{int(unstated.sum())} tickets with such targets",
            rows=first_labels(frame.index, unstated),
            total=int(unstated.sum()),
            hint=hint,
            kind="target",
        )


def _target_needs(
    frame: pd.DataFrame, policies: PolicySet, priority: str, waited: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], dict[tuple[str, str], str]]:
    """Per row: waited with a pausable target; has a target rows cannot give (and which).

    Policies are selected once per distinct (condition attributes, priority) combination.
    """
    require_columns(frame, list(policies.attributes), _OWNER)
    keys = [*policies.attributes, *([priority] if priority in frame.columns else [])]
    if keys:
        combos = frame[keys].astype(object).astype(str)
        codes = combos.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    else:
        combos, codes = pd.DataFrame(index=frame.index), np.zeros(len(frame), dtype=np.int64)
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    firsts = np.full(n_codes, -1)
    firsts[codes[::-1]] = np.arange(len(codes))[::-1]  # the first row of each combination
    pausable = np.zeros(n_codes, dtype=bool)
    reads: list[tuple[tuple[str, str], str] | None] = []
    for code in range(n_codes):
        row: dict[str, Any] = (
            {str(k): v for k, v in combos.iloc[int(firsts[code])].items()} if keys else {}
        )
        policy = policies.select(row)
        targets = policy.targets_for(row.get(priority))
        pausable[code] = any(t.pausable for t in targets)
        unread = [(t.name, _unstated(t)) for t in targets if _unstated(t) is not None]
        reads.append(((unread[0][0], policy.name), str(unread[0][1])) if unread else None)
    # One flag per distinct combination, spread to the rows (no loop per row).
    unstated = np.array([r is not None for r in reads], dtype=bool)[codes]
    needs: dict[tuple[str, str], str] = {}
    if unstated.any():
        first = reads[int(codes[np.flatnonzero(unstated)[0]])]
        assert first is not None
        needs = {first[0]: first[1]}
    return waited & pausable[codes], unstated, needs


def _events_from_tickets(
    tickets: pd.DataFrame,
    names: dict[str, str] | None = None,
    *,
    policies: PolicySet | None = None,
    priority: str = "priority",
    events_option: str = "--events",
) -> pd.DataFrame:
    """The events a ticket row states (``created_at``, ``first_reply_at``, ...), no more.

    ``created_at``, ``first_reply_at`` and ``resolved_at`` must be columns; an absent
    ``followed_up_at`` or ``on_site_at`` means none recorded, an absent ``waiting_seconds``
    no wait and an absent ``reopened`` no reopening. Each row gives ``created``,
    ``agent_reply`` (the first reply), ``on_site``, ``solved`` and ``follow_up`` at its
    times; nothing is invented. Rows whose verdicts need events a row does not state are
    refused, naming the column and the rows (see :func:`_check_rows_state_events`):
    reopened tickets, tickets that waited and have a pausable target, and targets such as
    ``next_response`` that read customer replies. Times are all naive (read in the policy
    calendar's zone, as ``--events`` times are) or all with a UTC offset; ``names`` maps
    each canonical column back to the file's, for messages.
    """
    names = names or {}
    require_columns(tickets, list(_TICKET_TIMES[:3]), _OWNER)
    require_no_missing(tickets, "created_at", _OWNER, "creation times")
    frame = tickets.copy()
    dtype: Any = None
    for column in _TICKET_TIMES:  # created_at first: its zone types the empty columns
        present = frame[column].notna() if column in frame.columns else None
        if present is None or not present.any():  # e.g. no ticket had an on-site visit
            frame[column] = pd.Series(pd.NaT, index=frame.index, dtype=dtype or "M8[ns]")
            continue
        parsed = _read_times(frame.loc[present, column], names.get(column, column))
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
    if policies is not None and not isinstance(dtype, pd.DatetimeTZDtype):
        _read_in_zone(frame, policies, names)
    _check_after_creation(frame, names)
    _check_rows_state_events(frame, policies, priority, names, events_option)
    parts = []
    for rank, (column, event) in enumerate(_ROW_EVENTS):
        stated = frame[column].notna().to_numpy(dtype=bool)  # e.g. not yet replied to
        parts.append(
            pd.DataFrame(
                {
                    "ticket_id": frame["ticket_id"].to_numpy()[stated],
                    "time": frame[column].to_numpy()[stated],
                    "event": event,
                    "_rank": rank,
                }
            )
        )
    events = pd.concat(parts, ignore_index=True)
    events["time"] = pd.Series(events["time"].to_numpy(), dtype=frame["created_at"].dtype)
    events = events.sort_values(["ticket_id", "time", "_rank"], kind="stable", ignore_index=True)
    return events.drop(columns="_rank")


def _read_times(values: pd.Series, shown: str, zone: dt.tzinfo | None = None) -> pd.Series:
    """A ticket time column read by the one column reader, named as in the file (``shown``).

    With ``zone``, naive times are read as wall-clock times there; a wall time that a
    daylight-saving change skips or repeats is refused, naming the file's column and rows.
    """
    return datetime_column(values.to_frame(shown), shown, _OWNER, tz=zone)


def _read_in_zone(frame: pd.DataFrame, policies: PolicySet, names: dict[str, str]) -> None:
    """Read the naive ticket times in the policy calendar's zone, in place.

    Here, not in :func:`evaluate_sla`, so that a refused time (a wall time a daylight-
    saving change skips or repeats, or naive times with no one zone to read them in)
    names the file's column and rows, not those of the derived events table.
    """
    zone, why = _zone(policies)
    if zone is None:
        raise InvalidInputError(
            _OWNER,
            names.get("created_at", "created_at"),
            expected="times with a UTC offset",
            found=f"naive times and {why or 'no calendar zone'} to read them in",
            hint="Write every ticket time with its UTC offset, or give the policy set one "
            "calendar.",
        )
    for column in _TICKET_TIMES:
        present = frame[column].notna()
        read = pd.Series(pd.NaT, index=frame.index, dtype=pd.DatetimeTZDtype("ns", zone))
        if present.any():
            read = _read_times(frame.loc[present, column], names.get(column, column), zone)
            read = read.reindex(frame.index)
        frame[column] = read


def _check_after_creation(frame: pd.DataFrame, names: dict[str, str]) -> None:
    """Refuse a stated time before the ticket's ``created_at`` (naming column and rows).

    A reply, solution, visit or follow-up cannot precede the ticket. Left in, the event
    would sort before ``created`` and be ignored, so the ticket would read as never
    answered (a breach the data do not show): a typo or a wrong zone, never guessed.
    """
    created = frame["created_at"]
    for column in _TICKET_TIMES[1:]:
        early = (frame[column] < created).to_numpy(dtype=bool)  # NaT compares False
        if early.any():
            count = int(early.sum())
            raise InvalidInputError(
                _OWNER,
                names.get(column, column),
                expected=f"times at or after {names.get('created_at', 'created_at')!r}",
                found=f"{count} earlier time{'' if count == 1 else 's'}",
                rows=first_labels(frame.index, early),
                total=count,
                hint="Check these rows for a typo or a time written in another zone.",
            )


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
    return {
        name: str(getattr(args, name)) for name in (*_TICKET_TIMES, "waiting_seconds", "reopened")
    }


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
        if args.time in events.columns:  # a date alone is no instant: checked as written
            refuse_whole_days(
                events, args.time, _OWNER, date_format=args.date_format, date_unit=args.date_unit
            )
        events = convert_dates(events, [args.time], args)  # --column names ticket columns
        ticket, time, event = args.ticket, args.time, args.event
    else:
        for name in _TICKET_TIMES:  # a date alone is no instant: checked as written
            if getattr(args, name) in tickets.columns:
                refuse_whole_days(
                    tickets,
                    getattr(args, name),
                    _OWNER,
                    date_format=args.date_format,
                    date_unit=args.date_unit,
                )
        events = _events_from_tickets(
            _canonical_tickets(tickets, args),
            _file_names(args),
            policies=policies,
            priority=args.priority,
        )
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
