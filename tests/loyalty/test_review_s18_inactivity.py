"""Session 18 review: inactivity expiry as Qantas Frequent Flyer and Cathay's Asia Miles
publish it, and a fix: a credit with an expiry of its own outlives the inactivity deadline.

The fix. Under an inactivity policy the fold took *every* usable lot at the deadline,
those with a kept expiry of their own (``Adjust(expires_at=...)``) too, while every report
(``MemberState.lots``, ``expiring``, ``replay_many``'s ``expiring`` and ``next_expiry``,
``points_liability``) showed such a lot at its own date: the balance and the reports
disagreed. Cathay's rule says which is right: when Asia Miles moved to an activity-based
rule, "Miles credited on or before December 31, 2019, will follow the existing mileage
expiration policy" (three years; Cathay's announcement as quoted at
https://onemileatatime.com/cathay-pacific-asia-miles-expiration/; "All miles credited on
or before 31 December 2019 will continue to follow the previous expiry procedure",
Cathay's FAQ, https://cathaypacific.com/content/cx/es_ES/faqs/cathay-membership-programme/
new-expiry-arrangement/what-is-the-new-change-on-the-expiry-rule-of-asia-miles.html). The
ledger already said a kept expiry "replaces the policy's" when it credits one; now the
deadline leaves such lots to their own dates, as the reports showed.

Qantas. Published rules crmkit cannot express: the Loyalty Bonus ("8,000 Qantas Points
for every 500 Status Credits earned on flights with a Qantas or Jetstar ... flight number
within a single membership year - up to a maximum of four Loyalty Bonuses": a bonus on a
qualifying counter's milestones, not on an order); a membership year that starts on the
1st of each member's join month is a per-member ``year_start_month`` (one program per
join month), not a program-wide window (``window="anniversary"`` starts on the join day).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import (
    Adjust,
    ExpiryPolicy,
    Program,
    Qualification,
    Redeem,
    Tier,
    TierLadder,
    points_liability,
    replay_many,
)
from tests.loyalty._tables import events_table
from tests.loyalty.test_ledger_properties import check_state
from tests.strategies import examples

SYD = zoneinfo.ZoneInfo("Australia/Sydney")
HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
_COUNTS = ("sc", "qf_flights")


def _syd(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SYD)


def _row(program: Program, events: list[Any], as_of: dt.datetime, **kw: Any) -> Any:
    table = events_table({"m": events}, columns=_COUNTS)
    return replay_many(table, program, as_of=as_of, counts=list(_COUNTS), **kw).loc["m"]


def _stepped_equals_replay(program: Program, events: list[Any], as_of: dt.datetime) -> None:
    state = program.replay(events, as_of=as_of)
    stepped = program.replay([], as_of=events[0].time)
    for event in sorted(events, key=lambda e: e.time):
        stepped = program.apply(stepped, event)
    assert program.replay(stepped.events, as_of=as_of) == state


# ----------------------------------------------------------------- Qantas Frequent Flyer


def _qantas(join_month: int) -> Program:
    """Qantas Frequent Flyer, for members who joined in ``join_month``.

    - Points, the terms (https://vdocuments.net/1-introduction-qantas-money.html, clause 2
      definitions): an "'Active Member' ... has earned or redeemed Qantas Points or Status
      Credits (excluding any transfer of Points to or from an Eligible Family Member ...)
      on their Membership Account within the previous consecutive 18 whole month period";
      "Qantas points expire after 18 months of account inactivity"
      (https://www.australianfrequentflyer.com.au/qantas-points-expiry-unfair/).
    - Status, Qantas' FAQ (https://www.qantaspoints.com/web/qantas-points-r2/about/faq/-/
      faq/245_STATUS_CREDITS_HOW_TO_EARN): "Status Credits don't expire but are reset at
      the start of the membership year. All Status Credits earned since joining the
      program are added together and count towards your Lifetime Status Credit total ...
      if your membership year is from 1 April until 31 March ... your Status Credits
      balance will reset to zero on 1 April the following year". Qantas' status page
      (https://www.qantas.com.au/fflyer/dyn/program/status-credits): "provided you have
      travelled a minimum of four eligible Qantas, Qantas Link or Jetstar flights during
      your membership year, you will automatically move up"; "You will retain any new
      status for at least 12 months". Thresholds, as tabulated at
      https://cal9.calculator.city/qantas-calculator-status-credits: Silver 300 to
      achieve, 250 to maintain; Gold 700 / 600; Platinum 1,400 / 1,200.
    """

    def tier(name: str, achieve: int, keep: int) -> Tier:
        # Every level needs the same 4 flights: under combine="all" a threshold may stay
        # the same up the ladder while another (status credits) rises.
        return Tier(
            name=name,
            counts={"sc": achieve, "qf_flights": 4},
            keep=[Qualification(counts={"sc": keep, "qf_flights": 4})],
        )

    return Program(
        name="Qantas Frequent Flyer",
        currency="AUD",
        timezone="Australia/Sydney",
        tiers=TierLadder(
            tiers=[
                Tier(name="bronze"),
                tier("silver", 300, 250),
                tier("gold", 700, 600),
                tier("platinum", 1_400, 1_200),
            ],
            combine="all",
            year_start_month=join_month,
        ),
        expiry=ExpiryPolicy.inactivity(
            18,
            "months",
            activity=("purchase", "redeem", "adjust"),
            ignore_reasons=("family_transfer_in", "family_transfer_out"),
        ),
    )


def _flight(event_id: str, when: dt.datetime, points: int, sc: int) -> Adjust:
    return Adjust(
        event_id, when, points=points, reason="flight", counts={"sc": sc, "qf_flights": 1}
    )


_FLIGHTS = [
    # Membership year 1 April 2023 - 31 March 2024: 5 x 60 = 300 status credits.
    *(_flight(f"a{m}", _syd(2023 + (m < 4), m, 10), 1_500, 60) for m in (5, 7, 9, 11, 1)),
    # 2024/25: 4 x 65 = 260 (>= 250 to maintain, 4 flights).
    *(_flight(f"b{m}", _syd(2024 + (m < 4), m, 10), 1_500, 65) for m in (6, 8, 10, 2)),
    # 2025/26: 3 x 100 = 300, but only three flights.
    *(_flight(f"c{m}", _syd(2025 + (m < 4), m, 10), 2_000, 100) for m in (5, 9, 2)),
    # A status-credit bonus without points (activity: it earns status credits).
    Adjust("sc-bonus", _syd(2026, 3, 20), points=0, reason="status_credit", counts={"sc": 20}),
    # Family points: never activity.
    Adjust("family", _syd(2027, 6, 1), points=5_000, reason="family_transfer_in"),
]


def test_qantas_status_by_membership_year_from_1_april_with_four_flights() -> None:
    """A member who joined in April (membership year 1 April - 31 March). 2023/24: five
    flights of 60 status credits; the fourth leaves 240 < 300, the fifth (10 January 2024)
    makes 300 with 5 >= 4 flights: Silver, held through the next membership year, to
    31 March 2025. 2024/25: 260 status credits on 4 flights, at least 250 and 4 to
    maintain: Silver through 31 March 2026. 2025/26: 300 + 20 = 320 status credits but
    3 flights: Bronze from 1 April 2026. Counters reset on 1 April; the lifetime total
    keeps them all: 300 + 260 + 320 = 880."""
    program = json_round_trip(_qantas(4))
    first = program.replay(_FLIGHTS, as_of=_syd(2024, 1, 9))
    assert first.tier is not None
    assert (first.tier.tier, first.tier.counters.counts) == (
        "bronze",
        {"qf_flights": 4, "sc": 240},
    )
    reached = program.replay(_FLIGHTS, as_of=_syd(2024, 1, 10, 13))
    assert reached.tier is not None
    assert (reached.tier.tier, reached.tier.since, reached.tier.valid_through) == (
        "silver",
        _syd(2024, 1, 10),
        dt.date(2025, 3, 31),
    )
    kept = program.replay(_FLIGHTS, as_of=dt.date(2025, 4, 1))
    assert kept.tier is not None
    assert (kept.tier.tier, kept.tier.valid_through) == ("silver", dt.date(2026, 3, 31))
    assert kept.tier.window_start == dt.datetime(2025, 4, 1, tzinfo=SYD)
    assert kept.tier.counters.counts == {"qf_flights": 0, "sc": 0}
    lost = program.replay(_FLIGHTS, as_of=dt.date(2026, 4, 1))
    assert lost.tier is not None
    assert [(c.time.date(), c.new, c.reason) for c in lost.tier.history[1:]] == [
        (dt.date(2024, 1, 10), "silver", "upgrade"),
        (dt.date(2026, 4, 1), "bronze", "downgrade"),
    ]
    assert lost.tier.lifetime.counts == {"qf_flights": 12, "sc": 880}


def test_qantas_points_live_18_months_after_the_last_earning_family_transfers_aside() -> None:
    """Points earned: 5 x 1,500 + 4 x 1,500 + 3 x 2,000 = 19,500. The last activity is
    the status-credit bonus of 20 March 2026 (status credits earned, no points): 18 months
    on is 20 September 2027, the last day. The 5,000 points a family member transfers on
    1 June 2027 are not activity: they go with the rest at 21 September 2027 00:00 Sydney
    time. On 1 September 2027 the 30-day reminder counts all 24,500; ``replay_many``
    reads the same, and so does ``Program.apply`` event by event."""
    program = _qantas(4)
    early = program.replay(_FLIGHTS, as_of=_syd(2027, 9, 1))
    assert early.available == 24_500
    assert {lot.expires_at for lot in early.lots} == {dt.datetime(2027, 9, 21, tzinfo=SYD)}
    assert early.expiring(30) == 24_500
    row = _row(program, _FLIGHTS, _syd(2027, 9, 1), expiring_days=30)
    assert (row["available"], row["expiring"], row["next_expiry"]) == (
        24_500,
        24_500,
        dt.datetime(2027, 9, 21, tzinfo=SYD),
    )
    assert (row["tier"], row["tier_since"]) == ("bronze", early.tier.since)  # type: ignore[union-attr]
    last = program.replay(_FLIGHTS, as_of=dt.datetime(2027, 9, 20, 23, 59, tzinfo=SYD))
    assert last.available == 24_500
    gone = program.replay(_FLIGHTS, as_of=dt.datetime(2027, 9, 21, tzinfo=SYD))
    assert (gone.available, gone.expired) == (0, 24_500)
    _stepped_equals_replay(program, _FLIGHTS, _syd(2027, 9, 1))


def json_round_trip(program: Program) -> Program:
    """The program read back from its JSON text (equal to it)."""
    again = Program.from_dict(json.loads(json.dumps(program.to_dict(), sort_keys=True)))
    assert again == program
    return again


# ------------------------------------------------- kept expiries beside an inactivity rule


def _cathay() -> Program:
    """Asia Miles from 1 January 2020: "Asia Miles won't expire as long as members have at
    least some qualifying activity every 18 months"; "Virtually any mileage earning or
    redeeming activity would be considered qualifying" (One Mile at a Time, above)."""
    return Program(
        timezone="Asia/Hong_Kong",
        expiry=ExpiryPolicy.inactivity(18, "months", activity=("adjust", "redeem")),
    )


#: 10,000 time-based miles of 15 December 2019 (three years: through 15 December 2022),
#: 3,000 activity-based miles of 1 February 2020, an award of 4,000 on 1 April 2020.
_TIME_BASED = dt.datetime(2022, 12, 16, tzinfo=HK)
_ASIA_MILES = [
    Adjust(
        "tb",
        dt.datetime(2019, 12, 15, 9, tzinfo=HK),
        points=10_000,
        reason="flight",
        expires_at=_TIME_BASED,
    ),
    Adjust("ab", dt.datetime(2020, 2, 1, 9, tzinfo=HK), points=3_000, reason="flight"),
    Redeem("award", dt.datetime(2020, 4, 1, 9, tzinfo=HK), points=4_000),
]


def test_time_based_miles_outlive_the_activity_deadline() -> None:
    """Regression. The award (soonest expiry first) takes 4,000 of the time-based miles:
    6,000 of them and the 3,000 activity-based miles are left. The award is the last
    activity: the activity-based miles last 18 months, through 1 October 2021 (gone
    2 October 2021 00:00); the time-based ones keep their own date, through 15 December
    2022. Before the fix the fold expired all 9,000 on 2 October 2021 while the lot, the
    30-day reminder and ``replay_many`` still showed the 6,000 due in December 2022.

    On 1 December 2022: 6,000 left, all of them in the 30-day reminder and in the
    liability's 2022-12 row; ``replay_many`` and ``apply`` agree; on 16 December 2022
    they expire too (9,000 expired in all)."""
    program = _cathay()
    after = program.replay(_ASIA_MILES, as_of=dt.datetime(2021, 10, 3, tzinfo=HK))
    check_state(after)
    assert [(lot.lot_id, lot.remaining, lot.expired) for lot in after.lots] == [
        ("tb", 6_000, 0),
        ("ab", 0, 3_000),
    ]
    assert after.lots[0].expires_at == _TIME_BASED
    december = dt.datetime(2022, 12, 1, tzinfo=HK)
    late = program.replay(_ASIA_MILES, as_of=december)
    assert (late.available, late.expired, late.expiring(30)) == (6_000, 3_000, 6_000)
    table = points_liability([late], as_of=december)
    assert table[["expires", "points"]].values.tolist() == [["2022-12", 6_000]]
    row = _row(program, _ASIA_MILES, december, expiring_days=30)
    assert (row["available"], row["expired"], row["expiring"], row["next_expiry"]) == (
        6_000,
        3_000,
        6_000,
        _TIME_BASED,
    )
    _stepped_equals_replay(program, _ASIA_MILES, december)
    end = program.replay(_ASIA_MILES, as_of=_TIME_BASED)
    assert (end.available, end.expired) == (0, 9_000)


@settings(max_examples=examples(30), deadline=None)
@given(
    kept_days=st.integers(1, 1_500),
    activity_days=st.lists(st.integers(0, 900), max_size=4),
    months=st.integers(1, 24),
    later=st.integers(0, 2_000),
)
def test_a_kept_expiry_is_its_lots_only_end_under_an_inactivity_policy(
    kept_days: int, activity_days: list[int], months: int, later: int
) -> None:
    """Whatever the activity: a lot credited with an expiry of its own holds all its
    points before that instant and none from it, shows that date while it lives, and the
    fold, the reports (``expiring``, ``replay_many``) and ``apply`` agree."""
    t0 = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
    own = t0 + dt.timedelta(days=kept_days)
    program = Program(
        expiry=ExpiryPolicy.inactivity(months, "months", activity=("adjust", "redeem"))
    )
    events: list[Any] = [Adjust("kept", t0, points=700, reason="migrated", expires_at=own)]
    events += [
        Adjust(f"a{i}", t0 + dt.timedelta(days=day, hours=1), points=100, reason="flight")
        for i, day in enumerate(activity_days)
    ]
    as_of = t0 + dt.timedelta(days=later, hours=2)
    state = program.replay(events, as_of=as_of)
    check_state(state)
    kept = state.lots[0]
    assert kept.lot_id == "kept"
    assert kept.remaining == (700 if as_of < own else 0)
    assert kept.expires_at == own
    for days in (30, 365):
        row = _row(program, events, as_of, expiring_days=days)
        assert (row["available"], row["expired"]) == (state.available, state.expired)
        assert row["expiring"] == state.expiring(days)
    _stepped_equals_replay(program, events, as_of)
