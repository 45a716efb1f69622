"""Batch SLA evaluation: many tickets' event histories in one vectorised pass.

The numbers equal the scalar :class:`~crmkit.service.SLATracker` replay exactly; the
difference is how they are computed. Events are sorted by (policy, ticket, time); the
tickets of a policy whose priorities share one target list form a group, processed in
chunks of whole tickets. Within a chunk every step is a numpy operation over all its
tickets at once:

- pauses (``pending`` -> ``open``/``reopened``; for targets that pause on hold also
  ``on_hold``) become per-ticket intervals, and the
  *running clock* ``R(t) = B(t) - paused(t)`` (business or real position minus the clock
  time spent paused so far) is evaluated for any instants with one ``searchsorted`` into
  the per-ticket cumulative pause table;
- cycles come from the start / stop / restart events: a start opens a cycle when the last
  start-or-stop event before it left none open, a stop closes one that is open; the k-th
  stop of a ticket closes its k-th cycle;
- elapsed time is ``R(end) - R(start)``; due and breach instants come from one bulk
  ``add`` from the start of the running segment where ``R`` crosses the goal (found by a
  ``searchsorted`` over ``R`` at the pause starts), or from the end of the observation;
- a cumulative target's start-stop spans are evaluated like cycles, then added up per
  ticket: its deadline is found in the span where the running total reaches the goal.

There is no Python loop over tickets, events or cycles; the loops run over policies,
target lists, chunks and targets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit._validate import (
    EPOCH_UNITS,
    EXCEL_WHOLE_DAY,
    check_unique,
    cutoff_value,
    datetime_column,
    datetime_value,
    excel_datetimes,
    excel_day,
    first_labels,
    require_columns,
    require_frame,
    require_no_missing,
    whole_day_mask,
)
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service._clock import SECOND, BusinessClock, RealClock, breach_many
from crmkit.service._sla import (
    ANY_PRIORITY,
    EVENTS,
    HOLD_EVENT,
    PAUSE_EVENT,
    RESUME_EVENTS,
    STATES,
    PolicySet,
    SLAPolicy,
    SLATarget,
    as_policy_set,
    day_hint,
    resolved_policies,
)

__all__ = ["evaluate_sla", "sla_attainment", "sla_cycles"]

I64 = np.ndarray[Any, np.dtype[np.int64]]
Bool = np.ndarray[Any, np.dtype[np.bool_]]

_NS = 1_000_000_000
_STATE_CODE = {name: code for code, name in enumerate(STATES)}


# -------------------------------------------------------------------------------- clocks


# The one clock (crmkit.service._clock), in whole seconds like the scalar tracker.
_Clock = RealClock | BusinessClock


# ------------------------------------------------------------------------ group helpers


def _first_in_group(codes: I64) -> I64:
    """For sorted ``codes``: the index of the first element with the same code (linear)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    starts = np.empty(len(codes), dtype=bool)
    starts[0] = True
    np.not_equal(codes[1:], codes[:-1], out=starts[1:])
    return np.maximum.accumulate(np.where(starts, np.arange(len(codes)), 0)).astype(np.int64)


#: Events per chunk of the batch evaluation (whole tickets per chunk): large enough that
#: numpy's per-call cost vanishes, small enough that the working arrays stay in cache.
_CHUNK_EVENTS = 1 << 17


def _chunks(code: I64, size: int) -> list[tuple[int, int]]:
    """``[start, end)`` slices of sorted ``code`` of about ``size`` rows, never splitting a code."""
    out = []
    start, total = 0, len(code)
    while start < total:
        end = min(start + size, total)
        if end < total:
            end = int(np.searchsorted(code, code[end], side="left"))
            if end <= start:
                end = int(np.searchsorted(code, code[start], side="right"))
        out.append((start, end))
        start = end
    return out


def _member(kind: I64, codes: I64, size: int) -> Bool:
    """``np.isin(kind, codes)`` for small non-negative codes, by table lookup."""
    table = np.zeros(size, dtype=bool)
    table[codes] = True
    return table[kind]


def _previous_same(codes: I64, values: Bool) -> Bool:
    """``values`` shifted by one within runs of equal (sorted) ``codes``; False at starts."""
    out = np.zeros(len(codes), dtype=bool)
    if len(codes) > 1:
        same = codes[1:] == codes[:-1]
        out[1:] = values[:-1] & same
    return out


@attrs.frozen
class _Pauses:
    """Per-ticket pause intervals ``[p0, p1)`` sorted by (ticket, p0), with ``p1 <= as_of``."""

    code: I64
    p0: I64
    p1: I64
    open_at_end: Bool  # per ticket code (global): still paused at as_of


def _pauses(
    code: I64, t: I64, kind: I64, *, pause: I64, resume: I64, as_of: int, n: int
) -> _Pauses:
    """Intervals in a ``pause`` status (any of those codes in a row is one pause)."""
    size = int(max(kind.max(initial=0), resume.max(), pause.max()) + 1)
    is_pause = _member(kind, pause, size)
    rel = is_pause | _member(kind, resume, size)
    rc, rt = code[rel], t[rel]
    state = is_pause[rel]
    before = _previous_same(rc, state)
    begins = state & ~before
    ends = ~state & before
    p0c, p0t = rc[begins], rt[begins]
    p1c, p1t = rc[ends], rt[ends]
    p1 = np.full(len(p0t), as_of, dtype=np.int64)
    if len(p1c):
        rank = np.arange(len(p1c)) - _first_in_group(p1c)
        p1[np.searchsorted(p0c, p1c, side="left") + rank] = p1t
    final = np.zeros(n, dtype=bool)
    if len(rc):
        last = np.r_[rc[1:] != rc[:-1], True]
        final[rc[last]] = state[last]
    return _Pauses(p0c, p0t, p1, final)


@attrs.frozen
class _RunningClock:
    """``R(t) = pos(t) - paused clock time before t`` for the tickets of one group."""

    clock: _Clock
    pauses: _Pauses
    span: int
    base: int
    f0: I64  # pos(p0)
    f1: I64  # pos(p1)
    cum_ex: I64  # paused clock time of the ticket's earlier pauses
    key: I64

    @classmethod
    def build(cls, clock: _Clock, pauses: _Pauses, base: int, span: int) -> _RunningClock:
        # Pause ends only bound the cycles' own instants (checked in _target_cycles):
        # a pause open after a ticket's last cycle must not refuse a year it never reads.
        f0 = clock.pos_many(pauses.p0, check=False)
        f1 = clock.pos_many(pauses.p1, check=False)
        dur = f1 - f0
        cum = np.cumsum(dur)
        cum_ex = cum - dur
        if len(cum_ex):
            cum_ex = cum_ex - cum_ex[_first_in_group(pauses.code)]
        key = pauses.code * span + (pauses.p0 - base)
        return cls(clock, pauses, span, base, f0, f1, cum_ex, key)

    def _last_pause(self, code: I64, t: I64) -> tuple[I64, Bool]:
        j = np.searchsorted(self.key, code * self.span + (t - self.base), side="right") - 1
        valid = j >= 0
        jj = np.where(valid, j, 0)
        if len(self.key):
            valid &= self.pauses.code[jj] == code
        else:
            valid[:] = False
        return jj, valid

    def shares_pauses(self, other: _RunningClock) -> bool:
        """Same pause table and key layout: :meth:`_last_pause` answers alike."""
        return self.pauses is other.pauses and (self.base, self.span) == (other.base, other.span)

    def at(self, code: I64, t: I64, f_t: I64, last: tuple[I64, Bool] | None = None) -> I64:
        """R at instants ``t`` (with ``f_t = pos(t)``) of tickets ``code``.

        ``last``: ``_last_pause(code, t)`` when already known (from a clock that
        :meth:`shares_pauses` with this one).
        """
        if not len(self.key):
            return f_t
        j, valid = self._last_pause(code, t) if last is None else last
        inside = np.minimum(self.pauses.p1[j], t)
        partial = np.zeros(len(t), dtype=np.int64)
        if valid.any():
            partial[valid] = self.cum_ex[j[valid]] + (
                self.clock.pos_many(inside[valid], check=False) - self.f0[j[valid]]
            )
        return f_t - partial

    def segment_start(
        self, code: I64, level: I64, start: I64, r_start: I64, *, strict: bool
    ) -> tuple[I64, I64]:
        """The start ``r`` of the running segment where R first reaches (exceeds) ``level``.

        Returns ``(r, R(r))``; ``r`` is the cycle start or the end of the last pause
        before the crossing, whichever is later.
        """
        if not len(self.key):
            return start, r_start
        r_p0 = self.f0 - self.cum_ex
        lo = int(min(r_p0.min(), level.min()))
        hi = int(max(r_p0.max(), level.max()))
        span = hi - lo + 2
        key = self.pauses.code * span + (r_p0 - lo)
        side: Any = "right" if strict else "left"
        j = np.searchsorted(key, code * span + (level - lo), side=side) - 1
        valid = j >= 0
        jj = np.where(valid, j, 0)
        valid &= self.pauses.code[jj] == code
        p1 = self.pauses.p1[jj]
        later = valid & (p1 > start)
        r = np.where(later, p1, start)
        # R is flat during a pause, so R(p1) = R(p0).
        r_at = np.where(later, r_p0[jj], r_start)
        return r, r_at


