"""Member tiers: qualifying counters, qualification windows, upgrades and downgrades.

Tiers are decided by *qualifying* counters (spend, points earned, orders), kept apart from
the spendable balance: redeeming points never demotes anyone, refunds reduce the counters.

- **Upgrade** happens at the posting that makes the counters of the current window reach a
  higher tier's thresholds (inclusive, ``>=``).
- A tier reached (or re-qualified for) in window *W* holds until the end of window
  *W + validity_windows* (rolling windows: ``validity_windows * window_months`` months after
  the qualifying posting; rolling calendar months: to the end of the calendar month that
  many months after the posting's month).
- **Keep** (retention, :attr:`Tier.keep`): at that assessment the tier held is also kept on
  its keep ways, thresholds lower than the upgrade ones (Qatar Airways: Gold reached on 300
  Qpoints, renewed on 275); with windows that end (calendar, member years, ``since_change``)
  a window whose counters reach a keep way renews the tier at its end, as reaching the
  upgrade thresholds again renews it at the posting. Sliding windows may renew only at the
  assessment (``renew="assessment"``), read a window that ended months before it
  (``assessment_lag_months``) and give an upgrade a validity of its own
  (``upgrade_validity_months``): Air China's 保级 rules.
- **Downgrade** happens only when that validity ends, by the ladder's policy:
  ``reevaluate`` (to the tier the last window's counters support), ``one_down`` (soft
  landing: at most one tier down) or ``to_base`` ("requalify or start over": the counters
  start over at the decision, where they would outlive it); with ``grace_days`` the drop
  waits that many days and is cancelled if the member re-qualifies meanwhile.
- **Lifetime** tiers: once all-time counters reach a lifetime threshold, that tier is a
  floor for good.
- **Grants** (:meth:`TierTracker.grant`; the ledger's :class:`~crmkit.loyalty.TierGrant`
  event): a tier held from an instant until a date whatever the counters say (a status
  match, a goodwill upgrade), optionally with a *target* to reach meanwhile to keep it (a
  status challenge). The fold of the counters runs on beneath it untouched; the member
  holds the higher of the two, and drops back at the grant's end to what the counters
  support. A target reached is an upgrade to the granted tier at that instant.

The fold is exposed step by step (:meth:`TierLadder.tracker` gives a :class:`TierTracker`
with ``post``, ``advance`` and ``status``) so a ledger can keep the tier incrementally, and
in one call (:meth:`TierLadder.evaluate`, which runs that same fold).
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from crmkit._jsonable import ResultDict
from crmkit._spec import (
    DECIMAL,
    PLAIN,
    Nested,
    Optional,
    Seq,
    Spec,
    as_tuple,
    each,
    field,
    instance_of,
    one_of,
    whole,
)
from crmkit._spec import decimal as decimal_value
from crmkit._validate import (
    check_unique,
    first_labels,
    require_columns,
    require_frame,
    require_no_missing,
)
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty._rules_util import (
    COUNTS_CODEC,
    EARLIEST,
    LATEST,
    add_months,
    as_of_time,
    check_name,
    check_range,
    count_pairs,
    count_problem,
    local_time,
    midnight,
    to_decimal,
    to_optional_decimal,
    zone,
)

if TYPE_CHECKING:
    from crmkit.loyalty._tracker import TierTracker

__all__ = [
    "Counters",
    "Qualification",
    "QualifyingPosting",
    "Tier",
    "TierChange",
    "TierLadder",
    "TierStatus",
    "assign_tiers",
]

#: The qualifying metrics a tier threshold may use.
METRICS = ("spend", "points", "orders")
WINDOWS = ("calendar_year", "rolling", "anniversary", "since_change", "rolling_calendar_months")
#: Windows that slide with the clock (postings leave them one by one; no window end).
SLIDING = ("rolling", "rolling_calendar_months")
ROLLOVERS = ("none", "surplus")
#: Windows a surplus may roll over from: on a change of level (``since_change``) or at the
#: end of a fixed window (calendar and member years: IHG's rollover nights).
ROLLOVER_WINDOWS = ("since_change", "calendar_year", "anniversary")
ROLLOVER_ON = ("upgrade", "upgrade_or_keep")
CLIMBS = ("highest", "one_level")
DOWNGRADES = ("reevaluate", "one_down", "to_base")
REFUNDS = ("posted", "purchase_window", "net")
#: When the tier held is renewed on its own ways up: at any posting that reaches them again
#: (sliding windows today), or only at its assessment (Qatar, Air China: at the expiry).
RENEWALS = ("posting", "assessment")


def _count_dict(value: Mapping[str, int]) -> dict[str, int]:
    return dict(value)


def _merge(a: Mapping[str, int], b: Mapping[str, int], sign: int) -> dict[str, int]:
    out = dict(a)
    for name, value in b.items():
        out[name] = out.get(name, 0) + sign * value
    return out


@attrs.frozen
class Counters(ResultDict):
    """Qualifying counters: money spent, points earned, orders placed, named activity counts.

    ``counts`` holds the named activity counters a ladder qualifies on beyond spend, points
    and orders (nights, stays, segments, distance, ...; rule 1 of issue 14), as carried by
    :attr:`Purchase.counts <crmkit.loyalty.Purchase.counts>`.

    Examples:
        >>> from decimal import Decimal
        >>> Counters(Decimal("100"), 100, 1) + Counters(Decimal("-40"), -40, 0)
        Counters(spend=Decimal('60'), points=60, orders=1, counts={})
        >>> Counters(Decimal("100.50"), 100, 1, {"nights": 3}).to_dict()
        {'spend': '100.50', 'points': 100, 'orders': 1, 'counts': {'nights': 3}}
        >>> Counters(counts={"nights": 3}).get("nights"), Counters().get("stays")
        (3, 0)
    """

    spend: Decimal = Decimal(0)
    points: int = 0
    orders: int = 0
    counts: dict[str, int] = attrs.field(factory=dict, converter=_count_dict, hash=False)

    def __add__(self, other: Counters) -> Counters:
        return Counters(
            self.spend + other.spend,
            self.points + other.points,
            self.orders + other.orders,
            _merge(self.counts, other.counts, 1),
        )

    def __sub__(self, other: Counters) -> Counters:
        return Counters(
            self.spend - other.spend,
            self.points - other.points,
            self.orders - other.orders,
            _merge(self.counts, other.counts, -1),
        )

    def get(self, metric: str) -> Decimal | int:
        """The value of ``metric``: ``"spend"``, ``"points"``, ``"orders"`` or a named count.

        Examples:
            >>> Counters(points=5).get("points")
            5
        """
        if metric in METRICS:
            value: Decimal | int = getattr(self, metric)
            return value
        return self.counts.get(metric, 0)


@attrs.frozen
class QualifyingPosting(ResultDict):
    """A change of the qualifying counters at an instant (negative for refunds).

    Purchases post their earning base as ``spend``, their earned points, one order and
    their named activity ``counts`` (``{"nights": 3}``); refunds post the reversed share
    with a minus sign, and ``reverses`` the time of the purchase they reverse (what a
    ladder with ``refunds="purchase_window"`` or ``"net"`` reads). Redemptions never post.

    Examples:
        >>> import datetime as dt
        >>> QualifyingPosting(dt.datetime(2025, 1, 5, 10), spend="1200", points=1200, orders=1).spend
        Decimal('1200')
        >>> QualifyingPosting(dt.datetime(2025, 1, 5, 10, tzinfo=dt.UTC), spend="12").to_dict()
        {'time': '2025-01-05T10:00:00+00:00', 'spend': '12', 'points': 0, 'orders': 0, 'counts': {}, 'reverses': None}
    """

    time: dt.datetime
    spend: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    points: int = 0
    orders: int = 0
    counts: dict[str, int] = attrs.field(factory=dict, converter=_count_dict, hash=False)
    reverses: dt.datetime | None = None

    def __attrs_post_init__(self) -> None:
        owner = "QualifyingPosting"
        if self.reverses is not None and not isinstance(self.reverses, dt.datetime):
            raise InvalidInputError(
                owner, "reverses", expected="a datetime or None", found=repr(self.reverses), kind=""
            )
        problem = count_problem(self.counts, signed=True)
        if problem is not None:
            raise InvalidInputError(owner, "counts", expected=problem[0], found=problem[1], kind="")
        if not isinstance(self.time, dt.datetime):
            raise InvalidInputError(
                owner, "time", expected="a datetime", found=repr(self.time), kind=""
            )
        if not isinstance(self.spend, Decimal) or not self.spend.is_finite():
            raise InvalidInputError(
                owner,
                "spend",
                expected="a finite Decimal (never a float)",
                found=repr(self.spend),
                kind="",
            )
        for name in ("points", "orders"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidInputError(owner, name, expected="an int", found=repr(value), kind="")

    @property
    def counters(self) -> Counters:
        """The posting as :class:`Counters`.

        Examples:
            >>> import datetime as dt
            >>> QualifyingPosting(dt.datetime(2025, 1, 1), orders=1).counters.orders
            1
        """
        return Counters(self.spend, self.points, self.orders, self.counts)


def _named(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_name(type(instance).__name__, attribute.name, value)


def _count_thresholds(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    problem = count_problem(value)
    if problem is not None:
        raise ConfigError(
            type(instance).__name__, attribute.name, expected=problem[0], found=problem[1]
        )


def _thresholds_of(item: Qualification | Tier) -> dict[str, Decimal | int]:
    """The thresholds ``item`` sets, by metric (named counts after the built-in ones)."""
    out: dict[str, Decimal | int] = {}
    for metric in METRICS:
        value = getattr(item, metric)
        if value is not None:
            out[metric] = value
    out.update(item.counts)
    return out


def _some_threshold(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not _thresholds_of(instance):
        raise ConfigError(
            "Qualification",
            attribute.name,
            expected="at least one threshold (spend, points, orders or counts)",
            found="none",
        )


def _spend_threshold() -> Any:
    """A qualifying-spend threshold field (None: not a condition)."""
    return field(
        default=None,
        converter=to_optional_decimal,
        validator=decimal_value(min=0, optional=True),
        codec=Optional(DECIMAL),
        omit_default=True,
    )


def _whole_threshold() -> Any:
    """A whole-number threshold field: points or orders (None: not a condition)."""
    return field(default=None, validator=whole(min=0, optional=True), omit_default=True)


def _count_threshold(*validators: Any) -> Any:
    """The named-count thresholds field (``{"nights": 25}``)."""
    return field(
        default=(),
        converter=count_pairs,
        validator=list(validators),
        codec=COUNTS_CODEC,
        omit_default=True,
    )


@attrs.frozen(kw_only=True)
class Qualification(Spec):
    """One way to reach a tier: every threshold it sets must be reached (an AND).

    A :class:`Tier`'s ``alternatives`` are such ways; the tier is reached by any one of
    them (an OR of ANDs): United MileagePlus Premier Silver was "12 PQF and 4,000 PQP, or
    5,000 PQP", Marriott Bonvoy Ambassador "100 qualifying nights and a qualifying annual
    spend".

    Attributes:
        spend: Money spent in the window, at least.
        points: Points earned in the window, at least (in points).
        orders: Orders in the window, at least.
        counts: Named activity counters in the window, at least (``{"nights": 100}``).

    Examples:
        >>> way = Qualification(spend="23000", counts={"nights": 100})
        >>> way.thresholds()
        {'spend': Decimal('23000'), 'nights': 100}
        >>> Qualification.from_dict(way.to_dict()) == way
        True
        >>> Qualification()
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Qualification: parameter 'counts' must be at least one threshold (spend, points, orders or counts); found none.
    """

    spend: Decimal | None = _spend_threshold()
    points: int | None = _whole_threshold()
    orders: int | None = _whole_threshold()
    counts: tuple[tuple[str, int], ...] = _count_threshold(_count_thresholds, _some_threshold)

    def thresholds(self) -> dict[str, Decimal | int]:
        """The thresholds of this way, by metric (all of them must be reached).

        Examples:
            >>> Qualification(points=4000, counts={"pqf": 12}).thresholds()
            {'points': 4000, 'pqf': 12}
        """
        return _thresholds_of(self)

    def reached(self, counters: Counters) -> bool:
        """Whether ``counters`` reach every threshold (inclusive).

        Examples:
            >>> from decimal import Decimal
            >>> way = Qualification(spend="23000", counts={"nights": 100})
            >>> way.reached(Counters(spend=Decimal("23000"), counts={"nights": 99}))
            False
        """
        return all(counters.get(m) >= v for m, v in self.thresholds().items())


def _to_qualifications(value: Any) -> Any:
    """A list of ways (or their mappings) becomes a tuple (anything else: the validator)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        return value
    return tuple(Qualification.from_dict(q) if isinstance(q, Mapping) else q for q in value)


