"""The compiled earner: how every fold (replay, ``apply``, ``replay_many``) earns a purchase.

:meth:`Program.compile` builds one :class:`Earner` per point currency; the ledger calls
:meth:`Earner.earn` for every purchase and nothing else, so a single replay, an
incremental ``apply`` and a whole member base in ``replay_many`` earn through the same
code. The earner is compiled from the scheme once: when the points of an order depend on
nothing about the member (one unconditional base rate, no caps, no order maximum, no tier
conditions or privileges, no first-purchase bonus) and the order is paid without points,
it computes the figures of :meth:`EarningScheme.earn` directly, in the same exact
``Decimal`` arithmetic (:meth:`Earner.plain_order`), and the full :class:`EarningResult`
(the explanation) is built only when read. When they depend on the member's tier alone
(base rates and multipliers whose conditions name tiers, nothing else: "gold earns 2 per
yuan, silver x1.5"; and the earning multipliers the tier's privileges give: "Gold +80 %"),
every line earns its base times a rate of the tier, which the earner learns once per tier
and set of earning privileges from :meth:`EarningScheme.earn` itself and applies the same
way (:meth:`Earner.tier_order`). Otherwise it asks the ledger for the member's context and
runs :meth:`EarningScheme.earn`. The tests hold them equal on generated orders
(``tests/loyalty/test_engine.py``).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from crmkit._rounding import largest_remainder
from crmkit.loyalty._events import Purchase, PurchaseLine
from crmkit.loyalty._privileges import Privilege
from crmkit.loyalty._rules import (
    BaseRate,
    EarningResult,
    EarningScheme,
    MemberContext,
    Multiplier,
    Order,
    OrderLine,
    _round_order,
)
from crmkit.loyalty._rules_util import EXACT, round_points, unchecked

__all__ = ["Earned", "Earner", "linear_privileges", "order_of"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SINGLES_SIZE = 4096  # distinct point totals of one-line orders kept per earner


class TierRates:
    """What one tier earns per unit of a line's base (derived data of a tiered earner).

    ``rate``: a line's exact points per unit of base; ``rules`` and ``shares``: the rules
    that earn on a line, in the order :meth:`EarningScheme.earn` lists them, and each one's
    part of ``rate``; ``splits``: an order's points -> its ``rule_points`` (the total split
    by largest remainder of the rules' exact points over the order, which are the order's
    base times ``shares``: the split of exact rationals does not depend on that common
    factor, so one split serves every order of that total).
    """

    __slots__ = ("counted", "other", "parts", "rate", "rules", "shares", "splits")

    def __init__(self, rate: Decimal, shares: dict[str, Decimal], excluded: frozenset[str]) -> None:
        self.rate = rate
        earning = [(rule, share) for rule, share in shares.items() if share > 0]
        self.rules = tuple(rule for rule, _ in earning)
        self.shares = [share for _, share in earning]
        self.splits: dict[int, tuple[tuple[str, int], ...]] = {}
        #: The parts of ``rate`` that qualify for tiers and that do not (``excluded``:
        #: rules and privileges whose points do not qualify).
        self.counted = sum((x for r, x in shares.items() if r not in excluded), _ZERO)
        self.other = sum((x for r, x in shares.items() if r in excluded), _ZERO)
        #: A line's points -> its qualifying points (the same split on every base > 0).
        self.parts: dict[int, int] = {}

    def qualifying(self, points: int) -> int:
        """The qualifying points of a line of ``points`` points (its base above 0).

        As :meth:`EarningScheme.earn` splits them: largest remainder of the line's exact
        qualifying and other points (the base times ``counted`` and ``other``).
        """
        if points == 0:
            return 0
        part = self.parts.get(points)
        if part is None:
            if len(self.parts) >= _SINGLES_SIZE:
                self.parts.clear()
            if self.counted:
                part = largest_remainder(points, [self.counted, self.other])[0]
            else:
                part = 0
            self.parts[points] = part
        return part

    def split(self, total: int) -> tuple[tuple[str, int], ...]:
        """``rule_points`` of an order of ``total`` points and a base above 0."""
        parts = self.splits.get(total)
        if parts is None:
            if len(self.splits) >= _SINGLES_SIZE:
                self.splits.clear()
            if len(self.rules) > 1:
                points = largest_remainder(total, self.shares)
            else:
                points = [total] * len(self.rules)
            parts = self.splits[total] = tuple(zip(self.rules, points, strict=True))
        return parts


#: What earning a purchase gives the ledger: ``(points, base, rule_points, result,
#: line_points, line_bases, qualifying)``; ``result`` is None when it is built on read,
#: the per-line figures are None when the result holds them (built on read when they are
#: needed), and ``qualifying`` is the points that count toward tiers.
Earned = tuple[
    int,
    Decimal,
    tuple[tuple[str, int], ...],
    EarningResult | None,
    tuple[int, ...] | None,
    tuple[Decimal, ...] | None,
    int,
]


class Earner:
    """A scheme's earning compiled for the ledger (derived data of a compiled program).

    Args:
        scheme: The point currency's earning scheme.
        member_free: Whether the program's earning reads nothing about the member (no
            tier conditions or privileges); the earner then also checks the scheme.
        tier_only: Whether the program's earning reads the member's tier on one ladder (and
            the earning multipliers of its privileges) and nothing else about the member;
            the earner then checks whether the scheme's points are the base times a rate of
            the tier (:attr:`tiered`).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import EarningScheme, Purchase, PurchaseLine
        >>> earner = Earner(EarningScheme.base_rate(2), member_free=True)
        >>> p = Purchase("p1", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        ...              lines=[PurchaseLine("1", "10.50"), PurchaseLine("2", "4")])
        >>> points, base, rule_points, result, line_points, line_bases, _ = earner.plain_order(p.lines)
        >>> points, base, rule_points, line_points
        (29, Decimal('14.50'), (('base', 29),), (21, 8))
        >>> earner.result(p).points
        29
    """

    __slots__ = (
        "floor",
        "gross",
        "mode",
        "per_line",
        "plain",
        "rate",
        "rates",
        "rounding",
        "rule_id",
        "scheme",
        "singles",
        "tiered",
        "unit",
    )

    def __init__(
        self, scheme: EarningScheme, *, member_free: bool, tier_only: bool = False
    ) -> None:
        self.scheme = scheme
        engine = scheme._engine()
        flat = engine.flat
        #: Whether orders are earned by the plain arithmetic below (no member context).
        self.plain = (
            member_free
            and not scheme.uses_prior_orders
            and flat is not None
            and len(flat) == 1
            and not scheme.caps
            and scheme.max_points_per_order is None
            # Qualifying spend apart from the earning base (rule 2): the full result.
            and not scheme.qualifying.has_line_filter
            # Qualifying points apart from the points earned (rule 1): the full result.
            and scheme.all_points_qualify
        )
        self.rule_id, self.rate = (flat[0][0], flat[0][1]) if self.plain and flat else ("", _ZERO)
        self.gross = scheme.earning_base == "gross"
        self.rounding = engine.decimal_rounding
        self.mode = scheme.rounding_mode
        self.per_line = scheme.rounding_scope == "per_line"
        # A rate of exactly 1 (digits and exponent) leaves the base as it is, digit for
        # digit; bases are never negative (amounts >= 0, discounts <= amounts), so with a
        # rate >= 0 flooring is truncation.
        self.unit = self.rate == 1 and self.rate.as_tuple().exponent == 0
        self.floor = self.rounding == decimal.ROUND_FLOOR and self.rate >= 0
        # Points of a one-line order -> its (rule_points, line_points) tuples, shared
        # (immutable) by every order that earns as many points.
        self.singles: dict[int, tuple[tuple[tuple[str, int], ...], tuple[int, ...]]] = {}
        #: Whether orders are earned by :meth:`tier_order` (points = base x a tier's rate).
        self.tiered = not self.plain and tier_only and _linear_by_tier(scheme)
        #: (tier, earning privileges' ids) -> what it earns per unit of base (learned on
        #: first use).
        self.rates: dict[tuple[str | None, tuple[str, ...]], TierRates] = {}

    def earn(
        self,
        event: Purchase,
        context: Callable[[Purchase], MemberContext],
        zone: dt.tzinfo,
    ) -> Earned:
        """What ``event`` earns: ``(points, base, rule_points, result, line_points, line_bases)``.

        ``context`` gives the member's context (called only when the scheme needs it);
        ``zone`` is the program's.
        """
        if self.plain and not event.tenders:
            return self.plain_order(event.lines)
        order = order_of(event, event.points_tender_amount if event.tenders else _ZERO)
        result = self.scheme.earn(order, context(event), timezone=zone)
        # ``spend``: the qualifying spend, the earning base less excluded lines (rule 2).
        return (
            result.points,
            result.spend,
            result.rule_points,
            result,
            None,
            None,
            result.qualifying_points,
        )

    def plain_order(self, lines: Sequence[PurchaseLine]) -> Earned:
        """The figures :meth:`EarningScheme.earn` reports for an order paid without points.

        Only for a :attr:`plain` earner: ``lines`` are validated purchase lines.
        """
        rate = self.rate
        rule_id = self.rule_id
        if len(lines) == 1:
            # The common single-line order, in EXACT's arithmetic without switching contexts.
            line = lines[0]
            base = line.amount if self.gross else EXACT.subtract(line.amount, line.discount)
            x = base if self.unit else EXACT.multiply(base, rate)
            total = int(x) if self.floor else int(x.to_integral_value(rounding=self.rounding))
            if total > 0:  # then x > 0 too
                shared = self.singles.get(total)
                if shared is None:
                    if len(self.singles) >= _SINGLES_SIZE:
                        self.singles.clear()
                    shared = self.singles[total] = (((rule_id, total),), (total,))
                return total, EXACT.add(_ZERO, base), shared[0], None, shared[1], (base,), total
            rule_points = ((rule_id, total),) if x > 0 else ()
            return total, EXACT.add(_ZERO, base), rule_points, None, (total,), (base,), total
        with decimal.localcontext(EXACT):
            if self.gross:
                bases = [line.amount for line in lines]
            else:
                bases = [line.amount - line.discount for line in lines]
            exact = [base * rate for base in bases]
            if self.per_line:
                whole = [round_points(x, self.mode) for x in exact]
            else:
                whole = _round_order(exact, self.rounding)
            rule_exact = _ZERO
            for x in exact:
                rule_exact += x
            total = sum(whole)
            rule_points = ((rule_id, total),) if rule_exact > 0 else ()
            base = sum(bases, _ZERO)
            return total, base, rule_points, None, tuple(whole), tuple(bases), total

    def tier_order(
        self,
        lines: Sequence[PurchaseLine],
        tier: str | None,
        privileges: tuple[Privilege, ...] = (),
    ) -> Earned:
        """What :meth:`EarningScheme.earn` reports for an order a member holding ``tier`` paid.

        Only for a :attr:`tiered` earner and an order paid without points: each line earns
        its base times the rate of the tier and the earning ``privileges`` held (what one
        unit of base earns, from :meth:`EarningScheme.earn`), rounded as the scheme rounds,
        and each rule's points are its exact points over the order, split from the total by
        largest remainder, as :meth:`EarningScheme.earn` does.
        """
        key = (tier, tuple([p.id for p in privileges]))
        rates = self.rates.get(key)
        if rates is None:
            rates = self.rates[key] = self._rates_of(tier, privileges)
        rate = rates.rate
        if len(lines) == 1:
            # The common single-line order, in EXACT's arithmetic without switching contexts.
            line = lines[0]
            one = line.amount if self.gross else EXACT.subtract(line.amount, line.discount)
            total = int(EXACT.multiply(one, rate).to_integral_value(rounding=self.rounding))
            whole: tuple[int, ...] = (total,)
            bases: tuple[Decimal, ...] = (one,)
            base = EXACT.add(_ZERO, one)
        else:
            with decimal.localcontext(EXACT):
                if self.gross:
                    bases = tuple([line.amount for line in lines])
                else:
                    bases = tuple([line.amount - line.discount for line in lines])
                exact = [b * rate for b in bases]
                if self.per_line:
                    whole = tuple([round_points(x, self.mode) for x in exact])
                else:
                    whole = tuple(_round_order(exact, self.rounding))
                base = sum(bases, _ZERO)
            total = sum(whole)
        # Each rule's exact points over the order are the base times its share: none earn
        # on a base of 0 (bases are never negative).
        rule_points = rates.split(total) if base > 0 else ()
        if not rates.other:
            return total, base, rule_points, None, whole, bases, total
        # Some points do not qualify for tiers: each line's qualifying part of its points
        # (the split of the result; its line figures are built on read when needed).
        qualifying = sum([rates.qualifying(points) for points in whole])
        return total, base, rule_points, None, None, None, qualifying

    def _rates_of(self, tier: str | None, privileges: tuple[Privilege, ...]) -> TierRates:
        """What ``tier`` with ``privileges`` earns per unit of base: one line of base 1."""
        line = unchecked(
            OrderLine,
            line_id="1",
            amount=_ONE,
            sku="",
            category="",
            quantity=1,
            discount=_ZERO,
        )
        order = unchecked(
            Order, order_id="", time=_EPOCH, lines=(line,), channel="", points_tender=_ZERO
        )
        member = MemberContext(tier=tier, privileges=privileges)
        earned = self.scheme.earn(order, member, timezone=dt.UTC).lines[0]
        shares: dict[str, Decimal] = {}
        for part in earned.components:
            shares[part.rule_id] = shares.get(part.rule_id, _ZERO) + part.points
        excluded = self.scheme._engine().not_qualifying | {
            f"privilege:{p.id}" for p in privileges if not p.qualifying
        }
        return TierRates(earned.exact, shares, excluded)

    def result(
        self,
        event: Purchase,
        tier: str | None = None,
        privileges: tuple[Privilege, ...] = (),
    ) -> EarningResult:
        """The full :class:`EarningResult` of a purchase this earner earned.

        For a :attr:`plain` earner the tier is not read; for a :attr:`tiered` one ``tier``
        and ``privileges`` are what the member held then. It depends on the order and those
        alone (the zone only labels it), so it is built on read.
        """
        member = MemberContext(tier=tier, privileges=privileges) if self.tiered else None
        return self.scheme.earn(order_of(event, _ZERO), member, timezone=dt.UTC)


def linear_privileges(privileges: Iterable[Privilege]) -> bool:
    """Whether privileges change a member's earning by a factor alone, if at all.

    A birthday bonus reads the order's day and the birth date: it takes the general path.
    """
    return all(p.kind != "birthday_bonus" for p in privileges)


def _linear_by_tier(scheme: EarningScheme) -> bool:
    """Whether every order earns each line's base times a rate set by the member's tier.

    So it is when the scheme's order rules are base rates and multipliers whose conditions
    name tiers and nothing else (no channel, window, birthday or line filter, no use
    limit), with no caps, order maximum, first-purchase bonus or qualifying filters: then
    a rule's points on a line are the line's base times a factor of the tier, whatever the
    stacking (and its qualifying part too, where some rules' points do not qualify). Any
    other rule kind takes the general path: a bonus or an order minimum
    (:class:`~crmkit.loyalty.OrderMinimum`) is not a rate of the base, and a plain earner
    needs base rates alone (``EarningScheme._engine().flat``) too.
    """
    if (
        scheme.uses_prior_orders
        or scheme.caps
        or scheme.max_points_per_order is not None
        or scheme.qualifying.has_line_filter
    ):
        return False
    for rule in scheme.rules:
        if rule.phase == "calendar":  # credited by the ledger's clock, never by an order
            continue
        if not isinstance(rule, BaseRate | Multiplier) or rule.max_uses is not None:
            return False
        when = rule.when
        if when.has_line_filter or when.channels or when.except_channels or when.windows:
            return False
        if when.birthday_month:
            return False
    return True


def order_of(event: Purchase, points_tender: Decimal) -> Order:
    """The earning rules' view of a purchase.

    Built without re-checking: a :class:`Purchase` holds what an :class:`Order` checks
    (lines with unique ids, amounts >= 0, 0 <= discount <= amount, string sku and
    category; an aware time; tenders adding up to the net, so ``points_tender`` never
    exceeds the total).
    """
    return unchecked(
        Order,
        order_id=event.event_id,
        time=event.time,
        lines=tuple(
            [
                unchecked(
                    OrderLine,
                    line_id=line.line_id,
                    amount=line.amount,
                    sku=line.sku,
                    category=line.category,
                    quantity=line.quantity,
                    discount=line.discount,
                )
                for line in event.lines
            ]
        ),
        channel=event.channel,
        points_tender=points_tender,
    )
