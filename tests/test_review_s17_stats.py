"""Review of crmkit._stats against published values and reference implementations.

Every comparison names its source. statsmodels 0.15 and scipy are the executable
oracles; the R ``binom`` values are those statsmodels tests itself against
(``statsmodels/stats/tests/results/results_proportion.py``, ``binom.confint(x, n,
tol = 1e-8)``); the two-group values are Newcombe (1998) and Fagerland, Lydersen & Laake
(2015) as quoted in ``statsmodels/stats/tests/test_proportion.py``. The last part holds
the hypothesis properties (containment, monotone in level, success/failure symmetry,
range) and the regression tests of the Jeffreys fix.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import _stats
from crmkit.errors import ConfigError, InvalidInputError
from tests.strategies import examples

sm_prop = pytest.importorskip("statsmodels.stats.proportion")
sm_power = pytest.importorskip("statsmodels.stats.power")
sm_rates = pytest.importorskip("statsmodels.stats.rates")
sm_multi = pytest.importorskip("statsmodels.stats.multitest")
scipy_stats = pytest.importorskip("scipy.stats")
scipy_optimize = pytest.importorskip("scipy.optimize")

#: crmkit's method name -> statsmodels' proportion_confint method name.
SM_METHOD = {
    "wilson": "wilson",
    "agresti_coull": "agresti_coull",
    "clopper_pearson": "beta",
    "jeffreys": "jeffreys",
}
METHODS = sorted(SM_METHOD)

# --------------------------------------------------------------------------- one proportion

#: R binom::binom.confint(x, n, tol = 1e-8) (the values statsmodels tests against):
#: (x, n) -> {method: (lower, upper)}, R's limits clipped to [0, 1] as crmkit's are.
#: R's "bayes" is Jeffreys with one-sided limits at 0 and n and, for some counts, a
#: highest-density interval: crmkit's equal-tailed Jeffreys (Brown, Cai & DasGupta 2001)
#: is compared only where R's is the central interval too (4/20, 4/200, 18/20).
R_BINOM = {
    (18, 20): {
        "wilson": (0.6989663547715128, 0.972133518786232),
        "agresti_coull": (0.6867561125596077, 0.984343760998137),
        "clopper_pearson": (0.6830172859809176, 0.9876514728297052),
        "jeffreys": (0.716146742695748, 0.97862751197755),
    },
    (4, 20): {
        "wilson": (0.0806576625797981, 0.4160174322518935),
        "agresti_coull": (0.0749115102767071, 0.4217635845549845),
        "clopper_pearson": (0.05733399705003284, 0.436614002996668),
        "jeffreys": (0.07152005247873425, 0.4082257625169254),
    },
    (4, 200): {
        "wilson": (0.00780442641634947, 0.05028708690582643),
        "agresti_coull": (0.005991954548218395, 0.0520995587739575),
        "clopper_pearson": (0.005475565879556443, 0.05041360908989634),
        "jeffreys": (0.00678759879519299, 0.0468465669668423),
    },
    (190, 200): {
        "wilson": (0.910421851861224, 0.972617354399236),
        "agresti_coull": (0.909307307911624, 0.973731898348837),
        "clopper_pearson": (0.9099724622986486, 0.975765834527891),
    },
    (0, 30): {
        "wilson": (0.0, 0.11351339),
        "agresti_coull": (0.0, 0.1347117),
        "clopper_pearson": (0.0, 0.11570331),
    },
    (1, 30): {
        "wilson": (0.00590859, 0.16670391),
        "agresti_coull": (0.0, 0.18091798),
        "clopper_pearson": (0.0008435709, 0.17216946),
    },
    (29, 30): {
        "wilson": (0.8332961, 0.9940914),
        "agresti_coull": (0.819082, 1.0),
        "clopper_pearson": (0.8278305, 0.9991564),
    },
    (30, 30): {
        "wilson": (0.8864866, 1.0),
        "agresti_coull": (0.8652883, 1.0),
        "clopper_pearson": (0.8842967, 1.0),
    },
}
R_CASES = [(xn, m, ci) for xn, by_method in R_BINOM.items() for m, ci in by_method.items()]


@pytest.mark.parametrize(("xn", "method", "expected"), R_CASES)
def test_proportion_intervals_match_r_binom(
    xn: tuple[int, int], method: str, expected: tuple[float, float]
) -> None:
    """R binom.confint values (statsmodels' results_proportion.py), to R's printed digits."""
    lo, hi = _stats.proportion_interval(*xn, method=method)
    assert (lo, hi) == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
@pytest.mark.parametrize(
    ("x", "n"), [(1, 2), (1, 3), (3, 7), (13, 40), (39, 40), (250, 1000), (1, 10**12)]
)
def test_interior_counts_match_statsmodels(method: str, level: float, x: int, n: int) -> None:
    """statsmodels proportion_confint, interior counts, six levels, up to n = 10**12."""
    ref = sm_prop.proportion_confint(x, n, alpha=1 - level, method=SM_METHOD[method])
    got = _stats.proportion_interval(x, n, level, method=method)
    assert got == pytest.approx(tuple(float(v) for v in np.clip(ref, 0, 1)), rel=1e-9, abs=1e-13)


@pytest.mark.parametrize("method", ["wilson", "agresti_coull", "clopper_pearson"])
@pytest.mark.parametrize(("x", "n"), [(0, 1), (1, 1), (0, 25), (25, 25), (0, 10**9)])
def test_boundary_counts_match_statsmodels(method: str, x: int, n: int) -> None:
    """0 and n successes, n = 1: statsmodels (clipped to [0, 1]) for the three methods
    without a boundary rule of their own."""
    ref = sm_prop.proportion_confint(x, n, method=SM_METHOD[method])
    got = _stats.proportion_interval(x, n, method=method)
    assert got == pytest.approx(tuple(float(v) for v in np.clip(ref, 0, 1)), rel=1e-9, abs=1e-13)


def test_one_trial_by_hand() -> None:
    """n = 1: Clopper-Pearson of 0/1 is (0, 1 - alpha/2) (Beta(1, 1) is uniform); Wilson's
    limits are z^2 / (1 + z^2) from the far end; Jeffreys is 0 to the Beta(1/2, 3/2)
    quantile (the Brown-Cai-DasGupta boundary rule)."""
    z2 = _stats.z_value(0.95) ** 2
    assert _stats.clopper_pearson_interval(0, 1) == pytest.approx((0.0, 0.975), abs=1e-15)
    assert _stats.clopper_pearson_interval(1, 1) == pytest.approx((0.025, 1.0), abs=1e-15)
    assert _stats.wilson_interval(0, 1) == pytest.approx((0.0, z2 / (1 + z2)), abs=1e-15)
    assert _stats.wilson_interval(1, 1) == pytest.approx((1 / (1 + z2), 1.0), abs=1e-15)
    upper = float(scipy_stats.beta.ppf(0.975, 0.5, 1.5))
    assert _stats.jeffreys_interval(0, 1) == pytest.approx((0.0, upper), abs=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_empty_group_is_whole_range_and_bad_counts_are_refused(method: str) -> None:
    """n = 0 is flagged by the documented whole range, never NaN; negative, fractional,
    NaN and successes > n are refused with InvalidInputError."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _stats.proportion_interval(0, 0, method=method) == (0.0, 1.0)
        lo, hi = _stats.proportion_interval([0, 3], [0, 5], method=method)
    assert not np.isnan(lo).any()
    assert not np.isnan(hi).any()
    for x, n in [(-1, 5), (1.5, 5), (6, 5), (float("nan"), 5), (1, float("inf"))]:
        with pytest.raises(InvalidInputError):
            _stats.proportion_interval(x, n, method=method)


# --------------------------------------------------------------------------- two proportions


@pytest.mark.parametrize(
    ("counts", "expected", "tol", "source"),
    [
        ((56, 70, 48, 80), (0.0524, 0.3339), 5e-5, "Newcombe 1998 Table II (a), method 10"),
        ((7, 34, 1, 34), (0.019, 0.340), 5e-3, "Fagerland et al 2015 (statsmodels tests)"),
    ],
)
def test_newcombe_published_values(
    counts: tuple[int, int, int, int], expected: tuple[float, float], tol: float, source: str
) -> None:
    """Published hybrid score (Newcombe method 10) intervals, to their printed digits."""
    assert _stats.newcombe_interval(*counts) == pytest.approx(expected, abs=tol), source


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
@pytest.mark.parametrize(("n1", "n2"), [(1, 1), (1, 4), (6, 9), (12, 17)])
def test_newcombe_and_score_test_match_statsmodels_on_every_count(
    level: float, n1: int, n2: int
) -> None:
    """Every (x1, x2), boundaries included: statsmodels confint_proportions_2indep(method=
    "newcomb") and proportions_ztest (pooled z; its NaN where undefined is crmkit's
    documented z = 0, p = 1)."""
    grid1, grid2 = np.meshgrid(np.arange(n1 + 1), np.arange(n2 + 1))
    x1, x2 = grid1.ravel(), grid2.ravel()
    lo, hi = _stats.newcombe_interval(x1, n1, x2, n2, level)
    z, p = _stats.two_proportion_score_test(x1, n1, x2, n2)
    for i in range(x1.size):
        ref = sm_prop.confint_proportions_2indep(
            int(x1[i]), n1, int(x2[i]), n2, method="newcomb", alpha=1 - level
        )
        assert (lo[i], hi[i]) == pytest.approx(tuple(float(v) for v in ref), abs=1e-12)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rz, rp = sm_prop.proportions_ztest([int(x1[i]), int(x2[i])], [n1, n2])
        if np.isfinite(rz):
            assert (z[i], p[i]) == pytest.approx((float(rz), float(rp)), abs=1e-12)
        else:
            assert (z[i], p[i]) == (0.0, 1.0)


def test_score_test_is_pearson_chi_square_without_correction() -> None:
    """z**2 is scipy's chi2_contingency(correction=False) statistic, p the same p-value."""
    for x1, n1, x2, n2 in [(56, 70, 48, 80), (7, 34, 1, 34), (150, 1000, 90, 1000)]:
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        chi2, p_ref, _, _ = scipy_stats.chi2_contingency(table, correction=False)
        z, p = _stats.two_proportion_score_test(x1, n1, x2, n2)
        assert z**2 == pytest.approx(chi2, rel=1e-12)
        assert p == pytest.approx(p_ref, rel=1e-10)


def test_risk_ratio_log_interval_matches_statsmodels_and_fagerland() -> None:
    """Katz log interval: statsmodels compare="ratio", method="log"; 7/34 vs 1/34 is
    (0.91, 54) in Fagerland et al 2015."""
    for x1, n1, x2, n2 in [(7, 34, 1, 34), (150, 1000, 90, 1000), (3, 10, 7, 12)]:
        ref = sm_prop.confint_proportions_2indep(x1, n1, x2, n2, compare="ratio", method="log")
        got = _stats.risk_ratio_interval(x1, n1, x2, n2)
        assert got == pytest.approx(tuple(float(v) for v in ref), rel=1e-12)
    lo, hi = _stats.risk_ratio_interval(7, 34, 1, 34)
    assert (round(lo, 2), round(hi)) == (0.91, 54)


# --------------------------------------------------------------------------- other methods


@pytest.mark.parametrize("k", [0, 1, 2, 10, 57, 10**6])
@pytest.mark.parametrize("exposure", [0.5, 1.0, 4000.0])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.999])
def test_poisson_matches_statsmodels_exact(k: int, exposure: float, level: float) -> None:
    """statsmodels.stats.rates.confint_poisson(method="exact-c") (Garwood)."""
    ref = sm_rates.confint_poisson(k, exposure, method="exact-c", alpha=1 - level)
    got = _stats.poisson_interval(k, exposure, level)
    assert got == pytest.approx(tuple(float(v) for v in ref), rel=1e-10, abs=1e-300)


