"""Measurement: reference intervals (statsmodels, scipy), CUPED by hand, segments, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from crmkit._stats import cuped_adjust, relative_difference_interval, welch_interval
from crmkit.campaigns import Estimate, SegmentUplift, assign, measure
from crmkit.errors import ConfigError, InvalidInputError, SchemaError


def _scenario(seed: int = 3, n: int = 4000):
    """Sleepers, 20 % held out; treatment wakes 15 %, control 9 %; pre-period spend drives
    the revenue of those who wake up."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i:05d}" for i in range(n)]
    seg = rng.choice(["A", "B", "C"], size=n)
    a = assign(
        pd.DataFrame({"customer_id": ids, "seg": seg}),
        campaign="wake",
        control_share=0.2,
        strata="seg",
    )
    pre = rng.gamma(2.0, 60.0, size=n)
    treated = (a["arm"] == "treatment").to_numpy()
    # big spenders before wake up more often (and spend more when they do)
    wake = rng.random(n) < np.where(treated, 0.15, 0.09) * pre / pre.mean()
    rows = []
    for i in np.flatnonzero(pre > 0):
        rows.append((ids[i], "2025-03-10", float(round(pre[i], 2))))  # pre-period spend
    for i in np.flatnonzero(wake):
        spend = float(round(1.5 * pre[i] + rng.gamma(2.0, 10.0), 2))
        rows.append((ids[i], "2025-07-05", spend))
        if rng.random() < 0.3:
            rows.append((ids[i], "2025-07-20", 25.0))
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    return a, tx


def test_against_reference_implementations():
    """Newcombe and Koopman intervals (statsmodels) and Welch (scipy) on a simulated campaign."""
    from scipy import stats as sps
    from statsmodels.stats.proportion import confint_proportions_2indep

    a, tx = _scenario()
    r = measure(a, tx, start="2025-07-01", end="2025-07-31", pre_start="2025-01-01")
    t, c = r.arms["treatment"], r.arms["control"]
    # Newcombe hybrid score interval (statsmodels "newcomb")
    lo, hi = confint_proportions_2indep(t.responders, t.n, c.responders, c.n, method="newcomb")
    assert (r.uplift.lower, r.uplift.upper) == pytest.approx((lo, hi), rel=1e-10)
    # relative lift: Koopman's score interval of the ratio (statsmodels finds it with
    # brentq, to about 1e-9)
    lo, hi = confint_proportions_2indep(
        t.responders, t.n, c.responders, c.n, method="score", compare="ratio", correction=False
    )
    assert (r.relative_lift.lower, r.relative_lift.upper) == pytest.approx(
        (lo - 1, hi - 1), rel=1e-8
    )
    # Welch on revenue per customer
    window = tx[tx["date"] >= "2025-07-01"].groupby("customer_id")["amount"].sum()
    revenue = window.reindex(a.index, fill_value=0.0).to_numpy()
    arm = a["arm"].to_numpy()
    ref = sps.ttest_ind(revenue[arm == "treatment"], revenue[arm == "control"], equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (r.incremental_revenue.lower, r.incremental_revenue.upper) == pytest.approx(
        (ci.low, ci.high), rel=1e-9
    )
    assert r.incremental_revenue.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    # per-arm figures carry n and method
    assert t.n + c.n == 4000
    assert t.response_rate.method == "wilson"
    assert r.uplift.n == 4000
    # CUPED: the covariate explains much of the revenue variance
    assert r.variance_reduction is not None
    assert r.variance_reduction > 0.2
    cuped = r.incremental_revenue_cuped
    assert cuped is not None
    assert (cuped.upper - cuped.lower) < (r.incremental_revenue.upper - r.incremental_revenue.lower)
    # the segments are the strata, Holm-adjusted
    assert [s.segment for s in r.by_segment] == ["A", "B", "C"]
    p = sorted(s.uplift.p_value for s in r.by_segment)
    assert min(s.p_holm for s in r.by_segment) == pytest.approx(min(1.0, 3 * p[0]))
    assert not r.srm.mismatch
    d = r.to_dict()
    assert json.loads(json.dumps(d)) == d


def test_cuped_by_hand():
    """theta = cov(x, y) / var(x) pooled, y' = y - theta (x - mean x), reduction = rho**2."""
    y = np.array([0.0, 10.0, 0.0, 30.0, 5.0, 0.0])
    x = np.array([1.0, 4.0, 0.0, 9.0, 2.0, 2.0])
    # mean x = 3, mean y = 7.5; sum (x-3)(y-7.5) = 185, sum (x-3)^2 = 52
    adjusted, theta, reduction = cuped_adjust(y, x)
    assert theta == pytest.approx(185 / 52)
    assert adjusted == pytest.approx(y - 185 / 52 * (x - 3))
    rho = np.corrcoef(x, y)[0, 1]
    assert reduction == pytest.approx(rho**2)


def test_cuped_in_measure_by_hand():
    """measure's CUPED theta, reduction and interval equal the hand computation."""
    a = pd.DataFrame(
        {
            "arm": pd.Categorical(
                ["treatment", "treatment", "treatment", "control", "control", "control"]
            )
        },
        index=pd.Index(list("abcdef"), name="customer_id"),
    )
    tx = pd.DataFrame(
        {
            "customer_id": list("abcdef") + list("abde"),
            "date": ["2025-06-01"] * 6 + ["2025-07-02"] * 4,
            "amount": [1.0, 4.0, 0.5, 9.0, 2.0, 2.0, 10.0, 30.0, 5.0, 20.0],
        }
    )
    r = measure(a, tx, start="2025-07-01", end="2025-07-31", pre_start="2025-05-01")
    y = np.array([10.0, 30.0, 0.0, 5.0, 20.0, 0.0])
    x = np.array([1.0, 4.0, 0.5, 9.0, 2.0, 2.0])
    adjusted, theta, reduction = cuped_adjust(y, x)
    assert r.cuped_theta == pytest.approx(theta)
    assert r.variance_reduction == pytest.approx(reduction)
    lo, hi, *_ = welch_interval(
        (adjusted[:3].mean(), adjusted[:3].var(ddof=1), 3),
        (adjusted[3:].mean(), adjusted[3:].var(ddof=1), 3),
    )
    assert (r.incremental_revenue_cuped.lower, r.incremental_revenue_cuped.upper) == pytest.approx(
        (lo, hi)
    )
    assert r.incremental_revenue.value == pytest.approx(40 / 3 - 25 / 3)
    assert r.srm is None  # a hand-made assignment carries no intended share


def test_welch_matches_scipy_from_summaries():
    """welch_interval from summaries equals scipy's ttest_ind(equal_var=False)."""
    from scipy import stats as sps

    rng = np.random.default_rng(1)
    a, b = rng.exponential(40, 300), rng.exponential(30, 80)
    lo, hi, t, df, p = welch_interval((a.mean(), a.var(ddof=1), 300), (b.mean(), b.var(ddof=1), 80))
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (lo, hi, t, df, p) == pytest.approx(
        (ci.low, ci.high, ref.statistic, ref.df, ref.pvalue), rel=1e-10
    )


def test_window_rules_and_orders():
    """Window edges (dates include their day), refunds, order ids and unassigned buyers."""
    a = pd.DataFrame(
        {"arm": pd.Categorical(["treatment", "control"])},
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "z"],
            "date": [
                "2025-06-30 23:59",
                "2025-07-01 00:00",
                "2025-07-31 23:59",
                "2025-08-01",
                "2025-07-05",
                "2025-07-05",
            ],
            "amount": [99.0, 10.0, 20.0, 99.0, -5.0, 7.0],
            "order": ["o0", "o1", "o1", "o2", "o3", "o4"],
        }
    )
    r = measure(a, tx, start="2025-07-01", end="2025-07-31", order="order")
    assert r.arms["treatment"].revenue_per_customer.value == 30.0
    assert r.arms["treatment"].orders_per_customer.value == 1.0  # one order id
    assert r.arms["control"].responders == 0  # a refund is not a response
    assert r.arms["control"].revenue_per_customer.value == -5.0
    assert r.unassigned_customers == 1
    r2 = measure(a, tx, start="2025-07-01", end="2025-07-31")
    assert r2.arms["treatment"].orders_per_customer.value == 2.0


