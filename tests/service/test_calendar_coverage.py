"""Country holidays cover the years they were added for, and arithmetic refuses the others.

``with_country_holidays("CN", 2025)`` used to give a calendar that treated 1 January 2026
as a working day without a word. The calendar now records the years it was given
(``country_years``, stored in its JSON form) and refuses a computation that reaches a day
outside them, naming the year and the call that adds it.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.service import (
    BusinessCalendar,
    SLAPolicy,
    SLATarget,
    evaluate_sla,
    evaluate_ticket,
)
from tests.strategies import examples

WEEK = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
PLAIN = BusinessCalendar("Asia/Shanghai", WEEK)
CN_2025 = PLAIN.with_country_holidays("CN", 2025)
CN_2025_26 = PLAIN.with_country_holidays("CN", [2025, 2026])
H = dt.timedelta(hours=1)
REFUSED = r"found a day in 2026 \(2026-01-01\).*with_country_holidays\('CN', \[2025, 2026\]\)"


def test_new_year_2026_is_a_day_off_once_2026_is_added() -> None:
    """State Council notice for 2026: New Year off Thu 1 to Sat 3 January, Sunday 4
    January worked (the holidays package agrees). A ticket on Tue 30 December 2025 at
    10:00 with 24 business hours: 8 h that day, 9 h on the 31st, the last 7 h on the
    make-up Sunday, so 2026-01-04 16:00."""
    created = dt.datetime(2025, 12, 30, 10)
    assert not CN_2025_26.is_business_day(dt.date(2026, 1, 1))
    assert not CN_2025_26.is_business_day(dt.date(2026, 1, 2))
    assert CN_2025_26.is_business_day(dt.date(2026, 1, 4))
    due = CN_2025_26.due_at(created, 24 * H)
    assert due.isoformat() == "2026-01-04T16:00:00+08:00"
    assert CN_2025_26.elapsed(created, due) == 24 * H


def test_a_deadline_past_the_years_is_refused_not_guessed() -> None:
    """The 2025-only calendar used to answer 2026-01-01 16:00 (New Year as a working day)."""
    created = dt.datetime(2025, 12, 30, 10)
    for call in (
        lambda: CN_2025.due_at(created, 24 * H),
        lambda: CN_2025.add(created, 24 * H),
        lambda: CN_2025.breach_at(created, 24 * H),
        lambda: CN_2025.elapsed(created, dt.datetime(2026, 1, 5)),
        lambda: CN_2025.is_open(dt.datetime(2026, 1, 1, 10)),
        lambda: CN_2025.next_open(dt.datetime(2025, 12, 31, 18)),
        lambda: CN_2025.subtract(dt.datetime(2026, 1, 5, 10), 12 * H),
        lambda: CN_2025.is_business_day(dt.date(2026, 1, 1)),
        lambda: CN_2025.add_days(dt.date(2025, 12, 31), 1),
        lambda: CN_2025.business_days_between(dt.date(2025, 12, 1), dt.date(2026, 1, 2)),
        lambda: list(CN_2025.periods(created, dt.datetime(2026, 1, 5))),
    ):
        with pytest.raises(ConfigError, match=REFUSED):
            call()
    with pytest.raises(ConfigError, match=r"found a day in 2024 \(2024-12-31\)"):
        CN_2025.subtract(dt.datetime(2025, 1, 2, 10), 10 * H)


def test_the_covered_years_themselves_still_work() -> None:
    """Up to the end of 2025 nothing changes; [start, end) spans may end at midnight."""
    new_year = dt.datetime(2026, 1, 1)
    assert CN_2025.elapsed(dt.datetime(2025, 12, 31), new_year) == 9 * H
    assert CN_2025.business_days_between(dt.date(2025, 12, 29), dt.date(2026, 1, 1)) == 3
    assert CN_2025.due_at(dt.datetime(2025, 12, 31, 9), 9 * H).isoformat() == (
        "2025-12-31T18:00:00+08:00"
    )
    assert [b - a for a, b in CN_2025.periods(dt.datetime(2025, 12, 31), new_year)] == [9 * H]
    assert CN_2025.holiday_years == (2025, 2025)


def test_a_calendar_without_country_holidays_serves_every_year() -> None:
    """Weekly hours, explicit holidays and recurrences alone: no years to cover."""
    cal = PLAIN.with_holidays(["2030-01-01"])
    assert cal.holiday_years is None
    assert cal.due_at(dt.datetime(2029, 12, 31, 10), 9 * H).isoformat() == (
        "2030-01-02T10:00:00+08:00"
    )
    assert "country_years" not in cal.to_dict()


def test_json_round_trip_keeps_the_years() -> None:
    """``country_years`` is part of the stored calendar: a reloaded one refuses alike."""
    data = json.loads(json.dumps(CN_2025.to_dict()))
    assert data["country_years"] == {"CN": [2025]}
    again = BusinessCalendar.from_dict(data)
    assert again == CN_2025
    with pytest.raises(ConfigError, match=REFUSED):
        again.due_at(dt.datetime(2025, 12, 30, 10), 24 * H)
    wider = again.with_country_holidays("CN", 2026)
    assert wider.country_years == (("CN", (2025, 2026)),)
    assert wider.due_at(dt.datetime(2025, 12, 30, 10), 24 * H).day == 4


def test_years_must_make_one_span() -> None:
    """A gap would let a deadline cross an unknown year: refused when built and loaded."""
    with pytest.raises(ConfigError, match=r"leaving out \[2025\]"):
        PLAIN.with_country_holidays("CN", 2024).with_country_holidays("CN", 2026)
    with pytest.raises(ConfigError, match=r"country_years\.CN' must be consecutive years"):
        BusinessCalendar.from_dict({**PLAIN.to_dict(), "country_years": {"CN": [2024, 2026]}})
    with pytest.raises(ConfigError, match="share at least one year"):
        BusinessCalendar.from_dict(
            {**PLAIN.to_dict(), "country_years": {"CN": [2024], "DE": [2026]}}
        )
    with pytest.raises(ConfigError, match="share at least one year"):
        PLAIN.with_country_holidays("CN", 2025).with_country_holidays("DE", 2026)


def test_several_countries_cover_the_years_they_share() -> None:
    """A desk serving China and Germany knows a year only when it has both countries'."""
    both = CN_2025_26.with_country_holidays("DE", 2025, subdiv="BE")
    assert both.holiday_years == (2025, 2025)
    with pytest.raises(ConfigError, match=r"with_country_holidays\('DE', \[2025, 2026\], subdiv="):
        both.due_at(dt.datetime(2025, 12, 30, 10), 24 * H)