# --------------------------------------------------------------------------- evaluation


@attrs.frozen
class _Cycles:
    """Flat arrays, one entry per cycle, for the output frames."""

    code: I64
    order: I64  # target position within the ticket's target list
    job: I64  # index into the jobs list (policy, target)
    row: I64  # index of the (ticket, target) row; a row's cycles are contiguous
    number: I64
    start: I64
    stop: I64  # -1 while open
    has_stop: Bool
    state: I64
    due: I64
    breach: I64
    elapsed: I64
    real: I64
    warn: I64
    escalation: I64
    goal: I64  # clock seconds of each cycle's goal


def _levels(target: SLATarget, elapsed: I64, goal: I64) -> tuple[I64, I64]:
    warn = np.zeros(len(elapsed), dtype=np.int64)
    for w in target.warn_before:
        warn += elapsed >= goal - int(w.total_seconds())
    escalation = np.zeros(len(elapsed), dtype=np.int64)
    for e in target.escalate_after:
        escalation += elapsed > goal + int(e.total_seconds())
    return warn, escalation


def _open_before(code: I64, is_s: Bool, is_p: Bool, is_r: Bool, is_c: Bool) -> Bool:
    """Whether a cycle is open just before each event (sorted by ticket, time).

    Each event maps "open before" to "open after" as the scalar tracker applies it
    (:func:`crmkit.service._sla._apply`): while open, a stop closes and a restart closes and
    reopens; while closed, a start opens; a cancel drops the open cycle, then a start
    opens. So an event sets the state (open or closed, whatever it was), keeps it (a
    restart alone: nothing to restart while closed) or flips it (an event that both
    starts and stops: it stops an open cycle and starts a closed one). The state before
    an event is the last setting event's value, flipped once per flipping event since
    (from "closed" at the ticket's first event).
    """
    n = len(code)
    if not n:
        return np.zeros(0, dtype=bool)
    when_open = np.where(is_c, is_s, is_r | ~is_p)  # the state after, if open before
    when_closed = is_s.copy()  # ... if closed before
    sets = when_open == when_closed
    flips = ~when_open & when_closed
    index = np.arange(n)
    first = _first_in_group(code)
    last_set = np.maximum.accumulate(np.where(sets, index, -1))
    has_set = last_set >= first
    flipped = np.cumsum(flips)
    # Flips after the last setting event (or since the ticket's first event), inclusive.
    since = np.where(has_set, last_set, first - 1)
    base_flips = np.where(since >= 0, flipped[np.maximum(since, 0)], 0)
    count: I64 = flipped - base_flips
    after = np.where(has_set, when_open[np.maximum(last_set, 0)], False) ^ (count % 2 == 1)
    before = np.zeros(n, dtype=bool)
    before[1:] = after[:-1]
    before[first == index] = False
    return before


def _target_cycles(
    target: SLATarget,
    code: I64,
    t: I64,
    kind: I64,
    *,
    vocabulary: dict[str, int],
    clock: _Clock,
    running: _RunningClock,
    real_running: _RunningClock,
    paused_at_end: Bool,
    as_of: int,
) -> tuple[Any, ...]:
    rule = target._rule()

    def codes_of(names: Sequence[str]) -> I64:
        return np.array([vocabulary[n] for n in names if n in vocabulary], dtype=np.int64)

    size = len(vocabulary)
    is_s_all = _member(kind, codes_of(rule.start), size)
    is_p_all = _member(kind, codes_of(rule.stop), size)
    is_r_all = _member(kind, codes_of(rule.restart), size)
    # A cancel closes the open cycle like a stop; the cycles it closes are dropped below.
    is_c_all = _member(kind, codes_of(rule.cancel), size) & ~is_p_all
    is_p_all = is_p_all | is_c_all
    rel = is_s_all | is_p_all | is_r_all
    rc, rt = code[rel], t[rel]
    is_s, is_p, is_r, is_c = is_s_all[rel], is_p_all[rel], is_r_all[rel], is_c_all[rel]
    prev_open = _open_before(rc, is_s, is_p, is_r, is_c)
    starts = (is_s & (~prev_open | is_c)) | (is_r & ~is_c & prev_open)
    stops = (is_p & prev_open) | (is_r & prev_open)
    sc, st = rc[starts], rt[starts]
    pc, pt = rc[stops], rt[stops]
    stop = np.full(len(sc), -1, dtype=np.int64)
    has_stop = np.zeros(len(sc), dtype=bool)
    dropped = np.zeros(len(sc), dtype=bool)
    if len(pc):
        where = np.searchsorted(sc, pc, side="left") + (np.arange(len(pc)) - _first_in_group(pc))
        stop[where] = pt
        has_stop[where] = True
        dropped[where] = is_c[stops]
    if dropped.any():
        sc, st, stop, has_stop = sc[~dropped], st[~dropped], stop[~dropped], has_stop[~dropped]
    number = np.arange(len(sc), dtype=np.int64) - _first_in_group(sc)
    if rule.once:
        keep = number == 0
        sc, st, stop, has_stop, number = (
            sc[keep],
            st[keep],
            stop[keep],
            has_stop[keep],
            number[keep],
        )
    end = np.where(has_stop, stop, as_of)

    goal = _goals(target, clock, st)
    both_t = np.concatenate([st, end])
    both_c = np.concatenate([sc, sc])
    f_both = clock.pos_many(both_t)
    if target.pausable:
        # Real time runs on the real clock: R is computed once for a calendar target, and
        # a business clock reuses the pause lookup (same pauses, same instants).
        found = real_running._last_pause(both_c, both_t) if len(real_running.key) else None
        real_both = real_running.at(both_c, both_t, both_t, found)
        if running is real_running:
            r_both = real_both
        else:
            shared = found if running.shares_pauses(real_running) else None
            r_both = running.at(both_c, both_t, f_both, shared)
    else:
        r_both, real_both = f_both, both_t
    n = len(sc)
    r_s, r_e = r_both[:n], r_both[n:]
    elapsed = r_e - r_s
    real = real_both[n:] - real_both[:n]
    spans = _Spans(sc, st, end, r_s, r_e, elapsed)
    if rule.cumulative and n:
        # One cycle per ticket: the spans (start -> stop, reopening -> stop, ...) add up
        # against the goal fixed when the first one started.
        firsts = np.flatnonzero(_first_in_group(sc) == np.arange(n))
        lasts = np.r_[firsts[1:] - 1, n - 1]
        total = np.cumsum(elapsed)
        before = (
            total - elapsed - np.repeat(total[firsts] - elapsed[firsts], np.diff(np.r_[firsts, n]))
        )
        goal_one = goal[firsts]
        left = np.repeat(goal_one, np.diff(np.r_[firsts, n])) - before  # goal left per span
        # The deadline lies in the first span where the total reaches (exceeds) the goal,
        # else it is counted on from the end of the last span.
        index = np.arange(n)
        is_last = np.zeros(n, dtype=bool)
        is_last[lasts] = True
        due_span = np.minimum.reduceat(np.where((elapsed >= left) | is_last, index, n), firsts)
        breach_span = np.minimum.reduceat(np.where((elapsed > left) | is_last, index, n), firsts)
        due = _deadlines(target, clock, running, spans.take(due_span), left[due_span], strict=False)
        breach = _deadlines(
            target, clock, running, spans.take(breach_span), left[breach_span], strict=True
        )
        sc, st, goal = sc[firsts], st[firsts], goal_one
        stop, has_stop = stop[lasts], has_stop[lasts]
        elapsed = (before + elapsed)[lasts]
        real = np.add.reduceat(real, firsts)
        number = np.zeros(len(sc), dtype=np.int64)
    else:
        due = _deadlines(target, clock, running, spans, goal, strict=False)
        breach = _deadlines(target, clock, running, spans, goal, strict=True)

    state = np.where(
        elapsed > goal,
        _STATE_CODE["breached"],
        np.where(
            has_stop,
            _STATE_CODE["met"],
            np.where(
                paused_at_end[sc] & target.pausable, _STATE_CODE["paused"], _STATE_CODE["running"]
            ),
        ),
    ).astype(np.int64)
    warn, escalation = _levels(target, elapsed, goal)
    return sc, number, st, has_stop, stop, state, due, breach, elapsed, real, warn, escalation, goal


