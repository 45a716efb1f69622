"""``replay_many`` reads tier grants (``kind="tier_grant"``) from an events table.

The scenarios are those of ``tests/loyalty/test_status_challenge.py`` (Hilton Honors'
status-match FAQ, April 2023, question 2: Gold for 90 days, 8 nights within them keep it;
Marriott Bonvoy's Platinum offer terms: 15 nights by 28 February 2025, else the tier the
nights support), replayed from one table: each member's row equals ``Program.replay``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from crmkit.errors import InvalidInputError
from crmkit.loyalty import (
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    Tier,
    TierGrant,
    TierLadder,
    replay_many,
)
from tests.loyalty._tables import events_table
from tests.loyalty.test_status_challenge import _hilton, _ny, _stay


def _match(event_id: str = "match", **target: Any) -> TierGrant:
    """Hilton's match: Gold from 1 May 2023 09:00 until 30 July 09:00 (90 days)."""
    return TierGrant(
        event_id,
        _ny(2023, 5, 1, 9),
        tier="gold",
        until=_ny(2023, 7, 30, 9),
        reason="status_match",
        target=Qualification(**target) if target else None,
    )


def _assert_rows_equal_replay(
    frame: pd.DataFrame,
    program: Program,
    members: dict[str, list[Any]],
    as_of: dt.datetime,
    counts: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Each member's row of ``replay_many`` equals ``Program.replay`` of its events."""
    rows = replay_many(frame, program, as_of=as_of, counts=counts)
    assert list(rows.index) == list(members)
    side = list(program.ladders)[1:]
    for member, events in members.items():
        state = program.replay(events, as_of=as_of)
        row = rows.loc[member]
        assert (row["available"], row["credited"], row["events"]) == (
            state.available,
            state.credited,
            len(state.events),
        ), member
        tier = state.tier
        assert tier is not None
        assert (row["tier"], row["tier_since"], row["next_tier"]) == (
            tier.tier,
            tier.since,
            tier.next_tier,
        ), member
        for name in side:
            assert row[f"tier_{name}"] == state.tier_names[name], (member, name)
    return rows


def test_grants_from_a_table_equal_program_replay() -> None:
    """Five members of the Hilton ladder: a match met (3 + 5 = 8 nights >= 8 by 20 June:
    Gold reached as by an upgrade, held through 31 March 2025), a match missed (3 nights:
    back to member on 30 July), a plain grant without target (Gold until 30 July), no grant
    (3 nights: member), and a target on money and points read from ``spend`` and
    ``qualifying_points`` (the $450 stay: 450 >= 400.50 and 450 points >= 100, met). On
    1 August 2023 the rows read gold, member, member, member, gold; on 1 June 2023 the four
    grants hold Gold."""
    program = _hilton()
    s1, s2 = _stay("s1", _ny(2023, 5, 12, 11), 3), _stay("s2", _ny(2023, 6, 20, 11), 5)
    members: dict[str, list[Any]] = {
        "met": [_match(counts={"nights": 8}), s1, s2],
        "missed": [_match(counts={"nights": 8}), s1],
        "plain": [_match(), s1],
        "none": [s1],
        "money": [_match(spend=Decimal("400.50"), points=100), s1],
    }
    frame = events_table(members)
    assert frame.loc[0, "kind"] == "tier_grant"
    after = _assert_rows_equal_replay(frame, program, members, _ny(2023, 8, 1), ("nights",))
    assert after["tier"].tolist() == ["gold", "member", "member", "member", "gold"]
    during = _assert_rows_equal_replay(frame, program, members, _ny(2023, 6, 1), ("nights",))
    assert during["tier"].tolist() == ["gold", "gold", "gold", "member", "gold"]


def test_a_grant_on_the_second_ladder() -> None:
    """``ladder`` names the ladder granted on: the club ladder shows "plus" for 30 days,
    the primary ladder stays "member"; rows of members without grants leave it empty."""
    ladders = {
        "status": TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="5000")]),
        "club": TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", orders=10)]),
    }
    program = Program(timezone="UTC", tiers=ladders)
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    buy = Purchase("p1", t + dt.timedelta(days=2), lines=[PurchaseLine("1", "100")])
    members: dict[str, list[Any]] = {
        "vip": [
            TierGrant(
                "g", t, tier="plus", until=t + dt.timedelta(days=30), reason="vip", ladder="club"
            ),
            buy,
        ],
        "other": [buy],
    }
    frame = events_table(members)
    rows = _assert_rows_equal_replay(frame, program, members, t + dt.timedelta(days=3))
    assert rows["tier_club"].tolist() == ["plus", "basic"]
    assert rows["tier"].tolist() == ["member", "member"]


def _date_table(until: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["m"] * len(until),
            "event_id": [f"g{i}" for i in range(len(until))],
            "time": ["2025-03-01 10:00"] * len(until),
            "kind": ["tier_grant"] * len(until),
            "tier": ["gold"] * len(until),
            "until": until,
            "reason": ["goodwill"] * len(until),
        }
    )


