"""The spec layer: one declarative way to validate, serialise and load every rule class.

Every rule, policy, calendar, ladder and fitted model in crmkit is a frozen attrs class.
This module gives them three things, so that no class writes them by hand:

* **Validator factories** in the attrs style (``validator(instance, attribute, value)``)
  that raise :class:`~crmkit.errors.ConfigError` with the house template:
  :func:`one_of`, :func:`number`, :func:`whole`, :func:`decimal`, :func:`timezone`,
  :func:`instance_of`, :func:`each`, :func:`not_less_than` (ordered pairs such as
  ``new_days <= at_risk_days``) and :func:`predicate` for a one-off rule.
* **Field metadata** (:func:`field`): the JSON key of a field and its :class:`Codec`
  (how the value is written to and read from JSON types: :data:`PLAIN`, :class:`Seq`,
  :class:`Map`, :class:`Nested`, :class:`Union` tagged on ``kind``, :class:`Optional`,
  :data:`DECIMAL`, :data:`DATE`, :data:`DATETIME`, :data:`TIMEDELTA`, :class:`Custom`).
* **One** ``to_dict`` / ``from_dict`` (the :class:`Spec` base class) driven by that
  metadata. ``from_dict`` refuses unknown and missing keys, wrong container types and
  invalid values with a :class:`ConfigError` that names the full path the caller wrote,
  e.g. ``targets['*'][0].duration``. The top-level mapping carries ``schema_version``
  so stored rules survive upgrades; nested mappings do not repeat it.

Derived engines (compiled earners, timelines, lookup tables) never live inside the frozen
value: :func:`derived` caches them beside it, keyed by the object's identity.

Examples:
    >>> import attrs
    >>> @attrs.frozen
    ... class Window(Spec):
    ...     '''A toy rule: a window of days.'''
    ...     new_days: int = field(default=30, validator=whole(min=1))
    ...     at_risk_days: int = field(default=90, validator=[whole(min=1),
    ...                                                       not_less_than("new_days")])
    ...     unit: str = field(default="days", validator=one_of(("days", "weeks")))
    >>> Window(new_days=10).to_dict()
    {'schema_version': 1, 'new_days': 10, 'at_risk_days': 90, 'unit': 'days'}
    >>> Window.from_dict({"new_days": 10}) == Window(new_days=10)
    True
    >>> Window(new_days=100)
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: Window: parameter 'at_risk_days' must be at least new_days (100); found 90.
    >>> Window.from_dict({"new_dayz": 10})
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: Window.from_dict(): parameter 'new_dayz' must be one of ['at_risk_days', 'new_days', 'schema_version', 'unit']; found an unknown key.
"""

from __future__ import annotations

import datetime as dt
import decimal as _decimal
import math
import numbers
import threading
import weakref
import zoneinfo
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeVar

import attrs

from crmkit.errors import ConfigError, CrmkitError

__all__ = [
    "DATE",
    "DATETIME",
    "DECIMAL",
    "PLAIN",
    "SCHEMA_KEY",
    "TIMEDELTA",
    "Codec",
    "Custom",
    "Map",
    "Nested",
    "Optional",
    "Seq",
    "Spec",
    "Union",
    "bounded_by",
    "check_choice",
    "decimal",
    "derived",
    "each",
    "field",
    "instance_of",
    "not_less_than",
    "number",
    "one_of",
    "predicate",
    "timezone",
    "whole",
]

#: The key that carries the schema version at the top of every rule's JSON.
SCHEMA_KEY = "schema_version"
_META = "crmkit.spec"
T = TypeVar("T")
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


# --------------------------------------------------------------------------- validators
def _owner(instance: object) -> str:
    return type(instance).__name__


def one_of(choices: Iterable[Any], *, what: str = "") -> Validator:
    """Validator: the value is one of ``choices`` (compared with ``==``).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class R:
        ...     mode: str = attrs.field(validator=one_of(("floor", "half_up")))
        >>> R("up")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: R: parameter 'mode' must be one of ['floor', 'half_up']; found 'up'.
    """
    options = tuple(choices)

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        check_choice(value, options, _owner(instance), attribute.name, what=what)

    return check


