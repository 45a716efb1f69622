"""Lifecycle stages: where each customer is, at one instant or at many.

Stages, youngest first (an ordered categorical, so sorting and plotting come out in this
order): ``new``, ``reactivated``, ``active``, ``at_risk``, ``dormant``, ``churned``. They are
the e-commerce lifecycle of the domain notes (new, repeat/active, lost, dead: 新客、复购、
活跃、流失、死亡), with "about to sleep" (at risk) and "sleeping" (dormant) named apart because
each gets its own playbook, and with woken-up customers (reactivated) kept apart from the
steadily active ones so that a win-back campaign can see whom it brought back.

How a stage is decided (:class:`LifecyclePolicy` holds every number):

- Time is counted in **calendar days**: every purchase on a day is one purchase day (an
  "occasion"), ``recency_days`` is the number of days from the last purchase day to the
  ``as_of`` day, ``tenure_days`` the number from the first purchase day.
- ``new`` while ``tenure_days < new_days`` (default 30), whatever else holds.
- Otherwise recency against three thresholds: ``at_risk`` from ``at_risk_after_days``,
  ``dormant`` from ``dormant_after_days``, ``churned`` from ``churned_after_days`` (a stage
  starts on the day its threshold is reached: ``recency_days >= threshold``).
- A customer who would be ``active`` (below the at-risk threshold) is ``reactivated`` for
  ``reactivated_days`` after a wake-up purchase (a purchase day at least ``dormant_days``
  after the previous one: the customer had been dormant or churned).
- The stage set is the policy's: ``stages`` keeps a subset (a left-out threshold stage
  hands its customers to the stage below it) and ``labels`` renames them; results carry
  the policy's ``stage_names`` as ordered categories. Internally stages are computed as
  the six canonical codes above and mapped to the policy's categories at the end.

The thresholds are fixed days (basis ``"fixed"``: 90 / 180 / 365 by default) or relative to
the customer's own inter-purchase gaps (basis ``"quantile"`` or ``"mean_sd"``), with the
population's pooled gaps standing in for customers with too few gaps of their own.

Everything is computed from the purchases up to ``as_of``; rows after it are excluded and
counted. Batch paths sort once and are vectorised over customers and snapshots.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit._validate import (
    as_aware,
    check_keys,
    require_frame,
    resolve_timezone,
)
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._log import TransactionLog, as_log

__all__ = [
    "LifecyclePolicy",
    "StageResult",
    "TransitionMatrix",
    "classify_lifecycle",
    "lifecycle_history",
    "stage_flows",
    "transition_matrix",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]

#: The stage set, youngest first (the order of the categorical).
STAGES: Final[tuple[str, ...]] = ("new", "reactivated", "active", "at_risk", "dormant", "churned")
STAGE_DTYPE: Final = pd.CategoricalDtype(list(STAGES), ordered=True)
NEW, REACTIVATED, ACTIVE, AT_RISK, DORMANT, CHURNED = range(6)
BASES: Final[tuple[str, ...]] = ("fixed", "quantile", "mean_sd")
GAP_SOURCES: Final[tuple[str, ...]] = ("own", "population", "fixed")
GAP_DTYPE: Final = pd.CategoricalDtype(list(GAP_SOURCES))
NS_PER_DAY: Final = 86_400 * 10**9
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


# --------------------------------------------------------------------------- the policy


def _number(owner: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(owner, name, expected="a number", found=repr(value))
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(owner, name, expected="a finite number", found=repr(value))
    return number


def _order(owner: str, lower_name: str, lower: float, name: str, value: float) -> None:
    if not value > lower:
        raise ConfigError(
            owner,
            name,
            expected=f"greater than {lower_name} ({lower:g}): thresholds must be in order",
            found=f"{value:g}",
            hint="Order them new_days <= at_risk_days < dormant_days < churned_days.",
        )


def _stage_keys(value: object) -> tuple[str, ...]:
    """Converter of ``stages``: any sequence of stage keys to a tuple (checked after)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(
            "LifecyclePolicy",
            "stages",
            expected=f"a list of stage keys out of {list(STAGES)}",
            found=repr(value),
        )
    return tuple(value)


def _stage_labels(value: object) -> tuple[tuple[str, str], ...]:
    """Converter of ``labels``: a partial mapping key -> name to all six (key, name) pairs."""
    if value is None:
        return tuple((key, key) for key in STAGES)
    pairs = isinstance(value, (tuple, list)) and all(
        isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in value
    )
    if isinstance(value, Mapping) or pairs:
        given: dict[Any, Any] = dict(value)  # type: ignore[call-overload]
    else:
        raise ConfigError(
            "LifecyclePolicy",
            "labels",
            expected="a mapping from stage key to its name, e.g. {'dormant': 'sleeping'}",
            found=type(value).__name__,
        )
    unknown = [key for key in given if key not in STAGES]
    if unknown:
        raise ConfigError(
            "LifecyclePolicy",
            "labels",
            expected=f"keys out of {list(STAGES)}",
            found=repr(unknown[0]),
        )
    for key, name in given.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(
                "LifecyclePolicy",
                "labels",
                expected=f"a non-empty name for stage {key!r}",
                found=repr(name),
            )
    return tuple((key, given.get(key, key)) for key in STAGES)


_NUMBER_FIELDS: Final = (
    "new_days",
    "at_risk_days",
    "dormant_days",
    "churned_days",
    "reactivated_days",
    "quantile",
    "k",
    "dormant_multiple",
    "churned_multiple",
)


