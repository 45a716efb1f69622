"""Shared input checks in crmkit._validate: each check, its message and its non-mutation."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from crmkit import _validate as v
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError
from tests.strategies import examples, raw_cells


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
    """A naive time read in Berlin and the same instant given in UTC agree.

    Only for wall times that exist once in Berlin: one that a daylight-saving change
    skips (2000-03-26 02:00) is no instant to arrive at (found by a 300-example run).
    """
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assume(v.exists_once(naive, berlin))
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


# --------------------------------------------------------------------------- issue 10: dates


def _read(values: object, **options: object) -> pd.Series:
    frame = values if isinstance(values, pd.DataFrame) else pd.DataFrame({"d": values})
    return v.datetime_column(frame, "d", "f()", **options)  # type: ignore[arg-type]


def test_day_month_column_that_reads_one_way_is_still_refused_without_a_format() -> None:
    """Regression: 01/02/2025 and 13/02/2025 were read month first and day first (exit 0)."""
    frame = pd.DataFrame({"d": ["01/02/2025", "13/02/2025"]})
    with pytest.raises(SchemaError) as info:
        _read(frame)
    assert "which read only day first" in str(info.value)
    assert "date_format='%d/%m/%Y'" in str(info.value)
    assert info.value.rows == (0, 1)
    out = _read(frame, date_format="%d/%m/%Y")
    assert list(out) == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-02-13")]


def test_ambiguous_day_month_column_shows_two_examples_and_both_readings() -> None:
    with pytest.raises(SchemaError) as info:
        _read(["01/02/2025", "05/05/2025", "03/04/2025 "])
    text = str(info.value)
    assert "found 3 dates that read two ways" in text
    assert "'01/02/2025' is 1 February 2025 day first or 2 January 2025 month first" in text
    assert "'03/04/2025' is 3 April 2025 or 4 March 2025" in text
    assert "date_format='%d/%m/%Y' (day first) or date_format='%m/%d/%Y' (month first)" in text
    month_first = _read(["01/02/2025", "03/04/2025"], date_format="%m/%d/%Y")
    assert list(month_first) == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-03-04")]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        (["2025-01-02", "02/01/2025"], "mixed formats: 1 value such as '02/01/2025' besides ISO"),
        (["13/02/2025", "02/13/2025"], "day first and month first mixed"),
        (["01/02/2025", "01.02.2025"], "mixed formats"),
        (["2025-01-02", "1735689600"], "not dates"),
    ],
)
def test_mixed_date_formats_are_refused(values: list[str], fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment.replace(".", r"\.").replace("(", r"\(")):
        _read(values)


def test_explicit_format_refuses_values_in_another_format() -> None:
    with pytest.raises(SchemaError) as info:
        _read(["31.01.2025", "2025-02-01"], date_format="%d.%m.%Y")
    assert "mixed formats: 1 values in ISO 8601" in str(info.value) or "ISO 8601" in str(info.value)
    assert info.value.rows == (1,)
    with pytest.raises(ConfigError, match="date_format"):
        _read(["2025-01-01"], date_format="%Q")
    with pytest.raises(ConfigError, match="never guesses"):
        _read(["2025-01-01"], date_format="mixed")


def test_iso_strings_read_exactly_with_and_without_offsets() -> None:
    out = _read(["2025-01-02T10:00+01:00", "2025-07-02T10:00Z"])
    assert list(out) == [
        pd.Timestamp("2025-01-02 09:00", tz="UTC"),
        pd.Timestamp("2025-07-02 10:00", tz="UTC"),
    ]
    with pytest.raises(InvalidInputError, match="all naive or all timezone-aware") as info:
        _read(["2025-01-02T10:00+01:00", "2025-01-02 10:00", "2025-01-03"])
    assert info.value.rows == (0,)


EPOCH_SECONDS = [1_735_689_600, 1_735_776_000]  # 2025-01-01 and 2025-01-02, UTC


def _epoch_variants(scale: int) -> list[pd.Series]:
    ints = [x * scale for x in EPOCH_SECONDS]
    return [
        pd.Series(ints, dtype="int64"),
        pd.Series(ints, dtype="Int64"),
        pd.Series(ints, dtype="int64[pyarrow]"),
        pd.Series(ints, dtype=object),
        pd.Series([float(x) for x in ints]) if scale <= 1000 else pd.Series(ints, dtype="uint64"),
        pd.Series([str(x) for x in ints]),
    ]


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize(("unit", "scale"), [("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9)])
def test_epoch_numbers_in_every_dtype_need_a_unit(index: int, unit: str, scale: int) -> None:
    """Regression: epoch seconds in an object column were read as nanoseconds (1970)."""
    series = _epoch_variants(scale)[index]
    with pytest.raises(SchemaError, match="date_unit='s'") as info:
        _read(series)
    assert "found numbers" in str(info.value)
    out = _read(series, date_unit=unit)
    assert list(out) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-02")]
    aware = _read(series, date_unit=unit, tz="Asia/Shanghai")
    assert aware.iloc[0] == pd.Timestamp("2025-01-01 08:00", tz="Asia/Shanghai")


def test_yyyymmdd_numbers_hint_at_date_format_not_epoch_seconds() -> None:
    """Regression: the hint for 20250131 suggested unit='s' (which reads 1970-08-23)."""
    with pytest.raises(SchemaError) as info:
        _read([20250131, 20250201])
    assert str(info.value).index("date_format='%Y%m%d'") < str(info.value).index("date_unit")
    for dtype in ["int64", "Int64", "int64[pyarrow]", object, "float64"]:
        out = _read(pd.Series([20250131, 20250201], dtype=dtype), date_format="%Y%m%d")
        assert list(out) == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-01")]
    with pytest.raises(SchemaError, match="do not match") as info:
        _read([20250131, 20251341], date_format="%Y%m%d")
    assert info.value.rows == (1,)
    with pytest.raises(ConfigError, match="date_unit"):
        _read([20250131], date_format="%Y%m%d", date_unit="s")
    with pytest.raises(
        ConfigError, match=r"one of \['s', 'ms', 'us', 'ns', 'excel'\] or None; found"
    ):
        _read([1], date_unit="days")


@pytest.mark.parametrize("dtype", ["int64", "Int64", "int64[pyarrow]", object, "float64", str])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_yyyymmdd_numbers_are_wall_clock_days_in_the_zone(dtype: object, zone: str) -> None:
    """Regression: 20250131 read with date_format='%Y%m%d' and a zone was taken as UTC
    midnight and converted, so New York got 2025-01-30 19:00 (the wrong day) and Shanghai
    2025-01-31 08:00, while the same value written as text gave local midnight."""
    out = _read(pd.Series([20250131, 20250201], dtype=dtype), date_format="%Y%m%d", tz=zone)
    assert list(out) == [pd.Timestamp("2025-01-31", tz=zone), pd.Timestamp("2025-02-01", tz=zone)]


class TestExcelSerials:
    """``date_unit="excel"``: Excel's day numbers (1900 date system), wall-clock.

    Reference values: Excel's DATEVALUE("2025-01-01") = 45658, DATEVALUE("1900-03-01") =
    61 (serial 60 is Excel's fictitious 29 February 1900), TIME(13,0,0) = 0.541666...;
    25569 = DATEVALUE("1970-01-01") (Microsoft, "DATEVALUE function").
    """

    @pytest.mark.parametrize("dtype", ["int64", "float64", object, "Int64", str])
    def test_days(self, dtype: object) -> None:
        values: list[object] = [45658, 25569, 61]
        if dtype is str:
            values = [str(v) for v in values]
        out = _read(pd.Series(values, dtype=dtype), date_unit="excel")
        assert list(out) == [pd.Timestamp(e) for e in ("2025-01-01", "1970-01-01", "1900-03-01")]

    def test_time_of_day_is_the_fraction(self) -> None:
        out = _read(pd.Series([45658.5416666667, 45658.75]), date_unit="excel")
        assert list(out) == [pd.Timestamp("2025-01-01 13:00"), pd.Timestamp("2025-01-01 18:00")]

    def test_wall_clock_in_the_zone_not_utc(self) -> None:
        out = _read(pd.Series([45658.5]), date_unit="excel", tz="Asia/Shanghai")
        assert out.iloc[0] == pd.Timestamp("2025-01-01 12:00", tz="Asia/Shanghai")

    def test_fraction_rounds_to_the_millisecond(self) -> None:
        out = _read(pd.Series([45658 + 1 / 3]), date_unit="excel")
        assert out.iloc[0] == pd.Timestamp("2025-01-01 08:00")

    def test_before_march_1900_refused_with_the_rows(self) -> None:
        with pytest.raises(InvalidInputError, match="Excel day numbers from 61") as info:
            _read(pd.Series([45658, 60, 1]), date_unit="excel")
        assert info.value.rows == (1, 2)
        assert "1462" in str(info.value)

    def test_serials_without_a_unit_hint_at_excel(self) -> None:
        with pytest.raises(SchemaError, match="date_unit='excel'"):
            _read(pd.Series([45658, 45700]))

    @given(st.integers(min_value=61, max_value=132_219))
    def test_round_trip_with_excel_serial(self, serial: int) -> None:
        day = _read(pd.Series([serial]), date_unit="excel").iloc[0]
        assert (day - pd.Timestamp("1899-12-30")).days == serial


def test_fractional_epoch_seconds_keep_their_fraction() -> None:
    out = _read([1_735_689_600.25], date_unit="s")
    assert out.iloc[0] == pd.Timestamp("2025-01-01 00:00:00.25")


def test_epoch_numbers_outside_the_range_are_refused_not_overflowing() -> None:
    with pytest.raises(InvalidInputError, match="outside it when read as 's'") as info:
        _read([1_735_689_600_000, 0], date_unit="s")  # milliseconds read as seconds
    assert info.value.rows == (0,)


def test_arrow_and_numpy_timestamps_of_every_unit_read_alike() -> None:
    """Regression: Arrow-backed timestamps raised ArrowInvalid / AttributeError downstream."""
    import pyarrow as pa

    plain = pd.Series(pd.to_datetime(["2025-01-01 09:00", "2025-06-01 10:30"]))
    berlin = plain.dt.tz_localize("Europe/Berlin")
    for unit in ("s", "ms", "us", "ns"):
        naive = plain.astype(pd.ArrowDtype(pa.timestamp(unit)))
        aware = berlin.astype(pd.ArrowDtype(pa.timestamp(unit, tz="Europe/Berlin")))
        assert list(_read(naive)) == list(plain)
        assert _read(naive).dt.unit == unit
        assert list(_read(aware)) == list(berlin)
        assert list(_read(plain.dt.as_unit(unit))) == list(plain)
        assert _read(plain.dt.as_unit(unit)).dt.unit == unit
        shanghai = _read(aware, tz="Asia/Shanghai")
        assert list(shanghai) == list(berlin.dt.tz_convert("Asia/Shanghai"))
    days = pd.Series([dt.date(2025, 1, 1)], dtype=pd.ArrowDtype(pa.date32()))
    assert list(_read(days)) == [pd.Timestamp("2025-01-01")]
    text = pd.Series(["2025-01-01"], dtype=pd.ArrowDtype(pa.string()))
    assert list(_read(text)) == [pd.Timestamp("2025-01-01")]


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
@pytest.mark.parametrize("year", [1, 9999])
def test_dates_outside_the_range_are_refused_in_every_unit(unit: str, year: int) -> None:
    """Regression: years 1 and 9999 in datetime64[us] raised OutOfBoundsDatetime downstream."""
    stamps = np.array([f"{year:04d}-06-01", "2025-01-01"], dtype=f"datetime64[{unit}]")
    variants = [
        pd.Series(stamps),
        pd.Series(stamps).dt.tz_localize("UTC"),
        pd.Series([f"{year:04d}-06-01", "2025-01-01"]),
        pd.Series([dt.datetime(year, 6, 1), dt.datetime(2025, 1, 1)], dtype=object),
    ]
    for series in variants:
        with pytest.raises(InvalidInputError, match="between 1678-01-01 and 2261-12-31") as info:
            _read(series)
        assert info.value.rows == (0,)


def test_text_python_reads_but_pandas_does_not_is_not_called_out_of_range() -> None:
    """Regression: ``2023-07-30+08:00`` (an offset without a time) was "outside 1678-2261".

    Python's ``fromisoformat`` reads it, pandas does not; only text Python reads as a date
    beyond the years pandas holds is out of range. Anything else is not ISO 8601.
    """
    with pytest.raises(SchemaError, match="not dates") as info:
        _read(pd.DataFrame({"d": ["2023-07-30+08:00", "2023-07-31+08:00"]}, index=[4, 5]))
    assert info.value.rows == (4, 5)
    assert "2023-07-30+08:00" in str(info.value)
    with pytest.raises(InvalidInputError, match="between 1678-01-01 and 2261-12-31") as far:
        _read(pd.DataFrame({"d": ["0001-01-01T00:00+08:00", "2023-07-31T00:00+08:00"]}))
    assert far.value.rows == (0,)


def test_the_range_edges_are_read() -> None:
    out = _read(["1678-01-01", "2261-12-31T23:59:59"], tz="Pacific/Kiritimati")
    assert out.iloc[1].year == 2261


def test_wall_times_that_dst_skips_or_repeats_are_named() -> None:
    with pytest.raises(InvalidInputError, match="skips or repeats") as info:
        _read(
            pd.DataFrame({"d": ["2025-03-30 01:30", "2025-03-30 02:30"]}, index=[7, 8]),
            tz="Europe/Berlin",
        )
    assert info.value.rows == (8,)


def test_categorical_booleans_timedeltas_and_mixed_objects() -> None:
    cats = pd.Series(["2025-01-02", "2025-01-01", "2025-01-02"], dtype="category")
    assert list(_read(cats)) == list(_read(cats.astype(str)))
    with pytest.raises(SchemaError, match="booleans"):
        _read([True, False])
    with pytest.raises(SchemaError, match="Timedelta values"):
        _read(pd.Series([pd.Timedelta(1)], dtype=object))
    with pytest.raises(SchemaError, match="1 int at rows \\[1\\]"):
        _read(pd.Series(["2025-01-01", 5], dtype=object))


def test_duplicated_column_names_are_a_schema_error() -> None:
    frame = pd.DataFrame([["2025-01-01", "2025-01-02"]], columns=["d", "d"])
    with pytest.raises(SchemaError, match="2 columns with that name"):
        v.datetime_column(frame, "d", "f()")


def test_datetime_column_never_modifies_the_frame() -> None:
    frame = pd.DataFrame({"d": ["2025-01-02 ", "2025-01-03"], "x": [1, 2]})
    before = frame.copy()
    _read(frame, tz="UTC")
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (dt.datetime(9999, 1, 1), "between 1678-01-01 and 2261-12-31"),
        (np.datetime64("99999-01-01"), "between 1678-01-01 and 2261-12-31"),
        (dt.date(1, 1, 1), "between 1678-01-01 and 2261-12-31"),
        ("9999-12-31", "between 1678-01-01 and 2261-12-31"),
        (1_735_689_600, "Numbers are not read as dates"),
        (None, "found None"),
        (pd.NaT, "found NaT"),
        ("01/02/2025", "ISO 8601"),
        ([2025, 1, 1], "found list"),
    ],
)
def test_datetime_value_refuses_with_a_crmkit_error(value: object, fragment: str) -> None:
    """Regression: as_of in year 9999 raised OverflowError."""
    with pytest.raises(ConfigError, match=fragment) as info:
        v.datetime_value(value, "summarize()", "as_of")
    assert info.value.field == "as_of"


def test_datetime_value_reads_like_datetime_column() -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert v.datetime_value("2025-01-31T09:00", "f()", "as_of") == pd.Timestamp("2025-01-31 09:00")
    local = v.datetime_value(dt.datetime(2025, 1, 31, 9), "f()", "as_of", tz=berlin)
    assert local == pd.Timestamp("2025-01-31 09:00", tz=berlin)
    assert local.unit == "ns"
    assert v.datetime_value("31.01.2025", "f()", "as_of", date_format="%d.%m.%Y").day == 31
    with pytest.raises(InvalidInputError, match="exists exactly once"):
        v.datetime_value(
            "2025-03-30 02:30", "f()", "at", tz="Europe/Berlin", error=InvalidInputError
        )


# --------------------------------------------------------------------------- issue 10: numbers


def test_one_junk_value_is_counted_and_named_alone() -> None:
    """Regression: one junk value among 49 was reported as 49 non-numeric values."""
    values = [str(i) for i in range(48)] + ["12,5"]
    frame = pd.DataFrame({"m": values}, index=range(2, 51))  # file line numbers
    with pytest.raises(SchemaError) as info:
        v.numeric_column(frame, "m", "crmkit rfm")
    assert info.value.rows == (50,)
    assert info.value.total == 1
    assert "found 1 non-numeric value (dtype str), '12,5' at rows [50]" in str(info.value)


def test_non_numeric_objects_are_named_with_their_values() -> None:
    frame = pd.DataFrame({"m": [1, "x", True, 2.5], "secret": ["a", "b", "c", "d"]})
    with pytest.raises(SchemaError) as info:
        v.numeric_column(frame, "m", "f()")
    assert info.value.rows == (1, 2)
    assert "'x', 'True'" in str(info.value)
    assert "secret" not in str(info.value)
    assert "'b'" not in str(info.value)


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([1, 2, 3], dtype="Int64"),
        pd.Series([1.0, 2.0, 3.0], dtype="Float64"),
        pd.Series([1, 2, 3], dtype="int64[pyarrow]"),
        pd.Series([1.0, 2.0, 3.0], dtype="double[pyarrow]"),
        pd.Series([1, 2, 3], dtype="uint8"),
        pd.Series([1, 2, 3], dtype=object),
        pd.Series([Decimal("1"), 2, 3.0], dtype=object),
        pd.Series([1.0, 2.0, 3.0], dtype="category"),
    ],
    ids=str,
)
def test_numbers_in_every_dtype_read_alike(series: pd.Series) -> None:
    out = v.numeric_column(pd.DataFrame({"m": series}), "m", "f()")
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    assert out.dtype == np.float64


@pytest.mark.parametrize(
    ("series", "fragment"),
    [
        (pd.Series([1, None], dtype="Int64"), "1 missing values at rows [1]"),
        (pd.Series([1.0, None], dtype="double[pyarrow]"), "1 missing values at rows [1]"),
        (pd.Series([0.0, 1.0], dtype="Float64") / 0, "1 missing values at rows [0]"),
        (pd.Series([1, None], dtype=object), "1 missing values at rows [1]"),
        (pd.Series([1.0, -np.inf], dtype="double[pyarrow]"), "1 infinite values at rows [1]"),
        (pd.Series(pd.to_datetime(["2025-01-01"])), "1 non-numeric value (dtype datetime64"),
        (pd.Series([True], dtype="boolean"), "1 non-numeric value (dtype boolean)"),
    ],
    ids=str,
)
def test_numeric_column_names_missing_and_odd_values(series: pd.Series, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        v.numeric_column(pd.DataFrame({"m": series}), "m", "f()")
    assert fragment in str(info.value)


def test_require_finite_result_names_the_input_column_and_result_labels() -> None:
    v.require_finite_result([1.0, 2.0], "f()", "amount")
    with np.errstate(over="ignore"):
        totals = np.array([1e308, 1e308, 1.0]).reshape(3) * np.array([2.0, 1.0, 1.0])
    with pytest.raises(InvalidInputError) as info:
        v.require_finite_result(totals, "f()", "amount", labels=pd.Index(["a", "b", "c"]))
    assert info.value.field == "amount"
    assert info.value.rows == ("a",)
    assert "must be small enough that totals stay finite" in str(info.value)
    with pytest.raises(InvalidInputError, match="1 shares that overflow"):
        v.require_finite_result(np.nan, "f()", "amount", what="shares")


def test_ambiguity_examples_are_two_different_values() -> None:
    with pytest.raises(SchemaError) as info:
        _read(["01/02/2025", "01/02/2025", "05/05/2025", "03/04/2025"])
    text = str(info.value)
    assert text.count("'01/02/2025'") == 1
    assert "'03/04/2025' is 3 April 2025 or 4 March 2025" in text
    with pytest.raises(SchemaError) as info:
        _read(["05/05/2025", "05/05/2025"])
    assert "'05/05/2025' is 5 May 2025 day first or 5 May 2025 month first" in str(info.value)


# --------------------------------------------------------------------------- properties


@settings(max_examples=examples(300), deadline=None)
@given(
    cells=st.lists(raw_cells, min_size=1, max_size=6),
    date_format=st.sampled_from([None, "%d/%m/%Y", "%Y%m%d", "ISO8601", "%Y-%m-%dT%H:%M%z"]),
    date_unit=st.sampled_from([None, "s", "ms", "ns"]),
    tz=st.sampled_from([None, "UTC", "Europe/Berlin"]),
)
def test_the_date_reader_answers_any_cells_with_dates_or_a_crmkit_error(
    cells: list[object], date_format: str | None, date_unit: str | None, tz: str | None
) -> None:
    """Never an exception (or warning) from inside pandas/numpy; accepted dates are in range."""
    frame = pd.DataFrame({"d": pd.Series(cells, dtype=object)})
    try:
        out = v.datetime_column(
            frame, "d", "f()", date_format=date_format, date_unit=date_unit, tz=tz
        )
    except CrmkitError:
        return
    assert len(out) == len(cells)
    assert out.notna().all()
    utc = out.dt.tz_convert(None) if isinstance(out.dtype, pd.DatetimeTZDtype) else out
    assert (utc >= pd.Timestamp("1677-09-22")).all()
    assert (utc < pd.Timestamp("2262-04-11")).all()


@settings(max_examples=examples(300), deadline=None)
@given(cells=st.lists(raw_cells, min_size=1, max_size=6))
def test_the_number_reader_answers_any_cells_with_finite_floats_or_a_crmkit_error(
    cells: list[object],
) -> None:
    """Any object column: finite float64 values, or a crmkit error."""
    frame = pd.DataFrame({"m": pd.Series(cells, dtype=object)})
    try:
        out = v.numeric_column(frame, "m", "f()")
    except CrmkitError:
        return
    assert out.dtype == np.float64
    assert np.isfinite(out).all()


@pytest.mark.parametrize(
    "value",
    [
        "2025-01-31",
        " 2025-01-31T09:30 ",
        "2025-01-31T09:30+01:00",
        "20250131",
        "1900-01-01T00:00+00:53:28",  # an offset with seconds (local mean time)
        dt.datetime(2025, 1, 31, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
        dt.date(2025, 1, 31),
        np.datetime64("2025-01-31T09:30"),
    ],
)
@pytest.mark.parametrize("tz", [None, "Europe/Berlin"])
def test_datetime_value_is_the_column_reader_on_one_row(value: object, tz: str | None) -> None:
    """One date path: a value reads as the same instant as a one-row column of it.

    Regression: ``datetime_value`` had its own parser and refused ISO strings whose
    offset has seconds (``+00:53:28``), which ``datetime_column`` reads.
    """
    got = v.datetime_value(value, "f()", "as_of", tz=tz)
    column = v.datetime_column(
        pd.DataFrame({"d": [value]}), "d", "f()", tz=tz, date_format="ISO8601"
    )
    assert got == column.iloc[0]
    assert got.unit == "ns"
    assert (got.tzinfo is None) == (column.dt.tz is None)


def test_dates_written_with_one_offset_keep_it() -> None:
    """Regression: +08:00 text was read as UTC, so 07:00 on 3 January counted on 2 January
    (the command line, which reads text, disagreed with summarize on typed dates)."""
    from crmkit._validate import datetime_column
    from crmkit.segmentation import summarize

    text = ["2025-01-02T10:00+08:00", "2025-01-03T07:00+0800", "2025-01-03T06:30+08"]
    read = datetime_column(pd.DataFrame({"d": text}), "d", "f()")
    assert str(read.dt.tz) == "UTC+08:00"
    assert [t.day for t in read] == [2, 3, 3]
    tx = pd.DataFrame({"customer_id": [1, 1, 1], "date": text, "amount": [10.0, 5.0, 1.0]})
    typed = tx.assign(date=pd.to_datetime(tx["date"], format="ISO8601"))
    s_text, s_typed = summarize(tx, as_of="2025-01-10"), summarize(typed, as_of="2025-01-10")
    assert s_text["frequency"].tolist() == s_typed["frequency"].tolist() == [2]
    assert s_text["recency_days"].tolist() == s_typed["recency_days"].tolist() == [7]
    # Several offsets have no one clock: UTC instants, as before.
    mixed = datetime_column(
        pd.DataFrame({"d": ["2025-01-02T10:00+08:00", "2025-01-02T02:00Z"]}), "d", "f()"
    )
    assert str(mixed.dt.tz) == "UTC"
    assert mixed.iloc[0] == mixed.iloc[1]


@given(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)),
    st.sampled_from(["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "UTC"]),
)
@example(dt.datetime(2025, 3, 30, 2, 30), "Europe/Berlin")  # skipped
@example(dt.datetime(2025, 10, 26, 2, 30), "Europe/Berlin")  # repeated
@example(dt.datetime(2024, 9, 8, 0, 30), "America/Santiago")  # midnight skipped
@example(dt.datetime(2025, 4, 6, 1, 45), "Australia/Lord_Howe")  # half an hour repeated
def test_exists_once_agrees_with_pandas_localize(naive: dt.datetime, name: str) -> None:
    """A wall time exists once exactly when pandas localizes it without raising."""
    zone = zoneinfo.ZoneInfo(name)
    try:
        pd.Timestamp(naive).tz_localize(zone, ambiguous="raise", nonexistent="raise")
        pandas_once = True
    except (ValueError, OverflowError):
        pandas_once = False
    assert v.exists_once(naive, zone) is pandas_once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025/6/1 9:05", "2025-06-01 09:05:00"),
        ("2025/06/30", "2025-06-30 00:00:00"),
        ("2025.6.1", "2025-06-01 00:00:00"),
        ("2025-6-1", "2025-06-01 00:00:00"),
    ],
)
def test_year_first_dates_with_other_separators_read_year_month_day(
    text: str, expected: str
) -> None:
    """The input-data how-to's table: year-first text with ``/``, ``.`` or unpadded fields
    (how Excel writes dates in China) has one reading, year, month, day."""
    frame = pd.DataFrame({"date": [text]})
    read = v.datetime_column(frame, "date", "t()")
    assert str(read.iloc[0]) == expected


def test_day_first_text_is_still_refused() -> None:
    """...while a leading day or month has two readings and needs ``date_format``."""
    frame = pd.DataFrame({"date": ["1/6/2025 9:05"]})
    with pytest.raises(InvalidInputError, match="date_format"):
        v.datetime_column(frame, "date", "t()")