def test_date_format_and_unit_pass_through():
    """Non-ISO and epoch date columns are read only when told how (the input core's rule)."""
    a = pd.DataFrame(
        {"arm": pd.Categorical(["treatment", "control"])},
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    iso = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2025-07-02", "2025-06-01"], "amount": [5.0, 7.0]}
    )
    ref = measure(a, iso, start="2025-07-01", end="2025-07-31").to_dict()
    dmy = iso.assign(date=["02/07/2025", "01/06/2025"])
    assert (
        measure(a, dmy, start="2025-07-01", end="2025-07-31", date_format="%d/%m/%Y").to_dict()
        == ref
    )
    with pytest.raises(SchemaError):
        measure(a, dmy, start="2025-07-01", end="2025-07-31")
    epoch = iso.assign(date=pd.to_datetime(iso["date"]).astype("datetime64[s]").astype("int64"))
    assert measure(a, epoch, start="2025-07-01", end="2025-07-31", date_unit="s").to_dict() == ref


def test_errors():
    """Bad rules, missing data and out-of-range arguments are refused with their names."""
    a = assign(["a", "b", "c", "d"], campaign="x", control_share=0.5)
    tx = pd.DataFrame({"customer_id": ["a"], "date": ["2025-07-01"], "amount": [1.0]})
    with pytest.raises(SchemaError, match="'amount'"):
        measure(a, tx.drop(columns="amount"), start="2025-07-01", end="2025-07-02")
    with pytest.raises(ConfigError, match="end"):
        measure(a, tx, start="2025-07-02", end="2025-07-01")
    with pytest.raises(ConfigError, match="start"):
        measure(a, tx, start="someday", end="2025-07-01")
    with pytest.raises(InvalidInputError, match="both arms"):
        measure(a[a["arm"] == "control"], tx, start="2025-07-01", end="2025-07-02")
    with pytest.raises(SchemaError, match="'arm'"):
        measure(a.drop(columns="arm"), tx, start="2025-07-01", end="2025-07-02")
    with pytest.raises(ConfigError, match="pre_start"):
        measure(a, tx, start="2025-07-01", end="2025-07-02", pre_start="2025-08-01")
    before = tx.copy()
    measure(a, tx, start="2025-07-01", end="2025-07-02")
    pd.testing.assert_frame_equal(tx, before)


def _sample_campaign():
    """The sample log (int customer ids) and an assignment of its customers."""
    from crmkit.datasets import transactions

    tx = transactions(300, seed=1)
    a = assign(tx["customer_id"].unique(), campaign="c1", control_share=0.5)
    return a, tx


