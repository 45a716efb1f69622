"""Session 16 review: real programmes' clauses written with crmkit.loyalty, checked by hand.

Regression: a refund of a purchase whose points were pending counted against the wrong
window when a ladder reads refunds in the purchase's window (``refunds="purchase_window"``
or ``"net"``). The purchase posts to the tier counters when its points activate (the
default ``count_pending_for_tier=False``), but its refund named the purchase instant as
the one it reverses; when the return window ran over a year end the refund was read
against a window that never counted the purchase. The refund now names the instant the
purchase was counted at (its points' activation).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import Program, Purchase, PurchaseLine, Refund, Tier, TierLadder
from tests.strategies import examples

DENVER = zoneinfo.ZoneInfo("America/Denver")


def _thorne(refunds: str, pending_days: int) -> Program:
    """Thorne Rewards' yearly tiers ($500 Silver, $1,000 Gold, calendar year), with points
    held for the return window (``pending_days``)."""
    return Program(
        currency="USD",
        timezone="America/Denver",
        pending_days=pending_days,
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", spend="500"),
                Tier(name="gold", spend="1000"),
            ],
            refunds=refunds,
        ),
    )


def test_thorne_a_returned_order_held_over_new_year_does_not_keep_the_tier() -> None:
    """Thorne Rewards, "What happens if I return a product order?" (https://www.thorne.com/
    faq/what-happens-if-i-return-a-product-order-how-will-that-affect-my-reward-tier-
    status): "The dollar amount associated with a returned order does not count toward a
    Member's total yearly purchases ... If a Member returns an order that made the Member
    eligible to move up a Reward Tier, then the Member's status will drop down to the
    previous Reward Tier." Points held for a 30-day return window, as Voucherify sizes its
    pending period to the return window (research notes, (b) 7).

    $600 on 20 December 2025 10:00: pending until 20 + 30 days = 19 January 2026 10:00,
    when it counts: 2026 purchases $600 >= $500, Silver. The order is returned on
    10 February 2026: 2026 purchases $600 - $600 = $0, so the member drops to the base
    tier at once (``refunds="net"``, reason ``"refund"``). The old code read the refund
    against 2025 (the purchase instant), a window that never counted the $600: Silver
    stayed, on $600 of 2026 purchases that were returned. Without the pending days
    (``pending_days=0``) the same history already ends at the base tier.
    """
    events = [
        Purchase(
            "a", dt.datetime(2025, 12, 20, 10, tzinfo=DENVER), lines=[PurchaseLine("1", "600")]
        ),
        Refund("r", dt.datetime(2026, 2, 10, 10, tzinfo=DENVER), "a"),
    ]
    as_of = dt.datetime(2026, 3, 1, tzinfo=DENVER)
    before = _thorne("net", 30).replay(events[:1], as_of=as_of).tier
    assert before is not None
    assert (before.tier, before.counters.spend) == ("silver", Decimal(600))
    assert before.since == dt.datetime(2026, 1, 19, 10, tzinfo=DENVER)
    after = _thorne("net", 30).replay(events, as_of=as_of).tier
    assert after is not None
    assert (after.tier, after.counters.spend) == ("member", Decimal(0))
    assert [(c.new, c.reason) for c in after.history[1:]] == [
        ("silver", "upgrade"),
        ("member", "refund"),
    ]


def test_purchase_window_refund_of_a_pending_purchase_counts_where_the_purchase_did() -> None:
    """``refunds="purchase_window"``: "a refund counts against the window of the purchase
    it reverses" (docs/how-to/loyalty-tiers.md). A purchase held pending over the year end
    counts in the new year, so its refund must too.

    $600 on 28 December 2025, 7 pending days: counted 4 January 2026. Refunded in full on
    1 February 2026: the 2026 counters are $600 - $600 = $0 (the old code: $600, the
    refund dropped as belonging to the closed 2025 window).
    """
    events = [
        Purchase(
            "a", dt.datetime(2025, 12, 28, 10, tzinfo=DENVER), lines=[PurchaseLine("1", "600")]
        ),
        Refund("r", dt.datetime(2026, 2, 1, 10, tzinfo=DENVER), "a"),
    ]
    status = _thorne("purchase_window", 7).replay(events, as_of="2026-03-01").tier
    assert status is not None
    assert status.counters.spend == Decimal(0)


@settings(max_examples=examples(25), deadline=None)
@given(
    refunds=st.sampled_from(["purchase_window", "net"]),
    pending_days=st.integers(min_value=1, max_value=90),
    before_new_year=st.integers(min_value=1, max_value=90 * 24),
    amount=st.integers(min_value=1, max_value=5000),
    refund_after=st.integers(min_value=0, max_value=300 * 24),
)
def test_a_fully_refunded_pending_purchase_leaves_no_counters(
    refunds: str, pending_days: int, before_new_year: int, amount: int, refund_after: int
) -> None:
    """Refund round trip (research notes, (d) invariant 6): a purchase refunded in full
    after its points activated leaves the counters of the window it counted in as they
    were, whatever the pending days. Every example's return window runs over a year end
    (the purchase less than ``pending_days`` before it), and the refund falls in the year
    the purchase counted in. With ``refunds="net"`` the member is back at the base tier.
    """
    new_year = dt.datetime(2026, 1, 1, tzinfo=DENVER)
    hours = min(before_new_year, pending_days * 24 - 1)
    bought = new_year - dt.timedelta(hours=hours)
    active = bought + dt.timedelta(days=pending_days)
    refunded = min(
        active + dt.timedelta(hours=refund_after), dt.datetime(2026, 12, 31, tzinfo=DENVER)
    )
    events = [
        Purchase("a", bought, lines=[PurchaseLine("1", str(amount))]),
        Refund("r", refunded, "a"),
    ]
    status = _thorne(refunds, pending_days).replay(events, as_of=refunded).tier
    assert status is not None
    assert status.counters.spend == Decimal(0)
    if refunds == "net":  # the refund undoes any upgrade the purchase made in its window
        assert status.tier == "member"
