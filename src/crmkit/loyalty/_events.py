"""The events a loyalty app stores for a member, as frozen value objects.

crmkit keeps no storage: the app records what happened (an enrolment, a purchase, a
refund, a redemption, ...) and replays the events under a :class:`~crmkit.loyalty.Program`.
Every event carries an ``event_id`` (replaying a duplicate id changes nothing) and an
aware ``time``; naive datetimes are rejected because an event has no zone of its own.

Money is :class:`decimal.Decimal` (strings and ints are accepted and converted; floats are
refused, because ``0.1`` is not a decimal amount); points are ``int``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, TypeAlias

import attrs

from crmkit._spec import (
    DATE,
    DATETIME,
    DECIMAL,
    PLAIN,
    Nested,
    Optional,
    Seq,
    Spec,
    Validator,
    field,
    instance_of,
    metadata,
    predicate,
    whole,
)
from crmkit._spec import to_decimal as _as_decimal
from crmkit._validate import number_text_hint
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty._rules_util import COUNTS_CODEC, count_pairs, count_problem, unchecked
from crmkit.loyalty._tiers import CHANGE_REASONS, Qualification

__all__ = [
    "Adjust",
    "CancelRedemption",
    "Enroll",
    "Event",
    "ProfileUpdate",
    "Purchase",
    "PurchaseLine",
    "Redeem",
    "Refund",
    "RefundLine",
    "Tender",
    "TierGrant",
    "event_from_dict",
]

_ZERO = Decimal(0)


class _EventError(InvalidInputError, ConfigError):
    """A bad event value: bad input data (as before) and, on the spec layer, a bad value.

    Events are values on the spec layer (``to_dict``/``from_dict``, ``attrs.evolve``), where
    a bad value is a :class:`~crmkit.errors.ConfigError`; an app feeding events still
    catches :class:`~crmkit.errors.InvalidInputError`, so the error is both.
    """


def to_decimal(value: object, owner: str, field: str) -> Decimal:
    """Return ``value`` as a finite Decimal; floats, bools and junk are errors."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str):
        read = _as_decimal(value)  # the one reader of decimal text
        result = read if isinstance(read, Decimal) else Decimal("NaN")
    else:
        raise InvalidInputError(
            owner,
            field,
            expected="a Decimal, int or decimal string (never a float)",
            found=type(value).__name__,
            kind="",
        )
    if not result.is_finite():
        raise InvalidInputError(
            owner,
            field,
            expected="a finite decimal amount",
            found=repr(value),
            kind="",
            hint=number_text_hint([value]),
        )
    return result