@pytest.mark.parametrize(
    ("mean", "sd", "n", "level"), [(3.75, 1.4, 100, 0.95), (0.0, 1.0, 2, 0.9), (10, 3, 7, 0.99)]
)
def test_t_interval_matches_scipy(mean: float, sd: float, n: int, level: float) -> None:
    """scipy.stats.t.interval(level, n - 1, loc=mean, scale=sd / sqrt(n))."""
    ref = scipy_stats.t.interval(level, n - 1, loc=mean, scale=sd / math.sqrt(n))
    assert _stats.t_interval(mean, sd, n, level) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize(
    ("effect", "n1", "n2", "level"),
    [(0.5, 64, 64, 0.95), (0.2, 100, 300, 0.9), (-0.3, 20, 25, 0.99), (1.0, 3, 3, 0.95)],
)
def test_t_test_power_matches_statsmodels(effect: float, n1: int, n2: int, level: float) -> None:
    """statsmodels TTestIndPower().power(effect, nobs1, alpha, ratio=n2/n1); 0.5 with 64
    per group is Cohen's (1988) 0.80."""
    ref = sm_power.TTestIndPower().power(effect, nobs1=n1, alpha=1 - level, ratio=n2 / n1)
    assert _stats.t_test_power(effect, n1, n2, level) == pytest.approx(ref, abs=1e-12)


