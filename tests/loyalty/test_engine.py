"""The one compiled engine: every fold earns through ``Earner``; batch equals replay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.loyalty import (
    EarningScheme,
    Program,
    Purchase,
    PurchaseLine,
    replay_many,
)
from crmkit.loyalty._engine import Earner, order_of
from tests.strategies import examples, loyalty_event_tables, loyalty_orders, loyalty_programs

_T = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)


def _purchase_lines(order: Any) -> list[PurchaseLine]:
    """The purchase lines of a generated :class:`Order`, field for field."""
    return [
        PurchaseLine(
            line.line_id,
            line.amount,
            quantity=line.quantity,
            sku=line.sku,
            category=line.category,
            discount=line.discount,
        )
        for line in order.lines
    ]


@st.composite
def _plain_schemes(draw: st.DrawFn) -> EarningScheme:
    """Schemes a plain earner runs: one unconditional base rate, any rounding and base."""
    return EarningScheme.base_rate(
        Decimal(draw(st.integers(0, 400))).scaleb(-2),
        earning_base=draw(st.sampled_from(["net_paid", "net_of_discounts", "gross"])),
        rounding_scope=draw(st.sampled_from(["per_order", "per_line"])),
        rounding_mode=draw(st.sampled_from(["floor", "half_up", "half_even", "ceiling"])),
        point_decimals=draw(st.sampled_from([0, 0, 1, 2])),
    )


@settings(max_examples=examples(150))
@given(scheme=_plain_schemes(), order=loyalty_orders())
def test_plain_earner_reports_what_earn_reports(scheme: EarningScheme, order: Any) -> None:
    """The compiled arithmetic of a plain earner gives exactly :meth:`EarningScheme.earn`'s
    figures (points, the earning base with its digits, the rule attribution, every line's
    points and base), and its result on read is ``earn``'s result."""
    earner = Earner(scheme, member_free=True)
    assert earner.plain
    lines = _purchase_lines(order)
    purchase = Purchase(order.order_id, _T, lines=lines)
    result = scheme.earn(
        order.__class__(order.order_id, _T, order.lines, channel=order.channel),
        timezone=dt.UTC,
    )
    points, base, rule_points, built, line_points, line_bases, qualifying = earner.plain_order(
        lines
    )
    assert qualifying == points == result.qualifying_points
    assert built is None
    assert (points, str(base), rule_points) == (result.points, str(result.base), result.rule_points)
    assert line_points == tuple(lp.points for lp in result.lines)
    assert line_bases is not None
    assert [str(b) for b in line_bases] == [str(lp.base) for lp in result.lines]
    assert earner.result(purchase) == result


_TIERS = ("member", "silver", "gold")


@st.composite
def _tier_schemes(draw: st.DrawFn) -> EarningScheme:
    """Schemes a tiered earner runs: base rates and multipliers whose conditions name tiers
    alone (or nothing), every stacking mode, any rounding, base and point digits, and
    sometimes a yearly bonus (credited by the calendar, not by orders)."""
    from crmkit.loyalty import BaseRate, Condition, Multiplier, YearlyBonus

    def when() -> Condition:
        tiers = draw(st.lists(st.sampled_from(_TIERS), unique=True, max_size=2))
        return Condition(tiers=tiers)

    rules: list[Any] = []
    for k in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            rules.append(
                BaseRate(
                    id=f"r{k}",
                    rate=Decimal(draw(st.integers(0, 400))).scaleb(-2),
                    stacking=draw(st.sampled_from(["add", "max", "first"])),
                    when=when(),
                    qualifying=draw(st.sampled_from([True, True, True, False])),
                )
            )
        else:
            rules.append(
                Multiplier(
                    id=f"m{k}",
                    factor=Decimal(draw(st.integers(100, 300))).scaleb(-2),
                    stacking=draw(st.sampled_from(["add", "multiply", "max", "first"])),
                    when=when(),
                    qualifying=draw(st.sampled_from([True, True, True, False])),
                )
            )
    if draw(st.booleans()):
        rules.append(YearlyBonus(id="y", points=10))
    return EarningScheme(
        rules=rules,
        earning_base=draw(st.sampled_from(["net_paid", "net_of_discounts", "gross"])),
        rounding_scope=draw(st.sampled_from(["per_order", "per_line"])),
        rounding_mode=draw(st.sampled_from(["floor", "half_up", "half_even", "ceiling"])),
        point_decimals=draw(st.sampled_from([0, 0, 1, 2])),
    )


