"""Interval and test methods shared by every crmkit metric: one implementation, used everywhere.

Every function is vectorised: counts may be Python ints, numpy scalars or arrays of any
shape (they broadcast against each other), and the results have the broadcast shape. When
every count argument is a plain scalar, plain Python floats come back instead of 0-d
arrays. scipy (for the beta, t and chi-square quantiles) is imported inside the functions
that need it, so importing this module stays cheap.

Conventions, the same in every function:

- ``level`` is the two-sided confidence level in (0, 1), 0.95 by default.
- Proportion intervals lie in [0, 1]. With ``n = 0`` there is no information, and the
  interval is the whole range ``(0.0, 1.0)``; no NaN and no warning is produced, so callers
  can evaluate many groups at once and flag the empty ones themselves (``n == 0``).
- Counts must be whole numbers with ``0 <= successes <= n``; anything else is an
  :class:`~crmkit.errors.InvalidInputError` naming the parameter and the first offending
  positions (flat indexes into the broadcast arrays).

Functions:
    wilson_interval, agresti_coull_interval, clopper_pearson_interval, jeffreys_interval:
        one binomial proportion (Brown, Cai & DasGupta 2001).
    t_interval: the mean of a sample from its mean, standard deviation and size.
    newcombe_interval: difference of two independent proportions (Newcombe 1998, method 10).
    poisson_interval: exact (Garwood 1936) interval for a Poisson count, optionally per
        unit of exposure.
    two_proportion_score_test: pooled-variance z (score) test of two proportions.
    holm_adjust: Holm (1979) step-down adjusted p-values.
    z_value, normal_sf: the normal quantile for a level and the upper tail probability.

Examples:
    >>> from crmkit._stats import wilson_interval
    >>> lo, hi = wilson_interval(70, 100)
    >>> round(lo, 6), round(hi, 6)
    (0.604151, 0.781051)
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from crmkit.errors import ConfigError, InvalidInputError

__all__ = [
    "PROPORTION_METHODS",
    "agresti_coull_interval",
    "clopper_pearson_interval",
    "holm_adjust",
    "jeffreys_interval",
    "newcombe_interval",
    "normal_sf",
    "poisson_interval",
    "proportion_interval",
    "t_interval",
    "t_interval_from_se",
    "two_proportion_score_test",
    "wilson_interval",
    "z_value",
]

#: What the functions accept for a count or a real value: a scalar or an array-like.
ArrayLike: TypeAlias = npt.ArrayLike
#: What they return: a float for all-scalar input, otherwise a float64 array.
FloatOut: TypeAlias = Any
FloatArray: TypeAlias = np.ndarray[Any, np.dtype[np.float64]]


def _is_scalar(*values: object) -> bool:
    return all(np.ndim(v) == 0 for v in values)  # type: ignore[arg-type]


def _out(value: FloatArray, scalar: bool) -> FloatOut:
    return float(value) if scalar else value


def _check_level(level: float, owner: str) -> float:
    if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0 < level < 1:
        raise ConfigError(
            owner, "level", expected="a number in (0, 1), e.g. 0.95", found=repr(level)
        )
    return float(level)


def z_value(level: float = 0.95) -> float:
    """Return the standard normal quantile for a two-sided ``level`` (1.959964 for 0.95).

    Examples:
        >>> round(z_value(0.95), 6)
        1.959964
    """
    level = _check_level(level, "z_value()")
    return NormalDist().inv_cdf(0.5 + level / 2)


def normal_sf(z: ArrayLike) -> FloatOut:
    """Return the upper tail probability ``P(Z > z)`` of the standard normal.

    Examples:
        >>> round(normal_sf(1.959964), 6)
        0.025
    """
    from scipy.special import ndtr

    scalar = _is_scalar(z)
    values = np.asarray(z, dtype=np.float64)
    return _out(np.asarray(ndtr(-values), dtype=np.float64), scalar)


def _bad_positions(mask: npt.NDArray[np.bool_]) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask.ravel())[:5]]


def _reject_invalid(
    bad: npt.NDArray[np.bool_], owner: str, field: str, expected: str, kind: str = "parameter"
) -> None:
    """Raise ``InvalidInputError`` ("N invalid values", first positions) where ``bad`` holds."""
    if bad.any():
        raise InvalidInputError(
            owner,
            field,
            expected=expected,
            found=f"{int(bad.sum())} invalid values",
            rows=_bad_positions(bad),
            total=int(bad.sum()),
            kind=kind,
        )


def _counts(
    successes: ArrayLike,
    n: ArrayLike,
    owner: str,
    names: tuple[str, str] = ("successes", "n"),
    *,
    fractional: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Validate and broadcast ``successes`` and ``n`` to float arrays.

    ``fractional=True`` accepts non-integer counts (effective counts of weighted data).
    """
    x_raw = np.asarray(successes)
    n_raw = np.asarray(n)
    for name, raw in zip(names, (x_raw, n_raw), strict=True):
        if raw.dtype.kind not in "iuf" or raw.dtype.kind == "b":
            raise InvalidInputError(
                owner, name, expected="whole numbers", found=f"dtype {raw.dtype}", kind="parameter"
            )
    x, nn = np.broadcast_arrays(x_raw.astype(np.float64), n_raw.astype(np.float64))
    for name, arr in zip(names, (x, nn), strict=True):
        bad = ~np.isfinite(arr) | (arr < 0)
        if not fractional:
            bad |= arr != np.floor(arr)
        expected = "non-negative numbers" if fractional else "non-negative whole numbers"
        _reject_invalid(bad, owner, name, expected)
    over = x > nn * (1 + 1e-12) if fractional else x > nn
    if over.any():
        raise InvalidInputError(
            owner,
            names[0],
            expected=f"at most {names[1]}",
            found=f"{int(over.sum())} counts above {names[1]}",
            rows=_bad_positions(over),
            total=int(over.sum()),
            kind="parameter",
        )
    return np.array(x, dtype=np.float64), np.array(nn, dtype=np.float64)


