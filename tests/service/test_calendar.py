"""BusinessCalendar: construction, JSON round trips, validation errors and hand-checked
business-time examples (closing-time boundary, zero duration, lunch breaks, overnight
shifts, holidays, overrides, make-up working days, DST days, odd-offset zones, horizon)."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import zoneinfo

import numpy as np
import pandas as pd
import pytest
from dateutil.rrule import YEARLY, rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service import BusinessCalendar, announced_years, country_holidays
from tests.strategies import examples

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
UTC = dt.UTC
WEEKDAYS5 = ("mon", "tue", "wed", "thu", "fri")


def office(zone: str = "Europe/Berlin", hours: list[list[str]] | None = None) -> BusinessCalendar:
    hours = hours or [["09:00", "18:00"]]
    return BusinessCalendar(zone, dict.fromkeys(WEEKDAYS5, hours))


def same(a: dt.datetime, b: dt.datetime) -> bool:
    """Same instant (never compare aware datetimes across zones with == in a DST fold)."""
    return a.timestamp() == b.timestamp()


def local(zone: str, *args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone), fold=fold)  # type: ignore[misc]


ISSUE_JSON = {
    "timezone": "Asia/Shanghai",
    "weekly": {
        "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
        "tue": [["09:00", "12:00"], ["13:00", "18:00"]],
        "wed": [["09:00", "12:00"], ["13:00", "18:00"]],
        "thu": [["09:00", "12:00"], ["13:00", "18:00"]],
        "fri": [["09:00", "12:00"], ["13:00", "18:00"]],
        "sat": [],
        "sun": [],
    },
    "holidays": [f"2025-10-0{d}" for d in range(1, 9)],
    "overrides": {
        "2025-09-28": [["09:00", "12:00"], ["13:00", "18:00"]],
        "2025-10-11": [["09:00", "12:00"], ["13:00", "18:00"]],
        "2025-12-24": [["09:00", "12:00"]],
    },
}


# ------------------------------------------------------------------------------ JSON shape
def test_issue_json_round_trips_exactly() -> None:
    cal = BusinessCalendar.from_dict(ISSUE_JSON)
    assert cal.to_dict() == {"schema_version": 1, **ISSUE_JSON}  # the stored form still reads
    again = BusinessCalendar.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert hash(again) == hash(cal)


def test_optional_keys_round_trip_and_appear_only_when_set() -> None:
    rule = rrule(YEARLY, dtstart=dt.datetime(2020, 12, 25))
    cal = BusinessCalendar(
        "UTC", {"mon": [["09:00", "17:00"]]}, holiday_rules=[rule], horizon_days=400
    )
    data = cal.to_dict()
    assert data["holiday_rules"] == [str(rule)]
    assert data["horizon_days"] == 400
    assert BusinessCalendar.from_dict(json.loads(json.dumps(data))) == cal
    assert "holiday_rules" not in office().to_dict()
    assert "horizon_days" not in office().to_dict()


def test_inputs_are_normalised() -> None:
    cal = BusinessCalendar(
        zoneinfo.ZoneInfo("Europe/Berlin"),
        {"tue": [(dt.time(13), "18:00:30"), ("9:00", "12:00")]},
        holidays=[dt.date(2025, 1, 2), "2025-01-01", "2025-01-01"],
    )
    assert cal.timezone == "Europe/Berlin"
    assert cal.weekly[1] == ((9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600 + 30))
    assert cal.to_dict()["weekly"]["tue"] == [["09:00", "12:00"], ["13:00", "18:00:30"]]
    assert cal.holidays == (dt.date(2025, 1, 1), dt.date(2025, 1, 2))
    assert cal.weekly[0] == ()  # missing days are closed


def test_missing_days_and_sequence_form() -> None:
    seven = [[("09:00", "17:00")]] * 5 + [[], []]
    assert BusinessCalendar("UTC", seven) == BusinessCalendar(
        "UTC", {d: [["09:00", "17:00"]] for d in WEEKDAYS5}
    )


def test_equality_and_hash_ignore_the_cache() -> None:
    used, fresh = office(), office()
    used.add(dt.datetime(2025, 1, 3, 16), H)
    assert used == fresh
    assert hash(used) == hash(fresh)
    assert {used: 1}[fresh] == 1


def test_pickle_round_trip_keeps_working() -> None:
    cal = BusinessCalendar.from_dict(ISSUE_JSON)
    cal.add(dt.datetime(2025, 9, 30, 17), H)  # compile something first
    clone = pickle.loads(pickle.dumps(cal))
    assert clone == cal
    assert same(
        clone.add(dt.datetime(2025, 9, 30, 17), 2 * H), local("Asia/Shanghai", 2025, 10, 9, 10)
    )


def test_repr_is_short() -> None:
    cal = BusinessCalendar.from_dict(ISSUE_JSON)
    assert repr(cal).startswith("BusinessCalendar('Asia/Shanghai', mon=09:00-12:00+13:00-18:00")
    assert repr(cal).endswith("8 holidays, 3 overrides)")
    assert "never open" in repr(BusinessCalendar("UTC", {}))


# ------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "IANA time zone"),
        ({"timezone": 5}, "timezone", "IANA time zone"),
        ({"weekly": {"tues": []}}, "weekly.tues", "one of"),
        ({"weekly": "09:00-18:00"}, "weekly", "mapping"),
        (
            {"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
            "weekly.mon",
            "not overlap",
        ),
        (
            {"weekly": {"mon": [["20:00", "06:00"], ["21:00", "22:00"]]}},
            "weekly.mon",
            "not overlap",
        ),
        ({"weekly": {"mon": [["09:00", "09:00"]]}}, "weekly.mon[0]", "end differs"),
        ({"weekly": {"mon": [["24:00", "06:00"]]}}, "weekly.mon[0]", "'24:00' is only legal"),
        ({"weekly": {"mon": [["09:00", "25:00"]]}}, "weekly.mon[0]", "'00:00' to '24:00'"),
        ({"weekly": {"mon": [["09:60", "10:00"]]}}, "weekly.mon[0]", "'00:00' to '23:59:59'"),
        ({"weekly": {"mon": [["9am", "5pm"]]}}, "weekly.mon[0]", "'HH:MM'"),
        ({"weekly": {"mon": [["09:00"]]}}, "weekly.mon[0]", "pair"),
        ({"weekly": {"mon": "09:00-18:00"}}, "weekly.mon", "list of [start, end] pairs"),
        ({"weekly": {"mon": [[True, "10:00"]]}}, "weekly.mon[0]", "'HH:MM'"),
        ({"weekly": {"mon": [[dt.time(9, 0, 0, 5), "10:00"]]}}, "weekly.mon[0]", "whole-second"),
        ({"holidays": ["2025-13-01"]}, "holidays[0]", "YYYY-MM-DD"),
        ({"holidays": [dt.datetime(2025, 1, 1)]}, "holidays[0]", "date()"),
        ({"holidays": "2025-01-01"}, "holidays", "list of dates"),
        (
            {"overrides": {"2025-01-06": [["09:00", "08:00"], ["07:00", "09:30"]]}},
            "overrides.2025-01-06",
            "not overlap",
        ),
        ({"overrides": "x"}, "overrides", "mapping"),
        (
            {"overrides": [("2025-01-06", []), ("2025-01-06", [])]},
            "overrides['2025-01-06']",
            "once",
        ),
        ({"overrides": [("2025-01-06",)]}, "overrides", "pairs"),
        ({"holiday_rules": ["RRULE:FREQ=YEARLY"]}, "holiday_rules[0]", "DTSTART"),
        ({"holiday_rules": ["DTSTART:2020XX\nRRULE:FREQ=YEARLY"]}, "holiday_rules[0]", "RFC 5545"),
        (
            {"holiday_rules": ["DTSTART;TZID=Europe/Berlin:20200101T000000\nRRULE:FREQ=YEARLY"]},
            "holiday_rules[0]",
            "floating",
        ),
        ({"holiday_rules": [42]}, "holiday_rules[0]", "RFC 5545"),
        ({"horizon_days": 0}, "horizon_days", "an int in [1, 73200]"),
        ({"horizon_days": True}, "horizon_days", "an int in [1, 73200]"),
    ],
)
def test_invalid_calendars_are_config_errors(
    kwargs: dict[str, object], field: str, fragment: str
) -> None:
    args: dict[str, object] = {
        "timezone": "UTC",
        "weekly": {"mon": [["05:00", "09:00"]]},
    }
    args.update(kwargs)
    with pytest.raises(ConfigError) as info:
        BusinessCalendar(**args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert fragment in str(info.value)


def test_from_dict_rejects_unknown_and_missing_keys() -> None:
    with pytest.raises(ConfigError, match="'hollidays' must be one of"):
        BusinessCalendar.from_dict({**ISSUE_JSON, "hollidays": []})
    with pytest.raises(ConfigError, match="'weekly' must be present"):
        BusinessCalendar.from_dict({"timezone": "UTC"})
    with pytest.raises(ConfigError, match="mapping"):
        BusinessCalendar.from_dict([("timezone", "UTC")])  # type: ignore[arg-type]


def test_touching_and_midnight_adjacent_intervals_are_legal() -> None:
    cal = BusinessCalendar(
        "UTC",
        {
            "mon": [["09:00", "12:00"], ["12:00", "18:00"], ["22:00", "06:00"]],
            "tue": [["06:00", "08:00"]],
        },
    )
    monday = dt.datetime(2025, 1, 6, 10, tzinfo=UTC)
    assert same(cal.next_close(monday), dt.datetime(2025, 1, 6, 18, tzinfo=UTC))
    night = dt.datetime(2025, 1, 6, 23, tzinfo=UTC)
    assert same(cal.next_close(night), dt.datetime(2025, 1, 7, 8, tzinfo=UTC))


# ------------------------------------------------------------------------------ arithmetic
def test_closing_time_boundary_due_at_and_breach_at() -> None:
    cal = office()
    friday = dt.datetime(2025, 1, 3, 16)
    assert same(cal.add(friday, 2 * H), local("Europe/Berlin", 2025, 1, 3, 18))
    assert same(cal.due_at(friday, 2 * H), local("Europe/Berlin", 2025, 1, 3, 18))
    assert same(cal.breach_at(friday, 2 * H), local("Europe/Berlin", 2025, 1, 6, 9))
    saturday_reply = dt.datetime(2025, 1, 4, 12)
    assert cal.elapsed(friday, saturday_reply) == 2 * H  # complies although "after" Fri 18:00
    assert cal.elapsed(friday, dt.datetime(2025, 1, 6, 9, 1)) > 2 * H
    inside = dt.datetime(2025, 1, 3, 10)
    assert same(cal.due_at(inside, 2 * H), cal.breach_at(inside, 2 * H))


def test_zero_duration_is_the_identity_and_next_open_is_separate() -> None:
    cal = office()
    saturday = local("Europe/Berlin", 2025, 1, 4, 19)
    assert cal.add(saturday, dt.timedelta(0)) == saturday
    assert cal.subtract(saturday, dt.timedelta(0)) == saturday
    assert same(cal.next_open(saturday), local("Europe/Berlin", 2025, 1, 6, 9))
    assert same(cal.breach_at(saturday, dt.timedelta(0)), local("Europe/Berlin", 2025, 1, 6, 9))
    inside = local("Europe/Berlin", 2025, 1, 6, 10)
    assert cal.next_open(inside) == inside
    assert cal.breach_at(inside, dt.timedelta(0)) == inside


def test_clock_started_outside_hours_starts_at_the_next_opening() -> None:
    cal = office()
    assert same(
        cal.add(dt.datetime(2025, 1, 3, 21), 90 * M), local("Europe/Berlin", 2025, 1, 6, 10, 30)
    )
    assert cal.elapsed(dt.datetime(2025, 1, 3, 21), dt.datetime(2025, 1, 6, 9, 30)) == 30 * M


def test_lunch_break_is_skipped() -> None:
    cal = office(hours=[["09:00", "12:00"], ["13:00", "18:00"]])
    assert same(
        cal.add(dt.datetime(2025, 1, 6, 11, 30), H), local("Europe/Berlin", 2025, 1, 6, 13, 30)
    )
    assert cal.elapsed(dt.datetime(2025, 1, 6, 11), dt.datetime(2025, 1, 6, 14)) == 2 * H
    assert not cal.is_open(dt.datetime(2025, 1, 6, 12, 30))
    assert same(
        cal.next_close(dt.datetime(2025, 1, 6, 12, 30)), local("Europe/Berlin", 2025, 1, 6, 18)
    )


def test_subtract_moves_back_as_little_as_possible() -> None:
    cal = office()
    monday = dt.datetime(2025, 1, 6, 10)
    assert same(cal.subtract(monday, H), local("Europe/Berlin", 2025, 1, 6, 9))
    assert same(cal.subtract(monday, 2 * H), local("Europe/Berlin", 2025, 1, 3, 17))
    assert same(cal.subtract(dt.datetime(2025, 1, 6, 9), H), local("Europe/Berlin", 2025, 1, 3, 17))
    assert cal.add(monday, -2 * H) == cal.subtract(monday, 2 * H)
    assert cal.subtract(monday, -2 * H) == cal.add(monday, 2 * H)


def test_elapsed_is_signed() -> None:
    cal = office()
    a, b = dt.datetime(2025, 1, 3, 17), dt.datetime(2025, 1, 6, 9, 30)
    assert cal.elapsed(a, b) == 90 * M
    assert cal.elapsed(b, a) == -90 * M


def test_overnight_shift_add_and_ownership() -> None:
    # businesstimedelta 1.0.1 answers Wed 00:00 for Tue 05:00 + 2 h here; Tue 23:00 is right.
    cal = BusinessCalendar("UTC", [[("22:00", "06:00")]] * 7)
    assert same(cal.add(dt.datetime(2025, 1, 7, 5), 2 * H), dt.datetime(2025, 1, 7, 23, tzinfo=UTC))
    # A holiday on Tuesday removes Tuesday's shift (Tue 22:00-Wed 06:00), not Monday's.
    off = cal.with_holidays(["2025-01-07"])
    assert off.is_open(dt.datetime(2025, 1, 7, 5))
    assert not off.is_open(dt.datetime(2025, 1, 7, 23))
    assert not off.is_open(dt.datetime(2025, 1, 8, 5))
    assert off.elapsed(dt.datetime(2025, 1, 7), dt.datetime(2025, 1, 9)) == 6 * H + 8 * H - 6 * H


def test_pandas_overnight_counterexamples_from_the_research() -> None:
    fri_sat = BusinessCalendar("UTC", {"fri": [["22:00", "04:00"]], "sat": [["22:00", "04:00"]]})
    got = fri_sat.subtract(dt.datetime(2024, 3, 25, 16, 31), 57 * H)
    assert same(got, dt.datetime(2024, 2, 24, 1, tzinfo=UTC))  # pandas: 2024-02-19 01:00
    shifts = BusinessCalendar("UTC", {d: [["16:00", "09:00"]] for d in ("wed", "thu", "sat")})
    got = shifts.add(dt.datetime(2024, 3, 21, 8, 55), 20 * H)
    assert same(got, dt.datetime(2024, 3, 23, 18, 55, tzinfo=UTC))  # pandas: Thu 03-28 01:55


def test_whole_day_and_24_00_end() -> None:
    cal = BusinessCalendar("UTC", {"mon": [["00:00", "24:00"]], "tue": [["20:00", "24:00"]]})
    assert cal.elapsed(dt.datetime(2025, 1, 6), dt.datetime(2025, 1, 8)) == 28 * H
    assert same(cal.next_close(dt.datetime(2025, 1, 7, 21)), dt.datetime(2025, 1, 8, tzinfo=UTC))
    # "22:00"-"00:00" is an overnight interval with nothing after midnight: same as 24:00.
    zero_end = BusinessCalendar("UTC", {"tue": [["20:00", "00:00"]]})
    assert zero_end.elapsed(dt.datetime(2025, 1, 6), dt.datetime(2025, 1, 9)) == 4 * H


def test_holidays_and_overrides_half_day_and_opened_weekend() -> None:
    cal = BusinessCalendar.from_dict(ISSUE_JSON)
    # Christmas Eve is a half day: 09:00-12:00.
    assert cal.elapsed(dt.datetime(2025, 12, 24), dt.datetime(2025, 12, 25)) == 3 * H
    # Sunday 2025-09-28 is a make-up working day; Wednesday 2025-10-01 a holiday.
    assert cal.is_open(dt.datetime(2025, 9, 28, 10))
    assert not cal.is_open(dt.datetime(2025, 10, 1, 10))
    assert cal.elapsed(dt.datetime(2025, 9, 27), dt.datetime(2025, 10, 13)) == 6 * 8 * H


def test_complaint_commitments_on_the_shanghai_calendar() -> None:
    """domain.md: respond within 1 h, solve within 24 h, follow up within 72 h."""
    cal = BusinessCalendar.from_dict(ISSUE_JSON)
    created = dt.datetime(2025, 9, 30, 17)  # Tuesday before the October holiday
    zone = "Asia/Shanghai"
    assert same(cal.due_at(created, H), local(zone, 2025, 9, 30, 18))  # closing time
    assert same(cal.breach_at(created, H), local(zone, 2025, 10, 9, 9))  # next opening
    # 24 business hours = 1 h on 9-30, 8 h on 10-09 and 10-10, 7 h on make-up Sat 10-11.
    assert same(cal.due_at(created, 24 * H), local(zone, 2025, 10, 11, 17))
    # 72 business hours: 1 + 8 * 8 (10-09 .. 10-17, make-up 10-11 included) + 7 on 10-20.
    assert same(cal.due_at(created, 72 * H), local(zone, 2025, 10, 20, 17))
    # The same 24 hours on the 24x7 clock:
    clock = BusinessCalendar.always_open(zone)
    assert same(clock.due_at(created, 24 * H), local(zone, 2025, 10, 1, 17))


def test_core_customer_two_hour_response_four_hour_onsite() -> None:
    cal = office("Asia/Shanghai", [["08:30", "12:00"], ["13:00", "17:30"]])
    failure = dt.datetime(2025, 6, 6, 16)  # Friday
    assert same(cal.due_at(failure, 2 * H), local("Asia/Shanghai", 2025, 6, 9, 9))
    assert same(cal.due_at(failure, 4 * H), local("Asia/Shanghai", 2025, 6, 9, 11))


# ------------------------------------------------------------------------------ time zones
@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", dt.date(2025, 3, 30), dt.timedelta(hours=23)),
        ("Europe/Berlin", dt.date(2025, 10, 26), dt.timedelta(hours=25)),
        ("America/New_York", dt.date(2025, 3, 9), dt.timedelta(hours=23)),
        ("America/New_York", dt.date(2025, 11, 2), dt.timedelta(hours=25)),
        ("Australia/Lord_Howe", dt.date(2025, 4, 6), dt.timedelta(hours=24, minutes=30)),
        ("Australia/Lord_Howe", dt.date(2025, 10, 5), dt.timedelta(hours=23, minutes=30)),
        ("Asia/Kathmandu", dt.date(2025, 3, 30), dt.timedelta(hours=24)),
    ],
)
def test_a_whole_day_lasts_what_it_really_lasts(
    zone: str, day: dt.date, hours: dt.timedelta
) -> None:
    for cal in (
        BusinessCalendar.always_open(zone),
        BusinessCalendar(zone, {k: [["00:00", "24:00"]] for k in ("mon", "sun")}),
    ):
        start = dt.datetime.combine(day, dt.time())
        assert cal.elapsed(start, start + dt.timedelta(days=1)) == hours


def test_dst_fall_back_24x7_add_is_real_time() -> None:
    # pandas CustomBusinessHour answers 03:30 here: one hour too much.
    cal = BusinessCalendar.always_open("Europe/Berlin")
    got = cal.add(local("Europe/Berlin", 2024, 10, 27, 1, 30), 2 * H)
    assert got.astimezone(UTC) == dt.datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert (got.hour, got.minute, got.fold, got.utcoffset()) == (2, 30, 1, H)


def test_dst_spring_forward_with_hours_over_the_gap() -> None:
    # pandas raises NonExistentTimeError here.
    cal = BusinessCalendar("Europe/Berlin", {"sun": [["01:00", "05:00"]]})
    start = dt.datetime(2025, 3, 30, 1, 30)
    assert same(cal.add(start, H), local("Europe/Berlin", 2025, 3, 30, 3, 30))
    assert cal.elapsed(dt.datetime(2025, 3, 30), dt.datetime(2025, 3, 31)) == 3 * H


def test_wall_clock_membership_in_gaps_and_folds() -> None:
    gap = BusinessCalendar("Europe/Berlin", {"sun": [["02:30", "03:30"]]})
    # 02:30 never shows on 2025-03-30: the clock jumps 02:00 -> 03:00, open 03:00-03:30.
    assert gap.elapsed(dt.datetime(2025, 3, 30), dt.datetime(2025, 3, 31)) == 30 * M
    assert same(gap.next_open(dt.datetime(2025, 3, 30)), local("Europe/Berlin", 2025, 3, 30, 3))
    fold = BusinessCalendar("Europe/Berlin", {"sun": [["02:15", "02:45"]]})
    # 02:15-02:45 shows twice on 2025-10-26: open twice.
    assert fold.elapsed(dt.datetime(2025, 10, 26), dt.datetime(2025, 10, 27)) == H
    first = fold.next_open(dt.datetime(2025, 10, 26))
    second = fold.next_open(fold.next_close(first))
    assert second.astimezone(UTC) - first.astimezone(UTC) == H
    assert (first.fold, second.fold) == (0, 1)


def test_kathmandu_quarter_hour_offset() -> None:
    cal = office("Asia/Kathmandu", [["09:00", "17:00"]])
    assert cal.is_open(dt.datetime(2025, 1, 6, 3, 15, tzinfo=UTC))
    assert not cal.is_open(dt.datetime(2025, 1, 6, 3, 14, 59, tzinfo=UTC))
    assert (
        cal.add(dt.datetime(2025, 1, 6, 3, 0, tzinfo=UTC), H).isoformat()
        == "2025-01-06T10:00:00+05:45"
    )


def test_naive_and_aware_in_any_zone_give_the_same_answer() -> None:
    cal = office("Asia/Shanghai")
    naive = dt.datetime(2025, 1, 6, 17)
    forms = [
        naive,
        naive.replace(tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
        dt.datetime(2025, 1, 6, 9, tzinfo=UTC),
        dt.datetime(2025, 1, 6, 4, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        dt.datetime(2025, 1, 6, 14, 45, tzinfo=zoneinfo.ZoneInfo("Asia/Kathmandu")),
        pd.Timestamp("2025-01-06 09:00", tz="UTC"),
        pd.Timestamp("2025-01-06 17:00"),
    ]
    answers = {cal.add(t, 3 * H) for t in forms}
    assert answers == {local("Asia/Shanghai", 2025, 1, 7, 11)}
    assert all(cal.add(t, 3 * H).tzinfo == zoneinfo.ZoneInfo("Asia/Shanghai") for t in forms)
    assert {cal.elapsed(t, dt.datetime(2025, 1, 7, 10)) for t in forms} == {2 * H}


def test_naive_times_in_a_gap_or_fold_read_as_fold_0() -> None:
    cal = BusinessCalendar.always_open("Europe/Berlin")
    gap = dt.datetime(2025, 3, 30, 2, 30)  # does not exist; fold=0 reads it as 01:30 UTC
    assert cal.add(gap, dt.timedelta(0)).astimezone(UTC) == dt.datetime(
        2025, 3, 30, 1, 30, tzinfo=UTC
    )
    repeated = dt.datetime(2025, 10, 26, 2, 30)  # twice; fold=0 is the first (00:30 UTC)
    assert cal.elapsed(repeated, repeated.replace(fold=1)) == H


def test_microsecond_resolution() -> None:
    cal = office()
    t = dt.datetime(2025, 1, 6, 17, 59, 59, 999_999)
    assert cal.add(t, dt.timedelta(microseconds=1)) == local("Europe/Berlin", 2025, 1, 6, 18)
    assert cal.add(t, dt.timedelta(microseconds=2)) == local(
        "Europe/Berlin", 2025, 1, 7, 9, 0, 0, 1
    )


def test_numpy_timedelta_is_accepted_as_a_duration() -> None:
    cal = office()
    t = dt.datetime(2025, 1, 6, 9)
    assert cal.add(t, np.timedelta64(90, "m")) == cal.add(t, 90 * M)


# ------------------------------------------------------------------------------ errors
def test_bad_argument_types() -> None:
    cal = office()
    with pytest.raises(InvalidInputError, match=r"'duration' must be a datetime\.timedelta"):
        cal.add(dt.datetime(2025, 1, 6), 3600)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"'duration' must be a datetime\.timedelta"):
        cal.add(dt.datetime(2025, 1, 6), np.timedelta64("NaT"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"'t' must be a datetime\.datetime; found str"):
        cal.add("2025-01-06", H)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="'t' must be a datetime; found NaT"):
        cal.is_open(pd.NaT)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="'start' must be"):
        cal.elapsed(dt.date(2025, 1, 6), dt.datetime(2025, 1, 7))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="'target' must be a non-negative timedelta"):
        cal.due_at(dt.datetime(2025, 1, 6), -H)
    with pytest.raises(InvalidInputError, match="'target' must be a non-negative timedelta"):
        cal.breach_at(dt.datetime(2025, 1, 6), -H)


def test_no_business_hours_ahead_is_a_clear_error() -> None:
    never = BusinessCalendar("UTC", {})
    t = dt.datetime(2025, 1, 6)
    for call in (
        lambda: never.add(t, H),
        lambda: never.subtract(t, H),
        lambda: never.next_open(t),
        lambda: never.next_close(t),
        lambda: never.breach_at(t, dt.timedelta(0)),
    ):
        with pytest.raises(ConfigError, match="'horizon_days' must be long enough") as info:
            call()
        assert "no (or not enough) business hours ahead" in str(info.value)
    assert never.elapsed(t, t + 1000 * H) == dt.timedelta(0)
    assert not never.is_open(t)
    assert never.add(t, dt.timedelta(0)) == t.replace(tzinfo=UTC)


def test_only_holidays_ahead_is_a_clear_error() -> None:
    mondays_off = BusinessCalendar(
        "UTC",
        {"mon": [["09:00", "17:00"]]},
        holiday_rules=["DTSTART:20200106T000000\nRRULE:FREQ=WEEKLY;BYDAY=MO"],
        horizon_days=800,
    )
    with pytest.raises(ConfigError, match="within 800 days"):
        mondays_off.add(dt.datetime(2025, 1, 1), H)


def test_horizon_is_configurable() -> None:
    week = {"mon": [["09:00", "10:00"]]}
    far = {"overrides": {"2025-03-01": [["09:00", "10:00"]]}}
    short = BusinessCalendar("UTC", {}, horizon_days=30, **far)  # type: ignore[arg-type]
    long = BusinessCalendar("UTC", {}, horizon_days=100, **far)  # type: ignore[arg-type]
    t = dt.datetime(2025, 1, 1)
    with pytest.raises(ConfigError, match="within 30 days"):
        short.add(t, H)
    assert same(long.add(t, H), dt.datetime(2025, 3, 1, 10, tzinfo=UTC))
    with pytest.raises(ConfigError, match="within 100 days"):
        long.add(t, 2 * H)  # the only hour is used up
    with pytest.raises(ConfigError, match="horizon_days"):
        BusinessCalendar("UTC", week, horizon_days=10).add(t, 11 * 24 * H)  # longer than 10 days


def test_breach_at_needs_an_opening_after_the_deadline() -> None:
    once = BusinessCalendar("UTC", {}, overrides={"2025-03-03": [["09:00", "10:00"]]})
    t = dt.datetime(2025, 3, 1)
    assert same(once.breach_at(t, 30 * M), dt.datetime(2025, 3, 3, 9, 30, tzinfo=UTC))
    with pytest.raises(ConfigError, match="an opening after it"):
        once.breach_at(t, H)  # complies forever: no latest instant


def test_results_do_not_depend_on_what_is_cached() -> None:
    t = dt.datetime(2025, 1, 3, 16)
    fresh = office()
    expected = [fresh.add(t, 100 * H), fresh.subtract(t, 100 * H), fresh.elapsed(t, t + 5000 * H)]
    warmed = office()
    warmed.add(dt.datetime(1990, 1, 1), 1000 * H)  # compile a far-away range first
    warmed.elapsed(dt.datetime(2080, 1, 1), dt.datetime(2081, 1, 1))
    got = [warmed.add(t, 100 * H), warmed.subtract(t, 100 * H), warmed.elapsed(t, t + 5000 * H)]
    assert got == expected


# ------------------------------------------------------------------------------ holidays
def test_holiday_rules_from_dateutil_recur_lazily() -> None:
    christmas = rrule(YEARLY, dtstart=dt.datetime(2000, 12, 25))
    cal = BusinessCalendar("UTC", [[("09:00", "17:00")]] * 7, holiday_rules=[christmas])
    assert not cal.is_open(dt.datetime(2031, 12, 25, 10))
    assert cal.is_open(dt.datetime(2031, 12, 24, 10))
    assert cal.owned(dt.date(2040, 12, 25)) == ()


def test_holiday_rules_never_close_an_override() -> None:
    cal = BusinessCalendar(
        "UTC",
        {"mon": [["09:00", "17:00"]]},
        overrides={"2025-01-06": [["10:00", "12:00"]]},
        holiday_rules=["DTSTART:20250101T000000\nRRULE:FREQ=WEEKLY;BYDAY=MO"],
    )
    assert cal.elapsed(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 31)) == 2 * H


def test_with_holidays_accepts_a_holidays_package_calendar() -> None:
    import holidays

    cal = office("Europe/Berlin").with_holidays(
        holidays.country_holidays("DE", years=2025, subdiv="BE")
    )
    assert not cal.is_open(dt.datetime(2025, 10, 3, 10))  # German Unity Day
    assert not cal.is_open(dt.datetime(2025, 3, 8, 10))  # Berlin: Women's Day (a Saturday anyway)
    assert cal.is_open(dt.datetime(2025, 10, 2, 10))
    kept = cal.with_overrides({"2025-10-03": [["09:00", "12:00"]]})
    assert kept.is_open(dt.datetime(2025, 10, 3, 10))
    assert kept.with_holidays(["2025-10-03"]).is_open(dt.datetime(2025, 10, 3, 10))


def test_country_holidays_and_chinese_make_up_working_days() -> None:
    dates = country_holidays("CN", [2025])
    assert {dt.date(2025, 10, 1), dt.date(2025, 10, 8)} <= set(dates)
    base = BusinessCalendar(
        "Asia/Shanghai", {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in WEEKDAYS5}
    )
    cal = base.with_country_holidays("CN", 2025)
    for makeup in ("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"):
        assert cal.owned(dt.date.fromisoformat(makeup)) == base.weekly[0]
    assert cal.owned(dt.date(2001, 12, 29)) == ()  # other years' make-up days are not added
    assert cal.elapsed(dt.datetime(2025, 9, 27), dt.datetime(2025, 10, 13)) == 6 * 8 * H
    assert (
        base.with_country_holidays("CN", 2025, makeup_like=None).owned(dt.date(2025, 9, 28)) == ()
    )
    germany = office().with_country_holidays("DE", 2025, subdiv="BY")
    assert dt.date(2025, 1, 6) in germany.holidays  # Epiphany in Bavaria


def test_country_holidays_errors() -> None:
    with pytest.raises(ConfigError, match="'country' must be a country"):
        country_holidays("XX", 2025)
    with pytest.raises(ConfigError, match="'makeup_like' must be one of"):
        office().with_country_holidays("CN", 2025, makeup_like="monday")


def test_spring_festival_2026_from_the_state_council_notice() -> None:
    """The 2026 arrangement (State Council General Office notice of November 2025, the
    source ``holidays`` cites): Spring Festival off Sunday 15 to Monday 23 February, worked
    on Saturdays 14 and 28 February. A complaint on Friday 13 February at 17:00 with 24
    business hours (09:00-12:00, 13:00-18:00): 1 h that evening, 8 h on the make-up
    Saturday, nothing until Tuesday 24, 8 h on the 24th and the last 7 h on the 25th."""
    base = BusinessCalendar(
        "Asia/Shanghai", {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in WEEKDAYS5}
    )
    cal = base.with_country_holidays("CN", 2026)
    off = [dt.date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)]  # the weekdays off
    assert set(off) <= set(cal.holidays)
    assert cal.is_open(dt.datetime(2026, 2, 14, 10))
    assert cal.is_open(dt.datetime(2026, 2, 28, 10))
    due = cal.due_at(dt.datetime(2026, 2, 13, 17), 24 * H)
    assert due.isoformat() == "2026-02-25T17:00:00+08:00"


def _last_announced_year() -> int:
    span = announced_years("CN")
    assert span is not None
    assert span[0] == 2001  # holidays has every notice since 2001
    return span[1]


def test_a_chinese_year_without_its_notice_is_refused() -> None:
    """Each year's days off and make-up working days are set by a State Council notice
    published late in the year before; ``holidays`` gives the statutory dates alone for a
    year it has no notice for (2027 in holidays 0.109: no make-up Saturday at all), which
    misplaces deadlines. crmkit refuses such a year, names it, and says how to proceed."""
    last = _last_announced_year()
    assert last >= 2026
    ahead = last + 1
    base = office("Asia/Shanghai")
    with pytest.raises(ConfigError, match=rf"found \[{ahead}\]\..*unannounced='statutory'"):
        base.with_country_holidays("CN", [last, ahead])
    with pytest.raises(ConfigError, match=rf"'years' must be .*2001-{last}; found \[2000\]"):
        country_holidays("CN", [2000, 2001])
    with pytest.raises(ConfigError, match="with_country_holidays"):
        base.with_country_holidays("CHN", ahead)
    # Asked for, the statutory dates alone: holidays, but no make-up working day.
    import holidays

    statutory = base.with_country_holidays("CN", ahead, unannounced="statutory")
    assert statutory.holidays == country_holidays("CN", ahead, unannounced="statutory")
    assert len(statutory.holidays) >= 10
    makeup = list(holidays.country_holidays("CN", years=ahead).weekend_workdays)
    assert statutory.overrides == () == tuple(d for d in makeup if d.year == ahead)
    # The announced years are unchanged by the option, and countries without yearly
    # notices are never refused.
    assert base.with_country_holidays("CN", last, unannounced="statutory") == (
        base.with_country_holidays("CN", last)
    )
    assert len(country_holidays("DE", 2040)) >= 9
    with pytest.raises(ConfigError, match="'unannounced' must be one of"):
        country_holidays("CN", last, unannounced="guess")


@given(year=st.integers(1990, 2040))
@settings(max_examples=examples(60), deadline=None)
def test_a_chinese_year_is_refused_exactly_when_its_notice_is_missing(year: int) -> None:
    """Refused <=> outside the announced years; every announced year has the notice's
    make-up working days (the sign that ``holidays`` holds that year's arrangement)."""
    first, last = announced_years("CN") or (0, -1)
    office_cn = office("Asia/Shanghai")
    if first <= year <= last:
        cal = office_cn.with_country_holidays("CN", year)
        assert country_holidays("CN", year) == tuple(d for d in cal.holidays)
        assert any(day.year == year for day, _ in cal.overrides)  # a make-up working day
    else:
        with pytest.raises(ConfigError, match=rf"found \[{year}\]"):
            office_cn.with_country_holidays("CN", year)
        assert country_holidays("CN", year, unannounced="statutory")


def test_announced_years_refuses_bad_arguments_by_name() -> None:
    with pytest.raises(ConfigError, match=r"announced_years\(\): parameter 'country'"):
        announced_years(5)  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"announced_years\(\): parameter 'country' must be a country"
    ):
        announced_years("XX")
    with pytest.raises(ConfigError, match="'subdiv'"):
        announced_years("CN", subdiv="")


