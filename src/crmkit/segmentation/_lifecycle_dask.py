"""Lifecycle stages and history on Dask DataFrames, partitioned by customer.

A customer's stage depends on the customer's own purchase days, except for two global
figures, computed once over the whole frame and broadcast to every partition:

- the snapshots of ``lifecycle_history(freq=...)``, which run from the first to the last
  purchase day of the whole log (one pass: each partition's day range);
- the population's typical gap (relative bases ``"quantile"`` and ``"mean_sd"``), which
  stands in for customers with too few gaps of their own (one pass over the frame
  shuffled by customer: each partition counts its gaps by value and by the first snapshot
  that sees them, and the counts are pooled exactly).

Then rows are shuffled by customer and each partition runs the pandas engine with those
figures (:func:`crmkit.segmentation._dask.map_by_key`). Everything sent to the workers is
a module-level function and frozen settings, so it pickles.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit.segmentation._dask import computed, map_by_key, require_dask_columns
from crmkit.segmentation._lifecycle_engine import (
    Cut,
    Excluded,
    Log,
    _mean_sd,
    _prepare_log,
    build_log,
    classify_log,
    gap_index,
    given_alive,
    history_frame,
    prepare_history,
    rate_arrays,
)
from crmkit.segmentation._lifecycle_policy import LifecyclePolicy
from crmkit.segmentation._log import TransactionLog

__all__ = ["classify_dask", "history_counts_dask", "history_dask"]

_EPOCH = dt.date(1970, 1, 1)


@attrs.frozen
class _Job:
    """One lifecycle call's settings, sent to the workers (picklable)."""

    owner: str
    customer: str
    date: str
    amount: str | None
    read: dict[str, Any]  # timezone, date_format, date_unit, refunds, zero_amount
    policy: LifecyclePolicy
    as_of: object = None  # classify_lifecycle
    at: object = None  # lifecycle_history: snapshots, or freq with start and end
    freq: str | None = None
    start: object = None
    end: object = None
    history: bool = False
    cuts: tuple[Cut, ...] | None = None  # the rates: cuts read on the driver

    @property
    def columns(self) -> list[str]:
        return [self.customer, self.date] + ([self.amount] if self.amount else [])

    def rows(self, part: pd.DataFrame) -> TransactionLog:
        """One partition's rows.

        Under ``refunds="error"`` a job refuses only the refunds on or before its ``as_of``
        (its last cut or snapshot), as the pandas engine does: a rates job (``cuts`` given)
        here, a stage or history job in :meth:`prepare` once its cut is known (a pass that
        reads no stage, such as the day range, refuses none).
        """
        rows = TransactionLog.from_partition(
            part, customer=self.customer, date=self.date, amount=self.amount,
            owner=self.owner, defer_refunds=True, **self.read,
        )  # fmt: skip
        if self.cuts is not None:
            rows.refuse_refunds(self.owner, rows.instants_ns() < self.cuts[-1].instant, until="end")
        return rows

    def prepare(self, part: pd.DataFrame) -> tuple[Log, list[Cut]]:
        """The occasion log of one partition and the snapshots (one for classify)."""
        rows = self.rows(part)
        if self.cuts is not None:
            before = rows.instants_ns() < self.cuts[-1].instant
            return build_log(rows, before & rows.purchase, self.cuts[-1]), list(self.cuts)
        if self.history:
            log, cuts, _ = prepare_history(
                rows, at=self.at, freq=self.freq, start=self.start, end=self.end,
                customer=self.customer, date=self.date, amount=self.amount,
                timezone=self.read["timezone"], owner=self.owner,
            )  # fmt: skip
            return log, cuts
        log, _ = _prepare_log(
            rows, customer=self.customer, date=self.date, amount=self.amount,
            policy=self.policy, owner=self.owner, as_of=self.as_of,
            read={"timezone": self.read["timezone"]},
        )  # fmt: skip
        return log, [log.cut]


# --------------------------------------------------------------------------- global passes