def test_overnight_hours_of_the_last_day_before_the_years() -> None:
    """02:00 on 1 January 2025 belongs to 31 December 2024's night shift: unknown day."""
    night = BusinessCalendar("Asia/Shanghai", [[("22:00", "06:00")]] * 7)
    cal = night.with_country_holidays("CN", 2025)
    with pytest.raises(ConfigError, match=r"found a day in 2024 \(2024-12-31\)"):
        cal.is_open(dt.datetime(2025, 1, 1, 2))
    assert not cal.is_open(dt.datetime(2025, 1, 1, 7))  # New Year owns no shift


def test_bulk_refuses_the_same_rows_as_the_scalar() -> None:
    """add_many / elapsed_many / add_days_many name the rows whose answers need 2026."""
    created = pd.Series(
        pd.to_datetime(["2025-12-01 10:00", "2025-12-30 10:00", None]), index=["a", "b", "c"]
    )
    with pytest.raises(ConfigError, match=r"found a day in 2026.* at rows \['b'\]"):
        CN_2025.add_many(created, 24 * H)
    ok = CN_2025_26.add_many(created, 24 * H)
    assert ok["b"] == pd.Timestamp("2026-01-04 16:00", tz="Asia/Shanghai")
    assert CN_2025.add_many(created.iloc[[0, 2]], 24 * H).notna().tolist() == [True, False]
    ends = pd.Series(pd.to_datetime(["2026-01-01", "2026-01-02", None]), index=created.index)
    with pytest.raises(ConfigError, match=r"at rows \['b'\]"):
        CN_2025.elapsed_many(created, ends)
    first = CN_2025.elapsed_many(created.iloc[:1], ends.iloc[:1]).iloc[0]
    assert first == pd.Timedelta(hours=8 + 22 * 9)  # Mon 1 to Wed 31 December, from 10:00
    days = np.array(["2025-12-30", "2025-12-31"], dtype="datetime64[D]")
    with pytest.raises(ConfigError, match=r"at rows \[1\]"):
        CN_2025.add_days_many(days, 1)
    with pytest.raises(ConfigError, match=r"at rows \[1\]"):
        CN_2025.is_business_day_many(np.array(["2025-12-31", "2026-01-01"], "datetime64[D]"))


def _policy(calendar: BusinessCalendar) -> SLAPolicy:
    return SLAPolicy(
        name="p",
        calendar=calendar,
        targets={
            "*": [
                SLATarget(metric="first_response", duration="8h", clock="business"),
                SLATarget(metric="resolution", duration="2bd", clock="business"),
            ]
        },
    )


_EVENTS = ["agent_reply", "pending", "open", "solved", "reopened", "customer_reply"]


@settings(max_examples=examples(60), deadline=None)
@given(
    start=st.integers(0, 40 * 24),  # hours after 2025-12-01 00:00
    steps=st.lists(st.tuples(st.integers(1, 60), st.sampled_from(_EVENTS)), max_size=5),
    as_of_after=st.integers(0, 400),
)
def test_one_ticket_and_batch_refuse_alike(
    start: int, steps: list[tuple[int, str]], as_of_after: int
) -> None:
    """Scalar = batch around the end of the covered years: both answer the same, or both
    refuse with the same message."""
    t = pd.Timestamp("2025-12-01", tz="Asia/Shanghai") + pd.Timedelta(hours=start)
    history = [(t, "created")]
    for hours, event in steps:
        t += pd.Timedelta(hours=hours)
        history.append((t, event))
    as_of = t + pd.Timedelta(hours=as_of_after)
    policy = _policy(CN_2025)
    events = pd.DataFrame(
        {"ticket_id": "A", "time": [x for x, _ in history], "event": [e for _, e in history]}
    )
    tickets = pd.DataFrame({"ticket_id": ["A"]})
    outcomes: list[object] = []
    try:
        out = evaluate_sla(events, tickets, policy, as_of=as_of)
        outcomes.append([(r.state, r.due_at) for r in out.itertuples()])
    except ConfigError as err:
        outcomes.append(str(err))
    try:
        one = evaluate_ticket(
            [(x.to_pydatetime(), e) for x, e in history], policy, as_of=as_of.to_pydatetime()
        )
        outcomes.append(
            [(r.state, None if r.due_at is None else pd.Timestamp(r.due_at)) for r in one.targets]
        )
    except ConfigError as err:
        outcomes.append(str(err))
    batch, scalar = outcomes
    if isinstance(batch, str) or isinstance(scalar, str):
        assert batch == scalar
        assert "2026" in batch
    else:
        assert [(s, pd.isna(d) or d) for s, d in batch] == [(s, d is None or d) for s, d in scalar]
