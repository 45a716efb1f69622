"""Status credit without a purchase (``Adjust.spend`` / ``qualifying_points`` / ``counts``)
and when a member's tier clock starts (``tier_since``).

The worked examples of a published programme (Delta's MQD head start) are in
``test_published_qualification.py``; here: the regression of ``tier_since`` for a member whose
only points are pending, the checks of the new fields, and hypothesis properties
(conservation; replay = apply = replay_many; a qualifying-only credit never changes a points
balance; replay_many's ``tier_since`` equals replay's ``tier.since``).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    Condition,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    Redeem,
    Refund,
    Tier,
    TierLadder,
    event_from_dict,
    replay_many,
)
from crmkit.loyalty._events import Event
from crmkit.loyalty._replay_many import events_from_frame
from tests.strategies import examples

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=SH)


def _ladder() -> TierLadder:
    return TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(
                name="silver",
                alternatives=[Qualification(spend="2000"), Qualification(counts={"nights": 5})],
            ),
            Tier(name="gold", spend="10000"),
        ]
    )


# ------------------------------------------------------------------- tier_since (task 1)


def test_tier_since_of_a_member_whose_only_points_are_pending() -> None:
    """Regression: with ``pending_days=7`` a member whose one purchase (28 June 2025 12:00)
    is still pending at ``as_of`` (30 June 23:59:59.999999) showed ``tier_since`` equal to
    ``as_of`` in ``replay_many`` and in ``Program.replay(...).tier.since``: the tier clock
    started at the first *qualifying posting*, which a pending purchase posts only when
    its points activate (5 July). The member holds the base tier from their first event,
    the purchase: ``tier_since`` 2025-06-28 12:00 in both, and the column no longer prints
    every time with ``.999999``'s microseconds. After activation (as_of 10 July) the
    answer is the same instant, not the activation (5 July 12:00)."""
    program = Program(timezone="Asia/Shanghai", pending_days=7, tiers=_ladder())
    bought = dt.datetime(2025, 6, 28, 12, tzinfo=SH)
    events = [Purchase("p1", bought, lines=[PurchaseLine("1", "100")])]
    state = program.replay(events, as_of=AS_OF)
    assert state.tier is not None
    assert (state.pending, state.tier.tier, state.tier.since) == (100, "member", bought)
    assert state.tier.history[0].time == bought
    frame = pd.DataFrame(
        {
            "member_id": ["m1", "m2", "m2"],
            "event_id": ["p1", "e", "p2"],
            "time": ["2025-06-28 12:00", "2025-05-01 09:30", "2025-06-29 08:00"],
            "kind": ["purchase", "enroll", "purchase"],
            "amount": ["100", None, "50"],
        }
    )
    rows = replay_many(frame, program, as_of=AS_OF)
    assert list(rows["tier_since"]) == [
        pd.Timestamp("2025-06-28 12:00", tz=SH),
        pd.Timestamp("2025-05-01 09:30", tz=SH),  # enrolled before the purchase
    ]
    assert "999999" not in rows["tier_since"].to_string()
    later = program.replay(events, as_of=dt.datetime(2025, 7, 10, tzinfo=SH))
    assert later.tier is not None
    assert later.tier.since == bought
    assert later.tier.counters.spend == Decimal("100")  # counted from activation


def test_tier_since_of_a_member_with_only_an_adjustment() -> None:
    """A member whose one event is a goodwill credit (no enrolment, no purchase) holds the
    base tier from that credit, not from ``as_of``."""
    program = Program(timezone="Asia/Shanghai", tiers=_ladder())
    at = dt.datetime(2025, 3, 1, 10, tzinfo=SH)
    state = program.replay([Adjust("g", at, points=50, reason="gift")], as_of=AS_OF)
    assert state.tier is not None
    assert state.tier.since == at


@settings(max_examples=examples(25), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    pending=st.sampled_from([0, 7, 30]),
    days=st.integers(-5, 40),
)
def test_replay_many_tier_since_equals_replay_tier_since(
    seed: int, pending: int, days: int
) -> None:
    """For every member of a sample table, replay_many's ``tier_since`` is
    ``Program.replay(...).tier.since``, never after ``as_of``, and never before the
    member's first event; a member who never changed tier holds it from that first event."""
    frame = datasets.loyalty_events(n_members=5, seed=seed)
    program = Program(timezone="Asia/Shanghai", pending_days=pending, tiers=_ladder())
    as_of = (frame["time"].max() - pd.Timedelta(days=days)).to_pydatetime()
    kept = frame[frame["time"] <= as_of]
    if kept.empty:
        return
    rows = replay_many(kept, program, as_of=as_of, on_error="skip")
    for member, events in events_from_frame(kept, program).items():
        state = program.replay(events, as_of=as_of, on_error="skip")
        assert state.tier is not None
        since = rows.loc[member, "tier_since"]
        assert since == pd.Timestamp(state.tier.since)
        first = min(e.time for e in events)
        assert first <= state.tier.since <= as_of
        if len(state.tier.history) == 1:
            assert state.tier.since == first


