"""Rule 5, ``tier_basis="held"``, where it meets grace periods, transfers and reports.

A tier whose policy is ``never`` keeps every point while the member holds it
(``ExpiryPolicy.per_tier({...: ExpiryPolicy.never()}, basis="held")``). The tests here pin
what a reviewer found at its edges:

* the tier is held through the ladder's grace period, so nothing expires then, and the
  points run on from the end of the grace (before the fix, the validity's end counted and
  every point expired; an event inside the grace period crashed the replay);
* a protected lot's date is only when the status is looked at again: a transfer or a
  merge moves such points with no fixed expiry, and ``MemberState.expiring``,
  ``points_liability`` and ``replay_many`` count them from the earliest they can go: the
  end of the status, then the run-on under the policy of the tier the member falls to
  (before the fix, a stale look-again date, and then the status end, went out as a hard
  expiry and as a false reminder).

Published programmes: Lufthansa Miles & More ("Members who achieve Frequent Traveller,
Senator or HON Circle Member status will retain their miles for the duration of their
status", https://www.miles-and-more.com/pl/en/general-information/help-and-contact/help/
mileage-protection.html) and IHG One Rewards ("Points in your account do not expire for
all current Elite members, although all of your points may expire twelve (12) months after
your account moves to Club level from an Elite level without earn or redeem activity",
quoted at https://awardwallet.com/blog/ihg-rewards-club-points-expire/). The grace periods
are this suite's (``TierLadder.grace_days``), not those programmes' published terms.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import attrs
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import (
    Adjust,
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Tier,
    TierLadder,
    TransferPolicy,
    merge_accounts,
    points_liability,
    replay_many,
    transfer,
)
from tests.loyalty._tables import events_table
from tests.loyalty.test_ledger_properties import check_state
from tests.strategies import climbing_histories, examples, tier_ladders

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NY = zoneinfo.ZoneInfo("America/New_York")


def _berlin(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=BERLIN)


def _ny(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=NY)


def _senator_program(grace_days: int = 0, quarters: int = 1) -> Program:
    """Miles & More in small: one flight makes Senator for the next calendar year; miles
    of non-Senators expire at the end of the quarter ``quarters`` after earning."""
    return Program(
        timezone="Europe/Berlin",
        tiers=TierLadder(
            tiers=[Tier(name="member"), Tier(name="senator", orders=1)],
            validity_windows=1,
            grace_days=grace_days,
        ),
        expiry=ExpiryPolicy.end_of_period("quarter", quarters).per_tier(
            {"senator": ExpiryPolicy.never()}, basis="held"
        ),
    )


#: 7,500 miles as a base member (due 1 April 2024), Senator from 1 March 2024 through 2025.
_FLIGHTS = [
    Adjust("lh", _berlin(2023, 10, 15, 18), points=7_500, reason="flight"),
    Purchase("p", _berlin(2024, 3, 1, 10), lines=[PurchaseLine("1", "0")]),
]
_GIFT = Adjust("g", _berlin(2026, 1, 10), points=5, reason="gift")


# ------------------------------------------------------------ the grace period is held


def test_miles_and_more_senator_keeps_every_mile_through_the_grace_period() -> None:
    """Lufthansa Miles & More Senator: "miles do not expire while status is held" (module
    docstring). Senator until 1 January 2026; with a 30-day grace the downgrade waits until
    31 January 2026, so the member is still Senator on 15 January and keeps all 7,500
    miles (before the fix they all expired on 1 January 2026). Leaving Senator, the miles
    run on under the base policy counted from the leaving: end of the quarter after it.
    Without grace that is 1 January -> 1 July 2026; with grace 31 January -> 1 July 2026
    as well, so on 30 June both still hold 7,500 and on 1 July both have expired them."""
    for grace in (0, 30):
        program = _senator_program(grace)
        mid = program.replay(_FLIGHTS, as_of="2026-01-15")
        assert (mid.available, mid.expired) == (7_500, 0), grace
        assert mid.tier_name == ("senator" if grace else "member")
        after = program.replay(_FLIGHTS, as_of="2026-02-15")
        assert (after.tier_name, after.available) == ("member", 7_500)
        assert after.lots[0].expires_at == _berlin(2026, 7, 1)
        assert program.replay(_FLIGHTS, as_of="2026-06-30").available == 7_500
        gone = program.replay(_FLIGHTS, as_of="2026-07-01")
        assert (gone.available, gone.expired) == (0, 7_500)
        check_state(gone)
    in_grace = _senator_program(30).replay(_FLIGHTS, as_of="2026-01-15")
    assert in_grace.tier.pending_downgrade == (_berlin(2026, 1, 31), "member")
    # The lot is looked at again when the grace ends (the tier is assessed then), but it is
    # reported at the earliest it can go: run on from 31 January to the quarter's end,
    # 1 July 2026 (when it does go, above), not 31 January, when the status ends.
    assert in_grace.lots[0].expires_at == _berlin(2026, 7, 1)


def test_an_event_inside_the_grace_period_replays_applies_and_batches() -> None:
    """Miles & More Senator in its grace period (as above) receives 5 gift miles on
    10 January 2026. Before the fix, the gift's lot was dated by the validity's end already
    past (1 January) and the replay failed reading the tier at that earlier instant; now
    the gift is protected like the rest: 7,505 miles on 20 January, both lots looked at
    again on 31 January and reported at the earliest they can go, the end of the quarter
    after that (1 July 2026). ``apply`` onto a state before the gift and ``replay_many``
    give the same figures."""
    program = _senator_program(30)
    events = [*_FLIGHTS, _GIFT]
    state = program.replay(events, as_of="2026-01-20")
    assert (state.tier_name, state.available, state.expired) == ("senator", 7_505, 0)
    assert {lot.expires_at for lot in state.lots} == {_berlin(2026, 7, 1)}
    check_state(state)
    before = program.replay(_FLIGHTS, as_of="2026-01-05")
    applied = program.apply(before, _GIFT)
    assert applied == program.replay(events, as_of=_GIFT.time)
    assert program.apply(applied, Adjust("h", _berlin(2026, 1, 12), points=1, reason="gift"))
    rows = replay_many(
        events_table({"m": events}, columns=("nights",)),
        program,
        as_of="2026-01-20",
        expiring_days=30,
    )
    row = rows.loc["m"]
    assert (row["available"], row["expired"], row["tier"]) == (7_505, 0, "senator")
    # The status ends (grace included) within 30 days, on 31 January, but the miles run
    # on from then to 1 July 2026, 162 days on: no false reminder within 30 days.
    assert row["expiring"] == state.expiring(30) == 0
    assert row["next_expiry"] == _berlin(2026, 7, 1)
    assert (state.expiring(161), state.expiring(162)) == (0, 7_505)


def test_ihg_gold_keeps_points_through_the_grace_then_the_deadline_restarts() -> None:
    """IHG One Rewards: "Points in your account do not expire for all current Elite
    members, although all of your points may expire twelve (12) months after your account
    moves to Club level from an Elite level without earn or redeem activity" (module
    docstring). Gold for a stay in 2023 is held through 2024; with a 60-day grace the move
    to Club is on 2 March 2025 (1 January + 60 days), not 1 January: the 12 inactive
    months run from then, so the 20,005 points are kept through 2 March 2026 and gone on
    3 March 2026. A gift is not activity (IHG counts earn and redeem) and goes with the
    balance: before the fix its lot also had a date of its own, 12 months after it was
    credited, whatever the activity after it."""
    program = Program(
        timezone="America/New_York",
        tiers=TierLadder(
            tiers=[Tier(name="club"), Tier(name="gold", orders=1)],
            validity_windows=1,
            grace_days=60,
        ),
        expiry=ExpiryPolicy.inactivity(12, "months", activity=("purchase", "redeem")).per_tier(
            {"gold": ExpiryPolicy.never()}
        ),
    )
    events = [
        Adjust("bonus", _ny(2023, 5, 1, 12), points=20_000, reason="card"),
        Purchase("stay", _ny(2023, 6, 1, 12), lines=[PurchaseLine("1", "0")]),
        Adjust("gift", _ny(2025, 1, 20), points=5, reason="gift"),
    ]
    grace = program.replay(events, as_of="2025-02-15")
    assert (grace.tier_name, grace.available, grace.expired) == ("gold", 20_005, 0)
    club = program.replay(events, as_of="2026-03-02")
    assert (club.tier_name, club.available) == ("club", 20_005)
    assert club.expiring(1) == 20_005
    gone = program.replay(events, as_of="2026-03-03")
    assert (gone.available, gone.expired) == (0, 20_005)
    check_state(gone)
    # A June 2024 read, Gold valid until 1 January 2025: the points are not reported as
    # expiring on the deadline 12 months after the stay (2 June 2024, when the fold looks
    # at them again), nor when the status can end at the earliest (60 days of grace after
    # 1 January: 2 March 2025), but 12 inactive months after that move to Club, the
    # earliest they can go: 3 March 2026, when they do go above (640 days after the read).
    june = program.replay(events, as_of="2024-06-01")
    assert (june.tier_name, june.expiring(60)) == ("gold", 0)
    assert june.lots[0].expires_at == _ny(2026, 3, 3)
    assert (june.expiring(639), june.expiring(640)) == (0, 20_000)


def test_ihg_club_gift_goes_with_the_balance_not_on_a_date_of_its_own() -> None:
    """IHG One Rewards, Club member (module docstring: points expire after 12 months
    without earn or redeem activity): a gift on 20 January 2025 and a stay on 1 December
    2025 that does not reach Gold. The stay is activity: the deadline is 1 December 2026
    (end of day) for every point, the gift included; before the fix the gift's lot under
    a ``per_tier`` inactivity policy expired on 21 January 2026, 12 months after it."""
    ihg = ExpiryPolicy.inactivity(12, "months", activity=("purchase", "redeem"))
    ladder = TierLadder(tiers=[Tier(name="club"), Tier(name="gold", orders=5)])
    events = [
        Adjust("gift", _ny(2025, 1, 20), points=500, reason="gift"),
        Purchase("stay", _ny(2025, 12, 1), lines=[PurchaseLine("1", "0")]),
    ]
    plain = Program(timezone="America/New_York", tiers=ladder, expiry=ihg)
    elite = attrs.evolve(plain, expiry=ihg.per_tier({"gold": ExpiryPolicy.never()}))
    for program in (plain, elite):
        state = program.replay(events, as_of="2026-02-01")
        assert (state.available, state.expired) == (500, 0)
        assert state.lots[0].expires_at == _ny(2026, 12, 2)


def test_a_rolling_status_is_held_through_its_grace() -> None:
    """Miles & More-style protection on a rolling 12-month status: Senator from the flight
    on 1 March 2024 for 12 months, to 1 March 2025 10:00, then 30 days of grace to
    31 March 2025 10:00. Nothing expires before; from then the miles run to the end of the
    next quarter (1 July 2025). Events inside the grace replay."""
    program = Program(
        timezone="Europe/Berlin",
        tiers=TierLadder(
            tiers=[Tier(name="member"), Tier(name="senator", orders=1)],
            window="rolling",
            window_months=12,
            validity_windows=1,
            grace_days=30,
        ),
        expiry=ExpiryPolicy.end_of_period("quarter", 1).per_tier(
            {"senator": ExpiryPolicy.never()}, basis="held"
        ),
    )
    events = [*_FLIGHTS, Adjust("g", _berlin(2025, 3, 20), points=5, reason="gift")]
    grace = program.replay(events, as_of="2025-03-25")
    assert (grace.tier_name, grace.available, grace.expired) == ("senator", 7_505, 0)
    # Reported at the earliest they can go: the end of the quarter after the grace.
    assert {lot.expires_at for lot in grace.lots} == {_berlin(2025, 7, 1)}
    left = program.replay(events, as_of="2025-06-30")
    assert (left.tier_name, left.available) == ("member", 7_505)
    assert program.replay(events, as_of="2025-07-01").expired == 7_505


# ------------------------------------------------- transfers and reports of held lots


def test_miles_and_more_senator_transfers_miles_without_the_status_date() -> None:
    """Lufthansa Miles & More Senator (module docstring): miles do not expire while the
    status is held, whenever they were earned. 7,500 miles from October 2022 (base policy:
    end of the 12th quarter after earning), Senator from 1 March 2025 until 1 January
    2027. On 1 June 2025 the lot's date is only when the status is looked at again; before
    the fix a transfer or a merge sent it as a hard expiry (1 January 2026) and the
    receiver lost the miles then. They now arrive undated, under the receiver's policy."""
    program = _senator_program(quarters=12)
    events = [
        Adjust("lh", _berlin(2022, 10, 15, 18), points=7_500, reason="flight"),
        Purchase("p", _berlin(2025, 3, 1, 10), lines=[PurchaseLine("1", "0")]),
    ]
    when = _berlin(2025, 6, 1, 12)
    sender = program.replay(events, as_of=when)
    assert program.replay(events, as_of="2028-12-31").available == 7_500
    move = transfer(sender, 5_000, program, TransferPolicy(), transfer_id="t", time=when)
    assert [(e.points, e.expires_at) for e in move.receiver_events] == [(5_000, None)]
    assert program.replay(move.receiver_events, as_of="2026-01-02").available == 5_000
    merged = merge_accounts(sender, program, merge_id="m", time=when)
    assert [e.expires_at for e in merged.receiver_events] == [None]
    survivor = program.replay(merged.receiver_events, as_of="2026-01-02")
    assert survivor.available == 7_500
    # The receiver (a base member) dates them by its own policy from the transfer:
    # end of June 2025 + 12 quarters.
    assert survivor.lots[0].expires_at == _berlin(2028, 7, 1)


