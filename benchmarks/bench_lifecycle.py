"""Lifecycle: `classify_lifecycle` and a 24-snapshot `lifecycle_history` at 1M and 10M rows.

No Python library classifies lifecycle stages (lifetimes and PyMC-Marketing stop at
P(alive)), so the comparisons are the two things a user would otherwise write:

- a hand-written pandas baseline for one snapshot (groupby last date, recency, np.select
  over the fixed thresholds; no reactivation, no relative thresholds), and
- 24 separate `classify_lifecycle` calls instead of one `lifecycle_history` (1M only: it
  is the slow way by construction).

Target (issue 4): 24 snapshots cost at most 6x one snapshot. Each case runs in a fresh
process; peak memory is that process's peak RSS, which includes the loaded frame (the
"frame only" row gives the baseline). The 10M frame is cached as Parquet under
`benchmarks/.data/` (gitignored) on the first run.

Run: .venv/bin/python benchmarks/bench_lifecycle.py [--sizes 1M 10M]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / ".data"
#: Customers per size: the sample generator makes about 7 rows per customer.
SIZES = {"1M": 145_000, "10M": 1_450_000}
AS_OF = "2025-12-31"
SNAPSHOTS = {"freq": "M", "start": "2024-01-01", "end": "2025-12-31"}  # 24 month ends


def frame_path(size: str) -> Path:
    return DATA / f"transactions_{size}.parquet"


def ensure_data(size: str) -> Path:
    """Generate and cache the frame, in a child process (peak RSS is inherited on fork)."""
    path = frame_path(size)
    if not path.exists():
        subprocess.run([sys.executable, __file__, "--generate", size], check=True)
    return path


def generate(size: str) -> None:
    from crmkit import datasets

    DATA.mkdir(exist_ok=True)
    t = time.perf_counter()
    frame = datasets.transactions(n_customers=SIZES[size], seed=0)
    frame.to_parquet(frame_path(size), index=False)
    print(f"generated {len(frame):,} rows in {time.perf_counter() - t:.1f} s", flush=True)


def pandas_baseline(tx, as_of):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    buys = tx[(tx["date"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)) & (tx["amount"] > 0)]
    g = buys.groupby("customer_id")["date"].agg(["min", "max"])
    day = pd.Timestamp(as_of).normalize()
    recency = (day - g["max"].dt.normalize()).dt.days
    tenure = (day - g["min"].dt.normalize()).dt.days
    stage = np.select(
        [tenure < 30, recency >= 365, recency >= 180, recency >= 90],
        ["new", "churned", "dormant", "at_risk"],
        "active",
    )
    return pd.Series(stage, index=g.index)


def run_case(case: str, size: str) -> dict[str, float]:
    import pandas as pd

    from crmkit.segmentation import LifecyclePolicy, classify_lifecycle, lifecycle_history

    tx = pd.read_parquet(frame_path(size))
    rows = len(tx)
    repeats = 2 if rows < 5_000_000 else 1
    best = best_cpu = float("inf")
    for _ in range(repeats):  # best of two at 1M: the machine is shared
        t = time.perf_counter()
        c = time.process_time()
        if case == "frame only":
            pass
        elif case == "pandas baseline, 1 snapshot (fixed, no reactivation)":
            pandas_baseline(tx, AS_OF)
        elif case.startswith("classify_lifecycle"):
            basis = case.split("(")[1].rstrip(")")
            classify_lifecycle(
                tx, as_of=AS_OF, amount="amount", policy=LifecyclePolicy(basis=basis)
            )
        elif case.startswith("lifecycle_history"):
            basis = case.split("(")[1].rstrip(")")
            h = lifecycle_history(
                tx, amount="amount", policy=LifecyclePolicy(basis=basis), **SNAPSHOTS
            )
            assert h.shape[1] == 24, h.shape
        elif case == "24 x classify_lifecycle (fixed)":
            for day in pd.period_range("2024-01", "2025-12", freq="M"):
                classify_lifecycle(tx, as_of=day.end_time.date(), amount="amount")
        else:
            raise SystemExit(f"unknown case {case!r}")
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    return {"rows": rows, "seconds": best, "cpu_seconds": best_cpu, "peak_mib": peak}


CASES = [
    "frame only",
    "pandas baseline, 1 snapshot (fixed, no reactivation)",
    "classify_lifecycle (fixed)",
    "classify_lifecycle (quantile)",
    "classify_lifecycle (mean_sd)",
    "lifecycle_history (fixed)",
    "lifecycle_history (quantile)",
    "lifecycle_history (mean_sd)",
    "24 x classify_lifecycle (fixed)",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", default=list(SIZES))
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate)
        return
    if args.case:
        print(json.dumps(run_case(args.case, args.size)))
        return
    print("| rows | case | wall (s) | CPU (s) | peak RSS (MiB) |")
    print("|---:|---|---:|---:|---:|")
    ratios = {}
    for size in args.sizes:
        ensure_data(size)
        results = {}
        for case in CASES:
            if case.startswith("24 x") and size != "1M":
                continue
            done = subprocess.run(
                [sys.executable, __file__, "--case", case, "--size", size],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results[case] = result
            print(
                f"| {result['rows']:,} | {case} | {result['seconds']:.2f} | "
                f"{result['cpu_seconds']:.2f} | {result['peak_mib']:,.0f} |",
                flush=True,
            )
        for basis in ("fixed", "quantile", "mean_sd"):
            one = results[f"classify_lifecycle ({basis})"]
            many = results[f"lifecycle_history ({basis})"]
            ratios[(size, basis)] = (
                many["seconds"] / one["seconds"],
                many["cpu_seconds"] / one["cpu_seconds"],
            )
    print("\n24 snapshots / 1 snapshot (target <= 6), wall and CPU:")
    for (size, basis), (wall, cpu) in ratios.items():
        print(f"  {size} {basis}: {wall:.2f}x wall, {cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