def _qualification_items(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(q, Qualification) for q in value):
        raise ConfigError(
            type(instance).__name__,
            attribute.name,
            expected="a list of Qualification items",
            found=repr(value),
        )


@attrs.frozen(kw_only=True)
class Tier(Spec):
    """One level of a ladder with its inclusive thresholds on the qualifying counters.

    The base tier (the ladder's first) has no thresholds. How the thresholds combine
    (any or all) is the ladder's ``combine``.

    Attributes:
        name: Tier name (unique in its ladder).
        spend: Money spent in the window, at least.
        points: Points earned in the window, at least (in points, also when the program's
            points have decimals).
        orders: Orders in the window, at least.
        counts: Named activity counters in the window, at least (``{"nights": 25}``): any
            counter the purchases carry in :attr:`Purchase.counts
            <crmkit.loyalty.Purchase.counts>` (nights, stays, segments, distance, ...).
            With the ladder's ``combine="any"``, ``Tier(name="gold", points=50000,
            counts={"nights": 25})`` reads "25 nights or 50,000 points".
        alternatives: More ways to reach the tier, each a :class:`Qualification` whose
            thresholds must all be reached ("100 nights **and** $23,000"); the tier is
            reached by its own thresholds (as the ladder's ``combine`` reads them) **or**
            by any alternative: an OR of ANDs. A tier may have alternatives only.
        keep: Ways to *keep* the tier (retention, 保级), each a :class:`Qualification`:
            a member holding the tier keeps it at its assessment (when its validity ends)
            if the counters the assessment reads reach any keep way **or** any way to
            reach the tier (:meth:`ways`); upgrades still need the latter. Qatar Airways
            Privilege Club (2013): Gold reached on 300 Qpoints, renewed on 275. A keep way
            may equal a way to reach the tier (the upgrade standard keeps the card: the
            same as no keep way) but never be stricter than one (every counter it reaches
            reaching that way too, a way that would never keep anyone): the ladder
            refuses it, as a likely slip. Not on the base tier, nor on lifetime tiers; its
            metrics must be ones the ladder's tiers qualify on. See :class:`TierLadder`
            for when the assessment happens and which validity a retention gives.

    Examples:
        >>> gold = Tier(name="gold", spend="10000")
        >>> gold.thresholds()
        {'spend': Decimal('10000')}
        >>> Tier.from_dict(gold.to_dict()) == gold
        True
        >>> Tier(name="gold", points=-1)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Tier: parameter 'points' must be an int at least 0; found -1.

        United MileagePlus Premier Silver (2020 terms): 12 PQF and 4,000 PQP, or 5,000 PQP:

        >>> silver = Tier(name="silver", alternatives=[
        ...     Qualification(points=4000, counts={"pqf": 12}), Qualification(points=5000)])
        >>> silver.ways()
        [{'points': 4000, 'pqf': 12}, {'points': 5000}]
        >>> silver.reached(Counters(points=4200, counts={"pqf": 12}))
        True

        Qatar Airways Privilege Club Gold (2013 terms): reached on 300 Qpoints in any 12
        months, renewed on 275:

        >>> gold = Tier(name="gold", points=300, keep=[Qualification(points=275)])
        >>> gold.reached(Counters(points=280)), gold.kept(Counters(points=280))
        (False, True)
        >>> gold.keep_ways()
        [{'points': 275}, {'points': 300}]
        >>> Tier.from_dict(gold.to_dict()) == gold
        True
    """

    name: str = field(validator=_named)
    spend: Decimal | None = _spend_threshold()
    points: int | None = _whole_threshold()
    orders: int | None = _whole_threshold()
    counts: tuple[tuple[str, int], ...] = _count_threshold(_count_thresholds)
    alternatives: tuple[Qualification, ...] = field(
        default=(),
        converter=_to_qualifications,
        validator=_qualification_items,
        codec=Seq(Nested(Qualification)),
        omit_default=True,
    )
    keep: tuple[Qualification, ...] = field(
        default=(),
        converter=_to_qualifications,
        validator=_qualification_items,
        codec=Seq(Nested(Qualification)),
        omit_default=True,
    )

    def thresholds(self) -> dict[str, Decimal | int]:
        """The thresholds this tier sets itself, by metric (named counts after the built-in ones).

        The :attr:`alternatives` are not included (see :meth:`ways`).

        Examples:
            >>> Tier(name="silver", points=1000, orders=5).thresholds()
            {'points': 1000, 'orders': 5}
            >>> Tier(name="gold", points=50000, counts={"nights": 25}).thresholds()
            {'points': 50000, 'nights': 25}
        """
        return _thresholds_of(self)

    def ways(self, combine: str = "any") -> list[dict[str, Decimal | int]]:
        """Every way to reach the tier: each a set of thresholds that must all be reached.

        The tier's own thresholds read by the ladder's ``combine`` (``"any"``: each alone
        is a way; ``"all"``: together they are one way), then each alternative. An empty
        list is the base tier (reached by everyone).

        Examples:
            >>> Tier(name="gold", points=50000, counts={"nights": 25}).ways()
            [{'points': 50000}, {'nights': 25}]
            >>> Tier(name="gold", points=50000, counts={"nights": 25}).ways("all")
            [{'points': 50000, 'nights': 25}]
        """
        own = self.thresholds()
        if not own:
            out: list[dict[str, Decimal | int]] = []
        elif combine == "all":
            out = [own]
        else:
            out = [{metric: value} for metric, value in own.items()]
        return out + [way.thresholds() for way in self.alternatives]

    def keep_ways(self, combine: str = "any") -> list[dict[str, Decimal | int]]:
        """Every way to keep the tier at an assessment: its :attr:`keep` ways, then :meth:`ways`.

        Examples:
            >>> Tier(name="silver", alternatives=[Qualification(counts={"km": 40000}),
            ...      Qualification(counts={"segments": 25})],
            ...      keep=[Qualification(counts={"km": 35000}),
            ...            Qualification(counts={"segments": 23})]).keep_ways()[:2]
            [{'km': 35000}, {'segments': 23}]
        """
        return [way.thresholds() for way in self.keep] + self.ways(combine)

    def kept(self, counters: Counters, combine: str = "any") -> bool:
        """Whether a member holding the tier keeps it on ``counters`` (any of :meth:`keep_ways`).

        Examples:
            >>> tier = Tier(name="gold", points=300, keep=[Qualification(points=275)])
            >>> tier.kept(Counters(points=275)), tier.kept(Counters(points=274))
            (True, False)
        """
        return any(way.reached(counters) for way in self.keep) or self.reached(counters, combine)

    def metric_names(self) -> set[str]:
        """Every metric the tier reads, its alternatives' included.

        Examples:
            >>> sorted(Tier(name="a", alternatives=[Qualification(spend="1", counts={"nights": 2})]).metric_names())
            ['nights', 'spend']
        """
        return {metric for way in self.ways() for metric in way}

    def reached(self, counters: Counters, combine: str = "any") -> bool:
        """Whether ``counters`` reach this tier by any of its :meth:`ways` (thresholds inclusive).

        Examples:
            >>> from decimal import Decimal
            >>> Tier(name="gold", spend="5000").reached(Counters(spend=Decimal("5000")))
            True
        """
        ways = self.ways(combine)
        if not ways:
            return True
        return any(all(counters.get(m) >= v for m, v in way.items()) for way in ways)


