"""Lifecycle stage policy: the rules as data (:class:`LifecyclePolicy`) and one result.

The stages and how they are decided are described in :mod:`crmkit.segmentation._lifecycle_engine`
and on the docs page "How lifecycle stages are decided".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit import _spec
from crmkit._jsonable import ResultDict
from crmkit._validate import resolve_timezone
from crmkit.errors import ConfigError, InvalidInputError

__all__ = ["AliveRule", "LifecyclePolicy", "StageResult"]

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]

#: The stage set, youngest first (the order of the categorical).
STAGES: Final[tuple[str, ...]] = ("new", "reactivated", "active", "at_risk", "dormant", "churned")
STAGE_DTYPE: Final = pd.CategoricalDtype(list(STAGES), ordered=True)
NEW, REACTIVATED, ACTIVE, AT_RISK, DORMANT, CHURNED = range(6)
BASES: Final[tuple[str, ...]] = ("fixed", "quantile", "mean_sd", "p_alive")
GAP_SOURCES: Final[tuple[str, ...]] = ("own", "population", "fixed", "model")
GAP_DTYPE: Final = pd.CategoricalDtype(list(GAP_SOURCES))
NS_PER_DAY: Final = 86_400 * 10**9


# --------------------------------------------------------------------------- the policy


def _number(owner: str, name: str, value: object) -> float:
    """A finite real number (not a bool) argument, as a float (for call arguments)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(owner, name, expected="a number", found=repr(value))
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(owner, name, expected="a finite number", found=repr(value))
    return number


def _days(value: Any) -> Any:
    """Converter of the number fields: a real number (not a bool) as a float; else as is.

    A bool or a string (``"90"``) is left for the validator to refuse, not converted.
    """
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    return value


def _whole(value: Any) -> Any:
    """Converter of ``min_gaps``: a numpy integer as a Python int; else as is."""
    return int(value) if isinstance(value, np.integer) else value


_IN_ORDER = "Thresholds must be in order: new_days <= at_risk_days < dormant_days < churned_days."
_DAYS = _spec.number(min=0)


