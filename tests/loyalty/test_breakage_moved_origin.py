"""Breakage keeps moved points in the cohort they were earned in.

Regression tests for :func:`crmkit.loyalty.breakage`: points moved between members (a
transfer, a household pool, an account merge) used to leave the sender's cohort and, with
``sources`` including ``"adjust"``, land in the receiver's cohort of the *move* month. A
move issues no new points (IFRS 15: they were sold once, with the sender's goods), so what
the receiver redeems, lets expire or still holds of them belongs to the month (and source)
they were first earned in. Every figure below is computed by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit.errors import InsufficientPointsError, LedgerError
from crmkit.loyalty import (
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    TransferPolicy,
    breakage,
    merge_accounts,
    points_liability,
    pool_points,
    transfer,
)
from crmkit.loyalty._events import Event
from tests.strategies import examples

UTC = dt.UTC
COLUMNS = ["issued", "redeemed", "expired", "open"]
ALL_SOURCES = ("purchase", "enroll", "adjust", "yearly")


def at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    """An instant in UTC."""
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    """A one-line purchase (one point per unit of money)."""
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


def counts(result: Any) -> dict[str, dict[str, int]]:
    """The cohort table's point counts, by cohort."""
    table: dict[str, dict[str, int]] = result.cohorts[COLUMNS].to_dict("index")
    return table


def _january_to_march() -> tuple[Program, dict[str, list[Event]]]:
    """A earns 1,000 points on 10 January (valid 6 months: through 10 July, gone on
    11 July) and redeems 200 on 1 February; on 5 March A transfers 400 to B (expiry kept).
    B buys 50 points of its own on 20 March (gone on 21 September) and redeems 100 on
    1 April, drawn from the transferred 400 (they expire first). So 300 of the 400 expire
    unredeemed at B on 11 July, with A's own 400 left."""
    program = Program(timezone="UTC", expiry=ExpiryPolicy.after_months(6))
    a_events: list[Event] = [
        buy("a1", at(2025, 1, 10), "1000"),
        Redeem("ra", at(2025, 2, 1), points=200),
    ]
    move = transfer(
        program.replay(a_events, as_of=at(2025, 3, 5)),
        400,
        program,
        transfer_id="t1",
        time=at(2025, 3, 5),
    )
    b_events: list[Event] = [
        *move.receiver_events,
        buy("b1", at(2025, 3, 20), "50"),
        Redeem("rb", at(2025, 4, 1), points=100),
    ]
    return program, {"A": [*a_events, *move.sender_events], "B": b_events}


def test_transferred_points_stay_in_the_cohort_they_were_earned_in() -> None:
    """January: 1,000 issued; redeemed 200 (A) + 100 (B); expired 400 (A) + 300 (B).
    March holds B's own 50 only (expired 21 September), nothing from the transfer, whether
    or not ``sources`` counts ``"adjust"`` lots. Before: January read 600 issued (the 400
    moved left the cohort) and, with ``"adjust"``, March read 450 issued, 100 redeemed,
    350 expired (the transfer booked as new points of March)."""
    program, events = _january_to_march()
    expected = {
        "2025-01": {"issued": 1000, "redeemed": 300, "expired": 700, "open": 0},
        "2025-03": {"issued": 50, "redeemed": 0, "expired": 50, "open": 0},
    }
    as_of = at(2025, 12, 31)
    assert counts(breakage(events, program, as_of=as_of)) == expected
    both = breakage(events, program, as_of=as_of, sources=("purchase", "adjust"))
    assert counts(both) == expected
    # Both cohorts are mature: the rate is (700 + 50) / (700 + 50 + 300).
    assert both.rate == pytest.approx(750 / 1050)
    assert both.basis == "mature"


def test_transferred_points_still_held_are_open_in_january_and_owed_by_the_receiver() -> None:
    """On 1 May nothing has expired: January has 1,000 issued, 300 redeemed, 700 open
    (400 at A, 300 at B); March 50 open. ``points_liability`` owes the same 750, each lot
    where its holder keeps it: the 700 of January fall due in July (the receiver holds
    the transferred 300 with the expiry they kept), B's own 50 in September."""
    program, events = _january_to_march()
    as_of = at(2025, 5, 1)
    assert counts(breakage(events, program, as_of=as_of)) == {
        "2025-01": {"issued": 1000, "redeemed": 300, "expired": 0, "open": 700},
        "2025-03": {"issued": 50, "redeemed": 0, "expired": 0, "open": 50},
    }
    states = {who: program.replay(evs, as_of=as_of) for who, evs in events.items()}
    liability = points_liability(states, as_of=as_of)
    assert liability[["expires", "points", "members"]].to_dict("records") == [
        {"expires": "2025-07", "points": 700, "members": 2},
        {"expires": "2025-09", "points": 50, "members": 1},
    ]


