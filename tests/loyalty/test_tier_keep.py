"""Retention ("keep") thresholds below the upgrade ones: :attr:`Tier.keep`.

Published terms used below:

- Qatar Airways Privilege Club, "New Tier Qualification and Renewal Thresholds" (effective
  4 October 2013, qatarairways.com/PrivilegeClub/micrositeoffersdetails.page?detailid=
  qlfrenthresholds): upgrade on Qpoints "within any 12 month period": Silver 150, Gold 300,
  Platinum 600; renew on Qpoints "earned 12 months prior to renewal date": Silver 140,
  Gold 275, Platinum 550 ("members will need less Qpoints to renew than to upgrade"). The
  tier "is valid for 12 months" (Qatar's FAQ "What is the Qpoints requirement for tier
  qualification or renewal?"). The 24-month renewal route (280 / 550 / 1,100 over 24
  months) is not modelled here. Figures such as 135 / 270 / 540 quoted for later years
  could not be verified from a stored source; the 2013 figures are used.
- Air China PhoenixMiles 2026 retention notice (ffp.airchina.com.cn/app/notice/details?
  articleId=253, 2025-12-19): 保级标准 银卡 "3.5万公里定级里程或23段定级航段", 金卡 "7万公里 ... 或
  36段", 白金卡 "14.5万公里 ... 或80段"; upgrade (国航 贵宾会员 page, quoted at
  jhzxd.com/qixian_183071): 银卡 4万 km or 25 segments, 金卡 8万 or 40, 白金卡 16万 or 90.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Counters,
    Qualification,
    QualifyingPosting,
    Tier,
    TierLadder,
    assign_tiers,
)
from tests.loyalty._ladders import _card, _q, _qatar, _with_keep
from tests.strategies import examples, qualifying_postings, tier_ladders

UTC = dt.UTC
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
ENROLLED = dt.datetime(2024, 1, 1)


def _air_china_cards(**options: Any) -> TierLadder:
    return TierLadder(
        tiers=[
            Tier(name="普卡"),
            _card("银卡", 40_000, 25, 35_000, 23),
            _card("金卡", 80_000, 40, 70_000, 36),
            _card("白金卡", 160_000, 90, 145_000, 80),
        ],
        **options,
    )


# ------------------------------------------------------------------ published examples


def test_qatar_gold_is_renewed_on_275_qpoints_not_300() -> None:
    """Qatar 2013 (above): Gold reached on 10 March 2024 with 300 Qpoints (one long-haul
    business trip), valid 12 months, to 10 March 2025 10:00. A 10-Qpoint hop on 1 April
    2024 (310 in the last 12 months) renews it from then (crmkit's rolling windows renew at
    a posting that re-qualifies: to 1 April 2025). 280 Qpoints on 20 March 2025: the 12
    months then hold 10 + 280 = 290 < 300, no re-qualification; at the assessment on
    1 April 2025 the 12 months before hold 280 (the hop of 1 April 2024 has left): 280 >=
    275, Gold is renewed for 12 months, to 1 April 2026. With 270 (< 275) it is not: the
    counters reach Silver's 150, so Silver ("reevaluate"). Without the keep ways (the
    ladder before this option) 280 would have lost Gold too."""
    ladder = _qatar(platinum=True)
    base = [_q(dt.datetime(2024, 3, 10, 10), 300), _q(dt.datetime(2024, 4, 1, 10), 10)]
    kept = ladder.evaluate(
        [*base, _q(dt.datetime(2025, 3, 20, 10), 280)], as_of=dt.datetime(2025, 4, 2), timezone=UTC
    )
    assert (kept.tier, kept.valid_until) == ("gold", dt.datetime(2026, 4, 1, 10, tzinfo=UTC))
    assert kept.history[-1].new == "gold"  # no change of tier recorded for a renewal
    lost = ladder.evaluate(
        [*base, _q(dt.datetime(2025, 3, 20, 10), 270)], as_of=dt.datetime(2025, 4, 2), timezone=UTC
    )
    assert (lost.tier, lost.history[-1].reason) == ("silver", "downgrade")
    plain = TierLadder(
        tiers=[attrs.evolve(t, keep=()) for t in ladder.tiers], window="rolling"
    ).evaluate(
        [*base, _q(dt.datetime(2025, 3, 20, 10), 280)], as_of=dt.datetime(2025, 4, 2), timezone=UTC
    )
    assert plain.tier == "silver"


def test_rolling_validity_given_at_an_assessment_runs_from_its_instant() -> None:
    """Regression: on a ``"rolling"`` ladder a tier kept or landed on at an assessment held
    ``window_months`` from one microsecond *before* the assessment (10 March 2025 10:00 ->
    valid until 10 March 2026 09:59:59.999999), so the next assessment came a microsecond
    early. Gold (300) reached at 10 March 2024 10:00 lands one down on Silver at its end,
    10 March 2025 10:00, for 12 months from then: to 10 March 2026 10:00 exactly."""
    ladder = TierLadder(
        tiers=[Tier(name="m"), Tier(name="s", points=100), Tier(name="g", points=300)],
        window="rolling",
        downgrade="one_down",
    )
    st_ = ladder.evaluate(
        [_q(dt.datetime(2024, 3, 10, 10), 300)], as_of=dt.datetime(2025, 4, 1), timezone=UTC
    )
    assert (st_.tier, st_.valid_until) == ("s", dt.datetime(2026, 3, 10, 10, tzinfo=UTC))


def test_qatar_status_says_what_it_takes_to_keep_gold() -> None:
    """The same member on 1 March 2025 (Gold valid to 1 April 2025 10:00): the assessment
    then reads the 12 months after 1 April 2024 10:00, which hold nothing yet (the hop of
    that instant is not inside): keeping Gold takes 275 (the keep way, nearest) or 300.
    ``missing`` still says what the next tier, Platinum, lacks in the rolling 12 months
    (which still hold both postings): 600 - 310 = 290. After 280 on 20 March 2025: nothing is missing to keep Gold."""
    ladder = _qatar(platinum=True)
    base = [_q(dt.datetime(2024, 3, 10, 10), 300), _q(dt.datetime(2024, 4, 1, 10), 10)]
    st_ = ladder.evaluate(base, as_of=dt.datetime(2025, 3, 1), timezone=UTC)
    assert st_.valid_until == dt.datetime(2025, 4, 1, 10, tzinfo=UTC)
    assert st_.keep_ways_missing == ({"points": 275}, {"points": 300})
    assert (st_.keep_nearest_way, st_.keep_missing) == (0, {"points": 275})
    assert (st_.next_tier, st_.missing) == ("platinum", {"points": 290})
    more = ladder.evaluate(
        [*base, _q(dt.datetime(2025, 3, 20, 10), 280)], as_of=dt.datetime(2025, 3, 21), timezone=UTC
    )
    assert more.keep_missing == {}
    assert more.to_dict()["keep_ways_missing"] == [{}, {"points": 20}]


def test_air_china_cards_kept_on_the_lower_retention_pair() -> None:
    """Air China (above), on a calendar-year ladder to isolate the thresholds: 金卡 on 40
    segments in 2024 (valid through 2025); 2025 brings 36 segments (36 >= 金卡's 36, below
    its 40): kept through 2026. 35 segments and 69,000 km: neither 36 nor 70,000, but 35 >=
    银卡's 25 upgrade segments: 银卡 ("reevaluate" lands on the thresholds to reach a tier,
    the retention pair of the tier held being the only addition)."""
    ladder = _air_china_cards()
    y2024 = [QualifyingPosting(dt.datetime(2024, 5, 1), counts={"segments": 40, "km": 50_000})]
    keep = QualifyingPosting(dt.datetime(2025, 6, 1), counts={"segments": 36, "km": 30_000})
    st_ = ladder.evaluate([*y2024, keep], as_of=dt.datetime(2026, 1, 1), timezone=SH)
    assert (st_.tier, st_.valid_through) == ("金卡", dt.date(2026, 12, 31))
    short = QualifyingPosting(dt.datetime(2025, 6, 1), counts={"segments": 35, "km": 69_000})
    st_ = ladder.evaluate([*y2024, short], as_of=dt.datetime(2026, 1, 1), timezone=SH)
    assert st_.tier == "银卡"


def test_keep_ways_in_a_later_year_of_a_longer_validity_renew_at_the_years_end() -> None:
    """Calendar years, status held through the next year plus three months (Hilton-style:
    reached in 2024, through 31 March 2026). Keep counters gathered in 2025 are gone by the
    assessment on 1 April 2026, so a keep way reached by a year renews the tier at that
    year's end, as a re-qualification would: 36 segments in 2025 keep 金卡 through
    31 March 2027 (2025 + 1 year + 3 months). The status during 2025 says what 2025 still
    lacks; during 2024, the year it was reached, the whole keep pair (2025 must keep it;
    every way equally far, ``keep_missing`` is the first declared)."""
    ladder = _air_china_cards(validity_extra_months=3)
    y2024 = [QualifyingPosting(dt.datetime(2024, 5, 1), counts={"segments": 40, "km": 50_000})]
    early = ladder.evaluate(y2024, as_of=dt.datetime(2024, 6, 1), timezone=SH)
    assert early.keep_missing == {"km": 70_000}  # every way wholly missing: the first
    assert early.keep_ways_missing[:2] == ({"km": 70_000}, {"segments": 36})
    part = QualifyingPosting(dt.datetime(2025, 6, 1), counts={"segments": 30, "km": 30_000})
    mid = ladder.evaluate([*y2024, part], as_of=dt.datetime(2025, 7, 1), timezone=SH)
    assert (mid.keep_missing, mid.valid_through) == ({"segments": 6}, dt.date(2026, 3, 31))
    rest = QualifyingPosting(dt.datetime(2025, 9, 1), counts={"segments": 6, "km": 5_000})
    st_ = ladder.evaluate([*y2024, part, rest], as_of=dt.datetime(2026, 4, 2), timezone=SH)
    assert (st_.tier, st_.valid_through) == ("金卡", dt.date(2027, 3, 31))
    assert ladder.evaluate([*y2024, part], as_of=dt.datetime(2026, 4, 2), timezone=SH).tier == (
        "银卡"  # 30 segments in 2025: 银卡's 25, held from 2025 (the ended year) on
    )


def test_one_down_and_to_base_keep_the_tier_held_on_a_keep_way() -> None:
    """The downgrade policies are unchanged but for the keep: Platinum (600, kept on 550)
    assessed on 560 Qpoints stays Platinum under every policy; on 540 it goes one down
    (Gold), to Gold by the thresholds ("reevaluate", 540 >= 300), or to the base."""
    for policy, low in (("reevaluate", "gold"), ("one_down", "gold"), ("to_base", "burgundy")):
        ladder = _qatar(platinum=True, downgrade=policy)
        assert ladder.assess("platinum", Counters(points=560)) == "platinum"
        assert ladder.assess("platinum", Counters(points=540)) == low
        assert ladder.assess("gold", Counters(points=560)) == "gold"  # 560 < 600: no upgrade


def test_assign_tiers_honours_the_keep_ways_of_the_current_tier() -> None:
    """``assign_tiers(current=...)`` is the assessment in batch: as :meth:`assess` row by
    row (Qatar 2013: 280 keeps Gold, 270 does not; 280 from Silver is Silver)."""
    ladder = _qatar(platinum=True)
    frame = pd.DataFrame(
        {
            "member_id": ["a", "b", "c", "d", "e"],
            "points": [280, 270, 280, 0, 560],
            "tier": ["gold", "gold", "silver", "silver", "platinum"],
        }
    )
    out = assign_tiers(frame, ladder, current="tier")
    expected = [
        ladder.assess(t, Counters(points=p)) for t, p in zip(frame.tier, frame.points, strict=True)
    ]
    assert list(out["tier"].astype(str)) == expected == [
        "gold", "silver", "silver", "burgundy", "platinum"
    ]  # fmt: skip
    assert list(out["missing_points"]) == [320, 30, 20, 150, 0]  # to the next tier, as before


def test_grace_period_activity_reaching_a_keep_way_keeps_the_tier() -> None:
    """With ``grace_days`` a due drop waits; counters gathered meanwhile that reach a keep
    way keep the tier at the grace end, with a fresh validity. Calendar years: 金卡 reached
    in 2024, nothing in 2025, 36 segments by 20 January 2026 within a 60-day grace: 金卡
    kept, through 2027 (judged at the grace end, 2 March 2026, in 2026's window). The
    status says so from the posting on (regression: it showed the drop still pending,
    while its own keep_missing said the tier was kept): no pending drop, valid through
    2027, and for the next assessment (2026's window renewed it) the full keep way."""
    ladder = _air_china_cards(grace_days=60)
    y2024 = [QualifyingPosting(dt.datetime(2024, 5, 1), counts={"segments": 40, "km": 50_000})]
    grace = QualifyingPosting(dt.datetime(2026, 1, 20), counts={"segments": 36, "km": 30_000})
    waiting = ladder.evaluate([*y2024, grace], as_of=dt.datetime(2026, 1, 19), timezone=SH)
    assert waiting.pending_downgrade == (dt.datetime(2026, 3, 2, tzinfo=SH), "普卡")
    due = ladder.evaluate([*y2024, grace], as_of=dt.datetime(2026, 2, 1), timezone=SH)
    assert (due.tier, due.pending_downgrade, due.valid_through) == (
        "金卡",
        None,
        dt.date(2027, 12, 31),
    )
    st_ = ladder.evaluate([*y2024, grace], as_of=dt.datetime(2026, 3, 3), timezone=SH)
    assert (st_.tier, st_.pending_downgrade, st_.valid_through) == (
        "金卡",
        None,
        dt.date(2027, 12, 31),  # 2026's window, held through the next year
    )


# ------------------------------------------------------------------ validation, JSON


@pytest.mark.parametrize(
    ("tiers", "match"),
    [
        ([Tier(name="m", keep=[Qualification(points=1)]), Tier(name="g", points=5)], "base tier"),
        (
            [Tier(name="m"), Tier(name="g", points=300, keep=[Qualification(orders=3)])],
            "metrics the tiers qualify on",
        ),
        (
            [Tier(name="m"), Tier(name="g", points=300, keep=[Qualification(points=320)])],
            "no stricter than",
        ),
        (
            [
                Tier(name="m"),
                Tier(
                    name="g",
                    alternatives=[Qualification(points=300), Qualification(counts={"x": 5})],
                    keep=[Qualification(points=300, counts={"x": 1})],  # 300 alone reaches it
                ),
            ],
            "no stricter than",
        ),
    ],
)
def test_bad_keep_ways_are_refused_naming_the_tiers(tiers: list[Tier], match: str) -> None:
    """A keep way on the base tier, on a metric no tier qualifies on, or stricter than a way
    to reach the tier (it would never keep anyone: a slip, e.g. 320 typed for 275) is a
    ConfigError naming ``tiers``, also from JSON."""
    with pytest.raises(ConfigError, match=match) as info:
        TierLadder(tiers=tiers)
    assert info.value.field == "tiers"
    data = {
        "tiers": [{k: v for k, v in t.to_dict().items() if k != "schema_version"} for t in tiers]
    }
    with pytest.raises(ConfigError, match=match):
        TierLadder.from_dict(data)


def test_keep_is_refused_on_lifetime_tiers_and_must_be_qualifications() -> None:
    """Lifetime tiers are floors, never assessed: no keep there. ``keep`` takes
    Qualification items (or their mappings)."""
    with pytest.raises(ConfigError, match="lifetime"):
        TierLadder(
            tiers=[Tier(name="m"), Tier(name="g", points=5)],
            lifetime=[Tier(name="g", points=50, keep=[Qualification(points=40)])],
        )
    with pytest.raises(ConfigError) as info:
        Tier(name="g", points=5, keep=[{"points": 4}, 3])
    assert info.value.field == "keep"
    assert Tier(name="g", points=5, keep=[{"points": 4}]).keep == (Qualification(points=4),)


def test_keep_round_trips_through_json_and_a_ladder_without_it_writes_what_it_always_did() -> None:
    """``keep`` is written as a list of Qualification mappings, read back equal; omitted
    when empty, so a ladder without keep ways writes the JSON it always did."""
    ladder = _qatar(platinum=True)
    text = json.dumps(ladder.to_dict())
    assert json.loads(text)["tiers"][2]["keep"] == [{"points": 275}]
    assert TierLadder.from_dict(json.loads(text)) == ladder
    assert "keep" not in json.dumps(Tier(name="g", points=5).to_dict())


# ------------------------------------------------------------------ properties


_KEEP_FIELDS = {"keep_ways_missing": (), "keep_nearest_way": None, "keep_missing": None}


@settings(max_examples=examples(150), deadline=None)
@given(
    ladder=tier_ladders(assessment_options=True),
    posts=qualifying_postings(refunds=True),
    days=st.lists(st.integers(0, 4 * 365), min_size=1, max_size=4),
)
def test_keep_ways_equal_to_the_ways_up_change_nothing(
    ladder: TierLadder, posts: list[QualifyingPosting], days: list[int]
) -> None:
    """A ladder whose keep ways are its ways up (China Southern's "升级标准和保级标准相同") gives
    the status the ladder without them gives, every window, policy, grace, rollover,
    refund rule and assessment option alike (the keep_* fields aside, which only a ladder with keep ways fills);
    JSON round trip of the keep ladder."""
    same = _with_keep(ladder, Decimal(1))
    assert TierLadder.from_dict(json.loads(json.dumps(same.to_dict()))) == same
    for day in days:
        as_of = ENROLLED + dt.timedelta(days=day)
        a = ladder.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        b = same.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        assert attrs.evolve(b, **_KEEP_FIELDS) == a


@settings(max_examples=examples(150), deadline=None)
@given(
    ladder=tier_ladders(downgrades=("reevaluate", "one_down")),
    share=st.sampled_from([Decimal("0.5"), Decimal("0.8"), Decimal("0.9")]),
    counters=st.tuples(st.integers(0, 6000), st.integers(0, 20), st.integers(0, 60)),
    more=st.tuples(st.integers(0, 3000), st.integers(0, 10), st.integers(0, 30)),
)
def test_keeping_is_monotone_at_an_assessment(
    ladder: TierLadder,
    share: Decimal,
    counters: tuple[int, int, int],
    more: tuple[int, int, int],
) -> None:
    """At an assessment, more activity never loses a tier that less activity kept, nor
    lands lower (``assess`` and ``assign_tiers(current=...)`` alike), for every tier held."""
    keeping = _with_keep(ladder, share)

    def build(spend: int, orders: int, nights: int) -> Counters:
        return Counters(Decimal(spend), 0, orders, {"nights": nights})

    less = build(*counters)
    plus = build(*(a + b for a, b in zip(counters, more, strict=True)))
    for held in keeping.names:
        low, high = keeping.assess(held, less), keeping.assess(held, plus)
        assert keeping.rank(high) >= keeping.rank(low)
        if low == held:
            assert high == held or keeping.rank(high) > keeping.rank(held)
        assert keeping.rank(low) >= keeping.rank(ladder.assess(held, less))  # keep only helps
    frame = pd.DataFrame(
        {
            "member_id": range(len(keeping.names)),
            "spend": [Decimal(counters[0])] * len(keeping.names),
            "orders": [counters[1]] * len(keeping.names),
            "nights": [counters[2]] * len(keeping.names),
            "tier": keeping.names,
        }
    )
    batch = assign_tiers(frame, keeping, current="tier")
    assert list(batch["tier"].astype(str)) == [keeping.assess(t, less) for t in keeping.names]


@settings(max_examples=examples(150), deadline=None)
@given(
    ladder=tier_ladders(
        downgrades=("reevaluate", "one_down"), windows=("calendar_year", "rolling", "anniversary")
    ),
    share=st.sampled_from([Decimal("0.5"), Decimal("0.8")]),
    posts=qualifying_postings(),
    extra=qualifying_postings(max_size=3),
    days=st.lists(st.integers(0, 4 * 365), min_size=1, max_size=4),
)
def test_keeping_in_the_fold_more_activity_never_gives_a_lower_tier(
    ladder: TierLadder,
    share: Decimal,
    posts: list[QualifyingPosting],
    extra: list[QualifyingPosting],
    days: list[int],
) -> None:
    """The fold with keep ways: as without them (test_rules_properties.py), with windows
    fixed by the calendar or the enrolment more activity never gives a lower tier on any
    day, so more activity never loses a tier that less activity kept."""
    keeping = _with_keep(ladder, share)
    for day in days:
        as_of = ENROLLED + dt.timedelta(days=day)
        less = keeping.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        plus = keeping.evaluate([*posts, *extra], as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        assert keeping.rank(plus.tier) >= keeping.rank(less.tier)


@settings(max_examples=examples(200), deadline=None)
@given(
    ladder=tier_ladders(downgrades=("reevaluate", "one_down", "to_base")),
    share=st.sampled_from([Decimal("0.5"), Decimal("0.8")]),
    posts=qualifying_postings(),
    day=st.integers(0, 3 * 365),
)
def test_keep_missing_says_whether_the_tier_survives_its_assessment(
    ladder: TierLadder, share: Decimal, posts: list[QualifyingPosting], day: int
) -> None:
    """``keep_missing == {}`` exactly when, with no further activity, the tier held is
    still held (or bettered) just after its ``valid_until``: what the status says it takes
    to keep the tier is what the fold does (no grace period, no rollover, which add
    counters of their own)."""
    keeping = attrs.evolve(
        _with_keep(ladder, share), grace_days=0, rollover="none", rollover_on="upgrade",
        rollover_cap=None, climb="highest",
    )  # fmt: skip
    as_of = ENROLLED + dt.timedelta(days=day)
    before = [p for p in posts if p.time <= as_of]
    st_ = keeping.evaluate(before, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
    if st_.keep_missing is None or st_.valid_until is None:
        return
    after = keeping.evaluate(
        before,
        as_of=st_.valid_until.replace(tzinfo=None) + dt.timedelta(seconds=1),
        timezone=SH,
        enrolled_at=ENROLLED,
    )
    assert (keeping.rank(after.tier) >= keeping.rank(st_.tier)) == (st_.keep_missing == {})
