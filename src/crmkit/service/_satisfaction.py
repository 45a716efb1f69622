"""Satisfaction metrics with honest statistics: NPS, CSAT and CES.

Every metric returns a frozen result with its sample size, standard error and an interval
that names its method; none raises on empty or tiny input (``n = 0``, ``n = 1``, all
answers in one category): those results carry a ``reason`` instead. The policy choices
vendors disagree on are explicit keywords with documented defaults:

- ``missing="exclude"`` (default): missing / "no score" answers are left out of the
  denominator and counted in ``n_missing``; ``"include"`` keeps them in the denominator as
  neither promoter nor detractor (CustomerGauge's convention) or as not satisfied.
- ``invalid="raise"`` (default): scores off the scale or not whole numbers are an
  :class:`~crmkit.errors.InvalidInputError`; ``"exclude"`` drops them and counts them in
  ``n_invalid``.
- Weights: ``weights_kind="sampling"`` (default) gives the Horvitz-Thompson-style ratio
  estimate with a linearised (Taylor) standard error, Kish's effective sample size and
  design effect; ``"frequency"`` treats whole-number weights as repeat counts, exactly
  like duplicating rows.
- ``population_size``: finite-population correction ``(N - n) / (N - 1)`` for small bases.
- Rounding happens only in ``format()`` (half-up by default); shares can be forced to sum
  to 100 by the largest-remainder method (:func:`round_shares`).

NPS intervals (``ci=``): ``"wald"``; ``"adjusted_wald"`` (default; Rocks 2016 and
MeasuringU: add 3/4 detractor, 3/2 passive, 3/4 promoter and centre on the adjusted
score); ``"score"`` (the iterative Tango-type score interval of the R ``NPS`` package,
followed step by step); ``"bootstrap"`` (seeded percentile bootstrap). The variance is the
trinomial one, ``p + d - (p - d)**2`` per response: promoters and detractors are not
independent.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from crmkit import _stats
from crmkit._rounding import apportion, round_decimal, to_decimal
from crmkit._stats import _check_level
from crmkit._validate import check_keys, first_labels, require_columns, require_frame
from crmkit.errors import ConfigError, InvalidInputError

__all__ = [
    "Interval",
    "NpsComparison",
    "NpsResult",
    "NpsScheme",
    "ProportionComparison",
    "ScaleResult",
    "ces",
    "compare_groups",
    "compare_nps",
    "compare_proportions",
    "csat",
    "metric_table",
    "nps",
    "nps_from_counts",
    "nps_sample_size",
    "round_shares",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

NPS_METHODS = ("wald", "adjusted_wald", "score", "bootstrap")
_METHOD_LABELS = {
    "wald": "Wald",
    "adjusted_wald": "adjusted Wald",
    "score": "score",
    "bootstrap": "bootstrap",
    "wilson": "Wilson",
    "agresti_coull": "Agresti-Coull",
    "clopper_pearson": "Clopper-Pearson",
    "jeffreys": "Jeffreys",
    "t": "t",
    "newcombe": "Newcombe",
}

#: Default low-sample threshold: results below it are flagged (never hidden).
DEFAULT_MIN_N = 30


# --------------------------------------------------------------------------- rounding


def _round(value: float | Fraction, decimals: int, rounding: str, owner: str) -> Decimal:
    """Round for display; a Fraction is rounded exactly (ties decided on the exact value)."""
    return round_decimal(value, decimals, rounding, owner)


def round_shares(
    values: Sequence[float | Fraction],
    decimals: int = 0,
    *,
    total: int = 100,
    rounding: str = "half_up",
    sum_to_total: bool = True,
) -> list[Decimal]:
    """Round shares for display; optionally force them to sum to ``total``.

    With ``sum_to_total=True`` (the default) the largest-remainder (Hamilton) method is
    used: every share is rounded down to ``decimals``, then the units still missing go to
    the shares with the largest remainders (ties: the earlier share). Otherwise each share
    is rounded on its own with ``rounding``. Shares that do not add up to ``total`` to
    begin with are rounded on their own.

    Args:
        values: The shares, e.g. detractor, passive and promoter percentages.
        decimals: Decimal places to show.
        total: What the shares add up to (100 for percentages).
        rounding: A mode of :data:`crmkit._rounding.ROUNDING_MODES` (``"half_up"`` by
            default: ties away from zero); used when not forcing the total.
        sum_to_total: Force the rounded shares to add up to ``total``.

    Returns:
        The rounded shares as :class:`~decimal.Decimal`.

    Examples:
        >>> round_shares([100 / 3, 100 / 3, 100 / 3])
        [Decimal('34'), Decimal('33'), Decimal('33')]
        >>> round_shares([100 / 3, 100 / 3, 100 / 3], sum_to_total=False)
        [Decimal('33'), Decimal('33'), Decimal('33')]
    """
    owner = "round_shares()"
    exact = [to_decimal(v) for v in values]
    if not sum_to_total or not exact:
        return [_round(v, decimals, rounding, owner) for v in values]
    _round(0.0, decimals, rounding, owner)  # validates decimals and rounding
    unit = Decimal(1).scaleb(-decimals)
    if abs(sum(exact) - Decimal(total)) > Decimal("1e-6"):
        return [_round(v, decimals, rounding, owner) for v in values]
    try:
        units = apportion([v.scaleb(decimals) for v in exact], total * 10**decimals)
    except ValueError:
        # Off by more than one unit of the last place per share (e.g. many decimals):
        # no largest-remainder split can hit the total, so round each on its own.
        return [_round(v, decimals, rounding, owner) for v in values]
    return [Decimal(u).scaleb(-decimals).quantize(unit) for u in units]


# --------------------------------------------------------------------------- results


@attrs.frozen
class Interval:
    """A confidence interval with its level and method.

    Attributes:
        lower: Lower bound, on the metric's scale (points for NPS, percent for shares).
        upper: Upper bound.
        level: Two-sided confidence level.
        method: How it was computed (``"adjusted_wald"``, ``"wilson"``, ``"t"``, ...).

    Examples:
        >>> Interval(38.2, 51.9, 0.95, "adjusted_wald").width
        13.7
    """

    lower: float
    upper: float
    level: float
    method: str

    @property
    def width(self) -> float:
        """``upper - lower`` (rounded to 12 significant digits to hide float noise).

        Examples:
            >>> Interval(1.0, 3.5, 0.9, "t").width
            2.5
        """
        return float(f"{self.upper - self.lower:.12g}")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the closed interval.

        Examples:
            >>> Interval(0.0, 10.0, 0.95, "wald").contains(10.0)
            True
        """
        return self.lower <= value <= self.upper

    def format(self, decimals: int = 0, rounding: str = "half_up") -> str:
        """Show the interval as ``"95% CI 38 to 52"``.

        Examples:
            >>> Interval(38.5, 51.49, 0.95, "wald").format()
            '95% CI 39 to 51'
        """
        lo = _round(self.lower, decimals, rounding, "Interval.format()")
        hi = _round(self.upper, decimals, rounding, "Interval.format()")
        return f"{_level_text(self.level)}% CI {lo} to {hi}"


def _level_text(level: float) -> str:
    return f"{Decimal(repr(round(level * 100, 10))).normalize():f}"


