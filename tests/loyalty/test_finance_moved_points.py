"""Breakage of points that leave a member unused: transfers, debt repayments, full refunds.

Regression tests for three defects of :func:`crmkit.loyalty.breakage`, each computed by hand:

* points moved to another member (``transfer_out``) were counted as redeemed at the
  sender, so breakage fell and revenue was recognised on a mere transfer;
* points a ``debt`` shortfall policy draws from a later lot to repay a refunded earning
  were counted as issued and redeemed a second time;
* a cohort refunded in full (nothing issued, nothing open) counted as *mature*, so the
  resolved ratio pooled nothing and the rate was NaN with ``basis == "mature"``.
"""

import datetime as dt
import math
from decimal import Decimal

import pytest

from crmkit.loyalty import (
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    TransferPolicy,
    breakage,
    points_liability,
    transfer,
)
from crmkit.loyalty._events import Event

UTC = dt.UTC


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


def _transfer_base() -> tuple[Program, dict[str, list[Event]]]:
    """The sender buys 300 points on 10 January, redeems 100 on 15 January and sends 150 on
    20 January with a 10 % fee (15 points); the receiver redeems 50 of the 150 on
    1 February. Points valid 6 months (kept by the transfer): everything left expires on
    11 July, 35 at the sender (300 - 100 - 150 - 15), 100 at the receiver."""
    program = Program(timezone="UTC", expiry=ExpiryPolicy.after_months(6))
    sender = [buy("a", at(2025, 1, 10), "300"), Redeem("r1", at(2025, 1, 15), points=100)]
    moved = transfer(
        program.replay(sender, as_of=at(2025, 1, 20)),
        150,
        program,
        TransferPolicy(fee_rate=Decimal("0.1")),
        transfer_id="t1",
        time=at(2025, 1, 20),
    )
    events: dict[str, list[Event]] = {
        "sender": [*sender, *moved.sender_events],
        "receiver": [*moved.receiver_events, Redeem("r2", at(2025, 2, 1), points=50)],
    }
    return program, events


def test_points_transferred_to_another_member_are_not_redeemed() -> None:
    """Of the 300 points bought, 100 + 15 (fee) + 50 were used and 35 + 100 = 135 expired:
    the true breakage is 135 / 300 = 0.45.

    A transfer issues no points: the 150 moved stay in January's purchase cohort, where the
    receiver's 50 redeemed and 100 expired count. Purchase lots alone therefore read issued
    300, redeemed 100 + 15 + 50 = 165, expired 35 + 100 = 135, rate 0.45 (before:
    issued 150 and rate 35 / 150, the moved points out of the cohort; earlier still, the
    transfer booked as a redemption: rate 35 / 300). With ``"adjust"`` lots the same: the
    receiver's credit is no new cohort (before: counted in the month of the move)."""
    program, events = _transfer_base()
    as_of = at(2025, 12, 31)
    expected = {"2025-01": {"issued": 300, "redeemed": 165, "expired": 135, "open": 0}}
    bought = breakage(events, program, as_of=as_of)
    assert bought.cohorts[["issued", "redeemed", "expired", "open"]].to_dict("index") == expected
    assert bought.rate == pytest.approx(0.45)
    both = breakage(events, program, as_of=as_of, sources=("purchase", "adjust"))
    assert both.cohorts[["issued", "redeemed", "expired", "open"]].to_dict("index") == expected
    assert (both.rate, both.basis) == (pytest.approx(0.45), "mature")


def test_points_transferred_and_still_held_are_open_at_the_receiver() -> None:
    """Seen on 28 February, before anything expires: the sender holds 35 and the receiver
    100. ``points_liability`` counts 135 outstanding, and breakage over purchase and
    adjust lots has 300 issued = 165 redeemed + 0 expired + 135 open (before: issued 450,
    redeemed 315, the 150 moved counted as used and held at once)."""
    program, events = _transfer_base()
    as_of = at(2025, 2, 28)
    states = {who: program.replay(evs, as_of=as_of) for who, evs in events.items()}
    assert int(points_liability(states, as_of=as_of)["points"].sum()) == 135
    both = breakage(events, program, as_of=as_of, sources=("purchase", "adjust"))
    row = both.cohorts.loc["2025-01"]
    assert (row["issued"], row["redeemed"], row["expired"], row["open"]) == (300, 165, 0, 135)


