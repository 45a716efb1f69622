"""The points ledger: lots, consumption, expiry, pending points, refunds and redemptions.

A member's events are folded in time order into a book of *lots* (one per crediting
event: a purchase, an enrolment bonus, a positive adjustment). Every debit (redemption,
points tender, negative adjustment, debt repayment) records the lots it drew from, so
expiry never touches spent points and a cancellation puts points back exactly where they
came from, with their original expiry.

Per lot, always::

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

import bisect
import datetime as dt
import heapq
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

import attrs

from crmkit._jsonable import ResultDict
from crmkit._rounding import largest_remainder
from crmkit.errors import InsufficientPointsError, InvalidInputError, LedgerError
from crmkit.loyalty._engine import Earned, Earner
from crmkit.loyalty._engine import order_of as _order
from crmkit.loyalty._events import (
    Adjust,
    CancelRedemption,
    Enroll,
    Event,
    ProfileUpdate,
    Purchase,
    Redeem,
    Refund,
)
from crmkit.loyalty._expiry import ExpiryPolicy
from crmkit.loyalty._rules import EarningResult, EarningScheme, MemberContext
from crmkit.loyalty._tiers import TierStatus, TierTracker

if TYPE_CHECKING:
    from crmkit.loyalty._program import Program

__all__ = ["Book", "Lot", "Posting", "sort_events"]

_UTC = dt.UTC
_FAR = dt.datetime.max.replace(tzinfo=_UTC)
_ZERO = Decimal(0)
_NO_INTS: dict[str, int] = {}
_NO_DECIMALS: dict[str, Decimal] = {}
_EXPIRY_CACHE_SIZE = 100_000  # local days per program (about 270 years of earning days)

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
        lot_id: The lot's id (the crediting event's id).
        source: What credited it: ``"purchase"``, ``"enroll"`` or ``"adjust"``.
        earned_at: When it was credited (in the program's zone).
        activates_at: When pending points become usable (``earned_at`` if never pending).
        expires_at: First instant it is no longer usable (None: never); under an
            inactivity policy, the current deadline.
        amount: Points credited.
        remaining: Points still in the lot (usable once active and before expiry).
        spent: Points drawn by debits that still stand.
        expired: Points that expired unspent.
        reversed: Points taken back by refunds (or debt repayments).
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
    seen: dict[str, Event] = {}
    for event in events:
        if not isinstance(event, _EVENT_TYPES):
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


_EVENT_TYPES = (Enroll, ProfileUpdate, Purchase, Refund, Redeem, CancelRedemption, Adjust)
#: The event classes (for an exact type check on the hot path of ``Program.apply``).
EVENT_TYPES = frozenset(_EVENT_TYPES)
#: Replay order of an event: ``(time, rank, event_id)``.
_key: Callable[[Event], tuple[dt.datetime, int, str]] = operator.attrgetter(
    "time", "rank", "event_id"
)


class _Lot:
    """The mutable lot inside the fold (see :class:`Lot`)."""

    __slots__ = (
        "activates_at",
        "active",
        "amount",
        "cash_settled",
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

    def __init__(  # noqa: PLR0917 - internal, built in one place
        self,
        lot_id: str,
        source: str,
        rule: str,
        amount: int,
        earned_at: dt.datetime,
        activates_at: dt.datetime,
        expires_at: dt.datetime | None,
    ) -> None:
        self.lot_id = lot_id
        self.source = source
        self.rule = rule
        self.amount = amount
        self.remaining = amount
        self.spent = 0
        self.expired = 0
        self.reversed = 0
        self.forfeited = 0
        self.owed = 0  # part of `spent` still owed as debt
        self.cash_settled = 0  # part of `reversed` settled in money by the cash_offset policy
        self.earned_at = earned_at
        self.activates_at = activates_at
        self.expires_at = expires_at
        self.active = activates_at <= earned_at
        self.queued = False

    def clone(self) -> _Lot:
        new = _Lot.__new__(_Lot)
        for name in _Lot.__slots__:
            setattr(new, name, getattr(self, name))
        return new

    def order_key(self) -> tuple[dt.datetime, dt.datetime, str]:
        return (self.expires_at or _FAR, self.earned_at, self.lot_id)


class _Debit:
    __slots__ = ("allocations", "cancelled", "debit_id", "kind", "points", "restored")

    def __init__(self, debit_id: str, kind: str, points: int, allocations: dict[str, int]) -> None:
        self.debit_id = debit_id
        self.kind = kind
        self.points = points
        self.allocations = allocations
        self.restored = dict.fromkeys(allocations, 0)
        self.cancelled = False

    def clone(self) -> _Debit:
        new = _Debit(self.debit_id, self.kind, self.points, dict(self.allocations))
        new.restored = dict(self.restored)
        new.cancelled = self.cancelled
        return new


class _Bought:
    """What the ledger remembers of a purchase, so refunds reverse stored numbers."""

    __slots__ = (
        "_result",
        "base",
        "base_refunded",
        "deferred",
        "earner",
        "event",
        "line_base",
        "line_points",
        "lines_base",
        "lines_whole",
        "lot",
        "qty",
        "qty_refunded",
        "refunded_net",
        "reversed_points",
        "tender",
    )

    def __init__(self, event: Purchase, earned: Earned, earner: Earner) -> None:
        self.event = event
        # A plain earner's full result is built only when read (refunds, explain): it
        # depends on the order alone there; the per-line figures are kept as earned.
        self._result = earned[3]
        self.earner = earner
        self.lines_whole = earned[4]
        self.lines_base = earned[5]
        self.base = earned[1]
        # Per-line numbers are unpacked on the first refund (most purchases never get one).
        # (The shared empty dicts are replaced, never mutated, by ``unpack``.)
        self.line_points: dict[str, int] = _NO_INTS
        self.line_base: dict[str, Decimal] = _NO_DECIMALS
        self.qty: dict[str, int] = _NO_INTS
        self.qty_refunded: dict[str, int] = _NO_INTS
        self.reversed_points = 0
        self.base_refunded = _ZERO
        self.refunded_net = _ZERO
        self.lot: str | None = None
        self.tender: str | None = None
        # Qualifying posting held back while the points are pending: [spend, points, orders].
        self.deferred: list[Any] | None = None

    def clone(self) -> _Bought:
        new = _Bought.__new__(_Bought)
        for name in _Bought.__slots__:
            setattr(new, name, getattr(self, name))
        new.qty_refunded = dict(self.qty_refunded)
        new.qty = dict(self.qty)
        new.line_points = dict(self.line_points)
        new.line_base = dict(self.line_base)
        new.deferred = list(self.deferred) if self.deferred is not None else None
        return new

    @property
    def result(self) -> EarningResult:
        """The purchase's earning result (built on first read for a plain earner)."""
        if self._result is None:
            self._result = self.earner.result(self.event)
        return self._result

    def unpack(self) -> None:
        """Fill the per-line tables refunds need (once)."""
        if self.qty:
            return
        lines = self.event.lines
        if self.lines_whole is not None and self.lines_base is not None:
            # The figures stored when the purchase was earned.
            self.line_points = {
                line.line_id: points for line, points in zip(lines, self.lines_whole, strict=True)
            }
            self.line_base = {
                line.line_id: base for line, base in zip(lines, self.lines_base, strict=True)
            }
        else:
            result = self.result
            self.line_points = {lp.line_id: lp.points for lp in result.lines}
            self.line_base = {lp.line_id: lp.base for lp in result.lines}
        self.qty = {line.line_id: line.quantity for line in lines}
        self.qty_refunded = dict.fromkeys(self.qty, 0)

    @property
    def fully_refunded(self) -> bool:
        self.unpack()
        return all(self.qty_refunded[k] == self.qty[k] for k in self.qty)


