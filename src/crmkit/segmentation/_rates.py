"""Churn, retention, repurchase and reactivation rates, each with its definition and counts.

Every rate is a share ``numerator / denominator`` over a period ``(start, end]`` (a date
means the end of that day), and every result carries both counts, the definition in words,
and optionally the same figures by segment. The four definitions:

- **churn rate**: of the customers who were not churned at ``start`` (any other stage),
  the share whose stage is ``churned`` at ``end`` (stages by a :class:`LifecyclePolicy`).
- **retention rate**: of the customers who bought in the base period ``(base_start,
  start]``, the share who bought again in ``(start, end]``. Needs no policy.
- **repurchase rate** (复购率): of the customers who bought in ``(start, end]``, the share
  who bought on two or more distinct days in it (purchases are counted per customer and
  calendar day, so a split basket is one purchase).
- **reactivation rate**: of the customers in the ``from_stages`` (default: dormant) at
  ``start``, the share who bought in ``(start, end]``; e.g. a comeback coupon sent to the
  half-year sleepers "wakes 15%+".

A purchase is "in" a period when its own instant is: a ``start`` with a time of day
(``"2025-06-05 12:00"``) splits that day, and a purchase at 18:00 on it is in the period
even when the customer also bought at 09:00 (that day then is a purchase day of both the
base period and the period). Counting per day never moves a purchase across a cut.

:func:`rates_by_period` gives any of the four for every complete calendar period.

Churn and retention are not complements: churn counts customers who crossed the churn
threshold, retention counts repeat buying from one period to the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit._spec import check_choice
from crmkit._stats import wilson_interval
from crmkit._validate import first_labels
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._dask import is_dask, require_dask_columns
from crmkit.segmentation._lifecycle_engine import (
    Cut,
    CutoffResult,
    _stamp,
    make_cut,
    rate_arrays,
    reading,
)
from crmkit.segmentation._lifecycle_policy import (
    CHURNED,
    STAGES,
    LifecyclePolicy,
)
from crmkit.segmentation._log import RefundRule, TransactionLog, ZeroRule, as_log

I8 = npt.NDArray[np.int8]
I64 = npt.NDArray[np.int64]

__all__ = [
    "Rate",
    "churn_rate",
    "rates_by_period",
    "reactivation_rate",
    "repurchase_rate",
    "retention_rate",
]


@attrs.frozen(eq=False, repr=False)
class Rate(CutoffResult):
    """A rate with its definition, numerator and denominator, overall and by segment.

    Attributes:
        name: ``"churn"``, ``"retention"``, ``"repurchase"`` or ``"reactivation"``.
        definition: The definition in words, with the dates filled in.
        start: The start of the period (excluded), as read: the instant, or, when
            ``start_whole_day``, the midnight that begins the day whose end it is.
        end: The end of the period (included), read as ``start`` is.
        numerator: Customers counted in the numerator.
        denominator: Customers in the base.
        by_segment: With ``by=``: one row per segment, columns ``numerator``,
            ``denominator``, ``rate`` (NaN for an empty segment) and the 95% Wilson
            interval ``lower``, ``upper`` (0 to 1 for an empty segment); else None.
        unassigned: Base customers that ``by`` gave no segment (left out of
            ``by_segment`` only).
        future_rows: Rows after ``end``, excluded.
        non_purchase_rows: Rows with a non-positive amount, excluded.
        start_whole_day: ``start`` was given as a date, which means the end of that day.
        end_whole_day: ``end`` was given as a date.
        base_start: The retention rate's start of the base period ``(base_start,
            start]`` (excluded; given or derived), read as ``start`` is; None for the
            other rates.
        base_start_whole_day: ``base_start`` is a date.

    :meth:`to_dict` and the ``repr`` write a bound given as a date as that date alone
    (``"2025-05-31"``: the end of 31 May, as every crmkit function reads it), and any
    other bound as its exact ISO 8601 instant (with its offset when aware), so passing
    them back as ``start=``/``end=``/``base_start=`` gives the same window. The flags are
    not written: the text says which a bound is.

    Examples:
        >>> from crmkit.segmentation import Rate
        >>> r = Rate(name="reactivation", definition="...", start=None, end=None,
        ...          numerator=18, denominator=100)
        >>> r.value, f"{r}"
        (0.18, 'reactivation rate 18.0% (18 of 100)')

        A window from the end of 31 May to noon on 30 June:

        >>> import pandas as pd
        >>> w = Rate("repurchase", "...", pd.Timestamp("2025-05-31"),
        ...          pd.Timestamp("2025-06-30 12:00"), 1, 3, start_whole_day=True)
        >>> {k: w.to_dict()[k] for k in ("start", "end")}
        {'start': '2025-05-31', 'end': '2025-06-30T12:00:00'}
    """

    name: str
    definition: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    numerator: int
    denominator: int
    by_segment: pd.DataFrame | None = None
    unassigned: int = 0
    future_rows: int = 0
    non_purchase_rows: int = 0
    start_whole_day: bool = False
    end_whole_day: bool = False
    base_start: pd.Timestamp | None = None
    base_start_whole_day: bool = False

    _CUTOFFS = ("start", "end", "base_start")

    @property
    def value(self) -> float:
        """``numerator / denominator`` (NaN when the denominator is 0).

        Examples:
            >>> from crmkit.segmentation import Rate
            >>> Rate("churn", "", None, None, numerator=3, denominator=12).value
            0.25
        """
        return self.numerator / self.denominator if self.denominator else float("nan")

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The Wilson score interval of the rate (``(0, 1)`` when the denominator is 0).

        Examples:
            >>> from crmkit.segmentation import Rate
            >>> lo, hi = Rate("reactivation", "", None, None, 18, 100).interval()
            >>> round(lo, 3), round(hi, 3)
            (0.117, 0.267)
        """
        lo, hi = wilson_interval(self.numerator, self.denominator, level)
        return float(lo), float(hi)

    def __float__(self) -> float:
        return self.value

    def __str__(self) -> str:
        shown = f"{self.value:.1%}" if self.denominator else "undefined"
        return f"{self.name} rate {shown} ({self.numerator} of {self.denominator})"

    def to_dict(self) -> dict[str, Any]:
        """Return every field as plain JSON types, the window as crmkit reads it back.

        ``start``, ``end`` and ``base_start`` given as dates are written as the date
        (``"2025-05-31"``: the end of that day); instants as exact ISO 8601 text. See the
        class docs.

        Examples:
            >>> import pandas as pd
            >>> from crmkit.segmentation import retention_rate
            >>> tx = pd.DataFrame({"customer_id": [1, 1],
            ...                    "date": pd.to_datetime(["2025-05-03", "2025-06-09"])})
            >>> d = retention_rate(tx, start="2025-05-31", end="2025-06-30", amount=None).to_dict()
            >>> d["start"], d["end"], d["numerator"], d["denominator"]
            ('2025-05-31', '2025-06-30', 1, 1)
            >>> d["base_start"]  # derived: as many days before start as end is after it
            '2025-05-01'
        """
        return super().to_dict()


