"""The finance view: points liability and breakage (issue 14), hand-checked and properties."""

import datetime as dt
import math
import zoneinfo
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty import (
    EarningScheme,
    ExpiryPolicy,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    Tier,
    TierLadder,
    breakage,
    points_liability,
    replay_many,
)
from crmkit.loyalty._replay_many import events_from_frame
from tests.strategies import examples

ZONE = "Asia/Shanghai"
TZ = zoneinfo.ZoneInfo(ZONE)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def buy(event_id: str, when: dt.datetime, amount: str) -> Purchase:
    return Purchase(event_id, when, lines=[PurchaseLine("1", amount)])


LADDER = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend=Decimal(1000))])


def test_liability_by_expiry_month_and_tier_valued_at_point_value() -> None:
    """Points valid 12 months (through the same day a year later, local): 300 points earned
    on 10 March 2025 are a liability of March 2026; 1,200 earned on 31 May of a gold member
    one of May 2026. 1 point = 0.01 yuan: 300 -> 3.00, 1,200 + 50 pending -> 12.50."""
    program = Program(
        timezone=ZONE,
        expiry=ExpiryPolicy.after_months(12),
        tiers=LADDER,
        pending_days=7,
    )
    a = program.replay([buy("a1", at(2025, 3, 10, 12), "300")], as_of=at(2025, 6, 30))
    b = program.replay(
        [buy("b1", at(2025, 5, 31, 20), "1200"), buy("b2", at(2025, 6, 29), "50")],
        as_of=at(2025, 6, 30),
    )
    table = points_liability({"m1": a, "m2": b}, as_of=at(2025, 6, 30))
    # Tiers in ladder order (member below gold, an ordered categorical), then months.
    assert table.to_dict("list") == {
        "currency": ["points", "points", "points"],
        "tier": ["member", "gold", "gold"],
        "expires": ["2026-03", "2026-05", "2026-06"],
        "points": [300, 1200, 50],
        "pending": [0, 0, 50],
        "members": [1, 1, 1],
        "value": [Decimal("3.00"), Decimal("12.00"), Decimal("0.50")],
    }
    assert int(table["points"].sum()) == a.available + a.pending + b.available + b.pending


def test_liability_moves_earlier_states_forward_and_drops_what_expired() -> None:
    """A state replayed on 1 January is read at 1 July: points valid 3 months are gone."""
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(3))
    state = program.replay([buy("p", at(2025, 1, 1, 9), "100")], as_of=at(2025, 1, 1, 10))
    assert points_liability([state], as_of=at(2025, 3, 31))["points"].tolist() == [100]
    assert points_liability([state], as_of=at(2025, 7, 1)).empty
    with pytest.raises(InvalidInputError, match="as_of"):
        points_liability([state], as_of=at(2024, 12, 31))
    other = Program(timezone="UTC").replay([], as_of=at(2025, 1, 1))
    with pytest.raises(InvalidInputError, match="one program"):
        points_liability([state, other], as_of=at(2025, 3, 1))
    with pytest.raises(InvalidInputError, match="MemberState"):
        points_liability([object()], as_of=at(2025, 3, 1))  # type: ignore[list-item]


def test_liability_values_whole_points_when_points_have_decimals() -> None:
    """0.1 point per yuan with 2 decimals: ¥318.99 earns 31.89 points = 3,189 units,
    worth 31.89 x 0.01 = 0.32 yuan (to the fen)."""
    scheme = EarningScheme.base_rate("0.1", point_decimals=2)
    program = Program(timezone=ZONE, earning=scheme)
    state = program.replay([buy("a", at(2025, 3, 1), "318.99")], as_of=at(2025, 3, 2))
    row = points_liability([state], as_of=at(2025, 3, 2)).iloc[0]
    assert (row["points"], row["expires"], row["value"]) == (3189, "never", Decimal("0.32"))


