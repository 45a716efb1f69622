"""Batch SLA evaluation (evaluate_sla, sla_cycles) and attainment (sla_attainment).

The batch must equal the scalar replay number for number (property tests over random
calendars, targets and histories, also prefix by prefix as events arrive), agree with a
brute-force minute-by-minute oracle, never mutate its input, and report every error path.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.service import (
    BusinessCalendar,
    PolicySet,
    SLAPolicy,
    SLATarget,
    SLATracker,
    evaluate_sla,
    evaluate_ticket,
    sla_attainment,
    sla_cycles,
)
from tests.strategies import examples, sla_calendars, sla_targets, ticket_histories

SH = BusinessCalendar(
    "Asia/Shanghai",
    {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ["mon", "tue", "wed", "thu", "fri"]},
)


def _t(metric: str, duration: str, clock: str = "calendar", **kw: object) -> SLATarget:
    return SLATarget(metric=metric, duration=duration, clock=clock, **kw)  # type: ignore[arg-type]


POLICIES = PolicySet(
    policies=[
        SLAPolicy(
            name="complaints",
            when={"kind": ["complaint"]},
            targets={
                "*": [
                    _t("first_response", "1h", warn_before=["15m"], escalate_after=["0s", "1h"]),
                    _t("resolution", "24h"),
                    _t("follow_up", "72h"),
                ]
            },
        ),
        SLAPolicy(
            name="core",
            when={"customer_tier": ["core"]},
            targets={"*": [_t("first_response", "2h"), _t("on_site", "4h")]},
        ),
    ],
    default=SLAPolicy(
        name="standard",
        targets={
            "*": [
                _t("first_response", "4h", "business"),
                _t("next_response", "8h", "business"),
                _t("periodic_update", "24h", "business"),
            ],
            "P1": [_t("resolution", "8h")],
            "P2": [_t("resolution", "16h", "business", pausable=False)],
        },
    ),
    calendar=SH,
)
AS_OF = pd.Timestamp("2025-08-01", tz="Asia/Shanghai")

_FIELDS = ("due_at", "breach_at", "start", "stop")
_SPANS = ("goal", "elapsed", "real_elapsed", "remaining")


def _assert_row_equals_scalar(row: pd.Series, scalar: object) -> None:
    assert row["state"] == scalar.state  # type: ignore[attr-defined]
    assert row["cycles"] == len(scalar.cycles)  # type: ignore[attr-defined]
    assert row["breached_cycles"] == scalar.breached_cycles  # type: ignore[attr-defined]
    for field in _FIELDS:
        value = getattr(scalar, field)
        if value is None:
            assert pd.isna(row[field]), field
        else:
            assert row[field].timestamp() == value.timestamp(), field
    for field in _SPANS:
        value = getattr(scalar, field)
        if value is None:
            assert pd.isna(row[field]), field
        else:
            assert row[field] == value, field
    assert row["warn_level"] == scalar.warn_level  # type: ignore[attr-defined]
    assert row["escalation_level"] == scalar.escalation_level  # type: ignore[attr-defined]


def _scalar_all(
    events: pd.DataFrame, tickets: pd.DataFrame, policies: object, as_of: object
) -> dict:
    out = {}
    attrs = tickets.set_index("ticket_id")
    for tid in tickets["ticket_id"]:
        rows = events[events["ticket_id"] == tid]
        out[tid] = evaluate_ticket(
            list(zip(rows["time"], rows["event"], strict=True)),
            policies,  # type: ignore[arg-type]
            as_of=as_of,
            ticket=attrs.loc[tid].to_dict(),
        )
    return out


# ----------------------------------------------------------------------------- examples


def test_sample_tickets_batch_equals_scalar() -> None:
    tickets = datasets.tickets(n_tickets=120, seed=5)
    events = datasets.ticket_events(tickets)
    out = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
    scalar = _scalar_all(events, tickets, POLICIES, AS_OF)
    n_rows = sum(len(r.targets) for r in scalar.values())
    assert len(out) == n_rows
    for (tid, name), row in out.iterrows():
        _assert_row_equals_scalar(row, scalar[tid][name])
        assert row["policy"] == scalar[tid].policy
    # every state of interest occurs in this sample
    assert {"met", "breached", "not_started"} <= set(out["state"].astype(str))


def test_result_shape_and_order() -> None:
    tickets = datasets.tickets(n_tickets=30, seed=1)
    events = datasets.ticket_events(tickets)
    out = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF, keep="channel")
    assert out.index.names == ["ticket_id", "target"]
    assert list(out.index.get_level_values(0).unique()) == list(tickets["ticket_id"])
    assert list(out.columns[:7]) == [
        "policy",
        "metric",
        "clock",
        "goal",
        "state",
        "cycles",
        "breached_cycles",
    ]
    assert {"priority", "kind", "customer_tier", "channel"} <= set(out.columns)
    assert out["state"].cat.ordered
    assert list(out["state"].cat.categories) == [
        "not_started",
        "running",
        "paused",
        "met",
        "breached",
    ]
    assert str(out["due_at"].dt.tz) == "Asia/Shanghai"
    assert out.attrs["events_after_as_of"] == 0
    assert out.attrs["untargeted_tickets"] == 0
    # complaints listed in policy order
    first = out.loc[tickets.loc[tickets["kind"] == "complaint", "ticket_id"].iloc[0]]
    assert list(first.index) == ["first_response", "resolution", "follow_up"]


def test_hand_checked_batch_example() -> None:
    t0 = pd.Timestamp("2025-03-07 16:00", tz="Asia/Shanghai")  # Friday
    events = pd.DataFrame(
        {
            "ticket_id": ["A", "A", "A", "A", "B"],
            "time": [
                t0,
                t0 + pd.Timedelta(minutes=30),  # pending
                t0 + pd.Timedelta(hours=66, minutes=30),  # Mon 10:30 open
                t0 + pd.Timedelta(hours=67),  # Mon 11:00 reply
                t0,
            ],
            "event": ["created", "pending", "open", "agent_reply", "created"],
        }
    )
    tickets = pd.DataFrame({"ticket_id": ["A", "B"], "kind": ["question"] * 2})
    policy = SLAPolicy(
        name="b", targets={"*": [_t("first_response", "2h", "business")]}, calendar=SH
    )
    out = evaluate_sla(events, tickets, policy, as_of=t0 + pd.Timedelta(days=4))
    a, b = out.loc[("A", "first_response")], out.loc[("B", "first_response")]
    # A: 30 min on Friday, paused until Mon 10:30, then 30 min: 1 h used, met.
    assert (a["state"], a["elapsed"]) == ("met", pd.Timedelta(hours=1))
    assert a["due_at"] == pd.Timestamp("2025-03-10 12:00", tz="Asia/Shanghai")  # 10:30 + 1.5 h
    # B: Fri 16:00 + 2 h = Fri 18:00 (closing time), compliant until Mon 09:00.
    assert b["due_at"] == pd.Timestamp("2025-03-07 18:00", tz="Asia/Shanghai")
    assert b["breach_at"] == pd.Timestamp("2025-03-10 09:00", tz="Asia/Shanghai")
    assert b["state"] == "breached"


def test_cycles_frame_history() -> None:
    t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
    events = pd.DataFrame(
        {
            "ticket_id": "T1",
            "event": ["created", "solved", "reopened", "solved", "reopened"],
            "time": [t0 + pd.Timedelta(hours=h) for h in (0, 3, 24, 35, 48)],
        }
    )
    policy = SLAPolicy(name="p", targets={"*": [_t("resolution", "8h")]})
    cyc = sla_cycles(
        events, pd.DataFrame({"ticket_id": ["T1"]}), policy, as_of=t0 + pd.Timedelta(hours=50)
    )
    assert list(cyc["state"].astype(str)) == ["met", "breached", "running"]
    assert list(cyc["elapsed"] / pd.Timedelta(hours=1)) == [3, 11, 2]
    assert cyc["stop"].isna().tolist() == [False, False, True]
    assert list(cyc.index.get_level_values("cycle")) == [0, 1, 2]


def test_events_after_as_of_are_counted_not_seen() -> None:
    t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
    events = pd.DataFrame(
        {
            "ticket_id": "T1",
            "event": ["created", "agent_reply"],
            "time": [t0, t0 + pd.Timedelta(hours=2)],
        }
    )
    policy = SLAPolicy(name="p", targets={"*": [_t("first_response", "1h")]})
    out = evaluate_sla(
        events, pd.DataFrame({"ticket_id": ["T1"]}), policy, as_of=t0 + pd.Timedelta(minutes=30)
    )
    assert out.attrs["events_after_as_of"] == 1
    assert out["state"].iloc[0] == "running"


def test_untargeted_and_eventless_tickets() -> None:
    t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
    policy = SLAPolicy(name="p", targets={"P1": [_t("resolution", "8h")]})
    tickets = pd.DataFrame({"ticket_id": ["A", "B", "C"], "priority": ["P1", "P3", "P1"]})
    events = pd.DataFrame({"ticket_id": ["A"], "event": ["created"], "time": [t0]})
    out = evaluate_sla(events, tickets, policy, as_of=t0 + pd.Timedelta(hours=1))
    assert list(out.index) == [("A", "resolution"), ("C", "resolution")]
    assert list(out["state"].astype(str)) == ["running", "not_started"]
    assert np.isnan(out["used"].iloc[1])
    assert out.attrs["untargeted_tickets"] == 1


def test_naive_times_are_read_in_the_calendar_zone() -> None:
    events = pd.DataFrame(
        {"ticket_id": ["A"], "event": ["created"], "time": [pd.Timestamp("2025-03-03 09:00")]}
    )
    policy = SLAPolicy(name="p", targets={"*": [_t("resolution", "2h", "business")]}, calendar=SH)
    out = evaluate_sla(events, pd.DataFrame({"ticket_id": ["A"]}), policy, as_of="2025-03-03 10:00")
    assert out["due_at"].iloc[0] == pd.Timestamp("2025-03-03 11:00", tz="Asia/Shanghai")
    no_zone = SLAPolicy(name="p", targets={"*": [_t("resolution", "2h")]})
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        evaluate_sla(events, pd.DataFrame({"ticket_id": ["A"]}), no_zone, as_of=AS_OF)


def test_input_is_not_mutated() -> None:
    tickets = datasets.tickets(n_tickets=40, seed=2)
    events = datasets.ticket_events(tickets)
    before_t, before_e = tickets.copy(deep=True), events.copy(deep=True)
    evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
    sla_cycles(events, tickets, POLICIES, as_of=AS_OF)
    pd.testing.assert_frame_equal(tickets, before_t)
    pd.testing.assert_frame_equal(events, before_e)


def test_event_row_order_does_not_matter() -> None:
    tickets = datasets.tickets(n_tickets=40, seed=4)
    events = datasets.ticket_events(tickets)
    shuffled = events.sample(frac=1.0, random_state=1)
    # equal-time events keep their relative order within a ticket in the shuffled frame only
    # when their times differ, which ticket_events guarantees
    a = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
    b = evaluate_sla(shuffled, tickets, POLICIES, as_of=AS_OF)
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------------------- errors


def test_batch_error_paths() -> None:
    t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
    policy = SLAPolicy(name="p", targets={"P1": [_t("resolution", "8h")]})
    tickets = pd.DataFrame({"ticket_id": ["A"], "priority": ["P1"]})
    good = pd.DataFrame({"ticket_id": ["A"], "event": ["created"], "time": [t0]})
    with pytest.raises(SchemaError, match="'time'"):
        evaluate_sla(good.drop(columns="time"), tickets, policy, as_of=t0)
    with pytest.raises(SchemaError, match="'priority'"):
        evaluate_sla(good, tickets.drop(columns="priority"), policy, as_of=t0)
    with pytest.raises(InvalidInputError, match="unknown events") as err:
        evaluate_sla(good.assign(event=["opened"]), tickets, policy, as_of=t0)
    assert err.value.rows == (0,)
    with pytest.raises(InvalidInputError, match="unknown tickets"):
        evaluate_sla(good.assign(ticket_id=["Z"]), tickets, policy, as_of=t0)
    with pytest.raises(InvalidInputError, match="missing"):
        evaluate_sla(good.assign(time=[pd.NaT]), tickets, policy, as_of=t0)
    with pytest.raises(InvalidInputError, match="missing priorities"):
        evaluate_sla(good, tickets.assign(priority=[None]), policy, as_of=t0)
    with pytest.raises(InvalidInputError, match="unique"):
        evaluate_sla(good, pd.concat([tickets, tickets]), policy, as_of=t0)
    with pytest.raises(ConfigError, match="'as_of'"):
        evaluate_sla(good, tickets, policy, as_of="soon")
    with pytest.raises(ConfigError, match="'as_of'"):
        evaluate_sla(good, tickets, policy, as_of=None)
    with pytest.raises(InvalidInputError, match="DataFrame"):
        evaluate_sla([1], tickets, policy, as_of=t0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'policies'"):
        evaluate_sla(good, tickets, {"name": "p"}, as_of=t0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'keep'"):
        evaluate_sla(good, tickets, policy, as_of=t0, keep=[1])  # type: ignore[list-item]


def test_attainment_errors() -> None:
    with pytest.raises(SchemaError, match="'state'"):
        sla_attainment(pd.DataFrame({"target": ["a"]}))
    with pytest.raises(SchemaError, match="'kind'"):
        sla_attainment(pd.DataFrame({"target": ["a"], "state": ["met"]}), by="kind")
    with pytest.raises(ConfigError, match="'by'"):
        sla_attainment(pd.DataFrame({"target": ["a"], "state": ["met"]}), by=[])


# ---------------------------------------------------------------------------- attainment


def test_attainment_counts_and_wilson() -> None:
    results = pd.DataFrame(
        {
            "target": ["fr"] * 10 + ["res"] * 3,
            "state": ["met"] * 7
            + ["breached"] * 2
            + ["paused"]
            + ["running", "not_started", "running"],
        }
    )
    out = sla_attainment(results)
    fr = out.loc["fr"]
    assert (fr["met"], fr["breached"], fr["n"], fr["running"]) == (7, 2, 9, 1)
    assert fr["attainment"] == pytest.approx(7 / 9)
    # Wilson 95 % for 7/9, computed by hand: centre (7 + 1.92) / (9 + 3.84) ...
    z = 1.959963984540054
    centre = (7 + z * z / 2) / (9 + z * z)
    half = z * np.sqrt(9 * (7 / 9) * (2 / 9) + z * z / 4) / (9 + z * z)
    assert fr["ci_low"] == pytest.approx(centre - half)
    assert fr["ci_high"] == pytest.approx(centre + half)
    res = out.loc["res"]
    assert (res["n"], res["running"], res["not_started"]) == (0, 2, 1)
    assert np.isnan(res["attainment"])
    assert (res["ci_low"], res["ci_high"]) == (0.0, 1.0)


def test_attainment_by_ticket_attribute() -> None:
    tickets = datasets.tickets(n_tickets=200, seed=3)
    events = datasets.ticket_events(tickets)
    out = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
    table = sla_attainment(out, by=["kind", "target"])
    assert table.index.names == ["kind", "target"]
    total = table[["met", "breached", "running", "not_started"]].to_numpy().sum()
    assert total == len(out)
    assert ((table["ci_low"] <= table["attainment"]) | table["attainment"].isna()).all()
    by_level = sla_attainment(out, by="policy")
    assert set(by_level.index) == {"complaints", "core", "standard"}


# --------------------------------------------------------------------------- properties


def _random_policy_set(targets: list[SLATarget], calendar: BusinessCalendar) -> PolicySet:
    return PolicySet(
        policies=[
            SLAPolicy(name="complaints", when={"kind": ["complaint"]}, targets={"*": targets[:2]})
        ],
        default=SLAPolicy(name="d", targets={"*": targets[2:] or targets[:1], "P1": targets[:1]}),
        calendar=calendar,
    )


@settings(max_examples=examples(60))
@given(
    st.lists(sla_targets(), min_size=1, max_size=4, unique_by=lambda t: t.name),
    sla_calendars(),
    ticket_histories(),
    st.integers(0, 30 * 24 * 60),
)
def test_batch_equals_scalar(
    targets: list[SLATarget],
    calendar: BusinessCalendar,
    history: tuple[pd.DataFrame, pd.DataFrame],
    as_of_minutes: int,
) -> None:
    events, tickets = history
    policies = _random_policy_set(targets, calendar)
    as_of = pd.Timestamp("2025-03-20", tz="UTC") + pd.Timedelta(minutes=as_of_minutes)
    seen = events[events["time"] <= as_of]
    out = evaluate_sla(events, tickets, policies, as_of=as_of)
    scalar = _scalar_all(seen, tickets, policies, as_of)
    assert len(out) == sum(len(r.targets) for r in scalar.values())
    assert out.attrs["events_after_as_of"] == len(events) - len(seen)
    for (tid, name), row in out.iterrows():
        _assert_row_equals_scalar(row, scalar[tid][name])
    cycles = sla_cycles(events, tickets, policies, as_of=as_of)
    assert len(cycles) == sum(len(t.cycles) for r in scalar.values() for t in r.targets)


@settings(max_examples=examples(30))
@given(
    st.lists(sla_targets(), min_size=1, max_size=3, unique_by=lambda t: t.name),
    sla_calendars(),
    ticket_histories(max_tickets=1, max_events=8),
)
def test_event_by_event_equals_whole_history(
    targets: list[SLATarget], calendar: BusinessCalendar, history: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    events, tickets = history
    events = events.sort_values("time", kind="stable").reset_index(drop=True)
    policy = SLAPolicy(name="p", targets={"*": targets}, calendar=calendar)
    tracker = SLATracker.start(policy)
    for k in range(len(events)):
        when = events["time"].iloc[k]
        tracker = tracker.record(events["event"].iloc[k], when)
        as_of = when + pd.Timedelta(hours=5)
        batch = evaluate_sla(events.iloc[: k + 1], tickets, policy, as_of=as_of)
        incremental = tracker.evaluate(as_of)
        for t in incremental.targets:
            _assert_row_equals_scalar(batch.loc[(tickets["ticket_id"].iloc[0], t.name)], t)


def _oracle(
    calendar: BusinessCalendar | None,
    *,
    events: list[tuple[int, str]],
    start: int,
    stop: int | None,
    as_of: int,
    goal: int,
    pausable: bool,
) -> tuple[int, int, int]:
    """Elapsed, due and breach by stepping through minutes (instants in epoch minutes)."""
    end = stop if stop is not None else as_of
    horizon = end + 40 * 24 * 60
    minutes = np.arange(start, horizon, dtype=np.int64)
    if calendar is None:
        open_ = np.ones(len(minutes), dtype=bool)
    else:
        a = (minutes * 60).astype("datetime64[s]")
        open_ = calendar.elapsed_many(a, a + np.timedelta64(60, "s")) == np.timedelta64(60, "s")
    paused = np.zeros(len(minutes), dtype=bool)
    if pausable:
        state = False
        last = start
        for t, e in [*events, (horizon, "end")]:
            upto = min(t, end)  # after the end the clock is never paused
            paused[(minutes >= last) & (minutes < upto)] = state
            last = upto
            if e == "pending":
                state = True
            elif e in ("open", "reopened", "solved"):
                state = False
            if upto >= end:
                break
    counted = open_ & ~paused
    elapsed = int(counted[minutes < end].sum()) * 60
    cum = np.cumsum(counted)
    reach = np.flatnonzero(cum * 60 >= goal)
    due = int(minutes[reach[0]] + 1) * 60
    after = np.flatnonzero(counted & (cum * 60 > goal))
    breach = int(minutes[after[0]]) * 60
    return elapsed, due, breach


@settings(max_examples=examples(60))
@given(
    calendar=sla_calendars(),
    clock=st.sampled_from(["business", "calendar"]),
    pausable=st.booleans(),
    goal_minutes=st.integers(1, 10 * 60),
    history=ticket_histories(max_tickets=1, max_events=8, minute_grid=True),
    as_of_minutes=st.integers(0, 20 * 24 * 60),
)
def test_resolution_matches_minute_oracle(
    *,
    calendar: BusinessCalendar,
    clock: str,
    pausable: bool,
    goal_minutes: int,
    history: tuple[pd.DataFrame, pd.DataFrame],
    as_of_minutes: int,
) -> None:
    events, tickets = history
    t = SLATarget(
        metric="resolution",
        duration=goal_minutes * 60,
        clock=clock,
        pausable=pausable,  # type: ignore[arg-type]
    )
    policy = SLAPolicy(name="p", targets={"*": [t]}, calendar=calendar)
    as_of = pd.Timestamp("2025-03-20", tz="UTC") + pd.Timedelta(minutes=as_of_minutes)
    cycles = sla_cycles(events, tickets, policy, as_of=as_of)
    seen = events[events["time"] <= as_of].sort_values("time", kind="stable")
    pairs = [
        (int(x.timestamp()) // 60, e) for x, e in zip(seen["time"], seen["event"], strict=True)
    ]
    for (_, _, _), row in cycles.iterrows():
        start = int(row["start"].timestamp()) // 60
        stop = None if pd.isna(row["stop"]) else int(row["stop"].timestamp()) // 60
        elapsed, due, breach = _oracle(
            calendar if clock == "business" else None,
            events=pairs,
            start=start,
            stop=stop,
            as_of=int(as_of.timestamp()) // 60,
            goal=goal_minutes * 60,
            pausable=pausable,
        )
        assert row["elapsed"] == pd.Timedelta(seconds=elapsed)
        assert int(row["due_at"].timestamp()) == due
        assert int(row["breach_at"].timestamp()) == breach


def test_oracle_helper_detects_a_wrong_answer() -> None:
    """The oracle itself: 9-18 weekdays, created Fri 17:00, goal 2 h -> due Mon 10:00."""
    cal = BusinessCalendar(
        "UTC", {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
    )
    start = int(dt.datetime(2025, 3, 7, 17, tzinfo=dt.UTC).timestamp()) // 60
    elapsed, due, breach = _oracle(
        cal,
        events=[(start, "created")],
        start=start,
        stop=None,
        as_of=start + 60,
        goal=7200,
        pausable=True,
    )
    assert elapsed == 3600
    assert due == breach == int(dt.datetime(2025, 3, 10, 10, tzinfo=dt.UTC).timestamp())


def test_no_events_at_all() -> None:
    events = pd.DataFrame(
        {
            "ticket_id": pd.Series([], dtype=str),
            "time": pd.Series([], dtype="datetime64[ns, UTC]"),
            "event": pd.Series([], dtype=str),
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ["A", "B"],
            "priority": ["P3", "P1"],
            "kind": ["complaint", "x"],
            "customer_tier": "vip",
        }
    )
    out = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
    assert (out["state"] == "not_started").all()
    assert len(out) == 3 + 4  # complaint targets; standard P1 targets ("*" plus resolution)
    table = sla_attainment(out)
    assert (table["n"] == 0).all()
    assert len(sla_cycles(events, tickets, POLICIES, as_of=AS_OF)) == 0


def test_chunked_evaluation_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tickets are evaluated in chunks of whole tickets; tiny chunks give the same frame."""
    from crmkit.service import _sla_batch

    tickets = datasets.tickets(n_tickets=150, seed=9)
    events = datasets.ticket_events(tickets)
    whole = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
    whole_cycles = sla_cycles(events, tickets, POLICIES, as_of=AS_OF)
    assert _sla_batch._chunks(np.array([1, 1, 1, 2, 3, 3]), 2) == [(0, 3), (3, 4), (4, 6)]
    monkeypatch.setattr(_sla_batch, "_CHUNK_EVENTS", 7)
    pd.testing.assert_frame_equal(evaluate_sla(events, tickets, POLICIES, as_of=AS_OF), whole)
    pd.testing.assert_frame_equal(sla_cycles(events, tickets, POLICIES, as_of=AS_OF), whole_cycles)