def _segments(
    by: object, ids: pd.Index, owner: str
) -> tuple[npt.NDArray[np.int64], pd.Index] | None:
    """Segment code per customer of ``ids`` (-1: none), and the segment labels."""
    if by is None:
        return None
    if isinstance(by, Mapping):
        by = pd.Series(dict(by))
    if not isinstance(by, pd.Series):
        raise ConfigError(
            owner,
            "by",
            expected="a pandas Series (or mapping) from customer id to segment",
            found=type(by).__name__,
        )
    duplicated = by.index.duplicated()
    if duplicated.any():
        raise InvalidInputError(
            owner,
            "by",
            expected="one segment per customer id",
            found=f"{int(duplicated.sum())} repeated customer ids",
            rows=first_labels(by.index, duplicated),
            total=int(duplicated.sum()),
            kind="",
        )
    # Every segment of ``by`` is reported (with 0 of 0 when none of its customers is in
    # the base), not only those of the customers who happen to be in the data.
    if isinstance(by.dtype, pd.CategoricalDtype):
        labels = pd.Index(by.cat.categories)
        own = by.cat.codes.to_numpy(dtype=np.int64)
    else:
        own, uniques = pd.factorize(by, sort=True)
        labels = pd.Index(uniques)
        own = np.asarray(own, dtype=np.int64)
    where = by.index.get_indexer(ids)
    codes = np.where(where >= 0, own[np.maximum(where, 0)], -1) if len(own) else where
    codes = np.asarray(codes, dtype=np.int64)
    labels.name = by.name if by.name is not None else "segment"
    return codes, labels


def _result(
    name: str,
    definition: str,
    base: npt.NDArray[np.bool_],
    hit: npt.NDArray[np.bool_],
    *,
    ids: pd.Index,
    cuts: list[Cut],
    by: object,
    owner: str,
    future: int,
    non_purchase: int,
    start: Cut,
    base_start: Cut | None = None,
) -> Rate:
    numerator = int((base & hit).sum())
    denominator = int(base.sum())
    by_segment = None
    unassigned = 0
    segments = _segments(by, ids, owner)
    if segments is not None:
        codes, labels = segments
        known = base & (codes >= 0)
        unassigned = int((base & (codes < 0)).sum())
        den = np.bincount(codes[known], minlength=len(labels))
        num = np.bincount(codes[known & hit], minlength=len(labels))
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(den > 0, num / np.maximum(den, 1), np.nan)
        lower, upper = wilson_interval(num, den)
        by_segment = pd.DataFrame(
            {
                "numerator": num.astype(np.int64),
                "denominator": den.astype(np.int64),
                "rate": rate,
                "lower": lower,
                "upper": upper,
            },
            index=labels,
        )
    return Rate(
        name=name,
        definition=definition,
        start=start.label,
        end=cuts[-1].label,
        numerator=numerator,
        denominator=denominator,
        by_segment=by_segment,
        unassigned=unassigned,
        future_rows=future,
        non_purchase_rows=non_purchase,
        start_whole_day=start.whole_day,
        end_whole_day=cuts[-1].whole_day,
        base_start=None if base_start is None else base_start.label,
        base_start_whole_day=base_start is not None and base_start.whole_day,
    )


