"""Property tests of business-time arithmetic.

Agreement with a brute-force minute oracle (150 random calendars x 12 queries x 7
operations per run: several intervals, overnight, holidays, overrides, recurring holidays,
DST windows in Berlin, New York, Lord Howe, Kathmandu), and the algebraic invariants."""

from __future__ import annotations

import datetime as dt
import json
import random
import zoneinfo
from functools import partial

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.service import BusinessCalendar
from tests.service.calendar_oracle import Oracle, UnknownError
from tests.strategies import (
    CALENDAR_ZONES,
    DST_SWITCH_DATES,
    business_calendar_dicts,
    calendar_windows,
    examples,
)

Q = dt.timedelta(minutes=15)
S = dt.timedelta(seconds=1)
UTC = dt.UTC


def ts(t: dt.datetime) -> float:
    return t.timestamp()


def answer(call: object) -> dt.datetime | None:
    """The calendar's answer, or None when it (rightly or not) finds no hours ahead."""
    try:
        return call()  # type: ignore[operator, no-any-return]
    except ConfigError:
        return None


@given(calendar_windows(), st.data())
def test_operations_match_the_minute_oracle(
    case: tuple[dict[str, object], dt.datetime], data: st.DataObject
) -> None:
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    oracle = Oracle(raw, base - dt.timedelta(days=14), base + dt.timedelta(days=18))
    quarters = st.integers(-4 * 96, 5 * 96)
    for _ in range(12):
        t = base + Q * data.draw(quarters)
        u = base + Q * data.draw(quarters)
        d = Q * data.draw(st.integers(-2 * 96, 2 * 96))
        assert cal.is_open(t) == oracle.is_open(t)
        assert cal.elapsed(t, u) == oracle.elapsed(t, u)
        pairs = (
            (partial(cal.add, t, d), partial(oracle.add, t, d)),
            (partial(cal.subtract, t, d), partial(oracle.add, t, -d)),
            (partial(cal.breach_at, t, abs(d)), partial(oracle.breach_at, t, abs(d))),
            (partial(cal.next_open, t), partial(oracle.next_open, t)),
            (partial(cal.next_close, t), partial(oracle.next_close, t)),
        )
        for ours, theirs in pairs:
            try:
                expected = theirs()
            except UnknownError:
                continue  # beyond the oracle's window: nothing to compare
            got = answer(ours)
            assert got is not None, (t, d)
            assert ts(got) == ts(expected), (t, d, got, expected)


@given(calendar_windows(), st.data())
def test_add_elapsed_invariants(
    case: tuple[dict[str, object], dt.datetime], data: st.DataObject
) -> None:
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    seconds = st.integers(-5 * 86_400, 5 * 86_400)
    t = base + S * data.draw(seconds)
    a = S * data.draw(st.integers(0, 3 * 86_400))
    b = S * data.draw(st.integers(0, 3 * 86_400))
    assert ts(cal.add(t, dt.timedelta(0))) == ts(t)
    after_a = answer(lambda: cal.add(t, a))
    assume(after_a is not None)
    assert after_a is not None
    assert ts(after_a) >= ts(t)
    # exactness: elapsed(t, add(t, d)) == d
    assert cal.elapsed(t, after_a) == a
    # monotone in t
    later = t + S * data.draw(st.integers(0, 86_400))
    after_later = answer(lambda: cal.add(later, a))
    if after_later is not None:
        assert ts(after_a) <= ts(after_later)
    # additivity of add, monotone in d
    both = answer(lambda: cal.add(t, a + b))
    if both is not None:
        assert ts(cal.add(after_a, b)) == ts(both)
        assert ts(after_a) <= ts(both)
    # due_at <= breach_at; compliance flips exactly after breach_at
    due, breach = cal.due_at(t, a), answer(lambda: cal.breach_at(t, a))
    if breach is not None:
        assert ts(due) <= ts(breach)
        assert cal.elapsed(t, breach) == a
        # One second later as an instant (``breach + S`` is wall-clock arithmetic: in a
        # repeated hour it lands in the first occurrence, before the breach).
        assert cal.elapsed(t, breach.astimezone(UTC) + S) > a
    # subtract is the inverse from the left: add(subtract(t, d), d) <= t, equal iff t is
    # inside hours after the opening instant or exactly on a closing time
    before = answer(lambda: cal.subtract(t, a))
    if before is not None and a:
        assert cal.elapsed(before, t) == a
        back = cal.add(before, a)
        assert ts(back) <= ts(t)
        assert (ts(back) == ts(t)) == cal.is_open(t - S)


