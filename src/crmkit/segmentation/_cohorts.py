"""Cohort retention tables: first-purchase cohorts by periods since, censoring kept apart.

A cohort is the customers whose first purchase fell in one period (month, quarter, ...).
Cell ``(cohort, k)`` counts the cohort's customers who bought in the ``k``-th period after
it (or the revenue they brought). A cell whose period has not ended by ``as_of`` cannot be
observed yet: it is NaN, never 0, so "not seen yet" is never mistaken for "churned"
(the cohort tools that fill it with 0 mix the two).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit._spec import check_choice
from crmkit._validate import require_finite_result
from crmkit.errors import ConfigError
from crmkit.segmentation._dask import computed, is_dask, map_by_key, require_dask_columns
from crmkit.segmentation._lifecycle_engine import Cut, CutoffResult, make_cut
from crmkit.segmentation._lifecycle_policy import NS_PER_DAY
from crmkit.segmentation._log import RefundRule, TransactionLog, ZeroRule, as_log

__all__ = ["CohortTable", "cohort_retention"]

_PERIODS: Final = ("D", "W", "M", "Q", "Y")
_METRICS: Final = ("customers", "revenue")
_EPOCH = dt.date(1970, 1, 1)


def _period_of(day: npt.NDArray[np.int64], period: str) -> npt.NDArray[np.int64]:
    """Period ordinals of wall-clock day numbers (pandas Period ordinals for D, M, Q, Y)."""
    if period == "D":
        return day
    if period == "W":  # weeks Monday..Sunday; 1970-01-01 was a Thursday
        return np.floor_divide(day + 3, 7)
    months = _months_of(day)
    if period == "M":
        return months
    if period == "Q":
        return np.floor_divide(months, 3)
    return np.floor_divide(months, 12)


def _months_of(day: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Month ordinals (months since 1970-01) of day numbers.

    The calendar conversion runs once per distinct day of the span when the span is
    shorter than the array (a log covers a few thousand days; a lookup is a gather),
    else on every value.

    >>> _months_of(np.array([0, 30, 31, -1, 11_016])).tolist()
    [0, 0, 1, -1, 361]
    """
    if len(day) == 0:
        return day.astype(np.int64)
    lo, hi = int(day.min()), int(day.max())
    if hi - lo + 1 >= len(day):
        return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    span = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[D]")
    table = span.astype("datetime64[M]").astype(np.int64)
    return table[day - lo]


def _first_day_of(ordinal: int, period: str) -> int:
    """The first wall-clock day of a period ordinal."""
    if period == "D":
        return ordinal
    if period == "W":
        return ordinal * 7 - 3
    months = {"M": ordinal, "Q": ordinal * 3, "Y": ordinal * 12}[period]
    return int(np.datetime64(int(months), "M").astype("datetime64[D]").astype(np.int64))


def _label(ordinal: int, period: str) -> pd.Period:
    day = _EPOCH + dt.timedelta(days=_first_day_of(ordinal, period))
    return pd.Period(day, freq="W-SUN" if period == "W" else period)