@settings(max_examples=examples(200))
@given(
    scheme=_tier_schemes(),
    order=loyalty_orders(),
    tier=st.sampled_from([None, *_TIERS]),
    more=st.lists(st.integers(0, 30_000), max_size=3),
    factors=st.lists(st.sampled_from(["1.25", "1.8", "2"]), max_size=2),
)
def test_tiered_earner_reports_what_earn_reports_for_the_tier(
    scheme: EarningScheme, order: Any, tier: str | None, more: list[int], factors: list[str]
) -> None:
    """Points that depend on the member's tier (and earning privileges) alone: each line's
    base times the tier's rate, learned from :meth:`EarningScheme.earn` once per tier and
    privileges held, gives exactly ``earn``'s figures for a member holding that tier and
    those privileges (points, base digits, the split between rules,
    every line's points and base), also after other orders (the rates are reused), and its
    result on read is ``earn``'s result."""
    from crmkit.loyalty import MemberContext, Privilege

    earner = Earner(scheme, member_free=False, tier_only=True)
    assert earner.tiered  # (with member_free=False: even one unconditional base rate)
    held = tuple(
        Privilege(
            id=f"p{k}",
            kind="earning_multiplier",
            value=Decimal(f),
            tiers=["gold"],
            qualifying=k == 0,  # a second one earns without qualifying (Hilton's bonus)
        )
        for k, f in enumerate(factors)
    )
    member = MemberContext(tier=tier, privileges=held)
    for k, c in enumerate(more):  # orders earned before: the tier's rates are kept
        line = PurchaseLine("1", Decimal(c).scaleb(-2))
        figures = earner.tier_order([line], tier, held)
        result = scheme.earn(
            order_of(Purchase(f"p{k}", _T, lines=[line]), Decimal(0)), member, timezone=dt.UTC
        )
        assert figures[:3] == (result.points, result.base, result.rule_points)
    lines = _purchase_lines(order)
    purchase = Purchase(order.order_id, _T, lines=lines)
    result = scheme.earn(
        order.__class__(order.order_id, _T, order.lines, channel=order.channel),
        member,
        timezone=dt.UTC,
    )
    figures = earner.tier_order(lines, tier, held)
    points, base, rule_points, built, line_points, line_bases, qualifying = figures
    assert built is None
    assert (points, str(base), rule_points) == (result.points, str(result.base), result.rule_points)
    assert qualifying == result.qualifying_points
    if qualifying == points and line_points is not None:
        assert line_points == tuple(lp.points for lp in result.lines)
        assert line_bases is not None
        assert [str(b) for b in line_bases] == [str(lp.base) for lp in result.lines]
    else:  # some points do not qualify: the line figures come from the result, on read
        assert (line_points, line_bases) == (None, None)
    assert earner.result(purchase, tier, held) == result


