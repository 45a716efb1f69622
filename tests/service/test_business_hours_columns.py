"""Business durations as float hours beside the timedeltas.

pandas prints a timedelta of 30 business hours as ``1 days 06:00:00``, which a manager
reads as about one calendar day. Every public frame that holds business time as a
timedelta also carries it as float hours (``*_hours``).

Hand check: a Monday-Friday 09:00-18:00 desk (9 business hours a day); a ticket created
Monday 2025-01-06 09:00 and solved Thursday 2025-01-09 12:00 took 9 + 9 + 9 + 3 = 30
business hours (3 days 3 hours of wall-clock time).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmkit.service import (
    BusinessCalendar,
    SLAPolicy,
    SLATarget,
    duration_quantiles,
    evaluate_sla,
    sla_cycles,
)

DESK = BusinessCalendar(
    "UTC", {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
)
T0 = pd.Timestamp("2025-01-06 09:00", tz="UTC")
SOLVED = pd.Timestamp("2025-01-09 12:00", tz="UTC")
POLICY = SLAPolicy(
    name="standard",
    targets={"*": [SLATarget(metric="resolution", duration="24h", clock="business")]},
    calendar=DESK,
)


def _events() -> tuple[pd.DataFrame, pd.DataFrame]:
    events = pd.DataFrame(
        {
            "ticket_id": ["T1", "T1", "T2"],
            "time": [T0, SOLVED, T0],
            "event": ["created", "solved", "created"],
        }
    )
    return events, pd.DataFrame({"ticket_id": ["T1", "T2", "T3"]})


def test_evaluate_sla_hours_beside_timedeltas() -> None:
    """30 business hours: ``elapsed`` prints as 1 day 6 h, ``elapsed_hours`` is 30.0;
    the 24 h business goal is 24.0 h, 6.0 h over (remaining -6.0); a ticket with no
    cycle has NaN hours where its timedeltas are NaT."""
    events, tickets = _events()
    out = evaluate_sla(events, tickets, POLICY, as_of=SOLVED)
    row = out.loc[("T1", "resolution")]
    assert str(row["elapsed"]) == "1 days 06:00:00"  # the reading the hours column fixes
    assert row["elapsed_hours"] == 30.0
    assert row["goal_hours"] == 24.0
    assert row["remaining_hours"] == -6.0
    assert row["real_elapsed"] == pd.Timedelta(days=3, hours=3)  # wall clock
    assert row["state"] == "breached"
    # T2 is still open at as_of: 30 business hours as well, the same reading.
    assert out.loc[("T2", "resolution"), "elapsed_hours"] == 30.0
    # T3 has no events: NaT timedeltas, NaN hours (never a silent 0).
    t3 = out.loc[("T3", "resolution")]
    assert pd.isna(t3["elapsed"])
    assert np.isnan(t3["elapsed_hours"])
    assert np.isnan(t3["remaining_hours"])
    # The hours columns sit right after ``used`` and equal the timedeltas exactly.
    columns = list(out.columns)
    assert columns[columns.index("used") + 1 : columns.index("used") + 4] == [
        "goal_hours",
        "elapsed_hours",
        "remaining_hours",
    ]
    for name in ("goal", "elapsed", "remaining"):
        seconds = out[name].dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
        np.testing.assert_array_equal(out[f"{name}_hours"].to_numpy(), seconds / 3600)


def test_sla_cycles_hours_beside_timedeltas() -> None:
    """The cycle history carries the same hours as the summary's current cycle."""
    events, tickets = _events()
    cycles = sla_cycles(events, tickets, POLICY, as_of=SOLVED)
    row = cycles.loc[("T1", "resolution", 0)]
    assert (row["goal_hours"], row["elapsed_hours"], row["remaining_hours"]) == (
        24.0,
        30.0,
        -6.0,
    )


def test_duration_quantiles_to_frame_hours() -> None:
    """Business-time percentiles: ``value`` prints as 1 day 6 h, ``value_hours`` is 30.0;
    a bound that is not reached is NaT and NaN (not 0)."""
    tickets = pd.DataFrame(
        {
            "created_at": [T0, T0],
            "first_reply_at": [SOLVED, SOLVED + dt.timedelta(hours=24)],  # 30 h, 39 h
        }
    )
    result = duration_quantiles(tickets, q=(0.5,), calendar=DESK)
    assert result.business_time
    frame = result.to_frame()
    assert list(frame.columns) == [
        "q",
        "value",
        "lower",
        "upper",
        "value_hours",
        "lower_hours",
        "upper_hours",
    ]
    assert str(frame.loc[0, "value"]) == "1 days 06:00:00"
    assert frame.loc[0, "value_hours"] == 30.0
    # Two tickets: the plain Greenwood band at P50 has no upper bound (n/r).
    assert pd.isna(frame.loc[0, "upper"])
    assert np.isnan(frame.loc[0, "upper_hours"])
    assert result.format().startswith("P50 30.0 h")
