"""Tests of NPS, CSAT and CES: reference values, intervals, weights, tables and policies."""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.service import (
    NpsScheme,
    ces,
    compare_groups,
    compare_nps,
    compare_proportions,
    csat,
    metric_table,
    nps,
    nps_from_counts,
    nps_sample_size,
    round_shares,
)
from tests.strategies import examples, nps_counts, nps_scores, survey_frames

ROOT = pathlib.Path(__file__).resolve().parents[2]
METHODS = ["wald", "adjusted_wald", "score", "bootstrap"]


# --------------------------------------------------------------------------- reference values


@pytest.mark.parametrize(
    ("counts", "value", "variance"),
    [
        # The R NPS package's test suite: (detractors, passives, promoters).
        ((1, 2, 3), Fraction(1, 3), Fraction(5, 9)),
        ((1, 0, 1), Fraction(0), Fraction(1)),
        ((0, 1, 1), Fraction(1, 2), Fraction(1, 4)),
        ((1, 1, 1), Fraction(0), Fraction(2, 3)),
    ],
)
def test_r_nps_reference_values(
    counts: tuple[int, int, int], value: Fraction, variance: Fraction
) -> None:
    r = nps_from_counts(*counts)
    assert r.exact == value * 100
    assert r.value == pytest.approx(float(value) * 100, abs=1e-12)
    assert r.variance == pytest.approx(float(variance), abs=1e-12)
    assert r.se == pytest.approx(100 * math.sqrt(float(variance) / sum(counts)), abs=1e-12)


@pytest.mark.parametrize(
    ("counts", "se"),
    [((1, 2, 3), 0.304), ((1, 0, 1), 0.707), ((0, 1, 1), 0.354), ((1, 1, 1), 0.471)],
)
def test_r_nps_standard_errors(counts: tuple[int, int, int], se: float) -> None:
    """R ``NPS`` tests/testthat/test_01_basics.R: ``nps_se_`` of (detractors, passives,
    promoters), ``sqrt(nps_var_ / n)``, to its tolerance of 0.001 (on the -1..1 scale)."""
    r = nps_from_counts(*counts, ci="wald")
    assert r.se is not None
    assert r.se / 100 == pytest.approx(se, abs=1e-3)


def test_r_nps_novel_break_points() -> None:
    """R ``NPS`` tests: ``nps(1:15, breaks = c(0, 6, 8, 15))`` is 2/30 and ``nps_var`` of
    the same 0.8622 (tolerance 0.002): 6 detractors (1-6), 2 passives, 7 promoters (9-15)."""
    scheme = NpsScheme(scale_min=0, scale_max=15, detractor_max=6, promoter_min=9)
    r = nps(range(1, 16), scheme=scheme)
    assert r.exact == Fraction(2, 30) * 100
    assert (r.detractors, r.passives, r.promoters) == (6, 2, 7)
    assert r.variance == pytest.approx(0.8622, abs=2e-3)
    assert r.variance == pytest.approx(13 / 15 - 1 / 225, abs=1e-12)


def _r_nps_test_two_sample(
    x: tuple[int, int, int], y: tuple[int, int, int], test: str
) -> tuple[float, float, float]:
    """A port of R ``NPS``'s two-sample ``nps_test_`` (R/nps_tests.R): pseudo-observations
    ``c(0.75, 1.50, 0.75)`` added to both groups for ``"adjusted.wald"``; ``delta.hat`` is
    the absolute difference of the (adjusted) scores, ``se.hat`` the root of the summed
    variances over n, ``p.value = 1 - (pnorm(delta.hat / se.hat) * 2 - 1)``."""
    from scipy import stats

    def adjust(v: tuple[int, int, int]) -> tuple[float, ...]:
        if test == "adjusted.wald":
            return tuple(a + b for a, b in zip(v, (0.75, 1.5, 0.75), strict=True))
        return tuple(float(a) for a in v)

    def score(v: tuple[float, ...]) -> float:
        return (v[2] - v[0]) / sum(v)

    def var(v: tuple[float, ...]) -> float:
        p, d = v[2] / sum(v), v[0] / sum(v)
        return (p + d) - (p - d) ** 2

    xh, yh = adjust(x), adjust(y)
    delta = abs(score(xh) - score(yh))
    se = math.sqrt(var(xh) / sum(xh) + var(yh) / sum(yh))
    return delta, se, float(1 - (stats.norm.cdf(delta / se) * 2 - 1))


@pytest.mark.parametrize(
    ("x", "y"), [((10, 22, 68), (20, 15, 65)), ((3, 4, 5), (6, 2, 1)), ((0, 0, 7), (1, 5, 2))]
)
@pytest.mark.parametrize(("test", "method"), [("wald", "wald"), ("adjusted.wald", "adjusted_wald")])
def test_compare_nps_is_r_nps_test(
    x: tuple[int, int, int], y: tuple[int, int, int], test: str, method: str
) -> None:
    """``compare_nps`` against the R ``nps_test_`` port: same standard error, p-value and
    interval half-width; R centres its interval on the absolute difference, crmkit on the
    signed one (a then b), so the centres agree up to sign."""
    delta, se, p = _r_nps_test_two_sample(x, y, test)
    c = compare_nps(nps_from_counts(*x), nps_from_counts(*y), method=method)
    assert c.se is not None
    assert c.interval is not None
    assert c.se / 100 == pytest.approx(se, rel=1e-12)
    assert c.p_value == pytest.approx(p, rel=1e-9)
    centre = (c.interval.lower + c.interval.upper) / 2 / 100
    if c.interval.upper < 200 and c.interval.lower > -200:
        assert abs(centre) == pytest.approx(delta, rel=1e-12)
        half = (c.interval.upper - c.interval.lower) / 2 / 100
        assert half == pytest.approx(1.959963984540054 * se, rel=1e-12)


def test_whuber_cross_validated_example() -> None:
    """Cross Validated Q18603 (whuber): 1/2 promoters, 1/3 passives, 1/6 detractors.

    The answer works the variance out by hand: NPS 1/3, Var = 5/9 per response, so the
    SE is sqrt(5/9 / n).
    """
    r = nps_from_counts(100, 200, 300, ci="wald")
    assert r.exact == Fraction(100, 3)
    assert r.variance == pytest.approx(5 / 9, abs=1e-12)
    assert r.se == pytest.approx(100 * math.sqrt(5 / 9 / 600), abs=1e-12)


