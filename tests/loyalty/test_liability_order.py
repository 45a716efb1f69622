"""The order and labels of ``points_liability``'s table (business order, not text order).

Regression: the table sorted its tiers as plain text ("gold" before "member" before
"silver") and its extra point currencies alphabetically. DESIGN asks for labels as ordered
Categoricals in business order: tiers in ladder order (lowest first), currencies in the
program's order (:attr:`Program.point_currencies`, the primary first), expiry months in
time order with ``"never"`` last. An empty member base with its program gives an empty
table of the same columns; without the program the refusal says how to get one.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty import (
    EarningScheme,
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Tier,
    TierLadder,
    points_liability,
)
from tests.strategies import examples

ZONE = "Asia/Shanghai"
TZ = zoneinfo.ZoneInfo(ZONE)
AS_OF = dt.datetime(2025, 6, 30, tzinfo=TZ)

#: Three tiers whose ladder order is not their alphabetical order.
LADDER = TierLadder(
    tiers=(
        Tier(name="member"),
        Tier(name="silver", spend=Decimal(200)),
        Tier(name="gold", spend=Decimal(1000)),
    )
)

#: Two currencies, the primary ("points") second alphabetically; miles never expire.
CLUB = Program(
    timezone=ZONE,
    tiers=LADDER,
    earning={"points": EarningScheme.base_rate(1), "miles": EarningScheme.base_rate("0.5")},
    expiry={"points": ExpiryPolicy.after_months(12), "miles": ExpiryPolicy.never()},
    point_value={"points": Decimal("0.01"), "miles": Decimal("0.02")},
)


def at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


def _club_states() -> dict[str, MemberState]:
    """Four members: two gold (January and March), one silver (April), one member (May)."""
    orders = {
        "m1": buy("a", at(2025, 3, 10, 12), "1500"),
        "m2": buy("b", at(2025, 5, 20, 12), "50"),
        "m3": buy("c", at(2025, 4, 5, 12), "300"),
        "m4": buy("d", at(2025, 1, 15, 12), "2000"),
    }
    return {who: CLUB.replay([order], as_of=AS_OF) for who, order in orders.items()}


def test_tiers_and_currencies_come_in_business_order() -> None:
    """Hand-checked: points valid 12 months (through the same day a year later), half a
    mile a yuan that never expires. Points first (the primary, though "miles" sorts
    first as text), then miles; within each, member < silver < gold (text order would be
    gold, member, silver); within gold, January 2026 before March 2026. Values: points at
    0.01 (2,000 -> 20.00), miles at 0.02 (1,750 -> 35.00)."""
    states = _club_states()
    assert {who: s.tier_name for who, s in states.items()} == {
        "m1": "gold",
        "m2": "member",
        "m3": "silver",
        "m4": "gold",
    }
    table = points_liability(states, as_of=AS_OF)
    assert table.to_dict("list") == {
        "currency": ["points", "points", "points", "points", "miles", "miles", "miles"],
        "tier": ["member", "silver", "gold", "gold", "member", "silver", "gold"],
        "expires": ["2026-05", "2026-04", "2026-01", "2026-03", "never", "never", "never"],
        "points": [50, 300, 2000, 1500, 25, 150, 1750],
        "pending": [0, 0, 0, 0, 0, 0, 0],
        "members": [1, 1, 1, 1, 1, 1, 2],
        "value": [
            Decimal("0.50"),
            Decimal("3.00"),
            Decimal("20.00"),
            Decimal("15.00"),
            Decimal("0.50"),
            Decimal("3.00"),
            Decimal("35.00"),
        ],
    }


def test_tier_and_currency_are_ordered_categoricals_of_the_program() -> None:
    """``tier`` is an ordered Categorical of the ladder's names, lowest first, and
    ``currency`` one of the program's currencies, primary first: sorting the table again
    (or comparing tiers) keeps business order; ``expires`` stays text."""
    table = points_liability(_club_states(), as_of=AS_OF)
    tier = table["tier"].dtype
    currency = table["currency"].dtype
    assert isinstance(tier, pd.CategoricalDtype)
    assert isinstance(currency, pd.CategoricalDtype)
    assert tier.ordered
    assert currency.ordered
    assert list(tier.categories) == ["member", "silver", "gold"]
    assert list(currency.categories) == ["points", "miles"]
    assert table["expires"].dtype == "str"
    resorted = table.sample(frac=1, random_state=3).sort_values(["currency", "tier", "expires"])
    pd.testing.assert_frame_equal(resorted.reset_index(drop=True), table)
    assert (table.loc[table["tier"] > "silver", "tier"] == "gold").all()


def test_extra_currencies_follow_the_program_not_the_alphabet() -> None:
    """Regression: with three currencies, the extras ("stars" then "miles" in the
    program) sorted alphabetically after the primary ("points", "miles", "stars")."""
    program = Program(
        timezone=ZONE,
        earning={
            "points": EarningScheme.base_rate(1),
            "stars": EarningScheme.base_rate("0.1"),
            "miles": EarningScheme.base_rate(2),
        },
    )
    state = program.replay([buy("a", at(2025, 3, 1), "100")], as_of=at(2025, 3, 2))
    table = points_liability([state], as_of=at(2025, 3, 2))
    assert table[["currency", "points"]].to_dict("list") == {
        "currency": ["points", "stars", "miles"],
        "points": [100, 10, 200],
    }
    assert list(table["currency"].cat.categories) == ["points", "stars", "miles"]


def test_months_in_time_order_with_never_last() -> None:
    """Three purchases out of time order (November, February, June 2025), points valid
    12 months: the months come out 2026-02, 2026-06, 2026-11; a program whose points never
    expire writes "never"."""
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(12))
    state = program.replay(
        [
            buy("n", at(2025, 11, 3), "30"),
            buy("f", at(2025, 2, 3), "10"),
            buy("j", at(2025, 6, 3), "20"),
        ],
        as_of=at(2025, 12, 1),
    )
    table = points_liability([state], as_of=at(2025, 12, 1))
    assert table[["expires", "points"]].to_dict("list") == {
        "expires": ["2026-02", "2026-06", "2026-11"],
        "points": [10, 20, 30],
    }
    forever = Program(timezone=ZONE).replay([buy("x", at(2025, 1, 1), "5")], as_of=at(2025, 1, 2))
    assert points_liability([forever], as_of=at(2025, 1, 2))["expires"].tolist() == ["never"]


def test_a_program_without_tiers_writes_an_empty_tier_as_text() -> None:
    """Without a ladder there is nothing to order by: ``tier`` is ``""`` (as documented),
    plain text, while ``currency`` is still the program's Categorical."""
    program = Program(timezone=ZONE)
    state = program.replay([buy("a", at(2025, 3, 1), "100")], as_of=at(2025, 3, 2))
    table = points_liability([state], as_of=at(2025, 3, 2))
    assert table["tier"].tolist() == [""]
    assert not isinstance(table["tier"].dtype, pd.CategoricalDtype)
    assert list(table["currency"].cat.categories) == ["points"]


