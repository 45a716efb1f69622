"""Two published rules of China Southern Airlines' Sky Pearl Club (南航明珠俱乐部), as data.

1. Elite mile extension, 南航明珠俱乐部会员手册 (as summarised at
   https://www.duocaish.com/cz-basic-04.html): "金、银卡会员在其金、银卡级别期内到期未用里程
   将自动全额延期,每次自动延期12个月,延期后的里程在12个月后如果未使用并且会员仍为金、银卡级别,
   到期未用里程将再次自动延期……如果会员的级别从金、银卡降级为普通卡,里程有效期政策将按普通卡
   处理" (a gold or silver member's miles falling due within the card's period move on 12
   months, and again 12 months later while the member still holds the card; after a
   downgrade to the base card they expire as a base member's do). ``tier_basis="extended"``:
   ``ExpiryPolicy.end_of_period("month", 36).per_tier({"金卡": year, "银卡":
   year}, basis="extended")`` with ``year = ExpiryPolicy.end_of_period("month", 12)`` (a due
   date at a month end moves to the same month end a year later: 28 February 2027 ->
   29 February 2028). The quoted clause names gold and silver only; 铂金卡 (platinum, added
   later) is left out here, as the clause is (one more ``by_tier`` entry adds it).
2. Cancelled awards, the official FAQ "退票发生的里程退还,如何计算里程有效期?"
   (http://www.csair.com/cn/tourguide/faq/club/1aa626r2bjop2.shtml): "自愿退票……退还里程的
   有效期与兑换所使用里程的原始有效期一致,且仅可退还有效期内的里程。……非自愿变更和非自愿退票
   情况下退还的里程,自退改之日起,按原里程有效期顺延6个月退回" (voluntary: the miles keep
   their original validity, and only miles still valid come back; involuntary: they come
   back with the original validity extended by 6 months).
   ``CancelRedemption(..., involuntary=True)`` under ``Program(involuntary_extension=
   ExpiryPolicy.end_of_period("month", 6))``. The involuntary clause has no "仅可退还有效期内
   的里程": miles whose original date has passed come back too, valid to that date plus
   6 months if it is still ahead (else they expire at once, as voluntarily).

The miles' base validity is the one test_published_ledger.py pins: "里程自入账当月起有效期为
36个月" (``end_of_period("month", 36)``: January 2023 miles are valid through
31 January 2026), and the cards are test_published_chinese_status.py's ladder (80,000 km
in a calendar year for 金卡, 40,000 for 银卡, valid "到第三年的2月28日"). Flights here credit
their 定级 km and segments only (status credit, ``Adjust(points=0, counts=...)``); the
miles are credited apart, so the arithmetic follows one lot at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zoneinfo
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import consumes, initialize, rule

from crmkit.errors import ConfigError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    CancelRedemption,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    RefundLine,
    event_from_dict,
    points_liability,
    replay_many,
)
from tests.loyalty._tables import events_table
from tests.loyalty.test_ledger_properties import LedgerMachine, check_state
from tests.loyalty.test_published_chinese_status import _southern
from tests.strategies import examples, extension_policies, involuntary_programs, southern_histories

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
TICK = dt.timedelta(microseconds=1)

#: "里程自入账当月起有效期为36个月" (test_published_ledger.py).
MILES = ExpiryPolicy.end_of_period("month", 36)
#: "每次自动延期12个月": a month end to the same month end a year later.
YEAR = ExpiryPolicy.end_of_period("month", 12)
#: "按原里程有效期顺延6个月": a month end to the month end 6 months later.
SIX = ExpiryPolicy.end_of_period("month", 6)
#: Both rules: miles of a gold or silver member move on 12 months.
SOUTHERN_MILES = MILES.per_tier({"金卡": YEAR, "银卡": YEAR}, basis="extended")


def _on(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SH)


def _program(**options: Any) -> Program:
    """The Sky Pearl Club: its cards, its miles' validity and the elite extension."""
    return Program(timezone="Asia/Shanghai", tiers=_southern(), expiry=SOUTHERN_MILES, **options)


def _status(event_id: str, when: dt.datetime, km: int) -> Adjust:
    """Flights crediting ``km`` 定级 km in 6 segments (status credit, no award miles)."""
    return Adjust(event_id, when, points=0, reason="status", counts={"km": km, "segments": 6})


#: Award miles: January and February 2023, January and March 2024.
_MILES = [
    Adjust("m2301", _on(2023, 1, 15, 10), points=10_000, reason="flight"),
    Adjust("m2302", _on(2023, 2, 15, 10), points=3_000, reason="flight"),
    Adjust("m2401", _on(2024, 1, 15, 10), points=2_000, reason="flight"),
    Adjust("m2403", _on(2024, 3, 15, 10), points=1_000, reason="flight"),
]
#: 金卡 on 80,000 km in 2024 (from 1 September 2024, through 28 February 2026), kept by
#: 80,000 km again in 2025 (from 1 October 2025, through 28 February 2027); no flight in
#: 2026, so the member is back to 明珠卡 on 1 March 2027.
_GOLD = [
    _status("q2404", _on(2024, 4, 1, 10), 40_000),
    _status("q2409", _on(2024, 9, 1, 10), 40_000),
    _status("q2505", _on(2025, 5, 1, 10), 40_000),
    _status("q2510", _on(2025, 10, 1, 10), 40_000),
]


