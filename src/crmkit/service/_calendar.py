"""Business calendars: weekly hours, holidays and date overrides in one IANA time zone.

A :class:`BusinessCalendar` says *when* business time runs. It is a frozen value: built and
validated once, round-tripped through JSON with :meth:`BusinessCalendar.to_dict` /
:meth:`BusinessCalendar.from_dict`, and compiled on first use into a cached UTC timeline
(:mod:`crmkit.service._timeline`) that does the arithmetic.

The model, in the words the docs use:

- **Intervals** are ``(start, end)`` wall-clock times of one day, ``"HH:MM"`` or
  ``"HH:MM:SS"``; ``"24:00"`` is a legal end. An interval whose end is not after its start
  (``["22:00", "06:00"]``) is *overnight*: it opens on its own day and closes on the next.
- **Ownership**: every interval belongs to the date it opens on. A holiday on that date
  removes the whole interval, including the part after midnight; an override of that date
  replaces it. Precedence: **override > holiday > weekly hours** (an override of a holiday
  opens it with the override's hours).
- **Merging**: an overnight interval that meets or overlaps the next day's hours forms one
  period with them (``["22:00", "06:00"]`` then ``["05:00", "12:00"]`` is open from 22:00
  to 12:00); nothing is counted twice.
- **Membership**: an instant is business time iff the calendar's wall clock, at that
  instant, reads a time inside an interval owned by its date (or by the day before, for
  the part of an overnight interval after midnight). Intervals are half-open: the opening
  instant is inside, the closing instant is not. On a daylight-saving day a wall-clock
  interval therefore lasts what it really lasts (``00:00-24:00`` is 23 or 25 hours), times
  that the clock skips are never open, and times that it repeats are open twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import attrs
import numpy as np
import pandas as pd
from dateutil.rrule import rrule

from crmkit._spec import Custom, Seq, Spec, check_choice, derived, field, metadata, whole
from crmkit._validate import as_aware, first_labels, resolve_timezone
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service import _timeline as tl

__all__ = ["WEEKDAYS", "BusinessCalendar", "announced_years", "country_holidays"]

#: Weekday keys of the ``weekly`` mapping, Monday first (``datetime.date.weekday()`` order).
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: One interval: seconds after the owning day's midnight, ``(start, end)``. ``end`` is in
#: ``(0, 86400]``; ``end <= start`` marks an overnight interval that closes the next day.
Interval = tuple[int, int]

DAY = 86_400
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FROM_TIMESTAMP = dt.datetime.fromtimestamp
_OWNER = "BusinessCalendar"
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DEFAULT_HORIZON_DAYS = 3653  # ten years, leap days included
_INT64_MAX = int(np.iinfo(np.int64).max)


def _parse_clock(value: object, where: str, *, is_end: bool) -> int:
    """Return seconds after midnight for ``"HH:MM[:SS]"``, a ``datetime.time`` or an int."""
    if isinstance(value, bool):
        value = repr(value)  # reported below as not a time
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, dt.time):
        if value.tzinfo is not None or value.microsecond:
            raise ConfigError(
                _OWNER,
                where,
                expected="a whole-second wall-clock time without time zone",
                found=repr(value),
            )
        seconds = value.hour * 3600 + value.minute * 60 + value.second
    elif isinstance(value, str) and (match := _TIME_RE.match(value.strip())):
        hours, minutes, secs = int(match[1]), int(match[2]), int(match[3] or 0)
        if minutes > 59 or secs > 59 or hours > 24 or (hours == 24 and (minutes or secs)):
            seconds = -1
        else:
            seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise ConfigError(
            _OWNER,
            where,
            expected="a time 'HH:MM' or 'HH:MM:SS' (or '24:00' as an end)",
            found=repr(value),
        )
    top = DAY if is_end else DAY - 1
    if not 0 <= seconds <= top:
        raise ConfigError(
            _OWNER,
            where,
            expected=(
                "a time from '00:00' to '24:00'" if is_end else "a time from '00:00' to '23:59:59'"
            ),
            found=repr(value),
            hint="'24:00' is only legal as the end of an interval." if seconds == DAY else "",
        )
    return seconds


def _format_clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _span(interval: Interval) -> tuple[int, int]:
    """``(start, end)`` with overnight ends moved past midnight (end + 86400)."""
    start, end = interval
    return (start, end) if end > start else (start, end + DAY)


def _parse_intervals(value: object, where: str) -> tuple[Interval, ...]:
    """Parse one day's list of ``[start, end]`` pairs; sort them; reject overlaps."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(
            _OWNER,
            where,
            expected="a list of [start, end] pairs such as [['09:00', '18:00']]",
            found=repr(value),
        )
    intervals: list[Interval] = []
    for k, pair in enumerate(cast("Iterable[object]", value)):
        here = f"{where}[{k}]"
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ConfigError(
                _OWNER,
                here,
                expected="a [start, end] pair such as ['09:00', '18:00']",
                found=repr(pair),
            )
        start = _parse_clock(pair[0], here, is_end=False)
        end = _parse_clock(pair[1], here, is_end=True)
        if end == start:
            raise ConfigError(
                _OWNER,
                here,
                expected="an interval whose end differs from its start",
                found=f"[{_format_clock(start)!r}, {_format_clock(end)!r}]",
                hint="Write a whole day as ['00:00', '24:00'].",
            )
        intervals.append((start, end))
    intervals.sort(key=_span)
    for first, second in itertools.pairwise(intervals):
        if _span(second)[0] < _span(first)[1]:
            raise ConfigError(
                _OWNER,
                where,
                expected="intervals that do not overlap",
                found=f"{_show(first)} overlapping {_show(second)}",
                hint="Merge them into one interval.",
            )
    return tuple(intervals)


def _show(interval: Interval) -> str:
    return f"[{_format_clock(interval[0])!r}, {_format_clock(interval[1])!r}]"


def _parse_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ConfigError(
            _OWNER,
            where,
            expected="a date",
            found=f"the datetime {value.isoformat()}",
            hint="Pass value.date() to mean the whole day.",
        )
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(_OWNER, where, expected="a date 'YYYY-MM-DD'", found=repr(value))


def _convert_weekly(value: object) -> tuple[tuple[Interval, ...], ...]:
    if isinstance(value, Mapping):
        unknown = [key for key in value if key not in WEEKDAYS]
        if unknown:  # named with its path, as every nested key is
            raise ConfigError(
                _OWNER,
                f"weekly.{unknown[0]}",
                expected=f"one of {sorted(WEEKDAYS)}",
                found="an unknown key",
            )
        return tuple(_parse_intervals(value.get(day, ()), f"weekly.{day}") for day in WEEKDAYS)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and len(value) == 7:
        return tuple(
            _parse_intervals(day_value, f"weekly.{day}")
            for day, day_value in zip(WEEKDAYS, value, strict=True)
        )
    raise ConfigError(
        _OWNER,
        "weekly",
        expected="a mapping from 'mon'..'sun' to lists of [start, end] pairs",
        found=type(value).__name__,
    )


