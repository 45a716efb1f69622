"""SLA targets, policies and the evaluation of one ticket's event history.

A *target* promises that a *metric* (first response, resolution, ...) completes within a
duration on an explicit *clock*: ``"business"`` (the policy's :class:`BusinessCalendar`)
or ``"calendar"`` (24x7 real time). An :class:`SLAPolicy` holds targets by ticket priority
and a condition on ticket attributes; a :class:`PolicySet` is an ordered list of policies
where the first match wins, with a required default.

Each metric is a start / stop rule over the ticket's events, evaluated in *cycles*: a cycle
opens at a start event (when none is open) and closes at a stop event. ``pending`` pauses
every open cycle of a pausable target; ``open`` and ``reopened`` resume it, and so does
``solved`` (a solved ticket is no longer waiting on the customer). ``on_hold`` (waiting
on a third party) is a status of its own: it ends a pending pause and pauses only the
targets whose rule says ``pause_on_hold`` (Zendesk's agent work time). A *cumulative*
rule (``requester_wait``, ``agent_work``) keeps one cycle for the ticket's whole life: a
reopening resumes it with the time already used. The judged
quantity of a cycle is the time it ran on the target's clock, in whole seconds:

- **met** when it stopped with ``elapsed <= duration``;
- **breached** as soon as ``elapsed > duration`` (stopped or not: the verdict is final);
- **running** / **paused** while open and not breached.

The scalar path (:class:`SLATracker`, :func:`evaluate_ticket`) replays events one by one in
pure Python; the batch path (:func:`crmkit.service.evaluate_sla`) computes the same numbers
for many tickets with numpy. Both share the definitions in this module.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast

import attrs

from crmkit._jsonable import ResultDict
from crmkit._spec import (
    SCHEMA_KEY,
    Codec,
    Custom,
    Map,
    Nested,
    Optional,
    Seq,
    Spec,
    field,
    instance_of,
    metadata,
    one_of,
    predicate,
)
from crmkit._validate import (
    as_aware,
    cutoff_value,
    datetime_value,
    exists_once,
    is_missing_value,
    is_whole_day,
)
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError
from crmkit.service._calendar import BusinessCalendar
from crmkit.service._clock import SECOND, BusinessClock, RealClock, breach_instant

__all__ = [
    "CLOCKS",
    "EVENTS",
    "METRICS",
    "STATES",
    "BusinessDays",
    "MetricRule",
    "PolicySet",
    "SLACycle",
    "SLAPolicy",
    "SLATarget",
    "SLATracker",
    "TargetResult",
    "TicketSLA",
    "evaluate_ticket",
]

#: The ticket events the built-in metrics understand.
EVENTS: tuple[str, ...] = (
    "created",
    "agent_reply",
    "customer_reply",
    "pending",
    "open",
    "solved",
    "reopened",
    "follow_up",
    "on_site",
    "on_hold",
)
#: The event that pauses pausable targets (waiting on the customer) ...
PAUSE_EVENT = "pending"
#: ... the On-hold status (waiting on a third party): it ends a pending pause and pauses
#: the targets whose rule has ``pause_on_hold`` (Zendesk's agent work time) ...
HOLD_EVENT = "on_hold"
#: ... and the events that end the pause: ``open`` and ``reopened`` resume the clock, and
#: ``solved`` ends the waiting status too (a solved ticket is no longer pending on the
#: customer), so a clock that starts at ``solved`` (the follow-up) runs. A status is
#: exclusive: ``pending`` also ends On-hold, and ``on_hold`` ends Pending.
RESUME_EVENTS: frozenset[str] = frozenset({"open", "reopened", "solved"})

#: The clocks a target can run on.
CLOCKS: tuple[str, ...] = ("business", "calendar")

#: Target states, in the order of the ordered categorical that batch results use.
STATES: tuple[str, ...] = ("not_started", "running", "paused", "met", "breached")

Clock = Literal["business", "calendar"]


def _event_names(value: object) -> tuple[str, ...]:
    """A list of event names (one name alone is a list of one), sorted, without repeats."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise ConfigError(
            "MetricRule", "events", expected="a list of event names", found=repr(value)
        )
    return tuple(sorted({v if isinstance(v, str) else repr(v) for v in value}))


def _check_events(instance: Any, attribute: Any, value: Any) -> None:
    if attribute.name in ("start", "stop") and not value:
        raise ConfigError(
            "MetricRule", attribute.name, expected="at least one event name", found="none"
        )
    for name in value:
        if not name or not name.replace("_", "").isalnum():
            raise ConfigError(
                "MetricRule",
                attribute.name,
                expected="event names (letters, digits and '_')",
                found=repr(name),
            )
        if name == PAUSE_EVENT:
            raise ConfigError(
                "MetricRule",
                attribute.name,
                expected="not the pause event 'pending' (pausing is the target's 'pausable')",
                found="'pending'",
            )


def _check_cumulative(instance: Any, attribute: Any, value: Any) -> None:
    """A cumulative rule has one cycle that stops and resumes: no restart, cancel or once."""
    if not value:
        return
    clash = [name for name in ("restart", "cancel") if getattr(instance, name)]
    if instance.once:
        clash.append("once")
    if clash:
        raise ConfigError(
            "MetricRule",
            "cumulative",
            expected="no 'restart', 'cancel' or 'once' on a cumulative rule (it has one "
            "cycle, resumed by its start events)",
            found=f"cumulative with {', '.join(clash)}",
        )


@attrs.frozen(kw_only=True)
class MetricRule(Spec):
    """How a metric's cycles start and stop over a ticket's events: a metric as data.

    A cycle opens at a ``start`` event when none is open and closes at a ``stop`` event; a
    ``restart`` event closes the open cycle and opens the next one at once (periodic
    updates); a ``cancel`` event drops the open cycle without a verdict (a reopened ticket
    has no result to follow up yet). ``once`` keeps only the first cycle. The target's
    ``pausable`` decides whether ``pending`` pauses it; the rule's ``pause_on_hold`` whether
    ``on_hold`` pauses it too. The built-in metrics are rules in :data:`METRICS`; a
    ``custom`` target takes its own (e.g. "time to on-site arrival", from ``created`` to an
    ``arrived`` event of your system).

    A ``cumulative`` rule keeps **one** cycle over the ticket's whole life, as Zendesk's
    requester wait and agent work times do: a stop event suspends it (its verdict so far
    is ``met`` or ``breached``) and the next start event resumes it with the time already
    used, against the same goal. 5 hours before a reopening and 5 after are 10 hours.

    Attributes:
        start: Events that open a cycle (or resume a cumulative one).
        stop: Events that close the open cycle (or suspend a cumulative one).
        restart: Events that close the open cycle and open the next.
        cancel: Events that drop the open cycle (it is not reported).
        once: Only the first cycle counts.
        cumulative: One cycle whose elapsed time adds up over every start-stop span;
            not with ``restart``, ``cancel`` or ``once``.
        pause_on_hold: ``on_hold`` (waiting on a third party) pauses the target too,
            besides ``pending`` (for a pausable target).

    Examples:
        >>> import datetime as dt
        >>> arrival = MetricRule(start=["created"], stop=["arrived", "solved"], once=True)
        >>> target = SLATarget(metric="custom", name="on_site_arrival", rule=arrival,
        ...                    duration="4h", clock="calendar", pausable=False)
        >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
        >>> r = evaluate_ticket([(t0, "created"), (t0 + dt.timedelta(hours=3), "arrived")],
        ...                     target, as_of=t0 + dt.timedelta(hours=5))
        >>> r["on_site_arrival"].state, str(r["on_site_arrival"].elapsed)
        ('met', '3:00:00')
        >>> MetricRule.from_dict(arrival.to_dict()) == arrival
        True

        Requester wait time adds up over reopenings (here 5 h + 5 h against 8 h):

        >>> h = dt.timedelta(hours=1)
        >>> wait = SLATarget(metric="requester_wait", duration="8h", clock="calendar")
        >>> history = [(t0, "created"), (t0 + 5 * h, "solved"), (t0 + 24 * h, "reopened"),
        ...            (t0 + 29 * h, "solved")]
        >>> r = evaluate_ticket(history, wait, as_of=t0 + 48 * h)["requester_wait"]
        >>> r.state, str(r.elapsed), len(r.cycles)
        ('breached', '10:00:00', 1)

        ``pause_on_hold``: 3 hours On-hold (waiting on a supplier) stop agent work time
        (its rule pauses on hold) but not requester wait time (the customer still waits):

        >>> METRICS["agent_work"].pause_on_hold, METRICS["requester_wait"].pause_on_hold
        (True, False)
        >>> work = SLATarget(metric="agent_work", duration="8h", clock="calendar")
        >>> held = [(t0, "created"), (t0 + h, "on_hold"), (t0 + 4 * h, "open")]
        >>> both = SLAPolicy(name="zendesk", targets={"*": [wait, work]})
        >>> r = evaluate_ticket(held, both, as_of=t0 + 6 * h)
        >>> str(r["requester_wait"].elapsed), str(r["agent_work"].elapsed)
        ('6:00:00', '3:00:00')
    """

    start: tuple[str, ...] = attrs.field(
        converter=_event_names, validator=_check_events, metadata=metadata(codec=Seq())
    )
    stop: tuple[str, ...] = attrs.field(
        converter=_event_names, validator=_check_events, metadata=metadata(codec=Seq())
    )
    restart: tuple[str, ...] = attrs.field(
        default=(),
        converter=_event_names,
        validator=_check_events,
        metadata=metadata(codec=Seq(), omit_default=True),
    )
    cancel: tuple[str, ...] = attrs.field(
        default=(),
        converter=_event_names,
        validator=_check_events,
        metadata=metadata(codec=Seq(), omit_default=True),
    )
    once: bool = field(default=False, validator=instance_of(bool, "a bool"), omit_default=True)
    cumulative: bool = field(
        default=False,
        validator=[instance_of(bool, "a bool"), _check_cumulative],
        omit_default=True,
    )
    pause_on_hold: bool = field(
        default=False, validator=instance_of(bool, "a bool"), omit_default=True
    )

    @property
    def events(self) -> frozenset[str]:
        """Every event the rule reads.

        Examples:
            >>> sorted(METRICS["periodic_update"].events)
            ['agent_reply', 'created', 'reopened', 'solved']
        """
        return frozenset((*self.start, *self.stop, *self.restart, *self.cancel))


