"""Qualifying points from some earning rules only (issue 14, rule 1): ``qualifying=False``
on an earning rule keeps its points out of the points that qualify for tiers.

The example is written from Hilton Honors' published terms (cited in the test docstring);
the properties check that qualifying points never exceed the points earned and that
``apply`` event by event equals ``replay``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.loyalty import (
    BaseRate,
    Condition,
    EarningRule,
    EarningScheme,
    MemberState,
    Multiplier,
    Order,
    OrderBonus,
    OrderLine,
    Program,
    Purchase,
    PurchaseLine,
    Refund,
    RefundLine,
    Tier,
    TierLadder,
)
from tests.strategies import earning_schemes, examples

NY = zoneinfo.ZoneInfo("America/New_York")


def _hilton(*, bonus_qualifies: bool = False) -> Program:
    """10 base points per US$; Gold's +80 % bonus (x1.8 on the base points) at Gold."""
    return Program(
        timezone="America/New_York",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=10),
                Multiplier(
                    id="gold-bonus",
                    factor="1.8",
                    when=Condition(tiers=["gold"]),
                    qualifying=bonus_qualifies,
                ),
            ]
        ),
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="gold", points=75_000),
                Tier(name="diamond", points=120_000),
            ]
        ),
    )


def _tier(state: MemberState) -> str | None:
    return None if state.tier is None else state.tier.tier


def _stay(event_id: str, day: int, dollars: str) -> Purchase:
    return Purchase(
        event_id, dt.datetime(2025, 3, day, 11, tzinfo=NY), lines=[PurchaseLine("room", dollars)]
    )


def test_hilton_gold_bonus_points_do_not_qualify() -> None:
    """Hilton Honors qualifies status on Base Points only. Hilton's FAQ
    (https://www.hilton.com/en/hilton-honors/support-faq/): "you earn 10 Hilton Honors Base
    Points for every US dollar spent on your room rate and other eligible room charges".
    What qualifies, as summarised at https://dealswelike.com/earning-status-hilton: "Base
    Points are calculated as the points earned from a stay not including any bonus
    points" (Gold 75,000 base points, Diamond 120,000 base points), and at
    https://thepointsguy.com/news/base-points-hilton-elite-status/: "Any other redeemable
    Hilton points you earn would not count." (Hilton's own wording of the exclusion
    unverified.) Gold's bonus: +80 % on base points, i.e. ``Multiplier(factor=1.8)``.

    A $7,500 stay earns 75,000 base points: Gold. A second stay of $100 at Gold earns
    1,000 x 1.8 = 1,800 points, of which 1,000 qualify. A third of $4,300 earns
    43,000 x 1.8 = 77,400 points, 43,000 qualifying: 75,000 + 1,000 + 43,000 = 119,000
    base points, still Gold (counting the bonus, 75,000 + 1,800 + 77,400 = 154,200, would
    wrongly be Diamond). A third of $4,400 instead: 120,000 base points, Diamond.
    """
    program = _hilton()
    events = [_stay("s1", 1, "7500"), _stay("s2", 2, "100")]
    state = program.replay(events, as_of=dt.datetime(2025, 3, 3, tzinfo=NY))
    assert state.earnings["s2"].points == 1_800
    assert state.earnings["s2"].qualifying_points == 1_000
    assert [q.points for q in state.qualifying] == [75_000, 1_000]
    assert state.available == 76_800
    assert _tier(state) == "gold"

    # 4,300 dollars more: 43,000 base points, 119,000 in all: still Gold (the bonus
    # counted, 75,000 + 1,800 + 77,400 = 154,200, would be Diamond).
    short = [*events, _stay("s3", 3, "4300")]
    state = program.replay(short, as_of=dt.datetime(2025, 3, 4, tzinfo=NY))
    assert state.available == 75_000 + 1_800 + 77_400
    assert sum(q.points for q in state.qualifying) == 119_000
    assert _tier(state) == "gold"
    counted = _hilton(bonus_qualifies=True).replay(short, as_of=dt.datetime(2025, 3, 4, tzinfo=NY))
    assert _tier(counted) == "diamond"

    # $4,400 instead: 120,000 base points exactly: Diamond.
    state = program.replay(
        [*events, _stay("s3", 3, "4400")], as_of=dt.datetime(2025, 3, 4, tzinfo=NY)
    )
    assert sum(q.points for q in state.qualifying) == 120_000
    assert _tier(state) == "diamond"


