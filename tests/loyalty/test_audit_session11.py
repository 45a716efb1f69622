"""Regression tests from an audit of the session-11 loyalty features.

Each test names the defect it pins: what a user did, what crmkit answered before the fix.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from crmkit.errors import ConfigError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    Enroll,
    ExpiryPolicy,
    MemberState,
    Program,
    TransferPolicy,
    merge_accounts,
    pool_points,
    transfer,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
T = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)


def _ann(program: Program) -> MemberState:
    """A member with 1,000 gift points and a birth date (what an error must not print)."""
    events = [
        Enroll("join", T, birth_date=dt.date(1990, 5, 17)),
        Adjust("g1", T, points=1_000, reason="gift"),
    ]
    state = program.replay(events, as_of=T)
    assert state.available == 1_000
    return state


# ------------------------------------------------------------------ transfers: argument order


def test_transfer_in_the_old_order_names_the_argument_and_the_order() -> None:
    """``transfer(program, sender, points)`` (the order before session 11) raised
    "'points' must be an int of at least 1; found MemberState(as_of=..., birth_date=...)":
    the wrong argument, and a whole member state in the message. It names ``sender`` and
    the order now, and prints no state."""
    program = Program()
    ann = _ann(program)
    later = T + dt.timedelta(days=30)
    with pytest.raises(LedgerError, match=r"'sender' must be a MemberState") as err:
        transfer(program, ann, 500, transfer_id="t1", time=later)  # type: ignore[arg-type]
    assert "transfer(sender, points, program, policy)" in str(err.value)
    assert "MemberState(" not in str(err.value)
    assert "1990" not in str(err.value)
    # The state where the points go: named, and not printed.
    with pytest.raises(LedgerError, match=r"'points' must be an int; found MemberState") as err:
        transfer(ann, ann, program, transfer_id="t1", time=later)  # type: ignore[arg-type]
    assert "as_of=" not in str(err.value)
    assert "1990" not in str(err.value)
    # A policy where the program goes (was: AttributeError '_check_amount').
    with pytest.raises(ConfigError, match=r"'program' must be a Program; found TransferPolicy"):
        transfer(ann, 500, TransferPolicy(), program, transfer_id="t1", time=later)  # type: ignore[arg-type]
    # A program where the policy goes (was: AttributeError).
    with pytest.raises(ConfigError, match=r"'policy' must be None or a TransferPolicy"):
        transfer(ann, 500, program, program, transfer_id="t1", time=later)  # type: ignore[arg-type]


def test_merge_and_pool_in_the_old_order_name_the_argument() -> None:
    """``merge_accounts(program, absorbed)`` and ``pool_points(program, contributions,
    redeemer)`` raised AttributeErrors ("'Program' object has no attribute 'as_of'",
    "... 'items'"); they are refused naming the argument and the order."""
    program = Program()
    ann = _ann(program)
    later = T + dt.timedelta(days=30)
    with pytest.raises(LedgerError, match=r"'absorbed' must be a MemberState") as err:
        merge_accounts(program, ann, merge_id="m1", time=later)  # type: ignore[arg-type]
    assert "merge_accounts(absorbed, program)" in str(err.value)
    with pytest.raises(ConfigError, match=r"'program' must be a Program; found str") as err:
        pool_points(program, {"ann": (ann, 100)}, "bob", pool_id="p1", time=later)  # type: ignore[arg-type]
    assert "pool_points(contributions, redeemer, program, policy)" in str(err.value)
    with pytest.raises(ConfigError, match=r"'program' must be a Program; found str"):
        pool_points({"ann": (ann, 100)}, program, "bob", pool_id="p1", time=later)  # type: ignore[arg-type]


def test_transfer_in_the_new_order_still_moves_the_points() -> None:
    """The checks leave the documented call alone: 500 points and a 10% fee of 50."""
    program = Program(expiry=ExpiryPolicy.after_months(24))
    move = transfer(
        _ann(program), 500, program, TransferPolicy(fee_rate="0.1"), transfer_id="t1", time=T
    )
    assert (move.points, move.fee) == (500, 50)


# ------------------------------------------------------------------ extend_from's own argument


def test_extend_from_names_its_own_argument_and_the_value_given() -> None:
    """``ExpiryPolicy.extend_from(naive, zone)`` raised "ExpiryPolicy.expires_at(): 'earned_at'
    must be a timezone-aware datetime; found datetime.datetime(2024, 12, 31, 23, 59, 59,
    999999)": another method, another argument, and not the value passed (1 January 2025,
    less a microsecond). It names ``extend_from``, ``expires_at`` and the value given."""
    six = ExpiryPolicy.end_of_period("month", 6)
    with pytest.raises(InvalidInputError) as err:
        six.extend_from(dt.datetime(2025, 1, 1), SH)
    assert str(err.value) == (
        "ExpiryPolicy.extend_from(): 'expires_at' must be a timezone-aware datetime; "
        "found datetime.datetime(2025, 1, 1, 0, 0)."
    )
    with pytest.raises(InvalidInputError, match=r"found datetime\.date\(2025, 1, 1\)"):
        six.extend_from(dt.date(2025, 1, 1), SH)  # type: ignore[arg-type]
    # The aware call is unchanged: due 1 April 2026 (valid through 31 March) -> 30 September.
    assert six.extend_from(dt.datetime(2026, 4, 1, tzinfo=SH), SH).date() == dt.date(2026, 10, 1)
