"""The fit -> frozen fitted-model protocol shared by RFM scoring and the CLV models.

Every learnable thing in :mod:`crmkit.segmentation` follows one shape, the scikit-learn
split between settings and what is learned:

* a **model** (an *estimator*) is a frozen value that holds options only, e.g.
  ``BetaGeoModel(penalizer=0.0, time_unit="weeks")`` or ``RFMScorer(bins=5)``;
* ``model.fit(data)`` returns a **new frozen fitted model** and never mutates the model
  or the data;
* both round-trip through JSON with ``to_dict()`` / ``from_dict()``.

The likelihood models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, sBG, Gamma-Gamma) add what a
modeller expects from a fit (:class:`LikelihoodFit`): ``params``, ``standard_errors``
from the Hessian, ``log_likelihood``, convergence information and the data's
``time_unit``. This module holds the protocols, the shared fit record :class:`FitInfo`,
the one optimiser wrapper and the numerically stable special functions the models use.

Examples:
    >>> from crmkit.segmentation import BetaGeoModel, RFMScorer
    >>> isinstance(BetaGeoModel(), Estimator), isinstance(RFMScorer(), Estimator)
    (True, True)
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, Protocol, TypeVar, runtime_checkable

import attrs
import numpy as np
import pandas as pd

from crmkit._spec import (
    Map,
    Nested,
    Optional,
    Spec,
    field,
    instance_of,
    number,
    one_of,
    predicate,
    whole,
)
from crmkit._validate import check_not_empty, first_labels, require_columns, require_frame
from crmkit._validate import numeric_column as _numeric_column
from crmkit.errors import ConfigError, InvalidInputError, NotFittedError

__all__ = [
    "TIME_UNITS",
    "Estimator",
    "FitInfo",
    "FittedModel",
    "LikelihoodFit",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Time units a fitted model's ``recency``/``T`` (and ``t`` in predictions) are counted in,
#: with how many of them make one month (365.25 / 12 days). CLV horizons and discount
#: rates are monthly; these factors turn months into the model's unit.
TIME_UNITS: Mapping[str, float] = {
    "hours": 730.5,
    "days": 30.4375,
    "weeks": 30.4375 / 7,
    "months": 1.0,
    "quarters": 1.0 / 3.0,
    "years": 1.0 / 12.0,
}

#: Days in one period of each time unit (the inverse view of :data:`TIME_UNITS`).
DAYS_PER_UNIT: Mapping[str, float] = {
    "hours": 1.0 / 24.0,
    "days": 1.0,
    "weeks": 7.0,
    "months": 30.4375,
    "quarters": 91.3125,
    "years": 365.25,
}


# ---------------------------------------------------------------------------- protocols
@runtime_checkable
class Estimator(Protocol):
    """Options that learn from data: ``fit(data)`` returns a new frozen fitted model.

    Examples:
        >>> from crmkit.segmentation import GammaGammaModel
        >>> isinstance(GammaGammaModel(), Estimator)
        True
    """

    def fit(self, data: Any, /) -> Any:
        """Learn from ``data``; return a new fitted model, mutating nothing."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready data."""
        ...


@runtime_checkable
class FittedModel(Protocol):
    """What :meth:`Estimator.fit` returns: frozen, JSON round-trip (``from_dict`` too).

    Examples:
        >>> from crmkit.segmentation import BetaGeoFit
        >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> isinstance(fit, FittedModel)
        True
    """

    def to_dict(self) -> dict[str, Any]:
        """The learned values as JSON-ready data."""
        ...


@runtime_checkable
class LikelihoodFit(FittedModel, Protocol):
    """A fitted maximum-likelihood model: parameters, standard errors, fit record, unit.

    Examples:
        >>> from crmkit.segmentation import ShiftedBetaGeoFit
        >>> isinstance(ShiftedBetaGeoFit(params={"alpha": 0.7, "beta": 1.2}), LikelihoodFit)
        True
    """

    @property
    def params(self) -> dict[str, float]:
        """The fitted parameters by name."""
        ...

    @property
    def standard_errors(self) -> dict[str, float | None]:
        """Standard errors from the inverse Hessian (None where it is not invertible)."""
        ...

    @property
    def log_likelihood(self) -> float | None:
        """The maximised log-likelihood (None for a model built from given parameters)."""
        ...

    @property
    def time_unit(self) -> str:
        """The unit ``recency``, ``T`` and ``t`` are counted in."""
        ...


# ------------------------------------------------------------------------- fit records
@attrs.frozen
class FitInfo(Spec):
    """How a fit went: the maximised log-likelihood, convergence and the data's size.

    Attributes:
        log_likelihood: The log-likelihood at the estimate (weighted sum over customers,
            without the penalty).
        converged: Whether the optimiser reported success with a small gradient.
        iterations: Optimiser iterations.
        message: The optimiser's message.
        n_customers: Customers fitted (the sum of the weights).
        n_unique: Distinct data rows the likelihood was evaluated on (identical rows are
            fitted once with their count as weight).
        penalizer: The L2 penalty used (0 for plain maximum likelihood).

    Examples:
        >>> info = FitInfo(log_likelihood=-9582.43, converged=True, iterations=30,
        ...                message="ok", n_customers=2357.0, n_unique=1800, penalizer=0.0)
        >>> FitInfo.from_dict(info.to_dict()) == info
        True
    """

    log_likelihood: float = field(validator=number())
    converged: bool = field(validator=one_of((True, False)))
    iterations: int = field(validator=whole(min=0))
    message: str = field(validator=predicate(lambda v: isinstance(v, str), "a string"))
    n_customers: float = field(validator=number(min=0))
    n_unique: int = field(validator=whole(min=0))
    penalizer: float = field(default=0.0, validator=number(min=0))


def _positive_params(names: Sequence[str]) -> Callable[[Any], bool]:
    def ok(value: Any) -> bool:
        if not isinstance(value, Mapping) or sorted(value) != sorted(names):
            return False
        return all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
            for v in value.values()
        )

    return ok


def _float_dict(value: Any) -> dict[str, float]:
    if isinstance(value, Mapping):
        return {
            str(k): (float(v) if isinstance(v, (int, float, np.floating)) else v)
            for k, v in value.items()
        }
    return value  # type: ignore[no-any-return]


def _se_dict(value: Any) -> dict[str, float | None]:
    if isinstance(value, Mapping):
        return {str(k): (None if v is None else float(v)) for k, v in value.items()}
    return value  # type: ignore[no-any-return]


@attrs.frozen
class _Fitted(Spec):
    """Shared fields of every fitted likelihood model (a private base class)."""

    #: The parameter names of the model, in the order the papers write them.
    PARAMS: ClassVar[tuple[str, ...]] = ()
    #: The parameters in the data's units (time or money): fitted on rescaled data, then
    #: multiplied back by the scale (see :func:`fit_model`).
    SCALE_PARAMS: ClassVar[tuple[str, ...]] = ()
    #: Pairs of a shape and its rate (or the two shapes of a Beta) whose joint growth to
    #: infinity (their ratio fixed) is a degenerate limit of the model: no heterogeneity
    #: left in that rate or probability. A fit still climbing along such a ray has no
    #: interior maximum (see :func:`maximise`).
    LIMITS: ClassVar[tuple[tuple[str, str], ...]] = ()

    params: dict[str, float] = field(converter=_float_dict, codec=Map())
    time_unit: str = field(default="days", validator=one_of(tuple(TIME_UNITS)))
    standard_errors: dict[str, float | None] = field(
        factory=dict,
        converter=_se_dict,
        codec=Map(),
        validator=instance_of(dict, "a mapping of parameter names to standard errors"),
    )
    info: FitInfo | None = field(
        default=None,
        codec=Optional(Nested(FitInfo)),
        validator=instance_of(FitInfo, "a FitInfo", optional=True),
    )

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """A model's stored options (no ``params``) are not a fitted model: say so."""
        if "params" not in data and "penalizer" in data:
            raise NotFittedError(
                f"{cls.__name__}.from_dict()",
                "params",
                expected="the parameters of a fitted model",
                found="the options of a model that was not fitted",
                hint="Fit it first: model.fit(summary), then store the result's to_dict().",
            )
        return data

    def __attrs_post_init__(self) -> None:
        names = type(self).PARAMS
        if not _positive_params(names)(self.params):
            raise ConfigError(
                type(self).__name__,
                "params",
                expected=f"finite positive numbers for exactly {list(names)}",
                found=repr(self.params),
            )
        self._check_params()

    def _check_params(self) -> None:
        """Extra constraints of one model (default: none)."""

    @property
    def log_likelihood(self) -> float | None:
        """The maximised log-likelihood, or None when the parameters were given, not fitted."""
        return None if self.info is None else self.info.log_likelihood

    @property
    def converged(self) -> bool | None:
        """Whether the fit converged (None when the parameters were given, not fitted)."""
        return None if self.info is None else self.info.converged

    @property
    def periods_per_month(self) -> float:
        """How many :attr:`time_unit` periods make one month (for CLV horizons)."""
        return TIME_UNITS[self.time_unit]

    def _p(self) -> tuple[float, ...]:
        return tuple(self.params[name] for name in type(self).PARAMS)


