"""Loyalty ledger speed: replay one member, apply events one by one, replay a member base.

No Python loyalty engine exists to compare with (see the research notes), so the baseline
in the same run is the naive way an app would keep a state current without
``Program.apply``: replaying the whole history after every event. Each case runs in a
fresh subprocess; times are the process's CPU time (``time.process_time``: the machine is
shared, and wall time there measures the neighbours); peak memory is that process's peak
RSS (including the generated data). ``--profile`` prints the cProfile top functions of
the one-member replay. ``replay_one`` repeats the replay of the same event objects under
one program (as an app does); nothing is cached on the events, but the program caches the
expiry instant per local earning day, so ``replay_one_cold`` empties that cache before
each replay.

Every member has 200 events: an enrolment, then a repeating mix of purchases (1-3 lines),
refunds (whole or one line), redemptions, cancellations and adjustments over a year,
replayed under a retail program (1 point per yuan, 12-month expiry, 7-day return window,
three spend-based tiers, a catalogue); ``replay_many_tiers`` replays a tenth of the members
under the same program earning by tier (gold 2 points per yuan, silver x1.5),
``replay_many_privileges`` a tenth under it with tier privileges that multiply earning, and
``replay_many_caps`` a tenth with earning capped per month and per year.

``--against DIR`` measures ``replay_many`` on the same table with the code in ``DIR`` (a
checkout's ``src``, e.g. ``git archive <commit> src | tar -x -C /tmp/old`` gives
``/tmp/old/src``) and with this checkout, alternately in fresh processes, and checks the two
result frames are exactly equal; ``--this DIR`` measures the code in ``DIR`` as this
checkout's (``--this build/compiled``: the mypyc-compiled fold ``make compiled`` builds).
Every case measures whatever ``crmkit`` the interpreter imports: ``PYTHONPATH=build/compiled``
measures the compiled fold.

Run: .venv/bin/python benchmarks/bench_loyalty.py [n_members] [--profile]
[--against DIR [rounds]] [--this DIR]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

CASES = {
    "replay_one": "Program.replay, one member's 200 events (per member)",
    "replay_one_cold": "the same, expiry cache of the program emptied before each replay",
    "apply_one": "Program.apply, 200 events one by one (per member)",
    "replay_each_time": "baseline: full replay after every event, 200 events (per member)",
    "frame_to_events": "events_from_frame, N members x 200 rows (all members)",
    "replay_many": "replay_many, N members x 200 events, frame -> states (all members)",
    "replay_many_2": "replay_many(workers=2), the same (all members; CPU of both workers)",
    "replay_many_tiers": "replay_many, earning by tier (gold 2x, silver x1.5), N/10 members",
    "replay_many_privileges": "replay_many, tier privileges gold x1.8, silver x1.2, N/10 members",
    "replay_many_caps": "replay_many, earning capped at 5,000 a month and 40,000 a year, N/10 members",
}

# One cycle of 20 event kinds; 'R' refunds the purchase before it, 'C' cancels the
# redemption before it. 10 cycles less the last slot, after the enrolment: 200 events.
CYCLE = "PPPRPPXCPPPPAPPXPPPP"


def program(*, by_tier: bool = False, privileges: bool = False, caps: bool = False) -> object:
    """The bench program; ``by_tier``: gold members earn 2 points per yuan and silver ones
    1.5x, so every purchase reads the member's tier; ``privileges``: the tiers' privileges
    multiply earning instead (gold x1.8, silver x1.2), beside a benefit that earns nothing."""
    from crmkit.loyalty import (
        BaseRate,
        Condition,
        EarningScheme,
        ExpiryPolicy,
        Multiplier,
        PeriodCap,
        Privilege,
        PrivilegeSet,
        Program,
        Tier,
        TierLadder,
    )

    earning = EarningScheme.base_rate(1)
    if caps:
        earning = EarningScheme.base_rate(
            1, caps=[PeriodCap("month", 5_000), PeriodCap("year", 40_000)]
        )
    if by_tier:
        earning = EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                BaseRate(id="gold", rate=2, stacking="max", when=Condition(tiers=["gold"])),
                Multiplier(id="silver", factor="1.5", when=Condition(tiers=["silver"])),
            ]
        )
    return Program(
        name="bench club",
        timezone="Asia/Shanghai",
        earning=earning,
        expiry=ExpiryPolicy.after_months(12),
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", spend="2000"),
                Tier(name="gold", spend="10000"),
            ],
            downgrade="one_down",
        ),
        catalogue={"coupon": {"*": 300, "gold": 250}},
        pending_days=7,
        privileges=PrivilegeSet(
            [
                Privilege(id="gold-x", kind="earning_multiplier", value="1.8", tiers=["gold"]),
                Privilege(id="silver-x", kind="earning_multiplier", value="1.2", tiers=["silver"]),
                Privilege(id="lounge", kind="benefit", tiers=["gold"]),
            ]
        )
        if privileges
        else None,
    )


def frame(n_members: int, seed: int = 0) -> object:
    """N members x 200 rows of events (one row per event; purchases of one line)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    kinds = ["E"] + [CYCLE[i % len(CYCLE)] for i in range(199)]
    per = len(kinds)
    n = n_members * per
    position = np.tile(np.arange(per), n_members)
    member = np.repeat(np.arange(n_members), per)
    names = {
        "E": "enroll",
        "P": "purchase",
        "R": "refund",
        "X": "redeem",
        "C": "cancel_redemption",
        "A": "adjust",
    }
    kind = np.tile(np.array([names[k] for k in kinds], dtype=object), n_members)
    start = pd.Timestamp("2025-01-01", tz="Asia/Shanghai")
    step = rng.integers(3_600, 3 * 86_400, n)
    step[position == 0] = 0
    seconds = np.cumsum(step) - np.repeat(np.cumsum(step)[::per] - step[::per], per)
    time_ = start + pd.to_timedelta(seconds + member * 37, unit="s")
    member_ids = np.array([f"M{m:06d}" for m in range(n_members)], dtype=object)[member]
    event_ids = np.char.add(np.char.add(member_ids.astype(str), "-"), position.astype(str))
    event_ids = event_ids.astype(object)
    ref = np.full(n, None, dtype=object)
    back = np.isin(kind, ["refund", "cancel_redemption"])
    ref[back] = event_ids[np.flatnonzero(back) - 1]
    cents = rng.integers(1_000, 60_000, n)
    amount = np.full(n, None, dtype=object)
    buy = kind == "purchase"
    amount[buy] = [f"{c // 100}.{c % 100:02d}" for c in cents[buy]]
    points = pd.array(np.full(n, None, dtype=object), dtype="Int64")
    points[kind == "redeem"] = 300
    points[kind == "adjust"] = 50
    return pd.DataFrame(
        {
            "member_id": member_ids,
            "event_id": event_ids,
            "time": time_,
            "kind": kind,
            "amount": amount,
            "ref": ref,
            "points": points,
            "reward": np.where(kind == "redeem", "coupon", None),
            "reason": np.where(kind == "adjust", "goodwill", None),
            "category": "apparel",
            "channel": "store",
        }
    )


