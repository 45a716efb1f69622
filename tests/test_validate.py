"""Shared input checks in crmkit._validate: each check, its message and its non-mutation."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import _validate as v
from crmkit.errors import ConfigError, InvalidInputError, SchemaError


def test_require_frame_accepts_frames_and_names_the_argument() -> None:
    frame = pd.DataFrame({"a": [1]})
    assert v.require_frame(frame, "f()", "transactions") is frame
    with pytest.raises(
        InvalidInputError, match=r"'transactions' must be a pandas DataFrame; found dict"
    ):
        v.require_frame({"a": [1]}, "f()", "transactions")


def test_require_columns_names_the_missing_column() -> None:
    frame = pd.DataFrame({"customer_id": [1], "date": ["2025-01-01"]})
    v.require_columns(frame, ["customer_id", "date"], "f()")
    with pytest.raises(SchemaError) as info:
        v.require_columns(frame, ["customer_id", "amount"], "f()")
    assert info.value.field == "amount"
    assert "found columns ['customer_id', 'date']" in str(info.value)


def test_check_not_empty() -> None:
    v.check_not_empty(pd.Series([1]), "f()", "values")
    with pytest.raises(InvalidInputError, match="found an empty input"):
        v.check_not_empty(pd.Series([], dtype=float), "f()", "values")


def test_require_no_missing_lists_first_labels_and_total() -> None:
    frame = pd.DataFrame({"x": [np.nan] * 7 + [1.0]}, index=list("abcdefgh"))
    with pytest.raises(InvalidInputError) as info:
        v.require_no_missing(frame, "x", "f()")
    assert info.value.rows == ("a", "b", "c", "d", "e")
    assert info.value.total == 7
    assert "7 missing values" in str(info.value)


def test_numeric_column_converts_without_touching_input() -> None:
    frame = pd.DataFrame({"m": np.array([1, 2, 3], dtype=np.int32)})
    before = frame.copy()
    out = v.numeric_column(frame, "m", "f()")
    assert out.dtype == np.float64
    out[0] = 99.0
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("values", "error", "fragment"),
    [
        (["1", "2"], SchemaError, "2 non-numeric values (dtype"),
        ([1.0, "x"], SchemaError, "non-numeric"),
        ([True, False], SchemaError, "non-numeric"),
        ([1.0, np.nan], InvalidInputError, "1 missing values at rows [1]"),
        ([1.0, np.inf], InvalidInputError, "1 infinite values at rows [1]"),
    ],
)
def test_numeric_column_rejects(
    values: list[object], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as info:
        v.numeric_column(pd.DataFrame({"m": values}), "m", "f()")
    assert fragment in str(info.value)


def test_datetime_column_parses_strings_and_keeps_datetimes() -> None:
    frame = pd.DataFrame({"d": ["2025-01-02", "2025-01-03 10:00"]})
    out = v.datetime_column(frame, "d", "f()")
    assert list(out) == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-03 10:00")]
    assert frame["d"].dtype == object or str(frame["d"].dtype) == "str"


def test_datetime_column_reads_naive_in_zone_and_converts_aware() -> None:
    naive = pd.DataFrame({"d": pd.to_datetime(["2025-03-30 09:00"])})
    out = v.datetime_column(naive, "d", "f()", tz="Europe/Berlin")
    assert out.iloc[0] == pd.Timestamp("2025-03-30 09:00", tz="Europe/Berlin")
    aware = pd.DataFrame({"d": pd.to_datetime(["2025-03-30 07:00"]).tz_localize("UTC")})
    out = v.datetime_column(aware, "d", "f()", tz="Europe/Berlin")
    assert out.iloc[0] == pd.Timestamp("2025-03-30 09:00", tz="Europe/Berlin")


def test_datetime_column_rejects_mixed_naive_and_aware() -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    frame = pd.DataFrame(
        {
            "d": [
                dt.datetime(2025, 1, 1, 9),
                dt.datetime(2025, 1, 2, 9),
                dt.datetime(2025, 1, 3, 9, tzinfo=berlin),
            ]
        },
        dtype=object,
    )
    with pytest.raises(InvalidInputError) as info:
        v.datetime_column(frame, "d", "f()")
    assert info.value.rows == (2,)
    assert "all naive or all timezone-aware" in str(info.value)


def test_datetime_column_rejects_nat_and_junk() -> None:
    with pytest.raises(InvalidInputError, match="missing dates"):
        v.datetime_column(pd.DataFrame({"d": [pd.NaT, pd.Timestamp("2025-01-01")]}), "d", "f()")
    with pytest.raises(SchemaError, match="not dates at rows \\[1\\]"):
        v.datetime_column(pd.DataFrame({"d": ["2025-01-01", "tomorrow"]}), "d", "f()")


def test_resolve_timezone() -> None:
    assert v.resolve_timezone("UTC", "f()") == zoneinfo.ZoneInfo("UTC")
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert v.resolve_timezone(berlin, "f()") is berlin
    with pytest.raises(ConfigError, match="IANA time zone"):
        v.resolve_timezone("Nowhere/Special", "f()")
    with pytest.raises(ConfigError):
        v.resolve_timezone(3, "f()")  # type: ignore[arg-type]


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1)))
def test_as_aware_same_instant_whatever_zone_it_arrives_in(naive: dt.datetime) -> None:
    """A naive time read in Berlin and the same instant given in UTC agree."""
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    local = v.as_aware(naive, berlin, "f()", "t")
    again = v.as_aware(local.astimezone(dt.UTC), berlin, "f()", "t")
    assert again == local
    assert again.utcoffset() == local.utcoffset()


def test_as_aware_rejects_non_datetimes_and_nat() -> None:
    tz = zoneinfo.ZoneInfo("UTC")
    with pytest.raises(InvalidInputError, match=r"'t' must be a datetime\.datetime; found date"):
        v.as_aware(dt.date(2025, 1, 1), tz, "f()", "t")
    with pytest.raises(InvalidInputError, match="found NaT"):
        v.as_aware(pd.NaT, tz, "f()", "t")
    assert v.as_aware(pd.Timestamp("2025-01-01 10:00"), tz, "f()", "t").hour == 10


def test_check_unique_on_column_and_index() -> None:
    v.check_unique(pd.DataFrame({"id": [1, 2]}), "id", "f()")
    with pytest.raises(InvalidInputError, match="2 duplicated ids at rows \\['c', 'd'\\]"):
        v.check_unique(pd.DataFrame({"id": [1, 2, 1, 2]}, index=list("abcd")), "id", "f()")
    with pytest.raises(InvalidInputError, match="'index' must be unique"):
        v.check_unique(pd.DataFrame({"x": [1, 2]}, index=[5, 5]), None, "f()")


def test_check_keys() -> None:
    v.check_keys({"a": 1}, "X.from_dict()", allowed={"a", "b"}, required=["a"])
    with pytest.raises(
        ConfigError, match="'c' must be one of \\['a', 'b'\\]; found an unknown key"
    ):
        v.check_keys({"a": 1, "c": 2}, "X.from_dict()", allowed={"a", "b"})
    with pytest.raises(ConfigError, match="'b' must be present"):
        v.check_keys({"a": 1}, "X.from_dict()", allowed={"a", "b"}, required=["a", "b"])
    with pytest.raises(ConfigError, match="must be a mapping"):
        v.check_keys([1], "X.from_dict()", allowed={"a"})  # type: ignore[arg-type]


def test_first_labels_unwraps_numpy_scalars() -> None:
    labels = v.first_labels(pd.Index(np.array([10, 11, 12])), np.array([True, False, True]))
    assert labels == [10, 12]
    assert all(type(x) is int for x in labels)


def test_datetime_column_refuses_numbers() -> None:
    """Regression: numbers were read as nanoseconds since 1970 (every customer churned)."""
    with pytest.raises(SchemaError, match=r"found numbers \(dtype int64\)"):
        v.datetime_column(pd.DataFrame({"d": [20250101, 20250102]}), "d", "f()")
