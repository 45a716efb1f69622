"""Property tests of the points ledger over random event sequences (hypothesis state machine).

Invariants held after every step: conservation per lot and per member, lot bounds, debt
only with nothing available, incremental apply == full replay, idempotent re-application,
arrival order does not matter, advancing ``as_of`` never raises the usable points, and no
float anywhere in the state. ``TestTwoCurrencyLedger`` runs the same machine under a
program with two point currencies ("points" and "miles", each with its own earning scheme
and expiry policy) and checks every invariant per currency.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)

from crmkit.errors import LedgerError
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
    RefundLine,
    Tender,
    TenderPolicy,
)
from tests.strategies import examples, ledger_tender_policies, loyalty_programs

T0 = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)


def tender_refusal(program: Program, event: Purchase) -> str | None:
    """What the program's tender limits say of ``event``'s points tenders (rule 11): the
    message of the first limit broken, or None when every currency's limits are kept."""
    tender = program.tender
    policies = {program.point_currencies[0]: tender} if isinstance(tender, TenderPolicy) else {}
    if isinstance(tender, dict):
        policies = dict(tender)
    for currency, policy in policies.items():
        try:
            policy.check(event, currency, primary=currency == program.point_currencies[0])
        except LedgerError as err:
            return str(err)
    return None


def check_state(state: MemberState) -> None:
    """The invariants every state satisfies."""
    assert state.credited == (
        state.available
        + state.pending
        + state.spent
        + state.expired
        + state.reversed
        + state.forfeited
    )
    usable = pending = 0
    for lot in state.lots:
        parts = (lot.remaining, lot.spent, lot.expired, lot.reversed, lot.forfeited)
        assert all(type(p) is int and p >= 0 for p in parts), lot
        assert sum(parts) == lot.amount, lot
        if lot.remaining and lot.activates_at <= state.as_of:
            usable += lot.remaining
        elif lot.remaining:
            pending += lot.remaining
    assert (usable, pending) == (state.available, state.pending)
    assert state.available >= 0
    assert state.debt >= 0
    assert state.debt == 0 or state.available == 0
    assert isinstance(state.cash_offset, Decimal)
    for value in (state.available, state.pending, state.debt, state.credited, state.spent):
        assert type(value) is int
    for posting in state.postings:
        assert type(posting.points) is int
        assert all(type(points) is int for _, points in posting.allocations)
    for q in state.qualifying:
        assert isinstance(q.spend, Decimal)
    # Named counts (rule 1): taken back at most once, with the purchase's last unit.
    nights = sum(q.counts.get("nights", 0) for q in state.qualifying)
    bought = state._book.bought.values()
    assert 0 <= nights <= sum(dict(b.event.counts).get("nights", 0) for b in bought)


