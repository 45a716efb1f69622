"""Audiences and tags: condition trees as data, scalar = batch, validation, tag history."""

from __future__ import annotations

import datetime as dt
import json
import operator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import (
    AllOf,
    AnyOf,
    Audience,
    Between,
    Compare,
    In,
    IsNull,
    Not,
    TagSet,
    tag_history,
)
from crmkit.errors import ConfigError, SchemaError
from tests.strategies import audience_conditions, customer_frames


def _rows(frame: pd.DataFrame) -> list[dict]:
    """Each row as the mapping an app would hold: plain Python values, None for missing."""
    out = []
    for label in frame.index:
        row = {}
        for column in frame.columns:
            value = frame.at[label, column]
            row[column] = None if pd.isna(value) else value
        out.append(row)
    return out


@given(customer_frames(), audience_conditions())
def test_scalar_equals_batch(frame: pd.DataFrame, rule):
    """Property: the rule on one customer's mapping equals the vectorised mask, row by row."""
    audience = Audience("a", rule)
    batch = audience.mask(frame).to_numpy().tolist()
    scalar = [audience.matches(row) for row in _rows(frame)]
    assert batch == scalar


@given(audience_conditions())
def test_json_round_trip(rule):
    """Property: every rule survives to_dict -> JSON text -> from_dict unchanged."""
    audience = Audience("sleepers", rule, description="half-year sleepers")
    text = json.dumps(audience.to_dict(), ensure_ascii=False)
    assert Audience.from_dict(json.loads(text)) == audience
    tags = TagSet([audience, Audience("b", rule)])
    assert TagSet.from_dict(json.loads(json.dumps(tags.to_dict()))) == tags


@given(customer_frames(), audience_conditions())
def test_not_is_the_complement(frame: pd.DataFrame, rule):
    """Property: Not(rule) selects exactly the rows rule does not (missing values included)."""
    a = Audience("a", rule).mask(frame).to_numpy()
    b = Audience("b", Not(rule)).mask(frame).to_numpy()
    assert np.array_equal(a, ~b)


def test_hand_checked_sleepers():
    """Dormant, 180-365 days, and valuable or of unknown value: picked by hand."""
    frame = pd.DataFrame(
        {
            "recency_days": [200, 30, 400, np.nan, 181],
            "stage": pd.Categorical(["dormant", "active", "churned", "dormant", "dormant"]),
            "monetary": [500.0, 900.0, 20.0, 100.0, np.nan],
        },
        index=["ann", "bob", "cy", "dee", "eve"],
    )
    rule = AllOf(
        [
            Between("recency_days", 180, 365),
            In("stage", ["dormant"]),
            AnyOf([Compare("monetary", ">=", 100), IsNull("monetary")]),
        ]
    )
    assert Audience("sleepers", rule).select(frame).tolist() == ["ann", "eve"]


def test_missing_values_satisfy_no_comparison():
    """NaN/None satisfy no comparison, != included; Not selects them."""
    frame = pd.DataFrame({"x": [1.0, np.nan], "s": ["a", None]})
    assert Compare("x", "!=", 1).mask(frame).tolist() == [False, False]
    assert Compare("s", "!=", "a").mask(frame).tolist() == [False, False]
    assert Not(Compare("x", "==", 1)).mask(frame).tolist() == [False, True]
    assert Compare("s", "!=", "a").test({"s": None}) is False


def test_json_form_is_readable():
    """The stored JSON is the documented tree: kinds, columns, ops, values."""
    rule = AllOf([Compare("recency_days", ">=", 180), Not(IsNull("email"))])
    assert Audience("x", rule).to_dict() == {
        "schema_version": 1,
        "name": "x",
        "rule": {
            "kind": "all",
            "conditions": [
                {"kind": "compare", "column": "recency_days", "op": ">=", "value": 180},
                {"kind": "not", "condition": {"kind": "is_null", "column": "email"}},
            ],
        },
    }


