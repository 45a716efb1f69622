"""Audience rules: one customer and a frame fail alike; lists are accepted; the date reader.

Regressions:

* ``Audience.matches`` named a bad rule's field without the ``rule.`` path that
  ``Audience.mask`` gives (``value`` against ``rule.value``), and a column missing from the
  customer's mapping by its name (``'nope'``), where ``mask`` names the node
  (``rule.conditions[1].column``).
* ``In``, ``AllOf``, ``AnyOf`` and ``TagSet`` were typed to take tuples only, so
  ``mypy --strict`` refused ``In("city", ["Shanghai", "Beijing"])``.
* The audience kept a second one-nanosecond constant beside ``crmkit._validate``'s.
* The rules' date reader (``datetime.fromisoformat``) refused the year-first unpadded days
  that crmkit's date reader takes as days (``"2025-9-30"``, ``"2025/9/30"``: the
  ``DAY_TEXT`` forms), and cut fractional seconds after the sixth digit
  (``"...T10:00:00.1234567"`` compared as ``.123456``) without a word.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crmkit._validate
from crmkit.campaigns import (
    AllOf,
    AnyOf,
    Audience,
    Between,
    Compare,
    Condition,
    In,
    IsNull,
    Not,
    TagSet,
    _audience,
)
from crmkit.errors import ConfigError, CrmkitError, SchemaError

SEEN = pd.DataFrame(
    {
        "seen": pd.to_datetime(
            ["2025-09-29 23:00", "2025-09-30 00:00", "2025-09-30 14:00", "2025-10-01 00:00"]
        )
    },
    index=["ann", "bob", "cy", "dee"],
)


def _outcome(check: Any) -> tuple[type[BaseException], str | None, str] | bool:
    """What ``check()`` gives: its answer, or the class, field and text of its error."""
    try:
        return bool(check())
    except CrmkitError as exc:
        return type(exc), exc.field, str(exc)


def _refusals(rule: Condition, frame: pd.DataFrame) -> list[CrmkitError]:
    """The errors of ``mask`` on ``frame`` and of ``matches`` on its first row (both must
    raise)."""
    audience = Audience("a", rule)
    first = {column: frame[column].iloc[0] for column in frame.columns}
    errors = []
    for check in (lambda: audience.mask(frame), lambda: audience.matches(first)):
        with pytest.raises(CrmkitError) as info:
            check()
        errors.append(info.value)
    return errors


# ----------------------------------------------------------- 1. one customer = a frame
@pytest.mark.parametrize(
    ("rule", "cls", "field"),
    [
        (Compare("n", "==", "1"), ConfigError, "rule.value"),
        (Compare("s", "<", "b"), ConfigError, "rule.op"),
        (In("s", ["a", 2]), ConfigError, "rule.values[1]"),
        (Between("s", 1, 2), ConfigError, "rule.column"),
        (Compare("nope", "==", 1), SchemaError, "rule.column"),
        (AllOf([Compare("n", ">", 1), Compare("nope", "==", 1)]), SchemaError,
         "rule.conditions[1].column"),
        (AnyOf([IsNull("n"), Not(Compare("s", ">=", "a"))]), ConfigError,
         "rule.conditions[1].condition.op"),
        (AllOf([Compare("nope", "==", 1), Compare("n", "==", "x")]), SchemaError,
         "rule.conditions[0].column"),
        (AllOf([Compare("n", "==", "x"), Compare("nope", "==", 1)]), ConfigError,
         "rule.conditions[0].value"),
    ],
)  # fmt: skip
def test_matches_names_the_field_mask_names(rule: Condition, cls: type, field: str) -> None:
    """``matches`` raises the class ``mask`` raises, naming the same path in the rule, with
    the same message; a missing key is found where ``mask`` finds a missing column (the
    first bad node in tree order), not before every other check."""
    audience = Audience("x", rule)
    frame = pd.DataFrame({"n": [1.0], "s": ["a"]})
    batch = _outcome(lambda: audience.mask(frame))
    scalar = _outcome(lambda: audience.matches({"n": 1.0, "s": "a"}))
    assert batch == scalar
    assert isinstance(batch, tuple)
    assert batch[:2] == (cls, field)


def test_condition_test_names_the_field_condition_mask_names() -> None:
    """The same on a bare condition: ``test`` and ``mask`` name ``conditions[1].column``."""
    rule = AllOf([Compare("n", ">", 1), Compare("nope", "==", 1)])
    for check in (lambda: rule.mask(pd.DataFrame({"n": [1.0]})), lambda: rule.test({"n": 1.0})):
        with pytest.raises(SchemaError) as info:
            check()
        assert info.value.field == "conditions[1].column"


_NUMBERS = st.sampled_from([0, 1, 90, 180.5, -1.0])
_TEXTS = st.sampled_from(["A", "B", "dormant", "客户"])
#: Rule values for the ``seen`` column: days in each form the reader takes, instants, a
#: "never" sentinel, and values it refuses (an offset against naive times, more than six
#: fractional digits, a week date, a day that does not exist, a partial date).
_TIMES = st.sampled_from([
    "2025-09-30", "20250930", "2025-9-30", "2025/9/30", "2025.10.1", "2025 9 29",
    "2025-09-30T14:00", "2025-09-30T14:00:00.123456", "2025-09-30T14:00:00.1234560",
    "9999-12-31", "9999/12/31", "2025-09-30T14:00:00.1234567", "2025-09-30T00:00+08:00",
    "2025-W40", "2025-2-30", "2025-09", "2025-0930",
])  # fmt: skip
_COLUMNS = {"n": _NUMBERS, "s": _TEXTS, "flag": st.booleans(), "seen": _TIMES, "nope": _NUMBERS}
_ANY_VALUE = st.one_of(_NUMBERS, _TEXTS, st.booleans(), _TIMES)


@st.composite
def _rules(draw: st.DrawFn, depth: int = 2) -> Condition:
    """Condition trees that may not fit the columns: wrong kinds, a missing column."""
    column = draw(st.sampled_from(sorted(_COLUMNS)))
    value = st.one_of(_COLUMNS[column], _ANY_VALUE)  # mostly the column's kind
    choice = draw(st.sampled_from(["compare", "in", "between", "is_null"]
                                  + (["all", "any", "not"] if depth else [])))  # fmt: skip
    if choice == "compare":
        return Compare(column, draw(st.sampled_from(_audience.OPS)), draw(value))
    if choice == "in":
        return In(column, draw(st.lists(value, max_size=3)))
    if choice == "between":
        try:
            return Between(column, draw(value), draw(value))
        except ConfigError:  # ends out of order: refused when built
            return IsNull(column)
    if choice == "is_null":
        return IsNull(column)
    if choice == "not":
        return Not(draw(_rules(depth - 1)))
    children = draw(st.lists(_rules(depth - 1), max_size=3))
    return AllOf(children) if choice == "all" else AnyOf(children)


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to six customers' records (a value may be missing), as an app holds them."""
    seen = st.sampled_from(["2025-09-29 23:00", "2025-09-30 00:00", "2025-09-30 14:00",
                            "2025-09-30 14:00:00.123456", "2025-10-01 00:00"])  # fmt: skip
    record = st.fixed_dictionaries(
        {
            "n": st.one_of(st.none(), st.integers(-2, 200).map(float)),
            "s": st.one_of(st.none(), _TEXTS),
            "flag": st.one_of(st.none(), st.booleans()),
            "seen": st.one_of(st.none(), seen.map(pd.Timestamp)),
        }
    )
    return draw(st.lists(record, min_size=1, max_size=6))


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as a typed customer frame (float, text, nullable boolean, datetime)."""
    column = {k: [r[k] for r in records] for k in records[0]}
    return pd.DataFrame(
        {
            "n": pd.array(column["n"], dtype="float64"),
            "s": pd.Series(column["s"], dtype=object),
            "flag": pd.array(column["flag"], dtype="boolean"),
            "seen": pd.to_datetime(pd.Series(column["seen"], dtype=object)),
        }
    )


@given(_records(), _rules())
def test_scalar_equals_batch_errors_included(records: list[dict[str, Any]], rule: Condition):
    """Property (scalar = batch), for rules that may not fit the data: when ``mask``
    answers, ``matches`` gives its row's answer for every record; when ``mask`` refuses the
    rule, ``matches`` refuses it identically (class, field, message) for every record whose
    values the rule reads are present. (A missing value tells one customer nothing about
    its column's kind, so a record with one may be answered instead.)"""
    audience = Audience("a", rule)
    batch = _outcome(lambda: audience.mask(_frame(records)).tolist())
    for i, record in enumerate(records):
        scalar = _outcome(lambda r=record: audience.matches(r))  # type: ignore[misc]
        if not isinstance(batch, tuple):
            assert scalar == _outcome(lambda i=i: audience.mask(_frame(records)).iloc[i])
        elif all(record.get(c) is not None for c in rule.columns() if c in record):
            assert scalar == batch


# ------------------------------------------------------------------ 2. lists are taken
def test_lists_are_taken_and_stored_as_tuples() -> None:
    """``In``, ``AllOf``, ``AnyOf`` and ``TagSet`` take lists (or any iterable) and keep
    tuples: equal and hashable like the tuple form, and the same JSON."""
    city = In("city", ["Shanghai", "Beijing"])
    assert city == In("city", ("Shanghai", "Beijing"))
    assert city.values == ("Shanghai", "Beijing")
    both = AllOf([city, Compare("n", ">", 1)])
    assert both.conditions == (city, Compare("n", ">", 1))
    either = AnyOf(c for c in [city])
    assert either.conditions == (city,)
    tags = TagSet([Audience("a", city), Audience("b", both)])
    assert isinstance(tags.tags, tuple)
    assert len({city, both, either, tags}) == 4  # hashable
    for rule, tupled in [
        (city, In("city", ("Shanghai", "Beijing"))),
        (both, AllOf((city, Compare("n", ">", 1)))),
        (tags, TagSet((Audience("a", city), Audience("b", both)))),
    ]:
        text = json.dumps(rule.to_dict(), ensure_ascii=False)
        assert text == json.dumps(tupled.to_dict(), ensure_ascii=False)
        assert type(rule).from_dict(json.loads(text)) == tupled


def test_a_list_that_is_not_one_is_still_named() -> None:
    """A string, a mapping or a number where a list belongs is refused naming the field."""
    for build, field in [
        (lambda: In("city", "Shanghai"), "values"),
        (lambda: AllOf({"kind": "all"}), "conditions"),
        (lambda: TagSet(3), "tags"),
        (lambda: AllOf([Compare("n", ">", 1), "x"]), "conditions[1]"),
    ]:
        with pytest.raises(ConfigError) as info:
            build()
        assert info.value.field == field


def test_init_signatures_take_iterables() -> None:
    """What mypy's attrs plugin reads to type ``__init__`` (the converters' annotations,
    which attrs also writes into ``__init__``): any iterable of the right items, where it
    read ``tuple[...]`` (so ``mypy --strict`` refused a list)."""
    assert In.__init__.__annotations__["values"] == "Iterable[Any]"
    assert AllOf.__init__.__annotations__["conditions"] == "Iterable[Condition]"
    assert AnyOf.__init__.__annotations__["conditions"] == "Iterable[Condition]"
    assert TagSet.__init__.__annotations__["tags"] == "Iterable[Audience]"


# ------------------------------------------------------- 3. one nanosecond, one constant
def test_one_nanosecond_is_the_shared_constant() -> None:
    """The audience uses ``crmkit._validate``'s one-nanosecond constant, not its own."""
    assert _audience._ONE_NS is crmkit._validate._ONE_NS


# ---------------------------------------------------------------------- 4. the reader
@pytest.mark.parametrize(
    "day", ["2025-9-30", "2025/9/30", "2025.9.30", "2025/09/30", "2025 9 30", "2025-09-30",
            "20250930"],
)  # fmt: skip
def test_year_first_unpadded_days_are_the_day(day: str) -> None:
    """Every form the shared reader takes as a day (``DAY_TEXT``) means that whole day, on
    a frame and for one customer, and stays as written in JSON."""
    assert crmkit._validate.is_whole_day(day)
    for rule, expected in [
        (Compare("seen", "<=", day), [True, True, True, False]),
        (Compare("seen", "==", day), [False, True, True, False]),
        (Compare("seen", ">", day), [False, False, False, True]),
        (In("seen", [day]), [False, True, True, False]),
        (Between("seen", day, day), [False, True, True, False]),
    ]:
        audience = Audience("a", rule)
        assert audience.mask(SEEN).tolist() == expected, rule
        assert [audience.matches({"seen": v}) for v in SEEN["seen"]] == expected, rule
        assert Audience.from_dict(json.loads(json.dumps(audience.to_dict()))) == audience
    aware = SEEN.assign(seen=SEEN["seen"].dt.tz_localize("Asia/Shanghai"))
    assert Audience("a", Compare("seen", "==", day)).mask(aware).tolist() == [
        False, True, True, False]  # fmt: skip


@pytest.mark.parametrize("day", [" 2025-09-30 ", "2025/9/30 ", " 20250930"])
def test_spaces_around_a_day_are_ignored(day: str) -> None:
    """Regression: ``is_whole_day`` (and the shared reader) ignore spaces around a date, but
    the rules' reader refused ``" 2025-09-30 "`` (text pasted from a spreadsheet cell)."""
    for audience in (Audience("a", Compare("seen", "<=", day)), Audience("a", In("seen", [day]))):
        expected = audience.mask(SEEN).tolist()
        assert expected == Audience("a", type(audience.rule)(**{
            **attrs.asdict(audience.rule, recurse=False),
            **({"value": "2025-09-30"} if isinstance(audience.rule, Compare)
               else {"values": ("2025-09-30",)}),
        })).mask(SEEN).tolist()  # fmt: skip
        assert [audience.matches({"seen": v}) for v in SEEN["seen"]] == expected


@pytest.mark.parametrize("value", ["9999-12-31", "9999/12/31"])
def test_the_never_sentinel_is_still_a_day(value: str) -> None:
    """``"9999-12-31"`` (a stored rule's "never") is read, as a day, in either form."""
    assert Audience("a", Compare("seen", "<", value)).mask(SEEN).all()
    assert Audience("a", Compare("seen", "<", value)).matches({"seen": SEEN["seen"].iloc[0]})


@pytest.mark.parametrize("value", ["2025-2-30", "2025/13/1", "2025-0930", "2025/9-30"])
def test_days_that_do_not_exist_are_refused(value: str) -> None:
    """A year-first form naming no real day, or mixing separators, is refused naming it."""
    for error in _refusals(Compare("seen", "<=", value), SEEN):
        assert isinstance(error, ConfigError)
        assert error.field == "rule.value"
        assert repr(value) in str(error)


@pytest.mark.parametrize(
    "value",
    ["2025-09-30T14:00:00.1234567", "2025-09-30 14:00:00,123456789", "20250930T140000.0000001",
     "2025-09-30T14:00:00.1234561+08:00"],
)  # fmt: skip
def test_fractional_seconds_past_microseconds_are_refused(value: str) -> None:
    """Regression: the digits after the sixth were dropped without a word (``.1234567``
    compared as ``.123456``). Now a ConfigError names the field and the value and says to
    write at most six digits, on a frame and for one customer alike."""
    frame = SEEN if "+" not in value else SEEN.assign(seen=SEEN["seen"].dt.tz_localize("UTC"))
    for rule, field in [
        (Compare("seen", ">=", value), "rule.value"),
        (In("seen", ["2025-09-30", value]), "rule.values[1]"),
        (Between("seen", value, "2025-10-01"), "rule.low"),
    ]:
        for error in _refusals(rule, frame):
            assert isinstance(error, ConfigError)
            assert error.field == field
            assert repr(value) in str(error)
            assert "at most six digits" in str(error)


def test_fractional_seconds_kept_exactly_are_read() -> None:
    """Six digits, or more whose extra digits are zeros (.NET writes seven), are exact."""
    frame = pd.DataFrame({"seen": pd.to_datetime(["2025-09-30 14:00:00.123456",
                                                  "2025-09-30 14:00:00.123457"])})  # fmt: skip
    for value in ["2025-09-30T14:00:00.123456", "2025-09-30T14:00:00.1234560",
                  "2025-09-30T14:00:00,123456000"]:  # fmt: skip
        assert Audience("a", Compare("seen", "==", value)).mask(frame).tolist() == [True, False]