def _lot(state: Any, lot_id: str) -> Any:
    return next(lot for lot in state.lots if lot.lot_id == lot_id)


# ------------------------------------------------------------------ rule 1: extension


def test_gold_miles_move_on_12_months_at_a_time_and_expire_after_the_downgrade() -> None:
    """Rule 1 (module docstring). 10,000 miles credited in January 2023 are valid through
    31 January 2023 + 36 months = 31 January 2026. The member is 金卡 then (through
    28 February 2026 on 2024's 80,000 km): they move to 31 January 2027
    ("每次自动延期12个月"). 2025's 80,000 km keep 金卡 through 28 February 2027, so on
    31 January 2027 they move again, to 31 January 2028 ("会员仍为金、银卡级别 ... 再次自动
    延期"). With no flight in 2026 the member is 明珠卡 from 1 March 2027 ("降级为普通卡 ...
    按普通卡处理"): on 31 January 2028 nothing moves them and they expire at the end of
    the day, 1 February 2028 00:00 Shanghai time. Without a card they would have expired
    on 1 February 2026.

    What ``lots`` shows along the way (the date they can go at the earliest): on 1 June
    2025 金卡 runs to 28 February 2026, so the 2026 extension is certain and the 2027 one
    is not: 31 January 2027; from 2 October 2025 (金卡 to 28 February 2027) both are:
    31 January 2028.
    """
    program = _program()
    events = [_MILES[0], *_GOLD]
    due = {
        "2025-06-01": _on(2027, 2, 1),
        "2025-10-02": _on(2028, 2, 1),
        "2026-02-01": _on(2028, 2, 1),
        "2027-03-01": _on(2028, 2, 1),
    }
    for day, expires in due.items():
        state = program.replay(events, as_of=day)
        assert (state.available, state.expired, _lot(state, "m2301").expires_at) == (
            10_000,
            0,
            expires,
        ), day
    assert program.replay(events, as_of="2027-03-01").tier_name == "明珠卡"
    held = program.replay(events, as_of=_on(2028, 1, 31, 23))
    assert (held.available, held.expired) == (10_000, 0)
    gone = program.replay(events, as_of=_on(2028, 2, 1))
    assert (gone.available, gone.expired) == (0, 10_000)
    assert [(p.time, p.points) for p in gone.postings if p.kind == "expire"] == [
        (_on(2028, 2, 1), -10_000)
    ]
    check_state(gone)
    plain = Program(timezone="Asia/Shanghai", tiers=_southern(), expiry=MILES)
    assert plain.replay(events, as_of=_on(2026, 2, 1)).expired == 10_000


def test_a_silver_card_after_gold_keeps_moving_them() -> None:
    """Rule 1: "金、银卡" both move miles on. As above, plus 40,000 km in 2026: 银卡's
    standard, so when 金卡 ends on 1 March 2027 the member holds 银卡 reached in 2026,
    through 29 February 2028 (2028 is the third year; a leap year). The January 2023
    miles, moved to 31 January 2028 under 金卡, fall due within 银卡 and move again, to
    31 January 2029; the member is 明珠卡 from 1 March 2028, so they expire on
    1 February 2029.
    """
    program = _program()
    events = [_MILES[0], *_GOLD, _status("q2606", _on(2026, 6, 1, 10), 40_000)]
    silver = program.replay(events, as_of="2027-03-01")
    assert (silver.tier_name, silver.tier.valid_until) == ("银卡", _on(2028, 3, 1))
    after = program.replay(events, as_of="2028-03-01")
    assert after.tier_name == "明珠卡"
    assert _lot(after, "m2301").expires_at == _on(2029, 2, 1)
    assert program.replay(events, as_of=_on(2029, 1, 31, 23)).available == 10_000
    assert program.replay(events, as_of=_on(2029, 2, 1)).expired == 10_000


