"""Tests of crmkit._stats: shared intervals and tests against statsmodels/scipy oracles."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import _stats
from crmkit.errors import ConfigError, InvalidInputError

sm_prop = pytest.importorskip("statsmodels.stats.proportion")
sm_multi = pytest.importorskip("statsmodels.stats.multitest")

METHODS = {
    "wilson": _stats.wilson_interval,
    "agresti_coull": _stats.agresti_coull_interval,
    "beta": _stats.clopper_pearson_interval,
    "jeffreys": _stats.jeffreys_interval,
}


def test_issue_reference_values() -> None:
    lo, hi = _stats.wilson_interval(70, 100)
    assert lo == pytest.approx(0.6041514537, abs=1e-9)
    assert hi == pytest.approx(0.7810511471, abs=1e-9)
    lo, hi = _stats.clopper_pearson_interval(70, 100)
    assert lo == pytest.approx(0.6001853238, abs=1e-9)
    assert hi == pytest.approx(0.7875935795, abs=1e-9)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_proportion_intervals_match_statsmodels_on_a_grid(method: str, level: float) -> None:
    ns = np.array([1, 2, 5, 10, 37, 100, 1000])
    xs = [np.arange(1, n) for n in ns]  # interior counts: statsmodels and BCD agree there
    x = np.concatenate(xs)
    n = np.concatenate([np.full(len(a), k) for a, k in zip(xs, ns, strict=True)])
    lo, hi = METHODS[method](x, n, level)
    ref_lo, ref_hi = sm_prop.proportion_confint(x, n, alpha=1 - level, method=method)
    np.testing.assert_allclose(lo, ref_lo, atol=1e-9)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-9)


@pytest.mark.parametrize("method", ["wilson", "agresti_coull", "beta"])
def test_boundary_counts_match_statsmodels(method: str) -> None:
    x = np.array([0, 10, 0, 1])
    n = np.array([10, 10, 1, 1])
    lo, hi = METHODS[method](x, n)
    ref_lo, ref_hi = sm_prop.proportion_confint(x, n, method=method)
    np.testing.assert_allclose(lo, np.clip(ref_lo, 0, 1), atol=1e-9)
    np.testing.assert_allclose(hi, np.clip(ref_hi, 0, 1), atol=1e-9)


def test_jeffreys_boundary_rule_of_brown_cai_dasgupta() -> None:
    lo, hi = _stats.jeffreys_interval([0, 10], [10, 10])
    assert lo[0] == 0.0
    assert hi[1] == 1.0
    # The other bound is the plain Jeffreys quantile, as statsmodels gives.
    ref_lo, ref_hi = sm_prop.proportion_confint(np.array([0, 10]), 10, method="jeffreys")
    assert hi[0] == pytest.approx(ref_hi[0], abs=1e-12)
    assert lo[1] == pytest.approx(ref_lo[1], abs=1e-12)


@pytest.mark.parametrize("fn", list(METHODS.values()))
def test_n_zero_gives_whole_range_without_warnings(fn: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = fn(np.array([0, 0, 5]), np.array([0, 0, 10]))  # type: ignore[operator]
        assert lo[:2].tolist() == [0.0, 0.0]
        assert hi[:2].tolist() == [1.0, 1.0]
        assert fn(0, 0) == (0.0, 1.0)  # type: ignore[operator]


def test_scalar_in_gives_floats_array_in_gives_arrays() -> None:
    lo, hi = _stats.wilson_interval(3, 10)
    assert type(lo) is float
    assert type(hi) is float
    lo2, hi2 = _stats.wilson_interval(np.array([[3, 4]]), 10)
    assert lo2.shape == hi2.shape == (1, 2)
    assert lo2[0, 0] == lo


@given(
    st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=20),
    st.sampled_from(sorted(METHODS)),
)
def test_batch_equals_scalar_and_contains_estimate(
    pairs: list[tuple[int, int]], method: str
) -> None:
    n = np.array([max(a, b) for a, b in pairs])
    x = np.array([min(a, b) for a, b in pairs])
    lo, hi = METHODS[method](x, n)
    for i in range(len(n)):
        slo, shi = METHODS[method](int(x[i]), int(n[i]))
        assert slo == pytest.approx(lo[i], abs=1e-12)
        assert shi == pytest.approx(hi[i], abs=1e-12)
        assert 0.0 <= lo[i] <= hi[i] <= 1.0
        if n[i] > 0:
            p = x[i] / n[i]
            assert lo[i] - 1e-12 <= p <= hi[i] + 1e-12


def test_wilson_narrows_with_level() -> None:
    lo90, hi90 = _stats.wilson_interval(30, 100, 0.90)
    lo99, hi99 = _stats.wilson_interval(30, 100, 0.99)
    assert lo99 < lo90 < hi90 < hi99


def test_t_interval_matches_scipy() -> None:
    from scipy import stats

    rng = np.random.default_rng(1)
    sample = rng.integers(1, 6, size=40).astype(float)
    m, s = sample.mean(), sample.std(ddof=1)
    lo, hi = _stats.t_interval(m, s, len(sample))
    ref = stats.t.interval(0.95, len(sample) - 1, loc=m, scale=stats.sem(sample))
    assert (lo, hi) == pytest.approx(ref, abs=1e-10)


def test_t_interval_small_n_and_bounds() -> None:
    assert _stats.t_interval(3.0, 0.0, 1) == (-np.inf, np.inf)
    assert _stats.t_interval(3.0, 0.0, 0, bounds=(1, 5)) == (1.0, 5.0)
    lo, hi = _stats.t_interval([4.9, 3.0], [2.0, 0.0], [3, 5], bounds=(1, 5))
    assert hi[0] == 5.0
    assert lo[1] == hi[1] == 3.0


def test_newcombe_matches_statsmodels() -> None:
    cases = [(56, 70, 48, 80), (0, 10, 0, 20), (10, 10, 3, 30), (1, 2, 5, 9), (99, 100, 1, 100)]
    for x1, n1, x2, n2 in cases:
        lo, hi = _stats.newcombe_interval(x1, n1, x2, n2)
        ref = sm_prop.confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
        assert (lo, hi) == pytest.approx(tuple(float(v) for v in ref), abs=1e-9)
    # Newcombe (1998) Table II, example (a): 56/70 - 48/80 -> 0.0524 to 0.3339.
    lo, hi = _stats.newcombe_interval(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
        ((0, 10, 0, 20), (-0.1611, 0.2775)),
        ((0, 10, 0, 10), (-0.2775, 0.2775)),
        ((10, 10, 0, 20), (0.6791, 1.0)),
        ((10, 10, 0, 10), (0.6075, 1.0)),
    ],
)
def test_newcombe_1998_table_ii_method_10(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    """Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score):
    all eight published examples (a)-(h), to the 4 decimals printed."""
    lo, hi = _stats.newcombe_interval(*counts)
    assert (round(lo, 4), round(hi, 4)) == expected


@pytest.mark.parametrize(
    ("x", "n", "wilson", "exact"),
    [
        (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
        (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
        (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
        (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
    ],
)
def test_newcombe_1998_single_proportion_examples(
    x: int, n: int, wilson: tuple[float, float], exact: tuple[float, float]
) -> None:
    """Newcombe (1998), "Two-sided confidence intervals for the single proportion",
    Statistics in Medicine 17:857-872, Table I: the Wilson score (method 3) and
    Clopper-Pearson (method 5) intervals of its four examples."""
    lo, hi = _stats.wilson_interval(x, n)
    assert (round(lo, 4), round(hi, 4)) == wilson
    lo, hi = _stats.clopper_pearson_interval(x, n)
    assert (round(lo, 4), round(hi, 4)) == exact


def test_garwood_published_table_values() -> None:
    """Exact Poisson limits as tabulated (Garwood 1936; e.g. Ulm 1990, Am J Epidemiol):
    k = 0 -> (0, 3.689), k = 1 -> (0.0253, 5.572), k = 10 -> (4.795, 18.390)."""
    for k, expected in ((0, (0.0, 3.689)), (1, (0.0253, 5.572)), (10, (4.795, 18.390))):
        lo, hi = _stats.poisson_interval(k)
        assert (round(lo, 4 if k == 1 else 3), round(hi, 3)) == expected


def test_newcombe_empty_group_is_wide_not_nan() -> None:
    lo, hi = _stats.newcombe_interval(0, 0, 5, 10)
    assert -1.0 <= lo < 0 < hi <= 1.0


def test_poisson_matches_scipy_chi2() -> None:
    from scipy import stats

    k = np.array([0, 1, 5, 10, 123])
    lo, hi = _stats.poisson_interval(k, 1000.0, 0.9)
    ref_lo = np.where(k > 0, stats.chi2.ppf(0.05, 2 * np.maximum(k, 1)) / 2, 0) / 1000
    ref_hi = stats.chi2.ppf(0.95, 2 * k + 2) / 2 / 1000
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-10)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-10)
    # Garwood's classic table: k = 0 -> (0, 3.689) at 95%.
    assert _stats.poisson_interval(0)[1] == pytest.approx(3.6889, abs=1e-4)


def test_poisson_zero_exposure() -> None:
    assert _stats.poisson_interval(0, 0.0) == (0.0, np.inf)


def test_score_test_matches_statsmodels() -> None:
    for x1, n1, x2, n2 in [(56, 70, 48, 80), (3, 10, 7, 12), (0, 5, 2, 5)]:
        z, p = _stats.two_proportion_score_test(x1, n1, x2, n2)
        rz, rp = sm_prop.proportions_ztest([x1, x2], [n1, n2])
        assert z == pytest.approx(rz, abs=1e-12)
        assert p == pytest.approx(rp, abs=1e-12)


def test_score_test_degenerate_cases() -> None:
    z, p = _stats.two_proportion_score_test([0, 5, 3], [0, 5, 3], [4, 5, 0], [9, 5, 3])
    assert z[:2].tolist() == [0.0, 0.0]
    assert p[:2].tolist() == [1.0, 1.0]
    assert p[2] < 0.05


def test_holm_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.2, size=12)
    ref = sm_multi.multipletests(p, method="holm")[1]
    np.testing.assert_allclose(_stats.holm_adjust(p), ref, atol=1e-12)
    assert _stats.holm_adjust(0.02) == 0.02
    assert _stats.holm_adjust([]).tolist() == []


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_is_at_least_raw_and_order_independent(p: list[float]) -> None:
    adj = _stats.holm_adjust(p)
    assert np.all(adj >= np.asarray(p) - 1e-15)
    assert np.all(adj <= 1.0)
    perm = np.random.default_rng(0).permutation(len(p))
    np.testing.assert_allclose(_stats.holm_adjust(np.asarray(p)[perm]), adj[perm])


def test_z_value_and_sf() -> None:
    assert _stats.z_value(0.95) == pytest.approx(1.959963985, abs=1e-9)
    assert _stats.normal_sf(0.0) == 0.5


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: _stats.wilson_interval(5, 3), "successes"),
        (lambda: _stats.wilson_interval(-1, 3), "successes"),
        (lambda: _stats.wilson_interval(1.5, 3), "successes"),
        (lambda: _stats.wilson_interval(1, np.nan), "n"),
        (lambda: _stats.wilson_interval(["a"], [3]), "successes"),
        (lambda: _stats.newcombe_interval(1, 2, 3, 2), "x2"),
        (lambda: _stats.poisson_interval(-1), "count"),
        (lambda: _stats.poisson_interval(1.5), "count"),
        (lambda: _stats.poisson_interval(["x"]), "count"),
        (lambda: _stats.poisson_interval(1, -2.0), "exposure"),
        (lambda: _stats.t_interval(1.0, -1.0, 5), "mean, sd, n"),
        (lambda: _stats.holm_adjust([0.5, 1.5]), "p_values"),
    ],
)
def test_bad_input_errors(call: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, True, "0.95"])
def test_bad_level(level: object) -> None:
    with pytest.raises(ConfigError, match="level"):
        _stats.wilson_interval(1, 2, level)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- weighted variants

FRACTIONAL_CASES = [
    (52.5, 65.6, 40.1, 71.3),
    (0.4, 3.7, 2.25, 2.25),
    (10.0, 12.5, 0.0, 7.75),
    (33.3, 33.3, 12.1, 40.9),
]


@pytest.mark.parametrize("counts", FRACTIONAL_CASES)
def test_weighted_newcombe_matches_statsmodels_on_fractional_counts(
    counts: tuple[float, float, float, float],
) -> None:
    """The weighted (Kish effective count) Newcombe interval is statsmodels' on the same floats."""
    lo, hi = _stats.newcombe_interval(*counts, fractional=True)
    ref = sm_prop.confint_proportions_2indep(*counts, method="newcomb")
    assert (lo, hi) == pytest.approx(tuple(float(v) for v in ref), abs=1e-12)


