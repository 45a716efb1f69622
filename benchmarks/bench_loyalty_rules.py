"""Earning rules and tiers speed: EarningScheme.earn, TierTracker folds, assign_tiers.

No Python loyalty engine exists to compare with (see the research notes); the baselines
in the same run are crmkit's own scalar paths: ``assign_tiers`` (vectorised) against a
per-member loop of ``TierLadder.qualify``, the loop an app would otherwise write. Each case
runs in a fresh subprocess; times are the process's CPU time (``time.process_time``: the
machine is shared, and wall time there measures the neighbours); peak memory is that
process's peak RSS (including the generated data).

Run: .venv/bin/python benchmarks/bench_loyalty_rules.py [n_members]
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal

CASES = {
    "earn_base": "earn, base rate, 3-line orders (per order)",
    "earn_promo": "earn, 5 rules (base, category x2, app x1.5, birthday x2, bonus) + monthly cap (per order)",
    "tracker": "TierTracker fold, 200 postings per member (per member)",
    "assign_int": "assign_tiers, int spend column (all members)",
    "assign_decimal": "assign_tiers, Decimal spend column (all members)",
    "qualify_loop": "TierLadder.qualify per member, Python loop (all members)",
}


def _ladder() -> object:
    from crmkit.loyalty import Tier, TierLadder

    return TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", spend="2000"),
            Tier(name="gold", spend="5000"),
            Tier(name="vip", spend="10000"),
        ],
        downgrade="one_down",
    )


def run_case(case: str, n: int) -> dict[str, float]:
    import pandas as pd

    from crmkit.loyalty import (
        BaseRate,
        Condition,
        EarningScheme,
        MemberContext,
        Multiplier,
        Order,
        OrderBonus,
        OrderLine,
        PeriodCap,
        QualifyingPosting,
        assign_tiers,
    )

    rng = random.Random(1)
    ladder = _ladder()
    if case.startswith("earn"):
        if case == "earn_base":
            scheme = EarningScheme.base_rate(1)
        else:
            scheme = EarningScheme(
                rules=[
                    BaseRate(id="base", rate=1),
                    Multiplier(id="tea", factor=2, when=Condition(categories=["tea"])),
                    Multiplier(id="app", factor="1.5", when=Condition(channels=["app"])),
                    Multiplier(id="bday", factor=2, when=Condition(birthday_month=True)),
                    OrderBonus(id="b500", points=50, min_spend="500"),
                ],
                caps=[PeriodCap("month", 20_000)],
            )
        orders = [
            Order(
                f"o{i}",
                dt.datetime(2025, 1, 1) + dt.timedelta(minutes=rng.randrange(500_000)),
                [
                    OrderLine(
                        f"l{j}",
                        Decimal(rng.randrange(100, 50_000)).scaleb(-2),
                        category=rng.choice(["tea", "cups", "gifts"]),
                    )
                    for j in range(3)
                ],
                channel=rng.choice(["app", "store"]),
            )
            for i in range(n)
        ]
        member = MemberContext(birth_date=dt.date(1990, 3, 1), period_points={"month": 500})
        t0 = time.process_time()
        total = 0
        for order in orders:
            total += scheme.earn(order, member, timezone="Asia/Shanghai").points
        seconds = time.process_time() - t0
        return {"seconds": seconds, "per_item_us": seconds / n * 1e6, "items": n}
    if case == "tracker":
        members = max(n // 200, 1)
        streams = [
            sorted(
                (
                    QualifyingPosting(
                        dt.datetime(2023, 1, 1) + dt.timedelta(minutes=rng.randrange(1_500_000)),
                        spend=Decimal(rng.randrange(-5_000, 80_000)).scaleb(-2),
                        points=rng.randrange(0, 800),
                        orders=1,
                    )
                    for _ in range(200)
                ),
                key=lambda p: p.time,
            )
            for _ in range(members)
        ]
        t0 = time.process_time()
        for stream in streams:
            tracker = ladder.tracker(dt.datetime(2023, 1, 1), timezone="Asia/Shanghai")
            for posting in stream:
                tracker.post(posting)
            tracker.status(dt.datetime(2026, 1, 1))
        seconds = time.process_time() - t0
        return {"seconds": seconds, "per_item_us": seconds / members * 1e6, "items": members}
    spend_int = [rng.randrange(0, 20_000) for _ in range(n)]
    if case == "assign_int":
        frame = pd.DataFrame({"member_id": range(n), "spend": spend_int})
    else:
        frame = pd.DataFrame(
            {"member_id": range(n), "spend": [Decimal(v).scaleb(-1) for v in spend_int]}
        )
    t0 = time.process_time()
    if case == "qualify_loop":
        tiers = [ladder.qualify(spend=s) for s in frame["spend"]]
        assert len(tiers) == n
    else:
        out = assign_tiers(frame, ladder)
        assert len(out) == n
    seconds = time.process_time() - t0
    return {"seconds": seconds, "per_item_us": seconds / n * 1e6, "items": n}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--case":
        case, n = sys.argv[2], int(sys.argv[3])
        result = run_case(case, n)
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    n_members = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    sizes = {
        "earn_base": 20_000,
        "earn_promo": 20_000,
        "tracker": 200_000,
        "assign_int": n_members,
        "assign_decimal": n_members,
        "qualify_loop": n_members,
    }
    print("| case | items | CPU time (s) | per item (us) | peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for case, label in CASES.items():
        out = subprocess.run(
            [sys.executable, __file__, "--case", case, str(sizes[case])],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout)
        print(
            f"| {label} | {int(r['items']):,} | {r['seconds']:.2f} | "
            f"{r['per_item_us']:.1f} | {r['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