_RANGE_META = pd.DataFrame(
    {name: pd.Series([], dtype="int64") for name in ("buy_lo", "buy_hi", "all_lo", "all_hi", "n")}
)


def _day_range(part: pd.DataFrame, *, job: _Job) -> pd.DataFrame:
    """One partition's purchase-day and row-day range (picklable; zero rows allowed)."""
    rows = job.rows(part)
    if rows.n_rows == 0:
        return _RANGE_META.copy()
    days = rows.days()
    buying = days[rows.purchase]
    big, small = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    return pd.DataFrame(
        {
            "buy_lo": [int(buying.min()) if len(buying) else big],
            "buy_hi": [int(buying.max()) if len(buying) else small],
            "all_lo": [int(days.min())],
            "all_hi": [int(days.max())],
            "n": [len(buying)],
        }
    )


def _range_of(ddf: Any, job: _Job) -> tuple[int, int]:
    """The first and last purchase day of the whole frame (of any row if none is a purchase)."""
    parts = ddf[job.columns].map_partitions(
        functools.partial(_day_range, job=job), meta=_RANGE_META
    )
    (ranges,) = computed(parts)
    if len(ranges) == 0:  # an empty frame: the pandas reader says what is wrong
        TransactionLog.from_frame(
            ddf[job.columns]._meta, customer=job.customer, date=job.date, amount=job.amount,
            owner=job.owner, **job.read,
        )  # fmt: skip
    buying = int(ranges["n"].sum()) > 0
    lo = int(ranges["buy_lo" if buying else "all_lo"].min())
    hi = int(ranges["buy_hi" if buying else "all_hi"].max())
    return lo, hi


def day_range_dask(
    ddf: Any, *, customer: str, date: str, amount: str | None, read: dict[str, Any], owner: str
) -> tuple[int, int]:
    """:func:`_range_of` for :func:`crmkit.segmentation.rates_by_period` (one pass)."""
    job = _Job(owner, customer, date, amount, dict(read), LifecyclePolicy())
    return _range_of(ddf, job)


def _resolve_range(ddf: Any, job: _Job) -> _Job:
    """Fix ``start`` and ``end`` of a ``freq`` history to the whole log's days (one pass)."""
    if job.freq is None or (job.start is not None and job.end is not None):
        return job
    lo, hi = _range_of(ddf, job)
    return attrs.evolve(
        job,
        start=job.start if job.start is not None else _EPOCH + dt.timedelta(days=lo),
        end=job.end if job.end is not None else _EPOCH + dt.timedelta(days=hi),
    )


_GAP_META = pd.DataFrame({name: pd.Series([], dtype="int64") for name in ("bucket", "gap", "n")})


def _gap_counts(part: pd.DataFrame, *, job: _Job) -> pd.DataFrame:
    """How many gaps of each length each snapshot first sees, in one partition (picklable)."""
    log, cuts = job.prepare(part)
    gaps = gap_index(log)
    if len(gaps.pool_pos) == 0:
        return _GAP_META.copy()
    if len(cuts) == 1:  # every occasion counts at the one snapshot: no instants needed
        bucket = np.zeros(len(gaps.pool_pos), dtype=np.int64)
    else:
        cutoffs = np.array([c.instant for c in cuts], dtype=np.int64)
        bucket = np.searchsorted(cutoffs, log.first_ns[gaps.pool_pos], side="right")
    frame = pd.DataFrame(
        {"bucket": bucket.astype(np.int64), "gap": gaps.pool_sorted.astype(np.int64)}
    )
    counted = frame.groupby(["bucket", "gap"], sort=False).size().rename("n").reset_index()
    return counted.astype("int64")


