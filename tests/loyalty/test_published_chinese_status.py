"""Status rules of two Chinese airline programmes, from their published terms: China Southern
Sky Pearl Club (南航明珠俱乐部) and Air China PhoenixMiles (国航凤凰知音).

Both are expressible: Air China's lower retention (保级) thresholds with ``Tier.keep``, its
retention window, validities and assessment-only renewal with ``TierLadder``'s
``upgrade_validity_months``, ``assessment_lag_months`` and ``renew`` (more cases in
test_tier_assessment.py).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import attrs

from crmkit.loyalty import Qualification, Tier, TierLadder
from tests.loyalty._ladders import _card, _flights, _on

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------- China Southern 南航明珠俱乐部


def _southern() -> TierLadder:
    """China Southern Sky Pearl Club, its 会员级别 page (quoted at https://chigoweixiu.com/
    8229230f3046d1aa/379e09a5dbc850af.html): "当您在一个资格年度(每年1月1日至12月31日)内的升级
    里程或升级航段任何一项达到精英等级升级标准,即可获得相应的精英等级" (either count in a
    qualification year, 1 January - 31 December); 铂金卡 16万公里 / 80 航段, 金卡 8万 / 40,
    银卡 4万 / 20; "明珠俱乐部的升级标准和保级标准相同" (the same standard keeps the card).
    Card validity (南航会员手册, quoted at https://www.jhzxd.com/big5/qixian_214371):
    "南航明珠金、银卡的有效期为从金、银卡等级评定之当日起到第三年的2月28日(资格评定当年视为第一年)":
    from the day reached to 28 February of the third year (the year reached is the first),
    i.e. a calendar year plus one, plus two months."""
    return TierLadder(
        tiers=[
            Tier(name="明珠卡"),
            _card("银卡", 40_000, 20),
            _card("金卡", 80_000, 40),
            _card("铂金卡", 160_000, 80),
        ],
        window="calendar_year",
        validity_windows=1,
        validity_extra_months=2,
    )


def test_southern_silver_on_20_segments_holds_to_28_february_of_the_third_year() -> None:
    """20 segments (12,000 km) by 15 June 2024: 银卡 from that day, through 28 February 2026
    (2024 is the first year, 2026 the third); on 1 March 2026, with no flight since, back to
    明珠卡. 19 segments would not do: 20 is the threshold, inclusive."""
    ladder = _southern()
    flights = [_flights(_on(2024, 3, 1), 10, 6_000), _flights(_on(2024, 6, 15), 10, 6_000)]
    held = ladder.evaluate(flights, as_of=_on(2026, 2, 28, 23), timezone=SH)
    assert (held.tier, held.since, held.valid_through) == (
        "银卡",
        _on(2024, 6, 15),
        dt.date(2026, 2, 28),
    )
    gone = ladder.evaluate(flights, as_of=dt.datetime(2026, 3, 1, tzinfo=SH), timezone=SH)
    assert gone.tier == "明珠卡"
    fewer = [_flights(_on(2024, 3, 1), 10, 6_000), _flights(_on(2024, 6, 15), 9, 5_400)]
    assert ladder.evaluate(fewer, as_of=_on(2024, 12, 31), timezone=SH).tier == "明珠卡"
    assert TierLadder.from_dict(json.loads(json.dumps(ladder.to_dict()))) == ladder


def test_southern_the_upgrade_standard_keeps_the_card_for_another_year() -> None:
    """ "升级标准和保级标准相同": 金卡 on 80,000 km in 2024 (two long-haul runs, 12 segments),
    through 28 February 2026; 80,000 km again in 2025 keeps 金卡 through 28 February 2027."""
    ladder = _southern()
    y2024 = [_flights(_on(2024, 4, 1), 6, 40_000), _flights(_on(2024, 9, 1), 6, 40_000)]
    y2025 = [_flights(_on(2025, 5, 1), 6, 40_000), _flights(_on(2025, 10, 1), 6, 40_000)]
    st_ = ladder.evaluate(y2024, as_of=_on(2026, 2, 28, 23), timezone=SH)
    assert (st_.tier, st_.valid_through) == ("金卡", dt.date(2026, 2, 28))
    st_ = ladder.evaluate([*y2024, *y2025], as_of=_on(2026, 3, 1, 1), timezone=SH)
    assert (st_.tier, st_.valid_through) == ("金卡", dt.date(2027, 2, 28))


def test_southern_a_lower_card_earned_the_year_before_is_held_after_expiry() -> None:
    """China Southern (above): 金卡 on 80,000 km in 2024 (through 28 February 2026); in 2025
    40,000 km, 银卡's standard ("一个资格年度内 ... 达到精英等级升级标准,即可获得相应的精英等级"),
    a 银卡 valid from 1 May 2025 through 28 February 2027 ("到第三年的2月28日"). When 金卡
    ends on 1 March 2026 the member holds that 银卡 through 28 February 2027. crmkit
    gave 明珠卡 (pinned as a strict xfail until fixed): the assessment on 1 March 2026
    reads January-February 2026 only (nothing), as the ended year's counters were dropped
    on 1 January; the tier the ended year reached is now kept with its validity at the
    year's end. The same holds for every ``validity_extra_months`` ladder (Hilton in
    test_tier_earned_below.py)."""
    ladder = _southern()
    low = [
        _flights(_on(2024, 4, 1), 6, 40_000),
        _flights(_on(2024, 9, 1), 6, 40_000),
        _flights(_on(2025, 5, 1), 6, 40_000),
    ]
    st_ = ladder.evaluate(low, as_of=_on(2026, 3, 1, 1), timezone=SH)
    assert (st_.tier, st_.valid_through) == ("银卡", dt.date(2027, 2, 28))


def test_southern_in_a_leap_year_the_end_of_february_is_the_29th() -> None:
    """The handbook's "第三年的2月28日" is read as the end of February: a card reached in 2026
    holds through 29 February 2028 (a leap year), one day past the literal 28th. crmkit's
    month ends are calendar month ends (the ladder has no day-of-month option); said here
    so the reading is pinned and visible."""
    ladder = _southern()
    st_ = ladder.evaluate([_flights(_on(2026, 5, 5), 20)], as_of=_on(2026, 6, 1), timezone=SH)
    assert st_.valid_through == dt.date(2028, 2, 29)


# ------------------------------------------------------------- Air China 国航凤凰知音


def _air_china_upgrade() -> TierLadder:
    """Air China PhoenixMiles, upgrade (quoted at https://www.jhzxd.com/qixian_183071 from
    国航's 贵宾会员 page): "升级评定周期为当月开始的前连续12个月定级累积情况" (the current month and
    the 11 before); "定级里程达到4万公里或定级航段达到25个,升级为银卡会员; 8万公里或40个 ...
    金卡; 16万公里或90个 ... 白金卡". Validities and the 保级 assessment as in
    test_air_china_retention_as_published: 24 months from the upgrade month; at the expiry,
    on the 12 whole months ending the month before, for 12 months."""
    return TierLadder(
        tiers=[
            Tier(name="普卡"),
            _card("银卡", 40_000, 25),
            _card("金卡", 80_000, 40),
            _card("白金卡", 160_000, 90),
        ],
        window="rolling_calendar_months",
        window_months=12,
        validity_windows=1,
        upgrade_validity_months=24,
        assessment_lag_months=1,
        renew="assessment",
    )


def test_air_china_upgrade_counts_the_current_month_and_the_eleven_before() -> None:
    """24 segments on 20 September 2024 and one on 3 August 2025: the window of August
    2025 is September 2024 - August 2025, 25 segments: 银卡 on 3 August 2025. Had the last
    flight been on 3 September 2025 the window (October 2024 - September 2025) holds one
    segment: still 普卡."""
    ladder = _air_china_upgrade()
    first = _flights(_on(2024, 9, 20), 24)
    st_ = ladder.evaluate([first, _flights(_on(2025, 8, 3), 1)], as_of=_on(2025, 8, 4), timezone=SH)
    assert (st_.tier, st_.since) == ("银卡", _on(2025, 8, 3))
    late = ladder.evaluate(
        [first, _flights(_on(2025, 9, 3), 1)], as_of=_on(2025, 9, 4), timezone=SH
    )
    assert (late.tier, late.counters.counts["segments"]) == ("普卡", 1)


def test_air_china_retention_as_published() -> None:
    """Air China's 2026 retention notice (https://ffp.airchina.com.cn/app/notice/details?
    articleId=253, 2025-12-19): 保级标准 银卡 "3.5万公里定级里程或23段定级航段"; 保级评定周期
    "自当前贵宾有效期截止月的前1个月起的前连续12个整月 ... 例如,2026年7月到期,保级评定周期是
    2025年7月至2026年6月期间"; 级别有效期 "自当前贵宾有效期截止月次月起,至之后第12个月月底有效".
    Upgrade validity: "凤凰知音会员等级自升级当月起24个月有效" (https://www.flyert.com/
    a-521774-1.html).

    银卡 reached on 10 August 2024 (25 segments): 24 months from August 2024 is through
    31 July 2026 (expiry month July 2026). 23 segments on 20 June 2026 (in July 2025 - June
    2026, and 23 >= the 保级 standard's 23) keep 银卡 from August 2026 through 31 July 2027.

    Regression (a strict xfail until now): crmkit gave 银卡 through 31 August 2026 (the end
    of the month 24 months after August, ``validity_windows=2``) and, 23 segments reaching
    the keep way, 银卡 after it through 31 August 2028 (a retention held the same 24 months
    as an upgrade, where Air China gives 12). The ladder now says it: the lower 保级 pair
    (``Tier.keep``), an upgrade validity apart from the retention's
    (``upgrade_validity_months=24``, the upgrade month counting as the first), the
    assessment reading the 12 whole months that end a month before the expiry month
    (``assessment_lag_months=1``) and no renewal before the assessment
    (``renew="assessment"``: "评定时间为贵宾有效期到期日"), with ``validity_windows=1`` for
    what an assessment gives. The JSON round-trips.
    """
    upgrade = _air_china_upgrade()
    keep = [Qualification(counts={"km": 35_000}), Qualification(counts={"segments": 23})]
    tiers = [attrs.evolve(t, keep=keep) if t.name == "银卡" else t for t in upgrade.tiers]
    ladder = attrs.evolve(upgrade, tiers=tiers)
    flights = [_flights(_on(2024, 8, 10), 25), _flights(_on(2026, 6, 20), 23)]
    before = ladder.evaluate(flights, as_of=_on(2026, 7, 31, 23), timezone=SH)
    assert (before.tier, before.valid_through, before.keep_missing) == (
        "银卡",
        dt.date(2026, 7, 31),
        {},
    )
    after = ladder.evaluate(flights, as_of=_on(2026, 8, 2), timezone=SH)
    assert (after.tier, after.valid_through) == ("银卡", dt.date(2027, 7, 31))
    assert [c.reason for c in after.history] == ["start", "upgrade"]  # kept: no change
    assert TierLadder.from_dict(json.loads(json.dumps(ladder.to_dict()))) == ladder
