"""Rules real programs publish (issue 14), written from their terms, with the arithmetic.

Each test names the programme and the clause it follows (as published in the programme's
terms and summarised in the issue's research notes) and checks crmkit's figures by hand.
"""

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Adjust,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    QualifyingPosting,
    Redeem,
    Refund,
    RefundLine,
    Tier,
    TierLadder,
)

UTC = dt.UTC
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_status_kept_through_31_march_of_the_year_after_next() -> None:
    """Hilton Honors, tier status: status earned in a calendar year is kept for the rest
    of that year, the next year, and through 31 March of the year after ("Qualify for a
    membership level in 2008 and your elite status level will remain effective through
    March 31, 2010", Hilton quoted at https://loyaltytraveler.boardingarea.com/2008/08/05/
    hilton-hhonors-ends-%e2%80%9crolling-tier%e2%80%9d-elite-qualification-as-of-jan-1-
    2009/).

    Gold reached on 1 June 2024 (calendar year 2024): held through 2025 (validity_windows=1
    gives 1 January 2026) plus 3 months: the last day is 31 March 2026, the drop on
    1 April 2026.
    """
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", orders=1)],
        validity_windows=1,
        validity_extra_months=3,
    )
    posts = [QualifyingPosting(dt.datetime(2024, 6, 1, tzinfo=UTC), orders=1)]
    held = ladder.evaluate(posts, as_of=dt.datetime(2026, 3, 31, 23, tzinfo=UTC), timezone="UTC")
    assert (held.tier, held.valid_through) == ("gold", dt.date(2026, 3, 31))
    dropped = ladder.evaluate(posts, as_of=dt.datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC")
    assert dropped.tier == "member"
    # Re-qualifying in 2025 carries the status through 31 March 2027.
    again = [*posts, QualifyingPosting(dt.datetime(2025, 8, 1, tzinfo=UTC), orders=1)]
    st = ladder.evaluate(again, as_of=dt.datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC")
    assert (st.tier, st.valid_through) == ("gold", dt.date(2027, 3, 31))
    assert TierLadder.from_dict(json.loads(json.dumps(ladder.to_dict()))) == ladder


def test_status_through_the_end_of_february_is_leap_year_safe() -> None:
    """Status "kept through the end of February following" the year after qualification
    (issue 14, rule 3; Marriott Bonvoy status is "valid until the February two years
    later", https://princeoftravel.com/blog/marriott-bonvoy-elite-status-guide-to-
    qualifying-and-privileges/): earned in 2026, held through 2027
    and the end of February 2028, which is 29 February (a leap year): valid_until is
    1 March 2028 and ``valid_through`` shows the real last day.
    """
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", orders=1)], validity_extra_months=2
    )
    posts = [QualifyingPosting(dt.datetime(2026, 11, 30, tzinfo=SH), orders=1)]
    st = ladder.evaluate(posts, as_of=dt.datetime(2028, 2, 29, 12, tzinfo=SH), timezone=SH)
    assert st.tier == "gold"
    assert st.valid_until == dt.datetime(2028, 3, 1, tzinfo=SH)
    assert st.valid_through == dt.date(2028, 2, 29)
    program = Program(timezone="Asia/Shanghai", tiers=ladder)
    events = [Purchase("p", dt.datetime(2026, 11, 30, tzinfo=SH), lines=[PurchaseLine("1", "9")])]
    state = program.replay(events, as_of=dt.datetime(2028, 3, 1, tzinfo=SH))
    assert state.tier_name == "member"  # dropped at 1 March 2028, 00:00 local


def test_refund_shortfall_takes_the_balance_first_then_cash() -> None:
    """Issue 14, rule 9: "points already used are taken from the member's balance first;
    what the balance cannot cover is deducted from the refund"
    (``shortfall="balance_then_cash"``). The issue calls it the common Chinese e-commerce
    rule; no Chinese programme's wording was found (searched "退货 积分不足 从退款金额中
    扣除"); Macy's publishes it (test_published_points.py).

    A ¥100 purchase earns 100 points; 80 are redeemed; a later gift brings 50; the purchase
    is refunded: the lot's 20 unspent points are reversed, the 80 spent ones are the
    shortfall: 50 come from the balance, 30 are deducted from the refund at 0.01 yuan a
    point = 0.30 yuan. Conservation: credited 150 = spent 100 + reversed 50.
    """
    t = dt.datetime(2025, 3, 1, 10, tzinfo=SH)
    events = [
        Purchase("p", t, lines=[PurchaseLine("1", "100")]),
        Redeem("r", t + dt.timedelta(days=1), points=80),
        Adjust("g", t + dt.timedelta(days=2), points=50, reason="gift"),
        Refund("f", t + dt.timedelta(days=3), "p"),
    ]
    as_of = t + dt.timedelta(days=4)
    state = Program(timezone="Asia/Shanghai", shortfall="balance_then_cash").replay(
        events, as_of=as_of
    )
    assert (state.available, state.debt, state.cash_offset) == (0, 0, Decimal("0.30"))
    assert (state.credited, state.spent, state.reversed, state.forfeited) == (150, 100, 50, 0)
    kinds = [(p.kind, p.points) for p in state.postings if p.event_id == "f"]
    assert kinds == [("reverse", -20), ("debt", -50), ("repay", -50), ("cash_offset", 0)]
    # The other policies on the same events, for comparison.
    outcomes = {}
    for policy in ("forfeit", "debt", "cash_offset"):
        s = Program(timezone="Asia/Shanghai", shortfall=policy).replay(events, as_of=as_of)
        outcomes[policy] = (s.available, s.debt, s.cash_offset, s.forfeited)
    assert outcomes == {
        "forfeit": (50, 0, Decimal(0), 80),
        "debt": (0, 30, Decimal(0), 0),
        "cash_offset": (50, 0, Decimal("0.80"), 0),
    }
    # Enough balance: no money at all.
    rich = [
        *events[:2],
        Adjust("g", t + dt.timedelta(days=2), points=500, reason="gift"),
        events[3],
    ]
    s = Program(timezone="Asia/Shanghai", shortfall="balance_then_cash").replay(rich, as_of=as_of)
    assert (s.available, s.cash_offset) == (420, Decimal(0))


# ---------------------------------------------------------------- rule 5: expiry by tier


def _status_ladder() -> TierLadder:
    return TierLadder(
        tiers=[Tier(name="member"), Tier(name="senator", spend=Decimal(1000))],
        validity_windows=1,
    )


def test_points_of_top_tier_members_never_expire() -> None:
    """Issue 14, rule 5, as the issue words it: points expire 36 months after earning,
    except those credited while the member holds the top tier, which never expire. Not
    Miles & More's rule, which protects every mile while the status lasts ("Irrespective
    of whether they were earned before or during that status membership",
    https://www.miles-and-more.com/pl/en/general-information/help-and-contact/help/
    mileage-protection.html): that one is ``basis="held"``
    (``test_miles_and_more_status_protects_miles_earned_before_it`` in
    test_published_expiry.py).

    A ¥200 purchase on 1 March 2025 (member): 200 points valid through 1 March 2028, so
    the lot expires at 2 March 2028 00:00 local. A ¥1,000 purchase on 1 April 2025 makes
    the member a senator (spend 1,200 >= 1,000), but its own 1,000 points are credited at
    the tier held before it (member): they expire at 2 April 2028 00:00. A ¥300 purchase
    on 1 May 2025 (senator) earns 300 that never expire. On 3 April 2028 the 1,200 have
    expired and the 300 are still available.
    """
    expiry = ExpiryPolicy.after_months(36).per_tier({"senator": ExpiryPolicy.never()})
    program = Program(timezone="Asia/Shanghai", tiers=_status_ladder(), expiry=expiry)
    events = [
        Purchase("p1", dt.datetime(2025, 3, 1, 10, tzinfo=SH), lines=[PurchaseLine("1", "200")]),
        Purchase("p2", dt.datetime(2025, 4, 1, 10, tzinfo=SH), lines=[PurchaseLine("1", "1000")]),
        Purchase("p3", dt.datetime(2025, 5, 1, 10, tzinfo=SH), lines=[PurchaseLine("1", "300")]),
    ]
    as_of = dt.datetime(2028, 4, 3, tzinfo=SH)
    state = program.replay(events, as_of=as_of)
    expires = {lot.lot_id: lot.expires_at for lot in state.lots}
    assert expires == {
        "p1": dt.datetime(2028, 3, 2, tzinfo=SH),
        "p2": dt.datetime(2028, 4, 2, tzinfo=SH),
        "p3": None,
    }
    assert (state.available, state.expired, state.credited) == (300, 1200, 1500)
    back = Program.from_dict(json.loads(json.dumps(program.to_dict())))
    assert back == program
    assert back.replay(events, as_of=as_of).available == 300
    # Without the tier rule every lot expires (p3 at 2 May 2028 00:00).
    plain = Program(
        timezone="Asia/Shanghai", tiers=_status_ladder(), expiry=ExpiryPolicy.after_months(36)
    )
    later = dt.datetime(2028, 5, 3, tzinfo=SH)
    assert (
        plain.replay(events, as_of=later).available,
        program.replay(events, as_of=later).available,
    ) == (0, 300)


def test_different_validity_per_tier() -> None:
    """Issue 14, rule 5, "different validity per tier" (as described in the issue): base
    members' points are valid 12 months, gold members' 24 months (lot-dated at earning).

    Member earns 100 on 10 January 2025: valid through 10 January 2026 (expires
    11 January 2026 00:00). After reaching gold (spend 1,000 in 2025) a ¥50 purchase on
    1 June 2025 earns 50 valid through 1 June 2027 (expires 2 June 2027 00:00).
    """
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", spend=Decimal(1000))], validity_windows=1
    )
    expiry = ExpiryPolicy.after_months(12).per_tier({"gold": ExpiryPolicy.after_months(24)})
    program = Program(timezone="Asia/Shanghai", tiers=ladder, expiry=expiry)
    events = [
        Purchase("a", dt.datetime(2025, 1, 10, 9, tzinfo=SH), lines=[PurchaseLine("1", "100")]),
        Purchase("b", dt.datetime(2025, 3, 1, 9, tzinfo=SH), lines=[PurchaseLine("1", "900")]),
        Purchase("c", dt.datetime(2025, 6, 1, 9, tzinfo=SH), lines=[PurchaseLine("1", "50")]),
    ]
    state = program.replay(events, as_of=dt.datetime(2025, 7, 1, tzinfo=SH))
    by_event = {lot.lot_id: lot.expires_at for lot in state.lots}
    expiries = sorted(by_event.values(), key=lambda d: (d is None, d))
    assert dt.datetime(2026, 1, 11, tzinfo=SH) in expiries
    assert dt.datetime(2027, 6, 2, tzinfo=SH) in expiries
    assert ExpiryPolicy.from_dict(json.loads(json.dumps(expiry.to_dict()))) == expiry