def test_market_strategies_published_precision() -> None:
    """Market Strategies ("NPS requires much larger sample sizes than alternatives").

    40% promoters, 40% passives, 20% detractors, n = 500: "the sampling precision of this
    NPS of 20 is +/- 6.6", against +/- 4.3 for the 40% promoter share alone.
    """
    r = nps_from_counts(100, 200, 200, ci="wald")
    assert r.value == 20.0
    assert r.interval is not None
    assert round((r.interval.upper - r.interval.lower) / 2, 1) == 6.6
    share = csat({5: 200, 1: 300}, ci=None)
    assert share.value == 40.0
    assert share.se is not None
    assert round(1.959963984540054 * share.se, 1) == 4.3


def test_scores_zero_to_ten_once_each() -> None:
    r = nps(range(11))
    assert r.exact == Fraction(-500, 11)
    assert r.value == pytest.approx(-45.454545454545, abs=1e-9)
    assert (r.detractors, r.passives, r.promoters) == (7, 2, 2)


def test_delighted_csat_example() -> None:
    r = csat({1: 15, 2: 5, 3: 10, 4: 30, 5: 40})
    assert r.value == 70.0
    assert r.mean == pytest.approx(3.75, abs=1e-12)
    assert r.format().startswith("CSAT 70% ")
    # The share's Wilson interval is statsmodels' proportion_confint(70, 100).
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(60.41514537, abs=1e-7)
    assert r.interval.upper == pytest.approx(78.10511471, abs=1e-7)


def test_csat_clopper_pearson_matches_statsmodels_reference() -> None:
    r = csat({1: 30, 5: 70}, ci="clopper_pearson")
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(60.01853238, abs=1e-7)
    assert r.interval.upper == pytest.approx(78.75935795, abs=1e-7)


def test_adjusted_wald_hand_computed() -> None:
    # (1, 0, 1): add 3/4, 3/2, 3/4 -> n~ = 5, p~ = d~ = 0.35, centre 0, var 0.7.
    r = nps_from_counts(1, 0, 1)
    half = 1.959963984540054 * math.sqrt(0.7 / 5) * 100
    assert r.interval is not None
    assert (r.interval.level, r.interval.method) == (0.95, "adjusted_wald")
    assert (r.interval.lower, r.interval.upper) == pytest.approx((-half, half), abs=1e-10)
    # (20, 30, 50): p~ = 50.75/103, d~ = 20.75/103.
    r = nps_from_counts(20, 30, 50)
    p, d = 50.75 / 103, 20.75 / 103
    centre = p - d
    half = 1.959963984540054 * math.sqrt((p + d - centre**2) / 103)
    assert r.interval is not None
    assert r.interval.lower == pytest.approx((centre - half) * 100, abs=1e-10)
    assert r.interval.upper == pytest.approx((centre + half) * 100, abs=1e-10)
    assert r.value == 30.0  # the point estimate stays the raw score


def test_wald_hand_computed() -> None:
    r = nps_from_counts(20, 30, 50, ci="wald")
    se = math.sqrt((0.7 - 0.09) / 100)
    assert r.se == pytest.approx(se * 100, abs=1e-12)
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(30 - 1.959963984540054 * se * 100, abs=1e-10)


