"""SLA targets, policies and the scalar evaluation of one ticket (crmkit.service._sla).

Hand-checked examples (the domain's complaint and core-customer commitments, closing-time
deadlines, pauses, reopen cycles), every configuration error, JSON round trips, and
property tests of the tracker's invariants.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.service import (
    BusinessCalendar,
    PolicySet,
    SLAPolicy,
    SLATarget,
    SLATracker,
    evaluate_ticket,
    sla_cycles,
)
from tests.strategies import sla_calendars, sla_targets

SH = BusinessCalendar(
    "Asia/Shanghai",
    {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ["mon", "tue", "wed", "thu", "fri"]},
)
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def at(*args: int) -> dt.datetime:
    """A Shanghai wall-clock instant."""
    return dt.datetime(*args, tzinfo=SH.zone)  # type: ignore[misc]


def target(metric: str, duration: str, clock: str = "calendar", **kw: object) -> SLATarget:
    return SLATarget(metric=metric, duration=duration, clock=clock, **kw)  # type: ignore[arg-type]


COMPLAINTS = SLAPolicy(
    name="complaints",
    when={"kind": ["complaint"]},
    targets={
        "*": [
            target("first_response", "1h"),
            target("resolution", "24h"),
            target("follow_up", "72h"),
        ]
    },
)
CORE = SLAPolicy(
    name="core",
    when={"customer_tier": ["core"]},
    targets={"*": [target("first_response", "2h"), target("on_site", "4h")]},
)
POLICIES = PolicySet(
    policies=[COMPLAINTS, CORE],
    default=SLAPolicy(
        name="standard",
        targets={
            "*": [target("first_response", "4h", "business")],
            "P1": [target("first_response", "30m"), target("resolution", "8h")],
        },
    ),
    calendar=SH,
)


# ----------------------------------------------------------------------------- examples


def test_complaint_commitments_met_and_breached() -> None:
    t0 = at(2025, 3, 3, 10)  # Monday
    events = [
        (t0, "created"),
        (t0 + 50 * M, "agent_reply"),
        (t0 + 23 * H, "solved"),
        (t0 + 23 * H + 80 * H, "follow_up"),  # 80 h after the solution: late
    ]
    r = evaluate_ticket(events, POLICIES, as_of=t0 + 10 * 24 * H, ticket={"kind": "complaint"})
    assert r.policy == "complaints"
    fr, res, fu = r["first_response"], r["resolution"], r["follow_up"]
    assert (fr.state, fr.elapsed, fr.remaining) == ("met", 50 * M, 10 * M)
    assert fr.due_at == t0 + H
    assert (res.state, res.elapsed, res.used) == ("met", 23 * H, 23 / 24)
    assert (fu.state, fu.elapsed, fu.remaining) == ("breached", 80 * H, -8 * H)
    assert fu.due_at == t0 + 23 * H + 72 * H
    assert fu.breached_cycles == 1


def test_core_customer_response_and_on_site() -> None:
    t0 = at(2025, 3, 4, 15)
    events = [(t0, "created"), (t0 + 90 * M, "agent_reply"), (t0 + 4 * H + M, "on_site")]
    r = evaluate_ticket(
        events, POLICIES, as_of=t0 + 5 * H, ticket={"kind": "incident", "customer_tier": "core"}
    )
    assert r.policy == "core"
    assert r["first_response"].state == "met"
    assert r["on_site"].state == "breached"
    assert r["on_site"].elapsed == 4 * H + M


def test_first_match_wins_and_default() -> None:
    both = {"kind": "complaint", "customer_tier": "core"}
    assert POLICIES.select(both).name == "complaints"
    assert POLICIES.select({"kind": "question", "customer_tier": "core"}).name == "core"
    assert POLICIES.select({"kind": "question", "customer_tier": "regular"}).name == "standard"
    # The set's calendar reaches a policy without one.
    assert POLICIES.select({"kind": "question", "customer_tier": "regular"}).calendar == SH


def test_priority_targets_replace_shared_by_name() -> None:
    default = POLICIES.default
    assert [(t.name, t.duration) for t in default.targets_for("P1")] == [
        ("first_response", 30 * M),
        ("resolution", 8 * H),
    ]
    assert [(t.name, t.clock) for t in default.targets_for("P3")] == [
        ("first_response", "business")
    ]


def test_business_clock_deadline_on_closing_time() -> None:
    # Fri 16:00 + 2 business hours: due at Fri 18:00 (the closing time), compliant until
    # Mon 09:00; a reply on Saturday used no business time beyond the goal.
    policy = SLAPolicy(
        name="b", targets={"*": [target("first_response", "2h", "business")]}, calendar=SH
    )
    t0 = at(2025, 3, 7, 16)
    r = evaluate_ticket(
        [(t0, "created"), (at(2025, 3, 8, 10), "agent_reply")], policy, as_of=t0 + 72 * H
    )
    fr = r["first_response"]
    assert fr.due_at == at(2025, 3, 7, 18)
    assert fr.breach_at == at(2025, 3, 10, 9)
    assert (fr.state, fr.elapsed, fr.real_elapsed) == ("met", 2 * H, 18 * H)
    # Fri 17:00 + 2 h: the lunch break and the weekend are not business time.
    r = evaluate_ticket([(at(2025, 3, 7, 17), "created")], policy, as_of=at(2025, 3, 10, 11))
    assert r["first_response"].due_at == at(2025, 3, 10, 10)
    assert r["first_response"].state == "breached"
    assert r["first_response"].elapsed == 2 * H + H  # 17-18 Fri, 09-11 Mon


def test_pause_moves_the_deadline() -> None:
    t0 = at(2025, 3, 3, 9)
    events = [
        (t0, "created"),
        (t0 + 30 * M, "pending"),
        (t0 + 150 * M, "open"),  # paused for two hours
        (t0 + 180 * M, "agent_reply"),
    ]
    r = evaluate_ticket(events, target("first_response", "1h"), as_of=t0 + 5 * H)
    fr = r["first_response"]
    assert fr.state == "met"
    assert fr.elapsed == H
    assert fr.real_elapsed == H
    assert fr.due_at == t0 + 3 * H  # 1 h goal + 2 h paused
    # Not pausable: the two hours count.
    r = evaluate_ticket(events, target("first_response", "1h", pausable=False), as_of=t0 + 5 * H)
    assert (r["first_response"].state, r["first_response"].elapsed) == ("breached", 3 * H)
    assert r["first_response"].due_at == t0 + H


def test_paused_target_projects_from_as_of() -> None:
    t0 = at(2025, 3, 3, 9)
    events = [(t0, "created"), (t0 + 20 * M, "pending")]
    r = evaluate_ticket(events, target("resolution", "1h"), as_of=t0 + 5 * H)
    res = r["resolution"]
    assert res.state == "paused"
    assert res.elapsed == 20 * M
    assert res.due_at == t0 + 5 * H + 40 * M  # as if the clock resumed at as_of


def test_solved_while_pending_ends_the_pause() -> None:
    """Regression: solving a pending ticket left every later clock paused (follow-up never ran).

    A status is exclusive: a solved ticket is no longer waiting on the customer (Zendesk,
    Freshdesk and Jira Service Management all pause on the *current* status only).
    """
    t0 = at(2025, 3, 3, 9)
    policy = SLAPolicy(
        name="p", targets={"*": [target("resolution", "24h"), target("follow_up", "72h")]}
    )
    events = [(t0, "created"), (t0 + H, "pending"), (t0 + 2 * H, "solved")]
    r = evaluate_ticket(events, policy, as_of=t0 + 100 * H)
    assert (r["resolution"].state, r["resolution"].elapsed) == ("met", H)
    fu = r["follow_up"]
    assert (fu.state, fu.elapsed, fu.due_at) == ("breached", 98 * H, t0 + 74 * H)
    tracker = SLATracker.start(policy)
    for when, event in events:
        tracker = tracker.record(event, when)
    assert tracker.evaluate(t0 + 10 * H)["follow_up"].state == "running"
    # A reopening after that starts the resolution clock unpaused.
    r = evaluate_ticket([*events, (t0 + 5 * H, "reopened")], policy, as_of=t0 + 7 * H)
    assert (r["resolution"].state, r["resolution"].elapsed) == ("running", 2 * H)


def test_reopen_starts_a_new_resolution_cycle() -> None:
    t0 = at(2025, 3, 3, 9)
    events = [
        (t0, "created"),
        (t0 + 3 * H, "solved"),
        (t0 + 24 * H, "reopened"),
        (t0 + 35 * H, "solved"),
        (t0 + 48 * H, "reopened"),
    ]
    r = evaluate_ticket(events, target("resolution", "8h"), as_of=t0 + 50 * H)
    res = r["resolution"]
    assert [c.state for c in res.cycles] == ["met", "breached", "running"]
    assert [c.elapsed for c in res.cycles] == [3 * H, 11 * H, 2 * H]
    assert res.state == "breached"  # any breached cycle decides
    assert res.elapsed == 2 * H  # the current cycle's numbers
    assert res.breached_cycles == 1


def test_next_response_and_periodic_update_cycles() -> None:
    t0 = at(2025, 3, 3, 9)
    events = [
        (t0, "created"),
        (t0 + H, "agent_reply"),
        (t0 + 2 * H, "customer_reply"),
        (t0 + 3 * H, "customer_reply"),  # still unanswered: the oldest counts
        (t0 + 5 * H, "agent_reply"),
        (t0 + 9 * H, "solved"),
    ]
    policy = SLAPolicy(
        name="p",
        targets={"*": [target("next_response", "2h"), target("periodic_update", "3h")]},
    )
    r = evaluate_ticket(events, policy, as_of=t0 + 10 * H)
    nr, pu = r["next_response"], r["periodic_update"]
    assert [(c.elapsed, c.state) for c in nr.cycles] == [(3 * H, "breached")]
    assert [(c.elapsed, c.state) for c in pu.cycles] == [
        (H, "met"),
        (4 * H, "breached"),
        (4 * H, "breached"),
    ]


def test_custom_start_stop_pair() -> None:
    quote = SLATarget(
        metric="custom",
        name="prototype_and_quote",
        duration="72h",
        clock="calendar",
        start="created",
        stop="quote_sent",
    )
    t0 = at(2025, 3, 3, 9)
    r = evaluate_ticket([(t0, "created"), (t0 + 70 * H, "quote_sent")], quote, as_of=t0 + 80 * H)
    assert r["prototype_and_quote"].state == "met"
    with pytest.raises(InvalidInputError, match="'events' must be event names"):
        evaluate_ticket([(t0, "created"), (t0, "quote_snet")], quote, as_of=t0)


def test_warning_and_escalation_levels() -> None:
    t = target("first_response", "1h", warn_before=["30m", "10m"], escalate_after=["0s", "2h"])
    t0 = at(2025, 3, 3, 9)
    levels = []
    for minutes in (20, 30, 55, 60, 61, 180, 181):
        r = evaluate_ticket([(t0, "created")], t, as_of=t0 + minutes * M)
        fr = r["first_response"]
        levels.append((fr.warn_level, fr.escalation_level, fr.state))
    assert levels == [
        (0, 0, "running"),
        (1, 0, "running"),
        (2, 0, "running"),
        (2, 0, "running"),  # exactly on the goal still complies
        (2, 1, "breached"),
        (2, 1, "breached"),
        (2, 2, "breached"),
    ]


def test_not_started_and_events_after_as_of() -> None:
    t0 = at(2025, 3, 3, 9)
    r = evaluate_ticket(
        [(t0, "created"), (t0 + H, "solved")], target("follow_up", "72h"), as_of=t0 + 30 * M
    )
    fu = r["follow_up"]
    assert (fu.state, fu.cycles, fu.due_at, fu.warn_level) == ("not_started", (), None, 0)


def test_naive_times_read_in_calendar_zone() -> None:
    policy = SLAPolicy(name="b", targets={"*": [target("resolution", "2h")]}, calendar=SH)
    naive = evaluate_ticket(
        [(dt.datetime(2025, 3, 3, 9), "created")], policy, as_of=dt.datetime(2025, 3, 3, 10)
    )
    aware = evaluate_ticket(
        [(dt.datetime(2025, 3, 3, 1, tzinfo=dt.UTC), "created")],
        policy,
        as_of=dt.datetime(2025, 3, 3, 2, tzinfo=dt.UTC),
    )
    assert naive["resolution"].due_at == aware["resolution"].due_at == at(2025, 3, 3, 11)
    # Without a calendar there is no zone to read naive times in (as_of: a parameter).
    with pytest.raises(ConfigError, match="timezone-aware"):
        evaluate_ticket([], target("resolution", "2h"), as_of=dt.datetime(2025, 3, 3))


def test_tracker_rejects_time_going_backwards() -> None:
    tracker = SLATracker.start(COMPLAINTS).record("created", at(2025, 3, 3, 9))
    with pytest.raises(InvalidInputError, match="at or after the previous event"):
        tracker.record("agent_reply", at(2025, 3, 3, 8))
    with pytest.raises(InvalidInputError, match="at or after the last recorded event"):
        tracker.evaluate(at(2025, 3, 3, 8))


def test_tracker_is_immutable() -> None:
    start = SLATracker.start(COMPLAINTS).record("created", at(2025, 3, 3, 9))
    later = start.record("agent_reply", at(2025, 3, 3, 9, 30))
    assert start.evaluate(at(2025, 3, 3, 11))["first_response"].state == "breached"
    assert later.evaluate(at(2025, 3, 3, 11))["first_response"].state == "met"


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"metric": "first_reply", "duration": "1h", "clock": "calendar"}, "metric"),
        ({"metric": "resolution", "duration": "1h", "clock": "wall"}, "clock"),
        ({"metric": "resolution", "duration": "0s", "clock": "calendar"}, "duration"),
        ({"metric": "resolution", "duration": "1d", "clock": "calendar"}, "duration"),
        ({"metric": "resolution", "duration": 1.5, "clock": "calendar"}, "duration"),
        (
            {
                "metric": "resolution",
                "duration": H + dt.timedelta(milliseconds=1),
                "clock": "calendar",
            },
            "duration",
        ),
        (
            {"metric": "resolution", "duration": "1h", "clock": "calendar", "warn_before": ["1h"]},
            "warn_before",
        ),
        (
            {"metric": "resolution", "duration": "1h", "clock": "calendar", "warn_before": "5m"},
            "warn_before",
        ),
        (
            {
                "metric": "resolution",
                "duration": "1h",
                "clock": "calendar",
                "escalate_after": [-60],
            },
            "escalate_after",
        ),
        ({"metric": "resolution", "duration": "1h", "clock": "calendar", "name": ""}, "name"),
        (
            {"metric": "resolution", "duration": "1h", "clock": "calendar", "pausable": "yes"},
            "pausable",
        ),
        (
            {"metric": "resolution", "duration": "1h", "clock": "calendar", "start": "created"},
            "start",
        ),
        ({"metric": "custom", "duration": "1h", "clock": "calendar", "start": "created"}, "stop"),
        (
            {"metric": "custom", "duration": "1h", "clock": "calendar", "start": "a", "stop": "a"},
            "stop",
        ),
        (
            {
                "metric": "custom",
                "duration": "1h",
                "clock": "calendar",
                "start": "pending",
                "stop": "a",
            },
            "start",
        ),
    ],
)
def test_target_config_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        SLATarget(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_clock_is_required_in_json() -> None:
    with pytest.raises(ConfigError, match="'clock' must be present"):
        SLATarget.from_dict({"metric": "resolution", "duration": "24h"})
    with pytest.raises(ConfigError, match="'colour'"):
        SLATarget.from_dict(
            {"metric": "resolution", "duration": "24h", "clock": "calendar", "colour": 1}
        )


def test_policy_config_errors() -> None:
    fr = target("first_response", "1h")
    with pytest.raises(ConfigError, match="unique target names"):
        SLAPolicy(name="x", targets={"*": [fr, fr]})
    with pytest.raises(ConfigError, match="at least one target"):
        SLAPolicy(name="x", targets={"*": []})
    with pytest.raises(ConfigError, match="'name'"):
        SLAPolicy(name="", targets={"*": [fr]})
    with pytest.raises(ConfigError, match="'targets'"):
        SLAPolicy(name="x", targets=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="non-empty list"):
        SLAPolicy(name="x", targets={"*": [fr]}, when={"kind": []})
    with pytest.raises(ConfigError, match="'when'"):
        SLAPolicy(name="x", targets={"*": [fr]}, when=7)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'calendar'"):
        SLAPolicy(name="x", targets={"*": [fr]}, calendar="Shanghai")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'colour'"):
        SLAPolicy.from_dict({"name": "x", "targets": {}, "colour": "red"})
    with pytest.raises(ConfigError, match=r"""targets\['\*'\]" must be a list"""):
        SLAPolicy.from_dict({"name": "x", "targets": {"*": "fr"}})
    business = SLAPolicy(name="b", targets={"*": [target("first_response", "1h", "business")]})
    with pytest.raises(ConfigError, match="business calendar"):
        PolicySet(policies=[], default=business)
    with pytest.raises(ConfigError, match="business calendar"):
        SLATracker.start(business)
    with pytest.raises(ConfigError, match="without conditions"):
        PolicySet(policies=[], default=COMPLAINTS)
    with pytest.raises(ConfigError, match="unique policy names"):
        PolicySet(policies=[COMPLAINTS, COMPLAINTS], default=POLICIES.default, calendar=SH)
    with pytest.raises(ConfigError, match="'default' must be present"):
        PolicySet.from_dict({"policies": []})
    with pytest.raises(ConfigError, match="'policies'"):
        PolicySet(policies="abc", default=POLICIES.default, calendar=SH)  # type: ignore[arg-type]


