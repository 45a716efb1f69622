"""The tier tracker's batch posting (``TierTracker._post_many``, what the ledger's
``Book.tier_status`` feeds its qualifying postings through) equals posting one by one.

Ledger postings are tuples ``(time, spend, points, orders, counts, origin)`` with UTC
instants; one by one they go through ``TierTracker._post`` at their local time, as the
ledger did before the batch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.loyalty import (
    EarningScheme,
    Enroll,
    Program,
    Purchase,
    PurchaseLine,
    QualifyingPosting,
    Tier,
    TierLadder,
    TierTracker,
)
from tests.strategies import TIER_ZONES, ledger_qualifying, one_metric_ladders, tier_ladders

#: What a tracker holds (its caches, ``_vcache`` and ``_bounds``, and the ladder's shared
#: tables left out; ``_older`` and ``_restarted`` hold what a lagged assessment and a drop
#: to the base tier read).
STATE = (
    "_anchor",
    "_as_of",
    "_carried",
    "_counts",
    "_cur",
    "_earned",
    "_floor",
    "_history",
    "_lifetime",
    "_older",
    "_pending",
    "_recent",
    "_restarted",
    "_since",
    "_ups",
    "_valid_until",
    "_wend",
    "_wstart",
)


def state(tracker: TierTracker) -> str:
    """The tracker's state, exactly: ``repr`` tells ``Decimal('1.0')`` from ``Decimal('1')``
    and a time zone from another at the same instant."""
    return repr([getattr(tracker, name) for name in STATE])


def one_by_one(tracker: TierTracker, postings: list[tuple[Any, ...]], zone: Any) -> None:
    """The ledger's loop before the batch (``Book.tier_status`` up to this change)."""
    for when, spend, points, orders, counts, origin in postings:
        tracker._post(when.astimezone(zone), spend, points, orders, counts, origin)


def outcome(call: Any) -> str | None:
    """None, or the error ``call()`` raised (type and message)."""
    try:
        call()
    except InvalidInputError as error:
        return f"{type(error).__name__}: {error}"
    return None


@given(
    st.one_of(one_metric_ladders(), tier_ladders(keep_ways=True, assessment_options=True)),
    ledger_qualifying(shuffled=True),
    st.sampled_from(TIER_ZONES),
    st.sampled_from([0, 2]),
    st.lists(st.integers(0, 60), max_size=4),
    st.integers(0, 400),
)
def test_batch_posting_equals_posting_one_by_one(  # noqa: PLR0917 (hypothesis draws)
    ladder: TierLadder,
    postings: list[tuple[Any, ...]],
    name: str,
    point_decimals: int,
    cuts: list[int],
    later_days: int,
) -> None:
    """Any ladder (windows calendar, anniversary, rolling, since_change; every downgrade
    mode, grace, lifetime tiers, refunds posted/purchase_window/net, rollover, climbs,
    alternatives, named counts, keep ways, extra validity months, upgrade validity,
    assessment lag, renewal at the assessment) and any run of ledger postings (refunds with and without
    origin, equal times, a posting out of order, clock changes): fed in batches cut
    anywhere, with the ledger's status reads between them, the tracker ends in exactly the
    state, status and error of posting one by one."""
    zone = zoneinfo.ZoneInfo(name)
    first = postings[0][0] if postings else dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    start = first - dt.timedelta(days=later_days % 40)
    single = ladder.tracker(start, timezone=zone, point_decimals=point_decimals)
    batched = ladder.tracker(start, timezone=zone, point_decimals=point_decimals)
    bounds = sorted({0, len(postings), *(c for c in cuts if c < len(postings))})
    for a, b in itertools.pairwise(bounds):
        part = postings[a:b]
        expected = outcome(lambda part=part: one_by_one(single, part, zone))
        assert outcome(lambda part=part: batched._post_many(part)) == expected
        assert state(batched) == state(single)
        if expected is not None:
            return
        # The ledger reads the status at the last posting (Book.tier_status(now)).
        at = part[-1][0] if part else start
        assert repr(batched.status(at)) == repr(single.status(at))
    end = (postings[-1][0] if postings else start) + dt.timedelta(days=later_days)
    assert repr(batched.status(end)) == repr(single.status(end))
    assert state(batched) == state(single)


RETAIL = TierLadder(
    tiers=[
        Tier(name="member"),
        Tier(name="silver", spend="2000"),
        Tier(name="gold", spend="10000"),
    ],
    downgrade="one_down",
)


def test_plain_postings_only_add_between_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """300 purchases of 100.00 (and a refund of 50.00) on the retail ladder: the batch
    settles the tier only where the spend crosses 2,000 and 10,000 (the 20th and 100th
    purchase) and re-reads nothing else; the result is the one-by-one result (spend
    29,950.00 = 300 x 100.00 - 50.00)."""
    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    t0 = dt.datetime(2025, 1, 5, 2, tzinfo=dt.UTC)
    postings: list[tuple[Any, ...]] = [
        (t0 + dt.timedelta(hours=i), Decimal("100.00"), 100, 1, (), None) for i in range(300)
    ]
    postings.insert(150, (t0 + dt.timedelta(hours=149), Decimal("-50.00"), -50, -1, (), t0))
    single = RETAIL.tracker(t0, timezone=zone)
    one_by_one(single, postings, zone)
    batched = RETAIL.tracker(t0, timezone=zone)
    calls: list[str] = []
    post, settle = TierTracker._post, TierTracker._settle
    monkeypatch.setattr(
        TierTracker, "_post", lambda self, *a: calls.append("post") or post(self, *a)
    )
    monkeypatch.setattr(
        TierTracker, "_settle", lambda self, *a: calls.append("settle") or settle(self, *a)
    )
    batched._post_many(postings)
    assert calls == ["settle", "settle"]
    assert state(batched) == state(single)
    status = batched.status(t0 + dt.timedelta(days=30))
    assert status.counters.spend == Decimal("29950.00")
    # The 20th purchase at t0 + 19 h = 6 January 05:00 in Shanghai, the 100th at t0 + 99 h.
    assert [(c.new, c.time.isoformat()) for c in status.history[1:]] == [
        ("silver", "2025-01-06T05:00:00+08:00"),
        ("gold", "2025-01-09T13:00:00+08:00"),
    ]