def _score_root(det: int, pro: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """An independent version: solve |S(D)| = z with a root finder (Tango's statistic)."""
    from scipy.optimize import brentq

    b, c = det, pro

    def s(delta: float) -> float:
        big_a = 2 * n
        big_b = -b - c + (2 * n - c + b) * delta
        big_c = -b * delta * (1 - delta)
        q = (math.sqrt(big_b**2 - 4 * big_a * big_c) - big_b) / (2 * big_a)
        return (c - b - n * delta) / math.sqrt(n * (2 * q + delta * (1 - delta)))

    est = (c - b) / n
    upper = 1.0 if c == n else brentq(lambda t: s(t) + z, est, 1 - 1e-12)
    lower = -1.0 if b == n else brentq(lambda t: s(t) - z, -1 + 1e-12, est)
    return lower, upper


@pytest.mark.parametrize(
    "counts", [(1, 2, 3), (2, 3, 5), (20, 30, 50), (0, 4, 6), (6, 4, 0), (3, 0, 7), (15, 5, 80)]
)
def test_score_interval_matches_root_finder(counts: tuple[int, int, int]) -> None:
    r = nps_from_counts(*counts, ci="score")
    lower, upper = _score_root(counts[0], counts[2], sum(counts))
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(lower * 100, abs=1e-4)
    assert r.interval.upper == pytest.approx(upper * 100, abs=1e-4)


def _r_nps_iterative(b: int, c: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """A line-by-line scalar port of ``iterative()`` in R ``NPS``'s
    ``R/nps_interval_estimators.R`` (brendan-r/NPS): halving steps, 50 iterations, stop at
    ``dp < 1e-7`` or ``|z - score| < 1e-6``; the lower search starts where the upper one
    left ``nps``."""
    pa = 2 * n
    nps_ = (c - b) / n

    def score(t: float) -> float:
        pb = -b - c + (2 * n - c + b) * t
        pc = -b * t * (1 - t)
        q21 = (math.sqrt(pb**2 - 4 * pa * pc) - pb) / (2 * pa)
        return (c - b - n * t) / math.sqrt(n * (2 * q21 + t * (1 - t)))

    ul = ll = math.nan
    if c == n:
        ul = 1.0
    else:
        dp, niter = 1 - nps_, 1
        while niter <= 50:
            dp = 0.5 * dp
            up2 = nps_ + dp
            sc = score(up2)
            if abs(sc) < z:
                nps_ = up2
            niter += 1
            if dp < 1e-7 or abs(z - sc) < 1e-6:
                niter, ul = 51, up2
    if b == n:
        ll = -1.0
    else:
        dp, niter = 1 + nps_, 1
        while niter <= 50:
            dp = 0.5 * dp
            low2 = nps_ - dp
            sc = score(low2)
            if abs(sc) < z:
                nps_ = low2
            niter += 1
            if dp < 1e-7 or abs(z - sc) < 1e-6:
                niter, ll = 51, low2
    return ll, ul


def test_score_interval_is_r_nps_iterative_for_every_outcome() -> None:
    """Every (detractors, passives, promoters) with n <= 12: equal to the R port to 1e-12."""
    for n in range(1, 13):
        for det in range(n + 1):
            for pro in range(n + 1 - det):
                r = nps_from_counts(det, n - det - pro, pro, ci="score")
                lower, upper = _r_nps_iterative(det, pro, n)
                assert r.interval is not None
                assert r.interval.lower == pytest.approx(lower * 100, abs=1e-12)
                assert r.interval.upper == pytest.approx(upper * 100, abs=1e-12)


def test_score_interval_boundaries_follow_r() -> None:
    r = nps_from_counts(0, 0, 5, ci="score")
    assert r.interval is not None
    assert r.interval.upper == 100.0
    r = nps_from_counts(5, 0, 0, ci="score")
    assert r.interval is not None
    assert r.interval.lower == -100.0


def _coverage_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "nps_coverage", ROOT / "benchmarks/nps_coverage.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exact_coverage_reproduces_the_published_table() -> None:
    """Research table (mean / min coverage over the 64-point grid), to 1e-4."""
    expected = {
        (10, "wald"): (0.866332, 0.648989),
        (10, "adjusted_wald"): (0.952840, 0.890625),
        (10, "score"): (0.963809, 0.924403),
        (30, "wald"): (0.926820, 0.808521),
        (30, "adjusted_wald"): (0.953223, 0.929793),
        (30, "score"): (0.952651, 0.929793),
        (100, "wald"): (0.943387, 0.925331),
        (100, "adjusted_wald"): (0.951003, 0.943112),
        (100, "score"): (0.949278, 0.936398),
    }
    module = _coverage_module()
    assert len(module.grid_points()) == 64
    table = module.coverage_table()
    for key, (mean, low) in expected.items():
        assert table[key][0] == pytest.approx(mean, abs=1e-4), key
        assert table[key][1] == pytest.approx(low, abs=1e-4), key
    # The issue's target: adjusted-Wald grid mean within 1.5 pp of 95% for every n >= 10.
    for n in (10, 30, 100):
        assert abs(table[(n, "adjusted_wald")][0] - 0.95) < 0.015


# --------------------------------------------------------------------------- empty and tiny input


@pytest.mark.parametrize("method", [*METHODS, None])
def test_nps_empty_tiny_and_one_category_never_raise_or_warn(method: str | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = nps([], ci=method)
        assert empty.value is None
        assert empty.interval is None
        assert empty.reason == "no responses"
        assert "n/a" in empty.format()
        only_missing = nps([None, None], ci=method)
        assert only_missing.n == 0
        assert only_missing.n_missing == 2
        for scores in ([10], [0], [7], [9, 9, 10], [3, 3]):
            r = nps(scores, ci=method)
            assert r.value is not None
            assert r.reason is not None
            assert "one category" in r.reason
            if method is not None:
                assert r.interval is not None
                assert -100 <= r.interval.lower <= r.interval.upper <= 100
                assert not math.isnan(r.interval.lower)


@pytest.mark.parametrize("fn", [csat, ces])
@pytest.mark.parametrize("method", ["wilson", "agresti_coull", "clopper_pearson", "jeffreys"])
def test_scales_empty_tiny_never_raise_or_warn(fn: object, method: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = fn([], ci=method)  # type: ignore[operator]
        assert empty.value is None
        assert empty.mean is None
        assert empty.reason == "no responses"
        assert "n/a" in empty.format()
        one = fn([5], ci=method)  # type: ignore[operator]
        assert one.value == 100.0
        assert one.sd is None
        assert one.mean_interval is not None
        assert one.mean_interval.lower == one.scale[0]
        assert one.mean_interval.upper == one.scale[1]
        assert one.mean_reason is not None
        assert "fewer than 2" in one.mean_reason
        same = fn([5, 5, 5], ci=method)  # type: ignore[operator]
        assert same.interval is not None
        assert same.interval.upper == 100.0
        assert same.interval.contains(100.0)


def test_metric_table_group_with_only_missing_scores() -> None:
    df = pd.DataFrame(
        {
            "segment": ["a", "a", "b"],
            "date": pd.to_datetime(["2025-01-01"] * 3),
            "nps": pd.array([9, 10, None], dtype="Int64"),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = metric_table(df, by="segment", min_n=1)
    row = t.set_index("segment").loc["b"]
    assert row["n"] == 0
    assert row["n_missing"] == 1
    assert pd.isna(row["value"])
    assert row["reason"] == "no responses"


# --------------------------------------------------------------------------- properties


@given(nps_scores, st.sampled_from(METHODS))
def test_nps_range_and_interval_bounds(scores: list[int | None], method: str) -> None:
    r = nps(scores, ci=method, n_boot=200)
    if r.value is None:
        assert r.n == 0
        return
    assert -100 <= r.value <= 100
    assert r.interval is not None
    assert -100 <= r.interval.lower <= r.interval.upper <= 100
    assert sum(r.shares.values()) == pytest.approx(100)


@given(nps_counts)
def test_wald_interval_contains_the_point_estimate(counts: tuple[int, int, int]) -> None:
    r = nps_from_counts(*counts, ci="wald")
    if r.value is not None:
        assert r.interval is not None
        assert r.interval.lower - 1e-9 <= r.value <= r.interval.upper + 1e-9


@given(nps_counts, st.sampled_from(["detractors", "passives"]))
def test_more_promoters_never_lower_nps(counts: tuple[int, int, int], source: str) -> None:
    det, pas, pro = counts
    before = nps_from_counts(det, pas, pro).value
    added = nps_from_counts(det, pas, pro + 1).value
    assert added is not None
    assert before is None or added >= before
    # Turning a detractor or passive into a promoter never lowers it either.
    if source == "detractors" and det:
        assert nps_from_counts(det - 1, pas, pro + 1).value >= (before or -100)  # type: ignore[operator]
    if source == "passives" and pas:
        assert nps_from_counts(det, pas - 1, pro + 1).value >= (before or -100)  # type: ignore[operator]


@given(nps_scores, st.sampled_from(["wald", "adjusted_wald", "score"]))
def test_weights_of_one_equal_no_weights(scores: list[int | None], method: str) -> None:
    plain = nps(scores, ci=method)
    ones = nps(scores, ci=method, weights=[1.0] * len(scores))
    assert ones.weighted
    for field in ("value", "n", "n_missing", "detractors", "passives", "promoters", "n_effective"):
        assert getattr(ones, field) == pytest.approx(getattr(plain, field), abs=1e-9)
    if plain.value is not None:
        # Survey weights carry the with-replacement n / (n - 1) factor (R survey, samplics);
        # the unweighted trinomial SE (Rocks 2016) does not.
        factor = math.sqrt(plain.n / (plain.n - 1)) if plain.n > 1 else 1.0
        assert plain.se is not None
        assert ones.se == pytest.approx(plain.se * factor, abs=1e-9)
        assert ones.interval is not None
        assert plain.interval is not None
        if method == "wald":
            half = 1.959963984540054 * ones.se
            assert ones.interval.lower == pytest.approx(max(-100.0, ones.value - half), abs=1e-6)
            assert ones.interval.upper == pytest.approx(min(100.0, ones.value + half), abs=1e-6)
        else:  # the adjusted-Wald and score intervals use the (equal) effective counts
            assert ones.interval.lower == pytest.approx(plain.interval.lower, abs=1e-6)
            assert ones.interval.upper == pytest.approx(plain.interval.upper, abs=1e-6)


@given(
    st.lists(st.tuples(st.integers(0, 10), st.integers(0, 4)), max_size=25),
    st.sampled_from(["wald", "adjusted_wald", "score", "bootstrap"]),
)
def test_integer_frequency_weights_equal_duplication(
    pairs: list[tuple[int, int]], method: str
) -> None:
    scores = [s for s, _ in pairs]
    weights = [w for _, w in pairs]
    duplicated = [s for s, w in pairs for _ in range(w)]
    a = nps(scores, weights=weights, weights_kind="frequency", ci=method, n_boot=200)
    b = nps(duplicated, ci=method, n_boot=200)
    assert a == b
    # Sampling weights are not repeat counts: the estimate agrees, the precision need not.
    c = nps(scores, weights=[float(w) for w in weights], ci=method, n_boot=200)
    if b.value is not None and c.value is not None:
        assert c.value == pytest.approx(b.value, abs=1e-9)
        assert c.shares == pytest.approx(b.shares, abs=1e-9)


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 3)), max_size=25))
def test_csat_frequency_weights_equal_duplication(pairs: list[tuple[int, int]]) -> None:
    scores = [s for s, _ in pairs]
    duplicated = [s for s, w in pairs for _ in range(w)]
    assert csat(scores, weights=[w for _, w in pairs], weights_kind="frequency") == csat(duplicated)


@given(nps_scores, st.randoms(use_true_random=False), st.sampled_from(METHODS))
def test_order_independence(scores: list[int | None], rnd: object, method: str) -> None:
    shuffled = list(scores)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert nps(scores, ci=method, n_boot=200) == nps(shuffled, ci=method, n_boot=200)
    as_csat = [None if s is None else 1 + s % 5 for s in scores]
    shuffled_csat = [None if s is None else 1 + s % 5 for s in shuffled]
    assert csat(as_csat) == csat(shuffled_csat)


@settings(max_examples=examples(60))
@given(
    survey_frames(), st.sampled_from(["nps", "csat", "ces", "csat_mean", "ces_mean"]), st.booleans()
)
def test_metric_table_rows_equal_scalar_results(
    frame: pd.DataFrame, metric: str, weighted: bool
) -> None:
    weights = "weight" if weighted else None
    t = metric_table(frame, metric, by="segment", freq="M", weights=weights, min_n=3)
    assert t["n"].sum() + t["n_missing"].sum() == len(frame)
    column = metric.partition("_")[0]
    fn = {"nps": nps, "csat": csat, "ces": ces}[column]
    periods = frame["date"].dt.to_period("M")
    for _, row in t.iterrows():
        sub = frame[(frame["segment"] == row["segment"]) & (periods == row["period"])]
        r = fn(sub[column], weights=None if weights is None else sub[weights], min_n=3)
        assert row["n_missing"] == r.n_missing
        assert bool(row["low_sample"]) == r.low_sample
        if metric.endswith("_mean"):
            if r.mean is None:
                assert pd.isna(row["value"])
                continue
            assert r.mean_interval is not None
            expected = (r.mean, r.mean_interval.lower, r.mean_interval.upper)
        else:
            assert row["n"] == r.n
            reason = row["reason"]
            assert (None if pd.isna(reason) else reason) == r.reason
            if r.value is None:
                assert pd.isna(row["value"])
                continue
            assert r.interval is not None
            expected = (r.value, r.interval.lower, r.interval.upper)
        got = (row["value"], row["lower"], row["upper"])
        assert got == pytest.approx(expected, abs=1e-9)


# --------------------------------------------------------------------------- weights, FPC


def test_kish_effective_n_and_design_effect() -> None:
    r = nps([10, 5, 8], weights=[1.0, 2.0, 3.0])
    assert r.n_effective == pytest.approx(36 / 14)
    assert r.design_effect == pytest.approx(3 / (36 / 14))
    # Weighted shares: promoter weight 1 of 6, detractor weight 2 of 6.
    assert r.value == pytest.approx(100 * (1 - 2) / 6)


def test_zero_weight_rows_are_counted_not_dropped_silently() -> None:
    """Regression: rows with sampling weight 0 left n without being reported anywhere."""
    r = nps([9, 10, 3, None], weights=[1.0, 0.0, 2.0, 1.0])
    assert (r.n, r.n_zero_weight, r.n_missing) == (2, 1, 1)
    assert r.value == pytest.approx(100 * (1 - 2) / 3)
    s = csat([5, 4, 1], weights=[0.0, 1.0, 1.0])
    assert (s.n, s.n_zero_weight) == (2, 1)
    assert nps([9, 10]).n_zero_weight == 0
    df = pd.DataFrame({"nps": [9, 10, 3], "w": [1.0, 0.0, 2.0], "g": ["a", "a", "b"]})
    t = metric_table(df, "nps", by="g", freq=None, weights="w", min_n=1)
    assert t["n"].tolist() == [1, 1]
    assert t.attrs["n_zero_weight"] == 1
    assert metric_table(df, "nps", by="g", freq=None).attrs["n_zero_weight"] == 0


def test_metric_table_counts_invalid_scores() -> None:
    """Regression: with invalid="exclude" the table dropped off-scale rows uncounted."""
    df = pd.DataFrame({"nps": [9, 11, 3, -2, 12], "g": ["a", "a", "b", "b", "b"]})
    t = metric_table(df, "nps", by="g", freq=None, invalid="exclude", min_n=1)
    assert t["n"].tolist() == [1, 1]
    assert t.attrs["n_invalid"] == 3
    assert t["n"].sum() + t["n_missing"].sum() + t.attrs["n_invalid"] == len(df)


def test_weighted_linearised_se_formula() -> None:
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 11, 200)
    w = rng.uniform(0.5, 3.0, 200)
    r = nps(scores, weights=w, ci="wald")
    y = np.where(scores >= 9, 1.0, np.where(scores <= 6, -1.0, 0.0))
    mean = (w * y).sum() / w.sum()
    se = math.sqrt(200 / 199 * (w**2 * (y - mean) ** 2).sum() / w.sum() ** 2)
    assert r.value == pytest.approx(mean * 100)
    assert r.se == pytest.approx(se * 100)


def test_weighted_nps_se_reference_issue_11() -> None:
    """Issue 11 reference: the linearised SE has the n / (n - 1) factor (R survey, Stata
    svy, samplics): 0.5229 (52.29 points), not 0.4677; Kish n_eff 4.0, deff 1.25."""
    r = nps([10, 9, 7, 3, 0], weights=[1, 2, 1, 1, 3], ci="wald")
    # y = (1, 1, 0, -1, -1), mean -1/8; sum w^2 (y - mean)^2 = 14, (sum w)^2 = 64.
    assert r.value == -12.5
    assert r.se == pytest.approx(100 * math.sqrt(5 / 4 * 14 / 64), abs=1e-12)
    assert round(r.se, 2) == 52.29
    assert r.n_effective == 4.0
    assert r.design_effect == 1.25
    assert r.interval is not None
    half = 1.959963984540054 * r.se
    assert (r.interval.lower, r.interval.upper) == pytest.approx((-100.0, -12.5 + half))


# samplics tests/estimation/one_stage_fpc.csv (R survey's `fpc` data with samplics' 0/1
# variable z): TaylorEstimator("proportion").estimate(z, weight, fpc=1 - 21/44) gives
# 0.6746988 with SE 0.0776683 (test_expansion_fpc.py::test_prop_estimator_without_str_nor_psu).
ONE_STAGE_WEIGHTS = [3] * 5 + [3] * 6 + [5] * 10
ONE_STAGE_Z = [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize(("low", "scale"), [(7, 1.0), (0, 2.0)])
def test_weighted_nps_se_matches_samplics_one_stage_fpc(low: int, scale: float) -> None:
    """z = 1 as a promoter and z = 0 as a passive (NPS = 100 p) or a detractor (NPS = 100
    (2p - 1), twice the SE). samplics multiplies the variance by its fpc 1 - n/N; crmkit's
    population_size uses (N - n)/(N - 1), so the comparison takes the SE without FPC."""
    scores = [10 if z else low for z in ONE_STAGE_Z]
    r = nps(scores, weights=ONE_STAGE_WEIGHTS, ci="wald", min_n=0)
    share = 0.6746988
    assert r.value == pytest.approx(100 * (share if low else 2 * share - 1), abs=1e-5)
    assert r.se is not None
    assert r.se / 100 * math.sqrt(1 - 21 / 44) == pytest.approx(0.0776683 * scale, abs=1e-7)


def test_weighted_csat_mean_matches_statsmodels_descr_stats() -> None:
    sm = pytest.importorskip("statsmodels.stats.weightstats")
    scores = np.array([1, 2, 3, 4, 5, 5, 4, 4, 3, 5])
    freq = np.array([2, 1, 3, 4, 5, 1, 2, 3, 1, 2])
    r = csat(list(scores), weights=list(freq), weights_kind="frequency")
    d = sm.DescrStatsW(scores.astype(float), weights=freq.astype(float), ddof=1)
    lo, hi = d.tconfint_mean()
    assert r.mean == pytest.approx(d.mean)
    assert r.mean_interval is not None
    assert r.mean_interval.lower == pytest.approx(lo)
    assert r.mean_interval.upper == pytest.approx(hi)


def test_finite_population_correction() -> None:
    base = nps_from_counts(10, 20, 30, ci="wald")
    fpc = nps_from_counts(10, 20, 30, ci="wald", population_size=120)
    assert fpc.se == pytest.approx(base.se * math.sqrt((120 - 60) / 119))
    census = nps_from_counts(10, 20, 30, population_size=60)
    assert census.interval is not None
    assert census.interval.lower == census.interval.upper == census.value
    assert "census" in census.reason
    c = csat({5: 30, 1: 10}, population_size=40)
    assert c.interval is not None
    assert c.interval.width == 0
    with pytest.raises(ConfigError, match="population_size"):
        nps_from_counts(10, 20, 30, population_size=50)


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_seeded_and_close_to_wald_at_large_n() -> None:
    counts = (150, 250, 600)
    a = nps_from_counts(*counts, ci="bootstrap", seed=1)
    b = nps_from_counts(*counts, ci="bootstrap", seed=1)
    c = nps_from_counts(*counts, ci="bootstrap", seed=2)
    wald = nps_from_counts(*counts, ci="wald")
    assert a == b
    assert a.interval != c.interval
    assert a.interval is not None
    assert wald.interval is not None
    assert a.interval.lower == pytest.approx(wald.interval.lower, abs=1.0)
    assert a.interval.upper == pytest.approx(wald.interval.upper, abs=1.0)


def test_weighted_bootstrap_runs_and_brackets_estimate() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 11, 120)
    r = nps(scores, weights=rng.uniform(0.5, 2, 120), ci="bootstrap", n_boot=400)
    assert r.interval is not None
    assert r.value is not None
    assert r.interval.lower < r.value < r.interval.upper


# --------------------------------------------------------------------------- comparisons


def test_compare_nps_wald_matches_rocks_formula() -> None:
    a, b = nps_from_counts(10, 22, 68), nps_from_counts(20, 15, 65)
    c = compare_nps(a, b, method="wald")
    var_a = 0.78 - 0.58**2
    var_b = 0.85 - 0.45**2
    se = math.sqrt(var_a / 100 + var_b / 100)
    z = (0.58 - 0.45) / se
    assert c.difference == pytest.approx(13.0)
    assert c.se == pytest.approx(se * 100)
    assert c.z == pytest.approx(z)
    from scipy import stats

    assert c.p_value == pytest.approx(2 * stats.norm.sf(z))
    assert c.interval is not None
    assert c.interval.lower == pytest.approx((0.13 - 1.959963984540054 * se) * 100)


def test_compare_nps_adjusted_and_degenerate() -> None:
    a, b = nps_from_counts(10, 22, 68), nps_from_counts(20, 15, 65)
    c = compare_nps(a, b)
    p1, d1 = 68.75 / 103, 10.75 / 103
    p2, d2 = 65.75 / 103, 20.75 / 103
    se = math.sqrt((p1 + d1 - (p1 - d1) ** 2) / 103 + (p2 + d2 - (p2 - d2) ** 2) / 103)
    assert c.z == pytest.approx(((p1 - d1) - (p2 - d2)) / se)
    empty = compare_nps(nps([]), a)
    assert empty.difference is None
    assert empty.p_value == 1.0
    same = compare_nps(nps([10, 10]), nps([10]), method="wald")
    assert same.p_value == 1.0
    assert same.reason is not None


def test_compare_proportions_matches_statsmodels() -> None:
    smp = pytest.importorskip("statsmodels.stats.proportion")
    c = compare_proportions((56, 70), (48, 80))
    lo, hi = smp.confint_proportions_2indep(56, 70, 48, 80, method="newcomb")
    z, p = smp.proportions_ztest([56, 48], [70, 80])
    assert c.interval is not None
    assert c.interval.lower == pytest.approx(lo * 100, abs=1e-9)
    assert c.interval.upper == pytest.approx(hi * 100, abs=1e-9)
    assert c.z == pytest.approx(z)
    assert c.p_value == pytest.approx(p)
    with_results = compare_proportions(csat({5: 56, 1: 14}), csat({4: 48, 2: 32}))
    assert with_results.p_value == pytest.approx(p)
    assert compare_proportions((0, 0), (1, 2)).difference is None
    assert compare_proportions((0, 5), (0, 9)).p_value == 1.0


def test_compare_groups_holm_matches_statsmodels() -> None:
    smm = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "segment": np.repeat(list("abcde"), 80),
            "csat": np.concatenate([rng.integers(1, 6, 80) for _ in range(5)]),
        }
    )
    t = compare_groups(df, "csat", by="segment", baseline="c")
    assert list(t["group"]) == ["a", "b", "d", "e"]
    np.testing.assert_allclose(t["p_adjusted"], smm.multipletests(t["p_value"], method="holm")[1])
    raw = compare_groups(df, "csat", by="segment", adjust="none")
    assert (raw["p_adjusted"] == raw["p_value"]).all()
    n = compare_groups(df.assign(nps=df["csat"] * 2), "nps", by="segment", method="wald")
    assert len(n) == 4


