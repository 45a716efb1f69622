"""Value classes: ABC classification, the value x potential matrix, the customer pyramid.

The rules that peers get wrong, fixed here by construction:

- **The crossing customer stays in the higher class.** With cumulative shares, a customer
  is A when the share held by the customers *before* it is still below the A cut (80 %
  by default): the customer who crosses 80 % is A, not B. So the top customer is always A.
- **Ties share a class.** Customers with equal values form one group, classed by the
  position where the group starts; row order never matters.
- **Zero and negative values are explicit.** Shares are of the positive total; a
  customer with zero or negative value holds no share and is always in the lowest class
  (``negatives="error"`` refuses negative values instead). With no positive value at all,
  the cumulative and rank methods raise: there is nothing to share.
- **One value per customer.** A label on more than one row (a Series indexed by a
  transaction log's customer ids, an id joined twice) would count one customer as two
  in every share and tier; it is an :class:`~crmkit.errors.InvalidInputError` naming the
  repeated labels. Sum per customer first (``values.groupby(level=0).sum()``).
- **Boundaries do not hinge on float rounding.** A cumulative share within ``1e-9`` of a
  cut counts as reaching it.
- **Totals cannot overflow.** Shares are computed on the values divided by a power of two
  (exact, see :func:`~crmkit.segmentation._pareto.pow2_scaled`), so ``[1e308, 1e308]``
  gives shares of one half; absolute revenues per class that exceed float64 are an
  :class:`~crmkit.errors.InvalidInputError` naming the value column.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence, Sized
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from crmkit._spec import Map, Seq, Spec, check_choice, field
from crmkit._validate import (
    check_not_empty,
    check_unique_labels,
    first_labels,
    require_columns,
    require_finite_result,
    require_frame,
)
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._pareto import (
    FloatArray,
    as_value_series,
    pow2_scaled,
    reject_negative,
    reject_repeated_labels,
    value_name,
)

__all__ = [
    "ValuePotentialMatrix",
    "abc_classify",
    "class_summary",
    "pyramid",
    "pyramid_tiers",
]

_TOL = 1e-9
_DEFAULT_CUTS: dict[str, tuple[float, ...]] = {
    "cumulative": (0.8, 0.95),
    "rank": (0.1, 0.3),
    "thresholds": (5_000_000.0, 1_000_000.0),
}
IntArray = np.ndarray[Any, np.dtype[np.int64]]


def _group_labels(groups: Any, series: pd.Series, owner: str) -> pd.Series:
    """``groups`` paired with the values: a Series by its labels, anything else by position."""
    if isinstance(groups, (str, bytes, Mapping)) or not isinstance(groups, Sized):
        raise InvalidInputError(
            owner, "groups", expected="one group label per customer (a Series, array or list)",
            found=type(groups).__name__, kind="",
        )  # fmt: skip
    if not isinstance(groups, pd.Series):
        if len(groups) != len(series):
            raise InvalidInputError(
                owner, "groups", expected=f"{len(series)} labels (one per value)",
                found=f"{len(groups)}", kind="",
            )  # fmt: skip
        labels: Any = groups  # a list, array or Index, in the values' order
        return pd.Series(list(labels), index=series.index, dtype=object)
    if groups.index.equals(series.index):
        return groups
    if (
        groups.index.is_unique
        and series.index.is_unique
        and len(groups) == len(series)
        and bool(series.index.isin(groups.index).all())
    ):
        return groups.reindex(series.index)  # the same customers in another order
    raise InvalidInputError(
        owner, "groups", expected="a Series indexed by the values' labels (or a list in "
        "their order)", found="other or repeated labels", kind="",
    )  # fmt: skip


def _check_labels(owner: str, labels: Sequence[str], n: int) -> tuple[str, ...]:
    out = tuple(labels)
    if len(out) != n or len(set(out)) != len(out) or not all(isinstance(x, str) for x in out):
        raise ConfigError(
            owner,
            "labels",
            expected=f"{n} distinct names (one more than the cuts)",
            found=repr(list(out)),
        )
    return out


def _check_shares(owner: str, cuts: Any) -> tuple[float, ...]:
    try:
        out = tuple(float(c) for c in cuts)
    except (TypeError, ValueError):
        raise ConfigError(owner, "cuts", expected="a list of shares", found=repr(cuts)) from None
    if (
        not out
        or any(not 0 < c <= 1 for c in out)
        or any(b <= a for a, b in itertools.pairwise(out))
    ):
        raise ConfigError(
            owner,
            "cuts",
            expected="strictly increasing shares in (0, 1], e.g. (0.8, 0.95)",
            found=repr(list(cuts)),
        )
    return out


def _check_thresholds(owner: str, cuts: Any, name: str = "cuts") -> tuple[float, ...]:
    try:
        out = tuple(float(c) for c in cuts)
    except (TypeError, ValueError):
        raise ConfigError(owner, name, expected="a list of thresholds", found=repr(cuts)) from None
    if (
        not out
        or any(not np.isfinite(c) for c in out)
        or any(b >= a for a, b in itertools.pairwise(out))
    ):
        raise ConfigError(
            owner,
            name,
            expected="strictly decreasing thresholds, e.g. (5_000_000, 1_000_000)",
            found=repr(list(cuts)),
        )
    return out


def _descending(arr: FloatArray) -> tuple[IntArray, IntArray]:
    """Order (descending, stable) and, per sorted position, the start of its tie group."""
    order = np.argsort(-arr, kind="stable")
    ordered = arr[order]
    new_group = np.ones(len(arr), dtype=bool)
    new_group[1:] = ordered[1:] != ordered[:-1]
    starts = np.maximum.accumulate(np.where(new_group, np.arange(len(arr)), 0))
    return order, starts


def _positive_total(series: pd.Series, arr: FloatArray, owner: str, negatives: str) -> float:
    check_choice(negatives, ("lowest", "error"), owner, "negatives")
    if negatives == "error":
        reject_negative(
            series,
            arr,
            owner,
            expected="non-negative (negatives='error')",
            hint="Use negatives='lowest' to put net-negative customers in the lowest class.",
        )
    return float(np.clip(arr, 0, None).sum())


def _classes_from_position(
    position: FloatArray, limits: FloatArray, arr: FloatArray, n_classes: int
) -> IntArray:
    """Class index = how many limits the position has reached; non-positive values last."""
    reached = (position[:, None] >= limits[None, :] - _TOL * np.maximum(limits, 1.0)).sum(axis=1)
    classes: IntArray = np.asarray(reached, dtype=np.int64)
    classes[arr <= 0] = n_classes - 1
    return classes


def _rank_class_array(arr: FloatArray, cuts: tuple[float, ...]) -> IntArray:
    order, starts = _descending(arr)
    n = len(arr)
    sorted_classes = _classes_from_position(
        starts.astype(np.float64), np.asarray(cuts) * n, arr[order], len(cuts) + 1
    )
    classes = np.empty(n, dtype=np.int64)
    classes[order] = sorted_classes
    return classes


def abc_classify(
    values: Any,
    *,
    method: Literal["cumulative", "thresholds", "rank"] = "cumulative",
    cuts: Sequence[float] | Mapping[Any, Sequence[float]] | None = None,
    labels: Sequence[str] = ("A", "B", "C"),
    groups: Any = None,
    negatives: Literal["lowest", "error"] = "lowest",
) -> pd.DataFrame:
    """Classify customers into A/B/C by value.

    The methods:

    - ``"cumulative"`` (default ``cuts=(0.8, 0.95)``): sort by value, descending; a tie
      group is A while the share of the positive total held by the customers before it is
      below 0.8, B while below 0.95, else C. The crossing customer stays in the higher
      class, so the top customer is always A.
    - ``"rank"`` (default ``cuts=(0.1, 0.3)``, the handbook's "A = 10 % of customers,
      B = the next 20 %"): the same by share of customers instead of share of revenue.
    - ``"thresholds"`` (default ``cuts=(5_000_000, 1_000_000)``, the handbook's turnover
      example): A over 5,000,000; B from 1,000,000 to 5,000,000 inclusive; C under
      1,000,000. Thresholds can differ per region: pass ``groups`` (one label per customer)
      and ``cuts`` as a mapping ``{group: (a, b)}``. The default amounts are business
      customers' annual turnover, not consumer spend: on CDNOW's spend (the best customer
      spent 13,990.93) every customer is C. Pass your own ``cuts`` in your currency.

    Args:
        values: One value per customer (a Series indexed by customer, or an array). A
            customer label on more than one row is an error, not summed.
        method: ``"cumulative"``, ``"rank"`` or ``"thresholds"``.
        cuts: Class boundaries (shares for cumulative/rank, increasing; amounts for
            thresholds, decreasing). ``len(labels) - 1`` of them.
        labels: Class names, best first.
        groups: Per-customer group labels for per-group thresholds (thresholds only).
        negatives: ``"lowest"`` (net-negative customers go to the lowest class) or
            ``"error"``.

    Returns:
        A frame indexed like ``values`` with ``value``, ``rank`` (1 = best; ties share the
        best rank), ``share`` (of the positive total; 0 for non-positive values),
        ``cumulative_share`` (share held by all customers with a value at least this
        high) and ``abc_class`` (ordered categorical, best first). Shares are NaN only
        with ``method="thresholds"`` when no value is positive.

    Examples:
        The handbook's worked example: A is 10 % of customers and 70 % of revenue, B
        20 % / 20 %, C 70 % / 10 %.

        >>> import pandas as pd
        >>> revenue = pd.Series([700, 100, 100] + [1000 / 7 / 10] * 7,
        ...                     index=[f"c{i}" for i in range(10)], name="revenue")
        >>> classes = abc_classify(revenue, cuts=(0.7, 0.9))
        >>> classes["abc_class"].value_counts(sort=False).to_dict()
        {'A': 1, 'B': 2, 'C': 7}
        >>> class_summary(classes)[["customer_share", "revenue_share"]].round(2)
                  customer_share  revenue_share
        abc_class
        A                    0.1            0.7
        B                    0.2            0.2
        C                    0.7            0.1
        >>> abc_classify([6e6, 2e6, 1e6, 5e5], method="thresholds")["abc_class"].tolist()
        ['A', 'B', 'B', 'C']
    """
    owner = "abc_classify()"
    check_choice(method, sorted(_DEFAULT_CUTS), owner, "method")
    series, arr = as_value_series(values, owner)
    reject_repeated_labels(series.index, owner, value_name(series))
    scaled = pow2_scaled(arr)  # shares without overflow; order and ties as in arr
    positive_total = _positive_total(series, scaled, owner, negatives)
    raw_cuts: Any = _DEFAULT_CUTS[method] if cuts is None else cuts
    n = len(arr)

    if method == "thresholds":
        classes = _threshold_classes(
            series, arr=arr, cuts=raw_cuts, labels=labels, groups=groups, owner=owner
        )
        names = _check_labels(owner, labels, _threshold_count(raw_cuts) + 1)
    else:
        if groups is not None:
            raise ConfigError(
                owner, "groups", expected="used with method='thresholds' only", found="groups"
            )
        if isinstance(raw_cuts, Mapping):
            raise ConfigError(owner, "cuts", expected="a list of shares", found="a mapping")
        shares_cuts = _check_shares(owner, raw_cuts)
        names = _check_labels(owner, labels, len(shares_cuts) + 1)
        if positive_total <= 0:
            raise InvalidInputError(
                owner,
                value_name(series),
                expected="at least one positive value",
                found="no positive value",
                hint="Shares of a zero or negative total mean nothing; use method='thresholds'.",
            )
        if method == "rank":
            classes = _rank_class_array(arr, shares_cuts)
        else:
            order, starts = _descending(arr)
            sorted_pos = np.clip(scaled[order], 0, None)
            before = np.cumsum(sorted_pos) - sorted_pos
            position = before[starts] / positive_total
            sorted_classes = _classes_from_position(
                position, np.asarray(shares_cuts), arr[order], len(shares_cuts) + 1
            )
            classes = np.empty(n, dtype=np.int64)
            classes[order] = sorted_classes

    out = _value_frame(series, arr, scaled, positive_total)
    out["abc_class"] = pd.Categorical.from_codes(
        classes, dtype=pd.CategoricalDtype(list(names), ordered=True)
    )
    return out


def _threshold_count(cuts: Any) -> int:
    if isinstance(cuts, Mapping):
        lengths = {len(tuple(v)) for v in cuts.values()}
        return lengths.pop() if len(lengths) == 1 else -1
    try:
        return len(tuple(cuts))
    except TypeError:
        return -1


def _threshold_classes(
    series: pd.Series,
    *,
    arr: FloatArray,
    cuts: Any,
    labels: Sequence[str],
    groups: Any,
    owner: str,
) -> IntArray:
    n = len(arr)
    if isinstance(cuts, Mapping):
        if groups is None:
            raise ConfigError(
                owner,
                "groups",
                expected="one group label per customer when cuts is a mapping",
                found="None",
            )
        table = {
            key: _check_thresholds(owner, value, f"cuts[{key!r}]") for key, value in cuts.items()
        }
        if len({len(v) for v in table.values()}) != 1:
            raise ConfigError(
                owner, "cuts", expected="the same number of thresholds per group", found=repr(cuts)
            )
        k = len(next(iter(table.values())))
        group_values = _group_labels(groups, series, owner)
        if len(group_values) != n:
            raise InvalidInputError(
                owner,
                "groups",
                expected=f"{n} labels (one per value)",
                found=f"{len(group_values)}",
                kind="",
            )
        keys = group_values.to_numpy()
        known = pd.Index(list(table))
        where = known.get_indexer(keys)
        unknown = where < 0
        if unknown.any():
            count = int(unknown.sum())
            raise InvalidInputError(
                owner,
                "groups",
                expected=f"one of {list(table)[:10]}",
                found=f"{count} customers in groups without thresholds",
                rows=first_labels(series.index, unknown),
                total=count,
                kind="",
            )
        matrix = np.array([table[key] for key in known], dtype=np.float64)[where]
    else:
        if groups is not None:
            raise ConfigError(
                owner, "groups", expected="a mapping of cuts per group", found="one list of cuts"
            )
        thresholds = _check_thresholds(owner, cuts)
        k = len(thresholds)
        matrix = np.broadcast_to(np.asarray(thresholds), (n, k))
    _check_labels(owner, labels, k + 1)
    # Class 0 needs a value strictly over the first threshold; class i a value at or over
    # threshold i: "over 5,000,000 = A, 1,000,000-5,000,000 = B, under 1,000,000 = C".
    reached = np.empty((n, k), dtype=bool)
    reached[:, 0] = arr > matrix[:, 0]
    if k > 1:
        reached[:, 1:] = arr[:, None] >= matrix[:, 1:]
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), k)
    return first.astype(np.int64)


def _value_frame(
    series: pd.Series, arr: FloatArray, scaled: FloatArray, positive_total: float
) -> pd.DataFrame:
    """Values, ranks and shares; shares from ``scaled`` (``arr`` over a power of two)."""
    n = len(arr)
    order, starts = _descending(arr)
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = starts + 1
    positive = np.clip(scaled, 0, None)
    if positive_total > 0:
        share = positive / positive_total
        sorted_pos = positive[order]
        cum = np.cumsum(sorted_pos)
        # Share held by everyone with a value at least this high: up to the group's end.
        last_of_group = np.r_[starts[1:] != starts[:-1], True]
        ends = np.minimum.accumulate(np.where(last_of_group, np.arange(n), n)[::-1])[::-1]
        cumulative_sorted = np.minimum(cum[ends] / positive_total, 1.0)
        cumulative = np.empty(n, dtype=np.float64)
        cumulative[order] = cumulative_sorted
    else:
        share = np.full(n, np.nan)
        cumulative = np.full(n, np.nan)
    return pd.DataFrame(
        {"value": arr, "rank": ranks, "share": share, "cumulative_share": cumulative},
        index=series.index,
    )


def class_summary(
    classified: pd.DataFrame, by: str = "abc_class", value: str = "value"
) -> pd.DataFrame:
    """Per class: customers, share of customers, revenue and share of revenue.

    Works on the output of :func:`abc_classify` (``by="abc_class"``) and of
    :func:`pyramid_tiers` frames (``by="tier"``), or any frame with a label and a value
    column. Empty classes are listed with zeros, in business order.

    Shares are of the positive total, as in :func:`abc_classify`: a class's
    ``revenue_share`` is the sum of its customers' ``share`` (its positive values over
    the positive total), so the shares add up to 1 and a customer with a zero or negative
    value holds none. ``revenue`` is the class's net sum, negative values included. The
    negative values are reported beside the table: ``attrs["positive_total"]`` (the
    denominator of the shares), ``attrs["negative_total"]`` (the sum of the negative
    values, 0 without any) and ``attrs["net_total"]`` (their sum, the sum of
    ``revenue``); a total past float64 is infinite there (the shares are computed without
    overflow).

    Args:
        classified: One row per customer.
        by: The class column.
        value: The value column.

    Raises:
        InvalidInputError: No row, an index label on more than one row, no positive
            value, or class revenues that overflow.

    Examples:
        >>> frame = abc_classify([50, 30, 10, 10], cuts=(0.5, 0.8))
        >>> class_summary(frame)
                   customers  customer_share  revenue  revenue_share
        abc_class
        A                  1            0.25     50.0            0.5
        B                  1            0.25     30.0            0.3
        C                  2            0.50     20.0            0.2

        A refund-heavy customer (net -60) is in C and holds no share of the positive
        total (170):

        >>> table = class_summary(abc_classify([100.0, 50.0, 20.0, -60.0]))
        >>> table.round(3)
                   customers  customer_share  revenue  revenue_share
        abc_class
        A                  2            0.50    150.0          0.882
        B                  1            0.25     20.0          0.118
        C                  1            0.25    -60.0          0.000
        >>> table.attrs
        {'positive_total': 170.0, 'negative_total': -60.0, 'net_total': 110.0}
    """
    return _class_summary(classified, by, value, "class_summary()", None)


def _class_summary(
    classified: Any, by: str, value: str, owner: str, field: str | None
) -> pd.DataFrame:
    """:func:`class_summary`; ``field`` names the caller's value column in messages."""
    frame = require_frame(classified, owner, "classified")
    require_columns(frame, [by, value], owner)
    check_not_empty(frame, owner, "classified")
    check_unique_labels(
        frame.index, owner, "classified", kind="", expected="one row per customer (each label once)"
    )
    _, arr = as_value_series(frame[value], owner)
    # Shares are of the positive total, as abc_classify's: a class's share is the sum of
    # its customers' shares (a net-negative customer holds none). The net total was the
    # denominator before, which gave shares over 1 and below 0 beside negative values.
    positive = np.clip(pow2_scaled(arr), 0, None)
    total = float(positive.sum())
    if total <= 0:
        raise InvalidInputError(
            owner, field or value, expected="at least one positive value (a positive total)",
            found="no positive value",
            hint="Shares are of the positive total: without a positive value there is "
            "nothing to share.",
        )  # fmt: skip
    labels = frame[by]
    data = pd.DataFrame({"label": labels.to_numpy(), "value": arr, "scaled": positive})
    if isinstance(labels.dtype, pd.CategoricalDtype):
        data["label"] = pd.Categorical(labels.to_numpy(), dtype=labels.dtype)
    grouped = data.groupby("label", observed=False, sort=True)
    with np.errstate(over="ignore"):  # checked just below
        revenue = grouped["value"].sum()
    require_finite_result(
        revenue.to_numpy(), owner, field or value, labels=revenue.index, what="class revenues"
    )
    out = pd.DataFrame({"customers": grouped.size().astype("int64"), "revenue": revenue})
    out.insert(1, "customer_share", out["customers"] / len(frame))
    out["revenue_share"] = grouped["scaled"].sum() / total
    out.index.name = by
    with np.errstate(over="ignore"):  # documented: infinite past float64, shares are not
        out.attrs["positive_total"] = float(np.clip(arr, 0, None).sum())
        out.attrs["negative_total"] = float(np.clip(arr, None, 0).sum())
        out.attrs["net_total"] = float(arr.sum())
    return out


