"""Regression tests of session 14's review of crmkit.campaigns (holdout, CLI, health)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import (
    HealthScore,
    Indicator,
    Percentile,
    Thresholds,
    assign,
    gb_hash,
    hash_ids,
    measure,
)
from crmkit.campaigns._cli import summary_lines
from crmkit.cli import main
from crmkit.errors import InvalidInputError


# ------------------------------------------------------------ holdout: uint64 and big ints
@pytest.mark.parametrize(
    "ids",
    [
        np.array([7, 2**64 - 1], dtype=np.uint64),
        pd.Series([7, 2**64 - 1], dtype="UInt64"),
        [7, 2**64 - 1],
        pd.Series([7, 2**70], dtype=object),
    ],
    ids=["numpy uint64", "UInt64", "python ints", "object"],
)
def test_ids_of_2_63_and_more_are_refused_not_wrapped(ids: object) -> None:
    """An unsigned id of 2**64 - 1 was cast to int64 (-1) and hashed as "-1", a silent
    wrong arm (GrowthBook hashes ``String(n)``, exact only below 2**53, which crmkit
    requires); a Python int beyond int64 raised a bare OverflowError. Both are now the
    InvalidInputError of any id above 2**53, naming the row."""
    with pytest.raises(InvalidInputError, match=r"2\*\*53.*rows \[1\]"):
        hash_ids(ids, seed="k")


def test_refused_big_id_names_the_callers_row_label() -> None:
    """The row of an oversized id in an object column is the caller's label, not a position."""
    frame = pd.DataFrame(
        {"customer_id": pd.Series([1, 2**64 - 1], dtype=object, index=["r1", "r2"])}
    )
    with pytest.raises(InvalidInputError, match=r"rows \['r2'\]"):
        assign(frame, campaign="k")


def test_unsigned_ids_below_2_53_hash_as_their_decimal_text() -> None:
    """uint64 ids (below 2**53) still hash as GrowthBook's String(n), equal to the scalar."""
    ids = [0, 5, 2**53 - 1]
    got = hash_ids(np.array(ids, dtype=np.uint64), seed="k").tolist()
    assert got == [gb_hash("k", i) for i in ids]
    assert got == hash_ids([str(i) for i in ids], seed="k").tolist()


# ------------------------------------------------- CLI summary: bounds that are not there
def _one_per_arm(pre_start: str | None = None) -> object:
    a = pd.DataFrame(
        {"arm": ["control", "treatment"]}, index=pd.Index(["a", "b"], name="customer_id")
    )
    tx = pd.DataFrame({"customer_id": ["b"], "date": ["2025-07-03"], "amount": [10.0]})
    return measure(a, tx, start="2025-07-01", end="2025-07-31", pre_start=pre_start)


@pytest.mark.parametrize("pre_start", [None, "2025-06-01"])
def test_summary_shows_unbounded_revenue_intervals_as_na(pre_start: str | None) -> None:
    """With one customer in an arm the Welch (and CUPED) interval has no bounds (None):
    summary_lines raised TypeError formatting None, so ``crmkit campaign measure
    --format table`` ended in a traceback. They now show "n/a", as Estimate.format does."""
    result = _one_per_arm(pre_start)
    assert result.incremental_revenue.lower is None  # type: ignore[attr-defined]
    lines = summary_lines(result)  # type: ignore[arg-type]
    assert "incremental revenue/customer +10.00 (95% CI n/a to n/a, Welch)" in lines
    if pre_start is not None:
        assert any(line.startswith("  with CUPED +10.00 (95% CI n/a to n/a") for line in lines)


def test_cli_table_on_one_customer_per_arm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command itself: exit 0 and the summary, not a traceback."""
    arms, tx = tmp_path / "arms.csv", tmp_path / "tx.csv"
    arms.write_text("customer_id,arm\na,control\nb,treatment\n", encoding="utf-8")
    tx.write_text("customer_id,date,amount\nb,2025-07-03,10\n", encoding="utf-8")
    code = main(
        ["campaign", "measure", str(arms), str(tx), "--start", "2025-07-01",
         "--end", "2025-07-31", "--format", "table"]
    )  # fmt: skip
    assert code == 0
    assert "95% CI n/a to n/a, Welch" in capsys.readouterr().out


# ------------------------------------------------------- health: scalar = batch on infinity
_RULES = HealthScore(
    [
        Indicator("recency", "r", 2, Thresholds([30, 90], [100, 50, 0])),
        Indicator("spend", "m", 1, Percentile()),
    ]
)
_MODEL = _RULES.fit(pd.DataFrame({"r": [10.0, 50.0], "m": [1.0, 9.0]}))


@pytest.mark.parametrize("column", ["r", "m"])
@pytest.mark.parametrize("value", [math.inf, -math.inf, np.float64(np.inf)])
def test_scalar_refuses_infinity_as_batch_does(column: str, value: float) -> None:
    """apply() refuses an infinite value; apply_one() and explain() scored it (inf days
    since the last purchase took the last threshold's points), so the scalar and batch
    paths disagreed. All three now raise InvalidInputError naming the column."""
    customer = {"r": 40.0, "m": 5.0, column: value}
    for call in (
        lambda: _MODEL.apply(pd.DataFrame([customer])),
        lambda: _MODEL.apply_one(customer),
        lambda: _MODEL.explain(customer),
    ):
        with pytest.raises(InvalidInputError, match=f"column '{column}'"):
            call()


@given(
    r=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()),
    m=st.floats(allow_nan=True, allow_infinity=True),
)
def test_scalar_and_batch_agree_on_any_float(r: float | None, m: float) -> None:
    """For any float (NaN and infinities included) apply_one equals apply's score, or
    both raise the same error class."""
    customer = {"r": r, "m": m}
    frame = pd.DataFrame({"r": [np.nan if r is None else r], "m": [m]})
    try:
        batch: object = float(_MODEL.apply(frame)["score"].iloc[0])
    except InvalidInputError as exc:
        batch = type(exc)
    try:
        scalar: object = _MODEL.apply_one(customer)
    except InvalidInputError as exc:
        scalar = type(exc)
    assert scalar == batch
