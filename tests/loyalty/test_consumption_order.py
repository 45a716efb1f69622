"""Consumption order: ``Program(consumption="soonest_expiry")`` (default) or ``"fifo"``.

Every debit (redemption, points tender, negative adjustment, debt repayment, transfer
out) draws usable lots in the program's order: by default the lot that expires first
(then the oldest, then by id; undated lots last), under ``"fifo"`` the oldest (by the
time it was credited, then by id). Pending lots are never drawn, and a cancellation puts
points back into the lots they came from, in either order.

Cathay's published rule is first in, first out: "From 1 January 2020 onwards, Miles will
be deducted on a first-in-first-out basis. In other words, Miles in the time-based
system will be used up first." (Cathay membership FAQ, "Which system will my Miles be
deducted from first, the time-based system or the activity-based system?",
https://www.cathaypacific.com/cx/en_JP/faqs/cathay-membership-programme/new-expiry-arrangement/which-system-will-my-miles-be-deducted-from-first-the-time-based-system-or-the-activity-based-system.html).
Open Loyalty's engine likewise spends active lots by creation time.

The orders differ only where expiry is not monotone in earning time: points transferred
in with their expiry kept, credits with an ``expires_at`` of their own (promotions, miles
migrated from an older rule) and validity by tier (``ExpiryPolicy.per_tier``). There the
readers of the queue (``replay_many``'s ``expiring`` and ``next_expiry``) read every lot.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from crmkit.errors import ConfigError, InsufficientPointsError
from crmkit.loyalty import (
    Adjust,
    CancelRedemption,
    EarningScheme,
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    Tender,
    Tier,
    TierLadder,
    replay_many,
    transfer,
)
from tests.loyalty._tables import events_table
from tests.loyalty.test_china_southern_extensions import _COUNTS, _southern_programs
from tests.loyalty.test_ledger_properties import LedgerMachine, check_state
from tests.strategies import (
    examples,
    fifo_programs,
    loyalty_event_tables,
    monotone_expiry_programs,
    southern_histories,
)

UTC = dt.UTC
HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ORDERS = ("soonest_expiry", "fifo")


def _utc(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=UTC)


def _remaining(state: MemberState) -> dict[str, int]:
    return {lot.lot_id: lot.remaining for lot in state.lots}


def _allocations(state: MemberState, event_id: str) -> list[tuple[str, int]]:
    """The lots a debit drew from, in the order it drew them."""
    posting = next(p for p in state.postings if p.event_id == event_id and p.allocations)
    return list(posting.allocations)


def _row(program: Program, events: list[Any], as_of: dt.datetime, days: int) -> pd.Series:
    return replay_many(
        events_table({"m": events}, columns=("expires_at",)),
        program,
        as_of=as_of,
        expiring_days=days,
    ).loc["m"]


# ------------------------------------------------------------ worked examples


def _cathay_program(consumption: str) -> Program:
    """Miles in the activity-based system: they go 18 months after the last earning or
    redeeming (Cathay's rule since 1 January 2020)."""
    return Program(
        timezone="Asia/Hong_Kong",
        expiry=ExpiryPolicy.inactivity(18, "months", activity=("adjust", "redeem")),
        consumption=consumption,
    )


#: 10,000 time-based miles credited 15 December 2019, under the old rule (36 months:
#: usable through 15 December 2022, kept as their own date), then 3,000 activity-based
#: miles on 1 February 2020, and an award of 11,000 on 1 April 2020.
_TIME_BASED = ExpiryPolicy.after_months(36).expires_at(dt.datetime(2019, 12, 15, 9, tzinfo=HK), HK)
_CATHAY = [
    Adjust(
        "tb",
        dt.datetime(2019, 12, 15, 9, tzinfo=HK),
        points=10_000,
        reason="flight",
        expires_at=_TIME_BASED,
    ),
    Adjust("ab", dt.datetime(2020, 2, 1, 9, tzinfo=HK), points=3_000, reason="flight"),
    Redeem("award", dt.datetime(2020, 4, 1, 9, tzinfo=HK), points=11_000),
]
#: A promotional credit of this suite's (not Cathay's) with a date of its own.
_PROMO = Adjust(
    "promo",
    dt.datetime(2020, 3, 1, 9, tzinfo=HK),
    points=2_000,
    reason="promo",
    expires_at=dt.datetime(2020, 9, 1, tzinfo=HK),
)


def test_cathay_deducts_the_time_based_miles_first() -> None:
    """Cathay: "Miles will be deducted on a first-in-first-out basis. In other words, Miles
    in the time-based system will be used up first" (module docstring).

    10,000 time-based miles of 15 December 2019 (kept date 16 December 2022 00:00 HKT),
    3,000 activity-based miles of 1 February 2020, an award of 11,000 on 1 April 2020:
    FIFO takes all 10,000 time-based miles, then 1,000 of the activity-based ones; 2,000
    are left, due 18 months after the award (2 October 2021 00:00). The default order
    agrees here (the time-based lot has a date, the activity-based one none).

    With a 2,000-mile promotion of 1 March 2020 valid to 1 September 2020 the orders
    differ. FIFO: 10,000 (time-based) + 1,000 (activity-based) = 11,000; on 1 October the
    promotion's 2,000 have expired: 2,000 usable, 2,000 expired. Soonest expiry: 2,000
    (promotion, due 1 September 2020) + 9,000 (time-based, due 2022) = 11,000; on
    1 October 1,000 time-based + 3,000 activity-based = 4,000 usable, nothing expired.
    """
    assert _TIME_BASED.isoformat() == "2022-12-16T00:00:00+08:00"
    as_of = dt.datetime(2020, 10, 1, tzinfo=HK)
    for order in ORDERS:
        state = _cathay_program(order).replay(_CATHAY, as_of=as_of)
        assert _allocations(state, "award") == [("tb", 10_000), ("ab", 1_000)], order
        assert (state.available, state.expired) == (2_000, 0)
        assert state.lots[1].expires_at == dt.datetime(2021, 10, 2, tzinfo=HK)
    promoted = sorted([*_CATHAY, _PROMO], key=lambda event: event.time)
    fifo = _cathay_program("fifo").replay(promoted, as_of=as_of)
    assert _allocations(fifo, "award") == [("tb", 10_000), ("ab", 1_000)]
    assert (fifo.available, fifo.expired) == (2_000, 2_000)
    assert _remaining(fifo) == {"tb": 0, "ab": 2_000, "promo": 0}
    soonest = _cathay_program("soonest_expiry").replay(promoted, as_of=as_of)
    assert _allocations(soonest, "award") == [("promo", 2_000), ("tb", 9_000)]
    assert (soonest.available, soonest.expired) == (4_000, 0)
    assert _remaining(soonest) == {"tb": 1_000, "ab": 3_000, "promo": 0}
    # replay_many reads the same (every lot, under an inactivity policy as under FIFO).
    for order, state in (("fifo", fifo), ("soonest_expiry", soonest)):
        row = _row(_cathay_program(order), promoted, as_of, 800)
        assert (row["available"], row["expired"]) == (state.available, state.expired)
        assert row["expiring"] == state.expiring(800)
        assert row["next_expiry"] == dt.datetime(2021, 10, 2, tzinfo=HK)


def _gold_program(consumption: str) -> Program:
    """Validity by tier, dated when credited: gold members' points last 36 months, other
    members' 12 (any order makes gold)."""
    return Program(
        tiers=TierLadder(tiers=[Tier(name="member"), Tier(name="gold", orders=1)]),
        expiry=ExpiryPolicy.after_months(12).per_tier({"gold": ExpiryPolicy.after_months(36)}),
        consumption=consumption,
    )


def test_a_transferred_lot_kept_expiring_late_is_drawn_first_under_fifo() -> None:
    """A gold member (36-month points) gives 600 points to a member (12-month points),
    expiry kept.

    Ann (gold since an order on 2 January 2025) is credited 1,000 points on 5 January
    2025: usable through 5 January 2028 (due 6 January 2028 00:00 UTC). She transfers
    600 on 10 January 2025: Bo receives one lot ``t1/in/0`` of 600 due 6 January 2028.
    Bo (no order: member) is given 400 on 1 February 2025, due 2 February 2026, and
    redeems 500 on 1 March 2025.

    FIFO: the transferred lot is older (10 January): 500 from it, leaving 100; Bo's 400
    then expire on 2 February 2026: on 1 March 2026 100 usable, 400 expired. Soonest
    expiry: 400 (due 2026) + 100 (due 2028); on 1 March 2026 500 usable, nothing expired.
    Cancelling the redemption on 1 April 2025 puts the points back into the lots they
    came from, with their dates: 600 and 400 in either order.
    """
    ann_events = [
        Purchase("a0", _utc(2025, 1, 2), lines=[PurchaseLine("1", "0")]),
        Adjust("a1", _utc(2025, 1, 5), points=1_000, reason="gift"),
    ]
    later = _utc(2026, 3, 1)
    states = {}
    for order in ORDERS:
        program = _gold_program(order)
        ann = program.replay(ann_events, as_of=_utc(2025, 1, 10))
        assert ann.tier_name == "gold"
        move = transfer(ann, 600, program, transfer_id="t1", time=_utc(2025, 1, 10))
        (received,) = move.receiver_events
        assert (received.points, received.expires_at) == (600, _utc(2028, 1, 6))
        bo = [
            received,
            Adjust("b1", _utc(2025, 2, 1), points=400, reason="gift"),
            Redeem("x", _utc(2025, 3, 1), points=500),
        ]
        states[order] = state = program.replay(bo, as_of=later)
        check_state(state)
        assert state.tier_name == "member"
        cancelled = program.replay(
            [*bo, CancelRedemption("c", _utc(2025, 4, 1), "x")], as_of=_utc(2025, 4, 2)
        )
        assert _remaining(cancelled) == {"t1/in/0": 600, "b1": 400}, order
        assert [lot.expires_at for lot in cancelled.lots] == [_utc(2028, 1, 6), _utc(2026, 2, 2)]
    fifo, soonest = states["fifo"], states["soonest_expiry"]
    assert _allocations(fifo, "x") == [("t1/in/0", 500)]
    assert (fifo.available, fifo.expired, _remaining(fifo)) == (100, 400, {"t1/in/0": 100, "b1": 0})
    assert _allocations(soonest, "x") == [("b1", 400), ("t1/in/0", 100)]
    assert (soonest.available, soonest.expired) == (500, 0)


def _senator_program(consumption: str) -> Program:
    """One order makes Senator for the rest of the year and the next; points credited as
    Senator never expire, others 12 months (``basis="credited"``: the tier held when
    credited dates the lot)."""
    return Program(
        timezone="Europe/Berlin",
        tiers=TierLadder(
            tiers=[Tier(name="member"), Tier(name="senator", orders=1)], validity_windows=1
        ),
        expiry=ExpiryPolicy.after_months(12).per_tier({"senator": ExpiryPolicy.never()}),
        consumption=consumption,
    )


#: An order on 1 March 2024 (Senator through 2025), 1,000 miles on 1 June 2024 (as
#: Senator: never expire), 500 on 1 February 2026 (as member again: due 2 February
#: 2027), an award of 600 on 1 March 2026.
_SENATOR = [
    Purchase("p", dt.datetime(2024, 3, 1, 10, tzinfo=BERLIN), lines=[PurchaseLine("1", "0")]),
    Adjust("s", dt.datetime(2024, 6, 1, tzinfo=BERLIN), points=1_000, reason="flight"),
    Adjust("m", dt.datetime(2026, 2, 1, tzinfo=BERLIN), points=500, reason="flight"),
    Redeem("x", dt.datetime(2026, 3, 1, tzinfo=BERLIN), points=600),
]


def test_validity_by_tier_fifo_spends_the_senator_miles_and_lets_the_later_ones_expire() -> None:
    """Validity by the tier held when credited (``per_tier``, ``basis="credited"``): the
    older lot never expires, the newer one does.

    FIFO: the award takes 600 of the 1,000 Senator miles (400 left, never expiring) and
    leaves the 500 member miles, due 2 February 2027: on 2 March 2026 ``expiring(365)``
    (to 2 March 2027) is 500, and on 1 March 2027 400 are usable, 500 expired. Soonest
    expiry: 500 member miles + 100 Senator miles; 900 never-expiring miles are left:
    ``expiring(365)`` is 0, and nothing expires.

    ``replay_many`` agrees, ``next_expiry`` included: under FIFO the queue is the Senator
    lot (no date) then the member lot (due 2027), so a reader that stopped at the first
    lot beyond the horizon (as the default order allows) would say 0 and no date.
    """
    soon = dt.datetime(2026, 3, 2, tzinfo=BERLIN)
    later = dt.datetime(2027, 3, 1, tzinfo=BERLIN)
    due = dt.datetime(2027, 2, 2, tzinfo=BERLIN)
    fifo_program, soonest_program = _senator_program("fifo"), _senator_program("soonest_expiry")
    fifo = fifo_program.replay(_SENATOR, as_of=soon)
    assert fifo.tier_name == "member"
    assert _allocations(fifo, "x") == [("s", 600)]
    assert [(lot.remaining, lot.expires_at) for lot in fifo.lots] == [(400, None), (500, due)]
    assert fifo.expiring(365) == 500
    gone = fifo_program.replay(_SENATOR, as_of=later)
    assert (gone.available, gone.expired) == (400, 500)
    soonest = soonest_program.replay(_SENATOR, as_of=soon)
    assert _allocations(soonest, "x") == [("m", 500), ("s", 100)]
    assert (soonest.expiring(365), _remaining(soonest)) == (0, {"s": 900, "m": 0})
    kept = soonest_program.replay(_SENATOR, as_of=later)
    assert (kept.available, kept.expired) == (900, 0)
    row = _row(fifo_program, _SENATOR, soon, 365)
    assert (row["available"], row["expiring"], row["next_expiry"]) == (900, 500, due)
    row = _row(soonest_program, _SENATOR, soon, 365)
    assert (row["available"], row["expiring"]) == (900, 0)
    assert pd.isna(row["next_expiry"])


def test_pending_points_are_never_drawn_and_join_the_queue_by_earning_time() -> None:
    """Return window of 7 days under FIFO, points valid 12 months. A ¥100 purchase on
    1 March (100 points, pending until 8 March), 50 points given on 2 March (kept to
    1 June), an award of 30 on 3 March: the purchase is older but pending, so the 30 come
    from the gift (20 left); 100 more on 4 March are refused (20 usable). On 8 March the
    purchase's points become usable ahead of the gift in the queue (older); 40 more given
    on 9 March; an award of 110 on 10 March takes 100 from the purchase and 10 from the
    gift: 10 + 40 left. (By default the gift, due 1 June, goes first: 20, then 90 of the
    purchase.)"""
    program = Program(pending_days=7, expiry=ExpiryPolicy.after_months(12), consumption="fifo")
    events = [
        Purchase("p1", _utc(2025, 3, 1), lines=[PurchaseLine("1", "100")]),
        Adjust("g1", _utc(2025, 3, 2), points=50, reason="gift", expires_at=_utc(2025, 6, 1)),
        Redeem("x1", _utc(2025, 3, 3), points=30),
    ]
    early = program.replay(events, as_of=_utc(2025, 3, 3))
    assert (early.available, early.pending, _allocations(early, "x1")) == (20, 100, [("g1", 30)])
    with pytest.raises(InsufficientPointsError):
        program.replay(
            [*events, Redeem("x2", _utc(2025, 3, 4), points=100)], as_of=_utc(2025, 3, 4)
        )
    events += [
        Adjust("g2", _utc(2025, 3, 9), points=40, reason="gift"),
        Redeem("x3", _utc(2025, 3, 10), points=110),
    ]
    state = program.replay(events, as_of=_utc(2025, 3, 10))
    check_state(state)
    assert _allocations(state, "x3") == [("p1", 100), ("g1", 10)]
    assert _remaining(state) == {"p1": 0, "g1": 10, "g2": 40}
    default = attrs.evolve(program, consumption="soonest_expiry")
    assert _allocations(default.replay(events, as_of=_utc(2025, 3, 10)), "x3") == [
        ("g1", 20),
        ("p1", 90),
    ]


def test_every_debit_draws_oldest_first_under_fifo() -> None:
    """FIFO for each kind of debit, on lots credited oldest-expiring-last: 100 points on
    1 January kept to 2027, 100 on 1 February kept to 1 June 2025, and a ¥100 purchase on
    1 March (100 points, 12 months). A negative adjustment of 50 (2 March), a points
    tender of 100 (3 March, on a ¥200 order that earns 100 more on its ¥100 paid in
    money) and a redemption of 100 (4 March) take the oldest first: 50 + 50 from the
    January lot, 50 + 50 from February's, then 50 + 50 from March's purchase. Under the
    default order the February lot (due soonest) goes first, then the purchase, then
    the January lot."""
    events = [
        Adjust("jan", _utc(2025, 1, 1), points=100, reason="gift", expires_at=_utc(2027, 1, 1)),
        Adjust("feb", _utc(2025, 2, 1), points=100, reason="gift", expires_at=_utc(2025, 6, 1)),
        Purchase("mar", _utc(2025, 3, 1), lines=[PurchaseLine("1", "100")]),
        Adjust("neg", _utc(2025, 3, 2), points=-50, reason="correction"),
        Purchase(
            "paid",
            _utc(2025, 3, 3),
            lines=[PurchaseLine("1", "200")],
            tenders=[Tender("points", "100", points=100), Tender("card", "100")],
        ),
        Redeem("x", _utc(2025, 3, 4), points=100),
    ]
    fifo = Program(expiry=ExpiryPolicy.after_months(12), consumption="fifo")
    state = fifo.replay(events, as_of=_utc(2025, 3, 5))
    check_state(state)
    assert _allocations(state, "neg") == [("jan", 50)]
    assert _allocations(state, "paid") == [("jan", 50), ("feb", 50)]
    assert _allocations(state, "x") == [("feb", 50), ("mar", 50)]
    assert _remaining(state) == {"jan": 0, "feb": 0, "mar": 50, "paid": 100}
    default = Program(expiry=ExpiryPolicy.after_months(12)).replay(events, as_of=_utc(2025, 3, 5))
    assert _allocations(default, "neg") == [("feb", 50)]
    assert _allocations(default, "paid") == [("feb", 50), ("mar", 50)]
    assert _allocations(default, "x") == [("mar", 50), ("paid", 50)]


def test_debt_is_repaid_from_the_oldest_lot_under_fifo() -> None:
    """``shortfall="debt"`` under FIFO, points valid 12 months. 100 points given on
    1 January kept to 2027; a ¥100 purchase on 1 February (100 points, due 2 February
    2026); a redemption of 150 on 2 February takes all 100 of the gift, then 50 of the
    purchase (by default the purchase, due sooner, goes first). The purchase refunded on
    3 February: 50 of its points are still there (reversed), 50 were spent: 50 of debt.
    80 points given on 4 February repay it (the repayment draws like a redemption): 50
    from that lot, 30 left."""
    program = Program(shortfall="debt", expiry=ExpiryPolicy.after_months(12), consumption="fifo")
    events = [
        Adjust("g", _utc(2025, 1, 1), points=100, reason="gift", expires_at=_utc(2027, 1, 1)),
        Purchase("p", _utc(2025, 2, 1), lines=[PurchaseLine("1", "100")]),
        Redeem("x", _utc(2025, 2, 2), points=150),
    ]
    state = program.replay(
        [
            *events,
            Refund("r", _utc(2025, 2, 3), "p"),
            Adjust("h", _utc(2025, 2, 4), points=80, reason="gift"),
        ],
        as_of=_utc(2025, 2, 5),
    )
    check_state(state)
    assert _allocations(state, "x") == [("g", 100), ("p", 50)]
    assert (state.debt, state.available, _remaining(state)) == (0, 30, {"g": 0, "p": 0, "h": 30})
    assert [p.allocations for p in state.postings if p.kind == "repay"] == [(("h", 50),)]
    default = attrs.evolve(program, consumption="soonest_expiry").replay(
        events, as_of=_utc(2025, 2, 2)
    )
    assert _allocations(default, "x") == [("p", 100), ("g", 50)]


# ------------------------------------------------------------ the option as data


def test_consumption_is_data_omitted_when_default_and_checked() -> None:
    """``consumption`` round-trips through JSON, is left out of it when it is the default
    (JSON written before the option loads unchanged), and anything else is a ConfigError
    naming the field and the choices."""
    fifo = Program(consumption="fifo")
    data = json.loads(json.dumps(fifo.to_dict()))
    assert data["consumption"] == "fifo"
    assert Program.from_dict(data) == fifo
    assert "consumption" not in Program().to_dict()
    assert Program.from_dict(Program().to_dict()).consumption == "soonest_expiry"
    assert Program(consumption="soonest_expiry") == Program()
    for bad in ("FIFO", "lifo", "oldest_first", None, 1):
        with pytest.raises(ConfigError) as info:
            Program(consumption=bad)  # type: ignore[arg-type]
        assert info.value.field == "consumption"
        assert "'soonest_expiry', 'fifo'" in str(info.value)
    with pytest.raises(ConfigError, match="consumption"):
        Program.from_dict({**fifo.to_dict(), "consumption": "newest"})
    # The sub-books of other point currencies keep the order.
    two = Program(
        earning={"points": EarningScheme.base_rate(1), "miles": EarningScheme.base_rate(2)},
        consumption="fifo",
    )
    assert all(
        p.consumption == "fifo" for p in (two.compile().single, *two.compile().others.values())
    )


@settings(max_examples=examples(40), deadline=None)
@given(program=fifo_programs())
def test_fifo_programs_round_trip_through_json(program: Program) -> None:
    """Any program under FIFO (any expiry, tiers, shortfall, tender limits) round-trips."""
    again = Program.from_dict(json.loads(json.dumps(program.to_dict())))
    assert again == program
    assert again.consumption == "fifo"


# ------------------------------------------------------------ properties


@settings(max_examples=examples(60), deadline=None)
@given(program=monotone_expiry_programs(), drawn=loyalty_event_tables(max_members=1))
def test_with_expiry_in_earning_order_both_orders_give_the_same_states(
    program: Program, drawn: tuple[pd.DataFrame, dict[str, list[Any]]]
) -> None:
    """When lots expire in the order they are earned (one plain policy such as
    ``after_months``, no kept dates, no tiers), the soonest-expiring lot is always the
    oldest: both orders give identical states (lots, postings with their allocations,
    figures), at the last event and later, whatever the shortfall policy, return window
    and tender limits."""
    _, objects = drawn
    events = next(iter(objects.values()))
    fifo = attrs.evolve(program, consumption="fifo")
    last = max(event.time for event in events)
    for as_of in (last, last + dt.timedelta(days=45), last + dt.timedelta(days=400)):
        expected = program.replay(events, as_of=as_of, on_error="skip")
        assert fifo.replay(events, as_of=as_of, on_error="skip") == expected


@st.composite
def _credits_and_awards(draw: st.DrawFn) -> list[Any]:
    """Credits (gifts, some with a kept date 1-400 days on; purchases) and redemptions at
    instants hours to weeks apart, in time order."""
    at = _utc(2025, 1, 1)
    events: list[Any] = []
    for k in range(draw(st.integers(1, 16))):
        at += dt.timedelta(hours=draw(st.integers(1, 24 * 30)))
        kind = draw(st.sampled_from(["gift", "gift", "purchase", "redeem", "redeem"]))
        if kind == "gift":
            kept = draw(st.none() | st.integers(1, 400))
            expires = None if kept is None else at + dt.timedelta(days=kept)
            points = draw(st.integers(1, 500))
            events.append(Adjust(f"e{k}", at, points=points, reason="gift", expires_at=expires))
        elif kind == "purchase":
            amount = Decimal(draw(st.integers(0, 50_000))).scaleb(-2)
            events.append(Purchase(f"e{k}", at, lines=[PurchaseLine("1", amount)]))
        else:
            events.append(Redeem(f"e{k}", at, points=draw(st.integers(1, 600))))
    return events


@settings(max_examples=examples(100), deadline=None)
@given(
    expiry=st.sampled_from(
        [ExpiryPolicy.after_days(30), ExpiryPolicy.after_months(2), ExpiryPolicy.never()]
    ),
    events=_credits_and_awards(),
    later=st.integers(0, 500),
)
def test_soonest_expiry_never_lets_more_points_expire_than_fifo(
    expiry: ExpiryPolicy, events: list[Any], later: int
) -> None:
    """The optimality of the default: on the same credits and the redemptions FIFO
    honours, drawing soonest-expiring first honours every one of them too, and at every
    instant has expired no more points than FIFO (and so holds at least as many)."""
    fifo = Program(expiry=expiry, consumption="fifo")
    soonest = Program(expiry=expiry)
    last = events[-1].time + dt.timedelta(days=later)
    refused = {
        event_id for event_id, _ in fifo.replay(events, as_of=last, on_error="skip").rejected
    }
    honoured = [event for event in events if event.event_id not in refused]
    instants = [event.time for event in honoured] + [last]
    for as_of in instants:
        first_in = fifo.replay(honoured, as_of=as_of)
        best = soonest.replay(honoured, as_of=as_of)  # (raises if it refused one)
        assert best.expired <= first_in.expired
        assert best.available >= first_in.available
        assert best.spent == first_in.spent


class FifoLedgerMachine(LedgerMachine):
    """The ledger state machine (every invariant after every step) under FIFO programs,
    with credits that keep dates of their own (transfers in, promotions), so that the
    consumption queue is out of expiry order."""

    @initialize(program=fifo_programs())
    def choose_program(self, program: Program) -> None:
        self.program = program
        self.state = program.replay([], as_of=self.now)

    @rule(points=st.integers(1, 500), days=st.integers(1, 400))
    def credit_with_a_kept_date(self, points: int, days: int) -> None:
        expires = self.now + dt.timedelta(days=days)
        self._push(
            Adjust(self._id("k"), self.now, points=points, reason="transfer_in", expires_at=expires)
        )

    @invariant()
    def debits_draw_oldest_first(self) -> None:
        """Each debit's lots, in the order it drew them, go by earning time (then id)."""
        earned = {lot.lot_id: (lot.earned_at, lot.lot_id) for lot in self.state.lots}
        for posting in self.state.postings:
            if posting.kind in ("redeem", "tender", "adjust", "repay") and posting.points < 0:
                keys = [earned[lot_id] for lot_id, _ in posting.allocations]
                assert keys == sorted(keys), posting


FifoLedgerMachine.TestCase.settings = settings(
    max_examples=examples(40), stateful_step_count=25, deadline=None
)
TestFifoLedger = FifoLedgerMachine.TestCase


@settings(max_examples=examples(40), deadline=None)
@given(program=fifo_programs(), drawn=loyalty_event_tables(extras=True))
def test_fifo_replay_many_equals_replay_and_apply(
    program: Program, drawn: tuple[pd.DataFrame, dict[str, list[Any]]]
) -> None:
    """Under FIFO (any expiry, tiers with validity or protection by tier, shortfall,
    return window), with credits keeping dates of their own, tenders and a second
    currency: every ``replay_many`` row equals the member's replay (figures, ``expiring``
    over two horizons, ``next_expiry``), the replay equals event-by-event ``apply``, and
    points are conserved."""
    program = attrs.evolve(
        program,
        earning={"points": program.earning, "miles": EarningScheme.base_rate("0.5")},
    )
    table, objects = drawn
    last = max(e.time for events in objects.values() for e in events)
    as_of = last + dt.timedelta(days=3)
    for days in (30, 400):
        rows = replay_many(
            table, program, as_of=as_of, on_error="skip", counts=["nights"], expiring_days=days
        )
        for member, events in objects.items():
            state = program.replay(events, as_of=as_of, on_error="skip")
            row = rows.loc[member]
            for name in (
                "available",
                "pending",
                "debt",
                "credited",
                "spent",
                "expired",
                "reversed",
                "forfeited",
                "cash_offset",
            ):
                assert row[name] == getattr(state, name), name
            assert row["rejected"] == len(state.rejected)
            assert row["expiring"] == state.expiring(days)
            usable = [lot.expires_at for lot in state.lots if lot.remaining and lot.active(as_of)]
            dated = [d for d in usable if d is not None]
            expected = min(dated) if dated else None
            assert (None if pd.isna(row["next_expiry"]) else row["next_expiry"]) == expected
    for events in objects.values():
        state = program.replay(events, as_of=as_of, on_error="skip")
        for currency in state.by_currency.values():
            check_state(currency)
        stepped = program.replay([], as_of=events[0].time, on_error="skip")
        for event in events:
            stepped = program.apply(stepped, event)
        assert program.replay(stepped.events, as_of=as_of, on_error="skip") == state


@settings(max_examples=examples(80), deadline=None)
@given(program=fifo_programs(), events=_credits_and_awards(), later=st.integers(0, 60))
def test_fifo_expiring_and_next_expiry_read_every_lot(
    program: Program, events: list[Any], later: int
) -> None:
    """Under FIFO the queue is in earning order, not expiry order (credits keeping dates
    of their own, validity by tier): ``replay_many``'s ``expiring`` (two horizons) and
    ``next_expiry`` equal what the member's lots say (``MemberState.expiring``, the
    soonest date of a usable lot), as do its balances."""
    as_of = events[-1].time + dt.timedelta(days=later, hours=1)
    state = program.replay(events, as_of=as_of, on_error="skip")
    check_state(state)
    usable = [lot.expires_at for lot in state.lots if lot.remaining and lot.active(as_of)]
    dated = [d for d in usable if d is not None]
    expected = min(dated) if dated else None
    for days in (30, 400):
        row = replay_many(
            events_table({"m": events}, columns=("expires_at",)),
            program,
            as_of=as_of,
            on_error="skip",
            expiring_days=days,
        ).loc["m"]
        assert (row["available"], row["pending"], row["expired"], row["spent"]) == (
            state.available,
            state.pending,
            state.expired,
            state.spent,
        )
        assert row["expiring"] == state.expiring(days)
        assert (None if pd.isna(row["next_expiry"]) else row["next_expiry"]) == expected


@settings(max_examples=examples(30), deadline=None)
@given(
    program=_southern_programs(),
    events=southern_histories(),
    later=st.integers(0, 700),
)
def test_fifo_under_extended_validity_reads_the_same_everywhere(
    program: Program, events: list[Any], later: int
) -> None:
    """China Southern's extension (``tier_basis="extended"``: a lot falling due while a
    card is held is moved on and queued again) under FIFO, with voluntary and
    involuntary cancellations (returned miles in lots of their own, with dates of their
    own) and refunds: points are conserved, the replay equals event-by-event ``apply``,
    and ``replay_many`` agrees (balances, ``expiring``, ``next_expiry``)."""
    program = attrs.evolve(program, consumption="fifo")
    end = events[-1].time + dt.timedelta(days=later, hours=1)
    final = program.replay(events, as_of=end, on_error="skip")
    check_state(final)
    stepped = program.replay([], as_of=events[0].time, on_error="skip")
    for event in events:
        stepped = program.apply(stepped, event)
    assert program.replay(stepped.events, as_of=end, on_error="skip") == final
    for days in (30, 400):
        row = replay_many(
            events_table({"m": events}, columns=("involuntary", *_COUNTS)),
            program,
            as_of=end,
            counts=_COUNTS,
            on_error="skip",
            expiring_days=days,
        ).loc["m"]
        assert (row["available"], row["expired"], row["spent"]) == (
            final.available,
            final.expired,
            final.spent,
        )
        assert row["expiring"] == final.expiring(days)
        usable = [lot.expires_at for lot in final.lots if lot.remaining and lot.active(end)]
        dated = [d for d in usable if d is not None]
        expected = min(dated) if dated else None
        assert (None if pd.isna(row["next_expiry"]) else row["next_expiry"]) == expected
