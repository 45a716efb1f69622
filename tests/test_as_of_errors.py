"""One error class for an ``as_of`` that cannot be read, in every part of crmkit.

An ``as_of`` is a parameter of the call, so a value that cannot be read as one (None where
it is required, an epoch number, ``"2025-02-31"``, NaT, a year outside 1678-2261, a day
where no zone exists to read it in) is a :class:`~crmkit.errors.ConfigError` naming
``'as_of'`` ("a bad rule, policy, calendar, model or parameter"), read by the one reader
``crmkit._validate.cutoff_value`` (loyalty: ``as_of_time``, which takes a datetime
exactly, in the years 1000-9000 of a replay, and refuses one outside them with
``Program.replay``'s message). An aware ``as_of`` beside naive data is a ConfigError too,
in every part.

Regressions: a year-9999 datetime crashed the loyalty readers other than a replay with
Python's ValueError/OverflowError (and a replay too where the program's zone pushed it
past year 9999); the lifecycle and cohort functions refused an aware ``as_of`` beside
naive dates with InvalidInputError; ``rfm()``'s errors named ``summarize()``;
``crmkit loyalty --as-of`` turned the ConfigError into an InvalidInputError.

Regression: the same mistake was a ConfigError in segmentation and the service KPIs, but
an InvalidInputError in loyalty (``as_of_time`` converted it "as ever") and in the SLA
code (``cutoff_value(error=InvalidInputError)``), whose scalar path also had its own
messages ("found NoneType") and a "column 'as_of'" for an impossible date.

A *readable* ``as_of`` that does not fit the data (states already past it, a tracker that
recorded later events, an enrolment after it, no purchase up to it) is another case: the
data cannot be used at that instant, an :class:`~crmkit.errors.InvalidInputError`, as in
every area already.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import io
import pathlib
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from crmkit._demo_cli import write_sample
from crmkit._validate import cutoff_value
from crmkit.cli import build_parser, main
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty import (
    BaseRate,
    EarningScheme,
    Enroll,
    OrderBonus,
    PeriodCap,
    Privilege,
    PrivilegeSet,
    Program,
    Purchase,
    PurchaseLine,
    QualifyingPosting,
    Tier,
    TierChange,
    TierLadder,
    breakage,
    points_liability,
    replay_many,
)
from crmkit.segmentation import (
    LifecyclePolicy,
    btyd_summary,
    calibration_holdout,
    classify_lifecycle,
    cohort_retention,
    lifecycle_history,
    rfm,
    summarize,
)
from crmkit.service import (
    BusinessCalendar,
    SLAPolicy,
    SLATarget,
    SLATracker,
    backlog,
    duration_quantiles,
    evaluate_sla,
    evaluate_ticket,
    first_contact_resolution,
    followup_completion,
    repeat_complaint_rate,
    sla_cycles,
)
from tests.strategies import examples, raw_cells
from tests.test_cli_one_reader import AS_OF_COMMANDS

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2025, 1, 2, 10, tzinfo=SH)
PROGRAM = Program(timezone="Asia/Shanghai")
EVENTS = [Enroll("e", T0), Purchase("p1", T0, lines=[PurchaseLine("a", Decimal("100.00"))])]
STATE = PROGRAM.replay(EVENTS, as_of=dt.datetime(2025, 2, 1, tzinfo=SH))
EVENT_TABLE = pd.DataFrame(
    {
        "member_id": ["m1"],
        "event_id": ["p1"],
        "time": ["2025-01-02T10:00"],
        "kind": ["purchase"],
        "amount": ["100"],
    }
)
TX = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b"],
        "date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
        "amount": [10.0, 20.0, 5.0],
    }
)
TICKETS = pd.DataFrame(
    {
        "ticket_id": ["A", "B"],
        "customer_id": ["c", "c"],
        "kind": ["complaint", "complaint"],
        "created_at": pd.to_datetime(["2025-06-29 09:00", "2025-06-30 09:00"]).tz_localize(SH),
        "first_reply_at": pd.to_datetime(["2025-06-29 10:00", pd.NaT]).tz_localize(SH),
        "resolved_at": pd.to_datetime(["2025-06-29 11:00", pd.NaT]).tz_localize(SH),
        "followed_up_at": pd.to_datetime([pd.NaT, pd.NaT]).tz_localize(SH),
    }
)
OFFICE = BusinessCalendar("Asia/Shanghai", {d: [["09:00", "18:00"]] for d in ("mon", "tue")})
RESOLUTION = [SLATarget(metric="resolution", duration="4h", clock="calendar")]
POLICY = SLAPolicy(name="p", targets={"*": RESOLUTION}, calendar=OFFICE)
NO_ZONE = SLAPolicy(name="p", targets={"*": RESOLUTION})  # no calendar: no zone
CREATED = dt.datetime(2025, 6, 30, 17, tzinfo=SH)
SLA_EVENTS = pd.DataFrame(
    {"ticket_id": ["A"], "event": ["created"], "time": [pd.Timestamp(CREATED)]}
)
SLA_TICKETS = pd.DataFrame({"ticket_id": ["A"]})
HISTORY = [TierChange(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), None, "gold", "start")]
PRIVILEGES = PrivilegeSet(
    [
        Privilege(id="lounge", kind="quota", tiers=["gold"], quota=2),
        Privilege(id="ship", kind="free_shipping", tiers=["gold"]),
    ]
)
CAPPED = EarningScheme.base_rate(1, caps=[PeriodCap("month", 1000)])
LIMITED = EarningScheme(
    rules=[BaseRate(id="base", rate=1), OrderBonus(id="gift", points=100, max_uses=1)]
)
LADDER = TierLadder(tiers=[Tier(name="member"), Tier(name="silver", spend="2000")])
POSTINGS = [QualifyingPosting(dt.datetime(2024, 6, 1), spend="12000", orders=1)]


def _tracker_status(as_of: Any) -> Any:
    return LADDER.tracker(dt.datetime(2025, 1, 1), timezone="UTC").status(as_of)


#: Every public function or method that takes an ``as_of``: what it is called with.
ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    # loyalty
    "Program.replay": lambda a: PROGRAM.replay(EVENTS, as_of=a),
    "replay_many": lambda a: replay_many(EVENT_TABLE, PROGRAM, as_of=a),
    "points_liability": lambda a: points_liability([STATE], as_of=a),
    "breakage": lambda a: breakage(EVENT_TABLE, PROGRAM, as_of=a),
    "TierLadder.evaluate": lambda a: LADDER.evaluate(POSTINGS, as_of=a, timezone="UTC"),
    "TierTracker.status": _tracker_status,
    "PrivilegeSet.grants": lambda a: PRIVILEGES.grants(HISTORY, as_of=a, timezone="UTC"),
    "PrivilegeSet.active": lambda a: PRIVILEGES.active(HISTORY, as_of=a, timezone="UTC"),
    "PrivilegeSet.quota_status": lambda a: PRIVILEGES.quota_status(
        HISTORY, [], as_of=a, timezone="UTC"
    ),
    "PrivilegeSet.check_use": lambda a: PRIVILEGES.check_use(
        HISTORY, [], "lounge", as_of=a, timezone="UTC"
    ),
    "PrivilegeSet.check_use(not a quota)": lambda a: PRIVILEGES.check_use(
        HISTORY, [], "ship", as_of=a, timezone="UTC"
    ),
    "EarningScheme.period_to_date": lambda a: CAPPED.period_to_date([], as_of=a, timezone="UTC"),
    "EarningScheme.uses_to_date": lambda a: LIMITED.uses_to_date([], as_of=a, timezone="UTC"),
    # segmentation
    "summarize": lambda a: summarize(TX, as_of=a),
    "rfm": lambda a: rfm(TX, as_of=a),
    "btyd_summary": lambda a: btyd_summary(TX, as_of=a),
    "calibration_holdout": lambda a: calibration_holdout(TX, calibration_end="2025-01-15", as_of=a),
    "cohort_retention": lambda a: cohort_retention(TX, as_of=a),
    "classify_lifecycle": lambda a: classify_lifecycle(TX, as_of=a),
    "LifecyclePolicy.classify": lambda a: LifecyclePolicy().classify(["2025-01-01"], as_of=a),
    "lifecycle_history": lambda a: lifecycle_history(TX, as_of=[a]),
    # service: KPIs
    "duration_quantiles": lambda a: duration_quantiles(TICKETS, end="resolved_at", as_of=a),
    "first_contact_resolution": lambda a: first_contact_resolution(
        TICKETS, definition="no_recontact_within", as_of=a
    ),
    "repeat_complaint_rate": lambda a: repeat_complaint_rate(TICKETS, as_of=a),
    "followup_completion": lambda a: followup_completion(TICKETS, as_of=a),
    "backlog": lambda a: backlog(TICKETS, as_of=a),
    # service: SLAs
    "evaluate_ticket": lambda a: evaluate_ticket([(CREATED, "created")], POLICY, as_of=a),
    "SLATracker.evaluate": lambda a: (
        SLATracker.start(POLICY).record("created", CREATED).evaluate(a)
    ),
    "evaluate_sla": lambda a: evaluate_sla(SLA_EVENTS, SLA_TICKETS, POLICY, as_of=a),
    "sla_cycles": lambda a: sla_cycles(SLA_EVENTS, SLA_TICKETS, POLICY, as_of=a),
}

#: Entry points where ``as_of=None`` is documented and means "the latest" (or "now").
NONE_IS_A_DEFAULT = {
    "TierTracker.status",
    "summarize",
    "rfm",
    "btyd_summary",
    "calibration_holdout",
    "cohort_retention",
    "first_contact_resolution",
    "repeat_complaint_rate",
    "followup_completion",
}

#: Values that cannot be read as an ``as_of`` anywhere, and a fragment of what is said.
UNREADABLE: dict[str, tuple[object, str]] = {
    "none": (None, "found None"),
    "epoch_number": (1751241600, "found the number 1751241600"),
    "february_31": ("2025-02-31", "found '2025-02-31'"),
    "not_a_date": ("soon", "found 'soon'"),
    "nat": (pd.NaT, "found NaT"),
    "numpy_nat": (np.datetime64("NaT"), "found np.datetime64('NaT"),
    "nan": (float("nan"), "found nan"),
    "year_9999_text": ("9999-12-31", "a date between 1678-01-01 and 2261-12-31"),
    "year_1_date": (dt.date(1, 1, 1), "a date between 1678-01-01 and 2261-12-31"),
}


def _refused(call: Callable[[Any], Any], value: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        call(value)
    err = info.value
    assert not isinstance(err, InvalidInputError)
    assert (err.field, err.kind) == ("as_of", "parameter")
    assert "parameter 'as_of' must be" in str(err)
    return err


def test_the_one_reader_has_no_other_error_class_to_raise() -> None:
    """Regression: ``cutoff_value(error=InvalidInputError)`` let the SLA code differ."""
    assert list(inspect.signature(cutoff_value).parameters) == ["value", "owner", "field", "tz"]


def test_every_entry_point_works_with_a_good_as_of() -> None:
    """The table's calls are valid: what they refuse below is the ``as_of`` alone."""
    for name, call in ENTRY_POINTS.items():
        try:
            call("2025-06-30")
        except Exception as exc:  # pragma: no cover - the message names the entry point
            raise AssertionError(f"{name} failed with a readable as_of: {exc!r}") from exc


