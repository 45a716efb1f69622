"""Planning: sample size and minimum detectable uplift."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import minimum_detectable_uplift, sample_size
from crmkit.errors import ConfigError


def test_fleiss_textbook_value():
    """10 % vs 15 %, alpha 0.05, power 0.8, equal arms: 686 per arm (Fleiss, no correction)."""
    plan = sample_size(0.10, 0.05, control_share=0.5)
    assert (plan.n_control, plan.n_treatment) == (686, 686)


def test_matches_statsmodels_power_at_equal_arms():
    """The unpooled-alternative formula gives the power statsmodels computes for it."""
    from statsmodels.stats.power import NormalIndPower

    plan = sample_size(0.2, 0.1, control_share=0.5, power=0.9)
    # Cohen's h is a different approximation; both should land within a few percent.
    from statsmodels.stats.proportion import proportion_effectsize

    h = proportion_effectsize(0.3, 0.2)
    n_h = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.9, ratio=1.0)
    assert plan.n_control == pytest.approx(n_h, rel=0.03)


@given(
    st.floats(0.02, 0.5),
    st.floats(0.01, 0.2),
    st.sampled_from([0.05, 0.1, 0.2, 0.5]),
    st.sampled_from([0.8, 0.9]),
)
def test_mde_inverts_sample_size(baseline: float, uplift: float, share: float, power: float):
    """Property: the MDE of the planned size is at most the planned uplift, and close."""
    plan = sample_size(baseline, uplift, control_share=share, power=power)
    mde = minimum_detectable_uplift(plan.n_total, baseline, control_share=share, power=power)
    assert mde.uplift <= uplift + 1e-9
    assert mde.uplift == pytest.approx(uplift, rel=0.05)


def test_smaller_control_needs_more_customers():
    """A 10 % control group costs more customers than a 50 % one."""
    assert (
        sample_size(0.09, 0.06, control_share=0.1).n_total
        > sample_size(0.09, 0.06, control_share=0.5).n_total
    )


def test_errors():
    """Bad rules, missing data and out-of-range arguments are refused with their names."""
    with pytest.raises(ConfigError, match="baseline"):
        sample_size(0, 0.05)
    with pytest.raises(ConfigError, match="uplift"):
        sample_size(0.9, 0.2)
    with pytest.raises(ConfigError, match="n_total"):
        minimum_detectable_uplift(3, 0.1)


# --------------------------------------------------------------- published references
#: (baseline, uplift, control share, power, level, statsmodels' treatment n, crmkit's arms).
#: statsmodels 0.15 samplesize_proportions_2indep_onetail(diff, prop2=baseline, power,
#: ratio=n_control / n_treatment, alpha, alternative="two-sided"): the same formula
#: (pooled rate under the null, unpooled under the alternative, the far tail ignored).
_STATSMODELS = [
    (0.10, 0.05, 0.5, 0.8, 0.95, 685.596858325361, (686, 686)),
    (0.09, 0.06, 0.1, 0.8, 0.95, 2431.490414220398, (271, 2432)),  # 10 % holdout
    (0.20, 0.05, 0.1, 0.8, 0.95, 5593.079922923306, (622, 5594)),
    (0.05, 0.01, 0.1, 0.8, 0.95, 41854.87944536142, (4651, 41855)),
    (0.30, -0.05, 0.1, 0.9, 0.99, 11653.077052624783, (1295, 11654)),  # a fall, alpha 1 %
]


@pytest.mark.parametrize("case", _STATSMODELS, ids=lambda c: f"{c[0]}+{c[1]}@{c[2]}")
def test_matches_statsmodels_samplesize_proportions_2indep(case):
    """Each arm is statsmodels' size rounded up (control = treatment * s / (1 - s))."""
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    p0, d, s, power, level, n_treat, arms = case
    plan = sample_size(p0, d, control_share=s, power=power, level=level)
    assert (plan.n_control, plan.n_treatment) == arms
    assert plan.n_treatment == math.ceil(n_treat)
    assert plan.n_control == math.ceil(n_treat * s / (1 - s) - 1e-9)
    live = samplesize_proportions_2indep_onetail(
        d, p0, power, ratio=s / (1 - s), alpha=1 - level, alternative="two-sided"
    )
    assert live == pytest.approx(n_treat, rel=1e-9)


def test_one_sided_plan_is_the_two_sided_plan_at_level_1_minus_2_alpha():
    """A one-sided test at alpha 5 % is planned with level=0.90 (the documented recipe):
    statsmodels samplesize_proportions_2indep_onetail(0.06, 0.09, 0.8, ratio=1/9,
    alternative="larger") = 1890.4518 treatment customers -> 211 + 1891."""
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    plan = sample_size(0.09, 0.06, control_share=0.1, level=0.90)
    assert (plan.n_control, plan.n_treatment) == (211, 1891)
    ref = samplesize_proportions_2indep_onetail(
        0.06, 0.09, 0.8, ratio=1 / 9, alpha=0.05, alternative="larger"
    )
    assert ref == pytest.approx(1890.4518063819778, rel=1e-9)
    assert plan.n_treatment == math.ceil(ref)


def test_mde_of_a_10_percent_holdout_has_the_power_statsmodels_computes():
    """5,000 customers, 10 % held out, baseline 9 %: the MDE 0.042472 has power 0.8000 by
    statsmodels power_proportions_2indep(diff, 0.09, nobs1=4500, ratio=500/4500)."""
    from statsmodels.stats.proportion import power_proportions_2indep

    plan = minimum_detectable_uplift(5000, 0.09, control_share=0.1)
    assert round(plan.uplift, 6) == 0.042472
    ref = power_proportions_2indep(plan.uplift, 0.09, 4500, ratio=500 / 4500, alpha=0.05)
    assert ref.power == pytest.approx(0.8, abs=1e-6)


def test_evan_millers_calculator_uses_the_baseline_variance_under_the_null():
    """Evan Miller's sample-size calculator (evanmiller.org/ab-testing/sample-size.html,
    its num_subjects(): sd1 = sqrt(2 p (1 - p)) at the baseline p, sd2 = sqrt(p (1 - p) +
    (p + d)(1 - p - d))) gives 1,030 per arm for 20 % -> 25 %, alpha 5 %, power 80 %.
    crmkit (as Fleiss and statsmodels) uses the pooled rate 22.5 % under the null: 1,094.
    Both are documented conventions; the two agree as the uplift shrinks."""
    from statistics import NormalDist

    def evan_miller(p: float, d: float) -> float:
        za, zb = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(0.8)
        sd1 = math.sqrt(2 * p * (1 - p))
        sd2 = math.sqrt(p * (1 - p) + (p + d) * (1 - p - d))
        return (za * sd1 + zb * sd2) ** 2 / d**2

    assert round(evan_miller(0.20, 0.05)) == 1030
    assert sample_size(0.20, 0.05, control_share=0.5).n_control == 1094
    small = sample_size(0.20, 0.002, control_share=0.5).n_control
    assert small == pytest.approx(evan_miller(0.20, 0.002), rel=0.01)