def _check_stage_policy(
    policy: LifecyclePolicy, owner: str, when: str = "at start and at end"
) -> None:
    """Refuse a ``"p_alive"`` policy whose rule has no model, before reading any data.

    A rate classifies every customer at ``start`` and at ``end`` (at every period end in
    :func:`rates_by_period`), so P(alive) must come from the rule's model: one given per
    customer (``classify_lifecycle(..., p_alive=...)``) holds at one instant only, and the
    rate functions take none.
    """
    if policy.alive is not None and policy.alive.model is None:
        raise ConfigError(
            owner,
            "policy",
            expected=f"a policy that computes every customer's stage {when} itself (under "
            "basis 'p_alive': an AliveRule with a fitted count model)",
            found="basis 'p_alive' with an AliveRule without a model",
            hint="Pass policy=LifecyclePolicy(basis='p_alive', alive=AliveRule(model=fit)) "
            "with fit a ModifiedBetaGeoFit, ParetoNBDFit or BetaGeoFit (e.g. "
            "ModifiedBetaGeoModel(time_unit='weeks').fit(btyd_summary(...))), or a policy of "
            "another basis ('fixed', 'quantile' or 'mean_sd').",
        )


def _check_order(cuts: list[Cut], names: list[str], owner: str) -> None:
    for (a, na), (b, nb) in zip(
        zip(cuts[:-1], names[:-1], strict=True), zip(cuts[1:], names[1:], strict=True), strict=True
    ):
        if not b.instant > a.instant:
            raise ConfigError(owner, nb, expected=f"after {na} ({a})", found=str(b))


def _setup(
    transactions: object,
    points: list[tuple[str, object]],
    *,
    customer: str,
    date: str,
    amount: str | None,
    read: dict[str, Any],
    owner: str,
    policy: LifecyclePolicy | None,
    default_base: bool = False,
) -> tuple[pd.Index, list[Cut], int, int, list[I8], list[I64]]:
    """Validate, read the dates in order, and count every customer's purchase days.

    Returns the customer ids, the cuts, the rows after the last one and the non-purchase
    rows before it, per cut the stage codes of each customer (with a ``policy``), and per
    window up to a cut each customer's purchase days in that window (window ``j`` is
    ``(cut j-1, cut j]``, rows decide, a day split by an instant cut counts on both sides:
    :func:`rate_arrays`). A Dask DataFrame is counted on the
    cluster (the cuts need only its metadata) and only these per-customer arrays return.
    With ``default_base`` the first point is None and becomes ``second - (third - second)``.
    """
    dask = is_dask(transactions)
    if dask:
        columns = [customer, date] + ([amount] if amount else [])
        require_dask_columns(transactions, owner, columns, datetime=date)
        rows = TransactionLog.from_partition(
            cast("Any", transactions)[columns]._meta, customer=customer, date=date, amount=amount,
            owner=owner, **read,
        )  # fmt: skip
    else:
        rows = as_log(
            transactions, owner, customer=customer, date=date, amount=amount,
            defer_refunds=True, **read,
        )  # fmt: skip
    if default_base:
        a = make_cut(points[1][1], rows.tzinfo, owner, points[1][0])
        b = make_cut(points[2][1], rows.tzinfo, owner, points[2][0])
        # The given pair first: a base derived from a reversed window would be reported
        # as the error, naming a base_start the caller never passed.
        _check_order([a, b], [points[1][0], points[2][0]], owner)
        cuts = [_base_before(a, b, rows.tzinfo, owner), a, b]
    else:
        cuts = [make_cut(value, rows.tzinfo, owner, name) for name, value in points]
    _check_order(cuts, [name for name, _ in points], owner)
    if dask:
        from crmkit.segmentation._lifecycle_dask import history_counts_dask

        return history_counts_dask(
            transactions, cuts=cuts, policy=policy, customer=customer, date=date,
            amount=amount, read=read, owner=owner,
        )  # fmt: skip
    before = rows.instants_ns() < cuts[-1].instant
    rows.refuse_refunds(owner, before, until=points[-1][0])  # later: in no window
    keep = before & rows.purchase
    future = int((~before).sum())
    non_purchase = int((before & ~rows.purchase).sum())
    ids, codes, windows = rate_arrays(rows, keep, cuts, policy)
    return ids, cuts, future, non_purchase, codes, windows


