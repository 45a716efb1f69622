"""The points ledger: one member's events folded into lots, debits and reversals.

A member's events are folded in time order by :class:`Book`, which dispatches each event
(enrolment, purchase, redemption, adjustment, refund, cancellation) and keeps the tier
status. The lots half of the fold (earn, consume, activate, expire) is
:class:`~crmkit.loyalty._lots.LotBook`; the reversals half (refunds, cancellations) is
:class:`~crmkit.loyalty._reversals.ReversalBook`. Per lot, always::

    amount = remaining + spent + expired + reversed + forfeited

and therefore, summed over the member (the conservation law the tests hold)::

    credited = available + pending + spent + expired + reversed + forfeited

``debt`` (the ``"debt"`` shortfall policy) is the part of a reversal not yet taken back;
it is repaid first from the next points that become available, and while it is open the
member has nothing available.

Replay order: events are sorted by ``(time, kind rank, event_id)``; the kind rank puts an
enrolment before a profile update, an adjustment, a purchase, a redemption, a refund and a
cancellation at the same instant, so the result never depends on the order events arrive in.
"""

from __future__ import annotations

import datetime as dt
import decimal
import operator
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

from crmkit.errors import InsufficientPointsError, InvalidInputError, LedgerError
from crmkit.loyalty._engine import Earner
from crmkit.loyalty._events import (
    EVENT_CLASSES,
    Adjust,
    CancelRedemption,
    Enroll,
    Event,
    Purchase,
    Redeem,
    Refund,
    TierGrant,
)
from crmkit.loyalty._expiry import ExpiryPolicy
from crmkit.loyalty._lots import _FAR, _NO_LOT_EXPIRY, Lot, Posting, Qualifying, _Debit, _Lot
from crmkit.loyalty._periods import PeriodTotals
from crmkit.loyalty._reversals import _Bought
from crmkit.loyalty._rules import EarningResult, EarningScheme, MemberContext, _to_period_points
from crmkit.loyalty._rules_util import unchecked
from crmkit.loyalty._tender import TenderPolicy
from crmkit.loyalty._tracker import TierTracker
from crmkit.loyalty._yearly import YearlyBonuses

if TYPE_CHECKING:
    from crmkit.loyalty._milestones import Milestone
    from crmkit.loyalty._privileges import Privilege
    from crmkit.loyalty._program import Program

__all__ = ["Book", "FifoBook", "Lot", "Posting", "sort_events"]