#: The built-in metrics and their cycle rules (a ``custom`` target brings its own).
#:
#: - ``first_response``: created -> first agent reply (or solved), one cycle.
#: - ``next_response``: a customer reply -> the next agent reply (or solved); a new cycle
#:   starts at the next customer reply after that (the oldest unanswered reply counts).
#: - ``periodic_update``: created or reopened -> the next agent reply, which restarts the
#:   cycle, until solved.
#: - ``resolution``: created -> solved; each reopening starts a new cycle.
#: - ``follow_up``: solved -> follow-up done (回访); a reopening drops the open cycle
#:   (the result to follow up on is the next solution's).
#: - ``on_site``: created -> on-site arrival (solved without a visit also stops it), one cycle.
#: - ``requester_wait``: Zendesk's requester wait time: created -> solved, *cumulative*
#:   (a reopening resumes the one cycle with the time already used); pending pauses it
#:   (for a pausable target), on-hold does not.
#: - ``agent_work``: Zendesk's agent work time: as ``requester_wait``, and on-hold pauses it
#:   too.
METRICS: Mapping[str, MetricRule] = {
    "first_response": MetricRule(start=["created"], stop=["agent_reply", "solved"], once=True),
    "next_response": MetricRule(start=["customer_reply"], stop=["agent_reply", "solved"]),
    "periodic_update": MetricRule(
        start=["created", "reopened"], stop=["solved"], restart=["agent_reply"]
    ),
    "resolution": MetricRule(start=["created", "reopened"], stop=["solved"]),
    "follow_up": MetricRule(start=["solved"], stop=["follow_up"], cancel=["reopened"]),
    "on_site": MetricRule(start=["created"], stop=["on_site", "solved"], once=True),
    "requester_wait": MetricRule(start=["created", "reopened"], stop=["solved"], cumulative=True),
    "agent_work": MetricRule(
        start=["created", "reopened"], stop=["solved"], cumulative=True, pause_on_hold=True
    ),
}

_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


# ----------------------------------------------------------------------------- durations


def parse_duration(value: object, owner: str, field: str) -> dt.timedelta:
    """Read a duration: a ``timedelta``, whole seconds (int) or a string like ``"1h30m"``.

    Durations are whole seconds; hours are real hours (a "day" unit is deliberately
    absent: 24 business hours and one business day are different things).

    Examples:
        >>> parse_duration("1h30m", "SLATarget", "duration")
        datetime.timedelta(seconds=5400)
        >>> parse_duration(90, "SLATarget", "duration")
        datetime.timedelta(seconds=90)
    """
    if isinstance(value, dt.timedelta):
        delta = value
    elif isinstance(value, int) and not isinstance(value, bool):
        delta = dt.timedelta(seconds=value)
    elif isinstance(value, str) and value and (match := _DURATION_RE.match(value.strip())):
        if not any(match.groups()):
            raise _bad_duration(owner, field, value)
        h, m, s = (int(g) if g else 0 for g in match.groups())
        delta = dt.timedelta(hours=h, minutes=m, seconds=s)
    else:
        raise _bad_duration(owner, field, value)
    if delta % dt.timedelta(seconds=1):
        raise ConfigError(
            owner, field, expected="whole seconds", found=f"{delta.total_seconds()} seconds"
        )
    return delta


def _bad_duration(owner: str, field: str, value: object) -> ConfigError:
    return ConfigError(
        owner,
        field,
        expected="a duration such as '1h', '90m', '1h30m', '45s', an int of seconds or a timedelta",
        found=repr(value),
    )


def format_duration(delta: dt.timedelta) -> str:
    """Write a duration in the compact form :func:`parse_duration` reads.

    Examples:
        >>> format_duration(dt.timedelta(hours=72))
        '72h'
        >>> format_duration(dt.timedelta(minutes=90, seconds=5))
        '1h30m5s'
        >>> format_duration(dt.timedelta(0))
        '0s'
    """
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    text = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s else "")
    return sign + (text or "0s")


def _seconds(delta: dt.timedelta) -> int:
    return int(delta.total_seconds())


def _durations(value: object, owner: str, field: str) -> tuple[dt.timedelta, ...]:
    # A mapping is refused, not iterated: its keys would be read as the durations.
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ConfigError(
            owner,
            field,
            expected="a list of durations",
            found=f"a {type(value).__name__}" if isinstance(value, Mapping) else repr(value),
        )
    out = tuple(parse_duration(v, owner, f"{field}[{i}]") for i, v in enumerate(value))
    return tuple(sorted(set(out)))


# ------------------------------------------------------------------------------- targets


_BUSINESS_DAYS_RE = re.compile(r"^(\d+)bd$")


@attrs.frozen
class BusinessDays:
    """A goal in business days: due at the end of the *n*-th business day after the start.

    The day the clock starts is day 0, rolled forward to a business day when it is not
    one (as ``numpy.busday_offset(day, n, roll="forward")``); the target is due at the end
    of the *n*-th business day after it, where **end of day is the closing time** (the
    end of the last interval that day owns). The day the clock starts is its local date,
    except inside the after-midnight part of an overnight interval, which belongs to the
    day it opened on (a start at Saturday 02:00 in Friday's 22:00-06:00 shift is on
    Friday). Written ``"2bd"`` in JSON. Business days come from the policy's calendar, so
    the target's clock must be ``"business"``.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.service import BusinessCalendar, SLAPolicy, SLATarget, evaluate_ticket
        >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
        >>> cal = BusinessCalendar("Europe/Berlin", week, holidays=["2025-01-07"])
        >>> target = SLATarget(metric="resolution", duration="2bd", clock="business")
        >>> target.duration, str(target.duration)
        (BusinessDays(days=2), '2bd')
        >>> policy = SLAPolicy(name="p", calendar=cal, targets={"*": [target]})
        >>> r = evaluate_ticket([(dt.datetime(2025, 1, 6, 10), "created")], policy,
        ...                     as_of=dt.datetime(2025, 1, 6, 11))
        >>> r["resolution"].due_at.isoformat(), str(r["resolution"].cycles[0].elapsed)
        ('2025-01-09T18:00:00+01:00', '1:00:00')
    """

    days: int = attrs.field()

    @days.validator
    def _check(self, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                "SLATarget", "duration", expected="at least 1 business day", found=repr(value)
            )

    def __str__(self) -> str:
        return f"{self.days}bd"


def _to_duration(value: object) -> dt.timedelta | BusinessDays:
    if isinstance(value, BusinessDays):
        return value
    if isinstance(value, str) and (match := _BUSINESS_DAYS_RE.match(value.strip())):
        return BusinessDays(int(match[1]))
    return parse_duration(value, "SLATarget", "duration")


def _format_goal(value: dt.timedelta | BusinessDays) -> str:
    return str(value) if isinstance(value, BusinessDays) else format_duration(value)


def _to_warn(value: object) -> tuple[dt.timedelta, ...]:
    return _durations(value, "SLATarget", "warn_before")


def _to_escalate(value: object) -> tuple[dt.timedelta, ...]:
    return _durations(value, "SLATarget", "escalate_after")


_CLOCK_CHOICES = "'business' (the policy's business calendar) or 'calendar' (24x7)"