def test_a_member_who_left_the_status_transfers_the_run_on_date() -> None:
    """Miles & More (module docstring), after the status: Senator for 2024 only (grace 0),
    so the October 2023 miles run on from 1 January 2025 to the end of the next quarter
    (1 July 2025), later than their own date. A transfer in February 2025 keeps that date
    (the points are no longer protected: it is a real expiry)."""
    program = _senator_program()
    events = [
        Adjust("lh", _berlin(2023, 10, 15, 18), points=7_500, reason="flight"),
        Purchase("p", _berlin(2023, 11, 1, 10), lines=[PurchaseLine("1", "0")]),
    ]
    when = _berlin(2025, 2, 1, 12)
    sender = program.replay(events, as_of=when)
    assert sender.tier_name == "member"
    move = transfer(sender, 1_000, program, TransferPolicy(), transfer_id="t", time=when)
    assert [(e.points, e.expires_at) for e in move.receiver_events] == [
        (1_000, _berlin(2025, 7, 1))
    ]


def test_reminders_and_liability_of_a_protected_balance() -> None:
    """Miles & More Senator (module docstring), valid until 1 January 2027, on
    15 December 2025: the fold looks at the October 2022 miles again on 1 January 2026
    (the status end when they first came due), but the status now runs a year longer.
    Before the fix ``expiring(30)`` reported 7,500 miles about to expire (a false
    reminder) and ``points_liability`` put them in December 2025. The lot now shows the
    earliest the miles can go: the status ends on 1 January 2027 at the earliest, and from
    then they run on under the base policy to the end of the twelfth quarter after
    (1 April 2030, when the fold does expire them). Nothing expires within 30 or 400 days,
    the liability is in March 2030, and ``replay_many`` agrees."""
    program = _senator_program(quarters=12)
    events = [
        Adjust("lh", _berlin(2022, 10, 15, 18), points=7_500, reason="flight"),
        Purchase("p", _berlin(2025, 3, 1, 10), lines=[PurchaseLine("1", "0")]),
    ]
    state = program.replay(events, as_of="2025-12-15")
    assert state.tier.valid_until == _berlin(2027, 1, 1)
    assert state.lots[0].expires_at == _berlin(2030, 4, 1)
    assert (state.expiring(30), state.expiring(400)) == (0, 0)
    assert program.replay(events, as_of="2030-03-31").expired == 0
    assert program.replay(events, as_of="2030-04-01").expired == 7_500
    liability = points_liability([state], as_of="2025-12-15")
    assert liability[["tier", "expires", "points"]].to_dict("records") == [
        {"tier": "senator", "expires": "2030-03", "points": 7_500}
    ]
    for days in (30, 400):
        row = replay_many(
            events_table({"m": events}, columns=("nights",)),
            program,
            as_of="2025-12-15",
            expiring_days=days,
        ).loc["m"]
        assert row["expiring"] == state.expiring(days)
        assert row["next_expiry"] == _berlin(2030, 4, 1)