def _proportion_counts(
    successes: ArrayLike, n: ArrayLike, owner: str, fractional: bool
) -> tuple[bool, FloatArray, FloatArray]:
    """What the proportion intervals start from: scalar input?, successes (at most ``n``), ``n``.

    ``successes`` above ``n`` by rounding only (fractional counts) are capped at ``n``.
    """
    scalar = _is_scalar(successes, n)
    x, nn = _counts(successes, n, owner, fractional=fractional)
    return scalar, np.minimum(x, nn), nn


def _safe_div(num: FloatArray, den: FloatArray, fill: float = 0.0) -> FloatArray:
    """Divide where ``den > 0``; elsewhere return ``fill`` (no warnings)."""
    out = np.full(np.broadcast(num, den).shape, fill, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _whole_range_where_empty(
    lower: FloatArray, upper: FloatArray, n: FloatArray
) -> tuple[FloatArray, FloatArray]:
    empty = n == 0
    return (
        np.clip(np.where(empty, 0.0, lower), 0.0, 1.0),
        np.clip(np.where(empty, 1.0, upper), 0.0, 1.0),
    )


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, level: float = 0.95, *, fractional: bool = False
) -> tuple[FloatOut, FloatOut]:
    """Return the Wilson score interval ``(lower, upper)`` for a binomial proportion.

    The default for shares (CSAT top box, CES agree, FCR, SLA attainment): good coverage at
    small ``n`` and never outside [0, 1]. Vectorised: array in, arrays out.

    Args:
        successes: Number of successes (scalar or array), ``0 <= successes <= n``.
        n: Number of trials (scalar or array, broadcast against ``successes``).
        level: Two-sided confidence level.
        fractional: Accept non-integer counts, e.g. the Kish effective counts
            ``share * n_effective`` of weighted data.

    Returns:
        ``(lower, upper)`` as floats for scalar input, float64 arrays otherwise. Where
        ``n == 0`` the interval is ``(0.0, 1.0)`` (no information; no NaN, no warning).

    Raises:
        InvalidInputError: Counts that are negative, fractional or ``successes > n``.
        ConfigError: ``level`` outside (0, 1).

    Examples:
        >>> wilson_interval(70, 100)  # doctest: +ELLIPSIS
        (0.60415145..., 0.78105114...)
        >>> lo, hi = wilson_interval([0, 3, 0], [10, 3, 0])
        >>> lo.round(4).tolist(), hi.round(4).tolist()
        ([0.0, 0.4385, 0.0], [0.2775, 1.0, 1.0])
    """
    owner = "wilson_interval()"
    z = z_value(_check_level(level, owner))
    scalar, x, nn = _proportion_counts(successes, n, owner, fractional)
    p = _safe_div(x, nn)
    z2 = z * z
    denom = nn + z2
    centre = _safe_div(x + z2 / 2, denom)
    half = _safe_div(z * np.sqrt(nn * p * (1 - p) + z2 / 4), denom)
    lower, upper = _whole_range_where_empty(centre - half, centre + half, nn)
    # Exact boundaries: at x = 0 (x = n) the lower (upper) bound is 0 (1) analytically;
    # pin them so rounding error cannot leave the point estimate outside the interval.
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == nn, 1.0, upper)
    return _out(lower, scalar), _out(upper, scalar)


