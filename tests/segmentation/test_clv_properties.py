"""Invariants of the CLV models: probabilities in [0, 1], monotone expectations, scalar = batch,
weights = duplication, JSON round trips, and Monte Carlo checks of the derived closed forms."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.segmentation import (
    BetaGeoBetaBinomFit,
    BetaGeoFit,
    BetaGeoModel,
    GammaGammaFit,
    GammaGammaModel,
    ModifiedBetaGeoFit,
    ParetoNBDFit,
    ParetoNBDModel,
    ShiftedBetaGeoFit,
    ShiftedBetaGeoModel,
    customer_lifetime_value,
)
from tests.strategies import btyd_histories, count_model_fits, examples, simulated_btyd_summary

histories = st.lists(btyd_histories(), min_size=1, max_size=8)


def _frame(rows: list[tuple[float, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "T"])
    frame.index = pd.Index([f"c{i}" for i in range(len(frame))], name="customer_id")
    return frame


@settings(max_examples=examples(60), deadline=None)
@given(fit=count_model_fits(), rows=histories, t=st.floats(min_value=0.0, max_value=500.0))
def test_probabilities_are_in_unit_interval_and_expectations_finite(
    fit: BetaGeoFit, rows: list[tuple[float, float, float]], t: float
) -> None:
    """0 <= P(alive), P(alive at t), P(no purchase) <= 1; E[purchases] >= 0; never NaN."""
    out = fit.predict(_frame(rows), t=t)
    assert not out.isna().to_numpy().any()
    for column in ("p_alive", "p_alive_at_t", "p_no_purchase"):
        assert ((out[column] >= 0) & (out[column] <= 1)).all()
    assert (out["expected_purchases"] >= 0).all()
    assert (out["p_alive_at_t"] <= out["p_alive"] + 1e-12).all()


@settings(max_examples=examples(60), deadline=None)
@given(
    fit=count_model_fits(),
    row=btyd_histories(),
    times=st.lists(st.floats(0.0, 300.0), min_size=2, max_size=6),
)
def test_expected_purchases_are_non_decreasing_in_t(
    fit: BetaGeoFit, row: tuple[float, float, float], times: list[float]
) -> None:
    """E[X(t)] and the conditional expectation never fall as the horizon grows."""
    ts = np.sort(np.array(times))
    population = fit.expected_population_purchases(ts)
    conditional = fit.expected_purchases(ts, *row)
    tol = 1e-9
    assert np.all(np.diff(population) >= -tol * np.maximum(1, population[1:]))
    assert np.all(np.diff(conditional) >= -tol * np.maximum(1, conditional[1:]))
    assert np.all(np.diff(fit.probability_no_purchase(ts, *row)) <= 1e-12)


@settings(max_examples=examples(40), deadline=None)
@given(fit=count_model_fits(), rows=histories, t=st.floats(min_value=0.0, max_value=100.0))
def test_scalar_calls_equal_the_batch(
    fit: BetaGeoFit, rows: list[tuple[float, float, float]], t: float
) -> None:
    """What an app gets for one customer equals that customer's row of the batch."""
    frame = _frame(rows)
    batch = fit.predict(frame, t=t)
    for label, (x, tx, big_t) in zip(frame.index, rows, strict=True):
        assert fit.expected_purchases(t, x, tx, big_t) == batch.loc[label, "expected_purchases"]
        assert fit.probability_alive(x, tx, big_t) == batch.loc[label, "p_alive"]
        assert fit.probability_alive(x, tx, big_t, t=t) == batch.loc[label, "p_alive_at_t"]
        assert fit.probability_no_purchase(t, x, tx, big_t) == batch.loc[label, "p_no_purchase"]
    assert isinstance(fit.probability_alive(*rows[0]), float)


@settings(max_examples=examples(30), deadline=None)
@given(fit=count_model_fits(), rows=histories, spend=st.floats(0.01, 1e4), rate=st.floats(0.0, 0.2))
def test_clv_is_non_negative_for_positive_spend(
    fit: BetaGeoFit, rows: list[tuple[float, float, float]], spend: float, rate: float
) -> None:
    """CLV >= 0 when spend is positive, and it never decreases with a longer horizon."""
    frame = _frame(rows).assign(monetary_value=spend)
    gg = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
    short = customer_lifetime_value(frame, fit, gg, horizon_months=3, discount_rate=rate)
    long = customer_lifetime_value(frame, fit, gg, horizon_months=12, discount_rate=rate)
    assert (short["clv"] >= 0).all()
    assert (long["clv"] >= short["clv"] - 1e-9).all()
    assert long.index.equals(frame.index)