def test_reminders_count_a_status_grace_period() -> None:
    """Miles & More Senator (module docstring) with a 30-day grace, on 15 December 2025:
    the status is assessed on 1 January 2026, but a downgrade then waits until 31 January,
    so the miles are protected at least until then, and from then run on to the end of
    the next quarter, 1 July 2026, when the fold expires them (the test above).
    ``expiring`` counts them only when the horizon reaches 1 July (198 days on, not 197;
    before the fix already at 47 days, when the status ends); ``replay_many`` agrees."""
    program = _senator_program(30)
    state = program.replay(_FLIGHTS, as_of="2025-12-15")
    assert (state.tier_name, state.tier.valid_until) == ("senator", _berlin(2026, 1, 1))
    assert state.lots[0].expires_at == _berlin(2026, 7, 1)
    assert (state.expiring(47), state.expiring(197), state.expiring(198)) == (0, 0, 7_500)
    for days in (197, 198):
        row = replay_many(
            events_table({"m": _FLIGHTS}, columns=("nights",)),
            program,
            as_of="2025-12-15",
            expiring_days=days,
        ).loc["m"]
        assert (row["expiring"], row["next_expiry"]) == (
            state.expiring(days),
            _berlin(2026, 7, 1),
        )


# ------------------------------------------------------------------ property


