"""The loyalty program: one frozen value object holding every rule, and its replay.

``Program.replay(events, as_of=...)`` folds a member's events into a
:class:`MemberState`; ``Program.apply(state, event)`` advances a state by one event and
agrees with a full replay; ``Program.replay_many(frame, as_of=...)`` does it for a whole
member base from one events table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from crmkit._validate import as_aware, check_keys, resolve_timezone
from crmkit.errors import ConfigError, LedgerError
from crmkit.loyalty._events import Event, to_decimal
from crmkit.loyalty._expiry import ExpiryPolicy
from crmkit.loyalty._ledger import Book, Lot, Posting, sort_events
from crmkit.loyalty._privileges import Privilege, PrivilegeSet
from crmkit.loyalty._rules import EarningResult, EarningScheme
from crmkit.loyalty._tiers import QualifyingPosting, TierLadder, TierStatus

__all__ = ["MemberState", "Program"]

_SHORTFALL = ("forfeit", "debt", "cash_offset")
_EVENT_KINDS = ("enroll", "profile", "purchase", "refund", "redeem", "cancel_redemption", "adjust")
_OWNER = "Program"


def _catalogue(value: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    if not isinstance(value, Mapping):
        raise ConfigError(_OWNER, "catalogue", expected="a mapping", found=type(value).__name__)
    out: dict[str, dict[str, int]] = {}
    for reward, prices in value.items():
        if (
            not isinstance(reward, str)
            or not reward
            or not isinstance(prices, Mapping)
            or not prices
        ):
            raise ConfigError(
                _OWNER,
                "catalogue",
                expected="reward -> {tier name or '*': points}",
                found=f"{reward!r}: {prices!r}",
            )
        row: dict[str, int] = {}
        for tier, points in prices.items():
            if isinstance(points, bool) or not isinstance(points, int) or points < 1:
                raise ConfigError(
                    _OWNER,
                    f"catalogue[{reward!r}][{tier!r}]",
                    expected="an int number of points of at least 1",
                    found=repr(points),
                )
            row[str(tier)] = points
        out[reward] = row
    return out


def _point_value(value: object) -> Decimal:
    return to_decimal(value, _OWNER, "point_value")


def _int_at_least(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(_OWNER, name, expected=f"an int of at least {low}", found=repr(value))


@attrs.frozen
class Program:
    """A member club's rules: earning, expiry, tiers, privileges, redemption and refunds.

    Attributes:
        name: A label for reports.
        currency: The money currency code (``"CNY"``); amounts are Decimals in it.
        timezone: The program's IANA time zone: every day boundary (expiry, windows,
            birthday month) is local midnight there.
        earning: The :class:`~crmkit.loyalty.EarningScheme` (default: 1 point per unit).
        expiry: The :class:`~crmkit.loyalty.ExpiryPolicy` (default: never).
        tiers: The :class:`~crmkit.loyalty.TierLadder`, or None for a program without tiers.
        privileges: The :class:`~crmkit.loyalty.PrivilegeSet` granted by tiers, or None.
        catalogue: Reward prices in points per tier: ``{"mug": {"*": 500, "gold": 400}}``
            (``"*"`` is the price for any other tier).
        shortfall: What a refund does when the points it reverses were already spent:
            ``"forfeit"`` (recorded write-off), ``"debt"`` (negative balance, repaid first
            from the next points) or ``"cash_offset"`` (the money value is reported for the
            caller to deduct from the refund).
        point_value: Money value of one point, for ``cash_offset``.
        pending_days: Return window: purchase points stay pending (unspendable) this many
            days (exact 24-hour days from the purchase instant); 0 = at once.
        count_pending_for_tier: Whether pending purchases count toward tiers at once
            (default False: they count when they activate, net of refunds in the window).
        money_decimals: Minor-unit digits of the currency (refund shares round to them).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Purchase, PurchaseLine, Redeem, ExpiryPolicy
        >>> program = Program(timezone="Asia/Shanghai", expiry=ExpiryPolicy.after_months(12))
        >>> t = dt.datetime(2025, 3, 1, 10, tzinfo=program.zone)
        >>> events = [Purchase("p1", t, lines=[PurchaseLine("1", "388.00")]),
        ...           Redeem("x1", t + dt.timedelta(days=1), points=100)]
        >>> state = program.replay(events, as_of=t + dt.timedelta(days=2))
        >>> state.available, state.spent, state.lots[0].expires_at.isoformat()
        (288, 100, '2026-03-02T00:00:00+08:00')
    """

    name: str = "program"
    currency: str = "CNY"
    timezone: str = "UTC"
    earning: EarningScheme = attrs.field(factory=lambda: EarningScheme.base_rate(1))
    expiry: ExpiryPolicy = attrs.field(factory=ExpiryPolicy.never)
    tiers: TierLadder | None = None
    privileges: PrivilegeSet | None = None
    catalogue: dict[str, dict[str, int]] = attrs.field(factory=dict, converter=_catalogue)
    shortfall: str = "forfeit"
    point_value: Decimal = attrs.field(default=Decimal("0.01"), converter=_point_value)
    pending_days: int = 0
    count_pending_for_tier: bool = False
    money_decimals: int = 2
    _zone: dt.tzinfo = attrs.field(init=False, repr=False, eq=False)
    _uses_tier: bool = attrs.field(init=False, repr=False, eq=False)
    # Local earning day -> UTC expiry instant, shared by every replay under this program
    # (the expiry of a lot depends on its local earning day only; see Book._expiry).
    _expiry_cache: dict[dt.date, dt.datetime | None] = attrs.field(
        init=False, repr=False, eq=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_zone", resolve_timezone(self.timezone, _OWNER))
        if not isinstance(self.earning, EarningScheme):
            raise ConfigError(
                _OWNER, "earning", expected="an EarningScheme", found=type(self.earning).__name__
            )
        if not isinstance(self.expiry, ExpiryPolicy):
            raise ConfigError(
                _OWNER, "expiry", expected="an ExpiryPolicy", found=type(self.expiry).__name__
            )
        if self.tiers is not None and not isinstance(self.tiers, TierLadder):
            raise ConfigError(
                _OWNER, "tiers", expected="a TierLadder or None", found=type(self.tiers).__name__
            )
        if self.privileges is not None and not isinstance(self.privileges, PrivilegeSet):
            raise ConfigError(
                _OWNER,
                "privileges",
                expected="a PrivilegeSet or None",
                found=type(self.privileges).__name__,
            )
        if self.privileges is not None and self.tiers is None:
            raise ConfigError(
                _OWNER, "privileges", expected="given with tiers", found="privileges without tiers"
            )
        if self.shortfall not in _SHORTFALL:
            raise ConfigError(
                _OWNER,
                "shortfall",
                expected=f"one of {list(_SHORTFALL)}",
                found=repr(self.shortfall),
            )
        if self.point_value < 0:
            raise ConfigError(
                _OWNER, "point_value", expected="at least 0", found=str(self.point_value)
            )
        _int_at_least("pending_days", self.pending_days, 0)
        _int_at_least("money_decimals", self.money_decimals, 0)
        if not isinstance(self.count_pending_for_tier, bool):
            raise ConfigError(
                _OWNER,
                "count_pending_for_tier",
                expected="a bool",
                found=repr(self.count_pending_for_tier),
            )
        for kind in self.expiry.activity:
            if kind not in _EVENT_KINDS:
                raise ConfigError(
                    _OWNER,
                    "expiry.activity",
                    expected=f"event kinds among {list(_EVENT_KINDS)}",
                    found=repr(kind),
                )
        if self.tiers is not None:
            self.earning.check_tiers(self.tiers.names)
            if self.privileges is not None:
                self.privileges.check_tiers(self.tiers.names)
            names = set(self.tiers.names)
            for reward, prices in self.catalogue.items():
                unknown = sorted(set(prices) - names - {"*"})
                if unknown:
                    raise ConfigError(
                        _OWNER,
                        f"catalogue[{reward!r}]",
                        expected=f"prices keyed by tiers {sorted(names)} or '*'",
                        found=f"unknown tiers {unknown}",
                    )
        uses_tier = any(rule.when.tiers for rule in self.earning.rules)
        object.__setattr__(self, "_uses_tier", uses_tier or self.privileges is not None)

    @property
    def zone(self) -> dt.tzinfo:
        """The program's time zone as a tzinfo.

        Examples:
            >>> Program(timezone="Europe/Berlin").zone
            zoneinfo.ZoneInfo(key='Europe/Berlin')
        """
        return self._zone

    @property
    def money_quantum(self) -> Decimal:
        """The smallest money unit, e.g. ``Decimal('0.01')``.

        Examples:
            >>> Program(money_decimals=0).money_quantum
            Decimal('1')
        """
        return Decimal(1).scaleb(-self.money_decimals)

    @property
    def point_decimals(self) -> int:
        """Decimals of a point, declared by the earning scheme (0: whole points).

        With ``d > 0`` every point figure of the ledger (lots, postings, balances, catalogue
        prices, ``Redeem.points``, ``Adjust.points``) is an ``int`` count of ``10**-d``
        points, so nothing ever passes through float; :meth:`in_points` shows them.

        Examples:
            >>> Program(earning=EarningScheme.base_rate(1, point_decimals=2)).point_decimals
            2
        """
        return self.earning.point_decimals

    def in_points(self, units: int) -> Decimal:
        """A ledger figure as a Decimal number of points (``1234`` -> ``12.34`` with 2 decimals).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine
            >>> p = Program(earning=EarningScheme.base_rate(1, point_decimals=2))
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = p.replay([Purchase("p1", t, lines=[PurchaseLine("1", "12.34")])], as_of=t)
            >>> s.available, p.in_points(s.available)
            (1234, Decimal('12.34'))
        """
        return Decimal(units).scaleb(-self.point_decimals)

    @property
    def tier_dependent(self) -> bool:
        """Whether earning depends on the member's tier (tier conditions or privileges).

        Examples:
            >>> Program().tier_dependent
            False
        """
        return self._uses_tier

    # -- replay ----------------------------------------------------------------------------
    def replay(
        self, events: Iterable[Event], *, as_of: dt.datetime, on_error: str = "raise"
    ) -> MemberState:
        """Fold one member's events into the member's state at ``as_of``.

        Events are deduplicated by ``event_id`` and sorted by ``(time, kind rank,
        event_id)`` (see :func:`~crmkit.loyalty.sort_events`); events after ``as_of`` are
        left out, so a replay with an earlier ``as_of`` is the state at that instant.

        Args:
            events: The member's events, in any order.
            as_of: The instant of the state (naive: read in the program's zone).
            on_error: ``"raise"`` (default) raises the first
                :class:`~crmkit.errors.LedgerError` (e.g.
                :class:`~crmkit.errors.InsufficientPointsError`); ``"skip"`` leaves the
                offending event out and lists it in :attr:`MemberState.rejected`.

        Returns:
            The :class:`MemberState`.

        Raises:
            LedgerError: An event the ledger cannot honour (with ``on_error="raise"``).
            InvalidInputError: Objects that are not events.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine, Refund
            >>> program = Program()
            >>> t = dt.datetime(2025, 1, 5, 12, tzinfo=dt.UTC)
            >>> events = [Refund("r1", t + dt.timedelta(days=1), "p1"),
            ...           Purchase("p1", t, lines=[PurchaseLine("1", "250")])]
            >>> program.replay(events, as_of=t + dt.timedelta(hours=1)).available
            250
            >>> s = program.replay(events, as_of=t + dt.timedelta(days=2))
            >>> s.available, s.reversed
            (0, 250)
        """
        end = self._as_of(as_of)
        return MemberState.from_book(self._fold(events, end, on_error), end)

    def _fold(self, events: Iterable[Event], end: dt.datetime, on_error: str) -> Book:
        if on_error not in ("raise", "skip"):
            raise ConfigError(
                "Program.replay()", "on_error", expected="'raise' or 'skip'", found=repr(on_error)
            )
        book = Book(self)
        book.skip_errors = on_error == "skip"
        for event in sort_events(events):
            if event.time > end:
                break
            book.apply(event)
        book.advance(end.astimezone(dt.UTC))
        return book

    def apply(self, state: MemberState, event: Event) -> MemberState:
        """Advance ``state`` by one event; the result equals a full replay.

        The new state is at ``max(state.as_of, event.time)``. An event already in the state
        (same id, same content) changes nothing; an event earlier than the state's last one
        makes the state replay from the start with it.

        Args:
            state: A state from :meth:`replay` or :meth:`apply` of this program.
            event: The new event.

        Returns:
            The new :class:`MemberState` (``state`` is not changed).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust
            >>> program = Program()
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s0 = program.replay([], as_of=t)
            >>> s1 = program.apply(s0, Adjust("a1", t, points=50, reason="gift"))
            >>> s1.available, program.apply(s1, Adjust("a1", t, points=50, reason="gift")) == s1
            (50, True)
        """
        if not isinstance(state, MemberState) or state._book.program != self:
            raise LedgerError(
                "Program.apply()",
                "state",
                expected="a MemberState built by this program",
                found=type(state).__name__,
            )
        book = state._book
        sorted_event = sort_events([event])[0]
        known = book.event_ids.get(sorted_event.event_id)
        if known is not None:
            book.apply(sorted_event)  # raises for a conflicting duplicate
            return state
        end = max(state.as_of, sorted_event.time)
        key = (sorted_event.time, sorted_event.rank, sorted_event.event_id)
        if sorted_event.time < state.as_of or (book.last_key is not None and key < book.last_key):
            return self.replay(
                [*book.events, sorted_event],
                as_of=end,
                on_error="skip" if book.skip_errors else "raise",
            )
        new = book.clone()
        new.apply(sorted_event)
        new.advance(end.astimezone(dt.UTC))
        return MemberState.from_book(new, end)

    def _as_of(self, as_of: object) -> dt.datetime:
        return as_aware(as_of, self._zone, "Program.replay()", "as_of")

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping; :meth:`from_dict` rebuilds an equal program.

        Examples:
            >>> import json
            >>> p = Program(timezone="Asia/Shanghai", shortfall="debt")
            >>> Program.from_dict(json.loads(json.dumps(p.to_dict()))) == p
            True
        """
        return {
            "name": self.name,
            "currency": self.currency,
            "timezone": self.timezone,
            "earning": self.earning.to_dict(),
            "expiry": self.expiry.to_dict(),
            "tiers": None if self.tiers is None else self.tiers.to_dict(),
            "privileges": None if self.privileges is None else self.privileges.to_dict(),
            "catalogue": {k: dict(v) for k, v in self.catalogue.items()},
            "shortfall": self.shortfall,
            "point_value": str(self.point_value),
            "pending_days": self.pending_days,
            "count_pending_for_tier": self.count_pending_for_tier,
            "money_decimals": self.money_decimals,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Program:
        """Build a program from :meth:`to_dict` output; unknown keys are errors.

        Examples:
            >>> Program.from_dict({"timezone": "UTC", "pending_days": 14}).pending_days
            14
            >>> Program.from_dict({"timezone": "UTC", "pending": 14})
            Traceback (most recent call last):
            ...
            crmkit.errors.ConfigError: Program.from_dict(): parameter 'pending' must be one of ['catalogue', 'count_pending_for_tier', 'currency', 'earning', 'expiry', 'money_decimals', 'name', 'pending_days', 'point_value', 'privileges', 'shortfall', 'tiers', 'timezone']; found an unknown key.
        """
        allowed = {f.name for f in attrs.fields(cls) if f.init}
        check_keys(data, "Program.from_dict()", allowed=allowed)
        values = dict(data)
        if "earning" in values:
            values["earning"] = EarningScheme.from_dict(values["earning"])
        if "expiry" in values:
            values["expiry"] = ExpiryPolicy.from_dict(values["expiry"])
        if values.get("tiers") is not None:
            values["tiers"] = TierLadder.from_dict(values["tiers"])
        if values.get("privileges") is not None:
            values["privileges"] = PrivilegeSet.from_dict(values["privileges"])
        return cls(**values)


class _Earnings(Mapping[str, EarningResult]):
    """Purchase id -> earning result, read from the fold (results built on first read)."""

    __slots__ = ("_bought",)

    def __init__(self, book: Book) -> None:
        self._bought = dict(book.bought)

    def __getitem__(self, key: str) -> EarningResult:
        bought = self._bought[key]
        result = bought.result
        if result is None:
            raise KeyError(key)
        return result

    def __iter__(self) -> Iterator[str]:
        return (k for k, b in self._bought.items() if b.result is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


@attrs.frozen
class MemberState:
    """What a member has at ``as_of``, and why: the result of :meth:`Program.replay`.

    ``credited == available + pending + spent + expired + reversed + forfeited`` always.

    Attributes:
        as_of: The instant of the state (in the program's zone).
        available: Points the member can spend now.
        pending: Points earned but not usable yet (inside the return window).
        debt: Points a refund could not take back and the member still owes
            (``shortfall="debt"``); while it is open, ``available`` is 0.
        credited: Every point ever credited.
        spent: Points held by redemptions, points tenders, debits and debt repayments.
        expired: Points that expired unspent.
        reversed: Points taken back by refunds.
        forfeited: Spent points whose earning was refunded, written off (``"forfeit"``).
        cash_offset: Money reported for deduction from refunds (``"cash_offset"``).
        lots: Every :class:`~crmkit.loyalty.Lot`, in crediting order.
        postings: The ledger: every :class:`~crmkit.loyalty.Posting`, in time order.
        qualifying: The qualifying postings that feed the tier ladder.
        tier: The tier status (:class:`~crmkit.loyalty.TierStatus`) or None without tiers.
        privileges: Privileges active at ``as_of``.
        enrolled_at: Enrolment instant, if an :class:`~crmkit.loyalty.Enroll` was replayed.
        birth_date: The member's birth date, if known.
        rejected: ``(event_id, message)`` of events left out with ``on_error="skip"``.
        earnings: Purchase id -> :class:`~crmkit.loyalty.EarningResult` (for ``explain``),
            a read-only mapping; under plain base rates each result is built when first
            read (the replay itself only needs its totals).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust
        >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        >>> s = Program().replay([Adjust("g1", t, points=200, reason="gift")], as_of=t)
        >>> s.available, s.credited, s.balance
        (200, 200, 200)
    """

    as_of: dt.datetime
    available: int
    pending: int
    debt: int
    credited: int
    spent: int
    expired: int
    reversed: int
    forfeited: int
    cash_offset: Decimal
    _raw_lots: tuple[tuple[Any, ...], ...] = attrs.field(repr=False)
    _raw_postings: tuple[tuple[Any, ...], ...] = attrs.field(repr=False)
    _raw_qualifying: tuple[tuple[Any, ...], ...] = attrs.field(repr=False)
    tier: TierStatus | None
    privileges: tuple[Privilege, ...]
    enrolled_at: dt.datetime | None
    birth_date: dt.date | None
    rejected: tuple[tuple[str, str], ...]
    earnings: Mapping[str, EarningResult] = attrs.field(eq=False, repr=False)
    _book: Book = attrs.field(eq=False, repr=False)

    @classmethod
    def from_book(cls, book: Book, as_of: dt.datetime) -> MemberState:
        """Build the immutable state from the replay's book (internal)."""
        zone = book.zone
        local = as_of.astimezone(zone)
        lots = []
        totals = [0, 0, 0, 0]
        inactivity = book.program.expiry.kind == "inactivity"
        for lot in book.lots.values():
            expires = lot.expires_at
            if expires is None and inactivity:
                expires = book.deadline
            lots.append(
                (
                    lot.lot_id,
                    lot.source,
                    lot.earned_at,
                    lot.activates_at,
                    expires,
                    lot.amount,
                    lot.remaining,
                    lot.spent,
                    lot.expired,
                    lot.reversed,
                    lot.forfeited,
                    lot.rule,
                )
            )
            totals[0] += lot.spent
            totals[1] += lot.expired
            totals[2] += lot.reversed
            totals[3] += lot.forfeited
        tier = book.tier_status(as_of) if book.program.tiers is not None else None
        privileges: tuple[Privilege, ...] = ()
        if tier is not None and book.program.privileges is not None:
            privileges = book.program.privileges.active(tier.history, as_of, tz=zone)
        return cls(
            as_of=local,
            available=book.available,
            pending=book.pending,
            debt=book.debt,
            credited=book.credited,
            spent=totals[0],
            expired=totals[1],
            reversed=totals[2],
            forfeited=totals[3],
            cash_offset=book.cash_offset,
            raw_lots=tuple(lots),
            raw_postings=tuple(book.postings),
            raw_qualifying=tuple(book.qualifying),
            tier=tier,
            privileges=privileges,
            enrolled_at=book.enrolled_at.astimezone(zone) if book.enrolled_at else None,
            birth_date=book.birth_date,
            rejected=tuple(book.rejected),
            earnings=_Earnings(book),
            book=book,
        )

    @property
    def lots(self) -> tuple[Lot, ...]:
        """Every :class:`~crmkit.loyalty.Lot`, in crediting order (built on access).

        Times are in the program's zone; under an inactivity policy a live lot's
        ``expires_at`` is the current deadline.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Adjust("g1", t, points=5, reason="gift")], as_of=t)
            >>> [(lot.lot_id, lot.amount, lot.remaining) for lot in s.lots]
            [('g1', 5, 5)]
        """
        zone = self._book.zone
        return tuple(
            Lot(
                lot[0],
                lot[1],
                lot[2].astimezone(zone),
                lot[3].astimezone(zone),
                None if lot[4] is None else lot[4].astimezone(zone),
                *lot[5:],
            )
            for lot in self._raw_lots
        )

    @property
    def postings(self) -> tuple[Posting, ...]:
        """The ledger: every :class:`~crmkit.loyalty.Posting`, in time order (built on access).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Adjust("g1", t, points=5, reason="gift")], as_of=t)
            >>> [(p.kind, p.points, p.rule) for p in s.postings]
            [('adjust', 5, 'gift')]
        """
        zone = self._book.zone
        return tuple(Posting(p[0].astimezone(zone), *p[1:]) for p in self._raw_postings)

    @property
    def qualifying(self) -> tuple[QualifyingPosting, ...]:
        """The qualifying postings that feed the tier ladder (built on access).

        Purchases post their earning base, points and one order; refunds post negative
        shares; redemptions, expiries and adjustments never post.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Purchase("p", t, lines=[PurchaseLine("1", "30")])], as_of=t)
            >>> [(q.spend, q.points, q.orders) for q in s.qualifying]
            [(Decimal('30'), 30, 1)]
        """
        zone = self._book.zone
        return tuple(
            QualifyingPosting(time=q[0].astimezone(zone), spend=q[1], points=q[2], orders=q[3])
            for q in self._raw_qualifying
        )

    @property
    def balance(self) -> int:
        """``available - debt``: negative while the member owes points.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).balance
            0
        """
        return self.available - self.debt

    @property
    def tier_name(self) -> str | None:
        """The current tier's name (None without tiers).

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).tier_name
        """
        return None if self.tier is None else self.tier.tier

    def expiring(self, days: int) -> int:
        """Points that expire within ``days`` days after :attr:`as_of` unless spent.

        Counts usable lots whose ``expires_at`` is before ``as_of + days``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust, ExpiryPolicy
            >>> p = Program(expiry=ExpiryPolicy.after_days(30))
            >>> t = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
            >>> s = p.replay([Adjust("g", t, points=80, reason="gift")], as_of=t + dt.timedelta(days=20))
            >>> s.expiring(7), s.expiring(11)
            (0, 80)
        """
        return sum(lot.remaining for lot in self.expiring_lots(days))

    def expiring_lots(self, days: int) -> tuple[Lot, ...]:
        """The usable lots that expire within ``days`` days, soonest first.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).expiring_lots(30)
            ()
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ConfigError(
                "MemberState.expiring()", "days", expected="an int >= 0", found=repr(days)
            )
        horizon = self.as_of + dt.timedelta(days=days)
        found = [
            lot
            for lot in self.lots
            if lot.remaining
            and lot.active(self.as_of)
            and lot.expires_at is not None
            and lot.expires_at < horizon
        ]
        return tuple(sorted(found, key=lambda lot: (lot.expires_at, lot.earned_at, lot.lot_id)))

    def explain(self, purchase_id: str) -> str:
        """The per-line account of what a purchase earned (see ``EarningResult.explain``).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Purchase("p1", t, lines=[PurchaseLine("1", "12")])], as_of=t)
            >>> "12" in s.explain("p1")
            True
        """
        result = self.earnings.get(purchase_id)
        if result is None:
            raise LedgerError(
                "MemberState.explain()",
                "purchase_id",
                expected=f"a replayed purchase {sorted(self.earnings)[:5]}",
                found=repr(purchase_id),
            )
        return result.explain()

    @property
    def events(self) -> tuple[Event, ...]:
        """The events replayed into this state, in replay order.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).events
            ()
        """
        return tuple(self._book.events)
