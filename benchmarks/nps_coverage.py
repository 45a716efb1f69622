"""Exact coverage of NPS intervals by enumerating every trinomial outcome.

For each sample size n and each true (promoter share p, detractor share d) on the grid
p, d in {.05, .1, .2, ..., .9} with p + d <= 1 (64 points), the coverage of a method is
the sum, over every outcome (detractors, passives, promoters) with n responses, of the
outcome's multinomial probability when its interval contains the true NPS p - d. No
simulation: the numbers are exact up to floating point.

Run: ``python benchmarks/nps_coverage.py`` (prints a Markdown table; about 10 s).
"""

from __future__ import annotations

import sys
from itertools import product

import numpy as np
from scipy.special import gammaln

from crmkit.service._nps import nps_statistics, nps_sums

GRID = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
METHODS = ("wald", "adjusted_wald", "score")


def grid_points() -> list[tuple[float, float]]:
    return [(p, d) for p, d in product(GRID, GRID) if p + d <= 1 + 1e-12]


def outcomes(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    det, pro = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = det + pro <= n
    det, pro = det[keep].astype(float), pro[keep].astype(float)
    return det, n - det - pro, pro


def intervals(n: int, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    det, pas, pro = outcomes(n)
    k = len(det)
    codes = np.concatenate([np.full(k, -1), np.zeros(k, dtype=int), np.ones(k, dtype=int)])
    freq = np.concatenate([det, pas, pro])
    group = np.tile(np.arange(k), 3)
    sums = nps_sums(codes, freq, None, group, k)
    st = nps_statistics(sums, method=method, level=0.95, fpc=np.ones(k), seed=0, n_boot=100)
    return det, pro, st["lower"], st["upper"]


def coverage_table(
    sizes: tuple[int, ...] = (10, 30, 100),
) -> dict[tuple[int, str], tuple[float, float, float]]:
    """Return {(n, method): (mean coverage, min coverage, mean width in points)}."""
    table = {}
    points = grid_points()
    for n in sizes:
        for method in METHODS:
            det, pro, lo, hi = intervals(n, method)
            pas = n - det - pro
            log_coef = gammaln(n + 1) - gammaln(det + 1) - gammaln(pas + 1) - gammaln(pro + 1)
            covs, widths = [], []
            for p, d in points:
                q = 1 - p - d
                with np.errstate(divide="ignore", invalid="ignore"):
                    logp = (
                        log_coef
                        + np.where(det > 0, det * np.log(d), 0.0)
                        + np.where(pro > 0, pro * np.log(p), 0.0)
                        + np.where(pas > 0, pas * np.log(q) if q > 0 else -np.inf, 0.0)
                    )
                prob = np.exp(logp)
                true = p - d
                inside = (lo <= true + 1e-12) & (true - 1e-12 <= hi)
                covs.append(float(prob[inside].sum()))
                widths.append(float((prob * (hi - lo)).sum() * 100))
            table[(n, method)] = (float(np.mean(covs)), float(np.min(covs)), float(np.mean(widths)))
    return table


def markdown(table: dict[tuple[int, str], tuple[float, float, float]]) -> str:
    sizes = sorted({n for n, _ in table})
    lines = [
        "| n | Wald | adjusted Wald | score (Tango) |",
        "|---|---|---|---|",
    ]
    for n in sizes:
        cells = [
            f"{table[(n, m)][0]:.3f} / {table[(n, m)][1]:.3f} / {table[(n, m)][2]:.1f}"
            for m in METHODS
        ]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(
        f"{len(grid_points())} grid points; cells are mean coverage / min coverage / mean width (points)"
    )
    print(markdown(coverage_table()))
    sys.exit(0)