def test_points_drawn_to_repay_debt_are_not_issued_or_redeemed_twice() -> None:
    """``shortfall="debt"``: 100 points bought on 5 January are redeemed on 6 January and the
    purchase is refunded on 7 January, leaving 100 points of debt; 150 points bought on
    5 February repay it (the fold books the 100 as spent in the February lot), 50 remain.
    The member redeemed 100 points once and holds 50: January issued 100, redeemed 100
    (points refunded after they were spent, as a forfeit is); February issued 150 - 100 =
    50, redeemed 0, open 50. Before, February read issued 150, redeemed 100: 250 issued and
    200 redeemed in all, the one redemption counted twice."""
    program = Program(timezone="UTC", expiry=ExpiryPolicy.after_months(6), shortfall="debt")
    events = [
        buy("x", at(2025, 1, 5), "100"),
        Redeem("r", at(2025, 1, 6), points=100),
        Refund("rx", at(2025, 1, 7), "x"),
        buy("y", at(2025, 2, 5), "150"),
    ]
    result = breakage({"m": events}, program, as_of=at(2025, 3, 1))
    assert result.cohorts[["issued", "redeemed", "expired", "open"]].to_dict("index") == {
        "2025-01": {"issued": 100, "redeemed": 100, "expired": 0, "open": 0},
        "2025-02": {"issued": 50, "redeemed": 0, "expired": 0, "open": 50},
    }
    state = program.replay(events, as_of=at(2025, 3, 1))
    assert (state.debt, state.available) == (0, 50)
    assert int(points_liability([state], as_of=at(2025, 3, 1))["points"].sum()) == 50


def test_a_cohort_refunded_in_full_is_not_mature() -> None:
    """January's only purchase is refunded the next day: issued 0, open 0. It proves nothing
    about maturity, so the rate falls back to every resolved point (``basis="all"``).
    Points valid 1 month: February's 100 bought on 1 February (40 redeemed) expire on
    2 March, 60 of them unused; 100 bought on 28 February are open on 15 March. February:
    issued 200, redeemed 40, expired 60, open 100; rate 60 / (60 + 40) = 0.6; February
    ends with clip(200 x 0.6 = 120, 60, 160) = 120 expired: ultimate 0.6, 80 expected to be
    redeemed. Before, January alone was "mature": 0 / 0 = NaN, and every estimate NaN."""
    program = Program(timezone="UTC", expiry=ExpiryPolicy.after_months(1))
    events = {
        "a": [buy("x", at(2025, 1, 5), "100"), Refund("rx", at(2025, 1, 6), "x")],
        "b": [buy("y", at(2025, 2, 1), "100"), Redeem("r", at(2025, 2, 10), points=40)],
        "c": [buy("z", at(2025, 2, 28), "100")],
    }
    result = breakage(events, program, as_of=at(2025, 3, 15))
    assert result.cohorts[["issued", "redeemed", "expired", "open"]].to_dict("index") == {
        "2025-01": {"issued": 0, "redeemed": 0, "expired": 0, "open": 0},
        "2025-02": {"issued": 200, "redeemed": 40, "expired": 60, "open": 100},
    }
    assert (result.basis, result.method) == ("all", "resolved-ratio")
    assert result.rate == pytest.approx(0.6)
    assert result.cohorts.loc["2025-02", "ultimate"] == pytest.approx(0.6)
    assert result.cohorts.loc["2025-02", "expected_redeemed"] == pytest.approx(80)
    assert result.ultimate == pytest.approx(0.6)
    assert math.isnan(result.cohorts.loc["2025-01", "ultimate"])
