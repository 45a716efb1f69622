"""Shared input checks: frames, columns, dtypes, NaN/NaT, time zones, config keys.

Every public function validates its input through these helpers so that every module
reports the same problems in the same words (see :mod:`crmkit.errors`). The helpers
never modify what they are given; the ones that convert return new objects.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmkit.errors import ConfigError, InvalidInputError, SchemaError

__all__ = [
    "as_aware",
    "check_keys",
    "check_not_empty",
    "check_unique",
    "datetime_column",
    "first_labels",
    "numeric_column",
    "require_columns",
    "require_frame",
    "require_no_missing",
    "resolve_timezone",
]


def first_labels(index: pd.Index, mask: np.ndarray[Any, Any] | pd.Series, n: int = 5) -> list[Any]:
    """Return the first ``n`` labels of ``index`` where ``mask`` is true.

    >>> import pandas as pd, numpy as np
    >>> first_labels(pd.Index(["a", "b", "c"]), np.array([False, True, True]))
    ['b', 'c']
    """
    flags = np.asarray(mask, dtype=bool)
    positions = np.flatnonzero(flags)[:n]
    return [_plain(v) for v in index[positions]]


def _plain(value: Any) -> Any:
    """Numpy scalars print as ``np.int64(3)``; messages want ``3``."""
    return value.item() if isinstance(value, np.generic) else value


def require_frame(obj: object, owner: str, name: str) -> pd.DataFrame:
    """Check that ``obj`` is a pandas DataFrame and return it.

    >>> require_frame([1, 2], "summarize()", "transactions")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: summarize(): 'transactions' must be a pandas DataFrame; found list.
    """
    if not isinstance(obj, pd.DataFrame):
        raise InvalidInputError(
            owner, name, expected="a pandas DataFrame", found=type(obj).__name__, kind=""
        )
    return obj


def require_columns(frame: pd.DataFrame, columns: Iterable[str], owner: str) -> None:
    """Raise :class:`SchemaError` naming the first required column that is missing.

    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "rfm()")
    Traceback (most recent call last):
    ...
    crmkit.errors.SchemaError: rfm(): column 'b' must be present; found columns ['a']. Name it with the keyword argument for that column.
    """
    present = set(map(str, frame.columns))
    for column in columns:
        if column not in frame.columns and str(column) not in present:
            shown = list(frame.columns)[:20]
            raise SchemaError(
                owner,
                str(column),
                expected="present",
                found=f"columns {shown}",
                hint="Name it with the keyword argument for that column.",
            )


def check_not_empty(frame: pd.DataFrame | pd.Series, owner: str, name: str) -> None:
    """Raise :class:`InvalidInputError` when ``frame`` has no rows.

    >>> import pandas as pd
    >>> check_not_empty(pd.DataFrame({"a": []}), "gini()", "values")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: gini(): 'values' must be at least one row; found an empty input.
    """
    if len(frame) == 0:
        raise InvalidInputError(
            owner, name, expected="at least one row", found="an empty input", kind=""
        )


def require_no_missing(frame: pd.DataFrame, column: str, owner: str, what: str = "values") -> None:
    """Raise :class:`InvalidInputError` listing the rows where ``column`` is NaN/NaT/None.

    >>> import pandas as pd
    >>> require_no_missing(pd.DataFrame({"x": [1.0, None]}, index=[10, 11]), "x", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: f(): column 'x' must be without missing values; found 1 missing values at rows [11].
    """
    missing = frame[column].isna().to_numpy()
    count = int(missing.sum())
    if count:
        raise InvalidInputError(
            owner,
            column,
            expected=f"without missing {what}",
            found=f"{count} missing {what}",
            rows=first_labels(frame.index, missing),
            total=count,
        )


def numeric_column(
    frame: pd.DataFrame, column: str, owner: str
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Return ``column`` as a float64 array; strings, NaN and infinities are errors.

    >>> import pandas as pd
    >>> numeric_column(pd.DataFrame({"m": [1, 2.5]}), "m", "f()")
    array([1. , 2.5])
    >>> numeric_column(pd.DataFrame({"m": ["1", "x"]}), "m", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.SchemaError: f(): column 'm' must be numeric; found 2 non-numeric values (dtype ...) at rows [0, 1].
    """
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        bad = ~series.map(
            lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
        )
        count = int(bad.sum()) or len(series)
        raise SchemaError(
            owner,
            column,
            expected="numeric",
            found=f"{count} non-numeric values (dtype {series.dtype})",
            rows=first_labels(frame.index, bad.to_numpy()) if bad.any() else [],
            total=count,
        )
    require_no_missing(frame, column, owner)
    values = series.to_numpy(dtype=np.float64, copy=True)
    infinite = ~np.isfinite(values)
    if infinite.any():
        raise InvalidInputError(
            owner,
            column,
            expected="finite",
            found=f"{int(infinite.sum())} infinite values",
            rows=first_labels(frame.index, infinite),
            total=int(infinite.sum()),
        )
    return values


def resolve_timezone(tz: str | dt.tzinfo, owner: str, field: str = "timezone") -> dt.tzinfo:
    """Return a tzinfo for an IANA name (or pass a tzinfo through); unknown names are errors.

    >>> resolve_timezone("Asia/Shanghai", "BusinessCalendar")
    zoneinfo.ZoneInfo(key='Asia/Shanghai')
    >>> resolve_timezone("Mars/Olympus", "BusinessCalendar")
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: BusinessCalendar: parameter 'timezone' must be an IANA time zone name such as 'Europe/Berlin'; found 'Mars/Olympus'.
    """
    if isinstance(tz, dt.tzinfo):
        return tz
    if isinstance(tz, str):
        try:
            return zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    raise ConfigError(
        owner,
        field,
        expected="an IANA time zone name such as 'Europe/Berlin'",
        found=repr(tz),
    )


def as_aware(value: object, tz: dt.tzinfo, owner: str, field: str) -> dt.datetime:
    """Read a naive datetime in ``tz``; convert an aware one to ``tz``.

    >>> import datetime as dt, zoneinfo
    >>> z = zoneinfo.ZoneInfo("Europe/Berlin")
    >>> as_aware(dt.datetime(2025, 1, 2, 9), z, "add()", "t").isoformat()
    '2025-01-02T09:00:00+01:00'
    >>> as_aware(dt.datetime(2025, 1, 2, 8, tzinfo=dt.UTC), z, "add()", "t").isoformat()
    '2025-01-02T09:00:00+01:00'
    """
    if value is pd.NaT:
        raise InvalidInputError(owner, field, expected="a datetime", found="NaT", kind="")
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if not isinstance(value, dt.datetime):
        raise InvalidInputError(
            owner, field, expected="a datetime.datetime", found=type(value).__name__, kind=""
        )
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)