# ------------------------------------------------------------ the fields (task 2)


T0 = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)


def test_adjust_status_fields_round_trip_and_are_checked() -> None:
    """JSON round trip (``spend`` as a decimal string, ``counts`` a mapping, the keys left
    out at their defaults so older JSON reads the same); ``points=0`` only with status
    credit; floats, bools and an expiry without points refused, naming the field."""
    credit = Adjust(
        "a", T0, points=0, reason="card", spend="2500.50", qualifying_points=-30,
        counts={"nights": 2, "stays": -1},
    )  # fmt: skip
    data = credit.to_dict()
    assert (data["spend"], data["qualifying_points"], data["counts"]) == (
        "2500.50",
        -30,
        {"nights": 2, "stays": -1},
    )
    assert event_from_dict(json.loads(json.dumps(data))) == credit
    assert Adjust.from_dict(data) == credit
    plain = Adjust("b", T0, points=5, reason="gift")
    assert set(plain.to_dict()) == {
        "schema_version",
        "kind",
        "event_id",
        "time",
        "points",
        "reason",
    }
    old = {"kind": "adjust", "event_id": "b", "time": T0.isoformat(), "points": 5, "reason": "gift"}
    assert event_from_dict(old) == plain
    cases: list[tuple[dict[str, Any], str]] = [
        ({"points": 0}, "points"),
        ({"points": 0, "spend": "0.00", "counts": {"nights": 0}}, "points"),
        ({"points": 5, "spend": 2.5}, "spend"),
        ({"points": 5, "spend": "NaN"}, "spend"),
        ({"points": 5, "qualifying_points": 1.0}, "qualifying_points"),
        ({"points": 5, "qualifying_points": True}, "qualifying_points"),
        ({"points": 5, "counts": {"spend": 1}}, "counts"),
        ({"points": 0, "spend": "1", "expires_at": T0 + dt.timedelta(days=3)}, "expires_at"),
    ]
    for extra, field in cases:
        with pytest.raises(InvalidInputError) as info:
            Adjust("x", T0, reason="r", **extra)
        assert info.value.field == field, extra
    with pytest.raises(ConfigError, match="points"):
        attrs.evolve(credit, spend=Decimal(0), qualifying_points=0, counts={})
    bad = {**data, "spend": 1.5}
    with pytest.raises(InvalidInputError) as err:
        event_from_dict(bad)
    assert err.value.field == "spend"


def test_status_credit_is_no_order_and_no_purchase() -> None:
    """A qualifying-only adjustment is not an order (a ladder on orders does not see it)
    nor a purchase (a refund cannot name it); it never earns. A status
    credit of 5 nights makes Silver (5 nights) at its instant; a debit of qualifying spend
    (a correction) lowers the window's spend. A credit the ledger refuses (too few points
    for its debit) posts no status either."""
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="regular", orders=2)])
    program = Program(timezone="Asia/Shanghai", tiers=ladder)
    t = dt.datetime(2025, 2, 1, 10, tzinfo=SH)
    buy = Purchase("p", t + dt.timedelta(days=1), lines=[PurchaseLine("1", "80")])
    credit = Adjust("c", t, points=0, reason="card", spend="500", counts={"nights": 5})
    state = program.replay([credit, buy], as_of=t + dt.timedelta(days=2))
    assert state.tier is not None
    assert (state.tier.counters.orders, state.tier_name, state.available) == (1, "member", 80)
    with pytest.raises(LedgerError, match="purchase_id"):
        program.replay(
            [credit, Refund("r", t + dt.timedelta(hours=1), "c")], as_of=t + dt.timedelta(hours=2)
        )
    hotel = Program(timezone="Asia/Shanghai", tiers=_ladder())
    held = hotel.replay([credit], as_of=t + dt.timedelta(hours=1))
    assert held.tier is not None
    assert (held.tier_name, held.tier.since, held.available, held.credited) == (
        "silver",
        t,
        0,
        0,
    )
    fix = Adjust("f", t + dt.timedelta(hours=2), points=0, reason="fix", spend="-200")
    fixed = hotel.replay([credit, fix], as_of=t + dt.timedelta(hours=3))
    assert fixed.tier is not None
    assert fixed.tier.counters.spend == Decimal("300")
    refused = Adjust("d", t, points=-10, reason="fee", spend="9000")
    skipped = hotel.replay([refused], as_of=t + dt.timedelta(hours=1), on_error="skip")
    assert skipped.tier is not None
    assert (skipped.tier.counters.spend, skipped.qualifying, len(skipped.rejected)) == (
        Decimal("0"),
        (),
        1,
    )