class Book:
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
        self.subs: dict[str, Book] = {}
        self.parent: Book | None = None
        # Event class -> handler; a primary book with other currencies' books fans out.
        self.handlers = _HANDLERS
        self.zone = program.zone
        self.lots: dict[str, _Lot] = {}
        self.debits: dict[str, _Debit] = {}
        self.bought: dict[str, _Bought] = {}
        # Postings as plain tuples (the fields of Posting); the snapshot builds the objects.
        self.postings: list[tuple[Any, ...]] = []
        # Qualifying changes as (time, spend, points, orders); QualifyingPosting objects are
        # built only for the tier tracker and the snapshot.
        self.qualifying: list[tuple[dt.datetime, Decimal, int, int]] = []
        self.earn_history: list[tuple[dt.datetime, int]] = []
        self.rejected: list[tuple[str, str]] = []
        self.events: list[Event] = []
        self.event_ids: dict[str, Event] = {}
        self.last: Event | None = None
        self.clock: dt.datetime | None = None
        self.activations: list[tuple[dt.datetime, str]] = []
        self.expiries: list[tuple[dt.datetime, str]] = []
        self.deadline: dt.datetime | None = None  # inactivity policy
        self.queue: list[_Lot] = []  # usable lots in consumption order (lazily pruned)
        self.stale = False  # whether a queued lot may have run empty outside _draw
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
        self.available = 0
        self.pending = 0
        self.debt = 0
        self.credited = 0
        self.cash_offset = _ZERO
        self.enrolled_at: dt.datetime | None = None
        self.birth_date: dt.date | None = None
        self.orders = 0
        self.skip_errors = False
        self.now = _FAR  # the instant of the event being applied, in UTC
        self.local_day: dt.date | None = None  # its local date, when known without converting
        # Tier status, brought up to date lazily (only when something needs the tier).
        self.tier: TierTracker | None = None
        self.tier_posted = 0
        # The other ladders of a program with several (ladder name -> tracker, posted).
        self.side: dict[str, tuple[TierTracker, int]] = {}

    # -- copying -------------------------------------------------------------------------
    def clone(self) -> Book:
        new = Book.__new__(Book)
        new.__dict__.update(self.__dict__)
        new.lots = {k: v.clone() for k, v in self.lots.items()}
        new.queue = [new.lots[lot.lot_id] for lot in self.queue]
        new.queue_keys = list(self.queue_keys)
        new.debits = {k: v.clone() for k, v in self.debits.items()}
        new.bought = {k: v.clone() for k, v in self.bought.items()}
        for name in ("postings", "qualifying", "earn_history", "rejected", "events"):
            setattr(new, name, list(getattr(self, name)))
        new.event_ids = dict(self.event_ids)
        new.tier = self.tier.copy() if self.tier is not None else None
        new.side = {k: (t.copy(), n) for k, (t, n) in self.side.items()}
        if self.subs:
            new.subs = {k: v.clone() for k, v in self.subs.items()}
            for sub in new.subs.values():
                sub.parent = new
        new.activations = list(self.activations)
        new.expiries = list(self.expiries)
        return new

    # -- time ----------------------------------------------------------------------------
    def advance(self, to: dt.datetime) -> None:
        """Activate and expire lots at every instant up to and including ``to``."""
        activations, expiries = self.activations, self.expiries
        deadline = self.deadline
        if not (
            (activations and activations[0][0] <= to)
            or (expiries and expiries[0][0] <= to)
            or (deadline is not None and deadline <= to)
        ):
            if self.clock is None or to > self.clock:
                self.clock = to
            return
        while True:
            t_act = activations[0][0] if activations else _FAR
            t_exp = expiries[0][0] if expiries else _FAR
            if self.deadline is None:
                # No inactivity deadline: the sooner of the two heaps (activations first).
                if t_act <= t_exp:
                    if t_act > to:
                        break
                    self._activate(self.lots[heapq.heappop(activations)[1]], t_act)
                else:
                    if t_exp > to:
                        break
                    self._expire(self.lots[heapq.heappop(expiries)[1]], t_exp)
                continue
            t_dead = self.deadline
            first = min(t_act, t_exp, t_dead)
            if first > to:
                break
            if t_act == first:
                _, lot_id = heapq.heappop(activations)
                self._activate(self.lots[lot_id], first)
            elif t_exp == first:
                _, lot_id = heapq.heappop(expiries)
                self._expire(self.lots[lot_id], first)
            else:
                self.deadline = None
                for lot in self._usable():
                    lot.expires_at = first
                    self._expire(lot, first)
        if self.clock is None or to > self.clock:
            self.clock = to

    def _activate(self, lot: _Lot, at: dt.datetime) -> None:
        if lot.active:
            return
        lot.active = True
        remaining = lot.remaining
        lot_id = lot.lot_id
        if remaining:
            self.pending -= remaining
            self.available += remaining
            self._enqueue(lot)
            self.postings.append((at, "activate", 0, lot_id, lot_id, "pending", (), None))
        bought = self.bought.get(lot_id)
        if bought is not None and bought.deferred is not None:
            spend, points, orders = bought.deferred
            bought.deferred = None
            if spend or points or orders:
                self.qualifying.append((at, spend, points, orders))
        if self.debt:
            self._repay(at, lot_id)

    def _expire(self, lot: _Lot, at: dt.datetime) -> None:
        points = lot.remaining
        if not points:
            return
        lot.remaining = 0
        self.stale = True
        lot.expired += points
        if lot.active:
            self.available -= points
        else:
            self.pending -= points
        self._post(at, "expire", -points, lot.lot_id, lot.lot_id, self.policy.kind)

    def _usable(self) -> list[_Lot]:
        """Usable lots with points left, in consumption order (soonest expiry, oldest, id)."""
        queue = self.queue
        if not self.stale:
            return queue
        self.stale = False
        keep = [lot for lot in queue if lot.remaining]
        if len(keep) != len(queue):
            keys = []
            for lot, key in zip(queue, self.queue_keys, strict=True):
                if lot.remaining:
                    keys.append(key)
                else:
                    lot.queued = False
            self.queue = queue = keep
            self.queue_keys = keys
        return queue

    def _enqueue(self, lot: _Lot) -> None:
        if lot.active and lot.remaining and not lot.queued:
            lot.queued = True
            key = lot.order_key()
            at = bisect.bisect_right(self.queue_keys, key)
            self.queue_keys.insert(at, key)
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

    def _new_lot(
        self, event: Event, source: str, rule: str, points: int, pending_until: dt.datetime | None
    ) -> _Lot:
        at = self.now
        expires_utc = self._expiry(at)
        if self.deadline is None and self.expiry_kind == "inactivity":
            # Points credited before any declared activity: the clock starts now.
            deadline = self.policy.expires_at(at, self.zone)
            assert deadline is not None
            self.deadline = deadline.astimezone(_UTC)
        activates = pending_until if pending_until is not None and pending_until > at else at
        lot = _Lot(event.event_id, source, rule, points, at, activates, expires_utc)
        self.lots[lot.lot_id] = lot
        self.credited += points
        if lot.active:
            self.available += points
            self._enqueue(lot)
        else:
            self.pending += points
            heapq.heappush(self.activations, (activates, lot.lot_id))
        if expires_utc is not None:
            heapq.heappush(self.expiries, (expires_utc, lot.lot_id))
        return lot

    def _expiry(self, at: dt.datetime) -> dt.datetime | None:
        """UTC expiry of a lot earned at ``at`` (cached per local earning day)."""
        if self.policy.by_tier:
            # Validity by the tier held now (rule 5): not cached, the tier varies.
            tier = self.tier_status(at).tier
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
        """Take ``points`` from usable lots, soonest-expiring first; the caller checked."""
        allocations: dict[str, int] = {}
        left = points
        queue = self._usable()
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

    def _restore(self, lot: _Lot, points: int, at: dt.datetime) -> None:
        """Put ``points`` drawn from ``lot`` back (its original expiry stays)."""
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
        if back and lot.cash_settled:
            # The member paid money for these points (cash_offset): they come back.
            take = min(back, lot.cash_settled)
            lot.cash_settled -= take
            lot.reversed -= take
            lot.remaining += take
            self._credit_remaining(lot, take)
            back -= take
        lot.spent -= back
        lot.remaining += back
        self._credit_remaining(lot, back)
        if lot.expires_at is not None and lot.expires_at <= at:
            # Restored into a lot already past its expiry: the points expire now.
            self._expire(lot, at)

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

    # -- events --------------------------------------------------------------------------
    @property
    def last_key(self) -> tuple[dt.datetime, int, str] | None:
        """The replay-order key of the last event applied (None before any)."""
        return None if self.last is None else _key(self.last)

    def apply(self, event: Event) -> None:
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
        time = event.time
        self.now = now = time.astimezone(_UTC)  # one zone inside: exact comparisons
        self.local_day = time.date() if time.tzinfo is self.zone else None
        activations, expiries = self.activations, self.expiries
        if (
            (activations and activations[0][0] <= now)
            or (expiries and expiries[0][0] <= now)
            or (self.deadline is not None and self.deadline <= now)
        ):
            self.advance(now)
        elif self.clock is None or now > self.clock:
            self.clock = now
        try:
            handler = self.handlers.get(type(event))
            if handler is not None:
                handler(self, event)
            elif not self.subs or self._fan_out(event):
                self._dispatch(event)
        except LedgerError as err:
            if not self.skip_errors:
                raise
            self.rejected.append((event.event_id, str(err)))
        self.event_ids[event.event_id] = event
        self.events.append(event)
        self.last = event
        if self.expiry_kind == "inactivity" and self.policy.counts_as_activity(
            event.kind, getattr(event, "reason", "")
        ):
            deadline = self.policy.expires_at(self.now, self.zone)
            assert deadline is not None
            self.deadline = deadline.astimezone(_UTC)

    def advance_all(self, to: dt.datetime) -> None:
        """:meth:`advance` this book and the other currencies' books."""
        self.advance(to)
        for sub in self.subs.values():
            sub.advance(to)

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
        if isinstance(event, Purchase) and event.tenders and event.points_tender > self.available:
            return True  # this book raises for the points tender before anything changes
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
        elif event.birth_date is not None:
            self.birth_date = event.birth_date

    def _enroll(self, event: Enroll) -> None:
        if self.enrolled_at is not None:
            raise LedgerError(
                f"Enroll {event.event_id!r}",
                "member",
                expected="enrolled once",
                found=f"an earlier enrolment at {self.enrolled_at.astimezone(self.zone).isoformat()}",
            )
        self.enrolled_at = self.now
        if event.birth_date is not None:
            self.birth_date = event.birth_date
        result = self.scheme.enrollment_points(self.now, timezone=self.zone)
        if result.points > 0:
            self._new_lot(event, "enroll", _rules_of(result), result.points, None)
            for rule, points in result.rule_points:
                if points:
                    self._post(self.now, "earn", points, event.event_id, event.event_id, rule)
            self._repay(self.now, event.event_id)

    def _purchase(self, event: Purchase) -> None:
        program = self.program
        now = self.now
        event_id = event.event_id
        tender_points = 0
        earner = self.earner
        if event.tenders:
            if self.parent is None:  # points tenders are paid in the primary currency
                tender_points = event.points_tender
            if tender_points > self.available:
                raise InsufficientPointsError.for_amounts(
                    f"Purchase {event_id!r}",
                    available=self.available,
                    requested=tender_points,
                    hint="The points tender needs that many points.",
                )
        if earner.plain and not event.tenders:
            earned = earner.plain_order(event.lines)
        else:
            context = self._context(event)
            order = _order(event, event.points_tender_amount if event.tenders else _ZERO)
            result = self.scheme.earn(order, context, timezone=self.zone)
            earned = (result.points, result.base, result.rule_points, result, None, None)
        points, base, rule_points = earned[0], earned[1], earned[2]
        bought = _Bought(event, earned, earner)
        self.bought[event_id] = bought
        self.orders += 1
        if tender_points:
            debit = self._debit(event, "tender", tender_points, "points tender")
            bought.tender = event_id
            self._post(now, "tender", -tender_points, event_id, None, "tender", debit.allocations)
        pending_until = None
        if self.pending_delta is not None:
            pending_until = now + self.pending_delta
        if points > 0:
            if len(rule_points) == 1:
                rules = rule_points[0][0]
            else:
                rules = ",".join(rule for rule, part in rule_points if part)
            self._new_lot(event, "purchase", rules, points, pending_until)
            bought.lot = event_id
            postings = self.postings
            for rule, part in rule_points:
                if part:
                    postings.append((now, "earn", part, event_id, event_id, rule, (), None))
            self.earn_history.append((now, points))
            if pending_until is not None and not program.count_pending_for_tier:
                bought.deferred = [base, points, 1]
            else:
                self.qualifying.append((now, base, points, 1))
            if self.debt:
                self._repay(now, event_id)
        else:
            self.qualifying.append((now, base, points, 1))

    def _context(self, event: Purchase) -> MemberContext:
        program = self.program
        scheme = self.scheme
        tier = None
        privileges: tuple[Any, ...] = ()
        ladder_tiers: tuple[str, ...] = ()
        if program.tiers is not None and program.tier_dependent:
            if isinstance(program.tiers, dict):
                statuses = self.ladder_statuses(self.now)
                tier = next(iter(statuses.values())).tier
                ladder_tiers = tuple(f"{name}:{s.tier}" for name, s in statuses.items())
                privileges = self.compiled.privileges_at(statuses, self.now)
            else:
                status = self.tier_status(self.now)
                tier = status.tier
                if program.privileges is not None:
                    privileges = program.privileges.active(
                        status.history, self.now, timezone=self.zone
                    )
        period_points: dict[str, int] = {}
        if scheme.caps:
            period_points = scheme.period_to_date(
                self.earn_history, as_of=self.now, timezone=self.zone
            )
        return MemberContext(
            birth_date=self.birth_date,
            enrolled_at=self.enrolled_at,
            tier=tier,
            prior_orders=self.orders,
            period_points=period_points,
            privileges=privileges,
            ladder_tiers=ladder_tiers,
        )

    def ladder_statuses(self, at: dt.datetime) -> dict[str, TierStatus]:
        """Every ladder's status at ``at`` by ladder name, the primary first."""
        if self.parent is not None:
            return self.parent.ladder_statuses(at)
        names = iter(self.compiled.ladders)
        out = {next(names): self.tier_status(at)}
        for name in names:
            out[name] = self._side_status(name, at)
        return out

    def _side_status(self, name: str, at: dt.datetime) -> TierStatus:
        """A non-primary ladder's status at ``at`` (as :meth:`tier_status`)."""
        ladder = self.compiled.ladders[name]
        postings = self.qualifying
        found = self.side.get(name)
        if found is None:
            starts = [p[0] for p in postings[:1]]
            if self.enrolled_at is not None:
                starts.append(self.enrolled_at)
            if not starts:
                return ladder.tracker(
                    at, timezone=self.zone, point_decimals=self.program.point_decimals
                ).status(at)
            tracker, posted = (
                ladder.tracker(
                    min(starts), timezone=self.zone, point_decimals=self.program.point_decimals
                ),
                0,
            )
        else:
            tracker, posted = found
        zone = self.zone
        for when, spend, points, orders in postings[posted:]:
            tracker._post(when.astimezone(zone), spend, points, orders)
        self.side[name] = (tracker, len(postings))
        return tracker.status(at)

    def tier_status(self, at: dt.datetime) -> TierStatus:
        """The primary ladder's status at ``at`` (never before the last event), posting what is new."""
        if self.parent is not None:
            return self.parent.tier_status(at)
        ladder = self.compiled.ladder
        assert ladder is not None
        postings = self.qualifying
        tracker = self.tier
        if tracker is None:
            # The member's tier clock starts at enrolment or the first qualifying posting,
            # whichever is first: a fact of the events, not of when the tier is first read.
            starts = [p[0] for p in postings[:1]]
            if self.enrolled_at is not None:
                starts.append(self.enrolled_at)
            if not starts:
                return ladder.tracker(
                    at, timezone=self.zone, point_decimals=self.program.point_decimals
                ).status(at)
            tracker = self.tier = ladder.tracker(
                min(starts), timezone=self.zone, point_decimals=self.program.point_decimals
            )
        zone = self.zone
        for when, spend, points, orders in postings[self.tier_posted :]:
            tracker._post(when.astimezone(zone), spend, points, orders)
        self.tier_posted = len(postings)
        return tracker.status(at)

    def _refund(self, event: Refund) -> None:
        owner = f"Refund {event.event_id!r}"
        bought = self.bought.get(event.purchase_id)
        if bought is None:
            raise LedgerError(
                owner,
                "purchase_id",
                expected="a purchase replayed before the refund",
                found=f"{event.purchase_id!r}, which is unknown",
                hint="Refunds must refer to a purchase event of the same member.",
            )
        purchase = bought.event
        bought.unpack()
        if event.lines:
            wanted: dict[str, int] = {}
            for line in event.lines:
                if line.line_id not in bought.qty:
                    raise LedgerError(
                        owner,
                        "lines",
                        expected=f"lines of purchase {purchase.event_id!r} {sorted(bought.qty)}",
                        found=f"line {line.line_id!r}",
                    )
                left = bought.qty[line.line_id] - bought.qty_refunded[line.line_id]
                quantity = left if line.quantity is None else line.quantity
                if quantity > left or quantity == 0:
                    raise LedgerError(
                        owner,
                        "quantity",
                        expected=f"at most the {left} units of line {line.line_id!r} not yet refunded",
                        found=f"{quantity if line.quantity is not None else 'the rest'}",
                    )
                wanted[line.line_id] = quantity
        else:
            wanted = {
                k: bought.qty[k] - bought.qty_refunded[k]
                for k in bought.qty
                if bought.qty[k] > bought.qty_refunded[k]
            }
            if not wanted:
                raise LedgerError(
                    owner,
                    "purchase_id",
                    expected="a purchase with something left to refund",
                    found=f"{purchase.event_id!r}, already fully refunded",
                )
        # Exact reversal of stored numbers: cumulative shares, so the parts of a line
        # refunded in several goes add up to the whole line.
        points = 0
        base = _ZERO
        net = _ZERO
        quantum = self.program.money_quantum
        for bought_line in purchase.lines:
            units = wanted.get(bought_line.line_id)
            if not units:
                continue
            total = bought.qty[bought_line.line_id]
            before = bought.qty_refunded[bought_line.line_id]
            after = before + units
            line_points = bought.line_points.get(bought_line.line_id, 0)
            points += line_points * after // total - line_points * before // total
            line_base = bought.line_base.get(bought_line.line_id, _ZERO)
            base += _share(line_base, after, total, quantum) - _share(
                line_base, before, total, quantum
            )
            net += _share(bought_line.net, after, total, quantum) - _share(
                bought_line.net, before, total, quantum
            )
            bought.qty_refunded[bought_line.line_id] = after
        bought.refunded_net += net
        at = self.now
        # 1. points paid as a tender come back, pro rata to the refunded money.
        if bought.tender is not None:
            debit = self.debits[bought.tender]
            if bought.fully_refunded or purchase.net == 0:
                target = debit.points
            else:
                # Exact: floor(points x refunded / net) in integers, never a rounded ratio.
                target = math.floor(
                    Fraction(debit.points) * Fraction(bought.refunded_net) / Fraction(purchase.net)
                )
            already = sum(debit.restored.values())
            self._restore_share(debit, target - already, at, event.event_id, "tender_restore")
        # 2. the points the refunded lines earned are reversed.
        bought.reversed_points += points
        if points and bought.lot is not None:
            self._reverse(self.lots[bought.lot], points, at, event.event_id)
            # Period caps count purchase points net of refunds, in the purchase's period.
            self.earn_history.append((purchase.time, -points))
        # 3. qualifying counters shrink.
        orders = -1 if bought.fully_refunded else 0
        if bought.deferred is not None:
            bought.deferred[0] -= base
            bought.deferred[1] -= points
            bought.deferred[2] += orders
        elif base or points or orders:
            self.qualifying.append((at, -base, -points, orders))
        self._repay(at, event.event_id)

    def _restore_share(
        self, debit: _Debit, points: int, at: dt.datetime, event_id: str, kind: str
    ) -> None:
        """Give ``points`` of ``debit`` back, pro rata to what is still out of each lot."""
        if points <= 0:
            return
        out = {k: v - debit.restored[k] for k, v in debit.allocations.items()}
        shares = _largest_remainder(out, points)
        self._post(at, kind, points, event_id, None, kind, {k: v for k, v in shares.items() if v})
        for lot_id, share in shares.items():
            if share:
                debit.restored[lot_id] += share
                self._restore(self.lots[lot_id], share, at)

    def _reverse(self, lot: _Lot, points: int, at: dt.datetime, event_id: str) -> None:
        """Take back ``points`` a refunded purchase earned into ``lot``."""
        program = self.program
        take = min(points, lot.remaining)
        if take:
            lot.remaining -= take
            if not lot.remaining:
                self.stale = True
            lot.reversed += take
            if lot.active:
                self.available -= take
            else:
                self.pending -= take
            self._post(at, "reverse", -take, event_id, lot.lot_id, "refund")
        left = points - take
        gone = min(left, lot.expired)
        if gone:
            # Points that already expired cost the member nothing more.
            lot.expired -= gone
            lot.reversed += gone
            left -= gone
        if not left:
            return
        # The rest was spent: the shortfall policy decides.
        shortfall = left
        policy = program.shortfall
        if policy == "forfeit":
            lot.spent -= shortfall
            lot.forfeited += shortfall
            self._post(at, "forfeit", 0, event_id, lot.lot_id, "forfeit", {lot.lot_id: shortfall})
        elif policy == "balance_then_cash":
            # The member's other usable points first (as a debt repaid at once), then money.
            take = min(shortfall, self.available)
            if take:
                lot.owed += take
                self.debt += take
                self._post(at, "debt", -take, event_id, lot.lot_id, "debt")
                self._repay(at, event_id)
            if shortfall > take:
                self._cash_offset(lot, shortfall - take, at, event_id)
        elif policy == "cash_offset":
            self._cash_offset(lot, shortfall, at, event_id)
        else:
            lot.owed += shortfall
            self.debt += shortfall
            self._post(at, "debt", -shortfall, event_id, lot.lot_id, "debt")
            self._repay(at, event_id)

    def _cash_offset(self, lot: _Lot, shortfall: int, at: dt.datetime, event_id: str) -> None:
        """Settle ``shortfall`` spent points of a refunded ``lot`` in money (reported)."""
        program = self.program
        lot.spent -= shortfall
        lot.reversed += shortfall
        lot.cash_settled += shortfall
        # ``point_value`` is per point; the ledger counts 10**-point_decimals points.
        points_owed = Decimal(shortfall).scaleb(-program.point_decimals)
        money = (points_owed * program.point_value).quantize(program.money_quantum)
        self.cash_offset += money
        self._post(
            at,
            "cash_offset",
            0,
            event_id,
            lot.lot_id,
            "cash_offset",
            {lot.lot_id: shortfall},
            money,
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
            statuses = self.ladder_statuses(self.now)
            tier = next(iter(statuses.values())).tier
            refs = self.compiled.refs
            matching = [
                price
                for key, price in prices.items()
                if key != "*" and statuses[refs[key][0]].tier == refs[key][1]
            ]
            if matching:
                return min(matching)
        elif program.tiers is not None and len(prices) > 1:
            tier = self.tier_status(self.now).tier
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

    def _cancel(self, event: CancelRedemption) -> None:
        owner = f"CancelRedemption {event.event_id!r}"
        debit = self.debits.get(event.redemption_id)
        if debit is None or debit.kind != "redeem":
            raise LedgerError(
                owner,
                "redemption_id",
                expected="a redemption replayed before the cancellation",
                found=f"{event.redemption_id!r}, which is unknown",
            )
        if debit.cancelled:
            raise LedgerError(
                owner,
                "redemption_id",
                expected="a redemption not yet cancelled",
                found=f"{event.redemption_id!r}, already cancelled",
            )
        debit.cancelled = True
        self._post(
            self.now,
            "cancel",
            debit.points,
            event.event_id,
            None,
            event.redemption_id,
            debit.allocations,
        )
        for lot_id, points in debit.allocations.items():
            self._restore(self.lots[lot_id], points, self.now)
        debit.restored = dict(debit.allocations)
        self._repay(self.now, event.event_id)

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
            lot = self._new_lot(event, "adjust", event.reason, event.points, None)
            self._post(self.now, "adjust", event.points, event.event_id, lot.lot_id, event.reason)
            self._repay(self.now, event.event_id)
        else:
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


#: Event class -> Book method (subclasses of event classes go through ``Book._dispatch``).
_HANDLERS: dict[type[Any], Any] = {
    Purchase: Book._purchase,
    Refund: Book._refund,
    Redeem: Book._redeem,
    CancelRedemption: Book._cancel,
    Adjust: Book._adjust,
    Enroll: Book._enroll,
}


def _fanned(method: Callable[[Book, Any], None]) -> Callable[[Book, Any], None]:
    def run(book: Book, event: Any) -> None:
        if book._fan_out(event):
            method(book, event)

    return run


#: The handlers of a primary book with other currencies' books (see ``Book._fan_out``).
FANNED_HANDLERS: dict[type[Any], Any] = {cls: _fanned(m) for cls, m in _HANDLERS.items()}


def _rules_of(result: EarningResult) -> str:
    return ",".join(rule for rule, points in result.rule_points if points)


def _share(amount: Decimal, part: int, total: int, quantum: Decimal) -> Decimal:
    if part == total:
        return amount
    # The exact share amount * part / total in quanta, rounded once (half to even), in
    # integers: amount = n / d and quantum = qn / qd.
    n, d = amount.as_integer_ratio()
    qn, qd = quantum.as_integer_ratio()
    den = d * total * qn
    units, rest = divmod(n * part * qd, den)
    if 2 * rest > den or (2 * rest == den and units % 2):
        units += 1
    return (Decimal(units) * quantum).quantize(quantum)


def _largest_remainder(weights: Mapping[str, int], total: int) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (ints) into ints that add up exactly.

    :func:`crmkit._rounding.largest_remainder` over the mapping's values; each part stays
    within its weight when ``total <= sum(weights)``.
    """
    if sum(weights.values()) <= 0:
        return dict.fromkeys(weights, 0)
    return dict(zip(weights, largest_remainder(total, list(weights.values())), strict=True))
