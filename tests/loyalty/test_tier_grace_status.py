"""What the status shows during a grace period (``TierLadder(grace_days=...)``), and what
a grace period's end reads on 12 calendar months.

A due drop waits out the grace period; at its end the tier lands no lower than the
counters gathered meanwhile support, and is kept when they reach a keep way
(:attr:`Tier.keep`) or, with ``renew="assessment"``, a way up. The status showed the drop
decided at the assessment until the grace end whatever the member did meanwhile
(regression): Gold "pending a drop to Burgundy" with ``keep_missing == {}`` beside it.
It now shows what the grace end gives as things stand (no further posting): the tier
landed on, or, kept, no pending drop and the validity the grace end gives.

Qatar Airways Privilege Club, "New Tier Qualification and Renewal Thresholds" (effective
4 October 2013): Silver on 150 Qpoints, renewed on 140; Gold on 300, renewed on 275, over
12 months (tests/loyalty/test_tier_keep.py quotes the terms).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from crmkit.loyalty import QualifyingPosting, Tier, TierLadder
from tests.loyalty._ladders import _q, _qatar

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
TIERS = [Tier(name="m"), Tier(name="s", spend="1000"), Tier(name="g", spend="5000")]


def test_keep_way_reached_mid_grace_shows_the_tier_kept() -> None:
    """Gold on 300 Qpoints on 10 March 2024 10:00, due on 10 March 2025 10:00 with nothing
    in the 12 months: the drop to Burgundy waits to 9 April 2025 10:00. 280 Qpoints on
    20 March 2025 reach the 275 that keep Gold (below the 300 that renew it at a posting):
    from then on the status shows Gold kept, no drop pending, valid 12 months from the grace
    end (9 April 2026 10:00), as the grace end gives it; before the posting, the drop."""
    ladder = _qatar(grace_days=30)
    trips = [_q(dt.datetime(2024, 3, 10, 10), 300), _q(dt.datetime(2025, 3, 20, 10), 280)]
    end = dt.datetime(2025, 4, 9, 10, tzinfo=UTC)
    before = ladder.evaluate(trips, as_of=dt.datetime(2025, 3, 15), timezone=UTC)
    assert (before.tier, before.pending_downgrade) == ("gold", (end, "burgundy"))
    assert before.keep_missing == {"points": 275}
    kept = dt.datetime(2026, 4, 9, 10, tzinfo=UTC)
    for as_of in (dt.datetime(2025, 3, 21), end):
        st_ = ladder.evaluate(trips, as_of=as_of, timezone=UTC)
        assert (st_.tier, st_.pending_downgrade, st_.valid_until) == ("gold", None, kept)


def test_postings_leaving_the_window_before_the_grace_end_are_not_counted() -> None:
    """``renew="assessment"``. Gold on 10 March 2024 10:00 (300), 200 Qpoints on 1 April
    2024; the assessment on 10 March 2025 10:00 reads 200 (< 275): Silver's 150 reached,
    the drop to Silver waits to 9 April 2025 10:00. 80 on 15 March 2025 make 280 in the
    12 months on 16 March, but the 200 of 1 April 2024 leave them before the grace end,
    which reads 80: still a drop to Silver, and 195 missing to keep Gold (275 - 80)."""
    ladder = _qatar(grace_days=30, renew="assessment")
    trips = [
        _q(dt.datetime(2024, 3, 10, 10), 300),
        _q(dt.datetime(2024, 4, 1), 200),
        _q(dt.datetime(2025, 3, 15), 80),
    ]
    end = dt.datetime(2025, 4, 9, 10, tzinfo=UTC)
    st_ = ladder.evaluate(trips, as_of=dt.datetime(2025, 3, 16), timezone=UTC)
    assert (st_.counters.points, st_.pending_downgrade, st_.keep_missing) == (
        280,
        (end, "silver"),
        {"points": 195},
    )
    assert ladder.evaluate(trips, as_of=end, timezone=UTC).tier == "silver"


def test_grace_activity_shows_the_higher_landing() -> None:
    """Gold due on 10 March 2025 10:00 with nothing in the 12 months: a drop to Burgundy.
    150 Qpoints on 15 March 2025 (Silver's threshold) land on Silver at the grace end: the
    status shows that drop, not the one to Burgundy."""
    ladder = _qatar(grace_days=30)
    trips = [_q(dt.datetime(2024, 3, 10, 10), 300), _q(dt.datetime(2025, 3, 15), 150)]
    end = dt.datetime(2025, 4, 9, 10, tzinfo=UTC)
    st_ = ladder.evaluate(trips, as_of=dt.datetime(2025, 3, 16), timezone=UTC)
    assert st_.pending_downgrade == (end, "silver")
    assert ladder.evaluate(trips, as_of=end, timezone=UTC).tier == "silver"


def test_a_grace_end_on_a_month_start_reads_the_months_that_ended() -> None:
    """12 calendar months, a tier holding two windows, grace 30 days, Europe/Berlin. Gold
    (5,000) on 10 March 2024 holds through March 2026 (to 1 April 2026 00:00); 600 spent on
    20 May 2025 and 600 on 15 April 2026 (in the grace period, which ends on 1 May 2026
    00:00, a month's start). As an assessment at a month's start reads the months that
    ended, the grace end reads May 2025 - April 2026: 1,200, Silver (regression: it read
    June 2025 - May 2026, 600, and landed on ``m``). Silver holds as landed at the
    assessment of April 2026: through March 2028."""
    ladder = TierLadder(
        tiers=TIERS, window="rolling_calendar_months", validity_windows=2, grace_days=30
    )
    posts = [
        QualifyingPosting(dt.datetime(2024, 3, 10), spend="5000"),
        QualifyingPosting(dt.datetime(2025, 5, 20), spend="600"),
        QualifyingPosting(dt.datetime(2026, 4, 15), spend="600"),
    ]
    end = dt.datetime(2026, 5, 1, tzinfo=BERLIN)
    waiting = ladder.evaluate(posts, as_of=dt.datetime(2026, 4, 30), timezone=BERLIN)
    assert waiting.pending_downgrade == (end, "s")
    st_ = ladder.evaluate(posts, as_of=end, timezone=BERLIN)
    assert (st_.tier, st_.since, st_.valid_through) == ("s", end, dt.date(2028, 3, 31))


def test_a_tier_kept_at_a_month_start_grace_end_holds_from_the_month_that_ended() -> None:
    """As above with ``renew="assessment"``: 5,000 on 15 April 2026, in the grace period,
    reach Gold again; kept at the grace end (1 May 2026 00:00), from April 2026, the last
    month held: through April 2028 (24 months after it), not May 2028. The status says so
    from the posting on."""
    ladder = TierLadder(
        tiers=TIERS,
        window="rolling_calendar_months",
        validity_windows=2,
        grace_days=30,
        renew="assessment",
    )
    posts = [
        QualifyingPosting(dt.datetime(2024, 3, 10), spend="5000"),
        QualifyingPosting(dt.datetime(2026, 4, 15), spend="5000"),
    ]
    for as_of in (dt.datetime(2026, 4, 20), dt.datetime(2026, 5, 1)):
        st_ = ladder.evaluate(posts, as_of=as_of, timezone=BERLIN)
        assert (st_.tier, st_.pending_downgrade, st_.valid_through) == (
            "g",
            None,
            dt.date(2028, 4, 30),
        )