def test_miles_due_on_the_cards_last_day_move_on_to_the_next_leap_day() -> None:
    """Rule 1 at the edge of the card. 3,000 miles credited in February 2023 are valid
    through 28 February 2023 + 36 months = 28 February 2026: within 金卡, so they move to
    28 February 2027, the last day of the renewed card. They are due at its end, 1 March
    2027 00:00, the instant the card ends; they fall due within the card (it is held on
    their last valid instant), so they move on once more: the month end 12 months after
    28 February 2027 is 29 February 2028 (a leap year; ``end_of_period("month", 12)``).
    Then, the member being 明珠卡, they expire on 1 March 2028. 1,000 miles of March
    2024 are due 31 March 2027, a month after the card: they expire on 1 April 2027.
    """
    program = _program()
    events = [_MILES[1], _MILES[3], *_GOLD]
    state = program.replay(events, as_of="2027-03-01")
    assert _lot(state, "m2302").expires_at == _on(2028, 3, 1)
    assert _lot(state, "m2403").expires_at == _on(2027, 4, 1)
    april = program.replay(events, as_of=_on(2027, 4, 1))
    assert (april.available, april.expired) == (3_000, 1_000)
    assert program.replay(events, as_of=_on(2028, 2, 29, 23)).available == 3_000
    assert program.replay(events, as_of=_on(2028, 3, 1)).expired == 4_000


def test_a_member_without_a_card_keeps_the_plain_36_months() -> None:
    """Rule 1, "按普通卡处理": with no card ever, the extension changes nothing: the four
    lots expire on the plain dates (1 February 2026, 1 March 2026, 1 February 2027 and
    1 April 2027), the same states as under ``end_of_period("month", 36)``
    alone, at each due date."""
    program = _program()
    plain = Program(timezone="Asia/Shanghai", tiers=_southern(), expiry=MILES)
    for day in (_on(2026, 2, 1), _on(2026, 3, 1), _on(2027, 2, 1), _on(2027, 4, 1)):
        ours, theirs = program.replay(_MILES, as_of=day), plain.replay(_MILES, as_of=day)
        assert (ours.available, ours.expired, ours.lots) == (
            theirs.available,
            theirs.expired,
            theirs.lots,
        )
    assert program.replay(_MILES, as_of=_on(2027, 4, 1)).expired == 16_000


def test_reminders_do_not_count_miles_the_card_will_move_on() -> None:
    """Rule 1 in reports. On 15 December 2025 (00:00) the member holds 金卡 through
    28 February 2027: the status cannot end before 1 March 2027, so every lot due by then
    is certain to move on, and is shown at the first date of its run past that end:

    - January 2023 (10,000): 31 Jan 2026 -> 31 Jan 2027 -> 31 Jan 2028, gone 1 Feb 2028;
    - February 2023 (3,000): 28 Feb 2026 -> 28 Feb 2027 -> 29 Feb 2028, gone 1 Mar 2028;
    - January 2024 (2,000): 31 Jan 2027 -> 31 Jan 2028, gone 1 Feb 2028;
    - March 2024 (1,000): due 31 March 2027, after the card: gone 1 April 2027.

    So ``expiring(60)`` is 0 (under the plain policy it is the 10,000 due 1 February 2026,
    48 days on); within 472 days (1 April 2027) 1,000; within 778 (1 February 2028)
    13,000; within 807 (1 March 2028) 16,000, as the fold does expire them (the test
    above). The February 2023 lot comes first in the consumption queue (due 1 March 2026)
    but goes after the January 2024 one: ``replay_many`` reads every lot, and agrees on
    ``expiring`` and ``next_expiry`` (1 April 2027); ``points_liability`` puts the miles
    in the months they can go.
    """
    program = _program()
    events = [*_MILES, *_GOLD]
    as_of = _on(2025, 12, 15)
    state = program.replay(events, as_of=as_of)
    assert [(lot.lot_id, lot.expires_at) for lot in state.lots if lot.amount] == [
        ("m2301", _on(2028, 2, 1)),
        ("m2302", _on(2028, 3, 1)),
        ("m2401", _on(2028, 2, 1)),
        ("m2403", _on(2027, 4, 1)),
    ]
    horizons = {60: 0, 471: 0, 472: 1_000, 777: 1_000, 778: 13_000, 806: 13_000, 807: 16_000}
    assert {days: state.expiring(days) for days in horizons} == horizons
    plain = Program(timezone="Asia/Shanghai", tiers=_southern(), expiry=MILES)
    assert plain.replay(events, as_of=as_of).expiring(60) == 10_000
    frame = events_table({"m": events}, columns=("involuntary", *_COUNTS))
    for days, points in horizons.items():
        row = replay_many(frame, program, as_of=as_of, counts=_COUNTS, expiring_days=days)
        assert (row.loc["m", "expiring"], row.loc["m", "next_expiry"]) == (
            points,
            _on(2027, 4, 1),
        ), days
    liability = points_liability([state], as_of=as_of)
    assert liability[["expires", "points"]].to_dict("records") == [
        {"expires": "2027-03", "points": 1_000},
        {"expires": "2028-01", "points": 12_000},
        {"expires": "2028-02", "points": 3_000},
    ]