def test_an_until_instant_is_the_grants_end() -> None:
    """``until`` is the first instant without the grant. A grant "through 31 August 2025"
    has ``until`` 2025-09-01 00:00 (text with a time of day, or a datetime in the program's
    zone): ``as_of="2025-08-31"`` (the end of that day) shows Gold, ``as_of="2025-09-01"``
    member; ``Program.replay`` of the same grant with ``until=datetime(2025, 9, 1,
    tzinfo=New York)`` agrees, also with text read with ``date_format="%Y%m%d %H:%M"``. A
    date alone (``2025-09-01``) is refused: tests/loyalty/test_end_instants.py."""
    program = _hilton()
    grant = TierGrant(
        "g0", _ny(2025, 3, 1, 10), tier="gold", until=_ny(2025, 9, 1), reason="goodwill"
    )
    for frame, options in (
        (_date_table(["2025-09-01 00:00"]), {}),
        (_date_table(["2025-09-01T00:00:00-04:00"]), {}),
        (_date_table([dt.datetime(2025, 9, 1)]), {}),
        (_date_table([_ny(2025, 9, 1)]), {}),
        (
            _date_table(["20250901 00:00"]).assign(time=["20250301 10:00"]),
            {"date_format": "%Y%m%d %H:%M"},
        ),
    ):
        for as_of, tier in (("2025-08-31", "gold"), ("2025-09-01", "member")):
            row = replay_many(frame, program, as_of=as_of, **options).loc["m"]
            assert row["tier"] == tier, (frame["until"][0], as_of)
            assert row["tier"] == program.replay([grant], as_of=as_of).tier_name


@pytest.mark.parametrize("column", ["tier", "until", "reason"])
def test_a_grant_without_a_required_value_is_refused(column: str) -> None:
    """A tier_grant row needs ``tier``, ``until`` and ``reason``: an empty one (or a table
    without the column) is refused, naming the column and the row's label."""
    frame = _date_table(["2025-09-01 00:00", "2025-10-01 00:00"])
    frame.index = pd.Index([10, 11])
    frame[column] = frame[column].astype(object)
    frame.loc[11, column] = None
    with pytest.raises(InvalidInputError) as caught:
        replay_many(frame, _hilton(), as_of="2025-06-01")
    assert (caught.value.field, list(caught.value.rows)) == (column, [11])
    with pytest.raises(InvalidInputError) as caught:
        replay_many(frame.drop(columns=column), _hilton(), as_of="2025-06-01")
    assert (caught.value.field, list(caught.value.rows)) == (column, [10])


def test_grant_values_the_events_refuse_name_the_column_and_row() -> None:
    """Values the checked constructors refuse name the table's column and row: an
    ``until`` not after ``time``, a reason that is a tier change's own ("upgrade"), a
    negative target threshold (``qualifying_points``), and ``points`` (a target's points
    are ``qualifying_points``)."""
    for column, value in (
        ("until", "2025-03-01 10:00"),
        ("reason", "upgrade"),
        ("qualifying_points", "-5"),
        ("points", "100"),
    ):
        frame = _date_table(["2025-09-01 00:00"])
        frame.index = pd.Index(["r7"])
        frame[column] = [value]
        with pytest.raises(InvalidInputError) as caught:
            replay_many(frame, _hilton(), as_of="2025-06-01")
        assert (caught.value.field, list(caught.value.rows)) == (column, ["r7"]), column


def test_grant_and_target_columns_on_rows_of_other_kinds_are_refused() -> None:
    """``until`` belongs to tier_grant rows, ``spend`` and ``qualifying_points`` to adjust
    and tier_grant rows: a value on a purchase row is refused, naming the column and the
    row."""
    for column, value in (
        ("until", _ny(2023, 9, 1)),
        ("spend", "100"),
        ("qualifying_points", "5"),
    ):
        members: dict[str, list[Any]] = {
            "m": [
                _match(counts={"nights": 8}),
                _stay("s1", _ny(2023, 5, 12, 11), 3),
            ]
        }
        frame = events_table(members, columns=("ladder", "spend", "qualifying_points"))
        frame[column] = frame[column].astype(object)
        frame.loc[1, column] = value
        with pytest.raises(InvalidInputError, match="tier_grant") as caught:
            replay_many(frame, _hilton(), as_of="2023-06-01", counts=("nights",))
        assert (caught.value.field, list(caught.value.rows)) == (column, [1]), column


def test_a_tier_column_on_purchase_rows_is_not_read() -> None:
    """An export's tier at each purchase (a ``tier`` or ``ladder`` column filled on purchase
    rows) is not a grant: those values are not read, and the rows equal the table without
    them."""
    members: dict[str, list[Any]] = {
        "m": [_match(counts={"nights": 8}), _stay("s1", _ny(2023, 5, 12, 11), 3)]
    }
    plain = events_table(members, columns=("ladder",))
    tagged = plain.copy()
    tagged["tier"] = tagged["tier"].astype(object)
    tagged.loc[1, "tier"] = "diamond"
    tagged.loc[1, "ladder"] = "anything"
    expected = replay_many(plain, _hilton(), as_of="2023-06-01", counts=("nights",))
    got = replay_many(tagged, _hilton(), as_of="2023-06-01", counts=("nights",))
    pd.testing.assert_frame_equal(got, expected)
