"""Yearly bonuses: points the calendar credits without a purchase (birthdays, anniversaries).

A :class:`~crmkit.loyalty.YearlyBonus` rule is not earned by an event: the ledger's fold
credits it when its clock passes local midnight of the member's birthday (or of an
enrolment anniversary) in the program's time zone. :class:`YearlyBonuses` is the part of
the ledger's :class:`~crmkit.loyalty._ledger.Book` that does it: whenever the fold moves
forward (before each event, and to ``as_of`` at the end) it credits every bonus due up to
that instant, in time order, after activating and expiring the lots due by then. The
instants depend only on the events (the birth date and when it became known, the
enrolment), so an incremental :meth:`~crmkit.loyalty.Program.apply` and a full replay
credit the same bonuses at the same instants.

With several point currencies the primary book credits the bonuses of every currency's
book, in time order, before the event at hand changes anything (so the tier a bonus reads
is the tier at its instant).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from crmkit.loyalty._reversals import ReversalBook
from crmkit.loyalty._rules import MemberContext, YearlyBonus
from crmkit.loyalty._rules_util import midnight

if TYPE_CHECKING:
    from crmkit.loyalty._ledger import Book

__all__ = ["YearlyBonuses"]

_UTC = dt.UTC


class YearlyBonuses(ReversalBook):
    """Credit the yearly bonuses due as the fold's clock moves (internal; see the module).

    The state is set up by :meth:`setup_yearly` (the book calls it when built); birth dates
    are set through :meth:`set_birth_date` so that the fold knows when they became known.
    """

    # Set up by the ledger's Book.
    birth_date: dt.date | None
    enrolled_at: dt.datetime | None
    subs: dict[str, Book]  # the other currencies' books (on the primary book)
    # This module's state.
    yearly: tuple[YearlyBonus, ...]
    yearly_any: bool
    yearly_due: dt.datetime | None
    yearly_key: tuple[Any, ...] | None
    yearly_after: dt.datetime | None
    yearly_given: frozenset[tuple[str, int]]
    birth_known: dt.datetime | None

    def setup_yearly(self) -> None:
        """This book's yearly bonuses, and whether any book of the member has some."""
        self.yearly = self.scheme.yearly_bonuses
        earning = self.program.earning
        schemes = earning.values() if isinstance(earning, dict) else (earning,)
        self.yearly_any = any(scheme.yearly_bonuses for scheme in schemes)
        self.yearly_due = None
        self.yearly_key = None
        self.yearly_after = None
        self.yearly_given = frozenset()
        self.birth_known = None

    def set_birth_date(self, born: dt.date) -> None:
        """Record the member's birth date, and (when it changes) that it is known from now."""
        if born != self.birth_date:
            self.birth_date = born
            self.birth_known = self.now

    def advance(self, to: dt.datetime) -> None:
        """Credit the yearly bonuses due up to ``to``, then activate and expire lots."""
        if self.yearly_any:
            self._credit_until(to)
        self.advance_lots(to)

    # -- internals -----------------------------------------------------------------------
    def _credit_until(self, to: dt.datetime) -> None:
        books = [self] if self.parent is not None else [self, *self.subs.values()]
        while True:
            due: dt.datetime | None = None
            for book in books:
                when = book._next_due()
                if when is not None and (due is None or when < due):
                    due = when
            if due is None or due > to:
                return
            for book in books:  # everything due before the bonus happens first
                book.advance_lots(due)
            for book in books:
                if book._next_due() == due:
                    book._credit(due)

    def _next_due(self) -> dt.datetime | None:
        """The next instant (UTC) one of this book's yearly bonuses falls due (cached)."""
        if not self.yearly:
            return None
        key = (self.birth_date, self.birth_known, self.enrolled_at, self.yearly_after)
        if key != self.yearly_key:
            self.yearly_key = key
            self.yearly_due = self._due_after()
        return self.yearly_due

    def _due_after(self) -> dt.datetime | None:
        best: dt.datetime | None = None
        zone = self.zone
        enrolled = None if self.enrolled_at is None else self.enrolled_at.astimezone(zone)
        for rule in self.yearly:
            floor = self._floor(rule)
            if floor is None:
                continue
            first = floor.astimezone(zone).year
            for year in range(first, first + 3):
                day = rule.day_in(
                    year, self.birth_date, None if enrolled is None else enrolled.date()
                )
                if day is None:
                    continue
                when = midnight(day, zone).astimezone(_UTC)
                if self._eligible(rule, when):
                    if best is None or when < best:
                        best = when
                    break
        return best

    def _floor(self, rule: YearlyBonus) -> dt.datetime | None:
        """The instant a bonus of ``rule`` must come after (None: never, nothing known)."""
        if rule.on == "birthday":
            start = self.birth_known if self.birth_date is not None else None
        else:
            start = self.enrolled_at
        if start is None:
            return None
        after = self.yearly_after
        return start if after is None or after < start else after

    def _eligible(self, rule: YearlyBonus, when: dt.datetime) -> bool:
        """Whether a bonus of ``rule`` at instant ``when`` is allowed by what is known."""
        floor = self._floor(rule)
        if floor is None or when <= floor:
            return False
        if rule.on == "birthday" and rule.notice_days:
            assert self.birth_known is not None
            return when >= self.birth_known + dt.timedelta(days=rule.notice_days)
        return True

    def _credit(self, due: dt.datetime) -> None:
        """Credit every bonus of this book due at ``due``."""
        zone = self.zone
        day = due.astimezone(zone).date()
        enrolled = None if self.enrolled_at is None else self.enrolled_at.astimezone(zone).date()
        member: MemberContext | None = None
        credit: list[YearlyBonus] = []
        for rule in self.yearly:
            if rule.day_in(day.year, self.birth_date, enrolled) != day:
                continue
            if not self._eligible(rule, due) or (rule.id, day.year) in self.yearly_given:
                continue
            if rule.when.tiers or rule.when.windows:
                if member is None:
                    member = self._member_at(due)
                if not rule.when.matches_order(day, "", member):
                    continue
            credit.append(rule)
        self.yearly_after = due
        if not credit:
            return
        saved = self.now, self.local_day
        self.now, self.local_day = due, None
        try:
            scale = 10**self.scheme.point_decimals
            for rule in credit:
                lot_id = f"{rule.id}@{day.year}"
                points = rule.points * scale
                self.yearly_given = self.yearly_given | {(rule.id, day.year)}
                self._new_lot(lot_id, "yearly", rule.id, points, None)
                self._post(due, "earn", points, lot_id, lot_id, rule.id)
                self._repay(due, lot_id)
        finally:
            self.now, self.local_day = saved

    def _member_at(self, due: dt.datetime) -> MemberContext:
        """The tiers held at ``due`` (after any change at that instant)."""
        tiers = self.program.tiers
        if tiers is None:
            return MemberContext()
        if isinstance(tiers, dict):
            statuses = self.ladder_statuses(due)
            first = next(iter(statuses.values())).tier
            named = tuple(f"{name}:{status.tier}" for name, status in statuses.items())
            return MemberContext(tier=first, ladder_tiers=named)
        return MemberContext(tier=self.tier_tracker(due).tier)
