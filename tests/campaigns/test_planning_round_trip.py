"""Regression and properties: a plan's size is one its inverse accepts and reads back.

``sample_size_mean(1, 3, control_share=0.1)`` planned 2 + 11 customers, which
``minimum_detectable_uplift_mean(13, 1, control_share=0.1)`` refused (a 10 % holdout of 13
rounds to 1 control customer). A plan's arms are rounded up each, and when the share's
split of their total (``round(control_share * n_total)``, halves up, as both inverse
functions and ``assign()``'s strata read it) would leave an arm too small, the total is
raised to the fewest customers whose split is large enough. ``sample_size`` had no limit
on the customers it plans (a bare OverflowError for an uplift of 1e-160, 3.6e302
customers for a share of 1e-300) and ``minimum_detectable_uplift`` reported plans with an
empty arm; both are refused now.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import (
    minimum_detectable_uplift,
    minimum_detectable_uplift_mean,
    sample_size,
    sample_size_mean,
)
from crmkit.errors import ConfigError

SHARES = st.sampled_from([0.001, 0.01, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 0.9, 0.99])
POWERS = st.sampled_from([0.5, 0.8, 0.9, 0.95])
LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99])


def test_a_tiny_mean_plan_is_one_the_inverse_accepts() -> None:
    """The reported case: 3 sd with 10 % held out needs 15 customers (2 + 13), not 13."""
    plan = sample_size_mean(1, 3, control_share=0.1)
    assert (plan.n_total, plan.n_control, plan.n_treatment) == (15, 2, 13)
    back = minimum_detectable_uplift_mean(plan.n_total, 1, control_share=0.1)
    assert (back.n_control, back.n_treatment) == (plan.n_control, plan.n_treatment)
    assert back.uplift <= 3


def test_a_tiny_proportion_plan_holds_out_a_customer() -> None:
    """0.1 % held out: a plan of 1 + 1 customers is not a 0.1 % holdout (the inverse split
    2 customers into 0 + 2 and reported it); 500 customers hold out one."""
    plan = sample_size(0.001, 0.998, control_share=0.001)
    assert (plan.n_total, plan.n_control, plan.n_treatment) == (500, 1, 499)
    assert minimum_detectable_uplift(500, 0.001, control_share=0.001).n_control == 1
    with pytest.raises(ConfigError, match="at least one customer in each arm; found 2"):
        minimum_detectable_uplift(2, 0.001, control_share=0.001)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"baseline": 0.1, "uplift": 1e-160}, "uplift"),  # was a bare OverflowError
        ({"baseline": 0.1, "uplift": 0.05, "control_share": 1e-320}, "uplift"),
        ({"baseline": 0.1, "uplift": 0.05, "control_share": 1e-300}, "uplift"),  # 3.6e302
        ({"baseline": 0.1, "uplift": 1e-8}, "uplift"),  # about 8e16 customers
    ],
)
def test_sample_size_refuses_plans_beyond_any_customer_base(kwargs, field) -> None:
    """As ``sample_size_mean``: a plan of 1e15 customers or more is a ConfigError."""
    with pytest.raises(ConfigError, match=field):
        sample_size(**kwargs)


def test_inverse_split_rounds_halves_up_as_assign_does() -> None:
    """10 customers with a quarter held out: 3 control (``assign()``'s stratum quota,
    floor(2.5 + 0.5)), not Python's round-half-even 2; 42: 11, not 10."""
    assert minimum_detectable_uplift_mean(10, 1.0, control_share=0.25).n_control == 3
    assert minimum_detectable_uplift(42, 0.5, control_share=0.25).n_control == 11


