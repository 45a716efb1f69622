"""The general earning path against an exact ``Fraction`` reference (issue 14, speed).

:func:`crmkit._rounding.largest_remainder` splits in integer arithmetic (every weight over
one common denominator) instead of ``Fraction`` quotas, and ``EarningScheme.earn`` reads
its rules from the compiled ``_SchemeEngine``. These properties hold both to what the
rational computation gives: the split itself on generated weights, and every
:class:`EarningResult` (line points, bonus shares, cap splits, per-rule attribution,
qualifying points) of generated schemes, orders and members, earned once with the
library's split and once with the ``Fraction`` reference patched in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from crmkit._rounding import largest_remainder
from crmkit.loyalty import EarningScheme, MemberContext, Order, Privilege, _rules
from tests.strategies import earning_schemes, loyalty_orders, member_contexts

TZ = "Asia/Shanghai"


def fraction_split(total: int, weights: Sequence[Decimal | int]) -> list[int]:
    """Largest remainder on exact rationals: floors of ``total * w / sum(w)``, then one
    unit each to the largest fractional parts, ties to the earlier position."""
    if not weights:
        return []
    exact = [Fraction(w) for w in weights]
    sum_w = sum(exact, Fraction(0))
    if sum_w == 0:
        exact = [Fraction(1)] * len(exact)
        sum_w = Fraction(len(exact))
    quotas = [total * w / sum_w for w in exact]
    floors = [q.numerator // q.denominator for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


_weights = st.lists(
    st.one_of(
        st.integers(0, 10**6),
        st.builds(lambda c, e: Decimal(c).scaleb(-e), st.integers(0, 10**8), st.integers(0, 6)),
        st.sampled_from([Decimal(0), Decimal("0.00"), Decimal("1E+2"), Decimal("3.333")]),
    ),
    max_size=6,
)


@given(total=st.integers(0, 10**7), weights=_weights)
def test_largest_remainder_equals_the_fraction_split(
    total: int, weights: list[Decimal | int]
) -> None:
    parts = largest_remainder(total, weights)
    assert parts == fraction_split(total, weights)
    assert sum(parts) == (total if weights else 0)


def test_largest_remainder_ties_go_to_the_earlier_position() -> None:
    # 10 x (1/3, 1/3, 1/3): quotas 3.33.. each, the one unit left to the first.
    assert largest_remainder(10, [Decimal("0.1"), Decimal("0.10"), 1 / Fraction(10)]) == [4, 3, 3]
    # Remainders 0.5 / 0.25 / 0.25 of 7 x (2, 1, 1) / 4 -> 3.5, 1.75, 1.75: to 1.75 first.
    assert largest_remainder(7, [2, 1, 1]) == [3, 2, 2]
    assert largest_remainder(5, [Decimal("0.5"), Decimal("0.25"), Decimal("0.25")]) == [3, 1, 1]


def _privileges(draw: st.DrawFn) -> tuple[Privilege, ...]:
    out = []
    if draw(st.booleans()):
        out.append(
            Privilege(
                id="p-mult",
                kind="earning_multiplier",
                tiers=["gold"],
                value=Decimal(draw(st.integers(100, 300))).scaleb(-2),
            )
        )
    if draw(st.booleans()):
        out.append(Privilege(id="p-bday", kind="birthday_bonus", tiers=["gold"], value=Decimal(2)))
    return tuple(out)


@st.composite
def _members(draw: st.DrawFn) -> MemberContext:
    member: MemberContext = draw(member_contexts())
    if draw(st.booleans()):
        return member
    return MemberContext(
        birth_date=member.birth_date,
        enrolled_at=member.enrolled_at,
        tier=member.tier,
        prior_orders=member.prior_orders,
        period_points=member.period_points,
        rule_uses=member.rule_uses,
        privileges=_privileges(draw),
    )


def _earn(scheme: EarningScheme, order: Order, member: MemberContext) -> Any:
    try:
        return scheme.earn(order, member, timezone=TZ)
    except Exception as error:  # the same error either way (InvalidInputError, ...)
        return (type(error), str(error))


@given(scheme=earning_schemes(), order=loyalty_orders(), member=_members())
def test_earning_results_equal_the_fraction_reference(
    scheme: EarningScheme, order: Order, member: MemberContext
) -> None:
    fast = _earn(scheme, order, member)
    with mock.patch.object(_rules, "largest_remainder", fraction_split):
        reference = _earn(scheme, order, member)
    assert fast == reference
    if not isinstance(fast, tuple):
        assert fast.to_dict() == reference.to_dict()
        assert sum(p for _, p in fast.rule_points) == fast.points


def test_a_two_rule_order_attributes_by_exact_shares() -> None:
    """1 point per unit plus a gold 2x rate on 123.45: exact 123.45 + 246.90 = 370.35,
    floor 370; the attribution 370 x 123.45 / 370.35 = 123.33.. and 246.66.. gives
    base 123, gold2x 247 (the larger remainder, .66.., takes the unit left)."""
    from crmkit.loyalty import BaseRate, Condition, OrderLine

    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            BaseRate(id="gold2x", rate=2, when=Condition(tiers=["gold"])),
        ]
    )
    order = Order("o1", dt.datetime(2025, 3, 1, 12), [OrderLine("1", "123.45")])
    result = scheme.earn(order, MemberContext(tier="gold"), timezone=TZ)
    assert result.points == 370
    assert result.rule_points == (("base", 123), ("gold2x", 247))
    assert [c.points for c in result.lines[0].components] == [
        Decimal("123.45"),
        Decimal("246.90"),
    ]
