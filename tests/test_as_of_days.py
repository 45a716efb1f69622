"""One reading of ``as_of`` across the library: a date means the end of that day.

Regression: ``summarize(tx, as_of="2025-06-30")`` counted the purchases of 30 June, while
the service KPIs and SLA evaluation read the same text as 30 June 00:00 (leaving the day
out), ``Program.replay`` and ``replay_many`` refused it, and the loyalty CLI's
``--as-of 2025-12-31`` (its own example) left out the events of 31 December. Every
``as_of`` is now read by ``crmkit._validate.cutoff_value``.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import zoneinfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit._validate import cutoff_value, is_whole_day
from crmkit.errors import ConfigError, SchemaError
from crmkit.loyalty import (
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    breakage,
    points_liability,
    replay_many,
)
from crmkit.segmentation import summarize
from crmkit.service import (
    BusinessCalendar,
    SLAPolicy,
    SLATarget,
    SLATracker,
    backlog,
    duration_quantiles,
    evaluate_sla,
    evaluate_ticket,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
ZONES = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/Santiago", "America/New_York"]


# ------------------------------------------------------------------------------ the reader


def test_a_day_in_any_spelling_is_the_same_cutoff() -> None:
    cuts = {
        cutoff_value(value, "f()", "as_of", tz="Asia/Shanghai")
        for value in ("2025-06-30", " 20250630 ", dt.date(2025, 6, 30), np.datetime64("2025-06-30"))
    }
    assert len(cuts) == 1
    (cut,) = cuts
    assert cut.whole_day
    assert not cut.aware
    assert cut.end == pd.Timestamp("2025-07-01", tz="Asia/Shanghai")
    assert cut.last == pd.Timestamp("2025-06-30 23:59:59.999999999", tz="Asia/Shanghai")
    assert cut.label == pd.Timestamp("2025-06-30", tz="Asia/Shanghai")


def test_a_day_written_year_first_unpadded_is_a_whole_day() -> None:
    """Regression: the date reader reads ``2025/9/30`` and ``2025-9-30`` (Excel in China), but
    ``as_of="2025/9/30"`` was 30 September's first instant, leaving out the rest of the day
    that ``as_of="2025-09-30"`` includes."""
    padded = cutoff_value("2025-09-30", "f()", "as_of", tz="Asia/Shanghai")
    for value in ("2025/9/30", "2025-9-30", "2025.9.30", "2025 9 30", " 2025/09/30 "):
        assert is_whole_day(value), value
        assert cutoff_value(value, "f()", "as_of", tz="Asia/Shanghai") == padded, value
    assert not is_whole_day("2025/9-30")  # two separators: not a form the reader takes


@pytest.mark.parametrize("value", ["2025-0930", "202509-30"])
def test_a_mix_of_iso_basic_and_extended_is_not_a_day(value: str) -> None:
    """Regression: ``is_whole_day("2025-0930")`` said True (one pattern made each hyphen
    optional on its own), though the date reader refuses the text: it is no date at all."""
    assert not is_whole_day(value)
    with pytest.raises(ConfigError):
        cutoff_value(value, "f()", "as_of", tz="Asia/Shanghai")


@pytest.mark.parametrize("value", ["now", "today", " Today ", "NOW", "2025-06", "2025", "2025-6"])
def test_words_and_partial_dates_are_refused(value: str) -> None:
    """Regression: pandas' ISO 8601 reader took ``now`` and ``today`` (the system clock: a
    report that changes every run) and ``2025-06``/``2025`` (a month or a year read as its
    first instant), in ``as_of`` and in date columns alike."""
    with pytest.raises(ConfigError) as info:
        cutoff_value(value, "f()", "as_of")
    assert info.value.field == "as_of"
    tx = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2025-06-01", value], "amount": [1.0, 2.0]}
    )
    with pytest.raises(SchemaError) as column:
        summarize(tx, as_of="2025-07-01")
    assert column.value.field == "date"
    assert list(column.value.rows) == [1]


@pytest.mark.parametrize("offset", ["+24:00", "-24:00", "+2400", "+30"])
def test_an_offset_of_a_day_or_more_is_refused_with_the_field(offset: str) -> None:
    """Regression: ``2025-06-30T10:00+24:00`` raised Python's bare ValueError."""
    with pytest.raises(ConfigError) as info:
        cutoff_value(f"2025-06-30T10:00{offset}", "f()", "as_of")
    assert info.value.field == "as_of"
    tx = pd.DataFrame(
        {"customer_id": ["a"], "date": [f"2025-06-01T10:00{offset}"], "amount": [1.0]}
    )
    with pytest.raises(SchemaError) as column:
        summarize(tx, as_of="2025-07-01")
    assert column.value.field == "date"


