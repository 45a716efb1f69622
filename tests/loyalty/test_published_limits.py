"""Limits on points between members as real programmes publish them (issue 14, rule 7):
amounts in multiples of N points, yearly caps on points given and received, and the number
of members in a pool.

Each test quotes the clause with the address it was read at (a page quoting or
summarising the programme's terms: said so) and checks crmkit's figures by hand.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from crmkit.errors import ConfigError, LedgerError
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    EarningScheme,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Tender,
    TenderPolicy,
    TransferPolicy,
    pool_points,
    transfer,
)

NY = zoneinfo.ZoneInfo("America/New_York")
PROGRAM = Program(timezone="America/New_York")

#: Marriott Bonvoy, as listed at https://awardwallet.com/blog/how-to-transfer-marriott-
#: bonvoy-points-to-another-account/: "You can transfer a maximum of 100,000 points per
#: calendar year from your account. You can receive a maximum of 500,000 points per
#: calendar year. The minimum transfer amount is 1,000 points. Transfer in increments of
#: 1,000 points." (the same figures at https://milesopedia.com/en/actualites/programmes/
#: marriott-bonvoy-transfer-points/). Marriott's own terms not read.
MARRIOTT = TransferPolicy(
    minimum=1_000, multiple_of=1_000, yearly_cap=100_000, yearly_receive_cap=500_000
)

#: Hilton Honors Points Pooling, Hilton's FAQ as quoted in the FlyerTalk wikipost
#: (https://www.flyertalk.com/forum/hilton-hilton-honors/1882126-hilton-points-pooling-
#: account-closed-beware-printerfriendly.html?printwiki=1): "A total of 11 Hilton Honors
#: Members can pool their Points together. One Member initiates the pooling and up to 10
#: other Members can contribute." and "A Member can transfer a minimum of 1,000 Points and
#: a maximum of 500,000 Points into a pool in a calendar year." The receiving limit and the
#: increments, as summarised at https://www.flystaypoints.com.au/hilton-honors-rolls-
#: pooling-option/: "Transfer may be made in increments of 1,000 Points" and "Members can
#: send up to 500,000 points and receive up to 2,000,000 per calendar year".
HILTON_POOL = TransferPolicy(
    minimum=1_000,
    multiple_of=1_000,
    yearly_cap=500_000,
    yearly_receive_cap=2_000_000,
    max_pool_members=11,
)


def _member(name: str, points: int, *extra: Adjust) -> MemberState:
    t = dt.datetime(2025, 1, 2, 9, tzinfo=NY)
    gift = [Adjust(f"{name}-g", t, points=points, reason="gift")] if points else []
    events = [*gift, *extra]
    return PROGRAM.replay(events, as_of=max((e.time for e in events), default=t))


def _events(state: MemberState) -> list[Adjust]:
    return list(state._snap.events())  # type: ignore[arg-type]


def test_marriott_transfers_in_increments_of_1000() -> None:
    """Marriott: "Transfer in increments of 1,000 points": 2,000 goes, 2,500 is refused
    naming the limit; 500 is below the 1,000 minimum."""
    ann = _member("ann", 50_000)
    bob = _member("bob", 0)
    t = dt.datetime(2025, 3, 1, 12, tzinfo=NY)
    move = transfer(ann, 2_000, PROGRAM, MARRIOTT, transfer_id="t1", time=t, receiver=bob)
    assert move.points == 2_000
    assert move.fee == 0
    with pytest.raises(LedgerError, match=r"a multiple of 1000 points \(multiple_of\)"):
        transfer(ann, 2_500, PROGRAM, MARRIOTT, transfer_id="t2", time=t, receiver=bob)
    with pytest.raises(LedgerError, match=r"at least 1000 \(minimum\)"):
        transfer(ann, 500, PROGRAM, MARRIOTT, transfer_id="t3", time=t, receiver=bob)


def test_marriott_gives_at_most_100000_a_calendar_year() -> None:
    """Marriott: "a maximum of 100,000 points per calendar year from your account".
    60,000 in March and 40,000 in June use the cap; 1,000 more in December is refused
    (0 left); on 1 January 2026, New York time, the cap starts again."""
    ann = _member("ann", 300_000)
    bob = _member("bob", 0)
    first = transfer(
        ann, 60_000, PROGRAM, MARRIOTT, transfer_id="t1",
        time=dt.datetime(2025, 3, 1, 12, tzinfo=NY), receiver=bob,
    )  # fmt: skip
    ann = PROGRAM.replay([*_events(ann), *first.sender_events], as_of=first.sender_events[0].time)
    second = transfer(
        ann, 40_000, PROGRAM, MARRIOTT, transfer_id="t2",
        time=dt.datetime(2025, 6, 1, 12, tzinfo=NY), receiver=bob,
    )  # fmt: skip
    ann = PROGRAM.replay([*_events(ann), *second.sender_events], as_of=second.sender_events[0].time)
    with pytest.raises(
        LedgerError,
        match=r"at most 0 \(yearly cap 100000, 100000 already sent this year: "
        r"TransferPolicy\.yearly_cap\)",
    ):
        transfer(
            ann, 1_000, PROGRAM, MARRIOTT, transfer_id="t3",
            time=dt.datetime(2025, 12, 31, 23, 59, tzinfo=NY), receiver=bob,
        )  # fmt: skip
    new_year = transfer(
        ann, 100_000, PROGRAM, MARRIOTT, transfer_id="t4",
        time=dt.datetime(2026, 1, 1, 0, 0, tzinfo=NY), receiver=bob,
    )  # fmt: skip
    assert new_year.points == 100_000


def test_marriott_receives_at_most_500000_a_calendar_year() -> None:
    """Marriott: "You can receive a maximum of 500,000 points per calendar year". Bob has
    received 480,000 this year (from five senders); 30,000 more would make 510,000: at
    most 20,000 (refused, naming the limit); 20,000 goes. The receiver's state is needed."""
    t = dt.datetime(2025, 5, 1, 9, tzinfo=NY)
    received = [
        Adjust(f"in{k}", t + dt.timedelta(days=k), points=96_000, reason="transfer_in")
        for k in range(5)
    ]
    bob = _member("bob", 0, *received)
    ann = _member("ann", 100_000)
    at = dt.datetime(2025, 9, 1, 12, tzinfo=NY)
    with pytest.raises(
        LedgerError,
        match=r"at most 20000 \(yearly receive cap 500000, 480000 already received this "
        r"year: TransferPolicy\.yearly_receive_cap\)",
    ):
        transfer(ann, 30_000, PROGRAM, MARRIOTT, transfer_id="t1", time=at, receiver=bob)
    assert (
        transfer(ann, 20_000, PROGRAM, MARRIOTT, transfer_id="t1", time=at, receiver=bob).points
        == 20_000
    )
    with pytest.raises(LedgerError, match=r"'receiver'.*yearly_receive_cap is 500000"):
        transfer(ann, 20_000, PROGRAM, MARRIOTT, transfer_id="t1", time=at)