def _scheme_check(instance: NpsScheme, attribute: Any, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError("NpsScheme", attribute.name, expected="an int", found=repr(value))


@attrs.frozen
class NpsScheme:
    """How scores map to detractors, passives and promoters.

    The default is the standard 0-10 scale with detractors 0-6, passives 7-8 and
    promoters 9-10 (Reichheld / Bain; the R ``NPS`` package's ``breaks``).

    Attributes:
        scale_min: Lowest score on the scale.
        scale_max: Highest score on the scale.
        detractor_max: Highest score that counts as a detractor.
        promoter_min: Lowest score that counts as a promoter.

    Examples:
        >>> NpsScheme().to_dict()
        {'scale_min': 0, 'scale_max': 10, 'detractor_max': 6, 'promoter_min': 9}
        >>> NpsScheme(scale_min=1, scale_max=5, detractor_max=3, promoter_min=5).category(4)
        'passive'
    """

    scale_min: int = attrs.field(default=0, validator=_scheme_check)
    scale_max: int = attrs.field(default=10, validator=_scheme_check)
    detractor_max: int = attrs.field(default=6, validator=_scheme_check)
    promoter_min: int = attrs.field(default=9, validator=_scheme_check)

    def __attrs_post_init__(self) -> None:
        if not self.scale_min <= self.detractor_max < self.promoter_min <= self.scale_max:
            raise ConfigError(
                "NpsScheme",
                "detractor_max, promoter_min",
                expected="scale_min <= detractor_max < promoter_min <= scale_max",
                found=(
                    f"scale {self.scale_min}-{self.scale_max}, detractor_max "
                    f"{self.detractor_max}, promoter_min {self.promoter_min}"
                ),
                kind="parameters",
            )

    def category(self, score: int) -> str:
        """Return ``"detractor"``, ``"passive"`` or ``"promoter"`` for one score.

        Examples:
            >>> NpsScheme().category(8)
            'passive'
        """
        if not self.scale_min <= score <= self.scale_max:
            raise InvalidInputError(
                "NpsScheme.category()",
                "score",
                expected=f"in [{self.scale_min}, {self.scale_max}]",
                found=repr(score),
                kind="parameter",
            )
        if score <= self.detractor_max:
            return "detractor"
        return "promoter" if score >= self.promoter_min else "passive"

    def to_dict(self) -> dict[str, int]:
        """Return the scheme as a JSON-ready dict.

        Examples:
            >>> NpsScheme.from_dict(NpsScheme().to_dict()) == NpsScheme()
            True
        """
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NpsScheme:
        """Build a scheme from :meth:`to_dict` output; unknown keys are a ``ConfigError``.

        Examples:
            >>> NpsScheme.from_dict({"promoter_min": 10}).promoter_min
            10
        """
        check_keys(data, "NpsScheme.from_dict()", allowed=[f.name for f in attrs.fields(cls)])
        return cls(**data)


def _join(reasons: Iterable[str | None]) -> str | None:
    parts = [r for r in reasons if r]
    return "; ".join(parts) if parts else None


@attrs.frozen
class NpsResult:
    """A Net Promoter Score with its sampling statistics.

    Attributes:
        value: NPS in points (-100..100), or ``None`` when there is nothing to estimate.
        exact: The unweighted NPS as an exact fraction of points (``None`` when weighted or
            empty); rounding in :meth:`format` starts from it.
        n: Responses in the denominator.
        n_missing: Missing / "no score" answers left out (``missing="exclude"``).
        n_invalid: Off-scale or non-integer scores left out (``invalid="exclude"``).
        detractors: Number of detractor responses (rows, unweighted).
        passives: Number of passive responses.
        promoters: Number of promoter responses.
        shares: Percent detractors, passives and promoters (weighted when weighted).
        variance: Per-response trinomial variance ``p + d - (p - d)**2`` on the -1..1
            scale, as R ``NPS::nps_var`` (``None`` when ``n = 0``).
        se: Standard error in points (linearised when weighted, with the FPC applied).
        interval: The confidence interval in points, clipped to [-100, 100].
        n_effective: Kish effective sample size ``(sum w)**2 / sum w**2`` (``n`` unweighted).
        design_effect: Kish design effect ``n / n_effective``.
        weighted: Whether sampling weights were used.
        population_size: ``N`` of the finite-population correction, if given.
        min_n: The low-sample threshold used.
        low_sample: ``n < min_n``: show the result, but flag it.
        reason: Why a value or interval is missing or degenerate (``None`` when fine).
        scheme: The category cut-offs used.
        n_zero_weight: Answered rows left out because their sampling weight is 0 (they
            carry no information; counted so that nothing is dropped silently).

    Examples:
        >>> r = nps([10, 9, 9, 8, 3, 10, 7, 9, 0, 10])
        >>> r.value, r.n, (r.detractors, r.passives, r.promoters)
        (40.0, 10, (2, 2, 6))
        >>> r.format()
        'NPS 40 (95% CI -13 to 74, adjusted Wald; n = 10, low sample)'
    """

    value: float | None
    exact: Fraction | None
    n: int
    n_missing: int
    n_invalid: int
    detractors: int
    passives: int
    promoters: int
    shares: dict[str, float]
    variance: float | None
    se: float | None
    interval: Interval | None
    n_effective: float
    design_effect: float
    weighted: bool
    population_size: int | None
    min_n: int
    low_sample: bool
    reason: str | None
    scheme: NpsScheme
    n_zero_weight: int = 0

    def format(self, decimals: int = 0, rounding: str = "half_up") -> str:
        """Show the score, rounded only now, with its interval and sample size.

        Args:
            decimals: Decimal places.
            rounding: ``"half_up"`` (default), ``"half_even"``, ``"down"`` or ``"up"``.

        Returns:
            A one-line summary.

        Examples:
            >>> nps([]).format()
            'NPS n/a (n = 0: no responses)'
        """
        if self.value is None:
            return f"NPS n/a (n = {self.n}: {self.reason})"
        point = self.exact if self.exact is not None else self.value
        text = f"NPS {_round(point, decimals, rounding, 'NpsResult.format()')}"
        return text + _tail(self.interval, self.n, self.low_sample, decimals, rounding)

    def rounded_shares(
        self, decimals: int = 0, *, sum_to_100: bool = True, rounding: str = "half_up"
    ) -> dict[str, Decimal]:
        """Return the detractor, passive and promoter shares rounded for display.

        With ``sum_to_100`` (default) the largest-remainder method makes them add up to
        100 exactly.

        Examples:
            >>> nps_from_counts(1, 1, 1).rounded_shares()
            {'detractors': Decimal('34'), 'passives': Decimal('33'), 'promoters': Decimal('33')}
        """
        if self.n == 0:
            return {k: Decimal(0) for k in self.shares}
        if self.weighted:
            values: list[float | Fraction] = list(self.shares.values())
        else:
            counts = (self.detractors, self.passives, self.promoters)
            values = [Fraction(100 * c, self.n) for c in counts]
        rounded = round_shares(
            values, decimals, total=100, rounding=rounding, sum_to_total=sum_to_100
        )
        return dict(zip(self.shares, rounded, strict=True))


def _tail(
    interval: Interval | None, n: int | float, low: bool, decimals: int, rounding: str
) -> str:
    parts = []
    if interval is not None:
        label = _METHOD_LABELS.get(interval.method, interval.method)
        parts.append(f"{interval.format(decimals, rounding)}, {label}")
    note = f"n = {n}" + (", low sample" if low else "")
    return f" ({'; '.join([*parts, note])})"


@attrs.frozen
class ScaleResult:
    """A CSAT or CES summary: the share of positive answers and the mean, with intervals.

    Attributes:
        metric: ``"csat"`` or ``"ces"``.
        version: CES version (``"2.0"`` or ``"1.0"``), ``None`` for CSAT.
        scale: ``(low, high)`` of the answer scale.
        positive: The answers that count as positive (top box, "agree", low effort).
        polarity: ``"higher_is_better"`` or ``"lower_is_better"`` for the mean (CES 1.0
            measures effort: lower is better). The share is always of good answers.
        value: Percent positive (0-100), ``None`` when ``n = 0``.
        exact: The unweighted share as an exact fraction of percent.
        positives: Number of positive answers (rows).
        n: Answers in the denominator.
        n_missing: Missing answers left out.
        n_invalid: Off-scale or non-integer answers left out.
        se: Standard error of the share, in percentage points.
        interval: Interval of the share in percent, clipped to [0, 100].
        mean: Mean answer (weighted when weighted), ``None`` when ``n = 0``.
        sd: Standard deviation of the answers (``n - 1`` divisor), ``None`` when ``n < 2``.
        mean_se: Standard error of the mean.
        mean_interval: t interval of the mean, clipped to the scale.
        n_effective: Kish effective sample size.
        design_effect: Kish design effect.
        weighted: Whether sampling weights were used.
        population_size: ``N`` of the finite-population correction, if given.
        min_n: Low-sample threshold.
        low_sample: ``n < min_n``.
        reason: Why something is missing or degenerate, else ``None``.
        n_zero_weight: Answered rows left out because their sampling weight is 0.

    Examples:
        >>> r = csat({1: 15, 2: 5, 3: 10, 4: 30, 5: 40})
        >>> r.format(), r.mean
        ('CSAT 70% (95% CI 60% to 78%, Wilson; n = 100)', 3.75)
    """

    metric: str
    version: str | None
    scale: tuple[int, int]
    positive: frozenset[int]
    polarity: str
    value: float | None
    exact: Fraction | None
    positives: int
    n: int
    n_missing: int
    n_invalid: int
    se: float | None
    interval: Interval | None
    mean: float | None
    sd: float | None
    mean_se: float | None
    mean_interval: Interval | None
    n_effective: float
    design_effect: float
    weighted: bool
    population_size: int | None
    min_n: int
    low_sample: bool
    reason: str | None
    n_zero_weight: int = 0

    def format(self, decimals: int = 0, rounding: str = "half_up", *, what: str = "share") -> str:
        """Show the share (``what="share"``) or the mean (``what="mean"``), rounded now.

        Examples:
            >>> ces([7, 6, 5, 4, 6]).format(what="mean", decimals=1)
            'CES 2.0 mean 5.6 (95% CI 4.2 to 7.0, t; n = 5, low sample)'
        """
        owner = f"{type(self).__name__}.format()"
        name = self.metric.upper() + (f" {self.version}" if self.version else "")
        if what not in ("share", "mean"):
            raise ConfigError(owner, "what", expected="'share' or 'mean'", found=repr(what))
        if self.value is None or (what == "mean" and self.mean is None):
            return f"{name} n/a (n = {self.n}: {self.reason})"
        if what == "mean" and self.mean is not None:
            text = f"{name} mean {_round(self.mean, decimals, rounding, owner)}"
            return text + _tail(self.mean_interval, self.n, self.low_sample, decimals, rounding)
        point = self.exact if self.exact is not None else self.value
        interval = self.interval
        tail = _tail(interval, self.n, self.low_sample, decimals, rounding)
        if interval is not None:
            lo = _round(interval.lower, decimals, rounding, owner)
            hi = _round(interval.upper, decimals, rounding, owner)
            level = _level_text(interval.level)
            label = _METHOD_LABELS.get(interval.method, interval.method)
            low = ", low sample" if self.low_sample else ""
            tail = f" ({level}% CI {lo}% to {hi}%, {label}; n = {self.n}{low})"
        return f"{name} {_round(point, decimals, rounding, owner)}%" + tail


# --------------------------------------------------------------------------- input parsing


@attrs.frozen
class _Parsed:
    """Scores reduced to rows: value per row, repeat count, sampling weight."""

    values: FloatArray  # NaN for missing (when included)
    freq: FloatArray
    weights: FloatArray | None
    n_missing: int
    n_invalid: int
    kept: np.ndarray[Any, Any]  # per input row: used in the estimate
    missing: np.ndarray[Any, Any]  # per input row: missing answer
    zero_weight: np.ndarray[Any, Any]  # per input row: answered, but sampling weight 0

    @property
    def n_zero_weight(self) -> int:
        """Rows left out because their sampling weight is 0."""
        return int(self.zero_weight.sum())


def _as_series(obj: Any, owner: str, name: str) -> pd.Series:
    if isinstance(obj, pd.Series):
        return obj
    if isinstance(obj, pd.DataFrame):
        raise InvalidInputError(
            owner,
            name,
            expected="a Series, array, list or mapping of counts",
            found="a DataFrame",
            hint="Pass one column, e.g. frame['nps'].",
            kind="",
        )
    if isinstance(obj, (str, bytes)) or not isinstance(obj, Iterable):
        raise InvalidInputError(
            owner,
            name,
            expected="a Series, array, list or mapping of counts",
            found=type(obj).__name__,
            kind="",
        )
    return pd.Series(list(obj) if not isinstance(obj, np.ndarray) else obj, dtype=object)


def _numeric(series: pd.Series, owner: str, name: str) -> tuple[FloatArray, np.ndarray[Any, Any]]:
    """Return float values (NaN where missing) and the missing mask."""
    missing = np.array(series.isna().to_numpy(dtype=bool), dtype=bool)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise InvalidInputError(owner, name, expected="numeric scores", found="booleans", kind="")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:

        def is_number(v: Any) -> bool:
            return isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))

        ok = np.array(series.map(is_number).to_numpy(dtype=bool), dtype=bool) | missing
        if not ok.all():
            bad = ~ok
            raise InvalidInputError(
                owner,
                name,
                expected="numeric scores",
                found=f"{int(bad.sum())} non-numeric values",
                rows=first_labels(series.index, bad),
                total=int(bad.sum()),
            )
        values = (
            np.array(
                [np.nan if m else float(v) for v, m in zip(series.tolist(), missing, strict=True)],
                dtype=np.float64,
            )
            if len(series)
            else np.empty(0)
        )
    missing = missing | np.isnan(values)
    return values, missing