def test_an_instant_is_in_itself() -> None:
    cut = cutoff_value("2025-06-30T18:00+02:00", "f()", "as_of", tz="Asia/Shanghai")
    assert (cut.whole_day, cut.aware) == (False, True)
    assert cut.last == pd.Timestamp("2025-07-01 00:00", tz="Asia/Shanghai")
    naive = cutoff_value("2025-06-30 18:00", "f()", "as_of")
    assert (naive.whole_day, naive.aware) == (False, False)
    assert naive.last == pd.Timestamp("2025-06-30 18:00")
    # A datetime at midnight is an instant, not a day (only dates name a day).
    assert not is_whole_day(dt.datetime(2025, 6, 30))
    assert not is_whole_day(pd.Timestamp("2025-06-30"))
    assert not is_whole_day("2025-06-30T00:00")


def test_a_day_whose_next_midnight_a_dst_change_skips() -> None:
    """Chile moved its clocks from 2024-09-08 00:00 to 01:00: 7 September ends at 01:00."""
    cut = cutoff_value("2024-09-07", "f()", "as_of", tz="America/Santiago")
    assert cut.end == pd.Timestamp("2024-09-08 01:00", tz="America/Santiago")
    assert cut.end - cut.label == pd.Timedelta(hours=24)  # 00:00 -04 to 01:00 -03


def test_bad_cutoffs_are_refused_with_the_field() -> None:
    for value in (None, 20250630, "2025-02-30", "30/06/2025", float("nan")):
        with pytest.raises(ConfigError) as info:
            cutoff_value(value, "f()", "as_of")
        assert info.value.field == "as_of"


@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 30)),
    zone=st.sampled_from(ZONES),
)
def test_days_tile_time(day: dt.date, zone: str) -> None:
    """Each day ends where the next begins, holds its own midnight, and lasts 22-26 h."""
    cut = cutoff_value(day, "f()", "as_of", tz=zone)
    following = cutoff_value(day + dt.timedelta(days=1), "f()", "as_of", tz=zone)
    assert cut.end == following.label
    assert cut.label <= cut.last < cut.end
    assert pd.Timedelta(hours=22) <= cut.end - cut.label <= pd.Timedelta(hours=26)
    assert cut == cutoff_value(day.isoformat(), "f()", "as_of", tz=zone)
    assert cut.last.tz_convert(zone).date() == day


# ----------------------------------------------------------------------- across the library


def test_segmentation_counts_the_day() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2025-06-01 00:00", "2025-06-30 23:30", "2025-07-01 00:00"]),
            "amount": [10.0, 20.0, 5.0],
        }
    )
    s = summarize(tx, as_of="2025-06-30")
    assert s.loc["a", "frequency"] == 2
    assert "b" not in s.index
    assert s.equals(summarize(tx, as_of=dt.date(2025, 6, 30)))
    assert s.equals(summarize(tx, as_of="20250630"))


def _tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2025-06-29 09:00", "2025-06-30 18:00"]).tz_localize(SH),
            "first_reply_at": pd.to_datetime(["2025-06-29 10:00", pd.NaT]).tz_localize(SH),
            "resolved_at": pd.to_datetime([pd.NaT, "2025-06-30 23:00"]).tz_localize(SH),
        }
    )


def test_service_kpis_read_a_day_as_its_end() -> None:
    t = _tickets()
    end = pd.Timestamp("2025-06-30 23:59:59.999999999", tz=SH)
    day = duration_quantiles(t, q=(0.5,), end="resolved_at", as_of="2025-06-30")
    instant = duration_quantiles(t, q=(0.5,), end="resolved_at", as_of=end)
    assert (day.n, day.n_events, day.n_censored) == (instant.n, instant.n_events, 1) == (2, 1, 1)
    assert day.values == instant.values
    # The ticket created at 18:00 that day is in the snapshot; at 00:00 it was not.
    b = backlog(t, as_of=dt.date(2025, 6, 30))
    assert b.attrs["total"] == 1
    assert backlog(t, as_of=pd.Timestamp("2025-06-30", tz=SH)).attrs["total"] == 1
    assert backlog(t, as_of=pd.Timestamp("2025-06-30 20:00", tz=SH)).attrs["total"] == 2