_TIERS = ("VIP", "major", "medium", "small")


def pyramid_tiers(
    values: Any,
    cuts: Sequence[float] = (0.01, 0.05, 0.20),
    labels: Sequence[str] = _TIERS,
) -> pd.DataFrame:
    """Place each customer in the customer pyramid by rank share of value.

    Default tiers (Curry's customer pyramid, as in the CRM handbooks): VIP = the top 1 %
    of customers by purchase amount, major = the next 4 %, medium = the next 15 %, small
    = the remaining 80 %. Ties share a tier; the top customer is always VIP; customers
    with zero or negative value are always in the lowest tier. When a cut is not a whole
    number of customers the customer who crosses it stays in the higher tier (as in
    :func:`abc_classify`): the tiers end at ``ceil(0.01 n)``, ``ceil(0.05 n)`` and
    ``ceil(0.20 n)``, so 101 customers have 2 VIPs and 250 have 3.

    Args:
        values: One value per customer (a customer label on more than one row is an
            error, as in :func:`abc_classify`).
        cuts: Cumulative shares of customers where each tier ends.
        labels: Tier names, best first (one more than ``cuts``).

    Returns:
        A frame indexed like ``values`` with ``value``, ``rank``, ``share``,
        ``cumulative_share`` and ``tier`` (ordered categorical, VIP first).

    Examples:
        >>> tiers = pyramid_tiers(range(100, 0, -1))
        >>> tiers["tier"].value_counts(sort=False).to_dict()
        {'VIP': 1, 'major': 4, 'medium': 15, 'small': 80}
    """
    return _pyramid_tiers(values, cuts, labels, "pyramid_tiers()")


