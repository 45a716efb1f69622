"""One transaction log: build it once for five analyses, and quarterly cohort retention.

Data: the CDNOW master log shipped in the lifetimes wheel (69,659 rows), replicated ten
times with disjoint customer ids (696,590 rows, 235,700 customers), the same dates and
amounts. All cases run in one process, one after another, and report CPU time
(``time.process_time``, best of ``--repeat`` runs); the ratios compare cases of this run.

Cases:

- five analyses called on the DataFrame: ``summarize``, ``classify_lifecycle``,
  ``lifecycle_history`` (6 quarter ends), ``cohort_retention(freq="Q")`` and
  ``retention_rate``; each call reads and validates the frame;
- the same five on a ``TransactionLog`` built once (the build is counted);
- ``cohort_retention(freq="Q")`` against a hand-written pandas group-by that makes the
  same customers table (first-purchase quarter x quarters since, distinct buyers).

``--sample`` runs the cohort cases alone on the 10M-row sample of
``bench_segmentation.py`` (``crmkit.datasets.transactions``, seed 2026, cached in
``benchmarks/.data``; generate it with ``bench_segmentation.py --generate 10m``).

Run: .venv/bin/python benchmarks/bench_log.py [--copies 10] [--repeat 3] [--sample]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmkit.segmentation import (
    TransactionLog,
    classify_lifecycle,
    cohort_retention,
    lifecycle_history,
    retention_rate,
    summarize,
)

AS_OF = "1998-06-30"
QUARTER_ENDS = ["1997-03-31", "1997-06-30", "1997-09-30", "1997-12-31", "1998-03-31", AS_OF]


def cdnow(copies: int) -> pd.DataFrame:
    """CDNOW master, ``copies`` times with disjoint customer ids."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("lifetimes (a dev dependency) is needed for the CDNOW data")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    raw = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "cds", "amount"])
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    step = int(raw["customer_id"].max()) + 1
    parts = [raw.assign(customer_id=raw["customer_id"] + k * step) for k in range(copies)]
    return pd.concat(parts, ignore_index=True)[["customer_id", "date", "amount"]]


def five(data: Any) -> None:
    summarize(data)
    classify_lifecycle(data, as_of=AS_OF)
    lifecycle_history(data, as_of=QUARTER_ENDS)
    cohort_retention(data, freq="Q")
    retention_rate(data, start="1997-12-31", end=AS_OF)


def pandas_cohorts(tx: pd.DataFrame) -> pd.DataFrame:
    """Hand-written quarterly cohort table: distinct buyers by first quarter x quarters since."""
    buys = tx[tx["amount"] > 0]
    quarter = buys["date"].dt.year * 4 + buys["date"].dt.quarter - 1  # vectorised
    first = quarter.groupby(buys["customer_id"]).transform("min")
    cells = pd.DataFrame(
        {"cohort": first, "since": quarter - first, "customer": buys["customer_id"]}
    )
    return cells.drop_duplicates().groupby(["cohort", "since"]).size().unstack()


def check_equal(tx: pd.DataFrame) -> None:
    """The two cohort tables agree (checked once, outside the timing)."""
    ours = cohort_retention(tx, freq="Q").counts
    theirs = pandas_cohorts(tx)
    theirs.index = ours.index[: len(theirs)]  # quarter numbers -> the same Periods
    theirs = theirs.reindex(index=ours.index, columns=ours.columns).fillna(0.0)
    seen = ~np.isnan(ours.to_numpy())
    assert np.array_equal(ours.to_numpy()[seen], theirs.to_numpy(dtype=float)[seen])


def cohort_rows(tx: pd.DataFrame, repeat: int) -> list[tuple[str, float, str]]:
    """The cohort cases: on the frame, on a built log, and the hand-written pandas."""
    cohort = best(lambda: cohort_retention(tx, freq="Q"), repeat)
    log = TransactionLog.from_frame(tx)
    cohort_on_log = best(lambda: cohort_retention(log, freq="Q"), repeat)
    hand = best(lambda: pandas_cohorts(tx), repeat)
    return [
        ("cohort_retention(freq='Q') on the DataFrame", cohort, f"{hand / cohort:.2f}x"),
        (
            "cohort_retention(freq='Q') on a built log",
            cohort_on_log,
            f"{hand / cohort_on_log:.2f}x",
        ),
        ("hand-written pandas cohort table", hand, ""),
    ]


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", action="store_true", help="the cohort cases on 10M rows")
    args = parser.parse_args()
    if args.sample:
        path = Path(__file__).parent / ".data" / "transactions_10m.parquet"
        if not path.exists():
            raise SystemExit(f"{path} is missing: run bench_segmentation.py --generate 10m")
        tx = pd.read_parquet(path, columns=["customer_id", "date", "amount"])
        print(f"rows {len(tx):,}, customers {tx['customer_id'].nunique():,}")
        check_equal(tx)
        print("| case | CPU (s) | speed-up |\n|---|---:|---:|")
        for name, seconds, ratio in cohort_rows(tx, args.repeat):
            print(f"| {name} | {seconds:.3f} | {ratio} |")
        return
    tx = cdnow(args.copies)
    print(f"rows {len(tx):,}, customers {tx['customer_id'].nunique():,}")
    check_equal(tx)
    on_frame = best(lambda: five(tx), args.repeat)
    on_log = best(lambda: five(TransactionLog.from_frame(tx)), args.repeat)
    build = best(lambda: TransactionLog.from_frame(tx), args.repeat)
    rows = [
        ("five analyses on the DataFrame", on_frame, ""),
        ("build TransactionLog once + the same five", on_log, f"{on_frame / on_log:.2f}x"),
        ("  of which: building the log", build, ""),
        *cohort_rows(tx, args.repeat),
    ]
    print("| case | CPU (s) | speed-up |\n|---|---:|---:|")
    for name, seconds, ratio in rows:
        print(f"| {name} | {seconds:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