class LedgerMachine(RuleBasedStateMachine):
    """Random member histories under a random program, checked after every event."""

    purchases = Bundle("purchases")
    redemptions = Bundle("redemptions")

    def __init__(self) -> None:
        super().__init__()
        self.program = Program()
        self.events: list = []  # type: ignore[type-arg]
        self.now = T0
        self.state = self.program.replay([], as_of=T0)
        self.counter = 0

    @initialize(program=loyalty_programs())
    def choose_program(self, program: Program) -> None:
        self.program = program
        self.state = program.replay([], as_of=T0)

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _push(self, event: object) -> None:
        self.state = self.program.apply(self.state, event)  # type: ignore[arg-type]
        self.events.append(event)
        # Events of a member are seconds apart at least (same-instant events are ordered
        # by kind, which test_ledger covers).
        self.now += dt.timedelta(seconds=1)

    def _push_purchase(self, event: Purchase) -> bool:
        """Push ``event``, or, when its points tender breaks the program's tender limits,
        check that ``apply`` refuses it with that limit's message (the state unchanged)."""
        refusal = tender_refusal(self.program, event)
        if refusal is None:
            self._push(event)
            return True
        before = self.state
        with pytest.raises(LedgerError) as refused:
            self.program.apply(self.state, event)
        assert str(refused.value) == refusal
        assert self.state == before
        return False

    @rule(days=st.integers(0, 40), hours=st.integers(0, 23))
    def wait(self, days: int, hours: int) -> None:
        later = self.now + dt.timedelta(days=days, hours=hours)
        advanced = self.program.replay(self.events, as_of=later)
        # Advancing the clock never raises what the member holds (pending points only
        # move to available).
        assert advanced.available + advanced.pending <= self.state.available + self.state.pending
        if self.program.pending_days == 0:
            assert advanced.available <= self.state.available
        self.now = later
        self.state = advanced

    @rule(
        target=purchases,
        amounts=st.lists(st.integers(0, 50_000), min_size=1, max_size=3),
        quantities=st.lists(st.integers(1, 3), min_size=3, max_size=3),
        tender=st.integers(0, 300) | st.sampled_from([100, 200, 300]),
        nights=st.integers(0, 4),
    )
    def purchase(self, amounts: list[int], quantities: list[int], tender: int, nights: int) -> str:
        lines = [
            PurchaseLine(str(i), Decimal(a).scaleb(-2), quantity=quantities[i])
            for i, a in enumerate(amounts)
        ]
        net = sum((line.net for line in lines), Decimal(0))
        tenders: list[Tender] = []
        points = min(tender, self.state.available)
        if points and net > 0:
            value = min(net, Decimal(points).scaleb(-2))
            tenders = [Tender("points", value, points=points)]
            if net - value:
                tenders.append(Tender("card", net - value))
        eid = self._id("p")
        counts = {"nights": nights} if nights else {}
        self._push_purchase(
            Purchase(eid, self.now, lines=lines, channel="store", tenders=tenders, counts=counts)
        )
        return eid

    @rule(purchase=purchases, data=st.data())
    def refund(self, purchase: str, data: st.DataObject) -> None:
        bought = self.state._book.bought.get(purchase)
        if bought is None or bought.fully_refunded:  # (unpacks the per-line tables)
            return
        left = {k: bought.qty[k] - bought.qty_refunded[k] for k in bought.qty}
        choices = [k for k, v in left.items() if v]
        whole = data.draw(st.booleans())
        lines = []
        if not whole:
            for key in data.draw(st.lists(st.sampled_from(choices), min_size=1, unique=True)):
                lines.append(RefundLine(key, data.draw(st.integers(1, left[key]))))
        self._push(Refund(self._id("r"), self.now, purchase, lines=lines))

    @rule(target=redemptions, points=st.integers(1, 400))
    def redeem(self, points: int) -> str:
        eid = self._id("x")
        if points <= self.state.available:
            self._push(Redeem(eid, self.now, reward="r", points=points))
        return eid

    @rule(redemption=consumes(redemptions))
    def cancel(self, redemption: str) -> None:
        debit = self.state._book.debits.get(redemption)
        if debit is None:
            return
        lots_before = {lot.lot_id: lot for lot in self.state.lots}
        restorable = all(
            lots_before[lot_id].forfeited == 0
            and lots_before[lot_id].reversed == 0
            and (
                lots_before[lot_id].expires_at is None or lots_before[lot_id].expires_at > self.now
            )
            for lot_id in debit.allocations
        )
        # (The debt before the cancellation: a cancellation can repay debt with the points
        # it restores, and then the lots are not simply refilled.)
        debt_before = self.state.debt
        self._push(CancelRedemption(self._id("c"), self.now, redemption))
        if restorable and debt_before == 0:
            # Redeem-then-cancel puts every point back into its lot, expiry unchanged.
            after = {lot.lot_id: lot for lot in self.state.lots}
            for lot_id, points in debit.allocations.items():
                assert after[lot_id].remaining == lots_before[lot_id].remaining + points
                assert after[lot_id].expires_at == lots_before[lot_id].expires_at

    @rule(points=st.integers(-200, 500).filter(bool))
    def adjust(self, points: int) -> None:
        if points < 0 and -points > self.state.available:
            return
        self._push(Adjust(self._id("a"), self.now, points=points, reason="test"))

    @precondition(lambda self: bool(self.events))
    @rule(data=st.data())
    def replay_a_known_event(self, data: st.DataObject) -> None:
        event = data.draw(st.sampled_from(self.events))
        assert self.program.apply(self.state, event) == self.state

    @invariant()
    def state_is_sound(self) -> None:
        check_state(self.state)

    @invariant()
    def incremental_equals_replay(self) -> None:
        assert self.program.replay(self.events, as_of=self.state.as_of) == self.state

    @precondition(lambda self: len(self.events) > 1)
    @invariant()
    def arrival_order_does_not_matter(self) -> None:
        shuffled = list(self.events)
        random.Random(len(shuffled)).shuffle(shuffled)
        assert self.program.replay(shuffled, as_of=self.state.as_of) == self.state