def test_welch_chi_square_and_holm_match_scipy_and_statsmodels() -> None:
    """scipy ttest_ind(equal_var=False) with its confidence_interval; scipy chisquare;
    statsmodels multipletests(method="holm")."""
    rng = np.random.default_rng(17)
    a, b = rng.normal(10, 3, 12), rng.normal(11, 5, 30)
    ref = scipy_stats.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.9)
    got = _stats.welch_interval(
        (a.mean(), a.var(ddof=1), a.size), (b.mean(), b.var(ddof=1), b.size), 0.9
    )
    assert got == pytest.approx((ci.low, ci.high, ref.statistic, ref.df, ref.pvalue), rel=1e-10)
    obs = np.array([3.0, 0.0, 5.0])
    stat, df, p = _stats.chi_square_gof(obs, [1, 2, 1])
    ref_c = scipy_stats.chisquare(obs, np.array([1, 2, 1]) / 4 * obs.sum())
    assert (stat, df, p) == pytest.approx((ref_c.statistic, 2, ref_c.pvalue), rel=1e-12)
    pv = rng.uniform(0, 0.2, 9)
    assert _stats.holm_adjust(pv) == pytest.approx(sm_multi.multipletests(pv, method="holm")[1])


# --------------------------------------------------------------------------- weights, NPS


