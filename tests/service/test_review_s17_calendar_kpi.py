"""Session 17 review of business calendars and service KPIs: hand-checked examples on the
cases a demanding user tries first (China's make-up working days across New Year,
overnight shifts over the 2026 New York DST switches, deadlines on a shift's end, zero
denominators) and the invariants of business time (exactness, additivity, scalar = bulk).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service import BusinessCalendar
from crmkit.service._kpi import (
    complaint_rate,
    duration_quantiles,
    first_contact_resolution,
    followup_completion,
    repeat_complaint_rate,
)
from tests.strategies import examples

H = dt.timedelta(hours=1)
NY = "America/New_York"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = (*WEEKDAYS, "sat", "sun")

#: A 09:00-18:00 desk in Shanghai with the 2025 and 2026 State Council arrangements.
CN_DESK = BusinessCalendar("Asia/Shanghai", {d: [["09:00", "18:00"]] for d in WEEKDAYS})
CN_DESK = CN_DESK.with_country_holidays("CN", [2025, 2026])
#: A night desk in New York, 22:00-06:00 every night (owned by the evening it opens).
NIGHT = BusinessCalendar(NY, {d: [["22:00", "06:00"]] for d in EVERY_DAY})
#: A split desk in New York with an overnight shift on Saturdays.
SPLIT = BusinessCalendar(
    NY,
    {
        **{d: [["08:00", "12:00"], ["13:00", "17:30"]] for d in WEEKDAYS},
        "sat": [["20:00", "03:30"]],
    },
    holidays=["2026-11-03"],
)


def cn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CN_DESK.zone)  # type: ignore[misc]


def ny(*args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NIGHT.zone, fold=fold)  # type: ignore[misc]


# ------------------------------------------------------------------ China across New Year


def test_cn_deadline_runs_over_new_year_into_the_sunday_make_up_day() -> None:
    """Wed 2025-12-31 17:00 + 2 business hours: 1 h on 31 December, 1-3 January 2026 off
    (Thursday to Saturday), Sunday 4 January worked (调休): due Sunday 10:00."""
    due = CN_DESK.add(cn(2025, 12, 31, 17), 2 * H)
    assert due == cn(2026, 1, 4, 10)
    assert CN_DESK.elapsed(cn(2025, 12, 31, 17), due) == 2 * H
    assert CN_DESK.elapsed(due, cn(2025, 12, 31, 17)) == -2 * H
    assert CN_DESK.is_business_day(dt.date(2026, 1, 4))
    assert not CN_DESK.is_business_day(dt.date(2026, 1, 2))
    assert CN_DESK.add_days(dt.date(2025, 12, 31), 1) == dt.date(2026, 1, 4)
    assert (
        CN_DESK.business_days_between(dt.date(2025, 12, 29), dt.date(2026, 1, 6)) == 5
    )  # 29-31, 4, 5


def test_cn_spring_festival_2026_block_and_its_two_saturdays() -> None:
    """2026 notice: 15-23 February off (9 days), Saturdays 14 and 28 February worked. Fri
    13 February 17:00 + 10 h: 1 h Friday, 9 h Saturday 14th -> Saturday 18:00 (a closing
    time, not the next opening on Tuesday 24th); one more hour is Tuesday 24th 10:00."""
    assert CN_DESK.add(cn(2026, 2, 13, 17), 10 * H) == cn(2026, 2, 14, 18)
    assert CN_DESK.breach_at(cn(2026, 2, 13, 17), 10 * H) == cn(2026, 2, 24, 9)
    assert CN_DESK.add(cn(2026, 2, 13, 17), 11 * H) == cn(2026, 2, 24, 10)
    assert (
        CN_DESK.business_days_between(dt.date(2026, 2, 13), dt.date(2026, 3, 2)) == 7
    )  # 13, 14, 24-28
    assert CN_DESK.is_business_day(dt.date(2026, 2, 28))


def test_a_calendar_for_2025_alone_refuses_to_count_january_2026() -> None:
    desk = BusinessCalendar("Asia/Shanghai", {d: [["09:00", "18:00"]] for d in WEEKDAYS})
    desk = desk.with_country_holidays("CN", 2025)
    assert desk.add(cn(2025, 12, 31, 17), H) == cn(2025, 12, 31, 18)  # inside 2025
    with pytest.raises(ConfigError, match="2026"):
        desk.add(cn(2025, 12, 31, 17), 2 * H)
    with pytest.raises(ConfigError, match="2026"):
        desk.business_days_between(dt.date(2026, 1, 5), dt.date(2025, 12, 31))


# ------------------------------------------------------------------ New York DST, overnight


def test_night_shift_over_spring_forward_lasts_seven_hours() -> None:
    """Sat 2026-03-07 22:00 EST to Sun 06:00 EDT: the clock skips 02:00-03:00, so the
    shift runs 7 real hours; a 7-hour target lands on its end (06:00), 8 hours on the
    next night's first hour."""
    start = ny(2026, 3, 7, 22)
    assert NIGHT.elapsed(start, ny(2026, 3, 8, 12)) == 7 * H
    assert NIGHT.add(start, 7 * H) == ny(2026, 3, 8, 6)
    assert NIGHT.breach_at(start, 7 * H) == ny(2026, 3, 8, 22)
    assert NIGHT.add(start, 8 * H) == ny(2026, 3, 8, 23)
    assert not NIGHT.is_open(ny(2026, 3, 8, 6))  # the closing instant is outside