@settings(max_examples=examples(40), deadline=None)
@given(fit=count_model_fits())
def test_fitted_models_round_trip_through_json(fit: BetaGeoFit) -> None:
    """to_dict() -> JSON -> from_dict() gives an equal model that predicts identically."""
    back = type(fit).from_dict(json.loads(json.dumps(fit.to_dict())))
    assert back == fit
    assert back.expected_purchases(10.0, 3, 20.0, 30.0) == fit.expected_purchases(
        10.0, 3, 20.0, 30.0
    )


def test_fitted_model_with_fit_record_round_trips(cdnow_like: pd.DataFrame) -> None:
    """A fitted model keeps params, standard errors and the fit record through JSON."""
    for model in (BetaGeoModel(time_unit="weeks"), ParetoNBDModel(time_unit="weeks")):
        fit = model.fit(cdnow_like)
        data = json.loads(json.dumps(fit.to_dict()))
        assert data["schema_version"] == 1
        back = type(fit).from_dict(data)
        assert back == fit
        assert back.info == fit.info
        assert type(model).from_dict(model.to_dict()) == model
    for fit in (
        GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44}, frequency_spend_correlation=0.11),
        ShiftedBetaGeoFit(params={"alpha": 0.7, "beta": 1.2}, time_unit="years"),
        BetaGeoBetaBinomFit(params={"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}),
    ):
        assert type(fit).from_dict(json.loads(json.dumps(fit.to_dict()))) == fit


@pytest.fixture(scope="module")
def cdnow_like() -> pd.DataFrame:
    """A simulated BG/NBD population (2,000 customers, weekly units)."""
    return simulated_btyd_summary(2000, seed=5)


@settings(max_examples=examples(8), deadline=None)
@given(copies=st.lists(st.integers(1, 4), min_size=200, max_size=200))
def test_weights_equal_row_duplication(cdnow_like: pd.DataFrame, copies: list[int]) -> None:
    """Fitting each row once with weight k equals fitting it k times (exactly the same LL)."""
    base = cdnow_like.head(200).reset_index(drop=True)
    weighted = base.assign(w=copies)
    duplicated = base.loc[base.index.repeat(copies)]
    a = BetaGeoModel(penalizer=0.01).fit(weighted, weights="w")
    b = BetaGeoModel(penalizer=0.01).fit(duplicated)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-10)
    for name in a.params:
        assert a.params[name] == pytest.approx(b.params[name], rel=1e-6)


def test_fit_does_not_mutate_its_input(cdnow_like: pd.DataFrame) -> None:
    """fit() and predict() leave the caller's frame as it was."""
    frame = cdnow_like.copy()
    fit = BetaGeoModel().fit(frame)
    fit.predict(frame, t=4)
    pd.testing.assert_frame_equal(frame, cdnow_like)


def _simulate_alive_later(fit: BetaGeoFit, x: int, tx: float, big_t: float, t: float) -> float:
    """Monte Carlo P(alive at T + t | x, t_x, T) by importance weighting prior draws."""
    rng = np.random.default_rng(11)
    n = 200_000
    r, alpha, a, b = (fit.params[k] for k in ("r", "alpha", "a", "b"))
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    modified = isinstance(fit, ModifiedBetaGeoFit)
    # Alive-at-T branch weight: lam^x e^{-lam T} (1-p)^(x [+1]); the dead branch is not alive.
    w_alive = lam**x * np.exp(-lam * big_t) * (1 - p) ** (x + (1 if modified else 0))
    if x > 0 or modified:
        dead_p = p * (1 - p) ** (x - 1 + (1 if modified else 0))
        w_dead = lam**x * np.exp(-lam * tx) * dead_p
    else:
        w_dead = np.zeros(n)
    survive = np.exp(-lam * p * t)
    return float((w_alive * survive).sum() / (w_alive + w_dead).sum())


@pytest.mark.parametrize("cls", [BetaGeoFit, ModifiedBetaGeoFit])
@pytest.mark.parametrize(("x", "tx", "big_t", "t"), [(0, 0.0, 30.0, 20.0), (3, 20.0, 35.0, 26.0)])
def test_p_alive_at_future_t_matches_monte_carlo(
    cls: type[BetaGeoFit], x: int, tx: float, big_t: float, t: float
) -> None:
    """The closed form for P(alive t periods from now) agrees with simulation (BG and MBG)."""
    fit = cls(params={"r": 0.8, "alpha": 5.0, "a": 0.9, "b": 2.5})
    closed = fit.probability_alive(x, tx, big_t, t=t)
    assert closed == pytest.approx(_simulate_alive_later(fit, x, tx, big_t, t), abs=0.01)