def check_choice(
    value: Any,
    choices: Collection[Any],
    owner: str,
    field: str,
    *,
    optional: bool = False,
    what: str = "",
    hint: str = "",
    error: type[CrmkitError] = ConfigError,
    kind: str | None = None,
) -> None:
    """Check a function argument (or a look-up) against its choices, in :func:`one_of`'s words.

    The one "one of" check of the library: rule fields use :func:`one_of`, function
    arguments call this. ``optional`` also accepts ``None``; ``what`` replaces the listed
    choices in the message (for long or computed lists); ``error`` and ``kind`` choose the
    exception (a :class:`~crmkit.errors.ConfigError` on a parameter by default). ``False``
    is not taken for ``0`` unless ``True`` is a choice too, and an unhashable value is
    refused, not a ``TypeError``.

    Examples:
        >>> check_choice("half_up", ("floor", "half_up"), "round_points()", "rounding")
        >>> check_choice("up", ("floor", "half_up"), "round_points()", "rounding")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: round_points(): parameter 'rounding' must be one of ['floor', 'half_up']; found 'up'.
        >>> check_choice("x", {"wald": 1}, "nps()", "ci", optional=True)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: nps(): parameter 'ci' must be one of ['wald'] or None; found 'x'.
    """
    if optional and value is None:
        return
    try:
        ok = value in choices and not (isinstance(value, bool) and True not in choices)
    except TypeError:  # unhashable values compared against a set-like
        ok = False
    if not ok:
        expected = what or f"one of {list(choices)}"
        raise error(
            owner,
            field,
            expected=f"{expected} or None" if optional and not what else expected,
            found=repr(value),
            hint=hint,
            kind=kind,
        )


def _interval(lo: Any, hi: Any, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'greater than' if lo_open else 'at least'} {lo}"
    if hi is not None:
        return f"{'less than' if hi_open else 'at most'} {hi}"
    return ""


def _range_ok(value: Any, lo: Any, hi: Any, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (value <= lo if lo_open else value < lo):
        return False
    return not (hi is not None and (value >= hi if hi_open else value > hi))


def number(
    *,
    min: float | None = None,
    max: float | None = None,
    min_open: bool = False,
    max_open: bool = False,
    optional: bool = False,
) -> Validator:
    """Validator: a finite real number (not a bool), optionally in a range.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class R:
        ...     share: float = attrs.field(validator=number(min=0, max=1, min_open=True))
        >>> R(0.0)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: R: parameter 'share' must be a number in (0, 1]; found 0.0.
    """
    expected = " ".join(filter(None, ("a number", _interval(min, max, min_open, max_open))))

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(float(value))
            or not _range_ok(value, min, max, min_open, max_open)
        ):
            raise ConfigError(
                _owner(instance), attribute.name, expected=expected, found=repr(value)
            )

    return check


def whole(
    *,
    min: int | None = None,
    max: int | None = None,
    optional: bool = False,
) -> Validator:
    """Validator: an ``int`` (not a bool, not a float), optionally in ``[min, max]``.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class RFMScorer:
        ...     bins: int = attrs.field(validator=whole(min=2, max=10))
        >>> RFMScorer(1)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: RFMScorer: parameter 'bins' must be an int in [2, 10]; found 1.
    """
    expected = " ".join(filter(None, ("an int", _interval(min, max, False, False))))

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Integral)
            or not _range_ok(value, min, max, False, False)
        ):
            raise ConfigError(
                _owner(instance), attribute.name, expected=expected, found=repr(value)
            )

    return check


def decimal(
    *,
    min: _decimal.Decimal | int | None = None,
    max: _decimal.Decimal | int | None = None,
    min_open: bool = False,
    optional: bool = False,
) -> Validator:
    """Validator: a finite :class:`decimal.Decimal`, optionally in a range.

    Pair it with ``converter=to_decimal`` (from this module's :data:`DECIMAL` codec) when
    ints and strings should be accepted too.

    Examples:
        >>> import attrs, decimal as d
        >>> @attrs.frozen
        ... class Rate:
        ...     per: d.Decimal = attrs.field(validator=decimal(min=0, min_open=True))
        >>> Rate(d.Decimal("0"))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Rate: parameter 'per' must be a decimal greater than 0; found Decimal('0').
    """
    expected = " ".join(filter(None, ("a decimal", _interval(min, max, min_open, False))))

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if (
            not isinstance(value, _decimal.Decimal)
            or not value.is_finite()
            or not _range_ok(value, min, max, min_open, False)
        ):
            raise ConfigError(
                _owner(instance), attribute.name, expected=expected, found=repr(value)
            )

    return check