@st.composite
def _low_ladders(draw: st.DrawFn) -> TierLadder:
    """Three tiers a few orders apart, any window, validity and downgrade: ladders the
    drawn histories climb and fall off often (``tier_ladders`` climbs less often)."""
    silver = draw(st.integers(1, 3))
    return TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", orders=silver),
            Tier(name="gold", orders=silver + draw(st.integers(1, 3))),
        ],
        window=draw(st.sampled_from(["calendar_year", "rolling", "anniversary", "since_change"])),
        window_months=draw(st.sampled_from([3, 6, 12])),
        validity_windows=draw(st.integers(1, 2)),
        downgrade=draw(st.sampled_from(["reevaluate", "one_down", "to_base"])),
    )


@st.composite
def _held_programs(draw: st.DrawFn) -> Program:
    """A drawn ladder (any window, grace 0-45 days) whose top tiers keep every point while
    held, over a lot-dated or an inactivity base policy."""
    ladder = draw(tier_ladders().filter(lambda ladder: len(ladder.names) > 1) | _low_ladders())
    ladder = attrs.evolve(ladder, grace_days=draw(st.sampled_from([0, 10, 20, 45])))
    names = ladder.names
    # Every tier from a drawn one up (at least the top; a one-tier ladder protects its base).
    protected = set(names[draw(st.integers(min(1, len(names) - 1), len(names) - 1)) :])
    base = draw(
        st.sampled_from(
            [
                ExpiryPolicy.after_days(30),
                ExpiryPolicy.after_days(200),
                ExpiryPolicy.after_months(3),
                ExpiryPolicy.end_of_period("quarter", 1),
                ExpiryPolicy.end_of_period("month", 0),
                ExpiryPolicy.fixed_date(6, 30),
                ExpiryPolicy.inactivity(40, "days", activity=("purchase",)),
                ExpiryPolicy.inactivity(3, "months", activity=("purchase", "redeem")),
            ]
        )
    )
    expiry = base.per_tier(dict.fromkeys(sorted(protected), ExpiryPolicy.never()), basis="held")
    return Program(
        timezone=draw(st.sampled_from(["Europe/Berlin", "America/New_York", "UTC"])),
        tiers=ladder,
        expiry=expiry,
        pending_days=draw(st.sampled_from([0, 0, 7])),
    )


