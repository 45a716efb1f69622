"""Segment maps: named RFM segments as data, checked for overlaps, gaps and dead rules.

A :class:`SegmentMap` lists segments in business order. Each segment holds one or more
:class:`SegmentRule` objects; a rule matches a set of RFM codes either by score ranges
(``r``, ``f``, ``m``, inclusive; a missing dimension matches any score) or by an explicit
list of codes (``"545"``), optionally with day guards. The map compiles once into a
lookup table over the whole score space (``bins ** 3`` codes, times the day classes its
guards use), so labelling a million customers is one array lookup.

Built-in catalogues (each names its source):

- :meth:`SegmentMap.default` (``crmkit-11``): the 11 marketer segments with rules that keep
  the promise of each name, day guards included.
- :meth:`SegmentMap.marketer11` (``marketer-11``): the published 125-code lookup table
  found in many public RFM notebooks and SQL scripts, kept by name with its limits.
- :meth:`SegmentMap.rf_grid`: the 10-segment R x F grid.
- :meth:`SegmentMap.three_layer`: the three layers of the CRM handbooks (high-value loyal,
  potential growth, sleeping), each with its playbook.

Scores are relative to the data, so the default and three-layer maps also guard the
labels that speak of time with absolute day guards (``last_within``, ``first_within``,
...: see :class:`SegmentRule`): "recent" is a last purchase fewer than 180 days ago, "new"
a first purchase fewer than 90 days ago, "lapsed" a last purchase 365 days ago or more.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit import _spec
from crmkit._jsonable import ResultDict
from crmkit.errors import ConfigError, InvalidInputError

__all__ = ["Segment", "SegmentMap", "SegmentMapReport", "SegmentRule"]

_DIMS = ("r", "f", "m")
_ALL_DIMS = ("r", "f", "m", "t")
_MAX_BINS = 9


def _as_range(value: Any, owner: str, field: str) -> tuple[int, int] | None:
    """Read a range as ``[lo, hi]``, a single int, or None (any score)."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        lo, hi = int(value[0]), int(value[1])
        if lo > hi:
            raise ConfigError(
                owner, field, expected="a range [lo, hi] with lo <= hi", found=f"[{lo}, {hi}]"
            )
        return (lo, hi)
    raise ConfigError(
        owner, field, expected="an int score or a [lo, hi] pair of ints", found=repr(value)
    )


def _r_range(value: Any) -> tuple[int, int] | None:
    return _as_range(value, "SegmentRule", "r")


def _f_range(value: Any) -> tuple[int, int] | None:
    return _as_range(value, "SegmentRule", "f")


def _m_range(value: Any) -> tuple[int, int] | None:
    return _as_range(value, "SegmentRule", "m")


def _t_range(value: Any) -> tuple[int, int] | None:
    return _as_range(value, "SegmentRule", "t")


def _rules_converter(value: Any) -> Any:
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        return value  # the validator names it
    return tuple(value)


def _rules_ok(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(r, SegmentRule) for r in value):
        raise ConfigError(
            type(instance).__name__,
            attribute.name,
            expected="a list of rules (SegmentRule)",
            found=repr(value),
        )