def test_refund_takes_back_only_the_qualifying_points_it_posted() -> None:
    """Refunding the $100 Gold stay (1,800 points, 1,000 qualifying) takes back 1,000
    qualifying points and 1,800 points; half of a two-night stay line, half of each."""
    program = _hilton()
    stay = Purchase(
        "s2",
        dt.datetime(2025, 3, 2, 11, tzinfo=NY),
        lines=[PurchaseLine("room", "100", quantity=2)],
    )
    events = [_stay("s1", 1, "7500"), stay, Refund("r1", dt.datetime(2025, 3, 5, tzinfo=NY), "s2")]
    state = program.replay(events, as_of=dt.datetime(2025, 3, 6, tzinfo=NY))
    assert [q.points for q in state.qualifying] == [75_000, 1_000, -1_000]
    assert state.available == 75_000
    half = [
        *events[:2],
        Refund("r1", dt.datetime(2025, 3, 5, tzinfo=NY), "s2", lines=[RefundLine("room", 1)]),
    ]
    state = program.replay(half, as_of=dt.datetime(2025, 3, 6, tzinfo=NY))
    assert [q.points for q in state.qualifying] == [75_000, 1_000, -500]
    assert state.available == 75_000 + 900


def test_qualifying_points_split_by_largest_remainder_after_rounding() -> None:
    """1 point per unit, a x1.5 non-qualifying bonus and a 10-point order bonus on 7.00:
    exact 7 + 3.5 + 10 = 20.5, floored to 20 whole points; qualifying share
    20 x 17 / 20.5 = 16.58..., 3.41... for the bonus: largest remainder gives 17 and 3."""
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            Multiplier(id="promo", factor="1.5", qualifying=False),
            OrderBonus(id="bonus", points=10),
        ]
    )
    result = scheme.earn(
        Order("o", dt.datetime(2025, 1, 1), [OrderLine("a", "7.00")]), timezone="UTC"
    )
    assert (result.points, result.qualifying_points) == (20, 17)
    assert result.lines[0].qualifying_points == 17
    assert result.to_dict()["qualifying_points"] == 17


def test_json_round_trip_and_old_json_keeps_every_rule_qualifying() -> None:
    rule = Multiplier(id="gold-bonus", factor="1.8", qualifying=False)
    assert rule.to_dict()["qualifying"] is False
    assert EarningRule.from_dict(rule.to_dict()) == rule
    old = {"kind": "multiplier", "id": "gold-bonus", "factor": "1.8"}
    assert EarningRule.from_dict(old).qualifying is True
    assert "qualifying" not in EarningRule.from_dict(old).to_dict()
    program = _hilton()
    assert Program.from_dict(program.to_dict()) == program


def test_qualifying_must_be_a_bool() -> None:
    import pytest

    from crmkit.errors import ConfigError

    with pytest.raises(ConfigError, match="qualifying"):
        Multiplier(id="x", factor=2, qualifying="no")  # type: ignore[arg-type]


@settings(max_examples=examples(60), deadline=None)
@given(scheme=earning_schemes(), amounts=st.lists(st.integers(0, 100_000), min_size=1, max_size=4))
def test_qualifying_points_never_exceed_points(scheme: EarningScheme, amounts: list[int]) -> None:
    lines = [OrderLine(str(i), Decimal(a).scaleb(-2)) for i, a in enumerate(amounts)]
    result = scheme.earn(Order("o", dt.datetime(2025, 6, 1), lines), timezone="UTC")
    assert 0 <= result.qualifying_points <= result.points
    assert result.qualifying_points == sum(line.qualifying_points for line in result.lines)
    for line in result.lines:
        assert 0 <= line.qualifying_points <= line.points
    if scheme.all_points_qualify:
        assert result.qualifying_points == result.points