def test_pareto_p_alive_later_and_no_purchase_match_monte_carlo() -> None:
    """Pareto/NBD: P(alive at T + t) and P(no purchase in t) against simulation."""
    fit = ParetoNBDFit(params={"r": 0.8, "alpha": 5.0, "s": 0.7, "beta": 8.0})
    x, tx, big_t, t = 2, 15.0, 30.0, 20.0
    rng = np.random.default_rng(3)
    n = 200_000
    lam = rng.gamma(0.8, 1 / 5.0, n)
    mu = rng.gamma(0.7, 1 / 8.0, n)
    w_alive = lam**x * np.exp(-(lam + mu) * big_t)
    # dead between tx and T: integral of mu e^{-mu tau} e^{-lam tau} over (tx, T]
    w_dead = lam**x * mu / (lam + mu) * (np.exp(-(lam + mu) * tx) - np.exp(-(lam + mu) * big_t))
    total = (w_alive + w_dead).sum()
    alive_later = (w_alive * np.exp(-mu * t)).sum() / total
    none_later = (
        w_dead
        + w_alive * (np.exp(-(lam + mu) * t) + mu / (lam + mu) * (1 - np.exp(-(lam + mu) * t)))
    ).sum() / total
    assert fit.probability_alive(x, tx, big_t, t=t) == pytest.approx(alive_later, abs=0.01)
    assert fit.probability_no_purchase(t, x, tx, big_t) == pytest.approx(none_later, abs=0.01)


@settings(max_examples=examples(30), deadline=None)
@given(alpha=st.floats(0.05, 10), beta=st.floats(0.05, 20), horizon=st.integers(1, 40))
def test_sbg_survival_is_decreasing_and_retention_increasing(
    alpha: float, beta: float, horizon: int
) -> None:
    """S(t) falls from 1, churn probabilities sum with S to 1, retention rises (sBG)."""
    fit = ShiftedBetaGeoFit(params={"alpha": alpha, "beta": beta})
    curve = fit.curve(horizon)
    assert curve["survival"].iloc[0] == 1.0
    assert (np.diff(curve["survival"]) <= 1e-15).all()
    assert curve["churn_probability"].iloc[1:].sum() + curve["survival"].iloc[-1] == pytest.approx(
        1.0
    )
    assert (np.diff(curve["retention_rate"].iloc[1:]) >= -1e-15).all()


def test_sbg_and_gamma_gamma_weights_equal_duplication() -> None:
    """Per-row weights equal duplicated rows for sBG and Gamma-Gamma too."""
    members = pd.DataFrame(
        {"periods": [1, 2, 3, 3, 5], "churned": [1, 1, 0, 1, 0], "w": [3, 2, 4, 1, 5]}
    )
    dup = members.loc[members.index.repeat(members["w"])]
    a = ShiftedBetaGeoModel().fit(members, weights="w")
    b = ShiftedBetaGeoModel().fit(dup)
    assert a.params["alpha"] == pytest.approx(b.params["alpha"], rel=1e-6)
    rng = np.random.default_rng(8)
    n = 150
    freq = rng.integers(1, 8, n)
    nu = rng.gamma(3.7, 1 / 15.4, n)  # per-customer scale (Gamma-Gamma's q, gamma)
    mean_spend = np.array([rng.gamma(6.25, 1 / v, k).mean() for v, k in zip(nu, freq, strict=True)])
    spend = pd.DataFrame(
        {"frequency": freq, "monetary_value": mean_spend, "w": rng.integers(1, 4, n)}
    )
    sdup = spend.loc[spend.index.repeat(spend["w"])]
    c = GammaGammaModel(max_correlation=None).fit(spend, weights="w")
    d = GammaGammaModel(max_correlation=None).fit(sdup)
    assert c.log_likelihood == pytest.approx(d.log_likelihood, rel=1e-10)


def test_rfm_scorer_and_model_follow_the_fit_protocol() -> None:
    """RFM scoring is an Estimator whose fit returns a FittedModel, like the CLV models."""
    from crmkit.segmentation import RFMModel, RFMScorer
    from crmkit.segmentation._model import Estimator, FittedModel, LikelihoodFit

    summary = pd.DataFrame(
        {
            "recency_days": [1, 5, 20, 40, 90],
            "frequency": [9, 7, 5, 4, 3],
            "monetary": [900.0, 700, 500, 400, 300],
        }
    )
    scorer = RFMScorer()
    model = scorer.fit(summary)
    assert isinstance(scorer, Estimator)
    assert isinstance(model, FittedModel)
    assert not isinstance(model, LikelihoodFit)
    assert RFMModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model
    assert isinstance(BetaGeoModel(), Estimator)
    fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    assert isinstance(fit, LikelihoodFit)