@pytest.mark.parametrize(
    ("entry", "value"),
    [
        (entry, value)
        for entry in ENTRY_POINTS
        for value in UNREADABLE
        if not (value == "none" and entry in NONE_IS_A_DEFAULT)
    ],
)
def test_an_unreadable_as_of_is_a_config_error(entry: str, value: str) -> None:
    """Each unreadable value, each entry point: ConfigError naming the parameter 'as_of'."""
    bad, fragment = UNREADABLE[value]
    err = _refused(ENTRY_POINTS[entry], bad)
    assert fragment in str(err)


@pytest.mark.parametrize(
    ("entry", "call"),
    [
        ("evaluate_ticket", lambda a: evaluate_ticket([(CREATED, "created")], NO_ZONE, as_of=a)),
        (
            "SLATracker.evaluate",
            lambda a: SLATracker.start(NO_ZONE).record("created", CREATED).evaluate(a),
        ),
        (
            "evaluate_sla",
            lambda a: evaluate_sla(SLA_EVENTS, SLA_TICKETS, NO_ZONE, as_of=a),
        ),
        ("sla_cycles", lambda a: sla_cycles(SLA_EVENTS, SLA_TICKETS, NO_ZONE, as_of=a)),
    ],
)
@pytest.mark.parametrize("value", ["2025-06-30", dt.date(2025, 6, 30), "2025-06-30T18:00"])
def test_a_day_or_naive_time_without_a_zone_is_a_config_error(
    entry: str, call: Callable[[Any], Any], value: object
) -> None:
    """A policy without a calendar has no zone to read a day (or a naive time) in.

    Regression: InvalidInputError here, ConfigError for the same as_of elsewhere. An aware
    instant is read (the same policy, the same call).
    """
    err = _refused(call, value)
    assert "timezone-aware" in str(err)
    assert str(err).startswith(entry + "()")
    call(dt.datetime(2025, 6, 30, 18, tzinfo=SH))


