"""CLV models against published values and against lifetimes 0.11.3 at fixed parameters.

Sources of the reference numbers:

* Fader, Hardie & Lee (2005), "Counting your customers the easy way" (BG/NBD on the CDNOW
  sample: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4) and the BG/NBD
  spreadsheet (E[X(t)] at 6 times; the conditional expectation 1.226 for x=2,
  t_x=30.43, T=38.86, t=39).
* Fader, Hardie & Lee (2005), "RFM and CLV" / Hardie note 025 (Gamma-Gamma on CDNOW:
  p = 6.25, q = 3.74, gamma = 15.44; conditional expected spend of the first 10 customers).
* Pareto/NBD on CDNOW (r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0)
  and R BTYD's pnbd.Expectation / walkthrough figures (P(alive) 0.9979, 25.46 expected).
* BTYDplus (Platzer) MBG/NBD on CDNOW: r = 0.525, alpha = 6.183, a = 0.891, b = 1.614.
* Fader, Hardie & Shang (2010) BG/BB on the donations data (alpha = 1.204, beta = 0.750,
  gamma = 0.657, delta = 2.783, LL = -33,225.6), Table 6 P(alive in 2002), and Hardie's
  spreadsheet totals (12,884.2 expected, 3,454.9 zeros and 1,253.1 sixes in-sample).
* Fader & Hardie (2007), "How to project customer retention": sBG on the "regular" and
  "high end" survivor counts (alpha = 0.704, beta = 1.182; alpha = 0.668, beta = 3.806).
"""

from __future__ import annotations

import importlib.resources
import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.segmentation import (
    BetaGeoBetaBinomFit,
    BetaGeoBetaBinomModel,
    BetaGeoFit,
    BetaGeoModel,
    GammaGammaFit,
    GammaGammaModel,
    ModifiedBetaGeoFit,
    ModifiedBetaGeoModel,
    ParetoNBDFit,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    customer_lifetime_value,
)


def _lifetimes() -> ModuleType:
    with warnings.catch_warnings():
        # lifetimes sets a pandas option that pandas 3 deprecates, at import time.
        warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option")
        import lifetimes

    return lifetimes


def _dataset(name: str) -> Any:
    _lifetimes()
    return importlib.resources.files("lifetimes") / "datasets" / name


@pytest.fixture(scope="module")
def lt() -> ModuleType:
    return _lifetimes()


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The CDNOW sample summary in weeks: ID, frequency, recency, T (2,357 customers)."""
    return pd.read_csv(_dataset("cdnow_customers_summary.csv"), index_col="ID")


@pytest.fixture(scope="module")
def cdnow_money() -> pd.DataFrame:
    frame = pd.read_csv(_dataset("cdnow_customers_summary_with_transactions.csv"), index_col="ID")
    return frame.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    return pd.read_csv(_dataset("donations.csv"))


@pytest.fixture(scope="module")
def bg_fit(cdnow: pd.DataFrame) -> BetaGeoFit:
    return BetaGeoModel(time_unit="weeks").fit(cdnow)


BG_PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _sig3(value: float) -> float:
    return float(f"{value:.3g}")


# ---------------------------------------------------------------------------- BG/NBD
def test_bgnbd_cdnow_parameters_and_log_likelihood_match_fader_hardie_lee(
    bg_fit: BetaGeoFit,
) -> None:
    """r, alpha, a, b and the log-likelihood agree with the paper to 3 significant digits."""
    for name, value in BG_PUBLISHED.items():
        assert _sig3(bg_fit.params[name]) == _sig3(value)
    assert bg_fit.log_likelihood is not None
    assert round(bg_fit.log_likelihood, 1) == -9582.4
    assert bg_fit.converged
    assert bg_fit.info is not None
    assert bg_fit.info.n_customers == 2357
    assert bg_fit.info.n_unique < 2357  # identical rows were fitted once


def test_bgnbd_standard_errors_are_positive_and_small(bg_fit: BetaGeoFit) -> None:
    """The Hessian gives finite standard errors, each well below its estimate."""
    for name, se in bg_fit.standard_errors.items():
        assert se is not None
        assert 0 < se < bg_fit.params[name]


def test_bgnbd_hardie_spreadsheet_expectations(bg_fit: BetaGeoFit) -> None:
    """E[X(t)] at six times and the conditional expectation of Hardie's spreadsheet."""
    times = np.array([0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00])
    expected = np.array([0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576])
    np.testing.assert_allclose(bg_fit.expected_population_purchases(times), expected, atol=5e-4)
    assert abs(bg_fit.expected_purchases(39, 2, 30.43, 38.86) - 1.226) < 1e-3