def timezone(*, optional: bool = False) -> Validator:
    """Validator: an IANA time zone name (a ``str`` that :mod:`zoneinfo` knows).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Cal:
        ...     timezone: str = attrs.field(validator=timezone())
        >>> Cal("Asia/Shanghai").timezone
        'Asia/Shanghai'
        >>> Cal("Mars/Olympus")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Cal: parameter 'timezone' must be an IANA time zone name such as 'Asia/Shanghai'; found 'Mars/Olympus'.
    """

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        ok = isinstance(value, str)
        if ok:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                ok = False
        if not ok:
            raise ConfigError(
                _owner(instance),
                attribute.name,
                expected="an IANA time zone name such as 'Asia/Shanghai'",
                found=repr(value),
            )

    return check


def instance_of(types: type | tuple[type, ...], what: str, *, optional: bool = False) -> Validator:
    """Validator: ``isinstance(value, types)``; ``what`` completes "must be ...".

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class R:
        ...     name: str = attrs.field(validator=instance_of(str, "a string"))
        >>> R(3)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: R: parameter 'name' must be a string; found int 3.
    """

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
            raise ConfigError(
                _owner(instance),
                attribute.name,
                expected=what,
                found=f"{type(value).__name__} {value!r}",
            )

    return check


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def as_tuple(value: Any) -> Any:
    """Converter: a list or other iterable as a tuple; anything else is left for the validator.

    Text and mappings are left as they are too, so ``each`` names them instead of a bare
    ``TypeError`` (or a string read letter by letter).

    Examples:
        >>> as_tuple([1, 2]), as_tuple(None), as_tuple("ab")
        ((1, 2), None, 'ab')
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value
    return tuple(value)


def each(validator: Validator) -> Validator:
    """Validator: apply ``validator`` to every item of a sequence; messages name the index.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class R:
        ...     days: tuple[int, ...] = attrs.field(validator=each(whole(min=1)))
        >>> R((3, 0))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: R: parameter 'days[1]' must be an int at least 1; found 0.
    """

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, (tuple, list, frozenset)):
            raise ConfigError(
                type(instance).__name__,
                attribute.name,
                expected="a list",
                found=f"{type(value).__name__} {value!r:.60}",
            )
        for i, item in enumerate(value):
            try:
                validator(instance, attribute, item)
            except ConfigError as err:
                raise _moved(err, f"{attribute.name}[{i}]") from None

    return check


def not_less_than(other: str, *, strict: bool = False) -> Validator:
    """Validator: this field is ``>=`` (``>`` when strict) the already-set field ``other``.

    attrs runs validators after every field is set, so the order of fields does not
    matter. ``None`` on either side skips the check (an optional bound).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class P:
        ...     new_days: int = 30
        ...     at_risk_days: int = attrs.field(default=90, validator=not_less_than("new_days"))
        >>> P(new_days=120)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: P: parameter 'at_risk_days' must be at least new_days (120); found 90.
    """

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        bound = getattr(instance, other)
        if value is None or bound is None:
            return
        try:
            bad = value <= bound if strict else value < bound
        except TypeError:  # the per-field validators report the wrong type
            return
        if bad:
            word = "greater than" if strict else "at least"
            raise ConfigError(
                _owner(instance),
                attribute.name,
                expected=f"{word} {other} ({bound})",
                found=repr(value),
            )

    return check


def predicate(test: Callable[[Any], bool], expected: str, *, hint: str = "") -> Validator:
    """Validator for a one-off rule: ``test(value)`` must be true.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class R:
        ...     code: str = attrs.field(validator=predicate(str.isupper, "upper case"))
        >>> R("ab")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: R: parameter 'code' must be upper case; found 'ab'.
    """

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not test(value):
            raise ConfigError(
                _owner(instance), attribute.name, expected=expected, found=repr(value), hint=hint
            )

    return check


# ------------------------------------------------------------------------------- codecs
class Codec:
    """How one field's value is written to JSON types and read back.

    ``decode`` receives the JSON value and the path the caller wrote (for messages) and
    returns what the attrs class accepts; the class's validators check it afterwards.
    Subclasses override :meth:`encode` and :meth:`decode`; the base passes values through.

    Examples:
        >>> PLAIN.encode(3), PLAIN.decode("x", "name")
        (3, 'x')
    """

    def encode(self, value: Any) -> Any:
        """Return ``value`` as JSON types (dict, list, str, int, float, bool, None)."""
        return value

    def decode(self, data: Any, path: str) -> Any:
        """Return the field value read from JSON ``data`` found at ``path``."""
        return data


#: Pass JSON scalars through unchanged (str, int, float, bool, None).
PLAIN = Codec()


class Seq(Codec):
    """A list in JSON, a tuple in the value; ``None`` or a string is refused.

    Examples:
        >>> Seq().decode([1, 2], "days")
        (1, 2)
        >>> Seq().decode(None, "tiers")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: from_dict(): parameter 'tiers' must be a list; found None.
    """

    def __init__(self, item: Codec = PLAIN) -> None:
        self.item = item

    def encode(self, value: Any) -> Any:
        """Encode each item into a list."""
        return [self.item.encode(v) for v in value]

    def decode(self, data: Any, path: str) -> Any:
        """Decode a list (or tuple) into a tuple; each item at ``path[i]``."""
        if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Sequence):
            raise _bad(path, "a list", data)
        return tuple(self.item.decode(v, f"{path}[{i}]") for i, v in enumerate(data))


class Map(Codec):
    """A JSON object with string keys; values by ``value`` codec. Decodes to a dict.

    Examples:
        >>> Map(Seq()).decode({"*": [1]}, "targets")
        {'*': (1,)}
    """

    def __init__(self, value: Codec = PLAIN) -> None:
        self.value = value

    def encode(self, value: Any) -> Any:
        """Encode each value; keys stay strings."""
        return {str(k): self.value.encode(v) for k, v in value.items()}

    def decode(self, data: Any, path: str) -> Any:
        """Decode each value at ``path['key']``."""
        if not isinstance(data, Mapping):
            raise _bad(path, "a mapping", data)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise _bad(f"{path}[{key!r}]", "a string key", key)
            out[key] = self.value.decode(value, f"{path}[{key!r}]")
        return out


class Nested(Codec):
    """Another :class:`Spec` class, written as its own mapping (without schema_version).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Tier(Spec):
        ...     '''A toy tier.'''
        ...     points: int = field(validator=whole(min=0))
        >>> Seq(Nested(Tier)).decode([{"points": 5}, {"points": -1}], "tiers")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: from_dict(): parameter 'tiers[1].points' must be an int at least 0; found -1.
    """

    def __init__(self, cls: type[Spec]) -> None:
        self.cls = cls

    def encode(self, value: Any) -> Any:
        """Encode the nested value (no schema key)."""
        return encode(value, top=False)

    def decode(self, data: Any, path: str) -> Any:
        """Build the nested class from ``data``; errors name ``path``."""
        return decode(self.cls, data, path)


class Union(Codec):
    """One of several :class:`Spec` classes, chosen by a tag key (``kind`` by default).

    Each class's tag value is its ``__spec_tag__`` class attribute; the tag is written as
    the first key of the mapping and is not a field of the class.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Days(Spec):
        ...     '''Toy.'''
        ...     __spec_tag__ = "days"
        ...     n: int = field(validator=whole(min=1))
        >>> u = Union(Days)
        >>> u.encode(Days(3))
        {'kind': 'days', 'n': 3}
        >>> u.decode({"kind": "weeks"}, "expiry")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: from_dict(): parameter 'expiry.kind' must be one of ['days']; found 'weeks'.
    """

    def __init__(self, *classes: type[Spec], tag: str = "kind") -> None:
        self.tag = tag
        self.classes = {str(c.__spec_tag__): c for c in classes}

    def encode(self, value: Any) -> Any:
        """Encode with the tag first."""
        fields = encode(value, top=False)
        return {
            self.tag: type(value).__spec_tag__,
            **{k: v for k, v in fields.items() if k != self.tag},
        }

    def decode(self, data: Any, path: str) -> Any:
        """Dispatch on the tag, then build that class."""
        if not isinstance(data, Mapping):
            raise _bad(path, "a mapping", data)
        where = _join(path, self.tag)
        if self.tag not in data:
            raise _bad(where, "present", "no such key", raw=True)
        cls = self.classes.get(data[self.tag]) if isinstance(data[self.tag], str) else None
        if cls is None:
            raise _bad(where, f"one of {sorted(self.classes)}", data[self.tag])
        rest = {k: v for k, v in data.items() if k != self.tag}
        return decode(cls, rest, path)


class Optional(Codec):
    """``None`` or a value of the inner codec.

    Examples:
        >>> Optional(DATE).decode(None, "until"), Optional(DATE).decode("2025-01-31", "until")
        (None, datetime.date(2025, 1, 31))
    """

    def __init__(self, inner: Codec) -> None:
        self.inner = inner

    def encode(self, value: Any) -> Any:
        """``None`` stays ``None``."""
        return None if value is None else self.inner.encode(value)

    def decode(self, data: Any, path: str) -> Any:
        """``None`` stays ``None``."""
        return None if data is None else self.inner.decode(data, path)


class Custom(Codec):
    """A codec from two functions, for a field with its own established JSON form.

    ``decode`` may raise ``ValueError``/``TypeError``; they become a ConfigError at the path.

    Examples:
        >>> c = Custom(str, int, "a whole number as text")
        >>> c.encode(5), c.decode("5", "n")
        ('5', 5)
        >>> c.decode("five", "n")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: from_dict(): parameter 'n' must be a whole number as text; found 'five'.
    """

    def __init__(
        self, encode: Callable[[Any], Any], decode: Callable[[Any], Any], expected: str
    ) -> None:
        self._encode = encode
        self._decode = decode
        self.expected = expected

    def encode(self, value: Any) -> Any:
        """Apply the encoding function."""
        return self._encode(value)

    def decode(self, data: Any, path: str) -> Any:
        """Apply the decoding function; failures name ``path``."""
        try:
            return self._decode(data)
        except ConfigError:
            raise
        except (ValueError, TypeError, ArithmeticError):
            raise _bad(path, self.expected, data) from None


def plain_number_text(text: str) -> bool:
    """Whether ``text`` is free of what ``Decimal`` reads but crmkit does not.

    Numbers are read one way across crmkit, as pandas reads them in the analytics: ASCII
    digits, a sign, a dot for decimals (and an exponent). ``Decimal`` alone would also take
    full-width or other non-ASCII digits and underscores between digits.

    Examples:
        >>> full_width_100 = "\uff11\uff10\uff10"
        >>> plain_number_text("1234.50"), plain_number_text(full_width_100), plain_number_text("1_000")
        (True, False, False)
    """
    return text.isascii() and "_" not in text


def to_decimal(value: Any) -> Any:
    """Converter: ints and decimal strings become :class:`~decimal.Decimal`; floats do not.

    Floats are refused (returned unchanged for the validator to report) because a binary
    float such as 0.1 has no exact decimal meaning; so is text that is not a plain number
    (:func:`plain_number_text`). This is the one reader of decimal text in crmkit.

    Examples:
        >>> to_decimal("1.50"), to_decimal(2), to_decimal(" 3 ")
        (Decimal('1.50'), Decimal('2'), Decimal('3'))
        >>> to_decimal("1_000"), to_decimal("1,234.50"), to_decimal("\uff11\uff10") == "\uff11\uff10"
        ('1_000', '1,234.50', True)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _decimal.Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if not plain_number_text(text):
            return value
        try:
            return _decimal.Decimal(text)
        except _decimal.InvalidOperation:
            return value
    return value