def _base_before(a: Cut, b: Cut, zone: dt.tzinfo | None, owner: str) -> Cut:
    """The default start of the base period: as long before ``a`` as ``b`` is after it.

    Between two dates the length is counted in calendar days, so the base starts at the
    end of a day (as its label says) even when a DST change lies between ``a`` and ``b``
    (elapsed time would move it by the hour the clocks moved). Otherwise it is elapsed
    time, and the base start is read back as an instant of the data's zone.

    >>> a = make_cut("2025-03-15", None, "f()", "start")
    >>> str(_base_before(a, make_cut("2025-04-14", None, "f()", "end"), None, "f()"))
    '2025-02-13'
    """
    if a.whole_day and b.whole_day:
        return make_cut(_date_of(a.day - (b.day - a.day)), zone, owner, "base_start")
    # A date's point in time is the midnight ending it; an instant's, the instant itself.
    pa, pb = (c.instant if c.whole_day else c.instant - 1 for c in (a, b))
    return make_cut(_stamp(pa - (pb - pa), zone), zone, owner, "base_start")


def churn_rate(
    transactions: Any,
    *,
    start: object,
    end: object,
    policy: LifecyclePolicy | None = None,
    by: pd.Series | Mapping[Any, Any] | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
) -> Rate:
    """Share of the customers not churned at ``start`` whose stage is churned at ``end``.

    Denominator: customers with a purchase up to ``start`` whose stage at ``start`` is
    anything but ``churned``. Numerator: those of them whose stage at ``end`` is
    ``churned`` (no purchase for ``churned_days`` under the default policy).

    Args:
        transactions: One row per purchase; never modified. A Dask DataFrame (its date
            column already datetime64) is worked on the cluster, partitioned by customer.
        start: Start of the period (a date means the end of that day).
        end: End of the period, after ``start``.
        policy: The stage rules (:class:`LifecyclePolicy` defaults when None); under
            basis ``"p_alive"`` its :class:`AliveRule` needs a fitted model.
        by: Optional segment per customer id (a Series or mapping), e.g. RFM segments or
            campaign groups; the result then carries ``by_segment``.
        customer: Customer id column.
        date: Date column.
        amount: Amount column (None: every row is a purchase); by the purchase rule of
            :class:`TransactionLog` only positive amounts are purchases.
        timezone: IANA zone in which naive dates are read, aware ones converted and
            calendar days counted (None: the data's own; overrides the policy's zone).
        date_format: Format of non-ISO date strings (see the input docs).
        date_unit: Unit of numeric dates (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).
        refunds: ``"net"``, ``"drop"`` or ``"error"``: the purchase rule of
            :class:`TransactionLog`.
        zero_amount: ``"ignore"`` or ``"purchase"``: the purchase rule of
            :class:`TransactionLog`.

    Returns:
        A :class:`Rate`.

    Raises:
        ConfigError: ``end`` not after ``start``; a bad ``by``; a policy without the
            ``churned`` stage, or of basis ``"p_alive"`` whose :class:`AliveRule` has no
            model (the stages at ``start`` and ``end`` need the model's P(alive)).
        InvalidInputError: As :func:`classify_lifecycle`.

    Examples:
        Four customers on 31 December 2024; by 31 March 2025 the one whose last purchase
        was on 15 March 2024 has passed 365 days without buying.

        >>> import pandas as pd
        >>> from crmkit.segmentation import churn_rate
        >>> tx = pd.DataFrame({"customer_id": [1, 2, 3, 4],
        ...     "date": pd.to_datetime(["2024-03-15", "2024-06-01", "2024-11-20", "2023-01-10"])})
        >>> r = churn_rate(tx, start="2024-12-31", end="2025-03-31", amount=None)
        >>> r.numerator, r.denominator, r.value
        (1, 3, 0.3333333333333333)
    """
    owner = "churn_rate()"
    policy = policy if policy is not None else LifecyclePolicy()
    if "churned" not in policy.stages:
        raise ConfigError(
            owner,
            "policy",
            expected="a policy with the 'churned' stage",
            found=f"stages {list(policy.stages)}",
        )
    _check_stage_policy(policy, owner)
    read = reading(
        policy, owner, timezone=timezone, date_format=date_format, date_unit=date_unit,
        refunds=refunds, zero_amount=zero_amount,
    )  # fmt: skip
    ids, cuts, future, non_purchase, codes, _ = _setup(
        transactions, [("start", start), ("end", end)], customer=customer, date=date,
        amount=amount, read=read, owner=owner, policy=policy,
    )  # fmt: skip
    at_start, at_end = codes
    base = (at_start >= 0) & (at_start != CHURNED)
    hit = at_end == CHURNED
    rule = (
        f"no purchase for {policy.churned_days:g} days"
        if policy.basis == "fixed"
        else f"P(alive) below {policy.alive.churned_below:g}"
        if policy.alive is not None
        else f"recency of {policy.churned_multiple:g}x their typical gap ({policy.basis})"
    )
    definition = (
        f"customers not churned at {cuts[0]} (any stage but churned) who are churned "
        f"at {cuts[1]} ({rule})"
    )
    return _result(
        "churn", definition, base, hit, ids=ids, cuts=cuts, by=by, owner=owner, future=future,
        non_purchase=non_purchase, start=cuts[0],
    )  # fmt: skip


