"""Result types of the satisfaction metrics, and rounding for display.

Every metric returns a frozen result that carries its sample size, standard error and an
interval naming its method (:class:`Interval`); rounding happens only in ``format()``
(half-up by default), and shares can be forced to sum to 100 by the largest-remainder
method (:func:`round_shares`, on :func:`crmkit._rounding.apportion`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import attrs
import numpy as np

from crmkit._jsonable import ResultDict, json_ready
from crmkit._rounding import apportion, round_decimal, to_decimal
from crmkit._spec import check_choice
from crmkit.errors import InvalidInputError
from crmkit.service._survey_input import NpsScheme

__all__ = [
    "METHOD_LABELS",
    "Interval",
    "NpsComparison",
    "NpsResult",
    "ProportionComparison",
    "ResultDict",
    "ScaleResult",
    "join_reasons",
    "json_ready",
    "level_text",
    "round_shares",
]


METHOD_LABELS = {
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


def _round(value: float | Fraction | Decimal, decimals: int, rounding: str, owner: str) -> Decimal:
    """Round for display; a Fraction is rounded exactly (ties decided on the exact value)."""
    return round_decimal(value, decimals, rounding, owner)


def _shares(values: object, owner: str) -> list[Decimal]:
    """``values`` as exact Decimals: a sequence of finite real numbers, or refused."""
    if isinstance(values, Mapping):
        raise InvalidInputError(
            owner,
            "values",
            expected="a sequence of shares",
            found="a mapping",
            kind="",
            hint="Pass its values, e.g. round_shares(list(result.shares.values())).",
        )
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInputError(
            owner, "values", expected="a sequence of shares", found=type(values).__name__, kind=""
        )
    items = list(values)
    bad = [
        (k, v)
        for k, v in enumerate(items)
        if isinstance(v, bool)
        or not isinstance(v, int | float | Fraction | Decimal | np.number)
        or not math.isfinite(float(v))
    ]
    if bad:
        k, v = bad[0]
        raise InvalidInputError(
            owner,
            "values",
            expected="finite real numbers",
            found=f"{len(bad)} other values, the first {v!r} at position {k}",
            kind="",
        )
    return [to_decimal(v) for v in items]


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
    exact = _shares(values, owner)
    if not sum_to_total or not exact:
        return [_round(v, decimals, rounding, owner) for v in exact]
    _round(0.0, decimals, rounding, owner)  # validates decimals and rounding
    unit = Decimal(1).scaleb(-decimals)
    if abs(sum(exact) - Decimal(total)) > Decimal("1e-6"):
        return [_round(v, decimals, rounding, owner) for v in exact]
    try:
        units = apportion([v.scaleb(decimals) for v in exact], total * 10**decimals)
    except ValueError:
        # Off by more than one unit of the last place per share (e.g. many decimals):
        # no largest-remainder split can hit the total, so round each on its own.
        return [_round(v, decimals, rounding, owner) for v in exact]
    return [Decimal(u).scaleb(-decimals).quantize(unit) for u in units]


@attrs.frozen
class Interval(ResultDict):
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
        return f"{level_text(self.level)}% CI {lo} to {hi}"


def level_text(level: float) -> str:
    return f"{Decimal(repr(round(level * 100, 10))).normalize():f}"


def join_reasons(reasons: Iterable[str | None]) -> str | None:
    parts = [r for r in reasons if r]
    return "; ".join(parts) if parts else None


@attrs.frozen
class NpsResult(ResultDict):
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
        >>> from crmkit.service import nps
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
            >>> from crmkit.service import nps
            >>> nps([]).format()
            'NPS n/a (n = 0: no responses)'
        """
        if self.value is None:
            return f"NPS n/a (n = {self.n}: {self.reason})"
        point = self.exact if self.exact is not None else self.value
        text = f"NPS {_round(point, decimals, rounding, 'NpsResult.format()')}"
        return text + _tail(self.interval, f"n = {self.n}", self.low_sample, decimals, rounding)

    def rounded_shares(
        self, decimals: int = 0, *, sum_to_100: bool = True, rounding: str = "half_up"
    ) -> dict[str, Decimal]:
        """Return the detractor, passive and promoter shares rounded for display.

        With ``sum_to_100`` (default) the largest-remainder method makes them add up to
        100 exactly.

        Examples:
            >>> from crmkit.service import nps_from_counts
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


def _tail(interval: Interval | None, count: str, low: bool, decimals: int, rounding: str) -> str:
    """`` (95% CI lo to hi, method; n = 12, low sample)``: ``count`` says the sample size."""
    parts = []
    if interval is not None:
        label = METHOD_LABELS.get(interval.method, interval.method)
        parts.append(f"{interval.format(decimals, rounding)}, {label}")
    note = count + (", low sample" if low else "")
    return f" ({'; '.join([*parts, note])})"


@attrs.frozen
class ScaleResult(ResultDict):
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
        n: Answers in the denominator of the share (with ``missing="include"``, the
            missing answers too).
        n_missing: Missing answers left out (``missing="exclude"``).
        n_invalid: Off-scale or non-integer answers left out.
        se: Standard error of the share, in percentage points.
        interval: Interval of the share in percent, clipped to [0, 100].
        mean: Mean answer (weighted when weighted), ``None`` when ``n = 0``.
        sd: Standard deviation of the answers (``n - 1`` divisor), ``None`` when ``n < 2``.
        mean_se: Standard error of the mean.
        mean_interval: t interval of the mean, clipped to the scale.
        mean_n: Answers the mean is computed from: those with a score. Equal to ``n``
            except with ``missing="include"``, whose missing answers count in the share
            but never in a mean (``n - mean_n`` of them).
        mean_low_sample: ``mean_n < min_n``.
        mean_reason: Why the mean or its interval is missing or degenerate, else ``None``.
        n_effective: Kish effective sample size.
        design_effect: Kish design effect.
        weighted: Whether sampling weights were used.
        population_size: ``N`` of the finite-population correction, if given.
        min_n: Low-sample threshold.
        low_sample: ``n < min_n`` (the share's sample).
        reason: Why the share or its interval is missing or degenerate, else ``None``
            (``mean_reason`` says it for the mean).
        n_zero_weight: Answered rows left out because their sampling weight is 0.

    Examples:
        >>> from crmkit.service import csat
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
    mean_n: int
    mean_low_sample: bool
    mean_reason: str | None
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

        Each shows the count it is computed from: the mean's ``n`` is ``mean_n`` (the
        answers with a score), and with ``missing="include"`` the missing answers the
        share counts but the mean leaves out are said.

        Examples:
            >>> from crmkit.service import ces, csat
            >>> ces([7, 6, 5, 4, 6]).format(what="mean", decimals=1)
            'CES 2.0 mean 5.6 (95% CI 4.2 to 7.0, t; n = 5, low sample)'
            >>> r = csat([5, 4, None, 2, 5, None], missing="include", min_n=5)
            >>> r.format()
            'CSAT 50% (95% CI 19% to 81%, Wilson; n = 6)'
            >>> r.format(what="mean", decimals=1)
            'CSAT mean 4.0 (95% CI 1.7 to 5.0, t; n = 4, 2 missing left out, low sample)'
        """
        owner = f"{type(self).__name__}.format()"
        name = self.metric.upper() + (f" {self.version}" if self.version else "")
        check_choice(what, ("share", "mean"), owner, "what")
        if what == "mean":
            if self.mean is None:
                return f"{name} mean n/a (n = {self.mean_n}: {self.mean_reason})"
            left_out = self.n - self.mean_n
            count = f"n = {self.mean_n}" + (f", {left_out} missing left out" if left_out else "")
            text = f"{name} mean {_round(self.mean, decimals, rounding, owner)}"
            return text + _tail(self.mean_interval, count, self.mean_low_sample, decimals, rounding)
        if self.value is None:
            return f"{name} n/a (n = {self.n}: {self.reason})"
        point = self.exact if self.exact is not None else self.value
        interval = self.interval
        tail = _tail(interval, f"n = {self.n}", self.low_sample, decimals, rounding)
        if interval is not None:
            lo = _round(interval.lower, decimals, rounding, owner)
            hi = _round(interval.upper, decimals, rounding, owner)
            level = level_text(interval.level)
            label = METHOD_LABELS.get(interval.method, interval.method)
            low = ", low sample" if self.low_sample else ""
            tail = f" ({level}% CI {lo}% to {hi}%, {label}; n = {self.n}{low})"
        return f"{name} {_round(point, decimals, rounding, owner)}%" + tail


@attrs.frozen
class NpsComparison(ResultDict):
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
        >>> from crmkit.service import compare_nps, nps_from_counts
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


@attrs.frozen
class ProportionComparison(ResultDict):
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
        >>> from crmkit.service import compare_proportions
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