# ------------------------------------------------------- reference values from the research
def test_dst_over_a_weekend_berlin_and_new_york() -> None:
    """pandas CustomBusinessHour gets these right too; crmkit must agree with it here."""
    berlin = office("Europe/Berlin")
    monday = berlin.add(dt.datetime(2025, 3, 28, 17), 2 * H)  # Fri CET + 2 h
    assert monday.isoformat() == "2025-03-31T10:00:00+02:00"  # Mon CEST
    new_york = office("America/New_York")
    got = new_york.add(dt.datetime(2025, 10, 31, 17), 2 * H)  # Fri EDT + 2 h
    assert got.isoformat() == "2025-11-03T10:00:00-05:00"  # Mon EST
    # Across the switch, elapsed business time is still 2 h though 65 real hours passed.
    assert berlin.elapsed(dt.datetime(2025, 3, 28, 17), monday) == 2 * H


def test_servicenow_clock_started_outside_hours() -> None:
    """ServiceNow's example: opened Fri 21:00, Mon 09:30 is 1 h 30 business, 60 h 30 real."""
    cal = office("UTC", [["08:00", "17:00"]])
    opened, later = dt.datetime(2025, 3, 7, 21), dt.datetime(2025, 3, 10, 9, 30)
    assert cal.elapsed(opened, later) == 90 * M
    assert BusinessCalendar.always_open("UTC").elapsed(opened, later) == 60 * H + 30 * M


