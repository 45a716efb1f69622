"""Programs that run several tier ladders at once (``Program.tiers`` as a mapping).

An airline with a status ladder on qualifying miles and a co-brand club ladder on spend:
every ladder reads the same qualifying postings; bare tier names mean the primary (first)
ladder; ``"ladder:tier"`` names a tier of any ladder in conditions, privileges and prices.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    BaseRate,
    Condition,
    EarningScheme,
    Enroll,
    Multiplier,
    Privilege,
    PrivilegeSet,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Tier,
    TierLadder,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def on(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SH)


STATUS = TierLadder(
    tiers=[Tier(name="blue"), Tier(name="silver", points=10_000), Tier(name="gold", points=30_000)],
    downgrade="one_down",
)
CLUB = TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", spend="5000")])


def airline(**changes: object) -> Program:
    """Miles at 1 per yuan, doubled for co-brand club "plus" members; two ladders."""
    values: dict[str, object] = {
        "name": "airline",
        "timezone": "Asia/Shanghai",
        "earning": EarningScheme(
            rules=[
                BaseRate(id="base", rate=1),
                Multiplier(id="club-x2", factor=2, when=Condition(tiers=["club:plus"])),
            ]
        ),
        "tiers": {"status": STATUS, "club": CLUB},
        "privileges": PrivilegeSet(
            [
                Privilege(id="lounge", kind="quota", tiers=["silver", "gold"], quota=4),
                Privilege(id="shipping", kind="free_shipping", tiers=["club:plus"]),
                Privilege(id="priority", kind="benefit", tiers=["status:gold"]),
            ]
        ),
        "catalogue": {"upgrade": {"*": 5000, "silver": 4000, "club:plus": 3500}},
    }
    values.update(changes)
    return Program(**values)  # type: ignore[arg-type]


def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


def flights() -> list[Purchase]:
    return [
        buy("p1", on(2025, 2, 1), "4000"),  # blue/basic: 4000 miles; spend 4000
        buy("p2", on(2025, 3, 1), "2000"),  # blue/basic: 2000 miles; spend 6000 -> plus
        buy("p3", on(2025, 4, 1), "3000"),  # plus: x2 = 6000 miles; miles 12000 -> silver
    ]


def test_airline_status_and_club_ladders() -> None:
    program = airline()
    state = program.replay(flights(), as_of=on(2025, 4, 2))
    assert state.available == 12_000
    assert [lot.amount for lot in state.lots] == [4000, 2000, 6000]
    assert state.tier_name == "silver"  # the primary ladder: the first of the mapping
    assert state.tier is state.tiers_by_ladder["status"]
    assert state.tier_names == {"status": "silver", "club": "plus"}
    assert state.tiers_by_ladder["club"].since == on(2025, 3, 1)
    assert state.tiers_by_ladder["club"].counters.spend == Decimal(9000)
    assert state.tiers_by_ladder["status"].next_tier == "gold"
    assert [p.id for p in state.privileges] == ["lounge", "shipping"]
    assert program.primary_ladder == "status"
    assert program.ladder is STATUS


def test_catalogue_price_takes_the_lowest_matching_tier() -> None:
    program = airline()
    state = program.replay(
        [*flights(), Redeem("r1", on(2025, 4, 2), "upgrade")], as_of=on(2025, 4, 3)
    )
    assert state.available == 12_000 - 3500  # silver 4000, club:plus 3500 -> 3500
    # Silver alone (club basic): the primary ladder's price.
    events = [buy("p1", on(2025, 2, 1), "4900"), buy("p2", on(2025, 2, 5), "4999")]
    events = [*events, buy("p3", on(2025, 2, 6), "0.50")]
    events.append(Redeem("r1", on(2025, 2, 7), "upgrade"))
    silver_only = airline(catalogue={"upgrade": {"*": 5000, "silver": 4000}})
    state = silver_only.replay(events, as_of=on(2025, 2, 8))
    assert state.tier_names == {"status": "blue", "club": "plus"}
    assert state.spent == 5000


def test_catalogue_star_price_without_matching_tier() -> None:
    program = airline()
    events = [buy("p1", on(2025, 2, 1), "6000"), Redeem("r1", on(2025, 2, 2), "upgrade")]
    state = program.replay(events, as_of=on(2025, 2, 3))
    # club plus from p1 (spend 6000) -> 3500; status blue (6000 miles < 10000)
    assert state.tier_names == {"status": "blue", "club": "plus"}
    assert (state.spent, state.available) == (3500, 2500)
    no_club = airline(catalogue={"upgrade": {"*": 5000, "silver": 4000}})
    state = no_club.replay(events, as_of=on(2025, 2, 3))
    assert (state.spent, state.available) == (5000, 1000)


def test_privileges_follow_their_own_ladder() -> None:
    program = airline()
    events = [*flights(), buy("p4", on(2025, 5, 1), "9000")]  # plus: 18000 -> 30000 miles
    state = program.replay(events, as_of=on(2025, 5, 2))
    assert state.tier_names == {"status": "gold", "club": "plus"}
    assert [p.id for p in state.privileges] == ["lounge", "priority", "shipping"]
    # Next year the club window restarts (calendar year); plus holds to the end of 2026.
    later = program.replay(events, as_of=on(2027, 1, 2))
    assert later.tier_names == {"status": "silver", "club": "basic"}
    assert [p.id for p in later.privileges] == ["lounge"]


def test_single_ladder_is_the_main_ladder() -> None:
    program = Program(tiers=CLUB, catalogue={"mug": {"*": 500, "plus": 400}})
    state = program.replay([buy("p1", on(2025, 2, 1), "6000")], as_of=on(2025, 2, 2))
    assert state.tiers_by_ladder == {"main": state.tier}
    assert state.tier_names == {"main": "plus"}
    assert list(program.ladders) == ["main"]
    nested = {k: v for k, v in CLUB.to_dict().items() if k != "schema_version"}
    assert program.to_dict()["tiers"] == nested  # the ladder's own form, nested
    plain = Program().replay([], as_of=on(2025, 1, 1))
    assert (plain.tiers_by_ladder, plain.tier_names, Program().primary_ladder) == ({}, {}, None)


def test_json_round_trip_of_several_ladders() -> None:
    program = airline()
    data = json.loads(json.dumps(program.to_dict()))
    assert [entry["name"] for entry in data["tiers"]] == ["status", "club"]  # in order
    again = Program.from_dict(data)
    assert again == program
    assert list(again.ladders) == ["status", "club"]
    # A ladder may even be called "tiers".
    odd = Program(tiers={"tiers": STATUS, "club": CLUB})
    assert Program.from_dict(json.loads(json.dumps(odd.to_dict()))) == odd


def test_apply_agrees_with_replay_with_several_ladders() -> None:
    program = airline()
    events = [Enroll("e", on(2025, 1, 5)), *flights(), Redeem("r1", on(2025, 4, 2), "upgrade")]
    state = program.replay([], as_of=on(2025, 1, 1))
    for event in events:
        state = program.apply(state, event)
    full = program.replay(events, as_of=state.as_of)
    assert state == full
    assert state.tiers_by_ladder == full.tiers_by_ladder


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"tiers": {}}, "at least one ladder"),
        ({"tiers": {"a:b": STATUS}}, "without ':'"),
        ({"tiers": {"status": STATUS, "club": "nope"}}, r"tiers\['club'\]"),
        ({"tiers": [STATUS]}, "a mapping of ladder name"),
        ({"catalogue": {"mug": {"club:gold": 1}}}, "unknown tiers"),
        (
            {
                "earning": EarningScheme(
                    rules=[Multiplier(id="m", factor=2, when=Condition(tiers=["club:gold"]))]
                )
            },
            "Multiplier",
        ),
        (
            {"privileges": PrivilegeSet([Privilege(id="x", kind="benefit", tiers=["plus"])])},
            "Privilege",
        ),
        (
            {
                "privileges": PrivilegeSet(
                    [Privilege(id="x", kind="benefit", tiers=["gold", "club:plus"])]
                )
            },
            "tiers of one ladder",
        ),
    ],
)
def test_bad_ladder_configs(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        airline(**changes)


def test_qualified_names_that_collide_are_rejected() -> None:
    odd = TierLadder(tiers=[Tier(name="base"), Tier(name="club:plus", spend="10")])
    with pytest.raises(ConfigError, match="name one tier"):
        Program(tiers={"main": odd, "club": CLUB})


@given(st.lists(st.integers(min_value=1, max_value=9000), min_size=1, max_size=12))
def test_each_ladder_agrees_with_a_program_of_that_ladder_alone(amounts: list[int]) -> None:
    events = [
        buy(f"p{i}", on(2025, 1, 1) + dt.timedelta(days=37 * i), str(a))
        for i, a in enumerate(amounts)
    ]
    as_of = on(2027, 6, 1)
    both = Program(timezone="Asia/Shanghai", tiers={"status": STATUS, "club": CLUB})
    state = both.replay(events, as_of=as_of)
    for name, ladder in (("status", STATUS), ("club", CLUB)):
        alone = Program(timezone="Asia/Shanghai", tiers=ladder).replay(events, as_of=as_of)
        assert state.tiers_by_ladder[name] == alone.tier


def test_replay_many_adds_a_column_per_other_ladder() -> None:
    from crmkit import datasets
    from crmkit.loyalty import replay_many
    from crmkit.loyalty._replay_many import events_from_frame

    frame = datasets.loyalty_events(n_members=6, seed=2)
    program = Program(
        timezone="Asia/Shanghai",
        tiers={
            "status": STATUS,
            "club": TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", spend="2000")]),
        },
    )
    as_of = frame["time"].max()
    states = replay_many(frame, program, as_of=as_of)
    assert list(states.columns[-3:]) == ["events", "rejected", "tier_club"]
    assert list(states["tier_club"].cat.categories) == ["basic", "plus"]
    assert list(states["tier"].cat.categories) == ["blue", "silver", "gold"]
    for who, events in events_from_frame(frame, program).items():
        state = program.replay(events, as_of=as_of, on_error="skip")
        assert states.loc[who, "tier_club"] == state.tier_names["club"]
        assert states.loc[who, "tier"] == state.tier_name
    assert set(states["tier_club"]) == {"basic", "plus"}
