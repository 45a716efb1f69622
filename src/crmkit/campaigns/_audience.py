"""Audiences and tags as data: a JSON condition tree over the columns of a customer frame.

A condition is one of

* ``{"kind": "compare", "column": c, "op": op, "value": v}`` with ``op`` one of ``==``,
  ``!=``, ``<``, ``<=``, ``>``, ``>=``;
* ``{"kind": "in", "column": c, "values": [...]}``;
* ``{"kind": "between", "column": c, "low": a, "high": b}`` (both ends included);
* ``{"kind": "is_null", "column": c}``;
* ``{"kind": "all", "conditions": [...]}``, ``{"kind": "any", "conditions": [...]}``
  (an empty ``all`` is true, an empty ``any`` false) and
  ``{"kind": "not", "condition": {...}}``.

Values are JSON scalars: numbers for numeric columns, ``true``/``false`` for boolean
columns, strings for text and categorical columns, ISO date(time) strings for datetime
columns. Ordering comparisons (``<``, ``between``, ...) need a numeric or datetime column.
An ISO week date (``"2025-W03"``, ``"2025-W03-2"``) is not read against a datetime column:
it is refused, with the calendar dates (YYYY-MM-DD) to write instead. A day may also be
written year first with its fields unpadded (``"2025/6/30"``, ``"2025-6-30"``), as
crmkit's date reader takes it. An instant keeps at most microseconds: more fractional
digits of a second (``"...T14:00:00.1234567"``) are refused, not cut, unless they are
zeros.

A value that names a whole day (``"2025-06-30"``, ``"20250630"``, ``"2025/6/30"``: see
:func:`crmkit._validate.is_whole_day`) compared with a datetime column means that whole
day, as an ``as_of`` date does: each value's calendar day on its own wall clock (the
column's zone for an aware column) is compared with the day. So ``<= "2025-06-30"`` is
"on or before 30 June" (up to the end of the day), ``<`` is before its start, ``>=`` from
its start, ``>`` after its end, ``==`` within the day, ``!=`` outside it, ``between``
runs from the start of ``low``'s day through the end of ``high``'s, and ``in`` a list of
days is within any of them. A value with a time of day (``"2025-06-30T14:00"``) is an
instant and keeps its exact meaning; a column of dates compares as dates either way. The
rule keeps the text as written (``to_dict`` is unchanged); the day is read when the rule
is evaluated, on a frame and on one customer alike. ``between`` checks that ``high`` is not
before ``low`` when it is built, reading its ends the same way (not as text). A rule that
does not fit the data is refused alike too: one customer's mapping and a frame raise the
same error, naming the same path in the rule.

A missing value (NaN, None, NA, NaT) satisfies no comparison, ``!=`` included; only
``is_null`` (or a ``not`` around a comparison) selects it. The tree is checked against
the frame's columns and dtypes before anything is evaluated, and nothing is ever
``eval``-ed: each node is a small vectorised numpy/pandas operation on a whole column,
and the same node evaluated on one customer's mapping gives the same answer.
"""

from __future__ import annotations

import abc
import datetime as dt
import math
import operator
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from crmkit import _spec as spec
from crmkit._validate import _ONE_NS, DAY_TEXT, is_missing_value, is_whole_day, require_frame
from crmkit.errors import ConfigError, InvalidInputError, SchemaError

__all__ = [
    "AllOf",
    "AnyOf",
    "Audience",
    "Between",
    "Compare",
    "Condition",
    "In",
    "IsNull",
    "Not",
    "TagSet",
    "tag_history",
]

#: The comparison operators of :class:`Compare`.
OPS: tuple[str, ...] = ("==", "!=", "<", "<=", ">", ">=")
_ORDERING = frozenset(("<", "<=", ">", ">="))
_PY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_Mask = np.ndarray[Any, np.dtype[np.bool_]]
_TIME_KINDS = frozenset(("datetime", "datetime_tz"))


def _is_scalar_value(value: object) -> bool:
    if isinstance(value, (bool, str)):
        return True
    return isinstance(value, (int, float)) and math.isfinite(value)


_SCALAR = spec.predicate(_is_scalar_value, "a JSON scalar: a number, a string or true/false")
_COLUMN = spec.predicate(lambda v: isinstance(v, str) and bool(v), "a non-empty column name")