def test_bgnbd_predictions_equal_lifetimes_at_fixed_parameters(
    lt: ModuleType, cdnow: pd.DataFrame
) -> None:
    """P(alive), conditional expectation and E[X(t)] equal lifetimes to 1e-6 on CDNOW."""
    ours = BetaGeoFit(params=BG_PUBLISHED, time_unit="weeks")
    theirs = lt.BetaGeoFitter()
    theirs.params_ = pd.Series(BG_PUBLISHED)
    x, tx, big_t = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        ours.probability_alive(x, tx, big_t),
        theirs.conditional_probability_alive(x, tx, big_t),
        rtol=0,
        atol=1e-6,
    )
    for t in (1.0, 39.0, 104.0):
        np.testing.assert_allclose(
            ours.expected_purchases(t, x, tx, big_t),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, x, tx, big_t),
            rtol=1e-6,
            atol=1e-9,
        )
    times = np.linspace(0.5, 200, 25)
    np.testing.assert_allclose(
        ours.expected_population_purchases(times),
        theirs.expected_number_of_purchases_up_to_time(times),
        rtol=1e-6,
    )


def test_bgnbd_btyd_pdf_examples_and_frequency_paradox() -> None:
    """R BTYD's bgnbd.PAlive examples: a fresh heavy buyer is alive; for fixed recency the
    probability falls as frequency rises (the "increasing frequency paradox")."""
    fit = BetaGeoFit(params=BG_PUBLISHED, time_unit="weeks")
    assert fit.probability_alive(23, 39, 39) > 0.95
    paradox = fit.probability_alive(np.arange(5, 21), 30, 39)
    assert np.all(np.diff(paradox) < 0)


def test_bgnbd_weights_column_equals_row_duplication(cdnow: pd.DataFrame) -> None:
    """Fitting compressed rows with a weights column gives the same fit as the raw rows."""
    grouped = (
        cdnow.groupby(["frequency", "recency", "T"]).size().rename("n_customers").reset_index()
    )
    fitted = BetaGeoModel(time_unit="weeks").fit(grouped, weights="n_customers")
    raw = BetaGeoModel(time_unit="weeks").fit(cdnow)
    for name in BG_PUBLISHED:
        assert fitted.params[name] == pytest.approx(raw.params[name], rel=1e-9)
    assert fitted.log_likelihood == pytest.approx(raw.log_likelihood, rel=1e-12)


def test_penalizer_shrinks_parameters(cdnow: pd.DataFrame) -> None:
    """An L2 penalty pulls the parameters towards zero (lifetimes' penalizer_coef)."""
    plain = BetaGeoModel(time_unit="weeks").fit(cdnow)
    shrunk = BetaGeoModel(time_unit="weeks", penalizer=0.1).fit(cdnow)
    assert shrunk.params["a"] < plain.params["a"]
    assert shrunk.params["b"] < plain.params["b"]
    assert shrunk.info is not None
    assert shrunk.info.penalizer == 0.1


# --------------------------------------------------------------------------- MBG/NBD
def test_mbgnbd_cdnow_parameters_match_btydplus(cdnow: pd.DataFrame) -> None:
    """MBG/NBD on CDNOW: BTYDplus's r = 0.525, alpha = 6.183, a = 0.891, b = 1.614."""
    fit = ModifiedBetaGeoModel(time_unit="weeks").fit(cdnow)
    published = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    for name, value in published.items():
        assert round(fit.params[name], 3) == value
    assert abs(fit.expected_purchases(39, 2, 30.43, 38.86) - 1.226) < 0.05


