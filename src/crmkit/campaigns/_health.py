"""A customer health score as data: weighted indicators, each scored 0-100, rolled up to bands.

As customer-success tools define it: each indicator (recency, spend, tickets, NPS...) is
scored against thresholds, or against the percentiles of a reference population fitted
once into a frozen model; the score is the weighted mean of the indicator points
(0-100), and bands (e.g. at risk / watch / healthy) cut the score. ``explain`` shows
each indicator's contribution ``weight * points / sum(weights)`` for one customer; the
contributions add up to the score.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from crmkit import _spec as spec
from crmkit import _stats
from crmkit._validate import first_labels, require_frame
from crmkit.errors import ConfigError, InvalidInputError, NotFittedError, SchemaError

__all__ = ["Band", "HealthModel", "HealthScore", "Indicator", "Percentile", "Thresholds"]

_POINTS = spec.number(min=0, max=100)
_NAME = spec.predicate(lambda v: isinstance(v, str) and bool(v), "a non-empty string")
_GRID = np.linspace(0.0, 100.0, 101)

F64 = np.ndarray[Any, np.dtype[np.float64]]


def _fraction_interp(values: F64, grid: F64) -> F64:
    """``np.interp(values, grid, _GRID)`` with the fraction of the gap taken first.

    The same segment as ``np.interp`` (from the last grid point at or below the value),
    but ``(value - grid[j]) / gap`` is a fraction in [0, 1] however small the gap, so the
    points stay between the segment's ends where ``np.interp``'s slope overflows.
    """
    j = np.clip(np.searchsorted(grid, values, side="right") - 1, 0, len(grid) - 2)
    gap = grid[j + 1] - grid[j]
    fraction = np.divide(values - grid[j], gap, out=np.zeros_like(values), where=gap > 0)
    return _GRID[j] + np.clip(fraction, 0.0, 1.0) * (_GRID[j + 1] - _GRID[j])


def _floats(value: Any) -> Any:
    value = spec.as_tuple(value)
    if not isinstance(value, tuple):
        return value  # ``each`` names it
    return tuple(float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value)


def _ascending(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not value or any(b <= a for a, b in itertools.pairwise(value)):
        raise ConfigError(
            type(instance).__name__, attribute.name,
            expected="one or more strictly ascending numbers", found=repr(list(value)),
        )  # fmt: skip


def _one_more_point(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if len(value) != len(instance.edges) + 1:
        raise ConfigError(
            type(instance).__name__, attribute.name,
            expected=f"{len(instance.edges) + 1} points (one more than the edges)",
            found=f"{len(value)}",
        )  # fmt: skip


@attrs.frozen
class Thresholds(spec.Spec):
    """Points by fixed thresholds: ``points[i]`` for values in ``[edges[i-1], edges[i])``.

    Values below ``edges[0]`` get ``points[0]``; at or above ``edges[-1]``, ``points[-1]``.

    Attributes:
        edges: Strictly ascending cut points.
        points: One more than ``edges``, each in [0, 100].

    Examples:
        >>> recency = Thresholds(edges=[30, 90, 180], points=[100, 70, 30, 0])
        >>> recency.score(np.array([10.0, 30.0, 200.0])).tolist()
        [100.0, 70.0, 0.0]
    """

    __spec_tag__: ClassVar[str] = "thresholds"
    edges: tuple[float, ...] = spec.field(
        converter=_floats, codec=spec.Seq(), validator=[spec.each(spec.number()), _ascending]
    )
    points: tuple[float, ...] = spec.field(
        converter=_floats, codec=spec.Seq(), validator=[spec.each(_POINTS), _one_more_point]
    )

    def score(self, values: F64) -> F64:
        """Return the points of each value (NaN stays NaN).

        Examples:
            >>> Thresholds(edges=[1], points=[0, 100]).score(np.array([0.5, 1.0])).tolist()
            [0.0, 100.0]
        """
        idx = np.searchsorted(np.asarray(self.edges), values, side="right")
        out = np.asarray(self.points, dtype=np.float64)[np.minimum(idx, len(self.edges))]
        return np.where(np.isnan(values), np.nan, out)


@attrs.frozen
class Percentile(spec.Spec):
    """Points by percentile in a reference population fitted once (see :meth:`HealthScore.fit`).

    The points are the percentile of the value among the fitted quantiles (101 of them,
    numpy's default "linear" quantiles, interpolated linearly between), so 100 for the
    best of the reference population and 0 for the worst. A value that several fitted
    quantiles equal (a tie group: the 60 % of customers with no open ticket) gets the
    middle of the percentiles they span, the mid-rank convention of
    ``scipy.stats.percentileofscore(kind="mean")`` applied to the fitted quantiles; so
    ``higher_is_better=False`` on a column scores exactly as the default does on the
    negated column.

    Attributes:
        higher_is_better: ``False`` for indicators such as recency or open tickets.

    Examples:
        >>> Percentile(higher_is_better=False).to_dict()
        {'schema_version': 1, 'kind': 'percentile', 'higher_is_better': False}
    """

    __spec_tag__: ClassVar[str] = "percentile"
    higher_is_better: bool = spec.field(
        default=True, validator=spec.instance_of(bool, "true or false")
    )


@attrs.frozen
class Indicator(spec.Spec):
    """One weighted indicator of the health score.

    Attributes:
        name: Its name in results and explanations.
        column: The numeric customer column it reads.
        weight: Its weight (> 0); weights are normalised by their sum.
        scoring: :class:`Thresholds` or :class:`Percentile`.
        missing_points: Points for a missing value (0 by default: no data is no health).

    Examples:
        >>> Indicator("recency", "recency_days", 2.0,
        ...           Thresholds([30, 90], [100, 50, 0])).to_dict()["scoring"]
        {'kind': 'thresholds', 'edges': [30.0, 90.0], 'points': [100.0, 50.0, 0.0]}
    """

    name: str = spec.field(validator=_NAME)
    column: str = spec.field(validator=_NAME)
    weight: float = spec.field(validator=spec.number(min=0, min_open=True))
    scoring: Thresholds | Percentile = spec.field(
        codec=spec.Union(Thresholds, Percentile),
        validator=spec.instance_of((Thresholds, Percentile), "Thresholds or Percentile"),
    )
    missing_points: float = spec.field(default=0.0, validator=_POINTS, omit_default=True)


@attrs.frozen
class Band(spec.Spec):
    """A band of the score: from ``min_score`` up to the next band's minimum.

    Examples:
        >>> Band("healthy", 70).to_dict()
        {'schema_version': 1, 'name': 'healthy', 'min_score': 70}
    """

    name: str = spec.field(validator=_NAME)
    min_score: float = spec.field(validator=_POINTS)


def _bands_ok(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    mins = [b.min_score for b in value]
    names = [b.name for b in value]
    if not value or mins[0] != 0 or any(b <= a for a, b in itertools.pairwise(mins)):
        raise ConfigError(
            type(instance).__name__, attribute.name,
            expected="bands with strictly ascending min_score, the first at 0",
            found=repr(mins),
        )  # fmt: skip
    if len(set(names)) != len(names):
        raise ConfigError(
            type(instance).__name__, attribute.name, expected="distinct band names",
            found=repr(names),
        )  # fmt: skip


def _indicators_ok(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    names = [i.name for i in value]
    if not value or len(set(names)) != len(names):
        raise ConfigError(
            type(instance).__name__, attribute.name,
            expected="one or more indicators with distinct names", found=repr(names),
        )  # fmt: skip


#: The default bands: at risk below 40, watch from 40, healthy from 70.
DEFAULT_BANDS = (Band("at risk", 0), Band("watch", 40), Band("healthy", 70))


@attrs.frozen
class HealthScore(spec.Spec):
    """The health score rules: indicators and bands, as data.

    Attributes:
        indicators: The weighted indicators (distinct names).
        bands: Ascending bands, the first from 0 (default: at risk / watch / healthy at
            0 / 40 / 70).

    Examples:
        >>> import pandas as pd
        >>> rules = HealthScore([
        ...     Indicator("recency", "recency_days", 2, Thresholds([30, 90, 180], [100, 70, 30, 0])),
        ...     Indicator("spend", "monetary", 1, Percentile()),
        ... ])
        >>> customers = pd.DataFrame({"recency_days": [12, 75, 400, 200],
        ...                           "monetary": [900.0, 300.0, 50.0, 120.0]},
        ...                          index=["ann", "bob", "cy", "dee"])
        >>> model = rules.fit(customers)
        >>> print(model.apply(customers).round(1).to_string())
             recency  spend  score     band
        ann    100.0  100.0  100.0  healthy
        bob     70.0   66.4   68.8    watch
        cy       0.0    0.0    0.0  at risk
        dee      0.0   33.2   11.1  at risk
        >>> HealthScore.from_dict(rules.to_dict()) == rules
        True
    """

    indicators: tuple[Indicator, ...] = spec.field(
        converter=spec.as_tuple,
        codec=spec.Seq(spec.Nested(Indicator)),
        validator=[spec.each(spec.instance_of(Indicator, "an Indicator")), _indicators_ok],
    )
    bands: tuple[Band, ...] = spec.field(
        default=DEFAULT_BANDS,
        converter=spec.as_tuple,
        codec=spec.Seq(spec.Nested(Band)),
        validator=[spec.each(spec.instance_of(Band, "a Band")), _bands_ok],
    )

    def fit(self, frame: pd.DataFrame | None = None) -> HealthModel:
        """Fit the percentile indicators on a reference population; return the frozen model.

        Args:
            frame: The reference customers (indexed by id). Needed only when an indicator
                scores by percentile; threshold-only scores fit without data.

        Returns:
            A :class:`HealthModel` that scores new customers identically, in batch or one
            at a time, and stores as JSON.

        Raises:
            NotFittedError: Percentile indicators but no frame.
            SchemaError: A column missing or not numeric.
            InvalidInputError: A percentile column without any value.

        Examples:
            >>> rules = HealthScore([Indicator("r", "r", 1, Thresholds([1], [0, 100]))])
            >>> rules.fit().apply_one({"r": 5})
            100.0
        """
        owner = "HealthScore.fit()"
        reference: dict[str, tuple[float, ...]] = {}
        for ind in self.indicators:
            if not isinstance(ind.scoring, Percentile):
                continue
            if frame is None:
                raise NotFittedError(
                    owner, "frame", expected="a reference frame for percentile indicators",
                    found="None", hint=f"Indicator {ind.name!r} scores by percentile.",
                )  # fmt: skip
            values = _numeric(frame, ind.column, owner)
            values = values[~np.isnan(values)]
            if values.size == 0:
                raise InvalidInputError(
                    owner, ind.column, expected="at least one value to fit percentiles",
                    found="none",
                )  # fmt: skip
            reference[ind.name] = tuple(float(q) for q in _stats.percentile_grid(values))
        n = 0 if frame is None else len(frame)
        return HealthModel(rules=self, reference=tuple(sorted(reference.items())), n_fitted=n)


def _numeric(frame: pd.DataFrame, column: str, owner: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    if column not in frame.columns:
        raise SchemaError(owner, column, expected="a column of the frame", found="no such column")
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        raise SchemaError(owner, column, expected="numeric", found=f"dtype {series.dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(values)
    if inf.any():
        raise InvalidInputError(
            owner, column, expected="finite numbers or missing", found="infinite values",
            rows=first_labels(frame.index, inf), total=int(inf.sum()),
        )  # fmt: skip
    return values


def _check_reference(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(
        isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value
    ):
        raise ConfigError(
            "HealthModel", attribute.name,
            expected="a mapping of indicator name -> fitted quantiles", found=repr(value),
        )  # fmt: skip
    wanted = {i.name for i in instance.rules.indicators if isinstance(i.scoring, Percentile)}
    names = [name for name, _ in value]
    if sorted(names) != sorted(wanted):
        raise ConfigError(
            "HealthModel", attribute.name,
            expected=f"fitted quantiles for exactly the percentile indicators {sorted(wanted)}",
            found=repr(sorted(names)),
        )  # fmt: skip
    for name, grid in value:
        ok = isinstance(grid, tuple) and len(grid) == len(_GRID)
        ok = ok and all(isinstance(q, float) and np.isfinite(q) for q in grid)
        if not ok or any(b < a for a, b in itertools.pairwise(grid)):
            raise ConfigError(
                "HealthModel", f"{attribute.name}[{name!r}]",
                expected=f"{len(_GRID)} ascending finite quantiles", found=f"{grid!r:.60}",
            )  # fmt: skip


def _grid_pairs(value: Any) -> Any:
    """Normalise ``{name: quantiles}`` (or pairs) to sorted ``(name, tuple)`` pairs."""
    items = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = [(k, tuple(float(x) for x in v)) for k, v in items]
    except (TypeError, ValueError):
        return value  # the validator reports it
    return tuple(sorted(pairs, key=lambda p: str(p[0])))


_REFERENCE = spec.Custom(
    lambda pairs: {name: list(grid) for name, grid in pairs},
    lambda data: _grid_pairs(_mapping(data)),
    "a mapping of indicator name -> 101 fitted quantiles",
)


def _mapping(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise TypeError("not a mapping")
    return data


def _stored_scorer(data: dict[str, Any]) -> dict[str, Any]:
    """A HealthScore's JSON (rules only) is not a fitted model: say so, not 'unknown key'."""
    if "rules" not in data and "indicators" in data:
        raise NotFittedError(
            "HealthModel.from_dict()", "data", expected="a fitted HealthModel (rules and reference)",
            found="a stored HealthScore (rules without fitted percentiles)",
            hint="Fit it first: HealthScore.from_dict(data).fit(frame).",
        )  # fmt: skip
    return data


@attrs.frozen
class HealthModel(spec.Spec):
    """A fitted health score: the rules plus the reference quantiles of percentile indicators.

    Attributes:
        rules: The :class:`HealthScore`.
        reference: Per percentile indicator, the 101 fitted quantiles (0 %, 1 %, ... 100 %),
            as ``(name, quantiles)`` pairs sorted by name (given as a mapping or pairs;
            written to JSON as a mapping).
        n_fitted: Customers in the reference population.

    Examples:
        >>> rules = HealthScore([Indicator("spend", "m", 1, Percentile())])
        >>> model = rules.fit(pd.DataFrame({"m": [10.0, 20.0, 30.0]}))
        >>> model.apply_one({"m": 25.0})
        75.0
        >>> HealthModel.from_dict(model.to_dict()) == model
        True
    """

    rules: HealthScore = spec.field(
        codec=spec.Nested(HealthScore), validator=spec.instance_of(HealthScore, "a HealthScore")
    )
    reference: tuple[tuple[str, tuple[float, ...]], ...] = spec.field(
        converter=_grid_pairs, codec=_REFERENCE, validator=_check_reference
    )
    n_fitted: int = spec.field(default=0, validator=spec.whole(min=0))

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Refuse a stored :class:`HealthScore` (not fitted) with a NotFittedError."""
        return _stored_scorer(data)

    def _points(self, ind: Indicator, values: F64) -> F64:
        if isinstance(ind.scoring, Thresholds):
            points = ind.scoring.score(values)
        else:
            grid = np.asarray(dict(self.reference)[ind.name])
            points = np.interp(values, grid, _GRID)
            # np.interp divides by the gap between grid points before multiplying: gaps
            # under ~1e-306 (subnormal values) overflow to an infinite score. Those
            # points are computed with the fraction of the gap first.
            overflow = np.isinf(points)
            if overflow.any():
                points[overflow] = _fraction_interp(values[overflow], grid)
            # A value on a flat run of the quantiles (a tie group of the reference) is at
            # every percentile of the run; np.interp returns the run's top, which made the
            # tie group's points depend on the direction (a customer with no ticket, as 60 %
            # of them, got 41 points where the mirrored column gave 100). The middle of the
            # run is the same from either side.
            first = np.searchsorted(grid, values, side="left")
            last = np.searchsorted(grid, values, side="right") - 1
            tied = last > first  # never for NaN: both searches give len(grid)
            points[tied] = (_GRID[first[tied]] + _GRID[last[tied]]) / 2
            if not ind.scoring.higher_is_better:
                points = 100.0 - points
        return np.where(np.isnan(values), ind.missing_points, points)

    def _bands(self) -> pd.CategoricalDtype:
        return pd.CategoricalDtype([b.name for b in self.rules.bands], ordered=True)

    def _roll_up(self, points: F64) -> tuple[F64, np.ndarray[Any, np.dtype[np.int64]]]:
        weights = np.asarray([i.weight for i in self.rules.indicators], dtype=np.float64)
        score = points @ (weights / weights.sum())
        score = np.round(score, 10)  # one rounding for batch and scalar alike
        # The band of the score as shown (one decimal): a printed 70.0 is never "watch".
        score = np.round(score, 1)
        mins = np.asarray([b.min_score for b in self.rules.bands], dtype=np.float64)
        band = np.searchsorted(mins, score, side="right") - 1
        return score, band.astype(np.int64)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Score every customer of ``frame``: indicator points, ``score`` and ``band``.

        Returns:
            Indexed like ``frame``: one column of points (0-100) per indicator, ``score``
            (the weighted mean, rounded to one decimal) and ``band`` (an ordered
            categorical of the band names).

        Raises:
            SchemaError: A column missing or not numeric.

        Examples:
            >>> rules = HealthScore([Indicator("r", "r", 1, Thresholds([1], [0, 100]))])
            >>> rules.fit().apply(pd.DataFrame({"r": [0, 2]}))["band"].tolist()
            ['at risk', 'healthy']
        """
        owner = "HealthModel.apply()"
        require_frame(frame, owner, "frame")
        columns = {}
        for ind in self.rules.indicators:
            columns[ind.name] = self._points(ind, _numeric(frame, ind.column, owner))
        points = np.column_stack(list(columns.values()))
        score, band = self._roll_up(points)
        out = pd.DataFrame(columns, index=frame.index)
        out["score"] = np.round(score, 1)
        out["band"] = pd.Categorical.from_codes(band, dtype=self._bands())
        return out

    def _one(self, customer: Mapping[str, Any]) -> F64:
        owner = "HealthModel.apply_one()"
        row = []
        for ind in self.rules.indicators:
            if ind.column not in customer:
                raise SchemaError(
                    owner, ind.column, expected="a key of the customer mapping", found="no such key"
                )
            value = customer[ind.column]
            if value is None or value is pd.NA:
                value = np.nan
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise SchemaError(owner, ind.column, expected="a number", found=repr(value))
            if np.isinf(value):  # as apply() refuses it: the scalar path agrees with the batch
                raise InvalidInputError(
                    owner, ind.column, expected="a finite number or missing", found=repr(value)
                )
            row.append(self._points(ind, np.array([float(value)]))[0])
        return np.array([row], dtype=np.float64)

    def apply_one(self, customer: Mapping[str, Any]) -> float:
        """Return one customer's score (rounded to one decimal), exactly as :meth:`apply`.

        Raises:
            SchemaError: A column missing from ``customer``, or a value that is not a number.
            InvalidInputError: An infinite value (as :meth:`apply` refuses it).

        Examples:
            >>> rules = HealthScore([Indicator("r", "r", 1, Thresholds([1], [0, 100]))])
            >>> rules.fit().apply_one({"r": 0})
            0.0
        """
        score, _ = self._roll_up(self._one(customer))
        return float(np.round(score[0], 1))

    def explain(self, customer: Mapping[str, Any]) -> pd.DataFrame:
        """Show each indicator's part in one customer's score.

        Returns:
            Indexed by indicator: ``column``, ``value``, ``points``, ``weight`` (normalised
            to sum to 1) and ``contribution`` (``weight * points``; they add up to the
            score). ``attrs`` holds ``score`` and ``band``.

        Examples:
            >>> rules = HealthScore([
            ...     Indicator("recency", "r", 3, Thresholds([30, 90], [100, 50, 0])),
            ...     Indicator("orders", "f", 1, Thresholds([2, 5], [0, 50, 100]))])
            >>> out = rules.fit().explain({"r": 45, "f": 6})
            >>> print(out.to_string())
                    column  value  points  weight  contribution
            recency      r   45.0    50.0    0.75          37.5
            orders       f    6.0   100.0    0.25          25.0
            >>> out.attrs["score"], out.attrs["band"]
            (62.5, 'watch')
        """
        points = self._one(customer)
        score, band = self._roll_up(points)
        weights = np.asarray([i.weight for i in self.rules.indicators], dtype=np.float64)
        weights = weights / weights.sum()
        values = [customer[i.column] for i in self.rules.indicators]
        out = pd.DataFrame(
            {
                "column": [i.column for i in self.rules.indicators],
                "value": np.array(
                    [np.nan if v is None or v is pd.NA else float(v) for v in values]
                ),
                "points": points[0],
                "weight": weights,
                "contribution": points[0] * weights,
            },
            index=pd.Index([i.name for i in self.rules.indicators], name=None),
        )
        out.attrs["score"] = float(np.round(score[0], 1))
        out.attrs["band"] = self.rules.bands[int(band[0])].name
        return out
