"""Tie-safe RFM scoring: fit cut points once, score batches, Dask partitions or one customer.

How a score is computed (the same for every dimension, in the column's own units):

- A fitted dimension holds ``bins - 1`` sorted cut points ``c_1 <= ... <= c_{k-1}``. A value
  ``x`` gets the raw score ``1 + #{j : c_j < x}`` (bins are closed on the right, like
  ``pd.cut``). Recency is reversed: ``r_score = bins + 1 - raw``, so the most recent
  customers score highest.
- ``method="quantile"``: ``c_j`` is the linear (Hyndman-Fan type 7, numpy and pandas
  default) quantile of level ``j / bins``: the very cut points ``pd.qcut(x, bins)`` uses,
  bit for bit. So on data without ties (indeed whenever ``qcut`` does not raise) the
  scores equal the usual recipe
  ``pd.qcut(x, 5, labels=[1, 2, 3, 4, 5])`` (``labels=[5, 4, 3, 2, 1]`` for recency) and
  PyMC-Marketing's ``rfm_segments`` quartiles, column for column (its recency is the
  span from first to last purchase and its monetary value the mean spend per period, not
  ``summarize()``'s ``recency_days`` and ``monetary``). With ties, where ``qcut``
  raises "Bin edges must be unique" (or silently returns fewer bins with ``duplicates="drop"``), the score
  stays a function of the value: equal values share one score, the smallest value always
  gets raw score 1 (one-time buyers are F = 1, the most recent customers R = ``bins``),
  coinciding cut points just leave some scores unused, and nothing raises on skewed or
  constant data.
- ``method="fixed"``: the cut points are the ``edges`` you give (upper bounds, inclusive).

When ties make cut points coincide, some scores cannot occur; the model says which scores
its training data used (:attr:`ScoreScale.scores_used`, :attr:`RFMModel.incomplete`) and
keeps the scale ``1..bins``, so segment maps written for that scale keep their meaning.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple, cast

import attrs
import numpy as np
import pandas as pd

from crmkit import _spec
from crmkit._jsonable import json_ready
from crmkit._validate import (
    check_keys,
    check_not_empty,
    check_unique_labels,
    first_labels,
    numeric_column,
    require_columns,
    require_frame,
)
from crmkit.errors import ConfigError, InvalidInputError, NotFittedError, SchemaError
from crmkit.segmentation._dask import computed, is_dask
from crmkit.segmentation._pareto import pow2_scaled
from crmkit.segmentation._segment_maps import SegmentMap

__all__ = ["RFMModel", "RFMScore", "RFMScorer", "ScoreScale", "rfm", "segment_summary"]

_DIMENSIONS = ("recency", "frequency", "monetary")
_METHODS = ("quantile", "fixed")
_MAX_BINS = 9


def _check_bins(owner: str, bins: object) -> int:
    if (
        not isinstance(bins, (int, np.integer))
        or isinstance(bins, bool)
        or not 2 <= bins <= _MAX_BINS
    ):
        raise ConfigError(
            owner,
            "bins",
            expected="an int in [2, 9]",
            found=repr(bins),
            hint="Scores are single digits so that codes such as '545' stay readable.",
        )
    return int(bins)


def _quantile_levels(bins: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The inner quantile levels ``1/bins .. (bins-1)/bins``, exactly as ``pd.qcut`` makes them.

    ``np.linspace`` levels, each rounded up to the next float when ``bins * level`` is not
    the whole number ``j`` (pandas >= 2.3 does this so that, e.g., the 3/7 level cannot fall
    an ulp short and move a tie-free value into the next bin).
    """
    levels = np.linspace(0, 1, bins + 1)
    inexact = bins * levels != np.arange(bins + 1)
    levels = np.where(inexact, np.nextafter(levels, 1.0), levels)
    inner: np.ndarray[Any, np.dtype[np.float64]] = levels[1:-1]
    return inner


def _cuts_from_counts(
    values: np.ndarray[Any, Any], counts: np.ndarray[Any, Any], bins: int
) -> tuple[float, ...]:
    """Linear (Hyndman-Fan type 7) quantile cut points from distinct sorted values and counts.

    The arithmetic is numpy's ``np.quantile(..., method="linear")`` step by step (virtual
    index ``(n - 1) * q``, then numpy's two-sided ``lerp``), so the cut points are
    bit-identical to ``np.quantile`` / ``Series.quantile`` of the full column, which
    ``pd.qcut`` uses. Working from value counts keeps Dask fits exact.
    """
    cum = np.cumsum(counts)
    n = int(cum[-1])
    levels = _quantile_levels(bins)
    virtual = (n - 1) * levels
    prev = np.floor(virtual)
    gamma = virtual - prev
    prev_pos = prev.astype(np.int64)
    next_pos = np.minimum(prev_pos + 1, n - 1)
    above = virtual >= n - 1
    prev_pos[above] = n - 1
    next_pos[above] = n - 1
    # Value at 0-based sorted position p: the first distinct value whose cumulative count
    # exceeds p.
    a = values[np.searchsorted(cum, prev_pos, side="right")].astype(np.float64)
    b = values[np.searchsorted(cum, next_pos, side="right")].astype(np.float64)
    diff = b - a
    cuts = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    return tuple(float(c) for c in cuts)


def _float_tuple(values: Any) -> Any:
    """Normalise cut points to a tuple of floats; anything else is left for the validator."""
    try:
        return tuple(float(c) for c in values)
    except (TypeError, ValueError):
        return values


def _int_tuple(values: Any) -> Any:
    """Normalise scores to a tuple of ints; anything else is left for the validator."""
    try:
        return tuple(
            int(c) if isinstance(c, (int, np.integer)) and not isinstance(c, bool) else c
            for c in values
        )
    except TypeError:
        return values