@attrs.frozen(eq=False, repr=False)
class CohortTable(CutoffResult):
    """A cohort retention table as counts and as shares of period 0.

    Attributes:
        counts: Rows are cohorts (first-purchase periods, a PeriodIndex), every period
            from the first cohort to the last, in order; columns the periods since (0, 1,
            2, ... up to the last period complete for the first cohort). Customers who
            bought in that period (metric ``"customers"``) or their net revenue
            (``"revenue"``); NaN where the period had not ended by ``as_of``. A period in
            which nobody bought for the first time is an empty cohort: a row of 0 (nobody
            of it bought) where observable.
        shares: ``counts`` divided by each cohort's period-0 cell; NaN where that is 0 (an
            empty cohort: a rate of nobody is undefined, not 0%).
        sizes: Customers per cohort (known even where period 0 is not complete yet); 0
            for an empty cohort.
        freq: The period unit (``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``).
        metric: ``"customers"`` or ``"revenue"``.
        as_of: The observation end, as read: the instant, or, when ``as_of_whole_day``,
            the midnight that begins the day whose end it is.
        future_rows: Rows after ``as_of``, excluded.
        non_purchase_rows: Rows with a non-positive amount (not purchases).
        orphan_rows: Rows no cohort cell can hold, excluded: those of customers without
            any purchase (only refunds or zero amounts) and refunds dated before the
            customer's first purchase period. They are never purchases, so they are
            counted in ``non_purchase_rows`` too (CDNOW: 72 of its 80 $0 rows, those of
            the 68 customers who never paid), not in addition to it.
        as_of_whole_day: ``as_of`` is a date (given as one, or the default last day of
            the data), which means the end of that day.

    :meth:`to_dict` and the ``repr`` write ``as_of`` as :class:`Rate` writes its window: a
    date alone (``"2025-03-31"``, the end of that day, as ``as_of=`` reads it), an instant
    as its exact ISO 8601 text; the flag is not written.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import cohort_retention
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
        ...                    "date": pd.to_datetime(["2025-01-05", "2025-02-07", "2025-01-20"])})
        >>> cohort_retention(tx, as_of="2025-03-31", amount=None).shares
        periods_since    0    1    2
        cohort
        2025-01        1.0  0.5  0.0
        >>> cohort_retention(tx, as_of="2025-03-31", amount=None).to_dict()["as_of"]
        '2025-03-31'
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    sizes: pd.Series
    freq: str
    metric: str
    as_of: pd.Timestamp
    future_rows: int = 0
    non_purchase_rows: int = 0
    orphan_rows: int = 0
    as_of_whole_day: bool = False

    _CUTOFFS = ("as_of",)


def cohort_retention(
    transactions: Any,
    *,
    freq: str = "M",
    metric: str = "customers",
    as_of: object = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
) -> CohortTable:
    """Build the cohort retention table: cohorts by first-purchase period x periods since.

    Args:
        transactions: One row per purchase (refunds too, with ``amount``); never modified.
            A Dask DataFrame (date column already datetime64) is counted on the cluster.
        freq: ``"D"``, ``"W"`` (Monday to Sunday), ``"M"``, ``"Q"`` or ``"Y"``.
        metric: ``"customers"`` (distinct buyers per cell) or ``"revenue"`` (net amount
            per cell, refunds included in the period they happened; needs ``amount``).
        as_of: Observation end (a date means the end of that day); rows after it are
            excluded and counted. Default: the end of the last day in the data. A cell
            is observable once its period has ended by ``as_of``.
        customer: Customer id column.
        date: Date column.
        amount: Amount column (None: every row is a purchase); by the purchase rule of
            :class:`TransactionLog` only positive amounts are purchases.
        timezone: IANA zone in which naive dates are read, aware ones converted and
            calendar days counted (None: the data's own).
        date_format: Format of non-ISO date strings (see the input docs).
        date_unit: Unit of numeric dates (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).
        refunds: ``"net"``, ``"drop"`` or ``"error"``: the purchase rule of
            :class:`TransactionLog`.
        zero_amount: ``"ignore"`` or ``"purchase"``: the purchase rule of
            :class:`TransactionLog`.

    Returns:
        A :class:`CohortTable`: one row per period from the first cohort to the last
        (empty cohorts included, size 0) and one column per period since, from 0 to the
        last period complete for the first cohort (a period in which nobody bought is a
        column of 0, not a gap).

    Notes:
        Exact duplicate rows do not change the ``"customers"`` table (a buyer counts once
        per cell), but under ``"revenue"`` each row's amount counts, as in
        :func:`summarize`: crmkit cannot tell a duplicate from two identical purchases.
        Drop them first (``drop_duplicates()``) if they are errors.

    Raises:
        ConfigError: Unknown ``freq`` or ``metric``, or ``"revenue"`` without ``amount``.
        InvalidInputError: As for the other lifecycle functions.

    Examples:
        Customers first seen in January and February, observed to the end of March: the
        February cohort's third month (April) cannot be seen yet, so it is NaN, not 0.

        >>> import pandas as pd
        >>> from crmkit.segmentation import cohort_retention
        >>> tx = pd.DataFrame({
        ...     "customer_id": [1, 1, 1, 2, 3, 3, 4],
        ...     "date": pd.to_datetime(["2025-01-03", "2025-02-10", "2025-03-15", "2025-01-20",
        ...                             "2025-02-02", "2025-03-30", "2025-02-14"]),
        ...     "amount": [50.0, 20.0, 30.0, 80.0, 40.0, 10.0, 25.0]})
        >>> table = cohort_retention(tx, as_of="2025-03-31", amount=None)
        >>> table.counts
        periods_since    0    1    2
        cohort
        2025-01        2.0  1.0  1.0
        2025-02        2.0  1.0  NaN
        >>> cohort_retention(tx, as_of="2025-03-31", metric="revenue", amount="amount").counts
        periods_since      0     1     2
        cohort
        2025-01        130.0  20.0  30.0
        2025-02         65.0  10.0   NaN

        A month in which nobody bought for the first time stays a row, of size 0, with
        counts 0 and shares NaN, so the rows are consecutive months:

        >>> gap = pd.DataFrame({"customer_id": [1, 1, 2],
        ...     "date": pd.to_datetime(["2025-01-05", "2025-03-02", "2025-03-09"])})
        >>> gap_table = cohort_retention(gap, as_of="2025-03-31", amount=None)
        >>> gap_table.shares
        periods_since    0    1    2
        cohort
        2025-01        1.0  0.0  1.0
        2025-02        NaN  NaN  NaN
        2025-03        1.0  NaN  NaN
        >>> gap_table.sizes.tolist()
        [1, 0, 1]
    """
    owner = "cohort_retention()"
    check_choice(freq, _PERIODS, owner, "freq")
    check_choice(metric, _METRICS, owner, "metric")
    read: dict[str, Any] = {
        "customer": customer, "date": date, "amount": amount, "timezone": timezone,
        "date_format": date_format, "date_unit": date_unit, "refunds": refunds,
        "zero_amount": zero_amount, "owner": owner,
    }  # fmt: skip
    if is_dask(transactions):
        if metric == "revenue" and amount is None:
            raise _no_amount(owner)
        return _cohorts_dask(transactions, read=read, freq=freq, metric=metric, as_of=as_of)
    rows = as_log(transactions, **read, defer_refunds=True)  # refused up to as_of by _grid
    if metric == "revenue" and rows.amounts is None:
        raise _no_amount(owner)
    if as_of is None:
        as_of = _EPOCH + dt.timedelta(days=int(rows.days().max()))
    cut = make_cut(as_of, rows.tzinfo, owner, "as_of")
    last_complete = _last_complete(cut, freq)
    cells = _grid(rows, freq, metric, cut, last_complete, owner=owner)
    if metric == "revenue":
        _require_finite(cells, freq, owner, str(rows.amount))
    return _table(cells, freq=freq, metric=metric, cut=cut, last_complete=last_complete)


def _no_amount(owner: str) -> ConfigError:
    return ConfigError(
        owner,
        "amount",
        expected="a column name for metric='revenue'",
        found="None",
        hint="Pass amount='amount' (or your amount column).",
    )


def _require_finite(cells: _Cells, freq: str, owner: str, amount: str) -> None:
    """Refuse revenue cells whose sums overflowed float64, naming their cohorts."""
    bad = ~np.isfinite(cells.grid).all(axis=1)
    if bad.any():
        cohorts = pd.Index(
            [_label(cells.lo + int(i), freq) for i in np.flatnonzero(bad)], dtype=object
        )
        require_finite_result(
            np.full(len(cohorts), np.inf), owner, amount, labels=cohorts, what="cohort revenues"
        )


def _last_complete(cut: Cut, freq: str) -> int:
    """The ordinal of the last period that has ended by the cut."""
    as_of_period = int(_period_of(np.array([cut.day], dtype=np.int64), freq)[0])
    next_start = _first_day_of(as_of_period + 1, freq) * NS_PER_DAY
    return as_of_period if cut.wall >= next_start else as_of_period - 1


@attrs.frozen(eq=False)
class _Cells:
    """The cohort cells of some customers, before the unseen ones are masked.

    ``grid[i, j]`` is the cell of cohort ``lo + i``, ``j`` periods since; ``sizes[i]``
    the customers of cohort ``lo + i``. Cells after the last complete period are left
    out or hold what happened so far (masked by :func:`_table`).
    """

    lo: int
    grid: npt.NDArray[np.float64]
    sizes: npt.NDArray[np.int64]
    future: int
    non_purchase: int
    orphan: int


def _grid(
    rows: TransactionLog, freq: str, metric: str, cut: Cut, last_complete: int, *, owner: str
) -> _Cells:
    """Count the cells of ``rows`` (all customers, or one Dask partition's)."""
    days, codes = rows.days(), rows.codes
    before = rows.instants_ns() < cut.instant
    # refunds="error" refuses the refunds the table is made of, not the later ones.
    rows.refuse_refunds(owner, before)
    future = int((~before).sum())
    non_purchase = int((before & ~rows.purchase).sum())
    buying = before & rows.purchase

    per = _period_of(days, freq)
    n_customers = len(rows.ids)
    first = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes[buying], per[buying])
    has_cohort = first < np.iinfo(np.int64).max
    since = per - np.where(has_cohort, first, 0)[codes]
    counted = before & has_cohort[codes] & (since >= 0)
    # Rows of customers with no purchase (refunds only), or refunds dated before the
    # customer's first purchase period: no cohort cell can hold them.
    orphan = int((before & ~counted).sum())

    if has_cohort.any():
        lo = int(first[has_cohort].min())
        hi = int(first[has_cohort].max())
    else:
        lo = hi = last_complete
    n_rows = hi - lo + 1
    n_cols = max(last_complete - lo, 0) + 1
    cohort = np.where(has_cohort, first, lo)[codes] - lo
    if metric == "customers":
        sel = buying & has_cohort[codes]
        key = codes[sel] * (n_cols + 1) + np.minimum(since[sel], n_cols)
        span = n_customers * (n_cols + 1)
        if span <= 8 * len(key) + (1 << 20):
            # Distinct (customer, period) pairs by one scatter into a flag per pair: no sort.
            seen = np.zeros(span, dtype=bool)
            seen[key] = True
            pairs = np.flatnonzero(seen)
        else:  # very many customers x periods for few rows: sort instead
            pairs = np.unique(key)
        cust, k = np.divmod(pairs, n_cols + 1)
        in_table = k < n_cols
        cells = (first[cust[in_table]] - lo) * n_cols + k[in_table]
        grid: npt.NDArray[np.float64] = np.bincount(cells, minlength=n_rows * n_cols).astype(
            np.float64
        )
    else:
        assert rows.amounts is not None  # metric "revenue" was checked to have an amount
        in_table = counted & (since < n_cols)
        sums = np.bincount(
            cohort[in_table] * n_cols + since[in_table],
            weights=rows.money()[in_table],
            minlength=n_rows * n_cols,
        )
        grid = np.asarray(sums, dtype=np.float64)
    return _Cells(
        lo=lo,
        grid=grid.reshape(n_rows, n_cols),
        sizes=np.bincount(first[has_cohort] - lo, minlength=n_rows).astype(np.int64),
        future=future,
        non_purchase=non_purchase,
        orphan=orphan,
    )


def _table(cells: _Cells, *, freq: str, metric: str, cut: Cut, last_complete: int) -> CohortTable:
    """Mask the unseen cells, label the periods and divide by period 0."""
    grid, sizes_all, lo = cells.grid, cells.sizes, cells.lo  # grid: ours to mask
    n_rows, n_cols = grid.shape
    ordinals = np.arange(lo, lo + n_rows)
    unseen = (ordinals[:, None] + np.arange(n_cols)[None, :]) > last_complete
    grid[unseen] = np.nan
    # Every period from the first cohort to the last is a row, an empty one included (size
    # 0, shares NaN: a rate of nobody is undefined), so that rows, like the columns, are
    # consecutive periods: a month without new customers is a fact to see, not a gap that
    # shifts the rows under it. With no cohort at all the table has no row.
    present = np.full(n_rows, sizes_all.any())
    index = pd.PeriodIndex(
        [_label(int(o), freq) for o in ordinals[present]],
        dtype=pd.PeriodDtype("W-SUN" if freq == "W" else freq),
        name="cohort",
    )
    columns = pd.RangeIndex(n_cols, name="periods_since")
    counts = pd.DataFrame(grid[present], index=index, columns=columns)
    base = counts[0].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(base[:, None] != 0, counts.to_numpy() / base[:, None], np.nan)
    shares = pd.DataFrame(share, index=index, columns=columns)
    sizes = pd.Series(sizes_all[present].astype(np.int64), index=index, name="customers")
    return CohortTable(
        counts=counts,
        shares=shares,
        sizes=sizes,
        freq=freq,
        metric=metric,
        as_of=cut.label,
        as_of_whole_day=cut.whole_day,
        future_rows=cells.future,
        non_purchase_rows=cells.non_purchase,
        orphan_rows=cells.orphan,
    )


# --------------------------------------------------------------------------- Dask

_LONG_META = pd.DataFrame(
    {
        "what": pd.Series([], dtype="int8"),  # 0 a cell, 1 a cohort size, 2 excluded rows
        "cohort": pd.Series([], dtype="int64"),
        "since": pd.Series([], dtype="int64"),
        "value": pd.Series([], dtype="float64"),
    }
)


def _last_day_part(part: pd.DataFrame, *, read: dict[str, Any]) -> pd.DataFrame:
    """The last local day of one Dask partition (picklable; zero rows allowed)."""
    rows = TransactionLog.from_partition(part, **read, defer_refunds=True)  # refused by _grid
    days = rows.days()
    return pd.DataFrame({"day": days[[int(np.argmax(days))]] if len(days) else days[:0]})


def _cells_part(
    part: pd.DataFrame,
    *,
    read: dict[str, Any],
    freq: str,
    metric: str,
    cut: Cut,
    last_complete: int,
) -> pd.DataFrame:
    """One Dask partition's cells, cohort sizes and excluded rows, long (picklable)."""
    rows = TransactionLog.from_partition(part, **read, defer_refunds=True)
    cells = _grid(rows, freq, metric, cut, last_complete, owner=read["owner"])
    i, j = np.nonzero(cells.grid)
    (s,) = np.nonzero(cells.sizes)
    n = len(i)
    out = pd.DataFrame(
        {
            "what": np.repeat(np.array([0, 1, 2, 2, 2], dtype=np.int8), [n, len(s), 1, 1, 1]),
            "cohort": np.concatenate([i + cells.lo, s + cells.lo, [0, 0, 0]]).astype(np.int64),
            "since": np.concatenate([j, np.zeros(len(s), np.int64), [0, 1, 2]]).astype(np.int64),
            "value": np.concatenate(
                [
                    cells.grid[i, j],
                    cells.sizes[s].astype(np.float64),
                    [cells.future, cells.non_purchase, cells.orphan],
                ]
            ),
        }
    )
    return out


def _cohorts_dask(
    ddf: Any, *, read: dict[str, Any], freq: str, metric: str, as_of: object
) -> CohortTable:
    """:func:`cohort_retention` on a Dask DataFrame partitioned by customer.

    The observation end (by default the last day of the whole frame: one pass) and the
    last complete period are global; each partition counts its customers' cells, and the
    small long tables are added up here. Counts are exact; revenue sums may differ from
    pandas in the last bits (additions in another order).
    """
    owner, date = read["owner"], read["date"]
    columns = [read["customer"], date] + ([read["amount"]] if read["amount"] else [])
    require_dask_columns(ddf, owner, columns, datetime=date)
    selected = ddf[columns]
    zone = TransactionLog.from_partition(selected._meta, **read).tzinfo
    if as_of is None:
        last = selected.map_partitions(
            functools.partial(_last_day_part, read=read),
            meta=pd.DataFrame({"day": pd.Series([], dtype="int64")}),
        )
        (days,) = computed(last)
        if len(days) == 0:  # an empty frame: the pandas reader says so
            as_log(selected._meta, **read)
        as_of = _EPOCH + dt.timedelta(days=int(days["day"].max()))
    cut = make_cut(as_of, zone, owner, "as_of")
    last_complete = _last_complete(cut, freq)
    func = functools.partial(
        _cells_part, read=read, freq=freq, metric=metric, cut=cut, last_complete=last_complete
    )
    (long,) = computed(map_by_key(ddf, read["customer"], columns, func, owner=owner))
    what = long["what"].to_numpy()
    cohort, since = long["cohort"].to_numpy(), long["since"].to_numpy()
    value = long["value"].to_numpy()
    sizes_at = what == 1
    if sizes_at.any():
        lo, hi = int(cohort[sizes_at].min()), int(cohort[sizes_at].max())
    else:
        lo = hi = last_complete
    n_cols = max(last_complete - lo, 0) + 1
    grid = np.zeros((hi - lo + 1, n_cols))
    at = (what == 0) & (since < n_cols)
    np.add.at(grid, (cohort[at] - lo, since[at]), value[at])
    sizes = np.zeros(hi - lo + 1, dtype=np.int64)
    np.add.at(sizes, cohort[sizes_at] - lo, value[sizes_at].astype(np.int64))
    excluded = [int(value[(what == 2) & (since == k)].sum()) for k in range(3)]
    cells = _Cells(lo, grid, sizes, *excluded)
    if metric == "revenue":
        _require_finite(cells, freq, owner, str(read["amount"]))
    return _table(cells, freq=freq, metric=metric, cut=cut, last_complete=last_complete)
