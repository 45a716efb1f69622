"""Points between members (issue 14, rule 7): transfers, account merges, conservation."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmkit.errors import ConfigError, InsufficientPointsError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    TransferPolicy,
    event_from_dict,
    merge_accounts,
    pool_points,
    transfer,
)
from tests.markdown_pages import check_commented_blocks

UTC = dt.UTC
T0 = dt.datetime(2025, 1, 1, 9, tzinfo=UTC)


def day(n: int) -> dt.datetime:
    """``n`` days after ``T0``."""
    return T0 + dt.timedelta(days=n)


def gift(event_id: str, when: dt.datetime, points: int) -> Adjust:
    """A positive adjustment standing for earned points."""
    return Adjust(event_id, when, points=points, reason="gift")


# ---------------------------------------------------------------------------- transfer
def test_transfer_keeps_the_expiry_of_the_lots_it_draws_oldest_first() -> None:
    """Lots leave the sender oldest first and arrive with their own expiry.

    Expiry 12 months after earning (first instant unusable: the day after). Ann earns 100
    on 1 Jan 2025 (expires 2026-01-02) and 200 on 1 Mar (expires 2026-03-02); she sends
    150 on 1 Apr: 100 from the January lot, 50 from the March lot. Bob's two credits keep
    those dates; on 2 Jan 2026 his 100 expire and 50 remain, Ann keeps 150 until March.
    """
    program = Program(expiry=ExpiryPolicy.after_months(12))
    ann_events = [gift("g1", T0, 100), gift("g2", dt.datetime(2025, 3, 1, 9, tzinfo=UTC), 200)]
    when = dt.datetime(2025, 4, 1, 9, tzinfo=UTC)
    ann = program.replay(ann_events, as_of=when)
    move = transfer(ann, 150, program, transfer_id="t1", time=when)
    assert [(e.points, e.reason) for e in move.sender_events] == [(-150, "transfer_out")]
    credits = [(e.points, e.expires_at.isoformat()) for e in move.receiver_events]  # type: ignore[union-attr]
    assert credits == [(100, "2026-01-02T00:00:00+00:00"), (50, "2026-03-02T00:00:00+00:00")]
    ann_after = program.replay([*ann_events, *move.sender_events], as_of=when)
    assert ann_after.available == 150
    bob = program.replay(list(move.receiver_events), as_of=dt.datetime(2026, 1, 2, tzinfo=UTC))
    assert (bob.available, bob.expired) == (50, 100)
    ann_then = program.replay(
        [*ann_events, *move.sender_events], as_of=dt.datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert (ann_then.available, ann_then.expired) == (150, 0)


def test_transfer_reset_dates_the_points_as_newly_earned() -> None:
    """``expiry="reset"``: one credit, expiring 12 months after the transfer."""
    program = Program(expiry=ExpiryPolicy.after_months(12))
    ann = program.replay([gift("g1", T0, 100)], as_of=day(90))
    move = transfer(ann, 80, program, TransferPolicy(expiry="reset"), transfer_id="t", time=day(90))
    (credit,) = move.receiver_events
    assert (credit.points, credit.expires_at) == (80, None)
    bob = program.replay([credit], as_of=day(90))
    assert bob.lots[0].expires_at == dt.datetime(2026, 4, 2, tzinfo=UTC)  # 1 Apr 2025 + 12 months


def test_marriott_style_transfer_with_yearly_cap() -> None:
    """Marriott Bonvoy points transfer, as listed from Marriott's rules at
    https://thetravelsisters.com/transfer-marriott-points-between-accounts/: "Can transfer
    up to a maximum of 100,000 points per calendar year to other accounts" (Marriott's own
    terms page not stored; the 1,000 minimum is in test_published_points.py). Under a 24-month inactivity policy the points arrive
    under the receiver's policy (no fixed lot expiry to keep).

    Ann has 150,000; she sends 60,000 in March and 40,000 in June (100,000: the cap);
    50,000 more in December is refused; on 1 Jan 2026 the cap starts afresh.
    """
    program = Program(expiry=ExpiryPolicy.inactivity(24, "months", activity=["purchase"]))
    policy = TransferPolicy(yearly_cap=100_000)
    events: list[Adjust] = [gift("g", T0, 150_000)]
    for n, (when, points) in enumerate(((day(60), 60_000), (day(150), 40_000))):
        state = program.replay(events, as_of=when)
        move = transfer(state, points, program, policy, transfer_id=f"t{n}", time=when)
        assert [e.expires_at for e in move.receiver_events] == [None]
        events += move.sender_events
    state = program.replay(events, as_of=day(340))
    with pytest.raises(LedgerError, match=r"at most 0 \(yearly cap 100000, 100000 already sent"):
        transfer(state, 50_000, program, policy, transfer_id="t3", time=day(340))
    new_year = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert (
        transfer(state, 50_000, program, policy, transfer_id="t4", time=new_year).points == 50_000
    )


def test_fee_and_minimum() -> None:
    """A 500-point minimum and a fee of 10 points + 1.5% rounded up: 1,000 cost 1,025.

    10 + ceil(1000 * 0.015) = 10 + 15 = 25; the fee debit follows the transfer's.
    """
    program = Program()
    policy = TransferPolicy(minimum=500, fee_points=10, fee_rate="0.015")
    ann = program.replay([gift("g", T0, 1_025)], as_of=T0)
    move = transfer(ann, 1_000, program, policy, transfer_id="t", time=T0)
    assert [(e.event_id, e.points, e.reason) for e in move.sender_events] == [
        ("t/out", -1_000, "transfer_out"),
        ("t/out/fee", -25, "transfer_fee"),
    ]
    after = program.replay([gift("g", T0, 1_025), *move.sender_events], as_of=T0)
    assert after.available == 0
    with pytest.raises(LedgerError, match="at least 500"):
        transfer(ann, 499, program, policy, transfer_id="u", time=T0)
    poorer = program.replay([gift("g", T0, 1_024)], as_of=T0)
    with pytest.raises(InsufficientPointsError) as err:
        transfer(poorer, 1_000, program, policy, transfer_id="v", time=T0)
    assert (err.value.available, err.value.requested) == (24, 25)  # the fee cannot follow


def test_pending_points_cannot_be_transferred() -> None:
    """Points inside the return window (pending) are not usable, so not transferable."""
    program = Program(pending_days=14)
    buy = Purchase("p", T0, lines=[PurchaseLine("1", "100")])
    ann = program.replay([buy], as_of=day(1))
    assert (ann.pending, ann.available) == (100, 0)
    with pytest.raises(InsufficientPointsError):
        transfer(ann, 10, program, transfer_id="t", time=day(1))
    later = program.replay([buy], as_of=day(15))
    assert transfer(later, 100, program, transfer_id="t", time=day(15)).points == 100


def test_transfer_policy_rejects_bad_values() -> None:
    """Bad policy values are ConfigErrors naming the field."""
    with pytest.raises(ConfigError, match="'expiry'"):
        TransferPolicy(expiry="extend")
    with pytest.raises(ConfigError, match="'fee_rate'"):
        TransferPolicy(fee_rate=0.1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'minimum'"):
        TransferPolicy(minimum=0)


# ---------------------------------------------------------------------------- merge
def test_merge_moves_every_usable_lot_with_its_expiry() -> None:
    """A duplicate account folded into the main one: 70 + 30 arrive with their dates;
    40 that expired before the merge do not move.
    """
    program = Program(expiry=ExpiryPolicy.after_days(30))
    events = [gift("a", T0, 40), gift("b", day(20), 70), gift("c", day(25), 30)]
    old = program.replay(events, as_of=day(25))
    move = merge_accounts(old, program, merge_id="m", time=day(40))
    assert move.points == 100
    assert move.fee == 0
    assert [(e.points, e.expires_at) for e in move.receiver_events] == [
        (70, day(51).replace(hour=0)),
        (30, day(56).replace(hour=0)),
    ]
    closed = program.replay([*events, *move.sender_events], as_of=day(40))
    assert (closed.available, closed.expired, closed.spent) == (0, 40, 100)


def test_merge_refuses_pending_points_and_moves_nothing_from_an_empty_account() -> None:
    """Pending points block a merge; an empty account gives no events."""
    program = Program(pending_days=14)
    pending = program.replay([Purchase("p", T0, lines=[PurchaseLine("1", "5")])], as_of=T0)
    with pytest.raises(LedgerError, match="no pending points and no debt"):
        merge_accounts(pending, program, merge_id="m", time=day(1))
    empty = program.replay([], as_of=T0)
    move = merge_accounts(empty, program, merge_id="m", time=day(1))
    assert (move.sender_events, move.receiver_events, move.points) == ((), (), 0)


def test_a_debit_that_would_replay_before_an_event_at_the_same_instant_is_refused() -> None:
    """Bob receives ``t1/in/0`` at T0; merging him at T0 with id ``m1`` (``"m1/out"`` sorts
    before ``"t1/in/0"``) would replay the closing debit before the credit: refused. A
    second later, or an id sorting after, is fine.
    """
    program = Program()
    ann = program.replay([gift("g", T0, 10)], as_of=T0)
    move = transfer(ann, 10, program, transfer_id="t1", time=T0)
    bob = program.replay(list(move.receiver_events), as_of=T0)
    with pytest.raises(LedgerError, match=r"'time' must be an instant without events"):
        merge_accounts(bob, program, merge_id="m1", time=T0)
    assert merge_accounts(bob, program, merge_id="z1", time=T0).points == 10
    later = T0 + dt.timedelta(seconds=1)
    assert merge_accounts(bob, program, merge_id="m1", time=later).points == 10


# ---------------------------------------------------------------------------- pooling
def test_avios_household_pool_for_one_redemption() -> None:
    """Pooling with explicit shares, after the British Airways Executive Club Household
    Account (https://www.britishairways.com/en-fr/executive-club/household-accounts:
    members "pool your Avios with up to six people who live with you"). BA itself spends
    "a proportional amount from each Member's balance", which these shares do not follow:
    that rule is test_published_points.py. Here each gives a share to the booker's
    account, each parcel keeps its lot's expiry (36 months here), the booker redeems.

    Mum 9,000 of her own + dad 6,000 + kid 3,000 (of 4,000) = 18,000 for the flight; the
    kid keeps 1,000; the parcels from dad (earned 1 Feb 2025) expire on 2 Feb 2028.
    """
    program = Program(expiry=ExpiryPolicy.after_months(36))
    earn = {"mum": (T0, 9_000), "dad": (dt.datetime(2025, 2, 1, tzinfo=UTC), 6_000)}
    earn["kid"] = (dt.datetime(2025, 3, 1, tzinfo=UTC), 4_000)
    events = {m: [gift(f"{m}-g", when, p)] for m, (when, p) in earn.items()}
    when = dt.datetime(2025, 6, 1, tzinfo=UTC)
    states = {m: program.replay(e, as_of=when) for m, e in events.items()}
    shares = {"mum": 9_000, "dad": 6_000, "kid": 3_000}
    pooled = pool_points(
        {m: (states[m], p) for m, p in shares.items()}, "mum", program, pool_id="h", time=when
    )
    assert pooled.points == 9_000  # mum's own share does not move
    assert [(e.event_id, e.points) for e in pooled.events["mum"]] == [
        ("h/dad/in/0", 6_000),
        ("h/kid/in/0", 3_000),
    ]
    assert pooled.events["mum"][0].expires_at == dt.datetime(2028, 2, 2, tzinfo=UTC)
    for member, extra in pooled.events.items():
        events[member] += extra
    events["mum"].append(Redeem("flight", when + dt.timedelta(hours=1), points=18_000))  # type: ignore[arg-type]
    after = {m: program.replay(e, as_of=when + dt.timedelta(hours=1)) for m, e in events.items()}
    assert {m: s.available for m, s in after.items()} == {"mum": 0, "dad": 0, "kid": 1_000}
    with pytest.raises(LedgerError, match=r"found 0 for 'kid'"):
        pool_points({"kid": (states["kid"], 0)}, "mum", program, pool_id="z", time=when)


def test_how_to_page_runs_and_prints_what_it_shows() -> None:
    """docs/how-to/loyalty-transfers.md runs as written."""
    check_commented_blocks("docs/how-to/loyalty-transfers.md")


# ---------------------------------------------------------------------------- argument order
def test_keyword_calls_work_in_any_order() -> None:
    """Every argument by keyword, in any order, gives the positional result (the data
    first, then the rules)."""
    program = Program()
    ann = program.replay([gift("g", T0, 300)], as_of=T0)
    policy = TransferPolicy(minimum=10)
    moved = transfer(
        program=program, sender=ann, points=100, policy=policy, transfer_id="t", time=day(1)
    )
    assert moved == transfer(ann, 100, program, policy, transfer_id="t", time=day(1))
    merged = merge_accounts(program=program, absorbed=ann, merge_id="m", time=day(1))
    assert merged == merge_accounts(ann, program, merge_id="m", time=day(1))
    pooled = pool_points(
        program=program,
        contributions={"ann": (ann, 100)},
        redeemer="bob",
        policy=policy,
        pool_id="h",
        time=day(1),
    )
    assert pooled == pool_points(
        {"ann": (ann, 100)}, "bob", program, policy, pool_id="h", time=day(1)
    )


# ---------------------------------------------------------------------------- the event
def test_adjust_expires_at_round_trips_and_is_checked() -> None:
    """``Adjust.expires_at``: JSON round trip; only on credits, after the event's time."""
    credit = Adjust("i", T0, points=5, reason="transfer_in", expires_at=day(3))
    assert event_from_dict(json.loads(json.dumps(credit.to_dict()))) == credit
    assert "expires_at" not in Adjust("j", T0, points=5, reason="x").to_dict()
    with pytest.raises(InvalidInputError, match="'expires_at' must be None for a debit"):
        Adjust("k", T0, points=-5, reason="x", expires_at=day(3))
    with pytest.raises(InvalidInputError, match="'expires_at' must be after the event's time"):
        Adjust("k", T0, points=5, reason="x", expires_at=T0)
    with pytest.raises(InvalidInputError, match="'expires_at' must be timezone-aware"):
        Adjust("k", T0, points=5, reason="x", expires_at=dt.datetime(2026, 1, 1))


