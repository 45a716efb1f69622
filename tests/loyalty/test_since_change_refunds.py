"""Refunds on a ``since_change`` qualification period (session 18).

An upgrade ends the period it was reached in and starts a new one. A refund of a
purchase made in the ended period (the upgrading purchase itself included) used to count
in the new period: the counters went negative (-60 below), and under ``refunds="net"``
the undone upgrade left the period restarted, the refunded member's earlier activity
lost. Now, with ``refunds="purchase_window"``, such a refund stands (its period is over);
with ``"net"`` the tier follows net purchases as if the purchase had never been bought:
the ended period runs on with its counters less the refund (plus what was posted since
the upgrade), or, when those still reach the tier, the upgrade stands and only the
surplus it rolled over shrinks.

The ladder below: explorer, silver at 100 points, gold at 180, a period of 12 months from
enrolment (1 January 2025) restarting at every change of level, as Flying Blue's XP.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from crmkit.loyalty import QualifyingPosting, Tier, TierLadder, TierStatus
from tests.strategies import examples, qualifying_postings, tier_ladders

TIERS = [Tier(name="explorer"), Tier(name="silver", points=100), Tier(name="gold", points=180)]
ENROLLED = dt.datetime(2025, 1, 1)


def _status(posts: list[Any], as_of: dt.datetime = dt.datetime(2025, 5, 1), **kw: Any) -> Any:
    ladder = TierLadder(tiers=TIERS, window="since_change", window_months=12, **kw)
    return ladder.evaluate(posts, as_of=as_of, timezone="Europe/Paris", enrolled_at=ENROLLED)


def _read(status: TierStatus) -> tuple[Any, ...]:
    return (
        status.tier,
        status.counters.points,
        status.window_start.date().isoformat(),
        [c.reason for c in status.history[1:]],
    )


BOUGHT = [
    QualifyingPosting(dt.datetime(2025, 3, 1), points=60),
    QualifyingPosting(dt.datetime(2025, 4, 1), points=60),  # 120 >= 100: silver, restart
]


def _refund(points: int, at: dt.datetime = dt.datetime(2025, 4, 20)) -> QualifyingPosting:
    return QualifyingPosting(at, points=-points, reverses=dt.datetime(2025, 4, 1))


def test_purchase_window_refund_of_the_upgrading_purchase_stands() -> None:
    """Regression: the refund of 1 April's 60 points counted in the period 1 April started
    (counters -60); its purchase was in the period the upgrade ended, which is over."""
    assert _read(_status([*BOUGHT, _refund(60)], refunds="purchase_window")) == (
        "silver", 0, "2025-04-01", ["upgrade"],
    )  # fmt: skip


def test_net_refund_of_the_upgrading_purchase_restores_the_period_it_ended() -> None:
    """Regression: under "net" the upgrade was undone but the period stayed restarted with
    -60 points, the 60 of 1 March lost. As never bought: explorer, 60 + 60 - 60 = 60
    points, the period from enrolment (1 January 2025 to 1 January 2026) running on."""
    status = _status([*BOUGHT, _refund(60)], refunds="net")
    assert _read(status) == ("explorer", 60, "2025-01-01", ["upgrade", "refund"])
    assert status.window_end.date() == dt.date(2026, 1, 1)


def test_net_partial_refund_that_still_reaches_the_tier_leaves_the_upgrade() -> None:
    """Refunding 10 of the 60: 110 >= 100 in the ended period, so silver stands and its
    period (from 1 April) is untouched: 0 points, not -10."""
    assert _read(_status([*BOUGHT, _refund(10)], refunds="net")) == (
        "silver", 0, "2025-04-01", ["upgrade"],
    )  # fmt: skip


def test_net_partial_refund_shrinks_the_surplus_rolled_over() -> None:
    """70 + 60 = 130 points: silver with 30 rolled over (rollover="surplus"). Refunding 20
    of 1 April's purchase leaves 110: silver stands with a surplus of 10. Refunding all 60
    leaves 70: explorer again, the period from enrolment with 70 points."""
    posts = [QualifyingPosting(dt.datetime(2025, 3, 1), points=70), BOUGHT[1]]
    assert _read(_status([*posts, _refund(20)], refunds="net", rollover="surplus")) == (
        "silver", 10, "2025-04-01", ["upgrade"],
    )  # fmt: skip
    assert _read(_status([*posts, _refund(60)], refunds="net", rollover="surplus")) == (
        "explorer", 70, "2025-01-01", ["upgrade", "refund"],
    )  # fmt: skip


def test_net_posting_after_the_upgrade_counts_in_the_restored_period() -> None:
    """30 points on 10 April (in silver's new period), then 1 April's purchase refunded:
    as never bought, the 30 were earned in the period from enrolment: 60 + 30 = 90."""
    later = QualifyingPosting(dt.datetime(2025, 4, 10), points=30)
    assert _read(_status([*BOUGHT, later, _refund(60)], refunds="net")) == (
        "explorer", 90, "2025-01-01", ["upgrade", "refund"],
    )  # fmt: skip


def test_net_refund_after_the_ended_period_would_have_closed_stands() -> None:
    """Refunded on 15 January 2026, after 1 January 2026, when the period the purchase was
    in would have ended anyway: the refund stands and silver with it."""
    posts = [*BOUGHT, _refund(60, dt.datetime(2026, 1, 15))]
    assert _read(_status(posts, as_of=dt.datetime(2026, 2, 1), refunds="net")) == (
        "silver", 0, "2025-04-01", ["upgrade"],
    )  # fmt: skip


def test_net_one_level_climb_undone_back_to_the_level_before() -> None:
    """Flying Blue's one level at a time: 150 on 1 March is silver (100), 50 rolled over;
    150 on 1 April makes 200: gold (180), 20 rolled over. Refunding 100 of 1 April's
    purchase leaves 100 in silver's period: short of gold, silver again with its period
    (from 1 March) and 100 points (50 + 150 - 100)."""
    posts = [
        QualifyingPosting(dt.datetime(2025, 3, 1), points=150),
        QualifyingPosting(dt.datetime(2025, 4, 1), points=150),
        _refund(100),
    ]
    status = _status(posts, refunds="net", rollover="surplus", climb="one_level")
    assert _read(status) == ("silver", 100, "2025-03-01", ["upgrade", "upgrade", "refund"])


@settings(max_examples=examples(40), deadline=None)
@given(
    tier_ladders(windows=("since_change",)),
    qualifying_postings(max_size=4),
    st.integers(24, 3 * 365 * 24),
    st.integers(0, 5 * 24),
    st.integers(1, 40),
)
def test_net_a_purchase_refunded_while_its_period_runs_is_as_never_bought(
    ladder: TierLadder, posts: list[Any], bought_at: int, refund_after: int, size: int
) -> None:
    """``refunds="net"`` on a ``since_change`` period: a purchase and its full refund, with
    nothing else between them (no posting, no period or validity end, no pending
    downgrade), leave tier, counters and period as if it had never been bought."""
    ladder = attrs.evolve(ladder, refunds="net", lifetime=[])
    bought = dt.datetime(2024, 1, 1) + dt.timedelta(hours=bought_at)
    refunded = bought + dt.timedelta(hours=refund_after)
    amount = size * 100
    purchase = QualifyingPosting(bought, spend=amount, points=amount, orders=1,
                                 counts={"nights": size})  # fmt: skip
    refund = QualifyingPosting(refunded, spend=-amount, points=-amount, orders=-1,
                               counts={"nights": -size}, reverses=bought)  # fmt: skip
    margin = dt.timedelta(seconds=1)
    assume(all(not bought - margin <= p.time <= refunded + margin for p in posts))

    def status(items: list[Any], as_of: dt.datetime) -> TierStatus:
        return ladder.evaluate(
            items, as_of=as_of, timezone="UTC", enrolled_at=dt.datetime(2024, 1, 1)
        )

    before = status(posts, bought - margin)
    bought_only = status([*posts, purchase], bought)
    for read in (before, bought_only):
        # Nothing falls due between the purchase and its refund.
        assume(read.window_end is None or read.window_end.replace(tzinfo=None) > refunded + margin)
        assume(
            read.valid_until is None or read.valid_until.replace(tzinfo=None) > refunded + margin
        )
        assume(read.pending_tier is None if hasattr(read, "pending_tier") else True)
    if bought_only.tier != before.tier:
        event("the purchase upgrades")
    without = status(posts, refunded)
    with_both = status([*posts, purchase, refund], refunded)
    assert (with_both.tier, with_both.counters, with_both.window_start, with_both.window_end) == (
        without.tier, without.counters, without.window_start, without.window_end,
    )  # fmt: skip


def test_a_program_replays_the_refund_into_the_period_the_upgrade_ended() -> None:
    """Through the ledger: ¥60 on 1 March and ¥60 on 1 April reach silver (¥100) and
    restart the period; refunding 1 April's order on 20 April (its refund carries the
    purchase's time) leaves explorer with ¥60 in the period from enrolment. Replay and
    event-by-event apply agree."""
    from crmkit.loyalty import Enroll, Program, Purchase, PurchaseLine, Refund

    tz = dt.timezone(dt.timedelta(hours=8))
    ladder = TierLadder(
        tiers=[Tier(name="explorer"), Tier(name="silver", spend="100"), Tier(name="gold", spend="180")],
        window="since_change", window_months=12, refunds="net",
    )  # fmt: skip
    club = Program(timezone="Asia/Shanghai", tiers=ladder)
    events = [
        Enroll("e", dt.datetime(2025, 1, 1, 9, tzinfo=tz)),
        Purchase("p1", dt.datetime(2025, 3, 1, 9, tzinfo=tz), lines=[PurchaseLine("1", "60")]),
        Purchase("p2", dt.datetime(2025, 4, 1, 9, tzinfo=tz), lines=[PurchaseLine("1", "60")]),
        Refund("r2", dt.datetime(2025, 4, 20, 9, tzinfo=tz), "p2"),
    ]
    state = club.replay(events, as_of="2025-05-01")
    assert state.tier is not None
    assert (state.tier.tier, state.tier.counters.spend) == ("explorer", 60)
    assert state.tier.window_start.date() == dt.date(2025, 1, 1)
    applied = club.replay(events[:1], as_of=events[0].time)
    for item in events[1:]:
        applied = club.apply(applied, item)
    later = club.replay(events, as_of="2025-05-01")
    assert applied.tier is not None
    assert later.tier is not None
    assert (applied.tier.tier, applied.tier.counters) == (later.tier.tier, later.tier.counters)
