"""A qualification year that starts in a fixed month (``TierLadder.year_start_month``).

American AAdvantage, aa.com "AAdvantage status year and your March credit card statement"
(https://www.aa.com/pubcontent/en_US/aadvantage-program/answers-support/aadvantage-status-
year-march-statement.html): "On March 1, a new qualification year begins and your Loyalty
Points balance reset to zero. You can then earn Loyalty Points toward status ... from
March 1, 2025 - February 28, 2026, for the 2026 AAdvantage status year", and "Loyalty
Points from ... March 1, 2024 - February 28, 2025 ... count toward the 2024 status
qualification year". Status earned in a qualification year is held through 31 March after
the next one ends (``validity_windows=1, validity_extra_months=1``). Thresholds in Loyalty
Points: Gold 40,000, Platinum 75,000, Platinum Pro 125,000, Executive Platinum 200,000.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Program,
    Purchase,
    PurchaseLine,
    QualifyingPosting,
    Tier,
    TierLadder,
    replay_many,
)
from tests.strategies import examples

DFW = zoneinfo.ZoneInfo("America/Chicago")

AADVANTAGE = TierLadder(
    tiers=[
        Tier(name="member"),
        Tier(name="gold", counts={"loyalty_points": 40_000}),
        Tier(name="platinum", counts={"loyalty_points": 75_000}),
        Tier(name="platinum_pro", counts={"loyalty_points": 125_000}),
        Tier(name="executive_platinum", counts={"loyalty_points": 200_000}),
    ],
    year_start_month=3,
    validity_extra_months=1,
)


def _lp(when: dt.datetime, points: int) -> QualifyingPosting:
    return QualifyingPosting(when, counts={"loyalty_points": points})


def test_the_last_day_of_february_counts_in_the_year_that_ends() -> None:
    """30,000 LP on 28 February 2025 and 15,000 on 1 March 2025 fall in two qualification
    years (2024: March 2024 - February 2025; 2025: from 1 March 2025): 30,000 and 15,000,
    neither reaching Gold's 40,000. On a January calendar year they would be one year's
    45,000: Gold."""
    posts = [_lp(dt.datetime(2025, 2, 28, 23, 30, tzinfo=DFW), 30_000)]
    posts.append(_lp(dt.datetime(2025, 3, 1, 0, 30, tzinfo=DFW), 15_000))
    status = AADVANTAGE.evaluate(posts, as_of=dt.date(2025, 3, 31), timezone=DFW)
    assert status.tier == "member"
    assert status.counters.counts == {"loyalty_points": 15_000}
    assert status.window_start == dt.datetime(2025, 3, 1, tzinfo=DFW)
    assert status.window_end == dt.datetime(2026, 3, 1, tzinfo=DFW)
    january = TierLadder.from_dict({**AADVANTAGE.to_dict(), "year_start_month": 1})
    assert january.evaluate(posts, as_of=dt.date(2025, 3, 31), timezone=DFW).tier == "gold"


def test_29_february_counts_in_the_year_that_ends_and_status_runs_to_31_march() -> None:
    """25,000 LP on 2 March 2027 and 15,000 on 29 February 2028 (a leap day) are one
    qualification year's 40,000: Gold on 29 February 2028, held through the 2028 year (to
    28 February 2029) and March after it: the last day is 31 March 2029."""
    posts = [
        _lp(dt.datetime(2027, 3, 2, 9, tzinfo=DFW), 25_000),
        _lp(dt.datetime(2028, 2, 29, 18, tzinfo=DFW), 15_000),
    ]
    gold = AADVANTAGE.evaluate(posts, as_of=dt.date(2028, 2, 29), timezone=DFW)
    assert (gold.tier, gold.valid_through) == ("gold", dt.date(2029, 3, 31))
    assert gold.window_start == dt.datetime(2027, 3, 1, tzinfo=DFW)
    held = AADVANTAGE.evaluate(
        posts, as_of=dt.datetime(2029, 3, 31, 23, 59, tzinfo=DFW), timezone=DFW
    )
    assert held.tier == "gold"
    dropped = AADVANTAGE.evaluate(posts, as_of=dt.datetime(2029, 4, 1, tzinfo=DFW), timezone=DFW)
    assert dropped.tier == "member"


def test_status_earned_in_june_2025_holds_through_march_2027() -> None:
    """Gold reached on 10 June 2025 (the 2025 qualification year, March 2025 - February
    2026) holds through the next year and March after it: through 31 March 2027."""
    posts = [_lp(dt.datetime(2025, 6, 10, 12, tzinfo=DFW), 45_000)]
    status = AADVANTAGE.evaluate(posts, as_of=dt.date(2026, 1, 15), timezone=DFW)
    assert (status.tier, status.valid_through) == ("gold", dt.date(2027, 3, 31))


def test_a_program_replays_on_the_year_from_march() -> None:
    """The same rule on a program's ledger (spend qualifies, 1 LP per dollar), through
    ``replay`` and ``replay_many`` alike: $30,000 on 28 February 2025 and $15,000 on
    1 March 2025 reach no tier; $25,000 more on 28 February 2026 make 2025's 40,000."""
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", spend="40000")],
        year_start_month=3,
        validity_extra_months=1,
    )
    program = Program(currency="USD", timezone="America/Chicago", tiers=ladder)

    def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
        return Purchase(event_id, when, lines=[PurchaseLine("1", Decimal(amount))])

    events = [
        buy("p1", dt.datetime(2025, 2, 28, 12, tzinfo=DFW), "30000"),
        buy("p2", dt.datetime(2025, 3, 1, 12, tzinfo=DFW), "15000"),
        buy("p3", dt.datetime(2026, 2, 28, 12, tzinfo=DFW), "25000"),
    ]
    before = program.replay(events[:2], as_of=dt.date(2026, 2, 27))
    assert before.tier.tier == "member"
    after = program.replay(events, as_of=dt.date(2026, 2, 28))
    assert (after.tier.tier, after.tier.valid_through) == ("gold", dt.date(2027, 3, 31))
    import pandas as pd

    table = pd.DataFrame(
        {
            "member_id": ["m"] * 3,
            "event_id": ["p1", "p2", "p3"],
            "time": [e.time for e in events],
            "kind": ["purchase"] * 3,
            "amount": ["30000", "15000", "25000"],
        }
    )
    many = replay_many(table, program, as_of=dt.date(2026, 2, 28))
    assert many.loc["m", "tier"] == "gold"