def agresti_coull_interval(
    successes: ArrayLike, n: ArrayLike, level: float = 0.95, *, fractional: bool = False
) -> tuple[FloatOut, FloatOut]:
    """Return the Agresti-Coull ("add z^2/2 successes and failures") interval, clipped to [0, 1].

    Matches ``statsmodels.stats.proportion.proportion_confint(method="agresti_coull")``,
    which clips the same way. ``n == 0`` gives ``(0.0, 1.0)``.

    Args:
        successes: Number of successes (scalar or array).
        n: Number of trials (scalar or array).
        level: Two-sided confidence level.
        fractional: Accept non-integer (effective) counts.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> lo, hi = agresti_coull_interval(70, 100)
        >>> round(lo, 6), round(hi, 6)
        (0.603854, 0.781349)
    """
    owner = "agresti_coull_interval()"
    z = z_value(_check_level(level, owner))
    scalar, x, nn = _proportion_counts(successes, n, owner, fractional)
    n_tilde = nn + z * z
    p_tilde = (x + z * z / 2) / n_tilde
    half = z * np.sqrt(p_tilde * (1 - p_tilde) / n_tilde)
    lower, upper = _whole_range_where_empty(p_tilde - half, p_tilde + half, nn)
    return _out(lower, scalar), _out(upper, scalar)


def clopper_pearson_interval(
    successes: ArrayLike, n: ArrayLike, level: float = 0.95, *, fractional: bool = False
) -> tuple[FloatOut, FloatOut]:
    """Return the Clopper-Pearson ("exact", beta quantile) interval.

    Conservative: coverage is at least ``level`` for every true proportion. The lower bound
    is 0 at ``successes == 0`` and the upper bound 1 at ``successes == n``; ``n == 0`` gives
    ``(0.0, 1.0)``.

    Args:
        successes: Number of successes (scalar or array).
        n: Number of trials (scalar or array).
        level: Two-sided confidence level.
        fractional: Accept non-integer (effective) counts.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> clopper_pearson_interval(70, 100)  # doctest: +ELLIPSIS
        (0.60018532..., 0.78759357...)
    """
    from scipy.special import betaincinv

    owner = "clopper_pearson_interval()"
    alpha = 1 - _check_level(level, owner)
    scalar, x, nn = _proportion_counts(successes, n, owner, fractional)
    # Evaluate the beta quantiles only where their parameters are positive.
    a_lo = np.where(x > 0, x, 1.0)
    b_lo = np.where(x > 0, nn - x + 1, 1.0)
    a_hi = np.where(x < nn, x + 1, 1.0)
    b_hi = np.where(x < nn, nn - x, 1.0)
    lower = np.where(x > 0, betaincinv(a_lo, b_lo, alpha / 2), 0.0)
    upper = np.where(x < nn, betaincinv(a_hi, b_hi, 1 - alpha / 2), 1.0)
    lower, upper = _whole_range_where_empty(lower, upper, nn)
    return _out(lower, scalar), _out(upper, scalar)


def jeffreys_interval(
    successes: ArrayLike, n: ArrayLike, level: float = 0.95, *, fractional: bool = False
) -> tuple[FloatOut, FloatOut]:
    """Return the Jeffreys interval (equal-tailed Beta(x + 1/2, n - x + 1/2) quantiles).

    Follows Brown, Cai & DasGupta (2001): the lower bound is set to 0 when
    ``successes == 0`` and the upper bound to 1 when ``successes == n``, so the interval
    always contains the observed share. (statsmodels does not apply that boundary rule;
    elsewhere the two agree.) ``n == 0`` gives ``(0.0, 1.0)``.

    Args:
        successes: Number of successes (scalar or array).
        n: Number of trials (scalar or array).
        level: Two-sided confidence level.
        fractional: Accept non-integer (effective) counts.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> lo, hi = jeffreys_interval(70, 100)
        >>> round(lo, 6), round(hi, 6)
        (0.605453, 0.783159)
    """
    from scipy.special import betaincinv

    owner = "jeffreys_interval()"
    alpha = 1 - _check_level(level, owner)
    scalar, x, nn = _proportion_counts(successes, n, owner, fractional)
    a = x + 0.5
    b = np.maximum(nn - x, 0.0) + 0.5
    lower = np.where(x > 0, betaincinv(a, b, alpha / 2), 0.0)
    upper = np.where(x < nn, betaincinv(a, b, 1 - alpha / 2), 1.0)
    lower, upper = _whole_range_where_empty(lower, upper, nn)
    return _out(lower, scalar), _out(upper, scalar)