@attrs.frozen
class _Spans:
    """Cycles (or a cumulative target's spans): ticket, start, end, R at both, elapsed."""

    code: I64
    start: I64
    end: I64
    r_start: I64
    r_end: I64
    elapsed: I64

    def take(self, index: I64) -> _Spans:
        """The spans at ``index``."""
        return _Spans(*(getattr(self, f.name)[index] for f in attrs.fields(_Spans)))


def _deadlines(
    target: SLATarget,
    clock: _Clock,
    running: _RunningClock,
    spans: _Spans,
    goal: I64,
    *,
    strict: bool,
) -> I64:
    """Due (``strict=False``) or breach instants of spans that have ``goal`` clock seconds.

    Where the span's running clock reaches (exceeds) the goal, the instant is one ``add``
    from the start of the running segment of the crossing; otherwise it is counted on
    from the end of the span (the stop, or ``as_of``), as if the clock ran from there.
    """
    out = np.empty(len(spans.code), dtype=np.int64)
    level = spans.r_start + goal
    crossed = spans.elapsed > goal if strict else spans.elapsed >= goal
    ahead = ~crossed
    if ahead.any():
        # Not reached by the end of the observation: count on from there.
        end, rest = spans.end[ahead], level[ahead] - spans.r_end[ahead]
        out[ahead] = breach_many(clock, end, rest) if strict else clock.add_many(end, rest)
    if not crossed.any():
        return out
    if target.pausable:
        r, r_at = running.segment_start(
            spans.code[crossed],
            level[crossed],
            spans.start[crossed],
            spans.r_start[crossed],
            strict=strict,
        )
    else:
        r, r_at = spans.start[crossed], spans.r_start[crossed]
    if strict:
        out[crossed] = breach_many(clock, r, level[crossed] - r_at)
    else:
        out[crossed] = clock.add_many(r, level[crossed] - r_at)
    return out


def _goals(target: SLATarget, clock: _Clock, st: I64) -> I64:
    """Each cycle's goal in clock seconds (see :func:`crmkit.service._sla.goal_seconds`)."""
    duration = target.duration
    if isinstance(duration, dt.timedelta):
        return np.full(len(st), int(duration.total_seconds()), dtype=np.int64)
    assert isinstance(clock, BusinessClock)  # SLATarget refuses business days elsewhere
    return clock.days_goal_many(st, duration.days)


@attrs.frozen
class _Prepared:
    ticket_ids: pd.Index
    policy_index: I64  # per ticket
    priority: I64  # per ticket: index into priority_labels
    priority_labels: tuple[str | None, ...]
    code: I64  # per event, sorted by (group, code, time)
    t: I64
    kind: I64
    vocabulary: dict[str, int]
    as_of: int
    zone: dt.tzinfo
    ignored: int
    policies: tuple[SLAPolicy, ...]
    attributes: pd.DataFrame


def _zone(policy_set: PolicySet) -> tuple[dt.tzinfo | None, str | None]:
    """The zone naive times and an ``as_of`` are read in, and why there is none.

    Each ticket's times are read in its policy's calendar zone (as :func:`evaluate_ticket`
    does). When the policies' calendars are in different zones (or some have none), one
    table has no one zone: naive values are refused, with the reason returned here.
    """
    zones = {
        p.calendar.zone if p.calendar is not None else None for p in resolved_policies(policy_set)
    }
    if len(zones) == 1:
        return next(iter(zones)), None
    named = sorted(str(z) if z is not None else "no calendar" for z in zones)
    return None, f"the policies' calendars are in different zones ({', '.join(named)})"