def test_a_naive_as_of_beside_aware_ticket_times_is_refused() -> None:
    """The KPIs read a naive ``as_of`` beside aware ticket columns as no instant: refused."""
    err = _refused(lambda a: backlog(TICKETS, as_of=a), "2025-06-30T18:00")
    assert "timezone-aware like the ticket columns" in str(err)


def _called(entry: str) -> str:
    """The function an entry point calls, as errors name it (``"rfm()"``)."""
    return entry.partition("(")[0] + "()"


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_the_errors_name_the_call_made(entry: str) -> None:
    """Messages start with the function called (check_use read its as_of via quota_status).

    Regression: ``rfm()``'s errors named ``summarize()``, the function it runs.
    """
    assert str(_refused(ENTRY_POINTS[entry], "2025-02-31")).startswith(_called(entry) + ":")


def test_rfm_names_itself_in_every_error_summarize_raises() -> None:
    """Not only the as_of: a missing column or a late enough as_of name ``rfm()`` too."""
    with pytest.raises(InvalidInputError) as info:
        rfm(TX, as_of="2024-12-31")
    assert str(info.value).startswith("rfm(): column 'date' must be at least one purchase")
    with pytest.raises(InvalidInputError) as info:
        rfm(TX, customer="member")
    assert str(info.value).startswith("rfm(): column 'member' must be present")
    with pytest.raises(ConfigError) as config:
        rfm(TX, refunds="keep")  # type: ignore[arg-type]
    assert str(config.value).startswith("rfm(): parameter 'refunds'")


