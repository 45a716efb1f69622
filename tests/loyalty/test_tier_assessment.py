"""When a sliding-window tier is renewed and on what: ``TierLadder(upgrade_validity_months=,
assessment_lag_months=, renew=)``.

Published terms used below:

- Air China PhoenixMiles 2026 retention notice (https://ffp.airchina.com.cn/app/notice/
  details?articleId=253, 2025-12-19): 保级标准 银卡 "3.5万公里定级里程或23段定级航段", 金卡
  "7万公里 ... 或36段"; 保级评定周期 "自当前贵宾有效期截止月的前1个月起的前连续12个整月";
  级别有效期 "自当前贵宾有效期截止月次月起,至之后第12个月月底有效"; "评定时间为贵宾有效期到期日。
  例如,2026年7月到期,保级评定周期是2025年7月至2026年6月期间"; "如降级后仍为贵宾级别,其有效期
  与保级后贵宾资格有效期相同". Upgrade: "升级评定周期为当月开始的前连续12个月" (the current
  month and the 11 before), 银卡 4万 km or 25 segments, 金卡 8万 or 40 (国航 贵宾会员 page,
  quoted at https://www.jhzxd.com/qixian_183071); "凤凰知音会员等级自升级当月起24个月有效"
  (https://www.flyert.com/a-521774-1.html, 2026-01-15).
- Qatar Airways Privilege Club, "New Tier Qualification and Renewal Thresholds" (effective
  4 October 2013, qatarairways.com/PrivilegeClub/micrositeoffersdetails.page?detailid=
  qlfrenthresholds): upgrade on Qpoints "within any 12 month period" (Silver 150, Gold
  300), renew on Qpoints "earned 12 months prior to renewal date" (Silver 140, Gold 275).
  Qatar's FAQ "What is the Qpoints requirement for tier qualification or renewal?"
  (qatarairways.zendesk.com/hc/en-us/articles/206459988): "Membership tier is valid for 12
  months. At the end of this tier validity period, Qpoints earned in last 12 months ...
  will be considered to evaluate if your membership tier can be renewed."
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import attrs
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import Counters, QualifyingPosting, Tier, TierLadder
from tests.loyalty._ladders import (
    _card,
    _flights,
    _ledger_rows,
    _on,
    _q,
    _qatar,
    _steps,
    _with_keep,
)
from tests.strategies import examples, qualifying_postings, tier_ladders

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
ENROLLED = dt.datetime(2024, 1, 1)
SLIDING = ("rolling", "rolling_calendar_months")


def _air_china(**options: Any) -> TierLadder:
    """Air China's 2026 rules (above): upgrade on the current month and the 11 before, 24
    months from the upgrade month; 保级 at the expiry on the 12 whole months ending the month
    before the expiry month, for 12 months."""
    return TierLadder(
        tiers=[
            Tier(name="普卡"),
            _card("银卡", 40_000, 25, 35_000, 23),
            _card("金卡", 80_000, 40, 70_000, 36),
        ],
        window="rolling_calendar_months",
        window_months=12,
        validity_windows=1,
        **(
            {"upgrade_validity_months": 24, "assessment_lag_months": 1, "renew": "assessment"}
            | options
        ),
    )


def _changes(status: Any) -> list[tuple[dt.date, str, str]]:
    return [(c.time.date(), c.new, c.reason) for c in status.history[1:]]


# ------------------------------------------------------------------ Air China


def test_air_china_flights_of_the_expiry_month_are_not_read_by_the_retention() -> None:
    """银卡 reached on 10 August 2024, through 31 July 2026. 23 segments on 10 July 2026 are
    in August 2025 - July 2026, not in the 保级评定周期 July 2025 - June 2026 ("2026年7月到期,
    保级评定周期是2025年7月至2026年6月"): not kept, 普卡 from 1 August 2026. Before, on
    15 July 2026, the status says so: the window the assessment reads lacks all of both keep
    ways (35,000 km, 23 segments).
    The same flights on 20 June 2026 keep it. Without the lag (the window ending at the
    expiry) the July flights would have kept it."""
    ladder = _air_china()
    july = [_flights(_on(2024, 8, 10), 25), _flights(_on(2026, 7, 10), 23)]
    mid = ladder.evaluate(july, as_of=_on(2026, 7, 15), timezone=SH)
    assert (mid.tier, mid.valid_through) == ("银卡", dt.date(2026, 7, 31))
    assert mid.keep_ways_missing[:2] == ({"km": 35_000}, {"segments": 23})
    lost = ladder.evaluate(july, as_of=_on(2026, 8, 2), timezone=SH)
    assert (lost.tier, _changes(lost)[-1]) == ("普卡", (dt.date(2026, 8, 1), "普卡", "downgrade"))
    june = [_flights(_on(2024, 8, 10), 25), _flights(_on(2026, 6, 20), 23)]
    assert ladder.evaluate(june, as_of=_on(2026, 7, 15), timezone=SH).keep_missing == {}
    kept = ladder.evaluate(june, as_of=_on(2026, 8, 2), timezone=SH)
    assert (kept.tier, kept.valid_through) == ("银卡", dt.date(2027, 7, 31))
    no_lag = _air_china(assessment_lag_months=0).evaluate(july, as_of=_on(2026, 8, 2), timezone=SH)
    assert (no_lag.tier, no_lag.valid_through) == ("银卡", dt.date(2027, 7, 31))


def test_air_china_a_card_landed_on_holds_as_long_as_a_kept_one() -> None:
    """ "如降级后仍为贵宾级别,其有效期与保级后贵宾资格有效期相同": 金卡 reached on 40 segments on
    10 August 2024 (through 31 July 2026); July 2025 - June 2026 hold 30 segments (below
    金卡's 36 to keep, at least 银卡's 25 to reach): 银卡 from 1 August 2026 through
    31 July 2027, the 12 months a retention gives, not the 24 of an upgrade."""
    ladder = _air_china()
    flights = [_flights(_on(2024, 8, 10), 40), _flights(_on(2025, 11, 5), 30)]
    st_ = ladder.evaluate(flights, as_of=_on(2026, 8, 2), timezone=SH)
    assert (st_.tier, st_.since, st_.valid_through) == (
        "银卡",
        dt.datetime(2026, 8, 1, tzinfo=SH),
        dt.date(2027, 7, 31),
    )


def test_air_china_reaching_the_card_again_waits_for_the_assessment() -> None:
    """ "评定时间为贵宾有效期到期日": 25 segments on 5 September 2025 reach 银卡's upgrade
    standard again while it is held; with ``renew="assessment"`` nothing changes then (still
    through 31 July 2026); at the expiry July 2025 - June 2026 hold the 25: kept through
    31 July 2027. ``renew="posting"`` (crmkit's default) renews it at the flight instead,
    for an upgrade's 24 months from September 2025: through 31 August 2027."""
    ladder = _air_china()
    flights = [_flights(_on(2024, 8, 10), 25), _flights(_on(2025, 9, 5), 25)]
    held = ladder.evaluate(flights, as_of=_on(2025, 9, 6), timezone=SH)
    assert held.valid_through == dt.date(2026, 7, 31)
    kept = ladder.evaluate(flights, as_of=_on(2026, 8, 2), timezone=SH)
    assert (kept.tier, kept.valid_through) == ("银卡", dt.date(2027, 7, 31))
    at_posting = _air_china(renew="posting").evaluate(flights, as_of=_on(2025, 9, 6), timezone=SH)
    assert at_posting.valid_through == dt.date(2027, 8, 31)


def test_air_china_flights_of_the_lag_month_still_count_toward_an_upgrade() -> None:
    """20 segments on 10 September 2025 and 5 on 10 July 2026: the 保级 window (July 2025 -
    June 2026) holds 20 (< 23): 银卡 is lost on 1 August 2026. The upgrade window of that
    instant (September 2025 - August 2026, "当月开始的前连续12个月") holds 25: 银卡 is reached
    again at once, as an upgrade, for 24 months from August 2026 (through 31 July 2028).
    The history says both."""
    ladder = _air_china()
    flights = [
        _flights(_on(2024, 8, 10), 25),
        _flights(_on(2025, 9, 10), 20),
        _flights(_on(2026, 7, 10), 5),
    ]
    st_ = ladder.evaluate(flights, as_of=_on(2026, 8, 2), timezone=SH)
    assert (st_.tier, st_.valid_through) == ("银卡", dt.date(2028, 7, 31))
    assert _changes(st_)[-2:] == [
        (dt.date(2026, 8, 1), "普卡", "downgrade"),
        (dt.date(2026, 8, 1), "银卡", "upgrade"),
    ]


def test_air_china_upgrade_validity_counts_the_upgrade_month_as_the_first() -> None:
    """ "自升级当月起24个月有效": reached on 1 August 2024 00:30 or on 31 August 2024 23:00, the
    card holds through 31 July 2026 either way; an upgrade to 金卡 on 3 March 2025 holds
    through 28 February 2027."""
    ladder = _air_china()
    for when in (
        dt.datetime(2024, 8, 1, 0, 30, tzinfo=SH),
        dt.datetime(2024, 8, 31, 23, tzinfo=SH),
    ):
        st_ = ladder.evaluate([_flights(when, 25)], as_of=when, timezone=SH)
        assert st_.valid_through == dt.date(2026, 7, 31)
    up = [_flights(_on(2024, 8, 10), 25), _flights(_on(2025, 3, 3), 15)]
    st_ = ladder.evaluate(up, as_of=_on(2025, 3, 4), timezone=SH)
    assert (st_.tier, st_.valid_through) == ("金卡", dt.date(2027, 2, 28))


def test_a_refund_counts_in_the_lagged_window_of_its_purchase() -> None:
    """``refunds="purchase_window"`` with a lag: 银卡 reached on 40,000 km on 10 August 2024
    (through July 2026); 23 segments flown on 5 July 2025 (23,000 km) are in the
    保级 window July 2025 - June 2026 of a card expiring in July 2026, though no longer in the
    sliding window by July 2026 (August 2025 - July 2026). A correction of 5 of them posted on
    15 July 2026 counts against that purchase's window, the one the assessment reads: 18 <
    23, the card is lost on 1 August 2026. Counted where posted (``"posted"``, the default)
    it leaves July 2025 - June 2026 at 23: kept through 31 July 2027."""
    flown = _flights(_on(2025, 7, 5), 23)
    fix = QualifyingPosting(
        _on(2026, 7, 15), counts={"segments": -5, "km": -5000}, reverses=flown.time
    )
    reached = QualifyingPosting(_on(2024, 8, 10), counts={"segments": 5, "km": 40_000})
    flights = [reached, flown, fix]
    lost = _air_china(refunds="purchase_window").evaluate(
        flights, as_of=_on(2026, 8, 2), timezone=SH
    )
    assert lost.tier == "普卡"
    kept = _air_china().evaluate(flights, as_of=_on(2026, 8, 2), timezone=SH)
    assert (kept.tier, kept.valid_through) == ("银卡", dt.date(2027, 7, 31))


# ------------------------------------------------------------------ Qatar


def test_qatar_gold_is_renewed_at_the_renewal_date_on_the_12_months_before_it() -> None:
    """Qatar (above): Gold on 300 Qpoints at 10 March 2024 10:00, valid 12 months. 280
    Qpoints on 1 February 2025 09:00 (580 in the last 12 months, Gold's 300 again). Renewal
    is at the end of the validity on the Qpoints of the 12 months before it: on 10 March
    2025 10:00 those hold the 280 (the 300 of 10 March 2024 10:00 has just left), 280 >= 275:
    Gold through 10 March 2026 10:00 (``renew="assessment"``). Renewing at the posting
    (crmkit's default) gives Gold from 1 February 2025 09:00 for 12 months, and at its end
    the 12 months hold nothing: Burgundy from 1 February 2026 09:00, five weeks early."""
    trips = [_q(dt.datetime(2024, 3, 10, 10), 300), _q(dt.datetime(2025, 2, 1, 9), 280)]
    ladder = _qatar(renew="assessment")
    before = ladder.evaluate(trips, as_of=dt.datetime(2025, 3, 1), timezone=UTC)
    assert (before.valid_until, before.keep_missing) == (
        dt.datetime(2025, 3, 10, 10, tzinfo=UTC),
        {},
    )
    st_ = ladder.evaluate(trips, as_of=dt.datetime(2026, 3, 10, 9), timezone=UTC)
    assert (st_.tier, st_.valid_until) == ("gold", dt.datetime(2026, 3, 10, 10, tzinfo=UTC))
    assert st_.history[-1].reason == "upgrade"  # a renewal is no change of tier
    early = _qatar().evaluate(trips, as_of=dt.datetime(2026, 2, 2), timezone=UTC)
    assert (early.tier, early.since) == ("burgundy", dt.datetime(2026, 2, 1, 9, tzinfo=UTC))


def test_renewing_at_the_assessment_an_earlier_upgrade_expires_earlier() -> None:
    """Pinned, as the published rule reads: with ``renew="assessment"`` more activity can
    give a lower tier on a later day. Qatar, 12 months: 100 Qpoints on 1 January 2024 and 50
    on 1 June 2024 reach Silver (150) on 1 June 2024, through 1 June 2025. 50 more on
    1 February 2024 reach it on 1 February 2024 instead, through 1 February 2025, and the
    12 months before that hold only the 50 of 1 June (< 140): Burgundy from then. On
    1 March 2025 the member with more Qpoints is Burgundy, the other Silver. Renewing at
    postings (the default), the 1 June posting renews the first member's Silver too."""
    less = [_q(dt.datetime(2024, 1, 1, 10), 100), _q(dt.datetime(2024, 6, 1, 10), 50)]
    more = [*less, _q(dt.datetime(2024, 2, 1, 10), 50)]
    as_of = dt.datetime(2025, 3, 1)
    at_assessment = _qatar(renew="assessment")
    assert at_assessment.evaluate(less, as_of=as_of, timezone=UTC).tier == "silver"
    assert at_assessment.evaluate(more, as_of=as_of, timezone=UTC).tier == "burgundy"
    at_posting = _qatar()
    assert at_posting.evaluate(more, as_of=as_of, timezone=UTC).tier == "silver"


def test_grace_days_move_the_assessment_to_the_grace_end() -> None:
    """``renew="assessment"`` with ``grace_days=30``: Gold (Qatar) due on 10 March 2025 10:00
    with nothing in the 12 months; 300 Qpoints on 20 March 2025 do not renew it at the
    posting (the drop is still pending in the fold), the grace end (9 April 2025 10:00)
    does: Gold for 12 months from then. Before the posting the status shows the drop to
    Burgundy; after it, already what the grace end gives as things stand (the 300 stay in
    the 12 months read then): Gold kept, no pending drop, valid to 9 April 2026 10:00."""
    ladder = _qatar(renew="assessment", grace_days=30)
    trips = [_q(dt.datetime(2024, 3, 10, 10), 300), _q(dt.datetime(2025, 3, 20, 10), 300)]
    before = ladder.evaluate(trips, as_of=dt.datetime(2025, 3, 19), timezone=UTC)
    assert before.pending_downgrade == (dt.datetime(2025, 4, 9, 10, tzinfo=UTC), "burgundy")
    due = ladder.evaluate(trips, as_of=dt.datetime(2025, 3, 21), timezone=UTC)
    assert (due.tier, due.pending_downgrade, due.valid_until) == (
        "gold",
        None,
        dt.datetime(2026, 4, 9, 10, tzinfo=UTC),
    )
    st_ = ladder.evaluate(trips, as_of=dt.datetime(2025, 4, 10), timezone=UTC)
    assert (st_.tier, st_.pending_downgrade, st_.valid_until) == (
        "gold",
        None,
        dt.datetime(2026, 4, 9, 10, tzinfo=UTC),
    )


# ------------------------------------------------------------------ validation, JSON


@pytest.mark.parametrize(
    ("options", "field", "match"),
    [
        ({"upgrade_validity_months": 24}, "upgrade_validity_months", "unless window is one of"),
        ({"assessment_lag_months": 1}, "assessment_lag_months", "unless window is one of"),
        ({"renew": "assessment"}, "renew", "unless window is one of"),
        ({"window": "rolling", "renew": "expiry"}, "renew", "one of"),
        ({"window": "rolling", "upgrade_validity_months": 0}, "upgrade_validity_months", "int"),
        ({"window": "rolling", "upgrade_validity_months": 121}, "upgrade_validity_months", "int"),
        ({"window": "rolling", "upgrade_validity_months": 2.0}, "upgrade_validity_months", "int"),
        ({"window": "rolling", "assessment_lag_months": -1}, "assessment_lag_months", "int"),
        ({"window": "rolling", "assessment_lag_months": True}, "assessment_lag_months", "int"),
        ({"window": "rolling", "assessment_lag_months": 12}, "assessment_lag_months", "= 12"),
        (
            {"window": "rolling", "upgrade_validity_months": 3, "assessment_lag_months": 3},
            "assessment_lag_months",
            "upgrade_validity_months = 3",
        ),
    ],
)
def test_bad_assessment_options_are_refused_naming_the_parameter(
    options: dict[str, Any], field: str, match: str
) -> None:
    """The options apply to sliding windows only (a window with an end gives a tier reached
    in it one validity); the lag must be shorter than every validity (the window read must
    end after the validity judged begins). ConfigError naming the parameter, also from
    JSON."""
    tiers = [Tier(name="m"), Tier(name="g", points=5)]
    with pytest.raises(ConfigError, match=match) as info:
        TierLadder(tiers=tiers, **options)
    assert info.value.field == field
    data = {"tiers": [{"name": "m"}, {"name": "g", "points": 5}], **options}
    with pytest.raises(ConfigError, match=match):
        TierLadder.from_dict(data)


def test_assessment_options_round_trip_and_defaults_write_the_json_they_always_did() -> None:
    """Set, the options are written and read back equal; at their defaults they are left
    out, so a ladder without them writes the JSON it always did."""
    ladder = _air_china()
    data = json.loads(json.dumps(ladder.to_dict()))
    assert (
        data["upgrade_validity_months"],
        data["assessment_lag_months"],
        data["renew"],
    ) == (24, 1, "assessment")
    assert TierLadder.from_dict(data) == ladder
    plain = TierLadder(tiers=[Tier(name="m"), Tier(name="g", points=5)], window="rolling")
    explicit = attrs.evolve(
        plain, upgrade_validity_months=None, assessment_lag_months=0, renew="posting"
    )
    assert explicit == plain
    assert (
        explicit.to_dict()
        == plain.to_dict()
        == {
            "schema_version": 1,
            "tiers": [{"name": "m"}, {"name": "g", "points": 5}],
            "combine": "any",
            "window": "rolling",
            "window_months": 12,
            "validity_windows": 1,
            "downgrade": "reevaluate",
            "grace_days": 0,
            "lifetime": [],
        }
    )


def test_rollover_metrics_names_the_item_that_is_not_a_metric_name() -> None:
    """``rollover_metrics`` items are checked by the spec layer's ``each(instance_of(str))``
    (the hand-written "list of str" check it duplicated is gone): the message names the
    item; unknown and repeated names are still refused as before."""
    tiers = [Tier(name="club"), Tier(name="gold", counts={"nights": 20})]
    with pytest.raises(ConfigError, match="must be a metric name") as info:
        TierLadder(tiers=tiers, rollover="surplus", rollover_metrics=["nights", 3])
    assert info.value.field == "rollover_metrics[1]"
    with pytest.raises(ConfigError, match="must be a list") as info:
        TierLadder(tiers=tiers, rollover="surplus", rollover_metrics="nights")
    assert info.value.field == "rollover_metrics"
    for names in (["spend"], ["nights", "nights"]):
        with pytest.raises(ConfigError, match="distinct metrics") as info:
            TierLadder(tiers=tiers, rollover="surplus", rollover_metrics=names)
        assert info.value.field == "rollover_metrics"


# ------------------------------------------------------------------ properties


def _assessment_validity(ladder: TierLadder) -> int:
    """The months a tier kept or landed on at an assessment holds (sliding windows)."""
    return ladder.window_months * ladder.validity_windows + ladder.validity_extra_months


@st.composite
def _sliding_ladders(draw: st.DrawFn, *, keep: bool = True) -> TierLadder:
    """Sliding-window ladders (tests.strategies.tier_ladders) with keep ways and an extra
    month or two of validity, at the default options."""
    ladder = draw(tier_ladders(windows=SLIDING))
    share = draw(st.sampled_from([None, Decimal("0.5"), Decimal("0.8")])) if keep else None
    if share is not None:
        ladder = _with_keep(ladder, share)
    return attrs.evolve(ladder, validity_extra_months=draw(st.sampled_from([0, 0, 2])))


@settings(max_examples=examples(200), deadline=None)
@given(
    ladder=_sliding_ladders(),
    posts=qualifying_postings(refunds=True),
    days=st.lists(st.integers(0, 4 * 365), min_size=1, max_size=4),
)
def test_an_upgrade_validity_equal_to_the_assessments_changes_nothing(
    ladder: TierLadder, posts: list[QualifyingPosting], days: list[int]
) -> None:
    """``upgrade_validity_months`` set to what an upgrade holds without it (rolling: the
    assessment's months from the instant; rolling calendar months: one more, the upgrade
    month counting as the first) gives the status the ladder without it gives, every day,
    policy, grace, keep and refund rule alike; and the options at their defaults are the
    ladder itself. JSON round trip."""
    months = _assessment_validity(ladder) + (ladder.window == "rolling_calendar_months")
    same = attrs.evolve(ladder, upgrade_validity_months=months)
    assert TierLadder.from_dict(json.loads(json.dumps(same.to_dict()))) == same
    assert attrs.evolve(ladder, assessment_lag_months=0, renew="posting") == ladder
    for day in days:
        as_of = ENROLLED + dt.timedelta(days=day)
        a = ladder.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        b = same.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        assert a == b


@settings(max_examples=examples(200), deadline=None)
@given(
    ladder=_sliding_ladders(),
    longer=st.integers(0, 12),
    posts=qualifying_postings(),
    extra=qualifying_postings(max_size=3),
    days=st.lists(st.integers(0, 4 * 365), min_size=1, max_size=4),
)
def test_a_longer_upgrade_validity_keeps_more_activity_never_lower(
    ladder: TierLadder,
    longer: int,
    posts: list[QualifyingPosting],
    extra: list[QualifyingPosting],
    days: list[int],
) -> None:
    """With an upgrade validity at least the assessment's (Air China: 24 months against
    12), renewing at postings, more activity never gives a lower tier on any day, as
    without the option (test_rules_properties.py). (With ``renew="assessment"`` or
    ``assessment_lag_months`` it can: an earlier upgrade or renewal brings an earlier
    assessment, which reads other months; see
    test_renewing_at_the_assessment_an_earlier_upgrade_expires_earlier.)"""
    months = _assessment_validity(ladder) + longer
    assume(months <= 120)
    ladder = attrs.evolve(ladder, upgrade_validity_months=months)
    assume(ladder.downgrade != "to_base")
    for day in days:
        as_of = ENROLLED + dt.timedelta(days=day)
        less = ladder.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        plus = ladder.evaluate([*posts, *extra], as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
        assert ladder.rank(plus.tier) >= ladder.rank(less.tier)


def _window_counters(
    posts: list[QualifyingPosting], ladder: TierLadder, end: dt.datetime, *, ended: bool = True
) -> Counters:
    """By brute force: the counters of the sliding window at instant ``end`` (``"rolling"``:
    after ``end`` - window_months, up to ``end``; calendar months: the months that ended by
    ``end`` (``ended``, what an assessment reads), else the window ``end``'s month is the
    last of (the upgrade rule at ``end``), ``window_months`` of them from the 1st)."""
    naive = end.replace(tzinfo=None)
    if ladder.window == "rolling":
        start = naive - relativedelta(months=ladder.window_months)
        inside = [p for p in posts if start < p.time <= naive]
    else:
        last = naive - dt.timedelta(microseconds=1) if ended else naive
        first = dt.datetime(last.year, last.month, 1) - relativedelta(
            months=ladder.window_months - 1
        )
        inside = [p for p in posts if first <= p.time <= last]
    total = Counters()
    for p in inside:
        total = total + p.counters
    return total


@settings(max_examples=examples(300), deadline=None)
@given(
    ladder=_sliding_ladders(),
    options=st.tuples(
        st.sampled_from([0, 1, 2]),
        st.sampled_from(["posting", "assessment"]),
        st.sampled_from([None, 0, 6]),
    ),
    posts=qualifying_postings(),
    day=st.integers(0, 3 * 365),
)
def test_the_assessment_reads_the_lagged_window_then_the_upgrade_rule(
    ladder: TierLadder,
    options: tuple[int, str, int | None],
    posts: list[QualifyingPosting],
    day: int,
) -> None:
    """The tier just after an assessment is, by brute force over the postings: what
    :meth:`TierLadder.assess` gives for the tier held on the counters of the window ending
    ``assessment_lag_months`` before the assessment (Air China: "前1个月起的前连续12个整月"),
    or, with a lag and when higher, the tier the window of the assessment's instant reaches
    (the upgrade rule, which reads other months then), never below a lifetime floor. A tier kept there under ``renew="assessment"``
    holds for the assessment's validity from then. ``keep_missing == {}`` before it exactly
    when no downgrade is recorded at it. Since ``assess`` is monotone in the counters
    (test_tier_keep.py), more activity in the window an assessment reads never gives a
    lower tier at that assessment. JSON round trip."""
    lag, renew, upgrade = options
    months = None if upgrade is None else _assessment_validity(ladder) + upgrade
    assume(lag < _assessment_validity(ladder))
    ladder = attrs.evolve(
        ladder,
        grace_days=0,
        upgrade_validity_months=months,
        assessment_lag_months=lag,
        renew=renew,
    )
    assert TierLadder.from_dict(json.loads(json.dumps(ladder.to_dict()))) == ladder
    as_of = ENROLLED + dt.timedelta(days=day)
    before = [p for p in posts if p.time <= as_of]
    st_ = ladder.evaluate(before, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
    valid = st_.valid_until
    if valid is None or st_.pending_downgrade is not None:
        return
    after = ladder.evaluate(before, as_of=valid, timezone=SH, enrolled_at=ENROLLED)
    lagged = _window_counters(before, ladder, valid - relativedelta(months=lag))
    now = _window_counters(before, ladder, valid, ended=False)
    assessed = ladder.rank(ladder.assess(st_.tier, lagged))
    reached = ladder.rank(ladder.qualify(now.spend, now.points, now.orders, counts=now.counts))
    floor = ladder.rank(st_.lifetime_floor) if st_.lifetime_floor else 0
    assert ladder.rank(after.tier) == max(assessed, reached if lag else 0, floor)
    dropped = any(c.time == valid and c.reason == "downgrade" for c in after.history)
    assert dropped == (assessed < ladder.rank(st_.tier))
    if st_.keep_missing is not None:
        assert (st_.keep_missing == {}) == (not dropped)
    held = ladder.rank(st_.tier)
    if renew == "assessment" and assessed == held and (reached <= held or not lag):
        local = valid.astimezone(SH).replace(tzinfo=None)
        if ladder.window == "rolling":
            expected = local + relativedelta(months=_assessment_validity(ladder))
        else:
            last = local - dt.timedelta(microseconds=1)
            expected = dt.datetime(last.year, last.month, 1) + relativedelta(
                months=_assessment_validity(ladder) + 1
            )
        assert after.valid_until == expected.replace(tzinfo=SH)


@settings(max_examples=examples(200), deadline=None)
@given(
    ladder=_sliding_ladders(),
    lag=st.sampled_from([1, 2]),
    renew=st.sampled_from(["posting", "assessment"]),
    posts=qualifying_postings(refunds=True),
    stops=st.lists(st.integers(0, 4 * 365), max_size=6),
)
def test_with_a_lag_the_tracker_step_by_step_and_the_ledgers_fold_equal_evaluate(
    ladder: TierLadder,
    lag: int,
    renew: str,
    posts: list[QualifyingPosting],
    stops: list[int],
) -> None:
    """The postings a lagged window still reads are kept apart from the window's own
    (refunds of purchases that left the window but not the lagged one included): a tracker
    moved and read step by step, copied at every stop, and the ledger's batch fold
    (``_post_many``) give what :meth:`TierLadder.evaluate` gives."""
    assume(lag < _assessment_validity(ladder))
    ladder = attrs.evolve(ladder, assessment_lag_months=lag, renew=renew)
    as_of = dt.datetime(2027, 6, 1)
    expected = ladder.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=ENROLLED)
    tracker = ladder.tracker(ENROLLED, timezone=SH)
    for when, posting in _steps(posts, stops, ENROLLED, as_of):
        if posting is None:
            tracker.status(when)
            tracker = tracker.copy()
        else:
            tracker.post(posting)
    assert tracker.status(as_of) == expected
    batch = ladder.tracker(ENROLLED, timezone=SH)
    batch._post_many(_ledger_rows(posts, as_of, SH))
    assert batch.status(as_of) == expected
