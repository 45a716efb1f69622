"""Pareto curve, Gini and top share: reference values and an independent Gini formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import gini, pareto_curve, top_share
from tests.strategies import customer_values


def _gini_mean_difference(values: list[float]) -> float:
    """Reference: Gini = sum_ij |x_i - x_j| / (2 n^2 mean) (Gini's mean difference)."""
    x = np.asarray(values, dtype=float)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 1, 1, 1], 0.0),
        ([0, 0, 0, 1], 0.75),  # one customer has everything: 1 - 1/n
        ([1, 2, 3, 4, 5], 4 / 15),  # textbook value 0.2667
        ([1, 3], 0.25),
        ([2, 2, 4, 8], 0.3125),
    ],
)
def test_gini_reference_values(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)
    assert gini(values) == pytest.approx(_gini_mean_difference(values))


@given(customer_values)
def test_gini_matches_mean_difference_and_bounds(values: list[float]) -> None:
    g = gini(values)
    assert g == pytest.approx(_gini_mean_difference(values), abs=1e-9)
    assert 0.0 <= g <= 1 - 1 / len(values) + 1e-12
    # Scale invariance and order invariance.
    assert gini([v * 3 for v in values]) == pytest.approx(g, abs=1e-9)
    assert gini(list(reversed(values))) == pytest.approx(g, abs=1e-12)


def test_pareto_curve_worked_example_and_lorenz() -> None:
    values = [700.0, 100.0, 100.0] + [100.0 / 7] * 7
    curve = pareto_curve(pd.Series(values))
    assert len(curve) == 11
    assert curve.loc[1, "revenue_share"] == pytest.approx(0.7)
    assert curve.loc[3, "revenue_share"] == pytest.approx(0.9)
    assert curve.iloc[-1].tolist() == [1.0, 1.0]
    lorenz = pareto_curve(values, order="ascending")
    assert lorenz.loc[7, "revenue_share"] == pytest.approx(0.1)
    # The area under the Lorenz curve gives the Gini coefficient: G = 1 - 2 * area.
    area = np.trapezoid(lorenz["revenue_share"], lorenz["customer_share"])
    assert 1 - 2 * area == pytest.approx(gini(values) * len(values) / len(values), abs=1e-9)


@given(customer_values)
def test_pareto_curve_is_monotone_and_concave(values: list[float]) -> None:
    curve = pareto_curve(values)
    steps = np.diff(curve["revenue_share"].to_numpy())
    assert (steps >= -1e-12).all()
    assert (np.diff(steps) <= 1e-12).all()  # best customers first: shrinking steps


def test_top_share_worked_example_and_interpolation() -> None:
    values = [700.0, 100.0, 100.0] + [100.0 / 7] * 7
    assert top_share(values, 0.1) == pytest.approx(0.7)
    assert top_share(values, 0.3) == pytest.approx(0.9)
    assert top_share(values, 1.0) == pytest.approx(1.0)
    assert top_share([50.0, 30.0, 20.0], 0.5) == pytest.approx(0.65)


@given(customer_values)
def test_top_share_lies_on_the_pareto_curve(values: list[float]) -> None:
    curve = pareto_curve(values)
    for fraction in (0.2, 0.5):
        expected = np.interp(fraction, curve["customer_share"], curve["revenue_share"])
        assert top_share(values, fraction) == pytest.approx(expected, abs=1e-9)


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError, match=r"negative values at rows \[1\]"):
        gini([1.0, -1.0])
    with pytest.raises(InvalidInputError, match="positive total"):
        gini([0.0, 0.0])
    with pytest.raises(InvalidInputError, match="at least one row"):
        pareto_curve([])
    with pytest.raises(InvalidInputError, match="one-dimensional"):
        top_share([[1.0, 2.0]])
    with pytest.raises(ConfigError, match="fraction"):
        top_share([1.0], 0)
    with pytest.raises(ConfigError, match="fraction"):
        top_share([1.0], 1.5)
    with pytest.raises(ConfigError, match="order"):
        pareto_curve([1.0], order="up")
