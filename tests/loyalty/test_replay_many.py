"""Tests of the batch replay (``replay_many``), the sample loyalty events and ``crmkit loyalty``."""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.cli import main
from crmkit.errors import ConfigError, InvalidInputError, LedgerError, SchemaError
from crmkit.loyalty import (
    ExpiryPolicy,
    Program,
    Tier,
    TierLadder,
    replay_many,
)
from crmkit.loyalty._cli import demo_program
from crmkit.loyalty._replay_many import events_from_frame
from tests.strategies import examples, loyalty_event_tables

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["m1", "m1", "m1", "m1", "m2", "m2", "m1"],
            "event_id": ["e", "p1", "p1", "r1", "g", "x", "c"],
            "time": [
                "2025-01-01 09:00",
                "2025-01-02 10:00",
                "2025-01-02 10:00",
                "2025-01-03 10:00",
                "2025-01-01 08:00",
                "2025-01-05 08:00",
                "2025-01-04 08:00",
            ],
            "kind": ["enroll", "purchase", "purchase", "refund", "adjust", "redeem", "adjust"],
            "amount": [None, "100.00", "50.00", None, None, None, None],
            "quantity": pd.array([None, 2, 1, 1, None, None, None], dtype="Int64"),
            "line": [None, "a", "b", "a", None, None, None],
            "ref": [None, None, None, "p1", None, None, None],
            "points": pd.array([None, None, None, None, 500, 120, -10], dtype="Int64"),
            "reason": [None, None, None, None, "gift", None, "fix"],
            "birth_date": ["1990-05-17", None, None, None, None, None, None],
        }
    )


def test_replay_many_reads_lines_refunds_and_adjustments() -> None:
    frame = _frame()
    copy = frame.copy()
    program = Program(timezone="Asia/Shanghai")
    states = replay_many(frame, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH))
    pd.testing.assert_frame_equal(frame, copy)  # input untouched
    assert list(states.index) == ["m1", "m2"]
    m1, m2 = states.loc["m1"], states.loc["m2"]
    # 150 earned, one unit of line a (100 for 2 units) refunded: 50 reversed, 10 adjusted away.
    assert (m1["credited"], m1["reversed"], m1["spent"], m1["available"]) == (150, 50, 10, 90)
    assert (m2["available"], m2["spent"]) == (380, 120)
    assert states["available"].dtype == "int64"
    assert str(states["next_expiry"].dtype).startswith("datetime64")
    assert (states["events"] == [4, 2]).all()


@settings(max_examples=examples(15))
@given(
    seed=st.integers(0, 10_000),
    shortfall=st.sampled_from(["forfeit", "debt", "cash_offset", "balance_then_cash"]),
)
def test_batch_row_equals_scalar_replay(seed: int, shortfall: str) -> None:
    frame = datasets.loyalty_events(n_members=4, seed=seed)
    program = Program(
        timezone="Asia/Shanghai",
        expiry=ExpiryPolicy.after_months(6),
        shortfall=shortfall,
        pending_days=7,
        tiers=TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="3000")]),
    )
    as_of = frame["time"].max()
    states = replay_many(frame, program, as_of=as_of, on_error="skip")
    per_member = events_from_frame(frame, program)
    for member, events in per_member.items():
        state = program.replay(events, as_of=as_of.to_pydatetime(), on_error="skip")
        row = states.loc[member]
        assert row["available"] == state.available
        assert row["credited"] == state.credited
        assert row["expired"] == state.expired
        assert row["tier"] == state.tier_name
        assert row["rejected"] == len(state.rejected)
        assert row["expiring"] == state.expiring(30)


def test_sample_events_replay_without_rejections_under_the_demo_program() -> None:
    frame = datasets.loyalty_events(n_members=60, seed=3)
    states = replay_many(frame, demo_program(), as_of=frame["time"].max(), on_error="raise")
    assert (states["rejected"] == 0).all()
    assert set(frame["kind"]) >= {"enroll", "purchase", "refund", "redeem", "adjust"}
    assert (
        states["credited"]
        == states[["available", "pending", "spent", "expired", "reversed", "forfeited"]].sum(axis=1)
    ).all()
    assert states["tier"].cat.ordered


