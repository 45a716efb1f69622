"""Cumulative SLA metrics (Zendesk's requester wait and agent work time) and On-hold.

Zendesk defines two SLA metrics as totals over the ticket's whole life, reopenings
included, against one goal:

- *requester wait time*: the combined time in the New, Open and On-hold statuses; it
  pauses on Pending;
- *agent work time*: the combined time in the New and Open statuses; it pauses on
  Pending and On-hold.

Sources: Zendesk help center, "Defining and using SLA policies"
(https://support.zendesk.com/hc/en-us/articles/204770038, section on the SLA metrics),
and the Zendesk developer docs, "Ticket metric event types reference"
(https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-metric-event-types-reference):
"the requester_wait_time metric is paused when the ticket status is pending; the
agent_work_time metric is paused when the ticket status is pending or on-hold", and an
activate event marks a metric "no longer paused or, in some cases, fulfilled" (a
reopened ticket's metric runs on from its total).

crmkit's ``requester_wait`` and ``agent_work`` metrics are these; ``MetricRule(cumulative=
True, pause_on_hold=...)`` writes others. Both engines must agree (property tests on
random histories with On-hold), and a minute-by-minute oracle checks the totals and
deadlines.
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
    EVENTS,
    BusinessCalendar,
    MetricRule,
    PolicySet,
    SLAPolicy,
    SLATarget,
    SLATracker,
    evaluate_sla,
    evaluate_ticket,
    sla_cycles,
)
from tests.service.test_sla_batch import (
    _assert_row_equals_scalar,
    _random_policy_set,
    _scalar_all,
)
from tests.strategies import (
    cumulative_sla_targets,
    examples,
    on_hold_ticket_histories,
    sla_calendars,
)

T0 = pd.Timestamp("2025-03-03 09:00", tz="UTC")  # a Monday
H = pd.Timedelta(hours=1)


def _target(metric: str, duration: str = "8h", **kw: object) -> SLATarget:
    return SLATarget(metric=metric, duration=duration, clock="calendar", **kw)  # type: ignore[arg-type]


ZENDESK = SLAPolicy(
    name="zendesk",
    targets={
        "*": [
            _target("requester_wait"),
            _target("agent_work"),
            _target("resolution"),
        ]
    },
)


def _both(history: list[tuple[pd.Timestamp, str]], policy: SLAPolicy, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    """The scalar result and the batch rows of one ticket, checked equal to each other."""
    scalar = evaluate_ticket(history, policy, as_of=as_of)
    events = pd.DataFrame(
        {
            "ticket_id": "T1",
            "time": [t for t, _ in history],
            "event": [e for _, e in history],
        }
    )
    batch = evaluate_sla(events, pd.DataFrame({"ticket_id": ["T1"]}), policy, as_of=as_of)
    for t in scalar.targets:
        _assert_row_equals_scalar(batch.loc[("T1", t.name)], t)
    return scalar, batch


# ----------------------------------------------------------------------------- examples


def test_reopened_ticket_adds_up_where_resolution_cycles_do_not() -> None:
    """5 h open, solved, reopened, 5 h open again, against an 8 h goal.

    Zendesk (article 204770038): requester wait time is the *total* time in New/Open/On-hold
    over the ticket's life, so it is 10 h: breached. crmkit's ``resolution`` judges each
    reopen cycle alone: two met cycles of 5 h.
    """
    history = [
        (T0, "created"),
        (T0 + 5 * H, "solved"),
        (T0 + 24 * H, "reopened"),
        (T0 + 29 * H, "solved"),
    ]
    scalar, batch = _both(history, ZENDESK, T0 + 48 * H)
    wait = scalar["requester_wait"]
    assert (wait.state, wait.elapsed, len(wait.cycles)) == ("breached", dt.timedelta(hours=10), 1)
    # Breached 3 h into the reopening: 5 h + 3 h = the 8 h goal at 12:00 on the 4th.
    assert wait.due_at == T0 + 27 * H
    assert wait.breach_at == T0 + 27 * H
    assert wait.start == T0
    assert wait.stop == T0 + 29 * H
    assert wait.remaining == dt.timedelta(hours=-2)
    assert scalar["agent_work"].elapsed == dt.timedelta(hours=10)
    resolution = scalar["resolution"]
    assert [c.state for c in resolution.cycles] == ["met", "met"]
    assert [c.elapsed for c in resolution.cycles] == [dt.timedelta(hours=5)] * 2
    assert resolution.state == "met"
    # The cycles frame has one row for the cumulative targets.
    events = pd.DataFrame(
        {"ticket_id": "T1", "time": [t for t, _ in history], "event": [e for _, e in history]}
    )
    cycles = sla_cycles(events, pd.DataFrame({"ticket_id": ["T1"]}), ZENDESK, as_of=T0 + 48 * H)
    assert cycles.loc[("T1", "requester_wait")].shape[0] == 1
    assert cycles.loc[("T1", "resolution")].shape[0] == 2
    assert batch.loc[("T1", "requester_wait"), "elapsed_hours"] == 10.0


def test_met_before_the_reopening_runs_again_after_it() -> None:
    """A solved ticket's total (5 h of 8) is ``met``; reopened, it runs on from 5 h.

    Zendesk: a reopening re-activates the metric (developer docs, "activate events ...
    indicate that a ticket metric is no longer ... fulfilled"); 1 h after the reopening
    it has used 6 h, with 2 h left: due 2 h after ``as_of``.
    """
    history = [(T0, "created"), (T0 + 5 * H, "solved")]
    scalar, _ = _both(history, ZENDESK, T0 + 20 * H)
    assert (scalar["requester_wait"].state, scalar["requester_wait"].elapsed) == (
        "met",
        dt.timedelta(hours=5),
    )
    history.append((T0 + 24 * H, "reopened"))
    scalar, _ = _both(history, ZENDESK, T0 + 25 * H)
    wait = scalar["requester_wait"]
    assert (wait.state, wait.elapsed, wait.stop) == ("running", dt.timedelta(hours=6), None)
    assert wait.due_at == T0 + 27 * H
    assert wait.remaining == dt.timedelta(hours=2)


def test_pending_is_excluded_from_both() -> None:
    """Created 9:00, Pending 10:00, Open 12:00 (the customer answered), solved 14:00.

    Both metrics pause on Pending (Zendesk article 204770038; developer docs, pause
    events): 1 h + 2 h = 3 h each; the 2 h waiting on the customer are not counted.
    """
    history = [
        (T0, "created"),
        (T0 + 1 * H, "pending"),
        (T0 + 3 * H, "open"),
        (T0 + 5 * H, "solved"),
    ]
    scalar, _ = _both(history, ZENDESK, T0 + 24 * H)
    for name in ("requester_wait", "agent_work"):
        assert scalar[name].elapsed == dt.timedelta(hours=3), name
        assert scalar[name].real_elapsed == dt.timedelta(hours=3), name
        assert scalar[name].state == "met"


def test_on_hold_is_excluded_from_agent_work_only() -> None:
    """Created 9:00, On-hold 11:00 (waiting on a third party), Open 14:00, solved 16:00.

    Requester wait counts New, Open and On-hold: 7 h, breached against 5 h. Agent work
    counts New and Open only (it pauses on On-hold): 2 h + 2 h = 4 h, met.
    """
    policy = SLAPolicy(
        name="p",
        targets={"*": [_target("requester_wait", "5h"), _target("agent_work", "5h")]},
    )
    history = [
        (T0, "created"),
        (T0 + 2 * H, "on_hold"),
        (T0 + 5 * H, "open"),
        (T0 + 7 * H, "solved"),
    ]
    scalar, _ = _both(history, policy, T0 + 24 * H)
    assert (scalar["requester_wait"].state, scalar["requester_wait"].elapsed) == (
        "breached",
        dt.timedelta(hours=7),
    )
    assert scalar["requester_wait"].breach_at == T0 + 5 * H  # during the hold, at 14:00
    assert (scalar["agent_work"].state, scalar["agent_work"].elapsed) == (
        "met",
        dt.timedelta(hours=4),
    )
    # While on hold at 12:00, agent work is paused and requester wait runs.
    scalar, _ = _both(history[:2], policy, T0 + 3 * H)
    assert scalar["agent_work"].state == "paused"
    assert scalar["agent_work"].due_at == T0 + 6 * H  # 2 h used, 3 h left from as_of
    assert scalar["requester_wait"].state == "running"


def test_a_status_is_exclusive_pending_and_on_hold_replace_each_other() -> None:
    """Created 9, Pending 10, On-hold 12, Pending 13, Open 14, solved 15.

    Going from Pending to On-hold ends the customer wait: requester wait counts
    9-10, 12-13 (on hold) and 14-15 = 3 h; agent work stays paused from 10 to 14:
    9-10 and 14-15 = 2 h. ``resolution`` (pausing on Pending only) counts as requester
    wait does. Zendesk statuses are exclusive: a ticket is Pending or On-hold, not both.
    """
    history = [
        (T0, "created"),
        (T0 + 1 * H, "pending"),
        (T0 + 3 * H, "on_hold"),
        (T0 + 4 * H, "pending"),
        (T0 + 5 * H, "open"),
        (T0 + 6 * H, "solved"),
    ]
    scalar, _ = _both(history, ZENDESK, T0 + 24 * H)
    assert scalar["requester_wait"].elapsed == dt.timedelta(hours=3)
    assert scalar["agent_work"].elapsed == dt.timedelta(hours=2)
    assert scalar["resolution"].elapsed == dt.timedelta(hours=3)


def test_business_hours_total_over_a_weekend_reopening() -> None:
    """Business clock 9-18 Mon-Fri: 6 h on Friday, solved, reopened Monday 9:00.

    An 8 business-hour requester wait goal has 2 h left: due Monday 11:00; the
    weekend between the solution and the reopening counts nothing.
    """
    cal = BusinessCalendar(
        "UTC", {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
    )
    policy = SLAPolicy(
        name="b",
        calendar=cal,
        targets={"*": [SLATarget(metric="requester_wait", duration="8h", clock="business")]},
    )
    friday = pd.Timestamp("2025-03-07 09:00", tz="UTC")
    history = [
        (friday, "created"),
        (friday + 6 * H, "solved"),
        (friday + 72 * H, "reopened"),
    ]
    scalar, _ = _both(history, policy, friday + 73 * H)
    wait = scalar["requester_wait"]
    assert wait.elapsed == dt.timedelta(hours=7)
    assert wait.real_elapsed == dt.timedelta(hours=7)
    assert wait.due_at == friday + 74 * H  # Monday 11:00


def test_tracker_replay_resumes_the_one_cycle() -> None:
    """SLATracker event by event: solved, then reopened, then evaluated (5 h + 2 h)."""
    tracker = SLATracker.start(ZENDESK)
    for when, event in [(T0, "created"), (T0 + 5 * H, "solved"), (T0 + 24 * H, "reopened")]:
        tracker = tracker.record(event, when)
    result = tracker.evaluate(T0 + 26 * H)
    assert result["requester_wait"].elapsed == dt.timedelta(hours=7)
    assert len(result["requester_wait"].cycles) == 1
    assert tracker.record("on_hold", T0 + 26 * H).on_hold


# ------------------------------------------------------------------------------ the rules


def test_rules_round_trip_through_json() -> None:
    """Cumulative and on-hold flags are stored, and old JSON without them still loads."""
    rule = MetricRule(
        start=["created", "reopened"], stop=["solved"], cumulative=True, pause_on_hold=True
    )
    stored = rule.to_dict()
    assert stored["cumulative"] is True
    assert stored["pause_on_hold"] is True
    assert MetricRule.from_dict(json.loads(json.dumps(stored))) == rule
    plain = MetricRule(start=["created"], stop=["solved"])
    assert "cumulative" not in plain.to_dict()
    assert "pause_on_hold" not in plain.to_dict()
    policies = PolicySet(
        policies=[],
        default=SLAPolicy(
            name="d",
            targets={
                "*": [
                    _target("requester_wait"),
                    _target("agent_work", "4h", pausable=False),
                    SLATarget(
                        metric="custom",
                        name="third_party",
                        rule=MetricRule(start=["created"], stop=["solved"], pause_on_hold=True),
                        duration="2h",
                        clock="calendar",
                    ),
                ]
            },
        ),
    )
    again = PolicySet.from_dict(json.loads(json.dumps(policies.to_dict())))
    assert again == policies


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"restart": ["agent_reply"]}, "restart"),
        ({"cancel": ["reopened"]}, "cancel"),
        ({"once": True}, "once"),
    ],
)
def test_cumulative_refuses_restart_cancel_and_once(extra: dict[str, object], named: str) -> None:
    """A cumulative rule has one cycle that its start events resume: nothing to restart."""
    with pytest.raises(ConfigError, match="cumulative") as err:
        MetricRule(start=["created"], stop=["solved"], cumulative=True, **extra)  # type: ignore[arg-type]
    assert named in str(err.value)
    assert err.value.field == "cumulative"


def test_flags_must_be_bools() -> None:
    """``cumulative`` and ``pause_on_hold`` are bools, as JSON stores them."""
    for name in ("cumulative", "pause_on_hold"):
        with pytest.raises(ConfigError, match=name):
            MetricRule.from_dict({"start": ["created"], "stop": ["solved"], name: "yes"})


def test_on_hold_is_a_known_event() -> None:
    """``on_hold`` is in the public vocabulary (appended, so earlier codes are unchanged)."""
    assert EVENTS[-1] == "on_hold"
    assert EVENTS[:3] == ("created", "agent_reply", "customer_reply")


# ------------------------------------------------------------------------------- properties


@settings(max_examples=examples(80), deadline=None)
@given(
    st.lists(cumulative_sla_targets(), min_size=1, max_size=4, unique_by=lambda t: t.name),
    sla_calendars(),
    on_hold_ticket_histories(),
    st.integers(0, 30 * 24 * 60),
)
def test_batch_equals_scalar_with_cumulative_targets_and_on_hold(
    targets: list[SLATarget],
    calendar: BusinessCalendar,
    history: tuple[pd.DataFrame, pd.DataFrame],
    as_of_minutes: int,
) -> None:
    """evaluate_sla equals evaluate_ticket number for number, cycles frame included."""
    events, tickets = history
    policies = _random_policy_set(targets, calendar)
    as_of = pd.Timestamp("2025-03-20", tz="UTC") + pd.Timedelta(minutes=as_of_minutes)
    seen = events[events["time"] <= as_of]
    out = evaluate_sla(events, tickets, policies, as_of=as_of)
    scalar = _scalar_all(seen, tickets, policies, as_of)
    assert len(out) == sum(len(r.targets) for r in scalar.values())
    for (tid, name), row in out.iterrows():
        _assert_row_equals_scalar(row, scalar[tid][name])
    cycles = sla_cycles(events, tickets, policies, as_of=as_of)
    assert len(cycles) == sum(len(t.cycles) for r in scalar.values() for t in r.targets)
    for (tid, name, number), row in cycles.iterrows():
        cycle = scalar[tid][name].cycles[number]
        assert row["elapsed"] == cycle.elapsed
        assert row["due_at"].timestamp() == cycle.due_at.timestamp()
        assert row["breach_at"].timestamp() == cycle.breach_at.timestamp()


@settings(max_examples=examples(30), deadline=None)
@given(
    st.lists(cumulative_sla_targets(), min_size=1, max_size=3, unique_by=lambda t: t.name),
    sla_calendars(),
    on_hold_ticket_histories(max_tickets=1, max_events=8),
)
def test_event_by_event_equals_whole_history_with_on_hold(
    targets: list[SLATarget], calendar: BusinessCalendar, history: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """SLATracker.record one event at a time equals the batch on every prefix."""
    events, tickets = history
    events = events.sort_values("time", kind="stable").reset_index(drop=True)
    policy = SLAPolicy(name="p", targets={"*": targets}, calendar=calendar)
    tracker = SLATracker.start(policy)
    for k in range(len(events)):
        when = events["time"].iloc[k]
        tracker = tracker.record(events["event"].iloc[k], when)
        as_of = when + pd.Timedelta(hours=5)
        batch = evaluate_sla(events.iloc[: k + 1], tickets, policy, as_of=as_of)
        for t in tracker.evaluate(as_of).targets:
            _assert_row_equals_scalar(batch.loc[(tickets["ticket_id"].iloc[0], t.name)], t)


@settings(max_examples=examples(60), deadline=None)
@given(
    calendar=sla_calendars(),
    clock=st.sampled_from(["business", "calendar"]),
    pausable=st.booleans(),
    history=on_hold_ticket_histories(max_tickets=1, max_events=10),
    as_of_minutes=st.integers(0, 30 * 24 * 60),
)
def test_requester_wait_is_the_sum_of_the_resolution_cycles(
    *,
    calendar: BusinessCalendar,
    clock: str,
    pausable: bool,
    history: tuple[pd.DataFrame, pd.DataFrame],
    as_of_minutes: int,
) -> None:
    """Same spans, one goal: requester wait = the sum of the resolution cycles' times
    (the workaround the explanation page gave before), and agent work never more."""
    events, tickets = history
    kw = {"duration": "8h", "clock": clock, "pausable": pausable}
    policy = SLAPolicy(
        name="p",
        calendar=calendar,
        targets={
            "*": [
                SLATarget(metric="resolution", **kw),  # type: ignore[arg-type]
                SLATarget(metric="requester_wait", **kw),  # type: ignore[arg-type]
                SLATarget(metric="agent_work", **kw),  # type: ignore[arg-type]
            ]
        },
    )
    as_of = pd.Timestamp("2025-03-20", tz="UTC") + pd.Timedelta(minutes=as_of_minutes)
    cycles = sla_cycles(events, tickets, policy, as_of=as_of)
    out = evaluate_sla(events, tickets, policy, as_of=as_of)
    for tid in out.index.get_level_values(0).unique():
        rows = out.loc[tid]
        if rows.loc["resolution", "state"] == "not_started":
            assert rows.loc["requester_wait", "state"] == "not_started"
            continue
        spans = cycles.loc[(tid, "resolution")]
        assert rows.loc["requester_wait", "elapsed"] == spans["elapsed"].sum()
        assert rows.loc["requester_wait", "real_elapsed"] == spans["real_elapsed"].sum()
        assert rows.loc["requester_wait", "start"] == spans["start"].iloc[0]
        assert rows.loc["agent_work", "elapsed"] <= rows.loc["requester_wait", "elapsed"]
        total_breached = rows.loc["requester_wait", "state"] == "breached"
        assert total_breached == (spans["elapsed"].sum() > pd.Timedelta(hours=8))


def _cumulative_oracle(
    calendar: BusinessCalendar | None,
    *,
    events: list[tuple[int, str]],
    as_of: int,
    goal: int,
    pausable: bool,
    hold_pauses: bool,
) -> tuple[int, int, int] | None:
    """Elapsed, due and breach of created/reopened -> solved, added up, minute by minute.

    Instants in epoch minutes (seconds out). The status after each event decides
    whether a minute counts; after the end of the observation (the last stop, or
    ``as_of`` while open) the clock runs, as crmkit projects deadlines.
    """
    seen = [(t, e) for t, e in events if t <= as_of]
    first = next((t for t, e in seen if e == "created"), None)
    if first is None:
        return None
    horizon = as_of + 40 * 24 * 60
    minutes = np.arange(first, horizon, dtype=np.int64)
    if calendar is None:
        open_ = np.ones(len(minutes), dtype=bool)
    else:
        a = (minutes * 60).astype("datetime64[s]")
        open_ = calendar.elapsed_many(a, a + np.timedelta64(60, "s")) == np.timedelta64(60, "s")
    counting = np.zeros(len(minutes), dtype=bool)
    active = paused = on_hold = False
    last, end = first, as_of
    for t, e in [*seen, (as_of, "as_of")]:
        counting[(minutes >= last) & (minutes < t)] = active and not (
            pausable and (paused or (hold_pauses and on_hold))
        )
        last = t
        if e in ("created", "reopened") and not active:
            active = True
        elif e == "solved" and active:
            active, end = False, t
        if e == "pending":
            paused, on_hold = True, False
        elif e == "on_hold":
            paused, on_hold = False, True
        elif e in ("open", "reopened", "solved"):
            paused = on_hold = False
    if active:
        end = as_of
    counted = open_ & np.where(minutes < end, counting, True)
    elapsed = int(counted[minutes < end].sum()) * 60
    cum = np.cumsum(counted)
    due = int(minutes[np.flatnonzero(cum * 60 >= goal)[0]] + 1) * 60
    breach = int(minutes[np.flatnonzero(counted & (cum * 60 > goal))[0]]) * 60
    return elapsed, due, breach


@settings(max_examples=examples(60), deadline=None)
@given(
    calendar=sla_calendars(),
    clock=st.sampled_from(["business", "calendar"]),
    metric=st.sampled_from(["requester_wait", "agent_work"]),
    pausable=st.booleans(),
    goal_minutes=st.integers(1, 20 * 60),
    history=on_hold_ticket_histories(max_tickets=1, max_events=10, minute_grid=True),
    as_of_minutes=st.integers(0, 30 * 24 * 60),
)
def test_cumulative_metrics_match_minute_oracle(
    *,
    calendar: BusinessCalendar,
    clock: str,
    metric: str,
    pausable: bool,
    goal_minutes: int,
    history: tuple[pd.DataFrame, pd.DataFrame],
    as_of_minutes: int,
) -> None:
    """Total, due and breach instants equal stepping through every minute of the life."""
    events, tickets = history
    target = SLATarget(
        metric=metric,
        duration=goal_minutes * 60,
        clock=clock,  # type: ignore[arg-type]
        pausable=pausable,
    )
    policy = SLAPolicy(name="p", targets={"*": [target]}, calendar=calendar)
    as_of = pd.Timestamp("2025-03-20", tz="UTC") + pd.Timedelta(minutes=as_of_minutes)
    out = evaluate_sla(events, tickets, policy, as_of=as_of)
    ordered = events.sort_values("time", kind="stable")
    pairs = [
        (int(x.timestamp()) // 60, e)
        for x, e in zip(ordered["time"], ordered["event"], strict=True)
    ]
    expected = _cumulative_oracle(
        calendar if clock == "business" else None,
        events=pairs,
        as_of=int(as_of.timestamp()) // 60,
        goal=goal_minutes * 60,
        pausable=pausable,
        hold_pauses=metric == "agent_work",
    )
    row = out.iloc[0]
    if expected is None:
        assert row["state"] == "not_started"
        return
    elapsed, due, breach = expected
    assert row["elapsed"] == pd.Timedelta(seconds=elapsed)
    assert int(row["due_at"].timestamp()) == due
    assert int(row["breach_at"].timestamp()) == breach
    assert (row["state"] == "breached") == (elapsed > goal_minutes * 60)


# ------------------------------------------------------------------ regressions: rule overlaps


def _custom(rule: MetricRule) -> SLAPolicy:
    return SLAPolicy(
        name="d",
        targets={
            "*": [SLATarget(metric="custom", name="x", rule=rule, duration="1h", clock="calendar")]
        },
    )


def test_an_event_that_starts_and_stops_toggles_in_both_engines() -> None:
    """Regression: ``start=["customer_reply"], stop=["customer_reply", "solved"]`` crashed
    the batch engine (IndexError) while the scalar tracker toggled the cycle.

    Replies at 10:00, 11:00 and 14:00: the first opens a cycle, the second closes it
    (1 h, met), the third opens the next, running 1 h at 15:00 (the scalar rule in
    ``_apply``: a stop while open, a start while closed).
    """
    rule = MetricRule(start=["customer_reply"], stop=["customer_reply", "solved"])
    history = [
        (T0, "created"),
        (T0 + 1 * H, "customer_reply"),
        (T0 + 2 * H, "customer_reply"),
        (T0 + 5 * H, "customer_reply"),
    ]
    scalar, batch = _both(history, _custom(rule), T0 + 6 * H)
    result = scalar["x"]
    assert [(c.state, c.elapsed) for c in result.cycles] == [
        ("met", dt.timedelta(hours=1)),
        ("running", dt.timedelta(hours=1)),
    ]
    assert batch.loc[("T1", "x"), "cycles"] == 2


def test_an_event_that_stops_and_restarts_restarts_an_open_cycle_in_batch_too() -> None:
    """Regression: ``stop=["solved"], restart=["solved"]`` gave 2 cycles in the batch
    engine and 4 in the scalar tracker for created 9:00 and solved 10:00, 12:00, 14:00.

    A restart event closes the open cycle and opens the next, also when it is a stop
    event: cycles 9-10 (1 h, met), 10-12 and 12-14 (2 h each, breached against 1 h) and
    14:00 on (1 h at 15:00, running): 4 cycles, as the scalar tracker counts.
    """
    rule = MetricRule(start=["created"], stop=["solved"], restart=["solved"])
    history = [(T0, "created"), (T0 + H, "solved"), (T0 + 3 * H, "solved"), (T0 + 5 * H, "solved")]
    scalar, batch = _both(history, _custom(rule), T0 + 6 * H)
    assert [c.elapsed.total_seconds() / 3600 for c in scalar["x"].cycles] == [1, 2, 2, 1]
    assert [c.state for c in scalar["x"].cycles] == ["met", "breached", "breached", "running"]
    assert batch.loc[("T1", "x"), "cycles"] == 4
    assert batch.loc[("T1", "x"), "breached_cycles"] == 2


@settings(max_examples=examples(150), deadline=None)
@given(
    st.lists(
        st.sampled_from(["pending", "on_hold", "open", "reopened", "solved", "agent_reply"]),
        max_size=12,
    )
)
def test_tracker_hold_status_is_one_state(events: list[str]) -> None:
    """The tracker keeps one waiting status, not two flags: ``paused`` and ``on_hold`` are
    read from ``hold_status`` and follow the two-flag machine they replaced (Pending ends
    On-hold and back; open / reopened / solved end both), never both True (Zendesk's
    statuses are exclusive: a ticket is Pending or On-hold, not both)."""
    tracker = SLATracker.start(ZENDESK).record("created", T0)
    paused = on_hold = False
    for i, event in enumerate(events):
        tracker = tracker.record(event, T0 + (i + 1) * H)
        if event == "pending":
            paused, on_hold = True, False
        elif event == "on_hold":
            paused, on_hold = False, True
        elif event in ("open", "reopened", "solved"):
            paused, on_hold = False, False
        assert (tracker.paused, tracker.on_hold) == (paused, on_hold)
        assert tracker.hold_status == ("pending" if paused else "on_hold" if on_hold else None)


def test_tracker_hold_status_refuses_unknown_values() -> None:
    """``hold_status`` takes only the two waiting statuses (or None)."""
    with pytest.raises(ValueError, match="hold_status"):
        SLATracker(policy=ZENDESK, priority=None, tracks=(), hold_status="closed")  # type: ignore[arg-type]