def test_an_empty_member_base_with_its_program_is_an_empty_table() -> None:
    """``points_liability([], program)`` is the same empty table (columns and dtypes) as
    members whose points have all expired; a mapping works too."""
    empty = points_liability([], CLUB, as_of=AS_OF)
    assert empty.empty
    assert list(empty["tier"].cat.categories) == ["member", "silver", "gold"]
    assert list(empty["currency"].cat.categories) == ["points", "miles"]
    lapsed = Program(
        timezone=ZONE,
        tiers=LADDER,
        earning={"points": EarningScheme.base_rate(1), "miles": EarningScheme.base_rate("0.5")},
        expiry=ExpiryPolicy.after_months(1),
        point_value={"points": Decimal("0.01"), "miles": Decimal("0.02")},
    )
    state = lapsed.replay([buy("a", at(2025, 1, 1), "100")], as_of=at(2025, 1, 2))
    gone = points_liability([state], as_of=AS_OF)
    assert gone.empty
    pd.testing.assert_frame_equal(points_liability({}, lapsed, as_of=AS_OF), gone)
    assert points_liability([], program=CLUB, as_of=AS_OF).columns.tolist() == [
        "currency",
        "tier",
        "expires",
        "points",
        "pending",
        "members",
        "value",
    ]


def test_an_empty_member_base_without_a_program_says_how_to_get_a_table() -> None:
    """Regression: ``points_liability([])`` refused with no way out; the refusal now says to
    pass the program."""
    with pytest.raises(InvalidInputError) as info:
        points_liability([], as_of=AS_OF)
    assert info.value.field == "states"
    assert "pass the program" in str(info.value)
    assert "points_liability([], program, as_of=...)" in str(info.value)


