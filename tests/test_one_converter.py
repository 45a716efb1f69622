"""One JSON converter (crmkit._jsonable.json_ready) behind every result's to_dict and the
command line's JSON output."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from crmkit._cli_support import records
from crmkit._jsonable import json_ready
from crmkit.loyalty import Program, breakage
from crmkit.loyalty._finance import BreakageResult


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (np.bool_(True), True),
        (pd.NA, None),
        (np.datetime64("NaT"), None),
        (np.datetime64("2025-01-31T09:30"), "2025-01-31T09:30:00"),
        (dt.time(9, 30), "09:30:00"),
        (np.float64("inf"), None),
    ],
)
def test_json_ready_takes_the_scalars_frames_hold(value: object, plain: object) -> None:
    """Regression: numpy booleans and pd.NA raised TypeError in json_ready."""
    assert json_ready(value) == plain


def test_json_ready_default_handles_what_has_no_json_form() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    with pytest.raises(TypeError, match="no JSON form for Odd"):
        json_ready({"x": Odd()})
    assert json_ready({"x": [Odd()]}, default=str) == {"x": ["odd"]}


def test_breakage_to_dict_keeps_its_shape_through_json_ready() -> None:
    """Cohorts stay one record per cohort; NaN and infinities become null."""
    cohorts = pd.DataFrame(
        {"issued": [10, 0], "redeemed": [4, 0], "expired": [6, 0], "open": [0, 0],
         "observed": [0.6, np.nan], "ultimate": [0.6, np.inf]},
        index=pd.Index(["2025-01", "2025-02"], name="cohort"),
    )  # fmt: skip
    as_of = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    result = BreakageResult(cohorts, float("nan"), 0.6, "resolved-ratio", "mature", as_of)
    d = result.to_dict()
    assert d == {
        "as_of": "2025-03-01T00:00:00+00:00",
        "currency": "points",
        "method": "resolved-ratio",
        "basis": "mature",
        "rate": None,
        "ultimate": 0.6,
        "cohorts": [
            {"cohort": "2025-01", "issued": 10, "redeemed": 4, "expired": 6, "open": 0,
             "observed": 0.6, "ultimate": 0.6},
            {"cohort": "2025-02", "issued": 0, "redeemed": 0, "expired": 0, "open": 0,
             "observed": None, "ultimate": None},
        ],
    }  # fmt: skip
    json.dumps(d, allow_nan=False)
    empty = breakage({}, Program(), as_of=as_of).to_dict()
    assert empty["cohorts"] == []
    assert empty["method"] == "resolved-ratio"


def test_cli_records_keep_the_command_line_number_style() -> None:
    """15 significant digits, whole Decimals as numbers; infinities are null, not Infinity."""
    frame = pd.DataFrame(
        {
            "monetary": [492.44500000000005, np.inf],
            "points": [Decimal("90"), Decimal("12.5")],
            "flag": pd.array([True, None], dtype="boolean"),
            "at": pd.to_datetime(pd.Series(["2025-01-02 09:00", None])),
            "other": [dt.time(9), object],
        }
    )
    rows = records(frame, index=False)
    assert rows[0]["monetary"] == 492.445
    assert rows[1]["monetary"] is None  # regression: json.dumps wrote Infinity (not JSON)
    assert (rows[0]["points"], rows[1]["points"]) == (90, "12.5")
    assert (rows[0]["flag"], rows[1]["flag"]) == (True, None)
    assert (rows[0]["at"], rows[1]["at"]) == ("2025-01-02T09:00:00", None)
    assert rows[0]["other"] == "09:00:00"
    assert rows[1]["other"] == str(object)
    json.dumps(rows, allow_nan=False)
