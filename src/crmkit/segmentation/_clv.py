"""Customer lifetime value and the diagnostics a modeller checks a BTYD fit with.

:func:`customer_lifetime_value` discounts a transaction model's expected purchases month
by month and multiplies them by a spend model's expected value per purchase:

``CLV = sum_{i=1..H} spend * (E[X(i f)] - E[X((i-1) f)]) / (1 + d)^i``

with the horizon ``H`` in months, the discount rate ``d`` per month, and ``f`` the
number of the model's time units in a month (``TIME_UNITS``; weeks: 4.348). This is the
lifetimes / PyMC-Marketing formula, with the unit stated in the result instead of
guessed.

Diagnostics, each a frame (figures in :mod:`crmkit.plotting`):
:func:`calibration_holdout_comparison` (expected vs actual holdout purchases by
calibration frequency), :func:`period_transactions` (how many customers made 0, 1, 2, ...
repeat purchases, actual vs model) and :func:`frequency_recency_matrix` (expected
purchases or P(alive) over a frequency x recency grid).

Examples:
    >>> import pandas as pd
    >>> from crmkit.segmentation import BetaGeoFit, GammaGammaFit, customer_lifetime_value
    >>> bg = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    ...                 time_unit="weeks")
    >>> gg = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
    >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86],
    ...                   "monetary_value": [22.35, 0.0]},
    ...                  index=pd.Index([1, 2], name="customer_id"))
    >>> customer_lifetime_value(s, bg, gg, horizon_months=12, discount_rate=0.01).round(2)
                 expected_purchases  expected_spend    clv
    customer_id
    1                          1.56           24.66  36.31
    2                          0.25           35.22   8.37
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from crmkit._spec import check_choice
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._model import (
    TIME_UNITS,
    FloatArray,
    _CountFit,
    aligned,
    check_customers,
    check_spend,
    read_columns,
)
from crmkit.segmentation._pareto import as_value_series

__all__ = [
    "calibration_holdout_comparison",
    "customer_lifetime_value",
    "frequency_recency_matrix",
    "period_transactions",
    "potential_from_value",
]


def _require_count_fit(owner: str, fit: object, name: str = "model") -> _CountFit:
    if not isinstance(fit, _CountFit):
        raise ConfigError(
            owner,
            name,
            expected="a fitted BG/NBD, MBG/NBD or Pareto/NBD model",
            found=type(fit).__name__,
            hint="Fit one with BetaGeoModel(...).fit(summary).",
        )
    return fit


def customer_lifetime_value(
    data: Any,
    model: Any,
    spend_model: Any,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    periods_per_month: float | None = None,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    monetary: str = "monetary_value",
) -> pd.DataFrame:
    """Discounted CLV per customer over ``horizon_months`` months, on the summary's index.

    Args:
        data: One row per customer with frequency, recency, T (in ``model.time_unit``)
            and the mean repeat-purchase value.
        model: A fitted transaction model (:class:`BetaGeoFit`, :class:`ModifiedBetaGeoFit`,
            :class:`ParetoNBDFit`).
        spend_model: A fitted :class:`GammaGammaFit`.
        horizon_months: Months to sum over (whole months, at least 1).
        discount_rate: Discount rate **per month** (0.01 = 1 % a month, about 12.7 % a
            year); 0 for undiscounted value.
        periods_per_month: Model time units per month; defaults to
            ``TIME_UNITS[model.time_unit]``, an average Gregorian month of 30.4375 days
            (weeks: 4.348, days: 30.4375, hours: 730.5). lifetimes'
            ``customer_lifetime_value`` uses 4.345 weeks, 30 days and 720 hours a month:
            pass ``periods_per_month=30`` (or 720, 4.345) to reproduce its figures.
        frequency: Column of repeat purchases.
        recency: Column of first-to-last purchase time.
        T: Column of first-purchase-to-end time.
        monetary: Column of mean repeat-purchase value.

    Returns:
        A new frame with ``expected_purchases`` (over the horizon, undiscounted),
        ``expected_spend`` (per purchase) and ``clv``. ``attrs`` states ``time_unit``,
        ``periods_per_month``, ``horizon_months`` and ``discount_rate`` (monthly).

    Raises:
        ConfigError: A model of the wrong kind, or a bad horizon or rate.
        InvalidInputError: Impossible rows, or a repeat buyer with zero or negative spend.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import ParetoNBDFit, GammaGammaFit
        >>> pn = ParetoNBDFit(params={"r": 0.553, "alpha": 10.578, "s": 0.606,
        ...                           "beta": 11.669}, time_unit="weeks")
        >>> gg = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
        >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86],
        ...                   "monetary_value": [22.35]})
        >>> out = customer_lifetime_value(s, pn, gg, horizon_months=24, discount_rate=0.0)
        >>> round(float(out["clv"].iloc[0]), 2), out.attrs["time_unit"]
        (78.76, 'weeks')
    """
    owner = "customer_lifetime_value()"
    fit = _require_count_fit(owner, model)
    from crmkit.segmentation._gamma_gamma import GammaGammaFit

    if not isinstance(spend_model, GammaGammaFit):
        raise ConfigError(
            owner,
            "spend_model",
            expected="a fitted GammaGammaFit",
            found=type(spend_model).__name__,
        )
    if (
        isinstance(horizon_months, bool)
        or not isinstance(horizon_months, int)
        or horizon_months < 1
    ):
        raise ConfigError(
            owner,
            "horizon_months",
            expected="a whole number of months at least 1",
            found=repr(horizon_months),
        )
    if (
        isinstance(discount_rate, bool)
        or not isinstance(discount_rate, (int, float))
        or not (0 <= discount_rate < 10)
    ):
        raise ConfigError(
            owner, "discount_rate", expected="a monthly rate in [0, 10)", found=repr(discount_rate)
        )
    per_month = TIME_UNITS[fit.time_unit] if periods_per_month is None else periods_per_month
    if isinstance(per_month, bool) or not isinstance(per_month, (int, float)) or not per_month > 0:
        raise ConfigError(
            owner, "periods_per_month", expected="a number greater than 0", found=repr(per_month)
        )
    from crmkit.segmentation._dask import is_dask

    if is_dask(data):
        return data.map_partitions(  # type: ignore[no-any-return]
            functools.partial(
                customer_lifetime_value,
                model=model,
                spend_model=spend_model,
                horizon_months=horizon_months,
                discount_rate=discount_rate,
                periods_per_month=periods_per_month,
                frequency=frequency,
                recency=recency,
                T=T,
                monetary=monetary,
            ),
            meta=customer_lifetime_value(
                data._meta, model, spend_model, horizon_months=horizon_months,
                discount_rate=discount_rate, periods_per_month=periods_per_month,
                frequency=frequency, recency=recency, T=T, monetary=monetary,
            ),
        )  # fmt: skip
    cols = read_columns(data, owner, [frequency, recency, T, monetary], allow_empty=True)
    x, tx, TT, m = cols.arrays
    check_customers(owner, cols.labels, x, tx, TT, (frequency, recency, T))
    # Checked here, not left to the spend model, so that the error names this function
    # and the caller's column (the frame below is an internal one).
    check_spend(cols.labels, x, m, owner, monetary)
    spend = spend_model.predict(
        pd.DataFrame({"f": x, "m": m}, index=cols.labels), frequency="f", monetary="m"
    )["expected_spend"].to_numpy()
    value, purchases = _discounted(
        fit, x, tx, TT, horizon_months, float(discount_rate), float(per_month)
    )
    out = aligned(
        cols.labels,
        {"expected_purchases": purchases, "expected_spend": spend, "clv": value * spend},
    )
    out.attrs.update(
        {
            "time_unit": fit.time_unit,
            "periods_per_month": float(per_month),
            "horizon_months": horizon_months,
            "discount_rate": float(discount_rate),
        }
    )
    return out


def _discounted(  # noqa: PLR0917 - private helper over parallel arrays
    fit: _CountFit,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    months: int,
    rate: float,
    per_month: float,
) -> tuple[FloatArray, FloatArray]:
    """(discounted purchases, undiscounted purchases) over ``months`` monthly steps."""
    value = np.zeros_like(x)
    previous = np.zeros_like(x)
    with np.errstate(all="ignore"):
        for i in range(1, months + 1):  # one vectorised step per month, not per customer
            current = np.maximum(fit._expected(np.full_like(x, i * per_month), x, tx, T), 0.0)
            value += np.maximum(current - previous, 0.0) / (1.0 + rate) ** i
            previous = current
    return value, previous


# --------------------------------------------------------------------------- diagnostics
def calibration_holdout_comparison(
    data: Any,
    model: Any,
    *,
    max_frequency: int = 7,
    frequency: str = "frequency_cal",
    recency: str = "recency_cal",
    T: str = "T_cal",
    holdout: str = "frequency_holdout",
    duration: str = "duration_holdout",
) -> pd.DataFrame:
    """Mean actual vs expected holdout purchases by calibration frequency.

    ``data`` is the output of :func:`~crmkit.segmentation.calibration_holdout` (fit the
    model on its calibration columns). Frequencies above ``max_frequency`` are pooled
    into the last row.

    Returns:
        A frame indexed by ``frequency_cal`` (0..max_frequency) with ``customers``,
        ``actual`` and ``expected`` (mean holdout purchases per customer).

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import BetaGeoFit
        >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> split = pd.DataFrame({"frequency_cal": [0, 0, 2], "recency_cal": [0, 0, 30.0],
        ...                       "T_cal": [38.0, 30.0, 38.0], "frequency_holdout": [0, 1, 2],
        ...                       "duration_holdout": [39.0, 39.0, 39.0]})
        >>> calibration_holdout_comparison(split, fit, max_frequency=2).round(3)
                       customers  actual  expected
        frequency_cal
        0                      2     0.5     0.219
        1                      0     NaN       NaN
        2                      1     2.0     1.253
    """
    owner = "calibration_holdout_comparison()"
    fit = _require_count_fit(owner, model)
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, int) or max_frequency < 0:
        raise ConfigError(
            owner, "max_frequency", expected="a whole number at least 0", found=repr(max_frequency)
        )
    cols = read_columns(data, owner, [frequency, recency, T, holdout, duration])
    x, tx, TT, actual, dur = cols.arrays
    check_customers(owner, cols.labels, x, tx, TT, (frequency, recency, T))
    with np.errstate(all="ignore"):
        expected = np.maximum(fit._expected(dur, x, tx, TT), 0.0)
    group = np.minimum(x, max_frequency).astype(np.int64)
    size = max_frequency + 1
    counts = np.bincount(group, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_actual = np.bincount(group, weights=actual, minlength=size) / counts
        mean_expected = np.bincount(group, weights=expected, minlength=size) / counts
    return pd.DataFrame(
        {"customers": counts, "actual": mean_actual, "expected": mean_expected},
        index=pd.RangeIndex(size, name="frequency_cal"),
    )


def _simulate_counts(fit: _CountFit, T: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Draw repeat-purchase counts in (0, T] from the fitted model, one per entry of T."""
    from crmkit.segmentation._bgnbd import BetaGeoFit
    from crmkit.segmentation._pareto_nbd import ParetoNBDFit

    if isinstance(fit, ParetoNBDFit):
        r, alpha, s, beta = fit._p()
        lam = rng.gamma(r, 1.0 / alpha, T.size)
        mu = rng.gamma(s, 1.0 / beta, T.size)
        life = rng.exponential(1.0, T.size) / mu
        return rng.poisson(lam * np.minimum(life, T)).astype(np.float64)
    if isinstance(fit, BetaGeoFit):
        r, alpha, a, b = fit._p()
        lam = rng.gamma(r, 1.0 / alpha, T.size)
        p = rng.beta(a, b, T.size)
        latent = rng.poisson(lam * T)
        # Dropout after each repeat purchase (BG/NBD: geometric on 1, 2, ...); MBG/NBD
        # also at time zero (geometric on 0, 1, ...).
        survived = rng.geometric(p) - (1 if fit._MODIFIED else 0)
        return np.minimum(latent, survived).astype(np.float64)
    raise ConfigError(
        "period_transactions()", "model", expected="a count model", found=type(fit).__name__
    )