def _parse(
    scores: Any,
    *,
    weights: Any,
    weights_kind: str,
    scale: tuple[int, int],
    missing: str,
    invalid: str,
    owner: str,
    names: tuple[str, str] = ("scores", "weights"),
) -> _Parsed:
    """Validate scores (and weights) and reduce them to rows; ``names`` label the errors."""
    score_name, weight_name = names
    if missing not in ("exclude", "include"):
        raise ConfigError(owner, "missing", expected="'exclude' or 'include'", found=repr(missing))
    if invalid not in ("raise", "exclude"):
        raise ConfigError(owner, "invalid", expected="'raise' or 'exclude'", found=repr(invalid))
    if weights_kind not in ("sampling", "frequency"):
        raise ConfigError(
            owner, "weights_kind", expected="'sampling' or 'frequency'", found=repr(weights_kind)
        )
    if isinstance(scores, Mapping):
        if weights is not None:
            raise ConfigError(
                owner,
                "weights",
                expected="None when scores is a mapping of counts",
                found="weights",
                hint="A mapping already gives each score's count.",
            )
        keys = list(scores.keys())
        counts = pd.Series(list(scores.values()), index=pd.Index(keys, dtype=object), dtype=object)
        count_values, count_missing = _numeric(counts.reset_index(drop=True), owner, "counts")
        bad = count_missing | (count_values < 0) | (count_values != np.floor(count_values))
        if bad.any():
            raise InvalidInputError(
                owner,
                "scores",
                expected="a mapping of scores to whole, non-negative counts",
                found=f"{int(bad.sum())} bad counts",
                rows=[keys[i] for i in np.flatnonzero(bad)[:5]],
                total=int(bad.sum()),
                kind="",
            )
        series = pd.Series(keys, dtype=object)
        freq = count_values
        w_series: pd.Series | None = None
    else:
        series = _as_series(scores, owner, "scores")
        freq = np.ones(len(series))
        w_series = None
        if weights is not None:
            w_series = (
                weights.reindex(series.index)
                if isinstance(weights, pd.Series) and isinstance(scores, pd.Series)
                else _as_series(weights, owner, "weights")
            )
            if len(w_series) != len(series):
                raise InvalidInputError(
                    owner,
                    "weights",
                    expected=f"{len(series)} values, one per score",
                    found=f"{len(w_series)} values",
                    kind="",
                )
    values, miss = _numeric(series, owner, score_name)
    w: FloatArray | None = None
    if w_series is not None:
        w_values, w_miss = _numeric(w_series.set_axis(series.index), owner, weight_name)
        bad_w = w_miss | ~np.isfinite(w_values) | (w_values < 0)
        if weights_kind == "frequency":
            bad_w |= w_values != np.floor(np.nan_to_num(w_values))
        if bad_w.any():
            expected = "whole numbers >= 0" if weights_kind == "frequency" else "finite and >= 0"
            raise InvalidInputError(
                owner,
                weight_name,
                expected=expected,
                found=f"{int(bad_w.sum())} bad weights",
                rows=first_labels(series.index, bad_w),
                total=int(bad_w.sum()),
            )
        if weights_kind == "frequency":
            freq = freq * w_values
        else:
            w = w_values
    lo, hi = scale
    present = ~miss
    off = present & ((values < lo) | (values > hi) | (values != np.floor(np.nan_to_num(values))))
    n_invalid = int(freq[off].sum())
    if off.any() and invalid == "raise":
        raise InvalidInputError(
            owner,
            score_name,
            expected=f"whole numbers in [{lo}, {hi}]",
            found=f"{int(off.sum())} invalid scores",
            rows=first_labels(series.index, off),
            total=int(off.sum()),
            hint="Fix them, or pass invalid='exclude' to leave them out (they are counted).",
            kind="",
        )
    keep = ~off
    if missing == "exclude":
        keep &= present
    n_missing = int(freq[miss].sum()) if missing == "exclude" else 0
    zero_weight = np.zeros(len(keep), dtype=bool)
    if w is not None:
        zero_weight = keep & (w == 0)
        keep &= w > 0
    return _Parsed(
        values=values[keep],
        freq=freq[keep],
        weights=None if w is None else w[keep],
        n_missing=n_missing,
        n_invalid=n_invalid if invalid == "exclude" else 0,
        kept=keep,
        missing=miss,
        zero_weight=zero_weight,
    )


def _check_population(population_size: int | None, owner: str) -> None:
    if population_size is not None and (
        not isinstance(population_size, (int, np.integer))
        or isinstance(population_size, bool)
        or population_size < 1
    ):
        raise ConfigError(
            owner, "population_size", expected="None or an int >= 1", found=repr(population_size)
        )


def _check_min_n(min_n: int, owner: str) -> None:
    if not isinstance(min_n, int) or isinstance(min_n, bool) or min_n < 0:
        raise ConfigError(owner, "min_n", expected="an int >= 0", found=repr(min_n))


def _fpc(n: FloatArray, population_size: int | None, owner: str) -> FloatArray:
    """Finite-population correction factor ``(N - n) / (N - 1)`` (1 without ``N``)."""
    if population_size is None:
        return np.ones_like(n)
    too_many = n > population_size
    if too_many.any():
        raise ConfigError(
            owner,
            "population_size",
            expected="at least the number of responses",
            found=f"N = {population_size} < n = {int(n[too_many][0])}",
        )
    if population_size == 1:
        return np.zeros_like(n)
    return np.asarray((population_size - n) / (population_size - 1), dtype=np.float64)


# --------------------------------------------------------------------------- NPS engine


@attrs.frozen
class _NpsSums:
    """Per-group sums from which every NPS statistic follows (arrays, one per group)."""

    n: FloatArray  # responses (rows x repeat counts)
    det: FloatArray  # unweighted counts
    pas: FloatArray
    pro: FloatArray
    w: FloatArray  # sum of weights (== n unweighted)
    w2: FloatArray  # sum of squared weights (== n unweighted)
    wd: FloatArray  # weighted detractor / promoter sums
    wp: FloatArray
    w2y: FloatArray  # sum w^2 y and sum w^2 y^2 with y in {-1, 0, 1}
    w2yy: FloatArray


def _nps_sums(
    codes: np.ndarray[Any, Any],
    freq: FloatArray,
    weights: FloatArray | None,
    group: np.ndarray[Any, Any],
    n_groups: int,
) -> _NpsSums:
    """Sum per group; ``codes`` is -1 / 0 / +1 per row (0 also for included missing)."""

    def bincount(values: FloatArray) -> FloatArray:
        return np.bincount(group, weights=values, minlength=n_groups).astype(np.float64)

    det = (codes == -1).astype(np.float64) * freq
    pro = (codes == 1).astype(np.float64) * freq
    w = np.ones_like(freq) if weights is None else weights
    y = codes.astype(np.float64)
    return _NpsSums(
        n=bincount(freq),
        det=bincount(det),
        pas=bincount(freq - det - pro),
        pro=bincount(pro),
        w=bincount(freq * w),
        w2=bincount(freq * w * w),
        wd=bincount(det * w),
        wp=bincount(pro * w),
        w2y=bincount(freq * w * w * y),
        w2yy=bincount(freq * w * w * y * y),
    )