def test_ids_of_another_type_than_the_assignment_are_refused():
    """Regression: int ids assigned, str ids in the log: nobody matched, and measure()
    reported 0 responders in both arms, uplift 0 and p = 1 instead of an error."""
    a, tx = _sample_campaign()
    window = {"start": "2025-07-01", "end": "2025-07-31"}
    expected = measure(a, tx, **window)
    assert expected.arms["treatment"].responders > 0
    as_text = tx.assign(customer_id=tx["customer_id"].astype(str))
    for log, assignment, fix in (
        (as_text, a, "assignment.set_axis(assignment.index.astype(str))"),
        (as_text.assign(customer_id=as_text["customer_id"].astype("category")), a, "astype(str)"),
        (tx, a.set_axis(a.index.astype(str)), "transactions['customer_id'].astype(str)"),
    ):
        with pytest.raises(SchemaError) as info:
            measure(assignment, log, **window)
        assert info.value.field == "customer_id"
        message = str(info.value)
        assert "the id types differ" in message
        # One example id of each side, as Python shows it (254 against '254').
        shown = [v.item() if hasattr(v, "item") else v
                 for v in (log["customer_id"].iloc[0], assignment.index[0])]  # fmt: skip
        assert f"e.g. {shown[0]!r} (the assignment holds e.g. {shown[1]!r})" in message
        assert fix in message
    # The fix the message gives: both as text, the same arms and the same result.
    fixed = measure(a.set_axis(a.index.astype(str)), as_text, **window)
    assert fixed.to_dict() == expected.to_dict()


def test_transactions_of_no_assigned_customer_are_refused_partial_matches_counted():
    """Same-typed ids none of which is assigned are an error (not a silent zero); some
    unassigned customers among assigned ones stay counted in unassigned_customers."""
    a, tx = _sample_campaign()
    window = {"start": "2025-07-01", "end": "2025-07-31"}
    with pytest.raises(InvalidInputError, match="none of the 300 transaction customers") as info:
        measure(a, tx.assign(customer_id=tx["customer_id"] + 10**6), **window)
    assert info.value.field == "customer_id"
    assert not isinstance(info.value, SchemaError)  # same types: not a type error
    strangers = tx["customer_id"].where(tx["customer_id"] % 2 == 0, tx["customer_id"] + 10**6)
    partly = measure(a, tx.assign(customer_id=strangers), **window)
    assert partly.unassigned_customers > 0
    in_window = tx[(tx["date"] >= "2025-07-01") & (tx["date"] < "2025-08-01")]
    assert (
        partly.unassigned_customers
        == in_window.loc[in_window["customer_id"] % 2 == 1, "customer_id"].nunique()
    )


@pytest.mark.parametrize(
    "dtypes",
    [
        ("float64", "float64", "float64"),  # pd.DataFrame({"customer_id": [], ...})
        ("object", "object", "object"),
        ("string", "string", "string"),
        ("int64", "int64", "int64"),
        ("object", "datetime64[ns, UTC]", "float64"),
        ("string[pyarrow]", "timestamp[us][pyarrow]", "double[pyarrow]"),
    ],
)
def test_an_empty_log_means_nobody_responded_whatever_its_dtypes(dtypes):
    """Regression: an empty frame of float64 columns was refused ("date must be dates;
    found numbers"), against the docstring: no rows at all means nobody responded."""
    a = assign([f"c{i}" for i in range(20)], campaign="x", control_share=0.5)
    columns = dict(zip(["customer_id", "date", "amount"], dtypes, strict=True))
    empty = pd.DataFrame({n: pd.Series([], dtype=d) for n, d in columns.items()})
    empty["order"] = pd.Series([], dtype=object)
    before = empty.copy()
    r = measure(a, empty, start="2025-07-01", end="2025-07-31", pre_start="2025-01-01",
                order="order")  # fmt: skip
    pd.testing.assert_frame_equal(empty, before)
    assert r.arms["control"].responders == r.arms["treatment"].responders == 0
    assert r.arms["control"].n + r.arms["treatment"].n == 20
    assert r.uplift.value == r.incremental_revenue.value == 0.0
    assert r.unassigned_customers == 0
    zone = "+00:00" if "UTC" in dtypes[1] else ""
    assert (r.start, r.end) == ("2025-07-01T00:00:00" + zone, "2025-08-01T00:00:00" + zone)


def test_an_empty_log_takes_the_zone_of_an_aware_bound():
    """An empty log of float64 columns has no zone: an aware bound gives it one (there
    is nothing it could conflict with); a naive datetime column stays naive."""
    a = assign([f"c{i}" for i in range(20)], campaign="x", control_share=0.5)
    empty = pd.DataFrame({"customer_id": [], "date": [], "amount": []})
    r = measure(a, empty, start="2025-07-01T00:00+02:00", end="2025-07-31")
    assert pd.Timestamp(r.start) == pd.Timestamp("2025-06-30T22:00:00+00:00")
    assert r.arms["treatment"].responders == 0
    naive = empty.assign(date=pd.Series([], dtype="datetime64[ns]"))
    with pytest.raises(ConfigError, match="naive"):
        measure(a, naive, start="2025-07-01T00:00+02:00", end="2025-07-31")


# ---------------------------------------------------------------- GrowthBook's gbstats
# Reference values of GrowthBook's frequentist engine, packages/stats (gbstats) at
# github.com/growthbook/growthbook commit 8f1db4456915a8e7b7faf23d5632ca7219d2f469: the
# cases of tests/frequentist/test_tests.py, and gbstats run on the hand data below. gbstats
# is "variation minus control", as crmkit's "treatment minus control".


def _summary(total: float, squares: float, n: int) -> tuple[float, float, int]:
    """gbstats' SampleMeanStatistic(sum, sum_squares, n) as (mean, var ddof=1, n)."""
    return total / n, (squares - total**2 / n) / (n - 1), n