_UTC = dt.UTC
_ZERO = Decimal(0)


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Drop repeated events and sort the rest into replay order.

    Order is ``(time, kind rank, event_id)``: at the same instant an enrolment comes first,
    then a profile update, an adjustment, a purchase, a redemption, a refund and a
    cancellation; ties left are broken by ``event_id``. A repeated ``event_id`` with the
    same content is dropped (idempotent); with different content it is a
    :class:`~crmkit.errors.LedgerError`.

    Args:
        events: Any iterable of event objects, in any order.

    Returns:
        A new list in replay order.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust
        >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        >>> a, b = Adjust("b", t, points=1, reason="x"), Adjust("a", t, points=1, reason="x")
        >>> [e.event_id for e in sort_events([a, b, a])]
        ['a', 'b']
    """
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable):
        raise InvalidInputError(
            "replay()",
            "events",
            expected="an iterable of crmkit.loyalty event objects (a list)",
            found="None" if events is None else type(events).__name__,
            kind="",
        )
    events = list(events)
    if EVENT_TYPES.issuperset(map(type, events)) and len(set(map(_EVENT_ID, events))) == len(
        events
    ):
        # Event objects with distinct ids (the common case): nothing to check one by one.
        times = list(map(_TIME, events))
        if all(map(operator.lt, times, times[1:])):
            # Strictly increasing times (the common case again) decide the order alone:
            # the list is in replay order already, and no key tuples are built.
            return events
        return sorted(events, key=_key)
    seen: dict[str, Event] = {}
    exact = EVENT_TYPES
    for event in events:
        if type(event) not in exact and not isinstance(event, _EVENT_TYPES):
            raise InvalidInputError(
                "replay()",
                "events",
                expected="crmkit.loyalty event objects",
                found=type(event).__name__,
                kind="",
                hint="Build events with Purchase(...), Refund(...), ... or event_from_dict().",
            )
        known = seen.get(event.event_id)
        if known is None:
            seen[event.event_id] = event
        elif known != event:
            raise LedgerError(
                f"{type(event).__name__} {event.event_id!r}",
                "event_id",
                expected="unique, or repeated with identical content",
                found=f"a different {known.kind} event with the same id",
            )
    return sorted(seen.values(), key=_key)


_EVENT_TYPES = EVENT_CLASSES
#: The event classes (for an exact type check on the hot path of ``Program.apply``).
EVENT_TYPES = frozenset(_EVENT_TYPES)
#: Replay order of an event: ``(time, rank, event_id)``.
_key: Callable[[Event], tuple[dt.datetime, int, str]] = operator.attrgetter(
    "time", "rank", "event_id"
)
_EVENT_ID: Callable[[Event], str] = operator.attrgetter("event_id")
_TIME: Callable[[Event], dt.datetime] = operator.attrgetter("time")


class Book(YearlyBonuses):
    """The mutable fold of one member's events under a program (internal)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        compiled = self.compiled = program.compile()
        # Bumped whenever Program.apply advances this book in place: the states read
        # from it before then rebuild from their own events.
        self.generation = 0
        # Several point currencies: the program the member's events are replayed under
        # (``program`` is then its one-currency program of this book's currency), this
        # book's currency, the other currencies' books (on the primary book) and the
        # primary book (on the others; it keeps the tiers).
        self.owner = program
        self.currency = compiled.primary_points
        self.subs = {}
        self.parent = None
        # Event class -> handler; a primary book with other currencies' books fans out.
        self.handlers = _HANDLERS
        self.zone = program.zone
        self.lots: dict[str, _Lot] = {}
        self.debits: dict[str, _Debit] = {}
        self.bought: dict[str, _Bought] = {}
        # Postings as plain tuples (the fields of Posting); the snapshot builds the objects.
        # The fold never reads them back: a fold whose postings nobody reads (a
        # ``replay_many`` row) does not record them (``journal`` False).
        self.postings: list[tuple[Any, ...]] = []
        self.journal = True
        # Qualifying changes as plain tuples (``_lots.Qualifying``); QualifyingPosting
        # objects are built only for the snapshot.
        self.qualifying: list[Qualifying] = []
        self.rejected: list[tuple[str, str]] = []
        self.failed: Event | None = None  # the event whose arithmetic raised (run)
        self.events: list[Event] = []
        self.event_ids: dict[str, Event] = {}
        self.last: Event | None = None
        # The first instant something falls due (LotBook.next_due, kept by the fold); a
        # book with yearly bonuses looks at every event (their due dates move with it).
        self.due = _FAR
        # Pending lots in activation order: only purchases make pending lots, each
        # ``pending_days`` after an instant never before the last, so a queue, not a heap.
        self.activations: deque[_Lot] = deque()
        self.expiries: list[tuple[dt.datetime, str]] = []
        self.deadline: dt.datetime | None = None  # inactivity policy
        self.queue: list[_Lot] = []  # usable lots with points left, in consumption order
        self.queue_keys: list[tuple[dt.datetime, dt.datetime, str]] = []
        self.expiry_cache = compiled.expiry_cache
        # The (one) point currency this book keeps: its scheme and policy.
        self.scheme: EarningScheme = compiled.scheme
        self.earner: Earner = compiled.earner
        self.policy: ExpiryPolicy = compiled.policy
        self.expiry_kind = self.policy.kind
        self.pending_delta = (
            dt.timedelta(days=program.pending_days) if program.pending_days else None
        )
        # Read once per book, not per event (scheme properties walk the rules).
        self.uses_limits = self.scheme.uses_limits
        # The points earned per order are read only by period caps: their running totals
        # per period (what EarningScheme.period_to_date sums), and the orders each limited
        # rule gave points to, for max_uses (rule 10; uses_to_date).
        self.uses_caps = bool(self.scheme.caps)
        self.cap_totals = PeriodTotals({cap.freq: cap.freq for cap in self.scheme.caps})
        self.use_totals = PeriodTotals(
            {rule.id: rule.uses_freq for rule in self.scheme.rules if rule.max_uses is not None}
        )
        self.money_quantum = program.money_quantum
        self.threshold_bonuses = self.scheme._engine().threshold_bonuses
        self.defer_qualifying = (
            self.pending_delta is not None and not program.count_pending_for_tier
        )
        self.inactivity = self.expiry_kind == "inactivity"
        self.expiry_by_day = not (self.expiry_kind in _NO_LOT_EXPIRY or self.policy.by_tier)
        self.available = 0
        self.pending = 0
        self.debt = 0
        self.credited = 0
        self.cash_offset = _ZERO
        self.enrolled_at: dt.datetime | None = None
        self.enrolled_local: dt.datetime | None = None  # the same, in the program's zone
        self.birth_date: dt.date | None = None
        self.orders = 0
        self.skip_errors = False
        self.now = _FAR  # the instant of the event being applied, in UTC
        # The instant of the member's first event (UTC): the tier clock starts there.
        self.first: dt.datetime | None = None
        self.local_day: dt.date | None = None  # its local date, when known without converting
        # Tier status, brought up to date lazily (only when something needs the tier).
        self.tier: TierTracker | None = None
        self.tier_posted = 0
        # The other ladders of a program with several (ladder name -> tracker, posted).
        self.side: dict[str, tuple[TierTracker, int]] = {}
        # The limits on paying with this book's currency (set by Program._new_book).
        self.tender: TenderPolicy | None = None
        self.setup_yearly()  # birthday and anniversary bonuses (_yearly)
        # Milestone bonuses (_milestones; credited by the primary book only): the
        # qualifying postings looked at so far, the window start of the primary ladder
        # they were counted in, and the awards given in that window per milestone.
        self.milestones: tuple[Milestone, ...] = program.milestones
        self.milestone_seen = 0
        self.milestone_window: dt.datetime | None = None
        self.milestone_given: dict[str, int] = {}

    # -- events --------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Fold one more event (an event already applied with the same content: nothing)."""
        known = self.event_ids.get(event.event_id)
        if known is not None:
            if known != event:
                raise LedgerError(
                    f"{type(event).__name__} {event.event_id!r}",
                    "event_id",
                    expected="unique, or repeated with identical content",
                    found=f"a different {known.kind} event with the same id",
                )
            return
        self.step(event)
        self.record(event)

    def record(self, event: Event) -> None:
        """Remember ``event`` as applied (after :meth:`step` folded it)."""
        self.event_ids[event.event_id] = event
        self.events.append(event)
        self.last = event

    def record_all(self, events: list[Event]) -> None:
        """Remember ``events``, in replay order, as applied (each folded by :meth:`step`)."""
        if events:
            self.event_ids.update(zip(map(_EVENT_ID, events), events, strict=True))
            self.events.extend(events)
            self.last = events[-1]

    def step(self, event: Event, now: dt.datetime | None = None) -> None:
        """Fold ``event``, not yet applied and not before the last one; :meth:`record` it next.

        :meth:`apply` checks and records one event; ``now``: ``event.time`` in UTC, when
        the caller has it already. The fold itself is :meth:`run`'s.
        """
        self.run((event,), (event.time.astimezone(_UTC) if now is None else now,))

    def run(self, events: Sequence[Event], instants: Sequence[dt.datetime] | None = None) -> None:
        """Fold ``events``: in replay order, told apart, none applied yet, none before the last.

        A replay runs a member's sorted events (:func:`sort_events`) through here at once
        and records them all after (:meth:`record_all`); :meth:`step` runs one.
        ``instants``: the events' times in UTC, in the same order, when the caller has them
        (``replay_many`` converts whole columns at once). An arithmetic error leaves the
        event that raised it in ``failed``.
        """
        if instants is None:
            instants = [event.time.astimezone(_UTC) for event in events]
        zone = self.zone
        handlers = self.handlers
        # (Read once per run, not per event: the bound methods and the book's flags.)
        advance = self.advance if self.yearly_any else self.advance_lots
        yearly = self.yearly_any
        milestones = bool(self.milestones) and self.parent is None
        inactivity = self.inactivity
        event: Event | None = None
        try:
            for event, now in zip(events, instants, strict=True):
                time = event.time
                self.now = now  # one zone inside: exact comparisons
                if self.first is None:
                    self.first = now
                self.local_day = time.date() if time.tzinfo is zone else None
                if now >= self.due or yearly:
                    advance(now)
                    if milestones:  # pending points that became available count now
                        self.award_milestones()
                try:
                    handler = handlers.get(type(event))
                    if handler is not None:
                        handler(self, event)
                    elif not self.subs or self._fan_out(event):
                        self._dispatch(event)
                except LedgerError as err:
                    if not self.skip_errors:
                        raise
                    self.rejected.append((event.event_id, str(err)))
                if milestones:
                    self.award_milestones()
                if inactivity and self.policy.counts_as_activity(
                    event.kind, getattr(event, "reason", "")
                ):
                    deadline = self.policy.expires_at(now, zone)
                    assert deadline is not None
                    self.deadline = deadline = deadline.astimezone(_UTC)
                    self.due = min(self.due, deadline)
        except decimal.DecimalException:
            self.failed = event
            raise

    def advance_all(self, to: dt.datetime) -> None:
        """:meth:`advance` this book and the other currencies' books."""
        self.advance(to)
        for sub in self.subs.values():
            sub.advance(to)
        if self.milestones and self.parent is None:
            self.award_milestones()

    # -- milestone bonuses (see crmkit.loyalty._milestones) --------------------------------
    def award_milestones(self) -> None:
        """Credit the milestone bonuses the qualifying postings not looked at yet reach.

        Each new posting goes to the primary ladder's tracker on its own and the window
        counters are read after it, so a bonus is credited at the instant of the posting
        that reaches its mark. Postings the tracker took before (a tier read inside the
        same event) are read together, at the last one's instant. Called after every
        event and every advance of the fold: the same postings in the same order in a
        replay and event by event (``Program.apply``).
        """
        postings = self.qualifying
        count = len(postings)
        if self.milestone_seen == count:
            return
        tracker = self.tier
        if tracker is None:
            ladder = self.compiled.ladder
            assert ladder is not None  # (Program refuses milestones without tiers)
            tracker, _ = self._new_tracker(ladder, postings[0][0])
            self.tier = tracker
        posted = self.tier_posted
        if posted > self.milestone_seen:
            self._reach_milestones(tracker, postings[posted - 1][0])
        while posted < count:
            tracker._post_many(postings[posted : posted + 1])
            posted += 1
            self.tier_posted = posted
            self._reach_milestones(tracker, postings[posted - 1][0])
        self.milestone_seen = count

    def _reach_milestones(self, tracker: TierTracker, at: dt.datetime) -> None:
        """Credit, at ``at``, the awards the tracker's window counters reach and not given yet."""
        window = tracker._wstart
        restarted = tracker._restarted
        if restarted is not None and restarted > window:
            window = restarted  # downgrade="to_base": the counters started over then
        if window != self.milestone_window:
            self.milestone_window = window
            self.milestone_given = {}
        counts = tracker._counts
        metrics = tracker._metrics
        decimals = self.scheme.point_decimals
        scale = 10**decimals
        given = self.milestone_given
        for milestone in self.milestones:
            value = counts[metrics.index(milestone.metric)]
            if milestone.metric == "points" and decimals:
                value = Decimal(value).scaleb(-decimals)
            reached = milestone.reached(value)
            before = given.get(milestone.id, 0)
            if reached <= before:
                continue
            given[milestone.id] = reached
            saved = self.now, self.local_day
            self.now, self.local_day = at, None
            try:
                day = window.date().isoformat()
                points = milestone.points * scale
                for award in range(before + 1, reached + 1):
                    lot_id = f"{milestone.id}@{day}#{award}"
                    self._new_lot(lot_id, "milestone", milestone.id, points, None)
                    self._post(at, "earn", points, lot_id, lot_id, milestone.id)
                    self._repay(at, lot_id)
            finally:
                self.now, self.local_day = saved

    def _currency_of(self, event: Redeem | Adjust) -> str:
        if event.currency is not None:
            return event.currency
        if isinstance(event, Redeem):
            return self.owner.compile().reward_currency.get(event.reward, self.currency)
        return self.currency

    def _fan_out(self, event: Event) -> bool:
        """Several currencies: pass ``event`` to the books it concerns (before this one).

        Redemptions and adjustments go to their currency's book, a cancellation to the
        book holding the redemption; everything else goes to every book (each earns,
        reverses and counts activity under its own rules). Returns whether this (the
        primary) book applies the event too. The other books see an event only after
        every check that could reject it here, so a rejected event changes no book.
        """
        subs = self.subs
        if isinstance(event, Redeem | Adjust):
            name = self._currency_of(event)
            if name == self.currency:
                return True
            book = subs.get(name)
            if book is None:
                raise LedgerError(
                    f"{type(event).__name__} {event.event_id!r}",
                    "currency",
                    expected=f"one of the point currencies {list(self.owner.point_currencies)}",
                    found=repr(name),
                )
            book.apply(event)
            return False
        if isinstance(event, CancelRedemption):
            if event.redemption_id not in self.debits:
                for book in subs.values():
                    if event.redemption_id in book.debits:
                        book.apply(event)
                        return False
            return True
        if isinstance(event, Purchase) and event.tenders:
            # Every book's points tender is checked before any book changes (rule 11),
            # each book brought to the event's instant first: lots that become usable
            # (or expire) at that very instant count, as in the book's own events.
            self._check_tender(event)
            for book in subs.values():
                book.advance(self.now)
                book._check_tender(event)
        for book in subs.values():
            book.apply(event)
        return True

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, Purchase):
            self._purchase(event)
        elif isinstance(event, Refund):
            self._refund(event)
        elif isinstance(event, Redeem):
            self._redeem(event)
        elif isinstance(event, CancelRedemption):
            self._cancel(event)
        elif isinstance(event, Adjust):
            self._adjust(event)
        elif isinstance(event, Enroll):
            self._enroll(event)
        elif isinstance(event, TierGrant):
            self._grant(event)
        elif event.birth_date is not None:
            self.set_birth_date(event.birth_date)

    def _enroll(self, event: Enroll) -> None:
        if self.enrolled_local is not None:
            raise LedgerError(
                f"Enroll {event.event_id!r}",
                "member",
                expected="enrolled once",
                found=f"an earlier enrolment at {self.enrolled_local.isoformat()}",
            )
        self.enrolled_at = self.now
        self.enrolled_local = self.now.astimezone(self.zone)
        if event.birth_date is not None:
            self.set_birth_date(event.birth_date)
        result = self.scheme.enrollment_points(self.now, timezone=self.zone)
        if result.points > 0:
            self._new_lot(event.event_id, "enroll", _rules_of(result), result.points, None)
            for rule, points in result.rule_points:
                if points:
                    self._post(self.now, "earn", points, event.event_id, event.event_id, rule)
            self._repay(self.now, event.event_id)

    def _purchase(self, event: Purchase) -> None:
        now = self.now
        event_id = event.event_id
        tender_points = 0
        earner = self.earner
        tier = None
        privileges: tuple[Privilege, ...] = ()
        if event.tenders:
            tender_points = self._check_tender(event)
            earned = earner.earn(event, self._context, self.zone)
        elif earner.plain:
            earned = earner.plain_order(event.lines)
        elif earner.tiered:
            tier, privileges = self._held()
            privileges = tuple([p for p in privileges if p.kind == "earning_multiplier"])
            earned = earner.tier_order(event.lines, tier, privileges)
        else:
            earned = earner.earn(event, self._context, self.zone)
        points, base, rule_points = earned[0], earned[1], earned[2]
        # Qualifying points: rules with ``qualifying=False`` earn but do not qualify.
        qualifying = earned[6]
        if self.uses_limits and earned[3] is not None:
            # Which limited rules this order used (max_uses, rule 10).
            limited = self.use_totals.freqs
            used = tuple(rule for rule, _ in rule_points if rule in limited)
            if used:
                self.use_totals.add(self._today(), used, 1)
        bought = _Bought(event, earned, earner)
        if earner.tiered:  # what its explanation is built for, on read
            bought.tier, bought.privileges = tier, privileges
        self.bought[event_id] = bought
        self.orders += 1
        if tender_points:
            debit = self._debit(event, "tender", tender_points, "points tender")
            bought.tender = event_id
            self._post(now, "tender", -tender_points, event_id, None, "tender", debit.allocations)
        if points > 0:
            if len(rule_points) == 1:
                rules = rule_points[0][0]
            else:
                rules = ",".join(rule for rule, part in rule_points if part)
            delta = self.pending_delta
            lot = self._new_lot(
                event_id, "purchase", rules, points, None if delta is None else now + delta
            )
            bought.lot = event_id
            if self.journal:
                postings = self.postings
                for rule, part in rule_points:
                    if part:
                        postings.append((now, "earn", part, event_id, event_id, rule, (), None))
            if self.uses_caps:
                self.cap_totals.add(self._today(), tuple(self.cap_totals.freqs), points)
            if self.defer_qualifying:
                lot.deferred = (lot.activates_at, base, qualifying, 1, event.counts, None)
            else:
                self.qualifying.append((now, base, qualifying, 1, event.counts, None))
            if self.debt:
                self._repay(now, event_id)
        else:
            self.qualifying.append((now, base, qualifying, 1, event.counts, None))

    def _tender_points(self, event: Purchase) -> int:
        """The points ``event`` pays in this book's currency.

        A points tender without a currency pays in the primary one.
        """
        mine = self.currency
        primary = self.parent is None
        return sum(
            t.points
            for t in event.tenders
            if t.kind == "points" and (t.currency == mine or (primary and t.currency is None))
        )

    def _check_tender(self, event: Purchase) -> int:
        """This book's points tender of ``event``; unknown currencies and too few points raise."""
        if self.parent is None:
            known = self.owner.point_currencies
            for tender in event.tenders:
                if tender.currency is not None and tender.currency not in known:
                    raise LedgerError(
                        f"Purchase {event.event_id!r}",
                        "tenders",
                        expected=f"points tenders in the point currencies {list(known)}",
                        found=repr(tender.currency),
                    )
        if self.tender is not None:  # limits on paying with this currency (rule 11)
            self.tender.check(event, self.currency, primary=self.parent is None)
        points = self._tender_points(event)
        if points > self.available:
            raise InsufficientPointsError.for_amounts(
                f"Purchase {event.event_id!r}",
                available=self.available,
                requested=points,
                hint=f"The points tender needs that many {self.currency}.",
            )
        return points

    def _held(self) -> tuple[str | None, tuple[Privilege, ...]]:
        """The tier held now on the program's one ladder and the privileges it gives.

        The tracker is brought up to now without building a TierStatus; None and () without
        a ladder.
        """
        if self.program.tiers is None:
            return None, ()
        now = self.now
        tracker = self._tracker_at(now)
        tier = tracker._tier_at(now)
        privileges = self.compiled.privileges
        if privileges is None:
            return tier, ()
        return tier, privileges.active(tracker.history, as_of=now, timezone=self.zone)

    def _today(self) -> dt.date:
        """The local date of the event being folded (``now`` in the program's zone)."""
        day = self.local_day
        return day if day is not None else self.now.astimezone(self.zone).date()

    def _context(self, event: Purchase) -> MemberContext:
        compiled = self.compiled
        tier = None
        privileges: tuple[Any, ...] = ()
        ladder_tiers: tuple[str, ...] = ()
        if compiled.uses_tier and self.program.tiers is not None:
            # Only the tier names (and, with privileges, the tier histories) are read: the
            # trackers are brought up to now without building a TierStatus per purchase.
            now = self.now
            if isinstance(self.program.tiers, dict):
                if compiled.privileges is not None:
                    statuses = self.ladder_statuses(now)
                    names = {name: s.tier for name, s in statuses.items()}
                    privileges = compiled.privileges_at(statuses, as_of=now)
                else:
                    names = self.ladder_tiers(now)
                tier = next(iter(names.values()))
                ladder_tiers = tuple(f"{name}:{held}" for name, held in names.items())
            else:
                tier, privileges = self._held()
        # Membership years (caps, use limits) start at the enrolment or, for a member
        # without one so far, at the first event: where the tier clock starts (the primary
        # book's: another currency's book sees only the events of its currency).
        primary = self if self.parent is None else self.parent
        first = primary.first
        start = self.enrolled_at if self.enrolled_at is not None else first
        anchor = None
        if start is not None and self.scheme.uses_membership_year:
            anchor = start.astimezone(self.zone).date()
        # The running totals of the order's periods (what period_to_date and uses_to_date
        # sum from the whole history; the tests hold them equal).
        period_points: dict[str, int] = {}
        if self.uses_caps:
            period_points = self.cap_totals.current(self._today(), anchor=anchor)
        rule_uses: dict[str, int] = {}
        if self.uses_limits:
            rule_uses = self.use_totals.current(self._today(), anchor=anchor)
        # Built without re-checking: every value comes from the checked events and rules.
        return unchecked(
            MemberContext,
            birth_date=self.birth_date,
            enrolled_at=self.enrolled_at,
            membership_start=None if self.enrolled_at is not None else first,
            tier=tier,
            prior_orders=self.orders,
            period_points=_to_period_points(period_points),
            privileges=tuple(privileges),
            ladder_tiers=ladder_tiers,
            rule_uses=_to_period_points(rule_uses),
        )

    def _redeem(self, event: Redeem) -> None:
        if event.currency is not None and event.currency != self.currency:
            self._unknown_currency(event)
        points = event.points
        if points is None:
            points = self._price(event)
        debit = self._debit(
            event,
            "redeem",
            points,
            f"redemption of {event.reward!r}" if event.reward else "redemption",
        )
        self._post(
            self.now, "redeem", -points, event.event_id, None, event.reward, debit.allocations
        )

    def _price(self, event: Redeem) -> int:
        catalogue = self.program.catalogue
        # The book's program holds its own currency's rewards, prices only (ints).
        prices = cast("dict[str, int] | None", catalogue.get(event.reward))
        if prices is None:
            raise LedgerError(
                f"Redeem {event.event_id!r}",
                "reward",
                expected=f"a reward of the catalogue {sorted(catalogue)}",
                found=repr(event.reward),
                hint="Give points= explicitly for rewards outside the catalogue.",
            )
        tier = None
        program = self.program
        if isinstance(program.tiers, dict) and len(prices) > 1:
            held = self.ladder_tiers(self.now)
            tier = next(iter(held.values()))
            refs = self.compiled.refs
            matching = [
                price
                for key, price in prices.items()
                if key != "*" and held[refs[key][0]] == refs[key][1]
            ]
            if matching:
                return min(matching)
        elif program.tiers is not None and len(prices) > 1:
            tier = self._tracker_at(self.now)._tier_at(self.now)
        if tier is not None and tier in prices:
            return prices[tier]
        if "*" in prices:
            return prices["*"]
        raise LedgerError(
            f"Redeem {event.event_id!r}",
            "reward",
            expected=f"a price for tier {tier!r} or a '*' price",
            found=f"prices for {sorted(prices)}",
        )

    def _unknown_currency(self, event: Redeem | Adjust) -> None:
        raise LedgerError(
            f"{type(event).__name__} {event.event_id!r}",
            "currency",
            expected=f"one of the point currencies {list(self.owner.point_currencies)}",
            found=repr(event.currency),
        )

    def _adjust(self, event: Adjust) -> None:
        if event.currency is not None and event.currency != self.currency:
            self._unknown_currency(event)
        if event.points > 0:
            lot = self._new_lot(
                event.event_id, "adjust", event.reason, event.points, None, event.expires_at
            )
            self._post(self.now, "adjust", event.points, event.event_id, lot.lot_id, event.reason)
            self._repay(self.now, event.event_id)
        elif event.points:
            debit = self._debit(event, "adjust", -event.points, f"adjustment {event.reason!r}")
            self._post(
                self.now,
                "adjust",
                event.points,
                event.event_id,
                None,
                event.reason,
                debit.allocations,
            )
        if event.qualifies:
            # Status credit without an order (Delta's MQD head start): straight to the
            # tier counters, which the primary book keeps for every currency; after the
            # points part, so an adjustment the ledger refuses posts nothing.
            book = self.parent or self
            book.qualifying.append(
                (self.now, event.spend, event.qualifying_points, 0, event.counts, None)
            )

    def _grant(self, event: TierGrant) -> None:
        """A tier grant: to its ladder's tracker, every qualifying posting so far posted.

        The trackers are the primary book's: another currency's book does nothing.
        """
        if self.parent is not None:
            return
        owner = f"TierGrant {event.event_id!r}"
        ladders = self.compiled.ladders
        if not ladders:
            raise LedgerError(
                owner, "tier", expected="a program with a tier ladder", found="no tiers"
            )
        primary = next(iter(ladders))
        name = primary if event.ladder is None else event.ladder
        ladder = ladders.get(name)
        if ladder is None:
            raise LedgerError(
                owner,
                "ladder",
                expected=f"one of the program's ladders {list(ladders)}",
                found=repr(name),
            )
        if event.tier not in ladder.names[1:]:
            raise LedgerError(
                owner,
                "tier",
                expected=f"a tier above the base of ladder {name!r} {ladder.names[1:]}",
                found=repr(event.tier),
            )
        if event.target is not None:
            unknown = sorted(m for m in event.target.thresholds() if m not in ladder.metrics)
            if unknown:
                raise LedgerError(
                    owner,
                    "target",
                    expected=f"thresholds on the counters ladder {name!r} keeps {list(ladder.metrics)}",
                    found=f"thresholds on {unknown}",
                )
        now = self.now
        tracker = self._tracker_at(now) if name == primary else self._side_tracker(name, now)
        tracker.grant(now, event.tier, event.until, reason=event.reason, target=event.target)