def datetime_column(
    frame: pd.DataFrame,
    column: str,
    owner: str,
    *,
    tz: str | dt.tzinfo | None = None,
) -> pd.Series:
    """Return ``column`` as a datetime64 Series; NaT, junk and mixed zones are errors.

    Strings are parsed (ISO 8601). With ``tz`` given, naive values are read in ``tz`` and
    aware values converted to it; without, values keep whatever awareness they have, but
    a column must not mix naive and aware values.

    >>> import pandas as pd
    >>> s = datetime_column(pd.DataFrame({"d": ["2025-01-02", "2025-01-03"]}), "d", "f()")
    >>> str(s.dtype).startswith("datetime64")
    True
    >>> datetime_column(pd.DataFrame({"d": ["2025-01-02", "soon"]}), "d", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.SchemaError: f(): column 'd' must be dates or datetimes; found 1 values that are not dates at rows [1].
    """
    series = frame[column]
    require_no_missing(frame, column, owner, what="dates")
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        # pandas would read numbers as nanoseconds since 1970: every date silently wrong.
        raise SchemaError(
            owner,
            column,
            expected="dates or datetimes",
            found=f"numbers (dtype {series.dtype})",
            hint="Convert epoch values explicitly, e.g. pd.to_datetime(col, unit='s').",
        )
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        series.dtype
    ):
        parsed = series
    else:
        aware = series.map(_awareness)
        kinds = set(aware.unique())
        if {"naive", "aware"} <= kinds:
            minority = "aware" if (aware == "aware").sum() <= (aware == "naive").sum() else "naive"
            mask = (aware == minority).to_numpy()
            raise InvalidInputError(
                owner,
                column,
                expected="all naive or all timezone-aware",
                found=f"{int(mask.sum())} {minority} values among the others",
                rows=first_labels(frame.index, mask),
                total=int(mask.sum()),
                hint="Localize or convert the column to one time zone first.",
            )
        utc = "aware" in kinds
        parsed = pd.to_datetime(series, errors="coerce", utc=utc, format="mixed")
        bad = parsed.isna().to_numpy()
        if bad.any():
            raise SchemaError(
                owner,
                column,
                expected="dates or datetimes",
                found=f"{int(bad.sum())} values that are not dates",
                rows=first_labels(frame.index, bad),
                total=int(bad.sum()),
            )
    if tz is not None:
        zone = resolve_timezone(tz, owner)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert(zone)
        else:
            parsed = parsed.dt.tz_localize(zone, ambiguous="raise", nonexistent="raise")
    return parsed


def _awareness(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return "naive" if value.tzinfo is None else "aware"
    if isinstance(value, str):
        text = value.strip()
        tail = text[10:]
        if text.endswith("Z") or "+" in tail or tail.count("-") >= 1:
            return "aware"
        return "naive"
    return "naive"


def check_unique(frame: pd.DataFrame, column: str | None, owner: str) -> None:
    """Raise :class:`InvalidInputError` listing rows whose ``column`` value (or index) repeats.

    >>> import pandas as pd
    >>> check_unique(pd.DataFrame({"id": [1, 2, 2]}), "id", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: f(): column 'id' must be unique; found 1 duplicated ids at rows [2].
    """
    values = frame.index if column is None else frame[column]
    dup = np.asarray(values.duplicated(keep="first"), dtype=bool)
    if dup.any():
        raise InvalidInputError(
            owner,
            column or "index",
            expected="unique",
            found=f"{int(dup.sum())} duplicated ids",
            rows=first_labels(frame.index, dup),
            total=int(dup.sum()),
        )


def check_keys(
    data: Mapping[str, Any],
    owner: str,
    *,
    allowed: Collection[str],
    required: Sequence[str] = (),
) -> None:
    """Raise :class:`ConfigError` for unknown or missing keys of a ``from_dict`` mapping.

    >>> check_keys({"bins": 5, "bnis": 4}, "RFMScorer.from_dict()", allowed={"bins"})
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: RFMScorer.from_dict(): parameter 'bnis' must be one of ['bins']; found an unknown key.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(owner, "data", expected="a mapping", found=type(data).__name__)
    for key in data:
        if key not in allowed:
            raise ConfigError(
                owner, str(key), expected=f"one of {sorted(allowed)}", found="an unknown key"
            )
    for key in required:
        if key not in data:
            raise ConfigError(owner, key, expected="present", found="no such key")


def labels_of(values: Iterable[Hashable]) -> list[Hashable]:
    """Return plain Python labels (numpy scalars unwrapped) for messages."""
    return [_plain(v) for v in values]