def test_replay_many_errors_name_rows() -> None:
    program = Program()
    frame = _frame()
    frame.loc[3, "kind"] = "gift"
    with pytest.raises(InvalidInputError) as info:
        replay_many(frame, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH))
    assert info.value.rows == (3,)
    frame = _frame()
    frame["amount"] = [None, 100.0, 50.0, None, None, None, None]
    with pytest.raises(SchemaError, match="never float"):
        replay_many(frame, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH))
    with pytest.raises(SchemaError, match="'kind'"):
        replay_many(_frame().drop(columns="kind"), program, as_of=dt.datetime(2025, 2, 1))
    frame = _frame()
    frame.loc[1, "amount"] = "ten"
    with pytest.raises(InvalidInputError) as info:
        replay_many(frame, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH))
    assert info.value.rows == (1,)
    frame = _frame()
    frame.loc[5, "points"] = 10_000
    with pytest.raises(LedgerError):
        replay_many(frame, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH), on_error="raise")
    states = replay_many(frame, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH), on_error="skip")
    assert states.loc["m2", "rejected"] == 1
    with pytest.raises(LedgerError):  # the default is "raise", as Program.replay's
        replay_many(frame, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH))


def test_naive_times_are_read_in_the_program_zone() -> None:
    frame = _frame()
    utc = replay_many(frame, Program(timezone="UTC"), as_of=dt.datetime(2025, 1, 2, 2, 30))
    shanghai = replay_many(
        frame, Program(timezone="Asia/Shanghai"), as_of=dt.datetime(2025, 1, 2, 2, 30)
    )
    # The purchase at 10:00 is after 02:30 in both readings; the enrolment at 09:00 on
    # 1 Jan is before it in both: only the zone of the result differs.
    assert utc.loc["m1", "events"] == shanghai.loc["m1", "events"] == 1
    assert str(shanghai["next_expiry"].dt.tz) == "Asia/Shanghai"


