"""Reading and writing tables for the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmkit._io import read_table, write_table
from crmkit.errors import InvalidInputError


def test_csv_and_parquet_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    for name in ["t.csv", "t.parquet"]:
        write_table(frame, tmp_path / name, index=False)
        pd.testing.assert_frame_equal(read_table(tmp_path / name), frame, check_dtype=False)


def test_written_tables_leave_result_attrs_out(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1]})
    frame.attrs["as_of"] = pd.Timestamp("2025-01-01")
    write_table(frame, tmp_path / "t.parquet")
    assert frame.attrs == {"as_of": pd.Timestamp("2025-01-01")}  # the caller's frame keeps them
    assert read_table(tmp_path / "t.parquet").attrs == {}


@pytest.mark.parametrize(
    ("content", "found"),
    [("", "an empty file"), ('a,b\n1,"x\n', "well-formed CSV")],
)
def test_unreadable_csv_is_invalid_input(tmp_path: Path, content: str, found: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InvalidInputError, match=found) as info:
        read_table(path, owner="crmkit rfm")
    assert info.value.field == str(path)


def test_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        read_table(tmp_path / "nope.csv")
