"""Replay a whole member base from one events table.

The table has one row per event (a purchase or refund with several lines has one row per
line, sharing the ``event_id``). Columns, by their default names:

============== ==================================================================
``member_id``  the member (required)
``event_id``   the event's id, unique per member (required)
``time``       when; naive values are read in the program's zone (required)
``kind``       enroll, profile, purchase, refund, redeem, cancel_redemption, adjust
``amount``     purchase line amount: Decimal, int or decimal string (never float)
``discount``   purchase line discount (default 0)
``quantity``   purchase line units (default 1); refund line units (default: the rest)
``line``       line id (default: the row's position within the event, from "1")
``sku``        purchase line sku
``category``   purchase line category
``channel``    purchase channel (first row of the event)
``ref``        refund: the purchase id; cancel_redemption: the redemption id
``points``     redeem: points (empty = catalogue price); adjust: signed points
``reward``     redeem: the reward's catalogue key
``reason``     adjust: the reason code (default ``"adjust"``)
``birth_date`` enroll/profile: ISO date
============== ==================================================================

Only ``member_id``, ``event_id``, ``time`` and ``kind`` are required; a missing optional
column takes its default. A refund row with no ``line`` refunds the whole purchase.
Points tenders are not expressed in the table: use :class:`~crmkit.loyalty.Tender` events.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from crmkit._validate import (
    check_not_empty,
    datetime_column,
    first_labels,
    require_columns,
    require_frame,
    require_no_missing,
)
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.loyalty._events import (
    Adjust,
    CancelRedemption,
    Enroll,
    Event,
    ProfileUpdate,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    RefundLine,
    to_decimal,
)
from crmkit.loyalty._ledger import Book
from crmkit.loyalty._program import Program

__all__ = ["events_from_frame", "iter_member_events", "replay_many"]

_OWNER = "replay_many()"
_KINDS = ("enroll", "profile", "purchase", "refund", "redeem", "cancel_redemption", "adjust")
_OPTIONAL = (
    "amount",
    "discount",
    "quantity",
    "line",
    "sku",
    "category",
    "channel",
    "ref",
    "points",
    "reward",
    "reason",
    "birth_date",
)
#: Event fields named by another column in the table.
_FIELD_COLUMNS = {
    "purchase_id": "ref",
    "redemption_id": "ref",
    "line_id": "line",
    "event_id": "event_id",
}
#: Columns of the result of :func:`replay_many`, in order.
RESULT_COLUMNS = (
    "available",
    "pending",
    "debt",
    "balance",
    "credited",
    "spent",
    "expired",
    "reversed",
    "forfeited",
    "cash_offset",
    "expiring",
    "next_expiry",
    "tier",
    "tier_since",
    "next_tier",
    "events",
    "rejected",
)


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _money_column(frame: pd.DataFrame, column: str, owner: str) -> None:
    if pd.api.types.is_float_dtype(frame[column].dtype):
        raise SchemaError(
            owner,
            column,
            expected="Decimal, int or decimal-string amounts (never float)",
            found=f"dtype {frame[column].dtype}",
            hint="Read the column as text, e.g. pd.read_csv(path, dtype={'amount': str}).",
        )


def _int_or_none(value: Any, owner: str, column: str, row: Hashable) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("+-").isdigit():
            return int(text)
    elif isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    elif (
        isinstance(value, float | np.floating)
        and float(value).is_integer()
        and abs(float(value)) < 2**53
    ):
        # An integer column with gaps arrives as float64; whole values below 2**53 are exact.
        return int(value)
    raise InvalidInputError(owner, column, expected="whole numbers", found=repr(value), rows=[row])


def iter_member_events(
    frame: pd.DataFrame,
    program: Program,
    *,
    member: str = "member_id",
    event_id: str = "event_id",
    time: str = "time",
    kind: str = "kind",
) -> Iterator[tuple[Hashable, list[Event]]]:
    """Yield ``(member, events)`` one member at a time, in order of first appearance.

    The whole table is validated first (vectorised); event objects are built per member,
    so a large table never holds every member's events at once. See
    :func:`events_from_frame` for the arguments.
    """
    require_frame(frame, _OWNER, "events")
    require_columns(frame, [member, event_id, time, kind], _OWNER)
    check_not_empty(frame, _OWNER, "events")
    for column in (member, event_id, kind):
        require_no_missing(frame, column, _OWNER)
    kinds = frame[kind].astype(str)
    bad = ~kinds.isin(_KINDS).to_numpy()
    if bad.any():
        raise InvalidInputError(
            _OWNER,
            kind,
            expected=f"event kinds among {list(_KINDS)}",
            found=f"{int(bad.sum())} unknown kinds such as {kinds[bad].iloc[0]!r}",
            rows=first_labels(frame.index, bad),
            total=int(bad.sum()),
        )
    times = datetime_column(frame, time, _OWNER, tz=program.zone)
    for column in ("amount", "discount"):
        if column in frame.columns:
            _money_column(frame, column, _OWNER)
    columns = {name: frame[name].to_numpy(dtype=object) for name in _OPTIONAL if name in frame}
    n = len(frame)
    empty = np.full(n, None, dtype=object)

    def col(name: str) -> np.ndarray[Any, Any]:
        return columns.get(name, empty)

    codes, uniques = pd.factorize(frame[member], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    ids = frame[event_id].astype(str).to_numpy(dtype=object)
    stamps = list(times.dt.to_pydatetime())
    kind_values = kinds.to_numpy(dtype=object)
    labels = frame.index
    amount, discount, quantity, line = col("amount"), col("discount"), col("quantity"), col("line")
    sku, category, channel, ref = col("sku"), col("category"), col("channel"), col("ref")
    points, reward, reason, birth = col("points"), col("reward"), col("reason"), col("birth_date")
    for chunk in np.split(order, bounds) if n else []:
        who = uniques[codes[chunk[0]]]
        who = who.item() if isinstance(who, np.generic) else who
        # Rows of one event share its id; events keep the order of their first row.
        groups: dict[str, list[int]] = {}
        for i in chunk.tolist():
            groups.setdefault(ids[i], []).append(i)
        member_events: list[Event] = []
        for eid, rows in groups.items():
            first = rows[0]
            what = kind_values[first]
            at: dt.datetime = stamps[first]
            for r in rows[1:]:
                if kind_values[r] != what or stamps[r] != at:
                    raise InvalidInputError(
                        _OWNER,
                        event_id,
                        expected="rows of one event to share kind and time",
                        found=f"event {eid!r} with differing rows",
                        rows=[labels[r]],
                    )
            try:
                event: Event
                if what == "purchase":
                    lines = []
                    for pos, r in enumerate(rows, start=1):
                        if amount[r] is None or _text(amount[r]) == "":
                            raise InvalidInputError(
                                _OWNER,
                                "amount",
                                expected="an amount on purchase rows",
                                found="none",
                                rows=[labels[r]],
                            )
                        qty = _int_or_none(quantity[r], _OWNER, "quantity", labels[r])
                        disc = discount[r]
                        lines.append(
                            PurchaseLine(
                                _text(line[r]) or str(pos),
                                to_decimal(amount[r], _OWNER, "amount"),
                                quantity=1 if qty is None else qty,
                                sku=_text(sku[r]),
                                category=_text(category[r]),
                                discount=Decimal(0)
                                if _text(disc) == ""
                                else to_decimal(disc, _OWNER, "discount"),
                            )
                        )
                    event = Purchase(eid, at, lines=lines, channel=_text(channel[first]))
                elif what == "refund":
                    refund_lines = [
                        RefundLine(
                            _text(line[r]), _int_or_none(quantity[r], _OWNER, "quantity", labels[r])
                        )
                        for r in rows
                        if _text(line[r])
                    ]
                    event = Refund(eid, at, _text(ref[first]), lines=refund_lines)
                elif what == "redeem":
                    event = Redeem(
                        eid,
                        at,
                        reward=_text(reward[first]),
                        points=_int_or_none(points[first], _OWNER, "points", labels[first]),
                    )
                elif what == "adjust":
                    value = _int_or_none(points[first], _OWNER, "points", labels[first])
                    event = Adjust(
                        eid,
                        at,
                        points=0 if value is None else value,
                        reason=_text(reason[first]) or "adjust",
                    )
                elif what == "cancel_redemption":
                    event = CancelRedemption(eid, at, _text(ref[first]))
                elif what == "enroll":
                    event = Enroll(
                        eid,
                        at,
                        birth_date=_text(birth[first]) or None,
                        channel=_text(channel[first]),
                    )
                else:
                    event = ProfileUpdate(eid, at, birth_date=_text(birth[first]) or None)
            except InvalidInputError as err:
                if err.rows:
                    raise
                column = _FIELD_COLUMNS.get(err.field, err.field)
                raise InvalidInputError(
                    _OWNER,
                    column,
                    expected=err.expected,
                    found=err.found,
                    rows=[labels[first]],
                    hint=err.hint,
                ) from err
            member_events.append(event)
        yield who, member_events


def events_from_frame(
    frame: pd.DataFrame,
    program: Program,
    *,
    member: str = "member_id",
    event_id: str = "event_id",
    time: str = "time",
    kind: str = "kind",
) -> dict[Hashable, list[Event]]:
    """Turn an events table into event objects per member (see the module docs for columns).

    Args:
        frame: The events table (not modified).
        program: The program (its zone reads naive times).
        member: Column of member ids.
        event_id: Column of event ids.
        time: Column of event times.
        kind: Column of event kinds.

    Returns:
        Member id -> list of events, members in order of first appearance.

    Raises:
        SchemaError: A required column is missing, or money is float.
        InvalidInputError: Unknown kinds, missing values, bad numbers (with row labels).

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"member_id": ["m1", "m1"], "event_id": ["p1", "p1"],
        ...     "time": ["2025-01-02 10:00", "2025-01-02 10:00"], "kind": ["purchase"] * 2,
        ...     "amount": ["20.00", "5.50"], "category": ["tea", "cups"]})
        >>> events = events_from_frame(frame, Program(timezone="Asia/Shanghai"))
        >>> [(line.line_id, line.amount) for line in events["m1"][0].lines]
        [('1', Decimal('20.00')), ('2', Decimal('5.50'))]
    """
    return dict(
        iter_member_events(frame, program, member=member, event_id=event_id, time=time, kind=kind)
    )


def replay_many(
    events: pd.DataFrame,
    program: Program,
    *,
    as_of: dt.datetime,
    member: str = "member_id",
    event_id: str = "event_id",
    time: str = "time",
    kind: str = "kind",
    expiring_days: int = 30,
    on_error: str = "skip",
    workers: int = 1,
) -> pd.DataFrame:
    """Replay every member of an events table at ``as_of``: one row of state per member.

    Each member's events go through exactly the path of :meth:`Program.replay`, so a row
    equals the replay of that member alone.

    Args:
        events: The events table (see the module docs for its columns; not modified).
        program: The program to replay under.
        as_of: The instant of the states (naive: read in the program's zone).
        member: Column of member ids.
        event_id: Column of event ids.
        time: Column of event times.
        kind: Column of event kinds.
        expiring_days: Horizon of the ``expiring`` column, in days.
        on_error: ``"skip"`` (default) leaves events the ledger cannot honour out and
            counts them in ``rejected``; ``"raise"`` raises the first one.
        workers: Processes to spread the members over (members are independent; the
            result is the same for any number). 1 (default) runs in this process.

    Returns:
        A DataFrame indexed by member with the columns ``available``, ``pending``,
        ``debt``, ``balance``, ``credited``, ``spent``, ``expired``, ``reversed``,
        ``forfeited`` (int64 points), ``cash_offset`` (Decimal), ``expiring`` (points
        expiring within ``expiring_days``), ``next_expiry`` (the soonest expiry of usable
        points, NaT if none), ``tier`` (ordered Categorical of the ladder's tiers, or None),
        ``tier_since``, ``next_tier``, ``events`` (events replayed) and ``rejected``
        (events left out).

    Examples:
        >>> from crmkit.datasets import loyalty_events
        >>> frame = loyalty_events(n_members=3, seed=1)
        >>> program = Program(timezone="Asia/Shanghai")
        >>> states = replay_many(frame, program, as_of=frame["time"].max())
        >>> list(states.columns[:4]), len(states)
        (['available', 'pending', 'debt', 'balance'], 3)
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(_OWNER, "workers", expected="an int of at least 1", found=repr(workers))
    if isinstance(expiring_days, bool) or not isinstance(expiring_days, int) or expiring_days < 0:
        raise ConfigError(
            _OWNER, "expiring_days", expected="an int of at least 0", found=repr(expiring_days)
        )
    if on_error not in ("raise", "skip"):
        raise ConfigError(_OWNER, "on_error", expected="'raise' or 'skip'", found=repr(on_error))
    end = program._as_of(as_of)
    columns = {"member": member, "event_id": event_id, "time": time, "kind": kind}
    if workers == 1:
        index, rows = _replay_part(events, program, end, columns, expiring_days, on_error)
    else:
        require_frame(events, _OWNER, "events")
        require_columns(events, [member], _OWNER)
        codes = pd.factorize(events[member])[0]
        parts = [events[codes % workers == w] for w in range(workers)]
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_replay_part, part, program, end, columns, expiring_days, on_error)
                for part in parts
                if len(part)
            ]
            results = [future.result() for future in futures]
        order = pd.unique(events[member])
        by_member: dict[Hashable, tuple[Any, ...]] = {}
        for part_index, part_rows in results:
            by_member.update(zip(part_index, part_rows, strict=True))
        index = list(order)
        rows = [by_member[m] for m in index]
    result = pd.DataFrame.from_records(rows, columns=list(RESULT_COLUMNS))
    result.index = pd.Index(index, name=member)
    for column in (*RESULT_COLUMNS[:9], "expiring", "events", "rejected"):
        result[column] = result[column].astype("int64")
    result["next_expiry"] = pd.to_datetime(result["next_expiry"], utc=True).dt.tz_convert(
        program.zone
    )
    result["tier_since"] = pd.to_datetime(result["tier_since"], utc=True).dt.tz_convert(
        program.zone
    )
    if program.tiers is not None:
        names = program.tiers.names
        result["tier"] = pd.Categorical(result["tier"], categories=names, ordered=True)
        result["next_tier"] = pd.Categorical(result["next_tier"], categories=names, ordered=True)
    return result