def test_night_shift_over_fall_back_lasts_nine_hours() -> None:
    """Sat 2026-10-31 22:00 EDT to Sun 06:00 EST: 01:00-02:00 happens twice, 9 hours."""
    start = ny(2026, 10, 31, 22)
    assert NIGHT.elapsed(start, ny(2026, 11, 1, 12)) == 9 * H
    assert NIGHT.add(start, 9 * H) == ny(2026, 11, 1, 6)
    # 3 hours in: the first 01:00 (EDT); 4 hours in: the second (EST, fold=1).
    assert NIGHT.add(start, 3 * H) == ny(2026, 11, 1, 1)
    four = NIGHT.add(start, 4 * H)
    assert four.utcoffset() == -5 * H
    assert four.astimezone(dt.UTC) == dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)


def test_split_desk_with_a_holiday_tuesday_and_a_saturday_night() -> None:
    """Mon 2026-11-02 17:00 + 2 h: 30 min Monday, Tuesday 3 November a holiday, 1 h 30
    Wednesday 08:00-09:30. Sat 2026-10-31 20:00 night shift crosses the fall-back hour:
    20:00 EDT to 03:30 EST is 8 h 30 real time."""
    assert SPLIT.add(ny(2026, 11, 2, 17), 2 * H) == ny(2026, 11, 4, 9, 30)
    assert SPLIT.elapsed(ny(2026, 10, 31, 12), ny(2026, 11, 1, 12)) == dt.timedelta(
        hours=8, minutes=30
    )
    assert SPLIT.add(ny(2026, 10, 31, 20), dt.timedelta(hours=8, minutes=30)) == ny(
        2026, 11, 1, 3, 30
    )
    # Lunch: a deadline landing on 12:00 is 12:00; one second more is 13:00:01.
    assert SPLIT.add(ny(2026, 11, 2, 8), 4 * H) == ny(2026, 11, 2, 12)
    assert SPLIT.add(ny(2026, 11, 2, 8), 4 * H + dt.timedelta(seconds=1)) == ny(
        2026, 11, 2, 13, 0, 1
    )


# ------------------------------------------------------------------ properties

CALENDARS = {"cn": CN_DESK, "night": NIGHT, "split": SPLIT}
#: Windows inside the CN years, and around the 2026 New York switches.
WINDOWS = {
    "cn": (dt.datetime(2025, 1, 2, tzinfo=dt.UTC), dt.datetime(2026, 12, 20, tzinfo=dt.UTC)),
    "night": (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 10, tzinfo=dt.UTC)),
    "split": (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 10, tzinfo=dt.UTC)),
}
DST_DAYS = (dt.datetime(2026, 3, 8, 7, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC))