def _pyramid_tiers(
    values: Any, cuts: Sequence[float], labels: Sequence[str], owner: str
) -> pd.DataFrame:
    """:func:`pyramid_tiers` for ``owner`` (errors name the function the caller called)."""
    shares = _check_shares(owner, cuts)
    names = _check_labels(owner, labels, len(shares) + 1)
    series, arr = as_value_series(values, owner)
    reject_repeated_labels(series.index, owner, value_name(series))
    scaled = pow2_scaled(arr)
    total = _positive_total(series, scaled, owner, "lowest")
    if total <= 0:
        raise InvalidInputError(
            owner,
            value_name(series),
            expected="at least one positive value",
            found="no positive value",
        )
    classes = _rank_class_array(arr, shares)
    out = _value_frame(series, arr, scaled, total)
    out["tier"] = pd.Categorical.from_codes(
        classes, dtype=pd.CategoricalDtype(list(names), ordered=True)
    )
    return out


def pyramid(
    values: Any,
    cuts: Sequence[float] = (0.01, 0.05, 0.20),
    labels: Sequence[str] = _TIERS,
) -> pd.DataFrame:
    """The customer pyramid: customers and revenue share per tier (VIP, major, medium, small).

    Tiers are assigned by :func:`pyramid_tiers`; this returns one row per tier with
    ``customers``, ``customer_share``, ``revenue``, ``revenue_share`` and
    ``min_value`` (the smallest value in the tier: what it takes to get in; NaN for an
    empty tier). It accepts what :func:`pyramid_tiers` accepts, negative values
    included: as in :func:`class_summary`, shares are of the positive total and
    ``attrs`` holds ``positive_total``, ``negative_total`` and ``net_total``.

    Examples:
        >>> table = pyramid([round(1000 / i, 2) for i in range(1, 101)])
        >>> table[["customers", "revenue_share"]].round(3)
                customers  revenue_share
        tier
        VIP             1          0.193
        major           4          0.247
        medium         15          0.253
        small          80          0.306
    """
    owner = "pyramid()"
    tiers = _pyramid_tiers(values, cuts, labels, owner)
    field = value_name(values) if isinstance(values, pd.Series) else "values"
    table = _class_summary(tiers, "tier", "value", owner, field)
    grouped = pd.DataFrame({"tier": tiers["tier"], "value": tiers["value"]}).groupby(
        "tier", observed=False
    )["value"]
    table["min_value"] = grouped.min()
    return table