def test_a_power_of_one_half_is_planned() -> None:
    """Regression: ``power=0.5`` (z = 0 for the power) raised "z_value(): parameter
    'level' must be a number in (0, 1)", a level nobody passed. statsmodels 0.15:
    ``tt_ind_solve_power(0.5, alpha=0.05, power=0.5, ratio=9)`` = 17.3 control customers
    (rounded up: 18 + 156); the proportion plan sits between its neighbours."""
    from statsmodels.stats.power import tt_ind_solve_power

    mean = sample_size_mean(1.0, 0.5, power=0.5)
    live = float(tt_ind_solve_power(0.5, nobs1=None, alpha=0.05, power=0.5, ratio=9))
    assert (mean.n_control, mean.n_treatment) == (math.ceil(live), math.ceil(live * 9))
    assert minimum_detectable_uplift_mean(mean.n_total, 1.0, power=0.5).uplift <= 0.5
    half = sample_size(0.1, 0.05, power=0.5).n_total
    assert sample_size(0.1, 0.05, power=0.4999).n_total <= half
    assert half <= sample_size(0.1, 0.05, power=0.5001).n_total
    assert minimum_detectable_uplift(half, 0.1, power=0.5).uplift <= 0.05


OPTIONS = st.fixed_dictionaries({"control_share": SHARES, "power": POWERS, "level": LEVELS})


@given(
    sd=st.floats(0.01, 1e4),
    effect=st.floats(0.005, 20.0),
    negative=st.booleans(),
    kw=OPTIONS,
)
def test_mean_plan_round_trips(sd, effect, negative, kw) -> None:
    """Property: the inverse accepts a plan's n_total as it is, splits it into arms of at
    least two each, and the uplift it reads back is at most the planned one (either
    sign: the t test is symmetric)."""
    uplift = -effect * sd if negative else effect * sd
    plan = sample_size_mean(sd, uplift, **kw)
    assert plan.n_control + plan.n_treatment == plan.n_total
    assert min(plan.n_control, plan.n_treatment) >= 2
    back = minimum_detectable_uplift_mean(plan.n_total, sd, **kw)
    assert min(back.n_control, back.n_treatment) >= 2
    assert back.uplift <= abs(uplift) * (1 + 1e-9)


@given(
    baseline=st.floats(0.01, 0.99),
    fraction=st.floats(0.01, 0.99),
    negative=st.booleans(),
    kw=OPTIONS,
)
def test_proportion_plan_round_trips(baseline, fraction, negative, kw) -> None:
    """Property: ``minimum_detectable_uplift`` accepts a plan's n_total, holds out at
    least one customer of it, and reads back at most the planned uplift. The inverse
    finds a rise; a fall from ``p`` is the rise from ``1 - p`` (the test is symmetric
    in the two outcomes), so a planned fall is read back at the mirrored baseline."""
    room = baseline if negative else 1 - baseline
    uplift = -fraction * room if negative else fraction * room
    plan = sample_size(baseline, uplift, **kw)
    assert plan.n_control + plan.n_treatment == plan.n_total
    assert min(plan.n_control, plan.n_treatment) >= 1
    start = 1 - baseline if negative else baseline
    back = minimum_detectable_uplift(plan.n_total, start, **kw)
    assert min(back.n_control, back.n_treatment) >= 1
    assert back.uplift <= abs(uplift) * (1 + 1e-9)


@given(n_total=st.integers(2, 10**9), share=st.floats(1e-6, 1 - 1e-6))
def test_plans_and_inverses_split_alike(n_total, share) -> None:
    """Property: the fewest customers a plan raises its total to are split with enough
    customers in each arm, and every larger total too (both arms never shrink)."""
    from crmkit.campaigns._planning import _fewest, _held_out, _split_ok

    for least in (1, 2):
        fewest = _fewest(share, least)
        assert _split_ok(fewest, share, least)
        assert not _split_ok(fewest - 1, share, least) or fewest == 2 * least
        if n_total >= fewest:
            assert _split_ok(n_total, share, least)
    c0, c1 = _held_out(n_total, share), _held_out(n_total + 1, share)
    assert c1 - c0 in (0, 1)