def test_the_extended_basis_is_data_and_refuses_contradictions() -> None:
    """Rule 1 as JSON: ``tier_basis="extended"`` with each tier's extension round-trips
    (policy and program), and what cannot mean an extension is refused with a
    ConfigError naming the field: no tiers, a tier whose extension is ``never`` (that is
    ``"held"``), an extension that can leave a date where it is (``end_of_period(...,
    0)``: 31 December stays 31 December), an inactivity policy (no lot has a date),
    an unknown basis."""
    policy = SOUTHERN_MILES
    data = json.loads(json.dumps(policy.to_dict()))
    assert data["tier_basis"] == "extended"
    assert data["by_tier"]["金卡"] == {
        "kind": "end_of_period",
        "n": 12,
        "freq": "month",
        "month": 0,
        "day": 0,
        "activity": [],
    }
    assert ExpiryPolicy.from_dict(data) == policy
    program = _program(involuntary_extension=SIX)
    assert Program.from_dict(json.loads(json.dumps(program.to_dict()))) == program
    assert (policy.extension("金卡"), policy.extension("明珠卡")) == (YEAR, None)
    assert policy.for_tier("金卡") == policy  # credited under the base policy
    assert not policy.protects("金卡")
    bad = [
        (lambda: attrs.evolve(MILES, tier_basis="extended"), "tier_basis"),
        (lambda: MILES.per_tier({"金卡": ExpiryPolicy.never()}, basis="extended"), "金卡"),
        (
            lambda: MILES.per_tier({"金卡": ExpiryPolicy.end_of_period("year")}, basis="extended"),
            "n=0",
        ),
        (
            lambda: ExpiryPolicy.inactivity(12, activity=("purchase",)).per_tier(
                {"金卡": ExpiryPolicy.never()}, basis="extended"
            ),
            "'held' for an inactivity policy",
        ),
        (lambda: MILES.per_tier({"金卡": YEAR}, basis="moved"), "tier_basis"),
        (lambda: ExpiryPolicy.never().extend_from(_on(2026, 1, 1), SH), "kind 'never'"),
    ]
    for build, named in bad:
        with pytest.raises(ConfigError, match=named):
            build()
    with pytest.raises(ConfigError, match="primary ladder"):
        Program(timezone="Asia/Shanghai", expiry=SOUTHERN_MILES)  # no such tiers


# ------------------------------------------------------------------ rule 2: cancellations


def _awards(*, involuntary: bool, cancelled: dt.datetime) -> list[Any]:
    """5,000 miles of March 2023 (valid through 31 March 2026) and 4,000 of June 2023
    (through 30 June 2026); an award of 6,000 on 10 January 2026 takes the soonest first,
    5,000 + 1,000; cancelled at ``cancelled``."""
    return [
        Adjust("m2303", _on(2023, 3, 10, 10), points=5_000, reason="flight"),
        Adjust("m2306", _on(2023, 6, 10, 10), points=4_000, reason="flight"),
        Redeem("award", _on(2026, 1, 10, 10), points=6_000),
        CancelRedemption("cancel", cancelled, "award", involuntary=involuntary),
    ]


def _cz_program() -> Program:
    return Program(timezone="Asia/Shanghai", expiry=MILES, involuntary_extension=SIX)


def test_an_involuntary_cancellation_returns_miles_six_months_longer() -> None:
    """Rule 2, "非自愿 ... 按原里程有效期顺延6个月退回": cancelled involuntarily on
    20 February 2026, the 5,000 March 2023 miles come back valid through 31 March 2026 +
    6 months = 30 September 2026 (gone 1 October), the 1,000 June 2023 miles through
    30 June + 6 months = 31 December 2026 (month end to month end; gone 1 January 2027).
    Each returned part is a lot of its own, ``"cancel#<lot>"``, since the June lot keeps
    3,000 miles valid through 30 June; the March lot keeps its record with nothing left
    (amount 0: all 5,000 moved). Nothing is credited anew: 9,000 credited.

    Balances: 9,000 on 1 April 2026 (voluntarily 4,000: the 5,000 expire with their lot);
    6,000 on 1 July (the June lot's own 3,000 expired); 1,000 on 1 October; 0 on
    1 January 2027, every mile expired.
    """
    program = _cz_program()
    events = _awards(involuntary=True, cancelled=_on(2026, 2, 20, 10))
    state = program.replay(events, as_of=_on(2026, 2, 21))
    lots = {lot.lot_id: lot for lot in state.lots}
    assert {k: (v.amount, v.remaining, v.expires_at) for k, v in lots.items()} == {
        "m2303": (0, 0, _on(2026, 4, 1)),
        "m2306": (3_000, 3_000, _on(2026, 7, 1)),
        "cancel#m2303": (5_000, 5_000, _on(2026, 10, 1)),
        "cancel#m2306": (1_000, 1_000, _on(2027, 1, 1)),
    }
    assert (lots["cancel#m2303"].earned_at, lots["cancel#m2303"].source) == (
        _on(2023, 3, 10, 10),
        "adjust",
    )
    assert (state.credited, state.available, state.spent) == (9_000, 9_000, 0)
    balances = {
        _on(2026, 4, 1): (9_000, 0),
        _on(2026, 7, 1): (6_000, 3_000),
        _on(2026, 10, 1): (1_000, 8_000),
        _on(2027, 1, 1): (0, 9_000),
    }
    for day, figures in balances.items():
        later = program.replay(events, as_of=day)
        assert (later.available, later.expired) == figures, day
        check_state(later)
    voluntary = _awards(involuntary=False, cancelled=_on(2026, 2, 20, 10))
    assert program.replay(voluntary, as_of=_on(2026, 4, 1)).available == 4_000


