"""Expiry options: ``tier_basis="held"`` (rule 5) and ``count_from="month_end"``.

``tier_basis="held"``: a status protects every point while held. Hand-checked examples
(Miles & More after the loss of status, IHG's Club deadline after Elite) and hypothesis
properties: incremental ``apply`` equals ``replay``, conservation, and no point expires
while the member holds a protecting tier. ``count_from="month_end"`` (Air China): the N
months run from the last day of the earning month; properties: one date per earning
month, never before the earning-day count, and the replay properties.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Adjust,
    EarningScheme,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Tier,
    TierLadder,
)
from tests.strategies import examples

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _miles_and_more() -> Program:
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="senator", orders=1)], validity_windows=2
    )
    expiry = ExpiryPolicy.end_of_period("quarter", 12).per_tier(
        {"senator": ExpiryPolicy.never()}, basis="held"
    )
    return Program(timezone="Europe/Berlin", tiers=ladder, expiry=expiry)


def test_miles_run_on_36_months_from_the_loss_of_status() -> None:
    """Miles & More: "miles are valid from that point on for a further 36 months and then
    expire at the end of the quarter", whether earned before or during the status.

    7,500 miles on 15 October 2020 (as a member), Senator on 1 March 2022 (held through
    2024: valid until 1 January 2025), 1,000 miles on 15 May 2023 (as Senator). Status
    lost on 1 January 2025 (quarter 1 of 2025); 12 quarters later is quarter 1 of 2028:
    both lots are usable through 31 March 2028 and expire on 1 April 2028 00:00.
    """
    program = _miles_and_more()
    events = [
        Adjust("lh", dt.datetime(2020, 10, 15, 18, tzinfo=BERLIN), points=7_500, reason="fly"),
        Purchase("p", dt.datetime(2022, 3, 1, 10, tzinfo=BERLIN), lines=[PurchaseLine("1", "0")]),
        Adjust("lh2", dt.datetime(2023, 5, 15, 18, tzinfo=BERLIN), points=1_000, reason="fly"),
    ]
    held = program.replay(events, as_of=dt.datetime(2024, 12, 31, tzinfo=BERLIN))
    assert (held.tier_name, held.available) == ("senator", 8_500)
    lost = program.replay(events, as_of=dt.datetime(2028, 3, 31, 23, tzinfo=BERLIN))
    assert (lost.tier_name, lost.available) == ("member", 8_500)
    assert [lot.expires_at for lot in lost.lots] == [dt.datetime(2028, 4, 1, tzinfo=BERLIN)] * 2
    gone = program.replay(events, as_of=dt.datetime(2028, 4, 1, tzinfo=BERLIN))
    assert (gone.available, gone.expired) == (0, 8_500)
    # "credited" (the default) dates each lot by the tier held when it was credited: the
    # 2020 miles are gone on 1 January 2024, the Senator-era ones never expire.
    credited = Program(
        timezone="Europe/Berlin",
        tiers=program.tiers,
        expiry=ExpiryPolicy.end_of_period("quarter", 12).per_tier(
            {"senator": ExpiryPolicy.never()}
        ),
    ).replay(events, as_of=dt.datetime(2028, 4, 1, tzinfo=BERLIN))
    assert (credited.available, credited.expired) == (1_000, 7_500)


def test_ihg_club_deadline_restarts_when_elite_status_ends() -> None:
    """IHG: elite members' points do not expire; they "may expire twelve (12) months after
    your account moves to Club level from an Elite level without earn or redeem activity".

    5,000 points on 1 February 2024; a $100 stay on 1 March 2024 (1,000 points) makes the
    member Gold for the rest of 2024 and 2025 (valid until 1 January 2026). No activity
    after that: the points are kept through 2025 although the last activity is 21 months
    old; Club from 1 January 2026, the deadline is 1 January 2027 (end of day): 6,000
    expire on 2 January 2027 00:00. Without the elite rule they expire on 2 March 2025.
    """
    ladder = TierLadder(tiers=[Tier(name="club"), Tier(name="gold", orders=1)])
    club = ExpiryPolicy.inactivity(12, "months", activity=("purchase", "redeem"))
    elite = club.per_tier({"gold": ExpiryPolicy.never()})
    program = Program(
        timezone="UTC", tiers=ladder, expiry=elite, earning=EarningScheme.base_rate(10)
    )
    events = [
        Adjust("a", dt.datetime(2024, 2, 1, tzinfo=UTC), points=5_000, reason="stay"),
        Purchase("p", dt.datetime(2024, 3, 1, tzinfo=UTC), lines=[PurchaseLine("1", "100")]),
    ]
    gold = program.replay(events, as_of=dt.datetime(2025, 12, 31, tzinfo=UTC))
    assert (gold.tier_name, gold.available) == ("gold", 6_000)
    last_day = program.replay(events, as_of=dt.datetime(2027, 1, 1, 23, tzinfo=UTC))
    assert (last_day.tier_name, last_day.available) == ("club", 6_000)
    gone = program.replay(events, as_of=dt.datetime(2027, 1, 2, tzinfo=UTC))
    assert (gone.available, gone.expired) == (0, 6_000)
    plain = Program(timezone="UTC", tiers=ladder, expiry=club, earning=EarningScheme.base_rate(10))
    assert plain.replay(events, as_of=dt.datetime(2025, 3, 2, tzinfo=UTC)).expired == 6_000


def test_held_options_are_checked_and_round_trip() -> None:
    club = ExpiryPolicy.inactivity(12, activity=("purchase",))
    with pytest.raises(ConfigError, match="never"):
        club.per_tier({"gold": ExpiryPolicy.after_days(30)})
    with pytest.raises(ConfigError, match="tier_basis"):
        club.per_tier({"gold": ExpiryPolicy.never()}, basis="credited")
    with pytest.raises(ConfigError, match="tier_basis"):
        ExpiryPolicy("months", n=3, tier_basis="held")
    with pytest.raises(ConfigError, match="tier_basis"):
        ExpiryPolicy.after_months(3).per_tier({"gold": ExpiryPolicy.never()}, basis="always")
    held = ExpiryPolicy.after_months(3).per_tier({"gold": ExpiryPolicy.never()}, basis="held")
    assert held.to_dict()["tier_basis"] == "held"
    assert ExpiryPolicy.from_dict(held.to_dict()) == held
    # JSON written before the option loads with the old behaviour.
    old = {
        "schema_version": 2,
        "kind": "months",
        "n": 3,
        "freq": "",
        "month": 0,
        "day": 0,
        "activity": [],
        "by_tier": {"gold": {"kind": "never"}},
    }
    assert ExpiryPolicy.from_dict(old).tier_basis == "credited"
    assert "tier_basis" not in ExpiryPolicy.from_dict(old).to_dict()


_LADDER = TierLadder(
    tiers=[Tier(name="member"), Tier(name="gold", points=300)], window="rolling", window_months=2
)
_POLICIES = [
    ExpiryPolicy.after_days(20).per_tier({"gold": ExpiryPolicy.never()}, basis="held"),
    ExpiryPolicy.end_of_period("month").per_tier({"gold": ExpiryPolicy.never()}, basis="held"),
    ExpiryPolicy.inactivity(25, "days", activity=("purchase", "redeem")).per_tier(
        {"gold": ExpiryPolicy.never()}
    ),
]


@st.composite
def _histories(draw: st.DrawFn) -> tuple[Program, list[Any], dt.datetime]:
    program = Program(
        timezone=draw(st.sampled_from(["UTC", "Europe/Berlin", "Asia/Shanghai"])),
        tiers=_LADDER,
        expiry=draw(st.sampled_from(_POLICIES)),
        shortfall=draw(st.sampled_from(["forfeit", "debt"])),
    )
    now = dt.datetime(2025, 1, 1, 9, tzinfo=UTC)
    events: list[Any] = []
    for n in range(draw(st.integers(1, 12))):
        now += dt.timedelta(days=draw(st.integers(0, 40)), hours=draw(st.integers(1, 23)))
        kind = draw(st.sampled_from(["buy", "buy", "redeem", "adjust"]))
        if kind == "buy":
            amount = draw(st.integers(1, 400))
            events.append(Purchase(f"p{n}", now, lines=[PurchaseLine("1", str(amount))]))
        elif kind == "redeem":
            events.append(Redeem(f"r{n}", now, points=draw(st.integers(1, 200))))
        else:
            events.append(Adjust(f"a{n}", now, points=draw(st.integers(1, 200)), reason="gift"))
    as_of = now + dt.timedelta(days=draw(st.integers(0, 200)))
    return program, events, as_of


@settings(max_examples=examples(60), deadline=None)
@given(_histories())
def test_held_apply_equals_replay_and_points_are_conserved(
    history: tuple[Program, list[Any], dt.datetime],
) -> None:
    program, events, as_of = history
    state = program.replay([], as_of=events[0].time, on_error="skip")
    for event in events:
        state = program.apply(state, event)
    assert state == program.replay(events, as_of=events[-1].time, on_error="skip")
    later = program.replay(events, as_of=as_of, on_error="skip")
    for s in (state, later):
        assert s.credited == (
            s.available + s.pending + s.spent + s.expired + s.reversed + s.forfeited
        )
        for lot in s.lots:
            parts = (lot.remaining, lot.spent, lot.expired, lot.reversed, lot.forfeited)
            assert sum(parts) == lot.amount
    # No point expires at an instant the member holds gold.
    for posting in later.postings:
        if posting.kind == "expire":
            at = program.replay(events, as_of=posting.time, on_error="skip")
            assert at.tier_name != "gold", posting


# ------------------------------------------------- count_from="month_end" (Air China)


def test_month_end_counting_by_hand() -> None:
    """31 January + 1 month = 28 February (2025); 30 April 2024 + 10 months = 28 February
    2025 though the earning day was the 3rd; February 2024 (29 days) + 12 months = 28
    February 2025 (clamped); valid through that day, gone at the next local midnight."""
    policy = ExpiryPolicy.after_months(1, count_from="month_end")
    sh = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert policy.expires_at(dt.datetime(2025, 1, 2, tzinfo=sh), sh) == dt.datetime(
        2025, 3, 1, tzinfo=sh
    )
    ten = ExpiryPolicy.after_months(10, count_from="month_end")
    assert ten.expires_at(dt.datetime(2024, 4, 3, tzinfo=UTC), UTC).date() == dt.date(2025, 3, 1)
    twelve = ExpiryPolicy.after_months(12, count_from="month_end")
    assert twelve.expires_at(dt.datetime(2024, 2, 1, tzinfo=UTC), UTC).date() == dt.date(2025, 3, 1)
    with pytest.raises(ConfigError, match="count_from"):
        ExpiryPolicy("days", n=3, count_from="month_end")
    with pytest.raises(ConfigError, match="count_from"):
        ExpiryPolicy.after_months(3, count_from="week_end")
    old = {"schema_version": 2, "kind": "months", "n": 3, "freq": "", "month": 0, "day": 0}
    assert ExpiryPolicy.from_dict({**old, "activity": []}).count_from == "earning_day"


@settings(max_examples=examples(150), deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 12, 31)),
    st.integers(1, 120),
    st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"]),
)
def test_month_end_counting_is_one_date_per_earning_month(
    earned: dt.datetime, n: int, zone_name: str
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    at = earned.replace(tzinfo=zone)
    policy = ExpiryPolicy.after_months(n, count_from="month_end")
    expires = policy.expires_at(at, zone)
    assert expires is not None
    first = at.replace(day=1, hour=12)
    assert policy.expires_at(first, zone) == expires
    assert expires >= ExpiryPolicy.after_months(n).expires_at(at, zone)  # type: ignore[operator]
    # Valid through a day n months after the earning month: its month is exactly n later.
    last = (expires - dt.timedelta(hours=12)).date()
    assert (last.year * 12 + last.month) - (at.year * 12 + at.month) == n


@settings(max_examples=examples(40), deadline=None)
@given(_histories(), st.integers(1, 3))
def test_month_end_apply_equals_replay_and_points_are_conserved(
    history: tuple[Program, list[Any], dt.datetime], n: int
) -> None:
    base, events, as_of = history
    program = Program(
        timezone=base.timezone,
        shortfall=base.shortfall,
        expiry=ExpiryPolicy.after_months(n, count_from="month_end"),
    )
    state = program.replay([], as_of=events[0].time, on_error="skip")
    for event in events:
        state = program.apply(state, event)
    assert state == program.replay(events, as_of=events[-1].time, on_error="skip")
    later = program.replay(events, as_of=as_of, on_error="skip")
    assert later.credited == (
        later.available + later.spent + later.expired + later.reversed + later.forfeited
    )
    for lot in later.lots:
        assert lot.expires_at is not None
        months = (lot.expires_at.year * 12 + lot.expires_at.month) - (
            lot.earned_at.year * 12 + lot.earned_at.month
        )
        assert months in (n, n + 1)  # valid through the last day of month +n, or midnight after