def _bins_ok(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_bins(type(instance).__name__, value)


def _cuts_ok(instance: ScoreScale, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = "ScoreScale"
    if not isinstance(value, tuple) or any(not isinstance(c, float) for c in value):
        raise ConfigError(owner, "cuts", expected="a list of numbers", found=repr(value))
    _check_bins(owner, len(value) + 1)
    if any(not math.isfinite(c) for c in value):
        raise ConfigError(owner, "cuts", expected="finite numbers", found=repr(list(value)))
    if any(b < a for a, b in itertools.pairwise(value)):
        raise ConfigError(owner, "cuts", expected="sorted ascending", found=repr(list(value)))
    if instance.method == "fixed" and len(set(value)) != len(value):
        raise ConfigError(
            owner, "cuts", expected="strictly increasing edges", found=repr(list(value))
        )


def _scores_used_ok(instance: ScoreScale, attribute: attrs.Attribute[Any], value: Any) -> None:
    bins = len(instance.cuts) + 1 if isinstance(instance.cuts, tuple) else _MAX_BINS
    if (
        not isinstance(value, tuple)
        or any(not isinstance(u, int) or isinstance(u, bool) for u in value)
        or any(not 1 <= u <= bins for u in value)
    ):
        raise ConfigError(
            "ScoreScale", "scores_used", expected=f"scores within 1-{bins}", found=repr(value)
        )


@attrs.frozen
class ScoreScale(_spec.Spec):
    """The fitted scale of one RFM dimension: its cut points and how they score.

    Attributes:
        column: The summary column scored (e.g. ``"frequency"``).
        method: ``"quantile"`` (cut points learned from data) or ``"fixed"`` (given).
        cuts: The ``bins - 1`` cut points, sorted; values ``<= cuts[0]`` get raw score 1.
        reverse: True for recency: the score is ``bins + 1 - raw``.
        scores_used: The scores the training data received (all of ``1..bins`` unless ties
            made cut points coincide).

    Examples:
        >>> s = ScoreScale("frequency", "quantile", (1.0, 1.0, 2.0, 4.0), False, (1, 3, 4, 5))
        >>> s.score(1), s.score(2), s.score(3), s.score(40)
        (1, 3, 4, 5)
        >>> s.complete, s.bins
        (False, 5)
        >>> ScoreScale("monetary", "fixed", (10, 20)).to_dict()
        {'schema_version': 1, 'column': 'monetary', 'method': 'fixed', 'cuts': [10.0, 20.0], 'reverse': False, 'scores_used': []}
        >>> ScoreScale("monetary", "fixed", (20, 10))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: ScoreScale: parameter 'cuts' must be sorted ascending; found [20.0, 10.0].
    """

    column: str = attrs.field(
        validator=_spec.instance_of(str, "a column name"), metadata=_spec.metadata()
    )
    method: str = attrs.field(validator=_spec.one_of(_METHODS), metadata=_spec.metadata())
    cuts: tuple[float, ...] = attrs.field(
        converter=_float_tuple, validator=_cuts_ok, metadata=_spec.metadata(codec=_spec.Seq())
    )
    reverse: bool = _spec.field(default=False, validator=_spec.instance_of(bool, "True or False"))
    scores_used: tuple[int, ...] = attrs.field(
        default=(),
        converter=_int_tuple,
        validator=_scores_used_ok,
        metadata=_spec.metadata(codec=_spec.Seq()),
    )

    @property
    def bins(self) -> int:
        """The number of scores on the scale (``len(cuts) + 1``).

        Examples:
            >>> ScoreScale("monetary", "fixed", (10, 20)).bins
            3
        """
        return len(self.cuts) + 1

    @property
    def complete(self) -> bool:
        """True when the training data used every score ``1..bins``.

        Examples:
            >>> ScoreScale("monetary", "fixed", (10, 20), scores_used=(1, 2, 3)).complete
            True
        """
        return len(self.scores_used) == self.bins

    def scores(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int8]]:
        """Score an array of values (vectorised; identical to :meth:`score`).

        Examples:
            >>> import numpy as np
            >>> ScoreScale("recency_days", "fixed", (30, 90), reverse=True).scores(
            ...     np.array([0.0, 30.0, 31.0, 400.0])).tolist()
            [3, 3, 2, 1]

        A missing value has no score (it would sort past every cut point):

        >>> ScoreScale("recency_days", "fixed", (30, 90), reverse=True).scores(
        ...     np.array([5.0, np.nan]))
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: ScoreScale.scores(): column 'recency_days' must be without missing values; found 1 missing value at rows [1].
        """
        x = np.asarray(values, dtype=np.float64)
        missing = np.isnan(x)
        if missing.any():
            count = int(missing.sum())
            raise InvalidInputError(
                "ScoreScale.scores()",
                self.column,
                expected="without missing values",
                found=f"{count} missing {'value' if count == 1 else 'values'}",
                rows=np.flatnonzero(missing)[:5].tolist(),
                total=count,
            )
        raw = 1 + np.searchsorted(np.asarray(self.cuts, dtype=np.float64), x, side="left")
        if self.reverse:
            raw = self.bins + 1 - raw
        return raw.astype(np.int8)

    def score(self, value: float) -> int:
        """Score one value.

        Examples:
            >>> ScoreScale("recency_days", "fixed", (30, 90), reverse=True).score(45)
            2
            >>> ScoreScale("recency_days", "fixed", (30, 90), reverse=True).score(float("nan"))
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: ScoreScale.score(): 'recency_days' must be a number, not missing; found nan.
        """
        x = float(value)
        if math.isnan(x):
            raise InvalidInputError(
                "ScoreScale.score()",
                self.column,
                expected="a number, not missing",
                found=repr(x),
                kind="",
            )
        raw = 1 + bisect.bisect_left(self.cuts, x)
        return self.bins + 1 - raw if self.reverse else raw


class RFMScore(NamedTuple):
    """One customer's scores, as returned by :meth:`RFMModel.score`.

    Examples:
        >>> RFMScore(5, 4, 5, "545", "Champions").rfm_code
        '545'
    """

    r_score: int
    f_score: int
    m_score: int
    rfm_code: str
    segment: str | None
    t_score: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the scores as plain JSON types (for an app's endpoint).

        Examples:
            >>> RFMScore(5, 4, 3, "543", "Loyal").to_dict()
            {'r_score': 5, 'f_score': 4, 'm_score': 3, 'rfm_code': '543', 'segment': 'Loyal', 't_score': None}
        """
        return cast("dict[str, Any]", json_ready(self._asdict()))


def _resolve_map(owner: str, segment_map: object, bins: int) -> SegmentMap | None:
    if segment_map is None:
        return None
    if isinstance(segment_map, str):
        resolved = SegmentMap.builtin(segment_map)
    elif isinstance(segment_map, SegmentMap):
        resolved = segment_map
    else:
        raise ConfigError(
            owner,
            "segment_map",
            expected="a SegmentMap, a built-in map name or None",
            found=type(segment_map).__name__,
        )
    if resolved.bins != bins:
        raise ConfigError(
            owner,
            "segment_map",
            expected=f"a map written for {bins} bins",
            found=f"map {resolved.name!r} for {resolved.bins} bins",
            hint="Pass segment_map=None for scores only, or a custom SegmentMap.",
        )
    return resolved


def _edges_converter(value: Any) -> dict[str, tuple[float, ...]] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(
            "RFMScorer",
            "edges",
            expected="a mapping such as {'recency': [30, 90, 180, 365]}",
            found=type(value).__name__,
        )
    check_keys(value, "RFMScorer", allowed=set(_DIMENSIONS))
    out: dict[str, tuple[float, ...]] = {}
    for dim, raw in value.items():
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise ConfigError(
                "RFMScorer", f"edges[{dim!r}]", expected="a list of numbers", found=repr(raw)
            )
        try:
            edges = tuple(float(v) for v in raw)
        except (TypeError, ValueError):
            raise ConfigError(
                "RFMScorer", f"edges[{dim!r}]", expected="a list of numbers", found=repr(raw)
            ) from None
        if any(not math.isfinite(e) for e in edges) or any(
            b <= a for a, b in itertools.pairwise(edges)
        ):
            raise ConfigError(
                "RFMScorer",
                f"edges[{dim!r}]",
                expected="finite, strictly increasing numbers",
                found=repr(list(raw)),
            )
        out[dim] = edges
    return out


_COLUMN = _spec.instance_of(str, "a column name")


def _edges_ok(instance: RFMScorer, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = "RFMScorer"
    edges = value or {}
    if instance.method == "fixed":
        missing = [d for d in _DIMENSIONS if d not in edges]
        if missing:
            raise ConfigError(
                owner,
                "edges",
                expected="edges for recency, frequency and monetary with method='fixed'",
                found=f"none for {missing}",
            )
    bins = instance.bins
    for dim, cuts in edges.items():
        if len(cuts) != bins - 1:
            raise ConfigError(
                owner,
                f"edges[{dim!r}]",
                expected=f"{bins - 1} edges for bins={bins}",
                found=f"{len(cuts)} edges",
            )


def _segment_map_ok(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _resolve_map(type(instance).__name__, value, instance.bins)


def _encode_map(value: Any) -> Any:
    # A nested map does not repeat schema_version.
    return _spec.encode(value, top=False) if isinstance(value, SegmentMap) else value


def _decode_map(data: Any) -> Any:
    if isinstance(data, Mapping):
        return SegmentMap.from_dict(data)
    if isinstance(data, str):
        return data
    raise TypeError(data)


#: A segment map inside an RFM rule: a nested map, or the name of a built-in one.
_MAP_CODEC = _spec.Custom(_encode_map, _decode_map, "a segment map or a built-in map name")


@attrs.frozen
class RFMScorer(_spec.Spec):
    """Settings for RFM scoring; :meth:`fit` learns cut points and returns an :class:`RFMModel`.

    Attributes:
        bins: Scores per dimension, 2-9 (5 gives the usual quintile scores 1-5).
        method: ``"quantile"``: cut points from the data's quantiles (tie-safe, see the
            module docs); ``"fixed"``: the ``edges`` you give for all three dimensions.
        edges: Fixed cut points per dimension (``"recency"``, ``"frequency"``,
            ``"monetary"``): ``bins - 1`` strictly increasing upper bounds, inclusive, in the
            column's units (recency in days: ``[30, 90, 180, 365]`` gives R = 5 up to 30
            days). With ``method="quantile"`` the dimensions given here use their fixed
            edges and the others are fitted (a mixed scorer).
        recency: Summary column of days since the last purchase.
        frequency: Summary column of the number of purchases.
        monetary: Summary column of the total spend.
        segment_map: A :class:`SegmentMap`, a built-in map name (``"default"``,
            ``"marketer-11"``, ``"rf-grid"``, ``"three-layer"``) or None for scores
            without segments.
        tenure: Summary column of days since the first purchase: read when the segment
            map's rules have a day guard on the first purchase (the default map's "new"
            does), and scored on the recency scale as ``t_score`` when they use the tenure
            score ``t``.

    Examples:
        >>> import pandas as pd
        >>> summary = pd.DataFrame({
        ...     "recency_days": [1, 5, 20, 40, 90, 200, 300, 400, 500, 700],
        ...     "frequency": [9, 7, 5, 4, 3, 2, 1, 1, 1, 1],
        ...     "monetary": [900, 700, 500, 400, 300, 200, 100, 80, 60, 40],
        ...     "tenure_days": [600, 300, 25, 400, 500, 800, 300, 900, 500, 700]},
        ...     index=pd.Index(list("abcdefghij"), name="customer_id"))
        >>> model = RFMScorer().fit(summary)
        >>> [round(c, 2) for c in model.frequency.cuts], model.frequency.scores_used
        ([1.0, 1.6, 3.4, 5.4], (1, 3, 4, 5))
        >>> model.transform(summary)[["rfm_code", "tenure_days", "segment"]].head(3)
                    rfm_code  tenure_days    segment
        customer_id
        a                555          600  Champions
        b                555          300  Champions
        c                444           25  Champions
    """

    bins: int = _spec.field(default=5, validator=_bins_ok)
    method: Literal["quantile", "fixed"] = _spec.field(
        default="quantile", validator=_spec.one_of(_METHODS)
    )
    edges: dict[str, tuple[float, ...]] | None = attrs.field(
        default=None,
        converter=_edges_converter,
        validator=_edges_ok,
        hash=False,
        metadata=_spec.metadata(codec=_spec.Optional(_spec.Map(_spec.Seq()))),
    )
    recency: str = _spec.field(default="recency_days", validator=_COLUMN)
    frequency: str = _spec.field(default="frequency", validator=_COLUMN)
    monetary: str = _spec.field(default="monetary", validator=_COLUMN)
    segment_map: SegmentMap | str | None = _spec.field(
        default="default", validator=_segment_map_ok, codec=_spec.Optional(_MAP_CODEC)
    )
    tenure: str = _spec.field(default="tenure_days", validator=_COLUMN)

    def _columns(self) -> dict[str, str]:
        return {"recency": self.recency, "frequency": self.frequency, "monetary": self.monetary}

    def fit(self, summary: Any) -> RFMModel:
        """Learn the cut points from a customer summary (pandas or Dask) and freeze them.

        Args:
            summary: One row per customer with the recency, frequency and monetary
                columns (as produced by :func:`crmkit.segmentation.summarize`). A Dask
                DataFrame is fitted exactly: its value counts are reduced on the cluster
                and the same cut points as for the pandas frame result (its repeated
                index labels are found in that same computation).

        Returns:
            The fitted, immutable :class:`RFMModel`.

        Raises:
            InvalidInputError: Empty input, missing values, negative recency or frequency, a
                customer (index label) on more than one row.
            SchemaError: A missing or non-numeric column.

        Examples:
            >>> import pandas as pd
            >>> s = pd.DataFrame({"recency_days": [3, 3, 3], "frequency": [1, 1, 1],
            ...                   "monetary": [10.0, 10.0, 10.0]})
            >>> model = RFMScorer().fit(s)  # constant data never raises
            >>> model.incomplete
            ('recency', 'frequency', 'monetary')
            >>> model.score(3, 1, 10.0, tenure_days=3)
            RFMScore(r_score=5, f_score=1, m_score=1, rfm_code='511', segment='New Customers', t_score=5)
        """
        owner = "RFMScorer.fit()"
        columns = self._columns()
        if is_dask(summary):
            distinct = _dask_value_counts(summary, columns, owner)
        else:
            frame = require_frame(summary, owner, "summary")
            require_columns(frame, list(columns.values()), owner)
            check_not_empty(frame, owner, "summary")
            _check_one_row_per_customer(frame.index, owner)
            distinct = {}
            for dim, col in columns.items():
                values = _checked_values(frame, col, dim, owner)
                uniq, counts = np.unique(values, return_counts=True)
                distinct[dim] = (uniq, counts)
        edges = self.edges or {}
        scales = {}
        for dim, col in columns.items():
            uniq, counts = distinct[dim]
            if dim in edges:
                method, cuts = "fixed", edges[dim]
            else:
                method, cuts = "quantile", _cuts_from_counts(uniq, counts, self.bins)
            scale = ScoreScale(col, method, cuts, reverse=dim == "recency")
            used = np.unique(scale.scores(uniq))
            scales[dim] = attrs.evolve(scale, scores_used=tuple(int(u) for u in used))
        n_customers = int(np.sum(distinct["recency"][1]))
        return RFMModel(
            bins=self.bins,
            recency=scales["recency"],
            frequency=scales["frequency"],
            monetary=scales["monetary"],
            segment_map=_resolve_map("RFMScorer", self.segment_map, self.bins),
            n_customers=n_customers,
            tenure=self.tenure,
        )


def _check_one_row_per_customer(index: pd.Index, owner: str) -> None:
    """One row per customer: a customer on two rows would weigh twice in the cuts."""
    check_unique_labels(
        index,
        owner,
        "summary",
        kind="",
        expected="one row per customer (each index label once)",
        hint="summarize() gives one row per customer; if each row is a customer, "
        "give each its own label (summary.reset_index(drop=True)).",
    )


def _checked_values(
    frame: pd.DataFrame, column: str, dim: str, owner: str
) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = numeric_column(frame, column, owner)
    if dim in ("recency", "frequency", "tenure"):
        negative = values < 0
        if negative.any():
            count = int(negative.sum())
            raise InvalidInputError(
                owner,
                column,
                expected="non-negative",
                found=f"{count} negative values",
                rows=first_labels(frame.index, negative),
                total=count,
                hint="Recency is days since the last purchase up to as_of; frequency counts purchases.",
            )
    return values


def _dask_value_counts(
    ddf: Any, columns: Mapping[str, str], owner: str
) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    missing = [c for c in columns.values() if c not in ddf.columns]
    if missing:
        raise SchemaError(
            owner, missing[0], expected="present", found=f"columns {list(ddf.columns)[:20]}"
        )
    for col in columns.values():
        dtype = ddf[col].dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise SchemaError(owner, col, expected="numeric", found=f"dtype {dtype}")
    # The labels seen more than once, in the same computation as the value counts (the
    # partitions are read once for all of them): only the repeated labels come back.
    # Reduced over ``npartitions`` outputs, no one task holds every label.
    labels = ddf.index.value_counts(split_out=max(int(ddf.npartitions), 1))
    tasks = [labels[labels > 1]]
    for col in columns.values():
        series = ddf[col]
        tasks.append(series.isna().sum())
        tasks.append(series.min())
        tasks.append(series.value_counts(dropna=True))
    repeated, *results = computed(*tasks)
    if len(repeated):
        # Sorted: the same labels named whatever the partitioning (unorderable mixed
        # types: as found).
        with contextlib.suppress(TypeError):
            repeated = repeated.sort_index()
        # Each repeated label twice: the pandas check's message, naming each label once.
        _check_one_row_per_customer(repeated.index.repeat(2), owner)
    out = {}
    for i, (dim, col) in enumerate(columns.items()):
        n_missing, low, counts = results[3 * i : 3 * i + 3]
        if int(n_missing):
            raise InvalidInputError(
                owner,
                col,
                expected="without missing values",
                found=f"{int(n_missing)} missing values",
            )
        counts = counts.sort_index()
        if len(counts) == 0:
            raise InvalidInputError(
                owner, "summary", expected="at least one row", found="an empty input", kind=""
            )
        values = counts.index.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise InvalidInputError(owner, col, expected="finite", found="infinite values")
        if dim in ("recency", "frequency") and float(low) < 0:
            raise InvalidInputError(owner, col, expected="non-negative", found="negative values")
        out[dim] = (values, counts.to_numpy(dtype=np.int64))
    return out


def _scale_ok(instance: RFMModel, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner, dim = "RFMModel", attribute.name
    if not isinstance(value, ScoreScale):
        raise ConfigError(owner, dim, expected="a ScoreScale", found=type(value).__name__)
    if isinstance(instance.bins, int) and value.bins != instance.bins:
        raise ConfigError(
            owner, dim, expected=f"{instance.bins - 1} cut points", found=f"{len(value.cuts)}"
        )
    if value.reverse != (dim == "recency"):
        raise ConfigError(
            owner,
            dim,
            expected=f"a scale with reverse={dim == 'recency'} (True for recency only)",
            found=f"reverse={value.reverse}",
        )


_SCALE = _spec.metadata(codec=_spec.Nested(ScoreScale))


def _model_map_ok(instance: RFMModel, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, str):
        raise ConfigError(
            "RFMModel", "segment_map", expected="a SegmentMap or None", found=repr(value)
        )
    _resolve_map("RFMModel", value, instance.bins)


@attrs.frozen
class RFMModel(_spec.Spec):
    """A fitted RFM scorer: frozen cut points per dimension plus an optional segment map.

    Build it with :meth:`RFMScorer.fit` (or :meth:`from_dict` from stored JSON). It scores
    a batch with :meth:`transform`, a Dask DataFrame partition by partition, or one
    customer with :meth:`score`, always identically.

    Attributes:
        bins: Scores per dimension.
        recency: The recency scale (reversed: most recent = ``bins``).
        frequency: The frequency scale.
        monetary: The monetary scale.
        segment_map: The segment map, or None for scores only.
        n_customers: How many customers the model was fitted on.
        tenure: The summary column of days since the first purchase (read only when
            the segment map's rules read it: day guards on the first purchase, or the
            tenure score ``t_score``, which is it on the recency scale).

    Examples:
        >>> import json, pandas as pd
        >>> s = pd.DataFrame({"recency_days": [1, 10, 100], "frequency": [5, 2, 1],
        ...                   "monetary": [500.0, 120.0, 30.0]})
        >>> model = RFMScorer(bins=3, segment_map=None).fit(s)
        >>> model.transform(s)["rfm_code"].tolist()
        ['333', '222', '111']
        >>> RFMModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model
        True
    """

    bins: int = attrs.field(validator=_bins_ok, metadata=_spec.metadata())
    recency: ScoreScale = attrs.field(validator=_scale_ok, metadata=_SCALE)
    frequency: ScoreScale = attrs.field(validator=_scale_ok, metadata=_SCALE)
    monetary: ScoreScale = attrs.field(validator=_scale_ok, metadata=_SCALE)
    segment_map: SegmentMap | None = _spec.field(
        default=None, validator=_model_map_ok, codec=_spec.Optional(_MAP_CODEC)
    )
    n_customers: int = _spec.field(default=0, validator=_spec.whole(min=0))
    tenure: str = _spec.field(default="tenure_days", validator=_COLUMN)

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """A stored scorer (parameters, no cut points) is not a model: fit it first."""
        if {"method", "edges"} & set(data):
            # Say what is missing rather than "unknown key 'method'".
            raise NotFittedError(
                "RFMModel.from_dict()",
                "data",
                expected="a fitted model from RFMModel.to_dict() (cut points per dimension)",
                found="an RFMScorer's parameters, which hold no cut points",
                hint="Fit it first: RFMScorer.from_dict(data).fit(summary).",
            )
        return data

    @property
    def incomplete(self) -> tuple[str, ...]:
        """The dimensions whose training data could not fill every score (ties, constants).

        Examples:
            >>> import pandas as pd
            >>> s = pd.DataFrame({"recency_days": [1, 2, 3, 4, 5], "frequency": [1, 1, 1, 1, 2],
            ...                   "monetary": [1.0, 2.0, 3.0, 4.0, 5.0]})
            >>> m = RFMScorer().fit(s)
            >>> m.incomplete, m.frequency.scores_used
            (('frequency',), (1, 5))
        """
        return tuple(d for d in _DIMENSIONS if not getattr(self, d).complete)

    def cut_table(self) -> pd.DataFrame:
        """Return the cut points as a table: one row per dimension, plus the scores used.

        Examples:
            >>> import pandas as pd
            >>> s = pd.DataFrame({"recency_days": range(10), "frequency": range(1, 11),
            ...                   "monetary": range(10, 110, 10)})
            >>> RFMScorer().fit(s).cut_table()
                             column    method  cut_1  cut_2  cut_3  cut_4  scores_used
            dimension
            recency    recency_days  quantile    1.8    3.6    5.4    7.2   1 2 3 4 5
            frequency     frequency  quantile    2.8    4.6    6.4    8.2   1 2 3 4 5
            monetary       monetary  quantile   28.0   46.0   64.0   82.0   1 2 3 4 5
        """
        rows = []
        for dim in _DIMENSIONS:
            scale: ScoreScale = getattr(self, dim)
            row: dict[str, Any] = {"dimension": dim, "column": scale.column, "method": scale.method}
            row.update({f"cut_{j + 1}": c for j, c in enumerate(scale.cuts)})
            row["scores_used"] = " ".join(str(s) for s in scale.scores_used)
            rows.append(row)
        return pd.DataFrame(rows).set_index("dimension")

    def transform(self, summary: Any) -> Any:
        """Add ``r_score``, ``f_score``, ``m_score``, ``rfm_code`` and ``segment`` columns.

        Args:
            summary: A customer summary (pandas, or Dask: then the result is a Dask
                DataFrame computed partition by partition with this model).

        Returns:
            A new frame with the summary's index and columns plus the scores; ``segment``
            is an ordered categorical in the map's business order (absent when the model
            has no segment map). The input is never modified. An empty summary gives an
            empty result.

        Examples:
            >>> import pandas as pd
            >>> s = pd.DataFrame({"recency_days": [2, 9, 30, 200, 400],
            ...                   "frequency": [8, 6, 3, 2, 1],
            ...                   "monetary": [800.0, 20.0, 300.0, 90.0, 20.0],
            ...                   "tenure_days": [700, 9, 400, 500, 400]},
            ...                  index=["ann", "bob", "cy", "dee", "eve"])
            >>> model = RFMScorer().fit(s)
            >>> model.transform(s)[["r_score", "f_score", "m_score", "segment"]]
                 r_score  f_score  m_score         segment
            ann        5        5        5       Champions
            bob        4        4        1           Loyal
            cy         3        3        4  Need Attention
            dee        2        2        3     Hibernating
            eve        1        1        1            Lost
        """
        if is_dask(summary):
            meta = self.transform(summary._meta)
            return summary.map_partitions(_transform_partition, self, meta=meta)
        owner = "RFMModel.transform()"
        frame = require_frame(summary, owner, "summary")
        cols = [self.recency.column, self.frequency.column, self.monetary.column]
        require_columns(frame, cols, owner)
        rec = _checked_values(frame, self.recency.column, "recency", owner)
        r = self.recency.scores(rec)
        f = self.frequency.scores(_checked_values(frame, self.frequency.column, "frequency", owner))
        m = self.monetary.scores(_checked_values(frame, self.monetary.column, "monetary", owner))
        b = self.bins
        code_idx = (r.astype(np.int64) - 1) * b * b + (f.astype(np.int64) - 1) * b + (m - 1)
        codes = _code_strings(b).take(code_idx)
        new: dict[str, Any] = {
            "r_score": pd.array(r, dtype="int8"),
            "f_score": pd.array(f, dtype="int8"),
            "m_score": pd.array(m, dtype="int8"),
            "rfm_code": pd.Series(codes, index=frame.index),
        }
        if self.segment_map is not None:
            t = None
            seg_map = self.segment_map
            tenure_days = None
            if seg_map.uses_tenure or "tenure_days" in seg_map.days_read:
                require_columns(frame, [self.tenure], owner)
                tenure_days = _checked_values(frame, self.tenure, "tenure", owner)
            if seg_map.uses_tenure and tenure_days is not None:
                t = self.recency.scores(tenure_days)
                new["t_score"] = pd.array(t, dtype="int8")
            cat = seg_map.categorical(r, f, m, t, recency_days=rec, tenure_days=tenure_days)
            new["segment"] = pd.Series(cat, index=frame.index)
        out = frame.copy(deep=False)
        for name, column in new.items():
            out[name] = (
                column if isinstance(column, pd.Series) else pd.Series(column, index=frame.index)
            )
        return out

    def score(
        self,
        recency_days: float,
        frequency: float,
        monetary: float,
        tenure_days: float | None = None,
    ) -> RFMScore:
        """Score one customer exactly as :meth:`transform` scores a row.

        ``tenure_days`` (days since the first purchase) is needed when the segment map
        uses tenure.

        Examples:
            >>> import pandas as pd
            >>> s = pd.DataFrame({"recency_days": [2, 30, 400], "frequency": [8, 3, 1],
            ...                   "monetary": [800.0, 150.0, 20.0]})
            >>> RFMScorer().fit(s).score(recency_days=10, frequency=5, monetary=300.0,
            ...                          tenure_days=200)
            RFMScore(r_score=5, f_score=4, m_score=4, rfm_code='544', segment='Champions', t_score=2)
        """
        owner = "RFMModel.score()"
        values = []
        named: list[tuple[str, object]] = [
            ("recency_days", recency_days),
            ("frequency", frequency),
            ("monetary", monetary),
        ]
        if tenure_days is not None:
            named.append(("tenure_days", tenure_days))
        for name, value in named:
            if isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating)
            ):
                raise InvalidInputError(
                    owner, name, expected="a number", found=type(value).__name__, kind=""
                )
            if not math.isfinite(float(value)):
                raise InvalidInputError(owner, name, expected="finite", found=repr(value), kind="")
            if name != "monetary" and value < 0:
                raise InvalidInputError(
                    owner, name, expected="non-negative", found=repr(value), kind=""
                )
            values.append(float(value))
        r = self.recency.score(values[0])
        f = self.frequency.score(values[1])
        m = self.monetary.score(values[2])
        seg_map = self.segment_map
        tenure = values[3] if tenure_days is not None else None
        t = self.recency.score(tenure) if tenure is not None else None
        segment = None
        if seg_map is not None:
            if "tenure_days" in seg_map.days_read and tenure is None:
                raise InvalidInputError(
                    owner,
                    "tenure_days",
                    expected="given (the segment map's rules read days since the first purchase)",
                    found="None",
                    kind="",
                )
            segment = seg_map.label(
                r, f, m, t if seg_map.uses_tenure else None,
                recency_days=values[0], tenure_days=tenure,
            )  # fmt: skip
        return RFMScore(r, f, m, f"{r}{f}{m}", segment, t)


def _transform_partition(part: pd.DataFrame, model: RFMModel) -> pd.DataFrame:
    """Module-level so that Dask can pickle it to worker processes."""
    out: pd.DataFrame = model.transform(part)
    return out


_CODE_CACHE: dict[int, Any] = {}


def _code_strings(bins: int) -> Any:
    """All ``bins ** 3`` code strings (a pandas string array), indexed like the segment table."""
    if bins not in _CODE_CACHE:
        scale = range(1, bins + 1)
        codes = np.array([f"{r}{f}{m}" for r in scale for f in scale for m in scale], dtype=object)
        _CODE_CACHE[bins] = pd.array(codes, dtype="str")
    return _CODE_CACHE[bins]


def rfm(
    transactions: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    order: str | None = None,
    as_of: Any = None,
    refunds: Literal["net", "drop", "error"] = "net",
    scorer: RFMScorer | None = None,
    model: RFMModel | None = None,
    zero_amount: Literal["ignore", "purchase"] = "ignore",
    frequency: Literal["orders", "days", "rows"] | None = None,
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> pd.DataFrame:
    """From transactions to one scored row per customer: summary, scores and segment.

    Runs :func:`crmkit.segmentation.summarize`, then fits ``scorer`` (the default
    :class:`RFMScorer`: quintiles and the 11-segment map) on the summary, or applies an
    already fitted ``model`` (to score a new period with stored cut points).

    Args:
        transactions: One row per purchase (refunds as negative amounts are netted), or a
            :class:`TransactionLog`.
        customer: Customer id column.
        date: Purchase date column.
        amount: Amount column.
        order: Order id column; when given, frequency counts distinct orders.
        as_of: The analysis date (defaults to the last date in the data).
        refunds: What to do with negative amounts, as in :func:`summarize`.
        scorer: The scoring settings; ignored when ``model`` is given.
        model: A fitted model to apply instead of fitting one.
        zero_amount: Whether a zero-amount row is a purchase, as in :func:`summarize`.
        frequency: How purchases are counted, as in :func:`summarize`.
        timezone: Zone in which days are counted, as in :func:`summarize`.
        date_format: Format of non-ISO date strings, as in :func:`summarize`.
        date_unit: Unit of numeric dates, as in :func:`summarize`.

    Returns:
        The customer summary plus ``r_score``, ``f_score``, ``m_score``, ``rfm_code`` and
        ``segment``, indexed by customer. ``result.attrs["rfm_model"]`` holds the model
        used, as :meth:`RFMModel.to_dict` data. A Dask DataFrame of transactions gives a
        Dask DataFrame (fitted exactly on the cluster; Dask frames carry no ``attrs``, so
        fit an :class:`RFMScorer` on ``summarize(...)`` yourself when you need the model).

    Examples:
        >>> import pandas as pd
        >>> tx = pd.DataFrame({
        ...     "customer_id": [1, 1, 1, 2, 3, 3],
        ...     "date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-06-20",
        ...                             "2024-11-02", "2025-05-01", "2025-06-01"]),
        ...     "amount": [120.0, 80.0, 200.0, 35.0, 60.0, 60.0]})
        >>> scored = rfm(tx, scorer=RFMScorer(bins=3, segment_map=None))
        >>> scored[["recency_days", "frequency", "monetary", "rfm_code"]]
                     recency_days  frequency  monetary rfm_code
        customer_id
        1                       0          3     400.0      333
        2                     230          1      35.0      111
        3                      19          2     120.0      222
    """
    from crmkit.segmentation._summary import summary_for

    summary = summary_for(  # the checks (the as_of reader among them) named rfm()
        "rfm()",
        transactions,
        customer=customer,
        date=date,
        amount=amount,
        order=order,
        as_of=as_of,
        refunds=refunds,
        zero_amount=zero_amount,
        frequency=frequency,
        timezone=timezone,
        date_format=date_format,
        date_unit=date_unit,
    )
    fitted = model if model is not None else (scorer or RFMScorer()).fit(summary)
    scored: pd.DataFrame = fitted.transform(summary)
    if not is_dask(scored):  # Dask DataFrames have no attrs; fit the model yourself there
        scored.attrs = {**summary.attrs, "rfm_model": fitted.to_dict()}
    return scored


def segment_summary(
    scored: pd.DataFrame,
    *,
    segment: str = "segment",
    recency: str = "recency_days",
    frequency: str = "frequency",
    monetary: str = "monetary",
    segment_map: SegmentMap | str | None = None,
) -> pd.DataFrame:
    """Per segment: customers, customer share, revenue share, median R/F/M, average order value.

    With a segment map whose segments state promises (the default map does), the table
    also says whether each segment keeps its promise: by its medians, and customer by
    customer.

    Args:
        scored: The output of :func:`rfm` or :meth:`RFMModel.transform`.
        segment: The segment column (an ordered categorical keeps business order and
            lists empty segments with 0 customers).
        recency: Recency column.
        frequency: Frequency column: orders when the summary counted them (``order=``),
            otherwise distinct purchase days (same-day orders are one).
        monetary: Monetary column (total spend).
        segment_map: The map the segments come from (a :class:`SegmentMap` or a built-in
            name); default: the map stored by :func:`rfm` in ``scored.attrs``, if any.

    Returns:
        One row per segment: ``customers``, ``customer_share``, ``revenue`` (the net
        sum, net refunds included), ``revenue_share`` (of the positive total, as in
        :func:`~crmkit.segmentation.class_summary`: the segment's positive spend over all
        positive spend, so shares lie in [0, 1] and add up to 1; a customer with zero or
        net-negative spend holds none), ``recency_median``, ``frequency_median``,
        ``monetary_median`` and ``average_order_value`` (revenue / frequency: per order
        with ``order=``, else per purchase day). Medians and
        average order value of empty segments are NaN (there is nothing to summarise).
        When the map states promises and ``scored`` has the score columns: ``promise``
        (the promise in words, day guards included), ``r_median``, ``f_median``,
        ``m_median`` (``t_median`` with tenure scores, ``tenure_median`` when ``scored``
        has ``tenure_days``), ``keeps_promise`` (whether the median scores and the
        median days since the last and first purchase keep the promise) and
        ``promise_kept_share`` (the share of the segment's customers who keep it, each
        with their own scores and days); both are missing for an empty segment or one
        without a promise, and for a promise on the first purchase when ``scored`` has
        no ``tenure_days`` column. ``attrs`` holds ``positive_total`` (the shares'
        denominator), ``negative_total`` and ``net_total``.

    Raises:
        InvalidInputError: Empty input, or no positive monetary value (shares would be
            meaningless).

    Examples:
        >>> import pandas as pd
        >>> scored = pd.DataFrame({
        ...     "recency_days": [5, 10, 300], "frequency": [4, 6, 1],
        ...     "monetary": [400.0, 500.0, 100.0],
        ...     "segment": pd.Categorical(["Top", "Top", "Low"], ["Top", "Low"], ordered=True)})
        >>> segment_summary(scored)[["customers", "customer_share", "revenue_share",
        ...                          "average_order_value"]]
                 customers  customer_share  revenue_share  average_order_value
        segment
        Top              2        0.666667            0.9                 90.0
        Low              1        0.333333            0.1                100.0

        A net-refunding customer (-300) holds no share; shares stay within [0, 1]:

        >>> scored.loc[2, "monetary"] = -300.0
        >>> table = segment_summary(scored)
        >>> table[["revenue", "revenue_share"]]
                 revenue  revenue_share
        segment
        Top        900.0            1.0
        Low       -300.0            0.0
        >>> table.attrs
        {'positive_total': 900.0, 'negative_total': -300.0, 'net_total': 600.0}
    """
    owner = "segment_summary()"
    frame = require_frame(scored, owner, "scored")
    require_columns(frame, [segment, recency, frequency, monetary], owner)
    check_not_empty(frame, owner, "scored")
    rec = numeric_column(frame, recency, owner)
    freq = numeric_column(frame, frequency, owner)
    mon = numeric_column(frame, monetary, owner)
    # Shares are of the positive total, as class_summary's: a segment's share is the sum
    # of its customers' positive spend over everyone's, so shares lie in [0, 1] and add
    # up to 1. The net total was the denominator before: one net-refunding customer
    # (refunds="net" is rfm()'s default) gave shares over 1 and below 0. On values
    # scaled by a power of two (exact), so no sum overflows.
    positive = np.clip(pow2_scaled(mon), 0, None)
    total = float(positive.sum())
    if total <= 0:
        raise InvalidInputError(
            owner,
            monetary,
            expected="at least one positive value (a positive total)",
            found="no positive value",
            hint="Revenue shares need positive revenue.",
        )
    labels = frame[segment]
    if labels.isna().any():
        raise InvalidInputError(
            owner,
            segment,
            expected="without missing values",
            found=f"{int(labels.isna().sum())} missing segments",
            rows=first_labels(frame.index, labels.isna().to_numpy()),
            total=int(labels.isna().sum()),
        )
    data = pd.DataFrame(
        {"segment": labels.to_numpy(), "r": rec, "f": freq, "m": mon, "positive": positive}
    )
    if isinstance(labels.dtype, pd.CategoricalDtype):
        data["segment"] = pd.Categorical(labels.to_numpy(), dtype=labels.dtype)
    grouped = data.groupby("segment", observed=False, sort=True)
    out = pd.DataFrame(
        {
            "customers": grouped.size().astype("int64"),
            "revenue": grouped["m"].sum(),
            "recency_median": grouped["r"].median(),
            "frequency_median": grouped["f"].median(),
            "monetary_median": grouped["m"].median(),
        }
    )
    orders = grouped["f"].sum()
    out.insert(1, "customer_share", out["customers"] / len(frame))
    out.insert(3, "revenue_share", grouped["positive"].sum() / total)
    out["average_order_value"] = (out["revenue"] / orders).where(orders > 0)
    out.index.name = segment
    with np.errstate(over="ignore"):  # infinite past float64; the shares are not
        out.attrs["positive_total"] = float(np.clip(mon, 0, None).sum())
        out.attrs["negative_total"] = float(np.clip(mon, None, 0).sum())
        out.attrs["net_total"] = float(mon.sum())
    seg_map = _summary_map(frame, segment_map, owner)
    if seg_map is not None and any(s.promise for s in seg_map.segments):
        _add_promises(out, frame, data, seg_map)
    return out


def _summary_map(frame: pd.DataFrame, segment_map: object, owner: str) -> SegmentMap | None:
    if segment_map is not None:
        return _resolve_map(owner, segment_map, int(getattr(segment_map, "bins", 5)))
    stored = frame.attrs.get("rfm_model", {})
    if isinstance(stored, Mapping) and isinstance(stored.get("segment_map"), Mapping):
        return SegmentMap.from_dict(stored["segment_map"])
    return None


def _add_promises(
    out: pd.DataFrame, frame: pd.DataFrame, data: pd.DataFrame, seg_map: SegmentMap
) -> None:
    """Add the promise columns of :func:`segment_summary` (in place, on its new table)."""
    dims = [d for d in ("r", "f", "m", "t") if f"{d}_score" in frame.columns]
    if not {"r", "f", "m"} <= set(dims):
        return
    scores = data[["segment"]].copy()
    for d in dims:
        scores[d] = frame[f"{d}_score"].to_numpy(dtype=np.float64)
    scores["recency_days"] = data["r"].to_numpy(dtype=np.float64)
    day_cols = ["recency_days"]
    if "tenure_days" in frame.columns:
        scores["tenure_days"] = frame["tenure_days"].to_numpy(dtype=np.float64)
        day_cols.append("tenure_days")
    medians = scores.groupby("segment", observed=False, sort=True)[dims + day_cols].median()
    promises = {s.name: s for s in seg_map.segments}
    labels = scores["segment"].astype(str).to_numpy()
    arrays = {c: scores[c].to_numpy() for c in dims + day_cols}
    words: list[str] = []
    kept: list[Any] = []
    shares: list[float] = []
    for name in out.index:
        seg = promises.get(str(name))
        words.append(" or ".join(str(rule) for rule in seg.promise) if seg else "")
        row = medians.loc[name] if name in medians.index else None
        reads_tenure = any(
            r.first_within is not None or r.first_over is not None for r in seg.promise
        ) if seg is not None else False  # fmt: skip
        if (
            seg is None
            or not seg.promise
            or row is None
            or row.isna().all()
            or (reads_tenure and "tenure_days" not in day_cols)  # cannot be checked
        ):
            kept.append(pd.NA)
            shares.append(np.nan)
            continue
        days = {c: float(row[c]) for c in day_cols}
        t = float(row["t"]) if "t" in row.index else None
        kept.append(seg.keeps_promise(float(row["r"]), float(row["f"]), float(row["m"]), t, **days))
        inside = labels == str(name)
        held = seg.kept_by(
            arrays["r"][inside],
            arrays["f"][inside],
            arrays["m"][inside],
            arrays["t"][inside] if "t" in arrays else None,
            **{c: arrays[c][inside] for c in day_cols},
        )
        shares.append(float(np.mean(held)) if held is not None else np.nan)
    out["promise"] = words
    for d in dims:
        out[f"{d}_median"] = medians[d].reindex(out.index)
    if "tenure_days" in day_cols:
        out["tenure_median"] = medians["tenure_days"].reindex(out.index)
    out["keeps_promise"] = pd.array(kept, dtype="boolean")
    out["promise_kept_share"] = shares
