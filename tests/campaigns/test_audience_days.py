"""A whole day in an audience rule compared with a column of times means the whole day.

Regression: ``"2025-06-30"`` was read as that day's midnight, so ``Between(low, "2025-06-30")``
("both ends included") and ``<= "2025-06-30"`` left out a purchase at 14:00 on 30 June, and
``> "2025-06-30"`` took it in. Now each time's calendar day (on its own wall clock: the
column's zone for an aware column) is compared with the day, as an ``as_of`` date is read
to the end of its day; a value with a time of day stays an exact instant.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit._validate import cutoff_value
from crmkit.campaigns import Audience, Between, Compare, Condition, In, Not
from crmkit.errors import ConfigError

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
ZONES = ("Asia/Shanghai", "America/Santiago", "Europe/London", "Pacific/Chatham", "UTC")

#: Around 30 June: the last instant before it, its start, 14:00, its last microsecond,
#: the next midnight, and a missing value.
TIMES = pd.to_datetime(
    pd.Series(["2025-06-29 23:59:59", "2025-06-30 00:00", "2025-06-30 14:00",
               "2025-06-30 23:59:59.999999", "2025-07-01 00:00", None]), format="ISO8601"
)  # fmt: skip
LABELS = ["eve", "start", "afternoon", "last", "next", "missing"]


def _frame(values: pd.Series, name: str = "last_purchase") -> pd.DataFrame:
    """One column, indexed by the first labels of :data:`LABELS`."""
    return pd.DataFrame({name: values.set_axis(LABELS[: len(values)])})


def _both(rule: Condition, frame: pd.DataFrame) -> list[bool]:
    """The batch mask, after checking that one customer at a time gives the same."""
    audience = Audience("a", rule)
    batch = audience.mask(frame).tolist()
    column = frame.columns[0]
    scalar = [audience.matches({column: None if pd.isna(v) else v}) for v in frame[column]]
    assert batch == scalar, rule
    return batch


# ----------------------------------------------------------------------- hand-checked
def test_the_afternoon_of_the_high_day_is_in():
    """Regression: a purchase at 14:00 on the high day of ``Between`` ("both ends
    included") was left out, and so was it for ``<=`` the day."""
    frame = _frame(TIMES)
    june = Audience("bought in June", Between("last_purchase", "2025-06-01", "2025-06-30"))
    assert "afternoon" in june.select(frame)
    assert june.matches({"last_purchase": dt.datetime(2025, 6, 30, 14)})
    on_or_before = Audience("by 30 June", Compare("last_purchase", "<=", "2025-06-30"))
    assert on_or_before.matches({"last_purchase": pd.Timestamp("2025-06-30 14:00")})


@pytest.mark.parametrize(
    ("rule", "expected"),
    [  #                                             eve    start  aftern last   next   missing
        (Compare("last_purchase", "<", "2025-06-30"), [True, False, False, False, False, False]),
        (Compare("last_purchase", "<=", "2025-06-30"), [True, True, True, True, False, False]),
        (Compare("last_purchase", ">", "2025-06-30"), [False, False, False, False, True, False]),
        (Compare("last_purchase", ">=", "2025-06-30"), [False, True, True, True, True, False]),
        (Compare("last_purchase", "==", "2025-06-30"), [False, True, True, True, False, False]),
        (Compare("last_purchase", "!=", "2025-06-30"), [True, False, False, False, True, False]),
        (Between("last_purchase", "2025-06-30", "2025-06-30"),
         [False, True, True, True, False, False]),
        (Between("last_purchase", "2025-06-29", "2025-06-30"),
         [True, True, True, True, False, False]),
        (In("last_purchase", ["2025-06-29", "2025-07-01"]),
         [True, False, False, False, True, False]),
        (In("last_purchase", ["2025-06-30"]), [False, True, True, True, False, False]),
        (In("last_purchase", []), [False] * 6),
        (Not(Compare("last_purchase", "==", "2025-06-30")),
         [True, False, False, False, True, True]),
        # the basic ISO form of a day is a day too
        (Compare("last_purchase", "<=", "20250630"), [True, True, True, True, False, False]),
    ],
)  # fmt: skip
def test_each_operator_with_a_day(rule: Condition, expected: list[bool]):
    """A day: ``<`` before its start, ``<=`` to its end, ``>`` after its end, ``>=`` from
    its start, ``==`` within it, ``!=`` outside it, ``between`` from low's start through
    high's end, ``in`` within any of the days; a missing value is in none of them."""
    assert _both(rule, _frame(TIMES)) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [  #                                                    eve    start  aftern last   next   missing
        (Compare("last_purchase", "<=", "2025-06-30T00:00"), [True, True, False, False, False, False]),
        (Compare("last_purchase", ">", "2025-06-30 00:00:00"), [False, False, True, True, True, False]),
        (Compare("last_purchase", "==", "2025-06-30T14:00"), [False, False, True, False, False, False]),
        (Between("last_purchase", "2025-06-30T12:00", "2025-06-30T23:00"),
         [False, False, True, False, False, False]),
        (In("last_purchase", ["2025-06-30T14:00"]), [False, False, True, False, False, False]),
        # a day at one end, an instant at the other: each end keeps its own meaning
        (Between("last_purchase", "2025-06-30", "2025-06-30T14:00"),
         [False, True, True, False, False, False]),
        (Between("last_purchase", "2025-06-29T23:59:59", "2025-06-30"),
         [True, True, True, True, False, False]),
        (In("last_purchase", ["2025-06-29T23:59:59", "2025-07-01"]),
         [True, False, False, False, True, False]),
    ],
)  # fmt: skip
def test_an_instant_keeps_its_exact_meaning(rule: Condition, expected: list[bool]):
    """A value with a time of day, midnight included, is the instant it names."""
    assert _both(rule, _frame(TIMES)) == expected