#: The proportion interval methods by name, as the metrics' ``ci=`` arguments spell them.
PROPORTION_METHODS = ("wilson", "agresti_coull", "clopper_pearson", "jeffreys")


def proportion_interval(
    successes: ArrayLike,
    n: ArrayLike,
    level: float = 0.95,
    *,
    method: str = "wilson",
    fractional: bool = False,
) -> tuple[FloatOut, FloatOut]:
    """Return the interval of ``method`` (one of :data:`PROPORTION_METHODS`).

    Args:
        successes: Number of successes (scalar or array).
        n: Number of trials (scalar or array).
        level: Two-sided confidence level.
        method: ``"wilson"``, ``"agresti_coull"``, ``"clopper_pearson"`` or ``"jeffreys"``.
        fractional: Accept non-integer (effective) counts.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> lo, hi = proportion_interval(70, 100, method="clopper_pearson")
        >>> round(lo, 6), round(hi, 6)
        (0.600185, 0.787594)
    """
    functions = {
        "wilson": wilson_interval,
        "agresti_coull": agresti_coull_interval,
        "clopper_pearson": clopper_pearson_interval,
        "jeffreys": jeffreys_interval,
    }
    if method not in functions:
        raise ConfigError(
            "proportion_interval()",
            "method",
            expected=f"one of {list(PROPORTION_METHODS)}",
            found=repr(method),
        )
    return functions[method](successes, n, level, fractional=fractional)


def t_interval(
    mean: ArrayLike,
    sd: ArrayLike,
    n: ArrayLike,
    level: float = 0.95,
    *,
    bounds: tuple[float, float] | None = None,
) -> tuple[FloatOut, FloatOut]:
    """Return the Student t interval ``mean -/+ t(n-1) * sd / sqrt(n)`` for a mean.

    With ``n < 2`` the spread is unknown and the interval is unbounded (``-inf, inf``),
    or the whole of ``bounds`` when given; no NaN, no warning.

    Args:
        mean: Sample mean(s).
        sd: Sample standard deviation(s) with the ``n - 1`` divisor.
        n: Sample size(s) (the effective size for weighted means).
        level: Two-sided confidence level.
        bounds: ``(low, high)`` of the scale, e.g. ``(1, 5)`` for CSAT; the interval is
            clipped to it.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> lo, hi = t_interval(3.75, 1.4, 100, bounds=(1, 5))
        >>> round(lo, 4), round(hi, 4)
        (3.4722, 4.0278)
        >>> t_interval(4.0, 0.0, 1, bounds=(1, 5))
        (1.0, 5.0)
    """
    owner = "t_interval()"
    level = _check_level(level, owner)
    scalar = _is_scalar(mean, sd, n)
    m, s, nn = np.broadcast_arrays(
        np.asarray(mean, dtype=np.float64),
        np.asarray(sd, dtype=np.float64),
        np.asarray(n, dtype=np.float64),
    )
    bad = ~np.isfinite(m) | ~np.isfinite(s) | (s < 0) | ~np.isfinite(nn) | (nn < 0)
    _reject_invalid(bad, owner, "mean, sd, n", "finite, with sd >= 0 and n >= 0", "parameters")
    se = _safe_div(s, np.sqrt(nn), 0.0)
    return t_interval_from_se(
        m if not scalar else float(m),
        se if not scalar else float(se),
        nn - 1 if not scalar else float(nn - 1),
        level,
        bounds=bounds,
    )