def _convert_holidays(value: object) -> tuple[dt.date, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(
            _OWNER, "holidays", expected="a list of dates 'YYYY-MM-DD'", found=repr(value)
        )
    return tuple(
        sorted(
            {
                _parse_date(v, f"holidays[{k}]")
                for k, v in enumerate(cast("Iterable[object]", value))
            }
        )
    )


def _pairs(value: object, name: str, expected: str, pair: str) -> Iterator[Sequence[Any]]:
    """The ``(key, value)`` pairs of a mapping field (its items, or pairs as given)."""
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.items()
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        items = value
    else:
        raise ConfigError(_OWNER, name, expected=expected, found=repr(value))
    for item in items:
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise ConfigError(_OWNER, name, expected=f"({pair}) pairs", found=repr(item))
        yield item


def _convert_overrides(value: object) -> tuple[tuple[dt.date, tuple[Interval, ...]], ...]:
    parsed: dict[dt.date, tuple[Interval, ...]] = {}
    expected = "a mapping from dates 'YYYY-MM-DD' to lists of [start, end] pairs"
    for item in _pairs(value, "overrides", expected, "date, intervals"):
        day = _parse_date(item[0], f"overrides[{item[0]!r}]")
        if day in parsed:
            raise ConfigError(
                _OWNER, f"overrides[{day.isoformat()!r}]", expected="given once", found="twice"
            )
        parsed[day] = _parse_intervals(item[1], f"overrides.{day.isoformat()}")
    return tuple(sorted(parsed.items()))


def _convert_rules(value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        value = [value]
    texts = []
    for k, item in enumerate(cast("Iterable[object]", value)):
        rule = str(item) if isinstance(item, rrule) else item
        if not isinstance(rule, str):
            raise ConfigError(
                _OWNER,
                f"holiday_rules[{k}]",
                expected="an RFC 5545 recurrence text (DTSTART + RRULE) or a dateutil rrule",
                found=type(rule).__name__,
            )
        texts.append(rule.strip())
    return tuple(texts)


def _parse_rule(text: str, where: str) -> Any:
    """Parse and check one recurrence text (no clock reads: DTSTART is required)."""
    if "DTSTART" not in text.upper():
        raise ConfigError(
            _OWNER,
            where,
            expected="a recurrence with a DTSTART line",
            found=repr(text),
            hint="Without DTSTART dateutil would start the rule at the current time.",
        )
    try:
        return tl.parse_rule(text)
    except ValueError as exc:
        raise ConfigError(
            _OWNER,
            where,
            expected="an RFC 5545 recurrence with a floating (zone-less) DTSTART",
            found=f"{text!r} ({exc})",
        ) from None


def _check_timezone(instance: Any, attribute: Any, value: str) -> None:
    resolve_timezone(value, _OWNER)


def _check_rules(instance: Any, attribute: Any, value: tuple[str, ...]) -> None:
    for k, text in enumerate(value):
        _parse_rule(text, f"holiday_rules[{k}]")


def _dump_weekly(weekly: tuple[tuple[Interval, ...], ...]) -> dict[str, list[list[str]]]:
    return {day: _dump(hours) for day, hours in zip(WEEKDAYS, weekly, strict=True)}


def _dump_overrides(
    overrides: tuple[tuple[dt.date, tuple[Interval, ...]], ...],
) -> dict[str, list[list[str]]]:
    return {day.isoformat(): _dump(hours) for day, hours in overrides}


def _as_is(value: Any) -> Any:
    return value  # the field's converter reads the JSON form and names what is wrong


#: The JSON forms of the calendar's fields (the converters read them back).
_WEEKLY = Custom(_dump_weekly, _as_is, "a mapping from 'mon'..'sun' to [start, end] pairs")
_DATES = Custom(lambda days: [d.isoformat() for d in days], _as_is, "a list of dates")
_OVERRIDES = Custom(_dump_overrides, _as_is, "a mapping from dates to [start, end] pairs")


CountryYears = tuple[tuple[str, tuple[int, ...]], ...]


def _convert_country_years(value: object) -> CountryYears:
    """Read ``{"CN": [2025, 2026]}``: each key's years consecutive, all keys sharing one."""
    parsed: dict[str, tuple[int, ...]] = {}
    expected = "a mapping from country codes to lists of years, e.g. {'CN': [2025]}"
    for item in _pairs(value, "country_years", expected, "country, years"):
        key, years = item
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(
                _OWNER, "country_years", expected="country codes such as 'CN'", found=repr(key)
            )
        key = key.strip().upper()
        where = f"country_years.{key}"
        if isinstance(years, (str, bytes, Mapping)) or not isinstance(years, Iterable):
            raise ConfigError(_OWNER, where, expected="a list of years", found=repr(years))
        found = sorted(set(years) | set(parsed.get(key, ())))
        if not found:
            raise ConfigError(_OWNER, where, expected="at least one year", found="none")
        for year in found:
            if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
                raise ConfigError(_OWNER, where, expected="years (int) in 1-9999", found=repr(year))
        if found[-1] - found[0] + 1 != len(found):
            gaps = sorted(set(range(found[0], found[-1] + 1)) - set(found))
            raise ConfigError(
                _OWNER,
                where,
                expected="consecutive years (one span of country holidays)",
                found=f"{found}, without {gaps}",
                hint=f"Add the missing years too: {_add_years_call(key, found[0], found[-1])}.",
            )
        parsed[key] = tuple(found)
    if parsed and max(y[0] for y in parsed.values()) > min(y[-1] for y in parsed.values()):
        raise ConfigError(
            _OWNER,
            "country_years",
            expected="countries whose holiday years share at least one year",
            found=", ".join(f"{k}: {_show_years(y[0], y[-1])}" for k, y in sorted(parsed.items())),
            hint="Add the same years for every country.",
        )
    return tuple(sorted(parsed.items()))


def _show_years(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _add_years_call(key: str, first: int, last: int) -> str:
    """The ``with_country_holidays`` call that adds ``first``..``last`` for ``key``."""
    country, _, subdiv = key.partition("-")
    years = list(range(first, last + 1))
    shown = str(years) if len(years) <= 4 else f"range({first}, {last + 1})"
    extra = f", subdiv={subdiv!r}" if subdiv else ""
    return f"with_country_holidays({country!r}, {shown}{extra})"


_COUNTRY_YEARS = Custom(
    lambda pairs: {key: list(years) for key, years in pairs},
    _as_is,
    "a mapping from country codes to lists of years",
)


def _convert_timezone(value: object) -> str:
    key = getattr(value, "key", None)
    if isinstance(key, str):  # a zoneinfo.ZoneInfo
        return key
    if isinstance(value, str):
        return value
    raise ConfigError(
        _OWNER,
        "timezone",
        expected="an IANA time zone name such as 'Europe/Berlin'",
        found=repr(value),
    )


@attrs.frozen(repr=False)
class BusinessCalendar(Spec):
    """Business hours in one time zone: weekly intervals, holidays and date overrides.

    Build it from code (the converters accept the JSON forms: ``"HH:MM"`` strings, ISO
    dates, mappings keyed by ``"mon"`` .. ``"sun"``) or from JSON with :meth:`from_dict`.
    The attributes hold the validated, normalised form.

    Attributes:
        timezone: IANA zone name; wall-clock times and naive datetimes are read in it.
        weekly: Seven tuples (Monday first) of ``(start, end)`` intervals in seconds after
            midnight; ``end`` is at most 86400 (``"24:00"``); ``end <= start`` is an
            overnight interval, owned by the day it opens on. Missing days are closed.
        holidays: Sorted dates without business hours (their overnight intervals too),
            unless the date is also an override.
        overrides: ``(date, intervals)`` pairs that replace a date's weekly hours: half
            days, and working days on weekends (make-up working days). ``()`` closes it.
            Precedence: override > holiday > weekly hours, so "open 09:00-12:00 on this
            public holiday" is an override of a date the holiday list also names.
        holiday_rules: Recurring holidays as RFC 5545 texts (``DTSTART`` + ``RRULE``), as
            produced by ``str(dateutil.rrule.rrule(...))``; expanded lazily.
        horizon_days: How far (in days of real time) any search looks before it gives up
            with a :class:`~crmkit.errors.ConfigError` (default ten years).
        country_years: ``(country, years)`` pairs recorded by :meth:`with_country_holidays`
            (JSON: ``{"CN": [2025, 2026]}``; a subdivision is keyed ``"US-NY"``): the
            consecutive years whose public holidays the calendar holds. Arithmetic that
            reaches a day outside the years all countries share is refused (see
            :attr:`holiday_years`); ``()`` serves every year.

    Raises:
        ConfigError: Unknown time zone, malformed intervals, intervals of one day that
            overlap, or a bad recurrence. (An overnight interval that meets or overlaps
            the next day's hours is merged with them; a date that is both a holiday and
            an override takes the override's hours.)

    Examples:
        >>> import datetime as dt
        >>> from crmkit.service import BusinessCalendar
        >>> cal = BusinessCalendar.from_dict({
        ...     "timezone": "Asia/Shanghai",
        ...     "weekly": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]],
        ...                "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],
        ...                "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]],
        ...                "sat": [], "sun": []},
        ...     "holidays": ["2025-10-01"],
        ...     "overrides": {"2025-09-28": [["09:00", "18:00"]]}})
        >>> cal.add(dt.datetime(2025, 9, 26, 17), dt.timedelta(hours=2)).isoformat()
        '2025-09-28T10:00:00+08:00'
        >>> cal.elapsed(dt.datetime(2025, 9, 30, 17), dt.datetime(2025, 10, 2, 10))
        datetime.timedelta(seconds=7200)
    """

    timezone: str = attrs.field(
        converter=_convert_timezone, validator=_check_timezone, metadata=metadata()
    )
    weekly: tuple[tuple[Interval, ...], ...] = attrs.field(
        converter=_convert_weekly, metadata=metadata(codec=_WEEKLY)
    )
    holidays: tuple[dt.date, ...] = attrs.field(
        default=(), converter=_convert_holidays, metadata=metadata(codec=_DATES)
    )
    overrides: tuple[tuple[dt.date, tuple[Interval, ...]], ...] = attrs.field(
        default=(), converter=_convert_overrides, metadata=metadata(codec=_OVERRIDES)
    )
    holiday_rules: tuple[str, ...] = attrs.field(
        default=(),
        converter=_convert_rules,
        validator=_check_rules,
        metadata=metadata(codec=Seq(), omit_default=True),
    )
    horizon_days: int = field(
        default=_DEFAULT_HORIZON_DAYS, validator=whole(min=1, max=366 * 200), omit_default=True
    )
    country_years: CountryYears = attrs.field(
        default=(),
        converter=_convert_country_years,
        metadata=metadata(codec=_COUNTRY_YEARS, omit_default=True),
    )

    # Precedence: override > holiday > weekly hours. A date may be both a holiday and an
    # override (holidays from a package, local exceptions on top): the override decides.
    # An overnight interval that meets or overlaps the next day's hours is merged with
    # them when compiled (one period), never refused. The compiled engine (zone, holiday
    # set, timeline) lives beside the value: crmkit.service._timeline.engine(calendar).

    # ----------------------------------------------------------------------------------
    # Construction helpers
    # ----------------------------------------------------------------------------------
    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessCalendar:
        """A 24x7 calendar: business time equals real elapsed time.

        Args:
            timezone: IANA zone name; results are returned in it.

        Returns:
            A calendar open ``00:00-24:00`` every day.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar.always_open("Europe/Berlin")
            >>> cal.elapsed(dt.datetime(2025, 3, 30), dt.datetime(2025, 3, 31))  # DST day
            datetime.timedelta(seconds=82800)
        """
        return cls(timezone, cast("Any", [[("00:00", "24:00")]] * 7))

    def with_holidays(self, dates: Iterable[dt.date | str]) -> BusinessCalendar:
        """Return a copy with more holidays (e.g. a ``holidays`` package calendar).

        Args:
            dates: Dates or ISO strings; a ``holidays.HolidayBase`` works as is (its
                keys are the dates). Dates that are overrides stay overrides.

        Returns:
            A new calendar; this one is unchanged.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
            >>> cal.with_holidays(["2025-01-06"]).is_open(dt.datetime(2025, 1, 6, 10))
            False
        """
        overridden = dict(self.overrides).keys()
        extra = [d for d in _convert_holidays(dates) if d not in overridden]
        return attrs.evolve(self, holidays=(*self.holidays, *extra))

    def with_overrides(
        self, overrides: Mapping[dt.date | str, Iterable[Sequence[object]]]
    ) -> BusinessCalendar:
        """Return a copy with more date overrides (replacing existing ones on the same dates).

        Args:
            overrides: Mapping from date to that date's intervals; ``[]`` closes the date.

        Returns:
            A new calendar; this one is unchanged.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
            >>> half = cal.with_overrides({"2025-12-22": [["09:00", "12:00"]]})
            >>> half.elapsed(dt.datetime(2025, 12, 22), dt.datetime(2025, 12, 23))
            datetime.timedelta(seconds=10800)
        """
        new = dict(self.overrides)
        new.update(dict(_convert_overrides(overrides)))
        holidays = tuple(d for d in self.holidays if d not in new)
        return attrs.evolve(self, overrides=tuple(new.items()), holidays=holidays)

    def with_country_holidays(
        self,
        country: str,
        years: int | Iterable[int],
        *,
        subdiv: str | None = None,
        makeup_like: str | None = "mon",
        unannounced: str = "raise",
    ) -> BusinessCalendar:
        """Add a country's public holidays from the ``holidays`` package (optional extra).

        Countries that move working days to weekends (China's make-up working days, 调休)
        list them in ``holidays``' ``weekend_workdays``; they become overrides with the
        hours of the weekday ``makeup_like`` (``None`` skips them).

        China sets each year's days off and make-up working days by a State Council notice
        published late in the year before; a year whose notice the installed ``holidays``
        is not built with is refused (see :func:`country_holidays`, ``unannounced``).

        The calendar remembers the years (``country_years``, stored by :meth:`to_dict`),
        and arithmetic that reaches a day in another year raises a
        :class:`~crmkit.errors.ConfigError` naming it, instead of counting that year's
        public holidays as working days: a calendar built for 2025 refuses a deadline that
        runs into January 2026 until 2026 is added (``with_country_holidays("CN", 2026)``
        on it, or ``[2025, 2026]`` at once). Calling it again for the same country adds
        years; they must stay consecutive.

        Args:
            country: ISO 3166 code understood by ``holidays.country_holidays``.
            years: The years to add.
            subdiv: Subdivision (state, province) code, if any.
            makeup_like: Weekday key whose hours a make-up working day gets.
            unannounced: ``"raise"`` or ``"statutory"``, as in :func:`country_holidays`.

        Returns:
            A new calendar; this one is unchanged.

        Raises:
            ConfigError: ``holidays`` is not installed, the country is unknown, a year's
                official arrangement is not in the installed ``holidays`` (``unannounced``),
                or the years would leave a gap (or share none with another country's).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
            >>> cal = BusinessCalendar("Asia/Shanghai", week).with_country_holidays("CN", 2025)
            >>> cal.is_open(dt.datetime(2025, 10, 1, 10)), cal.is_open(dt.datetime(2025, 9, 28, 10))
            (False, True)
            >>> cal.due_at(dt.datetime(2025, 12, 30, 10), dt.timedelta(hours=24))
            Traceback (most recent call last):
            ...
            crmkit.errors.ConfigError: BusinessCalendar.due_at(): parameter 'country_years' must be years that cover every day the computation reaches (it has CN 2025); found a day in 2026 (2026-01-01). ...
            >>> cal.with_country_holidays("CN", 2026).due_at(dt.datetime(2025, 12, 30, 10),
            ...     dt.timedelta(hours=24)).isoformat()  # 1-3 January off, Sunday 4 worked
            '2026-01-04T16:00:00+08:00'
        """
        owner = "BusinessCalendar.with_country_holidays()"
        year_list = _country_args(country, years, subdiv, owner)
        _check_announced(country, year_list, subdiv, unannounced, owner)
        check_choice(makeup_like, WEEKDAYS, owner, "makeup_like", optional=True)
        key = country.strip().upper() + (f"-{subdiv.strip().upper()}" if subdiv else "")
        known = dict(self.country_years).get(key, ())
        covered = sorted({*known, *year_list})
        if covered[-1] - covered[0] + 1 != len(covered):
            gaps = sorted(set(range(covered[0], covered[-1] + 1)) - set(covered))
            raise ConfigError(
                owner,
                "years",
                expected="years that make one span with those the calendar has"
                + (f" for {key} ({_show_years(known[0], known[-1])})" if known else ""),
                found=f"{year_list}, leaving out {gaps}",
                hint="Deadlines that cross a missing year could not be trusted. Add it: "
                f"{_add_years_call(key, covered[0], covered[-1])}.",
            )
        dates = _days_off(country, year_list, subdiv, owner)
        cal = self.with_holidays(dates)
        if makeup_like is not None:
            workdays = _weekend_workdays(country, year_list, subdiv)
            hours = self.weekly[WEEKDAYS.index(makeup_like)]
            overridden = dict(cal.overrides).keys()
            fresh = {d: hours for d in workdays if d not in overridden and d not in set(dates)}
            if fresh:
                cal = cal.with_overrides(cast("Any", fresh))
        spans: dict[str, tuple[int, ...]] = dict(self.country_years)
        spans[key] = tuple(covered)
        try:
            return attrs.evolve(cal, country_years=spans)
        except ConfigError as err:  # countries without a year in common
            raise ConfigError(
                owner, "years", expected=err.expected, found=err.found, hint=err.hint
            ) from None

    # ----------------------------------------------------------------------------------
    # Years the country holidays cover
    # ----------------------------------------------------------------------------------
    @property
    def holiday_years(self) -> tuple[int, int] | None:
        """The first and last year whose country holidays the calendar has, or ``None``.

        :meth:`with_country_holidays` records the years it adds (``country_years``, kept
        in the JSON form). Arithmetic that reaches a day outside them raises a
        :class:`~crmkit.errors.ConfigError` naming the year, rather than treating that
        year's public holidays as working days. ``None`` (no country holidays: weekly hours,
        explicit holidays and recurrences alone) serves every year. With several countries
        it is the span all of them cover.

        Examples:
            >>> from crmkit.service import BusinessCalendar
            >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
            >>> cal = BusinessCalendar("Asia/Shanghai", week)
            >>> cal.holiday_years is None
            True
            >>> cal.with_country_holidays("CN", [2025, 2026]).holiday_years
            (2025, 2026)
        """
        if not self.country_years:
            return None
        return (
            max(years[0] for _, years in self.country_years),
            min(years[-1] for _, years in self.country_years),
        )

    def _covered(self) -> tuple[int, int, int, int]:
        """``(lo_ns, stop_ns, lo_day, stop_day)``: instants and days the country years cover.

        Instants ``[lo_ns, stop_ns)`` in UTC nanoseconds: from the first year's 1 January
        (plus the longest overnight spill, whose owner is 31 December of the year before)
        to the local midnight that starts the year after the last. Days ``[lo_day,
        stop_day)`` are day numbers since 1970-01-01.
        """
        span = self.holiday_years
        if span is None:
            return (tl.NAT, _INT64_MAX, tl.NAT, _INT64_MAX)
        return derived(self, "covered", lambda: self._build_covered(*span))

    def _build_covered(self, first: int, last: int) -> tuple[int, int, int, int]:
        zone = tl.engine(self).zone
        spill = max(
            (
                end
                for hours in (*self.weekly, *(h for _, h in self.overrides))
                for s, end in hours
                if end <= s
            ),
            default=0,
        )
        start = dt.datetime(first, 1, 1, tzinfo=zone) + dt.timedelta(seconds=spill)
        lo_ns = (start - _EPOCH) // dt.timedelta(microseconds=1) * 1000
        lo_day = dt.date(first, 1, 1).toordinal() - tl.EPOCH_ORDINAL
        if last >= 9999:
            return (lo_ns, _INT64_MAX, lo_day, _INT64_MAX)
        stop = dt.datetime(last + 1, 1, 1, tzinfo=zone)
        stop_ns = (stop - _EPOCH) // dt.timedelta(microseconds=1) * 1000
        return (lo_ns, stop_ns, lo_day, dt.date(last + 1, 1, 1).toordinal() - tl.EPOCH_ORDINAL)

    def _reach(self, lo: int, hi: int, owner: str, *, adjacent: bool = False) -> None:
        """Refuse when ``[lo, hi]`` (UTC ns, both inside) leaves the country holiday years.

        ``adjacent`` names the first day outside the years on the side that was left (1
        January after the last one, 31 December before the first) whatever ``lo`` and
        ``hi`` are: the SLA engines check single instants, in an order that differs
        between the one-ticket and the batch engine, and must refuse alike.
        """
        if not self.country_years:
            return
        lo_ns, stop_ns, _, _ = self._covered()
        if lo_ns <= lo and hi < stop_ns:
            return
        later = lo >= lo_ns  # a day before the years is named first
        if adjacent:
            lo, hi = (stop_ns, stop_ns) if later else (lo_ns - 1, lo_ns - 1)
        raise self._uncovered(self._dt(lo).date(), self._dt(hi).date(), later, owner)

    def _reach_days(self, lo: int, hi: int, owner: str) -> None:
        """:meth:`_reach` for day numbers ``[lo, hi]``."""
        if not self.country_years:
            return
        _, _, lo_day, stop_day = self._covered()
        if lo_day <= lo and hi < stop_day:
            return
        first, last = (dt.date.fromordinal(d + tl.EPOCH_ORDINAL) for d in (lo, hi))
        raise self._uncovered(first, last, lo >= lo_day, owner)

    def _reach_many(
        self,
        lo: np.ndarray[Any, np.dtype[np.int64]],
        hi: np.ndarray[Any, np.dtype[np.int64]],
        owner: str,
        labels: Callable[[np.ndarray[Any, np.dtype[np.bool_]]], list[Any]],
        *,
        days: bool = False,
        adjacent: bool = False,
    ) -> None:
        """:meth:`_reach` per row (``NAT`` rows pass); the error names the rows."""
        if not self.country_years or len(lo) == 0:
            return
        lo_ns, stop_ns, lo_day, stop_day = self._covered()
        first, stop = (lo_day, stop_day) if days else (lo_ns, stop_ns)
        valid = (lo != tl.NAT) & (hi != tl.NAT)
        low = valid & (lo < first)
        bad = low | (valid & (hi >= stop))
        if not bad.any():
            return
        k = int(np.flatnonzero(bad)[0])
        ends = [int(lo[k]), int(hi[k])]
        later = not low[k]  # a day before the years is named first
        if adjacent:
            later = not low.any()
            ends = [stop, stop] if later else [first - 1, first - 1]
        since, until = (
            dt.date.fromordinal(e + tl.EPOCH_ORDINAL) if days else self._dt(e).date() for e in ends
        )
        raise self._uncovered(since, until, later, owner, rows=labels(bad), total=int(bad.sum()))

    def _uncovered(
        self,
        lo: dt.date,
        hi: dt.date,
        later: bool,
        owner: str,
        *,
        rows: Sequence[Any] = (),
        total: int | None = None,
    ) -> ConfigError:
        """The refusal of a computation over the local dates ``[lo, hi]``.

        It names the first day outside the holiday years that the computation reaches:
        on the ``later`` side, 1 January after the last year (or ``lo`` beyond it); else
        31 December before the first year (or ``hi`` before it). A ``lo`` inside the first
        year is reached through the overnight interval of the day before.
        """
        first, last = cast("tuple[int, int]", self.holiday_years)
        if later:
            day = max(lo, dt.date(last + 1, 1, 1))
        else:
            day = min(hi, dt.date(max(first - 1, 1), 12, 31))
        year = day.year
        need = min(first, year), max(last, year)
        have = ", ".join(f"{key} {_show_years(y[0], y[-1])}" for key, y in self.country_years)
        calls = " and ".join(_add_years_call(key, *need) for key, _ in self.country_years)
        return ConfigError(
            owner,
            "country_years",
            expected=f"years that cover every day the computation reaches (it has {have})",
            found=f"a day in {year} ({day.isoformat()})",
            rows=rows,
            total=total,
            hint=f"The calendar does not know {year}'s public holidays and would count them "
            f"as working days. Add the year: calendar.{calls}.",
        )

    # ----------------------------------------------------------------------------------
    # Rules per date
    # ----------------------------------------------------------------------------------
    @property
    def zone(self) -> dt.tzinfo:
        """The calendar's zone as a ``tzinfo`` (``zoneinfo.ZoneInfo``).

        Examples:
            >>> from crmkit.service import BusinessCalendar
            >>> BusinessCalendar.always_open("Asia/Kathmandu").zone
            zoneinfo.ZoneInfo(key='Asia/Kathmandu')
        """
        return tl.engine(self).zone

    def owned(self, day: dt.date) -> tuple[Interval, ...]:
        """The intervals that ``day`` owns (opens), after holidays and overrides.

        Args:
            day: A calendar date.

        Returns:
            ``(start, end)`` pairs in seconds after midnight, sorted; overnight last.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"fri": [["09:00", "12:00"], ["22:00", "06:00"]]},
            ...                        holidays=["2025-01-17"])
            >>> cal.owned(dt.date(2025, 1, 10)), cal.owned(dt.date(2025, 1, 17))
            (((32400, 43200), (79200, 21600)), ())
        """
        return self.owned_with(self._holidays_in(day, day + dt.timedelta(days=1)))(day)

    def owned_with(self, holidays: frozenset[dt.date]) -> Callable[[dt.date], tuple[Interval, ...]]:
        """Return the ``owned`` function for a precomputed holiday set (used when compiling).

        Args:
            holidays: Every holiday of the dates that will be asked for.

        Returns:
            A function from date to owned intervals.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]})
            >>> cal.owned_with(frozenset({dt.date(2025, 1, 6)}))(dt.date(2025, 1, 6))
            ()
        """
        return tl.engine(self).owned_with(holidays)

    def _holidays_in(self, first: dt.date, stop: dt.date) -> frozenset[dt.date]:
        """Explicit holidays plus recurring ones expanded over ``[first, stop)``."""
        return tl.engine(self).holidays_in(first, stop)

    # ----------------------------------------------------------------------------------
    # Scalar arithmetic
    # ----------------------------------------------------------------------------------
    def _ns(self, t: object, owner: str, field: str) -> int:
        """UTC nanoseconds of ``t``; naive datetimes are read in the calendar zone."""
        if t.__class__ is dt.datetime:
            moment: dt.datetime = t
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tl.engine(self).zone)
            try:
                delta = moment - _EPOCH
            except TypeError:  # a tzinfo whose utcoffset() is None: read as naive
                delta = as_aware(moment.replace(tzinfo=None), self.zone, owner, field) - _EPOCH
            return ((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000
        if isinstance(t, pd.Timestamp):
            t = t.to_pydatetime(warn=False)  # microsecond resolution, like datetime
        aware = as_aware(t, self.zone, owner, field)
        delta = aware - _EPOCH
        return ((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000

    def _dt(self, ns: int) -> dt.datetime:
        """The aware datetime in the calendar zone at UTC nanosecond ``ns`` (fold set)."""
        seconds, rest = divmod(ns, 1_000_000_000)
        micro = rest // 1000  # datetime holds microseconds
        try:
            moment = _FROM_TIMESTAMP(seconds, tl.engine(self).zone)  # exact for int seconds
        except (OverflowError, OSError, ValueError):  # platform limits near years 1 / 9999
            moment = (_EPOCH + dt.timedelta(seconds=seconds)).astimezone(tl.engine(self).zone)
        return moment.replace(microsecond=micro) if micro else moment

    @staticmethod
    def _duration_ns(duration: object, owner: str) -> int:
        if isinstance(duration, dt.timedelta):
            micro = (duration.days * 86_400 + duration.seconds) * 1_000_000 + duration.microseconds
            return micro * 1000
        if isinstance(duration, np.timedelta64) and not np.isnat(duration):
            return int(duration.astype("timedelta64[ns]").astype(np.int64))
        raise InvalidInputError(
            owner,
            "duration",
            expected="a datetime.timedelta",
            found=f"{type(duration).__name__} {duration!r}",
            kind="",
            hint="Say which unit you mean, e.g. timedelta(hours=2).",
        )

    def add(self, t: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The earliest instant at which ``duration`` of business time has run since ``t``.

        A deadline that lands on a closing time is that closing time (not the next
        opening); ``add(t, timedelta(0)) == t``; a clock started outside hours begins at
        the next opening. A negative duration is :meth:`subtract`.

        Args:
            t: The start; naive datetimes are read in the calendar zone (PEP 495
                ``fold=0``), aware ones may be in any zone.
            duration: Business time to add, to the microsecond.

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            ConfigError: No such instant within ``horizon_days`` of ``t`` (e.g. a
                calendar without business hours ahead).
            InvalidInputError: ``t`` is not a datetime or ``duration`` not a timedelta.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("Europe/Berlin", {d: [["09:00", "18:00"]]
            ...     for d in ["mon", "tue", "wed", "thu", "fri"]})
            >>> cal.add(dt.datetime(2025, 1, 3, 16), dt.timedelta(hours=2)).isoformat()
            '2025-01-03T18:00:00+01:00'
            >>> cal.add(dt.datetime(2025, 1, 3, 16), dt.timedelta(hours=3)).isoformat()
            '2025-01-06T10:00:00+01:00'
        """
        owner = "BusinessCalendar.add()"
        start = self._ns(t, owner, "t")
        u = tl.add_ns(self, start, self._duration_ns(duration, owner), owner)
        self._reach(min(start, u), max(start, u), owner)
        return self._dt(u)

    def subtract(self, t: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The latest instant from which ``duration`` of business time runs until ``t``.

        The mirror of :meth:`add`: it moves back as little as possible, so
        ``subtract(Monday 10:00, 1 h)`` is Monday 09:00 on a 09:00 opening, not the
        previous closing time. ``subtract(t, timedelta(0)) == t``; a negative duration
        is :meth:`add`. ``add(subtract(t, d), d) <= t``, equal when ``t`` is inside
        hours (after the opening instant) or on a closing time.

        Args:
            t: The end instant (naive: calendar zone).
            duration: Business time to go back.

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            ConfigError: No such instant within ``horizon_days`` before ``t``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("Europe/Berlin", {d: [["09:00", "18:00"]]
            ...     for d in ["mon", "tue", "wed", "thu", "fri"]})
            >>> cal.subtract(dt.datetime(2025, 1, 6, 10), dt.timedelta(hours=1)).isoformat()
            '2025-01-06T09:00:00+01:00'
            >>> cal.subtract(dt.datetime(2025, 1, 6, 10), dt.timedelta(hours=2)).isoformat()
            '2025-01-03T17:00:00+01:00'
        """
        owner = "BusinessCalendar.subtract()"
        end = self._ns(t, owner, "t")
        u = tl.add_ns(self, end, -self._duration_ns(duration, owner), owner)
        self._reach(min(end, u), max(end, u), owner)
        return self._dt(u)

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Signed business time from ``start`` to ``end`` (negative when ``end`` is earlier).

        ``elapsed(a, b) + elapsed(b, c) == elapsed(a, c)`` and
        ``0 <= elapsed(a, b) <= b - a`` for ``a <= b``.

        Args:
            start: First instant (naive: calendar zone).
            end: Second instant.

        Returns:
            The business time, to the microsecond.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("Europe/Berlin", {d: [["09:00", "18:00"]]
            ...     for d in ["mon", "tue", "wed", "thu", "fri"]})
            >>> cal.elapsed(dt.datetime(2025, 1, 3, 17), dt.datetime(2025, 1, 6, 9, 30))
            datetime.timedelta(seconds=5400)
            >>> cal.elapsed(dt.datetime(2025, 1, 6, 9, 30), dt.datetime(2025, 1, 3, 17))
            datetime.timedelta(days=-1, seconds=81000)
        """
        owner = "BusinessCalendar.elapsed()"
        a = self._ns(start, owner, "start")
        b = self._ns(end, owner, "end")
        found = tl.elapsed_ns(self, a, b)
        self._reach(min(a, b), max(min(a, b), max(a, b) - 1), owner)  # [a, b) is counted
        return dt.timedelta(microseconds=found // 1000)

    def is_open(self, t: dt.datetime) -> bool:
        """Whether ``t`` is business time (openings are inside, closing instants are not).

        Args:
            t: The instant (naive: calendar zone).

        Returns:
            True inside ``[open, close)`` of some interval.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "18:00"]]})
            >>> cal.is_open(dt.datetime(2025, 1, 6, 9)), cal.is_open(dt.datetime(2025, 1, 6, 18))
            (True, False)
        """
        owner = "BusinessCalendar.is_open()"
        u = self._ns(t, owner, "t")
        self._reach(u, u, owner)
        return tl.is_open_ns(self, u)

    def next_open(self, t: dt.datetime) -> dt.datetime:
        """The earliest business instant at or after ``t`` (``t`` itself when open).

        Args:
            t: The instant (naive: calendar zone).

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            ConfigError: No opening within ``horizon_days``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "18:00"]]})
            >>> cal.next_open(dt.datetime(2025, 1, 6, 18)).isoformat()
            '2025-01-13T09:00:00+00:00'
        """
        owner = "BusinessCalendar.next_open()"
        u = self._ns(t, owner, "t")
        found = tl.next_edge_ns(self, u, close=False, owner=owner)
        self._reach(u, found, owner)
        return self._dt(found)

    def next_close(self, t: dt.datetime) -> dt.datetime:
        """The end of the business period in progress at ``t``, or else of the next one.

        Always later than ``t``. Adjacent intervals (``["09:00", "12:00"], ["12:00",
        "18:00"]``, or 24x7 days) are one period.

        Args:
            t: The instant (naive: calendar zone).

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            ConfigError: No closing within ``horizon_days``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "12:00"], ["12:00", "18:00"]]})
            >>> cal.next_close(dt.datetime(2025, 1, 6, 10)).isoformat()
            '2025-01-06T18:00:00+00:00'
        """
        owner = "BusinessCalendar.next_close()"
        u = self._ns(t, owner, "t")
        found = tl.next_edge_ns(self, u, close=True, owner=owner)
        self._reach(u, found, owner)
        return self._dt(found)

    def rollback(self, t: dt.datetime) -> dt.datetime:
        """The earliest instant ``x <= t`` with ``elapsed(x, t) == 0``.

        ``t`` itself while business time runs up to ``t`` (inside hours, or exactly at a
        closing instant); otherwise the last closing instant before ``t`` — also when
        ``t`` is exactly an opening instant, since no business time runs between that
        closing and ``t``. This is what ``add(subtract(t, 1 µs), 1 µs)`` gives, and biz's
        ``periods.before(t).first.end_time``. pandas' ``rollback`` differs only at an
        opening instant (it returns ``t``).

        Args:
            t: The instant (naive: calendar zone).

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            ConfigError: No closing within ``horizon_days`` before ``t``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {d: [["09:00", "18:00"]] for d in ["thu", "fri", "mon"]})
            >>> cal.rollback(dt.datetime(2025, 1, 4, 12)).isoformat()  # Saturday
            '2025-01-03T18:00:00+00:00'
            >>> cal.rollback(dt.datetime(2025, 1, 6, 9)).isoformat()  # Monday's opening
            '2025-01-03T18:00:00+00:00'
            >>> cal.rollback(dt.datetime(2025, 1, 6, 10)).isoformat()
            '2025-01-06T10:00:00+00:00'
        """
        owner = "BusinessCalendar.rollback()"
        u = self._ns(t, owner, "t")
        found = tl.rollback_ns(self, u, owner, opening=False)
        self._reach(found, u, owner)
        return self._dt(found)

    def previous_open(self, t: dt.datetime) -> dt.datetime:
        """The opening of the period :meth:`rollback` lands in: always earlier than ``t``.

        The mirror of :meth:`next_close`: the period is the last one that opens strictly
        before ``t`` (the one in progress, or the last one that closed). Adjacent
        intervals are one period.

        Args:
            t: The instant (naive: calendar zone).

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            ConfigError: No opening within ``horizon_days`` before ``t``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {d: [["09:00", "18:00"]] for d in ["thu", "fri", "mon"]})
            >>> cal.previous_open(dt.datetime(2025, 1, 6, 10)).isoformat()
            '2025-01-06T09:00:00+00:00'
            >>> cal.previous_open(dt.datetime(2025, 1, 6, 9)).isoformat()  # at an opening
            '2025-01-03T09:00:00+00:00'
        """
        owner = "BusinessCalendar.previous_open()"
        u = self._ns(t, owner, "t")
        found = tl.rollback_ns(self, u, owner, opening=True)
        self._reach(found, u, owner)
        return self._dt(found)

    def periods(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The open periods within ``[start, end)``, in order, clipped to it.

        Each is an ``(open, close)`` pair of aware datetimes; adjacent intervals are one
        period. Their lengths sum to ``elapsed(start, end)``.

        Args:
            start: First instant (naive: calendar zone).
            end: Instant after the last one.

        Returns:
            An iterator over the periods (empty when ``end <= start``).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ["mon", "tue"]})
            >>> [f"{a:%a %H:%M}-{b:%H:%M}" for a, b in cal.periods(dt.datetime(2025, 1, 6, 10), dt.datetime(2025, 1, 7, 12))]
            ['Mon 10:00-12:00', 'Mon 13:00-18:00', 'Tue 09:00-12:00']
        """
        owner = "BusinessCalendar.periods()"
        a = self._ns(start, owner, "start")
        b = self._ns(end, owner, "end")
        found = tl.periods_ns(self, a, b)
        if b > a:
            self._reach(a, b - 1, owner)  # [start, end)
        return ((self._dt(x), self._dt(y)) for x, y in found)

    def periods_after(self, t: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The open periods from ``t`` on, lazily (biz's ``periods.after``).

        The first one starts at ``t`` when ``t`` is open. The iterator ends once a period
        would open more than ``horizon_days`` after ``t`` (a weekly calendar never runs
        out before that).

        Args:
            t: The instant (naive: calendar zone).

        Returns:
            An iterator of ``(open, close)`` pairs.

        Examples:
            >>> import datetime as dt
            >>> import itertools
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "18:00"]]})
            >>> [f"{a:%d %H:%M}-{b:%H:%M}" for a, b in itertools.islice(cal.periods_after(dt.datetime(2025, 1, 6, 10)), 2)]
            ['06 10:00-18:00', '13 09:00-18:00']
        """
        owner = "BusinessCalendar.periods_after()"
        u = self._ns(t, owner, "t")
        self._reach(u, u, owner)
        return self._checked_periods(tl.periods_after_ns(self, u), u, owner, after=True)

    def periods_before(self, t: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The open periods before ``t``, newest first, lazily (biz's ``periods.before``).

        The first one ends at ``t`` when business time runs up to ``t``. The iterator
        ends once a period would close more than ``horizon_days`` before ``t``.

        Args:
            t: The instant (naive: calendar zone).

        Returns:
            An iterator of ``(open, close)`` pairs, each with ``open < close``.

        Examples:
            >>> import datetime as dt
            >>> import itertools
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "18:00"]]})
            >>> [f"{a:%d %H:%M}-{b:%H:%M}" for a, b in itertools.islice(cal.periods_before(dt.datetime(2025, 1, 13, 10)), 2)]
            ['13 09:00-10:00', '06 09:00-18:00']
        """
        owner = "BusinessCalendar.periods_before()"
        u = self._ns(t, owner, "t")
        self._reach(u, u, owner)
        return self._checked_periods(tl.periods_before_ns(self, u), u, owner, after=False)

    def _checked_periods(
        self, found: Iterator[tuple[int, int]], u: int, owner: str, *, after: bool
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The periods as datetimes, each refused once it leaves the holiday years."""
        for x, y in found:
            self._reach(*((u, y) if after else (x, u)), owner)
            yield self._dt(x), self._dt(y)

    def due_at(self, t: dt.datetime, target: dt.timedelta) -> dt.datetime:
        """The deadline to show people: the earliest instant the target is used up.

        Equal to :meth:`add` for a non-negative target. Compliance is judged on business
        time: a reply at ``x`` complies iff ``elapsed(t, x) <= target``, i.e. iff
        ``x <= breach_at(t, target)``; ``due_at <= breach_at``, and they differ only when
        the deadline falls on a closing time (then ``breach_at`` is the next opening).

        Args:
            t: Start of the clock (naive: calendar zone).
            target: The target, a non-negative timedelta.

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            InvalidInputError: A negative target.
            ConfigError: No such instant within ``horizon_days``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {d: [["09:00", "18:00"]] for d in ["thu", "fri"]})
            >>> cal.due_at(dt.datetime(2025, 1, 3, 16), dt.timedelta(hours=2)).isoformat()
            '2025-01-03T18:00:00+00:00'
        """
        owner = "BusinessCalendar.due_at()"
        d = self._target_ns(target, owner)
        start = self._ns(t, owner, "t")
        u = tl.add_ns(self, start, d, owner)
        self._reach(start, u, owner)
        return self._dt(u)

    def breach_at(self, t: dt.datetime, target: dt.timedelta) -> dt.datetime:
        """The latest instant that still complies with ``target`` of business time from ``t``.

        A reply at ``x`` complies iff ``x <= breach_at(t, target)`` (equivalently
        ``elapsed(t, x) <= target``). When the deadline lands on a closing time this is
        the next opening: a reply on Saturday used no business time after Friday 18:00.

        Args:
            t: Start of the clock (naive: calendar zone).
            target: The target, a non-negative timedelta.

        Returns:
            An aware datetime in the calendar zone.

        Raises:
            InvalidInputError: A negative target.
            ConfigError: No such instant within ``horizon_days`` (no opening ahead).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {d: [["09:00", "18:00"]] for d in ["thu", "fri", "mon"]})
            >>> cal.breach_at(dt.datetime(2025, 1, 3, 16), dt.timedelta(hours=2)).isoformat()
            '2025-01-06T09:00:00+00:00'
        """
        owner = "BusinessCalendar.breach_at()"
        d = self._target_ns(target, owner)
        start = self._ns(t, owner, "t")
        u = tl.latest_ns(self, start, d, owner)
        self._reach(start, u, owner)
        return self._dt(u)

    def _target_ns(self, target: object, owner: str) -> int:
        d = self._duration_ns(target, owner)
        if d < 0:
            raise InvalidInputError(
                owner, "target", expected="a non-negative timedelta", found=str(target), kind=""
            )
        return d

    # ----------------------------------------------------------------------------------
    # Business days
    # ----------------------------------------------------------------------------------
    def _day(self, value: object, owner: str, field: str) -> int:
        """Days since 1970-01-01 of a date (a datetime: its date in the calendar zone)."""
        if value is pd.NaT:  # NaT passes isinstance(datetime) but has no date
            raise InvalidInputError(owner, field, expected="a date", found="NaT", kind="")
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(self.zone)
            value = value.date()
        elif isinstance(value, np.datetime64) and not np.isnat(value):
            value = value.astype("datetime64[D]").astype(dt.date)
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(value.strip())
        if not isinstance(value, dt.date):
            raise InvalidInputError(
                owner,
                field,
                expected="a date (datetime.date or 'YYYY-MM-DD')",
                found=f"{type(value).__name__} {value!r}",
                kind="",
            )
        return value.toordinal() - tl.EPOCH_ORDINAL

    @staticmethod
    def _check_roll(roll: object, owner: str) -> str:
        check_choice(roll, ("forward", "backward"), owner, "roll", error=InvalidInputError, kind="")
        return str(roll)

    def is_business_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a business day: it owns at least one interval.

        Weekly hours make a weekday a business day; a holiday closes it; a date override
        decides on its own (precedence: override > holiday > weekly hours). Equal to
        ``numpy.is_busday(day, weekmask, holidays)`` for the same week and holidays.

        Args:
            day: A date (a datetime means its date in the calendar zone).

        Returns:
            True on business days.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]]}, holidays=["2025-01-13"])
            >>> cal.is_business_day(dt.date(2025, 1, 6)), cal.is_business_day(dt.date(2025, 1, 13))
            (True, False)
        """
        k = self._day(day, "BusinessCalendar.is_business_day()", "day")
        self._reach_days(k, k, "BusinessCalendar.is_business_day()")
        table = tl.ensure_days(self, k, k)
        return bool(table.mask[k - table.first])

    def add_days(self, day: dt.date, n: int, *, roll: str = "forward") -> dt.date:
        """The business day ``n`` business days after ``day`` (before it when ``n < 0``).

        ``day`` is first rolled to a business day (``roll="forward"``: the next one, as
        ``numpy.busday_offset(day, n, roll="forward")`` does; ``"backward"``: the previous
        one), then moved by ``n`` business days. pandas' ``day + CustomBusinessDay(n)`` is
        this with ``roll="backward"`` for ``n > 0`` (and ``"forward"`` otherwise); on a
        business day all of them agree.

        Args:
            day: The start date (a datetime means its date in the calendar zone, the wall
                date, as numpy's ``busday_offset`` reads it: 02:00 inside Friday's
                22:00-06:00 shift is Saturday here, while a business-day SLA goal,
                :class:`~crmkit.service.BusinessDays`, starts on Friday, which owns it).
            n: Business days to move; ``0`` only rolls.
            roll: ``"forward"`` (default) or ``"backward"``.

        Returns:
            A business day.

        Raises:
            ConfigError: No such business day within ``horizon_days``.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
            >>> cal = BusinessCalendar("UTC", week, holidays=["2025-01-07"])
            >>> cal.add_days(dt.date(2025, 1, 6), 2)  # Tuesday is a holiday
            datetime.date(2025, 1, 9)
            >>> cal.add_days(dt.date(2025, 1, 4), 0), cal.add_days(dt.date(2025, 1, 4), 1)
            (datetime.date(2025, 1, 6), datetime.date(2025, 1, 8))
        """
        owner = "BusinessCalendar.add_days()"
        k = self._day(day, owner, "day")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise InvalidInputError(
                owner, "n", expected="an int", found=f"{type(n).__name__} {n!r}", kind=""
            )
        result = tl.offset_day(self, k, int(n), self._check_roll(roll, owner), owner)
        self._reach_days(min(k, result), max(k, result), owner)
        return dt.date.fromordinal(result + tl.EPOCH_ORDINAL)

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days in ``[start, end)``; when ``end < start``, minus those in ``(end, start]``.

        Equal to ``numpy.busday_count(start, end, weekmask, holidays)``, whose reversed
        count excludes ``end`` and includes ``start`` (so ``business_days_between(b, a)`` is
        ``-business_days_between(a, b)`` whenever ``a`` and ``b`` are both business days
        or both not).

        Args:
            start: First date (counted when a business day).
            end: Date after the last one counted.

        Returns:
            The signed count.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.service import BusinessCalendar
            >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
            >>> cal = BusinessCalendar("UTC", week)
            >>> cal.business_days_between(dt.date(2025, 1, 6), dt.date(2025, 1, 13))
            5
            >>> cal.business_days_between(dt.date(2025, 1, 13), dt.date(2025, 1, 6))
            -5
        """
        owner = "BusinessCalendar.business_days_between()"
        a = self._day(start, owner, "start")
        b = self._day(end, owner, "end")
        table = tl.ensure_days(self, min(a, b), max(a, b) + 1)
        back = 1 if b < a else 0  # numpy's convention for reversed dates
        self._reach_days(min(a, b) + back, max(min(a, b) + back, max(a, b) + back - 1), owner)
        return table.rank_list[b + back - table.first] - table.rank_list[a + back - table.first]

    def add_days_many(
        self,
        days: Any,
        n: Any,
        *,
        roll: str = "forward",
        date_format: str | None = None,
        date_unit: str | None = None,
    ) -> Any:
        """Vectorised :meth:`add_days` (``numpy.busday_offset``), one numpy pass for all rows.

        ``days`` is a numpy ``datetime64`` array (returns ``datetime64[D]``), a pandas
        Series or DatetimeIndex (returns the same kind, ``datetime64[s]``, same index and
        name; tz-aware values are read as their date in the calendar zone), or a list of
        dates. ``n`` is one int or one per row. ``NaT`` gives ``NaT``. Text, Arrow and
        numbers are read as everywhere in crmkit: ISO 8601 text as is, other text only
        with ``date_format``, epoch numbers (UTC) only with ``date_unit``.

        Args:
            days: Start dates.
            n: Business days to move, one for all or per row.
            roll: ``"forward"`` (default) or ``"backward"``.
            date_format: The ``strftime`` format of text dates that are not ISO 8601
                (e.g. ``"%d/%m/%Y"``, or ``"%Y%m%d"`` for numbers such as 20250131).
            date_unit: The unit of epoch-number dates (``"s"``, ``"ms"``, ``"us"``,
                ``"ns"`` since 1970-01-01 UTC; the date is then read in the calendar zone).

        Returns:
            The business days, typed as described.

        Raises:
            InvalidInputError: Not dates, ``n`` not integers, or lengths / indexes differ.
            ConfigError: Some result lies beyond ``horizon_days`` (rows named).

        Examples:
            >>> import numpy as np
            >>> from crmkit.service import BusinessCalendar
            >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
            >>> cal = BusinessCalendar("UTC", week, holidays=["2025-01-07"])
            >>> d = np.array(["2025-01-04", "2025-01-06"], dtype="datetime64[D]")
            >>> cal.add_days_many(d, 2)
            array(['2025-01-09', '2025-01-09'], dtype='datetime64[D]')
        """
        owner = "BusinessCalendar.add_days_many()"
        k, kind, index, name = self._days_of(days, owner, "days", date_format, date_unit)
        steps = self._steps(n, len(k), index, owner)
        labels = self._labeler(kind, index)
        out = tl.offset_days_many(self, k, steps, self._check_roll(roll, owner), owner, labels)
        self._reach_many(np.minimum(k, out), np.maximum(k, out), owner, labels, days=True)
        return self._wrap_days(out, kind, index, name)

    def business_days_between_many(
        self,
        starts: Any,
        ends: Any,
        *,
        date_format: str | None = None,
        date_unit: str | None = None,
    ) -> Any:
        """Vectorised :meth:`business_days_between` (``numpy.busday_count``).

        Inputs as in :meth:`add_days_many`; two Series must share their index. Returns
        ``int64`` (numpy) or a nullable ``Int64`` Series (pandas; ``<NA>`` where either
        date is missing).

        Args:
            starts: First dates.
            ends: Dates after the last counted, same length.
            date_format: As in :meth:`add_days_many`.
            date_unit: As in :meth:`add_days_many`.

        Returns:
            Signed counts per row.

        Examples:
            >>> import numpy as np
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {d: [["09:00", "18:00"]] for d in ["mon", "fri"]})
            >>> a = np.array(["2025-01-06", "2025-01-20"], dtype="datetime64[D]")
            >>> b = np.array(["2025-01-20", "2025-01-06"], dtype="datetime64[D]")
            >>> cal.business_days_between_many(a, b)
            array([ 4, -4])
        """
        owner = "BusinessCalendar.business_days_between_many()"
        a, _, index_a, _ = self._days_of(starts, owner, "starts", date_format, date_unit)
        b, _, index_b, _ = self._days_of(ends, owner, "ends", date_format, date_unit)
        index = self._paired_index(len(a), len(b), index_a, index_b, owner)
        out = tl.count_days_many(self, a, b)
        back = (b < a).astype(np.int64)  # numpy's convention for reversed dates
        lo = np.minimum(a, b) + back
        hi = np.maximum(lo, np.maximum(a, b) + back - 1)
        missing = (a == tl.NAT) | (b == tl.NAT)
        self._reach_many(
            np.where(missing, tl.NAT, lo), hi, owner, self._labeler("series", index), days=True
        )
        if index is None:
            return out
        series = pd.Series(out, index=index, name="business_days", dtype="Int64")
        series[out == tl.NAT] = pd.NA
        return series

    def is_business_day_many(
        self, days: Any, *, date_format: str | None = None, date_unit: str | None = None
    ) -> Any:
        """Vectorised :meth:`is_business_day` (``numpy.is_busday``); ``NaT`` gives False.

        Args:
            days: Dates, read as in :meth:`add_days_many`.
            date_format: As in :meth:`add_days_many`.
            date_unit: As in :meth:`add_days_many`.

        Returns:
            A bool array, or a bool Series with the input's index.

        Examples:
            >>> import numpy as np
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("UTC", {"mon": [["09:00", "18:00"]]})
            >>> cal.is_business_day_many(np.array(["2025-01-06", "2025-01-07"], dtype="datetime64[D]"))
            array([ True, False])
        """
        owner = "BusinessCalendar.is_business_day_many()"
        k, kind, index, name = self._days_of(days, owner, "days", date_format, date_unit)
        self._reach_many(k, k, owner, self._labeler(kind, index), days=True)
        out = tl.is_business_day_many(self, k)
        if kind == "numpy":
            return out
        return pd.Series(out, index=index, name=name)

    def _days_of(
        self,
        values: Any,
        owner: str,
        field: str,
        date_format: str | None = None,
        date_unit: str | None = None,
    ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], str, pd.Index | None, Any]:
        """Day numbers (``datetime64[D]`` as int64), the input kind, its index and name.

        numpy ``datetime64`` values (any unit, years 1-9999) are floored to their day;
        everything else (text, Arrow, objects, epoch numbers) is read by the one date
        reader, ``datetime_column``: aware values give their date in the calendar zone.
        """
        kind, index, name = "numpy", None, None
        if isinstance(values, (pd.Series, pd.Index)):
            kind = "index" if isinstance(values, pd.Index) else "series"
            index = values.index if isinstance(values, pd.Series) else None
            name = values.name
            dtype = values.dtype
            if isinstance(dtype, pd.DatetimeTZDtype):
                values = pd.DatetimeIndex(values).tz_convert(self.zone).tz_localize(None)
                return self._floor_days(values.to_numpy()), kind, index, name
            if isinstance(dtype, np.dtype) and dtype.kind == "M":
                return self._floor_days(np.asarray(values)), kind, index, name
            series = values if isinstance(values, pd.Series) else pd.Series(values.array)
        elif isinstance(values, np.ndarray) and values.dtype.kind == "M":
            return self._floor_days(values), kind, index, name
        elif isinstance(values, (str, bytes, dt.date)) or not hasattr(values, "__len__"):
            raise InvalidInputError(
                owner,
                field,
                expected="an array, Series or list of dates",
                found=type(values).__name__,
                kind="",
                hint="Use the scalar method for one date.",
            )
        else:
            series = pd.Series(values if isinstance(values, np.ndarray) else list(values))
        wall, _ = self._read_ns(
            series,
            owner,
            field,
            utc=False,
            date_format=date_format,
            date_unit=date_unit,
            local=True,
        )
        days = np.where(wall == tl.NAT, tl.NAT, np.floor_divide(wall, tl.DAY_NS))
        return days.astype(np.int64), kind, index, name

    @staticmethod
    def _floor_days(values: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
        days = values.astype("datetime64[D]")  # floors, NaT stays NaT
        return days.view(np.int64)

    @staticmethod
    def _steps(
        n: Any, size: int, index: pd.Index | None, owner: str
    ) -> np.ndarray[Any, np.dtype[np.int64]]:
        if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
            return np.full(size, int(n), dtype=np.int64)
        if isinstance(n, pd.Series) and index is not None and not n.index.equals(index):
            raise InvalidInputError(
                owner,
                "n",
                expected="a Series with the same index as 'days'",
                found="a different index",
                kind="",
                hint="Align them first, e.g. n.reindex(days.index).",
            )
        array = np.asarray(n)
        if array.dtype.kind not in "iu" or array.ndim != 1:
            raise InvalidInputError(
                owner,
                "n",
                expected="an int, or an array / Series of ints",
                found=f"{type(n).__name__}" + (f" of dtype {array.dtype}" if array.ndim else ""),
                kind="",
            )
        if len(array) != size:
            raise InvalidInputError(
                owner,
                "n",
                expected=f"one int or {size} of them",
                found=f"{len(array)} values",
                kind="",
            )
        return array.astype(np.int64)

    @staticmethod
    def _paired_index(
        n_a: int, n_b: int, index_a: pd.Index | None, index_b: pd.Index | None, owner: str
    ) -> pd.Index | None:
        if n_a != n_b:
            raise InvalidInputError(
                owner,
                "ends",
                expected=f"as long as 'starts' ({n_a} rows)",
                found=f"{n_b} rows",
                kind="",
            )
        if index_a is not None and index_b is not None and not index_a.equals(index_b):
            raise InvalidInputError(
                owner,
                "ends",
                expected="a Series with the same index as 'starts'",
                found="a different index",
                kind="",
                hint="Align them first, e.g. ends.reindex(starts.index).",
            )
        return index_a if index_a is not None else index_b

    def _wrap_days(
        self, out: np.ndarray[Any, np.dtype[np.int64]], kind: str, index: pd.Index | None, name: Any
    ) -> Any:
        days = out.view("datetime64[D]")
        if kind == "numpy":
            return days
        stamps = days.astype("datetime64[s]")
        if kind == "index":
            return pd.DatetimeIndex(stamps, name=name)
        return pd.Series(stamps, index=index, name=name)

    # ----------------------------------------------------------------------------------
    # Bulk arithmetic
    # ----------------------------------------------------------------------------------
    def add_many(
        self,
        times: Any,
        durations: Any,
        *,
        date_format: str | None = None,
        date_unit: str | None = None,
    ) -> Any:
        """Vectorised :meth:`add`: identical results, one numpy pass for all rows.

        Input and output types:

        - a numpy ``datetime64`` array holds **UTC** instants (numpy has no zones; this
          is what ``aware_series.to_numpy()`` gives) and returns ``datetime64[ns]`` UTC;
        - a pandas Series (or DatetimeIndex) returns a Series (DatetimeIndex) with the
          same index and name, **tz-aware in the calendar zone**; tz-aware input in any
          zone is converted, naive input is read in the calendar zone (``fold=0``, as
          for scalars);
        - lists and other sequences are read as a pandas Series;
        - a Dask Series is processed partition by partition (``map_partitions``; the
          calendar pickles with its compiled cache) and returns a lazy Dask Series.

        ``durations`` is one timedelta for every row or an array / Series of the same
        length (``timedelta64``); negative durations subtract. Two Series must share their
        index (as in :meth:`elapsed_many`): rows are never paired by position behind the
        index's back. Nanoseconds are kept.
        ``NaT`` in either input gives ``NaT`` in the output (the only missing values
        the result has). Text and numbers are read as everywhere in crmkit: ISO 8601
        text as is, other text only with ``date_format``, epoch numbers (UTC) only with
        ``date_unit``.

        Args:
            times: Start instants.
            durations: Business time to add, per row or one for all.
            date_format: The ``strftime`` format of non-ISO text times.
            date_unit: The unit of epoch-number times (``"s"``, ``"ms"``, ``"us"``, ``"ns"``).

        Returns:
            The deadlines, typed as described above.

        Raises:
            InvalidInputError: Not datetimes / timedeltas, or lengths differ.
            ConfigError: Some result lies beyond ``horizon_days`` (rows named).

        Examples:
            >>> import datetime as dt
            >>> import pandas as pd
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("Asia/Shanghai", {d: [["09:00", "18:00"]]
            ...     for d in ["mon", "tue", "wed", "thu", "fri"]})
            >>> created = pd.Series(pd.to_datetime(["2025-01-03 16:00", "2025-01-03 19:00"]))
            >>> cal.add_many(created, dt.timedelta(hours=3)).dt.strftime("%a %H:%M").tolist()
            ['Mon 10:00', 'Mon 12:00']
        """
        owner = "BusinessCalendar.add_many()"
        if _is_dask(times):
            meta = pd.Series([], dtype=pd.DatetimeTZDtype("ns", self.timezone), name=times.name)
            if _is_dask(durations):
                import dask.dataframe as dd

                return dd.map_partitions(  # type: ignore[no-untyped-call]
                    self.add_many,
                    times,
                    durations,
                    date_format=date_format,
                    date_unit=date_unit,
                    meta=meta,
                )
            return times.map_partitions(
                self.add_many, durations, date_format=date_format, date_unit=date_unit, meta=meta
            )
        read = {"date_format": date_format, "date_unit": date_unit}
        t, kind, index, name = self._times_ns(times, owner, "times", **read)
        if (
            isinstance(durations, pd.Series)
            and index is not None
            and not durations.index.equals(index)
        ):
            raise InvalidInputError(
                owner,
                "durations",
                expected="a Series with the same index as 'times'",
                found="a different index",
                kind="",
                hint="Align them first, e.g. durations.reindex(times.index); "
                "pass .to_numpy() to pair by position.",
            )
        d = self._durations_ns(durations, len(t), owner)
        labels = self._labeler(kind, index)
        out = tl.add_many_ns(self, t, d, owner, labels)
        self._reach_many(np.minimum(t, out), np.maximum(t, out), owner, labels)
        return self._wrap_times(out, kind, index, name)

    def elapsed_many(
        self,
        starts: Any,
        ends: Any,
        *,
        date_format: str | None = None,
        date_unit: str | None = None,
    ) -> Any:
        """Vectorised :meth:`elapsed`: signed business time per row, identical results.

        ``starts`` and ``ends`` are read as in :meth:`add_many` (numpy arrays: UTC;
        Series: naive in the calendar zone, aware in any zone). The result is a
        ``timedelta64[ns]`` Series when either input is a pandas object (index of the
        first one; two Series must share their index), else a numpy array. ``NaT`` in
        either input gives ``NaT``.

        Args:
            starts: First instants.
            ends: Second instants, same length.
            date_format: As in :meth:`add_many`.
            date_unit: As in :meth:`add_many`.

        Returns:
            Business time per row.

        Raises:
            InvalidInputError: Not datetimes, lengths or indexes differ.

        Examples:
            >>> import numpy as np
            >>> from crmkit.service import BusinessCalendar
            >>> cal = BusinessCalendar("Europe/Berlin", {"mon": [["09:00", "18:00"]]})
            >>> a = np.array(["2025-01-06T08:00", "2025-01-06T12:00"], dtype="datetime64[s]")
            >>> b = np.array(["2025-01-06T10:00", "2025-01-13T08:00"], dtype="datetime64[s]")
            >>> cal.elapsed_many(a, b).astype("timedelta64[m]")
            array([120, 300], dtype='timedelta64[m]')
        """
        owner = "BusinessCalendar.elapsed_many()"
        if _is_dask(starts) or _is_dask(ends):
            import dask.dataframe as dd

            meta = pd.Series([], dtype="timedelta64[ns]", name="elapsed")
            return dd.map_partitions(  # type: ignore[no-untyped-call]
                self.elapsed_many,
                starts,
                ends,
                date_format=date_format,
                date_unit=date_unit,
                meta=meta,
            )
        read = {"date_format": date_format, "date_unit": date_unit}
        a, _, index_a, _ = self._times_ns(starts, owner, "starts", **read)
        b, _, index_b, _ = self._times_ns(ends, owner, "ends", **read)
        index = self._paired_index(len(a), len(b), index_a, index_b, owner)
        found = tl.elapsed_many_ns(self, a, b)
        if self.country_years:  # [a, b) is counted
            lo = np.where(found == tl.NAT, tl.NAT, np.minimum(a, b))
            hi = np.maximum(lo, np.maximum(a, b) - 1)
            self._reach_many(lo, hi, owner, self._labeler("series", index))
        out = found.view("timedelta64[ns]")
        if index is None:
            return out
        return pd.Series(out, index=index, name="elapsed")

    def _labeler(self, kind: str, index: pd.Index | None) -> Any:
        def labels(mask: np.ndarray[Any, np.dtype[np.bool_]]) -> list[Any]:
            if index is not None:
                return first_labels(index, mask)
            return [int(i) for i in np.flatnonzero(mask)[:5]]

        return labels

    def _times_ns(
        self,
        values: Any,
        owner: str,
        field: str,
        *,
        date_format: str | None = None,
        date_unit: str | None = None,
    ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], str, pd.Index | None, Any]:
        """UTC int64 nanoseconds (``NAT`` where missing), the input kind, its index and name.

        Every input goes through the one date reader (:func:`crmkit._validate.datetime_column`):
        units other than nanoseconds, Arrow timestamps, text and epoch numbers are read
        the same way everywhere, and instants outside 1678-2261 are refused by row.
        """
        if isinstance(values, np.ndarray):
            utc = values.dtype.kind == "M"  # numpy datetime64 holds UTC instants
            ns, _ = self._read_ns(
                pd.Series(values),
                owner,
                field,
                utc=utc,
                date_format=date_format,
                date_unit=date_unit,
            )
            return ns, "numpy", None, None
        if not isinstance(values, (pd.Series, pd.Index)):
            if isinstance(values, (str, bytes, dt.datetime)) or not hasattr(values, "__len__"):
                raise InvalidInputError(
                    owner,
                    field,
                    expected="an array, Series or list of datetimes",
                    found=type(values).__name__,
                    kind="",
                    hint="Use the scalar method for one instant.",
                )
            values = pd.Series(list(values))
        kind = "index" if isinstance(values, pd.Index) else "series"
        series = values if isinstance(values, pd.Series) else pd.Series(values.array, index=values)
        ns, _ = self._read_ns(
            series, owner, field, utc=False, date_format=date_format, date_unit=date_unit
        )
        return ns, kind, (None if kind == "index" else series.index), values.name

    def _read_ns(
        self,
        series: pd.Series,
        owner: str,
        field: str,
        *,
        utc: bool,
        date_format: str | None,
        date_unit: str | None,
        local: bool = False,
    ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], bool]:
        """``series`` read by ``datetime_column`` (missing values kept as ``NAT``).

        Returns UTC nanoseconds (naive values read in the calendar zone, or in UTC when
        ``utc``), or with ``local`` the calendar zone's wall-clock nanoseconds; and
        whether any value was missing.
        """
        from crmkit._validate import EPOCH_UNITS, datetime_column

        missing = np.asarray(series.isna(), dtype=bool)
        frame = pd.DataFrame({field: series.array}, index=series.index)
        some_missing = bool(missing.any())
        if some_missing:
            frame = frame.iloc[np.flatnonzero(~missing)]
        # Epoch numbers are UTC instants; other naive values are wall-clock times.
        zone = "UTC" if utc or date_unit in EPOCH_UNITS else None
        read = datetime_column(
            frame, field, owner, tz=zone, date_format=date_format, date_unit=date_unit
        )
        stamps = pd.DatetimeIndex(read)
        if local:
            if stamps.tz is not None:
                stamps = stamps.tz_convert(self.zone).tz_localize(None)
            got = stamps.as_unit("ns").asi8
        else:
            got = stamps.as_unit("ns").asi8
            if stamps.tz is None:
                got = tl.localize_many_ns(self, got)
        if not some_missing:
            return np.asarray(got, dtype=np.int64), False
        ns = np.full(len(series), tl.NAT, dtype=np.int64)
        ns[~missing] = got
        return ns, True

    def _durations_ns(
        self, durations: Any, n: int, owner: str
    ) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Int64 nanoseconds, one per row; integers are refused (no implicit unit)."""
        if isinstance(durations, (dt.timedelta, np.timedelta64)):
            ns = self._timedelta_ns([durations], owner)
            return np.full(n, ns[0], dtype=np.int64)
        values: Any
        if isinstance(durations, (np.ndarray, pd.Series, pd.Index)):
            ok = durations.dtype.kind == "m"
            values = durations
        elif isinstance(durations, (list, tuple)):
            values = list(durations)
            ok = all(
                v is None or v is pd.NaT or isinstance(v, (dt.timedelta, np.timedelta64))
                for v in values
            )
        else:
            ok, values = False, durations
        if not ok:
            raise InvalidInputError(
                owner,
                "durations",
                expected="a timedelta, or an array / Series / list of timedeltas",
                found=f"{type(durations).__name__}"
                + (f" of dtype {durations.dtype}" if hasattr(durations, "dtype") else ""),
                kind="",
                hint="Say which unit you mean, e.g. pd.to_timedelta(minutes, unit='min').",
            )
        ns = self._timedelta_ns(values, owner)
        if len(ns) != n:
            raise InvalidInputError(
                owner,
                "durations",
                expected=f"one timedelta or {n} of them",
                found=f"{len(ns)} values",
                kind="",
            )
        return ns

    @staticmethod
    def _timedelta_ns(values: Any, owner: str) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Int64 nanoseconds of timedeltas; spans beyond int64 (about 292 years) refused."""
        try:
            return np.asarray(pd.TimedeltaIndex(values).as_unit("ns").asi8, dtype=np.int64)
        except (OverflowError, pd.errors.OutOfBoundsTimedelta):
            raise InvalidInputError(
                owner,
                "durations",
                expected="timedeltas within about 292 years (int64 nanoseconds)",
                found="a longer one",
                kind="",
            ) from None

    def _wrap_times(
        self, out: np.ndarray[Any, np.dtype[np.int64]], kind: str, index: pd.Index | None, name: Any
    ) -> Any:
        if kind == "numpy":
            return out.view("datetime64[ns]")
        stamps = (
            pd.DatetimeIndex(out.view("datetime64[ns]")).tz_localize("UTC").tz_convert(self.zone)
        )
        if kind == "index":
            return stamps.rename(name)
        return pd.Series(stamps, index=index, name=name)

    def __repr__(self) -> str:
        days = ", ".join(
            f"{day}={'+'.join(_format_clock(s) + '-' + _format_clock(e) for s, e in hours)}"
            for day, hours in zip(WEEKDAYS, self.weekly, strict=True)
            if hours
        )
        extra = "".join(
            f", {n} {what}"
            for n, what in (
                (len(self.holidays), "holidays"),
                (len(self.overrides), "overrides"),
                (len(self.holiday_rules), "holiday rules"),
            )
            if n
        )
        extra += "".join(
            f", {key} {_show_years(years[0], years[-1])}" for key, years in self.country_years
        )
        return f"BusinessCalendar({self.timezone!r}, {days or 'never open'}{extra})"


def _is_dask(value: object) -> bool:
    """A Dask collection, recognised without importing dask."""
    return type(value).__module__.startswith("dask") and hasattr(value, "map_partitions")


def _dump(hours: tuple[Interval, ...]) -> list[list[str]]:
    return [[_format_clock(start), _format_clock(end)] for start, end in hours]


def _holidays_module() -> Any:
    try:
        import holidays
    except ImportError:  # pragma: no cover - the dev environment has it
        raise ConfigError(
            "country_holidays()",
            "holidays",
            expected="installed",
            found="no module 'holidays'",
            kind="package",
            hint="Install the extra: pip install 'crmkit[holidays]'.",
        ) from None
    return holidays


def _country(
    country: str, years: list[int], subdiv: str | None, owner: str = "country_holidays()"
) -> Any:
    module = _holidays_module()
    try:
        return module.country_holidays(country, years=years, subdiv=subdiv)
    except NotImplementedError as exc:
        raise ConfigError(
            owner,
            "country",
            expected="a country (and subdivision) known to the holidays package",
            found=f"{country!r}" + (f" / {subdiv!r}" if subdiv else "") + f" ({exc})",
        ) from None


def country_holidays(
    country: str,
    years: int | Iterable[int],
    *,
    subdiv: str | None = None,
    unannounced: str = "raise",
) -> tuple[dt.date, ...]:
    """Public holidays of a country from the ``holidays`` package (the ``holidays`` extra).

    ``holidays`` is imported only when this is called.

    China's days off are not fixed dates: each year the State Council General Office
    publishes the next year's arrangement (国务院办公厅关于部分节假日安排的通知, usually in
    October or November), which joins the statutory holidays with bridge days and moves
    working days to weekends (调休). ``holidays`` has a year's arrangement only from the
    release that added that notice; for other years it gives the statutory dates alone,
    which misplace deadlines around Spring Festival and National Day. So a year whose
    arrangement the installed ``holidays`` does not have is refused unless
    ``unannounced="statutory"`` asks for the statutory dates alone. A notice's blocks are
    whole runs of days ("1 to 8 October, 8 days"): the Saturdays and Sundays inside or next
    to a block that are not make-up working days are days off too (``holidays`` lists
    only the weekdays), so a desk open at weekends is closed through the block. A block
    may cross New Year (the 2024 notice's 30 December 2023 to 1 January 2024): a year's
    days off include its days of such a block, read from the neighbouring year's notice.

    Args:
        country: ISO 3166 code, e.g. ``"CN"``, ``"DE"``, ``"US"``.
        years: One year or several.
        subdiv: Subdivision code (state, province), if the country has them.
        unannounced: For a country with yearly arrangements (``"CN"``), what a year
            without one in the installed ``holidays`` gets: ``"raise"`` (default) refuses
            it, naming the years; ``"statutory"`` takes the statutory holidays alone.

    Returns:
        The sorted holiday dates.

    Raises:
        ConfigError: ``holidays`` is not installed, the country is unknown, a year's
            official arrangement is missing (``unannounced="raise"``), or an argument
            is not what is described above (named: ``country``, ``years[1]``, ``subdiv``).

    Examples:
        >>> from crmkit.service import country_holidays
        >>> [d.isoformat() for d in country_holidays("CN", 2025) if d.month == 10][:3]
        ['2025-10-01', '2025-10-02', '2025-10-03']
        >>> country_holidays("CN", 1999)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: country_holidays(): parameter 'years' must be years whose official holiday arrangement (State Council notice) the installed holidays package has, 2001-...; found [1999]. ...
        >>> [d.isoformat() for d in country_holidays("CN", 1999, unannounced="statutory")][:2]
        ['1999-01-01', '1999-02-16']
    """
    owner = "country_holidays()"
    year_list = _country_args(country, years, subdiv, owner)
    _check_announced(country, year_list, subdiv, unannounced, owner)
    return _days_off(country, year_list, subdiv, owner)


def _days_off(
    country: str, years: list[int], subdiv: str | None, owner: str
) -> tuple[dt.date, ...]:
    """The country's days off in ``years``, sorted.

    Where days off are set by a yearly notice (China), a block of days off runs through
    the Saturdays and Sundays inside it or next to it that are not make-up working days:
    the notices count them ("1 to 8 October, 8 days"), while ``holidays`` lists only the
    statutory and moved days. A calendar open at weekends is closed on them too.
    """
    dates = set(_country(country, years, subdiv, owner))
    if country.upper() not in _YEARLY_ARRANGEMENTS:
        return tuple(sorted(dates))
    span = announced_years(country, subdiv=subdiv)
    wanted = set(years)
    # A block can cross New Year: the 2024 notice's "30 December to 1 January" puts two
    # days of 2023 off. So the neighbouring years' holidays are read too (announced ones
    # only: a block is extended from a notice's dates alone) and the result is cut back.
    near = {y + k for y in years for k in (-1, 1)} - wanted
    if span is not None:
        near = {y for y in near if span[0] <= y <= span[1]}
    if near:
        dates |= set(_country(country, sorted(near), subdiv, owner))
    workdays = set(_weekend_workdays(country, sorted(wanted | near), subdiv))
    blocks = set(dates)
    for day in dates:
        if span is None or not span[0] <= day.year <= span[1]:
            continue  # a year without its notice: the statutory dates alone
        for step in (dt.timedelta(days=1), dt.timedelta(days=-1)):
            other = day + step
            while other.weekday() >= 5 and other not in workdays and other not in dates:
                blocks.add(other)
                other += step
    return tuple(sorted(d for d in blocks if d.year in wanted))


#: Countries whose days off are set each year by an official notice that also moves
#: working days to weekends: ISO codes -> the notice. ``holidays`` keeps such a year's
#: changes in ``special_public_holidays`` (keyed by year) once it has the notice.
_YEARLY_ARRANGEMENTS = {
    "CN": "State Council notice",
    "CHN": "State Council notice",
}


def announced_years(country: str, *, subdiv: str | None = None) -> tuple[int, int] | None:
    """The years whose official holiday arrangement the installed ``holidays`` has.

    For a country whose days off are set by a yearly notice (``"CN"``: see
    :func:`country_holidays`), the first and last year of the notices the installed
    ``holidays`` release carries; :func:`country_holidays` and
    :meth:`BusinessCalendar.with_country_holidays` refuse years outside them unless asked
    for the statutory dates alone. ``None`` for a country without yearly notices (its
    holidays follow fixed rules, and every year is served).

    An app can call it ahead of the new year to tell its administrators that next year's
    calendar still needs the notice.

    Args:
        country: ISO 3166 code.
        subdiv: Subdivision code, if any.

    Returns:
        ``(first, last)``, or ``None``.

    Raises:
        ConfigError: ``holidays`` is not installed, or the country is unknown.

    Examples:
        >>> from crmkit.service import announced_years
        >>> first, last = announced_years("CN")
        >>> first, last >= 2026
        (2001, True)
        >>> announced_years("DE") is None
        True
    """
    owner = "announced_years()"
    _country_args(country, 2000, subdiv, owner)
    found = _country(country, [], subdiv, owner)  # an unknown country is refused
    if country.strip().upper() not in _YEARLY_ARRANGEMENTS:
        return None
    special = getattr(found, "special_public_holidays", None) or {}
    years = [year for year in special if isinstance(year, int)]
    return (min(years), max(years)) if years else None


def _check_announced(
    country: str, years: list[int], subdiv: str | None, unannounced: str, owner: str
) -> None:
    """Refuse years without their official arrangement (countries that publish one)."""
    check_choice(unannounced, ("raise", "statutory"), owner, "unannounced")
    notice = _YEARLY_ARRANGEMENTS.get(country.strip().upper())
    if notice is None or unannounced == "statutory":
        return
    span = announced_years(country, subdiv=subdiv)
    missing = sorted({y for y in years if span is None or not span[0] <= y <= span[1]})
    if not missing:
        return
    version = getattr(_holidays_module(), "__version__", "?")
    have = "none" if span is None else f"{span[0]}-{span[1]}"
    raise ConfigError(
        owner,
        "years",
        expected=f"years whose official holiday arrangement ({notice}) the installed "
        f"holidays package has, {have}",
        found=f"{missing}",
        hint=f"holidays {version} gives only the statutory dates for {missing}: no bridge "
        "days and no make-up working days (调休). Upgrade holidays once a release has the "
        "year's notice, state the dates with with_holidays() and with_overrides(), or "
        "pass unannounced='statutory' to take the statutory dates alone.",
    )


def _country_args(country: object, years: object, subdiv: object, owner: str) -> list[int]:
    """Check ``country``, ``years``, ``subdiv``; return the years as a list (walkfix)."""
    if not isinstance(country, str) or not country.strip():
        raise ConfigError(
            owner, "country", expected="an ISO 3166 code such as 'CN'", found=repr(country)
        )
    if subdiv is not None and (not isinstance(subdiv, str) or not subdiv.strip()):
        raise ConfigError(
            owner, "subdiv", expected="a subdivision code (str) or None", found=repr(subdiv)
        )
    if isinstance(years, (str, bytes, Mapping)) or not (isinstance(years, (int, Iterable))):
        raise ConfigError(owner, "years", expected="a year or a list of years", found=repr(years))
    year_list = [years] if isinstance(years, int) else list(years)
    if not year_list:
        raise ConfigError(owner, "years", expected="at least one year", found="none")
    for k, year in enumerate(year_list):
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            field = "years" if isinstance(years, int) else f"years[{k}]"
            raise ConfigError(owner, field, expected="a year (int) in 1-9999", found=repr(year))
    return year_list


def _weekend_workdays(country: str, years: list[int], subdiv: str | None) -> list[dt.date]:
    found = getattr(_country(country, years, subdiv), "weekend_workdays", ()) or ()
    wanted = set(years)
    return sorted(d for d in found if d.year in wanted)