def model_options(
    owner: str,
    penalizer: float,
    time_unit: str,
) -> None:
    """Validate the options every likelihood model shares (used by ``__attrs_post_init__``)."""
    if (
        isinstance(penalizer, bool)
        or not isinstance(penalizer, (int, float))
        or not (math.isfinite(penalizer) and penalizer >= 0)
    ):
        raise ConfigError(owner, "penalizer", expected="a number at least 0", found=repr(penalizer))
    if time_unit not in TIME_UNITS:
        raise ConfigError(
            owner, "time_unit", expected=f"one of {list(TIME_UNITS)}", found=repr(time_unit)
        )


# ------------------------------------------------------------------------- data reading
class Columns(NamedTuple):
    """Validated columns of a customer summary, plus its index (for alignment)."""

    labels: pd.Index
    arrays: tuple[FloatArray, ...]
    weights: FloatArray


#: The largest magnitude a summary column may hold: 2**53, past which float64 has no exact
#: whole numbers and the models' arithmetic (counts x spend, powers of T) overflows.
_LARGEST = 2.0**53


def _too_large(index: pd.Index, array: FloatArray, owner: str, column: str) -> None:
    _refuse(index, np.abs(array) > _LARGEST, owner, column, "at most 2**53 (about 9.0e15) in "
            "magnitude", "values too large to compute with")  # fmt: skip


def read_columns(
    data: Any,
    owner: str,
    columns: Sequence[str],
    *,
    weights: str | None = None,
    nonnegative: Sequence[str] = (),
    integral: Sequence[str] = (),
    allow_empty: bool = False,
) -> Columns:
    """Read float columns from a summary frame with the house checks and row labels.

    Fits need rows; predictions (``allow_empty=True``) map an empty frame to an empty
    result, as an empty Dask partition needs.
    """
    frame = require_frame(data, owner, "data")
    require_columns(frame, [*columns, *([weights] if weights else [])], owner)
    if not allow_empty:
        check_not_empty(frame, owner, "data")
    values = []
    for column in columns:
        array = _numeric_column(frame, column, owner)
        _too_large(frame.index, array, owner, column)
        if column in nonnegative:
            _refuse(frame.index, array < 0, owner, column, "at least 0", "negative values")
        if column in integral:
            _refuse(
                frame.index, array != np.round(array), owner, column, "whole numbers", "fractions"
            )
        values.append(array)
    if weights:
        w = _numeric_column(frame, weights, owner)
        _too_large(frame.index, w, owner, weights)
        _refuse(frame.index, w < 0, owner, weights, "at least 0", "negative weights")
    else:
        w = np.ones(len(frame))
    return Columns(frame.index, tuple(values), w)


def _refuse(  # noqa: PLR0917 - private helper over parallel arrays
    index: pd.Index,
    bad: np.ndarray[Any, Any],
    owner: str,
    column: str,
    expected: str,
    what: str,
    *,
    hint: str = "",
    kind: str = "column",
) -> None:
    if bad.any():
        count = int(bad.sum())
        raise InvalidInputError(
            owner,
            column,
            expected=expected,
            found=f"{count} {what}",
            rows=first_labels(index, bad),
            total=count,
            hint=hint,
            kind=kind,
        )


def refuse_rows(  # noqa: PLR0917 - private helper over parallel arrays
    index: pd.Index, bad: np.ndarray[Any, Any], owner: str, column: str, expected: str, what: str
) -> None:
    """Raise InvalidInputError naming the first offending row labels where ``bad``."""
    _refuse(index, bad, owner, column, expected, what)


def refuse_nonfinite(
    index: pd.Index, values: FloatArray, owner: str, quantity: str, params: Mapping[str, float]
) -> None:
    """Raise InvalidInputError where a prediction is not finite: never return NaN silently.

    Valid parameters give finite predictions everywhere the formulas are evaluated
    stably; this names the rows (and the parameters) where that still fails.
    """
    bad = ~np.isfinite(np.asarray(values, dtype=np.float64).ravel())
    shown = {k: float(f"{v:.6g}") for k, v in params.items()}
    _refuse(
        index,
        bad,
        owner,
        quantity,
        "a finite prediction",
        f"values that cannot be computed with params {shown}",
        hint="The parameters are at an extreme where the formula cannot be evaluated; "
        "refit with penalizer=0.001 to keep them moderate.",
        kind="",
    )


def wsum(weights: FloatArray, values: Any) -> float:
    """``sum(weights * values)`` without BLAS.

    ``numpy.dot`` hands vectors to a multi-threaded BLAS whose threads spin: on a busy
    machine one dot product over 100k rows cost more CPU than the whole likelihood.

    Examples:
        >>> import numpy as np
        >>> wsum(np.array([0.5, 0.5]), np.array([2.0, 4.0]))
        3.0
    """
    return float(np.sum(weights * values))


#: Largest code space (product of distinct counts) marked in a dense table, not re-hashed.
_DENSE = 1 << 22


def distinct_rows(values: tuple[FloatArray, ...]) -> tuple[tuple[FloatArray, ...], Any]:
    """The distinct rows of parallel columns and, per row, the position of its distinct row.

    Each column is hash-factorised once (pandas, no sort) and the codes are combined in
    mixed radix; while the code space is small the combinations present are numbered
    through a dense table, cheaper than hashing the combined codes again.

    Examples:
        >>> import numpy as np
        >>> (x, t), inverse = distinct_rows((np.array([1., 1., 2.]), np.array([5., 5., 5.])))
        >>> x.tolist(), inverse.tolist()
        ([1.0, 2.0], [0, 0, 1])
    """
    codes, uniques = pd.factorize(values[0], sort=False)
    key = np.asarray(codes, dtype=np.int64)
    size = len(uniques)
    for column in values[1:]:
        codes, uniques = pd.factorize(column, sort=False)
        key = key * len(uniques) + codes
        size *= len(uniques)
        if size <= _DENSE:
            present = np.zeros(size, dtype=bool)
            present[key] = True
            number = np.cumsum(present, dtype=np.int64) - 1
            key, size = number[key], int(number[-1]) + 1 if size else 0
        else:
            codes, uniques = pd.factorize(key, sort=False)  # type: ignore[arg-type]
            key, size = np.asarray(codes, dtype=np.int64), len(uniques)
    # Any row of a group stands for it: the rows of a group are identical.
    heads = np.zeros(size, dtype=np.int64)
    heads[key] = np.arange(key.size, dtype=np.int64)
    return tuple(np.ascontiguousarray(c[heads]) for c in values), key


def on_distinct(fn: Callable[..., FloatArray], *columns: Any, min_rows: int = 20_000) -> FloatArray:
    """``fn(*columns)`` (elementwise) evaluated once per distinct row, gathered back.

    Customer summaries repeat (frequency, recency, T) rows a lot: whole days or weeks,
    few distinct frequencies. Scalars (and arrays of one value) are passed as they are;
    below ``min_rows`` rows, or when most rows are distinct, ``fn`` runs on every row.
    The result equals ``fn(*columns)`` exactly.

    Examples:
        >>> import numpy as np
        >>> on_distinct(np.add, np.array([1.0, 1.0, 2.0]), 10.0, min_rows=1).tolist()
        [11.0, 11.0, 12.0]
    """
    shape = np.broadcast(*columns).shape
    varying = [i for i, c in enumerate(columns) if np.size(c) > 1 and np.ptp(c) != 0]
    n = math.prod(shape)
    if n < min_rows or not varying:
        return np.asarray(fn(*columns), dtype=np.float64)
    flat = [np.ascontiguousarray(np.broadcast_to(columns[i], shape)).ravel() for i in varying]
    uniques, inverse = distinct_rows(tuple(flat))
    if 2 * uniques[0].size > n:
        return np.asarray(fn(*columns), dtype=np.float64)
    args = [c if i in varying else np.ravel(c)[0] for i, c in enumerate(columns)]
    for i, unique in zip(varying, uniques, strict=True):
        args[i] = unique
    return np.asarray(np.asarray(fn(*args), dtype=np.float64)[inverse].reshape(shape))