def t_interval_from_se(
    mean: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    level: float = 0.95,
    *,
    bounds: tuple[float, float] | None = None,
) -> tuple[FloatOut, FloatOut]:
    """Return ``mean -/+ t(df) * se``; the form weighted means use (``df = n_eff - 1``).

    Where ``df < 1`` the interval is unbounded, or the whole of ``bounds``.

    Args:
        mean: Estimate(s).
        se: Standard error(s).
        df: Degrees of freedom (may be fractional, e.g. ``n_effective - 1``).
        level: Two-sided confidence level.
        bounds: ``(low, high)`` to clip to.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> lo, hi = t_interval_from_se(3.75, 0.14, 99)
        >>> round(lo, 4), round(hi, 4)
        (3.4722, 4.0278)
    """
    from scipy.special import stdtrit

    level = _check_level(level, "t_interval_from_se()")
    scalar = _is_scalar(mean, se, df)
    m, s, d = np.broadcast_arrays(
        np.asarray(mean, dtype=np.float64),
        np.asarray(se, dtype=np.float64),
        np.asarray(df, dtype=np.float64),
    )
    ok = d >= 1
    t = stdtrit(np.where(ok, d, 1.0), 0.5 + level / 2)
    half = np.where(ok, t * s, np.inf)
    lower = np.where(ok, m - half, -np.inf)
    upper = np.where(ok, m + half, np.inf)
    if bounds is not None:
        lower = np.clip(lower, bounds[0], bounds[1])
        upper = np.clip(upper, bounds[0], bounds[1])
    return _out(np.asarray(lower, dtype=np.float64), scalar), _out(
        np.asarray(upper, dtype=np.float64), scalar
    )


def newcombe_interval(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    level: float = 0.95,
    *,
    fractional: bool = False,
) -> tuple[FloatOut, FloatOut]:
    """Return Newcombe's hybrid score interval for the difference ``x1/n1 - x2/n2``.

    Newcombe (1998), method 10: combine the two Wilson intervals. Matches
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``. The
    interval lies in [-1, 1]; a group with ``n == 0`` contributes its whole range.

    Args:
        x1: Successes in the first group.
        n1: Trials in the first group.
        x2: Successes in the second group.
        n2: Trials in the second group.
        level: Two-sided confidence level.
        fractional: Accept non-integer counts: the weighted variant, fed with the Kish
            effective counts ``share * n_effective`` and ``n_effective`` of each group.

    Returns:
        ``(lower, upper)`` for the difference of proportions.

    Examples:
        >>> lo, hi = newcombe_interval(56, 70, 48, 80)
        >>> round(lo, 4), round(hi, 4)
        (0.0524, 0.3339)
        >>> lo, hi = newcombe_interval(52.5, 65.6, 40.1, 71.3, fractional=True)
        >>> round(lo, 4), round(hi, 4)
        (0.0815, 0.3777)
    """
    owner = "newcombe_interval()"
    level = _check_level(level, owner)
    scalar = _is_scalar(x1, n1, x2, n2)
    a, na = _counts(x1, n1, owner, ("x1", "n1"), fractional=fractional)
    b, nb = _counts(x2, n2, owner, ("x2", "n2"), fractional=fractional)
    l1, u1 = wilson_interval(a, na, level, fractional=fractional)
    l2, u2 = wilson_interval(b, nb, level, fractional=fractional)
    p1 = _safe_div(a, na, 0.5)
    p2 = _safe_div(b, nb, 0.5)
    d = p1 - p2
    lower = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    lower = np.clip(lower, -1.0, 1.0)
    upper = np.clip(upper, -1.0, 1.0)
    return _out(np.asarray(lower, dtype=np.float64), scalar), _out(
        np.asarray(upper, dtype=np.float64), scalar
    )


def poisson_interval(
    count: ArrayLike, exposure: ArrayLike = 1.0, level: float = 0.95
) -> tuple[FloatOut, FloatOut]:
    """Return the exact (Garwood) interval for a Poisson count, divided by ``exposure``.

    ``[chi2(alpha/2; 2k) / 2, chi2(1 - alpha/2; 2k + 2) / 2] / exposure``; the lower bound is
    0 at ``k == 0``. With ``exposure == 0`` there is no information and the interval is
    ``(0.0, inf)``.

    Args:
        count: Observed number of events ``k`` (whole numbers >= 0).
        exposure: Exposure the rate is per (orders, customers, days); > 0 for information.
        level: Two-sided confidence level.

    Returns:
        ``(lower, upper)`` of the rate ``k / exposure``.

    Examples:
        >>> lo, hi = poisson_interval(10)
        >>> round(lo, 4), round(hi, 4)
        (4.7954, 18.3904)
        >>> lo, hi = poisson_interval(12, 4000)
        >>> round(lo * 1000, 3), round(hi * 1000, 3)
        (1.55, 5.241)
    """
    from scipy.special import chdtri

    owner = "poisson_interval()"
    alpha = 1 - _check_level(level, owner)
    scalar = _is_scalar(count, exposure)
    k_raw = np.asarray(count)
    if k_raw.dtype.kind not in "iuf":
        raise InvalidInputError(
            owner, "count", expected="whole numbers", found=f"dtype {k_raw.dtype}", kind="parameter"
        )
    k, e = np.broadcast_arrays(k_raw.astype(np.float64), np.asarray(exposure, dtype=np.float64))
    bad_k = ~np.isfinite(k) | (k < 0) | (k != np.floor(k))
    _reject_invalid(bad_k, owner, "count", "non-negative whole numbers")
    bad_e = ~np.isfinite(e) | (e < 0)
    _reject_invalid(bad_e, owner, "exposure", "finite and >= 0")
    # chdtri(v, y) is the upper-tail inverse: the x with P(X > x) = y.
    lo_count = np.where(k > 0, chdtri(np.where(k > 0, 2 * k, 1.0), 1 - alpha / 2) / 2, 0.0)
    hi_count = chdtri(2 * k + 2, alpha / 2) / 2
    lower = _safe_div(lo_count, e, 0.0)
    upper = _safe_div(hi_count, e, math.inf)
    return _out(lower, scalar), _out(upper, scalar)


