"""Labels that keep their promises on real data: every label of crmkit.segmentation on CDNOW.

The RFM default map is pinned in ``test_segment_promises.py``; this file audits the other
labels with default settings, as of the end of the log (1998-06-30) and mid-history
(1997-09-30): lifecycle stages (one date, history, transitions, the P(alive) basis), the
other built-in segment maps, ABC classes, the customer pyramid, Pareto/Gini figures,
cohort tables, rates, and growth potential with the value x potential matrix. For each
label: how many customers it holds and the medians that carry its words (days since the
last purchase, purchase days, spend, the share of one-time buyers, P(alive)), checked
against plain pandas where the label is a rule on the data.

CDNOW (``CDNOW_master.txt``, lifetimes' copy): 69,659 rows of 23,570 customers who all
first bought in 1997Q1 (68 never paid anything: their 72 rows are $0), followed to
1998-06-30. Figures were computed with pandas on that file and checked by hand against
the rules quoted in each test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.segmentation import (
    AliveRule,
    BetaGeoFit,
    GammaGammaFit,
    LifecyclePolicy,
    ModifiedBetaGeoFit,
    RFMScorer,
    ValuePotentialMatrix,
    abc_classify,
    btyd_summary,
    churn_rate,
    class_summary,
    classify_lifecycle,
    cohort_retention,
    customer_lifetime_value,
    gini,
    lifecycle_history,
    pareto_curve,
    potential_from_value,
    pyramid,
    pyramid_tiers,
    rates_by_period,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
    rfm,
    stage_flows,
    summarize,
    top_share,
    transition_matrix,
)

END, MID = "1998-06-30", "1997-09-30"
STAGES = ["new", "reactivated", "active", "at_risk", "dormant", "churned"]


def _medians(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Customers per label and the medians that carry its words."""
    g = frame.groupby(label, observed=False)
    return pd.DataFrame(
        {
            "customers": g.size(),
            "recency_min": g["recency_days"].min(),
            "recency_median": g["recency_days"].median(),
            "recency_max": g["recency_days"].max(),
            "frequency_median": g["frequency"].median(),
            "one_time": g["frequency"].apply(lambda f: int((f == 1).sum())),
            "monetary_median": g["monetary"].median(),
        }
    )


@pytest.fixture(scope="module")
def buys(cdnow: pd.DataFrame) -> pd.DataFrame:
    """The purchases (positive amounts) as (customer, day) pairs, by plain pandas."""
    days = cdnow.loc[cdnow["amount"] > 0, ["customer_id", "date"]].drop_duplicates()
    return days.sort_values(["customer_id", "date"], ignore_index=True)