def test_welch_matches_gbstats_two_sided_absolute():
    """gbstats test_two_sided_ttest_absolute: control (sum 1396.87, sum of squares
    52377.9767, n 3407), variation (2422.7, 134698.29, 3461): 0.29, 95 % CI (0.04538,
    0.53462), p 0.02016 -- the Welch interval measure() reports on revenue."""
    control = _summary(1396.87, 52377.9767, 3407)
    treatment = _summary(2422.7, 134698.29, 3461)
    lo, hi, _, _, p = welch_interval(treatment, control)
    assert treatment[0] - control[0] == pytest.approx(0.29, abs=5e-6)
    assert (round(lo, 5), round(hi, 5), round(p, 5)) == (0.04538, 0.53462, 0.02016)


def test_one_sided_figures_from_the_two_sided_ones_match_gbstats():
    """crmkit reports two-sided figures; the one-sided test at alpha is the bound of the
    level 1 - 2 alpha interval and half the p-value (the documented recipe). gbstats
    TestOneSidedGreaterTTest / TestOneSidedLesserTTest, absolute, n_control 3000: greater
    CI (0.020791480063255735, inf), p 0.03554272489873023; lesser CI (-inf,
    0.44796185327007765), p 0.9644572751012698."""
    control = _summary(1396.87, 52377.9767, 3000)
    treatment = _summary(2422.7, 134698.29, 3461)
    lo, hi, t, _, p = welch_interval(treatment, control, level=0.90)
    _, _, _, _, p_two = welch_interval(treatment, control)
    assert t > 0
    assert lo == pytest.approx(0.020791480063255735, rel=1e-9)
    assert p_two / 2 == pytest.approx(0.03554272489873023, rel=1e-9)
    assert hi == pytest.approx(0.44796185327007765, rel=1e-9)
    assert 1 - p_two / 2 == pytest.approx(0.9644572751012698, rel=1e-9)
    assert p == pytest.approx(p_two)  # the p-value does not depend on the level


#: Hand data: revenue before (June) and in the window (July) per customer.
_PRE_C, _POST_C = [0.0, 120.0, 40.0, 0.0, 300.0, 80.0], [0.0, 90.0, 0.0, 0.0, 260.0, 30.0]
_PRE_T = [50.0, 0.0, 200.0, 10.0, 0.0, 150.0, 60.0]
_POST_T = [70.0, 25.0, 240.0, 0.0, 0.0, 180.0, 95.0]


def _hand_campaign() -> tuple[pd.DataFrame, pd.DataFrame]:
    """6 control and 7 treatment customers with the pre and window revenues above."""
    ids = [f"c{i}" for i in range(6)] + [f"t{i}" for i in range(7)]
    arms = ["control"] * 6 + ["treatment"] * 7
    a = pd.DataFrame(
        {"arm": pd.Categorical(arms, categories=["control", "treatment"])},
        index=pd.Index(ids, name="customer_id"),
    )
    rows = []
    for cid, pre, post in zip(ids, _PRE_C + _PRE_T, _POST_C + _POST_T, strict=True):
        if pre:
            rows.append((cid, "2025-06-15", pre))
        if post:
            rows.append((cid, "2025-07-10", post))
    return a, pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_cuped_matches_gbstats_regression_adjustment():
    """CUPED = gbstats' RegressionAdjustedStatistic (theta from both arms pooled, compute_theta)
    with TwoSidedTTest, absolute: on the hand data gbstats gives theta 0.959601259181532,
    effect 45.74326687653025, 95 % CI (21.113772439821343, 70.37276131323915),
    p 0.0018174275277167418; unadjusted, 23.809523809523803 (-97.30610934463868,
    144.9251569636863), p 0.6714911943653319."""
    a, tx = _hand_campaign()
    r = measure(a, tx, start="2025-07-01", end="2025-07-31", pre_start="2025-06-01")
    assert r.cuped_theta == pytest.approx(0.959601259181532, rel=1e-12)
    cuped = r.incremental_revenue_cuped
    assert (cuped.value, cuped.lower, cuped.upper, cuped.p_value) == pytest.approx(
        (45.74326687653025, 21.113772439821343, 70.37276131323915, 0.0018174275277167418),
        rel=1e-9,
    )
    plain = r.incremental_revenue
    assert (plain.value, plain.lower, plain.upper, plain.p_value) == pytest.approx(
        (23.809523809523803, -97.30610934463868, 144.9251569636863, 0.6714911943653319),
        rel=1e-9,
    )


def _rate_campaign(xc: int, nc: int, xt: int, nt: int) -> pd.DataFrame:
    """An assignment of nc control and nt treatment customers and the purchases of the
    first xc control and xt treatment customers (as ``(assignment, transactions)``)."""
    a = pd.DataFrame(
        {"arm": pd.Categorical(["control"] * nc + ["treatment"] * nt)},
        index=pd.Index([f"c{i}" for i in range(nc + nt)], name="customer_id"),
    )
    buyers = [f"c{i}" for i in range(xc)] + [f"c{i}" for i in range(nc, nc + xt)]
    tx = pd.DataFrame({"customer_id": buyers, "date": "2025-07-02", "amount": 10.0})
    return a, tx


def test_relative_lift_is_koopman_score_not_katz_nor_gbstats_delta_method():
    """The documented convention: the relative lift's interval is Koopman's (1984) score
    interval of the rate ratio, minus 1 (statsmodels compare="ratio", method="score",
    correction=False; R PropCIs::riskscoreci), the inversion of the score test whose
    p-value it carries. For 16/30 against 14/28: (0.646358, 1.785549) - 1 = (-0.35364,
    0.78555) (statsmodels 0.15: 0.6463578633566154, 1.7855488682044487); the Katz interval
    reported before was (-0.35254, 0.75729), gbstats test_two_sided_ttest_binom's delta
    method (-0.47767, 0.61101). The p-value is the score test's of equal rates (0.7996: z =
    0.0333 / 0.1313, as scipy's chi2_contingency without correction), where gbstats'
    relative t test gives 0.80707."""
    a, tx = _rate_campaign(14, 28, 16, 30)
    r = measure(a, tx, start="2025-07-01", end="2025-07-31")
    lift = r.relative_lift
    assert lift.value == pytest.approx(16 / 15 - 1)
    assert (round(lift.lower, 5), round(lift.upper, 5)) == (-0.35364, 0.78555)
    assert (lift.lower, lift.upper) == pytest.approx(
        (0.6463578633566154 - 1, 1.7855488682044487 - 1), rel=1e-9
    )
    assert round(lift.p_value, 4) == 0.7996
    assert lift.p_value == r.uplift.p_value
    assert lift.method == "koopman score interval; score test"