@attrs.frozen
class TierChange(ResultDict):
    """A change of tier: when, from what, to what, and why.

    ``reason`` is one of ``"upgrade"``, ``"lifetime"``, ``"downgrade"``, ``"start"`` or
    ``"refund"`` (a refund undid an upgrade: ``TierLadder(refunds="net")``); for a tier
    grant (:meth:`TierTracker.grant`) the grant's own reason code where it raises the tier
    (``"status_match"``, ``"goodwill"``, ...), and ``"grant_end"`` where its end lowers it.

    Examples:
        >>> import datetime as dt
        >>> TierChange(dt.datetime(2025, 1, 1), "base", "gold", "upgrade").new
        'gold'
        >>> TierChange(dt.datetime(2025, 1, 1), "base", "gold", "upgrade").to_dict()["old"]
        'base'
    """

    time: dt.datetime
    old: str | None
    new: str
    reason: str


@attrs.frozen(kw_only=True)
class TierStatus(ResultDict):
    """A member's tier state at ``as_of``: the tier, its validity, the counters, the history.

    Attributes:
        as_of: The instant described (in the program's zone).
        tier: The tier held.
        since: When it was reached (or landed on).
        valid_until: When it is next assessed (None: the base tier, or a lifetime floor).
            During a grace period the validity that ended, unless the tier is kept at the
            grace end as things stand (see :attr:`pending_downgrade`).
        window_start: Start of the current qualification window (sliding windows: of
            the one ending at ``as_of``; ``"rolling"`` counts what is after it).
        window_end: End of the current window (None for sliding windows: ``"rolling"``
            and ``"rolling_calendar_months"``).
        counters: Qualifying counters of the current window (sliding: the last months).
        lifetime: All-time qualifying counters.
        lifetime_floor: The lifetime tier reached, if any.
        pending_downgrade: ``(when, tier)`` of a downgrade waiting out its grace period:
            where its end lands as things stand (no further posting; activity gathered
            meanwhile can land higher than the assessment decided). None, with
            :attr:`valid_until` the validity the grace end gives, once what was gathered
            keeps the tier at the grace end (a keep way, or ``renew="assessment"``).
        next_tier: The tier above (None at the top).
        missing: What the counters still lack for :attr:`next_tier`, by metric: every
            threshold of its own not reached, or, when it has ``alternatives``, what the
            nearest way to it lacks (:attr:`nearest_way`).
        history: Every tier change, the first being the start.
        anchor: The member's start (anniversary windows run from its local date).
        ways_missing: For each way to reach :attr:`next_tier` (:meth:`Tier.ways`, in
            that order), what the counters still lack, by metric.
        nearest_way: The index in :attr:`ways_missing` of the way nearest completion:
            the smallest sum, over its thresholds, of the share still missing
            (``missing / threshold``); ties go to the first declared. None at the top.
        keep_ways_missing: On a ladder with keep ways (:attr:`Tier.keep`): for each way to
            keep :attr:`tier` past :attr:`valid_until` (:meth:`Tier.keep_ways`: its keep
            ways, then its ways up, in that order), what the counters that can keep it
            still lack, by metric. Those are the counters of the window the next
            assessment reads, as counted so far: for calendar and member years and
            ``"since_change"`` periods the current window's when its end can renew the
            tier, else nothing yet (the tier was reached or renewed on this window: the
            next one must keep it, and the full thresholds are missing); for sliding
            windows the postings still inside the window the assessment at
            :attr:`valid_until` reads (with ``assessment_lag_months``, the window ending
            that many months before it). Empty when there is nothing to keep (the base
            tier, a lifetime floor) or the ladder has no keep ways.
        keep_nearest_way: The index in :attr:`keep_ways_missing` of the way nearest
            completion (as :attr:`nearest_way`); None when that is empty.
        keep_missing: What the nearest way to keep the tier still lacks
            (``keep_ways_missing[keep_nearest_way]``; ``{}``: the tier is kept at its next
            assessment as things stand). None when :attr:`keep_ways_missing` is empty.
        target_missing: While a tier grant with a target holds :attr:`tier`
            (:meth:`TierTracker.grant`, a status challenge): what the target still lacks, by
            metric (``{}``: reached, the tier is kept past the grant's end). None when no
            such grant holds the tier. While a grant holds a tier above what the counters
            give, :attr:`valid_until` is the grant's end, and the ``keep_*`` fields are
            empty (the target, not a keep way, keeps it).

    Examples:
        >>> import datetime as dt
        >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="1000")])
        >>> status = ladder.evaluate([QualifyingPosting(dt.datetime(2025, 3, 1), spend="400")],
        ...                          as_of=dt.datetime(2025, 6, 1), timezone="UTC")
        >>> status.tier, status.next_tier, status.missing
        ('member', 'gold', {'spend': Decimal('600')})
        >>> status.to_dict()["missing"], status.to_dict()["counters"]["spend"]
        ({'spend': '600'}, '400')
    """

    as_of: dt.datetime
    tier: str
    since: dt.datetime
    valid_until: dt.datetime | None
    window_start: dt.datetime
    window_end: dt.datetime | None
    counters: Counters
    lifetime: Counters
    lifetime_floor: str | None
    pending_downgrade: tuple[dt.datetime, str] | None
    next_tier: str | None
    missing: dict[str, Decimal | int]
    history: tuple[TierChange, ...]
    anchor: dt.datetime
    ways_missing: tuple[dict[str, Decimal | int], ...] = ()
    nearest_way: int | None = None
    keep_ways_missing: tuple[dict[str, Decimal | int], ...] = ()
    keep_nearest_way: int | None = None
    keep_missing: dict[str, Decimal | int] | None = None
    target_missing: dict[str, Decimal | int] | None = None

    @property
    def valid_through(self) -> dt.date | None:
        """The last local day the tier is held before its next assessment (None: open).

        :attr:`valid_until` is the first instant after it (local midnight).

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)],
            ...                     validity_extra_months=2)
            >>> st = ladder.evaluate([QualifyingPosting(dt.datetime(2026, 5, 1), orders=1)],
            ...                      as_of=dt.datetime(2026, 6, 1), timezone="UTC")
            >>> st.valid_until.date(), st.valid_through
            (datetime.date(2028, 3, 1), datetime.date(2028, 2, 29))
        """
        if self.valid_until is None:
            return None
        return (self.valid_until - dt.timedelta(microseconds=1)).date()

    def tier_at(self, when: dt.datetime) -> str:
        """The tier held at instant ``when`` (from :attr:`history`; naive is read in the status's zone).

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", orders=2)])
            >>> posts = [QualifyingPosting(dt.datetime(2025, 1, d), orders=1) for d in (3, 9)]
            >>> st = ladder.evaluate(posts, as_of=dt.datetime(2025, 2, 1), timezone="UTC")
            >>> st.tier_at(dt.datetime(2025, 1, 5)), st.tier_at(dt.datetime(2025, 1, 9))
            ('member', 'gold')
        """
        tz = self.as_of.tzinfo
        assert tz is not None
        when = local_time(when, tz, "TierStatus.tier_at()", "when")
        tier = self.history[0].new
        for change in self.history:
            if change.time <= when:
                tier = change.new
            else:
                break
        return tier


