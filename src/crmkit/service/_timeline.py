"""The compiled UTC timeline behind :class:`~crmkit.service.BusinessCalendar` arithmetic.

A calendar is compiled, for a range of local dates, into sorted, disjoint, non-touching UTC
intervals ``[open_i, close_i)`` with the cumulative business time ``cum_i`` before each
opening. The business clock ``B(t)`` (business time since the start of the timeline) is then

    i = last interval with open_i <= t;   B(t) = cum_i + min(t, close_i) - open_i

and every operation is a search on it:

- ``add(t, d)``, ``d > 0``: the *earliest* ``u`` with ``B(u) = B(t) + d``
  (``bisect_left`` on the cumulative ends, so a deadline on a closing time is that time);
- ``subtract(t, d)`` and ``breach_at``: the *latest* ``u`` with ``B(u) = target``
  (``bisect_right`` on the cumulative starts, so a flat stretch resolves to its end);
- ``elapsed(a, b) = B(b) - B(a)``.

One unit everywhere: UTC nanoseconds since 1970, Python ``int`` for one instant (searched
with :mod:`bisect`, no numpy call per operation) and ``int64`` arrays for many (searched
with :func:`numpy.searchsorted`); both read the same compiled timeline, so they agree on
every instant.

Everything is compiled from the calendar's plain data (its public attributes: zone name,
weekly intervals, holidays, overrides, recurrence texts, horizon) into an :class:`Engine`
kept beside the frozen calendar with :func:`crmkit._spec.derived`; the calendar holds no
hidden state. A timeline is immutable; the engine keeps the latest one and replaces it with
a wider one (at least doubling the range) when an operation needs more, or compiles afresh
for a range far from it. Results never depend on what is cached: every search is checked
against the calendar's horizon, not against the compiled range.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import numpy as np
from dateutil.rrule import rrulestr

from crmkit._spec import derived
from crmkit.errors import ConfigError, InvalidInputError

if TYPE_CHECKING:
    from crmkit.service._calendar import BusinessCalendar

__all__ = ["Engine", "Timeline", "compile_timeline", "engine", "ensure_timeline"]

DAY_S = 86_400
NS = 1_000_000_000
DAY_NS = DAY_S * NS
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EPOCH_ORDINAL = EPOCH_ORDINAL
_UTC = dt.UTC
_SAMPLE_S = 6 * 3600  # zone offsets are sampled every 6 hours; transitions are then bisected
_FIRST_DATE = dt.date(1, 1, 10)
_LAST_DATE = dt.date(9999, 12, 20)
# Bulk timelines hold int64 nanoseconds (numpy's datetime64[ns]): they stay a few days
# inside 1677-09-21 .. 2262-04-11, whatever the scalar timeline of the calendar spans.
_BULK_FIRST_DATE = dt.date(1677, 9, 25)
_BULK_LAST_DATE = dt.date(2262, 4, 5)

I64 = np.ndarray[Any, np.dtype[np.int64]]
NAT = np.iinfo(np.int64).min  # numpy's NaT as int64
_INT64_MAX = int(np.iinfo(np.int64).max)


def parse_rule(text: str) -> Any:
    r"""Parse one RFC 5545 recurrence (DTSTART + RRULE) with a floating DTSTART.

    Raises:
        ValueError: Not a recurrence, no DTSTART, or a DTSTART with a zone.

    Examples:
        >>> rules = parse_rule("DTSTART:20250101T000000\nRRULE:FREQ=YEARLY")
        >>> rules.after(dt.datetime(2025, 6, 1)).date()
        datetime.date(2026, 1, 1)
    """
    if "DTSTART" not in text.upper():
        raise ValueError("no DTSTART line")
    try:
        rules = rrulestr(text, forceset=True)
        # Floating (naive) bounds: a DTSTART with a zone makes this a TypeError.
        first = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - recurrences are zone-less dates
        rules.between(first, first + dt.timedelta(days=1), inc=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    return rules


class Engine:
    """A calendar compiled from its plain data, with the caches its arithmetic grows.

    Built once per calendar value (see :func:`engine`); the calendar stays pure data.
    ``timeline`` and ``days`` are replaced by wider compilations when needed.
    """

    __slots__ = (
        "bulk_timeline",
        "days",
        "holidays",
        "overrides",
        "rules",
        "timeline",
        "weekly",
        "zone",
    )

    def __init__(
        self,
        timezone: str,
        weekly: tuple[tuple[tuple[int, int], ...], ...],
        holidays: tuple[dt.date, ...],
        overrides: tuple[tuple[dt.date, tuple[tuple[int, int], ...]], ...],
        holiday_rules: tuple[str, ...],
    ) -> None:
        self.zone: dt.tzinfo = zoneinfo.ZoneInfo(timezone)
        self.weekly = weekly
        self.holidays = frozenset(holidays)
        self.overrides = dict(overrides)
        self.rules = tuple(parse_rule(text) for text in holiday_rules)
        self.timeline: Timeline | None = None
        self.bulk_timeline: Timeline | None = None  # inside the int64-nanosecond range
        self.days: DayTable | None = None

    def holidays_in(self, first: dt.date, stop: dt.date) -> frozenset[dt.date]:
        """Explicit holidays plus recurring ones expanded over ``[first, stop)``."""
        if not self.rules:
            return self.holidays
        start = dt.datetime.combine(first, dt.time())
        end = dt.datetime.combine(stop, dt.time()) - dt.timedelta(microseconds=1)
        dates = {hit.date() for rule in self.rules for hit in rule.between(start, end, inc=True)}
        return self.holidays | dates

    def owned_with(
        self, holidays: frozenset[dt.date]
    ) -> Callable[[dt.date], tuple[tuple[int, int], ...]]:
        """The intervals a date owns; precedence override > holiday > weekly hours."""
        overrides, weekly = self.overrides, self.weekly

        def owned(day: dt.date) -> tuple[tuple[int, int], ...]:
            found = overrides.get(day)
            if found is not None:
                return found
            if day in holidays:
                return ()
            return weekly[day.weekday()]

        return owned


def engine(calendar: BusinessCalendar) -> Engine:
    """The :class:`Engine` of ``calendar``, built from its public attributes on first use.

    Examples:
        >>> from crmkit.service import BusinessCalendar
        >>> cal = BusinessCalendar("Asia/Kathmandu", {"mon": [["09:00", "17:00"]]})
        >>> engine(cal).zone
        zoneinfo.ZoneInfo(key='Asia/Kathmandu')
        >>> engine(cal) is engine(cal)
        True
    """
    return derived(
        calendar,
        "engine",
        lambda: Engine(
            calendar.timezone,
            calendar.weekly,
            calendar.holidays,
            calendar.overrides,
            calendar.holiday_rules,
        ),
    )


def _wall_epoch(day: dt.date) -> int:
    """Seconds from 1970-01-01 00:00 to ``day`` 00:00 on a wall clock (no zone)."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY_S


