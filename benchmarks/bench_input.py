"""Input reading: what the checks of issue 10 cost against the bare pandas call they wrap.

Every crmkit analysis reads its columns through ``crmkit._validate`` and the command line
reads files through ``crmkit._io``. The checks (ISO 8601 only, ambiguity and mixed-format
detection, naive/aware mixing, the supported range, counting bad values, file line
numbers) must not cost more than a small multiple of the pandas call that does the
reading without them. Peers, measured in the same run on the same data:

- dates: ``pd.to_datetime(column, format="ISO8601")`` (no checks at all);
- numbers: ``column.to_numpy(dtype=float)`` plus an ``isfinite`` check;
- files: ``pd.read_csv(path)`` (positional row labels, no decoding checks);
- Gini: the textbook formula on a sorted numpy array (no overflow protection).

Data: 1,000,000 purchase rows with ISO 8601 timestamps to the second, amounts with two
decimals, ids up to 50,000 (``numpy.random.default_rng(0)``), written once as a 37 MB CSV.
CPU time is ``time.process_time()``, best of three runs.

Run: .venv/bin/python benchmarks/bench_input.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit._io import read_table
from crmkit._validate import datetime_column, numeric_column
from crmkit.segmentation import gini


def best_of(runs: int, fn):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(runs):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def _gini_plain(values: np.ndarray) -> float:  # type: ignore[type-arg]
    x = np.sort(values)
    n = len(x)
    return float(2.0 * np.dot(np.arange(1, n + 1), x) / (n * x.sum()) - (n + 1) / n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    n = parser.parse_args().n
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 50_000, n),
            "date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 30_000_000, n), unit="s"),
            "amount": rng.integers(1, 100_000, n) / 100,
        }
    )
    path = Path(tempfile.mkdtemp()) / "tx.csv"
    frame.to_csv(path, index=False)
    text = pd.read_csv(path)
    rows = []

    def case(what: str, ours, peer) -> None:  # type: ignore[no-untyped-def]
        ours_s, _ = best_of(3, ours)
        peer_s, _ = best_of(3, peer)
        rows.append((what, ours_s, peer_s, ours_s / peer_s))

    case(
        "ISO 8601 strings -> datetime64",
        lambda: datetime_column(text, "date", "bench"),
        lambda: pd.to_datetime(text["date"], format="ISO8601"),
    )
    case(
        "the same, read in a zone (tz='Asia/Shanghai')",
        lambda: datetime_column(text, "date", "bench", tz="Asia/Shanghai"),
        lambda: pd.to_datetime(text["date"], format="ISO8601").dt.tz_localize("Asia/Shanghai"),
    )
    case(
        "datetime64[ns] column (range check only)",
        lambda: datetime_column(frame, "date", "bench"),
        frame["date"].to_numpy,
    )
    dayfirst = frame.assign(date=frame["date"].dt.strftime("%d/%m/%Y %H:%M:%S"))
    case(
        "day-first strings with date_format='%d/%m/%Y %H:%M:%S'",
        lambda: datetime_column(dayfirst, "date", "bench", date_format="%d/%m/%Y %H:%M:%S"),
        lambda: pd.to_datetime(dayfirst["date"], format="%d/%m/%Y %H:%M:%S"),
    )
    epoch = frame.assign(date=frame["date"].astype("int64") // 10**9)
    case(
        "epoch seconds with date_unit='s'",
        lambda: datetime_column(epoch, "date", "bench", date_unit="s"),
        lambda: pd.to_datetime(epoch["date"], unit="s"),
    )
    case(
        "float64 amounts -> checked float64 array",
        lambda: numeric_column(frame, "amount", "bench"),
        lambda: np.isfinite(frame["amount"].to_numpy(dtype=float)).all(),
    )
    case(
        "CSV file -> frame labelled by file line",
        lambda: read_table(path),
        lambda: pd.read_csv(path),
    )
    values = frame["amount"].to_numpy()
    case("gini of 1M values (overflow-safe)", lambda: gini(values), lambda: _gini_plain(values))

    print(f"{n:,} rows; CPU seconds, best of 3")
    print("| case | crmkit (s) | peer (s) | crmkit / peer |")
    print("|---|---:|---:|---:|")
    for what, ours_s, peer_s, ratio in rows:
        print(f"| {what} | {ours_s:.3f} | {peer_s:.3f} | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