def test_hilton_pool_of_at_most_11_members() -> None:
    """Hilton: "A total of 11 Hilton Honors Members can pool their Points together. One
    Member initiates the pooling and up to 10 other Members can contribute." Ten
    contributors of 1,000 each and the redeemer: 11 members, 10,000 points pooled; an
    eleventh contributor makes 12 members: refused, naming the limit."""
    at = dt.datetime(2025, 6, 1, 12, tzinfo=NY)
    redeemer = _member("red", 0)
    contributors = {f"m{k:02d}": (_member(f"m{k:02d}", 5_000), 1_000) for k in range(11)}
    ten = dict(list(contributors.items())[:10])
    pooled = pool_points(ten, "red", PROGRAM, HILTON_POOL, pool_id="p1", time=at, receiver=redeemer)
    assert pooled.points == 10_000
    assert sum(e.points for e in pooled.events["red"]) == 10_000
    with pytest.raises(
        LedgerError, match=r"at most 11 members in a pool.*max_pool_members.*found 12 members"
    ):
        pool_points(
            contributors, "red", PROGRAM, HILTON_POOL, pool_id="p2", time=at, receiver=redeemer
        )


def test_hilton_pool_shares_minimum_increments_and_yearly_caps() -> None:
    """Hilton: "A Member can transfer a minimum of 1,000 Points and a maximum of 500,000
    Points into a pool in a calendar year"; increments of 1,000; receive up to 2,000,000.
    A share of 1,500 is refused (multiple_of); a contributor who pooled 499,000 this year
    may give 1,000 more, not 2,000; a redeemer who received 1,995,000 may take 5,000 more."""
    at = dt.datetime(2025, 8, 1, 12, tzinfo=NY)
    earlier = dt.datetime(2025, 2, 1, 12, tzinfo=NY)
    ann = _member("ann", 600_000, Adjust("ann-o", earlier, points=-499_000, reason="pool_out"))
    red = _member(
        "red",
        0,
        *(
            Adjust(f"red-i{k}", earlier, points=399_000, reason="pool_in")
            for k in range(5)  # 1,995,000 received
        ),
    )
    with pytest.raises(LedgerError, match=r"multiple of 1000 points \(multiple_of\).*'ann'"):
        pool_points({"ann": (ann, 1_500)}, "red", PROGRAM, HILTON_POOL, pool_id="p", time=at,
                    receiver=red)  # fmt: skip
    with pytest.raises(LedgerError, match=r"at most 1000 \(yearly cap 500000, 499000 already"):
        pool_points({"ann": (ann, 2_000)}, "red", PROGRAM, HILTON_POOL, pool_id="p", time=at,
                    receiver=red)  # fmt: skip
    ok = pool_points({"ann": (ann, 1_000)}, "red", PROGRAM, HILTON_POOL, pool_id="p", time=at,
                     receiver=red)  # fmt: skip
    assert ok.points == 1_000
    bob = _member("bob", 10_000)
    with pytest.raises(LedgerError, match=r"at most 5000 \(yearly receive cap 2000000"):
        pool_points(
            {"ann": (ann, 1_000), "bob": (bob, 5_000)}, "red", PROGRAM, HILTON_POOL,
            pool_id="p", time=at, receiver=red,
        )  # fmt: skip
    # The redeemer's own entry is read when no receiver is given.
    pooled = pool_points(
        {"bob": (bob, 5_000), "red": (red, 1)}, "red", PROGRAM, HILTON_POOL, pool_id="p", time=at
    )
    assert pooled.points == 5_000


