"""Segments that keep their promises: the default map on real and sample data."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.segmentation import (
    LifecyclePolicy,
    RFMScorer,
    Segment,
    SegmentMap,
    SegmentRule,
    classify_lifecycle,
    rfm,
    segment_summary,
)
from crmkit.segmentation._segment_maps import ACTIVE_DAYS, LAPSED_DAYS, NEW_DAYS, RECENT_DAYS

#: The default segments whose customers have lapsed (by F and M).
LAPSED = ["At Risk", "Can't Lose Them", "Hibernating", "Lost"]


def test_the_default_map_keeps_every_promise_by_its_rules() -> None:
    """validate() walks every (R, F, M, recency class, tenure class): no gap, no overlap,
    every promise (day guards included) kept by every code its segment receives."""
    m = SegmentMap.default()
    report = m.validate()
    assert report.ok, str(report)
    assert report.broken_promises == ()
    assert all(seg.promise for seg in m.segments)
    assert m.days_read == ("recency_days", "tenure_days")
    # 125 codes x the day classes that can occur: last < 90 d with first < 90 d or
    # >= 90 d, last 90-179 d, 180-364 d and >= 365 d with first >= 90 d (a first purchase
    # under 90 days ago with the last one 90 or more days ago cannot be).
    assert sum(len(m.codes_of(name)) for name in m.labels) == 125 * 5
    assert m.codes_of("Champions")[:2] == (
        "555/last>=90d<180d/first>=90d",
        "555/last<90d/first>=90d",
    )
    assert all("/last<90d" in code or "/last>=90d<180d" in code for code in m.codes_of("Champions"))
    assert all("/first<90d" in code for code in m.codes_of("New Customers"))
    assert all("/last>=365d" in code for code in m.codes_of("Lost"))
    # Nobody is slipping or about to sleep after a year; about to sleep is under 180 days.
    assert not any("/last>=365d" in code for code in m.codes_of("Need Attention"))
    assert all(
        ("/last<90d" in code or "/last>=90d<180d" in code) and "/first>=90d" in code
        for code in m.codes_of("About To Sleep")
    )
    # A low frequency score (one purchase) is a Potential Loyalist only while the last
    # purchase is under 90 days old with the first 90+ days old: two purchase days.
    assert all(
        "/last<90d/first>=90d" in code
        for code in m.codes_of("Potential Loyalist")
        if code[1] == "1"
    )
    # Past a year every code is lapsed, whatever its scores: 125 codes in the four segments.
    over_a_year = [c for name in LAPSED for c in m.codes_of(name) if "/last>=365d" in c]
    assert len(over_a_year) == 125


def test_the_day_guards_are_the_lifecycle_thresholds() -> None:
    """Sleeping and lost mean the same in the segment map and in the lifecycle stages."""
    policy = LifecyclePolicy()
    assert (policy.dormant_days, policy.churned_days) == (RECENT_DAYS, LAPSED_DAYS)
    # A one-time buyer is about to sleep from the lifecycle's at-risk day on.
    assert policy.at_risk_days == ACTIVE_DAYS


def test_a_customer_on_a_threshold_day_is_labelled_alike_by_both() -> None:
    """Regression: the day a threshold is reached is the same day in both.

    The segment map read "within 180 days" as ``recency_days <= 180`` while the lifecycle
    stages start dormant at ``recency_days >= 180``: a customer last seen exactly 180 days
    ago was a Champion ("bought recently") and dormant at once. Likewise on day 365:
    churned there, not yet lapsed here. Now "recent" ends and dormant starts on day 180,
    "lapsed" and churned on day 365.
    """
    as_of = pd.Timestamp("2024-12-31")
    days = {"c180": 180, "c179": 179, "c365": 365, "c364": 364}
    tx = pd.DataFrame(
        {
            "customer_id": [c for c in days for _ in range(2)],
            "date": [
                t
                for d in days.values()
                for t in (as_of - pd.Timedelta(days=d + 400), as_of - pd.Timedelta(days=d))
            ],
            "amount": [100.0] * 8,
        }
    )
    stage = classify_lifecycle(tx, as_of=as_of)["stage"].astype(str)
    assert stage.to_dict() == {
        "c179": "at_risk",
        "c180": "dormant",
        "c364": "dormant",
        "c365": "churned",
    }
    m = SegmentMap.default()
    label = {c: m.label(5, 5, 5, recency_days=d, tenure_days=d + 400) for c, d in days.items()}
    assert label == {
        "c179": "Champions",  # recent, and not dormant
        "c180": "Need Attention",  # slipping: dormant, no longer recent
        "c364": "Need Attention",
        "c365": "Can't Lose Them",  # lapsed, as churned
    }


def test_the_default_promises_state_the_day_guards() -> None:
    m = SegmentMap.default()
    promise = {seg.name: " or ".join(str(rule) for rule in seg.promise) for seg in m.segments}
    assert promise["Champions"] == "R 4-5, F 4-5, M 4-5, last purchase under 180 days ago"
    assert promise["New Customers"] == "first purchase under 90 days ago"
    assert promise["Lost"] == "F = 1, last purchase 365+ days ago"
    assert promise["About To Sleep"] == "F = 1, last purchase under 180 days ago"
    assert promise["Hibernating"] == (
        "R 1-2, F 2-3, last purchase 180+ days ago or F 2-3, last purchase 365+ days "
        "ago or F = 1, last purchase 180 to under 365 days ago"
    )
    assert promise["Need Attention"].startswith("R = 3, F 2-5, last purchase under 365 days")
    # Guards are data: they round-trip through JSON.
    assert m.segments[0].rules[0].to_dict() == {
        "schema_version": 1,
        "r": [4, 5],
        "f": [4, 5],
        "m": [4, 5],
        "last_within": 180,
    }


def test_customers_who_fail_a_guard_fall_through_to_a_promise_they_keep() -> None:
    m = SegmentMap.default()
    # Top scores but no purchase for half a year: slipping, not a Champion.
    assert m.label(5, 5, 5, recency_days=180, tenure_days=400) == "Need Attention"
    assert m.label(5, 5, 5, recency_days=179, tenure_days=400) == "Champions"
    assert m.label(5, 5, 5, recency_days=364, tenure_days=400) == "Need Attention"
    # One purchase and none for half a year: asleep (Hibernating), not about to sleep.
    assert m.label(4, 1, 1, recency_days=200, tenure_days=400) == "Hibernating"
    # A low recency score on a young log (bought within half a year): not "Lost".
    assert m.label(1, 1, 1, recency_days=150, tenure_days=400) == "About To Sleep"
    assert m.label(3, 1, 1, recency_days=179, tenure_days=400) == "About To Sleep"
    assert m.label(1, 1, 1, recency_days=180, tenure_days=400) == "Hibernating"
    assert m.label(3, 1, 5, recency_days=364, tenure_days=400) == "Hibernating"
    assert m.label(3, 1, 5, recency_days=365, tenure_days=400) == "Lost"
    assert m.label(2, 4, 4, recency_days=100, tenure_days=400) == "Need Attention"
    # Over a year without a purchase: lapsed by F and M, whatever the recency score.
    assert m.label(5, 5, 5, recency_days=365, tenure_days=400) == "Can't Lose Them"
    assert m.label(4, 5, 2, recency_days=365, tenure_days=400) == "At Risk"
    assert m.label(3, 3, 2, recency_days=400, tenure_days=400) == "Hibernating"
    assert m.label(3, 2, 5, recency_days=400, tenure_days=400) == "Can't Lose Them"
    assert m.label(3, 2, 3, recency_days=364, tenure_days=400) == "Need Attention"
    # New is the first purchase under 90 days ago, whatever the recency score.
    assert m.label(1, 1, 1, recency_days=80, tenure_days=89) == "New Customers"
    assert m.label(5, 1, 1, recency_days=1, tenure_days=90) == "Potential Loyalist"
    assert m.label(5, 2, 5, recency_days=1, tenure_days=40) == "Promising"


def test_the_published_table_is_kept_by_name_and_its_broken_promises_listed() -> None:
    published = SegmentMap.marketer11()
    report = published.validate()
    assert (report.gaps, report.overlaps, report.unreachable) == ((), (), ())
    broken = {(name, code) for name, code in report.broken_promises}
    assert ("Can't Lose Them", "113/last>=365d/first>=90d") in broken  # a one-time buyer
    assert ("Lost", "111/last>=365d/first>=90d") not in broken
    assert ("Lost", "111/last>=90d<180d/first>=90d") in broken  # "Lost" within half a year
    assert ("Lost", "111/last>=180d<365d/first>=90d") in broken  # ... or within a year
    # Champions break "recent" exactly when the last purchase is 180 or more days ago.
    champions = {code for name, code in broken if name == "Champions"}
    assert champions == {
        f"{c}/{days}/first>=90d"
        for c in published.codes_of("Champions")
        for days in ("last>=180d<365d", "last>=365d")
    }
    # Its Potential Loyalist has no F = 1 code (the default's follows it: more than once).
    assert all(code[1] != "1" for code in published.codes_of("Potential Loyalist"))
    assert ("Potential Loyalist", "552/last>=90d<180d/first>=90d") not in broken
    # Its About To Sleep (R 2-3) is asleep or lost after half a year.
    assert ("About To Sleep", "331/last>=180d<365d/first>=90d") in broken
    # Its New Customers cannot promise a recent first purchase: its rules ignore days.
    new = {code.split("/")[0] for name, code in broken if name == "New Customers"}
    assert new == set(published.codes_of("New Customers"))
    assert not report.ok


@given(
    r=st.integers(1, 5),
    f=st.integers(1, 5),
    m=st.integers(1, 5),
    recency=st.integers(0, 1500),
    extra=st.integers(0, 1500),
)
def test_every_label_keeps_its_promise_for_every_score_and_day(
    r: int, f: int, m: int, recency: int, extra: int
) -> None:
    """Whatever the scores and days (tenure >= recency), the label keeps its promise."""
    seg_map = SegmentMap.default()
    days = {"recency_days": recency, "tenure_days": recency + extra}
    name = seg_map.label(r, f, m, **days)
    segment = next(s for s in seg_map.segments if s.name == name)
    assert segment.keeps_promise(r, f, m, **days)
    assert segment.rules  # and the rule that placed it holds too
    assert any(rule.matches(r, f, m, **days) for rule in segment.rules)


@given(
    r=st.integers(1, 5),
    f=st.integers(1, 5),
    m=st.integers(1, 5),
    recency=st.integers(0, 1500),
    extra=st.integers(0, 1500),
)
def test_the_fall_through_segments_never_hold_a_lapsed_customer(
    r: int, f: int, m: int, recency: int, extra: int
) -> None:
    """Over a year without a purchase is lapsed whatever the scores; about to sleep is
    under half a year; a one-time buyer 180-364 days ago is asleep, not lost."""
    name = SegmentMap.default().label(r, f, m, recency_days=recency, tenure_days=recency + extra)
    if recency >= LAPSED_DAYS:
        assert name in LAPSED
        assert (name == "Lost") == (f == 1)
    if name == "Need Attention":
        assert recency < LAPSED_DAYS
        assert f >= 2
    if name == "About To Sleep":
        assert recency < RECENT_DAYS
        assert f == 1
    if f == 1 and RECENT_DAYS <= recency < LAPSED_DAYS:
        assert name == "Hibernating"


def test_scalar_and_vector_promise_checks_agree() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    n = 2_000
    r, f, m = (rng.integers(1, 6, n) for _ in range(3))
    rec = rng.integers(0, 800, n)
    ten = rec + rng.integers(0, 800, n)
    seg_map = SegmentMap.default()
    for seg in seg_map.segments:
        vec = seg.kept_by(r, f, m, recency_days=rec, tenure_days=ten)
        assert vec is not None
        one = [
            seg.keeps_promise(*map(int, x), recency_days=int(a), tenure_days=int(b))
            for *x, a, b in zip(r, f, m, rec, ten, strict=True)
        ]
        assert vec.tolist() == one
    pos = seg_map.positions(r, f, m, recency_days=rec, tenure_days=ten)
    labels = [seg_map.labels[p] for p in pos]
    assert labels[:50] == [
        seg_map.label(int(a), int(b), int(c), recency_days=int(d), tenure_days=int(e))
        for a, b, c, d, e in list(zip(r, f, m, rec, ten, strict=True))[:50]
    ]


def test_promises_round_trip_and_are_checked() -> None:
    m = SegmentMap.default()
    assert SegmentMap.from_dict(m.to_dict()) == m
    broken = SegmentMap(
        name="x",
        segments=(
            Segment("Big", (SegmentRule(m=(3, 5)),), promise=(SegmentRule(m=(4, 5)),)),
            Segment("Small", (SegmentRule(m=(1, 2)),)),
        ),
    )
    report = broken.validate()
    assert not report.ok
    assert {code[2] for _, code in report.broken_promises} == {"3"}
    assert "break the promise of 'Big'" in str(report)


def _check_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """Every present segment keeps its promise by its medians and customer by customer."""
    table = segment_summary(scored)
    present = table[table["customers"] > 0]
    assert present["keeps_promise"].all(), present[["promise", "keeps_promise"]]
    assert (present["promise_kept_share"] == 1.0).all(), present["promise_kept_share"]
    assert list(table.index) == list(SegmentMap.default().labels)
    # Customer by customer, through the segments' own promise rules (not the summary).
    seg_map = SegmentMap.default()
    for seg in seg_map.segments:
        rows = scored[scored["segment"] == seg.name]
        kept = seg.kept_by(
            rows["r_score"].to_numpy(),
            rows["f_score"].to_numpy(),
            rows["m_score"].to_numpy(),
            recency_days=rows["recency_days"].to_numpy(),
            tenure_days=rows["tenure_days"].to_numpy(),
        )
        assert kept is not None
        assert kept.all(), seg.name
    # The day guards, customer by customer.
    days = scored.groupby("segment", observed=True)[["recency_days", "tenure_days"]]
    last, first = days.max()["recency_days"], days.max()["tenure_days"]
    for name in ("Champions", "Loyal", "Potential Loyalist", "About To Sleep"):
        assert last.get(name, 0) < RECENT_DAYS
    for name in ("New Customers", "Promising"):
        assert first.get(name, 0) < NEW_DAYS
    # Nobody slips or is about to sleep a year after the last purchase.
    assert last.get("Need Attention", 0) < LAPSED_DAYS
    lapsed = scored[scored["segment"].isin(LAPSED)]
    assert (lapsed["recency_days"] >= RECENT_DAYS).all()
    # R 1-2 and 180+ days, or a year or more (but for one-time buyers asleep 180-364 days).
    sleeping = (lapsed["segment"] == "Hibernating") & (lapsed["f_score"] == 1)
    assert (sleeping | (lapsed["r_score"] <= 2) | (lapsed["recency_days"] >= LAPSED_DAYS)).all()
    assert (scored.loc[scored["recency_days"] >= LAPSED_DAYS, "segment"].isin(LAPSED)).all()
    assert (scored.loc[scored["segment"] == "Lost", "recency_days"] >= LAPSED_DAYS).all()
    assert (scored.loc[scored["segment"] == "Potential Loyalist", "tenure_days"] >= NEW_DAYS).all()
    # The fall-through segments read true in days: their medians are within a year.
    for name in ("Need Attention", "About To Sleep"):
        if table.loc[name, "customers"]:
            assert table.loc[name, "recency_median"] <= LAPSED_DAYS, name
    return table


def test_every_default_segment_keeps_its_promise_on_the_sample() -> None:
    tx = datasets.transactions(5_000, seed=7)
    scored = rfm(tx, order="order_id")
    table = _check_summary(scored)
    assert table["customers"].to_dict() == {
        "Champions": 1028,
        "Loyal": 87,  # 89 when day 180 was still "recent"
        "Potential Loyalist": 386,  # 218 one-time buyers 90-178 days on left (at risk)
        "New Customers": 255,  # day 90 is no longer new
        "Promising": 31,
        "Need Attention": 428,  # was 463: 33 lapsed over a year
        "About To Sleep": 220,  # was 531 (512 asleep, 14 lost), then 2; now + those 218
        "At Risk": 38,
        "Can't Lose Them": 475,
        "Hibernating": 784,  # 512 one-time buyers asleep 180-364 days among them
        "Lost": 1268,
    }
    # About To Sleep holds the one-time buyers 90-179 days on (median 135), at risk in the
    # lifecycle stages: 218 of them, with R = 4 (R = 3 on the sample covers 179-375 days),
    # were Potential Loyalists, whose words say "more than once".
    assert table.loc["About To Sleep", "recency_median"] == 135
    ats = scored[scored["segment"] == "About To Sleep"]
    assert (ats["frequency"] == 1).all()
    assert ats["recency_days"].between(90, RECENT_DAYS - 1).all()
    assert scored.loc[scored["segment"] == "Potential Loyalist", "frequency"].min() == 2
    assert table.loc["Need Attention", "recency_median"] == 264.5
    sleepers = scored[(scored["segment"] == "Hibernating") & (scored["frequency"] == 1)]
    assert len(sleepers) == 512
    assert sleepers["recency_days"].between(RECENT_DAYS, LAPSED_DAYS - 1).all()


def test_every_default_segment_keeps_its_promise_on_cdnow(cdnow: pd.DataFrame) -> None:
    scored = rfm(cdnow)
    assert str(scored["last_purchase"].max().date()) == "1998-06-30"
    table = _check_summary(scored)
    assert table["customers"].to_dict() == {
        # 10 fewer than when day 180 still counted as recent: those 10 are dormant by the
        # lifecycle stages (last purchase 1998-01-01, 180 days before the date).
        "Champions": 4290,
        "Loyal": 329,
        "Potential Loyalist": 741,
        "New Customers": 0,
        "Promising": 0,
        "Need Attention": 2971,  # was 5372, median recency 340 days
        "About To Sleep": 0,  # was 3359, median recency 474 days
        "At Risk": 204,  # was 23
        "Can't Lose Them": 1611,  # was 339
        "Hibernating": 1368,  # was 405
        "Lost": 11988,  # was 8630
    }
    # Need Attention held customers gone up to 484 days (R = 3 covers 431-484 days on this
    # log); now all bought within a year.
    assert table.loc["Need Attention", "recency_median"] == 258  # was 340
    # No label its lifecycle stage contradicts, on the same date: the recent segments are
    # active, at risk or reactivated (10 "Champions" were dormant when day 180 counted as
    # recent); Need Attention is dormant, the lapsed segments dormant or churned.
    stage = classify_lifecycle(cdnow, as_of=scored["last_purchase"].max())["stage"]
    assert (stage.index == scored.index).all()
    stages = pd.crosstab(scored["segment"], stage.astype(str))
    awake = ["active", "at_risk", "reactivated"]
    for name in ("Champions", "Loyal", "Potential Loyalist"):
        assert stages.loc[name].drop(awake).sum() == 0, name
    assert stages.loc["Need Attention", "dormant"] == 2971
    assert (
        stages.loc[LAPSED].drop(columns=awake, errors="ignore").sum().sum()
        == 204 + 1611 + 1368 + 11988
    )
    # The failures of the published table on this log (issue 12) do not happen:
    cant_lose = scored[scored["segment"] == "Can't Lose Them"]
    assert (cant_lose["frequency"] >= 2).all()  # no one-time buyer
    assert table.loc["Loyal", "recency_median"] < RECENT_DAYS  # was 311 days
    assert table.loc["Potential Loyalist", "recency_median"] < RECENT_DAYS  # was 260 days
    # Degenerate segments, explained: CDNOW is one acquisition cohort (first purchases in
    # 1997Q1, a few first positive ones later), seen 15 months on, so nobody first bought
    # within 90 days: New Customers and Promising are empty, not mislabelled. Nor did any
    # one-time buyer buy under 180 days before: About To Sleep is empty; one sleeps
    # 180-364 days (Hibernating), the rest are lost.
    assert scored["tenure_days"].min() >= NEW_DAYS
    one_time = scored[scored["frequency"] == 1]
    assert (one_time["segment"] == "Hibernating").sum() == 1
    assert one_time["segment"].isin(["Hibernating", "Lost"]).all()
    # ... while the published table, scored on the same cut points, breaks promises.
    old_scored = rfm(cdnow, scorer=_marketer11())
    assert old_scored["rfm_code"].equals(scored["rfm_code"])
    old = segment_summary(old_scored)
    assert not old.loc["Can't Lose Them", "keeps_promise"]
    assert old.loc["Can't Lose Them", "frequency_median"] == 1
    assert old.loc["Can't Lose Them", "promise_kept_share"] < 0.01
    assert not old.loc["New Customers", "keeps_promise"]  # first bought over a year ago
    assert old.loc["New Customers", "promise_kept_share"] == 0.0
    assert not old.loc["About To Sleep", "keeps_promise"]  # median 484 days
    old_champions = old_scored[old_scored["segment"] == "Champions"]
    assert old_champions["recency_days"].max() == 430  # "Champions" last seen 430 days ago
    assert 0.75 < old.loc["Champions", "promise_kept_share"] < 0.8


def test_potential_loyalists_bought_more_than_once_on_cdnow_mid_1997(cdnow: pd.DataFrame) -> None:
    """Regression: on CDNOW as of 1997-06-30 every "Potential Loyalist" had bought once.

    CDNOW's customers all first bought in 1997Q1, so on 1997-06-30 a one-time buyer's only
    purchase is 91-181 days old, and the R-4 window is 79-112 days. The default map put
    the one-time buyers with R 4-5 and a purchase under 180 days old in Potential
    Loyalist: 3,038 customers, each with one purchase day, 97-112 days before; the
    lifecycle stages call all of them ``at_risk`` on the same date, and the 12,325
    one-time buyers 113-179 days on were About To Sleep. The published words of the
    segment say otherwise: "Recent customers, but spent a good amount and bought more
    than once" (Putler's RFM segment table, copied by vendors such as viewn.com: "bought
    more than once"; Spotler: "buying more than the average customer"; WinePulse's
    "Potential Loyal Customers": F 2-3, "bought a few times"), and so do the published
    125-code table's codes (``SegmentMap.marketer11()``: F 2-5, no F = 1 code in
    Potential Loyalist; 511, 411, 412 are New Customers). Now one-time buyers 90-179
    days on are About To Sleep (15,363 = 3,038 + 12,325, recency 97-179 days, median
    135), whatever their recency score, and Potential Loyalist is empty there. Counts
    from pandas on ``CDNOW_master.txt`` (lifetimes' copy): positive-amount purchase days
    per customer, days from the last one to 1997-06-30.
    """
    as_of = "1997-06-30"
    scored = rfm(cdnow, as_of=as_of)
    table = _check_summary(scored)
    assert table["customers"].to_dict() == {
        "Champions": 5192,
        "Loyal": 2032,
        "Potential Loyalist": 0,  # was 3038, every one a one-time buyer
        "New Customers": 0,
        "Promising": 0,
        "Need Attention": 794,
        "About To Sleep": 15363,  # was 12325
        "At Risk": 0,
        "Can't Lose Them": 0,
        "Hibernating": 119,  # one-time buyers of 1997-01-01: 180 days on
        "Lost": 0,
    }
    assert int(table["customers"].sum()) == len(scored) == 23_500
    # The R-4 window that let them in, and who they are, by plain pandas.
    r4 = scored.loc[scored["r_score"] == 4, "recency_days"]
    assert (r4.min(), r4.max()) == (79, 112)
    buys = cdnow[(cdnow["amount"] > 0) & (cdnow["date"] <= as_of)]
    days = buys.groupby("customer_id")["date"].agg(["nunique", "max"])
    recency = (pd.Timestamp(as_of) - days["max"]).dt.days
    once = days["nunique"] == 1
    assert int((once & recency.between(90, 112)).sum()) == 3038
    assert int((once & recency.between(113, 179)).sum()) == 12325
    sleepy = scored[scored["segment"] == "About To Sleep"]
    assert (sleepy["frequency"] == 1).all()
    assert (sleepy["recency_days"].min(), sleepy["recency_days"].max()) == (97, 179)
    assert table.loc["About To Sleep", "recency_median"] == 135
    stage = classify_lifecycle(cdnow, as_of=as_of)["stage"].astype(str)
    assert (stage.reindex(sleepy.index) == "at_risk").all()
    # One purchase under 90 days ago with the first 90+ days ago cannot be: a customer
    # with F = 1 whose last purchase is that recent bought twice, and stays a Potential
    # Loyalist.
    m = SegmentMap.default()
    assert m.label(5, 1, 2, recency_days=100, tenure_days=100) == "About To Sleep"
    assert m.label(5, 1, 2, recency_days=89, tenure_days=300) == "Potential Loyalist"
    assert m.label(4, 2, 2, recency_days=150, tenure_days=300) == "Potential Loyalist"
    assert "more than once" in m.description("Potential Loyalist")


def _marketer11() -> RFMScorer:
    return RFMScorer(segment_map="marketer-11")


def test_segment_summary_without_a_map_has_no_promise_columns() -> None:
    scored = pd.DataFrame(
        {
            "recency_days": [5, 300],
            "frequency": [4, 1],
            "monetary": [400.0, 100.0],
            "segment": pd.Categorical(["Top", "Low"], ["Top", "Low"], ordered=True),
        }
    )
    assert "keeps_promise" not in segment_summary(scored).columns
    with_map = segment_summary(
        scored.assign(r_score=[5, 1], f_score=[4, 1], m_score=[4, 1]), segment_map="marketer-11"
    )
    assert with_map["keeps_promise"].isna().all()  # its segments are not these labels


def test_a_map_with_day_guards_needs_the_days() -> None:
    import numpy as np
    import pytest

    from crmkit.errors import ConfigError, InvalidInputError

    m = SegmentMap.default()
    with pytest.raises(ConfigError, match="recency_days"):
        m.label(5, 5, 5)
    with pytest.raises(ConfigError, match="tenure_days"):
        m.label(5, 5, 5, recency_days=10)
    with pytest.raises(InvalidInputError, match="at least recency_days"):
        m.label(5, 5, 5, recency_days=10, tenure_days=5)
    with pytest.raises(InvalidInputError, match="finite days >= 0"):
        m.positions(
            np.array([5]), np.array([5]), np.array([5]),
            recency_days=np.array([np.nan]), tenure_days=np.array([3.0]),
        )  # fmt: skip
    # A map without guards ignores days; the published table needs none.
    assert SegmentMap.marketer11().label(5, 5, 5) == "Champions"


def test_scoring_one_customer_needs_tenure_for_the_default_map() -> None:
    import pytest

    from crmkit.errors import InvalidInputError

    tx = datasets.transactions(300, seed=1)
    model = RFMScorer().fit(rfm(tx, scorer=RFMScorer(segment_map=None)))
    with pytest.raises(InvalidInputError, match="tenure_days"):
        model.score(recency_days=10, frequency=3, monetary=100.0)
    one = model.score(recency_days=10, frequency=1, monetary=20.0, tenure_days=10)
    assert one.segment == "New Customers"


def test_segment_summary_without_tenure_does_not_judge_new_customers() -> None:
    scored = rfm(datasets.transactions(2_000, seed=7), order="order_id")
    table = segment_summary(scored.drop(columns=["tenure_days"]))
    assert table.loc["New Customers", "keeps_promise"] is pd.NA
    assert table.loc["Champions", "keeps_promise"]
    assert "tenure_median" not in table.columns


def test_default_playbook_words_match_the_medians_on_cdnow(cdnow: pd.DataFrame) -> None:
    """The words of each default segment hold on CDNOW (1998-06-30), not only its rules.
    Loyal and At Risk leave the big spenders to Champions and Can't Lose Them, so their
    median spend is near everyone's (43.6): Loyal 50.1, At Risk 47.5, against 200.6 and
    101.9. The published table's words ("spend well", "spent big") would mislead there;
    the default's say where the big spenders went. Can't Lose Them ("made big purchases")
    and Champions ("spend the most") have the two highest median spends; Need Attention's
    words no longer promise spend the rules do not check."""
    scored = rfm(cdnow)
    medians = scored.groupby("segment", observed=True)["monetary"].median()
    overall = scored["monetary"].median()
    assert round(overall, 1) == 43.6
    assert (round(medians["Loyal"], 1), round(medians["At Risk"], 1)) == (50.1, 47.5)
    assert medians.nlargest(2).index.tolist() == ["Champions", "Can't Lose Them"]
    default, published = SegmentMap.default(), SegmentMap.marketer11()
    assert "spend well" in published.description("Loyal")
    assert "Spent big" in published.description("At Risk")
    for name, big in (("Loyal", "Champions"), ("At Risk", "Can't Lose Them")):
        words = default.description(name)
        assert "spend well" not in words
        assert "Spent big" not in words
        assert big in words
    assert "spend" not in default.description("Need Attention")