#: Event class -> Book method (subclasses of event classes go through ``Book._dispatch``).
_HANDLERS: dict[type[Any], Any] = {
    Purchase: Book._purchase,
    Refund: Book._refund,
    Redeem: Book._redeem,
    CancelRedemption: Book._cancel,
    Adjust: Book._adjust,
    Enroll: Book._enroll,
    TierGrant: Book._grant,
}


class FifoBook(Book):
    """``Program(consumption="fifo")``: debits draw the oldest usable lots first (internal).

    The consumption queue is keyed ``(far future, earned_at, lot_id)``: the default key with
    every lot's expiry read as the same far date, so the earning time alone decides (the
    keys keep the default's shape). Everything that draws lots (``LotBook._draw``) follows
    the queue, so redemptions, points tenders, negative adjustments, debt repayments and
    transfers out all take the oldest points first; pending lots are never queued, and a
    cancellation still restores points into the lots they came from. A re-dated lot keeps
    its key (its earning time does not change). The queue is then not in expiry order
    (:attr:`queue_in_expiry_order` False): readers of expiry read every lot.

    The class is chosen once per book (``Program._new_book``), so the default fold keeps
    its own, inlined queue code and pays nothing for the choice. A subclass of the whole
    book, not a mixin of the lot half: one line of inheritance, as mypyc compiles it.
    """

    queue_in_expiry_order: ClassVar[bool] = False

    def _key(self, lot: _Lot) -> tuple[dt.datetime, dt.datetime, str]:
        """``lot``'s place in the queue: oldest first (the expiry read as one far date)."""
        return (_FAR, lot.earned_at, lot.lot_id)

    def _activate(self, lot: _Lot, at: dt.datetime) -> None:
        # Queued here under this book's key; the default activation then finds it queued.
        if lot.remaining and not lot.queued:
            lot.active = True
            self._enqueue(lot)
        super()._activate(lot, at)


def _fanned(method: Callable[[Book, Any], None]) -> Callable[[Book, Any], None]:
    def run(book: Book, event: Any) -> None:
        if book._fan_out(event):
            method(book, event)

    return run


#: The handlers of a primary book with other currencies' books (see ``Book._fan_out``).
FANNED_HANDLERS: dict[type[Any], Any] = {cls: _fanned(m) for cls, m in _HANDLERS.items()}


def _rules_of(result: EarningResult) -> str:
    return ",".join(rule for rule, points in result.rule_points if points)