def test_cli_loyalty_writes_states(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    events = tmp_path / "events.csv"
    _frame().to_csv(events, index=False)
    program = tmp_path / "program.json"
    program.write_text(json.dumps(Program(timezone="Asia/Shanghai").to_dict()))
    code = main(["loyalty", str(events), "--program", str(program), "--as-of", "2025-02-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("member_id,available,pending")
    assert out.splitlines()[1].startswith("m1,90,0")


def test_cli_loyalty_errors(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    events = tmp_path / "events.csv"
    _frame().to_csv(events, index=False)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"timezone": "UTC", "colour": "red"}))
    assert main(["loyalty", str(events), "--program", str(bad), "--as-of", "2025-02-01"]) == 2
    assert "colour" in capsys.readouterr().err
    assert main(["loyalty", str(tmp_path / "none.csv"), "--as-of", "2025-02-01"]) == 2
    assert main(["loyalty", str(events), "--as-of", "someday"]) == 2


def test_demo_section_reports_balances_tiers_and_reminders() -> None:
    from crmkit.cli import DemoData
    from crmkit.loyalty._cli import demo_section

    text = demo_section(DemoData(seed=7))
    assert "Members per tier" in text
    assert "Renewal reminders" in text
    assert "0 rejected" in text


def test_decimal_money_survives_the_table() -> None:
    frame = pd.DataFrame(
        {
            "member_id": ["m"],
            "event_id": ["p"],
            "time": ["2025-01-01 10:00"],
            "kind": ["purchase"],
            "amount": [Decimal("0.10")],
        }
    )
    events = events_from_frame(frame, Program())
    assert events["m"][0].lines[0].amount == Decimal("0.10")


def test_workers_give_the_same_result() -> None:
    frame = datasets.loyalty_events(n_members=12, seed=2)
    program = demo_program()
    as_of = frame["time"].max()
    one = replay_many(frame, program, as_of=as_of)
    two = replay_many(frame, program, as_of=as_of, workers=2)
    pd.testing.assert_frame_equal(one, two)
    with pytest.raises(ConfigError, match="workers"):
        replay_many(frame, program, as_of=as_of, workers=0)
    with pytest.raises(ConfigError, match="on_error"):
        replay_many(frame, program, as_of=as_of, on_error="ignore")


def test_row_order_and_index_of_the_table_do_not_matter() -> None:
    frame = datasets.loyalty_events(n_members=8, seed=4)
    program = demo_program()
    as_of = frame["time"].max()
    shuffled = frame.sample(frac=1.0, random_state=1)
    shuffled.index = [f"row{i}" for i in range(len(shuffled))]
    expected = replay_many(frame, program, as_of=as_of)
    got = replay_many(shuffled, program, as_of=as_of).loc[expected.index]
    pd.testing.assert_frame_equal(got, expected)


def _hotel_program() -> Program:
    """Two point currencies (points, miles) and a ladder on nights."""
    from crmkit.loyalty import EarningScheme

    return Program(
        timezone="Asia/Shanghai",
        earning={"points": EarningScheme.base_rate(1), "miles": EarningScheme.base_rate("0.5")},
        expiry={"points": ExpiryPolicy.after_months(2), "miles": ExpiryPolicy.after_days(40)},
        tiers=TierLadder(
            tiers=[Tier(name="member"), Tier(name="silver", counts={"nights": 4})],
        ),
    )


@settings(max_examples=examples(40), deadline=None)
@given(drawn=loyalty_event_tables(extras=True))
def test_replay_many_reads_counts_tenders_currencies_and_kept_expiries(
    drawn: tuple[pd.DataFrame, dict[str, list[Any]]],
) -> None:
    """Named counts (``counts=["nights"]``), points tenders in either currency, redemptions
    and adjustments in "miles", credits with their own ``expires_at``: every row equals the
    member's :meth:`Program.replay` of the same events built one by one."""
    program = _hotel_program()
    table, objects = drawn
    copy = table.copy()
    as_of = max(e.time for events in objects.values() for e in events) + dt.timedelta(days=3)
    states = replay_many(table, program, as_of=as_of, on_error="skip", counts=["nights"])
    built = events_from_frame(table, program, counts=["nights"])
    pd.testing.assert_frame_equal(table, copy)
    for member, events in objects.items():
        assert built[member] == events
        state = program.replay(events, as_of=as_of, on_error="skip")
        row = states.loc[member]
        for name in ("available", "pending", "balance", "spent", "expired", "reversed"):
            assert row[name] == getattr(state, name), name
        assert row["tier"] == state.tier.tier
        assert row["rejected"] == len(state.rejected)


def test_replay_many_worked_example_of_the_new_columns() -> None:
    """Worked by hand. A goodwill credit of 6,000 miles kept to 2025-03-01 00:00
    (``expires_at``); a 3-night stay of ¥250, ¥50 of it paid with 5,000 miles (the rest,
    ¥200, in money); a 2-night stay of ¥100. Only money earns: 200 + 100 = 300 points
    and 0.5 x 300 = 150 miles (100 + 50), each lot of miles valid 40 days. The tender
    takes 5,000 of the credit, leaving 1,000. 3 + 2 = 5 nights reach silver (4 nights).
    Miles: 1,000 + 100 + 50 = 1,150 on 1 February; 1,050 on 20 February (the first stay's
    100 expired on 14 February); 50 on 1 March 06:00 (the credit's 1,000 expired at 00:00).
    """
    program = _hotel_program()
    table = pd.DataFrame(
        {
            "member_id": ["m"] * 4,
            "event_id": ["gift", "stay1", "stay1", "stay2"],
            "time": [
                "2025-01-01 09:00",
                "2025-01-05 12:00",
                "2025-01-05 12:00",
                "2025-01-20 12:00",
            ],
            "kind": ["adjust", "purchase", "purchase", "purchase"],
            "amount": [None, "200.00", "50.00", "100.00"],
            "points": pd.array([6000, None, None, None], dtype="Int64"),
            "currency": ["miles", "miles", None, None],
            "expires_at": ["2025-03-01 00:00", None, None, None],
            "tender_points": pd.array([None, 5000, None, None], dtype="Int64"),
            "tender_amount": [None, "50.00", None, None],
            "nights": pd.array([None, 3, None, 2], dtype="Int64"),
        }
    )
    events = events_from_frame(table, program, counts=["nights"])["m"]
    assert events[1].counts == (("nights", 3),)
    assert [(t.kind, t.amount, t.points) for t in events[1].tenders] == [
        ("points", Decimal("50.00"), 5000),
        ("other", Decimal("200.00"), 0),
    ]
    for day, miles in (((2, 1, 0), 1150), ((2, 20, 0), 1050), ((3, 1, 6), 50)):
        as_of = dt.datetime(2025, day[0], day[1], day[2], tzinfo=SH)
        row = replay_many(table, program, as_of=as_of, counts=["nights"]).loc["m"]
        state = program.replay(events, as_of=as_of)
        assert (row["available"], row["tier"]) == (300, "silver")
        assert state.by_currency["miles"].available == miles


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("tender_points", 10, "redeem"),
        ("expires_at", "2025-03-01 00:00", "purchase"),
        ("currency", "miles", "enroll"),
        ("nights", 2, "redeem"),  # counts: purchase and (status credit) adjust rows only
        ("spend", "2500", "purchase"),  # status credit: adjust rows only
        ("qualifying_points", 100, "redeem"),
    ],
)
def test_replay_many_refuses_a_column_on_a_kind_it_does_not_belong_to(
    column: str, value: object, kind: str
) -> None:
    program = _hotel_program()
    table = pd.DataFrame(
        {
            "member_id": ["m", "m"],
            "event_id": ["a", "b"],
            "time": ["2025-01-01 09:00", "2025-01-02 09:00"],
            "kind": ["enroll", kind],
            "amount": [None, "10.00" if kind == "purchase" else None],
            "points": pd.array([None, 5 if kind in ("redeem", "adjust") else None], dtype="Int64"),
            column: [None, value],
        },
        index=["r1", "r2"],
    )
    counts = ["nights"] if column == "nights" else []
    with pytest.raises(InvalidInputError) as info:
        replay_many(table, program, as_of=dt.datetime(2025, 2, 1, tzinfo=SH), counts=counts)
    assert info.value.field == column
    assert list(info.value.rows) == ["r2"]