def test_year_start_month_is_data_and_checked() -> None:
    data = AADVANTAGE.to_dict()
    assert data["year_start_month"] == 3
    assert TierLadder.from_dict(data) == AADVANTAGE
    assert "year_start_month" not in TierLadder(tiers=[Tier(name="member")]).to_dict()
    with pytest.raises(ConfigError, match=r"year_start_month.*unless window is 'calendar_year'"):
        TierLadder(tiers=[Tier(name="member")], window="rolling", year_start_month=3)
    with pytest.raises(ConfigError, match="year_start_month"):
        TierLadder(tiers=[Tier(name="member")], year_start_month=13)


@settings(max_examples=examples(60))
@given(
    month=st.integers(1, 12),
    days=st.lists(st.integers(0, 5 * 366), min_size=1, max_size=12),
    as_of_day=st.integers(0, 5 * 366),
)
def test_counters_hold_exactly_the_postings_since_the_year_started(
    month: int, days: list[int], as_of_day: int
) -> None:
    """The counters at ``as_of`` are the postings from local midnight on the 1st of the
    start month (this year's if reached, else last year's) to ``as_of``: every posting
    counts in exactly one qualification year."""
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", orders=10_000)], year_start_month=month
    )
    base = dt.date(2024, 1, 1)
    posts = [
        QualifyingPosting(dt.datetime.combine(base + dt.timedelta(d), dt.time(12), DFW), orders=1)
        for d in days
    ]
    as_of = base + dt.timedelta(as_of_day)
    status = ladder.evaluate(
        posts, as_of=as_of, timezone=DFW, enrolled_at=min(p.time for p in posts)
    )
    year = as_of.year if as_of.month >= month else as_of.year - 1
    start = dt.date(year, month, 1)
    assert status.window_start == dt.datetime.combine(start, dt.time(), DFW)
    expected = sum(start <= base + dt.timedelta(d) <= as_of for d in days)
    assert status.counters.orders == expected
