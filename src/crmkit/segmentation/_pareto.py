"""Concentration of value: Pareto (Lorenz) curve, Gini coefficient, top-k share.

All three take one value per customer (a Series, an array or a list). Values must be
finite and non-negative with a positive total: a concentration measure of net-negative
customers has no meaning, so such input is an error rather than a number. A Series
label on more than one row is an error too (one customer would count as several).

Values are finite one by one but their sum need not be (``[1e308, 1e308]``). Every
measure here is a ratio, so it is computed on the values divided by a power of two that
brings the largest below 1 (:func:`pow2_scaled`): such a division is exact, the ratios
are the same bit for bit, and no sum can overflow.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from crmkit._spec import check_choice
from crmkit._validate import check_not_empty, check_unique_labels, first_labels, numeric_column
from crmkit.errors import ConfigError, InvalidInputError

__all__ = ["as_value_series", "gini", "pareto_curve", "pow2_scaled", "top_share"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def as_value_series(values: Any, owner: str) -> tuple[pd.Series, FloatArray]:
    """Return ``values`` as a Series (keeping its index) and a checked float64 array.

    >>> s, arr = as_value_series([3, 1.5], "gini()")
    >>> arr.tolist(), s.index.tolist()
    ([3.0, 1.5], [0, 1])
    """
    if isinstance(values, pd.DataFrame):
        raise InvalidInputError(
            owner,
            "values",
            expected="one value per customer (a Series or 1-d array)",
            found="a DataFrame",
            hint="Pass one column, e.g. frame['monetary'].",
            kind="",
        )
    if isinstance(values, pd.Series):
        series = values
    elif isinstance(values, (list, tuple, range)):
        series = pd.Series(list(values), dtype=None if len(values) else np.float64)
        if series.dtype == object and bool(
            series.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any()
        ):
            raise InvalidInputError(
                owner, "values", expected="one-dimensional", found="nested lists", kind=""
            )
    elif not isinstance(values, (np.ndarray, pd.Index, pd.api.extensions.ExtensionArray)):
        raise InvalidInputError(
            owner,
            "values",
            expected="one value per customer (a Series, array or list)",
            found=type(values).__name__,
            kind="",
        )
    else:
        array = np.asarray(values) if isinstance(values, np.ndarray) else values
        if array.ndim != 1:
            raise InvalidInputError(
                owner,
                "values",
                expected="one-dimensional",
                found=f"{array.ndim} dimensions",
                kind="",
            )
        series = pd.Series(array)
    name = value_name(series)
    frame = pd.DataFrame({name: series.array}, index=series.index)
    check_not_empty(frame, owner, name)
    return series, numeric_column(frame, name, owner)


def pow2_scaled(arr: FloatArray) -> FloatArray:
    """Return ``arr`` divided by the power of two that brings its largest magnitude below 1.

    Dividing by a power of two only changes the exponent, so it is exact (short of values
    some 300 orders of magnitude below the largest), and every ratio, share, order and tie
    computed from the result equals the one computed from ``arr``; but a sum of ``n``
    scaled values is below ``n`` and never overflows.

    >>> import numpy as np
    >>> pow2_scaled(np.array([1e308, 1e308])).sum() > 0
    np.True_
    >>> pow2_scaled(np.array([3.0, 1.0])).tolist()
    [0.75, 0.25]
    """
    peak = float(np.max(np.abs(arr))) if arr.size else 0.0
    if peak == 0.0 or not np.isfinite(peak):
        return arr
    exponent = int(np.frexp(peak)[1])
    return np.asarray(np.ldexp(arr, -exponent), dtype=np.float64)


def value_name(series: pd.Series) -> str:
    """The name errors give a series of values: its own name, else ``"values"``."""
    return "values" if series.name is None else str(series.name)


def reject_negative(
    series: pd.Series, arr: FloatArray, owner: str, *, expected: str, hint: str
) -> None:
    """Raise ``InvalidInputError`` naming the first negative values (by label), if any."""
    negative = arr < 0
    if negative.any():
        count = int(negative.sum())
        raise InvalidInputError(
            owner,
            value_name(series),
            expected=expected,
            found=f"{count} negative values",
            rows=first_labels(series.index, negative),
            total=count,
            hint=hint,
        )


def reject_repeated_labels(index: pd.Index, owner: str, field: str) -> None:
    """Refuse a customer label on more than one row of a value function's values.

    These functions take one value per customer: a label on two rows (a transaction
    log's per-row amounts, an id joined twice) would count one customer as two, so it
    is refused rather than guessed at (:func:`crmkit._validate.check_unique_labels`).

    >>> import pandas as pd
    >>> reject_repeated_labels(pd.Index(["a", "b", "a"]), "gini()", "revenue")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: gini(): column 'revenue' must be one value per customer (each label once); found 1 label on more than one row at rows ['a']. If the rows are purchases, sum them per customer first (values.groupby(level=0).sum()); if each row is a customer, give each its own label (values.reset_index(drop=True)).
    """
    check_unique_labels(
        index,
        owner,
        field,
        expected="one value per customer (each label once)",
        hint="If the rows are purchases, sum them per customer first "
        "(values.groupby(level=0).sum()); if each row is a customer, give each its own "
        "label (values.reset_index(drop=True)).",
    )


def _non_negative(series: pd.Series, arr: FloatArray, owner: str) -> tuple[FloatArray, float]:
    """The values scaled by :func:`pow2_scaled` and their (finite) total."""
    reject_repeated_labels(series.index, owner, value_name(series))
    reject_negative(
        series,
        arr,
        owner,
        expected="non-negative",
        hint="Concentration needs non-negative values; clip net refunds to 0 or drop them.",
    )
    scaled = pow2_scaled(arr)
    total = float(scaled.sum())
    if total <= 0:
        raise InvalidInputError(
            owner,
            value_name(series),
            expected="a positive total",
            found="only zeros",
            hint="With no value at all there is nothing to share.",
        )
    return scaled, total


def pareto_curve(
    values: Any, *, order: Literal["descending", "ascending"] = "descending"
) -> pd.DataFrame:
    """Return the points of the Pareto curve: share of customers vs share of revenue.

    With ``order="descending"`` (default) the best customers come first, so the point at
    ``customer_share = 0.2`` reads "the top 20 % of customers bring this share of revenue".
    ``order="ascending"`` gives the classic Lorenz curve (smallest first). Both start at
    ``(0, 0)`` and end at ``(1, 1)``; ties do not change the curve.

    Args:
        values: One non-negative value per customer.
        order: ``"descending"`` (Pareto) or ``"ascending"`` (Lorenz).

    Returns:
        A frame of ``n + 1`` rows with ``customer_share`` and ``revenue_share``.

    Examples:
        >>> pareto_curve([10, 30, 60])
           customer_share  revenue_share
        0        0.000000            0.0
        1        0.333333            0.6
        2        0.666667            0.9
        3        1.000000            1.0
    """
    owner = "pareto_curve()"
    check_choice(order, ("descending", "ascending"), owner, "order")
    series, arr = as_value_series(values, owner)
    scaled, total = _non_negative(series, arr, owner)
    ordered = np.sort(scaled)
    if order == "descending":
        ordered = ordered[::-1]
    n = len(arr)
    revenue = np.concatenate([[0.0], np.cumsum(ordered) / total])
    revenue[-1] = 1.0  # exact end point despite float rounding
    return pd.DataFrame({"customer_share": np.arange(n + 1) / n, "revenue_share": revenue})


def gini(values: Any, *, corrected: bool = False) -> float:
    """Return the Gini coefficient of the values (0 = all equal, 1 - 1/n = one has all).

    Computed as ``G = 2 * sum(i * x_(i)) / (n * sum(x)) - (n + 1) / n`` with ``x`` sorted
    ascending and ``i = 1..n``, which equals the mean absolute difference over twice the
    mean, ``sum_ij |x_i - x_j| / (2 * n**2 * mean)``. This is the *population* (descriptive)
    Gini, twice the area between the diagonal and :func:`pareto_curve`'s Lorenz curve, and
    the default of R's ``ineq::Gini(x)`` (``corr = FALSE``), Python's common
    ``gini = ...`` recipes and Excel templates. It is at most ``1 - 1/n``.

    With ``corrected=True`` it returns the finite-sample corrected value ``G * n / (n - 1)``
    (``ineq::Gini(x, corr = TRUE)``; Stata ``fastgini``'s ``bias`` option; the *default*
    of R's ``DescTools::Gini``, ``unbiased = TRUE``), which uses the mean difference over
    distinct pairs and reaches 1 when one customer has everything; it needs at least two
    values.

    Args:
        values: One non-negative value per customer, positive total.
        corrected: Apply the ``n / (n - 1)`` small-sample correction.

    Examples:
        >>> gini([1, 1, 1, 1])
        0.0
        >>> gini([0, 0, 0, 10]), gini([0, 0, 0, 10], corrected=True)
        (0.75, 1.0)
        >>> round(gini([1, 2, 3, 4, 5]), 4), round(gini([1, 2, 3, 4, 5], corrected=True), 4)
        (0.2667, 0.3333)
    """
    owner = "gini()"
    if not isinstance(corrected, (bool, np.bool_)):
        raise ConfigError(owner, "corrected", expected="True or False", found=repr(corrected))
    series, arr = as_value_series(values, owner)
    scaled, total = _non_negative(series, arr, owner)
    ordered = np.sort(scaled)
    n = len(ordered)
    if corrected and n < 2:
        raise InvalidInputError(
            owner,
            value_name(series),
            expected="at least two values with corrected=True",
            found="one value",
            hint="The n / (n - 1) correction is undefined for one customer.",
        )
    ranks = np.arange(1, n + 1, dtype=np.float64)
    value = 2.0 * float(np.dot(ranks, ordered)) / (n * total) - (n + 1) / n
    value = float(min(max(value, 0.0), 1.0 - 1.0 / n))
    if corrected:
        return float(min(value * n / (n - 1), 1.0))
    return value


def top_share(values: Any, fraction: float = 0.2) -> float:
    """Return the share of the total held by the top ``fraction`` of customers.

    When ``fraction * n`` is not a whole number the Pareto curve is interpolated linearly
    (the last customer counts in part), so the result does not jump with ``n``.

    Args:
        values: One non-negative value per customer.
        fraction: The top share of customers, in ``(0, 1]``.

    Examples:
        >>> top_share([70, 10, 10] + [10 / 7] * 7, 0.1)
        0.7
        >>> top_share([50, 30, 20], 0.5)  # top 1.5 customers: 50 + 0.5 * 30
        0.65
    """
    owner = "top_share()"
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, (int, float, np.integer, np.floating))
        or not 0 < fraction <= 1
    ):
        raise ConfigError(owner, "fraction", expected="a number in (0, 1]", found=repr(fraction))
    series, arr = as_value_series(values, owner)
    scaled, total = _non_negative(series, arr, owner)
    ordered = np.sort(scaled)[::-1]
    n = len(ordered)
    k = float(fraction) * n
    whole = min(int(np.floor(k + 1e-9)), n)
    part = k - whole if whole < n else 0.0
    held = float(ordered[:whole].sum())
    if part > 1e-9:
        held += part * float(ordered[whole])
    return min(held / total, 1.0)