def test_an_involuntary_cancellation_after_the_original_date_still_returns_the_miles() -> None:
    """Rule 2: the involuntary clause, unlike the voluntary one ("且仅可退还有效期内的里程"),
    keeps no miles out. Cancelled on 10 May 2026, after the March 2023 miles' 31 March:
    voluntarily those 5,000 expire at once (3,000 + 1,000 June miles usable);
    involuntarily they come back valid through 30 September 2026 (9,000 usable). Cancelled
    on 15 November 2026, after 30 September too and after the June lot's 30 June, the
    5,000 expire at once either way, and the 1,000 June miles come back involuntarily
    only, through 31 December 2026."""
    program = _cz_program()
    may = _on(2026, 5, 10, 10)
    voluntary = program.replay(_awards(involuntary=False, cancelled=may), as_of=may)
    involuntary = program.replay(_awards(involuntary=True, cancelled=may), as_of=may)
    assert (voluntary.available, voluntary.expired) == (4_000, 5_000)
    assert (involuntary.available, involuntary.expired) == (9_000, 0)
    assert _lot(involuntary, "cancel#m2303").expires_at == _on(2026, 10, 1)
    november = _on(2026, 11, 15, 10)
    late = program.replay(_awards(involuntary=True, cancelled=november), as_of=november)
    assert (late.available, late.expired) == (1_000, 8_000)
    assert _lot(late, "cancel#m2306").expires_at == _on(2027, 1, 1)
    assert "cancel#m2303" not in {lot.lot_id for lot in late.lots}
    check_state(late)


def test_a_voluntary_cancellation_is_unchanged() -> None:
    """Rule 2, "自愿退票 ... 退还里程的有效期与兑换所使用里程的原始有效期一致": a voluntary
    cancellation puts the miles back into their lots with their dates, under a program
    with an involuntary extension exactly as under one without; and an involuntary
    cancellation under a program without one does the same (the extension is the
    program's to give)."""
    cancelled = _on(2026, 2, 20, 10)
    with_extension = _cz_program()
    without = Program(timezone="Asia/Shanghai", expiry=MILES)
    reference = without.replay(_awards(involuntary=False, cancelled=cancelled), as_of="2026-12-31")
    assert (reference.available, reference.expired) == (0, 9_000)
    for program, involuntary in ((with_extension, False), (without, True)):
        state = program.replay(
            _awards(involuntary=involuntary, cancelled=cancelled), as_of="2026-12-31"
        )
        assert state.lots == reference.lots
        assert (state.available, state.expired) == (0, 9_000)


def test_a_refund_follows_the_miles_an_involuntary_cancellation_moved() -> None:
    """Rule 2 with a refund after it: a 5,000 yuan purchase on 5 January 2026 earns
    5,000 miles (1 per yuan; valid through 31 January 2029); 3,000 go to an award on
    1 February, cancelled involuntarily on 1 March: they come back in ``"c#p"``, through
    31 January 2029 + 6 months = 31 July 2029 (``p`` keeps 2,000 of amount 2,000). The
    purchase is refunded whole on 1 April: all 5,000 of its miles are taken back, 2,000
    from ``p`` and 3,000 from ``c#p``, nothing written off as spent (the points the
    cancellation moved are still the purchase's). Every shortfall policy gives the same,
    as nothing was spent."""
    events = [
        Purchase("p", _on(2026, 1, 5, 10), lines=[PurchaseLine("1", "5000")]),
        Redeem("award", _on(2026, 2, 1, 10), points=3_000),
        CancelRedemption("c", _on(2026, 3, 1, 10), "award", involuntary=True),
        Refund("r", _on(2026, 4, 1, 10), "p"),
    ]
    for shortfall in ("forfeit", "debt", "cash_offset", "balance_then_cash"):
        program = attrs.evolve(_cz_program(), shortfall=shortfall)
        moved = program.replay(events[:3], as_of=_on(2026, 3, 2))
        assert _lot(moved, "c#p").expires_at == _on(2029, 8, 1)
        assert (_lot(moved, "p").amount, _lot(moved, "c#p").amount) == (2_000, 3_000)
        state = program.replay(events, as_of=_on(2026, 4, 2))
        assert (state.available, state.reversed, state.forfeited, state.debt) == (
            0,
            5_000,
            0,
            0,
        ), shortfall
        assert state.cash_offset == 0
        check_state(state)