def _tango_score_interval(
    b: FloatArray, c: FloatArray, n: FloatArray, z: float
) -> tuple[FloatArray, FloatArray]:
    """The iterative score interval of the R ``NPS`` package (``iterative()``), vectorised.

    ``b`` detractors, ``c`` promoters, ``n`` responses (may be effective, fractional counts),
    on the -1..1 scale. The R code, followed exactly: for the upper limit start at the
    estimate with step ``1 - nps``; up to 50 times halve the step, try ``nps + step``,
    compute the score statistic ``(c - b - n*D) / sqrt(n*(2*q + D*(1 - D)))`` with ``q`` the
    restricted estimate ``(sqrt(B**2 - 4*A*C) - B) / (2*A)``, ``A = 2n``,
    ``B = -b - c + (2n - c + b)*D``, ``C = -b*D*(1 - D)``; move to the trial point when
    ``|score| < z``; stop when the step is below 1e-7 or ``|z - score| < 1e-6`` and report
    the last trial point. The lower limit then searches downward the same way, starting
    from where the upper search left the estimate (as the R code does). ``c == n`` gives
    the upper limit 1 and ``b == n`` the lower limit -1.
    """
    pa = 2 * n

    def score(delta: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            pb = -b - c + (2 * n - c + b) * delta
            pc = -b * delta * (1 - delta)
            q = (np.sqrt(pb**2 - 4 * pa * pc) - pb) / (2 * pa)
            return np.asarray((c - b - n * delta) / np.sqrt(n * (2 * q + delta * (1 - delta))))

    est = (c - b) / n

    def search(
        direction: float, boundary_done: np.ndarray[Any, Any], start: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        current = start.copy()
        step = 1 - current if direction > 0 else 1 + current
        done = boundary_done.copy()
        limit = np.full_like(current, direction)
        last = current.copy()
        for _ in range(50):
            if done.all():
                break
            step = 0.5 * step
            trial = current + direction * step
            s = score(trial)
            with np.errstate(invalid="ignore"):
                inside = ~done & (np.abs(s) < z)
                stop = ~done & ((step < 1e-7) | (np.abs(z - s) < 1e-6))
            current = np.where(inside, trial, current)
            limit = np.where(stop, trial, limit)
            last = np.where(done, last, trial)
            done = done | stop
        limit = np.where(done | boundary_done, limit, last)
        return limit, current

    upper, moved = search(+1.0, c >= n, est)
    lower, _ = search(-1.0, b >= n, moved)
    return lower, upper


def _nps_intervals(
    sums: _NpsSums,
    *,
    method: str | None,
    level: float,
    fpc: FloatArray,
    seed: int,
    n_boot: int,
    rows: Sequence[tuple[FloatArray, FloatArray | None]] | None = None,
) -> dict[str, FloatArray]:
    """Value, shares, variance, SE and interval per group, on the -1..1 scale."""
    n = sums.n
    has = n > 0
    safe_w = np.where(has, sums.w, 1.0)
    p = np.where(has, sums.wp / safe_w, 0.0)
    d = np.where(has, sums.wd / safe_w, 0.0)
    value = p - d
    variance = np.maximum(p + d - value**2, 0.0)
    # Linearised variance of the ratio mean: sum w^2 (y - ybar)^2 / (sum w)^2; with all
    # weights 1 it is exactly variance / n (the unweighted trinomial SE of Rocks 2016).
    lin = (sums.w2yy - 2 * value * sums.w2y + value**2 * sums.w2) / safe_w**2
    lin = np.where(has, np.maximum(lin, 0.0), 0.0)
    n_eff = np.where(has, sums.w**2 / np.where(has, sums.w2, 1.0), 0.0)
    se = np.sqrt(lin * fpc)
    # The score in points straight from the sums: one rounding (a division of whole
    # numbers when unweighted), so ties such as 14.5 stay exact for half-up display.
    points = np.where(has, 100 * (sums.wp - sums.wd) / safe_w, 0.0)
    out = {
        "value": value,
        "points": points,
        "p": p,
        "d": d,
        "variance": variance,
        "se": se,
        "n_eff": n_eff,
        "lower": np.full_like(value, np.nan),
        "upper": np.full_like(value, np.nan),
    }
    if method is None:
        return out
    z = _stats.z_value(level)
    if method == "wald":
        lower, upper = value - z * se, value + z * se
    elif method == "adjusted_wald":
        n_tilde = n_eff + 3
        p_t = (p * n_eff + 0.75) / n_tilde
        d_t = (d * n_eff + 0.75) / n_tilde
        centre = p_t - d_t
        var_t = p_t + d_t - centre**2
        half = z * np.sqrt(var_t / n_tilde * fpc)
        lower, upper = centre - half, centre + half
    elif method == "score":
        # The FPC shrinks the variance by fpc, i.e. inflates the information to n / fpc.
        with np.errstate(divide="ignore"):
            m = np.where(has, n_eff / np.where(fpc > 0, fpc, 1.0), 1.0)
        lower, upper = _tango_score_interval(d * m, p * m, m, z)
    else:  # bootstrap
        lower, upper = _nps_bootstrap(
            sums, p=p, d=d, value=value, fpc=fpc, level=level, seed=seed, n_boot=n_boot, rows=rows
        )
    census = fpc == 0
    lower = np.where(census, value, lower)
    upper = np.where(census, value, upper)
    out["lower"] = np.where(has, np.clip(lower, -1.0, 1.0), np.nan)
    out["upper"] = np.where(has, np.clip(upper, -1.0, 1.0), np.nan)
    return out


def _nps_bootstrap(
    sums: _NpsSums,
    *,
    p: FloatArray,
    d: FloatArray,
    value: FloatArray,
    fpc: FloatArray,
    level: float,
    seed: int,
    n_boot: int,
    rows: Sequence[tuple[FloatArray, FloatArray | None]] | None,
) -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    alpha = 1 - level
    weighted = rows is not None and any(w is not None for _, w in rows)
    if not weighted:
        n_int = sums.n.astype(np.int64)
        probs = np.stack([p, np.clip(1 - p - d, 0.0, 1.0), d], axis=-1)
        probs = probs / np.where(
            probs.sum(axis=-1, keepdims=True) > 0, probs.sum(axis=-1, keepdims=True), 1.0
        )
        probs[n_int == 0] = [0.0, 1.0, 0.0]
        draws = rng.multinomial(n_int, probs, size=(n_boot, len(n_int)))
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = (draws[..., 0] - draws[..., 2]) / np.where(n_int > 0, n_int, 1)
    else:
        assert rows is not None
        reps = np.empty((n_boot, len(rows)))
        for g, (codes, w) in enumerate(rows):
            k = len(codes)
            if k == 0:
                reps[:, g] = 0.0
                continue
            weights = np.ones(k) if w is None else w
            for start in range(0, n_boot, 256):
                stop = min(n_boot, start + 256)
                idx = rng.integers(0, max(k, 1), size=(stop - start, k))
                ww = weights[idx]
                reps[start:stop, g] = (ww * codes[idx]).sum(axis=1) / ww.sum(axis=1)
    # The FPC scales the spread of the replicates around the estimate.
    reps = value + (reps - value) * np.sqrt(fpc)
    lower = np.quantile(reps, alpha / 2, axis=0)
    upper = np.quantile(reps, 1 - alpha / 2, axis=0)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _nps_reasons(
    sums: _NpsSums, method: str | None, fpc: FloatArray, min_n: int
) -> list[str | None]:
    reasons: list[str | None] = []
    for i in range(len(sums.n)):
        n = sums.n[i]
        parts: list[str] = []
        if n == 0:
            parts.append("no responses")
        else:
            if n < min_n:
                parts.append(f"low sample: n = {int(n)} < min_n = {min_n}")
            one = sum(x > 0 for x in (sums.det[i], sums.pas[i], sums.pro[i])) == 1
            if one and method in ("wald", "bootstrap"):
                parts.append(
                    f"all responses in one category: the {method} interval has zero width; "
                    "use 'adjusted_wald' or 'score'"
                )
            elif one:
                parts.append("all responses in one category")
            if fpc[i] == 0:
                parts.append("census (n = population_size): no sampling error")
        reasons.append(_join(parts))
    return reasons


def _check_method(ci: str | None, allowed: Sequence[str], owner: str) -> None:
    if ci is not None and ci not in allowed:
        raise ConfigError(owner, "ci", expected=f"None or one of {list(allowed)}", found=repr(ci))


def _check_boot(seed: int, n_boot: int, owner: str) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(owner, "seed", expected="an int", found=repr(seed))
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 100:
        raise ConfigError(owner, "n_boot", expected="an int >= 100", found=repr(n_boot))


def _nps_result(
    sums: _NpsSums,
    stats: dict[str, FloatArray],
    i: int,
    *,
    method: str | None,
    level: float,
    n_missing: int,
    n_invalid: int,
    weighted: bool,
    population_size: int | None,
    min_n: int,
    reason: str | None,
    scheme: NpsScheme,
) -> NpsResult:
    n = int(sums.n[i])
    det, pas, pro = int(sums.det[i]), int(sums.pas[i]), int(sums.pro[i])
    empty = n == 0
    interval = None
    if method is not None and not empty:
        interval = Interval(
            float(stats["lower"][i]) * 100, float(stats["upper"][i]) * 100, level, method
        )
    n_eff = float(stats["n_eff"][i])
    return NpsResult(
        value=None if empty else float(stats["points"][i]),
        exact=None if empty or weighted else Fraction(100 * (pro - det), n),
        n=n,
        n_missing=n_missing,
        n_invalid=n_invalid,
        detractors=det,
        passives=pas,
        promoters=pro,
        shares=_shares(sums, i),
        variance=None if empty else float(stats["variance"][i]),
        se=None if empty else float(stats["se"][i]) * 100,
        interval=interval,
        n_effective=n_eff,
        design_effect=1.0 if empty else n / n_eff,
        weighted=weighted,
        population_size=population_size,
        min_n=min_n,
        low_sample=n < min_n,
        reason=reason,
        scheme=scheme,
    )


def _shares(sums: _NpsSums, i: int) -> dict[str, float]:
    """Percent detractors, passives and promoters of group ``i``, each in one rounding."""
    w = float(sums.w[i])
    if w <= 0:
        return {"detractors": 0.0, "passives": 0.0, "promoters": 0.0}
    wd, wp = float(sums.wd[i]), float(sums.wp[i])
    return {
        "detractors": 100 * wd / w,
        "passives": 100 * (w - wd - wp) / w,
        "promoters": 100 * wp / w,
    }


def _codes(values: FloatArray, scheme: NpsScheme) -> np.ndarray[Any, Any]:
    codes = np.zeros(len(values), dtype=np.int64)
    with np.errstate(invalid="ignore"):
        codes[values <= scheme.detractor_max] = -1
        codes[values >= scheme.promoter_min] = 1
    return codes


def nps(
    scores: Any,
    *,
    weights: Any = None,
    weights_kind: Literal["sampling", "frequency"] = "sampling",
    ci: str | None = "adjusted_wald",
    level: float = 0.95,
    scheme: NpsScheme | None = None,
    missing: Literal["exclude", "include"] = "exclude",
    invalid: Literal["raise", "exclude"] = "raise",
    population_size: int | None = None,
    min_n: int = DEFAULT_MIN_N,
    seed: int = 0,
    n_boot: int = 2000,
) -> NpsResult:
    """Compute the Net Promoter Score with its standard error and interval.

    NPS = 100 * (promoters - detractors) / n, in [-100, 100]; passives count in ``n``.
    Never raises on empty or tiny input: ``n = 0`` gives ``value=None`` and a reason.

    Args:
        scores: Likelihood-to-recommend answers (Series, array or list; ``None``/NaN for
            "no score"), or a mapping ``{score: count}``.
        weights: Optional weights, one per score (a Series is aligned on the index).
        weights_kind: ``"sampling"`` (default; survey weights: ratio estimate, linearised
            SE, Kish effective n; the adjusted-Wald and score intervals use the effective
            counts ``share * n_effective``) or ``"frequency"`` (whole-number repeat counts,
            identical to duplicating rows).
        ci: ``"adjusted_wald"`` (default), ``"wald"``, ``"score"``, ``"bootstrap"`` or
            ``None`` (no interval).
        level: Two-sided confidence level.
        scheme: Category cut-offs and scale (default 0-10, 0-6 / 7-8 / 9-10).
        missing: ``"exclude"`` missing answers from the denominator (counted in
            ``n_missing``) or ``"include"`` them as neither promoter nor detractor.
        invalid: ``"raise"`` on off-scale / non-integer scores, or ``"exclude"`` them.
        population_size: Population size ``N`` for the finite-population correction.
        min_n: Results with ``n < min_n`` are flagged ``low_sample`` (not hidden).
        seed: Seed of the bootstrap.
        n_boot: Bootstrap replicates.

    Returns:
        An :class:`NpsResult`.

    Raises:
        InvalidInputError: Non-numeric or (with ``invalid="raise"``) off-scale scores, bad
            weights.
        ConfigError: A bad option.

    Examples:
        >>> r = nps(range(11))  # 0..10 once each: 2 promoters, 2 passives, 7 detractors
        >>> round(r.value, 4), r.exact
        (-45.4545, Fraction(-500, 11))
        >>> r.interval.method, round(r.interval.lower, 1), round(r.interval.upper, 1)
        ('adjusted_wald', -77.0, 5.6)
        >>> nps([9, 10, None, 3], missing="include").n
        4
    """
    owner = "nps()"
    scheme = NpsScheme() if scheme is None else scheme
    if not isinstance(scheme, NpsScheme):
        raise ConfigError(owner, "scheme", expected="an NpsScheme", found=type(scheme).__name__)
    _check_method(ci, NPS_METHODS, owner)
    level = _check_level(level, owner)
    _check_population(population_size, owner)
    _check_min_n(min_n, owner)
    _check_boot(seed, n_boot, owner)
    parsed = _parse(
        scores,
        weights=weights,
        weights_kind=weights_kind,
        scale=(scheme.scale_min, scheme.scale_max),
        missing=missing,
        invalid=invalid,
        owner=owner,
    )
    codes = _codes(parsed.values, scheme)
    sums = _nps_sums(codes, parsed.freq, parsed.weights, np.zeros(len(codes), dtype=np.int64), 1)
    fpc = _fpc(sums.n, population_size, owner)
    rows = None
    if ci == "bootstrap" and parsed.weights is not None:
        reps = np.repeat(np.arange(len(codes)), parsed.freq.astype(np.int64))
        rows = [(codes[reps].astype(np.float64), parsed.weights[reps])]
    stats = _nps_intervals(
        sums, method=ci, level=level, fpc=fpc, seed=seed, n_boot=n_boot, rows=rows
    )
    reason = _nps_reasons(sums, ci, fpc, min_n)[0]
    result = _nps_result(
        sums,
        stats,
        0,
        method=ci,
        level=level,
        n_missing=parsed.n_missing,
        n_invalid=parsed.n_invalid,
        weighted=parsed.weights is not None,
        population_size=population_size,
        min_n=min_n,
        reason=reason,
        scheme=scheme,
    )
    return attrs.evolve(result, n_zero_weight=parsed.n_zero_weight)


def nps_from_counts(
    detractors: int,
    passives: int,
    promoters: int,
    *,
    ci: str | None = "adjusted_wald",
    level: float = 0.95,
    population_size: int | None = None,
    min_n: int = DEFAULT_MIN_N,
    seed: int = 0,
    n_boot: int = 2000,
) -> NpsResult:
    """Compute the NPS from category counts (detractors, passives, promoters).

    The same statistics as :func:`nps` (unweighted). The order of the arguments follows
    the R ``NPS`` package's ``npvar(c(detractors, passives, promoters))``.

    Args:
        detractors: Number of detractors.
        passives: Number of passives.
        promoters: Number of promoters.
        ci: Interval method (see :func:`nps`).
        level: Two-sided confidence level.
        population_size: ``N`` for the finite-population correction.
        min_n: Low-sample threshold.
        seed: Bootstrap seed.
        n_boot: Bootstrap replicates.

    Returns:
        An :class:`NpsResult`.

    Examples:
        >>> r = nps_from_counts(1, 2, 3)  # R NPS test suite: NPS 1/3, variance 5/9
        >>> r.exact, round(r.variance, 10)
        (Fraction(100, 3), 0.5555555556)
        >>> nps_from_counts(0, 0, 0).reason
        'no responses'
    """
    owner = "nps_from_counts()"
    counts = [detractors, passives, promoters]
    for name, value in zip(("detractors", "passives", "promoters"), counts, strict=True):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise InvalidInputError(
                owner, name, expected="a whole number >= 0", found=repr(value), kind="parameter"
            )
    return nps(
        {0: int(detractors), 7: int(passives), 10: int(promoters)},
        ci=ci,
        level=level,
        population_size=population_size,
        min_n=min_n,
        seed=seed,
        n_boot=n_boot,
    )


# --------------------------------------------------------------------------- CSAT / CES

_CES_VERSIONS: dict[str, tuple[tuple[int, int], frozenset[int], str]] = {
    "2.0": ((1, 7), frozenset({5, 6, 7}), "higher_is_better"),
    "1.0": ((1, 5), frozenset({1, 2}), "lower_is_better"),
}


@attrs.frozen
class _ScaleSums:
    n: FloatArray
    pos: FloatArray  # unweighted positive count
    w: FloatArray
    w2: FloatArray
    wpos: FloatArray  # weighted positive sum
    wy: FloatArray  # weighted sum of scores (missing included count as ... excluded from mean)
    wyy: FloatArray
    w2pos: FloatArray  # sum w^2 * pos indicator
    w2y: FloatArray
    w2yy: FloatArray
    m: FloatArray  # rows with a score (for the mean; missing-included rows have none)
    mw: FloatArray
    mw2: FloatArray


def _scale_sums(
    values: FloatArray,
    positive: frozenset[int],
    *,
    freq: FloatArray,
    weights: FloatArray | None,
    group: np.ndarray[Any, Any],
    n_groups: int,
) -> _ScaleSums:
    def bincount(v: FloatArray) -> FloatArray:
        return np.bincount(group, weights=v, minlength=n_groups).astype(np.float64)

    has = ~np.isnan(values)
    y = np.where(has, values, 0.0)
    pos = np.isin(y, sorted(positive)) & has
    posf = pos.astype(np.float64) * freq
    w = np.ones_like(freq) if weights is None else weights
    hf = has.astype(np.float64) * freq
    return _ScaleSums(
        n=bincount(freq),
        pos=bincount(posf),
        w=bincount(freq * w),
        w2=bincount(freq * w * w),
        wpos=bincount(posf * w),
        wy=bincount(hf * w * y),
        wyy=bincount(hf * w * y * y),
        w2pos=bincount(posf * w * w),
        w2y=bincount(hf * w * w * y),
        w2yy=bincount(hf * w * w * y * y),
        m=bincount(hf),
        mw=bincount(hf * w),
        mw2=bincount(hf * w * w),
    )


def _scale_stats(
    sums: _ScaleSums,
    *,
    method: str | None,
    level: float,
    fpc: FloatArray,
    scale: tuple[int, int],
) -> dict[str, FloatArray]:
    n = sums.n
    has = n > 0
    safe = np.where(has, sums.w, 1.0)
    share = np.where(has, sums.wpos / safe, 0.0)
    n_eff = np.where(has, sums.w**2 / np.where(has, sums.w2, 1.0), 0.0)
    # Linearised variance of the share: sum w^2 (x - p)^2 / (sum w)^2 (x in {0, 1}).
    lin = (sums.w2pos * (1 - 2 * share) + share**2 * sums.w2) / safe**2
    se = np.sqrt(np.where(has, np.maximum(lin, 0.0), 0.0) * fpc)
    lower = np.full_like(share, np.nan)
    upper = np.full_like(share, np.nan)
    if method is not None:
        with np.errstate(divide="ignore"):
            m_info = np.where(has, n_eff / np.where(fpc > 0, fpc, 1.0), 0.0)
        weighted = not np.allclose(sums.w2, sums.n)
        fractional = bool(weighted or (fpc != 1).any())
        x = share * m_info if fractional else sums.pos
        nn = m_info if fractional else n
        lower, upper = _stats.proportion_interval(
            x, nn, level, method=method, fractional=fractional
        )
        lower = np.where(fpc == 0, share, lower)
        upper = np.where(fpc == 0, share, upper)
    # The mean over answered rows (missing answers never enter a mean).
    hm = sums.m > 0
    safe_m = np.where(hm, sums.mw, 1.0)
    mean = np.where(hm, sums.wy / safe_m, 0.0)
    m_eff = np.where(hm, sums.mw**2 / np.where(hm, sums.mw2, 1.0), 0.0)
    sq = np.maximum(sums.w2yy - 2 * mean * sums.w2y + mean**2 * sums.mw2, 0.0) / safe_m**2
    # Divisor n - 1 (so that weights of 1 give s / sqrt(n), the t interval's SE).
    corr = np.where(sums.m > 1, sums.m / np.where(sums.m > 1, sums.m - 1, 1.0), 0.0)
    mean_se = np.sqrt(sq * corr * fpc)
    unweighted_sd_sq = np.where(
        sums.m > 1,
        (sums.wyy - sums.mw * mean**2) / np.where(sums.m > 1, sums.mw, 1.0) * corr,
        0.0,
    )
    sd = np.sqrt(np.maximum(unweighted_sd_sq, 0.0))
    m_lo, m_hi = _stats.t_interval_from_se(mean, mean_se, m_eff - 1, level, bounds=scale)
    census = fpc == 0
    m_lo = np.where(census & hm, mean, m_lo)
    m_hi = np.where(census & hm, mean, m_hi)
    return {
        "share": share,
        # Percent in one rounding from the sums (exact ties stay ties for display).
        "percent": np.where(has, 100 * sums.wpos / safe, 0.0),
        "se": se,
        "lower": lower,
        "upper": upper,
        "n_eff": n_eff,
        "mean": mean,
        "mean_se": mean_se,
        "sd": sd,
        "mean_lower": np.asarray(m_lo, dtype=np.float64),
        "mean_upper": np.asarray(m_hi, dtype=np.float64),
    }


def _scale_reasons(sums: _ScaleSums, fpc: FloatArray, min_n: int) -> list[str | None]:
    reasons: list[str | None] = []
    for i in range(len(sums.n)):
        n = sums.n[i]
        parts: list[str] = []
        if n == 0:
            parts.append("no responses")
        else:
            if n < min_n:
                parts.append(f"low sample: n = {int(n)} < min_n = {min_n}")
            if sums.pos[i] in (0, n):
                parts.append("all responses on one side of the cut-off")
            if sums.m[i] < 2:
                parts.append("fewer than 2 scores: the mean's interval is the whole scale")
            if fpc[i] == 0:
                parts.append("census (n = population_size): no sampling error")
        reasons.append(_join(parts))
    return reasons


def _scale(
    scores: Any,
    *,
    metric: str,
    version: str | None,
    scale: tuple[int, int],
    positive: frozenset[int],
    polarity: str,
    weights: Any,
    weights_kind: str,
    ci: str | None,
    level: float,
    missing: str,
    invalid: str,
    population_size: int | None,
    min_n: int,
    owner: str,
) -> ScaleResult:
    _check_method(ci, _stats.PROPORTION_METHODS, owner)
    level = _check_level(level, owner)
    _check_population(population_size, owner)
    _check_min_n(min_n, owner)
    parsed = _parse(
        scores,
        weights=weights,
        weights_kind=weights_kind,
        scale=scale,
        missing=missing,
        invalid=invalid,
        owner=owner,
    )
    group = np.zeros(len(parsed.values), dtype=np.int64)
    sums = _scale_sums(
        parsed.values, positive, freq=parsed.freq, weights=parsed.weights, group=group, n_groups=1
    )
    fpc = _fpc(sums.n, population_size, owner)
    st = _scale_stats(sums, method=ci, level=level, fpc=fpc, scale=scale)
    reason = _scale_reasons(sums, fpc, min_n)[0]
    result = _scale_result(
        sums,
        st,
        0,
        metric=metric,
        version=version,
        scale=scale,
        positive=positive,
        polarity=polarity,
        method=ci,
        level=level,
        n_missing=parsed.n_missing,
        n_invalid=parsed.n_invalid,
        weighted=parsed.weights is not None,
        population_size=population_size,
        min_n=min_n,
        reason=reason,
    )
    return attrs.evolve(result, n_zero_weight=parsed.n_zero_weight)


def _scale_result(
    sums: _ScaleSums,
    st: dict[str, FloatArray],
    i: int,
    *,
    metric: str,
    version: str | None,
    scale: tuple[int, int],
    positive: frozenset[int],
    polarity: str,
    method: str | None,
    level: float,
    n_missing: int,
    n_invalid: int,
    weighted: bool,
    population_size: int | None,
    min_n: int,
    reason: str | None,
) -> ScaleResult:
    n = int(sums.n[i])
    m = int(sums.m[i])
    empty = n == 0
    pos = int(sums.pos[i])
    interval = None
    if method is not None and not empty:
        interval = Interval(float(st["lower"][i]) * 100, float(st["upper"][i]) * 100, level, method)
    mean_interval = None
    if m > 0:
        mean_interval = Interval(float(st["mean_lower"][i]), float(st["mean_upper"][i]), level, "t")
    n_eff = float(st["n_eff"][i])
    return ScaleResult(
        metric=metric,
        version=version,
        scale=scale,
        positive=positive,
        polarity=polarity,
        value=None if empty else float(st["percent"][i]),
        exact=None if empty or weighted else Fraction(100 * pos, n),
        positives=pos,
        n=n,
        n_missing=n_missing,
        n_invalid=n_invalid,
        se=None if empty else float(st["se"][i]) * 100,
        interval=interval,
        mean=None if m == 0 else float(st["mean"][i]),
        sd=None if m < 2 else float(st["sd"][i]),
        mean_se=None if m < 2 else float(st["mean_se"][i]),
        mean_interval=mean_interval,
        n_effective=n_eff,
        design_effect=1.0 if empty else n / n_eff,
        weighted=weighted,
        population_size=population_size,
        min_n=min_n,
        low_sample=n < min_n,
        reason=reason,
    )


def _check_scale(scale: Any, positive: Any, owner: str) -> tuple[tuple[int, int], frozenset[int]]:
    ok = (
        isinstance(scale, tuple)
        and len(scale) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in scale)
        and scale[0] < scale[1]
    )
    if not ok:
        raise ConfigError(
            owner, "scale", expected="a tuple (low, high) of ints, low < high", found=repr(scale)
        )
    try:
        pos = frozenset(int(v) for v in positive)
    except (TypeError, ValueError):
        raise ConfigError(
            owner, "positive", expected="a set of ints", found=repr(positive)
        ) from None
    if not pos or any(not scale[0] <= v <= scale[1] for v in pos):
        raise ConfigError(
            owner,
            "positive",
            expected=f"a non-empty set of scores in [{scale[0]}, {scale[1]}]",
            found=repr(sorted(pos)),
        )
    return scale, pos


def csat(
    scores: Any,
    *,
    scale: tuple[int, int] = (1, 5),
    positive: Iterable[int] = frozenset({4, 5}),
    weights: Any = None,
    weights_kind: Literal["sampling", "frequency"] = "sampling",
    ci: str | None = "wilson",
    level: float = 0.95,
    missing: Literal["exclude", "include"] = "exclude",
    invalid: Literal["raise", "exclude"] = "raise",
    population_size: int | None = None,
    min_n: int = DEFAULT_MIN_N,
) -> ScaleResult:
    """Compute CSAT: the top-box share (percent positive) and the mean, with intervals.

    The headline is #positive / n * 100 (Delighted: 4-5 on 1-5, shown as a whole
    number). The share's interval is Wilson by default (``ci`` also takes
    ``"agresti_coull"``, ``"clopper_pearson"``, ``"jeffreys"`` or ``None``); the mean
    gets a t interval clipped to the scale. Weighted shares use the Kish effective counts.

    Args:
        scores: Answers (Series, array or list; ``None``/NaN for unanswered) or a
            mapping ``{score: count}``.
        scale: ``(low, high)`` of the answer scale.
        positive: Answers that count as satisfied (top box).
        weights: Optional weights, one per answer.
        weights_kind: ``"sampling"`` or ``"frequency"`` (see :func:`nps`).
        ci: Interval method of the share.
        level: Two-sided confidence level.
        missing: ``"exclude"`` unanswered from the denominator (counted) or
            ``"include"`` them as not satisfied (they never enter the mean).
        invalid: ``"raise"`` or ``"exclude"`` off-scale / non-integer answers.
        population_size: ``N`` for the finite-population correction.
        min_n: Low-sample threshold.

    Returns:
        A :class:`ScaleResult` with ``metric="csat"``.

    Examples:
        >>> r = csat({5: 40, 4: 30, 3: 10, 2: 5, 1: 15})  # Delighted's worked example
        >>> r.format(), r.mean
        ('CSAT 70% (95% CI 60% to 78%, Wilson; n = 100)', 3.75)
        >>> csat([], ci="jeffreys").reason
        'no responses'
    """
    owner = "csat()"
    scale_t, pos = _check_scale(scale, positive, owner)
    return _scale(
        scores,
        metric="csat",
        version=None,
        scale=scale_t,
        positive=pos,
        polarity="higher_is_better",
        weights=weights,
        weights_kind=weights_kind,
        ci=ci,
        level=level,
        missing=missing,
        invalid=invalid,
        population_size=population_size,
        min_n=min_n,
        owner=owner,
    )


def ces(
    scores: Any,
    *,
    version: Literal["2.0", "1.0"] = "2.0",
    weights: Any = None,
    weights_kind: Literal["sampling", "frequency"] = "sampling",
    ci: str | None = "wilson",
    level: float = 0.95,
    missing: Literal["exclude", "include"] = "exclude",
    invalid: Literal["raise", "exclude"] = "raise",
    population_size: int | None = None,
    min_n: int = DEFAULT_MIN_N,
) -> ScaleResult:
    """Compute the Customer Effort Score: mean with t interval and share with Wilson interval.

    - ``version="2.0"`` (default; Dixon, Toman & DeLisi 2013): "[Company] made it easy
      for me to handle my issue", 1 (strongly disagree) to 7 (strongly agree), **higher
      is better**; the share is the percent agreeing (5-7).
    - ``version="1.0"`` (CEB 2010): "How much effort did you personally have to put
      forth?", 1 (very low) to 5 (very high effort), **lower is better**; the share is the
      percent reporting low effort (1-2), so a higher share is better in both versions.

    The polarity of the mean is carried on the result (``polarity``).

    Args:
        scores: Answers or a mapping ``{score: count}``.
        version: ``"2.0"`` or ``"1.0"``.
        weights: Optional weights, one per answer.
        weights_kind: ``"sampling"`` or ``"frequency"`` (see :func:`nps`).
        ci: Interval method of the share (as :func:`csat`).
        level: Two-sided confidence level.
        missing: ``"exclude"`` or ``"include"`` unanswered (see :func:`csat`).
        invalid: ``"raise"`` or ``"exclude"`` off-scale answers.
        population_size: ``N`` for the finite-population correction.
        min_n: Low-sample threshold.

    Returns:
        A :class:`ScaleResult` with ``metric="ces"``.

    Examples:
        >>> r = ces([7, 6, 5, 4, 6])
        >>> r.value, r.mean, r.polarity
        (80.0, 5.6, 'higher_is_better')
        >>> ces([1, 2, 4], version="1.0").polarity
        'lower_is_better'
    """
    owner = "ces()"
    if version not in _CES_VERSIONS:
        raise ConfigError(owner, "version", expected="'2.0' or '1.0'", found=repr(version))
    scale, positive, polarity = _CES_VERSIONS[version]
    return _scale(
        scores,
        metric="ces",
        version=version,
        scale=scale,
        positive=positive,
        polarity=polarity,
        weights=weights,
        weights_kind=weights_kind,
        ci=ci,
        level=level,
        missing=missing,
        invalid=invalid,
        population_size=population_size,
        min_n=min_n,
        owner=owner,
    )


# --------------------------------------------------------------------------- comparisons


@attrs.frozen
class NpsComparison:
    """The difference of two independent NPS results, ``a - b``, with a z test.

    Attributes:
        difference: ``a.value - b.value`` in points (``None`` if either is empty).
        se: Standard error of the difference in points (of the adjusted scores for
            ``adjusted_wald``).
        z: Test statistic (0 when undefined).
        p_value: Two-sided p-value (1 when undefined).
        interval: Interval of the difference in points, clipped to [-200, 200].
        method: ``"wald"`` or ``"adjusted_wald"``.
        n_a: Responses in ``a``.
        n_b: Responses in ``b``.
        reason: Why the test is undefined or degenerate, else ``None``.

    Examples:
        >>> c = compare_nps(nps_from_counts(20, 30, 50), nps_from_counts(30, 30, 40))
        >>> round(c.difference, 1), round(c.p_value, 3)
        (20.0, 0.083)
    """

    difference: float | None
    se: float | None
    z: float
    p_value: float
    interval: Interval | None
    method: str
    n_a: int
    n_b: int
    reason: str | None


def compare_nps(
    a: NpsResult, b: NpsResult, *, method: str = "adjusted_wald", level: float = 0.95
) -> NpsComparison:
    """Compare two independent NPS results (Rocks ``nps_test``; MeasuringU).

    ``z = (NPS_a - NPS_b) / sqrt(Var_a / n_a + Var_b / n_b)``. With
    ``method="adjusted_wald"`` (default) both groups get 3/4 detractor, 3/2 passive and
    3/4 promoter added first (n + 3), and the interval is centred on the adjusted
    difference; ``"wald"`` uses the raw counts. Weighted results use their effective
    counts. The interval's method is ``"wald"`` or ``"adjusted_wald"``.

    Args:
        a: First result (e.g. this month).
        b: Second result (e.g. last month).
        method: ``"adjusted_wald"`` or ``"wald"``.
        level: Two-sided confidence level.

    Returns:
        An :class:`NpsComparison`.

    Examples:
        >>> c = compare_nps(nps_from_counts(10, 22, 68), nps_from_counts(20, 15, 65))
        >>> round(c.difference), c.interval.method
        (13, 'adjusted_wald')
    """
    owner = "compare_nps()"
    if method not in ("wald", "adjusted_wald"):
        raise ConfigError(owner, "method", expected="'wald' or 'adjusted_wald'", found=repr(method))
    level = _check_level(level, owner)
    for name, r in (("a", a), ("b", b)):
        if not isinstance(r, NpsResult):
            raise ConfigError(owner, name, expected="an NpsResult", found=type(r).__name__)
    if a.value is None or b.value is None:
        return NpsComparison(
            None, None, 0.0, 1.0, None, method, a.n, b.n, "a group has no responses"
        )

    def parts(r: NpsResult) -> tuple[float, float]:
        n_eff = r.n_effective
        p, d = r.shares["promoters"] / 100, r.shares["detractors"] / 100
        fpc = float(_fpc(np.array([float(r.n)]), r.population_size, owner)[0])
        if method == "wald":
            return p - d, (r.se / 100) ** 2 if r.se is not None else 0.0
        n_t = n_eff + 3
        p_t, d_t = (p * n_eff + 0.75) / n_t, (d * n_eff + 0.75) / n_t
        return p_t - d_t, (p_t + d_t - (p_t - d_t) ** 2) / n_t * fpc

    va, vara = parts(a)
    vb, varb = parts(b)
    se = math.sqrt(vara + varb)
    centre = va - vb
    z_crit = _stats.z_value(level)
    difference = a.value - b.value
    if se == 0:
        reason = "zero standard error (both groups all in one category): no test"
        interval = Interval(difference, difference, level, method)
        return NpsComparison(difference, 0.0, 0.0, 1.0, interval, method, a.n, b.n, reason)
    z = centre / se
    p_value = min(1.0, 2 * float(_stats.normal_sf(abs(z))))
    interval = Interval(
        max(-200.0, (centre - z_crit * se) * 100),
        min(200.0, (centre + z_crit * se) * 100),
        level,
        method,
    )
    return NpsComparison(difference, se * 100, z, p_value, interval, method, a.n, b.n, None)


@attrs.frozen
class ProportionComparison:
    """The difference of two independent shares ``a - b`` in percentage points.

    Attributes:
        difference: ``share_a - share_b`` in points (``None`` if a group is empty).
        interval: Newcombe hybrid score interval of the difference, in points.
        z: Score (pooled) test statistic.
        p_value: Two-sided p-value of the score test.
        a: ``(successes, n)`` of the first group.
        b: ``(successes, n)`` of the second group.
        reason: Why the test is undefined, else ``None``.

    Examples:
        >>> c = compare_proportions((56, 70), (48, 80))
        >>> round(c.difference, 1), round(c.interval.lower, 2), round(c.interval.upper, 2)
        (20.0, 5.24, 33.39)
    """

    difference: float | None
    interval: Interval | None
    z: float
    p_value: float
    a: tuple[float, float]
    b: tuple[float, float]
    reason: str | None


def _pair(obj: Any, owner: str, name: str) -> tuple[float, float, bool]:
    if isinstance(obj, ScaleResult):
        if obj.weighted and obj.value is not None:
            return obj.value / 100 * obj.n_effective, obj.n_effective, True
        return float(obj.positives), float(obj.n), False
    if (
        isinstance(obj, tuple)
        and len(obj) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in obj)
    ):
        return float(obj[0]), float(obj[1]), False
    raise ConfigError(
        owner,
        name,
        expected="a (successes, n) tuple of ints or a ScaleResult",
        found=type(obj).__name__,
    )