def _decode_decimal(data: Any) -> _decimal.Decimal:
    if isinstance(data, (bool, float)):
        raise TypeError("floats are not exact decimals")
    out = to_decimal(data)
    if not isinstance(out, _decimal.Decimal) or not out.is_finite():
        raise ValueError("not a decimal")
    return out


#: Decimals as strings in JSON ("0.01"); ints and decimal strings are read, floats refused.
DECIMAL = Custom(str, _decode_decimal, "a decimal written as a string such as '0.01'")
#: Dates as ISO strings ("2025-01-31").
DATE = Custom(dt.date.isoformat, dt.date.fromisoformat, "an ISO date such as '2025-01-31'")
#: Datetimes as ISO strings with their offset.
DATETIME = Custom(
    dt.datetime.isoformat,
    dt.datetime.fromisoformat,
    "an ISO datetime such as '2025-01-31T09:00:00+08:00'",
)


def _decode_timedelta(data: Any) -> dt.timedelta:
    if isinstance(data, bool) or not isinstance(data, (int, float)) or not math.isfinite(data):
        raise TypeError("not a number of seconds")
    return dt.timedelta(seconds=data)


#: Durations as a number of seconds.
TIMEDELTA = Custom(
    lambda v: v.total_seconds(), _decode_timedelta, "a number of seconds such as 3600"
)