def test_status_credit_in_another_point_currency_posts_to_the_one_ladder() -> None:
    """In a program with two point currencies the tiers are kept once: a status credit on
    an adjustment of 100 ``"miles"`` counts toward them like one in the primary currency,
    and changes no balance but the miles it credits. A status credit without points names
    no currency: it would seem to choose where the credit lands, and does not."""
    program = Program(
        timezone="Asia/Shanghai",
        earning={"points": EarningScheme.base_rate(1), "miles": EarningScheme.base_rate(1)},
        expiry={"points": ExpiryPolicy.never(), "miles": ExpiryPolicy.never()},
        tiers=_ladder(),
    )
    t = dt.datetime(2025, 2, 1, 10, tzinfo=SH)
    miles = Adjust("m", t, points=100, reason="card", spend="2000", currency="miles")
    state = program.replay([miles], as_of=t + dt.timedelta(days=1))
    assert state.tier_name == "silver"
    assert (state.available, state.by_currency["miles"].available) == (0, 100)
    with pytest.raises(InvalidInputError, match="'currency' must be None for a status credit"):
        Adjust("z", t, points=0, reason="card", spend="2000", currency="miles")
    row = replay_many(
        pd.DataFrame(
            {
                "member_id": ["x"], "event_id": ["m"], "time": ["2025-02-01 10:00"],
                "kind": ["adjust"], "reason": ["card"], "spend": ["2000"], "currency": ["miles"],
                "points": [100],
            }
        ),
        program,
        as_of=t + dt.timedelta(days=1),
    ).loc["x"]  # fmt: skip
    assert (row["tier"], row["available"]) == ("silver", 0)


def test_replay_many_reads_status_credit_columns_and_names_bad_rows() -> None:
    """``spend`` and ``qualifying_points`` on adjust rows, the ``counts=`` columns on adjust
    rows (signed); a float ``spend`` column, a text one and a status field on another kind
    are refused naming the column and the row."""
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", points=100, counts={"nights": 3})]
    )
    program = Program(timezone="Asia/Shanghai", tiers=ladder)
    table = pd.DataFrame(
        {
            "member_id": ["m", "m", "m"],
            "event_id": ["a", "b", "c"],
            "time": ["2025-01-01 09:00", "2025-01-02 09:00", "2025-01-03 09:00"],
            "kind": ["adjust", "adjust", "adjust"],
            "points": pd.array([None, 40, None], dtype="Int64"),
            "qualifying_points": pd.array([60, 40, None], dtype="Int64"),
            "nights": pd.array([4, None, -1], dtype="Int64"),
        },
        index=["r1", "r2", "r3"],
    )
    as_of = dt.datetime(2025, 2, 1, tzinfo=SH)
    states = replay_many(table, program, as_of=as_of, counts=["nights"])
    events = events_from_frame(table, program, counts=["nights"])["m"]
    assert events == [
        Adjust("a", events[0].time, points=0, reason="adjust", qualifying_points=60,
               counts={"nights": 4}),
        Adjust("b", events[1].time, points=40, reason="adjust", qualifying_points=40),
        Adjust("c", events[2].time, points=0, reason="adjust", counts={"nights": -1}),
    ]  # fmt: skip
    state = program.replay(events, as_of=as_of)
    assert state.tier is not None
    assert (state.tier.counters.points, state.tier.counters.counts["nights"]) == (100, 3)
    assert (states.loc["m", "tier"], states.loc["m", "available"]) == ("gold", 40)
    floats = table.assign(spend=[1.5, None, None])
    with pytest.raises(InvalidInputError) as info:
        replay_many(floats, program, as_of=as_of, counts=["nights"])
    assert info.value.field == "spend"
    text = table.assign(spend=[None, "lots", None])
    with pytest.raises(InvalidInputError) as info:
        replay_many(text, program, as_of=as_of, counts=["nights"])
    assert (info.value.field, list(info.value.rows)) == ("spend", ["r2"])
    empty = table.assign(qualifying_points=pd.array([None, 40, None], dtype="Int64"))
    empty.loc["r3", "nights"] = pd.NA
    with pytest.raises(InvalidInputError) as info:
        replay_many(empty, program, as_of=as_of, counts=["nights"])
    assert (info.value.field, list(info.value.rows)) == ("points", ["r3"])


