"""Satisfaction and KPI benchmarks: crmkit against the code a user would otherwise write.

Cases (each in a fresh subprocess; time is the best of 3 runs, memory the process peak RSS):

- ``table``: NPS with an interval by segment x month over 1,000,000 responses.
  crmkit ``metric_table`` (adjusted Wald) vs pandas ``groupby().apply`` computing the
  NPS and a Wald interval per group (there is no NPS interval in any Python package).
- ``shares``: Wilson intervals for 1,000,000 groups' (successes, n):
  ``crmkit._stats.wilson_interval`` vs ``statsmodels proportion_confint(method="wilson")``.
- ``km``: median and P90 of 1,000,000 censored durations:
  crmkit ``duration_quantiles`` (Kaplan-Meier with Greenwood intervals, from a ticket frame)
  vs ``scipy.stats.ecdf(CensoredData)`` plus quantile lookup on the arrays.

Run: ``.venv/bin/python benchmarks/bench_satisfaction.py`` (about a minute).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

N = 1_000_000


def _responses():  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "segment": pd.Categorical(rng.choice(["VIP", "regular", "new", "b2b"], N)),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, N), unit="D"),
            "nps": pd.array(rng.integers(0, 11, N), dtype="Int64"),
        }
    )


def _durations():  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    created = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 180 * 86400, N), unit="s"
    )
    reply = created + pd.to_timedelta(rng.exponential(5 * 3600, N).round(), unit="s")
    as_of = pd.Timestamp("2025-06-30", tz="UTC")
    reply = reply.where(reply <= as_of)
    return pd.DataFrame({"created_at": created, "first_reply_at": reply}), as_of


def case(name: str) -> float:
    import numpy as np

    if name.startswith("table"):
        df = _responses()
        if name == "table:crmkit":
            from crmkit.service import metric_table

            def run() -> object:
                return metric_table(df, "nps", by="segment", freq="M")
        else:
            import pandas as pd

            def per_group(s: pd.Series) -> pd.Series:
                s = s.dropna()
                p, d = (s >= 9).mean(), (s <= 6).mean()
                se = np.sqrt((p + d - (p - d) ** 2) / len(s))
                return pd.Series(
                    {
                        "n": len(s),
                        "nps": 100 * (p - d),
                        "lower": 100 * (p - d - 1.96 * se),
                        "upper": 100 * (p - d + 1.96 * se),
                    }
                )

            def run() -> object:
                keys = [df["segment"], df["date"].dt.to_period("M")]
                return df.groupby(keys, observed=True)["nps"].apply(per_group).unstack()
    elif name.startswith("shares"):
        rng = np.random.default_rng(2)
        n = rng.integers(1, 500, N)
        x = rng.integers(0, n + 1)
        if name == "shares:crmkit":
            from crmkit._stats import wilson_interval

            def run() -> object:
                return wilson_interval(x, n)
        else:
            from statsmodels.stats.proportion import proportion_confint

            def run() -> object:
                return proportion_confint(x, n, method="wilson")
    else:
        frame, as_of = _durations()
        if name == "km:crmkit":
            from crmkit.service import duration_quantiles

            def run() -> object:
                return duration_quantiles(frame, q=(0.5, 0.9), as_of=as_of)
        else:
            from scipy import stats

            def run() -> object:
                end = frame["first_reply_at"].fillna(as_of)
                seconds = (end - frame["created_at"]).dt.total_seconds().to_numpy()
                event = frame["first_reply_at"].notna().to_numpy()
                res = stats.ecdf(
                    stats.CensoredData(uncensored=seconds[event], right=seconds[~event])
                )
                ci = res.cdf.confidence_interval(0.95)
                q = res.cdf.quantiles
                out = []
                for p in (0.5, 0.9):
                    out.append((q[np.argmax(res.cdf.probabilities >= p)], ci.low, ci.high))
                return out

    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


CASES = [
    "table:crmkit",
    "table:pandas-apply",
    "shares:crmkit",
    "shares:statsmodels",
    "km:crmkit",
    "km:scipy-ecdf",
]

if __name__ == "__main__":
    if len(sys.argv) == 2:
        seconds = case(sys.argv[1])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "peak_mib": peak}))
        sys.exit(0)
    print(f"| case (n = {N:,}) | time (s) | peak RSS (MiB) |")
    print("|---|---|---|")
    for name in CASES:
        out = subprocess.run(
            [sys.executable, __file__, name], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {name} | {result['seconds']:.3f} | {result['peak_mib']:.0f} |")