@pytest.mark.parametrize("counts", FRACTIONAL_CASES[:2])
def test_weighted_score_test_matches_statsmodels_on_fractional_counts(
    counts: tuple[float, float, float, float],
) -> None:
    """The weighted score test is statsmodels' pooled score test on the effective counts."""
    z, p = _stats.two_proportion_score_test(*counts, fractional=True)
    ref = sm_prop.test_proportions_2indep(*counts, method="score", correction=False)
    assert z == pytest.approx(float(ref.statistic), abs=1e-12)
    assert p == pytest.approx(float(ref.pvalue), abs=1e-12)


@given(
    st.integers(0, 60),
    st.integers(1, 60),
    st.integers(0, 60),
    st.integers(1, 60),
)
def test_fractional_variants_equal_whole_ones_on_whole_counts(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    """On whole counts the weighted variants give the unweighted results to the bit."""
    x1, x2 = min(x1, n1), min(x2, n2)
    assert _stats.newcombe_interval(
        float(x1), float(n1), float(x2), float(n2), fractional=True
    ) == _stats.newcombe_interval(x1, n1, x2, n2)
    assert _stats.two_proportion_score_test(
        float(x1), float(n1), float(x2), float(n2), fractional=True
    ) == _stats.two_proportion_score_test(x1, n1, x2, n2)


def test_fractional_counts_refused_unless_asked_for() -> None:
    """Without ``fractional=True`` a non-integer count is still an InvalidInputError."""
    with pytest.raises(InvalidInputError, match="x1"):
        _stats.newcombe_interval(2.5, 10, 3, 10)
    with pytest.raises(InvalidInputError, match="x2"):
        _stats.two_proportion_score_test(2, 10, 3.5, 10)
    with pytest.raises(InvalidInputError, match="x1"):
        _stats.newcombe_interval(10.5, 10, 3, 10, fractional=True)


def test_linearized_variance_matches_samplics_yrbs_reference() -> None:
    """samplics tests/estimation/test_expansion.py::test_mean_estimator_without_str_nor_psu:
    the weighted mean of y = (qn8 == 1) over yrbs.csv's 8,757 answered rows is 0.8136225
    with SE 0.0066567. The sums below were computed once from that file (y is 0/1, so the
    sums of w^2 y and w^2 y^2 are equal)."""
    n, sum_w, sum_w2 = 8757, 9756.7772, 23712.05931276
    sum_wy, sum_w2y = 7938.3335, 18300.96494445
    mean = sum_wy / sum_w
    var = _stats.linearized_variance(sum_w, sum_w2, sum_w2y, sum_w2y, mean, n=n)
    assert mean == pytest.approx(0.8136225, abs=1e-7)
    assert var**0.5 == pytest.approx(0.0066567, abs=1e-7)
    # Without n / (n - 1) it is the plug-in form, smaller by that factor.
    plain = _stats.linearized_variance(sum_w, sum_w2, sum_w2y, sum_w2y, mean)
    assert var == pytest.approx(plain * n / (n - 1), rel=1e-12)


def test_linearized_variance_edge_cases_and_kish() -> None:
    """n <= 1 or no weight gives 0 (no NaN); Kish n_eff of equal weights is the count."""
    assert _stats.linearized_variance(0.0, 0.0, 0.0, 0.0, 0.0, n=0) == 0.0
    assert _stats.linearized_variance(2.0, 4.0, 4.0, 4.0, 1.0, n=1) == 0.0
    assert _stats.kish_effective_n(5.0, 5.0) == 5.0
    assert _stats.kish_effective_n(0.0, 0.0) == 0.0
    assert _stats.kish_effective_n([8.0, 4.0], [16.0, 4.0]).tolist() == [4.0, 4.0]


def test_nps_intervals_hand_checked() -> None:
    """Adjusted Wald (Rocks 2016) for 20/30/50 and the Wald interval, by hand."""
    p_t, d_t = 50.75 / 103, 20.75 / 103
    centre = p_t - d_t
    half = 1.959963984540054 * ((p_t + d_t - centre**2) / 103) ** 0.5
    lo, hi = _stats.nps_adjusted_wald_interval(0.5, 0.2, 100)
    assert (lo, hi) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert _stats.nps_variance(0.5, 0.2) == pytest.approx(0.61)
    lo, hi = _stats.wald_interval(0.3, 0.1, 0.95)
    assert (lo, hi) == pytest.approx((0.3 - 0.1959963984540054, 0.3 + 0.1959963984540054))
    # The score interval: boundaries (all promoters: upper 1; all detractors: lower -1).
    lo, hi = _stats.nps_score_interval(0, 10, 10)
    assert hi == 1.0
    assert lo < 1.0
    lo, hi = _stats.nps_score_interval(10, 0, 10)
    assert lo == -1.0


def test_linearized_variance_matches_samplics_one_stage_mean() -> None:
    """samplics tests/estimation/test_expansion_fpc.py::test_mean_estimator_without_str_nor_psu
    on one_stage_fpc.csv (R survey's `fpc` data): weighted mean of y 10.27855, SE 0.6177327
    with samplics' fpc 1 - 21/44 applied to the variance (crmkit's own FPC is (N-n)/(N-1),
    so the factor is applied here by hand)."""
    stratum_1_2 = [5.54, 7.7, 11.48, 12.2, 16.7, 7.16, 2.66, 9.5, 9.5, 7.7, 13.1]
    stratum_3 = [6.26, 16.7, 5.54, 8.42, 8.6, 11.3, 11.12, 12.74, 11.48, 16.52]
    y = np.array([*stratum_1_2, *stratum_3])
    w = np.array([3.0] * 11 + [5.0] * 10)
    mean = (w * y).sum() / w.sum()
    var = _stats.linearized_variance(
        w.sum(), (w * w).sum(), (w * w * y).sum(), (w * w * y * y).sum(), mean, n=len(y)
    )
    assert mean == pytest.approx(10.27855, abs=1e-5)
    assert (var * (1 - 21 / 44)) ** 0.5 == pytest.approx(0.6177327, abs=1e-7)
    assert _stats.kish_effective_n(w.sum(), (w * w).sum()) == pytest.approx(83**2 / 349)


@given(
    st.lists(
        st.sampled_from([0.0, 1.0, 2.0, 5.0, -3.0]) | st.floats(-1e6, 1e6), min_size=1, max_size=60
    )
)
def test_percentile_grid_is_mirror_exact_and_numpys_quantiles(values: list[float]) -> None:
    """Scoring -x gives exactly the mirrored percentiles (ties stay exact), and the
    values are numpy's default quantiles up to float rounding."""
    x = np.asarray(values)
    grid = _stats.percentile_grid(x)
    assert len(grid) == 101
    assert (np.diff(grid) >= 0).all()
    np.testing.assert_array_equal(_stats.percentile_grid(-x), -grid[::-1])
    # Float rounding of the interpolation, on the scale of the data (4e-15 of max |x| at
    # worst over 20,000 random samples).
    scale = max(1.0, float(np.abs(x).max()))
    np.testing.assert_allclose(
        grid, np.quantile(x, np.linspace(0, 1, 101)), rtol=0, atol=1e-13 * scale
    )


def test_welch_interval_survives_variances_near_the_float_floor() -> None:
    """Regression: the Welch-Satterthwaite degrees of freedom squared the variances over n
    and divided 0 by 0 at variances of 1e-200 (ZeroDivisionError). In shares of se**2 the
    figures equal those of the same data scaled up by 1e100 (df and t are scale-free)."""
    tiny = _stats.welch_interval((3e-100, 4e-200, 10), (1e-100, 9e-200, 12))
    big = _stats.welch_interval((3.0, 4.0, 10), (1.0, 9.0, 12))
    assert tiny[2] == pytest.approx(big[2], rel=1e-12)
    assert tiny[3] == pytest.approx(big[3], rel=1e-12)
    assert tiny[4] == pytest.approx(big[4], rel=1e-12)
    assert tiny[0] == pytest.approx(big[0] * 1e-100, rel=1e-12)


@given(
    st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e8), st.integers(2, 5000)),
    st.tuples(st.floats(0.01, 1e6), st.floats(0, 1e8), st.integers(2, 5000)),
)
def test_relative_and_absolute_welch_share_one_df(
    first: tuple[float, float, int], second: tuple[float, float, int]
) -> None:
    """The relative lift's interval and Welch's interval of the difference use one
    Welch-Satterthwaite implementation (``_stats._welch_df``): the same degrees of
    freedom for the same summaries, including both variances 0 (pooled n1 + n2 - 2)."""
    df_abs = _stats.welch_interval(first, second)[3]
    df_rel = _stats.relative_difference_interval(first, second)[4]
    assert df_rel == df_abs
    if first[1] == second[1] == 0:
        assert df_abs == first[2] + second[2] - 2


