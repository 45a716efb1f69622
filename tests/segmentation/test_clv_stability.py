"""BTYD closed forms where they cancel: a ~ 1, b >> a (BG/NBD), gamma ~ 1, delta >> 1 (BG/BB).

The closed forms of E[X(t)] divide a difference of nearly equal terms by ``a - 1`` (BG/NBD:
``(a+b+x-1)/(a-1) * (1 - tail)``; BG/BB: ``delta/(gamma-1) * [ratio(n) - ratio(n+m)]``).
At a = 1, b = 1e7 (a dropout probability of ~1e-7: no dropout in practice) crmkit (and
lifetimes) returned 0 expected purchases where the answer is about r t / alpha. These
tests pin the stable paths against values computed with mpmath 1.4.1 at 30-40 digits,
by two independent routes that agree to all printed digits:

* BG/NBD: the Beta expectation ``E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p]`` for
  ``p ~ Beta(a, b + x [+ 1])`` by ``mpmath.quad`` (over log p), divided by the
  P(alive) denominator; and, where mpmath's ``hyp2f1`` is quick, the closed form of FHL
  2005 eq. 10 at a = 1 + 10^-25 with ``mp.dps = 50``.
* BG/BB: FHS 2010 eq. 13 as the finite sum ``sum_i B(gamma, delta+i) / B(gamma, delta)``
  with ``mpmath.beta`` (``mp.dps = 40``).

The scripts are in the session report; e.g. ``mp.quad(lambda u: -mp.expm1(-k *
mp.log1p(mp.exp(u) * w)) * mp.exp((a - 1) * u + (bb - 1) * mp.log1p(-mp.exp(u))), [-mp.inf,
..., 0]) / mp.beta(a, bb)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.segmentation import (
    BetaGeoBetaBinomFit,
    BetaGeoFit,
    ModifiedBetaGeoFit,
)
from crmkit.segmentation._bgnbd import _mean_given_alive
from crmkit.segmentation._model import log_beta
from tests.strategies import examples

CDNOW_RATE = {"r": 0.243, "alpha": 4.414}
#: (label, t, x, t_x, T, a, b, modified, mpmath value)
BG_CASES = [
    ("population, a = 1, b = 1e7", 39.0, 0, 0.0, 0.0, 1.0, 1e7, False, 2.1470309913736906),
    ("MBG population, a = 1, b = 1e7", 39.0, 0, 0.0, 0.0, 1.0, 1e7, True, 2.1470307766707308),
    ("population, a = 1, b = 1e4", 39.0, 0, 0.0, 0.0, 1.0, 1e4, False, 2.1458548471472713),
    ("population, a = 1, b = 10", 39.0, 0, 0.0, 0.0, 1.0, 10.0, False, 1.572230564951848),
    ("population, a = 0.9999, b = 1e6", 39.0, 0, 0.0, 0.0, 0.9999, 1e6, False, 2.1470203817635477),
    ("population, a = 1.5, b = 1e7", 39.0, 0, 0.0, 0.0, 1.5, 1e7, False, 2.1470304018777014),
    ("x=2, a = 1, b = 1e7", 39.0, 2, 30.43, 38.86, 1.0, 1e7, False, 2.0214672319323475),
    ("x=2, a = 1, b = 10", 39.0, 2, 30.43, 38.86, 1.0, 10.0, False, 1.5925522369852484),
    ("MBG x=0, a = 1, b = 10", 39.0, 0, 0.0, 38.86, 1.0, 10.0, True, 0.17859715545696308),
    ("x=50, a = 0.05, b = 1e6", 1000.0, 50, 38.0, 39.0, 0.05, 1e6, False, 1157.2651681593913),
    ("x=0, a = 1, t = 1000", 1000.0, 0, 0.0, 39.0, 1.0, 2.426, False, 1.862474663102073),
    ("FHL 2005 (1.226)", 39.0, 2, 30.43, 38.86, 0.793, 2.426, False, 1.2260281747671445),
]


@pytest.mark.parametrize(
    ("t", "x", "tx", "T", "a", "b", "modified", "reference"),
    [case[1:] for case in BG_CASES],
    ids=[case[0] for case in BG_CASES],
)
def test_bgnbd_expectations_match_mpmath(  # noqa: PLR0917 - one row of the table
    t: float, x: int, tx: float, T: float, a: float, b: float, modified: bool, reference: float
) -> None:
    """E[X(t) | x, t_x, T] (population: x = t_x = T = 0) to 1e-12 of mpmath; at a = 1,
    b = 1e7 this was 0.0 (and 2.530 at a = 0.9999, b = 1e6; 1.5722344 at a = 1, b = 10)."""
    cls = ModifiedBetaGeoFit if modified else BetaGeoFit
    fit = cls(params={**CDNOW_RATE, "a": a, "b": b}, time_unit="weeks")
    assert fit.expected_purchases(t, x, tx, T) == pytest.approx(reference, rel=1e-12)
    if x == 0 and T == 0:
        assert fit.expected_population_purchases(t) == pytest.approx(reference, rel=1e-12)


def test_the_former_refusal_at_huge_r_is_now_computed() -> None:
    """r = 1e5, alpha = 4e5, a = 0.8, b = 2.5 (the closed form overflows; this used to be
    refused, and lifetimes gives NaN): the Beta expectation gives mpmath's 0.697706744402
    (both the quadrature and FHL eq. 10 in mpmath, dps = 30)."""
    fit = BetaGeoFit(params={"r": 1e5, "alpha": 4e5, "a": 0.8, "b": 2.5}, time_unit="weeks")
    assert fit.expected_purchases(13.0, 2.0, 10.0, 20.0) == pytest.approx(
        0.69770674440190983, rel=1e-9
    )


@pytest.mark.parametrize(
    ("a", "b", "reference"),
    [
        (0.9999, 1e6, -13.8140712770669216),  # scipy betaln: 2e-9 off
        (0.05, 1e6, 2.27810369690352059),
        (1.0, 1e4, -9.21034037197618274),  # = -log(1e4); scipy betaln: 5e-12 off
        (2.5, 20.0, -7.29541173813636452),
        (20.0, 1e7, -283.022047831954552),
        (0.657, 1e7 + 6, -10.2735517433977172),
    ],
)
def test_log_beta_matches_mpmath(a: float, b: float, reference: float) -> None:
    """log B(a, b) to float rounding (mpmath ``log(beta(a, b))`` at dps = 40)."""
    assert float(log_beta(a, b)) == pytest.approx(reference, rel=2e-15, abs=1e-15)
    assert float(log_beta(b, a)) == float(log_beta(a, b))


BGBB_CASES = [
    # gamma, delta, E[X(6)], E[X(6, 11) | 6, 6, 6], E[X(6, 11) | 0, 0, 6]
    (1.0, 1e7, 3.6970304358245115, 4.5285377412635713, 0.75684976930106984),
    (1.0, 10.0, 2.7836229788635111, 3.8348351860981369, 0.15637376072671624),
    (1.0 + 1e-8, 2.0, 1.5008188223144316, 3.3495003324892136, 0.024054568876461043),
    (0.657, 2.783, 2.2196313934872988, 3.7521156075998147, 0.072802877475043007),
]


@pytest.mark.parametrize(("gamma", "delta", "population", "sixes", "zeros"), BGBB_CASES)
def test_bgbb_expectations_match_mpmath(
    gamma: float, delta: float, population: float, sixes: float, zeros: float
) -> None:
    """BG/BB E[X(n)] and eq. 13 with alpha = 1.204, beta = 0.750 (FHS 2010) and gamma, delta
    where the closed form cancels: at gamma = 1, delta = 1e7 it gave 0.0 (right: 3.697),
    at gamma = 1, delta = 10 2.7836590 (right: 2.7836230)."""
    fit = BetaGeoBetaBinomFit(
        params={"alpha": 1.204, "beta": 0.750, "gamma": gamma, "delta": delta}
    )
    assert fit.expected_population_purchases(6) == pytest.approx(population, rel=1e-12)
    assert fit.expected_purchases(5, 6, 6, 6) == pytest.approx(sixes, rel=1e-12)
    assert fit.expected_purchases(5, 0, 0, 6) == pytest.approx(zeros, rel=1e-12)


def _log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=math.log(low), max_value=math.log(high)).map(math.exp)


@settings(max_examples=examples(60), deadline=None)
@given(
    a=_log_uniform(0.1, 100.0),
    b=_log_uniform(0.1, 1e8),
    r=_log_uniform(0.05, 10.0),
    x=st.integers(0, 40),
    w=_log_uniform(1e-3, 100.0),
)
def test_closed_form_and_quadrature_agree_where_the_closed_form_is_kept(
    a: float, b: float, r: float, x: int, w: float
) -> None:
    """E[purchases | alive] lies in (0, k w] (k = r + x, w = t / (alpha + T)) and equals
    the direct Beta expectation to 1e-9 whichever path the model takes: the switch
    between the closed form and the quadrature leaves no seam."""
    alpha, T = 1.0, 0.0
    fit = BetaGeoFit(params={"r": r, "alpha": alpha, "a": a, "b": b})
    xs, Ts, ts = np.array([float(x)]), np.array([T]), np.array([w * (alpha + T)])
    ours = float(fit._given_alive(xs, Ts, ts)[0])
    direct = float(_mean_given_alive(np.array([r + x]), np.array([w]), a, np.array([b + x]))[0])
    assert 0.0 < ours <= (r + x) * w * (1.0 + 1e-9)
    assert ours == pytest.approx(direct, rel=1e-9)


@settings(max_examples=examples(40), deadline=None)
@given(gamma=_log_uniform(0.2, 5.0), delta=_log_uniform(0.2, 1e8), m=st.integers(1, 60))
def test_bgbb_population_is_the_sum_of_beta_expectations(
    gamma: float, delta: float, m: int
) -> None:
    """E[X(m)] = alpha/(alpha+beta) * sum_{i<=m} B(gamma, delta+i)/B(gamma, delta), to 1e-10,
    for any gamma, delta (each term a positive Beta expectation)."""
    fit = BetaGeoBetaBinomFit(
        params={"alpha": 1.204, "beta": 0.750, "gamma": gamma, "delta": delta}
    )
    i = np.arange(1.0, m + 1.0)
    direct = (
        1.204 / 1.954 * float(np.exp(log_beta(gamma, delta + i) - log_beta(gamma, delta)).sum())
    )
    assert fit.expected_population_purchases(m) == pytest.approx(direct, rel=1e-10)