def test_pool_policy_refuses_a_fee_and_none_keeps_no_limits() -> None:
    at = dt.datetime(2025, 8, 1, 12, tzinfo=NY)
    ann = _member("ann", 5_000)
    with pytest.raises(ConfigError, match="without a fee"):
        pool_points({"ann": (ann, 1_000)}, "red", PROGRAM, TransferPolicy(fee_points=10),
                    pool_id="p", time=at)  # fmt: skip
    assert pool_points({"ann": (ann, 1_234)}, "red", PROGRAM, pool_id="p", time=at).points == 1_234


def test_old_policy_json_loads_without_limits() -> None:
    old = {"expiry": "keep", "minimum": 1, "fee_points": 0, "fee_rate": "0", "yearly_cap": None}
    policy = TransferPolicy.from_dict(old)
    assert (policy.multiple_of, policy.yearly_receive_cap, policy.max_pool_members) == (
        1,
        None,
        None,
    )
    assert TransferPolicy.from_dict(HILTON_POOL.to_dict()) == HILTON_POOL
    assert HILTON_POOL.to_dict()["max_pool_members"] == 11
    with pytest.raises(ConfigError, match="max_pool_members"):
        TransferPolicy(max_pool_members=1)
    with pytest.raises(ConfigError, match="multiple_of"):
        TransferPolicy(multiple_of=0)


