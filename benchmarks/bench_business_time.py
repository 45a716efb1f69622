"""Business-time arithmetic: crmkit's BusinessCalendar against pandas CustomBusinessHour.

Same calendar for both: Europe/Berlin, Monday to Friday 09:00-18:00 (and a 09:00-12:00 +
13:00-18:00 variant), six 2024 holidays; random instants in 2024; +3 business hours.

Every case runs in a fresh subprocess, which reports its CPU time (best of a few runs;
CPU rather than wall time because the machine is shared and every case is single-threaded)
and its peak resident set size (``ru_maxrss``). pandas is timed on a sample (it loops in Python per element) and
reported per element; crmkit's bulk path runs on 1,000,000 instants. The run also checks
that both land on the same business position (``elapsed(ours, theirs) == 0``) on the sample.

Business days: ``add_days_many`` / ``business_days_between_many`` against
``numpy.busday_offset`` / ``numpy.busday_count`` on the same 1,000,000 dates, weekmask and
holidays.

Run: ``.venv/bin/python benchmarks/bench_business_time.py`` (a few minutes), or one case:
``.venv/bin/python benchmarks/bench_business_time.py --case "<case>" 9-18``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import resource
import subprocess
import sys
import time
import timeit
import warnings
import zoneinfo
from collections.abc import Callable

import numpy as np
import pandas as pd

from crmkit.service import BusinessCalendar

ZONE = "Europe/Berlin"
HOLIDAYS = ["2024-01-01", "2024-03-29", "2024-04-01", "2024-05-01", "2024-12-25", "2024-12-26"]
SCHEDULES = {
    "9-18": [["09:00", "18:00"]],
    "9-12+13-18": [["09:00", "12:00"], ["13:00", "18:00"]],
}
N_BULK = 1_000_000
N_PANDAS = 10_000
N_SCALAR = 200_000


def calendar(schedule: str) -> BusinessCalendar:
    hours = SCHEDULES[schedule]
    weekly = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), hours)
    return BusinessCalendar(ZONE, weekly, holidays=HOLIDAYS)


def instants(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    seconds = rng.integers(0, 366 * 86_400, n) + start
    return (seconds * 10**9).astype("datetime64[ns]")  # UTC instants


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best CPU time of ``repeat`` runs (CPU, not wall: the machine is shared, and every
    case here is single-threaded, so CPU time is what the code costs)."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


# ---------------------------------------------------------------------------------- cases
def case_crmkit_add_many(schedule: str) -> dict[str, object]:
    cal = calendar(schedule)
    t = instants(N_BULK)
    cal.add_many(t[:10], dt.timedelta(hours=3))  # compile the 2024 timeline once
    seconds = best_of(lambda: cal.add_many(t, dt.timedelta(hours=3)))
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6}


def case_crmkit_add_many_rows(schedule: str) -> dict[str, object]:
    cal = calendar(schedule)
    t = instants(N_BULK)
    rng = np.random.default_rng(1)
    d = (rng.integers(0, 40 * 3600, N_BULK) * 10**9).astype("timedelta64[ns]")
    cal.add_many(t[:10], d[:10])
    seconds = best_of(lambda: cal.add_many(t, d))
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6}


def case_crmkit_add_many_series(schedule: str) -> dict[str, object]:
    cal = calendar(schedule)
    t = pd.Series(pd.DatetimeIndex(instants(N_BULK)).tz_localize("UTC").tz_convert(ZONE))
    cal.add_many(t.iloc[:10], dt.timedelta(hours=3))
    seconds = best_of(lambda: cal.add_many(t, dt.timedelta(hours=3)))
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6}


def case_crmkit_elapsed_many(schedule: str) -> dict[str, object]:
    cal = calendar(schedule)
    a, b = instants(N_BULK, 0), instants(N_BULK, 1)
    cal.elapsed_many(a[:10], b[:10])
    seconds = best_of(lambda: cal.elapsed_many(a, b))
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6}


def _pandas_offset(schedule: str) -> pd.offsets.CustomBusinessHour:
    hours = SCHEDULES[schedule]
    # pandas-stubs lacks CustomBusinessHour's weekmask argument; pandas accepts it.
    return pd.offsets.CustomBusinessHour(  # type: ignore[call-arg]
        start=[h[0] for h in hours],
        end=[h[1] for h in hours],
        weekmask="Mon Tue Wed Thu Fri",
        holidays=HOLIDAYS,
    )


def case_pandas_add(schedule: str) -> dict[str, object]:
    offset = 3 * _pandas_offset(schedule)
    sample = pd.DatetimeIndex(instants(N_PANDAS)).tz_localize("UTC").tz_convert(ZONE)
    stamps = list(sample)
    seconds = best_of(lambda: [ts + offset for ts in stamps], repeat=2)
    results = [ts + offset for ts in stamps]
    # Same business position as crmkit? (pandas returns the next opening for a deadline on
    # a closing time; both are at the same point of the business clock.)
    cal = calendar(schedule)
    ours = cal.add_many(pd.Series(sample), dt.timedelta(hours=3))
    same_position = sum(
        cal.elapsed(o.to_pydatetime(), r.to_pydatetime()) == dt.timedelta(0)
        for o, r in zip(ours, results, strict=True)
    )
    same_instant = sum(o == r for o, r in zip(ours, results, strict=True))
    # Where they differ the deadline is a closing time: pandas answers the next opening,
    # which is crmkit's breach_at (the latest compliant instant).
    as_breach = sum(
        cal.breach_at(ts.to_pydatetime(), dt.timedelta(hours=3)) == r
        for ts, o, r in zip(sample, ours, results, strict=True)
        if o != r
    )
    return {
        "n": N_PANDAS,
        "seconds": seconds,
        "per_op_us": seconds / N_PANDAS * 1e6,
        "same_position": same_position,
        "same_instant": same_instant,
        "differ_equal_breach_at": as_breach,
    }


def case_pandas_index_add(schedule: str) -> dict[str, object]:
    offset = 3 * _pandas_offset(schedule)
    sample = pd.DatetimeIndex(instants(N_PANDAS)).tz_localize("UTC").tz_convert(ZONE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PerformanceWarning: non-vectorized DateOffset
        seconds = best_of(lambda: sample + offset, repeat=2)
    return {"n": N_PANDAS, "seconds": seconds, "per_op_us": seconds / N_PANDAS * 1e6}


def _scalar(schedule: str, build: Callable[..., Callable[[], object]]) -> dict[str, object]:
    cal = calendar(schedule)
    fn = build(cal)
    fn()
    per = min(timeit.repeat(fn, number=N_SCALAR, repeat=3, timer=time.process_time)) / N_SCALAR
    return {"n": N_SCALAR, "seconds": per * N_SCALAR, "per_op_us": per * 1e6}


def case_scalar_add_local(schedule: str) -> dict[str, object]:
    t = dt.datetime(2024, 5, 6, 10, 30, tzinfo=zoneinfo.ZoneInfo(ZONE))
    d = dt.timedelta(hours=3)
    return _scalar(schedule, lambda cal: lambda: cal.add(t, d))


def case_scalar_add_utc(schedule: str) -> dict[str, object]:
    t = dt.datetime(2024, 5, 6, 8, 30, tzinfo=dt.UTC)
    d = dt.timedelta(hours=3)
    return _scalar(schedule, lambda cal: lambda: cal.add(t, d))


def case_scalar_add_naive(schedule: str) -> dict[str, object]:
    t = dt.datetime(2024, 5, 6, 10, 30)
    d = dt.timedelta(hours=3)
    return _scalar(schedule, lambda cal: lambda: cal.add(t, d))


def case_scalar_elapsed(schedule: str) -> dict[str, object]:
    a = dt.datetime(2024, 5, 3, 16, 0, tzinfo=zoneinfo.ZoneInfo(ZONE))
    b = dt.datetime(2024, 5, 7, 8, 0, tzinfo=dt.UTC)
    return _scalar(schedule, lambda cal: lambda: cal.elapsed(a, b))


def case_pandas_scalar_add(schedule: str) -> dict[str, object]:
    offset = 3 * _pandas_offset(schedule)
    t = pd.Timestamp("2024-05-06 10:30", tz=ZONE)
    per = (
        min(timeit.repeat(lambda: t + offset, number=5_000, repeat=3, timer=time.process_time))
        / 5_000
    )
    return {"n": 5_000, "seconds": per * 5_000, "per_op_us": per * 1e6}


def _dates(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (np.datetime64("2024-01-01") + rng.integers(0, 366, n)).astype("datetime64[D]")


def case_crmkit_add_days_many(schedule: str) -> dict[str, object]:
    cal = calendar(schedule)
    days = _dates(N_BULK)
    steps = np.random.default_rng(2).integers(-20, 21, N_BULK)
    cal.add_days_many(days[:10], 1)  # compile the day table
    seconds = best_of(lambda: cal.add_days_many(days, steps))
    expected = np.busday_offset(
        days,
        steps,
        roll="forward",
        weekmask="1111100",
        holidays=np.array(HOLIDAYS, "datetime64[D]"),
    )
    same = int((cal.add_days_many(days, steps) == expected).sum())
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6, "same": same}


def case_numpy_busday_offset(schedule: str) -> dict[str, object]:
    days = _dates(N_BULK)
    steps = np.random.default_rng(2).integers(-20, 21, N_BULK)
    holidays = np.array(HOLIDAYS, "datetime64[D]")
    seconds = best_of(
        lambda: np.busday_offset(days, steps, roll="forward", weekmask="1111100", holidays=holidays)
    )
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6}


def case_crmkit_business_days_between_many(schedule: str) -> dict[str, object]:
    cal = calendar(schedule)
    a, b = _dates(N_BULK, 1), _dates(N_BULK, 3)
    cal.business_days_between_many(a[:10], b[:10])
    seconds = best_of(lambda: cal.business_days_between_many(a, b))
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6}


def case_numpy_busday_count(schedule: str) -> dict[str, object]:
    a, b = _dates(N_BULK, 1), _dates(N_BULK, 3)
    holidays = np.array(HOLIDAYS, "datetime64[D]")
    seconds = best_of(lambda: np.busday_count(a, b, weekmask="1111100", holidays=holidays))
    return {"n": N_BULK, "seconds": seconds, "per_op_us": seconds / N_BULK * 1e6}


def case_compile_year(schedule: str) -> dict[str, object]:
    from crmkit.service._timeline import compile_timeline

    cal = calendar(schedule)
    t0 = time.process_time()
    compile_timeline(cal, dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    cold = time.process_time() - t0  # first ever for the zone: transitions discovered
    warm = best_of(lambda: compile_timeline(cal, dt.date(2024, 1, 1), dt.date(2025, 1, 1)), 5)
    return {"n": 1, "seconds": warm, "per_op_us": warm * 1e6, "cold_ms": cold * 1e3}


CASES: dict[str, Callable[[str], dict[str, object]]] = {
    "crmkit add_many, 1M, one duration": case_crmkit_add_many,
    "crmkit add_many, 1M, per-row durations": case_crmkit_add_many_rows,
    "crmkit add_many, 1M, aware Series": case_crmkit_add_many_series,
    "crmkit elapsed_many, 1M pairs": case_crmkit_elapsed_many,
    "pandas CBH ts + 3*off, 10k elementwise": case_pandas_add,
    "pandas CBH DatetimeIndex + 3*off, 10k": case_pandas_index_add,
    "crmkit add, scalar, Berlin-aware in/out": case_scalar_add_local,
    "crmkit add, scalar, UTC-aware in": case_scalar_add_utc,
    "crmkit add, scalar, naive in": case_scalar_add_naive,
    "crmkit elapsed, scalar, aware": case_scalar_elapsed,
    "pandas CBH Timestamp + 3*off, scalar": case_pandas_scalar_add,
    "crmkit compile one calendar-year": case_compile_year,
    "crmkit add_days_many, 1M": case_crmkit_add_days_many,
    "numpy busday_offset, 1M": case_numpy_busday_offset,
    "crmkit business_days_between_many, 1M": case_crmkit_business_days_between_many,
    "numpy busday_count, 1M": case_numpy_busday_count,
}


def run_one(name: str, schedule: str) -> dict[str, object]:
    result = CASES[name](schedule)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        print(json.dumps(run_one(sys.argv[2], sys.argv[3])))
        return
    print(
        f"# business time, {dt.date.today()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}"
    )
    for schedule in SCHEDULES:
        print(f"\n## schedule {schedule}\n")
        print("| case | n | CPU per element | peak RSS | notes |")
        print("|---|---:|---:|---:|---|")
        rows = {}
        for name in CASES:
            out = subprocess.run(
                [sys.executable, __file__, "--case", name, schedule],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows[name] = row
            notes = ""
            if "same_position" in row:
                differ = int(row["n"]) - int(row["same_instant"])
                notes = (
                    f"same business position {row['same_position']:,}/{row['n']:,}; "
                    f"same instant as `add` {row['same_instant']:,}; the other {differ:,} "
                    f"(deadline on a closing time) equal `breach_at`: "
                    f"{row['differ_equal_breach_at']:,}/{differ:,}"
                )
            if "same" in row:
                notes = f"equal to numpy.busday_offset in {row['same']:,}/{row['n']:,}"
            if "cold_ms" in row:
                notes = f"cold (first use of the zone) {row['cold_ms']:.1f} ms"
            per = float(row["per_op_us"])
            shown = f"{per / 1000:.2f} ms" if per >= 1000 else f"{per:.3f} µs"
            print(f"| {name} | {row['n']:,} | {shown} | {row['peak_mib']:.0f} MiB | {notes} |")
        pandas_per = float(rows["pandas CBH ts + 3*off, 10k elementwise"]["per_op_us"])
        bulk_per = float(rows["crmkit add_many, 1M, one duration"]["per_op_us"])
        scalar_pandas = float(rows["pandas CBH Timestamp + 3*off, scalar"]["per_op_us"])
        scalar_ours = float(rows["crmkit add, scalar, Berlin-aware in/out"]["per_op_us"])
        days_ratio = float(rows["numpy busday_offset, 1M"]["seconds"]) / float(
            rows["crmkit add_days_many, 1M"]["seconds"]
        )
        print(
            f"\nbulk speed-up per element vs pandas elementwise: {pandas_per / bulk_per:,.0f}x; "
            f"scalar speed-up: {scalar_pandas / scalar_ours:,.0f}x; "
            f"add_days_many vs numpy.busday_offset: {days_ratio:.2f}x"
        )


if __name__ == "__main__":
    main()
