"""Tiers: upgrades, validity, downgrade policies, windows, lifetime, refunds, batch, errors."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pandas as pd
import pytest

from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.loyalty import (
    Counters,
    QualifyingPosting,
    Tier,
    TierLadder,
    assign_tiers,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 12) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SH)


def spend(when: dt.datetime, amount: str, orders: int = 1) -> QualifyingPosting:
    return QualifyingPosting(when, spend=amount, points=int(Decimal(amount)), orders=orders)


def xp(when: dt.datetime, points: int) -> QualifyingPosting:
    return QualifyingPosting(when, points=points)


#: The retail ladder of the domain notes: repurchases reaching an amount upgrade the level;
#: a high-value retail customer spends over 10,000 a year.
RETAIL = TierLadder(
    tiers=[
        Tier(name="member"),
        Tier(name="silver", spend="2000"),
        Tier(name="gold", spend="5000"),
        Tier(name="vip", spend="10000"),
    ]
)

#: An airline-style ladder: status credits (XP) per calendar qualification year, status held
#: through the following year, soft landing one level at a time.
AIRLINE = TierLadder(
    tiers=[
        Tier(name="explorer"),
        Tier(name="silver", points=100),
        Tier(name="gold", points=180),
        Tier(name="platinum", points=300),
    ],
    downgrade="one_down",
)


def tier_on(
    ladder: TierLadder, posts: list[QualifyingPosting], when: dt.datetime, **kw: object
) -> str:
    return ladder.evaluate(posts, as_of=when, timezone=SH, **kw).tier  # type: ignore[arg-type]


# --------------------------------------------------------------------------- upgrades


def test_repurchases_reaching_an_amount_upgrade_the_member_level() -> None:
    posts = [
        spend(at(2025, 3, 1), "3000"),
        spend(at(2025, 6, 1), "4000"),
        spend(at(2025, 9, 1), "3000"),
    ]
    status = RETAIL.evaluate(posts, as_of=at(2025, 12, 1), timezone=SH)
    assert status.tier == "vip"
    assert [(c.time.date(), c.old, c.new, c.reason) for c in status.history] == [
        (dt.date(2025, 3, 1), None, "member", "start"),
        (dt.date(2025, 3, 1), "member", "silver", "upgrade"),
        (dt.date(2025, 6, 1), "silver", "gold", "upgrade"),
        (dt.date(2025, 9, 1), "gold", "vip", "upgrade"),
    ]
    assert status.since == at(2025, 9, 1)
    # Reached in 2025: held through 2026.
    assert status.valid_until == dt.datetime(2027, 1, 1, tzinfo=SH)
    assert status.counters == Counters(Decimal("10000"), 10000, 3)
    assert (status.next_tier, status.missing) == (None, {})


def test_thresholds_are_inclusive_and_upgrade_at_the_crossing_posting() -> None:
    posts = [spend(at(2025, 3, 1), "1999.99"), spend(at(2025, 3, 2), "0.01")]
    assert tier_on(RETAIL, posts, at(2025, 3, 1, 23)) == "member"
    assert tier_on(RETAIL, posts, at(2025, 3, 2)) == "silver"


def test_next_tier_and_what_is_missing() -> None:
    status = RETAIL.evaluate([spend(at(2025, 3, 1), "3200")], as_of=at(2025, 4, 1), timezone=SH)
    assert (status.tier, status.next_tier, status.missing) == (
        "silver",
        "gold",
        {"spend": Decimal("1800")},
    )


def test_combine_all_needs_every_threshold() -> None:
    ladder = TierLadder(
        tiers=[Tier(name="m"), Tier(name="g", spend="5000", orders=10)], combine="all"
    )
    big = [spend(at(2025, 3, 1), "9000")]
    assert tier_on(ladder, big, at(2025, 4, 1)) == "m"
    many = big + [spend(at(2025, 3, d), "1") for d in range(2, 11)]
    assert tier_on(ladder, many, at(2025, 4, 1)) == "g"
    any_ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", spend="5000", orders=10)])
    assert tier_on(any_ladder, big, at(2025, 4, 1)) == "g"


def test_calendar_window_is_local_to_the_program_zone() -> None:
    # 16:30 UTC on 31 Dec 2025 is 00:30 on 1 Jan 2026 in Shanghai: a 2026 posting.
    late = QualifyingPosting(dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC), spend="1500")
    early = spend(at(2025, 6, 1), "1000")
    status = RETAIL.evaluate([early, late], as_of=at(2026, 1, 2), timezone=SH)
    assert status.tier == "member"
    assert status.counters.spend == Decimal("1500")
    assert RETAIL.evaluate([early, late], as_of=at(2026, 1, 2), timezone="UTC").tier == "silver"


# --------------------------------------------------------------------------- downgrades


def test_airline_soft_landing_one_level_per_qualification_year() -> None:
    posts = [
        xp(at(2024, 3, 1), 120),  # silver
        xp(at(2024, 9, 1), 200),  # 320: platinum, held through 2025
        xp(at(2025, 5, 1), 190),  # gold-level year: not enough to keep platinum
    ]
    history = AIRLINE.evaluate(
        posts, as_of=at(2029, 1, 1), timezone=SH, enrolled_at=at(2024, 1, 10)
    ).history
    assert [(c.time.date(), c.new, c.reason) for c in history] == [
        (dt.date(2024, 1, 10), "explorer", "start"),
        (dt.date(2024, 3, 1), "silver", "upgrade"),
        (dt.date(2024, 9, 1), "platinum", "upgrade"),
        (dt.date(2026, 1, 1), "gold", "downgrade"),
        (dt.date(2027, 1, 1), "silver", "downgrade"),
        (dt.date(2028, 1, 1), "explorer", "downgrade"),
    ]
    assert history[3].time == dt.datetime(2026, 1, 1, tzinfo=SH)


def test_downgrade_never_before_validity_end_even_after_a_refund() -> None:
    posts = [spend(at(2025, 3, 1), "10000"), spend(at(2025, 3, 20), "-6000", orders=-1)]
    status = RETAIL.evaluate(posts, as_of=at(2026, 12, 31), timezone=SH)
    assert status.tier == "vip"
    assert RETAIL.evaluate(posts, as_of=at(2025, 3, 21), timezone=SH).counters.spend == Decimal(
        "4000"
    )
    # At the end of 2026 the 2026 counters (nothing) decide: reevaluate drops to member.
    assert tier_on(RETAIL, posts, dt.datetime(2027, 1, 1, tzinfo=SH)) == "member"


def test_refund_before_the_crossing_prevents_the_upgrade() -> None:
    posts = [
        spend(at(2025, 3, 1), "6000"),
        spend(at(2025, 3, 5), "-3000", 0),
        spend(at(2025, 4, 1), "4000"),
    ]
    assert tier_on(RETAIL, posts, at(2025, 5, 1)) == "gold"


def test_requalifying_extends_the_validity() -> None:
    posts = [spend(at(2024, 5, 1), "6000"), spend(at(2025, 7, 1), "5000")]
    status = RETAIL.evaluate(posts, as_of=at(2026, 6, 1), timezone=SH)
    assert status.tier == "gold"
    assert status.valid_until == dt.datetime(2027, 1, 1, tzinfo=SH)
    assert status.since == at(2024, 5, 1)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("reevaluate", "silver"), ("one_down", "gold"), ("to_base", "member")],
)
def test_downgrade_policies(policy: str, expected: str) -> None:
    ladder = TierLadder(tiers=RETAIL.tiers, downgrade=policy)
    posts = [spend(at(2024, 5, 1), "12000"), spend(at(2025, 5, 1), "2500")]
    assert tier_on(ladder, posts, dt.datetime(2025, 12, 31, 23, tzinfo=SH)) == "vip"
    assert tier_on(ladder, posts, dt.datetime(2026, 1, 1, tzinfo=SH)) == expected


def test_grace_period_delays_the_drop_and_requalifying_cancels_it() -> None:
    ladder = TierLadder(tiers=RETAIL.tiers, grace_days=30)
    posts = [spend(at(2024, 5, 1), "6000")]
    end = dt.datetime(2026, 1, 1, tzinfo=SH)
    status = ladder.evaluate(posts, as_of=end, timezone=SH)
    assert status.tier == "gold"
    assert status.pending_downgrade == (end + dt.timedelta(days=30), "member")
    assert tier_on(ladder, posts, end + dt.timedelta(days=30)) == "member"
    saved = [*posts, spend(at(2026, 1, 20), "5000")]
    status = ladder.evaluate(saved, as_of=at(2026, 3, 1), timezone=SH)
    assert (status.tier, status.pending_downgrade) == ("gold", None)
    assert status.valid_until == dt.datetime(2028, 1, 1, tzinfo=SH)


def test_grace_period_lands_on_what_the_new_window_supports() -> None:
    ladder = TierLadder(tiers=RETAIL.tiers, grace_days=30)
    posts = [spend(at(2024, 5, 1), "6000"), spend(at(2026, 1, 10), "2500")]
    history = ladder.evaluate(posts, as_of=at(2026, 3, 1), timezone=SH).history
    assert (history[-1].new, history[-1].time) == ("silver", dt.datetime(2026, 1, 31, tzinfo=SH))


def test_validity_windows_two() -> None:
    ladder = TierLadder(tiers=RETAIL.tiers, validity_windows=2)
    posts = [spend(at(2024, 5, 1), "6000")]
    assert tier_on(ladder, posts, dt.datetime(2026, 12, 31, tzinfo=SH)) == "gold"
    assert tier_on(ladder, posts, dt.datetime(2027, 1, 1, tzinfo=SH)) == "member"


# --------------------------------------------------------------------------- windows


def test_rolling_window() -> None:
    ladder = TierLadder(tiers=RETAIL.tiers, window="rolling", window_months=12)
    posts = [spend(at(2025, 1, 10), "3000"), spend(at(2025, 11, 5), "3000")]
    # Both inside twelve months on 5 Nov 2025: gold, valid twelve months.
    status = ladder.evaluate(posts, as_of=at(2025, 11, 6), timezone=SH)
    assert (status.tier, status.valid_until) == ("gold", at(2026, 11, 5))
    # On 5 Nov 2026 the rolling counters hold nothing (the 2025-11-05 posting is exactly
    # twelve months old and leaves the window): reevaluate drops to member.
    assert tier_on(ladder, posts, at(2026, 11, 5, 11)) == "gold"
    assert tier_on(ladder, posts, at(2026, 11, 5)) == "member"


def test_rolling_window_forgets_old_activity_for_upgrades() -> None:
    ladder = TierLadder(tiers=RETAIL.tiers, window="rolling", window_months=6)
    posts = [spend(at(2025, 1, 10), "3000"), spend(at(2025, 8, 1), "3000")]
    status = ladder.evaluate(posts, as_of=at(2025, 8, 2), timezone=SH)
    assert (status.tier, status.counters.spend) == ("silver", Decimal("3000"))


def test_anniversary_window_runs_from_enrolment() -> None:
    ladder = TierLadder(tiers=RETAIL.tiers, window="anniversary")
    enrolled = at(2024, 6, 15, 9)
    posts = [
        spend(at(2024, 7, 1), "1500"),
        spend(at(2025, 6, 14), "1000"),
        spend(at(2025, 6, 15), "1000"),
    ]
    status = ladder.evaluate(posts, as_of=at(2025, 6, 14, 20), timezone=SH, enrolled_at=enrolled)
    assert (status.tier, status.window_end) == ("silver", dt.datetime(2025, 6, 15, tzinfo=SH))
    status = ladder.evaluate(posts, as_of=at(2025, 6, 16), timezone=SH, enrolled_at=enrolled)
    assert status.counters.spend == Decimal("1000")
    assert status.valid_until == dt.datetime(2026, 6, 15, tzinfo=SH)


def test_anniversary_of_29_february_clamps() -> None:
    ladder = TierLadder(tiers=[Tier(name="m")], window="anniversary")
    status = ladder.evaluate([], as_of=at(2025, 3, 1), timezone=SH, enrolled_at=at(2024, 2, 29))
    assert status.window_start == dt.datetime(2025, 2, 28, tzinfo=SH)


# --------------------------------------------------------------------------- lifetime


def test_lifetime_tier_is_a_floor() -> None:
    ladder = TierLadder(
        tiers=AIRLINE.tiers, downgrade="one_down", lifetime=[Tier(name="gold", points=1000)]
    )
    posts = [xp(at(2020, 3, 1), 400), xp(at(2021, 3, 1), 400), xp(at(2022, 3, 1), 300)]
    status = ladder.evaluate(posts, as_of=at(2030, 1, 1), timezone=SH)
    assert (status.tier, status.lifetime_floor, status.valid_until) == ("gold", "gold", None)
    assert [c.new for c in status.history] == ["explorer", "platinum", "gold"]


def test_lifetime_can_upgrade_by_itself() -> None:
    ladder = TierLadder(tiers=AIRLINE.tiers, lifetime=[Tier(name="silver", points=150)])
    posts = [xp(at(2020, 3, 1), 90), xp(at(2021, 3, 1), 90)]
    history = ladder.evaluate(posts, as_of=at(2022, 1, 1), timezone=SH).history
    assert (history[-1].new, history[-1].reason) == ("silver", "lifetime")


# --------------------------------------------------------------------------- tracker


def test_tracker_agrees_with_evaluate_and_copies_are_independent() -> None:
    posts = [xp(at(2024, 3, 1), 120), xp(at(2024, 9, 1), 200), xp(at(2025, 5, 1), 190)]
    tracker = AIRLINE.tracker(at(2024, 1, 1), timezone=SH)
    for p in posts:
        tracker.post(p)
    frozen = tracker.copy()
    tracker.advance(at(2027, 6, 1))
    assert tracker.status() == AIRLINE.evaluate(
        posts, as_of=at(2027, 6, 1), timezone=SH, enrolled_at=at(2024, 1, 1)
    )
    assert (frozen.tier, tracker.tier) == ("platinum", "silver")
    with pytest.raises(InvalidInputError, match="to"):
        tracker.advance(at(2027, 1, 1))


def test_a_copy_sets_every_slot_and_owns_the_running_state() -> None:
    """``copy`` names the tracker's slots one by one (the compiled build has no
    ``__slots__`` to loop over): a slot added to the class and not to ``copy`` fails here."""
    from collections import deque

    from crmkit.loyalty._tracker import TierTracker

    slots = getattr(TierTracker, "__slots__", None)
    if not isinstance(slots, tuple):
        pytest.skip("the compiled tracker has no __slots__ (the pure-Python run checks it)")
    tracker = AIRLINE.tracker(at(2024, 1, 1), timezone=SH)
    tracker.post(xp(at(2024, 3, 1), 120))
    copy = tracker.copy()
    for name in slots:  # an unset slot raises AttributeError
        assert getattr(copy, name) == getattr(tracker, name), name
    # The member's running state is the copy's own; the ladder's tables are shared.
    for name in ("_counts", "_lifetime", "_history", "_recent", "_ups"):
        assert getattr(copy, name) is not getattr(tracker, name), name
    assert isinstance(copy._recent, deque)


def test_tier_at_reads_the_history() -> None:
    posts = [xp(at(2024, 3, 1), 120), xp(at(2024, 9, 1), 200)]
    status = AIRLINE.evaluate(posts, as_of=at(2026, 6, 1), timezone=SH)
    assert status.tier_at(at(2024, 5, 1)) == "silver"
    assert status.tier_at(at(2025, 5, 1)) == "platinum"
    assert status.tier_at(at(2026, 5, 1)) == "gold"


def test_evaluate_sorts_postings_and_ignores_later_ones() -> None:
    posts = [
        spend(at(2025, 6, 1), "4000"),
        spend(at(2025, 3, 1), "3000"),
        spend(at(2026, 3, 1), "9000"),
    ]
    status = RETAIL.evaluate(posts, as_of=at(2025, 7, 1), timezone=SH)
    assert (status.tier, status.since) == ("gold", at(2025, 6, 1))


def test_evaluate_errors() -> None:
    anniversary = TierLadder(tiers=RETAIL.tiers, window="anniversary")
    with pytest.raises(InvalidInputError, match="enrolled_at"):
        anniversary.evaluate([], as_of=at(2025, 1, 1), timezone=SH)
    with pytest.raises(InvalidInputError, match="postings"):
        RETAIL.evaluate(
            [spend(at(2024, 1, 1), "1")],
            as_of=at(2025, 1, 1),
            timezone=SH,
            enrolled_at=at(2024, 6, 1),
        )
    with pytest.raises(InvalidInputError, match="postings"):
        RETAIL.evaluate([{"spend": 1}], as_of=at(2025, 1, 1), timezone=SH)  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="spend"):
        QualifyingPosting(at(2025, 1, 1), spend=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="points"):
        QualifyingPosting(at(2025, 1, 1), points=Decimal(1))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="tier"):
        RETAIL.rank("diamond")


def test_qualify_and_assess() -> None:
    assert RETAIL.qualify(spend="9999.99") == "gold"
    assert RETAIL.qualify(spend=10000) == "vip"
    assert AIRLINE.assess("platinum", Counters()) == "gold"
    assert AIRLINE.assess("silver", Counters(points=400)) == "platinum"


# --------------------------------------------------------------------------- batch


def test_assign_tiers_by_spend_with_missing_amounts() -> None:
    frame = pd.DataFrame(
        {
            "member_id": ["a", "b", "c", "d"],
            "spend": [Decimal("150"), Decimal("2000"), Decimal("9999.99"), "25000"],
        }
    )
    out = assign_tiers(frame, RETAIL)
    assert list(out["tier"]) == ["member", "silver", "gold", "vip"]
    assert out["tier"].cat.ordered
    assert list(out["tier"].cat.categories) == ["member", "silver", "gold", "vip"]
    assert list(out["next_tier"].astype(object).fillna("-")) == ["silver", "gold", "vip", "-"]
    assert list(out["missing_spend"]) == [
        Decimal("1850"),
        Decimal("3000"),
        Decimal("0.01"),
        Decimal("0"),
    ]
    assert out.index.name == "member_id"


def test_assign_tiers_applies_the_downgrade_policy_with_current() -> None:
    frame = pd.DataFrame(
        {"member_id": [1, 2, 3], "points": [0, 200, 310], "now": ["platinum", "silver", "gold"]}
    )
    out = assign_tiers(frame, AIRLINE, current="now")
    assert list(out["tier"]) == ["gold", "gold", "platinum"]
    base = TierLadder(tiers=AIRLINE.tiers, downgrade="to_base")
    assert list(assign_tiers(frame, base, current="now")["tier"]) == [
        "explorer",
        "gold",
        "platinum",
    ]


def test_assign_tiers_does_not_mutate_and_checks_input() -> None:
    frame = pd.DataFrame({"member_id": [1, 2], "spend": [100, 3000]})
    copy = frame.copy()
    assert list(assign_tiers(frame, RETAIL)["tier"]) == ["member", "silver"]
    pd.testing.assert_frame_equal(frame, copy)
    with pytest.raises(InvalidInputError, match="never floats"):
        assign_tiers(pd.DataFrame({"member_id": [1], "spend": [10.5]}), RETAIL)
    with pytest.raises(SchemaError, match="spend"):
        assign_tiers(pd.DataFrame({"member_id": [1]}), RETAIL)
    with pytest.raises(InvalidInputError, match="unique"):
        assign_tiers(pd.DataFrame({"member_id": [1, 1], "spend": [1, 2]}), RETAIL)
    with pytest.raises(InvalidInputError, match="unknown"):
        assign_tiers(
            pd.DataFrame({"member_id": [1], "spend": [1], "c": ["diamond"]}), RETAIL, current="c"
        )
    with pytest.raises(InvalidInputError, match="integers"):
        assign_tiers(pd.DataFrame({"member_id": [1], "points": ["7"]}), AIRLINE)


# --------------------------------------------------------------------------- config


def test_ladder_round_trips_through_json() -> None:
    ladder = TierLadder(
        tiers=[
            Tier(name="m"),
            Tier(name="s", spend="1000.50", orders=3),
            Tier(name="g", spend="5000", orders=10),
        ],
        combine="all",
        window="rolling",
        window_months=6,
        validity_windows=2,
        downgrade="one_down",
        grace_days=14,
        lifetime=[Tier(name="g", spend="100000", orders=10)],
    )
    again = TierLadder.from_dict(json.loads(json.dumps(ladder.to_dict())))
    assert again == ladder


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tiers": []}, "tiers"),
        ({"tiers": [Tier(name="m", spend="1")]}, "tiers"),
        (
            {"tiers": [Tier(name="m"), Tier(name="g", spend="5"), Tier(name="s", spend="2")]},
            "tiers",
        ),
        (
            {"tiers": [Tier(name="m"), Tier(name="g", spend="5"), Tier(name="p", spend="5")]},
            "tiers",
        ),
        ({"tiers": [Tier(name="m"), Tier(name="g", spend="5"), Tier(name="p", orders=9)]}, "tiers"),
        ({"tiers": [Tier(name="m"), Tier(name="m", spend="5")]}, "tiers"),
        ({"tiers": [Tier(name="m"), Tier(name="g")]}, "tiers"),
        ({"tiers": [Tier(name="m")], "window": "fiscal"}, "window"),
        ({"tiers": [Tier(name="m")], "downgrade": "two_down"}, "downgrade"),
        ({"tiers": [Tier(name="m")], "combine": "some"}, "combine"),
        ({"tiers": [Tier(name="m")], "grace_days": -1}, "grace_days"),
        ({"tiers": [Tier(name="m")], "grace_days": 400}, "grace_days"),
        ({"tiers": [Tier(name="m")], "validity_windows": 0}, "validity_windows"),
        ({"tiers": [Tier(name="m")], "window_months": 0}, "window_months"),
        (
            {
                "tiers": [Tier(name="m"), Tier(name="g", spend="5")],
                "lifetime": [Tier(name="x", spend="9")],
            },
            "lifetime",
        ),
        (
            {"tiers": [Tier(name="m"), Tier(name="g", spend="5")], "lifetime": [Tier(name="g")]},
            "lifetime",
        ),
    ],
)
def test_bad_ladders_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        TierLadder(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Tier(name="g", spend="-5"), "spend"),
        (lambda: Tier(name="g", spend=5.0), "spend"),
        (lambda: Tier(name="g", points=-1), "points"),
        (lambda: Tier(name="", orders=1), "name"),
        (lambda: Tier.from_dict({"name": "g", "nights": 5}), "nights"),
        (lambda: TierLadder.from_dict({"tiers": [], "downgrades": "x"}), "downgrades"),
    ],
)
def test_bad_tiers_name_the_field(build: object, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


def test_to_base_is_the_one_policy_where_more_activity_can_end_lower() -> None:
    """Documented trade-off (see the explanation page): with ``to_base`` a member who reached
    a higher tier earlier can fall below a member who only ever reached a lower one."""
    ladder = TierLadder(tiers=RETAIL.tiers, downgrade="to_base")
    less = [spend(at(2025, 3, 1), "2000")]
    more = [*less, spend(at(2024, 3, 1), "5000")]
    when = at(2026, 2, 1)
    assert (tier_on(ladder, less, when), tier_on(ladder, more, when)) == ("silver", "member")
    reevaluate = TierLadder(tiers=RETAIL.tiers)
    assert (tier_on(reevaluate, less, when), tier_on(reevaluate, more, when)) == (
        "silver",
        "silver",
    )


def test_assign_tiers_integer_spend_against_fractional_thresholds() -> None:
    ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="s", spend="1999.50")])
    frame = pd.DataFrame({"member_id": [1, 2], "spend": [1999, 2000]})
    out = assign_tiers(frame, ladder)
    assert list(out["tier"]) == ["m", "s"]
    assert list(out["missing_spend"]) == [Decimal("0.50"), Decimal("0")]
    whole = assign_tiers(frame, RETAIL)
    assert whole["missing_spend"].dtype == "int64"
    assert list(whole["missing_spend"]) == [1, 3000]


def test_more_bad_tier_inputs() -> None:
    with pytest.raises(InvalidInputError, match="time"):
        QualifyingPosting("2025-01-01", spend="1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Tier items"):
        TierLadder(tiers=[Tier(name="m"), "gold"])  # type: ignore[list-item]
    tracker = RETAIL.tracker(at(2025, 1, 1), timezone=SH)
    with pytest.raises(InvalidInputError, match="posting"):
        tracker.post({"spend": 5})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="DataFrame"):
        assign_tiers([{"member_id": 1, "spend": 5}], RETAIL)  # type: ignore[arg-type]


# ------------------------------------------------------------ event times outside the years

NY = zoneinfo.ZoneInfo("America/New_York")
GRANTED = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)])
SLIDING = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)], window="rolling")

#: Event times outside loyalty's years (1000 up to, not including, 9000), as typed: some
#: leave Python's calendar once read in the tracker's zone, some in the windows after.
OUTSIDE = {
    "year_9999_utc": dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
    "year_9999_naive": dt.datetime(9999, 12, 31, 23, 59),
    "year_9000_first_instant": dt.datetime(9000, 1, 1, tzinfo=dt.UTC),
    "year_1_utc": dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    "year_1_naive": dt.datetime(1, 1, 1),
    "year_999_naive": dt.datetime(999, 12, 31),
}


def _tracker(ladder: TierLadder, zone: str) -> object:
    return ladder.tracker(dt.datetime(2025, 1, 1), timezone=zone)


#: Each public entry point that takes an event time, with the field it names.
EVENT_ENTRY_POINTS = {
    "TierLadder.tracker": (
        "start",
        lambda ladder, zone, when: ladder.tracker(when, timezone=zone),
    ),
    "TierTracker.advance": ("to", lambda ladder, zone, when: _tracker(ladder, zone).advance(when)),
    "TierTracker.post": (
        "posting.time",
        lambda ladder, zone, when: _tracker(ladder, zone).post(QualifyingPosting(when, orders=1)),
    ),
    "TierTracker.post(reverses)": (
        "posting.reverses",
        lambda ladder, zone, when: _tracker(ladder, zone).post(
            QualifyingPosting(dt.datetime(2025, 2, 1), orders=-1, reverses=when)
        ),
    ),
    "TierTracker.grant(time)": (
        "time",
        lambda ladder, zone, when: _tracker(ladder, zone).grant(
            when, "g", dt.datetime(2025, 6, 1), reason="status_match"
        ),
    ),
    "TierTracker.grant(until)": (
        "until",
        lambda ladder, zone, when: _tracker(ladder, zone).grant(
            dt.datetime(2025, 2, 1), "g", when, reason="status_match"
        ),
    ),
    # Regression: a year-1 posting read in New York raised OverflowError from evaluate.
    "TierLadder.evaluate": (
        "postings",
        lambda ladder, zone, when: ladder.evaluate(
            [QualifyingPosting(when, orders=1)], as_of=dt.datetime(2025, 6, 1), timezone=zone
        ),
    ),
    "TierLadder.evaluate(enrolled_at)": (
        "enrolled_at",
        lambda ladder, zone, when: ladder.evaluate(
            [], as_of=dt.datetime(2025, 6, 1), timezone=zone, enrolled_at=when
        ),
    ),
}


@pytest.mark.parametrize("ladder", [GRANTED, SLIDING], ids=["calendar_year", "rolling"])
@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
@pytest.mark.parametrize("value", list(OUTSIDE))
@pytest.mark.parametrize("entry", list(EVENT_ENTRY_POINTS))
def test_an_event_time_outside_loyaltys_years_is_invalid_input_naming_the_field(
    entry: str, value: str, zone: str, ladder: TierLadder
) -> None:
    """Event times are data: InvalidInputError naming the field, never a raw Python error.

    Regression: ``ValueError`` ("year 10000 is out of range", the next window) or
    ``OverflowError`` ("date value out of range", read in the zone) from
    ``TierTracker.advance``/``post``/``grant`` and ``TierLadder.tracker``; a year-1 time
    was refused as "before the tracker's time" in one zone and crashed in another.
    """
    field, call = EVENT_ENTRY_POINTS[entry]
    with pytest.raises(InvalidInputError) as info:
        call(ladder, zone, OUTSIDE[value])
    err = info.value
    assert err.field == field
    owner = entry.partition("(")[0] + "()"
    assert str(err).startswith(f"{owner}: '{field}' must be instants from year 1000 up to")


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_event_times_just_inside_loyaltys_years_are_folded(zone: str) -> None:
    """The first and last instants of the range are taken (nothing computed overflows)."""
    first = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
    last = dt.datetime(8999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
    for ladder in (GRANTED, SLIDING):
        tracker = ladder.tracker(first, timezone=zone)
        tracker.post(QualifyingPosting(first, orders=1))
        tracker.grant(first, "g", last, reason="status_match")
        tracker.advance(last - dt.timedelta(days=1))
        assert tracker.tier == "g"  # the grant holds to its end
        tracker.advance(last)
        assert tracker.tier == "m"
        late = ladder.tracker(last, timezone=zone)
        late.post(QualifyingPosting(last, orders=1))
        assert late.tier == "g"


def test_the_replay_path_gains_no_range_check_per_posting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay's postings are range-checked by ``Program.replay``: the tracker's fold
    (``_post_many``, ``_post``) reads none of them again; the public entry points do."""
    from crmkit.loyalty import _tracker

    calls: list[str] = []
    real = _tracker._event_time

    def counting(value: object, tz: dt.tzinfo, owner: str, field: str) -> dt.datetime:
        calls.append(field)
        return real(value, tz, owner, field)

    monkeypatch.setattr(_tracker, "_event_time", counting)
    tracker = RETAIL.tracker(at(2025, 1, 1), timezone=SH)
    assert calls == ["start"]
    utc = [at(2025, 2, d).astimezone(dt.UTC) for d in range(1, 21)]
    tracker._post_many([(t, Decimal(600), 600, 1, (), None) for t in utc])
    tracker._post(at(2025, 2, 22).astimezone(dt.UTC), Decimal(-50), -50, 0, (), utc[0])
    assert calls == ["start"]
    assert tracker.tier == "vip"
    tracker.post(spend(at(2025, 3, 1), "10"))
    tracker.advance(at(2025, 3, 2))
    assert calls == ["start", "posting.time", "to"]