# ----------------------------------------------------- points tender limits (JD beans)

#: JD.com beans (京豆), as summarised at http://www.kxting.com/article/20230110/5817768.html:
#: "京豆是按100:1兑换等值人民币,在下单时直接抵扣 ... 抵扣比例不能超过50%,也就是说你下单实物
#: 定单金额40元,最多京豆只能使用2000,也就是抵扣20元 ... 都是1000的倍数" (100 beans = ¥1,
#: at most 50 % of a physical-goods order: on ¥40 at most 2,000 beans, in multiples of
#: 1,000). JD's own terms not read.
JD = TenderPolicy(max_share="0.5", multiple_of=1_000, points_per_unit=100)
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _jd_order(event_id: str, beans: int, yuan: str) -> Purchase:
    paid = Decimal(yuan)
    return Purchase(
        event_id,
        dt.datetime(2025, 5, 1, 12, tzinfo=SH),
        lines=[PurchaseLine("1", "40.00")],
        tenders=[Tender("points", paid, points=beans), Tender("card", Decimal("40.00") - paid)],
    )


def test_jd_beans_pay_at_most_half_in_multiples_of_1000() -> None:
    """A ¥40 order: 2,000 beans pay ¥20 (half): accepted, 5,000 - 2,000 = 3,000 beans
    left (the program earns nothing here). 3,000 beans (¥30, 75 %) is over ``max_share``;
    1,500 beans (¥15) is not a multiple of 1,000; 2,000 beans recorded as paying ¥25 breaks
    the 100-beans-per-yuan rate. Each refusal names its limit; ``on_error="skip"`` leaves
    the order out."""
    program = Program(
        timezone="Asia/Shanghai", earning=EarningScheme(rules=[BaseRate(id="b", rate=0)]), tender=JD
    )
    gift = Adjust("g", dt.datetime(2025, 4, 1, tzinfo=SH), points=5_000, reason="gift")
    as_of = dt.datetime(2025, 5, 2, tzinfo=SH)
    state = program.replay([gift, _jd_order("o1", 2_000, "20.00")], as_of=as_of)
    assert state.available == 3_000
    assert state.spent == 2_000
    for beans, yuan, limit in (
        (3_000, "30.00", r"at most 0.5 of the order's 40.00 \(max_share\)"),
        (1_500, "15.00", r"a multiple of 1000 points \(multiple_of\)"),
        (2_000, "25.00", r"20 paid for 2000 points \(points_per_unit 100\)"),
    ):
        with pytest.raises(LedgerError, match=limit):
            program.replay([gift, _jd_order("o2", beans, yuan)], as_of=as_of)
        skipped = program.replay([gift, _jd_order("o2", beans, yuan)], as_of=as_of, on_error="skip")
        assert skipped.available == 5_000
        assert [event_id for event_id, _ in skipped.rejected] == ["o2"]
    # Without the policy the same orders replay (today's behaviour).
    free = Program(
        timezone="Asia/Shanghai", earning=EarningScheme(rules=[BaseRate(id="b", rate=0)])
    )
    assert free.replay([gift, _jd_order("o2", 3_000, "30.00")], as_of=as_of).available == 2_000


def test_tender_policy_json_round_trip_and_old_program_json() -> None:
    program = Program(timezone="Asia/Shanghai", tender=JD)
    assert Program.from_dict(program.to_dict()) == program
    assert program.to_dict()["tender"]["multiple_of"] == 1_000
    assert "tender" not in Program(timezone="Asia/Shanghai").to_dict()
    with pytest.raises(ConfigError, match="max_share"):
        TenderPolicy(max_share="1.5")
