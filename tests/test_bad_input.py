"""Bad input, walked through every entry point of the input core (issue 10).

Covered here: the readers (``_io.read_table``), the column readers of ``_validate``, and the
segmentation functions that take data through them: the value functions (``gini``,
``top_share``, ``pareto_curve``, ``abc_classify``, ``pyramid_tiers``, ``pyramid``,
``class_summary``), ``ValuePotentialMatrix`` and the summaries/RFM entry points
(``summarize``, ``rfm``). Loyalty, service and the CLI walk their own entry points on their
branches.

Each kind of bad input has one exact outcome: a crmkit error whose class, field and row
labels are asserted, or a documented result. Every call also checks that the caller's data
is left untouched and that no message echoes an unrelated column; valid variants (Arrow,
nullable, categorical, unicode, shuffled, odd indexes) must equal the plain result.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit import _validate as v
from crmkit._io import read_table
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError
from crmkit.segmentation import (
    ValuePotentialMatrix,
    abc_classify,
    class_summary,
    gini,
    pareto_curve,
    pyramid,
    pyramid_tiers,
    rfm,
    summarize,
    top_share,
)

# ------------------------------------------------------------------------------ helpers


def _snapshot(obj: Any) -> Any:
    return obj.copy(deep=True) if isinstance(obj, (pd.DataFrame, pd.Series)) else obj


def _unchanged(before: Any, after: Any) -> None:
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(after, before)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(after, before)


def _refused(
    call: Callable[[Any], Any],
    data: Any,
    error: type[CrmkitError],
    fragment: str,
    *,
    field: str | None = None,
    rows: tuple[Any, ...] | None = None,
    secrets: tuple[str, ...] = (),
) -> CrmkitError:
    """Call, expect ``error`` with ``fragment``; check field, rows, no echo, no mutation."""
    before = _snapshot(data)
    with pytest.raises(error) as info:
        call(data)
    message = str(info.value)
    assert fragment in message
    if field is not None:
        assert info.value.field == field
    if rows is not None:
        assert info.value.rows == rows
    for secret in secrets:
        assert secret not in message
    _unchanged(before, data)
    return info.value


#: Bad values tried on every keyword argument of the rule constructors.
BAD_KWARGS: dict[str, Any] = {
    "none": None,
    "nan": float("nan"),
    "inf": float("inf"),
    "huge": 1e308,
    "negative": -1,
    "text": "x",
    "fraction": 3.5,
    "bool": True,
    "list": [],
    "dict": {},
    "unicode": "会员😀",
}


# ------------------------------------------------------------------ the value functions

#: One value per customer, named like the column it came from.
PLAIN = pd.Series(
    [120.0, 35.5, 0.0, 980.25, 35.5, 12.0],
    index=pd.Index(["c1", "c2", "c3", "c4", "c5", "c6"], name="customer_id"),
    name="monetary",
)

VALUE_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "gini": gini,
    "top_share": top_share,
    "pareto_curve": pareto_curve,
    "abc_classify": abc_classify,
    "abc_classify_rank": functools.partial(abc_classify, method="rank"),
    "abc_classify_thresholds": functools.partial(
        abc_classify, method="thresholds", cuts=(500.0, 30.0)
    ),
    "pyramid_tiers": pyramid_tiers,
    "pyramid": pyramid,
}
ORDER_FREE = ("gini", "top_share", "pareto_curve", "pyramid")  # results without row labels


def _with(values: list[Any], dtype: Any = None) -> pd.Series:
    return pd.Series(values, index=PLAIN.index, name="monetary", dtype=dtype)


BAD_VALUES: list[tuple[str, Any, type[CrmkitError], str, str, tuple[Any, ...]]] = [
    # (id, values, error, fragment, field, rows)
    ("none", None, InvalidInputError, "(a Series, array or list); found NoneType", "values", ()),
    ("text", "120,35", InvalidInputError, "found str", "values", ()),
    ("mapping", {"c1": 1.0}, InvalidInputError, "found dict", "values", ()),
    ("frame", PLAIN.to_frame(), InvalidInputError, "found a DataFrame", "values", ()),
    ("nested", [[1.0, 2.0]], InvalidInputError, "one-dimensional", "values", ()),
    ("matrix", np.ones((2, 2)), InvalidInputError, "found 2 dimensions", "values", ()),
    (
        "one_junk_string",
        _with(["120", "35.5", "n/a", "980", "35.5", "12"]),
        SchemaError,
        "found 1 non-numeric value (dtype str), 'n/a'",
        "monetary",
        ("c3",),
    ),
    (
        "numbers_as_text",
        _with(["1", "2", "3", "4", "5", "6"]),
        SchemaError,
        "numbers stored as text",
        "monetary",
        ("c1", "c2", "c3", "c4", "c5"),
    ),
    (
        "booleans",
        _with([True, False] * 3),
        SchemaError,
        "6 non-numeric values (dtype bool)",
        "monetary",
        ("c1", "c2", "c3", "c4", "c5"),
    ),
    (
        "datetimes",
        _with(list(pd.date_range("2025-01-01", periods=6))),
        SchemaError,
        "non-numeric values (dtype datetime64",
        "monetary",
        ("c1", "c2", "c3", "c4", "c5"),
    ),
    (
        "nan",
        _with([1.0, np.nan, 2.0, 3.0, 4.0, 5.0]),
        InvalidInputError,
        "1 missing values",
        "monetary",
        ("c2",),
    ),
    (
        "none_in_objects",
        _with([1.0, 2.0, None, 3.0, 4.0, 5.0], dtype=object),
        InvalidInputError,
        "1 missing values",
        "monetary",
        ("c3",),
    ),
    (
        "nullable_na",
        _with([1, 2, 3, None, 4, 5], dtype="Int64"),
        InvalidInputError,
        "1 missing values",
        "monetary",
        ("c4",),
    ),
    (
        "arrow_null",
        _with([1.0, 2.0, 3.0, 4.0, None, 5.0], dtype="double[pyarrow]"),
        InvalidInputError,
        "1 missing values",
        "monetary",
        ("c5",),
    ),
    (
        "plus_inf",
        _with([1.0, 2.0, 3.0, 4.0, 5.0, np.inf]),
        InvalidInputError,
        "1 infinite values",
        "monetary",
        ("c6",),
    ),
    (
        "minus_inf",
        _with([-np.inf, 2.0, 3.0, 4.0, 5.0, 6.0]),
        InvalidInputError,
        "1 infinite values",
        "monetary",
        ("c1",),
    ),
    ("empty_list", [], InvalidInputError, "at least one row; found an empty input", "values", ()),
    (
        "empty_series",
        pd.Series([], dtype=float, name="monetary"),
        InvalidInputError,
        "at least one row",
        "monetary",
        (),
    ),
]


@pytest.mark.parametrize("function", list(VALUE_FUNCTIONS))
@pytest.mark.parametrize(
    ("values", "expected"),
    [pytest.param(case[1], case[2:], id=case[0]) for case in BAD_VALUES],
)
def test_value_functions_refuse_bad_values(
    function: str, values: Any, expected: tuple[Any, str, str, tuple[Any, ...]]
) -> None:
    error, fragment, field, rows = expected
    _refused(VALUE_FUNCTIONS[function], values, error, fragment, field=field, rows=rows)


@pytest.mark.parametrize("function", ["gini", "top_share", "pareto_curve"])
def test_concentration_refuses_negative_values_and_zero_totals(function: str) -> None:
    call = VALUE_FUNCTIONS[function]
    _refused(
        call, _with([1.0, -2.0, 3.0, 4.0, 5.0, 6.0]), InvalidInputError, "1 negative values",
        field="monetary", rows=("c2",),
    )  # fmt: skip
    _refused(call, _with([0.0] * 6), InvalidInputError, "a positive total", field="monetary")


def test_classes_put_negative_values_last_or_refuse_them() -> None:
    """Documented: net-negative customers are in the lowest class (or an error on request)."""
    values = _with([-5.0, 100.0, 1.0, 1.0, 1.0, 1.0])
    assert abc_classify(values)["abc_class"].tolist() == ["C", "A", "C", "C", "C", "C"]
    assert pyramid_tiers(values)["tier"].iloc[0] == "small"
    _refused(
        functools.partial(abc_classify, negatives="error"),
        values,
        InvalidInputError,
        "1 negative values",
        field="monetary",
        rows=("c1",),
    )
    _refused(abc_classify, _with([0.0, -1.0] * 3), InvalidInputError, "no positive value")


@pytest.mark.parametrize("function", list(VALUE_FUNCTIONS))
def test_huge_values_give_finite_results_or_name_the_column(function: str) -> None:
    """1e308 per customer: totals overflow float64 unless computed scaled."""
    values = _with([1e308, 1e308, 1.0, 5.0, 2.0, 1e307])
    call = VALUE_FUNCTIONS[function]
    if function == "pyramid":  # the top tier's revenue is an absolute sum: 2e308
        _refused(call, values, InvalidInputError, "class revenues that overflow",
                 field="monetary", rows=("VIP",))  # fmt: skip
        return
    result = call(values)
    numbers = result.select_dtypes("number") if isinstance(result, pd.DataFrame) else result
    assert np.isfinite(np.asarray(numbers, dtype=float)).all()


def test_class_summary_names_the_value_column_on_overflow() -> None:
    frame = abc_classify(_with([1e308, 1e308, 1.0, 1.0, 1.0, 1.0]))
    _refused(class_summary, frame, InvalidInputError, "class revenues", field="value", rows=("A",))
    _refused(class_summary, frame.drop(columns="value"), SchemaError, "must be present",
             field="value")  # fmt: skip
    _refused(class_summary, frame.iloc[:0], InvalidInputError, "at least one row")
    _refused(class_summary, frame["value"], InvalidInputError, "a pandas DataFrame")


def test_single_value() -> None:
    one = _with([42.0, 0, 0, 0, 0, 0]).iloc[:1]
    assert gini(one) == 0.0
    assert top_share(one, 0.2) == pytest.approx(0.2)  # interpolated: a fifth of the one
    assert top_share(one, 1.0) == 1.0
    assert pareto_curve(one).to_numpy().tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert abc_classify(one)["abc_class"].tolist() == ["A"]
    assert pyramid(one)["customers"].tolist() == [1, 0, 0, 0]
    _refused(functools.partial(gini, corrected=True), one, InvalidInputError, "at least two")


def _plain_result(function: str) -> Any:
    return VALUE_FUNCTIONS[function](PLAIN)


def _same(function: str, got: Any, expected: Any) -> None:
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, check_index_type=False, check_names=False)
    else:
        assert got == expected


VARIANTS: dict[str, Callable[[pd.Series], Any]] = {
    "arrow": lambda s: s.astype("double[pyarrow]"),
    "nullable": lambda s: s.astype("Float64"),
    "categorical": lambda s: s.astype("category"),
    "object": lambda s: s.astype(object),
    "float32_exact": lambda s: s.astype(np.float32),
}


@pytest.mark.parametrize("function", list(VALUE_FUNCTIONS))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_valid_dtype_variants_equal_the_plain_result(function: str, variant: str) -> None:
    values = VARIANTS[variant](PLAIN)
    before = values.copy()
    _same(function, VALUE_FUNCTIONS[function](values), _plain_result(function))
    _unchanged(before, values)


@pytest.mark.parametrize("function", list(VALUE_FUNCTIONS))
def test_unicode_ids_shuffled_rows_and_odd_indexes(function: str) -> None:
    call = VALUE_FUNCTIONS[function]
    expected = _plain_result(function)
    unicode_ids = PLAIN.set_axis(["客户一", "Zoë", "😀", "c 4", "Ω", "ümlaut"])
    shuffled = PLAIN.iloc[[3, 0, 5, 1, 4, 2]]
    multi = PLAIN.set_axis(pd.MultiIndex.from_tuples([("eu", i) for i in range(6)]))
    for values in (unicode_ids, shuffled, multi, PLAIN.to_numpy(), list(PLAIN)):
        got = call(values)
        if function in ORDER_FREE:
            _same(function, got, expected)
            continue
        labels = values.index if isinstance(values, pd.Series) else pd.RangeIndex(6)
        assert got.index.equals(labels)
        positions = (
            [3, 0, 5, 1, 4, 2] if values is shuffled else list(range(6))
        )  # back to PLAIN's order
        restored = got.set_axis(PLAIN.index[positions]).loc[PLAIN.index]
        pd.testing.assert_frame_equal(restored, expected)


@pytest.mark.parametrize("function", list(VALUE_FUNCTIONS))
def test_a_repeated_customer_label_is_refused(function: str) -> None:
    """One value per customer: a label on two rows would count one customer twice.

    Regression (session 16): a non-unique index was read as separate customers, so
    ``pyramid_tiers`` gave customer ``x`` two tiers.
    """
    repeated = PLAIN.set_axis(["x", "x", "y", "y", "z", "z"])
    before = repeated.copy()
    with pytest.raises(InvalidInputError) as info:
        VALUE_FUNCTIONS[function](repeated)
    assert info.value.rows == ("x", "y", "z")
    assert "one value per customer" in str(info.value)
    _unchanged(before, repeated)


# -------------------------------------------------------------- ValuePotentialMatrix


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (None, "'data' must be a mapping; found NoneType"),
        ([], "must be a mapping; found list"),
        ({"potentials": ["high", "high"]}, "'potentials' must be a list of distinct names"),
        ({"cells": None}, "'cells' must be a mapping; found None"),
        ({"cells": [1, 2]}, "'cells' must be a mapping; found [1, 2]"),
        ({"cells": {"A": None}}, "\"cells['A']\" must be a mapping; found None"),
        ({"cells": {}, "grid": 3}, "'grid' must be one of"),
        ({"cells": {}, "classes": None}, "'classes' must be a list; found None"),
    ],
)
def test_value_potential_matrix_from_dict_refuses(data: Any, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        ValuePotentialMatrix.from_dict(data)
    assert fragment in str(info.value)


def test_value_potential_matrix_apply_bad_and_valid_variants() -> None:
    m = ValuePotentialMatrix.default()
    assert ValuePotentialMatrix.from_dict({}) == m == ValuePotentialMatrix()  # the handbook
    classes = pd.Series(["A", "B", "C", "C"], index=["客户", "b", "c", "d"])
    potential = pd.Series(["low", "high", "high", "medium"], index=classes.index)
    plain = m.apply(classes, potential)
    assert plain.tolist() == ["B", "A", "A", "C"]
    for cls, pot in [
        (classes.astype("category"), potential.astype("category")),
        (classes.astype("string[pyarrow]"), potential.astype("string[pyarrow]")),
    ]:
        pd.testing.assert_series_equal(m.apply(cls, pot), plain)
    shuffled = m.apply(classes.iloc[::-1], potential.iloc[::-1])
    pd.testing.assert_series_equal(shuffled.loc[classes.index], plain)
    with pytest.raises(InvalidInputError) as info:
        m.apply(classes.where(classes != "B"), potential)  # NaN class
    assert info.value.field == "value_classes"
    assert info.value.rows == ("b",)
    with pytest.raises(InvalidInputError, match="aligned with value_classes"):
        m.apply(classes, potential.iloc[::-1])
    with pytest.raises(InvalidInputError, match="aligned with value_classes"):
        m.apply(classes, potential.iloc[:2])


# ------------------------------------------------------------ summaries and RFM scores

_SECRET = "alice@example.com"


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c2", "c3", "c3", "c3"],
            "date": pd.to_datetime(
                [
                    "2025-01-05 10:00",
                    "2025-02-10 12:30",
                    "2025-01-20 09:15",
                    "2025-03-01 18:00",
                    "2025-03-02 08:00",
                    "2025-03-20 16:45",
                ]
            ),
            "amount": [120.0, 35.5, 980.25, 12.0, 40.0, 8.5],
            "email": [_SECRET, _SECRET, "bob@example.com", "x@y.z", "x@y.z", "x@y.z"],
        },
        index=pd.Index([101, 102, 103, 104, 105, 106], name="row"),
    )


ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    "summarize": functools.partial(summarize, as_of="2025-04-01"),
    "rfm": functools.partial(rfm, as_of="2025-04-01"),
}


def _replace(column: str, values: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(tx: pd.DataFrame) -> pd.DataFrame:
        out = tx.copy()
        out[column] = pd.Series(values, index=tx.index) if isinstance(values, list) else values
        return out

    return change


def _epoch(
    dtype: Any, scale: int = 1, column: str = "date"
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """``column`` as seconds (times ``scale``) since 1970 in ``dtype``; naive or aware input."""

    def change(tx: pd.DataFrame) -> pd.DataFrame:
        naive = tx[column].dt.tz_convert(None) if tx[column].dt.tz else tx[column]
        seconds = (naive - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
        values = pd.Series((seconds * scale).to_numpy(), index=tx.index, dtype=dtype)
        return tx.assign(**{column: values})

    return change


def _far(
    year: int, unit: str, aware: bool = False, column: str = "date"
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """``column`` in ``unit`` with its third row in ``year`` (aware: in UTC)."""

    def change(tx: pd.DataFrame) -> pd.DataFrame:
        dates = tx[column].dt.tz_localize(None) if tx[column].dt.tz else tx[column]
        dates = dates.dt.as_unit(unit).copy()
        dates.iloc[2] = pd.Timestamp(dt.datetime(year, 6, 1))
        return tx.assign(**{column: dates.dt.tz_localize("UTC") if aware else dates})

    return change


def _case(name: str, *values: Any) -> Any:
    return pytest.param(values, id=name)


BAD_LOGS: list[Any] = [
    _case("wrong_type", lambda tx: tx.to_dict("list"), InvalidInputError,
          "must be a pandas DataFrame; found dict", "transactions", ()),
    _case("missing_column", lambda tx: tx.drop(columns="amount"), SchemaError,
          "must be present", "amount", ()),
    _case("empty", lambda tx: tx.iloc[:0], InvalidInputError, "at least one row",
          "transactions", ()),
    _case("none_customer", _replace("customer_id", ["c1", None, "c2", "c3", "c3", "c3"]),
          InvalidInputError, "1 missing customer ids", "customer_id", (102,)),
    _case("date_booleans", _replace("date", [True] * 6), SchemaError, "found booleans",
          "date", ()),
    _case("nat", lambda tx: tx.assign(date=tx["date"].where(tx.index != 104)),
          InvalidInputError, "1 missing dates", "date", (104,)),
    _case("naive_aware",
          _replace("date", ["2025-01-05", "2025-02-10T12:30+01:00", "2025-01-20",
                            "2025-03-01", "2025-03-02", "2025-03-20"]),
          InvalidInputError, "all naive or all timezone-aware", "date", (102,)),
    _case("ambiguous_day_month",
          _replace("date", ["05/01/2025", "10/02/2025", "01/02/2025", "01/03/2025",
                            "02/03/2025", "03/03/2025"]),
          SchemaError, "dates that read two ways", "date", (101, 102, 103, 104, 105)),
    _case("mixed_formats",
          _replace("date", ["2025-01-05", "10/02/2025", "2025-01-20", "2025-03-01",
                            "2025-03-02", "2025-03-20"]),
          SchemaError, "mixed formats", "date", (102,)),
    _case("amount_junk", _replace("amount", ["120", "35.5", "980.25", "12", "forty", "8.5"]),
          SchemaError, "1 non-numeric value (dtype str), 'forty'", "amount", (105,)),
    _case("amount_nan", _replace("amount", [120.0, np.nan, 980.25, 12.0, 40.0, 8.5]),
          InvalidInputError, "1 missing values", "amount", (102,)),
    _case("amount_inf", _replace("amount", [120.0, 35.5, np.inf, 12.0, -np.inf, 8.5]),
          InvalidInputError, "2 infinite values", "amount", (103, 105)),
]  # fmt: skip


def date_unit_cases(column: str, far_row: Any) -> list[Any]:
    """Epoch numbers in every dtype (need ``date_unit``) and years 1/9999 in every unit.

    Shared by every walk that reads a date column: ``far_row`` is the label of the row
    that :func:`_far` moves out of range.
    """
    epoch = [
        _case(f"epoch_seconds_{dtype}", _epoch(dtype, column=column), SchemaError,
              "date_unit='s'", column, ())
        for dtype in ["int64", "Int64", "int64[pyarrow]", object, "float64", "uint64", "str"]
    ]  # fmt: skip
    far = [
        _case(f"year_{year}_{unit}{'_utc' if aware else ''}", _far(year, unit, aware, column=column),
              InvalidInputError, "must be dates between 1678-01-01 and 2261-12-31", column,
              (far_row,))
        for unit in ["s", "ms", "us"]
        for year in [1, 9999]
        for aware in [False, True]
    ]  # fmt: skip
    return epoch + far


BAD_LOGS += date_unit_cases("date", 103)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("case", BAD_LOGS)
def test_summaries_and_rfm_refuse_bad_logs(entry: str, case: tuple[Any, ...]) -> None:
    change, error, fragment, field, rows = case
    err = _refused(
        ENTRY_POINTS[entry], change(_tx()), error, fragment, field=field, secrets=(_SECRET,)
    )
    if rows:
        assert err.rows == rows


LOG_VARIANTS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "arrow_dates": lambda tx: tx.assign(date=tx["date"].astype("timestamp[us][pyarrow]")),
    "arrow_amounts": lambda tx: tx.assign(amount=tx["amount"].astype("double[pyarrow]")),
    "nullable_amounts": lambda tx: tx.assign(amount=tx["amount"].astype("Float64")),
    "iso_strings": lambda tx: tx.assign(date=tx["date"].dt.strftime("%Y-%m-%dT%H:%M:%S")),
    "seconds_unit": lambda tx: tx.assign(date=tx["date"].dt.as_unit("s")),
    "categorical_ids": lambda tx: tx.assign(customer_id=tx["customer_id"].astype("category")),
    "arrow_ids": lambda tx: tx.assign(customer_id=tx["customer_id"].astype("string[pyarrow]")),
    "shuffled": lambda tx: tx.iloc[[4, 1, 5, 0, 3, 2]],
    "multiindex": lambda tx: tx.set_axis(pd.MultiIndex.from_arrays([["a"] * 6, range(6)])),
    "repeated_index": lambda tx: tx.set_axis([7, 7, 7, 8, 8, 8]),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("variant", list(LOG_VARIANTS))
def test_valid_log_variants_equal_the_plain_result(entry: str, variant: str) -> None:
    expected = ENTRY_POINTS[entry](_tx())
    tx = LOG_VARIANTS[variant](_tx())
    before = tx.copy()
    got = ENTRY_POINTS[entry](tx)
    _unchanged(before, tx)
    got.index = got.index.astype(object)
    expected.index = expected.index.astype(object)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_categorical=False)


def test_unicode_customer_ids_keep_their_labels() -> None:
    names = {"c1": "客户一", "c2": "Zoë", "c3": "😀"}
    tx = _tx().assign(customer_id=_tx()["customer_id"].map(names))
    got = summarize(tx, as_of="2025-04-01")
    expected = summarize(_tx(), as_of="2025-04-01").rename(index=names)
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_index_type=False)


def test_aware_arrow_timestamps_equal_numpy_aware() -> None:
    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    aware = _tx().assign(date=_tx()["date"].dt.tz_localize(zone))
    arrow = aware.assign(date=aware["date"].astype(pd.ArrowDtype(__import__("pyarrow").timestamp(
        "ms", tz="Asia/Shanghai"))))  # fmt: skip
    for call in ENTRY_POINTS.values():
        pd.testing.assert_frame_equal(call(arrow), call(aware), check_dtype=False)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_amounts_that_sum_past_float64_name_the_amount_column(entry: str) -> None:
    tx = _tx().assign(amount=[1e308, 1e308, 1.0, 1.0, 1.0, 1.0])
    _refused(ENTRY_POINTS[entry], tx, InvalidInputError, "overflow", field="amount")


def test_as_of_in_year_9999_is_a_crmkit_error() -> None:
    with pytest.raises(ConfigError, match="between 1678-01-01 and 2261-12-31"):
        summarize(_tx(), as_of="9999-01-01")


# ------------------------------------------------------------------------ the readers


@pytest.mark.parametrize(
    ("content", "name", "fragment"),
    [
        (b"", "t.csv", "found an empty file"),
        (b"customer_id,amount\n1,caf\xe9\n", "t.csv", "bytes that are not UTF-8 text at line 2"),
        (b"\x00\xff\xfe\x00", "t.csv", "not UTF-8"),
        (b'a,b\n1,"x\n', "t.csv", "must be a well-formed CSV file"),
        (b"PAR1 not really", "t.parquet", "must be a Parquet file"),
        (None, "missing.csv", "found no such file"),
        ("dir", "folder.csv", "must be a file; found a directory"),
    ],
)
def test_readers_refuse_unreadable_files(
    tmp_path: Path, content: bytes | str | None, name: str, fragment: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(InvalidInputError) as info:
        read_table(path, owner="crmkit rfm")
    assert fragment in str(info.value)
    assert info.value.field == str(path)


def test_a_junk_value_in_a_file_is_named_by_its_line(tmp_path: Path) -> None:
    """Regression: one junk amount was '49 non-numeric values at rows [0..4]'."""
    lines = ["customer_id,date,amount"] + [
        f"c{i},2025-01-{i % 28 + 1:02d},{i}.5" for i in range(48)
    ]
    lines.insert(30, 'c99,2025-02-01,"12,50"')  # a decimal comma, quoted: line 31
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SchemaError) as info:
        summarize(read_table(path), as_of="2025-04-01")
    assert info.value.field == "amount"
    assert info.value.rows == (31,)
    assert "found 1 non-numeric value (dtype str), '12,50'" in str(info.value)


def test_column_readers_leave_every_frame_unchanged() -> None:
    tx = _tx().assign(date=_tx()["date"].dt.strftime("%d/%m/%Y"))
    before = tx.copy()
    v.datetime_column(tx, "date", "f()", date_format="%d/%m/%Y", tz="Europe/Berlin")
    v.numeric_column(tx, "amount", "f()")
    _unchanged(before, tx)