# -------------------------------------------------------------------- column kinds
def _column_kind(series: pd.Series) -> str:
    """``number``, ``bool``, ``text``, ``datetime`` or ``mixed`` (usable by is_null only)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime_tz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.CategoricalDtype):
        return _values_kind(pd.Series(dtype.categories))
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "text"
    return _values_kind(series.dropna())


def _values_kind(values: pd.Series) -> str:
    kinds = {_value_kind(v) for v in values}
    if len(kinds) == 1:
        return kinds.pop()
    return "missing" if not kinds else "mixed"


def _value_kind(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return "datetime" if value.tzinfo is None else "datetime_tz"
    if isinstance(value, (np.datetime64, dt.date)):
        return "datetime"
    return "mixed"


def _value_ok(value: object, kind: str) -> bool:
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    if kind in _TIME_KINDS:
        stamp = _parse_time(value) if isinstance(value, str) else None
        if stamp is None:
            return False
        if is_whole_day(value):  # a day is read on each value's own wall clock
            return True
        return (stamp.tzinfo is None) == (kind == "datetime")
    return False


#: An ISO 8601 week date, ``2025-W03`` or ``2025-W03-2`` (basic ``2025W032``), at the
#: start of a string; the groups are the year, the week and the day of the week.
_WEEK_DATE = re.compile(r"(\d{4})-?W(\d{2})(?:-?([1-7]))?")
#: A day written as text, in the forms crmkit's date reader takes as a day
#: (:data:`crmkit._validate.DAY_TEXT`): ISO 8601, or year first with one separator and
#: its fields unpadded (``2025/9/30``, ``2025-9-30``).
_DAY_TEXT = re.compile(DAY_TEXT)
#: A decimal fraction (of a second) and its digits, ``.`` or ``,`` as the decimal mark.
_FRACTION = re.compile(r"[.,](\d+)")
#: The fractional digits of a second a rule value keeps: ``datetime`` holds microseconds.
_KEPT_DIGITS = 6


def _lost_fraction(value: str) -> str | None:
    """The digits of the first fraction in ``value`` that a microsecond cannot hold exactly.

    ``datetime.fromisoformat`` drops the digits after the sixth (``.1234567`` is read as
    ``.123456``). Zeros after the sixth lose nothing (.NET writes seven digits).
    """
    for digits in _FRACTION.findall(value):
        if digits[_KEPT_DIGITS:].strip("0"):
            return str(digits)
    return None


def _parse_time(value: str) -> pd.Timestamp | None:
    """An ISO 8601 date or datetime string, or a year-first day, as a Timestamp; else None.

    A day is read in every form crmkit's date reader takes as one (``DAY_TEXT``:
    ``2025-06-30``, ``20250630``, ``2025/9/30``, ``2025-9-30``, ``2025.9.30``), with no
    range limit: ``"9999-12-31"`` is a "never" sentinel in stored rules. Other text is
    read as ISO 8601 only (``datetime.fromisoformat``): ``pd.Timestamp`` also reads
    ``"today"`` and ``"now"`` (the system clock, so a stored rule would select other
    customers every day), ``"July"`` (year 1) and ``"07/01/2025"`` (month first, a guess).
    ISO week dates (``"2025-W03"``, ``"2025-W03-2"``) are not read either: Python reads
    them as the midnight that starts the day, an instant, where a week or a day is meant,
    and crmkit's date reader (:func:`crmkit._validate.datetime_value`) refuses them. Nor is
    a time with more fractional digits than a microsecond holds (``.1234567``): Python
    would drop the rest. Spaces around the text are ignored, as the date reader does.
    """
    value = value.strip()
    if _WEEK_DATE.match(value) or _lost_fraction(value) is not None:
        return None
    if _DAY_TEXT.fullmatch(value):
        fields = re.findall(r"\d+", value)
        if len(fields) == 3:  # year first with a separator, maybe unpadded: 2025/9/30
            year, month, day = (int(f) for f in fields)
            value = f"{year:04d}-{month:02d}-{day:02d}"  # read as its ISO form is
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return pd.Timestamp(parsed)


def _time_hint(value: object) -> str:
    """How to write a day or an instant: an ISO week date's days, a fraction too long."""
    how = (
        "Write a day as an ISO 8601 calendar date, YYYY-MM-DD ('2025-06-30'), and an "
        "instant with its time of day ('2025-06-30T14:00')."
    )
    lost = _lost_fraction(value) if isinstance(value, str) else None
    if lost is not None:
        return (
            f"A rule keeps a time to the microsecond: this value has {len(lost)} digits "
            "after the decimal mark, and those after the sixth would be lost. Write at most "
            "six digits ('2025-06-30T14:00:00.123457')."
        )
    week = _WEEK_DATE.fullmatch(value) if isinstance(value, str) else None
    if week is None:
        if isinstance(value, str) and _WEEK_DATE.match(value):
            return f"ISO week dates are not read. {how}"
        return how
    year, number, weekday = week.groups()
    try:
        monday = dt.date.fromisocalendar(int(year), int(number), 1)
    except ValueError:  # no such week (2025 has 52)
        return f"ISO week dates are not read. {how}"
    if weekday is None:
        sunday = monday + dt.timedelta(days=6)
        said = f"the week {value!r} is the days {monday.isoformat()!r} to {sunday.isoformat()!r}"
    else:
        day = monday + dt.timedelta(days=int(weekday) - 1)
        said = f"{value!r} is {day.isoformat()!r}"
    return f"ISO week dates are not read: {said}. {how}"


_EXPECTED = {
    "number": "a number",
    "bool": "true or false",
    "text": "a string",
    "datetime": "an ISO date or datetime string without a UTC offset",
    "datetime_tz": "an ISO date, or an ISO datetime string with a UTC offset",
}
_ORDERED_KINDS = ("number", "datetime", "datetime_tz")