def compare_proportions(a: Any, b: Any, *, level: float = 0.95) -> ProportionComparison:
    """Compare two independent shares (CSAT top box, CES agree, FCR, SLA attainment).

    The interval is Newcombe's hybrid score interval (method 10); the test is the score
    (pooled) z test. Weighted :class:`ScaleResult` inputs use their effective counts.

    Args:
        a: ``(successes, n)`` or a :class:`ScaleResult`.
        b: ``(successes, n)`` or a :class:`ScaleResult`.
        level: Two-sided confidence level.

    Returns:
        A :class:`ProportionComparison`.

    Examples:
        >>> c = compare_proportions(csat({5: 40, 4: 30, 1: 30}), csat({5: 30, 4: 30, 1: 40}))
        >>> round(c.difference), round(c.p_value, 3)
        (10, 0.138)
    """
    owner = "compare_proportions()"
    level = _check_level(level, owner)
    x1, n1, f1 = _pair(a, owner, "a")
    x2, n2, f2 = _pair(b, owner, "b")
    if n1 == 0 or n2 == 0:
        return ProportionComparison(
            None, None, 0.0, 1.0, (x1, n1), (x2, n2), "a group has no responses"
        )
    fractional = f1 or f2
    if not fractional and (x1 > n1 or x2 > n2 or min(x1, x2) < 0):
        raise InvalidInputError(
            owner,
            "a, b",
            expected="0 <= successes <= n",
            found=f"{(x1, n1)} and {(x2, n2)}",
            kind="parameters",
        )
    lo, hi = _stats.newcombe_interval(x1, n1, x2, n2, level, fractional=fractional)
    z, p = _stats.two_proportion_score_test(x1, n1, x2, n2, fractional=fractional)
    reason = None
    if (x1 + x2) in (0, n1 + n2):
        reason = "both groups all on one side: the score test is undefined (p = 1)"
    return ProportionComparison(
        (x1 / n1 - x2 / n2) * 100,
        Interval(lo * 100, hi * 100, level, "newcombe"),
        float(z),
        float(p),
        (x1, n1),
        (x2, n2),
        reason,
    )