def test_sla_reads_a_day_as_its_last_second() -> None:
    cal = BusinessCalendar("Asia/Shanghai", {d: [["09:00", "18:00"]] for d in ("mon", "tue")})
    policy = SLAPolicy(
        name="p",
        targets={"*": [SLATarget(metric="resolution", duration="4h", clock="business")]},
        calendar=cal,
    )
    history = [(dt.datetime(2025, 6, 30, 17), "created")]  # a Monday, 17:00
    day = evaluate_ticket(history, policy, as_of="2025-06-30")
    last = evaluate_ticket(history, policy, as_of=dt.datetime(2025, 6, 30, 23, 59, 59))
    assert day.as_of == last.as_of == dt.datetime(2025, 6, 30, 23, 59, 59, tzinfo=SH)
    assert day.targets == last.targets
    tracker = SLATracker.start(policy).record("created", history[0][0])
    assert tracker.evaluate(dt.date(2025, 6, 30)).targets == day.targets
    events = pd.DataFrame(
        {"ticket_id": ["A"], "event": ["created"], "time": [pd.Timestamp("2025-06-30 17:00")]}
    )
    tickets = pd.DataFrame({"ticket_id": ["A"]})
    batch = evaluate_sla(events, tickets, policy, as_of="2025-06-30")
    at_last = evaluate_sla(events, tickets, policy, as_of="2025-06-30 23:59:59")
    pd.testing.assert_frame_equal(batch, at_last)
    assert batch["state"].astype(str).tolist() == ["running"]
    target = SLATarget(metric="resolution", duration="4h", clock="calendar")
    no_zone = SLAPolicy(name="p", targets={"*": [target]})
    with pytest.raises(ConfigError, match="no zone to read a day in"):
        evaluate_ticket([(dt.datetime(2025, 6, 30, 17, tzinfo=SH), "created")], no_zone,
                        as_of="2025-06-30")  # fmt: skip


def _program() -> Program:
    return Program(timezone="Asia/Shanghai", expiry=ExpiryPolicy.fixed_date(6, 30, 1))


def _events() -> list[Purchase]:
    return [
        Purchase("p1", dt.datetime(2024, 6, 1, 12, tzinfo=SH), lines=[PurchaseLine("1", "100")]),
        Purchase("p2", dt.datetime(2025, 6, 30, 23, tzinfo=SH), lines=[PurchaseLine("1", "40")]),
    ]


def test_loyalty_reads_a_day_as_its_last_microsecond() -> None:
    """Points valid "through 30 June" are still there at the end of 30 June."""
    program = _program()
    last = dt.datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=SH)
    day = program.replay(_events(), as_of="2025-06-30")
    assert day.as_of == last
    assert day.available == program.replay(_events(), as_of=last).available == 140
    assert program.replay(_events(), as_of=dt.date(2025, 6, 30)).available == 140
    # The day after, the 2024 points have expired (the purchase of 30 June has not).
    assert program.replay(_events(), as_of="2025-07-01").available == 40
    assert program.replay(_events(), as_of="2025-06-30T12:00").available == 100


def test_loyalty_batch_and_finance_read_a_day_as_its_end() -> None:
    program = _program()
    frame = pd.DataFrame(
        {
            "member_id": ["m1", "m1"],
            "event_id": ["p1", "p2"],
            "time": ["2024-06-01T12:00", "2025-06-30T23:00"],
            "kind": ["purchase", "purchase"],
            "amount": ["100", "40"],
        }
    )
    last = dt.datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=SH)
    pd.testing.assert_frame_equal(
        replay_many(frame, program, as_of="2025-06-30"), replay_many(frame, program, as_of=last)
    )
    assert replay_many(frame, program, as_of="2025-06-30")["available"].tolist() == [140]
    state = program.replay(_events(), as_of=last)
    pd.testing.assert_frame_equal(
        points_liability([state], as_of="2025-06-30"), points_liability([state], as_of=last)
    )
    after = last + dt.timedelta(days=1)  # the end of 1 July, once the 2024 points expired
    day, instant = (
        breakage(frame, program, as_of=dt.date(2025, 7, 1)),
        breakage(frame, program, as_of=after),
    )
    assert day.rate == 1.0  # the 2024 cohort: all 100 points expired unredeemed
    pd.testing.assert_frame_equal(day.cohorts, instant.cohorts)
    assert day == instant


def test_loyalty_cli_as_of_a_day_counts_the_day(tmp_path: pathlib.Path) -> None:
    from crmkit.cli import main

    events = tmp_path / "events.csv"
    events.write_text(
        "member_id,event_id,time,kind,amount\n"
        "m1,p1,2025-12-30T10:00,purchase,100\n"
        "m1,p2,2025-12-31T18:00,purchase,40\n",
        encoding="utf-8",
    )
    program = tmp_path / "program.json"
    program.write_text(json.dumps(Program(timezone="Asia/Shanghai").to_dict()), encoding="utf-8")
    out = tmp_path / "states.csv"
    code = main(["loyalty", str(events), "--program", str(program), "--as-of", "2025-12-31",
                 "-o", str(out)])  # fmt: skip
    assert code == 0
    assert pd.read_csv(out)["available"].tolist() == [140]