def _seconds_of(series: pd.Series) -> I64:
    values = pd.DatetimeIndex(series).tz_convert("UTC").as_unit("ns")
    return np.asarray(values.asi8 // _NS, dtype=np.int64)


def _instant(
    value: object, zone: dt.tzinfo | None, owner: str, field: str, why: str | None = None
) -> int:
    """``value`` (an ``as_of``) in UTC seconds, read by the one reader of cut-offs.

    Naive values are read in ``zone``; without a zone they are refused. A date means the
    end of that day (its last second). Instants outside 1678-2261 are refused before any
    arithmetic (no OverflowError from pandas). Every refusal is a :class:`ConfigError`
    (an ``as_of`` is a parameter, as everywhere in crmkit).
    """
    cut = cutoff_value(value, owner, field, tz=zone)
    if cut.last.tzinfo is None:
        raise ConfigError(
            owner,
            field,
            expected="timezone-aware",
            found=f"a naive datetime (or a day) and {why or 'no calendar zone'} to read it in",
        )
    return int(cut.last.value // _NS)


# ------------------------------------------------------------------------ days, not instants


def refuse_whole_days(
    frame: pd.DataFrame,
    column: str,
    owner: str,
    *,
    date_format: str | None = None,
    date_unit: str | None = None,
    shown: str | None = None,
) -> None:
    """Refuse event times given as a date alone (``"2025-06-30"``), naming rows.

    An event happened at an instant; a date alone does not say when on that day (its
    start? its end?), so it is never read as midnight. A whole Excel day number
    (``date_unit="excel"``) is one too: Excel stores a date and its midnight alike.
    Missing cells are skipped (the column reader names them). ``shown`` is the column's
    name in the user's file.

    Examples:
        >>> frame = pd.DataFrame({"time": ["2025-06-30 09:15", "2025-06-30"]})
        >>> refuse_whole_days(frame, "time", "f()")
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: f(): column 'time' must be instants: a date with a time of day (or datetimes); found 1 date without a time of day, such as '2025-06-30' at rows [1]. An event happened at an instant, and a date alone does not say when on that day (it is not read as midnight): give the time of day, e.g. '2025-06-30 09:30'.
    """
    series = frame[column]
    filled = series.notna().to_numpy(dtype=bool)
    values = series[filled]
    days = whole_day_mask(values, date_format, date_unit)
    if not days.any():
        return
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.flatnonzero(filled)[days]] = True
    count = int(mask.sum())
    raw = values.iloc[int(np.flatnonzero(days)[0])]
    shown_value, note = raw.strip() if isinstance(raw, str) else str(raw), ""
    if date_unit == "excel" and not isinstance(raw, dt.date | np.datetime64):
        day = excel_day(raw)
        note = f" (the Excel day number of {day.isoformat()})"
        example = (
            f"e.g. '{day.isoformat()} 09:30' in Excel. {EXCEL_WHOLE_DAY}: for times at "
            f"midnight, pass datetimes, {excel_datetimes('events', shown or column)}"
        )
    elif date_format in (None, "ISO8601") or isinstance(raw, dt.date | np.datetime64):
        day = pd.Timestamp(datetime_value(raw, owner, shown or column)).date()
        example = f"e.g. '{day.isoformat()} 09:30'"
    else:  # text or numbers read with the format: spelled in it, with a time of day
        example = f"read with date_format={date_format + ' %H:%M'!r}"
    raise InvalidInputError(
        owner,
        shown or column,
        expected="instants: a date with a time of day (or datetimes)",
        found=f"{count} {'date' if count == 1 else 'dates'} without a time of day, "
        f"such as {shown_value!r}{note}",
        rows=first_labels(frame.index, mask),
        total=count,
        hint=day_hint(example),
    )


def _prepare(
    events: pd.DataFrame,
    tickets: pd.DataFrame,
    policy_set: PolicySet,
    *,
    as_of: object,
    ticket: str,
    time: str,
    event: str,
    priority: str,
    keep: Sequence[str],
    owner: str,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> _Prepared:
    require_frame(events, owner, "events")
    require_frame(tickets, owner, "tickets")
    require_columns(events, [ticket, time, event], owner)
    needs_priority = any(k != ANY_PRIORITY for p in policy_set.all_policies for k, _ in p.targets)
    wanted = [ticket, *policy_set.attributes, *keep]
    if needs_priority:
        wanted.append(priority)
    require_columns(tickets, wanted, owner)
    require_no_missing(tickets, ticket, owner, what="ticket ids")
    # One hash pass over ticket ids and event ids gives both the event codes and the
    # uniqueness of the ids; only duplicated ids are hashed again, for the error message.
    code, unique = _ticket_codes(tickets[ticket], events[ticket])
    if not unique:
        check_unique(tickets, ticket, owner)
    zone, why = _zone(policy_set)
    limit = _instant(as_of, zone, owner, "as_of", why)

    # Tickets: codes, policy and priority per ticket.
    ids = pd.Index(tickets[ticket].array)
    n = len(ids)
    policy_index = np.full(n, -1, dtype=np.int64)
    policies = resolved_policies(policy_set)
    for index, policy in enumerate(policy_set.policies):
        mask = np.ones(n, dtype=bool)
        for attribute, values in policy.when:
            mask &= _str_isin(tickets[attribute], values)
        policy_index[(policy_index < 0) & mask] = index
    policy_index[policy_index < 0] = len(policy_set.policies)
    if needs_priority:
        prio_codes, prio_uniques = pd.factorize(tickets[priority], use_na_sentinel=False)
        prio = np.asarray(prio_codes, dtype=np.int64)
        labels: tuple[str | None, ...] = tuple(str(u) for u in prio_uniques)
        missing = tickets[priority].isna().to_numpy()
        if missing.any():
            raise InvalidInputError(
                owner,
                priority,
                expected="a priority for every ticket",
                found=f"{int(missing.sum())} missing priorities",
                rows=first_labels(tickets.index, missing),
                total=int(missing.sum()),
            )
    else:
        prio = np.zeros(n, dtype=np.int64)
        labels = (None,)

    # Events: known names, known tickets, whole seconds, sorted.
    vocabulary = {name: k for k, name in enumerate((*EVENTS, *sorted(policy_set.custom_events)))}
    names = events[event]
    name_codes, name_uniques = pd.factorize(names, use_na_sentinel=False)
    lookup = np.array([vocabulary.get(u, -1) for u in name_uniques], dtype=np.int64)
    kind_codes = lookup[name_codes] if len(name_codes) else np.zeros(0, dtype=np.int64)
    unknown = kind_codes < 0
    if unknown.any():
        shown = sorted(str(u) for u, k in zip(name_uniques, lookup, strict=True) if k < 0)[:5]
        raise InvalidInputError(
            owner,
            event,
            expected=f"one of {list(vocabulary)}",
            found=f"{int(unknown.sum())} unknown events such as {shown}",
            rows=first_labels(events.index, unknown),
            total=int(unknown.sum()),
            hint="Drop or rename them first, or name them in a custom target.",
        )
    stray = (code < 0) | (code >= n)
    if stray.any():
        raise InvalidInputError(
            owner,
            ticket,
            expected="ids of tickets in the tickets frame",
            found=f"{int(stray.sum())} events of unknown tickets",
            rows=first_labels(events.index, stray),
            total=int(stray.sum()),
        )
    read = {"date_format": date_format, "date_unit": date_unit}
    # Epoch numbers are UTC instants: without a calendar zone they are read as UTC.
    epoch_zone = "UTC" if date_unit in EPOCH_UNITS and zone is None else None
    when = datetime_column(events, time, owner, tz=epoch_zone, **read)
    refuse_whole_days(events, time, owner, date_format=date_format, date_unit=date_unit)
    if not isinstance(when.dtype, pd.DatetimeTZDtype):
        if zone is None:
            raise InvalidInputError(
                owner,
                time,
                expected="timezone-aware",
                found=f"naive times and {why or 'no calendar zone'} to read them in",
                hint="Localize the column (each ticket's times in its own zone), or give "
                "the policy set one calendar.",
            )
        when = datetime_column(events, time, owner, tz=zone, **read)
    seconds = _seconds_of(when)
    code = code.astype(np.int64)
    seen = seconds <= limit
    ignored = int((~seen).sum())
    code, seconds, kind_codes = code[seen], seconds[seen], kind_codes[seen]
    group = policy_index[code] if len(code) else code
    order = _event_order(group, code, seconds, n)
    copied = [priority] if priority in tickets.columns else []
    attributes = tickets.loc[:, list(dict.fromkeys([*copied, *policy_set.attributes, *keep]))]
    return _Prepared(
        ids,
        policy_index,
        prio,
        labels,
        code[order],
        seconds[order],
        kind_codes[order],
        vocabulary,
        limit,
        zone if zone is not None else _column_zone(when),
        ignored,
        policies,
        attributes.set_axis(ids, axis=0),
    )


def _ticket_codes(ids: pd.Series, event_ids: pd.Series) -> tuple[I64, bool]:
    """Each event's ticket position (-1 for unknown tickets), and whether the ids are unique.

    The positions are only meaningful when the ticket ids are unique. One hash pass over the ticket ids then the event ids: the ids get codes in order of
    first appearance, so they are unique exactly when theirs are ``0..n-1``.
    """
    n = len(ids)
    a = getattr(ids.array, "_pa_array", None)
    b = getattr(event_ids.array, "_pa_array", None)
    if a is not None and b is not None and a.type == b.type:
        # Arrow-backed ids (pandas' default str, read_parquet): one C++ hash pass.
        import pyarrow as pa  # type: ignore[import-untyped]

        encoded = pa.chunked_array([*a.chunks, *b.chunks], type=a.type).dictionary_encode()
        both = np.asarray(
            pa.chunked_array([c.indices for c in encoded.chunks], type=encoded.type.index_type)
            .fill_null(-1)
            .to_numpy(),
            dtype=np.int64,
        )
    else:
        both = np.asarray(
            pd.factorize(pd.concat([ids, event_ids], ignore_index=True), use_na_sentinel=True)[0],
            dtype=np.int64,
        )
    unique = bool((both[:n] == np.arange(n)).all())
    codes = both[n:]
    codes[codes >= n] = -1
    return codes, unique


def _str_isin(series: pd.Series, values: Sequence[str]) -> Bool:
    """``series.astype(str).isin(values)``, hashing each distinct value once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    hit = np.array([str(u) in values for u in uniques], dtype=bool)
    return hit[codes] if len(codes) else np.zeros(0, dtype=bool)


def _event_order(group: I64, code: I64, seconds: I64, n: int) -> I64:
    """Stable order by (policy group, ticket, time): one int64 key when it fits."""
    if not len(code):
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(seconds.min()), int(seconds.max())
    span = hi - lo + 1
    outer = (int(group.max()) + 1) * n
    if outer * span < 2**62:
        key = (group * n + code) * span + (seconds - lo)
        if len(key) < 2 or bool((key[1:] >= key[:-1]).all()):
            return np.arange(len(key), dtype=np.int64)  # already in order: exports often are
        return np.argsort(key, kind="stable").astype(np.int64)
    return np.lexsort((seconds, code, group)).astype(np.int64)


def _column_zone(series: pd.Series) -> dt.tzinfo:
    tz = series.dt.tz
    return tz if isinstance(tz, dt.tzinfo) else dt.UTC


@attrs.frozen
class _Job:
    policy: int
    target: SLATarget
    order: int


def _evaluate(prep: _Prepared) -> tuple[_Cycles, list[_Job], I64, I64]:
    """All cycles of all tickets; also (ticket code, job) of every expected target row."""
    n = len(prep.ticket_ids)
    real = RealClock()
    lo = int(min(prep.t.min(), prep.as_of)) if len(prep.t) else prep.as_of
    span = prep.as_of - lo + 2
    jobs: list[_Job] = []
    rows_code: list[I64] = []
    rows_job: list[I64] = []
    parts: list[tuple[Any, ...]] = []
    n_rows = 0
    group_of_event = prep.policy_index[prep.code] if len(prep.code) else prep.code
    clocks: dict[int, BusinessClock] = {}
    voc = prep.vocabulary

    def codes(names: Iterable[str]) -> I64:
        return np.array(sorted(voc[e] for e in names), dtype=np.int64)

    # Pending pauses every pausable target, and On-hold (a status of its own, which ends
    # Pending) pauses those whose rule says so: two pause tables, by whether On-hold pauses.
    statuses = {
        False: (codes([PAUSE_EVENT]), codes([*RESUME_EVENTS, HOLD_EVENT])),
        True: (codes([PAUSE_EVENT, HOLD_EVENT]), codes(RESUME_EVENTS)),
    }
    for p, policy in enumerate(prep.policies):
        in_policy = prep.policy_index == p
        if not in_policy.any():
            continue
        a, b = np.searchsorted(group_of_event, [p, p + 1])
        pcode, pt, pkind = prep.code[a:b], prep.t[a:b], prep.kind[a:b]
        # Tickets whose priorities get the same target list are evaluated together.
        groups: dict[tuple[SLATarget, ...], list[int]] = {}
        for k in np.unique(prep.priority[in_policy]):
            groups.setdefault(policy.targets_for(prep.priority_labels[k]), []).append(int(k))
        for targets, members in groups.items():
            if not targets:
                continue
            ticket_mask = in_policy & _member(
                prep.priority, np.array(members, dtype=np.int64), len(prep.priority_labels)
            )
            event_mask = ticket_mask[pcode] if len(pcode) else np.zeros(0, dtype=bool)
            code, t, kind = pcode[event_mask], pt[event_mask], pkind[event_mask]
            ticket_codes = np.flatnonzero(ticket_mask).astype(np.int64)
            first_job, offsets = len(jobs), []
            for order, target in enumerate(targets):
                jobs.append(_Job(p, target, order))
                rows_code.append(ticket_codes)
                rows_job.append(np.full(len(ticket_codes), first_job + order, dtype=np.int64))
                offsets.append(n_rows)
                n_rows += len(ticket_codes)
            # Whole tickets at a time, in chunks that keep the arrays cache-sized.
            for a_i, b_i in _chunks(code, _CHUNK_EVENTS):
                c, tt, kk = code[a_i:b_i], t[a_i:b_i], kind[a_i:b_i]
                # Per pause table (see ``statuses``): pauses, real and business running clocks.
                tables: dict[bool, tuple[_Pauses, _RunningClock, list[_RunningClock]]] = {}
                for order, target in enumerate(targets):
                    hold = target._rule().pause_on_hold
                    if hold not in tables:
                        pause, resume = statuses[hold]
                        found = _pauses(
                            c, tt, kk, pause=pause, resume=resume, as_of=prep.as_of, n=n
                        )
                        tables[hold] = (found, _RunningClock.build(real, found, lo, span), [])
                    pauses, real_running, business = tables[hold]
                    if target.clock == "business":
                        cal = policy.calendar
                        assert cal is not None  # PolicySet checks business targets have one
                        if id(cal) not in clocks:
                            clocks[id(cal)] = BusinessClock(cal, tick=SECOND, origin=lo)
                        clock: _Clock = clocks[id(cal)]
                        if not business:
                            business.append(_RunningClock.build(clock, pauses, lo, span))
                        running = business[0]
                    else:
                        clock, running = real, real_running
                    out = _target_cycles(
                        target,
                        c,
                        tt,
                        kk,
                        vocabulary=prep.vocabulary,
                        clock=clock,
                        running=running,
                        real_running=real_running,
                        paused_at_end=pauses.open_at_end,
                        as_of=prep.as_of,
                    )
                    job = first_job + order
                    row = offsets[order] + np.searchsorted(ticket_codes, out[0])
                    parts.append((*out, np.full(len(out[0]), job, dtype=np.int64), row, order))
    if parts:
        cat = [np.concatenate([part[k] for part in parts]) for k in range(15)]
        orders = np.concatenate([np.full(len(part[0]), part[15], dtype=np.int64) for part in parts])
    else:
        cat = [np.zeros(0, dtype=np.int64) for _ in range(15)]
        cat[3] = np.zeros(0, dtype=bool)
        orders = np.zeros(0, dtype=np.int64)
    cycles = _Cycles(
        code=cat[0],
        order=orders,
        job=cat[13],
        row=cat[14],
        number=cat[1],
        start=cat[2],
        stop=cat[4],
        has_stop=cat[3].astype(bool),
        state=cat[5],
        due=cat[6],
        breach=cat[7],
        elapsed=cat[8],
        real=cat[9],
        warn=cat[10],
        escalation=cat[11],
        goal=cat[12],
    )
    row_code = np.concatenate(rows_code) if rows_code else np.zeros(0, dtype=np.int64)
    row_job = np.concatenate(rows_job) if rows_job else np.zeros(0, dtype=np.int64)
    return cycles, jobs, row_code, row_job


def _times(seconds: I64, valid: Bool, zone: dt.tzinfo) -> pd.Series:
    """Aware instants (NaT where not ``valid``) from epoch seconds."""
    ns = seconds * _NS
    ns[~valid] = np.iinfo(np.int64).min
    return pd.Series(ns.view("datetime64[ns]")).dt.tz_localize("UTC").dt.tz_convert(zone)


def _hours(seconds: I64, valid: Bool) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Hours as floats (NaN where not ``valid``): business time read as what it is.

    A timedelta of 30 business hours prints as ``1 days 06:00:00``, which reads as about
    one calendar day; ``30.0`` hours does not.
    """
    return np.where(valid, seconds / 3600.0, np.nan)


def _deltas(seconds: I64, valid: Bool) -> np.ndarray[Any, np.dtype[np.timedelta64]]:
    """``timedelta64[ns]`` (NaT where not ``valid``) from seconds."""
    ns = seconds * _NS
    ns[~valid] = np.iinfo(np.int64).min
    return ns.view("timedelta64[ns]")


def _job_columns(jobs: list[_Job], job: I64, prep: _Prepared) -> dict[str, Any]:
    """Per-row policy / metric / clock / goal columns and target codes, built from codes."""
    targets = list(dict.fromkeys(j.target.name for j in jobs))
    # Every metric of the policy set, in policy order: the same categories for any subset
    # of tickets (Dask partitions concatenate).
    metrics = list(
        dict.fromkeys(
            [
                *(t.metric for p in prep.policies for _, ts in p.targets for t in ts),
                *(j.target.metric for j in jobs),
            ]
        )
    )

    def codes(values: list[int]) -> I64:
        table = np.array(values, dtype=np.int64)
        return table[job] if len(table) else np.zeros(len(job), dtype=np.int64)

    return {
        "target_code": codes([targets.index(j.target.name) for j in jobs]),
        "targets": pd.Index(targets, dtype=object),
        "policy": pd.Categorical.from_codes(
            codes([j.policy for j in jobs]), categories=pd.Index([p.name for p in prep.policies])
        ),
        "metric": pd.Categorical.from_codes(
            codes([metrics.index(j.target.metric) for j in jobs]), categories=pd.Index(metrics)
        ),
        "clock": pd.Categorical.from_codes(
            codes([0 if j.target.clock == "business" else 1 for j in jobs]),
            categories=pd.Index(["business", "calendar"]),
        ),
        "goal": codes([_fixed_goal(j.target) for j in jobs]),
    }


def _fixed_goal(target: SLATarget) -> int:
    """The goal in seconds, or -1 for business days (fixed per cycle when it starts)."""
    duration = target.duration
    return int(duration.total_seconds()) if isinstance(duration, dt.timedelta) else -1


def _multi_index(levels: list[pd.Index], codes: list[I64], names: list[str]) -> pd.MultiIndex:
    # Built from codes: no hashing of (millions of) ticket ids; the levels are unique.
    level_list: Any = levels
    code_list: Any = codes
    return pd.MultiIndex(levels=level_list, codes=code_list, names=names, verify_integrity=False)


def _state_column(codes: I64) -> Any:
    return pd.Categorical.from_codes(codes, categories=pd.Index(STATES), ordered=True)


def _keep_list(keep: Sequence[str] | str, owner: str) -> list[str]:
    if isinstance(keep, str):
        return [keep]
    if keep is None or not isinstance(keep, Iterable) or not all(isinstance(k, str) for k in keep):
        raise ConfigError(owner, "keep", expected="column names", found=repr(keep))
    return list(keep)


def evaluate_sla(
    events: pd.DataFrame,
    tickets: pd.DataFrame,
    policies: PolicySet | SLAPolicy,
    *,
    as_of: object,
    ticket: str = "ticket_id",
    time: str = "time",
    event: str = "event",
    priority: str = "priority",
    keep: Sequence[str] | str = (),
    date_format: str | None = None,
    date_unit: str | None = None,
) -> pd.DataFrame:
    """Evaluate the SLA targets of many tickets from their event histories, as of an instant.

    One row per ticket and target of its policy (the first policy whose conditions match
    the ticket; targets by its priority). Equal, number for number, to evaluating each
    ticket with :func:`~crmkit.service.evaluate_ticket`.

    Args:
        events: One row per event: ``ticket``, ``time`` and ``event`` columns, events as in
            :data:`~crmkit.service.EVENTS` or named by custom targets. Naive times are read
            in the zone of the policy set's calendar; times are truncated to whole seconds.
            Events after ``as_of`` are not seen (their count is in ``.attrs``).
        tickets: One row per ticket: the ``ticket`` id, ``priority`` and every attribute
            the policy conditions name. Tickets without events appear as ``not_started``.
        policies: A :class:`~crmkit.service.PolicySet`, or one
            :class:`~crmkit.service.SLAPolicy` for every ticket.
        as_of: The instant to evaluate at (never the system clock; a date means the
            end of that day).
        ticket: Ticket id column (in both frames).
        time: Event time column.
        event: Event name column.
        priority: Priority column of ``tickets`` (needed when a policy has targets by
            priority).
        keep: Further ``tickets`` columns to copy into the result (for grouping
            attainment); the priority and the condition attributes are always copied.
        date_format: The ``strftime`` format of a text time column that is not ISO 8601
            (never guessed); ``"%Y%m%d"`` also reads ``20250131``-style integers.
        date_unit: The unit (``"s"``, ``"ms"``, ``"us"``, ``"ns"``) of a numeric (epoch)
            time column; numbers are refused without it.

    Returns:
        A DataFrame indexed by (``ticket``, ``target``) in ticket order, then target order,
        with columns ``policy``, ``metric``, ``clock``, ``goal`` (timedelta), ``state``
        (ordered categorical: not_started < running < paused < met < breached), ``cycles``,
        ``breached_cycles``, and the current (last) cycle's ``start``, ``stop``, ``due_at``,
        ``breach_at`` (aware, in the calendar's zone), ``elapsed`` (on the target's clock),
        ``real_elapsed``, ``remaining`` (signed), ``used`` (share of the goal; NaN before a
        cycle starts), ``goal_hours``, ``elapsed_hours``, ``remaining_hours`` (the same
        three durations as float hours, NaN where they are NaT), ``warn_level``,
        ``escalation_level``; then the ticket columns.

        Reading business time: ``goal``, ``elapsed`` and ``remaining`` are on the target's
        clock. On a business clock they are business hours held in a timedelta, and pandas
        prints 30 business hours as ``1 days 06:00:00``: that is not a calendar day and six
        hours (on a 9-hour desk it is more than three working days). Report the
        ``*_hours`` columns (``30.0``) or ``used``; ``real_elapsed`` is wall-clock time.
        ``state`` is ``breached`` when any cycle breached. ``.attrs`` holds ``as_of``,
        ``events_after_as_of`` (events not seen) and ``untargeted_tickets`` (tickets
        whose policy has no targets for their priority; they have no rows).

    Dask: ``events`` (and ``tickets``) may be Dask DataFrames. Events and tickets are
    shuffled on the ticket id so that each ticket meets its events in one partition, and
    each partition is evaluated as above; the result is a lazy Dask DataFrame whose rows
    equal the pandas result, with the index levels (``ticket``, ``target``) as its first
    columns (Dask has no MultiIndex) and without ``.attrs``. Every argument pickles, so
    this runs on a distributed cluster.

    Raises:
        SchemaError: A missing column.
        InvalidInputError: Unknown events or tickets, missing times or priorities,
            duplicated ticket ids, naive times without a calendar zone, event times given
            as a date alone (``"2025-06-30"``: an event happened at an instant, and a date
            is not read as its midnight).
        ConfigError: An ``as_of`` that cannot be read (None, NaT, a number,
            ``"2025-02-31"``, outside 1678-2261), or a naive one (or a day) without a
            calendar zone to read it in.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.service import SLAPolicy, SLATarget, evaluate_sla
        >>> policy = SLAPolicy(name="complaints", targets={"*": [
        ...     SLATarget(metric="first_response", duration="1h", clock="calendar"),
        ...     SLATarget(metric="resolution", duration="24h", clock="calendar")]})
        >>> t0 = pd.Timestamp("2025-03-03 09:00", tz="Asia/Shanghai")
        >>> events = pd.DataFrame({
        ...     "ticket_id": ["T1", "T1", "T1", "T2"],
        ...     "time": [t0, t0 + pd.Timedelta("40min"), t0 + pd.Timedelta("30h"), t0],
        ...     "event": ["created", "agent_reply", "solved", "created"]})
        >>> tickets = pd.DataFrame({"ticket_id": ["T1", "T2"]})
        >>> out = evaluate_sla(events, tickets, policy, as_of=t0 + pd.Timedelta(days=2))
        >>> out[["state", "elapsed"]]
                                   state         elapsed
        ticket_id target
        T1        first_response     met 0 days 00:40:00
                  resolution    breached 1 days 06:00:00
        T2        first_response breached 2 days 00:00:00
                  resolution    breached 2 days 00:00:00

        On a business clock read the ``*_hours`` columns: Monday 09:00 to Thursday 12:00
        on a 09:00-18:00 desk is 9 + 9 + 9 + 3 = 30 business hours, which the timedelta
        prints as ``1 days 06:00:00``:

        >>> from crmkit.service import BusinessCalendar
        >>> desk = BusinessCalendar("Asia/Shanghai", {d: [["09:00", "18:00"]]
        ...                         for d in ["mon", "tue", "wed", "thu", "fri"]})
        >>> biz = SLAPolicy(name="biz", calendar=desk, targets={"*": [
        ...     SLATarget(metric="resolution", duration="40h", clock="business")]})
        >>> out = evaluate_sla(events[events["ticket_id"] == "T2"], tickets[1:], biz,
        ...                    as_of=pd.Timestamp("2025-03-06 12:00", tz="Asia/Shanghai"))
        >>> print(out[["elapsed", "elapsed_hours", "remaining_hours", "goal_hours"]].to_string())
                                     elapsed  elapsed_hours  remaining_hours  goal_hours
        ticket_id target
        T2        resolution 1 days 06:00:00           30.0             10.0        40.0
    """
    owner = "evaluate_sla()"
    if _is_dask(events) or _is_dask(tickets):
        return _on_dask(  # type: ignore[no-any-return]
            evaluate_sla,
            events,
            tickets,
            policies,
            ticket=ticket,
            as_of=as_of,
            time=time,
            event=event,
            priority=priority,
            keep=keep,
            date_format=date_format,
            date_unit=date_unit,
        )
    summary, _ = _run(
        events,
        tickets,
        policies,
        as_of=as_of,
        ticket=ticket,
        time=time,
        event=event,
        priority=priority,
        keep=_keep_list(keep, owner),
        owner=owner,
        want_cycles=False,
        date_format=date_format,
        date_unit=date_unit,
    )
    return summary


def sla_cycles(
    events: pd.DataFrame,
    tickets: pd.DataFrame,
    policies: PolicySet | SLAPolicy,
    *,
    as_of: object,
    ticket: str = "ticket_id",
    time: str = "time",
    event: str = "event",
    priority: str = "priority",
    date_format: str | None = None,
    date_unit: str | None = None,
) -> pd.DataFrame:
    """Every cycle of every target: the history behind :func:`evaluate_sla`'s rows.

    A resolution target of a ticket that was reopened twice has three cycles; a next
    response target has one per answered (or pending) customer reply.

    Args:
        events: As for :func:`evaluate_sla`.
        tickets: As for :func:`evaluate_sla`.
        policies: As for :func:`evaluate_sla`.
        as_of: The instant to evaluate at (a date means the end of that day).
        ticket: Ticket id column.
        time: Event time column.
        event: Event name column.
        priority: Priority column of ``tickets``.
        date_format: As in :func:`evaluate_sla`.
        date_unit: As in :func:`evaluate_sla`.

    Returns:
        A DataFrame indexed by (``ticket``, ``target``, ``cycle``) (cycle 0 first) with
        columns ``policy``, ``metric``, ``clock``, ``goal``, ``state`` (running, paused,
        met, breached), ``start``, ``stop`` (NaT while open), ``due_at``, ``breach_at``,
        ``elapsed``, ``real_elapsed``, ``remaining``, ``used``, ``goal_hours``,
        ``elapsed_hours``, ``remaining_hours`` (float hours on the target's clock: read
        business time from these, not from the timedeltas, see :func:`evaluate_sla`),
        ``warn_level``, ``escalation_level``.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.service import SLAPolicy, SLATarget, sla_cycles
        >>> policy = SLAPolicy(name="std", targets={"*": [
        ...     SLATarget(metric="resolution", duration="8h", clock="calendar")]})
        >>> t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
        >>> events = pd.DataFrame({"ticket_id": "T1", "event": ["created", "solved", "reopened", "solved"],
        ...     "time": [t0, t0 + pd.Timedelta("2h"), t0 + pd.Timedelta(days=1), t0 + pd.Timedelta(hours=34)]})
        >>> out = sla_cycles(events, pd.DataFrame({"ticket_id": ["T1"]}), policy, as_of=t0 + pd.Timedelta(days=3))
        >>> out[["state", "elapsed"]]
                                   state         elapsed
        ticket_id target     cycle
        T1        resolution 0       met 0 days 02:00:00
                             1  breached 0 days 10:00:00
        >>> out[["goal_hours", "elapsed_hours", "remaining_hours"]].to_numpy().tolist()
        [[8.0, 2.0, 6.0], [8.0, 10.0, -2.0]]
    """
    owner = "sla_cycles()"
    if _is_dask(events) or _is_dask(tickets):
        return _on_dask(  # type: ignore[no-any-return]
            sla_cycles,
            events,
            tickets,
            policies,
            ticket=ticket,
            as_of=as_of,
            time=time,
            event=event,
            priority=priority,
            date_format=date_format,
            date_unit=date_unit,
        )
    _, cycles = _run(
        events,
        tickets,
        policies,
        as_of=as_of,
        ticket=ticket,
        time=time,
        event=event,
        priority=priority,
        keep=[],
        owner=owner,
        want_cycles=True,
        date_format=date_format,
        date_unit=date_unit,
    )
    assert cycles is not None
    return cycles


def _order_of_unique(key: I64, size: int) -> I64:
    """``np.argsort(key)`` for distinct keys in ``[0, size)``: one scatter, no sort."""
    if size > 4 * len(key) + 1024:
        return np.argsort(key).astype(np.int64)
    slot = np.full(size, -1, dtype=np.int64)
    slot[key] = np.arange(len(key), dtype=np.int64)
    return slot[slot >= 0]


def _is_dask(value: object) -> bool:
    """A Dask collection, recognised without importing dask."""
    return type(value).__module__.startswith("dask") and hasattr(value, "map_partitions")


def _on_dask(
    func: Any, events: Any, tickets: Any, policies: PolicySet | SLAPolicy, **options: Any
) -> Any:
    """Run ``func`` (evaluate_sla / sla_cycles) per partition of tickets and their events.

    Events and tickets are shuffled on the ticket id into the same number of partitions,
    so each ticket and all its events meet in one partition (a frame already partitioned
    by ticket keeps its tickets together); every partition is evaluated by the pandas
    function. Dask has no MultiIndex: the index levels come back as the first columns.
    """
    import dask.dataframe as dd

    owner = f"{func.__name__}()"
    ticket = options["ticket"]
    if not _is_dask(events):
        raise InvalidInputError(
            owner,
            "events",
            expected="a Dask DataFrame when tickets is one",
            found=type(events).__name__,
            kind="",
        )
    if not _is_dask(tickets):
        require_frame(tickets, owner, "tickets")
        tickets = dd.from_pandas(tickets, npartitions=max(events.npartitions, 1))  # type: ignore[no-untyped-call]
    require_columns(events._meta, [ticket, options["time"], options["event"]], owner)
    require_columns(tickets._meta, [ticket], owner)
    parts = max(events.npartitions, tickets.npartitions)
    ev = events.shuffle(on=ticket, npartitions=parts)
    tk = tickets.shuffle(on=ticket, npartitions=parts)

    def one(ev_part: pd.DataFrame, tk_part: pd.DataFrame) -> pd.DataFrame:
        out: pd.DataFrame = func(ev_part, tk_part, policies, **options)
        return out.reset_index()

    meta = one(events._meta, tickets._meta)
    return dd.map_partitions(one, ev, tk, meta=meta, align_dataframes=False)  # type: ignore[no-untyped-call]


def _run(
    events: pd.DataFrame,
    tickets: pd.DataFrame,
    policies: PolicySet | SLAPolicy,
    *,
    as_of: object,
    ticket: str,
    time: str,
    event: str,
    priority: str,
    keep: list[str],
    owner: str,
    want_cycles: bool,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    policy_set = as_policy_set(policies, owner)
    prep = _prepare(
        events,
        tickets,
        policy_set,
        as_of=as_of,
        ticket=ticket,
        time=time,
        event=event,
        priority=priority,
        keep=keep,
        owner=owner,
        date_format=date_format,
        date_unit=date_unit,
    )
    cyc, jobs, row_code, row_job = _evaluate(prep)
    zone = prep.zone
    attrs_out = {
        "as_of": pd.Timestamp(prep.as_of * _NS, tz="UTC").tz_convert(zone),
        "events_after_as_of": prep.ignored,
    }
    goal_of_job = np.array([_fixed_goal(j.target) for j in jobs], dtype=np.int64)
    cycles_frame = None
    if want_cycles:
        order = np.lexsort((cyc.number, cyc.order, cyc.code))
        c = {k: getattr(cyc, k)[order] for k in attrs.fields_dict(_Cycles)}
        cols = _job_columns(jobs, c["job"], prep)
        cols.pop("goal")
        goal = c["goal"]
        everywhere = np.ones(len(order), dtype=bool)
        frame = pd.DataFrame(
            {
                "policy": cols["policy"],
                "metric": cols["metric"],
                "clock": cols["clock"],
                "goal": _deltas(goal, everywhere),
                "state": _state_column(c["state"]),
                "start": _times(c["start"], everywhere, zone).array,
                "stop": _times(c["stop"], c["has_stop"], zone).array,
                "due_at": _times(c["due"], everywhere, zone).array,
                "breach_at": _times(c["breach"], everywhere, zone).array,
                "elapsed": _deltas(c["elapsed"], everywhere),
                "real_elapsed": _deltas(c["real"], everywhere),
                "remaining": _deltas(goal - c["elapsed"], everywhere),
                "used": c["elapsed"] / np.where(goal > 0, goal, 1),
                "goal_hours": _hours(goal, everywhere),
                "elapsed_hours": _hours(c["elapsed"], everywhere),
                "remaining_hours": _hours(goal - c["elapsed"], everywhere),
                "warn_level": c["warn"],
                "escalation_level": c["escalation"],
            },
            index=_multi_index(
                [
                    prep.ticket_ids,
                    cols["targets"],
                    pd.RangeIndex(int(c["number"].max(initial=0)) + 1),
                ],
                [c["code"], cols["target_code"], c["number"]],
                [ticket, "target", "cycle"],
            ),
            copy=False,  # fresh arrays: neither copied nor consolidated into 2-D blocks
        )
        frame.attrs.update(attrs_out)
        cycles_frame = frame

    # Summary rows: every (ticket, job); the last cycle's numbers; breached if any breached.
    n_rows = len(row_code)
    pos = cyc.row
    count = np.bincount(pos, minlength=n_rows).astype(np.int64)
    breached = np.bincount(
        pos, weights=(cyc.state == _STATE_CODE["breached"]).astype(np.float64), minlength=n_rows
    ).astype(np.int64)
    last = np.full(n_rows, -1, dtype=np.int64)
    if len(pos):
        # A row's cycles are contiguous and numbered upwards: the last one ends the run.
        ends = np.r_[pos[1:] != pos[:-1], True]
        last[pos[ends]] = np.flatnonzero(ends)
    # Put the rows in their final order (ticket order, then target order) first, so that
    # every column is gathered once.
    orders = np.array([j.order for j in jobs], dtype=np.int64)[row_job] if len(jobs) else row_job
    width = int(orders.max(initial=0)) + 1
    final = _order_of_unique(row_code * width + orders, len(prep.ticket_ids) * width)
    last, count, breached = last[final], count[final], breached[final]
    rows, row_job = row_code[final], row_job[final]
    has = last >= 0
    missing = ~has
    any_missing = bool(missing.any())
    li = np.where(has, last, 0) if any_missing else last

    def take(values: I64) -> I64:
        """The row's last-cycle value, 0 for rows without a cycle: one gather, no copy."""
        if not len(values):
            return np.zeros(n_rows, dtype=np.int64)
        out = values[li]
        if any_missing:
            out[missing] = 0
        return out

    state = np.where(
        breached > 0,
        _STATE_CODE["breached"],
        np.where(has, take(cyc.state), _STATE_CODE["not_started"]),
    ).astype(np.int64)
    goal = goal_of_job[row_job] if len(jobs) else np.zeros(0, dtype=np.int64)
    goal = np.where(has, take(cyc.goal), goal)  # business days: the current cycle's goal
    goal_valid = goal >= 0
    elapsed = take(cyc.elapsed)
    cols = _job_columns(jobs, row_job, prep)
    stop_valid = has & (take(cyc.has_stop.astype(np.int64)) > 0)
    data: dict[str, Any] = {
        "policy": cols["policy"],
        "metric": cols["metric"],
        "clock": cols["clock"],
        "goal": _deltas(goal, goal_valid),
        "state": _state_column(state),
        "cycles": count,
        "breached_cycles": breached,
        "start": _times(take(cyc.start), has, zone).array,
        "stop": _times(take(cyc.stop), stop_valid, zone).array,
        "due_at": _times(take(cyc.due), has, zone).array,
        "breach_at": _times(take(cyc.breach), has, zone).array,
        "elapsed": _deltas(elapsed, has),
        "real_elapsed": _deltas(take(cyc.real), has),
        "remaining": _deltas(goal - elapsed, has),
        "used": np.where(has, elapsed / np.where(goal > 0, goal, 1), np.nan),
        "goal_hours": _hours(goal, goal_valid),
        "elapsed_hours": _hours(elapsed, has),
        "remaining_hours": _hours(goal - elapsed, has),
        "warn_level": take(cyc.warn),
        "escalation_level": take(cyc.escalation),
    }
    for column in prep.attributes.columns:
        data[column] = prep.attributes[column].array.take(rows)
    summary = pd.DataFrame(
        data,
        index=_multi_index(
            [prep.ticket_ids, cols["targets"]], [rows, cols["target_code"]], [ticket, "target"]
        ),
        copy=False,  # fresh arrays: neither copied nor consolidated into 2-D blocks
    )
    targeted = np.zeros(len(prep.ticket_ids), dtype=bool)
    targeted[row_code] = True
    summary.attrs.update(attrs_out)
    summary.attrs["untargeted_tickets"] = int((~targeted).sum())
    return summary, cycles_frame


# ---------------------------------------------------------------------------- attainment


def sla_attainment(
    results: pd.DataFrame,
    by: str | Sequence[str] = "target",
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of targets met, ``met / (met + breached)``, per group, with a Wilson interval.

    Targets still running or paused (and not yet started) have no verdict: they are left
    out of the share and counted in their own columns.

    Args:
        results: The frame :func:`evaluate_sla` returns (or :func:`sla_cycles`, to count
            every cycle), pandas or Dask (counted per partition, then added up).
        by: Column(s) or index level(s) to group by, e.g. ``"target"``,
            ``["policy", "target"]``, ``["kind", "target"]``.
        level: Confidence level of the Wilson score interval.

    Returns:
        A DataFrame indexed by the groups with ``met``, ``breached``, ``n`` (met +
        breached), ``attainment`` (NaN where ``n == 0``), ``ci_low``, ``ci_high`` (the
        whole ``[0, 1]`` where ``n == 0``), ``running`` (running or paused) and
        ``not_started``.

    Every row is counted: a missing group key forms its own (NaN) group.

    Raises:
        SchemaError: ``results`` lacks a ``state`` column or a ``by`` column.
        InvalidInputError: A row's ``state`` is missing or not one of the SLA states
            (rows named): such a row has no verdict and would change ``n`` silently.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.service import sla_attainment
        >>> results = pd.DataFrame({"target": ["first_response"] * 4 + ["resolution"] * 2,
        ...     "state": ["met", "met", "breached", "running", "met", "not_started"]})
        >>> sla_attainment(results)[["met", "breached", "attainment", "running", "not_started"]]
                        met  breached  attainment  running  not_started
        target
        first_response    2         1    0.666667        1            0
        resolution        1         0    1.000000        0            1
    """
    from crmkit._stats import _check_level, wilson_interval

    owner = "sla_attainment()"
    _check_level(level, owner)  # named here: the caller called sla_attainment()
    if not isinstance(by, str) and not (
        isinstance(by, Iterable) and all(isinstance(k, str) for k in by)
    ):
        raise ConfigError(owner, "by", expected="a column name or a list of them", found=repr(by))
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise ConfigError(owner, "by", expected="at least one column", found="none")
    columns = ["met", "breached", "running", "not_started"]
    if _is_dask(results):
        # Count per partition, then add the (small) per-group counts up.
        lazy: Any = results
        meta = _state_counts(lazy._meta, keys, owner)
        partial = lazy.map_partitions(_state_counts, keys, owner, meta=meta)
        grouped = (
            partial.groupby(keys, observed=True, sort=False, dropna=False)[columns]
            .sum()
            .compute()
            .sort_index()
        )
    else:
        require_frame(results, owner, "results")
        counts = _state_counts(results, keys, owner)
        grouped = counts.groupby(keys, observed=True, sort=True, dropna=False)[columns].sum()
    met = grouped["met"].to_numpy()
    n = met + grouped["breached"].to_numpy()
    lo, hi = wilson_interval(met, n, level)
    out = pd.DataFrame(
        {
            "met": met,
            "breached": grouped["breached"].to_numpy(),
            "n": n,
            "attainment": np.divide(
                met, n, out=np.full(len(n), np.nan), where=n > 0, casting="unsafe"
            ),
            "ci_low": np.asarray(lo, dtype=np.float64),
            "ci_high": np.asarray(hi, dtype=np.float64),
            "running": grouped["running"].to_numpy(),
            "not_started": grouped["not_started"].to_numpy(),
        },
        index=grouped.index,
    )
    return out


def _state_counts(results: pd.DataFrame, keys: list[str], owner: str) -> pd.DataFrame:
    """0/1 columns met / breached / running / not_started per row, with the ``keys``."""
    frame = results.reset_index() if any(k not in results.columns for k in keys) else results
    require_columns(frame, ["state", *keys], owner)
    raw = frame["state"]
    known = raw.isin(STATES).to_numpy(dtype=bool) & raw.notna().to_numpy(dtype=bool)
    if not known.all():
        bad = ~known
        shown = sorted({str(v) for v in raw[bad].head(50)})[:3]
        raise InvalidInputError(
            owner,
            "state",
            expected=f"one of {list(STATES)} in every row",
            found=f"{int(bad.sum())} rows with an unknown or missing state such as {shown}",
            rows=first_labels(results.index, bad),  # the caller's labels, not reset ones
            total=int(bad.sum()),
            hint="Rows without a verdict would change n silently; drop or fix them first.",
        )
    state = raw.astype(str).to_numpy()
    counts = pd.DataFrame(
        {
            "met": state == "met",
            "breached": state == "breached",
            "running": (state == "running") | (state == "paused"),
            "not_started": state == "not_started",
        },
        index=frame.index,
    ).astype(np.int64)
    for key in keys:
        counts[key] = frame[key].to_numpy()
    return counts