# --------------------------------------------------------------------------- tables

_METRICS = ("nps", "csat", "csat_mean", "ces", "ces_mean")


def _column_default(metric: str) -> str:
    return metric.partition("_")[0]


def _prepare_groups(
    responses: pd.DataFrame, by: Sequence[str], period: str | None, date: str, owner: str
) -> tuple[pd.DataFrame, list[str]]:
    keys = list(by)
    frame = pd.DataFrame(index=responses.index)
    for key in keys:
        frame[key] = responses[key]
    if period is not None:
        dates = responses[date]
        if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
            raise InvalidInputError(
                owner,
                date,
                expected="datetimes",
                found=f"dtype {dates.dtype}",
                hint="Convert it with pandas.to_datetime().",
            )
        if dates.isna().any():
            bad = dates.isna().to_numpy(dtype=bool)
            raise InvalidInputError(
                owner,
                date,
                expected="without missing dates",
                found=f"{int(bad.sum())} NaT",
                rows=first_labels(responses.index, bad),
                total=int(bad.sum()),
            )
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        try:
            frame["period"] = dates.dt.to_period(period)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                owner,
                "period",
                expected="a pandas period alias such as 'M', 'Q', 'W'",
                found=repr(period),
            ) from exc
        keys.append("period")
    return frame, keys