def test_from_dict_errors_name_the_full_path():
    """from_dict names the path of a bad node (rule.conditions[0].op)."""
    data = {
        "name": "x",
        "rule": {"kind": "all", "conditions": [{"kind": "compare", "column": "r", "op": "=~"}]},
    }
    with pytest.raises(ConfigError, match=r"rule\.conditions\[0\]\.value"):
        Audience.from_dict(data)
    data["rule"]["conditions"][0]["value"] = 3
    with pytest.raises(ConfigError, match=r"rule\.conditions\[0\]\.op"):
        Audience.from_dict(data)
    with pytest.raises(ConfigError, match=r"rule\.kind"):
        Audience.from_dict({"name": "x", "rule": {"kind": "eval", "code": "1"}})


def test_validated_against_columns_and_dtypes():
    """Unknown columns and values of the wrong kind are refused before evaluation."""
    frame = pd.DataFrame({"r": [1.0], "seg": ["A"], "when": pd.to_datetime(["2025-01-01"])})
    with pytest.raises(SchemaError, match=r"rule\.conditions\[1\]\.column"):
        Audience("x", AllOf([Compare("r", ">", 1), Compare("nope", "==", 1)])).mask(frame)
    with pytest.raises(ConfigError, match=r"rule\.value.*a number"):
        Audience("x", Compare("r", "==", "1")).mask(frame)
    with pytest.raises(ConfigError, match="ordering needs numbers"):
        Audience("x", Compare("seg", "<", "B")).mask(frame)
    with pytest.raises(ConfigError, match=r"rule\.values\[1\]"):
        Audience("x", In("seg", ["A", 2])).mask(frame)
    with pytest.raises(ConfigError, match="without a UTC offset"):
        Audience("x", Compare("when", ">", "2025-01-01T00:00:00+08:00")).mask(frame)
    assert Audience("x", Compare("when", ">=", "2025-01-01")).mask(frame).tolist() == [True]
    with pytest.raises(SchemaError, match="'r'"):
        Audience("x", Compare("r", ">", 1)).matches({"other": 1})
    with pytest.raises(ConfigError):
        Between("r", 5, 1)


def test_tags_and_history():
    """Tags per customer and who entered/left each tag between two snapshots, by hand."""
    tags = TagSet(
        [
            Audience("high churn risk", Compare("p_alive", "<", 0.3)),
            Audience("high upsell potential", Compare("clv", ">=", 1000)),
        ]
    )
    q1 = pd.DataFrame({"p_alive": [0.1, 0.9], "clv": [1500.0, 200.0]}, index=["ann", "bob"])
    q2 = pd.DataFrame(
        {"p_alive": [0.5, 0.2, 0.1], "clv": [1500.0, 50.0, 2000.0]}, index=["ann", "bob", "cy"]
    )
    out = tag_history({"Q1": q1, "Q2": q2}, tags)
    got = out.astype({"tag": str, "change": str}).values.tolist()
    assert got == [
        ["Q1", "Q2", "high churn risk", "bob", "entered"],
        ["Q1", "Q2", "high churn risk", "cy", "entered"],
        ["Q1", "Q2", "high churn risk", "ann", "left"],
        ["Q1", "Q2", "high upsell potential", "cy", "entered"],
    ]
    with pytest.raises(ConfigError, match="distinct names"):
        TagSet([Audience("a", IsNull("x")), Audience("a", IsNull("y"))])
    with pytest.raises(ConfigError, match="two snapshots"):
        tag_history({"Q1": q1}, tags)


