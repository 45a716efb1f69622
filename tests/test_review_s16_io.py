"""Review, session 16: CSV rows keep their lines past a line of spaces; padded ids refused.

Two readings of one input were accepted without a word:

* a line of only spaces or tabs (pandas skips it as blank) was counted as a record by
  the line finder, so the counts disagreed and every row was labelled with its position
  instead of its line: "at rows [1]" then meant the fourth line;
* ids read as text (so that ``007`` keeps its zeros) kept spaces around them, so ``" 7"``,
  ``"7 "`` and ``"7"``, one customer when read as numbers, became three.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit._io import read_csv_bytes
from crmkit.cli import main
from crmkit.errors import InvalidInputError
from tests.strategies import examples


# ------------------------------------------------------------- lines of spaces are blank
@pytest.mark.parametrize(
    ("data", "sep", "lines"),
    [
        (b"a,b\n1,2\n   \n3,4\n", ",", [2, 4]),
        (b"a,b\n1,2\n\t\n3,4\n", ",", [2, 4]),
        (b"a,b\r\n1,2\r\n \t \r\n3,4\r\n", ",", [2, 4]),
        (b"a,b\n1,2\n3,4\n  ", ",", [2, 3]),
        (b"  \na,b\n1,2\n", ",", [3]),
        (b"a\n1\n   \n3\n", ",", [2, 4]),
        (b"a;b\n1;2\n  \n3;4\n", ";", [2, 4]),
        (b"a\tb\n1\t2\n  \n3\t4\n", "\t", [2, 4]),
        (b"a,b\r1,2\r   \r3,4\r", ",", [2, 4]),  # old Mac line breaks: the csv module path
    ],
    ids=["spaces", "tab", "crlf", "last line", "before header", "one column", "semicolon",
         "tsv", "cr"],
)  # fmt: skip
def test_a_line_of_spaces_keeps_every_row_at_its_line(
    data: bytes, sep: str, lines: list[int]
) -> None:
    """The rows after (and before) a line of spaces are labelled with their lines."""
    frame = read_csv_bytes(data, "t.csv", sep=sep)
    assert frame.index.tolist() == lines
    assert not isinstance(frame.index, pd.RangeIndex)


@pytest.mark.parametrize(
    ("data", "sep", "lines"),
    [
        (b'a,b\n1,2\n"   "\n3,4\n', ",", [2, 3, 4]),  # quoted spaces are a value
        (b"a\tb\n1\t2\n\t\n3\t4\n", "\t", [2, 4]),  # a tab is the separator: empty fields
    ],
    ids=["quoted spaces", "tab separator"],
)
def test_what_is_not_a_blank_line_stays_a_row(data: bytes, sep: str, lines: list[int]) -> None:
    """Quoted spaces are a value, and a lone separator is a row of empty fields (blanked
    as Excel's empty rows are): both keep the lines as pandas reads them."""
    assert read_csv_bytes(data, "t.csv", sep=sep).index.tolist() == lines


def test_the_command_names_the_line_of_a_bad_amount_after_a_line_of_spaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: the bad amount is on line 4, and the message says so (it said 1)."""
    path = tmp_path / "t.csv"
    path.write_text(
        "customer_id,date,amount\n1,2025-01-02,10\n   \n1,2025-02-02,#N/A\n", encoding="utf-8"
    )
    assert main(["rfm", str(path), "--as-of", "2025-06-30"]) == 2
    err = capsys.readouterr().err
    assert "column 'amount'" in err
    assert "rows [4]" in err


@settings(max_examples=examples(100), deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 99), st.integers(-5, 5)), min_size=1, max_size=6),
    blanks=st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from([" ", "   ", "\t", " \t", "\t \r"])),
        max_size=3,
    ),
)
def test_lines_of_spaces_change_nothing_but_line_numbers(
    rows: list[tuple[int, int]], blanks: list[tuple[int, str]]
) -> None:
    """Property: inserting lines of spaces and tabs anywhere keeps the values and dtypes,
    and labels every row with the line it is on."""
    body = [f"{c},{n}" for c, n in rows]
    plain = read_csv_bytes(("id,n\n" + "\n".join(body) + "\n").encode(), "t.csv")
    lines = list(body)
    for at, filler in sorted(blanks, reverse=True):
        lines.insert(min(at, len(lines)), filler)
    padded = read_csv_bytes(("id,n\n" + "\n".join(lines) + "\n").encode(), "t.csv")
    pd.testing.assert_frame_equal(padded.reset_index(drop=True), plain.reset_index(drop=True))
    assert padded.index.tolist() == [i + 2 for i, line in enumerate(lines) if "," in line]


# ----------------------------------------------------------------- ids with spaces around
@pytest.mark.parametrize("as_text", [False, True])
def test_ids_with_spaces_around_are_refused_by_line(as_text: bool) -> None:
    """``" 7"`` and ``"7 "`` (quoted or not, any Unicode space) are refused, naming lines."""
    data = 'id,n\n7,1\n 7,2\n8,3\n"7 ",4\n\u30009,5\n'.encode()
    with pytest.raises(InvalidInputError) as info:
        read_csv_bytes(data, "t.csv", text_columns=["id"], as_text=as_text)
    err = info.value
    assert (err.field, err.rows, err.total) == ("id", (3, 5, 6), 3)
    assert "3 ids with spaces around them" in str(err)


def test_ids_without_spaces_around_are_read_as_written() -> None:
    """A space inside an id is part of it; other columns keep their spaces; a missing id
    stays missing; labels as positions name positions."""
    data = b"id,region,n\na b,  EU,1\n007,NA ,2\n,x,3\n"
    frame = read_csv_bytes(data, "t.csv", text_columns=["id", "absent"])
    assert frame["id"].tolist()[:2] == ["a b", "007"]
    assert frame["id"].isna().tolist() == [False, False, True]
    assert frame["region"].tolist() == ["  EU", "NA ", "x"]
    with pytest.raises(InvalidInputError) as info:
        read_csv_bytes(b"id\n1\n 2\n", "t.csv", text_columns=["id"], labels="positions")
    assert info.value.rows == (1,)


def test_the_command_refuses_one_customer_written_three_ways(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: ``crmkit rfm`` gave customer 7 three RFM rows (``"7"``, ``" 7"``, ``"7 "``)."""
    path = tmp_path / "t.csv"
    path.write_text(
        "customer_id,date,amount\n7,2025-01-02,10\n 7,2025-02-02,20\n7 ,2025-03-02,5\n",
        encoding="utf-8",
    )
    assert main(["rfm", str(path), "--as-of", "2025-06-30", "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert "column 'customer_id'" in err
    assert "rows [3, 4]" in err


@settings(max_examples=examples(100), deadline=None)
@given(
    ids=st.lists(
        st.tuples(
            st.sampled_from(["7", "007", "a b", "客户"]),
            st.sampled_from(["", " ", "\u3000", "\xa0"]),
            st.sampled_from(["", " ", "\t"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_an_id_is_refused_exactly_when_spaces_surround_it(
    ids: list[tuple[str, str, str]],
) -> None:
    """Property: reading fails iff some id has spaces around it, and names exactly those."""
    cells = [f'"{before}{core}{after}"' for core, before, after in ids]
    data = ("id,n\n" + "".join(f"{cell},1\n" for cell in cells)).encode()
    padded = [i + 2 for i, (_, before, after) in enumerate(ids) if before or after]
    if not padded:
        frame = read_csv_bytes(data, "t.csv", text_columns=["id"])
        assert frame["id"].tolist() == [core for core, _, _ in ids]
        return
    with pytest.raises(InvalidInputError) as info:
        read_csv_bytes(data, "t.csv", text_columns=["id"])
    assert info.value.total == len(padded)
    assert list(info.value.rows) == padded[:5]
