"""Qualification rules real programmes publish: the "12 consecutive calendar months" window
of Chinese airline programmes (China Eastern Eastern Miles 东方万里行, Air China PhoenixMiles
凤凰知音) and status credits given without points (Delta's MQD head start).

Each example test quotes the clause it is written from and checks the figures by hand;
the window's new mechanism has hypothesis properties (it never counts more than the exact
rolling window of the same length; step by step = evaluate; replay = apply = replay_many).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    Condition,
    EarningScheme,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    QualifyingPosting,
    Tier,
    TierLadder,
    event_from_dict,
    replay_many,
)
from crmkit.loyalty._replay_many import events_from_frame
from tests.loyalty._ladders import _on, _steps
from tests.strategies import climbing_histories, examples, qualifying_postings, tier_ladders

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NY = zoneinfo.ZoneInfo("America/New_York")
MONTHS = "rolling_calendar_months"


# ------------------------------------------------- China Eastern: 连续12个自然月 (item 1)


def _card(name: str, segments: int, miles: int, spend: str) -> Tier:
    return Tier(
        name=name,
        alternatives=[
            Qualification(spend=spend, counts={"segments": segments}),
            Qualification(spend=spend, counts={"miles": miles}),
        ],
    )


def _eastern(window: str = MONTHS) -> TierLadder:
    """China Eastern Eastern Miles (东方万里行), its member-level page
    (https://www.ceair.com/global/easternmiles/zh/independent/levelAgreement/index.html):
    "会员在连续的12个自然月之内,累计的定级次数+年消费金额或者定级里程+年消费金额满足以下标准,
    即可升级" (within 12 consecutive calendar months: segments + yearly spend, or
    qualifying miles + yearly spend); 2025 standard 银卡 13 segments / 15,000 miles /
    20,000 yuan, 金卡 25 / 25,000 / 40,000. A 自然月 is a calendar month: the window on any
    day is that day's month and the 11 before, from the 1st (Air China 凤凰知音 words its
    window the same way, 连续12个自然月)."""
    return TierLadder(
        tiers=[
            Tier(name="普卡"),
            _card("银卡", 13, 15_000, "20000"),
            _card("金卡", 25, 25_000, "40000"),
        ],
        window=window,
        window_months=12,
    )


def _flight(when: dt.datetime, segments: int = 1, yuan: str = "1600") -> QualifyingPosting:
    return QualifyingPosting(
        when, spend=yuan, orders=1, counts={"segments": segments, "miles": 1000}
    )


def test_a_flight_leaves_the_calendar_month_window_on_the_first_of_the_month() -> None:
    """China Eastern (above). A flight on 25 January 2024 is in the window of 31 December
    2024 (January-December 2024) but not of 1 January 2025 (February 2024 - January
    2025), while the exact rolling window of 20 January 2025 (20 January 2024 - 20
    January 2025) still holds it."""
    ladder, rolling = _eastern(), _eastern("rolling")
    flights = [_flight(_on(2024, 1, 25))]

    def segments(lad: TierLadder, as_of: dt.datetime) -> int:
        st_ = lad.evaluate(flights, as_of=as_of, timezone=SH, enrolled_at=_on(2024, 1, 1, 0))
        return st_.counters.counts["segments"]

    assert segments(ladder, _on(2024, 12, 31, 23)) == 1
    assert segments(ladder, _on(2025, 1, 1, 0)) == 0
    assert segments(rolling, _on(2025, 1, 20)) == 1
    st_ = ladder.evaluate(flights, as_of=_on(2025, 1, 20), timezone=SH)
    assert (st_.window_start, st_.window_end) == (dt.datetime(2024, 2, 1, tzinfo=SH), None)


def test_the_thirteenth_segment_qualifies_under_rolling_but_not_under_calendar_months() -> None:
    """China Eastern 银卡: 13 segments and 20,000 yuan in 12 consecutive calendar months.
    Flights of 1,600 yuan, one segment each: 25 January 2024, then the 10th of each month
    February-December 2024 (11), then 20 January 2025: 13 segments, 20,800 yuan.

    On 20 January 2025 the calendar-month window is February 2024 - January 2025: 12
    segments, 19,200 yuan: still 普卡 (the 25 January 2024 flight fell out on 1 January).
    The exact rolling 12 months (20 January 2024 - 20 January 2025) hold all 13 and 20,800
    yuan: 银卡 on 20 January 2025. A 14th flight on 5 February 2025 (window March 2024 -
    February 2025: flights of March-December 2024, 10, plus January and February 2025:
    12 segments) still does not qualify; a 2-segment one instead makes 13 segments and
    (10 + 1) x 1,600 + 3,200 = 20,800 yuan: 银卡 on 5 February 2025.
    """
    flights = [_flight(_on(2024, 1, 25))]
    flights += [_flight(_on(2024, month, 10)) for month in range(2, 13)]
    flights += [_flight(_on(2025, 1, 20))]
    as_of = _on(2025, 1, 20, 12)
    months = _eastern().evaluate(flights, as_of=as_of, timezone=SH)
    rolling = _eastern("rolling").evaluate(flights, as_of=as_of, timezone=SH)
    assert (months.tier, months.counters.counts["segments"], months.counters.spend) == (
        "普卡",
        12,
        Decimal("19200"),
    )
    assert months.missing == {"segments": 1, "spend": Decimal("800")}
    assert (rolling.tier, rolling.counters.counts["segments"], rolling.counters.spend) == (
        "银卡",
        13,
        Decimal("20800"),
    )
    one = _eastern().evaluate(
        [*flights, _flight(_on(2025, 2, 5))], as_of=_on(2025, 2, 6), timezone=SH
    )
    assert (one.tier, one.counters.counts["segments"]) == ("普卡", 12)
    two = [*flights, _flight(_on(2025, 2, 5), segments=2, yuan="3200")]
    st_ = _eastern().evaluate(two, as_of=_on(2025, 2, 6), timezone=SH)
    assert (st_.tier, st_.since, st_.counters.spend) == ("银卡", _on(2025, 2, 5), Decimal("20800"))


def test_status_from_calendar_months_holds_to_the_end_of_the_same_month_next_year() -> None:
    """A member flies 12 segments on 10 January 2024 and the 13th on 25 January 2024
    (20,800 yuan): 银卡 from 25 January 2024. crmkit's reading of validity for this window
    (the China Eastern page quoted above does not state one): the tier holds until the
    first window that no longer holds the month it was reached in decides, February 2024
    - January 2025, so through 31 January 2025 ("the end of the same month next year").
    The flights have left the counters on 1 January 2025, yet 银卡 holds through
    31 January; on 1 February 2025 00:00 the window of January 2025's end (February 2024
    - January 2025) has no flight: back to 普卡.

    Exact rolling 12 months instead: valid until 25 January 2025 10:00 (the posting plus
    12 months), so held on 20 January 2025 and gone on 31 January.

    Had the member flown 13 segments (20,800 yuan) in February 2024 - January 2025, say
    on 15 January 2025, 银卡 is kept at the assessment and holds through 31 January 2026.
    """
    flights = [
        _flight(_on(2024, 1, 10), segments=12, yuan="19200"),
        _flight(_on(2024, 1, 25)),
    ]
    ladder, rolling = _eastern(), _eastern("rolling")
    held = ladder.evaluate(flights, as_of=_on(2025, 1, 31, 23), timezone=SH)
    assert (held.tier, held.counters.counts["segments"]) == ("银卡", 0)
    assert (held.since, held.valid_through) == (_on(2024, 1, 25), dt.date(2025, 1, 31))
    assert held.valid_until == dt.datetime(2025, 2, 1, tzinfo=SH)
    gone = ladder.evaluate(flights, as_of=dt.datetime(2025, 2, 1, tzinfo=SH), timezone=SH)
    assert (gone.tier, gone.history[-1].reason) == ("普卡", "downgrade")
    assert rolling.evaluate(flights, as_of=_on(2025, 1, 20), timezone=SH).tier == "银卡"
    assert rolling.evaluate(flights, as_of=_on(2025, 1, 31), timezone=SH).valid_until is None
    kept = [*flights, _flight(_on(2025, 1, 15), segments=13, yuan="20800")]
    again = ladder.evaluate(kept, as_of=_on(2025, 2, 2), timezone=SH)
    assert (again.tier, again.valid_through) == ("银卡", dt.date(2026, 1, 31))


def test_a_refund_counts_against_its_purchase_month_while_it_is_in_the_window() -> None:
    """``refunds="purchase_window"`` with calendar months: a refund of a flight still in
    the window takes it back; of a flight whose month has left the window, nothing.
    Flights of 25 January 2024 (13 segments, 20,800 yuan: 银卡) and 10 March 2024 (1
    segment, 1,600 yuan). Refunding the March flight on 31 January 2025 (window February
    2024 - January 2025, March 2024 in it): 0 segments and 0 yuan left. Refunding the
    January flight on 1 January 2025 (January 2024 out of the window): the window keeps
    the March flight's 1 segment and 1,600 yuan. 银卡 holds through 31 March 2025: the
    March flight re-qualified it (14 segments, 22,400 yuan in the window of March 2024),
    and the refund of a flight outside the window changes nothing.
    """
    ladder = TierLadder(
        tiers=_eastern().tiers, window=MONTHS, window_months=12, refunds="purchase_window"
    )
    jan = _flight(_on(2024, 1, 25), segments=13, yuan="20800")
    mar = _flight(_on(2024, 3, 10))

    def refund(of: QualifyingPosting, when: dt.datetime) -> QualifyingPosting:
        counts = {k: -v for k, v in of.counts.items()}
        return QualifyingPosting(when, spend=-of.spend, orders=-1, counts=counts, reverses=of.time)

    late = ladder.evaluate(
        [jan, mar, refund(mar, _on(2025, 1, 31))], as_of=_on(2025, 1, 31, 12), timezone=SH
    )
    assert (late.counters.counts["segments"], late.counters.spend) == (0, Decimal("0"))
    out = ladder.evaluate(
        [jan, mar, refund(jan, _on(2025, 1, 1))], as_of=_on(2025, 1, 2), timezone=SH
    )
    assert (out.tier, out.counters.counts["segments"], out.counters.spend) == (
        "银卡",
        1,
        Decimal("1600"),
    )
    assert out.valid_through == dt.date(2025, 3, 31)


def test_calendar_month_window_round_trips_and_grace_is_shorter_than_the_window() -> None:
    """The window is data like every other option: JSON round trip; ``grace_days`` must be
    shorter than the window (28 days a month), as for ``"rolling"``."""
    ladder = _eastern()
    text = json.dumps(ladder.to_dict())
    assert json.loads(text)["window"] == MONTHS
    assert TierLadder.from_dict(json.loads(text)) == ladder
    with pytest.raises(ConfigError, match="grace_days"):
        TierLadder(tiers=ladder.tiers, window=MONTHS, window_months=1, grace_days=28)
    with pytest.raises(ConfigError, match="rollover"):
        TierLadder(tiers=ladder.tiers, window=MONTHS, rollover="surplus")


# ---------------------------------------------------------------------- properties


@settings(max_examples=examples(200), deadline=None)
@given(
    postings=qualifying_postings(),
    months=st.sampled_from([1, 3, 6, 12]),
    reads=st.lists(st.integers(0, 3 * 365 * 86_400), min_size=1, max_size=5),
)
def test_calendar_months_never_count_more_than_the_exact_rolling_window(
    postings: list[QualifyingPosting], months: int, reads: list[int]
) -> None:
    """Over purchases only (no refunds), the counters of the window of the current
    calendar month and the ``months - 1`` before never exceed those of the exact rolling
    window of ``months`` months at the same instant: its start (the 1st of a month
    ``months - 1`` back) is never before ``as_of - months``."""
    tiers = [Tier(name="base"), Tier(name="top", spend="1000", counts={"nights": 5})]
    aligned = TierLadder(tiers=tiers, window=MONTHS, window_months=months)
    rolling = TierLadder(tiers=tiers, window="rolling", window_months=months)
    start = dt.datetime(2024, 1, 1)
    for seconds in reads:
        as_of = start + dt.timedelta(seconds=seconds)
        a = aligned.evaluate(postings, as_of=as_of, timezone=SH, enrolled_at=start).counters
        r = rolling.evaluate(postings, as_of=as_of, timezone=SH, enrolled_at=start).counters
        assert a.spend <= r.spend
        assert a.orders <= r.orders
        assert a.points <= r.points
        assert a.counts.get("nights", 0) <= r.counts.get("nights", 0)


@settings(max_examples=examples(150), deadline=None)
@given(
    ladder=tier_ladders(windows=(MONTHS,)),
    postings=qualifying_postings(refunds=True),
    stops=st.lists(st.integers(0, 4 * 365), max_size=6),
)
def test_calendar_months_step_by_step_equals_evaluate(
    ladder: TierLadder, postings: list[QualifyingPosting], stops: list[int]
) -> None:
    """The tracker fed posting by posting, advanced and read at random days, ends in the
    status :meth:`TierLadder.evaluate` gives; every read agrees with a fresh evaluation at
    that instant; tiers go up only at postings and down only at month starts (a validity
    end) or grace ends; JSON round trip."""
    assert TierLadder.from_dict(json.loads(json.dumps(ladder.to_dict()))) == ladder
    enrolled = dt.datetime(2024, 1, 1)
    as_of = dt.datetime(2027, 6, 1)
    tracker = ladder.tracker(enrolled, timezone=SH)
    for when, posting in _steps(postings, stops, enrolled, as_of):
        if posting is None:
            read = tracker.status(when)
            fresh = ladder.evaluate(
                [p for p in postings if p.time < when],  # a read comes before a posting
                as_of=when,
                timezone=SH,
                enrolled_at=enrolled,
            )
            assert (read.tier, read.valid_until, read.counters) == (
                fresh.tier,
                fresh.valid_until,
                fresh.counters,
            )
        else:
            tracker.post(posting)
    status = tracker.status(as_of)
    assert status == ladder.evaluate(postings, as_of=as_of, timezone=SH, enrolled_at=enrolled)
    for change in status.history[1:]:
        if change.reason == "downgrade" and not ladder.grace_days:
            local = change.time.astimezone(SH)
            assert (local.day, local.hour, local.minute) == (1, 0, 0)


@settings(max_examples=examples(120), deadline=None)
@given(
    ladder=tier_ladders(downgrades=("reevaluate", "one_down"), windows=(MONTHS,)),
    posts=qualifying_postings(),
    extra=qualifying_postings(max_size=3),
    days=st.lists(st.integers(0, 4 * 365), min_size=1, max_size=4),
)
def test_calendar_months_more_activity_never_gives_a_lower_tier(
    ladder: TierLadder,
    posts: list[QualifyingPosting],
    extra: list[QualifyingPosting],
    days: list[int],
) -> None:
    """As for the other windows the calendar fixes: more activity, never a lower tier."""
    enrolled = dt.datetime(2024, 1, 1)
    for day in days:
        as_of = enrolled + dt.timedelta(days=day)
        less = ladder.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=enrolled)
        more = ladder.evaluate([*posts, *extra], as_of=as_of, timezone=SH, enrolled_at=enrolled)
        assert ladder.rank(more.tier) >= ladder.rank(less.tier)


@st.composite
def _programs(draw: st.DrawFn) -> Program:
    ladder = draw(tier_ladders(windows=(MONTHS,)))
    top = ladder.names[-1]
    return Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                BaseRate(id="top", rate=2, when=Condition(tiers=[top])),
            ]
        ),
        expiry=draw(st.sampled_from([ExpiryPolicy.after_months(6), ExpiryPolicy.never()])),
        tiers=ladder,
        catalogue={"coupon": {"*": 300, top: 200}},
        pending_days=draw(st.sampled_from([0, 7])),
    )


@settings(max_examples=examples(80), deadline=None)
@given(program=_programs(), events=climbing_histories())
def test_calendar_months_replay_equals_apply(program: Program, events: list[Any]) -> None:
    """Under a ladder on calendar months whose tier changes the earning, folding the
    events one by one with :meth:`Program.apply` gives the state of one replay."""
    as_of = events[-1].time + dt.timedelta(days=45)
    replayed = program.replay(events, as_of=as_of, on_error="skip")
    state = program.replay([], as_of=events[0].time, on_error="skip")
    for event in events:
        state = program.apply(state, event)
    later = program.replay(list(state.events), as_of=as_of, on_error="skip")
    assert later == replayed
    assert later.tier == replayed.tier
    at_last = program.replay(events, as_of=state.as_of, on_error="skip")
    assert state == at_last
    assert state.tier == at_last.tier


@settings(max_examples=examples(10), deadline=None)
@given(seed=st.integers(0, 10_000), months=st.sampled_from([3, 12]))
def test_calendar_months_replay_many_row_equals_replay(seed: int, months: int) -> None:
    """``replay_many`` under a calendar-month ladder: each row equals the member's replay."""
    frame = datasets.loyalty_events(n_members=4, seed=seed)
    program = Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                BaseRate(id="gold", rate=1, when=Condition(tiers=["gold"])),
            ]
        ),
        pending_days=7,
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", spend="1000"),
                Tier(name="gold", spend="3000"),
            ],
            window=MONTHS,
            window_months=months,
            downgrade="one_down",
        ),
    )
    as_of = frame["time"].max()
    states = replay_many(frame, program, as_of=as_of, on_error="skip")
    for member, events in events_from_frame(frame, program).items():
        state = program.replay(events, as_of=as_of.to_pydatetime(), on_error="skip")
        row = states.loc[member]
        assert (row["tier"], row["available"], row["credited"]) == (
            state.tier_name,
            state.available,
            state.credited,
        )