def _matrix_converter(value: Any) -> Any:
    """Normalise ``cells`` to ``{str: {str: str}}``; anything else is left for the validator."""
    if not isinstance(value, Mapping) or not all(isinstance(c, Mapping) for c in value.values()):
        return value
    return {str(row): {str(k): str(v) for k, v in cols.items()} for row, cols in value.items()}


def _names(value: Any) -> Any:
    """Lists become tuples; a bare string is left for the validator to refuse."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return value
    return tuple(value)


def _distinct_names(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if (
        not isinstance(value, tuple)
        or not value
        or not all(isinstance(x, str) for x in value)
        or len(set(value)) != len(value)
    ):
        raise ConfigError(
            type(instance).__name__,
            attribute.name,
            expected="a list of distinct names, best first",
            found=repr(value),
        )


def _check_cells(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Every class has one row, every row every potential, every entry a class."""
    owner = type(instance).__name__
    cells = instance.cells
    if not isinstance(cells, Mapping) or not all(isinstance(c, Mapping) for c in cells.values()):
        raise ConfigError(
            owner,
            "cells",
            expected="a mapping value class -> potential -> class",
            found=type(cells).__name__,
        )
    if set(cells) != set(instance.classes):
        raise ConfigError(
            owner,
            "cells",
            expected=f"one row per class {list(instance.classes)}",
            found=f"rows {sorted(cells)}",
        )
    for row, cols in cells.items():
        if set(cols) != set(instance.potentials):
            raise ConfigError(
                owner,
                f"cells[{row!r}]",
                expected=f"one entry per potential {list(instance.potentials)}",
                found=f"{sorted(cols)}",
            )
        bad = [v for v in cols.values() if v not in instance.classes]
        if bad:
            raise ConfigError(
                owner,
                f"cells[{row!r}]",
                expected=f"classes among {list(instance.classes)}",
                found=repr(bad[0]),
            )


