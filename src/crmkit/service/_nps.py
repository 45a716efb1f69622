"""The Net Promoter Score: the estimate, its variance, and four interval methods.

NPS intervals (``ci=``): ``"wald"``; ``"adjusted_wald"`` (default; Rocks 2016 and
MeasuringU: add 3/4 detractor, 3/2 passive, 3/4 promoter and centre on the adjusted
score; extended to the observed score where it would miss it); ``"score"`` (the iterative Tango-type score interval of the R ``NPS`` package,
followed step by step); ``"bootstrap"`` (seeded percentile bootstrap). The variance is the
trinomial one, ``p + d - (p - d)**2`` per response: promoters and detractors are not
independent. Every statistic comes from per-group sums (:class:`NpsSums`), so one group
(:func:`nps`) and many groups (``metric_table``) share one implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Literal

import attrs
import numpy as np

from crmkit import _stats
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service._survey_flow import group_reasons, one_group
from crmkit.service._survey_input import (
    DEFAULT,
    DEFAULT_MIN_N,
    NPS_METHODS,
    Default,
    NpsScheme,
    Parsed,
    SurveyOptions,
    check_boot,
    resolve_options,
)
from crmkit.service._survey_results import Interval, NpsResult

__all__ = [
    "NPS_METHODS",
    "NpsSums",
    "nps",
    "nps_codes",
    "nps_from_counts",
    "nps_reasons",
    "nps_result",
    "nps_statistics",
    "nps_sums",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@attrs.frozen
class NpsSums:
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


def nps_sums(
    codes: np.ndarray[Any, Any],
    freq: FloatArray,
    weights: FloatArray | None,
    group: np.ndarray[Any, Any],
    n_groups: int,
) -> NpsSums:
    """Sum per group; ``codes`` is -1 / 0 / +1 per row (0 also for included missing)."""

    def bincount(values: FloatArray) -> FloatArray:
        return np.bincount(group, weights=values, minlength=n_groups).astype(np.float64)

    det = (codes == -1).astype(np.float64) * freq
    pro = (codes == 1).astype(np.float64) * freq
    w = np.ones_like(freq) if weights is None else weights
    y = codes.astype(np.float64)
    return NpsSums(
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


def nps_statistics(
    sums: NpsSums,
    *,
    method: str | None,
    level: float,
    fpc: FloatArray,
    seed: int,
    n_boot: int,
    rows: Sequence[tuple[FloatArray, FloatArray | None]] | None = None,
    weighted: bool = False,
) -> dict[str, FloatArray]:
    """Value, shares, variance, SE and interval per group, on the -1..1 scale.

    Every formula comes from :mod:`crmkit._stats`. Unweighted, the SE is the trinomial
    ``sqrt(variance / n)`` of Rocks 2016 / R ``NPS``; with sampling weights
    (``weighted=True``) it is the with-replacement Taylor linearisation with the
    ``n / (n - 1)`` factor of R ``survey``, Stata ``svy`` and samplics.
    """
    n = sums.n
    has = n > 0
    safe_w = np.where(has, sums.w, 1.0)
    p = np.where(has, sums.wp / safe_w, 0.0)
    d = np.where(has, sums.wd / safe_w, 0.0)
    value = p - d
    variance = np.maximum(_stats.nps_variance(p, d), 0.0)
    # Linearised variance of the ratio mean: sum w^2 (y - ybar)^2 / (sum w)^2; with all
    # weights 1 and no n / (n - 1) it is exactly variance / n (the trinomial SE).
    lin = _stats.linearized_variance(
        sums.w, sums.w2, sums.w2y, sums.w2yy, value, n=n if weighted else None
    )
    n_eff = _stats.kish_effective_n(sums.w, sums.w2)
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
    if method == "wald":
        lower, upper = _stats.wald_interval(value, se, level)
    elif method == "adjusted_wald":
        # Holds the observed score p - d (the boundary rule of _stats: centred on the
        # shrunk score, the published interval can miss it, e.g. one promoter at 95%).
        lower, upper = _stats.nps_adjusted_wald_interval(p, d, n_eff, level, fpc=fpc)
    elif method == "score":
        # The FPC shrinks the variance by fpc, i.e. inflates the information to n / fpc.
        with np.errstate(divide="ignore"):
            m = np.where(has, n_eff / np.where(fpc > 0, fpc, 1.0), 1.0)
        lower, upper = _stats.nps_score_interval(d * m, p * m, m, level)
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
    sums: NpsSums,
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


def nps_reasons(sums: NpsSums, method: str | None, fpc: FloatArray, min_n: int) -> list[str | None]:
    def specific(i: int) -> list[str]:
        one = sum(x > 0 for x in (sums.det[i], sums.pas[i], sums.pro[i])) == 1
        if one and method in ("wald", "bootstrap"):
            zero_width = (
                f"all responses in one category: the {method} interval has zero width; "
                "use 'adjusted_wald' or 'score'"
            )
            return [zero_width]
        return ["all responses in one category"] if one else []

    return group_reasons(sums.n, fpc, min_n, specific)


def nps_result(
    sums: NpsSums,
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


def _shares(sums: NpsSums, i: int) -> dict[str, float]:
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


def nps_codes(values: FloatArray, scheme: NpsScheme) -> np.ndarray[Any, Any]:
    codes = np.zeros(len(values), dtype=np.int64)
    with np.errstate(invalid="ignore"):
        codes[values <= scheme.detractor_max] = -1
        codes[values >= scheme.promoter_min] = 1
    return codes


def nps(
    scores: Any,
    *,
    weights: Any = None,
    weights_kind: Literal["sampling", "frequency"] | Default = DEFAULT,
    ci: str | Default | None = DEFAULT,
    level: float | Default = DEFAULT,
    scheme: NpsScheme | None = None,
    missing: Literal["exclude", "include"] | Default = DEFAULT,
    invalid: Literal["raise", "exclude"] | Default = DEFAULT,
    population_size: int | Default | None = DEFAULT,
    min_n: int | Default = DEFAULT,
    seed: int = 0,
    n_boot: int = 2000,
    options: SurveyOptions | None = None,
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
        options: A :class:`~crmkit.service.SurveyOptions` holding the option keywords
            above (``weights_kind``, ``ci``, ``level``, ``missing``, ``invalid``,
            ``population_size``, ``min_n``); a keyword given explicitly wins. The defaults
            shown as ``DEFAULT`` are those of ``SurveyOptions()``.

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
    o = resolve_options(
        options,
        owner,
        default_ci="adjusted_wald",
        weights_kind=weights_kind,
        ci=ci,
        level=level,
        missing=missing,
        invalid=invalid,
        population_size=population_size,
        min_n=min_n,
    )
    return _nps(scores, weights=weights, scheme=scheme, seed=seed, n_boot=n_boot, **o)


def _nps(
    scores: Any,
    *,
    weights: Any,
    weights_kind: str,
    ci: str | None,
    level: float,
    scheme: NpsScheme | None,
    missing: str,
    invalid: str,
    population_size: int | None,
    min_n: int,
    seed: int,
    n_boot: int,
) -> NpsResult:
    owner = "nps()"
    scheme = NpsScheme() if scheme is None else scheme
    if not isinstance(scheme, NpsScheme):
        raise ConfigError(owner, "scheme", expected="an NpsScheme", found=type(scheme).__name__)
    return one_group(
        scores,
        _NpsMetric(scheme, seed, n_boot),
        owner=owner,
        weights=weights,
        weights_kind=weights_kind,
        ci=ci,
        level=level,
        missing=missing,
        invalid=invalid,
        population_size=population_size,
        min_n=min_n,
    )


@attrs.frozen
class _NpsMetric:
    """NPS's steps in the one survey flow (:func:`~crmkit.service._survey_flow.one_group`)."""

    scheme: NpsScheme
    seed: int
    n_boot: int
    methods: Sequence[str] = NPS_METHODS

    @property
    def scale(self) -> tuple[int, int]:
        return (self.scheme.scale_min, self.scheme.scale_max)

    def check(self, owner: str) -> None:
        check_boot(self.seed, self.n_boot, owner)

    def sums(self, parsed: Parsed, group: np.ndarray[Any, Any], n_groups: int) -> NpsSums:
        codes = nps_codes(parsed.values, self.scheme)
        return nps_sums(codes, parsed.freq, parsed.weights, group, n_groups)

    def n(self, sums: NpsSums) -> FloatArray:
        return sums.n

    def statistics(
        self, sums: NpsSums, parsed: Parsed, *, method: str | None, level: float, fpc: FloatArray
    ) -> dict[str, FloatArray]:
        rows = None
        if method == "bootstrap" and parsed.weights is not None:
            codes = nps_codes(parsed.values, self.scheme)
            reps = np.repeat(np.arange(len(codes)), parsed.freq.astype(np.int64))
            rows = [(codes[reps].astype(np.float64), parsed.weights[reps])]
        return nps_statistics(
            sums,
            method=method,
            level=level,
            fpc=fpc,
            seed=self.seed,
            n_boot=self.n_boot,
            rows=rows,
            weighted=parsed.weights is not None,
        )

    def reasons(
        self, sums: NpsSums, method: str | None, fpc: FloatArray, min_n: int
    ) -> list[str | None]:
        return nps_reasons(sums, method, fpc, min_n)

    def result(
        self, sums: NpsSums, stats: dict[str, FloatArray], i: int, **common: Any
    ) -> NpsResult:
        return nps_result(sums, stats, i, scheme=self.scheme, **common)


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
    return _nps(
        {0: int(detractors), 7: int(passives), 10: int(promoters)},
        weights=None,
        weights_kind="sampling",
        ci=ci,
        level=level,
        scheme=None,
        missing="exclude",
        invalid="raise",
        population_size=population_size,
        min_n=min_n,
        seed=seed,
        n_boot=n_boot,
    )
