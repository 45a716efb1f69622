"""CLV models cross-checked against their peers where the existing reference tests do not look.

Sources:

* lifetimes 0.11.3 (``lifetimes/fitters/pareto_nbd_fitter.py``): Pareto/NBD P(alive),
  P(no purchase) and the conditional expectation through Fader & Hardie's ``2F1`` form of
  the likelihood (note 027), for parameters with ``beta`` far below ``alpha``; and
  ``GammaGammaFitter.customer_lifetime_value`` with a Pareto/NBD transaction model.
* Fader, Hardie & Shang (2010), eq. 5 and 11: BG/BB P(alive) of a customer who bought at
  the last opportunity (``recency == n``) is ``B(g, d+n+t) / B(g, d+n)``; lifetimes adds
  1e-15 to the dropout sum and is off by up to 4 % there (documented below).
* Invariants the models must satisfy (hypothesis): P(alive) in [0, 1] and non-decreasing
  in recency for a fixed frequency and T; expectations non-decreasing in the horizon; a
  scalar call equal to its row of the batch, for BG/BB, Gamma-Gamma and sBG too.
"""

from __future__ import annotations

import importlib.resources
import warnings
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.segmentation import (
    BetaGeoBetaBinomFit,
    BetaGeoFit,
    GammaGammaFit,
    ParetoNBDFit,
    ShiftedBetaGeoFit,
    customer_lifetime_value,
)
from tests.strategies import count_model_fits, examples


def _lifetimes() -> ModuleType:
    with warnings.catch_warnings():
        # lifetimes sets a pandas option that pandas 3 deprecates, at import time.
        warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option")
        import lifetimes

    return lifetimes


@pytest.fixture(scope="module")
def cdnow_money() -> pd.DataFrame:
    _lifetimes()
    path = importlib.resources.files("lifetimes") / "datasets"
    frame = pd.read_csv(path / "cdnow_customers_summary_with_transactions.csv", index_col="ID")
    return frame.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


# ------------------------------------------------------------------- Pareto/NBD, beta << alpha
#: Daily data with a slow purchase rate (alpha = 302 days) and a fast, very heterogeneous
#: dropout (s = 0.125, beta = 0.1): beta is 3,000 times smaller than alpha.
SLOW_BUYERS = {"r": 0.93, "alpha": 302.0, "s": 0.125, "beta": 0.1}


def test_pareto_p_alive_is_right_when_beta_is_far_below_alpha() -> None:
    """Regression: the likelihood's integral was taken in y = log((alpha + tau) / (alpha +
    t_x)), where (beta + tau)^-(s+1) collapses within a sliver next to t_x when beta <<
    alpha; 24 nodes missed it and P(alive) of a one-time buyer came out 0.2520 instead of
    0.2247. The values are lifetimes 0.11.3's (Fader-Hardie 2F1 form), 1e-10 relative."""
    fit = ParetoNBDFit(params=SLOW_BUYERS, time_unit="days")
    rows = ([0.0, 1.0, 3.0], [0.0, 30.0, 200.0], [356.0, 356.0, 356.0])
    np.testing.assert_allclose(
        fit.probability_alive(*rows),
        [0.22470498997546917, 0.5197219413488704, 0.8790005458907555],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        fit.probability_no_purchase(90, *rows),
        [0.9750961982706821, 0.8876324392372522, 0.656636218283174],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        fit.expected_purchases(90, *rows),
        [0.028169610008551827, 0.1352114686752911, 0.46565778099589344],
        rtol=1e-10,
    )


@pytest.mark.parametrize(
    "params",
    [
        [0.553, 10.578, 0.606, 0.4],
        [0.5915, 16.41, 1.7448, 0.5818],
        [2.0, 50.0, 0.3, 1.0],
        [0.4, 1406.0, 3.5, 19.0],
        [0.26, 623.6, 9.83, 0.047],
    ],
)
def test_pareto_quadrature_equals_the_2f1_form_with_beta_below_alpha(params: list[float]) -> None:
    """The twin of test_clv_reference's check (which only had beta > alpha): the quadrature
    equals the alpha >= beta branch of Fader-Hardie's 2F1 expression to 1e-10 (it was off
    by up to 0.24 in the log-odds for the last parameter set)."""
    from crmkit.segmentation._pareto_nbd import _log_a0_hyp2f1, _parts

    grid = np.array(
        np.meshgrid([0.0, 1.0, 3.0, 12.0, 40.0], [0.1, 0.5, 0.9, 0.999], [5.0, 39.0, 200.0])
    )
    x, share, big_t = (a.ravel() for a in grid)
    tx = np.where(x > 0, share * big_t, 0.0)
    p = np.array(params)
    r, alpha, s, beta = p
    reference = (
        np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + big_t) + s * np.log(beta + big_t)
        + _log_a0_hyp2f1(p, x, tx, big_t)
    )  # fmt: skip
    np.testing.assert_allclose(_parts(p, x, tx, big_t).log_odds, reference, rtol=1e-10, atol=1e-10)