LedgerMachine.TestCase.settings = settings(
    max_examples=examples(60), stateful_step_count=25, deadline=None
)
TestLedger = LedgerMachine.TestCase


@st.composite
def two_currency_programs(draw: st.DrawFn) -> Program:
    """A random program (as above) whose purchases also earn "miles" under their own rules."""
    program = draw(loyalty_programs())
    assert isinstance(program, Program)
    miles = EarningScheme.base_rate(draw(st.sampled_from(["2", "0.3", "1"])))
    policy = draw(
        st.sampled_from(
            [
                ExpiryPolicy.never(),
                ExpiryPolicy.after_days(10),
                ExpiryPolicy.inactivity(15, "days", activity=("redeem", "adjust")),
            ]
        )
    )
    # Tender limits: the primary currency's only, the miles' only, or each its own.
    limits = draw(st.none() | ledger_tender_policies())
    tender = draw(
        st.sampled_from(
            [
                program.tender,
                None if limits is None else {"miles": limits},
                None if program.tender is None else {"points": program.tender, "miles": limits},
            ]
        )
    )
    if isinstance(tender, dict):
        tender = {name: policy for name, policy in tender.items() if policy is not None}
    return attrs.evolve(
        program,
        earning={"points": program.earning_scheme, "miles": miles},
        expiry={"points": program.expiry_policy, "miles": policy},
        tender=tender,
    )


class TwoCurrencyLedgerMachine(LedgerMachine):
    """The ledger machine under two point currencies; every invariant holds per currency."""

    @initialize(program=two_currency_programs())
    def choose_program(self, program: Program) -> None:
        self.program = program
        self.state = program.replay([], as_of=T0)

    def _miles(self) -> MemberState:
        return self.state.by_currency["miles"]

    @rule(target=LedgerMachine.redemptions, points=st.integers(1, 600))
    def redeem_miles(self, points: int) -> str:
        eid = self._id("m")
        if points <= self._miles().available:
            self._push(Redeem(eid, self.now, reward="r", points=points, currency="miles"))
        return eid

    @rule(
        target=LedgerMachine.purchases,
        amount=st.integers(1, 50_000),
        miles=st.integers(1, 400) | st.sampled_from([100, 200, 300]),
    )
    def purchase_with_miles(self, amount: int, miles: int) -> str:
        """Rule 11: part of the purchase paid with miles (a points tender in miles)."""
        net = Decimal(amount).scaleb(-2)
        # The balances at the purchase instant (a lot may expire between two events).
        fresh = self.program.replay(self.events, as_of=self.now)
        miles = min(miles, fresh.by_currency["miles"].available)
        eid = self._id("q")
        if not miles:
            return eid
        value = min(net, Decimal(miles).scaleb(-2))
        tenders = [Tender("points", value, points=miles, currency="miles")]
        if net - value:
            tenders.append(Tender("card", net - value))
        if not self._push_purchase(
            Purchase(eid, self.now, lines=[PurchaseLine("1", net)], tenders=tenders)
        ):
            return eid
        # The tender is spent in miles only; the primary currency pays nothing (its points
        # spent grow only by the debt the purchase's points repaid).
        assert self._miles().spent == fresh.by_currency["miles"].spent + miles
        assert self.state.spent == fresh.spent + (fresh.debt - self.state.debt)
        return eid

    @rule(points=st.integers(-300, 500).filter(bool))
    def adjust_miles(self, points: int) -> None:
        if points < 0 and -points > self._miles().available:
            return
        self._push(Adjust(self._id("b"), self.now, points=points, reason="t", currency="miles"))

    @rule(redemption=consumes(LedgerMachine.redemptions))
    def cancel_miles(self, redemption: str) -> None:
        debit = self.state._book.subs["miles"].debits.get(redemption)
        if debit is None:
            return
        points_before = self.state.available
        lots_before = {lot.lot_id: lot for lot in self._miles().lots}
        restorable = all(
            lots_before[lot_id].forfeited == 0
            and lots_before[lot_id].reversed == 0
            and (
                lots_before[lot_id].expires_at is None or lots_before[lot_id].expires_at > self.now
            )
            for lot_id in debit.allocations
        )
        debt_before = self._miles().debt  # (before: the cancellation may repay it)
        self._push(CancelRedemption(self._id("c"), self.now, redemption))
        assert self.state.available == points_before  # the other currency is untouched
        if restorable and debt_before == 0:
            after = {lot.lot_id: lot for lot in self._miles().lots}
            for lot_id, points in debit.allocations.items():
                assert after[lot_id].remaining == lots_before[lot_id].remaining + points
                assert after[lot_id].expires_at == lots_before[lot_id].expires_at

    @rule(days=st.integers(0, 40))
    def wait_every_currency(self, days: int) -> None:
        later = self.now + dt.timedelta(days=days)
        advanced = self.program.replay(self.events, as_of=later)
        for name, before in self.state.by_currency.items():
            after = advanced.by_currency[name]
            assert after.available + after.pending <= before.available + before.pending
        self.now = later
        self.state = advanced

    @invariant()
    def every_currency_is_sound(self) -> None:
        states = self.state.by_currency
        assert list(states) == ["points", "miles"]
        for state in states.values():
            check_state(state)  # conservation, lot bounds, debt, no float: per currency
        # Purchases earn both currencies: each purchase lot exists in both ledgers.
        bought = {lot.lot_id for lot in states["points"].lots if lot.source == "purchase"}
        miles = {lot.lot_id for lot in states["miles"].lots if lot.source == "purchase"}
        assert miles <= set(self.state._book.bought)
        assert bought <= set(self.state._book.bought)


