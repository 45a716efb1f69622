"""Earning rules: how many points a purchase earns, line by line, and why.

A :class:`EarningScheme` holds the rules, the declared earning base, the rounding settings
and the caps. :meth:`EarningScheme.earn` turns an :class:`Order` (plus what it needs to know
about the member, :class:`MemberContext`) into an :class:`EarningResult` whose line points
add up exactly to the order's points and which explains itself (:meth:`EarningResult.explain`).

Evaluation, in five fixed phases (rules inside a phase run in ``(priority, id)`` order, so
the order rules were written or edited in never matters):

1. **points** rules (:class:`BaseRate`, :class:`PerEvery`) give each line its points;
2. **multipliers** (:class:`Multiplier`, then the member's earning privileges) scale them;
3. **bonuses** (:class:`OrderBonus`, :class:`SignUpBonus`) add fixed points, split to the
   lines they cover by largest remainder;
4. **minimums** (:class:`OrderMinimum`) top the lines they cover up to a floor of points
   per order, split likewise;
5. **rounding** to whole points (per line or per order; floor by default) and **caps**
   (per order, per calendar period or per membership year).

Each rule's ``stacking`` says how it combines with the earlier rules of its phase on a line:
``add`` (sum), ``max`` (keep the larger), ``first`` (apply only if no earlier rule of the
phase applied, and stop the later ones) and, for multipliers, ``multiply``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from crmkit._jsonable import ResultDict
from crmkit._rounding import ROUNDING_MODES, largest_remainder, rounding_mode
from crmkit._spec import (
    DATE,
    DECIMAL,
    Nested,
    Seq,
    Spec,
    Union,
    check_choice,
    derived,
    encode,
    field,
    instance_of,
    not_less_than,
    one_of,
    whole,
)
from crmkit._spec import decimal as decimal_value
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty._privileges import Privilege, _birthday_window
from crmkit.loyalty._rules_util import (
    CAP_PERIODS,
    EXACT,
    MEMBERSHIP_YEAR,
    as_of_time,
    check_date,
    check_labels,
    check_name,
    local_time,
    period_bounds,
    renamed_keys,
    to_date,
    to_decimal,
    to_str_tuple,
    zone,
)

__all__ = [
    "BaseRate",
    "Component",
    "Condition",
    "DateWindow",
    "EarningResult",
    "EarningRule",
    "EarningScheme",
    "LinePoints",
    "MemberContext",
    "Multiplier",
    "Order",
    "OrderBonus",
    "OrderLine",
    "OrderMinimum",
    "PerEvery",
    "PeriodCap",
    "SignUpBonus",
    "YearlyBonus",
]

#: How a rule combines with the earlier rules of its phase.
STACKING_MODES = ("add", "multiply", "max", "first")
#: What money a line earns on.
EARNING_BASES = ("net_paid", "net_of_discounts", "gross")
#: Where whole points are rounded.
ROUNDING_SCOPES = ("per_order", "per_line")
_ZERO = Decimal(0)
_ONE = Decimal(1)


# --------------------------------------------------------------------------- conditions


def _a_date(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        raise ConfigError(type(instance).__name__, attribute.name, expected="a date", found="None")
    check_date(type(instance).__name__, attribute.name, value)


@attrs.frozen
class DateWindow(Spec):
    """A promotion window of local calendar dates, ``start`` included, ``end`` excluded.

    Dates are read in the program's time zone: a purchase at 23:30 local time on the last
    day before ``end`` is inside.

    Attributes:
        start: First day inside the window.
        end: First day after the window (must be later than ``start``).

    Examples:
        >>> import datetime as dt
        >>> w = DateWindow("2025-11-11", "2025-11-12")
        >>> w.contains(dt.date(2025, 11, 11)), w.contains(dt.date(2025, 11, 12))
        (True, False)
        >>> DateWindow.from_dict(w.to_dict()) == w
        True
        >>> w.to_dict()
        {'schema_version': 1, 'start': '2025-11-11', 'end': '2025-11-12'}
    """

    start: dt.date = field(converter=to_date, validator=_a_date, codec=DATE)
    end: dt.date = field(
        converter=to_date, validator=[_a_date, not_less_than("start", strict=True)], codec=DATE
    )

    def contains(self, day: dt.date) -> bool:
        """Whether the local date ``day`` is inside ``[start, end)``.

        Examples:
            >>> import datetime as dt
            >>> DateWindow("2025-01-01", "2025-02-01").contains(dt.date(2025, 1, 31))
            True
        """
        return self.start <= day < self.end


def _to_windows(value: Any) -> Any:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return value  # the validator names it
    out = [DateWindow.from_dict(item) if isinstance(item, Mapping) else item for item in value]
    if not all(isinstance(w, DateWindow) for w in out):
        return tuple(out)  # rejected by the validator, which names the field
    return tuple(sorted(out, key=lambda w: (w.start, w.end)))


def _labels_tuple(value: Any) -> Any:
    if value is None or not isinstance(value, Iterable):
        return value  # the validator names it
    return to_str_tuple(value)


def _labels(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_labels(type(instance).__name__, attribute.name, value)


def _windows(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = type(instance).__name__
    if not isinstance(value, tuple):
        raise ConfigError(owner, "windows", expected="a list of DateWindow", found=repr(value))
    for window in value:
        if not isinstance(window, DateWindow):
            raise ConfigError(owner, "windows", expected="DateWindow items", found=repr(window))
    for a, b in itertools.pairwise(value):
        if b.start < a.end:
            raise ConfigError(
                owner,
                "windows",
                expected="non-overlapping date windows",
                found=f"{a.start}..{a.end} overlapping {b.start}..{b.end}",
            )


@attrs.frozen(kw_only=True)
class Condition(Spec):
    """When a rule applies: to which lines, and for which orders.

    Every field narrows the rule; an empty field means "any". Line filters
    (``categories``, ``skus``, ``except_categories``, ``except_skus``) pick lines; order
    filters (``channels``, ``except_channels``, ``tiers``, ``windows``,
    ``birthday_month``) pick whole orders. The ``except_`` fields are negations:
    "everything except gift cards and shipping" is
    ``Condition(except_categories=["gift_card", "shipping"])``, without listing every
    other category.

    Attributes:
        categories: Line categories the rule covers.
        skus: Line SKUs the rule covers.
        except_categories: Line categories the rule never covers.
        except_skus: Line SKUs the rule never covers.
        channels: Order channels the rule covers.
        except_channels: Order channels the rule never covers.
        tiers: Member tiers (at the order time) the rule covers.
        windows: Promotion windows (local dates); they must not overlap.
        birthday_month: Only in the member's birth month (local time).

    Examples:
        >>> c = Condition(categories=["shoes"], windows=[DateWindow("2025-11-01", "2025-11-12")])
        >>> c.categories
        ('shoes',)
        >>> Condition.from_dict(c.to_dict()) == c
        True
        >>> Condition(channels=["app"]).to_dict()
        {'schema_version': 1, 'channels': ['app']}
        >>> everything_but = Condition(except_categories=["gift_card", "shipping"])
        >>> everything_but.matches_line(OrderLine("1", "50", category="shoes"))
        True
        >>> everything_but.matches_line(OrderLine("2", "50", category="gift_card"))
        False
        >>> Condition(windows=[DateWindow("2025-11-01", "2025-11-12"),
        ...                    DateWindow("2025-11-11", "2025-11-13")])
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Condition: parameter 'windows' must be non-overlapping date windows; found 2025-11-01..2025-11-12 overlapping 2025-11-11..2025-11-13.
    """

    categories: tuple[str, ...] = field(
        default=(), converter=_labels_tuple, validator=_labels, codec=Seq(), omit_default=True
    )
    skus: tuple[str, ...] = field(
        default=(), converter=_labels_tuple, validator=_labels, codec=Seq(), omit_default=True
    )
    channels: tuple[str, ...] = field(
        default=(), converter=_labels_tuple, validator=_labels, codec=Seq(), omit_default=True
    )
    except_categories: tuple[str, ...] = field(
        default=(), converter=_labels_tuple, validator=_labels, codec=Seq(), omit_default=True
    )
    except_skus: tuple[str, ...] = field(
        default=(), converter=_labels_tuple, validator=_labels, codec=Seq(), omit_default=True
    )
    except_channels: tuple[str, ...] = field(
        default=(), converter=_labels_tuple, validator=_labels, codec=Seq(), omit_default=True
    )
    tiers: tuple[str, ...] = field(
        default=(), converter=_labels_tuple, validator=_labels, codec=Seq(), omit_default=True
    )
    windows: tuple[DateWindow, ...] = field(
        default=(),
        converter=_to_windows,
        validator=_windows,
        codec=Seq(Nested(DateWindow)),
        omit_default=True,
    )
    birthday_month: bool = field(
        default=False, validator=instance_of(bool, "a bool"), omit_default=True
    )

    @property
    def has_line_filter(self) -> bool:
        """Whether the condition picks lines (by category or SKU, or all but some).

        Examples:
            >>> Condition(skus=["A1"]).has_line_filter, Condition().has_line_filter
            (True, False)
            >>> Condition(except_skus=["GIFT-50"]).has_line_filter
            True
        """
        return bool(self.categories or self.skus or self.except_categories or self.except_skus)

    @property
    def has_order_filter(self) -> bool:
        """Whether the condition picks orders (channel, tier, window, birthday month).

        Examples:
            >>> Condition(except_channels=["marketplace"]).has_order_filter
            True
            >>> Condition(categories=["tea"]).has_order_filter
            False
        """
        return bool(
            self.channels
            or self.except_channels
            or self.tiers
            or self.windows
            or self.birthday_month
        )

    def matches_line(self, line: OrderLine) -> bool:
        """Whether ``line`` passes the line filters.

        Examples:
            >>> from decimal import Decimal
            >>> Condition(categories=["tea"]).matches_line(OrderLine("l1", Decimal(5), category="tea"))
            True
        """
        if self.categories and line.category not in self.categories:
            return False
        if self.skus and line.sku not in self.skus:
            return False
        if self.except_categories and line.category in self.except_categories:
            return False
        return not (self.except_skus and line.sku in self.except_skus)

    def matches_order(self, day: dt.date, channel: str, member: MemberContext) -> bool:
        """Whether an order on local date ``day`` in ``channel`` by ``member`` passes.

        Examples:
            >>> import datetime as dt
            >>> c = Condition(birthday_month=True)
            >>> c.matches_order(dt.date(2025, 3, 9), "", MemberContext(birth_date=dt.date(1990, 3, 1)))
            True
            >>> c.matches_order(dt.date(2025, 4, 9), "", MemberContext(birth_date=dt.date(1990, 3, 1)))
            False
        """
        if self.channels and channel not in self.channels:
            return False
        if self.except_channels and channel in self.except_channels:
            return False
        if (
            self.tiers
            and member.tier not in self.tiers
            and not any(t in self.tiers for t in member.ladder_tiers)
        ):
            return False
        if self.windows and not any(w.contains(day) for w in self.windows):
            return False
        if self.birthday_month:
            return member.birth_date is not None and member.birth_date.month == day.month
        return True


_ALWAYS = Condition()
_BIRTHDAY = Condition(birthday_month=True)


# --------------------------------------------------------------------------- inputs


def _check_money(owner: str, field: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInputError(
            owner,
            field,
            expected="a finite Decimal (or int / decimal string; never a float)",
            found=f"{type(value).__name__} {value!r}",
            kind="",
        )
    if value < 0:
        raise InvalidInputError(owner, field, expected="at least 0", found=str(value), kind="")


@attrs.frozen
class OrderLine:
    """One line of a purchase, as the earning rules see it.

    Attributes:
        line_id: The line's id, unique within its order.
        amount: Line total before discounts (unit price x quantity), money.
        sku: Stock-keeping unit.
        category: Product category.
        quantity: Units bought (>= 0).
        discount: Money taken off the line (0 <= discount <= amount).

    Examples:
        >>> from decimal import Decimal
        >>> OrderLine("l1", "120.00", sku="T-1", category="tea", quantity=2, discount="20").net
        Decimal('100.00')
        >>> OrderLine("l1", 1.5)
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: OrderLine('l1'): 'amount' must be a finite Decimal (or int / decimal string; never a float); found float 1.5.
    """

    line_id: str
    amount: Decimal = attrs.field(converter=to_decimal)
    sku: str = ""
    category: str = ""
    quantity: int = 1
    discount: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.line_id, str) or not self.line_id:
            raise InvalidInputError(
                "OrderLine",
                "line_id",
                expected="a non-empty string",
                found=repr(self.line_id),
                kind="",
            )
        owner = f"OrderLine({self.line_id!r})"
        _check_money(owner, "amount", self.amount)
        _check_money(owner, "discount", self.discount)
        if self.discount > self.amount:
            raise InvalidInputError(
                owner,
                "discount",
                expected=f"at most the amount {self.amount}",
                found=str(self.discount),
                kind="",
            )
        if (
            not isinstance(self.quantity, int)
            or isinstance(self.quantity, bool)
            or self.quantity < 0
        ):
            raise InvalidInputError(
                owner, "quantity", expected="an int >= 0", found=repr(self.quantity), kind=""
            )
        for name in ("sku", "category"):
            if not isinstance(getattr(self, name), str):
                raise InvalidInputError(
                    owner, name, expected="a string", found=repr(getattr(self, name)), kind=""
                )

    @property
    def net(self) -> Decimal:
        """Amount after the line's discount.

        Examples:
            >>> OrderLine("l1", "10", discount="2.5").net
            Decimal('7.5')
        """
        return self.amount - self.discount


def _to_lines(value: Iterable[OrderLine]) -> tuple[OrderLine, ...]:
    return tuple(value)


@attrs.frozen
class Order:
    """A purchase as the earning rules see it.

    Attributes:
        order_id: The purchase id.
        time: When it happened (aware; naive values are read in the program's zone).
        lines: The order lines (at least one; unique ``line_id``).
        channel: Sales channel (``"store"``, ``"app"``, ...).
        points_tender: **Money** value paid with points (not a number of points). It is
            spread over the lines in proportion to their net amounts, to the currency's
            minor unit, and (by default) earns nothing.

    Examples:
        >>> import datetime as dt
        >>> o = Order("o1", dt.datetime(2025, 3, 1, 10), [OrderLine("l1", "50")], points_tender="5")
        >>> o.total, o.points_tender
        (Decimal('50'), Decimal('5'))
    """

    order_id: str
    time: dt.datetime
    lines: tuple[OrderLine, ...] = attrs.field(converter=_to_lines)
    channel: str = ""
    points_tender: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)

    def __attrs_post_init__(self) -> None:
        owner = f"Order({self.order_id!r})"
        if not isinstance(self.time, dt.datetime):
            raise InvalidInputError(
                owner, "time", expected="a datetime", found=repr(self.time), kind=""
            )
        if not self.lines:
            raise InvalidInputError(
                owner, "lines", expected="at least one line", found="none", kind=""
            )
        ids = [line.line_id for line in self.lines if isinstance(line, OrderLine)]
        if len(ids) != len(self.lines):
            raise InvalidInputError(
                owner, "lines", expected="OrderLine items", found="other objects", kind=""
            )
        repeated = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
        if repeated:
            raise InvalidInputError(
                owner,
                "lines",
                expected="unique line ids",
                found=f"repeated ids {repeated}",
                kind="",
            )
        _check_money(owner, "points_tender", self.points_tender)
        # Line nets are never negative, so a zero tender never exceeds the total.
        if self.points_tender and self.points_tender > self.total:
            raise InvalidInputError(
                owner,
                "points_tender",
                expected=f"at most the order's net total {self.total}",
                found=str(self.points_tender),
                kind="",
            )
        if not isinstance(self.channel, str):
            raise InvalidInputError(
                owner, "channel", expected="a string", found=repr(self.channel), kind=""
            )

    @property
    def total(self) -> Decimal:
        """Sum of the lines' net amounts (after line discounts).

        Examples:
            >>> import datetime as dt
            >>> Order("o", dt.datetime(2025, 1, 1), [OrderLine("a", "3"), OrderLine("b", "4", discount="1")]).total
            Decimal('6')
        """
        return sum((line.net for line in self.lines), Decimal(0))


def _to_period_points(
    value: Mapping[str, int] | Iterable[tuple[str, int]],
) -> tuple[tuple[str, int], ...]:
    if isinstance(value, dict | tuple) and not value:
        return ()
    return tuple(sorted(dict(value).items()))


def _privilege_tuple(value: Iterable[Privilege]) -> tuple[Privilege, ...]:
    """Converter: the privileges as a tuple (the items are checked by the class)."""
    return tuple(value)


@attrs.frozen(kw_only=True)
class MemberContext:
    """What the earning rules need to know about the member at the order time.

    Attributes:
        birth_date: Birth date (for birthday-month rules and privileges).
        enrolled_at: Enrolment instant (for sign-up bonuses with ``within_days``, and the
            start of the membership years of ``membership_year`` caps and use limits).
        membership_start: When the member's membership years start, if not at
            ``enrolled_at``: a replay sets it to the member's first event when they have no
            :class:`~crmkit.loyalty.Enroll` event (where their tier clock starts too).
            None (default): at ``enrolled_at``. A scheme with a ``membership_year`` cap or
            use limit refuses to earn for a member whose membership years start nowhere.
        tier: Tier name at the order time.
        prior_orders: Purchases before this one (sign-up bonuses on the first purchase).
        period_points: Points already earned in the current period of each cap, keyed by
            the cap's period (``{"month": 420}``, ``{"membership_year": 90000}``); see
            :meth:`EarningScheme.period_to_date`. A missing period counts as 0.
        privileges: The member's privileges active at the order time; ``earning_multiplier``
            and ``birthday_bonus`` privileges act as multipliers.
        ladder_tiers: In a program with several tier ladders, the member's tier on every
            ladder as a qualified ``"ladder:tier"`` name (``("status:gold", "club:plus")``);
            a :class:`Condition` naming ``"club:plus"`` matches it. Empty with one ladder.
        rule_uses: Orders each limited rule (``max_uses``) already gave points to in its
            current period, by rule id (``{"birthday": 1}``); see
            :meth:`EarningScheme.uses_to_date`. A missing rule counts as 0.

    Examples:
        >>> import datetime as dt
        >>> m = MemberContext(birth_date=dt.date(1990, 5, 2), tier="gold", period_points={"month": 300})
        >>> m.points_in("month"), m.points_in("year")
        (300, 0)
        >>> c = Condition(tiers=["club:plus"])
        >>> c.matches_order(dt.date(2025, 3, 9), "", MemberContext(tier="gold", ladder_tiers=["club:plus"]))
        True
    """

    birth_date: dt.date | None = attrs.field(default=None, converter=to_date)
    enrolled_at: dt.datetime | None = None
    membership_start: dt.datetime | None = None
    tier: str | None = None
    prior_orders: int = 0
    period_points: tuple[tuple[str, int], ...] = attrs.field(
        default=(), converter=_to_period_points
    )
    privileges: tuple[Privilege, ...] = attrs.field(default=(), converter=_privilege_tuple)
    ladder_tiers: tuple[str, ...] = attrs.field(default=(), converter=to_str_tuple)
    rule_uses: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_to_period_points)

    def __attrs_post_init__(self) -> None:
        owner = "MemberContext"
        for key, count in self.rule_uses:
            if not isinstance(key, str) or not isinstance(count, int) or isinstance(count, bool):
                raise InvalidInputError(
                    owner,
                    "rule_uses",
                    expected="int counts keyed by rule id",
                    found=f"{key!r}: {count!r}",
                    kind="",
                )
        if self.birth_date is not None and (
            not isinstance(self.birth_date, dt.date) or isinstance(self.birth_date, dt.datetime)
        ):
            raise InvalidInputError(
                owner, "birth_date", expected="a date", found=repr(self.birth_date), kind=""
            )
        for name in ("enrolled_at", "membership_start"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.datetime):
                raise InvalidInputError(
                    owner, name, expected="a datetime", found=repr(value), kind=""
                )
        if not isinstance(self.prior_orders, int) or self.prior_orders < 0:
            raise InvalidInputError(
                owner,
                "prior_orders",
                expected="an int >= 0",
                found=repr(self.prior_orders),
                kind="",
            )
        for key, pts in self.period_points:
            if key not in CAP_PERIODS or not isinstance(pts, int) or isinstance(pts, bool):
                raise InvalidInputError(
                    owner,
                    "period_points",
                    expected=f"int points keyed by one of {list(CAP_PERIODS)}",
                    found=f"{key!r}: {pts!r}",
                    kind="",
                )
        for priv in self.privileges:
            if not isinstance(priv, Privilege):
                raise InvalidInputError(
                    owner, "privileges", expected="Privilege items", found=repr(priv), kind=""
                )
        if not all(isinstance(t, str) and ":" in t for t in self.ladder_tiers):
            raise InvalidInputError(
                owner,
                "ladder_tiers",
                expected="'ladder:tier' strings",
                found=repr(self.ladder_tiers),
                kind="",
            )

    def points_in(self, freq: str) -> int:
        """Points already earned in the current period ``freq`` of a cap (0 when not given).

        Raises:
            ConfigError: ``freq`` is not one of the periods of a cap (``day``, ``week``,
                ``month``, ``quarter``, ``year``, ``membership_year``): ``"M"`` would
                otherwise read 0.

        Examples:
            >>> MemberContext(period_points={"day": 5}).points_in("day")
            5
            >>> MemberContext(period_points={"membership_year": 90000}).points_in("membership_year")
            90000
        """
        if freq not in CAP_PERIODS:
            check_choice(freq, CAP_PERIODS, "MemberContext.points_in()", "freq")
        return dict(self.period_points).get(freq, 0)

    def uses_of(self, rule_id: str) -> int:
        """Orders rule ``rule_id`` already gave points to in its current period (0 if unknown).

        Examples:
            >>> MemberContext(rule_uses={"birthday": 1}).uses_of("birthday")
            1
        """
        return dict(self.rule_uses).get(rule_id, 0)


# --------------------------------------------------------------------------- rules


#: What a partial refund does to an order bonus (:attr:`OrderBonus.refunds`).
BONUS_REFUNDS = ("share", "threshold")

_RULE_KINDS: dict[str, type[EarningRule]] = {}


def _rule_id(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_name(type(instance).__name__, attribute.name, value)


def _to_condition(value: Any) -> Any:
    return Condition.from_dict(value) if isinstance(value, Mapping) else value


def _stacking(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    one_of(type(instance).stacking_modes)(instance, attribute, value)


@attrs.frozen(kw_only=True)
class EarningRule(Spec):
    """Base class of the earning rules; :meth:`from_dict` builds any kind from its ``kind``.

    Every rule has an ``id`` (unique in its scheme), a ``priority`` (lower runs first; ties
    run in ``id`` order), a ``stacking`` mode and a :class:`Condition` (``when``). Any rule
    can be limited to ``max_uses`` orders per member per period ``uses_freq``: a local
    calendar period (``day``, ``week``, ``month``, ``quarter``, ``year``) or the member's
    ``membership_year`` (as :class:`PeriodCap` counts it): "once a year" is
    ``max_uses=1, uses_freq="year"``. A rule is used by an order it gives points to
    (the count is :attr:`MemberContext.rule_uses`; a refund does not give the use back).

    ``qualifying=False`` keeps a rule's points out of the qualifying points of tiers
    (:attr:`EarningResult.qualifying_points`) while the member still earns them: Hilton
    Honors qualifies status on base points only, so its elite bonus multipliers are
    ``Multiplier(..., qualifying=False)``. Default True (every rule's points qualify).

    Examples:
        >>> rule = EarningRule.from_dict({"kind": "base_rate", "id": "base", "rate": "1"})
        >>> type(rule).__name__, rule.rate
        ('BaseRate', Decimal('1'))
        >>> bonus = EarningRule.from_dict({"kind": "multiplier", "id": "gold", "factor": "1.8",
        ...                                "qualifying": False})
        >>> bonus.qualifying, bonus.to_dict()["qualifying"]
        (False, False)
        >>> "qualifying" in rule.to_dict()
        False
        >>> EarningRule.from_dict({"kind": "cashback", "id": "x"})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: EarningRule.from_dict(): parameter 'kind' must be one of ['base_rate', 'multiplier', 'order_bonus', 'order_minimum', 'per_every', 'signup_bonus', 'yearly_bonus']; found 'cashback'.
    """

    kind: ClassVar[str] = ""
    phase: ClassVar[str] = ""
    stacking_modes: ClassVar[tuple[str, ...]] = ("add", "max", "first")
    # ``from_dict`` on this base builds the kind named by ``kind`` (the spec layer's union).
    __spec_union__: ClassVar[Mapping[str, type[Spec]]] = _RULE_KINDS

    id: str = field(validator=_rule_id)
    priority: int = field(default=100, validator=whole())
    stacking: str = field(default="add", validator=_stacking)
    when: Condition = field(
        factory=Condition,
        converter=_to_condition,
        validator=instance_of(Condition, "a Condition"),
        codec=Nested(Condition),
    )
    max_uses: int | None = field(
        default=None, validator=whole(min=1, optional=True), omit_default=True
    )
    uses_freq: str = field(default="year", validator=one_of(CAP_PERIODS), omit_default=True)
    qualifying: bool = field(default=True, validator=instance_of(bool, "a bool"), omit_default=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            cls.__spec_tag__ = cls.kind
            _RULE_KINDS[cls.kind] = cls

    @property
    def owner(self) -> str:
        """How error messages name this rule.

        Examples:
            >>> BaseRate(id="base", rate=1).owner
            "BaseRate('base')"
        """
        return f"{type(self).__name__}({self.id!r})"

    # The engine calls these; each kind overrides what it needs.
    def _points(self, bases: list[Decimal], eligible: list[int], scale: int) -> dict[int, Decimal]:
        raise TypeError(self.kind)  # pragma: no cover - only points rules are asked

    def _describe(self) -> str:
        return self.kind


@attrs.frozen(kw_only=True)
class BaseRate(EarningRule):
    """``rate`` points per one currency unit of each covered line's earning base.

    Attributes:
        id: Rule id.
        rate: Points per currency unit (>= 0), e.g. ``1`` for "1 point per yuan".
        priority: Lower runs first; ties by ``id``.
        stacking: ``add`` (default), ``max`` or ``first``.
        when: Which lines and orders it covers.

    Examples:
        >>> import datetime as dt
        >>> scheme = EarningScheme(rules=[BaseRate(id="base", rate="1")])
        >>> order = Order("o1", dt.datetime(2025, 3, 1, 12), [OrderLine("l1", "99.90")])
        >>> scheme.earn(order, timezone="Asia/Shanghai").points
        99
    """

    kind: ClassVar[str] = "base_rate"
    phase: ClassVar[str] = "points"

    rate: Decimal = field(converter=to_decimal, validator=decimal_value(min=0), codec=DECIMAL)

    def _points(self, bases: list[Decimal], eligible: list[int], scale: int) -> dict[int, Decimal]:
        rate = self.rate * scale
        return {i: bases[i] * rate for i in eligible}

    def _describe(self) -> str:
        return f"{self.rate} per unit"


@attrs.frozen(kw_only=True)
class PerEvery(EarningRule):
    """``points`` for every full ``every`` of earning base ("10 points per every 100").

    By default the steps are counted on the covered lines' total base and the points are
    split back to those lines by largest remainder; ``per_line=True`` counts steps on each
    line alone.

    Attributes:
        id: Rule id.
        points: Whole points per step (>= 0).
        every: Money per step (> 0).
        per_line: Count steps per line instead of per order.
        priority: Lower runs first; ties by ``id``.
        stacking: ``add`` (default), ``max`` or ``first``.
        when: Which lines and orders it covers.

    Examples:
        >>> import datetime as dt
        >>> scheme = EarningScheme(rules=[PerEvery(id="step", points=10, every="100")])
        >>> order = Order("o1", dt.datetime(2025, 3, 1), [OrderLine("a", "150"), OrderLine("b", "99")])
        >>> result = scheme.earn(order, timezone="UTC")
        >>> result.points, result.line_points()
        (20, {'a': 12, 'b': 8})
    """

    kind: ClassVar[str] = "per_every"
    phase: ClassVar[str] = "points"

    points: int = field(validator=whole(min=0))
    every: Decimal = field(
        converter=to_decimal, validator=decimal_value(min=0, min_open=True), codec=DECIMAL
    )
    per_line: bool = field(default=False, validator=instance_of(bool, "a bool"))

    def _points(self, bases: list[Decimal], eligible: list[int], scale: int) -> dict[int, Decimal]:
        every = self.every
        if self.per_line:
            return {i: Decimal(int(bases[i] // every) * self.points * scale) for i in eligible}
        total = sum((bases[i] for i in eligible), Decimal(0))
        steps = int(total // every)
        parts = largest_remainder(steps * self.points * scale, [bases[i] for i in eligible])
        return {i: Decimal(p) for i, p in zip(eligible, parts, strict=True)}

    def _describe(self) -> str:
        scope = " per line" if self.per_line else ""
        return f"{self.points} per every {self.every}{scope}"


@attrs.frozen(kw_only=True)
class Multiplier(EarningRule):
    """Multiply the points of the covered lines by ``factor`` (promotions, tiers, birthdays).

    ``stacking`` says how it combines with the multipliers before it on a line:
    ``multiply`` (default: x2 then x3 gives x6), ``add`` (extra factors add: x2 and x3 give
    x4), ``max`` (the larger factor) or ``first`` (only if no earlier multiplier applied).

    Attributes:
        id: Rule id.
        factor: The multiplier (>= 1; to earn less somewhere, give it a lower rate).
        priority: Lower runs first; ties by ``id``.
        stacking: ``multiply`` (default), ``add``, ``max`` or ``first``.
        when: Which lines and orders it covers.

    Examples:
        >>> import datetime as dt
        >>> scheme = EarningScheme(rules=[
        ...     BaseRate(id="base", rate=1),
        ...     Multiplier(id="double-11", factor=2,
        ...                when=Condition(windows=[DateWindow("2025-11-11", "2025-11-12")])),
        ... ])
        >>> order = Order("o1", dt.datetime(2025, 11, 11, 20), [OrderLine("l1", "300")])
        >>> scheme.earn(order, timezone="Asia/Shanghai").points
        600
    """

    kind: ClassVar[str] = "multiplier"
    phase: ClassVar[str] = "multiplier"
    stacking_modes: ClassVar[tuple[str, ...]] = STACKING_MODES

    factor: Decimal = field(converter=to_decimal, validator=decimal_value(min=1), codec=DECIMAL)
    stacking: str = field(default="multiply", validator=_stacking)

    def _describe(self) -> str:
        return f"x{_show(self.factor)}, {self.stacking}"


@attrs.frozen(kw_only=True)
class OrderBonus(EarningRule):
    """Fixed ``points`` for an order whose covered base reaches ``min_spend``.

    The bonus is split to the covered lines in proportion to their base (largest
    remainder). Multipliers do not apply to it. What a partial refund does to it is
    ``refunds``: ``"share"`` (default) takes back the refunded lines' shares;
    ``"threshold"`` keeps the bonus whole while the covered lines kept still reach
    ``min_spend`` and takes all of it back with the refund that breaks the threshold (or
    the last one), as programs word it: "a spend-threshold bonus is taken back as a whole
    when a return breaks the threshold".

    Attributes:
        id: Rule id.
        points: Whole bonus points (>= 0).
        min_spend: Threshold on the covered lines' total base, inclusive (>= 0).
        refunds: ``"share"`` or ``"threshold"`` (see above; omitted from JSON when
            ``"share"``).
        priority: Lower runs first; ties by ``id``.
        stacking: ``add`` (default), ``max`` (only the largest bonus) or ``first``.
        when: Which lines and orders it covers.

    Examples:
        >>> import datetime as dt
        >>> scheme = EarningScheme(rules=[BaseRate(id="base", rate=1),
        ...                               OrderBonus(id="spend-500", points=50, min_spend="500")])
        >>> order = Order("o1", dt.datetime(2025, 3, 1), [OrderLine("a", "300"), OrderLine("b", "200")])
        >>> scheme.earn(order, timezone="UTC").line_points()
        {'a': 330, 'b': 220}
        >>> whole = OrderBonus(id="spend-500", points=50, min_spend="500", refunds="threshold")
        >>> whole.to_dict()["refunds"], EarningRule.from_dict(whole.to_dict()) == whole
        ('threshold', True)
    """

    kind: ClassVar[str] = "order_bonus"
    phase: ClassVar[str] = "bonus"

    points: int = field(validator=whole(min=0))
    min_spend: Decimal = field(
        default=Decimal(0), converter=to_decimal, validator=decimal_value(min=0), codec=DECIMAL
    )
    refunds: str = field(default="share", validator=one_of(BONUS_REFUNDS), omit_default=True)

    def _describe(self) -> str:
        return f"+{self.points} at spend >= {self.min_spend}"


def _enrolment_bonus(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An enrolment bonus narrows only by windows and has no first-purchase deadline."""
    if instance.trigger != "enroll":
        return
    used = set(encode(instance.when, top=False)) - {"windows"}
    if used:
        raise ConfigError(
            instance.owner,
            "when",
            expected="only 'windows' for an enrolment bonus",
            found=f"{sorted(used)}",
        )
    if value is not None:
        raise ConfigError(
            instance.owner,
            "within_days",
            expected="None for an enrolment bonus",
            found=str(value),
        )


@attrs.frozen(kw_only=True)
class SignUpBonus(EarningRule):
    """Points for joining: at enrolment, or on the first purchase.

    With ``trigger="enroll"`` the points come from :meth:`EarningScheme.enrollment_points`
    (only ``windows`` may narrow it). With ``trigger="first_purchase"`` they are an order
    bonus on the member's first purchase, optionally only ``within_days`` of enrolment.

    Attributes:
        id: Rule id.
        points: Whole bonus points (>= 0).
        trigger: ``"first_purchase"`` (default) or ``"enroll"``.
        within_days: First purchase must come this many days after enrolment at most.
        priority: Lower runs first; ties by ``id``.
        stacking: ``add`` (default), ``max`` or ``first``.
        when: Which lines and orders it covers.

    Examples:
        >>> import datetime as dt
        >>> scheme = EarningScheme(rules=[SignUpBonus(id="welcome", points=200, trigger="enroll")])
        >>> scheme.enrollment_points(dt.datetime(2025, 1, 5), timezone="UTC").points
        200
    """

    kind: ClassVar[str] = "signup_bonus"
    phase: ClassVar[str] = "bonus"

    points: int = field(validator=whole(min=0))
    trigger: str = field(default="first_purchase", validator=one_of(("first_purchase", "enroll")))
    within_days: int | None = field(
        default=None, validator=[whole(min=1, optional=True), _enrolment_bonus]
    )

    def _describe(self) -> str:
        return f"+{self.points} sign-up ({self.trigger})"

    def _applies_to(self, order_time: dt.datetime, member: MemberContext) -> bool:
        if self.trigger != "first_purchase" or member.prior_orders != 0:
            return False
        if self.within_days is None:
            return True
        if member.enrolled_at is None:
            return False
        enrolled = member.enrolled_at
        if enrolled.tzinfo is None:
            enrolled = enrolled.replace(tzinfo=order_time.tzinfo)
        return order_time < enrolled + dt.timedelta(days=self.within_days)


@attrs.frozen(kw_only=True)
class OrderMinimum(EarningRule):
    """A floor on an order's points: top the covered lines up to at least ``points``.

    Wyndham Rewards' "go get 'em": "10 points per dollar or 1,000 points per stay,
    whichever is more", with the elite bonus applied first: a Gold member's $80 night earns
    800 base points, 80 accelerated, and 120 more to make 1,000 (Wyndham's member-levels
    FAQ). The rule runs in its own phase, after multipliers and bonuses and before
    rounding and caps. What it compares with ``points`` is what the covered lines earned
    from the points rules and multipliers (earning privileges included), and from the
    order minimums before it; order and sign-up bonuses are added on top of the minimum,
    as Wyndham's promotions word it ("The Bonus, when added to the minimum of 1,000 Base
    Points a points-earning Member earns for a Qualified Stay ... results in earnings of at
    least 7,500"), unless ``include_bonuses=True`` counts them toward it. The top-up is
    split to the covered lines in proportion to their base, as an order bonus is.

    - **Rounding.** The order earns at least ``points`` whatever the rounding: with
      ``rounding_scope="per_order"`` the top-up is the exact shortfall (880 exact: +120;
      999.5 exact: +0.5, and the order total rounds to 1,000); with ``"per_line"`` it is
      the shortfall of the covered lines' rounded points, in whole points.
    - **Only paid, covered orders.** Lines the condition leaves out neither count toward
      the minimum nor get a share; an order with no covered line, or whose covered lines
      have an earning base of 0 (a free night, a stay paid wholly with points), gets no
      top-up.
    - **Caps** come after: a ``max_points_per_order`` or a :class:`PeriodCap` below the
      minimum still caps the order.
    - **Refunds** reverse the stored line points, top-up shares included: refunding the
      whole order takes all of it back; a partial refund takes back the refunded lines'
      shares (the minimum is not worked out again for what is kept).
    - **Qualifying.** The top-up counts toward the qualifying points of tiers unless
      ``qualifying=False``. ``max_uses`` counts the orders it topped up.
    - **Several minimums** covering an order: each tops up what the earlier ones left, so
      the largest one holds (stacking ``"max"``, the only mode).

    Attributes:
        id: Rule id.
        points: The minimum, whole points (>= 1).
        include_bonuses: Whether order and sign-up bonuses count toward the minimum
            (default False: they come on top of it; omitted from JSON when False).
        priority: Lower runs first; ties by ``id``.
        stacking: ``"max"`` (the only mode).
        when: Which lines and orders it covers.

    Examples:
        >>> import datetime as dt
        >>> scheme = EarningScheme(rules=[
        ...     BaseRate(id="base", rate=10),
        ...     Multiplier(id="gold", factor="1.1", when=Condition(tiers=["gold"])),
        ...     OrderMinimum(id="go-get-em", points=1000)])
        >>> night = Order("s1", dt.datetime(2024, 3, 1), [OrderLine("room", "80")])
        >>> scheme.earn(night, MemberContext(tier="gold"), timezone="America/New_York").by_rule()
        {'base': 800, 'gold': 80, 'go-get-em': 120}
        >>> big = Order("s2", dt.datetime(2024, 3, 1), [OrderLine("room", "125")])
        >>> scheme.earn(big, MemberContext(tier="gold"), timezone="America/New_York").points
        1375
        >>> rule = OrderMinimum(id="go-get-em", points=1000, include_bonuses=True)
        >>> EarningRule.from_dict(rule.to_dict()) == rule, rule.to_dict()["kind"]
        (True, 'order_minimum')
        >>> OrderMinimum(id="m", points=0)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: OrderMinimum: parameter 'points' must be an int at least 1; found 0.
    """

    kind: ClassVar[str] = "order_minimum"
    phase: ClassVar[str] = "minimum"
    stacking_modes: ClassVar[tuple[str, ...]] = ("max",)

    points: int = field(validator=whole(min=1))
    include_bonuses: bool = field(
        default=False, validator=instance_of(bool, "a bool"), omit_default=True
    )
    stacking: str = field(default="max", validator=_stacking)

    def _describe(self) -> str:
        counted = ", bonuses counted" if self.include_bonuses else ""
        return f"at least {self.points} per order{counted}"


YEARLY_OCCASIONS = ("birthday", "anniversary")


def _yearly_shape(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A yearly bonus narrows only by tiers and windows, with a notice only on birthdays.

    It has no use limit of its own: it is once a year by construction.
    """
    used = set(encode(instance.when, top=False)) - {"tiers", "windows"}
    if used:
        raise ConfigError(
            instance.owner,
            "when",
            expected="only 'tiers' and 'windows' for a yearly bonus",
            found=f"{sorted(used)}",
        )
    if instance.max_uses is not None:
        raise ConfigError(
            instance.owner,
            "max_uses",
            expected="None for a yearly bonus (it is credited once a year)",
            found=str(instance.max_uses),
        )
    if value and instance.on != "birthday":
        raise ConfigError(
            instance.owner,
            "notice_days",
            expected="0 unless on='birthday'",
            found=str(value),
        )


@attrs.frozen(kw_only=True)
class YearlyBonus(EarningRule):
    """Fixed points the calendar credits once a year, without a purchase (rule 10).

    ``on="birthday"``: at local midnight starting the member's birthday in the program's
    time zone (a 29 February birthday is 28 February in common years, as for birthday
    vouchers); the birth date comes from :class:`~crmkit.loyalty.Enroll` or
    :class:`~crmkit.loyalty.ProfileUpdate` and must be known before that midnight (with
    ``notice_days``, that many days before: "register your birthday at least 30 days
    before it"; otherwise the bonus waits for the next birthday). ``on="anniversary"``: at
    local midnight starting each anniversary of the enrolment date (first one a year after
    joining; 29 February likewise).

    The replay posts it at that instant as an ``earn`` posting with this rule's id and a lot
    ``"<id>@<year>"`` (source ``"yearly"``) that expires under the program's policy like any
    points; at most once per rule and local calendar year (a birth date changed after the
    bonus was credited gives nothing more that year). ``when`` narrows it by the tiers held
    at that instant (``Condition(tiers=["gold"])``) and by date ``windows`` only. It is not
    purchase activity (no qualifying posting, not an inactivity reset).

    Attributes:
        id: Rule id.
        points: Whole points credited (>= 1).
        on: ``"birthday"`` (default) or ``"anniversary"`` (of enrolment).
        notice_days: Birthdays only: the birth date must be known this many days before.
        priority: Lower runs first; ties by ``id``.
        when: Tiers held at the instant and date windows it applies in.

    Examples:
        >>> import datetime as dt, zoneinfo
        >>> from crmkit.loyalty import Enroll, Program
        >>> program = Program(timezone="Europe/London", earning=EarningScheme(rules=[
        ...     BaseRate(id="base", rate=1), YearlyBonus(id="birthday", points=500)]))
        >>> london = zoneinfo.ZoneInfo("Europe/London")
        >>> joined = Enroll("e1", dt.datetime(2025, 1, 10, 9, tzinfo=london), birth_date="1990-03-14")
        >>> state = program.replay([joined], as_of=dt.datetime(2026, 6, 1))
        >>> [(p.time.isoformat(), p.points, p.lot_id) for p in state.postings]
        [('2025-03-14T00:00:00+00:00', 500, 'birthday@2025'), ('2026-03-14T00:00:00+00:00', 500, 'birthday@2026')]
        >>> rule = YearlyBonus(id="gold-anniversary", points=1000, on="anniversary",
        ...                    when=Condition(tiers=["gold"]))
        >>> EarningRule.from_dict(rule.to_dict()) == rule, rule.to_dict()["on"]
        (True, 'anniversary')
    """

    kind: ClassVar[str] = "yearly_bonus"
    phase: ClassVar[str] = "calendar"
    stacking_modes: ClassVar[tuple[str, ...]] = ("add",)

    points: int = field(validator=whole(min=1))
    on: str = field(default="birthday", validator=one_of(YEARLY_OCCASIONS))
    notice_days: int = field(
        default=0, validator=[whole(min=0, max=365), _yearly_shape], omit_default=True
    )

    def _describe(self) -> str:
        return f"+{self.points} each {self.on}"

    def day_in(self, year: int, born: dt.date | None, enrolled: dt.date | None) -> dt.date | None:
        """The local date of this bonus in ``year`` (None: not known, or before the first).

        Examples:
            >>> import datetime as dt
            >>> YearlyBonus(id="b", points=1).day_in(2025, dt.date(1992, 2, 29), None)
            datetime.date(2025, 2, 28)
            >>> YearlyBonus(id="a", points=1, on="anniversary").day_in(2025, None, dt.date(2025, 4, 2))
        """
        if self.on == "birthday":
            anchor = born
        elif enrolled is None or year <= enrolled.year:
            return None
        else:
            anchor = enrolled
        if anchor is None:
            return None
        return _anniversary(anchor, year)


def _anniversary(anchor: dt.date, year: int) -> dt.date:
    """The day of ``anchor``'s anniversary (or birthday) in ``year``: the library's one rule.

    The same month and day; 29 February is 28 February in common years, the day of a
    birthday voucher (:class:`YearlyBonus` days and membership years both use it).

    >>> _anniversary(dt.date(2024, 2, 29), 2025), _anniversary(dt.date(2024, 2, 29), 2028)
    (datetime.date(2025, 2, 28), datetime.date(2028, 2, 29))
    """
    return _birthday_window(anchor, year, "birthday")[0]


def _membership_year(day: dt.date, start: dt.date) -> tuple[dt.date, dt.date]:
    """The membership year containing the local date ``day``, as ``[start, end)`` dates.

    Membership years run from ``start`` (the local date of enrolment) to the day before
    its next anniversary, then from anniversary to anniversary (:func:`_anniversary`: a
    29 February start renews on 28 February in common years). ``day`` is never before
    ``start`` (the callers check it).

    >>> _membership_year(dt.date(2026, 3, 14), dt.date(2025, 3, 15))
    (datetime.date(2025, 3, 15), datetime.date(2026, 3, 15))
    >>> _membership_year(dt.date(2025, 2, 28), dt.date(2024, 2, 29))
    (datetime.date(2025, 2, 28), datetime.date(2026, 2, 28))
    """
    this_year = _anniversary(start, day.year)
    if day >= this_year:
        return this_year, _anniversary(start, day.year + 1)
    return _anniversary(start, day.year - 1), this_year


def _period_of(
    day: dt.date, freq: str, enrolled_at: dt.datetime | None, tz: dt.tzinfo, owner: str
) -> tuple[dt.date, dt.date]:
    """The period ``freq`` (of a cap or a use limit) containing the local date ``day``.

    A ``membership_year`` starts at the local date of ``enrolled_at``, which it needs.
    """
    if freq != MEMBERSHIP_YEAR:
        return period_bounds(day, freq)
    if enrolled_at is None:
        raise InvalidInputError(
            owner,
            "enrolled_at",
            expected="the member's enrolment instant, where 'membership_year' periods start",
            found="None",
            kind="",
            hint="Pass enrolled_at= (a replay passes the Enroll event's time, or the "
            "member's first event without one).",
        )
    start = local_time(enrolled_at, tz, owner, "enrolled_at").date()
    if day < start:
        raise InvalidInputError(
            owner,
            "as_of",
            expected=f"not before the local date of enrolled_at ({start.isoformat()})",
            found=day.isoformat(),
            kind="",
        )
    return _membership_year(day, start)


@attrs.frozen
class PeriodCap(Spec):
    """At most ``max_points`` purchase points per member per period ``freq``.

    Calendar periods are local to the program's zone: ``day``, ``week`` (ISO, from
    Monday), ``month``, ``quarter``, ``year``. ``membership_year`` is the member's own year
    (会员年度; Costco's "12-month period" of the Executive 2% Reward): from the local date
    of their enrolment to the day before its next anniversary, then the next one (a
    29 February enrolment renews on 28 February in common years, as
    :class:`YearlyBonus` anniversaries do). A replay starts it at the member's
    :class:`~crmkit.loyalty.Enroll` event, or, for a member without one, at their first
    event (where the tier clock starts); an ``Enroll`` after earlier events starts the
    membership years again from its date (points earned before it stay in the year of
    the first event). Called directly, :meth:`EarningScheme.earn` needs
    :attr:`MemberContext.enrolled_at` for it.

    Attributes:
        freq: The period (called ``period`` in schema version 1; such JSON still loads).
        max_points: The cap (>= 0).

    Examples:
        >>> PeriodCap("month", 5000).to_dict()
        {'schema_version': 2, 'freq': 'month', 'max_points': 5000}
        >>> PeriodCap.from_dict({"freq": "year", "max_points": 10})
        PeriodCap(freq='year', max_points=10)
        >>> PeriodCap.from_dict({"schema_version": 1, "period": "year", "max_points": 10})
        PeriodCap(freq='year', max_points=10)
        >>> PeriodCap.from_dict(PeriodCap("membership_year", 1250).to_dict())
        PeriodCap(freq='membership_year', max_points=1250)
        >>> PeriodCap("fortnight", 10)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: PeriodCap: parameter 'freq' must be one of ['day', 'week', 'month', 'quarter', 'year', 'membership_year']; found 'fortnight'.
    """

    # Schema 2 still: ``membership_year`` is a new allowed value, not a new form. Every
    # JSON written before reads and writes exactly as before, and an older crmkit refuses
    # a ``membership_year`` cap by name rather than misreading it; a bump would make older
    # versions refuse every cap, calendar ones included.
    __spec_version__ = 2
    freq: str = field(validator=one_of(CAP_PERIODS))
    max_points: int = field(validator=whole(min=0))

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Schema 1 called ``freq`` ``period``."""
        return renamed_keys(data, {"period": "freq"}, version=2)


# --------------------------------------------------------------------------- results


@attrs.frozen
class Component(ResultDict):
    """One rule's contribution to one line: exact points and a short description.

    Examples:
        >>> from decimal import Decimal
        >>> Component("base", "base_rate", "1 per unit", Decimal("90.00")).points
        Decimal('90.00')
        >>> Component("base", "base_rate", "1 per unit", Decimal("90.00")).to_dict()["points"]
        '90.00'
    """

    rule_id: str
    kind: str
    detail: str
    points: Decimal


@attrs.frozen
class LinePoints(ResultDict):
    """The points of one order line, with the exact value and the rules that made it.

    Attributes:
        line_id: The order line's id.
        base: The line's earning base (money).
        exact: Unrounded points (exact Decimal).
        points: Whole points after rounding and caps.
        components: Each rule's contribution, in the order the rules ran.
        spend: What the line adds to the qualifying spend of tiers: its base, or 0 when
            the scheme's ``qualifying`` condition leaves it out (default: the base).
        qualifying_points: What the line adds to the qualifying points of tiers: its
            whole points split by largest remainder between the exact points of the
            qualifying rules and of the rules with ``qualifying=False`` (default: all of
            :attr:`points`).

    Examples:
        >>> from decimal import Decimal
        >>> LinePoints("l1", Decimal("9.90"), Decimal("9.90"), 9, ()).points
        9
        >>> LinePoints("l1", Decimal("9.90"), Decimal("9.90"), 9, ()).to_dict()
        {'line_id': 'l1', 'base': '9.90', 'exact': '9.90', 'points': 9, 'components': [], 'spend': '9.90', 'qualifying_points': 9}
    """

    line_id: str
    base: Decimal
    exact: Decimal
    points: int
    components: tuple[Component, ...]
    spend: Decimal = attrs.field(default=attrs.Factory(lambda self: self.base, takes_self=True))
    qualifying_points: int = attrs.field(
        default=attrs.Factory(lambda self: self.points, takes_self=True)
    )


@attrs.frozen
class EarningResult(ResultDict):
    """What an order earns: per line, in total, per rule, and what caps removed.

    ``points == sum(line.points for line in lines)`` always holds.

    Attributes:
        order_id: The order's id (``"enroll"`` for enrolment points).
        lines: One :class:`LinePoints` per order line, in order.
        points: Whole points (point units with ``point_decimals``) after rounding and caps.
        base: The total earning base (money).
        rule_points: ``(rule id, points)`` pairs; they add up to :attr:`points`.
        capped: Points the caps removed.
        rounding: ``"<mode> <scope>"``, e.g. ``"floor per_order"``.
        point_decimals: The scheme's point decimals (0: whole points).
        spend: The order's qualifying spend for tiers: the base of the lines the scheme's
            ``qualifying`` condition keeps (default: :attr:`base`).
        qualifying_points: The order's qualifying points for tiers: the lines'
            :attr:`LinePoints.qualifying_points` (default: :attr:`points`); never more than
            :attr:`points`. Rules with ``qualifying=False`` earn but do not qualify.

    Examples:
        >>> import datetime as dt
        >>> scheme = EarningScheme.base_rate(1)
        >>> r = scheme.earn(Order("o1", dt.datetime(2025, 1, 1), [OrderLine("l1", "12.50")]), timezone="UTC")
        >>> r.points, r.base, r.by_rule()
        (12, Decimal('12.50'), {'base': 12})
        >>> r.to_dict()["base"], r.to_dict()["rule_points"]
        ('12.50', [['base', 12]])
    """

    order_id: str
    lines: tuple[LinePoints, ...]
    points: int
    base: Decimal
    rule_points: tuple[tuple[str, int], ...]
    capped: int
    rounding: str
    point_decimals: int = 0
    spend: Decimal = attrs.field(default=attrs.Factory(lambda self: self.base, takes_self=True))
    qualifying_points: int = attrs.field(
        default=attrs.Factory(lambda self: self.points, takes_self=True)
    )

    def in_points(self, units: int | None = None) -> Decimal:
        """``units`` (default: :attr:`points`) as a Decimal number of points.

        Only differs from the int when the scheme declares ``point_decimals``.

        Examples:
            >>> import datetime as dt
            >>> scheme = EarningScheme.base_rate("0.1", point_decimals=2)
            >>> r = scheme.earn(Order("o", dt.datetime(2025, 1, 1), [OrderLine("a", "12.34")]), timezone="UTC")
            >>> r.points, r.in_points()
            (123, Decimal('1.23'))
        """
        value = self.points if units is None else units
        return Decimal(value).scaleb(-self.point_decimals)

    def line_points(self) -> dict[str, int]:
        """Line id -> whole points (store these: refunds reverse them).

        Examples:
            >>> import datetime as dt
            >>> o = Order("o", dt.datetime(2025, 1, 1), [OrderLine("a", "1"), OrderLine("b", "2")])
            >>> EarningScheme.base_rate(1).earn(o, timezone="UTC").line_points()
            {'a': 1, 'b': 2}
        """
        return {line.line_id: line.points for line in self.lines}

    def by_rule(self) -> dict[str, int]:
        """Rule id -> whole points; the integer attribution adds up to :attr:`points`.

        Examples:
            >>> import datetime as dt
            >>> o = Order("o", dt.datetime(2025, 1, 1), [OrderLine("a", "10")])
            >>> EarningScheme.base_rate(2).earn(o, timezone="UTC").by_rule()
            {'base': 20}
        """
        return dict(self.rule_points)

    def explain(self) -> str:
        """A per-line text account of the points: base, each rule's part, rounding, caps.

        Examples:
            >>> import datetime as dt
            >>> scheme = EarningScheme(rules=[
            ...     BaseRate(id="base", rate=1),
            ...     Multiplier(id="shoes-x2", factor=2, when=Condition(categories=["shoes"]))])
            >>> order = Order("o7", dt.datetime(2025, 5, 1), [
            ...     OrderLine("l1", "89.50", category="shoes"), OrderLine("l2", "20.75", category="socks")])
            >>> print(scheme.earn(order, timezone="UTC").explain())
            order o7: 199 points on base 110.25 (floor per_order)
              line l1: base 89.50 -> 179 points (exact 179)
                base: +89.5 (1 per unit)
                shoes-x2: +89.5 (x2, multiply)
              line l2: base 20.75 -> 20 points (exact 20.75)
                base: +20.75 (1 per unit)
        """
        head = f"order {self.order_id}: {self.points} points on base {self.base} ({self.rounding})"
        if self.capped:
            head += f"; caps removed {self.capped}"
        out = [head]
        for line in self.lines:
            out.append(
                f"  line {line.line_id}: base {line.base} -> {line.points} points "
                f"(exact {_show(line.exact)})"
            )
            for comp in line.components:
                out.append(f"    {comp.rule_id}: +{_show(comp.points)} ({comp.detail})")
        return "\n".join(out)


def _show(value: Decimal) -> str:
    """Exact value without trailing zeros and never in exponent notation."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


# --------------------------------------------------------------------------- the scheme


def _line_filter_only(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Condition):
        raise ConfigError(
            type(instance).__name__, attribute.name, expected="a Condition", found=repr(value)
        )
    if value.has_order_filter:
        raise ConfigError(
            type(instance).__name__,
            attribute.name,
            expected="a Condition of line filters only (categories, skus, except_categories, "
            "except_skus)",
            found=repr(value),
        )


def _a_list(value: object, owner: str, field: str, what: str) -> None:
    """Refuse ``None``, a string or a mapping where a list of ``what`` is expected."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(
            owner,
            field,
            expected=f"a list of {what}",
            found="None" if value is None else type(value).__name__,
        )


def _rule_items(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = "EarningScheme"
    for rule in value:
        if not isinstance(rule, EarningRule):
            raise ConfigError(owner, "rules", expected="EarningRule items", found=repr(rule))
    ids = [r.id for r in value]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ConfigError(
            owner, "rules", expected="unique rule ids", found=f"repeated ids {repeated}"
        )


def _cap_items(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    periods = []
    for cap in value:
        if not isinstance(cap, PeriodCap):
            raise ConfigError("EarningScheme", "caps", expected="PeriodCap items", found=repr(cap))
        periods.append(cap.freq)
    if len(set(periods)) != len(periods):
        raise ConfigError(
            "EarningScheme", "caps", expected="at most one cap per period", found=str(periods)
        )


_RULES = Union(BaseRate, PerEvery, Multiplier, OrderBonus, SignUpBonus, OrderMinimum, YearlyBonus)


def _to_rules(value: Iterable[EarningRule | Mapping[str, Any]]) -> tuple[EarningRule, ...]:
    _a_list(value, "EarningScheme", "rules", "earning rules")
    rules = [EarningRule.from_dict(r) if isinstance(r, Mapping) else r for r in value]
    ok = [r for r in rules if isinstance(r, EarningRule)]
    if len(ok) != len(rules):
        return tuple(rules)  # rejected by the validator, which names the field
    return tuple(sorted(ok, key=lambda r: (r.priority, r.id)))


def _to_caps(value: Iterable[PeriodCap | Mapping[str, Any]]) -> tuple[PeriodCap, ...]:
    _a_list(value, "EarningScheme", "caps", "PeriodCap")
    caps = [PeriodCap.from_dict(c) if isinstance(c, Mapping) else c for c in value]
    return tuple(
        sorted(caps, key=lambda c: CAP_PERIODS.index(c.freq) if isinstance(c, PeriodCap) else -1)
    )


@attrs.frozen(kw_only=True)
class EarningScheme(Spec):
    """The earning rules of a program, with the base, rounding and caps they run under.

    Rules are kept sorted by ``(priority, id)``: two schemes with the same rules written
    in a different order are equal and earn the same.

    Attributes:
        rules: The earning rules (ids unique).
        earning_base: What money earns: ``"net_paid"`` (default: net of discounts and of
            the points tender), ``"net_of_discounts"`` or ``"gross"``.
        rounding_scope: ``"per_order"`` (default: round the order total, split to lines by
            largest remainder) or ``"per_line"`` (round each line).
        rounding_mode: A mode of crmkit's one rounding vocabulary
            (:data:`crmkit._rounding.ROUNDING_MODES`): ``"floor"`` (default; never
            over-awards), ``"ceiling"``, ``"down"``, ``"up"``, ``"half_up"``,
            ``"half_down"`` or ``"half_even"``.
        max_points_per_order: Cap per order (None: none).
        caps: Per-period caps (one per period at most; calendar periods or the member's
            ``membership_year``, see :class:`PeriodCap`).
        currency_decimals: Minor-unit digits of the currency (the points tender is split
            to lines in these units).
        point_decimals: Decimals of a point (default 0: whole points). With ``d > 0`` the
            configuration still speaks in points (rates, bonus points, caps), but every
            point amount the scheme returns (and reads back, like
            :attr:`MemberContext.period_points`) is an ``int`` count of ``10**-d`` points;
            :meth:`EarningResult.in_points` turns one into a Decimal of points.
        refund_rounding: How a partial refund's share of the points a line earned is
            rounded, in the same vocabulary as ``rounding_mode``: ``"floor"`` (default)
            takes back ``floor(points x refunded units / units)``; ``"ceiling"`` rounds the
            deduction up (Youzan: at 1 point per ¥10, refunding ¥22 of a ¥100 order takes
            back 3 of its 10 points). Shares are cumulative, so the parts of a line
            refunded in several goes always add up to the line's points.
        refund_rounding_scope: What ``refund_rounding`` rounds: ``"per_line"`` (default:
            each refunded line's share) or ``"per_order"`` (the refund's share of the whole
            order, once, as Youzan deducts on the refunded amount: 11 units back from each
            of two lines earning 1.1 points each take back ``ceil(2.2) = 3``, not 2 + 2).
            Cumulative over the order's refunds too: everything refunded takes back
            exactly what the order earned.
        qualifying: Which lines count toward the qualifying spend of tiers, apart from
            what earns (a :class:`Condition` of line filters only; default: every line):
            ``Condition(except_categories=["tax", "shipping", "gift_card"])`` keeps taxes,
            shipping and gift cards out of status spend whatever they earn.

    Examples:
        >>> scheme = EarningScheme(rules=[BaseRate(id="base", rate=1)], caps=[PeriodCap("month", 5000)])
        >>> EarningScheme.from_dict(scheme.to_dict()) == scheme
        True
        >>> youzan = EarningScheme.base_rate(
        ...     "0.1", refund_rounding="ceiling", refund_rounding_scope="per_order")
        >>> youzan.to_dict()["refund_rounding_scope"]
        'per_order'
        >>> EarningScheme(rules=[BaseRate(id="base", rate=-1)])
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: BaseRate: parameter 'rate' must be a decimal at least 0; found Decimal('-1').
        >>> EarningScheme.from_dict({"rules": [{"kind": "base_rate", "id": "b", "rate": "1"},
        ...                                    {"kind": "multiplier", "id": "x", "factr": "2"}]})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: EarningScheme.from_dict(): parameter 'rules[1].factr' must be one of ['factor', 'id', 'max_uses', 'priority', 'qualifying', 'stacking', 'uses_freq', 'when']; found an unknown key.
    """

    rules: tuple[EarningRule, ...] = field(
        converter=_to_rules, validator=_rule_items, codec=Seq(_RULES)
    )
    earning_base: str = field(default="net_paid", validator=one_of(EARNING_BASES))
    rounding_scope: str = field(default="per_order", validator=one_of(ROUNDING_SCOPES))
    rounding_mode: str = field(default="floor", validator=one_of(ROUNDING_MODES))
    max_points_per_order: int | None = field(default=None, validator=whole(min=0, optional=True))
    caps: tuple[PeriodCap, ...] = field(
        default=(), converter=_to_caps, validator=_cap_items, codec=Seq(Nested(PeriodCap))
    )
    currency_decimals: int = field(default=2, validator=whole(min=0))
    point_decimals: int = field(default=0, validator=whole(min=0, max=6))
    qualifying: Condition = field(
        default=_ALWAYS,
        converter=_to_condition,
        validator=_line_filter_only,
        codec=Nested(Condition),
        omit_default=True,
    )
    refund_rounding: str = field(
        default="floor", validator=one_of(ROUNDING_MODES), omit_default=True
    )
    refund_rounding_scope: str = field(
        default="per_line", validator=one_of(ROUNDING_SCOPES), omit_default=True
    )

    def _engine(self) -> _SchemeEngine:
        """What :meth:`earn` runs, derived once from the fields and cached beside the value."""
        return derived(self, "engine", lambda: _SchemeEngine(self))

    @classmethod
    def base_rate(cls, rate: Decimal | int | str = 1, **settings: Any) -> EarningScheme:
        """The simplest scheme: ``rate`` points per currency unit on every line.

        Args:
            rate: Points per currency unit.
            **settings: Any other :class:`EarningScheme` field.

        Examples:
            >>> EarningScheme.base_rate("0.5").rules[0].rate
            Decimal('0.5')
        """
        return cls(rules=(BaseRate(id="base", rate=to_decimal(rate)),), **settings)

    # ---------------------------------------------------------------- what earn() reads

    @property
    def uses_tier(self) -> bool:
        """Whether any rule reads :attr:`MemberContext.tier`.

        Examples:
            >>> EarningScheme.base_rate(1).uses_tier
            False
        """
        return any(r.when.tiers for r in self.rules)

    @property
    def yearly_bonuses(self) -> tuple[YearlyBonus, ...]:
        """The :class:`YearlyBonus` rules (credited by the calendar, not by orders).

        Examples:
            >>> EarningScheme(rules=[BaseRate(id="b", rate=1),
            ...                      YearlyBonus(id="bday", points=500)]).yearly_bonuses[0].id
            'bday'
        """
        calendar_rules: tuple[YearlyBonus, ...] = self._engine().calendar
        return calendar_rules

    @property
    def uses_birthday(self) -> bool:
        """Whether any rule reads :attr:`MemberContext.birth_date`.

        Examples:
            >>> EarningScheme(rules=[Multiplier(id="b", factor=2, when=Condition(birthday_month=True))]).uses_birthday
            True
        """
        return any(r.when.birthday_month for r in self.rules)

    @property
    def uses_caps(self) -> bool:
        """Whether :attr:`MemberContext.period_points` matters (per-period caps exist).

        Examples:
            >>> EarningScheme.base_rate(1, caps=[PeriodCap("month", 100)]).uses_caps
            True
        """
        return bool(self.caps)

    @property
    def uses_membership_year(self) -> bool:
        """Whether a cap or a use limit counts per membership year (reads its start).

        Such a scheme earns only for a member whose membership years start somewhere
        (:attr:`MemberContext.enrolled_at`, or :attr:`MemberContext.membership_start`).

        Examples:
            >>> EarningScheme.base_rate(1, caps=[PeriodCap("membership_year", 100)]).uses_membership_year
            True
            >>> EarningScheme.base_rate(1, caps=[PeriodCap("year", 100)]).uses_membership_year
            False
        """
        membership_year: bool = self._engine().membership_year
        return membership_year

    @property
    def uses_prior_orders(self) -> bool:
        """Whether a first-purchase sign-up bonus reads :attr:`MemberContext.prior_orders`.

        Examples:
            >>> EarningScheme(rules=[SignUpBonus(id="w", points=5)]).uses_prior_orders
            True
        """
        return any(isinstance(r, SignUpBonus) and r.trigger == "first_purchase" for r in self.rules)

    @property
    def all_points_qualify(self) -> bool:
        """Whether every rule's points count toward the qualifying points of tiers.

        Examples:
            >>> EarningScheme.base_rate(1).all_points_qualify
            True
            >>> EarningScheme(rules=[BaseRate(id="base", rate=10),
            ...                      Multiplier(id="gold", factor="1.8", qualifying=False)]
            ...               ).all_points_qualify
            False
        """
        return not self._engine().not_qualifying

    @property
    def uses_limits(self) -> bool:
        """Whether a rule is limited to ``max_uses`` per period (reads :attr:`MemberContext.rule_uses`).

        Examples:
            >>> EarningScheme(rules=[OrderBonus(id="b", points=5, max_uses=1)]).uses_limits
            True
        """
        return any(r.max_uses is not None for r in self.rules)

    def check_tiers(self, names: Iterable[str]) -> None:
        """Raise ConfigError if a rule's condition names a tier outside ``names`` (a ladder's).

        Examples:
            >>> scheme = EarningScheme(rules=[Multiplier(id="g", factor=2, when=Condition(tiers=["gold"]))])
            >>> scheme.check_tiers(["member", "vip"])
            Traceback (most recent call last):
            ...
            crmkit.errors.ConfigError: Multiplier('g'): parameter 'when' must be tier names of the ladder ['member', 'vip']; found ['gold'].
        """
        known = list(names)
        for rule in self.rules:
            unknown = [t for t in rule.when.tiers if t not in known]
            if unknown:
                raise ConfigError(
                    rule.owner,
                    "when",
                    expected=f"tier names of the ladder {known}",
                    found=str(unknown),
                )

    # ---------------------------------------------------------------- serialisation

    # ---------------------------------------------------------------- periods

    def period_to_date(
        self,
        history: Iterable[tuple[dt.datetime, int]],
        *,
        as_of: dt.datetime | dt.date | str,
        timezone: str | dt.tzinfo,
        enrolled_at: dt.datetime | None = None,
    ) -> dict[str, int]:
        """Points of ``history`` inside the current period of each cap, at instant ``as_of``.

        Pass the member's earlier purchase credits as ``(time, points)`` pairs; the result
        goes into :attr:`MemberContext.period_points`.

        Args:
            history: ``(time, points)`` of the member's purchase credits (naive times are
                local to ``timezone``).
            as_of: The instant of the order about to earn.
            timezone: The program's time zone (periods are local).
            enrolled_at: Where the member's membership years start (their enrolment; a
                replay passes the first event of a member without one). Needed by a
                ``membership_year`` cap only; ``as_of`` may not be before its local date.

        Raises:
            InvalidInputError: A ``membership_year`` cap without ``enrolled_at``, or
                ``as_of`` before it.
            ConfigError: An ``as_of`` that cannot be read (None, NaT, a number,
                ``"2025-02-31"``) or outside the years 1000-9000 loyalty supports.

        Examples:
            >>> import datetime as dt
            >>> scheme = EarningScheme.base_rate(1, caps=[PeriodCap("month", 1000)])
            >>> history = [(dt.datetime(2025, 2, 28, 23), 300), (dt.datetime(2025, 3, 2), 200)]
            >>> scheme.period_to_date(history, as_of=dt.datetime(2025, 3, 9), timezone="Asia/Shanghai")
            {'month': 200}
            >>> yearly = EarningScheme.base_rate(1, caps=[PeriodCap("membership_year", 1000)])
            >>> history = [(dt.datetime(2026, 3, 14, 20), 300), (dt.datetime(2026, 3, 15, 9), 200)]
            >>> yearly.period_to_date(history, as_of=dt.datetime(2026, 4, 1),
            ...                       timezone="America/Los_Angeles",
            ...                       enrolled_at=dt.datetime(2025, 3, 15, 10))
            {'membership_year': 200}
        """
        owner = "EarningScheme.period_to_date()"
        tzinfo = zone(timezone, owner)
        day = as_of_time(as_of, tzinfo, owner).date()
        windows = {c.freq: _period_of(day, c.freq, enrolled_at, tzinfo, owner) for c in self.caps}
        totals = dict.fromkeys(windows, 0)
        for when, pts in history:
            local_day = local_time(when, tzinfo, owner, "history").date()
            for period, (start, end) in windows.items():
                if start <= local_day < end:
                    totals[period] += pts
        return totals

    def uses_to_date(
        self,
        history: Iterable[tuple[dt.datetime, str]],
        *,
        as_of: dt.datetime | dt.date | str,
        timezone: str | dt.tzinfo,
        enrolled_at: dt.datetime | None = None,
    ) -> dict[str, int]:
        """Uses of each limited rule inside its current period (``uses_freq``) at ``as_of``.

        Pass the member's earlier uses as ``(time, rule id)`` pairs (one per order a rule
        gave points to); the result goes into :attr:`MemberContext.rule_uses`.
        ``enrolled_at``: where the member's membership years start, needed by a rule with
        ``uses_freq="membership_year"`` only (as :meth:`period_to_date`).

        Examples:
            >>> import datetime as dt
            >>> scheme = EarningScheme(rules=[BaseRate(id="base", rate=1),
            ...     OrderBonus(id="bday", points=100, max_uses=1, uses_freq="year")])
            >>> uses = [(dt.datetime(2024, 6, 3), "bday"), (dt.datetime(2025, 6, 2), "bday")]
            >>> scheme.uses_to_date(uses, as_of=dt.datetime(2025, 6, 20), timezone="UTC")
            {'bday': 1}
        """
        owner = "EarningScheme.uses_to_date()"
        tzinfo = zone(timezone, owner)
        day = as_of_time(as_of, tzinfo, owner).date()
        windows = {
            r.id: _period_of(day, r.uses_freq, enrolled_at, tzinfo, owner)
            for r in self.rules
            if r.max_uses is not None
        }
        totals = dict.fromkeys(windows, 0)
        for when, rule_id in history:
            window = windows.get(rule_id)
            if window is None:
                continue
            local_day = local_time(when, tzinfo, owner, "history").date()
            if window[0] <= local_day < window[1]:
                totals[rule_id] += 1
        return totals

    # ---------------------------------------------------------------- earning

    def _line_bases(self, order: Order) -> list[Decimal]:
        nets = [line.net for line in order.lines]
        if self.earning_base == "gross":
            return [line.amount for line in order.lines]
        if self.earning_base == "net_of_discounts" or order.points_tender == 0:
            return nets
        unit = Decimal(1).scaleb(-self.currency_decimals)
        minor = order.points_tender / unit
        if minor != minor.to_integral_value():
            raise InvalidInputError(
                f"Order({order.order_id!r})",
                "points_tender",
                expected=f"a money amount with at most {self.currency_decimals} decimals",
                found=str(order.points_tender),
                kind="",
            )
        shares = largest_remainder(int(minor), nets)
        return [net - share * unit for net, share in zip(nets, shares, strict=True)]

    def enrollment_points(
        self, enrolled_at: dt.datetime, *, timezone: str | dt.tzinfo
    ) -> EarningResult:
        """The sign-up bonus points (rules with ``trigger="enroll"``) for joining at ``enrolled_at``.

        The result has no lines; its ``order_id`` is ``"enroll"``.

        Examples:
            >>> import datetime as dt
            >>> scheme = EarningScheme(rules=[
            ...     SignUpBonus(id="welcome", points=100, trigger="enroll"),
            ...     SignUpBonus(id="launch", points=500, trigger="enroll", stacking="max", priority=200,
            ...                 when=Condition(windows=[DateWindow("2025-01-01", "2025-02-01")]))])
            >>> scheme.enrollment_points(dt.datetime(2025, 1, 20), timezone="UTC").points
            500
            >>> scheme.enrollment_points(dt.datetime(2025, 3, 1), timezone="UTC").points
            100
        """
        owner = "EarningScheme.enrollment_points()"
        tzinfo = zone(timezone, owner)
        day = local_time(enrolled_at, tzinfo, owner, "enrolled_at").date()
        chosen: list[SignUpBonus] = []
        total = 0
        engine = self._engine()
        for rule in self.rules:
            if not isinstance(rule, SignUpBonus) or rule.trigger != "enroll":
                continue
            if not rule.when.matches_order(day, "", MemberContext()):
                continue
            chosen, total, stop = _fold_bonus(chosen, total, rule, rule.points * engine.scale)
            if stop:
                break
        return EarningResult(
            order_id="enroll",
            lines=(),
            points=total,
            base=Decimal(0),
            rule_points=tuple((r.id, r.points * engine.scale) for r in chosen),
            capped=0,
            rounding=engine.rounding_label,
            point_decimals=self.point_decimals,
        )

    def earn(
        self,
        order: Order,
        member: MemberContext | None = None,
        *,
        timezone: str | dt.tzinfo,
    ) -> EarningResult:
        """The points ``order`` earns for ``member``, per line, with the trace of every rule.

        Args:
            order: The purchase.
            member: What the rules need to know about the member (default: nothing known).
            timezone: The program's time zone (windows, birthday month and cap periods are local).

        Returns:
            An :class:`EarningResult`; its line points add up to its points.

        Examples:
            >>> import datetime as dt
            >>> scheme = EarningScheme(rules=[
            ...     BaseRate(id="base", rate=1),
            ...     Multiplier(id="birthday", factor=2, when=Condition(birthday_month=True))])
            >>> order = Order("o1", dt.datetime(2025, 6, 8, 15), [OrderLine("l1", "100")],
            ...               points_tender="30")
            >>> member = MemberContext(birth_date=dt.date(1992, 6, 20))
            >>> scheme.earn(order, member, timezone="Asia/Shanghai").points
            140
        """
        with decimal.localcontext(EXACT):
            return self._earn(order, member, timezone=timezone)

    def _earn(
        self,
        order: Order,
        member: MemberContext | None,
        *,
        timezone: str | dt.tzinfo,
    ) -> EarningResult:
        owner = "EarningScheme.earn()"
        if not isinstance(order, Order):
            raise InvalidInputError(
                owner, "order", expected="an Order", found=type(order).__name__, kind=""
            )
        member = MemberContext() if member is None else member
        if not isinstance(member, MemberContext):
            raise InvalidInputError(
                owner, "member", expected="a MemberContext", found=type(member).__name__, kind=""
            )
        tzinfo = zone(timezone, owner)
        engine = self._engine()
        if (
            engine.membership_year
            and member.enrolled_at is None
            and member.membership_start is None
        ):
            # period_points / rule_uses of a membership year only mean something from a
            # start: refuse rather than guess one (a replay always has one).
            raise InvalidInputError(
                owner,
                "member.enrolled_at",
                expected="the member's enrolment instant, where the membership years of "
                "this scheme's 'membership_year' caps or use limits start",
                found="None",
                kind="",
                hint="Give MemberContext(enrolled_at=...) and count period_points with "
                "EarningScheme.period_to_date(..., enrolled_at=...).",
            )
        if engine.flat is not None and not member.privileges:
            return self._earn_flat(order, member, engine)
        scale = engine.scale
        when = local_time(order.time, tzinfo, owner, "order.time")
        day = when.date()
        channel = order.channel
        lines = order.lines
        n = len(lines)
        span = range(n)
        bases = self._line_bases(order)
        comps: list[list[Component]] = [[] for _ in span]
        # Each rule's exact points over the order (insertion order: the order rules ran).
        rule_exact: dict[str, Decimal] = {}
        used_up = engine.used_up(member) if engine.limits else frozenset()

        # Phase 1: points rules.
        value: list[Decimal | None] = [None] * n
        stopped = [False] * n
        for rule, rule_id, kind, stacking, detail, cond, by_order, by_line in engine.points:
            if rule_id in used_up or (by_order and not cond.matches_order(day, channel, member)):
                continue
            first = stacking == "first"
            eligible = [
                i
                for i in span
                if not stopped[i]
                and (not first or value[i] is None)
                and (not by_line or cond.matches_line(lines[i]))
            ]
            if not eligible:
                continue
            contributions = rule._points(bases, eligible, scale)
            for i in eligible:
                old = value[i]
                c = contributions[i]
                if stacking == "max" and old is not None:
                    new = max(old, c)
                else:
                    new = c + (old or 0)
                if first:
                    stopped[i] = True
                value[i] = new
                pts = new - (old or 0)
                comps[i].append(Component(rule_id, kind, detail, pts))
                rule_exact[rule_id] = rule_exact.get(rule_id, _ZERO) + pts
        points = [_ZERO if v is None else v for v in value]

        # Phase 2: multipliers (rules, then privileges in id order).
        multipliers = engine.multipliers
        if member.privileges:
            multipliers = multipliers + tuple(
                (
                    f"privilege:{priv.id}",
                    priv.kind,
                    "multiply",
                    priv.value,
                    _BIRTHDAY if priv.kind == "birthday_bonus" else _ALWAYS,
                    f"x{_show(priv.value)}, multiply",
                    priv.kind == "birthday_bonus",  # the birthday month picks orders
                    False,
                )
                for priv in sorted(member.privileges, key=lambda p: p.id)
                if priv.kind in ("earning_multiplier", "birthday_bonus") and priv.value is not None
            )
        factor = [_ONE] * n
        touched = [False] * n
        mstopped = [False] * n
        # Rules and earning privileges whose points earn but do not qualify for tiers.
        excluded = engine.not_qualifying
        if member.privileges:
            excluded = excluded | {
                f"privilege:{priv.id}" for priv in member.privileges if not priv.qualifying
            }
        for rule_id, kind, stacking, f, cond, detail, by_order, by_line in multipliers:
            if rule_id in used_up or (by_order and not cond.matches_order(day, channel, member)):
                continue
            for i in span:
                if mstopped[i] or (by_line and not cond.matches_line(lines[i])):
                    continue
                if stacking == "first" and touched[i]:
                    continue
                old = factor[i]
                if stacking == "add":
                    factor[i] = old + f - 1
                elif stacking == "multiply":
                    factor[i] = old * f
                elif stacking == "max":
                    factor[i] = max(old, f)
                else:
                    factor[i] = f
                    mstopped[i] = True
                touched[i] = True
                pts = points[i] * (factor[i] - old)
                comps[i].append(Component(rule_id, kind, detail, pts))
                rule_exact[rule_id] = rule_exact.get(rule_id, _ZERO) + pts
        exact = [p * f for p, f in zip(points, factor, strict=True)]
        # What order minimums compare by default: the points before the bonuses.
        unbonused = list(exact) if engine.minimums else exact

        # Phase 3: order-level bonuses, split to their lines by base.
        if engine.bonuses:
            self._bonuses(
                engine=engine,
                when=when,
                day=day,
                order=order,
                member=member,
                used_up=used_up,
                bases=bases,
                exact=exact,
                comps=comps,
                rule_exact=rule_exact,
            )

        # Phase 4: order minimums, topping the covered lines up.
        if engine.minimums:
            self._minimums(
                engine=engine,
                day=day,
                order=order,
                member=member,
                used_up=used_up,
                bases=bases,
                exact=exact,
                unbonused=unbonused,
                comps=comps,
                rule_exact=rule_exact,
            )

        return self._finish(
            order,
            bases=bases,
            exact=exact,
            comps=comps,
            rule_exact=rule_exact,
            member=member,
            engine=engine,
            excluded=excluded,
        )

    def _bonuses(
        self,
        *,
        engine: _SchemeEngine,
        when: dt.datetime,
        day: dt.date,
        order: Order,
        member: MemberContext,
        used_up: frozenset[str],
        bases: list[Decimal],
        exact: list[Decimal],
        comps: list[list[Component]],
        rule_exact: dict[str, Decimal],
    ) -> None:
        """Phase 3: add the order bonuses that apply to ``exact``, split by base."""
        lines = order.lines
        span = range(len(lines))
        chosen: list[tuple[EarningRule, int, list[int], str]] = []
        total_bonus = 0
        for rule, detail, by_order, by_line in engine.bonuses:
            if rule.id in used_up or (
                by_order and not rule.when.matches_order(day, order.channel, member)
            ):
                continue
            if isinstance(rule, SignUpBonus):
                if not rule._applies_to(when, member):
                    continue
                threshold = Decimal(0)
            elif isinstance(rule, OrderBonus):
                threshold = rule.min_spend
            else:  # pragma: no cover - the bonus phase holds only these two kinds
                continue
            if by_line:
                covered = [i for i in span if rule.when.matches_line(lines[i])]
            else:
                covered = list(span)
            if not covered or sum((bases[i] for i in covered), Decimal(0)) < threshold:
                continue
            pts = rule.points * engine.scale
            picked, total_bonus, stop = _fold_bonus([c[0] for c in chosen], total_bonus, rule, pts)
            chosen = [c for c in chosen if c[0] in picked]
            if rule in picked:
                chosen.append((rule, pts, covered, detail))
            if stop:
                break
        for rule, pts, covered, detail in chosen:
            parts = largest_remainder(pts, [bases[i] for i in covered])
            for i, part in zip(covered, parts, strict=True):
                exact[i] += part
                share = Decimal(part)
                comps[i].append(Component(rule.id, rule.kind, detail, share))
                rule_exact[rule.id] = rule_exact.get(rule.id, _ZERO) + share

    def _minimums(
        self,
        *,
        engine: _SchemeEngine,
        day: dt.date,
        order: Order,
        member: MemberContext,
        used_up: frozenset[str],
        bases: list[Decimal],
        exact: list[Decimal],
        unbonused: list[Decimal],
        comps: list[list[Component]],
        rule_exact: dict[str, Decimal],
    ) -> None:
        """Phase 4: top the lines each order minimum covers up to its points.

        ``unbonused``: the lines' exact points before the bonuses (and with the earlier
        minimums' top-ups), what a minimum compares unless it counts bonuses. The top-up
        is split to the covered lines by base: per order, the exact shortfall (in its own
        smallest decimal unit, so the order total rounds to at least the minimum); per
        line, the shortfall of the covered lines' rounded points, in whole points (each
        line's rounding moves by its whole share).
        """
        lines = order.lines
        span = range(len(lines))
        per_line = self.rounding_scope == "per_line"
        rounding = engine.decimal_rounding
        for rule, detail, by_order, by_line in engine.minimums:
            if rule.id in used_up or (
                by_order and not rule.when.matches_order(day, order.channel, member)
            ):
                continue
            if by_line:
                covered = [i for i in span if rule.when.matches_line(lines[i])]
            else:
                covered = list(span)
            weights = [bases[i] for i in covered]
            # Nothing covered, or nothing paid on what is: no minimum (a free night).
            if not covered or not any(weights):
                continue
            counted = exact if rule.include_bonuses else unbonused
            floor = rule.points * engine.scale
            if per_line:
                whole_points = [
                    int(counted[i].to_integral_value(rounding=rounding)) for i in covered
                ]
                short = Decimal(floor - sum(whole_points))
            else:
                short = floor - sum((counted[i] for i in covered), _ZERO)
            if short <= 0:
                continue
            for i, part in zip(covered, _split_exact(short, weights), strict=True):
                exact[i] += part
                unbonused[i] += part  # (a copy: the minimums after this one see it)
                comps[i].append(Component(rule.id, rule.kind, detail, part))
                rule_exact[rule.id] = rule_exact.get(rule.id, _ZERO) + part

    def _finish(
        self,
        order: Order,
        *,
        bases: list[Decimal],
        exact: list[Decimal],
        comps: list[list[Component]],
        rule_exact: dict[str, Decimal],
        member: MemberContext,
        engine: _SchemeEngine,
        excluded: frozenset[str],
    ) -> EarningResult:
        """Phase 4: rounding, then caps, then the per-rule attribution.

        ``excluded``: the rule ids (``privilege:<id>`` for privileges) whose points do not
        qualify for tiers.
        """
        rounding = engine.decimal_rounding
        if self.rounding_scope == "per_line":
            whole = [int(x.to_integral_value(rounding=rounding)) for x in exact]
        else:
            whole = _round_order(exact, rounding)
        uncapped = sum(whole)
        limit = uncapped
        if engine.order_cap is not None:
            limit = min(limit, engine.order_cap)
        for freq, cap in engine.caps:
            limit = min(limit, max(0, cap - member.points_in(freq)))
        if limit < uncapped:
            whole = largest_remainder(limit, whole)
        total = sum(whole)
        rule_ids = [rid for rid in rule_exact if rule_exact[rid] > 0]
        if len(rule_ids) > 1:
            attribution = largest_remainder(total, [rule_exact[r] for r in rule_ids])
        else:
            attribution = [total] * len(rule_ids)
        lines = order.lines
        qualifying = self.qualifying
        if engine.qualifying_lines:
            spends = [
                b if qualifying.matches_line(line) else _ZERO
                for b, line in zip(bases, lines, strict=True)
            ]
        else:
            spends = bases
        qualifying_points = self._qualifying_points(whole, comps, excluded)
        return EarningResult(
            order_id=order.order_id,
            lines=tuple(
                [
                    LinePoints(
                        line.line_id,
                        bases[i],
                        exact[i],
                        whole[i],
                        tuple(comps[i]),
                        spends[i],
                        qualifying_points[i],
                    )
                    for i, line in enumerate(lines)
                ]
            ),
            points=total,
            base=sum(bases, _ZERO),
            rule_points=tuple(zip(rule_ids, attribution, strict=True)),
            capped=uncapped - total,
            rounding=engine.rounding_label,
            point_decimals=self.point_decimals,
            spend=sum(spends, _ZERO),
            qualifying_points=sum(qualifying_points),
        )

    def _qualifying_points(
        self, whole: list[int], comps: list[list[Component]], excluded: frozenset[str]
    ) -> list[int]:
        """Each line's whole points that qualify for tiers (rules with ``qualifying=False`` out).

        A line's whole points (after rounding and caps) are split by largest remainder in
        proportion to the exact points of the qualifying rules and of the others, so a
        line never qualifies for more than it earned.
        """
        if not excluded:
            return whole
        parts = []
        for points, line_comps in zip(whole, comps, strict=True):
            other = sum((c.points for c in line_comps if c.rule_id in excluded), _ZERO)
            if other == 0 or points == 0:
                parts.append(points)
                continue
            counted = sum((c.points for c in line_comps if c.rule_id not in excluded), _ZERO)
            parts.append(largest_remainder(points, [counted, other])[0] if counted else 0)
        return parts

    def _earn_flat(
        self, order: Order, member: MemberContext, engine: _SchemeEngine
    ) -> EarningResult:
        """Fast path: every rule an unconditional ``add`` base rate, no earning privileges."""
        flat = engine.flat or ()
        bases = self._line_bases(order)
        exact: list[Decimal] = []
        comps: list[list[Component]] = []
        rule_exact: dict[str, Decimal] = {}
        for base in bases:
            line_total = _ZERO
            line_comps = []
            for rule_id, rate, detail in flat:
                pts = base * rate
                line_total += pts
                line_comps.append(Component(rule_id, "base_rate", detail, pts))
                rule_exact[rule_id] = rule_exact.get(rule_id, _ZERO) + pts
            exact.append(line_total)
            comps.append(line_comps)
        return self._finish(
            order,
            bases=bases,
            exact=exact,
            comps=comps,
            rule_exact=rule_exact,
            member=member,
            engine=engine,
            excluded=engine.not_qualifying,
        )


class _SchemeEngine:
    """An :class:`EarningScheme`'s rules indexed for earning (derived, never in the value).

    The rules by phase, the flat base rates of plain schemes (None when rules need more),
    the rounding label and the point scale.
    """

    __slots__ = (
        "bonuses",
        "calendar",
        "caps",
        "decimal_rounding",
        "flat",
        "limits",
        "membership_year",
        "minimums",
        "multipliers",
        "not_qualifying",
        "order_cap",
        "points",
        "qualifying_lines",
        "rounding_label",
        "scale",
        "threshold_bonuses",
    )

    def __init__(self, scheme: EarningScheme) -> None:
        self.scale = 10**scheme.point_decimals
        self.decimal_rounding = rounding_mode(scheme.rounding_mode, "EarningScheme")
        plain = all(
            isinstance(r, BaseRate)
            and r.stacking == "add"
            and r.when == _ALWAYS
            and r.max_uses is None
            for r in scheme.rules
            if r.phase != "calendar"  # credited by the ledger's clock, never by an order
        )
        #: The yearly bonuses, which the ledger posts by the calendar.
        self.calendar = tuple(r for r in scheme.rules if isinstance(r, YearlyBonus))
        #: The ids of the rules whose points do not qualify for tiers.
        self.not_qualifying = frozenset(r.id for r in scheme.rules if not r.qualifying)
        #: Rule id -> max_uses of the limited rules.
        self.limits = {r.id: r.max_uses for r in scheme.rules if r.max_uses is not None}
        self.flat: tuple[tuple[str, Decimal, str], ...] | None = (
            tuple(
                (r.id, r.rate * self.scale, r._describe())
                for r in scheme.rules
                if isinstance(r, BaseRate)
            )
            if plain
            else None
        )
        self.rounding_label = f"{scheme.rounding_mode} {scheme.rounding_scope}"
        # The rules of each phase with what earning reads of them per order, worked out
        # once: id, kind, stacking, description, condition, and whether the condition
        # picks orders / lines at all (an empty filter passes everything).
        #: Points rules: (rule, id, kind, stacking, detail, when, by_order, by_line).
        self.points: tuple[tuple[EarningRule, str, str, str, str, Condition, bool, bool], ...] = (
            tuple(
                (
                    r,
                    r.id,
                    r.kind,
                    r.stacking,
                    r._describe(),
                    r.when,
                    r.when.has_order_filter,
                    r.when.has_line_filter,
                )
                for r in scheme.rules
                if r.phase == "points"
            )
        )
        #: Multipliers: (id, kind, stacking, factor, when, detail, by_order, by_line).
        self.multipliers: tuple[tuple[str, str, str, Decimal, Condition, str, bool, bool], ...] = (
            tuple(
                (
                    r.id,
                    r.kind,
                    r.stacking,
                    r.factor,
                    r.when,
                    r._describe(),
                    r.when.has_order_filter,
                    r.when.has_line_filter,
                )
                for r in scheme.rules
                if isinstance(r, Multiplier)
            )
        )
        #: Bonuses: (rule, detail, by_order, by_line).
        self.bonuses: tuple[tuple[EarningRule, str, bool, bool], ...] = tuple(
            (r, r._describe(), r.when.has_order_filter, r.when.has_line_filter)
            for r in scheme.rules
            if r.phase == "bonus"
        )
        #: Order minimums: (rule, detail, by_order, by_line).
        self.minimums: tuple[tuple[OrderMinimum, str, bool, bool], ...] = tuple(
            (r, r._describe(), r.when.has_order_filter, r.when.has_line_filter)
            for r in scheme.rules
            if isinstance(r, OrderMinimum)
        )
        #: Order bonuses kept whole until a refund breaks their threshold, by id.
        self.threshold_bonuses: dict[str, OrderBonus] = {
            r.id: r for r in scheme.rules if isinstance(r, OrderBonus) and r.refunds == "threshold"
        }
        #: The order maximum and the period caps, in point units.
        self.order_cap = (
            None
            if scheme.max_points_per_order is None
            else scheme.max_points_per_order * self.scale
        )
        self.caps = tuple((c.freq, c.max_points * self.scale) for c in scheme.caps)
        #: Whether a cap or a use limit counts per membership year (needs its start).
        self.membership_year = any(c.freq == MEMBERSHIP_YEAR for c in scheme.caps) or any(
            r.max_uses is not None and r.uses_freq == MEMBERSHIP_YEAR for r in scheme.rules
        )
        #: Whether the qualifying condition leaves lines out of the qualifying spend.
        self.qualifying_lines = scheme.qualifying.has_line_filter

    def used_up(self, member: MemberContext) -> frozenset[str]:
        """The limited rules the member has used ``max_uses`` times in their period."""
        if not self.limits:
            return frozenset()
        return frozenset(r for r, limit in self.limits.items() if member.uses_of(r) >= limit)


def _fold_bonus(
    chosen: list[Any], total: int, rule: EarningRule, pts: int
) -> tuple[list[Any], int, bool]:
    """Combine one bonus with the bonuses chosen so far; returns (chosen, total, stop)."""
    if rule.stacking == "add":
        return [*chosen, rule], total + pts, False
    if rule.stacking == "max":
        if pts > total:
            return [rule], pts, False
        return chosen, total, False
    # first: only when nothing applied before, and nothing after.
    if chosen:
        return chosen, total, False
    return [rule], pts, True


def _split_exact(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split the exact ``total`` (> 0) in proportion to ``weights``, parts adding up exactly.

    Largest remainder in the smallest decimal unit of ``total`` (whole points when it has
    no decimals): ``120`` over ``[1, 1]`` is ``[60, 60]``, ``0.5`` is ``[0.3, 0.2]``.
    """
    exponent = total.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite Decimal
    if exponent >= 0:
        return [Decimal(p) for p in largest_remainder(int(total), weights)]
    units = int(total.scaleb(-exponent))
    return [Decimal(p).scaleb(exponent) for p in largest_remainder(units, weights)]


def _round_order(exact: list[Decimal], rounding: str) -> list[int]:
    """Round the order total by ``rounding``; split it to lines by largest remainder.

    ``rounding`` is the :mod:`decimal` constant of the scheme's mode
    (:func:`crmkit._rounding.rounding_mode`).

    Each line gets its floor, and the units left go one each to the lines with the largest
    fractional parts (ties to the earlier line).
    """
    if len(exact) == 1:
        return [int(exact[0].to_integral_value(rounding=rounding))]
    total = int(sum(exact, _ZERO).to_integral_value(rounding=rounding))
    floors = [int(x.to_integral_value(rounding=decimal.ROUND_FLOOR)) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return floors