def compress(
    values: tuple[FloatArray, ...], weights: FloatArray
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Collapse identical rows into one with the summed weight (exact: same likelihood).

    Examples:
        >>> import numpy as np
        >>> (x, t), w = compress((np.array([1., 1., 2.]), np.array([5., 5., 5.])), np.ones(3))
        >>> x.tolist(), t.tolist(), w.tolist()
        ([1.0, 2.0], [5.0, 5.0], [2.0, 1.0])
    """
    keep = weights > 0
    kept = [np.asarray(v[keep], dtype=np.float64) for v in values]
    # Hash-factorise column by column into one integer key (pandas' hash tables are much
    # faster than sorting rows); keys stay below n**2 at every step.
    key = np.zeros(int(keep.sum()), dtype=np.int64)
    for column in kept:
        codes, uniques = pd.factorize(column, sort=False)
        key, _ = pd.factorize(key * len(uniques) + codes, sort=False)
    n_groups = int(key.max()) + 1 if key.size else 0
    first = np.full(n_groups, key.size, dtype=np.int64)
    np.minimum.at(first, key, np.arange(key.size))
    summed = np.bincount(key, weights=weights[keep], minlength=n_groups).astype(np.float64)
    return tuple(np.ascontiguousarray(c[first]) for c in kept), summed


# ----------------------------------------------------------------------------- optimiser
class Optimum(NamedTuple):
    """The estimate, its standard errors and the fit record."""

    params: dict[str, float]
    standard_errors: dict[str, float | None]
    info: FitInfo
    #: The mean objective's Hessian in log parameters (None when not computed).
    curvature: FloatArray | None = None


#: Largest |log parameter| accepted: beyond it a parameter ran off to 0 or infinity.
_LOG_BOUND = 30.0
#: A fitted |log parameter| beyond this (about 5e8 or 2e-9) means it ran off to 0 or infinity.
_RUNAWAY = 20.0
#: How far a pair of :attr:`_Fitted.LIMITS` is pushed out to test for a runaway, and the
#: least fall of the total log-likelihood there that makes the estimate an interior one.
_RAY_FACTOR = 100.0
_RAY_DROP = 1e-3
#: What to do about a fit that did not converge to an interior maximum (one hint for all).
_NOT_IDENTIFIED = (
    "The data cannot identify the model (too few customers or repeat buyers for its "
    "heterogeneity); fit it on more customers or a longer history, or add a penalty "
    "such as penalizer=0.001."
)


def _running_pairs(  # noqa: PLR0917 - private helper of maximise
    names: Sequence[str],
    limits: Sequence[tuple[str, str]],
    loglik: Callable[[FloatArray], FloatArray],
    weights: FloatArray,
    theta: FloatArray,
    penalizer: float,
) -> list[str]:
    """The parameters of ``limits`` pairs along which the likelihood still does not fall.

    Multiplying a (shape, rate) pair by :data:`_RAY_FACTOR` keeps the mean and moves
    toward the no-heterogeneity limit; at an interior maximum the total (penalised)
    log-likelihood falls, at a runaway it stays flat or rises. A fall below
    :data:`_RAY_DROP` over a hundredfold move (the sample data with 10 to 100 customers
    gives falls either below 1e-3 or above 1e-2) means the data say nothing about the
    heterogeneity: the estimate is as good as infinite.
    """
    total = float(weights.sum())

    def value(params: FloatArray) -> float:
        with np.errstate(all="ignore"):
            ll = float(wsum(weights, loglik(params)))
        return ll - total * penalizer * float(np.sum(params * params))

    here = value(theta)
    running: list[str] = []
    for pair in limits:
        moved = theta.copy()
        for name in pair:
            moved[list(names).index(name)] *= _RAY_FACTOR
        further = value(moved)
        if math.isfinite(further) and further > here - _RAY_DROP:
            running.extend(pair)
    return running


def maximise(
    owner: str,
    names: Sequence[str],
    loglik: Callable[[FloatArray], FloatArray],
    weights: FloatArray,
    start: Sequence[float],
    *,
    penalizer: float = 0.0,
    gradient: Callable[[FloatArray], FloatArray] | None = None,
    value_and_gradient: Callable[[FloatArray], tuple[float, FloatArray]] | None = None,
    n_unique: int | None = None,
    hessian: bool = True,
    curvature: FloatArray | None = None,
    limits: Sequence[tuple[str, str]] = (),
) -> Optimum:
    """Maximise a weighted log-likelihood over positive parameters (L-BFGS-B on logs).

    ``loglik(theta)`` returns the per-row log-likelihood at natural parameters ``theta``;
    ``gradient(theta)``, when given, the weighted-mean gradient in the same parameters;
    ``value_and_gradient(theta)`` both at once (weighted-mean log-likelihood, gradient),
    for models that share the work. The objective is the weighted mean negative
    log-likelihood plus ``penalizer * sum(theta**2)`` (the lifetimes convention).
    Standard errors come from a finite-difference Hessian of the total log-likelihood in
    log parameters (central differences of the gradient when there is one), mapped back
    with the delta method; a parameter whose variance is not positive gets None.

    ``limits`` names pairs of parameters whose joint growth (ratio fixed) is a
    degenerate limit of the model (:attr:`_Fitted.LIMITS`). Where the likelihood does
    not fall when such a pair is multiplied by 100, the supremum lies at infinity: the
    optimiser's stopping point (however it stopped, with a vanishing gradient or an
    abnormal line search) is not an estimate, and the fit is refused like any other
    parameter running off to 0 or infinity.

    Raises:
        NotFittedError: The optimiser failed, a parameter ran off to 0 or infinity (alone
            or as a pair of ``limits``), or the likelihood is not finite at the estimate.
    """
    from scipy.optimize import minimize

    total = float(weights.sum())
    share = weights / total

    def objective(phi: FloatArray) -> float:
        theta = np.exp(phi)
        ll = loglik(theta)
        value = -float(wsum(share, ll)) + penalizer * float(np.sum(theta * theta))
        return value if math.isfinite(value) else 1e300

    both: Callable[[FloatArray], tuple[float, FloatArray]] | None = None
    vg: Callable[[FloatArray], tuple[float, FloatArray]] | None = value_and_gradient
    if vg is None and gradient is not None:
        grad_only = gradient

        def vg(theta: FloatArray) -> tuple[float, FloatArray]:
            return float(wsum(share, loglik(theta))), grad_only(theta)

    if vg is not None:
        vg_fn = vg

        def both(phi: FloatArray) -> tuple[float, FloatArray]:
            theta = np.exp(phi)
            mean_ll, g = vg_fn(theta)
            value = -mean_ll + penalizer * float(np.sum(theta * theta))
            jac = (-np.asarray(g) + 2.0 * penalizer * theta) * theta
            if not math.isfinite(value) or not np.all(np.isfinite(jac)):
                return 1e300, np.zeros_like(phi)
            return value, np.asarray(jac, dtype=np.float64)

    x0 = np.log(np.asarray(start, dtype=np.float64))
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(names)
    options = {"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20}

    def run(origin: FloatArray, quasi_newton: bool = True) -> Any:
        with np.errstate(all="ignore"):
            if both is not None and value_and_gradient is not None and quasi_newton:
                # BFGS in numpy for an analytic gradient: with 2 to 5 parameters its
                # small matrix products stay out of the threaded BLAS that L-BFGS-B's
                # compiled core calls on every iteration (whose spinning threads cost
                # more CPU than the likelihood). The bounds are kept by clipping.
                def clipped(phi: FloatArray) -> tuple[float, FloatArray]:
                    inside = np.clip(phi, -_LOG_BOUND, _LOG_BOUND)
                    value, jac = both(inside)
                    return value, np.where(inside == phi, jac, 0.0)

                bfgs: dict[str, Any] = {"gtol": 1e-8, "maxiter": 2000}
                if curvature is not None:
                    try:
                        inverse = np.linalg.inv(curvature)
                        np.linalg.cholesky(inverse)  # BFGS needs it positive definite
                        bfgs["hess_inv0"] = (inverse + inverse.T) / 2
                    except np.linalg.LinAlgError:
                        pass
                out = minimize(clipped, origin, jac=True, method="BFGS", options=bfgs)
                out.x = np.clip(out.x, -_LOG_BOUND, _LOG_BOUND)
                return out
            if both is not None:  # a numeric gradient: L-BFGS-B is more tolerant of its noise
                return minimize(
                    both, origin, jac=True, method="L-BFGS-B", bounds=bounds, options=options
                )
            return minimize(objective, origin, method="L-BFGS-B", bounds=bounds, options=options)

    result = run(x0)
    iterations = int(result.nit)
    for _ in range(2):
        if result.success:
            break
        # A line search that fails near the optimum ("precision loss", "ABNORMAL") usually
        # succeeds when restarted from where it stopped with L-BFGS-B's bounded search.
        result = run(np.asarray(result.x, dtype=np.float64), quasi_newton=False)
        iterations += int(result.nit)
    phi = np.asarray(result.x, dtype=np.float64)
    theta = np.exp(phi)
    with np.errstate(all="ignore"):
        ll_rows = loglik(theta)
    log_likelihood = float(wsum(weights, ll_rows))
    if not math.isfinite(log_likelihood):
        raise NotFittedError(
            owner,
            "log_likelihood",
            expected="finite at the estimate",
            found=f"{log_likelihood} at {dict(zip(names, theta.tolist(), strict=True))}",
            hint="Check the data (recency <= T, frequency consistent) or add a penalizer.",
        )
    running = {n for n, p in zip(names, phi, strict=True) if abs(p) >= _RUNAWAY}
    running.update(_running_pairs(names, limits, loglik, weights, theta, penalizer))
    # Each parameter once, in the model's order (one can run alone and in a pair).
    at_bound = [n for n in names if n in running]
    if at_bound:
        raise NotFittedError(
            owner,
            "params",
            expected="an interior maximum",
            found=f"{at_bound} running off to 0 or infinity",
            hint=_NOT_IDENTIFIED,
        )
    converged = bool(result.success)
    if not converged and both is not None:
        # A vanishing gradient is convergence, whatever the line search said.
        converged = bool(np.max(np.abs(both(phi)[1])) < 1e-5)
    if not converged:
        raise NotFittedError(
            owner,
            "params",
            expected="a converged fit",
            found=f"the optimiser stopping with {result.message!r}",
            hint=_NOT_IDENTIFIED,
        )
    mean_hessian: FloatArray | None = None
    if not hessian:
        se: list[float | None] = [None] * len(names)
    else:
        if both is not None:
            both_fn = both
            mean_hessian = _hessian_from_gradient(lambda v: both_fn(v)[1], phi)
        else:
            mean_hessian = _hessian_from_values(objective, phi)
        se = _standard_errors(mean_hessian * total, phi)
    info = FitInfo(
        log_likelihood=log_likelihood,
        converged=converged,
        iterations=iterations,
        message=str(result.message),
        n_customers=total,
        n_unique=int(len(weights) if n_unique is None else n_unique),
        penalizer=float(penalizer),
    )
    params = {n: float(v) for n, v in zip(names, theta, strict=True)}
    return Optimum(params, dict(zip(names, se, strict=True)), info, mean_hessian)


def _hessian_from_gradient(jac: Callable[[FloatArray], FloatArray], phi: FloatArray) -> FloatArray:
    """Symmetrised forward differences of the (mean) gradient in log parameters.

    At the optimum forward differences of an analytic gradient are accurate to about
    1e-6 relative, far below what a standard error needs, at half the cost of central ones.
    """
    k = len(phi)
    h = 1e-6
    g0 = jac(phi)
    hess = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = h
        hess[i] = (jac(phi + step) - g0) / h
    return np.asarray((hess + hess.T) / 2, dtype=np.float64)


def _hessian_from_values(objective: Callable[[FloatArray], float], phi: FloatArray) -> FloatArray:
    """Central second differences of the (mean) objective in log parameters."""
    k = len(phi)
    h = 1e-4
    f0 = objective(phi)
    hess = np.empty((k, k))
    eye = np.eye(k) * h
    for i in range(k):
        hess[i, i] = (objective(phi + eye[i]) - 2 * f0 + objective(phi - eye[i])) / h**2
        for j in range(i):
            value = (
                objective(phi + eye[i] + eye[j])
                - objective(phi + eye[i] - eye[j])
                - objective(phi - eye[i] + eye[j])
                + objective(phi - eye[i] - eye[j])
            ) / (4 * h**2)
            hess[i, j] = hess[j, i] = value
    return hess


def warm_start(
    n_rows: int,
    solve: Callable[[slice], Optimum],
) -> Optimum | None:
    """A fit on every k-th distinct row (about 20,000) of a large data set, or None.

    Its estimate and curvature start the full fit, which then needs a few iterations; it
    converges to the same maximum (the objective is unchanged), so this only saves time.
    None for small data, or when the subsample cannot be fitted.
    """
    if n_rows <= 60_000:
        return None
    try:
        return solve(slice(None, None, n_rows // 20_000))
    except NotFittedError:
        return None


class Objective(NamedTuple):
    """A model's likelihood over one data set, as :func:`fit_model` asks for it.

    ``loglik(theta)`` gives the per-row log-likelihood; ``value_and_gradient(theta)``,
    when the model has an analytic gradient, the weighted-mean log-likelihood and its
    gradient (None: central differences of ``loglik``).
    """

    loglik: Callable[[FloatArray], FloatArray]
    value_and_gradient: Callable[[FloatArray], tuple[float, FloatArray]] | None = None


_FitT = TypeVar("_FitT", bound="_Fitted")


def fit_model(
    owner: str,
    fitted_cls: type[_FitT],
    values: tuple[FloatArray, ...],
    weights: FloatArray,
    objective: Callable[[tuple[FloatArray, ...], FloatArray], Objective],
    *,
    penalizer: float,
    time_unit: str,
    scale: Callable[[tuple[FloatArray, ...], FloatArray], float] | None = None,
    scaled: Sequence[int] = (),
    check: Callable[[dict[str, float]], None] | None = None,
    **extra: Any,
) -> _FitT:
    """The one optimiser driver of every likelihood model: data in, fitted model out.

    1. Identical rows are collapsed into one with their summed weight (exact).
    2. The columns at positions ``scaled`` are divided by ``scale(values, weights)`` so
       that the scale parameters (``fitted_cls.SCALE_PARAMS``) are near 1 where the
       optimiser starts (every parameter starts at 1).
    3. :func:`maximise` runs on ``objective(columns, weights)``, started from a fit on a
       stride of the rows when there are many (:func:`warm_start`).
    4. The scale parameters and their standard errors are multiplied back, and the
       log-likelihood is evaluated on the data as given.
    5. ``check(params)`` may refuse the estimate (e.g. Gamma-Gamma's ``q <= 1``); the
       fitted model is ``fitted_cls(params=..., time_unit=..., standard_errors=...,
       info=..., **extra)``.

    Examples:
        >>> import numpy as np
        >>> from crmkit.segmentation import ShiftedBetaGeoFit
        >>> from crmkit.segmentation._sbg import _sbg_loglik

        Fader & Hardie's (2007) high-end cohort under sBG, as (periods, churned) rows
        with customer counts as weights:

        >>> survivors = np.array([1000, 869, 743, 653, 593, 551, 517, 491], dtype=float)
        >>> periods = np.array([1, 2, 3, 4, 5, 6, 7, 7], dtype=float)
        >>> lost = np.array([1, 1, 1, 1, 1, 1, 1, 0], dtype=float)
        >>> counts = np.append(-np.diff(survivors), survivors[-1])
        >>> fit = fit_model("demo", ShiftedBetaGeoFit, (periods, lost), counts,
        ...                 lambda v, w: Objective(lambda th: _sbg_loglik(th, *v)),
        ...                 penalizer=0.0, time_unit="years")
        >>> round(fit.params["alpha"], 3), round(fit.params["beta"], 3), fit.info.n_customers
        (0.668, 3.806, 1000.0)
    """
    values, w = compress(values, weights)
    factor = 1.0 if scale is None else float(scale(values, w))
    fitted = tuple(v / factor if i in scaled else v for i, v in enumerate(values))
    names = fitted_cls.PARAMS

    def solve(rows: slice, origin: Optimum | None) -> Optimum:
        wr = w[rows]
        model = objective(tuple(v[rows] for v in fitted), wr)
        vg = model.value_and_gradient
        return maximise(
            owner,
            names,
            model.loglik,
            wr,
            [1.0] * len(names) if origin is None else [origin.params[n] for n in names],
            penalizer=penalizer,
            gradient=numeric_gradient(model.loglik, wr) if vg is None else None,
            value_and_gradient=vg,
            curvature=None if origin is None else origin.curvature,
            limits=fitted_cls.LIMITS,
        )

    best = solve(slice(None), warm_start(len(w), lambda rows: solve(rows, None)))
    params = dict(best.params)
    errors = dict(best.standard_errors)
    info = best.info
    if scale is not None:
        for name in fitted_cls.SCALE_PARAMS:
            params[name] *= factor
            error = errors[name]
            errors[name] = None if error is None else error * factor
        theta = np.array([params[n] for n in names])
        info = attrs.evolve(info, log_likelihood=wsum(w, objective(values, w).loglik(theta)))
    if check is not None:
        check(params)
    return fitted_cls(
        params=params, time_unit=time_unit, standard_errors=errors, info=info, **extra
    )


def numeric_gradient(
    loglik: Callable[[FloatArray], FloatArray], weights: FloatArray, step: float = 1e-6
) -> Callable[[FloatArray], FloatArray]:
    """Central-difference gradient (natural parameters) of the weighted-mean log-likelihood."""
    share = weights / weights.sum()

    def gradient(theta: FloatArray) -> FloatArray:
        out = np.empty(len(theta))
        for i in range(len(theta)):
            up = theta.copy()
            down = theta.copy()
            up[i] *= math.exp(step)
            down[i] *= math.exp(-step)
            diff = float(wsum(share, loglik(up))) - float(wsum(share, loglik(down)))
            out[i] = diff / (2 * step * theta[i])
        return out

    return gradient


def _standard_errors(hess: FloatArray, phi: FloatArray) -> list[float | None]:
    """Delta-method standard errors from the total Hessian in log parameters."""
    k = len(phi)
    try:
        cov_log = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return [None] * k
    theta = np.exp(phi)
    variance = np.diag(cov_log) * theta**2
    return [float(math.sqrt(v)) if math.isfinite(v) and v > 0 else None for v in variance]


# ------------------------------------------------------------------- special functions
def log_hyp2f1(a: Any, b: Any, c: Any, z: Any) -> FloatArray:
    """``log 2F1(a, b; c; z)`` for ``0 <= z < 1``, finite where the series is positive.

    Uses Euler's transformation ``2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z)``
    when ``c - a - b < 0`` so that the function scipy evaluates stays moderate (the
    direct form overflows for large ``a`` as ``z`` nears 1, lifetimes #25, CLVTools
    #100); the power is added in log space.

    scipy's series is not to be trusted where it overflows or where a large parameter
    makes it alternate (a negative parameter below -1 with one above 20 in magnitude:
    there it returns finite values off by hundreds of orders of magnitude, e.g. when a
    BG/NBD fit has ``a, b`` in the millions). Those values come from Euler's integral
    instead (:func:`hyp2f1_integral`), which stays finite and accurate for parameters in
    the millions.

    Examples:
        >>> import numpy as np
        >>> from scipy.special import hyp2f1
        >>> round(float(np.exp(log_hyp2f1(2.0, 3.0, 4.0, 0.5))), 10)
        2.7289353331
        >>> round(float(hyp2f1(2.0, 3.0, 4.0, 0.5)), 10)
        2.7289353331
        >>> round(float(log_hyp2f1(5e3, 2e4, 2.5e4 - 1.0, 0.2)), 6)  # scipy's series: inf
        876.263017
    """
    from scipy.special import hyp2f1

    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, z)))
    excess = c - a - b
    euler = excess < 0
    with np.errstate(all="ignore"):
        direct = np.log(hyp2f1(a, b, c, z))
        transformed = excess * np.log1p(-z) + np.log(hyp2f1(c - a, c - b, c, z))
    out = np.asarray(np.where(euler, transformed, direct), dtype=np.float64)
    first = np.where(euler, c - a, a)
    second = np.where(euler, c - b, b)
    alternating = (np.minimum(first, second) < -1.0) & (
        np.maximum(np.abs(first), np.abs(second)) > _TRUSTED
    )
    integrable = ((c > b) & (b > 0)) | ((c > a) & (a > 0))
    redo = (~np.isfinite(out) | alternating) & integrable & (z >= 0) & (z < 1)
    if redo.any():
        out = np.array(out, dtype=np.float64)
        out[redo] = hyp2f1_integral(a[redo], b[redo], c[redo], z[redo])
    return out


#: Largest parameter magnitude at which an alternating scipy 2F1 series is still trusted.
_TRUSTED = 20.0
#: Gauss-Legendre rule of each panel of :func:`hyp2f1_integral`.
_HN, _HW = np.polynomial.legendre.leggauss(24)
#: Panel edges as fractions of the distance from the integrand's peak to where it has
#: fallen by e^-_HDROP: geometric, so that a narrow peak and a long tail are both resolved.
_HEDGES = np.array([0.0, 1.0 / 256, 1.0 / 64, 1.0 / 16, 1.0 / 4, 1.0])
_HDROP = 60.0
#: Search range (in logit units) of the peak and the cuts.
_HSPAN = 1000.0


def hyp2f1_integral(a: Any, b: Any, c: Any, z: Any) -> FloatArray:
    """``log 2F1(a, b; c; z)`` by Euler's integral, for ``c > b > 0`` (or ``c > a > 0``).

    ``2F1 = B(b, c-b)^-1 int_0^1 t^(b-1) (1-t)^(c-b-1) (1-zt)^(-a) dt``: the mean of
    ``(1 - zT)^-a`` for ``T ~ Beta(b, c - b)``. In ``u = logit(t)`` the log-integrand is
    smooth and single-peaked; the peak is found by bisection on its derivative, the
    range by bisection to where it has fallen by e^-60, and geometric Gauss-Legendre
    panels on each side sum it in log space. Nothing overflows for parameters in the
    millions; the relative error is about 1e-9 when ``b`` and ``c - b`` are at least 1
    (the model's large-parameter regime; below that scipy's series is used).

    Examples:
        >>> import numpy as np
        >>> from scipy.special import hyp2f1
        >>> float(np.round(np.exp(hyp2f1_integral(2.0, 3.0, 4.0, 0.5)) / hyp2f1(2.0, 3.0, 4.0, 0.5), 8))
        1.0
    """
    from scipy.special import expit, log_expit

    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, z)))
    shape = arrays[0].shape
    a, b, c, z = (np.asarray(v, dtype=np.float64).ravel() for v in arrays)
    # 2F1 is symmetric in a and b: integrate over the one that keeps both Beta shapes
    # largest (thin tails are summed most accurately).
    swap = (
        (c > a) & (a > 0) & (~((c > b) & (b > 0)) | (np.minimum(a, c - a) > np.minimum(b, c - b)))
    )
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    d = c - b

    def ell(u: FloatArray, nodes: bool = False) -> FloatArray:
        """The log-integrand at ``u`` (one value per row, or a row of nodes per row)."""
        pa, pb, pd_, pz = (v[:, None] for v in (a, b, d, z)) if nodes else (a, b, d, z)
        return np.asarray(
            pb * log_expit(u) + pd_ * log_expit(-u) - pa * np.log1p(-pz * expit(u)),
            dtype=np.float64,
        )

    def slope(u: FloatArray) -> FloatArray:
        s = expit(u)
        return np.asarray(b * (1 - s) - d * s + a * z * s * (1 - s) / (1 - z * s))

    log_integral = logit_integral(ell, slope, len(a))
    with np.errstate(all="ignore"):
        # 1 / B(b, c - b) from log_beta: lgamma differences lose up to 1e-9 at b ~ 1e6.
        out = log_integral - log_beta(b, d)
    return np.asarray(out, dtype=np.float64).reshape(shape)


def logit_integral(
    ell: Callable[..., FloatArray],
    slope: Callable[[FloatArray], FloatArray],
    rows: int,
    *,
    spans: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """``log int exp(ell(u)) du`` over the real line, per row, for a single-peaked ``ell``.

    ``ell(u)`` gives one log-integrand value per row (``u`` of shape ``(rows,)``) and
    ``ell(u, nodes=True)`` a row of values per row (``u`` of shape ``(rows, k)``);
    ``slope(u)`` is its derivative, positive left of the peak and negative right of it.
    The peak is found by bisection on the slope, each side's range by bisection to where
    the integrand has fallen by e^-60, and geometric Gauss-Legendre panels on each side
    sum it in log space. ``spans`` (left, right) bound the search per row (default
    1000 each way; a tail that decays as e^(c u) needs a span beyond 60 / c).

    Examples:
        >>> import numpy as np
        >>> ell = lambda u, nodes=False: -0.5 * u**2  # a standard normal's kernel
        >>> slope = lambda u: -u
        >>> float(np.round(logit_integral(ell, slope, 1)[0] - np.log(np.sqrt(2 * np.pi)), 9))
        0.0
    """
    left_span, right_span = (
        (np.full(rows, _HSPAN), np.full(rows, _HSPAN)) if spans is None else spans
    )
    with np.errstate(all="ignore"):
        lo, hi = -np.asarray(left_span, dtype=np.float64), np.asarray(right_span, dtype=np.float64)
        for _ in range(64):
            mid = (lo + hi) / 2
            up = slope(mid) > 0
            lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
        peak = (lo + hi) / 2
        top = ell(peak)
        pieces = []
        for side, span in ((-1.0, left_span), (1.0, right_span)):
            near, far = peak.copy(), peak + side * span
            for _ in range(64):
                mid = (near + far) / 2
                inside = ell(mid) > top - _HDROP
                near, far = np.where(inside, mid, near), np.where(inside, far, mid)
            edges = peak[:, None] + (far - peak)[:, None] * _HEDGES  # (rows, panels + 1)
            left, right = edges[:, :-1], edges[:, 1:]
            half = (right - left) / 2  # negative on the left side: |half| is the weight
            nodes = ((left + right) / 2)[:, :, None] + half[:, :, None] * _HN
            values = ell(nodes.reshape(rows, -1), nodes=True) - top[:, None]
            weights = (np.abs(half)[:, :, None] * _HW).reshape(rows, -1)
            pieces.append(np.log(np.sum(weights * np.exp(values), axis=1)))
        return np.asarray(top + np.logaddexp(*pieces), dtype=np.float64)


#: Stirling-series coefficients B_2k / (2k (2k - 1)), k = 1..5.
_STIRLING = (1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188)


def log_beta(a: Any, b: Any) -> FloatArray:
    """``log B(a, b)`` accurate to float64 rounding when one argument is large.

    scipy's ``betaln`` loses digits there (``betaln(1, 1e4)`` is off by 5e-12 and
    ``betaln(0.9999, 1e6)`` by 2e-9, absolute); a Beta mean computed as a ratio to it
    inherits that error. With ``s <= l`` (the smaller and larger argument) and ``l >= 20``,
    ``log B = lgamma(s) - [lgamma(l + s) - lgamma(l)]`` with the bracket from Stirling's
    series written as differences that do not cancel: ``(l - 1/2) log1p(s / l) +
    s log(l + s) - s`` plus the series terms ``c_k ((l+s)^(1-2k) - l^(1-2k))``.

    Examples:
        >>> round(float(log_beta(1.0, 1e4)), 15) == round(-float(np.log(1e4)), 15)
        True
        >>> round(float(log_beta(2.0, 3.0)), 12) == round(float(np.log(1 / 12)), 12)
        True
    """
    from scipy.special import gammaln

    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    big = np.maximum(a, b) >= 20.0
    with np.errstate(all="ignore"):
        out = np.asarray(gammaln(a) + gammaln(b) - gammaln(a + b), dtype=np.float64)
        if not big.any():  # the common case in a likelihood: no Stirling work at all
            return out
        small, ll = np.minimum(a[big], b[big]), np.maximum(a[big], b[big])
        lead = (ll - 0.5) * np.log1p(small / ll) + small * np.log(ll + small) - small
        # (l+s)^-(2k-1) - l^-(2k-1) = l^-(2k-1) expm1(-(2k-1) log1p(s/l)): no cancellation.
        log_ratio = np.log1p(small / ll)
        series = sum(
            c * ll ** (1.0 - 2.0 * k) * np.expm1((1.0 - 2.0 * k) * log_ratio)
            for k, c in enumerate(_STIRLING, start=1)
        )
        out = np.array(out, dtype=np.float64)  # writable even for 0-d input
        out[big] = gammaln(small) - (lead + series)
    return out


def log1mexp(x: Any) -> FloatArray:
    """``log(1 - exp(x))`` for ``x <= 0``, accurate near both ends (-inf at 0).

    Examples:
        >>> round(float(log1mexp(-1e-20)), 2)
        -46.05
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > -math.log(2), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
    return np.asarray(out, dtype=np.float64)


def logdiffexp(u: Any, v: Any) -> FloatArray:
    """``log(exp(u) - exp(v))`` for ``u >= v``; -inf where they are equal (or v > u).

    Examples:
        >>> import numpy as np
        >>> round(float(logdiffexp(np.log(3.0), np.log(1.0))), 6) == round(float(np.log(2.0)), 6)
        True
    """
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        d = np.minimum(v - u, 0.0)
    out = u + log1mexp(d)
    return np.asarray(np.where(np.isneginf(v), u, out), dtype=np.float64)


def expm1_ratio(k: Any, y: Any) -> FloatArray:
    """``(1 - exp(-k*y)) / k`` with its limit ``y`` at ``k = 0`` (no 0/0).

    Examples:
        >>> float(expm1_ratio(0.0, 2.0)), round(float(expm1_ratio(1.0, 2.0)), 6)
        (2.0, 0.864665)
    """
    k = np.asarray(k, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    small = np.abs(k) < 1e-10
    safe = np.where(small, 1.0, k)
    with np.errstate(all="ignore"):
        out = np.where(small, y, -np.expm1(-safe * y) / safe)
    return np.asarray(out, dtype=np.float64)


def scalar_or_array(value: FloatArray, scalar: bool) -> Any:
    """A float when every input was a scalar, else the array."""
    return float(value) if scalar else value


def as_arrays(owner: str, **values: Any) -> tuple[bool, tuple[FloatArray, ...]]:
    """Broadcast scalars or array-likes to float arrays; also say whether all were scalar.

    ``values`` are named as the caller's parameters, so that a value that is not a
    number, or shapes that do not broadcast, raise :class:`InvalidInputError` naming them
    (not numpy's bare ``ValueError``).

    Examples:
        >>> as_arrays("f()", t=[1, 2], frequency=3)
        (False, (array([1., 2.]), array([3., 3.])))
        >>> as_arrays("f()", t="a")
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: f(): 't' must be numbers; found 'a'.

    pandas objects are read by position, so they must say the same thing by position: a
    DataFrame (``summary.T``, the transpose, where ``summary["T"]`` was meant) is refused,
    and so are Series whose indexes differ (two columns sorted apart would pair one
    customer's frequency with another's recency).

        >>> a = pd.Series([1.0, 2.0], index=["x", "y"])
        >>> as_arrays("f()", frequency=a, recency=a.iloc[::-1])
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: f(): 'frequency and recency' must be Series on one index, in one order (values are paired by position); found indexes that differ, e.g. position 0 holds 'x' in frequency and 'y' in recency. Pass columns of one frame, or align them first: recency.reindex(frequency.index).
    """
    _refuse_misaligned(owner, values)
    floats: list[FloatArray] = []
    for name, value in values.items():
        try:
            floats.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            shown = (
                repr(value) if np.ndim(value) == 0 else f"a {type(value).__name__} of non-numbers"
            )
            raise InvalidInputError(owner, name, expected="numbers", found=shown, kind="") from None
    try:
        arrays = np.broadcast_arrays(*floats)
    except ValueError:
        shapes = ", ".join(f"{n} {np.shape(a)}" for n, a in zip(values, floats, strict=True))
        raise InvalidInputError(
            owner,
            " and ".join(values),
            expected="shapes that broadcast together (a scalar, or arrays of one length)",
            found=shapes,
            kind="",
        ) from None
    scalar = all(a.ndim == 0 for a in floats)
    return scalar, tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def _refuse_misaligned(owner: str, values: Mapping[str, Any]) -> None:
    """Refuse a DataFrame, and Series on different indexes (see :func:`as_arrays`)."""
    first: tuple[str, pd.Series] | None = None
    for name, value in values.items():
        if isinstance(value, pd.DataFrame):
            raise InvalidInputError(
                owner,
                name,
                expected="a number, an array or one column (a Series)",
                found=f"a DataFrame of {value.shape[1]} columns",
                kind="",
                hint=f"Pass one column, e.g. summary[{name!r}]"
                + (" (summary.T is the transpose)." if name == "T" else "."),
            )
        if not isinstance(value, pd.Series):
            continue
        if first is None:
            first = (name, value)
            continue
        first_name, series = first
        if len(value) == len(series) and not value.index.equals(series.index):
            # (The error path only: the first position whose labels differ.)
            pairs = zip(series.index, value.index, strict=True)
            at = next((k for k, (a, b) in enumerate(pairs) if a is not b and a != b), 0)
            raise InvalidInputError(
                owner,
                f"{first_name} and {name}",
                expected="Series on one index, in one order (values are paired by position)",
                found=f"indexes that differ, e.g. position {at} holds {series.index[at]!r} in "
                f"{first_name} and {value.index[at]!r} in {name}",
                kind="",
                hint="Pass columns of one frame, or align them first: "
                f"{name}.reindex({first_name}.index).",
            )


def whole_numbers(
    owner: str, name: str, value: Any, minimum: float = 0.0
) -> tuple[bool, FloatArray]:
    """Read ``value`` (the parameter ``name``) as whole numbers at least ``minimum``.

    A discrete model's horizon or period count: NaN, fractional and smaller values are
    refused naming the positions, anything not a number as :func:`as_arrays` refuses it.

    Examples:
        >>> whole_numbers("f()", "t", [0, 3])
        (False, array([0., 3.]))
        >>> whole_numbers("f()", "t", 2.5)
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: f(): column 't' must be whole numbers at least 0; found 1 bad values at rows [0].
    """
    scalar, (values,) = as_arrays(owner, **{name: value})
    flat = values.ravel()
    refuse_rows(
        pd.RangeIndex(flat.size),
        ~np.isfinite(flat) | (flat < minimum) | (flat != np.round(flat)),
        owner,
        name,
        f"whole numbers at least {minimum:g}",
        "bad values",
    )
    return scalar, values


def aligned(index: pd.Index, columns: Mapping[str, Any], name: Hashable = None) -> pd.DataFrame:
    """A new frame of prediction columns on the summary's index (named as the summary's)."""
    out = pd.DataFrame(dict(columns), index=index.copy())
    if name is not None:
        out.index.name = name
    return out


def check_spend(index: pd.Index, x: FloatArray, m: FloatArray, owner: str, monetary: str) -> None:
    """Refuse repeat buyers (frequency above 0) whose average spend is not above 0.

    The Gamma-Gamma spend model reads the spend of repeat purchases only: it must be
    positive where there are some. (Shared by the spend model and the CLV, so that each
    names itself and the caller's column.)
    """
    refuse_rows(
        index,
        (x > 0) & ~(m > 0),
        owner,
        monetary,
        "greater than 0 for repeat buyers",
        "zero or negative values",
    )


# ------------------------------------------------------------ transaction-count models
def check_customers(  # noqa: PLR0917 - private helper over parallel arrays
    owner: str,
    index: pd.Index,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    names: tuple[str, str, str] = ("frequency", "recency", "T"),
) -> None:
    """Refuse impossible (frequency, recency, T) rows, naming the column and row labels."""
    refuse_rows(
        index, ~np.isfinite(x) | (x < 0), owner, names[0], "finite and at least 0", "bad values"
    )
    refuse_rows(
        index, ~np.isfinite(tx) | (tx < 0), owner, names[1], "finite and at least 0", "bad values"
    )
    refuse_rows(
        index, ~np.isfinite(T) | (tx > T), owner, names[2], f"at least {names[1]}", "smaller values"
    )


def read_counts(
    data: Any,
    owner: str,
    *,
    frequency: str,
    recency: str,
    T: str,
    weights: str | None,
    positive_recency: bool,
) -> tuple[tuple[FloatArray, FloatArray, FloatArray], FloatArray]:
    """The checked (frequency, recency, T) columns and weights a count model is fitted on.

    A Dask frame is collapsed to its distinct rows first. ``positive_recency`` refuses
    repeat buyers with zero recency (impossible under BG/NBD's likelihood).
    """
    data, weights = collapse_dask(data, owner, [frequency, recency, T], weights)
    cols = read_columns(
        data,
        owner,
        [frequency, recency, T],
        weights=weights,
        nonnegative=[frequency, recency],
        integral=[frequency],
    )
    x, tx, TT = cols.arrays
    check_customers(owner, cols.labels, x, tx, TT, (frequency, recency, T))
    if positive_recency:
        refuse_rows(
            cols.labels,
            (x > 0) & (tx <= 0),
            owner,
            recency,
            "greater than 0 for repeat buyers",
            "zero recency with repeat purchases",
        )
    if float(cols.weights.sum()) < 2:
        raise InvalidInputError(
            owner,
            "data",
            expected="at least 2 customers",
            found=f"{float(cols.weights.sum()):g}",
            hint="A population model needs a population: fit it on all customers, then "
            "score one customer with the fitted model.",
            kind="",
        )
    if not np.any((x > 0) & (cols.weights > 0)):
        raise InvalidInputError(
            owner,
            frequency,
            expected="at least one customer with a repeat purchase",
            found="only one-time buyers",
            hint="With no repeat purchase the purchase rate and the dropout cannot be told "
            "apart; collect a longer history.",
        )
    return (x, tx, TT), cols.weights


def time_scale(values: tuple[FloatArray, ...], weights: FloatArray) -> float:
    """The longest observation time ``T`` (the third column): the count models' time scale."""
    return float(values[2].max())


@attrs.frozen
class _CountFit(_Fitted, abc.ABC):
    """Shared predictions of the continuous-time transaction models (BG/NBD, MBG/NBD, Pareto/NBD).

    Subclasses provide the per-customer log-likelihood and the closed forms; this base
    gives the checked, vectorised public entry points and :meth:`predict`.
    """

    @abc.abstractmethod
    def _loglik(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        """Per-customer log-likelihood of (x, t_x, T)."""

    @abc.abstractmethod
    def _expected(self, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        """E[X(t) | x, t_x, T]: expected purchases in the next t."""

    @abc.abstractmethod
    def _alive(self, x: FloatArray, tx: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        """P(alive at T + t | x, t_x, T)."""

    @abc.abstractmethod
    def _population(self, t: FloatArray) -> FloatArray:
        """E[X(t)] for a new customer: the population's expected purchases."""

    def _columns(
        self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The :meth:`predict` columns before clipping.

        E[X(t)], P(alive) now and at t, P(no purchase in t); models override it to share
        their intermediate terms.
        """
        horizon = np.full_like(x, t)
        return (
            self._expected(horizon, x, tx, T),
            self._alive(x, tx, T, np.zeros_like(x)),
            self._alive(x, tx, T, horizon),
            self._no_purchase(horizon, x, tx, T),
        )

    def _finite(
        self, quantity: str, values: FloatArray, index: pd.Index | None = None, owner: str = ""
    ) -> None:
        """Refuse non-finite predictions (see :func:`refuse_nonfinite`)."""
        refuse_nonfinite(
            pd.RangeIndex(np.size(values)) if index is None else index,
            values,
            owner or f"{type(self).__name__}.{quantity}()",
            quantity,
            self.params,
        )

    def _inputs(
        self, method: str, t: Any, frequency: Any, recency: Any, T: Any
    ) -> tuple[bool, tuple[FloatArray, ...]]:
        owner = f"{type(self).__name__}.{method}()"
        scalar, (tt, x, tx, TT) = as_arrays(owner, t=t, frequency=frequency, recency=recency, T=T)
        index = pd.RangeIndex(x.size)
        check_customers(owner, index, x.ravel(), tx.ravel(), TT.ravel())
        refuse_rows(
            index,
            ~np.isfinite(tt.ravel()) | (tt.ravel() < 0),
            owner,
            "t",
            "at least 0",
            "bad values",
        )
        return scalar, (tt, x, tx, TT)

    def expected_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
        """Expected purchases in the next ``t`` periods of customers with this history.

        Scalars give a float (one customer, as an app scores it); arrays broadcast.

        Examples:
            >>> from crmkit.segmentation import BetaGeoFit
            >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
            ...                  time_unit="weeks")
            >>> round(fit.expected_purchases(39, frequency=2, recency=30.43, T=38.86), 3)
            1.226
        """
        scalar, (t, x, tx, TT) = self._inputs("expected_purchases", t, frequency, recency, T)
        with np.errstate(all="ignore"):
            value = self._expected(t, x, tx, TT)
        self._finite("expected_purchases", value)
        return scalar_or_array(np.maximum(value, 0.0), scalar)

    def probability_alive(self, frequency: Any, recency: Any, T: Any, *, t: Any = 0.0) -> Any:
        """P(alive) now (``t=0``) or ``t`` periods from now, given the history.

        Examples:
            >>> from crmkit.segmentation import BetaGeoFit
            >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
            >>> round(fit.probability_alive(23, 39, 39), 4)
            0.9686
            >>> round(fit.probability_alive(23, 39, 39, t=52), 4)  # a year later
            0.5462
        """
        scalar, (tt, x, tx, TT) = self._inputs("probability_alive", t, frequency, recency, T)
        with np.errstate(all="ignore"):
            value = self._alive(x, tx, TT, tt)
        self._finite("probability_alive", value)
        return scalar_or_array(np.clip(value, 0.0, 1.0), scalar)

    def probability_no_purchase(self, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
        """P(no purchase in the next ``t`` periods), given the history.

        It is the ratio of the likelihoods with and without ``t`` more silent periods,
        ``L(x, t_x, T + t) / L(x, t_x, T)``, exact for every model here.

        Examples:
            >>> from crmkit.segmentation import BetaGeoFit
            >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
            >>> fit.probability_no_purchase(0, 2, 30.43, 38.86)
            1.0
        """
        scalar, (tt, x, tx, TT) = self._inputs("probability_no_purchase", t, frequency, recency, T)
        with np.errstate(all="ignore"):
            ratio = self._no_purchase(tt, x, tx, TT)
        self._finite("probability_no_purchase", ratio)
        return scalar_or_array(np.clip(ratio, 0.0, 1.0), scalar)

    def _no_purchase(
        self, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """P(no purchase in the next t): the likelihood ratio (models may use a closed form)."""
        return np.asarray(np.exp(self._loglik(x, tx, T + t) - self._loglik(x, tx, T)))

    def expected_population_purchases(self, t: Any) -> Any:
        """E[X(t)]: expected purchases of a new customer in its first ``t`` periods.

        Examples:
            >>> from crmkit.segmentation import BetaGeoFit
            >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
            >>> round(fit.expected_population_purchases(78), 3)  # rounded published params
            1.861
        """
        owner = f"{type(self).__name__}.expected_population_purchases()"
        scalar, (tt,) = as_arrays(owner, t=t)
        refuse_rows(
            pd.RangeIndex(tt.size),
            ~np.isfinite(tt.ravel()) | (tt.ravel() < 0),
            owner,
            "t",
            "at least 0",
            "bad values",
        )
        with np.errstate(all="ignore"):
            value = self._population(tt)
        self._finite("expected_population_purchases", value)
        return scalar_or_array(np.maximum(value, 0.0), scalar)

    def predict(
        self,
        data: Any,
        t: float,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
    ) -> pd.DataFrame:
        """Per-customer predictions for the next ``t`` periods, on the summary's index.

        Args:
            data: One row per customer (e.g. from
                :func:`~crmkit.segmentation.btyd_summary`).
            t: Horizon in the model's :attr:`time_unit`.
            frequency: Column of repeat purchases.
            recency: Column of first-to-last purchase time.
            T: Column of first-purchase-to-end time.

        Returns:
            A new frame indexed like ``data`` with ``expected_purchases``, ``p_alive``
            (now), ``p_alive_at_t`` and ``p_no_purchase``; ``attrs`` holds ``t`` and
            ``time_unit``.

        Examples:
            >>> import pandas as pd
            >>> from crmkit.segmentation import ParetoNBDFit
            >>> fit = ParetoNBDFit(params={"r": 0.553, "alpha": 10.578, "s": 0.606,
            ...                            "beta": 11.669}, time_unit="weeks")
            >>> summary = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43],
            ...                         "T": [38.86, 38.86]}, index=pd.Index(["a", "b"]))
            >>> fit.predict(summary, t=52).round(3)
               expected_purchases  p_alive  p_alive_at_t  p_no_purchase
            a               0.136    0.295         0.192          0.920
            b               1.851    0.869         0.566          0.368
        """
        from crmkit.segmentation._dask import is_dask

        if is_dask(data):
            return map_predictions(  # type: ignore[no-any-return]
                data, self, "predict", {"t": t, "frequency": frequency, "recency": recency, "T": T}
            )
        owner = f"{type(self).__name__}.predict()"
        cols = read_columns(data, owner, [frequency, recency, T], allow_empty=True)
        x, tx, TT = cols.arrays
        check_customers(owner, cols.labels, x, tx, TT, (frequency, recency, T))
        refuse_rows(
            pd.RangeIndex(1),
            np.array([not (math.isfinite(float(t)) and float(t) >= 0)]),
            owner,
            "t",
            "at least 0",
            "bad values",
        )
        with np.errstate(all="ignore"):
            expected, alive, alive_at_t, no_purchase = self._columns(float(t), x, tx, TT)
        for name, values in (
            ("expected_purchases", expected),
            ("p_alive", alive),
            ("p_alive_at_t", alive_at_t),
            ("p_no_purchase", no_purchase),
        ):
            self._finite(name, values, cols.labels, owner)
        out = aligned(
            cols.labels,
            {
                "expected_purchases": np.maximum(expected, 0.0),
                "p_alive": np.clip(alive, 0.0, 1.0),
                "p_alive_at_t": np.clip(alive_at_t, 0.0, 1.0),
                "p_no_purchase": np.clip(no_purchase, 0.0, 1.0),
            },
        )
        out.attrs.update({"t": float(t), "time_unit": self.time_unit})
        return out


# ---------------------------------------------------------------------------------- dask
#: The weight column of a Dask frame collapsed to its distinct rows.
DASK_WEIGHT = "__crmkit_weight__"


def collapse_dask(
    data: Any, owner: str, columns: Sequence[str], weights: str | None
) -> tuple[Any, str | None]:
    """A Dask frame as its distinct rows with their counts (pandas); other data unchanged.

    The likelihood of identical rows is the same, so fitting the distinct rows with their
    counts as weights is exact; the group-by runs on the cluster and only the distinct
    rows (thousands, not millions) come back.
    """
    from crmkit.segmentation._dask import is_dask, require_dask_columns

    if not is_dask(data):
        return data, weights
    require_dask_columns(data, owner, [*columns, *([weights] if weights else [])])
    keys = list(columns)
    if weights:
        counts = data[[*keys, weights]].groupby(keys)[weights].sum()
    else:
        counts = data[keys].assign(**{DASK_WEIGHT: 1.0}).groupby(keys)[DASK_WEIGHT].sum()
    frame = counts.compute().rename(DASK_WEIGHT).reset_index()
    return frame.astype({DASK_WEIGHT: "float64"}), DASK_WEIGHT


def _predict_partition(part: pd.DataFrame, fit: Any, method: str, kwargs: dict[str, Any]) -> Any:
    """Apply a fitted model's pandas prediction to one partition (module level: pickles)."""
    return getattr(fit, method)(part, **kwargs)


def map_predictions(data: Any, fit: Any, method: str, kwargs: dict[str, Any]) -> Any:
    """Run ``fit.<method>(partition, **kwargs)`` on every partition of a Dask frame.

    The fitted model is a small frozen value shipped to the workers; the output schema is
    learned from the model's own result on the empty metadata frame.
    """
    import functools

    meta = getattr(fit, method)(data._meta, **kwargs)
    return data.map_partitions(
        functools.partial(_predict_partition, fit=fit, method=method, kwargs=kwargs), meta=meta
    )