def test_replay_many_refuses_a_tender_without_its_money_value() -> None:
    table = pd.DataFrame(
        {
            "member_id": ["m"], "event_id": ["p"], "time": ["2025-01-01 09:00"],
            "kind": ["purchase"], "amount": ["10.00"], "tender_points": [100],
        },
        index=["row7"],
    )  # fmt: skip
    with pytest.raises(InvalidInputError) as info:
        replay_many(table, _hotel_program(), as_of=dt.datetime(2025, 2, 1, tzinfo=SH))
    assert (info.value.field, list(info.value.rows)) == ("tender_amount", ["row7"])


def test_cli_loyalty_reads_counts_tenders_and_kept_expiries(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The worked example above through ``crmkit loyalty --counts nights``, with the day
    first dates of ``--date-format`` read in ``expires_at`` as in ``time``."""
    events = tmp_path / "events.csv"
    events.write_text(
        "member_id,event_id,time,kind,amount,points,currency,expires_at,tender_points,"
        "tender_amount,nights\n"
        "m,gift,01/01/2025 09:00,adjust,,6000,miles,01/03/2025 00:00,,,\n"
        "m,stay1,05/01/2025 12:00,purchase,250.00,,miles,,5000,50.00,3\n"
        "m,stay2,20/01/2025 12:00,purchase,100.00,,,,,,2\n",
        encoding="utf-8",
    )
    program = tmp_path / "program.json"
    program.write_text(json.dumps(_hotel_program().to_dict()), encoding="utf-8")
    base = ["loyalty", str(events), "--program", str(program), "--as-of", "2025-02-01",
            "--date-format", "%d/%m/%Y %H:%M"]  # fmt: skip
    assert main([*base, "--counts", "nights"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="member_id")
    assert (out.loc["m", "available"], out.loc["m", "tier"]) == (300, "silver")
    assert main([*base, "--counts", "stays"]) == 2
    assert "'stays'" in capsys.readouterr().err


@pytest.mark.parametrize("counts", ["nights", ["nights", "nights"], ["amount"], [""], [3]])
def test_replay_many_refuses_bad_count_column_lists(counts: object) -> None:
    """``counts=`` is a list of distinct column names beside the table's own columns: a
    bare string (which would read as letters), repeats, a table column or a non-name is a
    ConfigError naming ``counts``, before anything is read."""
    table = pd.DataFrame(
        {"member_id": ["m"], "event_id": ["e"], "time": ["2025-01-01"], "kind": ["enroll"]}
    )
    with pytest.raises(ConfigError) as info:
        replay_many(table, _hotel_program(), as_of=dt.datetime(2025, 2, 1, tzinfo=SH),
                    counts=counts)  # type: ignore[arg-type]  # fmt: skip
    assert info.value.field == "counts"


def test_replay_many_refuses_a_float_tender_amount_column() -> None:
    """Money is never float (as the ``amount`` column): a float ``tender_amount`` column is a
    SchemaError naming it."""
    table = pd.DataFrame(
        {
            "member_id": ["m"], "event_id": ["p"], "time": ["2025-01-01 09:00"],
            "kind": ["purchase"], "amount": ["10.00"], "tender_points": [100],
            "tender_amount": [1.0],
        }
    )  # fmt: skip
    with pytest.raises(SchemaError) as info:
        replay_many(table, _hotel_program(), as_of=dt.datetime(2025, 2, 1, tzinfo=SH))
    assert info.value.field == "tender_amount"
