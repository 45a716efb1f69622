"""``downgrade="to_base"`` where the counters outlive the drop: "requalify or start over".

The explanation page (docs/explanation/loyalty-rules.md) defines ``to_base`` as "requalify
or start over", and the one published program crmkit pins with it, Starbucks Rewards
2016 (tests/loyalty/test_published_status.py), starts over from zero: "Earn 300
additional Stars", "300 new Stars during each consecutive 12-month period". A calendar
year's counters start over at its end, a ``since_change`` period at the drop. Where they
did not (sliding windows; a calendar year whose validity ends inside it,
``validity_extra_months``), a member dropped to the base kept the counters the failed
assessment read: the status showed the base tier with ``next_tier`` reached and nothing
missing, and any posting, even of nothing, then upgraded them (regression). Now the
counters start over at the decision, in the tracker, :meth:`TierLadder.evaluate` and the
ledger's batch fold (``_post_many``) alike.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import QualifyingPosting, Tier, TierLadder
from tests.loyalty._ladders import _ledger_rows, _steps
from tests.strategies import examples, qualifying_postings, tier_ladders

UTC = dt.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
TIERS = [Tier(name="m"), Tier(name="s", spend="1000"), Tier(name="g", spend="5000")]


def _spend(
    when: dt.datetime, amount: str, reverses: dt.datetime | None = None
) -> QualifyingPosting:
    return QualifyingPosting(when, spend=amount, reverses=reverses)


def _rolling(**options: object) -> TierLadder:
    """Rolling 12 months, a tier holding two windows (24 months) from its posting."""
    return TierLadder(tiers=TIERS, window="rolling", validity_windows=2, **options)  # type: ignore[arg-type]


# Gold (5,000) on 10 January 2024: valid to 10 January 2026 00:00. 1,500 on 1 June 2025 reach
# Silver only. At the assessment the 12 months (10 January 2025, 10 January 2026] hold 1,500.
GOLD_THEN_SILVER = [
    _spend(dt.datetime(2024, 1, 10), "5000"),
    _spend(dt.datetime(2025, 6, 1), "1500"),
]


def test_rolling_to_base_starts_the_counters_over_at_the_drop() -> None:
    """to_base: the member lands on ``m`` at 10 January 2026 with counters at 0 (not the
    1,500 the assessment read), so Silver lacks 1,000 and the window starts at the drop. A
    posting of nothing on 1 March 2026 changes nothing (it gave Silver before); 600 on
    1 February and 400 on 1 March 2026 (1,000 new) give Silver on 1 March. ``reevaluate``
    lands on Silver at the assessment itself."""
    ladder = _rolling(downgrade="to_base")
    st_ = ladder.evaluate(GOLD_THEN_SILVER, as_of=dt.date(2026, 3, 1), timezone=UTC)
    assert (st_.tier, st_.next_tier, st_.missing) == ("m", "s", {"spend": Decimal("1000")})
    assert st_.counters.spend == 0
    assert st_.window_start == dt.datetime(2026, 1, 10, tzinfo=UTC)
    assert st_.history[-1].time == dt.datetime(2026, 1, 10, tzinfo=UTC)
    nothing = [*GOLD_THEN_SILVER, _spend(dt.datetime(2026, 3, 1), "0")]
    assert ladder.evaluate(nothing, as_of=dt.date(2026, 3, 1), timezone=UTC).tier == "m"
    new = [
        *GOLD_THEN_SILVER,
        _spend(dt.datetime(2026, 2, 1), "600"),
        _spend(dt.datetime(2026, 3, 1), "400"),
    ]
    st_ = ladder.evaluate(new, as_of=dt.date(2026, 3, 1), timezone=UTC)
    assert (st_.tier, st_.since) == ("s", dt.datetime(2026, 3, 1, tzinfo=UTC))
    reevaluate = _rolling().evaluate(GOLD_THEN_SILVER, as_of=dt.date(2026, 3, 1), timezone=UTC)
    assert (reevaluate.tier, reevaluate.since) == ("s", dt.datetime(2026, 1, 10, tzinfo=UTC))


def test_rolling_calendar_months_to_base_starts_over_too() -> None:
    """12 calendar months: Gold of January 2024 holds through January 2026 (validity to
    1 February 2026); the months read then (February 2025 - January 2026) hold the 1,500 of
    June 2025. to_base: ``m`` with counters at 0 from 1 February 2026."""
    ladder = TierLadder(
        tiers=TIERS, window="rolling_calendar_months", validity_windows=2, downgrade="to_base"
    )
    st_ = ladder.evaluate(GOLD_THEN_SILVER, as_of=dt.date(2026, 3, 1), timezone=SH)
    assert (st_.tier, st_.counters.spend, st_.missing) == ("m", 0, {"spend": Decimal("1000")})
    assert st_.window_start == dt.datetime(2026, 2, 1, tzinfo=SH)


def test_to_base_with_grace_lands_on_what_the_grace_period_gathered() -> None:
    """Grace 30 days: the drop decided on 10 January 2026 waits to 9 February. The 1,500 read
    by the assessment give nothing (before: Silver at the grace end); 1,000 spent on
    20 January 2026, in the grace period, reach Silver from zero: the status shows the drop
    to Silver from then on, and Silver it is on 9 February."""
    ladder = _rolling(downgrade="to_base", grace_days=30)
    end = dt.datetime(2026, 2, 9, tzinfo=UTC)
    alone = ladder.evaluate(GOLD_THEN_SILVER, as_of=end, timezone=UTC)
    assert (alone.tier, alone.counters.spend) == ("m", 0)
    grace = [*GOLD_THEN_SILVER, _spend(dt.datetime(2026, 1, 20), "1000")]
    waiting = ladder.evaluate(grace, as_of=dt.datetime(2026, 1, 19), timezone=UTC)
    assert (waiting.tier, waiting.pending_downgrade, waiting.counters.spend) == ("g", (end, "m"), 0)
    waiting = ladder.evaluate(grace, as_of=dt.datetime(2026, 1, 21), timezone=UTC)
    assert waiting.pending_downgrade == (end, "s")
    assert ladder.evaluate(grace, as_of=end, timezone=UTC).tier == "s"


def test_calendar_year_with_extra_months_to_base_starts_over_mid_year() -> None:
    """Calendar years, validity through 31 March of the year after next
    (``validity_extra_months=3``), Europe/Paris: Gold on 10 May 2024 holds to 1 April 2026
    00:00 CEST. 1,500 spent on 1 February 2026 reach Silver in 2026's window but do not
    renew Gold. At 1 April 2026 to_base drops to ``m``: 2026's counters start over there
    (the window still ends on 1 January 2027); a refund of the February purchase on 15 April
    (``refunds="purchase_window"``) reverses activity from before the start over: it changes
    nothing."""
    ladder = TierLadder(
        tiers=TIERS, validity_extra_months=3, downgrade="to_base", refunds="purchase_window"
    )
    posts = [
        _spend(dt.datetime(2024, 5, 10), "5000"),
        _spend(dt.datetime(2026, 2, 1), "1500"),
        _spend(dt.datetime(2026, 4, 15), "-1500", reverses=dt.datetime(2026, 2, 1)),
    ]
    st_ = ladder.evaluate(posts, as_of=dt.date(2026, 5, 1), timezone=PARIS)
    assert (st_.tier, st_.counters.spend, st_.missing) == ("m", 0, {"spend": Decimal("1000")})
    assert (st_.window_start, st_.window_end) == (
        dt.datetime(2026, 4, 1, tzinfo=PARIS),
        dt.datetime(2027, 1, 1, tzinfo=PARIS),
    )
    nothing = [*posts[:2], _spend(dt.datetime(2026, 4, 2), "0")]
    assert ladder.evaluate(nothing, as_of=dt.date(2026, 5, 1), timezone=PARIS).tier == "m"


@settings(max_examples=examples(120), deadline=None)
@given(
    ladder=tier_ladders(downgrades=("to_base",), keep_ways=True, assessment_options=True),
    posts=qualifying_postings(refunds=True),
    stops=st.lists(st.integers(0, 4 * 365), max_size=5),
)
def test_after_a_drop_to_base_the_status_never_shows_a_tier_reached(
    ladder: TierLadder, posts: list[QualifyingPosting], stops: list[int]
) -> None:
    """Whatever the window and options, a to_base ladder's status never shows counters that
    reach a tier above the one held with no pending drop (the contradiction of the
    regression: the upgrade rule would give it at the next posting, of anything), and the
    tracker read step by step, the ledger's batch fold and ``evaluate`` agree."""
    ladder = attrs.evolve(ladder, climb="highest")
    enrolled = dt.datetime(2024, 1, 1)
    as_of = dt.datetime(2027, 6, 1)
    tracker = ladder.tracker(enrolled, timezone=SH)
    for when, posting in _steps(posts, stops, enrolled, as_of):
        if posting is None:
            st_ = tracker.status(when)
            if st_.next_tier is not None and st_.pending_downgrade is None:
                reached = ladder.qualify(
                    st_.counters.spend, st_.counters.points, st_.counters.orders,
                    counts=st_.counters.counts,
                )  # fmt: skip
                assert ladder.rank(reached) <= ladder.rank(st_.tier)
        else:
            tracker.post(posting)
    expected = ladder.evaluate(posts, as_of=as_of, timezone=SH, enrolled_at=enrolled)
    assert tracker.status(as_of) == expected
    batch = ladder.tracker(enrolled, timezone=SH)
    batch._post_many(_ledger_rows(posts, as_of, SH))
    assert batch.status(as_of) == expected
