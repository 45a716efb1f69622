"""Bad input to summarize(), btyd_summary() and calibration_holdout().

Every problem is either a documented result (tested in test_summary.py) or a crmkit error
that names the column or parameter and the first offending rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation import btyd_summary, calibration_holdout, summarize


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "date": pd.to_datetime(["2025-01-01", "2025-01-10", "2025-01-05", "2025-02-01"]),
            "amount": [10.0, 20.0, 30.0, 40.0],
        },
        index=["a", "b", "c", "d"],
    )


CALLS: dict[str, Callable[..., Any]] = {
    "summarize": summarize,
    "btyd_summary": lambda f, **kw: btyd_summary(f, amount="amount", **kw),
    "calibration_holdout": lambda f, **kw: calibration_holdout(
        f, amount="amount", calibration_end="2025-01-07", **kw
    ),
}
OWNERS = {name: f"{name}()" for name in CALLS}
each_function = pytest.mark.parametrize("name", sorted(CALLS))


@each_function
@pytest.mark.parametrize("column", ["customer_id", "date", "amount"])
def test_missing_column(name: str, column: str) -> None:
    with pytest.raises(SchemaError) as info:
        CALLS[name](_tx().drop(columns=column))
    assert info.value.field == column
    assert str(info.value).startswith(OWNERS[name])


@each_function
def test_renamed_columns_by_keyword(name: str) -> None:
    renamed = _tx().rename(columns={"customer_id": "cid", "date": "ts", "amount": "net"})
    if name == "summarize":
        got = summarize(renamed, customer="cid", date="ts", amount="net")
        assert got.index.name == "cid"
    elif name == "btyd_summary":
        got = btyd_summary(renamed, customer="cid", date="ts", amount="net")
        assert got.index.name == "cid"
    else:
        got = calibration_holdout(
            renamed, customer="cid", date="ts", amount="net", calibration_end="2025-01-07"
        )
        assert got.index.name == "cid"


@each_function
def test_not_a_frame(name: str) -> None:
    with pytest.raises(InvalidInputError, match="must be a pandas DataFrame; found list"):
        CALLS[name]([{"customer_id": 1}])


@each_function
def test_empty_frame(name: str) -> None:
    with pytest.raises(InvalidInputError, match="at least one row"):
        CALLS[name](_tx().iloc[:0])


@each_function
@pytest.mark.parametrize(
    ("column", "value"),
    [("customer_id", None), ("date", pd.NaT), ("amount", np.nan)],
)
def test_missing_values_name_the_rows(name: str, column: str, value: Any) -> None:
    tx = _tx()
    if column == "customer_id":
        tx["customer_id"] = tx["customer_id"].astype(object)
    tx.loc[["b", "d"], column] = value
    with pytest.raises(InvalidInputError) as info:
        CALLS[name](tx)
    assert info.value.field == column
    assert info.value.rows == ("b", "d")
    assert "2 missing" in str(info.value)


@each_function
def test_strings_in_amount(name: str) -> None:
    tx = _tx()
    tx["amount"] = ["10.0", "x", 30.0, 40.0]
    with pytest.raises(SchemaError) as info:
        CALLS[name](tx)
    assert info.value.field == "amount"
    assert "non-numeric" in str(info.value)


@each_function
def test_infinite_amount(name: str) -> None:
    tx = _tx()
    tx.loc["c", "amount"] = np.inf
    with pytest.raises(InvalidInputError, match="infinite") as info:
        CALLS[name](tx)
    assert info.value.rows == ("c",)


@each_function
def test_booleans_are_not_amounts(name: str) -> None:
    with pytest.raises(SchemaError, match="numeric"):
        CALLS[name](_tx().assign(amount=[True, False, True, True]))


@each_function
def test_dates_that_are_not_dates(name: str) -> None:
    tx = _tx().assign(date=["2025-01-01", "2025-01-10", "soon", "2025-02-01"])
    with pytest.raises(SchemaError) as info:
        CALLS[name](tx)
    assert info.value.field == "date"
    assert info.value.rows == ("c",)


@each_function
def test_mixed_naive_and_aware_dates(name: str) -> None:
    tx = _tx()
    tx["date"] = [
        dt.datetime(2025, 1, 1),
        dt.datetime(2025, 1, 10, tzinfo=dt.UTC),
        dt.datetime(2025, 1, 5),
        dt.datetime(2025, 2, 1),
    ]
    with pytest.raises(InvalidInputError, match="all naive or all timezone-aware") as info:
        CALLS[name](tx)
    assert info.value.field == "date"
    assert info.value.rows == ("b",)


def test_aware_as_of_with_naive_dates() -> None:
    with pytest.raises(ConfigError, match="naive, like the date column") as info:
        summarize(_tx(), as_of=pd.Timestamp("2025-02-01", tz="UTC"))
    assert info.value.field == "as_of"
    with pytest.raises(ConfigError, match="naive") as info:
        btyd_summary(_tx(), as_of=dt.datetime(2025, 2, 1, tzinfo=dt.UTC), amount=None)
    assert info.value.field == "as_of"


@pytest.mark.parametrize("as_of", ["last tuesday", 20250101, [2025, 1, 1], True])
def test_as_of_not_understood(as_of: object) -> None:
    with pytest.raises(ConfigError) as info:
        summarize(_tx(), as_of=as_of)
    assert info.value.field == "as_of"


def test_nothing_on_or_before_as_of() -> None:
    with pytest.raises(InvalidInputError, match="at least one purchase on or before as_of"):
        summarize(_tx(), as_of="2024-12-31")
    with pytest.raises(InvalidInputError, match="at least one row on or before"):
        btyd_summary(_tx(), as_of="2024-12-31", amount=None)


def test_only_refunds() -> None:
    tx = _tx().assign(amount=-_tx()["amount"])
    with pytest.raises(InvalidInputError, match="at least one purchase"):
        summarize(tx)


def test_refunds_error_policy_names_rows() -> None:
    tx = _tx()
    tx.loc[["b", "d"], "amount"] = [-5.0, -1.0]
    with pytest.raises(InvalidInputError) as info:
        summarize(tx, refunds="error")
    assert info.value.field == "amount"
    assert info.value.rows == ("b", "d")
    # Only the refunds the summary is made of are refused: b (10 January) and d
    # (1 February) are after an as_of of 9 January, and d is after one of 10 January.
    summarize(tx, refunds="error", as_of="2025-01-09")
    with pytest.raises(InvalidInputError) as info:
        summarize(tx, refunds="error", as_of="2025-01-10")
    assert info.value.rows == ("b",)
    with pytest.raises(InvalidInputError) as info:
        btyd_summary(tx, amount="amount", refunds="error")
    assert info.value.rows == ("b", "d")
    with pytest.raises(InvalidInputError):
        calibration_holdout(tx, amount="amount", calibration_end="2025-01-07", refunds="error")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: summarize(_tx(), refunds="keep"), "refunds"),
        (lambda: summarize(_tx(), order=3), "order"),
        (lambda: btyd_summary(_tx(), amount="amount", refunds="net"), "refunds"),
        (lambda: btyd_summary(_tx(), refunds="drop", amount=None), "refunds"),
        (lambda: btyd_summary(_tx(), freq="H", amount=None), "freq"),
        (lambda: btyd_summary(_tx(), freq="ms", amount=None), "freq"),
        (lambda: btyd_summary(_tx(), freq_multiplier=0, amount=None), "freq_multiplier"),
        (lambda: btyd_summary(_tx(), freq_multiplier=True, amount=None), "freq_multiplier"),
        (lambda: btyd_summary(_tx(), freq_multiplier="7", amount=None), "freq_multiplier"),
        (lambda: btyd_summary(_tx(), freq_multiplier=float("nan"), amount=None), "freq_multiplier"),
        (
            lambda: calibration_holdout(
                _tx(), calibration_end="2025-01-07", holdout_monetary="mean", amount=None
            ),
            "holdout_monetary",
        ),
        (
            lambda: calibration_holdout(
                _tx(), calibration_end="2025-02-01", as_of="2025-01-15", amount=None
            ),
            "calibration_end",
        ),
        (lambda: calibration_holdout(_tx(), calibration_end=None, amount=None), "calibration_end"),
    ],
)
def test_bad_parameters(call: Callable[[], Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    assert info.value.field == field


def test_hint_for_upper_case_hours() -> None:
    with pytest.raises(ConfigError, match="Use 'h' for hours"):
        btyd_summary(_tx(), freq="H", amount=None)


@pytest.mark.parametrize(
    ("cal", "end", "which"),
    [("2024-12-01", "2024-12-31", "calibration"), ("2025-02-01", "2025-03-01", "holdout")],
)
def test_empty_calibration_or_holdout(cal: str, end: str, which: str) -> None:
    with pytest.raises(InvalidInputError, match=f"at least one row in the {which} period"):
        calibration_holdout(_tx(), calibration_end=cal, as_of=end, amount=None)


def test_errors_pickle() -> None:
    import pickle

    with pytest.raises(InvalidInputError) as info:
        summarize(_tx().assign(amount=[1.0, np.nan, 2.0, 3.0]))
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)
    assert again.rows == ("b",)


def test_as_of_that_a_dst_change_skips() -> None:
    tx = _tx().assign(date=_tx()["date"].dt.tz_localize("Europe/Berlin"))
    with pytest.raises(ConfigError, match="exists exactly once in Europe/Berlin") as info:
        summarize(tx, as_of="2025-03-30 02:30")
    assert info.value.field == "as_of"
    aware = pd.Timestamp("2025-03-30 03:30", tz="Europe/Berlin")
    assert len(summarize(tx, as_of=aware)) == 3


@each_function
def test_unhashable_customer_ids(name: str) -> None:
    tx = _tx()
    tx["customer_id"] = [[1], [1], [2], [3]]
    with pytest.raises(SchemaError, match="hashable customer ids") as info:
        CALLS[name](tx)
    assert info.value.field == "customer_id"


def test_unhashable_order_ids() -> None:
    tx = _tx().assign(order_id=[[1], [2], [3], [4]])
    with pytest.raises(SchemaError, match="hashable order ids") as info:
        summarize(tx, order="order_id")
    assert info.value.field == "order_id"
    with pytest.raises(SchemaError) as info:
        summarize(_tx(), order="order_no")
    assert info.value.field == "order_no"