def test_a_part_id_already_taken_is_refused_before_anything_changes() -> None:
    """Rule 2's returned parts are named ``"<cancellation>#<lot>"``: a lot already named
    so (here a credit whose event id is ``"cancel#m2303"``) makes the cancellation a
    LedgerError naming it; with ``on_error="skip"`` it is left out and nothing moved."""
    program = _cz_program()
    events = [
        *_awards(involuntary=True, cancelled=_on(2026, 2, 20, 10)),
        Adjust("cancel#m2303", _on(2025, 1, 1), points=1, reason="gift"),
    ]
    with pytest.raises(LedgerError, match="cancel#m2303"):
        program.replay(events, as_of="2026-03-01")
    skipped = program.replay(events, as_of="2026-03-01", on_error="skip")
    assert [event_id for event_id, _ in skipped.rejected] == ["cancel"]
    assert (skipped.available, skipped.spent) == (3_001, 6_000)
    check_state(skipped)


def test_involuntary_cancellations_are_data() -> None:
    """Rule 2 as JSON: ``involuntary`` on the event (left out of the JSON when False, the
    default) and ``involuntary_extension`` on the program round-trip; the extension must
    move a date later and the flag must be a bool (ConfigError / InvalidInputError naming
    the field)."""
    event = CancelRedemption("c", _on(2026, 2, 20, 10), "award", involuntary=True)
    data = json.loads(json.dumps(event.to_dict()))
    assert data["involuntary"] is True
    assert event_from_dict(data) == event
    assert "involuntary" not in attrs.evolve(event, involuntary=False).to_dict()
    program = _cz_program()
    data = json.loads(json.dumps(program.to_dict()))
    assert data["involuntary_extension"]["kind"] == "end_of_period"
    assert Program.from_dict(data) == program
    assert "involuntary_extension" not in Program().to_dict()
    with pytest.raises(ConfigError, match="involuntary_extension"):
        Program(involuntary_extension=ExpiryPolicy.never())
    with pytest.raises(ConfigError, match="involuntary_extension"):
        Program(involuntary_extension=ExpiryPolicy.end_of_period("month"))
    with pytest.raises(InvalidInputError, match="involuntary"):
        event_from_dict({**_data_of(event), "involuntary": "yes"})


def _data_of(event: CancelRedemption) -> dict[str, Any]:
    """``event``'s JSON as a plain dict."""
    return dict(json.loads(json.dumps(event.to_dict())))


# ------------------------------------------------------------------ replay_many tables

_COUNTS = ("km", "segments")


def test_replay_many_reads_the_involuntary_column() -> None:
    """Rule 2 in a table: an ``involuntary`` column (True/False, "true"/"false", 1/0,
    empty = False) on cancellation rows; each member's row equals the replay. Junk, or
    True on another kind of row, is refused naming the column and the row."""
    cancelled = _on(2026, 2, 20, 10)
    program = _cz_program()
    members = {
        "inv": _awards(involuntary=True, cancelled=cancelled),
        "vol": _awards(involuntary=False, cancelled=cancelled),
    }
    frame = events_table(members, columns=("involuntary", *_COUNTS))
    as_of = _on(2026, 4, 1)
    rows = replay_many(frame, program, as_of=as_of)
    for member, events in members.items():
        state = program.replay(events, as_of=as_of)
        assert (rows.loc[member, "available"], rows.loc[member, "expired"]) == (
            state.available,
            state.expired,
        )
    assert (rows.loc["inv", "available"], rows.loc["vol", "available"]) == (9_000, 4_000)
    cancels = frame["kind"] == "cancel_redemption"
    for spelling in ("true", " TRUE ", 1, True):
        spelled = frame.copy()
        spelled.loc[cancels & (frame["member_id"] == "inv"), "involuntary"] = spelling
        spelled.loc[cancels & (frame["member_id"] == "vol"), "involuntary"] = None
        again = replay_many(spelled, program, as_of=as_of)
        assert again["available"].tolist() == [9_000, 4_000], spelling
    junk = frame.copy()
    junk.loc[cancels & (frame["member_id"] == "inv"), "involuntary"] = "maybe"
    with pytest.raises(InvalidInputError, match=r"involuntary.*maybe"):
        replay_many(junk, program, as_of=as_of)
    misplaced = frame.copy()
    misplaced.loc[frame["kind"] == "redeem", "involuntary"] = True
    with pytest.raises(InvalidInputError, match="cancel_redemption rows only"):
        replay_many(misplaced, program, as_of=as_of)


# ------------------------------------------------------------------ properties


