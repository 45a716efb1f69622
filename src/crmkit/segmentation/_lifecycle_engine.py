"""Lifecycle engine: where each customer is, at one instant or at many.

Stages, youngest first (an ordered categorical, so sorting and plotting come out in this
order): ``new``, ``reactivated``, ``active``, ``at_risk``, ``dormant``, ``churned``. They are
the e-commerce lifecycle of the domain notes (new, repeat/active, lost, dead: 新客、复购、
活跃、流失、死亡), with "about to sleep" (at risk) and "sleeping" (dormant) named apart because
each gets its own playbook, and with woken-up customers (reactivated) kept apart from the
steadily active ones so that a win-back campaign can see whom it brought back.

``active`` means "bought within ``at_risk_days``", not "bought again" (复购): a first-time
buyer is ``new`` for ``new_days`` and ``active`` after that until the at-risk day, one
purchase or many. On CDNOW as of 1997-04-30 (every customer first bought in 1997Q1),
11,953 of the 17,988 active customers had bought on one day only; count
``purchase_days >= 2`` for repeat buyers.

How a stage is decided (:class:`LifecyclePolicy` holds every number):

- Time is counted in **calendar days**: every purchase on a day is one purchase day (an
  "occasion"), ``recency_days`` is the number of days from the last purchase day to the
  ``as_of`` day, ``tenure_days`` the number from the first purchase day.
- ``new`` while ``tenure_days < new_days`` (default 30), whatever else holds.
- Otherwise recency against three thresholds: ``at_risk`` from ``at_risk_after_days``,
  ``dormant`` from ``dormant_after_days``, ``churned`` from ``churned_after_days`` (a stage
  starts on the day its threshold is reached: ``recency_days >= threshold``).
- A customer who would be ``active`` (below the at-risk threshold) is ``reactivated`` for
  ``reactivated_days`` after a wake-up purchase (a purchase day at least ``dormant_days``
  after the previous one: the customer had been dormant or churned).
- The stage set is the policy's: ``stages`` keeps a subset (a left-out threshold stage
  hands its customers to the stage below it) and ``labels`` renames them; results carry
  the policy's ``stage_names`` as ordered categories. Internally stages are computed as
  the six canonical codes above and mapped to the policy's categories at the end.

The thresholds are fixed days (basis ``"fixed"``: 90 / 180 / 365 by default) or relative to
the customer's own inter-purchase gaps (basis ``"quantile"`` or ``"mean_sd"``), with the
population's pooled gaps standing in for customers with too few gaps of their own, or
thresholds on a count model's P(alive) (basis ``"p_alive"``, :class:`AliveRule`), with
frequency, recency and T taken from the same occasion log.

Everything is computed from the purchases up to ``as_of``; rows after it are excluded and
counted. Batch paths sort once and are vectorised over customers and snapshots.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final, cast

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit._jsonable import ResultDict
from crmkit._spec import check_choice, derived
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._dask import is_dask
from crmkit.segmentation._lifecycle_policy import (
    ACTIVE,
    GAP_DTYPE,
    NEW,
    NS_PER_DAY,
    REACTIVATED,
    STAGES,
    LifecyclePolicy,
)
from crmkit.segmentation._log import RefundRule, TransactionLog, ZeroRule, as_log, day_numbers
from crmkit.segmentation._summary import _purchase_span, _read_point

__all__ = ["classify_lifecycle", "lifecycle_history"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]

# --------------------------------------------------------------------------- time


@attrs.frozen
class Cut:
    """An instant to classify at: exclusive cutoffs (UTC and wall ns), its day, a label."""

    instant: int  # rows with instant ns < this are included
    wall: int  # the same cutoff in wall-clock ns of the zone
    day: int  # the as_of calendar day (days since 1970-01-01, wall clock)
    label: pd.Timestamp
    whole_day: bool = False  # given as a date: the end of that day

    def __str__(self) -> str:
        return str(self.label.date()) if self.whole_day else str(self.label)


def bound_text(stamp: pd.Timestamp | None, whole_day: bool) -> str | None:
    """A result's cut-off as crmkit reads it back: the day alone, or the exact instant.

    A cut-off given as a date (the end of that day) is written as that date, never as the
    midnight that begins it; any other as its ISO 8601 instant (with its offset when
    aware), so :func:`make_cut` of the text is the cut it came from.

    >>> day = pd.Timestamp("2025-05-31")
    >>> bound_text(day, whole_day=True), bound_text(day, whole_day=False)
    ('2025-05-31', '2025-05-31T00:00:00')
    """
    if stamp is None:
        return None
    return stamp.date().isoformat() if whole_day else stamp.isoformat()


class CutoffResult(ResultDict):
    """Mixin for results that hold cut-offs (``as_of``, ``start``, ``end``) as Timestamps.

    A subclass names its cut-off fields in ``_CUTOFFS``; each ``name`` has a bool field
    ``name_whole_day`` (given as a date: the end of that day, labelled by the midnight
    that begins it, as :class:`Cut` labels it). :meth:`to_dict` and ``repr`` write every
    cut-off by :func:`bound_text` and leave the flags out, the text saying which a cut-off
    is: a Timestamp would show a date as its first midnight, which reads as a day short.
    Declare the subclass with ``attrs.frozen(repr=False)`` so this ``repr`` is kept.
    """

    __slots__ = ()
    _CUTOFFS: ClassVar[tuple[str, ...]] = ()

    def _written(self) -> dict[str, str | None]:
        return {
            name: bound_text(getattr(self, name), getattr(self, f"{name}_whole_day"))
            for name in self._CUTOFFS
        }

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON types, each cut-off as :func:`bound_text` writes it."""
        data = super().to_dict()
        data.update(self._written())
        for name in self._CUTOFFS:
            del data[f"{name}_whole_day"]
        return data

    def __repr__(self) -> str:
        written = self._written()
        flags = {f"{name}_whole_day" for name in self._CUTOFFS}
        cls = cast("type[attrs.AttrsInstance]", type(self))
        parts = []
        for a in attrs.fields(cls):
            if a.name not in flags:
                value = written[a.name] if a.name in written else getattr(self, a.name)
                parts.append(f"{a.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def make_cut(value: object, zone: dt.tzinfo | None, owner: str, field: str) -> Cut:
    """Read ``value`` (date, datetime, Timestamp, ISO string) as a cutoff in ``zone``.

    The one reader of cut-offs (:func:`~crmkit._validate.cutoff_value`): a
    ``datetime.date`` (or an ISO date string such as ``"2025-06-30"``) means the end of that
    day; a datetime is an instant (naive ones read in ``zone``). ``zone=None`` means the data
    are naive wall times, and an aware ``value`` is then a
    :class:`~crmkit.errors.ConfigError`, as in :func:`~crmkit.segmentation.summarize`
    (read by the same helper).
    """
    cut = _read_point(value, zone, owner, field)
    label = cut.label.tz_localize(None) if cut.whole_day and zone is not None else cut.label
    wall = int(cut.label.tz_localize(None).value) if zone is not None else int(cut.label.value)
    if cut.whole_day:
        day = wall // NS_PER_DAY
        return Cut(
            instant=int(cut.end.value),
            wall=(day + 1) * NS_PER_DAY,
            day=day,
            label=label,
            whole_day=True,
        )
    return Cut(instant=int(cut.end.value), wall=wall + 1, day=wall // NS_PER_DAY, label=label)


def _stamp(ns: int, zone: dt.tzinfo | None) -> pd.Timestamp:
    stamp = pd.Timestamp(ns, unit="ns")
    return stamp if zone is None else stamp.tz_localize("UTC").tz_convert(zone)


def _stamps(ns: I64, zone: dt.tzinfo | None) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    return index if zone is None else index.tz_localize("UTC").tz_convert(zone)


@attrs.frozen
class Excluded:
    """Rows left out: after the cutoff, or not purchases (amount <= 0)."""

    future: int = 0
    non_purchase: int = 0


# --------------------------------------------------------------------------- occasions


@attrs.frozen(eq=False)
class Log:
    """Purchase days (occasions) sorted by customer then day, with per-customer offsets.

    Built with the instants of every occasion (``first_ns``/``last_ns``, for the history and
    the rates) or, for one snapshot, with only each customer's first and last purchase
    instants: the other occasion instants are then found from ``rows`` on demand.
    """

    ids: pd.Index
    code: I64  # customer code per occasion
    day: I64  # wall-clock day per occasion
    start: I64  # offsets: occasions of customer c are start[c]:start[c+1]
    zone: dt.tzinfo | None
    cut: Cut
    occasion_first: I64 | None = None  # first purchase instant of each occasion
    occasion_last: I64 | None = None  # last purchase instant of each occasion
    customer_first: I64 | None = None  # first purchase instant of each customer
    customer_last: I64 | None = None  # last purchase instant of each customer
    rows: Rows | None = None  # the rows behind the occasions (when instants are on demand)

    @property
    def counts(self) -> I64:
        """Occasions per customer."""
        return np.diff(self.start)

    @property
    def gap(self) -> I64:
        """Days since the previous occasion of the same customer (0 for a first one)."""
        gap = np.zeros(len(self.day), dtype=np.int64)
        if len(gap) > 1:
            gap[1:] = self.day[1:] - self.day[:-1]
        gap[self.start[:-1][self.counts > 0]] = 0
        return gap

    @property
    def first_ns(self) -> I64:
        """The first purchase instant of each occasion."""
        if self.occasion_first is not None:
            return self.occasion_first
        return self._instants()[0]

    @property
    def last_ns(self) -> I64:
        """The last purchase instant of each occasion."""
        if self.occasion_last is not None:
            return self.occasion_last
        return self._instants()[1]

    def _instants(self) -> tuple[I64, I64]:
        assert self.rows is not None
        return derived(self, "instants", self.rows.occasion_instants)

    def first_purchase_ns(self) -> I64:
        """Each customer's first purchase instant."""
        if self.customer_first is not None:
            return self.customer_first
        return self.first_ns[self.start[:-1]] if len(self.ids) else self.first_ns

    def last_purchase_ns(self) -> I64:
        """Each customer's last purchase instant."""
        if self.customer_last is not None:
            return self.customer_last
        return self.last_ns[self.start[1:] - 1] if len(self.ids) else self.last_ns

    def first_of(self, occasion: I64) -> I64:
        """First purchase instant of at most one occasion per customer (-1: none, gives 0).

        ``occasion[c]`` is an occasion index of customer ``c`` or -1.
        """
        has = occasion >= 0
        if self.occasion_first is not None or self.rows is None:
            picked = self.first_ns[np.maximum(occasion, 0)] if len(occasion) else occasion
            return np.where(has, picked, 0)
        out = np.zeros(len(occasion), dtype=np.int64)
        if has.any():
            days = np.where(has, self.day[np.maximum(occasion, 0)], NO_DAY)
            out[has] = self.rows.extreme_on_day(days, np.minimum)[has]
        return out


#: A day number no row has (marks "no day" in per-customer day arrays).
NO_DAY: Final = np.iinfo(np.int64).min


@attrs.frozen(eq=False)
class Rows:
    """The rows of a :class:`TransactionLog` behind an occasion log.

    ``code``, ``day`` and ``inst`` are the log's own arrays (never copied); ``keep`` marks
    the rows that count (None: all) and ``slots`` maps each occasion-log customer to its
    slot in the transaction log (None: the same numbering).
    """

    code: I64
    day: I64
    inst: I64
    keep: npt.NDArray[np.bool_] | None
    slots: I64 | None
    size: int  # slots in the transaction log

    def kept(self) -> tuple[I64, I64, I64]:
        """Customer (occasion-log numbering), day and instant of every kept row."""
        code, day, inst = self.code, self.day, self.inst
        if self.keep is not None:
            code, day, inst = code[self.keep], day[self.keep], inst[self.keep]
        if self.slots is not None:
            relabel = np.full(self.size, -1, dtype=np.int64)
            relabel[self.slots] = np.arange(len(self.slots))
            code = relabel[code]
        return code, day, inst

    def occasion_instants(self) -> tuple[I64, I64]:
        """First and last purchase instant of every occasion, in occasion order."""
        code, day, inst = self.kept()
        _, _, first, last = sorted_occasions(code, day, inst)
        return first, last

    def extreme_on_day(self, days: I64, pick: np.ufunc) -> I64:
        """``pick`` (np.minimum/np.maximum) of the kept instants of each customer on ``days``.

        ``days[c]`` is a day of customer ``c`` (occasion-log numbering; ``NO_DAY``: none).
        """
        given = days != NO_DAY
        target = np.full(self.size, NO_DAY, dtype=np.int64)
        target[np.flatnonzero(given) if self.slots is None else self.slots[given]] = days[given]
        # The rows of the customers asked about (a gather from a table that stays in
        # cache), then those on the day asked for.
        wanted = target != NO_DAY
        rows = np.flatnonzero(wanted[self.code])
        code = self.code[rows]
        rows = rows[self.day[rows] == target[code]]
        if self.keep is not None:
            rows = rows[self.keep[rows]]
        fill = np.iinfo(np.int64).max if pick is np.minimum else np.iinfo(np.int64).min
        out = np.full(self.size, fill, dtype=np.int64)
        pick.at(out, self.code[rows], self.inst[rows])
        return out if self.slots is None else out[self.slots]


def argsort_keys(key: I64) -> I64:
    """A stable argsort of non-negative int64 keys, through numpy's fast (SIMD) value sort.

    The row position is packed into the low bits of each key, so sorting the values sorts
    by (key, position): the same order as a stable argsort, several times faster.
    """
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    bits = max(int(n - 1).bit_length(), 1)
    top = int(key.max())
    if int(key.min()) < 0 or top.bit_length() + bits > 62:
        return np.argsort(key, kind="stable")
    packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
    return packed & ((1 << bits) - 1)


def build_log(
    rows: TransactionLog, keep: npt.NDArray[np.bool_], cut: Cut, *, instants: bool = True
) -> Log:
    """Group the kept rows into occasions, sorted by (customer, day): the one sort.

    With ``instants=False`` (one snapshot: :func:`classify_lifecycle`) only each
    customer's first and last purchase instants are computed; the instants of other
    occasions are found from the rows when asked for (see :class:`Log`).
    """
    everything = bool(keep.all())
    n = len(keep) if everything else int(np.count_nonzero(keep))
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Log(
            ids=rows.ids[:0], code=empty, day=empty, start=np.zeros(1, dtype=np.int64),
            zone=rows.tzinfo, cut=cut, occasion_first=empty, occasion_last=empty,
        )  # fmt: skip
    if not instants:
        return _snapshot_log(rows, None if everything else keep, cut)
    if everything:
        code, day, inst = rows.codes, rows.days(), rows.instants_ns()
    else:
        code, day, inst = rows.codes[keep], rows.days()[keep], rows.instants_ns()[keep]
    # Keep only customers with a purchase here, relabelled densely in id order.
    present = np.zeros(len(rows.ids), dtype=bool)
    present[code] = True
    ids = rows.ids
    if not present.all():
        code = (np.cumsum(present) - 1)[code]
        ids = rows.ids[present]
    occ_code, occ_day, first_ns, last_ns = sorted_occasions(code, day, inst)
    return Log(
        ids=ids,
        code=occ_code,
        day=occ_day,
        start=_offsets(occ_code, len(ids)),
        zone=rows.tzinfo,
        cut=cut,
        occasion_first=first_ns,
        occasion_last=last_ns,
    )


def _offsets(code: I64, size: int) -> I64:
    """Offsets of each customer's occasions in a customer-sorted array of ``code``."""
    start = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(code, minlength=size), out=start[1:])
    return start


def sorted_occasions(code: I64, day: I64, inst: I64) -> tuple[I64, I64, I64, I64]:
    """Customer, day, first and last instant of each occasion of some rows, sorted.

    ``code`` numbers customers densely from 0 (the rows are not empty).
    """
    lo = int(day.min())
    span = int(day.max()) - lo + 1
    n = len(code)
    bits = max(int(n - 1).bit_length(), 1)
    if ((int(code.max()) + 1) * span).bit_length() + bits <= 62:
        # One value sort of (customer, day, row) packed in an int64: the sorted keys give
        # customer and day directly, only the instants need gathering.
        packed = np.multiply(code, span, dtype=np.int64)  # in place: no temporaries
        packed += day
        packed -= lo
        packed <<= bits
        packed |= np.arange(n, dtype=np.int64)
        packed.sort()
        key = packed >> bits
        order = packed
        order &= (1 << bits) - 1
    else:  # pragma: no cover - needs ~10^13 customer-days
        order = np.lexsort((day, code))
        key = code[order] * span + (day[order] - lo)
    inst = inst[order]
    new = np.ones(n, dtype=bool)
    np.not_equal(key[1:], key[:-1], out=new[1:])
    heads = np.flatnonzero(new)
    first_ns = np.minimum.reduceat(inst, heads)
    last_ns = np.maximum.reduceat(inst, heads)
    occ_code, occ_day = np.divmod(key[heads], span)
    return occ_code, occ_day + lo, first_ns, last_ns


def _snapshot_log(rows: TransactionLog, keep: npt.NDArray[np.bool_] | None, cut: Cut) -> Log:
    """:func:`build_log` for one snapshot: a sort of (customer, day) pairs alone.

    The pairs sort as 32-bit integers when they fit (as :func:`summarize` sorts its
    purchase days); rows that do not count are given a key above every pair, so they sort
    last and are cut off without copying the columns. Each customer's first and last
    purchase instants are a group minimum and maximum over the rows.
    """
    code, day, inst = rows.codes, rows.days(), rows.instants_ns()
    size = len(rows.ids)
    if keep is None:
        lo, hi, n = int(day.min()), int(day.max()), len(day)
        other = np.zeros(0, dtype=np.int64)
    else:
        big = np.iinfo(np.int64)
        lo = int(day.min(where=keep, initial=big.max))
        hi = int(day.max(where=keep, initial=big.min))
        other = np.flatnonzero(~keep)
        n = len(day) - len(other)
    span = hi - lo + 1
    beyond = size * span  # above every (customer, day) pair
    if beyond.bit_length() <= 62:
        # Pairs that fit in 32 bits are built and sorted as uint32: half the bytes.
        small = beyond < 2**32
        kind = np.uint32 if small else np.int64
        packed = np.multiply(code, span, dtype=kind, casting="unsafe")  # in place from here
        np.add(packed, day, out=packed, casting="unsafe")
        np.subtract(packed, kind(lo % 2**32 if small else lo), out=packed)
        packed[other] = beyond
        packed.sort()
        packed = packed[:n]
        new = np.ones(n, dtype=bool)
        np.not_equal(packed[1:], packed[:-1], out=new[1:])
        pairs = packed[new]
        occ_code = np.empty(len(pairs), dtype=np.int64)
        np.floor_divide(pairs, kind(span), out=occ_code)  # in the keys' type: uint32 is faster
        occ_day = np.multiply(occ_code, -span)
        occ_day += pairs
        occ_day += lo
    else:  # pragma: no cover - needs ~10^18 customer-days
        kept = np.arange(len(day)) if keep is None else np.flatnonzero(keep)
        order = kept[np.lexsort((day[kept], code[kept]))]
        occ_code, occ_day = code[order].astype(np.int64), day[order]
        new = np.ones(n, dtype=bool)
        new[1:] = (occ_code[1:] != occ_code[:-1]) | (occ_day[1:] != occ_day[:-1])
        occ_code, occ_day = occ_code[new], occ_day[new]
    purchase = np.ones(len(day), dtype=bool) if keep is None else keep
    first, last = _purchase_span(code, size, inst, purchase, other)
    counts = np.bincount(occ_code, minlength=size)
    present = counts > 0
    ids, slots = rows.ids, None
    if not present.all():
        slots = np.flatnonzero(present)
        occ_code = (np.cumsum(present) - 1)[occ_code]
        ids, first, last = ids[slots], first[slots], last[slots]
    start = _offsets(occ_code, len(ids))
    source = Rows(code=code, day=day, inst=inst, keep=keep, slots=slots, size=size)
    # The first purchase instant lies on the first purchase day and the last on the last
    # one, unless the zone's clock went back across midnight in between: found again
    # from those days' rows for the customers where it did.
    for values, days, pick in (
        (first, occ_day[start[:-1]], np.minimum),
        (last, occ_day[start[1:] - 1], np.maximum),
    ):
        off = day_numbers(values, "ns", rows.tzinfo) != days
        if off.any():
            again = source.extreme_on_day(np.where(off, days, NO_DAY), pick)
            values[off] = again[off]
    return Log(
        ids=ids,
        code=occ_code,
        day=occ_day,
        start=start,
        zone=rows.tzinfo,
        cut=cut,
        customer_first=first,
        customer_last=last,
        rows=source,
    )


def _prepare_log(
    transactions: object,
    *,
    customer: str,
    date: str,
    amount: str | None,
    policy: LifecyclePolicy,
    owner: str,
    as_of: object,
    read: Mapping[str, Any] | None = None,
) -> tuple[Log, Excluded]:
    options: dict[str, Any] = {"timezone": policy.timezone, **dict(read or {})}
    rows = as_log(
        transactions, owner, customer=customer, date=date, amount=amount, defer_refunds=True,
        **options,
    )  # fmt: skip
    cut = make_cut(as_of, rows.tzinfo, owner, "as_of")
    before = rows.instants_ns() < cut.instant
    rows.refuse_refunds(owner, before)  # a refund after as_of is no part of the result
    keep = before & rows.purchase
    excluded = Excluded(
        future=int((~before).sum()), non_purchase=int((before & ~rows.purchase).sum())
    )
    return build_log(rows, keep, cut, instants=False), excluded


# --------------------------------------------------------------------------- the rules


def grouped_quantile(values: F64, counts: I64, q: float) -> F64:
    """Linear-interpolation quantile of consecutive groups of sorted ``values``.

    ``values`` holds each group's values sorted ascending, groups one after another;
    ``counts`` the group sizes. Empty groups give NaN.
    """
    out = np.full(len(counts), np.nan)
    has = counts > 0
    if not has.any():
        return out
    offsets = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=offsets[1:])
    h = (counts[has] - 1) * q
    lo = np.floor(h).astype(np.int64)
    frac = h - lo
    hi = np.minimum(lo + 1, counts[has] - 1)
    a = values[offsets[has] + lo]
    b = values[offsets[has] + hi]
    out[has] = a + frac * (b - a)
    return out