def test_where_the_python_libraries_fail() -> None:
    """Cases the research measured wrong in businesstime / businesstimedelta / pandas."""
    night = BusinessCalendar("UTC", [[("22:00", "06:00")]] * 7)
    # businesstime 0.3.0: 0 minutes for a whole 22:00-06:00 night shift.
    assert night.elapsed(dt.datetime(2025, 1, 6, 22), dt.datetime(2025, 1, 7, 6)) == 480 * M
    day = office("UTC")
    # businesstime: 780 min, businesstimedelta: +120 min, business-duration: NaN.
    assert day.elapsed(dt.datetime(2025, 1, 6, 11), dt.datetime(2025, 1, 6, 9)) == -2 * H
    # pandas: ValueError (whole hours only).
    assert same(day.add(dt.datetime(2025, 1, 6, 9), 90 * M), local("UTC", 2025, 1, 6, 10, 30))
    # pandas, biz and businesstimedelta roll t + 0 forward to Monday 09:00.
    friday_evening = dt.datetime(2025, 1, 10, 19, tzinfo=UTC)
    assert day.add(friday_evening, dt.timedelta(0)) == friday_evening
    assert same(day.next_open(friday_evening), local("UTC", 2025, 1, 13, 9))
    # pandas needs 23:59 for a whole day and loses a minute a day; 24:00 loses nothing.
    whole = BusinessCalendar("UTC", [[("00:00", "24:00")]] * 7)
    assert whole.elapsed(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 8)) == 7 * 24 * H