def test_breakage_cohorts_with_refunds_and_a_hand_checked_estimate() -> None:
    """Points valid 6 months. January cohort: 200 issued, 60 redeemed, 140 expired (mature);
    February: 100 bought, 40 refunded -> 60 issued, 10 redeemed, 50 open. Rate from the
    mature cohort: 140 / (140 + 60) = 0.7 of the issued points expire; February is expected
    to end with 60 x 0.7 = 42 expired (between 0 expired and 0 + 50 open), so its ultimate
    is 42 / 60 = 0.7 and 60 - 42 = 18 points are expected to be redeemed (10 already); all
    cohorts (140 + 42) / 260 = 0.7. (Before the IFRS 15 IE52 check the open points were
    charged the rate afresh: (0 + 50 x 0.7) / 60 = 0.5833, as if the 10 redeemed were not
    part of the 30 % that get redeemed.)"""
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(6))
    events = {
        "m1": [buy("a", at(2025, 1, 15), "100"), Redeem("r", at(2025, 2, 1), points=60)],
        "m2": [buy("b", at(2025, 1, 20), "100")],
        "m3": [
            buy("c", at(2025, 2, 3), "60"),
            Purchase("d", at(2025, 2, 4), lines=[PurchaseLine("1", "40")]),
            Refund("f", at(2025, 2, 5), "d"),
            Redeem("r3", at(2025, 2, 6), points=10),
        ],
    }
    result = breakage(events, program, as_of=at(2025, 7, 31))
    table = result.cohorts
    assert table[["issued", "redeemed", "expired", "open"]].to_dict("index") == {
        "2025-01": {"issued": 200, "redeemed": 60, "expired": 140, "open": 0},
        "2025-02": {"issued": 60, "redeemed": 10, "expired": 0, "open": 50},
    }
    assert (result.method, result.basis) == ("resolved-ratio", "mature")
    assert result.rate == pytest.approx(0.7)
    assert table.loc["2025-02", "ultimate"] == pytest.approx(42 / 60)
    assert table["expected_redeemed"].tolist() == pytest.approx([60, 18])
    assert table.loc["2025-01", "observed"] == pytest.approx(0.7)
    assert result.ultimate == pytest.approx(182 / 260)
    data = result.to_dict()
    assert data["method"] == "resolved-ratio"
    assert data["cohorts"][0]["cohort"] == "2025-01"


def test_breakage_without_a_mature_cohort_says_so() -> None:
    """Points that never expire: nothing is mature; the rate pools all resolved points
    (here none expired, so 0) and ``basis`` says ``"all"``."""
    program = Program(timezone=ZONE)
    events = {"m1": [buy("a", at(2025, 1, 15), "100"), Redeem("r", at(2025, 2, 1), points=60)]}
    result = breakage(events, program, as_of=at(2025, 7, 31))
    assert (result.basis, result.rate, result.ultimate) == ("all", 0.0, 0.0)
    empty = breakage({"m": []}, program, as_of=at(2025, 7, 31))
    assert math.isnan(empty.rate)
    assert empty.to_dict()["ultimate"] is None
    with pytest.raises(ConfigError, match="sources"):
        breakage(events, program, as_of=at(2025, 7, 31), sources=("gift",))
    with pytest.raises(InvalidInputError, match="events"):
        breakage(None, program, as_of=at(2025, 7, 31))  # type: ignore[arg-type]


@settings(max_examples=examples(10))
@given(seed=st.integers(0, 10_000), months=st.integers(1, 12))
def test_breakage_conserves_points_and_reads_tables_like_mappings(seed: int, months: int) -> None:
    """Property: every cohort splits exactly (issued = redeemed + expired + open); over all
    sources the cohorts add up to the members' credited minus reversed points; a table and
    its per-member events give the same result."""
    frame = datasets.loyalty_events(n_members=5, seed=seed)
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(months))
    as_of = frame["time"].max().to_pydatetime()
    sources = ("purchase", "enroll", "adjust")
    result = breakage(frame, program, as_of=as_of, sources=sources, on_error="skip")
    table = result.cohorts
    assert (table["issued"] == table["redeemed"] + table["expired"] + table["open"]).all()
    states = replay_many(frame, program, as_of=as_of, on_error="skip")
    assert int(table["issued"].sum()) == int((states["credited"] - states["reversed"]).sum())
    assert int(table["expired"].sum()) == int(states["expired"].sum())
    assert int(table["open"].sum()) == int((states["available"] + states["pending"]).sum())
    again = breakage(
        events_from_frame(frame, program), program, as_of=as_of, sources=sources, on_error="skip"
    )
    pd.testing.assert_frame_equal(again.cohorts, table)