def test_earner_is_tiered_only_when_the_tier_alone_counts() -> None:
    """Earning by tier runs the tiered arithmetic only when the rules read the member's
    tier (and the multipliers of its privileges) and nothing else: any other condition, a
    bonus, a cap, a use limit, a birthday bonus or several ladders take the general path."""
    import attrs

    from crmkit.loyalty import (
        BaseRate,
        Condition,
        Multiplier,
        OrderBonus,
        PeriodCap,
        Privilege,
        PrivilegeSet,
        Tier,
        TierLadder,
    )

    gold = Condition(tiers=["gold"])
    rules = [BaseRate(id="base", rate=1), Multiplier(id="g", factor=2, when=gold)]
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="100")])
    tiered = Program(earning=EarningScheme(rules=rules), tiers=ladder).compile().earner
    assert tiered.tiered
    assert not tiered.plain
    assert not Program().compile().earner.tiered  # plain, not tiered
    others = [
        EarningScheme(rules=[*rules, OrderBonus(id="b", points=5, min_spend="10")]),
        EarningScheme(rules=rules, caps=[PeriodCap("month", 100)]),
        EarningScheme(rules=rules, max_points_per_order=50),
        EarningScheme(rules=[rules[0], Multiplier(id="g", factor=2, when=gold, max_uses=1)]),
        EarningScheme(
            rules=[
                rules[0],
                Multiplier(id="g", factor=2, when=Condition(tiers=["gold"], channels=["app"])),
            ]
        ),
        EarningScheme(
            rules=[
                rules[0],
                Multiplier(id="g", factor=2, when=Condition(tiers=["gold"], categories=["tea"])),
            ]
        ),
    ]
    for scheme in others:
        assert not Earner(scheme, member_free=False, tier_only=True).tiered, scheme
    # Earning privileges that multiply (Marriott's +25 % for Gold) keep the tiered path, and
    # so do those whose points do not qualify (Hilton's elite bonus); a birthday bonus (it
    # reads the order's day) does not.
    multiply = Privilege(id="x", kind="earning_multiplier", value=2, tiers=["gold"])
    lounge = Privilege(id="l", kind="benefit", tiers=["gold"])
    for privileges, kept in (
        ([multiply, lounge], True),
        ([Privilege(id="b", kind="birthday_bonus", value=2, tiers=["gold"])], False),
        ([attrs.evolve(multiply, qualifying=False)], True),  # (Hilton: status on base points)
    ):
        program = Program(
            earning=EarningScheme(rules=rules), tiers=ladder, privileges=PrivilegeSet(privileges)
        )
        assert program.compile().earner.tiered == kept, privileges
    two_ladders = Program(
        earning=EarningScheme(rules=rules), tiers={"status": ladder, "club": ladder}
    )
    assert not two_ladders.compile().earner.tiered


def test_earning_by_tier_worked_example() -> None:
    """Gold earns 2 points per yuan (the higher rate), silver 1.5x, members 1: a 100.50
    order earns 201 (2 x 100.50 = 201.00: base 100, gold rate 101 by largest remainder of
    100.50 and 100.50) for gold, 150 for silver (1.5 x 100.50 = 150.75, floor), 100 for a
    member; the explanation on read names both rules."""
    from crmkit.loyalty import BaseRate, Condition, Multiplier

    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            BaseRate(id="gold-rate", rate=2, stacking="max", when=Condition(tiers=["gold"])),
            Multiplier(id="silver-x", factor="1.5", when=Condition(tiers=["silver"])),
        ]
    )
    earner = Earner(scheme, member_free=False, tier_only=True)
    lines = [PurchaseLine("1", "100.50")]
    assert earner.tier_order(lines, "gold")[:3] == (
        201,
        Decimal("100.50"),
        (("base", 101), ("gold-rate", 100)),
    )
    assert earner.tier_order(lines, "silver")[:3] == (
        150,
        Decimal("100.50"),
        (("base", 100), ("silver-x", 50)),
    )
    assert earner.tier_order(lines, "member")[:3] == (100, Decimal("100.50"), (("base", 100),))
    explained = earner.result(Purchase("p", _T, lines=lines), "gold")
    assert [c.rule_id for c in explained.lines[0].components] == ["base", "gold-rate"]


@st.composite
def _tier_programs(draw: st.DrawFn) -> Program:
    """A program earning by tier on a spend ladder, any pending days; sometimes with tier
    privileges: earning multipliers (some dated) and a benefit that earns nothing."""
    from crmkit.loyalty import ExpiryPolicy, Privilege, PrivilegeSet, Tier, TierLadder

    privileges = None
    if draw(st.booleans()):
        chosen = [
            Privilege(
                id=f"x{k}",
                kind="earning_multiplier",
                value=Decimal(draw(st.integers(100, 250))).scaleb(-2),
                tiers=draw(st.lists(st.sampled_from(_TIERS[1:]), min_size=1, unique=True)),
                start=draw(st.sampled_from([None, dt.date(2025, 3, 1)])),
                qualifying=draw(st.booleans()),
            )
            for k in range(draw(st.integers(1, 2)))
        ]
        chosen.append(Privilege(id="lounge", kind="benefit", tiers=["gold"]))
        privileges = PrivilegeSet(chosen)
    return Program(
        privileges=privileges,
        timezone=draw(st.sampled_from(["UTC", "Asia/Shanghai"])),
        earning=draw(_tier_schemes()),
        expiry=ExpiryPolicy.after_months(2),
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", spend="300"),
                Tier(name="gold", spend="900"),
            ],
            downgrade="one_down",
        ),
        pending_days=draw(st.sampled_from([0, 7])),
    )