def test_breach_in_lord_howe_repeated_half_hour() -> None:
    """Found by a randomized run. Lord Howe Island's clocks go back 30 minutes at 02:00 on
    6 April 2025 (UTC+11 -> UTC+10:30), so Sunday's 01:30-01:45 window comes twice:
    14:30-14:45 and 15:00-15:15 UTC on 5 April. From Saturday 11:00 local (00:00 UTC), 30 business
    minutes are 00:00-00:15 and the first 01:30-01:45; the breach instant (compliance
    flips just after it) is the second 01:30 (``fold=1``, 15:00 UTC), where business time
    runs again. One second after it as an instant, 30 minutes and 1 second have elapsed;
    ``breach + 1 s`` on the local clock is 01:30:01 of the *first* occurrence, 14:30:01 UTC,
    when only 15 minutes and 1 second had."""
    cal = BusinessCalendar.from_dict(
        {
            "timezone": "Australia/Lord_Howe",
            "weekly": {
                "mon": [["00:15", "00:00"]],
                "tue": [["00:15", "00:00"]],
                "sun": [["00:00", "00:15"], ["01:30", "01:45"]],
            },
        }
    )
    t = dt.datetime(2025, 4, 5, tzinfo=UTC)
    breach = cal.breach_at(t, dt.timedelta(minutes=30))
    assert (breach.astimezone(UTC), breach.fold) == (dt.datetime(2025, 4, 5, 15, tzinfo=UTC), 1)
    assert cal.elapsed(t, breach) == dt.timedelta(minutes=30)
    assert cal.elapsed(t, breach.astimezone(UTC) + S) == dt.timedelta(minutes=30, seconds=1)
    assert cal.elapsed(t, breach + S) == dt.timedelta(minutes=15, seconds=1)


@given(calendar_windows(), st.data())
def test_elapsed_is_additive_antisymmetric_and_bounded(
    case: tuple[dict[str, object], dt.datetime], data: st.DataObject
) -> None:
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    seconds = st.integers(-6 * 86_400, 6 * 86_400)
    x, y, z = (base + S * data.draw(seconds) for _ in range(3))
    assert cal.elapsed(x, y) + cal.elapsed(y, z) == cal.elapsed(x, z)
    assert cal.elapsed(x, y) == -cal.elapsed(y, x)
    lo, hi = sorted((x, y))
    assert dt.timedelta(0) <= cal.elapsed(lo, hi) <= hi - lo


@given(
    st.sampled_from(CALENDAR_ZONES),
    st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.integers(-40 * 86_400, 40 * 86_400),
)
def test_always_open_is_real_time(zone: str, t: dt.datetime, seconds: int) -> None:
    cal = BusinessCalendar.always_open(zone)
    d = dt.timedelta(seconds=seconds)
    assert cal.add(t, d).astimezone(UTC) == t + d
    assert cal.elapsed(t, t + d) == d


@given(calendar_windows(), st.data())
def test_representation_independence(
    case: tuple[dict[str, object], dt.datetime], data: st.DataObject
) -> None:
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    t = base + S * data.draw(st.integers(-5 * 86_400, 5 * 86_400))
    other = zoneinfo.ZoneInfo(data.draw(st.sampled_from(CALENDAR_ZONES)))
    zone = zoneinfo.ZoneInfo(str(raw["timezone"]))
    naive = t.astimezone(zone).replace(tzinfo=None)
    d = S * data.draw(st.integers(0, 2 * 86_400))
    expected = answer(lambda: cal.add(t, d))
    forms = [t.astimezone(other), t.astimezone(zone)]
    if naive.replace(tzinfo=zone).astimezone(UTC) == t:  # fold=0 reads it back as t
        forms.append(naive)
    for form in forms:
        got = answer(lambda form=form: cal.add(form, d))  # type: ignore[misc]
        assert (got is None) == (expected is None)
        if got is not None and expected is not None:
            assert ts(got) == ts(expected)
            assert got.tzinfo == zone
        assert cal.is_open(form) == cal.is_open(t)


@given(st.integers(0, 6), st.integers(0, 10 * 96), st.integers(0, 10 * 96))
def test_overnight_equals_its_two_halves(day: int, first: int, second: int) -> None:
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    night = BusinessCalendar("Europe/Berlin", {keys[day]: [["22:00", "06:00"]]})
    halves = BusinessCalendar(
        "Europe/Berlin",
        {keys[day]: [["22:00", "24:00"]], keys[(day + 1) % 7]: [["00:00", "06:00"]]},
    )
    base = dt.datetime(2025, 10, 20)  # a window over the Berlin fall-back
    a, b = base + Q * first, base + Q * second
    assert night.elapsed(a, b) == halves.elapsed(a, b)
    assert night.is_open(a) == halves.is_open(a)


@given(st.integers(0, 14 * 96), st.integers(0, 14 * 96))
def test_holiday_on_a_closed_day_changes_nothing(first: int, second: int) -> None:
    week = {k: [["09:00", "17:00"]] for k in ("mon", "tue", "wed", "thu", "fri")}
    plain = BusinessCalendar("America/New_York", week)
    sunday_off = BusinessCalendar("America/New_York", week, holidays=["2025-11-02"])
    a, b = dt.datetime(2025, 10, 27) + Q * first, dt.datetime(2025, 10, 27) + Q * second
    assert plain.elapsed(a, b) == sunday_off.elapsed(a, b)