# ------------------------------------------------ IFRS 15, Illustrative Example 52


def _ie52_events(year2: bool) -> dict[str, list[Purchase | Redeem]]:
    """Ten members buy 10,000 each in March of Year 1 (2025): 1 point per 10, 10,000 points.
    Five redeem 900 each in Year 1 (4,500); in Year 2 (2026) five more redeem 800 each."""
    events: dict[str, list[Purchase | Redeem]] = {}
    for i in range(10):
        mine: list[Purchase | Redeem] = [buy(f"p{i}", at(2025, 3, 1 + i, 12), "10000")]
        if i < 5:
            mine.append(Redeem(f"r{i}", at(2025, 9, 1 + i, 12), points=900))
        elif year2:
            mine.append(Redeem(f"r{i}", at(2026, 5, 1 + i, 12), points=800))
        events[f"m{i}"] = mine
    return events


def test_ifrs15_example_52_revenue_from_the_cohort_rows() -> None:
    """IFRS 15 Illustrative Example 52 (IE267-IE270), as the KPMG "Revenue - IFRS 15
    handbook" (2019) reproduces it as its Example 10A (http://hozir.org/revenue--ifrs-15-
    handbook/hozir.org/revenue--ifrs-15-handbook.html?page=280): one point per 10 spent,
    10,000 points on 100,000 of purchases, the entity "expects 97% of customers' points to
    be redeemed" (9,700), the points are allocated 9,000; "4,500 of the points are redeemed
    and C continues to expect that 9,700 points will be redeemed in total ... 4,175 = 9,000
    x 4,500 / 9,700"; then "a further 4,000 points are redeemed ... it now expects 9,900
    ... 3,552 = (9,000 x (4,500 + 4,000) / 9,900) - 4,175". (The IASB's own text rounds the
    first figure to 4,174 and the second to 3,553.)

    With management's estimate passed as ``rate`` (0.03, then 0.01) the cohort row gives
    ``expected_redeemed`` 9,700 and 9,900 and ``redeemed`` 4,500 and 8,500, so revenue to
    date = 9,000 x redeemed / expected_redeemed: 4,175.26 -> 4,175, then 7,727.27 ->
    7,727, a Year 2 revenue of 7,727 - 4,175 = 3,552 and a contract liability of 9,000 -
    7,727 = 1,273. ``points_liability`` values the 1,500 points still held at their face
    value (1,500 at 1 a point), which is not that contract liability.
    """
    program = Program(timezone=ZONE, earning=EarningScheme.base_rate("0.1"), point_value=Decimal(1))
    allocated = Decimal(9000)
    end1, end2 = at(2025, 12, 31, 23, 59), at(2026, 12, 31, 23, 59)
    year1 = breakage(_ie52_events(False), program, as_of=end1, rate=0.03)
    assert (year1.method, year1.basis) == ("given", "given")
    row1 = year1.cohorts.loc["2025-03"]
    assert (row1["issued"], row1["redeemed"], row1["expected_redeemed"]) == (10_000, 4_500, 9_700)
    to_date1 = (allocated * int(row1["redeemed"]) / int(row1["expected_redeemed"])).quantize(1)
    assert to_date1 == 4_175
    year2 = breakage(_ie52_events(True), program, as_of=end2, rate=0.01)
    row2 = year2.cohorts.loc["2025-03"]
    assert (row2["redeemed"], row2["expected_redeemed"]) == (8_500, 9_900)
    to_date2 = (allocated * int(row2["redeemed"]) / int(row2["expected_redeemed"])).quantize(1)
    assert (to_date2, to_date2 - to_date1, allocated - to_date2) == (7_727, 3_552, 1_273)
    states = {who: program.replay(evs, as_of=end2) for who, evs in _ie52_events(True).items()}
    face = points_liability(states, as_of=end2)
    assert (int(face["points"].sum()), sum(face["value"])) == (1_500, Decimal("1500.00"))


