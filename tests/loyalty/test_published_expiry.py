"""Points expiry as real programmes publish it (issue 14, rules 5 and 6, and lot expiry).

Each test quotes the programme's clause with the address it was read at (the programme's
own page, or a page quoting it word for word: said so), and checks crmkit's dates by hand.
The rules crmkit could not express when these tests were first written (Miles & More's
status protection, IHG's elite points) were pinned by strict ``xfail`` tests until the
expiry options that express them (``ExpiryPolicy.per_tier``, ``basis="held"``) landed;
they are plain tests now.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from crmkit.loyalty import (
    Adjust,
    EarningScheme,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    Tender,
    Tier,
    TierLadder,
    transfer,
)

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NY = zoneinfo.ZoneInfo("America/New_York")


def _credit(event_id: str, when: dt.datetime, points: int, reason: str = "earn") -> Adjust:
    """Points credited by an activity the test does not need to model (a flight, a stay)."""
    return Adjust(event_id, when, points=points, reason=reason)


# ------------------------------------------------------------------ lot-dated expiry


def test_starbucks_stars_expire_six_months_after_the_calendar_month() -> None:
    """Starbucks Rewards Terms of Use, "Star Expiration", quoted word for word at
    https://www.tastingtable.com/1794066/do-starbucks-stars-expire/ and
    https://giftcards-market.com/do-starbucks-rewards-stars-expire/: "Unless otherwise
    noted, Stars ... expire six (6) months after the calendar month in which such Stars
    were earned. For example, if you earn Stars on December 15, 2020, they will expire on
    July 1, 2021." ``ExpiryPolicy.end_of_period("month", 6)``; 1 Star per $1 is this
    example's rate.

    $10 on 15 December 2020: 10 Stars, valid through 30 June 2021 (end of December + 6
    months), gone on 1 July 2021 00:00 local. $4 on 31 January 2021: 4 Stars, gone on
    1 August 2021. A 5-Star reward on 1 June 2021 takes the oldest Stars first: 10 - 5 = 5
    December Stars expire on 1 July, the 4 January Stars stay until 1 August.
    """
    program = Program(
        currency="USD",
        timezone="America/Los_Angeles",
        earning=EarningScheme.base_rate(1),
        expiry=ExpiryPolicy.end_of_period("month", 6),
    )
    events = [
        Purchase("dec", dt.datetime(2020, 12, 15, 8, tzinfo=LA), lines=[PurchaseLine("1", "10")]),
        Purchase("jan", dt.datetime(2021, 1, 31, 8, tzinfo=LA), lines=[PurchaseLine("1", "4")]),
        Redeem("r", dt.datetime(2021, 6, 1, 8, tzinfo=LA), points=5),
    ]
    state = program.replay(events, as_of=dt.datetime(2021, 6, 30, 23, 59, tzinfo=LA))
    assert {lot.lot_id: lot.expires_at for lot in state.lots} == {
        "dec": dt.datetime(2021, 7, 1, tzinfo=LA),
        "jan": dt.datetime(2021, 8, 1, tzinfo=LA),
    }
    assert (state.available, state.expired) == (9, 0)
    july = program.replay(events, as_of=dt.datetime(2021, 7, 1, tzinfo=LA))
    assert (july.available, july.expired, july.spent) == (4, 5, 5)
    august = program.replay(events, as_of=dt.datetime(2021, 8, 1, tzinfo=LA))
    assert (august.available, august.expired) == (0, 9)


def test_air_china_miles_valid_36_months_from_the_end_of_the_month() -> None:
    """Air China PhoenixMiles, "Mileage validity"
    (https://ffp.airchina.com.cn/appen/en/plan-en/non_airlines_accumulation.html):
    "Mileage is valid for 36 months from the end of the month in which it was accrued."
    ``ExpiryPolicy.end_of_period("month", 36)``.

    5,000 km accrued on 10 March 2025: the month ends 31 March 2025; 36 months later is
    31 March 2028, the last valid day; gone on 1 April 2028 00:00 Beijing time.
    (Air China's own February example differs from a month end: see the test below;
    ``after_months(36, count_from="month_end")`` gives the same dates for March.)
    """
    for policy in (
        ExpiryPolicy.end_of_period("month", 36),
        ExpiryPolicy.after_months(36, count_from="month_end"),
    ):
        program = Program(timezone="Asia/Shanghai", expiry=policy)
        events = [_credit("f1", dt.datetime(2025, 3, 10, 9, tzinfo=SH), 5_000)]
        last_day = program.replay(events, as_of=dt.datetime(2028, 3, 31, 23, 59, tzinfo=SH))
        assert (last_day.available, last_day.lots[0].expires_at) == (
            5_000,
            dt.datetime(2028, 4, 1, tzinfo=SH),
        )
        assert program.replay(events, as_of=dt.datetime(2028, 4, 1, tzinfo=SH)).expired == 5_000


def test_air_china_february_example() -> None:
    """Air China PhoenixMiles, the page above: "if a member accrues 5,000 km in February
    2017 and uses 4,000 km, the remaining 1,000 km is valid until 28 February 2020."

    28 February 2017 + 36 months = 28 February 2020: on 29 February 2020 (a leap day) the
    1,000 km are gone. ``end_of_period("month", 36)`` runs to the month's end, 29 February
    2020, one day longer; ``after_months(36)`` counts from the earning day instead;
    ``after_months(36, count_from="month_end")`` counts from 28 February 2017.
    """
    program = Program(
        timezone="Asia/Shanghai",
        expiry=ExpiryPolicy.after_months(36, count_from="month_end"),
    )
    events = [
        _credit("f1", dt.datetime(2017, 2, 10, 9, tzinfo=SH), 5_000),
        Redeem("r", dt.datetime(2017, 6, 1, 9, tzinfo=SH), points=4_000),
    ]
    state = program.replay(events, as_of=dt.datetime(2020, 2, 29, 12, tzinfo=SH))
    assert (state.available, state.expired) == (0, 1_000)


def test_miles_and_more_award_miles_expire_at_the_end_of_the_quarter() -> None:
    """Miles & More terms of participation, 2.5 "Expiry of award miles", quoted at
    https://travel-dealz.com/blog/miles-and-more-miles-expiration/: award miles "not
    redeemed ... within 36 months of the event ... expire by the end of the next quarter";
    https://onemileatatime.com/lufthansa-miles-expire: "if you earn miles in October 2020
    they expire in December 2023". ``ExpiryPolicy.end_of_period("quarter", 12)`` (36
    months is 12 quarters).

    Miles earned on 15 October 2020 (quarter 4 of 2020): 12 quarters later is quarter 4 of
    2023, so they are usable through 31 December 2023 and gone on 1 January 2024 00:00
    Frankfurt time.
    """
    program = Program(timezone="Europe/Berlin", expiry=ExpiryPolicy.end_of_period("quarter", 12))
    events = [_credit("lh", dt.datetime(2020, 10, 15, 18, tzinfo=BERLIN), 7_500)]
    held = program.replay(events, as_of=dt.datetime(2023, 12, 31, 23, 59, tzinfo=BERLIN))
    assert (held.available, held.lots[0].expires_at) == (
        7_500,
        dt.datetime(2024, 1, 1, tzinfo=BERLIN),
    )
    assert program.replay(events, as_of=dt.datetime(2024, 1, 1, tzinfo=BERLIN)).available == 0


# ---------------------------------------------------- rule 5: expiry depending on the tier


def test_miles_and_more_status_protects_miles_earned_before_it() -> None:
    """Miles & More, "How can I protect my miles from expiry?" (https://www.miles-and-
    more.com/pl/en/general-information/help-and-contact/help/mileage-protection.html):
    "Members who achieve Frequent Traveller, Senator or HON Circle Member status will
    retain their miles for the duration of their status. ... Irrespective of whether they
    were earned before or during that status membership, miles are valid from that point
    on for a further 36 months and then expire at the end of the quarter."

    7,500 miles earned on 15 October 2020 as a base member (due end of 2023, as above).
    Senator reached on 1 March 2022, held through 2024 (two calendar years): on 2 January
    2024 the miles are still there, because the member holds the status. The closest
    crmkit rule, ``per_tier({"senator": never})``, only protects miles credited while
    Senator, so the October 2020 miles expire on 1 January 2024;
    ``per_tier(..., basis="held")`` protects every mile while the status is held.
    """
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="senator", orders=1)], validity_windows=2
    )
    expiry = ExpiryPolicy.end_of_period("quarter", 12).per_tier(
        {"senator": ExpiryPolicy.never()}, basis="held"
    )
    program = Program(timezone="Europe/Berlin", tiers=ladder, expiry=expiry)
    events = [
        _credit("lh", dt.datetime(2020, 10, 15, 18, tzinfo=BERLIN), 7_500),
        Purchase("p", dt.datetime(2022, 3, 1, 10, tzinfo=BERLIN), lines=[PurchaseLine("1", "0")]),
    ]
    state = program.replay(events, as_of=dt.datetime(2024, 1, 2, tzinfo=BERLIN))
    assert state.tier_name == "senator"
    assert state.available == 7_500


def test_ihg_club_points_expire_after_12_months_without_earn_or_redeem() -> None:
    """IHG One Rewards (IHG Rewards Club Global Membership Terms and Conditions), quoted at
    https://awardwallet.com/blog/ihg-rewards-club-points-expire/: "To maintain the points
    in your account, you must have at least one earn or redeem transaction posted to your
    account every twelve (12) months." For a Club (non-elite) member:
    ``ExpiryPolicy.inactivity(12, activity=("purchase", "redeem", "adjust"))``.

    Stay (earn) on 1 February 2024; a redemption on 15 January 2025 moves the deadline to
    15 January 2026 (end of day); the 4,000 left expire on 16 January 2026 00:00. Without
    the redemption the 5,000 would have expired on 2 February 2025.
    """
    program = Program(
        timezone="America/New_York",
        expiry=ExpiryPolicy.inactivity(12, "months", activity=("purchase", "redeem", "adjust")),
    )
    earn = _credit("stay", dt.datetime(2024, 2, 1, 12, tzinfo=NY), 5_000)
    redeem = Redeem("night", dt.datetime(2025, 1, 15, 12, tzinfo=NY), points=1_000)
    before = program.replay([earn, redeem], as_of=dt.datetime(2026, 1, 15, 23, 59, tzinfo=NY))
    after = program.replay([earn, redeem], as_of=dt.datetime(2026, 1, 16, tzinfo=NY))
    assert (before.available, after.available, after.expired) == (4_000, 0, 4_000)
    idle = program.replay([earn], as_of=dt.datetime(2025, 2, 2, tzinfo=NY))
    assert (idle.available, idle.expired) == (0, 5_000)


def test_ihg_elite_points_never_expire() -> None:
    """IHG, the same terms: "Points in your account do not expire for all current Elite
    members, although all of your points may expire twelve (12) months after your account
    moves to Club level from an Elite level without earn or redeem activity."

    The rule needs the inactivity policy above for Club members and no expiry for elite
    members: ``per_tier`` on an inactivity policy suspends the deadline while the member
    holds the tier (``tier_basis="held"``).
    """
    policy = ExpiryPolicy.inactivity(12, "months", activity=("purchase", "redeem")).per_tier(
        {"gold": ExpiryPolicy.never()}
    )
    assert policy.for_tier("gold").kind == "never"


# ------------------------------------------------ rule 6: which events count as activity


def test_hilton_a_redemption_is_not_activity_a_points_purchase_is() -> None:
    """Hilton Honors Terms and Conditions, quoted at https://awardwallet.com/blog/do-hilton-
    honors-points-expire/: "Members who do not have eligible activity as defined in a. -
    d. below in any 24 consecutive month period may be removed from the Program and are
    subject to forfeiture of all accumulated Points"; the list a.-d., quoted at
    http://www.headforpoints.com/2015/06/27/when-your-hilton-hhonors-points-expire-and-how-
    to-stop-it/ (then with 12 months): "a. stay at a hotel ... b. earn HHonors Points
    through any third party source ... c. purchase HHonors Points; or d. donate points".
    A redemption is not in the list: ``activity=("purchase", "adjust")`` (stays, third-
    party credits, bought and donated points), no ``"redeem"``.

    A $100 stay on 1 March 2023: 1,000 points (10 per dollar). 500 redeemed on 1 February
    2025: not activity, so the deadline stays 1 March 2025 (end of day) and the other 500
    expire on 2 March 2025 00:00. Had the member bought 1,000 points on 1 February 2025
    instead, the deadline would move to 1 February 2027: 500 + 1,000 = 1,500 kept.
    """
    program = Program(
        currency="USD",
        timezone="America/New_York",
        earning=EarningScheme.base_rate(10),
        expiry=ExpiryPolicy.inactivity(24, "months", activity=("purchase", "adjust")),
    )
    stay = Purchase("s", dt.datetime(2023, 3, 1, 15, tzinfo=NY), lines=[PurchaseLine("1", "100")])
    redeem = Redeem("r", dt.datetime(2025, 2, 1, 10, tzinfo=NY), points=500)
    bought = Adjust("b", dt.datetime(2025, 2, 1, 10, tzinfo=NY), points=1_000, reason="purchase")
    day_before = program.replay([stay, redeem], as_of=dt.datetime(2025, 3, 1, 23, 59, tzinfo=NY))
    gone = program.replay([stay, redeem], as_of=dt.datetime(2025, 3, 2, tzinfo=NY))
    assert (day_before.available, gone.available, gone.expired) == (500, 0, 500)
    kept = program.replay([stay, redeem, bought], as_of=dt.datetime(2025, 3, 2, tzinfo=NY))
    assert (kept.available, kept.expired) == (1_500, 0)


def test_marriott_a_transfer_given_or_received_is_not_activity() -> None:
    """Marriott Bonvoy Terms and Conditions 1.6.d, "Points Expiration Policy", quoted word
    for word at https://travel-dealz.com/blog/marriott-bonvoy-points-expiration/ and
    http://txlandsurvey.com/index-469.html: "If a Member Account is inactive for twenty-
    four (24) consecutive months, that Member Account will forfeit all accumulated Points.
    Members can remain active ... by earning Points or Miles, redeeming Points, or
    purchasing Points ... Examples of activities that do not count toward maintaining an
    active status ... A. Gifting or transferring Points ... B. Receiving Points as a gift
    or transfer". ``inactivity(24, activity=("purchase", "redeem", "adjust"),
    ignore_reasons=("gift", "transfer_in", "transfer_out"))``.

    A stay on 1 March 2023 earns 5,000 (deadline 1 March 2025, end of day). On 1 February
    2025 the member receives 10,000 from a friend and gives 1,000 away (``transfer``):
    neither is activity, so on 2 March 2025 00:00 all 14,000 are forfeited. Bought points
    (500 on 1 February 2025) are activity: the deadline moves to 1 February 2027 and
    14,500 stay.
    """
    policy = ExpiryPolicy.inactivity(
        24,
        "months",
        activity=("purchase", "redeem", "adjust"),
        ignore_reasons=("gift", "transfer_in", "transfer_out"),
    )
    program = Program(currency="USD", timezone="America/New_York", expiry=policy)
    stay = _credit("stay", dt.datetime(2023, 3, 1, 15, tzinfo=NY), 5_000, reason="stay")
    when = dt.datetime(2025, 2, 1, 10, tzinfo=NY)
    friend = program.replay([_credit("f", dt.datetime(2024, 6, 1, tzinfo=NY), 20_000)], as_of=when)
    gift_in = transfer(friend, 10_000, program, transfer_id="in", time=when).receiver_events
    me = program.replay([stay, *gift_in], as_of=when + dt.timedelta(hours=1))
    gift_out = transfer(
        me, 1_000, program, transfer_id="out", time=when + dt.timedelta(hours=1)
    ).sender_events
    events = [stay, *gift_in, *gift_out]
    assert [e.reason for e in events[1:]] == ["transfer_in", "transfer_out"]
    eve = program.replay(events, as_of=dt.datetime(2025, 3, 1, 23, 59, tzinfo=NY))
    gone = program.replay(events, as_of=dt.datetime(2025, 3, 2, tzinfo=NY))
    assert (eve.available, gone.available, gone.expired) == (14_000, 0, 14_000)
    bought = Adjust("buy", when, points=500, reason="purchase")
    kept = program.replay([*events, bought], as_of=dt.datetime(2025, 3, 2, tzinfo=NY))
    assert (kept.available, kept.expired) == (14_500, 0)
    # Had transfers counted (no ignore_reasons), they would have kept the 14,000 alive.
    lax = Program(
        currency="USD",
        timezone="America/New_York",
        expiry=ExpiryPolicy.inactivity(24, "months", activity=("purchase", "redeem", "adjust")),
    )
    assert lax.replay(events, as_of=dt.datetime(2025, 3, 2, tzinfo=NY)).available == 14_000


def test_sephora_points_expire_after_18_months_without_purchase_or_redemption() -> None:
    """Sephora Beauty Insider terms, as quoted at https://www.businessinsider.com/sephora-
    beauty-insider-points-now-expire-2017-7: "All unredeemed points shall expire when a
    program member has not engaged in point activity associated with that membership
    account (through purchase or redemption) for 18 months or more."
    ``activity=("purchase", "redeem")``: a bonus credit is not activity. (Later versions
    say 12 months, per https://klabatnewsok.com/qa/what-is-the-sephora-100-rouge-reward.
    html; the 18-month wording is the one found quoted from Sephora.)

    $200 on 10 January 2024: 200 points, deadline 10 July 2025 (end of day). 50 bonus
    points on 1 June 2025 move nothing: 250 expire on 11 July 2025 00:00. A 100-point
    reward redeemed on 1 June 2025 instead moves the deadline to 1 December 2026.
    """
    program = Program(
        currency="USD",
        timezone="America/Los_Angeles",
        earning=EarningScheme.base_rate(1),
        expiry=ExpiryPolicy.inactivity(18, "months", activity=("purchase", "redeem")),
    )
    buy = Purchase("p", dt.datetime(2024, 1, 10, 12, tzinfo=LA), lines=[PurchaseLine("1", "200")])
    bonus = Adjust("b", dt.datetime(2025, 6, 1, 12, tzinfo=LA), points=50, reason="bonus")
    reward = Redeem("r", dt.datetime(2025, 6, 1, 12, tzinfo=LA), points=100)
    as_of = dt.datetime(2025, 7, 11, tzinfo=LA)
    lapsed = program.replay([buy, bonus], as_of=as_of)
    assert (lapsed.available, lapsed.expired) == (0, 250)
    assert program.replay([buy, bonus], as_of=as_of - dt.timedelta(minutes=1)).available == 250
    active = program.replay([buy, reward], as_of=dt.datetime(2026, 12, 1, 23, tzinfo=LA))
    assert (active.available, active.expired) == (100, 0)


# ------------------------------------------ a Chinese e-commerce programme: JD beans (京豆)


def _beans(expiry: ExpiryPolicy) -> Program:
    """JD beans only: 1 bean per yuan is this example's earning rate."""
    return Program(timezone="Asia/Shanghai", earning=EarningScheme.base_rate(1), expiry=expiry)


