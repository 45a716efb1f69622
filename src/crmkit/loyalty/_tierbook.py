"""The tier half of the ledger's fold: a member's tier trackers, brought up to date lazily.

:class:`TierBook` is the base of the ledger's :class:`~crmkit.loyalty._ledger.Book`: the
fold appends qualifying postings (``qualifying``) as it goes, and a tracker per ladder
takes the new ones only when something reads a tier (an earning rule, a catalogue price,
rule 5's expiry, the state at ``as_of``). The lot half (:class:`~crmkit.loyalty._lots.LotBook`)
reads the tier here for tier-dependent expiry, so this class sits below it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmkit.loyalty._ledger import Book
    from crmkit.loyalty._lots import Qualifying
    from crmkit.loyalty._program import CompiledProgram, Program
    from crmkit.loyalty._tiers import TierLadder, TierStatus
    from crmkit.loyalty._tracker import TierTracker

__all__ = ["TierBook"]


class TierBook:
    """Tier trackers of one member's fold (internal; set up by the ledger's ``Book``).

    Declares what its methods read: the book's program and zone, the qualifying postings
    the fold appends, the primary ladder's tracker and how many postings it has taken,
    the other ladders' trackers, the member's first instant, and the primary book (on
    another currency's book, whose tiers are the primary book's).
    """

    program: Program
    compiled: CompiledProgram
    zone: dt.tzinfo
    qualifying: list[Qualifying]
    tier: TierTracker | None
    tier_posted: int
    side: dict[str, tuple[TierTracker, int]]
    first: dt.datetime | None
    parent: Book | None  # the primary book (on another currency's book)

    def ladder_statuses(self, at: dt.datetime) -> dict[str, TierStatus]:
        """Every ladder's status at ``at`` by ladder name, the primary first."""
        if self.parent is not None:
            return self.parent.ladder_statuses(at)
        names = iter(self.compiled.ladders)
        out = {next(names): self.tier_status(at)}
        for name in names:
            out[name] = self._side_tracker(name, at).status(at)
        return out

    def ladder_tiers(self, at: dt.datetime) -> dict[str, str]:
        """Every ladder's tier at ``at`` by ladder name (as :meth:`ladder_statuses`, names only)."""
        if self.parent is not None:
            return self.parent.ladder_tiers(at)
        names = iter(self.compiled.ladders)
        out = {next(names): self._tracker_at(at)._tier_at(at)}
        for name in names:
            out[name] = self._side_tracker(name, at)._tier_at(at)
        return out

    def _side_status(self, name: str, at: dt.datetime) -> TierStatus:
        """A non-primary ladder's status at ``at`` (as :meth:`tier_status`)."""
        return self._side_tracker(name, at).status(at)

    def _side_tracker(self, name: str, at: dt.datetime) -> TierTracker:
        """A non-primary ladder's tracker, every qualifying posting so far posted (as :meth:`_tracker_at`)."""
        postings = self.qualifying
        found = self.side.get(name)
        if found is None:
            tracker, kept = self._new_tracker(self.compiled.ladders[name], at)
            if not kept:
                return tracker
            posted = 0
        else:
            tracker, posted = found
            if posted == len(postings):
                return tracker
        tracker._post_many(postings[posted:])
        self.side[name] = (tracker, len(postings))
        return tracker

    def tier_status(self, at: dt.datetime) -> TierStatus:
        """The primary ladder's status at ``at`` (never before the last event), posting what is new."""
        return self._tracker_at(at).status(at)

    def tier_tracker(self, at: dt.datetime) -> TierTracker:
        """The primary ladder's tracker brought up to ``at``: what :meth:`tier_status` reads.

        Read the tier held at ``at`` and when it is next looked at off it
        (``TierTracker._span_at``) instead of building a status. A tracker already
        past ``at`` (another currency's book, or a lot's expiry due before the event that
        moved it) stays where it is and answers from its history.
        """
        tracker = self._tracker_at(at)
        tracker._reach(at)
        return tracker

    def _tracker_at(self, at: dt.datetime) -> TierTracker:
        """The primary ladder's tracker with every qualifying posting so far posted.

        Not yet moved to ``at`` (:meth:`TierTracker.status` or :meth:`TierTracker._tier_at`
        does it). With no enrolment and no qualifying posting yet, a fresh tracker starting
        at ``at`` that the book does not keep.
        """
        if self.parent is not None:
            return self.parent._tracker_at(at)
        postings = self.qualifying
        tracker = self.tier
        if tracker is None:
            ladder = self.compiled.ladder
            assert ladder is not None
            tracker, kept = self._new_tracker(ladder, at)
            if not kept:
                return tracker
            self.tier = tracker
        if self.tier_posted != len(postings):
            tracker._post_many(postings[self.tier_posted :])
            self.tier_posted = len(postings)
        return tracker

    def _new_tracker(self, ladder: TierLadder, at: dt.datetime) -> tuple[TierTracker, bool]:
        """A new tracker of ``ladder`` for this member, and whether the book keeps it.

        The member's tier clock starts at their first event (an enrolment, or a first
        purchase, adjustment, ... before any enrolment): from then on they hold the base
        tier. A fact of the events, not of when the tier is first read, nor of when the
        first qualifying posting lands (a purchase whose points are still pending posts
        its qualifying credit only when they become available). Before any event, a
        tracker starting at ``at`` answers the read and is not kept.
        """
        first = self.first
        return ladder.tracker(
            at if first is None else first,
            timezone=self.zone,
            point_decimals=self.program.point_decimals,
        ), first is not None