def test_relative_lift_interval_agrees_with_its_p_value():
    """Regression: 8/10 treatment against 3/10 control responders reported "+167 %, 95 %
    CI -1.5 % to +622 %" (Katz: the interval includes 0) beside p = 0.025 (the score test:
    significant), two answers to one question. Koopman's interval inverts that score
    test: (1.126505, 7.657794) - 1 (statsmodels confint_proportions_2indep(8, 10, 3, 10,
    compare="ratio", method="score", correction=False): 1.1265046035606163,
    7.657793525731856). By hand at the lower bound 1.126505: the constrained estimates
    are q2 = 0.533116 (the smaller root of 20 t q**2 - (13 t + 18) q + 11) and q1 = t q2
    = 0.600558, and z = (0.8 - 1.126505 * 0.3) / sqrt(q1 (1 - q1) / 10 + t**2 q2 (1 - q2)
    / 10) = 0.462049 / 0.235743 = 1.959964, the 97.5 % normal quantile. p = 0.024619: z =
    0.5 / sqrt(0.55 * 0.45 * 0.2) = 2.247333."""
    a, tx = _rate_campaign(3, 10, 8, 10)
    r = measure(a, tx, start="2025-07-01", end="2025-07-31")
    lift = r.relative_lift
    assert lift.value == pytest.approx(8 / 3 - 1)
    assert round(lift.p_value, 6) == 0.024619
    assert (round(lift.lower, 6), round(lift.upper, 6)) == (0.126505, 6.657794)
    assert lift.lower > 0  # excludes 0, as p < 0.05 says
    # Close to the edge: at 97.5 % the test still rejects (p = 0.0246 < 0.025) and the
    # interval still excludes 0 (barely); at 98 % it does not, and the interval holds 0.
    r975 = measure(a, tx, start="2025-07-01", end="2025-07-31", level=0.975)
    assert 0 < r975.relative_lift.lower < 0.01
    r98 = measure(a, tx, start="2025-07-01", end="2025-07-31", level=0.98)
    assert r98.relative_lift.lower < 0 < r98.relative_lift.upper


def test_relative_lift_without_control_responders_keeps_its_lower_bound():
    """No control responder: the lift is infinite, so its value and upper bound are None
    (as every undefined figure in to_dict()), but the lower bound is still a finite,
    meaningful figure: 7/34 against 0/34 gives a ratio of at least 1.962088 (statsmodels
    _confint_riskratio_koopman(7, 34, 0, 34, correction=False), Nam's 1995 cubic:
    1.96208769, inf), a lift of at least +96.2 %, beside p = 0.0052 (z = 0.205882 /
    sqrt(7/68 * 61/68 * 2/34) = 0.205882 / 0.073702 = 2.793435). With no responder in either arm the interval is the whole range (-100 %,
    None) and p = 1."""
    a, tx = _rate_campaign(0, 34, 7, 34)
    r = measure(a, tx, start="2025-07-01", end="2025-07-31")
    lift = r.relative_lift
    assert lift.value is None
    assert lift.upper is None
    assert lift.lower == pytest.approx(1.96208769 - 1, rel=1e-7)
    assert round(lift.p_value, 4) == 0.0052
    assert r.to_dict()["relative_lift"]["upper"] is None
    assert lift.format(percent=True).startswith("n/a (95% CI 96.2% to n/a")
    none = measure(*_rate_campaign(0, 5, 0, 5), start="2025-07-01", end="2025-07-31")
    assert (none.relative_lift.value, none.relative_lift.lower) == (None, -1.0)
    assert (none.relative_lift.upper, none.relative_lift.p_value) == (None, 1.0)


# ------------------------------------------------------- relative revenue lift (gbstats)
def test_relative_revenue_lift_matches_gbstats_two_sided_relative():
    """gbstats test_two_sided_ttest (difference_type="relative"): control (1396.87,
    52377.9767, 3407), variation (2422.7, 134698.29, 3461): 0.70732, 95 % CI (-0.03526,
    1.44989), se 0.37879, p 0.06191 (gbstats 0.8.0 from PyPI, run live: 0.7073170731707317,
    (-0.03526008906611777, 1.449894235407581), p 0.06191182745618362)."""
    control = _summary(1396.87, 52377.9767, 3407)
    treatment = _summary(2422.7, 134698.29, 3461)
    value, lo, hi, t, _, p = relative_difference_interval(treatment, control)
    assert (value, lo, hi, p) == pytest.approx(
        (0.7073170731707317, -0.03526008906611777, 1.449894235407581, 0.06191182745618362),
        rel=1e-9,
    )
    assert (round(value, 5), round(lo, 5), round(hi, 5), round(p, 5)) == (
        0.70732,
        -0.03526,
        1.44989,
        0.06191,
    )
    assert round(value / t, 5) == 0.37879  # the delta-method standard error


