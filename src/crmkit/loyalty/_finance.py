"""The finance view of a program: the points liability and breakage.

Points a member holds are a liability of the program owner: under IFRS 15 (paragraphs
B39-B43, "customer options for additional goods or services") the revenue allocated to
points is deferred until they are redeemed or expire, and the expected *breakage* (the
share of points that will never be redeemed) is recognised in proportion to the pattern
of redemptions (B46, "customers' unexercised rights"). Two figures feed that accounting:

* :func:`points_liability`: the points outstanding at ``as_of`` (usable and pending), by
  point currency, tier and month of expiry, each currency valued at its own
  ``point_value`` (one value for all, or a mapping of currency -> value).
* :func:`breakage`: per earning-month cohort, the points issued (net of refunds), redeemed,
  expired and still open, the breakage observed so far, an *ultimate* breakage estimate and
  the points expected to be redeemed in total (the denominator of IFRS 15's revenue
  recognition, Illustrative Example 52), with the method that produced the rate named in
  the result.

The revenue of IFRS 15 IE52 (IE267-IE270) then follows from the cohort rows: the revenue
recognised so far on a cohort's points is ``allocated * redeemed / expected_redeemed``, and
the contract liability is ``allocated`` minus that. ``points_liability``'s ``value`` is the
face value of the outstanding points (points times their currency's ``point_value``), not
that contract liability. ``breakage`` counts points only (one currency at a time), never
money.

Both read the ledger of :meth:`Program.replay <crmkit.loyalty.Program.replay>`: every lot
keeps ``amount == remaining + spent + expired + reversed + forfeited``, so the cohort
figures add up to the points credited, exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from crmkit._jsonable import json_ready
from crmkit._spec import check_choice
from crmkit._validate import first_labels
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty._events import Event
from crmkit.loyalty._program import MemberState, PointsArithmeticError, Program

if TYPE_CHECKING:
    from crmkit.loyalty._lots import Lot, Posting

__all__ = ["BreakageResult", "breakage", "points_liability"]

#: The name of the ultimate-breakage method, as written in every result.
RESOLVED_RATIO = "resolved-ratio"
#: The method written when the caller gives the rate (management's estimate).
GIVEN = "given"
_NEVER = "never"
#: Reasons of the debits that move points to another member (:mod:`crmkit.loyalty._transfers`):
#: the points are still owed, by the receiver, so they are not redeemed at the sender.
_MOVED_OUT = frozenset({"transfer_out", "merge_out", "pool_out"})
#: Reasons of the credits that receive them: the points keep the cohort they were earned in.
_MOVED_IN = frozenset({"transfer_in", "merge_in", "pool_in"})


def _states(states: object, owner: str) -> list[MemberState]:
    if isinstance(states, MemberState):
        return [states]
    if isinstance(states, Mapping):
        items = list(states.values())
    elif isinstance(states, Iterable) and not isinstance(states, str | bytes):
        items = list(states)
    else:
        raise InvalidInputError(
            owner,
            "states",
            expected="MemberState objects (a list, or a mapping of member -> state)",
            found="None" if states is None else type(states).__name__,
            kind="",
        )
    for item in items:
        if not isinstance(item, MemberState):
            raise InvalidInputError(
                owner,
                "states",
                expected="MemberState objects",
                found=type(item).__name__,
                kind="",
            )
    return items


def _at(state: MemberState, as_of: dt.datetime, owner: str) -> MemberState:
    """``state`` moved forward to ``as_of`` (no events in between), or refused if later."""
    program = state._snap.owner
    end = program._as_of(as_of, owner)
    if state.as_of > end:
        raise InvalidInputError(
            owner,
            "as_of",
            expected=f"not before the states' instants (one is at {state.as_of.isoformat()})",
            found=end.isoformat(),
            kind="",
            hint="Replay the members at as_of (Program.replay(events, as_of=...)).",
        )
    if state.as_of == end:
        return state
    on_error = "skip" if state._snap.root().skip_errors else "raise"
    return program.replay(state.events, as_of=end, on_error=on_error)


def points_liability(
    states: Mapping[Any, MemberState] | Iterable[MemberState],
    program: Program | None = None,
    *,
    as_of: dt.datetime | dt.date | str,
) -> pd.DataFrame:
    """The points outstanding at ``as_of``, by currency, tier and expiry month, valued.

    Outstanding points are those a member could still redeem: usable and pending lots,
    at what they hold at ``as_of``. A state earlier than ``as_of`` is moved forward to it
    (its lots expire on the way; no events are assumed in between); a later one is an
    error. Open debt (``shortfall="debt"``) is not netted: it is a separate receivable.

    Points moved to another member (a transfer, pool or merge) are owed to the member who
    holds them: they are in the receiver's row, at the receiver's tier and the expiry of
    the receiver's lot (the sender's date when the transfer kept it, the program's date
    at the move under ``expiry="reset"``), which is when the obligation ends. The table
    has no earning month: :func:`breakage` keeps moved points in the cohort they were
    earned in, and over every source, of the same members, its ``open`` points add up to
    this table's ``points``.

    ``value`` is the face value of the points (points times their currency's
    ``point_value``: :attr:`Program.point_value <crmkit.loyalty.Program.point_value>` is one
    value for every currency, or a mapping giving each its own), not IFRS 15's contract
    liability, which is the price allocated to the points less the revenue
    recognised on the redemptions so far (see :func:`breakage`'s ``expected_redeemed``).

    Args:
        states: Member states of one program (from :meth:`Program.replay`), a list or a
            mapping of member id -> state.
        program: The program the states were replayed under. Optional with states (it is
            read from them); needed for an empty member base, which then gives an empty
            table with the program's currencies and tiers as categories.
        as_of: The balance-sheet instant (naive: read in the program's zone; a date or
            ``"2025-06-30"`` means the end of that day).

    Returns:
        A DataFrame with one row per point currency, tier and expiry month, in business
        order: ``currency`` (an ordered Categorical of :attr:`Program.point_currencies
        <crmkit.loyalty.Program.point_currencies>`, the primary first), ``tier`` (the
        primary ladder's tier at ``as_of``, an ordered Categorical of the ladder's names,
        lowest first; a program without tiers has no ladder to order by and writes ``""``
        as plain text) and ``expires`` (the month ``"2026-03"`` in time order, ``"never"``
        last; the lots' ``expires_at`` as :attr:`MemberState.lots` shows it: points a tier
        protects under ``tier_basis="held"`` fall in the month the status ends); then
        ``points`` (int64 ledger units), ``pending`` (the part not usable yet),
        ``members`` (members holding some) and ``value`` (Decimal money: whole points
        times the ``point_value`` of the row's point currency, to the money currency's
        minor unit).

    Raises:
        ConfigError: An ``as_of`` that cannot be read (None, NaT, a number,
            ``"2025-02-31"``) or outside the years 1000-9000 a replay supports; a
            ``program`` that is not a Program.
        InvalidInputError: States that are not MemberStates, states of several programs
            (or of another program than ``program``), no states and no ``program``, or a
            state later than ``as_of``.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import EarningScheme, ExpiryPolicy, Program, Purchase, PurchaseLine
        >>> program = Program(timezone="UTC", expiry=ExpiryPolicy.after_months(12))
        >>> t = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
        >>> a = program.replay([Purchase("p1", t, lines=[PurchaseLine("1", "300")])], as_of=t)
        >>> b = program.replay([Purchase("p2", t, lines=[PurchaseLine("1", "120")])], as_of=t)
        >>> points_liability({"m1": a, "m2": b}, as_of=dt.datetime(2025, 6, 30, tzinfo=dt.UTC))
          currency tier   expires  points  pending  members value
        0   points       2026-03     420        0        2  4.20

        Tiers come in ladder order (lowest first), not alphabetically:

        >>> from crmkit.loyalty import Tier, TierLadder
        >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="silver", spend="200"),
        ...                            Tier(name="gold", spend="1000")])
        >>> club = Program(timezone="UTC", tiers=ladder)
        >>> buys = [club.replay([Purchase(f"q{i}", t, lines=[PurchaseLine("1", amount)])], as_of=t)
        ...         for i, amount in enumerate(["1500", "50", "300"])]
        >>> table = points_liability(buys, as_of=t)
        >>> table[["tier", "points"]]
             tier  points
        0  member      50
        1  silver     300
        2    gold    1500
        >>> list(table["tier"].cat.categories)
        ['member', 'silver', 'gold']

        Points at ¥0.01 beside stars at ¥0.50: a ¥100 order earns 100 points (¥1.00) and
        2 stars (¥1.00):

        >>> two = Program(earning={"points": EarningScheme.base_rate(1),
        ...                        "stars": EarningScheme.base_rate("0.02")},
        ...               point_value={"points": "0.01", "stars": "0.50"})
        >>> s = two.replay([Purchase("p3", t, lines=[PurchaseLine("1", "100")])], as_of=t)
        >>> points_liability([s], as_of=t)[["currency", "points", "value"]]
          currency  points value
        0   points     100  1.00
        1    stars       2  1.00

        No members owe no points, but the table needs the program:

        >>> points_liability([], two, as_of=t).empty
        True
    """
    owner = "points_liability()"
    items = _states(states, owner)
    program = _one_program(items, program, owner)
    zone = program.zone
    end = program._as_of(as_of, owner)
    rows: dict[tuple[str, str, str], list[Any]] = {}
    for state in items:
        now = _at(state, end, owner)
        tier = now.tier_name or ""
        for currency, part in now.by_currency.items():
            held: set[tuple[str, str, str]] = set()
            for lot in part.lots:
                if not lot.remaining:
                    continue
                expires = lot.expires_at
                if expires is not None and expires <= end:
                    continue
                # A lot valid through day D expires at midnight starting D + 1: it is a
                # liability of D's month.
                month = (
                    _NEVER
                    if expires is None
                    else (expires.astimezone(zone) - dt.timedelta(microseconds=1)).strftime("%Y-%m")
                )
                key = (currency, tier, month)
                row = rows.setdefault(key, [0, 0, 0])
                row[0] += lot.remaining
                if not lot.active(end):
                    row[1] += lot.remaining
                held.add(key)
            for key in held:
                rows[key][2] += 1
    # Each point currency counts its ledger units in its own scheme's decimals (stars in
    # hundredths beside whole points), and a whole point of it is worth its own value.
    compiled = program.compile()
    worth = {
        name: Decimal(1).scaleb(-scheme.point_decimals) * compiled.point_values[name]
        for name, scheme in compiled.schemes.items()
    }
    quantum = program.money_quantum
    # Business order (DESIGN: labels sort in business order): the program's currencies,
    # primary first; the ladder's tiers, lowest first; months in time order, "never" last
    # ("YYYY-MM" of the years 1000-9000 sorts as text in time order).
    currencies = program.point_currencies
    ladder = program.ladder
    tiers = ladder.names if ladder is not None else ("",)
    keys = sorted(
        rows,
        key=lambda k: (currencies.index(k[0]), tiers.index(k[1]), k[2] == _NEVER, k[2]),
    )
    tier_column: pd.Categorical | list[str] = [k[1] for k in keys]
    if ladder is not None:
        tier_column = pd.Categorical(tier_column, categories=list(tiers), ordered=True)
    frame = pd.DataFrame(
        {
            "currency": pd.Categorical(
                [k[0] for k in keys], categories=list(currencies), ordered=True
            ),
            "tier": tier_column,
            "expires": pd.Series([k[2] for k in keys], dtype=str),
            "points": np.array([rows[k][0] for k in keys], dtype=np.int64),
            "pending": np.array([rows[k][1] for k in keys], dtype=np.int64),
            "members": np.array([rows[k][2] for k in keys], dtype=np.int64),
            "value": pd.Series(
                [(rows[k][0] * worth[k[0]]).quantize(quantum) for k in keys],
                dtype=object,
            ),
        }
    )
    return frame


def _too_large(
    err: PointsArithmeticError, events: object, who: Hashable, owner: str
) -> InvalidInputError:
    """``err`` re-owned by ``owner``, naming the member's table rows (or the member)."""
    if isinstance(events, pd.DataFrame):
        mask = (events["member_id"] == who).to_numpy(dtype=bool)  # breakage's member column
        return InvalidInputError(
            owner,
            "amount",
            expected="amounts whose points the exact points arithmetic holds",
            found=err.found,
            rows=first_labels(events.index, mask),
            total=int(mask.sum()),
            hint=err.hint,
        )
    return InvalidInputError(
        owner, "events", expected=err.expected, found=f"{err.found} (member {who!r})", kind=""
    )