@settings(max_examples=examples(60), deadline=None)
@given(program=_tier_programs(), drawn=loyalty_event_tables())
def test_earning_by_tier_replays_as_the_general_path_does(
    program: Program, drawn: tuple[pd.DataFrame, dict[str, list[Any]]]
) -> None:
    """A fold that earns by the tier's rates gives exactly the state a fold through
    :meth:`EarningScheme.earn` with the member's context gives (every figure, the tier, each
    purchase's explanation), in a replay, in ``replay_many`` and applied event by event."""
    table, objects = drawn
    as_of = max(e.time for events in objects.values() for e in events) + dt.timedelta(days=3)
    earner = program.compile().earner
    assume(not earner.plain)  # one unconditional base rate: the plain earner's (above)
    assert earner.tiered
    fast = {
        m: program.replay(events, as_of=as_of, on_error="skip") for m, events in objects.items()
    }
    rows = replay_many(table, program, as_of=as_of, on_error="skip")
    earner.tiered = False  # the same compiled program, earning through the general path
    try:
        slow = {
            m: program.replay(events, as_of=as_of, on_error="skip") for m, events in objects.items()
        }
    finally:
        earner.tiered = True
    for member, events in objects.items():
        assert fast[member] == slow[member]
        assert fast[member].tier_name == slow[member].tier_name
        bought = [e.event_id for e in events if isinstance(e, Purchase)]
        for event_id in bought:
            if event_id in slow[member].earnings:
                assert fast[member].earnings[event_id] == slow[member].earnings[event_id]
        for name in (*_FIGURES, *_MORE):
            assert rows.loc[member, name] == getattr(slow[member], name), name
        ordered = sorted(events, key=lambda e: (e.time, e.rank, e.event_id))
        step = program.replay([], as_of=ordered[0].time, on_error="skip")
        for event in ordered:
            step = program.apply(step, event)
        assert step == program.replay(events, as_of=ordered[-1].time, on_error="skip")


@settings(max_examples=examples(30), deadline=None)
@given(program=_tier_programs(), miles=_tier_schemes(), drawn=loyalty_event_tables(extras=True))
def test_earning_by_tier_in_two_currencies_replays_as_the_general_path_does(
    program: Program, miles: EarningScheme, drawn: tuple[pd.DataFrame, dict[str, list[Any]]]
) -> None:
    """Each currency's book earns by its own scheme's tier rates (the tier of the one
    ladder): the same states, in both currencies, as through the general path."""
    import attrs

    program = attrs.evolve(
        program,
        earning={"points": program.earning_scheme, "miles": miles},
        expiry={"points": program.expiry_policy, "miles": program.expiry_policy},
    )
    table, objects = drawn
    as_of = max(e.time for events in objects.values() for e in events) + dt.timedelta(days=3)
    compiled = program.compile()
    assert compiled.single is not None
    earners = [c.compile().earner for c in (compiled.single, *compiled.others.values())]
    fast = {
        m: program.replay(events, as_of=as_of, on_error="skip") for m, events in objects.items()
    }
    rows = replay_many(table, program, as_of=as_of, on_error="skip")
    tiered = [earner.tiered for earner in earners]
    for earner in earners:
        earner.tiered = False
    try:
        slow = {
            m: program.replay(events, as_of=as_of, on_error="skip") for m, events in objects.items()
        }
    finally:
        for earner, flag in zip(earners, tiered, strict=True):
            earner.tiered = flag
    for member in objects:
        assert fast[member] == slow[member]
        assert fast[member].by_currency["miles"] == slow[member].by_currency["miles"]
        for event_id, explained in fast[member].earnings.items():
            assert explained == slow[member].earnings[event_id]
        for name in _FIGURES:
            assert rows.loc[member, name] == getattr(slow[member], name), name