def test_tier_expiry_names_unknown_tiers_and_limits_inactivity() -> None:
    """A tier the ladder lacks, a program without tiers, a dated policy for a tier under
    an inactivity policy (only ``never`` suspends its deadline): ConfigErrors."""
    with pytest.raises(ConfigError, match="unknown tiers"):
        Program(
            tiers=_status_ladder(),
            expiry=ExpiryPolicy.never().per_tier({"platinum": ExpiryPolicy.never()}),
        ).compile()
    with pytest.raises(ConfigError, match="unknown tiers"):
        Program(expiry=ExpiryPolicy.never().per_tier({"gold": ExpiryPolicy.never()})).compile()
    with pytest.raises(ConfigError, match="by_tier"):
        ExpiryPolicy.inactivity(12, activity=("purchase",)).per_tier(
            {"gold": ExpiryPolicy.after_months(6)}
        )
    with pytest.raises(ConfigError, match="lot-dated"):
        ExpiryPolicy.never().per_tier({"gold": ExpiryPolicy.inactivity(6, activity=("redeem",))})
    with pytest.raises(ConfigError, match=r"by_tier\['gold'\]\.n"):
        ExpiryPolicy.from_dict({"kind": "never", "by_tier": {"gold": {"kind": "days", "n": -1}}})


