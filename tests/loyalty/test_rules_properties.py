"""Property tests of the earning rules, tiers and privileges (hypothesis).

Line points add up to order points, floor never over-awards, rule order never matters,
config round-trips through JSON, more qualifying activity never gives a lower tier, the
incremental tracker equals a full evaluation, and the batch ``assign_tiers`` equals the
scalar ``qualify``/``assess``; no float appears anywhere.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmkit.loyalty import (
    Counters,
    EarningResult,
    EarningScheme,
    MemberContext,
    Order,
    Privilege,
    PrivilegeSet,
    QualifyingPosting,
    TierLadder,
    assign_tiers,
)
from tests.loyalty._ladders import _steps
from tests.strategies import (
    earning_schemes,
    loyalty_orders,
    member_contexts,
    qualifying_postings,
    tier_ladders,
)

TZ = "Asia/Shanghai"
ENROLLED = dt.datetime(2024, 1, 1)


def no_float(value: Any) -> bool:
    """True when no float hides anywhere inside ``value`` (attrs objects, containers)."""
    if isinstance(value, float):
        return False
    if attrs.has(type(value)):
        return all(no_float(getattr(value, f.name)) for f in attrs.fields(type(value)))
    if isinstance(value, dict):
        return all(no_float(k) and no_float(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(no_float(v) for v in value)
    return True


def _reject_float(text: str) -> float:
    raise AssertionError(f"float {text} in JSON")


# --------------------------------------------------------------------------- earning


@given(earning_schemes(), loyalty_orders(), member_contexts())
def test_line_points_add_up_and_attribution_adds_up(
    scheme: EarningScheme, order: Order, member: MemberContext
) -> None:
    result = scheme.earn(order, member, timezone=TZ)
    assert sum(line.points for line in result.lines) == result.points
    assert sum(result.by_rule().values()) == result.points
    assert all(line.points >= 0 for line in result.lines)
    assert result.capped >= 0
    assert [line.line_id for line in result.lines] == [line.line_id for line in order.lines]
    assert no_float(result)


@given(earning_schemes(), loyalty_orders(), member_contexts())
def test_floor_never_over_awards(
    scheme: EarningScheme, order: Order, member: MemberContext
) -> None:
    floor = attrs.evolve(scheme, rounding_mode="floor")
    result = floor.earn(order, member, timezone=TZ)
    exact = sum((line.exact for line in result.lines), Decimal(0))
    assert result.points <= exact
    if floor.rounding_scope == "per_line":
        assert all(line.points <= line.exact for line in result.lines)
    # And floor never gives more than any other mode.
    for mode in ("half_up", "half_even", "ceiling"):
        assert (
            result.points
            <= attrs.evolve(scheme, rounding_mode=mode).earn(order, member, timezone=TZ).points
        )


@given(earning_schemes(), loyalty_orders(), member_contexts(), st.randoms(use_true_random=False))
def test_rule_order_never_matters(
    scheme: EarningScheme, order: Order, member: MemberContext, rnd: Any
) -> None:
    rules = list(scheme.rules)
    rnd.shuffle(rules)
    shuffled = attrs.evolve(scheme, rules=rules)
    assert shuffled == scheme
    assert shuffled.earn(order, member, timezone=TZ) == scheme.earn(order, member, timezone=TZ)


@given(earning_schemes(), loyalty_orders(), member_contexts())
def test_caps_hold(scheme: EarningScheme, order: Order, member: MemberContext) -> None:
    result: EarningResult = scheme.earn(order, member, timezone=TZ)
    scale = 10**scheme.point_decimals  # config speaks in points, results in point units
    if scheme.max_points_per_order is not None:
        assert result.points <= scheme.max_points_per_order * scale
    for cap in scheme.caps:
        assert result.points <= max(0, cap.max_points * scale - member.points_in(cap.freq))


@given(earning_schemes())
def test_scheme_round_trips_through_json(scheme: EarningScheme) -> None:
    text = json.dumps(scheme.to_dict())
    again = EarningScheme.from_dict(json.loads(text, parse_float=_reject_float))
    assert again == scheme
    assert json.dumps(again.to_dict()) == text


# --------------------------------------------------------------------------- tiers


@given(tier_ladders())
def test_ladder_round_trips_through_json(ladder: TierLadder) -> None:
    text = json.dumps(ladder.to_dict())
    assert TierLadder.from_dict(json.loads(text, parse_float=_reject_float)) == ladder


@given(
    # Windows the calendar or the enrolment fixes (a since_change period moves with the
    # member's own upgrades: see the test below).
    tier_ladders(
        downgrades=("reevaluate", "one_down"), windows=("calendar_year", "rolling", "anniversary")
    ),
    qualifying_postings(),
    qualifying_postings(max_size=3),
    st.lists(st.integers(0, 4 * 365), min_size=1, max_size=4),
)
def test_more_qualifying_activity_never_gives_a_lower_tier(
    ladder: TierLadder,
    posts: list[QualifyingPosting],
    extra: list[QualifyingPosting],
    days: list[int],
) -> None:
    """With windows fixed by the calendar or the enrolment, more activity never gives a
    lower tier on any day."""
    for day in days:
        as_of = ENROLLED + dt.timedelta(days=day)
        less = ladder.evaluate(posts, as_of=as_of, timezone=TZ, enrolled_at=ENROLLED)
        more = ladder.evaluate([*posts, *extra], as_of=as_of, timezone=TZ, enrolled_at=ENROLLED)
        assert ladder.rank(more.tier) >= ladder.rank(less.tier)


def test_since_change_an_earlier_upgrade_ends_its_status_earlier() -> None:
    """``window="since_change"`` (a period restarting at each level change, as Flying Blue
    words it: 12 months "from the date" a new status is reached) is not monotone in
    activity, by design: more activity can upgrade sooner, so the status' periods start
    and end sooner. Found by a randomized run of the property above. Gold at 3 orders,
    3-month periods, status valid for two periods (6 months):

    - three orders at 00:00, 00:00 and 00:00:01 on 1 January 2024: gold from 00:00:01,
      valid to 1 July 00:00:01, so still gold at 1 July 00:00;
    - one order more at 00:00: gold from 00:00, valid to 1 July 00:00; reassessed then on
      the period since the change (one order): back to the base tier.
    """
    from crmkit.loyalty import Tier

    ladder = TierLadder(
        tiers=[Tier(name="base"), Tier(name="gold", orders=3)],
        window="since_change",
        window_months=3,
        validity_windows=2,
    )
    start = dt.datetime(2024, 1, 1)
    posts = [
        QualifyingPosting(start, orders=1),
        QualifyingPosting(start, orders=1),
        QualifyingPosting(start + dt.timedelta(seconds=1), orders=1),
    ]
    as_of = dt.datetime(2024, 7, 1)
    less = ladder.evaluate(posts, as_of=as_of, timezone=TZ, enrolled_at=ENROLLED)
    more = ladder.evaluate(
        [*posts, QualifyingPosting(start, orders=1)], as_of=as_of, timezone=TZ, enrolled_at=ENROLLED
    )
    assert (less.tier, less.since.replace(tzinfo=None)) == ("gold", start + dt.timedelta(seconds=1))
    assert (more.tier, [c.new for c in more.history]) == ("base", ["base", "gold", "base"])


@given(
    tier_ladders(), qualifying_postings(refunds=True), st.lists(st.integers(0, 4 * 365), max_size=6)
)
def test_tracker_step_by_step_equals_evaluate(
    ladder: TierLadder, posts: list[QualifyingPosting], stops: list[int]
) -> None:
    as_of = dt.datetime(2027, 6, 1)
    tracker = ladder.tracker(ENROLLED, timezone=TZ)
    for when, posting in _steps(posts, stops, ENROLLED, as_of):
        if posting is None:
            tracker.advance(when)
        else:
            tracker.post(posting)
    status = tracker.status(as_of)
    assert status == ladder.evaluate(posts, as_of=as_of, timezone=TZ, enrolled_at=ENROLLED)
    assert no_float(status)
    # Tiers change only at postings (upgrades) or at validity ends / grace ends (downgrades).
    for change in status.history[1:]:
        if change.reason in ("upgrade", "lifetime"):
            assert ladder.rank(change.new) > ladder.rank(change.old or ladder.names[0])
        elif change.reason == "refund":  # rule 8: only at a refund, only with refunds="net"
            assert ladder.refunds == "net"
            assert ladder.rank(change.new) < ladder.rank(change.old or ladder.names[0])
            assert any(p.time == change.time.replace(tzinfo=None) and p.orders < 0 for p in posts)
        else:
            assert ladder.rank(change.new) < ladder.rank(change.old or ladder.names[0])
            if ladder.downgrade == "one_down":
                assert ladder.rank(change.new) == ladder.rank(change.old or "") - 1


@given(
    tier_ladders(),
    st.lists(
        st.tuples(st.integers(0, 6000), st.integers(0, 15), st.integers(0, 3)),
        min_size=1,
        max_size=30,
    ),
)
def test_assign_tiers_equals_per_member_evaluation(
    ladder: TierLadder, rows: list[tuple[int, int, int]]
) -> None:
    frame = pd.DataFrame(
        {
            "member_id": range(len(rows)),
            "spend": [Decimal(s).scaleb(-1) for s, _, _ in rows],
            "orders": [o for _, o, _ in rows],
            "points": [s for s, _, _ in rows],
            "nights": [2 * o for _, o, _ in rows],
            "current": [ladder.names[min(c, len(ladder.names) - 1)] for _, _, c in rows],
        }
    )
    plain = assign_tiers(frame, ladder)
    assessed = assign_tiers(frame, ladder, current="current")
    for i, (s, o, _) in enumerate(rows):
        counters = Counters(Decimal(s).scaleb(-1), s, o, {"nights": 2 * o})
        assert plain["tier"].iloc[i] == ladder.qualify(
            counters.spend, counters.points, counters.orders, counts=counters.counts
        )
        assert assessed["tier"].iloc[i] == ladder.assess(frame["current"].iloc[i], counters)


# --------------------------------------------------------------------------- privileges


@given(
    st.lists(
        st.builds(
            Privilege,
            id=st.sampled_from(["a", "b", "c", "d"]),
            kind=st.sampled_from(["free_shipping", "benefit"]),
            tiers=st.lists(st.sampled_from(["t1", "t2"]), min_size=1, max_size=2),
            keep_days=st.integers(0, 60),
            start=st.sampled_from([None, dt.date(2025, 1, 1)]),
        ),
        max_size=4,
        unique_by=lambda p: p.id,
    )
)
def test_privilege_set_round_trips_through_json(privileges: list[Privilege]) -> None:
    privs = PrivilegeSet(privileges)
    text = json.dumps(privs.to_dict())
    assert PrivilegeSet.from_dict(json.loads(text, parse_float=_reject_float)) == privs


@given(
    st.lists(st.integers(0, 300), min_size=1, max_size=3),
    st.sampled_from(["per_order", "per_line"]),
    st.sampled_from(["floor", "half_up", "half_even", "ceiling"]),
    st.sampled_from([None, 50]),
    loyalty_orders(),
)
def test_flat_fast_path_equals_the_general_path(
    rates: list[int], scope: str, mode: str, cap: int | None, order: Order
) -> None:
    from crmkit.loyalty import BaseRate, Multiplier

    rules = [BaseRate(id=f"r{i}", rate=Decimal(r).scaleb(-2)) for i, r in enumerate(rates)]
    settings = {"rounding_scope": scope, "rounding_mode": mode, "max_points_per_order": cap}
    flat = EarningScheme(rules=rules, **settings)  # type: ignore[arg-type]
    general = EarningScheme(rules=[*rules, Multiplier(id="zz-noop", factor=1)], **settings)  # type: ignore[arg-type]
    a = flat.earn(order, timezone=TZ)
    b = general.earn(order, timezone=TZ)
    assert (a.points, a.line_points(), a.by_rule(), a.capped) == (
        b.points,
        b.line_points(),
        b.by_rule(),
        b.capped,
    )
    assert [line.exact for line in a.lines] == [line.exact for line in b.lines]


@given(earning_schemes(), loyalty_orders(), member_contexts())
def test_each_line_gets_its_floor_or_ceiling_before_caps(
    scheme: EarningScheme, order: Order, member: MemberContext
) -> None:
    uncapped = attrs.evolve(scheme, max_points_per_order=None, caps=())
    result = uncapped.earn(order, member, timezone=TZ)
    assert result.capped == 0
    for line in result.lines:
        floor = int(line.exact.to_integral_value(rounding="ROUND_FLOOR"))
        ceiling = int(line.exact.to_integral_value(rounding="ROUND_CEILING"))
        assert floor <= line.points <= ceiling
    capped = scheme.earn(order, member, timezone=TZ)
    assert all(c.points <= u.points for c, u in zip(capped.lines, result.lines, strict=True))
    assert capped.points + capped.capped == result.points
