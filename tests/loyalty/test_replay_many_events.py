"""Tests of the table -> events phase of ``replay_many`` (``iter_member_events``).

The batch reader builds one-row events straight into their slots, shares equal purchase
lines and makes datetimes from numpy's wall-clock fields; these tests hold it to the
checked constructors and to pandas' own datetime conversion.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import Program, Purchase, replay_many
from crmkit.loyalty._replay_many import (
    _datetimes,
    _member_events,
    events_from_frame,
    iter_member_events,
)
from tests.strategies import (
    EVENT_ZONES,
    event_instants,
    examples,
    loyalty_event_tables,
    repeated_value_event_tables,
)


def _same_time(got: Any, want: dt.datetime) -> None:
    """The same datetime: type, instant, wall clock, fold and tzinfo object."""
    assert type(got) is dt.datetime
    assert got == want
    assert got.replace(tzinfo=None) == want.replace(tzinfo=None)
    assert (got.fold, got.utcoffset()) == (want.fold, want.utcoffset())
    assert got.tzinfo is want.tzinfo


@settings(max_examples=examples(150), deadline=None)
@given(
    zone=st.sampled_from(EVENT_ZONES),
    instants=st.lists(event_instants(), min_size=1, max_size=40),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
)
def test_datetimes_equal_pandas_conversion(
    zone: str, instants: list[dt.datetime], unit: str
) -> None:
    """Every element equals ``to_pydatetime``'s: wall clock, fold (the repeated hour of a
    daylight saving change), offset and the zone object, in any datetime unit."""
    times = pd.Series(
        pd.DatetimeIndex(instants).tz_convert(zone).as_unit(unit), index=range(7, 7 + len(instants))
    )
    want = np.asarray(times.dt.to_pydatetime(), dtype=object)
    got = _datetimes(times)
    assert got.dtype == object
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        _same_time(g, w)


def test_datetimes_keep_the_fold_of_the_repeated_hour() -> None:
    """New York, 2 November 2025: 01:30 happens at 05:30 UTC (EDT, fold 0) and again at
    06:30 UTC (EST, fold 1); 00:30 and 02:30 happen once (fold 0)."""
    utc = pd.DatetimeIndex(["2025-11-02 04:30", "2025-11-02 05:30", "2025-11-02 06:30",
                            "2025-11-02 07:30"], tz="UTC")  # fmt: skip
    times = pd.Series(utc.tz_convert("America/New_York"))
    got = _datetimes(times)
    assert [(t.hour, t.minute, t.fold) for t in got] == [
        (0, 30, 0),
        (1, 30, 0),
        (1, 30, 1),
        (2, 30, 0),
    ]
    assert [t.utcoffset() for t in got] == [dt.timedelta(hours=h) for h in (-4, -4, -5, -5)]
    assert all(t.tzinfo is times.dt.tz for t in got)


@settings(max_examples=examples(80), deadline=None)
@given(drawn=repeated_value_event_tables())
def test_events_of_a_table_equal_the_checked_constructors(
    drawn: tuple[pd.DataFrame, dict[str, list[Any]], str],
) -> None:
    """Events read from a table of repeated values (string or object columns, zones with
    daylight saving changes) equal the same events built by the checked constructors
    (``Purchase(...)``, ``Refund(...)``, ...): same classes, values, order and times."""
    table, objects, zone = drawn
    program = Program(timezone=zone)
    before = table.copy()
    got = events_from_frame(table, program)
    pd.testing.assert_frame_equal(table, before)
    assert list(got) == list(objects)
    for member, events in objects.items():
        assert [type(e) for e in got[member]] == [type(e) for e in events]
        assert got[member] == events
        for g, w in zip(got[member], events, strict=True):
            _same_time(g.time, w.time.astimezone(program.zone))
            if isinstance(w, Purchase):
                for line_got, line_want in zip(g.lines, w.lines, strict=True):
                    assert str(line_got.amount) == str(line_want.amount)  # "12.5" != "12.50"
                    assert str(line_got.discount) == str(line_want.discount)


@settings(max_examples=examples(60), deadline=None)
@given(drawn=repeated_value_event_tables())
def test_instants_handed_to_the_fold_are_the_event_times_in_utc(
    drawn: tuple[pd.DataFrame, dict[str, list[Any]], str],
) -> None:
    """The UTC instants the reader hands to the fold (instead of the fold converting each
    event's time) are exactly ``time.astimezone(UTC)``: value, zone object and fold, in
    zones with daylight saving changes; the events are those of ``iter_member_events``."""
    table, _, zone = drawn
    program = Program(timezone=zone)
    plain = list(iter_member_events(table, program))
    with_instants = list(_member_events(table, program))
    assert [(m, e) for m, e, _ in with_instants] == plain
    for _, events, instants in with_instants:
        assert instants is not None
        assert len(instants) == len(events)
        for event, instant in zip(events, instants, strict=True):
            _same_time(instant, event.time.astimezone(dt.UTC))


def test_times_below_a_microsecond_leave_the_conversion_to_the_fold() -> None:
    """A time with nanoseconds has no exact UTC datetime to hand over: no instants, and
    the fold converts each event's time itself (the same states as a replay)."""
    table = pd.DataFrame(
        {
            "member_id": ["m1", "m1"],
            "event_id": ["a", "p"],
            "time": pd.to_datetime(
                ["2025-03-30 00:59:59.999999999", "2025-03-30 03:00:00.000000000"]
            ),
            "kind": ["adjust", "purchase"],
            "points": [5, None],
            "amount": [None, "12.50"],
        }
    )
    program = Program(timezone="Europe/Berlin")
    ((_, events, instants),) = list(_member_events(table, program))
    assert instants is None
    states = replay_many(table, program, as_of="2025-04-30")
    state = program.replay(events, as_of="2025-04-30")
    assert (states.loc["m1", "available"], states.loc["m1", "pending"]) == (
        state.available,
        state.pending,
    )


@settings(max_examples=examples(60), deadline=None)
@given(drawn=repeated_value_event_tables())
def test_equal_one_line_purchases_share_their_line(
    drawn: tuple[pd.DataFrame, dict[str, list[Any]], str],
) -> None:
    """One-line purchases whose rows hold the same cells share one line object (and one
    tuple of it): lines are immutable values, so sharing changes no result."""
    table, _, zone = drawn
    events = [e for _, member in iter_member_events(table, Program(timezone=zone)) for e in member]
    by_id = {e.event_id: e for e in events}
    cells = ["line", "amount", "quantity", "sku", "category", "discount"]
    one = table[(table["kind"] == "purchase") & ~table["event_id"].duplicated(keep=False)]
    for _, group in one.groupby([one[c].astype(str) for c in cells], dropna=False):
        lines = {id(by_id[eid].lines) for eid in group["event_id"]}
        assert len(lines) == 1


def test_block_boundaries_do_not_split_members(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members are built a block at a time; any block size gives the same events, and a
    member larger than a block is built whole."""
    from crmkit.loyalty import _replay_many

    rows = []
    for m in range(5):
        for k in range(3 + 2 * m):
            rows.append({"member_id": f"m{m}", "event_id": f"p{k}", "kind": "purchase",
                         "time": dt.datetime(2025, 1, 1 + k, tzinfo=dt.UTC), "amount": f"{k}.5"})  # fmt: skip
    table = pd.DataFrame(rows)
    program = Program(timezone="Asia/Shanghai")
    want = events_from_frame(table, program)
    for size in (1, 2, 4, 7, 100):
        monkeypatch.setattr(_replay_many, "_CHUNK", size)
        assert events_from_frame(table, program) == want
    assert [len(v) for v in want.values()] == [3, 5, 7, 9, 11]
    assert all(
        t.tzinfo is zoneinfo.ZoneInfo("Asia/Shanghai")
        for v in want.values()
        for t in [e.time for e in v]
    )


@settings(max_examples=examples(60), deadline=None)
@given(drawn=loyalty_event_tables(), seed=st.integers(0, 2**32 - 1))
def test_shuffled_rows_give_each_member_its_events_in_order_of_first_row(
    drawn: tuple[pd.DataFrame, dict[str, list[Any]]], seed: int
) -> None:
    """Rows in any order (members interleaved, the lines of one purchase apart): each
    member's events are the same objects' values, in order of their first row, each
    purchase's lines in table order."""
    table, objects = drawn
    shuffled = table.iloc[np.random.default_rng(seed).permutation(len(table))]
    got = events_from_frame(shuffled, Program(timezone="UTC"))
    assert list(got) == list(dict.fromkeys(shuffled["member_id"]))
    for member, events in objects.items():
        rows = shuffled[shuffled["member_id"] == member]
        first_row = {eid: pos for pos, eid in reversed(list(enumerate(rows["event_id"])))}
        want = sorted(events, key=lambda e: first_row[e.event_id])
        lines = {
            e.event_id: rows.loc[rows["event_id"] == e.event_id, "line"].tolist() for e in want
        }
        assert [e.event_id for e in got[member]] == [e.event_id for e in want]
        for g, w in zip(got[member], want, strict=True):
            if isinstance(w, Purchase):
                assert [line.line_id for line in g.lines] == lines[w.event_id]
                assert sorted(g.lines, key=lambda x: x.line_id) == sorted(
                    w.lines, key=lambda x: x.line_id
                )
            else:
                assert g == w
