"""Bad input walked through every public function and rule class of crmkit.campaigns (issue 10).

Same pattern and helpers as ``tests/test_bad_input.py``: each kind of bad input has one
exact outcome (a crmkit error whose class, field and row labels are asserted, or a
documented result), the caller's data is never modified, no message echoes an unrelated
column, and valid variants (Arrow, categorical, nullable, unicode, shuffled, odd indexes)
equal the plain result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.campaigns import (
    AllOf,
    Audience,
    Band,
    Between,
    Compare,
    HealthModel,
    HealthScore,
    In,
    Indicator,
    IsNull,
    Not,
    Percentile,
    TagSet,
    Thresholds,
    assign,
    bucket_ranges,
    gb_hash,
    hash_ids,
    measure,
    minimum_detectable_uplift,
    sample_size,
    srm_check,
    tag_history,
)
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError
from tests.test_bad_input import _SECRET, BAD_LOGS, LOG_VARIANTS, _case, _refused, _tx, _unchanged

# ------------------------------------------------------------------ assign, hash_ids

IDS = [f"c{i}" for i in range(40)]


def _customers() -> pd.DataFrame:
    frame = {"customer_id": IDS, "region": ["n", "s"] * 20, "email": _SECRET}
    return pd.DataFrame(frame, index=pd.RangeIndex(100, 140, name="row"))


BAD_IDS: list[Any] = [
    _case("none", None, InvalidInputError, "must be a DataFrame, Series, Index, array or list "
          "of customer ids; found NoneType", "customers", ()),
    _case("one_string", "c1", InvalidInputError, "found str", "customers", ()),
    _case("mapping", {"c1": 1}, InvalidInputError, "found dict", "customers", ()),
    _case("number", 5, InvalidInputError, "found int", "customers", ()),
    _case("empty", [], InvalidInputError, "at least one customer", "customer_id", ()),
    _case("none_in_list", [*IDS[:5], None, *IDS[6:]], SchemaError, "1 missing ids",
          "customer_id", (5,)),
    _case("nan_in_floats", [1.0, np.nan, 3.0], SchemaError, "1 missing ids", "customer_id",
          (1,)),
    _case("floats", [1.5, 2.0], SchemaError, "2 other values", "customer_id", (0, 1)),
    _case("booleans", [True, False], SchemaError, "2 other values", "customer_id", (0, 1)),
    _case("mixed", ["a", 1], SchemaError, "1 other values", "customer_id", (1,)),
    _case("empty_string", ["a", ""], SchemaError, "1 other values", "customer_id", (1,)),
    _case("repeated", [*IDS, "c1"], InvalidInputError, "1 repeats", "customer_id", (40,)),
    _case("huge_int", [1, 2**60], InvalidInputError, "|id| < 2**53", "customer_id", (1,)),
    _case("frame_missing_column", _customers().drop(columns="customer_id"), SchemaError,
          "a column of customers", "customer_id", ()),
    _case("frame_none_id", _customers().assign(customer_id=[None, *IDS[1:]]), SchemaError,
          "1 missing ids", "customer_id", (100,)),
    _case("frame_repeated_id", _customers().assign(customer_id=["c0", *IDS[:-1]]),
          InvalidInputError, "1 repeats", "customer_id", (101,)),
    _case("series_nan", pd.Series([*IDS[:3], None], index=[7, 8, 9, 10]), SchemaError,
          "1 missing ids", "customer_id", (10,)),
    _case("arrow_null", pd.Series(["a", None], dtype="string[pyarrow]"), SchemaError,
          "1 missing ids", "customer_id", (1,)),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_IDS)
def test_assign_refuses_bad_customers(case: tuple[Any, ...]) -> None:
    customers, error, fragment, field, rows = case
    err = _refused(
        functools.partial(assign, campaign="wake"), customers, error, fragment, field=field,
        rows=rows, secrets=(_SECRET,),
    )  # fmt: skip
    assert isinstance(err, error)


@pytest.mark.parametrize("case", [c for c in BAD_IDS if not c.id.startswith("frame")])
def test_hash_ids_refuses_bad_ids(case: tuple[Any, ...]) -> None:
    ids, error, fragment, field, rows = case
    if ids is not None and not isinstance(ids, (str, dict, int)) and len(ids) == 0:
        assert hash_ids(ids, seed="seed").tolist() == []  # documented: no ids, no buckets
        return
    if case[1] is InvalidInputError and "repeats" in fragment:
        assert len(hash_ids(ids, seed="seed")) == len(ids)  # hashing does not need unique ids
        return
    field = {"customers": "ids", "customer_id": "ids"}[field]
    _refused(functools.partial(hash_ids, seed="seed"), ids, error, fragment, field=field,
             rows=rows)  # fmt: skip


def test_assign_refuses_missing_strata_and_bad_options() -> None:
    frame = _customers().assign(region=lambda f: f["region"].where(f.index != 103))
    call = functools.partial(assign, campaign="wake", strata="region")
    _refused(call, frame, InvalidInputError, "1 missing", field="region", rows=(103,),
             secrets=(_SECRET,))  # fmt: skip
    for share in (0, 1, -0.1, 1.5, np.nan, np.inf, "0.1", None):
        with pytest.raises(ConfigError) as info:
            assign(IDS, campaign="wake", control_share=share)  # type: ignore[arg-type]
        assert info.value.field == "control_share"
    for campaign in ("", None, 5):
        with pytest.raises(ConfigError) as info:
            assign(IDS, campaign=campaign)  # type: ignore[arg-type]
        assert info.value.field == "campaign"
    with pytest.raises(ConfigError, match="None when customers is not a DataFrame"):
        assign(IDS, campaign="wake", strata="region")


def test_assign_valid_variants_equal_the_plain_result() -> None:
    """Every id keeps its arm and bucket whatever the container, dtype or order."""
    plain = assign(IDS, campaign="wake", control_share=0.3)
    frame = _customers()
    before = frame.copy()
    for label, customers in {
        "series": pd.Series(IDS),
        "index": pd.Index(IDS),
        "array": np.array(IDS, dtype=object),
        "arrow": pd.Series(IDS, dtype="string[pyarrow]"),
        "categorical": pd.Series(IDS, dtype="category"),
        "frame": frame,
        "shuffled": frame.iloc[::-1],
        "multiindex": frame.set_axis(pd.MultiIndex.from_arrays([["x"] * 40, range(40)])),
        "repeated_index": frame.set_axis([0] * 40),
    }.items():
        got = assign(customers, campaign="wake", control_share=0.3)
        pd.testing.assert_frame_equal(
            got.set_axis(list(got.index)).loc[IDS, ["arm", "bucket"]],
            plain.set_axis(IDS),
            check_names=False,
            check_index_type=False,
            obj=label,
        )
    _unchanged(before, frame)
    unicode = ["客户-001", "Zoë", "😀"]
    assert assign(unicode, campaign="wake")["bucket"].tolist() == [
        gb_hash("wake", v) for v in unicode
    ]
    ints = assign(list(range(10)), campaign="wake")
    assert (
        ints["bucket"].tolist()
        == assign([str(i) for i in range(10)], campaign="wake")["bucket"].tolist()
    )


@pytest.mark.parametrize(
    ("seed", "value", "error", "field"),
    [
        ("s", None, InvalidInputError, "value"),
        ("s", float("nan"), InvalidInputError, "value"),
        ("s", 1.5, InvalidInputError, "value"),
        ("s", b"x", InvalidInputError, "value"),
        ("s", True, InvalidInputError, "value"),
        ("s", "", InvalidInputError, "value"),
        (None, "a", ConfigError, "seed"),  # regression: a bare TypeError
        ("", "a", ConfigError, "seed"),
    ],
)
def test_gb_hash_refuses_bad_arguments(
    seed: Any, value: Any, error: type[CrmkitError], field: str
) -> None:
    with pytest.raises(error) as info:
        gb_hash(seed, value)
    assert info.value.field == field


@pytest.mark.parametrize("share", [0, 1, -1, 2, float("nan"), "x", None])
def test_bucket_ranges_refuse_bad_shares(share: Any) -> None:
    with pytest.raises(ConfigError) as info:
        bucket_ranges(share)
    assert info.value.field == "control_share"


# -------------------------------------------------------------------------- srm_check

_COUNTS = "a DataFrame with an 'arm' column, or {'control': n, 'treatment': m}"


@pytest.mark.parametrize(
    ("assignment", "field", "fragment"),
    [
        (None, "assignment", f"{_COUNTS}; found NoneType"),  # regression: AttributeError
        ([10, 90], "assignment", "found list"),
        ({}, "assignment", "found keys []"),
        ({"control": 10}, "assignment", "found keys ['control']"),  # was: treatment = 0
        ({"control": 10, "treatment": 90, "other": 3}, "assignment", "'other'"),  # was ignored
        ({"control": np.nan, "treatment": 90}, "assignment['control']", "found nan"),
        ({"control": 1.5, "treatment": 9}, "assignment['control']", "found 1.5"),  # was 1
        ({"control": -1, "treatment": 9}, "assignment['control']", "found -1"),
        ({"control": 1e308, "treatment": 9}, "assignment['control']", "found 1e+308"),
        ({"control": 10, "treatment": True}, "assignment['treatment']", "found True"),
        ({"control": 0, "treatment": 0}, "assignment", "at least one customer"),
    ],
)
def test_srm_check_refuses_bad_counts(assignment: Any, field: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        srm_check(assignment, control_share=0.1)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_srm_check_names_rows_with_unknown_arms() -> None:
    """Regression: rows whose arm was NaN or unknown were dropped without a word."""
    a = assign(IDS, campaign="wake", control_share=0.5)
    arms = a["arm"].astype(object)
    arms.iloc[[3, 7]] = [None, "holdout"]
    bad = a.assign(arm=arms, email=_SECRET)
    err = _refused(functools.partial(srm_check, control_share=0.5), bad, InvalidInputError,
                   "2 other values", field="arm", secrets=(_SECRET,))  # fmt: skip
    assert err.rows == (IDS[3], IDS[7])
    _refused(srm_check, a.drop(columns="arm"), SchemaError, "a column of arms", field="arm")
    plain = srm_check(a)
    for variant in (
        a.assign(arm=a["arm"].astype("string[pyarrow]")),
        a.assign(arm=a["arm"].astype(object)),
        a.iloc[::-1],
    ):
        assert srm_check(variant, control_share=0.5) == plain
    for option, value in [("control_share", np.nan), ("threshold", np.nan), ("threshold", 1)]:
        with pytest.raises(ConfigError) as info:
            srm_check(a, **{option: value})
        assert info.value.field == option


# ------------------------------------------------------------------------ planning


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sample_size(np.nan, 0.01), "baseline"),
        (lambda: sample_size(1e308, 0.01), "baseline"),
        (lambda: sample_size("0.1", 0.01), "baseline"),
        (lambda: sample_size(None, 0.01), "baseline"),
        (lambda: sample_size(0.05, np.inf), "uplift"),
        (lambda: sample_size(0.05, 0.0), "uplift"),
        (lambda: sample_size(0.99, 0.5), "uplift"),
        (lambda: sample_size(0.05, 0.01, control_share=0), "control_share"),
        (lambda: sample_size(0.05, 0.01, power=1), "power"),
        (lambda: sample_size(0.05, 0.01, level=np.nan), "level"),
        (lambda: minimum_detectable_uplift(np.nan, 0.05), "n_total"),
        (lambda: minimum_detectable_uplift(100.5, 0.05), "n_total"),
        (lambda: minimum_detectable_uplift(True, 0.05), "n_total"),
        (lambda: minimum_detectable_uplift(-5, 0.05), "n_total"),
        (lambda: minimum_detectable_uplift(2, 0.05), "n_total"),  # too few for any uplift
        (lambda: minimum_detectable_uplift(10**30, 0.05), "n_total"),  # was a ValueError
        (lambda: minimum_detectable_uplift(1000, 1.0), "baseline"),
    ],
)
def test_planning_refuses_bad_numbers(call: Callable[[], Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    assert info.value.field == field


# ---------------------------------------------------------------------------- measure


def _assignment() -> pd.DataFrame:
    return assign(["c1", "c2", "c3", "c4"], campaign="wake", control_share=0.5)


def _measure(tx: Any) -> Any:
    return measure(_assignment(), tx, start="2025-01-01", end="2025-04-01")


@pytest.mark.parametrize("case", [c for c in BAD_LOGS if c.id != "empty"])
def test_measure_refuses_bad_transactions(case: tuple[Any, ...]) -> None:
    """The bad logs of test_bad_input: the same error, field and rows (regression: a None
    customer id counted as one 'unassigned customer')."""
    change, error, fragment, field, rows = case
    err = _refused(_measure, change(_tx()), error, fragment, field=field, secrets=(_SECRET,))
    if rows:
        assert err.rows == rows


def test_measure_documented_results_for_empty_and_outside_rows() -> None:
    nobody = _measure(_tx().iloc[:0])
    assert nobody.arms["control"].responders == nobody.arms["treatment"].responders == 0
    outside = _measure(_tx().assign(customer_id=["c1", "zz", "zz", "yy", "c3", "c3"]))
    assert outside.unassigned_customers == 2


@pytest.mark.parametrize("variant", list(LOG_VARIANTS))
def test_measure_valid_variants_equal_the_plain_result(variant: str) -> None:
    expected = _measure(_tx()).to_dict()
    tx = LOG_VARIANTS[variant](_tx())
    before = tx.copy()
    assert _measure(tx).to_dict() == expected
    _unchanged(before, tx)


def test_measure_overflowing_amounts_name_the_amount_column() -> None:
    """Regression: 1e308 amounts gave RuntimeWarnings and inf/NaN revenue estimates."""
    tx = _tx().assign(customer_id=["c1", "c2", "c3", "c4", "c1", "c3"])
    huge = tx.assign(amount=[1e308, 1.0, 1e308, 2.0, 1e308, 1.0])
    err = _refused(_measure, huge, InvalidInputError, "revenues per customer that overflow",
                   field="amount", secrets=(_SECRET,))  # fmt: skip
    assert err.rows == ("c1",)
    spread = tx.assign(amount=[1e308, 1.0, 1e308, 2.0, 1.0, 1.0])  # sums fine, variance not
    _refused(_measure, spread, InvalidInputError, "revenue means and variances", field="amount")
    pre = tx.assign(date=pd.to_datetime(["2024-12-05"] * 4 + ["2025-01-05"] * 2),
                    amount=[1e308, 1.0, 1e308, 2.0, 1.0, 1.0])  # fmt: skip
    call = functools.partial(
        measure, _assignment(), start="2025-01-01", end="2025-04-01", pre_start="2024-12-01"
    )
    _refused(call, pre, InvalidInputError, "pre-period spends that overflow", field="amount")


@pytest.mark.parametrize(
    ("options", "error", "field"),
    [
        ({"start": "2025-04-01", "end": "2025-01-01"}, ConfigError, "end"),
        ({"start": "0001-01-01"}, ConfigError, "start"),
        ({"end": "9999-01-01"}, ConfigError, "end"),
        ({"start": "01/02/2025"}, ConfigError, "start"),
        ({"start": None}, ConfigError, "start"),
        ({"pre_start": "2025-02-01"}, ConfigError, "pre_start"),
        ({"level": 2}, ConfigError, "level"),
        ({"level": "x"}, ConfigError, "level"),  # was a bare ValueError
        ({"level": None}, ConfigError, "level"),  # was a bare TypeError
        ({"segment": "region"}, SchemaError, "region"),
        ({"start": pd.Timestamp("2025-01-01", tz="UTC")}, ConfigError, "start"),
    ],
)
def test_measure_refuses_bad_options(
    options: dict[str, Any], error: type[CrmkitError], field: str
) -> None:
    window = {"start": "2025-01-01", "end": "2025-04-01", **options}
    with pytest.raises(error) as info:
        measure(_assignment(), _tx(), **window)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("assignment", "error", "field", "rows"),
    [
        (None, SchemaError, "arm", ()),
        (["c1"], SchemaError, "arm", ()),
        (_assignment().drop(columns="arm"), SchemaError, "arm", ()),
        (_assignment().assign(arm=["control", None, "treatment", "x"]), InvalidInputError,
         "arm", ("c2", "c4")),
        (pd.concat([_assignment(), _assignment()]), InvalidInputError, "assignment",
         ("c1", "c2", "c3", "c4")),
        (_assignment().iloc[:0], InvalidInputError, "arm", ()),
        (_assignment().query("arm == 'control'"), InvalidInputError, "arm", ()),
    ],
)  # fmt: skip
def test_measure_refuses_bad_assignments(
    assignment: Any, error: type[CrmkitError], field: str, rows: tuple[Any, ...]
) -> None:
    with pytest.raises(error) as info:
        measure(assignment, _tx(), start="2025-01-01", end="2025-04-01")
    assert info.value.field == field
    assert info.value.rows == rows


# ------------------------------------------------------------------ audiences and tags

SLEEPERS = Audience(
    "sleepers",
    AllOf([
        In("stage", ["dormant"]), Compare("monetary", ">", 0), Between("clv", 10, 500),
        Not(IsNull("email")),
    ]),
)  # fmt: skip


def _profiles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": ["dormant", "active", "dormant", "dormant"],
            "monetary": [320.0, 80.0, 0.0, 50.0],
            "clv": [100.0, 20.0, 30.0, 1000.0],
            "email": ["a@x", "b@x", None, "d@x"],
            "note": _SECRET,
        },
        index=pd.Index(["ann", "bob", "cy", "dee"], name="customer_id"),
    )


@pytest.mark.parametrize(
    ("frame", "error", "field", "fragment"),
    [
        (None, InvalidInputError, "frame", "'frame' must be a pandas DataFrame; found NoneType"),
        ({"stage": ["dormant"]}, InvalidInputError, "frame", "found dict"),
        (_profiles().drop(columns="clv"), SchemaError, "rule.conditions[2].column", "'clv'"),
        (_profiles().assign(monetary=["1", "2", "3", "4"]), ConfigError,
         "rule.conditions[1].op", "text column 'monetary'"),
        (_profiles().assign(monetary=[1.0, "x", 2.0, 3.0]), ConfigError,
         "rule.conditions[1].op", "mixed column 'monetary'"),
        (_profiles().assign(monetary=True), ConfigError, "rule.conditions[1].op",
         "bool column 'monetary'"),
        (_profiles().assign(clv=pd.Timestamp("2025-01-01")), ConfigError,
         "rule.conditions[2].low", "holds datetime values"),
        (_profiles().assign(stage=[1, 2, 3, 4]), ConfigError, "rule.conditions[0].values[0]",
         "holds number values"),
    ],
)  # fmt: skip
def test_audiences_refuse_bad_frames(
    frame: Any, error: type[CrmkitError], field: str, fragment: str
) -> None:
    """Regression: select(None) raised AttributeError from inside pandas."""
    for call in (SLEEPERS.select, SLEEPERS.mask, TagSet([SLEEPERS]).apply):
        err = _refused(call, frame, error, fragment, field=field, secrets=(_SECRET,))
        assert err.rows == ()


def test_audiences_documented_missing_values_and_valid_variants() -> None:
    """A missing value never matches a comparison (only IsNull sees it)."""
    plain = SLEEPERS.select(_profiles()).tolist()
    assert plain == ["ann"]
    nan = _profiles().assign(monetary=[np.nan, 80.0, 0.0, 50.0])
    assert SLEEPERS.select(nan).tolist() == []
    assert Audience("no mail", IsNull("email")).select(_profiles()).tolist() == ["cy"]
    for label, frame in {
        "arrow": _profiles().astype({"monetary": "double[pyarrow]", "stage": "string[pyarrow]"}),
        "categorical": _profiles().astype({"stage": "category"}),
        "nullable": _profiles().astype({"monetary": "Float64", "clv": "Float64"}),
        "shuffled": _profiles().iloc[::-1],
        "huge": _profiles().assign(clv=[100.0, 1e308, 1e308, 1e308]),
    }.items():
        before = frame.copy()
        assert SLEEPERS.select(frame).tolist() == plain, label
        _unchanged(before, frame)
    odd = _profiles().set_axis(["客户", "客户", "😀", "x"])
    assert SLEEPERS.select(odd).tolist() == ["客户"]
    multi = _profiles().set_axis(pd.MultiIndex.from_arrays([["eu"] * 4, range(4)]))
    assert SLEEPERS.select(multi).tolist() == [("eu", 0)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (None, "data"),
        ([], "data"),
        ({**SLEEPERS.to_dict(), "x": 1}, "x"),
        ({"name": "a"}, "rule"),
        ({"name": "a", "rule": None}, "rule"),
        ({"name": "a", "rule": {"kind": "zzz"}}, "rule.kind"),
        ({"name": "a", "rule": {"kind": "compare", "column": "n", "op": "~", "value": 1}},
         "rule.op"),
        ({"name": "a", "rule": {"kind": "compare", "column": "n", "op": ">",
                                "value": float("nan")}}, "rule.value"),
        ({"name": "a", "rule": {"kind": "compare", "column": "n", "op": ">",
                                "value": float("inf")}}, "rule.value"),
        ({"name": "a", "rule": {"kind": "between", "column": "n", "low": 5, "high": 1}},
         "rule.high"),
        ({"name": "a", "rule": {"kind": "in", "column": "n", "values": None}}, "rule.values"),
        ({"name": "a", "rule": {"kind": "all", "conditions": None}}, "rule.conditions"),
        ({"name": "a", "rule": {"kind": "all", "conditions": [{"kind": "is_null"}]}},
         "rule.conditions[0].column"),
        ({"name": "", "rule": {"kind": "is_null", "column": "n"}}, "name"),
    ],
)  # fmt: skip
def test_audience_from_dict_names_the_full_path(data: Any, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        Audience.from_dict(data)
    assert info.value.field == field


def test_tag_sets_and_tag_history_refuse_bad_arguments() -> None:
    tags = TagSet([SLEEPERS, Audience("big", Compare("clv", ">=", 500))])
    for bad, field in [(None, "tags"), ("sleepers", "tags"), ([SLEEPERS, SLEEPERS], "tags"),
                       ([SLEEPERS, "x"], "tags[1]")]:  # fmt: skip
        with pytest.raises(ConfigError) as info:  # regression: TagSet(None) was a TypeError
            TagSet(bad)
        assert info.value.field == field
    with pytest.raises(ConfigError) as info:
        TagSet.from_dict({**tags.to_dict(), "zzz": 1})
    assert info.value.field == "zzz"
    frame = _profiles()
    for snapshots, error, field in [
        (None, ConfigError, "snapshots"),  # regression: a bare TypeError
        ([frame, frame], ConfigError, "snapshots"),
        ({}, ConfigError, "snapshots"),
        ({"a": frame}, ConfigError, "snapshots"),
        ({"a": frame, "b": None}, InvalidInputError, "snapshots['b']"),
        ({"a": frame, "b": pd.concat([frame, frame])}, InvalidInputError, "snapshots['b']"),
    ]:
        with pytest.raises(error) as info:
            tag_history(snapshots, tags)
        assert info.value.field == field
    with pytest.raises(ConfigError) as info:
        tag_history({"a": frame, "b": frame}, None)  # type: ignore[arg-type]
    assert info.value.field == "tags"
    moved = frame.assign(clv=[600.0, 20.0, 30.0, 1000.0]).iloc[::-1]
    history = tag_history({"2025-01": frame, "2025-02": moved}, tags)
    assert history[["tag", "customer", "change"]].astype(str).values.tolist() == [
        ["sleepers", "ann", "left"], ["big", "ann", "entered"],
    ]  # fmt: skip


# ------------------------------------------------------------------------ health score

RULES = HealthScore(
    [
        Indicator("recency", "recency_days", 2.0, Thresholds([30, 90, 180], [100, 70, 30, 0])),
        Indicator("spend", "monetary", 1.0, Percentile()),
    ],
    bands=[Band("at risk", 0), Band("watch", 40), Band("healthy", 70)],
)


def _health_frame() -> pd.DataFrame:
    frame = {"recency_days": [12, 75, 400, 200], "monetary": [900.0, 300.0, 20.0, 0.0],
             "email": _SECRET}  # fmt: skip
    return pd.DataFrame(frame, index=pd.Index(["a", "b", "c", "d"], name="customer_id"))


@pytest.mark.parametrize(
    ("frame", "error", "field", "rows"),
    [
        (None, InvalidInputError, "frame", ()),
        (_health_frame().drop(columns="monetary"), SchemaError, "monetary", ()),
        (_health_frame().assign(monetary=[np.inf, 1.0, 1.0, 1.0]), InvalidInputError,
         "monetary", ("a",)),
        (_health_frame().assign(monetary=["1", "2", "3", "x"]), SchemaError, "monetary", ()),
        (_health_frame().assign(monetary=pd.Timestamp("2025-01-01")), SchemaError, "monetary",
         ()),
    ],
)  # fmt: skip
def test_health_model_apply_refuses_bad_frames(
    frame: Any, error: type[CrmkitError], field: str, rows: tuple[Any, ...]
) -> None:
    """Regression: apply(None) raised AttributeError."""
    model = RULES.fit(_health_frame())
    err = _refused(model.apply, frame, error, "", field=field, secrets=(_SECRET,))
    assert err.rows == rows


def test_health_score_documented_results_and_variants() -> None:
    frame = _health_frame()
    model = RULES.fit(frame)
    plain = model.apply(frame)
    assert plain["band"].tolist() == ["healthy", "watch", "at risk", "at risk"]
    missing = frame.assign(monetary=[np.nan, 300.0, 20.0, 0.0])  # documented: missing_points
    assert model.apply(missing).loc["a", "spend"] == 0.0
    assert RULES.fit(missing).apply(frame).loc["b", "spend"] == 100.0  # NaN left out of fit
    for label, variant in {
        "arrow": frame.astype({"monetary": "double[pyarrow]", "recency_days": "int64[pyarrow]"}),
        "nullable": frame.astype({"monetary": "Float64", "recency_days": "Int64"}),
        "shuffled": frame.iloc[::-1],
        "repeated_index": frame.set_axis(["x", "x", "y", "y"]),
    }.items():
        before = variant.copy()
        got = model.apply(variant)
        _unchanged(before, variant)
        assert got.index.equals(variant.index), label
        order = [3, 2, 1, 0] if label == "shuffled" else [0, 1, 2, 3]
        pd.testing.assert_frame_equal(got.set_axis(plain.index[order]).loc[plain.index], plain)
    assert model.apply(frame.iloc[:0]).empty
    with pytest.raises(InvalidInputError, match="at least one value"):
        RULES.fit(frame.iloc[:0])
    with pytest.raises(SchemaError, match="a key of the customer mapping"):
        model.apply_one({"recency_days": 5})
    for data, field in [
        (None, "data"),
        ({**RULES.to_dict(), "x": 1}, "x"),
        ({**RULES.to_dict(), "indicators": None}, "indicators"),
    ]:
        with pytest.raises(ConfigError) as info:
            HealthScore.from_dict(data)
        assert info.value.field == field
    with pytest.raises(ConfigError) as info:
        HealthModel.from_dict({**model.to_dict(), "x": 1})
    assert info.value.field == "x"
    for build, field in [
        (lambda: Indicator("r", "r", float("nan"), Percentile()), "weight"),
        (lambda: Indicator("r", "r", -1.0, Percentile()), "weight"),
        (lambda: Thresholds([90, 30], [1, 2, 3]), "edges"),
        (lambda: Thresholds([30], [1, 2, 3]), "points"),
        (lambda: Thresholds([float("nan")], [1, 2]), "edges[0]"),
        (lambda: Band("x", float("nan")), "min_score"),
        (lambda: HealthScore(RULES.indicators, bands=[Band("a", 10), Band("a", 10)]), "bands"),
    ]:
        with pytest.raises(ConfigError) as info:
            build()
        assert info.value.field == field
