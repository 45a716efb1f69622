"""Rules real programs publish (issue 14), written from their terms, with the arithmetic.

Each test names the programme and the clause it follows (as published in the programme's
terms and summarised in the issue's research notes) and checks crmkit's figures by hand.
"""

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

from crmkit.loyalty import (
    Adjust,
    Program,
    Purchase,
    PurchaseLine,
    QualifyingPosting,
    Redeem,
    Refund,
    Tier,
    TierLadder,
)

UTC = dt.UTC
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_status_kept_through_31_march_of_the_year_after_next() -> None:
    """Hilton Honors, tier status: status earned in a calendar year is kept for the rest
    of that year, the next year, and through 31 March of the year after.

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
    (the hotel-programme wording in issue 14, rule 3): earned in 2026, held through 2027
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
    """Issue 14, rule 9: the common Chinese e-commerce return rule, "points already used
    are taken from the member's balance first; what the balance cannot cover is deducted
    from the refund" (``shortfall="balance_then_cash"``).

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