def _to_tiers(value: Any) -> Any:
    """A list of tiers (or their mappings) becomes a tuple (anything else: the validator)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return value
    return tuple(Tier.from_dict(t) if isinstance(t, Mapping) else t for t in value)


def _tier_items(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple):
        raise ConfigError(
            "TierLadder",
            attribute.name,
            expected="a list of Tier items",
            found="None" if value is None else type(value).__name__,
        )
    for tier in value:
        if not isinstance(tier, Tier):
            raise ConfigError("TierLadder", attribute.name, expected="Tier items", found=repr(tier))


def _ladder_shape(instance: Any, attribute: attrs.Attribute[Any], tiers: Any) -> None:
    """A base tier without thresholds, then the same metrics strictly increasing."""
    owner = "TierLadder"
    if not tiers:
        raise ConfigError(owner, "tiers", expected="at least one tier", found="none")
    names = [t.name for t in tiers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            owner, "tiers", expected="unique tier names", found=f"repeated {repeated}"
        )
    if tiers[0].ways():
        raise ConfigError(
            owner,
            "tiers",
            expected="a base tier without thresholds first",
            found=f"{tiers[0].name!r} with {sorted(tiers[0].metric_names())}",
        )
    if any(not t.ways() for t in tiers[1:]):
        empty = next(t.name for t in tiers[1:] if not t.ways())
        raise ConfigError(
            owner,
            "tiers",
            expected="thresholds on every tier above the base",
            found=f"none on {empty!r}",
        )
    # Tiers reached by alternatives only are left out of the shape checks of the tiers'
    # own thresholds (Marriott: 50 nights, 75 nights, then "100 nights and a spend").
    upper = [t for t in tiers[1:] if t.thresholds()]
    metric_sets = {tuple(sorted(t.thresholds())) for t in upper}
    if len(metric_sets) > 1:
        raise ConfigError(
            owner,
            "tiers",
            expected="the same metrics on every tier above the base",
            found=f"{sorted(metric_sets)}",
            hint=(
                "A tier reached another way (IHG Silver: 10 nights, no points) takes its "
                "thresholds as alternatives=[Qualification(counts={'nights': 10})]."
            ),
        )
    # With combine="any" each threshold alone reaches its tier, so each must rise; with
    # "all" a threshold every tier shares (Qantas: 4 flights on every status) may stay,
    # as long as one rises: the tier above must ask for more.
    every = getattr(instance, "combine", "any") == "all"
    for lower, higher in itertools.pairwise(upper):
        pairs = [(m, v, lower.thresholds()[m]) for m, v in higher.thresholds().items()]
        for metric, value, below in pairs:
            if value < below or (value == below and not every):
                raise ConfigError(
                    owner,
                    "tiers",
                    expected="thresholds strictly increasing up the ladder"
                    + (" (with combine='all': none lower, one higher)" if every else ""),
                    found=f"{metric} {value} for {higher.name!r} after {below} for {lower.name!r}",
                )
        if every and all(value == below for _, value, below in pairs):
            raise ConfigError(
                owner,
                "tiers",
                expected="thresholds strictly increasing up the ladder (with combine='all': "
                "none lower, one higher)",
                found=f"the same thresholds for {higher.name!r} as for {lower.name!r}",
            )


def _implies(way: Mapping[str, Decimal | int], other: Mapping[str, Decimal | int]) -> bool:
    """Whether every counter reaching ``way`` reaches ``other`` (``way`` is at least as strict)."""
    return all(m in way and way[m] >= v for m, v in other.items())


def _keep_shape(instance: Any, attribute: attrs.Attribute[Any], tiers: Any) -> None:
    """Keep ways: above the base only, on the ladder's metrics, never stricter than a way up."""
    owner = "TierLadder"
    if not tiers or not any(t.keep for t in tiers):
        return
    if tiers[0].keep:
        raise ConfigError(
            owner,
            "tiers",
            expected="no keep ways on the base tier (it is never lost)",
            found=f"keep on {tiers[0].name!r}",
        )
    known = {m for t in tiers for m in t.metric_names()}
    combine = instance.combine
    for tier in tiers[1:]:
        ways = tier.ways(combine)
        for k, keep in enumerate(tier.keep):
            way = keep.thresholds()
            unknown = sorted(set(way) - known)
            if unknown:
                raise ConfigError(
                    owner,
                    "tiers",
                    expected=f"keep ways on metrics the tiers qualify on {sorted(known)}",
                    found=f"{unknown} in keep[{k}] of {tier.name!r}",
                )
            stricter = next((w for w in ways if _implies(way, w)), None)
            if stricter is not None and way not in ways:
                raise ConfigError(
                    owner,
                    "tiers",
                    expected="keep ways no stricter than the ways to reach the tier",
                    found=f"keep[{k}] {way} of {tier.name!r}, stricter than {stricter}",
                    hint=(
                        "A member holding the tier keeps it on any way to reach it already; "
                        "a keep way sets lower (retention) thresholds."
                    ),
                )


def _lifetime_tiers(instance: Any, attribute: attrs.Attribute[Any], lifetime: Any) -> None:
    """One entry with thresholds per ladder tier above the base."""
    names = [t.name for t in instance.tiers] if isinstance(instance.tiers, tuple) else []
    seen = set()
    for life in lifetime:
        if life.keep:
            raise ConfigError(
                "TierLadder",
                "lifetime",
                expected="no keep ways on a lifetime tier (it is a floor for good)",
                found=f"keep on {life.name!r}",
            )
        if life.name not in names[1:]:
            raise ConfigError(
                "TierLadder",
                "lifetime",
                expected=f"names of tiers above the base {names[1:]}",
                found=repr(life.name),
            )
        if not life.ways() or life.name in seen:
            raise ConfigError(
                "TierLadder",
                "lifetime",
                expected="one entry with thresholds per tier",
                found=repr(life.name),
            )
        seen.add(life.name)


def _default_unless(default: object, other: str, needed: str) -> Any:
    """A validator: a value other than ``default`` only when field ``other`` is ``needed``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value != default and getattr(instance, other) != needed:
            raise ConfigError(
                "TierLadder",
                attribute.name,
                expected=f"{default!r} unless {other} is {needed!r}",
                found=repr(value),
            )

    return check


def _rollover_window(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``rollover="surplus"`` needs a window with an end: since_change, calendar or member years."""
    if value != "none" and instance.window not in ROLLOVER_WINDOWS:
        raise ConfigError(
            "TierLadder",
            attribute.name,
            expected=f"'none' unless window is one of {list(ROLLOVER_WINDOWS)}",
            found=f"{value!r} with window {instance.window!r}",
            hint="A sliding window has no end for a surplus to roll over from.",
        )


_rollover_surplus = _default_unless("upgrade", "rollover", "surplus")
_rollover_keep = _default_unless("upgrade", "window", "since_change")
_needs_surplus = {
    default: _default_unless(default, "rollover", "surplus") for default in ((), None, False)
}


