"""Tests of the batch replay (``replay_many``), the sample loyalty events and ``crmkit loyalty``."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

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


@settings(max_examples=15)
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