def test_missing_condition_attribute_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="'kind'"):
        POLICIES.select({"customer_tier": "core"})


def test_bad_events_input() -> None:
    t0 = at(2025, 3, 3, 9)
    with pytest.raises(InvalidInputError, match="pairs"):
        evaluate_ticket([t0], COMPLAINTS, as_of=t0)  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="event names"):
        evaluate_ticket([(t0, 3)], COMPLAINTS, as_of=t0)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="'policies'"):
        evaluate_ticket([], "complaints", as_of=t0)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- round trips


def test_policy_set_json_round_trip() -> None:
    text = json.dumps(POLICIES.to_dict())
    back = PolicySet.from_dict(json.loads(text))
    assert back == POLICIES
    assert json.dumps(back.to_dict()) == text


@given(st.lists(sla_targets(), min_size=1, max_size=4, unique_by=lambda t: t.name), sla_calendars())
def test_random_policies_round_trip(targets: list[SLATarget], calendar: BusinessCalendar) -> None:
    policy = SLAPolicy(
        name="p", targets={"*": targets[:1], "P1": targets[1:]}, when={"kind": ["a", "b"]}
    )
    ps = PolicySet(
        policies=[policy], default=SLAPolicy(name="d", targets={"*": targets}), calendar=calendar
    )
    assert PolicySet.from_dict(json.loads(json.dumps(ps.to_dict()))) == ps


