"""CLV model fits and predictions: crmkit vs lifetimes 0.11.3, CPU time, same run.

Data: ``crmkit.datasets.transactions(200_000, seed=2026)`` summarised by
``btyd_summary(freq="D")`` (daily periods, as lifetimes' default), cached as Parquet in
``benchmarks/.data/`` (gitignored). Cases, each timed with ``time.process_time`` in this
one process after one warm-up call of the crmkit case (lifetimes is timed once: its fits
take seconds to minutes):

- BG/NBD fit on 200k customers: ``BetaGeoModel().fit`` vs ``BetaGeoFitter().fit``;
- Pareto/NBD fit: ``ParetoNBDModel().fit`` vs ``ParetoNBDFitter().fit``, on all 200k
  customers, or on a random subsample for lifetimes with ``--pareto-sample N`` (crmkit is
  then timed on the same subsample too);
- predictions for 1M customers (the summary repeated 5 times) under BG/NBD, MBG/NBD
  and Pareto/NBD at crmkit's fitted parameters (given to lifetimes too): expected
  purchases in the next 30 days plus P(alive), crmkit (``expected_purchases`` +
  ``probability_alive`` on arrays, and ``predict`` on the frame, which adds P(alive at
  t) and P(no purchase)) vs lifetimes' ``conditional_expected_number_of_purchases_up_to_time``
  + ``conditional_probability_alive``, with the largest difference between the two.

Run: ``.venv/bin/python benchmarks/bench_clv.py [--pareto-sample 50000] [--no-lifetimes-pareto]``
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / ".data"
N_CUSTOMERS = 200_000


def summary() -> pd.DataFrame:
    path = DATA / "clv_summary_200k.parquet"
    if not path.exists():
        from crmkit import datasets
        from crmkit.segmentation import btyd_summary

        DATA.mkdir(exist_ok=True)
        frame = btyd_summary(datasets.transactions(N_CUSTOMERS, seed=2026), freq="D")
        frame.attrs = {}
        frame.to_parquet(path)
    return pd.read_parquet(path)


def cpu(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        started = time.process_time()
        out = fn()
        best = min(best, time.process_time() - started)
    return best, out


def lifetimes() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        import lifetimes as lt
    return lt


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pareto-sample", type=int, default=0)
    parser.add_argument("--no-lifetimes-pareto", action="store_true")
    args = parser.parse_args()
    from crmkit.segmentation import BetaGeoModel, ModifiedBetaGeoFit, ParetoNBDModel

    lt = lifetimes()
    s = summary()
    x, tx, big_t = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    rows: list[dict[str, Any]] = []

    def record(case: str, seconds: float, peer: float | None = None, **extra: Any) -> None:
        row = {"case": case, "cpu_s": round(seconds, 3), **extra}
        if peer is not None:
            row["speedup_vs_lifetimes"] = round(peer / seconds, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)

    unique = len(s[["frequency", "recency", "T"]].drop_duplicates())
    print(
        json.dumps(
            {"customers": len(s), "unique_rows": unique, "python": platform.python_version()}
        )
    )

    # ---------------------------------------------------------------- BG/NBD fit
    BetaGeoModel().fit(s.head(20_000))  # warm-up (imports, caches)
    ours_bg, bg_fit = cpu(lambda: BetaGeoModel().fit(s), repeat=3)
    theirs_bg, lt_bg = cpu(lambda: lt.BetaGeoFitter().fit(x, tx, big_t))
    record("BG/NBD fit, 200k", ours_bg, theirs_bg, params=bg_fit.params)
    record("lifetimes BG/NBD fit, 200k", theirs_bg, params=lt_bg.params_.to_dict())

    # ------------------------------------------------------------ Pareto/NBD fit
    sub = s
    if args.pareto_sample:
        sub = s.sample(args.pareto_sample, random_state=1)
    label = f"{len(sub) // 1000}k"
    ours_pn, pn_fit = cpu(lambda: ParetoNBDModel().fit(sub))
    peer = None
    if not args.no_lifetimes_pareto:
        sx, stx, st = (sub[c].to_numpy() for c in ("frequency", "recency", "T"))
        peer, lt_pn = cpu(lambda: lt.ParetoNBDFitter().fit(sx, stx, st))
        record(f"lifetimes Pareto/NBD fit, {label}", peer, params=lt_pn.params_.to_dict())
    record(f"Pareto/NBD fit, {label}", ours_pn, peer, params=pn_fit.params)
    if args.pareto_sample:
        full, _ = cpu(lambda: ParetoNBDModel().fit(s))
        record("Pareto/NBD fit, 200k", full)

    # ------------------------------------------------------ predictions, 1M customers
    # Both libraries predict with crmkit's fitted parameters, so the results are compared
    # value for value (lifetimes' fitters read their parameters from ``params_``).
    big = pd.concat([s] * 5, ignore_index=True)
    bx, btx, bt = (big[c].to_numpy() for c in ("frequency", "recency", "T"))
    mbg_fit = ModifiedBetaGeoFit(params=bg_fit.params, time_unit=bg_fit.time_unit)
    peers = {
        "BG/NBD": (bg_fit, lt.BetaGeoFitter()),
        "MBG/NBD": (mbg_fit, lt.ModifiedBetaGeoFitter()),
        "Pareto/NBD": (pn_fit, lt.ParetoNBDFitter()),
    }
    for name, (fit, peer_fit) in peers.items():
        peer_fit.params_ = pd.Series(fit.params)

        def ours_arrays(fit: Any = fit) -> Any:
            return fit.expected_purchases(30.0, bx, btx, bt), fit.probability_alive(bx, btx, bt)

        def theirs_arrays(peer_fit: Any = peer_fit) -> Any:
            with np.errstate(all="ignore"):
                return (
                    peer_fit.conditional_expected_number_of_purchases_up_to_time(30.0, bx, btx, bt),
                    peer_fit.conditional_probability_alive(bx, btx, bt),
                )

        ours_arrays()
        ours_p, (e1, p1) = cpu(ours_arrays, repeat=3)
        theirs_p, (e2, p2) = cpu(theirs_arrays)
        finite = np.isfinite(e2) & np.isfinite(p2)
        agree = {
            "max_abs_diff_expected": float(np.max(np.abs(e1 - e2)[finite])),
            "max_abs_diff_p_alive": float(np.max(np.abs(p1 - p2)[finite])),
            "lifetimes_non_finite_rows": int((~finite).sum()),
        }
        record(f"{name} expected purchases + P(alive), 1M", ours_p, theirs_p, **agree)
        record(f"lifetimes {name} expected purchases + P(alive), 1M", theirs_p)
        fit.predict(big.head(1000), t=30.0)
        frame_p, _ = cpu(lambda fit=fit: fit.predict(big, t=30.0), repeat=3)
        record(f"{name} predict() frame (4 columns), 1M", frame_p)


if __name__ == "__main__":
    main()