def test_mbgnbd_predictions_equal_lifetimes(lt: ModuleType, cdnow: pd.DataFrame) -> None:
    """MBG/NBD P(alive), conditional and population expectations equal lifetimes to 1e-6."""
    params = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    ours = ModifiedBetaGeoFit(params=params, time_unit="weeks")
    theirs = lt.ModifiedBetaGeoFitter()
    theirs.params_ = pd.Series(params)
    x, tx, big_t = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        ours.probability_alive(x, tx, big_t),
        theirs.conditional_probability_alive(x, tx, big_t),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ours.expected_purchases(52.0, x, tx, big_t),
        theirs.conditional_expected_number_of_purchases_up_to_time(52.0, x, tx, big_t),
        rtol=1e-6,
    )
    times = np.array([1.0, 10.0, 52.0, 78.0])
    np.testing.assert_allclose(
        ours.expected_population_purchases(times),
        theirs.expected_number_of_purchases_up_to_time(times),
        rtol=1e-6,
    )
    # One-time buyers are not surely alive under MBG/NBD.
    assert ours.probability_alive(0, 0, 38.86) < 1


# ------------------------------------------------------------------------ Pareto/NBD
def test_pareto_nbd_cdnow_parameters_and_log_likelihood(cdnow: pd.DataFrame) -> None:
    """Pareto/NBD on CDNOW: r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL -9595.0."""
    fit = ParetoNBDModel(time_unit="weeks").fit(cdnow)
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for name, value in published.items():
        assert _sig3(fit.params[name]) == _sig3(value)
    assert fit.log_likelihood is not None
    assert round(fit.log_likelihood, 1) == -9595.0


def test_pareto_nbd_r_btyd_figures() -> None:
    """R BTYD: pnbd.Expectation at t = 0..9 (its manual's parameters 0.55, 10.56, 0.61,
    11.64) and the walkthrough's P(alive) 0.9979 and 25.46 expected purchases."""
    manual = ParetoNBDFit(params={"r": 0.55, "alpha": 10.56, "s": 0.61, "beta": 11.64})
    expected = [0.0, 0.05077821, 0.09916088, 0.14542507, 0.18979930, 0.23247466, 0.27361274]
    expected += [0.31335159, 0.35181024, 0.38909211]
    np.testing.assert_allclose(
        manual.expected_population_purchases(np.arange(10.0)), expected, rtol=0, atol=1e-8
    )
    fit = ParetoNBDFit(
        params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}, time_unit="weeks"
    )
    assert abs(fit.probability_alive(26, 30.86, 31) - 0.9979) < 1e-4
    assert abs(fit.expected_purchases(52, 26, 30.86, 31) - 25.46) < 0.01


def test_pareto_nbd_predictions_equal_lifetimes(lt: ModuleType, cdnow: pd.DataFrame) -> None:
    """P(alive) and the conditional expectation equal lifetimes on CDNOW (1e-6)."""
    params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    ours = ParetoNBDFit(params=params, time_unit="weeks")
    theirs = lt.ParetoNBDFitter()
    theirs.params_ = pd.Series(params)
    x, tx, big_t = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        ours.probability_alive(x, tx, big_t),
        theirs.conditional_probability_alive(x, tx, big_t),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ours.expected_purchases(39.0, x, tx, big_t),
        theirs.conditional_expected_number_of_purchases_up_to_time(39.0, x, tx, big_t),
        rtol=1e-6,
    )