# ------------------------------------------------- precedence and merging across midnight


def test_an_override_wins_over_a_holiday() -> None:
    """Regression: a date both a holiday and an override was refused; the override now wins."""
    week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
    cal = BusinessCalendar(
        "Europe/Berlin",
        week,
        holidays=["2025-12-25", "2025-12-26"],
        overrides={"2025-12-26": [["09:00", "12:00"]]},
    )
    zone = cal.zone
    assert not cal.is_open(dt.datetime(2025, 12, 25, 10))
    assert cal.is_open(dt.datetime(2025, 12, 26, 10))
    assert not cal.is_open(dt.datetime(2025, 12, 26, 13))
    assert cal.elapsed(dt.datetime(2025, 12, 25), dt.datetime(2025, 12, 27)) == dt.timedelta(
        hours=3
    )
    assert cal.is_business_day(dt.date(2025, 12, 26))
    assert cal.add(dt.datetime(2025, 12, 24, 17), dt.timedelta(hours=2)) == dt.datetime(
        2025, 12, 26, 10, tzinfo=zone
    )
    assert BusinessCalendar.from_dict(cal.to_dict()) == cal


def test_a_package_holiday_opened_by_a_local_exception() -> None:
    """Holidays from the holidays package plus 'we open 09:00-12:00 on this public holiday'."""
    week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
    cal = (
        BusinessCalendar("Europe/Berlin", week)
        .with_overrides({"2025-10-03": [["09:00", "12:00"]]})
        .with_country_holidays("DE", 2025)
    )
    assert dt.date(2025, 10, 3) in dict(cal.overrides)
    assert cal.is_open(dt.datetime(2025, 10, 3, 10))
    assert not cal.is_open(dt.datetime(2025, 12, 25, 10))


