"""``Between`` checks ``low <= high`` as the rule reads its ends, not as text.

Regression: the check compared the raw values, so text ends were ordered character by
character. ``"2025-07-05"`` to ``"20250630"`` (extended and basic ISO 8601) passed though
reversed, and so did ``"2025-06-30T16:00:00Z"`` to ``"2025-06-30T23:00:00+08:00"`` (16:00 to
15:00 UTC); ``"2025-06-30T12:00"`` to ``"2025-06-30"`` (noon through the end of the day) and
``"20250630"`` to ``"2025-06-30"`` (one day) were refused though valid. Now each end is
read as the rule reads it against a column of times (a day is the whole day, on the
column's wall clock; an instant is exact), and numbers as numbers.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import AllOf, Audience, Between, Compare
from crmkit.errors import ConfigError

#: Pairs (low, high) in the wrong order as the rule reads them; text comparison let each
#: one through.
REVERSED = [
    ("2025-07-05", "20250630"),  # 5 July to 30 June
    ("2025-06-30T16:00:00Z", "2025-06-30T23:00:00+08:00"),  # 16:00 to 15:00 UTC
    ("2025-06-30 12:00", "2025-06-30T09:00"),  # noon to 9:00
    ("2025-06-30T12:00", "20250630T0900"),  # noon to 9:00, basic form
    ("2025-07-01", "20250630T2359"),  # from 1 July to a minute before it
    ("2025-07-01 00:00", "20250630"),  # from 1 July's midnight to the end of 30 June
    ("2025-07-03", "20250701T120000Z"),  # 3 July, 36 hours after the instant in UTC
    ("2025-10-01", "2025-9-30"),  # 1 October to 30 September, year first and unpadded
]

#: Pairs in order as the rule reads them (equal ends included); text comparison refused
#: each one.
VALID = [
    ("2025-06-30T23:00:00+08:00", "2025-06-30T16:00:00Z"),  # 15:00 to 16:00 UTC
    ("2025-06-30T12:00", "2025-06-30"),  # noon through the end of the day
    ("20250630", "2025-06-30"),  # one day, written two ways
    ("2025-06-30T14:00", "2025-06-30 14:00"),  # one instant, written two ways
    ("2025-07-01", "2025-06-30T20:00:00-05:00"),  # 00:00 to 01:00 on 1 July in UTC
    ("2025-06-30T12:00+08:00", "2025-06-29"),  # in Honolulu 12:00+08:00 is 29 June 18:00
    ("2025/6/30", "2025-06-30"),  # one day, unpadded and ISO
]


@pytest.mark.parametrize(("low", "high"), REVERSED)
def test_reversed_ends_are_refused_naming_high(low: str, high: str) -> None:
    """Ends in the wrong order are a ConfigError naming ``high``, built or read from JSON."""
    with pytest.raises(ConfigError) as info:
        Between("last_purchase", low, high)
    assert info.value.field == "high"
    assert repr(low) in str(info.value)
    data = {"name": "x", "rule": {"kind": "between", "column": "c", "low": low, "high": high}}
    with pytest.raises(ConfigError, match=r"Audience\.from_dict\(\): parameter 'rule\.high'"):
        Audience.from_dict(data)


@pytest.mark.parametrize(("low", "high"), VALID)
def test_ends_in_order_are_accepted_and_round_trip(low: str, high: str) -> None:
    """Ends in order (or equal) as the rule reads them build, and survive JSON unchanged."""
    rule = Between("last_purchase", low, high)
    text = json.dumps(Audience("a", rule).to_dict())
    assert Audience.from_dict(json.loads(text)).rule == rule
    assert (rule.low, rule.high) == (low, high)  # the text is kept as written


@pytest.mark.parametrize(
    ("low", "high", "zone", "time"),
    [
        ("2025-06-30T23:00:00+08:00", "2025-06-30T16:00:00Z", "UTC", "2025-06-30T15:30"),
        ("2025-07-01", "2025-06-30T20:00:00-05:00", "UTC", "2025-07-01T00:30"),
        ("2025-06-30T12:00+08:00", "2025-06-29", "Pacific/Honolulu", "2025-06-29T20:00"),
    ],
)
def test_accepted_aware_ends_select_what_they_say(
    low: str, high: str, zone: str, time: str
) -> None:
    """The ends text comparison refused do select times in between, in a frame and alone."""
    stamp = pd.Timestamp(time, tz=zone)
    frame = pd.DataFrame({"seen": pd.Series([stamp])})
    audience = Audience("a", Between("seen", low, high))
    assert audience.mask(frame).tolist() == [True]
    assert audience.matches({"seen": stamp})


def test_naive_ends_select_what_they_say() -> None:
    """Noon through the end of the day, and one day written two ways."""
    times = pd.to_datetime(pd.Series(["2025-06-30 11:59", "2025-06-30 12:00", "2025-06-30 23:59"]))
    frame = pd.DataFrame({"seen": times})
    assert Audience("a", Between("seen", "2025-06-30T12:00", "2025-06-30")).mask(
        frame
    ).tolist() == [False, True, True]
    assert Audience("a", Between("seen", "20250630", "2025-06-30")).mask(frame).tolist() == [
        True,
        True,
        True,
    ]


@pytest.mark.parametrize(("low", "high", "ok"), [(1, 1.0, True), (2, 1.5, False), (-1, 0, True)])
def test_numbers_are_compared_as_numbers(low: float, high: float, ok: bool) -> None:
    """Numeric ends keep their check: equal ends are one value, reversed ones are refused."""
    if ok:
        assert Between("clv", low, high).high == high
    else:
        with pytest.raises(ConfigError, match="parameter 'high'"):
            Between("clv", low, high)


def test_ends_of_other_kinds_are_left_to_the_column_check() -> None:
    """Ends the rule cannot read as times (text that is not ISO 8601, a number beside a
    string, a naive instant beside an aware one) are not ordered here: the check against
    the frame's column names the one that does not fit."""
    frame = pd.DataFrame({"seen": pd.to_datetime(["2025-06-30 12:00"])})
    for low, high, field in [
        ("2025-10-01", "2025/9-30", "high"),  # no date: two separators
        ("2025-06-30", 5, "high"),
        ("2025-06-30T16:00:00Z", "2025-06-30T12:00", "low"),
    ]:
        rule = Between("seen", low, high)
        with pytest.raises(ConfigError, match=rf"parameter 'rule\.{field}'"):
            Audience("a", rule).mask(frame)


