"""lifetimes' own test suite, ported where it maps onto crmkit's API.

Source: github.com/CamDavidsonPilon/lifetimes (master, commit 4f2833f), files
``tests/test_utils.py`` and ``tests/test_estimation.py``. Each test names the lifetimes test
it ports; the numbers are lifetimes' hard-coded expectations (or R BTYD's, which lifetimes
cites), not values recomputed with lifetimes. Tests lifetimes has that are *not* ported:

* ``probability_of_n_purchases_up_to_time`` for n > 0 and Pareto/NBD's
  ``conditional_probability_of_n_purchases_up_to_time``: crmkit has no purchase-count
  distribution for the continuous-time models (only n = 0, ``probability_no_purchase``,
  ported below); BG/BB's ``frequency_distribution`` is pinned in test_clv_reference.py.
* ``GammaGammaFitter.fit(q_constraint=True)``: crmkit has no such option (the CDNOW
  maximum has q = 3.74 > 1 anyway, and an unconstrained q <= 1 is refused as an
  infinite mean spend).
* ``expected_cumulative_transactions`` (R BTYD's tracking plot): no crmkit counterpart.
* save/load, ``index=``, ``_negative_log_likelihood`` sums, ``_check_inputs``: lifetimes
  internals; crmkit's JSON round trips and input errors are tested elsewhere.
"""

from __future__ import annotations

import importlib.resources
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import InvalidInputError
from crmkit.segmentation import (
    BetaGeoFit,
    BetaGeoModel,
    GammaGammaFit,
    ModifiedBetaGeoFit,
    ModifiedBetaGeoModel,
    ParetoNBDFit,
    btyd_summary,
    calibration_holdout,
    customer_lifetime_value,
    frequency_recency_matrix,
)


def _dataset(name: str) -> Any:
    with warnings.catch_warnings():
        # lifetimes sets a pandas option that pandas 3 deprecates, at import time.
        warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option")
        import lifetimes  # noqa: F401 - only its shipped data files are used

    return importlib.resources.files("lifetimes") / "datasets" / name


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(_dataset("cdnow_customers_summary.csv"), index_col="ID")


@pytest.fixture(scope="module")
def example_transactions() -> pd.DataFrame:
    return pd.read_csv(_dataset("example_transactions.csv"), parse_dates=["date"])


def _log(rows: list[list[Any]], columns: tuple[str, ...] = ("id", "date")) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.assign(date=pd.to_datetime(frame["date"]))


#: lifetimes' ``transaction_level_data`` fixture.
SMALL = [
    [1, "2015-02-01"], [1, "2015-02-06"], [2, "2015-01-01"],
    [3, "2015-01-01"], [3, "2015-01-02"], [3, "2015-01-05"],
]  # fmt: skip
#: lifetimes' ``large_transaction_level_data_with_monetary_value`` fixture (the
#: ``large_transaction_level_data`` fixture is its first two columns).
LARGE = [
    [1, "2015-01-01", 1], [1, "2015-02-06", 2], [2, "2015-01-01", 2],
    [3, "2015-01-01", 3], [3, "2015-01-02", 1], [3, "2015-01-05", 5],
    [4, "2015-01-16", 6], [4, "2015-02-02", 3], [4, "2015-02-05", 3],
    [5, "2015-01-16", 3], [5, "2015-01-17", 1], [5, "2015-01-18", 8],
    [6, "2015-02-02", 5],
]  # fmt: skip


def _large(amounts: bool = False) -> pd.DataFrame:
    frame = _log(LARGE, ("id", "date", "monetary_value"))
    return frame if amounts else frame.drop(columns="monetary_value")