# --------------------------------------------------------------------------- the fields
@attrs.frozen
class _FieldSpec:
    key: str | None
    codec: Codec
    omit_default: bool


def field(
    *,
    default: Any = attrs.NOTHING,
    factory: Callable[[], Any] | None = None,
    validator: Validator | Sequence[Validator] | None = None,
    converter: Callable[[Any], Any] | None = None,
    codec: Codec = PLAIN,
    key: str | None = None,
    omit_default: bool = False,
    serialise: bool = True,
    eq: bool = True,
) -> Any:
    """Declare an attrs field with its JSON key and codec.

    Args:
        default: The default value (a field without one is a required key).
        factory: A default factory instead of ``default``.
        validator: One validator or a list, run when the value is built (and on evolve).
        converter: Normalises what callers pass (e.g. list -> tuple) before validation.
        codec: How the value is written to and read from JSON.
        key: The JSON key when it differs from the attribute name.
        omit_default: Leave the key out of ``to_dict`` when the value equals the default.
        serialise: ``False`` for a field that is not part of the JSON form at all (it must
            have a default).
        eq: ``False`` to leave the field out of equality and hashing.

    Returns:
        What :func:`attrs.field` returns.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Rule(Spec):
        ...     '''Toy.'''
        ...     skus: tuple[str, ...] = field(factory=tuple, converter=tuple, codec=Seq())
        >>> Rule(["a"]).to_dict()
        {'schema_version': 1, 'skus': ['a']}
    """
    meta = {_META: _FieldSpec(key, codec, omit_default)} if serialise else {}
    if factory is not None:
        default = attrs.Factory(factory)
    kwargs: dict[str, Any] = {"default": default, "metadata": meta, "eq": eq}
    if validator is not None:
        kwargs["validator"] = list(validator) if isinstance(validator, Sequence) else validator
    if converter is not None:
        kwargs["converter"] = converter
    return attrs.field(**kwargs)


