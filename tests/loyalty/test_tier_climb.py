"""Flying Blue's qualification rules (rule 4): ``rollover_on`` and ``climb``.

``rollover_on="upgrade_or_keep"``: a level kept at the end of the qualification period
offsets the counters by its thresholds and the surplus starts the next period.
``climb="one_level"``: an upgrade climbs a level at a time, each level's thresholds taken
from the counters in turn. Hand-checked examples, then properties: XP are conserved (what
the counters hold = what was posted - the thresholds climbed), the tracker step by step
equals ``evaluate``, and a program's incremental ``apply`` equals ``replay``.
"""

from __future__ import annotations

import datetime as dt
from itertools import accumulate
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Adjust,
    EarningScheme,
    Program,
    Purchase,
    PurchaseLine,
    QualifyingPosting,
    Tier,
    TierLadder,
)
from tests.strategies import examples

UTC = dt.UTC
THRESHOLDS = (100, 180, 300)


def _ladder(**options: Any) -> TierLadder:
    return TierLadder(
        tiers=[
            Tier(name="explorer"),
            Tier(name="silver", points=THRESHOLDS[0]),
            Tier(name="gold", points=THRESHOLDS[1]),
            Tier(name="platinum", points=THRESHOLDS[2]),
        ],
        window="since_change",
        window_months=12,
        downgrade="one_down",
        rollover="surplus",
        **options,
    )


def test_kept_level_offsets_the_counter_and_the_cap_applies() -> None:
    """Gold kept at the end of the period with 500 XP: 500 - 180 = 320 surplus, capped at
    300 (Flying Blue's cap); the next period starts with 300. Without ``upgrade_or_keep``
    it starts with 0."""
    posts = [
        QualifyingPosting(dt.datetime(2025, 2, 1, tzinfo=UTC), points=280),  # silver, gold
        QualifyingPosting(dt.datetime(2025, 9, 1, tzinfo=UTC), points=500),
    ]
    ladder = _ladder(rollover_cap=300, rollover_on="upgrade_or_keep", climb="one_level")
    kw = {"timezone": "UTC", "enrolled_at": dt.datetime(2025, 1, 1, tzinfo=UTC)}
    first = ladder.evaluate(posts[:1], as_of=dt.datetime(2025, 2, 2, tzinfo=UTC), **kw)
    assert (first.tier, first.counters.points) == ("gold", 0)
    # 500 in the gold period: platinum (300) reached on 1 September, 200 left.
    up = ladder.evaluate(posts, as_of=dt.datetime(2025, 9, 2, tzinfo=UTC), **kw)
    assert (up.tier, up.counters.points) == ("platinum", 200)
    kept = _ladder(rollover_cap=300, rollover_on="upgrade_or_keep").evaluate(
        [
            QualifyingPosting(dt.datetime(2025, 2, 1, tzinfo=UTC), points=180),
            QualifyingPosting(dt.datetime(2025, 9, 1, tzinfo=UTC), points=500),
        ],
        as_of=dt.datetime(2025, 9, 2, tzinfo=UTC),
        **kw,
    )
    assert (kept.tier, kept.counters.points) == ("platinum", 200)
    # A gold member with 500 XP in a period without an upgrade (platinum needs 600 here).
    high = TierLadder(
        tiers=[Tier(name="explorer"), Tier(name="gold", points=180), Tier(name="top", points=600)],
        window="since_change",
        window_months=12,
        rollover="surplus",
        rollover_cap=300,
        rollover_on="upgrade_or_keep",
    )
    gold_posts = [
        QualifyingPosting(dt.datetime(2025, 2, 1, tzinfo=UTC), points=180),
        QualifyingPosting(dt.datetime(2025, 9, 1, tzinfo=UTC), points=500),
    ]
    end = high.evaluate(gold_posts, as_of=dt.datetime(2026, 2, 2, tzinfo=UTC), **kw)
    assert (end.tier, end.counters.points, end.window_start) == (
        "gold",
        300,
        dt.datetime(2026, 2, 1, tzinfo=UTC),
    )
    plain = TierLadder.from_dict({**high.to_dict(), "rollover_on": "upgrade"})
    assert (
        plain.evaluate(gold_posts, as_of=dt.datetime(2026, 2, 2, tzinfo=UTC), **kw).counters.points
        == 0
    )