@pytest.fixture(scope="module")
def staged(cdnow: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Default lifecycle stages with the summary's frequency and spend, at both dates."""
    out = {}
    for as_of in (END, MID):
        stages = classify_lifecycle(cdnow, as_of=as_of)
        summary = summarize(cdnow, as_of=as_of)
        assert summary.index.equals(stages.index)
        out[as_of] = stages.join(summary[["frequency", "monetary"]])
    return out


@pytest.fixture(scope="module")
def history(cdnow: pd.DataFrame) -> pd.DataFrame:
    return lifecycle_history(cdnow, freq="M")


# --------------------------------------------------------------------------- lifecycle


def test_day_stages_keep_their_thresholds_and_order_on_cdnow_at_the_end(
    staged: dict[str, pd.DataFrame], buys: pd.DataFrame
) -> None:
    """As of 1998-06-30 every stage holds exactly the days its rule names (active and
    reactivated under 90 days, at risk 90-179, dormant 180-364, churned 365+), the stages
    are ordered by recency and by spend, and ``new`` is empty because nobody first
    bought within 30 days (CDNOW is one acquisition cohort, seen 15 months on)."""
    frame = staged[END]
    # Recency by plain pandas: days from the last purchase day to the date.
    last = buys[buys["date"] <= END].groupby("customer_id")["date"].max()
    assert ((pd.Timestamp(END) - last).dt.days == frame["recency_days"]).all()
    table = _medians(frame, "stage")
    assert table["customers"].to_dict() == {
        "new": 0,
        "reactivated": 1173,
        "active": 2128,
        "at_risk": 2059,
        "dormant": 2972,
        "churned": 15170,
    }
    ranges = table.loc[STAGES[1:], ["recency_min", "recency_max"]].astype(int)
    assert ranges.to_numpy().tolist() == [[0, 89], [0, 89], [90, 179], [180, 364], [365, 545]]
    assert table.loc[STAGES[2:], "recency_median"].tolist() == [33, 123, 258, 495]
    # Spend falls along the ladder; the churned are mostly one-time buyers.
    assert table.loc[STAGES[2:], "monetary_median"].tolist() == pytest.approx(
        [263.89, 126.22, 91.785, 27.13]
    )
    assert table.loc[STAGES[1:], "one_time"].tolist() == [0, 0, 0, 1, 11988]
    assert table.loc["reactivated", "recency_median"] == 32
    assert frame["tenure_days"].min() >= 30  # so nobody is new


def test_day_stages_mid_history_dormant_is_most_customers_and_churned_is_empty(
    staged: dict[str, pd.DataFrame],
) -> None:
    """As of 1997-09-30 most customers are dormant, truthfully: 16,251 of 23,500 (69 %)
    bought 180-272 days before, 14,051 of them once. Churned is empty because the oldest
    first purchase (1997-01-01) is 272 days old, under the 365-day threshold."""
    frame = staged[MID]
    table = _medians(frame, "stage")
    assert table["customers"].to_dict() == {
        "new": 0,
        "reactivated": 777,
        "active": 3418,
        "at_risk": 3054,
        "dormant": 16251,
        "churned": 0,
    }
    assert (table.loc["dormant", "recency_min"], table.loc["dormant", "recency_max"]) == (180, 272)
    assert table.loc["dormant", "recency_median"] == 226
    assert table.loc["dormant", "one_time"] == 14051
    assert frame["tenure_days"].max() == 272
    assert table.loc[["active", "at_risk", "dormant"], "monetary_median"].tolist() == (
        pytest.approx([136.365, 74.115, 25.54])
    )


def test_active_is_bought_within_90_days_not_bought_again(cdnow: pd.DataFrame) -> None:
    """Regression for the words: the stage set was described as "new, repeat/active, ...",
    but ``active`` is "bought within at_risk_days", one purchase or many. As of 1997-04-30
    11,953 of the 17,988 active customers had bought on one day only (first buyers of
    February and March, 30-89 days on); the docs now say so."""
    stages = classify_lifecycle(cdnow, as_of="1997-04-30")
    active = stages[stages["stage"] == "active"]
    assert len(active) == 17988
    assert int((active["purchase_days"] == 1).sum()) == 11953
    assert active["recency_days"].max() == 89
    # From 1997-06-30 the one-time buyers are all 90+ days on: active is repeat buyers.
    later = classify_lifecycle(cdnow, as_of="1997-06-30")
    assert later.loc[later["stage"] == "active", "purchase_days"].min() == 2
    from crmkit.segmentation import _lifecycle_engine

    assert 'not "bought again"' in (_lifecycle_engine.__doc__ or "")


@pytest.mark.parametrize("as_of", [END, MID])
def test_reactivated_customers_woke_up_within_90_days_after_half_a_year(
    staged: dict[str, pd.DataFrame], buys: pd.DataFrame, as_of: str
) -> None:
    """Reactivated = a purchase day 180+ days after the previous one, under 90 days ago;
    by plain pandas, customer by customer."""
    frame = staged[as_of]
    upto = buys[buys["date"] <= as_of].copy()
    upto["gap"] = upto.groupby("customer_id")["date"].diff().dt.days
    wake = upto[upto["gap"] >= 180].groupby("customer_id")["date"].max()
    recent = wake[(pd.Timestamp(as_of) - wake).dt.days < 90]
    reactivated = frame.index[frame["stage"] == "reactivated"]
    woke = frame["stage"].isin(["reactivated", "active"]) & frame.index.isin(recent.index)
    assert sorted(reactivated) == sorted(frame.index[woke])
    assert (frame.loc[reactivated, "last_wake_up"] == recent.reindex(reactivated)).all()
    assert len(reactivated) == {END: 1173, MID: 777}[as_of]


def test_history_transitions_and_flows_agree_with_the_stages(
    history: pd.DataFrame, staged: dict[str, pd.DataFrame]
) -> None:
    """The monthly history gives each date's stages exactly; the transition matrix rows
    add up to the stages at the start; moves go the way time allows."""
    assert history.shape == (23502, 18)
    for as_of in (END, MID):
        column = history[pd.Timestamp(as_of)].dropna()
        assert column.equals(staged[as_of]["stage"])
    moves = transition_matrix(history, MID, END)
    counts = moves.counts
    assert counts.sum(axis=1).tolist() == [0, 777, 3418, 3054, 16251, 0]
    # Nine months on, 13,586 of the half-year sleepers passed a year (churned); 534 came
    # back within the last 90 days (reactivated); nobody reached churned without being
    # silent for nine months, so no reactivated or active customer churned.
    assert counts.loc["dormant", "churned"] == 13586
    assert counts.loc["dormant", "reactivated"] == 534
    assert counts.loc[["reactivated", "active"], "churned"].sum() == 0
    assert moves.entered.to_dict() == dict.fromkeys(STAGES, 0) | {"dormant": 2}
    flows = stage_flows(history)
    into_end = flows[flows["to_snapshot"] == pd.Timestamp(END)]
    assert int(into_end["customers"].sum()) == 23502
    # The churned first appear in January 1998, a year after the first purchases.
    churned = history.apply(lambda c: int((c == "churned").sum()))
    assert churned[: pd.Timestamp("1997-12-31")].sum() == 0
    assert churned[pd.Timestamp("1998-01-31")] == 4415


def test_history_docstring_names_the_same_arguments_not_amount_none(cdnow: pd.DataFrame) -> None:
    """Regression for the words: lifecycle_history's docstring said its stages were
    exactly ``classify_lifecycle(..., amount=None)``'s. With the default amount column
    CDNOW's 68 customers with only $0 rows are in neither; with ``amount=None`` they
    would be (23,570 customers, not 23,502)."""
    assert len(classify_lifecycle(cdnow, as_of=END, amount=None)) == 23570
    assert len(classify_lifecycle(cdnow, as_of=END)) == 23502
    doc = " ".join((lifecycle_history.__doc__ or "").split())
    assert "as_of=snapshot, amount=None" not in doc
    assert "with the same policy and reading arguments" in doc


# --------------------------------------------------------------------------- P(alive) stages

#: MBG/NBD and BG/NBD fitted on CDNOW as of 1998-06-30 (btyd_summary(freq="D",
#: freq_multiplier=7) of the positive rows), rounded to three decimals.
MBG = ModifiedBetaGeoFit(
    params={"r": 0.69, "alpha": 9.892, "a": 0.493, "b": 0.867}, time_unit="weeks"
)
BG = BetaGeoFit(params={"r": 0.268, "alpha": 5.998, "a": 0.483, "b": 2.109}, time_unit="weeks")


def test_p_alive_stages_say_what_the_model_says_not_a_recency(cdnow: pd.DataFrame) -> None:
    """Under the P(alive) basis (default thresholds 0.5 / 0.25 / 0.1) the stages are
    ordered by P(alive), not by days: MBG/NBD keeps the one-time buyers at risk (P(alive)
    0.28-0.30, 462-545 days on) while churned holds frequent buyers it finds late (from
    64 days on). The AliveRule docstring and the explanation page give these figures."""
    stages = classify_lifecycle(
        cdnow, as_of=END, policy=LifecyclePolicy(basis="p_alive", alive=AliveRule(model=MBG))
    )
    g = stages.groupby("stage", observed=False)
    assert g.size().to_dict() == {
        "new": 0,
        "reactivated": 1173,
        "active": 5590,
        "at_risk": 13837,
        "dormant": 2064,
        "churned": 838,
    }
    assert g["recency_days"].median()[STAGES[3:]].tolist() == [496, 463, 445]
    assert g["purchase_days"].median()[STAGES[3:]].tolist() == [1, 2, 4]
    assert g["recency_days"].min()["churned"] == 64
    alive = g["p_alive"].median()
    assert alive[STAGES[1:]].is_monotonic_decreasing
    once = stages[stages["purchase_days"] == 1]
    lapsed = once[once["recency_days"] >= 365]
    assert len(once) == 11989
    assert (once["stage"] == "at_risk").all()
    assert len(lapsed) == 11988
    assert lapsed["recency_days"].min() == 462
    assert (round(lapsed["p_alive"].min(), 2), round(lapsed["p_alive"].max(), 2)) == (0.28, 0.3)
    # BG/NBD: one-time buyers are surely alive, so "active" holds customers silent for
    # 221-545 days; the docstring says so, with these figures.
    bg = classify_lifecycle(
        cdnow, as_of=END, policy=LifecyclePolicy(basis="p_alive", alive=AliveRule(model=BG))
    )
    active = bg[bg["stage"] == "active"]
    assert len(active) == 18197
    assert active["recency_days"].median() == 482
    assert int((active["purchase_days"] == 1).sum()) == 11989
    assert "18,197" in (AliveRule.__doc__ or "")


# --------------------------------------------------------------------------- other maps


@pytest.mark.parametrize("as_of", [END, MID])
def test_three_layer_sleeping_is_exactly_the_dormant_and_churned(
    cdnow: pd.DataFrame, staged: dict[str, pd.DataFrame], as_of: str
) -> None:
    """The three layers keep their words: the two awake layers bought under 180 days
    ago, Sleeping is exactly the lifecycle's dormant and churned, and high value spends
    more than potential growth."""
    scored = rfm(cdnow, as_of=as_of, scorer=RFMScorer(segment_map="three-layer"))
    table = _medians(scored, "segment")
    assert (
        table["customers"].to_dict()
        == {
            END: {"High-value loyal": 4290, "Potential growth": 1070, "Sleeping": 18142},
            MID: {"High-value loyal": 4307, "Potential growth": 2942, "Sleeping": 16251},
        }[as_of]
    )
    assert (table.loc[["High-value loyal", "Potential growth"], "recency_max"] < 180).all()
    asleep = staged[as_of]["stage"].isin(["dormant", "churned"])
    assert (scored["segment"] == "Sleeping").equals(asleep)
    money = table["monetary_median"]
    assert money["High-value loyal"] > money["Potential growth"] > money["Sleeping"]


def test_rf_grid_score_cells_reach_back_as_its_docstring_says(
    cdnow: pd.DataFrame, staged: dict[str, pd.DataFrame]
) -> None:
    """The R x F grid names score cells (its descriptions say so): on CDNOW its "Loyal"
    and "Potential Loyalist" include customers a year gone, as its docstring counts."""
    scored = rfm(cdnow, scorer=RFMScorer(segment_map="rf-grid"))
    table = _medians(scored, "segment")
    lapsed = scored[scored["recency_days"] >= 365].groupby("segment", observed=False).size()
    assert (table.loc["Loyal", "customers"], lapsed["Loyal"]) == (3258, 863)
    assert (table.loc["Potential Loyalist", "customers"], lapsed["Potential Loyalist"]) == (
        2412,
        593,
    )
    # Its Champions (R 5, F 4-5) did buy recently on this log: under 141 days.
    assert table.loc["Champions", "recency_max"] == 140
    # Hibernating and About To Sleep are all churned by the day rules.
    stage = staged[END]["stage"]
    for name in ("About To Sleep", "Hibernating", "Need Attention"):
        assert (stage[scored["segment"] == name] == "churned").all(), name


# --------------------------------------------------------------------------- value classes


@pytest.fixture(scope="module")
def spend(cdnow: pd.DataFrame) -> pd.Series:
    return summarize(cdnow, as_of=END)["monetary"]


def test_abc_classes_are_ordered_and_cut_where_they_say(
    spend: pd.Series, staged: dict[str, pd.DataFrame]
) -> None:
    """Cumulative ABC (A while the customers before hold under 80 % of revenue, B under
    95 %): a third of CDNOW's customers are A, with the higher spend, frequency and
    recency; rank ABC (top 10 %, next 20 %) is A = 2,351 = ceil(0.1 x 23,502)."""
    classes = abc_classify(spend)
    frame = staged[END].join(classes[["abc_class"]])
    table = _medians(frame, "abc_class")
    assert table["customers"].tolist() == [7695, 8067, 7740]
    assert table["monetary_median"].tolist() == pytest.approx([161.79, 43.7, 14.96])
    assert table["frequency_median"].tolist() == [4, 1, 1]
    assert table["recency_median"].tolist() == [150, 476, 499]
    summary = class_summary(classes)
    assert summary["revenue_share"].round(3).tolist() == [0.8, 0.15, 0.05]
    # The crossing customer stays in A: without the last A the share is under 0.8.
    a = classes[classes["abc_class"] == "A"]
    assert a["cumulative_share"].max() >= 0.8 > a["cumulative_share"].max() - a["share"].min()
    ranked = abc_classify(spend, method="rank")
    rank_table = _medians(staged[END].join(ranked[["abc_class"]]), "abc_class")
    assert rank_table["customers"].tolist() == [2351, 4700, 16451]
    assert rank_table["monetary_median"].tolist() == pytest.approx([381.59, 134.285, 28.34])


def test_abc_default_thresholds_put_every_consumer_in_c(spend: pd.Series) -> None:
    """The default thresholds (5,000,000 / 1,000,000) are business turnover: on CDNOW's
    spend (best customer 13,990.93) every customer is C. Not a bug, but a label that
    catches everyone: the docstring and the how-to now say so."""
    assert spend.max() == pytest.approx(13990.93)
    classes = abc_classify(spend, method="thresholds")
    assert classes["abc_class"].value_counts().to_dict() == {"C": 23502, "A": 0, "B": 0}
    assert "every customer is C" in (abc_classify.__doc__ or "")


def test_pyramid_tiers_are_ordered_by_spend_and_sized_by_rank(
    spend: pd.Series, staged: dict[str, pd.DataFrame]
) -> None:
    """VIP top 1 %, major next 4 %, medium next 15 %, small the rest (ceil of each cut:
    236, 1,176, 4,701 customers); each tier spends more, buys more often and more
    recently than the next."""
    tiers = pyramid_tiers(spend)
    table = _medians(staged[END].join(tiers[["tier"]]), "tier")
    assert table["customers"].tolist() == [236, 940, 3525, 18801]
    assert table["monetary_median"].tolist() == pytest.approx([1246.495, 513.24, 204.1, 31.54])
    assert table["frequency_median"].tolist() == [20, 10, 5, 1]
    assert table["recency_median"].tolist() == [27, 54.5, 124, 483]
    summary = pyramid(spend)
    assert summary["min_value"].tolist() == [919.24, 381.59, 134.29, 3.99]
    assert summary["revenue_share"].round(3).tolist() == [0.159, 0.208, 0.311, 0.323]


def test_concentration_figures_agree_with_plain_formulas(spend: pd.Series) -> None:
    """Gini by the mean absolute difference (O(n log n) form), top 20 % by sorting."""
    x = np.sort(spend.to_numpy())
    n = len(x)
    mean_abs_diff = 2 * np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / n**2
    assert gini(spend) == pytest.approx(mean_abs_diff / (2 * x.mean()), rel=1e-12)
    assert round(gini(spend), 4) == 0.6335
    k = 0.2 * n  # 4,700.4 customers: the 4,701st counts for 0.4
    top = x[::-1]
    assert top_share(spend) == pytest.approx(
        (top[:4700].sum() + 0.4 * top[4700]) / x.sum(), rel=1e-12
    )
    assert k == pytest.approx(4700.4)
    assert round(top_share(spend), 3) == 0.677
    curve = pareto_curve(spend)
    assert curve["revenue_share"].is_monotonic_increasing
    assert curve["revenue_share"].iloc[-1] == 1.0


# --------------------------------------------------------------------------- cohorts, rates


def test_cohort_tables_never_exceed_period_zero_and_mask_what_is_unseen(
    cdnow: pd.DataFrame, buys: pd.DataFrame
) -> None:
    """Customer cohorts by first purchase month: counts match plain pandas, shares stay in
    [0, 1] (revenue too, on CDNOW), and mid-history the unseen months are NaN."""
    table = cohort_retention(cdnow)
    first = buys.groupby("customer_id")["date"].min().dt.to_period("M")
    months = buys.assign(
        cohort=buys["customer_id"].map(first),
        since=lambda b: (b["date"].dt.to_period("M") - b["cohort"]).map(lambda d: d.n),
    )
    plain = (
        months.groupby(["cohort", "since"])["customer_id"]
        .nunique()
        .unstack(fill_value=0)
        .reindex(pd.period_range("1997-01", "1997-11", freq="M"), fill_value=0)
    )
    assert np.array_equal(plain.to_numpy(), np.nan_to_num(table.counts.to_numpy())[:, :18])
    # Every month from the first cohort to the last is a row; 1997-04 to 1997-10 are empty.
    assert (table.sizes == 0).sum() == 7
    assert table.sizes[table.sizes > 0].to_dict() == {
        pd.Period("1997-01", "M"): 7814,
        pd.Period("1997-02", "M"): 8455,
        pd.Period("1997-03", "M"): 7231,
        pd.Period("1997-11", "M"): 2,  # first positive purchase after $0 rows in 1997Q1
    }
    assert table.shares.iloc[:3, 1].round(3).tolist() == [0.148, 0.155, 0.143]
    assert np.nanmax(table.shares.to_numpy()) == 1.0
    assert np.nanmin(table.shares.to_numpy()) >= 0.0
    revenue = cohort_retention(cdnow, metric="revenue")
    assert np.nanmax(revenue.shares.to_numpy()) == 1.0
    # Excluded rows: the 72 rows of the 68 customers who never paid are among the 80
    # non-purchase rows, not in addition to them (the docstring now says so).
    assert (table.non_purchase_rows, table.orphan_rows) == (80, 72)
    assert "not in addition to it" in (type(table).__doc__ or "")
    mid = cohort_retention(cdnow, as_of=MID)
    assert mid.counts.shape == (3, 9)
    assert np.isnan(mid.counts.loc[pd.Period("1997-03", "M"), 7])  # October 1997: unseen
    assert mid.counts.loc[pd.Period("1997-03", "M"), 6] == 561


def test_rates_count_what_their_definitions_say(
    cdnow: pd.DataFrame, buys: pd.DataFrame, staged: dict[str, pd.DataFrame]
) -> None:
    """Each rate over (1997-09-30, 1998-06-30], recomputed from the stages and the
    purchase days by plain pandas; every monthly rate is a share in [0, 1]."""
    start, end = pd.Timestamp(MID), pd.Timestamp(END)
    in_period = buys[(buys["date"] > start) & (buys["date"] <= end)]
    days = in_period.groupby("customer_id")["date"].nunique()
    before, after = staged[MID]["stage"], staged[END]["stage"]

    churn = churn_rate(cdnow, start=MID, end=END)
    base = before[before != "churned"]
    assert (churn.numerator, churn.denominator) == (
        int((after.reindex(base.index) == "churned").sum()),
        len(base),
    )
    assert (churn.numerator, churn.denominator) == (15170, 23500)
    repurchase = repurchase_rate(cdnow, start=MID, end=END)
    assert (repurchase.numerator, repurchase.denominator) == (int((days >= 2).sum()), len(days))
    assert (repurchase.numerator, repurchase.denominator) == (3976, 7058)
    reactivation = reactivation_rate(cdnow, start=MID, end=END)
    dormant = before.index[before == "dormant"]
    assert reactivation.numerator == int(dormant.isin(days.index).sum()) == 2665
    assert reactivation.denominator == 16251
    retention = retention_rate(cdnow, start=MID, end=END)  # base: the nine months before
    assert (retention.numerator, retention.denominator) == (7056, 23500)
    # Monthly churn peaks when the 1997Q1 buyers pass a year: a third in March 1998.
    monthly = rates_by_period(cdnow, "churn")
    rates = monthly.set_index("period")["rate"]
    assert rates.dropna().between(0, 1).all()
    assert rates.idxmax() == pd.Period("1998-03", "M")
    assert round(rates.max(), 3) == 0.332
    for name in ("retention", "repurchase", "reactivation"):
        assert rates_by_period(cdnow, name)["rate"].dropna().between(0, 1).all(), name


# --------------------------------------------------------------------------- potential


def test_potential_levels_and_the_value_potential_matrix_on_cdnow(
    cdnow: pd.DataFrame, spend: pd.Series, staged: dict[str, pd.DataFrame]
) -> None:
    """Potential from 12-month CLV (weekly MBG/NBD and Gamma-Gamma fitted on CDNOW as of
    1998-06-30, rounded): levels ordered by CLV, P(alive) and recency; a tie group of
    1,060 customers stretches medium to 33.3 % of customers; the handbook matrix keeps
    2,219 A customers of medium potential in A. Both docstrings now say so."""
    weekly = btyd_summary(cdnow[cdnow["amount"] > 0], freq="W", as_of=END)
    fit = ModifiedBetaGeoFit(
        params={"r": 0.904, "alpha": 14.144, "a": 0.457, "b": 0.683}, time_unit="weeks"
    )
    spend_fit = GammaGammaFit(params={"p": 4.926, "q": 3.855, "v": 21.84})
    clv = customer_lifetime_value(weekly, fit, spend_fit)["clv"]
    potential = potential_from_value(clv)
    frame = staged[END].assign(
        potential=potential, clv=clv, p_alive=fit.predict(weekly, t=0)["p_alive"]
    )
    table = _medians(frame, "potential")
    assert table["customers"].tolist() == [4701, 7826, 10975]
    assert table["recency_median"].tolist() == [70, 378.5, 507]
    assert table["one_time"].tolist() == [0, 2267, 9722]
    g = frame.groupby("potential", observed=False)
    assert g["clv"].median().is_monotonic_decreasing
    assert g["p_alive"].median().round(2).tolist() == [0.84, 0.26, 0.22]
    # The tie group: equal CLV (one purchase week in March 1997), ranks 48.8 % to 53.3 %.
    above = clv.rank(ascending=False, method="min") - 1
    tie = clv[above == above[potential == "medium"].max()]
    assert len(tie) == 1060
    assert "1,060" in (potential_from_value.__doc__ or "")
    # The matrix: A after it is high value with high or medium potential.
    value = abc_classify(spend)["abc_class"]
    moved = ValuePotentialMatrix.default().apply(value, potential.reindex(value.index))
    assert moved.value_counts(sort=False).tolist() == [6920, 4703, 11879]
    kept = frame[(value == "A") & (potential == "medium")]
    assert len(kept) == 2219
    assert kept["recency_days"].median() == 338
    assert (moved[(value == "C")] == "A").sum() == 0  # no C with high potential here
    assert "2,219" in (ValuePotentialMatrix.__doc__ or "")