@st.composite
def _southern_programs(draw: st.DrawFn) -> Program:
    """The Sky Pearl Club ladder (maybe with a grace period and another downgrade rule)
    under the extended basis: a drawn base validity (36 months, or short enough to fall
    due within the drawn histories often), drawn extensions for the drawn cards, a
    drawn shortfall policy, and an involuntary extension or none."""
    ladder = attrs.evolve(
        _southern(),
        grace_days=draw(st.sampled_from([0, 0, 30])),
        downgrade=draw(st.sampled_from(["reevaluate", "one_down", "to_base"])),
    )
    base = draw(
        st.sampled_from(
            [
                MILES,
                ExpiryPolicy.after_months(6, count_from="month_end"),
                ExpiryPolicy.after_days(120),
                ExpiryPolicy.end_of_period("quarter", 1),
            ]
        )
    )
    cards = draw(st.sampled_from([("银卡", "金卡"), ("银卡", "金卡", "铂金卡"), ("金卡",)]))
    extension = draw(st.sampled_from([YEAR, ExpiryPolicy.after_months(3)]) | extension_policies())
    return Program(
        timezone="Asia/Shanghai",
        tiers=ladder,
        expiry=base.per_tier(dict.fromkeys(cards, extension), basis="extended"),
        involuntary_extension=draw(st.sampled_from([None, SIX]) | extension_policies()),
        shortfall=draw(st.sampled_from(["forfeit", "debt", "cash_offset", "balance_then_cash"])),
    )


@settings(max_examples=examples(60), deadline=None)
@given(
    program=_southern_programs(),
    events=southern_histories(),
    later=st.lists(st.integers(0, 700), min_size=1, max_size=3),
)
def test_extension_conserves_points_and_reads_the_same_everywhere(
    program: Program, events: list[Any], later: list[int]
) -> None:
    """Under the extended basis (any extension, any cards, grace, downgrade rule and
    shortfall policy), with voluntary and involuntary cancellations and refunds, at every
    event and at drawn later instants: points are conserved (``credited == available +
    pending + spent + expired + reversed + forfeited``, and per lot); no lot expires at
    its due date when the member held an extending card on its last valid instant; a live lot is never
    shown earlier than it can go (replayed to its shown date less a microsecond, with no
    later event, it still holds its points), and at that date it goes exactly when the
    card held then does not extend; and the replay equals event-by-event ``apply``,
    ``replay_many`` (balances, ``expiring``, ``next_expiry``) and the replay of the
    events in another order."""
    policy = program.expiry_policy
    end = events[-1].time + dt.timedelta(days=max(later), hours=1)
    instants = [event.time for event in events]
    instants += [events[-1].time + dt.timedelta(days=days, hours=1) for days in later]
    # (Points a cancellation returns to a date already past expire at the cancellation,
    # whatever the card then: only expiries at due dates are the extension's to decide.)
    times = {event.time for event in events}
    for as_of in instants:
        state = program.replay(events, as_of=as_of, on_error="skip")
        check_state(state)
        status = state.tier
        assert status is not None
        for posting in state.postings:
            if posting.kind == "expire" and posting.time not in times:
                card = status.tier_at(posting.time - TICK)
                assert policy.extension(card) is None, posting
        past = [event for event in events if event.time <= as_of]
        for lot in state.lots:
            shown = lot.expires_at
            if not lot.remaining or not lot.active(as_of) or shown is None:
                continue
            if shown > as_of + dt.timedelta(days=3 * 366):
                continue  # (far off: keep the example quick)
            before = program.replay(past, as_of=shown - TICK, on_error="skip")
            assert _lot(before, lot.lot_id).remaining == lot.remaining, lot
            then = program.replay(past, as_of=shown, on_error="skip")
            assert then.tier is not None
            extends = policy.extension(then.tier.tier_at(shown - TICK)) is not None
            assert (_lot(then, lot.lot_id).remaining == 0) is not extends, lot
    final = program.replay(events, as_of=end, on_error="skip")
    stepped = program.replay([], as_of=events[0].time, on_error="skip")
    for event in events:
        stepped = program.apply(stepped, event)
    assert program.replay(stepped.events, as_of=end, on_error="skip") == final
    shuffled = list(events)
    random.Random(len(events)).shuffle(shuffled)
    assert program.replay(shuffled, as_of=end, on_error="skip") == final
    for days in (30, 400):
        row = replay_many(
            events_table({"m": events}, columns=("involuntary", *_COUNTS)), program, as_of=end, counts=_COUNTS, on_error="skip",
            expiring_days=days,
        ).loc["m"]  # fmt: skip
        assert (row["available"], row["pending"], row["expired"], row["credited"]) == (
            final.available,
            final.pending,
            final.expired,
            final.credited,
        )
        assert (row["spent"], row["reversed"], row["forfeited"]) == (
            final.spent,
            final.reversed,
            final.forfeited,
        )
        assert row["expiring"] == final.expiring(days)
        usable = [lot.expires_at for lot in final.lots if lot.remaining and lot.active(end)]
        dated = [d for d in usable if d is not None]
        expected = min(dated) if dated else None
        assert (None if pd.isna(row["next_expiry"]) else row["next_expiry"]) == expected


