"""Service KPIs refuse naive times that a daylight-saving change skips or repeats.

Regression (hunt, session 14): with a calendar in a daylight-saving zone, naive ticket
times such as 01:30 on the night New York falls back (it happens twice) or 02:30 on the
night it springs forward (it never happens) made every KPI raise pandas' bare
``ValueError`` ("Cannot infer dst time ..."), naming neither the column nor the rows.
``evaluate_sla`` refused the same times with an :class:`InvalidInputError`; the KPIs now
refuse them the same way, and never pick one reading.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.service import (
    BusinessCalendar,
    backlog,
    duration_quantiles,
)
from tests.strategies import examples

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
NY = BusinessCalendar("America/New_York", {d: [["00:00", "24:00"]] for d in ALL_DAYS})
LONDON = BusinessCalendar("Europe/London", {d: [["08:00", "20:00"]] for d in ALL_DAYS})
REPEATED = pd.Timestamp("2025-11-02 01:30")  # New York falls back at 02:00 EDT
SKIPPED = pd.Timestamp("2025-03-09 02:30")  # New York springs forward at 02:00 EST


def _tickets(created: list[pd.Timestamp]) -> pd.DataFrame:
    """Tickets on labels 10, 11, ... (not positions), each resolved 5 hours after creation."""
    return pd.DataFrame(
        {
            "ticket_id": [f"T{k}" for k in range(len(created))],
            "created_at": created,
            "first_reply_at": [t + pd.Timedelta(hours=5) for t in created],
            "resolved_at": [t + pd.Timedelta(hours=5) for t in created],
        },
        index=range(10, 10 + len(created)),
    )


KPIS = {
    "duration_quantiles": lambda t: duration_quantiles(t, calendar=NY, as_of="2025-12-01"),
    "backlog": lambda t: backlog(t, as_of="2025-12-01", calendar=NY),
}


@pytest.mark.parametrize("kpi", ["duration_quantiles", "backlog"])
@pytest.mark.parametrize("bad", [REPEATED, SKIPPED], ids=["repeated", "skipped"])
def test_kpis_refuse_a_time_the_calendar_zone_skips_or_repeats(kpi: str, bad: pd.Timestamp) -> None:
    """The error names the column and the row label, not pandas' internals."""
    frame = _tickets([pd.Timestamp("2025-10-01 10:00"), bad])
    with pytest.raises(InvalidInputError, match="exist exactly once in America/New_York") as err:
        KPIS[kpi](frame)
    assert err.value.field == "created_at"
    assert list(err.value.rows) == [11]


def test_a_missing_end_is_not_flagged_as_a_skipped_time() -> None:
    """Only the rows with a time that does not exist once are named (NaT stays missing)."""
    frame = _tickets([pd.Timestamp("2025-10-01 10:00"), pd.Timestamp("2025-10-02 10:00")])
    frame["first_reply_at"] = [pd.NaT, REPEATED]
    with pytest.raises(InvalidInputError) as err:
        duration_quantiles(frame, calendar=NY, as_of="2025-12-01")
    assert (err.value.field, list(err.value.rows)) == ("first_reply_at", [11])


def test_times_that_exist_once_still_work_across_the_change() -> None:
    """Hand-checked: 01:00 EDT to 01:00 EST on the fall-back night is 25 h of a 24x7 desk."""
    frame = _tickets([pd.Timestamp("2025-11-01 01:00")])
    frame["first_reply_at"] = [pd.Timestamp("2025-11-02 03:00")]
    result = duration_quantiles(frame, calendar=NY, q=(0.5,))
    assert result.values == (dt.timedelta(hours=27),)


@settings(max_examples=examples(30), deadline=None)
@given(
    minutes=st.lists(st.integers(-180, 180), min_size=1, max_size=6),
    zone=st.sampled_from(["ny_fall", "ny_spring", "london_fall", "london_spring"]),
)
def test_refused_exactly_when_some_time_does_not_exist_once(minutes: list[int], zone: str) -> None:
    """Every KPI either answers or names exactly the rows pandas cannot localize once."""
    calendar, night = {
        "ny_fall": (NY, "2025-11-02 01:00"),
        "ny_spring": (NY, "2025-03-09 02:00"),
        "london_fall": (LONDON, "2025-10-26 01:00"),
        "london_spring": (LONDON, "2025-03-30 01:00"),
    }[zone]
    created = [pd.Timestamp(night) + pd.Timedelta(minutes=m) for m in minutes]
    local = pd.Series(created).dt.tz_localize(calendar.zone, ambiguous="NaT", nonexistent="NaT")
    bad = [10 + k for k, missing in enumerate(local.isna()) if missing]
    frame = _tickets(created)
    for name in ("duration_quantiles", "backlog"):
        run = {
            "duration_quantiles": lambda: duration_quantiles(
                frame, calendar=calendar, as_of="2026-01-01"
            ),
            "backlog": lambda: backlog(frame, as_of="2026-01-01", calendar=calendar),
        }[name]
        if bad:
            with pytest.raises(InvalidInputError) as err:
                run()
            assert err.value.field == "created_at"
            assert list(err.value.rows) == bad[:5]
        else:
            run()