def test_relative_revenue_lift_one_sided_from_two_sided_matches_gbstats():
    """gbstats TestOneSidedGreaterTTest / TestOneSidedLesserTTest, relative, n_control
    3000: 0.5033610858562358, se 0.3334122146400735; greater CI (-0.045136675850396046,
    inf), p 0.06558262868467746; lesser CI (-inf, 1.0518588475628676), p
    0.9344173713153225 -- the bounds of the level 0.90 interval and half the p-value."""
    control = _summary(1396.87, 52377.9767, 3000)
    treatment = _summary(2422.7, 134698.29, 3461)
    value, lo, hi, t, _, p = relative_difference_interval(treatment, control, level=0.90)
    assert value == pytest.approx(0.5033610858562358, rel=1e-12)
    assert value / t == pytest.approx(0.3334122146400735, rel=1e-12)
    assert lo == pytest.approx(-0.045136675850396046, rel=1e-9)
    assert hi == pytest.approx(1.0518588475628676, rel=1e-9)
    assert p / 2 == pytest.approx(0.06558262868467746, rel=1e-9)
    assert 1 - p / 2 == pytest.approx(0.9344173713153225, rel=1e-9)


def test_relative_difference_of_proportions_is_gbstats_binomial_case():
    """gbstats test_two_sided_ttest_binom (ProportionStatistic 14/28 against 16/30, variance
    p (1 - p)): relative 0.06667, CI (-0.47767, 0.61101), se 0.2717, p 0.80707. The same
    delta method on 0/1 outcomes; measure() uses Koopman's score interval for the response
    rate (see above)."""
    value, lo, hi, t, _, p = relative_difference_interval(
        (16 / 30, 16 / 30 * 14 / 30, 30), (0.5, 0.25, 28)
    )
    assert [round(x, 5) for x in (value, lo, hi, p)] == [0.06667, -0.47767, 0.61101, 0.80707]
    assert round(value / t, 4) == 0.2717


def test_measure_reports_the_relative_revenue_lift_as_gbstats():
    """On the hand campaign gbstats 0.8.0 (PyPI) TwoSidedTTest(SampleMeanStatistic control,
    treatment, FrequentistConfig(difference_type="relative")) gives 0.37593984962406, 95 %
    CI (-1.9862567370859223, 2.7381364363340426), p 0.7309388183126462 (level 0.90: CI
    (-1.5472009332349115, 2.2990806324830313)). Its p-value is the delta-method t test's,
    not the Welch p of the absolute difference (0.6715): the interval and p agree."""
    a, tx = _hand_campaign()
    r = measure(a, tx, start="2025-07-01", end="2025-07-31")
    rel = r.relative_revenue_lift
    assert rel is not None
    assert (rel.value, rel.lower, rel.upper, rel.p_value) == pytest.approx(
        (0.37593984962406, -1.9862567370859223, 2.7381364363340426, 0.7309388183126462),
        rel=1e-9,
    )
    assert rel.value == pytest.approx(
        r.incremental_revenue.value / r.arms["control"].revenue_per_customer.value
    )
    assert rel.method.startswith("delta method")
    assert rel.n == 13
    assert r.to_dict()["relative_revenue_lift"] == rel.to_dict()
    r90 = measure(a, tx, start="2025-07-01", end="2025-07-31", level=0.90)
    assert (r90.relative_revenue_lift.lower, r90.relative_revenue_lift.upper) == pytest.approx(
        (-1.5472009332349115, 2.2990806324830313), rel=1e-9
    )


def test_relative_revenue_lift_over_a_negative_control_mean_keeps_the_sign():
    """Control revenues per customer -10, 0, -5, 2 (net refunds: mean -3.25), treatment 5, 0,
    3, -1, 4 (mean 2.2). gbstats at the pinned commit divides by |mean_control|
    (utils.frequentist_diff: (mean_b - mean_a) / abs(mean_a)): +1.676923 = 5.45 / 3.25,
    CI (-0.14659241271500711, 3.500438566561161), p 0.06325831118132075. (gbstats 0.8.0
    on PyPI still divided by the signed mean: -1.676923, the mirrored interval, same p.)"""
    value, lo, hi, _, _, p = relative_difference_interval(
        (2.2, float(np.var([5, 0, 3, -1, 4], ddof=1)), 5),
        (-3.25, float(np.var([-10, 0, -5, 2], ddof=1)), 4),
    )
    assert (value, lo, hi, p) == pytest.approx(
        (1.676923076923077, -0.14659241271500711, 3.500438566561161, 0.06325831118132075),
        rel=1e-9,
    )


def test_relative_difference_interval_edges_are_documented_values_not_nan():
    """Edges: a baseline of 0 (nan value, unbounded, p 1: measure() reports None); fewer
    than two in a group (unbounded, p 1, as welch_interval); no variance in either group
    ((value, value), p 1); a baseline so small the standard error overflows (unbounded);
    variances so small their squares underflow (Welch df still defined: 19.29 here, the
    df of equal variances 1e-200 with n 10 and 12, by hand 1 / ((1.2/2.2)**2 / 9 +
    (1/2.2)**2 / 11))."""
    value, lo, hi, _, _, p = relative_difference_interval((5.0, 4.0, 10), (0.0, 1.0, 10))
    assert (math.isnan(value), lo, hi, p) == (True, -math.inf, math.inf, 1.0)
    assert relative_difference_interval((5.0, 4.0, 1), (2.0, 1.0, 10))[1:3] == (-math.inf, math.inf)
    assert relative_difference_interval((3.0, 0.0, 5), (2.0, 0.0, 5)) == (
        0.5,
        0.5,
        0.5,
        0.0,
        8.0,
        1.0,
    )
    _, lo, hi, _, _, p = relative_difference_interval((5.0, 4.0, 10), (1e-300, 1e-300, 10))
    assert (lo, hi, p) == (-math.inf, math.inf, 1.0)
    value, lo, hi, _, df, _ = relative_difference_interval((2.0, 1e-200, 10), (1.0, 1e-200, 12))
    assert (value, lo, hi) == (1.0, 1.0, 1.0)
    assert df == pytest.approx(1 / ((1.2 / 2.2) ** 2 / 9 + (1 / 2.2) ** 2 / 11))