def test_rolling_status_shows_the_window_ending_at_as_of() -> None:
    """Regression: a ``"rolling"`` status reported the window start of the tracker's start
    (enrolment 1 January 2020 minus 12 months: 1 January 2019) however late ``as_of``; the
    counters it shows are those of the 12 months back from ``as_of``, 1 June 2023 - 1 June
    2024, so that is the window start shown."""
    ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=2)], window="rolling")
    post = [QualifyingPosting(dt.datetime(2024, 3, 1), orders=1)]
    status = ladder.evaluate(
        post, as_of=dt.datetime(2024, 6, 1), timezone="UTC", enrolled_at=dt.datetime(2020, 1, 1)
    )
    assert (status.window_start, status.window_end, status.counters.orders) == (
        dt.datetime(2023, 6, 1, tzinfo=dt.UTC),
        None,
        1,
    )


# ------------------------------------------------ Delta: MQDs without miles (item 2)


def _delta() -> Program:
    """Delta SkyMiles Medallion, Delta's own overview page (https://nl.delta.com/us/nl/
    skymiles/medallion-program/overview): "Silver $5,000 MQDs, Gold $10,000 MQDs";
    5 miles a dollar on fares (tests/loyalty/test_published_programs.py::_delta); status
    earned in a calendar year holds through January of the year after next
    (``validity_extra_months=1``). The co-branded card's status credit is an
    :class:`Adjust` carrying ``spend`` (MQDs) and no miles, or the card's own miles.
    """
    return Program(
        currency="USD",
        timezone="America/New_York",
        earning=EarningScheme(rules=[BaseRate(id="miles", rate=5)]),
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", spend="5000"),
                Tier(name="gold", spend="10000"),
            ],
            validity_extra_months=1,
        ),
        expiry=ExpiryPolicy.never(),
    )