# --------------------------------------------------------------------------- policies


def test_missing_policy() -> None:
    scores = [10, 9, None, 3, None]
    excluded = nps(scores)
    included = nps(scores, missing="include")
    assert (excluded.n, excluded.n_missing, excluded.value) == (3, 2, pytest.approx(100 / 3))
    assert (included.n, included.n_missing, included.value) == (5, 0, 20.0)
    c = csat([5, None, 1], missing="include")
    assert (c.n, c.value, c.mean) == (3, pytest.approx(100 / 3), 3.0)


def test_invalid_policy() -> None:
    with pytest.raises(InvalidInputError) as info:
        nps(pd.Series([10, 11, 4.5, 3], index=["a", "b", "c", "d"]))
    assert info.value.rows == ("b", "c")
    r = nps([10, 11, 4.5, 3], invalid="exclude")
    assert (r.n, r.n_invalid) == (2, 2)
    with pytest.raises(InvalidInputError, match="numeric"):
        nps(["ten", 9])
    with pytest.raises(InvalidInputError, match="booleans"):
        nps(pd.Series([True, False]))


def test_rounding_only_at_display() -> None:
    r = nps_from_counts(1, 5, 2)  # exact NPS 12.5
    assert r.exact == Fraction(25, 2)
    assert r.format().startswith("NPS 13 ")
    assert r.format(rounding="half_even").startswith("NPS 12 ")
    assert r.format(decimals=1).startswith("NPS 12.5 ")
    assert nps_from_counts(3, 5, 1).format().startswith("NPS -22 ")  # -22.2...
    assert nps_from_counts(2, 5, 1).format().startswith("NPS -13 ")  # -12.5: half away from 0
    assert round_shares([12.5, 87.5], sum_to_total=False) == [Decimal(13), Decimal(88)]
    assert round_shares([12.5, 87.5]) == [Decimal(13), Decimal(87)]


