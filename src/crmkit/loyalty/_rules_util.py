"""Small helpers shared by the earning rules, tiers and privileges (no public names).

Rounding modes and largest-remainder splits are :mod:`crmkit._rounding`'s.

Money is :class:`~decimal.Decimal`, points are ``int``; exact (unrounded) points are
Decimals computed in :data:`EXACT`, a context that raises rather than round, and shares are
split with integer arithmetic. Nothing here ever builds a float.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd

from crmkit._rounding import round_integral
from crmkit._spec import Custom
from crmkit._spec import to_decimal as _spec_to_decimal
from crmkit._validate import as_aware, cutoff_value, resolve_timezone
from crmkit.errors import ConfigError, InvalidInputError

_T = TypeVar("_T")

#: Calendar periods used by caps and quotas.
PERIODS = ("day", "week", "month", "quarter", "year")
#: The member's own year (会员年度): from the local date of their enrolment to the day before
#: its next anniversary, then the next one (periods of caps and use limits, beside PERIODS).
MEMBERSHIP_YEAR = "membership_year"
#: Periods of caps (``PeriodCap.freq``) and use limits (``EarningRule.uses_freq``).
CAP_PERIODS = (*PERIODS, MEMBERSHIP_YEAR)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert ints and decimal strings to Decimal; leave anything else for the validator.

    Float is deliberately left unconverted, so that the validator rejects it by name. Text
    is read by :func:`crmkit._spec.to_decimal`, the one reader of decimal text.
    """
    converted: Decimal = _spec_to_decimal(value)
    return converted


def unchecked(cls: type[_T], /, **values: Any) -> _T:
    """An instance of the frozen attrs class ``cls`` from values already checked (internal).

    No converter and no validator runs: ``values`` must be every field, each already of its
    converted type and valid (the fold builds, from events it has validated once, the
    orders and member contexts the earning rules read).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Pair:
        ...     a: int = attrs.field(converter=int)
        ...     b: int = 0
        >>> unchecked(Pair, a=1, b=2)
        Pair(a=1, b=2)
    """
    obj = object.__new__(cls)
    setattr_ = object.__setattr__
    for name, value in values.items():
        setattr_(obj, name, value)
    return obj


def to_optional_decimal(value: Decimal | int | str | None) -> Decimal | None:
    """Like :func:`to_decimal`, passing None through."""
    return None if value is None else to_decimal(value)


def to_date(value: dt.date | str | None) -> dt.date | None:
    """Convert ISO date strings to dates; leave anything else for the validator."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # type: ignore[return-value]  # rejected by check_date
    return value


def to_str_tuple(value: Iterable[str] | str) -> tuple[str, ...]:
    """Turn a list (or one string) of labels into a sorted tuple without repeats."""
    if isinstance(value, str):
        return (value,)
    return tuple(sorted(set(value)))


def check_decimal(
    owner: str,
    field: str,
    value: object,
    *,
    minimum: Decimal | None = Decimal(0),
    positive: bool = False,
    optional: bool = False,
) -> None:
    """Raise ConfigError unless ``value`` is a finite Decimal within bounds."""
    if value is None and optional:
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ConfigError(
            owner,
            field,
            expected="a finite Decimal, int or decimal string (never a float)",
            found=f"{type(value).__name__} {value!r}",
        )
    if positive and value <= 0:
        raise ConfigError(owner, field, expected="greater than 0", found=str(value))
    if minimum is not None and value < minimum:
        raise ConfigError(owner, field, expected=f"at least {minimum}", found=str(value))


def check_int(
    owner: str, field: str, value: object, *, minimum: int | None = 0, optional: bool = False
) -> None:
    """Raise ConfigError unless ``value`` is an int (not bool) of at least ``minimum``."""
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(
            owner, field, expected="an int", found=f"{type(value).__name__} {value!r}"
        )
    if minimum is not None and value < minimum:
        raise ConfigError(owner, field, expected=f"at least {minimum}", found=str(value))


def check_choice(owner: str, field: str, value: object, choices: Sequence[str]) -> None:
    """Raise ConfigError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ConfigError(owner, field, expected=f"one of {list(choices)}", found=repr(value))