def test_solved_while_pending_ends_the_pause_in_batch_too() -> None:
    """Regression: a ticket solved while pending left the follow-up clock paused forever."""
    t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
    events = pd.DataFrame(
        {
            "ticket_id": ["a", "a", "a", "b", "b", "b", "b"],
            "time": [t0 + pd.Timedelta(hours=h) for h in (0, 1, 2, 0, 1, 2, 50)],
            "event": ["created", "pending", "solved", "created", "pending", "solved", "follow_up"],
        }
    )
    tickets = pd.DataFrame({"ticket_id": ["a", "b"]})
    policy = SLAPolicy(name="p", targets={"*": [_t("resolution", "24h"), _t("follow_up", "72h")]})
    as_of = t0 + pd.Timedelta(hours=100)
    out = evaluate_sla(events, tickets, policy, as_of=as_of)
    a, b = out.loc["a"], out.loc["b"]
    assert a.loc["follow_up", "state"] == "breached"
    assert a.loc["follow_up", "elapsed"] == pd.Timedelta(hours=98)
    assert a.loc["follow_up", "due_at"] == t0 + pd.Timedelta(hours=74)
    assert b.loc["follow_up", "state"] == "met"
    assert b.loc["follow_up", "elapsed"] == pd.Timedelta(hours=48)
    # The pending hour does not count towards the resolution.
    assert a.loc["resolution", "elapsed"] == pd.Timedelta(hours=1)
    scalar = _scalar_all(events, tickets, policy, as_of)
    for tid in ("a", "b"):
        for target in scalar[tid].targets:
            _assert_row_equals_scalar(out.loc[(tid, target.name)], target)