def _non_empty(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _check_duration(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, dt.timedelta) and value <= dt.timedelta(0):
        raise ConfigError(
            "SLATarget", "duration", expected="positive", found=format_duration(value)
        )


def _check_clock(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(instance.duration, BusinessDays) and value != "business":
        raise ConfigError(
            "SLATarget",
            "clock",
            expected="'business' for a duration in business days",
            found=repr(value),
            hint="Business days come from the policy's calendar.",
        )


def _check_warn(instance: Any, attribute: Any, value: Any) -> None:
    duration = instance.duration
    longest = duration if isinstance(duration, dt.timedelta) else dt.timedelta.max
    for w in value:
        if not dt.timedelta(0) < w < longest:
            raise ConfigError(
                "SLATarget",
                "warn_before",
                expected=f"positive and shorter than the duration {_format_goal(duration)}",
                found=format_duration(w),
            )


def _check_escalate(instance: Any, attribute: Any, value: Any) -> None:
    for e in value:
        if e < dt.timedelta(0):
            raise ConfigError(
                "SLATarget", "escalate_after", expected="zero or positive", found=format_duration(e)
            )


def _check_rule(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and instance.metric != "custom":
        raise ConfigError(
            "SLATarget",
            "rule",
            expected="given only for metric 'custom'",
            found=f"a rule on metric {instance.metric!r}",
        )


def _check_custom(instance: Any, attribute: Any, value: Any) -> None:
    """``start``/``stop``: event names for a custom metric only, distinct, not the pause."""
    if instance.metric == "custom" and instance.rule is not None:
        if value is not None:
            raise ConfigError(
                "SLATarget",
                attribute.name,
                expected="absent when a 'rule' gives the events",
                found=repr(value),
            )
        return
    if instance.metric != "custom":
        if value is not None:
            raise ConfigError(
                "SLATarget",
                attribute.name,
                expected="given only for metric 'custom'",
                found=f"start={instance.start!r}, stop={instance.stop!r} on metric {instance.metric!r}",
            )
        return
    if not isinstance(value, str) or not value:
        raise ConfigError(
            "SLATarget",
            attribute.name,
            expected="an event name for a custom metric",
            found=repr(value),
        )
    if value == PAUSE_EVENT:
        raise ConfigError(
            "SLATarget",
            attribute.name,
            expected="not the pause event 'pending'",
            found="'pending'",
        )
    if attribute.name == "stop" and value == instance.start:
        raise ConfigError("SLATarget", "stop", expected="different from 'start'", found=repr(value))


def _dump_spans(values: tuple[dt.timedelta, ...]) -> list[str]:
    return [format_duration(v) for v in values]


def _as_is(value: Any) -> Any:
    return value  # the field's converter reads the JSON form and names what is wrong


#: JSON forms: a goal as "1h30m" or "2bd"; lists of durations as ["2h", ...].
_GOAL = Custom(_format_goal, _as_is, "a duration such as '1h' or '2bd'")
_SPANS = Custom(_dump_spans, _as_is, "a list of durations")


@attrs.frozen(kw_only=True)
class SLATarget(Spec):
    """One promise: a metric completes within ``duration`` on an explicit clock.

    Attributes:
        metric: One of ``first_response``, ``next_response``, ``periodic_update``,
            ``resolution``, ``follow_up``, ``on_site``, ``requester_wait``, ``agent_work``
            or ``custom`` (see :data:`METRICS`).
        duration: The goal (a ``timedelta``, whole seconds, or ``"1h"``, ``"90m"``, ...);
            must be positive. ``"2bd"`` (a :class:`BusinessDays`) is due at the end
            (closing time) of the 2nd business day after the day the clock starts; such a
            target needs ``clock="business"``, and its goal in business time is fixed
            per cycle when the cycle starts.
        clock: ``"business"`` (the policy's business calendar) or ``"calendar"`` (24x7
            real time). Required: "24 hours" on a 9-hour working day is almost three
            working days, so the choice is never implied.
        name: How results name the target; defaults to the metric. Names are unique
            within a policy's targets for one priority.
        warn_before: Warning thresholds before the deadline, on the same clock; warning
            level *k* is reached once ``elapsed >= duration - warn_before[k]``. Each must be
            positive and shorter than ``duration``. Stored sorted.
        escalate_after: Escalation offsets after the deadline, on the same clock;
            escalation level *k* is reached once ``elapsed > duration + escalate_after[k]``
            (``0s`` escalates at the breach itself). Stored sorted.
        pausable: Whether ``pending`` (waiting on the customer) pauses the clock, and
            ``on_hold`` too when the metric's rule has ``pause_on_hold`` (``agent_work``).
            ``False`` ignores every pause.
        start: The start event of a ``custom`` metric (custom metrics only).
        stop: The stop event of a ``custom`` metric (custom metrics only).
        rule: A :class:`MetricRule` for a ``custom`` metric instead of ``start``/``stop``:
            several start/stop events, restarts, one cycle only.

    Examples:
        >>> t = SLATarget(metric="first_response", duration="1h", clock="calendar")
        >>> t.name, t.duration
        ('first_response', datetime.timedelta(seconds=3600))
        >>> SLATarget.from_dict(t.to_dict()) == t
        True
        >>> SLATarget(metric="first_response", duration="1h")
        Traceback (most recent call last):
        ...
        TypeError: SLATarget.__init__() missing 1 required keyword-only argument: 'clock'
        >>> SLATarget.from_dict({"metric": "on_site", "duration": "4h"})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: SLATarget.from_dict(): parameter 'clock' must be present; found no such key.
    """

    metric: str = field(validator=one_of((*METRICS, "custom")))
    duration: dt.timedelta | BusinessDays = attrs.field(
        converter=_to_duration, validator=_check_duration, metadata=metadata(codec=_GOAL)
    )
    clock: Clock = field(validator=[one_of(CLOCKS, what=_CLOCK_CHOICES), _check_clock])
    name: str = field(validator=predicate(_non_empty, "a non-empty string"))
    warn_before: tuple[dt.timedelta, ...] = attrs.field(
        default=(), converter=_to_warn, validator=_check_warn, metadata=metadata(codec=_SPANS)
    )
    escalate_after: tuple[dt.timedelta, ...] = attrs.field(
        default=(),
        converter=_to_escalate,
        validator=_check_escalate,
        metadata=metadata(codec=_SPANS),
    )
    pausable: bool = field(default=True, validator=instance_of(bool, "a bool"))
    start: str | None = field(default=None, validator=_check_custom, omit_default=True)
    stop: str | None = field(default=None, validator=_check_custom, omit_default=True)
    rule: MetricRule | None = field(
        default=None,
        validator=[instance_of(MetricRule, "a MetricRule", optional=True), _check_rule],
        codec=Optional(Nested(MetricRule)),
        omit_default=True,
    )

    @name.default
    def _name_default(self) -> str:
        return self.metric

    def _rule(self) -> MetricRule:
        if self.metric != "custom":
            return METRICS[self.metric]
        if self.rule is not None:
            return self.rule
        return MetricRule(start=[cast("str", self.start)], stop=[cast("str", self.stop)])


# ------------------------------------------------------------------------------ policies

ANY_PRIORITY = "*"


def _to_targets(value: object) -> tuple[tuple[str, tuple[SLATarget, ...]], ...]:
    owner = "SLAPolicy"
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ConfigError(
            owner,
            "targets",
            expected="a mapping of priority (or '*') to a list of targets",
            found=type(value).__name__,
        )
    out: list[tuple[str, tuple[SLATarget, ...]]] = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise ConfigError(
                owner, "targets", expected="(priority, targets) pairs", found=repr(item)
            )
        key, targets = item
        if isinstance(targets, SLATarget) or not isinstance(targets, Iterable):
            raise ConfigError(
                owner, f"targets[{key!r}]", expected="a list of targets", found=repr(targets)
            )
        built = tuple(t if isinstance(t, SLATarget) else SLATarget.from_dict(t) for t in targets)
        out.append((str(key), built))
    return tuple(out)


def _to_when(value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    owner = "SLAPolicy"
    if value is None:  # stored policies may say "when": null
        return ()
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ConfigError(
            owner, "when", expected="a mapping of ticket attribute to values", found=repr(value)
        )
    out = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise ConfigError(owner, "when", expected="(attribute, values) pairs", found=repr(item))
        key, values = item
        if not isinstance(key, str) or not key:
            raise ConfigError(
                owner, "when", expected="attribute names (non-empty strings)", found=repr(key)
            )
        # Conditions compare the ticket attribute's text (``str(ticket[key])``) with these
        # strings; any other value (1, 1.0, True, None) is refused rather than turned into
        # text silently ('1' would never match a ticket's 1.0).
        if isinstance(values, str):
            values = (values,)
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(
                owner,
                f"when[{key!r}]",
                expected="a string or a non-empty list of strings",
                found=repr(values),
            )
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise ConfigError(
                    owner,
                    f"when[{key!r}][{i}]",
                    expected="a string (conditions compare the ticket attribute as text)",
                    found=repr(v),
                    hint=f"Write it as text, e.g. {str(v)!r}."
                    if isinstance(v, int | float)
                    else "",
                )
        out.append((key, tuple(values)))
    return tuple(out)


def _to_calendar(value: object) -> BusinessCalendar | None:
    if value is None:
        return None
    if isinstance(value, BusinessCalendar):
        return value
    if isinstance(value, Mapping):
        try:
            return BusinessCalendar.from_dict(value)
        except ConfigError as err:  # walkfix: name the path, calendar.timezone, not timezone
            raise ConfigError(
                "SLAPolicy",
                f"calendar.{err.field}" if err.field != "data" else "calendar",
                expected=err.expected,
                found=err.found,
                hint=err.hint,
            ) from None
    raise ConfigError(
        "SLAPolicy",
        "calendar",
        expected="a BusinessCalendar or its dict form",
        found=type(value).__name__,
    )


class _Lenient(Nested):
    """A nested spec that also accepts a stored top-level form (with ``schema_version``)."""

    def decode(self, data: Any, path: str) -> Any:
        """Drop this crmkit's own schema key, then build the nested class."""
        if isinstance(data, Mapping) and data.get(SCHEMA_KEY) == self.cls.__spec_version__:
            data = {k: v for k, v in data.items() if k != SCHEMA_KEY}
        return super().decode(data, path)


class _Pairs(Codec):
    """``((key, values), ...)`` in the value, ``{key: [...]}`` in JSON."""

    def __init__(self, inner: Codec) -> None:
        self.inner = Map(inner)

    def encode(self, value: Any) -> Any:
        """The pairs as a mapping."""
        return self.inner.encode(dict(value))

    def decode(self, data: Any, path: str) -> Any:
        """A mapping (each value decoded at ``path['key']``); the converter makes pairs."""
        return self.inner.decode(data, path)


def _dump_when(value: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, list[str]]:
    return {key: list(values) for key, values in value}


def _check_policy_name(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError("SLAPolicy", "name", expected="a non-empty string", found=repr(value))


def _check_targets(instance: Any, attribute: Any, value: Any) -> None:
    owner = f"SLAPolicy {instance.name!r}"
    keys = [k for k, _ in value]
    if len(set(keys)) != len(keys):
        raise ConfigError(owner, "targets", expected="one entry per priority", found=str(keys))
    if not value or not any(ts for _, ts in value):
        raise ConfigError(owner, "targets", expected="at least one target", found="none")
    for key, targets in value:
        names = [t.name for t in targets]
        if len(set(names)) != len(names):
            raise ConfigError(
                owner,
                f"targets[{key!r}]",
                expected="unique target names",
                found=str(names),
                hint="Give repeated metrics distinct 'name's.",
            )


def _check_when(instance: Any, attribute: Any, value: Any) -> None:
    attributes = [k for k, _ in value]
    if len(set(attributes)) != len(attributes):
        raise ConfigError(
            f"SLAPolicy {instance.name!r}",
            "when",
            expected="each attribute once",
            found=str(attributes),
        )


@attrs.frozen(kw_only=True)
class SLAPolicy(Spec):
    """Targets by ticket priority, the calendar they run on, and which tickets they cover.

    Attributes:
        name: The policy name shown in results.
        targets: A mapping of priority label to a list of :class:`SLATarget` (or their dict
            forms). The key ``"*"`` holds targets for every priority; a priority's own
            list adds targets and replaces ``"*"`` targets of the same name.
        when: Conditions on ticket attributes, ``{"kind": ["complaint"], "customer_tier":
            ["core"]}``: every attribute must match, any listed value matches. Values are
            strings (a lone string is a list of one), compared with ``str()`` of the
            ticket's attribute; a number, bool or None is refused. Empty (the default)
            matches every ticket.
        calendar: The :class:`BusinessCalendar` that ``"business"`` targets run on (or its
            dict form). Optional when every target is on the ``"calendar"`` clock or a
            :class:`PolicySet` supplies one.

    Examples:
        >>> p = SLAPolicy(name="complaints", when={"kind": ["complaint"]}, targets={"*": [
        ...     SLATarget(metric="first_response", duration="1h", clock="calendar"),
        ...     SLATarget(metric="resolution", duration="24h", clock="calendar")]})
        >>> [t.name for t in p.targets_for("P3")]
        ['first_response', 'resolution']
        >>> p.matches({"kind": "complaint", "priority": "P3"})
        True
        >>> SLAPolicy.from_dict(p.to_dict()) == p
        True
    """

    name: str = field(validator=_check_policy_name)
    when: tuple[tuple[str, tuple[str, ...]], ...] = attrs.field(
        default=(),
        converter=_to_when,
        validator=_check_when,
        metadata=metadata(
            codec=Custom(_dump_when, _as_is, "a mapping of ticket attribute to values")
        ),
    )
    targets: tuple[tuple[str, tuple[SLATarget, ...]], ...] = attrs.field(
        converter=_to_targets,
        validator=_check_targets,
        metadata=metadata(codec=_Pairs(Seq(_Lenient(SLATarget)))),
    )
    calendar: BusinessCalendar | None = attrs.field(
        default=None,
        converter=_to_calendar,
        metadata=metadata(codec=Optional(_Lenient(BusinessCalendar)), omit_default=True),
    )

    @property
    def uses_business_clock(self) -> bool:
        """Whether any target runs on the business clock.

        Examples:
            >>> SLAPolicy(name="x", targets={"*": [SLATarget(
            ...     metric="resolution", duration="8h", clock="calendar")]}).uses_business_clock
            False
        """
        return any(t.clock == "business" for _, ts in self.targets for t in ts)

    def targets_for(self, priority: object) -> tuple[SLATarget, ...]:
        """Return the targets that apply to a ticket of ``priority``.

        The ``"*"`` targets come first (minus those the priority's own list replaces by
        name), then the priority's own targets. A priority with no entry and no ``"*"``
        targets gets none.

        Examples:
            >>> p = SLAPolicy(name="std", targets={
            ...     "*": [SLATarget(metric="resolution", duration="24h", clock="business")],
            ...     "P1": [SLATarget(metric="resolution", duration="4h", clock="calendar")]})
            >>> [(t.name, str(t.duration)) for t in p.targets_for("P1")]
            [('resolution', '4:00:00')]
            >>> [(t.name, str(t.duration)) for t in p.targets_for("P3")]
            [('resolution', '1 day, 0:00:00')]
        """
        table = dict(self.targets)
        own = table.get(str(priority), ())
        own_names = {t.name for t in own}
        shared = tuple(t for t in table.get(ANY_PRIORITY, ()) if t.name not in own_names)
        return shared + own

    def matches(self, ticket: Mapping[str, Any]) -> bool:
        """Whether a ticket (a mapping of attribute to value) meets the ``when`` conditions.

        Raises:
            InvalidInputError: The ticket lacks an attribute a condition names.

        Examples:
            >>> p = SLAPolicy(name="core", when={"customer_tier": ["core", "vip"]},
            ...     targets={"*": [SLATarget(metric="on_site", duration="4h", clock="calendar")]})
            >>> p.matches({"customer_tier": "vip"}), p.matches({"customer_tier": "regular"})
            (True, False)
        """
        for attribute, values in self.when:
            if attribute not in ticket:
                raise InvalidInputError(
                    f"SLAPolicy {self.name!r}",
                    attribute,
                    expected="a ticket attribute",
                    found=f"a ticket without it (attributes {sorted(map(str, ticket))})",
                    kind="",
                )
            if str(ticket[attribute]) not in values:
                return False
        return True


def _to_policies(value: object) -> tuple[SLAPolicy, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ConfigError("PolicySet", "policies", expected="a list of policies", found=repr(value))
    return tuple(p if isinstance(p, SLAPolicy) else SLAPolicy.from_dict(p) for p in value)


def _to_policy(value: object) -> SLAPolicy:
    if isinstance(value, SLAPolicy):
        return value
    if isinstance(value, Mapping):
        return SLAPolicy.from_dict(value)
    raise ConfigError("PolicySet", "default", expected="an SLAPolicy", found=repr(value))


def _check_default(instance: Any, attribute: Any, value: Any) -> None:
    if value.when:
        raise ConfigError(
            "PolicySet",
            "default",
            expected="a policy without conditions ('when')",
            found=f"conditions on {[k for k, _ in value.when]}",
        )


def _check_set(instance: Any, attribute: Any, value: Any) -> None:
    """Unique names, and a calendar for every policy with business-clock targets."""
    names = [p.name for p in instance.all_policies]
    if len(set(names)) != len(names):
        raise ConfigError("PolicySet", "policies", expected="unique policy names", found=str(names))
    for policy in instance.all_policies:
        if policy.uses_business_clock and policy.calendar is None and value is None:
            raise ConfigError(
                f"PolicySet policy {policy.name!r}",
                "calendar",
                expected="a business calendar for its 'business' targets",
                found="none on the policy or the set",
                hint="Give the policy or the set a calendar, or use clock 'calendar'.",
            )


@attrs.frozen(kw_only=True)
class PolicySet(Spec):
    """An ordered list of policies: the first whose conditions match a ticket wins.

    Attributes:
        policies: The conditional policies, in order of precedence.
        default: The policy for tickets no other policy matches; required, and it must
            have no conditions, so every ticket gets exactly one policy.
        calendar: The business calendar for policies that name none themselves.

    Raises:
        ConfigError: A conditional default, repeated policy names, or a policy with
            business-clock targets and no calendar (its own or the set's).

    Examples:
        >>> fr = SLATarget(metric="first_response", duration="1h", clock="calendar")
        >>> slow = SLATarget(metric="first_response", duration="8h", clock="calendar")
        >>> ps = PolicySet(
        ...     policies=[SLAPolicy(name="complaints", when={"kind": ["complaint"]},
        ...                         targets={"*": [fr]})],
        ...     default=SLAPolicy(name="standard", targets={"*": [slow]}))
        >>> ps.select({"kind": "complaint"}).name, ps.select({"kind": "question"}).name
        ('complaints', 'standard')
        >>> PolicySet.from_dict(ps.to_dict()) == ps
        True
    """

    policies: tuple[SLAPolicy, ...] = attrs.field(
        default=(), converter=_to_policies, metadata=metadata(codec=Seq(_Lenient(SLAPolicy)))
    )
    default: SLAPolicy = attrs.field(
        converter=_to_policy, validator=_check_default, metadata=metadata(codec=_Lenient(SLAPolicy))
    )
    calendar: BusinessCalendar | None = attrs.field(
        default=None,
        converter=_to_calendar,
        validator=_check_set,
        metadata=metadata(codec=Optional(_Lenient(BusinessCalendar)), omit_default=True),
    )

    @property
    def all_policies(self) -> tuple[SLAPolicy, ...]:
        """The conditional policies in order, then the default.

        Examples:
            >>> t = SLATarget(metric="resolution", duration="8h", clock="calendar")
            >>> ps = PolicySet(policies=[], default=SLAPolicy(name="d", targets={"*": [t]}))
            >>> [p.name for p in ps.all_policies]
            ['d']
        """
        return (*self.policies, self.default)

    @property
    def attributes(self) -> tuple[str, ...]:
        """The ticket attributes the conditions read, in first-use order.

        Examples:
            >>> t = SLATarget(metric="resolution", duration="8h", clock="calendar")
            >>> PolicySet(policies=[SLAPolicy(name="c", when={"kind": ["complaint"]},
            ...     targets={"*": [t]})], default=SLAPolicy(name="d", targets={"*": [t]})).attributes
            ('kind',)
        """
        seen: dict[str, None] = {}
        for policy in self.policies:
            for attribute, _ in policy.when:
                seen.setdefault(attribute, None)
        return tuple(seen)

    @property
    def custom_events(self) -> frozenset[str]:
        """Event names used by custom targets beyond :data:`EVENTS`.

        Examples:
            >>> t = SLATarget(metric="custom", name="quote", duration="72h", clock="calendar",
            ...               start="created", stop="quote_sent")
            >>> PolicySet(policies=[], default=SLAPolicy(name="d", targets={"*": [t]})).custom_events
            frozenset({'quote_sent'})
        """
        names = {e for p in self.all_policies for e in _custom_events(p)}
        return frozenset(names - set(EVENTS))

    def select(self, ticket: Mapping[str, Any]) -> SLAPolicy:
        """Return the first policy whose conditions match ``ticket`` (else the default).

        The returned policy carries the set's calendar when it has none of its own.

        Examples:
            >>> t = SLATarget(metric="resolution", duration="8h", clock="calendar")
            >>> ps = PolicySet(policies=[], default=SLAPolicy(name="d", targets={"*": [t]}))
            >>> ps.select({}).name
            'd'
        """
        for policy in self.policies:
            if policy.matches(ticket):
                return self._with_calendar(policy)
        return self._with_calendar(self.default)

    def _with_calendar(self, policy: SLAPolicy) -> SLAPolicy:
        if policy.calendar is None and self.calendar is not None:
            return attrs.evolve(policy, calendar=self.calendar)
        return policy


def as_policy_set(policies: PolicySet | SLAPolicy, owner: str) -> PolicySet:
    """Wrap a single policy as a set with it as the default (checks the type)."""
    if isinstance(policies, PolicySet):
        return policies
    if isinstance(policies, SLAPolicy):
        return PolicySet(policies=(), default=attrs.evolve(policies, when=()))
    raise ConfigError(
        owner, "policies", expected="a PolicySet or an SLAPolicy", found=type(policies).__name__
    )


def resolved_policies(policy_set: PolicySet) -> tuple[SLAPolicy, ...]:
    """Every policy of the set in order (default last), each with its effective calendar."""
    return tuple(policy_set._with_calendar(p) for p in policy_set.all_policies)


# -------------------------------------------------------------------------------- clocks


Timeline = RealClock | BusinessClock

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_seconds(t: dt.datetime) -> int:
    """Whole epoch seconds of an aware datetime (sub-second parts are truncated)."""
    delta = t - _EPOCH
    return delta.days * 86_400 + delta.seconds


def from_seconds(s: int) -> dt.datetime:
    """The aware UTC datetime at epoch second ``s``."""
    return _EPOCH + dt.timedelta(seconds=s)


def clock_of(target: SLATarget, calendar: BusinessCalendar | None) -> Timeline:
    """The clock a target runs on, in whole seconds (shared by the scalar and batch engines)."""
    if target.clock == "calendar" or calendar is None:
        return RealClock()
    return BusinessClock(calendar, tick=SECOND)


def goal_seconds(target: SLATarget, clock: Timeline, t: int) -> int:
    """The goal, in clock seconds, of a cycle of ``target`` that starts at ``t``.

    A duration is its seconds. Business days (:class:`BusinessDays`) are the business
    time from ``t`` to the end (closing time) of the *n*-th business day after the day
    ``t`` starts on (its local date, or the day owning the overnight hours it falls in),
    rolled forward to a business day.
    """
    duration = target.duration
    if isinstance(duration, dt.timedelta):
        return _seconds(duration)
    assert isinstance(clock, BusinessClock)  # SLATarget refuses business days elsewhere
    return clock.days_goal(t, duration.days)


# ----------------------------------------------------------------------------- results


@attrs.frozen(kw_only=True)
class SLACycle(ResultDict):
    """One cycle of a target: from a start event to a stop event (or to ``as_of``).

    Attributes:
        start: When the cycle started.
        stop: When it stopped, or None while open.
        state: ``running``, ``paused``, ``met`` or ``breached``.
        due_at: The earliest instant the goal is used up (moved by pauses so far; while
            paused, as if the clock resumed at ``as_of``).
        breach_at: The latest instant that still complies (``>= due_at``; later when
            ``due_at`` falls on a closing time of the business calendar).
        goal: The goal on the target's clock: the duration, or for business days the
            business time from the start to the end of the *n*-th business day.
        elapsed: Time used on the target's clock (pauses excluded).
        real_elapsed: Real time the clock ran (pauses excluded).
        remaining: ``goal - elapsed`` (negative after a breach).
        used: ``elapsed / goal`` (1.0 = the whole goal).
        warn_level: How many warn-before thresholds were reached.
        escalation_level: How many escalation levels were reached.

    Examples:
        >>> import datetime as dt
        >>> t = SLATarget(metric="resolution", duration="2h", clock="calendar")
        >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
        >>> r = evaluate_ticket([(t0, "created")], t, as_of=t0 + dt.timedelta(hours=3))
        >>> c = r["resolution"].cycles[0]
        >>> c.state, str(c.remaining), c.used
        ('breached', '-1 day, 23:00:00', 1.5)
        >>> c.to_dict()["remaining"], c.to_dict()["due_at"]
        (-3600.0, '2025-03-03T11:00:00+00:00')
    """

    start: dt.datetime
    stop: dt.datetime | None
    state: str
    due_at: dt.datetime
    breach_at: dt.datetime
    goal: dt.timedelta
    elapsed: dt.timedelta
    real_elapsed: dt.timedelta
    remaining: dt.timedelta
    used: float
    warn_level: int
    escalation_level: int


@attrs.frozen(kw_only=True)
class TargetResult(ResultDict):
    """A target's verdict for one ticket: the state overall and the current cycle's numbers.

    Attributes:
        target: The :class:`SLATarget`.
        name: The target name.
        policy: The name of the policy it came from.
        state: ``breached`` when any cycle breached, else the current (last) cycle's
            state; ``not_started`` when no cycle has started.
        cycles: Every cycle, oldest first (:class:`SLACycle`).
        breached_cycles: How many cycles breached.
        start, stop, due_at, breach_at, goal, elapsed, real_elapsed, remaining, used: The
            current cycle's (None before the first cycle; ``goal`` is then the duration,
            or None for a target in business days).
        warn_level, escalation_level: The current cycle's levels (0 before the first).

    Examples:
        >>> import datetime as dt
        >>> t = SLATarget(metric="first_response", duration="1h", clock="calendar")
        >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
        >>> r = evaluate_ticket([(t0, "created"), (t0 + dt.timedelta(minutes=20), "agent_reply")], t,
        ...                     as_of=t0 + dt.timedelta(hours=5))
        >>> r["first_response"].state, str(r["first_response"].elapsed)
        ('met', '0:20:00')
        >>> d = r["first_response"].to_dict()
        >>> d["state"], d["elapsed"], d["target"]["duration"]
        ('met', 1200.0, '1h')
    """

    target: SLATarget
    name: str
    policy: str
    state: str
    cycles: tuple[SLACycle, ...]
    breached_cycles: int
    start: dt.datetime | None
    stop: dt.datetime | None
    due_at: dt.datetime | None
    breach_at: dt.datetime | None
    goal: dt.timedelta | None
    elapsed: dt.timedelta | None
    real_elapsed: dt.timedelta | None
    remaining: dt.timedelta | None
    used: float | None
    warn_level: int
    escalation_level: int


def _fixed_goal(target: SLATarget) -> dt.timedelta | None:
    """The goal before any cycle: the duration, or None for business days (per cycle)."""
    return target.duration if isinstance(target.duration, dt.timedelta) else None


def _target_result(target: SLATarget, policy: str, cycles: Sequence[SLACycle]) -> TargetResult:
    if not cycles:
        state = "not_started"
    elif any(c.state == "breached" for c in cycles):
        state = "breached"
    else:
        state = cycles[-1].state
    last = cycles[-1] if cycles else None
    return TargetResult(
        target=target,
        name=target.name,
        policy=policy,
        state=state,
        cycles=tuple(cycles),
        breached_cycles=sum(c.state == "breached" for c in cycles),
        start=None if last is None else last.start,
        stop=None if last is None else last.stop,
        due_at=None if last is None else last.due_at,
        breach_at=None if last is None else last.breach_at,
        goal=last.goal if last is not None else _fixed_goal(target),
        elapsed=None if last is None else last.elapsed,
        real_elapsed=None if last is None else last.real_elapsed,
        remaining=None if last is None else last.remaining,
        used=None if last is None else last.used,
        warn_level=0 if last is None else last.warn_level,
        escalation_level=0 if last is None else last.escalation_level,
    )


@attrs.frozen(kw_only=True)
class TicketSLA(ResultDict):
    """The SLA verdicts of one ticket as of an instant: one :class:`TargetResult` per target.

    Examples:
        >>> import datetime as dt
        >>> t = SLATarget(metric="resolution", duration="8h", clock="calendar")
        >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
        >>> r = evaluate_ticket([(t0, "created")], t, as_of=t0)
        >>> r.policy, [x.state for x in r.targets]
        ('default', ['running'])
        >>> d = r.to_dict()
        >>> d["as_of"], d["targets"][0]["remaining"]
        ('2025-03-03T09:00:00+00:00', 28800.0)
    """

    policy: str
    as_of: dt.datetime
    targets: tuple[TargetResult, ...]

    def __getitem__(self, name: str) -> TargetResult:
        for target in self.targets:
            if target.name == name:
                return target
        raise KeyError(name)


# ----------------------------------------------------------------------------- tracking


@attrs.frozen
class _Open:
    """The open cycle of a target, accumulated up to ``mark``."""

    start: int
    mark: int
    acc: int  # clock seconds counted up to mark
    real: int  # real seconds counted up to mark
    due: int | None = None  # the crossing instants, once the goal was reached / exceeded
    breach: int | None = None
    goal: int = 0  # clock seconds of the goal, fixed when the cycle starts


@attrs.frozen
class _Closed:
    start: int
    stop: int | None
    acc: int
    real: int
    due: int
    breach: int
    goal: int


@attrs.frozen
class _TargetTrack:
    target: SLATarget
    closed: tuple[_Closed, ...] = ()
    open: _Open | None = None


def _advance(track: _TargetTrack, clock: Timeline, t: int, paused: bool) -> _TargetTrack:
    """Count the open cycle's clock from its mark to ``t`` (nothing while paused)."""
    cycle = track.open
    if cycle is None or t == cycle.mark:
        return track
    if paused and track.target.pausable:
        if isinstance(clock, BusinessClock):  # the batch engine positions t: refuse alike
            clock.touch(t)
        return attrs.evolve(track, open=attrs.evolve(cycle, mark=t))
    goal = cycle.goal
    step = clock.elapsed(cycle.mark, t)
    acc = cycle.acc + step
    due, breach = cycle.due, cycle.breach
    if due is None and acc >= goal:
        due = clock.add(cycle.mark, goal - cycle.acc)
    if breach is None and acc > goal:
        breach = breach_instant(clock, cycle.mark, goal - cycle.acc)
    moved = _Open(cycle.start, t, acc, cycle.real + (t - cycle.mark), due, breach, goal)
    return attrs.evolve(track, open=moved)


def _project(clock: Timeline, cycle: _Open) -> tuple[int, int]:
    """Due and breach instants of an open (or just stopped) cycle, from its mark on."""
    goal = cycle.goal
    due = cycle.due if cycle.due is not None else clock.add(cycle.mark, goal - cycle.acc)
    breach = (
        cycle.breach
        if cycle.breach is not None
        else breach_instant(clock, cycle.mark, goal - cycle.acc)
    )
    return due, breach


def day_hint(example: str) -> str:
    """The hint of a refused event time given as a date alone (scalar and batch alike).

    >>> day_hint("e.g. '2025-06-30 09:30'")[:49]
    'An event happened at an instant, and a date alone'
    """
    return (
        "An event happened at an instant, and a date alone does not say when on that day "
        f"(it is not read as midnight): give the time of day, {example}."
    )


def _unreadable(value: object, owner: str, field: str) -> bool:
    """Whether ``value`` names no real day (``"2025-02-31"``: refused as unreadable)."""
    try:
        datetime_value(value, owner, field)
    except CrmkitError:
        return True
    return False


@attrs.frozen(kw_only=True)
class SLATracker:
    """Incremental SLA state of one ticket: record events one at a time, evaluate any time.

    Immutable: :meth:`record` returns a new tracker. Events must come in time order
    (equal times keep the order they are recorded in). ``pending`` pauses pausable
    targets; ``open``, ``reopened`` and ``solved`` end the pause. ``on_hold`` ends it
    too and pauses the pausable targets whose rule has ``pause_on_hold``.

    Attributes:
        policy: The ticket's policy (see :meth:`PolicySet.select`).
        priority: The ticket's priority, which picks the policy's targets.
        hold_status: The waiting status the last status event left: ``"pending"``
            (waiting on the customer), ``"on_hold"`` (waiting on a third party) or None.
            One field, since a ticket is in at most one of them (``paused`` and
            ``on_hold`` read it).
        aware: Whether the recorded times carried a UTC offset (None before the first):
            naive and aware times are not mixed in one history (a naive time beside
            aware ones has no stated zone), as :func:`evaluate_ticket` refuses them.

    Examples:
        >>> import datetime as dt
        >>> policy = SLAPolicy(name="complaints", targets={"*": [
        ...     SLATarget(metric="first_response", duration="1h", clock="calendar")]})
        >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
        >>> tr = SLATracker.start(policy, priority="P2").record("created", t0)
        >>> tr.evaluate(t0 + dt.timedelta(minutes=45))["first_response"].state
        'running'
        >>> tr = tr.record("agent_reply", t0 + dt.timedelta(minutes=50))
        >>> tr.evaluate(t0 + dt.timedelta(hours=2))["first_response"].state
        'met'
    """

    policy: SLAPolicy
    priority: str | None
    tracks: tuple[_TargetTrack, ...]
    hold_status: Literal["pending", "on_hold"] | None = attrs.field(
        default=None, validator=attrs.validators.in_((None, PAUSE_EVENT, HOLD_EVENT))
    )
    last: int | None = None
    aware: bool | None = None

    @property
    def paused(self) -> bool:
        """The ticket is Pending (waiting on the customer).

        Examples:
            >>> import datetime as dt
            >>> p = SLAPolicy(name="p", targets={"*": [
            ...     SLATarget(metric="resolution", duration="4h", clock="calendar")]})
            >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
            >>> tr = SLATracker.start(p).record("created", t0).record("pending", t0)
            >>> tr.paused, tr.record("open", t0 + dt.timedelta(hours=1)).paused
            (True, False)
        """
        return self.hold_status == PAUSE_EVENT

    @property
    def on_hold(self) -> bool:
        """The ticket is On-hold (waiting on a third party); it is then not Pending.

        Examples:
            >>> import datetime as dt
            >>> p = SLAPolicy(name="p", targets={"*": [
            ...     SLATarget(metric="resolution", duration="4h", clock="calendar")]})
            >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
            >>> tr = SLATracker.start(p).record("created", t0).record("pending", t0)
            >>> held = tr.record("on_hold", t0 + dt.timedelta(hours=1))
            >>> held.on_hold, held.paused, held.hold_status
            (True, False, 'on_hold')
        """
        return self.hold_status == HOLD_EVENT

    @classmethod
    def start(cls, policy: SLAPolicy, *, priority: object = None) -> SLATracker:
        """A tracker with no events yet for a ticket of ``priority`` under ``policy``.

        Raises:
            ConfigError: Business-clock targets without a calendar.
            InvalidInputError: No priority for a policy with targets by priority.

        Examples:
            >>> p = SLAPolicy(name="p", targets={"P1": [
            ...     SLATarget(metric="resolution", duration="4h", clock="calendar")]})
            >>> len(SLATracker.start(p, priority="P1").tracks), len(SLATracker.start(p, priority="P4").tracks)
            (1, 0)
            >>> SLATracker.start(p)
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: SLATracker.start(): 'priority' must be given, since policy 'p' has targets by priority; found None.
        """
        if not isinstance(policy, SLAPolicy):
            raise ConfigError(
                "SLATracker.start()", "policy", expected="an SLAPolicy", found=type(policy).__name__
            )
        if policy.uses_business_clock and policy.calendar is None:
            raise ConfigError(
                f"SLAPolicy {policy.name!r}",
                "calendar",
                expected="a business calendar for its 'business' targets",
                found="none",
            )
        # A missing priority (None, or NaN / pd.NA / NaT from a frame row) is refused, as
        # evaluate_sla refuses missing priorities; str() would make it a priority "nan".
        missing = is_missing_value(priority)
        if missing and any(k != ANY_PRIORITY for k, _ in policy.targets):
            raise InvalidInputError(
                "SLATracker.start()",
                "priority",
                expected=f"given, since policy {policy.name!r} has targets by priority",
                found=repr(priority),
                kind="",
            )
        key = None if missing else str(priority)
        targets = policy.targets_for(key)
        return cls(policy=policy, priority=key, tracks=tuple(_TargetTrack(t) for t in targets))

    def _clock(self, target: SLATarget) -> Timeline:
        return clock_of(target, self.policy.calendar)

    def _paused_for(self, target: SLATarget) -> bool:
        """Whether the ticket's status pauses ``target`` now."""
        if not target.pausable:
            return False
        return self.paused or (self.on_hold and target._rule().pause_on_hold)

    def _not_before_last(
        self, value: object, field: str, owner: str, last: str, *, cutoff: bool = False
    ) -> int:
        """``value`` as an instant (`_instant`), at or after the last recorded event (``last``)."""
        t = self._instant(value, field, owner, cutoff=cutoff)
        if self.last is not None and t < self.last:
            raise InvalidInputError(
                owner,
                field,
                expected=f"at or after {last} ({from_seconds(self.last).isoformat()})",
                found=from_seconds(t).isoformat(),
                kind="",
            )
        return t

    def _instant(self, value: object, field: str, owner: str, *, cutoff: bool = False) -> int:
        """``value`` in UTC seconds; a ``cutoff`` (an ``as_of``) given as a day is its end.

        An event time that cannot be read is bad data (:class:`InvalidInputError`); a
        cut-off is read by :meth:`_cutoff`.
        """
        if isinstance(value, _Seconds):  # already read (evaluate_ticket); a bare int is not
            return int(value)
        if cutoff:
            return self._cutoff(value, field, owner)
        if isinstance(value, numbers.Number):
            raise InvalidInputError(
                owner,
                field,
                expected="a datetime or an ISO 8601 string",
                found=f"the number {value!r}",
                kind="",
                hint="Numbers are not read as times: convert epoch numbers first, e.g. "
                "pd.to_datetime(x, unit='s', utc=True).",
            )
        if is_whole_day(value) and not _unreadable(value, owner, field):
            day = datetime_value(value, owner, field).date()
            raise InvalidInputError(
                owner,
                field,
                expected="an instant: a date with a time of day (or a datetime)",
                found=f"the date alone {value!r}",
                hint=day_hint(f"e.g. '{day.isoformat()} 09:30'"),
                kind="",
            )
        try:
            t = self._seconds_of(value, field, owner)
            from_seconds(t - 2 * 86_400)  # both ends representable as datetimes
            from_seconds(t + 2 * 86_400)
        except OverflowError:  # an instant whose zone shift leaves the years 1-9999
            raise InvalidInputError(
                owner,
                field,
                expected="an instant a few days inside the years 1 to 9999",
                found=repr(value),
                kind="",
            ) from None
        return t

    def _cutoff(self, value: object, field: str, owner: str) -> int:
        """An ``as_of`` in UTC seconds, read by the one reader of cut-offs (as in batch).

        Read in the calendar's zone; a day means its last second. Without a calendar there
        is no zone to read a day or a naive time in: the value must carry its own offset.
        Every refusal is a :class:`ConfigError`: an ``as_of`` is a parameter, not data.
        """
        cal = self.policy.calendar
        cut = cutoff_value(value, owner, field, tz=None if cal is None else cal.zone)
        if cal is None and not cut.aware:
            what = "a day" if cut.whole_day else "naive times"
            raise ConfigError(
                owner,
                field,
                expected="a timezone-aware datetime",
                found=repr(value) if cut.whole_day else "a naive datetime",
                hint=f"A policy without a calendar has no zone to read {what} in.",
            )
        return int(cut.last.value // 10**9)

    def _seconds_of(self, value: object, field: str, owner: str) -> int:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError as err:
                raise InvalidInputError(
                    owner, field, expected="an ISO 8601 datetime", found=repr(value), kind=""
                ) from err
        cal = self.policy.calendar
        # NaT is a datetime without tzinfo, but no time at all: not "a naive datetime"
        # (None keeps the readers' own message).
        if value is not None and is_missing_value(value):
            raise InvalidInputError(owner, field, expected="a datetime", found=repr(value), kind="")
        if cal is None:
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                raise InvalidInputError(
                    owner,
                    field,
                    expected="a timezone-aware datetime",
                    found=repr(value) if not isinstance(value, dt.datetime) else "a naive datetime",
                    hint="A policy without a calendar has no zone to read naive times in.",
                    kind="",
                )
            return to_seconds(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            # A wall time that a daylight-saving change skips or repeats is refused, as
            # the batch engine refuses it (fold=0 would silently pick one reading).
            zone = cal.zone
            try:
                twice = not exists_once(value, zone)
            except ValueError:  # NaT, which as_aware names below
                twice = False
            if twice:
                raise InvalidInputError(
                    owner,
                    field,
                    expected=f"a wall-clock time that exists exactly once in {zone}",
                    found=value.isoformat(),
                    hint="Give the time a UTC offset (or tzinfo).",
                    kind="",
                )
        return to_seconds(as_aware(value, cal.zone, owner, field))

    def record(self, event: str, time: object) -> SLATracker:
        """Return the tracker after ``event`` at ``time`` (naive: read in the calendar zone).

        Raises:
            InvalidInputError: ``time`` earlier than the previous event, not a datetime, a
                date alone (no time of day), or naive where the earlier times were aware
                (or aware where they were naive).

        Examples:
            >>> import datetime as dt
            >>> p = SLAPolicy(name="p", targets={"*": [
            ...     SLATarget(metric="resolution", duration="4h", clock="calendar")]})
            >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
            >>> tr = SLATracker.start(p).record("created", t0)
            >>> tr.record("solved", t0 - dt.timedelta(hours=1))
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: SLATracker.record(): 'time' must be at or after the previous event (2025-03-03T09:00:00+00:00); found 2025-03-03T08:00:00+00:00.

            Naive times are read in the calendar's zone; one history does not mix them with
            aware ones:

            >>> desk = BusinessCalendar("Asia/Shanghai", {"mon": [["09:00", "18:00"]]})
            >>> q = SLAPolicy(name="q", calendar=desk, targets={"*": [
            ...     SLATarget(metric="resolution", duration="4h", clock="calendar")]})
            >>> tr = SLATracker.start(q).record("created", t0)
            >>> tr.record("solved", dt.datetime(2025, 3, 3, 18))
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: SLATracker.record(): 'time' must be timezone-aware, as the earlier times were; found a naive time. Give every time a UTC offset (or tzinfo), or none (naive times are read in the policy calendar's zone).
        """
        owner = "SLATracker.record()"
        t = self._instant(time, "time", owner)
        aware = self.aware
        if not isinstance(time, _Seconds):  # already read and checked (evaluate_ticket)
            aware = _has_offset(time)
            if self.aware is not None and aware != self.aware:
                raise InvalidInputError(
                    owner,
                    "time",
                    expected=f"{'timezone-aware' if self.aware else 'naive'}, as the earlier "
                    "times were",
                    found="a time with a UTC offset" if aware else "a naive time",
                    hint=_MIX_HINT,
                    kind="",
                )
        t = self._not_before_last(_Seconds(t), "time", owner, "the previous event")
        if not isinstance(event, str) or (
            event not in EVENTS and event not in _custom_events(self.policy)
        ):
            raise InvalidInputError(
                owner,
                "event",
                expected=f"one of {list(EVENTS)} or an event of a custom target's rule",
                found=repr(event),
                kind="",
            )
        tracks = []
        for track in self.tracks:
            clock = self._clock(track.target)
            advanced = _advance(track, clock, t, self._paused_for(track.target))
            tracks.append(_apply(advanced, clock, event, t))
        hold = self.hold_status
        if event in (PAUSE_EVENT, HOLD_EVENT):  # a status is exclusive: one replaces the other
            hold = "pending" if event == PAUSE_EVENT else "on_hold"
        elif event in RESUME_EVENTS:
            hold = None
        return attrs.evolve(self, tracks=tuple(tracks), hold_status=hold, last=t, aware=aware)

    def evaluate(self, as_of: object) -> TicketSLA:
        """Return the verdicts as of ``as_of`` (at or after the last recorded event).

        A date (``"2025-03-03"``) means the end of that day in the calendar's zone.

        Raises:
            ConfigError: An ``as_of`` that cannot be read (as :func:`evaluate_ticket`).
            InvalidInputError: An ``as_of`` before the last recorded event.

        Examples:
            >>> import datetime as dt
            >>> p = SLAPolicy(name="p", targets={"*": [
            ...     SLATarget(metric="resolution", duration="4h", clock="calendar")]})
            >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
            >>> r = SLATracker.start(p).record("created", t0).evaluate(t0 + dt.timedelta(hours=1))
            >>> r["resolution"].due_at.isoformat()
            '2025-03-03T13:00:00+00:00'
        """
        owner = "SLATracker.evaluate()"
        t = self._not_before_last(as_of, "as_of", owner, "the last recorded event", cutoff=True)
        zone = self.policy.calendar.zone if self.policy.calendar is not None else dt.UTC
        results = []
        for track in self.tracks:
            clock = self._clock(track.target)
            paused = self._paused_for(track.target)
            moved = _advance(track, clock, t, paused)
            cycles = [_cycle(track.target, c, zone) for c in moved.closed]
            if moved.open is not None:
                due, breach = _project(clock, moved.open)
                state = "paused" if paused else "running"
                raw = _Closed(
                    moved.open.start,
                    None,
                    moved.open.acc,
                    moved.open.real,
                    due,
                    breach,
                    moved.open.goal,
                )
                cycles.append(_cycle(track.target, raw, zone, state=state))
            results.append(_target_result(track.target, self.policy.name, cycles))
        return TicketSLA(
            policy=self.policy.name, as_of=from_seconds(t).astimezone(zone), targets=tuple(results)
        )


def _custom_events(policy: SLAPolicy) -> frozenset[str]:
    return frozenset(
        e for _, ts in policy.targets for t in ts if t.metric == "custom" for e in t._rule().events
    )


def _apply(track: _TargetTrack, clock: Timeline, event: str, t: int) -> _TargetTrack:
    """Stop and/or start cycles of one target at an event (already advanced to ``t``)."""
    rule = track.target._rule()
    was_open = track.open is not None
    closed = track.closed
    cycle = track.open
    if event in rule.cancel and event not in rule.stop and cycle is not None:
        cycle, was_open = None, False  # dropped: no verdict (a start may open the next)
    stops = event in rule.stop or (event in rule.restart and was_open)
    starts = (event in rule.start and not was_open) or (event in rule.restart and was_open)
    if stops and cycle is not None:
        due, breach = _project(clock, cycle)
        closed = (*closed, _Closed(cycle.start, t, cycle.acc, cycle.real, due, breach, cycle.goal))
        cycle = None
    if starts and rule.cumulative and closed:
        # Resume the one cycle with the time already used (Zendesk: a reopened ticket's
        # requester wait / agent work time goes on from its total); crossings stay.
        last = closed[-1]
        closed = closed[:-1]
        reached = last.due if last.acc >= last.goal else None
        exceeded = last.breach if last.acc > last.goal else None
        cycle = _Open(last.start, t, last.acc, last.real, reached, exceeded, last.goal)
    elif starts and not (rule.once and (closed or cycle is not None)):
        cycle = _Open(t, t, 0, 0, goal=goal_seconds(track.target, clock, t))
    return _TargetTrack(track.target, closed, cycle)


def _cycle(target: SLATarget, raw: _Closed, zone: Any, *, state: str | None = None) -> SLACycle:
    goal = raw.goal
    levels = cycle_levels(target, raw.acc, goal)
    if raw.acc > goal:
        verdict = "breached"
    elif state is None:
        verdict = "met"
    else:
        verdict = state
    return SLACycle(
        start=from_seconds(raw.start).astimezone(zone),
        stop=None if raw.stop is None else from_seconds(raw.stop).astimezone(zone),
        state=verdict,
        due_at=from_seconds(raw.due).astimezone(zone),
        breach_at=from_seconds(raw.breach).astimezone(zone),
        goal=dt.timedelta(seconds=goal),
        elapsed=dt.timedelta(seconds=raw.acc),
        real_elapsed=dt.timedelta(seconds=raw.real),
        remaining=dt.timedelta(seconds=goal - raw.acc),
        used=raw.acc / goal,
        warn_level=levels[0],
        escalation_level=levels[1],
    )


def cycle_levels(target: SLATarget, elapsed: int, goal: int) -> tuple[int, int]:
    """Warning and escalation levels reached after ``elapsed`` of ``goal`` clock seconds."""
    warn = sum(elapsed >= goal - _seconds(w) for w in target.warn_before)
    escalation = sum(elapsed > goal + _seconds(e) for e in target.escalate_after)
    return warn, escalation


#: How to state times that one history gives naive and aware both.
_MIX_HINT = (
    "Give every time a UTC offset (or tzinfo), or none (naive times are read in the policy "
    "calendar's zone)."
)


def _has_offset(value: object) -> bool:
    """Whether an event time (already read without error) carries its UTC offset."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


class _Seconds(int):
    """UTC seconds already read from a datetime (bare ints are refused as times)."""

    __slots__ = ()


def evaluate_ticket(
    events: Iterable[tuple[object, str]],
    policies: PolicySet | SLAPolicy | SLATarget,
    *,
    as_of: object,
    ticket: Mapping[str, Any] | None = None,
    priority: str = "priority",
) -> TicketSLA:
    """Evaluate one ticket's SLA targets from its event history, as of an instant.

    Events after ``as_of`` are not seen (the result is the state at ``as_of``); events at
    the same instant keep their given order. The answer equals recording the events one
    by one with :class:`SLATracker`, and equals the batch :func:`crmkit.service.evaluate_sla`.

    Args:
        events: ``(time, event)`` pairs; naive times are read in the policy calendar's zone.
        policies: A :class:`PolicySet`, one :class:`SLAPolicy` (applied to every ticket), or
            one :class:`SLATarget` (wrapped in a policy named ``"default"``; calendar clock
            only, since it has no calendar).
        as_of: The instant to evaluate at (never the system clock); a date
            (``"2025-03-03"``) means the end of that day in the calendar's zone.
        ticket: The ticket's attributes for the policy conditions and priority.
        priority: The attribute that holds the priority.

    Returns:
        A :class:`TicketSLA` with one :class:`TargetResult` per target.

    Raises:
        ConfigError: An ``as_of`` that cannot be read (None, NaT, a number,
            ``"2025-02-31"``, outside 1678-2261; the reader of :func:`evaluate_sla`), or a
            day or naive time under a policy without a calendar (no zone to read it in).
        InvalidInputError: Bad events (row positions named) or ``ticket``.

    Examples:
        >>> import datetime as dt
        >>> policy = SLAPolicy(name="complaints", targets={"*": [
        ...     SLATarget(metric="first_response", duration="1h", clock="calendar"),
        ...     SLATarget(metric="resolution", duration="24h", clock="calendar")]})
        >>> t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
        >>> r = evaluate_ticket([(t0, "created"), (t0 + dt.timedelta(minutes=70), "agent_reply")], policy,
        ...                     as_of=t0 + dt.timedelta(hours=2))
        >>> [(x.name, x.state) for x in r.targets]
        [('first_response', 'breached'), ('resolution', 'running')]
    """
    owner = "evaluate_ticket()"
    if isinstance(events, (PolicySet, SLAPolicy, SLATarget)):
        raise ConfigError(
            owner,
            "events",
            expected="the events first, then the policies: evaluate_ticket(events, policies)",
            found=f"a {type(events).__name__} first",
            hint="The argument order changed in 0.2 (data first).",
        )
    if (
        events is None
        or isinstance(events, (str, bytes, Mapping))
        or not isinstance(events, Iterable)
    ):
        raise InvalidInputError(
            owner,
            "events",
            expected="an iterable of (time, event) pairs",
            found=repr(events) if events is None else type(events).__name__,
            kind="",
        )
    if isinstance(policies, SLATarget):
        policies = SLAPolicy(name="default", targets={ANY_PRIORITY: [policies]})
    policy_set = as_policy_set(policies, owner)
    if ticket is not None and not isinstance(ticket, Mapping):
        raise InvalidInputError(
            owner,
            "ticket",
            expected="a mapping of ticket attributes (or None)",
            found=type(ticket).__name__,
            kind="",
        )
    attributes = dict(ticket or {})
    policy = policy_set.select(attributes)
    tracker = SLATracker.start(policy, priority=attributes.get(priority))
    limit = _Seconds(tracker._instant(as_of, "as_of", owner, cutoff=True))
    timed = []
    aware: list[bool] = []
    known = set(EVENTS) | _custom_events(tracker.policy)
    for position, item in enumerate(events):
        # ``events`` is an argument (a list), not a column: kind="", and rows are positions.
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise InvalidInputError(
                owner,
                "events",
                expected="(time, event) pairs",
                found=repr(item),
                rows=[position],
                kind="",
            )
        time, event = item
        if not isinstance(event, str) or event not in known:
            raise InvalidInputError(
                owner,
                "events",
                expected=f"event names (str) among {list(EVENTS)} or a custom target's events",
                found=repr(event),
                rows=[position],
                kind="",
            )
        try:
            instant = tracker._instant(time, "events", owner)
        except InvalidInputError as err:
            raise InvalidInputError(
                owner,
                "events",
                expected=err.expected,
                found=err.found,
                rows=[position],
                hint=err.hint,
                kind="",
            ) from None
        timed.append((instant, position, event))
        aware.append(_has_offset(time))
    # Naive and aware times in one history are refused, as evaluate_sla refuses them in
    # one column: a naive time beside aware ones has no stated zone (never guessed).
    naive = [position for position, flag in enumerate(aware) if not flag]
    offset = [position for position, flag in enumerate(aware) if flag]
    if naive and offset:
        fewer, word = (offset, "aware") if len(offset) <= len(naive) else (naive, "naive")
        raise InvalidInputError(
            owner,
            "events",
            expected="all naive or all timezone-aware times",
            found=f"{len(fewer)} {word} times among the others",
            rows=fewer[:5],
            total=len(fewer),
            hint=_MIX_HINT,
            kind="",
        )
    timed.sort()
    for t, _, event in timed:
        if t <= limit:
            tracker = tracker.record(event, _Seconds(t))
    return tracker.evaluate(limit)
