"""Batch SLA evaluation speed: crmkit.service.evaluate_sla on up to 1M tickets.

No Python library evaluates SLA policies over ticket histories (see the research notes in
docs/performance.md), so the baseline in the same run is what an app would otherwise do:
replay each ticket on its own (crmkit's scalar ``evaluate_ticket`` per ticket, the loop a
pandas ``groupby().apply`` would run), timed on 2,000 tickets and scaled per ticket.

The sample data (``crmkit.datasets.tickets`` / ``ticket_events``, ~4 events per ticket)
is generated once per size and stored as Parquet in a temporary directory. Each case then
runs in a fresh subprocess that reads it, times the call three times (first = cold, then
best of three, wall clock; ``cpu s`` is the process CPU time of the best run, which a busy
shared machine inflates less) and reports the process's peak RSS (data included).

Run: .venv/bin/python benchmarks/bench_sla.py [n_tickets ...]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "batch": "evaluate_sla: one row per ticket and target",
    "cycles": "sla_cycles: one row per cycle",
    "scalar": "evaluate_ticket per ticket (2,000 tickets, scaled)",
}
AS_OF = "2025-08-01 00:00+08:00"


def generate(n: int, folder: Path) -> tuple[Path, Path]:
    from crmkit import datasets

    tickets_path, events_path = folder / f"tickets_{n}.parquet", folder / f"events_{n}.parquet"
    if not tickets_path.exists():
        tickets = datasets.tickets(n_tickets=n, seed=1)
        tickets.to_parquet(tickets_path)
        datasets.ticket_events(tickets).to_parquet(events_path)
    return tickets_path, events_path


def run_case(case: str, tickets_path: str, events_path: str) -> dict[str, float]:
    import pandas as pd

    from crmkit.service import evaluate_sla, evaluate_ticket, sla_cycles
    from crmkit.service._cli import demo_policies

    policies = demo_policies()
    tickets = pd.read_parquet(tickets_path)
    events = pd.read_parquet(events_path)
    n = len(tickets)
    times, cpu = [], []
    if case in ("batch", "cycles"):
        fn = evaluate_sla if case == "batch" else sla_cycles
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn(events, tickets, policies, as_of=AS_OF)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rows = len(out)
    else:
        sample = tickets.iloc[:2_000]
        attrs = sample.set_index("ticket_id")
        sample_events = events[events["ticket_id"].isin(sample["ticket_id"])]
        t0, c0 = time.perf_counter(), time.process_time()
        rows = 0
        for tid, group in sample_events.groupby("ticket_id", sort=False):
            result = evaluate_ticket(
                list(zip(group["time"], group["event"], strict=True)),
                policies,
                as_of=AS_OF,
                ticket=attrs.loc[tid].to_dict(),
            )
            rows += len(result.targets)
        times.append((time.perf_counter() - t0) * n / len(sample))
        cpu.append((time.process_time() - c0) * n / len(sample))
        rows = int(rows * n / len(sample))
    return {
        "tickets": n,
        "events": len(events),
        "rows": rows,
        "first": times[0],
        "best": min(times),
        "cpu": min(cpu),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        print(json.dumps(run_case(*sys.argv[2:5])))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    print(
        f"{'case':7} {'tickets':>10} {'events':>10} {'rows':>10} {'first s':>8} "
        f"{'best s':>7} {'cpu s':>7} {'tickets/s':>10} {'peak MiB':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            paths = generate(n, Path(tmp))
            for case in CASES:
                proc = subprocess.run(
                    [sys.executable, __file__, "--case", case, *map(str, paths)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if proc.returncode:
                    print(f"{case:7} {n:>10,} failed: {proc.stderr.strip().splitlines()[-1]}")
                    continue
                r = json.loads(proc.stdout)
                print(
                    f"{case:7} {n:>10,} {r['events']:>10,} {r['rows']:>10,} {r['first']:>8.2f} "
                    f"{r['best']:>7.2f} {r['cpu']:>7.2f} {n / r['best']:>10,.0f} {r['peak_mib']:>9,.0f}"
                )


if __name__ == "__main__":
    main()
