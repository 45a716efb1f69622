"""Issue 14: regressions for the bugs found against real programs' terms."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import crmkit.loyalty._program as program_module
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    EarningScheme,
    Program,
    Purchase,
    PurchaseLine,
    Refund,
    RefundLine,
    Tender,
    Tier,
    TierLadder,
)
from crmkit.loyalty._events import Event

ZONE = "Asia/Shanghai"
TZ = zoneinfo.ZoneInfo(ZONE)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def test_tier_points_thresholds_are_in_points_when_points_have_decimals() -> None:
    """Regression: with ``point_decimals=2`` a ``Tier(points=1000)`` was compared with ledger
    units (hundredths), so a member reached gold at 10 points.

    1 point per yuan, 2 decimals: ¥10 earns 10.00 points = 1,000 units; gold needs 1,000
    points = 100,000 units, i.e. ¥1,000 of spend.
    """
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", points=1000)],
        lifetime=[Tier(name="gold", points=5000)],
    )
    scheme = EarningScheme(rules=[BaseRate(id="b", rate=Decimal(1))], point_decimals=2)
    program = Program(timezone=ZONE, earning=scheme, tiers=ladder)
    small = [Purchase("p1", at(2025, 3, 1), lines=[PurchaseLine("1", "10")])]
    state = program.replay(small, as_of=at(2025, 3, 2))
    assert state.available == 1_000  # 10.00 points
    assert state.tier_name == "member"
    status = state.tier
    assert status is not None
    assert status.missing == {"points": 99_000}  # 990.00 points still to go, in ledger units
    enough = [*small, Purchase("p2", at(2025, 3, 5), lines=[PurchaseLine("1", "990")])]
    state = program.replay(enough, as_of=at(2025, 3, 6))
    assert state.tier_name == "gold"
    assert state.tier is not None
    assert state.tier.lifetime_floor is None
    # Lifetime: 5,000 points = 500,000 units; ¥4,000 more gives 5,000.00 points in all.
    life = [*enough, Purchase("p3", at(2025, 4, 1), lines=[PurchaseLine("1", "4000")])]
    state = program.replay(life, as_of=at(2025, 4, 2))
    assert state.tier is not None
    assert state.tier.lifetime_floor == "gold"


def test_whole_point_programs_keep_their_thresholds() -> None:
    """The fix scales thresholds by ``10**point_decimals``: 1 for whole points."""
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", points=1000)])
    program = Program(timezone=ZONE, tiers=ladder)
    events: list[Event] = [Purchase("p1", at(2025, 3, 1), lines=[PurchaseLine("1", "999")])]
    assert program.replay(events, as_of=at(2025, 3, 2)).tier_name == "member"
    events.append(Adjust("a", at(2025, 3, 3), points=5, reason="gift"))
    assert (
        program.replay(events, as_of=at(2025, 3, 4)).tier_name == "member"
    )  # gifts do not qualify
    events.append(Purchase("p2", at(2025, 3, 5), lines=[PurchaseLine("1", "1")]))
    assert program.replay(events, as_of=at(2025, 3, 6)).tier_name == "gold"


def test_partial_refund_of_points_paid_order_restores_exact_points() -> None:
    """Regression: refunding the ¥100 line of a ¥300 order paid 3,000 points + ¥270 gave
    back 999 points (100/300 was rounded to 28 digits before multiplying by 3,000).

    Exact: 3,000 x 100 / 300 = 1,000 points.
    """
    program = Program(timezone=ZONE)
    events: list[Event] = [
        Adjust("g", at(2025, 1, 1), points=3000, reason="gift"),
        Purchase(
            "p",
            at(2025, 1, 2),
            lines=[PurchaseLine("a", "100"), PurchaseLine("b", "200")],
            tenders=[Tender("points", "30", points=3000), Tender("cash", "270")],
        ),
        Refund("r", at(2025, 1, 3), "p", lines=[RefundLine("a")]),
    ]
    state = program.replay(events, as_of=at(2025, 1, 4))
    restore = [p for p in state.postings if p.kind == "tender_restore"]
    assert [p.points for p in restore] == [1000]
    rest = program.replay([*events, Refund("r2", at(2025, 1, 5), "p")], as_of=at(2025, 1, 6))
    assert sum(p.points for p in rest.postings if p.kind == "tender_restore") == 3000


def test_program_module_docstring_names_only_existing_methods() -> None:
    """Regression: the module docstring named a ``Program.replay_many`` that does not exist."""
    doc = program_module.__doc__
    assert doc is not None
    assert "Program.replay_many" not in doc
    assert "replay_many(" in doc  # the function is named as it exists
    assert not hasattr(Program, "replay_many")