@st.composite
def instants(draw: st.DrawFn, name: str) -> dt.datetime:
    """Whole minutes in the window; half of them within two days of a DST switch."""
    if name != "cn" and draw(st.booleans()):
        centre = draw(st.sampled_from(DST_DAYS))
        return centre + dt.timedelta(minutes=draw(st.integers(-2 * 1440, 2 * 1440)))
    lo, hi = WINDOWS[name]
    minutes = int((hi - lo).total_seconds() // 60)
    return lo + dt.timedelta(minutes=draw(st.integers(0, minutes)))


durations = st.integers(0, 60 * 60).map(lambda m: dt.timedelta(minutes=m))  # up to 60 h


@settings(max_examples=examples(60), deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)), data=st.data())
def test_add_then_elapsed_gives_the_duration_back(name: str, data: st.DataObject) -> None:
    """``elapsed(t, add(t, d)) == d``, ``add(t, d) >= t``, ``add(t, 0) == t``, and a
    deadline is never pushed past a closing time (``due_at <= breach_at``)."""
    cal = CALENDARS[name]
    t = data.draw(instants(name))
    d = data.draw(durations)
    due = cal.add(t, d)
    assert due.timestamp() >= t.timestamp()
    assert cal.elapsed(t, due) == d
    # (Compared in UTC: Python never finds an instant in a repeated hour equal to one
    # in another zone, PEP 495.)
    assert cal.add(t, dt.timedelta(0)).astimezone(dt.UTC) == t
    breach = cal.breach_at(t, d)
    assert due.timestamp() <= breach.timestamp()
    assert cal.elapsed(t, breach) == d
    if d > dt.timedelta(0):
        # Nothing earlier than the deadline has used the whole target.
        # (In UTC: same-zone aware arithmetic is wall-clock arithmetic, PEP 495.)
        assert cal.elapsed(t, due.astimezone(dt.UTC) - dt.timedelta(seconds=1)) < d
        # subtract inverts add on the business clock.
        assert cal.elapsed(cal.subtract(due, d), due) == d


@settings(max_examples=examples(60), deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)), data=st.data())
def test_elapsed_is_additive_over_any_split_point(name: str, data: st.DataObject) -> None:
    """``elapsed(a, b) + elapsed(b, c) == elapsed(a, c)`` in every order of a, b, c;
    ``elapsed(a, b) == -elapsed(b, a)``; ``0 <= elapsed(a, b) <= b - a`` for a <= b."""
    cal = CALENDARS[name]
    a, b, c = (data.draw(instants(name)) for _ in range(3))
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)
    assert cal.elapsed(a, b) == -cal.elapsed(b, a)
    lo, hi = min(a, b), max(a, b)
    assert dt.timedelta(0) <= cal.elapsed(lo, hi) <= hi - lo


@settings(max_examples=examples(60), deadline=None)
@given(
    name=st.sampled_from(sorted(CALENDARS)),
    data=st.data(),
    size=st.integers(1, 8),
)
def test_scalar_equals_bulk(name: str, data: st.DataObject, size: int) -> None:
    """``add_many`` / ``elapsed_many`` give the scalar answers row by row (numpy arrays
    of UTC instants and aware Series alike)."""
    cal = CALENDARS[name]
    starts = [data.draw(instants(name)) for _ in range(size)]
    ends = [data.draw(instants(name)) for _ in range(size)]
    steps = [data.draw(durations) for _ in range(size)]
    series = pd.Series(pd.DatetimeIndex(starts).tz_convert(cal.timezone))
    added = cal.add_many(series, pd.to_timedelta(pd.Series(steps)))
    assert [x.to_pydatetime() for x in added] == [
        cal.add(t, d) for t, d in zip(starts, steps, strict=True)
    ]
    utc = np.array([np.datetime64(t.replace(tzinfo=None), "ns") for t in starts])
    utc_end = np.array([np.datetime64(t.replace(tzinfo=None), "ns") for t in ends])
    got = cal.elapsed_many(utc, utc_end)
    want = [cal.elapsed(a, b) for a, b in zip(starts, ends, strict=True)]
    assert [pd.Timedelta(x).to_pytimedelta() for x in got] == want


# ------------------------------------------------------------------ KPIs


def _tickets(hours: list[float | None]) -> pd.DataFrame:
    t0 = pd.Timestamp("2026-03-06 09:00", tz=NY)
    return pd.DataFrame(
        {
            "created_at": [t0] * len(hours),
            "first_reply_at": [pd.NaT if h is None else t0 + pd.Timedelta(hours=h) for h in hours],
        }
    )


def test_median_of_an_even_sample_by_each_named_rule() -> None:
    """1, 2, 4 and 8 hours: nearest rank 2 h, midpoint 3 h (R / numpy type 2), linear 3 h."""
    frame = _tickets([8, 1, 4, 2])
    got = {
        m: duration_quantiles(frame, q=(0.5,), method=m, censoring="exclude").values[0]
        for m in ("nearest_rank", "midpoint", "linear")
    }
    assert got == {"nearest_rank": 2 * H, "midpoint": 3 * H, "linear": 3 * H}