# --------------------------------------------------------------------------- properties

_OFFSETS = st.lists(
    st.tuples(
        st.integers(0, 48 * 60),
        st.sampled_from(
            [
                "agent_reply",
                "customer_reply",
                "pending",
                "open",
                "solved",
                "reopened",
                "on_site",
                "follow_up",
            ]
        ),
    ),
    max_size=10,
)


@given(sla_targets(), sla_calendars(), _OFFSETS, st.integers(0, 96 * 60))
def test_invariants_hold_at_every_step(
    t: SLATarget, calendar: BusinessCalendar, offsets: list[tuple[int, str]], tail: int
) -> None:
    policy = SLAPolicy(name="p", targets={"*": [t]}, calendar=calendar)
    t0 = dt.datetime(2025, 3, 28, 8, 17, tzinfo=dt.UTC)  # the week of the EU DST switch
    tracker = SLATracker.start(policy).record("created", t0)
    for minutes, event in sorted(offsets):
        when = t0 + minutes * M
        tracker = tracker.record(event, when)
        result = tracker.evaluate(when + tail * M)[t.name]
        for c in result.cycles:
            assert c.elapsed >= dt.timedelta(0)
            assert c.real_elapsed >= dt.timedelta(0)
            assert c.due_at.timestamp() <= c.breach_at.timestamp()
            assert c.remaining == c.goal - c.elapsed
            assert (c.state == "breached") == (c.elapsed > c.goal)
            if isinstance(t.duration, dt.timedelta):
                assert c.goal == t.duration
            if t.clock == "calendar":
                assert c.elapsed == c.real_elapsed
            else:
                assert c.elapsed <= c.real_elapsed
            if c.stop is not None:
                assert (c.stop.timestamp() > c.breach_at.timestamp()) == (c.state == "breached")


