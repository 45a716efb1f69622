"""``campaign_orders`` keeps every order inside its window, to the instant.

Regression: the window was whole days, ``start``'s day through ``end``'s, with a time of
day drawn in opening hours (08:00 to 22:00). An ``end`` with a time of day
(``"2025-10-02T12:00"``) got orders up to 22:00 that day, after ``end``, and a ``start``
with one (``"2025-10-01T15:00"``) got orders from 08:00, before it. Now such an end
closes the window at that instant (orders fall before it) and such a start opens it; a
date ``end`` (or one at midnight) is still the last day, included, so the sample every
seed gives with dates is unchanged.

Regression: a date alone as ``end`` was compared with ``start`` as its midnight, so
``start="2025-10-01T12:00", end="2025-10-01"`` (noon to the end of that day, a date
meaning the whole day as an ``as_of`` does) was refused as an end before its start. Now
a date alone (text in any form the date reader takes as a day, a ``datetime.date``, a
``numpy.datetime64`` in days) is the end of its day both for that check and for the
window; a datetime ``end`` is an instant that must be after ``start``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError
from tests.strategies import examples

N = 300
TX = datasets.transactions(n_customers=N, seed=4)
ARMS = pd.DataFrame({"arm": ["treatment"] * N}, index=pd.Index(range(1, N + 1)))


def _opens(first: pd.Timestamp, stop: pd.Timestamp) -> bool:
    """Whether ``[first, stop)`` holds some opening hours (08:00 to 22:00 of a day)."""
    days = pd.date_range(first.normalize(), stop.normalize(), freq="D")
    return any(
        max(day + pd.Timedelta(hours=8), first) < min(day + pd.Timedelta(hours=22), stop)
        for day in days
    )


def _orders(start: object, end: object, seed: int) -> pd.DataFrame:
    return datasets.campaign_orders(TX, ARMS, start=start, end=end, wake_rate=1.0, seed=seed)


def _window(start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The documented window: from ``start``; before ``end``, or through its day at midnight."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)  # type: ignore[arg-type]
    return first, last + pd.Timedelta(days=1) if last == last.normalize() else last


def _assert_inside(orders: pd.DataFrame, start: object, end: object) -> None:
    first, stop = _window(start, end)
    times = orders["date"]
    assert bool((times >= first).all()), (start, end, times.min())
    assert bool((times < stop).all()), (start, end, times.max())
    hours = times - times.dt.normalize()
    assert bool((hours >= pd.Timedelta(hours=8)).all())
    assert bool((hours < pd.Timedelta(hours=22)).all())
    assert bool(times.is_monotonic_increasing)


@pytest.mark.parametrize("seed", [0, 1, 5])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-10-01", "2025-10-02T12:00"),
        ("2025-10-01", "2025-10-03T08:00:01"),
        ("2025-10-01T15:00", "2025-10-02"),
        ("2025-10-01T21:59", "2025-10-02T08:30"),
        ("2025-10-01T13:00", "2025-10-01T13:30"),
        ("2025-10-01T07:00", "2025-10-03T21:00"),
        ("2025-10-01", "2025-10-31"),
    ],
)
def test_every_order_is_inside_the_window(start: str, end: str, seed: int) -> None:
    """Every order is at or after ``start`` and before ``end`` (or within its day)."""
    orders = _orders(start, end, seed)
    assert len(orders) == N  # wake_rate=1: every treated customer orders once
    _assert_inside(orders, start, end)


def test_a_date_end_and_a_midnight_end_are_the_last_day() -> None:
    """``end="2025-10-02"``, its midnight and a ``datetime.date`` give the same orders,
    on both days (as before: the sample with dates is unchanged)."""
    by_text = _orders("2025-10-01", "2025-10-02", 2)
    pd.testing.assert_frame_equal(by_text, _orders("2025-10-01", pd.Timestamp("2025-10-02"), 2))
    pd.testing.assert_frame_equal(by_text, _orders(dt.date(2025, 10, 1), dt.date(2025, 10, 2), 2))
    assert set(by_text["date"].dt.date.astype(str)) == {"2025-10-01", "2025-10-02"}


@pytest.mark.parametrize(
    ("start", "end"),
    [("2025-10-01T22:30", "2025-10-02T07:00"), ("2025-10-01", "2025-10-01T08:00")],
)
def test_a_window_without_opening_hours_is_refused(start: str, end: str) -> None:
    """A window that holds no opening hours has no time for an order: a ConfigError."""
    with pytest.raises(ConfigError, match=r"campaign_orders\(\): parameter 'end' must be") as info:
        _orders(start, end, 0)
    assert "08:00 to 22:00" in str(info.value)


@settings(max_examples=examples(40), deadline=None)
@given(
    start=st.datetimes(dt.datetime(2025, 10, 1), dt.datetime(2025, 10, 3)),
    length=st.timedeltas(dt.timedelta(minutes=1), dt.timedelta(days=3)),
    whole_days=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_orders_respect_any_window(
    start: dt.datetime, length: dt.timedelta, whole_days: bool, seed: int
) -> None:
    """Invariant: every order is inside ``[start, end)`` (a midnight ``end`` includes its
    day) and in opening hours; a window without opening hours is refused naming ``end``."""
    start = start.replace(microsecond=0)
    end = start + length
    if whole_days:
        start, end = (
            start.replace(hour=0, minute=0, second=0),
            end.replace(hour=0, minute=0, second=0),
        )
        if end <= start:
            end = start + dt.timedelta(days=1)
    first, stop = _window(start, end)
    if not _opens(first, stop):
        with pytest.raises(ConfigError, match="parameter 'end'"):
            _orders(start, end, seed)
        return
    _assert_inside(_orders(start, end, seed), start, end)


#: The day 2025-10-01 alone, in every form the date reader takes as a day.
OCT_1 = (
    "2025-10-01",
    "20251001",
    "2025/10/1",
    "2025.10.1",
    "2025-10-1",
    " 2025-10-01 ",
    dt.date(2025, 10, 1),
    np.datetime64("2025-10-01"),
)


@pytest.mark.parametrize("end", OCT_1, ids=repr)
@pytest.mark.parametrize("seed", [0, 3])
def test_a_date_end_on_the_start_day_runs_to_the_end_of_that_day(end: object, seed: int) -> None:
    """The reported call: ``start`` at noon, ``end`` that day alone: every order falls from
    noon to the end of the day (here 22:00, closing time), whatever form the day has."""
    orders = _orders("2025-10-01T12:00", end, seed)
    assert len(orders) == N
    times = orders["date"]
    assert bool((times >= pd.Timestamp("2025-10-01T12:00")).all()), times.min()
    assert bool((times < pd.Timestamp("2025-10-01T22:00")).all()), times.max()
    assert bool(times.is_monotonic_increasing)
    pd.testing.assert_frame_equal(orders, _orders("2025-10-01T12:00", "2025-10-01", seed))


def test_a_date_end_equal_to_a_date_start_is_a_one_day_window() -> None:
    """``start`` and ``end`` the same day alone: that whole day (its opening hours)."""
    orders = _orders(dt.date(2025, 10, 1), "2025/10/1", 1)
    assert len(orders) == N
    assert set(orders["date"].dt.date.astype(str)) == {"2025-10-01"}
    pd.testing.assert_frame_equal(orders, _orders("2025-10-01", "2025-10-01T23:59:59", 1))


@pytest.mark.parametrize(
    ("start", "end", "found"),
    [
        ("2025-10-02", "2025-10-01", "found 2025-10-01 (the whole day, to 2025-10-02 00:00:00)"),
        ("2025-10-02T08:00", dt.date(2025, 10, 1), "found 2025-10-01 (the whole day"),
        ("2025-10-03", "2025/10/1", "found 2025-10-01 (the whole day"),
        ("2025-10-01T12:00", "2025-10-01T11:59", "found 2025-10-01 11:59:00"),
        # A datetime is an instant, at midnight too: before a start at noon that day.
        ("2025-10-01T12:00", "2025-10-01T00:00", "found 2025-10-01 00:00:00"),
        (pd.Timestamp("2025-10-01"), pd.Timestamp("2025-10-01"), "found 2025-10-01 00:00:00"),
    ],
)
def test_an_end_before_start_is_refused_naming_end(
    start: str | dt.date, end: str | dt.date, found: str
) -> None:
    """A ``start`` at or after the end of a date ``end``'s day, or after a datetime
    ``end``, is a ConfigError naming ``end`` and the start it must follow."""
    with pytest.raises(
        ConfigError, match=r"campaign_orders\(\): parameter 'end' must be after"
    ) as info:
        _orders(start, end, 0)
    assert info.value.field == "end"
    assert found in str(info.value)
    assert f"after start {_label(pd.Timestamp(start))}" in str(info.value)


def _label(stamp: pd.Timestamp) -> str:
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def test_a_date_end_after_closing_time_on_its_day_is_refused_for_opening_hours() -> None:
    """``start`` after 22:00 and ``end`` that day alone: a valid window without opening
    hours, refused as such (not as an end before its start)."""
    with pytest.raises(ConfigError, match="parameter 'end' must be a window") as info:
        _orders("2025-10-01T22:30", "2025-10-01", 0)
    assert "08:00 to 22:00" in str(info.value)
    assert "2025-10-01 22:30:00 up to 2025-10-02 00:00:00" in str(info.value)


_DAYS = st.dates(dt.date(2025, 9, 29), dt.date(2025, 10, 4))


@st.composite
def _bounds(draw: st.DrawFn) -> tuple[object, pd.Timestamp, bool]:
    """A window bound as passed, as read (its first instant), and whether it is a day alone."""
    if draw(st.booleans()):
        day = draw(_DAYS)
        form = draw(st.sampled_from(["iso", "basic", "slash", "dot", "date", "datetime64"]))
        value: object = {
            "iso": day.isoformat(),
            "basic": f"{day:%Y%m%d}",
            "slash": f"{day.year}/{day.month}/{day.day}",
            "dot": f"{day.year}.{day.month}.{day.day}",
            "date": day,
            "datetime64": np.datetime64(day, "D"),
        }[form]
        return value, pd.Timestamp(day), True
    moment = draw(st.datetimes(dt.datetime(2025, 9, 29), dt.datetime(2025, 10, 4, 23, 59)))
    moment = moment.replace(microsecond=0)
    as_text = draw(st.booleans())
    return (moment.isoformat() if as_text else moment), pd.Timestamp(moment), False


@settings(max_examples=examples(80), deadline=None)
@given(start=_bounds(), end=_bounds(), seed=st.integers(0, 2**16))
def test_every_order_is_in_the_window_for_any_start_and_end(
    start: tuple[object, pd.Timestamp, bool],
    end: tuple[object, pd.Timestamp, bool],
    seed: int,
) -> None:
    """Invariant: for any ``start`` and ``end``, dates alone or with a time, in any order,
    every order lies in ``[start, stop)``, where ``stop`` is the end of ``end``'s day for a
    date alone (or a midnight) and ``end`` itself otherwise; an ``end`` not after ``start``
    (a date alone: ``start`` not before the end of its day) and a window without opening
    hours are ConfigErrors naming ``end``."""
    (start_value, first, _), (end_value, last, end_is_day) = start, end
    stop = last + pd.Timedelta(days=1) if end_is_day or last == last.normalize() else last
    if (stop if end_is_day else last) <= first:
        with pytest.raises(ConfigError, match="parameter 'end' must be after start"):
            _orders(start_value, end_value, seed)
        return
    if not _opens(first, stop):
        with pytest.raises(ConfigError, match="parameter 'end' must be a window"):
            _orders(start_value, end_value, seed)
        return
    times = _orders(start_value, end_value, seed)["date"]
    assert len(times) == N
    assert bool((times >= first).all()), (start_value, end_value, times.min())
    assert bool((times < stop).all()), (start_value, end_value, times.max())
    hours = times - times.dt.normalize()
    assert bool((hours >= pd.Timedelta(hours=8)).all())
    assert bool((hours < pd.Timedelta(hours=22)).all())