# -------------------------------------------------------------------- properties


def _program(tiered: bool, pending: int) -> Program:
    """A program with a ladder on spend or nights; ``tiered``: gold earns double."""
    rules = [BaseRate(id="base", rate=1)]
    if tiered:
        rules.append(BaseRate(id="gold", rate=1, when=Condition(tiers=["gold"])))
    return Program(
        timezone="Asia/Shanghai",
        earning=EarningScheme(rules=rules),
        expiry=ExpiryPolicy.after_months(6),
        tiers=_ladder(),
        pending_days=pending,
        catalogue={"mug": {"*": 300, "gold": 200}},
    )


@st.composite
def _histories(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, list[Event]]]:
    """Members with purchases, redemptions, point adjustments and status credits (spend,
    qualifying points, nights; some with points, some without, a few negative), as a
    table and as objects."""
    rows: list[dict[str, Any]] = []
    objects: dict[str, list[Event]] = {}
    for m in range(draw(st.integers(1, 3))):
        member = f"m{m}"
        objects[member] = events = []
        at = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
        for k in range(draw(st.integers(1, 12))):
            at += dt.timedelta(hours=draw(st.integers(1, 24 * 30)))
            eid = f"{member}-{k}"
            base = {"member_id": member, "event_id": eid, "time": at}
            kind = draw(st.sampled_from(["purchase", "purchase", "credit", "credit", "redeem",
                                         "adjust", "enroll", "refund"]))  # fmt: skip
            if kind == "purchase":
                amount = Decimal(draw(st.integers(0, 400_000))).scaleb(-2)
                events.append(Purchase(eid, at, lines=[PurchaseLine("1", amount)]))
                rows.append({**base, "kind": "purchase", "amount": str(amount)})
            elif kind == "refund" and any(isinstance(e, Purchase) for e in events):
                ref = draw(st.sampled_from([e.event_id for e in events if isinstance(e, Purchase)]))
                events.append(Refund(eid, at, ref))
                rows.append({**base, "kind": "refund", "ref": ref})
            elif kind == "redeem":
                points = draw(st.none() | st.integers(1, 500))
                events.append(
                    Redeem(eid, at, reward="mug" if points is None else "", points=points)
                )
                rows.append({**base, "kind": "redeem", "points": points,
                             "reward": "mug" if points is None else None})  # fmt: skip
            elif kind == "enroll":
                events.append(Enroll(eid, at))
                rows.append({**base, "kind": "enroll"})
            else:
                points = draw(st.integers(-100, 300)) if kind == "adjust" else 0
                spend = Decimal(draw(st.integers(-50_000, 300_000))).scaleb(-2)
                status = draw(st.integers(-50, 500))
                nights = draw(st.integers(-1, 4))
                if not (points or spend or status or nights):
                    points = 1
                events.append(
                    Adjust(eid, at, points=points, reason="card", spend=spend,
                           qualifying_points=status, counts={"nights": nights} if nights else {})
                )  # fmt: skip
                rows.append({**base, "kind": "adjust", "points": points or None, "reason": "card",
                             "spend": str(spend), "qualifying_points": status,
                             "nights": nights or None})  # fmt: skip
    table = pd.DataFrame(rows)
    for column in ("amount", "ref", "points", "reward", "reason", "spend", "qualifying_points",
                   "nights"):  # fmt: skip
        if column not in table:
            table[column] = None
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table, objects