def _rollover_metrics(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Metric names the ladder's tiers use, each once (empty: every metric rolls over).

    That ``value`` is a list of strings the ``each(instance_of(str, ...))`` before it checks.
    """
    used = (
        {m for t in instance.tiers for m in t.metric_names()}
        if isinstance(instance.tiers, tuple)
        else set()
    )
    unknown = [m for m in value if m not in used]
    if unknown or len(set(value)) != len(value):
        raise ConfigError(
            "TierLadder",
            attribute.name,
            expected=f"distinct metrics the tiers' thresholds use {sorted(used)}",
            found=repr(list(value)),
        )


def _rollover_from(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    names = [t.name for t in instance.tiers] if isinstance(instance.tiers, tuple) else []
    if value is not None and value not in names[1:]:
        raise ConfigError(
            "TierLadder",
            attribute.name,
            expected=f"None or the name of a tier above the base {names[1:]}",
            found=repr(value),
        )


_climb_window = _default_unless("highest", "window", "since_change")
_year_start_window = _default_unless(1, "window", "calendar_year")


def _sliding_only(default: object) -> Any:
    """A validator: a value other than ``default`` only on a sliding window (SLIDING)."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value != default and instance.window not in SLIDING:
            raise ConfigError(
                "TierLadder",
                attribute.name,
                expected=f"{default!r} unless window is one of {list(SLIDING)}",
                found=f"{value!r} with window {instance.window!r}",
                hint=(
                    "Windows with an end give a tier reached in one window the same "
                    "validity whenever it is reached in it (validity_windows)."
                ),
            )

    return check


def _lag_within_validity(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The window an assessment reads ends after the validity it judges begins."""
    if not value:
        return
    limits = {
        "window_months * validity_windows + validity_extra_months": instance.window_months
        * instance.validity_windows
        + instance.validity_extra_months
    }
    if instance.upgrade_validity_months is not None:
        limits["upgrade_validity_months"] = instance.upgrade_validity_months
    name, limit = min(limits.items(), key=lambda item: item[1])
    if value >= limit:
        raise ConfigError(
            "TierLadder",
            attribute.name,
            expected=f"fewer months than every validity ({name} = {limit})",
            found=str(value),
            hint="Air China reads the 12 months that end a month before a 12-month validity ends.",
        )


def _shorter_than_a_window(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    months = instance.window_months if isinstance(instance.window_months, int) else 12
    limit = (
        28 * months if (instance.window in SLIDING or instance.window == "since_change") else 365
    )
    if isinstance(value, int) and value >= limit:
        raise ConfigError(
            "TierLadder",
            "grace_days",
            expected=f"shorter than a window (< {limit} days)",
            found=str(value),
        )


@attrs.frozen(kw_only=True)
class TierLadder(Spec):
    """An ordered ladder of tiers, how members qualify, and how they go down.

    Attributes:
        tiers: Lowest first; the first is the base tier (no thresholds). Every other tier
            uses the same metrics, with thresholds strictly increasing up the ladder (with
            ``combine="all"`` a threshold may stay the same, as Qantas' 4 flights on every
            status, while another rises).
        combine: ``"any"`` (one threshold reached is enough) or ``"all"``.
        window: ``"calendar_year"`` (local Jan 1 to Jan 1), ``"anniversary"`` (member
            years from enrolment), ``"rolling"`` (the last ``window_months`` months,
            counted back from the exact instant), ``"rolling_calendar_months"`` (the
            current calendar month and the ``window_months - 1`` before it, whole months
            from local midnight on the 1st: "连续12个自然月", 12 consecutive calendar months,
            of China Eastern and Air China) or ``"since_change"`` (rule 4: a qualification
            period of ``window_months`` that starts at enrolment and restarts, counters
            reset, whenever the tier changes and at its own end; a tier then holds
            ``validity_windows`` such periods).
        window_months: Length of a rolling window (months).
        year_start_month: With ``window="calendar_year"``, the month the year starts in
            (1-12; default 1, January). American AAdvantage's status qualification year
            "runs from March 1 through the last day of February" is ``year_start_month=3``:
            its end is local midnight on 1 March, so a 29 February counts in a leap year.
            The status shows the window read (``TierStatus.window_start``, ``window_end``).
        validity_windows: A tier reached in window W holds to the end of window
            W + validity_windows (rolling: that many window lengths after the posting;
            rolling calendar months: to the end of the month that many window lengths after
            the posting's month, "through the end of the same month next year" for 12
            months: the first window that no longer holds the posting's month decides).
            A tier kept or landed on at an assessment holds as long from the assessment
            (rolling: from its instant; rolling calendar months: to the end of the month
            that many window lengths after the last month held); so does an upgrade unless
            ``upgrade_validity_months`` is set.
        validity_extra_months: Calendar months the validity runs on past that window end
            (0-11): status earned in year N "kept through 31 March of N + 2" is a calendar
            year with ``validity_windows=1, validity_extra_months=3``; month ends are
            calendar ends, so "through the end of February" includes a 29 February.
        downgrade: ``"reevaluate"``, ``"one_down"`` (soft landing) or ``"to_base"``. A
            tier's keep ways (:attr:`Tier.keep`) keep the tier held at its assessment under
            every policy; where the member lands otherwise is read on the thresholds to
            reach each tier, as without them. ``"to_base"`` is "requalify or start over"
            (Starbucks: "300 new Stars"): what the window held when the drop is decided
            reaches no tier afterwards. A calendar or member year's counters start over at
            its end and a ``since_change`` period at the drop anyway; sliding windows drop
            every posting before the decision, and a fixed window whose validity ends
            within it (``validity_extra_months``) restarts its counters there. With
            ``grace_days`` the grace period then gathers from zero.
        grace_days: Days a due downgrade waits; re-qualifying meanwhile cancels it. The
            grace end lands no lower than the counters then support (12 calendar months:
            at a month's start, the months that ended) and keeps the tier on a keep way.
        lifetime: Lifetime tiers: a ladder tier's name with thresholds on all-time
            counters; once reached, that tier is a floor for good.
        rollover: ``"none"`` (default) or ``"surplus"``. With ``window="since_change"``:
            on an upgrade, what the counters hold above the new tier's thresholds starts
            the new period (capped at ``rollover_cap`` per metric, in points for points).
            With ``"calendar_year"`` or ``"anniversary"``: at the window's end, what its
            counters hold above the thresholds of the tier they reach starts the next
            window, and counts there at once (IHG's rollover nights: 112 nights as
            Diamond, 70, start the next year at 42, enough for Platinum's 40). Sliding
            windows have no end to roll over from: refused.
        rollover_cap: The most a metric rolls over (None: no cap).
        rollover_on: When the surplus rolls over (``rollover="surplus"``): ``"upgrade"``
            (default) only on an upgrade; ``"upgrade_or_keep"`` also when the level is
            kept at the end of the qualification period: the counters are offset by the
            kept tier's thresholds and the rest starts the next period (Flying Blue).
        climb: With ``window="since_change"``: ``"highest"`` (default) upgrades straight
            to the highest tier the counters reach; ``"one_level"`` climbs one level at a
            time, each level's thresholds taken from the counters in turn (the way to it
            the counters reach), the rest counting toward the next level (Flying Blue:
            Explorer to Platinum takes 100 + 180 + 300 XP). What is left at the end starts
            the new period under ``rollover="surplus"`` (capped), else the counters start
            at 0. It shapes the member's fold (:meth:`evaluate`, :meth:`tracker`, the
            ledger); :meth:`qualify`, :meth:`assess` and :func:`assign_tiers` still say
            which tier a table of counters reaches.
        rollover_metrics: The metrics that roll over (empty, the default: every metric of
            the thresholds); IHG: ``["nights"]``, qualifying points never roll over.
        rollover_from: The lowest tier whose surplus rolls over (None: any tier above the
            base); IHG: ``"gold"`` ("not included in Silver Elite").
        rollover_once: What rolled into a window is no part of that window's surplus: only
            what the window earned itself can roll on (IHG: "only those nights that were
            consumed in [the year] ... roll over"); False (the default) measures the surplus
            on all the window's counters (Hilton until 2025, Flying Blue).
        refunds: How a refund counts (rule 8): ``"posted"`` (default) against the window
            it is posted in, never changing the tier; ``"purchase_window"`` against the
            window of the purchase it reverses (nothing, once that window has closed);
            ``"net"`` as ``"purchase_window"``, and the tier follows net purchases: a
            refund that takes the window's counters below the tier reached by an upgrade
            in that window undoes the upgrade (reason ``"refund"``), back to what the
            counters support and never below the tier held before that upgrade; a status
            challenge met by a purchase refunded before the challenge ends is undone the
            same way (:meth:`TierTracker.grant`). Under every policy a refund never
            renews the tier held.
        upgrade_validity_months: Sliding windows only. None (default): an upgrade holds
            what an assessment gives (``validity_windows``, ``validity_extra_months``).
            Else the months a tier reached by its ways up holds, apart from what an
            assessment gives: with ``"rolling_calendar_months"`` the month of the upgrade
            counts as the first (Air China: "自升级当月起24个月有效", an upgrade on
            10 August 2024 holds through 31 July 2026), with ``"rolling"`` the months run
            from the upgrade's instant. A renewal at a posting (``renew="posting"``) is
            such a reaching too; ``validity_extra_months`` is not added.
        assessment_lag_months: Sliding windows only. 0 (default): the assessment at the
            end of a validity reads the window ending there. Else the window that ended
            this many months before: Air China's 保级评定周期 "自当前贵宾有效期截止月的前1个月
            起的前连续12个整月" ("2026年7月到期, ... 2025年7月至2026年6月") is
            ``assessment_lag_months=1`` on 12 rolling calendar months. Where the member is
            left, the upgrade rule then reads the window of the assessment's instant, as
            at a posting: activity of the lag months still reaches a tier above it. Fewer
            months than every validity.
        renew: Sliding windows only. ``"posting"`` (default): a posting that reaches the
            tier held again by its ways up renews it at once (validity from that posting).
            ``"assessment"``: the tier held is renewed only at its assessment, when its
            validity ends (Qatar Airways: "At the end of this tier validity period, Qpoints
            earned in last 12 months ... will be considered"; Air China: "评定时间为贵宾有效期
            到期日"); with ``grace_days``, at the grace period's end. Upgrades to a higher
            tier still happen at the posting.

    Examples:
        >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="silver", spend="2000"),
        ...                            Tier(name="gold", spend="10000")], downgrade="one_down")
        >>> TierLadder.from_dict(ladder.to_dict()) == ladder
        True
        >>> import datetime as dt
        >>> ihg = TierLadder(tiers=[Tier(name="club"), Tier(name="gold", counts={"nights": 20}),
        ...                         Tier(name="diamond", counts={"nights": 70})],
        ...                  rollover="surplus", rollover_metrics=["nights"],
        ...                  rollover_from="gold", rollover_once=True)
        >>> stay = QualifyingPosting(dt.datetime(2024, 5, 1), counts={"nights": 112})
        >>> ihg.evaluate([stay], as_of=dt.date(2025, 1, 1), timezone="UTC").counters.counts
        {'nights': 42}

        Air China PhoenixMiles 银卡 (2026 terms): reached on 25 segments, valid 24 months from
        the upgrade month; kept on 23 segments in the 12 whole months ending a month before
        the expiry month, for 12 months more:

        >>> from zoneinfo import ZoneInfo
        >>> silver = Tier(name="银卡", counts={"segments": 25},
        ...               keep=[Qualification(counts={"segments": 23})])
        >>> air_china = TierLadder(tiers=[Tier(name="普卡"), silver],
        ...     window="rolling_calendar_months", upgrade_validity_months=24,
        ...     assessment_lag_months=1, renew="assessment")
        >>> flights = [QualifyingPosting(dt.datetime(2024, 8, 10), counts={"segments": 25}),
        ...            QualifyingPosting(dt.datetime(2026, 6, 20), counts={"segments": 23})]
        >>> sh = ZoneInfo("Asia/Shanghai")
        >>> air_china.evaluate(flights, as_of=dt.date(2026, 7, 31), timezone=sh).valid_through
        datetime.date(2026, 7, 31)
        >>> air_china.evaluate(flights, as_of=dt.date(2026, 8, 1), timezone=sh).valid_through
        datetime.date(2027, 7, 31)
        >>> TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="10000"),
        ...                   Tier(name="silver", spend="2000")])
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: TierLadder: parameter 'tiers' must be thresholds strictly increasing up the ladder; found spend 2000 for 'silver' after 10000 for 'gold'.
        >>> TierLadder.from_dict({"tiers": [{"name": "member"}, {"name": "gold", "spend": 5.5}]})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: TierLadder.from_dict(): parameter 'tiers[1].spend' must be a decimal written as a string such as '0.01'; found 5.5.
    """

    tiers: tuple[Tier, ...] = field(
        converter=_to_tiers,
        validator=[_tier_items, _ladder_shape, _keep_shape],
        codec=Seq(Nested(Tier)),
    )
    combine: str = field(default="any", validator=one_of(("any", "all")))
    window: str = field(default="calendar_year", validator=one_of(WINDOWS))
    window_months: int = field(default=12, validator=whole(min=1))
    year_start_month: int = field(
        default=1, validator=[whole(min=1, max=12), _year_start_window], omit_default=True
    )
    validity_windows: int = field(default=1, validator=whole(min=1))
    validity_extra_months: int = field(default=0, validator=whole(min=0, max=11), omit_default=True)
    downgrade: str = field(default="reevaluate", validator=one_of(DOWNGRADES))
    grace_days: int = field(default=0, validator=[whole(min=0), _shorter_than_a_window])
    lifetime: tuple[Tier, ...] = field(
        default=(),
        converter=_to_tiers,
        validator=[_tier_items, _lifetime_tiers],
        codec=Seq(Nested(Tier)),
    )
    refunds: str = field(default="posted", validator=one_of(REFUNDS), omit_default=True)
    rollover: str = field(
        default="none", validator=[one_of(ROLLOVERS), _rollover_window], omit_default=True
    )
    rollover_cap: int | None = field(
        default=None, validator=whole(min=0, optional=True), omit_default=True
    )
    rollover_on: str = field(
        default="upgrade",
        validator=[one_of(ROLLOVER_ON), _rollover_surplus, _rollover_keep],
        omit_default=True,
    )
    climb: str = field(
        default="highest", validator=[one_of(CLIMBS), _climb_window], omit_default=True
    )
    rollover_metrics: tuple[str, ...] = field(
        default=(),
        converter=as_tuple,
        validator=[each(instance_of(str, "a metric name")), _rollover_metrics, _needs_surplus[()]],
        codec=Seq(),
        omit_default=True,
    )
    rollover_from: str | None = field(
        default=None,
        validator=[_rollover_from, _needs_surplus[None]],
        codec=Optional(PLAIN),
        omit_default=True,
    )
    rollover_once: bool = field(
        default=False,
        validator=[instance_of(bool, "a bool"), _needs_surplus[False]],
        omit_default=True,
    )
    upgrade_validity_months: int | None = field(
        default=None,
        validator=[whole(min=1, max=120, optional=True), _sliding_only(None)],
        omit_default=True,
    )
    assessment_lag_months: int = field(
        default=0,
        validator=[whole(min=0), _sliding_only(0), _lag_within_validity],
        omit_default=True,
    )
    renew: str = field(
        default="posting",
        validator=[one_of(RENEWALS), _sliding_only("posting")],
        omit_default=True,
    )

    # ------------------------------------------------------------ qualification

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every qualifying metric the tracker keeps.

        Spend, points, orders, then the named counts the tiers and lifetime tiers use (sorted).

        Examples:
            >>> TierLadder(tiers=[Tier(name="a"), Tier(name="b", counts={"nights": 25})]).metrics
            ('spend', 'points', 'orders', 'nights')
        """
        named = {m for t in [*self.tiers, *self.lifetime] for m in t.metric_names()}
        return METRICS + tuple(sorted(named - set(METRICS)))

    @property
    def names(self) -> list[str]:
        """Tier names, lowest first.

        Examples:
            >>> TierLadder(tiers=[Tier(name="a"), Tier(name="b", orders=1)]).names
            ['a', 'b']
        """
        return [t.name for t in self.tiers]

    def rank(self, name: str) -> int:
        """Position of tier ``name`` (0 = base); unknown names are an error.

        Examples:
            >>> TierLadder(tiers=[Tier(name="a"), Tier(name="b", orders=1)]).rank("b")
            1
        """
        try:
            return self.names.index(name)
        except ValueError:
            raise InvalidInputError(
                "TierLadder", "tier", expected=f"one of {self.names}", found=repr(name), kind=""
            ) from None

    def _qualify_index(self, counters: Counters) -> int:
        best = 0
        for i, tier in enumerate(self.tiers[1:], start=1):
            if tier.reached(counters, self.combine):
                best = i
        return best

    def _lifetime_index(self, counters: Counters) -> int:
        best = 0
        for life in self.lifetime:
            if life.reached(counters, self.combine):
                best = max(best, self.rank(life.name))
        return best

    def qualify(
        self,
        spend: Decimal | int | str = 0,
        points: int = 0,
        orders: int = 0,
        *,
        counts: Mapping[str, int] | None = None,
    ) -> str:
        """The highest tier the counters reach (thresholds inclusive).

        Examples:
            >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="10000")])
            >>> ladder.qualify(spend="9999.99"), ladder.qualify(spend="10000")
            ('member', 'gold')
            >>> hotel = TierLadder(tiers=[Tier(name="member"),
            ...                           Tier(name="gold", points=50000, counts={"nights": 25})])
            >>> hotel.qualify(points=12000, counts={"nights": 25})
            'gold'
        """
        counters = QualifyingPosting(
            dt.datetime(2000, 1, 1, tzinfo=dt.UTC), spend, points, orders, dict(counts or {})
        ).counters
        return self.tiers[self._qualify_index(counters)].name

    def assess(self, current: str, counters: Counters) -> str:
        """The tier after an assessment at the end of ``current``'s validity.

        Goes up when the counters reach a higher tier; keeps ``current`` when they
        re-qualify for it or reach one of its :attr:`Tier.keep` ways; otherwise applies
        the ladder's ``downgrade`` policy, on the thresholds to reach each tier (lifetime
        floors are the caller's: see :meth:`evaluate`).

        Examples:
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="s", spend="1000"),
            ...     Tier(name="g", spend="5000"), Tier(name="p", spend="20000")], downgrade="one_down")
            >>> ladder.assess("p", Counters())
            'g'

            Qatar Airways Privilege Club (2013): Gold on 300 Qpoints, renewed on 275:

            >>> qatar = TierLadder(tiers=[Tier(name="burgundy"), Tier(name="silver", points=150,
            ...     keep=[Qualification(points=140)]), Tier(name="gold", points=300,
            ...     keep=[Qualification(points=275)])], window="rolling")
            >>> qatar.assess("gold", Counters(points=280)), qatar.assess("silver", Counters(points=280))
            ('gold', 'silver')
        """
        cur = self.rank(current)
        qualified = self._qualify_index(counters)
        if (
            qualified < cur
            and self.tiers[cur].keep
            and self.tiers[cur].kept(counters, self.combine)
        ):
            return current
        return self.tiers[self._assess_index(cur, qualified)].name

    def _assess_index(self, cur: int, qualified: int) -> int:
        if qualified >= cur:
            return qualified
        if self.downgrade == "reevaluate":
            return qualified
        if self.downgrade == "one_down":
            return max(qualified, cur - 1)
        return 0

    # ------------------------------------------------------------ windows

    def _window(
        self, anchor: dt.datetime, local: dt.datetime, tz: dt.tzinfo
    ) -> tuple[dt.datetime, dt.datetime | None]:
        """The window containing local instant ``local`` (sliding windows: ``(start, None)``).

        ``"rolling"`` holds postings after its start (``local - N months``);
        ``"rolling_calendar_months"`` those at or after it (a month's local midnight).
        """
        if self.window == "calendar_year":
            year, month = self._year_of(local), self.year_start_month
            return midnight(dt.date(year, month, 1), tz), midnight(dt.date(year + 1, month, 1), tz)
        if self.window == "since_change":
            # The period starting at ``local`` (the tracker restarts it itself).
            return local, _months_later(local, self.window_months)
        if self.window == "rolling_calendar_months":
            # 连续N个自然月: this calendar month and the N - 1 before, from the 1st.
            first = add_months(dt.date(local.year, local.month, 1), 1 - self.window_months)
            return midnight(first, tz), None
        if self.window == "anniversary":
            first = anchor.astimezone(tz).date()
            years = local.year - first.year
            start = add_months(first, 12 * years)
            if midnight(start, tz) > local:
                years -= 1
                start = add_months(first, 12 * years)
            return midnight(start, tz), midnight(add_months(first, 12 * (years + 1)), tz)
        return _months_later(local, -self.window_months), None

    def _year_of(self, local: dt.datetime | dt.date) -> int:
        """The qualification year holding local time ``local``: the year it starts in.

        A calendar year from 1 March (``year_start_month=3``) holds 10 February 2026 in the
        year that started on 1 March 2025, numbered 2025.
        """
        return local.year if local.month >= self.year_start_month else local.year - 1

    def _checks(self, point_scale: int = 1) -> list[list[tuple[int, Decimal | int]]]:
        """Per tier, the ``(metric position, threshold)`` pairs, for the fast fold.

        ``point_scale`` turns a threshold in points into ledger units (``10**point_decimals``).
        """
        metrics = self.metrics
        return [_scaled_checks(tier, point_scale, metrics) for tier in self.tiers]

    def _ways(self, point_scale: int = 1) -> list[list[list[tuple[int, Decimal | int]]]]:
        """Per tier, its ways (:meth:`Tier.ways`) as ``(metric position, threshold)`` lists."""
        return [_scaled_ways(tier, self.combine, point_scale, self.metrics) for tier in self.tiers]

    @property
    def has_alternatives(self) -> bool:
        """Whether a tier (or lifetime tier) of the ladder has ``alternatives``.

        Examples:
            >>> TierLadder(tiers=[Tier(name="a"), Tier(name="b", orders=1)]).has_alternatives
            False
        """
        return any(t.alternatives for t in [*self.tiers, *self.lifetime])

    def tracker(
        self, start: dt.datetime, *, timezone: str | dt.tzinfo, point_decimals: int = 0
    ) -> TierTracker:
        """A mutable, incremental fold of one member's tier, starting at ``start`` (enrolment).

        Feed it postings in time order with :meth:`TierTracker.post`, move it forward with
        :meth:`TierTracker.advance`, read it with :meth:`TierTracker.status`.
        :meth:`evaluate` is exactly this fold over sorted postings. With
        ``point_decimals=d`` the postings count points in ledger units of ``10**-d`` points
        (as a :class:`~crmkit.loyalty.Program` with decimal points does), while the tiers'
        ``points`` thresholds stay in points; ``missing`` is then in ledger units too.

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="vip", spend="10000")])
            >>> t = ladder.tracker(dt.datetime(2025, 1, 1), timezone="Asia/Shanghai")
            >>> t.post(QualifyingPosting(dt.datetime(2025, 3, 8), spend="6000", orders=1))
            >>> t.post(QualifyingPosting(dt.datetime(2025, 4, 2), spend="4000", orders=1))
            >>> st = t.status()
            >>> st.tier, st.since.date(), st.valid_until.date()
            ('vip', datetime.date(2025, 4, 2), datetime.date(2027, 1, 1))
        """
        from crmkit.loyalty._tracker import TierTracker  # it imports this module

        return TierTracker(self, start, timezone=timezone, point_decimals=point_decimals)

    def evaluate(
        self,
        postings: Iterable[QualifyingPosting],
        *,
        as_of: dt.datetime | dt.date | str,
        timezone: str | dt.tzinfo,
        enrolled_at: dt.datetime | None = None,
    ) -> TierStatus:
        """Replay qualifying postings up to ``as_of`` and return the member's tier status.

        Postings are sorted by time (stable for equal times); postings after ``as_of`` are
        ignored (a date as ``as_of`` means the end of that day). The member starts at ``enrolled_at`` (default: the first posting, or
        ``as_of`` when there is none); anniversary windows need ``enrolled_at``.

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="silver", spend="2000"),
            ...                            Tier(name="gold", spend="10000")], downgrade="one_down")
            >>> posts = [QualifyingPosting(dt.datetime(2024, 6, 1), spend="12000", orders=1)]
            >>> ladder.evaluate(posts, as_of=dt.datetime(2025, 12, 31), timezone="UTC").tier
            'gold'
            >>> ladder.evaluate(posts, as_of=dt.datetime(2026, 1, 1), timezone="UTC").tier
            'silver'
            >>> ladder.evaluate(posts, as_of=dt.datetime(2027, 1, 1), timezone="UTC").tier
            'member'
        """
        owner = "TierLadder.evaluate()"
        tzinfo = zone(timezone, owner)
        items = list(postings)
        for item in items:
            if not isinstance(item, QualifyingPosting):
                raise InvalidInputError(
                    owner,
                    "postings",
                    expected="QualifyingPosting items",
                    found=type(item).__name__,
                    kind="",
                )
        end = as_of_time(as_of, tzinfo, owner)
        # In instant order (two local times in the hour the clocks go back compare by the
        # clock otherwise: 02:50 CEST before 02:10 CET), stable for equal instants.
        keyed = sorted(
            ((_event_time(p.time, tzinfo, owner, "postings"), i, p) for i, p in enumerate(items)),
            key=lambda x: (x[0].astimezone(dt.UTC), x[1]),
        )
        if self.window == "anniversary" and enrolled_at is None:
            raise InvalidInputError(
                owner,
                "enrolled_at",
                expected="given for anniversary windows",
                found="None",
                kind="",
            )
        if enrolled_at is not None:
            first = _event_time(enrolled_at, tzinfo, owner, "enrolled_at")
        else:
            first = keyed[0][0] if keyed else end
        if keyed and keyed[0][0] < first:
            raise InvalidInputError(
                owner,
                "postings",
                expected="no posting before enrolled_at",
                found=f"a posting at {keyed[0][0].isoformat()}",
                kind="",
            )
        tracker = self.tracker(min(first, end), timezone=tzinfo)
        end_utc = end.astimezone(dt.UTC)
        for when, _, posting in keyed:
            if when.astimezone(dt.UTC) > end_utc:
                break
            tracker.post(posting)
        return tracker.status(end)


