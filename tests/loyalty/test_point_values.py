"""Point currencies worth different money: ``Program(point_value={currency: value})``.

A retailer's points worth ¥0.01 beside stars worth ¥0.50, or airline miles beside status
credits with no cash value: one ``point_value`` for every currency valued all but one of
them wrongly, both in the refund shortfall deducted in money (``"cash_offset"``,
``"balance_then_cash"``) and in the face value ``points_liability`` reports. A mapping gives
each currency its own value; it must name every point currency (a currency left out is a
ConfigError naming it: crmkit never guesses a money value), and a single value keeps its
meaning (every currency at that value; its JSON unchanged).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    Adjust,
    EarningScheme,
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    points_liability,
    replay_many,
)
from tests.strategies import examples, loyalty_programs

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2025, 3, 1, 10, tzinfo=SH)
#: Whole points at 1 per yuan, whole stars at 0.02 per yuan (1 star per ¥50).
POINTS_AND_STARS = {
    "points": EarningScheme.base_rate(1),
    "stars": EarningScheme.base_rate("0.02"),
}
VALUES = {"points": "0.01", "stars": "0.50"}


def _program(**changes: object) -> Program:
    fields: dict[str, object] = {
        "timezone": "Asia/Shanghai",
        "earning": POINTS_AND_STARS,
        "point_value": VALUES,
    }
    return Program(**{**fields, **changes})  # type: ignore[arg-type]


def _buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


def _day(n: int) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


# ------------------------------------------------------------------ the liability


def test_liability_values_each_currency_at_its_own_value() -> None:
    """A ¥100 order earns 100 points (1 per yuan) and 2 stars (0.02 per yuan). Points at
    ¥0.01: 100 x 0.01 = ¥1.00; stars at ¥0.50: 2 x 0.50 = ¥1.00; ¥2.00 in all. (One
    ``point_value`` of 0.01 valued the stars at 2 x 0.01 = ¥0.02.)"""
    state = _program().replay([_buy("p1", T0, "100")], as_of=_day(1))
    table = points_liability([state], as_of=_day(1)).set_index("currency")
    assert table.loc["points", "points"] == 100
    assert table.loc["points", "value"] == Decimal("1.00")
    assert table.loc["stars", "points"] == 2
    assert table.loc["stars", "value"] == Decimal("1.00")
    assert sum(table["value"]) == Decimal("2.00")


def test_liability_of_stars_kept_to_the_hundredth_values_whole_stars() -> None:
    """The same stars kept to the hundredth (``point_decimals=2``): 2.00 stars are 200
    ledger units, still 2 whole stars x ¥0.50 = ¥1.00 (the value is per whole point)."""
    earning = {
        "points": EarningScheme.base_rate(1),
        "stars": EarningScheme.base_rate("0.02", point_decimals=2),
    }
    state = _program(earning=earning).replay([_buy("p1", T0, "100")], as_of=_day(1))
    table = points_liability([state], as_of=_day(1)).set_index("currency")
    assert table.loc["stars", "points"] == 200
    assert table.loc["stars", "value"] == Decimal("1.00")
    assert table.loc["points", "value"] == Decimal("1.00")


def test_a_currency_without_cash_value_is_worth_zero_when_said_so() -> None:
    """Airline miles at ¥0.01 beside status credits with no cash value (written ``"0"``): a
    ¥1,000 fare earns 1,000 miles (¥10.00) and 1,000 x 0.1 = 100 credits (¥0.00)."""
    program = Program(
        timezone="Asia/Shanghai",
        earning={"miles": EarningScheme.base_rate(1), "credits": EarningScheme.base_rate("0.1")},
        point_value={"miles": "0.01", "credits": "0"},
    )
    state = program.replay([_buy("f1", T0, "1000")], as_of=_day(1))
    table = points_liability([state], as_of=_day(1)).set_index("currency")
    assert (table.loc["miles", "points"], table.loc["miles", "value"]) == (1000, Decimal("10.00"))
    assert (table.loc["credits", "points"], table.loc["credits", "value"]) == (100, Decimal("0.00"))


# ------------------------------------------------------------------ refund shortfalls in money


def _star_shortfall(shortfall: str, *, gift: int = 0) -> MemberState:
    """¥7,500 earns 7,500 points and 7,500 x 0.02 = 150 stars; the 150 stars are redeemed,
    then the order is refunded: the 150 stars it takes back were already spent."""
    events = [
        _buy("p1", T0, "7500"),
        Redeem("r1", _day(1), points=150, currency="stars"),
        Refund("f1", _day(2), "p1"),
    ]
    if gift:
        events.append(
            Adjust(
                "g1", _day(1) + dt.timedelta(hours=1), points=gift, reason="gift", currency="stars"
            )
        )
    return _program(shortfall=shortfall).replay(events, as_of=_day(3))


def test_a_star_shortfall_under_cash_offset_is_deducted_at_the_star_value() -> None:
    """``"cash_offset"``: 150 stars short, 150 x ¥0.50 = ¥75.00 deducted from the refund (one
    ``point_value`` of 0.01 deducted 150 x 0.01 = ¥1.50). The points were all still there:
    their state deducts nothing."""
    state = _star_shortfall("cash_offset")
    stars = state.by_currency["stars"]
    assert stars.cash_offset == Decimal("150") * Decimal("0.50") == Decimal("75.00")
    assert (stars.reversed, stars.spent, stars.available) == (150, 0, 0)
    assert state.cash_offset == Decimal("0")  # the primary (points) state
    assert state.reversed == 7500
    posting = next(p for p in stars.postings if p.kind == "cash_offset")
    assert posting.money == Decimal("75.00")


def test_a_star_shortfall_under_balance_then_cash_takes_stars_then_star_money() -> None:
    """``"balance_then_cash"`` with 50 gift stars in hand: 50 of the 150 stars short come
    from the balance, the other 100 are deducted as 100 x ¥0.50 = ¥50.00."""
    stars = _star_shortfall("balance_then_cash", gift=50).by_currency["stars"]
    assert stars.cash_offset == Decimal("50.00")
    assert (stars.available, stars.debt) == (0, 0)


def test_the_primary_currency_keeps_its_own_value_and_replay_many_its_column() -> None:
    """Points at ¥0.02 here: ¥100 earns 100 points, 80 are redeemed, the order refunded:
    80 x 0.02 = ¥1.60 deducted. ``replay_many``'s ``cash_offset`` column is the primary
    currency's (documented), equal to the replayed state's; the stars' own cash offset (2
    redeemed stars x ¥0.50 = ¥1.00) is in ``by_currency`` only."""
    program = _program(shortfall="cash_offset", point_value={"points": "0.02", "stars": "0.50"})
    events = [
        _buy("p1", T0, "100"),
        Redeem("r1", _day(1), points=80),
        Redeem("r2", _day(1), points=2, currency="stars"),
        Refund("f1", _day(2), "p1"),
    ]
    state = program.replay(events, as_of=_day(3))
    assert state.cash_offset == Decimal("1.60")
    assert state.by_currency["stars"].cash_offset == Decimal("1.00")
    naive = [t.replace(tzinfo=None) for t in (T0, _day(1), _day(1), _day(2))]
    frame = pd.DataFrame(
        {
            "member_id": ["m1"] * 4,
            "event_id": ["p1", "r1", "r2", "f1"],
            "time": pd.to_datetime(naive),
            "kind": ["purchase", "redeem", "redeem", "refund"],
            "amount": ["100", None, None, None],
            "points": [None, 80, 2, None],
            "currency": [None, None, "stars", None],
            "ref": [None, None, None, "p1"],
        }
    )
    row = replay_many(frame, program, as_of=_day(3)).loc["m1"]
    assert row["cash_offset"] == Decimal("1.60") == state.cash_offset


def test_each_one_currency_program_carries_its_own_value() -> None:
    """``compile()``: ``single`` (the primary's one-currency program) and each of
    ``others`` carry their currency's value; ``point_values`` lists them in currency
    order whatever the mapping's order."""
    compiled = _program(point_value={"stars": "0.50", "points": "0.01"}).compile()
    assert compiled.point_values == {"points": Decimal("0.01"), "stars": Decimal("0.50")}
    assert list(compiled.point_values) == ["points", "stars"]
    assert compiled.single is not None
    assert compiled.single.point_value == Decimal("0.01")
    assert compiled.others["stars"].point_value == Decimal("0.50")
    assert compiled.point_value == Decimal("0.01")


def test_a_single_currency_program_takes_a_mapping_of_its_one_currency() -> None:
    """``{"points": v}`` for a one-currency program behaves as ``point_value=v``: 80
    points short x ¥0.05 = ¥4.00 either way."""
    events = [_buy("p1", T0, "100"), Redeem("r1", _day(1), points=80), Refund("f1", _day(2), "p1")]
    mapped = Program(shortfall="cash_offset", point_value={"points": "0.05"})
    plain = Program(shortfall="cash_offset", point_value="0.05")
    assert mapped.replay(events, as_of=_day(3)) == plain.replay(events, as_of=_day(3))
    assert mapped.replay(events, as_of=_day(3)).cash_offset == Decimal("4.00")
    assert mapped.compile().point_values == {"points": Decimal("0.05")}


# ------------------------------------------------------------------ JSON


def test_a_mapping_round_trips_through_json() -> None:
    """Values are written as decimal strings, in the order given; ints are read exactly."""
    program = _program(point_value={"stars": 1, "points": "0.010"})
    data = program.to_dict()
    assert data["point_value"] == {"stars": "1", "points": "0.010"}
    assert data["schema_version"] == 2  # schema 2: several currencies' earning as a list
    back = Program.from_dict(json.loads(json.dumps(data)))
    assert back == program
    assert back.point_value == {"stars": Decimal("1"), "points": Decimal("0.010")}


def test_a_single_value_writes_and_reads_as_before() -> None:
    """No schema change: a single value is still one decimal string under schema 1, and
    JSON stored before reads unchanged."""
    program = Program(point_value="0.05")
    assert program.to_dict()["point_value"] == "0.05"
    old = {
        "schema_version": 1,
        "timezone": "UTC",
        "point_value": "0.05",
        "shortfall": "cash_offset",
    }
    loaded = Program.from_dict(old)
    assert loaded.point_value == Decimal("0.05")
    assert loaded == Program(timezone="UTC", point_value="0.05", shortfall="cash_offset")
    assert Program().to_dict()["point_value"] == "0.01"


@pytest.mark.parametrize(
    ("value", "field", "match"),
    [
        ({"points": "0.01", "stars": 0.5}, "point_value['stars']", "decimal written as a string"),
        ({"points": "0.01", "stars": None}, "point_value['stars']", "decimal written as a string"),
        ({"points": "0.01", "stars": "-1"}, "point_value['stars']", "at least 0"),
        ({"points": "0.01"}, "point_value", r"no value for \['stars'\]"),
        (
            {"points": "0.01", "stars": "1", "miles": "2"},
            "point_value",
            r"unknown currencies \['miles'\]",
        ),
        ({}, "point_value", "empty mapping"),
        ([], "point_value", "decimal written as a string"),
    ],
)
def test_from_dict_refuses_bad_mappings_naming_the_path(
    value: object, field: str, match: str
) -> None:
    data = {**_program().to_dict(), "point_value": value}
    with pytest.raises(ConfigError, match=match) as info:
        Program.from_dict(data)
    assert info.value.field == field


# ------------------------------------------------------------------ errors


def test_a_currency_left_out_is_refused_naming_it() -> None:
    """Decision: no default value for a left-out currency (no convention in the library
    fills in money); the error names the currency and says how to write "no cash value"."""
    with pytest.raises(ConfigError, match=r"no value for \['stars'\]") as info:
        _program(point_value={"points": "0.01"})
    assert info.value.field == "point_value"
    assert "'0'" in str(info.value)


@pytest.mark.parametrize(
    ("value", "field", "match"),
    [
        (
            {"points": "0.01", "stars": "0.5", "miles": "1"},
            "point_value",
            r"unknown currencies \['miles'\]",
        ),
        ({"points": "0.01", "stars": "-0.5"}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "stars": 0.5}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "stars": float("nan")}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "stars": "NaN"}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "stars": "Infinity"}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "stars": True}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "stars": None}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "stars": "1_000"}, "point_value['stars']", "a decimal at least 0"),
        ({"points": "0.01", "": "1"}, "point_value", "non-empty strings"),
        ({"points": "0.01", 7: "1"}, "point_value", "non-empty strings"),
        ({}, "point_value", "empty mapping"),
    ],
)
def test_bad_mappings_are_refused_naming_the_currency(
    value: object, field: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        _program(point_value=value)
    assert info.value.field == field


def test_a_single_value_keeps_its_validation() -> None:
    for bad in ("-0.01", 0.01, "x", None, True):
        with pytest.raises(ConfigError, match="'point_value' must be a decimal at least 0"):
            _program(point_value=bad)
    assert _program(point_value=0).point_value == Decimal(0)


# ------------------------------------------------------------------ properties


@st.composite
def _two_currency_programs(draw: st.DrawFn) -> Program:
    """A random ledger program (random shortfall policy) whose purchases also earn
    "stars" (whole, or kept to the hundredth) under their own expiry."""
    program = draw(loyalty_programs())
    assert isinstance(program, Program)
    stars = EarningScheme.base_rate(
        draw(st.sampled_from(["0.02", "0.3", "2"])), point_decimals=draw(st.sampled_from([0, 2]))
    )
    policy = draw(st.sampled_from([ExpiryPolicy.never(), ExpiryPolicy.after_days(10)]))
    # Mostly the policies that settle shortfalls in money (what the values are for).
    shortfall = draw(st.sampled_from(["cash_offset", "balance_then_cash", program.shortfall]))
    return attrs.evolve(
        program,
        shortfall=shortfall,
        earning={"points": program.earning_scheme, "stars": stars},
        expiry={"points": program.expiry_policy, "stars": policy},
        tender=None,
    )


@st.composite
def _programs_and_histories(draw: st.DrawFn) -> tuple[Program, list[object]]:
    """A two-currency program and a history under it: purchases, redemptions of either
    currency (of at most the points then available: often points a later refund takes
    back), whole refunds and gifts, hours apart, all before 2025-03-01. Events the
    ledger cannot honour (a second refund) are left out by ``on_error="skip"``."""
    program = draw(_two_currency_programs())
    events: list[object] = []
    bought: list[str] = []
    when = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
    for i in range(draw(st.integers(1, 14))):
        when += dt.timedelta(hours=draw(st.integers(0, 48)))
        kind = draw(
            st.sampled_from(
                ["purchase", "purchase", "redeem", "redeem", "refund", "refund", "gift"]
            )
        )
        currency = draw(st.sampled_from(["points", "stars"]))
        if kind == "purchase":
            cents = draw(st.integers(1, 2_000_000))
            events.append(_purchase(f"p{i}", when, Decimal(cents).scaleb(-2)))
            bought.append(f"p{i}")
        elif kind == "refund" and bought:
            events.append(Refund(f"f{i}", when, draw(st.sampled_from(bought))))
        elif kind == "redeem":
            now = program.replay(events, as_of=when, on_error="skip")  # type: ignore[arg-type]
            available = now.by_currency[currency].available
            if available:
                points = draw(st.integers(1, available))
                events.append(Redeem(f"r{i}", when, points=points, currency=currency))
        elif kind == "gift":
            points = draw(st.integers(1, 500))
            events.append(Adjust(f"g{i}", when, points=points, reason="gift", currency=currency))
    return program, events


def _purchase(event_id: str, when: dt.datetime, amount: Decimal) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


_VALUES = st.integers(0, 500).map(lambda cents: Decimal(cents).scaleb(-2))


@settings(max_examples=examples(40), deadline=None)
@given(case=_programs_and_histories(), value=_VALUES, days=st.integers(0, 90))
def test_a_single_value_equals_the_mapping_giving_every_currency_that_value(
    case: tuple[Program, list[object]], value: Decimal, days: int
) -> None:
    """``point_value=v`` and ``point_value={c: v for every c}`` are the same program in
    effect: equal states (every currency's figures, lots, postings and cash offset) and
    equal liability tables."""
    program, events = case
    single = attrs.evolve(program, point_value=value)
    mapped = attrs.evolve(program, point_value=dict.fromkeys(program.point_currencies, value))
    as_of = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    a = single.replay(events, as_of=as_of, on_error="skip")  # type: ignore[arg-type]
    b = mapped.replay(events, as_of=as_of, on_error="skip")  # type: ignore[arg-type]
    assert a == b
    assert a.to_dict() == b.to_dict()
    later = as_of + dt.timedelta(days=days)
    pd.testing.assert_frame_equal(
        points_liability([a], as_of=later), points_liability([b], as_of=later)
    )


@settings(max_examples=examples(40), deadline=None)
@given(case=_programs_and_histories(), points_value=_VALUES, stars_value=_VALUES)
def test_each_currency_under_a_mapping_is_that_currency_under_its_own_single_value(
    case: tuple[Program, list[object]], points_value: Decimal, stars_value: Decimal
) -> None:
    """Under ``{"points": a, "stars": b}`` each currency's state (its cash offset and
    postings) and liability rows are those of the program with ``point_value`` its own
    value: a mapping changes nothing but which value each currency reads."""
    program, events = case
    values = {"points": points_value, "stars": stars_value}
    mapped = attrs.evolve(program, point_value=values)
    as_of = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    state = mapped.replay(events, as_of=as_of, on_error="skip")  # type: ignore[arg-type]
    table = points_liability([state], as_of=as_of)
    for currency, value in values.items():
        alone = attrs.evolve(program, point_value=value)
        own = alone.replay(events, as_of=as_of, on_error="skip")  # type: ignore[arg-type]
        mine, theirs = state.by_currency[currency], own.by_currency[currency]
        assert mine.cash_offset == theirs.cash_offset
        assert mine.postings == theirs.postings
        assert (mine.available, mine.reversed, mine.debt) == (
            theirs.available,
            theirs.reversed,
            theirs.debt,
        )
        expected = points_liability([own], as_of=as_of)
        pd.testing.assert_frame_equal(
            table[table["currency"] == currency].reset_index(drop=True),
            expected[expected["currency"] == currency].reset_index(drop=True),
        )