def _protected_until(program: Program, state: MemberState) -> tuple[bool, dt.datetime | None]:
    """Whether ``state``'s tier keeps every point, and the earliest the status can end
    (the end of a running grace period, else the validity's end plus the grace; None: no
    end)."""
    status = state.tier
    assert status is not None
    if not program.expiry_policy.protects(status.tier):
        return False, None
    if status.pending_downgrade is not None:
        return True, status.pending_downgrade[0]
    if status.valid_until is None:
        return True, None
    assert isinstance(program.tiers, TierLadder)
    return True, status.valid_until + dt.timedelta(days=program.tiers.grace_days)


@settings(max_examples=examples(80), deadline=None)
@given(
    program=_held_programs(),
    events=climbing_histories(priced=False),
    later=st.lists(st.integers(0, 500), min_size=1, max_size=4),
)
def test_held_protection_conserves_points_and_reads_the_same_everywhere(
    program: Program, events: list[Any], later: list[int]
) -> None:
    """Under any ladder with grace and a ``"held"`` policy (Miles & More / IHG style),
    at every event and at drawn later instants: the replay never fails, points are
    conserved (``credited == available + pending + spent + expired + reversed +
    forfeited``, per lot too); no point expires at an instant the member holds a
    protecting tier (its grace period included); a protected live lot is dated no earlier
    than the status's next assessment, so ``expiring`` counts nothing beyond it;
    ``replay_many`` equals the replay; event-by-event ``apply`` equals the replay; and a
    merge of a protected balance sends it undated, points conserved across members."""
    policy = program.expiry_policy
    last = events[-1].time
    instants = [event.time for event in events]
    instants += [last + dt.timedelta(days=days, hours=1) for days in later]
    # Into the grace periods: read halfway through each, and credit a gift there.
    assert isinstance(program.tiers, TierLadder)
    grace = dt.timedelta(days=program.tiers.grace_days / 2)
    history = program.replay(events, as_of=instants[-1], on_error="skip").tier
    assert history is not None
    for change in history.history:
        if change.reason == "downgrade" and policy.protects(change.old) and grace:
            instants.append(change.time - grace)
            gift = Adjust(f"gift{len(instants)}", change.time - grace, points=7, reason="gift")
            events = sorted([*events, gift], key=lambda event: event.time)
    instants.sort()
    for as_of in instants:
        state = program.replay(events, as_of=as_of, on_error="skip")
        check_state(state)
        status = state.tier
        assert status is not None
        for posting in state.postings:
            if posting.kind == "expire":
                assert not policy.protects(status.tier_at(posting.time)), posting
        held, until = _protected_until(program, state)
        if held:
            for lot in state.lots:
                if lot.remaining:
                    assert until is None or lot.expires_at is None or lot.expires_at >= until
                    assert until is not None or lot.expires_at is None
            if until is None:
                assert state.expiring(10_000) == 0
    end = instants[-1]
    final = program.replay(events, as_of=end, on_error="skip")
    # Event by event (each state resumes the last one), then moved to the end.
    stepped = program.replay([], as_of=events[0].time, on_error="skip")
    for event in events:
        stepped = program.apply(stepped, event)
    assert program.replay(stepped.events, as_of=end, on_error="skip") == final
    row = replay_many(
        events_table({"m": events}, columns=("nights",)),
        program,
        as_of=end,
        counts=("nights",),
        on_error="skip",
    ).loc["m"]
    assert (row["available"], row["pending"], row["expired"], row["credited"]) == (
        final.available,
        final.pending,
        final.expired,
        final.credited,
    )
    assert row["tier"] == final.tier_name
    assert row["expiring"] == final.expiring(30)
    usable = [lot.expires_at for lot in final.lots if lot.remaining and lot.active(end)]
    dated = [d for d in usable if d is not None]
    if policy.kind != "inactivity" and usable:
        # The soonest usable lot's date; undated lots come last (NaT if it has none).
        first = min(dated) if dated else None
        assert (None if pd.isna(row["next_expiry"]) else row["next_expiry"]) == first
    held, _ = _protected_until(program, final)
    if held and final.available and not final.pending and not final.debt:
        merged = merge_accounts(final, program, merge_id="mm", time=end)
        assert all(e.expires_at is None for e in merged.receiver_events)
        assert sum(e.points for e in merged.receiver_events) == final.available