def test_welch_df_matches_scipy_and_the_textbook_formula() -> None:
    """Welch-Satterthwaite df = (a + b)**2 / (a**2/(n1-1) + b**2/(n2-1)), a = var1/n1:
    (16/40 + 9/50)**2 / ((16/40)**2/39 + (9/50)**2/49) = 0.3364 / (0.0041026 + 0.0006612) = 70.6161,
    and scipy.stats.ttest_ind(equal_var=False).df on data with those summaries."""
    from scipy import stats

    a, b = 16 / 40, 9 / 50
    by_hand = (a + b) ** 2 / (a**2 / 39 + b**2 / 49)
    assert _stats._welch_df(a, b, 40, 50) == pytest.approx(by_hand, rel=1e-14)
    assert round(by_hand, 4) == 70.6161
    rng = np.random.default_rng(3)
    x, y = rng.normal(5, 4, 40), rng.normal(3, 3, 50)
    res = stats.ttest_ind(x, y, equal_var=False)
    df = _stats._welch_df(x.var(ddof=1) / 40, y.var(ddof=1) / 50, 40, 50)
    assert df == pytest.approx(res.df, rel=1e-12)
    # Huge variances near the float ceiling: shares of the larger term, no overflow.
    assert _stats._welch_df(1e308, 1e308, 11, 11) == pytest.approx(20.0, rel=1e-12)