def test_earner_is_plain_only_when_nothing_about_the_member_counts() -> None:
    """Tier conditions, caps and first-purchase bonuses need the member: the general path."""
    from crmkit.loyalty import Condition, Multiplier, PeriodCap, SignUpBonus

    assert Program().compile().earner.plain
    assert not Earner(EarningScheme.base_rate(1), member_free=False).plain
    capped = EarningScheme.base_rate(1, caps=[PeriodCap("month", 100)])
    assert not Earner(capped, member_free=True).plain
    first = EarningScheme(
        rules=[
            *EarningScheme.base_rate(1).rules,
            SignUpBonus(id="w", points=5, trigger="first_purchase"),
        ]
    )
    assert not Earner(first, member_free=True).plain
    gold = EarningScheme(
        rules=[
            *EarningScheme.base_rate(1).rules,
            Multiplier(id="g", factor=2, when=Condition(tiers=["gold"])),
        ]
    )
    assert not Earner(gold, member_free=True).plain


def test_program_replay_and_apply_share_the_compiled_earner() -> None:
    """Worked example: 1 point per yuan, a two-line order of 120.50 and 79.50 earns 200
    (floor per order), refunding line 2 takes back its 79 points (the stored line figure)."""
    from crmkit.loyalty import Refund, RefundLine

    program = Program()
    p = Purchase("p1", _T, lines=[PurchaseLine("1", "120.50"), PurchaseLine("2", "79.50")])
    state = program.replay([p], as_of=_T)
    assert state.available == 200
    assert state.earnings["p1"].points == 200
    after = program.apply(state, Refund("r1", _T + dt.timedelta(hours=1), "p1", [RefundLine("2")]))
    assert after.available == 200 - 79
    assert after == program.replay(
        [p, Refund("r1", _T + dt.timedelta(hours=1), "p1", [RefundLine("2")])],
        as_of=_T + dt.timedelta(hours=1),
    )


_FIGURES = ("available", "pending", "debt", "balance", "credited", "spent", "expired")
_MORE = ("reversed", "forfeited", "cash_offset")


@settings(max_examples=examples(60), deadline=None)
@given(program=loyalty_programs(), drawn=loyalty_event_tables())
def test_replay_many_equals_replay_of_each_member(
    program: Program, drawn: tuple[pd.DataFrame, dict[str, list[Any]]]
) -> None:
    """``replay_many`` over a generated table gives, per member, exactly what
    :meth:`Program.replay` of that member's events (built as objects, not read from the
    table) gives: every figure, the tier, the events replayed and rejected."""
    table, objects = drawn
    as_of = max(e.time for events in objects.values() for e in events) + dt.timedelta(days=3)
    states = replay_many(table, program, as_of=as_of, on_error="skip")
    assert list(states.index) == list(objects)
    for member, events in objects.items():
        state = program.replay(events, as_of=as_of, on_error="skip")
        row = states.loc[member]
        for name in (*_FIGURES, *_MORE):
            assert row[name] == getattr(state, name), name
        assert row["expiring"] == state.expiring(30)
        assert (None if pd.isna(row["tier"]) else row["tier"]) == state.tier_name
        assert row["events"] == len(state.events)
        assert row["rejected"] == len(state.rejected)


def test_events_are_on_the_spec_layer_and_old_json_still_loads() -> None:
    """Events write ``schema_version`` and ``kind``; JSON stored before (no version, the
    primary currency left out) still loads, through ``event_from_dict`` and ``from_dict``."""
    import json

    from crmkit._spec import Spec
    from crmkit.errors import ConfigError, InvalidInputError
    from crmkit.loyalty import Adjust, Redeem, event_from_dict

    t = dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)
    adjust = Adjust("a1", t, points=50, reason="gift")
    assert isinstance(adjust, Spec)
    assert adjust.to_dict() == {
        "schema_version": 1,
        "kind": "adjust",
        "event_id": "a1",
        "time": "2025-03-01T10:00:00+00:00",
        "points": 50,
        "reason": "gift",
    }
    old = {
        "kind": "redeem",
        "event_id": "x1",
        "time": "2025-03-01T10:00:00+08:00",
        "reward": "mug",
        "points": None,
    }
    assert (
        event_from_dict(old)
        == Redeem.from_dict(old)
        == Redeem("x1", dt.datetime(2025, 3, 1, 2, tzinfo=dt.UTC), reward="mug")
    )
    assert event_from_dict(json.loads(json.dumps(adjust.to_dict()))) == adjust
    # A bad value is bad input (as before) and, on the spec layer, a ConfigError.
    with pytest.raises(InvalidInputError) as info:
        Adjust("a1", t, points=0, reason="gift")
    assert isinstance(info.value, ConfigError)
    assert info.value.field == "points"


