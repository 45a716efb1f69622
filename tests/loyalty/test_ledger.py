"""Example tests of the points ledger: one or more hand-checked cases per ledger rule."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest

from crmkit.errors import ConfigError, InsufficientPointsError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    CancelRedemption,
    Condition,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    Multiplier,
    Privilege,
    PrivilegeSet,
    ProfileUpdate,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    RefundLine,
    Tender,
    Tier,
    TierLadder,
    event_from_dict,
    sort_events,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2025, 1, 31, 15, 0, tzinfo=SH)


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hours)


def buy(eid: str, when: dt.datetime, *amounts: str, **kw: object) -> Purchase:
    lines = [PurchaseLine(str(i), a) for i, a in enumerate(amounts, start=1)]
    return Purchase(eid, when, lines=lines, **kw)  # type: ignore[arg-type]


def gift(eid: str, when: dt.datetime, points: int) -> Adjust:
    return Adjust(eid, when, points=points, reason="gift")


def conserved(state) -> bool:  # type: ignore[no-untyped-def]
    return state.credited == (
        state.available
        + state.pending
        + state.spent
        + state.expired
        + state.reversed
        + state.forfeited
    )


# ------------------------------------------------------------------------------ expiry


def test_month_end_clamps_and_lot_is_usable_until_expires_at() -> None:
    program = Program(timezone="Asia/Shanghai", expiry=ExpiryPolicy.after_months(1))
    events = [gift("g", T0, 100)]
    lot = program.replay(events, as_of=T0).lots[0]
    # 31 Jan + 1 month = 28 Feb, valid through the end of that local day.
    assert lot.expires_at == dt.datetime(2025, 3, 1, tzinfo=SH)
    just_before = program.replay(events, as_of=dt.datetime(2025, 2, 28, 23, 59, 59, tzinfo=SH))
    assert just_before.available == 100
    on_boundary = program.replay(events, as_of=dt.datetime(2025, 3, 1, tzinfo=SH))
    assert (on_boundary.available, on_boundary.expired) == (0, 100)
    assert on_boundary.postings[-1].kind == "expire"
    assert on_boundary.postings[-1].time == dt.datetime(2025, 3, 1, tzinfo=SH)


def test_expiry_boundary_is_local_midnight_not_utc() -> None:
    program = Program(timezone="Asia/Shanghai", expiry=ExpiryPolicy.after_days(1))
    # 23:30 local on 1 Jan is 15:30 UTC; valid through 2 Jan local.
    events = [gift("g", dt.datetime(2025, 1, 1, 23, 30, tzinfo=SH), 10)]
    at_utc = dt.datetime(2025, 1, 2, 15, 59, tzinfo=dt.UTC)  # 23:59 local on 2 Jan
    assert program.replay(events, as_of=at_utc).available == 10
    assert program.replay(events, as_of=dt.datetime(2025, 1, 2, 16, tzinfo=dt.UTC)).available == 0


@pytest.mark.parametrize(
    ("policy", "earned", "expected"),
    [
        (ExpiryPolicy.after_days(30), dt.date(2025, 1, 10), dt.date(2025, 2, 10)),
        (ExpiryPolicy.after_months(12), dt.date(2024, 2, 29), dt.date(2025, 3, 1)),
        (ExpiryPolicy.after_months(1), dt.date(2024, 1, 31), dt.date(2024, 3, 1)),
        (ExpiryPolicy.end_of_period("month"), dt.date(2025, 2, 14), dt.date(2025, 3, 1)),
        (ExpiryPolicy.end_of_period("quarter", 1), dt.date(2025, 2, 14), dt.date(2025, 7, 1)),
        (ExpiryPolicy.end_of_period("year", 1), dt.date(2025, 12, 31), dt.date(2027, 1, 1)),
        (ExpiryPolicy.fixed_date(6, 30), dt.date(2025, 6, 30), dt.date(2025, 7, 1)),
        (ExpiryPolicy.fixed_date(6, 30), dt.date(2025, 7, 1), dt.date(2026, 7, 1)),
        (ExpiryPolicy.fixed_date(2, 29, 1), dt.date(2025, 3, 1), dt.date(2027, 3, 1)),
    ],
)
def test_expiry_dates(policy: ExpiryPolicy, earned: dt.date, expected: dt.date) -> None:
    when = dt.datetime(earned.year, earned.month, earned.day, 12, tzinfo=SH)
    assert policy.expires_at(when, SH) == dt.datetime(
        expected.year, expected.month, expected.day, tzinfo=SH
    )


def test_never_expiring_points_stay() -> None:
    program = Program(expiry=ExpiryPolicy.never())
    state = program.replay([gift("g", T0, 5)], as_of=T0 + dt.timedelta(days=3650))
    assert (state.available, state.lots[0].expires_at) == (5, None)


def test_inactivity_expiry_counts_only_declared_activity() -> None:
    policy = ExpiryPolicy.inactivity(6, "months", activity=("purchase",))
    program = Program(timezone="Asia/Shanghai", expiry=policy)
    jan = dt.datetime(2025, 1, 10, 9, tzinfo=SH)
    events = [buy("p1", jan, "100"), Redeem("x1", jan + dt.timedelta(days=100), points=10)]
    # The redemption is not activity: the deadline is the end of 10 Jul (local).
    state = program.replay(events, as_of=dt.datetime(2025, 7, 10, 23, tzinfo=SH))
    assert state.lots[0].expires_at == dt.datetime(2025, 7, 11, tzinfo=SH)
    assert state.available == 90
    state = program.replay(events, as_of=dt.datetime(2025, 7, 11, tzinfo=SH))
    assert (state.available, state.expired) == (0, 90)
    # A purchase on 1 Jun pushes the deadline of every lot to the end of 1 Dec.
    events.append(buy("p2", dt.datetime(2025, 6, 1, 9, tzinfo=SH), "50"))
    state = program.replay(events, as_of=dt.datetime(2025, 11, 30, tzinfo=SH))
    assert state.available == 140
    assert {lot.expires_at for lot in state.lots} == {dt.datetime(2025, 12, 2, tzinfo=SH)}
    assert program.replay(events, as_of=dt.datetime(2025, 12, 2, tzinfo=SH)).expired == 140


def test_expiry_never_touches_spent_points() -> None:
    program = Program(expiry=ExpiryPolicy.after_days(10))
    events = [gift("g", T0, 100), Redeem("x", at(1), points=70)]
    state = program.replay(events, as_of=at(30))
    assert (state.spent, state.expired, state.available) == (70, 30, 0)


# ------------------------------------------------------------------------- consumption


def test_consumption_soonest_expiring_then_oldest_then_id() -> None:
    program = Program(timezone="Asia/Shanghai", expiry=ExpiryPolicy.end_of_period("quarter"))
    events = [
        gift("b", dt.datetime(2025, 1, 5, tzinfo=SH), 10),  # expires 1 Apr
        gift("a", dt.datetime(2025, 1, 5, tzinfo=SH), 10),  # same expiry, same time: id
        gift("c", dt.datetime(2025, 3, 30, tzinfo=SH), 10),  # same expiry, later
        gift("d", dt.datetime(2025, 4, 2, tzinfo=SH), 10),  # expires 1 Jul
        gift("e", dt.datetime(2025, 1, 2, tzinfo=SH), 10),  # oldest
        Redeem("x", dt.datetime(2025, 4, 3, tzinfo=SH), points=5),
    ]
    # On 3 Apr the first-quarter lots have expired: only d is usable.
    state = program.replay(events, as_of=dt.datetime(2025, 4, 3, 1, tzinfo=SH))
    assert state.postings[-1].allocations == (("d", 5),)
    events[-1] = Redeem("x", dt.datetime(2025, 3, 31, tzinfo=SH), points=25)
    state = program.replay(events, as_of=dt.datetime(2025, 3, 31, 1, tzinfo=SH))
    assert state.postings[-1].allocations == (("e", 10), ("a", 10), ("b", 5))


def test_insufficient_points_names_what_is_available() -> None:
    program = Program()
    with pytest.raises(InsufficientPointsError) as info:
        program.replay([gift("g", T0, 120), Redeem("x1", at(1), points=500)], as_of=at(2))
    assert (info.value.available, info.value.requested) == (120, 500)
    assert "120 available" in str(info.value)


def test_on_error_skip_records_the_rejected_event() -> None:
    program = Program()
    state = program.replay(
        [gift("g", T0, 120), Redeem("x1", at(1), points=500)], as_of=at(2), on_error="skip"
    )
    assert state.available == 120
    assert [eid for eid, _ in state.rejected] == ["x1"]
    with pytest.raises(ConfigError):
        program.replay([], as_of=T0, on_error="ignore")


# --------------------------------------------------------------------------- redemption


def test_catalogue_price_depends_on_tier_at_redemption() -> None:
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="1000")])
    program = Program(tiers=ladder, catalogue={"mug": {"*": 500, "gold": 400}})
    events = [buy("p1", T0, "900"), Redeem("x1", at(1), reward="mug")]
    assert program.replay(events, as_of=at(2)).spent == 500
    events = [buy("p1", T0, "900"), buy("p2", at(0.5), "100"), Redeem("x1", at(1), reward="mug")]
    state = program.replay(events, as_of=at(2))
    assert (state.tier_name, state.spent) == ("gold", 400)


def test_unknown_reward_is_a_ledger_error() -> None:
    program = Program(catalogue={"mug": {"*": 500}})
    with pytest.raises(LedgerError, match="catalogue"):
        program.replay([gift("g", T0, 900), Redeem("x1", at(1), reward="car")], as_of=at(2))


def test_cancel_redemption_restores_each_lot_and_its_expiry() -> None:
    program = Program(expiry=ExpiryPolicy.after_days(30))
    events = [gift("a", T0, 100), gift("b", at(10), 100), Redeem("x", at(11), points=150)]
    before = program.replay(events[:2], as_of=at(12))
    redeemed = program.replay(events, as_of=at(12))
    assert redeemed.postings[-1].allocations == (("a", 100), ("b", 50))
    cancelled = program.replay([*events, CancelRedemption("c", at(12), "x")], as_of=at(12))
    for lot_before, lot_after in zip(before.lots, cancelled.lots, strict=True):
        assert lot_after.remaining == lot_before.remaining
        assert lot_after.expires_at == lot_before.expires_at
    assert (cancelled.available, cancelled.spent) == (200, 0)


def test_cancel_after_expiry_restores_then_expires_at_once() -> None:
    program = Program(expiry=ExpiryPolicy.after_days(30))
    events = [
        gift("a", T0, 100),
        Redeem("x", at(1), points=100),
        CancelRedemption("c", at(40), "x"),
    ]
    state = program.replay(events, as_of=at(40))
    assert (state.available, state.expired, state.spent) == (0, 100, 0)
    assert [p.kind for p in state.postings[-2:]] == ["cancel", "expire"]


def test_cancel_errors() -> None:
    program = Program()
    with pytest.raises(LedgerError, match="unknown"):
        program.replay([CancelRedemption("c", T0, "nope")], as_of=T0)
    events = [
        gift("a", T0, 100),
        Redeem("x", at(1), points=10),
        CancelRedemption("c1", at(2), "x"),
        CancelRedemption("c2", at(3), "x"),
    ]
    with pytest.raises(LedgerError, match="already cancelled"):
        program.replay(events, as_of=at(4))


# ------------------------------------------------------------------------------ pending


def test_pending_points_cannot_be_spent_and_activate_after_the_window() -> None:
    program = Program(pending_days=14)
    events = [buy("p1", T0, "100")]
    state = program.replay(events, as_of=at(13))
    assert (state.available, state.pending) == (0, 100)
    with pytest.raises(InsufficientPointsError):
        program.replay([*events, Redeem("x", at(1), points=50)], as_of=at(2))
    state = program.replay(events, as_of=at(14))
    assert (state.available, state.pending) == (100, 0)
    assert state.postings[-1].kind == "activate"


def test_refund_inside_the_window_cancels_pending_points_without_debt() -> None:
    program = Program(pending_days=14, shortfall="debt")
    state = program.replay([buy("p1", T0, "100"), Refund("r1", at(5), "p1")], as_of=at(30))
    assert (state.available, state.pending, state.debt, state.reversed) == (0, 0, 0, 100)


def test_pending_purchases_count_for_tiers_when_they_activate() -> None:
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="500")])
    program = Program(pending_days=7, tiers=ladder)
    events = [buy("p1", T0, "600")]
    assert program.replay(events, as_of=at(6)).tier_name == "member"
    assert program.replay(events, as_of=at(7)).tier_name == "gold"
    refunded = [*events, Refund("r1", at(2), "p1")]
    assert program.replay(refunded, as_of=at(30)).tier_name == "member"
    eager = Program(pending_days=7, tiers=ladder, count_pending_for_tier=True)
    assert eager.replay(events, as_of=at(1)).tier_name == "gold"


# ------------------------------------------------------------------------------ refunds


def test_refund_by_lines_reverses_exactly_what_the_lines_earned() -> None:
    program = Program()
    purchase = Purchase(
        "p1",
        T0,
        lines=[PurchaseLine("a", "100", quantity=3), PurchaseLine("b", "50")],
    )
    s1 = program.replay(
        [purchase, Refund("r1", at(1), "p1", lines=[RefundLine("a", 1)])], as_of=at(1)
    )
    assert s1.reversed == 33  # 100 * 1 // 3
    events = [
        purchase,
        Refund("r1", at(1), "p1", lines=[RefundLine("a", 1)]),
        Refund("r2", at(2), "p1", lines=[RefundLine("a")]),
    ]
    s2 = program.replay(events, as_of=at(2))
    assert (s2.reversed, s2.available) == (100, 50)
    s3 = program.replay([*events, Refund("r3", at(3), "p1")], as_of=at(3))
    assert (s3.reversed, s3.available, s3.credited) == (150, 0, 150)
    assert sum(q.spend for q in s3.qualifying) == 0
    assert sum(q.orders for q in s3.qualifying) == 0


def test_refund_errors() -> None:
    program = Program()
    p = buy("p1", T0, "10")
    with pytest.raises(LedgerError, match="unknown"):
        program.replay([Refund("r", at(1), "p9")], as_of=at(1))
    with pytest.raises(LedgerError, match="units"):
        program.replay([p, Refund("r", at(1), "p1", lines=[RefundLine("1", 2)])], as_of=at(1))
    with pytest.raises(LedgerError, match="lines of purchase"):
        program.replay([p, Refund("r", at(1), "p1", lines=[RefundLine("9")])], as_of=at(1))
    with pytest.raises(LedgerError, match="already fully refunded"):
        program.replay([p, Refund("r", at(1), "p1"), Refund("r2", at(2), "p1")], as_of=at(2))


def _spent_then_refunded(shortfall: str) -> list:  # type: ignore[type-arg]
    return [
        buy("p1", T0, "100"),
        Redeem("x1", at(1), points=80),
        gift("g", at(2), 30),
        Refund("r1", at(3), "p1"),
    ]


def test_shortfall_forfeit_writes_off_and_records() -> None:
    state = Program(shortfall="forfeit").replay(_spent_then_refunded("forfeit"), as_of=at(4))
    assert (state.available, state.reversed, state.forfeited, state.debt) == (30, 20, 80, 0)
    assert any(p.kind == "forfeit" and p.allocations == (("p1", 80),) for p in state.postings)
    assert conserved(state)


def test_shortfall_debt_takes_available_then_owes_and_is_repaid_first() -> None:
    program = Program(shortfall="debt")
    events = _spent_then_refunded("debt")
    state = program.replay(events, as_of=at(4))
    assert (state.available, state.debt, state.balance) == (0, 50, -50)
    with pytest.raises(InsufficientPointsError, match="owes 50"):
        program.replay([*events, Redeem("x2", at(5), points=1)], as_of=at(5))
    state = program.replay([*events, buy("p2", at(5), "70")], as_of=at(5))
    assert (state.available, state.debt, state.balance) == (20, 0, 20)
    assert [p.points for p in state.postings if p.kind == "repay"] == [-30, -50]
    assert conserved(state)


def test_shortfall_cash_offset_reports_money() -> None:
    program = Program(shortfall="cash_offset", point_value="0.05")
    state = program.replay(_spent_then_refunded("cash_offset"), as_of=at(4))
    assert state.cash_offset == Decimal("4.00")
    assert (state.available, state.reversed, state.forfeited) == (30, 100, 0)
    assert [p.money for p in state.postings if p.kind == "cash_offset"] == [Decimal("4.00")]
    assert conserved(state)


def test_refund_of_expired_points_costs_nothing() -> None:
    program = Program(expiry=ExpiryPolicy.after_days(5), shortfall="debt")
    state = program.replay([buy("p1", T0, "100"), Refund("r", at(30), "p1")], as_of=at(30))
    assert (state.expired, state.reversed, state.debt) == (0, 100, 0)


def test_points_tender_is_restored_pro_rata_to_original_lots() -> None:
    program = Program(expiry=ExpiryPolicy.after_days(90))
    purchase = Purchase(
        "p",
        at(2),
        lines=[PurchaseLine("1", "60"), PurchaseLine("2", "40")],
        tenders=[Tender("card", "88"), Tender("points", "12", points=1200)],
    )
    events = [gift("g1", T0, 1000), gift("g2", at(1), 500), purchase]
    state = program.replay(events, as_of=at(2))
    tender = next(p for p in state.postings if p.kind == "tender")
    assert tender.allocations == (("g1", 1000), ("g2", 200))
    partial = program.replay(
        [*events, Refund("r1", at(3), "p", lines=[RefundLine("2")])], as_of=at(3)
    )
    restore = next(p for p in partial.postings if p.kind == "tender_restore")
    assert restore.points == 480  # 40% of 1200
    assert restore.allocations == (("g1", 400), ("g2", 80))
    full = program.replay(
        [*events, Refund("r1", at(3), "p", lines=[RefundLine("2")]), Refund("r2", at(4), "p")],
        as_of=at(4),
    )
    lots = {lot.lot_id: lot for lot in full.lots}
    assert (lots["g1"].remaining, lots["g2"].remaining) == (1000, 500)
    assert lots["g1"].expires_at == state.lots[0].expires_at
    assert full.spent == 0
    assert conserved(full)


def test_earning_excludes_the_points_tender_by_default() -> None:
    program = Program()
    purchase = Purchase(
        "p",
        at(1),
        lines=[PurchaseLine("1", "100")],
        tenders=[Tender("card", "90"), Tender("points", "10", points=1000)],
    )
    state = program.replay([gift("g", T0, 1000), purchase], as_of=at(1))
    assert state.earnings["p"].points == 90
    assert "90" in state.explain("p")


# ------------------------------------------------------------------ order and idempotency


def test_events_out_of_order_are_sorted_with_a_stable_tie_break() -> None:
    program = Program()
    events = [Refund("r", T0, "p"), buy("p", T0, "10"), gift("b", T0, 1), gift("a", T0, 1)]
    assert [e.event_id for e in sort_events(events)] == ["a", "b", "p", "r"]
    state = program.replay(events, as_of=T0)
    assert (state.available, state.reversed) == (2, 10)


def test_events_in_increasing_time_keep_their_order_and_ties_are_sorted() -> None:
    """Strictly increasing times are the replay order as given (no key is built); a tie
    anywhere, or times in two zones that compare out of order, sorts the whole list."""
    ny = zoneinfo.ZoneInfo("America/New_York")
    increasing = [gift("z", T0, 1), buy("b", at(hours=1), "10"), gift("a", at(hours=2), 1)]
    assert sort_events(increasing) == increasing
    tie = [gift("z", T0, 1), buy("b", at(hours=1), "10"), gift("a", at(hours=1), 1)]
    assert [e.event_id for e in sort_events(tie)] == ["z", "a", "b"]
    # 15:00 in Shanghai is 02:00 in New York: the wall clocks increase, the instants not.
    zones = [gift("s", T0, 1), gift("n", dt.datetime(2025, 1, 31, 1, 30, tzinfo=ny), 1)]
    assert [e.event_id for e in sort_events(zones)] == ["n", "s"]


def test_duplicate_ids_are_idempotent_and_conflicts_are_errors() -> None:
    program = Program()
    events = [gift("g", T0, 10), gift("g", T0, 10)]
    assert program.replay(events, as_of=T0).available == 10
    with pytest.raises(LedgerError, match="same id"):
        program.replay([gift("g", T0, 10), gift("g", T0, 11)], as_of=T0)
    state = program.replay(events, as_of=T0)
    assert program.apply(state, gift("g", T0, 10)) == state
    with pytest.raises(LedgerError):
        program.apply(state, gift("g", T0, 12))


def test_apply_agrees_with_replay_also_for_late_events() -> None:
    program = Program(expiry=ExpiryPolicy.after_days(10), pending_days=2)
    events = [buy("p1", T0, "100"), Redeem("x", at(3), points=30), gift("g", at(12), 5)]
    state = program.replay([], as_of=T0)
    for event in events:
        state = program.apply(state, event)
    assert state == program.replay(events, as_of=at(12))
    late = gift("late", at(1), 7)
    assert program.apply(state, late) == program.replay([*events, late], as_of=at(12))


def test_events_after_as_of_are_left_out() -> None:
    program = Program()
    events = [gift("g", T0, 10), gift("h", at(5), 10)]
    state = program.replay(events, as_of=at(1))
    assert (state.available, len(state.events)) == (10, 1)


def test_expiring_within_days() -> None:
    program = Program(expiry=ExpiryPolicy.after_days(30))
    state = program.replay([gift("a", T0, 10), gift("b", at(10), 20)], as_of=at(20))
    assert state.expiring(7) == 0
    assert state.expiring(12) == 10
    assert state.expiring(22) == 30
    assert [lot.lot_id for lot in state.expiring_lots(22)] == ["a", "b"]


# -------------------------------------------------------------------- profile, enrolment


def test_enroll_twice_is_an_error_and_profile_sets_birth_date() -> None:
    program = Program()
    state = program.replay(
        [Enroll("e", T0), ProfileUpdate("b", at(1), birth_date="1990-05-17")], as_of=at(1)
    )
    assert state.birth_date == dt.date(1990, 5, 17)
    assert state.enrolled_at == T0
    with pytest.raises(LedgerError, match="enrolled once"):
        program.replay([Enroll("e", T0), Enroll("e2", at(1))], as_of=at(1))


# ------------------------------------------------------------------------------ bad input


def test_bad_events_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        gift("g", dt.datetime(2025, 1, 1), 10)
    with pytest.raises(ConfigError, match="never a float"):
        PurchaseLine("1", 9.99)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="at least 1"):
        PurchaseLine("1", "10", quantity=-1)
    with pytest.raises(InvalidInputError, match="never a float"):
        Redeem("x", T0, points=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="non-zero"):
        Adjust("a", T0, points=0, reason="x")
    with pytest.raises(InvalidInputError, match="non-empty"):
        Adjust("a", T0, points=5, reason="")
    with pytest.raises(InvalidInputError, match="adding up"):
        Purchase("p", T0, lines=[PurchaseLine("1", "10")], tenders=[Tender("card", "9")])
    with pytest.raises(InvalidInputError, match="unique line ids"):
        Purchase("p", T0, lines=[PurchaseLine("1", "10"), PurchaseLine("1", "2")])
    with pytest.raises(ConfigError, match="between 0"):
        PurchaseLine("1", "10", discount="11")
    with pytest.raises(InvalidInputError, match="one of"):
        event_from_dict({"kind": "gift", "event_id": "x"})
    with pytest.raises(InvalidInputError, match="unknown key"):
        event_from_dict({"kind": "adjust", "event_id": "x", "pts": 1})
    with pytest.raises(InvalidInputError, match="event objects"):
        Program().replay([{"kind": "adjust"}], as_of=T0)  # type: ignore[list-item]


def test_event_dict_round_trip() -> None:
    events = [
        Enroll("e", T0, birth_date="1990-01-02", channel="app"),
        ProfileUpdate("b", T0, birth_date="1990-01-03"),
        Purchase(
            "p",
            T0,
            lines=[PurchaseLine("1", "10.50", quantity=2, sku="s", category="c", discount="0.50")],
            channel="store",
            tenders=[Tender("card", "5"), Tender("points", "5", points=500)],
        ),
        Refund("r", T0, "p", lines=[RefundLine("1", 1)]),
        Redeem("x", T0, reward="mug"),
        CancelRedemption("c", T0, "x"),
        Adjust("a", T0, points=-5, reason="fix"),
    ]
    for event in events:
        assert event_from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_program_round_trip_and_bad_config() -> None:
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="1000")])
    program = Program(
        name="club",
        timezone="Asia/Shanghai",
        earning=EarningScheme.base_rate("0.5"),
        expiry=ExpiryPolicy.inactivity(18, "months", activity=("purchase", "redeem")),
        tiers=ladder,
        catalogue={"mug": {"*": 500, "gold": 400}},
        shortfall="cash_offset",
        point_value="0.02",
        pending_days=7,
    )
    assert Program.from_dict(json.loads(json.dumps(program.to_dict()))) == program
    with pytest.raises(ConfigError, match="shortfall"):
        Program(shortfall="ignore")
    with pytest.raises(ConfigError, match="timezone"):
        Program(timezone="Mars/Base")
    with pytest.raises(ConfigError, match="unknown tiers"):
        Program(tiers=ladder, catalogue={"mug": {"platinum": 10}})
    with pytest.raises(ConfigError, match="catalogue"):
        Program(catalogue={"mug": {"*": 0}})
    with pytest.raises(ConfigError, match="tier names of the ladder"):
        Program(
            tiers=ladder,
            earning=EarningScheme(
                rules=[Multiplier(id="vip-x2", factor=2, when=Condition(tiers=["vip"]))]
            ),
        )
    with pytest.raises(ConfigError, match="privileges"):
        Program(privileges=PrivilegeSet([Privilege(id="s", kind="free_shipping", tiers=["g"])]))
    with pytest.raises(ConfigError, match="activity"):
        Program(expiry=ExpiryPolicy.inactivity(6, activity=("login",)))
    with pytest.raises(ConfigError, match="activity"):
        ExpiryPolicy.inactivity(6)
    with pytest.raises(ConfigError, match="pending_days"):
        Program(pending_days=-1)
    with pytest.raises(ConfigError):
        ExpiryPolicy("weekly")
    with pytest.raises(ConfigError, match="unknown key"):
        ExpiryPolicy.from_dict({"kind": "days", "days": 3})


def test_inactivity_clock_starts_with_points_credited_before_any_activity() -> None:
    policy = ExpiryPolicy.inactivity(30, "days", activity=("purchase",))
    program = Program(timezone="Asia/Shanghai", expiry=policy)
    state = program.replay([gift("g", T0, 50)], as_of=at(29))
    assert state.lots[0].expires_at == dt.datetime(2025, 3, 3, tzinfo=SH)
    assert (
        program.replay([gift("g", T0, 50)], as_of=dt.datetime(2025, 3, 3, tzinfo=SH)).expired == 50
    )


def test_point_decimals_keep_the_ledger_in_integer_units() -> None:
    program = Program(earning=EarningScheme.base_rate("1", point_decimals=2))
    events = [buy("p1", T0, "12.34"), Redeem("x", at(1), points=500), Refund("r", at(2), "p1")]
    state = program.replay(events, as_of=at(1))
    assert (state.credited, state.available, state.spent) == (1234, 734, 500)
    assert program.in_points(state.available) == Decimal("7.34")
    state = program.replay(events, as_of=at(2))
    assert (state.reversed, state.forfeited, state.available) == (734, 500, 0)
    assert all(type(lot.amount) is int for lot in state.lots)
