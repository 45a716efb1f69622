"""A program's JSON keeps which point currency and which ladder is the primary one.

The first point currency of ``earning`` and the first ladder of ``tiers`` are the
primary ones (balances, ``MemberState.tier``, earning by tier read them). Schema 1 wrote
several as a JSON object, whose key order storage does not keep everywhere: PostgreSQL's
``jsonb`` and ``json.dumps(sort_keys=True)`` sort the keys, so a co-brand program whose
primary currency is ``"points"`` came back with ``"miles"`` first, silently (since
session 14 it at least no longer compared equal). Schema 2 writes several as a list of
entries, in order; a schema 1 object is still read, in the order it has when read.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.loyalty import EarningScheme, ExpiryPolicy, Program, Tier, TierLadder

STATUS = TierLadder(tiers=[Tier(name="blue"), Tier(name="gold", spend="10000")])
CLUB = TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", orders=3)])


def cobrand() -> Program:
    """Points (primary) and miles: "miles" sorts before "points"."""
    return Program(
        earning={"points": EarningScheme.base_rate(1), "miles": EarningScheme.base_rate(2)},
        expiry={"points": ExpiryPolicy.after_months(12), "miles": ExpiryPolicy.never()},
        point_value={"points": "0.01", "miles": "0.05"},
        tiers={"status": STATUS, "club": CLUB},  # "club" sorts before "status"
    )


def nested(scheme: EarningScheme) -> dict[str, Any]:
    """A scheme as the program writes it inside itself (without a schema_version)."""
    return {k: v for k, v in scheme.to_dict().items() if k != "schema_version"}


def jsonb(data: Any) -> Any:
    """What PostgreSQL's jsonb gives back: every object's keys sorted (jsonb sorts by
    length, then bytes; sorted() of these keys gives the same order as far as it matters:
    "miles" < "points", "club" < "status")."""
    return json.loads(json.dumps(data, sort_keys=True))


def test_sorted_key_storage_keeps_the_primary_currency_and_ladder() -> None:
    """The reported case: stored sorted, read back, the same program (points and status
    first), not one whose balances are in miles and whose tier is the club's."""
    program = cobrand()
    again = Program.from_dict(jsonb(program.to_dict()))
    assert again == program
    assert again.point_currencies == ("points", "miles")
    assert again.primary_ladder == "status"
    data = program.to_dict()
    assert data["schema_version"] == 2
    assert [e["currency"] for e in data["earning"]] == ["points", "miles"]
    assert [e["name"] for e in data["tiers"]] == ["status", "club"]
    assert EarningScheme.from_dict(data["earning"][0]["scheme"]) == EarningScheme.base_rate(1)
    assert TierLadder.from_dict(data["tiers"][1]["ladder"]) == CLUB


def test_one_currency_and_one_ladder_are_written_as_before() -> None:
    """Nothing to order: one scheme and one ladder stay plain objects."""
    program = Program(earning=EarningScheme.base_rate(1), tiers=STATUS)
    data = program.to_dict()
    assert isinstance(data["earning"], dict)
    assert "rules" in data["earning"]
    assert isinstance(data["tiers"], dict)
    assert "tiers" in data["tiers"]
    assert Program.from_dict(jsonb(data)) == program


def test_schema_1_objects_are_still_read_in_their_order() -> None:
    """A program stored by schema 1 (objects) reads as before: its order as read."""
    program = cobrand()
    data = program.to_dict()
    old = dict(data, schema_version=1)
    old["earning"] = {e["currency"]: e["scheme"] for e in data["earning"]}
    old["tiers"] = {e["name"]: e["ladder"] for e in data["tiers"]}
    assert Program.from_dict(old) == program
    swapped = dict(old, earning=dict(reversed(old["earning"].items())))
    assert Program.from_dict(swapped).point_currencies == ("miles", "points")


def test_expiry_and_values_per_currency_are_keyed_by_name_in_any_order() -> None:
    """Only ``earning``'s order names the primary: ``expiry`` listing the currencies in
    another order (as sorted storage gives it) was refused as not "a policy for each
    currency"; it is the same program."""
    program = cobrand()
    reordered = Program(
        earning=program.earning,
        expiry={"miles": ExpiryPolicy.never(), "points": ExpiryPolicy.after_months(12)},
        point_value={"miles": "0.05", "points": "0.01"},
        tiers=program.tiers,
    )
    assert reordered == program
    assert reordered.compile().policies["points"] == ExpiryPolicy.after_months(12)


@pytest.mark.parametrize(
    ("earning", "path", "found"),
    [
        ([], "earning", "[]"),
        ([{"currency": "points"}], "earning[0]", "['currency']"),
        ([{"currency": "points", "scheme": {}, "x": 1}], "earning[0]", "'x'"),
        (
            [
                {"currency": "points", "scheme": nested(EarningScheme.base_rate(1))},
                {"currency": "points", "scheme": nested(EarningScheme.base_rate(2))},
            ],
            "earning[1].currency",
            "'points' again",
        ),
        ([{"currency": 7, "scheme": {}}], "earning[0].currency", "7"),
        ([{"currency": "points", "scheme": {"rules": "x"}}], "earning[0].scheme.rules", ""),
    ],
)
def test_bad_entries_are_refused_naming_the_path(earning: Any, path: str, found: str) -> None:
    data = cobrand().to_dict() | {"earning": earning}
    with pytest.raises(ConfigError) as err:
        Program.from_dict(data)
    assert err.value.owner == "Program.from_dict()"
    assert err.value.field == path
    assert found in str(err.value)


@given(st.permutations(["points", "miles", "stars", "beans"]), st.permutations(["b", "a", "c"]))
def test_any_order_survives_sorted_storage(currencies: list[str], ladders: list[str]) -> None:
    """Whatever the order of the currencies and ladders, sorted-key storage keeps it."""
    program = Program(
        earning={name: EarningScheme.base_rate(i + 1) for i, name in enumerate(currencies)},
        point_value=dict.fromkeys(currencies, "0.01"),
        tiers=dict.fromkeys(ladders, STATUS),
    )
    again = Program.from_dict(jsonb(program.to_dict()))
    assert again == program
    assert again.point_currencies == tuple(currencies)
    assert tuple(again.ladders) == tuple(ladders)