def test_loyalty_keeps_a_datetime_exact_and_its_own_range() -> None:
    """``as_of_time`` takes a datetime exactly; loyalty refuses one outside its years."""
    exact = dt.datetime(2025, 6, 30, 12, 0, 0, 123456, tzinfo=SH)
    assert PROGRAM.replay(EVENTS, as_of=exact).as_of == exact
    early = dt.datetime(1500, 1, 1, tzinfo=dt.UTC)  # before 1678, inside a replay's years
    assert PRIVILEGES.active(HISTORY, as_of=early, timezone="UTC") == ()
    for outside in (dt.datetime(9999, 1, 1, tzinfo=SH), dt.datetime(999, 12, 31)):
        err = _refused(ENTRY_POINTS["Program.replay"], outside)
        assert "instants from year 1000 up to (not including) year 9000" in str(err)


#: Loyalty's entry points and the zone each reads its ``as_of`` in.
LOYALTY_ZONES = {
    "Program.replay": "Asia/Shanghai",
    "replay_many": "Asia/Shanghai",
    "points_liability": "Asia/Shanghai",
    "breakage": "Asia/Shanghai",
    "TierLadder.evaluate": "UTC",
    "TierTracker.status": "UTC",
    "PrivilegeSet.grants": "UTC",
    "PrivilegeSet.active": "UTC",
    "PrivilegeSet.quota_status": "UTC",
    "PrivilegeSet.check_use": "UTC",
    "PrivilegeSet.check_use(not a quota)": "UTC",
    "EarningScheme.period_to_date": "UTC",
    "EarningScheme.uses_to_date": "UTC",
}