def run_case(case: str, n_members: int) -> dict[str, float]:
    from crmkit.loyalty import replay_many
    from crmkit.loyalty._replay_many import events_from_frame

    club = program()
    if case in ("replay_one", "replay_one_cold", "apply_one", "replay_each_time"):
        table = frame(1)
        events = next(iter(events_from_frame(table, club).values()))  # type: ignore[arg-type]
        as_of = events[-1].time
        if case == "replay_one":
            club.replay(events, as_of=as_of, on_error="skip")  # type: ignore[attr-defined]
            reps = 50
            t0 = time.process_time()
            for _ in range(reps):
                club.replay(events, as_of=as_of, on_error="skip")  # type: ignore[attr-defined]
            seconds = (time.process_time() - t0) / reps
        elif case == "replay_one_cold":
            reps = 50
            cache = club.compile().expiry_cache  # type: ignore[attr-defined]
            seconds = 0.0
            for _ in range(reps):
                cache.clear()
                t0 = time.process_time()
                club.replay(events, as_of=as_of, on_error="skip")  # type: ignore[attr-defined]
                seconds += time.process_time() - t0
            seconds /= reps
        elif case == "apply_one":
            # Warmed up like replay_one (one untimed pass fills the program's caches).
            reps = 20
            for k in range(reps + 1):
                if k == 1:
                    t0 = time.process_time()
                state = club.replay([], as_of=events[0].time, on_error="skip")  # type: ignore[attr-defined]
                for event in events:
                    state = club.apply(state, event)  # type: ignore[attr-defined]
            seconds = (time.process_time() - t0) / reps
        else:
            reps = 2
            t0 = time.process_time()
            for _ in range(reps):
                for k in range(1, len(events) + 1):
                    club.replay(events[:k], as_of=events[k - 1].time, on_error="skip")  # type: ignore[attr-defined]
            seconds = (time.process_time() - t0) / reps
        count = 1
    else:
        if case in ("replay_many_tiers", "replay_many_privileges", "replay_many_caps"):
            club = program(
                by_tier=case == "replay_many_tiers",
                privileges="privileges" in case,
                caps="caps" in case,
            )
            n_members = max(n_members // 10, 1)
        table = frame(n_members)
        as_of = table["time"].max()  # type: ignore[index]
        t0 = time.process_time()
        if case == "frame_to_events":
            events_from_frame(table, club)  # type: ignore[arg-type]
        elif case in (
            "replay_many",
            "replay_many_tiers",
            "replay_many_privileges",
            "replay_many_caps",
        ):
            replay_many(table, club, as_of=as_of, on_error="skip")  # type: ignore[arg-type]
        else:
            wall = time.perf_counter()
            replay_many(table, club, as_of=as_of, workers=2, on_error="skip")  # type: ignore[arg-type]
            wall = time.perf_counter() - wall
        seconds = time.process_time() - t0
        if case == "replay_many_2":
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            seconds += children.ru_utime + children.ru_stime
            count = n_members
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            return {"seconds": seconds, "members": count, "peak_mb": peak_mb, "wall": wall}
        count = n_members
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "members": count, "peak_mb": peak_mb}