def test_overnight_hours_that_meet_or_overlap_the_next_day_merge() -> None:
    """Regression: these were refused; now they are one period, counted once."""
    overlapping = BusinessCalendar(
        "UTC", {"mon": [["22:00", "06:00"]], "tue": [["05:00", "12:00"]]}
    )
    split = BusinessCalendar("UTC", {"mon": [["22:00", "24:00"]], "tue": [["00:00", "12:00"]]})
    monday = dt.datetime(2025, 1, 6, 20, tzinfo=dt.UTC)
    for hours in (1, 2, 3, 7, 8, 14, 20):
        d = dt.timedelta(hours=hours)
        assert overlapping.add(monday, d) == split.add(monday, d), hours
    week = dt.timedelta(days=7)
    assert overlapping.elapsed(monday, monday + week) == dt.timedelta(hours=14)
    assert overlapping.next_close(monday) == dt.datetime(2025, 1, 7, 12, tzinfo=dt.UTC)
    assert list(overlapping.periods(monday, monday + dt.timedelta(days=1))) == [
        (dt.datetime(2025, 1, 6, 22, tzinfo=dt.UTC), dt.datetime(2025, 1, 7, 12, tzinfo=dt.UTC))
    ]
    # An override that meets the previous day's overnight interval, and an overnight
    # override that overlaps the next day's hours, are merged too.
    cal = BusinessCalendar(
        "UTC",
        {"sun": [["22:00", "06:00"]], "mon": [["09:00", "17:00"]]},
        overrides={"2025-01-06": [["05:00", "09:00"]], "2025-01-12": [["20:00", "10:00"]]},
    )
    sunday = dt.datetime(2025, 1, 5, 21, tzinfo=dt.UTC)
    assert cal.elapsed(sunday, sunday + dt.timedelta(days=1)) == dt.timedelta(hours=11)
    sunday2 = sunday + week
    assert cal.elapsed(sunday2, sunday2 + dt.timedelta(days=1)) == dt.timedelta(hours=20)
    # A holiday on Monday keeps Sunday's overnight hours; its own hours go.
    closed = BusinessCalendar(
        "UTC", {"sun": [["22:00", "06:00"]], "mon": [["05:00", "12:00"]]}, holidays=["2025-01-06"]
    )
    assert closed.elapsed(sunday, sunday + dt.timedelta(days=1)) == dt.timedelta(hours=8)