def _fields(cls: type) -> list[tuple[attrs.Attribute[Any], _FieldSpec]]:
    out = []
    for attribute in attrs.fields(cls):
        meta = attribute.metadata.get(_META)
        if meta is None:
            if attribute.init and attribute.default is attrs.NOTHING:
                raise TypeError(f"{cls.__name__}.{attribute.name}: a required field needs spec")
            continue
        out.append((attribute, meta))
    return out


def _default_of(attribute: attrs.Attribute[Any]) -> Any:
    default = attribute.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()  # type: ignore[union-attr]
    return default


# ------------------------------------------------------------------- encode and decode
def encode(value: Any, *, top: bool = True) -> dict[str, Any]:
    """Return the JSON mapping of a :class:`Spec` instance (used by ``to_dict``).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Rule(Spec):
        ...     '''Toy.'''
        ...     n: int = field(default=1)
        >>> encode(Rule(), top=False)
        {'n': 1}
    """
    cls = type(value)
    out: dict[str, Any] = {SCHEMA_KEY: cls.__spec_version__} if top else {}
    if cls.__spec_tag__:
        out[cls.__spec_tag_key__] = cls.__spec_tag__
    for attribute, meta in _fields(cls):
        current = getattr(value, attribute.name)
        if meta.omit_default and current == _default_of(attribute):
            continue
        out[meta.key or attribute.name] = meta.codec.encode(current)
    return out