@given(st.lists(st.floats(0.01, 100.0), min_size=1, max_size=40))
def test_kish_effective_n_properties(weights: list[float]) -> None:
    """Kish (1965): 1 <= n_eff <= n, with n_eff == n for equal weights."""
    w = np.array(weights)
    n_eff = _stats.kish_effective_n(w.sum(), (w * w).sum())
    assert 1 - 1e-9 <= n_eff <= w.size * (1 + 1e-9)
    assert _stats.kish_effective_n(w.size * 2.5, w.size * 6.25) == pytest.approx(w.size)


@given(
    st.lists(
        st.tuples(st.sampled_from([-1.0, 0.0, 1.0]), st.floats(0.1, 10.0)), min_size=2, max_size=40
    )
)
def test_linearized_variances_equal_the_row_formula(rows: list[tuple[float, float]]) -> None:
    """From sums equals sum w^2 (y - m)^2 / (sum w)^2 * n / (n - 1) computed row by row
    (R survey::svymean, with-replacement); the 0/1 share form equals the plug-in one; with
    unit weights the NPS form is the trinomial variance / n (Rocks 2016)."""
    y = np.array([r[0] for r in rows])
    w = np.array([r[1] for r in rows])
    n = y.size
    m = float((w * y).sum() / w.sum())
    direct = float((w**2 * (y - m) ** 2).sum() / w.sum() ** 2)
    sums = (w.sum(), (w**2).sum(), (w**2 * y).sum(), (w**2 * y * y).sum())
    got = _stats.linearized_variance(*sums, m, n=n)
    assert got == pytest.approx(direct * n / (n - 1), rel=1e-9, abs=1e-15)
    x = (y > 0).astype(float)
    share = float((w * x).sum() / w.sum())
    plug = float((w**2 * (x - share) ** 2).sum() / w.sum() ** 2)
    got_share = _stats.linearized_share_variance(w.sum(), (w**2).sum(), (w**2 * x).sum(), share)
    assert got_share == pytest.approx(plug, rel=1e-9, abs=1e-15)
    p, d = float((y > 0).mean()), float((y < 0).mean())
    unit = _stats.linearized_variance(n, n, y.sum(), (y * y).sum(), p - d)
    assert unit == pytest.approx(_stats.nps_variance(p, d) / n, rel=1e-9, abs=1e-15)
    assert _stats.nps_variance(p, d) == pytest.approx(float(np.var(y)), abs=1e-12)


