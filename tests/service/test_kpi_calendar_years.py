"""Service KPIs refuse business time beyond the calendar's country holiday years.

Regression: ``backlog(..., calendar=...)`` with business-day ages read the timeline
directly, past the calendar's checks, so a calendar built with
``with_country_holidays("CN", 2025)`` counted 1 and 2 January 2026 (New Year days off)
as working days without a word. Every KPI that measures business time now refuses such a
ticket as the calendar does, in the KPI's name and naming the rows of the caller's frame.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.service import BusinessCalendar, backlog, duration_quantiles
from tests.strategies import examples

WEEK = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
PLAIN = BusinessCalendar("Asia/Shanghai", WEEK)
CN_2025 = PLAIN.with_country_holidays("CN", 2025)
CN_2025_26 = PLAIN.with_country_holidays("CN", [2025, 2026])
H = dt.timedelta(hours=1)
AS_OF = pd.Timestamp("2026-01-05 10:00")
REFUSED = r"found a day in 2026 \(2026-01-01\).*with_country_holidays\('CN', \[2025, 2026\]\)"


def _tickets() -> pd.DataFrame:
    """Row ``a`` stays in December 2025; row ``b`` runs Tue 30 Dec 10:00 -> Mon 5 Jan 10:00."""
    return pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2025-12-01 10:00", "2025-12-30 10:00"]),
            "resolved_at": pd.to_datetime(["2025-12-02 10:00", "2026-01-05 10:00"]),
        },
        index=["a", "b"],
    )


def _resolution(tickets: pd.DataFrame, calendar: BusinessCalendar) -> dt.timedelta | None:
    """The median resolution time (one ticket: its own duration)."""
    result = duration_quantiles(
        tickets, end="resolved_at", q=(0.5,), censoring="exclude", calendar=calendar
    )
    return result.values[0]


def _unresolved(tickets: pd.DataFrame) -> pd.DataFrame:
    """``tickets`` with every ticket still open."""
    return tickets.assign(resolved_at=pd.Series(pd.NaT, tickets.index, "datetime64[ns]"))


def _open_ages(tickets: pd.DataFrame, calendar: BusinessCalendar, **options: Any) -> list[str]:
    """The age buckets holding the open tickets at :data:`AS_OF`."""
    out = backlog(_unresolved(tickets), as_of=AS_OF, calendar=calendar, **options)
    return out.loc[out["tickets"] > 0, "age"].astype(str).tolist()


def test_resolution_reaching_2026_is_refused_naming_the_row() -> None:
    """The 2025-only calendar used to be asked by elapsed_many, in its own name."""
    with pytest.raises(ConfigError, match=r"^duration_quantiles\(\): .*" + REFUSED) as err:
        duration_quantiles(_tickets(), end="resolved_at", q=(0.5,), calendar=CN_2025)
    assert "at rows ['b']" in str(err.value)
    assert _resolution(_tickets().loc[["a"]], CN_2025) == 9 * H  # Mon 1 10:00 to Tue 2 10:00


def test_resolution_with_2026_added_is_hand_checked() -> None:
    """State Council notice for 2026: New Year off Thu 1 to Sat 3 January, Sunday 4
    January worked. Tue 30 Dec 10:00 -> Mon 5 Jan 10:00 is 8 h + 9 h (31 Dec) + 9 h
    (make-up Sunday) + 1 h = 27 business hours; weekly hours alone count Thu 1 and Fri 2
    January and not the Sunday: 8 + 9 + 9 + 9 + 1 = 36 h."""
    b = _tickets().loc[["b"]]
    assert _resolution(b, CN_2025_26) == 27 * H
    assert _resolution(b, PLAIN) == 36 * H
    assert CN_2025_26.elapsed(b["created_at"].iloc[0], b["resolved_at"].iloc[0]) == 27 * H


def test_business_day_backlog_age_reaching_2026_is_refused() -> None:
    """The bug: the business-day age read the timeline directly and answered 4 days
    (30, 31 December, 1 and 2 January) for ticket ``b`` instead of refusing."""
    for age_days in ("business", "24h"):
        with pytest.raises(ConfigError, match=r"^backlog\(\): .*" + REFUSED) as err:
            _open_ages(_tickets(), CN_2025, age_days=age_days)
        assert "at rows ['a', 'b']" in str(err.value)  # both are still open on 5 January


def test_backlog_age_with_2026_added_is_hand_checked() -> None:
    """On Mon 5 Jan 10:00 ticket ``b`` has run 3 business days (30, 31 December and the
    make-up Sunday, from 10:00 to 10:00), 27 business hours = 1.125 days of 24 h; weekly
    hours alone give 4 business days and 36 h = 1.5 days of 24 h."""
    b = _tickets().loc[["b"]]
    assert _open_ages(b, CN_2025_26, buckets=(3, 4)) == ["3-4d"]
    assert _open_ages(b, PLAIN, buckets=(3, 4)) == [">=4d"]
    assert _open_ages(b, CN_2025_26, buckets=(1.25,), age_days="24h") == ["<1.25d"]
    assert _open_ages(b, PLAIN, buckets=(1.25,), age_days="24h") == [">=1.25d"]


def test_a_calendar_without_country_holidays_is_unaffected() -> None:
    """No country years, nothing to cover: every year is served as before."""
    far = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2030-12-30 10:00"]),
            "resolved_at": pd.to_datetime(["2031-01-02 10:00"]),
        }
    )
    assert _resolution(far, PLAIN) == 8 * H + 9 * H + 9 * H + H  # Mon 30 Dec to Thu 2 Jan
    out = backlog(far, as_of=pd.Timestamp("2031-01-01 10:00"), calendar=PLAIN)
    assert out.attrs["total"] == 1


def test_a_ticket_counted_up_to_new_year_midnight_is_covered() -> None:
    """``[start, end)`` is counted: an end at 2026-01-01 00:00 reaches only 2025."""
    t = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2025-12-31 09:00"]),
            "resolved_at": pd.to_datetime(["2026-01-01 00:00"]),
        }
    )
    assert _resolution(t, CN_2025) == 9 * H
    ages = backlog(t, as_of=pd.Timestamp("2025-12-31 23:00"), calendar=CN_2025, buckets=(1,))
    assert ages["tickets"].tolist() == [0, 1]  # one whole business day: 31 December


def test_a_waiting_ticket_is_censored_at_as_of_and_checked_there() -> None:
    """Kaplan-Meier censoring measures a waiting ticket up to ``as_of``: that span is
    what must be covered."""
    t = _unresolved(_tickets())
    with pytest.raises(ConfigError, match=r"at rows \['a', 'b'\]"):
        duration_quantiles(t, end="resolved_at", as_of=AS_OF, calendar=CN_2025)
    ok = duration_quantiles(t, end="resolved_at", as_of="2025-12-31", calendar=CN_2025)
    assert ok.n_censored == 2


# ---------------------------------------------------------------------- scalar = batch

_CALENDARS = st.sampled_from([CN_2025, CN_2025_26, PLAIN])
_SPANS = st.lists(
    st.tuples(st.integers(0, 30 * 24 * 4), st.integers(0, 12 * 24 * 4)),  # quarter-hours
    min_size=1,
    max_size=6,
)
_ORIGIN = dt.datetime(2025, 12, 10)
_FOUND = re.compile(r"found (a day in \d+ \([\d-]+\))")


def _scalar(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> object:
    """``calendar.elapsed`` or the day its refusal names."""
    try:
        return calendar.elapsed(start, end)
    except ConfigError as err:
        found = _FOUND.search(str(err))
        assert found is not None
        return found.group(1)


@settings(max_examples=examples(60), deadline=None)
@given(calendar=_CALENDARS, spans=_SPANS, as_of_after=st.integers(0, 20 * 24 * 4))
def test_kpis_agree_with_the_calendar_row_by_row(
    calendar: BusinessCalendar, spans: list[tuple[int, int]], as_of_after: int
) -> None:
    """Each ticket's business duration equals ``calendar.elapsed``, or both refuse, naming
    the same day; a frame is refused exactly at the rows the scalar refuses, and the
    backlog at the open rows whose age (creation to ``as_of``) the scalar refuses."""
    q = dt.timedelta(minutes=15)
    starts = [_ORIGIN + a * q for a, _ in spans]
    ends = [s + b * q for s, (_, b) in zip(starts, spans, strict=True)]
    labels = [f"t{i}" for i in range(len(spans))]
    frame = pd.DataFrame(
        {"created_at": pd.to_datetime(starts), "resolved_at": pd.to_datetime(ends)},
        index=labels,
    )
    scalar = [_scalar(calendar, s, e) for s, e in zip(starts, ends, strict=True)]
    for i, expected in enumerate(scalar):
        if isinstance(expected, str):
            match = re.escape(f"{expected} at rows ['{labels[i]}']")
            with pytest.raises(ConfigError, match=r"^duration_quantiles\(\): .*" + match):
                _resolution(frame.iloc[[i]], calendar)
        else:
            assert _resolution(frame.iloc[[i]], calendar) == expected
    refused = [label for label, v in zip(labels, scalar, strict=True) if isinstance(v, str)]
    if refused:
        with pytest.raises(ConfigError, match=re.escape(f"at rows {refused[:5]}")):
            _resolution(frame, calendar)
    else:
        _resolution(frame, calendar)

    as_of = _ORIGIN + as_of_after * q
    open_rows = [
        label
        for label, s, e in zip(labels, starts, ends, strict=True)
        if s <= as_of and not e <= as_of
    ]
    aged = [
        label
        for label, s in zip(labels, starts, strict=True)
        if label in open_rows and isinstance(_scalar(calendar, s, as_of), str)
    ]
    for age_days in ("business", "24h"):
        if aged:
            with pytest.raises(ConfigError, match=re.escape(f"at rows {aged[:5]}")):
                backlog(frame, as_of=as_of, calendar=calendar, age_days=age_days)
        else:
            out = backlog(frame, as_of=as_of, calendar=calendar, age_days=age_days)
            assert out.attrs["total"] == len(open_rows)