def _group_codes(
    frame: pd.DataFrame, keys: list[str]
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], pd.DataFrame]:
    """Group number per row and the sorted group keys (as ``groupby(sort=True)``), fast.

    Each key is factorised in sorted order (categoricals in category order, missing last),
    the codes are combined into one integer and the observed combinations numbered.
    """
    codes, uniques = [], []
    for key in keys:
        c, u = pd.factorize(frame[key], sort=True, use_na_sentinel=False)
        codes.append(np.asarray(c, dtype=np.int64))
        uniques.append(u)
    dims = [max(len(u), 1) for u in uniques]
    combined = np.zeros(len(frame), dtype=np.int64)
    for c, d in zip(codes, dims, strict=True):
        combined = combined * d + c
    observed, inverse = np.unique(combined, return_inverse=True)
    parts: dict[str, Any] = {}
    rest = observed
    for key, u, d in reversed(list(zip(keys, uniques, dims, strict=True))):
        parts[key] = u.take(rest % d) if len(u) else u
        rest = rest // d
    index_frame = pd.DataFrame({key: parts[key] for key in keys})
    return np.asarray(inverse, dtype=np.int64).reshape(-1), index_frame


def metric_table(
    responses: pd.DataFrame,
    metric: str = "nps",
    *,
    by: str | Sequence[str] = (),
    period: str | None = "M",
    date: str = "date",
    score: str | None = None,
    weights: str | None = None,
    ci: str | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    missing: Literal["exclude", "include"] = "exclude",
    invalid: Literal["raise", "exclude"] = "raise",
    scheme: NpsScheme | None = None,
    seed: int = 0,
    n_boot: int = 2000,
) -> pd.DataFrame:
    """One row per group and period with value, n, interval and a low-sample flag.

    Ready for trend plots. The statistics are exactly those of :func:`nps`,
    :func:`csat` and :func:`ces` on each group's rows (a property test holds them equal),
    computed for all groups at once from grouped sums. The one exception is
    ``ci="bootstrap"``: the table draws every group's resamples from one seeded stream, so
    its intervals are reproducible but not bit-identical to one-group calls.

    Args:
        responses: One row per response.
        metric: ``"nps"`` (points), ``"csat"`` (% top box 4-5 of 1-5), ``"csat_mean"``,
            ``"ces"`` (% agree 5-7 of CES 2.0) or ``"ces_mean"``.
        by: Column(s) to group by (e.g. ``["segment"]``); empty for one overall row per
            period.
        period: Pandas period alias (``"M"``, ``"Q"``, ``"W"``, ...) of ``date``, or
            ``None`` for no time split.
        date: Date column (naive or aware; aware dates are taken in their own zone).
        score: Score column (default: ``"nps"``, ``"csat"`` or ``"ces"``).
        weights: Optional sampling-weight column.
        ci: Interval method (default: ``"adjusted_wald"`` for NPS, ``"wilson"`` for shares,
            ``"t"`` for means).
        level: Two-sided confidence level.
        min_n: Groups with ``n < min_n`` get ``low_sample = True``.
        missing: ``"exclude"`` or ``"include"`` missing scores (see :func:`nps`).
        invalid: ``"raise"`` or ``"exclude"`` off-scale scores.
        scheme: NPS cut-offs (NPS only).
        seed: Bootstrap seed (NPS with ``ci="bootstrap"``).
        n_boot: Bootstrap replicates.

    Returns:
        A DataFrame with the ``by`` columns and ``period``, then ``n``, ``value``,
        ``lower``, ``upper``, ``se``, ``n_missing``, ``low_sample`` and ``reason``
        (nullable floats: ``<NA>`` and a reason where a group has no scores), sorted by
        group and period. ``.attrs`` holds ``metric``, ``method``, ``level`` and the rows
        left out of every group: ``n_invalid`` (off-scale scores with
        ``invalid="exclude"``) and ``n_zero_weight`` (rows whose sampling weight is 0).

    Examples:
        >>> import pandas as pd
        >>> df = pd.DataFrame({
        ...     "date": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-02-02", "2025-02-11"]),
        ...     "nps": [10, 6, 9, 9]})
        >>> t = metric_table(df, "nps", min_n=2)
        >>> print(t[["period", "n", "value", "low_sample"]].to_string(index=False))
         period  n  value  low_sample
        2025-01  2    0.0       False
        2025-02  2  100.0       False
    """
    owner = "metric_table()"
    require_frame(responses, owner, "responses")
    if metric not in _METRICS:
        raise ConfigError(owner, "metric", expected=f"one of {list(_METRICS)}", found=repr(metric))
    by_list = [by] if isinstance(by, str) else list(by)
    column = score or _column_default(metric)
    needed = [*by_list, column] + ([date] if period is not None else [])
    if weights is not None:
        needed.append(weights)
    require_columns(responses, needed, owner)
    level = _check_level(level, owner)
    _check_min_n(min_n, owner)
    is_nps = metric == "nps"
    is_mean = metric.endswith("_mean")
    if ci is None:
        method = "adjusted_wald" if is_nps else ("t" if is_mean else "wilson")
    else:
        method = ci
    allowed: Sequence[str] = (
        NPS_METHODS if is_nps else (("t",) if is_mean else _stats.PROPORTION_METHODS)
    )
    _check_method(method, allowed, owner)
    if is_nps:
        _check_boot(seed, n_boot, owner)
    scheme = NpsScheme() if scheme is None else scheme
    if metric.startswith("csat"):
        scale, positive = (1, 5), frozenset({4, 5})
    elif metric.startswith("ces"):
        scale, positive = (1, 7), frozenset({5, 6, 7})
    else:
        scale, positive = (scheme.scale_min, scheme.scale_max), frozenset()
    groups, keys = _prepare_groups(responses, by_list, period, date, owner)
    parsed = _parse(
        responses[column].reset_index(drop=True),
        weights=None if weights is None else responses[weights].reset_index(drop=True),
        weights_kind="sampling",
        scale=scale,
        missing=missing,
        invalid=invalid,
        owner=owner,
        names=(column, weights or "weights"),
    )
    # Group codes over all rows, so that groups whose rows are all missing still appear.
    if keys:
        codes_all, index_frame = _group_codes(groups.reset_index(drop=True), keys)
    else:
        codes_all = np.zeros(len(responses), dtype=np.int64)
        index_frame = pd.DataFrame(index=range(1 if len(responses) else 0))
    n_groups = len(index_frame)
    n_missing = np.bincount(
        codes_all,
        weights=(parsed.missing & (missing == "exclude")).astype(np.float64),
        minlength=n_groups,
    )
    codes_g = codes_all[parsed.kept]
    values, freq, wts = parsed.values, parsed.freq, parsed.weights  # noqa: PD011 (attrs field)
    ones = np.ones(n_groups)
    fpc = ones
    out = index_frame.reset_index(drop=True).copy()
    if is_nps:
        codes = _codes(values, scheme)
        sums = _nps_sums(codes, freq, wts, codes_g, n_groups)
        rows = None
        if method == "bootstrap" and wts is not None:
            # Rows split by group in one sort (weighted bootstrap resamples rows per group).
            order = np.argsort(codes_g, kind="stable")
            bounds = np.cumsum(np.bincount(codes_g, minlength=n_groups))[:-1]
            rows = [(codes[idx].astype(np.float64), wts[idx]) for idx in np.split(order, bounds)]
        st = _nps_intervals(
            sums, method=method, level=level, fpc=fpc, seed=seed, n_boot=n_boot, rows=rows
        )
        n = sums.n
        value, lower, upper, se = (
            st["points"],
            st["lower"] * 100,
            st["upper"] * 100,
            st["se"] * 100,
        )
        reasons = _nps_reasons(sums, method, fpc, min_n)
    else:
        ssums = _scale_sums(
            values, positive, freq=freq, weights=wts, group=codes_g, n_groups=n_groups
        )
        st = _scale_stats(
            ssums, method=None if is_mean else method, level=level, fpc=fpc, scale=scale
        )
        n = ssums.n
        reasons = _scale_reasons(ssums, fpc, min_n)
        if is_mean:
            value, lower, upper, se = st["mean"], st["mean_lower"], st["mean_upper"], st["mean_se"]
            n = ssums.m
        else:
            value, lower, upper, se = (
                st["percent"],
                st["lower"] * 100,
                st["upper"] * 100,
                st["se"] * 100,
            )
    empty = n == 0

    def nullable(a: FloatArray) -> pd.Series:
        return pd.Series(np.where(empty, np.nan, a)).astype("Float64")

    out["n"] = n.astype(np.int64)
    out["value"] = nullable(value)
    out["lower"] = nullable(lower)
    out["upper"] = nullable(upper)
    out["se"] = nullable(se)
    out["n_missing"] = n_missing.astype(np.int64)
    out["low_sample"] = n < min_n
    out["reason"] = pd.array(reasons, dtype="string")
    out.attrs.update(
        {
            "metric": metric,
            "method": method,
            "level": level,
            "n_invalid": parsed.n_invalid,
            "n_zero_weight": parsed.n_zero_weight,
        }
    )
    return out