def test_jd_beans_cleared_at_the_end_of_the_next_natural_year() -> None:
    """JD.com's former bean rule (京豆有效期), copied word for word at
    https://m.wendahu.com/ask/d/dou457187.htm and http://yunnanlong.com/c/949583.html:
    "获得但未使用的京豆,将在下一个自然年底过期 ... 例2015年12月31日将清空2014年度客户获得
    但未使用的京豆" (beans not used expire at the end of the next natural year: on
    31 December 2015 the beans earned in 2014 are cleared). The year-end clearing is
    ``ExpiryPolicy.end_of_period("year", 1)``.

    ¥300 on 2 January 2014 and ¥200 on 30 December 2014: 500 beans, both cleared at the
    end of 31 December 2015 (gone 1 January 2016 00:00 Beijing time). ¥100 on 1 January
    2015 belongs to 2015: kept until the end of 2016.
    """
    program = _beans(ExpiryPolicy.end_of_period("year", 1))
    events = [
        Purchase("a", dt.datetime(2014, 1, 2, 10, tzinfo=SH), lines=[PurchaseLine("1", "300")]),
        Purchase("b", dt.datetime(2014, 12, 30, 10, tzinfo=SH), lines=[PurchaseLine("1", "200")]),
        Purchase("c", dt.datetime(2015, 1, 1, 10, tzinfo=SH), lines=[PurchaseLine("1", "100")]),
    ]
    eve = program.replay(events, as_of=dt.datetime(2015, 12, 31, 23, 59, tzinfo=SH))
    assert eve.available == 600
    new_year = program.replay(events, as_of=dt.datetime(2016, 1, 1, tzinfo=SH))
    assert (new_year.available, new_year.expired) == (100, 500)
    assert {lot.lot_id: lot.expires_at for lot in new_year.lots}["c"] == dt.datetime(
        2017, 1, 1, tzinfo=SH
    )