@settings(max_examples=examples(60), deadline=None)
@given(
    drawn=_histories(),
    tiered=st.booleans(),
    pending=st.sampled_from([0, 7]),
    after=st.integers(0, 60),
)
def test_status_credit_replay_equals_apply_equals_replay_many_and_conserves(
    drawn: tuple[pd.DataFrame, dict[str, list[Event]]], tiered: bool, pending: int, after: int
) -> None:
    """With status credits among the events: ``replay_many``'s row equals
    ``Program.replay`` (tier, tier_since, balances); folding the events one by one with
    ``Program.apply`` gives the replay's state; per member
    ``credited = available + pending + spent + expired + reversed + forfeited``; every
    status credit the ledger accepted is one qualifying posting of no order."""
    table, objects = drawn
    program = _program(tiered, pending)
    as_of = max(e.time for ev in objects.values() for e in ev) + dt.timedelta(days=after)
    states = replay_many(table, program, as_of=as_of, on_error="skip", counts=["nights"])
    assert events_from_frame(table, program, counts=["nights"]) == objects
    for member, events in objects.items():
        state = program.replay(events, as_of=as_of, on_error="skip")
        row = states.loc[member]
        assert state.tier is not None
        for name in ("available", "pending", "balance", "credited", "spent", "expired",
                     "reversed", "forfeited"):  # fmt: skip
            assert row[name] == getattr(state, name), name
        assert (row["tier"], row["tier_since"]) == (state.tier.tier, pd.Timestamp(state.tier.since))
        assert state.credited == (
            state.available + state.pending + state.spent + state.expired + state.reversed
            + state.forfeited
        )  # fmt: skip
        rejected = {eid for eid, _ in state.rejected}
        credits = [e for e in events if isinstance(e, Adjust) and e.qualifies]
        posted = [q for q in state.qualifying if q.orders == 0 and q.reverses is None]
        assert len(posted) == len([e for e in credits if e.event_id not in rejected])
        applied = program.replay([], as_of=events[0].time, on_error="skip")
        for event in events:
            applied = program.apply(applied, event)
        assert program.replay(list(applied.events), as_of=as_of, on_error="skip") == state
        assert applied == program.replay(events, as_of=applied.as_of, on_error="skip")


@settings(max_examples=examples(60), deadline=None)
@given(drawn=_histories(), pending=st.sampled_from([0, 7]), after=st.integers(0, 60))
def test_a_qualifying_only_credit_never_changes_a_points_balance(
    drawn: tuple[pd.DataFrame, dict[str, list[Event]]], pending: int, after: int
) -> None:
    """Under earning, expiry and prices that do not read the tier, removing every
    adjustment with ``points=0`` (status only) leaves every points figure and every points
    posting as it was; under any program such an adjustment posts no points and makes
    no lot."""
    _, objects = drawn
    flat = _program(False, pending)
    flat = attrs.evolve(flat, catalogue={"mug": {"*": 300}})
    tiered = _program(True, pending)
    for events in objects.values():
        as_of = events[-1].time + dt.timedelta(days=after)
        status_only = {e.event_id for e in events if isinstance(e, Adjust) and not e.points}
        rest = [e for e in events if e.event_id not in status_only]
        with_credit = flat.replay(events, as_of=as_of, on_error="skip")
        without = flat.replay(rest, as_of=as_of, on_error="skip")
        for name in ("available", "pending", "balance", "credited", "spent", "expired",
                     "reversed", "forfeited", "debt"):  # fmt: skip
            assert getattr(with_credit, name) == getattr(without, name), name
        assert with_credit.postings == without.postings
        assert with_credit.lots == without.lots
        state = tiered.replay(events, as_of=as_of, on_error="skip")
        assert not [p for p in state.postings if p.event_id in status_only]
        assert not [lot for lot in state.lots if lot.lot_id in status_only]


def test_a_count_named_twice_is_refused() -> None:
    """``[("nights", 1), ("nights", 2)]`` could mean 3 or 2 (summed, or the last one): not
    guessed, on adjustments and purchases alike."""
    t = dt.datetime(2025, 2, 1, 10, tzinfo=SH)
    with pytest.raises(InvalidInputError, match="each name once; found 'nights' more than once"):
        Adjust("a", t, points=0, reason="card", counts=[("nights", 1), ("nights", 2)])
    with pytest.raises(CrmkitError, match="each name once"):
        Purchase("p", t, lines=[PurchaseLine("1", "10")], counts=[("nights", 1), ("nights", 2)])