#: Datetimes outside the years loyalty computes with (1000 up to, not including, 9000).
OUT_OF_RANGE: dict[str, dt.datetime] = {
    # Past Python's last instant once read in Shanghai: an OverflowError even in a replay.
    "year_9999_aware": dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
    "year_9999_naive": dt.datetime(9999, 12, 31, 23, 59),
    "year_9000_first_instant": dt.datetime(9000, 1, 1, tzinfo=dt.UTC),
    "year_999_naive": dt.datetime(999, 12, 31),
    "year_1_aware": dt.datetime(1, 1, 1, tzinfo=dt.UTC),
}


@pytest.mark.parametrize("value", list(OUT_OF_RANGE))
@pytest.mark.parametrize("entry", list(LOYALTY_ZONES))
def test_every_loyalty_entry_point_refuses_a_datetime_outside_its_years_alike(
    entry: str, value: str
) -> None:
    """The same ConfigError as ``Program.replay`` in the same zone, but for the owner.

    Regression: ValueError ("year 10000 is out of range") or OverflowError from
    TierLadder.evaluate, TierTracker.status, PrivilegeSet.quota_status/check_use and
    EarningScheme.period_to_date/uses_to_date; the grants were given at year 9999.
    """
    when = OUT_OF_RANGE[value]
    err = _refused(ENTRY_POINTS[entry], when)
    with pytest.raises(ConfigError) as replayed:
        Program(timezone=LOYALTY_ZONES[entry]).replay([], as_of=when)
    assert str(err) == str(replayed.value).replace("Program.replay()", _called(entry), 1)
    assert "instants from year 1000 up to (not including) year 9000" in str(err)


def test_a_datetime_past_the_calendar_in_the_programs_zone_is_refused_not_overflowed() -> None:
    """Read in the program's zone, year 1 (west of UTC) or 9999 (east) leaves the calendar.

    Regression: OverflowError ("date value out of range") from ``Program.replay``.
    """
    west = Program(timezone="America/New_York")
    err = _refused(lambda a: west.replay([], as_of=a), dt.datetime(1, 1, 1, tzinfo=dt.UTC))
    assert "found 0001-01-01T00:00:00+00:00" in str(err)  # as given: no reading in the zone
    err = _refused(lambda a: PROGRAM.replay([], as_of=a), dt.datetime(9999, 12, 31, 20, tzinfo=SH))
    assert "found 9999-12-31T20:00:00+08:00" in str(err)


@pytest.mark.parametrize("entry", list(LOYALTY_ZONES))
def test_the_last_instant_before_year_9000_is_read_exactly(entry: str) -> None:
    """Inside the range a datetime is still taken exactly (nothing computed overflows)."""
    ENTRY_POINTS[entry](dt.datetime(8999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC))


def _active_in_shanghai(as_of: Any) -> Any:
    return PRIVILEGES.active(HISTORY, as_of=as_of, timezone="Asia/Shanghai")


def test_the_range_is_of_instants_not_of_local_years() -> None:
    """The years are UTC's: Shanghai's midnight starting year 1000 is still 999 in UTC."""
    first = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
    assert _active_in_shanghai(first) == ()
    assert Program(timezone="UTC").replay([], as_of=first).as_of == first
    err = _refused(_active_in_shanghai, dt.datetime(1000, 1, 1))  # naive: Shanghai's clock
    assert "found 1000-01-01T00:00:00+08:05:43" in str(err)  # Shanghai's local mean time
    last = dt.datetime(8999, 12, 31, 23, 59, 59, 999999, tzinfo=SH)  # 15:59 UTC
    assert PRIVILEGES.active(HISTORY, as_of=last, timezone="UTC") == PRIVILEGES.privileges
    assert _active_in_shanghai(dt.datetime(9000, 1, 1, 7, 59)) == PRIVILEGES.privileges
    _refused(_active_in_shanghai, dt.datetime(9000, 1, 1, 8))  # midnight starting 9000 in UTC