def _headstart(year: int) -> Adjust:
    return Adjust(
        f"hs-{year}",
        dt.datetime(year, 1, 1, 0, 1, tzinfo=NY),
        points=0,
        reason="mqd_headstart",
        spend="2500",
    )


def test_delta_mqd_head_start_counts_toward_status_without_miles() -> None:
    """American Express, Delta SkyMiles Platinum card terms, "Medallion Qualification
    Dollar Boost + MQD Headstart" (https://americanexpress.com/en-us/campaigns/
    small-business/credit-cards/delta-platinum/upgrade-offer): "Receive $2,500 Medallion
    Qualification Dollars each Medallion Qualification Year and earn $1 MQD for each $20
    on purchases"; Delta's overview page says the same of the Platinum and Reserve cards.

    By hand: $2,500 head start on 1 January 2024 (no miles); a $1,500 fare on 1 March
    2024: 1,500 x 5 = 7,500 miles, MQDs 2,500 + 1,500 = 4,000: still a General Member.
    The card's statement of 30 June 2024, $20,000 of purchases: 20,000 miles (1 a dollar)
    and $20,000 / 20 = $1,000 MQD Boost, one adjustment: MQDs 5,000, Silver on 30 June
    2024, through 31 January 2026. Miles 7,500 + 20,000 = 27,500. One order (the fare):
    the credits are no orders. Without the head start the fare and the boost make 1,500 +
    1,000 = 2,500 MQDs: member. On 2 January 2025 the member is Silver (held) and the new
    year's counters hold its head start alone, 2,500 MQDs.
    """
    fare = Purchase(
        "t1", dt.datetime(2024, 3, 1, 9, tzinfo=NY), lines=[PurchaseLine("fare", "1500")]
    )
    boost = Adjust(
        "card-2024-06",
        dt.datetime(2024, 6, 30, 18, tzinfo=NY),
        points=20_000,
        reason="card_statement",
        spend="1000",
    )
    program = _delta()
    events = [_headstart(2024), fare, boost, _headstart(2025)]
    march = program.replay(events[:2], as_of=dt.datetime(2024, 3, 2, tzinfo=NY))
    assert (march.available, march.tier_name) == (7_500, "member")
    assert march.tier is not None
    assert march.tier.counters.spend == Decimal("4000")
    state = program.replay(events[:3], as_of=dt.datetime(2024, 12, 31, tzinfo=NY))
    assert state.tier is not None
    assert (state.available, state.tier_name, state.tier.valid_through) == (
        27_500,
        "silver",
        dt.date(2026, 1, 31),
    )
    assert state.tier.since == dt.datetime(2024, 6, 30, 18, tzinfo=NY)
    assert (state.tier.counters.spend, state.tier.counters.orders) == (Decimal("5000"), 1)
    assert [(q.spend, q.points, q.orders) for q in state.qualifying] == [
        (Decimal("2500"), 0, 0),
        (Decimal("1500"), 7_500, 1),
        (Decimal("1000"), 0, 0),
    ]
    # The head start posts no points: only the fare's earning and the card's miles.
    assert [(p.kind, p.points, p.event_id) for p in state.postings] == [
        ("earn", 7_500, "t1"),
        ("adjust", 20_000, "card-2024-06"),
    ]
    alone = program.replay([fare, boost], as_of=dt.datetime(2024, 12, 31, tzinfo=NY))
    assert alone.tier is not None
    assert alone.tier.counters.spend == Decimal("2500")
    assert alone.tier_name == "member"
    next_year = program.replay(events, as_of=dt.datetime(2025, 1, 2, tzinfo=NY))
    assert next_year.tier is not None
    assert (next_year.tier_name, next_year.tier.counters.spend) == ("silver", Decimal("2500"))