def test_business_durations_over_the_spring_forward_night() -> None:
    """On the night desk a ticket opened Sat 2026-03-07 21:00 and answered Sun 12:00
    waited 7 business hours (22:00 EST to 06:00 EDT), not 8."""
    frame = pd.DataFrame(
        {
            "created_at": [pd.Timestamp("2026-03-07 21:00", tz=NY)],
            "first_reply_at": [pd.Timestamp("2026-03-08 12:00", tz=NY)],
        }
    )
    r = duration_quantiles(frame, q=(0.5,), calendar=NIGHT)
    assert r.values == (7 * H,)
    assert r.business_time


@settings(max_examples=examples(60), deadline=None)
@given(
    hours=st.lists(st.integers(0, 200), min_size=1, max_size=25),
    q=st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]),
)
def test_uncensored_percentiles_are_numpy_percentiles(hours: list[int], q: float) -> None:
    """With nothing waiting the Kaplan-Meier percentiles are the sample's: nearest rank =
    numpy ``inverted_cdf``, midpoint = ``averaged_inverted_cdf``; the interval (when
    determined) brackets the estimate."""
    frame = _tickets([float(h) for h in hours])
    seconds = np.asarray(hours, dtype=float) * 3600
    for method, numpy_method in (
        ("nearest_rank", "inverted_cdf"),
        ("midpoint", "averaged_inverted_cdf"),
    ):
        r = duration_quantiles(frame, q=(q,), method=method)  # type: ignore[arg-type]
        value = r.values[0]
        assert value is not None
        assert value.total_seconds() == pytest.approx(
            float(np.quantile(seconds, q, method=numpy_method))
        )
        if r.lower[0] is not None:
            assert r.lower[0] <= value
        if r.upper[0] is not None:
            assert value <= r.upper[0]


def test_rates_with_zero_denominators_have_no_value_and_say_why() -> None:
    empty = pd.DataFrame(
        {
            "ticket_id": pd.Series([], dtype="int64"),
            "customer_id": pd.Series([], dtype="int64"),
            "created_at": pd.Series([], dtype="datetime64[ns, UTC]"),
            "resolved_at": pd.Series([], dtype="datetime64[ns, UTC]"),
            "followed_up_at": pd.Series([], dtype="datetime64[ns, UTC]"),
            "kind": pd.Series([], dtype="object"),
        }
    )
    fcr = first_contact_resolution(empty, definition="no_recontact_within")
    assert (fcr.value, fcr.n, fcr.interval) == (None, 0, None)
    assert "no solved tickets" in (fcr.reason or "")
    rep = repeat_complaint_rate(empty)
    assert (rep.value, rep.n, rep.reason) == (None, 0, "no complainants")
    fol = followup_completion(empty)
    assert (fol.value, fol.n, fol.reason) == (None, 0, "no follow-ups due")
    assert fol.format() == "followup_completion n/a (no follow-ups due)"
    zero = complaint_rate(3, exposure=0)
    assert (zero.value, zero.interval, zero.reason) == (None, None, "zero exposure")


def test_all_on_one_side_keeps_a_two_sided_wilson_interval_with_a_zero_end() -> None:
    """0 of 20 follow-ups on time: 0 % with Wilson 0 % to 16.1 % (the textbook value)."""
    t = pd.DataFrame(
        {
            "kind": ["complaint"] * 20,
            "resolved_at": pd.to_datetime(["2025-01-01"] * 20),
            "followed_up_at": pd.to_datetime(["2025-01-10"] * 20),
        }
    )
    r = followup_completion(t)
    assert (r.value, r.successes, r.n) == (0.0, 0, 20)
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(0.0, abs=1e-12)
    assert r.interval.upper == pytest.approx(16.11, abs=0.01)


def test_bad_inputs_raise_named_errors() -> None:
    with pytest.raises(InvalidInputError):
        complaint_rate(-1, exposure=10)


@pytest.mark.parametrize("per", [float("nan"), float("inf"), 0, -5, True, "1000"])
def test_complaint_rate_per_must_be_a_finite_positive_number(per: object) -> None:
    """Regression: ``per=nan`` gave a NaN rate and ``per=inf`` an infinite one, silently."""
    with pytest.raises(ConfigError, match="per"):
        complaint_rate(3, 100, per=per)  # type: ignore[arg-type]


def test_complaint_rate_takes_a_numpy_per() -> None:
    """Regression: ``per=np.int64(1000)`` (a value read from a frame) was refused."""
    assert complaint_rate(3, 100, per=np.int64(1000)).value == complaint_rate(3, 100).value == 30
