"""Programs with several point currencies (``earning`` / ``expiry`` as mappings).

A retailer co-branded with an airline: purchases earn redeemable "points" (1 per yuan,
12 months) and airline "miles" (2 per yuan, never expire); a promotional currency has no
purchase earning at all. Each currency has its own lots, consumption, refunds, debt and
expiry; redemptions and adjustments name their currency (default: the primary one).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest

from crmkit.errors import ConfigError, InsufficientPointsError, LedgerError
from crmkit.loyalty import (
    Adjust,
    CancelRedemption,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    RefundLine,
    SignUpBonus,
    Tender,
    Tier,
    TierLadder,
    event_from_dict,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def on(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SH)


def cobrand(**changes: object) -> Program:
    values: dict[str, object] = {
        "timezone": "Asia/Shanghai",
        "earning": {
            "points": EarningScheme.base_rate(1),
            "miles": EarningScheme.base_rate(2),
        },
        "expiry": {"points": ExpiryPolicy.after_months(12), "miles": ExpiryPolicy.never()},
        "tiers": TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="1000")]),
        "catalogue": {
            "mug": {"*": 300, "gold": 200},
            "lounge": {"*": 2000, "gold": 1500, "currency": "miles"},
        },
        "shortfall": "debt",
    }
    values.update(changes)
    return Program(**values)  # type: ignore[arg-type]


def totals(state: MemberState) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        name: (s.credited, s.available, s.spent, s.reversed, s.debt)
        for name, s in state.by_currency.items()
    }


def conserved(state: MemberState) -> bool:
    return all(
        s.credited == s.available + s.pending + s.spent + s.expired + s.reversed + s.forfeited
        for s in state.by_currency.values()
    )


def test_points_and_miles_earn_spend_and_refund_apart() -> None:
    program = cobrand()
    events = [
        Purchase("p1", on(2025, 3, 1), lines=[PurchaseLine("a", "600"), PurchaseLine("b", "400")]),
        Redeem("r1", on(2025, 3, 2), reward="mug"),  # gold now (spend 1000): 200 points
        Redeem("r2", on(2025, 3, 3), reward="lounge"),  # catalogue says miles: 1500 miles
        Adjust("a1", on(2025, 3, 4), points=100, reason="goodwill", currency="miles"),
        Refund("f1", on(2025, 3, 5), "p1", lines=[RefundLine("a")]),  # 600 points, 1200 miles
    ]
    state = program.replay(events, as_of=on(2025, 3, 6))
    # points: 1000 earned, 200 spent, 600 reversed from the 800 left of the lot.
    # miles: 2000 earned + 100 adjusted, 1500 spent; the refund takes 1200 back from the
    # 500 left of the purchase lot: 500 reversed, 700 owed (debt), 100 of it repaid at
    # once from the 100-mile lot.
    assert totals(state) == {
        "points": (1000, 200, 200, 600, 0),
        "miles": (2100, 0, 1600, 500, 600),
    }
    assert state.available == 200
    assert state.point_currency == "points"
    assert state.by_currency["miles"].point_currency == "miles"
    assert state.tier_name == "gold"  # tiers count the primary currency's qualifying
    assert state.by_currency["miles"].tier_name == "gold"
    kinds = [p.kind for p in state.by_currency["miles"].postings]
    assert kinds[:3] == ["earn", "redeem", "adjust"]
    assert kinds[-1] == "repay"
    assert [p.kind for p in state.postings][:2] == ["earn", "redeem"]
    assert conserved(state)


def test_expiry_is_per_currency() -> None:
    program = cobrand()
    events = [Purchase("p1", on(2025, 3, 1), lines=[PurchaseLine("a", "50")])]
    state = program.replay(events, as_of=on(2026, 3, 3))
    points, miles = state.by_currency["points"], state.by_currency["miles"]
    assert (points.available, points.expired) == (0, 50)
    assert (miles.available, miles.expired) == (100, 0)
    assert state.expiring(30) == 0
    assert miles.lots[0].expires_at is None


def test_redeem_names_its_currency_and_checks_that_balance() -> None:
    program = cobrand()
    buy = Purchase("p1", on(2025, 3, 1), lines=[PurchaseLine("a", "300")])  # 300 pts, 600 mi
    state = program.replay(
        [buy, Redeem("r1", on(2025, 3, 2), points=500, currency="miles")], as_of=on(2025, 3, 2)
    )
    assert totals(state)["miles"][1:3] == (100, 500)
    assert state.available == 300
    with pytest.raises(InsufficientPointsError, match="600"):
        program.replay(
            [buy, Redeem("r1", on(2025, 3, 2), points=700, currency="miles")],
            as_of=on(2025, 3, 2),
        )
    skipped = program.replay(
        [buy, Redeem("r1", on(2025, 3, 2), reward="lounge")], as_of=on(2025, 3, 2), on_error="skip"
    )
    assert [eid for eid, _ in skipped.rejected] == ["r1"]  # 2000 miles > 600
    assert totals(skipped) == totals(program.replay([buy], as_of=on(2025, 3, 2)))


def test_unknown_currency_is_a_ledger_error() -> None:
    t = on(2025, 3, 1)
    with pytest.raises(LedgerError, match="currency"):
        cobrand().replay([Adjust("a1", t, points=5, reason="x", currency="euros")], as_of=t)
    with pytest.raises(LedgerError, match="currency"):
        Program().replay([Adjust("a1", t, points=5, reason="x", currency="miles")], as_of=t)
    plain = Program().replay([Adjust("a1", t, points=5, reason="x", currency="points")], as_of=t)
    assert plain.available == 5


def test_cancel_restores_the_miles_lots() -> None:
    program = cobrand()
    events = [
        Purchase("p1", on(2025, 3, 1), lines=[PurchaseLine("a", "1000")]),
        Redeem("r1", on(2025, 3, 2), reward="lounge"),  # gold: 1500 miles
        CancelRedemption("c1", on(2025, 3, 3), "r1"),
    ]
    state = program.replay(events, as_of=on(2025, 3, 4))
    assert totals(state) == {"points": (1000, 1000, 0, 0, 0), "miles": (2000, 2000, 0, 0, 0)}
    assert [p.kind for p in state.by_currency["miles"].postings] == ["earn", "redeem", "cancel"]
    with pytest.raises(LedgerError, match="redemption_id"):
        program.replay(
            [*events, CancelRedemption("c2", on(2025, 3, 4), "r9")], as_of=on(2025, 3, 5)
        )


def test_points_tender_is_paid_in_the_primary_currency() -> None:
    program = cobrand()
    events = [
        Adjust("g1", on(2025, 3, 1), points=500, reason="gift"),
        Purchase(
            "p1",
            on(2025, 3, 2),
            lines=[PurchaseLine("a", "100")],
            tenders=[Tender("points", "5.00", points=500), Tender("card", "95.00")],
        ),
    ]
    state = program.replay(events, as_of=on(2025, 3, 3))
    # The 5 yuan paid with points earn nothing in either currency.
    assert totals(state) == {"points": (595, 95, 500, 0, 0), "miles": (190, 190, 0, 0, 0)}


def test_a_promotional_currency_without_purchase_earning() -> None:
    program = Program(
        earning={"points": EarningScheme.base_rate(1), "promo": EarningScheme(rules=[])},
        expiry={"points": ExpiryPolicy.never(), "promo": ExpiryPolicy.after_days(7)},
    )
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    events = [
        Purchase("p1", t, lines=[PurchaseLine("a", "80")]),
        Adjust("a1", t, points=50, reason="campaign", currency="promo"),
    ]
    state = program.replay(events, as_of=t + dt.timedelta(days=8))
    assert totals(state) == {"points": (80, 80, 0, 0, 0), "promo": (50, 0, 0, 0, 0)}
    assert state.by_currency["promo"].expired == 50


def test_sign_up_bonus_per_currency() -> None:
    program = Program(
        earning={
            "points": EarningScheme(rules=[SignUpBonus(id="w", points=100, trigger="enroll")]),
            "miles": EarningScheme(rules=[SignUpBonus(id="w", points=1000, trigger="enroll")]),
        }
    )
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    state = program.replay([Enroll("e", t)], as_of=t)
    assert {n: s.available for n, s in state.by_currency.items()} == {"points": 100, "miles": 1000}
    with pytest.raises(LedgerError):
        program.replay([Enroll("e", t), Enroll("e2", t)], as_of=t)


def test_single_currency_programs_and_events_serialise_as_before() -> None:
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert "currency" not in Redeem("r", t, points=5).to_dict()
    assert "currency" not in Adjust("a", t, points=5, reason="x").to_dict()
    data = Adjust("a", t, points=5, reason="x", currency="miles").to_dict()
    assert data["currency"] == "miles"
    assert event_from_dict(json.loads(json.dumps(data))) == Adjust(
        "a", t, points=5, reason="x", currency="miles"
    )
    plain = Program()
    assert isinstance(plain.to_dict()["earning"]["rules"], list)
    assert plain.point_currencies == ("points",)
    assert list(plain.replay([], as_of=t).by_currency) == ["points"]


def test_json_round_trip_of_several_currencies() -> None:
    program = cobrand()
    data = json.loads(json.dumps(program.to_dict()))
    # The primary currency is the first: several are a list, in order (schema 2).
    assert [entry["currency"] for entry in data["earning"]] == ["points", "miles"]
    assert list(data["expiry"]) == ["points", "miles"]
    assert data["catalogue"]["lounge"]["currency"] == "miles"
    again = Program.from_dict(data)
    assert again == program
    one_policy = cobrand(expiry=ExpiryPolicy.after_days(30))
    assert Program.from_dict(json.loads(json.dumps(one_policy.to_dict()))) == one_policy
    assert one_policy.expiry_policy == ExpiryPolicy.after_days(30)
    assert program.earning_scheme == EarningScheme.base_rate(1)


def test_apply_agrees_with_replay_with_several_currencies() -> None:
    program = cobrand()
    events = [
        Purchase("p1", on(2025, 3, 1), lines=[PurchaseLine("a", "600"), PurchaseLine("b", "400")]),
        Redeem("r1", on(2025, 3, 2), reward="lounge"),
        Adjust("a1", on(2025, 3, 3), points=-50, reason="fix", currency="miles"),
        Refund("f1", on(2025, 3, 4), "p1"),
    ]
    state = program.replay([], as_of=on(2025, 3, 1))
    for event in events:
        state = program.apply(state, event)
    assert state == program.replay(events, as_of=state.as_of)
    assert program.apply(state, events[1]) == state
    assert conserved(state)
    # Everything earned was reversed; the miles spent became debt (shortfall "debt").
    assert totals(state)["miles"] == (2000, 0, 1550, 450, 1550)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"earning": {}}, "at least one point currency"),
        ({"earning": {"": EarningScheme.base_rate(1)}}, "point currency names"),
        ({"earning": {"points": "x"}}, r"earning\['points'\]"),
        ({"expiry": {"points": ExpiryPolicy.never()}}, "a policy for each currency"),
        (
            {"earning": EarningScheme.base_rate(1), "expiry": {"points": ExpiryPolicy.never()}},
            "a policy for each currency",
        ),
        ({"catalogue": {"mug": {"*": 5, "currency": "euros"}}}, "point currencies"),
        ({"catalogue": {"mug": {"*": 5, "currency": ""}}}, "currency name"),
    ],
)
def test_bad_currency_configs(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        cobrand(**changes)


def test_catalogue_currency_in_a_single_currency_program() -> None:
    program = Program(catalogue={"mug": {"*": 30, "currency": "points"}})
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    events = [Adjust("a", t, points=50, reason="gift"), Redeem("r", t, reward="mug")]
    assert program.replay(events, as_of=t).available == 20
    assert Program.from_dict(json.loads(json.dumps(program.to_dict()))) == program
    assert Decimal(program.point_value) == Decimal("0.01")


def test_a_miles_tender_can_spend_miles_that_become_usable_at_that_instant() -> None:
    """Regression (found by the two-currency state machine): a ¥0.50 purchase earns 2 x 0.50
    = 1 mile, pending 7 days. A purchase paid with that 1 mile exactly 7 days later was
    refused ("at most the 0 available") because the miles book was checked before it was
    brought to the purchase's instant; the primary book was already there. Both orders of
    the events, and ``apply``, now give the same state: the mile spent, none left."""
    program = Program(
        timezone="UTC",
        earning={"points": EarningScheme.base_rate(1), "miles": EarningScheme.base_rate(2)},
        expiry={"points": ExpiryPolicy.never(), "miles": ExpiryPolicy.never()},
        pending_days=7,
    )
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    earn = Purchase("p0", t0, lines=[PurchaseLine("1", "0.50")])
    spend = Purchase(
        "q0",
        t0 + dt.timedelta(days=7),
        lines=[PurchaseLine("1", "0.01")],
        tenders=[Tender("points", "0.01", points=1, currency="miles")],
    )
    stepped = program.apply(program.replay([earn], as_of=t0), spend)
    for order in ([earn, spend], [spend, earn]):
        state = program.replay(order, as_of=spend.time)
        assert state == stepped
        assert (state.by_currency["miles"].available, state.by_currency["miles"].spent) == (0, 1)