def test_add_many_refuses_series_with_different_indexes() -> None:
    """Regression: add_many paired two Series by position, ignoring their indexes."""
    cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
    times = pd.Series(pd.to_datetime(["2025-01-06 09:00", "2025-01-06 10:00"]), index=["a", "b"])
    durations = pd.Series(pd.to_timedelta(["1h", "2h"]), index=["b", "a"])
    with pytest.raises(InvalidInputError, match="same index as 'times'"):
        cal.add_many(times, durations)
    aligned = cal.add_many(times, durations.reindex(times.index))
    assert aligned.dt.hour.tolist() == [11, 11]
    assert cal.add_many(times, durations.to_numpy()).dt.hour.tolist() == [10, 12]


def test_far_apart_queries_near_the_limits_are_cheap() -> None:
    """Regression: add/elapsed near year 9999 burned 10-16 s of CPU before erroring."""
    import time

    cal = BusinessCalendar("Europe/Berlin", {"mon": [["09:00", "17:00"]]})
    start = time.process_time()
    cal.add(dt.datetime(2, 1, 1), dt.timedelta(hours=-10))  # caches a timeline near year 1
    for call in (
        lambda: cal.add(dt.datetime(9999, 12, 31, 23), dt.timedelta(hours=1)),
        lambda: cal.next_open(dt.datetime(9999, 12, 28)),
        lambda: cal.elapsed(dt.datetime(9990, 1, 1), dt.datetime(9999, 12, 30)),
        lambda: cal.add_days(dt.date(9999, 12, 20), 3),
    ):
        with pytest.raises(InvalidInputError, match="years 1 to 9999"):
            call()
    assert time.process_time() - start < 3.0


def test_add_many_reads_epoch_numbers_only_with_a_unit() -> None:
    """Regression: epoch seconds in an object column were read as nanoseconds (1970)."""
    cal = BusinessCalendar("Europe/Berlin", {"mon": [["09:00", "17:00"]]})
    monday_9_utc = int(dt.datetime(2025, 1, 6, 9, tzinfo=dt.UTC).timestamp())
    times = pd.Series([monday_9_utc], dtype=object)
    with pytest.raises(InvalidInputError, match="date_unit"):
        cal.add_many(times, dt.timedelta(hours=1))
    out = cal.add_many(times, dt.timedelta(hours=1), date_unit="s")
    assert out.iloc[0] == pd.Timestamp("2025-01-06 11:00", tz="Europe/Berlin")  # 10:00 + 1 h
    gone = cal.elapsed_many(times, pd.Series([monday_9_utc + 3600], dtype=object), date_unit="s")
    assert gone.iloc[0] == pd.Timedelta(hours=1)
    text = pd.Series(["06/01/2025 10:00"])
    out = cal.add_many(text, dt.timedelta(hours=1), date_format="%d/%m/%Y %H:%M")
    assert out.iloc[0] == pd.Timestamp("2025-01-06 11:00", tz="Europe/Berlin")
