"""The one clock of SLA arithmetic, for one instant and for many alike.

A *clock* maps real instants to its own time. :class:`RealClock` is 24x7 real time; a
:class:`BusinessClock` runs only inside a calendar's hours. Both answer the same questions,
for Python ``int`` instants (the scalar tracker) and for ``int64`` arrays (the batch
evaluator), with the same code underneath:

- ``elapsed(a, b)``: clock time from ``a`` to ``b`` (signed);
- ``add(t, d)``: the earliest instant ``u`` with ``elapsed(t, u) == d`` (``d >= 0``);
- ``pos_many(t)``: clock time since the clock's ``origin`` (a fixed reference instant);
- ``days_goal(t, n)``: clock time from ``t`` to the end of the ``n``-th business day after
  the day ``t`` starts on (business clocks only; see :class:`~crmkit.service.BusinessDays`).

Instants are integers since 1970-01-01 UTC in units of ``tick`` nanoseconds. The business
arithmetic itself always runs on nanoseconds (the compiled timeline of
:mod:`crmkit.service._timeline`, shared with :class:`~crmkit.service.BusinessCalendar`);
the SLA engines use ``tick=1_000_000_000``, because SLA verdicts are judged in whole seconds
and the batch evaluator packs (ticket, time) into one int64 sort key. Nothing here goes
through ``datetime``.

Examples:
    >>> from crmkit.service import BusinessCalendar
    >>> cal = BusinessCalendar("UTC", {d: [["09:00", "17:00"]] for d in ["mon", "tue"]})
    >>> clock = BusinessClock(cal, tick=SECOND)
    >>> monday_16 = 1_736_179_200  # 2025-01-06 16:00 UTC, in seconds
    >>> clock.add(monday_16, 2 * 3600) - monday_16  # 1 h on Monday, then Tuesday 09-10
    64800
    >>> breach_instant(RealClock(), 0, 60)
    60
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crmkit.service import _timeline as tl

if TYPE_CHECKING:
    from crmkit.service._calendar import BusinessCalendar

__all__ = ["SECOND", "BusinessClock", "RealClock", "breach_instant", "breach_many"]

I64 = np.ndarray[Any, np.dtype[np.int64]]
Bool = np.ndarray[Any, np.dtype[np.bool_]]

#: Nanoseconds in a second: the ``tick`` of the SLA engines.
SECOND = 1_000_000_000

#: Who refuses an instant outside the calendar's country holiday years (the SLA engines).
_OWNER = "SLA business clock"


class RealClock:
    """24x7 real time: clock time is real time.

    Examples:
        >>> RealClock().add(10, 5), RealClock().elapsed(10, 4)
        (15, -6)
    """

    origin = 0

    def elapsed(self, a: int, b: int) -> int:
        """Real time from ``a`` to ``b``."""
        return b - a

    def add(self, t: int, d: int) -> int:
        """``t + d``."""
        return t + d

    def pos_many(self, t: I64, *, check: bool = True) -> I64:
        """Real time since 1970 (``t`` itself)."""
        return t

    def add_many(self, t: I64, d: I64) -> I64:
        """``t + d`` per row."""
        return t + d


class BusinessClock:
    """A business calendar's clock, in units of ``tick`` nanoseconds.

    Args:
        calendar: The calendar whose hours the clock runs in.
        tick: Nanoseconds per unit of the integers given and returned.
        origin: The reference instant of :meth:`pos_many`.

    Examples:
        >>> from crmkit.service import BusinessCalendar
        >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
        >>> clock = BusinessClock(cal, tick=SECOND)
        >>> clock.elapsed(1_736_150_400, 1_736_755_200)  # Mon 2025-01-06 to the next Monday
        28800
    """

    def __init__(self, calendar: BusinessCalendar, *, tick: int = 1, origin: int = 0) -> None:
        self.calendar = calendar
        self.tick = tick
        self.origin = origin

    def elapsed(self, a: int, b: int) -> int:
        """Business time from ``a`` to ``b`` (signed)."""
        k = self.tick
        found = tl.elapsed_ns(self.calendar, a * k, b * k) // k
        self.calendar._reach(min(a, b) * k, max(a, b) * k, _OWNER, adjacent=True)
        return found

    def add(self, t: int, d: int) -> int:
        """The earliest instant at which ``d`` business time has run since ``t``."""
        k = self.tick
        u = tl.add_ns(self.calendar, t * k, d * k, "BusinessClock.add()")
        self.calendar._reach(min(t * k, u), max(t * k, u), _OWNER, adjacent=True)
        return u // k

    def touch(self, t: int) -> None:
        """Refuse ``t`` outside the calendar's country holiday years, as :meth:`pos_many` does.

        The one-ticket engine moves a paused cycle's mark without reading the clock; the
        batch engine positions the same instant (a pause's end), so both check it.
        """
        k = self.tick
        self.calendar._reach(t * k, t * k, _OWNER, adjacent=True)

    def pos_many(self, t: I64, *, check: bool = True) -> I64:
        """Business time from ``origin`` to each ``t``.

        ``check=False`` skips the refusal of instants outside the calendar's country
        holiday years, for positions that only bound others (pause ends): the batch engine
        checks each cycle's start and end, the instants the one-ticket engine reads.
        """
        if len(t) == 0:
            return t.copy()
        k = self.tick
        start = np.full(len(t), self.origin * k, dtype=np.int64)
        found = tl.elapsed_many_ns(self.calendar, start, t * k) // k
        # Only differences of positions are used: each instant must be covered, the
        # origin need not be.
        if check:
            self.calendar._reach_many(t * k, t * k, _OWNER, _no_rows, adjacent=True)
        return found

    def add_many(self, t: I64, d: I64) -> I64:
        """:meth:`add` per row."""
        if len(t) == 0:
            return t.copy()
        k = self.tick
        out = tl.add_many_ns(self.calendar, t * k, d * k, "BusinessClock.add_many()", _rows)
        start = t * k
        self.calendar._reach_many(
            np.minimum(start, out), np.maximum(start, out), _OWNER, _no_rows, adjacent=True
        )
        return out // k

    def days_goal(self, t: int, n: int) -> int:
        """Business time from ``t`` to the end (closing time) of the ``n``-th business day.

        Day 0 is ``t``'s local date rolled forward to a business day, or the day before
        when ``t`` falls in that day's overnight hours (which the day before owns).
        """
        return int(self.days_goal_many(np.array([t], dtype=np.int64), n)[0])

    def days_goal_many(self, t: I64, n: int) -> I64:
        """:meth:`days_goal` per row."""
        if len(t) == 0:
            return t.copy()
        k = self.tick
        local = tl.wall_many_ns(self.calendar, t * k)
        days = np.floor_divide(local, tl.DAY_NS)
        # An instant inside the after-midnight part of the day before's overnight interval
        # (Sat 02:00 in Friday's 22:00-06:00 shift) starts on that day, as the calendar
        # owns the interval: the day the clock starts on is the business day whose hours
        # are running, not the date on the wall (a week apart on a Friday-only night desk).
        # Before midnight the date is that day already, and on a day desk the day before
        # ends at midnight, so only instants with that day's business time still to run
        # move (not those after its close, even when a DST gap moved the close earlier).
        before = days - 1
        table = tl.ensure_days(self.calendar, int(before.min()), int(before.max()))
        spills = np.flatnonzero(table.spill[before - table.first] > 0)  # overnight days only
        if len(spills):
            end = tl.day_end_many_ns(self.calendar, before[spills])
            rest = tl.elapsed_many_ns(self.calendar, t[spills] * k, end)
            days = days.copy()
            days[spills[rest > 0]] -= 1
        last = tl.offset_days_many(
            self.calendar, days, np.full(len(t), n, dtype=np.int64), "forward", "SLA", _rows
        )
        end = tl.day_end_many_ns(self.calendar, last)
        self.calendar._reach_many(t * k, np.maximum(t * k, end), _OWNER, _no_rows, adjacent=True)
        return (tl.elapsed_many_ns(self.calendar, t * k, end)) // k


def _rows(mask: Bool) -> list[Any]:
    return [int(i) for i in np.flatnonzero(mask)[:5]]


def _no_rows(mask: Bool) -> list[Any]:
    """No row positions: the engines' internal arrays mean nothing to the caller.

    The refusal of a year names the day instead, as the one-ticket engine's does.
    """
    return []


def breach_instant(clock: RealClock | BusinessClock, t: int, d: int) -> int:
    """The latest whole unit that still complies with ``d`` of clock time from ``t``.

    ``add(t, d + 1) - 1``: the earliest instant one unit past the goal, less one unit. On a
    business clock a deadline on a closing time (Fri 18:00) stays compliant until the next
    opening (Mon 09:00); on the 24x7 clock it is ``t + d``.

    Examples:
        >>> breach_instant(RealClock(), 100, 50)
        150
    """
    return clock.add(t, d + 1) - 1


def breach_many(clock: RealClock | BusinessClock, t: I64, d: I64) -> I64:
    """:func:`breach_instant` per row.

    Examples:
        >>> breach_many(RealClock(), np.array([0, 10]), np.array([5, 5])).tolist()
        [5, 15]
    """
    return clock.add_many(t, d + 1) - 1