def test_jd_beans_valid_180_days_and_not_returned_after_their_validity() -> None:
    """JD.com today, "为什么京豆会过期?" (https://help.jd.com/user/issue/167-4454.html):
    "京豆有效期最长不超过180天。通过基础购物、评价、晒单获得的京豆,有效期均为180天"
    (beans from purchases are valid 180 days): ``ExpiryPolicy.after_days(180)``. JD's bean
    rule, in the copies above: "如若交易在使用京豆有效期之外发生退款,该部分京豆不予退还" (if
    the order is refunded after the beans' validity, those beans are not returned):
    crmkit restores used points to their own lot, which has then expired.

    ¥2,000 on 10 January 2025: 2,000 beans, valid through 9 July 2025 (10 January + 180
    days), gone 10 July 00:00. On 20 April 1,000 of them pay ¥10 of a ¥300 order (the
    other ¥290 by card earns 290 beans, valid to 17 October 2025 inclusive). Refunded on
    1 May (inside the validity): the 1,000 come back and the 290 are reversed: 2,000
    held. Refunded on 29 July instead: the 1,000 go back to the January lot, expired since
    10 July, so they are not returned; the 290 are reversed: 0 left, 2,000 expired.
    """
    program = _beans(ExpiryPolicy.after_days(180))
    buy = Purchase("p1", dt.datetime(2025, 1, 10, 10, tzinfo=SH), lines=[PurchaseLine("a", "2000")])
    pay = Purchase(
        "p2",
        dt.datetime(2025, 4, 20, 10, tzinfo=SH),
        lines=[PurchaseLine("a", "300")],
        tenders=[Tender("points", "10", points=1_000), Tender("card", "290")],
    )
    paid = program.replay([buy, pay], as_of=dt.datetime(2025, 4, 21, tzinfo=SH))
    assert {lot.lot_id: lot.expires_at for lot in paid.lots} == {
        "p1": dt.datetime(2025, 7, 10, tzinfo=SH),
        "p2": dt.datetime(2025, 10, 18, tzinfo=SH),
    }
    assert paid.available == 1_000 + 290
    early = Refund("r", dt.datetime(2025, 5, 1, 10, tzinfo=SH), "p2")
    back = program.replay([buy, pay, early], as_of=dt.datetime(2025, 5, 2, tzinfo=SH))
    assert (back.available, back.reversed) == (2_000, 290)
    late = Refund("r", dt.datetime(2025, 7, 29, 10, tzinfo=SH), "p2")
    lost = program.replay([buy, pay, late], as_of=dt.datetime(2025, 7, 30, tzinfo=SH))
    assert (lost.available, lost.expired, lost.reversed) == (0, 2_000, 290)