def _scaled_checks(
    tier: Tier, point_scale: int, metrics: tuple[str, ...]
) -> list[tuple[int, Decimal | int]]:
    """``(metric position, threshold)`` pairs, a points threshold in ledger units.

    The tier's own thresholds; with alternatives, per metric the lowest threshold any way
    sets (what a rollover's surplus is measured from).
    """
    lowest: dict[str, Decimal | int] = dict(tier.thresholds())
    for way in tier.alternatives:
        for m, v in way.thresholds().items():
            lowest[m] = min(lowest[m], v) if m in lowest else v
    return [(metrics.index(m), v * point_scale if m == "points" else v) for m, v in lowest.items()]


def _scaled_ways(
    tier: Tier, combine: str, point_scale: int, metrics: tuple[str, ...]
) -> list[list[tuple[int, Decimal | int]]]:
    """The tier's ways as ``(metric position, threshold)`` lists, points in ledger units."""
    return [
        [(metrics.index(m), v * point_scale if m == "points" else v) for m, v in way.items()]
        for way in tier.ways(combine)
    ]


def _months_later(t: dt.datetime, months: int) -> dt.datetime:
    """The instant ``months`` calendar months after ``t`` (month ends clamp)."""
    day = add_months(t.date(), months)
    return t.replace(year=day.year, month=day.month, day=day.day)


