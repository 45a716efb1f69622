"""Session 18 review of crmkit.campaigns: reference values from papers and peers.

Each test names its source (paper and table, or repository and path). The peers run live
where they are installed (statsmodels, scipy, growthbook); scikit-uplift is not, so its
formulas are applied by hand from its source (maks-sh/scikit-uplift at 0038e659,
``sklift/metrics/metrics.py``).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from crmkit import _stats
from crmkit.campaigns import (
    assign,
    measure,
    minimum_detectable_uplift,
    minimum_detectable_uplift_mean,
    sample_size,
    sample_size_mean,
    srm_check,
)
from crmkit.errors import ConfigError
from tests.strategies import examples

WINDOW = {"start": "2025-07-01", "end": "2025-07-31"}


def _campaign(
    nc: int, xc: int, nt: int, xt: int, amounts: list[float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``nc`` control customers of whom ``xc`` buy, ``nt`` treated of whom ``xt`` buy."""
    ids = [f"c{i}" for i in range(nc)] + [f"t{i}" for i in range(nt)]
    arms = pd.DataFrame(
        {"arm": ["control"] * nc + ["treatment"] * nt},
        index=pd.Index(ids, name="customer_id"),
    )
    buyers = [f"c{i}" for i in range(xc)] + [f"t{i}" for i in range(xt)]
    if not buyers:  # a row outside the window: nobody responded
        return arms, pd.DataFrame({"customer_id": ["c0"], "date": "2025-01-02", "amount": 5.0})
    spent = amounts if amounts is not None else [10.0] * len(buyers)
    tx = pd.DataFrame({"customer_id": buyers, "date": "2025-07-02", "amount": spent})
    return arms, tx


