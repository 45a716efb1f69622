"""Points between members: transfers and account merges, as pairs of member events.

crmkit replays one member at a time, so a move of points between two members is written
as events in both members' streams: the sender gets a debit (an
:class:`~crmkit.loyalty.Adjust` with reason ``"transfer_out"``, and one with reason
``"transfer_fee"`` when the policy charges a fee) and the receiver gets credits
(:class:`~crmkit.loyalty.Adjust` with reason ``"transfer_in"``). :func:`transfer` and
:func:`merge_accounts` look at the sender's state once, decide which lots leave and build
those events; the app stores them, and every later replay of either member is
self-contained.

The rules, in one place:

* Points leave the sender in the program's consumption order (by default soonest-expiring
  first, then oldest: under a fixed validity that is oldest first; oldest first under
  ``Program(consumption="fifo")``), from usable lots only; pending
  points cannot be moved.
* ``expiry="keep"`` (default): each parcel arrives with the expiry of the lot it left
  (one credit per distinct expiry, ``Adjust.expires_at``); a lot with no fixed expiry
  (policy ``never``, ``inactivity``, or a tier that never expires: credited under it,
  or, with ``tier_basis="held"``, held by the sender when the points move, whose dates
  are then only when the status is looked at again) arrives under the receiver's
  policy. ``expiry="reset"``: one credit, dated by the program's policy at the transfer
  instant, as if newly earned.
* Transferred points are not qualifying activity for tiers (a credit by adjustment);
  whether they count as activity for inactivity expiry is the policy's ``activity``
  (``"adjust"``) setting.
* Conservation across members: the points credited to the receiver equal the points
  debited from the sender minus the fee, which the sender's ``transfer_fee`` debit records.
* A move issues no points: the receiver's credit is an ``"adjust"`` lot of the move's
  instant, but :func:`~crmkit.loyalty.breakage` follows it back (its id ``<id>/in/<n>`` to
  the sender's ``<id>/out`` and the lots that debit drew) and counts its points in the
  cohort they were earned in.

Like the rest of crmkit, the functions take the data first (the members' states and the
points), then the rules (the program, the policy):
``transfer(sender, points, program, policy)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import attrs

from crmkit._jsonable import ResultDict
from crmkit._rounding import round_integral
from crmkit._spec import DECIMAL, PLAIN, Optional, Spec, decimal, field, one_of, whole
from crmkit._spec import to_decimal as _to_decimal
from crmkit.errors import ConfigError, LedgerError
from crmkit.loyalty._events import Adjust
from crmkit.loyalty._expiry import ExpiryPolicy
from crmkit.loyalty._program import MemberState, Program

__all__ = [
    "TRANSFER_REASONS",
    "Pool",
    "Transfer",
    "TransferPolicy",
    "merge_accounts",
    "pool_points",
    "transfer",
]

#: The reason codes of the events :func:`transfer`, :func:`merge_accounts` and
#: :func:`pool_points` write.
TRANSFER_REASONS = (
    "transfer_out",
    "transfer_in",
    "transfer_fee",
    "merge_out",
    "merge_in",
    "pool_out",
    "pool_in",
)

_FIXED_EXPIRY_KINDS = ("days", "months", "end_of_period", "fixed_date")


@attrs.frozen
class TransferPolicy(Spec):
    """What a program allows when a member gives points to another member.

    All amounts are in ledger units (points times ``10**point_decimals``).

    Attributes:
        expiry: ``"keep"`` (parcels keep their lot's expiry) or ``"reset"`` (the points
            expire as if earned at the transfer).
        minimum: The smallest transfer (default 1).
        fee_points: A fixed fee per transfer, debited from the sender on top of the points.
        fee_rate: A fee as a share of the points transferred, rounded up to a whole
            ledger unit (``Decimal("0.1")``: 10%); added to ``fee_points``.
        yearly_cap: The most points a member may send per calendar year (in the program's
            zone; fees not counted), or None for no cap.
        multiple_of: Amounts must be whole multiples of this (default 1: any amount);
            Marriott Bonvoy and Hilton Honors move points in increments of 1,000.
        yearly_receive_cap: The most points a member may receive per calendar year (in the
            program's zone), or None for no cap; :func:`transfer` and :func:`pool_points`
            then need the receiver's state.
        max_pool_members: The most members in one pool, the redeemer included
            (:func:`pool_points`; Hilton Honors: 11), or None for no limit.

    The caps count the moves of the same kind: :func:`transfer` counts ``transfer_out``
    and ``transfer_in`` postings, :func:`pool_points` counts ``pool_out`` and ``pool_in``.
    Pools take no fee: :func:`pool_points` refuses a policy with one.

    Examples:
        >>> policy = TransferPolicy(minimum=500, fee_rate="0.1", yearly_cap=100_000)
        >>> policy.fee(1_000)
        100
        >>> TransferPolicy.from_dict(policy.to_dict()) == policy
        True
        >>> policy.to_dict()["fee_rate"]
        '0.1'
        >>> marriott = TransferPolicy(minimum=1_000, multiple_of=1_000, yearly_cap=100_000,
        ...                           yearly_receive_cap=500_000)
        >>> TransferPolicy.from_dict(marriott.to_dict()) == marriott
        True
        >>> sorted(TransferPolicy().to_dict())  # the limits are left out when unset
        ['expiry', 'fee_points', 'fee_rate', 'minimum', 'schema_version', 'yearly_cap']
    """

    expiry: str = field(default="keep", validator=one_of(("keep", "reset")))
    minimum: int = field(default=1, validator=whole(min=1))
    fee_points: int = field(default=0, validator=whole(min=0))
    fee_rate: Decimal = field(
        default=Decimal(0),
        converter=_to_decimal,
        validator=decimal(min=0, max=1),
        codec=DECIMAL,
    )
    yearly_cap: int | None = field(
        default=None, validator=whole(min=1, optional=True), codec=Optional(PLAIN)
    )
    multiple_of: int = field(default=1, validator=whole(min=1), omit_default=True)
    yearly_receive_cap: int | None = field(
        default=None,
        validator=whole(min=1, optional=True),
        codec=Optional(PLAIN),
        omit_default=True,
    )
    max_pool_members: int | None = field(
        default=None,
        validator=whole(min=2, optional=True),
        codec=Optional(PLAIN),
        omit_default=True,
    )

    def fee(self, points: int) -> int:
        """The fee, in ledger units, for transferring ``points``.

        Examples:
            >>> TransferPolicy(fee_points=5, fee_rate="0.015").fee(1_000)
            20
        """
        return self.fee_points + round_integral(Decimal(points) * self.fee_rate, "ceiling")

    def _check_amount(self, owner: str, field_name: str, points: object, who: str = "") -> int:
        """``points`` as an int amount the policy allows (minimum and multiple)."""
        of = f" for {who!r}" if who else ""
        if isinstance(points, bool) or not isinstance(points, int) or points < self.minimum:
            raise LedgerError(
                owner,
                field_name,
                expected=f"an int of at least {self.minimum} (minimum)",
                found=f"{points!r}{of}",
            )
        if points % self.multiple_of:
            raise LedgerError(
                owner,
                field_name,
                expected=f"a multiple of {self.multiple_of} points (multiple_of)",
                found=f"{points!r}{of}",
            )
        return points

    def _check_year(  # noqa: PLR0917 - internal
        self,
        owner: str,
        field_name: str,
        program: Program,
        state: MemberState | None,
        points: int,
        time: dt.datetime,
        reason: str,
    ) -> None:
        """Refuse ``points`` over the yearly cap of ``reason`` (``*_out``: sent, ``*_in``)."""
        receiving = reason.endswith("_in")
        cap = self.yearly_receive_cap if receiving else self.yearly_cap
        if cap is None:
            return
        name = "yearly_receive_cap" if receiving else "yearly_cap"
        verb = "received" if receiving else "sent"
        label = "yearly receive cap" if receiving else "yearly cap"
        if state is None:
            raise LedgerError(
                owner,
                field_name,
                expected=f"the receiver's MemberState (the policy's {name} is {cap})",
                found="None",
            )
        moved = _moved_in_year(program, state, time, reason)
        if moved + points > cap:
            raise LedgerError(
                owner,
                "points",
                expected=f"at most {cap - moved} ({label} {cap}, {moved} already {verb} "
                f"this year: TransferPolicy.{name})",
                found=repr(points),
            )


@attrs.frozen
class Transfer(ResultDict):
    """A move of points between two members: the events to store in each member's stream.

    Attributes:
        transfer_id: The id the events' ids derive from (``<id>/out``, ``<id>/out/fee``,
            ``<id>/in/<n>``: at one instant events replay in id order, so the transfer's
            debit comes before its fee, as when the parcels were drawn).
        points: Points (ledger units) the receiver gets.
        fee: Points the sender pays on top (0 for a merge).
        sender_events: The sender's debits (append to the sender's events).
        receiver_events: The receiver's credits (append to the receiver's events).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust, Program
        >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        >>> ann = Program().replay([Adjust("g1", t, points=300, reason="gift")], as_of=t)
        >>> move = transfer(ann, 120, Program(), transfer_id="t1", time=t)
        >>> [(e.event_id, e.points, e.reason) for e in move.sender_events]
        [('t1/out', -120, 'transfer_out')]
        >>> move.to_dict()["receiver_events"][0]["points"]
        120
    """

    transfer_id: str
    points: int
    fee: int
    sender_events: tuple[Adjust, ...]
    receiver_events: tuple[Adjust, ...]


def transfer(
    sender: MemberState,
    points: int,
    program: Program,
    policy: TransferPolicy | None = None,
    *,
    transfer_id: str,
    time: dt.datetime,
    receiver: MemberState | None = None,
) -> Transfer:
    """Move ``points`` from ``sender`` to another member under ``policy``.

    The sender's state is advanced to ``time`` with the debits (so expiry up to ``time``
    and earlier events count); the parcels drawn decide the receiver's credits (see the
    module rules: consumption order, ``expiry="keep"`` or ``"reset"``). Events at one
    instant replay in ``(kind rank, event_id)`` order, so a transfer whose debit would
    replay before an event the sender already has at ``time`` is refused.

    Args:
        sender: The sender's state (from :meth:`Program.replay` or :meth:`Program.apply`).
        points: Points (ledger units) the receiver gets; the fee comes on top.
        program: The program both members belong to.
        policy: The program's :class:`TransferPolicy` (default: keep expiry, no fee, no cap).
        transfer_id: A unique id; the events' ids derive from it.
        time: When (aware datetime).
        receiver: The receiver's state, read only for the policy's ``yearly_receive_cap``
            (required then).

    Returns:
        A :class:`Transfer` with the sender's and the receiver's events.

    Raises:
        LedgerError: Below the minimum, not a multiple of ``multiple_of``, over the
            yearly cap sent or received (naming the limit), or at an instant where the
            sender already has an event that replays after the debit (see below).
        InsufficientPointsError: The sender lacks ``points`` plus the fee at ``time``.

    Examples:
        Marriott Bonvoy lets a member transfer points to another member: "You can
        transfer a maximum of 100,000 points per calendar year from your account. You can
        receive a maximum of 500,000 points per calendar year. ... Transfer in increments
        of 1,000 points" (as listed at https://awardwallet.com/blog/how-to-transfer-
        marriott-bonvoy-points-to-another-account/; Marriott's own terms not read): that
        is ``TransferPolicy(minimum=1_000, multiple_of=1_000, yearly_cap=100_000,
        yearly_receive_cap=500_000)``. Marriott charges no fee; a program with a 10% fee
        and the kept expiry of the oldest lot:

        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust, ExpiryPolicy, Program, TransferPolicy
        >>> program = Program(expiry=ExpiryPolicy.after_months(24))
        >>> t = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)
        >>> ann = program.replay([Adjust("g1", t, points=1_000, reason="gift")], as_of=t)
        >>> move = transfer(ann, 500, program, TransferPolicy(fee_rate="0.1"),
        ...                 transfer_id="t1", time=t + dt.timedelta(days=30))
        >>> move.points, move.fee
        (500, 50)
        >>> move.receiver_events[0].expires_at.isoformat()  # the gift lot's, kept
        '2027-01-11T00:00:00+00:00'
    """
    owner = f"transfer({transfer_id!r})"
    _check_order(owner, "transfer(sender, points, program, policy)", program, policy, sender=sender)
    if isinstance(points, (MemberState, Program, TransferPolicy)):
        raise LedgerError(
            owner,
            "points",
            expected="an int",
            found=type(points).__name__,
            hint=_ORDER_HINT.format(order="transfer(sender, points, program, policy)"),
        )
    policy = TransferPolicy() if policy is None else policy
    policy._check_amount(owner, "points", points)
    policy._check_year(owner, "sender", program, sender, points, time, "transfer_out")
    policy._check_year(owner, "receiver", program, receiver, points, time, "transfer_in")
    fee = policy.fee(points)
    out = Adjust(f"{transfer_id}/out", time, points=-points, reason="transfer_out")
    _check_instant(sender, out, owner)
    sender_events: tuple[Adjust, ...] = (out,)
    if fee:
        sender_events += (
            Adjust(f"{transfer_id}/out/fee", time, points=-fee, reason="transfer_fee"),
        )
    # The fee is debited on top; checking it first refuses a transfer the fee cannot follow.
    after = _applied(program, sender, out, owner)
    if fee:
        _applied(program, after, sender_events[1], owner)
    credits = _credits(
        program, after, out.event_id, transfer_id, time, "transfer_in", keep=policy.expiry == "keep"
    )
    return Transfer(transfer_id, points, fee, sender_events, credits)


def _applied(program: Program, state: MemberState, event: Adjust, owner: str) -> MemberState:
    """``program.apply(state, event)``, refusing an event the ledger would not take.

    A state replayed with ``on_error="skip"`` leaves a refused event out (in
    :attr:`MemberState.rejected`) instead of raising: a debit the sender cannot pay would
    then credit the receiver all the same, breaking conservation across members.
    """
    after = program.apply(state, event)
    for event_id, message in after.rejected:
        if event_id == event.event_id:
            raise LedgerError(
                owner,
                "points",
                expected="a debit the sender's ledger accepts",
                found=f"{event_id!r} refused: {message.rstrip('.')}",
                kind="",
            )
    return after


def merge_accounts(
    absorbed: MemberState, program: Program, *, merge_id: str, time: dt.datetime
) -> Transfer:
    """Move every usable point of ``absorbed`` to the surviving account, expiry kept.

    A duplicate account folded into the member's main one: no fee, minimum or cap. The
    absorbed member's pending points and open debt block the merge (replay until they
    settle, then merge).

    Args:
        absorbed: The state of the account that is closed.
        program: The program both accounts belong to.
        merge_id: A unique id; the events' ids derive from it.
        time: When (aware datetime).

    Returns:
        A :class:`Transfer` (``fee`` 0): ``sender_events`` close the absorbed account,
        ``receiver_events`` credit the survivor. With nothing to move both are empty.

    Raises:
        LedgerError: The absorbed account has pending points or debt at ``time``, or an
            event at ``time`` that replays after the closing debit.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust, ExpiryPolicy, Program
        >>> program = Program(expiry=ExpiryPolicy.after_days(365))
        >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        >>> old = program.replay([Adjust("a", t, points=70, reason="gift"),
        ...                       Adjust("b", t + dt.timedelta(days=9), points=30,
        ...                              reason="gift")], as_of=t + dt.timedelta(days=9))
        >>> m = merge_accounts(old, program, merge_id="m1", time=t + dt.timedelta(days=10))
        >>> [(e.points, str(e.expires_at.date())) for e in m.receiver_events]
        [(70, '2026-01-02'), (30, '2026-01-11')]
    """
    owner = f"merge_accounts({merge_id!r})"
    _check_order(owner, "merge_accounts(absorbed, program)", program, None, absorbed=absorbed)
    at = _advance(program, absorbed, time)
    if at.pending or at.debt:
        raise LedgerError(
            owner,
            "absorbed",
            expected="no pending points and no debt",
            found=f"{at.pending} pending and {at.debt} owed at {time.isoformat()}",
        )
    if not at.available:
        return Transfer(merge_id, 0, 0, (), ())
    out = Adjust(f"{merge_id}/out", time, points=-at.available, reason="merge_out")
    _check_instant(at, out, owner)
    after = _applied(program, at, out, owner)
    receiver = _credits(program, after, out.event_id, merge_id, time, "merge_in", keep=True)
    return Transfer(merge_id, at.available, 0, (out,), receiver)


@attrs.frozen
class Pool(ResultDict):
    """Points of several members pooled in one member's account for a redemption.

    Attributes:
        pool_id: The id the events' ids derive from (``<id>/<member>/out``,
            ``<id>/<member>/in/<n>``).
        redeemer: The member whose account receives the pooled points.
        points: Points moved into the redeemer's account (the redeemer's own share does
            not move).
        events: Member -> the events to append to that member's stream (contributors'
            ``pool_out`` debits; the redeemer's ``pool_in`` credits).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust, Program
        >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        >>> kid = Program().replay([Adjust("g", t, points=40, reason="gift")], as_of=t)
        >>> pooled = pool_points({"kid": (kid, 40)}, "mum", Program(), pool_id="h1", time=t)
        >>> sorted(pooled.events), pooled.points
        (['kid', 'mum'], 40)
    """

    pool_id: str
    redeemer: str
    points: int
    events: Mapping[str, tuple[Adjust, ...]]


def pool_points(
    contributions: Mapping[str, tuple[MemberState, int]],
    redeemer: str,
    program: Program,
    policy: TransferPolicy | None = None,
    *,
    pool_id: str,
    time: dt.datetime,
    receiver: MemberState | None = None,
) -> Pool:
    """Pool members' points into ``redeemer``'s account, each parcel keeping its expiry.

    Household pooling: each contributor gives a share; the shares arrive in the redeemer's
    account like a transfer (expiry kept unless the policy says ``"reset"``), and the app
    then records the redemption (a :class:`~crmkit.loyalty.Redeem`) there. A contribution
    of the redeemer's own points moves nothing. Without a policy there is no limit; a
    :class:`TransferPolicy` limits the members in the pool (``max_pool_members``, the
    redeemer included), each share (``minimum``, ``multiple_of``), the points each
    contributor gives per calendar year (``yearly_cap``, counting ``pool_out``) and the
    points the redeemer receives (``yearly_receive_cap``, counting ``pool_in``: this
    pool's shares together). Pools take no fee.

    Args:
        contributions: Member id -> (the member's state, points given).
        redeemer: The member id that receives the points.
        program: The program every member belongs to.
        policy: The program's limits (default: none).
        pool_id: A unique id; the events' ids derive from it.
        time: When (aware datetime).
        receiver: The redeemer's state, read only for the policy's ``yearly_receive_cap``
            (default: the redeemer's own entry in ``contributions``, if any).

    Returns:
        A :class:`Pool` with every member's events.

    Raises:
        LedgerError: A share that is not a positive int, a limit of the policy broken
            (named), or a debit at an instant where the contributor has an event that
            replays after it.
        ConfigError: A policy with a fee.
        InsufficientPointsError: A contributor lacks the share at ``time``.

    Examples:
        Hilton Honors "Points Pooling", in Hilton's FAQ as quoted in the FlyerTalk wikipost
        (https://www.flyertalk.com/forum/hilton-hilton-honors/1882126-hilton-points-pooling-
        account-closed-beware-printerfriendly.html?printwiki=1): "A total of 11 Hilton
        Honors Members can pool their Points together. One Member initiates the pooling and
        up to 10 other Members can contribute." and "A Member can transfer a minimum of
        1,000 Points and a maximum of 500,000 Points into a pool in a calendar year." Two
        contributors give 30,000 and 20,000, the redeemer adds 10,000 of her own and
        redeems 60,000.

        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust, Program, Redeem
        >>> program = Program()
        >>> t = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
        >>> ev = {m: [Adjust(f"{m}-g", t, points=p, reason="gift")]
        ...       for m, p in {"ann": 30_000, "bob": 25_000, "cyd": 10_000}.items()}
        >>> st = {m: program.replay(e, as_of=t) for m, e in ev.items()}
        >>> later = t + dt.timedelta(hours=1)
        >>> pooled = pool_points({"ann": (st["ann"], 30_000), "bob": (st["bob"], 20_000),
        ...                       "cyd": (st["cyd"], 10_000)}, "cyd", program,
        ...                      pool_id="h1", time=later)
        >>> pooled.points
        50000
        >>> cyd = program.replay([*ev["cyd"], *pooled.events["cyd"],
        ...                       Redeem("x1", later, points=60_000)], as_of=later)
        >>> cyd.available, [program.replay([*ev[m], *pooled.events[m]], as_of=later).available
        ...                 for m in ("ann", "bob")]
        (0, [0, 5000])
    """
    owner = f"pool_points({pool_id!r})"
    order = "pool_points(contributions, redeemer, program, policy)"
    _check_order(owner, order, program, policy)
    if not isinstance(contributions, Mapping):
        raise LedgerError(
            owner,
            "contributions",
            expected="a mapping of member id -> (state, points)",
            found=type(contributions).__name__,
            hint=_ORDER_HINT.format(order=order),
        )
    if policy is not None:
        _check_pool(owner, policy, contributions, redeemer)
    events: dict[str, tuple[Adjust, ...]] = {}
    credits: tuple[Adjust, ...] = ()
    moved = 0
    for member, (state, points) in contributions.items():
        if isinstance(points, bool) or not isinstance(points, int) or points < 1:
            raise LedgerError(
                owner,
                "contributions",
                expected="a positive int share per member",
                found=f"{points!r} for {member!r}",
            )
        if member == redeemer:
            continue
        if policy is not None:
            policy._check_amount(owner, "contributions", points, member)
            policy._check_year(owner, "contributions", program, state, points, time, "pool_out")
        out = Adjust(f"{pool_id}/{member}/out", time, points=-points, reason="pool_out")
        _check_instant(state, out, owner)
        after = _applied(program, state, out, owner)
        events[member] = (out,)
        keep = policy is None or policy.expiry == "keep"
        credits += _credits(
            program, after, out.event_id, f"{pool_id}/{member}", time, "pool_in", keep=keep
        )
        moved += points
    if policy is not None and moved:
        if receiver is None and redeemer in contributions:
            receiver = contributions[redeemer][0]
        policy._check_year(owner, "receiver", program, receiver, moved, time, "pool_in")
    if credits:
        events[redeemer] = credits
    return Pool(pool_id, redeemer, moved, events)


def _check_pool(
    owner: str,
    policy: TransferPolicy,
    contributions: Mapping[str, tuple[MemberState, int]],
    redeemer: str,
) -> None:
    """Refuse a pool the policy does not allow as a whole (fee, number of members)."""
    if policy.fee_points or policy.fee_rate:
        raise ConfigError(
            owner,
            "policy",
            expected="a TransferPolicy without a fee (pools take none)",
            found=f"fee_points={policy.fee_points}, fee_rate={policy.fee_rate}",
        )
    members = len(set(contributions) | {redeemer})
    if policy.max_pool_members is not None and members > policy.max_pool_members:
        raise LedgerError(
            owner,
            "contributions",
            expected=f"at most {policy.max_pool_members} members in a pool, the redeemer "
            "included (TransferPolicy.max_pool_members)",
            found=f"{members} members",
        )


def _advance(program: Program, state: MemberState, time: dt.datetime) -> MemberState:
    """The state at ``time`` (expiry and activation applied), without a lasting event."""
    if time <= state.as_of:
        return state
    # The same events replayed to the later cut-off (no event is added).
    return program.replay(state._snap.events(), as_of=time)


#: How to fix arguments out of their place (an earlier order put the program first).
_ORDER_HINT = "Pass the data first, then the rules: {order}."


def _check_order(
    owner: str,
    order: str,
    program: object,
    policy: object,
    **states: object,
) -> None:
    """Refuse a program, policy or state out of its place, naming the argument.

    A call in the earlier order (the program first) would otherwise fail deep inside with
    an AttributeError, or print a whole member state (birth date included) as "points".
    """
    hint = _ORDER_HINT.format(order=order)
    for name, state in states.items():
        if not isinstance(state, MemberState):
            raise LedgerError(
                owner,
                name,
                expected="a MemberState (from Program.replay or Program.apply)",
                found=type(state).__name__,
                hint=hint,
            )
    if not isinstance(program, Program):
        raise ConfigError(
            owner, "program", expected="a Program", found=type(program).__name__, hint=hint
        )
    if policy is not None and not isinstance(policy, TransferPolicy):
        raise ConfigError(
            owner,
            "policy",
            expected="None or a TransferPolicy",
            found=type(policy).__name__,
            hint=hint,
        )


def _check_instant(state: MemberState, debit: Adjust, owner: str) -> None:
    """Refuse a debit that would replay before an event already at the same instant.

    Events at one instant replay in ``(kind rank, event_id)`` order; a debit whose id sorts
    before such an event would draw lots before it on every later replay (and a credit
    received at that instant would not be there yet), so the parcels computed now would
    not be the ones drawn.
    """
    mine = (debit.rank, debit.event_id)
    for event in state._snap.events():
        if event.time == debit.time and (event.rank, event.event_id) > mine:
            raise LedgerError(
                owner,
                "time",
                expected="an instant without events that replay after the debit "
                f"{debit.event_id!r} (same time, later kind or id)",
                found=f"{event.kind} {event.event_id!r} at {debit.time.isoformat()}",
                hint="Use a later time, or ids that sort after the member's events.",
            )


def _moved_in_year(program: Program, state: MemberState, time: dt.datetime, reason: str) -> int:
    """Points ``state`` moved with ``reason`` in the calendar year of ``time`` (local)."""
    year = time.astimezone(program.zone).year
    return sum(
        abs(posting.points)
        for posting in state.postings
        if posting.kind == "adjust"
        and posting.rule == reason
        and posting.time.astimezone(program.zone).year == year
        and posting.time <= time
    )


def _credits(  # noqa: PLR0917 - internal, called in two places
    program: Program,
    after: MemberState,
    debit_id: str,
    move_id: str,
    time: dt.datetime,
    reason: str,
    *,
    keep: bool,
) -> tuple[Adjust, ...]:
    """The receiver's credits for the debit ``debit_id`` in ``after`` (its parcels)."""
    posting = next(p for p in reversed(after.postings) if p.event_id == debit_id)
    total = -posting.points
    policy = program.expiry_policy
    lot_dated = policy.kind in _FIXED_EXPIRY_KINDS or (
        policy.by_tier and policy.kind != "inactivity"
    )
    if not keep or not lot_dated or _protected(policy, after, time):
        return (Adjust(f"{move_id}/in/0", time, points=total, reason=reason),)
    expiry_of = {lot.lot_id: lot.expires_at for lot in after.lots}
    parcels: dict[dt.datetime | None, int] = {}
    for lot_id, taken in posting.allocations:
        expires = expiry_of[lot_id]
        parcels[expires] = parcels.get(expires, 0) + taken
    return tuple(
        Adjust(f"{move_id}/in/{n}", time, points=taken, reason=reason, expires_at=expires)
        for n, (expires, taken) in enumerate(parcels.items())
    )


def _protected(policy: ExpiryPolicy, after: MemberState, time: dt.datetime) -> bool:
    """Whether the sender holds a tier that keeps every point at ``time`` (rule 5, "held").

    Its lots' dates are then only when the status is looked at again, not expiries: the
    points arrive with no fixed expiry, under the receiver's policy. (A member who has
    left such a tier has real dates again: the later of each lot's own date and the date
    the points run on to, as :attr:`MemberState.lots` shows them; those are kept.)
    """
    if policy.tier_basis != "held":
        return False
    status = after.tier
    return status is not None and policy.protects(status.tier_at(time))