@given(sla_targets(), sla_calendars(), _OFFSETS, st.integers(1, 24 * 60), st.integers(1, 24 * 60))
def test_more_pause_never_breaches_earlier(
    t: SLATarget,
    calendar: BusinessCalendar,
    offsets: list[tuple[int, str]],
    pause_at: int,
    pause_for: int,
) -> None:
    t = SLATarget.from_dict({**t.to_dict(), "pausable": True})
    policy = SLAPolicy(name="p", targets={"*": [t]}, calendar=calendar)
    t0 = dt.datetime(2025, 3, 28, 8, 17, tzinfo=dt.UTC)
    # A history without pause events of its own, then the same with one extra pause.
    base = [(t0, "created")] + [
        (t0 + m * M, e) for m, e in sorted(offsets) if e not in ("pending", "open", "reopened")
    ]
    extra = [*base, (t0 + pause_at * M, "pending"), (t0 + (pause_at + pause_for) * M, "open")]
    extra.sort(key=lambda item: item[0])
    as_of = t0 + 72 * H
    plain = evaluate_ticket(base, policy, as_of=as_of)[t.name]
    paused = evaluate_ticket(extra, policy, as_of=as_of)[t.name]
    assert len(plain.cycles) == len(paused.cycles)
    for a, b in zip(plain.cycles, paused.cycles, strict=True):
        assert b.elapsed <= a.elapsed
        assert b.due_at.timestamp() >= a.due_at.timestamp()
        assert b.breach_at.timestamp() >= a.breach_at.timestamp()
        if a.state == "met":
            assert b.state == "met"


