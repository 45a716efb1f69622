"""Running totals per period: what caps and use limits read, kept as the fold goes.

:meth:`EarningScheme.period_to_date <crmkit.loyalty.EarningScheme.period_to_date>` and
:meth:`~crmkit.loyalty.EarningScheme.uses_to_date` scan a member's whole history for the
period of one order; a fold that asked them at every purchase scanned the history again
each time (a capped program replayed ten times slower than an uncapped one).
:class:`PeriodTotals` keeps the same sums as entries arrive: each entry is added, once, to
the total of the period holding its local day, so reading the totals of the period of
an order is a lookup. The periods are those of :func:`crmkit.loyalty._rules._period_of`
(the library's one definition of calendar periods and membership years); the tests hold
the totals equal to the scans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from crmkit.loyalty._rules import _membership_year
from crmkit.loyalty._rules_util import MEMBERSHIP_YEAR, period_bounds

__all__ = ["PeriodTotals"]


class PeriodTotals:
    """Sums of ``(local day, counter, value)`` entries per counter and period (internal).

    ``freqs`` maps each counter to its period: a cap's counter is its ``freq``, a use
    limit's the rule id (its ``uses_freq``). Membership years start at ``anchor`` (the
    local date of the member's enrolment, or of their first event); when the anchor moves
    (an enrolment after earlier events), the membership-year totals are summed again
    from the entries kept, leaving out entries before it (as the scan does: they fall in
    no membership year from the new anchor on).

    Examples:
        >>> totals = PeriodTotals({"month": "month", "membership_year": "membership_year"})
        >>> totals.add(dt.date(2025, 3, 20), ("month", "membership_year"), 300)
        >>> totals.add(dt.date(2025, 4, 2), ("month", "membership_year"), 200)
        >>> totals.current(dt.date(2025, 4, 9), anchor=dt.date(2025, 3, 15))
        {'month': 200, 'membership_year': 500}
    """

    __slots__ = ("anchor", "entries", "freqs", "totals")

    def __init__(self, freqs: Mapping[str, str]) -> None:
        self.freqs = dict(freqs)
        self.anchor: dt.date | None = None
        self.entries: list[tuple[dt.date, str, int]] = []
        self.totals: dict[tuple[str, dt.date], int] = {}

    def _start(self, day: dt.date, freq: str) -> dt.date | None:
        """The first day of the period ``freq`` holding ``day`` (None: before the anchor)."""
        if freq != MEMBERSHIP_YEAR:
            return period_bounds(day, freq)[0]
        anchor = self.anchor
        if anchor is None or day < anchor:
            return None
        return _membership_year(day, anchor)[0]

    def add(self, day: dt.date, counters: tuple[str, ...], value: int) -> None:
        """Add ``value`` to each of ``counters`` in the period holding local day ``day``."""
        totals = self.totals
        for counter in counters:
            self.entries.append((day, counter, value))
            start = self._start(day, self.freqs[counter])
            if start is not None:
                key = (counter, start)
                totals[key] = totals.get(key, 0) + value

    def current(self, day: dt.date, *, anchor: dt.date | None) -> dict[str, int]:
        """Each counter's total in the period holding local day ``day``.

        ``anchor``: where membership years start now (None when no counter needs one).
        """
        if anchor != self.anchor:
            self._move_anchor(anchor)
        totals = self.totals
        out: dict[str, int] = {}
        for counter, freq in self.freqs.items():
            start = self._start(day, freq)
            out[counter] = 0 if start is None else totals.get((counter, start), 0)
        return out

    def _move_anchor(self, anchor: dt.date | None) -> None:
        """Membership years start at ``anchor`` from now on: their totals summed again."""
        self.anchor = anchor
        mine = {c for c, f in self.freqs.items() if f == MEMBERSHIP_YEAR}
        if not mine:
            return
        totals = {key: v for key, v in self.totals.items() if key[0] not in mine}
        for day, counter, value in self.entries:
            if counter in mine:
                start = self._start(day, MEMBERSHIP_YEAR)
                if start is not None:
                    key = (counter, start)
                    totals[key] = totals.get(key, 0) + value
        self.totals = totals