def two_proportion_score_test(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, *, fractional: bool = False
) -> tuple[FloatOut, FloatOut]:
    """Return ``(z, p_value)`` of the two-sided score test of ``p1 == p2``.

    The pooled-variance z statistic ``(p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2))``, which is the
    score test of equal proportions (equal to Pearson's chi-square without continuity
    correction, ``z**2 == chi2``). Where it is undefined (a group with ``n == 0``, or both
    groups all successes or all failures) ``z`` is 0 and the p-value 1: the data show no
    difference.

    Args:
        x1: Successes in the first group.
        n1: Trials in the first group.
        x2: Successes in the second group.
        n2: Trials in the second group.
        fractional: Accept non-integer counts: the weighted variant, fed with the Kish
            effective counts of each group (as :func:`newcombe_interval`).

    Returns:
        ``(z, p_value)``.

    Examples:
        >>> z, p = two_proportion_score_test(56, 70, 48, 80)
        >>> round(z, 4), round(p, 4)
        (2.6502, 0.008)
        >>> z, p = two_proportion_score_test(52.5, 65.6, 40.1, 71.3, fractional=True)
        >>> round(z, 4), round(p, 4)
        (2.9722, 0.003)
    """
    owner = "two_proportion_score_test()"
    scalar = _is_scalar(x1, n1, x2, n2)
    a, na = _counts(x1, n1, owner, ("x1", "n1"), fractional=fractional)
    b, nb = _counts(x2, n2, owner, ("x2", "n2"), fractional=fractional)
    pooled = _safe_div(a + b, na + nb)
    inv = _safe_div(np.ones_like(na), na) + _safe_div(np.ones_like(nb), nb)
    var = pooled * (1 - pooled) * inv
    defined = (na > 0) & (nb > 0) & (var > 0)
    diff = _safe_div(a, na) - _safe_div(b, nb)
    z = _safe_div(diff, np.sqrt(np.where(defined, var, 0.0)))
    p = 2 * np.asarray(normal_sf(np.abs(z)), dtype=np.float64)
    p = np.where(defined, np.minimum(p, 1.0), 1.0)
    return _out(z, scalar), _out(np.asarray(p, dtype=np.float64), scalar)


def holm_adjust(p_values: ArrayLike) -> FloatOut:
    """Return Holm step-down adjusted p-values, in the input order.

    Sort ascending, multiply the i-th smallest (0-based) by ``m - i``, take the running
    maximum and cap at 1 (Holm 1979; ``statsmodels.stats.multitest.multipletests(
    method="holm")``). Compare each adjusted value with the family-wise alpha directly.

    Args:
        p_values: A 1-d sequence of p-values in [0, 1] (a scalar is a family of one).

    Returns:
        Adjusted p-values with the input's shape (a float for a scalar).

    Raises:
        InvalidInputError: Values outside [0, 1] or NaN.

    Examples:
        >>> holm_adjust([0.01, 0.04, 0.03]).tolist()
        [0.03, 0.06, 0.06]
    """
    scalar = _is_scalar(p_values)
    p = np.asarray(p_values, dtype=np.float64).ravel()
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    _reject_invalid(bad, "holm_adjust()", "p_values", "numbers in [0, 1]")
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (m - np.arange(m))
    adjusted_sorted = np.minimum(np.maximum.accumulate(scaled), 1.0) if m else scaled
    adjusted = np.empty_like(p)
    adjusted[order] = adjusted_sorted
    return float(adjusted[0]) if scalar else adjusted.reshape(np.shape(p_values))
