"""CSAT and CES: the share of positive answers and the mean, with intervals.

Shares get a proportion interval (Wilson by default, from :mod:`crmkit._stats`); means a
t interval clipped to the scale. Weighted data use the Kish effective counts. Every
statistic comes from per-group sums (:class:`ScaleSums`), shared with ``metric_table``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any, Literal

import attrs
import numpy as np

from crmkit import _stats
from crmkit._spec import check_choice
from crmkit.errors import ConfigError
from crmkit.service._survey_flow import group_reasons, one_group
from crmkit.service._survey_input import (
    DEFAULT,
    Default,
    Parsed,
    SurveyOptions,
    fpc_factor,
    resolve_options,
)
from crmkit.service._survey_results import Interval, ScaleResult

__all__ = ["ScaleSums", "ces", "csat", "scale_reasons", "scale_statistics", "scale_sums"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

_CES_VERSIONS: dict[str, tuple[tuple[int, int], frozenset[int], str]] = {
    "2.0": ((1, 7), frozenset({5, 6, 7}), "higher_is_better"),
    "1.0": ((1, 5), frozenset({1, 2}), "lower_is_better"),
}


@attrs.frozen
class ScaleSums:
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


def scale_sums(
    values: FloatArray,
    positive: frozenset[int],
    *,
    freq: FloatArray,
    weights: FloatArray | None,
    group: np.ndarray[Any, Any],
    n_groups: int,
) -> ScaleSums:
    def bincount(v: FloatArray) -> FloatArray:
        return np.bincount(group, weights=v, minlength=n_groups).astype(np.float64)

    has = ~np.isnan(values)
    y = np.where(has, values, 0.0)
    pos = np.isin(y, sorted(positive)) & has
    posf = pos.astype(np.float64) * freq
    w = np.ones_like(freq) if weights is None else weights
    hf = has.astype(np.float64) * freq
    return ScaleSums(
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


def scale_statistics(
    sums: ScaleSums,
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
    n_eff = _stats.kish_effective_n(sums.w, sums.w2)
    # Linearised variance of the share: sum w^2 (x - p)^2 / (sum w)^2 (x in {0, 1}).
    se = np.sqrt(_stats.linearized_share_variance(sums.w, sums.w2, sums.w2pos, share) * fpc)
    lower = np.full_like(share, np.nan)
    upper = np.full_like(share, np.nan)
    if method is not None:
        with np.errstate(divide="ignore"):
            m_info = np.where(has, n_eff / np.where(fpc > 0, fpc, 1.0), 0.0)
        # Whole counts only for a group whose weights are all exactly 1 (sum w == n and
        # sum w**2 == n hold together only then: sum (w - 1)**2 = w2 - 2 w + n = 0) and
        # without an FPC; any other group gets the Kish effective counts of its weighted
        # share, so the interval is always about the share reported. Decided per group,
        # so a table's group and the one-group call agree.
        whole = (sums.w == n) & (sums.w2 == n) & (fpc == 1)
        fractional = not bool(whole.all())
        x = np.where(whole, sums.pos, share * m_info)
        nn = np.where(whole, n, m_info)
        lower, upper = _stats.proportion_interval(
            x, nn, level, method=method, fractional=fractional
        )
        lower = np.where(fpc == 0, share, lower)
        upper = np.where(fpc == 0, share, upper)
    # The mean over answered rows (missing answers never enter a mean).
    hm = sums.m > 0
    safe_m = np.where(hm, sums.mw, 1.0)
    mean = np.where(hm, sums.wy / safe_m, 0.0)
    m_eff = _stats.kish_effective_n(sums.mw, sums.mw2)
    # With the n / (n - 1) factor (so that weights of 1 give s / sqrt(n), the t SE).
    lin = _stats.linearized_variance(sums.mw, sums.mw2, sums.w2y, sums.w2yy, mean, n=sums.m)
    mean_se = np.sqrt(lin * fpc)
    corr = np.where(sums.m > 1, sums.m / np.where(sums.m > 1, sums.m - 1, 1.0), 0.0)
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


def scale_reasons(
    sums: ScaleSums, fpc: FloatArray, min_n: int, *, statistic: Literal["share", "mean"]
) -> list[str | None]:
    """Per group, why the share's (``statistic="share"``) or the mean's figures need care.

    Each statistic is explained on its own count: the share on its ``n`` (missing answers
    included when ``missing="include"``), the mean on the answers with a score. A note
    about one never appears on the other (a table's share row does not mention the mean's
    spread; its mean row does not mention the share's cut-off).
    """
    if statistic == "share":

        def share_notes(i: int) -> list[str]:
            if sums.pos[i] in (0, sums.n[i]):
                return ["all responses on one side of the cut-off"]
            return []

        return group_reasons(sums.n, fpc, min_n, share_notes)

    # The t interval has n_eff - 1 degrees of freedom (Kish, of the scored rows): below 1
    # it is the whole scale. Unweighted n_eff is the count; weighted it can fall under 2
    # with 2 or more scores (weights 1 and 2 give 1.8).
    m_eff = _stats.kish_effective_n(sums.mw, sums.mw2)

    def mean_notes(i: int) -> list[str]:
        if fpc[i] == 0:
            return []  # a census: the interval is the mean itself (said by group_reasons)
        if sums.m[i] < 2:
            return ["fewer than 2 scores: the mean's interval is the whole scale"]
        if m_eff[i] - 1 < 1:
            return [
                (
                    f"effective sample size {m_eff[i]:.3g} < 2 (weights): the mean's "
                    "interval is the whole scale"
                )
            ]
        if sums.wyy[i] * sums.mw[i] - sums.wy[i] ** 2 <= 1e-12 * sums.wy[i] ** 2:
            # Every score the same: the sample's spread, and so the mean's interval, is 0,
            # which says nothing about how certain the mean is.
            return ["all scores equal: the mean's interval has zero width"]
        return []

    reasons = group_reasons(sums.m, fpc, min_n, mean_notes)
    for i in np.flatnonzero((sums.m == 0) & (sums.n > 0)):
        # missing="include": responses without a score count in the share, never in a mean.
        k = int(sums.n[i])
        reasons[i] = f"no scores, {k} missing answer{'s' if k != 1 else ''}"
    return reasons


def _scale(
    scores: Any,
    *,
    metric: str,
    version: str | None,
    scale: tuple[int, int],
    positive: frozenset[int],
    polarity: str,
    owner: str,
    **options: Any,
) -> ScaleResult:
    return one_group(
        scores,
        _ScaleMetric(metric, version, scale, positive, polarity),
        owner=owner,
        **options,
    )


@attrs.frozen
class _ScaleMetric:
    """CSAT's and CES's steps in the one survey flow (``_survey_flow.one_group``)."""

    metric: str
    version: str | None
    scale: tuple[int, int]
    positive: frozenset[int]
    polarity: str
    methods: Sequence[str] = _stats.PROPORTION_METHODS

    def check(self, owner: str) -> None:
        """Nothing beyond the shared options."""

    def sums(self, parsed: Parsed, group: np.ndarray[Any, Any], n_groups: int) -> ScaleSums:
        return scale_sums(
            parsed.values,
            self.positive,
            freq=parsed.freq,
            weights=parsed.weights,
            group=group,
            n_groups=n_groups,
        )

    def n(self, sums: ScaleSums) -> FloatArray:
        return sums.n

    def statistics(
        self, sums: ScaleSums, parsed: Parsed, *, method: str | None, level: float, fpc: FloatArray
    ) -> dict[str, FloatArray]:
        return scale_statistics(sums, method=method, level=level, fpc=fpc, scale=self.scale)

    def reasons(
        self, sums: ScaleSums, method: str | None, fpc: FloatArray, min_n: int
    ) -> list[str | None]:
        return scale_reasons(sums, fpc, min_n, statistic="share")

    def result(
        self, sums: ScaleSums, stats: dict[str, FloatArray], i: int, **common: Any
    ) -> ScaleResult:
        # The mean's own reason, on the flow's finite-population correction (``reason``
        # is the share's, from :meth:`reasons`).
        fpc = fpc_factor(sums.n, common["population_size"], self.metric)
        mean_reason = scale_reasons(sums, fpc, common["min_n"], statistic="mean")[i]
        return _scale_result(
            sums,
            stats,
            i,
            mean_reason=mean_reason,
            metric=self.metric,
            version=self.version,
            scale=self.scale,
            positive=self.positive,
            polarity=self.polarity,
            **common,
        )


def _scale_result(
    sums: ScaleSums,
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
    mean_reason: str | None,
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
        mean_n=m,
        mean_low_sample=m < min_n,
        mean_reason=mean_reason,
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
    positive: Iterable[int] | None = None,
    weights: Any = None,
    weights_kind: Literal["sampling", "frequency"] | Default = DEFAULT,
    ci: str | Default | None = DEFAULT,
    level: float | Default = DEFAULT,
    missing: Literal["exclude", "include"] | Default = DEFAULT,
    invalid: Literal["raise", "exclude"] | Default = DEFAULT,
    population_size: int | Default | None = DEFAULT,
    min_n: int | Default = DEFAULT,
    options: SurveyOptions | None = None,
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
        positive: Answers that count as satisfied (top box): 4 and 5 on the default 1-5
            scale; on any other scale they must be stated (``{6, 7}`` for the top two
            boxes of 1-7; on 0-10 some count 9-10, others 8-10), never guessed.
        weights: Optional weights, one per answer.
        weights_kind: ``"sampling"`` or ``"frequency"`` (see :func:`nps`).
        ci: Interval method of the share.
        level: Two-sided confidence level.
        missing: ``"exclude"`` unanswered from the denominator (counted) or
            ``"include"`` them as not satisfied (they never enter the mean).
        invalid: ``"raise"`` or ``"exclude"`` off-scale / non-integer answers.
        population_size: ``N`` for the finite-population correction.
        min_n: Low-sample threshold.
        options: A :class:`~crmkit.service.SurveyOptions` holding the option keywords
            (``weights_kind``, ``ci``, ``level``, ``missing``, ``invalid``,
            ``population_size``, ``min_n``); a keyword given explicitly wins. The defaults
            shown as ``DEFAULT`` are those of ``SurveyOptions()`` (``ci``: Wilson).

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
    if positive is None:
        low = scale[0] if isinstance(scale, tuple) and scale else 4
        _check_scale(scale, {low}, owner)  # the scale first
        if scale != (1, 5):
            raise ConfigError(
                owner,
                "positive",
                expected=f"the answers that count as satisfied, stated for the scale {scale!r}",
                found="none (4-5 is the top two boxes of 1-5 only)",
                hint="Pass positive=, e.g. positive={6, 7} for the top two boxes of 1-7.",
            )
        positive = frozenset({4, 5})
    scale_t, pos = _check_scale(scale, positive, owner)
    return _scale(
        scores,
        metric="csat",
        version=None,
        scale=scale_t,
        positive=pos,
        polarity="higher_is_better",
        weights=weights,
        owner=owner,
        **resolve_options(
            options,
            owner,
            default_ci="wilson",
            weights_kind=weights_kind,
            ci=ci,
            level=level,
            missing=missing,
            invalid=invalid,
            population_size=population_size,
            min_n=min_n,
        ),
    )


def ces(
    scores: Any,
    *,
    version: Literal["2.0", "1.0"] = "2.0",
    weights: Any = None,
    weights_kind: Literal["sampling", "frequency"] | Default = DEFAULT,
    ci: str | Default | None = DEFAULT,
    level: float | Default = DEFAULT,
    missing: Literal["exclude", "include"] | Default = DEFAULT,
    invalid: Literal["raise", "exclude"] | Default = DEFAULT,
    population_size: int | Default | None = DEFAULT,
    min_n: int | Default = DEFAULT,
    options: SurveyOptions | None = None,
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
        options: A :class:`~crmkit.service.SurveyOptions` holding the option keywords
            (``weights_kind``, ``ci``, ``level``, ``missing``, ``invalid``,
            ``population_size``, ``min_n``); a keyword given explicitly wins. The defaults
            shown as ``DEFAULT`` are those of ``SurveyOptions()`` (``ci``: Wilson).

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
    check_choice(version, _CES_VERSIONS, owner, "version")
    scale, positive, polarity = _CES_VERSIONS[version]
    return _scale(
        scores,
        metric="ces",
        version=version,
        scale=scale,
        positive=positive,
        polarity=polarity,
        weights=weights,
        owner=owner,
        **resolve_options(
            options,
            owner,
            default_ci="wilson",
            weights_kind=weights_kind,
            ci=ci,
            level=level,
            missing=missing,
            invalid=invalid,
            population_size=population_size,
            min_n=min_n,
        ),
    )