def decode(cls: type[S], data: Any, path: str = "", *, owner: str | None = None) -> S:
    """Build ``cls`` from a JSON mapping; every problem is a ConfigError naming its path.

    Args:
        cls: The :class:`Spec` class.
        data: The mapping.
        path: Where ``data`` sits in the caller's document ("" at the top).
        owner: Who complains; defaults to ``"<cls>.from_dict()"`` at the top.

    Returns:
        The new instance.

    Raises:
        ConfigError: Unknown or missing keys, wrong types, invalid values.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Rule(Spec):
        ...     '''Toy.'''
        ...     n: int = field(validator=whole(min=1))
        >>> decode(Rule, {"n": 0})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Rule: parameter 'n' must be an int at least 1; found 0.
    """
    # Nested levels report as "from_dict()"; the top level re-owns their errors.
    who = owner or (f"{cls.__name__}.from_dict()" if not path else "from_dict()")
    if not isinstance(data, Mapping):
        raise ConfigError(who, path or "data", expected="a mapping", found=type(data).__name__)
    data = cls.__spec_upgrade__(dict(data))
    tag_key = cls.__spec_tag_key__
    if cls.__spec_union__ and (tag_key in data or not cls.__spec_tag__):
        # A polymorphic base: the tag picks the subclass to build.
        tag = data.get(tag_key, cls.__spec_tag__)
        choices = {t: c for t, c in cls.__spec_union__.items() if issubclass(c, cls)}
        target = choices.get(tag) if isinstance(tag, str) else None
        if target is None:
            raise ConfigError(
                who, _join(path, tag_key), expected=f"one of {sorted(choices)}", found=repr(tag)
            )
        if target is not cls:
            return decode(target, data, path, owner=owner or who)
    if cls.__spec_tag__ and data.get(tag_key, cls.__spec_tag__) != cls.__spec_tag__:
        raise ConfigError(
            who,
            _join(path, tag_key),
            expected=f"one of {[cls.__spec_tag__]}",
            found=repr(data[tag_key]),
        )
    if cls.__spec_tag__:
        data.pop(tag_key, None)
    specs = _fields(cls)
    known = {meta.key or attribute.name: (attribute, meta) for attribute, meta in specs}
    allowed = set(known) | ({SCHEMA_KEY} if not path else set())
    for key in data:
        if key not in allowed:
            raise ConfigError(
                who,
                _join(path, str(key)),
                expected=f"one of {sorted(allowed)}",
                found="an unknown key",
            )
    if not path and SCHEMA_KEY in data and data[SCHEMA_KEY] != cls.__spec_version__:
        raise ConfigError(
            who,
            SCHEMA_KEY,
            expected=f"{cls.__spec_version__} (this crmkit's schema for {cls.__name__})",
            found=repr(data[SCHEMA_KEY]),
            hint="The rule was stored by another crmkit version; upgrade crmkit to read it.",
        )
    kwargs: dict[str, Any] = {}
    for key, (attribute, meta) in known.items():
        if key not in data:
            if attribute.default is attrs.NOTHING:
                raise ConfigError(who, _join(path, key), expected="present", found="no such key")
            continue
        try:
            kwargs[attribute.alias or attribute.name] = meta.codec.decode(
                data[key], _join(path, key)
            )
        except ConfigError as err:
            raise _reowned(err, who) from None
    try:
        return cls(**kwargs)
    except ConfigError as err:
        if not path:
            raise
        raise _moved(err, _join(path, err.field), owner=who) from None
    except (TypeError, ValueError, ArithmeticError) as err:
        raise ConfigError(
            who, path or "data", expected=f"a valid {cls.__name__}", found=f"{err}"
        ) from None


S = TypeVar("S", bound="Spec")


