"""Lots: what a member's fold credits, consumes, activates and expires.

A member's events are folded in time order into a book of *lots* (one per crediting
event: a purchase, an enrolment bonus, a positive adjustment). Every debit (redemption,
points tender, negative adjustment, debt repayment) records the lots it drew from, so
expiry never touches spent points and a cancellation puts points back exactly where they
came from, with their original expiry. Per lot, always::

    amount = remaining + spent + expired + reversed + forfeited

This module holds the lot records (:class:`Lot`, :class:`Posting` and their mutable
counterparts inside the fold) and :class:`LotBook`, the part of the ledger's
:class:`~crmkit.loyalty._ledger.Book` that earns (credits a lot), consumes (draws lots in
the program's consumption order: soonest-expiring first, or with
``Program(consumption="fifo")`` oldest first, :class:`~crmkit.loyalty._ledger.FifoBook`), activates pending
points and expires lots. Reversals (refunds, cancellations) are in
:mod:`crmkit.loyalty._reversals`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
from collections import deque
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import attrs

from crmkit._jsonable import ResultDict
from crmkit.errors import InsufficientPointsError
from crmkit.loyalty._tierbook import TierBook

if TYPE_CHECKING:
    from crmkit.loyalty._engine import Earner
    from crmkit.loyalty._events import Event
    from crmkit.loyalty._expiry import ExpiryPolicy
    from crmkit.loyalty._periods import PeriodTotals
    from crmkit.loyalty._reversals import _Bought
    from crmkit.loyalty._rules import EarningScheme

__all__ = ["POSTING_KINDS", "Lot", "LotBook", "Posting", "reported_expiry"]

_UTC = dt.UTC
_FAR = dt.datetime.max.replace(tzinfo=_UTC)
_EXPIRY_CACHE_SIZE = 100_000  # local days per program (about 270 years of earning days)
_NO_LOT_EXPIRY = frozenset({"never", "inactivity"})
_UNKNOWN: Any = object()  # a day not in the expiry cache yet
#: The smallest step of a datetime: ``expires_at - _TICK`` is a lot's last usable instant.
_TICK = dt.timedelta(microseconds=1)
#: A book's involuntary splits before the first (never written: see LotBook.splits).
_NO_SPLITS: dict[str, list[str]] = {}
#: A qualifying posting of the fold: (time, spend, points, orders, named counts such as
#: nights, and for a refund the time of the purchase it reverses, else None).
Qualifying = tuple[dt.datetime, Decimal, int, int, tuple[Any, ...], dt.datetime | None]

#: The kinds of postings in a member's ledger.
POSTING_KINDS = (
    "earn",
    "activate",
    "expire",
    "redeem",
    "cancel",
    "tender",
    "tender_restore",
    "reverse",
    "forfeit",
    "cash_offset",
    "debt",
    "repay",
    "adjust",
)


@attrs.frozen
class Lot(ResultDict):
    """A parcel of points credited by one event, and what became of it.

    ``amount == remaining + spent + expired + reversed + forfeited`` always holds.

    Attributes:
        lot_id: The lot's id (the crediting event's id; for the points an involuntary
            cancellation returned into a lot of their own, ``"<cancellation id>#<lot
            id>"``: see :attr:`CancelRedemption.involuntary
            <crmkit.loyalty.CancelRedemption.involuntary>`).
        source: What credited it: ``"purchase"`` (earning on an order), ``"enroll"`` (an
            enrolment bonus), ``"yearly"`` (a birthday or anniversary
            :class:`~crmkit.loyalty.YearlyBonus`, credited by the fold's clock),
            ``"milestone"`` (a :class:`~crmkit.loyalty.Milestone` bonus) or ``"adjust"`` (an :class:`~crmkit.loyalty.Adjust`, including the receiving
            side of a transfer, a household pool or a merge, whose ``rule`` is the
            adjustment's reason code).
        earned_at: When it was credited (in the program's zone).
        activates_at: When pending points become usable (``earned_at`` if never pending).
        expires_at: First instant it is no longer usable (None: never); under an
            inactivity policy, the current deadline (a kept expiry of its own,
            ``Adjust.expires_at``, stands: the deadline does not take it); under
            ``tier_basis="held"`` while a protecting tier is held, no earlier than the
            earliest the points can go, the earliest end of the status and the run-on
            after it (see
            :attr:`MemberState.lots <crmkit.loyalty.MemberState.lots>`); under
            ``tier_basis="extended"`` while a tier that moves points on is held, the first
            date of the lot's run of extensions past the earliest end of the status.
        amount: Points credited (less any part an involuntary cancellation returned into
            a lot of its own, which keeps this lot's source and earning time).
        remaining: Points still in the lot (usable once active and before expiry).
        spent: Points drawn by debits that still stand (redemptions, points tenders,
            negative adjustments, and repayments of debt under the ``debt`` shortfall
            policy: the repaying lot books them as spent).
        expired: Points that expired unspent.
        reversed: Points taken back by refunds.
        forfeited: Spent points whose earning was later refunded and written off.
        rule: The reason code or, for purchases, the rules that earned it.

    Examples:
        >>> import datetime as dt
        >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        >>> lot = Lot("p1", "purchase", t, t, None, 100, 60, 40, 0, 0, 0, "base")
        >>> lot.active(t)
        True
        >>> lot.to_dict()["expires_at"], lot.to_dict()["remaining"]
        (None, 60)
    """

    lot_id: str
    source: str
    earned_at: dt.datetime
    activates_at: dt.datetime
    expires_at: dt.datetime | None
    amount: int
    remaining: int
    spent: int
    expired: int
    reversed: int
    forfeited: int
    rule: str

    def active(self, as_of: dt.datetime) -> bool:
        """Whether the lot's remaining points are usable at ``as_of``.

        Examples:
            >>> import datetime as dt
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> Lot("p1", "purchase", t, t, t, 10, 10, 0, 0, 0, 0, "").active(t)
            False
        """
        return self.activates_at <= as_of and (self.expires_at is None or as_of < self.expires_at)


@attrs.frozen
class Posting(ResultDict):
    """One line of the member's ledger.

    Attributes:
        time: When (in the program's zone).
        kind: One of ``earn``, ``activate``, ``expire``, ``redeem``, ``cancel``, ``tender``,
            ``tender_restore``, ``reverse``, ``forfeit``, ``cash_offset``, ``debt``,
            ``repay``, ``adjust``.
        points: Signed change of the member's points (``activate`` moves pending to
            available and ``forfeit``/``cash_offset``/``debt`` record a shortfall; their sign
            follows what the member sees: 0 for forfeit and cash offset).
        event_id: The event that caused it (for expiry and activation: the lot's event).
        lot_id: The lot credited or debited, when one lot.
        rule: What produced it: an earning rule id, a reason code or a policy name.
        allocations: For debits and restorations, ``(lot_id, points)`` per lot.
        money: For ``cash_offset``: the money to deduct from the refund.

    Examples:
        >>> import datetime as dt
        >>> Posting(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "earn", 120, "p1", "p1", "base").points
        120
        >>> Posting(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "redeem", -50, "r1",
        ...         allocations=(("p1", 50),)).to_dict()["allocations"]
        [['p1', 50]]
    """

    time: dt.datetime
    kind: str
    points: int
    event_id: str
    lot_id: str | None = None
    rule: str = ""
    allocations: tuple[tuple[str, int], ...] = ()
    money: Decimal | None = None


class _Lot:
    """The mutable lot inside the fold (see :class:`Lot`).

    Slotted and without ``__init__``: :meth:`LotBook._new_lot` (one lot per purchase, in
    every fold) and :meth:`LotBook._split_off` build it with ``_Lot.__new__`` (object's;
    the spelling a mypyc-compiled class accepts too) and set every slot themselves: about
    1,300 machine instructions a lot fewer than a constructor call with class-level
    counters (counted under valgrind).
    """

    __slots__ = (
        "activates_at",
        "active",
        "amount",
        "cash_settled",
        "deferred",
        "earned_at",
        "expired",
        "expires_at",
        "forfeited",
        "lot_id",
        "owed",
        "queued",
        "remaining",
        "reversed",
        "rule",
        "source",
        "spent",
    )
    lot_id: str
    source: str
    rule: str
    amount: int
    remaining: int
    spent: int
    expired: int
    reversed: int
    forfeited: int
    owed: int  # part of `spent` still owed as debt
    cash_settled: int  # part of `reversed` settled in money by the cash_offset policy
    earned_at: dt.datetime
    activates_at: dt.datetime
    expires_at: dt.datetime | None
    active: bool
    queued: bool  # in the book's consumption queue
    # A purchase's qualifying posting held back while its points are pending, dated when
    # they activate: (activates_at, spend, points, orders, named counts, None).
    deferred: Qualifying | None


class Protection(NamedTuple):
    """What a tier does for the lots at an instant (:meth:`LotBook.held_at`), for reports.

    ``held``: whether lots due after the instant are reported later than the fold's
    date; ``until``: under ``tier_basis="held"`` the date the protection holds them to at
    least, under ``"extended"`` the earliest end of the status (None: no end);
    ``extend``: under ``"extended"``, a due date -> where the tier held moves it.
    """

    held: bool
    until: dt.datetime | None
    extend: Callable[[dt.datetime], dt.datetime] | None = None


#: Nothing reported later than the fold's dates.
_UNPROTECTED = Protection(False, None)


def reported_expiry(
    expires: dt.datetime | None, as_of: dt.datetime, held: Protection
) -> dt.datetime | None:
    """A live lot's expiry as reports show it, given :meth:`LotBook.held_at` at ``as_of``.

    Under ``tier_basis="held"`` the fold's date of a protected lot is only when it is
    looked at again (often a status end since extended): a lot due after ``as_of`` is
    reported at the later of its date and the date the protection holds it to at least
    (None: it has no end). Under ``"extended"`` every due date up to the earliest end of
    the status is certain to be extended (the tier is held on its last valid instant):
    the lot is reported at the first date of its run of extensions past that end (None:
    the status has no end). That run is not monotone in the fold's date (points due 12
    and 1 months before the end move to 12 and 11 months after it), so reports read
    every lot, not only the first ones of the consumption queue. Dates at or before
    ``as_of`` (lots already expired) stand.
    """
    if not held[0] or expires is None or expires <= as_of:
        return expires
    until = held[1]
    extend = held[2]
    if extend is None:
        return None if until is None else max(expires, until)
    if until is None:
        return None
    while expires <= until:
        expires = extend(expires)
    return expires


class _Debit:
    __slots__ = ("allocations", "cancelled", "debit_id", "kind", "points", "restored")

    def __init__(self, debit_id: str, kind: str, points: int, allocations: dict[str, int]) -> None:
        self.debit_id = debit_id
        self.kind = kind
        self.points = points
        self.allocations = allocations
        self.restored = dict.fromkeys(allocations, 0)
        self.cancelled = False


class LotBook(TierBook):
    """Earn, consume, activate and expire lots: the lot half of the ledger's fold (internal).

    The state is set up by :class:`~crmkit.loyalty._ledger.Book`; this class declares
    what its methods read and write.
    """

    policy: ExpiryPolicy
    expiry_kind: str
    expiry_cache: dict[dt.date, dt.datetime | None]
    scheme: EarningScheme
    earner: Earner
    lots: dict[str, _Lot]
    debits: dict[str, _Debit]
    bought: dict[str, _Bought]
    postings: list[tuple[Any, ...]]
    journal: bool
    cap_totals: PeriodTotals  # purchase points per cap period (net of refunds)
    activations: deque[_Lot]
    expiries: list[tuple[dt.datetime, str]]
    queue: list[_Lot]
    queue_keys: list[tuple[dt.datetime, dt.datetime, str]]
    due: dt.datetime
    deadline: dt.datetime | None
    now: dt.datetime
    local_day: dt.date | None
    available: int
    pending: int
    debt: int
    credited: int
    cash_offset: Decimal
    uses_caps: bool
    inactivity: bool
    #: Whether a lot's expiry is the policy's for its local earning day (cached per day).
    expiry_by_day: bool
    #: Lot id -> the lots an involuntary cancellation split off it (their returned parts,
    #: :meth:`_split_off`), so a refund of its purchase follows the points there. The
    #: shared empty default until a book's first split (which gives the book its own).
    splits: dict[str, list[str]] = _NO_SPLITS
    #: Whether the consumption queue is in expiry order (undated lots last), so that a
    #: reader may stop at the first lot past a horizon; False under ``"fifo"``
    #: (:class:`~crmkit.loyalty._ledger.FifoBook`), whose readers read every lot.
    queue_in_expiry_order: ClassVar[bool] = True

    # -- time ----------------------------------------------------------------------------
    def advance_lots(self, to: dt.datetime) -> None:
        """Activate and expire lots at every instant up to and including ``to``.

        (The ledger's ``advance`` credits its yearly bonuses first, when it has some.)
        """
        if to < self.due:
            return
        activations, expiries = self.activations, self.expiries
        if self.deadline is None and (not expiries or expiries[0][0] > to):
            # Only activations fall due (the common case): in their order, nothing else
            # in between (an activation schedules nothing). Then the next due instant
            # (next_due, inlined: no inactivity deadline, and no expiry due by `to`).
            while activations and activations[0].activates_at <= to:
                lot = activations.popleft()
                self._activate(lot, lot.activates_at)
            due = activations[0].activates_at if activations else _FAR
            if expiries and expiries[0][0] < due:
                due = expiries[0][0]
            self.due = due
            return
        while True:
            t_act = activations[0].activates_at if activations else _FAR
            t_exp = expiries[0][0] if expiries else _FAR
            if self.deadline is None:
                # No inactivity deadline: the sooner of the two heaps (activations first).
                if t_act <= t_exp:
                    if t_act > to:
                        break
                    self._activate(activations.popleft(), t_act)
                else:
                    if t_exp > to:
                        break
                    lot = self.lots[heapq.heappop(expiries)[1]]
                    basis = self.policy.tier_basis
                    if basis == "credited":
                        self._expire(lot, t_exp)
                    elif basis == "held":
                        self._expire_unless_held(lot, t_exp)
                    else:
                        self._expire_unless_extended(lot, t_exp)
                continue
            t_dead = self.deadline
            first = min(t_act, t_exp, t_dead)
            if first > to:
                break
            if t_act == first:
                self._activate(activations.popleft(), first)
            elif t_exp == first:
                _, lot_id = heapq.heappop(expiries)
                basis = self.policy.tier_basis
                if basis == "credited":
                    self._expire(self.lots[lot_id], first)
                elif basis == "held":
                    self._expire_unless_held(self.lots[lot_id], first)
                else:
                    self._expire_unless_extended(self.lots[lot_id], first)
            else:
                if self.policy.tier_basis == "held":
                    held, until = self._held_until(first)
                    if held:
                        # Rule 5 ("held"): the deadline waits for the status to end.
                        self.deadline = until
                        continue
                self.deadline = None
                usable, keys = self.queue, self.queue_keys
                self.queue, self.queue_keys = [], []
                for lot, key in zip(usable, keys, strict=True):
                    if lot.expires_at is not None:
                        # A kept expiry (Adjust.expires_at: miles migrated from a
                        # time-based rule, Cathay's "continue to follow the previous
                        # expiry procedure") replaces the policy's: the lot lives to its
                        # own date, queued where it was (the queue stays in order).
                        self.queue.append(lot)
                        self.queue_keys.append(key)
                        continue
                    lot.queued = False
                    lot.expires_at = first
                    self._expire(lot, first)
        self.due = self.next_due()

    def next_due(self) -> dt.datetime:
        """The first instant an activation, an expiry or the inactivity deadline falls due.

        The fold keeps it as ``due`` (never later than this: whatever is scheduled sooner
        lowers it at once; :meth:`advance` sets it again), so an event with nothing due
        before it costs one comparison.
        """
        due = self.activations[0].activates_at if self.activations else _FAR
        if self.expiries and self.expiries[0][0] < due:
            due = self.expiries[0][0]
        if self.deadline is not None and self.deadline < due:
            due = self.deadline
        return due

    def _activate(self, lot: _Lot, at: dt.datetime) -> None:
        """Make a pending lot usable at ``at`` (each pending lot once, from the queue)."""
        lot.active = True
        remaining = lot.remaining
        lot_id = lot.lot_id
        if remaining:
            self.pending -= remaining
            self.available += remaining
            if not lot.queued:  # (_enqueue, inlined: the lot is active with points left)
                lot.queued = True
                key = (lot.expires_at or _FAR, lot.earned_at, lot_id)
                keys = self.queue_keys
                if not keys or key >= keys[-1]:
                    keys.append(key)
                    self.queue.append(lot)
                else:
                    where = bisect.bisect_right(keys, key)
                    keys.insert(where, key)
                    self.queue.insert(where, lot)
            if self.journal:
                self.postings.append((at, "activate", 0, lot_id, lot_id, "pending", (), None))
        deferred = lot.deferred
        if deferred is not None:
            lot.deferred = None
            if deferred[1] or deferred[2] or deferred[3] or deferred[4]:
                self.qualifying.append(deferred)
        if self.debt:
            self._repay(at, lot_id)

    def _expire(self, lot: _Lot, at: dt.datetime) -> None:
        points = lot.remaining
        if not points:
            return
        lot.remaining = 0
        if lot.queued:
            self._dequeue(lot)
        lot.expired += points
        if lot.active:
            self.available -= points
        else:
            self.pending -= points
        self._post(at, "expire", -points, lot.lot_id, lot.lot_id, self.policy.kind)

    def _held_until(self, at: dt.datetime) -> tuple[bool, dt.datetime | None]:
        """Rule 5, ``tier_basis="held"``: whether what is due at ``at`` waits, and until when.

        ``(True, when)``: the member holds a protecting tier (look again when it is next
        assessed: the end of its validity or, while a downgrade waits out the ladder's
        ``grace_days``, the end of the grace period, during which the tier is still held;
        None: it has no end) or left one recently enough that the points run on from the
        leaving (the new tier's policy applied to that instant); ``(False, None)``:
        expire now.
        """
        policy = self.policy
        # The tier at `at` and its next assessment, read off the tracker (no status built);
        # a tracker already past `at` answers from its history.
        tracker = self.tier_tracker(at)
        tier, until = tracker._span_at(at)
        if policy.protects(tier):
            if until is None:
                return True, None
            until = until.astimezone(_UTC)
            return (True, until) if until > at else (False, None)
        for change in reversed(tracker.history):
            if change.time <= at and policy.protects(change.old):
                # The last time the member left a protecting tier.
                redated = policy.for_tier(change.new).expires_at(change.time, self.zone)
                if redated is None:
                    return True, None
                redated = redated.astimezone(_UTC)
                return (True, redated) if redated > at else (False, None)
        return False, None

    def held_at(self, as_of: dt.datetime) -> Protection:
        """Rule 5 in reports: whether a ``"held"`` tier basis keeps every lot until a date.

        ``(True, when)``: no lot expires before ``when`` (None: none can expire), so a
        live lot is reported as expiring at the later of its own date and ``when``.
        While the member holds a protecting tier, ``when`` is the earliest date the
        points can run on to: the status can end no sooner than the end of a running
        grace period, else its validity's end plus the ladder's ``grace_days``
        (``TierTracker._earliest_end``), and from that instant they run on under the
        policy of the tier the member falls to (the earliest any unprotected tier's
        policy gives; None if none of them ever expires). A reminder then never counts
        points that cannot expire in its horizon: the status's end is not their expiry
        (IHG: 12 months after the move to Club; Miles & More: 36 months after the loss
        of status). After leaving one, the date the points run on to. ``(False,
        None)``: the lots' own dates stand. The book must have been advanced to
        ``as_of``; this reads the tier there.

        Under ``tier_basis="extended"``: while the member holds a tier that extends,
        ``(True, end, extend)`` with ``end`` the earliest the status can end (as above)
        and ``extend`` that tier's extension of a due date; a lot due by ``end`` is
        certain to move on (:func:`reported_expiry`). Otherwise the lots' own dates stand.
        """
        basis = self.policy.tier_basis
        if basis == "credited":
            return _UNPROTECTED
        at = as_of.astimezone(_UTC)
        tracker = self.tier_tracker(at)
        tier, _ = tracker._span_at(at)
        if basis == "extended":
            extension = self.policy.extension(tier)
            if extension is None:
                return _UNPROTECTED
            return Protection(True, tracker._earliest_end(), self._extender(extension))
        if self.policy.protects(tier):
            end = tracker._earliest_end()
            return Protection(True, None if end is None else self._runs_on(end))
        return Protection(*self._held_until(at))

    def _extender(self, extension: ExpiryPolicy) -> Callable[[dt.datetime], dt.datetime]:
        """``extension`` applied to a due date (UTC in, UTC out; each date worked out once)."""
        zone = self.zone
        moved: dict[dt.datetime, dt.datetime] = {}

        def extend(due: dt.datetime) -> dt.datetime:
            found = moved.get(due)
            if found is None:
                found = moved[due] = extension.extend_from(due, zone).astimezone(_UTC)
            return found

        return extend

    def _runs_on(self, end: dt.datetime) -> dt.datetime | None:
        """The earliest date points protected until ``end`` run on to (None: never expire).

        What ``_held_until`` gives them when the member leaves the protecting tier at
        ``end``, for the least generous tier of the ladder the member may fall to (each
        unprotected tier's policy: its own ``by_tier`` entry, else the policy itself).
        """
        policy = self.policy
        ladder = self.compiled.ladder
        names = ladder.names if ladder is not None else ()
        dates = [
            policy.for_tier(name).expires_at(end, self.zone)
            for name in names
            if not policy.protects(name)
        ]
        known = [d.astimezone(_UTC) for d in dates if d is not None]
        return min(known) if known else None

    def _expire_unless_held(self, lot: _Lot, at: dt.datetime) -> None:
        """Expire ``lot`` at ``at`` unless a protecting tier holds it (then re-date it)."""
        held, until = self._held_until(at)
        if not held:
            self._expire(lot, at)
            return
        if lot.queued:  # its consumption-order key may change: out, and queued again below
            self._dequeue(lot)
        lot.expires_at = until
        self._enqueue(lot)
        if until is not None:
            heapq.heappush(self.expiries, (until, lot.lot_id))

    def _expire_unless_extended(self, lot: _Lot, at: dt.datetime) -> None:
        """``tier_basis="extended"``: move ``lot`` on if the tier held on its last day extends.

        China Southern: "金、银卡会员在其金、银卡级别期内到期未用里程将自动全额延期,每次自动
        延期12个月,延期后的里程在12个月后如果未使用并且会员仍为金、银卡级别,到期未用里程将
        再次自动延期" (miles falling due within a gold or silver card's period move on 12
        months, and again while the card lasts). The tier is the one held on the lot's last
        valid instant (``at`` less a microsecond): a lot valid through the status's last day
        falls due within it. The lot moves to the tier's extension of ``at``
        (:meth:`ExpiryPolicy.extend_from`, always later) and is looked at again then. A lot
        drawn dry is moved on too while points can still come back to it (a cancellation
        returns them at the lot's date), not once nothing can.
        """
        if not (lot.remaining or lot.spent or lot.cash_settled):
            return  # nothing in it, and nothing can come back: no date matters
        before = at - _TICK
        tier, _ = self.tier_tracker(before)._span_at(before)
        extension = self.policy.extension(tier)
        if extension is None:
            self._expire(lot, at)
            return
        until = extension.extend_from(at, self.zone).astimezone(_UTC)
        if lot.queued:  # its consumption-order key may change: out, and queued again below
            self._dequeue(lot)
        lot.expires_at = until
        self._enqueue(lot)
        heapq.heappush(self.expiries, (until, lot.lot_id))

    # The consumption queue: usable lots with points left, in the order debits draw them,
    # beside their keys. Here (the default, "soonest_expiry") the key is ``(expires_at or
    # far future, earned_at, lot_id)``; FifoBook keys by earning time instead. A
    # re-dated lot (_expire_unless_held, _expire_unless_extended) is taken out with its old
    # key and queued again with its new one.
    def _key(self, lot: _Lot) -> tuple[dt.datetime, dt.datetime, str]:
        """``lot``'s place in the consumption queue (soonest expiry, then oldest, then id)."""
        return (lot.expires_at or _FAR, lot.earned_at, lot.lot_id)

    def _dequeue(self, lot: _Lot) -> None:
        """Take ``lot`` out of the consumption queue (found by the key it was queued with)."""
        key = self._key(lot)
        where = bisect.bisect_left(self.queue_keys, key)
        del self.queue_keys[where]
        del self.queue[where]
        lot.queued = False

    def _enqueue(self, lot: _Lot) -> None:
        if lot.active and lot.remaining and not lot.queued:
            lot.queued = True
            key = self._key(lot)
            keys = self.queue_keys
            if not keys or key >= keys[-1]:
                # Lots mostly become usable in consumption order: the end of the queue.
                keys.append(key)
                self.queue.append(lot)
                return
            at = bisect.bisect_right(keys, key)
            keys.insert(at, key)
            self.queue.insert(at, lot)

    # -- posting helpers -----------------------------------------------------------------
    def _post(  # noqa: PLR0917 - an internal helper called positionally throughout
        self,
        at: dt.datetime,
        kind: str,
        points: int,
        event_id: str,
        lot_id: str | None,
        rule: str,
        allocations: Mapping[str, int] | None = None,
        money: Decimal | None = None,
    ) -> None:
        if not self.journal:
            return
        self.postings.append(
            (
                at,
                kind,
                points,
                event_id,
                lot_id,
                rule,
                tuple(allocations.items()) if allocations else (),
                money,
            )
        )

    def _new_lot(  # noqa: PLR0917 - an internal helper called positionally
        self,
        lot_id: str,
        source: str,
        rule: str,
        points: int,
        pending_until: dt.datetime | None,
        expires_at: dt.datetime | None = None,
    ) -> _Lot:
        """Credit ``points`` to a new lot (``expires_at``: a kept expiry, e.g. a transfer's)."""
        at = self.now
        # A kept expiry (points transferred with their expiry) replaces the policy's.
        if expires_at is not None:
            expires_utc: dt.datetime | None = expires_at.astimezone(_UTC)
        elif not self.expiry_by_day:
            expires_utc = self._expiry(at)
        else:
            # The policy's expiry of the local earning day (cached per program).
            day = self.local_day
            if day is None:
                day = at.astimezone(self.zone).date()
            expires_utc = self.expiry_cache.get(day, _UNKNOWN)
            if expires_utc is _UNKNOWN:
                expires_utc = self._expiry(at)
        if self.inactivity and self.deadline is None:
            # Points credited before any declared activity: the clock starts now.
            deadline = self.policy.expires_at(at, self.zone)
            assert deadline is not None
            self.deadline = deadline = deadline.astimezone(_UTC)
            self.due = min(self.due, deadline)
        self.credited += points
        lot: _Lot = _Lot.__new__(_Lot)  # (every slot set here: see _Lot)
        lot.lot_id = lot_id
        lot.source = source
        lot.rule = rule
        lot.amount = lot.remaining = points
        lot.spent = lot.expired = lot.reversed = lot.forfeited = lot.owed = 0
        lot.cash_settled = 0
        lot.earned_at = at
        lot.expires_at = expires_utc
        lot.queued = False
        lot.deferred = None
        self.lots[lot_id] = lot
        # (Comparisons instead of min(): this runs for every purchase, and min() costs
        # a call with its argument tuple.)
        if pending_until is not None and pending_until > at:
            lot.activates_at = pending_until
            lot.active = False
            self.pending += points
            self.activations.append(lot)
            if pending_until < self.due:  # noqa: PLR1730
                self.due = pending_until
        else:
            lot.activates_at = at
            lot.active = True
            self.available += points
            self._enqueue(lot)
        if expires_utc is not None:
            heapq.heappush(self.expiries, (expires_utc, lot_id))
            if expires_utc < self.due:  # noqa: PLR1730
                self.due = expires_utc
        return lot

    def _expiry(self, at: dt.datetime) -> dt.datetime | None:
        """UTC expiry of a lot earned at ``at`` (cached per local earning day)."""
        if self.policy.by_tier and not self.inactivity and self.policy.tier_basis != "extended":
            # Validity by the tier held now (rule 5): not cached, the tier varies. (Under
            # inactivity no lot has a date of its own: the one deadline, which a protecting
            # tier holds back, expires the whole balance.)
            # The tier and its next assessment only: no TierStatus.
            tier, until = self.tier_tracker(at)._span_at(at)
            if self.policy.protects(tier):
                # "held": no date while the status lasts (a grace period included); looked
                # at again when it ends.
                return None if until is None else until.astimezone(_UTC)
            expires = self.policy.for_tier(tier).expires_at(at, self.zone)
            return expires.astimezone(_UTC) if expires is not None else None
        if self.expiry_kind in ("never", "inactivity"):
            return None
        day = self.local_day if at is self.now and self.local_day is not None else None
        if day is None:
            day = at.astimezone(self.zone).date()
        cache = self.expiry_cache
        try:
            return cache[day]
        except KeyError:
            pass
        expires = self.policy.expires_at(at, self.zone)
        if len(cache) >= _EXPIRY_CACHE_SIZE:
            cache.clear()
        cache[day] = value = expires.astimezone(_UTC) if expires is not None else None
        return value

    def _draw(self, points: int) -> dict[str, int]:
        """Take ``points`` from usable lots in consumption order; the caller checked.

        The queue's order: soonest-expiring first, or oldest first under ``"fifo"``
        (:class:`~crmkit.loyalty._ledger.FifoBook`). Pending lots are never in the queue.
        """
        allocations: dict[str, int] = {}
        left = points
        queue = self.queue
        emptied = 0
        for lot in queue:
            take = min(left, lot.remaining)
            lot.remaining -= take
            lot.spent += take
            allocations[lot.lot_id] = take
            left -= take
            if not lot.remaining:
                emptied += 1
                lot.queued = False
            if not left:
                break
        if emptied:
            # The lots drawn dry are the first ones of the queue.
            del queue[:emptied]
            del self.queue_keys[:emptied]
        self.available -= points
        return allocations

    def _debit(self, event: Event, kind: str, points: int, what: str) -> _Debit:
        if points > self.available:
            raise InsufficientPointsError.for_amounts(
                f"{type(event).__name__} {event.event_id!r}",
                available=self.available,
                requested=points,
                hint=f"The {what} needs {points} points."
                + (f" The member owes {self.debt} points of debt." if self.debt else ""),
            )
        allocations = self._draw(points)
        debit = _Debit(event.event_id, kind, points, allocations)
        self.debits[event.event_id] = debit
        return debit

    def _restore(
        self,
        lot: _Lot,
        points: int,
        at: dt.datetime,
        part: tuple[str, dt.datetime] | None = None,
    ) -> None:
        """Put ``points`` drawn from ``lot`` back (its original expiry stays).

        ``part``: ``(lot id, expiry)`` of a lot of their own for the points that come back
        into use (an involuntary cancellation's, :meth:`_split_off`), instead of ``lot``.
        """
        back = points
        if lot.forfeited:
            # The lot's earning was refunded while these points were spent and written
            # off: returning them completes the reversal instead.
            take = min(back, lot.forfeited)
            lot.forfeited -= take
            lot.reversed += take
            back -= take
        if back and lot.owed:
            take = min(back, lot.owed)
            lot.owed -= take
            lot.spent -= take
            lot.reversed += take
            self.debt -= take
            back -= take
        paid = 0
        if back and lot.cash_settled:
            # The member paid money for these points (cash_offset): they come back.
            paid = min(back, lot.cash_settled)
            lot.cash_settled -= paid
            lot.reversed -= paid
            back -= paid
        lot.spent -= back
        back += paid
        if part is not None:
            if back:
                self._split_off(lot, back, part[0], part[1], at)
            return
        lot.remaining += back
        self._credit_remaining(lot, back)
        if lot.expires_at is not None and lot.expires_at <= at:
            # Restored into a lot already past its expiry: the points expire now.
            self._expire(lot, at)

    def _split_off(
        self, lot: _Lot, points: int, lot_id: str, expires: dt.datetime, at: dt.datetime
    ) -> None:
        """Move ``points`` coming back to ``lot`` into a new lot ``lot_id`` expiring at ``expires``.

        The part keeps the points' origin (source, rule, earning and activation times:
        breakage cohorts and refunds follow it) and takes its amount out of ``lot``, so
        ``credited`` does not change and every lot still adds up. Due at or before ``at``,
        its points expire at once.
        """
        lot.amount -= points
        part: _Lot = _Lot.__new__(_Lot)  # (every slot set here: see _Lot)
        part.lot_id = lot_id
        part.source = lot.source
        part.rule = lot.rule
        part.amount = part.remaining = points
        part.spent = part.expired = part.reversed = part.forfeited = part.owed = 0
        part.cash_settled = 0
        part.earned_at = lot.earned_at
        part.activates_at = lot.activates_at
        part.expires_at = expires
        part.active = True  # (points are drawn from usable lots only)
        part.queued = False
        part.deferred = None
        self.lots[lot_id] = part
        if self.splits is _NO_SPLITS:
            self.splits = {}
        self.splits.setdefault(lot.lot_id, []).append(lot_id)
        self._credit_remaining(part, points)
        if expires <= at:
            self._expire(part, at)
            return
        heapq.heappush(self.expiries, (expires, lot_id))
        if expires < self.due:  # noqa: PLR1730
            self.due = expires

    def family(self, lot: _Lot) -> list[_Lot]:
        """``lot`` and the lots split off it (and off those), oldest first."""
        found = [lot]
        splits = self.splits
        if splits:
            for member in found:  # (grows as it goes: parts of parts)
                found.extend(self.lots[lot_id] for lot_id in splits.get(member.lot_id, ()))
        return found

    def _credit_remaining(self, lot: _Lot, points: int) -> None:
        if lot.active:
            self.available += points
            self._enqueue(lot)
        else:
            self.pending += points

    def _repay(self, at: dt.datetime, event_id: str) -> None:
        """Repay open debt from usable points (``debt`` shortfall policy).

        The repayment is a debit like a redemption (the repaying lots book the points as
        spent); the owing lots' debt shrinks, oldest first.
        """
        if not self.debt or not self.available:
            return
        points = min(self.debt, self.available)
        allocations = self._draw(points)
        debit_id = f"{event_id}#repay{len(self.debits)}"
        self.debits[debit_id] = _Debit(debit_id, "repay", points, allocations)
        self.debt -= points
        left = points
        for lot in self.lots.values():  # oldest debt first (lots keep insertion order)
            if not left:
                break
            if lot.owed:
                take = min(left, lot.owed)
                lot.owed -= take
                left -= take
        self._post(at, "repay", -points, event_id, None, "debt", allocations)