def check_name(owner: str, field: str, value: object) -> None:
    """Raise ConfigError unless ``value`` is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(owner, field, expected="a non-empty string", found=repr(value))


def check_date(owner: str, field: str, value: object) -> None:
    """Raise ConfigError unless ``value`` is a date (not a datetime) or None."""
    if value is None:
        return
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ConfigError(owner, field, expected="a date or an ISO date string", found=repr(value))


def check_labels(owner: str, field: str, value: object) -> None:
    """Raise ConfigError unless ``value`` is a tuple of non-empty strings."""
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(owner, field, expected="a list of non-empty strings", found=repr(value))


def dec_str(value: Decimal | None) -> str | None:
    """Serialise a Decimal exactly (``str`` keeps every digit and the exponent)."""
    return None if value is None else str(value)


def date_str(value: dt.date | None) -> str | None:
    """Serialise a date as ISO text."""
    return None if value is None else value.isoformat()


#: Exact arithmetic for points: any result that would need rounding raises instead.
EXACT = decimal.Context(
    prec=60,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def round_points(value: Decimal, mode: str) -> int:
    """Round exact points to a whole number by ``mode`` (:func:`crmkit._rounding.round_integral`).

    >>> round_points(Decimal("2.5"), "floor"), round_points(Decimal("2.5"), "half_up")
    (2, 3)
    >>> round_points(Decimal("2.5"), "half_even"), round_points(Decimal("0.01"), "ceiling")
    (2, 1)
    """
    return round_integral(value, mode)


def local_time(value: object, tz: dt.tzinfo, owner: str, field: str) -> dt.datetime:
    """Read ``value`` as an instant in ``tz`` (naive values are local to ``tz``)."""
    return as_aware(value, tz, owner, field)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: The instants loyalty computes with (a replay's events, every ``as_of``): tier windows,
#: validity ends and expiry dates computed from them (years or months ahead, a rolling
#: window back) stay inside Python's calendar. The same years as ``Program.replay``'s.
EARLIEST = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def check_range(
    when: dt.datetime,
    owner: str,
    field: str,
    *,
    error: type[InvalidInputError] | type[ConfigError] = InvalidInputError,
) -> None:
    """Refuse an instant outside :data:`EARLIEST` to :data:`LATEST` (exclusive).

    An event's time there is bad data; an ``as_of`` there a bad parameter (``ConfigError``).

    >>> check_range(dt.datetime(2025, 6, 30, tzinfo=dt.UTC), "f()", "as_of")
    >>> check_range(dt.datetime(9999, 1, 1, tzinfo=dt.UTC), "f()", "as_of", error=ConfigError)
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: f(): parameter 'as_of' must be instants from year 1000 up to (not including) year 9000; found 9999-01-01T00:00:00+00:00. Tier windows, validity and expiry dates are computed years ahead of events.
    """
    # Years well inside are in whatever the offset (a few microseconds saved per call: an
    # aware comparison across zones asks both zones for their offsets).
    if not EARLIEST.year < when.year < LATEST.year - 1 and not EARLIEST <= when < LATEST:
        raise _out_of_range(owner, field, when.isoformat(), error)


def _out_of_range(
    owner: str, field: str, found: str, error: type[InvalidInputError] | type[ConfigError]
) -> InvalidInputError | ConfigError:
    """The error of :func:`check_range` for an instant shown as ``found``."""
    return error(
        owner,
        field,
        expected="instants from year 1000 up to (not including) year 9000",
        found=found,
        kind="parameter" if error is ConfigError else "",
        hint="Tier windows, validity and expiry dates are computed years ahead of events.",
    )


def as_of_time(value: object, tz: dt.tzinfo, owner: str, field: str = "as_of") -> dt.datetime:
    """Read an ``as_of`` in ``tz``, as every crmkit function reads one.

    A datetime is an instant (naive: local to ``tz``), taken exactly, in the years loyalty
    computes with (:data:`EARLIEST` up to :data:`LATEST`, those of a replay; outside them:
    a :class:`~crmkit.errors.ConfigError`, the same as ``Program.replay``'s); a date, or an
    ISO 8601 date string (``"2025-06-30"``), means the end of that day in ``tz`` (its last
    microsecond, so everything on the day is in and nothing due at the next midnight has
    happened yet); other ISO 8601 text is an instant. Anything else is read by
    :func:`crmkit._validate.cutoff_value`, so a value that cannot be read (None, NaT, a
    number, '2025-02-31', a year outside 1678-2261) is a
    :class:`~crmkit.errors.ConfigError` naming ``field`` as a parameter, as in the rest of
    crmkit.

    >>> import zoneinfo
    >>> as_of_time("2025-06-30", zoneinfo.ZoneInfo("Asia/Shanghai"), "f()").isoformat()
    '2025-06-30T23:59:59.999999+08:00'
    >>> as_of_time("2025-02-31", zoneinfo.ZoneInfo("Asia/Shanghai"), "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: f(): parameter 'as_of' must be a date, datetime, Timestamp or ISO 8601 string; found '2025-02-31'. Dates must be ISO 8601 (2025-01-31, 2025-01-31T09:30, 2025-01-31T09:30+01:00) unless date_format= states another format, e.g. date_format='%d.%m.%Y'.
    >>> as_of_time(dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC), zoneinfo.ZoneInfo("Asia/Shanghai"), "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: f(): parameter 'as_of' must be instants from year 1000 up to (not including) year 9000; found 9999-12-31T23:00:00+00:00. Tier windows, validity and expiry dates are computed years ahead of events.
    """
    # NaT is a datetime subclass: the one reader refuses it (as_aware's error is about data).
    if value is not pd.NaT and isinstance(value, dt.datetime):
        try:
            when = as_aware(value, tz, owner, field)  # exact
        except OverflowError:  # beyond Python's calendar in tz: far outside the range
            raise _out_of_range(owner, field, value.isoformat(), ConfigError) from None
        check_range(when, owner, field, error=ConfigError)
        return when
    cut = cutoff_value(value, owner, field, tz=tz)  # 1678-2261: inside the range
    micros = int(cut.last.value) // 1000  # UTC nanoseconds, down to the microsecond
    return (_EPOCH + dt.timedelta(microseconds=micros)).astimezone(tz)


def zone(timezone: str | dt.tzinfo, owner: str) -> dt.tzinfo:
    """Resolve the program's time zone."""
    return resolve_timezone(timezone, owner, "timezone")


def midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Local midnight starting ``day`` in ``tz``."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day.

    >>> add_months(dt.date(2025, 1, 31), 1)
    datetime.date(2025, 2, 28)
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = (next_first - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def period_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The calendar ``period`` containing ``day`` as ``[start, end)`` dates.

    >>> period_bounds(dt.date(2025, 5, 14), "quarter")
    (datetime.date(2025, 4, 1), datetime.date(2025, 7, 1))
    >>> period_bounds(dt.date(2025, 5, 14), "week")
    (datetime.date(2025, 5, 12), datetime.date(2025, 5, 19))
    """
    if period == "day":
        return day, day + dt.timedelta(days=1)
    if period == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        return start, add_months(start, 1)
    if period == "quarter":
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, add_months(start, 3)
    return dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)


def as_dict_list(items: Iterable[Any]) -> list[dict[str, Any]]:
    """``[item.to_dict() for item in items]``."""
    return [item.to_dict() for item in items]


def renamed_keys(data: dict[str, Any], renames: dict[str, str], *, version: int) -> dict[str, Any]:
    """A ``__spec_upgrade__`` step: read the JSON of an older schema with renamed keys.

    ``data`` is the mapping :func:`crmkit._spec.decode` is about to read: a top-level
    mapping of the older schema carries ``schema_version`` below ``version``; a nested one
    carries no version and is recognised by its old keys. Old keys are renamed (unless the
    new key is also present, which the decoder then reports) and the version becomes
    ``version``.

    >>> renamed_keys({"schema_version": 1, "period": "month"}, {"period": "freq"}, version=2)
    {'schema_version': 2, 'freq': 'month'}
    >>> renamed_keys({"period": "year"}, {"period": "freq"}, version=2)
    {'freq': 'year'}
    >>> renamed_keys({"schema_version": 2, "freq": "day"}, {"period": "freq"}, version=2)
    {'schema_version': 2, 'freq': 'day'}
    """
    stored = data.get("schema_version")
    if isinstance(stored, int) and not isinstance(stored, bool) and stored >= version:
        return data
    out = dict(data)
    for old, new in renames.items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    if isinstance(stored, int) and not isinstance(stored, bool):
        out["schema_version"] = version
    return out


#: Names a named activity counter may not take (the built-in qualifying metrics).
RESERVED_COUNTS = ("spend", "points", "orders")


def count_pairs(value: Any) -> Any:
    """A mapping of named counts becomes sorted ``(name, count)`` pairs (else: as is).

    >>> count_pairs({"stays": 1, "nights": 3})
    (('nights', 3), ('stays', 1))
    """
    if isinstance(value, dict) or (hasattr(value, "items") and hasattr(value, "keys")):
        return tuple(sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, list | tuple) and all(
        isinstance(kv, list | tuple) and len(kv) == 2 for kv in value
    ):
        return tuple(sorted((tuple(kv) for kv in value), key=lambda kv: str(kv[0])))
    return value


def count_problem(value: Any, *, signed: bool = False) -> tuple[str, str] | None:
    """``(expected, found)`` when ``value`` is not named integer counts, else None.

    Names are non-empty strings other than ``spend``/``points``/``orders``; counts are
    ints, at least 0 unless ``signed`` (a refund posts them negative).

    >>> count_problem((("nights", 3),)) is None
    True
    >>> count_problem((("points", 3),))
    ("names other than ['spend', 'points', 'orders']", "'points'")
    >>> count_problem((("nights", -1),))
    ('int counts of at least 0', "'nights': -1")
    >>> count_problem((("nights", 1), ("nights", 2)))
    ('each name once', "'nights' more than once")
    """
    pairs = value.items() if isinstance(value, dict) else value
    if not isinstance(pairs, tuple | list) and not isinstance(value, dict):
        return "a mapping of name -> count", type(value).__name__
    names = [item[0] for item in pairs if isinstance(item, tuple | list) and len(item) == 2]
    repeated = sorted({str(n) for n in names if names.count(n) > 1})
    if repeated:  # summed, or the last one? not guessed
        return "each name once", f"{repeated[0]!r} more than once"
    for item in pairs:
        if not isinstance(item, tuple | list) or len(item) != 2:
            return "a mapping of name -> count", repr(item)
        name, count = item
        if not isinstance(name, str) or not name.strip():
            return "non-empty string names", repr(name)
        if name in RESERVED_COUNTS:
            return f"names other than {list(RESERVED_COUNTS)}", repr(name)
        if not isinstance(count, int) or isinstance(count, bool) or (count < 0 and not signed):
            what = "int counts" if signed else "int counts of at least 0"
            return what, f"{name!r}: {count!r}"
    return None


def _decode_counts(data: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(data, dict):
        raise TypeError(data)
    pairs: tuple[tuple[str, int], ...] = count_pairs(data)
    return pairs


#: Named counts in JSON: an object of name -> count (``{"nights": 3}``).
COUNTS_CODEC = Custom(dict, _decode_counts, "a mapping of counter name -> count")
