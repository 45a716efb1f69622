"""Pareto curve, Gini and top share: reference values and an independent Gini formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import gini, pareto_curve, top_share
from tests.strategies import customer_values, examples


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


# ----------------------------------------------------------- published reference values

#: The income deciles of R ``ineq``'s documentation example (``?ineq``, ``?Gini``, also
#: ``acid::gini``): ``x <- c(541, 1463, 2445, 3438, 4437, 5401, 6392, 8304, 11904, 22261)``.
INEQ_EXAMPLE = [541, 1463, 2445, 3438, 4437, 5401, 6392, 8304, 11904, 22261]


def _ineq_gini(x: list[float], corr: bool = False) -> float:
    """R ``ineq::Gini`` line by line (ineq 0.2-13, Zeileis): the formula, not our code.

    ``G <- sum(x * 1L:n); G <- 2 * G/sum(x) - (n + 1L); if (corr) G/(n - 1L) else G/n``.
    """
    xs = sorted(float(v) for v in x)
    n = len(xs)
    g = sum(v * i for i, v in enumerate(xs, start=1))
    g = 2 * g / sum(xs) - (n + 1)
    return g / (n - 1) if corr else g / n


def test_gini_matches_ineq_documentation_example() -> None:
    """``ineq::Gini(x)`` = 0.4620911 on ineq's income example (R ineq docs, Zeileis);
    ``Gini(x, corr = TRUE)`` = 0.4620911 * 10 / 9 = 0.5134346."""
    assert gini(INEQ_EXAMPLE) == pytest.approx(0.4620911, abs=5e-8)
    assert gini(INEQ_EXAMPLE, corrected=True) == pytest.approx(0.5134346, abs=5e-8)
    assert gini(INEQ_EXAMPLE) == pytest.approx(_ineq_gini(INEQ_EXAMPLE), abs=1e-12)


def test_gini_matches_phylotools_documented_value() -> None:
    """R ``phylotools::gini`` (adopted from ``ineq``) documents
    ``gini(c(1,3,2,1,1,1,4))`` = 0.3076923 (= 4/13)."""
    assert gini([1, 3, 2, 1, 1, 1, 4]) == pytest.approx(0.3076923, abs=5e-8)
    assert gini([1, 3, 2, 1, 1, 1, 4]) == pytest.approx(4 / 13)


@given(customer_values)
def test_gini_population_and_corrected_match_ineq(values: list[float]) -> None:
    assert gini(values) == pytest.approx(_ineq_gini(values), abs=1e-9)
    if len(values) >= 2:
        corrected = gini(values, corrected=True)
        assert corrected == pytest.approx(_ineq_gini(values, corr=True), abs=1e-9)
        assert 0.0 <= corrected <= 1.0


def test_corrected_gini_reaches_one_and_needs_two_values() -> None:
    assert gini([0.0, 0.0, 0.0, 5.0], corrected=True) == 1.0
    with pytest.raises(InvalidInputError, match="at least two values"):
        gini([5.0], corrected=True)
    with pytest.raises(ConfigError, match="corrected"):
        gini([1.0, 2.0], corrected="yes")  # type: ignore[arg-type]


def test_lorenz_points_follow_ineq_lc_convention() -> None:
    """``ineq::Lc(x)``: ``p = (0:n)/n``, ``L = c(0, cumsum(sort(x)))/sum(x)``: starts at
    (0, 0), ends at (1, 1), one point per customer."""
    lorenz = pareto_curve(INEQ_EXAMPLE, order="ascending")
    x = np.sort(np.asarray(INEQ_EXAMPLE, dtype=float))
    expected_l = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    assert lorenz["customer_share"].tolist() == pytest.approx(np.arange(11) / 10)
    assert lorenz["revenue_share"].tolist() == pytest.approx(expected_l.tolist())
    assert lorenz.iloc[0].tolist() == [0.0, 0.0]
    assert lorenz.iloc[-1].tolist() == [1.0, 1.0]
    # Twice the area between the diagonal and the Lorenz curve is the population Gini.
    area = np.trapezoid(lorenz["revenue_share"], lorenz["customer_share"])
    assert 1 - 2 * area == pytest.approx(gini(INEQ_EXAMPLE), abs=1e-12)


def test_top_share_interpolates_when_the_fraction_is_not_whole_customers() -> None:
    """Convention: the top 20 % of 7 customers is 1.4 customers, so the top customer
    counts fully and the second for 0.4 (the Pareto curve read by linear interpolation),
    not rounded to 1 or 2 customers."""
    values = [60.0, 20.0, 10.0, 5.0, 3.0, 1.0, 1.0]
    assert top_share(values, 0.2) == pytest.approx((60 + 0.4 * 20) / 100)
    # Whole numbers of customers need no interpolation: top 20 % of 10 = the top 2.
    assert top_share(INEQ_EXAMPLE, 0.2) == pytest.approx((22261 + 11904) / sum(INEQ_EXAMPLE))
    # Ties do not matter: the curve is the same whichever tied customer counts in part.
    assert top_share([5.0, 5.0, 5.0], 0.5) == pytest.approx(0.5)


# ----------------------------------------------------------------- issue 10: overflow


@pytest.mark.parametrize("values", [[1e308, 1e308], [1e308, 1e308, 1e308, 0.0], [1.7e308] * 9])
def test_measures_of_huge_values_are_finite_and_scale_free(values: list[float]) -> None:
    """Regression: gini([1e308, 1e308]) was NaN and top_share/pareto_curve NaN or inf."""
    small = [v / 1e300 for v in values]  # not a power of two: equal up to rounding
    assert gini(values) == pytest.approx(gini(small), abs=1e-15)
    assert np.isfinite(gini(values))
    assert top_share(values, 0.5) == pytest.approx(top_share(small, 0.5), rel=1e-15)
    curve = pareto_curve(values)
    assert np.isfinite(curve.to_numpy()).all()
    pd.testing.assert_frame_equal(curve, pareto_curve(small), rtol=1e-15)


def test_two_equal_huge_values() -> None:
    assert gini([1e308, 1e308]) == 0.0
    assert top_share([1e308, 1e308], 0.5) == 0.5
    assert pareto_curve([1e308, 1e308])["revenue_share"].tolist() == [0.0, 0.5, 1.0]


@given(customer_values, st.integers(-200, 200))
def test_measures_do_not_change_when_values_are_scaled_by_powers_of_two(
    values: list[float], exponent: int
) -> None:
    """Scaling by 2**k is exact, so every measure is bit-for-bit unchanged."""
    scaled = list(np.ldexp(np.asarray(values, dtype=float), exponent))
    if sum(values) <= 0 or max(scaled) < 1e-290:
        return
    assert gini(scaled) == gini(values)
    assert top_share(scaled, 0.3) == top_share(values, 0.3)


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=1.7976931348623157e308, allow_subnormal=False),
        min_size=1,
        max_size=30,
    )
)
def test_any_finite_values_give_finite_concentration(values: list[float]) -> None:
    """No input of finite non-negative values makes Gini, top share or the curve NaN/inf."""
    if max(values) == 0:
        return
    assert 0.0 <= gini(values) <= 1.0
    assert 0.0 <= top_share(values, 0.2) <= 1.0
    curve = pareto_curve(values)
    assert np.isfinite(curve.to_numpy()).all()
    assert (np.diff(curve["revenue_share"]) >= -1e-12).all()


def test_gini_and_top_share_of_known_distributions() -> None:
    """Quantile grids ``F^-1((i - 1/2) / n)``, n = 10^6, approach the population values:
    uniform on [0, 1] has Gini 1/3 and exponential 1/2 (Kendall & Stuart; any text on the
    Gini mean difference: Delta = E|X - Y| = 1/3 and 1 for these, G = Delta / (2 mu));
    lognormal(sigma) has Gini 2 Phi(sigma / sqrt 2) - 1 and top-p share
    1 - Phi(Phi^-1(1 - p) - sigma) (Aitchison & Brown 1957), 0.5205 and 0.5629 at sigma = 1,
    p = 0.2. The grid's errors: 3e-13, 2e-7 and 4e-6."""
    from scipy.stats import norm

    n = 10**6
    u = (np.arange(1, n + 1) - 0.5) / n
    assert gini(u) == pytest.approx(1 / 3, abs=1e-12)
    assert gini(-np.log1p(-u)) == pytest.approx(0.5, abs=1e-6)
    lognormal = np.exp(norm.ppf(u))
    assert gini(lognormal) == pytest.approx(2 * norm.cdf(1 / np.sqrt(2)) - 1, abs=1e-5)
    assert top_share(lognormal, 0.2) == pytest.approx(1 - norm.cdf(norm.ppf(0.8) - 1), abs=1e-5)