def _tango_root(b: float, c: float, n: float, z: float) -> tuple[float, float]:
    """The exact roots of the R NPS iterative score statistic (the formula in
    nps_score_interval's docstring), by brentq: an independent check of the R search."""

    def score(delta: float) -> float:
        pb = -b - c + (2 * n - c + b) * delta
        pc = -b * delta * (1 - delta)
        q = (math.sqrt(max(pb * pb - 8 * n * pc, 0.0)) - pb) / (4 * n)
        var = n * (2 * q + delta * (1 - delta))
        num = c - b - n * delta
        return num / math.sqrt(var) if var > 0 else (0.0 if num == 0 else math.copysign(1e300, num))

    est, top, bot = (c - b) / n, 1 - 1e-13, -1 + 1e-13
    hi = (
        1.0
        if c >= n or score(top) > -z
        else scipy_optimize.brentq(lambda t: score(t) + z, est, top)
    )
    lo = (
        -1.0
        if b >= n or score(bot) < z
        else scipy_optimize.brentq(lambda t: score(t) - z, bot, est)
    )
    return lo, hi


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
@pytest.mark.parametrize(
    ("b", "c", "n"),
    [(20, 50, 100), (0, 2, 3), (0, 0, 10), (1, 0, 1), (5, 5, 10), (3, 9, 12.7), (100, 650, 1000)],
)
def test_nps_score_interval_is_within_r_precision_of_the_exact_roots(
    level: float, b: float, c: float, n: float
) -> None:
    """The R NPS iterative() search stops at a step below 1e-7: within 1e-6 of the roots."""
    expected = _tango_root(b, c, n, _stats.z_value(level))
    assert _stats.nps_score_interval(b, c, n, level) == pytest.approx(expected, abs=1e-6)


def test_nps_adjusted_wald_by_hand_and_n_zero() -> None:
    """Rocks (2016) adjusted Wald for 50 % promoters and 20 % detractors of 100, by hand:
    p~ = 50.75/103, d~ = 20.75/103, half = z sqrt((p~ + d~ - (p~ - d~)^2) / 103). An empty
    group gives finite limits (callers flag n = 0: nps_statistics returns NaN for it)."""
    pt, dt = 50.75 / 103, 20.75 / 103
    half = _stats.z_value(0.95) * math.sqrt((pt + dt - (pt - dt) ** 2) / 103)
    expected = (pt - dt - half, pt - dt + half)
    assert _stats.nps_adjusted_wald_interval(0.5, 0.2, 100) == pytest.approx(expected, abs=1e-14)
    assert all(math.isfinite(v) for v in _stats.nps_adjusted_wald_interval(0.0, 0.0, 0))
    assert _stats.nps_score_interval(0, 0, 0) == (-1.0, 1.0)