def test_pareto_nbd_has_no_overflow_at_high_frequency() -> None:
    """lifetimes #25 / CLVTools #100: frequencies in the hundreds and thousands stay finite,
    and a small change of input gives a small change of output (no underflow jump)."""
    fit = ParetoNBDFit(params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    left = fit.expected_purchases(10, 132, 200, 200)
    right = fit.expected_purchases(10, 133, 200, 200)
    assert abs(left - right) < 0.05
    x = np.array([300.0, 1000.0, 5000.0])
    for value in (
        fit.probability_alive(x, 150, 200),
        fit.expected_purchases(10, x, 150, 200),
        fit.probability_no_purchase(10, x, 150, 200),
    ):
        assert np.all(np.isfinite(value))
        assert np.all(value >= 0)
    extreme = ParetoNBDFit(
        params={"r": 10.465, "alpha": 7.98565181e-03, "s": 3.0516, "beta": 2.820}
    )
    alive = extreme.probability_alive([40.0, 50.0, 50.0], [5.0, 1.0, 4.0], [6.0, 37.0, 37.0])
    assert np.all((alive >= 0) & (alive <= 1))


# ----------------------------------------------------------------------- Gamma-Gamma
def test_gamma_gamma_cdnow_parameters_match_hardie(cdnow_money: pd.DataFrame) -> None:
    """p = 6.25, q = 3.74, gamma = 15.44 on CDNOW's repeat buyers (note 025)."""
    fit = GammaGammaModel().fit(cdnow_money)
    assert round(fit.params["p"], 2) == 6.25
    assert round(fit.params["q"], 2) == 3.74
    assert round(fit.params["v"], 1) == 15.4
    assert fit.info is not None
    assert fit.info.n_customers == 946
    assert fit.frequency_spend_correlation == pytest.approx(0.1139, abs=1e-3)


def test_gamma_gamma_conditional_spend_matches_hardie_spreadsheet(
    cdnow_money: pd.DataFrame,
) -> None:
    """The first ten customers' expected spend from Hardie's spreadsheet (note 025)."""
    fit = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
    head = cdnow_money.head(10)
    expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    np.testing.assert_allclose(fit.predict(head)["expected_spend"], expected, atol=0.1)


def test_gamma_gamma_equals_lifetimes_fit_and_spend(
    lt: ModuleType, cdnow_money: pd.DataFrame
) -> None:
    """Same maximum and same conditional spend as lifetimes."""
    repeat = cdnow_money[cdnow_money["frequency"] > 0]
    theirs = lt.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    ours = GammaGammaModel().fit(cdnow_money)
    for name in ("p", "q", "v"):
        assert ours.params[name] == pytest.approx(theirs.params_[name], rel=1e-5)
    np.testing.assert_allclose(
        ours.expected_spend(repeat["frequency"], repeat["monetary_value"]),
        theirs.conditional_expected_average_profit(repeat["frequency"], repeat["monetary_value"]),
        rtol=1e-5,
    )


def test_clv_equals_lifetimes_to_1e6(lt: ModuleType, cdnow_money: pd.DataFrame) -> None:
    """Discounted CLV (12 months, 1 % a month) equals lifetimes with its 4.345 weeks/month."""
    bg = lt.BetaGeoFitter()
    bg.params_ = pd.Series(BG_PUBLISHED)
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    gg = lt.GammaGammaFitter()
    gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    s = cdnow_money
    theirs = gg.customer_lifetime_value(
        bg,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    ours = customer_lifetime_value(
        s,
        BetaGeoFit(params=BG_PUBLISHED, time_unit="weeks"),
        GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44}),
        horizon_months=12,
        discount_rate=0.01,
        periods_per_month=4.345,
    )
    np.testing.assert_allclose(ours["clv"].to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-6)
    assert ours.index.equals(s.index)
    assert ours.attrs["time_unit"] == "weeks"
    assert ours.attrs["periods_per_month"] == 4.345


# ---------------------------------------------------------------------------- BG/BB
@pytest.fixture(scope="module")
def bgbb_fit(donations: pd.DataFrame) -> BetaGeoBetaBinomFit:
    return BetaGeoBetaBinomModel(time_unit="years").fit(donations, n="periods", weights="weights")


def test_bgbb_donations_parameters_and_log_likelihood(bgbb_fit: BetaGeoBetaBinomFit) -> None:
    """FHS 2010: alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783, LL -33,225.6."""
    published = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    for name, value in published.items():
        assert round(bgbb_fit.params[name], 3) == value
    assert bgbb_fit.log_likelihood is not None
    assert round(bgbb_fit.log_likelihood, 1) == -33225.6
    assert bgbb_fit.info is not None
    assert bgbb_fit.info.n_customers == 11104
    assert bgbb_fit.info.n_unique == 22


def test_bgbb_table_6_and_spreadsheet_totals(
    bgbb_fit: BetaGeoBetaBinomFit, donations: pd.DataFrame
) -> None:
    """P(alive in 2002) (Table 6) and the totals of Hardie's BG/BB spreadsheet."""
    alive = bgbb_fit.probability_alive([0, 2, 6], [0, 4, 6], [6, 6, 6], t=1)
    np.testing.assert_allclose(alive, [0.11, 0.59, 0.93], atol=0.005)
    total = float(
        bgbb_fit.expected_purchases(
            5, donations["frequency"], donations["recency"], donations["periods"]
        )
        @ donations["weights"]
    )
    assert round(total, 1) == 12884.2
    histogram = bgbb_fit.frequency_distribution(6) * 11104
    assert round(float(histogram[0]), 1) == 3454.9
    assert round(float(histogram[6]), 1) == 1253.1