def test_an_aware_column_is_read_on_its_own_wall_clock():
    """A day against an aware column is the day in the column's zone: 23:30 in Shanghai
    on 30 June is 15:30 UTC on 30 June, 07:00 on 1 July is 23:00 UTC on 30 June. An
    object column of aware datetimes reads each value on its own offset. (Before, a day
    was refused there as a value without a UTC offset.)"""
    shanghai = _frame(
        pd.to_datetime(pd.Series(["2025-06-30 23:30", "2025-07-01 07:00", None]))
        .dt.tz_localize("Asia/Shanghai")
    )  # fmt: skip
    assert _both(Compare("last_purchase", "==", "2025-06-30"), shanghai) == [True, False, False]
    assert _both(Compare("last_purchase", ">", "2025-06-30"), shanghai) == [False, True, False]
    # an instant is still compared as an instant, and still needs its offset
    at = Compare("last_purchase", ">=", "2025-06-30T23:00:00+00:00")
    assert _both(at, shanghai) == [False, True, False]
    with pytest.raises(ConfigError, match="an ISO date, or an ISO datetime string with a UTC"):
        Audience("x", Compare("last_purchase", ">=", "2025-06-30T23:00")).mask(shanghai)
    east, west = dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-5))
    mixed = _frame(pd.Series([dt.datetime(2025, 7, 1, 7, tzinfo=east),
                              dt.datetime(2025, 6, 30, 22, tzinfo=west), None], dtype=object))  # fmt: skip
    assert _both(Compare("last_purchase", "==", "2025-07-01"), mixed) == [True, False, False]
    assert _both(In("last_purchase", ["2025-06-30"]), mixed) == [False, True, False]


def test_a_day_whose_midnight_a_clock_change_skips():
    """On 7 September 2025 Chile's clocks went from 00:00 to 01:00: the day has no
    midnight, and still starts with its first instant (01:00)."""
    zone = "America/Santiago"
    frame = _frame(
        pd.to_datetime(pd.Series(["2025-09-06 23:59", "2025-09-07 01:00", "2025-09-07 23:59"]))
        .dt.tz_localize(zone)
    )  # fmt: skip
    assert _both(Compare("last_purchase", ">=", "2025-09-07"), frame) == [False, True, True]
    assert _both(Compare("last_purchase", "<", "2025-09-07"), frame) == [True, False, False]


def test_a_column_of_dates_is_unchanged():
    """A column of dates (objects, or datetime64 midnights) compares as dates, as before:
    a date is within its own day."""
    days = [dt.date(2025, 6, 29), dt.date(2025, 6, 30), dt.date(2025, 7, 1), None]
    for frame in (_frame(pd.Series(days, dtype=object)),
                  _frame(pd.to_datetime(pd.Series(days, dtype=object)))):  # fmt: skip
        for op, compare in OPS.items():
            expected = [d is not None and compare(d, dt.date(2025, 6, 30)) for d in days]
            assert _both(Compare("last_purchase", op, "2025-06-30"), frame) == expected, op


def test_a_never_sentinel_and_a_categorical_column():
    """Days past 2262 (a 9999-12-31 "never" sentinel) take the element-wise path; a
    categorical column of times is compared by its times (ordering raised a TypeError)."""
    values = pd.Series([dt.date(9999, 12, 31), dt.datetime(2025, 6, 30, 14), None], dtype=object)
    sentinel = _frame(values)
    assert _both(Compare("last_purchase", ">", "2025-06-30"), sentinel) == [True, False, False]
    assert _both(In("last_purchase", ["9999-12-31"]), sentinel) == [True, False, False]
    assert _both(Compare("last_purchase", "<=", "2025-06-30"), sentinel) == [False, True, False]
    categorical = _frame(pd.Series(pd.Categorical(TIMES)))
    assert _both(Compare("last_purchase", "<=", "2025-06-30"), categorical) == [
        True, True, True, True, False, False]  # fmt: skip
    assert _both(Between("last_purchase", "2025-06-30T12:00", "2025-07-01"), categorical) == [
        False, False, True, True, True, False]  # fmt: skip