# --------------------------------------------------------------------------- properties

LEVELS = st.floats(0.01, 0.999)


@st.composite
def counts(draw: st.DrawFn) -> tuple[float, float, bool]:
    """(successes, n, fractional): whole counts up to 10**6, or effective (weighted) ones."""
    if draw(st.booleans()):
        whole = draw(st.integers(1, 10**6))
        return float(draw(st.integers(0, whole))), float(whole), False
    n = draw(st.floats(0.05, 1e6))
    share = draw(st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 1e-9, 1 - 1e-9])))
    return min(share * n, n), n, True


@settings(max_examples=examples(120))
@given(counts(), st.sampled_from(METHODS), LEVELS, LEVELS)
def test_proportion_interval_properties(
    xn: tuple[float, float, bool], method: str, level_a: float, level_b: float
) -> None:
    """For every method and level: 0 <= lower <= share <= upper <= 1 (containment),
    nested by level, and mirrored when successes and failures swap."""
    x, n, fractional = xn
    share = x / n
    lo, hi = _stats.proportion_interval(x, n, level_a, method=method, fractional=fractional)
    assert 0.0 <= lo <= hi <= 1.0
    assert lo <= share <= hi
    small, large = sorted((level_a, level_b))
    lo_s, hi_s = _stats.proportion_interval(x, n, small, method=method, fractional=fractional)
    lo_l, hi_l = _stats.proportion_interval(x, n, large, method=method, fractional=fractional)
    assert lo_l <= lo_s + 1e-12
    assert hi_s <= hi_l + 1e-12
    flo, fhi = _stats.proportion_interval(n - x, n, level_a, method=method, fractional=fractional)
    tol = 1e-9 if fractional else 1e-12  # n - (n - x) rounds for fractional counts
    assert flo == pytest.approx(1 - hi, abs=tol)
    assert fhi == pytest.approx(1 - lo, abs=tol)


@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    LEVELS,
    LEVELS,
)
def test_newcombe_properties(
    g1: tuple[int, int], g2: tuple[int, int], level_a: float, level_b: float
) -> None:
    """The difference interval holds the observed difference, lies in [-1, 1], is nested by
    level and mirrors when the groups swap (and when successes and failures swap)."""
    (x1, n1), (x2, n2) = g1, g2
    diff = x1 / n1 - x2 / n2
    lo, hi = _stats.newcombe_interval(x1, n1, x2, n2, level_a)
    assert -1.0 <= lo <= diff + 1e-12
    assert diff - 1e-12 <= hi <= 1.0
    small, large = sorted((level_a, level_b))
    lo_s, hi_s = _stats.newcombe_interval(x1, n1, x2, n2, small)
    lo_l, hi_l = _stats.newcombe_interval(x1, n1, x2, n2, large)
    assert lo_l <= lo_s + 1e-12
    assert hi_s <= hi_l + 1e-12
    slo, shi = _stats.newcombe_interval(x2, n2, x1, n1, level_a)
    assert (slo, shi) == pytest.approx((-hi, -lo), abs=1e-12)
    flo, fhi = _stats.newcombe_interval(n1 - x1, n1, n2 - x2, n2, level_a)
    assert (flo, fhi) == pytest.approx((-hi, -lo), abs=1e-12)
    z, _ = _stats.two_proportion_score_test(x1, n1, x2, n2)
    zs, _ = _stats.two_proportion_score_test(x2, n2, x1, n1)
    assert zs == -z