def test_bgbb_predictions_equal_lifetimes(lt: ModuleType, donations: pd.DataFrame) -> None:
    """P(alive) and the conditional expectation equal lifetimes' BG/BB at fixed parameters."""
    params = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    ours = BetaGeoBetaBinomFit(params=params)
    theirs = lt.BetaGeoBetaBinomFitter()
    theirs.params_ = pd.Series(params)
    x, tx, n = donations["frequency"], donations["recency"], donations["periods"]
    for m in (0, 1, 3):
        np.testing.assert_allclose(
            ours.probability_alive(x, tx, n, t=m),
            theirs.conditional_probability_alive(m, x, tx, n),
            atol=1e-6,
        )
    np.testing.assert_allclose(
        ours.expected_purchases(5, x, tx, n),
        theirs.conditional_expected_number_of_purchases_up_to_time(5, x, tx, n),
        rtol=1e-6,
    )


# ------------------------------------------------------------------------------ sBG
@pytest.mark.parametrize(
    ("survivors", "alpha", "beta"),
    [
        ([1000, 631, 468, 382, 326, 289, 262, 241], 0.704, 1.182),  # "regular"
        ([1000, 869, 743, 653, 593, 551, 517, 491], 0.668, 3.806),  # "high end"
    ],
)
def test_sbg_fader_hardie_2007_segments(survivors: list[int], alpha: float, beta: float) -> None:
    """Fader & Hardie (2007), Figure 3: the two segments' sBG estimates."""
    fit = ShiftedBetaGeoModel(time_unit="years").fit_survivors(survivors)
    assert round(fit.params["alpha"], 3) == alpha
    assert round(fit.params["beta"], 3) == beta


def test_sbg_per_customer_data_equals_survivor_counts() -> None:
    """Per-customer (periods, churned) rows give the same fit as the cohort counts."""
    survivors = [1000, 869, 743, 653, 593, 551, 517, 491]
    rows = []
    for t in range(1, len(survivors)):
        rows += [(t, True)] * (survivors[t - 1] - survivors[t])
    rows += [(len(survivors) - 1, False)] * survivors[-1]
    frame = pd.DataFrame(rows, columns=["periods", "churned"])
    per_customer = ShiftedBetaGeoModel().fit(frame)
    cohort = ShiftedBetaGeoModel().fit_survivors(survivors)
    assert per_customer.params["alpha"] == pytest.approx(cohort.params["alpha"], rel=1e-9)
    assert per_customer.log_likelihood == pytest.approx(cohort.log_likelihood, rel=1e-12)


def test_sbg_projection_reproduces_the_fitted_survivors() -> None:
    """S(t) times the cohort size reproduces the survivor counts closely (the paper's fit)."""
    survivors = np.array([1000, 869, 743, 653, 593, 551, 517, 491])
    fit = ShiftedBetaGeoModel(time_unit="years").fit_survivors(survivors)
    projected = 1000 * fit.survival(np.arange(8.0))
    assert np.max(np.abs(projected - survivors)) < 20
    assert np.all(np.diff(fit.retention_rate(np.arange(1.0, 13.0))) > 0)


def test_pareto_quadrature_equals_the_2f1_form() -> None:
    """The likelihood's integral by quadrature equals Fader-Hardie's 2F1 expression (1e-10)."""
    from crmkit.segmentation._pareto_nbd import _log_a0_hyp2f1, _parts

    grid = np.array(
        np.meshgrid([0.0, 1.0, 3.0, 12.0, 40.0], [0.1, 0.5, 0.9, 0.999], [5.0, 39.0, 200.0])
    )
    x, share, big_t = (a.ravel() for a in grid)
    tx = np.where(x > 0, share * big_t, 0.0)
    for params in ([0.553, 10.578, 0.606, 11.669], [2.0, 3.0, 0.3, 50.0], [0.4, 19.0, 3.5, 1406.0]):
        p = np.array(params)
        r, _, s, _ = p
        reference = (
            np.log(s) - np.log(r + s + x) + (r + x) * np.log(p[1] + big_t) + s * np.log(p[3] + big_t)
            + _log_a0_hyp2f1(p, x, tx, big_t)
        )  # fmt: skip
        np.testing.assert_allclose(
            _parts(p, x, tx, big_t).log_odds, reference, rtol=1e-10, atol=1e-10
        )