def test_relative_revenue_lift_is_undefined_without_control_revenue():
    """No control revenue: no relative lift (None, as the rate's lift over a control rate
    of 0), never an infinite or NaN figure; the absolute figures are still there."""
    a = pd.DataFrame(
        {"arm": pd.Categorical(["control"] * 4 + ["treatment"] * 4)},
        index=pd.Index([f"c{i}" for i in range(8)], name="customer_id"),
    )
    tx = pd.DataFrame({"customer_id": ["c4", "c5"], "date": "2025-07-02", "amount": 10.0})
    r = measure(a, tx, start="2025-07-01", end="2025-07-31")
    rel = r.relative_revenue_lift
    assert (rel.value, rel.lower, rel.upper, rel.p_value) == (None, None, None, None)
    assert r.incremental_revenue.value == 5.0
    d = r.to_dict()
    assert json.loads(json.dumps(d)) == d


# ------------------------------------------------------------------------------ segments
_STAGES = ["new", "active", "at risk", "lapsed"]


def _staged_campaign() -> tuple[pd.DataFrame, pd.DataFrame]:
    """400 customers in four lifecycle stages (a categorical in business order)."""
    rng = np.random.default_rng(0)
    stage = pd.Categorical(rng.choice(_STAGES, 400), categories=_STAGES, ordered=True)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(400)], "stage": stage})
    a = assign(frame, campaign="x", control_share=0.3, strata="stage")
    tx = pd.DataFrame({"customer_id": a.index[:100], "date": "2025-07-02", "amount": 5.0})
    return a, tx


def test_segments_come_out_in_the_categories_business_order():
    """Regression: assign() turned a categorical stratum into text and measure() sorted
    the segments alphabetically (active, at risk, lapsed, new); the lifecycle order of
    the categories is what a manager reads (new, active, at risk, lapsed)."""
    a, tx = _staged_campaign()
    assert a["stage"].dtype == pd.CategoricalDtype(_STAGES, ordered=True)
    r = measure(a, tx, start="2025-07-01", end="2025-07-31")
    assert [s.segment for s in r.by_segment] == _STAGES
    assert r.segments().index.tolist() == _STAGES
    # an unused category is left out; a text column is sorted
    a2 = a.assign(stage=a["stage"].cat.add_categories(["won back"]))
    assert [
        s.segment for s in measure(a2, tx, start="2025-07-01", end="2025-07-31").by_segment
    ] == _STAGES
    a3 = a.assign(stage=a["stage"].astype(str))
    r3 = measure(a3, tx, start="2025-07-01", end="2025-07-31", segment="stage")
    assert [s.segment for s in r3.by_segment] == sorted(_STAGES)


