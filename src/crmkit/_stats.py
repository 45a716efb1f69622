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
    kish_effective_n, linearized_variance, linearized_share_variance: weighted data
        (Kish effective size; with-replacement Taylor linearisation, the ``n / (n - 1)``
        factor of R ``survey`` and samplics).
    nps_variance, adjusted_nps, wald_interval, nps_adjusted_wald_interval,
        nps_score_interval: the Net Promoter Score (trinomial variance; Rocks 2016
        adjusted Wald; the R ``NPS`` package's iterative score interval).
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

from crmkit._spec import check_choice
from crmkit.errors import ConfigError, InvalidInputError

__all__ = [
    "PROPORTION_METHODS",
    "adjusted_nps",
    "agresti_coull_interval",
    "clopper_pearson_interval",
    "holm_adjust",
    "jeffreys_interval",
    "kish_effective_n",
    "linearized_share_variance",
    "linearized_variance",
    "newcombe_interval",
    "normal_sf",
    "nps_adjusted_wald_interval",
    "nps_score_interval",
    "nps_variance",
    "percentile_grid",
    "poisson_interval",
    "proportion_interval",
    "t_interval",
    "t_interval_from_se",
    "two_proportion_score_test",
    "wald_interval",
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
    # A level within a rounding error of 1 (1 - 2**-53) has no finite normal quantile.
    if (
        not isinstance(level, (int, float))
        or isinstance(level, bool)
        or not 0 < level < 1
        or 0.5 + level / 2 >= 1
    ):
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
    ``successes == 0`` and the upper bound to 1 when ``successes == n``. The equal-tailed
    quantiles can also leave out the observed share elsewhere: fractional (effective)
    counts within about 5e-4 of 0 or ``n`` at 95 %, more at lower levels (a weighted CSAT
    of 0.00001 % had the interval 0.00005 % to 0.25 %), and 1 or ``n - 1`` successes at
    levels below about 0.3 (1/10 at 10 %: 0.1026 to 0.1269). There the bound on the side
    of the share moves to the share itself, the same rule carried over (at 0 and ``n`` it
    is exactly the rule), so the interval always contains the observed share. statsmodels
    applies neither; elsewhere the two agree. ``n == 0`` gives ``(0.0, 1.0)``.

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
    # The boundary rule, carried over to every count: a bound never passes the share.
    share = _safe_div(x, nn)
    lower = np.where(x > 0, np.minimum(betaincinv(a, b, alpha / 2), share), 0.0)
    upper = np.where(x < nn, np.maximum(betaincinv(a, b, 1 - alpha / 2), share), 1.0)
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
    check_choice(method, PROPORTION_METHODS, "proportion_interval()", "method")
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


# --------------------------------------------------------------------------- weighted data
#
# Sampling weights enter every interval the same way: the estimate is the ratio mean
# sum(w*y) / sum(w); its standard error is the with-replacement Taylor linearisation; and
# the proportion and NPS intervals are fed the Kish effective counts (share * n_eff,
# n_eff) through their ``fractional=True`` variants.


def kish_effective_n(sum_w: ArrayLike, sum_w2: ArrayLike) -> FloatOut:
    """Return Kish's effective sample size ``(sum w)**2 / sum w**2`` (0 where there is none).

    With all weights equal it is the number of rows; the design effect is
    ``n / n_effective`` (Kish 1965; R ``svyweight::eff_n``, ``PracTools::deffK``).

    Args:
        sum_w: Sum of the weights (scalar or array).
        sum_w2: Sum of the squared weights.

    Returns:
        The effective size, 0 where ``sum_w2 == 0``.

    Examples:
        >>> kish_effective_n(1 + 2 + 1 + 1 + 3, 1 + 4 + 1 + 1 + 9)
        4.0
    """
    scalar = _is_scalar(sum_w, sum_w2)
    w = np.asarray(sum_w, dtype=np.float64)
    w2 = np.asarray(sum_w2, dtype=np.float64)
    has = w2 > 0
    return _out(np.where(has, w**2 / np.where(has, w2, 1.0), 0.0), scalar)


def linearized_variance(
    sum_w: ArrayLike,
    sum_w2: ArrayLike,
    sum_w2y: ArrayLike,
    sum_w2yy: ArrayLike,
    mean: ArrayLike,
    *,
    n: ArrayLike | None = None,
) -> FloatOut:
    """Return the Taylor-linearised variance of a weighted (ratio) mean, from sums.

    ``sum w**2 * (y - mean)**2 / (sum w)**2``, expanded into the sums so that many groups
    are evaluated at once, times ``n / (n - 1)`` when ``n`` (the number of sampled units)
    is given: the with-replacement estimator of R ``survey::svymean``, Stata ``svy: mean``
    and samplics ``TaylorEstimator("mean")``. Where ``n <= 1`` the spread is unknown and
    the variance is 0; where ``sum_w == 0`` it is 0.

    Args:
        sum_w: Sum of the weights.
        sum_w2: Sum of the squared weights.
        sum_w2y: Sum of ``w**2 * y``.
        sum_w2yy: Sum of ``w**2 * y**2``.
        mean: The weighted mean ``sum(w*y) / sum(w)``.
        n: Number of sampled units for the ``n / (n - 1)`` factor, or ``None`` to leave
            it out (the plug-in form; with unit weights it is the population variance
            over ``n``).

    Returns:
        The variance of the mean (take the square root for the standard error).

    Examples:
        >>> # NPS codes y = (1, 1, 0, -1, -1) with weights (1, 2, 1, 1, 3): mean -1/8.
        >>> v = linearized_variance(8, 16, -5, 15, -0.125, n=5)
        >>> round(v ** 0.5, 4)
        0.5229
    """
    scalar = _is_scalar(sum_w, sum_w2, sum_w2y, sum_w2yy, mean)
    w = np.asarray(sum_w, dtype=np.float64)
    w2 = np.asarray(sum_w2, dtype=np.float64)
    w2y = np.asarray(sum_w2y, dtype=np.float64)
    w2yy = np.asarray(sum_w2yy, dtype=np.float64)
    m = np.asarray(mean, dtype=np.float64)
    safe = np.where(w > 0, w, 1.0)
    var = np.maximum(w2yy - 2 * m * w2y + m**2 * w2, 0.0) / safe**2
    if n is not None:
        nn = np.asarray(n, dtype=np.float64)
        var = var * np.where(nn > 1, nn / np.where(nn > 1, nn - 1, 1.0), 0.0)
    return _out(np.asarray(var, dtype=np.float64), scalar)


def linearized_share_variance(
    sum_w: ArrayLike, sum_w2: ArrayLike, sum_w2x: ArrayLike, share: ArrayLike
) -> FloatOut:
    """Return the plug-in linearised variance of a weighted share (``x`` in {0, 1}).

    The 0/1 case of :func:`linearized_variance` without the ``n / (n - 1)`` factor:
    ``(sum w**2 x (1 - 2 p) + p**2 sum w**2) / (sum w)**2``. With unit weights it is
    ``p (1 - p) / n``, the Wald variance.

    Args:
        sum_w: Sum of the weights.
        sum_w2: Sum of the squared weights.
        sum_w2x: Sum of ``w**2`` over the positive rows.
        share: The weighted share ``p``.

    Returns:
        The variance of the share (0 where ``sum_w == 0``).

    Examples:
        >>> linearized_share_variance(4, 4, 1, 0.25) == 0.25 * 0.75 / 4
        True
    """
    scalar = _is_scalar(sum_w, sum_w2, sum_w2x, share)
    w = np.asarray(sum_w, dtype=np.float64)
    w2 = np.asarray(sum_w2, dtype=np.float64)
    w2x = np.asarray(sum_w2x, dtype=np.float64)
    p = np.asarray(share, dtype=np.float64)
    has = w > 0
    safe = np.where(has, w, 1.0)
    lin = (w2x * (1 - 2 * p) + p**2 * w2) / safe**2
    return _out(np.where(has, np.maximum(lin, 0.0), 0.0), scalar)


# --------------------------------------------------------------------------- NPS
#
# NPS codes each answer y in {-1, 0, +1}; with promoter share p and detractor share d the
# score is p - d and the per-response variance p + d - (p - d)**2 (promoters and
# detractors are not independent: Rocks 2016; R ``NPS::nps_var``). Shares may be weighted;
# ``n`` may be a Kish effective size. Scores are on the -1..1 scale here.


def nps_variance(promoters: Any, detractors: Any) -> Any:
    """Return the per-response trinomial variance ``p + d - (p - d)**2`` of an NPS.

    Plain arithmetic: floats give a float, arrays an array (no validation; callers
    pass shares in [0, 1]).

    Examples:
        >>> round(nps_variance(0.5, 0.2), 2)  # 0.7 - 0.3**2
        0.61
    """
    return promoters + detractors - (promoters - detractors) ** 2


def adjusted_nps(promoters: Any, detractors: Any, n: Any) -> tuple[Any, Any, Any]:
    """Return the adjusted-Wald ``(centre, variance, n + 3)`` of an NPS (Rocks 2016).

    Adds 3/4 detractor, 3/2 passive and 3/4 promoter: ``p~ = (p*n + 3/4) / (n + 3)``,
    likewise ``d~``; the centre is ``p~ - d~`` and the variance the trinomial one at the
    adjusted shares. Plain arithmetic on floats or arrays, as :func:`nps_variance`.

    Examples:
        >>> centre, var, n_t = adjusted_nps(0.5, 0.2, 100)
        >>> round(centre, 6), round(var, 6), n_t
        (0.291262, 0.609341, 103)
    """
    n_t = n + 3
    p_t = (promoters * n + 0.75) / n_t
    d_t = (detractors * n + 0.75) / n_t
    centre = p_t - d_t
    return centre, p_t + d_t - centre**2, n_t


def wald_interval(
    estimate: ArrayLike, se: ArrayLike, level: float = 0.95
) -> tuple[FloatOut, FloatOut]:
    """Return ``estimate -/+ z * se`` (the normal-approximation interval).

    Examples:
        >>> lo, hi = wald_interval(0.3, 0.0781, 0.95)
        >>> round(lo, 4), round(hi, 4)
        (0.1469, 0.4531)
    """
    z = z_value(_check_level(level, "wald_interval()"))
    scalar = _is_scalar(estimate, se)
    e = np.asarray(estimate, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    return _out(e - z * s, scalar), _out(e + z * s, scalar)


def nps_adjusted_wald_interval(
    promoters: ArrayLike,
    detractors: ArrayLike,
    n: ArrayLike,
    level: float = 0.95,
    *,
    fpc: ArrayLike = 1.0,
) -> tuple[FloatOut, FloatOut]:
    """Return the adjusted-Wald NPS interval (Rocks 2016; MeasuringU), on the -1..1 scale.

    ``centre -/+ z * sqrt(var~ / (n + 3) * fpc)`` with ``centre``, ``var~`` from
    :func:`adjusted_nps` (the pseudo-counts 3/4, 3/2, 3/4 of R ``NPS::nps_test(test=
    "adjusted.wald")``); not clipped (callers clip to [-1, 1]).

    Boundary rule: the interval is widened, where needed, to contain the observed score
    ``promoters - detractors``. The published interval is centred on the shrunk score
    and its three pseudo-responses are fixed whatever the level, so it can leave out the
    score that is reported beside it: one promoter gives ``(-0.485, 0.985)`` at 95 %
    for a score of 1 (R ``NPS`` too), and at 80 % every ``n - 1`` promoters and one
    passive do. Only the bound on the side of the score moves, to the score itself (as
    Brown, Cai & DasGupta's boundary rule for the Jeffreys interval, see
    :func:`jeffreys_interval`); where the published interval contains the score,
    nothing changes.

    Args:
        promoters: Promoter share(s) (weighted shares allowed).
        detractors: Detractor share(s).
        n: Responses (or the Kish effective size of weighted data).
        level: Two-sided confidence level.
        fpc: Finite-population correction factor ``(N - n) / (N - 1)``.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> lo, hi = nps_adjusted_wald_interval(0.5, 0.2, 100)
        >>> round(lo * 100, 2), round(hi * 100, 2)
        (14.05, 44.2)
        >>> lo, hi = nps_adjusted_wald_interval(1.0, 0.0, 1)  # one promoter: score 1
        >>> round(lo, 4), hi
        (-0.485, 1.0)
    """
    z = z_value(_check_level(level, "nps_adjusted_wald_interval()"))
    scalar = _is_scalar(promoters, detractors, n, fpc)
    p = np.asarray(promoters, dtype=np.float64)
    d = np.asarray(detractors, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    centre, var_t, n_tilde = adjusted_nps(p, d, nn)
    half = z * np.sqrt(var_t / n_tilde * np.asarray(fpc, dtype=np.float64))
    score = p - d  # the boundary rule: the interval holds the observed score
    lower = np.minimum(centre - half, score)
    upper = np.maximum(centre + half, score)
    return _out(np.asarray(lower), scalar), _out(np.asarray(upper), scalar)


def nps_score_interval(
    detractors: ArrayLike, promoters: ArrayLike, n: ArrayLike, level: float = 0.95
) -> tuple[FloatOut, FloatOut]:
    """Return the iterative (Tango-type) score interval of the R ``NPS`` package, vectorised.

    ``detractors`` and ``promoters`` are counts (fractional: effective counts of weighted
    data), ``n`` the responses; the result is on the -1..1 scale. The R code
    (``iterative()``), followed exactly: for the upper limit start at the estimate with
    step ``1 - nps``; up to 50 times halve the step, try ``nps + step``, compute the score
    statistic ``(c - b - n*D) / sqrt(n*(2*q + D*(1 - D)))`` with ``q`` the restricted
    estimate ``(sqrt(B**2 - 4*A*C) - B) / (2*A)``, ``A = 2n``, ``B = -b - c + (2n - c + b)*D``,
    ``C = -b*D*(1 - D)``; move to the trial point when ``|score| < z``; stop when the step
    is below 1e-7 or ``|z - score| < 1e-6`` and report the last trial point. The lower
    limit then searches downward the same way, starting from where the upper search left
    the estimate (as the R code does). ``c == n`` gives the upper limit 1 and ``b == n``
    the lower limit -1. Callers pass ``n > 0``.

    Args:
        detractors: Detractor counts ``b``.
        promoters: Promoter counts ``c``.
        n: Responses.
        level: Two-sided confidence level.

    Returns:
        ``(lower, upper)``.

    Examples:
        >>> lo, hi = nps_score_interval(20, 50, 100)
        >>> round(lo * 100, 2), round(hi * 100, 2)
        (13.96, 44.34)
    """
    z = z_value(_check_level(level, "nps_score_interval()"))
    scalar = _is_scalar(detractors, promoters, n)
    b, c, nn = np.broadcast_arrays(
        np.atleast_1d(np.asarray(detractors, dtype=np.float64)),
        np.atleast_1d(np.asarray(promoters, dtype=np.float64)),
        np.atleast_1d(np.asarray(n, dtype=np.float64)),
    )
    pa = 2 * nn

    def score(delta: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            pb = -b - c + (2 * nn - c + b) * delta
            pc = -b * delta * (1 - delta)
            q = (np.sqrt(pb**2 - 4 * pa * pc) - pb) / (2 * pa)
            return np.asarray((c - b - nn * delta) / np.sqrt(nn * (2 * q + delta * (1 - delta))))

    with np.errstate(invalid="ignore", divide="ignore"):
        est = (c - b) / nn

    def search(
        direction: float, boundary_done: npt.NDArray[np.bool_], start: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        current = start.copy()
        step = 1 - current if direction > 0 else 1 + current
        done = boundary_done.copy()
        limit = np.full_like(current, direction)
        last = current.copy()
        for _ in range(50):
            if done.all():
                break
            step = 0.5 * step
            trial = current + direction * step
            s = score(trial)
            with np.errstate(invalid="ignore"):
                inside = ~done & (np.abs(s) < z)
                stop = ~done & ((step < 1e-7) | (np.abs(z - s) < 1e-6))
            current = np.where(inside, trial, current)
            limit = np.where(stop, trial, limit)
            last = np.where(done, last, trial)
            done = done | stop
        limit = np.where(done | boundary_done, limit, last)
        return limit, current

    upper, moved = search(+1.0, c >= nn, est)
    lower, _ = search(-1.0, b >= nn, moved)
    if scalar:
        return float(lower[0]), float(upper[0])
    return lower, upper


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


# --- campaigns: Welch and CUPED ---
# Appended by branch `campaigns` (the rest of this file belongs to `satis`): the
# difference of two means with unequal variances (Welch 1947), the CUPED covariate
# adjustment (Deng, Xu, Kohavi & Walker 2013), the log risk-ratio interval (Katz et al.
# 1978) and the chi-square goodness-of-fit test used for sample-ratio mismatch.
__all__ += [
    "chi_square_gof",
    "cuped_adjust",
    "risk_ratio_interval",
    "welch_interval",
]


def _welch_df(a: float, b: float, n1: float, n2: float) -> float:
    """The Welch-Satterthwaite degrees of freedom from ``a = var1/n1``, ``b = var2/n2``.

    ``(a + b)**2 / (a**2/(n1-1) + b**2/(n2-1))``, written in shares of the larger term so
    that variances near the float floor (1e-200) do not underflow when squared, nor huge
    ones overflow; ``n1 + n2 - 2`` (the pooled value) when both variances are 0. Callers
    pass ``n1, n2 >= 2``. The one implementation behind :func:`welch_interval` and
    :func:`relative_difference_interval`.
    """
    top = max(a, b)
    if top == 0:
        return float(n1) + float(n2) - 2.0
    u, w = a / top, b / top
    return (u + w) ** 2 / (u * u / (float(n1) - 1) + w * w / (float(n2) - 1))


def welch_interval(
    first: tuple[float, float, float],
    second: tuple[float, float, float],
    level: float = 0.95,
) -> tuple[float, float, float, float, float]:
    """Return Welch's interval and test for ``mean1 - mean2`` (unequal variances).

    ``se = sqrt(var1/n1 + var2/n2)`` with the Welch-Satterthwaite degrees of freedom
    ``se**4 / ((var1/n1)**2/(n1-1) + (var2/n2)**2/(n2-1))``; the interval is
    ``diff -/+ t(df) * se`` and the p-value two-sided. Matches
    ``scipy.stats.ttest_ind(a, b, equal_var=False)`` and its ``confidence_interval``.
    With fewer than two observations in a group, or zero variance in both, the
    interval is ``(diff, diff)`` when both variances are 0 and unbounded otherwise, the
    statistic 0 and the p-value 1.

    Args:
        first: ``(mean1, var1, n1)`` of the first group: its mean, sample variance
            (``ddof=1``) and size.
        second: ``(mean2, var2, n2)`` of the second group.
        level: Two-sided confidence level.

    Returns:
        ``(lower, upper, t, df, p_value)``.

    Examples:
        >>> lo, hi, t, df, p = welch_interval((12.0, 16.0, 40), (10.0, 9.0, 50))
        >>> round(lo, 3), round(hi, 3), round(t, 3), round(df, 1), round(p, 4)
        (0.481, 3.519, 2.626, 70.6, 0.0106)
    """
    from scipy.special import stdtr, stdtrit

    level = _check_level(level, "welch_interval()")
    (mean1, var1, n1), (mean2, var2, n2) = first, second
    diff = float(mean1) - float(mean2)
    if n1 < 2 or n2 < 2:
        return -math.inf, math.inf, 0.0, 0.0, 1.0
    a, b = float(var1) / float(n1), float(var2) / float(n2)
    se = math.sqrt(a + b)
    df = _welch_df(a, b, n1, n2)
    if se == 0:
        return diff, diff, 0.0, df, 1.0
    t = diff / se
    half = float(stdtrit(df, 0.5 + level / 2)) * se
    p = float(2 * stdtr(df, -abs(t)))
    return diff - half, diff + half, t, df, min(p, 1.0)


def cuped_adjust(y: ArrayLike, x: ArrayLike) -> tuple[npt.NDArray[np.float64], float, float]:
    """Return the CUPED-adjusted outcome, ``theta`` and the variance reduction.

    The adjusted outcome is ``y - theta * (x - mean(x))`` and the reduction
    ``1 - var(y_adj) / var(y)``.
    ``theta = cov(x, y) / var(x)``, estimated on all units pooled (both arms), so the
    adjustment does not depend on the treatment (Deng et al. 2013). The reduction equals
    the squared correlation of ``x`` and ``y``. With a constant ``x`` (or constant
    ``y``) nothing can be explained: ``theta`` is 0 and ``y`` comes back unchanged.

    Args:
        y: The outcome per unit (e.g. revenue in the campaign window).
        x: The pre-period covariate per unit (e.g. spend before the campaign).

    Returns:
        ``(y_adjusted, theta, variance_reduction)``.

    Examples:
        >>> y_adj, theta, reduction = cuped_adjust([3.0, 5.0, 4.0, 8.0], [1.0, 2.0, 2.0, 3.0])
        >>> y_adj.tolist(), round(theta, 6), round(reduction, 4)
        ([5.5, 5.0, 4.0, 5.5], 2.5, 0.8929)
    """
    yy = np.asarray(y, dtype=np.float64).ravel()
    xx = np.asarray(x, dtype=np.float64).ravel()
    if yy.shape != xx.shape:
        raise InvalidInputError(
            "cuped_adjust()", "x", expected=f"{yy.size} values, one per y",
            found=f"{xx.size}", kind="parameter",
        )  # fmt: skip
    bad = ~np.isfinite(yy) | ~np.isfinite(xx)
    _reject_invalid(bad, "cuped_adjust()", "y, x", "finite numbers", "parameters")
    if yy.size < 2:
        return yy.copy(), 0.0, 0.0
    xc = xx - xx.mean()
    var_x = float(xc @ xc)
    var_y = float(((yy - yy.mean()) ** 2).sum())
    if var_x == 0 or var_y == 0:
        return yy.copy(), 0.0, 0.0
    theta = float(xc @ (yy - yy.mean())) / var_x
    adjusted = yy - theta * xc
    reduction = 1.0 - float(((adjusted - adjusted.mean()) ** 2).sum()) / var_y
    return adjusted, theta, reduction


def risk_ratio_interval(
    x1: float, n1: float, x2: float, n2: float, level: float = 0.95
) -> tuple[float, float]:
    """Return the log (Katz) interval of the ratio of proportions ``(x1/n1) / (x2/n2)``.

    ``exp(log(rr) -/+ z * sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2))``; matches statsmodels
    ``confint_proportions_2indep(compare="ratio", method="log")``. Undefined (``x1`` or
    ``x2`` is 0, or an empty group): ``(0.0, inf)``. It does not invert the score test of
    :func:`two_proportion_score_test` and can contradict its p-value (8/10 against 3/10:
    0.985 to 7.22 beside p = 0.025): beside that p-value, use
    :func:`risk_ratio_score_interval` (as ``campaigns.measure`` does).

    Args:
        x1: Successes in the first group.
        n1: Trials in the first group.
        x2: Successes in the second group.
        n2: Trials in the second group.
        level: Two-sided confidence level.

    Returns:
        ``(lower, upper)`` of the ratio.

    Examples:
        >>> lo, hi = risk_ratio_interval(150, 1000, 90, 1000)
        >>> round(lo, 4), round(hi, 4)
        (1.303, 2.1319)
    """
    owner = "risk_ratio_interval()"
    z = z_value(_check_level(level, owner))
    _counts(x1, n1, owner, ("x1", "n1"))
    _counts(x2, n2, owner, ("x2", "n2"))
    if min(x1, x2, n1, n2) <= 0:
        return 0.0, math.inf
    rr = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return rr * math.exp(-z * se), rr * math.exp(z * se)


# --- campaigns: the score interval of a risk ratio ---
# Added by the campaigns review: measure() reported the relative lift with the Katz
# interval beside the score test's p-value, and the two disagreed (8/10 against 3/10:
# Katz 0.985 to 7.22 includes 1 where p = 0.025). Koopman's interval inverts the same
# score test, so the relative lift and its p-value always say the same thing.
__all__ += ["risk_ratio_score_interval"]


def _ratio_score_z(
    theta: FloatArray, x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray
) -> FloatArray:
    """Koopman's score statistic of ``p1 / p2 == theta`` (signed; ``> 0`` when ``p1 > theta p2``).

    ``(p1 - theta p2) / sqrt(q1 (1 - q1) / n1 + theta**2 q2 (1 - q2) / n2)`` with ``q1 =
    theta q2`` and ``q2`` the maximum likelihood estimates under the constraint: the
    smaller root of ``N theta q**2 - (n1 theta + x1 + n2 + x2 theta) q + x1 + x2``
    (Miettinen & Nurminen 1985, eq. 11), written ``2c / (-b + sqrt(b**2 - 4ac))`` so that
    it does not cancel when the responses are rare. No ``N / (N - 1)`` factor: that is
    Miettinen-Nurminen's interval; without it, Koopman's (1984). Callers pass ``n1, n2 >
    0``, ``x1 + x2 > 0`` and ``theta > 0``.
    """
    a = (n1 + n2) * theta
    b = n1 * theta + x1 + n2 + x2 * theta
    c = x1 + x2
    root = np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))
    q2 = np.clip(2.0 * c / (b + root), 0.0, 1.0)
    q1 = np.clip(theta * q2, 0.0, 1.0)
    var = q1 * (1.0 - q1) / n1 + theta * theta * q2 * (1.0 - q2) / n2
    num = x1 / n1 - theta * (x2 / n2)
    return _safe_div(num, np.sqrt(var))


def _ratio_score_lower(
    x1: FloatArray,
    n1: FloatArray,
    x2: FloatArray,
    n2: FloatArray,
    *,
    z: float,
    one_inside: npt.NDArray[np.bool_],
) -> FloatArray:
    """The lower bound of Koopman's interval: the ``theta < p1/p2`` where the statistic is ``z``.

    Bisection on a geometric scale down to adjacent floats, vectorised over the counts.
    The bracket keeps an end ``a`` where the statistic exceeds ``z`` (outside the
    interval) and an end ``b`` inside it, and ``b`` is returned. Whether ratio 1 is
    inside is not recomputed here: ``one_inside`` (the score test's ``p >= 1 - level``)
    sets the first bracket, so the bound is ``<= 1`` exactly when the test does not
    reject, and ``> 1`` (strictly, as a float) when it rejects a ratio of 1 from above.
    0 where ``x1 == 0`` or a group is empty (no information).
    """
    shape = x1.shape
    lower = np.zeros(shape, dtype=np.float64)
    todo = (x1 > 0) & (n1 > 0) & (n2 > 0)
    if not todo.any():
        return lower
    x1, n1, x2, n2, one_inside = x1[todo], n1[todo], x2[todo], n2[todo], one_inside[todo]
    hat = _safe_div(x1 / n1, x2 / n2, math.inf)
    # The inside end: 1 when the test keeps ratio 1 and 1 is below the estimate, else
    # the estimate itself (the statistic is 0 there); for an infinite estimate (x2 == 0),
    # the first of 2, 4, 16, 256, ... where the statistic is at most z (it falls to 0
    # as theta grows).
    above = hat >= 1.0
    b = np.where(above & one_inside, 1.0, hat)
    # The outside end: 1 when the test rejects ratio 1 and the estimate is above it.
    rejected_up = above & ~one_inside
    a = np.where(rejected_up, 1.0, np.nan)
    grow = ~np.isfinite(b)
    step = np.full(b.shape, 2.0)
    while grow.any():
        b = np.where(grow, step, b)
        grow &= ~(_ratio_score_z(b, x1, n1, x2, n2) <= z) & (step < 1e300)
        step = np.where(grow, np.minimum(step * step, 1e300), step)
    # The outside end elsewhere: b / 2, / 4, / 16, ... until the statistic exceeds z (it
    # grows without bound as theta falls to 0 when x1 > 0).
    seek = np.isnan(a)
    factor = np.full(b.shape, 0.5)
    while seek.any():
        a = np.where(seek, b * factor, a)
        seek &= ~(_ratio_score_z(np.where(seek, a, 1.0), x1, n1, x2, n2) > z) & (a > 1e-300)
        factor = np.where(seek, factor * factor, factor)
    # Bisection: at most about 64 rounds from a bracket 2**1000 wide to adjacent floats.
    active = np.ones(b.shape, dtype=bool)
    for _ in range(200):
        mid = np.sqrt(a) * np.sqrt(b)
        active &= (mid > a) & (mid < b)
        if not active.any():
            break
        out = _ratio_score_z(np.where(active, mid, b), x1, n1, x2, n2) > z
        a = np.where(active & out, mid, a)
        b = np.where(active & ~out, mid, b)
    lower[todo] = b
    return lower


def risk_ratio_score_interval(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, level: float = 0.95
) -> tuple[FloatOut, FloatOut]:
    """Return Koopman's score interval for the ratio of proportions ``(x1/n1) / (x2/n2)``.

    The ratios ``theta`` that the score test of ``p1 == theta p2`` does not reject at
    ``level`` (Koopman 1984; the statistic of Miettinen & Nurminen 1985 without their
    ``N / (N - 1)`` factor). At ``theta = 1`` the statistic is the pooled z of
    :func:`two_proportion_score_test` (Pearson's chi-square), so the interval excludes 1
    exactly when that test's p-value is below ``1 - level``: the two never contradict
    each other, where the log (Katz) interval of :func:`risk_ratio_interval` does (8/10
    against 3/10: p = 0.025, Katz 0.985 to 7.22). The bounds are found by bisection to
    adjacent floats, and the side of 1 they fall on is set by the test's p-value itself.
    Matches statsmodels ``confint_proportions_2indep(compare="ratio", method="score",
    correction=False)`` and R ``PropCIs::riskscoreci``, except where a group's responses
    equal its size: there statsmodels 0.15 is wrong (10/10 against 10/10: 1.0 to 1.384;
    here 0.722 to 1.384, reciprocal as the symmetry requires).

    Edges: ``x2 == 0`` (an infinite ratio) gives an upper bound of ``inf``; ``x1 == 0``
    a lower bound of 0; both 0, or an empty group, ``(0.0, inf)``: no information, no NaN.
    The interval is equivariant: swapping the groups gives ``(1 / upper, 1 / lower)``.

    Args:
        x1: Successes in the first group.
        n1: Trials in the first group.
        x2: Successes in the second group.
        n2: Trials in the second group.
        level: Two-sided confidence level.

    Returns:
        ``(lower, upper)`` of the ratio.

    Examples:
        >>> lo, hi = risk_ratio_score_interval(7, 34, 1, 34)  # PropCIs: 1.220853, 42.575718
        >>> round(lo, 6), round(hi, 6)
        (1.220853, 42.575718)
        >>> lo, hi = risk_ratio_score_interval(8, 10, 3, 10)
        >>> round(lo, 4), round(hi, 4)
        (1.1265, 7.6578)
        >>> risk_ratio_score_interval(3, 10, 0, 10)[1]
        inf
    """
    owner = "risk_ratio_score_interval()"
    level = _check_level(level, owner)
    scalar = _is_scalar(x1, n1, x2, n2)
    a, na = _counts(x1, n1, owner, ("x1", "n1"))
    b, nb = _counts(x2, n2, owner, ("x2", "n2"))
    a, na, b, nb = (np.array(v, dtype=np.float64) for v in np.broadcast_arrays(a, na, b, nb))
    _, p = two_proportion_score_test(a, na, b, nb)
    one_inside = np.asarray(p, dtype=np.float64) >= 1 - level
    z = z_value(level)
    inside = one_inside.ravel()
    lower = _ratio_score_lower(a.ravel(), na.ravel(), b.ravel(), nb.ravel(), z=z, one_inside=inside)
    # The upper bound is the reciprocal of the swapped groups' lower bound (the statistic
    # of p2 == phi p1 is minus that of p1 == theta p2 at theta = 1 / phi).
    swapped = _ratio_score_lower(
        b.ravel(), nb.ravel(), a.ravel(), na.ravel(), z=z, one_inside=inside
    )
    upper = _safe_div(np.ones_like(swapped), swapped, math.inf)
    lower = lower.reshape(a.shape)
    upper = upper.reshape(a.shape)
    return _out(lower, scalar), _out(upper, scalar)


def chi_square_gof(observed: ArrayLike, expected_shares: ArrayLike) -> tuple[float, int, float]:
    """Return Pearson's chi-square goodness-of-fit ``(statistic, df, p_value)``.

    The expected counts are ``sum(observed) * expected_shares`` (shares normalised to sum
    to 1); ``df = k - 1``. Matches ``scipy.stats.chisquare``. With no observations the
    statistic is 0 and the p-value 1.

    Args:
        observed: Counts per category.
        expected_shares: The intended share of each category (e.g. ``[0.1, 0.9]``).

    Returns:
        ``(statistic, df, p_value)``.

    Examples:
        >>> stat, df, p = chi_square_gof([1080, 8920], [0.1, 0.9])
        >>> round(stat, 4), df, round(p, 5)
        (7.1111, 1, 0.00766)
    """
    from scipy.special import chdtrc

    owner = "chi_square_gof()"
    obs = np.asarray(observed, dtype=np.float64).ravel()
    shares = np.asarray(expected_shares, dtype=np.float64).ravel()
    if obs.shape != shares.shape or obs.size < 2:
        raise InvalidInputError(
            owner, "expected_shares", expected="one share per category (two or more)",
            found=f"{shares.size} shares for {obs.size} counts", kind="parameter",
        )  # fmt: skip
    _reject_invalid(~np.isfinite(obs) | (obs < 0), owner, "observed", "counts >= 0")
    _reject_invalid(~np.isfinite(shares) | (shares <= 0), owner, "expected_shares", "> 0")
    total = float(obs.sum())
    df = obs.size - 1
    if total == 0:
        return 0.0, df, 1.0
    expected = total * shares / shares.sum()
    stat = float(((obs - expected) ** 2 / expected).sum())
    return stat, df, float(chdtrc(df, stat))


def percentile_grid(values: ArrayLike) -> FloatArray:
    """The 101 percentiles (0 %, 1 %, ... 100 %) of ``values``, mirror-exact.

    numpy's default ("linear", Hyndman and Fan's type 7): at position ``h = (n - 1) * k /
    100`` of the sorted values, interpolated between its neighbours. ``np.quantile`` takes
    ``h`` from the float ``k / 100`` (``0.29 * 100`` is 28.999999999999996), which leaves
    a quantile a hair below a tie group it belongs to, on one side only: ``-x`` did not
    give ``-reversed(q)``. Here ``h`` is split in integers, the interpolation starts from
    the nearer neighbour (halfway: half of each), and equal neighbours give their value
    itself, so tie groups stay exact and ``percentile_grid(-x) == -percentile_grid(x)[::-1]``.
    The quantiles differ from ``np.quantile``'s by float rounding only.

    >>> percentile_grid([0.0, 0.0, 1.0, 3.0])[[0, 29, 50, 100]].tolist()
    [0.0, 0.0, 0.5, 3.0]
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    whole, rest = np.divmod((n - 1) * np.arange(101, dtype=np.int64), 100)
    a, b = x[whole], x[np.minimum(whole + 1, n - 1)]
    up, down = rest / 100, (100 - rest) / 100
    with np.errstate(over="ignore", invalid="ignore"):  # gaps over float64: halves below
        gap = b - a
        halves = ~np.isfinite(gap)
        gap = np.where(halves, b * 0.5 - a * 0.5, gap)
        scale = np.where(halves, 2.0, 1.0)
        start = np.where(halves, a * 0.5, a)
        end = np.where(halves, b * 0.5, b)
        out = np.where(rest < 50, start + gap * up, end - gap * down)
        out = np.where(rest == 50, start * 0.5 + end * 0.5, out) * scale
    out = np.where((rest == 0) | (a == b), a, np.clip(out, a, b))
    return np.sort(out)  # one-ulp steps back at the middle, if any: sorting is mirror-exact


# --- campaigns: planning a mean, relative lift of a mean ---
# Appended by the campaigns review: the power of the two-sample t test (the planning of
# revenue per customer, statsmodels' TTestIndPower) and the delta-method interval of the
# relative difference of two means (GrowthBook gbstats' relative TwoSidedTTest).
__all__ += ["relative_difference_interval", "t_test_power"]


def t_test_power(effect_size: float, n1: float, n2: float, level: float = 0.95) -> float:
    """Return the power of the two-sided two-sample t test for a standardised difference.

    ``effect_size = (mean1 - mean2) / sd`` with ``sd`` the common standard deviation; the
    test statistic has ``df = n1 + n2 - 2`` degrees of freedom and, under the alternative,
    the noncentral t distribution with noncentrality ``effect_size * sqrt(n1 n2 / (n1 +
    n2))``. The power is the probability of either tail beyond the critical value
    ``t(df, 1 - alpha/2)``, ``alpha = 1 - level``. Matches statsmodels
    ``TTestIndPower().power(effect_size, nobs1=n1, alpha=1 - level, ratio=n2 / n1)``;
    ``n1`` and ``n2`` may be fractional (a planned size before rounding).

    Args:
        effect_size: The difference in standard deviations (either sign).
        n1: Size of the first group (> 0).
        n2: Size of the second group (> 0), with ``n1 + n2 > 2``.
        level: Two-sided confidence level of the test.

    Returns:
        The power, in ``[1 - level, 1]``.

    Examples:
        >>> round(t_test_power(0.5, 64, 64), 6)  # Cohen's medium effect, 64 per group
        0.801460
    """
    from scipy.stats import nct
    from scipy.stats import t as student_t

    owner = "t_test_power()"
    alpha = 1 - _check_level(level, owner)
    checks = (("effect_size", effect_size, -math.inf), ("n1", n1, 0.0), ("n2", n2, 0.0))
    for name, value, low in checks:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not value > low
        ):
            raise ConfigError(
                owner, name, expected="a finite number" + ("" if low < 0 else " > 0"),
                found=repr(value),
            )  # fmt: skip
    df = float(n1) + float(n2) - 2
    if not df > 0:
        raise ConfigError(owner, "n1, n2", expected="n1 + n2 > 2", found=f"{n1} + {n2}")
    nc = abs(float(effect_size)) * math.sqrt(float(n1) * float(n2) / (float(n1) + float(n2)))
    crit = float(student_t.isf(alpha / 2, df))
    # The power is symmetric in the sign of the effect. The far tail is the upper tail
    # of the mirrored distribution: scipy's nct.cdf(-crit, df, nc) is NaN for large nc
    # (e.g. df 4998, nc 21.2) where nct.sf(crit, df, -nc) is its true value, 0.0. Where
    # scipy gives up on the near tail too (nc about 1e12: the power is 1 to double
    # precision), the normal limit stands in for it.
    near, far = float(nct.sf(crit, df, nc)), float(nct.sf(crit, df, -nc))
    if not math.isfinite(near):
        near = float(normal_sf(crit - nc))
    return min(1.0, near + (far if math.isfinite(far) else 0.0))


def relative_difference_interval(
    first: tuple[float, float, float],
    second: tuple[float, float, float],
    level: float = 0.95,
) -> tuple[float, float, float, float, float, float]:
    """Return the delta-method interval of ``(mean1 - mean2) / |mean2|``, the relative lift.

    The variance of the ratio of the two (independent) sample means by the delta method,
    ``var1 / (n1 mean2**2) + var2 mean1**2 / (n2 mean2**4)``; the interval is ``value -/+
    t(df) * se`` with Welch-Satterthwaite ``df`` of the absolute difference (see
    :func:`welch_interval`), the p-value two-sided from ``value / se`` on the same
    ``df``. This is GrowthBook gbstats' ``TwoSidedTTest`` with ``difference_type=
    "relative"`` (its ``frequentist_variance`` and ``TTest.dof``); it divides by
    ``|mean2|`` as gbstats does, so a negative baseline keeps the sign of the difference.
    The interval is symmetric and can reach below -100 %. Undefined when ``mean2`` is 0
    (``nan`` value, unbounded interval, p-value 1); with fewer than two observations in
    a group the interval is unbounded and the p-value 1; with a standard error of 0 the
    interval is ``(value, value)`` and the p-value 1.

    Args:
        first: ``(mean1, var1, n1)`` of the first group (treatment): its mean, sample
            variance (``ddof=1``) and size.
        second: ``(mean2, var2, n2)`` of the second group (control, the baseline).
        level: Two-sided confidence level.

    Returns:
        ``(value, lower, upper, t, df, p_value)``.

    Examples:
        >>> value, lo, hi, t, df, p = relative_difference_interval(
        ...     (12.0, 16.0, 40), (10.0, 9.0, 50)
        ... )
        >>> round(value, 3), round(lo, 4), round(hi, 4), round(p, 4)
        (0.2, 0.0381, 0.3619, 0.0162)
    """
    from scipy.special import stdtr, stdtrit

    level = _check_level(level, "relative_difference_interval()")
    (mean1, var1, n1), (mean2, var2, n2) = first, second
    m1, m2 = float(mean1), float(mean2)
    if m2 == 0:
        return math.nan, -math.inf, math.inf, 0.0, 0.0, 1.0
    value = (m1 - m2) / abs(m2)
    if n1 < 2 or n2 < 2:
        return value, -math.inf, math.inf, 0.0, 0.0, 1.0
    a, b = float(var1) / float(n1), float(var2) / float(n2)
    df = _welch_df(a, b, n1, n2)  # the degrees of freedom of welch_interval
    base, top = np.float64(m2), np.float64(m1)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        se = 0.0 if a + b == 0 else float(np.sqrt(a / base**2 + b * top**2 / base**4))
    if not (math.isfinite(se) and math.isfinite(value)):  # a baseline near 0: no bound
        return value, -math.inf, math.inf, 0.0, float(df), 1.0
    if se == 0:
        return value, value, value, 0.0, float(df), 1.0
    t = value / se
    half = float(stdtrit(df, 0.5 + level / 2)) * se
    p = float(2 * stdtr(df, -abs(t)))
    return value, value - half, value + half, t, float(df), min(p, 1.0)
