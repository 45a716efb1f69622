"""Planning: sample size and minimum detectable uplift."""

from __future__ import annotations

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