def retention_rate(
    transactions: Any,
    *,
    start: object,
    end: object,
    base_start: object = None,
    by: pd.Series | Mapping[Any, Any] | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
) -> Rate:
    """Share of the customers who bought in ``(base_start, start]`` who bought again in ``(start, end]``.

    Denominator: customers with a purchase in the base period ``(base_start, start]``.
    Numerator: those of them with a purchase in ``(start, end]``. A purchase is a row
    (with a positive amount when ``amount`` is given); what counts is whether there was
    any, so the number of orders or purchase days does not matter. With a time-of-day
    ``start``, purchases before and after it on that day fall on their own sides (one at
    09:00 in the base period and one at 18:00 in the period retain the customer).

    Args:
        transactions: One row per purchase; never modified. A Dask DataFrame (its date
            column already datetime64) is worked on the cluster, partitioned by customer.
        start: End of the base period and start of the period.
        end: End of the period.
        base_start: Start of the base period (excluded); default ``start - (end - start)``
            (counted in calendar days when ``start`` and ``end`` are dates, so a DST change
            between them does not move it by an hour; else in elapsed time).
            For calendar months pass the month ends: ``base_start="2025-04-30",
            start="2025-05-31", end="2025-06-30"``.
        by: Optional segment per customer id.
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
        A :class:`Rate`.

    Raises:
        ConfigError: Dates out of order; a bad ``by``.
        InvalidInputError: As :func:`classify_lifecycle`.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import retention_rate
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 4],
        ...     "date": pd.to_datetime(["2025-05-03", "2025-06-09", "2025-05-20",
        ...                             "2025-05-28", "2025-06-30", "2025-06-02"])})
        >>> r = retention_rate(tx, base_start="2025-04-30", start="2025-05-31", end="2025-06-30", amount=None)
        >>> r.numerator, r.denominator
        (2, 3)
    """
    owner = "retention_rate()"
    read = reading(
        None, owner, timezone=timezone, date_format=date_format, date_unit=date_unit,
        refunds=refunds, zero_amount=zero_amount,
    )  # fmt: skip
    ids, cuts, future, non_purchase, _, windows = _setup(
        transactions, [("base_start", base_start), ("start", start), ("end", end)],
        customer=customer, date=date, amount=amount, read=read, owner=owner,
        default_base=base_start is None, policy=None,
    )  # fmt: skip
    _, in_base, in_period = windows
    base = in_base > 0
    hit = in_period > 0
    definition = (
        f"customers who bought in ({cuts[0]}, {cuts[1]}] and bought again in ({cuts[1]}, {cuts[2]}]"
    )
    return _result(
        "retention", definition, base, hit, ids=ids, cuts=cuts, by=by, owner=owner, future=future,
        non_purchase=non_purchase, start=cuts[1], base_start=cuts[0],
    )  # fmt: skip


def repurchase_rate(
    transactions: Any,
    *,
    start: object,
    end: object,
    by: pd.Series | Mapping[Any, Any] | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
) -> Rate:
    """Share of the customers who bought in ``(start, end]`` who bought on 2+ days in it (复购率).

    Denominator: customers with a purchase in ``(start, end]``. Numerator: those of them
    with purchases on two or more distinct calendar days in it (the usual 复购率, "bought
    twice or more in the period / bought in the period", counted in purchase days).
    Several purchases on one day count once, so a split basket, or an order recorded as
    several rows, is not a repurchase. The days counted are those with a purchase in the
    period: with a time-of-day ``start`` such as ``"2025-06-05 12:00"``, 5 June counts
    when the customer bought after noon on it, whatever was bought before noon.

    Args:
        transactions: One row per purchase; never modified. A Dask DataFrame (its date
            column already datetime64) is worked on the cluster, partitioned by customer.
        start: Start of the period (excluded; a date means the end of that day).
        end: End of the period.
        by: Optional segment per customer id.
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
        A :class:`Rate`.

    Raises:
        ConfigError: ``end`` not after ``start``; a bad ``by``.
        InvalidInputError: As :func:`classify_lifecycle`.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import repurchase_rate
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3],
        ...     "date": pd.to_datetime(["2025-06-02 09:00", "2025-06-20 12:00", "2025-06-05 10:00",
        ...                             "2025-06-05 18:00", "2025-06-11 15:30"])})
        >>> r = repurchase_rate(tx, start="2025-05-31", end="2025-06-30", amount=None)
        >>> r.numerator, r.denominator
        (1, 3)
    """
    owner = "repurchase_rate()"
    read = reading(
        None, owner, timezone=timezone, date_format=date_format, date_unit=date_unit,
        refunds=refunds, zero_amount=zero_amount,
    )  # fmt: skip
    ids, cuts, future, non_purchase, _, windows = _setup(
        transactions, [("start", start), ("end", end)], customer=customer, date=date,
        amount=amount, read=read, owner=owner, policy=None,
    )  # fmt: skip
    in_period = windows[1]
    base = in_period > 0
    hit = in_period >= 2
    definition = (
        f"customers who bought in ({cuts[0]}, {cuts[1]}] on two or more distinct days in it"
    )
    return _result(
        "repurchase", definition, base, hit, ids=ids, cuts=cuts, by=by, owner=owner, future=future,
        non_purchase=non_purchase, start=cuts[0],
    )  # fmt: skip


