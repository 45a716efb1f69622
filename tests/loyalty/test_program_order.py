"""Regression tests of session 14's hunt: a program's mapping order is part of its meaning."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from crmkit.errors import LedgerError
from crmkit.loyalty import EarningScheme, Program, Purchase, PurchaseLine, Tier, TierLadder

T = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _currencies(*names: str) -> Program:
    rates = {"points": 1, "miles": 2}
    return Program(earning={name: EarningScheme.base_rate(rates[name]) for name in names})


def _ladders(*names: str) -> Program:
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="10")])
    return Program(tiers=dict.fromkeys(names, ladder))


def test_programs_with_another_primary_currency_are_not_equal() -> None:
    """The first currency of ``earning`` is the primary one (Program's docstring): a program
    listing miles first earns and reports miles as ``available``, so it is another program.

    Before the fix the two compared equal although their replays differ (100 vs 200).
    """
    a, b = _currencies("points", "miles"), _currencies("miles", "points")
    buy = [Purchase("p", T, lines=[PurchaseLine("1", "100")])]
    assert a.replay(buy, as_of=T).available != b.replay(buy, as_of=T).available
    assert a != b
    assert a == _currencies("points", "miles")


def test_programs_with_another_primary_ladder_are_not_equal() -> None:
    """The first ladder of ``tiers`` is the primary one (a bare tier name means its tier)."""
    a, b = _ladders("status", "club"), _ladders("club", "status")
    assert (a.primary_ladder, b.primary_ladder) == ("status", "club")
    assert a != b
    assert a == _ladders("status", "club")


def test_key_sorted_json_is_not_taken_for_the_same_program() -> None:
    """JSON storage that sorts keys (``sort_keys=True``, PostgreSQL ``jsonb``) moved the
    primary currency of a schema 1 program (an object of currencies); the program read
    back must not claim to equal the original. Schema 2 writes a list: it comes back whole
    (``test_program_json_order.py``)."""
    a = _currencies("points", "miles")
    data = a.to_dict()
    old = dict(
        data, schema_version=1, earning={e["currency"]: e["scheme"] for e in data["earning"]}
    )
    back = Program.from_dict(json.loads(json.dumps(old, sort_keys=True)))
    assert back.point_currencies == ("miles", "points")
    assert back != a
    assert Program.from_dict(json.loads(json.dumps(a.to_dict(), sort_keys=True))) == a


def test_apply_refuses_a_state_of_the_program_with_another_primary_currency() -> None:
    """``Program.apply`` takes states of this program only; one whose primary currency
    differs used to be accepted (and advanced under the other program's book)."""
    a, b = _currencies("points", "miles"), _currencies("miles", "points")
    state = a.replay([Purchase("p", T, lines=[PurchaseLine("1", "100")])], as_of=T)
    with pytest.raises(LedgerError, match="state"):
        b.apply(state, Purchase("q", T, lines=[PurchaseLine("1", "5")]))