def _one_program(items: list[MemberState], given: object, owner: str) -> Program:
    """The one program of ``items`` (and ``given``, when not None), or refused."""
    if given is not None and not isinstance(given, Program):
        raise ConfigError(
            owner, "program", expected="a Program or None", found=type(given).__name__
        )
    if not items:
        if given is not None:
            return given
        raise InvalidInputError(
            owner,
            "states",
            expected="at least one state",
            found="none",
            kind="",
            hint="For an empty table of an empty member base, pass the program: "
            "points_liability([], program, as_of=...).",
        )
    program = items[0]._snap.owner if given is None else given
    for state in items:
        other = state._snap.owner
        if other is not program and other != program:
            raise InvalidInputError(
                owner,
                "states",
                expected="states of one program",
                found="states replayed under different programs",
                kind="",
            )
    return program


@attrs.frozen
class BreakageResult:
    """Breakage by earning cohort, with the ultimate estimate and the method that made it.

    Attributes:
        cohorts: One row per earning month (``"2025-03"``): ``issued`` (points credited
            net of refunds, of points moved to another member and of points drawn to
            repay debt), ``redeemed`` (spent on rewards, tenders, debits and transfer
            fees, including points whose earning was later refunded and written off),
            ``expired``, ``open`` (still held: usable or pending), all int64 ledger units
            with ``issued == redeemed + expired + open``; ``observed`` (``expired /
            issued``: breakage so far), ``ultimate`` (the estimate: ``issued * rate``
            points expire in all, held within what is already certain, ``expired <= . <=
            expired + open``, divided by ``issued``) and ``expected_redeemed``
            (``issued * (1 - ultimate)``: the points expected to be redeemed in total,
            IFRS 15 IE52's denominator), float64 (NaN when nothing was issued or no rate
            is known).
        rate: The share of issued points expected to expire unredeemed.
        ultimate: The ultimate breakage of all cohorts together.
        method: How ``rate`` was found (:data:`RESOLVED_RATIO`, or ``"given"``).
        basis: The cohorts ``rate`` was estimated from (``"mature"``: those with points
            issued and none open left; ``"all"`` when no cohort is mature yet;
            ``"given"``).
        as_of: The instant of the figures.
        currency: The point currency counted (a program with several: each has its
            own units and expiry, so each has its own breakage).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Program
        >>> r = breakage({}, Program(), as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        >>> r.method, len(r.cohorts), r.currency
        ('resolved-ratio', 0, 'points')
    """

    cohorts: pd.DataFrame = attrs.field(eq=False)
    rate: float
    ultimate: float
    method: str
    basis: str
    as_of: dt.datetime
    currency: str = "points"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: the estimate, the method and the cohort rows.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Program
            >>> breakage({}, Program(), as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).to_dict()["method"]
            'resolved-ratio'
        """
        plain: dict[str, Any] = json_ready(
            {
                "as_of": self.as_of,
                "currency": self.currency,
                "method": self.method,
                "basis": self.basis,
                "rate": self.rate,
                "ultimate": self.ultimate,
                # One record per cohort (not the table form json_ready gives a frame).
                "cohorts": self.cohorts.reset_index().to_dict(orient="records"),
            }
        )
        return plain


def breakage(
    events: pd.DataFrame | Mapping[Any, Iterable[Event]],
    program: Program,
    *,
    as_of: dt.datetime | dt.date | str,
    sources: Iterable[str] = ("purchase",),
    rate: float | None = None,
    on_error: str = "raise",
    date_format: str | None = None,
    date_unit: str | None = None,
    currency: str | None = None,
) -> BreakageResult:
    """The share of issued points that expire unredeemed, by earning-month cohort.

    Every member is replayed at ``as_of``; each lot (a parcel of points credited by one
    event) is put in the cohort of its local earning month and split into what was
    redeemed, what expired, and what is still open. Refunded points never counted as
    issued, nor do the points a ``debt`` shortfall policy draws to repay debt (the points
    of a refunded earning taken back from a later one).

    Points moved to another member (:func:`~crmkit.loyalty.transfer`,
    :func:`~crmkit.loyalty.pool_points`, :func:`~crmkit.loyalty.merge_accounts`) are not
    new points: a move issues none, so they stay in the cohort they were first earned
    in, under that lot's source, and what the receiver does with them (redeems, lets
    expire, still holds, moves on) is that cohort's. The receiver's credit
    (``<id>/in/<n>``) is linked to the sender's debit (``<id>/out``) by the ids those
    functions write, so both members must be in ``events``: with one side missing, the
    sender's points leave its cohort unused and the receiver's credit is an ``"adjust"``
    lot of the move's month. A credit that holds points of several cohorts (one parcel
    per expiry) gives its redemptions and moves on to the oldest first. A transfer fee is
    redeemed, in the cohort it was drawn from.

    The *ultimate* breakage needs a rate: the share of **issued** points that end up
    expired. The ``"resolved-ratio"`` method reads it from the mature cohorts (those with
    points issued and nothing open left: ``rate = expired / (expired + redeemed)`` over
    them; a cohort refunded in full is not mature), or, while no cohort is mature, from
    every resolved point so far (points that never expire and are never redeemed keep
    cohorts immature: read ``basis``); or pass management's own estimate as ``rate``
    (IFRS 15 IE52: "expects 97% of the points to be redeemed" is ``rate=0.03``). Each
    cohort is then expected to end with ``issued * rate`` points expired, as IFRS 15 IE52
    reads its estimate ("9,700 points expected to be redeemed" of 10,000 issued, 4,500 of
    them already redeemed), held within what is already certain: at least the points
    already expired, at most those plus the open ones. The points already redeemed are
    part of the ``1 - rate`` share, so the open points are not charged the rate afresh.

    Args:
        events: The events table of :func:`~crmkit.loyalty.replay_many`, or a mapping of
            member id -> that member's events.
        program: The program.
        as_of: The instant of the figures (naive: read in the program's zone; a date
            means the end of that day).
        sources: Which lots count as issued points: ``"purchase"`` (default: points sold
            with goods, the IFRS 15 case), ``"enroll"``, ``"adjust"``, ``"yearly"``
            (birthday and anniversary bonuses, :class:`~crmkit.loyalty.YearlyBonus`)
            and/or ``"milestone"`` (:class:`~crmkit.loyalty.Milestone` bonuses).
        rate: The share of issued points expected to expire unredeemed, in [0, 1], when
            you have your own estimate (``method`` and ``basis`` are then ``"given"``);
            None (default) estimates it by the resolved ratio.
        on_error: ``"raise"`` (default) or ``"skip"`` (events the ledger cannot honour).
        date_format: As for :func:`~crmkit.loyalty.replay_many` (a table's time column).
        date_unit: As for :func:`~crmkit.loyalty.replay_many`.
        currency: The point currency whose lots are counted (a program with several
            keeps each in its own units and expiry, so they are never added together);
            None (default): the primary one.

    Returns:
        A :class:`BreakageResult`.

    Raises:
        ConfigError: Unknown ``sources``, ``on_error`` or ``currency``, a ``rate``
            outside [0, 1], or an ``as_of`` that cannot be read (None, NaT, a number,
            ``"2025-02-31"``) or outside the years 1000-9000 a replay supports.
        InvalidInputError: Bad events (with row labels for a table).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import ExpiryPolicy, Program, Purchase, PurchaseLine, Redeem
        >>> program = Program(timezone="UTC", expiry=ExpiryPolicy.after_months(6))
        >>> t = dt.datetime(2025, 1, 15, tzinfo=dt.UTC)
        >>> events = {
        ...     "m1": [Purchase("a", t, lines=[PurchaseLine("1", "100")]),
        ...            Redeem("r", t + dt.timedelta(days=30), points=60)],
        ...     "m2": [Purchase("b", t, lines=[PurchaseLine("1", "100")])],
        ...     "m3": [Purchase("c", t + dt.timedelta(days=200), lines=[PurchaseLine("1", "50")])],
        ... }
        >>> r = breakage(events, program, as_of=dt.datetime(2025, 9, 1, tzinfo=dt.UTC))
        >>> r.cohorts[["issued", "redeemed", "expired", "open", "expected_redeemed"]]
                 issued  redeemed  expired  open  expected_redeemed
        cohort
        2025-01     200        60      140     0               60.0
        2025-08      50         0        0    50               15.0
        >>> round(r.rate, 4), round(r.ultimate, 4), r.method, r.basis
        (0.7, 0.7, 'resolved-ratio', 'mature')

        A cohort part-redeemed already: of 100 points, 20 redeemed, 80 open; with a rate of
        0.3, 100 x 0.3 = 30 points are expected to expire (30 is between 0 expired and
        0 + 80), so 70 are expected to be redeemed in all:

        >>> young = {"m": [Purchase("y", t, lines=[PurchaseLine("1", "100")]),
        ...                Redeem("z", t + dt.timedelta(days=1), points=20)]}
        >>> r = breakage(young, program, as_of=t + dt.timedelta(days=2), rate=0.3)
        >>> r.cohorts.loc["2025-01", ["ultimate", "expected_redeemed"]].tolist(), r.method
        ([0.3, 70.0], 'given')

        Points transferred stay in the month they were earned: 100 points bought in
        January, 70 of them transferred in March to a member who redeems 30, the rest
        expiring in July:

        >>> from crmkit.loyalty import transfer
        >>> buyer = [Purchase("a", t, lines=[PurchaseLine("1", "100")])]
        >>> march = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
        >>> move = transfer(program.replay(buyer, as_of=march), 70, program,
        ...                 transfer_id="t1", time=march)
        >>> moved = {"a": [*buyer, *move.sender_events],
        ...          "b": [*move.receiver_events, Redeem("r", march, points=30)]}
        >>> breakage(moved, program, as_of=dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
        ...          sources=("purchase", "adjust")).cohorts[["issued", "redeemed", "expired"]]
                 issued  redeemed  expired
        cohort
        2025-01     100        30       70
    """
    owner = "breakage()"
    chosen = tuple(sources) if not isinstance(sources, str) else (sources,)
    for source in chosen:
        check_choice(
            source, ("purchase", "enroll", "adjust", "yearly", "milestone"), owner, "sources"
        )
    check_choice(on_error, ("raise", "skip"), owner, "on_error")
    given = _given_rate(rate, owner)
    if not isinstance(program, Program):
        raise ConfigError(owner, "program", expected="a Program", found=type(program).__name__)
    currencies = program.point_currencies
    check_choice(currency, currencies, owner, "currency", optional=True)
    counted = currencies[0] if currency is None else currency
    end = program._as_of(as_of, owner)
    if isinstance(events, pd.DataFrame):
        from crmkit.loyalty._replay_many import iter_member_events

        streams: Iterable[tuple[Hashable, Iterable[Event]]] = iter_member_events(
            events, program, date_format=date_format, date_unit=date_unit
        )
    elif isinstance(events, Mapping):
        streams = events.items()
    else:
        raise InvalidInputError(
            owner,
            "events",
            expected="an events table (DataFrame) or a mapping of member -> events",
            found="None" if events is None else type(events).__name__,
            kind="",
        )
    zone = program.zone
    # Only a debt policy repays, only a transfer, merge or pool moves points out: the other
    # members' postings are never read.
    debt = program.shortfall == "debt"
    cohorts: dict[str, list[int]] = {}
    moves = _Moves(chosen)
    for who, member_events in streams:
        try:
            state = program.replay(member_events, as_of=end, on_error=on_error)
        except PointsArithmeticError as err:  # walkfix: was decimal.Inexact (1e308 + a line)
            raise _too_large(err, events, who, owner) from None
        # One currency only: whole miles and hundredths of a star are not one unit.
        part = state.by_currency[counted]
        lots = part.lots
        drawn: dict[str, list[tuple[str | None, int]]] = {}
        outs: list[tuple[str, tuple[tuple[str, int], ...]]] = []
        if (part.spent or part.forfeited) and (
            debt or any(getattr(e, "reason", None) in _MOVED_OUT for e in state.events)
        ):
            drawn, outs = _left_member(part.postings)
        received = _received(lots, zone)
        taken: dict[tuple[str, str], int] = {}
        for lot in lots:
            moved, gone, redeemed = _drawn_from(lot, drawn)
            held = received.get(lot.lot_id)
            if held is not None:
                held.add(lot, moved, gone, redeemed)
                continue
            for key, points in moved:
                taken[lot.lot_id, key] = points
            if lot.source not in chosen:
                continue
            month = lot.earned_at.astimezone(zone).strftime("%Y-%m")
            row = cohorts.setdefault(month, [0, 0, 0, 0])
            # Points the lot gave up to repay debt are not redeemed: they leave the cohort
            # as refunded points do. Points it moved to another member are followed there
            # (_Moves); those nobody received leave it too.
            row[0] += redeemed + lot.expired + lot.remaining
            row[1] += redeemed
            row[2] += lot.expired
            row[3] += lot.remaining
        if outs or received:
            moves.read(lots, zone, outs, received, taken)
    moves.settle(cohorts)
    months = sorted(cohorts)
    table = pd.DataFrame(
        [cohorts[m] for m in months],
        columns=["issued", "redeemed", "expired", "open"],
        index=pd.Index(months, name="cohort"),
        dtype=np.int64,
    )
    if given is None:
        # A cohort whose points were all refunded (or moved on) has nothing open, but it
        # has resolved nothing either: it is no evidence of maturity.
        mature = table[(table["open"] == 0) & (table["issued"] > 0)]
        basis = "mature" if len(mature) else "all"
        pool = mature if len(mature) else table
        resolved = int(pool["expired"].sum() + pool["redeemed"].sum())
        estimate = float(pool["expired"].sum()) / resolved if resolved else float("nan")
        method = RESOLVED_RATIO
    else:
        estimate, basis, method = given, GIVEN, GIVEN
    issued = table["issued"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["observed"] = np.where(issued > 0, table["expired"] / issued, np.nan)
    table["ultimate"], table["expected_redeemed"] = _project(table, estimate)
    total = float(issued.sum())
    if total > 0 and not np.isnan(estimate):
        # (a cohort whose points were all refunded has issued 0 and NaN rows: it adds 0)
        ultimate = float(np.nansum(table["ultimate"].to_numpy() * issued) / total)
    else:
        ultimate = float("nan")
    return BreakageResult(
        cohorts=table,
        rate=estimate,
        ultimate=ultimate,
        method=method,
        basis=basis,
        as_of=end,
        currency=counted,
    )


def _left_member(
    postings: Iterable[Posting],
) -> tuple[dict[str, list[tuple[str | None, int]]], list[tuple[str, tuple[tuple[str, int], ...]]]]:
    """The debits that are not redemptions: per lot, and the moves to other members.

    A debt repayment (``repay``: the ``debt`` shortfall policy books the repaying lots'
    points as spent) takes back points of a refunded earning, and a transfer, merge or pool
    (an ``adjust`` debit with reason ``transfer_out``, ``merge_out`` or ``pool_out``) moves
    points to another member, who still holds them. Neither is the member using points on
    goods or services; a ``transfer_fee`` debit is (kept as redeemed).

    Returns lot id -> ``(move, points)`` in ledger order (``move``: the id the debit and the
    receiver's credits share, :func:`_move_out`; None for a repayment or a debit of another
    id), and the moves out: ``(move, allocations)`` in ledger order.
    """
    drawn: dict[str, list[tuple[str | None, int]]] = {}
    outs: list[tuple[str, tuple[tuple[str, int], ...]]] = []
    for posting in postings:
        if posting.kind == "repay" or (posting.kind == "adjust" and posting.rule in _MOVED_OUT):
            key = _move_out(posting.event_id) if posting.kind == "adjust" else None
            if key is not None:
                outs.append((key, posting.allocations))
            for lot_id, points in posting.allocations:
                drawn.setdefault(lot_id, []).append((key, points))
    return drawn, outs


def _drawn_from(
    lot: Lot, drawn: Mapping[str, list[tuple[str | None, int]]]
) -> tuple[list[tuple[str, int]], int, int]:
    """What ``lot``'s used points became: ``(moves, gone, redeemed)``.

    ``moves``: ``(move, points)`` moved to other members; ``gone``: points drawn to repay
    debt or moved by a debit no receiver can be linked to; ``redeemed``: the rest of its
    spent and forfeited points. Never more is taken than the lot still used (a later
    refund of the lot may have taken points back already), in ledger order.
    """
    used = lot.spent + lot.forfeited
    moved: list[tuple[str, int]] = []
    gone = 0
    for key, points in drawn.get(lot.lot_id, ()):
        take = min(points, used)
        used -= take
        if key is None:
            gone += take
        elif take:
            moved.append((key, take))
    return moved, gone, used


def _move_out(event_id: str) -> str | None:
    """The move id of a sender's debit: ``<id>/out`` (transfer, merge, pool), else None."""
    return event_id[:-4] if event_id.endswith("/out") else None


def _move_in(lot_id: str) -> tuple[str, int] | None:
    """The move id and parcel number of a receiver's credit ``<id>/in/<n>`` (or ``<id>/in``)."""
    if lot_id.endswith("/in"):
        return lot_id[:-3], 0
    head, sep, tail = lot_id.rpartition("/in/")
    if sep and tail.isascii() and tail.isdigit():
        return head, int(tail)
    return None


def _received(lots: Iterable[Lot], zone: dt.tzinfo) -> dict[str, _Held]:
    """Lot id -> the credit of points moved in from another member that it belongs to.

    A credit ``<move>/in/<n>`` with reason ``transfer_in``, ``merge_in`` or ``pool_in``
    and the lots an involuntary cancellation split off it (``<cancellation>#<lot id>``,
    same reason) are one parcel: their points came from the sender together.
    """
    found: dict[str, _Held] = {}
    parts: list[Lot] = []
    for lot in lots:
        if lot.source != "adjust" or lot.rule not in _MOVED_IN:
            continue
        move = _move_in(lot.lot_id)
        if move is None:
            parts.append(lot)
            continue
        month = lot.earned_at.astimezone(zone).strftime("%Y-%m")
        found[lot.lot_id] = _Held(move[0], move[1], (month, "adjust"))
    for lot in parts:  # split-off parts: "<cancellation id>#<lot id>", parts of parts too
        at = lot.lot_id.find("#")
        while at >= 0:
            held = found.get(lot.lot_id[at + 1 :])
            if held is not None:
                found[lot.lot_id] = held
                break
            at = lot.lot_id.find("#", at + 1)
    return found


#: A cohort's key in the moves' bookkeeping: (local earning month, lot source).
_Origin = tuple[str, str]
_Parts = list[tuple[_Origin, int]]


class _Held:
    """Points a member received from another member, followed back to where they were earned.

    One receiver credit (with the lots split off it). Its points are the sender's: once
    every member is read (:meth:`_Moves.settle`), ``parts`` holds their origins (earning
    month and source, oldest first), and what became of the credit (moved on, used to
    repay debt, redeemed, expired, still open) is shared out over them in that order.
    """

    __slots__ = (
        "amount",
        "expired",
        "fallback",
        "gone",
        "index",
        "key",
        "linked",
        "moved",
        "open",
        "parts",
        "redeemed",
        "reversed",
        "shares",
    )

    def __init__(self, key: str, index: int, fallback: _Origin) -> None:
        self.key = key
        self.index = index
        #: The credit's own month and "adjust": its origin when no sender can be linked.
        self.fallback = fallback
        self.amount = self.gone = self.redeemed = self.expired = self.open = self.reversed = 0
        self.moved: dict[str, int] = {}
        self.parts: _Parts | None = None
        self.linked = False
        self.shares: dict[str, _Parts] | None = None

    def add(self, lot: Lot, moved: list[tuple[str, int]], gone: int, redeemed: int) -> None:
        """Add a lot of the parcel and what became of its points."""
        self.amount += lot.amount
        self.reversed += lot.reversed
        self.gone += gone
        self.redeemed += redeemed
        self.expired += lot.expired
        self.open += lot.remaining
        for key, points in moved:
            self.moved[key] = self.moved.get(key, 0) + points

    def split(self) -> dict[str, _Parts]:
        """The parts (origins) of each outcome, by name (a move on: ``"move:<id>"``).

        Outcomes take the oldest parts first, in the order: reversed, moved on (in ledger
        order), drawn to repay debt, redeemed, expired, open. Within one parcel every point
        has the same expiry (a transfer credits one parcel per expiry), so what expired or
        is open does not depend on that order; what was redeemed or moved on is a choice,
        oldest first, like the consumption order.
        """
        if self.shares is None:
            assert self.parts is not None
            names = ["reversed", *(f"move:{key}" for key in self.moved), "gone"]
            names += ["redeemed", "expired", "open"]
            sizes = [self.reversed, *self.moved.values(), self.gone]
            sizes += [self.redeemed, self.expired, self.open]
            self.shares = dict(zip(names, _pour(self.parts, sizes), strict=True))
        return self.shares


def _pour(parts: _Parts, sizes: list[int]) -> list[_Parts]:
    """``parts`` in order, cut into consecutive pieces of ``sizes`` (both add up alike)."""
    pieces: list[_Parts] = []
    queue = list(reversed(parts))
    for size in sizes:
        piece: _Parts = []
        wanted = size
        while wanted and queue:
            origin, points = queue.pop()
            take = min(wanted, points)
            piece.append((origin, take))
            wanted -= take
            if points > take:
                queue.append((origin, points - take))
        pieces.append(piece)
    return pieces


def _merged(parts: Iterable[tuple[_Origin, int]]) -> _Parts:
    """``parts`` with each origin once, oldest month first."""
    total: dict[_Origin, int] = {}
    for origin, points in parts:
        if points:
            total[origin] = total.get(origin, 0) + points
    return sorted(total.items())


class _Moves:
    """Points moved between members (transfers, merges, pools), followed to their origin.

    A transfer issues no new points: what the receiver redeems, lets expire or still holds
    of them belongs to the cohort the sender earned them in (IFRS 15: the points were sold
    once, with the sender's goods). The sender's debit ``<move>/out`` names the lots it
    drew (``allocations``); the receiver's credits ``<move>/in/<n>`` (one per expiry kept,
    in the order of the sender's parcels) hold them, whichever member comes first in the
    input. A move whose sender debit or receiver credits are not all there (a member
    missing from the input, a debit the ledger skipped, ids used twice) is not followed:
    the sender's points leave its cohort unused, and the receiver's credit is an
    ``"adjust"`` lot of its own month.
    """

    def __init__(self, chosen: tuple[str, ...]) -> None:
        self.chosen = chosen
        #: Move -> per sender debit: (origin or receiver parcel, points, lot expiry).
        self.outs: dict[str, list[list[tuple[_Origin | _Held, int, dt.datetime | None]]]] = {}
        #: Move -> the receiver parcels.
        self.ins: dict[str, list[_Held]] = {}
        self.state: dict[str, bool] = {}  # move -> settled (True) or being settled (False)

    def read(
        self,
        lots: Iterable[Lot],
        zone: dt.tzinfo,
        outs: list[tuple[str, tuple[tuple[str, int], ...]]],
        received: Mapping[str, _Held],
        taken: Mapping[tuple[str, str], int],
    ) -> None:
        """Note one member's moves out (``outs``) and parcels received."""
        by_id = {lot.lot_id: lot for lot in lots}
        for key, allocations in outs:
            debit: list[tuple[_Origin | _Held, int, dt.datetime | None]] = []
            seen: set[int] = set()
            for lot_id, _ in allocations:
                lot = by_id[lot_id]
                held = received.get(lot_id)
                if held is None:
                    month = lot.earned_at.astimezone(zone).strftime("%Y-%m")
                    debit.append(((month, lot.source), taken.get((lot_id, key), 0), lot.expires_at))
                elif id(held) not in seen:  # a parcel and its split-off parts: once
                    seen.add(id(held))
                    debit.append((held, held.moved.get(key, 0), lot.expires_at))
            self.outs.setdefault(key, []).append(debit)
        for held in {id(h): h for h in received.values()}.values():
            self.ins.setdefault(held.key, []).append(held)

    def settle(self, cohorts: dict[str, list[int]]) -> None:
        """Find every parcel's origins, then add its outcomes to their cohorts."""
        for key in sorted(self.ins):
            self._settle(key)
        for parcels in self.ins.values():
            for held in parcels:
                shares = held.split()
                for column, name in enumerate(("redeemed", "expired", "open"), start=1):
                    for (month, source), points in shares[name]:
                        if source in self.chosen:
                            row = cohorts.setdefault(month, [0, 0, 0, 0])
                            row[0] += points
                            row[column] += points
                if not held.linked and "adjust" in self.chosen:
                    # Not followed: an "adjust" lot of its own, counted like one.
                    cohorts.setdefault(held.fallback[0], [0, 0, 0, 0])

    def _settle(self, key: str) -> bool:
        """Give the parcels of ``key`` their parts; False while it is being settled (a loop)."""
        state = self.state.get(key)
        if state is not None:
            return state
        self.state[key] = False
        parcels = sorted(self.ins[key], key=lambda held: held.index)
        debits = self.outs.get(key, [])
        pieces: list[tuple[dt.datetime | None, _Parts]] = []
        linked = len(debits) == 1 and len({held.index for held in parcels}) == len(parcels)
        if linked:
            for source, points, expires in debits[0]:
                if not points:
                    continue
                if isinstance(source, _Held):
                    if not self._settle(source.key):
                        linked = False  # ids that loop back: not followed
                        break
                    pieces.append((expires, source.split()[f"move:{key}"]))
                else:
                    pieces.append((expires, [(source, points)]))
        sizes = [held.amount for held in parcels]
        if linked and sum(p for _, piece in pieces for _, p in piece) == sum(sizes):
            # One parcel per expiry, in the order of the debit's lots (transfer's _credits);
            # where the lots' dates no longer show that, the parcels take the points in order.
            groups: dict[dt.datetime | None, _Parts] = {}
            for expires, piece in pieces:
                groups.setdefault(expires, []).extend(piece)
            cuts = list(groups.values())
            if [sum(p for _, p in cut) for cut in cuts] != sizes:
                cuts = _pour([part for _, piece in pieces for part in piece], sizes)
            for held, cut in zip(parcels, cuts, strict=True):
                held.parts = _merged(cut)
                held.linked = True
        else:
            for held in parcels:
                held.parts = [(held.fallback, held.amount)]
        self.state[key] = True
        return True


def _project(
    table: pd.DataFrame, rate: float
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
    """Each cohort's ultimate breakage and points expected to be redeemed at ``rate``.

    IFRS 15 IE52 reads its estimate against the points issued: a cohort ends with
    ``issued * rate`` points unredeemed, never fewer than have expired already nor more
    than could still expire (NaN where nothing was issued or the rate is NaN).
    """
    issued = table["issued"].to_numpy(dtype=np.float64)
    expired = table["expired"].to_numpy(dtype=np.float64)
    still_open = table["open"].to_numpy(dtype=np.float64)
    breaking = np.clip(issued * rate, expired, expired + still_open)
    with np.errstate(invalid="ignore", divide="ignore"):
        ultimate = np.where(issued > 0, breaking / issued, np.nan)
        expected = np.where(issued > 0, issued - breaking, np.nan)
    return ultimate, expected


def _given_rate(rate: object, owner: str) -> float | None:
    """``rate`` as a float in [0, 1], or None; anything else is a ConfigError."""
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, int | float | Decimal):
        raise ConfigError(owner, "rate", expected="a number in [0, 1] or None", found=repr(rate))
    value = float(rate)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ConfigError(owner, "rate", expected="a number in [0, 1] or None", found=repr(rate))
    return value
