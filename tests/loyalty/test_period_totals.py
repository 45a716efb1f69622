"""The fold's running cap and use-limit totals equal the scans of ``period_to_date``.

A fold keeps, per cap period, the sum of the purchase points credited in it (net of
refunds, which count in the period of the purchase they reverse) and, per limited rule,
the orders it gave points to (:class:`crmkit.loyalty._periods.PeriodTotals`), instead of
scanning the member's whole history at every purchase (which made a capped program
replay ten times slower than an uncapped one). The scans stay the public definition.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import BaseRate, EarningScheme, OrderBonus, PeriodCap
from crmkit.loyalty._periods import PeriodTotals
from tests.strategies import examples

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FREQS = ("day", "week", "month", "quarter", "year", "membership_year")

instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),
    max_value=dt.datetime(2027, 12, 31),
    timezones=st.just(dt.UTC),
)


@settings(max_examples=examples(200), deadline=None)
@given(
    freqs=st.lists(st.sampled_from(FREQS), min_size=1, max_size=3, unique=True),
    entries=st.lists(st.tuples(instants, st.integers(-500, 5_000)), max_size=40),
    as_of=instants,
    enrolled=instants,
)
def test_cap_totals_equal_period_to_date(
    freqs: list[str],
    entries: list[tuple[dt.datetime, int]],
    as_of: dt.datetime,
    enrolled: dt.datetime,
) -> None:
    """Entries in any order (refunds arrive late, dated at their purchase): same totals."""
    if enrolled > as_of:
        enrolled, as_of = as_of, enrolled
    scheme = EarningScheme.base_rate(1, caps=[PeriodCap(f, 10**9) for f in freqs])
    totals = PeriodTotals({cap.freq: cap.freq for cap in scheme.caps})
    for when, points in entries:
        totals.add(when.astimezone(SHANGHAI).date(), tuple(totals.freqs), points)
    anchor = enrolled.astimezone(SHANGHAI).date()
    got = totals.current(as_of.astimezone(SHANGHAI).date(), anchor=anchor)
    assert got == scheme.period_to_date(
        entries, as_of=as_of, timezone=SHANGHAI, enrolled_at=enrolled
    )


@settings(max_examples=examples(100), deadline=None)
@given(
    uses=st.lists(st.tuples(instants, st.sampled_from(["a", "b"])), max_size=30),
    as_of=instants,
    enrolled=instants,
    freq_a=st.sampled_from(FREQS),
)
def test_use_totals_equal_uses_to_date(
    uses: list[tuple[dt.datetime, str]], as_of: dt.datetime, enrolled: dt.datetime, freq_a: str
) -> None:
    if enrolled > as_of:
        enrolled, as_of = as_of, enrolled
    uses = [(w, r) for w, r in uses if w >= enrolled]  # a fold has no use before its start
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            OrderBonus(id="a", points=10, max_uses=3, uses_freq=freq_a),
            OrderBonus(id="b", points=10, max_uses=2, uses_freq="month"),
        ]
    )
    totals = PeriodTotals({r.id: r.uses_freq for r in scheme.rules if r.max_uses is not None})
    for when, rule in uses:
        totals.add(when.astimezone(SHANGHAI).date(), (rule,), 1)
    got = totals.current(
        as_of.astimezone(SHANGHAI).date(), anchor=enrolled.astimezone(SHANGHAI).date()
    )
    assert got == scheme.uses_to_date(uses, as_of=as_of, timezone=SHANGHAI, enrolled_at=enrolled)


def test_a_moved_anchor_sums_the_membership_years_again() -> None:
    """An enrolment after earlier events starts the membership years anew from its date:
    300 points on 2025-03-20, enrolment on 2025-04-01, 200 points on 2025-04-02: at
    2025-04-09 the membership year (from 1 April) holds 200, as April does; before the
    enrolment, the year from the first event held the 300."""
    totals = PeriodTotals({"month": "month", "membership_year": "membership_year"})
    counters = tuple(totals.freqs)
    totals.add(dt.date(2025, 3, 20), counters, 300)
    assert totals.current(dt.date(2025, 3, 25), anchor=dt.date(2025, 3, 20)) == {
        "month": 300,
        "membership_year": 300,
    }
    totals.add(dt.date(2025, 4, 2), counters, 200)
    assert totals.current(dt.date(2025, 4, 9), anchor=dt.date(2025, 4, 1)) == {
        "month": 200,
        "membership_year": 200,
    }