#: The reasons of tier changes the fold itself gives (a grant's reason code is none of them).
CHANGE_REASONS = ("start", "upgrade", "downgrade", "lifetime", "refund", "grant_end")


#: Years inside loyalty's range in any zone (a local year differs from UTC's by a day at most).
_INSIDE_YEARS = range(EARLIEST.year + 1, LATEST.year - 1)


def _event_time(value: object, tz: dt.tzinfo, owner: str, field: str) -> dt.datetime:
    """An event time given to a public entry point, read in ``tz`` (naive: local to it).

    Event times are data: one outside the years loyalty computes with (1000 up to, not
    including, 9000: windows and validity are computed years ahead) is an
    :class:`~crmkit.errors.InvalidInputError` naming ``field``, checked before the value is
    read in ``tz`` (which can leave Python's calendar). The fold's own paths (a replay's
    ``_post_many`` and ``_fold_post``) take instants ``Program.replay`` checked already.
    """
    if (
        value is not pd.NaT
        and isinstance(value, dt.datetime)
        and value.year not in _INSIDE_YEARS  # whatever the zone: a posting's cost is this test
    ):
        aware = value if value.utcoffset() is not None else value.replace(tzinfo=tz)
        check_range(aware, owner, field)
    return local_time(value, tz, owner, field)


# --------------------------------------------------------------------------- batch