def test_a_parcel_of_two_months_is_shared_out_oldest_first() -> None:
    """Points valid through the end of the year: A earns 100 on 10 January and 200 on
    10 March, all due on 1 January 2026, and transfers 250 to B on 5 May: one parcel (one
    expiry) of 100 January + 150 March points. B redeems 120 in June: the oldest first,
    100 January and 20 March. A's 50 March points and B's other 130 expire on 1 January.
    January: 100 issued, 100 redeemed; March: 200 issued, 20 redeemed, 180 expired."""
    program = Program(timezone="UTC", expiry=ExpiryPolicy.end_of_period("year"))
    a_events: list[Event] = [buy("a1", at(2025, 1, 10), "100"), buy("a2", at(2025, 3, 10), "200")]
    move = transfer(
        program.replay(a_events, as_of=at(2025, 5, 5)),
        250,
        program,
        transfer_id="t1",
        time=at(2025, 5, 5),
    )
    assert [e.points for e in move.receiver_events] == [250]
    events: dict[str, list[Event]] = {
        "A": [*a_events, *move.sender_events],
        "B": [*move.receiver_events, Redeem("rb", at(2025, 6, 1), points=120)],
    }
    assert counts(breakage(events, program, as_of=at(2026, 2, 1))) == {
        "2025-01": {"issued": 100, "redeemed": 100, "expired": 0, "open": 0},
        "2025-03": {"issued": 200, "redeemed": 20, "expired": 180, "open": 0},
    }


def test_points_moved_twice_and_pooled_keep_their_month() -> None:
    """A earns 500 on 10 January (valid 12 months) and transfers 300 to B on 1 March with
    a 10 % fee (30 points, redeemed by A); B, who earned 100 on 1 February, merges into C
    on 1 April (all 400 move, two parcels, one per expiry); C pools 350 into D's account on
    1 May (January's 300 go first: they expire first) and D redeems 350 at once. As of
    1 June: January issued 500, redeemed 30 + 300, open 170 (A); February issued 100,
    redeemed 50, open 50 (C)."""
    program = Program(timezone="UTC", expiry=ExpiryPolicy.after_months(12))
    events: dict[str, list[Event]] = {
        "A": [buy("a1", at(2025, 1, 10), "500")],
        "B": [buy("b1", at(2025, 2, 1), "100")],
        "C": [],
        "D": [],
    }

    def now(who: str, when: dt.datetime) -> MemberState:
        return program.replay(events[who], as_of=when)

    sent = transfer(
        now("A", at(2025, 3, 1)),
        300,
        program,
        TransferPolicy(fee_rate=Decimal("0.1")),
        transfer_id="t1",
        time=at(2025, 3, 1),
    )
    events["A"] += sent.sender_events
    events["B"] += sent.receiver_events
    merged = merge_accounts(now("B", at(2025, 4, 1)), program, merge_id="m1", time=at(2025, 4, 1))
    assert [e.points for e in merged.receiver_events] == [300, 100]
    events["B"] += merged.sender_events
    events["C"] += merged.receiver_events
    pooled = pool_points(
        {"C": (now("C", at(2025, 5, 1)), 350)}, "D", program, pool_id="h1", time=at(2025, 5, 1)
    )
    for who, moved in pooled.events.items():
        events[who] += moved
    events["D"].append(Redeem("rd", at(2025, 5, 1, 1), points=350))
    result = breakage(events, program, as_of=at(2025, 6, 1), sources=ALL_SOURCES)
    assert counts(result) == {
        "2025-01": {"issued": 500, "redeemed": 330, "expired": 0, "open": 170},
        "2025-02": {"issued": 100, "redeemed": 50, "expired": 0, "open": 50},
    }


def test_a_move_with_one_side_missing_is_not_followed() -> None:
    """Only the members given are read. Without B, A's 400 moved in March leave January
    (issued 600: 200 redeemed, 400 expired), as a refund would. Without A, B's transfer
    credit has no known origin: with ``"adjust"`` counted it is a lot of its own month
    (March: 400 + 50 issued, 100 redeemed, 350 expired)."""
    program, events = _january_to_march()
    as_of = at(2025, 12, 31)
    assert counts(breakage({"A": events["A"]}, program, as_of=as_of)) == {
        "2025-01": {"issued": 600, "redeemed": 200, "expired": 400, "open": 0}
    }
    only_b = breakage({"B": events["B"]}, program, as_of=as_of, sources=("purchase", "adjust"))
    assert counts(only_b) == {
        "2025-03": {"issued": 450, "redeemed": 100, "expired": 350, "open": 0}
    }


