"""``campaign_orders`` keeps every order inside its window, to the instant.

Regression: the window was whole days, ``start``'s day through ``end``'s, with a time of
day drawn in opening hours (08:00 to 22:00). An ``end`` with a time of day
(``"2025-10-02T12:00"``) got orders up to 22:00 that day, after ``end``, and a ``start``
with one (``"2025-10-01T15:00"``) got orders from 08:00, before it. Now such an end
closes the window at that instant (orders fall before it) and such a start opens it; a
date ``end`` (or one at midnight) is still the last day, included, so the sample every
seed gives with dates is unchanged.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError

N = 300
TX = datasets.transactions(n_customers=N, seed=4)
ARMS = pd.DataFrame({"arm": ["treatment"] * N}, index=pd.Index(range(1, N + 1)))


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


@settings(max_examples=40, deadline=None)
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
    days = pd.date_range(first.normalize(), stop.normalize(), freq="D")
    opening = any(
        max(day + pd.Timedelta(hours=8), first) < min(day + pd.Timedelta(hours=22), stop)
        for day in days
    )
    if not opening:
        with pytest.raises(ConfigError, match="parameter 'end'"):
            _orders(start, end, seed)
        return
    _assert_inside(_orders(start, end, seed), start, end)