# ------------------------------------------------------------------- property: the reader
_DAY_FORMS = ("%Y-%m-%d", "%Y%m%d")
_NAIVE_FORMS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y%m%dT%H%M", "%Y-%m-%dT%H:%M:%S")
_OFFSETS = ("Z", "+08:00", "-05:00", "+14:00", "-12:00", "+0530")


@st.composite
def _naive_end(draw: st.DrawFn) -> str:
    """A day or a naive instant (minutes) around the end of June 2025, in an ISO form."""
    when = draw(st.datetimes(dt.datetime(2025, 6, 28), dt.datetime(2025, 7, 3)))
    when = when.replace(second=0, microsecond=0)
    forms = _DAY_FORMS if draw(st.booleans()) else _NAIVE_FORMS
    return when.strftime(draw(st.sampled_from(forms)))


@st.composite
def _aware_end(draw: st.DrawFn) -> str:
    """A day or an instant with a UTC offset around the end of June 2025."""
    when = draw(st.datetimes(dt.datetime(2025, 6, 28), dt.datetime(2025, 7, 3)))
    when = when.replace(second=0, microsecond=0)
    if draw(st.booleans()):
        return when.strftime(draw(st.sampled_from(_DAY_FORMS)))
    return when.strftime("%Y-%m-%dT%H:%M") + draw(st.sampled_from(_OFFSETS))


def _first_time(low: str, zone: dt.tzinfo | None) -> pd.Timestamp:
    """The earliest time ``>= low`` selects: an instant itself, a day's start (in ``zone``)."""
    read = pd.Timestamp(dt.datetime.fromisoformat(low))
    if zone is None:
        return read
    return read.tz_convert(zone) if read.tzinfo is not None else read.tz_localize(zone)


def _selects(low: str, high: str, zone: dt.tzinfo | None) -> bool:
    """Whether ``>= low`` and ``<= high`` (how Between is evaluated) select some time."""
    first = _first_time(low, zone)
    frame = pd.DataFrame({"t": pd.Series([first])})
    both = AllOf([Compare("t", ">=", low), Compare("t", "<=", high)])
    return bool(Audience("a", both).mask(frame).iloc[0])


def _builds(low: str, high: str) -> bool:
    try:
        Between("t", low, high)
    except ConfigError:
        return False
    return True


@given(low=_naive_end(), high=_naive_end())
def test_naive_ends_are_refused_exactly_when_they_select_nothing(low: str, high: str) -> None:
    """Invariant: Between builds exactly when its ends, as the comparisons read them,
    select some time of a naive column."""
    assert _builds(low, high) == _selects(low, high, None), (low, high)


#: Fixed offsets from the furthest west to the furthest east a zone can be.
_EXTREME_ZONES = tuple(
    dt.timezone(dt.timedelta(seconds=s)) for s in (-86_399, -12 * 3600, 0, 8 * 3600, 86_399)
)


@given(low=_aware_end(), high=_aware_end())
def test_aware_ends_are_refused_only_when_no_zone_orders_them(low: str, high: str) -> None:
    """Invariant: against an aware column the day of a time depends on the column's zone,
    so Between builds exactly when its ends select some time in some zone."""
    selects = any(_selects(low, high, zone) for zone in _EXTREME_ZONES)
    assert _builds(low, high) == selects, (low, high)
