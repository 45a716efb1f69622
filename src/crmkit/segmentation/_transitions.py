"""Lifecycle transitions: stage-to-stage moves between snapshots of a lifecycle history."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit._validate import is_whole_day, require_frame
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._dask import computed, is_dask
from crmkit.segmentation._lifecycle_engine import CutoffResult, date_snapshots, make_cut
from crmkit.segmentation._lifecycle_policy import STAGE_DTYPE

__all__ = ["TransitionMatrix", "stage_flows", "transition_matrix"]


def _history_codes(history: object, owner: str) -> tuple[pd.DataFrame, pd.CategoricalDtype]:
    """The history frame and its stage dtype (every column the same ordered categorical).

    For a Dask history the frame is its metadata (no rows): only labels and dtypes.
    """
    frame = require_frame(history._meta if is_dask(history) else history, owner, "history")  # type: ignore[attr-defined]
    dtype: pd.CategoricalDtype | None = None
    for column in frame.columns:
        this = frame[column].dtype
        if (
            not isinstance(this, pd.CategoricalDtype)
            or not this.ordered
            or (dtype is not None and this != dtype)
        ):
            raise InvalidInputError(
                owner,
                str(column),
                expected="a lifecycle stage categorical (lifecycle_history output), the same "
                "in every column",
                found=f"dtype {this}",
            )
        dtype = this
    return frame, dtype if dtype is not None else STAGE_DTYPE


def _column(frame: pd.DataFrame, value: object, owner: str, field: str) -> Any:
    """The column of the snapshot ``value`` names, first as :func:`lifecycle_history` labels it.

    A naive instant names a snapshot of a history in a zone as ``as_of=`` read it: in that
    zone (the zone of its instant labels; its date labels are naive midnights).
    """
    columns: list[Any] = list(frame.columns)
    zones = [c.tzinfo for c in columns if isinstance(c, pd.Timestamp) and c.tzinfo is not None]
    candidates: list[Any] = [value]
    with contextlib.suppress(TypeError, ValueError):
        candidates.insert(0, pd.Timestamp(value))  # type: ignore[arg-type]
    with contextlib.suppress(ConfigError):
        candidates.insert(0, make_cut(value, zones[0] if zones else None, owner, field).label)
    for candidate in candidates:
        if candidate in columns:
            return candidate
    shown = [str(c.date()) if isinstance(c, pd.Timestamp) else str(c) for c in columns[:6]]
    raise ConfigError(
        owner, field, expected=f"a snapshot of the history, e.g. {shown}", found=repr(value)
    )


def _flow_grids(part: pd.DataFrame, *, k: int) -> pd.DataFrame:
    """Customers by (stage before, stage after) for each pair of consecutive columns.

    Row ``j`` is the flattened ``(k + 1) x k`` grid of columns ``j`` and ``j + 1``: rows
    are the stage codes before, plus ``k`` for customers who had not bought yet, columns
    the stage codes after; customers not yet buyers after are left out. Module-level and
    additive over rows, so it runs on each Dask partition and the grids add up.
    """
    out = np.zeros((max(part.shape[1] - 1, 0), (k + 1) * k), dtype=np.int64)
    for j in range(part.shape[1] - 1):
        s = part.iloc[:, j].cat.codes.to_numpy(dtype=np.int64)
        e = part.iloc[:, j + 1].cat.codes.to_numpy(dtype=np.int64)
        ok = e >= 0
        origin = np.where(s < 0, k, s)  # arrivals after every stage
        out[j] = np.bincount(origin[ok] * k + e[ok], minlength=(k + 1) * k)
    return pd.DataFrame(out)


def _grids(history: Any, columns: list[Any], k: int) -> npt.NDArray[np.int64]:
    """:func:`_flow_grids` of ``columns`` over the whole history, pandas or Dask (one pass)."""
    selected = history[columns]
    if not is_dask(history):
        return _flow_grids(selected, k=k).to_numpy(dtype=np.int64)
    func = functools.partial(_flow_grids, k=k)
    (parts,) = computed(selected.map_partitions(func, meta=func(selected._meta)))
    total = np.zeros((len(columns) - 1, (k + 1) * k), dtype=np.int64)
    flat = parts.to_numpy(dtype=np.int64)
    np.add.at(total, parts.index.to_numpy(), flat)
    return total


@attrs.frozen(eq=False, repr=False)
class TransitionMatrix(CutoffResult):
    """Stage-to-stage flows between two snapshots of a :func:`lifecycle_history`.

    Attributes:
        start: The first snapshot, as the history labels it (a date snapshot: the
            midnight that begins the day whose end it is).
        end: The second snapshot.
        counts: Customers by stage at ``start`` (rows) and at ``end`` (columns); every row
            sums to that stage's count at ``start``.
        shares: ``counts`` divided by the row totals (NaN for a stage nobody was in).
        entered: Stage at ``end`` of the customers who first bought after ``start``.
        start_whole_day: ``start`` is a snapshot given to :func:`lifecycle_history` as a
            date (``"2025-01-31"``, a ``datetime.date``), which means the end of that day.
        end_whole_day: ``end`` is a snapshot given as a date.

    :meth:`to_dict` and the ``repr`` write a date snapshot as that date alone
    (``"2025-01-31"``, the end of that day, as :func:`lifecycle_history` reads it) and an
    instant snapshot as its exact ISO 8601 text, as :class:`Rate` writes its window; the
    flags are not written. Which a snapshot is comes from the history (its
    ``attrs["date_snapshots"]``), however it is named: by its date, its instant or its
    column label (``history.columns[0]``, the midnight that begins a date snapshot's
    day). For a frame without that record (its ``attrs`` dropped), the name decides: a
    date names a date snapshot, anything else an instant.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history, transition_matrix
        >>> tx = pd.DataFrame({"customer_id": [1, 2, 2],
        ...                    "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-04-20"])})
        >>> h = lifecycle_history(tx, as_of=["2025-01-31", "2025-05-31"], amount=None)
        >>> tm = transition_matrix(h, "2025-01-31", "2025-05-31")
        >>> int(tm.counts.loc["new", "at_risk"]), int(tm.counts.loc["new", "active"])
        (1, 1)
        >>> {k: tm.to_dict()[k] for k in ("start", "end")}
        {'start': '2025-01-31', 'end': '2025-05-31'}
        >>> transition_matrix(h, h.columns[0], h.columns[1]).to_dict()["start"]
        '2025-01-31'
    """

    start: pd.Timestamp
    end: pd.Timestamp
    counts: pd.DataFrame
    shares: pd.DataFrame
    entered: pd.Series
    start_whole_day: bool = False
    end_whole_day: bool = False

    _CUTOFFS = ("start", "end")


def transition_matrix(history: Any, start: object, end: object) -> TransitionMatrix:
    """Count stage-to-stage moves between two snapshots of a :func:`lifecycle_history`.

    Args:
        history: The output of :func:`lifecycle_history` (its stage categories, the
            policy's, are the rows and columns).
        start: The earlier snapshot (a column label, or a date/string naming it). A date
            (``"2025-01-31"``, a ``datetime.date``) names the snapshot at the end of that
            day. The result writes a snapshot given to :func:`lifecycle_history` as a date
            as that date, however it is named here.
        end: The later snapshot.

    Returns:
        A :class:`TransitionMatrix`: counts, row shares, and the stages of new arrivals.

    Raises:
        ConfigError: A snapshot that is not in the history, or ``end`` not after ``start``.
        InvalidInputError: ``history`` is not a lifecycle history.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history, transition_matrix
        >>> tx = pd.DataFrame({"customer_id": [1, 2, 3],
        ...                    "date": pd.to_datetime(["2024-01-02", "2024-09-20", "2025-04-20"])})
        >>> h = lifecycle_history(tx, as_of=["2024-12-31", "2025-06-30"], amount=None)
        >>> tm = transition_matrix(h, "2024-12-31", "2025-06-30")
        >>> int(tm.counts.loc["dormant", "churned"]), int(tm.counts.loc["at_risk", "dormant"])
        (1, 1)
        >>> int(tm.entered["active"])  # customer 3 first bought in April
        1
    """
    owner = "transition_matrix()"
    frame, dtype = _history_codes(history, owner)
    a = _column(frame, start, owner, "start")
    b = _column(frame, end, owner, "end")
    columns: list[Any] = list(frame.columns)
    if columns.index(b) <= columns.index(a):
        raise ConfigError(owner, "end", expected=f"a snapshot after start ({a})", found=repr(end))
    k = len(dtype.categories)
    flows = _grids(history, [a, b], k)[0].reshape(k + 1, k)
    grid = flows[:k]
    names = pd.CategoricalIndex(list(dtype.categories), dtype=dtype)
    counts = pd.DataFrame(
        grid,
        index=names.rename("stage at start"),
        columns=names.rename("stage at end"),
    )
    totals = grid.sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals > 0, grid / totals, np.nan)
    shares = pd.DataFrame(share, index=counts.index, columns=counts.columns)
    entered = pd.Series(flows[k], index=names.rename("stage at end"), name="customers")
    dates = date_snapshots(frame)

    def whole_day(column: Any, value: object) -> bool:
        if dates is None:  # not recorded: the name decides
            return is_whole_day(value)
        return isinstance(column, pd.Timestamp) and column.tzinfo is None and column in dates

    return TransitionMatrix(
        start=pd.Timestamp(a),
        end=pd.Timestamp(b),
        counts=counts,
        shares=shares,
        entered=entered,
        start_whole_day=whole_day(a, start),
        end_whole_day=whole_day(b, end),
    )


def stage_flows(history: Any) -> pd.DataFrame:
    """Return every stage-to-stage flow between consecutive snapshots, for plotting.

    Args:
        history: The output of :func:`lifecycle_history` (two or more snapshots).

    Returns:
        Columns ``from_snapshot``, ``to_snapshot``, ``from_stage``, ``to_stage`` (ordered
        stage categoricals; ``from_stage`` is missing for customers who first bought
        between the two snapshots) and ``customers``; only flows with customers, ordered
        by snapshot then stages (a Sankey or alluvial plot reads it directly).

    Raises:
        InvalidInputError: ``history`` is not a lifecycle history.
        ConfigError: Fewer than two snapshots.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.segmentation import lifecycle_history, stage_flows
        >>> tx = pd.DataFrame({"customer_id": [1, 2],
        ...                    "date": pd.to_datetime(["2025-01-02", "2025-02-10"])})
        >>> flows = stage_flows(lifecycle_history(tx, as_of=["2025-01-31", "2025-02-28"], amount=None))
        >>> print(flows[["from_stage", "to_stage", "customers"]].to_string(index=False))
        from_stage to_stage  customers
               new   active          1
               NaN      new          1
    """
    owner = "stage_flows()"
    frame, dtype = _history_codes(history, owner)
    if frame.shape[1] < 2:
        raise ConfigError(
            owner, "history", expected="at least two snapshots", found=f"{frame.shape[1]}"
        )
    k = len(dtype.categories)
    grids = _grids(history, list(frame.columns), k)
    parts = []
    for j, (a, b) in enumerate(zip(frame.columns[:-1], frame.columns[1:], strict=True)):
        grid = grids[j]
        nz = np.flatnonzero(grid)
        from_code = np.where(nz // k == k, -1, nz // k)
        parts.append(
            pd.DataFrame(
                {
                    "from_snapshot": a,
                    "to_snapshot": b,
                    "from_stage": pd.Categorical.from_codes(from_code, dtype=dtype),
                    "to_stage": pd.Categorical.from_codes(nz % k, dtype=dtype),
                    "customers": grid[nz].astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