class Spec:
    """Base class of every rule, policy, calendar and model: ``to_dict``/``from_dict``.

    Subclasses are ``@attrs.frozen`` and declare their fields with :func:`field`. They may
    set ``__spec_version__`` (bump it when the JSON form changes, and teach
    :meth:`__spec_upgrade__` to read the old form) and ``__spec_tag__`` (the ``kind`` value
    when the class is a member of a :class:`Union`).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Ladder(Spec):
        ...     '''Toy.'''
        ...     names: tuple[str, ...] = field(converter=tuple, codec=Seq())
        >>> Ladder.from_dict(Ladder(["silver", "gold"]).to_dict())
        Ladder(names=('silver', 'gold'))

        A polymorphic base maps tags to subclasses; each subclass writes its tag:

        >>> @attrs.frozen
        ... class Expiry(Spec):
        ...     "Toy base."
        >>> @attrs.frozen
        ... class AfterDays(Expiry):
        ...     "Toy kind."
        ...     __spec_tag__ = "days"
        ...     n: int = field(validator=whole(min=1))
        >>> Expiry.__spec_union__ = {"days": AfterDays}
        >>> AfterDays(30).to_dict()
        {'schema_version': 1, 'kind': 'days', 'n': 30}
        >>> Expiry.from_dict({"kind": "days", "n": 30})
        AfterDays(n=30)
        >>> Expiry.from_dict({"kind": "weeks"})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Expiry.from_dict(): parameter 'kind' must be one of ['days']; found 'weeks'.
    """

    __slots__ = ()
    __spec_version__: ClassVar[int] = 1
    __spec_tag__: ClassVar[str] = ""
    __spec_tag_key__: ClassVar[str] = "kind"
    #: On a polymorphic base: tag -> subclass, so ``Base.from_dict`` builds the right kind.
    __spec_union__: ClassVar[Mapping[str, type[Spec]]] = {}

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Rewrite an older JSON form into the current one (default: unchanged)."""
        return data

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping that :meth:`from_dict` reads back exactly."""
        return encode(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build an instance from :meth:`to_dict` output; unknown keys are ConfigErrors."""
        return decode(cls, data)


# ------------------------------------------------------------------------------ helpers
def _join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}.{key}" if not key.startswith("[") else f"{path}{key}"


def _bad(path: str, expected: str, found: Any, *, raw: bool = False) -> ConfigError:
    shown = str(found) if raw else ("None" if found is None else repr(found))
    return ConfigError("from_dict()", path, expected=expected, found=shown)


def _reowned(err: ConfigError, owner: str) -> ConfigError:
    if err.owner != "from_dict()":
        return err
    return _moved(err, err.field, owner=owner)


def _moved(err: ConfigError, field: str, *, owner: str | None = None) -> ConfigError:
    return ConfigError(
        owner or err.owner,
        field,
        expected=err.expected,
        found=err.found,
        rows=err.rows,
        total=err.total,
        hint=err.hint,
        kind=err.kind,
    )


_cache: dict[int, dict[str, Any]] = {}
_cache_lock = threading.Lock()


def derived(obj: object, name: str, build: Callable[[], T]) -> T:
    """Return ``build()`` computed once per live ``obj`` and cached beside it.

    For engines derived from a frozen value (a compiled program, a timeline): the value
    stays pure data; the cache entry is dropped when the value is garbage-collected. The
    value's class needs a weakref slot (attrs' default).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class P:
        ...     n: int
        >>> p = P(3)
        >>> derived(p, "square", lambda: p.n ** 2), derived(p, "square", lambda: -1)
        (9, 9)
    """
    key = id(obj)
    with _cache_lock:
        slot = _cache.get(key)
        if slot is not None and name in slot:
            return slot[name]  # type: ignore[no-any-return]
    value = build()
    with _cache_lock:
        slot = _cache.get(key)
        if slot is None:
            slot = _cache[key] = {}
            weakref.finalize(obj, _cache.pop, key, None)
        return slot.setdefault(name, value)  # type: ignore[no-any-return]


# --------------------------------------------------------------------- branch: service
def metadata(
    *, codec: Codec = PLAIN, key: str | None = None, omit_default: bool = False
) -> dict[str, Any]:
    """The metadata :func:`field` attaches, for a plain ``attrs.field(..., metadata=...)``.

    Use it where a field has a converter that accepts more than the attribute's type
    (``list`` -> ``tuple``, JSON forms): mypy's attrs plugin types ``__init__`` from
    converters only on ``attrs.field`` itself.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Rule(Spec):
        ...     '''Toy.'''
        ...     skus: tuple[str, ...] = attrs.field(converter=tuple, metadata=metadata(codec=Seq()))
        >>> Rule(["a"]).to_dict()
        {'schema_version': 1, 'skus': ['a']}
    """
    return {_META: _FieldSpec(key, codec, omit_default)}


# ------------------------------------------------------------------------- branch: seg
def bounded_by(
    other: str, *, below: bool = False, strict: bool = False, hint: str = ""
) -> Validator:
    """Validator: this field is ``>=`` the field ``other`` (``<=`` with ``below=True``).

    :func:`not_less_than` with both directions and a ``hint``, for a chain of ordered
    thresholds where the message should name the field the caller changed (e.g.
    ``new_days <= at_risk_days`` reported on ``new_days``). ``strict`` makes it ``>``
    (``<``). ``None`` or a bool on either side, or values that do not compare, skip the
    check (the per-field validators report those).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class P:
        ...     new_days: int = attrs.field(default=30, validator=bounded_by(
        ...         "at_risk_days", below=True, hint="Keep them in order."))
        ...     at_risk_days: int = 90
        >>> P(new_days=120)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: P: parameter 'new_days' must be at most at_risk_days (90); found 120. Keep them in order.
    """

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        bound = getattr(instance, other)
        if value is None or bound is None or isinstance(value, bool) or isinstance(bound, bool):
            return  # the per-field validators report a missing or a bool value
        try:
            if below:
                bad = value >= bound if strict else value > bound
            else:
                bad = value <= bound if strict else value < bound
        except TypeError:
            return
        if bad:
            word = (
                ("less than" if strict else "at most")
                if below
                else ("greater than" if strict else "at least")
            )
            raise ConfigError(
                _owner(instance),
                attribute.name,
                expected=f"{word} {other} ({bound:g})"
                if isinstance(bound, float)
                else f"{word} {other} ({bound})",
                found=f"{value:g}" if isinstance(value, float) else repr(value),
                hint=hint,
            )

    return check
