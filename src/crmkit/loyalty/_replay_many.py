"""Replay a whole member base from one events table (the columns: :func:`replay_many`)."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import itertools
import math
import operator
import re
from collections.abc import Hashable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, cast

import attrs
import numpy as np
import pandas as pd

from crmkit._spec import check_choice, plain_number_text
from crmkit._validate import (
    EXCEL_WHOLE_DAY,
    check_not_empty,
    datetime_column,
    excel_datetimes,
    first_labels,
    flag_column,
    refuse_lookalike_ids,
    require_columns,
    require_frame,
    require_no_missing,
    whole_day_mask,
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
    Tender,
    TierGrant,
    _unchecked_purchase,
    to_decimal,
)
from crmkit.loyalty._ledger import Book
from crmkit.loyalty._lots import reported_expiry
from crmkit.loyalty._program import Program
from crmkit.loyalty._tiers import Qualification
from crmkit.segmentation._dask import is_dask, map_by_key, require_dask_columns

__all__ = ["events_from_frame", "iter_member_events", "replay_many"]

_OWNER = "replay_many()"
_ZERO = Decimal(0)
_KINDS = (
    "enroll",
    "profile",
    "purchase",
    "refund",
    "redeem",
    "cancel_redemption",
    "adjust",
    "tier_grant",
)
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
    "currency",
    "tender_points",
    "tender_amount",
    "spend",
    "qualifying_points",
    "tier",
    "ladder",
)
#: Optional columns only some events carry; a row with one set is built by the checked
#: constructors (``expires_at`` is read as a date column apart).
_SPECIAL = ("currency", "tender_points", "tender_amount", "spend", "qualifying_points")
#: Event fields named by another column in the table.
_FIELD_COLUMNS = {
    "purchase_id": "ref",
    "redemption_id": "ref",
    "line_id": "line",
    "tenders": "tender_amount",
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


#: A whole number written in ASCII digits, with an optional sign.
_WHOLE = re.compile(r"[+-]?[0-9]+")


def _int_or_none(value: Any, owner: str, column: str, row: Hashable) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _WHOLE.fullmatch(text):  # ASCII digits only: full-width digits, "²" refused
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


def _text_array(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``_text`` of every element, vectorised when the column holds strings (or gaps)."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        out = values.copy()
        out[pd.isna(values)] = ""
        return out
    return np.array([_text(v) for v in values], dtype=object)


def _objects(values: Sequence[Any]) -> np.ndarray[Any, Any]:
    """A 1-d object array of ``values`` as they are (tuples are not unpacked)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _coded_texts(
    frame: pd.DataFrame, name: str, rows: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``_text`` of a column's cells at ``rows`` as ``(codes, texts)``.

    Row r holds ``texts[codes[r]]`` (codes of the whole table; rows not in ``rows`` read
    ``""``). Equal codes are equal texts; the last text is ``""`` (code -1: a gap, or no column).
    A string column is coded by its distinct values, without a Python object per row.
    """
    codes = np.full(len(frame), -1, dtype=np.intp)
    if name not in frame.columns:
        return codes, _objects([""])
    series = frame[name]
    if isinstance(series.dtype, pd.StringDtype):
        codes[rows], uniques = pd.factorize(series.array.take(rows), use_na_sentinel=True)
    else:
        codes[rows], uniques = pd.factorize(_text_array(series.take(rows).to_numpy(dtype=object)))
    return codes, _objects([*np.asarray(uniques, dtype=object).tolist(), ""])


def _decimal(value: Any) -> Any:
    """Decimal of a cell (None where missing, ``_BAD`` where not a finite number)."""
    if value is None or _text(value) == "":
        return None
    try:
        return to_decimal(value, _OWNER, "amount")
    except InvalidInputError:
        return _BAD


def _decimals(texts: list[Any]) -> list[Any]:
    """:func:`_decimal` of distinct strings: ``Decimal(text)`` when every one is a finite number.

    ``Decimal`` strips the same surrounding whitespace as ``str.strip``, so where it accepts
    every text and each is finite the values are those of :func:`to_decimal`.
    """
    try:
        if not all(isinstance(t, str) and plain_number_text(t) for t in texts):
            raise ValueError  # what Decimal reads but crmkit does not: the checked way
        values = list(map(Decimal, texts))
    except (decimal.InvalidOperation, TypeError, ValueError):
        return [_decimal(t) for t in texts]
    if all(map(Decimal.is_finite, values)):
        return values
    return [_decimal(t) for t in texts]


def _coded_decimals(
    frame: pd.DataFrame, name: str, rows: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """:func:`_decimal` of a column at ``rows`` as ``(codes, values)`` (values[-1] is None).

    Equal strings parse to equal Decimals (same digits and exponent): each is parsed once.
    """
    if name not in frame.columns:
        return np.full(len(rows), -1, dtype=np.intp), _objects([None])
    series = frame[name]
    if isinstance(series.dtype, pd.StringDtype):
        codes, uniques = pd.factorize(series.array.take(rows), use_na_sentinel=True)
        values = _decimals(np.asarray(uniques, dtype=object).tolist())
    else:
        picked = series.take(rows).to_numpy(dtype=object)
        if pd.api.types.infer_dtype(picked, skipna=True) in ("string", "empty"):
            codes, uniques = pd.factorize(picked, use_na_sentinel=True)
            values = _decimals(list(uniques))
        else:
            codes = np.arange(len(rows), dtype=np.intp)
            values = [_decimal(v) for v in picked]
    return codes, _objects([*values, None])


_BAD = object()


def _coded_ints(
    frame: pd.DataFrame, name: str, rows: np.ndarray[Any, Any], parse: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``parse`` of a column at ``rows`` as ``(codes, values)``, once per distinct string or int."""
    if name not in frame.columns:
        return np.full(len(rows), -1, dtype=np.intp), _objects([parse(None)])
    series = frame[name]
    if isinstance(series.dtype, pd.StringDtype):
        codes, uniques = pd.factorize(series.array.take(rows), use_na_sentinel=True)
        values = [parse(u) for u in np.asarray(uniques, dtype=object).tolist()]
    else:
        picked = series.take(rows).to_numpy(dtype=object)
        if pd.api.types.infer_dtype(picked, skipna=True) in ("string", "integer", "empty"):
            codes, uniques = pd.factorize(picked, use_na_sentinel=True)
            values = [parse(u) for u in uniques]
        else:
            codes = np.arange(len(rows), dtype=np.intp)
            values = [parse(v) for v in picked]
    return codes, _objects([*values, parse(None)])


def _of_type(values: np.ndarray[Any, Any], kind: type) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which elements are exactly of type ``kind`` (not a subclass, not bool for int)."""
    return cast(
        "np.ndarray[Any, np.dtype[np.bool_]]",
        np.fromiter(map(type, values), dtype=object, count=len(values)) == kind,
    )


def _at_least(values: np.ndarray[Any, Any], kind: type, low: Any) -> np.ndarray[Any, Any]:
    """Which elements are of type ``kind`` and at least ``low``."""
    ok = _of_type(values, kind)
    ok[ok] = values[ok] >= low
    return ok


#: A datetime's pickled state: the wall clock in 10 bytes (the fold is the month's high bit).
_STATE = np.dtype(
    [("year", ">u2"), ("month", "u1"), ("day", "u1"), ("hour", "u1"), ("minute", "u1"),
     ("second", "u1"), ("micro_high", "u1"), ("micro_low", ">u2")]
)  # fmt: skip
#: Microseconds since 1970 of the first instant of year 1 and of year 10000.
_FIRST_US = int(np.datetime64("0001-01-01", "us").view(np.int64))
_LAST_US = int(np.datetime64("10000-01-01", "us").view(np.int64))


def _datetimes(times: pd.Series) -> np.ndarray[Any, Any]:
    """``times.dt.to_pydatetime()`` (aware times), built without a zone lookup per row.

    The same values: wall time, ``fold`` and the column's tzinfo object. Each datetime is
    made from its pickled state (the wall-clock fields in 10 bytes, computed by numpy) and
    the zone; ``fold`` is 0 but in a repeated hour, whose rows pandas converts as before.
    Times numpy cannot give exactly (below a microsecond, outside years 1-9999, gaps)
    are converted by pandas.
    """
    tz = times.dt.tz
    n = len(times)
    local = times.dt.tz_localize(None)
    wall = local.to_numpy()
    micros = wall if wall.dtype == np.dtype("datetime64[us]") else wall.astype("datetime64[us]")
    us = micros.view(np.int64)
    if (
        n == 0
        or tz is None
        or np.isnat(micros).any()
        or (micros is not wall and bool((micros != wall).any()))
        or us.min() < _FIRST_US
        or us.max() >= _LAST_US
        or np.asarray(times.iloc[:1].dt.to_pydatetime(), dtype=object)[0].tzinfo is not tz
    ):
        return np.asarray(times.dt.to_pydatetime(), dtype=object)
    # A wall time read back in the zone is the same instant, but in a repeated hour (NaT).
    again = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    repeated = again.isna().to_numpy()
    if (
        again.dt.unit != times.dt.unit
        or (again.array.asi8[~repeated] != times.array.asi8[~repeated]).any()
    ):
        return np.asarray(times.dt.to_pydatetime(), dtype=object)
    out = _objects(_from_wall(us, tz))
    if repeated.any():
        out[repeated] = np.asarray(times.iloc[repeated].dt.to_pydatetime(), dtype=object)
    return out


def _from_wall(us: np.ndarray[Any, Any], tz: dt.tzinfo) -> list[dt.datetime]:
    """Datetimes of wall-clock microseconds since 1970 (years 1-9999) in ``tz``, fold 0.

    Each is made from its pickled state (the wall-clock fields in 10 bytes, computed by
    numpy) and the zone: no zone lookup per element.
    """
    days = us // 86_400_000_000
    months = days.view("datetime64[D]").astype("datetime64[M]")
    month = months.view(np.int64)
    state = np.empty(len(us), dtype=_STATE)
    state["year"] = month // 12 + 1970
    state["month"] = month % 12 + 1
    state["day"] = days - months.astype("datetime64[D]").view(np.int64) + 1
    rest = us - days * 86_400_000_000
    seconds = rest // 1_000_000
    micro = rest - seconds * 1_000_000
    state["hour"] = seconds // 3600
    state["minute"] = seconds // 60 % 60
    state["second"] = seconds % 60
    state["micro_high"] = micro >> 16
    state["micro_low"] = micro & 0xFFFF
    make = cast("Any", dt.datetime)
    return list(map(make, state.view("V10").tolist(), itertools.repeat(tz)))


def _utc_micros(times: pd.Series) -> np.ndarray[Any, Any] | None:
    """Each aware time as microseconds since 1970 in UTC, or None where that is not exact.

    What :func:`_from_wall` reads in UTC; None for times below a microsecond or outside
    years 1-9999.
    """
    wall = times.dt.tz_convert(dt.UTC).dt.tz_localize(None).to_numpy()
    micros = wall if wall.dtype == np.dtype("datetime64[us]") else wall.astype("datetime64[us]")
    us: np.ndarray[Any, Any] = micros.view(np.int64)
    if (
        len(us) == 0
        or np.isnat(micros).any()
        or (micros is not wall and bool((micros != wall).any()))
        or us.min() < _FIRST_US
        or us.max() >= _LAST_US
    ):
        return None
    return us


def _combined(*codes: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """One code per distinct combination of the codes, and where each first appears.

    The combinations are numbered in order of first appearance (-1 counts as a value).
    """
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for more in codes:
        low, high = (int(more.min()), int(more.max())) if len(more) else (0, 0)
        if low != high:  # a column of one value splits nothing
            key = pd.factorize(key * (high - low + 1) + (more.astype(np.int64) - low))[0]
    # Codes appear in increasing order: each first appearance raises the running maximum.
    top = np.maximum.accumulate(key) if len(key) else key
    return key, np.flatnonzero(np.r_[True, top[1:] > top[:-1]][: len(key)])


def _fill(setter: Any, *values: Iterable[Any]) -> None:
    """``setter(*args)`` for each row of ``values``, looped in C (the setters return None)."""
    any(map(setter, *values))


def _create(
    cls: type[Any], names: Sequence[str], values: Sequence[Any], lo: int, hi: int
) -> list[Any]:
    """Instances ``lo:hi`` of a frozen class from checked values (no validation).

    ``values`` holds, per slot in ``names``, an array of every instance's value (sliced
    ``lo:hi``) or one value they all take. Each slot is set through its own setter (a
    frozen class refuses plain assignment), for all instances in one C loop.
    """
    objects = list(map(object.__new__, itertools.repeat(cls, hi - lo)))
    for name, value in zip(names, values, strict=True):
        setter = cast("Any", getattr(cls, name)).__set__
        if isinstance(value, np.ndarray):
            _fill(setter, objects, value[lo:hi].tolist())
        else:
            _fill(setter, objects, itertools.repeat(value))
    return objects


_KIND_RANGE = np.arange(len(_KINDS))
#: The text columns the kinds built without the checks read (their codes at other rows: -1).
_TEXT_KINDS = {
    name: [_KINDS.index(k) for k in kinds]
    for name, kinds in (
        ("line", ("purchase", "refund")),
        ("sku", ("purchase",)),
        ("category", ("purchase",)),
        ("channel", ("purchase", "enroll")),
        ("ref", ("refund", "cancel_redemption")),
        ("reward", ("redeem",)),
        ("reason", ("adjust",)),
        ("birth_date", ("enroll",)),
    )
}
#: Events built at a time (whole members): bounds the event objects held at once.
_CHUNK = 2048
#: How an event is built: through the checked constructors (``_SLOW``, or several lines of
#: checked values), else by kind, one row of checked values set straight into the slots.
_SLOW, _PURCHASE, _REFUND, _CANCEL, _REDEEM, _ADJUST, _ENROLL = range(7)
_WAYS = {
    _PURCHASE: "purchase",
    _REFUND: "refund",
    _CANCEL: "cancel_redemption",
    _REDEEM: "redeem",
    _ADJUST: "adjust",
    _ENROLL: "enroll",
}


def _event_order(
    codes: np.ndarray[Any, Any], ids: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Rows in replay-building order: ``(order, member_starts, event_starts)``.

    Members in order of ``codes`` (their first appearance); a member's events in order of
    their first row, the rows of one event (same member and id) contiguous and in table
    order. Ids are compared within each member only (a small set per member: a hash
    table of every id in a large table is slow to build), and a member whose ids are all
    distinct keeps its rows as they are.
    """
    n = len(codes)
    if bool((codes[1:] >= codes[:-1]).all()):
        order = np.arange(n, dtype=np.intp)  # a table in member order already
    else:
        order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    member_starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    starts_event = np.ones(n, dtype=bool)
    bounds = np.append(member_starts, n).tolist()
    member_ids = ids[order]
    for a, b in itertools.pairwise(bounds):
        seen = member_ids[a:b].tolist()
        if len(set(seen)) == b - a:
            continue
        rows: dict[str, list[int]] = {}
        for pos, value in enumerate(seen):
            rows.setdefault(value, []).append(pos)
        order[a:b] = order[a:b][[pos for group in rows.values() for pos in group]]
        starts_event[a:b] = False
        starts_event[a + np.cumsum([0, *[len(g) for g in rows.values()][:-1]])] = True
    return order, member_starts, np.flatnonzero(starts_event)