@given(st.lists(st.integers(0, 50), min_size=1, max_size=8), st.integers(0, 2))
def test_largest_remainder_sums_to_100(counts: list[int], decimals: int) -> None:
    total = sum(counts)
    if total == 0:
        return
    shares = [Fraction(100 * c, total) for c in counts]
    rounded = round_shares(shares, decimals)
    assert sum(rounded) == 100
    for r, s in zip(rounded, shares, strict=True):
        assert abs(float(r) - float(s)) < 10 ** (-decimals)


def test_values_are_exact_so_half_up_ties_round_up() -> None:
    """Regression: 29 net promoters of 200 gave value 14.499999999999998 (p - d, then * 100).

    The exact score is 14.5, which half-up shows as 15; the float value, the table and the
    CLI display must agree with ``format()``.
    """
    scores = [10] * 29 + [8] * 171
    r = nps(scores)
    assert r.value == 14.5
    assert r.format().startswith("NPS 15 ")
    assert r.shares["promoters"] == 14.5
    t = metric_table(pd.DataFrame({"nps": scores}), "nps", freq=None)
    assert t.loc[0, "value"] == 14.5
    for n in range(1, 60):
        for k in range(n + 1):
            assert csat({5: k, 1: n - k}).value == float(Fraction(100 * k, n))
            assert nps({10: k, 0: n - k}).value == float(Fraction(100 * (2 * k - n), n))