# ------------------------------------------------------------ dates, text, JSON values
def test_a_column_of_date_objects_compares_like_one_customer():
    """Regression: an object column of datetime.date values (what ``.dt.date`` or a
    database driver gives) raised a bare TypeError for ``>=`` and ``between`` and gave
    False for every row with ``==`` and ``in``, while ``matches`` on the same customer
    said True. A date is its midnight, as one customer's value is read."""
    frame = pd.DataFrame(
        {"last_order": [dt.date(2025, 6, 30), dt.date(2025, 7, 1), None, dt.date(9999, 12, 31)]},
        index=["ann", "bob", "cy", "dee"],  # 9999-12-31: a "never" sentinel, past 2262
    )
    cases = [
        (Compare("last_order", ">=", "2025-07-01"), [False, True, False, True]),
        (Compare("last_order", "==", "2025-07-01"), [False, True, False, False]),
        (Compare("last_order", "!=", "2025-07-01"), [True, False, False, True]),
        (Between("last_order", "2025-06-01", "2025-06-30"), [True, False, False, False]),
        (In("last_order", ["2025-06-30", "9999-12-31"]), [True, False, False, True]),
    ]
    for rule, expected in cases:
        audience = Audience("a", rule)
        assert audience.mask(frame).tolist() == expected, rule
        assert [audience.matches(row) for row in _rows(frame)] == expected, rule
    # datetimes and dates mixed; aware values are instants
    east = dt.timezone(dt.timedelta(hours=8))
    seen = [dt.datetime(2025, 7, 1, 7, tzinfo=east), dt.datetime(2025, 7, 1, 1, tzinfo=dt.UTC)]
    aware = pd.DataFrame({"seen": [*seen, None]})
    rule = Audience("a", Compare("seen", ">=", "2025-07-01T00:00:00+00:00"))
    assert rule.mask(aware).tolist() == [False, True, False]  # 07:00+08:00 is 23:00 UTC
    assert [rule.matches(row) for row in _rows(aware)] == [False, True, False]


@pytest.mark.parametrize("value", ["today", "now", "July", "07/01/2025", "2025-13-01", ""])
def test_datetime_values_must_be_iso(value: str):
    """Regression: any text pandas could parse was a date: "today" and "now" read the
    system clock (the same stored rule selected other customers every day), "July" was
    0001-07-01 and "07/01/2025" a month-first guess. The docs promise ISO strings."""
    frame = pd.DataFrame({"joined": pd.to_datetime(["2025-07-01"])})
    with pytest.raises(ConfigError, match="ISO date"):
        Audience("x", Compare("joined", ">=", value)).mask(frame)
    with pytest.raises(ConfigError, match="ISO date"):
        Audience("x", Compare("joined", ">=", value)).matches(
            {"joined": pd.Timestamp("2025-07-01")}
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2025-07-01", [False, True]), ("2025-07-01T08:30", [False, False]),
     ("2025-07-01 08:00:00", [False, True]), ("20250701", [False, True])],
)  # fmt: skip
def test_iso_forms_are_read(value: str, expected: list[bool]):
    """ISO 8601 dates and datetimes (space or T, basic or extended) are read exactly."""
    frame = pd.DataFrame({"joined": pd.to_datetime(["2025-06-30 23:59", "2025-07-01 08:00"])})
    assert Audience("x", Compare("joined", ">=", value)).mask(frame).tolist() == expected


def test_chinese_columns_and_values_round_trip():
    """Chinese column names and values select, match and survive JSON text unchanged."""
    frame = pd.DataFrame(
        {"城市": ["上海", "北京", None], "会员等级": pd.Categorical(["金卡", "银卡", "金卡"])},
        index=["客户-001", "客户-002", "客户-003"],
    )
    audience = Audience("上海金卡会员", AllOf([In("城市", ["上海", "杭州"]),
                                          Compare("会员等级", "==", "金卡")]))  # fmt: skip
    assert audience.select(frame).tolist() == ["客户-001"]
    assert [audience.matches(r) for r in _rows(frame)] == [True, False, False]
    text = json.dumps(audience.to_dict(), ensure_ascii=False)
    assert "上海金卡会员" in text
    assert Audience.from_dict(json.loads(text)) == audience
    assert Compare("城市", "!=", "上海").mask(frame).tolist() == [False, True, False]


@given(
    st.lists(st.one_of(st.none(), st.dates(min_value=dt.date(1, 1, 1))), min_size=1, max_size=12),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2300, 12, 31)),
    st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
)
def test_date_objects_scalar_equals_batch(days: list, cut: dt.date, op: str):
    """Property: on an object column of dates (any year, missing included) the vectorised
    mask equals matches() row by row, and equals comparing the dates themselves."""
    frame = pd.DataFrame({"d": pd.Series(days, dtype=object)})
    audience = Audience("a", Compare("d", op, cut.isoformat()))
    batch = audience.mask(frame).tolist()
    assert batch == [audience.matches({"d": v}) for v in days]
    compare = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
               ">": operator.gt, ">=": operator.ge}[op]  # fmt: skip
    assert batch == [v is not None and compare(v, cut) for v in days]