def iter_member_events(
    frame: pd.DataFrame,
    program: Program,
    *,
    member: str = "member_id",
    event_id: str = "event_id",
    time: str = "time",
    kind: str = "kind",
    counts: Sequence[str] = (),
    date_format: str | None = None,
    date_unit: str | None = None,
) -> Iterator[tuple[Hashable, list[Event]]]:
    """Yield ``(member, events)`` one member at a time, in order of first appearance.

    The whole table is validated and converted column by column first (vectorised:
    values are parsed once per distinct value); event objects are then built a block of
    members at a time, so a large table never holds every member's events at once. Events
    of one row whose columns passed those checks are built without re-validating each
    field (one-line purchases of equal lines share one line object: lines are immutable
    values); a member with any doubtful row is built through the checked constructors,
    which name the offending row. See :func:`events_from_frame` for the arguments.
    """
    for who, events, _ in _member_events(
        frame,
        program,
        member=member,
        event_id=event_id,
        time=time,
        kind=kind,
        counts=counts,
        date_format=date_format,
        date_unit=date_unit,
        instants=False,
    ):
        yield who, events


def _member_events(
    frame: pd.DataFrame,
    program: Program,
    *,
    member: str = "member_id",
    event_id: str = "event_id",
    time: str = "time",
    kind: str = "kind",
    counts: Sequence[str] = (),
    date_format: str | None = None,
    date_unit: str | None = None,
    instants: bool = True,
) -> Iterator[tuple[Hashable, list[Event], list[dt.datetime] | None]]:
    """:func:`iter_member_events`, with each member's event times in UTC.

    Yields ``(member, events, instants)``: ``instants[i]`` equals
    ``events[i].time.astimezone(UTC)`` (value, zone object and ``fold``), computed for the
    whole column at once and made a block at a time (None with ``instants=False``, or
    where a time is not a whole microsecond: the fold then converts each event). The
    fold takes them instead of converting every event's time, which costs about twice
    as much.
    """
    require_frame(frame, _OWNER, "events")
    require_columns(frame, [member, event_id, time, kind], _OWNER)
    check_not_empty(frame, _OWNER, "events")
    for column in (member, event_id, kind):
        require_no_missing(frame, column, _OWNER, blank=True)
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
    _refuse_bytes(frame, [member, event_id, *_TEXT_KINDS])
    times = datetime_column(
        frame, time, _OWNER, tz=program.zone, date_format=date_format, date_unit=date_unit
    )
    for column in ("amount", "discount", "tender_amount", "spend"):
        if column in frame.columns:
            _money_column(frame, column, _OWNER)
    n = len(frame)
    count_columns = _count_columns(frame, counts)
    expires = _expiry_column(frame, program, date_format, date_unit)
    until = _expiry_column(frame, program, date_format, date_unit, "until")
    involuntary = _involuntary_column(frame, kinds)
    # ``until`` is a date column: a value on a row of another kind is refused. ``tier`` and
    # ``ladder`` are read on tier_grant rows only: an export's tier at each purchase (a
    # common column) is not a grant, and is not read.
    grant = (kinds == "tier_grant").to_numpy()
    _only_on(frame, "until", ~pd.isna(until) & ~grant, ("tier_grant",))

    codes, uniques = pd.factorize(frame[member], sort=False)
    if pd.Index(uniques).inferred_type.startswith("mixed"):  # 1 and "1": one member?
        refuse_lookalike_ids(frame[member], codes, pd.Index(uniques), _OWNER)
    ids = frame[event_id].astype(str).to_numpy(dtype=object)
    order, member_starts, event_starts = _event_order(codes, ids)
    kind_code, kind_uniques = pd.factorize(kinds)
    kind_code = np.array([_KINDS.index(u) for u in kind_uniques], dtype=np.intp)[kind_code]
    kind_values = _objects(_KINDS)[kind_code]
    stamps = _datetimes(times)
    utc = _utc_micros(times) if instants else None
    purchase = kind_code == _KINDS.index("purchase")
    prows = np.flatnonzero(purchase)
    # Purchase line values, coded: row r (a purchase) holds values[codes[r]].
    amount_codes = np.full(n, -1, dtype=np.intp)
    discount_codes = np.full(n, -1, dtype=np.intp)
    quantity_codes = np.full(n, -1, dtype=np.intp)
    amount_codes[prows], amount_values = _coded_decimals(frame, "amount", prows)
    discount_codes[prows], discount_values = _coded_decimals(frame, "discount", prows)
    discount_values[_objects([v is None for v in discount_values]).astype(bool)] = _ZERO
    quantity_codes[prows], quantity_values = _coded_ints(frame, "quantity", prows, _quantity)
    quantity_values[_objects([v is None for v in quantity_values]).astype(bool)] = 1
    # Purchase rows whose values the checked constructors would accept as they are,
    # checked once per distinct value (and the discount against the amount per row).
    ready = np.zeros(n, dtype=bool)
    amounts = amount_values[amount_codes[prows]]
    discounts = discount_values[discount_codes[prows]]
    fine = (
        _at_least(amount_values, Decimal, _ZERO)[amount_codes[prows]]
        & _at_least(discount_values, Decimal, _ZERO)[discount_codes[prows]]
        & _at_least(quantity_values, int, 1)[quantity_codes[prows]]
    )
    if "discount" in frame.columns:
        fine[fine] = discounts[fine] <= amounts[fine]
    ready[prows] = fine
    # Text columns, coded on the rows of the kinds that read them without the checks.
    text = {
        name: _coded_texts(frame, name, np.flatnonzero(np.isin(_KIND_RANGE, using)[kind_code]))
        for name, using in _TEXT_KINDS.items()
    }

    def filled(name: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
        name_codes, texts = text[name]
        return cast("np.ndarray[Any, np.dtype[np.bool_]]", texts.astype(bool)[name_codes])

    def text_at(name: str, rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        name_codes, texts = text[name]
        return cast("np.ndarray[Any, Any]", texts[name_codes[rows]])

    has_line = filled("line")
    # Repeated rows share member and event id: only events of several rows can hold them.
    sizes = np.diff(np.append(event_starts, n))
    several = np.zeros(n, dtype=bool)
    several[order] = np.repeat(sizes > 1, sizes)
    _refuse_repeated_lines(frame, purchase & several & ~has_line)
    # Other one-row events whose values the checked constructors would accept as they are
    # (`ready`); everything else (and every error) goes through those constructors.
    point_rows = np.flatnonzero(np.isin(kind_values, ["redeem", "adjust"]))
    point_codes = np.full(n, -1, dtype=np.intp)
    point_codes[point_rows], point_values = _coded_ints(frame, "points", point_rows, _whole)
    is_int = _of_type(point_values, int)
    positive = np.zeros(len(point_values), dtype=bool)
    nonzero = np.zeros(len(point_values), dtype=bool)
    positive[is_int] = point_values[is_int].astype(np.int64) >= 1
    nonzero[is_int] = point_values[is_int].astype(np.int64) != 0
    missing = _objects([v is None for v in point_values]).astype(bool)
    has_ref = filled("ref")
    ready |= (kind_values == "refund") & has_ref & ~has_line
    ready |= (kind_values == "cancel_redemption") & has_ref
    ready |= (kind_values == "redeem") & (
        positive[point_codes] | (missing[point_codes] & filled("reward"))
    )
    ready |= (kind_values == "adjust") & nonzero[point_codes]
    ready |= (kind_values == "enroll") & ~filled("birth_date")
    ready &= ids.astype(bool)
    labels = frame.index
    # Rows carrying a currency, a tender, an expiry or a count go through the checked path.
    special = ~pd.isna(expires) | involuntary
    for name in _SPECIAL:
        if name in frame.columns:
            special |= _filled(frame[name].to_numpy(dtype=object))
    for name, values in count_columns.items():
        in_use = _filled(values)
        _only_on(frame, name, in_use & ~np.isin(kind_values, _COUNT_KINDS), _COUNT_KINDS)
        special |= in_use
    ready &= ~special

    # The events in replay-building order: each one's first row and how it is built.
    event_bounds = np.append(event_starts, n)
    first = order[event_starts]
    how = np.full(len(event_starts), _SLOW, dtype=np.int8)
    one = ready[first] & (np.diff(event_bounds) == 1)
    for way, what in _WAYS.items():
        how[one & (kind_code[first] == _KINDS.index(what))] = way
    at = {way: np.flatnonzero(how == way) for way in _WAYS}
    rows_of = {way: first[at[way]] for way in _WAYS}
    # Equal lines of one-line purchases are one object (and one tuple of it): immutable values.
    bought = rows_of[_PURCHASE]
    combo, firsts = _combined(
        text["line"][0][bought],
        amount_codes[bought],
        quantity_codes[bought],
        text["sku"][0][bought],
        text["category"][0][bought],
        discount_codes[bought],
    )
    shown = bought[firsts]
    line_ids = text_at("line", shown)
    line_ids[line_ids == ""] = "1"
    lines = _create(
        PurchaseLine,
        ("line_id", "amount", "quantity", "sku", "category", "discount"),
        [
            line_ids,
            amount_values[amount_codes[shown]],
            quantity_values[quantity_codes[shown]],
            text_at("sku", shown),
            text_at("category", shown),
            discount_values[discount_codes[shown]],
        ],
        0,
        len(shown),
    )
    points_of = {way: point_values[point_codes[rows_of[way]]] for way in (_REDEEM, _ADJUST)}
    reasons = text_at("reason", rows_of[_ADJUST])
    reasons[reasons == ""] = "adjust"
    # Each kind's slots, in the class's order: per-event values (in event order) or a constant.
    made: dict[int, tuple[type[Any], tuple[str, ...], list[Any]]] = {
        _PURCHASE: (
            Purchase,
            ("lines", "channel", "tenders", "counts"),
            [_objects(list(zip(lines)))[combo], text_at("channel", bought), (), ()],
        ),
        _REFUND: (Refund, ("purchase_id", "lines"), [text_at("ref", rows_of[_REFUND]), ()]),
        _CANCEL: (
            CancelRedemption,
            ("redemption_id", "involuntary"),
            [text_at("ref", rows_of[_CANCEL]), False],
        ),
        _REDEEM: (
            Redeem,
            ("reward", "points", "currency"),
            [text_at("reward", rows_of[_REDEEM]), points_of[_REDEEM], None],
        ),
        _ADJUST: (
            Adjust,
            ("points", "reason", "currency", "expires_at", "spend", "qualifying_points", "counts"),
            [points_of[_ADJUST], reasons, None, None, _ZERO, 0, ()],
        ),
        _ENROLL: (Enroll, ("birth_date", "channel"), [None, text_at("channel", rows_of[_ENROLL])]),
    }
    for way, (cls, names, slots) in made.items():
        rows = rows_of[way]
        made[way] = (cls, ("event_id", "time", *names), [ids[rows], stamps[rows], *slots])
    columns: dict[str, np.ndarray[Any, Any]] = {}

    def slow(rows: np.ndarray[Any, Any]) -> Event:
        """An event of several rows, or of doubtful values (the checked constructors)."""
        if kind_values[rows[0]] == "purchase" and _checked_lines(
            kind_values[rows].tolist(),
            stamps[rows].tolist(),
            ready[rows].tolist(),
            text_at("line", rows).tolist(),
        ):
            # Several lines of checked values, agreeing rows and unique line ids.
            return _unchecked_purchase(
                ids[rows[0]],
                stamps[rows[0]],
                tuple(
                    zip(
                        [text or str(pos) for pos, text in enumerate(text_at("line", rows), 1)],
                        amount_values[amount_codes[rows]].tolist(),
                        quantity_values[quantity_codes[rows]].tolist(),
                        text_at("sku", rows).tolist(),
                        text_at("category", rows).tolist(),
                        discount_values[discount_codes[rows]].tolist(),
                        strict=True,
                    )
                ),
                text_at("channel", rows[:1])[0],
            )
        if not columns:  # the raw cells, read once (error messages quote them)
            empty = np.full(n, None, dtype=object)
            raw = {name: frame[name].to_numpy(dtype=object) for name in _OPTIONAL if name in frame}
            columns.update({name: raw.get(name, empty) for name in _OPTIONAL})
            columns["expires_at"] = expires
            columns["until"] = until
            columns["involuntary"] = involuntary
            for name, counted in count_columns.items():
                columns["count:" + name] = counted
        return _build(rows.tolist(), ids, stamps, kind_values, columns, labels, event_id)

    # Members a block at a time: every kind's events of the block built column-wise, in C.
    ends = np.searchsorted(event_starts, np.append(member_starts, n))
    members = np.asarray(uniques, dtype=object)
    # Each event's instant in UTC (that of its first row), in event order, as microseconds:
    # the datetimes are made a block at a time (not all held at once).
    event_utc = None if utc is None else utc[first]
    k0 = 0
    while k0 < len(member_starts):
        k1 = max(int(np.searchsorted(ends, ends[k0] + _CHUNK, side="right")) - 1, k0 + 1)
        e0, e1 = int(ends[k0]), int(ends[k1])
        block = np.empty(e1 - e0, dtype=object)
        for way, (cls, names, slots) in made.items():
            lo, hi = np.searchsorted(at[way], [e0, e1]).tolist()
            if hi > lo:
                built = _create(cls, names, slots, lo, hi)
                block[at[way][lo:hi] - e0] = _objects(built)
        for e in np.flatnonzero(how[e0:e1] == _SLOW).tolist():
            block[e] = slow(order[event_bounds[e0 + e] : event_bounds[e0 + e + 1]])
        starts = (ends[k0 : k1 + 1] - e0).tolist()
        block_utc = None if event_utc is None else _from_wall(event_utc[e0:e1], dt.UTC)
        for k, a, b in zip(range(k0, k1), starts, starts[1:], strict=False):
            who = members[k]
            yield (
                (who.item() if isinstance(who, np.generic) else who),
                block[a:b].tolist(),
                None if block_utc is None else block_utc[a:b],
            )
        k0 = k1


def _refuse_bytes(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Refuse bytes in text columns (ids, sku, reason, ...): undecoded text, e.g. GBK.

    ``str(b"...")`` would be their repr (``"b'...'"``), a different id or sku than
    the text meant; the encoding is the caller's to state. Only object columns that hold
    bytes (alone or mixed with other values) are looked at one by one.
    """
    for column in dict.fromkeys(columns):
        if column not in frame.columns or frame[column].dtype != object:
            continue
        values = frame[column].to_numpy()
        if not pd.api.types.infer_dtype(values, skipna=True).startswith(("bytes", "mixed")):
            continue  # strings, numbers, ...: no bytes among them, no loop over the rows
        raw = np.fromiter((isinstance(v, bytes) for v in values), dtype=bool, count=len(values))
        if raw.any():
            raise InvalidInputError(
                _OWNER,
                column,
                expected="text (str), not bytes",
                found=f"{int(raw.sum())} bytes values such as {values[raw][0]!r}",
                rows=first_labels(frame.index, raw),
                total=int(raw.sum()),
                hint="Decode the column first, e.g. frame[col].str.decode('gbk'), or read the "
                "file with its encoding (pd.read_csv(path, encoding='gbk')).",
            )


def _filled(values: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Rows of an optional column holding a value (:func:`_present`, once per distinct value)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keep = np.array([_present(u) for u in uniques] + [False], dtype=bool)
    return keep[codes]


#: The kinds whose rows read the ``counts=`` columns (a purchase's counts, an adjustment's
#: counts credited, a grant's target thresholds).
_COUNT_KINDS = ("purchase", "adjust", "tier_grant")


def _only_on(
    frame: pd.DataFrame, column: str, wrong: np.ndarray[Any, Any], kinds: Sequence[str]
) -> None:
    """Refuse values of ``column`` on rows (``wrong``) of kinds other than ``kinds``."""
    if wrong.any():
        raise InvalidInputError(
            _OWNER,
            column,
            expected=f"values on {', '.join(kinds)} rows only (leave the other rows empty)",
            found=f"{int(wrong.sum())} rows of other kinds with a value",
            rows=first_labels(frame.index, wrong),
            total=int(wrong.sum()),
        )


def _count_names(counts: Sequence[str]) -> tuple[str, ...]:
    """The column names ``counts=`` gives, checked: a list of distinct new names."""
    if isinstance(counts, str) or not isinstance(counts, Sequence):
        raise ConfigError(
            _OWNER, "counts", expected="a list of column names, e.g. ['nights', 'stays']",
            found=repr(counts),
        )  # fmt: skip
    names = list(counts)
    bad = [n for n in names if not isinstance(n, str) or not n or n in _OPTIONAL]
    if bad or len(set(names)) != len(names):
        raise ConfigError(
            _OWNER, "counts", expected="distinct column names other than the table's own columns",
            found=repr(counts),
        )  # fmt: skip
    return tuple(names)


def _count_columns(frame: pd.DataFrame, counts: Sequence[str]) -> dict[str, np.ndarray[Any, Any]]:
    """The named activity-count columns ``counts=`` names, checked present."""
    names = _count_names(counts)
    require_columns(frame, list(names), _OWNER)
    return {name: frame[name].to_numpy(dtype=object) for name in names}


def _expiry_column(
    frame: pd.DataFrame,
    program: Program,
    date_format: str | None,
    date_unit: str | None,
    column: str = "expires_at",
) -> np.ndarray[Any, Any]:
    """An end column (``expires_at``, ``until``) as datetimes in the program's zone.

    Read like ``time`` (naive values in the program's zone); None where empty. Each value
    is an end: the first instant without the grant or the points. A date without a time of
    day is refused (:func:`_refuse_whole_days`): as an end it reads two ways.
    """
    out = np.full(len(frame), None, dtype=object)
    if column not in frame.columns:
        return out
    filled = _filled(frame[column].to_numpy(dtype=object))
    if filled.any():
        read = datetime_column(
            frame.loc[filled, [column]], column, _OWNER, tz=program.zone,
            date_format=date_format, date_unit=date_unit,
        )  # fmt: skip
        _refuse_whole_days(frame, column, filled, read, date_format, date_unit=date_unit)
        out[filled] = np.asarray(read.dt.to_pydatetime(), dtype=object)
    return out


#: An end column's two readings of a day, for the hint: through it, up to its start, and
#: what the end of the first reading is.
_ENDS = {
    "until": ("a grant through", "one ending as", "the first instant without it"),
    "expires_at": ("points usable through", "points expiring as", "the first instant without them"),
}


def _refuse_whole_days(
    frame: pd.DataFrame,
    column: str,
    filled: np.ndarray[Any, Any],
    read: pd.Series,
    date_format: str | None,
    *,
    date_unit: str | None = None,
) -> None:
    """Refuse dates without a time of day in an end column (``until``, ``expires_at``).

    A date alone reads two ways as an end: through that day (people write "valid through
    2025-12-31"), or up to its start (its midnight, the first instant without, as a tier's
    ``valid_until``). Nothing is guessed: the hint spells both readings of the first one.
    A whole Excel day number is a date alone too (Excel stores a date and its midnight
    alike), and neither reading can be written in Excel: the hint converts with pandas.
    """
    values = frame.loc[filled, column]
    days = whole_day_mask(values, date_format, date_unit)
    if not days.any():
        return
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.flatnonzero(filled)[days]] = True
    count = int(mask.sum())
    first = int(np.flatnonzero(days)[0])
    raw = values.iloc[first]
    start: dt.date = read.iloc[first].date()
    name = f"{start.day} {start:%B %Y}"
    after = start + dt.timedelta(days=1)
    if isinstance(raw, str):
        shown = raw.strip()
    else:
        shown = str(raw) if isinstance(raw, dt.date | np.datetime64 | int | np.integer) else ""
        shown = shown or start.isoformat()
    through, ending, reading = _ENDS[column]
    note = ""
    if date_unit == "excel" and not isinstance(raw, dt.date | np.datetime64):
        # Both readings are a midnight, which Excel writes as a whole number again.
        shown = shown if isinstance(raw, str) else str(raw)
        note = f" (the Excel day number of {start.isoformat()})"
        convert = excel_datetimes("events", column)
        hint = (
            f"As an end, a date alone reads two ways, and {EXCEL_WHOLE_DAY}, so neither can "
            f"be written there: pass datetimes, {convert} + pd.Timedelta(days=1) for "
            f"{through} {name} ({reading}), or {convert} for {ending} {name} begins."
        )
    else:
        written, how = "%Y-%m-%d 00:00", ""
        if date_format not in (None, "ISO8601") and not isinstance(raw, dt.date | np.datetime64):
            # Text or numbers read with the format: spelled in it, with a time of day.
            stated = f"{date_format} %H:%M"
            written = stated.replace("%H:%M", "00:00")
            how = f", with date_format={stated!r} (which reads the time column too)"
        hint = (
            f"As an end, a date alone reads two ways: write {after.strftime(written)} for "
            f"{through} {name} ({reading}), or {start.strftime(written)} for {ending} {name} "
            f"begins{how}."
        )
    raise InvalidInputError(
        _OWNER,
        column,
        expected="instants: a date with a time of day (or datetimes)",
        found=f"{count} {'date' if count == 1 else 'dates'} without a time of day, "
        f"such as {shown!r}{note}",
        rows=first_labels(frame.index, mask),
        total=count,
        hint=hint,
    )


def _involuntary_column(frame: pd.DataFrame, kinds: pd.Series) -> np.ndarray[Any, Any]:
    """The ``involuntary`` column as bools (all False without it), on cancellations only.

    Read by the library's one flag reader (:func:`crmkit._validate.flag_column`; empty
    cells are False); True on a row of another kind is refused.
    """
    if "involuntary" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    flags = flag_column(frame, "involuntary", _OWNER, blank=False)
    wrong = flags & (kinds.to_numpy(dtype=object) != "cancel_redemption")
    if wrong.any():
        raise InvalidInputError(
            _OWNER,
            "involuntary",
            expected="True on cancel_redemption rows only (leave the other rows empty or False)",
            found=f"{int(wrong.sum())} rows of other kinds with True",
            rows=first_labels(frame.index, wrong),
            total=int(wrong.sum()),
        )
    return flags


def _refuse_repeated_lines(frame: pd.DataFrame, unlabelled: np.ndarray[Any, Any]) -> None:
    """Refuse purchase rows without a line id that repeat another row in every column.

    Rows of one purchase without line ids become its lines "1", "2", ...: a row exported
    twice would silently earn twice, so identical rows are refused, naming them.
    """
    if int(unlabelled.sum()) < 2:
        return
    rows = frame.loc[unlabelled]
    try:
        repeated = rows.duplicated(keep=False).to_numpy()
    except TypeError:  # unhashable cells: compare their text
        repeated = rows.astype(str).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.flatnonzero(unlabelled)[repeated]] = True
    count = int(mask.sum())
    raise InvalidInputError(
        _OWNER,
        "line",
        expected="purchase rows that differ, or a line id on each row",
        found=f"{count} purchase rows without a line id that repeat another row",
        rows=first_labels(frame.index, mask),
        total=count,
        hint=(
            "Drop duplicated rows (frame.drop_duplicates()), give a 'line' column, or write "
            "one row with quantity= for several units."
        ),
    )


def _whole(value: Any) -> Any:
    try:
        return _int_or_none(value, _OWNER, "points", None)
    except InvalidInputError:
        return _BAD


def _quantity(value: Any) -> Any:
    try:
        return _int_or_none(value, _OWNER, "quantity", None)
    except InvalidInputError:
        return _BAD


def _checked_lines(
    kinds: list[str], stamps: list[dt.datetime], ready: list[bool], lines: list[str]
) -> bool:
    """Whether purchase rows passed the column checks, agree, and give unique line ids."""
    at = stamps[0]
    if not all(ready) or any(k != "purchase" for k in kinds) or any(t != at for t in stamps):
        return False
    ids = [text or str(pos) for pos, text in enumerate(lines, start=1)]
    return len(set(ids)) == len(ids)


#: The kinds of event each special column belongs to.
_SPECIAL_KINDS = {
    "currency": ("purchase", "redeem", "adjust"),
    "tender_points": ("purchase",),
    "tender_amount": ("purchase",),
    "expires_at": ("adjust",),
    "spend": ("adjust", "tier_grant"),
    "qualifying_points": ("adjust", "tier_grant"),
}


def _present(value: Any) -> bool:
    """A cell holding a value: not missing (None, NA, NaN, NaT) and not blank text."""
    return value is not pd.NaT and bool(_text(value).strip())


def _refuse_misplaced(
    what: str, rows: list[int], columns: dict[str, np.ndarray[Any, Any]], labels: pd.Index
) -> None:
    """Refuse a special column's value on a kind it does not belong to, or misplaced.

    The first row of an event holds its value; later rows are empty or equal.
    """
    first = rows[0]
    for name, values in columns.items():
        if name in _SPECIAL_KINDS or name.startswith("count:"):
            for r in rows[1:]:
                if _present(values[r]) and values[r] != values[first]:
                    raise InvalidInputError(
                        _OWNER,
                        name.removeprefix("count:"),
                        expected="the event's value on its first row (later rows empty or equal)",
                        found=f"{values[r]!r} after {values[first]!r}",
                        rows=[labels[r]],
                    )
    for name, kinds in _SPECIAL_KINDS.items():
        if what in kinds:
            continue
        for r in rows:
            if _present(columns[name][r]):
                raise InvalidInputError(
                    _OWNER,
                    name,
                    expected=f"values on {' and '.join(kinds)} rows only",
                    found=f"{columns[name][r]!r} on a {what} row",
                    rows=[labels[r]],
                )


def _points_tender(
    columns: dict[str, np.ndarray[Any, Any]], first: int, labels: pd.Index, currency: str | None
) -> list[Tender]:
    """A purchase's points tender from ``tender_points``/``tender_amount`` (first row)."""
    label = labels[first]
    points = _int_or_none(columns["tender_points"][first], _OWNER, "tender_points", label)
    money = columns["tender_amount"][first]
    if points is None:
        for name, value in (("tender_amount", money), ("currency", currency)):
            if _present(value):
                raise InvalidInputError(
                    _OWNER, name, expected="a points tender: give tender_points too",
                    found=repr(value), rows=[label],
                )  # fmt: skip
        return []
    if not _present(money):
        raise InvalidInputError(
            _OWNER, "tender_amount", expected="the money value the tender_points cover",
            found="none", rows=[label],
        )  # fmt: skip
    try:
        return [Tender("points", to_decimal(money, _OWNER, "tender_amount"), points=points,
                       currency=currency)]  # fmt: skip
    except (InvalidInputError, ConfigError) as err:
        column = {"points": "tender_points", "amount": "tender_amount"}.get(err.field, err.field)
        raise InvalidInputError(
            _OWNER, column, expected=err.expected, found=err.found, rows=[label], hint=err.hint
        ) from err


def _named_counts(
    columns: dict[str, np.ndarray[Any, Any]], first: int, labels: pd.Index, *, signed: bool = False
) -> dict[str, int]:
    """An event's named activity counts from the ``counts=`` columns (first row).

    A purchase's are at least 0; an adjustment's are ``signed`` (a correction takes them back).
    """
    out: dict[str, int] = {}
    for key, values in columns.items():
        if not key.startswith("count:"):
            continue
        name = key.removeprefix("count:")
        value = _int_or_none(values[first], _OWNER, name, labels[first])
        if value is None:
            continue
        if value < 0 and not signed:
            raise InvalidInputError(
                _OWNER, name, expected="counts of at least 0", found=repr(value),
                rows=[labels[first]],
            )  # fmt: skip
        out[name] = value
    return out


def _build(  # noqa: PLR0917 - internal
    rows: list[int],
    ids: np.ndarray[Any, Any],
    stamps: np.ndarray[Any, Any],
    kinds: np.ndarray[Any, Any],
    columns: dict[str, np.ndarray[Any, Any]],
    labels: pd.Index,
    event_id: str,
) -> Event:
    """One event through the checked constructors (errors name the table row)."""
    amount, discount, quantity = columns["amount"], columns["discount"], columns["quantity"]
    line, sku, category, channel = (
        columns["line"],
        columns["sku"],
        columns["category"],
        columns["channel"],
    )
    ref, points, reward = columns["ref"], columns["points"], columns["reward"]
    reason, birth = columns["reason"], columns["birth_date"]
    first = rows[0]
    eid = ids[first]
    what = kinds[first]
    at: dt.datetime = stamps[first]
    for r in rows[1:]:
        if kinds[r] != what or stamps[r] != at:
            raise InvalidInputError(
                _OWNER,
                event_id,
                expected="rows of one event to share kind and time",
                found=f"event {eid!r} with differing rows",
                rows=[labels[r]],
            )
    _refuse_misplaced(what, rows, columns, labels)
    currency = _text(columns["currency"][first]) or None
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
            event = Purchase(
                eid,
                at,
                lines=lines,
                channel=_text(channel[first]),
                counts=_named_counts(columns, first, labels),
            )
            tender = _points_tender(columns, first, labels, currency)
            if tender:
                rest = event.net - tender[0].amount
                money = [Tender("other", rest)] if rest > 0 else []
                event = attrs.evolve(event, tenders=[*tender, *money])
        elif what == "refund":
            refund_lines = [
                RefundLine(_text(line[r]), _int_or_none(quantity[r], _OWNER, "quantity", labels[r]))
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
                currency=currency,
            )
        elif what == "adjust":
            value = _int_or_none(points[first], _OWNER, "points", labels[first])
            spend = columns["spend"][first]
            status = _int_or_none(
                columns["qualifying_points"][first], _OWNER, "qualifying_points", labels[first]
            )
            event = Adjust(
                eid,
                at,
                points=0 if value is None else value,
                reason=_text(reason[first]) or "adjust",
                currency=currency,
                expires_at=columns["expires_at"][first],
                spend=to_decimal(spend, _OWNER, "spend") if _present(spend) else _ZERO,
                qualifying_points=0 if status is None else status,
                counts=_named_counts(columns, first, labels, signed=True),
            )
        elif what == "tier_grant":
            event = _grant(rows, ids, at, columns, labels, event_id)
        elif what == "cancel_redemption":
            event = CancelRedemption(
                eid, at, _text(ref[first]), involuntary=bool(columns["involuntary"][first])
            )
        elif what == "enroll":
            event = Enroll(
                eid,
                at,
                birth_date=_text(birth[first]) or None,
                channel=_text(channel[first]),
            )
        else:
            event = ProfileUpdate(eid, at, birth_date=_text(birth[first]) or None)
    except (InvalidInputError, ConfigError) as err:  # ConfigError: a checked constructor's
        if err.rows:  # refusal of a table value (walksvc: it named no row), e.g. amount < 0
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
    return event


def _grant(  # noqa: PLR0917 - internal
    rows: list[int],
    ids: np.ndarray[Any, Any],
    at: dt.datetime,
    columns: dict[str, np.ndarray[Any, Any]],
    labels: pd.Index,
    event_id: str,
) -> TierGrant:
    """A tier_grant row as a :class:`TierGrant` (its target from the threshold columns)."""
    first = rows[0]
    label = labels[first]
    if len(rows) > 1:
        raise InvalidInputError(
            _OWNER, event_id, expected="one row per tier_grant event",
            found=f"event {ids[first]!r} on {len(rows)} rows", rows=[labels[rows[1]]],
        )  # fmt: skip
    for name, what in (("tier", "the tier granted"), ("until", "the grant's end"),
                       ("reason", "the grant's reason code")):  # fmt: skip
        if not _present(columns[name][first]):
            raise InvalidInputError(
                _OWNER, name, expected=f"{what} on tier_grant rows", found="none", rows=[label]
            )
    if _present(columns["points"][first]):  # a target's points are qualifying points
        raise InvalidInputError(
            _OWNER, "points", expected="empty on tier_grant rows",
            found=repr(columns["points"][first]), rows=[label],
            hint="A target's points threshold is the qualifying_points column.",
        )  # fmt: skip
    spend = columns["spend"][first]
    thresholds: dict[str, Any] = {
        "spend": to_decimal(spend, _OWNER, "spend") if _present(spend) else None,
        "points": _int_or_none(
            columns["qualifying_points"][first], _OWNER, "qualifying_points", label
        ),
        "counts": _named_counts(columns, first, labels),
    }
    target = None
    if thresholds["counts"] or thresholds["spend"] is not None or thresholds["points"] is not None:
        try:
            target = Qualification(**thresholds)
        except ConfigError as err:
            column = {"points": "qualifying_points"}.get(err.field, err.field)
            raise InvalidInputError(
                _OWNER, column, expected=err.expected, found=err.found, rows=[label]
            ) from err
    return TierGrant(
        ids[first],
        at,
        tier=_text(columns["tier"][first]),
        until=columns["until"][first],
        reason=_text(columns["reason"][first]),
        ladder=_text(columns["ladder"][first]) or None,
        target=target,
    )


def events_from_frame(
    frame: pd.DataFrame,
    program: Program,
    *,
    member: str = "member_id",
    event_id: str = "event_id",
    time: str = "time",
    kind: str = "kind",
    counts: Sequence[str] = (),
    date_format: str | None = None,
    date_unit: str | None = None,
) -> dict[Hashable, list[Event]]:
    """Turn an events table into event objects per member (its columns: :func:`replay_many`).

    Args:
        frame: The events table (not modified).
        program: The program (its zone reads naive times).
        member: Column of member ids.
        event_id: Column of event ids.
        time: Column of event times.
        kind: Column of event kinds.
        counts: Columns of named activity counts of purchases (``["nights", "stays"]``).
        date_format: The ``strftime`` format of a text time column that is not ISO 8601
            (e.g. ``"%d/%m/%Y %H:%M"``), or ``"%Y%m%d"`` for integer dates.
        date_unit: The unit of a numeric time column (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).

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
        iter_member_events(
            frame,
            program,
            member=member,
            event_id=event_id,
            time=time,
            kind=kind,
            counts=counts,
            date_format=date_format,
            date_unit=date_unit,
        )
    )


def replay_many(
    events: pd.DataFrame,
    program: Program,
    *,
    as_of: dt.datetime | dt.date | str,
    member: str = "member_id",
    event_id: str = "event_id",
    time: str = "time",
    kind: str = "kind",
    counts: Sequence[str] = (),
    expiring_days: int = 30,
    on_error: str = "raise",
    workers: int = 1,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> pd.DataFrame:
    """Replay every member of an events table at ``as_of``: one row of state per member.

    Each member's events go through exactly the path of :meth:`Program.replay`, so a row
    equals the replay of that member alone.

    The table has one row per event (a purchase or refund with several lines has one row per
    line, sharing the ``event_id``). Columns, by their default names:

    ====================== ==========================================================
    ``member_id``          the member (required)
    ``event_id``           the event's id, unique per member (required)
    ``time``               when; naive values are read in the program's zone (required)
    ``kind``               enroll, profile, purchase, refund, redeem, cancel_redemption, adjust,
                           tier_grant
    ``amount``             purchase line amount: Decimal, int or decimal string (never float)
    ``discount``           purchase line discount (default 0)
    ``quantity``           purchase line units (default 1); refund line units (default: the rest)
    ``line``               line id (default: the row's position within the event, from "1"; rows
                           without one that repeat another row in every column are refused)
    ``sku``                purchase line sku
    ``category``           purchase line category
    ``channel``            purchase channel (first row of the event)
    ``ref``                refund: the purchase id; cancel_redemption: the redemption id
    ``points``             redeem: points (empty = catalogue price); adjust: signed points
                           (empty = 0: an adjustment of status credit only)
    ``reward``             redeem: the reward's catalogue key
    ``reason``             adjust: the reason code (default ``"adjust"``); tier_grant: the
                           grant's reason code, e.g. ``"status_match"`` (required)
    ``birth_date``         enroll/profile: ISO date
    ``currency``           redeem, adjust, and a purchase's points tender: the point currency
                           (empty = the primary one; programs with several point currencies)
    ``expires_at``         adjust (a credit): the lot's expiry (:attr:`Adjust.expires_at
                           <crmkit.loyalty.Adjust.expires_at>`), the first instant without
                           the points: an instant read like ``time``, e.g.
                           ``2023-07-31 00:00`` for points usable through 30 July; a date
                           alone (``2023-07-30``, a ``datetime.date``, ``20230730`` with
                           ``date_format="%Y%m%d"``) is refused: as an end it reads two ways
    ``spend``              adjust: qualifying spend credited to the tier counters (signed;
                           Decimal, int or decimal string; empty = 0), e.g. an MQD head start;
                           tier_grant: the target's spend threshold (empty = none)
    ``qualifying_points``  adjust: qualifying points credited to the tier counters (signed
                           whole number; empty = 0); tier_grant: the target's points
                           threshold (empty = none)
    ``tender_points``      purchase (first row of the event): points paid with
    ``tender_amount``      purchase (first row): the money those points cover (the rest of the
                           order counts as paid in money: a tender of kind ``"other"``)
    ``involuntary``        cancel_redemption: True for an involuntary cancellation
                           (:attr:`CancelRedemption.involuntary`; true/false, 1/0,
                           yes/no or 是/否, any case; empty = False)
    ``tier``               tier_grant: the tier granted (:attr:`TierGrant.tier
                           <crmkit.loyalty.TierGrant.tier>`; required)
    ``until``              tier_grant: when the grant ends (required), the first instant
                           without it (as a tier's ``valid_until``): an instant read like
                           ``time``, e.g. ``2023-07-31 00:00`` for a grant through 30 July
                           (``as_of="2023-07-30"``, the end of that day, still shows it); a
                           date alone is refused, as ``expires_at``
    ``ladder``             tier_grant: the ladder's name in a program with several (empty =
                           the primary ladder)
    ====================== ==========================================================

    Only ``member_id``, ``event_id``, ``time`` and ``kind`` are required; a missing optional
    column takes its default. A refund row with no ``line`` refunds the whole purchase.
    Named activity counts of purchases (nights, stays, segments: what
    :attr:`Tier.counts <crmkit.loyalty.Tier.counts>` qualifies on) come from the columns
    named by ``counts=`` (``counts=("nights", "stays")``: whole numbers on the first row of a
    purchase, empty = 0; on an adjust row, signed counts credited to the tier counters,
    as :attr:`Adjust.counts <crmkit.loyalty.Adjust.counts>`; on a tier_grant row, the
    target's count thresholds; other kinds leave them empty). A tier_grant row is a
    :class:`~crmkit.loyalty.TierGrant` whose ``target`` is a
    :class:`~crmkit.loyalty.Qualification` of the ``spend``, ``qualifying_points`` and
    ``counts=`` values it sets (none set: no target; a target on orders is not read from a
    table); ``until`` on a row of another kind is refused, while ``tier`` and ``ladder``
    are read on tier_grant rows only (an export's tier at each purchase is not a grant).
    Each row of state equals
    :meth:`Program.replay` of the same events built one by one.

    Args:
        events: The events table (its columns above; not modified), or
            a Dask DataFrame of it (the ``dask`` extra; its ``time`` column datetime64):
            the rows are shuffled so each member sits in one partition, every partition is
            replayed as a pandas table, and a lazy Dask DataFrame of the same rows comes
            back (members in partition order).
        program: The program to replay under.
        as_of: The instant of the states (naive: read in the program's zone; a date or
            ``"2025-06-30"`` means the end of that day).
        member: Column of member ids.
        event_id: Column of event ids.
        time: Column of event times.
        kind: Column of event kinds.
        counts: Columns of named activity counts of purchases (``["nights", "stays"]``:
            what ``Tier.counts`` qualifies on), read from each purchase's first row (and
            from adjust rows: status credit without a stay; from tier_grant rows: a
            target's thresholds).
        expiring_days: Horizon of the ``expiring`` column, in days.
        on_error: ``"raise"`` (default, as :meth:`Program.replay`) raises the first
            event the ledger cannot honour; ``"skip"`` leaves such events out and counts
            them in ``rejected``.
        workers: Processes to spread the members over (members are independent; the
            result is the same for any number). 1 (default) runs in this process.
        date_format: The ``strftime`` format of a text time column that is not ISO 8601,
            or ``"%Y%m%d"`` for integer dates (nothing else is guessed).
        date_unit: The unit of a numeric time column (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).

    Returns:
        A DataFrame indexed by member with the columns ``available``, ``pending``,
        ``debt``, ``balance``, ``credited``, ``spent``, ``expired``, ``reversed``,
        ``forfeited`` (int64 points of the program's primary point currency),
        ``cash_offset`` (Decimal: the money the primary currency's shortfalls deduct from
        refunds; a program with several point currencies keeps every other currency's
        figures, its cash offset included, in :attr:`MemberState.by_currency` of
        :meth:`Program.replay`), ``expiring`` (points
        expiring within ``expiring_days``), ``next_expiry`` (the soonest expiry of usable
        points, NaT if none; both read the lots' ``expires_at`` as
        :attr:`MemberState.lots` shows it, so points a tier protects under
        ``tier_basis="held"`` or moves on under ``"extended"`` count only from the earliest
        they can go), ``tier``
        (ordered Categorical of the ladder's tiers, or None), ``tier_since``, ``next_tier`` (the primary ladder), ``events`` (events replayed)
        and ``rejected`` (events left out); a program with several ladders adds one
        ``tier_<ladder>`` column (ordered Categorical) per ladder after the primary one.

    Raises:
        ConfigError: An ``as_of`` that cannot be read (None, NaT, a number,
            ``"2025-02-31"``, a year outside 1678-2261 as text or a date) or outside the
            years 1000-9000 a replay supports (the message names ``replay_many()``); a
            bad ``workers``, ``expiring_days``, ``on_error`` or ``program``.
        SchemaError: A required column is missing, or money is float.
        InvalidInputError: Event rows that cannot be read (unknown kinds, missing values,
            bad numbers or times, a date alone in an end column), with their row labels.
        LedgerError: With ``on_error="raise"``, the first event the ledger cannot honour
            (as :meth:`Program.replay`).

    Examples:
        >>> from crmkit.datasets import loyalty_events
        >>> frame = loyalty_events(n_members=3, seed=1)
        >>> program = Program(timezone="Asia/Shanghai")
        >>> states = replay_many(frame, program, as_of=frame["time"].max())
        >>> list(states.columns[:4]), len(states)
        (['available', 'pending', 'debt', 'balance'], 3)

        A grant's ``until`` is the first instant without it; a date alone reads two ways:

        >>> from crmkit.loyalty import Tier, TierLadder
        >>> club = Program(timezone="Asia/Shanghai", tiers=TierLadder(
        ...     tiers=[Tier(name="member"), Tier(name="gold", spend="5000")]))
        >>> grant = pd.DataFrame({"member_id": ["m1"], "event_id": ["g1"],
        ...     "time": ["2025-05-01 09:00"], "kind": ["tier_grant"], "tier": ["gold"],
        ...     "until": ["2025-08-01 00:00"], "reason": ["status_match"]})
        >>> replay_many(grant, club, as_of="2025-07-31")["tier"].tolist()
        ['gold']
        >>> replay_many(grant.assign(until=["2025-07-31"]), club, as_of="2025-07-31")
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: replay_many(): column 'until' must be instants: a date with a time of day (or datetimes); found 1 date without a time of day, such as '2025-07-31' at rows [0]. As an end, a date alone reads two ways: write 2025-08-01 00:00 for a grant through 31 July 2025 (the first instant without it), or 2025-07-31 00:00 for one ending as 31 July 2025 begins.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(_OWNER, "workers", expected="an int of at least 1", found=repr(workers))
    if isinstance(expiring_days, bool) or not isinstance(expiring_days, int) or expiring_days < 0:
        raise ConfigError(
            _OWNER, "expiring_days", expected="an int of at least 0", found=repr(expiring_days)
        )
    check_choice(on_error, ("raise", "skip"), _OWNER, "on_error")
    if not isinstance(program, Program):  # walksvc: was an AttributeError on None
        raise ConfigError(_OWNER, "program", expected="a Program", found=type(program).__name__)
    end = program._as_of(as_of, _OWNER)
    columns: dict[str, Any] = {
        "member": member,
        "event_id": event_id,
        "time": time,
        "kind": kind,
        "counts": _count_names(counts),
        "date_format": date_format,
        "date_unit": date_unit,
    }
    if is_dask(events):
        # Members are independent: shuffle each member's rows into one partition and
        # replay every partition with the pandas path (the program travels by pickle).
        require_dask_columns(events, _OWNER, [member, event_id, time, kind, *columns["counts"]])
        func = functools.partial(
            _replay_frame,
            program=program,
            end=end,
            columns=columns,
            expiring_days=expiring_days,
            on_error=on_error,
        )
        lazy: pd.DataFrame = map_by_key(events, member, list(events.columns), func, owner=_OWNER)
        return lazy
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
    _check_int64(rows, index, events, member)
    return _result_frame(index, rows, program, member)


def _replay_frame(
    part: pd.DataFrame,
    *,
    program: Program,
    end: dt.datetime,
    columns: dict[str, Any],
    expiring_days: int,
    on_error: str,
) -> pd.DataFrame:
    """The pandas path on one partition of a Dask table (empty partitions give no rows)."""
    member = columns["member"]
    if len(part):
        index, rows = _replay_part(part, program, end, columns, expiring_days, on_error)
        _check_int64(rows, index, part, member)
    else:
        index, rows = [], []
    return _result_frame(index, rows, program, member)


def _result_frame(
    index: list[Hashable], rows: list[tuple[Any, ...]], program: Program, member: str
) -> pd.DataFrame:
    """The result table of :func:`replay_many` from the members' summary rows."""
    side = list(program.ladders)[1:]
    result = pd.DataFrame.from_records(
        rows, columns=[*RESULT_COLUMNS, *(f"tier_{name}" for name in side)]
    )
    result.index = pd.Index(index, name=member)
    for column in (*RESULT_COLUMNS[:9], "expiring", "events", "rejected"):
        result[column] = result[column].astype("int64")
    result["cash_offset"] = result["cash_offset"].astype(object)
    result["next_expiry"] = pd.to_datetime(result["next_expiry"], utc=True).dt.tz_convert(
        program.zone
    )
    result["tier_since"] = pd.to_datetime(result["tier_since"], utc=True).dt.tz_convert(
        program.zone
    )
    if program.ladder is not None:
        names = program.ladder.names
        result["tier"] = pd.Categorical(result["tier"], categories=names, ordered=True)
        result["next_tier"] = pd.Categorical(result["next_tier"], categories=names, ordered=True)
    else:
        result["tier"] = result["tier"].astype(object)
        result["next_tier"] = result["next_tier"].astype(object)
    for name in side:
        column = f"tier_{name}"
        names = program.ladders[name].names
        result[column] = pd.Categorical(result[column], categories=names, ordered=True)
    return result


_INT64 = 2**63 - 1


def _check_int64(
    rows: list[tuple[Any, ...]], index: list[Hashable], events: pd.DataFrame, member: str
) -> None:
    """Refuse figures beyond int64 (e.g. an amount of 1e308) with the members' rows."""
    bad = [
        who for who, row in zip(index, rows, strict=True) if any(abs(v) > _INT64 for v in row[:9])
    ]
    if not bad:
        return
    mask = events[member].isin(bad).to_numpy()
    raise InvalidInputError(
        _OWNER,
        "amount",
        expected=f"amounts whose points fit the int64 result columns (at most {_INT64:,})",
        found=f"{len(bad)} members whose points exceed it",
        rows=first_labels(events.index, mask),
        total=int(mask.sum()),
        hint="Check the amount column's unit; Program.replay() keeps exact ints per member.",
    )


def _replay_part(  # noqa: PLR0917 - submitted positionally to worker processes
    events: pd.DataFrame,
    program: Program,
    end: dt.datetime,
    columns: dict[str, Any],
    expiring_days: int,
    on_error: str,
) -> tuple[list[Hashable], list[tuple[Any, ...]]]:
    """Replay the members of one part of the table (runs in a worker process too)."""
    index: list[Hashable] = []
    rows: list[tuple[Any, ...]] = []
    # The garbage collector is left as the host process set it: a library does not change
    # the global state of the process it runs in.
    for who, member_events, instants in _member_events(events, program, **columns):
        try:
            # The row reads balances, lots and tiers, never the postings: none recorded.
            book = program._fold(member_events, end, on_error, journal=False, instants=instants)
        except decimal.DecimalException:  # walksvc: e.g. '1e308' beside another order line
            mask = (events[columns["member"]] == who).to_numpy(dtype=bool)
            raise InvalidInputError(
                _OWNER,
                "amount",
                expected=f"amounts whose points fit the int64 result columns (at most {_INT64:,})",
                found="a member whose order totals exceed the exact points arithmetic",
                rows=first_labels(events.index, mask),
                total=int(mask.sum()),
                hint="Check the amount column's unit.",
            ) from None
        rows.append(_summary(book, end, expiring_days))
        index.append(who)
    return index, rows


_SPENT = operator.attrgetter("spent")
_EXPIRED = operator.attrgetter("expired")
_REVERSED = operator.attrgetter("reversed")
_FORFEITED = operator.attrgetter("forfeited")


def _summary(book: Book, as_of: dt.datetime, expiring_days: int) -> tuple[Any, ...]:
    """One member's row, read straight from the fold (what :class:`MemberState` would say)."""
    tier = book.tier_status(as_of) if book.compiled.ladder is not None else None
    side: tuple[str | None, ...] = ()
    if isinstance(book.program.tiers, dict):
        names = list(book.program.ladders)[1:]
        side = tuple(book._side_status(name, as_of).tier for name in names)
    # The horizon is `expiring_days` calendar days on the local clock (as in
    # MemberState.expiring); the fold keeps instants in UTC, so compare in UTC (no zone
    # offsets to look up per lot).
    horizon = (as_of + dt.timedelta(days=expiring_days)).astimezone(dt.UTC)
    inactivity = book.policy.kind == "inactivity"
    lots = list(book.lots.values())
    spent = sum(map(_SPENT, lots))
    expired = sum(map(_EXPIRED, lots))
    reversed_ = sum(map(_REVERSED, lots))
    forfeited = sum(map(_FORFEITED, lots))
    # The usable lots with points left are the book's consumption queue; the fold has
    # already expired every lot due by as_of. By default the queue is soonest expiry first
    # (undated lots last), so the reading stops at the first lot past the horizon.
    expiring = 0
    soonest: dt.datetime | None = None
    # Rule 5 ("held"): protected lots count from when the protection can end, as
    # MemberState.lots shows them (reported_expiry keeps the queue's order, except under
    # "extended": every lot is read, as under an inactivity deadline, and as under
    # consumption="fifo", whose queue is in earning order).
    held = book.held_at(as_of)
    if not inactivity and held.extend is None and book.queue_in_expiry_order:
        for lot in book.queue:
            expires = reported_expiry(lot.expires_at, as_of, held)
            if expires is None or expires > horizon:
                break
            expiring += lot.remaining  # gone at as_of + days: it expires within the horizon
        if book.queue:
            soonest = reported_expiry(book.queue[0].expires_at, as_of, held)
    else:
        # Undated lots go at the member's inactivity deadline.
        for lot in book.queue:
            expires = reported_expiry(lot.expires_at or book.deadline, as_of, held)
            if expires is None:
                continue
            if expires <= horizon:
                expiring += lot.remaining
            if soonest is None or expires < soonest:
                soonest = expires
    row = (
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
    return row + side if side else row