def test_kept_expiry_replaces_the_policy_even_under_never() -> None:
    """Regression: the ledger honours ``Adjust.expires_at`` (the lot expires then)."""
    program = Program()  # expiry "never"
    state = program.replay(
        [Adjust("i", T0, points=5, reason="transfer_in", expires_at=day(3))], as_of=day(3)
    )
    assert (state.available, state.expired) == (0, 5)


# ---------------------------------------------------------------------------- conservation
MEMBERS = ("ann", "bob", "cyd")


class MembersMachine(RuleBasedStateMachine):
    """Several members earning, redeeming, transferring, merging and losing points to expiry.

    At every step: Σ over members of (available + pending) + Σ expired + redeemed + fees
    == Σ earned, no balance is negative, and each member's incremental state equals a
    full replay of the member's events.
    """

    def __init__(self) -> None:
        super().__init__()
        self.program = Program(expiry=ExpiryPolicy.after_days(30))
        self.events: dict[str, list[Adjust | Redeem]] = {m: [] for m in MEMBERS}
        self.states: dict[str, MemberState] = {
            m: self.program.replay([], as_of=T0) for m in MEMBERS
        }
        self.now = T0
        self.earned = self.redeemed = self.fees = self.counter = 0

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:04d}"

    def _push(self, member: str, event: Adjust | Redeem) -> None:
        self.states[member] = self.program.apply(self.states[member], event)
        self.events[member].append(event)

    def _tick(self) -> None:
        # Operations are a second apart at least (at one instant events replay by kind and
        # id, and transfer() refuses a debit that would replay first: tested above).
        self.now += dt.timedelta(seconds=1)

    def _at_now(self, member: str) -> MemberState:
        return self.program.replay(self.events[member], as_of=self.now)

    @rule(days=st.integers(0, 20), hours=st.integers(0, 23))
    def wait(self, days: int, hours: int) -> None:
        self.now += dt.timedelta(days=days, hours=hours, seconds=1)

    @rule(member=st.sampled_from(MEMBERS), points=st.integers(1, 500))
    def earn(self, member: str, points: int) -> None:
        self._push(member, gift(self._id("g"), self.now, points))
        self.earned += points
        self._tick()

    @rule(member=st.sampled_from(MEMBERS), share=st.integers(1, 100))
    def redeem(self, member: str, share: int) -> None:
        available = self._at_now(member).available
        points = available * share // 100
        if points:
            self._push(member, Redeem(self._id("r"), self.now, points=points))
            self.redeemed += points
            self._tick()

    @rule(
        pair=st.permutations(MEMBERS),
        share=st.integers(1, 120),
        keep=st.booleans(),
        fee_rate=st.sampled_from(["0", "0.1", "0.333"]),
    )
    def send(self, pair: list[str], share: int, keep: bool, fee_rate: str) -> None:
        sender, receiver = pair[0], pair[1]
        state = self._at_now(sender)
        points = state.available * share // 100
        policy = TransferPolicy(expiry="keep" if keep else "reset", fee_rate=fee_rate)
        if not points:
            return
        try:
            move = transfer(
                state, points, self.program, policy, transfer_id=self._id("t"), time=self.now
            )
        except InsufficientPointsError:
            assert points + policy.fee(points) > state.available
            return
        assert points + move.fee <= state.available
        for event in move.sender_events:
            self._push(sender, event)
        for event in move.receiver_events:
            self._push(receiver, event)
        self.fees += move.fee
        self._tick()
        assert sum(e.points for e in move.receiver_events) == points

    @rule(order=st.permutations(MEMBERS), shares=st.lists(st.integers(0, 100), min_size=3))
    def pool(self, order: list[str], shares: list[int]) -> None:
        redeemer = order[0]
        contributions = {}
        for member, share in zip(order, shares, strict=False):
            state = self._at_now(member)
            if state.available * share // 100:
                contributions[member] = (state, state.available * share // 100)
        if not contributions:
            return
        pooled = pool_points(
            contributions, redeemer, self.program, pool_id=self._id("h"), time=self.now
        )
        total = sum(points for _, points in contributions.values())
        for member, events in pooled.events.items():
            for event in events:
                self._push(member, event)
        assert self._at_now(redeemer).available >= total
        self._push(redeemer, Redeem(self._id("r"), self.now, points=total))
        self.redeemed += total
        self._tick()

    @precondition(lambda self: any(self.events.values()))
    @rule(pair=st.permutations(MEMBERS))
    def merge(self, pair: list[str]) -> None:
        absorbed, survivor = pair[0], pair[1]
        state = self.states[absorbed]
        move = merge_accounts(state, self.program, merge_id=self._id("m"), time=self.now)
        assert move.points == self._at_now(absorbed).available
        for event in move.sender_events:
            self._push(absorbed, event)
        for event in move.receiver_events:
            self._push(survivor, event)
        assert self._at_now(absorbed).available == 0
        self._tick()

    @invariant()
    def conserved(self) -> None:
        held = expired = 0
        for member in MEMBERS:
            state = self._at_now(member)
            assert state.available >= 0
            assert state.pending >= 0
            assert state.debt == 0
            assert all(lot.remaining >= 0 for lot in state.lots)
            held += state.available + state.pending
            expired += state.expired
            incremental = self.states[member]
            replayed = self.program.replay(self.events[member], as_of=incremental.as_of)
            assert (incremental.available, incremental.expired, incremental.spent) == (
                replayed.available,
                replayed.expired,
                replayed.spent,
            )
        assert held + expired + self.redeemed + self.fees == self.earned


MembersMachine.TestCase.settings = settings(
    MembersMachine.TestCase.settings, stateful_step_count=25
)
test_members_conserve_points = MembersMachine.TestCase


def test_a_transfer_from_a_skipping_state_refuses_a_fee_it_cannot_pay() -> None:
    """Regression: on a state replayed with ``on_error="skip"``, the fee check applied the
    fee, the ledger left it out (``rejected``) and the transfer went ahead: 100 points
    moved out of 100 with a 10-point fee nobody paid. It is refused as on any state."""
    t = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)
    program = Program(timezone="UTC")
    bought = [Purchase("a", t, lines=[PurchaseLine("1", "100")])]
    policy = TransferPolicy(fee_rate=Decimal("0.1"))
    later = t + dt.timedelta(days=1)
    for on_error in ("raise", "skip"):
        state = program.replay(bought, as_of=t, on_error=on_error)
        with pytest.raises(LedgerError, match="t1/out/fee"):
            transfer(state, 100, program, policy, transfer_id="t1", time=later)
    skipping = program.replay(bought, as_of=t, on_error="skip")
    moved = transfer(skipping, 90, program, policy, transfer_id="t2", time=later)
    assert (moved.points, moved.fee) == (90, 9)