def test_rounded_shares_on_results() -> None:
    r = nps_from_counts(1, 1, 1)
    assert sum(r.rounded_shares().values()) == 100
    assert r.rounded_shares(sum_to_100=False) == {
        "detractors": Decimal(33),
        "passives": Decimal(33),
        "promoters": Decimal(33),
    }
    assert nps([]).rounded_shares() == {
        k: Decimal(0) for k in ("detractors", "passives", "promoters")
    }


def test_ces_versions_and_polarity() -> None:
    two = ces([7, 6, 5, 4, 1, 6])
    assert (two.scale, two.positive, two.polarity) == (
        (1, 7),
        frozenset({5, 6, 7}),
        "higher_is_better",
    )
    assert two.value == pytest.approx(400 / 6)
    one = ces([1, 2, 4, 5], version="1.0")
    assert (one.scale, one.polarity, one.value) == ((1, 5), "lower_is_better", 50.0)
    with pytest.raises(InvalidInputError):
        ces([6], version="1.0")


def test_custom_scheme_and_scale() -> None:
    scheme = NpsScheme(scale_min=1, scale_max=5, detractor_max=3, promoter_min=5)
    r = nps([5, 5, 4, 1], scheme=scheme)
    assert (r.promoters, r.passives, r.detractors) == (2, 1, 1)
    assert json.loads(json.dumps(scheme.to_dict())) == scheme.to_dict()
    assert NpsScheme.from_dict(scheme.to_dict()) == scheme
    q = csat([9, 10, 6], scale=(1, 10), positive={9, 10})
    assert q.value == pytest.approx(200 / 3)


def test_sample_size_formula_and_plugin_check() -> None:
    n = nps_sample_size(promoters=0.5, detractors=0.2, margin=5)
    s2 = 0.7 - 0.09
    assert n == math.ceil(1.959963984540054**2 * s2 / 0.05**2 - 3)
    r = nps_from_counts(int(0.2 * n), n - int(0.2 * n) - int(0.5 * n), int(0.5 * n))
    assert r.interval is not None
    assert r.interval.width / 2 <= 5.05
    m = nps_sample_size(promoters=0.5, detractors=0.2, difference=10, power=0.8)
    z = 1.959963984540054 + 0.8416212335729143
    assert m == math.ceil(2 * s2 * z * z / 0.01 - 3)
    # Regression: power < 0.5 raised a ConfigError about 'level' (z_beta is then negative).
    low = nps_sample_size(promoters=0.5, detractors=0.2, difference=10, power=0.3)
    z = 1.959963984540054 - 0.5244005127080407
    assert low == math.ceil(2 * s2 * z * z / 0.01 - 3)