@given(sla_calendars(), st.integers(0, 7 * 24 * 60), st.integers(1, 600))
def test_single_cycle_matches_calendar_arithmetic(
    calendar: BusinessCalendar, start: int, goal: int
) -> None:
    """Without pauses, due/breach are the calendar's own due_at/breach_at.

    The same holds for a business-day target with its goal (business time to the end of
    the n-th business day).
    """
    t = SLATarget(metric="resolution", duration=goal * 60, clock="business")
    policy = SLAPolicy(name="p", targets={"*": [t]}, calendar=calendar)
    t0 = dt.datetime(2025, 3, 24, tzinfo=dt.UTC) + start * M
    r = evaluate_ticket([(t0, "created")], policy, as_of=t0)["resolution"]
    assert r.due_at.timestamp() == calendar.due_at(t0, t.duration).timestamp()
    assert r.breach_at.timestamp() == calendar.breach_at(t0, t.duration).timestamp()
    days = SLATarget(metric="resolution", duration=f"{goal % 3 + 1}bd", clock="business")
    policy = SLAPolicy(name="p", targets={"*": [days]}, calendar=calendar)
    r = evaluate_ticket([(t0, "created")], policy, as_of=t0)["resolution"]
    last = calendar.add_days(t0, goal % 3 + 1)
    assert r.goal is not None
    assert r.due_at.timestamp() == calendar.due_at(t0, r.goal).timestamp()
    assert r.due_at.astimezone(calendar.zone).date() in (last, last + dt.timedelta(days=1))


def test_iso_strings_are_read_like_datetimes() -> None:
    t = target("resolution", "1h")
    r = evaluate_ticket([("2025-03-03T09:00+08:00", "created")], t, as_of="2025-03-03T09:30+08:00")
    assert r["resolution"].remaining == 30 * M
    with pytest.raises(ConfigError, match="ISO 8601"):
        evaluate_ticket([], t, as_of="tomorrow")


@given(
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
    _OFFSETS,
    st.integers(1, 48 * 60),
)
def test_always_open_business_clock_equals_calendar_clock(
    zone: str, offsets: list[tuple[int, str]], goal: int
) -> None:
    """A 24x7 business calendar is real time, DST days included."""
    business = SLAPolicy(
        name="b",
        targets={"*": [target("resolution", goal * 60, "business")]},
        calendar=BusinessCalendar.always_open(zone),
    )
    calendar = SLAPolicy(name="c", targets={"*": [target("resolution", goal * 60, "calendar")]})
    t0 = dt.datetime(2025, 3, 29, 20, tzinfo=dt.UTC)  # the EU and Lord Howe switches are near
    events = [(t0, "created")] + [(t0 + m * M, e) for m, e in sorted(offsets)]
    a = evaluate_ticket(events, business, as_of=t0 + 80 * H)["resolution"]
    b = evaluate_ticket(events, calendar, as_of=t0 + 80 * H)["resolution"]
    assert a.state == b.state
    assert [c.elapsed for c in a.cycles] == [c.elapsed for c in b.cycles]
    assert [c.due_at.timestamp() for c in a.cycles] == [c.due_at.timestamp() for c in b.cycles]
    assert [c.breach_at.timestamp() for c in a.cycles] == [
        c.breach_at.timestamp() for c in b.cycles
    ]


def test_custom_events_and_attributes_of_a_policy_set() -> None:
    quote = SLATarget(
        metric="custom",
        name="quote",
        duration="72h",
        clock="calendar",
        start="created",
        stop="quote_sent",
    )
    ps = PolicySet(
        policies=[
            SLAPolicy(name="software", when={"segment": ["software"]}, targets={"*": [quote]})
        ],
        default=POLICIES.default,
        calendar=SH,
    )
    assert ps.custom_events == frozenset({"quote_sent"})
    assert ps.attributes == ("segment",)


def test_custom_created_to_solved_judges_the_first_solution_only() -> None:
    """The tutorial's alternative for an "initial solution" promise: one cycle only."""
    t0 = at(2025, 3, 3, 9)
    first = SLATarget(
        metric="custom",
        name="initial_solution",
        start="created",
        stop="solved",
        duration="24h",
        clock="calendar",
    )
    policy = SLAPolicy(name="p", targets={"*": [first, target("resolution", "24h")]})
    events = [(t0, "created"), (t0 + 3 * H, "solved"), (t0 + 10 * H, "reopened")]
    r = evaluate_ticket([*events, (t0 + 50 * H, "solved")], policy, as_of=t0 + 60 * H)
    assert (r["initial_solution"].state, len(r["initial_solution"].cycles)) == ("met", 1)
    assert (r["resolution"].state, len(r["resolution"].cycles)) == ("breached", 2)