@attrs.frozen
class LifecyclePolicy:
    """The lifecycle stage rules, as data: validated when built, JSON round-trip.

    The defaults are the retail practice of the domain notes: a customer is new for 30
    days after the first purchase, at risk ("about to sleep") after 90 days without a
    purchase, dormant ("sleeping") after 180 (half a year: the sleepers a comeback coupon
    is for), churned ("lost") after 365, and reactivated for 90 days after buying again
    having been dormant or churned.

    The stage set is data too: ``stages`` picks which of the six stages a policy uses
    (``active`` is required; a stage left out hands its customers to the stage below it on
    the ladder active < at_risk < dormant < churned, a left-out ``new`` or ``reactivated``
    simply never applies), and ``labels`` renames them, e.g. to the domain notes' terms
    (新客, 活跃, 流失, ...) or a company's own. The ``stage`` categorical of every result has
    the policy's stage names as its ordered categories.

    Attributes:
        basis: How the at-risk, dormant and churned thresholds are set.
            ``"fixed"``: ``at_risk_days``, ``dormant_days``, ``churned_days`` for everyone.
            ``"quantile"``: at risk when recency reaches the ``quantile`` of the customer's
            own gaps between purchase days (linear interpolation, numpy's default);
            ``"mean_sd"``: when it reaches their mean gap plus ``k`` standard deviations
            (population SD, ``ddof=0``). Under both relative bases dormant starts at
            ``dormant_multiple`` and churned at ``churned_multiple`` times that figure,
            rounded to a millionth of a day.
        new_days: A customer is new while fewer days than this have passed since the
            first purchase day (0 turns ``new`` off).
        at_risk_days: Fixed at-risk threshold (days without a purchase).
        dormant_days: Fixed dormant threshold; also, under every basis, the gap that makes
            a purchase a wake-up (so a wake-up stays one whatever happens later).
        churned_days: Fixed churned threshold.
        reactivated_days: How long a customer stays reactivated after a wake-up purchase
            (0 turns ``reactivated`` off).
        quantile: The quantile of the ``"quantile"`` basis, in (0, 1].
        k: The number of standard deviations of the ``"mean_sd"`` basis, >= 0.
        dormant_multiple: Relative bases: dormant threshold / at-risk threshold, > 1.
        churned_multiple: Relative bases: churned threshold / at-risk threshold, greater
            than ``dormant_multiple``.
        min_gaps: Relative bases: customers with fewer gaps of their own than this (one-time
            buyers, always) use the typical gap of the population's pooled gaps. When the
            population has no gaps at all, the fixed thresholds apply.
        timezone: IANA zone in which naive dates and ``as_of`` are read and calendar days
            are counted; ``None`` keeps the data's own (naive wall time, or the zone of
            aware data).
        stages: The stage keys in use, youngest first, a subset of ``("new",
            "reactivated", "active", "at_risk", "dormant", "churned")`` in that order and
            with ``"active"`` (default: all six). Thresholds of a left-out stage still
            apply to the stages around it; ``dormant_days`` still defines a wake-up.
        labels: The name of each stage key in results (a mapping; keys not given keep
            their key as name; stored as ``(key, name)`` pairs of all six keys, and
            written by :meth:`to_dict` as a mapping). Names in use must be distinct.

    Raises:
        ConfigError: A value of the wrong kind or range, or thresholds out of order (the
            message names the threshold that breaks the order).

    Examples:
        >>> from crmkit.segmentation import LifecyclePolicy
        >>> policy = LifecyclePolicy()
        >>> policy.at_risk_days, policy.dormant_days, policy.churned_days
        (90.0, 180.0, 365.0)
        >>> LifecyclePolicy.from_dict(policy.to_dict()) == policy
        True

        The domain notes' terms, with "at risk" folded into active:

        >>> zh = LifecyclePolicy(
        ...     stages=["new", "reactivated", "active", "dormant", "churned"],
        ...     labels={"new": "新客", "reactivated": "回流", "active": "活跃",
        ...             "dormant": "沉睡", "churned": "流失"})
        >>> zh.stage_names
        ('新客', '回流', '活跃', '沉睡', '流失')
        >>> zh.classify(["2025-01-02", "2025-03-01"], as_of="2025-07-01").stage
        '活跃'
        >>> LifecyclePolicy(at_risk_days=200)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: LifecyclePolicy: parameter 'dormant_days' must be greater than at_risk_days (200): thresholds must be in order; found 180. Order them new_days <= at_risk_days < dormant_days < churned_days.
    """

    basis: str = "fixed"
    new_days: float = 30.0
    at_risk_days: float = 90.0
    dormant_days: float = 180.0
    churned_days: float = 365.0
    reactivated_days: float = 90.0
    quantile: float = 0.8
    k: float = 1.0
    dormant_multiple: float = 2.0
    churned_multiple: float = 4.0
    min_gaps: int = 1
    timezone: str | None = None
    stages: tuple[str, ...] = attrs.field(default=STAGES, converter=_stage_keys)
    labels: tuple[tuple[str, str], ...] = attrs.field(default=None, converter=_stage_labels)

    def __attrs_post_init__(self) -> None:
        owner = "LifecyclePolicy"
        # Numbers are checked before anything else and stored as floats; a bool or a
        # string ("90") is refused rather than converted.
        for field in _NUMBER_FIELDS:
            object.__setattr__(self, field, _number(owner, field, getattr(self, field)))
        if self.basis not in BASES:
            raise ConfigError(
                owner, "basis", expected=f"one of {list(BASES)}", found=repr(self.basis)
            )
        for name in (
            "new_days",
            "at_risk_days",
            "dormant_days",
            "churned_days",
            "reactivated_days",
        ):
            value = _number(owner, name, getattr(self, name))
            if value < 0:
                raise ConfigError(owner, name, expected="a number of days >= 0", found=f"{value:g}")
        if not self.at_risk_days > 0:
            raise ConfigError(owner, "at_risk_days", expected="> 0", found=f"{self.at_risk_days:g}")
        if self.new_days > self.at_risk_days:
            raise ConfigError(
                owner,
                "new_days",
                expected=f"at most at_risk_days ({self.at_risk_days:g}): thresholds must be in order",
                found=f"{self.new_days:g}",
                hint="Order them new_days <= at_risk_days < dormant_days < churned_days.",
            )
        _order(owner, "at_risk_days", self.at_risk_days, "dormant_days", self.dormant_days)
        _order(owner, "dormant_days", self.dormant_days, "churned_days", self.churned_days)
        q = _number(owner, "quantile", self.quantile)
        if not 0 < q <= 1:
            raise ConfigError(owner, "quantile", expected="in (0, 1]", found=f"{q:g}")
        if _number(owner, "k", self.k) < 0:
            raise ConfigError(owner, "k", expected=">= 0", found=f"{self.k:g}")
        if not _number(owner, "dormant_multiple", self.dormant_multiple) > 1:
            raise ConfigError(
                owner,
                "dormant_multiple",
                expected="greater than 1 (the at-risk threshold): thresholds must be in order",
                found=f"{self.dormant_multiple:g}",
            )
        _order(
            owner,
            "dormant_multiple",
            self.dormant_multiple,
            "churned_multiple",
            _number(owner, "churned_multiple", self.churned_multiple),
        )
        if (
            isinstance(self.min_gaps, bool)
            or not isinstance(self.min_gaps, (int, np.integer))
            or self.min_gaps < 1
        ):
            raise ConfigError(owner, "min_gaps", expected="an int >= 1", found=repr(self.min_gaps))
        if self.timezone is not None:
            if not isinstance(self.timezone, str):
                raise ConfigError(
                    owner,
                    "timezone",
                    expected="an IANA zone name or None",
                    found=repr(self.timezone),
                )
            resolve_timezone(self.timezone, owner)
        for i, key in enumerate(self.stages):
            if key not in STAGES:
                raise ConfigError(
                    owner, "stages", expected=f"stage keys out of {list(STAGES)}", found=repr(key)
                )
            if key in self.stages[:i]:
                raise ConfigError(
                    owner, "stages", expected="each stage once", found=f"{key!r} twice"
                )
            if i and STAGES.index(key) < STAGES.index(self.stages[i - 1]):
                raise ConfigError(
                    owner,
                    "stages",
                    expected=f"youngest first, in the order {list(STAGES)}",
                    found=f"{key!r} after {self.stages[i - 1]!r}",
                )
        if "active" not in self.stages:
            raise ConfigError(
                owner,
                "stages",
                expected="a stage set with 'active' (the stage the others fall back to)",
                found=repr(list(self.stages)),
            )
        names = self.stage_names
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ConfigError(
                    owner,
                    "labels",
                    expected="distinct names for the stages in use",
                    found=f"{name!r} for both {self.stages[names.index(name)]!r} and "
                    f"{self.stages[i]!r}",
                )

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The names of the stages in use, youngest first: the ``stage`` categories.

        Examples:
            >>> LifecyclePolicy().stage_names
            ('new', 'reactivated', 'active', 'at_risk', 'dormant', 'churned')
            >>> LifecyclePolicy(labels={"dormant": "sleeping"}).stage_names[4]
            'sleeping'
        """
        names = dict(self.labels)
        return tuple(names[key] for key in self.stages)

    @property
    def stage_dtype(self) -> pd.CategoricalDtype:
        """The ordered categorical dtype of the ``stage`` columns under this policy.

        Examples:
            >>> LifecyclePolicy(stages=["active", "dormant", "churned"]).stage_dtype
            CategoricalDtype(categories=['active', 'dormant', 'churned'], ordered=True, categories_dtype=str)
        """
        return pd.CategoricalDtype(list(self.stage_names), ordered=True)

    def stage_key(self, stage: str) -> str:
        """The stage key (``"dormant"``, ...) of a stage key or name of this policy.

        Raises:
            ConfigError: ``stage`` is neither a key nor a name of a stage in use.

        Examples:
            >>> LifecyclePolicy(labels={"dormant": "沉睡"}).stage_key("沉睡")
            'dormant'
        """
        if stage in self.stage_names:
            return self.stages[self.stage_names.index(stage)]
        if stage in self.stages:
            return stage
        raise ConfigError(
            "LifecyclePolicy",
            "stage",
            expected=f"a stage of the policy, one of {list(self.stage_names)}",
            found=repr(stage),
        )

    def _code_map(self) -> npt.NDArray[np.int8]:
        """Canonical stage code (0..5, and -1 at index 6) -> category code of this policy."""
        out = np.full(len(STAGES) + 1, -1, dtype=np.int8)
        for position, key in enumerate(self.stages):
            out[STAGES.index(key)] = position
        return out

    def _categorical(self, codes: npt.NDArray[np.int8]) -> pd.Categorical:
        """Canonical codes (-1: no stage) as this policy's stage categorical."""
        return pd.Categorical.from_codes(self._code_map()[codes], dtype=self.stage_dtype)

    @property
    def zone(self) -> dt.tzinfo | None:
        """The zone object of :attr:`timezone` (``None`` when unset).

        Examples:
            >>> LifecyclePolicy(timezone="Asia/Shanghai").zone
            zoneinfo.ZoneInfo(key='Asia/Shanghai')
        """
        return None if self.timezone is None else resolve_timezone(self.timezone, "LifecyclePolicy")

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a JSON-ready dict (every field, plain types).

        Examples:
            >>> LifecyclePolicy(basis="quantile").to_dict()["basis"]
            'quantile'
        """
        out = attrs.asdict(self)
        out["min_gaps"] = int(self.min_gaps)
        out["stages"] = list(self.stages)
        out["labels"] = dict(self.labels)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LifecyclePolicy:
        """Build a policy from :meth:`to_dict` output; unknown keys are a ConfigError.

        Missing keys take their defaults, so ``{"dormant_days": 150}`` is a whole policy.

        Examples:
            >>> LifecyclePolicy.from_dict({"dormant_days": 150}).dormant_days
            150.0
            >>> LifecyclePolicy.from_dict({"dormant": 150})
            Traceback (most recent call last):
            ...
            crmkit.errors.ConfigError: LifecyclePolicy.from_dict(): parameter 'dormant' must be one of ['at_risk_days', 'basis', 'churned_days', 'churned_multiple', 'dormant_days', 'dormant_multiple', 'k', 'labels', 'min_gaps', 'new_days', 'quantile', 'reactivated_days', 'stages', 'timezone']; found an unknown key.
        """
        allowed = {f.name for f in attrs.fields(cls)}
        check_keys(data, "LifecyclePolicy.from_dict()", allowed=allowed)
        return cls(**dict(data))

    def classify(
        self,
        purchases: Iterable[object] | object,
        *,
        as_of: object,
        population_gap_days: float | None = None,
    ) -> StageResult:
        """Return one customer's stage from their purchase dates: the batch rules exactly.

        Args:
            purchases: The customer's purchase dates or datetimes: a list, tuple, pandas
                Series or numpy array of ``datetime``, ``date``, ``Timestamp``,
                ``datetime64`` or ISO strings, or a single one of them (any order; several
                on one day count as one purchase day; those after ``as_of`` are ignored and
                counted in ``excluded_purchases``). The first and last purchase, the
                purchase days and the gaps all come from this one argument.
            as_of: The instant to classify at (a ``datetime.date`` or ``"YYYY-MM-DD"``
                means the end of that day).
            population_gap_days: Relative bases: the population's typical gap, used when
                the customer has fewer than ``min_gaps`` gaps of their own. Take it from
                ``classify_lifecycle(...).attrs["population_gap_days"]`` to reproduce a
                batch run. When None, such a customer gets the fixed thresholds
                (``gap_source == "fixed"``), as in a batch whose population has no gaps.

        Returns:
            A :class:`StageResult` with the stage and the figures behind it.

        Raises:
            InvalidInputError: No purchase up to ``as_of``, an unreadable date, or mixed
                naive and aware datetimes.
            ConfigError: ``population_gap_days`` is not a positive number.

        Examples:
            A half-year sleeper: last purchase on 1 January, classified on 10 July.

            >>> from crmkit.segmentation import LifecyclePolicy
            >>> r = LifecyclePolicy().classify(["2024-11-20", "2025-01-01"], as_of="2025-07-10")
            >>> r.stage, r.recency_days, r.dormant_after_days
            ('dormant', 190, 180.0)
            >>> LifecyclePolicy().classify(
            ...     ["2024-11-20", "2025-01-01", "2025-07-05"], as_of="2025-07-10").stage
            'reactivated'
        """
        owner = "LifecyclePolicy.classify()"
        if isinstance(purchases, (str, dt.date, np.datetime64)):
            values: list[object] = [purchases]  # one purchase (pd.Timestamp is a date too)
        elif isinstance(purchases, Iterable):
            values = list(purchases)
        else:
            raise InvalidInputError(
                owner,
                "purchases",
                expected="purchase dates or datetimes (a list, Series or array)",
                found=type(purchases).__name__,
                kind="",
            )
        if not values:
            raise InvalidInputError(
                owner, "purchases", expected="at least one purchase date", found="none", kind=""
            )
        # Named "purchases" so that the shared checks' messages name the argument; their
        # "rows" are positions in ``purchases``.
        frame = pd.DataFrame(
            {"customer": np.zeros(len(values), dtype=np.int64), "purchases": values}
        )
        log, excluded = _prepare_log(
            frame,
            customer="customer",
            date="purchases",
            amount=None,
            policy=self,
            owner=owner,
            as_of=as_of,
        )
        if len(log.ids) == 0:
            raise InvalidInputError(
                owner,
                "purchases",
                expected="at least one purchase up to as_of",
                found="only later ones",
                kind="",
            )
        pop = (
            None
            if population_gap_days is None
            else _number(owner, "population_gap_days", population_gap_days)
        )
        if pop is not None and not pop > 0:
            raise ConfigError(owner, "population_gap_days", expected="> 0", found=f"{pop:g}")
        n_inc = log.counts.copy()
        own = _own_typical(log, n_inc, self, take=None)
        snap = _snapshot(log, n_inc, log.cut.day, policy=self, own=own, population=pop)
        wake = snap.last_wake[0]
        return StageResult(
            stage=self.stage_names[int(self._code_map()[snap.codes[0]])],
            first_purchase=_stamp(int(log.first_ns[0]), log.zone),
            last_purchase=_stamp(int(log.last_ns[snap.last_idx[0]]), log.zone),
            purchase_days=int(n_inc[0]),
            recency_days=int(snap.recency[0]),
            tenure_days=int(snap.tenure[0]),
            typical_gap_days=None if np.isnan(snap.typical[0]) else float(snap.typical[0]),
            gap_source=GAP_SOURCES[int(snap.source[0])],
            at_risk_after_days=float(snap.at_risk[0]),
            dormant_after_days=float(snap.dormant[0]),
            churned_after_days=float(snap.churned[0]),
            last_wake_up=None if wake < 0 else _stamp(int(log.first_ns[wake]), log.zone),
            excluded_purchases=excluded.future,
        )


@attrs.frozen
class StageResult:
    """One customer's lifecycle stage and the figures that decided it.

    Attributes:
        stage: One of the policy's ``stage_names``.
        first_purchase: The first purchase instant.
        last_purchase: The last purchase instant up to ``as_of``.
        purchase_days: Distinct days with a purchase.
        recency_days: Days from the last purchase day to the ``as_of`` day.
        tenure_days: Days from the first purchase day to the ``as_of`` day.
        typical_gap_days: The typical gap of a relative basis (None under ``"fixed"``).
        gap_source: ``"own"`` (the customer's gaps), ``"population"`` or ``"fixed"``.
        at_risk_after_days: The at-risk threshold used for this customer.
        dormant_after_days: The dormant threshold used.
        churned_after_days: The churned threshold used.
        last_wake_up: The last wake-up purchase (None if never woken).
        excluded_purchases: Purchases after ``as_of``, left out.

    Examples:
        >>> from crmkit.segmentation import LifecyclePolicy
        >>> LifecyclePolicy().classify(["2025-06-20"], as_of="2025-07-01").stage
        'new'
    """

    stage: str
    first_purchase: pd.Timestamp
    last_purchase: pd.Timestamp
    purchase_days: int
    recency_days: int
    tenure_days: int
    typical_gap_days: float | None
    gap_source: str
    at_risk_after_days: float
    dormant_after_days: float
    churned_after_days: float
    last_wake_up: pd.Timestamp | None
    excluded_purchases: int = 0


# --------------------------------------------------------------------------- time


@attrs.frozen
class Cut:
    """An instant to classify at: exclusive cutoffs (UTC and wall ns), its day, a label."""

    instant: int  # rows with instant ns < this are included
    wall: int  # the same cutoff in wall-clock ns of the zone
    day: int  # the as_of calendar day (days since 1970-01-01, wall clock)
    label: pd.Timestamp
    whole_day: bool = False  # given as a date: the end of that day

    def __str__(self) -> str:
        return str(self.label.date()) if self.whole_day else str(self.label)


def make_cut(value: object, zone: dt.tzinfo | None, owner: str, field: str) -> Cut:
    """Read ``value`` (date, datetime, Timestamp, ISO string) as a cutoff in ``zone``.

    A ``datetime.date`` (or a ``"YYYY-MM-DD"`` string) means the end of that day; a
    datetime is an instant (naive ones read in ``zone``). ``zone=None`` means the data are
    naive wall times, and an aware ``value`` is then an error.
    """
    if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
        with contextlib.suppress(ValueError):  # not a calendar date: pd.Timestamp says so
            value = dt.date.fromisoformat(value.strip())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = (value - dt.date(1970, 1, 1)).days
        wall = (day + 1) * NS_PER_DAY
        if zone is None:
            instant = wall
        else:
            nxt = pd.Timestamp(value + dt.timedelta(days=1)).tz_localize(
                zone, ambiguous=False, nonexistent="shift_forward"
            )
            instant = int(nxt.as_unit("ns").value)
        return Cut(instant=instant, wall=wall, day=day, label=pd.Timestamp(value), whole_day=True)
    if value is None or value is pd.NaT or isinstance(value, (bool, int, float)):
        raise InvalidInputError(
            owner, field, expected="a date or datetime", found=repr(value), kind=""
        )
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise InvalidInputError(
            owner, field, expected="a date or datetime", found=repr(value), kind=""
        ) from err
    if pd.isna(stamp):
        raise InvalidInputError(owner, field, expected="a date or datetime", found="NaT", kind="")
    stamp = stamp.as_unit("ns")
    if zone is None:
        if stamp.tzinfo is not None:
            raise InvalidInputError(
                owner,
                field,
                expected="naive like the data's dates",
                found="a timezone-aware datetime",
                kind="",
                hint="Pass a naive datetime, or set the policy's timezone to read both in one zone.",
            )
        wall = int(stamp.value)
        return Cut(instant=wall + 1, wall=wall + 1, day=wall // NS_PER_DAY, label=stamp)
    aware = pd.Timestamp(as_aware(stamp, zone, owner, field)).as_unit("ns")
    if stamp.tzinfo is None:
        aware = stamp.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")
    wall = int(aware.tz_localize(None).value)
    return Cut(instant=int(aware.value) + 1, wall=wall + 1, day=wall // NS_PER_DAY, label=aware)


def _stamp(ns: int, zone: dt.tzinfo | None) -> pd.Timestamp:
    stamp = pd.Timestamp(ns, unit="ns")
    return stamp if zone is None else stamp.tz_localize("UTC").tz_convert(zone)


def _stamps(ns: I64, zone: dt.tzinfo | None) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    return index if zone is None else index.tz_localize("UTC").tz_convert(zone)


@attrs.frozen
class Excluded:
    """Rows left out: after the cutoff, or not purchases (amount <= 0)."""

    future: int = 0
    non_purchase: int = 0


def read_log(
    transactions: object,
    *,
    customer: str,
    date: str,
    amount: str | None,
    timezone: str | None,
    owner: str,
    read: Mapping[str, Any] | None = None,
) -> TransactionLog:
    """The transactions as a :class:`TransactionLog` (the one reader; input untouched).

    ``read`` holds the other reading keywords (``refunds``, ``zero_amount``,
    ``date_format``, ``date_unit``, ``order``).
    """
    return as_log(
        transactions,
        owner,
        customer=customer,
        date=date,
        amount=amount,
        timezone=timezone,
        **dict(read or {}),
    )


# --------------------------------------------------------------------------- occasions


@attrs.frozen(eq=False)
class Log:
    """Purchase days (occasions) sorted by customer then day, with per-customer offsets."""

    ids: pd.Index
    code: I64  # customer code per occasion
    day: I64  # wall-clock day per occasion
    first_ns: I64  # first purchase instant of the occasion
    last_ns: I64  # last purchase instant of the occasion
    start: I64  # offsets: occasions of customer c are start[c]:start[c+1]
    zone: dt.tzinfo | None
    cut: Cut

    @property
    def counts(self) -> I64:
        """Occasions per customer."""
        return np.diff(self.start)

    @property
    def gap(self) -> I64:
        """Days since the previous occasion of the same customer (0 for a first one)."""
        gap = np.zeros(len(self.day), dtype=np.int64)
        if len(gap) > 1:
            gap[1:] = self.day[1:] - self.day[:-1]
        gap[self.start[:-1][self.counts > 0]] = 0
        return gap


def argsort_keys(key: I64) -> I64:
    """A stable argsort of non-negative int64 keys, through numpy's fast (SIMD) value sort.

    The row position is packed into the low bits of each key, so sorting the values sorts
    by (key, position): the same order as a stable argsort, several times faster.
    """
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    bits = max(int(n - 1).bit_length(), 1)
    top = int(key.max())
    if int(key.min()) < 0 or top.bit_length() + bits > 62:
        return np.argsort(key, kind="stable")
    packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
    return packed & ((1 << bits) - 1)


def build_log(rows: TransactionLog, keep: npt.NDArray[np.bool_], cut: Cut) -> Log:
    """Group the kept rows into occasions, sorted by (customer, day): the one sort."""
    if keep.all():
        code, day, inst = rows.codes, rows.days(), rows.instants_ns()
    else:
        code, day, inst = rows.codes[keep], rows.days()[keep], rows.instants_ns()[keep]
    if len(code) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Log(
            ids=rows.ids[:0], code=empty, day=empty, first_ns=empty, last_ns=empty,
            start=np.zeros(1, dtype=np.int64), zone=rows.zone, cut=cut,
        )  # fmt: skip
    # Keep only customers with a purchase here, relabelled densely in id order.
    present = np.zeros(len(rows.ids), dtype=bool)
    present[code] = True
    ids = rows.ids
    if not present.all():
        code = (np.cumsum(present) - 1)[code]
        ids = rows.ids[present]
    lo = int(day.min())
    span = int(day.max()) - lo + 1
    n = len(code)
    bits = max(int(n - 1).bit_length(), 1)
    if (span * len(ids)).bit_length() + bits <= 62:
        # One value sort of (customer, day, row) packed in an int64: the sorted keys give
        # customer and day directly, only the instants need gathering.
        packed = np.sort(((code * span + (day - lo)) << bits) | np.arange(n, dtype=np.int64))
        order = packed & ((1 << bits) - 1)
        key = packed >> bits
    else:  # pragma: no cover - needs ~10^13 customer-days
        order = np.lexsort((day, code))
        key = code[order] * span + (day[order] - lo)
    inst = inst[order]
    new = np.ones(n, dtype=bool)
    np.not_equal(key[1:], key[:-1], out=new[1:])
    heads = np.flatnonzero(new)
    first_ns = np.minimum.reduceat(inst, heads)
    last_ns = np.maximum.reduceat(inst, heads)
    occ_code, occ_day = np.divmod(key[heads], span)
    counts = np.bincount(occ_code, minlength=len(ids))
    start = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    return Log(
        ids=ids,
        code=occ_code,
        day=occ_day + lo,
        first_ns=first_ns,
        last_ns=last_ns,
        start=start,
        zone=rows.zone,
        cut=cut,
    )


def _prepare_log(
    transactions: object,
    *,
    customer: str,
    date: str,
    amount: str | None,
    policy: LifecyclePolicy,
    owner: str,
    as_of: object,
    read: Mapping[str, Any] | None = None,
) -> tuple[Log, Excluded]:
    rows = read_log(
        transactions,
        customer=customer,
        date=date,
        amount=amount,
        timezone=policy.timezone,
        owner=owner,
        read=read,
    )
    cut = make_cut(as_of, rows.zone, owner, "as_of")
    before = rows.instants_ns() < cut.instant
    keep = before & rows.purchase
    excluded = Excluded(
        future=int((~before).sum()), non_purchase=int((before & ~rows.purchase).sum())
    )
    return build_log(rows, keep, cut), excluded


# --------------------------------------------------------------------------- the rules


def grouped_quantile(values: F64, counts: I64, q: float) -> F64:
    """Linear-interpolation quantile of consecutive groups of sorted ``values``.

    ``values`` holds each group's values sorted ascending, groups one after another;
    ``counts`` the group sizes. Empty groups give NaN.
    """
    out = np.full(len(counts), np.nan)
    has = counts > 0
    if not has.any():
        return out
    offsets = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=offsets[1:])
    h = (counts[has] - 1) * q
    lo = np.floor(h).astype(np.int64)
    frac = h - lo
    hi = np.minimum(lo + 1, counts[has] - 1)
    a = values[offsets[has] + lo]
    b = values[offsets[has] + hi]
    out[has] = a + frac * (b - a)
    return out


@attrs.frozen(eq=False)
class GapIndex:
    """The gaps of a log, pre-sorted for quantiles and summed for means (built once)."""

    value_sorted: F64  # gap values, sorted by (customer, gap)
    pos_sorted: I64  # occasion index of each gap, same order
    pool_sorted: F64  # every gap value, sorted ascending
    pool_pos: I64  # occasion index of each pooled gap
    cum1: I64  # cumulative gap sum along occasions
    cum2: I64  # cumulative squared gap sum


def gap_index(log: Log) -> GapIndex:
    """Sort and sum the gaps of ``log`` once, for every snapshot to come."""
    gap = log.gap
    is_gap = np.ones(len(gap), dtype=bool)
    is_gap[log.start[:-1][log.counts > 0]] = False
    pos = np.flatnonzero(is_gap)
    owners = log.code[pos]
    values = gap[pos]
    span = int(values.max()) + 1 if len(values) else 1
    order = argsort_keys(owners * span + values)
    pool = argsort_keys(values)
    return GapIndex(
        value_sorted=values[order].astype(np.float64),
        pos_sorted=pos[order],
        pool_sorted=values[pool].astype(np.float64),
        pool_pos=pos[pool],
        cum1=np.cumsum(gap),
        cum2=np.cumsum(gap * gap),
    )


def _own_typical(
    log: Log,
    n_inc: I64,
    policy: LifecyclePolicy,
    take: npt.NDArray[np.bool_] | None,
    gaps: GapIndex | None = None,
) -> F64:
    """Each customer's typical gap over their first ``n_inc`` occasions (NaN: too few gaps).

    ``take`` marks, in ``gaps.value_sorted`` order, the gaps included (those of the first
    ``n_inc`` occasions of each customer); None when all of them are.
    """
    m = np.maximum(n_inc - 1, 0)
    out = np.full(len(n_inc), np.nan)
    if policy.basis == "fixed":
        return out
    gaps = gap_index(log) if gaps is None else gaps
    enough = m >= policy.min_gaps
    if policy.basis == "quantile":
        vals = gaps.value_sorted if take is None else gaps.value_sorted[take]
        out = grouped_quantile(vals, m, policy.quantile)
    else:
        first = log.start[:-1]
        last = first + np.maximum(n_inc, 1) - 1
        s1 = (gaps.cum1[last] - gaps.cum1[first]).astype(np.float64) if len(first) else np.zeros(0)
        s2 = (gaps.cum2[last] - gaps.cum2[first]).astype(np.float64) if len(first) else np.zeros(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / m
            var = np.maximum(s2 / m - mean * mean, 0.0)
        out = mean + policy.k * np.sqrt(var)
    out[~enough] = np.nan
    return out


def _mean_sd(n: int, s1: int, s2: int, k: float) -> float:
    """Mean + k * population SD from exact integer sums (the same figure on every path)."""
    mean = s1 / n
    return mean + k * math.sqrt(max(s2 / n - mean * mean, 0.0))


def _population_typical(
    gaps: GapIndex, policy: LifecyclePolicy, take: npt.NDArray[np.bool_] | None
) -> float | None:
    """The typical gap of the pooled gaps of every customer (None when there are none).

    ``take`` marks the included gaps in ``gaps.pool_sorted`` order (None: all).
    """
    if policy.basis == "fixed":
        return None
    values = gaps.pool_sorted if take is None else gaps.pool_sorted[take]
    if len(values) == 0:
        return None
    if policy.basis == "quantile":
        return float(grouped_quantile(values, np.array([len(values)]), policy.quantile)[0])
    whole = values.astype(np.int64)
    return _mean_sd(len(whole), int(whole.sum()), int((whole * whole).sum()), policy.k)


@attrs.frozen(eq=False)
class Snapshot:
    """Per-customer arrays of one snapshot."""

    codes: I8
    last_idx: I64
    recency: I64
    tenure: I64
    typical: F64
    source: I8
    at_risk: F64
    dormant: F64
    churned: F64
    last_wake: I64  # occasion index of the last wake-up, -1 when none


def wake_index(log: Log, policy: LifecyclePolicy) -> I64:
    """For each occasion, the index of the latest wake-up up to it in its customer (-1: none)."""
    gap = log.gap
    wake = gap >= policy.dormant_days
    wake[log.start[:-1][log.counts > 0]] = False
    idx = np.where(wake, np.arange(len(gap)), -1)
    latest = np.maximum.accumulate(idx) if len(idx) else idx
    own_first = log.start[:-1][log.code] if len(idx) else idx
    return np.where(latest >= own_first, latest, -1)


def _snapshot(
    log: Log,
    n_inc: I64,
    as_of_day: int,
    *,
    policy: LifecyclePolicy,
    own: F64,
    population: float | None,
    wakes: I64 | None = None,
) -> Snapshot:
    """Apply the stage rules to every customer, given how many occasions each has so far."""
    n = len(n_inc)
    has = n_inc > 0
    first = log.start[:-1]
    last = first + np.maximum(n_inc, 1) - 1
    if n and len(log.day):
        last = np.minimum(last, len(log.day) - 1)
        recency = as_of_day - log.day[last]
        tenure = as_of_day - log.day[first.clip(max=len(log.day) - 1)]
    else:
        recency = np.zeros(n, dtype=np.int64)
        tenure = np.zeros(n, dtype=np.int64)
    # Thresholds: fixed, or the customer's typical gap, else the population's.
    if policy.basis == "fixed":
        typical = np.full(n, np.nan)
        source = np.full(n, 2, dtype=np.int8)
        at_risk = np.full(n, policy.at_risk_days)
        dormant = np.full(n, policy.dormant_days)
        churned = np.full(n, policy.churned_days)
        # Scalars compare faster than arrays; the arrays above are for the reason columns.
        steps = (
            (recency >= policy.at_risk_days).view(np.int8)
            + (recency >= policy.dormant_days).view(np.int8)
            + (recency >= policy.churned_days).view(np.int8)
        )
    else:
        use_own = ~np.isnan(own)
        typical = own.copy()
        source = np.where(use_own, 0, 1).astype(np.int8)
        if population is None:
            source[~use_own] = 2
        else:
            typical[~use_own] = population
        # Rounded to a millionth of a day (< 0.1 s) so that thresholds computed as
        # 36.00000000000001 behave like the 36 days a person computes by hand.
        typical = np.round(typical, 6)
        relative = source < 2
        at_risk = np.where(relative, typical, policy.at_risk_days)
        dormant = np.where(relative, typical * policy.dormant_multiple, policy.dormant_days)
        churned = np.where(relative, typical * policy.churned_multiple, policy.churned_days)
        steps = (
            (recency >= at_risk).view(np.int8)
            + (recency >= dormant).view(np.int8)
            + (recency >= churned).view(np.int8)
        )
    # The wake-up: the latest purchase day after a gap of dormant_days or more.
    wakes = wake_index(log, policy) if wakes is None else wakes
    last_wake = wakes[last] if len(wakes) else np.full(n, -1, dtype=np.int64)
    last_wake = np.where(has, last_wake, -1)
    woke = last_wake >= 0
    wake_day = log.day[np.maximum(last_wake, 0)] if len(log.day) else last_wake

    # Thresholds are in order, so the number reached counts the steps past active.
    if policy.stages == STAGES:
        codes = steps + np.int8(ACTIVE)
    else:  # a left-out threshold stage hands its customers to the one below it
        ladder = np.array([STAGES.index(key) for key in policy.stages], dtype=np.int8)
        fold = np.array([ladder[ladder <= ACTIVE + i].max() for i in range(4)], dtype=np.int8)
        codes = fold[steps]
    if "reactivated" in policy.stages:
        recent = woke & (as_of_day - wake_day < policy.reactivated_days)
        codes[(codes == ACTIVE) & recent] = REACTIVATED
    if "new" in policy.stages:
        codes[tenure < policy.new_days] = NEW
    codes[~has] = -1
    return Snapshot(
        codes=codes,
        last_idx=last,
        recency=recency,
        tenure=tenure,
        typical=typical,
        source=source,
        at_risk=at_risk,
        dormant=dormant,
        churned=churned,
        last_wake=last_wake,
    )


# --------------------------------------------------------------------------- batch: one instant


def classify_lifecycle(
    transactions: pd.DataFrame,
    *,
    as_of: object,
    policy: LifecyclePolicy | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
) -> pd.DataFrame:
    """Return each customer's lifecycle stage at ``as_of``, with the figures behind it.

    Args:
        transactions: One row per purchase (any order; duplicate rows and several
            purchases on one day count as one purchase day). Never modified.
        as_of: The instant to classify at (``datetime``, ``Timestamp``, ISO string); a
            ``datetime.date`` or ``"YYYY-MM-DD"`` means the end of that day. Rows after it
            are excluded and counted in ``attrs["future_rows"]``.
        policy: The rules; :class:`LifecyclePolicy` defaults when None.
        customer: Customer id column.
        date: Purchase date column (naive or aware; see ``LifecyclePolicy.timezone``).
        amount: Optional amount column; when given, only rows with a positive amount are
            purchases (refund and zero rows are excluded and counted in
            ``attrs["non_purchase_rows"]``).

    Returns:
        One row per customer with a purchase up to ``as_of``, indexed by customer id:
        ``stage`` (ordered categorical of the policy's ``stage_names``), ``first_purchase``, ``last_purchase``,
        ``purchase_days``, ``recency_days``, ``tenure_days``, ``typical_gap_days`` (NaN
        under the fixed basis), ``gap_source`` (own / population / fixed),
        ``at_risk_after_days``, ``dormant_after_days``, ``churned_after_days`` (the
        thresholds used) and ``last_wake_up`` (NaT if never woken). ``attrs`` holds
        ``as_of`` (a Timestamp), ``future_rows``, ``non_purchase_rows``,
        ``population_gap_days`` (None under the fixed basis or when nobody has a gap) and
        ``policy`` (its dict).

    Raises:
        SchemaError: A named column is missing or not dates/numbers.
        InvalidInputError: Empty input, missing ids or dates, mixed naive/aware dates,
            an aware ``as_of`` for naive data.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import classify_lifecycle
        >>> tx = pd.DataFrame({
        ...     "customer_id": ["ann", "ann", "bob", "cy", "dee", "dee"],
        ...     "date": pd.to_datetime(["2025-01-05", "2025-06-20", "2024-12-01",
        ...                             "2025-06-15", "2024-05-01", "2025-05-20"]),
        ... })
        >>> out = classify_lifecycle(tx, as_of="2025-06-30")
        >>> out[["stage", "recency_days", "tenure_days"]]
                      stage  recency_days  tenure_days
        customer_id
        ann          active            10          176
        bob         dormant           211          211
        cy              new            15           15
        dee     reactivated            41          425
    """
    owner = "classify_lifecycle()"
    policy = _policy(policy, owner)
    log, excluded = _prepare_log(
        transactions,
        customer=customer,
        date=date,
        amount=amount,
        policy=policy,
        owner=owner,
        as_of=as_of,
    )
    n_inc = log.counts
    gaps = gap_index(log) if policy.basis != "fixed" else None
    own = _own_typical(log, n_inc, policy, take=None, gaps=gaps)
    population = None if gaps is None else _population_typical(gaps, policy, None)
    snap = _snapshot(log, n_inc, log.cut.day, policy=policy, own=own, population=population)
    wake = snap.last_wake
    wake_ns = np.where(wake >= 0, log.first_ns[np.maximum(wake, 0)] if len(wake) else wake, 0)
    last_wake_up = _stamps(wake_ns, log.zone).where(wake >= 0)
    result = pd.DataFrame(
        {
            "stage": policy._categorical(snap.codes),
            "first_purchase": _stamps(
                log.first_ns[log.start[:-1]] if len(log.ids) else log.first_ns, log.zone
            ),
            "last_purchase": _stamps(
                log.last_ns[snap.last_idx] if len(log.ids) else log.last_ns, log.zone
            ),
            "purchase_days": n_inc,
            "recency_days": snap.recency,
            "tenure_days": snap.tenure,
            "typical_gap_days": snap.typical,
            "gap_source": pd.Categorical.from_codes(snap.source, dtype=GAP_DTYPE),
            "at_risk_after_days": snap.at_risk,
            "dormant_after_days": snap.dormant,
            "churned_after_days": snap.churned,
            "last_wake_up": last_wake_up,
        },
        index=log.ids,
    )
    result.attrs.update(
        as_of=log.cut.label,
        future_rows=excluded.future,
        non_purchase_rows=excluded.non_purchase,
        population_gap_days=population,
        policy=policy.to_dict(),
    )
    return result


def _policy(policy: object, owner: str) -> LifecyclePolicy:
    if policy is None:
        return LifecyclePolicy()
    if not isinstance(policy, LifecyclePolicy):
        raise ConfigError(
            owner, "policy", expected="a LifecyclePolicy", found=type(policy).__name__
        )
    return policy


# --------------------------------------------------------------------------- batch: many instants


_FREQS: Final[Mapping[str, str]] = {"D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y"}


def _snapshot_cuts(
    rows: TransactionLog,
    *,
    at: object,
    freq: str | None,
    start: object,
    end: object,
    owner: str,
) -> list[Cut]:
    if (at is None) == (freq is None):
        raise ConfigError(
            owner,
            "at",
            expected="given, or freq given (exactly one of them)",
            found="both" if at is not None else "neither",
        )
    if at is not None:
        if isinstance(at, (str, dt.date)) or not isinstance(at, Iterable):
            raise ConfigError(
                owner, "at", expected="a list of dates or datetimes", found=type(at).__name__
            )
        cuts = [make_cut(value, rows.zone, owner, "at") for value in at]
        if not cuts:
            raise ConfigError(owner, "at", expected="at least one snapshot", found="an empty list")
    else:
        if freq not in _FREQS:
            raise ConfigError(owner, "freq", expected=f"one of {list(_FREQS)}", found=repr(freq))
        row_days = rows.days()
        buying = row_days[rows.purchase] if rows.purchase.any() else row_days
        first_day = _day_of(start, rows, owner, "start") if start is not None else int(buying.min())
        last_day = _day_of(end, rows, owner, "end") if end is not None else int(buying.max())
        periods = pd.period_range(
            pd.Timestamp(first_day, unit="D"),
            pd.Timestamp(last_day, unit="D"),
            freq=_FREQS[str(freq)],
        )
        days = [p.end_time.date() for p in periods]
        days = [d for d in days if (d - dt.date(1970, 1, 1)).days <= last_day]
        if not days:
            raise ConfigError(
                owner,
                "freq",
                expected="a period that ends between start and end",
                found=f"none for {freq!r}",
            )
        cuts = [make_cut(d, rows.zone, owner, "at") for d in days]
    labels = [c.label for c in cuts]
    if len(set(labels)) != len(labels):
        raise ConfigError(owner, "at", expected="distinct snapshots", found="a repeated one")
    return sorted(cuts, key=lambda c: c.instant)


def _day_of(value: object, rows: TransactionLog, owner: str, field: str) -> int:
    return make_cut(value, rows.zone, owner, field).day


def history_arrays(
    log: Log, cuts: Sequence[Cut], policy: LifecyclePolicy | None
) -> tuple[list[I8], list[I64]]:
    """Stage codes (when ``policy`` is given) and occasion counts per customer per snapshot.

    Occasions are sorted by day within each customer, so the occasions that count at a
    snapshot are a prefix of each customer's list: one pass adds each snapshot's new
    occasions to running counts, and every rule reads the prefix end.
    """
    cutoffs = np.array([c.instant for c in cuts], dtype=np.int64)
    bucket = np.searchsorted(cutoffs, log.first_ns, side="right").astype(np.int64)
    order = argsort_keys(bucket)
    bounds = np.searchsorted(bucket[order], np.arange(len(cuts) + 1), side="left")
    n_inc = np.zeros(len(log.ids), dtype=np.int64)
    gaps = gap_index(log) if policy is not None and policy.basis != "fixed" else None
    wakes = wake_index(log, policy) if policy is not None else None
    if gaps is not None:
        small: npt.NDArray[np.integer[Any]] = bucket.astype(
            np.int16 if len(cuts) < 2**15 else np.int64
        )
        own_bucket = small[gaps.pos_sorted]
        pool_bucket = small[gaps.pool_pos]
        pooled = gaps.pool_sorted.astype(np.int64)
        per_bucket = np.bincount(pool_bucket, minlength=len(cuts))
        pool_n = np.cumsum(per_bucket)
        pool_s1 = np.cumsum(np.bincount(pool_bucket, weights=pooled, minlength=len(cuts)))
        pool_s2 = np.cumsum(np.bincount(pool_bucket, weights=pooled * pooled, minlength=len(cuts)))
    codes: list[I8] = []
    counts: list[I64] = []
    for j, cut in enumerate(cuts):
        arrived = log.code[order[bounds[j] : bounds[j + 1]]]
        n_inc = n_inc + np.bincount(arrived, minlength=len(log.ids))
        counts.append(n_inc)
        if policy is None:
            continue
        own, population = np.full(len(log.ids), np.nan), None
        if gaps is not None:
            # Gap buckets in each sorted order were read once: a snapshot compares, no gathers.
            last = j == len(cuts) - 1
            quantile = policy.basis == "quantile"
            take = None if last or not quantile else own_bucket <= j
            own = _own_typical(log, n_inc, policy, take=take, gaps=gaps)
            if quantile:
                population = _population_typical(gaps, policy, None if last else pool_bucket <= j)
            elif pool_n[j] > 0:
                population = _mean_sd(int(pool_n[j]), int(pool_s1[j]), int(pool_s2[j]), policy.k)
        snap = _snapshot(
            log, n_inc, cut.day, policy=policy, own=own, population=population, wakes=wakes
        )
        codes.append(snap.codes)
    return codes, counts


def prepare_history(
    transactions: object,
    *,
    at: object,
    freq: str | None,
    start: object,
    end: object,
    customer: str,
    date: str,
    amount: str | None,
    timezone: str | None,
    owner: str,
    read: Mapping[str, Any] | None = None,
) -> tuple[Log, list[Cut], Excluded]:
    """Validate, pick the snapshots, and build the occasion log up to the last one."""
    rows = read_log(
        transactions, customer=customer, date=date, amount=amount, timezone=timezone,
        owner=owner, read=read,
    )  # fmt: skip
    cuts = _snapshot_cuts(rows, at=at, freq=freq, start=start, end=end, owner=owner)
    before = rows.instants_ns() < cuts[-1].instant
    keep = before & rows.purchase
    excluded = Excluded(
        future=int((~before).sum()), non_purchase=int((before & ~rows.purchase).sum())
    )
    return build_log(rows, keep, cuts[-1]), cuts, excluded


def lifecycle_history(
    transactions: pd.DataFrame,
    *,
    at: Iterable[object] | None = None,
    freq: str | None = None,
    start: object = None,
    end: object = None,
    policy: LifecyclePolicy | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
) -> pd.DataFrame:
    """Return each customer's stage at each of several snapshots (sorted once, vectorised).

    The stage at a snapshot is exactly ``classify_lifecycle(transactions, as_of=snapshot)``
    for that customer: it depends only on the purchases up to the snapshot.

    Args:
        transactions: One row per purchase; never modified.
        at: The snapshots (dates mean the end of the day, datetimes are instants).
        freq: Instead of ``at``: one snapshot at the last day of every complete period,
            ``"D"``, ``"W"`` (weeks ending Sunday), ``"M"``, ``"Q"`` or ``"Y"``, from the
            period of ``start`` (default: the first purchase) to the last period that ends
            by ``end`` (default: the last purchase day).
        start: First day for ``freq``.
        end: Last day for ``freq``.
        policy: The rules; :class:`LifecyclePolicy` defaults when None.
        customer: Customer id column.
        date: Purchase date column.
        amount: Optional amount column: only positive rows are purchases.

    Returns:
        Indexed by customer id, one column per snapshot in time order (labelled with the
        snapshot as a Timestamp; a date becomes midnight of that day), each an ordered
        categorical of the policy's ``stage_names``; NaN where the customer had not
        bought yet. ``attrs`` holds
        ``future_rows`` (rows after the last snapshot), ``non_purchase_rows`` and
        ``policy``.

    Raises:
        ConfigError: Neither or both of ``at`` and ``freq``, an unknown ``freq``, repeated
            snapshots, or no complete period.
        InvalidInputError: As :func:`classify_lifecycle`.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
        ...                    "date": pd.to_datetime(["2025-01-10", "2025-08-01", "2025-03-01"])})
        >>> h = lifecycle_history(tx, at=["2025-01-31", "2025-06-30", "2025-09-30"])
        >>> print(h.to_string())
        snapshot    2025-01-31 2025-06-30   2025-09-30
        customer_id
        1                  new    at_risk  reactivated
        2                  NaN    at_risk      dormant
    """
    owner = "lifecycle_history()"
    policy = _policy(policy, owner)
    log, cuts, excluded = prepare_history(
        transactions, at=at, freq=freq, start=start, end=end, customer=customer, date=date,
        amount=amount, timezone=policy.timezone, owner=owner,
    )  # fmt: skip
    codes, _ = history_arrays(log, cuts, policy)
    columns = pd.Index([c.label for c in cuts], name="snapshot")
    data = {i: policy._categorical(code) for i, code in enumerate(codes)}
    result = pd.DataFrame(data, index=log.ids)
    result.columns = columns
    result.attrs.update(
        future_rows=excluded.future,
        non_purchase_rows=excluded.non_purchase,
        policy=policy.to_dict(),
    )
    return result


# --------------------------------------------------------------------------- transitions


def _history_codes(history: object, owner: str) -> tuple[pd.DataFrame, pd.CategoricalDtype]:
    """The history frame and its stage dtype (every column the same ordered categorical)."""
    frame = require_frame(history, owner, "history")
    dtype: pd.CategoricalDtype | None = None
    for column in frame.columns:
        this = frame[column].dtype
        if (
            not isinstance(this, pd.CategoricalDtype)
            or not this.ordered
            or (dtype is not None and this != dtype)
        ):
            raise InvalidInputError(
                owner,
                str(column),
                expected="a lifecycle stage categorical (lifecycle_history output), the same "
                "in every column",
                found=f"dtype {this}",
            )
        dtype = this
    return frame, dtype if dtype is not None else STAGE_DTYPE


def _column(frame: pd.DataFrame, value: object, owner: str, field: str) -> Any:
    columns: list[Any] = list(frame.columns)
    candidates: list[Any] = [value]
    with contextlib.suppress(TypeError, ValueError):
        candidates.insert(0, pd.Timestamp(value))  # type: ignore[arg-type]
    for candidate in candidates:
        if candidate in columns:
            return candidate
    shown = [str(c.date()) if isinstance(c, pd.Timestamp) else str(c) for c in columns[:6]]
    raise ConfigError(
        owner, field, expected=f"a snapshot of the history, e.g. {shown}", found=repr(value)
    )


@attrs.frozen(eq=False)
class TransitionMatrix:
    """Stage-to-stage flows between two snapshots of a :func:`lifecycle_history`.

    Attributes:
        start: The first snapshot.
        end: The second snapshot.
        counts: Customers by stage at ``start`` (rows) and at ``end`` (columns); every row
            sums to that stage's count at ``start``.
        shares: ``counts`` divided by the row totals (NaN for a stage nobody was in).
        entered: Stage at ``end`` of the customers who first bought after ``start``.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history, transition_matrix
        >>> tx = pd.DataFrame({"customer_id": [1, 2, 2],
        ...                    "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-04-20"])})
        >>> h = lifecycle_history(tx, at=["2025-01-31", "2025-05-31"])
        >>> tm = transition_matrix(h, "2025-01-31", "2025-05-31")
        >>> int(tm.counts.loc["new", "at_risk"]), int(tm.counts.loc["new", "active"])
        (1, 1)
    """

    start: pd.Timestamp
    end: pd.Timestamp
    counts: pd.DataFrame
    shares: pd.DataFrame
    entered: pd.Series


def transition_matrix(history: pd.DataFrame, start: object, end: object) -> TransitionMatrix:
    """Count stage-to-stage moves between two snapshots of a :func:`lifecycle_history`.

    Args:
        history: The output of :func:`lifecycle_history` (its stage categories, the
            policy's, are the rows and columns).
        start: The earlier snapshot (a column label, or a date/string naming it).
        end: The later snapshot.

    Returns:
        A :class:`TransitionMatrix`: counts, row shares, and the stages of new arrivals.

    Raises:
        ConfigError: A snapshot that is not in the history, or ``end`` not after ``start``.
        InvalidInputError: ``history`` is not a lifecycle history.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history, transition_matrix
        >>> tx = pd.DataFrame({"customer_id": [1, 2, 3],
        ...                    "date": pd.to_datetime(["2024-01-02", "2024-09-20", "2025-04-20"])})
        >>> h = lifecycle_history(tx, at=["2024-12-31", "2025-06-30"])
        >>> tm = transition_matrix(h, "2024-12-31", "2025-06-30")
        >>> int(tm.counts.loc["dormant", "churned"]), int(tm.counts.loc["at_risk", "dormant"])
        (1, 1)
        >>> int(tm.entered["active"])  # customer 3 first bought in April
        1
    """
    owner = "transition_matrix()"
    frame, dtype = _history_codes(history, owner)
    a = _column(frame, start, owner, "start")
    b = _column(frame, end, owner, "end")
    columns: list[Any] = list(frame.columns)
    if columns.index(b) <= columns.index(a):
        raise ConfigError(owner, "end", expected=f"a snapshot after start ({a})", found=repr(end))
    s = frame[a].cat.codes.to_numpy(dtype=np.int64)
    e = frame[b].cat.codes.to_numpy(dtype=np.int64)
    both = (s >= 0) & (e >= 0)
    k = len(dtype.categories)
    grid = np.bincount(s[both] * k + e[both], minlength=k * k).reshape(k, k)
    names = pd.CategoricalIndex(list(dtype.categories), dtype=dtype)
    counts = pd.DataFrame(
        grid,
        index=names.rename("stage at start"),
        columns=names.rename("stage at end"),
    )
    totals = grid.sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals > 0, grid / totals, np.nan)
    shares = pd.DataFrame(share, index=counts.index, columns=counts.columns)
    arrived = (s < 0) & (e >= 0)
    entered = pd.Series(
        np.bincount(e[arrived], minlength=k), index=names.rename("stage at end"), name="customers"
    )
    return TransitionMatrix(
        start=pd.Timestamp(a),
        end=pd.Timestamp(b),
        counts=counts,
        shares=shares,
        entered=entered,
    )


def stage_flows(history: pd.DataFrame) -> pd.DataFrame:
    """Return every stage-to-stage flow between consecutive snapshots, for plotting.

    Args:
        history: The output of :func:`lifecycle_history` (two or more snapshots).

    Returns:
        Columns ``from_snapshot``, ``to_snapshot``, ``from_stage``, ``to_stage`` (ordered
        stage categoricals; ``from_stage`` is missing for customers who first bought
        between the two snapshots) and ``customers``; only flows with customers, ordered
        by snapshot then stages (a Sankey or alluvial plot reads it directly).

    Raises:
        InvalidInputError: ``history`` is not a lifecycle history.
        ConfigError: Fewer than two snapshots.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history, stage_flows
        >>> tx = pd.DataFrame({"customer_id": [1, 2],
        ...                    "date": pd.to_datetime(["2025-01-02", "2025-02-10"])})
        >>> flows = stage_flows(lifecycle_history(tx, at=["2025-01-31", "2025-02-28"]))
        >>> print(flows[["from_stage", "to_stage", "customers"]].to_string(index=False))
        from_stage to_stage  customers
               new   active          1
               NaN      new          1
    """
    owner = "stage_flows()"
    frame, dtype = _history_codes(history, owner)
    if frame.shape[1] < 2:
        raise ConfigError(
            owner, "history", expected="at least two snapshots", found=f"{frame.shape[1]}"
        )
    k = len(dtype.categories)
    parts = []
    for a, b in zip(frame.columns[:-1], frame.columns[1:], strict=True):
        s = frame[a].cat.codes.to_numpy(dtype=np.int64)
        e = frame[b].cat.codes.to_numpy(dtype=np.int64)
        ok = e >= 0
        origin = np.where(s < 0, k, s)  # arrivals after every stage
        grid = np.bincount(origin[ok] * k + e[ok], minlength=(k + 1) * k)
        nz = np.flatnonzero(grid)
        from_code = np.where(nz // k == k, -1, nz // k)
        parts.append(
            pd.DataFrame(
                {
                    "from_snapshot": a,
                    "to_snapshot": b,
                    "from_stage": pd.Categorical.from_codes(from_code, dtype=dtype),
                    "to_stage": pd.Categorical.from_codes(nz % k, dtype=dtype),
                    "customers": grid[nz].astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