def test_a_threshold_every_tier_shares_is_allowed_with_combine_all() -> None:
    """Qantas: every status needs 4 flights (with 300, 700, 1,400 status credits). Under
    ``combine="all"`` the shared minimum may stay while the credits rise (refused before:
    "strictly increasing"); under ``"any"`` 4 flights alone would reach every tier, so it
    is refused, and so are two tiers with the same thresholds."""

    def ladder(combine: str, flights: tuple[int, int] = (4, 4)) -> TierLadder:
        return TierLadder(
            tiers=[
                Tier(name="bronze"),
                Tier(name="silver", counts={"sc": 300, "flights": flights[0]}),
                Tier(name="gold", counts={"sc": 700, "flights": flights[1]}),
            ],
            combine=combine,
        )

    qantas = ladder("all")
    assert TierLadder.from_dict(json.loads(json.dumps(qantas.to_dict()))) == qantas
    posting = [QualifyingPosting(dt.datetime(2025, 3, 1), counts={"sc": 720, "flights": 4})]
    assert qantas.evaluate(posting, as_of=dt.date(2025, 3, 2), timezone=SH).tier == "gold"
    three = [QualifyingPosting(dt.datetime(2025, 3, 1), counts={"sc": 720, "flights": 3})]
    assert qantas.evaluate(three, as_of=dt.date(2025, 3, 2), timezone=SH).tier == "bronze"
    with pytest.raises(ConfigError, match="flights 4 for 'gold' after 4 for 'silver'"):
        ladder("any")
    with pytest.raises(ConfigError, match="flights 3 for 'gold' after 4 for 'silver'"):
        ladder("all", (4, 3))
    with pytest.raises(ConfigError, match="the same thresholds for 'gold' as for 'silver'"):
        TierLadder(
            tiers=[Tier(name="bronze"), Tier(name="silver", spend="100"),
                   Tier(name="gold", spend="100")],
            combine="all",
        )  # fmt: skip