def _expected(rows: list[list[float]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", *columns]).set_index("id").astype("float64")
    return frame


# ------------------------------------------------------------------ test_utils.py
def test_summary_data_from_transaction_data_returns_correct_results() -> None:
    """lifetimes ``test_summary_data_from_transaction_data_returns_correct_results``."""
    got = btyd_summary(_log(SMALL), customer="id", amount=None, as_of="2015-02-07")
    expected = _expected(
        [[1, 1.0, 5.0, 6.0], [2, 0.0, 0.0, 37.0], [3, 2.0, 4.0, 37.0]],
        ["frequency", "recency", "T"],
    )
    pd.testing.assert_frame_equal(got, expected, check_names=False)


def test_summary_with_specific_non_daily_frequency() -> None:
    """lifetimes ``test_summary_date_from_transaction_data_with_specific_non_daily_frequency``
    (weeks: pandas' Monday-to-Sunday periods, as lifetimes' ``to_period("W")``)."""
    got = btyd_summary(_large(), customer="id", amount=None, as_of="2015-02-07", freq="W")
    expected = _expected(
        [
            [1, 1.0, 5.0, 5.0], [2, 0.0, 0.0, 5.0], [3, 1.0, 1.0, 5.0],
            [4, 1.0, 3.0, 3.0], [5, 0.0, 0.0, 3.0], [6, 0.0, 0.0, 0.0],
        ],
        ["frequency", "recency", "T"],
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected, check_names=False)


def test_summary_with_monetary_values() -> None:
    """lifetimes ``test_summary_date_from_transaction_with_monetary_values``: the mean of
    the *repeat* purchases (customer 4: 3 and 3; 5: 1 and 8 -> 4.5), 0 for one-timers."""
    got = btyd_summary(_large(True), customer="id", amount="monetary_value", as_of="20150207")
    expected = _expected(
        [
            [1, 1.0, 36.0, 37.0, 2], [2, 0.0, 0.0, 37.0, 0], [3, 2.0, 4.0, 37.0, 3],
            [4, 2.0, 20.0, 22.0, 3], [5, 2.0, 2.0, 22.0, 4.5], [6, 0.0, 0.0, 5.0, 0],
        ],
        ["frequency", "recency", "T", "monetary_value"],
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected, check_names=False)


def test_summary_with_monetary_values_including_the_first_transaction() -> None:
    """``include_first_transaction=True`` (lifetimes has no test of it; figures by hand):
    every period counts, e.g. customer 4 buys 6, 3, 3 -> frequency 3, mean 4; customer 1
    buys 1, 2 -> 1.5; recency and T are unchanged."""
    got = btyd_summary(
        _large(True),
        customer="id",
        amount="monetary_value",
        as_of="2015-02-07",
        include_first_transaction=True,
    )
    expected = _expected(
        [
            [1, 2.0, 36.0, 37.0, 1.5], [2, 1.0, 0.0, 37.0, 2], [3, 3.0, 4.0, 37.0, 3],
            [4, 3.0, 20.0, 22.0, 4], [5, 3.0, 2.0, 22.0, 4], [6, 1.0, 0.0, 5.0, 5],
        ],
        ["frequency", "recency", "T", "monetary_value"],
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected, check_names=False)


def test_summary_drops_the_chronologically_first_order() -> None:
    """lifetimes ``test_summary_data_..._will_choose_the_correct_first_order_to_drop_in_
    monetary_transactions`` (lifetimes #85): rows out of date order; the first *dated*
    order (10) is dropped, so the value is (20 + 25) / 2 = 22.5."""
    log = pd.DataFrame(
        {
            "date": pd.to_datetime(["2014-04-09", "2014-03-14", "2014-05-21"]),
            "id": [2, 2, 2],
            "sales": [20.0, 10.0, 25.0],
        }
    )
    got = btyd_summary(log, customer="id", amount="sales")
    assert got.loc[2, "monetary_value"] == 22.5
    ordered = btyd_summary(log.sort_values("date"), customer="id", amount="sales")
    pd.testing.assert_frame_equal(got, ordered)


def test_summary_squashes_period_purchases_to_one_purchase() -> None:
    """lifetimes ``test_summary_data_from_transaction_data_squashes_period_purchases_to_one
    _purchase``: two rows in one week are one purchase occasion (frequency 0)."""
    log = _log([[1, "2015-01-01"], [1, "2015-01-01"]])
    assert btyd_summary(log, customer="id", amount=None, freq="W").loc[1, "frequency"] == 0.0


def test_summary_statistics_are_identical_to_hardies_paper() -> None:
    """lifetimes ``test_summary_statistics_are_indentical_to_hardies_paper_confirming_correct
    _aggregations`` (Fader, Hardie & Lee 2005, "RFM and CLV"): the 946 repeat buyers of
    the CDNOW sample before 1997-10-01 have mean 35, sd 30, min 3, median 27, max 300."""
    log = pd.read_csv(
        _dataset("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["_id", "id", "date", "cds_bought", "spent"],
    )
    log["date"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
    summary = btyd_summary(log[log["date"] < "1997-10-01"], customer="id", amount="spent")
    stats = summary[summary["frequency"] > 0]["monetary_value"].describe().round()
    assert stats[["count", "mean", "std", "min", "50%", "max"]].tolist() == [
        946, 35, 30, 3, 27, 300,
    ]  # fmt: skip


def test_calibration_and_holdout_data() -> None:
    """lifetimes ``test_calibration_and_holdout_data``: customer 1 buys once in the holdout,
    2 not at all; 6 is first seen in the holdout and is left out."""
    got = calibration_holdout(
        _large(), customer="id", amount=None, calibration_end="2015-02-01", as_of="2015-02-07"
    )
    assert got.loc[1, "frequency_holdout"] == 1
    assert got.loc[2, "frequency_holdout"] == 0
    assert 6 not in got.index
    assert got.attrs["holdout_only_customers"] == 1


def test_calibration_and_holdout_data_works_with_specific_frequency() -> None:
    """lifetimes ``test_calibration_and_holdout_data_works_with_specific_frequency``."""
    got = calibration_holdout(
        _large(),
        customer="id",
        amount=None,
        calibration_end="2015-02-01",
        as_of="2015-02-07",
        freq="W",
    )
    expected = _expected(
        [
            [1, 0.0, 0.0, 4.0, 1, 1], [2, 0.0, 0.0, 4.0, 0, 1], [3, 1.0, 1.0, 4.0, 0, 1],
            [4, 0.0, 0.0, 2.0, 1, 1], [5, 0.0, 0.0, 2.0, 0, 1],
        ],
        ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"],
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected, check_names=False)


def test_calibration_and_holdout_data_gives_correct_date_boundaries() -> None:
    """lifetimes ``test_calibration_and_holdout_data_gives_correct_date_boundaries``: rows
    after ``as_of`` (2015-02-06 for customer 1, 2015-02-05 for 4) are in neither part."""
    got = calibration_holdout(
        _large(), customer="id", amount=None, calibration_end="2015-02-01", as_of="2015-02-04"
    )
    assert got.loc[1, "frequency_holdout"] == 0
    assert got.loc[4, "frequency_holdout"] == 1
    assert got.attrs["rows_after_as_of"] == 2


def test_calibration_and_holdout_data_with_monetary_value() -> None:
    """lifetimes ``test_calibration_and_holdout_data_with_monetary_value``."""
    got = calibration_holdout(
        _large(True),
        customer="id",
        amount="monetary_value",
        calibration_end="2015-02-01",
        as_of="2015-02-07",
    )
    assert got["monetary_value_cal"].tolist() == [0, 0, 3, 0, 4.5]
    assert got["monetary_value_holdout"].tolist() == [2, 0, 0, 3, 0]


def test_calibration_and_holdout_data_refuses_a_window_before_the_data() -> None:
    """lifetimes ``test_calibration_and_holdout_data_throws_better_error_if_observation_
    period_end_is_too_early`` ("There is no data available"): a crmkit error naming the
    date column and both cut-offs."""
    with pytest.raises(InvalidInputError, match=r"calibration period.*2014-02-01") as info:
        calibration_holdout(
            _large(), customer="id", amount=None, calibration_end="2014-02-01", as_of="2014-02-07"
        )
    assert info.value.field == "date"


def test_customer_lifetime_value_with_known_values(example_transactions: pd.DataFrame) -> None:
    """lifetimes ``test_customer_lifetime_value_with_known_values``: BG/NBD on
    example_transactions.csv in days (lifetimes: r 0.16, alpha 1.86, a 1.85, b 3.18),
    a spend of 1 (Gamma-Gamma with p = 1, q = 2, v = 1 predicts exactly the observed mean
    1), one month of 30 days (lifetimes' month for ``freq="D"``): the first five customers'
    CLV is the expected purchases in 30 days, 0.016053 ... 0.001607; at a discount rate of
    1 it halves; two undiscounted months roughly double it (lifetimes: rtol 0.1) and two
    months at rate 1 give about e/2 + e/4."""
    summary = btyd_summary(example_transactions, customer="id", amount=None)
    fit = BetaGeoModel(time_unit="days").fit(summary)
    published = {"r": 0.16, "alpha": 1.86, "a": 1.85, "b": 3.18}
    assert {k: round(v, 2) for k, v in fit.params.items()} == published
    head = summary.head().assign(monetary_value=1.0)
    unit = GammaGammaFit(params={"p": 1.0, "q": 2.0, "v": 1.0})
    expected = np.array([0.016053, 0.021171, 0.030461, 0.031686, 0.001607])

    def clv(months: int, rate: float) -> Any:
        out = customer_lifetime_value(
            head, fit, unit, horizon_months=months, discount_rate=rate, periods_per_month=30
        )
        assert (out["expected_spend"] == 1.0).all()
        return out["clv"].to_numpy()

    np.testing.assert_almost_equal(clv(1, 0.0), expected, decimal=5)
    np.testing.assert_almost_equal(clv(1, 1.0), expected / 2.0, decimal=5)
    np.testing.assert_allclose(clv(2, 0.0), expected * 2.0, rtol=0.1)
    np.testing.assert_allclose(clv(2, 1.0), expected / 2.0 + expected / 4.0, rtol=0.1)


# ------------------------------------------------------------- test_estimation.py
BG_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_probability_of_no_purchase_same_as_r_btyd() -> None:
    """lifetimes ``test_probability_of_n_purchases_up_to_time_same_as_R_BTYD`` at n = 0:
    R BTYD's ``bgnbd.pmf(params, 39, 0) = 0.5737864`` for a new customer. By hand that is
    (alpha / (alpha + t))^r = (4.414 / 43.414)^0.243; for MBG/NBD, which may drop out
    right after the first purchase, a / (a + b) + b / (a + b) * 0.5737864 = 0.6787840."""
    bg = BetaGeoFit(params=BG_CDNOW, time_unit="weeks")
    mbg = ModifiedBetaGeoFit(params=BG_CDNOW, time_unit="weeks")
    assert bg.probability_no_purchase(39, 0, 0, 0) == pytest.approx(0.5737864, abs=1e-7)
    by_hand = (4.414 / 43.414) ** 0.243
    assert bg.probability_no_purchase(39, 0, 0, 0) == pytest.approx(by_hand, rel=1e-13)
    drop = 0.793 / (0.793 + 2.426)
    assert mbg.probability_no_purchase(39, 0, 0, 0) == pytest.approx(
        drop + (1 - drop) * by_hand, rel=1e-13
    )


def test_conditional_probability_alive_returns_1_if_no_repeat_purchases(
    cdnow: pd.DataFrame,
) -> None:
    """lifetimes ``test_conditional_probability_alive_returns_1_if_no_repeat_purchases``
    (BG/NBD) and ``..._returns_lessthan_1_...`` (MBG/NBD) on the CDNOW fit; and
    ``test_no_runtime_warnings_high_frequency``: P(alive | 1000, 10, 100) is 0.0."""
    bg = BetaGeoModel(time_unit="weeks").fit(cdnow)
    mbg = ModifiedBetaGeoModel(time_unit="weeks").fit(cdnow)
    assert bg.probability_alive(0, 1, 1) == 1.0
    assert mbg.probability_alive(0, 1, 1) < 1.0
    with np.errstate(all="raise"):
        assert bg.probability_alive(1000, 10, 100) == 0.0


@pytest.mark.parametrize("cls", [BetaGeoFit, ModifiedBetaGeoFit])
def test_conditional_probability_alive_matrix(cls: type) -> None:
    """lifetimes ``test_conditional_probability_alive_matrix`` (BG/NBD, MBG/NBD): lifetimes'
    matrix is recency x frequency at T = int(max T) = 38 on CDNOW and each cell equals
    ``conditional_probability_alive(x, t_x, 38)``; crmkit's ``frequency_recency_matrix`` is
    the transpose (frequency rows), cell by cell ``probability_alive``. Z[0][0] = 1."""
    fit = cls(params=BG_CDNOW, time_unit="weeks")
    grid = frequency_recency_matrix(fit, T=38, max_frequency=29, max_recency=38, quantity="p_alive")
    assert grid.shape == (30, 39)
    if cls is BetaGeoFit:
        assert grid.loc[0, 0] == 1.0
    for x in grid.index:
        row = fit.probability_alive(np.full(39, float(x)), np.arange(39.0), np.full(39, 38.0))
        np.testing.assert_allclose(grid.loc[x].to_numpy(), row, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("model", [BetaGeoModel, ModifiedBetaGeoModel])
def test_scaling_inputs_gives_same_results(model: type, cdnow: pd.DataFrame) -> None:
    """lifetimes ``test_scaling_inputs_gives_same_or_similar_results``: recency and T
    times 10 (the same customers in tenth-weeks) give the same P(alive) at the scaled
    times; lifetimes allows 1e-4 (BG) and 1e-1 (MBG), crmkit's fit scales time
    internally and agrees to 1e-9."""
    base = model(time_unit="weeks").fit(cdnow)
    scaled = model(time_unit="weeks").fit(
        cdnow.assign(recency=cdnow["recency"] * 10, T=cdnow["T"] * 10)
    )
    for tx, big_t in ((1, 2), (2, 10)):
        assert scaled.probability_alive(1, 10 * tx, 10 * big_t) == pytest.approx(
            base.probability_alive(1, tx, big_t), abs=1e-9
        )


def test_hourly_and_daily_summaries_predict_the_same(example_transactions: pd.DataFrame) -> None:
    """lifetimes ``test_purchase_predictions_do_not_differ_much_if_looking_at_hourly_or_
    daily_frequencies`` (``assert_almost_equal``, 7 decimals): MBG/NBD fitted on the daily
    and on the hourly summary predicts the same E[X(30 days)] = E[X(720 hours)]
    (lifetimes: 0.98470990; crmkit's optimum gives 1e-8 less)."""
    daily = btyd_summary(example_transactions, customer="id", amount=None, freq="D")
    hourly = btyd_summary(example_transactions, customer="id", amount=None, freq="h")
    by_day = ModifiedBetaGeoModel(time_unit="days").fit(daily)
    by_hour = ModifiedBetaGeoModel(time_unit="hours").fit(hourly)
    per_day = by_day.expected_population_purchases(30)
    np.testing.assert_almost_equal(per_day, by_hour.expected_population_purchases(720), decimal=7)
    np.testing.assert_almost_equal(per_day, 0.9847099042, decimal=7)


def test_pareto_nbd_conditional_expectation_underflow() -> None:
    """lifetimes ``test_conditional_expectation_underflow``: with r = 0.55, alpha = 10.58,
    s = 0.61, beta = 11.67 the values in lifetimes' comments, 6.2060517889632418 and
    6.2528722475748113 (lifetimes 0.11.3 itself now returns NaN there), to 1e-12."""
    fit = ParetoNBDFit(params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    assert fit.expected_purchases(10, 132, 200, 200) == pytest.approx(6.2060517889632418, rel=1e-12)
    assert fit.expected_purchases(10, 133, 200, 200) == pytest.approx(6.2528722475748113, rel=1e-12)


def test_pareto_nbd_conditional_probability_alive_overflow() -> None:
    """lifetimes ``test_conditional_probability_alive_overflow_error`` asks only for values
    in [0, 1]; here the values themselves, from FHL's Pareto/NBD P(alive) with the 2F1 of
    the alpha < beta branch in mpmath 1.4.1 (``mp.dps = 50``): ``first / (first + s/(r+s+x)
    * A0)``, ``first = 1/((alpha+T)^(r+x) (beta+T)^s)``, ``A0 = 2F1(r+s+x, r+x; r+s+x+1;
    (beta-alpha)/(beta+t_x)) / (beta+t_x)^(r+s+x) - [the same at T]``."""
    fit = ParetoNBDFit(params={"r": 10.465, "alpha": 7.98565181e-03, "s": 3.0516, "beta": 2.820})
    alive = fit.probability_alive([40.0, 50.0, 50.0], [5.0, 1.0, 4.0], [6.0, 37.0, 37.0])
    reference = [0.0018851281873608512, 1.4171442912866074e-96, 6.7329748717991632e-60]
    np.testing.assert_allclose(alive, reference, rtol=1e-12, atol=0)