def test_refunding_the_purchase_after_the_move_keeps_the_moved_points_issued() -> None:
    """A earns 1,000 in January, transfers 400 to B in March, and the purchase is refunded
    in April (``forfeit``: the 600 A holds are taken back, the 400 at B are written off at
    A). The 400 B still holds were issued in January and are open there; nothing else of
    January is."""
    program, events = _january_to_march()
    events["A"] = [
        *(e for e in events["A"] if e.event_id != "ra"),
        Refund("fa", at(2025, 4, 10), "a1"),
    ]
    events["B"] = [e for e in events["B"] if e.event_id != "rb"]
    result = breakage(events, program, as_of=at(2025, 5, 1))
    assert counts(result)["2025-01"] == {"issued": 400, "redeemed": 0, "expired": 0, "open": 400}


# ---------------------------------------------------------------------------- properties
START = dt.datetime(2025, 1, 1, 8, tzinfo=UTC)
MOVE_AT = START + dt.timedelta(days=200)
MEMBERS = ("ann", "bob", "cyd", "dan")


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """Fixed expiry (days, months, end of period, fixed date) or none, either consumption
    order, with or without pending days; shortfall ``forfeit``."""
    expiry = draw(
        st.sampled_from(
            [
                ExpiryPolicy.never(),
                ExpiryPolicy.after_days(45),
                ExpiryPolicy.after_months(3),
                ExpiryPolicy.after_months(12),
                ExpiryPolicy.end_of_period("quarter", 1),
                ExpiryPolicy.end_of_period("year"),
                ExpiryPolicy.fixed_date(6, 30),
            ]
        )
    )
    return Program(
        timezone="Asia/Shanghai",
        expiry=expiry,
        consumption=draw(st.sampled_from(["soonest_expiry", "fifo"])),
        pending_days=draw(st.sampled_from([0, 14])),
    )


@st.composite
def histories(draw: st.DrawFn) -> dict[str, list[Event]]:
    """Each member's purchases, redemptions and refunds before ``MOVE_AT``."""
    events: dict[str, list[Event]] = {who: [] for who in MEMBERS}
    steps = draw(
        st.lists(st.tuples(st.integers(0, 199), st.integers(0, 4)), min_size=8, max_size=24)
    )
    for n, (day, kind) in enumerate(steps):
        who = draw(st.sampled_from(MEMBERS))
        when = START + dt.timedelta(days=day, minutes=n)
        bought = [e.event_id for e in events[who] if isinstance(e, Purchase)]
        if kind <= 2:
            events[who].append(buy(f"p{n}", when, str(draw(st.integers(1, 500)))))
        elif kind == 3:
            events[who].append(Redeem(f"r{n}", when, points=draw(st.integers(1, 300))))
        elif bought:
            events[who].append(Refund(f"f{n}", when, draw(st.sampled_from(bought))))
    return events


#: A move: ("transfer", sender, receiver, share %), ("pool", redeemer, shares %) or
#: ("merge", absorbed, survivor).
moves = st.lists(
    st.one_of(
        st.tuples(
            st.just("transfer"),
            st.sampled_from(MEMBERS),
            st.sampled_from(MEMBERS),
            st.integers(1, 100),
        ),
        st.tuples(
            st.just("pool"),
            st.sampled_from(MEMBERS),
            st.lists(st.integers(0, 100), min_size=len(MEMBERS), max_size=len(MEMBERS)),
        ),
        st.tuples(st.just("merge"), st.sampled_from(MEMBERS), st.sampled_from(MEMBERS)),
    ),
    min_size=1,
    max_size=6,
)