#: Segmentation's entry points (all read naive transactions here).
SEGMENTATION = [
    "summarize",
    "rfm",
    "btyd_summary",
    "calibration_holdout",
    "cohort_retention",
    "classify_lifecycle",
    "LifecyclePolicy.classify",
    "lifecycle_history",
]


def test_the_loyalty_and_segmentation_tables_list_their_entry_points() -> None:
    names = list(ENTRY_POINTS)
    assert [*LOYALTY_ZONES, *SEGMENTATION] == names[: names.index("duration_quantiles")]


NAIVE_TICKETS = TICKETS.assign(
    **{
        column: TICKETS[column].dt.tz_localize(None)
        for column in ("created_at", "first_reply_at", "resolved_at", "followed_up_at")
    }
)

#: The service KPIs beside naive ticket times (no calendar: nothing owns their zone).
NAIVE_KPIS: dict[str, Callable[[Any], Any]] = {
    "duration_quantiles": lambda a: duration_quantiles(NAIVE_TICKETS, end="resolved_at", as_of=a),
    "first_contact_resolution": lambda a: first_contact_resolution(
        NAIVE_TICKETS, definition="no_recontact_within", as_of=a
    ),
    "repeat_complaint_rate": lambda a: repeat_complaint_rate(NAIVE_TICKETS, as_of=a),
    "followup_completion": lambda a: followup_completion(NAIVE_TICKETS, as_of=a),
    "backlog": lambda a: backlog(NAIVE_TICKETS, as_of=a),
}

#: Every entry point beside naive data, and what its message calls that data.
BESIDE_NAIVE: dict[str, tuple[Callable[[Any], Any], str]] = {
    **{entry: (ENTRY_POINTS[entry], "the date column") for entry in SEGMENTATION},
    **{entry: (call, "the ticket columns") for entry, call in NAIVE_KPIS.items()},
}


def test_the_naive_kpi_table_lists_every_kpi_with_an_as_of() -> None:
    names = list(ENTRY_POINTS)
    kpis = names[names.index("duration_quantiles") : names.index("backlog") + 1]
    assert list(NAIVE_KPIS) == kpis
    for call in NAIVE_KPIS.values():  # a naive as_of (or a day) is read beside them
        call("2025-06-30T18:00")
        call("2025-06-30")


@pytest.mark.parametrize(
    "value",
    [pd.Timestamp("2025-06-30 18:00", tz="UTC"), dt.datetime(2025, 6, 30, 18, tzinfo=SH)],
    ids=["timestamp", "datetime"],
)
@pytest.mark.parametrize("entry", list(BESIDE_NAIVE))
def test_an_aware_as_of_beside_naive_dates_is_a_config_error(entry: str, value: object) -> None:
    """One helper, one error: the as_of is the wrong kind of parameter for this data.

    Regression: InvalidInputError from the lifecycle and cohort functions (``make_cut``)
    where ``summarize`` and ``rfm`` said ConfigError; the service KPIs (``backlog``,
    ``duration_quantiles``, the rates) compared it with the naive ticket times read as
    UTC, a silent guess of their zone.
    """
    call, data = BESIDE_NAIVE[entry]
    err = _refused(call, value)
    assert f"naive, like {data}" in str(err)
    assert "found the timezone-aware 2025-06-30 18:00:00" in str(err)
    assert str(err).startswith(_called(entry) + ":")


# A readable as_of that does not fit the data: InvalidInputError in every area.
RELATIONAL: dict[str, Callable[[], Any]] = {
    "points_liability: a state later than as_of": lambda: points_liability(
        [STATE], as_of="2025-01-15"
    ),
    "period_to_date: as_of before the enrolment": lambda: EarningScheme.base_rate(
        1, caps=[PeriodCap("membership_year", 1000)]
    ).period_to_date([], as_of="2024-01-01", timezone="UTC", enrolled_at=dt.datetime(2025, 1, 1)),
    "TierTracker.status: as_of before the tracker's time": lambda: _posted().status("2025-01-15"),
    "SLATracker.evaluate: as_of before the last event": lambda: (
        SLATracker.start(POLICY).record("created", CREATED).evaluate("2025-06-29")
    ),
    "summarize: no purchase up to as_of": lambda: summarize(TX, as_of="2024-12-31"),
    "btyd_summary: no row up to as_of": lambda: btyd_summary(TX, as_of="2024-12-31"),
    "LifecyclePolicy.classify: only later purchases": lambda: LifecyclePolicy().classify(
        ["2025-01-01"], as_of="2024-12-31"
    ),
}