def test_options_are_checked_and_round_trip() -> None:
    with pytest.raises(ConfigError, match="rollover_on"):
        TierLadder(tiers=[Tier(name="a")], window="since_change", rollover_on="upgrade_or_keep")
    with pytest.raises(ConfigError, match="climb"):
        TierLadder(tiers=[Tier(name="a")], climb="one_level")
    with pytest.raises(ConfigError, match="climb"):
        _ladder(climb="two_levels")
    ladder = _ladder(rollover_on="upgrade_or_keep", climb="one_level")
    data = ladder.to_dict()
    assert (data["rollover_on"], data["climb"]) == ("upgrade_or_keep", "one_level")
    assert TierLadder.from_dict(data) == ladder
    # JSON written before the options loads with the old behaviour (and writes neither).
    old = {k: v for k, v in data.items() if k not in ("rollover_on", "climb")}
    assert TierLadder.from_dict(old) == _ladder()
    assert "climb" not in _ladder().to_dict()


@settings(max_examples=examples(150), deadline=None)
@given(st.integers(0, 2_000))
def test_one_level_climb_conserves_xp(xp: int) -> None:
    """From the base, X XP at once: the highest k with 100 + 180 + ... (k levels) <= X,
    and the counter holds X minus those thresholds (no cap)."""
    t = dt.datetime(2025, 2, 1, tzinfo=UTC)
    st_ = _ladder(climb="one_level").evaluate(
        [QualifyingPosting(t, points=xp)], as_of=t, timezone="UTC", enrolled_at=t
    )
    sums = [0, *accumulate(THRESHOLDS)]
    level = max(k for k, total in enumerate(sums) if total <= xp)
    assert st_.tier == ["explorer", "silver", "gold", "platinum"][level]
    assert st_.counters.points == (xp - sums[level] if level else xp)


_xp_posts = st.lists(
    st.tuples(st.integers(0, 900), st.integers(0, 400)), min_size=1, max_size=8
).map(
    lambda rows: [
        QualifyingPosting(dt.datetime(2025, 1, 1, tzinfo=UTC) + dt.timedelta(days=d), points=p)
        for d, p in sorted(rows)
    ]
)


@settings(max_examples=examples(100), deadline=None)
@given(
    _xp_posts,
    st.sampled_from(["upgrade", "upgrade_or_keep"]),
    st.sampled_from(["highest", "one_level"]),
    st.sampled_from([None, 300]),
    st.integers(0, 1_500),
)
def test_tracker_step_by_step_equals_evaluate(
    posts: list[QualifyingPosting], on: str, climb: str, cap: int | None, days: int
) -> None:
    ladder = _ladder(rollover_on=on, climb=climb, rollover_cap=cap)
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    as_of = start + dt.timedelta(days=days)
    tracker = ladder.tracker(start, timezone="UTC")
    for post in posts:
        if post.time > as_of:
            break
        tracker.advance(post.time)
        tracker.post(post)
    status = tracker.status(as_of)
    assert status == ladder.evaluate(posts, as_of=as_of, timezone="UTC", enrolled_at=start)
    assert status.counters.points >= 0
    if cap is not None:
        assert status.counters.points <= cap + sum(p.points for p in posts)


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 400)), min_size=1, max_size=10),
    st.sampled_from(["highest", "one_level"]),
)
def test_program_apply_equals_replay_and_points_are_conserved(
    rows: list[tuple[int, int]], climb: str
) -> None:
    ladder = _ladder(rollover_cap=300, rollover_on="upgrade_or_keep", climb=climb)
    program = Program(timezone="UTC", tiers=ladder, earning=EarningScheme.base_rate(1))
    now = dt.datetime(2025, 1, 1, 9, tzinfo=UTC)
    events: list[Any] = [Adjust("start", now, points=1, reason="welcome")]
    for n, (days, amount) in enumerate(rows):
        now += dt.timedelta(days=days, hours=1)
        events.append(Purchase(f"p{n}", now, lines=[PurchaseLine("1", str(amount))]))
    state = program.replay([], as_of=events[0].time)
    for event in events:
        state = program.apply(state, event)
    assert state == program.replay(events, as_of=now)
    later = program.replay(events, as_of=now + dt.timedelta(days=500))
    assert later.credited == later.available + later.spent + later.expired + later.reversed
    assert later.credited == 1 + sum(amount for _, amount in rows)