def _move(
    program: Program,
    base: dict[str, list[Event]],
    plan: list[tuple[Any, ...]],
    policy: TransferPolicy,
) -> tuple[dict[str, list[Event]], int]:
    """``base`` with the moves of ``plan`` appended (a second apart from ``MOVE_AT``), and
    the fees they charged. Moves the ledger refuses are left out."""
    events = {who: list(evs) for who, evs in base.items()}
    fees = 0
    for n, step in enumerate(plan):
        when = MOVE_AT + dt.timedelta(seconds=n)

        def state(who: str, when: dt.datetime = when) -> MemberState:
            return program.replay(events[who], as_of=when, on_error="skip")

        try:
            if step[0] == "transfer" and step[1] != step[2]:
                points = state(step[1]).available * step[3] // 100
                if not points:
                    continue
                sent = transfer(
                    state(step[1]), points, program, policy, transfer_id=f"t{n}", time=when
                )
                events[step[1]] += sent.sender_events
                events[step[2]] += sent.receiver_events
                fees += sent.fee
            elif step[0] == "pool":
                shares = {
                    who: (state(who), state(who).available * share // 100)
                    for who, share in zip(MEMBERS, step[2], strict=True)
                }
                given = {who: share for who, share in shares.items() if share[1]}
                if not given:
                    continue
                pooled = pool_points(given, step[1], program, pool_id=f"h{n}", time=when)
                for who, moved in pooled.events.items():
                    events[who] += moved
            elif step[0] == "merge" and step[1] != step[2]:
                merged = merge_accounts(state(step[1]), program, merge_id=f"m{n}", time=when)
                events[step[1]] += merged.sender_events
                events[step[2]] += merged.receiver_events
        except (InsufficientPointsError, LedgerError):
            continue  # (a fee the sender cannot pay on top, pending points at a merge)
    return events, fees


AS_OFS = st.sampled_from([1, 30, 100, 400, 800])


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(), base=histories(), plan=moves, days=AS_OFS)
def test_moving_points_changes_no_cohort(
    program: Program, base: dict[str, list[Event]], plan: list[tuple[Any, ...]], days: int
) -> None:
    """Property: moving points between members (transfers without a fee that keep the
    expiry, pools, merges, chains of them), with nothing else happening afterwards, leaves
    every cohort's issued, redeemed, expired and open points, and the estimate, exactly as
    without the moves: each moved point keeps its cohort, source and expiry, so its fate
    is the one it had where it was. (Not under an inactivity or tier-held expiry, whose
    dates are the holder's, nor when a receiver owes debt that the points repay.)"""
    moved, fees = _move(program, base, plan, TransferPolicy())
    assert fees == 0
    as_of = MOVE_AT + dt.timedelta(days=days)
    for sources in (("purchase",), ALL_SOURCES):
        before = breakage(base, program, as_of=as_of, sources=sources, on_error="skip")
        after = breakage(moved, program, as_of=as_of, sources=sources, on_error="skip")
        pd.testing.assert_frame_equal(before.cohorts, after.cohorts)
        assert before.to_dict() == after.to_dict()


@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    program=programs(),
    base=histories(),
    plan=moves,
    days=AS_OFS,
    policy=st.builds(
        TransferPolicy,
        expiry=st.sampled_from(["keep", "reset"]),
        fee_rate=st.sampled_from(["0", "0.1"]),
    ),
)
def test_moves_with_fees_or_new_dates_keep_what_each_cohort_issued(
    program: Program,
    base: dict[str, list[Event]],
    plan: list[tuple[Any, ...]],
    days: int,
    policy: TransferPolicy,
) -> None:
    """Property: whatever the transfer policy (a fee, ``expiry="reset"``), moves issue no
    points: every cohort keeps its issued points; the fees are redeemed, in the cohorts
    they were drawn from (redeemed grows by exactly the fees in all, never falls in a
    cohort); the other points are still expired or open, in the same cohorts."""
    moved, _ = _move(program, base, plan, policy)
    as_of = MOVE_AT + dt.timedelta(days=days)
    # The fees the ledger took (a fee the sender cannot pay on top is skipped by a replay
    # with on_error="skip", as transfer() computed it from such a state).
    fees = sum(
        -posting.points
        for evs in moved.values()
        for posting in program.replay(evs, as_of=as_of, on_error="skip").postings
        if posting.rule == "transfer_fee"
    )
    before = breakage(base, program, as_of=as_of, sources=ALL_SOURCES, on_error="skip").cohorts
    after = breakage(moved, program, as_of=as_of, sources=ALL_SOURCES, on_error="skip").cohorts
    assert list(before.index) == list(after.index)
    assert (before["issued"] == after["issued"]).all()
    extra = after["redeemed"] - before["redeemed"]
    assert (extra >= 0).all()
    assert int(extra.sum()) == fees
    left = before["expired"] + before["open"] - extra
    assert (after["expired"] + after["open"] == left).all()