def test_sample_size_for_a_comparison_delivers_its_power() -> None:
    """MeasuringU's n = s^2 Z^2 / d^2 - 3 with s^2 the sum of both groups' variances: at the
    planned n, the adjusted-Wald z test detects the 10-point difference 80% of the time
    (seeded simulation; a single-group s^2 would give only about 50%)."""
    n = nps_sample_size(
        promoters=0.55, detractors=0.2, difference=10, promoters_b=0.45, detractors_b=0.2
    )
    rng = np.random.default_rng(0)
    a = rng.multinomial(n, [0.2, 0.25, 0.55], size=4000)
    b = rng.multinomial(n, [0.2, 0.35, 0.45], size=4000)

    def adjusted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nt = x.sum(axis=1) + 3
        p, d = (x[:, 2] + 0.75) / nt, (x[:, 0] + 0.75) / nt
        return p - d, (p + d - (p - d) ** 2) / nt

    (ca, va), (cb, vb) = adjusted(a), adjusted(b)
    power = float(np.mean(np.abs(ca - cb) / np.sqrt(va + vb) > 1.959963984540054))
    assert power == pytest.approx(0.80, abs=0.03)
    one = compare_nps(nps_from_counts(*a[0]), nps_from_counts(*b[0]))
    assert one.z == pytest.approx((ca[0] - cb[0]) / math.sqrt(va[0] + vb[0]), abs=1e-12)


def test_metric_table_shape_and_inputs_untouched() -> None:
    from crmkit.datasets import survey_responses

    df = survey_responses(n_responses=600, seed=3)
    before = df.copy()
    t = metric_table(df, "nps", by=["segment"], freq="Q", min_n=40)
    pd.testing.assert_frame_equal(df, before)
    assert list(t.columns) == [
        "segment",
        "period",
        "n",
        "value",
        "lower",
        "upper",
        "se",
        "n_missing",
        "low_sample",
        "reason",
    ]
    assert t.attrs["method"] == "adjusted_wald"
    assert (t["lower"] <= t["upper"]).all()
    overall = metric_table(df, "csat", freq=None)
    assert len(overall) == 1
    assert overall.loc[0, "n"] == df["csat"].notna().sum()
    tz = df.assign(date=df["date"].dt.tz_localize("Asia/Shanghai"))
    assert metric_table(tz, "nps", freq="M")["n"].sum() == df["nps"].notna().sum()
    assert len(metric_table(df.iloc[:0], "nps", by="segment")) == 0


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda: nps([1], ci="exact"), ConfigError, "ci"),
        (lambda: nps([1], level=95), ConfigError, "level"),
        (lambda: nps([1], missing="drop"), ConfigError, "missing"),
        (lambda: nps([1], invalid="ignore"), ConfigError, "invalid"),
        (lambda: nps([1], weights_kind="x"), ConfigError, "weights_kind"),
        (lambda: nps([1], weights=[1.0, 2.0]), InvalidInputError, "weights"),
        (lambda: nps([1], weights=[-1.0]), InvalidInputError, "weights"),
        (lambda: nps([1], weights=[1.5], weights_kind="frequency"), InvalidInputError, "weights"),
        (lambda: nps({1: 2}, weights=[1.0]), ConfigError, "weights"),
        (lambda: nps({1: -2}), InvalidInputError, "scores"),
        (lambda: nps(5), InvalidInputError, "scores"),
        (lambda: nps(pd.DataFrame({"a": [1]})), InvalidInputError, "scores"),
        (lambda: nps([1], population_size=0), ConfigError, "population_size"),
        (lambda: nps([1], min_n=-1), ConfigError, "min_n"),
        (lambda: nps([1], ci="bootstrap", n_boot=10), ConfigError, "n_boot"),
        (lambda: nps([1], seed="x"), ConfigError, "seed"),
        (lambda: nps([1], scheme="standard"), ConfigError, "scheme"),
        (lambda: nps_from_counts(-1, 0, 0), InvalidInputError, "detractors"),
        (lambda: NpsScheme(detractor_max=9), ConfigError, "detractor_max, promoter_min"),
        (lambda: NpsScheme(scale_max=10.0), ConfigError, "scale_max"),
        (lambda: NpsScheme.from_dict({"cutoff": 6}), ConfigError, "cutoff"),
        (lambda: NpsScheme().category(11), InvalidInputError, "score"),
        (lambda: csat([1], scale=(5, 1)), ConfigError, "scale"),
        (lambda: csat([1], positive={9}), ConfigError, "positive"),
        (lambda: csat([1], positive=set()), ConfigError, "positive"),
        (lambda: csat([1], ci="wald"), ConfigError, "ci"),
        (lambda: ces([1], version="3"), ConfigError, "version"),
        (lambda: compare_nps(nps([1]), "b"), ConfigError, "b"),  # type: ignore[arg-type]
        (lambda: compare_nps(nps([1]), nps([1]), method="score"), ConfigError, "method"),
        (lambda: compare_proportions((1, 2), [1, 2]), ConfigError, "b"),
        (lambda: compare_proportions((3, 2), (1, 2)), InvalidInputError, "a, b"),
        (lambda: metric_table([], "nps"), InvalidInputError, "responses"),
        (lambda: metric_table(pd.DataFrame({"date": []}), "nps"), SchemaError, "nps"),
        (
            lambda: metric_table(pd.DataFrame({"date": [1], "nps": [1]}), "nps"),
            InvalidInputError,
            "date",
        ),
        (
            lambda: metric_table(pd.DataFrame({"date": [pd.NaT], "nps": [1]}), "nps"),
            InvalidInputError,
            "date",
        ),
        (
            lambda: metric_table(
                pd.DataFrame({"date": [pd.Timestamp(0)], "nps": [1]}), "nps", freq="fortnight"
            ),
            ConfigError,
            "freq",
        ),
        (
            lambda: metric_table(pd.DataFrame({"nps": [1]}), "nps_mean", freq=None),
            ConfigError,
            "metric",
        ),
        (
            lambda: metric_table(pd.DataFrame({"csat": [1]}), "csat", freq=None, ci="wald"),
            ConfigError,
            "ci",
        ),
        (
            lambda: compare_groups(pd.DataFrame({"s": [1], "nps": [1]}), "x", by="s"),
            ConfigError,
            "metric",
        ),
        (
            lambda: compare_groups(pd.DataFrame({"s": [1], "nps": [1]}), by="s", adjust="bonf"),
            ConfigError,
            "adjust",
        ),
        (
            lambda: compare_groups(pd.DataFrame({"s": [1], "nps": [1]}), by="s", baseline=2),
            ConfigError,
            "baseline",
        ),
        (lambda: nps_sample_size(promoters=0.5, detractors=0.2), ConfigError, "margin, difference"),
        (
            lambda: nps_sample_size(promoters=0.9, detractors=0.2, margin=5),
            ConfigError,
            "promoters, detractors",
        ),
        (lambda: nps_sample_size(promoters=0.5, detractors=0.2, margin=0), ConfigError, "margin"),
        (
            lambda: nps_sample_size(promoters=0.5, detractors=0.2, difference=5, power=1),
            ConfigError,
            "power",
        ),
        (lambda: round_shares([50, 50], rounding="bankers"), ConfigError, "rounding"),
        (lambda: round_shares([50, 50], decimals=-1), ConfigError, "decimals"),
        (lambda: nps([9]).format(decimals=1.5), ConfigError, "decimals"),  # type: ignore[arg-type]
        (lambda: csat([5, 4]).format(what="median"), ConfigError, "what"),
    ],
)
def test_errors(call: object, error: type[Exception], field: str) -> None:
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field  # type: ignore[attr-defined]