@settings(max_examples=examples(40), deadline=None)
@given(
    amounts=st.lists(st.integers(1, 900_000), min_size=1, max_size=6),
    refunds=st.lists(st.booleans(), min_size=6, max_size=6),
    factor=st.sampled_from(["1.25", "1.8", "2"]),
)
def test_apply_equals_replay_and_qualifying_within_points(
    amounts: list[int], refunds: list[bool], factor: str
) -> None:
    program = Program(
        timezone="America/New_York",
        earning=EarningScheme(
            rules=[
                BaseRate(id="base", rate=10),
                Multiplier(
                    id="gold-bonus",
                    factor=factor,
                    when=Condition(tiers=["gold"]),
                    qualifying=False,
                ),
            ]
        ),
        tiers=TierLadder(tiers=[Tier(name="member"), Tier(name="gold", points=20_000)]),
    )
    events: list[Purchase | Refund] = []
    for i, cents in enumerate(amounts):
        events.append(
            Purchase(
                f"p{i}",
                dt.datetime(2025, 1, 1 + i, 9, tzinfo=NY),
                lines=[PurchaseLine("room", Decimal(cents).scaleb(-2), quantity=2)],
            )
        )
        if refunds[i]:
            events.append(
                Refund(
                    f"r{i}",
                    dt.datetime(2025, 1, 1 + i, 18, tzinfo=NY),
                    f"p{i}",
                    lines=[RefundLine("room", 1)],
                )
            )
    as_of = dt.datetime(2025, 2, 1, tzinfo=NY)
    replayed = program.replay(events, as_of=as_of)
    state = program.replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=NY))
    for event in events:
        state = program.apply(state, event)
    assert program.replay(events, as_of=state.as_of) == state
    qualifying = sum(q.points for q in replayed.qualifying)
    earned = replayed.credited - replayed.reversed
    assert 0 <= qualifying <= earned


def test_replay_many_counts_only_qualifying_points() -> None:
    """The batch replay reaches the tier the single replay does: $7,500 then $4,300 at Gold
    is 118,000 base points (Gold), not Diamond as with the 1.8x bonus counted."""
    import pandas as pd

    from crmkit.loyalty import replay_many

    frame = pd.DataFrame(
        {
            "member_id": ["m1", "m1", "m2"],
            "event_id": ["s1", "s2", "s1"],
            "time": ["2025-03-01T11:00:00-05:00", "2025-03-02T11:00:00-05:00",
                     "2025-03-01T11:00:00-05:00"],
            "kind": ["purchase", "purchase", "purchase"],
            "amount": ["7500", "4300", "100"],
            "line": ["room", "room", "room"],
        }
    )  # fmt: skip
    as_of = dt.datetime(2025, 3, 3, tzinfo=NY)
    states = replay_many(frame, _hilton(), as_of=as_of)
    assert states.loc["m1", "available"] == 75_000 + 77_400
    assert states.loc["m1", "tier"] == "gold"
    assert states.loc["m2", "tier"] == "member"
    counted = replay_many(frame, _hilton(bonus_qualifies=True), as_of=as_of)
    assert counted.loc["m1", "tier"] == "diamond"


# -- the same exclusion on a tier's earning privilege -----------------------------------


def _hilton_privileges(*, bonus_qualifies: bool = False) -> Program:
    """:func:`_hilton` with Gold's bonus written as the tier's earning privilege."""
    from crmkit.loyalty import Privilege, PrivilegeSet

    return Program(
        timezone="America/New_York",
        earning=EarningScheme(rules=[BaseRate(id="base", rate=10)]),
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="gold", points=75_000),
                Tier(name="diamond", points=120_000),
            ]
        ),
        privileges=PrivilegeSet(
            [
                Privilege(
                    id="gold-bonus",
                    kind="earning_multiplier",
                    tiers=["gold"],
                    value="1.8",
                    qualifying=bonus_qualifies,
                )
            ]
        ),
    )


