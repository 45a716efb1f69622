"""Segments that keep their promises: the default map on real and sample data."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.segmentation import Segment, SegmentMap, SegmentRule, rfm, segment_summary


def test_the_default_map_keeps_every_promise_by_its_rules() -> None:
    m = SegmentMap.default()
    report = m.validate()
    assert report.ok, str(report)
    assert report.broken_promises == ()
    assert all(seg.promise for seg in m.segments)
    # Every (r, f, m, t) combination with t <= r: 5 * 5 * (1 + 2 + 3 + 4 + 5) = 375.
    assert sum(len(m.codes_of(name)) for name in m.labels) == 375


def test_the_published_table_is_kept_by_name_and_its_broken_promises_listed() -> None:
    report = SegmentMap.marketer11().validate()
    assert (report.gaps, report.overlaps, report.unreachable) == ((), (), ())
    broken = {(name, code) for name, code in report.broken_promises}
    assert ("Can't Lose Them", "113") in broken  # a one-time buyer
    assert ("Lost", "111") not in broken
    # Its New Customers cannot promise a recent first purchase: it has no tenure.
    assert {c for n, c in broken if n == "New Customers"} == set(
        SegmentMap.marketer11().codes_of("New Customers")
    )
    assert not report.ok


@given(r=st.integers(1, 5), f=st.integers(1, 5), m=st.integers(1, 5), data=st.data())
def test_every_label_keeps_its_promise_for_every_score(
    r: int, f: int, m: int, data: st.DataObject
) -> None:
    t = data.draw(st.integers(1, r))
    seg_map = SegmentMap.default()
    name = seg_map.label(r, f, m, t)
    segment = next(s for s in seg_map.segments if s.name == name)
    assert segment.keeps_promise(r, f, m, t)


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


def _check_summary(table: pd.DataFrame) -> None:
    present = table[table["customers"] > 0]
    assert present["keeps_promise"].all(), present[["promise", "keeps_promise"]]
    assert list(table.index) == list(SegmentMap.default().labels)


def test_every_default_segment_keeps_its_promise_on_the_sample() -> None:
    tx = datasets.transactions(5_000, seed=7)
    scored = rfm(tx, order="order_id")
    table = segment_summary(scored)
    _check_summary(table)
    # New Customers first bought recently: within the R-4 window of the recency scale.
    new = scored[scored["segment"] == "New Customers"]
    assert (new["t_score"] >= 4).all()
    assert (new["tenure_days"] <= scored.attrs["rfm_model"]["recency"]["cuts"][1]).all()


def test_every_default_segment_keeps_its_promise_on_cdnow(cdnow: pd.DataFrame) -> None:
    scored = rfm(cdnow)
    table = segment_summary(scored)
    _check_summary(table)
    # The failures of the published table on this log (issue 12) do not happen:
    cant_lose = scored[scored["segment"] == "Can't Lose Them"]
    assert (cant_lose["frequency"] >= 2).all()  # no one-time buyer
    window = scored.attrs["rfm_model"]["recency"]["cuts"][1]  # the R-4 window, in days
    new = scored[scored["segment"] == "New Customers"]
    assert (new["tenure_days"] <= window).all()
    # ... while the published table, scored on the same cut points, breaks promises.
    published = rfm(cdnow, scorer=None, model=None)  # the default again: same cut points
    assert published["rfm_code"].equals(scored["rfm_code"])
    old = segment_summary(rfm(cdnow, scorer=_marketer11()), segment_map=SegmentMap.marketer11())
    assert not old.loc["Can't Lose Them", "keeps_promise"]
    assert old.loc["Can't Lose Them", "frequency_median"] == 1
    assert not old.loc["New Customers", "keeps_promise"]  # the table has no tenure
    old_scored = rfm(cdnow, scorer=_marketer11())
    old_new = old_scored[old_scored["segment"] == "New Customers"]
    assert old_new["tenure_days"].median() > window  # most first bought before the window


def _marketer11() -> object:
    from crmkit.segmentation import RFMScorer

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
