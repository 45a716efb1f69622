"""Shared input checks: frames, columns, dtypes, NaN/NaT, time zones, config keys.

Every public function validates its input through these helpers so that every module
reports the same problems in the same words (see :mod:`crmkit.errors`). The helpers
never modify what they are given; the ones that convert return new objects.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn, cast

import numpy as np
import pandas as pd

from crmkit._spec import check_choice
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError

__all__ = [
    "as_aware",
    "check_keys",
    "check_not_empty",
    "check_unique",
    "datetime_column",
    "datetime_value",
    "first_labels",
    "flag_column",
    "numeric_column",
    "require_columns",
    "require_finite_result",
    "require_frame",
    "require_no_missing",
    "resolve_timezone",
]


#: The spellings a yes/no column is read with (trimmed, lower-cased).
FLAG_TRUE = frozenset({"true", "1", "yes", "y", "是"})
FLAG_FALSE = frozenset({"false", "0", "no", "n", "否"})


def flag_column(
    frame: pd.DataFrame, column: str, owner: str, *, blank: bool, shown: str | None = None
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """A yes/no column as booleans: the library's one reading of flags.

    Booleans as they are; text ``true``/``false``, ``1``/``0``, ``yes``/``no``, ``y``/``n``
    or ``是``/``否`` in any case, with spaces around; the numbers 1 and 0 (also ``1.0``, as
    a CSV reader makes of 1 in a column with gaps). Missing cells (None, NaN: what a CSV
    reader makes of an empty cell) read as ``blank``: what a missing flag means depends on
    the column, and the caller says. Anything else, blank text included, is an
    :class:`~crmkit.errors.InvalidInputError` naming the column (``shown``, as the user
    called it) and the rows.

    Examples:
        >>> f = pd.DataFrame({"vip": ["Yes", " 否 ", None, 1, "TRUE"]})
        >>> flag_column(f, "vip", "f()", blank=False).tolist()
        [True, False, False, True, True]
        >>> flag_column(pd.DataFrame({"vip": ["maybe"]}), "vip", "f()", blank=False)
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: f(): column 'vip' must be true/false, 1/0, yes/no or 是/否 (missing: False); found 1 other values, the first 'maybe' at rows [0].
    """
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
        return series.to_numpy(dtype=bool)
    empty = series.isna().to_numpy(dtype=bool)
    text = (
        series.astype(object)
        .where(~empty, "")
        .astype(str)
        .str.strip()
        .str.lower()
        .str.replace(r"\.0$", "", regex=True)
    )
    odd = ~text.isin(FLAG_TRUE | FLAG_FALSE).to_numpy(dtype=bool) & ~empty
    if odd.any():
        raise InvalidInputError(
            owner,
            shown or column,
            expected=f"true/false, 1/0, yes/no or 是/否 (missing: {blank})",
            found=f"{int(odd.sum())} other values, the first {series[odd].iloc[0]!r}",
            rows=first_labels(frame.index, odd),
            total=int(odd.sum()),
        )
    flags = text.isin(FLAG_TRUE).to_numpy(dtype=bool)
    return np.asarray(flags | (empty & blank), dtype=bool)


def first_labels(index: pd.Index, mask: np.ndarray[Any, Any] | pd.Series, n: int = 5) -> list[Any]:
    """Return the first ``n`` labels of ``index`` where ``mask`` is true.

    >>> import pandas as pd, numpy as np
    >>> first_labels(pd.Index(["a", "b", "c"]), np.array([False, True, True]))
    ['b', 'c']
    """
    flags = np.asarray(mask, dtype=bool)
    positions = np.flatnonzero(flags)[:n]
    return [_plain(v) for v in index[positions]]


def is_missing_value(value: object) -> bool:
    """Whether one value is missing: None, NaN, ``pd.NA`` or NaT (as ``pd.isna`` says).

    A list, array or other container is not a missing value (``pd.isna`` would answer for
    each element).

    >>> import numpy as np
    >>> [is_missing_value(v) for v in (None, float("nan"), pd.NA, pd.NaT, np.datetime64("NaT"))]
    [True, True, True, True, True]
    >>> is_missing_value("P1"), is_missing_value(0), is_missing_value([None])
    (False, False, False)
    """
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(cast("Any", value))))


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


def require_no_missing(
    frame: pd.DataFrame, column: str, owner: str, what: str = "values", *, blank: bool = False
) -> None:
    """Raise :class:`InvalidInputError` listing the rows where ``column`` is NaN/NaT/None.

    ``blank=True`` also counts empty text (``""``, what an empty CSV field is when a file is
    read as text) as missing: for required ids.

    >>> import pandas as pd
    >>> require_no_missing(pd.DataFrame({"x": [1.0, None]}, index=[10, 11]), "x", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: f(): column 'x' must be without missing values; found 1 missing values at rows [11].
    >>> require_no_missing(pd.DataFrame({"id": ["m1", ""]}, index=[2, 3]), "id", "f()", "ids", blank=True)
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: f(): column 'id' must be without missing ids; found 1 missing ids at rows [3].
    """
    values = frame[column]
    missing = values.isna().to_numpy()
    if blank and isinstance(values.dtype, pd.StringDtype):  # compared in the column's own storage
        missing = missing | (values == "").to_numpy(dtype=bool, na_value=False)
    elif blank and values.dtype.kind in "OSUT":
        missing = missing | (values.to_numpy(dtype=object) == "")
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
    """Return ``column`` as a float64 array; text, booleans, NaN and infinities are errors.

    Numbers in any dtype are read: numpy ints and floats, nullable ``Int64``/``Float64``,
    Arrow-backed numbers (``int64[pyarrow]``, decimals), categoricals of numbers, and
    ``object`` columns holding only numbers. Text is not: a column of strings is refused,
    counting and naming only the values that are not numbers (or, when every string is a
    number, saying that the numbers are stored as text).

    >>> import pandas as pd
    >>> numeric_column(pd.DataFrame({"m": [1, 2.5]}), "m", "f()")
    array([1. , 2.5])
    >>> numeric_column(pd.DataFrame({"m": pd.array([1, 2], dtype="Int64")}), "m", "f()")
    array([1., 2.])
    >>> numeric_column(pd.DataFrame({"m": ["1", "x", "3"]}, index=[2, 3, 4]), "m", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.SchemaError: f(): column 'm' must be numeric; found 1 non-numeric value (dtype str), 'x' at rows [3].
    """
    series = _column(frame, column, owner)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.dtype.categories.dtype)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        _refuse_non_numeric(frame.index, column, owner, np.ones(len(series), dtype=bool), dtype)
    if pd.api.types.is_numeric_dtype(dtype):
        require_no_missing(frame, column, owner)
        values = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    else:
        values = _numbers_in_objects(series, frame.index, column, owner)
    missing = np.isnan(values)
    if missing.any():  # NaN that pandas does not count as missing (nullable Float64 0/0)
        raise InvalidInputError(
            owner,
            column,
            expected="without missing values",
            found=f"{int(missing.sum())} missing values",
            rows=first_labels(frame.index, missing),
            total=int(missing.sum()),
        )
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


def _numbers_in_objects(
    series: pd.Series, index: pd.Index, column: str, owner: str
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Read an ``object``/text column that should hold numbers, or name the odd values."""
    kind = pd.api.types.infer_dtype(series, skipna=True)
    missing = series.isna().to_numpy()
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        if missing.any():
            require_no_missing(series.to_frame(column), column, owner)
        return np.asarray(pd.to_numeric(series).to_numpy(dtype=np.float64), dtype=np.float64)
    if kind == "string":
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(numbers) & ~missing
        if not bad.any():  # every value is a number written as text
            bad = ~missing
            _refuse_non_numeric(index, column, owner, bad, series.dtype, series=series, text=True)
        _refuse_non_numeric(index, column, owner, bad, series.dtype, series=series)
    if kind == "empty":
        return np.zeros(len(series), dtype=np.float64)
    flags = series.map(
        lambda v: (
            isinstance(v, (int, float, np.number, Decimal)) and not isinstance(v, (bool, np.bool_))
        )
    ).to_numpy(dtype=bool)
    bad = ~flags & ~missing
    if bad.any():
        _refuse_non_numeric(index, column, owner, bad, series.dtype, series=series)
    if missing.any():
        require_no_missing(series.to_frame(column), column, owner)
    return np.array([float(v) for v in series], dtype=np.float64)


#: How numbers are written for crmkit (said in every hint about a number written otherwise).
_NUMBER_FORM = (
    "crmkit reads numbers one way: ASCII digits with an optional sign, a dot for "
    "decimals (1234.50) and an optional exponent (1.5e3), without separators, currency "
    "signs or units"
)
_SEPARATORS = "frame[column].str.replace(',', '')"
_FULL_WIDTH_ZERO, _FULL_WIDTH_NINE = "\uff10", "\uff19"
#: Ways of writing a number that crmkit does not read: the form, what it is, what to do.
_NUMBER_LOOKS = (
    (
        re.compile(r"[+-]?\d{1,3},\d{3}"),
        "{v!r} reads as {a} with a thousands separator or as {b} with a decimal comma",
        "write the numbers in that form where the file is made",
    ),
    (
        re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
        "{v!r} has thousands separators",
        f"remove them in the file (in pandas: {_SEPARATORS})",
    ),
    (
        re.compile(r"[+-]?\d+,\d+"),
        "{v!r} has a decimal comma",
        "make it a dot in the file (in pandas: frame[column].str.replace(',', '.'))",
    ),
    (
        re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+"),
        "{v!r} has dots between thousands and a decimal comma",
        "remove the dots and make the comma a dot in the file",
    ),
    (
        re.compile(r"(?:[¥￥$€£]|RMB|CNY|USD)\s*[+-]?[\d.,]+|[+-]?[\d.,]+\s*(?:元|RMB|CNY|USD)"),
        "{v!r} carries a currency sign or unit",
        "remove it in the file (the amounts of a column are in one currency)",
    ),
    (
        re.compile(r"[+-]?\d+(?:_\d+)+(?:\.\d+)?"),
        "{v!r} has underscores between digits",
        "remove them",
    ),
)


def number_text_hint(values: Iterable[object]) -> str:
    """A hint for numbers written in a form crmkit does not read (empty when none is seen).

    Looks at the values (text cells refused as numbers) for thousands separators, a decimal
    comma, currency signs and units, full-width digits and underscores, and says which form
    it saw, how numbers are read, and what to do. A value such as ``"1,234"`` is named with
    both of its readings: crmkit never picks one.

    Examples:
        >>> print(number_text_hint(["n/a", "1,234.50"]))
        '1,234.50' has thousands separators, and crmkit reads numbers one way: ASCII digits with an optional sign, a dot for decimals (1234.50) and an optional exponent (1.5e3), without separators, currency signs or units; remove them in the file (in pandas: frame[column].str.replace(',', '')).
        >>> print(number_text_hint(["1,234"]))  # doctest: +ELLIPSIS
        '1,234' reads as 1234 with a thousands separator or as 1.234 with a decimal comma, and ...
        >>> print(number_text_hint(["35,5"]))  # doctest: +ELLIPSIS
        '35,5' has a decimal comma, and ...; make it a dot in the file (in pandas: frame[column].str.replace(',', '.')).
        >>> number_text_hint(["n/a"])
        ''
    """
    for value in values:
        if isinstance(value, str):
            seen = _number_look(value)
            if seen is not None:
                return f"{seen[0]}, and {_NUMBER_FORM}; {seen[1]}."
    return ""


def _number_look(value: str) -> tuple[str, str] | None:
    """What form ``value`` writes a number in, and what to do (None: no form of ours)."""
    text = value.strip()
    if any(_FULL_WIDTH_ZERO <= c <= _FULL_WIDTH_NINE for c in text):
        fix = "write them as ASCII digits (in pandas: frame[column].str.normalize('NFKC'))"
        return f"{value!r} has full-width digits", fix
    for pattern, words, fix in _NUMBER_LOOKS:
        if pattern.fullmatch(text):
            return words.format(v=value, a=text.replace(",", ""), b=text.replace(",", ".")), fix
    return None


def _refuse_non_numeric(
    index: pd.Index,
    column: str,
    owner: str,
    bad: np.ndarray[Any, np.dtype[np.bool_]],
    dtype: object,
    *,
    series: pd.Series | None = None,
    text: bool = False,
) -> NoReturn:
    count = int(bad.sum())
    found = f"{_n(count, 'non-numeric value')} (dtype {dtype})"
    if text:
        found += ": numbers stored as text"
    elif series is not None:
        found += ", " + _examples(series[bad], 3).replace(" and ", ", ")
    raise SchemaError(
        owner,
        column,
        expected="numeric",
        found=found,
        rows=first_labels(index, bad),
        total=count,
        hint="Convert the column with pd.to_numeric(frame[column]) first."
        if text
        else number_text_hint([] if series is None else series[bad].head(20).tolist()),
    )


def require_finite_result(
    values: Any,
    owner: str,
    column: str,
    *,
    labels: pd.Index | None = None,
    what: str = "totals",
) -> None:
    """Raise :class:`InvalidInputError` when a result computed from ``column`` overflowed.

    Inputs can each be finite and still sum past the largest float64 (about 1.8e308):
    ``[1e308, 1e308]`` sums to ``inf``. Call this on results after aggregating (sums,
    means, shares); ``labels`` (e.g. the customer ids of the result rows) are named in the
    message. Aggregate under ``np.errstate(over="ignore")`` (pytest turns numpy's overflow
    warning into an error before this check can run). NaN in ``values`` counts as an overflow too (``inf - inf`` is NaN), so pass
    only values that must be finite.

    >>> import numpy as np, pandas as pd
    >>> require_finite_result(np.array([3.0, 4.0]), "summarize()", "amount")
    >>> with np.errstate(over="ignore"):  # numpy warns on overflow; warnings are errors
    ...     totals = pd.Series([1e308, 1e308, 1.0]).groupby(["c1", "c1", "c2"]).sum()
    >>> require_finite_result(totals.to_numpy(), "summarize()", "amount", labels=totals.index)
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: summarize(): column 'amount' must be small enough that totals stay finite (below about 1.8e308); found 1 totals that overflow float64 at rows ['c1']. Rescale the column first, e.g. to thousands.
    """
    array = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(array.reshape(-1))
    if bad.any():
        raise InvalidInputError(
            owner,
            column,
            expected=f"small enough that {what} stay finite (below about 1.8e308)",
            found=f"{int(bad.sum())} {what} that overflow float64",
            rows=[] if labels is None else first_labels(labels, bad),
            total=int(bad.sum()),
            hint="Rescale the column first, e.g. to thousands.",
        )


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


def exists_once(wall: dt.datetime, tz: dt.tzinfo) -> bool:
    """Whether the naive wall time ``wall`` names one instant in ``tz``.

    False where a daylight-saving change skips it (no instant) or repeats it (two): such
    a time is refused, not read one way (:func:`datetime_value` refuses it in columns).

    >>> import datetime as dt, zoneinfo
    >>> berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    >>> [exists_once(dt.datetime(2025, 3, 30, h, 30), berlin) for h in (1, 2, 3)]
    [True, False, True]
    """
    early, late = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    return early.utcoffset() == late.utcoffset()


#: The first and last calendar day of the instants crmkit computes with. Every date column
#: and every cut-off is checked against them, so that arithmetic in nanoseconds since 1970
#: (what pandas and the batch engines use) can never overflow; they sit a few months inside
#: pandas's own bounds (1677-09-21 and 2262-04-11) to leave room for time-zone shifts and
#: whole-day arithmetic.
EARLIEST_DATE = dt.date(1678, 1, 1)
LATEST_DATE = dt.date(2261, 12, 31)
_LOW = np.datetime64(EARLIEST_DATE.isoformat(), "D")
_HIGH = np.datetime64(LATEST_DATE.isoformat(), "D") + np.timedelta64(1, "D")  # exclusive
_NS_PER: dict[str, int] = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_LOW_NS = int(_LOW.astype("datetime64[ns]").astype(np.int64))
_HIGH_NS = int(_HIGH.astype("datetime64[ns]").astype(np.int64))
#: The units ``date_unit=`` accepts: time since 1970-01-01 00:00 UTC (instants), or
#: ``"excel"``: Excel's day numbers (serials; days since 1899-12-30 in the 1900 date
#: system, the fraction the time of day), which are wall-clock dates and times.
DATE_UNITS = ("s", "ms", "us", "ns", "excel")
#: The units of epoch numbers (instants in UTC).
EPOCH_UNITS = ("s", "ms", "us", "ns")
#: Excel's serial of 1970-01-01, and its first unambiguous one (1900-03-01: below it
#: Excel counts a 29 February 1900 that never was, so serials 1-60 read one day off).
_EXCEL_1970 = 25_569
_EXCEL_FIRST = 61
_RANGE = f"between {EARLIEST_DATE} and {LATEST_DATE}"
_RANGE_EXPECTED = f"dates {_RANGE}"
_RANGE_HINT = (
    "Dates such as 0001-01-01 or 9999-12-31 usually stand for 'unknown' or 'never': "
    "replace them with a real date or drop those rows."
)
_VALUE_RANGE_HINT = (
    "crmkit computes in nanoseconds since 1970; pass a date inside that range "
    "(9999-12-31 as 'never' has no meaning as a cut-off)."
)
_ISO_HINT = (
    "Dates must be ISO 8601 (2025-01-31, 2025-01-31T09:30, 2025-01-31T09:30+01:00) unless "
    "date_format= states another format, e.g. date_format='%d.%m.%Y'."
)
# Whether an ISO 8601 string carries a UTC offset: after the date (10 characters in the
# extended form, 8 in the basic one) only an offset or "Z" holds "+", "-" or "Z". A plain
# character class keeps this test vectorised and fast (a full regex costs 5x more).
_OFFSET_MARK = r"[Zz+\-]"
# An offset with seconds (local mean time before ~1920, as pandas writes it): pandas' ISO
# reader refuses these, Python's reads them.
_OFFSET_SECONDS = r"[+-]\d{2}:\d{2}:\d{2}(?:\.\d+)?$"
# Text that is a number ("1735689600", "20250131", "-3.5").
_NUMBER_TEXT = r"[+-]?\d+(?:\.\d*)?"
# Day and month in either order, then the year, then perhaps a time: 01/02/2025 10:00.
_DAY_MONTH = r"(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})(?P<rest>.*)"


def datetime_column(
    frame: pd.DataFrame,
    column: str,
    owner: str,
    *,
    tz: str | dt.tzinfo | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> pd.Series:
    """Return ``column`` as a datetime64 Series, read one way exactly or refused.

    What is read, and how (nothing is ever guessed):

    * datetime64 columns in any unit, with or without a zone, and Arrow-backed
      timestamps and dates (what ``read_parquet`` and ``dtype_backend="pyarrow"`` give)
      are taken as they are (Arrow becomes the numpy dtype of the same unit and zone);
    * strings are read as ISO 8601 (``2025-01-31``, ``2025-01-31T09:30``, with or without
      a UTC offset; year first with ``/``, ``.`` or a space too: ``2025/1/31 9:30``, which
      has no second reading); any other format only with ``date_format=`` (strftime codes, e.g.
      ``"%d/%m/%Y"``). Without it, a column such as ``01/02/2025`` is refused with both
      of its readings shown; a column mixing formats is refused;
    * numbers, in any dtype (int, float, nullable, Arrow, or ``object`` holding numbers,
      and text made only of digits), only with ``date_unit=`` (``'s'``, ``'ms'``, ``'us'``,
      ``'ns'`` since 1970-01-01 00:00 UTC; ``'excel'`` for Excel's day numbers, days
      since 1899-12-30 with the time of day as the fraction, from 61 = 1900-03-01) or
      with ``date_format=`` (e.g. ``"%Y%m%d"`` for ``20250131``);
    * ``datetime``/``date``/``Timestamp`` objects in an ``object`` column as they are.

    Offsets in strings make the column aware (converted to UTC). With ``tz``, naive
    values are read as wall-clock times in ``tz`` and aware ones converted to it; epoch
    numbers are instants in UTC, converted to ``tz`` (naive UTC readings without it);
    numbers read with ``date_format=`` and Excel day numbers are wall-clock dates and
    times, like naive text.
    A column must not mix naive and aware values. Missing values, values that are not
    dates, and dates outside :data:`EARLIEST_DATE` to :data:`LATEST_DATE` (the range that
    nanosecond arithmetic covers) are errors that name the rows. The result keeps the
    input's unit (seconds to nanoseconds) and index; the frame is never modified.

    Args:
        frame: The table holding the column.
        column: The column to read.
        owner: Who asks, for messages (``"summarize()"``).
        tz: Read naive values in this zone and convert aware ones to it.
        date_format: The strftime format of strings (or of whole numbers such as
            ``20250131`` with ``"%Y%m%d"``); ``"ISO8601"`` is the default reading.
        date_unit: The unit of epoch numbers: ``'s'``, ``'ms'``, ``'us'`` or ``'ns'``;
            ``'excel'`` for Excel day numbers (wall-clock).

    Returns:
        A new datetime64 Series with the frame's index.

    Raises:
        SchemaError: Values that are not dates, numbers without a stated meaning, or
            strings that are not ISO 8601 without a stated format.
        InvalidInputError: Missing values, mixed naive and aware values, times that a
            daylight-saving change skips or repeats in ``tz``, or dates out of range.
        ConfigError: An unknown ``date_unit`` or a ``date_format`` that is not a format.

    Examples:
        >>> import pandas as pd
        >>> s = datetime_column(pd.DataFrame({"d": ["2025-01-02", "2025-01-03"]}), "d", "f()")
        >>> str(s.dtype).startswith("datetime64")
        True
        >>> datetime_column(pd.DataFrame({"d": ["2025-01-02", "soon"]}), "d", "f()")
        Traceback (most recent call last):
        ...
        crmkit.errors.SchemaError: f(): column 'd' must be dates or datetimes; found 1 values that are not dates at rows [1]. The first is 'soon': a word or a part of a date ...

        Day and month in either order are read only when the format is stated:

        >>> days = pd.DataFrame({"d": ["01/02/2025", "03/04/2025"]})
        >>> datetime_column(days, "d", "f()")
        Traceback (most recent call last):
        ...
        crmkit.errors.SchemaError: f(): column 'd' must be dates in one stated format; found 2 dates that read two ways: '01/02/2025' is 1 February 2025 day first or 2 January 2025 month first, '03/04/2025' is 3 April 2025 or 4 March 2025 at rows [0, 1]. Say which: date_format='%d/%m/%Y' (day first) or date_format='%m/%d/%Y' (month first).
        >>> datetime_column(days, "d", "f()", date_format="%d/%m/%Y").dt.strftime("%F").tolist()
        ['2025-02-01', '2025-04-03']

        Numbers are dates only with a stated unit or format:

        >>> ints = pd.DataFrame({"d": [20250131, 20250201]})
        >>> datetime_column(ints, "d", "f()")
        Traceback (most recent call last):
        ...
        crmkit.errors.SchemaError: f(): column 'd' must be dates or datetimes; found numbers (dtype int64). They look like dates written as YYYYMMDD: pass date_format='%Y%m%d'. If they count time since 1970 instead, pass date_unit='s' (or 'ms', 'us', 'ns').
        >>> datetime_column(ints, "d", "f()", date_format="%Y%m%d").dt.strftime("%F").tolist()
        ['2025-01-31', '2025-02-01']
        >>> epoch = pd.DataFrame({"d": [1735689600]})
        >>> datetime_column(epoch, "d", "f()", date_unit="s", tz="Asia/Shanghai").iloc[0]
        Timestamp('2025-01-01 08:00:00+0800', tz='Asia/Shanghai')
    """
    series = _column(frame, column, owner)
    _check_date_options(owner, date_format=date_format, date_unit=date_unit)
    require_no_missing(frame, column, owner, what="dates")
    parsed, epoch = _parse_dates(
        series, frame.index, column, owner, date_format=date_format, date_unit=date_unit
    )
    outside = _outside(parsed)
    if outside.any():
        _refuse_outside(outside, parsed.iloc[int(np.flatnonzero(outside)[0])], frame.index,
                        column, owner)  # fmt: skip
    if tz is None:
        return parsed
    zone = resolve_timezone(tz, owner)
    try:
        return _in_zone(parsed, zone, epoch=epoch)
    except ValueError:  # pandas' AmbiguousTimeError / NonExistentTimeError
        refuse_wall_times(parsed, zone, column, owner)


def refuse_wall_times(naive: pd.Series, zone: dt.tzinfo, column: str, owner: str) -> NoReturn:
    """Refuse wall times that a daylight-saving change in ``zone`` skips or repeats.

    Such a naive time (NaT aside) has no one reading. Called where pandas'
    ``tz_localize`` raised for ``naive``; the error names ``column`` and the rows.
    """
    local = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    flags = local.isna().to_numpy(dtype=bool) & naive.notna().to_numpy(dtype=bool)
    raise InvalidInputError(
        owner,
        column,
        expected=f"wall-clock times that exist exactly once in {zone}",
        found=f"{_n(int(flags.sum()), 'time')} that a daylight-saving change skips or repeats",
        rows=first_labels(naive.index, flags),
        total=int(flags.sum()),
        hint="Give these values a UTC offset, or convert them to UTC first.",
    ) from None


def datetime_value(
    value: object,
    owner: str,
    field: str,
    *,
    tz: str | dt.tzinfo | None = None,
    date_format: str | None = None,
    error: type[CrmkitError] = ConfigError,
) -> pd.Timestamp:
    """Read one instant (an ``as_of``-style argument) the way :func:`datetime_column` reads a column.

    Accepts a ``datetime``, ``date``, ``Timestamp``, ``numpy.datetime64`` or a string in
    ISO 8601 (another format only with ``date_format=``). Numbers, ``None``, NaT and
    instants outside :data:`EARLIEST_DATE` to :data:`LATEST_DATE` are refused with
    ``error`` (a :class:`ConfigError` by default, naming ``field`` as a parameter; a
    cut-off is always read by :func:`cutoff_value`, which keeps that default). With
    ``tz``, a naive value is read in ``tz`` and an aware one converted to it. The result
    has nanosecond unit, so ``.value`` is nanoseconds since 1970 without overflow.

    Examples:
        >>> import datetime as dt
        >>> datetime_value("2025-01-31", "summarize()", "as_of")
        Timestamp('2025-01-31 00:00:00')
        >>> datetime_value(dt.datetime(2025, 1, 31, 9), "f()", "as_of", tz="Europe/Berlin")
        Timestamp('2025-01-31 09:00:00+0100', tz='Europe/Berlin')
        >>> datetime_value(dt.datetime(9999, 1, 1), "summarize()", "as_of")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: summarize(): parameter 'as_of' must be a date between 1678-01-01 and 2261-12-31; found 9999-01-01 00:00:00. crmkit computes in nanoseconds since 1970; pass a date inside that range (9999-12-31 as 'never' has no meaning as a cut-off).
    """
    expected = "a date, datetime, Timestamp or ISO 8601 string"
    if (
        value is None
        or value is pd.NaT
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, np.datetime64) and np.isnat(value))
    ):
        raise error(owner, field, expected=expected, found=repr(value))
    if isinstance(value, (bool, int, float, np.number)):
        raise error(
            owner,
            field,
            expected=expected,
            found=f"the number {value!r}",
            hint="Numbers are not read as dates; pass a datetime or an ISO 8601 string.",
        )
    if not isinstance(value, (str, dt.date, np.datetime64)):
        raise error(owner, field, expected=expected, found=type(value).__name__)
    _check_date_options(owner, date_format, None)
    # The one date path: the column reader's steps on a one-row column. A string is read
    # as ISO 8601 (basic "20250131" included) unless ``date_format`` says otherwise.
    one = pd.Series([value.strip() if isinstance(value, str) else value], dtype=object)
    in_range = f"a date {_RANGE}"
    try:
        parsed, _ = _parse_dates(
            one, one.index, field, owner, date_format=date_format or "ISO8601", date_unit=None
        )
    except CrmkitError as exc:
        if exc.expected == _RANGE_EXPECTED:  # beyond what pandas can hold at all
            raise error(
                owner, field, expected=in_range, found=repr(value), hint=_VALUE_RANGE_HINT
            ) from None
        if date_format is not None:
            hint = f"It must match {date_format!r}."
        else:
            why = _not_a_day(value) if isinstance(value, str) else ""
            hint = f"It is {why}. {_ISO_HINT}" if why else _ISO_HINT
        raise error(owner, field, expected=expected, found=repr(value), hint=hint) from None
    stamp: pd.Timestamp = parsed.iloc[0]
    if _outside(parsed).any():
        raise error(owner, field, expected=in_range, found=str(stamp), hint=_VALUE_RANGE_HINT)
    if tz is None:
        # An aware datetime keeps its own zone (the column reader gives UTC).
        zone_of = value.tzinfo if isinstance(value, dt.datetime) else None
        if stamp.tzinfo is not None and zone_of is not None:
            stamp = stamp.tz_convert(zone_of)
        return stamp.as_unit("ns")
    zone = resolve_timezone(tz, owner)
    try:
        zoned: pd.Timestamp = _in_zone(parsed, zone, epoch=False).iloc[0]
    except ValueError:  # a wall time that a daylight-saving change skips or repeats
        raise error(
            owner,
            field,
            expected=f"a wall-clock time that exists exactly once in {zone}",
            found=str(stamp),
            hint="Pass a timezone-aware value.",
        ) from None
    return zoned.as_unit("ns")


#: A date written as text: ``2025-06-30`` or ``20250630`` (ISO 8601 extended or basic, not
#: a mix of the two such as ``2025-0630``), or year first with one separator, fields unpadded (``2025/6/30``, ``2025.6.30``,
#: ``2025-6-30``: the forms :func:`datetime_column` reads as that day).
DAY_TEXT = r"\d{4}-\d{2}-\d{2}|\d{8}|\d{4}([-/. ])\d{1,2}\1\d{1,2}"
_ISO_DAY = re.compile(DAY_TEXT)
#: Text shorter than the shortest full date (``2025/1/1``): what pandas' ISO 8601 reader
#: would take from it is a word (``now``, ``today``: the clock) or a partial date
#: (``2025-06``, ``2025``: a month or a year read as its first instant), never a day.
_SHORTEST_DATE = 8
_ONE_NS = pd.Timedelta(1, "ns")


class Cutoff(NamedTuple):
    """An ``as_of``-style point, read by :func:`cutoff_value`: what is up to it is in.

    ``end`` is exclusive: the next midnight for a day, one nanosecond after an instant.
    ``label`` is what was passed: the instant, or the day's midnight. ``aware``: the value
    carried its own zone (a date or a naive datetime does not).
    """

    end: pd.Timestamp
    label: pd.Timestamp
    whole_day: bool
    aware: bool

    @property
    def last(self) -> pd.Timestamp:
        """The last instant included (nanoseconds)."""
        return self.end - _ONE_NS


def is_whole_day(value: object) -> bool:
    """Whether ``value`` names a day rather than an instant.

    A ``datetime.date`` that is not a datetime, a ``numpy.datetime64`` in days, or a
    string that is a date alone: ISO 8601 (``2025-06-30``, ``20250630``) or year first with
    its fields unpadded (``2025/6/30``, ``2025.6.30``), as the date reader reads them.

    >>> is_whole_day("2025-06-30"), is_whole_day(" 20250630 "), is_whole_day("2025-06-30 00:00")
    (True, True, False)
    >>> is_whole_day("2025-9-30"), is_whole_day("2025/9/30"), is_whole_day("2025/9-30")
    (True, True, False)
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    if isinstance(value, np.datetime64):
        return np.datetime_data(value.dtype)[0] in ("D", "W", "M", "Y")
    return isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()) is not None


#: ``strftime`` codes of a time of day (hours, minutes, seconds, fractions, AM/PM, and the
#: codes that write one: ``%X``, ``%c``, ``%T``, ``%R``, ``%r``, ``%s``, ``%k``, ``%l``).
_TIME_CODES = re.compile(r"%[-#_^0]?[HIMSfpXcTRrskl]")


def writes_time(date_format: str) -> bool:
    """Whether a ``strftime`` format reads a time of day (``"%d/%m/%Y %H:%M"``).

    >>> writes_time("%d/%m/%Y %H:%M"), writes_time("%Y%m%d"), writes_time("%Y%m%d %%H")
    (True, False, False)
    """
    return _TIME_CODES.search(date_format.replace("%%", "")) is not None


def whole_day_mask(
    values: pd.Series, date_format: str | None, date_unit: str | None = None
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which values of a time column (none missing) name a day, not an instant.

    What :func:`datetime_column` reads as a midnight with no time of day written: text of
    a day alone (:data:`DAY_TEXT`), ``datetime.date`` objects and ``numpy.datetime64`` in
    days (:func:`is_whole_day`), Arrow dates, text or numbers read with a
    ``date_format`` that has no time of day (``"%Y%m%d"``), and whole Excel day numbers
    (``date_unit="excel"``, :func:`excel_whole_days`). Instants: datetimes,
    ``Timestamp``, datetime64 columns (pandas holds no day unit), text with a time of day,
    epoch numbers (``date_unit="s"`` to ``"ns"``) and Excel day numbers with a time of day
    (a fraction). The one reading of "a date alone" for every column where it is refused
    (an end instant, an event time); pass the ``date_unit`` the column is read with.

    >>> whole_day_mask(pd.Series(["2025-06-30", "2025-06-30 09:00", "2025/7/1"]), None)
    array([ True, False,  True])
    >>> whole_day_mask(pd.Series([45930, 45930.5]), None, "excel")
    array([ True, False])
    >>> whole_day_mask(pd.Series([1759190400, 1759233600]), None, "s")
    array([False, False])
    """
    n = len(values)
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = values.astype(dtype.categories.dtype)
        dtype = values.dtype
    formatted = date_format is not None and date_format != "ISO8601"
    by_format = date_format is not None and not writes_time(date_format)
    # Numbers read as Excel day numbers (with a format, the reader refuses the unit).
    excel = date_unit == "excel" and date_format is None
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        return np.full(n, str(dtype.pyarrow_dtype).startswith("date"))
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        return np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(dtype):
        return excel_whole_days(values) if excel else np.full(n, by_format)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return excel_whole_days(values) if excel else np.full(n, by_format)
    if kind not in ("string", "empty"):  # objects: dates, datetimes, Timestamps, datetime64
        objects = values.to_numpy(dtype=object)
        return np.fromiter(map(is_whole_day, objects), dtype=bool, count=n)
    if formatted:
        return np.full(n, by_format)
    text = values.astype(object).str.strip()
    if date_format is None and text.str.fullmatch(_NUMBER_TEXT).all():
        # Numbers written as text, read with date_unit: epoch numbers are instants.
        return excel_whole_days(text) if excel else np.zeros(n, dtype=bool)
    return np.asarray(text.str.fullmatch(DAY_TEXT).to_numpy(dtype=bool), dtype=bool)


#: Why a whole Excel day number is a date alone: Excel stores a date, and a date and time
#: at exactly midnight, as the same whole number (45930 is 2025-09-30, and 2025-09-30 00:00).
EXCEL_WHOLE_DAY = "Excel stores a date and a time of exactly midnight alike, as a whole day number"


def _excel_ms(serials: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Excel day numbers as milliseconds since 1970 (whole, as floats): the one rounding.

    Excel keeps times of day as fractions of a day in a double and shows at most
    milliseconds, so the fraction is rounded to the millisecond.
    """
    result: np.ndarray[Any, np.dtype[np.float64]] = np.round(
        (serials.astype(np.float64) - _EXCEL_1970) * 86_400_000
    )
    return result


def excel_whole_days(values: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which Excel day numbers (numbers, or numbers written as text) are whole days.

    A whole day number has no time of day: it is read as that day's midnight, and it is
    how Excel stores both a date and a time of exactly midnight, so where an instant is
    required it is a date alone (see :func:`whole_day_mask`). "Whole" is judged after the
    reader's rounding to the millisecond, so ``45930.0000000001`` (floating-point noise
    around a midnight) is whole too; values that are not finite numbers are not.

    >>> excel_whole_days(pd.Series([45930, 45930.5, 45930.0000000001]))
    array([ True, False,  True])
    >>> excel_whole_days(pd.Series(["45930", " 45930.25 "]))
    array([ True, False])
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.dtype.categories.dtype)
    if not pd.api.types.is_numeric_dtype(values.dtype):
        values = values.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
    numbers = pd.to_numeric(values, errors="coerce")
    serials = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        ms = _excel_ms(serials)
        whole = np.isfinite(ms) & (np.mod(ms, 86_400_000) == 0)
    return np.asarray(whole, dtype=bool)


def excel_day(value: object) -> dt.date:
    """The day an Excel day number names (``date_unit="excel"``), for messages.

    >>> excel_day(45930), excel_day(" 45930 "), excel_day(45930.75)
    (datetime.date(2025, 9, 30), datetime.date(2025, 9, 30), datetime.date(2025, 9, 30))
    """
    ms = int(_excel_ms(np.array([float(str(value).strip())]))[0])
    return dt.date(1970, 1, 1) + dt.timedelta(days=ms // 86_400_000)


def excel_datetimes(frame: str, column: str) -> str:
    """The pandas code that reads an Excel day-number column as datetimes, for hints.

    It reads as crmkit does (days since 1899-12-30, rounded to the millisecond); a whole
    number becomes that day's midnight, stated.

    >>> excel_datetimes("events", "time")
    "pd.to_datetime(events['time'], unit='D', origin='1899-12-30').dt.round('ms')"
    """
    return f"pd.to_datetime({frame}[{column!r}], unit='D', origin='1899-12-30').dt.round('ms')"


def refuse_lookalike_ids(
    ids: pd.Series, codes: np.ndarray[Any, Any], labels: pd.Index, owner: str
) -> None:
    """Refuse ids of different types that read the same as text (``1`` and ``"1"``).

    Such a pair is one customer (or member) written two ways (typically two sources
    stacked, one read with numeric ids, one with text ids); grouping them apart would split
    the customer silently, so the readers refuse rather than guess which one is meant.

    ``codes`` and ``labels`` are ``pd.factorize(ids)``'s; call it where the labels'
    ``inferred_type`` is mixed (the only case it can find anything).

    >>> ids = pd.Series([7, "7", 8], dtype=object, name="customer_id")
    >>> codes, uniques = pd.factorize(ids)
    >>> refuse_lookalike_ids(ids, codes, pd.Index(uniques), "summarize()")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: summarize(): column 'customer_id' must be ids of one type; found 1 id written as two types (int and str) at rows [0, 1]. Convert the column to one type first, e.g. frame['customer_id'].astype(str).
    """
    text = pd.Series(labels.map(str), dtype=object)
    clash = text.duplicated(keep=False).to_numpy()
    if not clash.any():
        return
    first = int(np.flatnonzero(clash)[0])
    raise lookalike_ids_error(
        owner,
        str(ids.name),
        n_ids=int(text[clash].nunique()),
        kinds={type(v).__name__ for v in labels[text == text.iloc[first]]},
        rows=first_labels(ids.index, clash[codes]),
        total=int(np.count_nonzero(clash[codes])),
    )


def lookalike_ids_error(
    owner: str, column: str, *, n_ids: int, kinds: Iterable[str], rows: list[Any], total: int
) -> InvalidInputError:
    """The error for ``n_ids`` ids written as several ``kinds`` of value (``1`` and ``"1"``).

    One wording for :func:`refuse_lookalike_ids` and its Dask counterpart
    (:func:`crmkit.segmentation._dask.refuse_lookalike_ids_dask`).

    >>> print(lookalike_ids_error("f()", "id", n_ids=2, kinds={"str", "int"}, rows=[0, 3],
    ...                           total=4))
    f(): column 'id' must be ids of one type; found 2 ids written as two types (int and str) at rows [0, 3] (first 2 of 4). Convert the column to one type first, e.g. frame['id'].astype(str).
    """
    return InvalidInputError(
        owner,
        column,
        expected="ids of one type",
        found=f"{n_ids} {'id' if n_ids == 1 else 'ids'} written as two types"
        f" ({' and '.join(sorted(kinds))})",
        rows=rows,
        total=total,
        hint=f"Convert the column to one type first, e.g. frame[{column!r}].astype(str).",
    )


def cutoff_value(
    value: object,
    owner: str,
    field: str,
    *,
    tz: str | dt.tzinfo | None = None,
) -> Cutoff:
    """Read an ``as_of``-style cut-off, the one way every crmkit function reads one.

    A day (a ``datetime.date``, or an ISO 8601 date such as ``"2025-06-30"``) means the end
    of that day: everything on it is in. Anything else is read by :func:`datetime_value` as
    an instant, which is in itself. With ``tz``, a day ends at the next midnight in ``tz``
    (a midnight that a daylight-saving change skips ends it at the first instant after).

    A value that cannot be read (None, NaN, NaT, a number, text that is not ISO 8601 or
    names no real day, an instant outside :data:`EARLIEST_DATE` to :data:`LATEST_DATE`)
    is a :class:`~crmkit.errors.ConfigError` naming ``field`` as a parameter, in every
    part of crmkit: a cut-off is a parameter of the call, not data.

    Examples:
        >>> cut = cutoff_value("2025-06-30", "f()", "as_of", tz="Asia/Shanghai")
        >>> cut.end, cut.whole_day
        (Timestamp('2025-07-01 00:00:00+0800', tz='Asia/Shanghai'), True)
        >>> cutoff_value("2025-06-30 18:00", "f()", "as_of").last
        Timestamp('2025-06-30 18:00:00')
    """
    raw = datetime_value(value, owner, field)
    if not is_whole_day(value):
        stamp = raw if tz is None else datetime_value(value, owner, field, tz=tz)
        return Cutoff(stamp + _ONE_NS, stamp, False, raw.tzinfo is not None)
    # A day carries no zone: its midnight is a wall time, and so is the next one.
    following = raw + pd.Timedelta(days=1)
    midnight = raw
    if tz is not None:
        zone = resolve_timezone(tz, owner)
        following = following.tz_localize(zone, nonexistent="shift_forward", ambiguous=False)
        midnight = midnight.tz_localize(zone, nonexistent="shift_forward", ambiguous=False)
    return Cutoff(following, midnight, True, False)


def _column(frame: pd.DataFrame, column: str, owner: str) -> pd.Series:
    series: Any = frame[column]
    if isinstance(series, pd.DataFrame):
        raise SchemaError(
            owner,
            str(column),
            expected="one column",
            found=f"{series.shape[1]} columns with that name",
            hint="Rename or drop the duplicated columns.",
        )
    column_values: pd.Series = series
    return column_values


def _check_date_options(owner: str, date_format: object, date_unit: object) -> None:
    check_choice(date_unit, DATE_UNITS, owner, "date_unit", optional=True)
    if date_format is not None and (not isinstance(date_format, str) or date_format == "mixed"):
        raise ConfigError(
            owner,
            "date_format",
            expected="a strftime format such as '%d/%m/%Y', or 'ISO8601'",
            found=repr(date_format),
            hint="crmkit never guesses a format per value ('mixed').",
        )


def _parse_dates(
    series: pd.Series,
    index: pd.Index,
    column: str,
    owner: str,
    *,
    date_format: str | None,
    date_unit: str | None,
) -> tuple[pd.Series, bool]:
    """Parse ``series``; the flag says the values are epoch instants (UTC)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(dtype.categories.dtype)
        dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        # Arrow timestamps and dates: the numpy dtype of the same unit and zone. Arrow
        # dates (date32/date64) have no unit of their own; they become whole seconds.
        arrow = dtype.pyarrow_dtype
        unit: Any = getattr(arrow, "unit", None) or "s"
        zone = getattr(arrow, "tz", None)
        target: Any = pd.DatetimeTZDtype(unit, zone) if zone else np.dtype(f"datetime64[{unit}]")
        return series.astype(target), False
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        return series, False
    if pd.api.types.is_bool_dtype(dtype):
        raise SchemaError(
            owner, column, expected="dates or datetimes", found=f"booleans (dtype {dtype})"
        )
    # Epoch numbers are instants in UTC; numbers in a format (20250131) and Excel serials
    # are wall-clock dates and times, read like naive text.
    epoch = date_format is None and date_unit in EPOCH_UNITS
    if pd.api.types.is_numeric_dtype(dtype):
        return _dates_from_numbers(
            series, index, column, owner, date_format=date_format, date_unit=date_unit
        ), epoch
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind in ("string", "empty"):
        return _dates_from_strings(
            series, index, column, owner, date_format=date_format, date_unit=date_unit
        )
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return _dates_from_numbers(
            series, index, column, owner, date_format=date_format, date_unit=date_unit
        ), epoch
    if kind in ("datetime", "datetime64", "date"):
        return _dates_from_objects(series, index, column, owner), False
    types = series.map(lambda v: type(v).__name__)
    counts = types.value_counts()
    if len(counts) == 1:
        raise SchemaError(
            owner,
            column,
            expected="dates or datetimes",
            found=f"{counts.index[0]} values (dtype {dtype})",
        )
    minority = counts.index[-1]
    mask = (types == minority).to_numpy()
    raise SchemaError(
        owner,
        column,
        expected="dates or datetimes of one kind",
        found=f"values of {len(counts)} kinds ({', '.join(map(str, counts.index))}); "
        f"{int(mask.sum())} {minority}",
        rows=first_labels(index, mask),
        total=int(mask.sum()),
        hint="Convert the column to one type first.",
    )


def _numbers_hint(values: np.ndarray[Any, Any]) -> str:
    as_float = values.astype(np.float64)
    with np.errstate(invalid="ignore"):
        plausible = bool(np.all(np.isfinite(as_float) & (np.abs(as_float) < 1e15)))
        whole = plausible and bool(np.all(np.mod(as_float, 1) == 0))
    if whole and values.size:
        ymd = as_float.astype(np.int64)
        month, day = ymd // 100 % 100, ymd % 100
        if bool(
            np.all((ymd >= 10000101) & (ymd <= 99991231))
            & np.all((month >= 1) & (month <= 12) & (day >= 1) & (day <= 31))
        ):
            return (
                "They look like dates written as YYYYMMDD: pass date_format='%Y%m%d'. If they "
                "count time since 1970 instead, pass date_unit='s' (or 'ms', 'us', 'ns')."
            )
    if plausible and values.size and bool(np.all((as_float >= 20_000) & (as_float < 80_000))):
        return (
            "They look like Excel day numbers (a date column formatted as General): pass "
            "date_unit='excel'. If they count time since 1970 instead, pass date_unit='s' "
            "(or 'ms', 'us', 'ns')."
        )
    return (
        "Say what the numbers mean: date_unit='s' (or 'ms', 'us', 'ns') for time since "
        "1970-01-01 UTC, date_unit='excel' for Excel day numbers, or date_format='%Y%m%d' "
        "for numbers such as 20250131."
    )


def _dates_from_numbers(
    series: pd.Series,
    index: pd.Index,
    column: str,
    owner: str,
    *,
    date_format: str | None,
    date_unit: str | None,
    found: str | None = None,
) -> pd.Series:
    """Epoch numbers (with ``date_unit``) or numbers such as 20250131 (with a format)."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
        values: np.ndarray[Any, Any] = series.to_numpy()
    else:
        numbers = pd.to_numeric(series, errors="coerce")
        if isinstance(numbers.dtype, np.dtype) and numbers.dtype.kind in "iu":
            values = numbers.to_numpy()
        else:
            values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    found = found or f"numbers (dtype {series.dtype})"
    if date_unit is None and date_format is None:
        raise SchemaError(
            owner, column, expected="dates or datetimes", found=found, hint=_numbers_hint(values)
        )
    if date_unit is not None and date_format is not None:
        raise ConfigError(
            owner,
            "date_unit",
            expected="given without date_format for a column of numbers",
            found=f"date_unit={date_unit!r} and date_format={date_format!r}",
            hint="Pass date_unit= for epoch numbers or date_format= for numbers like 20250131.",
        )
    floating = values.dtype.kind == "f"
    if floating:
        bad = ~np.isfinite(values)
        if bad.any():
            raise InvalidInputError(
                owner,
                column,
                expected="finite numbers",
                found=f"{int(bad.sum())} NaN or infinite values",
                rows=first_labels(index, bad),
                total=int(bad.sum()),
            )
    whole = not floating or bool(np.all(np.mod(values, 1) == 0))
    if date_format is not None:
        if not whole:
            bad = np.mod(values, 1) != 0
            raise InvalidInputError(
                owner,
                column,
                expected=f"whole numbers written in the format {date_format!r}",
                found=f"{int(bad.sum())} fractional numbers",
                rows=first_labels(index, bad),
                total=int(bad.sum()),
            )
        huge = np.abs(values.astype(np.float64)) >= 1e15  # no format has 16 digits of date
        if huge.any():
            raise InvalidInputError(
                owner,
                column,
                expected=f"whole numbers written in the format {date_format!r}",
                found=f"{int(huge.sum())} numbers of 16 digits or more",
                rows=first_labels(index, huge),
                total=int(huge.sum()),
            )
        text = pd.Series(values.astype(np.int64).astype(str), index=series.index, name=series.name)
        return _dates_from_format(text, index, column, owner, date_format)
    assert date_unit is not None
    if date_unit == "excel":
        return _dates_from_excel(values, series, index, column, owner)
    per = _NS_PER[date_unit]
    approx = values.astype(np.float64) * per
    outside = (approx < _LOW_NS) | (approx >= _HIGH_NS)
    if outside.any():
        raise InvalidInputError(
            owner,
            column,
            expected=_RANGE_EXPECTED,
            found=f"{_n(int(outside.sum()), 'number')} outside it when read as {date_unit!r} since 1970",
            rows=first_labels(index, outside),
            total=int(outside.sum()),
            hint="Check date_unit: milliseconds read as seconds land far in the future.",
        )
    if whole:
        stamps = values.astype(np.int64).astype(f"datetime64[{date_unit}]")
    else:  # fractional: whole units plus the rounded fraction, in nanoseconds
        floor = np.floor(values)
        ns = floor.astype(np.int64) * per + np.round((values - floor) * per).astype(np.int64)
        stamps = ns.astype("datetime64[ns]")
    return pd.Series(stamps, index=series.index, name=series.name)


def _dates_from_excel(
    values: np.ndarray[Any, Any], series: pd.Series, index: pd.Index, column: str, owner: str
) -> pd.Series:
    """Excel serials (``date_unit="excel"``) as naive wall-clock times, to the millisecond.

    Excel keeps times of day as fractions of a day in a double and shows at most
    milliseconds, so the fraction is rounded to the millisecond (``45658.5416666667`` is
    13:00:00, not 13:00:00.000029).
    """
    low = np.datetime64(EARLIEST_DATE.isoformat(), "D") - np.datetime64("1970-01-01", "D")
    high = np.datetime64(LATEST_DATE.isoformat(), "D") - np.datetime64("1970-01-01", "D")
    first = max(_EXCEL_FIRST, _EXCEL_1970 + int(low.astype(np.int64)))
    end = _EXCEL_1970 + int(high.astype(np.int64)) + 1
    as_float = values.astype(np.float64)
    outside = (as_float < first) | (as_float >= end)
    if outside.any():
        raise InvalidInputError(
            owner,
            column,
            expected=f"Excel day numbers from {first} (1900-03-01) to {end - 1} ({LATEST_DATE})",
            found=f"{_n(int(outside.sum()), 'number')} outside them",
            rows=first_labels(index, outside),
            total=int(outside.sum()),
            hint="Excel's serials 1-60 count a 29 February 1900 that never was; the 1904 "
            "date system (old Mac workbooks) is 1,462 days lower: add 1462 first.",
        )
    ms = _excel_ms(as_float).astype(np.int64)
    stamps = ms.astype("datetime64[ms]")
    return pd.Series(stamps, index=series.index, name=series.name)


def _examples(values: pd.Series, n: int = 2) -> str:
    # The first distinct values as text (values may be unhashable, e.g. lists).
    shown = list(dict.fromkeys(repr(str(v)[:40]) for v in values.to_numpy(dtype=object)[:100]))[:n]
    return " and ".join(shown)


def _dates_from_strings(
    series: pd.Series,
    index: pd.Index,
    column: str,
    owner: str,
    *,
    date_format: str | None,
    date_unit: str | None,
) -> tuple[pd.Series, bool]:
    text = series.str.strip()
    blank = _flags(text == "")
    if blank.any():  # an empty CSV cell read as text: a missing date, said the same way
        values = text.to_numpy(dtype=object, copy=True)
        values[blank] = None
        require_no_missing(pd.DataFrame({column: values}, index=index), column, owner, "dates")
    if date_format is not None and date_format != "ISO8601":
        return _dates_from_format(text, index, column, owner, date_format), False
    digits = _flags(text.str.fullmatch(_NUMBER_TEXT))
    if digits.all() and date_format is None:
        found = f"numbers written as text (dtype {series.dtype})"
        return _dates_from_numbers(
            text, index, column, owner, date_format=None, date_unit=date_unit, found=found
        ), date_unit in EPOCH_UNITS
    aware = _flags(text.str.slice(10).str.contains(_OFFSET_MARK, regex=True))
    _refuse_mixed_awareness(aware, index, column, owner, "Give every value a UTC offset, or none.")
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=bool(aware.any()))
    if aware.any():
        parsed = _in_written_offset(parsed, text)
    bad = parsed.isna().to_numpy()
    if aware.any():
        # An offset of a day or more (``+24:00``) is no UTC offset.
        bad = bad | (aware & _flags(text.str.contains(_NO_OFFSET, regex=True)))
    if bad.any() and aware.all():
        seconds = bad & _flags(text.str.contains(_OFFSET_SECONDS, regex=True))
        if seconds.any():  # rare (historic offsets): one Python step per such value
            parsed = parsed.copy()
            readings: Any = [_from_iso(t) for t in text[seconds]]
            parsed[seconds] = pd.to_datetime(readings, utc=True).as_unit(parsed.dt.unit)
            bad = parsed.isna().to_numpy()
    # Words and partial dates: pandas reads "now" and "today" as the clock, "2025-06" as
    # its first instant; neither is a date as written (the length test keeps this cheap).
    bad = bad | _flags(text.str.len() < _SHORTEST_DATE)
    if bad.any():
        # ISO 8601 that pandas cannot hold (years 1 to 1677, 2263 to 9999): out of range,
        # not "not a date" (an error path: one Python step per refused value).
        far = bad.copy()
        far[bad] = [_beyond_pandas(_from_iso(t)) for t in text[bad]]
        if far.any():
            _refuse_outside(far, text[far].iloc[0], index, column, owner)
        _refuse_non_iso(text, bad, index, column, owner)
    return parsed, False


#: The UTC offset that ends an ISO 8601 time: ``Z``, ``+08``, ``+0800``, ``+08:00``, or with
#: seconds (historic offsets).
_OFFSET_TAIL = r"(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$"
#: An offset of 24 hours or more, which no clock has (Python refuses it).
_NO_OFFSET = r"[+-](?:2[4-9]|[3-9]\d)(?::?\d{2}(?::?\d{2})?)?$"


def _in_written_offset(parsed: pd.Series, text: pd.Series) -> pd.Series:
    """Instants written with one UTC offset, in that offset; several offsets: in UTC.

    A file written in Beijing time (``2025-01-02T07:00+08:00``) keeps ``UTC+08:00``, so
    its days and months are counted where they were written (7:00 on 2 January is not
    1 January). Values with different offsets have no one clock to count days on: they
    stay UTC instants (pass a ``timezone=`` where a function takes one).
    """
    tails = text.str.extract(_OFFSET_TAIL, expand=False).dropna().unique()
    offsets = {_offset_seconds(str(tail)) for tail in tails}
    if len(offsets) != 1:
        return parsed
    (seconds,) = offsets
    if seconds == 0 or abs(seconds) >= 86_400:  # none, or none a clock has (refused after)
        return parsed
    written: pd.Series = parsed.dt.tz_convert(dt.timezone(dt.timedelta(seconds=seconds)))
    return written


def _offset_seconds(tail: str) -> int:
    """Seconds east of UTC of an offset written as ``_OFFSET_TAIL`` matches it."""
    if tail == "Z":
        return 0
    digits = tail[1:].replace(":", "")
    hours, minutes, secs = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    total = hours * 3600 + minutes * 60 + secs
    return -total if tail[0] == "-" else total


def _from_iso(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _beyond_pandas(value: dt.datetime | None) -> bool:
    """Whether Python read ``value`` as a date outside the years pandas holds.

    Python also reads text pandas refuses inside the range (``2023-07-30+08:00``, a date
    with an offset and no time): that is not ISO 8601 to crmkit, not out of range.
    """
    return value is not None and not EARLIEST_DATE <= value.date() <= LATEST_DATE


def _flags(result: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    return np.asarray(result.fillna(False).to_numpy(dtype=object), dtype=bool)


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _reading(day: int, month: int, year: int) -> str:
    try:
        return dt.date(year, month, day).strftime("%-d %B %Y")
    except ValueError:
        return "no such date"


def _refuse_non_iso(
    text: pd.Series,
    bad: np.ndarray[Any, np.dtype[np.bool_]],
    index: pd.Index,
    column: str,
    owner: str,
) -> None:
    """Explain why strings are not read: not ISO, two readings, or mixed formats."""
    n_bad = int(bad.sum())
    rows = first_labels(index, bad)
    odd = text[bad]
    parts = odd.str.fullmatch(_DAY_MONTH)
    if _flags(parts).all():
        found = odd.str.extract(_DAY_MONTH)
        a = found["a"].astype(int).to_numpy()
        b = found["b"].astype(int).to_numpy()
        seps = found["sep"].unique()
        widths = found["year"].str.len().unique()
        rests = found["rest"].str.strip()
        if (bad.sum() < len(bad)) or len(seps) > 1 or len(widths) > 1:
            iso_example = _examples(text[~bad], 1)
            raise SchemaError(
                owner,
                column,
                expected="dates in one format",
                found=f"mixed formats: {_n(n_bad, 'value')} such as {_examples(odd)}"
                + (f" besides ISO 8601 ones such as {iso_example}" if iso_example else ""),
                rows=rows,
                total=n_bad,
                hint="Write every value in one format; state it with date_format= "
                "unless it is ISO 8601.",
            )
        sep = str(seps[0])
        year = "%Y" if int(widths[0]) == 4 else "%y"
        time = ""
        if (rests != "").any():
            if rests.str.fullmatch(r"\d{1,2}:\d{2}:\d{2}").all():
                time = " %H:%M:%S"
            elif rests.str.fullmatch(r"\d{1,2}:\d{2}").all():
                time = " %H:%M"
            else:
                time = " <time part>"
        day_first = f"%d{sep}%m{sep}{year}{time}"
        month_first = f"%m{sep}%d{sep}{year}{time}"
        day_ok = bool(np.all(b <= 12))
        month_ok = bool(np.all(a <= 12))
        if day_ok and month_ok:
            # Two different values, preferring ones whose readings differ (not 05/05).
            first_seen = ~odd.duplicated().to_numpy()
            differ = first_seen & (a != b)
            pick = np.flatnonzero(differ if differ.any() else first_seen)[:2]
            years = found["year"].astype(int).to_numpy()
            years = np.where(years < 100, 2000 + years, years)
            shown = []
            for k, i in enumerate(pick):
                value = repr(str(odd.iloc[i]))
                first = _reading(int(a[i]), int(b[i]), int(years[i]))
                second = _reading(int(b[i]), int(a[i]), int(years[i]))
                shown.append(
                    f"{value} is {first} day first or {second} month first"
                    if k == 0
                    else f"{value} is {first} or {second}"
                )
            raise SchemaError(
                owner,
                column,
                expected="dates in one stated format",
                found=f"{_n(n_bad, 'date')} that read two ways: " + ", ".join(shown),
                rows=rows,
                total=n_bad,
                hint=f"Say which: date_format={day_first!r} (day first) or "
                f"date_format={month_first!r} (month first).",
            )
        if day_ok or month_ok:
            fmt, order = (day_first, "day first") if day_ok else (month_first, "month first")
            raise SchemaError(
                owner,
                column,
                expected="dates in ISO 8601 or in the format named by date_format",
                found=f"{_n(n_bad, 'value')} such as {_examples(odd)}, which read only {order}",
                rows=rows,
                total=n_bad,
                hint=f"Pass date_format={fmt!r} to read them, or write them as ISO 8601.",
            )
        raise SchemaError(
            owner,
            column,
            expected="dates in one format",
            found=f"day first and month first mixed: {_examples(odd[a > 12], 1)} reads only "
            f"day first and {_examples(odd[b > 12], 1)} only month first",
            rows=rows,
            total=n_bad,
            hint="Correct the rows written in the other order.",
        )
    first = str(odd.iloc[0])
    why = _not_a_day(first)
    raise SchemaError(
        owner,
        column,
        expected="dates or datetimes",
        found=f"{n_bad} values that are not dates",
        rows=rows,
        total=n_bad,
        hint=f"The first is {first[:40]!r}{': ' + why if why else ''}. {_ISO_HINT}",
    )


def _not_a_day(text: str) -> str:
    """Why text shorter than any date is refused ("" for longer text)."""
    if len(text.strip()) >= _SHORTEST_DATE:
        return ""
    return (
        "a word or a part of a date (a month, a year), which names no one day or instant: "
        "write the day (2025-06-30) or the instant"
    )


def _dates_from_format(
    text: pd.Series, index: pd.Index, column: str, owner: str, date_format: str
) -> pd.Series:
    try:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc="%z" in date_format)
    except ValueError as exc:
        raise ConfigError(
            owner,
            "date_format",
            expected="a strftime format such as '%d/%m/%Y'",
            found=f"{date_format!r} ({exc})",
        ) from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        odd = text[bad]
        iso = pd.to_datetime(odd, format="ISO8601", errors="coerce", utc=True).notna().to_numpy()
        found = f"{int(bad.sum())} values that do not match it, such as {_examples(odd)}"
        if iso.all():
            found = f"mixed formats: {int(bad.sum())} values in ISO 8601, such as {_examples(odd)}"
        raise SchemaError(
            owner,
            column,
            expected=f"dates in the format {date_format!r}",
            found=found,
            rows=first_labels(index, bad),
            total=int(bad.sum()),
            hint="Write every value in one format.",
        )
    return parsed


def _dates_from_objects(series: pd.Series, index: pd.Index, column: str, owner: str) -> pd.Series:
    aware = series.map(_is_aware).to_numpy(dtype=bool)
    _refuse_mixed_awareness(
        aware, index, column, owner, "Localize or convert the column to one time zone first."
    )
    try:
        return pd.to_datetime(series, utc=bool(aware.any()))
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
        raise SchemaError(
            owner,
            column,
            expected=_RANGE_EXPECTED,
            found="values pandas cannot hold",
            hint=_RANGE_HINT,
        ) from None


def _refuse_outside(
    outside: np.ndarray[Any, np.dtype[np.bool_]],
    first: object,
    index: pd.Index,
    column: str,
    owner: str,
) -> NoReturn:
    """Refuse dates outside :data:`EARLIEST_DATE` to :data:`LATEST_DATE`, naming the rows."""
    raise InvalidInputError(
        owner,
        column,
        expected=_RANGE_EXPECTED,
        found=f"{_n(int(outside.sum()), 'date')} outside it, the first {first}",
        rows=first_labels(index, outside),
        total=int(outside.sum()),
        hint=_RANGE_HINT,
    )


def _refuse_mixed_awareness(
    aware: np.ndarray[Any, np.dtype[np.bool_]], index: pd.Index, column: str, owner: str, hint: str
) -> None:
    """Refuse a column mixing naive and aware values, naming the fewer kind's rows."""
    if not aware.any() or aware.all():
        return
    minority = aware if aware.sum() <= (~aware).sum() else ~aware
    word = "aware" if minority is aware else "naive"
    raise InvalidInputError(
        owner,
        column,
        expected="all naive or all timezone-aware",
        found=f"{int(minority.sum())} {word} values among the others",
        rows=first_labels(index, minority),
        total=int(minority.sum()),
        hint=hint,
    )


def _is_aware(value: Any) -> bool:
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


def _outside(parsed: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Flag the instants outside :data:`EARLIEST_DATE` to :data:`LATEST_DATE` (in UTC)."""
    values = parsed.dt.tz_convert(None) if isinstance(parsed.dtype, pd.DatetimeTZDtype) else parsed
    stamps = values.to_numpy()
    flags: np.ndarray[Any, np.dtype[np.bool_]] = (stamps < _LOW) | (stamps >= _HIGH)
    return flags


def _in_zone(parsed: pd.Series, zone: dt.tzinfo, *, epoch: bool) -> pd.Series:
    """Aware values converted to ``zone``, naive ones read as wall-clock times there.

    Epoch readings are instants in UTC. Raises pandas' ``ValueError`` for wall-clock
    times that a daylight-saving change skips or repeats; the callers phrase it.
    """
    if epoch:
        parsed = parsed.dt.tz_localize("UTC")
    local: pd.Series
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        local = parsed.dt.tz_convert(zone)
    else:
        local = parsed.dt.tz_localize(zone, ambiguous="raise", nonexistent="raise")
    return local


def check_unique(frame: pd.DataFrame, column: str | None, owner: str) -> None:
    """Raise :class:`InvalidInputError` listing rows whose ``column`` value (or index) repeats.

    >>> import pandas as pd
    >>> check_unique(pd.DataFrame({"id": [1, 2, 2]}), "id", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: f(): column 'id' must be unique; found 1 duplicated ids at rows [2].
    """
    if column is None:
        check_unique_labels(frame.index, owner, "index")
        return
    dup = np.asarray(frame[column].duplicated(keep="first"), dtype=bool)
    if dup.any():
        raise InvalidInputError(
            owner,
            column,
            expected="unique",
            found=f"{int(dup.sum())} duplicated ids",
            rows=first_labels(frame.index, dup),
            total=int(dup.sum()),
        )


def check_unique_labels(
    index: pd.Index,
    owner: str,
    field: str,
    *,
    expected: str = "unique",
    hint: str = "",
    kind: str | None = None,
) -> None:
    """Raise :class:`InvalidInputError` when a label of ``index`` is on more than one row.

    Each repeated label is named once (the rows are labels: naming ``'a'`` twice would
    say nothing more).

    >>> check_unique_labels(pd.Index(["a", "b", "a", "a"]), "f()", "values", kind="")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: f(): 'values' must be unique; found 1 label on more than one row at rows ['a'].
    """
    if index.is_unique:
        return
    repeated = index.duplicated(keep=False) & ~index.duplicated(keep="first")
    count = int(repeated.sum())
    raise InvalidInputError(
        owner,
        field,
        expected=expected,
        found=f"{count} {'label' if count == 1 else 'labels'} on more than one row",
        rows=first_labels(index, repeated),
        total=count,
        hint=hint,
        kind=kind,
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
