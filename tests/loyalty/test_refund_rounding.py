"""``EarningScheme.refund_rounding``: how a partial refund's share of a line's points rounds.

Hand-checked example (Youzan's deduction rounded up) and properties: the shares of a line
refunded in several goes add up to the line's points in every mode, each share is the
mode's rounding of ``points x units / all units`` cumulatively, incremental ``apply``
equals ``replay``, and points are conserved.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit._rounding import round_integral
from crmkit.errors import ConfigError
from crmkit.loyalty import EarningScheme, Program, Purchase, PurchaseLine, Refund, RefundLine
from tests.strategies import examples

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 1, 10, tzinfo=UTC)
MODES = ("floor", "ceiling", "down", "up", "half_up", "half_down", "half_even")


def _program(mode: str, rate: str = "0.1") -> Program:
    return Program(timezone="UTC", earning=EarningScheme.base_rate(rate, refund_rounding=mode))


def test_youzan_rounding_up_and_back_to_the_whole_line() -> None:
    """10 points on 100 units: 22 refunded takes ceil(2.2) = 3; 50 more: ceil(7.2) - 3 =
    5; the last 28: 10 - 8 = 2 (the whole line's 10 in all). Floor: 2, 5, 3."""
    order = Purchase("b", T0, lines=[PurchaseLine("1", "100", quantity=100)])
    refunds = [
        Refund(f"r{n}", T0 + dt.timedelta(days=n + 1), "b", lines=[RefundLine("1", quantity=q)])
        for n, q in enumerate((22, 50, 28))
    ]
    for mode, steps in (("ceiling", [3, 8, 10]), ("floor", [2, 7, 10])):
        program = _program(mode)
        seen = [
            program.replay([order, *refunds[: k + 1]], as_of=T0 + dt.timedelta(days=5)).reversed
            for k in range(3)
        ]
        assert seen == steps, mode
    scheme = EarningScheme.base_rate("0.1", refund_rounding="ceiling")
    assert scheme.to_dict()["refund_rounding"] == "ceiling"
    assert EarningScheme.from_dict(scheme.to_dict()) == scheme
    assert "refund_rounding" not in EarningScheme.base_rate("0.1").to_dict()
    with pytest.raises(ConfigError, match="refund_rounding"):
        EarningScheme.base_rate("0.1", refund_rounding="round_up")


@settings(max_examples=examples(100), deadline=None)
@given(
    st.sampled_from(MODES),
    st.integers(1, 60),
    st.integers(1, 5_000),
    st.lists(st.integers(1, 20), min_size=1, max_size=6),
)
def test_refund_shares_round_cumulatively_and_add_up(
    mode: str, units: int, cents: int, parts: list[int]
) -> None:
    program = _program(mode, rate="1")
    amount = f"{cents / 100:.2f}"
    order = Purchase("b", T0, lines=[PurchaseLine("1", amount, quantity=units)])
    earned = program.replay([order], as_of=T0).credited
    events: list[object] = [order]
    done = 0
    for n, part in enumerate(parts):
        take = min(part, units - done)
        if not take:
            break
        done += take
        events.append(
            Refund(
                f"r{n}", T0 + dt.timedelta(hours=n + 1), "b", lines=[RefundLine("1", quantity=take)]
            )
        )
        state = program.replay(events, as_of=T0 + dt.timedelta(days=1))  # type: ignore[arg-type]
        assert state.reversed == round_integral(Fraction(earned * done, units), mode)
        assert state.credited == state.available + state.reversed + state.spent + state.forfeited
    state = program.replay([], as_of=T0)
    for event in events:
        state = program.apply(state, event)  # type: ignore[arg-type]
    assert state == program.replay(events, as_of=state.as_of)  # type: ignore[arg-type]
    if done == units:
        assert state.reversed == earned


def _two_lines(mode: str, scope: str) -> Program:
    return Program(
        timezone="UTC",
        earning=EarningScheme.base_rate("0.1", refund_rounding=mode, refund_rounding_scope=scope),
    )


def test_youzan_rounds_the_refund_once_per_order() -> None:
    """Youzan (help.youzan.com, "订单退款如何扣除积分?"): "积分获取的时候是向下取整,积分扣除
    是向上取整。例如:店铺10元1积分,订单100元,退款22元会扣3积分" (points earned are rounded
    down, points deducted rounded up: at 1 point per ¥10, refunding ¥22 of a ¥100 order
    deducts 3). The deduction is on the refunded amount, so a ¥22 refund spread over two
    lines deducts 3 as well: ¥100 = ¥60 (60 units) + ¥40 (40 units), 10 points; 11 units
    back from each line is ¥22, 2.2 points, rounded up once: 3 (per line: ceil(1.1) +
    ceil(1.1) = 4). Then 20 more units of the first line: 31/60 x 6 + 11/40 x 4 = 4.2
    cumulative, ceil 5, so 2 more; the rest: 10 in all."""
    order = Purchase(
        "o",
        T0,
        lines=[PurchaseLine("a", "60", quantity=60), PurchaseLine("b", "40", quantity=40)],
    )
    refunds = [
        Refund(
            "r1", T0 + dt.timedelta(days=1), "o", lines=[RefundLine("a", 11), RefundLine("b", 11)]
        ),
        Refund("r2", T0 + dt.timedelta(days=2), "o", lines=[RefundLine("a", 20)]),
        Refund("r3", T0 + dt.timedelta(days=3), "o"),
    ]
    as_of = T0 + dt.timedelta(days=4)
    for scope, steps in (("per_order", [3, 5, 10]), ("per_line", [4, 6, 10])):
        program = _two_lines("ceiling", scope)
        assert program.replay([order], as_of=T0).available == 10
        seen = [program.replay([order, *refunds[:k]], as_of=as_of).reversed for k in (1, 2, 3)]
        assert seen == steps, scope
    scheme = EarningScheme.base_rate("0.1", refund_rounding_scope="per_order")
    assert scheme.to_dict()["refund_rounding_scope"] == "per_order"
    assert EarningScheme.from_dict(scheme.to_dict()) == scheme
    assert "refund_rounding_scope" not in EarningScheme.base_rate("0.1").to_dict()
    with pytest.raises(ConfigError, match="refund_rounding_scope"):
        EarningScheme.base_rate("0.1", refund_rounding_scope="per_refund")


@settings(max_examples=examples(100), deadline=None)
@given(
    st.sampled_from(MODES),
    st.lists(st.tuples(st.integers(1, 5_000), st.integers(1, 12)), min_size=1, max_size=4),
    st.lists(st.lists(st.integers(0, 12), min_size=4, max_size=4), min_size=1, max_size=5),
)
def test_per_order_refund_shares_are_the_order_share_rounded_once(
    mode: str, lines: list[tuple[int, int]], steps: list[list[int]]
) -> None:
    """``refund_rounding_scope="per_order"``: after every refund the points taken back are
    the mode's rounding of the order's exact share (each line's points x its refunded
    units / its units, summed), so the parts add up and a full refund takes back exactly
    what was earned; ``apply`` equals ``replay``; a one-line order is the same either way."""
    program = _two_lines(mode, "per_order")
    order = Purchase(
        "o",
        T0,
        lines=[
            PurchaseLine(f"l{i}", f"{cents / 100:.2f}", quantity=units)
            for i, (cents, units) in enumerate(lines)
        ],
    )
    earned_lines = {
        lp.line_id: lp.points for lp in program.replay([order], as_of=T0).earnings["o"].lines
    }
    refunded = dict.fromkeys(earned_lines, 0)
    events: list[object] = [order]
    for n, step in enumerate(steps):
        wanted = []
        for (line_id, units), asked in zip(
            ((f"l{i}", u) for i, (_, u) in enumerate(lines)), step, strict=False
        ):
            take = min(asked, units - refunded[line_id])
            if take:
                wanted.append(RefundLine(line_id, take))
                refunded[line_id] += take
        if not wanted:
            continue
        events.append(Refund(f"r{n}", T0 + dt.timedelta(hours=n + 1), "o", lines=wanted))
        state = program.replay(events, as_of=T0 + dt.timedelta(days=1))  # type: ignore[arg-type]
        exact = sum(
            (
                Fraction(earned_lines[f"l{i}"] * refunded[f"l{i}"], units)
                for i, (_, units) in enumerate(lines)
            ),
            Fraction(0),
        )
        assert state.reversed == round_integral(exact, mode)
    state = program.replay([], as_of=T0)
    for event in events:
        state = program.apply(state, event)  # type: ignore[arg-type]
    assert state == program.replay(events, as_of=state.as_of)  # type: ignore[arg-type]
    everything = program.replay(
        [*events, Refund("last", T0 + dt.timedelta(days=2), "o")]  # type: ignore[list-item]
        if any(refunded[k] < u for k, (_, u) in zip(refunded, lines, strict=True))
        else events,  # type: ignore[arg-type]
        as_of=T0 + dt.timedelta(days=3),
    )
    assert everything.reversed == sum(earned_lines.values())
    if len(lines) == 1:
        per_line = _two_lines(mode, "per_line")
        assert per_line.replay(events, as_of=state.as_of).reversed == state.reversed  # type: ignore[arg-type]