# --------------------------------------------------------------------------- the nodes
class Condition(spec.Spec, abc.ABC):
    """Base class of the condition nodes; build trees from the subclasses.

    Every node has ``mask(frame)`` (a boolean array, vectorised), ``test(customer)`` (one
    customer's mapping) and ``columns()`` (the columns it reads).

    Examples:
        >>> rule = AllOf([Compare("recency_days", ">=", 180), In("segment", ["A", "B"])])
        >>> sorted(rule.columns())
        ['recency_days', 'segment']
    """

    __slots__ = ()

    @abc.abstractmethod
    def columns(self) -> set[str]:
        """Return the columns the condition reads.

        Examples:
            >>> IsNull("email").columns()
            {'email'}
        """

    def mask(self, frame: pd.DataFrame) -> _Mask:
        """Return the condition over every row of ``frame`` (checked first), as a bool array.

        Examples:
            >>> import pandas as pd
            >>> Compare("n", "==", 1).mask(pd.DataFrame({"n": [1, 2]})).tolist()
            [True, False]
        """
        owner = f"{type(self).__name__}.mask()"
        kinds = _frame_kinds(frame, self.columns())
        self._check(kinds, "", owner)
        return self._mask(frame, kinds)

    def test(self, customer: Mapping[str, Any]) -> bool:
        """Return the condition for one customer's mapping (column -> value).

        Examples:
            >>> Compare("n", "==", 1).test({"n": 1})
            True
        """
        owner = f"{type(self).__name__}.test()"
        return self._test(customer, _scalar_kinds(self, customer, "", owner))

    @abc.abstractmethod
    def _check(self, kinds: Mapping[str, str], path: str, owner: str) -> None:
        """Refuse columns or kinds the condition cannot read (path names the node)."""

    @abc.abstractmethod
    def _mask(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> _Mask:
        """The vectorised condition over checked columns."""

    @abc.abstractmethod
    def _test(self, customer: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
        """The condition for one customer's checked mapping."""


class _ConditionCodec(spec.Codec):
    """Any condition node, tagged on ``kind`` (resolved after the classes exist)."""

    def encode(self, value: Any) -> Any:
        return _UNION.encode(value)

    def decode(self, data: Any, path: str) -> Any:
        return _UNION.decode(data, path)


_NODE = _ConditionCodec()


def _is_condition(value: object) -> bool:
    return isinstance(value, Condition)


_IS_CONDITION = spec.predicate(_is_condition, "a condition (Compare, In, Between, ...)")


# Converters typed by what callers pass (a list or any iterable), so that mypy's attrs
# plugin types ``__init__`` from them (it does so only for a plain ``attrs.field``, hence
# ``spec.metadata`` beside them). Each stores a tuple (hashable, the JSON form unchanged);
# anything else (text, a mapping, a number) is left for the validator to name.
def _values_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """``In``'s values as a tuple."""
    out: tuple[Any, ...] = spec.as_tuple(values)
    return out


def _conditions_tuple(conditions: Iterable[Condition]) -> tuple[Condition, ...]:
    """``AllOf``/``AnyOf``'s conditions as a tuple."""
    out: tuple[Condition, ...] = spec.as_tuple(conditions)
    return out


def _leaf_check(column: str, kinds: Mapping[str, str], path: str, owner: str) -> str:
    """The kind of ``column``; a SchemaError naming the node's path when it is not there.

    ``kinds`` holds the rule's columns found in the frame (or keys found in one
    customer's mapping), so a frame and one customer name the same node.
    """
    if column not in kinds:
        raise SchemaError(
            owner, _join(path, "column"),
            expected="a column of the frame (a key of one customer's mapping)",
            found=repr(column), kind="parameter",
        )  # fmt: skip
    return kinds[column]


def _bad_value(owner: str, where: str, column: str, kind: str, value: object) -> ConfigError:
    return ConfigError(
        owner, where, expected=f"{_EXPECTED.get(kind, 'a comparable value')} "
        f"(column {column!r} holds {kind} values)", found=repr(value),
        hint=_time_hint(value) if kind in _TIME_KINDS else "",
    )  # fmt: skip


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _coerce(value: Any, kind: str) -> Any:
    return _parse_time(value) if kind in _TIME_KINDS else value


def _day_of(value: object, kind: str) -> pd.Timestamp | None:
    """The midnight of the day a rule value names against a datetime column, else None.

    None for an instant (text with a time of day), and for any value compared with a
    column that is not datetime: there a value means what it says.
    """
    if kind in _TIME_KINDS and isinstance(value, str) and is_whole_day(value):
        return _parse_time(value)
    return None


def _plain(series: pd.Series) -> pd.Series:
    """A categorical column of times as its values (categories need not be in time order)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(series.dtype.categories.dtype)
    return series


def _column_values(frame: pd.DataFrame, column: str, kind: str) -> tuple[Any, _Mask]:
    """The column as comparable values, and its not-missing mask."""
    series = frame[column]
    present = series.notna().to_numpy(dtype=bool)
    if kind == "number":
        return series.to_numpy(dtype=np.float64, na_value=np.nan), present
    if kind in _TIME_KINDS:
        series = _plain(series)
        if pd.api.types.is_object_dtype(series.dtype):
            return _object_times(series, kind), present
    return series, present


def _column_days(frame: pd.DataFrame, column: str) -> tuple[Any, _Mask]:
    """A datetime column as each value's day (naive midnight), and its not-missing mask.

    The day is read on each value's own wall clock: the column's zone for an aware
    column, each value's own offset in an object column of aware datetimes; what
    :func:`_wall_day` does with one customer's value, for the whole column.
    """
    series = _plain(frame[column])
    present = series.notna().to_numpy(dtype=bool)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_localize(None).dt.normalize(), present
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series.dt.normalize(), present
    days = [pd.NaT if is_missing_value(v) else _wall_day(v) for v in series]
    return _object_times(pd.Series(days, index=series.index, dtype=object), "datetime"), present


def _wall_day(value: object) -> pd.Timestamp:
    """One (present) time's day on its own wall clock, as a naive midnight."""
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def _object_times(series: pd.Series, kind: str) -> pd.Series:
    """An object column of ``datetime.date``/``datetime``/Timestamp values as Timestamps.

    What the one-customer path does with each value (``pd.Timestamp(value)``), for the
    whole column: a ``date`` is its midnight. Before, the raw objects were compared with
    the rule's Timestamp: ``<`` raised a TypeError and ``==`` was False for every row.
    Aware values are compared as instants (UTC); dates past 2262 (a "never" sentinel
    such as 9999-12-31) take the element-wise path.
    """
    try:
        return pd.to_datetime(series, utc=kind == "datetime_tz")
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        stamps = [pd.Timestamp(v) if not is_missing_value(v) else pd.NaT for v in series]
        return pd.Series(stamps, index=series.index, dtype=object)


def _scalar(customer: Mapping[str, Any], column: str, kind: str) -> Any:
    value = customer[column]
    if is_missing_value(value):
        return None
    if kind == "number":
        return float(value)
    if kind in ("datetime", "datetime_tz"):
        return pd.Timestamp(value)
    if kind == "bool":
        return bool(value)
    return value


def _array(result: Any) -> _Mask:
    if isinstance(result, pd.Series):
        return result.fillna(False).to_numpy(dtype=bool)
    return np.asarray(result, dtype=bool)


def _compare_mask(frame: pd.DataFrame, column: str, kind: str, op: str, value: Any) -> _Mask:
    """``column op value`` over the frame; a whole day against times compares days."""
    day = _day_of(value, kind)
    if day is None:
        values, present = _column_values(frame, column, kind)
        return _array(_PY_OPS[op](values, _coerce(value, kind))) & present
    days, present = _column_days(frame, column)
    return _array(_PY_OPS[op](days, day)) & present


def _compare_one(customer: Mapping[str, Any], column: str, kind: str, op: str, value: Any) -> bool:
    """``column op value`` for one customer: exactly :func:`_compare_mask` on its row."""
    day = _day_of(value, kind)
    if day is None:
        own = _scalar(customer, column, kind)
        return own is not None and bool(_PY_OPS[op](own, _coerce(value, kind)))
    if is_missing_value(customer[column]):
        return False
    return bool(_PY_OPS[op](_wall_day(customer[column]), day))


@attrs.frozen
class Compare(Condition):
    """``column op value``: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``.

    A whole day (``"2025-06-30"``) compared with a datetime column means the day: each
    time's calendar day (on its own wall clock, the column's zone when aware) is compared
    with it, so ``<=`` runs to the end of the day, ``<`` stops before its start, ``>=``
    starts at its start, ``>`` after its end, ``==`` is within the day and ``!=`` outside
    it. A value with a time of day is an instant, compared exactly.

    Attributes:
        column: The column (or mapping key) compared.
        op: The operator.
        value: A number, string or boolean (an ISO string for a datetime column).

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"recency_days": [10, 200, None]})
        >>> Compare("recency_days", ">=", 180).mask(frame).tolist()
        [False, True, False]
        >>> Compare("recency_days", ">=", 180).to_dict()
        {'schema_version': 1, 'kind': 'compare', 'column': 'recency_days', 'op': '>=', 'value': 180}
        >>> bought = pd.DataFrame({"last_purchase": pd.to_datetime(
        ...     ["2025-06-30 14:00", "2025-07-01 00:00"])})
        >>> Compare("last_purchase", "<=", "2025-06-30").mask(bought).tolist()  # the day
        [True, False]
        >>> Compare("last_purchase", "<=", "2025-06-30T12:00").mask(bought).tolist()  # an instant
        [False, False]
    """

    __spec_tag__: ClassVar[str] = "compare"
    column: str = spec.field(validator=_COLUMN)
    op: str = spec.field(validator=spec.one_of(OPS))
    value: Any = spec.field(validator=_SCALAR)

    def columns(self) -> set[str]:
        """Return ``{column}``."""
        return {self.column}

    def _check(self, kinds: Mapping[str, str], path: str, owner: str) -> None:
        kind = _leaf_check(self.column, kinds, path, owner)
        if kind == "missing":
            return
        if self.op in _ORDERING and kind not in _ORDERED_KINDS:
            raise ConfigError(
                owner, _join(path, "op"),
                expected=f"'==' or '!=' for {kind} column {self.column!r} "
                "(ordering needs numbers or datetimes)", found=repr(self.op),
            )  # fmt: skip
        if not _value_ok(self.value, kind):
            raise _bad_value(owner, _join(path, "value"), self.column, kind, self.value)

    def _mask(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> _Mask:
        return _compare_mask(frame, self.column, kinds[self.column], self.op, self.value)

    def _test(self, customer: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
        return _compare_one(customer, self.column, kinds[self.column], self.op, self.value)


@attrs.frozen
class In(Condition):
    """``column`` is one of ``values``.

    Against a datetime column a whole day (``"2025-06-30"``) matches any time within that
    day (on the time's own wall clock), an instant only itself.

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"stage": pd.Categorical(["dormant", "active", None])})
        >>> In("stage", ["dormant", "churned"]).mask(frame).tolist()
        [True, False, False]
        >>> seen = pd.DataFrame({"seen": pd.to_datetime(["2025-06-30 14:00", "2025-07-02 09:00"])})
        >>> In("seen", ["2025-06-30", "2025-07-01"]).mask(seen).tolist()
        [True, False]
    """

    __spec_tag__: ClassVar[str] = "in"
    # attrs.field, as ``values`` below: mypy's attrs plugin reads a ``spec.field`` as a
    # field with a default, and a required attrs.field may not follow one.
    column: str = attrs.field(validator=_COLUMN, metadata=spec.metadata())
    values: tuple[Any, ...] = attrs.field(
        converter=_values_tuple,
        validator=spec.each(_SCALAR),
        metadata=spec.metadata(codec=spec.Seq()),
    )

    def columns(self) -> set[str]:
        """Return ``{column}``."""
        return {self.column}

    def _check(self, kinds: Mapping[str, str], path: str, owner: str) -> None:
        kind = _leaf_check(self.column, kinds, path, owner)
        if kind == "missing":
            return
        for i, value in enumerate(self.values):
            if not _value_ok(value, kind):
                raise _bad_value(owner, f"{_join(path, 'values')}[{i}]", self.column, kind, value)

    def _mask(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> _Mask:
        kind = kinds[self.column]
        if kind == "number":
            values = frame[self.column].to_numpy(dtype=np.float64, na_value=np.nan)
            return np.isin(values, np.asarray(self.values, dtype=np.float64))
        days = [d for d in (_day_of(v, kind) for v in self.values) if d is not None]
        wanted = [_coerce(v, kind) for v in self.values if _day_of(v, kind) is None]
        values, present = _column_values(frame, self.column, kind)
        out = values.isin(wanted).to_numpy(dtype=bool)
        if days:
            on_days, _ = _column_days(frame, self.column)
            out = out | on_days.isin(days).to_numpy(dtype=bool)
        return np.asarray(out & present, dtype=bool)

    def _test(self, customer: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
        kind = kinds[self.column]
        return any(_compare_one(customer, self.column, kind, "==", v) for v in self.values)


_A_DAY = pd.Timedelta(days=1)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _end_day(value: str) -> tuple[pd.Timestamp, bool] | None:
    """One end of a :class:`Between` as the rule reads it against a column of times.

    ``(midnight, True)`` for a whole day, ``(instant, False)`` for a value with a time of
    day: what :func:`_compare_mask` compares (through :func:`_day_of` and
    :func:`_coerce`). None for text the rule does not read as a time; the check against
    the frame's column names it.
    """
    day = _day_of(value, "datetime")
    if day is not None:
        return day, True
    instant = _coerce(value, "datetime")
    return None if instant is None else (instant, False)


def _furthest_wall(instant: pd.Timestamp, direction: int) -> pd.Timestamp:
    """The latest (``direction`` 1) or earliest (-1) wall time ``instant`` can show.

    A naive instant is its own wall time. An instant with a UTC offset shows the wall
    time of the column's zone, which a rule does not know: any offset under a day
    either side of UTC.
    """
    if instant.tzinfo is None:
        return instant
    return instant.tz_convert(None) + direction * (_A_DAY - _ONE_NS)


def _ends_reversed(low: object, high: object) -> bool:
    """Whether ``low <= column <= high`` can hold for no value, its ends read as applied.

    Numbers compare as numbers. Text ends are read as the rule reads them against a
    column of times: two days as days, two instants as instants (those with a UTC offset
    in UTC). A day and an instant: the range runs from the start of a ``low`` day, or
    through the end of a ``high`` day, compared with the instant's wall time in the
    column's zone; for an instant with a UTC offset that zone is not known here, so the
    ends are reversed only when they are on every clock. Ends of other kinds (text that
    is not ISO 8601, a number beside text, a naive instant beside an aware one) are not
    ordered here: no column takes both, and the check against the frame names the one
    that does not fit.
    """
    if _is_number(low) and _is_number(high):
        return bool(high < low)  # type: ignore[operator]
    if not (isinstance(low, str) and isinstance(high, str)):
        return False
    first, last = _end_day(low), _end_day(high)
    if first is None or last is None:
        return False
    (start, low_day), (end, high_day) = first, last
    if low_day == high_day:
        if (start.tzinfo is None) != (end.tzinfo is None):
            return False  # a naive and an aware instant: no column takes both
        return bool(end < start)
    if low_day:  # from the start of the day: the instant must fall on it or later
        return bool(_furthest_wall(end, 1).normalize() < start)
    # through the end of the day: the instant must fall on it or earlier
    return bool(_furthest_wall(start, -1).normalize() > end)


def _ends_in_order(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Validator of ``Between.high``: ``low <= high`` as the rule reads them when applied."""
    low = instance.low
    if not _ends_reversed(low, value):
        return
    if _is_number(low):
        raise ConfigError(
            type(instance).__name__, attribute.name, expected=f"at least low ({low})",
            found=repr(value),
        )  # fmt: skip
    raise ConfigError(
        type(instance).__name__, attribute.name,
        expected=f"at or after low ({low!r}) as the rule reads them", found=repr(value),
        hint="Between reads a day (YYYY-MM-DD) from its start through its end and a value "
        "with a time of day as that instant; swap the ends or correct the wrong one.",
    )  # fmt: skip


@attrs.frozen
class Between(Condition):
    """``low <= column <= high`` (both ends included).

    Against a datetime column an end that is a whole day includes that whole day: the
    range runs from the start of ``low``'s day through the end of ``high``'s (each time's
    day on its own wall clock). An end with a time of day is that instant.

    ``high`` must not come before ``low`` as the rule reads them (a
    :class:`~crmkit.errors.ConfigError` naming ``high``): numbers as numbers, days and
    instants as above, whatever ISO form they are written in. An instant with a UTC offset
    falls on a day of the column's zone, unknown until the rule is applied, so beside a
    day it is refused only when it is out of order on every clock.

    Examples:
        >>> import pandas as pd
        >>> Between("clv", 100, 500).mask(pd.DataFrame({"clv": [50, 100, 500, 501]})).tolist()
        [False, True, True, False]
        >>> bought = pd.DataFrame({"last_purchase": pd.to_datetime(
        ...     ["2025-05-31 23:59", "2025-06-01 00:00", "2025-06-30 14:00", "2025-07-01 00:00"])})
        >>> Between("last_purchase", "2025-06-01", "2025-06-30").mask(bought).tolist()
        [False, True, True, False]
        >>> Between("last_purchase", "2025-06-30T12:00", "2025-06-30").mask(bought).tolist()
        [False, False, True, False]
        >>> Between("last_purchase", "2025-07-05", "20250630")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Between: parameter 'high' must be at or after low ('2025-07-05') as the rule reads them; found '20250630'. Between reads a day (YYYY-MM-DD) from its start through its end and a value with a time of day as that instant; swap the ends or correct the wrong one.
    """

    __spec_tag__: ClassVar[str] = "between"
    column: str = spec.field(validator=_COLUMN)
    low: Any = spec.field(validator=_SCALAR)
    high: Any = spec.field(validator=[_SCALAR, _ends_in_order])

    def columns(self) -> set[str]:
        """Return ``{column}``."""
        return {self.column}

    def _check(self, kinds: Mapping[str, str], path: str, owner: str) -> None:
        kind = _leaf_check(self.column, kinds, path, owner)
        if kind == "missing":
            return
        if kind not in _ORDERED_KINDS:
            raise ConfigError(
                owner, _join(path, "column"),
                expected="a numeric or datetime column for 'between'",
                found=f"{kind} column {self.column!r}",
            )  # fmt: skip
        for name in ("low", "high"):
            if not _value_ok(getattr(self, name), kind):
                raise _bad_value(owner, _join(path, name), self.column, kind, getattr(self, name))

    def _mask(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> _Mask:
        kind = kinds[self.column]
        low = _compare_mask(frame, self.column, kind, ">=", self.low)
        return low & _compare_mask(frame, self.column, kind, "<=", self.high)

    def _test(self, customer: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
        kind = kinds[self.column]
        return _compare_one(customer, self.column, kind, ">=", self.low) and _compare_one(
            customer, self.column, kind, "<=", self.high
        )


@attrs.frozen
class IsNull(Condition):
    """``column`` is missing (NaN, None, NA, NaT).

    Examples:
        >>> import pandas as pd
        >>> IsNull("email").mask(pd.DataFrame({"email": ["a@x.cn", None]})).tolist()
        [False, True]
    """

    __spec_tag__: ClassVar[str] = "is_null"
    column: str = spec.field(validator=_COLUMN)

    def columns(self) -> set[str]:
        """Return ``{column}``."""
        return {self.column}

    def _check(self, kinds: Mapping[str, str], path: str, owner: str) -> None:
        _leaf_check(self.column, kinds, path, owner)

    def _mask(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> _Mask:
        return frame[self.column].isna().to_numpy(dtype=bool)

    def _test(self, customer: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
        return is_missing_value(customer[self.column])


@attrs.frozen
class _Group(Condition):
    """Conditions combined by one operator: all of them (``_ALL``) or any of them."""

    _ALL: ClassVar[bool]
    conditions: tuple[Condition, ...] = attrs.field(
        converter=_conditions_tuple,
        validator=spec.each(_IS_CONDITION),
        metadata=spec.metadata(codec=spec.Seq(_NODE)),
    )

    def columns(self) -> set[str]:
        """Return the union of the children's columns."""
        return set().union(*(c.columns() for c in self.conditions))

    def _check(self, kinds: Mapping[str, str], path: str, owner: str) -> None:
        for i, child in enumerate(self.conditions):
            child._check(kinds, f"{_join(path, 'conditions')}[{i}]", owner)

    def _mask(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> _Mask:
        out = np.full(len(frame), self._ALL, dtype=bool)
        for child in self.conditions:
            if self._ALL:
                out &= child._mask(frame, kinds)
            else:
                out |= child._mask(frame, kinds)
        return out

    def _test(self, customer: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
        fold = all if self._ALL else any
        return fold(child._test(customer, kinds) for child in self.conditions)


@attrs.frozen
class AllOf(_Group):
    """Every condition holds (an empty list is true).

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"r": [200, 200, 10], "m": [50, 900, 900]})
        >>> AllOf([Compare("r", ">=", 180), Compare("m", ">", 100)]).mask(frame).tolist()
        [False, True, False]
    """

    __spec_tag__: ClassVar[str] = "all"
    _ALL: ClassVar[bool] = True


@attrs.frozen
class AnyOf(_Group):
    """At least one condition holds (an empty list is false).

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"r": [200, 10, 10], "m": [50, 900, 50]})
        >>> AnyOf([Compare("r", ">=", 180), Compare("m", ">", 100)]).mask(frame).tolist()
        [True, True, False]
    """

    __spec_tag__: ClassVar[str] = "any"
    _ALL: ClassVar[bool] = False


@attrs.frozen
class Not(Condition):
    """The condition does not hold (missing values included).

    Examples:
        >>> import pandas as pd
        >>> Not(Compare("r", ">=", 180)).mask(pd.DataFrame({"r": [200, 10, None]})).tolist()
        [False, True, True]
    """

    __spec_tag__: ClassVar[str] = "not"
    condition: Condition = spec.field(codec=_NODE, validator=_IS_CONDITION)

    def columns(self) -> set[str]:
        """Return the child's columns."""
        return self.condition.columns()

    def _check(self, kinds: Mapping[str, str], path: str, owner: str) -> None:
        self.condition._check(kinds, _join(path, "condition"), owner)

    def _mask(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> _Mask:
        return ~self.condition._mask(frame, kinds)

    def _test(self, customer: Mapping[str, Any], kinds: Mapping[str, str]) -> bool:
        return not self.condition._test(customer, kinds)


def _scalar_kinds(
    cond: Condition, customer: Mapping[str, Any], path: str, owner: str
) -> dict[str, str]:
    """One customer's kinds, checked as a frame's are (``path`` names the rule, as there).

    A key missing from the mapping is found where a frame's missing column is: at its node,
    in tree order, so both raise the same error naming the same field.
    """
    kinds = _mapping_kinds(customer, cond.columns())
    cond._check(kinds, path, owner)
    return kinds


_UNION = spec.Union(Compare, In, Between, IsNull, AllOf, AnyOf, Not)


def _frame_kinds(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, str]:
    return {c: _column_kind(frame[c]) for c in columns if c in frame.columns}


def _mapping_kinds(customer: Mapping[str, Any], columns: Iterable[str]) -> dict[str, str]:
    kinds = {}
    for c in columns:
        if c in customer:
            value = customer[c]
            kinds[c] = "missing" if is_missing_value(value) else _value_kind(value)
    return kinds


# ---------------------------------------------------------------------------- audiences
def _unique_names(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    names = [t.name for t in value]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            type(instance).__name__, attribute.name, expected="tags with distinct names",
            found=f"repeated names {repeated}",
        )  # fmt: skip


@attrs.frozen
class Audience(spec.Spec):
    """A named audience (or tag): a condition tree over customer columns, as data.

    Attributes:
        name: The audience or tag name ("half-year sleepers", "high churn risk").
        rule: The condition tree.
        description: Free text for reviewers.

    Examples:
        >>> import pandas as pd
        >>> sleepers = Audience("half-year sleepers", AllOf([
        ...     In("stage", ["dormant"]), Compare("monetary", ">", 0)]))
        >>> frame = pd.DataFrame({"stage": ["dormant", "active", "dormant"],
        ...                       "monetary": [320.0, 80.0, 0.0]}, index=["ann", "bob", "cy"])
        >>> sleepers.select(frame).tolist()
        ['ann']
        >>> sleepers.matches({"stage": "dormant", "monetary": 45.5})
        True
        >>> Audience.from_dict(sleepers.to_dict()) == sleepers
        True
    """

    name: str = spec.field(validator=_COLUMN)
    rule: Condition = spec.field(codec=_NODE, validator=_IS_CONDITION)
    description: str = spec.field(
        default="", validator=spec.instance_of(str, "a string"), omit_default=True
    )

    def validate(self, frame: pd.DataFrame) -> None:
        """Check the rule against ``frame``'s columns and dtypes; raise on the first problem.

        Raises:
            SchemaError: A column the rule names is not in the frame (the message names
                the path in the rule, e.g. ``rule.conditions[1].column``).
            ConfigError: A value of the wrong kind for its column, or an ordering
                comparison on a text column.

        Examples:
            >>> import pandas as pd
            >>> Audience("x", Compare("stage", ">", 3)).validate(pd.DataFrame({"stage": ["a"]}))
            Traceback (most recent call last):
            ...
            crmkit.errors.ConfigError: Audience 'x': parameter 'rule.op' must be '==' or '!=' for text column 'stage' (ordering needs numbers or datetimes); found '>'.
        """
        owner = f"Audience {self.name!r}"
        require_frame(frame, owner, "frame")
        self.rule._check(_frame_kinds(frame, self.rule.columns()), "rule", owner)

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Return a boolean Series (``frame``'s index): who is in the audience.

        Examples:
            >>> import pandas as pd
            >>> a = Audience("big", Compare("m", ">=", 100))
            >>> a.mask(pd.DataFrame({"m": [50, 150]}, index=["x", "y"])).to_dict()
            {'x': False, 'y': True}
        """
        self.validate(frame)
        kinds = _frame_kinds(frame, self.rule.columns())
        return pd.Series(self.rule._mask(frame, kinds), index=frame.index, name=self.name)

    def select(self, frame: pd.DataFrame) -> pd.Index:
        """Return the index labels (customer ids) of the rows in the audience.

        Examples:
            >>> import pandas as pd
            >>> a = Audience("big", Compare("m", ">=", 100))
            >>> a.select(pd.DataFrame({"m": [50, 150]}, index=["x", "y"])).tolist()
            ['y']
        """
        inside = self.mask(frame).to_numpy()
        return frame.index[inside]

    def matches(self, customer: Mapping[str, Any]) -> bool:
        """Whether one customer (a mapping of column -> value) is in the audience.

        Exactly the batch semantics: ``a.matches(row) == a.mask(frame)[label]`` for every
        row of a frame. A rule that does not fit is refused as :meth:`mask` refuses it: the
        same error naming the same field (``rule.conditions[1].column`` for a key the
        mapping lacks). A missing value says nothing about its column's kind, so a value
        of the wrong kind for a column is found only where the customer has a value.

        Raises:
            SchemaError: A column the rule names is not a key of ``customer``.
            ConfigError: A value of the wrong kind for its column, or an ordering
                comparison on a text value.

        Examples:
            >>> Audience("big", Compare("m", ">=", 100)).matches({"m": None})
            False
        """
        owner = f"Audience {self.name!r}"
        return self.rule._test(customer, _scalar_kinds(self.rule, customer, "rule", owner))


def _tags_tuple(tags: Iterable[Audience]) -> tuple[Audience, ...]:
    """A list of tags as a tuple; anything else is left for the validator to name."""
    out: tuple[Audience, ...] = spec.as_tuple(tags)
    return out


@attrs.frozen
class TagSet(spec.Spec):
    """Named tags ("high churn risk", "high upsell potential"), each an :class:`Audience`.

    Attributes:
        tags: The tags, with distinct names, in display order.

    Examples:
        >>> import pandas as pd
        >>> tags = TagSet([Audience("high churn risk", Compare("p_alive", "<", 0.3)),
        ...                Audience("high upsell potential", Compare("clv", ">=", 1000))])
        >>> frame = pd.DataFrame({"p_alive": [0.1, 0.9], "clv": [1500.0, 200.0]},
        ...                      index=["ann", "bob"])
        >>> print(tags.apply(frame).to_string())
             high churn risk  high upsell potential
        ann             True                   True
        bob            False                  False
        >>> tags.tags_of({"p_alive": 0.2, "clv": 10.0})
        ['high churn risk']
    """

    tags: tuple[Audience, ...] = attrs.field(
        converter=_tags_tuple,
        validator=[
            spec.instance_of(tuple, "a list of Audiences"),
            spec.each(spec.instance_of(Audience, "an Audience")),
            _unique_names,
        ],
        metadata=spec.metadata(codec=spec.Seq(spec.Nested(Audience))),
    )

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return one boolean column per tag, indexed like ``frame``.

        Examples:
            >>> import pandas as pd
            >>> TagSet([Audience("a", Compare("n", ">", 1))]).apply(pd.DataFrame({"n": [2]}))["a"].tolist()
            [True]
        """
        require_frame(frame, "TagSet.apply()", "frame")
        data = {tag.name: tag.mask(frame).to_numpy() for tag in self.tags}
        return pd.DataFrame(data, index=frame.index, columns=[t.name for t in self.tags])

    def tags_of(self, customer: Mapping[str, Any]) -> list[str]:
        """Return the names of the tags one customer carries, in tag order.

        Examples:
            >>> TagSet([Audience("a", Compare("n", ">", 1))]).tags_of({"n": 0})
            []
        """
        return [tag.name for tag in self.tags if tag.matches(customer)]


def tag_history(snapshots: Mapping[Hashable, pd.DataFrame], tags: TagSet) -> pd.DataFrame:
    """Report who entered and who left each tag between consecutive snapshots.

    Like the lifecycle transitions: a customer absent from a snapshot carries no tag there
    (a new customer entering a tag counts as entering).

    Args:
        snapshots: Customer frames (indexed by customer id) in time order, keyed by their
            label (a date, a period...). At least two.
        tags: The tags.

    Returns:
        One row per change: ``from_snapshot``, ``to_snapshot``, ``tag`` (categorical in
        tag order), ``customer`` and ``change`` (``"entered"`` or ``"left"``), ordered by
        snapshot, tag, change and customer.

    Raises:
        ConfigError: Fewer than two snapshots, or a snapshot with repeated customer ids.

    Examples:
        >>> import pandas as pd
        >>> tags = TagSet([Audience("at risk", Compare("recency_days", ">=", 90))])
        >>> jan = pd.DataFrame({"recency_days": [100, 20]}, index=["ann", "bob"])
        >>> feb = pd.DataFrame({"recency_days": [5, 120, 95]}, index=["ann", "bob", "cy"])
        >>> out = tag_history({"2025-01": jan, "2025-02": feb}, tags)
        >>> print(out.to_string(index=False))
        from_snapshot to_snapshot     tag customer  change
              2025-01     2025-02 at risk      bob entered
              2025-01     2025-02 at risk       cy entered
              2025-01     2025-02 at risk      ann    left
    """
    owner = "tag_history()"
    if not isinstance(tags, TagSet):
        raise ConfigError(owner, "tags", expected="a TagSet", found=type(tags).__name__)
    if not isinstance(snapshots, Mapping):
        raise ConfigError(
            owner, "snapshots", expected="a mapping of label to customer frame",
            found=type(snapshots).__name__,
        )  # fmt: skip
    labels = list(snapshots)
    if len(labels) < 2:
        raise ConfigError(
            owner, "snapshots", expected="at least two snapshots", found=str(len(labels))
        )
    applied = []
    for label in labels:
        frame = snapshots[label]
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInputError(
                owner, f"snapshots[{label!r}]", expected="a DataFrame", found=type(frame).__name__
            )
        if frame.index.has_duplicates:
            raise InvalidInputError(
                owner, f"snapshots[{label!r}]", expected="one row per customer",
                found="repeated customer ids in the index",
            )  # fmt: skip
        applied.append(tags.apply(frame))
    names = [t.name for t in tags.tags]
    parts = []
    for (a, before), (b, after) in zip(
        zip(labels[:-1], applied[:-1], strict=True),
        zip(labels[1:], applied[1:], strict=True),
        strict=True,
    ):
        ids = before.index.union(after.index, sort=False)
        old = before.reindex(ids, fill_value=False)
        new = after.reindex(ids, fill_value=False)
        for name in names:
            o, n = old[name].to_numpy(dtype=bool), new[name].to_numpy(dtype=bool)
            for change, mask in (("entered", ~o & n), ("left", o & ~n)):
                who = ids[mask]
                parts.append(
                    pd.DataFrame(
                        {
                            "from_snapshot": [a] * len(who),
                            "to_snapshot": [b] * len(who),
                            "tag": [name] * len(who),
                            "customer": who.to_numpy(),
                            "change": [change] * len(who),
                        }
                    )
                )
    out = pd.concat(parts, ignore_index=True)
    out["tag"] = pd.Categorical(out["tag"], categories=names, ordered=True)
    out["change"] = pd.Categorical(out["change"], categories=["entered", "left"])
    snap = {label: i for i, label in enumerate(labels)}
    key = out["from_snapshot"].map(snap)
    out = (
        out.assign(_k=key.to_numpy())
        .sort_values(["_k", "tag", "change", "customer"], kind="stable")
        .drop(columns="_k")
        .reset_index(drop=True)
    )
    return out