def _replay_part(  # noqa: PLR0917 - submitted positionally to worker processes
    events: pd.DataFrame,
    program: Program,
    end: dt.datetime,
    columns: dict[str, str],
    expiring_days: int,
    on_error: str,
) -> tuple[list[Hashable], list[tuple[Any, ...]]]:
    """Replay the members of one part of the table (runs in a worker process too)."""
    index: list[Hashable] = []
    rows: list[tuple[Any, ...]] = []
    for who, member_events in iter_member_events(events, program, **columns):
        book = program._fold(member_events, end, on_error)
        rows.append(_summary(book, end, expiring_days))
        index.append(who)
    return index, rows


def _summary(book: Book, as_of: dt.datetime, expiring_days: int) -> tuple[Any, ...]:
    """One member's row, read straight from the fold (what :class:`MemberState` would say)."""
    horizon = as_of + dt.timedelta(days=expiring_days)
    inactivity = book.program.expiry.kind == "inactivity"
    spent = expired = reversed_ = forfeited = expiring = 0
    soonest: dt.datetime | None = None
    for lot in book.lots.values():
        spent += lot.spent
        expired += lot.expired
        reversed_ += lot.reversed
        forfeited += lot.forfeited
        if not lot.remaining or lot.activates_at > as_of:
            continue
        expires = lot.expires_at
        if expires is None and inactivity:
            expires = book.deadline
        if expires is None or as_of >= expires:
            continue
        if expires < horizon:
            expiring += lot.remaining
        if soonest is None or expires < soonest:
            soonest = expires
    tier = book.tier_status(as_of) if book.program.tiers is not None else None
    return (
        book.available,
        book.pending,
        book.debt,
        book.available - book.debt,
        book.credited,
        spent,
        expired,
        reversed_,
        forfeited,
        book.cash_offset,
        expiring,
        soonest,
        None if tier is None else tier.tier,
        None if tier is None else tier.since,
        None if tier is None else tier.next_tier,
        len(book.events),
        len(book.rejected),
    )