def test_delta_head_start_from_an_events_table_and_json() -> None:
    """The same credits as table rows (``spend`` on adjust rows, ``points`` empty) and as
    JSON: ``replay_many`` and ``event_from_dict`` give what the objects give."""
    program = _delta()
    table = pd.DataFrame(
        {
            "member_id": ["m", "m", "m"],
            "event_id": ["hs-2024", "t1", "card-2024-06"],
            "time": ["2024-01-01 00:01", "2024-03-01 09:00", "2024-06-30 18:00"],
            "kind": ["adjust", "purchase", "adjust"],
            "amount": [None, "1500", None],
            "points": pd.array([None, None, 20_000], dtype="Int64"),
            "reason": ["mqd_headstart", None, "card_statement"],
            "spend": ["2500", None, "1000"],
        }
    )
    as_of = dt.datetime(2024, 12, 31, tzinfo=NY)
    row = replay_many(table, program, as_of=as_of).loc["m"]
    assert (row["available"], row["tier"], row["tier_since"]) == (
        27_500,
        "silver",
        pd.Timestamp("2024-06-30 18:00", tz=NY),
    )
    events = events_from_frame(table, program)["m"]
    assert events[0] == _headstart(2024)
    assert [event_from_dict(json.loads(json.dumps(e.to_dict()))) for e in events] == events
    assert program.replay(events, as_of=as_of).tier_name == "silver"