def test_hilton_gold_bonus_as_a_privilege_does_not_qualify() -> None:
    """The Hilton Honors example of :func:`test_hilton_gold_bonus_points_do_not_qualify`,
    with Gold's +80 % bonus as the tier's privilege (Gold members "earn a 80% bonus (i.e.
    18 points per US Dollar spent)", https://insideflyer.co.uk/2018/01/news-flash-hilton-
    honors-making-changes/) marked ``qualifying=False``: the same balances, qualifying
    postings and tiers. $7,500: 75,000 base points, Gold; $100 at Gold: 1,800 points, 1,000
    qualifying; $4,300 more: 77,400 points, 43,000 qualifying, 119,000 in all: still Gold
    (Diamond at 120,000). With the privilege qualifying (the default) the bonus counts:
    154,200, Diamond."""
    stays = [_stay("s1", 1, "7500"), _stay("s2", 2, "100"), _stay("s3", 3, "4300")]
    as_of = dt.datetime(2025, 3, 4, tzinfo=NY)
    state = _hilton_privileges().replay(stays, as_of=as_of)
    assert state.earnings["s2"].points == 1_800
    assert state.earnings["s2"].qualifying_points == 1_000
    assert [q.points for q in state.qualifying] == [75_000, 1_000, 43_000]
    assert state.available == 75_000 + 1_800 + 77_400
    assert _tier(state) == "gold"
    by_rule = _hilton().replay(stays, as_of=as_of)
    assert (state.available, state.qualifying, _tier(state)) == (
        by_rule.available,
        by_rule.qualifying,
        _tier(by_rule),
    )
    counted = _hilton_privileges(bonus_qualifies=True).replay(stays, as_of=as_of)
    assert sum(q.points for q in counted.qualifying) == 75_000 + 1_800 + 77_400
    assert _tier(counted) == "diamond"


def test_privilege_qualifying_round_trips_and_only_on_earning_kinds() -> None:
    """``qualifying`` is written only when False, old JSON keeps the privilege qualifying,
    and a privilege that earns nothing cannot be marked non-qualifying."""
    import pytest

    from crmkit.errors import ConfigError
    from crmkit.loyalty import Privilege

    bonus = Privilege(id="b", kind="birthday_bonus", tiers=["gold"], value=2, qualifying=False)
    assert Privilege.from_dict(bonus.to_dict()) == bonus
    old = {"id": "x", "kind": "earning_multiplier", "tiers": ["gold"], "value": "2"}
    assert Privilege.from_dict(old).qualifying is True
    assert "qualifying" not in Privilege.from_dict(old).to_dict()
    program = _hilton_privileges()
    assert Program.from_dict(program.to_dict()) == program
    with pytest.raises(ConfigError, match="'qualifying' must be True unless kind"):
        Privilege(id="l", kind="quota", tiers=["gold"], quota=4, qualifying=False)
    with pytest.raises(ConfigError, match="qualifying"):
        Privilege(id="x", kind="earning_multiplier", tiers=["g"], value=2, qualifying=0)  # type: ignore[arg-type]


@settings(max_examples=examples(80), deadline=None)
@given(
    amounts=st.lists(st.integers(0, 100_000), min_size=1, max_size=4),
    rate=st.sampled_from(["1", "0.5", "10", "1.25"]),
    factor=st.sampled_from(["1", "1.2", "1.8", "2", "3.25"]),
    qualifying=st.booleans(),
    bonus=st.booleans(),
)
def test_a_privilege_multiplier_earns_and_qualifies_as_the_same_rule(
    amounts: list[int], rate: str, factor: str, qualifying: bool, bonus: bool
) -> None:
    """An earning privilege is the multiplier rule of the same factor run after the scheme's
    rules: with or without ``qualifying``, the order earns the same points, per line and in
    all, and the same qualifying points as with ``Multiplier(factor=..., qualifying=...)``
    (an order bonus beside it changes nothing to that)."""
    from crmkit.loyalty import MemberContext, Privilege

    rules: list[EarningRule] = [BaseRate(id="base", rate=rate)]
    if bonus:
        rules.append(OrderBonus(id="bonus", points=25))
    privilege = Privilege(
        id="p", kind="earning_multiplier", tiers=["gold"], value=factor, qualifying=qualifying
    )
    as_rule = Multiplier(id="privilege:p", factor=factor, qualifying=qualifying, priority=10**6)
    lines = [OrderLine(str(i), Decimal(a).scaleb(-2)) for i, a in enumerate(amounts)]
    order = Order("o", dt.datetime(2025, 6, 1), lines)
    with_privilege = EarningScheme(rules=rules).earn(
        order, MemberContext(tier="gold", privileges=[privilege]), timezone="UTC"
    )
    with_rule = EarningScheme(rules=[*rules, as_rule]).earn(order, timezone="UTC")
    assert with_privilege.points == with_rule.points
    assert with_privilege.qualifying_points == with_rule.qualifying_points
    assert [lp.qualifying_points for lp in with_privilege.lines] == [
        lp.qualifying_points for lp in with_rule.lines
    ]
    if qualifying:
        assert with_privilege.qualifying_points == with_privilege.points