def reactivation_rate(
    transactions: Any,
    *,
    start: object,
    end: object,
    policy: LifecyclePolicy | None = None,
    from_stages: Iterable[str] = ("dormant",),
    by: pd.Series | Mapping[Any, Any] | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
) -> Rate:
    """Share of the customers in ``from_stages`` at ``start`` who bought in ``(start, end]``.

    Denominator: customers whose stage at ``start`` is one of ``from_stages``. Numerator:
    those of them with a purchase in ``(start, end]``.

    The win-back measure: send a comeback coupon to the half-year sleepers (stage
    ``dormant`` on the send date) and count how many buy by the end of the campaign.
    Compare groups (sent / held out) with ``by=``.

    Args:
        transactions: One row per purchase; never modified. A Dask DataFrame (its date
            column already datetime64) is worked on the cluster, partitioned by customer.
        start: The date the base is taken (e.g. the campaign send date).
        end: End of the period.
        policy: The stage rules (:class:`LifecyclePolicy` defaults when None); under
            basis ``"p_alive"`` its :class:`AliveRule` needs a fitted model.
        from_stages: Stages that form the base (keys, or the policy's stage names);
            default ``("dormant",)``, add ``"churned"`` to include the lost.
        by: Optional segment per customer id (e.g. ``"coupon"`` / ``"control"``).
        customer: Customer id column.
        date: Date column.
        amount: Amount column (None: every row is a purchase); by the purchase rule of
            :class:`TransactionLog` only positive amounts are purchases.
        timezone: IANA zone in which naive dates are read, aware ones converted and
            calendar days counted (None: the data's own; overrides the policy's zone).
        date_format: Format of non-ISO date strings (see the input docs).
        date_unit: Unit of numeric dates (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).
        refunds: ``"net"``, ``"drop"`` or ``"error"``: the purchase rule of
            :class:`TransactionLog`.
        zero_amount: ``"ignore"`` or ``"purchase"``: the purchase rule of
            :class:`TransactionLog`.

    Returns:
        A :class:`Rate`.

    Raises:
        ConfigError: ``end`` not after ``start``, an unknown stage, a bad ``by``, or a
            policy of basis ``"p_alive"`` whose :class:`AliveRule` has no model.
        InvalidInputError: As :func:`classify_lifecycle`.

    Examples:
        Three half-year sleepers on 30 June 2025; one buys again in July.

        >>> import pandas as pd
        >>> from crmkit.segmentation import reactivation_rate
        >>> tx = pd.DataFrame({"customer_id": [1, 2, 3, 1, 4],
        ...     "date": pd.to_datetime(["2024-11-02", "2024-12-10", "2024-10-01",
        ...                             "2025-07-15", "2025-06-01"])})
        >>> r = reactivation_rate(tx, start="2025-06-30", end="2025-07-31", amount=None)
        >>> r.numerator, r.denominator, f"{r.value:.1%}"
        (1, 3, '33.3%')
    """
    owner = "reactivation_rate()"
    policy = policy if policy is not None else LifecyclePolicy()
    _check_stage_policy(policy, owner)
    stages = list(from_stages) if not isinstance(from_stages, str) else [from_stages]
    unknown = [s for s in stages if s not in policy.stages and s not in policy.stage_names]
    if unknown or not stages:
        raise ConfigError(
            owner,
            "from_stages",
            expected=f"one or more of the policy's stages {list(policy.stage_names)}",
            found=repr(unknown[0]) if unknown else "none",
        )
    keys = [policy.stage_key(s) for s in stages]
    read = reading(
        policy, owner, timezone=timezone, date_format=date_format, date_unit=date_unit,
        refunds=refunds, zero_amount=zero_amount,
    )  # fmt: skip
    ids, cuts, future, non_purchase, codes, windows = _setup(
        transactions, [("start", start), ("end", end)], customer=customer, date=date,
        amount=amount, read=read, owner=owner, policy=policy,
    )  # fmt: skip
    wanted = np.array([STAGES.index(key) for key in keys], dtype=np.int8)
    base = np.isin(codes[0], wanted)
    hit = windows[1] > 0
    definition = (
        f"customers {' or '.join(stages)} at {cuts[0]} who bought in ({cuts[0]}, {cuts[1]}]"
    )
    return _result(
        "reactivation", definition, base, hit, ids=ids, cuts=cuts, by=by, owner=owner, future=future,
        non_purchase=non_purchase, start=cuts[0],
    )  # fmt: skip


_RATES = ("churn", "retention", "repurchase", "reactivation")
_PERIOD_FREQS = ("D", "W", "M", "Q", "Y")