# -------------------------------------------------------------- uplift: Newcombe 1998
#: Newcombe RG (1998), Interval estimation for the difference between independent
#: proportions: comparison of eleven methods, Stat Med 17:873-890, Table II, method 10
#: (hybrid score, no continuity correction): (x1, n1, x2, n2) -> (lower, upper).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),  # (a)
    ((9, 10, 3, 10), (0.1705, 0.8090)),  # (b)
    ((5, 56, 0, 29), (-0.0381, 0.1926)),  # (d)
    ((0, 10, 0, 20), (-0.1611, 0.2775)),  # (e)
    ((0, 10, 0, 10), (-0.2775, 0.2775)),  # (f)
    ((10, 10, 0, 20), (0.6791, 1.0000)),  # (g)
    ((10, 10, 0, 10), (0.6075, 1.0000)),  # (h)
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_TABLE_II)
def test_uplift_interval_is_newcombe_method_10(counts, expected):
    """The uplift's interval is Newcombe (1998) Table II method 10, to the table's four
    decimals, zero-conversion (e, f) and all-conversion (g, h) rows included; and equals
    statsmodels ``confint_proportions_2indep(method="newcomb")`` (the peer the explanation
    page names) to 1e-12."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    xt, nt, xc, nc = counts
    arms, tx = _campaign(nc, xc, nt, xt)
    up = measure(arms, tx, **WINDOW).uplift
    assert up.value == pytest.approx(xt / nt - xc / nc, abs=1e-15)
    assert (round(up.lower, 4), round(up.upper, 4)) == expected
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb")
    assert (up.lower, up.upper) == pytest.approx((lo, hi), abs=1e-12)


#: Newcombe RG (1998), Two-sided confidence intervals for the single proportion:
#: comparison of seven methods, Stat Med 17:857-872, Table I, method 3 (Wilson score).
WILSON_TABLE_I = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]


@pytest.mark.parametrize(("counts", "expected"), WILSON_TABLE_I)
def test_arm_response_rate_is_wilson(counts, expected):
    """Each arm's response rate carries the Wilson interval of Newcombe (1998a) Table I
    method 3, and statsmodels ``proportion_confint(method="wilson")``."""
    from statsmodels.stats.proportion import proportion_confint

    x, n = counts
    arms, tx = _campaign(5, 1, n, x)
    rate = measure(arms, tx, **WINDOW).arms["treatment"].response_rate
    assert (round(rate.lower, 4), round(rate.upper, 4)) == expected
    assert (rate.lower, rate.upper) == pytest.approx(proportion_confint(x, n, method="wilson"))


@settings(max_examples=examples(40))
@given(
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_uplift_matches_statsmodels_on_any_table(treat, control, level):
    """Property: on any table (tiny, unbalanced, none or all converting) the uplift's
    Newcombe interval is statsmodels' ``newcomb`` and its p-value that of
    ``proportions_ztest`` (pooled z, statsmodels/stats/proportion.py); with no or every
    customer responding the score test has no variance and p = 1. The value is also
    scikit-uplift's ``weighted_average_uplift(..., bins=1)``: one bin holds everybody,
    so it is ``mean(y | treatment) - mean(y | control)`` (sklift/metrics/metrics.py,
    ``response_rate_by_percentile``)."""
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    (nt, xt), (nc, xc) = treat, control
    lo, hi = _stats.newcombe_interval(xt, nt, xc, nc, level)
    ref = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", alpha=1 - level)
    assert (lo, hi) == pytest.approx(ref, abs=1e-12)
    _, p = _stats.two_proportion_score_test(xt, nt, xc, nc)
    if 0 < xt + xc < nt + nc:
        assert p == pytest.approx(proportions_ztest([xt, xc], [nt, nc])[1], rel=1e-12)
    else:
        assert p == 1.0
    y = np.r_[np.ones(xt), np.zeros(nt - xt), np.ones(xc), np.zeros(nc - xc)]
    treated = np.r_[np.ones(nt), np.zeros(nc)]
    sklift_bins_1 = y[treated == 1].mean() - y[treated == 0].mean()
    assert xt / nt - xc / nc == pytest.approx(sklift_bins_1, abs=1e-15)


# ------------------------------------------------------ relative lift: Koopman 1984
def _score_z(phi: float, x1: int, n1: int, x2: int, n2: int) -> float:
    """The score statistic of ``p1 / p2 = phi`` (Miettinen & Nurminen 1985 without the
    n / (n - 1) factor; Koopman 1984): the constrained ``p2`` is the smaller root of
    ``N phi q**2 - (phi (n1 + x2) + x1 + n2) q + x1 + x2``, and ``p1 = phi p2``."""
    a = (n1 + n2) * phi
    b = -(phi * (n1 + x2) + x1 + n2)
    c = x1 + x2
    q2 = (-b - math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)
    q1 = phi * q2
    return (x1 / n1 - phi * x2 / n2) / math.sqrt(q1 * (1 - q1) / n1 + phi**2 * q2 * (1 - q2) / n2)


@settings(max_examples=examples(40))
@given(
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.sampled_from([0.8, 0.95]),
)
def test_rate_ratio_bounds_solve_the_score_equation(treat, control, level):
    """Property: each finite, non-zero bound of the relative lift's ratio is where the
    score statistic (written out independently here) equals -/+ the normal quantile;
    a bound is 0 exactly when the treatment has no responder and infinite exactly when
    the control has none. statsmodels' ``_confint_riskratio_koopman`` (Nam's cubic) is no
    oracle on such tables: for 1/1 against 1/1 it returns a lower bound of 1.0, the point
    estimate itself, where the score interval is (0.2065, 4.8415)."""
    (nt, xt), (nc, xc) = treat, control
    lo, hi = _stats.risk_ratio_score_interval(xt, nt, xc, nc, level)
    z = sps.norm.isf((1 - level) / 2)
    if xt + xc == 0:
        assert (lo, hi) == (0.0, math.inf)
        return
    assert (lo == 0.0) == (xt == 0)
    assert math.isinf(hi) == (xc == 0)
    if lo > 0:
        assert _score_z(lo, xt, nt, xc, nc) == pytest.approx(z, abs=1e-8)
    if math.isfinite(hi):
        assert _score_z(hi, xt, nt, xc, nc) == pytest.approx(-z, abs=1e-8)


def test_rate_ratio_of_one_against_one():
    """1/1 against 1/1: the score interval of the ratio is (0.206549, 4.841459) (the
    bounds solve the score equation above), so the lift is -79.3 % to +384.1 %."""
    arms, tx = _campaign(1, 1, 1, 1)
    lift = measure(arms, tx, **WINDOW).relative_lift
    assert lift.value == 0.0
    assert (round(lift.lower, 6), round(lift.upper, 6)) == (-0.793451, 3.841459)
    assert lift.p_value == 1.0


# ----------------------------------------------------------------- SRM: Kohavi et al.
def test_srm_check_on_kohavis_example():
    """Kohavi, Tang & Xu (2020), Trustworthy Online Controlled Experiments, ch. 3: a 50/50
    design with 821,588 control and 815,482 treatment users has p = 1.8e-6 (chi-square
    22.77 on one degree of freedom), a sample ratio mismatch; scipy ``chisquare`` agrees."""
    r = srm_check({"control": 821_588, "treatment": 815_482}, control_share=0.5)
    assert round(r.statistic, 2) == 22.77
    assert f"{r.p_value:.1e}" == "1.8e-06"
    assert r.mismatch
    ref = sps.chisquare([821_588, 815_482], f_exp=[818_535, 818_535])
    assert (r.statistic, r.p_value) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-12)


# ------------------------------------------------------------------------ revenue
def test_revenue_with_refunds_matches_scipy_at_90_percent():
    """Revenue per customer (refunds netted, zeros included): each arm's interval is
    scipy's ``t.interval`` of the mean and the incremental revenue Welch's
    ``ttest_ind(equal_var=False)`` with its ``confidence_interval``, at level 0.9."""
    amounts = [120.0, 35.5, -20.0, 60.0, 15.0, 240.0, 9.9, 80.0, -5.0, 33.0]
    arms, tx = _campaign(8, 3, 12, 7, amounts)
    r = measure(arms, tx, level=0.9, **WINDOW)
    spend = tx.groupby("customer_id")["amount"].sum().reindex(arms.index, fill_value=0.0)
    yc = spend[arms["arm"] == "control"].to_numpy()
    yt = spend[arms["arm"] == "treatment"].to_numpy()
    for arm, y in (("control", yc), ("treatment", yt)):
        est = r.arms[arm].revenue_per_customer
        ref = sps.t.interval(0.9, y.size - 1, loc=y.mean(), scale=sps.sem(y))
        assert (est.lower, est.upper) == pytest.approx(ref, rel=1e-12)
    ref = sps.ttest_ind(yt, yc, equal_var=False)
    ci = ref.confidence_interval(0.9)
    inc = r.incremental_revenue
    assert inc.value == pytest.approx(yt.mean() - yc.mean(), rel=1e-12)
    assert (inc.lower, inc.upper) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert inc.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    # a refund alone is no response: 2 of the 3 control buyers and 6 of 7 treated bought
    assert (r.arms["control"].responders, r.arms["treatment"].responders) == (2, 6)


def test_one_customer_arm_says_its_revenue_figures_say_nothing():
    """Regression: with one control customer the revenue spread is unknown, so Welch's
    interval is unbounded and its p-value 1 (``_stats.welch_interval``'s convention),
    but ``notes`` was empty, and p = 1 read as "no effect". It now says why."""
    arms, tx = _campaign(1, 1, 3, 2, [10.0, 30.0, 5.0])
    r = measure(arms, tx, **WINDOW)
    assert r.incremental_revenue.lower is None
    assert r.incremental_revenue.p_value == 1.0
    note = (
        "revenue comparisons: the control arm has 1 customer, too few for a spread, so the "
        "incremental and relative revenue intervals are unbounded and their p-values (1) "
        "say nothing"
    )
    assert r.notes == (note,)
    assert r.to_dict()["notes"] == list(r.notes)


@pytest.mark.parametrize(
    "counts", [(1, 0, 1, 0), (1, 1, 1, 1), (5, 0, 5, 0), (5, 5, 5, 5), (3, 3, 300, 0)]
)
def test_edge_results_are_plain_json(counts):
    """Zero-conversion, all-conversion, one-customer and very unbalanced campaigns give a
    result whose ``to_dict()`` is strict JSON (no NaN or infinity) and reads back equal."""
    arms, tx = _campaign(*counts)
    d = measure(arms, tx, **WINDOW).to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d


# ----------------------------------------------------------------------- planning
def test_a_power_reached_without_customers_plans_none_as_statsmodels():
    """Regression: statsmodels' ``normal_sample_size_one_tail`` (statsmodels/stats/
    power.py, behind ``samplesize_proportions_2indep_onetail``, the peer the planning
    docstring names) plans ``max(z_a sd_null + z_power sd_alt, 0)**2 / diff**2``: 0 when
    the power is reached with no customers. crmkit squared the negative sum and planned
    904 customers for power 0.01 (baseline 10 %, uplift 1 point, 10 % held out); it now
    plans none, so the fewest split (1 + 4), and the inverse refuses that power."""
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    live = samplesize_proportions_2indep_onetail(
        0.01, 0.1, 0.01, ratio=1 / 9, alpha=0.05, alternative="two-sided"
    )
    assert live == 0.0
    plan = sample_size(0.1, 0.01, control_share=0.1, power=0.01)
    assert (plan.n_control, plan.n_treatment) == (1, 4)
    with pytest.raises(ConfigError, match=r"power.*\(1 - level\) / 2 \(0\.025\)"):
        minimum_detectable_uplift(1000, 0.1, power=0.01)
    # just above the tail the inverse still solves, at statsmodels' power
    assert minimum_detectable_uplift(1000, 0.1, power=0.03).uplift > 0


@pytest.mark.parametrize(("d", "n1"), [(0.2, 393.4056), (0.5, 63.7656), (0.8, 25.5246)])
def test_mean_plan_is_statsmodels_tt_ind_solve_power(d, n1):
    """Cohen's small, medium and large effects at equal arms: statsmodels 0.15
    ``tt_ind_solve_power(d, alpha=0.05, power=0.8)`` gives 393.41, 63.77 and 25.52 per
    arm (Cohen 1988, Table 2.4.1: 393, 64, 26); crmkit rounds each arm up."""
    from statsmodels.stats.power import tt_ind_solve_power

    assert tt_ind_solve_power(d, alpha=0.05, power=0.8) == pytest.approx(n1, abs=1e-4)
    plan = sample_size_mean(1.0, d, control_share=0.5)
    assert plan.n_control == plan.n_treatment == math.ceil(n1)


@settings(max_examples=examples(20))
@given(
    st.integers(20, 10**6),
    st.sampled_from([0.1, 0.3, 0.5]),
    st.sampled_from([0.8, 0.9]),
    st.sampled_from([0.9, 0.95]),
)
def test_mean_mde_has_statsmodels_power(n_total, share, power, level):
    """Property: the minimum detectable effect of a mean has, by statsmodels' own
    ``TTestIndPower().power`` (nobs1 = share * n_total, the docstring's convention),
    exactly the power asked for (statsmodels' solver itself stops about 1e-4 short)."""
    from statsmodels.stats.power import TTestIndPower

    plan = minimum_detectable_uplift_mean(n_total, 1.0, control_share=share, power=power,
                                          level=level)  # fmt: skip
    got = TTestIndPower().power(
        plan.effect_size, n_total * share, 1 - level, ratio=(1 - share) / share
    )
    assert got == pytest.approx(power, abs=1e-9)


# ------------------------------------------------------------------------ holdout
def test_the_salt_changes_the_arms():
    """Another campaign name is another hash: of 2,000 customers split 50/50 under two
    salts, about half change arm (binomial, 4 sigma: 1,000 +/- 90)."""
    ids = [f"m{i:05d}" for i in range(2000)]
    a = assign(ids, campaign="spring", control_share=0.5)["arm"]
    b = assign(ids, campaign="autumn", control_share=0.5)["arm"]
    moved = int((a != b).sum())
    assert abs(moved - 1000) <= 90


@settings(max_examples=examples(30))
@given(
    st.lists(st.integers(-(2**53) + 1, 2**53 - 1), min_size=1, max_size=30, unique=True),
    st.randoms(use_true_random=False),
)
def test_integer_ids_are_their_decimal_text_in_any_order(ids, rnd):
    """Property: an integer id gets the arm and bucket of its decimal text (as the
    GrowthBook SDKs hash ``String(n)``), whatever the order of the list."""
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    as_int = assign(shuffled, campaign="c", control_share=0.3)
    as_text = assign([str(i) for i in ids], campaign="c", control_share=0.3)
    assert as_int["bucket"].to_numpy().tolist() == [as_text.loc[str(i), "bucket"] for i in shuffled]
    assert as_int["arm"].tolist() == [as_text.loc[str(i), "arm"] for i in shuffled]