TwoCurrencyLedgerMachine.TestCase.settings = settings(
    max_examples=examples(40), stateful_step_count=25, deadline=None
)
TestTwoCurrencyLedger = TwoCurrencyLedgerMachine.TestCase


@given(
    program=loyalty_programs(),
    history=st.lists(st.integers(1, 3000), max_size=4),
    amount=st.integers(0, 99_999),
)
def test_earn_then_full_refund_restores_everything(
    program: Program, history: list[int], amount: int
) -> None:
    events: list = [  # type: ignore[type-arg]
        Adjust(f"g{i}", T0 + dt.timedelta(hours=i), points=p, reason="gift")
        for i, p in enumerate(history)
    ]
    t = T0 + dt.timedelta(days=1)
    before = program.replay(events, as_of=t)
    events += [
        Purchase("p", t, lines=[PurchaseLine("1", Decimal(amount).scaleb(-2))]),
        Refund("r", t, "p"),
    ]
    after = program.replay(events, as_of=t)
    earned = after.earnings["p"].points
    assert (after.available, after.pending, after.debt) == (
        before.available,
        before.pending,
        before.debt,
    )
    assert (after.spent, after.expired, after.forfeited) == (
        before.spent,
        before.expired,
        before.forfeited,
    )
    assert after.credited == before.credited + earned
    assert after.reversed == before.reversed + earned
    assert sum(q.spend for q in after.qualifying) == sum(q.spend for q in before.qualifying)
    assert sum(q.points for q in after.qualifying) == sum(q.points for q in before.qualifying)
    assert sum(q.orders for q in after.qualifying) == sum(q.orders for q in before.qualifying)


@given(st.integers(0, 10**7), st.lists(st.integers(1, 9), min_size=1, max_size=4))
def test_partial_refunds_add_up_to_the_full_reversal(amount: int, parts: list[int]) -> None:
    program = Program(earning=EarningScheme.base_rate("1.7"))
    quantity = sum(parts)
    events: list = [  # type: ignore[type-arg]
        Purchase("p", T0, lines=[PurchaseLine("1", Decimal(amount).scaleb(-2), quantity=quantity)])
    ]
    for i, part in enumerate(parts):
        events.append(Refund(f"r{i}", T0, "p", lines=[RefundLine("1", part)]))
    state = program.replay(events, as_of=T0)
    assert state.reversed == state.credited
    assert sum(q.spend for q in state.qualifying) == 0


@settings(max_examples=examples(40))
@given(program=loyalty_programs(), offsets=st.lists(st.integers(0, 400), min_size=2, max_size=6))
def test_advancing_as_of_never_raises_available_without_pending(
    program: Program, offsets: list[int]
) -> None:
    events = [
        Adjust(f"g{i}", T0 + dt.timedelta(days=d), points=100, reason="gift")
        for i, d in enumerate(offsets)
    ]
    last = T0 + dt.timedelta(days=max(offsets))
    values = [
        program.replay(events, as_of=last + dt.timedelta(days=k)).available
        for k in range(0, 800, 40)
    ]
    assert values == sorted(values, reverse=True)
    assert all(v >= 0 for v in values)