def rates_by_period(
    transactions: Any,
    rate: str,
    *,
    freq: str = "M",
    start: object = None,
    end: object = None,
    policy: LifecyclePolicy | None = None,
    from_stages: Iterable[str] = ("dormant",),
    by: pd.Series | Mapping[Any, Any] | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
) -> pd.DataFrame:
    """One rate for every calendar period (e.g. monthly churn over a year), as a tidy frame.

    Each period ``(end of the previous period, end of this one]`` is computed exactly as the
    single-period function with those dates would compute it:

    - ``"churn"``: :func:`churn_rate` with ``start`` = the end of the previous period;
    - ``"retention"``: :func:`retention_rate` with the previous period as the base period
      (bought in the previous period, bought again in this one);
    - ``"repurchase"``: :func:`repurchase_rate` over the period (2+ purchase days in it);
    - ``"reactivation"``: :func:`reactivation_rate`, base taken at the end of the previous
      period.

    Only **complete** periods are reported: from the period holding ``start`` to the last
    period that has ended by ``end``; a period only partly observed is left out, never
    reported with a partial numerator. Stages and counts come from one sorted pass over
    all the period ends (vectorised, no loop per customer).

    Args:
        transactions: One row per purchase; never modified. A Dask DataFrame (its date
            column already datetime64) is worked on the cluster, partitioned by customer.
        rate: ``"churn"``, ``"retention"``, ``"repurchase"`` or ``"reactivation"``.
        freq: ``"D"``, ``"W"`` (weeks ending Sunday), ``"M"``, ``"Q"`` or ``"Y"``.
        start: A day in the first period reported (default: the first purchase day).
        end: The observation end (a date means the end of that day; default: the last
            purchase day). Rows after the end of the last complete period (so also those
            of a partly observed last period) are excluded and counted in
            ``attrs["future_rows"]``.
        policy: Stage rules for churn and reactivation (defaults when None); under basis
            ``"p_alive"`` its :class:`AliveRule` needs a fitted model.
        from_stages: Reactivation only: the base stages (default ``("dormant",)``).
        by: Optional segment per customer id: one row per period and segment.
        customer: Customer id column.
        date: Date column.
        amount: Amount column (None: every row is a purchase); by the purchase rule of
            :class:`TransactionLog` only positive amounts are purchases.
        timezone: IANA zone in which naive dates are read, aware ones converted and
            calendar days counted (None: the data's own; overrides the policy's zone).
        date_format: Format of non-ISO date strings (see the input docs).
        date_unit: Unit of numeric dates (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).
        refunds: ``"net"``, ``"drop"`` or ``"error"``: the purchase rule of
            :class:`TransactionLog`; ``"error"`` refuses the refunds up to the end of the
            last complete period (a later one is in no period), as the Dask path does.
        zero_amount: ``"ignore"`` or ``"purchase"``: the purchase rule of
            :class:`TransactionLog`.

    Returns:
        Columns ``period`` (a pandas Period), ``segment`` (only with ``by``),
        ``numerator``, ``denominator``, ``rate`` (NaN when the denominator is 0) and the
        95% Wilson interval ``lower``, ``upper``. ``attrs`` holds ``rate``,
        ``definition``, ``future_rows``, ``non_purchase_rows`` and, with ``by``,
        ``unassigned`` (base customers without a segment, per period).

    Raises:
        ConfigError: An unknown ``rate`` or ``freq``, no complete period between ``start``
            and ``end``, or the errors of the single-period function.
        InvalidInputError: As :func:`classify_lifecycle`.

    Examples:
        Monthly repurchase rate (复购率) over the first quarter:

        >>> import pandas as pd
        >>> from crmkit.segmentation import rates_by_period
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 2, 3, 3],
        ...     "date": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-01-09", "2025-02-11",
        ...                             "2025-03-02", "2025-03-05", "2025-03-28"])})
        >>> table = rates_by_period(tx, "repurchase", end="2025-03-31", amount=None)
        >>> table[["period", "numerator", "denominator", "rate"]]
            period  numerator  denominator  rate
        0  2025-01          1            2   0.5
        1  2025-02          0            1   0.0
        2  2025-03          1            2   0.5
    """
    owner = "rates_by_period()"
    check_choice(rate, _RATES, owner, "rate")
    check_choice(freq, _PERIOD_FREQS, owner, "freq")
    policy = policy if policy is not None else LifecyclePolicy()
    if rate == "churn" and "churned" not in policy.stages:
        raise ConfigError(
            owner,
            "policy",
            expected="a policy with the 'churned' stage",
            found=f"stages {list(policy.stages)}",
        )
    if rate in ("churn", "reactivation"):
        _check_stage_policy(policy, owner, "at every period end")
    wanted: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
    stages: list[str] = []
    if rate == "reactivation":
        stages = list(from_stages) if not isinstance(from_stages, str) else [from_stages]
        unknown = [s for s in stages if s not in policy.stages and s not in policy.stage_names]
        if unknown or not stages:
            raise ConfigError(
                owner,
                "from_stages",
                expected=f"one or more of the policy's stages {list(policy.stage_names)}",
                found=repr(unknown[0]) if unknown else "none",
            )
        wanted = np.array([STAGES.index(policy.stage_key(s)) for s in stages], dtype=np.int8)
    read = reading(
        policy, owner, timezone=timezone, date_format=date_format, date_unit=date_unit,
        refunds=refunds, zero_amount=zero_amount,
    )  # fmt: skip
    dask = is_dask(transactions)
    if dask:
        from crmkit.segmentation._lifecycle_dask import day_range_dask, history_counts_dask

        columns = [customer, date] + ([amount] if amount else [])
        require_dask_columns(transactions, owner, columns, datetime=date)
        rows = TransactionLog.from_partition(
            cast("Any", transactions)[columns]._meta, customer=customer, date=date, amount=amount,
            owner=owner, **read,
        )  # fmt: skip
        low, high = day_range_dask(
            transactions, customer=customer, date=date, amount=amount, read=read, owner=owner
        )
    else:
        # Refunds are refused once the last complete period is known (below), as the
        # single-period rates and the Dask path do: a refund after it is in no period.
        rows = as_log(
            transactions, owner, customer=customer, date=date, amount=amount,
            defer_refunds=True, **read,
        )  # fmt: skip
        days = rows.days()
        buying = days[rows.purchase] if rows.purchase.any() else days
        low, high = int(buying.min()), int(buying.max())
    first_day = make_cut(start, rows.tzinfo, owner, "start").day if start is not None else None
    end_cut = (
        make_cut(end, rows.tzinfo, owner, "end")
        if end is not None
        else make_cut(_date_of(high), rows.tzinfo, owner, "end")
    )
    lo = first_day if first_day is not None else low
    pfreq = "W-SUN" if freq == "W" else freq
    first_period = pd.Period(_date_of(lo), freq=pfreq)
    last_period = pd.Period(_date_of(end_cut.day), freq=pfreq)
    if _date_of(end_cut.day) != last_period.end_time.date() or not end_cut.whole_day:
        last_period = last_period - 1  # the period holding `end` is not complete
    if last_period < first_period:
        raise ConfigError(
            owner,
            "end",
            expected=f"at least one complete {freq!r} period from start to end",
            found=f"none ending between {_date_of(lo)} and {end_cut}",
        )
    periods = pd.period_range(first_period, last_period, freq=pfreq)
    extra = 2 if rate == "retention" else 1  # period ends before the first period
    ends = [(first_period - i).end_time.date() for i in range(extra, 0, -1)]
    ends += [p.end_time.date() for p in periods]
    cuts = [make_cut(day, rows.tzinfo, owner, "end") for day in ends]
    stage_policy = policy if rate in ("churn", "reactivation") else None
    if dask:
        ids, _, future, non_purchase, codes, windows = history_counts_dask(
            transactions, cuts=cuts, policy=stage_policy, customer=customer, date=date,
            amount=amount, read=read, owner=owner,
        )  # fmt: skip
    else:
        before = rows.instants_ns() < cuts[-1].instant
        rows.refuse_refunds(owner, before, until="end")  # later: in no period
        keep = before & rows.purchase
        future = int((~before).sum())
        non_purchase = int((before & ~rows.purchase).sum())
        ids, codes, windows = rate_arrays(rows, keep, cuts, stage_policy)
    segments = _segments(by, ids, owner)
    parts: list[pd.DataFrame] = []
    unassigned: list[int] = []
    for j in range(len(periods)):
        i = j + extra  # snapshot index of this period's end
        if rate == "churn":
            base = (codes[i - 1] >= 0) & (codes[i - 1] != CHURNED)
            hit = codes[i] == CHURNED
        elif rate == "retention":
            base = windows[i - 1] > 0
            hit = windows[i] > 0
        elif rate == "repurchase":
            base = windows[i] > 0
            hit = windows[i] >= 2
        else:
            base = np.isin(codes[i - 1], wanted)
            hit = windows[i] > 0
        if segments is None:
            num = np.array([int((base & hit).sum())])
            den = np.array([int(base.sum())])
            labels: pd.Index | None = None
        else:
            seg, labels = segments
            known = base & (seg >= 0)
            unassigned.append(int((base & (seg < 0)).sum()))
            den = np.bincount(seg[known], minlength=len(labels))
            num = np.bincount(seg[known & hit], minlength=len(labels))
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 0, num / np.maximum(den, 1), np.nan)
        lower, upper = wilson_interval(num, den)
        part = pd.DataFrame(
            {
                "period": pd.PeriodIndex([periods[j]] * len(num), dtype=periods.dtype),
                "numerator": num.astype(np.int64),
                "denominator": den.astype(np.int64),
                "rate": value,
                "lower": lower,
                "upper": upper,
            }
        )
        if labels is not None:
            part.insert(1, "segment", labels)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    definitions = {
        "churn": "customers not churned at the end of the previous period who are churned at "
        "the end of the period",
        "retention": "customers who bought in the previous period and bought again in the period",
        "repurchase": "customers who bought in the period on two or more distinct days in it",
        "reactivation": f"customers {' or '.join(stages)} at the end of the previous period who "
        "bought in the period",
    }
    table.attrs.update(
        rate=rate,
        definition=definitions[rate],
        future_rows=future,
        non_purchase_rows=non_purchase,
    )
    if segments is not None:
        table.attrs["unassigned"] = unassigned
    return table


def _date_of(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=day)