def test_batch_path_has_no_per_ticket_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch never calls the scalar calendar methods, and its bulk calls do not grow
    with the number of tickets (no Python loop per ticket)."""
    calls: list[str] = []

    def forbid(*args: object, **kwargs: object) -> object:
        raise AssertionError("scalar calendar call on the batch path")

    for name in ("add", "elapsed", "due_at", "breach_at", "subtract"):
        monkeypatch.setattr(BusinessCalendar, name, forbid)
    from crmkit.service import _timeline

    for name in ("add_many_ns", "elapsed_many_ns"):  # the bulk entry points of the clock
        original = getattr(_timeline, name)

        def counted(*a: object, _f: object = original, _n: str = name) -> object:
            calls.append(_n)
            return _f(*a)  # type: ignore[operator]

        monkeypatch.setattr(_timeline, name, counted)
    counts = []
    for n in (300, 3000):
        tickets = datasets.tickets(n_tickets=n, seed=5)
        events = datasets.ticket_events(tickets)
        calls.clear()
        out = evaluate_sla(events, tickets, POLICIES, as_of=AS_OF)
        assert len(out) > n
        counts.append(len(calls))
    assert counts[0] > 0
    # Ten times the tickets, about the same number of bulk calls (a few branches depend
    # on the data, e.g. whether any paused cycle crosses its goal), far fewer than tickets.
    assert counts[1] <= counts[0] + 5
    assert counts[1] < 300 // 2


def test_attainment_refuses_rows_without_a_known_state() -> None:
    """Regression: an unknown or NaN state was dropped silently (n went 30 -> 29)."""
    results = pd.DataFrame(
        {"target": ["fr"] * 4, "state": ["met", "breached", None, "met"]}, index=[10, 11, 12, 13]
    )
    with pytest.raises(InvalidInputError, match=r"'state'.*rows \[12\]"):
        sla_attainment(results)
    results.loc[12, "state"] = "solved"
    with pytest.raises(InvalidInputError, match="'solved'"):
        sla_attainment(results)


def test_attainment_counts_rows_with_a_missing_group_key() -> None:
    """A missing 'by' value is its own group, not a dropped row."""
    results = pd.DataFrame({"kind": ["a", None, "a"], "state": ["met", "breached", "met"]})
    out = sla_attainment(results, "kind")
    assert int(out["n"].sum()) == 3


def test_arrow_backed_times_equal_numpy_times() -> None:
    """Regression: Arrow timestamps (read_parquet, dtype_backend='pyarrow') give equal results."""
    pa = pytest.importorskip("pyarrow")
    tickets = datasets.tickets(n_tickets=25, seed=3)
    events = datasets.ticket_events(tickets)
    arrow = events.copy()
    arrow["time"] = arrow["time"].astype(pd.ArrowDtype(pa.timestamp("us", tz="Asia/Shanghai")))
    pd.testing.assert_frame_equal(
        evaluate_sla(arrow, tickets, POLICIES, as_of=AS_OF),
        evaluate_sla(events, tickets, POLICIES, as_of=AS_OF),
    )
    pd.testing.assert_frame_equal(
        sla_cycles(arrow, tickets, POLICIES, as_of=AS_OF),
        sla_cycles(events, tickets, POLICIES, as_of=AS_OF),
    )
    naive = events.copy()
    naive["time"] = naive["time"].dt.tz_localize(None).astype(pd.ArrowDtype(pa.timestamp("ns")))
    pd.testing.assert_frame_equal(
        evaluate_sla(naive, tickets, POLICIES, as_of=AS_OF),
        evaluate_sla(events, tickets, POLICIES, as_of=AS_OF),
    )


def test_epoch_seconds_need_a_date_unit() -> None:
    """Regression: epoch numbers were read as nanoseconds (everything in 1970)."""
    t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
    seconds = [int(t0.timestamp()), int((t0 + pd.Timedelta(minutes=30)).timestamp())]
    events = pd.DataFrame(
        {
            "ticket_id": ["A", "A"],
            "time": pd.Series(seconds, dtype=object),
            "event": ["created", "agent_reply"],
        }
    )
    tickets = pd.DataFrame({"ticket_id": ["A"]})
    policy = SLAPolicy(name="p", targets={"*": [_t("first_response", "1h")]})
    with pytest.raises(InvalidInputError, match="date_unit"):
        evaluate_sla(events, tickets, policy, as_of=t0 + pd.Timedelta(hours=2))
    out = evaluate_sla(events, tickets, policy, as_of=t0 + pd.Timedelta(hours=2), date_unit="s")
    assert out.loc[("A", "first_response"), "elapsed"] == pd.Timedelta(minutes=30)
    cycles = sla_cycles(events, tickets, policy, as_of=t0 + pd.Timedelta(hours=2), date_unit="s")
    assert cycles["state"].astype(str).tolist() == ["met"]
    text = events.assign(time=["03/03/2025 09:00", "03/03/2025 09:30"])
    out = evaluate_sla(
        text,
        tickets,
        SLAPolicy(
            name="p",
            targets={"*": [_t("first_response", "1h")]},
            calendar=BusinessCalendar.always_open("UTC"),
        ),
        as_of=t0 + pd.Timedelta(hours=2),
        date_format="%d/%m/%Y %H:%M",
    )
    assert out.loc[("A", "first_response"), "elapsed"] == pd.Timedelta(minutes=30)


@pytest.mark.parametrize(
    "ids",
    [
        pd.array(["A", "B", "A"], dtype="str"),  # Arrow-backed: one dictionary_encode pass
        np.array(["A", "B", "A"], dtype=object),
        np.array([7, 8, 7]),
    ],
)
def test_ticket_ids_matched_and_checked_in_one_pass(ids: object) -> None:
    """Regression (one hash pass for codes and uniqueness): duplicates named on every
    storage, unknown event tickets refused, known ones matched to the right ticket."""
    t0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")
    policy = SLAPolicy(name="p", targets={"*": [_t("resolution", "8h")]})
    tickets = pd.DataFrame({"ticket_id": ids})
    events = pd.DataFrame(
        {"ticket_id": tickets["ticket_id"].iloc[[1]].to_numpy(), "event": ["created"], "time": [t0]}
    )
    with pytest.raises(InvalidInputError, match="unique") as err:
        evaluate_sla(events, tickets, policy, as_of=t0 + pd.Timedelta("1h"))
    assert err.value.rows == (2,)
    unique = tickets.iloc[:2]
    out = evaluate_sla(events, unique, policy, as_of=t0 + pd.Timedelta("1h"))
    assert list(out["state"]) == ["not_started", "running"]
    assert list(out["elapsed"].isna()) == [True, False]
    stray = events.assign(ticket_id=tickets["ticket_id"].iloc[[0]].to_numpy())
    with pytest.raises(InvalidInputError, match="unknown tickets"):
        evaluate_sla(stray, tickets.iloc[1:2], policy, as_of=t0 + pd.Timedelta("1h"))


def test_policies_in_different_zones_read_no_naive_time_in_the_wrong_one() -> None:
    """Regression: a set whose policies' calendars are in Berlin and Shanghai read every
    ticket's naive times (and a day as ``as_of``) in Berlin, so a Shanghai ticket got
    another ticket's clock; ``evaluate_ticket`` reads them in the ticket's own zone. With
    no one zone for the table, naive values are refused; aware ones agree with the
    scalar path, ticket by ticket."""
    week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
    sh, be = BusinessCalendar("Asia/Shanghai", week), BusinessCalendar("Europe/Berlin", week)
    fr = [SLATarget(metric="first_response", duration="1h", clock="business")]
    ps = PolicySet(
        policies=[SLAPolicy(name="eu", when={"region": ["EU"]}, calendar=be, targets={"*": fr})],
        default=SLAPolicy(name="cn", calendar=sh, targets={"*": fr}),
    )
    naive = [
        (dt.datetime(2025, 3, 3, 17, 30), "created"),
        (dt.datetime(2025, 3, 4, 9, 45), "agent_reply"),
    ]
    tickets = pd.DataFrame({"ticket_id": ["B", "E"], "region": ["CN", "EU"]})
    frame = pd.DataFrame(
        [(t, when, e) for t in ("B", "E") for when, e in naive],
        columns=["ticket_id", "time", "event"],
    )
    with pytest.raises(InvalidInputError, match="calendars are in different zones") as info:
        evaluate_sla(frame, tickets, ps, as_of="2025-03-05 12:00+08:00")
    assert info.value.field == "time"
    with pytest.raises(ConfigError, match="calendars are in different zones") as info:
        evaluate_sla(frame.assign(time=frame["time"].dt.tz_localize("UTC")), tickets, ps,
                     as_of="2025-03-05")  # fmt: skip
    assert info.value.field == "as_of"  # a day with no one zone to read it in: a parameter
    # Each ticket's times stated in its own zone: the batch equals the scalar path.
    zones = {"B": sh.zone, "E": be.zone}
    aware = frame.assign(
        time=[
            pd.Timestamp(w).tz_localize(zones[t])
            for t, w in zip(frame["ticket_id"], frame["time"], strict=True)
        ]
    )
    as_of = dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC)
    out = evaluate_sla(aware, tickets, ps, as_of=as_of)
    for t, region in (("B", "CN"), ("E", "EU")):
        history = [(when.replace(tzinfo=zones[t]), e) for when, e in naive]
        one = evaluate_ticket(history, ps, ticket={"region": region}, as_of=as_of)["first_response"]
        assert out.loc[(t, "first_response"), "elapsed"] == one.elapsed
        assert out.loc[(t, "first_response"), "due_at"] == pd.Timestamp(one.due_at)
    # 17:30-18:00 and 9:00-9:45 in each ticket's own office hours.
    assert out.loc[("B", "first_response"), "elapsed"] == dt.timedelta(hours=1, minutes=15)