def test_adjusted_wald_nps_interval_holds_the_observed_score() -> None:
    """Regression: the adjusted-Wald NPS interval left out the score reported beside it.
    One promoter (n = 1): R ``NPS::nps_test_(c(0, 0, 1), test = "adjusted.wald")``
    adds the pseudo-counts (0.75, 1.5, 0.75) (brendan-r/NPS R/nps_tests.R), giving the
    adjusted score (1.75 - 0.75) / 4 = 0.25, variance 2.5/4 - 0.25**2 = 0.5625 and the
    interval 0.25 -/+ 1.959964 * sqrt(0.5625 / 4) = (-0.48499, 0.98499): a score of 1
    outside its own 95 % interval. With Brown-Cai-DasGupta's boundary rule (the one the
    Jeffreys interval here follows) the bound on the score's side moves to the score:
    (-0.48499, 1.0). Where the published interval holds the score (20/30/50 at n = 100,
    Rocks 2016's running example) nothing changes."""
    z = 1.959963984540054
    lo, hi = _stats.nps_adjusted_wald_interval(1.0, 0.0, 1)
    assert lo == pytest.approx(0.25 - z * (0.5625 / 4) ** 0.5, abs=1e-12)
    assert round(lo, 5) == -0.48499
    assert hi == 1.0
    lo, hi = _stats.nps_adjusted_wald_interval(0.0, 1.0, 1)  # one detractor: mirrored
    assert (lo, round(hi, 5)) == (-1.0, 0.48499)
    # At 80 %, 9 promoters and a passive (score 0.9): published upper 0.89600 < 0.9.
    centre, var, n_t = _stats.adjusted_nps(0.9, 0.0, 10)
    published = centre + _stats.z_value(0.8) * (var / n_t) ** 0.5
    assert round(published, 5) == 0.896
    assert _stats.nps_adjusted_wald_interval(0.9, 0.0, 10, 0.8)[1] == 0.9
    # Unchanged where the published interval holds the score (vectorised).
    p_t, d_t = 50.75 / 103, 20.75 / 103
    half = z * ((p_t + d_t - (p_t - d_t) ** 2) / 103) ** 0.5
    lo_a, hi_a = _stats.nps_adjusted_wald_interval(np.array([0.5, 1.0]), np.array([0.2, 0.0]), 100)
    assert lo_a[0] == pytest.approx(p_t - d_t - half, abs=1e-15)
    assert hi_a[0] == pytest.approx(p_t - d_t + half, abs=1e-15)
    assert hi_a[1] > 1.0  # 100 promoters: the published upper bound is above 1 already