def test_a_program_that_is_not_the_states_program_is_refused() -> None:
    """States replayed under another program than ``program`` are an InvalidInputError, and a
    ``program`` that is not a Program a ConfigError; the states' own program is accepted."""
    states = _club_states()
    with pytest.raises(InvalidInputError, match="one program"):
        points_liability(states, Program(timezone=ZONE), as_of=AS_OF)
    with pytest.raises(ConfigError, match="program"):
        points_liability(states, "club", as_of=AS_OF)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(
        points_liability(states, CLUB, as_of=AS_OF), points_liability(states, as_of=AS_OF)
    )


def test_a_mapping_keyed_by_str_type_checks() -> None:
    """Regression (typing): ``Mapping[Hashable, MemberState]`` rejected a caller's
    ``dict[str, MemberState]`` under mypy (Mapping is invariant in its key); this module is
    type-checked with the annotated mapping below."""
    states: dict[str, MemberState] = _club_states()
    by_number: dict[int, MemberState] = dict(enumerate(states.values()))
    pd.testing.assert_frame_equal(
        points_liability(states, as_of=AS_OF), points_liability(by_number, as_of=AS_OF)
    )


@st.composite
def _member_bases(draw: st.DrawFn) -> list[list[Purchase]]:
    """One to six members, each with zero to three purchases over 2025 (some reaching
    silver or gold)."""
    members = draw(st.integers(1, 6))
    base = []
    for m in range(members):
        orders = draw(st.lists(st.tuples(st.integers(0, 170), st.integers(1, 1500)), max_size=3))
        base.append(
            [
                buy(f"m{m}-{n}", at(2025, 1, 1, 9) + dt.timedelta(days=day), str(amount))
                for n, (day, amount) in enumerate(orders)
            ]
        )
    return base


@settings(max_examples=examples(40), deadline=None)
@given(base=_member_bases(), data=st.data())
def test_member_order_does_not_change_the_table(
    base: list[list[Purchase]], data: st.DataObject
) -> None:
    """Property: the members in any order (a list or a mapping) give the same table, and
    that table is already in business order (sorting it again changes nothing)."""
    states = [CLUB.replay(orders, as_of=AS_OF) for orders in base]
    shuffled = data.draw(st.permutations(states))
    table = points_liability(states, as_of=AS_OF)
    pd.testing.assert_frame_equal(points_liability(shuffled, as_of=AS_OF), table)
    keyed = {f"k{i}": s for i, s in enumerate(shuffled)}
    pd.testing.assert_frame_equal(points_liability(keyed, as_of=AS_OF), table)
    resorted = table.sort_values(["currency", "tier", "expires"], kind="stable")
    pd.testing.assert_frame_equal(resorted.reset_index(drop=True), table)
    assert int(table["points"].sum()) == sum(
        p.available + p.pending for s in states for p in s.by_currency.values()
    )