# -- issue 14 speed (branch loyspeed): the leaner fold gives the same states ----------------


@settings(max_examples=examples(60))
@given(
    scheme=_plain_schemes(),
    cents=st.lists(st.integers(0, 30_000), min_size=1, max_size=40),
)
def test_one_line_orders_through_one_earner_report_what_earn_reports(
    scheme: EarningScheme, cents: list[int]
) -> None:
    """One earner earns many one-line orders (as a fold does, sharing the tuples of equal
    point totals between orders): each order's figures are still exactly
    :meth:`EarningScheme.earn`'s, whatever was earned before it."""
    earner = Earner(scheme, member_free=True)
    for k, c in enumerate(cents):
        line = PurchaseLine("1", Decimal(c).scaleb(-2))
        result = scheme.earn(
            order_of(Purchase(f"p{k}", _T, lines=[line]), Decimal(0)), timezone=dt.UTC
        )
        points, base, rule_points, _, line_points, line_bases, _ = earner.plain_order([line])
        assert (points, str(base), rule_points) == (
            result.points,
            str(result.base),
            result.rule_points,
        )
        assert line_points == (result.lines[0].points,)
        assert line_bases is not None
        assert str(line_bases[0]) == str(result.lines[0].base)


def _capped_two_currency_program(pending_days: int) -> Program:
    from crmkit.loyalty import ExpiryPolicy, PeriodCap, Tier, TierLadder

    return Program(
        timezone="Asia/Shanghai",
        earning={
            "points": EarningScheme.base_rate(1, caps=[PeriodCap("month", 400)]),
            "miles": EarningScheme.base_rate("0.5"),
        },
        expiry={"points": ExpiryPolicy.after_months(1), "miles": ExpiryPolicy.after_days(40)},
        tiers=TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="500")]),
        pending_days=pending_days,
        shortfall="debt",
    )


@settings(max_examples=examples(30), deadline=None)
@given(pending_days=st.sampled_from([0, 7]), drawn=loyalty_event_tables())
def test_replay_many_and_apply_equal_replay_under_caps_and_two_currencies(
    pending_days: int, drawn: tuple[pd.DataFrame, dict[str, list[Any]]]
) -> None:
    """Under a monthly earning cap (the fold keeps the points earned per order only for
    caps) and a second point currency (its book records no postings in ``replay_many``
    either), every ``replay_many`` row is the member's :meth:`Program.replay`, and the
    member's events applied one at a time give the replay's state, postings included."""
    program = _capped_two_currency_program(pending_days)
    table, objects = drawn
    as_of = max(e.time for events in objects.values() for e in events) + dt.timedelta(days=3)
    states = replay_many(table, program, as_of=as_of, on_error="skip")
    for member, events in objects.items():
        state = program.replay(events, as_of=as_of, on_error="skip")
        row = states.loc[member]
        for name in (*_FIGURES, *_MORE):
            assert row[name] == getattr(state, name), name
        assert row["events"] == len(state.events)
        assert row["rejected"] == len(state.rejected)
        ordered = sorted(events, key=lambda e: (e.time, e.rank, e.event_id))
        step = program.replay([], as_of=ordered[0].time, on_error="skip")
        for event in ordered:
            step = program.apply(step, event)
        step = program.apply(step, ordered[-1])  # idempotent: already applied
        full = program.replay(events, as_of=ordered[-1].time, on_error="skip")
        assert step == full
        assert step.postings == full.postings
        assert step.by_currency["miles"].postings == full.by_currency["miles"].postings


def test_a_replay_many_fold_records_no_postings_but_the_same_figures() -> None:
    """Worked example: a purchase of 250 (pending 7 days) and a redemption of 100 after it
    activates. The fold behind a ``replay_many`` row (``journal=False``) keeps the same
    lots and balances as the replay (available 150, spent 100) and no postings; the
    replay's state lists earn, activate and redeem."""
    from crmkit.loyalty import Redeem

    program = Program(pending_days=7)
    events = [
        Purchase("p1", _T, lines=[PurchaseLine("1", "250")]),
        Redeem("x1", _T + dt.timedelta(days=8), points=100),
    ]
    end = _T + dt.timedelta(days=9)
    quiet = program._fold(events, end, "raise", journal=False)
    state = program.replay(events, as_of=end)
    assert (quiet.available, quiet.pending, quiet.credited) == (150, 0, 250)
    assert (state.available, state.spent) == (150, 100)
    assert quiet.postings == []
    assert [p.kind for p in state.postings] == ["earn", "activate", "redeem"]


