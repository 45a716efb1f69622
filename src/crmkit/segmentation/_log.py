"""One transaction log: the single reader behind every segmentation function.

Every customer analysis in :mod:`crmkit.segmentation` (summaries, BTYD summaries, the
calibration/holdout split, RFM, lifecycle stages and history, cohorts and every rate)
reads its input through :func:`as_log`, which returns a :class:`TransactionLog`: the
rows validated once, as arrays, with **the purchase rule applied once**.

The purchase rule (the same in every module):

- Without an amount column, every row is a purchase.
- With one, a row with a **positive** amount is a purchase. A row with a **zero** amount
  is not (``zero_amount="ignore"``, the default) or is (``zero_amount="purchase"``).
- A row with a **negative** amount is a refund, never a purchase. ``refunds="net"``
  (default): its amount is subtracted from money totals; ``"drop"``: it is ignored
  altogether (money totals are gross spend); ``"error"``: it is refused. An analysis
  refuses only the refunds dated on or before its ``as_of`` (the rows its result is
  made of): a later refund is left out and counted like any later row. A log built on
  its own (:meth:`TransactionLog.from_frame`) knows no ``as_of`` and refuses every
  refund.
- Rows that are not purchases never make a customer, a purchase date, a purchase day or
  an order count; a customer whose rows are all non-purchases is in no result.

How purchases are counted (``frequency=`` of the functions that count them):
``"orders"`` (distinct order ids; needs the ``order`` column), ``"days"`` (distinct local
calendar days with a purchase: lifetimes' and PyMC-Marketing's convention) or ``"rows"``.
The default is ``"orders"`` when the log has an order column, else ``"days"``.

Build the log once and pass it to several analyses to read the data once:

>>> import pandas as pd
>>> from crmkit.segmentation import TransactionLog, summarize, classify_lifecycle
>>> tx = pd.DataFrame({
...     "customer_id": [1, 1, 2, 2],
...     "date": ["2025-01-05", "2025-03-01", "2025-03-10", "2025-03-11"],
...     "amount": [40.0, 0.0, 25.0, -5.0],
... })
>>> log = TransactionLog.from_frame(tx)
>>> log.n_rows, log.purchase_rows, log.zero_amount_rows, log.refund_rows
(4, 2, 1, 1)
>>> summarize(log)[["frequency", "monetary"]]
             frequency  monetary
customer_id
1                    1      40.0
2                    1      20.0
>>> classify_lifecycle(log, as_of="2025-03-31")["stage"].tolist()
['active', 'new']
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NamedTuple

import attrs
import numpy as np
import pandas as pd

from crmkit._spec import check_choice, derived
from crmkit._validate import (
    check_not_empty,
    datetime_column,
    first_labels,
    numeric_column,
    refuse_lookalike_ids,
    require_columns,
    require_frame,
    require_no_missing,
    resolve_timezone,
)
from crmkit.errors import ConfigError, InvalidInputError, SchemaError

__all__ = ["FREQUENCIES", "TransactionLog", "as_log"]

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

RefundRule = Literal["net", "drop", "error"]
ZeroRule = Literal["ignore", "purchase"]
Frequency = Literal["orders", "days", "rows"]

REFUND_RULES = ("net", "drop", "error")
ZERO_RULES = ("ignore", "purchase")
FREQUENCIES = ("orders", "days", "rows")
NS_PER: dict[str, int] = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
DAY_NS = 86_400 * 10**9


class Groups(NamedTuple):
    """Customers as integer slots (private).

    Every row's customer is a slot number in ``codes`` (``0 <= code < size``); slots are
    numbered in sorted id order (first-seen order for ids of unorderable mixed types),
    ``labels[slot]`` is the id, ``counts[slot]`` the rows. Slots may be empty
    (``counts == 0``) when ids are integers with gaps.
    """

    codes: IntArray
    size: int
    counts: IntArray
    labels: pd.Index


def factorize(ids: pd.Series, owner: str) -> Groups:
    """Group rows by customer id without sorting the rows.

    Integer ids in a compact range (the common case: surrogate keys) need no hashing:
    the id itself, less the smallest id when that is negative or large, is the slot.
    Anything else goes through pandas' hash-table factorisation.
    """
    name, dtype = ids.name, ids.dtype
    if len(ids) and isinstance(dtype, np.dtype) and dtype.kind in "iu":
        values = ids.to_numpy()
        lo, hi = int(values.min()), int(values.max())
        limit = 2 * len(values) + 1024
        if hi - lo < limit:
            base = 0 if lo >= 0 and hi < limit else lo
            codes = values if base == 0 else values - base
            codes = codes.astype(np.intp, copy=False)
            size = hi - base + 1
            labels = pd.Index(np.arange(base, hi + 1), name=name).astype(dtype)
            return Groups(codes, size, np.bincount(codes, minlength=size), labels)
    try:
        try:
            raw_codes, uniques = pd.factorize(ids, sort=True)
        except TypeError:  # ids of mixed, unorderable types: keep first-seen order
            raw_codes, uniques = pd.factorize(ids, sort=False)
    except TypeError as exc:  # lists, dicts, sets: values that cannot be grouped
        raise SchemaError(
            owner,
            str(name),
            expected="hashable customer ids (numbers or strings)",
            found=f"{exc} (dtype {dtype})",
        ) from exc
    codes = np.asarray(raw_codes, dtype=np.intp)
    size = len(uniques)
    labels = pd.Index(uniques, name=name)
    if labels.inferred_type.startswith("mixed"):
        refuse_lookalike_ids(ids, codes, labels, owner)
    return Groups(codes, size, np.bincount(codes, minlength=size), labels)


def order_keys(order: pd.Series, owner: str) -> IntArray:
    """Order ids as int64 keys (integers as they are, anything else factorised)."""
    dtype = order.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return order.to_numpy().astype(np.int64, copy=False)
    try:
        return np.asarray(pd.factorize(order)[0], dtype=np.int64)
    except TypeError as exc:
        raise SchemaError(
            owner,
            str(order.name),
            expected="hashable order ids (numbers or strings)",
            found=f"{exc} (dtype {dtype})",
        ) from exc


def to_datetimes(values: IntArray, unit: str, tz: dt.tzinfo | None) -> pd.DatetimeIndex:
    """Integers in ``unit`` (UTC when ``tz`` is set) back to datetimes."""
    index = pd.DatetimeIndex(values.view(f"datetime64[{unit}]"))
    return index.tz_localize("UTC").tz_convert(tz) if tz is not None else index


def day_numbers(values: IntArray, unit: str, tz: dt.tzinfo | None) -> IntArray:
    """Local calendar day numbers (days since 1970-01-01) of instants, read in ``tz``."""
    if tz is None:
        return values // (DAY_NS // NS_PER[unit])
    return wall_clock(values, unit, tz) // (DAY_NS // NS_PER[unit])


def wall_clock(values: IntArray, unit: str, tz: dt.tzinfo | None) -> IntArray:
    """Wall-clock readings in ``tz`` (integers in ``unit``) of UTC instants."""
    if tz is None:
        return values
    wall = to_datetimes(values, unit, tz).tz_localize(None).as_unit(unit)  # type: ignore[arg-type]
    return np.asarray(wall.asi8, dtype=np.int64)


@attrs.frozen(eq=False)
class TransactionLog:
    """A validated transaction log, with the purchase rule applied once.

    Build it with :meth:`from_frame` (never directly) and pass it, instead of a
    DataFrame, to any segmentation function: the rows are then read once for all of
    them. A function given a log uses the log's columns, zone and purchase rule (its own
    column and reading keywords are ignored).

    Attributes:
        customer: The customer id column's name.
        date: The date column's name.
        amount: The amount column's name (None: every row is a purchase).
        order: The order id column's name (or None).
        timezone: The zone naive dates were read in (None: the data's own).
        refunds: The refund rule: ``"net"``, ``"drop"`` or ``"error"``.
        zero_amount: The zero-amount rule: ``"ignore"`` or ``"purchase"``.
        index: The input's row labels (error messages name them).
        ids: Customer id of each slot (sorted; slots may be empty, see ``counts``).
        codes: Customer slot of each row.
        counts: Rows per slot.
        times: Each row's instant as an integer in ``unit``: UTC for an aware date column,
            the wall-clock reading for a naive one.
        unit: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``.
        tzinfo: The zone of the instants (the date column's, or ``timezone``; None for naive dates).
        amounts: The amounts (None without an amount column).
        orders: Order ids as int64 keys (None without an order column).
        purchase: Whether each row is a purchase under the rule.
        refund: Whether each row is a refund (a negative amount).

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import TransactionLog
        >>> tx = pd.DataFrame({"customer_id": ["a", "b", "a"],
        ...                    "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-02-01"]),
        ...                    "amount": [10.0, 0.0, -2.0]})
        >>> log = TransactionLog.from_frame(tx)
        >>> log.purchase.tolist(), list(log.ids)
        ([True, False, False], ['a', 'b'])
        >>> TransactionLog.from_frame(tx, zero_amount="purchase").purchase.tolist()
        [True, True, False]
    """

    customer: str
    date: str
    amount: str | None
    order: str | None
    timezone: str | None
    refunds: str
    zero_amount: str
    index: pd.Index
    ids: pd.Index
    codes: IntArray
    counts: IntArray
    times: IntArray
    unit: str
    tzinfo: dt.tzinfo | None
    amounts: FloatArray | None
    orders: IntArray | None
    purchase: BoolArray
    refund: BoolArray

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        customer: str = "customer_id",
        date: str = "date",
        amount: str | None = "amount",
        order: str | None = None,
        timezone: str | None = None,
        date_format: str | None = None,
        date_unit: str | None = None,
        refunds: RefundRule = "net",
        zero_amount: ZeroRule = "ignore",
        owner: str = "TransactionLog.from_frame()",
    ) -> TransactionLog:
        """Read and validate a transaction log (the caller's frame is never modified).

        Args:
            frame: One row per purchase (or order line) and per refund.
            customer: Customer id column (no missing values).
            date: Date column: datetime64 (naive or aware) or ISO 8601 strings.
            amount: Amount column (numeric, no NaN; negative for refunds), or None when
                the log has no amounts (then every row is a purchase).
            order: Order id column, or None.
            timezone: IANA zone in which naive dates are read and aware ones converted;
                local calendar days are counted in it. None keeps the data's own.
            date_format: Format of date strings that are not ISO 8601 (passed to the
                shared date reader).
            date_unit: Unit of numeric dates (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).
            refunds: ``"net"``, ``"drop"`` or ``"error"`` (see the module docs).
            zero_amount: ``"ignore"`` or ``"purchase"`` (see the module docs).
            owner: The function named in error messages.

        Returns:
            A :class:`TransactionLog`.

        Raises:
            SchemaError: A column is missing or of the wrong kind.
            InvalidInputError: Empty input, missing ids, dates or amounts, mixed naive and
                aware dates, or a refund under ``refunds="error"``.
            ConfigError: An unknown rule.

        Examples:
            >>> import pandas as pd
            >>> from crmkit.segmentation import TransactionLog
            >>> tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2025-01-02", "2025-01-03"],
            ...                    "amount": [5.0, -1.0]})
            >>> TransactionLog.from_frame(tx, refunds="error")
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: TransactionLog.from_frame(): column 'amount' must be non-negative amounts (refunds='error'); found 1 refund rows at rows [1]. Pass refunds='net' to net refunds against spend, or refunds='drop'.
        """
        return _read(
            frame, customer=customer, date=date, amount=amount, order=order,
            timezone=timezone, date_format=date_format, date_unit=date_unit,
            refunds=refunds, zero_amount=zero_amount, owner=owner, allow_empty=False,
            defer_refunds=False,
        )  # fmt: skip

    @classmethod
    def from_partition(
        cls,
        frame: pd.DataFrame,
        *,
        customer: str = "customer_id",
        date: str = "date",
        amount: str | None = "amount",
        order: str | None = None,
        timezone: str | None = None,
        date_format: str | None = None,
        date_unit: str | None = None,
        refunds: RefundRule = "net",
        zero_amount: ZeroRule = "ignore",
        owner: str = "TransactionLog.from_frame()",
        defer_refunds: bool = False,
    ) -> TransactionLog:
        """Read one partition of a Dask DataFrame: :meth:`from_frame`, zero rows allowed.

        With ``defer_refunds``, a refund under ``refunds="error"`` is not refused here: the
        caller, which knows its ``as_of``, refuses those on or before it with
        :meth:`refuse_refunds`.

        Examples:
            >>> import pandas as pd
            >>> from crmkit.segmentation import TransactionLog
            >>> empty = pd.DataFrame({"customer_id": pd.Series([], dtype="int64"),
            ...     "date": pd.Series([], dtype="datetime64[ns]"), "amount": pd.Series([], dtype=float)})
            >>> TransactionLog.from_partition(empty).n_rows
            0
        """
        return _read(
            frame, customer=customer, date=date, amount=amount, order=order,
            timezone=timezone, date_format=date_format, date_unit=date_unit,
            refunds=refunds, zero_amount=zero_amount, owner=owner, allow_empty=True,
            defer_refunds=defer_refunds,
        )  # fmt: skip

    # ------------------------------------------------------------------ derived arrays

    @property
    def n_rows(self) -> int:
        """Rows in the log."""
        return len(self.times)

    @property
    def purchase_rows(self) -> int:
        """Rows that are purchases under the rule."""
        return int(np.count_nonzero(self.purchase))

    @property
    def refund_rows(self) -> int:
        """Rows with a negative amount."""
        return int(np.count_nonzero(self.refund))

    @property
    def zero_amount_rows(self) -> int:
        """Rows with an amount of exactly zero (purchases only under ``"purchase"``)."""
        if self.amounts is None:
            return 0
        return int(np.count_nonzero(self.amounts == 0))

    @property
    def all_purchases(self) -> bool:
        """Whether every row is a purchase."""
        return derived(self, "all_purchases", lambda: bool(self.purchase.all()))

    def money(self) -> FloatArray:
        """The amounts that count in money totals: refunds removed under ``"drop"``."""
        assert self.amounts is not None

        def build() -> FloatArray:
            assert self.amounts is not None
            if self.refunds == "drop" and self.refund.any():
                return np.where(self.refund, 0.0, self.amounts)
            return self.amounts

        return derived(self, "money", build)

    def wall(self) -> IntArray:
        """Each row's wall-clock reading in the log's zone (integers in ``unit``)."""
        return derived(self, "wall", lambda: wall_clock(self.times, self.unit, self.tzinfo))

    def days(self) -> IntArray:
        """Each row's local calendar day (days since 1970-01-01 in the log's zone)."""
        return derived(self, "days", lambda: self.wall() // (DAY_NS // NS_PER[self.unit]))

    def instants_ns(self) -> IntArray:
        """Each row's instant in nanoseconds (UTC for aware data, wall clock for naive).

        Raises:
            InvalidInputError: A date outside the nanosecond range (1677 to 2262).
        """
        return derived(self, "instants_ns", lambda: self._as_ns(self.times))

    def wall_ns(self) -> IntArray:
        """Each row's wall-clock reading in nanoseconds (see :meth:`instants_ns`)."""
        return derived(self, "wall_ns", lambda: self._as_ns(self.wall()))

    def _as_ns(self, values: IntArray) -> IntArray:
        per = NS_PER[self.unit]
        if per == 1 or len(values) == 0:
            return values
        limit = np.iinfo(np.int64).max // per
        bad = (values > limit) | (values < -limit)
        if bad.any():
            raise InvalidInputError(
                "TransactionLog",
                self.date,
                expected="dates between 1677-09-22 and 2262-04-11 for this analysis",
                found=f"{int(np.count_nonzero(bad))} dates outside that range",
                rows=first_labels(self.index, bad),
                total=int(np.count_nonzero(bad)),
            )
        return values * per

    def refuse_refunds(
        self, owner: str, window: BoolArray | None = None, *, until: str = "as_of"
    ) -> None:
        """Under ``refunds="error"``, refuse the refund rows in ``window`` (None: every row).

        ``until`` names the window's end in the message (a rate's ``end``).

        The one refusal of refunds: the reader calls it for every row, and an analysis
        that read its log with ``defer_refunds`` calls it with the rows on or before its
        ``as_of`` (the rows its result is made of), so a later refund is not refused.

        Raises:
            InvalidInputError: A refund in ``window`` under ``refunds="error"``.

        Examples:
            >>> import numpy as np
            >>> import pandas as pd
            >>> tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2025-01-02", "2025-03-01"],
            ...                    "amount": [5.0, -1.0]})
            >>> log = as_log(tx, "f()", refunds="error", defer_refunds=True)
            >>> log.refuse_refunds("f()", window=np.array([True, False]))  # the refund is later
            >>> log.refuse_refunds("f()")
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: f(): column 'amount' must be non-negative amounts (refunds='error'); found 1 refund rows at rows [1]. Pass refunds='net' to net refunds against spend, or refunds='drop'.
        """
        if self.refunds != "error" or not self.refund.any():
            return
        refund = self.refund if window is None else self.refund & window
        count = int(np.count_nonzero(refund))
        if count:
            raise InvalidInputError(
                owner,
                self.amount or "amount",
                expected="non-negative amounts (refunds='error')",
                found=f"{count} refund rows" + ("" if window is None else f" on or before {until}"),
                rows=first_labels(self.index, refund),
                total=count,
                hint="Pass refunds='net' to net refunds against spend, or refunds='drop'.",
            )

    def frequency_rule(self, frequency: object, owner: str) -> str:
        """Resolve a ``frequency=`` argument against this log (None: the default)."""
        if frequency is None:
            return "orders" if self.order is not None else "days"
        check_choice(frequency, FREQUENCIES, owner, "frequency")
        if frequency == "orders" and self.order is None:
            raise ConfigError(
                owner,
                "frequency",
                expected="'days' or 'rows' when no order column is given",
                found="'orders'",
                hint="Name the order id column with order=.",
            )
        return str(frequency)

    def frequency_keys(self, frequency: str) -> IntArray | None:
        """The per-row keys whose distinct values ``frequency`` counts (None: rows)."""
        if frequency == "orders":
            return self.orders
        if frequency == "days":
            return self.days()
        return None