def profile() -> None:
    import cProfile
    import pstats

    from crmkit.loyalty._replay_many import events_from_frame

    club = program()
    events = next(iter(events_from_frame(frame(1), club).values()))  # type: ignore[arg-type]
    as_of = events[-1].time
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(30):
        club.replay(events, as_of=as_of, on_error="skip")  # type: ignore[attr-defined]
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def replay_many_to(n_members: int, path: str) -> float:
    """CPU seconds of ``replay_many`` on the bench table; the result is pickled to ``path``."""
    from crmkit.loyalty import replay_many

    club = program()
    table = frame(n_members)
    as_of = table["time"].max()  # type: ignore[index]
    t0 = time.process_time()
    result = replay_many(table, club, as_of=as_of, on_error="skip")  # type: ignore[arg-type]
    seconds = time.process_time() - t0
    result.to_pickle(path)
    return seconds


def against(n_members: int, other_src: str, rounds: int, this_src: str | None = None) -> None:
    """``replay_many`` with the code in ``other_src`` and with this checkout, alternately.

    ``this_src``: the code measured as this checkout's (default its ``src``; e.g.
    ``build/compiled``, the compiled fold ``make compiled`` builds). Each round also times
    the one-member cases (``replay_one``, ``apply_one``) of both, and prints the 1-minute
    load average at its end.
    """
    import pandas as pd

    here = this_src or str(pathlib.Path(__file__).resolve().parents[1] / "src")
    print(f"replay_many, {n_members:,} members x 200 events; CPU s (fresh process each)")
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            seconds: dict[str, float] = {}
            one: dict[str, list[float]] = {}
            for label, src in (("other", other_src), ("this", here)):
                env = {**os.environ, "PYTHONPATH": src}
                out = subprocess.run(
                    [sys.executable, __file__, "--to", str(n_members), f"{tmp}/{label}.pkl"],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                )
                seconds[label] = float(out.stdout)
                one[label] = []
                for case in ("replay_one", "apply_one"):
                    out = subprocess.run(
                        [sys.executable, __file__, case, "1"],
                        capture_output=True,
                        text=True,
                        check=True,
                        env=env,
                    )
                    one[label].append(json.loads(out.stdout)["seconds"] * 1000)
            pd.testing.assert_frame_equal(
                pd.read_pickle(f"{tmp}/other.pkl"),
                pd.read_pickle(f"{tmp}/this.pkl"),
                check_exact=True,
            )
            ratio = seconds["other"] / seconds["this"]
            print(
                f"round {k + 1}: other {seconds['other']:.2f}  this {seconds['this']:.2f}  "
                f"ratio {ratio:.2f}x  results equal; replay_one ms other "
                f"{one['other'][0]:.2f} this {one['this'][0]:.2f}; apply_one ms other "
                f"{one['other'][1]:.2f} this {one['this'][1]:.2f}; "
                f"load average {os.getloadavg()[0]:.1f}"
            )


def main() -> None:
    this_src = None
    if "--this" in sys.argv:  # the code measured as this checkout's (see `against`)
        at = sys.argv.index("--this")
        this_src = sys.argv[at + 1]
        del sys.argv[at : at + 2]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--profile" in sys.argv:
        profile()
        return
    if "--to" in sys.argv:
        print(replay_many_to(int(args[0]), args[1]))
        return
    if "--against" in sys.argv:
        at = sys.argv.index("--against")
        rest = sys.argv[at + 1 :]
        n_members = int(args[0]) if args and args[0] != rest[0] else 1_000
        against(n_members, rest[0], int(rest[1]) if len(rest) > 1 else 1, this_src)
        return
    if len(args) == 2 and args[0] in CASES:
        print(json.dumps(run_case(args[0], int(args[1]))))
        return
    n_members = int(args[0]) if args else 10_000
    print(f"loyalty ledger, 200 events per member, {n_members:,} members for batch cases")
    print(f"{'case':<18} {'CPU s':>9} {'per member ms':>14} {'peak MB':>8}  what")
    for case, what in CASES.items():
        out = subprocess.run(
            [sys.executable, __file__, case, str(n_members)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout)
        per = result["seconds"] / result["members"] * 1000
        print(
            f"{case:<18} {result['seconds']:>9.3f} {per:>14.3f} {result['peak_mb']:>8.0f}  {what}"
        )
        if "wall" in result:
            print(f"{'':<18} wall time {result['wall']:.3f} s with two workers")
    print(f"run on {dt.date.today().isoformat()}")


if __name__ == "__main__":
    main()