def assign_tiers(
    qualifying: pd.DataFrame,
    ladder: TierLadder,
    *,
    member: str = "member_id",
    spend: str = "spend",
    points: str = "points",
    orders: str = "orders",
    current: str | None = None,
) -> pd.DataFrame:
    """Assign every member the tier their qualifying counters reach, vectorised.

    With ``current`` (a column of current tier names) the ladder's downgrade policy is
    applied as at an assessment: members keep their tier when they re-qualify or reach
    one of its keep ways (:attr:`Tier.keep`), go up when they exceed it, and otherwise
    drop by ``reevaluate`` / ``one_down`` / ``to_base`` (as :meth:`TierLadder.assess`).

    Args:
        qualifying: One row per member with the counters of the window.
        ladder: The tier ladder.
        member: Member id column (the result's index).
        spend: Spend column (Decimal objects, ints or decimal strings; floats are
            rejected). Only read when the ladder uses spend; likewise for the others.
        points: Points column (integers).
        orders: Orders column (integers). A named count a tier uses (``nights``, ...) is
            read, as integers, from the column of the same name.
        current: Optional column of current tier names.

    Returns:
        A DataFrame indexed by member: ``tier`` and ``next_tier`` (ordered Categoricals in
        ladder order) and ``missing_<metric>`` for each metric the ladder uses (what is
        missing for the next tier; 0 at the top; for a next tier with ``alternatives``, what
        its nearest way lacks, as :attr:`TierStatus.missing`): int64 for integer columns
        (and whole thresholds), Decimal objects otherwise. Lifetime floors are not applied here (they
        need all-time counters): assess those members with :meth:`TierLadder.evaluate`.

    Examples:
        >>> import pandas as pd
        >>> from decimal import Decimal
        >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="silver", spend="2000"),
        ...                            Tier(name="gold", spend="10000")])
        >>> frame = pd.DataFrame({"member_id": ["a", "b", "c"],
        ...                       "spend": [Decimal("150"), Decimal("2000"), Decimal("25000")]})
        >>> assign_tiers(frame, ladder)[["tier", "missing_spend"]]
                     tier missing_spend
        member_id
        a          member          1850
        b          silver          8000
        c            gold             0
    """
    owner = "assign_tiers()"
    frame = require_frame(qualifying, owner, "qualifying")
    if not isinstance(ladder, TierLadder):  # walksvc: was an AttributeError on None
        raise ConfigError(owner, "ladder", expected="a TierLadder", found=type(ladder).__name__)
    metrics = ladder.metrics
    used = sorted({m for t in ladder.tiers for m in t.metric_names()}, key=metrics.index)
    # A named count (nights, stays, ...) is read from the column of the same name.
    columns = {m: m for m in metrics[3:]} | {"spend": spend, "points": points, "orders": orders}
    need = [member] + [columns[m] for m in used] + ([current] if current else [])
    require_columns(frame, need, owner)
    require_no_missing(frame, member, owner)
    check_unique(frame, member, owner)
    values: dict[str, np.ndarray[Any, Any]] = {}
    for metric in used:
        col = columns[metric]
        require_no_missing(frame, col, owner)
        values[metric] = _exact_column(frame, col, metric, owner)
    n = len(frame)

    def threshold(metric: str, value: Decimal | int) -> Decimal | int:
        # Whole-number columns compare exactly against the threshold rounded up.
        if metric != "spend" or values[metric].dtype != object:
            return int(Decimal(value).to_integral_value(rounding=decimal.ROUND_CEILING))
        return Decimal(value)

    reached = np.zeros((len(ladder.tiers), n), dtype=bool)
    reached[0] = True
    for i, tier in enumerate(ladder.tiers[1:], start=1):
        # An OR over the tier's ways of an AND over each way's thresholds.
        reached[i] = np.logical_or.reduce(
            [
                np.logical_and.reduce([values[m] >= threshold(m, v) for m, v in way.items()])
                for way in tier.ways(ladder.combine)
            ]
        )
    # Highest reached tier: last True along axis 0.
    qualified = len(ladder.tiers) - 1 - np.argmax(reached[::-1], axis=0)
    result_index = qualified
    if current is not None:
        require_no_missing(frame, current, owner)
        names = ladder.names
        cur = pd.Index(names).get_indexer(pd.Index(frame[current].astype(object))).astype(np.int64)
        unknown = cur < 0
        if unknown.any():
            raise InvalidInputError(
                owner,
                current,
                expected=f"tier names in {names}",
                found=f"{int(unknown.sum())} unknown names",
                rows=first_labels(frame.index, unknown),
                total=int(unknown.sum()),
            )
        if ladder.downgrade == "reevaluate":
            dropped = qualified
        elif ladder.downgrade == "one_down":
            dropped = np.maximum(qualified, cur - 1)
        else:
            dropped = np.zeros(n, dtype=np.int64)
        for i, tier in enumerate(ladder.tiers[1:], start=1):
            rows = cur == i
            if tier.keep and rows.any():  # a keep way reached keeps the tier held
                kept = np.logical_or.reduce(
                    [
                        np.logical_and.reduce(
                            [values[m] >= threshold(m, v) for m, v in way.thresholds().items()]
                        )
                        for way in tier.keep
                    ]
                )
                dropped = np.where(rows & kept, i, dropped)
        result_index = np.where(qualified >= cur, qualified, dropped)
    dtype = pd.CategoricalDtype(ladder.names, ordered=True)
    index = pd.Index(frame[member].to_numpy(), name=member)
    out = pd.DataFrame(index=index)
    out["tier"] = pd.Categorical.from_codes(result_index.astype(np.int64), dtype=dtype)
    top = len(ladder.tiers) - 1
    nxt = np.where(result_index < top, result_index + 1, -1)
    out["next_tier"] = pd.Categorical.from_codes(nxt.astype(np.int64), dtype=dtype)
    if ladder.has_alternatives:
        for metric, column in _missing_by_nearest_way(ladder, values, nxt, used).items():
            out[f"missing_{metric}"] = column
        return out
    for metric in used:
        raw = [t.thresholds().get(metric, 0) for t in ladder.tiers] + [0]
        have = values[metric]
        whole = all(Decimal(v) == Decimal(v).to_integral_value() for v in raw)
        if have.dtype != object and whole:
            table = np.array([int(v) for v in raw], dtype=np.int64)
            gap = table[nxt] - have  # index -1 picks the trailing 0 (top tier)
            out[f"missing_{metric}"] = np.maximum(gap, 0)
        else:
            table = np.array([Decimal(v) for v in raw], dtype=object)
            gap = table[nxt] - have.astype(object)
            zero = np.full(n, Decimal(0), dtype=object)
            out[f"missing_{metric}"] = np.where(gap > zero, gap, zero)
    return out


def _missing_by_nearest_way(
    ladder: TierLadder,
    values: dict[str, np.ndarray[Any, Any]],
    nxt: np.ndarray[Any, Any],
    used: list[str],
) -> dict[str, np.ndarray[Any, Any]]:
    """``missing_<metric>`` columns when tiers have alternatives (as :class:`TierStatus`).

    For the rows whose next tier has alternatives: what the nearest way lacks (the way with
    the smallest sum of ``gap / threshold``, ties to the first); for the others: every own
    threshold not reached. Integer columns stay int64 when every threshold is whole.
    """
    n = len(nxt)
    thresholds = [v for t in ladder.tiers for way in t.ways(ladder.combine) for v in way.values()]
    exact = {
        m: values[m].dtype != object
        and all(Decimal(v) == Decimal(v).to_integral_value() for v in thresholds)
        for m in used
    }
    out: dict[str, np.ndarray[Any, Any]] = {
        m: np.zeros(n, dtype=np.int64) if exact[m] else np.full(n, Decimal(0), dtype=object)
        for m in used
    }

    def gap(metric: str, value: Decimal | int, rows: np.ndarray[Any, Any]) -> Any:
        have = values[metric][rows]
        if exact[metric]:
            return np.maximum(int(value) - have, 0)
        diff = np.array([Decimal(value)], dtype=object) - have.astype(object)
        zero = np.full(len(diff), Decimal(0), dtype=object)
        return np.where(diff > zero, diff, zero)

    for i, tier in enumerate(ladder.tiers[1:], start=1):
        rows = nxt == i
        if not rows.any():
            continue
        if not tier.alternatives:
            for metric, value in tier.thresholds().items():
                out[metric][rows] = gap(metric, value, rows)
            continue
        ways = tier.ways(ladder.combine)
        gaps = [{m: gap(m, v, rows) for m, v in way.items()} for way in ways]
        best = np.zeros(int(rows.sum()), dtype=np.int64)
        best_share: Any = None
        for k, (way, lacks) in enumerate(zip(ways, gaps, strict=True)):
            share: Any = np.full(len(best), Decimal(0), dtype=object)
            for metric, value in way.items():
                if value:
                    share = share + lacks[metric].astype(object) / Decimal(value)
            if best_share is None:
                best_share = share
                continue
            better = (share < best_share).astype(bool)
            best = np.where(better, k, best)
            best_share = np.where(better, share, best_share)
        for k, lacks in enumerate(gaps):
            pick = best == k
            if not pick.any():
                continue
            where = np.flatnonzero(rows)[pick]
            for metric, column in lacks.items():
                out[metric][where] = column[pick]
    return out


def _exact_column(
    frame: pd.DataFrame, column: str, metric: str, owner: str
) -> np.ndarray[Any, Any]:
    """The column as an object array of Decimal (spend) or an int64 array; no floats."""
    series = frame[column]
    if metric != "spend":
        if not pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            raise InvalidInputError(
                owner,
                column,
                expected="integers",
                found=f"dtype {series.dtype}",
            )
        counts = series.to_numpy(dtype=np.int64)
        negative = counts < 0
        if negative.any():
            raise InvalidInputError(
                owner,
                column,
                expected=f"{metric} counts of at least 0",
                found=f"{int(negative.sum())} negative values",
                rows=first_labels(frame.index, negative),
                total=int(negative.sum()),
            )
        return counts
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.int64)
    # Decimal objects stay as they are; ints and decimal strings are converted; anything
    # else (floats above all) is reported. Pandas maps, no row loop of ours.
    raw = series.astype(object)
    kinds = raw.map(type)
    is_decimal = kinds.isin([Decimal]).to_numpy()
    convert = kinds.isin([int, str]).to_numpy()
    values = raw.where(~convert, raw[convert].map(_to_decimal_or_none)) if convert.any() else raw
    out = values.to_numpy(dtype=object)
    ok = is_decimal | convert
    ok[ok] = values[ok].map(_finite_decimal).to_numpy(dtype=bool)
    bad = ~ok
    if bad.any():
        raise InvalidInputError(
            owner,
            column,
            expected="Decimal values, ints or decimal strings (never floats)",
            found=f"{int(bad.sum())} other values",
            rows=first_labels(frame.index, bad),
            total=int(bad.sum()),
        )
    return out


def _to_decimal_or_none(value: int | str) -> Decimal | None:
    read = to_decimal(value)  # the one reader of decimal text
    return read if isinstance(read, Decimal) else None


def _finite_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()