def _offset_at(zone: dt.tzinfo, utc_seconds: int) -> int:
    """The zone's UTC offset in seconds at a UTC instant."""
    local = dt.datetime.fromtimestamp(utc_seconds, zone)
    offset = local.utcoffset()
    assert offset is not None  # fromtimestamp with a tzinfo is always aware
    return offset.days * DAY_S + offset.seconds


@functools.lru_cache(maxsize=8192)
def _year_transitions(zone: dt.tzinfo, year: int) -> tuple[tuple[int, int], ...]:
    """``(utc_second, new_offset)`` of the zone's transitions in ``(Jan 1, next Jan 1]`` UTC.

    Offsets are sampled every 6 hours and each change is bisected to the second; no zone
    has had two transitions within 6 hours. Cached per zone and year.
    """
    start = _wall_epoch(dt.date(year, 1, 1))
    stop = _wall_epoch(dt.date(year + 1, 1, 1))
    found = []
    at = dt.datetime.fromtimestamp
    previous_u, previous = start, at(start, zone).utcoffset()
    for u in [*range(start + _SAMPLE_S, stop, _SAMPLE_S), stop]:
        current = at(u, zone).utcoffset()
        if current != previous:
            low, high = previous_u, u  # offset(low) == previous, offset(high) != previous
            while high - low > 1:
                middle = (low + high) // 2
                if at(middle, zone).utcoffset() == previous:
                    low = middle
                else:
                    high = middle
            found.append((high, _offset_at(zone, high)))
        previous_u, previous = u, current
    return tuple(found)


def _offset_pieces(zone: dt.tzinfo, start: int, stop: int) -> list[tuple[int, int]]:
    """``(utc_from, offset)`` pieces covering ``[start, stop)`` in UTC seconds, in order."""
    pieces = [(start, _offset_at(zone, start))]
    if isinstance(zone, dt.timezone):  # fixed offset
        return pieces
    first_year = (dt.date(1970, 1, 1) + dt.timedelta(seconds=start)).year
    last_year = (dt.date(1970, 1, 1) + dt.timedelta(seconds=stop)).year
    for year in range(max(first_year, 2), min(last_year, 9998) + 1):  # datetime-safe years
        pieces.extend(
            (moment, offset)
            for moment, offset in _year_transitions(zone, year)
            if start < moment < stop
        )
    return pieces