def test_pareto_gradient_matches_finite_differences_with_beta_below_alpha() -> None:
    """The analytic gradient (differentiated under the integral, now in the beta variable)
    equals central differences of the log-likelihood."""
    from crmkit.segmentation._pareto_nbd import _parts

    p = np.array([0.6, 40.0, 1.2, 0.8])
    x = np.array([0.0, 1.0, 4.0, 20.0])
    tx = np.array([0.0, 3.0, 20.0, 35.0])
    big_t = np.array([60.0, 60.0, 39.0, 39.0])
    analytic = _parts(p, x, tx, big_t, grad=True).grad
    assert analytic is not None
    for k in range(4):
        h = 1e-6 * p[k]
        up, down = p.copy(), p.copy()
        up[k] += h
        down[k] -= h
        numeric = (_parts(up, x, tx, big_t).ll - _parts(down, x, tx, big_t).ll) / (2 * h)
        np.testing.assert_allclose(analytic[:, k], numeric, rtol=1e-6, atol=1e-8)


def test_pareto_clv_equals_lifetimes(cdnow_money: pd.DataFrame) -> None:
    """lifetimes' ``GammaGammaFitter.customer_lifetime_value`` with a ParetoNBDFitter (CDNOW
    parameters r 0.553, alpha 10.578, s 0.606, beta 11.669; 12 months at 1 %/month, its
    4.345 weeks a month) equals crmkit's CLV to 1e-9 relative."""
    lt = _lifetimes()
    params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    spend = {"p": 6.25, "q": 3.74, "v": 15.44}
    theirs_model = lt.ParetoNBDFitter()
    theirs_model.params_ = pd.Series(params)
    theirs_model.predict = theirs_model.conditional_expected_number_of_purchases_up_to_time
    gg = lt.GammaGammaFitter()
    gg.params_ = pd.Series(spend)
    s = cdnow_money
    with warnings.catch_warnings():
        # lifetimes takes log(0) of the one-time buyers' recency on its way to the answer.
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = gg.customer_lifetime_value(
            theirs_model, s["frequency"], s["recency"], s["T"], s["monetary_value"],
            time=12, discount_rate=0.01, freq="W",
        )  # fmt: skip
    assert np.isfinite(theirs.to_numpy()).all()
    ours = customer_lifetime_value(
        s,
        ParetoNBDFit(params=params, time_unit="weeks"),
        GammaGammaFit(params=spend),
        horizon_months=12,
        discount_rate=0.01,
        periods_per_month=4.345,
    )
    np.testing.assert_allclose(ours["clv"].to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------ BG/BB
DONATIONS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.mark.parametrize("n", [1, 6, 14])
@pytest.mark.parametrize("t", [0, 1, 5])
def test_bgbb_p_alive_after_buying_at_the_last_opportunity_is_exact(n: int, t: int) -> None:
    """FHS 2010 eq. 5 and 11: with recency == n the dropout sum is empty, so P(alive at n + t)
    = B(g, d+n+t) / B(g, d+n), whatever the frequency: (d+n)/(g+d+n) for t = 1. lifetimes
    0.11.3 adds 1e-15 to that empty sum and gives e.g. 0.7963 for (9, 14, 14) with the
    parameters below where the value is 0.8277; crmkit holds the formula to 1e-13."""
    from scipy.special import betaln

    fit = BetaGeoBetaBinomFit(
        params={"alpha": 4.6398, "beta": 7.7403, "gamma": 4.9681, "delta": 9.8653}
    )
    g, d = 4.9681, 9.8653
    exact = float(np.exp(betaln(g, d + n + t) - betaln(g, d + n)))
    for x in range(1, n + 1):
        assert fit.probability_alive(x, n, n, t=t) == pytest.approx(exact, rel=1e-13)
    if t == 1:
        assert exact == pytest.approx((d + n) / (g + d + n), rel=1e-13)


# --------------------------------------------------------------------------- properties
@st.composite
def _bgbb_fits(draw: st.DrawFn) -> BetaGeoBetaBinomFit:
    names = ("alpha", "beta", "gamma", "delta")
    values = [draw(st.floats(0.05, 10.0)) for _ in names]
    return BetaGeoBetaBinomFit(params=dict(zip(names, values, strict=True)))


@st.composite
def _bgbb_rows(draw: st.DrawFn) -> tuple[int, int, int]:
    n = draw(st.integers(1, 40))
    x = draw(st.integers(0, n))
    tx = 0 if x == 0 else draw(st.integers(x, n))
    return x, tx, n


@settings(max_examples=examples(60), deadline=None)
@given(
    fit=count_model_fits(),
    frequency=st.integers(0, 300),
    big_t=st.floats(0.5, 400.0),
    shares=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=8),
)
def test_count_model_p_alive_is_in_unit_interval_and_rises_with_recency(
    fit: BetaGeoFit, frequency: int, big_t: float, shares: list[float]
) -> None:
    """For a fixed frequency and T, a later last purchase never makes a customer less likely
    to be alive (the dropout window T - t_x shrinks); every value is in [0, 1]."""
    recency = np.sort(np.array(shares)) * big_t if frequency > 0 else np.zeros(len(shares))
    n = recency.size
    alive = fit.probability_alive(np.full(n, float(frequency)), recency, np.full(n, big_t))
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.diff(alive) >= -1e-12 * np.maximum(alive[1:], 1e-300))