def period_transactions(
    data: Any,
    model: Any,
    *,
    max_frequency: int = 7,
    draws: int = 20,
    seed: int = 0,
    frequency: str = "frequency",
    T: str = "T",
) -> pd.DataFrame:
    """How many customers made 0, 1, 2, ... repeat purchases: actual vs the fitted model.

    The model column is simulated from the fitted parameters at each customer's own ``T``
    (``draws`` simulations per customer, averaged; fixed ``seed``), as lifetimes'
    ``plot_period_transactions`` does. Counts above ``max_frequency`` are pooled.

    Returns:
        A frame indexed by ``frequency`` with ``actual`` and ``model`` customer counts.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import BetaGeoFit
        >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> s = pd.DataFrame({"frequency": [0, 0, 1, 3], "T": [30.0, 35.0, 38.0, 39.0]})
        >>> table = period_transactions(s, fit, max_frequency=2)
        >>> table["actual"].tolist(), round(float(table["model"].sum()), 6)
        ([2, 1, 1], 4.0)
    """
    owner = "period_transactions()"
    fit = _require_count_fit(owner, model)
    for name, value, low in (("max_frequency", max_frequency, 0), ("draws", draws, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(
                owner, name, expected=f"a whole number at least {low}", found=repr(value)
            )
    cols = read_columns(data, owner, [frequency, T], nonnegative=[frequency, T])
    x, TT = cols.arrays
    size = max_frequency + 1
    actual = np.bincount(np.minimum(x, max_frequency).astype(np.int64), minlength=size)
    rng = np.random.default_rng(seed)
    sims = _simulate_counts(fit, np.tile(TT, draws), rng)
    model_counts = (
        np.bincount(np.minimum(sims, max_frequency).astype(np.int64), minlength=size) / draws
    )
    return pd.DataFrame(
        {"actual": actual, "model": model_counts},
        index=pd.RangeIndex(size, name="frequency"),
    )


#: The most cells :func:`frequency_recency_matrix` computes (a 3,162 x 3,162 grid).
_MAX_CELLS = 10_000_000


def frequency_recency_matrix(
    model: Any,
    *,
    T: float,
    max_frequency: int | None = None,
    max_recency: int | None = None,
    quantity: str = "expected_purchases",
    t: float = 1.0,
) -> pd.DataFrame:
    """A frequency x recency grid of expected purchases in the next ``t`` or P(alive).

    Every customer on the grid has been observed for ``T`` periods; cells with recency
    above ``T`` (impossible) are NaN. Rows are frequencies 0..max_frequency, columns
    recencies 0..max_recency (whole periods; defaults: ``T``).

    Examples:
        >>> from crmkit.segmentation import BetaGeoFit
        >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> grid = frequency_recency_matrix(fit, T=39, max_frequency=3, max_recency=3,
        ...                                 quantity="p_alive")
        >>> grid.round(2)
        recency       0     1     2     3
        frequency
        0          1.00  1.00  1.00  1.00
        1          0.15  0.19  0.22  0.25
        2          0.02  0.04  0.06  0.08
        3          0.00  0.01  0.01  0.02
    """
    owner = "frequency_recency_matrix()"
    fit = _require_count_fit(owner, model)
    check_choice(quantity, ("expected_purchases", "p_alive"), owner, "quantity")
    for name, value, zero_ok in (("T", T, False), ("t", t, True)):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (number and (value >= 0 if zero_ok else value > 0) and value < float("inf")):
            least = "at least 0" if zero_ok else "greater than 0"
            raise ConfigError(owner, name, expected=f"a finite number {least}", found=repr(value))
    top_f = int(T) if max_frequency is None else max_frequency
    top_r = int(T) if max_recency is None else max_recency
    for name, value in (("max_frequency", top_f), ("max_recency", top_r)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInputError(
                owner,
                name,
                expected="a whole number at least 0",
                found=repr(value),
                kind="parameter",
            )
    if (top_f + 1) * (top_r + 1) > _MAX_CELLS:  # regression: T=1e308 was a raw ValueError
        raise ConfigError(
            owner, "T" if max_frequency is None and max_recency is None else "max_frequency",
            expected=f"a grid of at most {_MAX_CELLS:,} cells; pass smaller max_frequency "
            "and max_recency", found=f"{top_f + 1} x {top_r + 1} cells",
        )  # fmt: skip
    f, r = np.meshgrid(np.arange(top_f + 1.0), np.arange(top_r + 1.0), indexing="ij")
    TT = np.full_like(f, float(T))
    possible = r <= T
    rr = np.minimum(r, float(T))
    with np.errstate(all="ignore"):
        if quantity == "p_alive":
            values = fit._alive(f, rr, TT, np.zeros_like(f))
        else:
            values = fit._expected(np.full_like(f, float(t)), f, rr, TT)
    values = np.where(possible, np.clip(values, 0.0, None), np.nan)
    out = pd.DataFrame(
        values,
        index=pd.RangeIndex(top_f + 1, name="frequency"),
        columns=pd.RangeIndex(top_r + 1, name="recency"),
    )
    out.attrs.update(
        {"quantity": quantity, "T": float(T), "t": float(t), "time_unit": fit.time_unit}
    )
    return out


def potential_from_value(
    value: pd.Series,
    *,
    shares: tuple[float, float] = (0.2, 0.5),
    levels: tuple[str, str, str] = ("high", "medium", "low"),
) -> pd.Series:
    """Growth-potential levels from predicted value, for :class:`ValuePotentialMatrix`.

    A customer is ``high`` while fewer than ``shares[0]`` of the customers have a
    strictly higher predicted value (the customer that crosses the line stays in), then
    ``medium`` up to ``shares[1]``, else ``low``; equal values share a level, so row
    order never matters. Tie groups can be large, so a level can hold more than its
    share: customers with the same purchase history get the same predicted value. On
    CDNOW's 12-month CLV as of 1998-06-30 (weekly MBG/NBD and Gamma-Gamma), 1,060
    customers who bought in one week of March 1997 and never again in a later week share
    one value at ranks 48.8 % to 53.3 %, so ``medium`` holds 33.3 % of the customers, not
    30 %, and ``low`` 46.7 %.

    Args:
        value: Predicted value per customer, e.g. ``customer_lifetime_value(...)["clv"]``.
        shares: Cumulative customer shares that end ``high`` and ``medium``.
        levels: The level names, best first (a ``ValuePotentialMatrix``'s potentials).

    Returns:
        An ordered categorical Series on ``value``'s index.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import ValuePotentialMatrix
        >>> clv = pd.Series([900.0, 50.0, 400.0, 50.0, 10.0], index=list("abcde"))
        >>> potential = potential_from_value(clv)
        >>> potential.tolist()  # one of 5 above 400: 20 %, not under 20 %
        ['high', 'medium', 'medium', 'medium', 'low']
        >>> ValuePotentialMatrix.default().apply(pd.Series(["C", "B", "C", "A", "B"],
        ...     index=list("abcde")), potential).tolist()
        ['A', 'B', 'C', 'A', 'C']
    """
    owner = "potential_from_value()"
    if not isinstance(value, pd.Series):
        raise InvalidInputError(
            owner, "value", expected="a pandas Series", found=type(value).__name__, kind=""
        )
    low_share, mid_share = shares
    if not (0 < low_share <= mid_share <= 1):
        raise ConfigError(
            owner, "shares", expected="0 < high share <= medium share <= 1", found=repr(shares)
        )
    if len(set(levels)) != 3:
        raise ConfigError(owner, "levels", expected="three distinct names", found=repr(levels))
    _, numbers = as_value_series(value, owner)  # the one reader of values: labels, dtypes
    n = max(len(numbers), 1)
    above = pd.Series(numbers).rank(ascending=False, method="min").to_numpy() - 1  # strictly higher
    share_above = above / n
    codes = np.where(share_above < low_share, 0, np.where(share_above < mid_share, 1, 2))
    dtype = pd.CategoricalDtype(list(levels), ordered=True)
    return pd.Series(
        pd.Categorical.from_codes(codes, dtype=dtype), index=value.index, name="potential"
    )
