"""Regressions in ``replay_many``'s reading of a table, found in session 14's review.

* ``points`` written in full-width or Arabic-Indic digits (ten) were read as 10
  (``str.isdigit``), a guess; ``"²"`` and ``"+-5"`` raised a bare ``ValueError``.
* Bytes in a text column (GBK bytes in ``reason``, ``sku``, an id) were read as their
  repr (``"b'\\xb2\\xe8'"``).
* A member column holding ``1`` and ``"1"`` split one member into two.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError
from crmkit.loyalty import Program, replay_many

PROGRAM = Program(timezone="Asia/Shanghai")
AS_OF = "2025-02-01"


def _table(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "member_id": ["m1", "m1"],
        "event_id": ["e1", "e2"],
        "time": ["2025-01-01 10:00", "2025-01-02 10:00"],
        "kind": ["enroll", "adjust"],
        "reason": [None, "goodwill"],
        "points": [None, "10"],
    }
    return pd.DataFrame({**base, **columns}, dtype=object)


@pytest.mark.parametrize("points", ["\uff11\uff10", "\u0661\u0660", "\u00b2", "+-5", "1_0", "10.5"])
def test_points_in_other_than_ascii_digits_are_refused(points: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        replay_many(_table(points=[None, points]), PROGRAM, as_of=AS_OF)
    assert caught.value.field == "points"
    assert list(caught.value.rows) == [1]


@given(st.integers(1, 10**12), st.sampled_from(["", "+", " ", "0"]))
def test_ascii_whole_numbers_are_read_exactly(points: int, prefix: str) -> None:
    state = replay_many(_table(points=[None, f"{prefix}{points}"]), PROGRAM, as_of=AS_OF)
    assert int(state.loc["m1", "available"]) == points


def test_a_signed_debit_is_read() -> None:
    table = pd.concat([_table(), _table().iloc[[1]].assign(event_id="e3", points="-4")])
    table["time"] = ["2025-01-01 10:00", "2025-01-02 10:00", "2025-01-03 10:00"]
    assert int(replay_many(table, PROGRAM, as_of=AS_OF).loc["m1", "available"]) == 6


@pytest.mark.parametrize("column", ["reason", "event_id", "member_id"])
def test_bytes_in_a_text_column_are_refused(column: str) -> None:
    table = _table()
    table.loc[1, column] = "退货".encode("gbk")
    with pytest.raises(InvalidInputError) as caught:
        replay_many(table, PROGRAM, as_of=AS_OF)
    assert caught.value.field == column
    assert "decode" in str(caught.value)


def test_one_member_written_as_int_and_text_is_refused() -> None:
    table = _table(member_id=[1, "1"])
    with pytest.raises(InvalidInputError) as caught:
        replay_many(table, PROGRAM, as_of=AS_OF)
    assert caught.value.field == "member_id"
    assert list(caught.value.rows) == [0, 1]
    # Ids of mixed types that never read alike are two members, as before.
    assert len(replay_many(_table(member_id=[1, "one"]).assign(
        event_id=["e1", "e1"], kind=["enroll", "enroll"], points=[None, None],
        reason=[None, None]), PROGRAM, as_of=AS_OF)) == 2  # fmt: skip
