"""Bad input, walked through the public loyalty entry points (issue 10).

The pattern of ``tests/test_bad_input.py`` (whose helpers this module uses): each kind of
bad input has one exact outcome, a crmkit error whose class, field and row labels are
asserted, or a documented result; the caller's data is never modified and no message
echoes an unrelated column; valid variants equal the plain result. Covered: the batch
replay (``replay_many``, ``breakage``), ``Program.replay``/``apply``, ``event_from_dict``,
``TierLadder``/``EarningScheme``/``ExpiryPolicy.from_dict``, ``assign_tiers`` and
``points_liability``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError
from crmkit.loyalty import (
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    PrivilegeSet,
    Program,
    Purchase,
    PurchaseLine,
    Refund,
    RefundLine,
    Tier,
    TierLadder,
    assign_tiers,
    breakage,
    event_from_dict,
    points_liability,
    replay_many,
)
from tests.test_bad_input import (
    _SECRET,
    BAD_KWARGS,
    _case,
    _epoch,
    _refused,
    _replace,
    _unchanged,
    date_unit_cases,
)

pa = pytest.importorskip("pyarrow")

SH = dt.timezone(dt.timedelta(hours=8))
PROGRAM = Program(timezone="Asia/Shanghai")
AS_OF = dt.datetime(2025, 2, 1, tzinfo=SH)


def _events() -> pd.DataFrame:
    """Two members: enrolment, a two-line purchase, a refund, adjustments, a redemption."""
    return pd.DataFrame(
        {
            "member_id": ["m1", "m1", "m1", "m1", "m2", "m2", "m1"],
            "event_id": ["e", "p1", "p1", "r1", "g", "x", "c"],
            "time": pd.to_datetime(
                [
                    "2025-01-01 09:00",
                    "2025-01-02 10:00",
                    "2025-01-02 10:00",
                    "2025-01-03 10:00",
                    "2025-01-01 08:00",
                    "2025-01-05 08:00",
                    "2025-01-04 08:00",
                ]
            ),
            "kind": ["enroll", "purchase", "purchase", "refund", "adjust", "redeem", "adjust"],
            "amount": [None, "100.00", "50.00", None, None, None, None],
            "quantity": pd.array([None, 2, 1, 1, None, None, None], dtype="Int64"),
            "line": [None, "a", "b", "a", None, None, None],
            "ref": [None, None, None, "p1", None, None, None],
            "points": pd.array([None, None, None, None, 500, 120, -10], dtype="Int64"),
            "reason": [None, None, None, None, "gift", None, "fix"],
            "email": [_SECRET] * 7,
        },
        index=pd.Index([101, 102, 103, 104, 105, 106, 107], name="row"),
    )


BATCH: dict[str, Callable[[Any], Any]] = {
    "replay_many": lambda e: replay_many(e, PROGRAM, as_of=AS_OF),
    "breakage": lambda e: breakage(e, PROGRAM, as_of=AS_OF).to_dict(),
}

_AMOUNTS = [None, "100.00", "50.00", None, None, None, None]


def _amount(value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return _replace("amount", [None, value, "50.00", None, None, None, None])


BAD_EVENT_TABLES: list[Any] = [
    _case("wrong_type", lambda e: e.to_numpy(), InvalidInputError, "found ndarray", "events",
          ()),
    _case("empty", lambda e: e.iloc[:0], InvalidInputError, "at least one row", "events", ()),
    _case("missing_time", lambda e: e.drop(columns="time"), SchemaError, "must be present",
          "time", ()),
    _case("missing_member", lambda e: e.drop(columns="member_id"), SchemaError,
          "must be present", "member_id", ()),
    _case("none_member", _replace("member_id", ["m1", None, "m1", "m1", "m2", "m2", "m1"]),
          InvalidInputError, "1 missing values", "member_id", (102,)),
    _case("nan_member", _replace("member_id", ["m1", np.nan, "m1", "m1", "m2", "m2", "m1"]),
          InvalidInputError, "1 missing values", "member_id", (102,)),
    _case("none_kind", _replace("kind", ["enroll", None, "purchase", "refund", "adjust",
                                         "redeem", "adjust"]),
          InvalidInputError, "1 missing values", "kind", (102,)),
    _case("unknown_kind", _replace("kind", ["enroll", "purchase", "purchase", "gift",
                                            "adjust", "redeem", "adjust"]),
          InvalidInputError, "'gift'", "kind", (104,)),
    _case("nat", lambda e: e.assign(time=e["time"].where(e.index != 103)), InvalidInputError,
          "1 missing dates", "time", (103,)),
    _case("booleans", _replace("time", [True] * 7), SchemaError, "found booleans", "time", ()),
    _case("naive_aware",
          _replace("time", ["2025-01-01T09:00", "2025-01-02T10:00+01:00", "2025-01-02T10:00",
                            "2025-01-03T10:00", "2025-01-01T08:00", "2025-01-05T08:00",
                            "2025-01-04T08:00"]),
          InvalidInputError, "all naive or all timezone-aware", "time", (102,)),
    _case("ambiguous_day_month",
          _replace("time", ["01/02/2025", "02/01/2025", "02/01/2025", "03/01/2025",
                            "01/01/2025", "05/01/2025", "04/01/2025"]),
          SchemaError, "dates that read two ways", "time", (101, 102, 103, 104, 105)),
    _case("amount_float", _replace("amount", [None, 100.0, 50.0, None, None, None, None]),
          SchemaError, "never float", "amount", ()),
    _case("amount_junk", _amount("ten"), InvalidInputError, "found 'ten'", "amount", (102,)),
    _case("amount_inf", _amount("inf"), InvalidInputError, "a finite decimal amount",
          "amount", (102,)),
    _case("amount_nan", _amount("NaN"), InvalidInputError, "a finite decimal amount",
          "amount", (102,)),
    _case("amount_negative", _amount("-100.00"), InvalidInputError, "at least 0", "amount",
          (102,)),
    _case("quantity_negative",
          _replace("quantity", pd.array([None, -2, 1, 1, None, None, None], dtype="Int64")),
          InvalidInputError, "an int at least 1", "quantity", (102,)),
    _case("points_fraction", _replace("points", [None, None, None, None, 500.5, 120, -10]),
          InvalidInputError, "whole numbers", "points", (105,)),
    _case("repeated_line", lambda e: pd.concat([e, e.loc[[102]]]), InvalidInputError,
          "repeated ids ['a']", "lines", (102,)),
    _case("one_id_two_kinds", _replace("event_id", ["e", "p1", "p1", "r1", "g", "g", "c"]),
          InvalidInputError, "to share kind and time", "event_id", (106,)),
]  # fmt: skip
BAD_EVENT_TABLES += date_unit_cases("time", 103)


@pytest.mark.parametrize("entry", list(BATCH))
@pytest.mark.parametrize("case", BAD_EVENT_TABLES)
def test_batch_replay_refuses_bad_event_tables(entry: str, case: tuple[Any, ...]) -> None:
    """Regression: a negative amount or quantity raised PurchaseLine's ConfigError that
    named no row."""
    change, error, fragment, field, rows = case
    err = _refused(BATCH[entry], change(_events()), error, fragment, field=field,
                   secrets=(_SECRET,))  # fmt: skip
    if rows:
        assert err.rows == rows


def test_replay_many_amount_1e308_in_a_two_line_purchase_names_the_member_rows() -> None:
    """Regression: '1e308' beside another line raised decimal.Inexact from the exact
    points arithmetic (a one-line purchase was already refused by the int64 check)."""
    err = _refused(BATCH["replay_many"], _amount("1e308")(_events()), InvalidInputError,
                   "amounts whose points fit the int64 result columns", field="amount",
                   secrets=(_SECRET,))  # fmt: skip
    assert err.rows == (101, 102, 103, 104, 107)  # member m1's rows, not m2's


@pytest.mark.parametrize("entry", list(BATCH))
@pytest.mark.parametrize(
    ("as_of", "fragment"),
    [
        (None, "found None"),
        (1738368000, "found the number 1738368000"),
        ("soon", "found 'soon'"),
        (float("nan"), "found nan"),
        (pd.NaT, "found NaT"),
        (dt.datetime(9999, 1, 1, tzinfo=dt.UTC), "from year 1000 up to (not including) year 9000"),
        (dt.datetime(1, 1, 1), "from year 1000 up to (not including) year 9000"),
    ],
)
def test_batch_replay_refuses_bad_as_of(entry: str, as_of: Any, fragment: str) -> None:
    """An ``as_of`` is a parameter: a ConfigError, as everywhere (test_as_of_errors.py)."""
    call = {"replay_many": replay_many, "breakage": breakage}[entry]
    with pytest.raises(ConfigError) as info:
        call(_events(), PROGRAM, as_of=as_of)
    assert fragment in str(info.value)
    assert info.value.field == "as_of"


@pytest.mark.parametrize(
    ("options", "error", "field"),
    [
        ({"program": None}, ConfigError, "program"),
        ({"program": "demo"}, ConfigError, "program"),
        ({"on_error": "ignore"}, ConfigError, "on_error"),
        ({"workers": 0}, ConfigError, "workers"),
        ({"expiring_days": -1}, ConfigError, "expiring_days"),
        ({"member": "customer_id"}, SchemaError, "customer_id"),
    ],
)
def test_replay_many_refuses_bad_options(
    options: dict[str, Any], error: type[CrmkitError], field: str
) -> None:
    """Regression: program=None raised AttributeError ('NoneType' has no '_as_of')."""
    kwargs: dict[str, Any] = {"program": PROGRAM, "as_of": AS_OF, **options}
    program = kwargs.pop("program")
    with pytest.raises(error) as info:
        replay_many(_events(), program, **kwargs)
    assert info.value.field == field


def _aware_arrow(e: pd.DataFrame) -> pd.DataFrame:
    aware = e["time"].dt.tz_localize("Asia/Shanghai")
    return e.assign(time=aware.astype(pd.ArrowDtype(pa.timestamp("ms", tz="Asia/Shanghai"))))


TABLE_VARIANTS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "arrow_times": lambda e: e.assign(time=e["time"].astype("timestamp[us][pyarrow]")),
    "aware_arrow_times": _aware_arrow,
    "seconds_unit": lambda e: e.assign(time=e["time"].dt.as_unit("s")),
    "iso_text": lambda e: e.assign(time=e["time"].dt.strftime("%Y-%m-%dT%H:%M:%S")),
    "categorical": lambda e: e.astype({"member_id": "category", "kind": "category"}),
    "arrow_text": lambda e: e.astype(
        {"member_id": "string[pyarrow]", "kind": "string[pyarrow]", "amount": "string[pyarrow]"}
    ),
    "multiindex": lambda e: e.set_axis(pd.MultiIndex.from_arrays([["a"] * 7, range(7)])),
    "repeated_index": lambda e: e.set_axis([1, 1, 1, 2, 2, 2, 2]),
    "shuffled": lambda e: e.iloc[[4, 1, 6, 0, 3, 2, 5]],
    "extra_column": lambda e: e.assign(zzz=1),
}


@pytest.mark.parametrize("entry", list(BATCH))
@pytest.mark.parametrize("variant", list(TABLE_VARIANTS))
def test_valid_table_variants_equal_the_plain_result(entry: str, variant: str) -> None:
    expected = BATCH[entry](_events())
    events = TABLE_VARIANTS[variant](_events())
    before = events.copy()
    got = BATCH[entry](events)
    _unchanged(before, events)
    if isinstance(expected, pd.DataFrame):  # members in order of first appearance
        pd.testing.assert_frame_equal(got.loc[expected.index], expected, check_index_type=False)
    else:
        assert got == expected


def test_unicode_members_and_epoch_numbers_equal_the_plain_result() -> None:
    expected = replay_many(_events(), PROGRAM, as_of=AS_OF)
    names = {"m1": "会员一", "m2": "Zoë😀"}
    unicode = _events().assign(member_id=_events()["member_id"].map(names))
    got = replay_many(unicode, PROGRAM, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, expected.rename(index=names), check_index_type=False)
    aware = _events().assign(time=_events()["time"].dt.tz_localize("Asia/Shanghai"))
    for dtype in ("int64", object, "int64[pyarrow]"):
        seconds = _epoch(dtype, column="time")(aware)
        got = replay_many(seconds, PROGRAM, as_of=AS_OF, date_unit="s")
        pd.testing.assert_frame_equal(got, expected)


def test_single_row_and_single_member_tables() -> None:
    one = replay_many(_events().iloc[:1], PROGRAM, as_of=AS_OF)
    assert one.index.tolist() == ["m1"]
    assert one.loc["m1", "balance"] == 0
    assert one.loc["m1", "events"] == 1


# ------------------------------------------------------------ one member, event objects

_T0 = dt.datetime(2025, 1, 2, 10, tzinfo=SH)
_GOOD = [Enroll("e", _T0), Purchase("p1", _T0, lines=[PurchaseLine("a", Decimal("100.00"))])]


@pytest.mark.parametrize(
    ("events", "fragment"),
    [
        (None, "an iterable of crmkit.loyalty event objects (a list); found None"),
        ("e", "found str"),
        ({"kind": "enroll"}, "found dict"),
        ([{"kind": "enroll"}], "crmkit.loyalty event objects; found dict"),
        ([None], "crmkit.loyalty event objects; found NoneType"),
    ],
)
def test_program_replay_refuses_what_is_not_a_list_of_events(events: Any, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        PROGRAM.replay(events, as_of=AS_OF)
    assert fragment in str(info.value)
    assert info.value.field == "events"


@pytest.mark.parametrize(
    ("as_of", "fragment"),
    [
        (None, "found None"),
        (1738368000, "found the number 1738368000"),
        ("2025-02-31", "found '2025-02-31'"),
        (pd.NaT, "found NaT"),
        (dt.datetime(9999, 1, 1, tzinfo=SH), "up to (not including) year 9000"),
        (dt.datetime(1, 1, 1), "from year 1000"),
    ],
)
def test_program_replay_and_liability_refuse_bad_as_of(as_of: Any, fragment: str) -> None:
    with pytest.raises(ConfigError, match="parameter 'as_of' must be") as info:
        PROGRAM.replay(_GOOD, as_of=as_of)
    assert fragment in str(info.value)
    state = PROGRAM.replay(_GOOD, as_of=AS_OF)
    with pytest.raises(ConfigError, match="parameter 'as_of' must be"):
        points_liability({"m1": state}, as_of=as_of)


def test_program_apply_refuses_bad_state_and_event() -> None:
    state = PROGRAM.replay(_GOOD[:1], as_of=AS_OF)
    with pytest.raises(CrmkitError, match="'state' must be a MemberState"):
        PROGRAM.apply(None, _GOOD[1])  # type: ignore[arg-type]
    for event in (None, {"kind": "enroll"}, "p1"):
        with pytest.raises(InvalidInputError, match=r"crmkit\.loyalty event objects"):
            PROGRAM.apply(state, event)  # type: ignore[arg-type]
    assert PROGRAM.apply(state, _GOOD[1]).balance == PROGRAM.replay(_GOOD, as_of=AS_OF).balance


def test_program_replay_valid_variants_equal_the_plain_result() -> None:
    expected = PROGRAM.replay(_GOOD, as_of=AS_OF)
    assert PROGRAM.replay(list(reversed(_GOOD)), as_of=AS_OF) == expected
    assert PROGRAM.replay(iter(_GOOD), as_of=AS_OF) == expected
    assert PROGRAM.replay(_GOOD, as_of=pd.Timestamp(AS_OF)) == expected
    assert PROGRAM.replay(_GOOD, as_of=AS_OF.astimezone(dt.UTC)).balance == expected.balance
    again = [event_from_dict(e.to_dict()) for e in _GOOD]
    assert PROGRAM.replay(again, as_of=AS_OF) == expected


_PURCHASE = _GOOD[1].to_dict()
_LINE = _PURCHASE["lines"][0]
_REFUND = Refund("r", _T0, "p1", lines=[RefundLine("a", 1)]).to_dict()


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        (None, "data", "'data' must be a mapping; found NoneType"),
        ([], "data", "found list"),
        ({"event_id": "x"}, "kind", "'kind' must be one of"),
        ({**_PURCHASE, "kind": "zzz"}, "kind", "found 'zzz'"),
        ({**_PURCHASE, "zzz": 1}, "zzz", "found an unknown key"),
        ({**_PURCHASE, "lines": None}, "lines", "'lines' must be a list; found None"),
        ({**_PURCHASE, "lines": {"a": 1}}, "lines", "found {'a': 1}"),
        ({**_PURCHASE, "lines": [{**_LINE, "zzz": 1}]}, "lines[0].zzz", "an unknown key"),
        ({**_PURCHASE, "lines": [{**_LINE, "amount": 100.5}]}, "lines[0].amount",
         "a decimal written as a string"),
        ({**_PURCHASE, "lines": [{**_LINE, "amount": "NaN"}]}, "lines[0].amount", "found 'NaN'"),
        ({**_PURCHASE, "lines": [{**_LINE, "amount": "-1"}]}, "lines[0].amount", "at least 0"),
        ({**_PURCHASE, "time": None}, "time", "found None"),
        ({**_PURCHASE, "time": 1738368000}, "time", "found 1738368000"),
        ({**_PURCHASE, "time": "2025-01-02T10:00"}, "time", "timezone-aware"),
        ({**_PURCHASE, "time": "02/01/2025 10:00"}, "time", "an ISO datetime"),
        ({**_REFUND, "lines": None}, "lines", "'lines' must be a list; found None"),
        ({**_REFUND, "lines": [{"line_id": "a", "quantity": 1, "zzz": 1}]}, "lines[0].zzz",
         "an unknown key"),
    ],
)  # fmt: skip
def test_event_from_dict_refuses_bad_events(data: Any, field: str, fragment: str) -> None:
    # Since events are on the spec layer (branch loyengine) the messages are the spec
    # layer's ("must be a list; found None", as for every rule's from_dict).
    with pytest.raises(InvalidInputError) as info:
        event_from_dict(data)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_event_from_dict_keeps_unicode_ids() -> None:
    event = event_from_dict({**_PURCHASE, "event_id": "订单😀"})
    assert event.event_id == "订单😀"
    assert event_from_dict(event.to_dict()) == event


# ------------------------------------------------------------ rules from JSON

LADDER = TierLadder(
    tiers=[
        Tier(name="member"),
        Tier(name="silver", spend="2000", orders=5),
        Tier(name="gold", spend="10000", orders=10),
    ]
)
LOYALTY_RULES: dict[str, Any] = {
    "TierLadder": LADDER,
    "EarningScheme": PROGRAM.earning,
    "ExpiryPolicy": ExpiryPolicy(kind="months", n=12),
}


@pytest.mark.parametrize("name", list(LOYALTY_RULES))
def test_loyalty_rules_from_dict_refuse_bad_mappings(name: str) -> None:
    rule = LOYALTY_RULES[name]
    cls = type(rule)
    data = rule.to_dict()
    assert cls.from_dict(data) == rule
    for bad in (None, [], "{}"):
        with pytest.raises(ConfigError, match="'data' must be a mapping") as info:
            cls.from_dict(bad)
        assert info.value.field == "data"
    with pytest.raises(ConfigError, match="'zzz' must be one of"):
        cls.from_dict({**data, "zzz": 1})


@pytest.mark.parametrize(
    ("build", "field", "fragment"),
    [
        (lambda: TierLadder.from_dict({"tiers": None}), "tiers", "must be a list; found None"),
        (lambda: EarningScheme(rules=None), "rules", "a list of earning rules; found None"),
        (lambda: EarningScheme.from_dict({**PROGRAM.earning.to_dict(), "rules": None}), "rules",
         "found None"),
        (lambda: ExpiryPolicy.from_dict({**LOYALTY_RULES["ExpiryPolicy"].to_dict(), "n": -1}),
         "n", "found -1"),
        (lambda: ExpiryPolicy.from_dict({**LOYALTY_RULES["ExpiryPolicy"].to_dict(), "kind": None}),
         "kind", "found None"),
    ],
)  # fmt: skip
def test_none_where_a_list_is_expected_is_a_config_error(
    build: Callable[[], Any], field: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        build()
    assert info.value.field == field
    assert fragment in str(info.value)


# ------------------------------------------------------------ assign_tiers


def _qualifying() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["a", "b", "c"],
            "spend": [Decimal("150"), Decimal("2000"), Decimal("25000")],
            "orders": [1, 6, 2],
            "email": [_SECRET] * 3,
        },
        index=[11, 12, 13],
    )


_TIERS = functools.partial(assign_tiers, ladder=LADDER)

BAD_QUALIFYING: list[Any] = [
    _case("none", lambda q: None, InvalidInputError, "found NoneType", "qualifying", ()),
    _case("wrong_type", lambda q: q.to_dict("list"), InvalidInputError, "found dict",
          "qualifying", ()),
    _case("missing_member", lambda q: q.drop(columns="member_id"), SchemaError,
          "must be present", "member_id", ()),
    _case("missing_spend", lambda q: q.drop(columns="spend"), SchemaError, "must be present",
          "spend", ()),
    _case("nan_member", _replace("member_id", ["a", np.nan, "c"]), InvalidInputError,
          "1 missing values", "member_id", (12,)),
    _case("duplicate_member", _replace("member_id", ["a", "a", "c"]), InvalidInputError,
          "1 duplicated ids", "member_id", (12,)),
    _case("negative_orders", _replace("orders", [1, -6, 2]), InvalidInputError,
          "1 negative values", "orders", (12,)),
    _case("fraction_orders", _replace("orders", [1.0, 6.5, 2.0]), InvalidInputError,
          "must be integers; found dtype float64", "orders", ()),
    _case("boolean_orders", _replace("orders", [True, False, True]), InvalidInputError,
          "found dtype bool", "orders", ()),
    _case("missing_orders", _replace("orders", pd.array([1, None, 2], dtype="Int64")),
          InvalidInputError, "1 missing values", "orders", (12,)),
    _case("float_spend", _replace("spend", [150.0, 2000.0, 25000.0]), InvalidInputError,
          "(never floats)", "spend", (11, 12, 13)),
    _case("nan_spend", _replace("spend", [Decimal("150"), Decimal("NaN"), Decimal("1")]),
          InvalidInputError, "1 missing values", "spend", (12,)),
    _case("infinite_spend",
          _replace("spend", [Decimal("150"), Decimal("Infinity"), Decimal("1")]),
          InvalidInputError, "(never floats); found 1 other values", "spend", (12,)),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_QUALIFYING)
def test_assign_tiers_refuses_bad_tables(case: tuple[Any, ...]) -> None:
    change, error, fragment, field, rows = case
    err = _refused(_TIERS, change(_qualifying()), error, fragment, field=field,
                   secrets=(_SECRET,))  # fmt: skip
    if rows:
        assert err.rows == rows


def test_assign_tiers_refuses_bad_ladder_and_current_tiers() -> None:
    """Regression: ladder=None raised AttributeError ('NoneType' has no 'tiers')."""
    with pytest.raises(ConfigError, match="'ladder' must be a TierLadder; found NoneType"):
        assign_tiers(_qualifying(), None)  # type: ignore[arg-type]
    current = _qualifying().assign(cur=["member", "platinum", "gold"])
    err = _refused(functools.partial(_TIERS, current="cur"), current, InvalidInputError,
                   "1 unknown names", field="cur")  # fmt: skip
    assert err.rows == (12,)


QUALIFYING_VARIANTS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "text_spend": lambda q: q.assign(spend=["150", "2000", "25000"]),
    "categorical_ids": lambda q: q.assign(member_id=q["member_id"].astype("category")),
    "arrow_ids": lambda q: q.assign(member_id=q["member_id"].astype("string[pyarrow]")),
    "nullable_orders": lambda q: q.assign(orders=q["orders"].astype("Int64")),
    "arrow_orders": lambda q: q.assign(orders=q["orders"].astype("int64[pyarrow]")),
    "multiindex": lambda q: q.set_axis(pd.MultiIndex.from_arrays([["x"] * 3, range(3)])),
    "repeated_index": lambda q: q.set_axis([1, 1, 1]),
    "shuffled": lambda q: q.iloc[[2, 0, 1]],
}


@pytest.mark.parametrize("variant", list(QUALIFYING_VARIANTS))
def test_valid_qualifying_variants_equal_the_plain_result(variant: str) -> None:
    expected = _TIERS(_qualifying())
    qualifying = QUALIFYING_VARIANTS[variant](_qualifying())
    before = qualifying.copy()
    got = _TIERS(qualifying)
    _unchanged(before, qualifying)
    pd.testing.assert_frame_equal(
        got.loc[expected.index], expected, check_index_type=False, check_categorical=False
    )


def test_assign_tiers_unicode_ids_and_documented_edges() -> None:
    names = {"a": "会员", "b": "Zoë", "c": "😀"}
    got = _TIERS(_qualifying().assign(member_id=_qualifying()["member_id"].map(names)))
    pd.testing.assert_frame_equal(got, _TIERS(_qualifying()).rename(index=names))
    assert _TIERS(_qualifying().iloc[:0]).empty  # no member, no row
    assert _TIERS(_qualifying().iloc[:1])["tier"].tolist() == ["member"]
    huge = _TIERS(_qualifying().assign(spend=[Decimal("150"), Decimal("1e308"), Decimal("1")]))
    assert huge.loc["b", "tier"] == "gold"  # Decimal: no overflow


# ------------------------------------------------------------ points_liability


@pytest.mark.parametrize(
    ("states", "fragment"),
    [
        (None, "MemberState objects (a list, or a mapping of member -> state); found None"),
        ({}, "at least one state; found none"),
        (pd.DataFrame({"a": [1]}), "MemberState objects; found str"),
        ({"m1": 5}, "MemberState objects; found int"),
    ],
)
def test_points_liability_refuses_what_is_not_states(states: Any, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        points_liability(states, as_of=AS_OF)
    assert fragment in str(info.value)
    assert info.value.field == "states"


def test_points_liability_refuses_an_as_of_before_the_states() -> None:
    state = PROGRAM.replay(_GOOD, as_of=AS_OF)
    with pytest.raises(InvalidInputError, match="not before the states' instants"):
        points_liability([state], as_of=dt.datetime(2024, 1, 1, tzinfo=SH))
    plain = points_liability([state], as_of=AS_OF)
    pd.testing.assert_frame_equal(points_liability({"会员😀": state}, as_of=AS_OF), plain)
    pd.testing.assert_frame_equal(points_liability((s for s in [state]), as_of=AS_OF), plain)


# ------------------------------------------------------------ messages name the caller's call


@pytest.mark.parametrize("as_of", [None, "02/01/2025", dt.datetime(9999, 1, 1, tzinfo=SH)])
def test_as_of_errors_name_the_function_called(as_of: Any) -> None:
    """Regression: replay_many, breakage and points_liability named Program.replay()."""
    state = PROGRAM.replay(_GOOD, as_of=AS_OF)
    calls: dict[str, Callable[[], Any]] = {
        "replay_many()": lambda: replay_many(_events(), PROGRAM, as_of=as_of),
        "breakage()": lambda: breakage(_events(), PROGRAM, as_of=as_of),
        "points_liability()": lambda: points_liability({"m1": state}, as_of=as_of),
        "Program.replay()": lambda: PROGRAM.replay(_GOOD, as_of=as_of),
    }
    for owner, call in calls.items():
        with pytest.raises(ConfigError) as info:
            call()
        assert str(info.value).startswith(f"{owner}: parameter 'as_of' must be")
        assert info.value.field == "as_of"


def test_points_liability_of_no_states_names_an_argument_not_a_column() -> None:
    """Regression: points_liability({}) said "column 'states'"."""
    with pytest.raises(InvalidInputError) as info:
        points_liability({}, as_of=AS_OF)
    assert str(info.value) == (
        "points_liability(): 'states' must be at least one state; found none. For an empty "
        "table of an empty member base, pass the program: points_liability([], program, "
        "as_of=...)."
    )


# ------------------------------------------------------------ amounts beyond exact arithmetic

_HUGE = Purchase(
    "p9", _T0, lines=[PurchaseLine("a", Decimal("1e308")), PurchaseLine("b", Decimal("50"))]
)


def test_replay_of_an_order_beyond_exact_arithmetic_names_the_event() -> None:
    """Regression: a two-line purchase with an amount of 1e308 raised decimal.Inexact."""
    with pytest.raises(InvalidInputError) as info:
        PROGRAM.replay([*_GOOD, _HUGE], as_of=AS_OF)
    assert str(info.value).startswith("Program.replay(): 'events' must be events whose amounts")
    assert "found event 'p9' (Purchase) beyond it" in str(info.value)
    assert info.value.field == "events"
    state = PROGRAM.replay(_GOOD, as_of=AS_OF)
    later = attrs.evolve(_HUGE, time=_T0 + dt.timedelta(days=1))
    for event in (_HUGE, later):  # a replay from the start, or one more event on the state
        with pytest.raises(InvalidInputError, match=r"^Program.apply\(\): 'event' must"):
            PROGRAM.apply(state, event)
    with pytest.raises(InvalidInputError, match="event 'p9'") as mapped:
        breakage({"m1": [*_GOOD, _HUGE]}, PROGRAM, as_of=AS_OF)
    assert str(mapped.value).startswith("breakage(): 'events' must be")
    # one line of 1e308 is exact (no sum): its points are a (huge) exact int
    alone = Purchase("p9", _T0, lines=[PurchaseLine("a", Decimal("1e308"))])
    assert PROGRAM.replay([_GOOD[0], alone], as_of=AS_OF).balance == 10**308


def test_breakage_of_a_table_beyond_exact_arithmetic_names_the_members_rows() -> None:
    """Regression: breakage raised decimal.Inexact for '1e308' on a two-line purchase."""
    err = _refused(
        BATCH["breakage"], _amount("1e308")(_events()), InvalidInputError,
        "found event 'p1' (Purchase) beyond it", field="amount", secrets=(_SECRET,),
    )  # fmt: skip
    assert err.rows == (101, 102, 103, 104, 107)  # member m1's rows, not m2's
    assert str(err).startswith("breakage(): column 'amount'")


# ------------------------------------------------------------ constructors: every keyword


#: constructor name -> (class, valid keywords the walk starts from)
CONSTRUCTORS: dict[str, tuple[type, dict[str, Any]]] = {
    "Program": (Program, {}),
    "Tier": (Tier, {"name": "gold", "spend": 100}),
    "PrivilegeSet": (PrivilegeSet, {"privileges": []}),
}

#: (constructor, keyword, bad value) that are valid, each with the reason.
ACCEPTED_KWARGS: dict[tuple[str, str, str], str] = {
    ("Program", "name", "text"): "a name",
    ("Program", "name", "unicode"): "a name",
    ("Program", "currency", "text"): "a currency name",
    ("Program", "currency", "unicode"): "a currency name",
    ("Program", "tiers", "none"): "no tiers",
    ("Program", "privileges", "none"): "no privileges",
    ("Program", "tender", "none"): "no limits on paying with points",  # branch loylimits
    ("Program", "involuntary_extension", "none"): "involuntary cancellations as voluntary",
    ("Program", "catalogue", "dict"): "no rewards",
    ("Program", "count_pending_for_tier", "bool"): "a bool",
    ("Program", "milestones", "list"): "no milestones",
    ("Tier", "name", "text"): "a name",
    ("Tier", "name", "unicode"): "a name",
    ("Tier", "spend", "none"): "no spend threshold",
    ("Tier", "points", "none"): "no points threshold",
    ("Tier", "orders", "none"): "no orders threshold",
    ("Tier", "counts", "list"): "no count thresholds",
    ("Tier", "counts", "dict"): "no count thresholds",
    ("Tier", "alternatives", "list"): "no alternative ways",  # branch loyrules
    ("Tier", "keep", "list"): "no keep (retention) ways",
    ("PrivilegeSet", "privileges", "list"): "no privileges",
}


def _constructor_cases() -> list[Any]:
    return [
        pytest.param(name, attribute.alias or attribute.name, kind,
                     id=f"{name}-{attribute.alias or attribute.name}-{kind}")
        for name, (cls, _) in CONSTRUCTORS.items()
        for attribute in attrs.fields(cls)
        for kind in BAD_KWARGS
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "keyword", "kind"), _constructor_cases())
def test_constructor_keywords_refuse_bad_values_naming_the_field(
    name: str, keyword: str, kind: str
) -> None:
    """Every keyword of Program, Tier and PrivilegeSet through wrong types, None, NaN, inf,
    1e308, negatives, empties and unicode: a ConfigError naming the field, or documented."""
    cls, valid = CONSTRUCTORS[name]
    kwargs = {**valid, keyword: BAD_KWARGS[kind]}
    if (name, keyword, kind) in ACCEPTED_KWARGS:
        built = cls(**kwargs)
        assert cls.from_dict(built.to_dict()) == built
        return
    with pytest.raises(ConfigError) as info:
        cls(**kwargs)
    assert info.value.field.split("[")[0].split(".")[0] == keyword


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_constructor_from_dict_refuses_unknown_keys_and_what_is_not_a_mapping(name: str) -> None:
    cls, valid = CONSTRUCTORS[name]
    data = cls(**valid).to_dict()
    with pytest.raises(ConfigError, match="must be one of") as info:
        cls.from_dict({**data, "zzz": 1})
    assert info.value.field == "zzz"
    for junk in (None, [], "x"):
        with pytest.raises(ConfigError, match="must be a mapping"):
            cls.from_dict(junk)


@pytest.mark.parametrize("column", ["member_id", "event_id", "kind"])
def test_replay_many_refuses_blank_required_text_naming_the_row(column: str) -> None:
    """Regression: an empty text id (an empty CSV field read as text) was the member ``""``."""
    events = _events()
    events[column] = events[column].astype(object)
    events.loc[events.index[1], column] = ""
    with pytest.raises(InvalidInputError) as info:
        replay_many(events, PROGRAM, as_of=AS_OF)
    message = str(info.value)
    assert f"column '{column}' must be without missing values" in message
    assert f"rows [{events.index[1]}]" in message


def test_expires_at_reads_its_zone_like_every_timezone_and_refuses_naive_times() -> None:
    """Regression: a zone name raised TypeError, and timezone=None (or a naive earned_at)
    counted days on the machine's clock."""
    policy = ExpiryPolicy.after_days(30)
    at = dt.datetime(2025, 1, 1, 20, tzinfo=dt.UTC)  # 2 January, 04:00 in Shanghai
    assert policy.expires_at(at, "Asia/Shanghai") == policy.expires_at(at, SH)
    assert policy.expires_at(at, "Asia/Shanghai") == dt.datetime(2025, 2, 2, tzinfo=SH)
    with pytest.raises(ConfigError, match="'timezone'"):
        policy.expires_at(at, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="'earned_at' must be a timezone-aware"):
        policy.expires_at(dt.datetime(2025, 1, 1), SH)


def test_points_in_refuses_a_period_that_is_not_a_cap_period() -> None:
    """Regression: ``points_in("M")`` (a pandas alias) read 0 points instead of refusing."""
    from crmkit.loyalty import MemberContext

    context = MemberContext(period_points={"month": 300})
    assert context.points_in("month") == 300
    assert context.points_in("year") == 0
    with pytest.raises(ConfigError, match="'freq' must be one of"):
        context.points_in("M")
