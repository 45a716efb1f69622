"""Business days on a calendar: numpy's busday_* and pandas' CustomBusinessDay as oracles."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pandas.tseries.offsets import CustomBusinessDay

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service import BusinessCalendar
from tests.strategies import business_day_calendars

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DATES = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))


def calendar_of(weekmask: str, holidays: list[dt.date]) -> BusinessCalendar:
    """The calendar open 09:00-17:00 on the weekmask's days, closed on the holidays."""
    weekly = {
        day: [["09:00", "17:00"]] for day, on in zip(WEEK, weekmask, strict=True) if on == "1"
    }
    return BusinessCalendar("Europe/Berlin", weekly, holidays=holidays)


def np_day(d: dt.date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


@given(
    business_day_calendars(),
    DATES,
    DATES,
    st.integers(-40, 40),
    st.sampled_from(["forward", "backward"]),
)
def test_scalar_business_days_equal_numpy(
    case: tuple[str, list[dt.date]], a: dt.date, b: dt.date, n: int, roll: str
) -> None:
    """add_days / business_days_between / is_business_day equal numpy's busday functions."""
    weekmask, holidays = case
    cal = calendar_of(weekmask, holidays)
    hol = [np_day(h) for h in holidays]
    expected = np.busday_offset(np_day(a), n, roll=roll, weekmask=weekmask, holidays=hol)
    assert np_day(cal.add_days(a, n, roll=roll)) == expected
    assert cal.business_days_between(a, b) == np.busday_count(
        np_day(a), np_day(b), weekmask=weekmask, holidays=hol
    )
    assert cal.is_business_day(a) == np.is_busday(np_day(a), weekmask=weekmask, holidays=hol)


@given(business_day_calendars(), st.lists(DATES, min_size=1, max_size=30), st.data())
def test_bulk_business_days_equal_numpy_and_scalar(
    case: tuple[str, list[dt.date]], days: list[dt.date], data: st.DataObject
) -> None:
    """The bulk forms equal numpy on arrays and the scalar forms row by row."""
    weekmask, holidays = case
    cal = calendar_of(weekmask, holidays)
    hol = [np_day(h) for h in holidays]
    d = np.array([x.isoformat() for x in days], dtype="datetime64[D]")
    n = np.array(data.draw(st.lists(st.integers(-40, 40), min_size=len(d), max_size=len(d))))
    other = d[::-1].copy()
    np.testing.assert_array_equal(
        cal.add_days_many(d, n),
        np.busday_offset(d, n, roll="forward", weekmask=weekmask, holidays=hol),
    )
    np.testing.assert_array_equal(
        cal.business_days_between_many(d, other),
        np.busday_count(d, other, weekmask=weekmask, holidays=hol),
    )
    np.testing.assert_array_equal(
        cal.is_business_day_many(d), np.is_busday(d, weekmask=weekmask, holidays=hol)
    )
    assert [cal.add_days(x, int(k)) for x, k in zip(days, n, strict=True)] == list(
        cal.add_days_many(d, n).astype(dt.date)
    )


@given(business_day_calendars(), DATES, st.integers(-20, 20))
def test_pandas_custom_business_day(case: tuple[str, list[dt.date]], day: dt.date, n: int) -> None:
    """pandas' day + CustomBusinessDay(n) is add_days with roll backward for n > 0."""
    weekmask, holidays = case
    cal = calendar_of(weekmask, holidays)
    offset = CustomBusinessDay(n, weekmask=weekmask, holidays=holidays)
    expected = (pd.Timestamp(day) + offset).date()
    roll = "backward" if n > 0 else "forward"
    assert cal.add_days(day, n, roll=roll) == expected
    if cal.is_business_day(day):
        assert cal.add_days(day, n) == expected


def test_hand_checked_examples() -> None:
    """Monday + 2 business days with Tuesday a holiday is Thursday; weekends roll forward."""
    week = {d: [["09:00", "18:00"]] for d in WEEK[:5]}
    cal = BusinessCalendar("Asia/Shanghai", week, holidays=["2025-01-07"])
    assert cal.add_days(dt.date(2025, 1, 6), 2) == dt.date(2025, 1, 9)
    assert cal.add_days(dt.date(2025, 1, 11), 0) == dt.date(2025, 1, 13)  # Saturday
    assert cal.add_days(dt.date(2025, 1, 11), -1) == dt.date(2025, 1, 10)
    assert cal.add_days(dt.date(2025, 1, 11), -1, roll="backward") == dt.date(2025, 1, 9)
    assert cal.business_days_between(dt.date(2025, 1, 6), dt.date(2025, 1, 13)) == 4
    assert cal.business_days_between(dt.date(2025, 1, 13), dt.date(2025, 1, 6)) == -4
    # An aware datetime counts as its date in the calendar zone (16:30 UTC is 00:30 next day).
    late = dt.datetime(2025, 1, 5, 16, 30, tzinfo=dt.UTC)
    assert cal.add_days(late, 0) == dt.date(2025, 1, 6)


def test_overrides_decide_business_days() -> None:
    """An override opens a weekend day or a holiday, and an empty override closes a weekday."""
    cal = BusinessCalendar(
        "UTC",
        {d: [["09:00", "18:00"]] for d in WEEK[:5]},
        overrides={"2025-01-11": [["09:00", "12:00"]], "2025-01-08": []},
    )
    assert cal.is_business_day(dt.date(2025, 1, 11))
    assert not cal.is_business_day(dt.date(2025, 1, 8))
    assert cal.add_days(dt.date(2025, 1, 7), 1) == dt.date(2025, 1, 9)
    assert cal.add_days(dt.date(2025, 1, 10), 1) == dt.date(2025, 1, 11)


def test_series_in_series_out() -> None:
    """A Series keeps its index and name; NaT stays NaT; aware values use the local date."""
    cal = BusinessCalendar("Asia/Shanghai", {d: [["09:00", "18:00"]] for d in WEEK[:5]})
    days = pd.Series(
        pd.to_datetime(["2025-01-03 23:00", None, "2025-01-06 10:00"]), index=[10, 20, 30], name="d"
    )
    out = cal.add_days_many(days, 1)
    assert out.index.tolist() == [10, 20, 30]
    assert out.name == "d"
    assert out.dt.date.tolist()[0] == dt.date(2025, 1, 6)
    assert pd.isna(out[20])
    aware = days.dt.tz_localize("UTC")  # 2025-01-03 23:00 UTC is Saturday 07:00 in Shanghai
    assert cal.add_days_many(aware, 0).dt.date[10] == dt.date(2025, 1, 6)
    counts = cal.business_days_between_many(days, days + pd.Timedelta(days=7))
    assert counts.tolist() == [5, pd.NA, 5]
    assert cal.is_business_day_many(days).tolist() == [True, False, True]


def test_bad_inputs() -> None:
    """Wrong types, lengths and indexes are InvalidInputErrors; no business day is ConfigError."""
    cal = BusinessCalendar("UTC", {"mon": [["09:00", "18:00"]]})
    with pytest.raises(InvalidInputError, match="'n' must be an int"):
        cal.add_days(dt.date(2025, 1, 6), 1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="'day'"):
        cal.add_days("monday", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="'roll'"):
        cal.add_days(dt.date(2025, 1, 6), 1, roll="following")
    d = pd.Series(pd.to_datetime(["2025-01-06", "2025-01-07"]), index=[1, 2])
    with pytest.raises(InvalidInputError, match="same index"):
        cal.add_days_many(d, pd.Series([1, 2], index=[2, 1]))
    with pytest.raises(InvalidInputError, match="same index"):
        cal.business_days_between_many(d, d.reset_index(drop=True))
    with pytest.raises(InvalidInputError, match="one int or 2"):
        cal.add_days_many(d, [1, 2, 3])
    closed = BusinessCalendar("UTC", {}, horizon_days=30)
    with pytest.raises(ConfigError, match="horizon_days"):
        closed.add_days(dt.date(2025, 1, 6), 1)
    with pytest.raises(ConfigError, match="rows \\[1, 2\\]"):
        closed.add_days_many(d, 1)
    with pytest.raises(ConfigError, match="horizon_days"):
        cal.add_days(dt.date(2025, 1, 6), 10_000)


def test_dates_near_the_limits() -> None:
    """Year 9999 is answered or refused at once, never searched for."""
    cal = BusinessCalendar("UTC", {"mon": [["09:00", "18:00"]]})
    assert cal.add_days(dt.date(9999, 12, 1), 1) == dt.date(9999, 12, 13)
    with pytest.raises((ConfigError, InvalidInputError)):
        cal.add_days(dt.date(9999, 12, 31), 5)
    with pytest.raises(InvalidInputError, match="years 1 to 9999"):
        cal.is_business_day(dt.date(9999, 12, 31))
