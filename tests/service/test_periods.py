"""rollback, previous_open and the period iterators: hand-checked cases and properties."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from pandas.tseries.offsets import CustomBusinessHour

from crmkit.errors import ConfigError
from crmkit.service import BusinessCalendar
from tests.strategies import calendar_windows

UTC = dt.UTC
S = dt.timedelta(seconds=1)
US = dt.timedelta(microseconds=1)
WEEK = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_rollback_hand_checked() -> None:
    """Inside hours and at a closing instant: t; outside and at an opening: the last close."""
    cal = BusinessCalendar("UTC", WEEK)
    assert cal.rollback(at(2025, 1, 6, 10)) == at(2025, 1, 6, 10)
    assert cal.rollback(at(2025, 1, 3, 18)) == at(2025, 1, 3, 18)
    assert cal.rollback(at(2025, 1, 4, 12)) == at(2025, 1, 3, 18)
    assert cal.rollback(at(2025, 1, 6, 9)) == at(2025, 1, 3, 18)
    assert cal.previous_open(at(2025, 1, 6, 10)) == at(2025, 1, 6, 9)
    assert cal.previous_open(at(2025, 1, 6, 9)) == at(2025, 1, 3, 9)
    assert cal.previous_open(at(2025, 1, 4, 12)) == at(2025, 1, 3, 9)


def test_rollback_versus_pandas() -> None:
    """pandas' CustomBusinessHour.rollback agrees except at an opening instant (it returns t)."""
    cal = BusinessCalendar("UTC", WEEK)
    offset = CustomBusinessHour(start="09:00", end="18:00")
    for t in (at(2025, 1, 4, 12), at(2025, 1, 6, 10), at(2025, 1, 6, 20)):
        ours = cal.rollback(t)
        theirs = offset.rollback(pd.Timestamp(t))
        assert ours == theirs.to_pydatetime(), t
    opening = at(2025, 1, 6, 9)
    assert offset.rollback(pd.Timestamp(opening)) == pd.Timestamp(opening)
    assert cal.rollback(opening) == at(2025, 1, 3, 18)


def test_periods_hand_checked() -> None:
    """Adjacent intervals are one period; a lunch break splits; ends are clipped."""
    cal = BusinessCalendar(
        "Asia/Shanghai",
        {
            "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
            "tue": [["09:00", "12:00"], ["12:00", "18:00"]],
        },
    )
    zone = cal.zone
    got = list(cal.periods(dt.datetime(2025, 1, 6, 10), dt.datetime(2025, 1, 8)))
    assert got == [
        (dt.datetime(2025, 1, 6, 10, tzinfo=zone), dt.datetime(2025, 1, 6, 12, tzinfo=zone)),
        (dt.datetime(2025, 1, 6, 13, tzinfo=zone), dt.datetime(2025, 1, 6, 18, tzinfo=zone)),
        (dt.datetime(2025, 1, 7, 9, tzinfo=zone), dt.datetime(2025, 1, 7, 18, tzinfo=zone)),
    ]
    assert list(cal.periods(dt.datetime(2025, 1, 8), dt.datetime(2025, 1, 6))) == []
    after = list(itertools.islice(cal.periods_after(dt.datetime(2025, 1, 7, 20)), 2))
    assert [a.day for a, _ in after] == [13, 13]
    before = list(itertools.islice(cal.periods_before(dt.datetime(2025, 1, 6, 12, 30)), 3))
    assert before[0] == (
        dt.datetime(2025, 1, 6, 9, tzinfo=zone),
        dt.datetime(2025, 1, 6, 12, tzinfo=zone),
    )
    assert before[1][0] == dt.datetime(2024, 12, 31, 9, tzinfo=zone)