def _segments_with_one_untested() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segments A (control 2/20, treatment 12/20), B (5/20, 6/20), C (treatment 3/10 only)."""
    ids, seg, arm, buyers = [], [], [], []
    for label, counts in (("A", ((2, 20), (12, 20))), ("B", ((5, 20), (6, 20))),
                          ("C", ((0, 0), (3, 10)))):  # fmt: skip
        for name, (x, n) in zip(("control", "treatment"), counts, strict=True):
            for i in range(n):
                cid = f"{label}-{name}-{i}"
                ids.append(cid)
                seg.append(label)
                arm.append(name)
                if i < x:
                    buyers.append(cid)
    a = pd.DataFrame(
        {"arm": pd.Categorical(arm, categories=["control", "treatment"]), "seg": seg},
        index=pd.Index(ids, name="customer_id"),
    )
    tx = pd.DataFrame({"customer_id": buyers, "date": "2025-07-02", "amount": 1.0})
    return a, tx


def test_holm_family_leaves_out_segments_without_a_comparison():
    """Regression: a segment with no control customer (nothing to compare) counted in the
    Holm family with p = 1, so the other segments were adjusted for m = 3 instead of 2.
    Segments A (control 2/20, treatment 12/20: z = 0.5 / 0.1508, p 0.000917) and B (control 5/20,
    treatment 6/20: p 0.7233), C treatment only: Holm over two gives 2 * 0.000917 and
    max(that, 0.7233); C has no adjusted p-value (NaN)."""
    from scipy.stats import chi2_contingency

    a, tx = _segments_with_one_untested()
    r = measure(a, tx, start="2025-07-01", end="2025-07-31", segment="seg")
    p_a = chi2_contingency([[12, 8], [2, 18]], correction=False)[1]
    p_b = chi2_contingency([[6, 14], [5, 15]], correction=False)[1]
    assert (round(p_a, 6), round(p_b, 4)) == (0.000917, 0.7233)
    by = {s.segment: s for s in r.by_segment}
    assert by["A"].p_holm == pytest.approx(2 * p_a)
    assert by["B"].p_holm == pytest.approx(max(2 * p_a, p_b))
    assert by["C"].uplift.value is None
    assert math.isnan(by["C"].p_holm)


def test_a_segment_without_a_control_group_is_marked_not_tested():
    """Regression: a segment without control customers came out as uplift None, p-value
    1.0 and p_holm 1.0, read as "no effect". It is now explicitly not tested: tested False
    and the reason, in the object, its to_dict() (the existing keys kept) and the
    segments() table (no p-values there: NaN, not 1.0)."""
    a, tx = _segments_with_one_untested()
    r = measure(a, tx, start="2025-07-01", end="2025-07-31", segment="seg")
    by = {s.segment: s for s in r.by_segment}
    assert (by["A"].tested, by["A"].reason) == (True, None)
    assert (by["C"].tested, by["C"].reason) == (False, "no control customers")
    d = {s["segment"]: s for s in r.to_dict()["by_segment"]}
    assert set(d["C"]) == {
        "segment",
        "control",
        "treatment",
        "uplift",
        "p_holm",
        "tested",
        "reason",
    }
    assert (d["C"]["tested"], d["C"]["reason"]) == (False, "no control customers")
    assert (d["A"]["tested"], d["A"]["reason"]) == (True, None)
    table = r.segments()
    assert table["tested"].tolist() == [True, True, False]
    assert table.loc["C", "reason"] == "no control customers"
    assert table.loc[["C"], ["uplift", "lower", "upper", "p_value", "p_holm"]].isna().all(axis=None)
    assert table.loc["A", "p_holm"] == pytest.approx(by["A"].p_holm)
    assert table.loc["C", "treatment_rate"] == pytest.approx(0.3)
    swapped = a.assign(arm=a["arm"].map({"control": "treatment", "treatment": "control"}))
    r2 = measure(swapped, tx, start="2025-07-01", end="2025-07-31", segment="seg")
    assert {s.segment: s.reason for s in r2.by_segment}["C"] == "no treatment customers"


def test_an_untested_segment_has_no_p_values_in_its_json_either():
    """Regression: an untested segment's ``to_dict()`` reported ``p_holm`` 1.0 and an
    uplift ``p_value`` 1.0 while ``segments()`` showed NaN for the same segment: two
    answers to "was it significant?". It has no test, so no p-value and no adjusted
    p-value: None in the JSON (the library's spelling of an undefined figure, as
    ``Estimate.to_dict`` turns NaN and infinite bounds into None), NaN in the object's
    ``p_holm`` and in the table. The JSON stays valid (``allow_nan=False``)."""
    a, tx = _segments_with_one_untested()
    r = measure(a, tx, start="2025-07-01", end="2025-07-31", segment="seg")
    d = {s["segment"]: s for s in r.to_dict()["by_segment"]}
    assert d["C"]["p_holm"] is None
    assert d["C"]["uplift"]["p_value"] is None
    assert d["C"]["uplift"]["value"] is None
    assert json.loads(json.dumps(r.to_dict(), allow_nan=False)) == r.to_dict()
    by = {s.segment: s for s in r.by_segment}
    assert by["C"].uplift.p_value is None
    table = r.segments()
    for label in "ABC":
        json_p = d[label]["p_holm"]
        cell = table.loc[label, "p_holm"]
        assert (json_p is None and math.isnan(cell)) or json_p == pytest.approx(cell)
    assert d["A"]["p_holm"] == pytest.approx(by["A"].p_holm)
    # A hand-built untested segment (stale p-values in it) says the same.
    stale = SegmentUplift("C", (0, 0), (3, 10), Estimate(None, None, None, 0.95, "x", 10, 1.0), 1.0)
    assert (stale.to_dict()["p_holm"], stale.to_dict()["uplift"]["p_value"]) == (None, None)


def test_missing_segment_labels_are_named():
    """Customers without a segment are refused with their ids."""
    a, tx = _staged_campaign()
    a = a.assign(stage=a["stage"].where(~a.index.isin(["c3", "c7"])))
    with pytest.raises(InvalidInputError, match="2 missing values") as info:
        measure(a, tx, start="2025-07-01", end="2025-07-31")
    assert info.value.field == "stage"
    assert "'c3'" in str(info.value)
    assert "'c7'" in str(info.value)


def test_revenue_moments_are_computed_once_per_arm(monkeypatch):
    """Each arm's revenue mean and variance are computed once and shared by the arm's t
    interval, Welch's interval and the relative lift (they were recomputed three times:
    three chances to drift apart). The figures still agree with one another and with
    numpy: revenue c (10, 0, 0, 0) / t (20, 30, 0, 0) gives means 2.5 / 12.5, sample
    variances 25 / 608.33 (ddof 1), incremental revenue 10.0 and relative lift 4.0."""
    import crmkit.campaigns._measure as m

    seen: list[tuple[float, ...]] = []
    real = m._moments

    def counting(values):
        seen.append(tuple(np.sort(values)))
        return real(values)

    monkeypatch.setattr(m, "_moments", counting)
    a = pd.DataFrame(
        {"arm": ["control"] * 4 + ["treatment"] * 4},
        index=pd.Index([f"c{i}" for i in range(8)], name="customer_id"),
    )
    tx = pd.DataFrame(
        {"customer_id": ["c0", "c4", "c5"], "date": "2025-07-02", "amount": [10.0, 20.0, 30.0]}
    )
    r = measure(a, tx, start="2025-07-01", end="2025-07-31")
    assert seen.count((0.0, 0.0, 0.0, 10.0)) == 1
    assert seen.count((0.0, 0.0, 20.0, 30.0)) == 1
    assert r.arms["control"].revenue_per_customer.value == 2.5
    assert r.arms["treatment"].revenue_per_customer.value == 12.5
    assert r.incremental_revenue.value == 10.0
    assert r.relative_revenue_lift is not None
    assert r.relative_revenue_lift.value == 4.0
    lo, hi, _, _, p = welch_interval((12.5, np.var([20, 30, 0, 0], ddof=1), 4), (2.5, 25.0, 4))
    assert (r.incremental_revenue.lower, r.incremental_revenue.upper) == (lo, hi)
    assert r.incremental_revenue.p_value == p