def test_empty_compare_groups() -> None:
    t = compare_groups(pd.DataFrame({"s": pd.Series([], dtype=object), "nps": []}), by="s")
    assert len(t) == 0
    assert "p_adjusted" in t.columns


def test_compare_groups_says_why_a_comparison_is_undefined() -> None:
    """Regression: the reason of an undefined comparison (baseline without scores) was lost."""
    df = pd.DataFrame({"seg": ["a", "b", "b"], "nps": [None, 9, 3]})
    t = compare_groups(df, "nps", by="seg")
    assert t.loc[0, "reason"] == "a group has no responses"
    assert (t.loc[0, "p_value"], t.loc[0, "significant"]) == (1.0, False)
    assert list(t.columns)[-1] == "reason"
    ok = compare_groups(
        pd.DataFrame({"seg": ["a", "a", "b", "b"], "csat": [5, 1, 4, 2]}), "csat", by="seg"
    )
    assert ok.loc[0, "reason"] is None


def test_share_without_any_score_for_the_mean() -> None:
    r = csat([None, None], missing="include")
    assert (r.n, r.value, r.mean) == (2, 0.0, None)
    assert r.format().startswith("CSAT 0% ")
    assert r.format(what="mean") == "CSAT mean n/a (n = 0: no scores, 2 missing answers)"
    assert r.reason is not None
    # No mean, so no mean interval to call "the whole scale" (as reported before).
    assert r.mean_reason == "no scores, 2 missing answers"
    assert r.mean_n == 0


@pytest.mark.parametrize("weights", [None, "w"])
def test_metric_table_bootstrap_is_seeded(weights: str | None) -> None:
    from crmkit.datasets import survey_responses

    df = survey_responses(n_responses=400, seed=8).assign(w=lambda f: 1.0 + (f.index % 3))
    a = metric_table(df, by="segment", freq="Q", weights=weights, ci="bootstrap", n_boot=300)
    b = metric_table(df, by="segment", freq="Q", weights=weights, ci="bootstrap", n_boot=300)
    pd.testing.assert_frame_equal(a, b)
    assert (a["lower"] <= a["value"]).all()
    assert (a["value"] <= a["upper"]).all()
    assert a.attrs["method"] == "bootstrap"


def test_adjusted_wald_holds_the_observed_score_at_n_1() -> None:
    """One promoter: NPS 100. Rocks' adjusted Wald (3/4, 3/2, 3/4 pseudo-answers; Rocks
    2016, The American Statistician 70(4); MeasuringU "Confidence Intervals for Net
    Promoter Scores") centres on p~ - d~ = 1.75/4 - 0.75/4 = 0.25 with variance
    0.625 - 0.0625 = 0.5625, so the 95% interval is 0.25 -/+ 1.959964 * sqrt(0.5625 / 4)
    = [-0.48499, 0.98499]: it used to exclude the score it was reported with. crmkit
    extends the interval to the observed score: [-48.4986, 100]."""
    r = nps_from_counts(0, 0, 1)
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(-48.49865, abs=1e-4)
    assert r.interval.upper == 100.0
    lone = nps_from_counts(1, 0, 0)
    assert lone.interval is not None
    assert (lone.interval.lower, lone.interval.upper) == (-100.0, pytest.approx(48.49865, abs=1e-4))
    # At 80% the shrinkage outruns z for an all-promoter group of any size:
    # 20/23 + 1.281552 * sqrt((21.5/23 - (20/23)**2) / 23) = 0.9820 < 1.
    r80 = nps_from_counts(0, 0, 20, level=0.8)
    assert r80.interval is not None
    assert r80.interval.upper == 100.0
    assert r80.interval.lower == pytest.approx(75.66220, abs=1e-4)


@settings(max_examples=examples(200), deadline=None)
@given(nps_counts, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_adjusted_wald_interval_contains_the_point_estimate(
    counts: tuple[int, int, int], level: float
) -> None:
    """Every reported NPS interval (adjusted Wald) holds the reported score, at any level;
    ``metric_table`` (the same statistics from grouped sums) agrees."""
    r = nps_from_counts(*counts, level=level)
    if r.value is None:
        return
    assert r.interval is not None
    assert r.interval.lower - 1e-9 <= r.value <= r.interval.upper + 1e-9
    det, pas, pro = counts
    frame = pd.DataFrame({"nps": [0] * det + [7] * pas + [10] * pro})
    row = metric_table(frame, "nps", freq=None, level=level).iloc[0]
    assert float(row["lower"]) == pytest.approx(r.interval.lower, abs=1e-9)
    assert float(row["upper"]) == pytest.approx(r.interval.upper, abs=1e-9)


def test_compare_nps_adjusted_interval_holds_the_observed_difference() -> None:
    """One promoter against one detractor: difference 200 points. The adjusted difference
    is 0.25 - (-0.25) = 0.5 with SE sqrt(2 * 0.5625 / 4) = 0.5303, so the raw 95% interval
    is [-53.94, 153.94] (MeasuringU's adjusted-Wald comparison); crmkit extends it to 200."""
    c = compare_nps(nps_from_counts(0, 0, 1), nps_from_counts(1, 0, 0))
    assert c.difference == 200.0
    assert c.interval is not None
    assert c.interval.lower == pytest.approx(-53.94279, abs=1e-4)
    assert c.interval.upper == 200.0