def _posted() -> Any:
    tracker = LADDER.tracker(dt.datetime(2025, 1, 1), timezone="UTC")
    tracker.post(QualifyingPosting(dt.datetime(2025, 3, 1), orders=1))
    return tracker


@pytest.mark.parametrize("case", list(RELATIONAL), ids=str)
def test_a_readable_as_of_that_does_not_fit_the_data_is_invalid_input(case: str) -> None:
    """The data cannot be used at that instant: InvalidInputError, not ConfigError."""
    with pytest.raises(InvalidInputError):
        RELATIONAL[case]()


@settings(max_examples=examples(60), deadline=None)
@given(value=raw_cells.filter(lambda v: v is not None and not isinstance(v, dt.datetime)))
def test_what_the_one_reader_refuses_every_entry_point_refuses_alike(value: object) -> None:
    """Any value ``cutoff_value`` refuses is a ConfigError naming 'as_of' everywhere.

    (Datetimes are left out: loyalty takes them exactly, in its own wider range.)
    """
    try:
        cutoff_value(value, "f()", "as_of")
    except ConfigError as err:
        expected = err.expected
    else:
        return  # a readable as_of: not this test's business
    for call in ENTRY_POINTS.values():
        assert _refused(call, value).expected == expected


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, seed=3)
    return folder


@pytest.mark.parametrize("argv", list(AS_OF_COMMANDS.values()), ids=list(AS_OF_COMMANDS))
def test_every_cli_as_of_option_refuses_a_bad_day_alike(
    sample: pathlib.Path, argv: Callable[[pathlib.Path], list[str]]
) -> None:
    """``--as-of 2025-02-31``: exit code 2 and one line naming the option, in every command."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main([*argv(sample), "--as-of", "2025-02-31"])
    assert code == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert "option --as-of must be a date, datetime, Timestamp or ISO 8601 string" in lines[0]
    assert "'2025-02-31'" in lines[0]


@pytest.mark.parametrize(
    ("as_of", "fragment"),
    [
        ("2025-02-31", "a date, datetime, Timestamp or ISO 8601 string; found '2025-02-31'"),
        ("9999-12-31", "a date between 1678-01-01 and 2261-12-31; found '9999-12-31'"),
        ("0999-01-01T00:00", "a date between 1678-01-01 and 2261-12-31; found '0999-01-01T00:00'"),
    ],
)
def test_crmkit_loyalty_as_of_is_the_readers_config_error(
    sample: pathlib.Path, as_of: str, fragment: str
) -> None:
    """``crmkit loyalty --as-of``: the reader's ConfigError, naming the option as typed.

    Regression: any --as-of error became an InvalidInputError with its own message (and
    "option '--as-of'", quoted unlike every other command's).
    """
    events, program = str(sample / "loyalty_events.csv"), str(sample / "program.json")
    argv = ["loyalty", events, "--program", program, "--as-of", as_of]
    args = build_parser().parse_args(argv)
    with pytest.raises(ConfigError) as info:
        args.handler(args)
    assert not isinstance(info.value, InvalidInputError)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert main(argv) == 2
    line = err.getvalue().strip()
    assert f"crmkit loyalty: option --as-of must be {fragment}" in line
    assert line.count("\n") == 0


def test_replay_many_documents_the_config_error_of_an_unreadable_as_of() -> None:
    raises = (inspect.getdoc(replay_many) or "").partition("Raises:")[2].partition("Examples:")[0]
    assert "ConfigError: An ``as_of`` that cannot be read" in raises
