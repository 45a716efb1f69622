"""The compiled UTC timeline and the bulk API: compile results, lazy extension, input and
output types of ``add_many`` / ``elapsed_many``, NaT handling, errors, and scalar == bulk."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service import BusinessCalendar
from crmkit.service._timeline import compile_timeline, engine, ensure_timeline
from tests.strategies import CALENDAR_ZONES, calendar_windows

H = dt.timedelta(hours=1)
UTC = dt.UTC
WEEK = {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def shanghai() -> BusinessCalendar:
    return BusinessCalendar("Asia/Shanghai", WEEK, holidays=["2025-10-01"])


# ------------------------------------------------------------------------------ compile
def test_compile_merges_touching_intervals_and_counts_business_time() -> None:
    cal = BusinessCalendar(
        "UTC",
        {
            "mon": [["09:00", "12:00"], ["12:00", "18:00"], ["22:00", "24:00"]],
            "tue": [["00:00", "02:00"]],
        },
    )
    timeline = compile_timeline(cal, dt.date(2025, 1, 1), dt.date(2025, 1, 16))
    mondays = [o for o in timeline.opens if o < timeline.hi]
    # Two Mondays (Jan 6, 13): 09-18 and 22:00-Tue 02:00 each, touching pieces merged.
    assert len(mondays) == 4
    lengths = [
        (c - o) // 3_600_000_000_000 for o, c in zip(timeline.opens, timeline.closes, strict=True)
    ]
    assert lengths == [9, 4, 9, 4]
    assert timeline.cum == [
        0,
        9 * 3_600_000_000_000,
        13 * 3_600_000_000_000,
        22 * 3_600_000_000_000,
    ]


def test_compile_maps_wall_intervals_through_dst() -> None:
    cal = BusinessCalendar.always_open("Australia/Lord_Howe")
    timeline = compile_timeline(cal, dt.date(2025, 4, 1), dt.date(2025, 4, 12))
    assert len(timeline.opens) == 1  # one merged stretch
    assert [p[1] for p in timeline.pieces] == [39600, 37800]  # +11:00 then +10:30


def test_timeline_is_extended_lazily_and_at_least_doubles() -> None:
    cal = shanghai()
    t = dt.datetime(2025, 1, 6, 10)
    cal.add(t, H)
    first = engine(cal).timeline
    assert first is not None
    assert first.stop - first.first < dt.timedelta(days=420)
    cal.add(t, 3000 * H)  # about 1.5 years of 8-hour days
    second = engine(cal).timeline
    assert second is not None
    assert second.stop - second.first >= 2 * (first.stop - first.first)
    assert second.first == first.first
    same = ensure_timeline(cal, second.lo, second.hi)
    assert same is second  # covered: no recompilation


def test_instants_near_the_limits_of_datetime_are_reported() -> None:
    cal = BusinessCalendar.always_open("UTC")
    with pytest.raises(InvalidInputError, match="inside the years 1 to 9999"):
        cal.add(dt.datetime(9999, 12, 30), H)
    with pytest.raises(InvalidInputError, match="inside the years 1 to 9999"):
        cal.is_open(dt.datetime(1, 1, 2))


# ------------------------------------------------------------------------------ bulk types
def test_numpy_arrays_are_utc_in_and_out() -> None:
    cal = shanghai()
    t = np.array(
        ["2025-01-03T08:00", "2025-01-03T11:00"], dtype="datetime64[s]"
    )  # 16:00, 19:00 local
    out = cal.add_many(t, np.array([3, 3], dtype="timedelta64[h]"))
    assert out.dtype == np.dtype("datetime64[ns]")
    assert out.tolist() == [
        np.datetime64("2025-01-06T02:00", "ns").item(),  # Mon 10:00 local
        np.datetime64("2025-01-06T04:00", "ns").item(),  # Mon 12:00 local (lunch follows)
    ]


def test_series_in_series_out_in_the_calendar_zone() -> None:
    cal = shanghai()
    created = pd.Series(
        pd.to_datetime(["2025-01-03 09:00", "2025-01-03 12:00"]).tz_localize("Europe/Berlin"),
        index=pd.Index(["t1", "t2"], name="ticket_id"),
        name="created_at",
    )
    before = created.copy()
    out = cal.add_many(created, pd.Series([H, 2 * H], index=created.index))
    assert str(out.dtype) == "datetime64[ns, Asia/Shanghai]"
    assert out.index.equals(created.index)
    assert out.name == "created_at"
    assert out.dt.strftime("%a %H:%M").tolist() == ["Fri 17:00", "Mon 11:00"]
    pd.testing.assert_series_equal(created, before)  # input untouched


def test_naive_series_are_read_in_the_calendar_zone() -> None:
    cal = shanghai()
    naive = pd.Series(pd.to_datetime(["2025-01-03 16:00"]))
    aware = naive.dt.tz_localize("Asia/Shanghai")
    assert cal.add_many(naive, 3 * H).equals(cal.add_many(aware, 3 * H))
    assert cal.add_many(naive, 3 * H).iloc[0] == pd.Timestamp(
        "2025-01-06 10:00", tz="Asia/Shanghai"
    )


def test_datetime_index_and_lists() -> None:
    cal = shanghai()
    index = pd.DatetimeIndex(["2025-01-03 16:00"], tz="Asia/Shanghai", name="t")
    out = cal.add_many(index, 3 * H)
    assert isinstance(out, pd.DatetimeIndex)
    assert out.name == "t"
    assert out[0] == pd.Timestamp("2025-01-06 10:00", tz="Asia/Shanghai")
    listed = cal.add_many([dt.datetime(2025, 1, 3, 16)], [3 * H])
    assert isinstance(listed, pd.Series)
    assert listed.iloc[0] == out[0]
    strings = cal.add_many(pd.Series(["2025-01-03 16:00"]), pd.Timedelta(hours=3))
    assert strings.iloc[0] == out[0]


def test_duration_forms_broadcast_and_negative() -> None:
    cal = shanghai()
    t = pd.Series(
        pd.to_datetime(["2025-01-06 10:00", "2025-01-06 10:00"]).tz_localize("Asia/Shanghai")
    )
    forms = [
        H,
        pd.Timedelta(hours=1),
        np.timedelta64(1, "h"),
        [H, H],
        np.array([60, 60], dtype="timedelta64[m]"),
        pd.to_timedelta([1, 1], unit="h"),
    ]
    results = [cal.add_many(t, d) for d in forms]
    assert all(r.equals(results[0]) for r in results)
    back = cal.add_many(t, -2 * H)
    assert back.iloc[0] == pd.Timestamp("2025-01-03 17:00", tz="Asia/Shanghai")


def test_nat_in_gives_nat_out() -> None:
    cal = shanghai()
    t = pd.Series(
        pd.to_datetime(["2025-01-03 16:00", None, "2025-01-03 16:00"]).tz_localize("Asia/Shanghai")
    )
    d = pd.Series(pd.to_timedelta(["3h", "3h", None]))
    out = cal.add_many(t, d)
    assert out.isna().tolist() == [False, True, True]
    assert cal.add_many(t.iloc[1:2], H).isna().all()
    elapsed = cal.elapsed_many(t, t + pd.Timedelta(days=3))
    assert elapsed.isna().tolist() == [False, True, False]
    array = np.array(["NaT", "2025-01-06T02:00"], dtype="datetime64[ns]")
    assert np.isnat(cal.elapsed_many(array, array)).tolist() == [True, False]
    assert np.isnat(cal.add_many(array[:1], H)).all()


def test_elapsed_many_types_and_alignment() -> None:
    cal = shanghai()
    index = pd.Index([10, 11])
    a = pd.Series(pd.to_datetime(["2025-01-03 16:00", "2025-01-06 08:00"]), index=index)
    b = pd.Series(pd.to_datetime(["2025-01-06 10:00", "2025-01-06 14:00"]), index=index)
    out = cal.elapsed_many(a, b)
    assert out.index.equals(index)
    assert out.name == "elapsed"
    assert out.tolist() == [pd.Timedelta(hours=3), pd.Timedelta(hours=4)]
    assert cal.elapsed_many(b, a).tolist() == [-pd.Timedelta(hours=3), -pd.Timedelta(hours=4)]
    numpy = cal.elapsed_many(
        a.dt.tz_localize("Asia/Shanghai").to_numpy(), b.dt.tz_localize("Asia/Shanghai").to_numpy()
    )
    assert isinstance(numpy, np.ndarray)
    assert numpy.tolist() == [3 * 3_600 * 10**9, 4 * 3_600 * 10**9]
    mixed = cal.elapsed_many(a.to_numpy(), b)  # numpy (UTC) and a naive Series (local)
    assert mixed.index.equals(index)


def test_bulk_input_errors() -> None:
    cal = shanghai()
    t = pd.Series(pd.to_datetime(["2025-01-03 16:00", "2025-01-03 17:00"]))
    with pytest.raises(InvalidInputError, match="'times' must be an array, Series or list"):
        cal.add_many(dt.datetime(2025, 1, 3), H)
    with pytest.raises(InvalidInputError, match="'durations' must be one timedelta or 2"):
        cal.add_many(t, [H, H, H])
    with pytest.raises(InvalidInputError, match="'durations' must be a timedelta, or an array"):
        cal.add_many(t, np.array([1, 2]))
    with pytest.raises(InvalidInputError, match="'durations' must be a timedelta, or an array"):
        cal.add_many(t, [1, 2])
    with pytest.raises(InvalidInputError, match="'durations' must be a timedelta, or an array"):
        cal.add_many(t, "3h")
    with pytest.raises(InvalidInputError, match="all naive or all timezone-aware"):
        cal.add_many([dt.datetime(2025, 1, 3), dt.datetime(2025, 1, 3, tzinfo=UTC)], H)
    with pytest.raises(InvalidInputError, match="'ends' must be as long as 'starts'"):
        cal.elapsed_many(t, t.iloc[:1])
    with pytest.raises(InvalidInputError, match="same index as 'starts'"):
        cal.elapsed_many(t, t.set_axis([5, 6]))


def test_bulk_horizon_error_names_the_rows() -> None:
    cal = BusinessCalendar(
        "UTC", {}, overrides={"2025-01-06": [["09:00", "10:00"]]}, horizon_days=60
    )
    t = pd.Series(pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01"]), index=["a", "b", "c"])
    d = pd.Series([H / 2, 2 * H, 3 * H], index=t.index)
    with pytest.raises(ConfigError, match=r"at rows \['b', 'c'\]") as info:
        cal.add_many(t, d)
    assert info.value.field == "horizon_days"
    with pytest.raises(ConfigError, match=r"at rows \[1\]"):
        cal.add_many(t.to_numpy()[:2], np.array([0, 61 * 24 * 3600], dtype="timedelta64[s]"))
    with pytest.raises(ConfigError, match=r"at rows \['a', 'b', 'c'\]"):
        cal.add_many(t, -d)  # no business hours before 2025-01-06 at all


# ------------------------------------------------------------------------------ scalar == bulk
def _scalar_or_error(call: object) -> object:
    try:
        return call()  # type: ignore[operator]
    except ConfigError:
        return ConfigError


@given(calendar_windows(), st.data())
def test_bulk_equals_scalar(
    case: tuple[dict[str, object], dt.datetime], data: st.DataObject
) -> None:
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    zone = zoneinfo.ZoneInfo(str(raw["timezone"]))
    n = data.draw(st.integers(1, 8))
    offsets = data.draw(st.lists(st.integers(-5 * 86_400, 5 * 86_400), min_size=n, max_size=n))
    spans = data.draw(st.lists(st.integers(-2 * 86_400, 2 * 86_400), min_size=n, max_size=n))
    starts = [base + dt.timedelta(seconds=s) for s in offsets]
    durations = [dt.timedelta(seconds=s) for s in spans]
    expected = [
        _scalar_or_error(lambda t=t, d=d: cal.add(t, d))
        for t, d in zip(starts, durations, strict=True)
    ]
    utc_ns = np.array([int(t.timestamp()) * 10**9 for t in starts], dtype=np.int64).view(
        "datetime64[ns]"
    )
    deltas = np.array(spans, dtype="timedelta64[s]")
    other = zoneinfo.ZoneInfo(data.draw(st.sampled_from(CALENDAR_ZONES)))
    aware = pd.Series(pd.DatetimeIndex(utc_ns).tz_localize("UTC").tz_convert(other))
    if ConfigError in expected:
        with pytest.raises(ConfigError):
            cal.add_many(utc_ns, deltas)
        return
    want = [int(t.timestamp() * 10**9) for t in expected]  # type: ignore[attr-defined]
    assert cal.add_many(utc_ns, deltas).view(np.int64).tolist() == want
    got = cal.add_many(aware, pd.Series(pd.to_timedelta(spans, unit="s")))
    assert got.dt.tz == zone or str(got.dt.tz) == str(zone)
    assert [t.value for t in got] == want
    ends = [base + dt.timedelta(seconds=s) for s in spans]
    end_ns = np.array([int(t.timestamp()) * 10**9 for t in ends], dtype=np.int64).view(
        "datetime64[ns]"
    )
    elapsed = cal.elapsed_many(utc_ns, end_ns)
    assert elapsed.view(np.int64).tolist() == [
        cal.elapsed(a, b) // dt.timedelta(microseconds=1) * 1000
        for a, b in zip(starts, ends, strict=True)
    ]


@given(
    st.sampled_from(CALENDAR_ZONES),
    st.sampled_from(
        [
            dt.datetime(2025, 3, 9),
            dt.datetime(2025, 3, 30),
            dt.datetime(2025, 4, 6),
            dt.datetime(2025, 10, 5),
            dt.datetime(2025, 10, 26),
            dt.datetime(2025, 11, 2),
        ]
    ),
    st.lists(st.integers(-6 * 3600, 30 * 3600), min_size=1, max_size=10),
)
def test_naive_bulk_reads_like_scalar_fold_0(
    zone: str, day: dt.datetime, seconds: list[int]
) -> None:
    cal = BusinessCalendar.always_open(zone)
    walls = [day + dt.timedelta(seconds=s) for s in seconds]
    out = cal.add_many(pd.Series(walls), dt.timedelta(0))
    expected = [w.replace(tzinfo=zoneinfo.ZoneInfo(zone)).timestamp() for w in walls]
    assert [t.timestamp() for t in out] == expected


def test_nanoseconds_are_kept_in_bulk() -> None:
    cal = BusinessCalendar.always_open("UTC")
    t = np.array(["2025-01-06T10:00:00.000000001"], dtype="datetime64[ns]")
    assert cal.add_many(t, H)[0] == np.datetime64("2025-01-06T11:00:00.000000001")
    assert cal.elapsed_many(t, t + np.timedelta64(7, "ns"))[0] == np.timedelta64(7, "ns")


@given(calendar_windows(), st.lists(st.integers(-(10**16), 10**16), max_size=50))
def test_bucket_search_equals_numpy_searchsorted(
    case: tuple[dict[str, object], dt.datetime], extra: list[int]
) -> None:
    raw, base = case
    cal = BusinessCalendar.from_dict(raw)
    timeline = compile_timeline(
        cal, base.date() - dt.timedelta(days=20), base.date() + dt.timedelta(days=20)
    )
    opens, _, cum, cumend = timeline.arrays
    for name, values in (("opens", opens), ("cum", cum), ("cumend", cumend)):
        middle = int(values[len(values) // 2]) if len(values) else 0
        queries = np.concatenate(
            [values, values - 1, values + 1, middle + np.array(extra, dtype=np.int64)]
        ).astype(np.int64)
        for side in ("left", "right"):
            got = timeline.search(name, queries, side)
            assert got.tolist() == np.searchsorted(values, queries, side=side).tolist()


def test_dask_series_are_processed_per_partition() -> None:
    dd = pytest.importorskip("dask.dataframe")
    cal = shanghai()
    created = pd.Series(
        pd.date_range("2025-09-26 08:00", periods=40, freq="7h", tz="Asia/Shanghai"), name="created"
    )
    replied = created + pd.Timedelta(hours=30)
    lazy_t = dd.from_pandas(created, npartitions=3)
    lazy_r = dd.from_pandas(replied, npartitions=3)
    due = cal.add_many(lazy_t, 4 * H).compute()
    pd.testing.assert_series_equal(due, cal.add_many(created, 4 * H))
    rows = dd.from_pandas(pd.Series([4 * H] * 40), npartitions=3)
    pd.testing.assert_series_equal(cal.add_many(lazy_t, rows).compute(), due)
    spent = cal.elapsed_many(lazy_t, lazy_r).compute()
    pd.testing.assert_series_equal(spent, cal.elapsed_many(created, replied))


def test_the_calendar_holds_no_hidden_state() -> None:
    """The engine lives beside the frozen value (crmkit._spec.derived), not inside it."""
    cal = shanghai()
    cal.add(dt.datetime(2025, 1, 6, 10), H)
    assert not hasattr(cal, "_cache")
    assert engine(cal).timeline is not None
    assert engine(cal) is engine(cal)
    assert (
        engine(BusinessCalendar.from_dict(cal.to_dict())).timeline is None
    )  # an equal value, its own engine
