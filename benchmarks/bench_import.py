"""Import cost: `import crmkit.segmentation, crmkit.loyalty, crmkit.service` vs `import pandas`.

Target (issue 2): no more than importing pandas plus 0.1 s. Each measurement is a fresh
interpreter (best of several runs), so caches of one run do not help the next.

Run: .venv/bin/python benchmarks/bench_import.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 7
CASES = {
    "python (empty)": "pass",
    "import pandas": "import pandas",
    "import crmkit": "import crmkit",
    "import crmkit.segmentation, .loyalty, .service": (
        "import crmkit.segmentation, crmkit.loyalty, crmkit.service"
    ),
    # The facades are lazy: this is what a program pays that touches every public name.
    "... and resolve every public name": (
        "import crmkit.segmentation as s, crmkit.loyalty as l, crmkit.service as v; "
        "[getattr(m, n) for m in (s, l, v) for n in m.__all__]"
    ),
}


def best_of(statement: str) -> tuple[float, float]:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(RUNS)
    ]
    return min(times), statistics.median(times)


def main() -> None:
    results = {name: best_of(stmt) for name, stmt in CASES.items()}
    print(f"| case | best of {RUNS} (s) | median (s) |")
    print("|---|---:|---:|")
    for name, (best, median) in results.items():
        print(f"| `{name}` | {best:.3f} | {median:.3f} |")
    extra = (
        results["import crmkit.segmentation, .loyalty, .service"][0] - results["import pandas"][0]
    )
    print(f"\nsubpackages cost {extra:+.3f} s over pandas (target: <= +0.100 s)")


if __name__ == "__main__":
    main()