@given(calendar_windows())
def test_json_round_trip_is_exact(case: tuple[dict[str, object], dt.datetime]) -> None:
    raw, _ = case
    cal = BusinessCalendar.from_dict(raw)
    assert cal.to_dict() == {"schema_version": 1, **raw}
    again = BusinessCalendar.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert hash(again) == hash(cal)


@given(calendar_windows(), st.randoms(use_true_random=False))
def test_order_of_intervals_and_dates_does_not_matter(
    case: tuple[dict[str, object], dt.datetime], rng: random.Random
) -> None:
    raw, _ = case
    shuffled = json.loads(json.dumps(raw))
    for hours in shuffled["weekly"].values():
        rng.shuffle(hours)
    rng.shuffle(shuffled["holidays"])
    items = list(shuffled["overrides"].items())
    rng.shuffle(items)
    shuffled["overrides"] = dict(items)
    assert BusinessCalendar.from_dict(shuffled) == BusinessCalendar.from_dict(raw)


@settings(max_examples=examples(40))
@given(calendar_windows(), st.data())
def test_override_wins_over_holiday(
    case: tuple[dict[str, object], dt.datetime], data: st.DataObject
) -> None:
    """Precedence override > holiday > weekly: naming every override date a holiday too
    changes nothing."""
    raw, base = case
    overrides = dict(raw["overrides"])  # type: ignore[call-overload]
    assume(overrides)
    both = {**raw, "holidays": sorted({*raw["holidays"], *overrides})}  # type: ignore[misc]
    cal, cal_both = BusinessCalendar.from_dict(raw), BusinessCalendar.from_dict(both)
    quarters = st.integers(-4 * 96, 5 * 96)
    for _ in range(8):
        t = base + Q * data.draw(quarters)
        u = base + Q * data.draw(quarters)
        assert cal.is_open(t) == cal_both.is_open(t)
        assert cal.elapsed(t, u) == cal_both.elapsed(t, u)
        assert cal.is_business_day(t.date()) == cal_both.is_business_day(t.date())


@settings(max_examples=examples(60))
@given(
    business_calendar_dicts(overnight=False, extras=False),
    st.sampled_from(DST_SWITCH_DATES),
    st.data(),
)
def test_overnight_overlap_merges_like_split_intervals(
    raw: dict[str, object], switch: dt.date, data: st.DataObject
) -> None:
    """An overnight interval overlapping the next day's hours equals the split form
    ``[start, 24:00]`` + next day ``[00:00, end]`` (union), on every query."""
    base = dt.datetime.combine(switch, dt.time(), tzinfo=UTC)
    weekly: dict[str, list[list[str]]] = raw["weekly"]  # type: ignore[assignment]
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    k = data.draw(st.integers(0, 6))
    day, following = keys[k], keys[(k + 1) % 7]
    start = data.draw(st.integers(2, 95))
    end = data.draw(st.integers(1, start - 1))
    overlap_start = data.draw(st.integers(0, end))  # meets or overlaps the spill
    overlap_end = data.draw(st.integers(overlap_start + 1, 96))

    def clock(q: int) -> str:
        return f"{q // 4:02d}:{q % 4 * 15:02d}"

    def quarter(text: str) -> int:
        return int(text[:2]) * 4 + int(text[3:]) // 15

    def union(pairs: list[tuple[int, int]]) -> list[list[str]]:
        merged: list[list[int]] = []
        for a, b in sorted(pairs):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return [[clock(a), clock(b)] for a, b in merged]

    today = [(quarter(a), quarter(b)) for a, b in weekly[day] if quarter(b) <= start]
    nxt = [(quarter(a), quarter(b)) for a, b in weekly[following]]
    overlapping = {
        **weekly,
        day: [*union(today), [clock(start), clock(end)]],
        following: union([*nxt, (overlap_start, overlap_end)]),
    }
    split = {
        **weekly,
        day: union([*today, (start, 96)]),
        following: union([*nxt, (overlap_start, overlap_end), (0, end)]),
    }
    cal = BusinessCalendar.from_dict({**raw, "weekly": overlapping})
    flat = BusinessCalendar.from_dict({**raw, "weekly": split})
    span = st.integers(-4 * 96, 5 * 96)
    for _ in range(8):
        t = base + Q * data.draw(span)
        u = base + Q * data.draw(span)
        assert cal.is_open(t) == flat.is_open(t)
        assert cal.elapsed(t, u) == flat.elapsed(t, u)
        d = Q * data.draw(st.integers(0, 2 * 96))
        assert answer(partial(cal.add, t, d)) == answer(partial(flat.add, t, d))