def pooled_typical(values: Any, counts: Any, policy: LifecyclePolicy) -> float | None:
    """The population's typical gap from distinct gap lengths and their counts.

    The same figure as the engine's pooled computation on the gaps themselves: the
    linear-interpolation quantile reads the two order statistics from the cumulative
    counts, and mean + k·SD uses exact integer sums.

    >>> from crmkit.segmentation import LifecyclePolicy
    >>> pooled_typical(np.array([10, 20]), np.array([3, 1]), LifecyclePolicy(basis="quantile", quantile=0.5))
    10.0
    """
    values = np.asarray(values, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    if n == 0:
        return None
    if policy.basis == "quantile":
        h = np.float64(n - 1) * policy.quantile
        lo = int(np.floor(h))
        frac = h - np.float64(lo)
        hi = min(lo + 1, n - 1)
        cum = np.cumsum(counts)
        a = np.float64(values[int(np.searchsorted(cum, lo, side="right"))])
        b = np.float64(values[int(np.searchsorted(cum, hi, side="right"))])
        return float(a + frac * (b - a))
    s1 = int((values * counts).sum())
    s2 = int((values * values * counts).sum())
    return _mean_sd(n, s1, s2, policy.k)


def _populations(ddf: Any, job: _Job, n_cuts: int) -> tuple[float | None, ...] | None:
    """The population's typical gap at each snapshot, over the whole frame (one pass)."""
    if not job.policy.uses_gaps:
        return None
    (counts,) = computed(
        map_by_key(
            ddf, job.customer, job.columns, functools.partial(_gap_counts, job=job), owner=job.owner
        )
    )
    totals = counts.groupby(["bucket", "gap"]).sum()["n"]
    out: list[float | None] = []
    for j in range(n_cuts):
        upto = totals[totals.index.get_level_values("bucket") <= j]
        by_gap = upto.groupby(level="gap").sum().sort_index()
        out.append(pooled_typical(by_gap.index.to_numpy(), by_gap.to_numpy(), job.policy))
    return tuple(out)


# --------------------------------------------------------------------------- the two calls


def _classify_part(
    part: pd.DataFrame,
    *,
    job: _Job,
    populations: tuple[float | None, ...] | None,
    p_alive: pd.Series | None = None,
) -> pd.DataFrame:
    """:func:`classify_lifecycle` on one partition with the global figures (picklable).

    ``p_alive`` (P(alive) given with the call) travels whole and is aligned per partition.
    """
    log, _ = job.prepare(part)
    pool = None if populations is None else (populations[0],)
    alive = None if p_alive is None else given_alive(job.policy, job.owner, p_alive, log.ids)
    result = classify_log(log, Excluded(), job.policy, pool=pool, alive=alive)
    result.attrs = {}
    return result


def _history_part(
    part: pd.DataFrame, *, job: _Job, populations: tuple[float | None, ...] | None
) -> pd.DataFrame:
    """:func:`lifecycle_history` on one partition with the global figures (picklable)."""
    log, cuts = job.prepare(part)
    return history_frame(log, cuts, job.policy, populations)


def classify_dask(
    ddf: Any,
    *,
    as_of: object,
    policy: LifecyclePolicy,
    customer: str,
    date: str,
    amount: str | None,
    read: dict[str, Any],
    owner: str,
    p_alive: pd.Series | None = None,
) -> Any:
    """:func:`classify_lifecycle` on a Dask DataFrame (a lazy Dask DataFrame, no attrs)."""
    job = _Job(owner, customer, date, amount, dict(read), policy, as_of=as_of)
    require_dask_columns(ddf, owner, job.columns, datetime=date)
    populations = _populations(ddf, job, 1)
    func = functools.partial(_classify_part, job=job, populations=populations, p_alive=p_alive)
    return map_by_key(ddf, customer, job.columns, func, owner=job.owner)


def history_dask(
    ddf: Any,
    *,
    at: object,
    freq: str | None,
    start: object,
    end: object,
    policy: LifecyclePolicy,
    customer: str,
    date: str,
    amount: str | None,
    read: dict[str, Any],
    owner: str,
) -> Any:
    """:func:`lifecycle_history` on a Dask DataFrame (a lazy Dask DataFrame, no attrs)."""
    job = _Job(
        owner, customer, date, amount, dict(read), policy,
        at=at, freq=freq, start=start, end=end, history=True,
    )  # fmt: skip
    require_dask_columns(ddf, owner, job.columns, datetime=date)
    job = _resolve_range(ddf, job)
    # The snapshots need no data once start and end are fixed: read them on the metadata.
    _, cuts = job.prepare(ddf[job.columns]._meta)
    populations = _populations(ddf, job, len(cuts))
    func = functools.partial(_history_part, job=job, populations=populations)
    return map_by_key(ddf, customer, job.columns, func, owner=job.owner)


def _excluded_part(part: pd.DataFrame, *, job: _Job) -> pd.DataFrame:
    """Rows after the last cut and non-purchase rows before it, in one partition (picklable)."""
    assert job.cuts is not None
    rows = job.rows(part)
    before = rows.instants_ns() < job.cuts[-1].instant
    return pd.DataFrame(
        {
            "future": [int((~before).sum())],
            "non_purchase": [int((before & ~rows.purchase).sum())],
        }
    )


def _arrays_part(
    part: pd.DataFrame, *, job: _Job, populations: tuple[float | None, ...] | None, stages: bool
) -> pd.DataFrame:
    """Each customer's stage code at every cut and purchase days in every window (picklable).

    The pandas path's :func:`rate_arrays` on this partition's rows: a partition holds every
    row of its customers, so the days split by an instant cut are read here alike.
    """
    assert job.cuts is not None
    rows = job.rows(part)
    keep = (rows.instants_ns() < job.cuts[-1].instant) & rows.purchase
    policy = job.policy if stages else None
    ids, codes, windows = rate_arrays(rows, keep, job.cuts, policy, populations)
    data: dict[str, Any] = {f"n{j}": days for j, days in enumerate(windows)}
    data.update({f"s{j}": code for j, code in enumerate(codes)})
    return pd.DataFrame(data, index=ids)


def history_counts_dask(
    ddf: Any,
    *,
    cuts: Sequence[Cut],
    policy: LifecyclePolicy | None,
    customer: str,
    date: str,
    amount: str | None,
    read: dict[str, Any],
    owner: str,
) -> tuple[pd.Index, list[Cut], int, int, list[npt.NDArray[np.int8]], list[npt.NDArray[np.int64]]]:
    """Per customer, stage codes at ``cuts`` (with a ``policy``) and purchase days per window.

    For the rates: the cuts are read on the driver; the population's typical gap (relative
    bases) is pooled over the whole frame first; each partition then returns its
    customers' small integer columns, and the excluded rows are counted in the same pass.
    Returns ``ids, cuts, future_rows, non_purchase_rows, codes, windows`` like the pandas
    path of the rates (:func:`rate_arrays`).
    """
    job = _Job(
        owner, customer, date, amount, dict(read), policy or LifecyclePolicy(),
        cuts=tuple(cuts), history=True,
    )  # fmt: skip
    populations = _populations(ddf, job, len(cuts)) if policy is not None else None
    func = functools.partial(
        _arrays_part, job=job, populations=populations, stages=policy is not None
    )
    per_customer = map_by_key(ddf, customer, job.columns, func, owner=job.owner)
    excluded = ddf[job.columns].map_partitions(
        functools.partial(_excluded_part, job=job),
        meta=pd.DataFrame(
            {"future": pd.Series([], dtype="int64"), "non_purchase": pd.Series([], dtype="int64")}
        ),
    )
    frame, dropped = computed(per_customer, excluded)
    frame = frame.sort_index()
    windows = [frame[f"n{j}"].to_numpy(np.int64) for j in range(len(cuts))]
    codes = [frame[f"s{j}"].to_numpy(np.int8) for j in range(len(cuts))] if policy else []
    return (
        frame.index, list(cuts), int(dropped["future"].sum()),
        int(dropped["non_purchase"].sum()), codes, windows,
    )  # fmt: skip