def to_points(value: object, owner: str, field: str) -> int:
    """Return ``value`` as an int of points; floats, bools and strings are errors."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _EventError(
            owner,
            field,
            expected="an int number of points (never a float)",
            found=type(value).__name__,
            kind="",
        )
    return int(value)


def _aware(value: object, owner: str, field: str = "time") -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise _EventError(
            owner, field, expected="a datetime.datetime", found=type(value).__name__, kind=""
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise _EventError(
            owner,
            field,
            expected="timezone-aware",
            found=f"the naive datetime {value.isoformat()}",
            kind="",
            hint="Attach the zone it was recorded in, e.g. with zoneinfo.ZoneInfo(...).",
        )
    return value


def _check_id(value: object, owner: str, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise _EventError(owner, field, expected="a non-empty string", found=repr(value), kind="")
    return value


def _owner(event: Any) -> str:
    return f"{type(event).__name__} {event.event_id!r}"


def _id_ok(value: object) -> bool:
    return isinstance(value, str) and bool(value)


_ID = predicate(_id_ok, "a non-empty string")


def _money(*, upto: str | None = None) -> Validator:
    """Validator: a finite Decimal at least 0 (and at most field ``upto``); ConfigError."""
    expected = "a Decimal, int or decimal string (never a float)"

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ConfigError(
                type(instance).__name__,
                attribute.name,
                expected=expected,
                found=repr(value),
                hint=number_text_hint([value]),
            )
        bound = getattr(instance, upto) if upto else None
        if value < 0 or (isinstance(bound, Decimal) and value > bound):
            shown = f"between 0 and the line {upto} {bound}" if upto else "at least 0"
            raise ConfigError(
                type(instance).__name__, attribute.name, expected=shown, found=str(value)
            )

    return check


@attrs.frozen
class PurchaseLine(Spec):
    """One line of a purchase: what was bought, how many, for how much.

    A value on the spec layer: a bad value is a :class:`~crmkit.errors.ConfigError` and
    ``to_dict``/``from_dict`` round-trip it (amounts as decimal strings; inside an event's
    JSON the line is written without ``schema_version``).

    Attributes:
        line_id: The line's id, unique within its purchase (refunds name it).
        amount: The line's gross amount (all units, before discount), a Decimal.
        quantity: How many units (at least 1).
        sku: The product code (earning rules may match it).
        category: The product category (earning rules may match it).
        discount: The discount on the line, between 0 and ``amount``.

    Examples:
        >>> from decimal import Decimal
        >>> line = PurchaseLine("1", Decimal("120.00"), quantity=2, category="shoes",
        ...                     discount=Decimal("20"))
        >>> line.net
        Decimal('100.00')
        >>> PurchaseLine("1", "10.00").to_dict()
        {'schema_version': 1, 'line_id': '1', 'amount': '10.00', 'quantity': 1, 'sku': '', 'category': '', 'discount': '0'}
        >>> PurchaseLine.from_dict({"line_id": "1", "amount": "5"}).amount
        Decimal('5')
        >>> PurchaseLine("1", "10", discount="11")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: PurchaseLine: parameter 'discount' must be between 0 and the line amount 10; found 11.
    """

    line_id: str = attrs.field(validator=_ID, metadata=metadata())
    amount: Decimal = attrs.field(
        converter=_as_decimal, validator=_money(), metadata=metadata(codec=DECIMAL)
    )
    quantity: int = field(default=1, validator=whole(min=1))
    sku: str = field(default="", validator=instance_of(str, "a string"))
    category: str = field(default="", validator=instance_of(str, "a string"))
    discount: Decimal = attrs.field(
        default=_ZERO,
        converter=_as_decimal,
        validator=_money(upto="amount"),
        metadata=metadata(codec=DECIMAL),
    )

    @property
    def net(self) -> Decimal:
        """The amount after discount.

        Examples:
            >>> PurchaseLine("1", "10.00", discount="2.50").net
            Decimal('7.50')
        """
        return self.amount - self.discount


def _points_ok(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if instance.kind == "points" and value < 1:
        raise ConfigError(
            "Tender", attribute.name, expected="at least 1 for a points tender", found=str(value)
        )
    if instance.kind != "points" and value:
        raise ConfigError(
            "Tender", attribute.name, expected="0 unless kind is 'points'", found=str(value)
        )


def _tender_currency(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            "Tender", attribute.name, expected="a currency name or None", found=repr(value)
        )
    if instance.kind != "points":
        raise ConfigError(
            "Tender", attribute.name, expected="None unless kind is 'points'", found=repr(value)
        )


@attrs.frozen
class Tender(Spec):
    """How (part of) a purchase was paid.

    A ``"points"`` tender pays ``amount`` of money with ``points`` points; those points are
    debited from the member's lots when the purchase is replayed, and restored pro rata
    (to the same lots, with their original expiry) when the purchase is refunded.

    Attributes:
        kind: ``"cash"``, ``"card"``, ``"gift_card"``, ``"points"``, ...
        amount: The money value this tender covers.
        points: Points paid (only for ``kind="points"``, and then at least 1).
        currency: For a points tender in a program with several point currencies, the
            currency paid with (``"miles"``); None (default): the primary one. Only for
            ``kind="points"``.

    Examples:
        >>> Tender("points", "5.00", points=500).points
        500
        >>> Tender("card", "9.90").to_dict()
        {'schema_version': 1, 'kind': 'card', 'amount': '9.90', 'points': 0}
        >>> Tender.from_dict({"kind": "cash", "amount": "3"}).amount
        Decimal('3')
        >>> Tender("points", "20.00", points=2000, currency="miles").to_dict()["currency"]
        'miles'
    """

    kind: str = attrs.field(validator=_ID, metadata=metadata())
    amount: Decimal = attrs.field(
        converter=_as_decimal, validator=_money(), metadata=metadata(codec=DECIMAL)
    )
    points: int = field(default=0, validator=[whole(min=0), _points_ok])
    currency: str | None = field(
        default=None, validator=_tender_currency, codec=Optional(PLAIN), omit_default=True
    )


@attrs.frozen
class RefundLine(Spec):
    """Which line of a purchase a refund returns, and how many units.

    Attributes:
        line_id: The purchase line returned.
        quantity: Units returned; ``None`` returns what is left of the line.

    Examples:
        >>> RefundLine("2", quantity=1)
        RefundLine(line_id='2', quantity=1)
        >>> RefundLine.from_dict({"line_id": "2", "quantity": 1})
        RefundLine(line_id='2', quantity=1)
        >>> RefundLine.from_dict({"line_id": "2", "qty": 1})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: RefundLine.from_dict(): parameter 'qty' must be one of ['line_id', 'quantity', 'schema_version']; found an unknown key.
    """

    line_id: str = attrs.field(validator=_ID, metadata=metadata())
    quantity: int | None = field(default=None, validator=whole(min=1, optional=True))


def _items(values: Iterable[Any], kind: type[Any], owner: str, name: str) -> tuple[Any, ...]:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise _EventError(
            owner,
            name,
            expected=f"a list of {kind.__name__} objects",
            found="None" if values is None else type(values).__name__,
            kind="",
        )
    items = tuple(values)
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise _EventError(
                owner,
                f"{name}[{i}]",
                expected=f"{kind.__name__} objects",
                found=type(item).__name__,
                kind="",
            )
    return items


def _lines(values: Iterable[PurchaseLine]) -> tuple[PurchaseLine, ...]:
    return _items(values, PurchaseLine, "Purchase", "lines")


def _tenders(values: Iterable[Tender]) -> tuple[Tender, ...]:
    return _items(values, Tender, "Purchase", "tenders")


def _refund_lines(values: Iterable[RefundLine]) -> tuple[RefundLine, ...]:
    return _items(values, RefundLine, "Refund", "lines")


def _date_or_none(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise _EventError(
            "ProfileUpdate",
            "birth_date",
            expected="a datetime.date or ISO date string",
            found=repr(value),
            kind="",
        )
    return value


class _Base(Spec):
    """Shared behaviour of events: validation, JSON round trip (the spec layer's).

    ``to_dict`` writes ``schema_version``, the event's ``kind`` and its fields (times as ISO
    strings with their offset, amounts as decimal strings, ``currency`` only when set);
    :func:`event_from_dict` (or the class's ``from_dict``) reads it back, and reads the JSON
    written before events were on the spec layer (no ``schema_version``) too.
    """

    __slots__ = ()
    kind: ClassVar[str]
    #: Order among events at the same instant (lower first): credits before debits, a purchase
    #: before its refund, a redemption before its cancellation.
    rank: ClassVar[int]
    event_id: str
    time: dt.datetime


def _event_id_ok(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_id(value, type(instance).__name__, attribute.name)


def _time_ok(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _aware(value, _owner(instance))


def _flag(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise _EventError(
            _owner(instance), attribute.name, expected="True or False", found=repr(value), kind=""
        )


def _text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise _EventError(
            _owner(instance), attribute.name, expected="a string", found=repr(value), kind=""
        )


def _redeem_points(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    to_points(value, _owner(instance), attribute.name)
    if value < 1:
        raise _EventError(
            _owner(instance), attribute.name, expected="at least 1", found=str(value), kind=""
        )


def _signed_points(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    # Adjust.points: non-zero unless the adjustment credits status only (checked in
    # __attrs_post_init__).
    to_points(value, _owner(instance), attribute.name)


def _signed_money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _EventError(
            _owner(instance),
            attribute.name,
            expected="a finite Decimal, int or decimal string (never a float)",
            found=repr(value),
            kind="",
            hint=number_text_hint([value]),
        )


def _kept_expiry(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    owner = _owner(instance)
    expires = _aware(value, owner, attribute.name)
    if instance.points <= 0:
        what = "a debit" if instance.points else "an adjustment without points"
        raise _EventError(
            owner, attribute.name, expected=f"None for {what}", found=expires.isoformat(), kind=""
        )
    if expires <= instance.time:
        raise _EventError(
            owner,
            attribute.name,
            expected=f"after the event's time {instance.time.isoformat()}",
            found=expires.isoformat(),
            kind="",
        )


def _currency_ok(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_id(value, _owner(instance), attribute.name)


@attrs.frozen
class Enroll(_Base):
    """The member joins the club (sign-up bonuses and anniversary windows start here).

    Attributes:
        event_id: Unique id of the event.
        time: When (aware datetime).
        birth_date: The member's birth date, if given at sign-up.
        channel: Where the member enrolled.

    Examples:
        >>> import datetime as dt
        >>> Enroll("e1", dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).kind
        'enroll'
    """

    kind: ClassVar[str] = "enroll"
    __spec_tag__: ClassVar[str] = "enroll"
    rank: ClassVar[int] = 0
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    birth_date: dt.date | None = attrs.field(
        default=None, converter=_date_or_none, metadata=metadata(codec=Optional(DATE))
    )
    channel: str = field(default="", validator=_text)


@attrs.frozen
class ProfileUpdate(_Base):
    """A profile fact that earning rules may need, such as the birth date.

    Attributes:
        event_id: Unique id of the event.
        time: When the fact became known (aware datetime).
        birth_date: The member's birth date.

    Examples:
        >>> import datetime as dt
        >>> ProfileUpdate("b1", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        ...               birth_date="1990-05-17").birth_date
        datetime.date(1990, 5, 17)
    """

    kind: ClassVar[str] = "profile"
    __spec_tag__: ClassVar[str] = "profile"
    rank: ClassVar[int] = 1
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    birth_date: dt.date | None = attrs.field(
        default=None, converter=_date_or_none, metadata=metadata(codec=Optional(DATE))
    )


@attrs.frozen
class Purchase(_Base):
    """A purchase: lines bought, the channel, and how it was paid.

    The ``event_id`` is the purchase id that refunds refer to. Without ``tenders`` the whole
    net amount is taken as paid in money; with them, their amounts must add up to the net
    amount exactly.

    Attributes:
        event_id: Unique id of the purchase.
        time: When (aware datetime).
        lines: The :class:`PurchaseLine` objects (at least one; unique ``line_id``).
        channel: Where it happened (``"store"``, ``"online"``, ...).
        tenders: The :class:`Tender` objects that paid it.
        counts: Named activity counts the purchase carries for tier qualification beyond
            spend, points and orders (``{"nights": 3, "stays": 1}``, ``{"segments": 2,
            "miles": 1650}``): non-negative ints. A tier ladder qualifying on a name reads
            it (:attr:`Tier.counts <crmkit.loyalty.Tier.counts>`); like the order count,
            they are taken back when the purchase is fully refunded.

    Examples:
        >>> import datetime as dt
        >>> stay = Purchase("s1", dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
        ...                 lines=[PurchaseLine("room", "450.00")], counts={"nights": 3, "stays": 1})
        >>> stay.counts, stay.to_dict()["counts"]
        ((('nights', 3), ('stays', 1)), {'nights': 3, 'stays': 1})
        >>> p = Purchase("p1", dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
        ...              lines=[PurchaseLine("1", "80.00"), PurchaseLine("2", "20.00")],
        ...              tenders=[Tender("card", "90.00"), Tender("points", "10.00", points=1000)])
        >>> p.net, p.points_tender
        (Decimal('100.00'), 1000)
    """

    kind: ClassVar[str] = "purchase"
    __spec_tag__: ClassVar[str] = "purchase"
    rank: ClassVar[int] = 3
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    lines: tuple[PurchaseLine, ...] = attrs.field(
        converter=_lines, metadata=metadata(codec=Seq(Nested(PurchaseLine)))
    )
    channel: str = field(default="", validator=_text)
    tenders: tuple[Tender, ...] = attrs.field(
        default=(), converter=_tenders, metadata=metadata(codec=Seq(Nested(Tender)))
    )
    counts: tuple[tuple[str, int], ...] = attrs.field(
        default=(), converter=count_pairs, metadata=metadata(codec=COUNTS_CODEC, omit_default=True)
    )

    def __attrs_post_init__(self) -> None:
        owner = _owner(self)
        problem = count_problem(self.counts)
        if problem is not None:
            raise _EventError(owner, "counts", expected=problem[0], found=problem[1], kind="")
        if not self.lines:
            raise _EventError(owner, "lines", expected="at least one line", found="none", kind="")
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise _EventError(
                owner, "lines", expected="unique line ids", found=f"repeated ids {dup}", kind=""
            )
        if self.tenders:
            paid = sum((t.amount for t in self.tenders), _ZERO)
            if paid != self.net:
                raise _EventError(
                    owner,
                    "tenders",
                    expected=f"amounts adding up to the net amount {self.net}",
                    found=f"a total of {paid}",
                    kind="",
                )

    @property
    def net(self) -> Decimal:
        """The net amount of all lines (after discounts).

        Examples:
            >>> import datetime as dt
            >>> Purchase("p", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ...          lines=[PurchaseLine("1", "5", discount="1")]).net
            Decimal('4')
        """
        return sum((line.net for line in self.lines), _ZERO)

    @property
    def points_tender(self) -> int:
        """Points paid with (the sum of the points tenders, in any point currency).

        Examples:
            >>> import datetime as dt
            >>> Purchase("p", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ...          lines=[PurchaseLine("1", "5")]).points_tender
            0
        """
        return sum(t.points for t in self.tenders)

    def points_tender_in(self, currency: str | None) -> int:
        """Points paid with point currency ``currency`` (None: the primary one).

        Examples:
            >>> import datetime as dt
            >>> p = Purchase("p", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ...              lines=[PurchaseLine("1", "30")],
            ...              tenders=[Tender("points", "10", points=1000),
            ...                       Tender("points", "20", points=2000, currency="miles")])
            >>> p.points_tender_in(None), p.points_tender_in("miles"), p.points_tender
            (1000, 2000, 3000)
        """
        return sum(t.points for t in self.tenders if t.kind == "points" and t.currency == currency)

    @property
    def points_tender_amount(self) -> Decimal:
        """The money value paid with points.

        Examples:
            >>> import datetime as dt
            >>> Purchase("p", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ...          lines=[PurchaseLine("1", "5")],
            ...          tenders=[Tender("points", "5", points=500)]).points_tender_amount
            Decimal('5')
        """
        return sum((t.amount for t in self.tenders if t.kind == "points"), _ZERO)


def _unchecked_purchase(
    event_id: str,
    time: dt.datetime,
    lines: tuple[tuple[str, Decimal, int, str, str, Decimal], ...],
    channel: str,
) -> Purchase:
    """A :class:`Purchase` of values the caller has already checked (no validation).

    For the batch reader, which checks whole columns first; ``lines`` are
    ``(line_id, amount, quantity, sku, category, discount)`` with unique ids, Decimal
    amounts ``>= 0``, ``0 <= discount <= amount`` and ``quantity >= 1``.
    """
    built = tuple(
        [
            unchecked(
                PurchaseLine,
                line_id=line_id,
                amount=amount,
                quantity=quantity,
                sku=sku,
                category=category,
                discount=discount,
            )
            for line_id, amount, quantity, sku, category, discount in lines
        ]
    )
    event = unchecked(
        Purchase,
        event_id=event_id,
        time=time,
        lines=built,
        channel=channel,
        tenders=(),
        counts=(),
    )
    return event


@attrs.frozen
class Refund(_Base):
    """A refund of a purchase, whole or by lines.

    The points the refunded lines earned are reversed exactly (as recorded when they were
    earned, never recomputed); points paid as a tender come back pro rata to the refunded
    money, into the lots they were taken from.

    Attributes:
        event_id: Unique id of the refund.
        time: When (aware datetime).
        purchase_id: The refunded purchase's ``event_id``.
        lines: The :class:`RefundLine` objects; empty refunds everything not yet refunded.

    Examples:
        >>> import datetime as dt
        >>> Refund("r1", dt.datetime(2025, 3, 2, tzinfo=dt.UTC), "p1",
        ...        lines=[RefundLine("2")]).purchase_id
        'p1'
    """

    kind: ClassVar[str] = "refund"
    __spec_tag__: ClassVar[str] = "refund"
    rank: ClassVar[int] = 5
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    purchase_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    lines: tuple[RefundLine, ...] = attrs.field(
        default=(), converter=_refund_lines, metadata=metadata(codec=Seq(Nested(RefundLine)))
    )

    def __attrs_post_init__(self) -> None:
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise _EventError(
                _owner(self), "lines", expected="unique line ids", found=str(ids), kind=""
            )


@attrs.frozen
class Redeem(_Base):
    """Points exchanged for a reward (积分换礼).

    With ``points=None`` the price comes from the program's catalogue for the member's tier
    at that instant; an explicit ``points`` is used as given.

    Attributes:
        event_id: Unique id of the redemption (a retry with the same id changes nothing).
        time: When (aware datetime).
        reward: The reward's catalogue key.
        points: Points charged, or ``None`` for the catalogue price.
        currency: The point currency charged (``"miles"``) in a program with several;
            ``None`` (default) is the catalogue entry's currency, or else the program's
            primary currency.

    Examples:
        >>> import datetime as dt
        >>> Redeem("x1", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), reward="mug", points=300).points
        300
        >>> Redeem("x2", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), points=900, currency="miles").currency
        'miles'
    """

    kind: ClassVar[str] = "redeem"
    __spec_tag__: ClassVar[str] = "redeem"
    rank: ClassVar[int] = 4
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    reward: str = field(default="", validator=_text)
    points: int | None = field(default=None, validator=_redeem_points, codec=Optional(PLAIN))
    currency: str | None = field(
        default=None, validator=_currency_ok, codec=Optional(PLAIN), omit_default=True
    )

    def __attrs_post_init__(self) -> None:
        if self.points is None and not self.reward:
            raise _EventError(
                _owner(self),
                "reward",
                expected="a catalogue reward when points is None",
                found="neither",
                kind="",
            )


@attrs.frozen
class CancelRedemption(_Base):
    """A redemption undone: its points go back to the lots they came from, with their expiry.

    Points back in a lot already past its expiry expire at once (China Southern, for a
    voluntary refund: "退还里程的有效期与兑换所使用里程的原始有效期一致,且仅可退还有效期内的
    里程").

    Attributes:
        event_id: Unique id of the cancellation.
        time: When (aware datetime).
        redemption_id: The cancelled :class:`Redeem`'s ``event_id``.
        involuntary: Whether the cancellation is not the member's doing (a flight
            cancelled or changed by the airline: 非自愿退票). False (default): as above.
            True: the program's ``involuntary_extension`` (China Southern: "按原里程有效期
            顺延6个月退回", the original validity plus 6 months) gives the returned points
            a later expiry, in a lot of their own per lot drawn, ``"<event_id>#<lot id>"``
            (:attr:`Program.involuntary_extension <crmkit.loyalty.Program.involuntary_extension>`);
            a program without one returns them as for a voluntary cancellation.

    Examples:
        >>> import datetime as dt
        >>> CancelRedemption("c1", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), "x1").redemption_id
        'x1'
        >>> c = CancelRedemption("c2", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), "x2", involuntary=True)
        >>> c.to_dict()["involuntary"], event_from_dict(c.to_dict()) == c
        (True, True)
        >>> "involuntary" in CancelRedemption("c3", c.time, "x3").to_dict()
        False
    """

    kind: ClassVar[str] = "cancel_redemption"
    __spec_tag__: ClassVar[str] = "cancel_redemption"
    rank: ClassVar[int] = 6
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    redemption_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    involuntary: bool = field(default=False, validator=_flag, omit_default=True)


@attrs.frozen
class Adjust(_Base):
    """A manual credit (positive) or debit (negative) with a reason code.

    Credits become a lot that expires under the program's policy; debits draw from lots
    like a redemption and raise :class:`~crmkit.errors.InsufficientPointsError` when the
    member lacks the points. Points for gifts (赠送积分) are positive adjustments.

    An adjustment may also credit the tier counters (status credit granted outside any
    purchase, such as Delta's "MQD head start" of a co-branded card): ``spend``,
    ``qualifying_points`` and ``counts`` are posted to the qualifying counters at ``time``
    (never an order, never a purchase: first-purchase bonuses, order thresholds and
    refunds do not see it; whether it is activity for an inactivity expiry is the
    policy's ``activity`` / ``ignore_reasons``, as for any adjustment). A qualifying-only
    adjustment has ``points=0`` and changes no points balance. Negative values take
    status credit back (a correction).

    Attributes:
        event_id: Unique id of the adjustment.
        time: When (aware datetime).
        points: Signed number of points; non-zero unless a qualifying field is non-zero.
        reason: The reason code (required, e.g. ``"goodwill"``, ``"gift"``).
        currency: The point currency credited or debited in a program with several;
            ``None`` (default) is the program's primary currency.
        expires_at: For a credit only: the lot's expiry, kept from elsewhere (points
            transferred with their expiry, see :func:`~crmkit.loyalty.transfer`); must be
            after ``time``. ``None`` (default): the program's expiry policy decides. A
            kept expiry replaces the policy's, under an inactivity policy too (the
            deadline does not take such a lot: Cathay's time-based miles).
        spend: Qualifying spend credited to the tier counters (signed Decimal; default 0).
        qualifying_points: Qualifying points credited to the tier counters (signed int, in
            the units of ``points``; default 0). ``points`` never count toward status by
            themselves: an adjustment's points are not qualifying unless given here.
        counts: Named activity counts credited to the tier counters (``{"nights": 2}``;
            signed ints).

    Examples:
        >>> import datetime as dt
        >>> Adjust("a1", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), points=-20,
        ...        reason="correction").points
        -20
        >>> Adjust("a2", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), points=50, reason="promo",
        ...        currency="promo").currency
        'promo'

        A status-only credit (Delta's $2,500 MQD head start) and its JSON:

        >>> head = Adjust("hs", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), points=0,
        ...               reason="mqd_headstart", spend="2500")
        >>> head.to_dict()
        {'schema_version': 1, 'kind': 'adjust', 'event_id': 'hs', 'time': '2025-01-01T00:00:00+00:00', 'points': 0, 'reason': 'mqd_headstart', 'spend': '2500'}
        >>> from crmkit.errors import InvalidInputError
        >>> try:
        ...     Adjust("z", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), points=0, reason="x")
        ... except InvalidInputError as err:
        ...     print(err)
        Adjust 'z': 'points' must be non-zero unless spend, qualifying_points or counts is; found 0.
    """

    kind: ClassVar[str] = "adjust"
    __spec_tag__: ClassVar[str] = "adjust"
    rank: ClassVar[int] = 2
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    points: int = attrs.field(validator=_signed_points, metadata=metadata())
    reason: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    currency: str | None = field(
        default=None, validator=_currency_ok, codec=Optional(PLAIN), omit_default=True
    )
    expires_at: dt.datetime | None = field(
        default=None, validator=_kept_expiry, codec=Optional(DATETIME), omit_default=True
    )
    spend: Decimal = attrs.field(
        default=_ZERO,
        converter=_as_decimal,
        validator=_signed_money,
        metadata=metadata(codec=DECIMAL, omit_default=True),
    )
    qualifying_points: int = field(default=0, validator=_signed_points, omit_default=True)
    counts: tuple[tuple[str, int], ...] = attrs.field(
        default=(), converter=count_pairs, metadata=metadata(codec=COUNTS_CODEC, omit_default=True)
    )

    def __attrs_post_init__(self) -> None:
        owner = _owner(self)
        problem = count_problem(self.counts, signed=True)
        if problem is not None:
            raise _EventError(owner, "counts", expected=problem[0], found=problem[1], kind="")
        if self.points == 0 and not self.qualifies:
            raise _EventError(
                owner,
                "points",
                expected="non-zero unless spend, qualifying_points or counts is",
                found="0",
                kind="",
            )
        if self.points == 0 and self.currency is not None:
            # Status credit goes to the tier counters, which the primary book keeps for
            # every currency: a currency would seem to choose where it lands, and does not.
            raise _EventError(
                owner,
                "currency",
                expected="None for a status credit without points (the tiers count it "
                "whatever the currency)",
                found=repr(self.currency),
                kind="",
            )

    @property
    def qualifies(self) -> bool:
        """Whether the adjustment credits (or takes back) tier qualifying counters.

        Examples:
            >>> import datetime as dt
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> Adjust("a", t, points=5, reason="gift").qualifies
            False
            >>> Adjust("b", t, points=0, reason="card", counts={"nights": 2}).qualifies
            True
        """
        return bool(self.spend or self.qualifying_points or any(n for _, n in self.counts))


def _grant_reason(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_id(value, _owner(instance), attribute.name)
    if value in CHANGE_REASONS:
        raise _EventError(
            _owner(instance),
            attribute.name,
            expected=f"a reason code other than the tier changes' own {list(CHANGE_REASONS)}",
            found=repr(value),
            kind="",
        )


def _grant_until(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = _owner(instance)
    until = _aware(value, owner, attribute.name)
    if until <= instance.time:
        raise _EventError(
            owner,
            attribute.name,
            expected=f"after the event's time {instance.time.isoformat()}",
            found=until.isoformat(),
            kind="",
        )


def _grant_ladder(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_id(value, _owner(instance), attribute.name)


def _grant_target(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Qualification):
        raise _EventError(
            _owner(instance),
            attribute.name,
            expected="a Qualification (the counters to reach) or None",
            found=repr(value),
            kind="",
        )


@attrs.frozen
class TierGrant(_Base):
    """A tier granted until a date: a status match, a status challenge or a manual upgrade.

    The member holds ``tier`` from ``time`` until ``until`` whatever the counters say, and
    then drops back to what the counters support (never below a tier they reached
    meanwhile). With a ``target`` (a status challenge: Hilton's "Stay a minimum of 8 nights
    within your 90 day trial period, and we'll upgrade your status to Gold"), the activity
    folded from the grant on counts toward it, and the instant it is reached the tier is
    reached as by an upgrade: kept with the validity an upgrade then gives (see
    :meth:`TierTracker.grant <crmkit.loyalty.TierTracker.grant>` for every rule). Without
    a target it is a plain grant for a while (客服手动调整会员等级, a goodwill upgrade).

    The program refuses (:class:`~crmkit.errors.LedgerError`) a ``ladder`` it does not
    have, a ``tier`` that is not above the base of that ladder, and a target on counters
    the ladder does not keep. At an instant it is folded after an enrolment and before
    everything else (a purchase at ``time`` counts toward the target). In a table read
    by :func:`~crmkit.loyalty.replay_many` a grant is a ``tier_grant`` row (columns
    ``tier``, ``until``, ``reason``, ``ladder``; the target from ``spend``,
    ``qualifying_points`` and the ``counts=`` columns).

    Attributes:
        event_id: Unique id of the grant.
        time: When the tier is granted (aware datetime).
        tier: The tier granted (a tier of the ladder, above its base).
        until: When the grant ends (aware, after ``time``): the challenge's deadline.
        reason: The reason code, shown as the tier change's reason (``"status_match"``,
            ``"status_challenge"``, ``"goodwill"``); none of the tier changes' own reasons
            (``"upgrade"``, ``"downgrade"``, ...).
        ladder: The ladder's name in a program with several (None: the primary ladder).
        target: What to reach by ``until`` to keep the tier: a
            :class:`~crmkit.loyalty.Qualification` on the ladder's counters (``spend``,
            ``points`` in points, ``orders``, named ``counts`` such as nights); every
            threshold must be reached. None: the grant ends at ``until``.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Qualification
        >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
        >>> g = TierGrant("m1", t, tier="gold", until=t + dt.timedelta(days=90),
        ...               reason="status_match", target=Qualification(counts={"nights": 8}))
        >>> g.to_dict()["target"], event_from_dict(g.to_dict()) == g
        ({'counts': {'nights': 8}}, True)
        >>> from crmkit.errors import InvalidInputError
        >>> try:
        ...     TierGrant("m2", t, tier="gold", until=t, reason="goodwill")
        ... except InvalidInputError as err:
        ...     print(err)
        TierGrant 'm2': 'until' must be after the event's time 2025-03-01T00:00:00+00:00; found 2025-03-01T00:00:00+00:00.
    """

    kind: ClassVar[str] = "tier_grant"
    __spec_tag__: ClassVar[str] = "tier_grant"
    rank: ClassVar[int] = 1
    event_id: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    time: dt.datetime = attrs.field(validator=_time_ok, metadata=metadata(codec=DATETIME))
    tier: str = attrs.field(validator=_event_id_ok, metadata=metadata())
    until: dt.datetime = attrs.field(validator=_grant_until, metadata=metadata(codec=DATETIME))
    reason: str = attrs.field(validator=_grant_reason, metadata=metadata())
    ladder: str | None = field(
        default=None, validator=_grant_ladder, codec=Optional(PLAIN), omit_default=True
    )
    target: Qualification | None = field(
        default=None,
        validator=_grant_target,
        codec=Optional(Nested(Qualification)),
        omit_default=True,
    )


#: Any member event.
Event: TypeAlias = (
    Enroll | ProfileUpdate | Purchase | Refund | Redeem | CancelRedemption | Adjust | TierGrant
)

#: Every event class, in the order the ledger documents them.
EVENT_CLASSES: tuple[type[Any], ...] = (
    Enroll,
    ProfileUpdate,
    Purchase,
    Refund,
    Redeem,
    CancelRedemption,
    Adjust,
    TierGrant,
)
_KINDS: dict[str, type[Any]] = {cls.kind: cls for cls in EVENT_CLASSES}


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """Build an event from :meth:`to_dict` output (a mapping with a ``kind`` key).

    Args:
        data: The mapping; ``time`` may be an ISO string with an offset.

    Returns:
        The event object.

    Raises:
        InvalidInputError: For an unknown ``kind``, unknown keys or bad values.

    Examples:
        >>> ev = event_from_dict({"kind": "redeem", "event_id": "x1",
        ...                       "time": "2025-03-01T10:00:00+08:00", "points": 300})
        >>> ev.points, ev.time.isoformat()
        (300, '2025-03-01T10:00:00+08:00')
        >>> event_from_dict({"kind": "gift", "event_id": "g"})
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: event_from_dict(): 'kind' must be one of ['adjust', 'cancel_redemption', 'enroll', 'profile', 'purchase', 'redeem', 'refund', 'tier_grant']; found 'gift'.
    """
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            "event_from_dict()", "data", expected="a mapping", found=type(data).__name__, kind=""
        )
    kind = data.get("kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidInputError(
            "event_from_dict()",
            "kind",
            expected=f"one of {sorted(_KINDS)}",
            found=repr(kind),
            kind="",
        )
    try:
        result: Event = cls.from_dict(data)
    except InvalidInputError:
        raise  # a bad value (the event's own check): already names its field
    except ConfigError as err:
        raise InvalidInputError(
            f"{cls.__name__}.from_dict()",
            err.field,
            expected=err.expected,
            found=err.found,
            kind="",
        ) from err
    return result