#: The handbook matrix: a C with large potential becomes A, a B about to fail becomes C.
_HANDBOOK: dict[str, dict[str, str]] = {
    "A": {"high": "A", "medium": "A", "low": "B"},
    "B": {"high": "A", "medium": "B", "low": "C"},
    "C": {"high": "A", "medium": "C", "low": "C"},
}


@attrs.frozen(unsafe_hash=False)
class ValuePotentialMatrix(Spec):
    r"""A 3 x 3 rule that moves a value class by growth potential (rules as data).

    ``cells[value_class][potential]`` is the new class. The default follows the CRM
    handbooks: "a C with large potential becomes A, a B about to go bankrupt becomes C";
    an A keeps its class with medium potential and drops to B with low potential::

        value \ potential   high   medium   low
        A                   A      A        B
        B                   A      B        C
        C                   A      C        C

    So a customer in A after the matrix is high value with high or medium potential, or
    any value with high potential: not always "high value and high potential". On CDNOW
    as of 1998-06-30 (A/B/C of spend by :func:`abc_classify`, potential from 12-month CLV
    by :func:`~crmkit.segmentation.potential_from_value`), 2,219 of the 6,920 A customers
    are A with medium potential, a median of 338 days since their last purchase.

    A rule on the spec layer (:mod:`crmkit._spec`): validated when built, ``to_dict`` /
    ``from_dict`` round-trip through JSON (with ``schema_version``; the 0.1 form without
    it is still read), unknown keys are errors that name their path.

    Attributes:
        cells: The matrix, ``{value_class: {potential: new_class}}``; every value class
            must have every potential level, and results must be value classes. The
            handbook matrix above by default.
        classes: The value classes, best first.
        potentials: The potential levels, best first.

    Examples:
        >>> import pandas as pd
        >>> m = ValuePotentialMatrix.default()
        >>> m.classify("C", "high"), m.classify("B", "low")
        ('A', 'C')
        >>> m.apply(pd.Series(["A", "B", "C"]), pd.Series(["low", "medium", "high"])).tolist()
        ['B', 'B', 'A']
        >>> ValuePotentialMatrix.from_dict({"cells": {"A": {"high": "A"}}, "classes": ["A"],
        ...                                 "potentials": ["high"]}).classify("A", "high")
        'A'
    """

    cells: dict[str, dict[str, str]] = field(
        factory=lambda: {row: dict(cols) for row, cols in _HANDBOOK.items()},
        converter=_matrix_converter,
        codec=Map(Map()),
    )
    classes: tuple[str, ...] = field(
        default=("A", "B", "C"), converter=_names, validator=_distinct_names, codec=Seq()
    )
    potentials: tuple[str, ...] = field(
        default=("high", "medium", "low"),
        converter=_names,
        # attrs runs validators once every field is set, so the cells check sees all three.
        validator=[_distinct_names, _check_cells],
        codec=Seq(),
    )

    def __hash__(self) -> int:
        """Hash by value (``cells`` is a dict, so attrs' generated hash cannot use it)."""
        rows = tuple(sorted((row, tuple(sorted(cols.items()))) for row, cols in self.cells.items()))
        return hash((rows, self.classes, self.potentials))

    @classmethod
    def default(cls) -> ValuePotentialMatrix:
        """The handbook matrix shown in the class docstring.

        Examples:
            >>> ValuePotentialMatrix.default().classify("A", "medium")
            'A'
        """
        return cls()

    def classify(self, value_class: str, potential: str) -> str:
        """Reclassify one customer.

        Examples:
            >>> ValuePotentialMatrix.default().classify("B", "high")
            'A'
        """
        owner = "ValuePotentialMatrix.classify()"
        # The validator holds the cells to exactly these classes and potentials.
        check_choice(
            value_class, self.classes, owner, "value_class", error=InvalidInputError, kind=""
        )
        check_choice(
            potential, self.potentials, owner, "potential", error=InvalidInputError, kind=""
        )
        return self.cells[value_class][potential]

    def apply(self, value_classes: pd.Series, potential: pd.Series) -> pd.Series:
        """Reclassify many customers (vectorised); the result is an ordered categorical.

        Args:
            value_classes: Current classes, e.g. ``abc_classify(...)["abc_class"]``.
            potential: Potential levels aligned with ``value_classes`` (same length; when
                both are Series, on the same index).

        Examples:
            >>> import pandas as pd
            >>> m = ValuePotentialMatrix.default()
            >>> m.apply(pd.Series(["C", "C"], index=[7, 8]),
            ...         pd.Series(["high", "low"], index=[7, 8])).to_dict()
            {7: 'A', 8: 'C'}
        """
        owner = "ValuePotentialMatrix.apply()"
        values = value_classes if isinstance(value_classes, pd.Series) else pd.Series(value_classes)
        labelled = isinstance(potential, pd.Series)
        pots = potential if labelled else pd.Series(potential)
        if len(pots) != len(values) or (labelled and not pots.index.equals(values.index)):
            raise InvalidInputError(
                owner,
                "potential",
                expected="aligned with value_classes (same index)"
                if labelled
                else f"as many values as value_classes ({len(values)})",
                found=f"{len(pots)} rows on another index" if labelled else f"{len(pots)}",
                kind="",
            )
        if not labelled:
            pots = pots.set_axis(values.index)
        row_idx = pd.Index(list(self.classes)).get_indexer(pd.Index(values.astype(object)))
        col_idx = pd.Index(list(self.potentials)).get_indexer(pd.Index(pots.astype(object)))
        for name, idx, allowed in (
            ("value_classes", row_idx, self.classes),
            ("potential", col_idx, self.potentials),
        ):
            bad = idx < 0
            if bad.any():
                count = int(bad.sum())
                raise InvalidInputError(
                    owner,
                    name,
                    expected=f"one of {list(allowed)}",
                    found=f"{count} other values",
                    rows=first_labels(values.index, bad),
                    total=count,
                    kind="",
                )
        grid = np.array(
            [[self.classes.index(self.cells[c][p]) for p in self.potentials] for c in self.classes],
            dtype=np.int64,
        )
        codes = grid[row_idx, col_idx]
        dtype = pd.CategoricalDtype(list(self.classes), ordered=True)
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=dtype), index=values.index, name="abc_class"
        )
