"""Review s18 of the scoring and descriptive modules: peers' own reference values.

Each test names its source (a peer's repository and file, a peer's saved output, a vendor's
documented definition) and recomputes the peer's rule from that source where the peer is
not installed here. Found and fixed on the way (the regression test failed on the old
code): ``rates_by_period(refunds="error")`` on pandas refused refunds dated after the last
complete period, which are in no period and which the single-period rates and its own
Dask path leave alone.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import (
    RFMScorer,
    SegmentMap,
    cohort_retention,
    gini,
    pareto_curve,
    rates_by_period,
    repurchase_rate,
    retention_rate,
    top_share,
)
from tests.strategies import customer_values, examples, purchase_logs

# --------------------------------------------------------------------------- Gini, Lorenz

#: The income vector of JosepER/Inequality.jl's test suite (``test/runtests.jl``).
JL_INCOMES = [8, 5, 1, 3, 5, 6, 7, 6, 3]


def test_gini_and_lorenz_points_match_the_inequality_jl_suite() -> None:
    """JosepER/Inequality.jl ``test/runtests.jl``: ``gini([8,5,1,3,5,6,7,6,3]) ≈
    0.237373737373737`` and ``lorenz_curve`` gives the points below (unweighted: the
    population Gini and ineq's ``Lc`` points, crmkit's default and ``order="ascending"``).

    By hand (ineq's ``2 * sum(i x_(i)) / sum(x) - (n + 1)``, over ``n``): sorted
    1 3 3 5 5 6 6 7 8, ``sum(i x_(i)) = 267``, ``sum(x) = 44``, so ``G = (534/44 - 10) / 9
    = 47/198``; ``corr = TRUE`` divides by ``n - 1`` instead: 47/176.
    """
    assert gini(JL_INCOMES) == pytest.approx(0.237373737373737, abs=1e-8)
    assert gini(JL_INCOMES) == pytest.approx(float(Fraction(47, 198)), abs=1e-15)
    assert gini(JL_INCOMES, corrected=True) == pytest.approx(float(Fraction(47, 176)), abs=1e-15)
    lorenz = pareto_curve(JL_INCOMES, order="ascending")
    assert lorenz["customer_share"].tolist() == pytest.approx(
        [0.0, 0.1111111111111111, 0.2222222222222222, 0.3333333333333333, 0.4444444444444444,
         0.5555555555555556, 0.6666666666666666, 0.7777777777777778, 0.8888888888888888, 1.0],
        abs=1e-15,
    )  # fmt: skip
    assert lorenz["revenue_share"].tolist() == pytest.approx(
        [0.0, 0.022727272727272728, 0.09090909090909091, 0.1590909090909091,
         0.2727272727272727, 0.38636363636363635, 0.5227272727272727, 0.6590909090909091,
         0.8181818181818182, 1.0],
        abs=1e-15,
    )  # fmt: skip


def test_corrected_gini_matches_ineqs_saved_example_output() -> None:
    """cran/ineq ``tests/Examples/ineq-Ex.Rout.save`` (R's own run of the ``Lasym``
    examples, Damgaard & Weiner 2000, Figure 2): ``Gini(x, corr = TRUE)`` and
    ``Gini(y, corr = TRUE)`` print ``0.4444444`` for ``x <- rep(c(50/9, 50), c(9, 1))`` and
    ``y <- rep(c(2, 18), c(5, 5))``; the same file prints ``ineq(x) = 0.4620911`` for the
    income example (checked in ``test_pareto.py``). Population values: 0.4 (= 4/9 * 9/10).
    """
    x = [50 / 9] * 9 + [50.0]
    y = [2.0] * 5 + [18.0] * 5
    for values in (x, y):
        assert gini(values, corrected=True) == pytest.approx(0.4444444, abs=5e-8)
        assert gini(values) == pytest.approx(0.4, abs=1e-12)


@settings(max_examples=examples(40))
@given(customer_values, st.integers(1, 4), st.integers(0, 30))
def test_gini_obeys_the_population_principle_and_zero_spenders_raise_it(
    values: list[float], copies: int, zeros: int
) -> None:
    """Property (Dalton's population principle, which the population Gini of ineq's
    ``Gini(x)`` satisfies and ``corr = TRUE`` does not): every customer repeated ``copies``
    times leaves the Gini unchanged; ``m`` customers who spent nothing added to ``n`` move it
    to ``(n G + m) / (n + m)`` (the mean absolute difference gains ``2 m`` times the total)."""
    g = gini(values)
    assert gini(values * copies) == pytest.approx(g, abs=1e-9)
    n = len(values)
    assert gini([*values, *([0.0] * zeros)]) == pytest.approx(
        (n * g + zeros) / (n + zeros), abs=1e-9
    )


@settings(max_examples=examples(40))
@given(customer_values, st.floats(0.01, 1.0))
def test_top_share_reads_the_pareto_curve_and_gini_is_its_area(
    values: list[float], fraction: float
) -> None:
    """Property: ``top_share`` is the descending Pareto curve read by linear interpolation
    (its documented convention), and the population Gini is 1 minus twice the trapezoid
    area under the Lorenz curve (ineq ``Lc`` points)."""
    pareto = pareto_curve(values)
    expected = np.interp(fraction, pareto["customer_share"], pareto["revenue_share"])
    assert top_share(values, fraction) == pytest.approx(expected, abs=1e-9)
    lorenz = pareto_curve(values, order="ascending")
    area = np.trapezoid(lorenz["revenue_share"], lorenz["customer_share"])
    assert gini(values) == pytest.approx(1 - 2 * area, abs=1e-9)


# --------------------------------------------------------------------------- R package rfm


def _r_rfm_scores(x: np.ndarray[Any, Any], bins: int, *, reverse: bool) -> np.ndarray[Any, Any]:
    """rsquaredacademy/rfm's scores, from ``R/utils.R`` (``bins``, ``bins_lower``,
    ``bins_upper``) and ``R/rfm-table-transaction.R`` (``rfm_prep_bins``): type-7 quantile
    cuts plus 1 as lower bounds, ``lower[i] <= x < upper[i]``, with ``lower = c(min, cuts)``
    and ``upper = c(cuts, max + 1)``; recency takes ``rev(seq_len(bins))``."""
    cuts = np.quantile(x, np.linspace(0, 1, bins + 1))[1:-1] + 1
    lower = np.concatenate([[x.min()], cuts])
    upper = np.concatenate([cuts, [x.max() + 1]])
    labels = np.arange(bins, 0, -1) if reverse else np.arange(1, bins + 1)
    out = np.zeros(len(x), dtype=int)
    for i in range(bins):
        out[(x >= lower[i]) & (x < upper[i])] = labels[i]
    return out


def test_r_rfm_binning_is_the_lopsided_convention_the_docs_describe() -> None:
    """docs/explanation/tie-safe-scoring.md says R's ``rfm`` (rsquaredacademy/rfm, files in
    ``_r_rfm_scores``) "adds 1 to [type-7 quantiles] and closes the bins on the left, so on
    whole numbers 1..10 it scores 3, 2, 2, 2 and 1 customers", a convention crmkit does not
    copy: crmkit (``pd.qcut``'s edges, closed on the right) scores two customers each."""
    x = np.arange(1, 11, dtype=float)
    r_freq = _r_rfm_scores(x, 5, reverse=False)
    assert np.bincount(r_freq, minlength=6)[1:].tolist() == [3, 2, 2, 2, 1]
    r_rec = _r_rfm_scores(x, 5, reverse=True)  # fewest days: R = 5 in both packages
    assert r_rec.tolist() == [5, 5, 5, 4, 4, 3, 3, 2, 2, 1]
    summary = pd.DataFrame({"recency_days": x, "frequency": x, "monetary": x})
    scored = RFMScorer(segment_map=None).fit(summary).transform(summary)
    assert np.bincount(scored["f_score"], minlength=6)[1:].tolist() == [2, 2, 2, 2, 2]
    assert scored["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


#: The segment ranges of rsquaredacademy/rfm's own suite, ``tests/testthat/test-rfm-segment.R``
#: (name, recency lo-hi, frequency lo-hi, monetary lo-hi; first match wins, else "Others").
R_RFM_TEST_RANGES = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
]

#: The ranges of its README.Rmd and vignette (``vignettes/rfm-introduction.Rmd``).
R_RFM_README_RANGES = [
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
]


def _r_rfm_segment(ranges: list[Any], r: int, f: int, m: int) -> str:
    """R ``rfm_segment`` (rsquaredacademy/rfm ``R/rfm-segment.R``): the first segment whose
    three ``between()`` (inclusive) hold, else ``"Others"``."""
    for name, rr, fr, mr in ranges:
        if rr[0] <= r <= rr[1] and fr[0] <= f <= fr[1] and mr[0] <= m <= mr[1]:
            return str(name)
    return "Others"


def _as_map(ranges: list[Any]) -> SegmentMap:
    return SegmentMap.from_dict(
        {
            "name": "rsquaredacademy rfm",
            "first_match": True,
            "fallback": "Others",
            "segments": [
                {"name": n, "rules": [{"r": list(rr), "f": list(fr), "m": list(mr)}]}
                for n, rr, fr, mr in ranges
            ],
        }
    )


@pytest.mark.parametrize(
    ("ranges", "gaps", "never"),
    [
        (R_RFM_TEST_RANGES, 36, ["New Customers", "Promising", "Can't Lose Them"]),
        (R_RFM_README_RANGES, 10, []),
    ],
    ids=["test-rfm-segment.R", "README.Rmd"],
)
def test_a_first_match_map_labels_all_125_codes_as_r_rfm_segment_does(
    ranges: list[Any], gaps: int, never: list[str]
) -> None:
    """Walking all 125 codes through R ``rfm_segment``'s loop (``_r_rfm_segment``) and
    through the same ranges as a crmkit first-match map with fallback "Others" gives the
    same label for every code; ``validate()`` counts R's "Others" codes as gaps and names
    the segments R can never reach (the test suite's ranges: New Customers, Promising and
    Can't Lose Them are shadowed by earlier ranges; the README's reach every segment)."""
    seg_map = _as_map(ranges)
    theirs = {
        (r, f, m): _r_rfm_segment(ranges, r, f, m)
        for r in range(1, 6)
        for f in range(1, 6)
        for m in range(1, 6)
    }
    assert {code: seg_map.label(*code) for code in theirs} == theirs
    report = seg_map.validate()
    assert len(report.gaps) == gaps == sum(v == "Others" for v in theirs.values())
    assert [name for name, _ in report.unreachable] == never
    assert set(never).isdisjoint(theirs.values())


# --------------------------------------------------------------------------- PyMC-Marketing

#: ``_default_rfm_segment_config`` of pymc-labs/pymc-marketing ``pymc_marketing/clv/utils.py``
#: (quartile codes, R F M digits 1-4; codes in no list are "Other").
PYMC_DEFAULT_SEGMENTS = {
    "Premium Customer": "334 443 444 344 434 433 343 333",
    "Repeat Customer": "244 234 232 332 143 233 243",
    "Top Spender": "424 414 144 314 324 124 224 423 413 133 323 313 134",
    "At Risk Customer": "422 223 212 122 222 132 322 312 412 123 214",
    "Inactive Customer": "411 111 113 114 112 211 311",
}


def test_pymc_marketing_default_segments_map_46_of_64_codes_and_call_411_inactive() -> None:
    """SegmentMap.marketer11's docstring says PyMC-Marketing's ``rfm_segments`` default
    "maps only 46 of its 64 codes and labels '411' ... Inactive". Its table (source above)
    written as a crmkit map on 4 bins: no code twice, 18 gaps (its "Other"), 411 Inactive.
    (PyMC-Marketing's R quartile reverses lifetimes' recency, the first-to-last span, so a
    one-time buyer has span 0 and R = 4 whenever they bought: 411 is any one-time buyer of
    low spend.)"""
    seg_map = SegmentMap.from_dict(
        {
            "name": "pymc-marketing default",
            "bins": 4,
            "fallback": "Other",
            "segments": [
                {"name": name, "rules": [{"codes": codes.split()}]}
                for name, codes in PYMC_DEFAULT_SEGMENTS.items()
            ],
        }
    )
    report = seg_map.validate()
    assert report.overlaps == ()
    assert len(report.gaps) == 64 - 46
    assert sum(len(codes.split()) for codes in PYMC_DEFAULT_SEGMENTS.values()) == 46
    assert seg_map.label(4, 1, 1) == "Inactive Customer"
    assert seg_map.label(4, 4, 4) == "Premium Customer"


# --------------------------------------------------------------------------- cohorts


def test_weekly_cdnow_cohorts_are_amplitudes_return_on_table_in_calendar_weeks(
    cdnow: pd.DataFrame,
) -> None:
    """Amplitude's "Return On" (N-day) retention (amplitude.com/docs/faq/retention-analysis):
    cell k counts the unique users of a cohort who return in the k-th period, each user at
    most once per cell; a period not yet over is not a value (Amplitude asterisks it,
    crmkit leaves it NaN). In calendar weeks (Monday to Sunday: pandas' ``"W"`` =
    ``"W-SUN"``) on CDNOW as of 1998-06-30 (a Tuesday) that is the plain pandas recipe
    below, for all 47 weekly cohorts of 1997 and 78 weeks since."""
    table = cohort_retention(cdnow, freq="W", as_of="1998-06-30")
    buys = cdnow[cdnow["amount"] > 0]
    week = buys["date"].dt.to_period("W").array.asi8
    first = pd.Series(week).groupby(buys["customer_id"].to_numpy()).transform("min").to_numpy()
    plain = (
        pd.DataFrame({"cohort": first, "k": week - first, "id": buys["customer_id"].to_numpy()})
        .groupby(["cohort", "k"])["id"]
        .nunique()
        .unstack(fill_value=0)
    )
    lo = table.counts.index[0].ordinal
    n_rows, n_cols = table.counts.shape
    assert (n_rows, n_cols) == (47, 78)
    assert str(table.counts.index[0]) == "1996-12-30/1997-01-05"
    expected = plain.reindex(
        index=range(lo, lo + n_rows), columns=range(n_cols), fill_value=0
    ).to_numpy(dtype=float)
    got = table.counts.to_numpy()
    seen = ~np.isnan(got)
    assert np.array_equal(got[seen], expected[seen])
    # Unseen: the week ending Sunday 1998-07-05 has not ended on 1998-06-30.
    last_week = pd.Period("1998-06-29", freq="W-SUN")
    cohorts = table.counts.index
    unseen = (cohorts.asi8[:, None] + np.arange(n_cols)[None, :]) >= last_week.ordinal
    assert np.array_equal(np.isnan(got), unseen)
    assert int(table.sizes.sum()) == buys["customer_id"].nunique() == 23_502


# --------------------------------------------------------------------------- zones


@settings(max_examples=examples(12), deadline=None)
@given(purchase_logs(), st.sampled_from(["America/New_York", "Asia/Kolkata", "Australia/Sydney"]))
def test_cohorts_and_rates_count_the_days_of_the_zone_they_are_given(
    tx: pd.DataFrame, zone: str
) -> None:
    """Property: UTC instants read with ``timezone=zone`` give the cohort table and the
    monthly rates of the same instants written as naive wall-clock times of ``zone``
    (calendar days, weeks and months are the zone's, as documented)."""
    aware = tx.assign(date=tx["date"].dt.tz_localize("UTC"))
    local = tx.assign(date=aware["date"].dt.tz_convert(zone).dt.tz_localize(None))
    as_of = str(local["date"].max().date())
    for freq in ("W", "M"):
        a = cohort_retention(aware, freq=freq, as_of=as_of, timezone=zone)
        b = cohort_retention(local, freq=freq, as_of=as_of)
        pd.testing.assert_frame_equal(a.counts, b.counts)
    try:
        b = rates_by_period(local, "retention", end=as_of)
    except ConfigError:  # no complete month: the aware log has none either
        with pytest.raises(ConfigError, match="at least one complete 'M' period"):
            rates_by_period(aware, "retention", end=as_of, timezone=zone)
        return
    a = rates_by_period(aware, "retention", end=as_of, timezone=zone)
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- refunds


def _later_refund() -> pd.DataFrame:
    """Purchases in January and February, a refund on 1 March (row 1)."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-03-01", "2025-01-10", "2025-01-20", "2025-02-28"]
            ),
            "amount": [10.0, -5.0, 20.0, 7.0, 3.0],
        }
    )


@pytest.mark.parametrize("rate", ["churn", "retention", "repurchase", "reactivation"])
def test_rates_by_period_refuses_only_the_refunds_up_to_its_last_complete_period(
    rate: str,
) -> None:
    """Regression: under ``refunds="error"`` ``rates_by_period`` (pandas) refused the
    refund of 1 March when the last complete period is February, although that row is in
    no period (it is counted in ``future_rows``), the single-period rates accept it and
    the Dask path did too. Now it gives the ``refunds="drop"`` table; a March that is
    complete holds the refund, which is refused naming ``end`` and the row."""
    tx = _later_refund()
    got = rates_by_period(tx, rate, end="2025-02-28", refunds="error")
    expected = rates_by_period(tx, rate, end="2025-02-28", refunds="drop")
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs["future_rows"] == 1
    # A March not yet over (end 15 March) is no period either: still no refusal.
    pd.testing.assert_frame_equal(
        rates_by_period(tx, rate, end="2025-03-15", refunds="error"),
        rates_by_period(tx, rate, end="2025-03-15", refunds="drop"),
    )
    with pytest.raises(InvalidInputError, match=r"1 refund rows on or before end at rows \[1\]"):
        rates_by_period(tx, rate, end="2025-03-31", refunds="error")


def test_each_period_is_still_the_single_period_rate_under_refunds_error() -> None:
    """docs/how-to/lifecycle-rates.md: each period is computed "exactly as the
    single-period function" would. With the later refund, February's retention and
    repurchase under ``refunds="error"`` are the single-period functions' (which accept
    it), not an error."""
    tx = _later_refund()
    table = rates_by_period(tx, "retention", end="2025-02-28", refunds="error")
    feb = table.set_index("period").loc[pd.Period("2025-02", "M")]
    single = retention_rate(
        tx, base_start="2024-12-31", start="2025-01-31", end="2025-02-28", refunds="error"
    )
    assert (feb["numerator"], feb["denominator"]) == (single.numerator, single.denominator)
    table = rates_by_period(tx, "repurchase", end="2025-02-28", refunds="error")
    jan = table.set_index("period").loc[pd.Period("2025-01", "M")]
    single = repurchase_rate(tx, start="2024-12-31", end="2025-01-31", refunds="error")
    assert (jan["numerator"], jan["denominator"]) == (single.numerator, single.denominator)


@settings(max_examples=examples(12), deadline=None)
@given(purchase_logs(), st.lists(st.integers(1, 40), min_size=1, max_size=4))
def test_refunds_after_the_last_period_never_change_rates_by_period(
    tx: pd.DataFrame, after: list[int]
) -> None:
    """Property: refunds dated after the end of the last complete period (here: after
    ``end``, a month end) leave ``rates_by_period(..., refunds="error")`` as it was,
    except that they are counted in ``future_rows``."""
    end = (tx["date"].max() + pd.offsets.MonthEnd(0)).normalize()
    refunds = pd.DataFrame(
        {
            "customer_id": [tx["customer_id"].iloc[i % len(tx)] for i in after],
            "date": [end + pd.Timedelta(days=1, hours=i) for i in after],
            "amount": [-1.0 * i for i in after],
        }
    ).astype(tx.dtypes.to_dict())
    more = pd.concat([tx, refunds], ignore_index=True)
    day = str(end.date())
    got = rates_by_period(more, "repurchase", end=day, refunds="error")
    base = rates_by_period(tx, "repurchase", end=day, refunds="error")
    pd.testing.assert_frame_equal(got, base)
    assert got.attrs["future_rows"] == base.attrs["future_rows"] + len(refunds)


@pytest.mark.slow
def test_rates_by_period_refuses_refunds_alike_on_pandas_and_dask(dask_client: Any) -> None:
    """The pandas path now reads refunds as the Dask path did: a refund after the last
    complete period is accepted by both, with the same table."""
    dd = pytest.importorskip("dask.dataframe")
    tx = _later_refund()
    ddf = dd.from_pandas(tx, npartitions=2)
    got = rates_by_period(ddf, "retention", end="2025-02-28", refunds="error")
    expected = rates_by_period(tx, "retention", end="2025-02-28", refunds="error")
    pd.testing.assert_frame_equal(got, expected)
