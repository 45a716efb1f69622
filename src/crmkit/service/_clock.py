"""The one clock of SLA arithmetic, for one instant and for many alike.

A *clock* maps real instants to its own time. :class:`RealClock` is 24x7 real time; a
:class:`BusinessClock` runs only inside a calendar's hours. Both answer the same questions,
for Python ``int`` instants (the scalar tracker) and for ``int64`` arrays (the batch
evaluator), with the same code underneath:

- ``elapsed(a, b)``: clock time from ``a`` to ``b`` (signed);
- ``add(t, d)``: the earliest instant ``u`` with ``elapsed(t, u) == d`` (``d >= 0``);
- ``pos_many(t)``: clock time since the clock's ``origin`` (a fixed reference instant);
- ``days_goal(t, n)``: clock time from ``t`` to the end of the ``n``-th business day after
  ``t``'s date (business clocks only; see :class:`~crmkit.service.BusinessDays`).

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
    >>> clock.add(monday_16, 2 * 3600) - monday_16  # 1 h on Monday, 1 h on Tuesday
    61200
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

    def pos_many(self, t: I64) -> I64:
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
        return tl.elapsed_ns(self.calendar, a * k, b * k) // k

    def add(self, t: int, d: int) -> int:
        """The earliest instant at which ``d`` business time has run since ``t``."""
        k = self.tick
        return tl.add_ns(self.calendar, t * k, d * k, "BusinessClock.add()") // k

    def pos_many(self, t: I64) -> I64:
        """Business time from ``origin`` to each ``t``."""
        if len(t) == 0:
            return t.copy()
        k = self.tick
        start = np.full(len(t), self.origin * k, dtype=np.int64)
        return tl.elapsed_many_ns(self.calendar, start, t * k) // k

    def add_many(self, t: I64, d: I64) -> I64:
        """:meth:`add` per row."""
        if len(t) == 0:
            return t.copy()
        k = self.tick
        out = tl.add_many_ns(self.calendar, t * k, d * k, "BusinessClock.add_many()", _rows)
        return out // k

    def days_goal(self, t: int, n: int) -> int:
        """Business time from ``t`` to the end (closing time) of the ``n``-th business day.

        Day 0 is ``t``'s local date rolled forward to a business day.
        """
        return int(self.days_goal_many(np.array([t], dtype=np.int64), n)[0])

    def days_goal_many(self, t: I64, n: int) -> I64:
        """:meth:`days_goal` per row."""
        if len(t) == 0:
            return t.copy()
        k = self.tick
        local = tl.wall_many_ns(self.calendar, t * k)
        days = np.floor_divide(local, tl.DAY_NS)
        last = tl.offset_days_many(
            self.calendar, days, np.full(len(t), n, dtype=np.int64), "forward", "SLA", _rows
        )
        end = tl.day_end_many_ns(self.calendar, last)
        return (tl.elapsed_many_ns(self.calendar, t * k, end)) // k


def _rows(mask: Bool) -> list[Any]:
    return [int(i) for i in np.flatnonzero(mask)[:5]]


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