@attrs.frozen(eq=False)
class GapIndex:
    """The gaps of a log, pre-sorted for quantiles and summed for means (built once)."""

    value_sorted: F64  # gap values, sorted by (customer, gap)
    pos_sorted: I64  # occasion index of each gap, same order
    pool_sorted: F64  # every gap value, sorted ascending
    pool_pos: I64  # occasion index of each pooled gap
    cum1: I64  # cumulative gap sum along occasions
    cum2: I64  # cumulative squared gap sum


def gap_index(log: Log) -> GapIndex:
    """Sort and sum the gaps of ``log`` once, for every snapshot to come."""
    gap = log.gap
    is_gap = np.ones(len(gap), dtype=bool)
    is_gap[log.start[:-1][log.counts > 0]] = False
    pos = np.flatnonzero(is_gap)
    owners = log.code[pos]
    values = gap[pos]
    span = int(values.max()) + 1 if len(values) else 1
    order = argsort_keys(owners * span + values)
    pool = argsort_keys(values)
    return GapIndex(
        value_sorted=values[order].astype(np.float64),
        pos_sorted=pos[order],
        pool_sorted=values[pool].astype(np.float64),
        pool_pos=pos[pool],
        cum1=np.cumsum(gap),
        cum2=np.cumsum(gap * gap),
    )