def test_json_keeps_the_text_as_written():
    """The stored value is the text the user wrote; the day is read when evaluated."""
    audience = Audience("June", Between("last_purchase", "2025-06-01", "20250630"))
    data = audience.to_dict()
    assert data["rule"] == {"kind": "between", "column": "last_purchase",
                            "low": "2025-06-01", "high": "20250630"}  # fmt: skip
    back = Audience.from_dict(json.loads(json.dumps(data)))
    assert back == audience
    assert back.mask(_frame(TIMES)).tolist() == audience.mask(_frame(TIMES)).tolist()


# ------------------------------------------------------------------------- properties
_NAIVE = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31))
_DAYS = st.dates(min_value=dt.date(1899, 12, 30), max_value=dt.date(2201, 1, 2))


@st.composite
def _columns(draw: st.DrawFn) -> tuple[pd.Series, list[Any], list[dt.date | None]]:
    """A column of times, the values one customer would hold, and each time's local day.

    Naive datetime64, aware in one zone (DatetimeTZDtype), or an object column of aware
    datetimes in several zones; missing values included.
    """
    shape = draw(st.sampled_from(["naive", "zoned", "object"]))
    n = draw(st.integers(1, 12))
    maybe = st.one_of(st.none(), _NAIVE)
    walls = draw(st.lists(maybe, min_size=n, max_size=n))
    if shape == "naive":
        values: list[Any] = walls
        column = pd.Series(pd.to_datetime(pd.Series(walls, dtype=object)))
        return column, values, [None if w is None else w.date() for w in walls]
    zones = [ZoneInfo(z) for z in draw(st.lists(st.sampled_from(ZONES), min_size=n, max_size=n))]
    if shape == "zoned":
        zones = [zones[0]] * n
    # an instant, then seen on each zone's wall clock (imaginary wall times never arise)
    values = [None if w is None else w.replace(tzinfo=dt.UTC).astimezone(z)
              for w, z in zip(walls, zones, strict=True)]  # fmt: skip
    if shape == "zoned":
        utc = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        column = utc.dt.tz_convert(zones[0])
    else:
        column = pd.Series(values, dtype=object)
    return column, values, [None if v is None else v.date() for v in values]


@given(_columns(), _DAYS, st.sampled_from(sorted(OPS)))
def test_a_day_compares_local_days(data: tuple, day: dt.date, op: str):
    """Property: for any times t and day d, ``t op d`` is ``t.local_date() op d``, on a
    frame and for each customer alike (the customer's own value, or the frame's)."""
    column, values, local = data
    frame = pd.DataFrame({"t": column})
    audience = Audience("a", Compare("t", op, day.isoformat()))
    expected = [d is not None and OPS[op](d, day) for d in local]
    assert audience.mask(frame).tolist() == expected
    assert [audience.matches({"t": v}) for v in values] == expected
    from_frame = [None if pd.isna(v) else v for v in frame["t"]]
    assert [audience.matches({"t": v}) for v in from_frame] == expected


@given(_columns(), _DAYS, _DAYS, st.lists(_DAYS, max_size=3))
def test_between_and_in_compare_local_days(data: tuple, a: dt.date, b: dt.date, days: list):
    """Property: ``between`` days is ``low <= t.local_date() <= high`` and ``in`` days is
    ``t.local_date() in days``; scalar equals batch."""
    column, values, local = data
    low, high = min(a, b), max(a, b)
    frame = pd.DataFrame({"t": column})
    for rule, expected in (
        (Between("t", low.isoformat(), high.isoformat()),
         [d is not None and low <= d <= high for d in local]),
        (In("t", [d.isoformat() for d in days]), [d is not None and d in days for d in local]),
    ):  # fmt: skip
        audience = Audience("a", rule)
        assert audience.mask(frame).tolist() == expected, rule
        assert [audience.matches({"t": v}) for v in values] == expected, rule


@given(st.lists(st.one_of(st.none(), _NAIVE), min_size=1, max_size=12), _DAYS)
def test_on_or_before_a_day_is_before_its_as_of_cutoff(walls: list, day: dt.date):
    """Property: ``<= d`` selects exactly the times an ``as_of=d`` cut-off keeps (before
    the end of the day), and ``> d`` the rest: one reading of a day across crmkit."""
    frame = pd.DataFrame({"t": pd.to_datetime(pd.Series(walls, dtype=object))})
    end = cutoff_value(day.isoformat(), "test", "as_of").end
    kept = [w is not None and pd.Timestamp(w) < end for w in walls]
    assert Audience("a", Compare("t", "<=", day.isoformat())).mask(frame).tolist() == kept
    after = [w is not None and not k for w, k in zip(walls, kept, strict=True)]
    assert Audience("a", Compare("t", ">", day.isoformat())).mask(frame).tolist() == after
