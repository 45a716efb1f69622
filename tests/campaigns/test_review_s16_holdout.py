"""Review, session 16: ``hash_ids`` names what the caller passed, not a column "customer".

``hash_ids`` put every input in a frame column called ``"customer"``, so a bad id in a
plain list, or in a Series called ``uid``, was reported as ``column 'customer'``, a name
the caller never used. Messages now name a Series (or Index) by its name, anything else
as the argument ``ids``, and say when the rows named are positions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import assign, hash_ids
from crmkit.errors import InvalidInputError, SchemaError


@pytest.mark.parametrize(
    ("ids", "rows"),
    [
        (["a", "", "c"], (1,)),
        (["a", None, "c"], (1,)),
        (np.array(["a", "b", ""], dtype=object), (2,)),
        ([1, 2, 2**60], (2,)),
        ([1.5, 2.0], (0, 1)),
    ],
    ids=["empty string", "None", "array", "huge int", "floats"],
)
def test_a_list_or_array_is_named_ids_with_positions(ids: object, rows: tuple[int, ...]) -> None:
    """A list or array is the argument ``ids``; its rows are positions, and say so."""
    with pytest.raises(InvalidInputError) as info:
        hash_ids(ids, seed="s")
    err = info.value
    assert err.field == "ids"
    assert err.rows == rows
    text = str(err)
    assert "'customer'" not in text
    assert text.startswith("hash_ids(): 'ids' must be")
    assert "Rows are positions in ids" in text


def test_a_named_series_is_named_by_its_name_and_labels() -> None:
    """A Series called ``uid`` is ``column 'uid'``, its rows its own labels."""
    ids = pd.Series(["a", "", "c", None], index=["r1", "r2", "r3", "r4"], name="uid")
    with pytest.raises(SchemaError) as info:
        hash_ids(ids, seed="s")
    assert info.value.field == "uid"
    assert info.value.rows == ("r4",)  # missing ids are named first
    assert "column 'uid'" in str(info.value)
    assert "positions" not in str(info.value)
    with pytest.raises(SchemaError) as info:
        hash_ids(ids.iloc[:3], seed="s")
    assert (info.value.field, info.value.rows) == ("uid", ("r2",))


def test_an_unnamed_series_is_ids_with_its_labels() -> None:
    """An unnamed Series is ``'ids'``, and its rows are still its labels."""
    with pytest.raises(InvalidInputError) as info:
        hash_ids(pd.Series([3, 2**60], index=[10, 20]), seed="s")
    assert (info.value.field, info.value.rows) == ("ids", (20,))
    assert "positions" not in str(info.value)


def test_a_named_index_is_named_with_positions() -> None:
    """An Index has no labels of its own apart from the ids: rows are positions."""
    with pytest.raises(SchemaError) as info:
        hash_ids(pd.Index(["a", ""], name="member"), seed="s")
    assert (info.value.field, info.value.rows) == ("member", (1,))
    assert "Rows are positions in ids" in str(info.value)


def test_mixed_ids_hint_fits_what_was_passed() -> None:
    """The conversion advised is one the caller can run on what they passed."""
    with pytest.raises(SchemaError) as info:
        hash_ids([1, "2"], seed="s")
    assert info.value.field == "ids"
    assert "[str(i) for i in ids]" in str(info.value)
    assert "frame[" not in str(info.value)
    with pytest.raises(SchemaError) as info:
        hash_ids(pd.Series([1, "2"], name="uid"), seed="s")
    assert info.value.field == "uid"
    assert "ids.astype(str)" in str(info.value)


def test_a_dataframe_is_refused_for_what_it_is() -> None:
    """A DataFrame was searched for a column "customer" the caller never named (and one
    that had such a column was hashed silently): it is refused, pointing at its column."""
    for frame in (pd.DataFrame({"uid": ["a"]}), pd.DataFrame({"customer": ["a"]})):
        with pytest.raises(InvalidInputError, match="found a DataFrame") as info:
            hash_ids(frame, seed="s")
        assert info.value.field == "ids"


def test_assign_still_names_its_column() -> None:
    """``assign`` reads a column of its frame: its messages keep the column's name."""
    frame = pd.DataFrame({"customer_id": [1, "2"]}, index=["x", "y"])
    with pytest.raises(SchemaError) as info:
        assign(frame, campaign="k")
    assert (info.value.field, info.value.rows) == ("customer_id", ("y",))
    assert "frame['customer_id'].astype(str)" in str(info.value)
    assert "positions" not in str(info.value)


@given(
    st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=8),
    st.data(),
    st.sampled_from(["", None, 1.5]),
    st.one_of(st.none(), st.text(min_size=1, max_size=4)),
)
def test_one_bad_id_is_found_where_it_is(
    good: list[str], data: st.DataObject, bad: object, name: str | None
) -> None:
    """Property: one bad id among text ids is reported at its position in a list, at its
    label in a Series, under the Series' name (or ``'ids'``), never as 'customer'."""
    at = data.draw(st.integers(0, len(good)))
    values: list[object] = [*good[:at], bad, *good[at:]]
    with pytest.raises(SchemaError) as info:
        hash_ids(values, seed="s")
    assert (info.value.field, info.value.rows) == ("ids", (at,))
    labels = [f"r{i}" for i in range(len(values))]
    with pytest.raises(SchemaError) as info:
        hash_ids(pd.Series(values, index=labels, name=name, dtype=object), seed="s")
    assert info.value.field == (name or "ids")
    assert info.value.rows == (f"r{at}",)