def _own_typical(
    log: Log,
    n_inc: I64,
    policy: LifecyclePolicy,
    take: npt.NDArray[np.bool_] | None,
    gaps: GapIndex | None = None,
) -> F64:
    """Each customer's typical gap over their first ``n_inc`` occasions (NaN: too few gaps).

    ``take`` marks, in ``gaps.value_sorted`` order, the gaps included (those of the first
    ``n_inc`` occasions of each customer); None when all of them are.
    """
    m = np.maximum(n_inc - 1, 0)
    out = np.full(len(n_inc), np.nan)
    if not policy.uses_gaps:
        return out
    gaps = gap_index(log) if gaps is None else gaps
    enough = m >= policy.min_gaps
    if policy.basis == "quantile":
        vals = gaps.value_sorted if take is None else gaps.value_sorted[take]
        out = grouped_quantile(vals, m, policy.quantile)
    else:
        first = log.start[:-1]
        last = first + np.maximum(n_inc, 1) - 1
        s1 = (gaps.cum1[last] - gaps.cum1[first]).astype(np.float64) if len(first) else np.zeros(0)
        s2 = (gaps.cum2[last] - gaps.cum2[first]).astype(np.float64) if len(first) else np.zeros(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / m
            var = np.maximum(s2 / m - mean * mean, 0.0)
        out = mean + policy.k * np.sqrt(var)
    out[~enough] = np.nan
    return out


def _mean_sd(n: int, s1: int, s2: int, k: float) -> float:
    """Mean + k * population SD from exact integer sums (the same figure on every path)."""
    mean = s1 / n
    return mean + k * math.sqrt(max(s2 / n - mean * mean, 0.0))


def _population_typical(
    gaps: GapIndex, policy: LifecyclePolicy, take: npt.NDArray[np.bool_] | None
) -> float | None:
    """The typical gap of the pooled gaps of every customer (None when there are none).

    ``take`` marks the included gaps in ``gaps.pool_sorted`` order (None: all).
    """
    if not policy.uses_gaps:
        return None
    values = gaps.pool_sorted if take is None else gaps.pool_sorted[take]
    if len(values) == 0:
        return None
    if policy.basis == "quantile":
        return float(grouped_quantile(values, np.array([len(values)]), policy.quantile)[0])
    whole = values.astype(np.int64)
    return _mean_sd(len(whole), int(whole.sum()), int((whole * whole).sum()), policy.k)


@attrs.frozen(eq=False)
class Snapshot:
    """Per-customer arrays of one snapshot."""

    codes: I8
    last_idx: I64
    recency: I64
    tenure: I64
    typical: F64
    source: I8
    at_risk: F64
    dormant: F64
    churned: F64
    last_wake: I64  # occasion index of the last wake-up, -1 when none
    alive: F64 | None = None  # P(alive) under the "p_alive" basis


def wake_index(log: Log, policy: LifecyclePolicy) -> I64:
    """For each occasion, the index of the latest wake-up up to it in its customer (-1: none)."""
    gap = log.gap
    wake = gap >= policy.dormant_days
    wake[log.start[:-1][log.counts > 0]] = False
    idx = np.where(wake, np.arange(len(gap)), -1)
    latest = np.maximum.accumulate(idx) if len(idx) else idx
    own_first = log.start[:-1][log.code] if len(idx) else idx
    return np.where(latest >= own_first, latest, -1)


def last_wakes(log: Log, policy: LifecyclePolicy) -> I64:
    """Each customer's latest wake-up occasion over all its occasions (-1: none).

    What :func:`wake_index` gives at each customer's last occasion, from the positions
    of the wake-ups alone (no running maximum over every occasion).
    """
    day, code = log.day, log.code
    at = np.flatnonzero(day[1:] - day[:-1] >= policy.dormant_days) + 1
    at = at[code[at] == code[at - 1]]  # after a purchase day of the same customer
    out = np.full(len(log.ids), -1, dtype=np.int64)
    if len(at):
        owner = log.code[at]
        latest = np.ones(len(at), dtype=bool)  # the last wake-up of each owner
        np.not_equal(owner[1:], owner[:-1], out=latest[:-1])
        out[owner[latest]] = at[latest]
    return out


def _snapshot(
    log: Log,
    n_inc: I64,
    as_of_day: int,
    *,
    policy: LifecyclePolicy,
    own: F64,
    population: float | None,
    wakes: I64 | None = None,
    alive: F64 | None = None,
    last_wake: I64 | None = None,
) -> Snapshot:
    """Apply the stage rules to every customer, given how many occasions each has so far.

    ``alive`` holds P(alive) per customer when it was given with the call (basis
    ``"p_alive"`` with a rule without a model); None computes it from the rule's model.
    ``last_wake``: each customer's latest wake-up occasion when ``n_inc`` counts every
    occasion (:func:`last_wakes`); None reads it from ``wakes``.
    """
    n = len(n_inc)
    has = n_inc > 0
    first = log.start[:-1]
    last = first + np.maximum(n_inc, 1) - 1
    if n and len(log.day):
        last = np.minimum(last, len(log.day) - 1)
        recency = as_of_day - log.day[last]
        tenure = as_of_day - log.day[first.clip(max=len(log.day) - 1)]
    else:
        recency = np.zeros(n, dtype=np.int64)
        tenure = np.zeros(n, dtype=np.int64)
    # Thresholds: fixed, or the customer's typical gap, else the population's, or P(alive).
    if policy.alive is not None:
        if alive is None:
            alive = policy.alive.probability_alive(n_inc, recency, tenure)
        typical = np.full(n, np.nan)
        source = np.full(n, 3, dtype=np.int8)
        at_risk = dormant = churned = typical
        rule = policy.alive
        steps = (
            (alive < rule.at_risk_below).view(np.int8)
            + (alive < rule.dormant_below).view(np.int8)
            + (alive < rule.churned_below).view(np.int8)
        )
    elif policy.basis == "fixed":
        typical = np.full(n, np.nan)
        source = np.full(n, 2, dtype=np.int8)
        at_risk = np.full(n, policy.at_risk_days)
        dormant = np.full(n, policy.dormant_days)
        churned = np.full(n, policy.churned_days)
        # Scalars compare faster than arrays; the arrays above are for the reason columns.
        steps = (
            (recency >= policy.at_risk_days).view(np.int8)
            + (recency >= policy.dormant_days).view(np.int8)
            + (recency >= policy.churned_days).view(np.int8)
        )
    else:
        use_own = ~np.isnan(own)
        typical = own.copy()
        source = np.where(use_own, 0, 1).astype(np.int8)
        if population is None:
            source[~use_own] = 2
        else:
            typical[~use_own] = population
        # Rounded to a millionth of a day (< 0.1 s) so that thresholds computed as
        # 36.00000000000001 behave like the 36 days a person computes by hand.
        typical = np.round(typical, 6)
        relative = source < 2
        at_risk = np.where(relative, typical, policy.at_risk_days)
        dormant = np.where(relative, typical * policy.dormant_multiple, policy.dormant_days)
        churned = np.where(relative, typical * policy.churned_multiple, policy.churned_days)
        steps = (
            (recency >= at_risk).view(np.int8)
            + (recency >= dormant).view(np.int8)
            + (recency >= churned).view(np.int8)
        )
    # The wake-up: the latest purchase day after a gap of dormant_days or more.
    if last_wake is None:
        wakes = wake_index(log, policy) if wakes is None else wakes
        last_wake = wakes[last] if len(wakes) else np.full(n, -1, dtype=np.int64)
    last_wake = np.where(has, last_wake, -1)
    woke = last_wake >= 0
    wake_day = log.day[np.maximum(last_wake, 0)] if len(log.day) else last_wake

    # Thresholds are in order, so the number reached counts the steps past active.
    if policy.stages == STAGES:
        codes = steps + np.int8(ACTIVE)
    else:  # a left-out threshold stage hands its customers to the one below it
        ladder = np.array([STAGES.index(key) for key in policy.stages], dtype=np.int8)
        fold = np.array([ladder[ladder <= ACTIVE + i].max() for i in range(4)], dtype=np.int8)
        codes = fold[steps]
    if "reactivated" in policy.stages:
        recent = woke & (as_of_day - wake_day < policy.reactivated_days)
        codes[(codes == ACTIVE) & recent] = REACTIVATED
    if "new" in policy.stages:
        codes[tenure < policy.new_days] = NEW
    codes[~has] = -1
    return Snapshot(
        codes=codes,
        last_idx=last,
        recency=recency,
        tenure=tenure,
        typical=typical,
        source=source,
        at_risk=at_risk,
        dormant=dormant,
        churned=churned,
        last_wake=last_wake,
        alive=alive,
    )


def given_alive(
    policy: LifecyclePolicy, owner: str, p_alive: object, ids: pd.Index | None = None
) -> F64 | None:
    """P(alive) given with a call, checked and aligned to ``ids`` (None when not given).

    Given exactly when the policy's basis is ``"p_alive"`` and its rule has no model: a
    Series indexed by customer id with values in [0, 1], one for every customer in
    ``ids`` (a missing customer is an error naming the labels).
    """
    needed = policy.alive is not None and policy.alive.model is None
    if p_alive is None:
        if needed:
            raise ConfigError(
                owner,
                "p_alive",
                expected="P(alive) per customer: the policy's AliveRule has no model",
                found="None",
                hint="Pass p_alive=, or give the AliveRule a fitted model.",
            )
        return None
    if not needed:
        raise ConfigError(
            owner,
            "p_alive",
            expected="None: only a 'p_alive' policy whose AliveRule has no model takes it",
            found=type(p_alive).__name__,
        )
    if not isinstance(p_alive, pd.Series):
        raise ConfigError(
            owner,
            "p_alive",
            expected="a Series indexed by customer id",
            found=type(p_alive).__name__,
        )
    values = pd.to_numeric(p_alive, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise InvalidInputError(
            owner,
            "p_alive",
            expected="probabilities in [0, 1]",
            found=f"{int(bad.sum())} other values",
            rows=list(p_alive.index[bad][:5]),
            total=int(bad.sum()),
        )
    if ids is None:
        return values
    if not p_alive.index.is_unique:
        raise InvalidInputError(
            owner, "p_alive", expected="one value per customer", found="repeated customer ids",
            rows=list(p_alive.index[p_alive.index.duplicated()][:5]), kind="",
        )  # fmt: skip
    position = p_alive.index.get_indexer(ids)
    missing = position < 0
    if missing.any():
        raise InvalidInputError(
            owner,
            "p_alive",
            expected="a value for every customer with a purchase",
            found=f"{int(missing.sum())} customers without one",
            rows=list(ids[missing][:5]),
            total=int(missing.sum()),
        )
    return np.asarray(values[position], dtype=np.float64)


# --------------------------------------------------------------------------- batch: one instant


def classify_lifecycle(
    transactions: Any,
    *,
    as_of: object,
    policy: LifecyclePolicy | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
    p_alive: pd.Series | None = None,
) -> Any:
    """Return each customer's lifecycle stage at ``as_of``, with the figures behind it.

    Args:
        transactions: One row per purchase (any order; duplicate rows and several
            purchases on one day count as one purchase day). Never modified. A Dask
            DataFrame (date column already datetime64) gives a lazy Dask DataFrame
            without ``attrs``.
        as_of: The instant to classify at (``datetime``, ``Timestamp``, ISO string); a
            ``datetime.date`` or ``"YYYY-MM-DD"`` means the end of that day. Rows after it
            are excluded and counted in ``attrs["future_rows"]``.
        policy: The rules; :class:`LifecyclePolicy` defaults when None.
        customer: Customer id column.
        date: Purchase date column (naive or aware; see ``LifecyclePolicy.timezone``).
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
        p_alive: Only for a ``"p_alive"`` policy whose :class:`AliveRule` has no model:
            each customer's P(alive) at ``as_of``, a Series indexed by customer id (e.g.
            a column of ``fit.predict(summary, t=0)``).

    Returns:
        One row per customer with a purchase up to ``as_of``, indexed by customer id:
        ``stage`` (ordered categorical of the policy's ``stage_names``), ``first_purchase``, ``last_purchase``,
        ``purchase_days``, ``recency_days``, ``tenure_days``, ``typical_gap_days`` (NaN
        under the fixed basis), ``gap_source`` (own / population / fixed),
        ``at_risk_after_days``, ``dormant_after_days``, ``churned_after_days`` (the
        thresholds used) and ``last_wake_up`` (NaT if never woken). ``attrs`` holds
        ``as_of`` (a Timestamp), ``future_rows``, ``non_purchase_rows``,
        ``population_gap_days`` (None under the fixed basis or when nobody has a gap) and
        ``policy`` (its dict). Under the ``"p_alive"`` basis a ``p_alive`` column follows
        ``stage``; ``gap_source`` is ``"model"`` and the threshold columns are NaN (the
        thresholds are probabilities, in ``policy.alive``).

    Raises:
        SchemaError: A named column is missing or not dates/numbers.
        InvalidInputError: Empty input, missing ids or dates, mixed naive/aware dates.
        ConfigError: An ``as_of`` that cannot be read, or an aware one for naive data.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import classify_lifecycle
        >>> tx = pd.DataFrame({
        ...     "customer_id": ["ann", "ann", "bob", "cy", "dee", "dee"],
        ...     "date": pd.to_datetime(["2025-01-05", "2025-06-20", "2024-12-01",
        ...                             "2025-06-15", "2024-05-01", "2025-05-20"]),
        ... })
        >>> out = classify_lifecycle(tx, as_of="2025-06-30", amount=None)
        >>> out[["stage", "recency_days", "tenure_days"]]
                      stage  recency_days  tenure_days
        customer_id
        ann          active            10          176
        bob         dormant           211          211
        cy              new            15           15
        dee     reactivated            41          425
    """
    owner = "classify_lifecycle()"
    policy = _policy(policy, owner)
    read = reading(
        policy, owner, timezone=timezone, date_format=date_format, date_unit=date_unit,
        refunds=refunds, zero_amount=zero_amount,
    )  # fmt: skip
    if is_dask(transactions):
        from crmkit.segmentation._lifecycle_dask import classify_dask

        given_alive(policy, owner, p_alive)
        return classify_dask(
            transactions, as_of=as_of, policy=policy, customer=customer, date=date,
            amount=amount, read=read, owner=owner, p_alive=p_alive,
        )  # fmt: skip
    log, excluded = _prepare_log(
        transactions,
        customer=customer,
        date=date,
        amount=amount,
        policy=policy,
        owner=owner,
        as_of=as_of,
        read=read,
    )
    alive = given_alive(policy, owner, p_alive, log.ids)
    return classify_log(log, excluded, policy, alive=alive)


def classify_log(
    log: Log,
    excluded: Excluded,
    policy: LifecyclePolicy,
    pool: tuple[float | None] | None = None,
    alive: F64 | None = None,
) -> pd.DataFrame:
    """The :func:`classify_lifecycle` frame of an occasion log.

    ``pool`` holds the population's typical gap when it was computed elsewhere (over every
    Dask partition); None computes it from ``log``. ``alive``: P(alive) given with the
    call, aligned to ``log.ids``.
    """
    n_inc = log.counts
    gaps = gap_index(log) if policy.uses_gaps else None
    own = _own_typical(log, n_inc, policy, take=None, gaps=gaps)
    if pool is not None:
        population = pool[0]
    else:
        population = None if gaps is None else _population_typical(gaps, policy, None)
    snap = _snapshot(
        log, n_inc, log.cut.day, policy=policy, own=own, population=population, alive=alive,
        last_wake=last_wakes(log, policy),
    )  # fmt: skip
    wake = snap.last_wake
    last_wake_up = _stamps(log.first_of(wake), log.zone).where(wake >= 0)
    result = pd.DataFrame(
        {
            "stage": policy._categorical(snap.codes),
            "first_purchase": _stamps(log.first_purchase_ns(), log.zone),
            "last_purchase": _stamps(log.last_purchase_ns(), log.zone),
            "purchase_days": n_inc,
            "recency_days": snap.recency,
            "tenure_days": snap.tenure,
            "typical_gap_days": snap.typical,
            "gap_source": pd.Categorical.from_codes(snap.source, dtype=GAP_DTYPE),
            "at_risk_after_days": snap.at_risk,
            "dormant_after_days": snap.dormant,
            "churned_after_days": snap.churned,
            "last_wake_up": last_wake_up,
        },
        index=log.ids,
        copy=False,  # fresh arrays, all ours: no copy, no consolidation
    )
    if snap.alive is not None:
        result.insert(1, "p_alive", snap.alive)
    result.attrs.update(
        as_of=log.cut.label,
        future_rows=excluded.future,
        non_purchase_rows=excluded.non_purchase,
        population_gap_days=population,
        policy=policy.to_dict(),
    )
    return result


def reading(
    policy: LifecyclePolicy | None,
    owner: str,
    *,
    timezone: str | None,
    date_format: str | None,
    date_unit: str | None,
    refunds: str,
    zero_amount: str,
) -> dict[str, Any]:
    """The reading keywords of a lifecycle function, with the zone resolved.

    ``timezone`` overrides the policy's zone when the policy has none; two different
    zones are a ConfigError (days would be counted in one and thresholds meant in the other).
    """
    zone = policy.timezone if policy is not None else None
    if timezone is not None:
        if zone is not None and zone != timezone:
            raise ConfigError(
                owner,
                "timezone",
                expected=f"the policy's zone ({zone}) or None",
                found=repr(timezone),
            )
        zone = timezone
    return {
        "timezone": zone,
        "date_format": date_format,
        "date_unit": date_unit,
        "refunds": refunds,
        "zero_amount": zero_amount,
    }


def _policy(policy: object, owner: str) -> LifecyclePolicy:
    if policy is None:
        return LifecyclePolicy()
    if not isinstance(policy, LifecyclePolicy):
        raise ConfigError(
            owner, "policy", expected="a LifecyclePolicy", found=type(policy).__name__
        )
    return policy


# --------------------------------------------------------------------------- batch: many instants


_FREQS: Final[Mapping[str, str]] = {"D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y"}


def _snapshot_cuts(
    rows: TransactionLog,
    *,
    at: object,
    freq: str | None,
    start: object,
    end: object,
    owner: str,
) -> list[Cut]:
    if (at is None) == (freq is None):
        raise ConfigError(
            owner,
            "as_of",
            expected="given, or freq given (exactly one of them)",
            found="both" if at is not None else "neither",
        )
    if at is not None:
        if isinstance(at, (str, dt.date)) or not isinstance(at, Iterable):
            raise ConfigError(
                owner, "as_of", expected="a list of dates or datetimes", found=type(at).__name__
            )
        cuts = [make_cut(value, rows.tzinfo, owner, "as_of") for value in at]
        if not cuts:
            raise ConfigError(
                owner, "as_of", expected="at least one snapshot", found="an empty list"
            )
    else:
        check_choice(freq, _FREQS, owner, "freq")
        row_days = rows.days()
        buying = row_days[rows.purchase] if rows.purchase.any() else row_days
        first_day = _day_of(start, rows, owner, "start") if start is not None else int(buying.min())
        last_day = _day_of(end, rows, owner, "end") if end is not None else int(buying.max())
        periods = pd.period_range(
            pd.Timestamp(first_day, unit="D"),
            pd.Timestamp(last_day, unit="D"),
            freq=_FREQS[str(freq)],
        )
        days = [p.end_time.date() for p in periods]
        days = [d for d in days if (d - dt.date(1970, 1, 1)).days <= last_day]
        if not days:
            raise ConfigError(
                owner,
                "freq",
                expected="a period that ends between start and end",
                found=f"none for {freq!r}",
            )
        cuts = [make_cut(d, rows.tzinfo, owner, "as_of") for d in days]
    _refuse_label_clash(cuts, owner)
    return sorted(cuts, key=lambda c: c.instant)


def _refuse_label_clash(cuts: Sequence[Cut], owner: str) -> None:
    """Refuse two snapshots that would label one column (the history's columns are labels).

    The same snapshot twice is refused as repeated. A date and, in naive data, the instant
    at the midnight that begins it are two snapshots a day apart (a date means the end of
    that day, :func:`make_cut`), but a date is labelled by that same midnight, so their
    columns could not be told apart: refused too, saying how to state each meaning.

    >>> cuts = [make_cut(v, None, "f()", "as_of") for v in ("2025-01-31", "2025-01-31T00:00")]
    >>> _refuse_label_clash(cuts, "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: f(): parameter 'as_of' must be snapshots with distinct labels; found '2025-01-31' (a date: the end of that day) and '2025-01-31 00:00:00' (an instant: the midnight that begins that day), both labelled 2025-01-31 00:00:00. A date snapshot is labelled by the midnight that begins its day, so the two columns could not be told apart. If both mean the end of 2025-01-31, pass the date alone; for the day before as well, pass the date '2025-01-30' (its end, under its own label); for the midnight instant itself, take it in a call of its own.
    """
    first: dict[pd.Timestamp, Cut] = {}
    for cut in cuts:
        other = first.setdefault(cut.label, cut)
        if other is cut:
            continue
        if other.whole_day == cut.whole_day:  # one label, one meaning: the same instant
            raise ConfigError(
                owner,
                "as_of",
                expected="distinct snapshots",
                found=f"{str(cut)!r} twice",
                hint="Drop the repeated snapshot.",
            )
        day, instant = (other, cut) if other.whole_day else (cut, other)
        before = (day.label - pd.Timedelta(days=1)).date().isoformat()
        raise ConfigError(
            owner,
            "as_of",
            expected="snapshots with distinct labels",
            found=f"{str(day)!r} (a date: the end of that day) and {str(instant)!r} (an "
            f"instant: the midnight that begins that day), both labelled {day.label}",
            hint="A date snapshot is labelled by the midnight that begins its day, so the two "
            f"columns could not be told apart. If both mean the end of {day}, pass the date "
            f"alone; for the day before as well, pass the date {before!r} (its end, under its "
            "own label); for the midnight instant itself, take it in a call of its own.",
        )


def _day_of(value: object, rows: TransactionLog, owner: str, field: str) -> int:
    return make_cut(value, rows.tzinfo, owner, field).day


def history_arrays(
    log: Log,
    cuts: Sequence[Cut],
    policy: LifecyclePolicy | None,
    populations: Sequence[float | None] | None = None,
) -> tuple[list[I8], list[I64]]:
    """Stage codes (when ``policy`` is given) and occasion counts per customer per snapshot.

    ``populations`` holds the population's typical gap at each snapshot when it was
    computed elsewhere (over every Dask partition); None computes it from ``log``.

    Occasions are sorted by day within each customer, so the occasions that count at a
    snapshot are a prefix of each customer's list: one pass adds each snapshot's new
    occasions to running counts, and every rule reads the prefix end.
    """
    cutoffs = np.array([c.instant for c in cuts], dtype=np.int64)
    bucket = np.searchsorted(cutoffs, log.first_ns, side="right").astype(np.int64)
    order = argsort_keys(bucket)
    bounds = np.searchsorted(bucket[order], np.arange(len(cuts) + 1), side="left")
    n_inc = np.zeros(len(log.ids), dtype=np.int64)
    gaps = gap_index(log) if policy is not None and policy.uses_gaps else None
    wakes = wake_index(log, policy) if policy is not None else None
    if gaps is not None:
        small: npt.NDArray[np.integer[Any]] = bucket.astype(
            np.int16 if len(cuts) < 2**15 else np.int64
        )
        own_bucket = small[gaps.pos_sorted]
        pool_bucket = small[gaps.pool_pos]
        pooled = gaps.pool_sorted.astype(np.int64)
        per_bucket = np.bincount(pool_bucket, minlength=len(cuts))
        pool_n = np.cumsum(per_bucket)
        pool_s1 = np.cumsum(np.bincount(pool_bucket, weights=pooled, minlength=len(cuts)))
        pool_s2 = np.cumsum(np.bincount(pool_bucket, weights=pooled * pooled, minlength=len(cuts)))
    codes: list[I8] = []
    counts: list[I64] = []
    for j, cut in enumerate(cuts):
        arrived = log.code[order[bounds[j] : bounds[j + 1]]]
        n_inc = n_inc + np.bincount(arrived, minlength=len(log.ids))
        counts.append(n_inc)
        if policy is None:
            continue
        own, population = np.full(len(log.ids), np.nan), None
        if gaps is not None:
            # Gap buckets in each sorted order were read once: a snapshot compares, no gathers.
            last = j == len(cuts) - 1
            quantile = policy.basis == "quantile"
            take = None if last or not quantile else own_bucket <= j
            own = _own_typical(log, n_inc, policy, take=take, gaps=gaps)
            if populations is not None:
                population = populations[j]
            elif quantile:
                population = _population_typical(gaps, policy, None if last else pool_bucket <= j)
            elif pool_n[j] > 0:
                population = _mean_sd(int(pool_n[j]), int(pool_s1[j]), int(pool_s2[j]), policy.k)
        snap = _snapshot(
            log, n_inc, cut.day, policy=policy, own=own, population=population, wakes=wakes
        )
        codes.append(snap.codes)
    return codes, counts


def rate_arrays(
    rows: TransactionLog,
    keep: npt.NDArray[np.bool_],
    cuts: Sequence[Cut],
    policy: LifecyclePolicy | None,
    populations: Sequence[float | None] | None = None,
) -> tuple[pd.Index, list[I8], list[I64]]:
    """For the rates: stage codes at each cut and purchase days in each window, per customer.

    Returns the ids of the customers with a kept row, their stage codes at each cut (with
    a ``policy``; :func:`history_arrays`) and, per window, their purchase days in it.
    Window ``j`` holds the rows in ``(cuts[j - 1], cuts[j]]`` (window 0: every kept row up
    to ``cuts[0]``), and a purchase day is a day with at least one purchase **in the
    window**: the rows themselves decide, not the day's first purchase. A day that an
    instant cut splits (purchases at 09:00 and 18:00, cut at 12:00) is a purchase day on
    both sides of the cut; several purchases on one side still count once.

    The occasion log gives the answer for every day no cut splits (all of its rows lie in
    the window of its first purchase); only the rows of the split days are read again,
    so whole-day cuts (:func:`crmkit.segmentation.rates_by_period`) cost nothing extra.

    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1],
    ...     "date": pd.to_datetime(["2025-06-05 09:00", "2025-06-05 18:00", "2025-06-09 10:00"])})
    >>> rows = as_log(tx, "f()", customer="customer_id", date="date", amount=None)
    >>> cuts = [make_cut(v, None, "f()", "end") for v in ("2025-06-05 12:00", "2025-06-30")]
    >>> _, _, windows = rate_arrays(rows, np.ones(3, dtype=bool), cuts, None)
    >>> [int(w[0]) for w in windows]
    [1, 2]
    """
    log = build_log(rows, keep, cuts[-1])
    codes, counts = history_arrays(log, cuts, policy, populations)
    # history_arrays counts each occasion once, at the cut after its first purchase.
    windows = [counts[0]] + [b - a for a, b in itertools.pairwise(counts)]
    if len(log.day) == 0 or len(cuts) < 2:
        return log.ids, codes, windows
    cutoffs = np.array([c.instant for c in cuts], dtype=np.int64)
    first_window = np.searchsorted(cutoffs, log.first_ns, side="right")
    split = first_window != np.searchsorted(cutoffs, log.last_ns, side="right")
    if not split.any():
        return log.ids, codes, windows
    # A split day also counts in every later window that holds one of its rows: the
    # distinct (customer, day, window) triples of the rows of the split days, less the
    # first triple of each (customer, day), which history_arrays counted already.
    row_day = rows.days()
    on = keep & np.isin(row_day, np.unique(log.day[split]))
    present = np.bincount(rows.codes[keep], minlength=len(rows.ids)) > 0
    relabel = np.cumsum(present) - 1  # build_log's numbering: customers with a kept row
    triples = np.unique(
        np.column_stack(
            [
                relabel[rows.codes[on]],
                row_day[on],
                np.searchsorted(cutoffs, rows.instants_ns()[on], side="right"),
            ]
        ).astype(np.int64),
        axis=0,
    )
    later = np.zeros(len(triples), dtype=bool)
    later[1:] = (triples[1:, 0] == triples[:-1, 0]) & (triples[1:, 1] == triples[:-1, 1])
    owner, window = triples[later, 0], triples[later, 2]
    for j in np.unique(window).tolist():  # one pass per window reached (a few cuts)
        windows[j] = windows[j] + np.bincount(owner[window == j], minlength=len(log.ids))
    return log.ids, codes, windows


def prepare_history(
    transactions: object,
    *,
    at: object,
    freq: str | None,
    start: object,
    end: object,
    customer: str,
    date: str,
    amount: str | None,
    timezone: str | None,
    owner: str,
    read: Mapping[str, Any] | None = None,
) -> tuple[Log, list[Cut], Excluded]:
    """Validate, pick the snapshots, and build the occasion log up to the last one."""
    options: dict[str, Any] = {"timezone": timezone, **dict(read or {})}
    rows = as_log(
        transactions, owner, customer=customer, date=date, amount=amount, defer_refunds=True,
        **options,
    )  # fmt: skip
    cuts = _snapshot_cuts(rows, at=at, freq=freq, start=start, end=end, owner=owner)
    before = rows.instants_ns() < cuts[-1].instant
    rows.refuse_refunds(owner, before)  # a refund after the last snapshot is in no column
    keep = before & rows.purchase
    excluded = Excluded(
        future=int((~before).sum()), non_purchase=int((before & ~rows.purchase).sum())
    )
    return build_log(rows, keep, cuts[-1]), cuts, excluded


def lifecycle_history(
    transactions: Any,
    *,
    as_of: Iterable[object] | None = None,
    freq: str | None = None,
    start: object = None,
    end: object = None,
    policy: LifecyclePolicy | None = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    refunds: RefundRule = "net",
    zero_amount: ZeroRule = "ignore",
) -> Any:
    """Return each customer's stage at each of several snapshots (sorted once, vectorised).

    The stage at a snapshot is exactly the stage ``classify_lifecycle(transactions,
    as_of=snapshot)`` gives that customer with the same policy and reading arguments
    (``amount`` included: with the default ``amount="amount"`` only positive amounts are
    purchases, so customers with none, such as CDNOW's 68 customers with only $0 rows,
    are in neither); it depends only on the purchases up to the snapshot.

    Args:
        transactions: One row per purchase; never modified. A Dask DataFrame (its date
            column already datetime64) is worked on the cluster, partitioned by customer.
        as_of: The snapshots (dates mean the end of the day, datetimes are instants).
        freq: Instead of ``as_of``: one snapshot at the last day of every complete period,
            ``"D"``, ``"W"`` (weeks ending Sunday), ``"M"``, ``"Q"`` or ``"Y"``, from the
            period of ``start`` (default: the first purchase) to the last period that ends
            by ``end`` (default: the last purchase day).
        start: First day for ``freq``.
        end: Last day for ``freq``.
        policy: The rules; :class:`LifecyclePolicy` defaults when None.
        customer: Customer id column.
        date: Purchase date column.
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
        Indexed by customer id, one column per snapshot in time order (labelled with the
        snapshot as a Timestamp; a date becomes midnight of that day), each an ordered
        categorical of the policy's ``stage_names``; NaN where the customer had not
        bought yet. ``attrs`` holds
        ``future_rows`` (rows after the last snapshot), ``non_purchase_rows``,
        ``policy`` and ``date_snapshots`` (the snapshots given as dates, as ISO dates:
        their midnight labels mean the end of those days; a Dask history's metadata
        holds this one too), which :func:`transition_matrix` reads to write those
        snapshots as dates.

    Raises:
        ConfigError: Neither or both of ``as_of`` and ``freq``, an unknown ``freq``, repeated
            snapshots, a date beside the instant at the midnight that begins it (two
            snapshots a day apart, but one column label), or no complete period.
        InvalidInputError: As :func:`classify_lifecycle`.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
        ...                    "date": pd.to_datetime(["2025-01-10", "2025-08-01", "2025-03-01"])})
        >>> h = lifecycle_history(tx, amount=None, as_of=["2025-01-31", "2025-06-30", "2025-09-30"])
        >>> print(h.to_string())
        snapshot    2025-01-31 2025-06-30   2025-09-30
        customer_id
        1                  new    at_risk  reactivated
        2                  NaN    at_risk      dormant
    """
    owner = "lifecycle_history()"
    policy = _policy(policy, owner)
    if policy.alive is not None and policy.alive.model is None:
        raise ConfigError(
            owner,
            "policy",
            expected="an AliveRule with a fitted model (P(alive) changes at every snapshot)",
            found="an AliveRule without one",
        )
    read = reading(
        policy, owner, timezone=timezone, date_format=date_format, date_unit=date_unit,
        refunds=refunds, zero_amount=zero_amount,
    )  # fmt: skip
    if is_dask(transactions):
        from crmkit.segmentation._lifecycle_dask import history_dask

        return history_dask(
            transactions, at=as_of, freq=freq, start=start, end=end, policy=policy,
            customer=customer, date=date, amount=amount, read=read, owner=owner,
        )  # fmt: skip
    log, cuts, excluded = prepare_history(
        transactions, at=as_of, freq=freq, start=start, end=end, customer=customer, date=date,
        amount=amount, timezone=read.pop("timezone"), owner=owner, read=read,
    )  # fmt: skip
    result = history_frame(log, cuts, policy)
    result.attrs.update(
        future_rows=excluded.future,
        non_purchase_rows=excluded.non_purchase,
        policy=policy.to_dict(),
    )
    return result


def history_frame(
    log: Log,
    cuts: Sequence[Cut],
    policy: LifecyclePolicy,
    populations: Sequence[float | None] | None = None,
) -> pd.DataFrame:
    """The :func:`lifecycle_history` frame of an occasion log (``attrs``: date snapshots).

    ``attrs`` holds only ``date_snapshots`` (:func:`date_snapshots`), set here so that a
    Dask history's metadata (built by this function too) carries them.
    """
    codes, _ = history_arrays(log, cuts, policy, populations)
    data = {i: policy._categorical(code) for i, code in enumerate(codes)}
    result = pd.DataFrame(data, index=log.ids)
    result.columns = pd.Index([c.label for c in cuts], name="snapshot")
    result.attrs["date_snapshots"] = [str(c) for c in cuts if c.whole_day]
    return result


def date_snapshots(history: pd.DataFrame) -> frozenset[pd.Timestamp] | None:
    """The column labels of ``history`` that are snapshots given as dates (None: unknown).

    :func:`lifecycle_history` labels a snapshot given as a date (the end of that day) by
    the naive midnight that begins it, which a label alone cannot tell from an instant
    snapshot at that midnight; ``attrs["date_snapshots"]`` lists those days (ISO dates).
    A frame without that entry (not a history, or its ``attrs`` dropped) gives None.

    >>> tx = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2025-01-02"])})
    >>> h = lifecycle_history(tx, as_of=["2025-01-31", "2025-02-28 00:00"], amount=None)
    >>> sorted(str(c) for c in date_snapshots(h)), h.attrs["date_snapshots"]
    (['2025-01-31 00:00:00'], ['2025-01-31'])
    """
    days = history.attrs.get("date_snapshots")
    if not isinstance(days, (list, tuple)):
        return None
    return frozenset(pd.Timestamp(day) for day in days)