@settings(max_examples=examples(50))
@given(
    st.integers(1, 3000)
    .flatmap(lambda n: st.tuples(st.integers(0, n), st.integers(0, n), st.just(n)))
    .filter(lambda t: t[0] + t[1] <= t[2]),
    st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]),
    st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]),
)
def test_nps_interval_properties(bcn: tuple[int, int, int], level_a: float, level_b: float) -> None:
    """Score (R NPS iterative) and adjusted Wald (Rocks 2016) NPS intervals: within
    [-1, 1] (the score one by construction), holding the score p - d, nested by level and
    mirrored by swapping promoters and detractors (the score one to R's precision)."""
    b, c, n = bcn
    score = (c - b) / n
    lo, hi = _stats.nps_score_interval(b, c, n, level_a)
    assert -1.0 <= lo <= score + 1e-9
    assert score - 1e-9 <= hi <= 1.0
    mlo, mhi = _stats.nps_score_interval(c, b, n, level_a)
    assert (mlo, mhi) == pytest.approx((-hi, -lo), abs=1e-6)
    wlo, whi = _stats.nps_adjusted_wald_interval(c / n, b / n, n, level_a)
    assert wlo <= score <= whi
    assert max(-1.0, wlo) <= min(1.0, whi)
    small, large = sorted((level_a, level_b))
    nested = (
        (
            _stats.nps_score_interval(b, c, n, small),
            _stats.nps_score_interval(b, c, n, large),
            1e-6,
        ),
        (
            _stats.nps_adjusted_wald_interval(c / n, b / n, n, small),
            _stats.nps_adjusted_wald_interval(c / n, b / n, n, large),
            1e-12,
        ),
    )
    for (lo_s, hi_s), (lo_l, hi_l), tol in nested:
        assert lo_l <= lo_s + tol
        assert hi_s <= hi_l + tol


# --------------------------------------------------------------------------- regressions


@pytest.mark.parametrize(
    ("x", "n", "level"),
    [
        (1e-4, 1000.0, 0.95),  # an effective count just above 0
        (4e-4, 100.0, 0.95),
        (999.9999, 1000.0, 0.95),  # just below n
        (0.005, 50.0, 0.8),
        (1.0, 10.0, 0.1),  # one success (one failure) at a low level
        (9.0, 10.0, 0.1),
        (99.0, 100.0, 0.1),
    ],
)
def test_jeffreys_interval_holds_the_share(x: float, n: float, level: float) -> None:
    """Regression: the equal-tailed Jeffreys quantiles left out the share near 0 and n
    (1e-4 of 1000 effective: 4.9e-7 to 0.0025 around 1e-7; 1/10 at 10 %: 0.1026 to
    0.1269). The bound on the share's side now moves to the share; the other bound is
    statsmodels' Jeffreys quantile unchanged."""
    share = x / n
    lo, hi = _stats.jeffreys_interval(x, n, level, fractional=True)
    assert lo <= share <= hi
    ref_lo, ref_hi = sm_prop.proportion_confint(x, n, alpha=1 - level, method="jeffreys")
    assert lo == pytest.approx(min(float(ref_lo), share), rel=1e-12)
    assert hi == pytest.approx(max(float(ref_hi), share), rel=1e-12)
    assert (lo == share) != (hi == share)  # exactly one bound moved


def test_weighted_csat_jeffreys_interval_holds_the_reported_share() -> None:
    """Regression through the public metric: 1000 unsatisfied answers of weight 1 and one
    satisfied of weight 1e-4 is a CSAT of 0.00001 %, which the Jeffreys interval
    0.00005 % to 0.25 % left out."""
    from crmkit.service import csat

    r = csat([1] * 1000 + [5], weights=[1.0] * 1000 + [1e-4], ci="jeffreys")
    assert r.interval is not None
    assert r.value is not None
    assert r.interval.lower <= r.value <= r.interval.upper
    assert r.interval.upper == pytest.approx(0.2508, abs=1e-4)


def test_a_level_within_a_rounding_error_of_one_is_refused() -> None:
    """Regression: ``z_value(1 - 2**-53)`` passed the check and raised a bare
    ``StatisticsError`` (0.5 + level / 2 rounds to 1: no finite quantile)."""
    with pytest.raises(ConfigError, match="level"):
        _stats.z_value(1 - 2**-53)
    assert _stats.z_value(1 - 2**-52) > 8  # the largest level below 1 that has one
