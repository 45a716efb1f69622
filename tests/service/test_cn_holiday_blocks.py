"""China's blocks of days off include the weekend days in and next to them.

The State Council General Office notices state each block as a run of consecutive days
("1 to 8 October off, 8 days"): its Saturdays and Sundays are part of it unless named as
make-up working days. ``holidays`` lists only the statutory and moved weekdays, so a
service desk open seven days a week was open on 1-2 February 2025 (Spring Festival) and
4-5 October 2025 (National Day). Regression tests from the notices for 2025 (Guo Ban Fa
Ming Dian [2024] No. 12) and 2026.
"""

from __future__ import annotations

import datetime as dt

import pytest

from crmkit.service import BusinessCalendar, announced_years, country_holidays

pytest.importorskip("holidays")

#: (first day, last day, make-up working days) per block, as the notices print them.
NOTICES = {
    # Guo Ban Fa Ming Dian [2023] No. 7. New Year and Dragon Boat are "joined with the
    # weekend" (与周末连休): 30 Dec 2023 - 1 Jan 2024 (the 2023 days are 2023's, below)
    # and 8-10 June.
    2024: [
        ("2024-01-01", "2024-01-01", []),
        ("2024-02-10", "2024-02-17", ["2024-02-04", "2024-02-18"]),
        ("2024-04-04", "2024-04-06", ["2024-04-07"]),
        ("2024-05-01", "2024-05-05", ["2024-04-28", "2024-05-11"]),
        ("2024-06-08", "2024-06-10", []),
        ("2024-09-15", "2024-09-17", ["2024-09-14"]),
        ("2024-10-01", "2024-10-07", ["2024-09-29", "2024-10-12"]),
    ],
    2025: [
        ("2025-01-01", "2025-01-01", []),
        ("2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
        ("2025-04-04", "2025-04-06", []),
        ("2025-05-01", "2025-05-05", ["2025-04-27"]),
        ("2025-05-31", "2025-06-02", []),
        ("2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),
    ],
    2026: [
        ("2026-01-01", "2026-01-03", ["2026-01-04"]),
        ("2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
        ("2026-04-04", "2026-04-06", []),
        ("2026-05-01", "2026-05-05", ["2026-05-09"]),
        ("2026-06-19", "2026-06-21", []),
        ("2026-09-25", "2026-09-27", []),
        ("2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
    ],
}
SEVEN_DAYS = {d: [["09:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _days(first: str, last: str) -> list[dt.date]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [a + dt.timedelta(days=k) for k in range((b - a).days + 1)]


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_the_days_off_are_the_notices_blocks(year: int) -> None:
    expected = sorted(d for first, last, _ in NOTICES[year] for d in _days(first, last))
    assert list(country_holidays("CN", year)) == expected


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_a_seven_day_desk_is_closed_through_each_block(year: int) -> None:
    cal = BusinessCalendar("Asia/Shanghai", SEVEN_DAYS).with_country_holidays("CN", year)
    for first, last, makeup in NOTICES[year]:
        for day in _days(first, last):
            assert not cal.is_business_day(day), day
        if first.endswith("-01-01"):
            continue  # the days before belong to the year before (next test)
        before = dt.date.fromisoformat(first) - dt.timedelta(days=1)
        after = dt.date.fromisoformat(last) + dt.timedelta(days=1)
        assert cal.is_business_day(before)
        assert cal.is_business_day(after)
        for day in makeup:
            assert cal.is_business_day(dt.date.fromisoformat(day))


def test_a_weekday_desk_is_unchanged() -> None:
    """Mon-Fri calendars were right before: the weekend days were closed anyway."""
    week = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    cal = BusinessCalendar("Asia/Shanghai", week).with_country_holidays("CN", 2025)
    start = dt.datetime(2025, 9, 30, 17, 0)
    # 1 business hour on 30 Sep, then closed 1-8 Oct; due 9 Oct (Thu) 10:00 after 2 hours.
    assert cal.add(start, dt.timedelta(hours=2)) == dt.datetime(2025, 10, 9, 10, tzinfo=cal.zone)


def test_a_year_without_its_notice_keeps_the_statutory_dates_alone() -> None:
    import holidays

    year = announced_years("CN")[1] + 1  # type: ignore[index]
    days = country_holidays("CN", year, unannounced="statutory")
    assert days == tuple(sorted(holidays.country_holidays("CN", years=year)))


def test_a_block_across_new_year_closes_the_old_years_days() -> None:
    """Regression: the 2024 notice (Guo Ban Fa Ming Dian [2023] No. 7) gives New Year as
    1 January "joined with the weekend", i.e. off from Saturday 30 to Monday 1 January; a
    seven-day desk's 2023 calendar stayed open on 30-31 December 2023 because only 2023's
    holidays were read. The neighbouring years' notices now extend the block, and the
    result keeps only the years asked for."""
    days_2023 = country_holidays("CN", 2023)
    assert dt.date(2023, 12, 30) in days_2023
    assert dt.date(2023, 12, 31) in days_2023
    assert dt.date(2024, 1, 1) not in days_2023
    assert dt.date(2022, 12, 31) not in days_2023  # the 2023 notice's block, 2022's day
    assert min(days_2023) == dt.date(2023, 1, 1)
    cal = BusinessCalendar("Asia/Shanghai", SEVEN_DAYS).with_country_holidays("CN", 2023)
    assert not cal.is_business_day(dt.date(2023, 12, 30))
    assert cal.is_business_day(dt.date(2023, 12, 29))
    assert country_holidays("CN", [2023, 2024]) == tuple(
        sorted(set(days_2023) | set(country_holidays("CN", 2024)))
    )