def _range_ok(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (value[0] < 1 or value[1] > _MAX_BINS):
        raise ConfigError(
            "SegmentRule", attribute.name, expected="scores within 1-9", found=f"{list(value)}"
        )


def _codes_alone(instance: SegmentRule, attribute: attrs.Attribute[Any], value: Any) -> None:
    # Codes fix R, F and M; day guards may still narrow them ("555, last under 180 days ago").
    if value and any(getattr(instance, d) is not None for d in _ALL_DIMS):
        raise ConfigError(
            "SegmentRule",
            "codes",
            expected="given alone (a rule is either ranges or codes)",
            found="codes together with ranges",
        )


#: The day guards of a rule: (field, summary value it reads, True for "within", False for "over").
_GUARDS = (
    ("last_within", "recency", True),
    ("last_over", "recency", False),
    ("first_within", "tenure", True),
    ("first_over", "tenure", False),
)


def _guard_ok(instance: SegmentRule, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A day guard is a whole number of days; "over N" with "within M" needs N < M."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(
            "SegmentRule", attribute.name, expected="a whole number of days >= 0", found=repr(value)
        )
    pairs = {"last_over": "last_within", "first_over": "first_within"}
    other = pairs.get(attribute.name)
    within = getattr(instance, other) if other else None
    if within is not None and value >= within:
        raise ConfigError(
            "SegmentRule",
            attribute.name,
            expected=f"less than {other} ({within}), or the rule can never match",
            found=repr(value),
        )


def _listed(value: Any) -> Any:
    return None if value is None else list(value)


def _as_is(data: Any) -> Any:
    return data


#: A range is written ``[lo, hi]``; reading also takes one int (the converter checks it).
_RANGE = _spec.metadata(
    codec=_spec.Custom(_listed, _as_is, "an int score or a [lo, hi] pair of ints"),
    omit_default=True,
)
_CODES = _spec.metadata(
    codec=_spec.Custom(_listed, _as_is, "a list of codes such as ['555', '554']"),
    omit_default=True,
)


def _codes_converter(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(
            "SegmentRule",
            "codes",
            expected="a list of codes such as ['555', '554']",
            found=repr(value),
        )
    codes = tuple(str(c) for c in value)
    for code in codes:
        if len(code) != 3 or not code.isdigit() or "0" in code:
            raise ConfigError(
                "SegmentRule",
                "codes",
                expected="three-digit codes of scores 1-9 such as '545'",
                found=repr(code),
            )
    return codes


@attrs.frozen
class SegmentRule(_spec.Spec):
    """One rule of a segment: score ranges per dimension, or an explicit list of codes.

    Ranges are inclusive ``(lo, hi)`` pairs; ``None`` matches any score. A rule with
    ``codes`` matches exactly those codes and must not also give ranges.

    The tenure score ``t`` is the customer's tenure (days since the first purchase)
    scored on the recency scale: ``t = 5`` means the first purchase falls in the window of
    ``r = 5``. Tenure is never shorter than recency, so ``t <= r`` always; "first purchase
    within the recency window" is ``t`` in the top scores.

    Scores are relative (quintiles of the data), so a rule can also carry absolute **day
    guards**, in days as of the analysis date: ``last_within=180`` (last purchase less
    than 180 days ago: ``recency_days < 180``), ``last_over=180`` (180 days ago or more:
    ``recency_days >= 180``), ``first_within=90`` (``tenure_days < 90``) and
    ``first_over=90`` (``tenure_days >= 90``). Every condition of a rule must hold. A
    threshold of N days is reached on day N, as in
    :class:`~crmkit.segmentation.LifecyclePolicy` (dormant from ``recency_days >= 180``),
    so a guard at a lifecycle threshold splits customers exactly where the stages do.

    Attributes:
        r: Recency score range (5 = most recent on the default 5-bin scale).
        f: Frequency score range.
        m: Monetary score range.
        codes: Explicit RFM codes such as ``"545"`` (R, F, M digits).
        t: Tenure score range (see above).
        last_within: The last purchase was fewer than this many days ago.
        last_over: The last purchase was this many days ago or more.
        first_within: The first purchase was fewer than this many days ago.
        first_over: The first purchase was this many days ago or more.

    Examples:
        >>> rule = SegmentRule(r=(4, 5), f=(4, 5))
        >>> rule.matches(5, 4, 1), rule.matches(3, 5, 5)
        (True, False)
        >>> SegmentRule(codes=("555", "554")).matches(5, 5, 4)
        True
        >>> SegmentRule.from_dict({"r": 5, "f": [1, 2]}).to_dict()
        {'schema_version': 1, 'r': [5, 5], 'f': [1, 2]}
        >>> SegmentRule(codes=("511",)).to_dict()
        {'schema_version': 1, 'codes': ['511']}
        >>> recent = SegmentRule(r=(4, 5), last_within=180)
        >>> recent.matches(5, 1, 1, recency_days=30), recent.matches(5, 1, 1, recency_days=300)
        (True, False)
        >>> print(recent)
        R 4-5, last purchase under 180 days ago
        >>> asleep = SegmentRule(f=1, last_over=180, last_within=365)  # days on both sides
        >>> print(asleep)
        F = 1, last purchase 180 to under 365 days ago
        >>> [asleep.matches(3, 1, 1, recency_days=d) for d in (179, 180, 364, 365)]
        [False, True, True, False]
        >>> SegmentRule(r=(0, 3))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: SegmentRule: parameter 'r' must be scores within 1-9; found [0, 3].
    """

    r: tuple[int, int] | None = attrs.field(
        default=None, converter=_r_range, validator=_range_ok, metadata=_RANGE
    )
    f: tuple[int, int] | None = attrs.field(
        default=None, converter=_f_range, validator=_range_ok, metadata=_RANGE
    )
    m: tuple[int, int] | None = attrs.field(
        default=None, converter=_m_range, validator=_range_ok, metadata=_RANGE
    )
    codes: tuple[str, ...] = attrs.field(
        default=(), converter=_codes_converter, validator=_codes_alone, metadata=_CODES
    )
    t: tuple[int, int] | None = attrs.field(
        default=None, converter=_t_range, validator=_range_ok, metadata=_RANGE
    )
    last_within: int | None = _spec.field(default=None, validator=_guard_ok, omit_default=True)
    last_over: int | None = _spec.field(default=None, validator=_guard_ok, omit_default=True)
    first_within: int | None = _spec.field(default=None, validator=_guard_ok, omit_default=True)
    first_over: int | None = _spec.field(default=None, validator=_guard_ok, omit_default=True)

    def matches(
        self,
        r: float,
        f: float,
        m: float,
        t: float | None = None,
        *,
        recency_days: float | None = None,
        tenure_days: float | None = None,
    ) -> bool:
        """Return whether one customer's scores and days satisfy this rule.

        Scores may be fractional (a median): a range holds them when ``lo <= x <= hi``. A
        rule on tenure never matches when ``t`` is None; a day guard never matches when
        the days it reads (``recency_days``, ``tenure_days``) are None.

        Examples:
            >>> SegmentRule(r=(1, 2)).matches(2, 5, 5)
            True
            >>> SegmentRule(t=(4, 5)).matches(5, 1, 1, t=4), SegmentRule(t=(4, 5)).matches(5, 1, 1)
            (True, False)
            >>> SegmentRule(first_within=90).matches(5, 1, 1, tenure_days=89.5)
            True
            >>> SegmentRule(first_within=90).matches(5, 1, 1, tenure_days=90)
            False
        """
        held = self.holds(
            np.array([r], dtype=np.float64),
            np.array([f], dtype=np.float64),
            np.array([m], dtype=np.float64),
            None if t is None else np.array([t], dtype=np.float64),
            recency_days=None if recency_days is None else np.array([recency_days], np.float64),
            tenure_days=None if tenure_days is None else np.array([tenure_days], np.float64),
        )
        return bool(held[0])

    def holds(
        self,
        r: np.ndarray[Any, Any],
        f: np.ndarray[Any, Any],
        m: np.ndarray[Any, Any],
        t: np.ndarray[Any, Any] | None = None,
        *,
        recency_days: np.ndarray[Any, Any] | None = None,
        tenure_days: np.ndarray[Any, Any] | None = None,
    ) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Vectorised :meth:`matches`: which customers (array positions) satisfy the rule.

        Examples:
            >>> import numpy as np
            >>> rule = SegmentRule(f=(2, 5), last_over=180)
            >>> rule.holds(np.array([1, 1]), np.array([3, 3]), np.array([1, 1]),
            ...            recency_days=np.array([200, 100])).tolist()
            [True, False]
        """
        r_ = np.asarray(r, dtype=np.float64)
        ok = np.ones(r_.shape, dtype=bool)
        if self.codes:
            digits = {tuple(int(c) for c in code) for code in self.codes}
            f_, m_ = np.asarray(f, dtype=np.float64), np.asarray(m, dtype=np.float64)
            ok = np.zeros(r_.shape, dtype=bool)
            for cr, cf, cm in digits:
                ok |= (r_ == cr) & (f_ == cf) & (m_ == cm)
        for dim, score in zip(_ALL_DIMS, (r, f, m, t), strict=True):
            rng = getattr(self, dim)
            if rng is None:
                continue
            if score is None:
                return np.zeros(r_.shape, dtype=bool)
            x = np.asarray(score, dtype=np.float64)
            ok &= (x >= rng[0]) & (x <= rng[1])
        days = {"recency": recency_days, "tenure": tenure_days}
        for name, reads, within in _GUARDS:
            limit = getattr(self, name)
            if limit is None:
                continue
            if days[reads] is None:
                return np.zeros(r_.shape, dtype=bool)
            x = np.asarray(days[reads], dtype=np.float64)
            ok &= (x < limit) if within else (x >= limit)
        return ok

    @property
    def uses_days(self) -> bool:
        """Whether the rule has a day guard.

        Examples:
            >>> SegmentRule(last_within=180).uses_days, SegmentRule(r=5).uses_days
            (True, False)
        """
        return any(getattr(self, name) is not None for name, _, _ in _GUARDS)

    @property
    def uses_tenure(self) -> bool:
        """Whether the rule has a tenure range.

        Examples:
            >>> SegmentRule(t=5).uses_tenure
            True
        """
        return self.t is not None

    def __str__(self) -> str:
        parts = ["codes " + " ".join(self.codes)] if self.codes else []
        for dim in _ALL_DIMS:
            rng = getattr(self, dim)
            if rng is not None:
                name = dim.upper()
                parts.append(
                    f"{name} = {rng[0]}" if rng[0] == rng[1] else f"{name} {rng[0]}-{rng[1]}"
                )
        words = {
            "last_within": "last purchase under {} days ago",
            "last_over": "last purchase {}+ days ago",
            "first_within": "first purchase under {} days ago",
            "first_over": "first purchase {}+ days ago",
        }
        for name, _, _ in _GUARDS:
            limit = getattr(self, name)
            if limit is None:
                continue
            word, _, kind = name.partition("_")
            within = getattr(self, f"{word}_within")
            if kind == "over" and within is not None:  # both: "180 to under 365 days ago"
                parts.append(f"{word} purchase {limit} to under {within} days ago")
            elif kind == "over" or getattr(self, f"{word}_over") is None:
                parts.append(words[name].format(limit))
        return ", ".join(parts) or "any scores"


_RULES = _spec.metadata(codec=_spec.Seq(_spec.Nested(SegmentRule)))


@attrs.frozen
class Segment(_spec.Spec):
    """One named segment of a :class:`SegmentMap`: its rules and its playbook.

    A code belongs to the segment when any of its rules matches. The ``promise`` is what
    the label claims about its customers, as data (any of its rules must hold for every
    customer of the segment): :meth:`SegmentMap.validate` checks it against the rules,
    and :func:`~crmkit.segmentation.segment_summary` against the segment's medians.

    Attributes:
        name: The label customers get.
        rules: The rules; at least one.
        description: What the segment is and what to do with it (the playbook).
        promise: What the label promises, as rules (empty: no promise stated).

    Examples:
        >>> seg = Segment("Recent", (SegmentRule(r=(4, 5)),), "Bought lately.")
        >>> seg.to_dict()
        {'schema_version': 1, 'name': 'Recent', 'rules': [{'r': [4, 5]}], 'description': 'Bought lately.'}
        >>> Segment("All", (SegmentRule(),)).to_dict()
        {'schema_version': 1, 'name': 'All', 'rules': [{}]}
    """

    name: str = attrs.field(
        validator=_spec.instance_of(str, "a non-empty name"), metadata=_spec.metadata()
    )
    rules: tuple[SegmentRule, ...] = attrs.field(
        converter=_rules_converter, validator=_rules_ok, metadata=_RULES
    )
    description: str = _spec.field(
        default="", validator=_spec.instance_of(str, "a string"), omit_default=True
    )
    promise: tuple[SegmentRule, ...] = attrs.field(
        default=(),
        converter=_rules_converter,
        validator=_rules_ok,
        metadata=_spec.metadata(codec=_spec.Seq(_spec.Nested(SegmentRule)), omit_default=True),
    )

    def keeps_promise(
        self,
        r: float,
        f: float,
        m: float,
        t: float | None = None,
        *,
        recency_days: float | None = None,
        tenure_days: float | None = None,
    ) -> bool | None:
        """Whether scores and days (e.g. a segment's medians) keep the promise (None: no promise).

        Examples:
            >>> seg = Segment("Lost", (SegmentRule(r=(1, 2), f=1),), promise=(SegmentRule(r=(1, 2)),))
            >>> seg.keeps_promise(1.5, 1, 3), seg.keeps_promise(3, 1, 3)
            (True, False)
            >>> new = Segment("New", (SegmentRule(first_within=90),),
            ...               promise=(SegmentRule(first_within=90),))
            >>> new.keeps_promise(5, 1, 1, tenure_days=30), new.keeps_promise(5, 1, 1, tenure_days=400)
            (True, False)
        """
        if not self.promise:
            return None
        return any(
            rule.matches(r, f, m, t, recency_days=recency_days, tenure_days=tenure_days)
            for rule in self.promise
        )

    def kept_by(
        self,
        r: np.ndarray[Any, Any],
        f: np.ndarray[Any, Any],
        m: np.ndarray[Any, Any],
        t: np.ndarray[Any, Any] | None = None,
        *,
        recency_days: np.ndarray[Any, Any] | None = None,
        tenure_days: np.ndarray[Any, Any] | None = None,
    ) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
        """Vectorised :meth:`keeps_promise`: which customers keep it (None: no promise).

        Examples:
            >>> import numpy as np
            >>> seg = Segment("Recent", (SegmentRule(r=(4, 5)),),
            ...               promise=(SegmentRule(last_within=180),))
            >>> seg.kept_by(np.array([5, 4]), np.array([1, 1]), np.array([1, 1]),
            ...             recency_days=np.array([20, 300])).tolist()
            [True, False]
        """
        if not self.promise:
            return None
        kept = np.zeros(np.shape(r), dtype=bool)
        for rule in self.promise:
            kept |= rule.holds(r, f, m, t, recency_days=recency_days, tenure_days=tenure_days)
        return kept


@attrs.frozen
class SegmentMapReport(ResultDict):
    """What :meth:`SegmentMap.validate` found.

    Attributes:
        overlaps: ``(code, segment names)`` for each code claimed by more than one segment
            (only a problem when the map is not first-match).
        gaps: Codes no rule matches (they get ``fallback``, or fail when there is none).
        unreachable: ``(segment name, rule index)`` of rules that can never decide a code:
            every code they match is already decided by an earlier rule (first-match maps)
            or by an earlier rule of the same segment.
        first_match: Whether the map resolves overlaps by rule order.
        has_fallback: Whether gaps get a fallback segment.
        broken_promises: ``(segment name, code)`` for each code a segment receives that
            breaks the segment's promise (none of its promise rules holds).

    Examples:
        >>> report = SegmentMap.default().validate()
        >>> report.ok, report.gaps, report.overlaps
        (True, (), ())
    """

    overlaps: tuple[tuple[str, tuple[str, ...]], ...]
    gaps: tuple[str, ...]
    unreachable: tuple[tuple[str, int], ...]
    first_match: bool
    has_fallback: bool
    broken_promises: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when every code maps to one segment, every rule can match, every promise holds.

        Examples:
            >>> SegmentMap.rf_grid().validate().ok
            True
        """
        overlaps_bad = bool(self.overlaps) and not self.first_match
        gaps_bad = bool(self.gaps) and not self.has_fallback
        return not (overlaps_bad or gaps_bad or self.unreachable or self.broken_promises)

    def __str__(self) -> str:
        lines = ["segment map is valid" if self.ok else "segment map has problems"]
        if self.overlaps:
            shown = ", ".join(f"{c} in {list(n)}" for c, n in self.overlaps[:10])
            more = f" (first 10 of {len(self.overlaps)})" if len(self.overlaps) > 10 else ""
            kind = "resolved by rule order" if self.first_match else "overlapping"
            lines.append(f"- {len(self.overlaps)} codes {kind}: {shown}{more}")
        if self.gaps:
            dest = "go to the fallback" if self.has_fallback else "have no segment"
            shown = ", ".join(self.gaps[:20])
            lines.append(f"- {len(self.gaps)} codes {dest}: {shown}")
        for name, index in self.unreachable:
            lines.append(f"- rule {index} of segment {name!r} can never match")
        broken: dict[str, list[str]] = {}
        for name, code in self.broken_promises:
            broken.setdefault(name, []).append(code)
        for name, codes in broken.items():
            shown = ", ".join(codes[:8]) + (", ..." if len(codes) > 8 else "")
            lines.append(f"- {len(codes)} codes break the promise of {name!r}: {shown}")
        return "\n".join(lines)


#: "Recent" in the default map: the last purchase fewer than this many days ago (half a year:
#: the handbooks' "sleeping customer has not bought for 6 months", and the ``dormant``
#: threshold of the default lifecycle policy).
RECENT_DAYS = 180
#: "New" in the default map: the first purchase fewer than this many days ago (a quarter).
NEW_DAYS = 90
#: "Lapsed" in the default map: the last purchase this many days ago or more (a year: the
#: ``churned`` ("lost") threshold of the default lifecycle policy). Past it a customer is
#: never "slipping" or "about to sleep", whatever the recency score.
LAPSED_DAYS = 365
#: "Still active" for a one-time buyer in the default map: a purchase fewer than this many
#: days ago (the ``at_risk`` threshold of the default lifecycle policy). A customer with
#: the lowest frequency score whose first purchase is 90 or more days old and whose last
#: is under 90 days old bought on two days at least; one whose last purchase is 90-179
#: days old may have bought once, and is About To Sleep (at risk), not a Potential
#: Loyalist ("bought more than once").
ACTIVE_DAYS = 90

_R, _N, _L, _A = RECENT_DAYS, NEW_DAYS, LAPSED_DAYS, ACTIVE_DAYS

#: The default map's playbook text where its rules differ from the published table's: its
#: Loyal and At Risk leave the big spenders to Champions and Can't Lose Them (M 4-5), so
#: they do not promise big spend (CDNOW, 1998-06-30: median spend 50 and 47 against 44
#: for all customers); its Need Attention promises no spend at all; its Potential
#: Loyalist bought more than once, and its About To Sleep holds the one-time buyers 90-179
#: days on whatever their recency score (CDNOW, 1997-06-30: 3,038 one-time buyers 97-112
#: days on, all at risk in the lifecycle stages, were Potential Loyalists).
_DEFAULT_TEXT = {
    "Loyal": (
        "Buy regularly and bought within half a year; the biggest recent spenders among "
        "them are Champions. Upsell higher-value products, loyalty points and member-level "
        "upgrades."
    ),
    "Potential Loyalist": (
        "Bought within half a year and more than once, not yet often. Membership, 'spend N "
        "to unlock' stepped benefits, personal recommendations."
    ),
    "About To Sleep": (
        "The lowest frequency score (one purchase, on most logs), the last purchase under "
        "half a year ago and no longer new: a one-time buyer here bought 90-179 days ago "
        "(at risk in the lifecycle stages). Share popular products and discounts; a reason "
        "for a second purchase before they sleep."
    ),
    "Need Attention": (
        "Bought more than once and within a year, but slipping: no longer recent, or never "
        "recent enough. Limited-time offers based on their history; reactivate before "
        "they sleep."
    ),
    "At Risk": (
        "Bought often, but long ago; the big spenders among them are Can't Lose Them. "
        "Personal outreach, renewal reminders with their points balance, a strong win-back "
        "offer."
    ),
}

#: The default map's segments: name, rules, promise (empty: the rules are the promise).
#: Rules are disjoint: every (R, F, M, recency class, tenure class) lands in one segment.
#: Recency classes: under 180 days, 180-364 days, 365 days or more.
_DEFAULT_SPEC: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = [
    ("Champions", [{"r": [4, 5], "f": [4, 5], "m": [4, 5], "last_within": _R}], []),
    ("Loyal", [{"r": 3, "f": [4, 5], "last_within": _R},
               {"r": [4, 5], "f": [4, 5], "m": [1, 3], "last_within": _R}],
     [{"r": [3, 5], "f": [4, 5], "last_within": _R}]),
    # "Bought more than once" (the published words): F 2-3, or F = 1 with the last purchase
    # under 90 days ago and the first 90+ days ago (two purchase days at least). A one-time
    # buyer 90-179 days on is at risk in the lifecycle stages: About To Sleep below.
    ("Potential Loyalist", [{"r": [4, 5], "f": [2, 3], "last_within": _R, "first_over": _N},
                            {"r": [4, 5], "f": 1, "last_within": _A, "first_over": _N}],
     [{"r": [4, 5], "f": [2, 5], "last_within": _R, "first_over": _N},
      {"r": [4, 5], "last_within": _A, "first_over": _N}]),
    ("New Customers", [{"f": [1, 3], "m": [1, 3], "first_within": _N}],
     [{"first_within": _N}]),
    ("Promising", [{"f": [1, 3], "m": [4, 5], "first_within": _N}],
     [{"m": [4, 5], "first_within": _N}]),
    # The fall-through for the middle, within a year: R = 3, or high R but no purchase for
    # half a year, or low R but a purchase within half a year (customers who fail a guard
    # of the segments above land here when they bought more than once).
    ("Need Attention", [{"r": 3, "f": [2, 3], "first_over": _N, "last_within": _L},
                        {"r": 3, "f": [4, 5], "last_over": _R, "last_within": _L},
                        {"r": [4, 5], "f": [2, 5], "last_over": _R, "last_within": _L},
                        {"r": [1, 2], "f": [2, 3], "last_within": _R, "first_over": _N},
                        {"r": [1, 2], "f": [4, 5], "last_within": _R}],
     [{"r": 3, "f": [2, 5], "last_within": _L},
      {"r": [3, 5], "f": [2, 5], "last_over": _R, "last_within": _L},
      {"r": [1, 2], "f": [2, 5], "last_within": _R}]),
    # One purchase, not asleep yet: the last purchase within half a year (the handbooks'
    # sleeper has not bought for 6 months), whatever the recency score once it is 90 days
    # old (the lifecycle's at risk); R 4-5 under 90 days is a Potential Loyalist.
    ("About To Sleep", [{"r": [1, 3], "f": 1, "last_within": _R, "first_over": _N},
                        {"r": [4, 5], "f": 1, "last_over": _A, "last_within": _R,
                         "first_over": _N}],
     [{"f": 1, "last_within": _R}]),
    # The lapsed segments, by F and M: R 1-2 and no purchase for half a year, or no
    # purchase for a year whatever the recency score.
    ("At Risk", [{"r": [1, 2], "f": [4, 5], "m": [1, 3], "last_over": _R},
                 {"r": [3, 5], "f": [4, 5], "m": [1, 3], "last_over": _L}],
     [{"r": [1, 2], "f": [4, 5], "last_over": _R}, {"f": [4, 5], "last_over": _L}]),
    ("Can't Lose Them", [{"r": [1, 2], "f": [2, 5], "m": [4, 5], "last_over": _R},
                         {"r": [3, 5], "f": [2, 5], "m": [4, 5], "last_over": _L}],
     [{"r": [1, 2], "f": [2, 5], "m": [4, 5], "last_over": _R},
      {"f": [2, 5], "m": [4, 5], "last_over": _L}]),
    # Hibernating also holds the one-time buyers who sleep: no purchase for half a year,
    # but not yet for a year (the published table has F = 1 codes here too: 211, 212).
    ("Hibernating", [{"r": [1, 2], "f": [2, 3], "m": [1, 3], "last_over": _R},
                     {"r": [3, 5], "f": [2, 3], "m": [1, 3], "last_over": _L},
                     {"f": 1, "last_over": _R, "last_within": _L}],
     [{"r": [1, 2], "f": [2, 3], "last_over": _R}, {"f": [2, 3], "last_over": _L},
      {"f": 1, "last_over": _R, "last_within": _L}]),
    # One purchase and none for a year: the lifecycle policy's churned ("lost").
    ("Lost", [{"f": 1, "last_over": _L}], []),
]  # fmt: skip


def _promise(name: str) -> tuple[SegmentRule, ...]:
    """The promise of a default segment name, as rules."""
    for label, rules, promise in _DEFAULT_SPEC:
        if label == name:
            return tuple(SegmentRule.from_dict(r) for r in (promise or rules))
    return ()


def _cached_catalogue(make: Callable[[Any], SegmentMap]) -> Callable[[Any], SegmentMap]:
    """Build a built-in map once per class: maps are immutable, so sharing is safe."""
    made: dict[Any, SegmentMap] = {}

    @functools.wraps(make)
    def wrapper(cls: Any) -> SegmentMap:
        if cls not in made:
            made[cls] = make(cls)
        return made[cls]

    return wrapper


def _segments_converter(value: Any) -> tuple[Segment, ...]:
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise ConfigError(
            "SegmentMap", "segments", expected="a list of segments", found=type(value).__name__
        )
    return tuple(value)


def _segments_ok(instance: SegmentMap, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = "SegmentMap"
    if not value:
        raise ConfigError(owner, "segments", expected="at least one segment", found="none")
    for seg in value:
        if not isinstance(seg, Segment):
            raise ConfigError(
                owner,
                "segments",
                expected="segments built by SegmentMap.from_dict()",
                found=type(seg).__name__,
            )
        if not isinstance(seg.name, str) or not seg.name:
            raise ConfigError(owner, "segments", expected="non-empty names", found=repr(seg.name))
        if not seg.rules:
            raise ConfigError(
                owner,
                seg.name,
                expected="given at least one rule",
                found="no rules",
                kind="segment",
            )
    names = [s.name for s in value]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(owner, "segments", expected="unique names", found=f"repeated {dup}")


def _bins_fit_rules(instance: SegmentMap, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Every rule of every segment is written within ``1..bins`` (run after the bins check)."""
    for seg in instance.segments:
        for rule in seg.rules + seg.promise:
            instance._check_rule_scale(seg.name, rule)


@attrs.frozen
class SegmentMap(_spec.Spec):
    """Named RFM segments as data: which codes belong to which segment, in business order.

    Build one with :meth:`from_dict` (a custom map), or take a built-in catalogue:
    :meth:`default` (11 segments), :meth:`rf_grid` (10 segments on R and F) or
    :meth:`three_layer` (the handbook's three layers). Construction checks the structure
    (unique names, scores within ``1..bins``); :meth:`validate` checks the coverage.

    Attributes:
        name: A short name for the map.
        segments: The segments in business order (the order of the categorical labels).
        bins: The score scale the rules are written for (scores ``1..bins``).
        first_match: When True, a code matched by several segments goes to the first of
            them and overlaps are by design; when False (the default) every code should
            belong to exactly one segment and :meth:`validate` reports overlaps as errors
            (lookups still take the first segment, so results stay deterministic).
        fallback: The label for codes no rule matches (``None``: such codes are an error).

    Examples:
        >>> seg = SegmentMap.default()
        >>> seg.label(5, 5, 5, recency_days=3, tenure_days=400)
        'Champions'
        >>> seg.label(1, 1, 1, recency_days=400, tenure_days=400)
        'Lost'
        >>> seg.label(5, 1, 1, recency_days=3, tenure_days=3)
        'New Customers'
        >>> custom = SegmentMap.from_dict({
        ...     "name": "two groups", "bins": 5,
        ...     "segments": [
        ...         {"name": "Active", "rules": [{"r": [3, 5]}]},
        ...         {"name": "Lapsed", "rules": [{"r": [1, 2]}]},
        ...     ]})
        >>> custom.label(4, 1, 1), custom.validate().ok
        ('Active', True)

        The JSON shape (``from_dict`` reads it, ``to_dict`` writes it) is ``{"name",
        "segments": [{"name", "rules": [...], "description"?, "promise"?}], "bins"?,
        "first_match"?, "fallback"?}``; a rule is ``{"r": [lo, hi], "f": ..., "m": ...,
        "t": ...}`` (any subset; an int means one score) or ``{"codes": [...]}``, either
        with optional day guards ``"last_within"``, ``"last_over"``, ``"first_within"``,
        ``"first_over"`` (days). Unknown keys are errors that name the full path:

        >>> SegmentMap.from_dict({"name": "vip", "segments": [
        ...     {"name": "VIP", "rules": [{"codes": ["555"]}]}], "fallback": "Others"}).to_dict()
        {'schema_version': 1, 'name': 'vip', 'segments': [{'name': 'VIP', 'rules': [{'codes': ['555']}]}], 'bins': 5, 'first_match': False, 'fallback': 'Others'}
        >>> SegmentMap.from_dict({"name": "x", "segments": [{"name": "A", "rules": [{"rr": 5}]}]})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: SegmentMap.from_dict(): parameter 'segments[0].rules[0].rr' must be one of ['codes', 'f', 'first_over', 'first_within', 'last_over', 'last_within', 'm', 'r', 't']; found an unknown key.
    """

    name: str = attrs.field(validator=_spec.instance_of(str, "a string"), metadata=_spec.metadata())
    segments: tuple[Segment, ...] = attrs.field(
        converter=_segments_converter,
        validator=_segments_ok,
        metadata=_spec.metadata(codec=_spec.Seq(_spec.Nested(Segment))),
    )
    bins: int = _spec.field(
        default=5, validator=[_spec.whole(min=2, max=_MAX_BINS), _bins_fit_rules]
    )
    first_match: bool = _spec.field(
        default=False, validator=_spec.instance_of(bool, "true or false")
    )
    fallback: str | None = _spec.field(
        default=None,
        validator=_spec.predicate(
            lambda v: v is None or (isinstance(v, str) and bool(v)), "a non-empty name or None"
        ),
    )

    @property
    def _table(self) -> np.ndarray[Any, np.dtype[np.int16]]:
        """The compiled lookup table (built once per map, cached beside the frozen value)."""
        return _spec.derived(self, "table", self._compile)

    def _check_rule_scale(self, segment: str, rule: SegmentRule) -> None:
        top = int(self.bins)
        for dim in _ALL_DIMS:
            rng = getattr(rule, dim)
            if rng is not None and rng[1] > top:
                raise ConfigError(
                    "SegmentMap",
                    segment,
                    kind="segment",
                    expected=f"written with scores within 1-{top}",
                    found=f"{dim} range {list(rng)}",
                )
        for code in rule.codes:
            if max(int(c) for c in code) > top:
                raise ConfigError(
                    "SegmentMap",
                    segment,
                    kind="segment",
                    expected=f"written with codes of scores 1-{top}",
                    found=repr(code),
                )

    # ---- compilation -------------------------------------------------------------------

    @property
    def uses_tenure(self) -> bool:
        """Whether a rule of the map reads the tenure score ``t``.

        A promise on tenure in a map whose rules ignore tenure cannot be kept by the
        rules: :meth:`validate` reports it broken. (The default map states "new" in
        days, with a day guard, rather than with the tenure score.)

        Examples:
            >>> SegmentMap.default().uses_tenure, SegmentMap.from_dict({"name": "x",
            ...     "segments": [{"name": "All", "rules": [{"t": [1, 5]}]}]}).uses_tenure
            (False, True)
        """
        return any(rule.uses_tenure for seg in self.segments for rule in seg.rules)

    def _reads(self, what: str) -> bool:
        """Whether a rule (not only a promise) has a day guard on ``recency`` or ``tenure``."""
        return any(
            getattr(rule, name) is not None
            for seg in self.segments
            for rule in seg.rules
            for name, reads, _ in _GUARDS
            if reads == what
        )

    @property
    def uses_days(self) -> bool:
        """Whether a rule of the map has a day guard (see :attr:`days_read`).

        Examples:
            >>> SegmentMap.default().uses_days, SegmentMap.marketer11().uses_days
            (True, False)
        """
        return bool(self.days_read)

    @property
    def days_read(self) -> tuple[str, ...]:
        """The days the rules' guards read besides the scores: ``recency_days``, ``tenure_days``.

        Examples:
            >>> SegmentMap.default().days_read
            ('recency_days', 'tenure_days')
        """
        return tuple(f"{what}_days" for what in ("recency", "tenure") if self._reads(what))

    def _cuts(self, what: str) -> tuple[int, ...]:
        """The day thresholds of rules and promises on ``recency`` or ``tenure``, sorted.

        Days are split into classes at these thresholds (class ``k`` holds days in
        ``[cuts[k-1], cuts[k])``), so that a finite code space decides every rule.
        """
        return tuple(
            sorted(
                {
                    int(getattr(rule, name))
                    for seg in self.segments
                    for rule in seg.rules + seg.promise
                    for name, reads, _ in _GUARDS
                    if reads == what and getattr(rule, name) is not None
                }
            )
        )

    def _all_codes(self) -> list[tuple[int, int, int, int, int, int]]:
        """Every combination ``(r, f, m, t, recency class, tenure class)`` that can occur.

        ``t`` is 0 when the map ignores the tenure score; with it only ``t <= r`` exists.
        Day classes come from :meth:`_cuts` (0 when there are no thresholds); a tenure class
        wholly below a recency class cannot occur (tenure is never shorter than recency).
        """
        scale = range(1, int(self.bins) + 1)
        rec_cuts, ten_cuts = self._cuts("recency"), self._cuts("tenure")
        inf = float("inf")
        days = [
            (kr, kt)
            for kr in range(len(rec_cuts) + 1)
            for kt in range(len(ten_cuts) + 1)
            if (ten_cuts[kt] if kt < len(ten_cuts) else inf)
            > (rec_cuts[kr - 1] if kr > 0 else -inf)
        ]
        tenure = self.uses_tenure
        return [
            (r, f, m, t, kr, kt)
            for r, f, m in itertools.product(scale, scale, scale)
            for t in (range(1, r + 1) if tenure else (0,))
            for kr, kt in days
        ]

    def _code_text(
        self,
        code: tuple[int, int, int, int, int, int],
        *,
        recency: bool = True,
        tenure: bool = True,
    ) -> str:
        """``"555"``, with ``/t4`` for a tenure score and ``/last<180d`` for day classes."""
        r, f, m, t, kr, kt = code
        text = f"{r}{f}{m}" if t == 0 else f"{r}{f}{m}/t{t}"
        for word, cuts, k, shown in (
            ("last", self._cuts("recency"), kr, recency),
            ("first", self._cuts("tenure"), kt, tenure),
        ):
            if not cuts or not shown:
                continue
            if k == 0:
                text += f"/{word}<{cuts[0]}d"
            elif k == len(cuts):
                text += f"/{word}>={cuts[-1]}d"
            else:
                text += f"/{word}>={cuts[k - 1]}d<{cuts[k]}d"
        return text

    def _masks(
        self, rules_of: Callable[[Segment], tuple[SegmentRule, ...]]
    ) -> list[list[np.ndarray[Any, np.dtype[np.bool_]]]]:
        grid = np.array(self._all_codes(), dtype=np.int64)
        text = np.array([f"{r}{f}{m}" for r, f, m, *_ in grid.tolist()])
        cuts = {"recency": self._cuts("recency"), "tenure": self._cuts("tenure")}
        column = {"recency": 4, "tenure": 5}
        masks = []
        for seg in self.segments:
            per_rule = []
            for rule in rules_of(seg):
                if rule.codes:
                    mask = np.isin(text, np.array(rule.codes))
                else:
                    mask = np.ones(len(grid), dtype=bool)
                for col, dim in enumerate(_ALL_DIMS):
                    rng = getattr(rule, dim)
                    if rng is not None:
                        mask &= (grid[:, col] >= rng[0]) & (grid[:, col] <= rng[1])
                for name, reads, within in _GUARDS:
                    limit = getattr(rule, name)
                    if limit is None:
                        continue
                    k = cuts[reads].index(limit)  # classes 0..k hold days < limit
                    cls = grid[:, column[reads]]
                    mask &= (cls <= k) if within else (cls > k)
                per_rule.append(mask)
            masks.append(per_rule)
        return masks

    def _rule_masks(self) -> list[list[np.ndarray[Any, np.dtype[np.bool_]]]]:
        """Per segment and rule, which codes of :meth:`_all_codes` the rule matches."""
        return self._masks(lambda seg: seg.rules)

    def _matches(self) -> dict[tuple[int, int, int, int, int, int], list[int]]:
        """For each code, the indexes of the segments whose rules match it."""
        seg_masks = [np.logical_or.reduce(rules) for rules in self._rule_masks()]
        hits = np.array(seg_masks)  # segments x codes
        return {
            code: np.flatnonzero(hits[:, i]).tolist() for i, code in enumerate(self._all_codes())
        }

    def _index(self, r: Any, f: Any, m: Any, t: Any, *days: Any) -> Any:
        """Table position: ``(r-1)*b*b + (f-1)*b + (m-1)``, then tenure score, then days."""
        b = int(self.bins)
        base = (r - 1) * b * b + (f - 1) * b + (m - 1)
        block = b**3
        if self.uses_tenure:
            base = base + (t - 1) * b**3
            block *= b
        kr, kt = days  # the recency and tenure day classes
        return base + (kr * (len(self._cuts("tenure")) + 1) + kt) * block

    def _compile(self) -> np.ndarray[Any, np.dtype[np.int16]]:
        # Index -> segment position; len(segments) = fallback, -1 = no segment at all.
        b = int(self.bins)
        size = b**4 if self.uses_tenure else b**3
        size *= (len(self._cuts("recency")) + 1) * (len(self._cuts("tenure")) + 1)
        table = np.full(size, -1, dtype=np.int16)
        fallback_pos = len(self.segments)
        for code, hits in self._matches().items():
            pos = self._index(*code)
            if hits:
                table[pos] = hits[0]
            elif self.fallback is not None:
                table[pos] = fallback_pos
        table.setflags(write=False)
        return table

    # ---- queries -----------------------------------------------------------------------

    @property
    def labels(self) -> tuple[str, ...]:
        """The segment names in business order (with the fallback last, when there is one).

        Examples:
            >>> SegmentMap.three_layer().labels
            ('High-value loyal', 'Potential growth', 'Sleeping')
        """
        names = tuple(s.name for s in self.segments)
        if self.fallback is not None and self.fallback not in names:
            names += (self.fallback,)
        return names

    def description(self, segment: str) -> str:
        """Return the playbook text of ``segment`` (empty when the map gives none).

        Examples:
            >>> SegmentMap.three_layer().description("Sleeping")
            'Wake-up gift plus a needs survey; a comeback coupon for half-year sleepers.'
        """
        for seg in self.segments:
            if seg.name == segment:
                return seg.description
        if segment == self.fallback:
            return ""
        raise ConfigError(
            f"SegmentMap {self.name!r}",
            "segment",
            expected=f"one of {list(self.labels)}",
            found=repr(segment),
            kind="",
        )

    def label(
        self,
        r: int,
        f: int,
        m: int,
        t: int | None = None,
        *,
        recency_days: float | None = None,
        tenure_days: float | None = None,
    ) -> str:
        """Return the segment of one customer's scores.

        ``t`` is the tenure score (see :class:`SegmentRule`), needed by maps that use it;
        ``recency_days`` and ``tenure_days`` (days since the last and the first purchase)
        are needed by maps whose rules have day guards (the default map does).

        Examples:
            >>> SegmentMap.marketer11().label(2, 5, 5)
            'At Risk'
            >>> d = SegmentMap.default()
            >>> d.label(5, 1, 1, recency_days=10, tenure_days=40)
            'New Customers'
            >>> d.label(5, 5, 5, recency_days=20, tenure_days=400)
            'Champions'
            >>> d.label(5, 5, 5, recency_days=300, tenure_days=400)  # top scores, lapsed
            'Need Attention'
        """

        def one(x: float | None) -> np.ndarray[Any, Any] | None:
            return None if x is None else np.array([x])

        positions = self.positions(
            np.array([r]),
            np.array([f]),
            np.array([m]),
            one(t),
            recency_days=one(recency_days),
            tenure_days=one(tenure_days),
        )
        return self.labels[int(positions[0])]

    def positions(
        self,
        r: np.ndarray[Any, Any],
        f: np.ndarray[Any, Any],
        m: np.ndarray[Any, Any],
        t: np.ndarray[Any, Any] | None = None,
        *,
        recency_days: np.ndarray[Any, Any] | None = None,
        tenure_days: np.ndarray[Any, Any] | None = None,
    ) -> np.ndarray[Any, np.dtype[np.int16]]:
        """Return the position of each customer's segment in :attr:`labels` (vectorised).

        ``t`` (tenure scores) is needed by maps that use tenure and ignored by the others;
        ``recency_days`` and ``tenure_days`` are needed by maps whose rules have day
        guards on them, and ignored by the others.

        Examples:
            >>> import numpy as np
            >>> SegmentMap.three_layer().positions(np.array([5, 1]), np.array([5, 5]),
            ...     np.array([5, 5]), recency_days=np.array([3, 400])).tolist()
            [0, 2]
        """
        b = int(self.bins)
        r_ = np.asarray(r, dtype=np.int64)
        f_ = np.asarray(f, dtype=np.int64)
        m_ = np.asarray(m, dtype=np.int64)
        t_ = np.ones_like(r_)
        if self.uses_tenure:
            if t is None:
                raise ConfigError(
                    f"SegmentMap {self.name!r}",
                    "t",
                    expected="tenure scores (the map's rules use tenure)",
                    found="none",
                    hint="Score a summary with a tenure_days column (summarize() gives one).",
                    kind="score",
                )
            t_ = np.asarray(t, dtype=np.int64)
        for dim, arr in zip(_ALL_DIMS, (r_, f_, m_, t_), strict=True):
            bad = (arr < 1) | (arr > b)
            if bad.any():
                raise ConfigError(
                    f"SegmentMap {self.name!r}",
                    dim,
                    expected=f"scores within 1-{b}",
                    found=f"{int(bad.sum())} scores outside (e.g. {int(arr[bad][0])})",
                    hint="Use a segment map written for the scorer's number of bins.",
                    kind="score",
                )
        if self.uses_tenure and (t_ > r_).any():
            bad = t_ > r_
            raise ConfigError(
                f"SegmentMap {self.name!r}",
                "t",
                expected="tenure scores at most the recency scores (tenure >= recency)",
                found=f"{int(bad.sum())} larger ones",
                kind="score",
            )
        kr, kt = self._day_classes(r_.shape, recency_days, tenure_days)
        out: np.ndarray[Any, np.dtype[np.int16]] = self._table[self._index(r_, f_, m_, t_, kr, kt)]
        missing = out < 0
        if missing.any():
            first = np.flatnonzero(missing)[0]
            code = f"{r_[first]}{f_[first]}{m_[first]}"
            raise ConfigError(
                f"SegmentMap {self.name!r}",
                "segments",
                expected="a segment for every code",
                found=f"{int(missing.sum())} customers with codes no rule matches (e.g. {code})",
                hint="Add a rule or a fallback; SegmentMap.validate() lists the gaps.",
                kind="",
            )
        # The fallback position equals len(segments); when the fallback name is also a
        # segment name it maps onto that segment.
        if self.fallback is not None and self.fallback in self.labels[: len(self.segments)]:
            out = np.where(out == len(self.segments), self.labels.index(self.fallback), out)
        return np.asarray(out, dtype=np.int16)

    def _day_classes(
        self,
        shape: tuple[int, ...],
        recency_days: np.ndarray[Any, Any] | None,
        tenure_days: np.ndarray[Any, Any] | None,
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """The day classes (see :meth:`_cuts`) of each customer, for the lookup table.

        A dimension the rules do not read gets a class that always exists (any class
        gives the same segment then).
        """
        owner = f"SegmentMap {self.name!r}"
        given = {"recency": recency_days, "tenure": tenure_days}
        classes = {
            "recency": np.zeros(shape, dtype=np.int64),
            "tenure": np.full(shape, len(self._cuts("tenure")), dtype=np.int64),
        }
        values: dict[str, np.ndarray[Any, Any]] = {}
        for what, days in given.items():
            if not self._reads(what):
                continue
            field = f"{what}_days"
            if days is None:
                words = "last" if what == "recency" else "first"
                raise ConfigError(
                    owner,
                    field,
                    expected=f"given: the map's rules guard the days since the {words} purchase",
                    found="none",
                    hint="Score a summary with recency_days and tenure_days columns "
                    "(summarize() gives both).",
                    kind="value",
                )
            x = np.asarray(days, dtype=np.float64)
            if x.shape != shape or not np.isfinite(x).all() or (x < 0).any():
                raise InvalidInputError(
                    owner,
                    field,
                    expected="finite days >= 0, one per customer",
                    found=f"{x.size} values, {int((~np.isfinite(x) | (x < 0)).sum())} not",
                    kind="value",
                )
            values[what] = x
            classes[what] = np.searchsorted(
                np.asarray(self._cuts(what), dtype=np.float64), x, side="right"
            )
        if len(values) == 2 and (values["tenure"] < values["recency"]).any():
            bad = values["tenure"] < values["recency"]
            raise InvalidInputError(
                owner,
                "tenure_days",
                expected="at least recency_days (the first purchase is never after the last)",
                found=f"{int(bad.sum())} smaller ones",
                kind="value",
            )
        return classes["recency"], classes["tenure"]

    def categorical(
        self,
        r: np.ndarray[Any, Any],
        f: np.ndarray[Any, Any],
        m: np.ndarray[Any, Any],
        t: np.ndarray[Any, Any] | None = None,
        *,
        recency_days: np.ndarray[Any, Any] | None = None,
        tenure_days: np.ndarray[Any, Any] | None = None,
    ) -> pd.Categorical:
        """Return the segments as an ordered categorical in business order.

        Examples:
            >>> import numpy as np
            >>> cat = SegmentMap.rf_grid().categorical(np.array([5, 1]), np.array([5, 1]),
            ...                                        np.array([1, 1]))
            >>> list(cat)
            ['Champions', 'Hibernating']
        """
        dtype = pd.CategoricalDtype(list(self.labels), ordered=True)
        pos = self.positions(r, f, m, t, recency_days=recency_days, tenure_days=tenure_days)
        return pd.Categorical.from_codes(pos.astype(np.int64), dtype=dtype)

    def codes_of(self, segment: str) -> tuple[str, ...]:
        """Return the RFM codes that land in ``segment``, sorted from best to worst.

        For a map that uses tenure a code reads ``"511/t5"`` (R, F, M, then the tenure
        score); for a map whose rules have day guards, the day classes follow
        (``"555/last<90d/first>=90d"``).

        Examples:
            >>> SegmentMap.marketer11().codes_of("Lost")
            ('151', '141', '131', '121', '112', '111')
        """
        if segment not in self.labels:
            raise ConfigError(
                f"SegmentMap {self.name!r}",
                "segment",
                expected=f"one of {list(self.labels)}",
                found=repr(segment),
                kind="",
            )
        pos = self.labels.index(segment)
        # Day classes the rules do not read change nothing: list each code once, at the
        # class the lookup uses for them (see _day_classes), and without their text.
        reads_r, reads_t = self._reads("recency"), self._reads("tenure")
        last_t = len(self._cuts("tenure"))
        out = []
        for code in self._all_codes():
            if (not reads_r and code[4] != 0) or (not reads_t and code[5] != last_t):
                continue
            pos_code = int(self._table[self._index(*code)])
            if pos_code == len(self.segments) and self.fallback is not None:
                pos_code = self.labels.index(self.fallback)
            if pos_code == pos:
                out.append(self._code_text(code, recency=reads_r, tenure=reads_t))
        return tuple(sorted(out, reverse=True))

    def validate(self) -> SegmentMapReport:
        """Check coverage: overlapping codes, codes without a segment, rules that never match.

        Returns:
            A :class:`SegmentMapReport`; ``report.ok`` is True when every code of the
            score space (``bins ** 3`` codes, times the tenure scores and the day classes
            the map's rules and promises use) lands in exactly one segment, every rule
            matters and every segment's promise holds for every code it receives, day
            guards included.

        Examples:
            >>> bad = SegmentMap.from_dict({"name": "x", "bins": 5, "segments": [
            ...     {"name": "Top", "rules": [{"r": [4, 5]}]},
            ...     {"name": "Recent", "rules": [{"r": 5}]},
            ... ]})
            >>> report = bad.validate()
            >>> report.ok, len(report.gaps), len(report.overlaps), report.unreachable
            (False, 75, 25, ())
            >>> print(report)  # doctest: +ELLIPSIS
            segment map has problems
            - 25 codes overlapping: 555 in ['Top', 'Recent'], ...
            - 75 codes have no segment: 355, 354, ...
        """
        matches = self._matches()
        text = self._code_text
        overlaps = tuple(
            (text(code), tuple(self.segments[i].name for i in hits))
            for code, hits in sorted(matches.items(), reverse=True)
            if len(hits) > 1
        )
        gaps = tuple(text(code) for code, hits in sorted(matches.items(), reverse=True) if not hits)
        unreachable: list[tuple[str, int]] = []
        n_codes = len(self._all_codes())
        decided = np.zeros(n_codes, dtype=bool)
        for seg, rule_masks in zip(self.segments, self._rule_masks(), strict=True):
            own = np.zeros(n_codes, dtype=bool)
            for index, hit in enumerate(rule_masks):
                # A rule matters when it decides at least one code nobody decided before:
                # earlier segments (first-match maps) or earlier rules of its own segment.
                before = own | decided if self.first_match else own
                if not (hit & ~before).any():
                    unreachable.append((seg.name, index))
                own |= hit
            decided |= own
        # Promises: every code a segment receives (the first matching segment) must keep
        # one of the segment's promise rules.
        broken: list[tuple[str, str]] = []
        codes = self._all_codes()
        for i, (seg, promise_masks) in enumerate(
            zip(self.segments, self._masks(lambda seg: seg.promise), strict=True)
        ):
            if not seg.promise:
                continue
            kept = np.logical_or.reduce(promise_masks)
            for j, code in enumerate(codes):
                hits = matches[code]
                if hits and hits[0] == i and not kept[j]:
                    broken.append((seg.name, text(code)))
        return SegmentMapReport(
            overlaps=overlaps,
            gaps=gaps,
            unreachable=tuple(unreachable),
            first_match=bool(self.first_match),
            has_fallback=self.fallback is not None,
            broken_promises=tuple(broken),
        )

    # ---- catalogues --------------------------------------------------------------------

    @classmethod
    @_cached_catalogue
    def default(cls) -> SegmentMap:
        """The default map: the 11 marketer segments, each keeping the promise of its name.

        The names and playbooks are those of :meth:`marketer11`; the rules are crmkit's,
        written so that every customer a segment receives keeps the segment's promise
        (stated as data in ``Segment.promise`` and checked by :meth:`validate`). Where the
        rules give a segment fewer customers than the published table's words claim, the
        words say so: Loyal and At Risk leave the big spenders (M 4-5) to Champions and
        Can't Lose Them, and Need Attention promises no spend.

        R/F/M scores are relative: on an old log the R-4 window can reach back more than a
        year. So the promises that speak of time carry absolute **day guards**:
        "recent" means the last purchase fewer than ``RECENT_DAYS`` = 180 days before the
        analysis date, "new" means the first purchase fewer than ``NEW_DAYS`` = 90 days
        before it, and "lapsed" a last purchase ``LAPSED_DAYS`` = 365 days or more before
        it (see :class:`SegmentRule`). 180 and 365 are the ``dormant`` ("sleeping") and
        ``churned`` ("lost") thresholds of the default
        :class:`~crmkit.segmentation.LifecyclePolicy`, reached on the same day: a customer
        whose last purchase was 180 days ago is dormant there and no longer recent here.

        ========================  ===============================================
        Segment                   Promise (R/F/M scores 1-5; days as of the date)
        ========================  ===============================================
        Champions                 R 4-5, F 4-5, M 4-5, last purchase under 180 d ago
        Loyal                     R 3-5, F 4-5, last purchase under 180 d ago
        Potential Loyalist        R 4-5, bought more than once: F 2-5, last
                                  purchase under 180 d ago, or a purchase under
                                  90 d ago; first 90+ d ago (F 1-3)
        New Customers             first purchase under 90 d ago (F 1-3, M 1-3)
        Promising                 first purchase under 90 d ago, M 4-5 (F 1-3)
        Need Attention            F 2-5, last purchase under 365 d ago, and R = 3,
                                  or R 3-5 but no purchase for 180 d, or R 1-2 but
                                  a purchase under 180 d ago
        About To Sleep            F = 1, last purchase under 180 d ago (first 90+
                                  d ago; with R 4-5, last 90+ d ago)
        At Risk                   F 4-5, and R 1-2 with the last purchase 180+ d
                                  ago, or the last purchase 365+ d ago (M 1-3)
        Can't Lose Them           F 2-5, M 4-5, and R 1-2 with the last purchase
                                  180+ d ago, or the last purchase 365+ d ago
        Hibernating               F 2-3, and R 1-2 with the last purchase 180+ d
                                  ago, or the last purchase 365+ d ago (M 1-3);
                                  or F = 1, last purchase 180-364 d ago
        Lost                      F = 1, last purchase 365+ d ago
        ========================  ===============================================

        Where customers who fail a guard go: high scores but no purchase for 180 days
        (the Champions, Loyal and Potential Loyalist cells) fall through to **Need
        Attention** ("above average, but slipping") when they bought more than once; low
        recency scores with a purchase under 180 days ago (young or short logs) go there
        too (**About To Sleep** for one purchase) rather than to At Risk, Can't Lose Them,
        Hibernating or Lost, which promise a lapse of 180 days or more. Nobody is "slipping"
        or "about to sleep" a year after the last purchase: past 365 days a customer is
        lapsed whatever the recency score, and lands by F and M in At Risk, Can't Lose
        Them, Hibernating or Lost. A first purchase under 90 days ago always makes a New
        Customer or Promising (F 1-3), whatever the recency score. Every (R, F, M,
        recency, tenure) combination lands in exactly one segment.

        One-time buyers follow the handbooks' sleeper ("has not bought for 6 months") and
        the lifecycle stages: New Customers or Promising under 90 days, **About To Sleep**
        90-179 days (the lifecycle's ``at_risk``: not asleep yet), **Hibernating** 180-364
        days (asleep: the wake-up gift is their playbook; the published table puts F = 1
        codes in Hibernating too), **Lost** after 365 days. They are never Potential
        Loyalists, whatever their recency score: the published words of that segment
        say "bought more than once", and the published table has no F = 1 code in it
        (with F = 1, a last purchase under ``ACTIVE_DAYS`` = 90 days ago and a first one
        90 or more days ago mean two purchase days: that customer is one). Before, R 4-5
        decided: on CDNOW as of 1997-06-30, 3,038 one-time buyers 97-112 days on (R 4)
        were Potential Loyalists and 12,325 113-179 days on About To Sleep; now all
        15,363 are About To Sleep. Reading About To Sleep as "within 365 days", like Need
        Attention, was measured and rejected: on the built-in sample
        (``datasets.transactions(5_000, seed=7)``) it would hold 517 one-time buyers with
        a median of 274 days (nine months) since their purchase; as it is, it holds 220
        with a median of 135 days. It is empty on logs without a one-time buyer 90-179
        days on (CDNOW as of 1998-06-30).

        Unlike the published table (:meth:`marketer11`), a one-time buyer is never
        "Can't Lose Them", a customer who first bought a year ago is never "New
        Customers" and a customer last seen a year ago is never a Champion, never in
        Need Attention and never About To Sleep. On a log of one acquisition cohort seen
        long after it (CDNOW: every customer first bought in the first quarter of 1997)
        New Customers and Promising are empty: nobody is new.

        Examples:
            >>> m = SegmentMap.default()
            >>> m.name, m.validate().ok
            ('crmkit-11', True)
            >>> m.label(1, 1, 3, recency_days=400, tenure_days=500)
            'Lost'
            >>> SegmentMap.marketer11().label(1, 1, 3)
            "Can't Lose Them"
            >>> m.label(5, 1, 5, recency_days=5, tenure_days=30)
            'Promising'
            >>> m.label(5, 1, 5, recency_days=5, tenure_days=200)  # two purchase days
            'Potential Loyalist'
            >>> m.label(5, 1, 5, recency_days=120, tenure_days=120)  # one, 120 days ago
            'About To Sleep'
            >>> m.label(5, 5, 5, recency_days=250, tenure_days=400)
            'Need Attention'
            >>> m.label(4, 5, 5, recency_days=400, tenure_days=500)  # lapsed: over a year
            "Can't Lose Them"
            >>> m.label(3, 1, 2, recency_days=150, tenure_days=150), m.label(
            ...     3, 1, 2, recency_days=250, tenure_days=250)
            ('About To Sleep', 'Hibernating')
        """
        text = {seg.name: seg.description for seg in cls.marketer11().segments}
        text.update(_DEFAULT_TEXT)
        return cls(
            name="crmkit-11",
            segments=tuple(
                Segment(
                    name=name,
                    rules=tuple(SegmentRule.from_dict(r) for r in rules),
                    description=text[name],
                    promise=_promise(name),
                )
                for name, rules, promise in _DEFAULT_SPEC
            ),
        )

    @classmethod
    @_cached_catalogue
    def marketer11(cls) -> SegmentMap:
        """The published 11-segment marketer table: a lookup of all 125 codes (5 bins).

        Each of the 125 R/F/M codes is listed in exactly one segment, so the map has no
        gaps, no overlaps and no order dependence. Its segments carry the promises of
        :meth:`default` (day guards included), and it does not keep them: R/F/M codes
        alone cannot, because scores are relative to the data. Its limits, measured on
        the CDNOW log as of 1998-06-30 (quintile scores; the R-4 window reaches back 430
        days): "Can't Lose Them" holds one-time buyers (code 113: F = 1); "New
        Customers" and "Promising" hold customers who first bought well over a year
        before; Champions include customers last seen 430 days before.
        ``SegmentMap.marketer11().validate()`` lists every code that breaks its
        segment's promise. Use it to reproduce reports built on the published table;
        use :meth:`default` for labels that mean what they say.

        References:
            The 125-code table (Champions, Loyal, Potential Loyalist, New Customers,
            Promising, Need Attention, About To Sleep, At Risk, Can't Lose Them,
            Hibernating, Lost) as published in vendor documentation (the RFM app of
            Squeezely: "We have defined the Segments with the following RFM values";
            Spotler's RFM app lists the same codes) and copied into many public RFM
            notebooks and SQL scripts; see
            ``shared/research/segmentation.md`` B6. Copies differ only in 231, 241 and
            251: the vendor tables and most dictionary copies put them in About To Sleep;
            many ``if``/``elif`` copies list them under both About To Sleep and
            Hibernating, where the first match (About To Sleep) wins; some copies list
            them under Hibernating only. crmkit follows the vendor table (About To Sleep);
            write a custom map if you need the other reading. The segment names and meanings follow
            the 11-segment table of the R package ``rfm`` (rsquaredacademy, vignette
            "RFM analysis using transaction-level data"), whose own first-match ranges
            leave 36 codes unlabelled and 4 segments unreachable; the lookup table fixes
            that. The "Recent" segment of the table is named "New Customers" here, as in
            the R package. PyMC-Marketing's ``clv.utils.rfm_segments`` default (quartile
            scores; Premium, Repeat, Top Spender, At Risk, Inactive and "Other") maps only
            46 of its 64 codes and labels "411", a typical new customer, Inactive; it is
            not used as the default for that reason.

        Examples:
            >>> m = SegmentMap.marketer11()
            >>> len(m.labels), sum(len(m.codes_of(s)) for s in m.labels)
            (11, 125)
            >>> report = m.validate()
            >>> [code for seg, code in report.broken_promises if seg == "Can't Lose Them"][:2]
            ['113/last<90d/first<90d', '113/last<90d/first>=90d']
            >>> ("Can't Lose Them", "113/last>=365d/first>=90d") in report.broken_promises
            True
            >>> report.ok
            False
        """
        table = {
            "Champions": (
                "555 554 544 545 454 455 445",
                (
                    "Bought recently, buy often, spend the most. Reward them; early access to "
                    "new products, a VIP service channel; ask for reviews and referrals."
                ),
            ),
            "Loyal": (
                "543 444 435 355 354 345 344 335",
                (
                    "Buy regularly and spend well. Upsell higher-value products, loyalty "
                    "points and member-level upgrades."
                ),
            ),
            "Potential Loyalist": (
                (
                    "553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 "
                    "353 352 351 342 341 333 323"
                ),
                (
                    "Recent customers with average frequency. Membership, 'spend N to unlock' "
                    "stepped benefits, personal recommendations."
                ),
            ),
            "New Customers": (
                "512 511 422 421 412 411 311",
                (
                    "Bought recently for the first time or two. Onboarding, a welcome "
                    "benefit, a reason for a second purchase soon."
                ),
            ),
            "Promising": (
                "525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313",
                (
                    "Recent, few purchases but promising spend. Build brand awareness, "
                    "free trials, category cross-sell."
                ),
            ),
            "Need Attention": (
                "535 534 443 434 343 334 325 324",
                (
                    "Above-average recency, frequency and spend, but slipping. Limited-time "
                    "offers based on their history; reactivate before they sleep."
                ),
            ),
            "About To Sleep": (
                "331 321 312 221 213 231 241 251",
                (
                    "Below-average recency and frequency. Share popular products and "
                    "discounts; reconnect before they are lost."
                ),
            ),
            "At Risk": (
                (
                    "255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 "
                    "134 133 125 124"
                ),
                (
                    "Spent big and bought often, but long ago. Personal outreach, renewal "
                    "reminders with their points balance, a strong win-back offer."
                ),
            ),
            "Can't Lose Them": (
                "155 154 144 214 215 115 114 113",
                (
                    "Made big purchases, but have not come back for a long time. Win them "
                    "back with new products and a personal call; do not lose them to a "
                    "competitor."
                ),
            ),
            "Hibernating": (
                "332 322 233 232 223 222 132 123 122 212 211",
                (
                    "Last purchase long ago, low spend and few orders. A wake-up gift plus a "
                    "needs survey; relevant offers, at low cost."
                ),
            ),
            "Lost": (
                "111 112 121 131 141 151",
                (
                    "Lowest recency, frequency and spend. Revive with a comeback coupon, "
                    "otherwise stop spending on them."
                ),
            ),
        }
        return cls(
            name="marketer-11",
            segments=tuple(
                Segment(
                    name=name,
                    rules=(SegmentRule(codes=tuple(codes.split())),),
                    description=text,
                    promise=_promise(name),
                )
                for name, (codes, text) in table.items()
            ),
        )

    @classmethod
    @_cached_catalogue
    def rf_grid(cls) -> SegmentMap:
        """The 10-segment R x F grid: segments from recency and frequency only (5 bins).

        Each of the 25 R/F cells belongs to exactly one segment; monetary is ignored.
        The segments are score cells, and their descriptions say so: R and F scores are
        relative to the data, so "recent" means a high R score, not a date. On the CDNOW
        log as of 1998-06-30 (quintile scores) the R-4 window reaches back 430 days: 863
        of the 3,258 "Loyal" customers and 593 of the 2,412 "Potential Loyalist" ones last
        bought a year or more before. Use it to reproduce reports built on the grid; use
        :meth:`default` for labels whose members keep their words (day guards).

        References:
            The widely copied R x F grid of course notebooks, often written as regexes on
            the two-digit "RF" code (``[1-2][1-2]`` Hibernating, ``[1-2][3-4]`` At Risk,
            ``[1-2]5`` Can't Lose, ``3[1-2]`` About to Sleep, ``33`` Need Attention,
            ``[3-4][4-5]`` Loyal, ``41`` Promising, ``51`` New, ``[4-5][2-3]`` Potential
            Loyalists, ``5[4-5]`` Champions); see ``shared/research/segmentation.md`` B6.
            Here the rules are ranges, so they cannot match a three-digit code by accident.

        Examples:
            >>> g = SegmentMap.rf_grid()
            >>> g.label(5, 1, 5), g.label(3, 3, 1), g.label(2, 5, 1)
            ('New Customers', 'Need Attention', "Can't Lose Them")
        """
        spec: list[tuple[str, list[dict[str, Any]], str]] = [
            (
                "Champions",
                [{"r": 5, "f": [4, 5]}],
                "Top recency and frequency scores (R 5, F 4-5).",
            ),
            (
                "Loyal",
                [{"r": [3, 4], "f": [4, 5]}],
                "High frequency score, middle recency (R 3-4).",
            ),
            (
                "Potential Loyalist",
                [{"r": [4, 5], "f": [2, 3]}],
                "High recency score (R 4-5), a few purchases (F 2-3).",
            ),
            (
                "New Customers",
                [{"r": 5, "f": 1}],
                "Top recency score, lowest frequency (R 5, F 1).",
            ),
            ("Promising", [{"r": 4, "f": 1}], "High recency score, lowest frequency (R 4, F 1)."),
            (
                "Need Attention",
                [{"r": 3, "f": 3}],
                "Middle recency and frequency scores (R 3, F 3).",
            ),
            (
                "About To Sleep",
                [{"r": 3, "f": [1, 2]}],
                "Middle recency score, low frequency (F 1-2).",
            ),
            (
                "At Risk",
                [{"r": [1, 2], "f": [3, 4]}],
                "Fairly frequent (F 3-4), low recency score.",
            ),
            ("Can't Lose Them", [{"r": [1, 2], "f": 5}], "Top frequency score, low recency score."),
            (
                "Hibernating",
                [{"r": [1, 2], "f": [1, 2]}],
                "Low frequency and recency scores (1-2).",
            ),
        ]
        return cls(
            name="rf-grid-10",
            segments=tuple(
                Segment(
                    name=name,
                    rules=tuple(SegmentRule.from_dict(r) for r in rules),
                    description=text,
                )
                for name, rules, text in spec
            ),
        )

    @classmethod
    @_cached_catalogue
    def three_layer(cls) -> SegmentMap:
        """The handbook's three layers: high-value loyal, potential growth, sleeping (5 bins).

        - High-value loyal (高价值忠诚型): bought under 180 days ago and in the top two
          frequency and spend bins (F 4-5, M 4-5).
        - Potential growth (潜力成长型): bought under 180 days ago, not (yet) high value.
        - Sleeping, to be woken (沉睡唤醒型): no purchase for half a year (the
          handbook's sleeper: "has not bought for 6 months"), from day 180 as the
          lifecycle stages' dormant.

        Recency is the handbook's absolute half year, not the R score: a relative score
        would call a customer who bought 10 days ago sleeping on a short log (R 1-2 there
        is still recent). So R is not read; F and M are.

        References:
            The RFM layering and playbooks of Chinese CRM handbooks (客户关系管理), as
            summarised in ``shared/domain.md`` ("Customer value and segmentation"): VIP
            service channel and custom products for high value; "spend N to unlock"
            stepped benefits for potential; a wake-up gift plus a needs survey for
            sleepers, "a sleeping customer has not bought for 6 months". The score
            cut-offs are crmkit's reading of those words.

        Examples:
            >>> t = SegmentMap.three_layer()
            >>> t.label(5, 5, 4, recency_days=10), t.label(4, 2, 5, recency_days=10)
            ('High-value loyal', 'Potential growth')
            >>> t.label(2, 5, 5, recency_days=10), t.label(5, 5, 5, recency_days=200)
            ('High-value loyal', 'Sleeping')
        """
        recent = RECENT_DAYS
        return cls(
            name="three-layer",
            segments=(
                Segment(
                    name="High-value loyal",
                    rules=(SegmentRule(f=(4, 5), m=(4, 5), last_within=recent),),
                    description="VIP service channel, dedicated shopping guide, custom "
                    "products and early access.",
                ),
                Segment(
                    name="Potential growth",
                    rules=(
                        SegmentRule(f=(1, 3), last_within=recent),
                        SegmentRule(f=(4, 5), m=(1, 3), last_within=recent),
                    ),
                    description="'Spend N to unlock' stepped benefits; upgrade by "
                    "repurchase amount.",
                ),
                Segment(
                    name="Sleeping",
                    rules=(SegmentRule(last_over=recent),),
                    description="Wake-up gift plus a needs survey; a comeback coupon for "
                    "half-year sleepers.",
                ),
            ),
        )

    @classmethod
    def builtin(cls, name: str) -> SegmentMap:
        """Return a built-in map by name: ``"default"``, ``"marketer-11"``, ``"rf-grid"``, ``"three-layer"``.

        Examples:
            >>> SegmentMap.builtin("rf-grid").name
            'rf-grid-10'
        """
        makers = {
            "default": cls.default,
            "marketer-11": cls.marketer11,
            "rf-grid": cls.rf_grid,
            "rf-grid-10": cls.rf_grid,
            "three-layer": cls.three_layer,
        }
        if name not in makers:
            raise ConfigError(
                "SegmentMap.builtin()",
                "name",
                expected=f"one of {sorted(makers)}",
                found=repr(name),
            )
        return makers[name]()