# ------------------------------------------------ rule 6: what counts as activity


def test_a_received_gift_and_a_return_are_not_activity() -> None:
    """Issue 14, rule 6 (as described in the issue: "a received gift or a transfer is not
    activity in some programs; a return is not"): all points expire after 12 months
    without a purchase, a redemption or an adjustment other than a gift.

    Purchase of ¥120 on 1 February 2025 (120 points): deadline 1 February 2026 ends, so
    expiry at 2 February 2026 00:00. A gift of 30 on 1 December 2025 and the return of
    the ¥20 line on 2 December 2025 (20 points reversed) are not activity, so the other
    130 expire at 2 February 2026. With gifts counted (no ``ignore_reasons``) the gift
    moves the deadline to 2 December 2026 and the 130 stay; a goodwill credit of 5 on
    5 January 2026 is activity under the first policy too (135 stay).
    """
    policy = ExpiryPolicy.inactivity(
        12, "months", activity=("purchase", "redeem", "adjust"), ignore_reasons=("gift",)
    )
    t0 = dt.datetime(2025, 2, 1, 10, tzinfo=SH)
    events = [
        Purchase("p", t0, lines=[PurchaseLine("1", "100"), PurchaseLine("2", "20")]),
        Adjust("g", dt.datetime(2025, 12, 1, 10, tzinfo=SH), points=30, reason="gift"),
        Refund("f", dt.datetime(2025, 12, 2, 10, tzinfo=SH), "p", lines=[RefundLine("2")]),
    ]
    as_of = dt.datetime(2026, 2, 2, 0, 0, 1, tzinfo=SH)
    program = Program(timezone="Asia/Shanghai", expiry=policy)
    state = program.replay(events, as_of=as_of)
    # 120 + 30 credited, 20 reversed by the return, the other 130 expired at the deadline.
    assert (state.credited, state.reversed, state.expired, state.available) == (150, 20, 130, 0)
    before = program.replay(events, as_of=dt.datetime(2026, 2, 1, 23, 59, tzinfo=SH))
    assert before.available == 130
    counted = Program(
        timezone="Asia/Shanghai",
        expiry=ExpiryPolicy.inactivity(12, "months", activity=("purchase", "redeem", "adjust")),
    ).replay(events, as_of=as_of)
    assert counted.available == 130
    # A goodwill credit is activity under the first policy: it moves the deadline.
    goodwill = [
        *events,
        Adjust("w", dt.datetime(2026, 1, 5, tzinfo=SH), points=5, reason="goodwill"),
    ]
    assert program.replay(goodwill, as_of=as_of).available == 135
    assert ExpiryPolicy.from_dict(json.loads(json.dumps(policy.to_dict()))) == policy
    assert policy.to_dict()["ignore_reasons"] == ["gift"]


def test_ignore_reasons_only_under_inactivity() -> None:
    """``ignore_reasons`` on a lot-dated policy would do nothing: a ConfigError."""
    with pytest.raises(ConfigError, match="ignore_reasons"):
        ExpiryPolicy(kind="months", n=12, ignore_reasons=("gift",))
    assert "ignore_reasons" not in ExpiryPolicy.after_months(12).to_dict()