@settings(max_examples=examples(80), deadline=None)
@given(
    base=st.sampled_from([MILES, ExpiryPolicy.after_days(2), ExpiryPolicy.after_days(30)]),
    extension=extension_policies(),
    shortfall=st.sampled_from(["forfeit", "debt", "cash_offset", "balance_then_cash"]),
    gifts=st.lists(st.integers(1, 3_000), max_size=3),
    amounts=st.lists(st.integers(1, 4_000), min_size=1, max_size=3),
    award=st.integers(1, 9_000),
    spend=st.integers(0, 4_000),
    refunded=st.lists(st.integers(0, 2), max_size=3, unique=True),
)
def test_a_refund_takes_back_the_purchase_miles_wherever_a_cancellation_put_them(
    *,
    base: ExpiryPolicy,
    extension: ExpiryPolicy,
    shortfall: str,
    gifts: list[int],
    amounts: list[int],
    award: int,
    spend: int,
    refunded: list[int],
) -> None:
    """Rule 2 with refunds: gifts, a purchase of 1-3 lines (1 mile per yuan), an award
    drawing soonest-expiring miles, its involuntary cancellation (parts ``"c#<lot>"``
    split off the drawn lots), more spending, then refunds of some lines or the whole
    purchase. Points are conserved throughout; a whole refund leaves nothing of the
    purchase's miles in its lot or its parts, and under ``"forfeit"`` the lot and its
    parts have reversed or written off exactly what the purchase earned; apply equals
    the replay, in any order of arrival."""
    program = Program(
        timezone="Asia/Shanghai", expiry=base, involuntary_extension=extension, shortfall=shortfall
    )
    t0 = _on(2026, 1, 1, 10)
    day = dt.timedelta(days=1)
    events: list[Any] = [
        Adjust(f"g{i}", t0 + dt.timedelta(hours=i), points=points, reason="gift")
        for i, points in enumerate(gifts)
    ]
    lines = [PurchaseLine(str(i), str(amount)) for i, amount in enumerate(amounts)]
    events += [
        Purchase("p", t0 + day, lines=lines),
        Redeem("r", t0 + 2 * day, points=award),
        CancelRedemption("c", t0 + 3 * day, "r", involuntary=True),
    ]
    if spend:
        events.append(Redeem("s", t0 + 4 * day, points=spend))
    picked = [k for k in refunded if k < len(lines)]
    for n, k in enumerate(picked):
        events.append(Refund(f"f{n}", t0 + (5 + n) * day, "p", lines=[RefundLine(str(k))]))
    whole = not picked or len(picked) == len(lines)
    if not picked:
        events.append(Refund("f", t0 + 5 * day, "p"))
    end = t0 + 10 * day
    state = program.replay(events, as_of=end, on_error="skip")
    check_state(state)
    family = [lot for lot in state.lots if lot.lot_id == "p" or lot.lot_id.endswith("#p")]
    earned = sum(amounts)
    assert sum(lot.amount for lot in family) == earned
    if whole:
        assert sum(lot.remaining for lot in family) == 0
        if shortfall == "forfeit":
            assert sum(lot.reversed + lot.forfeited for lot in family) == earned
    stepped = program.replay([], as_of=t0, on_error="skip")
    for event in events:
        stepped = program.apply(stepped, event)
    assert program.replay(stepped.events, as_of=end, on_error="skip") == state
    assert program.replay(events[::-1], as_of=end, on_error="skip") == state


class InvoluntaryLedgerMachine(LedgerMachine):
    """The ledger machine (tests/loyalty/test_ledger_properties.py: conservation per lot
    and member, apply == replay, arrival order, idempotence) under programs with an
    involuntary extension, cancelling redemptions involuntarily too."""

    @initialize(program=involuntary_programs())
    def choose_program(self, program: Program) -> None:
        self.program = program
        self.state = program.replay([], as_of=self.now)

    @rule(redemption=consumes(LedgerMachine.redemptions))
    def cancel_involuntarily(self, redemption: str) -> None:
        """Rule 2: each drawn lot's points come back dated by the extension of the lot's
        date (in a part of their own) unless the lot has none or the extension is past;
        nothing is credited anew."""
        debit = self.state._book.debits.get(redemption)
        if debit is None:
            return
        before = {lot.lot_id: lot for lot in self.state.lots}
        credited = self.state.credited
        cid = self._id("i")
        self._push(CancelRedemption(cid, self.now, redemption, involuntary=True))
        assert self.state.credited == credited
        after = {lot.lot_id: lot for lot in self.state.lots}
        extension = self.program.involuntary_extension
        assert extension is not None
        zone = self.program.zone
        for lot_id in debit.allocations:
            part = after.get(f"{cid}#{lot_id}")
            expires = before[lot_id].expires_at
            if expires is None or extension.extend_from(expires, zone) <= self.now:
                assert part is None
            elif part is not None:
                assert part.expires_at == extension.extend_from(expires, zone)
                assert part.amount + after[lot_id].amount == before[lot_id].amount


InvoluntaryLedgerMachine.TestCase.settings = settings(
    max_examples=examples(40), stateful_step_count=25, deadline=None
)
TestInvoluntaryLedger = InvoluntaryLedgerMachine.TestCase