def _stages_ok(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = "LifecyclePolicy"
    for i, key in enumerate(value):
        if key not in STAGES:
            raise ConfigError(
                owner, "stages", expected=f"stage keys out of {list(STAGES)}", found=repr(key)
            )
        if key in value[:i]:
            raise ConfigError(owner, "stages", expected="each stage once", found=f"{key!r} twice")
        if i and STAGES.index(key) < STAGES.index(value[i - 1]):
            raise ConfigError(
                owner,
                "stages",
                expected=f"youngest first, in the order {list(STAGES)}",
                found=f"{key!r} after {value[i - 1]!r}",
            )
    if "active" not in value:
        raise ConfigError(
            owner,
            "stages",
            expected="a stage set with 'active' (the stage the others fall back to)",
            found=repr(list(value)),
        )


def _labels_ok(instance: LifecyclePolicy, attribute: attrs.Attribute[Any], value: Any) -> None:
    names = instance.stage_names
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(
                "LifecyclePolicy",
                "labels",
                expected="distinct names for the stages in use",
                found=f"{name!r} for both {instance.stages[names.index(name)]!r} and "
                f"{instance.stages[i]!r}",
            )


def _label_map(value: Any) -> Any:
    return dict(value)


def _as_is(data: Any) -> Any:
    return data


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


# --------------------------------------------------------------------------- P(alive) rule


def _count_models() -> dict[str, Any]:
    """The count models whose P(alive) a lifecycle rule may use, by JSON ``kind``.

    Imported on first use: a policy without a model never loads scipy.
    """
    from crmkit.segmentation._bgnbd import BetaGeoFit, ModifiedBetaGeoFit
    from crmkit.segmentation._pareto_nbd import ParetoNBDFit

    return {"bg_nbd": BetaGeoFit, "mbg_nbd": ModifiedBetaGeoFit, "pareto_nbd": ParetoNBDFit}


def _model_kind(model: object) -> str | None:
    return next((k for k, c in _count_models().items() if type(model) is c), None)


def _model_ok(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and _model_kind(value) is None:
        raise ConfigError(
            "AliveRule",
            "model",
            expected="a fitted BetaGeoFit, ModifiedBetaGeoFit or ParetoNBDFit, or None "
            "(P(alive) given with each call)",
            found=type(value).__name__,
        )


def _encode_model(model: Any) -> Any:
    if model is None:
        return None
    fields = {k: v for k, v in model.to_dict().items() if k != _spec.SCHEMA_KEY}
    return {"kind": _model_kind(model), **fields}


def _decode_model(data: Any) -> Any:
    if data is None:
        return None
    models = _count_models()
    if not isinstance(data, Mapping) or data.get("kind") not in models:
        raise ConfigError(
            "AliveRule.from_dict()",
            "model.kind",
            expected=f"one of {sorted(models)}",
            found=repr(data.get("kind") if isinstance(data, Mapping) else data),
        )
    rest = {k: v for k, v in data.items() if k != "kind"}
    return models[str(data["kind"])].from_dict(rest)


_P = _spec.number(min=0, max=1)
_P_ORDER = "Thresholds must be in order: churned_below < dormant_below < at_risk_below."


@attrs.frozen
class AliveRule(_spec.Spec):
    """Lifecycle stages from a count model's P(alive): the ``"p_alive"`` basis of a policy.

    A customer is at risk once P(alive) falls below ``at_risk_below``, dormant below
    ``dormant_below`` and churned below ``churned_below`` (``new`` and ``reactivated``
    keep their day rules). P(alive) comes from ``model`` at the classification instant,
    computed from the same occasion log as every other basis: ``frequency`` = purchase
    days - 1, ``recency`` = days from the first to the last purchase day, ``T`` = days
    from the first purchase day to the ``as_of`` day, both divided by the days in one
    period of the model's ``time_unit`` (7 for weeks). These are exactly the columns of
    ``btyd_summary(transactions, freq="D", freq_multiplier=days_per_period,
    as_of=as_of)`` for a log without zero-amount rows (``btyd_summary`` counts every row,
    as lifetimes does; the stages count purchases): fit the model on such a summary.

    Prefer MBG/NBD or Pareto/NBD: BG/NBD says a one-time buyer is surely alive
    (P(alive) = 1 at any age), so its one-time buyers never leave ``active``. On CDNOW as
    of 1998-06-30 (BG/NBD fitted there: r 0.268, alpha 5.998, a 0.483, b 2.109, weeks)
    that makes 18,197 customers ``active`` with a median of 482 days since their last
    purchase, 11,989 of them one-time buyers last seen 221 to 545 days before. Under the
    other two a one-time buyer's P(alive) still has a floor (on CDNOW as of 1998-06-30,
    0.28 under MBG/NBD, 0.27 under Pareto/NBD), so with the default thresholds they stop
    at ``at_risk`` however long ago they bought, while ``churned`` holds frequent buyers
    the model finds late (MBG/NBD: at risk 13,837 customers, median 496 days since the
    last purchase; churned 838, median 445 days and 4 purchase days, some 64 days on).
    The stages say what the model says, not how long ago a customer bought (the day
    basis says that).

    Attributes:
        model: A fitted :class:`~crmkit.segmentation.ModifiedBetaGeoFit`,
            :class:`~crmkit.segmentation.ParetoNBDFit` or
            :class:`~crmkit.segmentation.BetaGeoFit` (stored in JSON with a ``kind`` of
            ``"mbg_nbd"``, ``"pareto_nbd"`` or ``"bg_nbd"``), or None: then P(alive) is
            given with each call (``classify_lifecycle(..., p_alive=series)``,
            ``policy.classify(..., p_alive=0.4)``).
        at_risk_below: At risk when P(alive) < this (in [0, 1]).
        dormant_below: Dormant when P(alive) < this (below ``at_risk_below``).
        churned_below: Churned when P(alive) < this (below ``dormant_below``).

    Raises:
        ConfigError: A threshold outside [0, 1] or out of order, or a model of another
            kind.

    Examples:
        >>> from crmkit.segmentation import AliveRule, LifecyclePolicy, ParetoNBDFit
        >>> fit = ParetoNBDFit(params={"r": 0.553, "alpha": 10.578, "s": 0.606,
        ...                            "beta": 11.669}, time_unit="weeks")
        >>> policy = LifecyclePolicy(basis="p_alive", alive=AliveRule(model=fit))
        >>> r = policy.classify(["2025-01-06", "2025-02-03"], as_of="2025-09-30")
        >>> r.stage, round(r.p_alive, 4), r.tenure_days, r.recency_days
        ('dormant', 0.2338, 267, 239)

        That is the model's P(alive) of frequency 1, recency 28 days = 4 weeks and T 267
        days:

        >>> round(fit.probability_alive(1, 4, 267 / 7), 4)
        0.2338
        >>> LifecyclePolicy.from_dict(policy.to_dict()) == policy
        True
        >>> policy.to_dict()["alive"]["model"]["kind"]
        'pareto_nbd'
        >>> AliveRule(at_risk_below=0.2, dormant_below=0.3)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: AliveRule: parameter 'dormant_below' must be less than at_risk_below (0.2); found 0.3. Thresholds must be in order: churned_below < dormant_below < at_risk_below.
    """

    # Fitted models hold dicts (unhashable): the hash leaves the model out, equality not.
    model: Any = attrs.field(
        default=None,
        validator=_model_ok,
        hash=False,
        metadata=_spec.metadata(
            codec=_spec.Custom(_encode_model, _decode_model, "a fitted count model or None")
        ),
    )
    at_risk_below: float = attrs.field(
        default=0.5, converter=_days, validator=_P, metadata=_spec.metadata()
    )
    dormant_below: float = attrs.field(
        default=0.25,
        converter=_days,
        validator=[_P, _spec.bounded_by("at_risk_below", below=True, strict=True, hint=_P_ORDER)],
        metadata=_spec.metadata(),
    )
    churned_below: float = attrs.field(
        default=0.1,
        converter=_days,
        validator=[_P, _spec.bounded_by("dormant_below", below=True, strict=True, hint=_P_ORDER)],
        metadata=_spec.metadata(),
    )

    @property
    def days_per_period(self) -> float:
        """Days in one period of the model's time unit (1 without a model).

        Examples:
            >>> from crmkit.segmentation import AliveRule, ModifiedBetaGeoFit
            >>> fit = ModifiedBetaGeoFit(params={"r": 0.525, "alpha": 6.183, "a": 0.891,
            ...                                  "b": 1.614}, time_unit="weeks")
            >>> AliveRule(model=fit).days_per_period
            7.0
        """
        from crmkit.segmentation._model import DAYS_PER_UNIT

        return 1.0 if self.model is None else DAYS_PER_UNIT[self.model.time_unit]

    def probability_alive(self, purchase_days: Any, recency_days: Any, tenure_days: Any) -> F64:
        """The model's P(alive) of customers with these purchase days, recency and tenure.

        ``recency_days`` is the days since the last purchase day, ``tenure_days`` since
        the first (the lifecycle columns); vectorised over arrays.

        Raises:
            ConfigError: The rule has no model.

        Examples:
            >>> from crmkit.segmentation import AliveRule, BetaGeoFit
            >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793,
            ...                          "b": 2.426}, time_unit="weeks")
            >>> AliveRule(model=fit).probability_alive([3, 1], [59, 100], [272, 100]).round(4)
            array([0.7266, 1.    ])
            >>> round(fit.probability_alive(2, (272 - 59) / 7, 272 / 7), 4)
            0.7266
        """
        if self.model is None:
            raise ConfigError(
                "AliveRule",
                "model",
                expected="a fitted count model to compute P(alive)",
                found="None",
                hint="Give the rule a fitted count model (AliveRule(model=fit)). Only "
                "classify_lifecycle() and LifecyclePolicy.classify() can instead take "
                "P(alive) per customer with the call (p_alive=...).",
            )
        n = np.asarray(purchase_days, dtype=np.float64)
        recency = np.asarray(recency_days, dtype=np.float64)
        tenure = np.asarray(tenure_days, dtype=np.float64)
        scale = self.days_per_period
        x = np.maximum(n - 1.0, 0.0)
        tx = (tenure - recency) / scale
        big_t = tenure / scale
        with np.errstate(all="ignore"):
            alive = self.model._alive(x, tx, big_t, np.zeros_like(big_t))
        return np.asarray(np.clip(alive, 0.0, 1.0), dtype=np.float64)


def _alive_ok(instance: LifecyclePolicy, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, AliveRule):
        raise ConfigError(
            "LifecyclePolicy", "alive", expected="an AliveRule or None", found=type(value).__name__
        )
    if (instance.basis == "p_alive") != (value is not None):
        raise ConfigError(
            "LifecyclePolicy",
            "alive",
            expected="an AliveRule exactly when basis is 'p_alive'",
            found=f"{'None' if value is None else 'a rule'} with basis {instance.basis!r}",
        )


@attrs.frozen
class LifecyclePolicy(_spec.Spec):
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
            rounded to a millionth of a day. ``"p_alive"``: by a count model's
            probability that the customer is still active, with the thresholds of
            ``alive`` (an :class:`AliveRule`) instead of days.
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
        alive: The :class:`AliveRule` of the ``"p_alive"`` basis (required with it, None
            with every other basis; left out of :meth:`to_dict` when None).

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
        crmkit.errors.ConfigError: LifecyclePolicy: parameter 'dormant_days' must be greater than at_risk_days (200); found 180. Thresholds must be in order: new_days <= at_risk_days < dormant_days < churned_days.

        Stored as JSON with every field (``labels`` as a mapping); missing keys take
        their defaults, unknown keys are errors:

        >>> LifecyclePolicy(stages=["active", "dormant", "churned"]).to_dict()
        {'schema_version': 1, 'basis': 'fixed', 'new_days': 30.0, 'at_risk_days': 90.0, 'dormant_days': 180.0, 'churned_days': 365.0, 'reactivated_days': 90.0, 'quantile': 0.8, 'k': 1.0, 'dormant_multiple': 2.0, 'churned_multiple': 4.0, 'min_gaps': 1, 'timezone': None, 'stages': ['active', 'dormant', 'churned'], 'labels': {'new': 'new', 'reactivated': 'reactivated', 'active': 'active', 'at_risk': 'at_risk', 'dormant': 'dormant', 'churned': 'churned'}}
        >>> LifecyclePolicy.from_dict({"dormant_days": 150}).dormant_days
        150.0
        >>> LifecyclePolicy.from_dict({"dormant": 150})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: LifecyclePolicy.from_dict(): parameter 'dormant' must be one of ['alive', 'at_risk_days', 'basis', 'churned_days', 'churned_multiple', 'dormant_days', 'dormant_multiple', 'k', 'labels', 'min_gaps', 'new_days', 'quantile', 'reactivated_days', 'schema_version', 'stages', 'timezone']; found an unknown key.
    """

    basis: str = _spec.field(default="fixed", validator=_spec.one_of(BASES))
    new_days: float = attrs.field(
        default=30.0,
        converter=_days,
        validator=[_DAYS, _spec.bounded_by("at_risk_days", below=True, hint=_IN_ORDER)],
        metadata=_spec.metadata(),
    )
    at_risk_days: float = attrs.field(
        default=90.0,
        converter=_days,
        validator=_spec.number(min=0, min_open=True),
        metadata=_spec.metadata(),
    )
    dormant_days: float = attrs.field(
        default=180.0,
        converter=_days,
        validator=[_DAYS, _spec.bounded_by("at_risk_days", strict=True, hint=_IN_ORDER)],
        metadata=_spec.metadata(),
    )
    churned_days: float = attrs.field(
        default=365.0,
        converter=_days,
        validator=[_DAYS, _spec.bounded_by("dormant_days", strict=True, hint=_IN_ORDER)],
        metadata=_spec.metadata(),
    )
    reactivated_days: float = attrs.field(
        default=90.0, converter=_days, validator=_DAYS, metadata=_spec.metadata()
    )
    quantile: float = attrs.field(
        default=0.8,
        converter=_days,
        validator=_spec.number(min=0, max=1, min_open=True),
        metadata=_spec.metadata(),
    )
    k: float = attrs.field(
        default=1.0, converter=_days, validator=_spec.number(min=0), metadata=_spec.metadata()
    )
    dormant_multiple: float = attrs.field(
        default=2.0,
        converter=_days,
        validator=[
            _spec.number(),
            _spec.predicate(
                lambda v: v > 1,
                "greater than 1 (the at-risk threshold)",
                hint="Thresholds must be in order: 1 < dormant_multiple < churned_multiple.",
            ),
        ],
        metadata=_spec.metadata(),
    )
    churned_multiple: float = attrs.field(
        default=4.0,
        converter=_days,
        validator=[
            _spec.number(),
            _spec.bounded_by(
                "dormant_multiple",
                strict=True,
                hint="Thresholds must be in order: 1 < dormant_multiple < churned_multiple.",
            ),
        ],
        metadata=_spec.metadata(),
    )
    min_gaps: int = attrs.field(
        default=1, converter=_whole, validator=_spec.whole(min=1), metadata=_spec.metadata()
    )
    timezone: str | None = _spec.field(default=None, validator=_spec.timezone(optional=True))
    stages: tuple[str, ...] = attrs.field(
        default=STAGES,
        converter=_stage_keys,
        validator=_stages_ok,
        metadata=_spec.metadata(codec=_spec.Seq()),
    )
    labels: tuple[tuple[str, str], ...] = attrs.field(
        default=None,
        converter=_stage_labels,
        validator=_labels_ok,
        metadata=_spec.metadata(
            codec=_spec.Custom(_label_map, _as_is, "a mapping from stage key to its name")
        ),
    )
    alive: AliveRule | None = _spec.field(
        default=None,
        validator=_alive_ok,
        codec=_spec.Optional(_spec.Nested(AliveRule)),
        omit_default=True,
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
    def uses_gaps(self) -> bool:
        """Whether the thresholds come from purchase gaps (bases ``quantile``, ``mean_sd``).

        Examples:
            >>> LifecyclePolicy().uses_gaps, LifecyclePolicy(basis="quantile").uses_gaps
            (False, True)
        """
        return self.basis in {"quantile", "mean_sd"}

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

    def classify(
        self,
        purchases: Iterable[object] | object,
        *,
        as_of: object,
        population_gap_days: float | None = None,
        p_alive: float | None = None,
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
                ``classify_lifecycle(..., amount=None).attrs["population_gap_days"]`` to reproduce a
                batch run. When None, such a customer gets the fixed thresholds
                (``gap_source == "fixed"``), as in a batch whose population has no gaps.
            p_alive: Basis ``"p_alive"`` with a rule without a model: the customer's
                P(alive) at ``as_of`` (in [0, 1]); must be None otherwise.

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
        from crmkit.segmentation._lifecycle_engine import (
            _own_typical,
            _prepare_log,
            _snapshot,
            _stamp,
            given_alive,
        )

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
        alive = given_alive(self, owner, None if p_alive is None else pd.Series([p_alive]))
        n_inc = log.counts.copy()
        own = _own_typical(log, n_inc, self, take=None)
        snap = _snapshot(log, n_inc, log.cut.day, policy=self, own=own, population=pop, alive=alive)
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
            p_alive=None if snap.alive is None else float(snap.alive[0]),
        )


@attrs.frozen
class StageResult(ResultDict):
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
        p_alive: P(alive) at ``as_of`` under the ``"p_alive"`` basis (else None).

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
    p_alive: float | None = None