def test_follow_up_runs_from_the_solution_after_a_reopening() -> None:
    """As documented in the pauses-and-cycles how-to: a reopening drops the follow-up of the
    first solution, and the second ``solved`` starts the one that counts (it ran from the
    first solution until session 8)."""
    t0 = at(2025, 3, 3, 9)
    events = [
        (t0, "created"),
        (t0 + 3 * H, "solved"),
        (t0 + 10 * H, "reopened"),
        (t0 + 50 * H, "solved"),
        (t0 + 60 * H, "follow_up"),
    ]
    fu = evaluate_ticket(events, target("follow_up", "72h"), as_of=t0 + 100 * H)["follow_up"]
    assert (fu.state, len(fu.cycles), fu.start, fu.elapsed) == ("met", 1, t0 + 50 * H, 10 * H)


# ------------------------------------------------------------------ targets in business days


def test_business_day_target_monday_plus_two_with_tuesday_holiday() -> None:
    """Monday 10:00 + 2bd with Tuesday a holiday is due at the end (closing time) of Thursday."""
    week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
    cal = BusinessCalendar("Europe/Berlin", week, holidays=["2025-01-07"])
    target = SLATarget(metric="resolution", duration="2bd", clock="business")
    policy = SLAPolicy(name="p", calendar=cal, targets={"*": [target]})
    monday = dt.datetime(2025, 1, 6, 10)
    r = evaluate_ticket([(monday, "created")], policy, as_of=monday)["resolution"]
    assert r.due_at == dt.datetime(2025, 1, 9, 18, tzinfo=cal.zone)
    assert r.breach_at == dt.datetime(2025, 1, 10, 9, tzinfo=cal.zone)  # next opening
    assert r.remaining == 8 * H + 9 * H + 9 * H  # Mon 10-18, Wed, Thu
    # A reply Thursday 17:59 is met; Friday 09:00:01 breaches; a Thursday-evening one is met.
    for reply, state in (
        (dt.datetime(2025, 1, 9, 17, 59), "met"),
        (dt.datetime(2025, 1, 9, 21, 0), "met"),
        (dt.datetime(2025, 1, 10, 9, 0, 1), "breached"),
    ):
        got = evaluate_ticket([(monday, "created"), (reply, "solved")], policy, as_of=reply)
        assert got["resolution"].state == state, reply