@given(st.integers(1, 60), st.data(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_adjusted_wald_nps_interval_contains_the_score_and_the_published_one(
    n: int, data: st.DataObject, level: float
) -> None:
    """For any counts and level, the interval contains the observed score and the
    published adjusted-Wald interval (it only ever widens it, on the score's side)."""
    det = data.draw(st.integers(0, n))
    pro = data.draw(st.integers(0, n - det))
    p, d = pro / n, det / n
    lo, hi = _stats.nps_adjusted_wald_interval(p, d, n, level)
    assert lo <= p - d <= hi
    centre, var, n_t = _stats.adjusted_nps(p, d, n)
    half = _stats.z_value(level) * (var / n_t) ** 0.5
    assert lo <= centre - half + 1e-15
    assert hi >= centre + half - 1e-15
    assert lo == pytest.approx(centre - half, abs=1e-15) or lo == p - d
    assert hi == pytest.approx(centre + half, abs=1e-15) or hi == p - d


# ------------------------------------------------------- Koopman's risk-ratio score interval
def test_risk_ratio_score_interval_matches_published_values() -> None:
    """R PropCIs::riskscoreci(7, 34, 1, 34, 0.95) = (1.220853, 42.575718), as statsmodels'
    test_proportion.py::test_confint_2indep_propcis pins it (Fagerland, Lydersen & Laake
    2015, table of the same data: Koopman asymptotic score 1.21 to 43); Koopman's example
    (1984) as Nam (1995) solves it, 36/40 against 16/80: (2.940, 7.152)
    (test_score_confint_koopman_nam, results_nam.conf_int)."""
    lo, hi = _stats.risk_ratio_score_interval(7, 34, 1, 34)
    assert (lo, hi) == pytest.approx((1.220853, 42.575718), abs=6e-7)
    lo, hi = _stats.risk_ratio_score_interval(36, 40, 16, 80)
    assert (round(lo, 3), round(hi, 3)) == (2.940, 7.152)


def test_risk_ratio_score_interval_matches_statsmodels_on_a_grid() -> None:
    """statsmodels confint_proportions_2indep(compare="ratio", method="score",
    correction=False) inverts the same statistic with brentq (xtol 2e-12): the bounds agree
    to 1e-8 (or 1e-10 absolute, for the small bounds) on every count of small groups with
    responders and non-responders in both."""
    for n1, n2 in [(10, 10), (17, 40), (100, 30)]:
        x1, x2 = np.meshgrid(np.arange(1, n1, max(1, n1 // 12)), np.arange(1, n2, max(1, n2 // 12)))
        lo, hi = _stats.risk_ratio_score_interval(x1.ravel(), n1, x2.ravel(), n2)
        for a, b, low, high in zip(x1.ravel(), x2.ravel(), lo, hi, strict=True):
            ref = sm_prop.confint_proportions_2indep(
                a, n1, b, n2, compare="ratio", method="score", correction=False
            )
            assert (low, high) == pytest.approx(ref, rel=1e-8, abs=1e-10)


@pytest.mark.parametrize(
    ("counts", "exact"),
    [
        ((1, 250, 793, 800), (0.00071267801407676074, 0.022502877309630565)),
        ((41, 250, 793, 800), (0.12433063109592304, 0.21683314744349929)),
    ],
)
def test_risk_ratio_score_interval_is_exact_where_statsmodels_drifts(
    counts: tuple[int, int, int, int], exact: tuple[float, float]
) -> None:
    """Rare against common responses: the roots of Koopman's statistic solved with mpmath
    at 60 digits (the same formula, the constrained estimate from the quadratic's smaller
    root, findroot started at the bound): the bisection is exact to 1e-15, where
    statsmodels 0.15's brentq on the p-value stops 6e-6 (relative) off the lower bound of
    1/250 against 793/800 (0.0007126823 for 0.0007126780)."""
    lo, hi = _stats.risk_ratio_score_interval(*counts)
    assert (lo, hi) == pytest.approx(exact, rel=1e-14)
    ref = sm_prop.confint_proportions_2indep(
        *counts, compare="ratio", method="score", correction=False
    )
    assert ref == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize(
    "counts", [(5, 5, 7, 7), (52, 80, 30, 30), (30, 30, 0, 20), (7, 34, 0, 34), (1, 9, 9, 9)]
)
def test_risk_ratio_score_interval_edges_invert_the_score_test(
    counts: tuple[int, int, int, int],
) -> None:
    """Where a group is all or nothing (statsmodels' brentq brackets fail on some of these:
    complex roots for 5/100 against 100/100), each finite, positive bound is still a ratio
    whose score test (statsmodels score_test_proportions_2indep, compare="ratio",
    correction=False: an independent implementation of the statistic) crosses p = 0.05:
    below it just outside the bound, above it just inside. (Not p = 0.05 to 1e-9 at the
    bound itself: for 52/80 against 30/30 the upper bound is at the ratio 82/110 where the
    constrained estimate of p2 leaves 1, and the statistic rises like a square root there,
    so a bound exact to the last float still has p = 0.049999993.)"""
    lo, hi = _stats.risk_ratio_score_interval(*counts)

    def p_at(ratio: float) -> float:
        res = sm_prop.score_test_proportions_2indep(
            *counts, value=ratio, compare="ratio", correction=False
        )
        return float(res.pvalue)

    for bound, outward in ((lo, 1 - 1e-9), (hi, 1 + 1e-9)):
        if 0 < bound < np.inf:
            assert p_at(bound) == pytest.approx(0.05, abs=1e-7)
            assert p_at(bound * outward) < 0.05 < p_at(bound / outward)
    x1, _, x2, _ = counts
    assert (hi == np.inf) == (x2 == 0)
    assert (lo == 0.0) == (x1 == 0)


def test_risk_ratio_score_interval_degenerate_groups() -> None:
    """No responder anywhere, or an empty group: no information, (0, inf), no NaN and no
    warning; 7/34 against 0/34: (1.962088, inf) (statsmodels _confint_riskratio_koopman,
    correction=False, Nam's cubic); 0/34 against 7/34 its reciprocal (0, 0.509661)."""
    lo, hi = _stats.risk_ratio_score_interval([0, 0, 3], [5, 0, 4], [0, 2, 0], [5, 3, 0])
    assert lo.tolist() == [0.0, 0.0, 0.0]
    assert hi.tolist() == [np.inf] * 3
    lo, hi = _stats.risk_ratio_score_interval(7, 34, 0, 34)
    assert (lo, hi) == (pytest.approx(1.96208769, rel=1e-8), np.inf)
    lo, hi = _stats.risk_ratio_score_interval(0, 34, 7, 34)
    assert (lo, hi) == (0.0, pytest.approx(1 / 1.96208769, rel=1e-8))
    lo, hi = _stats.risk_ratio_score_interval(1, 10**9, 10**9, 10**9)  # no overflow
    assert 0 < lo < 1e-9 < hi < 1e-8


def test_risk_ratio_score_interval_refuses_bad_input() -> None:
    """Counts as every interval of the module: the parameter is named; a bad level is a
    ConfigError."""
    with pytest.raises(InvalidInputError, match="x2"):
        _stats.risk_ratio_score_interval(1, 10, 11, 10)
    with pytest.raises(InvalidInputError, match="n1"):
        _stats.risk_ratio_score_interval(1, -10, 1, 10)
    with pytest.raises(ConfigError, match="level"):
        _stats.risk_ratio_score_interval(1, 10, 1, 10, level=1.0)


@st.composite
def _two_groups(draw: st.DrawFn) -> tuple[int, int, int, int]:
    n1 = draw(st.integers(1, 200) | st.integers(1, 10**7))
    n2 = draw(st.integers(1, 200) | st.integers(1, 10**7))
    x1 = draw(st.integers(0, n1) | st.sampled_from([0, n1]))
    x2 = draw(st.integers(0, n2) | st.sampled_from([0, n2]))
    return x1, n1, x2, n2


@given(_two_groups(), st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999]))
def test_risk_ratio_score_interval_agrees_with_the_score_test(
    counts: tuple[int, int, int, int], level: float
) -> None:
    """For any counts and level: the interval excludes ratio 1 exactly when the score test
    of equal proportions has p < 1 - level (no contradiction, even at the edge: the side
    of 1 is set by that p-value); it contains the observed ratio; and swapping the groups
    gives the reciprocal interval (the upper bound is computed as the reciprocal of the
    swapped groups' lower bound, so that half is exact)."""
    x1, n1, x2, n2 = counts
    lo, hi = _stats.risk_ratio_score_interval(x1, n1, x2, n2, level)
    _, p = _stats.two_proportion_score_test(x1, n1, x2, n2)
    assert (lo > 1 or hi < 1) == (p < 1 - level)
    assert 0 <= lo <= hi <= np.inf
    if x2 > 0:
        ratio = (x1 / n1) / (x2 / n2)
        assert lo <= ratio * (1 + 1e-12)
        assert hi >= ratio * (1 - 1e-12)
    elif x1 > 0:
        assert hi == np.inf
    back_lo, back_hi = _stats.risk_ratio_score_interval(x2, n2, x1, n1, level)
    assert back_hi == (1 / lo if lo > 0 else np.inf)
    assert back_lo == pytest.approx(1 / hi if hi < np.inf else 0.0, rel=1e-15)


@given(st.lists(_two_groups(), min_size=1, max_size=6))
def test_risk_ratio_score_interval_batch_equals_scalar(
    rows: list[tuple[int, int, int, int]],
) -> None:
    """One vectorised call gives, bound for bound, what one call per row gives."""
    x1, n1, x2, n2 = (np.array(c) for c in zip(*rows, strict=True))
    lo, hi = _stats.risk_ratio_score_interval(x1, n1, x2, n2)
    assert isinstance(lo, np.ndarray)
    for i, row in enumerate(rows):
        assert (lo[i], hi[i]) == _stats.risk_ratio_score_interval(*row)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((10, 10, 10, 10), (0.7224672001371111, 1.384145882069412)),
        ((3, 10, 10, 10), (0.10779126740630107, 0.6032218525388549)),
    ],
)
def test_risk_ratio_score_interval_where_every_customer_of_a_group_responded(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    """Where statsmodels 0.15 is wrong (10/10 against 10/10: a lower bound of exactly 1.0;
    3/10 against 10/10: (0.65, 0.65)). Checked independently: the constrained maximum
    likelihood found by scipy's bounded minimiser puts Koopman's chi-square at
    3.8414587-3.8414591 (z = 1.959964 squared) at each bound; 10/10 against 10/10 is
    symmetric, so its bounds are reciprocal."""
    lo, hi = _stats.risk_ratio_score_interval(*counts)
    assert (lo, hi) == pytest.approx(expected, rel=1e-12)
    if counts[:2] == counts[2:]:
        assert lo * hi == pytest.approx(1.0, rel=1e-12)