def _read(
    frame: object,
    *,
    customer: str,
    date: str,
    amount: str | None,
    order: str | None,
    timezone: str | None,
    date_format: str | None,
    date_unit: str | None,
    refunds: str,
    zero_amount: str,
    owner: str,
    allow_empty: bool,
    defer_refunds: bool,
) -> TransactionLog:
    """The one reader of transaction logs (see :meth:`TransactionLog.from_frame`).

    Under ``refunds="error"`` every refund is refused here, unless ``defer_refunds``: then
    the caller refuses those in its window (:meth:`TransactionLog.refuse_refunds`).
    """
    check_choice(refunds, REFUND_RULES, owner, "refunds")
    check_choice(zero_amount, ZERO_RULES, owner, "zero_amount")
    for name, value in (("amount", amount), ("order", order)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(owner, name, expected="a column name or None", found=repr(value))
    data = require_frame(frame, owner, "transactions")
    columns = [customer, date] + [c for c in (amount, order) if c is not None]
    require_columns(data, columns, owner)
    if not allow_empty:
        check_not_empty(data, owner, "transactions")
    require_no_missing(data, customer, owner, what="customer ids")
    dates = datetime_column(
        data, date, owner, tz=timezone, date_format=date_format, date_unit=date_unit
    )
    zone: dt.tzinfo | None = None
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        zone = dates.dtype.tz
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    raw = dates.to_numpy()
    unit = np.datetime_data(raw.dtype)[0]
    if unit not in NS_PER:  # datetime64[D] and coarser: read as seconds
        raw = raw.astype("datetime64[s]")
        unit = "s"
    values = numeric_column(data, amount, owner) if amount is not None else None
    orders = None
    if order is not None:
        require_no_missing(data, order, owner, what="order ids")
        orders = order_keys(data[order], owner)
    groups = factorize(data[customer], owner)
    n = len(data)
    if values is None:
        purchase = np.ones(n, dtype=bool)
        refund = np.zeros(n, dtype=bool)
    else:
        refund = values < 0
        purchase = values >= 0 if zero_amount == "purchase" else values > 0
    log = TransactionLog(
        customer=customer,
        date=date,
        amount=amount,
        order=order,
        timezone=timezone,
        refunds=refunds,
        zero_amount=zero_amount,
        index=data.index,
        ids=groups.labels,
        codes=np.asarray(groups.codes, dtype=np.intp),
        counts=groups.counts,
        times=raw.view(np.int64),
        unit=unit,
        tzinfo=zone,
        amounts=values,
        orders=orders,
        purchase=purchase,
        refund=refund,
    )
    if not defer_refunds:
        log.refuse_refunds(owner)
    return log


def as_log(
    data: object,
    owner: str,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    order: str | None = None,
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: str = "net",
    zero_amount: str = "ignore",
    defer_refunds: bool = False,
) -> TransactionLog:
    """``data`` as a :class:`TransactionLog`: a log as it is, a DataFrame read once.

    Every segmentation function reads its transactions through this one call. A log
    given here keeps its own columns and rules; only a ``timezone`` that contradicts the
    log's is refused (its days were counted in another zone).

    With ``defer_refunds``, a DataFrame's refunds under ``refunds="error"`` are not
    refused here: the caller refuses those on or before its ``as_of`` with
    :meth:`TransactionLog.refuse_refunds` (a log given here refused its own when built).

    Examples:
        >>> import pandas as pd
        >>> tx = pd.DataFrame({"customer_id": [1], "date": ["2025-01-02"], "amount": [3.0]})
        >>> log = as_log(tx, "f()")
        >>> as_log(log, "f()") is log
        True
    """
    if isinstance(data, TransactionLog):
        if timezone is not None and data.timezone is not None and timezone != data.timezone:
            raise ConfigError(
                owner,
                "timezone",
                expected=f"the log's own zone ({data.timezone}) or None",
                found=repr(timezone),
                hint="Build the TransactionLog with the zone you want days counted in.",
            )
        if timezone is not None and data.timezone is None:
            resolve_timezone(timezone, owner)
            if data.tzinfo is None or str(data.tzinfo) != timezone:
                raise ConfigError(
                    owner,
                    "timezone",
                    expected="None for a TransactionLog built without a timezone",
                    found=repr(timezone),
                    hint="Build the TransactionLog with timezone= instead.",
                )
        return data
    return _read(
        data,
        customer=customer,
        date=date,
        amount=amount,
        order=order,
        timezone=timezone,
        date_format=date_format,
        date_unit=date_unit,
        refunds=refunds,
        zero_amount=zero_amount,
        owner=owner,
        allow_empty=False,
        defer_refunds=defer_refunds,
    )