@settings(max_examples=examples(60), deadline=None)
@given(fit=_bgbb_fits(), row=_bgbb_rows(), t=st.integers(0, 20))
def test_bgbb_p_alive_rises_with_recency_and_expectations_with_horizon(
    fit: BetaGeoBetaBinomFit, row: tuple[int, int, int], t: int
) -> None:
    """BG/BB: P(alive) in [0, 1] and non-decreasing in recency (x, n fixed); expected
    purchases non-decreasing and P(no purchase) non-increasing in the horizon."""
    x, _, n = row
    recency = np.arange(max(x, 1), n + 1) if x > 0 else np.array([0])
    alive = fit.probability_alive(np.full(recency.size, x), recency, np.full(recency.size, n), t=t)
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.diff(alive) >= -1e-12 * np.maximum(alive[1:], 1e-300))
    horizons = np.arange(0, t + 2)
    expected = fit.expected_purchases(horizons, *row)
    assert np.all(np.diff(expected) >= -1e-12 * np.maximum(expected[1:], 1.0))
    silent = fit.probability_no_purchase(horizons, *row)
    assert np.all(np.diff(silent) <= 1e-12)


@settings(max_examples=examples(40), deadline=None)
@given(fit=_bgbb_fits(), rows=st.lists(_bgbb_rows(), min_size=1, max_size=6), t=st.integers(0, 12))
def test_bgbb_scalar_calls_equal_the_batch(
    fit: BetaGeoBetaBinomFit, rows: list[tuple[int, int, int]], t: int
) -> None:
    """One customer's scalar BG/BB calls equal that customer's row of ``predict``."""
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "n"])
    batch = fit.predict(frame, t=t)
    for label, (x, tx, n) in zip(frame.index, rows, strict=True):
        assert fit.expected_purchases(t, x, tx, n) == batch.loc[label, "expected_purchases"]
        assert fit.probability_alive(x, tx, n, t=1) == batch.loc[label, "p_alive"]
        assert fit.probability_alive(x, tx, n, t=t) == batch.loc[label, "p_alive_at_t"]
        assert fit.probability_no_purchase(t, x, tx, n) == batch.loc[label, "p_no_purchase"]


@settings(max_examples=examples(40), deadline=None)
@given(
    p=st.floats(0.1, 20.0),
    q=st.floats(1.05, 20.0),
    v=st.floats(0.1, 500.0),
    rows=st.lists(st.tuples(st.integers(0, 50), st.floats(0.01, 1e4)), min_size=1, max_size=6),
)
def test_gamma_gamma_scalar_equals_batch_and_spend_is_a_shrunk_mean(
    p: float, q: float, v: float, rows: list[tuple[int, float]]
) -> None:
    """Gamma-Gamma: scalar ``expected_spend`` equals its ``predict`` row, and the expected
    spend lies between the population mean and the customer's own mean (note 025)."""
    fit = GammaGammaFit(params={"p": p, "q": q, "v": v})
    frame = pd.DataFrame(rows, columns=["frequency", "monetary_value"])
    batch = fit.predict(frame)["expected_spend"]
    prior = fit.population_mean_spend
    for label, (x, m) in zip(frame.index, rows, strict=True):
        value = fit.expected_spend(x, m)
        assert value == batch.loc[label]
        own = m if x > 0 else prior
        assert min(prior, own) * (1 - 1e-12) <= value <= max(prior, own) * (1 + 1e-12)


@settings(max_examples=examples(40), deadline=None)
@given(
    alpha=st.floats(0.05, 10.0),
    beta=st.floats(0.05, 20.0),
    periods=st.lists(st.integers(0, 30), min_size=1, max_size=6),
    t=st.integers(0, 12),
)
def test_sbg_scalar_equals_batch_and_renewal_falls_with_horizon(
    alpha: float, beta: float, periods: list[int], t: int
) -> None:
    """sBG: scalar ``probability_renew`` equals its ``predict`` row; it is a probability and
    falls as the horizon grows (Fader & Hardie 2007, eq. 1-2)."""
    fit = ShiftedBetaGeoFit(params={"alpha": alpha, "beta": beta})
    frame = pd.DataFrame({"periods": periods})
    batch = fit.predict(frame, t=t)["p_renew"]
    for label, n in zip(frame.index, periods, strict=True):
        value = fit.probability_renew(t, n)
        assert value == batch.loc[label]
        assert 0 <= value <= 1
        assert fit.probability_renew(t + 1, n) <= value + 1e-15