def test_a_cohort_behaving_like_the_mature_one_gets_its_breakage() -> None:
    """The rate is a share of *issued* points, so a young cohort that behaves exactly like
    the mature one must get the same ultimate breakage. Points valid 6 months; each month
    one member buys 100 and redeems 50 within the month, the rest expires. January
    (mature at 31 July): 100 issued, 50 redeemed, 50 expired: rate 0.5. July, seen on 31
    July: 100 issued, 50 redeemed, 50 open: it ends like January, ultimate 0.5 (50 of the
    open 50 expected to expire; the resolved-ratio projection used before, (0 + 50 x 0.5)
    / 100 = 0.25, halved it). A given rate of 0.8 cannot be reached by July (at most
    50 + 0 = 50 of 100 can still expire): 0.5; a rate of 0.2 (20 of 100) cannot undo the
    50 January already lost: January stays at 0.5, July 0.2.
    """
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(6))
    events = {
        f"m{month}": [
            buy(f"p{month}", at(2025, month, 2, 12), "100"),
            Redeem(f"r{month}", at(2025, month, 20, 12), points=50),
        ]
        for month in (1, 7)
    }
    result = breakage(events, program, as_of=at(2025, 7, 31, 23))
    assert (result.rate, result.basis) == (0.5, "mature")
    assert result.cohorts["ultimate"].tolist() == [0.5, 0.5]
    assert result.cohorts["expected_redeemed"].tolist() == [50.0, 50.0]
    assert result.ultimate == 0.5
    high = breakage(events, program, as_of=at(2025, 7, 31, 23), rate=0.8)
    assert high.cohorts["ultimate"].tolist() == [0.5, 0.5]
    low = breakage(events, program, as_of=at(2025, 7, 31, 23), rate=0.2)
    assert low.cohorts["ultimate"].tolist() == [0.5, 0.2]
    assert low.ultimate == pytest.approx(70 / 200)


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan"), "0.03", True])
def test_a_given_rate_outside_zero_one_is_refused(rate: object) -> None:
    """``rate`` must be a number in [0, 1]: the error names the parameter."""
    with pytest.raises(ConfigError, match="'rate'"):
        breakage({}, Program(), as_of=at(2025, 1, 1), rate=rate)  # type: ignore[arg-type]


@settings(max_examples=examples(25))
@given(
    issued=st.integers(1, 10_000),
    split=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    rate=st.floats(0, 1),
)
def test_expected_redeemed_stays_within_what_is_certain(
    issued: int, split: tuple[float, float], rate: float
) -> None:
    """Property: the projection never expects fewer redemptions than made already nor more
    than the open points allow, and equals issued x (1 - rate) when that fits."""
    redeemed = int(issued * split[0])
    expired = int((issued - redeemed) * split[1])
    still_open = issued - redeemed - expired
    cohorts = pd.DataFrame(
        {"issued": [issued], "redeemed": [redeemed], "expired": [expired], "open": [still_open]}
    )
    from crmkit.loyalty._finance import _project

    ultimate, expected = _project(cohorts, rate)
    assert redeemed - 1e-9 <= expected[0] <= redeemed + still_open + 1e-9
    assert expected[0] == pytest.approx(issued - ultimate[0] * issued)
    if redeemed <= issued * (1 - rate) <= redeemed + still_open:
        assert expected[0] == pytest.approx(issued * (1 - rate))


def test_a_fully_refunded_cohort_adds_nothing_to_the_ultimate() -> None:
    """February's only purchase is refunded in full: issued 0, NaN ratios, and the ultimate
    of all cohorts is January's 140 / 200 = 0.7, not NaN."""
    program = Program(timezone=ZONE, expiry=ExpiryPolicy.after_months(6))
    events = {
        "m1": [buy("a", at(2025, 1, 15), "100"), Redeem("r", at(2025, 2, 1), points=60)],
        "m2": [buy("b", at(2025, 1, 20), "100")],
        "m3": [buy("c", at(2025, 2, 3), "60"), Refund("f", at(2025, 2, 5), "c")],
    }
    result = breakage(events, program, as_of=at(2025, 7, 31))
    assert result.cohorts.loc["2025-02", "issued"] == 0
    assert math.isnan(result.cohorts.loc["2025-02", "expected_redeemed"])
    assert result.ultimate == pytest.approx(0.7)