class Timeline:
    """A calendar compiled for the local dates ``[first, stop)``.

    Attributes are read by the arithmetic functions; they are not part of the public API.
    ``lo``/``hi`` (UTC nanoseconds) bound the instants on which the timeline is exact.
    """

    __slots__ = (
        "_arrays",
        "_lookups",
        "b_hi",
        "b_lo",
        "closes",
        "cum",
        "cumend",
        "first",
        "hi",
        "lo",
        "opens",
        "pieces",
        "stop",
    )

    def __init__(
        self,
        first: dt.date,
        stop: dt.date,
        edges: list[tuple[int, int]],
        pieces: list[tuple[int, int]],
    ) -> None:
        self.first = first
        self.stop = stop
        self.pieces = pieces
        self.opens = [start * NS for start, _ in edges]
        self.closes = [end * NS for _, end in edges]
        lengths = [(end - start) * NS for start, end in edges]
        self.cumend = list(accumulate(lengths))
        self.cum = [0, *self.cumend[:-1]] if edges else []
        # Exact on [lo, hi]: every interval owned by a date outside [first, stop) lies
        # outside, since UTC offsets and overnight spills are each under one day.
        self.lo = (_wall_epoch(first) + 2 * DAY_S) * NS
        self.hi = (_wall_epoch(stop) - 2 * DAY_S) * NS
        self.b_lo = self.clock(self.lo)
        self.b_hi = self.clock(self.hi)
        self._arrays: tuple[I64, I64, I64, I64] | None = None
        self._lookups: dict[str, Any] = {}

    def clock(self, t: int) -> int:
        """Business nanoseconds from the timeline's origin to ``t`` (UTC nanoseconds)."""
        i = bisect_right(self.opens, t) - 1
        if i < 0:
            return 0
        close = self.closes[i]
        return self.cum[i] + (t if t < close else close) - self.opens[i]

    @property
    def arrays(self) -> tuple[I64, I64, I64, I64]:
        """``opens, closes, cum, cumend`` as int64 nanoseconds (built on first bulk use)."""
        if self._arrays is None:
            # datetime64[ns] ends in 2262: intervals beyond int64 are never asked for in bulk.
            keep = bisect_left(self.closes, _INT64_MAX)
            try:
                self._arrays = tuple(  # type: ignore[assignment]
                    np.asarray(values[:keep], dtype=np.int64)
                    for values in (self.opens, self.closes, self.cum, self.cumend)
                )
            except OverflowError:  # over ~292 years of round-the-clock business time
                raise InvalidInputError(
                    "BusinessCalendar",
                    "t",
                    expected="instants whose business time from the earliest one fits in "
                    "int64 nanoseconds (about 292 years of round-the-clock hours)",
                    found=f"a span from {self.first} to {self.stop}",
                    kind="",
                ) from None
        assert self._arrays is not None  # set just above
        return self._arrays

    def _guarded(self) -> tuple[I64, I64, I64]:
        """``opens, closes, cum`` with a sentinel interval first.

        Index ``i`` = number of openings at or before ``t`` then gives ``B(t)`` without a
        branch (the sentinel contributes ``0``).
        """
        found = self._lookups.get("guarded")
        if found is None:
            opens, closes, cum, _ = self.arrays
            low = np.array([NAT], dtype=np.int64)
            found = (
                np.concatenate([low, opens]),
                np.concatenate([low, closes]),
                np.concatenate([np.zeros(1, dtype=np.int64), cum]),
            )
            self._lookups["guarded"] = found
        return found

    def search(self, which: str, q: I64, side: str) -> I64:
        """``np.searchsorted(array, q, side)`` for ``which`` in opens / cum / cumend.

        Equal results, several times faster on large unsorted queries: a table gives, per
        bucket of a uniform grid, the answer at the bucket's start; a few vectorised steps
        finish it (the grid has about four buckets per element, so one or two steps).
        """
        key = f"{which}-{side}"
        found = self._lookups.get(key)
        if found is None:
            names = {"opens": 0, "cum": 2, "cumend": 3}
            values = self.arrays[names[which]]
            if len(values) == 0:
                return np.zeros(len(q), dtype=np.int64)
            base = int(values[0]) - 1
            width = max((int(values[-1]) - base) // (4 * len(values)), 1)
            grid = base + width * np.arange((int(values[-1]) - base) // width + 2, dtype=np.int64)
            table = np.searchsorted(values, grid, side=side).astype(np.int64)  # type: ignore[call-overload]
            found = (values, base, width, table)
            self._lookups[key] = found
        values, base, width, table = found
        n = len(values)
        bucket = np.clip((q - base) // width, 0, len(table) - 1)
        index = table[bucket]
        last = n - 1
        while True:
            ahead = values[np.minimum(index, last)]
            step = (index < n) & ((ahead <= q) if side == "right" else (ahead < q))
            if not step.any():
                return index  # type: ignore[no-any-return]
            index = index + step

    def clock_many(self, t: I64) -> I64:
        """Vectorised :meth:`clock` on int64 UTC nanoseconds."""
        opens, closes, cum = self._guarded()
        i = self.search("opens", t, "right")
        return cum[i] + np.minimum(t, closes[i]) - opens[i]

    def localize_many(self, wall: I64) -> I64:
        """Read wall-clock nanoseconds in the zone as PEP 495 ``fold=0`` does (to UTC ns).

        Times in a gap take the offset from before the gap; repeated times take their
        first occurrence: both are ``offset before the transition`` until the wall clock
        passes ``transition + max(old, new offset)``.
        """
        offsets = np.array([offset for _, offset in self.pieces], dtype=np.int64)
        thresholds = np.array(
            [
                start + max(self.pieces[k - 1][1], self.pieces[k][1])
                for k, (start, _) in enumerate(self.pieces)
                if k
            ],
            dtype=np.int64,
        )
        index = np.searchsorted(thresholds * NS, wall, side="right")
        return wall - offsets[index] * NS


def compile_timeline(calendar: BusinessCalendar, first: dt.date, stop: dt.date) -> Timeline:
    """Compile ``calendar`` for the local dates ``[first, stop)``.

    Args:
        calendar: The calendar.
        first: First local date whose intervals are included.
        stop: First local date after the range.

    Returns:
        The timeline; exact for UTC instants in ``[timeline.lo, timeline.hi]``.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.service import BusinessCalendar
        >>> cal = BusinessCalendar("Europe/Berlin", [[("00:00", "24:00")]] * 7)
        >>> tl = compile_timeline(cal, dt.date(2025, 3, 1), dt.date(2025, 4, 3))
        >>> len(tl.opens), (tl.clock(tl.hi) - tl.clock(tl.lo)) // 3_600_000_000_000
        (1, 696)
    """
    compiled = engine(calendar)
    zone = compiled.zone
    owned = compiled.owned_with(compiled.holidays_in(first - dt.timedelta(days=1), stop))
    walls: list[tuple[int, int]] = []
    day = first
    one = dt.timedelta(days=1)
    base = _wall_epoch(first)
    while day < stop:
        for start, end in owned(day):
            if end > start:
                span = (base + start, base + end)
            else:
                span = (base + start, base + end + DAY_S)
            if walls and walls[-1][1] >= span[0]:  # meets or overlaps (across midnight)
                walls[-1] = (walls[-1][0], max(walls[-1][1], span[1]))
            else:
                walls.append(span)
        day += one
        base += DAY_S
    pieces = _offset_pieces(zone, _wall_epoch(first) - 2 * DAY_S, _wall_epoch(stop) + 2 * DAY_S)
    return Timeline(first, stop, _to_utc(walls, pieces), pieces)


def _to_utc(walls: list[tuple[int, int]], pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Map wall-clock intervals to the UTC instants whose wall reading lies inside them."""
    if len(pieces) == 1:  # no transition in range: one shift for all
        offset = pieces[0][1]
        return [(start - offset, end - offset) for start, end in walls]
    bounds = [
        (start, pieces[k + 1][0] if k + 1 < len(pieces) else None, offset)
        for k, (start, offset) in enumerate(pieces)
    ]
    low_offset = min(offset for _, offset in pieces)
    high_offset = max(offset for _, offset in pieces)
    out: list[tuple[int, int]] = []
    p = 0
    for wall_start, wall_end in walls:
        while bounds[p][1] is not None and bounds[p][1] <= wall_start - high_offset:  # type: ignore[operator]
            p += 1
        k = p
        while k < len(bounds) and bounds[k][0] < wall_end - low_offset:
            piece_start, piece_end, offset = bounds[k]
            start = max(wall_start - offset, piece_start)
            end = wall_end - offset if piece_end is None else min(wall_end - offset, piece_end)
            if start < end:
                out.append((start, end))
            k += 1
    out.sort()
    merged: list[tuple[int, int]] = []
    for start, end in out:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _ordinal_of(utc_ns: int) -> int:
    """Proleptic ordinal of the UTC date of ``utc_ns`` (may lie outside the years 1-9999)."""
    return utc_ns // DAY_NS + _EPOCH_ORDINAL


def ensure_timeline(
    calendar: BusinessCalendar,
    lo: int,
    hi: int,
    *,
    bulk: bool = False,
    owner: str = "BusinessCalendar",
    fields: tuple[str, str] = ("t", "t"),
) -> Timeline:
    """Return a timeline exact on ``[lo, hi]`` (UTC nanoseconds), compiling if needed.

    A new timeline covers at least twice the range of the one it replaces, in the
    direction that was missing, so repeated extension costs amortised linear time.

    Args:
        calendar: The calendar whose cache holds the timeline.
        lo: Earliest UTC nanosecond needed.
        hi: Latest UTC nanosecond needed.
        bulk: For the vectorised paths: a separate timeline kept inside the range of
            int64 nanoseconds (1677-2262), so that its arrays never overflow.
        owner: The method the caller called, named by a limit error.
        fields: The arguments ``lo`` and ``hi`` came from, named by a limit error.

    Returns:
        The cached or newly compiled timeline.

    Raises:
        InvalidInputError: The range needs dates outside the years 1-9999 (``bulk``:
            outside 1677-2262), checked before any work.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.service import BusinessCalendar
        >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
        >>> tl = ensure_timeline(cal, 0, 10 * 86_400_000_000_000)
        >>> tl.lo <= 0 and tl.hi >= 10 * 86_400_000_000_000
        True
    """
    compiled = engine(calendar)
    current = compiled.bulk_timeline if bulk else compiled.timeline
    if current is not None and current.lo <= lo and hi <= current.hi:
        return current
    # Work on ordinals so that clamping to the years 1-9999 never overflows a date.
    first = _ordinal_of(lo) - 3
    stop = _ordinal_of(hi) + 4
    low, high = (
        (_BULK_FIRST_DATE.toordinal(), _BULK_LAST_DATE.toordinal())
        if bulk
        else (_FIRST_DATE.toordinal(), _LAST_DATE.toordinal())
    )
    if first < low or stop > high:  # refused up front: no compiling towards the limit
        raise _limit_error(lo if first < low else hi, bulk, owner, fields[first >= low])
    if current is not None:
        old_first, old_stop = current.first.toordinal(), current.stop.toordinal()
        span = old_stop - old_first
        if first > old_stop + span or stop < old_first - span:
            current = None  # far from the cached range: compile afresh, never the gap
    if current is None:
        first, stop = first - 31, stop + 366
    else:
        old_first, old_stop = current.first.toordinal(), current.stop.toordinal()
        span = old_stop - old_first
        first = min(first, old_first - span) if first < old_first else old_first
        stop = max(stop, old_stop + span) if stop > old_stop else old_stop
    timeline = compile_timeline(
        calendar,
        dt.date.fromordinal(min(max(first, low), high)),
        dt.date.fromordinal(min(max(stop, low), high)),
    )
    if not (timeline.lo <= lo and hi <= timeline.hi):
        raise _limit_error(lo if lo < timeline.lo else hi, bulk, owner, fields[lo >= timeline.lo])
    if bulk:
        compiled.bulk_timeline = timeline
    else:
        compiled.timeline = timeline
    return timeline


def _limit_error(t: int, bulk: bool, owner: str, field: str) -> InvalidInputError:
    """The instant ``t`` (UTC nanoseconds, an input or a result) is too near the limits."""
    day = dt.date(1970, 1, 1) + dt.timedelta(days=min(max(t // DAY_NS, -719_162), 2_932_896))
    return InvalidInputError(
        owner,
        field,
        expected=(
            "instants between 1677-09-25 and 2262-04-05 for bulk arithmetic (datetime64[ns])"
            if bulk
            else "an instant a few days inside the years 1 to 9999"
        ),
        found=f"an instant (or a result) on {day.isoformat()}, too close to the limits",
        kind="",
    )


# --------------------------------------------------------------------------------------
# Scalar arithmetic on int nanoseconds
# --------------------------------------------------------------------------------------
def _horizon_error(
    calendar: BusinessCalendar,
    owner: str,
    what: str,
    rows: list[Any] | None = None,
    total: int | None = None,
) -> ConfigError:
    return ConfigError(
        owner,
        "horizon_days",
        expected=f"long enough to reach {what}",
        found=f"no such instant within {calendar.horizon_days} days",
        rows=rows or (),
        total=total,
        hint=(
            "The calendar has no (or not enough) business hours ahead: check its weekly "
            "hours, holidays and overrides, or raise horizon_days."
        ),
    )


def add_ns(calendar: BusinessCalendar, t: int, d: int, owner: str) -> int:
    """``add`` on nanoseconds: earliest ``u`` with ``B(u) = B(t) + d`` (``d < 0``: latest)."""
    if d == 0:
        return t
    horizon = calendar.horizon_days * DAY_NS
    if abs(d) > horizon:
        raise _horizon_error(calendar, owner, f"{abs(d) / 3.6e12:g} h of business time")
    timeline = ensure_timeline(calendar, t, t, owner=owner)
    while True:
        target = timeline.clock(t) + d
        if d > 0 and target <= timeline.b_hi:
            j = bisect_left(timeline.cumend, target)
            u = timeline.opens[j] + target - timeline.cum[j]
            if u - t > horizon:
                break
            return u
        if d < 0 and target >= timeline.b_lo:
            j = bisect_right(timeline.cum, target) - 1
            u = timeline.opens[j] + target - timeline.cum[j]
            if t - u > horizon:
                break
            return u
        if d > 0:
            if timeline.hi >= t + horizon:
                break
            timeline = ensure_timeline(calendar, t, max(timeline.hi + 1, t + d), owner=owner)
        else:
            if timeline.lo <= t - horizon:
                break
            timeline = ensure_timeline(calendar, min(timeline.lo - 1, t + d), t, owner=owner)
    word = "after" if d > 0 else "before"
    raise _horizon_error(
        calendar, owner, f"{abs(d) / 3.6e12:g} h of business time {word} the start instant"
    )


def latest_ns(calendar: BusinessCalendar, t: int, d: int, owner: str) -> int:
    """The latest ``u`` with ``B(u) = B(t) + d`` for ``d >= 0`` (``breach_at``)."""
    horizon = calendar.horizon_days * DAY_NS
    if d > horizon:
        raise _horizon_error(calendar, owner, f"{d / 3.6e12:g} h of business time")
    timeline = ensure_timeline(calendar, t, t, owner=owner)
    while True:
        target = timeline.clock(t) + d
        if target < timeline.b_hi:
            j = bisect_right(timeline.cum, target) - 1
            u = timeline.opens[j] + target - timeline.cum[j]
            if u - t > horizon:
                break
            return u
        if timeline.hi >= t + horizon:
            break
        timeline = ensure_timeline(calendar, t, max(timeline.hi + 1, t + d), owner=owner)
    raise _horizon_error(
        calendar, owner, "the end of the business time that complies (an opening after it)"
    )


def elapsed_ns(
    calendar: BusinessCalendar, a: int, b: int, owner: str = "BusinessCalendar.elapsed()"
) -> int:
    """Signed business nanoseconds from ``a`` to ``b`` (``start`` to ``end`` of ``owner``).

    A span longer than :data:`LONG_SPAN_DAYS` that the cached timeline does not cover is
    counted by :func:`long_elapsed_ns` (no timeline of every day in between).
    """
    fields = ("start", "end") if a <= b else ("end", "start")
    lo, hi = min(a, b), max(a, b)
    current = engine(calendar).timeline
    covered = current is not None and current.lo <= lo and hi <= current.hi
    if not covered and hi - lo > LONG_SPAN_DAYS * DAY_NS:
        _check_limits(lo, hi, owner, fields)
        found = long_elapsed_ns(calendar, lo, hi)
        if found is not None:
            return found if a <= b else -found
    timeline = ensure_timeline(calendar, lo, hi, owner=owner, fields=fields)
    return timeline.clock(b) - timeline.clock(a)


#: Spans longer than this (days) are counted without compiling every day in between.
LONG_SPAN_DAYS = 800

#: From this year on, zone transitions are found by weekly samples (the zone rules there
#: are the tz database's yearly rules: never two transitions within a week).
_WEEKLY_SAMPLES_FROM = 2100


def _check_limits(lo: int, hi: int, owner: str, fields: tuple[str, str]) -> None:
    """The up-front range check of :func:`ensure_timeline` (scalar limits)."""
    first, stop = _ordinal_of(lo) - 3, _ordinal_of(hi) + 4
    low, high = _FIRST_DATE.toordinal(), _LAST_DATE.toordinal()
    if first < low or stop > high:
        raise _limit_error(lo if first < low else hi, False, owner, fields[first >= low])


def _transitions(zone: dt.tzinfo, start: int, stop: int) -> list[tuple[int, int, int]]:
    """``(utc_second, old_offset, new_offset)`` of the zone's transitions in ``(start, stop)``.

    Years before :data:`_WEEKLY_SAMPLES_FROM` use the exact 6-hourly scan
    (:func:`_year_transitions`); later years sample weekly and bisect each change.
    """
    if isinstance(zone, dt.timezone):
        return []
    out: list[tuple[int, int, int]] = []
    previous = _offset_at(zone, start)
    first_year = (dt.date(1970, 1, 1) + dt.timedelta(seconds=start)).year
    last_year = (dt.date(1970, 1, 1) + dt.timedelta(seconds=stop)).year
    exact_until = min(last_year, _WEEKLY_SAMPLES_FROM - 1)
    for year in range(max(first_year, 2), exact_until + 1):
        for moment, offset in _year_transitions(zone, year):
            if start < moment < stop:
                out.append((moment, previous, offset))
                previous = offset
    if last_year < _WEEKLY_SAMPLES_FROM:
        return out
    u = max(start, _wall_epoch(dt.date(_WEEKLY_SAMPLES_FROM, 1, 1)))
    step = 7 * DAY_S
    while u < stop:
        v = min(u + step, stop)
        current = _offset_at(zone, v)
        if current != previous:
            low, high = u, v
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(zone, middle) == previous:
                    low = middle
                else:
                    high = middle
            if high < stop:
                out.append((high, previous, current))
            previous = current
        u = v
    return out


def _day_seconds(intervals: tuple[tuple[int, int], ...]) -> int:
    return sum(end - start for start, end in intervals)


def long_elapsed_ns(calendar: BusinessCalendar, a: int, b: int) -> int | None:
    """Business nanoseconds from ``a`` to ``b > a`` without compiling the days in between.

    ``None`` when the calendar has an overnight interval (the slow path then counts).
    Business time is additive over the intervals each local date owns (the UTC image of
    disjoint wall intervals is disjoint), so the days strictly inside the span add up as
    whole weeks of weekly hours, minus the holidays, plus the overrides' difference, plus,
    for the few days whose hours meet a zone transition, the exact (compiled) value less
    the wall-clock one. The days at either end come from small compiled timelines.
    """
    compiled = engine(calendar)
    weekly, overrides = compiled.weekly, compiled.overrides
    if any(end <= start for day in (*weekly, *overrides.values()) for start, end in day):
        return None
    day_a = dt.date.fromordinal(_ordinal_of(a))
    day_b = dt.date.fromordinal(_ordinal_of(b))
    first, stop = day_a + dt.timedelta(days=5), day_b - dt.timedelta(days=4)
    if stop <= first:
        return None
    head = compile_timeline(calendar, day_a - dt.timedelta(days=3), first)
    tail = compile_timeline(calendar, stop, day_b + dt.timedelta(days=5))
    total = (head.cumend[-1] if head.cumend else 0) - head.clock(a) + tail.clock(b)
    # Whole weeks, then the remaining weekdays, of the weekly hours.
    days = stop.toordinal() - first.toordinal()
    week = [_day_seconds(hours) for hours in weekly]
    weeks, rest = divmod(days, 7)
    seconds = weeks * sum(week)
    seconds += sum(week[(first.weekday() + k) % 7] for k in range(rest))
    holidays = compiled.holidays_in(first, stop)
    for day in holidays:
        if first <= day < stop and day not in overrides:
            seconds -= week[day.weekday()]
    for day, hours in overrides.items():
        if first <= day < stop:
            seconds += _day_seconds(hours) - (0 if day in holidays else week[day.weekday()])
    # Days whose hours meet a transition's gap or fold (wall clock): the exact value.
    owned = compiled.owned_with(holidays)
    checked: set[dt.date] = set()
    one = dt.timedelta(days=1)
    for moment, old, new in _transitions(compiled.zone, _wall_epoch(first) - 2 * DAY_S,
                                         _wall_epoch(stop) + 2 * DAY_S):  # fmt: skip
        low, high = moment + min(old, new), moment + max(old, new)
        day = dt.date(1970, 1, 1) + dt.timedelta(days=low // DAY_S - 1)
        while _wall_epoch(day) <= high + 1:
            if first <= day < stop and day not in checked:
                base = _wall_epoch(day)
                if any(base + s <= high + 1 and low - 1 <= base + e for s, e in owned(day)):
                    checked.add(day)
                    exact = compile_timeline(calendar, day, day + one)
                    seconds -= _day_seconds(owned(day))
                    total += exact.cumend[-1] if exact.cumend else 0
            day += one
    return total + seconds * NS


def is_open_ns(calendar: BusinessCalendar, t: int) -> bool:
    """Whether ``t`` lies in an interval ``[open, close)``."""
    timeline = ensure_timeline(calendar, t, t, owner="BusinessCalendar.is_open()")
    i = bisect_right(timeline.opens, t) - 1
    return i >= 0 and t < timeline.closes[i]


def next_edge_ns(calendar: BusinessCalendar, t: int, *, close: bool, owner: str) -> int:
    """``next_open`` (``t`` itself when open) or ``next_close`` (always after ``t``)."""
    horizon = calendar.horizon_days * DAY_NS
    timeline = ensure_timeline(calendar, t, t, owner=owner)
    while True:
        i = bisect_right(timeline.opens, t) - 1
        inside = i >= 0 and t < timeline.closes[i]
        if inside and not close:
            return t
        j = i if inside else i + 1
        if j < len(timeline.opens):
            u = timeline.closes[j] if close else timeline.opens[j]
            if u <= timeline.hi:
                if u - t > horizon:
                    break
                return u
        if timeline.hi >= t + horizon:
            break
        timeline = ensure_timeline(calendar, t, timeline.hi + 1, owner=owner)
    raise _horizon_error(calendar, owner, "a closing time" if close else "an opening time")


# --------------------------------------------------------------------------------------
# Bulk arithmetic on int64 nanoseconds
# --------------------------------------------------------------------------------------
def _span_ns(calendar: BusinessCalendar, t: I64) -> Timeline:
    return ensure_timeline(calendar, int(t.min()), int(t.max()), bulk=True)


def add_many_ns(
    calendar: BusinessCalendar,
    t: I64,
    d: I64,
    owner: str,
    labels: Callable[[np.ndarray[Any, np.dtype[np.bool_]]], list[Any]],
) -> I64:
    """Vectorised :func:`add_ns` on UTC nanoseconds; ``NAT`` in either input gives ``NAT``."""
    missing = (t == NAT) | (d == NAT)
    if missing.all():
        return np.full(len(t), NAT, dtype=np.int64)
    some_missing = bool(missing.any())
    valid = ~missing
    tv, dv = (t[valid], d[valid]) if some_missing else (t, d)

    def rows(mask: np.ndarray[Any, np.dtype[np.bool_]]) -> ConfigError:
        where = np.zeros(len(t), dtype=bool)
        where[np.flatnonzero(valid)[mask]] = True
        return _horizon_error(
            calendar, owner, "the business time asked for", labels(where), int(where.sum())
        )

    horizon = calendar.horizon_days * DAY_NS
    low_d, high_d = int(dv.min()), int(dv.max())
    if max(-low_d, high_d) > horizon:  # business time never runs faster than real time
        raise rows(np.abs(dv) > horizon)
    forward, backward = dv > 0, dv < 0
    any_forward, any_backward = high_d > 0, low_d < 0
    timeline = _span_ns(calendar, tv)
    while True:
        target = timeline.clock_many(tv) + dv
        b_hi, b_lo = timeline.b_hi, timeline.b_lo
        short_fwd = forward & (target > b_hi) if any_forward else None
        short_back = backward & (target < b_lo) if any_backward else None
        need_fwd = short_fwd is not None and bool(short_fwd.any())
        need_back = short_back is not None and bool(short_back.any())
        if not (need_fwd or need_back):
            break
        hi, lo = timeline.hi, timeline.lo
        new_hi, new_lo = timeline.hi, timeline.lo
        if need_fwd:
            assert short_fwd is not None  # for mypy: set with need_fwd
            beyond = short_fwd & (hi >= tv + horizon)
            if beyond.any():
                raise rows(beyond)
            new_hi = max(new_hi + 1, int((tv + dv)[short_fwd].max()) + 1)
        if need_back:
            assert short_back is not None  # for mypy: set with need_back
            beyond = short_back & (lo <= tv - horizon)
            if beyond.any():
                raise rows(beyond)
            new_lo = min(new_lo - 1, int((tv + dv)[short_back].min()) - 1)
        timeline = ensure_timeline(calendar, new_lo, new_hi, bulk=True)
    opens, _, cum, _ = timeline.arrays
    if any_forward and not any_backward and bool(forward.all()):  # the usual case
        j = timeline.search("cumend", target, "left")
        result = opens[j] + target - cum[j]
        beyond = result - tv > horizon
    else:
        result = tv.copy()
        if any_forward:
            tf = target[forward]
            j = timeline.search("cumend", tf, "left")
            result[forward] = opens[j] + tf - cum[j]
        if any_backward:
            tb = target[backward]
            j = timeline.search("cum", tb, "right") - 1
            result[backward] = opens[j] + tb - cum[j]
        beyond = (forward & (result - tv > horizon)) | (backward & (tv - result > horizon))
    if beyond.any():
        raise rows(beyond)
    if not some_missing:
        return result
    out = np.full(len(t), NAT, dtype=np.int64)
    out[valid] = result
    return out


def elapsed_many_ns(calendar: BusinessCalendar, a: I64, b: I64) -> I64:
    """Vectorised :func:`elapsed_ns` on UTC nanoseconds; ``NAT`` in either gives ``NAT``."""
    missing = (a == NAT) | (b == NAT)
    out = np.full(len(a), NAT, dtype=np.int64)
    if missing.all():
        return out
    valid = ~missing
    av, bv = a[valid], b[valid]
    timeline = _span_ns(calendar, np.concatenate([av, bv]))
    out[valid] = timeline.clock_many(bv) - timeline.clock_many(av)
    return out


def localize_many_ns(calendar: BusinessCalendar, wall: I64) -> I64:
    """Read naive wall-clock nanoseconds in the calendar zone (``fold=0``), to UTC ns."""
    missing = wall == NAT
    out = np.full(len(wall), NAT, dtype=np.int64)
    if missing.all():
        return out
    valid = ~missing
    values = wall[valid]
    timeline = ensure_timeline(
        calendar, int(values.min()) - DAY_NS, int(values.max()) + DAY_NS, bulk=True
    )
    out[valid] = timeline.localize_many(values)
    return out


# --------------------------------------------------------------------------------------
# Business days
# --------------------------------------------------------------------------------------
#: Day numbers are days since 1970-01-01 (numpy ``datetime64[D]`` as int64).
_DAY_LO = _FIRST_DATE.toordinal() - _EPOCH_ORDINAL
_DAY_HI = _LAST_DATE.toordinal() - _EPOCH_ORDINAL


class DayTable:
    """The business days of a calendar for the day numbers ``[first, stop)``.

    ``rank[k]`` is the number of business days before day ``first + k`` (so ``rank`` has
    one more entry than the range), ``days`` the business day numbers in order. Then, for
    ``d`` in range, ``rank[d - first]`` is numpy's ``busday_offset`` roll-forward index.
    """

    __slots__ = ("days", "days_list", "first", "mask", "rank", "rank_list", "spill", "stop")

    def __init__(
        self, first: int, stop: int, mask: np.ndarray[Any, np.dtype[np.bool_]], spill: I64
    ) -> None:
        self.first = first
        self.stop = stop
        self.mask = mask
        self.spill = spill  # seconds after the next midnight that the day's hours run
        self.rank = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)]).astype(np.int64)
        self.days = (np.flatnonzero(mask) + first).astype(np.int64)
        self.rank_list: list[int] = self.rank.tolist()
        self.days_list: list[int] = self.days.tolist()


def compile_days(calendar: BusinessCalendar, first: int, stop: int) -> DayTable:
    """Compile the business days of ``calendar`` for the day numbers ``[first, stop)``.

    A date is a business day iff it owns at least one interval after overrides and
    holidays (precedence: override > holiday > weekly hours).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.service import BusinessCalendar
        >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
        >>> table = compile_days(cal, 0, 14)  # 1970-01-01 is a Thursday
        >>> table.days.tolist()
        [4, 11]
    """
    days = np.arange(first, stop, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    open_weekday = np.array([bool(hours) for hours in calendar.weekly], dtype=bool)
    mask = open_weekday[weekday]
    weekly_spill = np.array([_spill_of(hours) for hours in calendar.weekly], dtype=np.int64)
    spill = weekly_spill[weekday]
    first_date = dt.date.fromordinal(first + _EPOCH_ORDINAL)
    stop_date = dt.date.fromordinal(stop + _EPOCH_ORDINAL)
    holidays = engine(calendar).holidays_in(first_date, stop_date)
    closed = [d.toordinal() - _EPOCH_ORDINAL for d in holidays]
    closed = [k for k in closed if first <= k < stop]
    if closed:
        mask[np.asarray(closed, dtype=np.int64) - first] = False
    for day, hours in calendar.overrides:
        k = day.toordinal() - _EPOCH_ORDINAL
        if first <= k < stop:
            mask[k - first] = bool(hours)
            spill[k - first] = _spill_of(hours)
    spill[~mask] = 0
    return DayTable(first, stop, mask, spill)


def _spill_of(hours: tuple[tuple[int, int], ...]) -> int:
    """Seconds after the next midnight that a day's overnight interval covers (else 0)."""
    return hours[-1][1] if hours and hours[-1][1] <= hours[-1][0] else 0


def day_end_many_ns(calendar: BusinessCalendar, days: I64) -> I64:
    """UTC ns at the end of the hours each business day owns (its last closing time).

    The instant is the next local midnight plus the overnight spill: business time is
    flat from the day's last closing time to the next opening, so this instant has the
    business-clock position of the closing time (end of day = closing time).
    """
    if len(days) == 0:
        return days.copy()
    table = ensure_days(calendar, int(days.min()), int(days.max()) + 1)
    wall = (days + 1) * (DAY_S * NS) + table.spill[days - table.first] * NS
    return localize_many_ns(calendar, wall)


def ensure_days(calendar: BusinessCalendar, lo: int, hi: int) -> DayTable:
    """A day table covering the day numbers ``[lo, hi]`` (widened at least twofold).

    Raises:
        InvalidInputError: The range needs dates outside the years 1-9999.

    Examples:
        >>> from crmkit.service import BusinessCalendar
        >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
        >>> t = ensure_days(cal, 0, 10)
        >>> t.first <= 0 and t.stop > 10
        True
    """
    compiled = engine(calendar)
    current = compiled.days
    if current is not None and current.first <= lo and hi < current.stop:
        return current
    if lo < _DAY_LO or hi > _DAY_HI:
        raise InvalidInputError(
            "BusinessCalendar",
            "day",
            expected="dates within the years 1 to 9999",
            found="a date (or a result) outside them",
            kind="",
        )
    first, stop = lo - 7, hi + 8
    if current is not None:
        span = current.stop - current.first
        if first > current.stop + span or stop < current.first - span:
            current = None  # far from the cached range: compile afresh, never the gap
    if current is None:
        first, stop = first - 366, stop + 732
    else:
        span = current.stop - current.first
        first = min(first, current.first - span) if first < current.first else current.first
        stop = max(stop, current.stop + span) if stop > current.stop else current.stop
    table = compile_days(calendar, max(first, _DAY_LO), min(stop, _DAY_HI + 1))
    compiled.days = table
    return table


def _days_horizon_error(calendar: BusinessCalendar, owner: str, n: int) -> ConfigError:
    return _horizon_error(
        calendar, owner, f"{abs(n)} business days {'after' if n >= 0 else 'before'} the date"
    )


def _limits_error() -> InvalidInputError:
    return InvalidInputError(
        "BusinessCalendar",
        "day",
        expected="a result within the years 1 to 9999",
        found="a business day beyond them",
        kind="",
    )


def offset_day(calendar: BusinessCalendar, d: int, n: int, roll: str, owner: str) -> int:
    """``numpy.busday_offset(d, n, roll)`` on day numbers for ``roll`` forward / backward.

    The table widens only towards the missing side, and never past ``horizon_days`` or
    the years 1-9999 (refused at once, not searched for).
    """
    horizon = calendar.horizon_days
    table = ensure_days(calendar, d, d)
    while True:
        k = d - table.first
        i = table.rank_list[k] - (1 if roll == "backward" and not table.mask[k] else 0)
        j = i + n
        size = len(table.days_list)
        forward = j >= size or (i >= size and n >= 0)
        backward = j < 0 or (i < 0 and n <= 0)
        if not (forward or backward):
            result = table.days_list[j]  # rolled day and result both in the table: exact
            if abs(result - d) > horizon:
                break
            return result
        if forward:
            if table.stop - d > horizon:
                break
            if table.stop > _DAY_HI:
                raise _limits_error()
            table = ensure_days(calendar, table.first, table.stop)
        else:
            if d - table.first > horizon:
                break
            if table.first <= _DAY_LO:
                raise _limits_error()
            table = ensure_days(calendar, table.first - 1, table.stop - 1)
    raise _days_horizon_error(calendar, owner, n)


def offset_days_many(  # noqa: PLR0917 - mirrors add_many_ns plus the roll
    calendar: BusinessCalendar,
    d: I64,
    n: I64,
    roll: str,
    owner: str,
    labels: Callable[[np.ndarray[Any, np.dtype[np.bool_]]], list[Any]],
) -> I64:
    """Vectorised :func:`offset_day`; ``NAT`` in ``d`` gives ``NAT``."""
    if len(d) == 0:
        return d.copy()
    missing = d == NAT
    some_missing = bool(missing.any())
    if some_missing and missing.all():
        return np.full(len(d), NAT, dtype=np.int64)
    dv, nv = (d[~missing], n[~missing]) if some_missing else (d, n)
    horizon = calendar.horizon_days
    lo, hi = int(dv.min()), int(dv.max())
    table = ensure_days(calendar, lo, hi)
    while True:
        k = dv - table.first
        i = table.rank[k]
        if roll == "backward":
            i = i - (~table.mask[k]).astype(np.int64)
        j = i + nv
        size = len(table.days)
        if (
            size
            and int(j.min()) >= 0
            and int(j.max()) < size
            and int(i.min()) >= 0
            and int(i.max()) < size
        ):
            break  # the usual case: every rolled day and result lie in the table
        need_fwd = (j >= size) | ((i >= size) & (nv >= 0))
        need_back = ~need_fwd & ((j < 0) | ((i < 0) & (nv <= 0)))
        bad = need_fwd | need_back
        if not bad.any():
            break
        # Widen towards the rows that fell off; give up beyond the horizon or the limits.
        gone = (need_fwd & (table.stop - dv > horizon)) | (need_back & (dv - table.first > horizon))
        if gone.any():
            where = np.zeros(len(d), dtype=bool)
            where[np.flatnonzero(~missing)[gone]] = True
            raise _horizon_error(
                calendar, owner, "the business days asked for", labels(where), int(where.sum())
            )
        wants_fwd, wants_back = bool(need_fwd.any()), bool(need_back.any())
        if (wants_fwd and table.stop > _DAY_HI) or (wants_back and table.first <= _DAY_LO):
            raise _limits_error()
        table = ensure_days(
            calendar,
            table.first - 1 if wants_back else table.first,
            table.stop if wants_fwd else table.stop - 1,
        )
    result = table.days[j]
    step = result - dv
    beyond = None if max(-int(step.min()), int(step.max())) <= horizon else np.abs(step) > horizon
    if beyond is not None:
        where = np.zeros(len(d), dtype=bool)
        where[np.flatnonzero(~missing)[beyond]] = True
        raise _horizon_error(
            calendar, owner, "the business days asked for", labels(where), int(where.sum())
        )
    if not some_missing:
        return result
    out = np.full(len(d), NAT, dtype=np.int64)
    out[~missing] = result
    return out


def count_days_many(calendar: BusinessCalendar, a: I64, b: I64) -> I64:
    """``numpy.busday_count(a, b)`` on day numbers; ``NAT`` in either gives ``NAT``."""
    if len(a) == 0:
        return a.copy()
    missing = (a == NAT) | (b == NAT)
    some_missing = bool(missing.any())
    if some_missing and missing.all():
        return np.full(len(a), NAT, dtype=np.int64)
    av, bv = (a[~missing], b[~missing]) if some_missing else (a, b)
    table = ensure_days(calendar, int(min(av.min(), bv.min())), int(max(av.max(), bv.max())) + 1)
    # numpy's convention: [a, b) when a <= b, and minus the days in (b, a] when b < a.
    shift = (bv < av).astype(np.int64) - table.first
    counts = table.rank[bv + shift] - table.rank[av + shift]
    if not some_missing:
        return counts
    out = np.full(len(a), NAT, dtype=np.int64)
    out[~missing] = counts
    return out


def is_business_day_many(calendar: BusinessCalendar, d: I64) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``numpy.is_busday(d)`` on day numbers; ``NAT`` gives False."""
    missing = d == NAT
    out = np.zeros(len(d), dtype=bool)
    if missing.all():
        return out
    dv = d[~missing]
    table = ensure_days(calendar, int(dv.min()), int(dv.max()))
    out[~missing] = table.mask[dv - table.first]
    return out


def wall_many_ns(calendar: BusinessCalendar, utc: I64) -> I64:
    """The calendar zone's wall-clock reading (naive ns) at UTC nanoseconds (no ``NAT``)."""
    if len(utc) == 0:
        return utc.copy()
    timeline = ensure_timeline(
        calendar, int(utc.min()) - DAY_NS, int(utc.max()) + DAY_NS, bulk=True
    )
    starts = np.array([start for start, _ in timeline.pieces], dtype=np.int64) * NS
    offsets = np.array([offset for _, offset in timeline.pieces], dtype=np.int64) * NS
    index = np.maximum(np.searchsorted(starts, utc, side="right") - 1, 0)
    return utc + offsets[index]


def day_position_many(
    calendar: BusinessCalendar,
    t: I64,
    owner: str,
    labels: Callable[[np.ndarray[Any, np.dtype[np.bool_]]], list[Any]],
) -> tuple[I64, np.ndarray[Any, np.dtype[np.float64]]]:
    """The business day owning each instant and the share of its hours run by then.

    The owning day of ``t`` (UTC nanoseconds, no ``NAT``) is the first business day whose
    end (:func:`day_end_many_ns`) is not before ``t``: the day ``t`` falls in, the day
    whose overnight hours it falls in, or, outside hours, the next business day (an
    instant after a day's close is that day's end, share 1, which is the next day's
    start, share 0). The share is the business time from the previous business day's end
    to ``t`` over the hours the day owns, so ``day + share`` is a business-day
    coordinate whose differences count business days, with a part-day counted by the
    share of that day's hours that has run (half-days count as whole days).

    Examples:
        >>> import numpy as np
        >>> from crmkit.service import BusinessCalendar
        >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
        >>> cal = BusinessCalendar("UTC", week)
        >>> t = np.array([1_736_172_000, 1_736_204_400], dtype=np.int64) * NS  # Mon 14:00, 23:00
        >>> days, share = day_position_many(cal, t, "example", lambda m: [])
        >>> days.tolist(), share.tolist()  # 2025-01-06 is day 20094
        ([20094, 20094], [0.5555555555555556, 1.0])
    """
    if len(t) == 0:
        return t.copy(), np.zeros(0, dtype=np.float64)
    local = np.floor_divide(wall_many_ns(calendar, t), DAY_NS)
    zero = np.zeros(len(t), dtype=np.int64)
    day = offset_days_many(calendar, local - 1, zero, "forward", owner, labels)
    later = day_end_many_ns(calendar, day) < t
    if later.any():
        day = day.copy()
        day[later] = offset_days_many(
            calendar, day[later], zero[later] + 1, "forward", owner, labels
        )
    before = offset_days_many(calendar, day, zero - 1, "forward", owner, labels)
    start = day_end_many_ns(calendar, before)
    hours = elapsed_many_ns(calendar, start, day_end_many_ns(calendar, day))
    run = elapsed_many_ns(calendar, start, t)
    share = np.clip(run / hours, 0.0, 1.0)
    return day, share.astype(np.float64)


# --------------------------------------------------------------------------------------
# Rollback and periods (scalar, int nanoseconds)
# --------------------------------------------------------------------------------------
def rollback_ns(calendar: BusinessCalendar, t: int, owner: str, *, opening: bool) -> int:
    """The earliest ``x <= t`` with ``B(x) == B(t)`` (``opening``: that period's opening).

    The period is the last one that opens strictly before ``t``: ``t`` itself is returned
    when ``t`` lies in ``(open, close]``, else the period's closing time; with ``opening``
    the period's opening instant (always before ``t``).
    """
    horizon = calendar.horizon_days * DAY_NS
    timeline = ensure_timeline(calendar, t, t, owner=owner)
    while True:
        i = bisect_left(timeline.opens, t) - 1
        if i >= 0:
            close, start = timeline.closes[i], timeline.opens[i]
            if opening:
                if start >= timeline.lo:  # the opening is exact (not cut by the range)
                    if t - start > horizon:
                        break
                    return start
            elif t <= close:
                return t
            elif close >= timeline.lo:
                if t - close > horizon:
                    break
                return close
        if timeline.lo <= t - horizon:
            break
        timeline = ensure_timeline(calendar, timeline.lo - 1, t, owner=owner)
    raise _horizon_error(
        calendar, owner, "an opening time before it" if opening else "a closing time before it"
    )


def periods_ns(
    calendar: BusinessCalendar, start: int, end: int, owner: str = "BusinessCalendar.periods()"
) -> list[tuple[int, int]]:
    """The open periods intersected with ``[start, end)``, in order (UTC nanoseconds)."""
    if end <= start:
        return []
    timeline = ensure_timeline(calendar, start, end, owner=owner, fields=("start", "end"))
    i = max(bisect_right(timeline.closes, start), 0)
    out = []
    while i < len(timeline.opens) and timeline.opens[i] < end:
        out.append((max(timeline.opens[i], start), min(timeline.closes[i], end)))
        i += 1
    return out


def periods_after_ns(calendar: BusinessCalendar, t: int) -> Iterator[tuple[int, int]]:
    """Open periods from ``t`` on (the first one starts at ``t`` when open), lazily.

    Ends once a period would open more than ``horizon_days`` after ``t``.
    """
    horizon = calendar.horizon_days * DAY_NS
    mark = t  # periods closing at or before mark were yielded already
    step = 31 * DAY_NS
    while True:
        hi = min(mark + step, t + horizon + DAY_NS)
        timeline = ensure_timeline(calendar, mark, hi)
        i = bisect_right(timeline.closes, mark)
        while i < len(timeline.opens) and timeline.closes[i] <= timeline.hi:
            start = max(timeline.opens[i], mark)
            if start - t > horizon:
                return
            yield start, timeline.closes[i]
            mark = timeline.closes[i]
            i += 1
        if timeline.hi - t > horizon:
            return
        step *= 2


def periods_before_ns(calendar: BusinessCalendar, t: int) -> Iterator[tuple[int, int]]:
    """Open periods before ``t``, newest first (the first one ends at ``t`` when open).

    Ends once a period would close more than ``horizon_days`` before ``t``.
    """
    horizon = calendar.horizon_days * DAY_NS
    mark = t  # periods opening at or after mark were yielded already
    step = 31 * DAY_NS
    while True:
        lo = max(mark - step, t - horizon - DAY_NS)
        timeline = ensure_timeline(calendar, lo, mark)
        i = bisect_left(timeline.opens, mark) - 1
        while i >= 0 and timeline.opens[i] >= timeline.lo:
            end = min(timeline.closes[i], mark)
            if t - end > horizon:
                return
            yield timeline.opens[i], end
            mark = timeline.opens[i]
            i -= 1
        if t - timeline.lo > horizon:
            return
        step *= 2