def test_postings_across_the_autumn_clock_change_are_in_order() -> None:
    """Regression: 02:50 CEST and 02:10 CET on 26 October 2025 in Berlin are 20 minutes
    apart in that order; the tracker compared the clock times (02:10 < 02:50) and refused
    the second posting as out of order, and ``Program.replay`` of two purchases in that
    hour raised. 60 + 60 reach gold (100) at the second purchase."""
    ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", spend="100")])
    first = dt.datetime(2025, 10, 26, 0, 50, tzinfo=dt.UTC)
    second = dt.datetime(2025, 10, 26, 1, 10, tzinfo=dt.UTC)
    tracker = ladder.tracker(dt.datetime(2025, 1, 1), timezone="Europe/Berlin")
    tracker.post(QualifyingPosting(first, spend="60"))
    tracker.post(QualifyingPosting(second, spend="60"))
    assert tracker.tier == "g"
    with pytest.raises(InvalidInputError, match="not before the tracker's time"):
        tracker.advance(first - dt.timedelta(hours=1))  # before on the clock and in time
    program = Program(timezone="Europe/Berlin", earning=EarningScheme.base_rate(1), tiers=ladder)
    events = [
        Enroll("e", dt.datetime(2025, 1, 1, tzinfo=dt.UTC)),
        Purchase("p1", first, lines=[PurchaseLine("1", "60")]),
        Purchase("p2", second, lines=[PurchaseLine("1", "60")]),
    ]
    status = program.replay(events, as_of=dt.datetime(2025, 11, 1, tzinfo=dt.UTC)).tier
    assert status is not None
    assert (status.tier, status.since.isoformat()) == ("g", "2025-10-26T02:10:00+01:00")


def test_evaluate_orders_postings_of_the_repeated_hour_by_instant() -> None:
    """Regression: ``TierLadder.evaluate`` sorted postings by their local clock time, so
    60.00 at 02:50 CEST (00:50 UTC) and 60.00 at 02:10 CET (01:10 UTC) on 26 October 2025
    in Berlin were posted in the wrong order and gold (100) was dated 02:50 CEST, when
    only 60.00 had been spent. Gold is reached at the second purchase, 02:10 CET, as the
    ledger's replay says."""
    ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", spend="100")])
    first = QualifyingPosting(dt.datetime(2025, 10, 26, 0, 50, tzinfo=dt.UTC), spend="60")
    second = QualifyingPosting(dt.datetime(2025, 10, 26, 1, 10, tzinfo=dt.UTC), spend="60")
    for postings in ([first, second], [second, first]):
        status = ladder.evaluate(
            postings,
            as_of=dt.datetime(2025, 11, 1, tzinfo=dt.UTC),
            timezone="Europe/Berlin",
            enrolled_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        )
        assert (status.tier, status.since.isoformat()) == ("g", "2025-10-26T02:10:00+01:00")
    # A cut-off inside the repeated hour counts the postings up to that instant.
    status = ladder.evaluate(
        [first, second],
        as_of=dt.datetime(2025, 10, 26, 1, 0, tzinfo=dt.UTC),  # 02:00 CET, after 02:50 CEST
        timezone="Europe/Berlin",
        enrolled_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    assert (status.tier, status.counters.spend) == ("m", Decimal("60"))


def test_a_period_ending_in_the_repeated_hour_ends_on_the_clock() -> None:
    """A qualification period that ends in the hour Berlin's clocks go back: it began at
    02:30 CET on 29 October 2017 (the second 02:30 of that night) and runs 72 months, to
    02:30 CET on 29 October 2023 (01:30 UTC). A purchase at 02:45 CEST (00:45 UTC) is an
    earlier instant but a later clock time: the tracker compares clock times, so the
    period has ended and the 95.00 start the next one (10.00 + 95.00 would have reached
    silver in the old one). The batch keeps two days away from the ends it compares in
    UTC, and so posts it the same way."""
    ladder = TierLadder(
        tiers=[Tier(name="m"), Tier(name="s", spend="100")],
        window="since_change",
        window_months=72,
    )
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    start = dt.datetime(2017, 10, 29, 1, 30, tzinfo=dt.UTC)
    postings = [
        (dt.datetime(2023, 3, 1, tzinfo=dt.UTC), Decimal("10"), 10, 1, (), None),
        (dt.datetime(2023, 10, 29, 0, 45, tzinfo=dt.UTC), Decimal("95"), 95, 1, (), None),
    ]
    single = ladder.tracker(start, timezone=zone)
    one_by_one(single, postings, zone)
    batched = ladder.tracker(start, timezone=zone)
    batched._post_many(postings)
    assert state(batched) == state(single)
    status = batched.status(dt.datetime(2023, 11, 1, tzinfo=dt.UTC))
    assert (status.tier, status.counters.spend) == ("m", Decimal("95"))
    assert status.window_start.isoformat() == "2023-10-29T02:30:00+01:00"