def test_iterators_end_at_the_horizon() -> None:
    """A calendar with no hours ahead ends its iterators instead of searching forever."""
    cal = BusinessCalendar(
        "UTC", {}, overrides={"2025-01-06": [["09:00", "10:00"]]}, horizon_days=60
    )
    assert list(cal.periods_after(at(2025, 1, 1))) == [(at(2025, 1, 6, 9), at(2025, 1, 6, 10))]
    assert list(cal.periods_before(at(2025, 2, 1))) == [(at(2025, 1, 6, 9), at(2025, 1, 6, 10))]
    assert list(cal.periods_after(at(2025, 1, 7))) == []
    with pytest.raises(ConfigError, match="horizon_days"):
        cal.rollback(at(2025, 1, 1))
    with pytest.raises(ConfigError, match="horizon_days"):
        cal.previous_open(at(2025, 6, 1))


def _or_none(call: object) -> dt.datetime | None:
    try:
        return call()  # type: ignore[operator, no-any-return]
    except ConfigError:
        return None


@given(calendar_windows(), st.integers(-5 * 86_400, 5 * 86_400))
def test_rollback_properties(case: tuple[dict[str, object], dt.datetime], seconds: int) -> None:
    """rollback is the earliest x <= t with elapsed(x, t) == 0; rolling back then forward is idempotent."""
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    t = base + seconds * S
    x = _or_none(lambda: cal.rollback(t))
    assume(x is not None)
    assert x is not None
    assert x <= t
    assert cal.elapsed(x, t) == dt.timedelta(0)
    assert cal.elapsed(x.astimezone(UTC) - S, t) > dt.timedelta(
        0
    )  # earliest: business time runs just before
    assert cal.rollback(x) == x
    assert cal.add(cal.subtract(t, US), US) == x
    forward = _or_none(lambda: cal.next_open(t))
    if forward is not None:
        assert cal.next_open(x) == forward
        assert cal.rollback(forward) == x
    opening = cal.previous_open(t)
    assert opening < t
    assert opening <= x
    assert cal.is_open(opening)
    real = x.timestamp() - opening.timestamp()  # aware same-zone subtraction is wall clock
    assert cal.elapsed(opening, x).total_seconds() == real  # the whole span is open


@given(calendar_windows(), st.integers(-3 * 86_400, 3 * 86_400), st.integers(0, 4 * 86_400))
@example(  # b at 00:00:01 UTC = 02:00:01 CEST, in the hour Berlin's clocks repeat
    (
        {
            "timezone": "Europe/Berlin",
            "weekly": {
                day: ([] if day == "sat" else [["00:15", "00:00"]])
                for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
            "holidays": [],
            "overrides": {},
            "holiday_rules": ["DTSTART:20251026T000000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"],
        },
        dt.datetime(2025, 10, 26, 0, 0, tzinfo=UTC),
    ),
    0,
    1,
)
def test_periods_cover_exactly_the_open_time(
    case: tuple[dict[str, object], dt.datetime], seconds: int, length: int
) -> None:
    """periods(a, b) sum to elapsed(a, b), are ordered, apart, open inside and closed after."""
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    a = base + seconds * S
    b = a + length * S
    got = list(cal.periods(a, b))
    covered = sum(y.timestamp() - x.timestamp() for x, y in got)
    assert covered == cal.elapsed(a, b).total_seconds()
    for x, y in got:
        assert a <= x < y <= b
        assert cal.is_open(x)
        assert cal.is_open(y.astimezone(UTC) - S)
        if y < b:
            assert not cal.is_open(y)
    for (_, y0), (x1, _) in itertools.pairwise(got):
        assert y0 < x1

    # The lazy iterators agree with periods() on the same window. Compared as UTC
    # instants: ``min(y, b)`` may give ``b`` (UTC) where periods() gives the same instant
    # on the calendar's clock, and a time in a repeated hour never equals a time in
    # another zone (PEP 495), even at the same instant.
    def instants(spans: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, ...]]:
        return [(x.astimezone(UTC), y.astimezone(UTC)) for x, y in spans]

    after = list(itertools.takewhile(lambda p: p[0] < b, cal.periods_after(a)))
    assert instants([(x, min(y, b)) for x, y in after]) == instants(got)
    before = list(itertools.takewhile(lambda p: p[1] > a, cal.periods_before(b)))
    assert instants([(max(x, a), y) for x, y in reversed(before)]) == instants(got)