@settings(max_examples=examples(100))
@given(
    order=loyalty_orders(),
    channel=st.sampled_from(["", "store", "app"]),
    tender_share=st.sampled_from([None, Decimal("0"), Decimal("0.5"), Decimal("1")]),
)
def test_order_of_equals_the_checked_order(
    order: Any, channel: str, tender_share: Decimal | None
) -> None:
    """``order_of`` builds the rules' view of a purchase without re-checking it: the
    result equals, field for field and in type, the :class:`Order` the checked
    constructors build from the same purchase (whatever its lines, channel and points
    tender)."""
    from crmkit.loyalty import Tender
    from crmkit.loyalty._rules import Order, OrderLine

    lines = _purchase_lines(order)
    net = sum((line.net for line in lines), Decimal(0))
    tenders = []
    if tender_share is not None:
        paid = (net * tender_share).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        tenders = [Tender("points", paid, points=max(int(paid * 100), 1))]
        if net - paid:
            tenders.append(Tender("card", net - paid))
    purchase = Purchase(order.order_id, _T, lines=lines, channel=channel, tenders=tenders)
    tender = purchase.points_tender_amount
    built = order_of(purchase, tender)
    checked = Order(
        purchase.event_id,
        purchase.time,
        [
            OrderLine(
                line.line_id,
                line.amount,
                sku=line.sku,
                category=line.category,
                quantity=line.quantity,
                discount=line.discount,
            )
            for line in purchase.lines
        ],
        channel=channel,
        points_tender=tender,
    )
    assert built == checked
    assert type(built.lines) is tuple
    assert all(type(line) is OrderLine for line in built.lines)


def test_member_context_of_the_fold_is_a_checked_context() -> None:
    """The ledger builds each purchase's :class:`MemberContext` without re-checking it:
    every field already holds its converted, valid value, so rebuilding it through the
    checked constructor gives an equal context (tier, privileges, cap and use counts)."""
    import attrs

    from crmkit.loyalty import (
        BaseRate,
        Condition,
        Enroll,
        ExpiryPolicy,
        Multiplier,
        OrderBonus,
        PeriodCap,
        Privilege,
        PrivilegeSet,
        Tier,
        TierLadder,
    )
    from crmkit.loyalty._rules import MemberContext

    program = Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                Multiplier(id="silver", factor="1.5", when=Condition(tiers=["silver"])),
                OrderBonus(id="big", points=10, min_spend="100", max_uses=2, uses_freq="month"),
            ],
            caps=[PeriodCap("month", 5000)],
        ),
        expiry=ExpiryPolicy.after_months(12),
        tiers=TierLadder(tiers=[Tier(name="member"), Tier(name="silver", spend="300")]),
        privileges=PrivilegeSet(
            [Privilege(id="x2", kind="earning_multiplier", value=2, tiers=["silver"])]
        ),
    )
    events = [
        Enroll("e", _T, birth_date=dt.date(1990, 3, 9)),
        Purchase("p1", _T + dt.timedelta(days=1), lines=[PurchaseLine("1", "400")]),
    ]
    book = program._fold(events, _T + dt.timedelta(days=2), "raise")
    later = Purchase("p2", _T + dt.timedelta(days=2), lines=[PurchaseLine("1", "120")])
    book.now = later.time
    context = book._context(later)
    assert context.tier == "silver"
    assert [p.id for p in context.privileges] == ["x2"]
    # p1 earned as a member (its own 400.00 made the member silver): 400 + the 10 bonus.
    assert context.period_points == (("month", 400 + 10),)
    assert context.rule_uses == (("big", 1),)
    assert (context.prior_orders, context.birth_date) == (1, dt.date(1990, 3, 9))
    assert MemberContext(**attrs.asdict(context, recurse=False)) == context