def test_business_day_target_rolls_a_weekend_start_forward() -> None:
    """Created on Saturday: day 0 is Monday, so 1bd is due at the end of Tuesday."""
    week = {d: [["09:00", "17:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
    cal = BusinessCalendar("Asia/Shanghai", week)
    target = SLATarget(metric="first_response", duration="1bd", clock="business")
    policy = SLAPolicy(name="p", calendar=cal, targets={"*": [target]})
    saturday = dt.datetime(2025, 1, 11, 15)
    r = evaluate_ticket([(saturday, "created")], policy, as_of=saturday)["first_response"]
    assert r.due_at == dt.datetime(2025, 1, 14, 17, tzinfo=cal.zone)
    assert r.remaining == 16 * H


def test_business_day_target_json_and_validation() -> None:
    """'2bd' round-trips through JSON; it needs the business clock and a positive count."""
    t = SLATarget(metric="resolution", duration="3bd", clock="business", warn_before=["4h"])
    assert t.to_dict()["duration"] == "3bd"
    assert SLATarget.from_dict(t.to_dict()) == t
    with pytest.raises(ConfigError, match="'clock' must be 'business'"):
        SLATarget(metric="resolution", duration="2bd", clock="calendar")
    with pytest.raises(ConfigError, match="duration"):
        SLATarget(metric="resolution", duration="0bd", clock="business")


def test_evaluate_ticket_takes_the_events_first() -> None:
    """Data first (issue 12); the old order and None events are crmkit errors."""
    t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    target = SLATarget(metric="resolution", duration="1h", clock="calendar")
    with pytest.raises(ConfigError, match="events first"):
        evaluate_ticket(target, [(t0, "created")], as_of=t0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="iterable of"):
        evaluate_ticket(None, target, as_of=t0)  # type: ignore[arg-type]


def test_nested_errors_name_the_full_path() -> None:
    """Regression (issue 10): nested from_dict errors named only the inner key."""
    target = {"metric": "resolution", "duration": "1x", "clock": "calendar"}
    bad = {"default": {"name": "d", "targets": {"*": [target]}}}
    with pytest.raises(ConfigError, match=r"default\.targets\['\*'\]\[0\]\.duration"):
        PolicySet.from_dict(bad)
    with pytest.raises(ConfigError, match=r"policies\[1\]\.calendar\.weekly\.mon"):
        PolicySet.from_dict(
            {
                "policies": [
                    {"name": "a", "when": {"k": ["x"]}, "targets": {"*": [_fr_json()]}},
                    {
                        "name": "b",
                        "when": {"k": ["y"]},
                        "targets": {"*": [_fr_json()]},
                        "calendar": {"timezone": "UTC", "weekly": {"mon": [["9am", "5pm"]]}},
                    },
                ],
                "default": {"name": "d", "targets": {"*": [_fr_json()]}},
            }
        )


def _fr_json() -> dict[str, str]:
    return {"metric": "first_response", "duration": "1h", "clock": "calendar"}


def test_stored_forms_still_read() -> None:
    """JSON written before the spec layer (no schema_version, nested calendars with one)."""
    cal = BusinessCalendar("Asia/Shanghai", {"mon": [["09:00", "18:00"]]})
    old = {
        "policies": [],
        "default": {
            "name": "d",
            "when": {},
            "targets": {"*": [{**_fr_json(), "clock": "business", "warn_before": []}]},
            "calendar": cal.to_dict(),  # a calendar stored on its own, schema key included
        },
    }
    ps = PolicySet.from_dict(old)
    assert ps.default.calendar == cal
    assert PolicySet.from_dict(ps.to_dict()) == ps
    assert ps.to_dict()["schema_version"] == 1
    assert "schema_version" not in ps.to_dict()["default"]
    import pickle

    assert pickle.loads(pickle.dumps(ps)) == ps


def test_a_metric_as_data_time_to_on_site_arrival() -> None:
    """A user-defined metric (MetricRule) runs in the scalar and the batch engine alike."""
    import pandas as pd

    from crmkit.service import MetricRule, evaluate_sla

    arrival = MetricRule(start=["created"], stop=["arrived"], once=True)
    target = SLATarget(
        metric="custom", name="arrival", rule=arrival, duration="4h", clock="calendar"
    )
    policy = SLAPolicy(name="field", targets={"*": [target]})
    assert SLAPolicy.from_dict(json.loads(json.dumps(policy.to_dict()))) == policy
    t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    events = [(t0, "created"), (t0 + 5 * H, "arrived"), (t0 + 6 * H, "arrived")]
    scalar = evaluate_ticket(events, policy, as_of=t0 + 8 * H)["arrival"]
    assert (scalar.state, scalar.elapsed, len(scalar.cycles)) == ("breached", 5 * H, 1)
    frame = pd.DataFrame(
        {"ticket_id": "T", "time": [e[0] for e in events], "event": [e[1] for e in events]}
    )
    batch = evaluate_sla(frame, pd.DataFrame({"ticket_id": ["T"]}), policy, as_of=t0 + 8 * H)
    assert batch.loc[("T", "arrival"), "elapsed"] == 5 * H
    with pytest.raises(ConfigError, match="'rule' must be given only for metric 'custom'"):
        SLATarget(metric="resolution", rule=arrival, duration="4h", clock="calendar")
    with pytest.raises(ConfigError, match="'start' must be absent"):
        SLATarget(metric="custom", rule=arrival, start="created", duration="4h", clock="calendar")
    with pytest.raises(ConfigError, match="pending"):
        MetricRule(start=["created"], stop=["pending"])


def test_a_reopening_drops_the_follow_up_of_the_first_solution() -> None:
    """domain.md: "follow up on the result within 72 hours". A complaint solved at 2 h,
    reopened at 3 h and solved again at 70 h is followed up at 80 h: 10 h after the
    result it follows up on, so met (regression: the 67 h reopened counted, breached)."""
    t0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    h = lambda x: t0 + dt.timedelta(hours=x)  # noqa: E731
    target = SLATarget(metric="follow_up", duration="72h", clock="calendar")
    history = [(h(0), "created"), (h(2), "solved"), (h(3), "reopened"), (h(70), "solved"),
               (h(80), "follow_up")]  # fmt: skip
    result = evaluate_ticket(history, target, as_of=h(100))["follow_up"]
    assert [(c.start, c.state, c.elapsed) for c in result.cycles] == [
        (h(70), "met", dt.timedelta(hours=10))
    ]
    # Reopened and not solved again: nothing to follow up yet.
    open_again = evaluate_ticket(history[:3], target, as_of=h(100))["follow_up"]
    assert open_again.cycles == ()
    # The batch engine agrees, cycle for cycle.
    events = pd.DataFrame({"ticket_id": "T", "time": [t for t, _ in history],
                           "event": [e for _, e in history]})  # fmt: skip
    policy = SLAPolicy(name="p", targets={"*": [target]})
    cycles = sla_cycles(events, pd.DataFrame({"ticket_id": ["T"]}), policy, as_of=h(100))
    assert cycles["start"].tolist() == [pd.Timestamp(h(70))]
    assert cycles["state"].astype(str).tolist() == ["met"]


@pytest.mark.parametrize(
    "wall", [dt.datetime(2025, 10, 26, 2, 10), dt.datetime(2025, 3, 30, 2, 30)]
)
def test_a_naive_time_a_dst_change_repeats_or_skips_is_refused(wall: dt.datetime) -> None:
    """Regression: the repeated hour was read at its first occurrence (fold=0), so a reply
    30 minutes after creation sorted before it and the ticket breached; the batch engine
    refused the same times."""
    cal = BusinessCalendar.always_open("Europe/Berlin")
    policy = SLAPolicy(name="p", calendar=cal, targets={"*": [target("first_response", "1h")]})
    with pytest.raises(InvalidInputError, match="exists exactly once in Europe/Berlin"):
        evaluate_ticket([(wall, "created")], policy, as_of="2025-12-01")
    aware = wall.replace(tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert evaluate_ticket([(aware, "created")], policy, as_of="2025-12-01")


# ------------------------------------------------------------ worked examples against Zendesk


def test_zendesk_requester_wait_time_example_pending_pauses_resolution() -> None:
    """Zendesk's documented requester-wait example (the metric counts the New, Open and
    On-hold statuses, not Pending; Zendesk's metric definitions as quoted by GitLab's
    support handbook and metrichq.org): created 09:00, agent reply and Pending 10:00,
    customer reply reopens to Open 12:00, solved 14:00 -> 1 h + 2 h = 3 h. A pausable
    ``resolution`` target is the same 3 h, and 2 h of pause moves its due time by 2 h."""
    t0 = at(2025, 3, 3, 9)
    events = [
        (t0, "created"),
        (t0 + H, "agent_reply"),
        (t0 + H, "pending"),
        (t0 + 3 * H, "customer_reply"),
        (t0 + 3 * H, "open"),
        (t0 + 5 * H, "solved"),
    ]
    r = evaluate_ticket(events, target("resolution", "4h"), as_of=t0 + 8 * H)["resolution"]
    assert (r.state, r.elapsed, r.stop - r.start) == ("met", 3 * H, 5 * H)
    assert r.due_at == t0 + 6 * H  # 4 h goal + 2 h paused
    # Zendesk's first reply time does not pause; neither does a non-pausable target.
    fr = target("first_response", "30m", pausable=False)
    first = evaluate_ticket(events, fr, as_of=t0 + 8 * H)["first_response"]
    assert (first.state, first.elapsed) == ("breached", H)


def test_reopened_ticket_cycles_versus_zendesk_cumulative_wait() -> None:
    """The two readings of a reopening (docs/explanation/sla-evaluation.md): Zendesk's
    requester wait and agent work time are totals over the ticket's life, so a reopened
    ticket continues from the time already used; crmkit's ``resolution`` starts a new
    cycle at each ``reopened`` (Jira Service Management's model).

    Created 09:00, solved 14:00 (5 h), reopened 15:00, solved 20:00 (5 h) against 8 h:
    each ``resolution`` cycle is met; Zendesk's total of 10 h is breached, which the
    ``requester_wait`` metric reports (and equals the cycles' elapsed summed)."""
    t0 = at(2025, 3, 3, 9)
    events = [
        (t0, "created"),
        (t0 + 5 * H, "solved"),
        (t0 + 6 * H, "reopened"),
        (t0 + 11 * H, "solved"),
    ]
    r = evaluate_ticket(events, target("resolution", "8h"), as_of=t0 + 12 * H)["resolution"]
    assert r.state == "met"
    assert [(c.state, c.elapsed) for c in r.cycles] == [("met", 5 * H), ("met", 5 * H)]
    total = sum((c.elapsed for c in r.cycles), dt.timedelta(0))
    assert total == 10 * H
    assert total > r.target.duration  # Zendesk: requester wait time breached
    frame = pd.DataFrame(
        {"ticket_id": "T1", "time": [t for t, _ in events], "event": [e for _, e in events]}
    )
    policy = SLAPolicy(name="p", targets={"*": [target("resolution", "8h")]})
    cycles = sla_cycles(frame, pd.DataFrame({"ticket_id": ["T1"]}), policy, as_of=t0 + 12 * H)
    assert cycles["elapsed"].sum() == pd.Timedelta(hours=10)
    wait = evaluate_ticket(events, target("requester_wait", "8h"), as_of=t0 + 12 * H)
    assert (wait["requester_wait"].state, wait["requester_wait"].elapsed) == ("breached", 10 * H)


def test_zendesk_next_reply_time_runs_from_the_oldest_unanswered_comment() -> None:
    """Zendesk: next reply time begins with the oldest unanswered customer comment and ends
    at the next public agent comment. Two customer comments (10:00, 11:00) answered at
    12:30 are one cycle of 2 h 30 m (breached against 2 h), not 1 h 30 m; a comment at
    13:00 answered at 13:45 is the next cycle (met); the target stays breached."""
    t0 = at(2025, 3, 3, 9)
    events = [
        (t0, "created"),
        (t0 + 30 * M, "agent_reply"),
        (t0 + H, "customer_reply"),
        (t0 + 2 * H, "customer_reply"),
        (t0 + 3 * H + 30 * M, "agent_reply"),
        (t0 + 4 * H, "customer_reply"),
        (t0 + 4 * H + 45 * M, "agent_reply"),
    ]
    r = evaluate_ticket(events, target("next_response", "2h"), as_of=t0 + 6 * H)
    nr = r["next_response"]
    assert [(c.state, c.elapsed) for c in nr.cycles] == [
        ("breached", 2 * H + 30 * M),
        ("met", 45 * M),
    ]
    assert (nr.state, nr.breached_cycles) == ("breached", 1)


def test_states_at_as_of_active_paused_achieved_breached() -> None:
    """Zendesk shows a target as active, paused, achieved or breached at the moment it is
    viewed; crmkit's states at ``as_of`` are running, paused, met and breached. A running
    cycle past its deadline is breached at once, before any stop event (Zendesk's badge
    turns red at the breach, not at the reply)."""
    t0 = at(2025, 3, 3, 9)
    events = [(t0, "created"), (t0 + H, "pending")]
    res = target("resolution", "2h")

    def state(as_of: dt.datetime, evs: list[tuple[dt.datetime, str]] = events) -> str:
        return evaluate_ticket(evs, res, as_of=as_of)["resolution"].state

    assert state(t0 + 30 * M, events[:1]) == "running"
    assert state(t0 + 5 * H) == "paused"  # 1 h used, waiting on the customer
    resumed = [*events, (t0 + 5 * H, "open")]
    assert state(t0 + 5 * H + 59 * M, resumed) == "running"
    assert state(t0 + 6 * H, resumed) == "running"  # exactly the goal still complies
    assert state(t0 + 6 * H + dt.timedelta(seconds=1), resumed) == "breached"
    assert state(t0 + 9 * H, [*resumed, (t0 + 5 * H + 30 * M, "solved")]) == "met"
