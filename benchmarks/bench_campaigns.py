"""Campaigns: holdout assignment of 1M ids against GrowthBook's Python SDK, one by one.

Target (issue 17): assigning 1M ids costs at least 100x less CPU time per id than
GrowthBook's Python SDK assigning them one by one, measured in the same run.

The ids are 1,000,000 text ids ``"member-0000001"`` ... held in a pandas string column
(what `read_csv` or `read_parquet` gives), plus the same ids as a Python list and as
integers. The SDK runs over a sample of the same ids (per-id cost does not depend on how
many there are), three ways:

- ``GrowthBook(attributes={"id": ...}).run(experiment)``: one SDK instance per user, as
  the SDK documentation writes it for a request;
- one instance reused with ``set_attributes`` (cheaper);
- the SDK's bare hash and bucket functions (``gbhash`` + ``chooseVariation``), which
  skip everything an experiment run checks: the floor of what per-id Python code costs.

The arms of the sample are checked to be identical to crmkit's. CPU time is
``time.process_time()``; crmkit's figure is the best of three runs.

Run: .venv/bin/python benchmarks/bench_campaigns.py [--n 1000000] [--sample 20000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from growthbook import GrowthBook
from growthbook.common_types import Experiment
from growthbook.core import chooseVariation, gbhash, getBucketRanges

from crmkit.campaigns import assign

CAMPAIGN = "wake-up-2025"
SHARE = 0.1


def best_of(runs: int, fn):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(runs):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def sdk_per_user(ids: list[str]) -> tuple[float, list[int]]:
    exp = Experiment(key=CAMPAIGN, variations=[0, 1], weights=[SHARE, 1 - SHARE], hashVersion=2)
    arms = []
    t = time.process_time()
    for uid in ids:
        gb = GrowthBook(attributes={"id": uid})
        arms.append(gb.run(exp).variationId)
        gb.destroy()
    return time.process_time() - t, arms


def sdk_reused(ids: list[str]) -> tuple[float, list[int]]:
    exp = Experiment(key=CAMPAIGN, variations=[0, 1], weights=[SHARE, 1 - SHARE], hashVersion=2)
    gb = GrowthBook(attributes={})
    arms = []
    t = time.process_time()
    for uid in ids:
        gb.set_attributes({"id": uid})
        arms.append(gb.run(exp).variationId)
    gb.destroy()
    return time.process_time() - t, arms


def sdk_bare(ids: list[str]) -> tuple[float, list[int]]:
    arms = []
    t = time.process_time()
    for uid in ids:
        ranges = getBucketRanges(2, 1, [SHARE, 1 - SHARE])
        arms.append(chooseVariation(gbhash(CAMPAIGN, uid, 2), ranges))
    return time.process_time() - t, arms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()

    ids = pd.Series([f"member-{i:07d}" for i in range(1, args.n + 1)])
    as_list = ids.tolist()
    as_int = pd.Series(np.arange(1, args.n + 1, dtype=np.int64))
    assign(ids.iloc[:10], campaign=CAMPAIGN)  # warm the prefix table once

    rows = []
    t_str, out = best_of(3, lambda: assign(ids, campaign=CAMPAIGN, control_share=SHARE))
    rows.append(("crmkit assign, string column", args.n, t_str))
    t_list, _ = best_of(3, lambda: assign(as_list, campaign=CAMPAIGN, control_share=SHARE))
    rows.append(("crmkit assign, Python list of str", args.n, t_list))
    t_int, _ = best_of(3, lambda: assign(as_int, campaign=CAMPAIGN, control_share=SHARE))
    rows.append(("crmkit assign, integer column", args.n, t_int))

    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(args.n, size=min(args.sample, args.n), replace=False))
    sample = [as_list[i] for i in pick]
    expected = out["arm"].cat.codes.to_numpy()[pick].tolist()
    for label, fn in (
        ("GrowthBook SDK, instance per user, run()", sdk_per_user),
        ("GrowthBook SDK, one instance, run()", sdk_reused),
        ("GrowthBook SDK, gbhash + chooseVariation", sdk_bare),
    ):
        seconds, arms = fn(sample)
        assert arms == expected, f"{label}: arms differ from crmkit"
        rows.append((label, len(sample), seconds))

    crmkit_per_id = t_str / args.n
    print(f"{'case':<44} {'ids':>10} {'CPU s':>8} {'ns/id':>9} {'SDK/crmkit':>11}")
    for label, n, seconds in rows:
        per_id = seconds / n
        ratio = per_id / crmkit_per_id
        print(f"{label:<44} {n:>10,} {seconds:>8.3f} {per_id * 1e9:>9.0f} {ratio:>10.1f}x")
    print(f"control share: {float((out['arm'] == 'control').mean()):.4f} of {args.n:,}")


if __name__ == "__main__":
    main()