def compare_groups(
    responses: pd.DataFrame,
    metric: str = "nps",
    *,
    by: str,
    baseline: Hashable | None = None,
    score: str | None = None,
    level: float = 0.95,
    adjust: Literal["holm", "none"] = "holm",
    method: str | None = None,
) -> pd.DataFrame:
    """Compare every group with a baseline group, with Holm-adjusted p-values.

    NPS groups are compared with :func:`compare_nps` (adjusted Wald by default), share
    metrics (``"csat"``, ``"ces"``) with :func:`compare_proportions` (Newcombe interval,
    score test). With many segments, raw p-values overstate significance: Holm's
    step-down adjustment controls the family-wise error rate (``adjust="none"`` keeps
    the raw ones).

    Args:
        responses: One row per response.
        metric: ``"nps"``, ``"csat"`` or ``"ces"``.
        by: The group column (e.g. ``"segment"``).
        baseline: The group to compare against (default: the first group in order).
        score: Score column (default: the metric's name).
        level: Two-sided confidence level.
        adjust: ``"holm"`` (default) or ``"none"``.
        method: NPS comparison method (``"adjusted_wald"`` default or ``"wald"``).

    Returns:
        One row per non-baseline group: ``group``, ``n``, ``value``, ``baseline``,
        ``difference``, ``lower``, ``upper``, ``z``, ``p_value``, ``p_adjusted``,
        ``significant`` (``p_adjusted < 1 - level``) and ``reason`` (why a comparison is
        undefined, e.g. a group without scores; else ``None``).

    Examples:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"seg": ["a"] * 50 + ["b"] * 50 + ["c"] * 50,
        ...                    "nps": [9] * 30 + [5] * 20 + [9] * 20 + [5] * 30 + [9] * 40 + [5] * 10})
        >>> t = compare_groups(df, "nps", by="seg")
        >>> print(t[["group", "difference", "significant"]].to_string(index=False))
        group  difference  significant
            b       -40.0        False
            c        40.0        False
    """
    owner = "compare_groups()"
    require_frame(responses, owner, "responses")
    if metric not in ("nps", "csat", "ces"):
        raise ConfigError(owner, "metric", expected="'nps', 'csat' or 'ces'", found=repr(metric))
    if adjust not in ("holm", "none"):
        raise ConfigError(owner, "adjust", expected="'holm' or 'none'", found=repr(adjust))
    column = score or metric
    require_columns(responses, [by, column], owner)
    level = _check_level(level, owner)
    groups = responses.groupby(by, observed=True, sort=True)[column]
    labels = list(groups.groups.keys())
    if baseline is None:
        if not labels:
            return pd.DataFrame(
                columns=[
                    "group",
                    "n",
                    "value",
                    "baseline",
                    "difference",
                    "lower",
                    "upper",
                    "z",
                    "p_value",
                    "p_adjusted",
                    "significant",
                    "reason",
                ]
            )
        baseline = labels[0]
    if baseline not in labels:
        raise ConfigError(owner, "baseline", expected=f"one of {labels[:10]}", found=repr(baseline))
    compute: Any
    if metric == "nps":
        compute = nps
    elif metric == "csat":
        compute = csat
    else:
        compute = ces
    results = {label: compute(groups.get_group(label)) for label in labels}
    base = results[baseline]
    rows = []
    for label in labels:
        if label == baseline:
            continue
        r = results[label]
        if metric == "nps":
            c = compare_nps(r, base, method=method or "adjusted_wald", level=level)
            diff, interval, z, p, why = c.difference, c.interval, c.z, c.p_value, c.reason
        else:
            cp = compare_proportions(r, base, level=level)
            diff, interval, z, p, why = cp.difference, cp.interval, cp.z, cp.p_value, cp.reason
        rows.append(
            {
                "group": label,
                "n": r.n,
                "value": r.value,
                "baseline": base.value,
                "difference": diff,
                "lower": None if interval is None else interval.lower,
                "upper": None if interval is None else interval.upper,
                "z": z,
                "p_value": p,
                "reason": why,
            }
        )
    table = pd.DataFrame(rows)
    if len(table):
        raw = table["p_value"].to_numpy(dtype=np.float64)
        table["p_adjusted"] = _stats.holm_adjust(raw) if adjust == "holm" else raw
        table["significant"] = table["p_adjusted"] < 1 - level
        table["reason"] = table.pop("reason")  # last, after the adjusted p-values
    table.attrs.update({"metric": metric, "baseline": baseline, "adjust": adjust, "level": level})
    return table


# --------------------------------------------------------------------------- planning


def nps_sample_size(
    *,
    promoters: float,
    detractors: float,
    margin: float | None = None,
    difference: float | None = None,
    promoters_b: float | None = None,
    detractors_b: float | None = None,
    level: float = 0.95,
    power: float = 0.8,
) -> int:
    """Plan how many responses an NPS needs (MeasuringU's adjusted-Wald formulas).

    Precision (``margin`` in points): the adjusted-Wald half-width
    ``z * sqrt(s2 / (n + 3))`` is at most the margin when
    ``n = z**2 * s2 / margin**2 - 3``, with ``s2 = p + d - (p - d)**2`` the per-response
    variance at the expected shares.

    Comparison (``difference`` in points, two independent groups of equal size): detect
    the difference with two-sided ``level`` and ``power`` when
    ``n = (s2_a + s2_b) * (z_alpha/2 + z_beta)**2 / difference**2 - 3`` per group, where
    ``s2_b`` uses ``promoters_b`` / ``detractors_b`` (default: the same shares).

    Args:
        promoters: Expected promoter share (0-1).
        detractors: Expected detractor share (0-1).
        margin: Wanted half-width of the interval, in points.
        difference: Smallest difference to detect, in points (instead of ``margin``).
        promoters_b: Expected promoter share of the second group (comparisons).
        detractors_b: Expected detractor share of the second group.
        level: Confidence level (two-sided).
        power: Power of the comparison.

    Returns:
        Responses needed (per group for comparisons), rounded up, at least 1.

    Examples:
        >>> nps_sample_size(promoters=0.5, detractors=0.2, margin=5)
        935
        >>> nps_sample_size(promoters=0.5, detractors=0.2, difference=10)
        955
    """
    owner = "nps_sample_size()"
    level = _check_level(level, owner)
    if (margin is None) == (difference is None):
        raise ConfigError(
            owner,
            "margin, difference",
            expected="exactly one of them",
            found="both or neither",
            kind="parameters",
        )

    def variance(p: float, d: float, names: str) -> float:
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (p, d))
        if not ok or p < 0 or d < 0 or p + d > 1:
            raise ConfigError(
                owner,
                names,
                expected="shares in [0, 1] with a sum <= 1",
                found=f"{p!r}, {d!r}",
                kind="parameters",
            )
        return p + d - (p - d) ** 2

    s2 = variance(promoters, detractors, "promoters, detractors")
    target = margin if margin is not None else difference
    if not isinstance(target, (int, float)) or isinstance(target, bool) or not 0 < target <= 200:
        name = "margin" if margin is not None else "difference"
        raise ConfigError(
            owner, name, expected="a number of points in (0, 200]", found=repr(target)
        )
    delta = target / 100
    if margin is not None:
        z = _stats.z_value(level)
        n = z * z * s2 / delta**2 - 3
    else:
        if not isinstance(power, (int, float)) or isinstance(power, bool) or not 0 < power < 1:
            raise ConfigError(owner, "power", expected="a number in (0, 1)", found=repr(power))
        s2b = variance(
            promoters if promoters_b is None else promoters_b,
            detractors if detractors_b is None else detractors_b,
            "promoters_b, detractors_b",
        )
        # z_beta is the one-sided quantile of the power (negative below 0.5).
        z = _stats.z_value(level) + NormalDist().inv_cdf(power)
        n = (s2 + s2b) * z * z / delta**2 - 3
    return max(1, math.ceil(n - 1e-9))
