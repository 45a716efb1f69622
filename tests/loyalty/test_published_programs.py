"""Whole programs written from their published terms and replayed over a member's history:
IHG One Rewards, Delta SkyMiles Medallion, Marriott Bonvoy's elite earning bonus and China
Eastern Eastern Miles' qualification ways.

Each test quotes the clause with the address it was read at (the programme's own page, or a
page quoting it: said so) and checks balances, tiers, validity and expiry by hand.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    BaseRate,
    Condition,
    EarningScheme,
    ExpiryPolicy,
    Privilege,
    PrivilegeSet,
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    Refund,
    Tier,
    TierLadder,
)

NY = zoneinfo.ZoneInfo("America/New_York")


def _stay(event_id: str, when: dt.datetime, usd: str, nights: int) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("room", usd)], counts={"nights": nights})


def _on(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=NY)


# ------------------------------------------------------------------------- IHG One Rewards


def _ihg() -> Program:
    """IHG One Rewards, from IHG's own tier page (https://qap.www.ihg.com/onerewards/content/
    us/en/tier-benefits): "Qualified Nights or Qualified Points: Silver Elite 10; Gold Elite
    20 or 40,000; Platinum Elite 40 or 60,000; Diamond Elite 70 or 120,000", "Earn Bonus
    Points: 20% / 40% / 60% / 100%", "Points Don't Expire: ... Included in Silver Elite"
    and up. "'Qualifying points' only refers to base points earned and does not include
    bonus points"; "The nights and base points are calculated on a calendar year basis";
    status "remains good for the current year as well as the full following year"
    (https://www.milescop.com/ihg-rewards/ihg-reward-status-levels and .../ihg-rewards-
    levels). Club members: "at least one earn or redeem transaction posted to your account
    every twelve (12) months"; "all of your points may expire twelve (12) months after
    your account moves to Club level from an Elite level without earn or redeem activity"
    (IHG's terms, quoted at https://awardwallet.com/blog/ihg-rewards-club-points-expire/).
    10 base points per US dollar (Holiday Inn, InterContinental, ...).
    """
    elite = ("silver", "gold", "platinum", "diamond")
    ladder = TierLadder(
        tiers=[
            Tier(name="club"),
            # Silver has no points way: its one threshold is an alternative.
            Tier(name="silver", alternatives=[Qualification(counts={"nights": 10})]),
            Tier(name="gold", points=40_000, counts={"nights": 20}),
            Tier(name="platinum", points=60_000, counts={"nights": 40}),
            Tier(name="diamond", points=120_000, counts={"nights": 70}),
        ],
        combine="any",
        window="calendar_year",
    )
    bonus = PrivilegeSet(
        [
            Privilege(
                id=f"{tier}-bonus",
                kind="earning_multiplier",
                value=factor,
                tiers=[tier],
                qualifying=False,
            )
            for tier, factor in zip(elite, ("1.2", "1.4", "1.6", "2"), strict=True)
        ]
    )
    expiry = ExpiryPolicy.inactivity(12, "months", activity=("purchase", "redeem")).per_tier(
        {tier: ExpiryPolicy.never() for tier in elite}
    )
    return Program(
        currency="USD",
        timezone="America/New_York",
        earning=EarningScheme.base_rate(10),
        tiers=ladder,
        privileges=bonus,
        expiry=expiry,
    )


def _ihg_year() -> list[Purchase]:
    return [
        _stay("s1", _on(2024, 3, 1), "1000", 5),
        _stay("s2", _on(2024, 5, 1), "1000", 5),  # 10 nights: Silver
        _stay("s3", _on(2024, 6, 1), "1000", 5),  # +20 %
        _stay("s4", _on(2024, 7, 1), "2000", 5),  # +20 %; 20 nights, 50,000 base: Gold
        _stay("s5", _on(2024, 8, 1), "1000", 2),  # +40 %; 60,000 base points: Platinum
    ]


def test_ihg_nights_or_base_points_with_the_elite_bonus() -> None:
    """Five stays in 2024 (IHG terms above). Base points 10 per dollar: 10,000, 10,000,
    10,000, 20,000, 10,000. Silver on the 2nd stay (10 nights; Silver has no points way);
    the 3rd and 4th earn Silver's 20 % (2,000 and 4,000); the 4th makes 20 nights: Gold;
    the 5th earns Gold's 40 % (4,000) and brings the base points to 60,000: Platinum on
    points alone (22 nights < 40). The bonus does not qualify: 60,000, not 70,000.
    Balance 60,000 + 2,000 + 4,000 + 4,000 = 70,000; Platinum through 31 December 2025.
    """
    state = _ihg().replay(_ihg_year(), as_of=_on(2024, 12, 31))
    assert state.tier is not None
    assert [(c.time.date(), c.new) for c in state.tier.history[1:]] == [
        (dt.date(2024, 5, 1), "silver"),
        (dt.date(2024, 7, 1), "gold"),
        (dt.date(2024, 8, 1), "platinum"),
    ]
    assert (state.tier.counters.points, state.tier.counters.counts) == (60_000, {"nights": 22})
    bonus = [(p.event_id, p.points) for p in state.postings if p.rule.startswith("privilege:")]
    assert bonus == [("s3", 2_000), ("s4", 4_000), ("s5", 4_000)]
    assert (state.available, state.tier.valid_through) == (70_000, dt.date(2025, 12, 31))


def test_ihg_points_never_expire_for_elites_then_twelve_months_after_moving_to_club() -> None:
    """IHG (above): while Platinum (through 31 December 2025) nothing expires, though the
    last activity was 1 August 2024 (a Club member's points would have expired on
    2 August 2025). The account moves to Club on 1 January 2026; with no earn or redeem
    since, "twelve (12) months after" that is 1 January 2027, the last day (the
    convention of every inactivity deadline: day D + 12 months, end of day); the 70,000
    expire at 2 January 2027 00:00 New York time.
    """
    program, history = _ihg(), _ihg_year()
    elite = program.replay(history, as_of=_on(2025, 12, 31, 23))
    assert (elite.tier_name, elite.available, elite.expired) == ("platinum", 70_000, 0)
    club = program.replay(history, as_of=_on(2026, 12, 31, 23))
    assert (club.tier_name, club.available) == ("club", 70_000)
    last_day = program.replay(history, as_of=dt.datetime(2027, 1, 1, 23, 59, tzinfo=NY))
    gone = program.replay(history, as_of=dt.datetime(2027, 1, 2, tzinfo=NY))
    assert (last_day.available, gone.available, gone.expired) == (70_000, 0, 70_000)


def test_a_tier_reached_another_way_is_pointed_to_alternatives() -> None:
    """Writing IHG Silver as ``Tier(counts={"nights": 10})`` beside tiers on nights or points
    is refused (the ladder compares like with like); the message says how to write it."""
    with pytest.raises(ConfigError, match=r"alternatives=\[Qualification"):
        TierLadder(
            tiers=[
                Tier(name="club"),
                Tier(name="silver", counts={"nights": 10}),
                Tier(name="gold", points=40_000, counts={"nights": 20}),
            ]
        )


# ------------------------------------------------------------- Delta SkyMiles Medallion


def _delta() -> Program:
    """Delta SkyMiles Medallion, Delta's own overview page (https://nl.delta.com/us/nl/
    skymiles/medallion-program/overview): "Below are our thresholds to earn toward 2025
    Medallion Status ... Silver $5,000 MQDs, Gold $10,000 MQDs, Platinum $15,000 MQDs,
    Diamond $28,000 MQDs", earned on the calendar year's spend ("Flying with Delta ($1 MQD
    per US dollar spent)", https://vcptravel.com/2023/09/25/upcoming-changes-to-delta-
    medallion-status-sky-club-access/amp). The Medallion year: "Starting in 2016, the
    Medallion year will begin February 1 and subsequently, the 2015 Medallion year will
    end on January 31, 2016" (Delta's SkyMiles updates page, quoted at https://
    onemileatatime.boardingarea.com/2014/02/03/delta-mqd/): status earned in year N holds
    through 31 January of N + 2 (``validity_extra_months=1``). Miles: 5 a dollar, Silver
    Medallion members "earn seven miles per dollar spent on Delta flights"
    (https://tl.tvmoviesgames.com/17932959-does-medallion-status-expire). A cancelled
    ticket takes its MQDs back and, read against its own year (``refunds="net"``), the
    upgrade it made.
    """
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", spend="5000"),
            Tier(name="gold", spend="10000"),
            Tier(name="platinum", spend="15000"),
            Tier(name="diamond", spend="28000"),
        ],
        validity_extra_months=1,
        refunds="net",
    )
    earning = EarningScheme(
        rules=[
            BaseRate(id="miles", rate=5),
            BaseRate(id="silver-miles", rate=2, when=Condition(tiers=["silver"])),
        ]
    )
    return Program(
        currency="USD",
        timezone="America/New_York",
        earning=earning,
        tiers=ladder,
        expiry=ExpiryPolicy.never(),
    )


def _tickets() -> list[Purchase]:
    def ticket(event_id: str, when: dt.datetime, usd: str) -> Purchase:
        return Purchase(event_id, when, lines=[PurchaseLine("fare", usd)])

    return [
        ticket("t1", _on(2024, 2, 29, 9), "4000"),
        ticket("t2", _on(2024, 3, 10, 9), "1500"),  # 5,500 MQD: Silver
        ticket("t3", _on(2024, 4, 10, 9), "1000"),  # 7 miles a dollar
        ticket("t4", _on(2024, 11, 10, 9), "4000"),  # 10,500 MQD: Gold
    ]


def test_delta_mqd_status_through_31_january_two_years_later() -> None:
    """Delta (above). Miles: 4,000 x 5 = 20,000 and 1,500 x 5 = 7,500 as a General Member;
    then Silver: 1,000 x 7 = 7,000 and 4,000 x 7 = 28,000 (the ticket that makes Gold earns
    at the tier held when it is bought): 62,500. MQDs 10,500: Gold from 10 November 2024,
    valid through 31 January 2026 (2024 a leap year changes nothing); on 1 February 2026,
    with no 2025 MQDs, back to General Member.
    """
    program = _delta()
    state = program.replay(_tickets(), as_of=_on(2024, 12, 31))
    assert state.tier is not None
    assert (state.available, state.tier_name, state.tier.valid_through) == (
        62_500,
        "gold",
        dt.date(2026, 1, 31),
    )
    assert program.replay(_tickets(), as_of=_on(2026, 1, 31, 23)).tier_name == "gold"
    after = program.replay(_tickets(), as_of=dt.datetime(2026, 2, 1, 0, 0, 1, tzinfo=NY))
    assert after.tier_name == "member"


def test_delta_a_cancelled_ticket_takes_back_its_miles_and_the_upgrade() -> None:
    """Cancelling ticket t2 (1,500 MQD, 7,500 miles) on 20 November 2024: 9,000 MQD < 10,000,
    so the Gold upgrade of 10 November is undone (reason "refund"), back to Silver (9,000 >=
    5,000), valid through 31 January 2026; 62,500 - 7,500 = 55,000 miles. Cancelled in
    January 2025 instead, the 2024 year has closed: Gold stays.
    """
    program = _delta()
    same_year = [*_tickets(), Refund("c2", _on(2024, 11, 20, 9), "t2")]
    state = program.replay(same_year, as_of=_on(2024, 12, 31))
    assert state.tier is not None
    assert (state.available, state.reversed, state.tier_name) == (55_000, 7_500, "silver")
    assert state.tier.counters.spend == 9_000
    assert state.tier.history[-1].reason == "refund"
    assert state.tier.valid_through == dt.date(2026, 1, 31)
    late = [*_tickets(), Refund("c2", _on(2025, 1, 20, 9), "t2")]
    assert program.replay(late, as_of=_on(2025, 2, 1)).tier_name == "gold"


# ------------------------------------------------------------ Marriott Bonvoy elite bonus


def test_marriott_elite_bonus_on_base_points() -> None:
    """Marriott Bonvoy: "The majority of Marriott's properties award 10 points per dollar
    spent ... On top of base points, elite members earn a bonus percentage: Silver Elite:
    10% bonus points, Gold Elite: 25%, Platinum Elite: 50%, Titanium Elite: 75%,
    Ambassador Elite: 75%" (https://www.dailydrop.com/pages/marriott-bonvoy-guide; the same
    table at https://upgradedpoints.com/travel/marriott-elite-status-benefits/); "Silver
    Elite (10-24 nights)", "Gold Elite (25-49 nights)", "Platinum Elite (50-74 nights)".

    $2,000 for 10 nights: 20,000 base, Silver after. $3,000 for 15 nights: 30,000 + 10 %
    = 3,000, Gold after (25 nights). $3,000 for 25 nights: 30,000 + 25 % = 7,500, Platinum
    after (50). $1,000 for 3 nights: 10,000 + 50 % = 5,000. Balance 20,000 + 33,000 +
    37,500 + 15,000 = 105,500.
    """
    bonus = [("silver", "1.1"), ("gold", "1.25"), ("platinum", "1.5"), ("titanium", "1.75")]
    program = Program(
        currency="USD",
        timezone="America/New_York",
        earning=EarningScheme.base_rate(10),
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", counts={"nights": 10}),
                Tier(name="gold", counts={"nights": 25}),
                Tier(name="platinum", counts={"nights": 50}),
                Tier(name="titanium", counts={"nights": 75}),
            ],
            validity_extra_months=2,
        ),
        privileges=PrivilegeSet(
            [
                Privilege(id=f"{tier}-bonus", kind="earning_multiplier", value=v, tiers=[tier])
                for tier, v in bonus
            ]
        ),
    )
    stays = [
        _stay("s1", _on(2023, 3, 1), "2000", 10),
        _stay("s2", _on(2023, 6, 1), "3000", 15),
        _stay("s3", _on(2023, 9, 1), "3000", 25),
        _stay("s4", _on(2024, 2, 29), "1000", 3),
    ]
    state = program.replay(stays, as_of=_on(2024, 3, 1))
    earned = [(p.event_id, p.rule, p.points) for p in state.postings]
    assert earned == [
        ("s1", "base", 20_000),
        ("s2", "base", 30_000),
        ("s2", "privilege:silver-bonus", 3_000),
        ("s3", "base", 30_000),
        ("s3", "privilege:gold-bonus", 7_500),
        ("s4", "base", 10_000),
        ("s4", "privilege:platinum-bonus", 5_000),
    ]
    assert state.available == 105_500
    assert state.tier is not None
    # Platinum reached in 2023: through the February two years later, 28 February 2025.
    assert (state.tier_name, state.tier.valid_through) == ("platinum", dt.date(2025, 2, 28))


# --------------------------------------------------- China Eastern: two ways, each an AND


def test_china_eastern_segments_or_miles_each_with_the_yearly_spend() -> None:
    """China Eastern Eastern Miles (东方万里行), its own member-level page
    (https://www.ceair.com/global/easternmiles/zh/independent/levelAgreement/index.html):
    "会员在连续的12个自然月之内,累计的定级次数+年消费金额或者定级里程+年消费金额满足以下标准,
    即可升级" (segments + yearly spend, or qualifying miles + yearly spend); the 2025 standard:
    银卡 13 segments / 15,000 miles / 20,000 yuan; 金卡 25 / 25,000 / 40,000; 白金卡 45 /
    55,000 / 100,000; and "年消费金额为必要条件,定级次数或定级里程为二选一条件" (the spend is
    required, segments or miles one of the two). Each card is two ways, each an AND.

    30 segments and 30,000 miles but 39,999 yuan: 金卡 fails on spend, 银卡 (20,000 with 13
    segments); 40,000 yuan: 金卡. 60,000 miles and 99,999 yuan: 金卡 (白金 needs 100,000);
    12 segments, 14,999 miles and 1,000,000 yuan: neither way to 银卡, the base level.
    """

    def card(name: str, segments: int, miles: int, spend: str) -> Tier:
        return Tier(
            name=name,
            alternatives=[
                Qualification(spend=spend, counts={"segments": segments}),
                Qualification(spend=spend, counts={"miles": miles}),
            ],
        )

    ladder = TierLadder(
        tiers=[
            Tier(name="star"),
            card("silver", 13, 15_000, "20000"),
            card("gold", 25, 25_000, "40000"),
            card("platinum", 45, 55_000, "100000"),
        ]
    )
    both = {"segments": 30, "miles": 30_000}
    assert ladder.qualify(spend="39999", counts=both) == "silver"
    assert ladder.qualify(spend="40000", counts=both) == "gold"
    assert ladder.qualify(spend="99999", counts={"segments": 0, "miles": 60_000}) == "gold"
    assert ladder.qualify(spend="100000", counts={"segments": 0, "miles": 60_000}) == "platinum"
    assert ladder.qualify(spend="1000000", counts={"segments": 12, "miles": 14_999}) == "star"
