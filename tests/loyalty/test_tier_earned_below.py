"""A lower tier reached in a window while a higher one holds past the window's end keeps
its own validity (``TierTracker._earn``): when the higher tier ends, the member holds the
lower one through the validity it earned, though the window's counters are gone by then.

Hilton Honors: status is held "for the rest of the calendar year in which you earned it;
for all of the subsequent calendar year; until 31 March of the year subsequent to that
full calendar year" (https://euflyer.boardingarea.com/2015/01/23/hilton-hhonors-elite-
status-begin-long-last/; "if you earn Gold status in June of 2016, it will last for the
rest of 2016, all of 2017 and through March 31, 2018", https://thepointsguy.com/2016/01/
when-does-hotel-status-expire/), and "Hilton Honors normally processes downgrades in
March, reflecting a member's status in the previous calendar year" (https://www.
flystaypoints.com.au/hilton-honors-extends-status-by-one-year/). Silver on 10 nights,
Gold on 40 (as in test_published_status.py). China Southern's case is in
test_published_chinese_status.py.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import QualifyingPosting, Tier, TierLadder
from tests.strategies import examples

NY = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def _hilton(**options: object) -> TierLadder:
    return TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", counts={"nights": 10}),
            Tier(name="gold", counts={"nights": 40}),
            Tier(name="diamond", counts={"nights": 60}),
        ],
        validity_windows=1,
        validity_extra_months=3,
        **options,  # type: ignore[arg-type]
    )


def _nights(y: int, m: int, d: int, n: int) -> QualifyingPosting:
    return QualifyingPosting(dt.datetime(y, m, d, 11, tzinfo=NY), counts={"nights": n})


#: Gold on 40 nights on 20 November 2015 (through 31 March 2017); 10 nights in 2016,
#: Silver's standard, a Silver earned in 2016: through 31 March 2018.
STAYS = [_nights(2015, 11, 20, 40), _nights(2016, 6, 5, 10)]


def _at(ladder: TierLadder, y: int, m: int, d: int, posts: list[QualifyingPosting] = STAYS):
    return ladder.evaluate(posts, as_of=dt.datetime(y, m, d, 0, 1, tzinfo=NY), timezone=NY)


def test_hilton_silver_earned_in_2016_holds_after_gold_ends() -> None:
    """Gold through 31 March 2017; on 1 April 2017 the member holds the Silver the 2016
    nights earned, through 31 March 2018 (crmkit gave Member: the 1 April 2017 assessment
    read only January-March 2017); on 1 April 2018 Member."""
    ladder = _hilton()
    last_gold = _at(ladder, 2017, 3, 31)
    assert (last_gold.tier, last_gold.valid_through) == ("gold", dt.date(2017, 3, 31))
    st_ = _at(ladder, 2017, 4, 1)
    assert (st_.tier, st_.since, st_.valid_through) == (
        "silver",
        dt.datetime(2017, 4, 1, tzinfo=NY),
        dt.date(2018, 3, 31),
    )
    assert [(c.old, c.new, c.reason) for c in st_.history[1:]] == [
        ("member", "gold", "upgrade"),
        ("gold", "silver", "downgrade"),
    ]
    assert _at(ladder, 2018, 3, 31).tier == "silver"
    assert _at(ladder, 2018, 4, 1).tier == "member"


def test_hilton_nights_early_in_the_new_year_still_count_at_the_assessment() -> None:
    """40 nights in January 2017 (Gold's standard in 2017): kept Gold through 31 March
    2019, the record of the 2016 Silver does not pull it down."""
    st_ = _at(_hilton(), 2017, 4, 1, [*STAYS, _nights(2017, 1, 10, 40)])
    assert (st_.tier, st_.valid_through) == ("gold", dt.date(2019, 3, 31))


def test_grace_days_wait_then_land_on_the_silver_earned() -> None:
    """``grace_days=30``: Gold held through 30 April 2017 (the drop pending to Silver),
    Silver from 1 May 2017 through 31 March 2018 (the 2016 Silver's validity)."""
    ladder = _hilton(grace_days=30)
    waiting = _at(ladder, 2017, 4, 15)
    assert (waiting.tier, waiting.pending_downgrade) == (
        "gold",
        (dt.datetime(2017, 5, 1, tzinfo=NY), "silver"),
    )
    st_ = _at(ladder, 2017, 5, 1)
    assert (st_.tier, st_.valid_through) == ("silver", dt.date(2018, 3, 31))


def test_one_down_lands_no_lower_than_the_tier_earned() -> None:
    """Diamond (60 nights) in 2015, Gold's 40 nights in 2016: with ``one_down`` and with
    ``reevaluate`` Gold on 1 April 2017 (one_down gave Gold already); Silver's 10 nights
    in 2016 under one_down: Gold (one down beats the Silver earned)."""
    gold_2016 = [_nights(2015, 11, 20, 60), _nights(2016, 6, 5, 40)]
    st_ = _at(_hilton(), 2017, 4, 1, gold_2016)
    assert (st_.tier, st_.valid_through) == ("gold", dt.date(2018, 3, 31))
    # one_down's soft landing keeps its own validity (from the window of the decision).
    assert _at(_hilton(downgrade="one_down"), 2017, 4, 1, gold_2016).tier == "gold"
    silver_2016 = [_nights(2015, 11, 20, 60), _nights(2016, 6, 5, 10)]
    assert _at(_hilton(downgrade="one_down"), 2017, 4, 1, silver_2016).tier == "gold"
    assert _at(_hilton(), 2017, 4, 1, silver_2016).tier == "silver"


def test_to_base_keeps_requalify_or_start_over() -> None:
    """``to_base`` ("requalify or start over", docs/explanation/loyalty-rules.md): the
    Silver reached while Gold was held gives nothing, as it gives nothing when the ended
    year is the one assessed."""
    assert _at(_hilton(downgrade="to_base"), 2017, 4, 1).tier == "member"


def test_lifetime_floor_is_unchanged() -> None:
    """A lifetime Gold (100 nights all-time) holds for good: the Silver earned in 2016
    changes nothing."""
    ladder = _hilton(lifetime=[Tier(name="gold", counts={"nights": 100})])
    posts = [_nights(2015, 11, 20, 90), _nights(2016, 6, 5, 10)]
    st_ = _at(ladder, 2019, 4, 1, posts)
    assert (st_.tier, st_.valid_until, st_.lifetime_floor) == ("gold", None, "gold")


def test_two_window_validity_lands_on_each_tier_earned_in_turn() -> None:
    """``validity_windows=2`` (a tier reached in year N holds through 31 December N + 2),
    four tiers on orders 1/2/3: ``t3`` in 2024 (through 2026), ``t2`` in 2025 (through
    2027), ``t1`` in 2026 (through 2028). On 1 January 2027 ``t2`` (not the ``t1`` of the
    2026 assessment) through 31 December 2027; on 1 January 2028 ``t1`` through 2028;
    2029: base."""
    ladder = TierLadder(
        tiers=[
            Tier(name="t0"),
            Tier(name="t1", orders=1),
            Tier(name="t2", orders=2),
            Tier(name="t3", orders=3),
        ],
        validity_windows=2,
    )
    posts = [
        QualifyingPosting(dt.datetime(2024, 3, 1, tzinfo=UTC), orders=3),
        QualifyingPosting(dt.datetime(2025, 3, 1, tzinfo=UTC), orders=2),
        QualifyingPosting(dt.datetime(2026, 3, 1, tzinfo=UTC), orders=1),
    ]

    def at(y: int) -> tuple[str, dt.date | None]:
        st_ = ladder.evaluate(posts, as_of=dt.datetime(y, 1, 1, 1, tzinfo=UTC), timezone=UTC)
        return st_.tier, st_.valid_through

    assert at(2026) == ("t3", dt.date(2026, 12, 31))
    assert at(2027) == ("t2", dt.date(2027, 12, 31))
    assert at(2028) == ("t1", dt.date(2028, 12, 31))
    assert at(2029) == ("t0", None)


def test_anniversary_windows_keep_the_lower_tier_too() -> None:
    """Member years from 1 July 2024, Gold (2 orders) in the first (through 30 September
    2026 with ``validity_extra_months=3``), Silver's 1 order in the second (1 July 2025 -
    30 June 2026): Silver from 1 October 2026 through 30 September 2027."""
    ladder = TierLadder(
        tiers=[Tier(name="m"), Tier(name="s", orders=1), Tier(name="g", orders=2)],
        window="anniversary",
        validity_extra_months=3,
    )
    posts = [
        QualifyingPosting(dt.datetime(2024, 8, 1, tzinfo=UTC), orders=2),
        QualifyingPosting(dt.datetime(2025, 8, 1, tzinfo=UTC), orders=1),
    ]
    st_ = ladder.evaluate(
        posts,
        as_of=dt.datetime(2026, 10, 1, 1, tzinfo=UTC),
        timezone=UTC,
        enrolled_at=dt.datetime(2024, 7, 1, tzinfo=UTC),
    )
    assert (st_.tier, st_.valid_through) == ("s", dt.date(2027, 9, 30))


@settings(max_examples=examples(150), deadline=None)
@given(
    steps=st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True).map(sorted),
    validity=st.integers(1, 2),
    extra=st.integers(0, 11),
    orders=st.lists(
        st.tuples(st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)), st.integers(1, 3)),
        max_size=12,
    ),
    probes=st.lists(st.dates(dt.date(2024, 1, 1), dt.date(2031, 12, 31)), min_size=1, max_size=5),
)
def test_the_tier_held_is_the_highest_one_earned_still_valid(
    steps: list[int],
    validity: int,
    extra: int,
    orders: list[tuple[dt.date, int]],
    probes: list[dt.date],
) -> None:
    """Calendar years, ``downgrade="reevaluate"``, no grace: at any instant the tier held is
    the highest tier some year's orders reached (by then) whose validity, through the end
    of year + ``validity`` plus ``extra`` months, still runs. Checked against that rule
    written out directly."""
    ladder = TierLadder(
        tiers=[Tier(name="t0")] + [Tier(name=f"t{i}", orders=s) for i, s in enumerate(steps, 1)],
        validity_windows=validity,
        validity_extra_months=extra,
    )
    posts = [
        QualifyingPosting(dt.datetime(d.year, d.month, d.day, 12, tzinfo=UTC), orders=n)
        for d, n in orders
    ]
    for probe in probes:
        t = dt.datetime(probe.year, probe.month, probe.day, 6, tzinfo=UTC)
        best = 0
        for year in range(2024, probe.year + 1):
            total = sum(n for d, n in orders if d.year == year and d < probe)
            reached = sum(1 for s in steps if total >= s)
            end_year, end_month = year + validity + 1 + extra // 12, extra % 12 + 1
            if reached and t < dt.datetime(end_year, end_month, 1, tzinfo=UTC):
                best = max(best, reached)
        held = ladder.evaluate(posts, as_of=t, timezone=UTC)
        assert held.tier == f"t{best}", (probe, held.history)
