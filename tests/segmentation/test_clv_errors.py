"""Degenerate data and bad options give clear crmkit errors naming the column and rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ConfigError, InvalidInputError, NotFittedError, SchemaError
from crmkit.segmentation import (
    BetaGeoBetaBinomModel,
    BetaGeoFit,
    BetaGeoModel,
    GammaGammaFit,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    customer_lifetime_value,
    frequency_recency_matrix,
)
from tests.strategies import simulated_btyd_summary

MODELS = [BetaGeoModel(), ModifiedBetaGeoModel(), ParetoNBDModel()]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_all_one_time_buyers_is_a_clear_error(model: BetaGeoModel) -> None:
    """Only x = 0 customers: no repeat purchase to learn from (lifetimes: obscure error)."""
    summary = pd.DataFrame({"frequency": [0.0] * 5, "recency": [0.0] * 5, "T": [5.0, 8, 9, 12, 30]})
    with pytest.raises(InvalidInputError, match="at least one customer with a repeat purchase"):
        model.fit(summary)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_one_customer_is_a_clear_error(model: BetaGeoModel) -> None:
    """A population model needs a population (pymc-marketing crashes here)."""
    with pytest.raises(InvalidInputError, match="at least 2 customers"):
        model.fit(pd.DataFrame({"frequency": [3.0], "recency": [10.0], "T": [20.0]}))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_impossible_rows_name_column_and_labels(model: BetaGeoModel) -> None:
    """recency > T, negative or fractional frequency: the error names the rows."""
    summary = pd.DataFrame(
        {"frequency": [1.0, 2.0, 0.0], "recency": [5.0, 30.0, 0.0], "T": [10.0, 20.0, 4.0]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    with pytest.raises(InvalidInputError) as err:
        model.fit(summary)
    assert err.value.field == "T"
    assert err.value.rows == ("b",)
    with pytest.raises(InvalidInputError, match="whole numbers"):
        model.fit(summary.assign(frequency=[1.5, 2.0, 0.0], T=[10.0, 40.0, 4.0]))
    with pytest.raises(SchemaError):
        model.fit(summary.drop(columns="recency"))
    with pytest.raises(InvalidInputError, match="missing"):
        model.fit(summary.assign(T=[10.0, np.nan, 4.0]))


def test_homogeneous_data_runs_off_to_infinity_clearly() -> None:
    """When a parameter runs off to infinity the fit says so and suggests a penalizer."""
    rng = np.random.default_rng(0)
    n = 300
    big_t = np.full(n, 50.0)
    x = rng.poisson(5.0, n).astype(float)  # everyone alive, one common rate: no dropout
    tx = np.where(x > 0, big_t - rng.uniform(0, 1, n), 0.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": big_t})
    with pytest.raises(NotFittedError, match="penalizer"):
        BetaGeoModel().fit(summary)


def test_gamma_gamma_refuses_non_positive_spend_and_correlation() -> None:
    """Zero/negative spend of repeat buyers and correlated frequency/spend are refused."""
    data = pd.DataFrame(
        {"frequency": [1, 2, 3, 0], "monetary_value": [10.0, 0.0, 12.0, 0.0]},
        index=pd.Index([7, 8, 9, 10], name="customer_id"),
    )
    with pytest.raises(InvalidInputError) as err:
        GammaGammaModel().fit(data)
    assert err.value.rows == (8,)
    correlated = pd.DataFrame(
        {"frequency": [1, 2, 3, 4, 5, 6], "monetary_value": [10.0, 19, 32, 41, 48, 61]}
    )
    with pytest.raises(InvalidInputError, match=r"correlation of 0\.99"):
        GammaGammaModel().fit(correlated)
    with pytest.raises(InvalidInputError, match="at least 2 repeat buyers"):
        GammaGammaModel().fit(pd.DataFrame({"frequency": [0, 1], "monetary_value": [0.0, 5.0]}))
    with pytest.raises(ConfigError, match="greater than 1"):
        GammaGammaFit(params={"p": 1.0, "q": 0.9, "v": 1.0})


def test_bad_parameters_and_options_are_config_errors() -> None:
    """Models validate their options and parameters when built."""
    with pytest.raises(ConfigError, match="penalizer"):
        BetaGeoModel(penalizer=-1.0)
    with pytest.raises(ConfigError, match="time_unit"):
        BetaGeoModel(time_unit="fortnights")
    with pytest.raises(ConfigError, match="params"):
        BetaGeoFit(params={"r": 1.0, "alpha": 1.0, "a": 1.0})
    with pytest.raises(ConfigError, match="params"):
        BetaGeoFit(params={"r": 1.0, "alpha": -1.0, "a": 1.0, "b": 1.0})
    with pytest.raises(ConfigError, match="unknown key"):
        BetaGeoModel.from_dict({"penalizer": 0.0, "l2": 1})


def test_prediction_inputs_are_checked() -> None:
    """Scalar and batch predictions refuse recency > T and negative horizons."""
    fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    with pytest.raises(InvalidInputError, match="'T'"):
        fit.probability_alive(2, 40.0, 30.0)
    with pytest.raises(InvalidInputError, match="'t'"):
        fit.expected_purchases(-1.0, 2, 10.0, 30.0)
    with pytest.raises(ConfigError, match="horizon_months"):
        customer_lifetime_value(
            pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [3.0]}),
            fit,
            GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44}),
            horizon_months=0,
        )
    with pytest.raises(ConfigError, match="spend_model"):
        customer_lifetime_value(
            pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [3.0]}),
            fit,
            fit,
        )
    with pytest.raises(ConfigError, match="quantity"):
        frequency_recency_matrix(fit, T=10, quantity="clv")


def test_bgbb_and_sbg_degenerate_inputs() -> None:
    """BG/BB with no purchases, sBG with no churners or no survivors: clear errors."""
    with pytest.raises(InvalidInputError, match="some purchases"):
        BetaGeoBetaBinomModel().fit(
            pd.DataFrame({"frequency": [0, 0], "recency": [0, 0], "n": [4, 4]})
        )
    with pytest.raises(InvalidInputError, match="no churners"):
        ShiftedBetaGeoModel().fit_survivors([100, 100, 100])
    with pytest.raises(InvalidInputError, match="non-increasing"):
        ShiftedBetaGeoModel().fit_survivors([100, 80, 90])
    with pytest.raises(InvalidInputError, match="'churned'"):
        ShiftedBetaGeoModel().fit(pd.DataFrame({"periods": [1, 2], "churned": [0.5, 1.0]}))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_customers_first_seen_at_the_end_are_accepted(model: BetaGeoModel) -> None:
    """Regression: T = 0 (first purchase in the last period, as btyd_summary gives for new
    customers) was refused; such a row carries no information and leaves the fit as it is."""
    summary = simulated_btyd_summary(500, seed=3)
    with_new = pd.concat(
        [summary, pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [0.0]})]
    )
    a = model.fit(summary)
    b = model.fit(with_new)
    assert b.log_likelihood == pytest.approx(a.log_likelihood, rel=1e-7)
    assert 0 < b.probability_alive(0, 0, 0) <= 1


def test_potential_from_value_is_tie_safe_and_checked() -> None:
    """Equal values share a level whatever the row order; bad input is refused."""
    from crmkit.segmentation import potential_from_value

    values = pd.Series([5.0, 5.0, 5.0, 1.0, 9.0, 0.0, 5.0, 2.0, 3.0, 4.0])
    levels = potential_from_value(values)
    shuffled = potential_from_value(values.sample(frac=1.0, random_state=3))
    assert levels.equals(shuffled.reindex(levels.index))
    assert levels[values == 5.0].nunique() == 1
    assert levels[4] == "high"
    with pytest.raises(InvalidInputError, match="1 missing values at rows \\[1\\]"):
        potential_from_value(pd.Series([1.0, np.nan]))
    with pytest.raises(ConfigError, match="shares"):
        potential_from_value(values, shares=(0.6, 0.5))


@pytest.mark.parametrize("periods", [-1, 2.5, "12", True])
def test_sbg_curve_refuses_what_is_not_a_number_of_periods(periods: object) -> None:
    """Regression: -1 gave an empty table; 2.5 and "12" raised a bare TypeError."""
    from crmkit.errors import ConfigError
    from crmkit.segmentation import ShiftedBetaGeoFit

    fit = ShiftedBetaGeoFit(params={"alpha": 0.668, "beta": 3.806}, time_unit="years")
    with pytest.raises(ConfigError, match="'periods' must be an int of at least 0"):
        fit.curve(periods)  # type: ignore[arg-type]
    assert len(fit.curve(0)) == 1


def test_a_runaway_parameter_is_named_once() -> None:
    """Regression: a parameter running off alone and in a pair of ``limits`` was listed
    twice (``['b', 'a', 'b']``, seen on a three-customer ``crmkit clv``). Here the
    likelihood rises with ``b`` alone and along the ``(a, b)`` ray: each is named once, in
    the model's order."""
    from crmkit.segmentation._model import maximise

    def loglik(theta: np.ndarray) -> np.ndarray:
        a, b = theta
        return np.array([np.log(b) - 1e-12 * a])

    with pytest.raises(NotFittedError, match=r"found \['a', 'b'\] running off"):
        maximise("m", ["a", "b"], loglik, np.ones(1), [1.0, 1.0], limits=[("a", "b")])
