"""Regression: ids of two types (text beside integers) are refused as a mix of types.

``assign([1, "2"])`` said "must be non-empty strings or integers; found 1 other values at
rows [0]", blaming the integer 1 although integers are valid ids: the error is the mix.
It now says the ids mix two types, names the rows of the other type than the first id's,
and says how to give them one type (worded as ``_validate.refuse_lookalike_ids``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import assign, hash_ids
from crmkit.errors import SchemaError


def test_an_integer_then_text_is_a_mix_not_a_bad_integer() -> None:
    """The reported case: the message names the mix and the fix, and row 1 (the text)."""
    with pytest.raises(SchemaError) as info:
        assign([1, "2"], campaign="wake")
    err = info.value
    text = str(err)
    assert err.field == "customer_id"
    assert "must be ids of one type" in text
    assert "ids of two types mixed, int first: 1 other values (str)" in text
    assert "astype(str)" in text
    assert list(err.rows) == [1]


def test_text_then_integers_names_the_integers_by_label() -> None:
    """A Series' labels name the rows; numpy integers count as integers."""
    ids = pd.Series(["a", np.int64(3), "b", 4], index=["r1", "r2", "r3", "r4"], dtype=object)
    with pytest.raises(SchemaError, match=r"str first: 2 other values \(int\)") as info:
        assign(ids, campaign="wake")
    assert list(info.value.rows) == ["r2", "r4"]


def test_the_same_id_as_text_and_number_is_pointed_out() -> None:
    """``7`` and ``"7"`` are one customer written two ways: the message says so."""
    with pytest.raises(
        SchemaError, match=r"1 of them the same id as text and number \(7 and '7'\)"
    ):
        assign([7, "7", 8], campaign="wake")


def test_other_bad_ids_keep_their_message() -> None:
    """A float beside text is no valid id at all: still "other values" (not "mixed")."""
    with pytest.raises(SchemaError, match="non-empty strings or integers") as info:
        assign(["a", 1.5], campaign="wake")
    assert "two types" not in str(info.value)


@given(st.lists(st.one_of(st.integers(-1000, 1000), st.text(min_size=1, max_size=4)), min_size=2))
def test_mixed_ids_are_refused_unless_one_type(ids: list[object]) -> None:
    """Property: a list of ints and strings is hashed when it holds one type, and refused
    as a mix of types, naming exactly the rows of the other type, when it holds both."""
    kinds = {type(v) for v in ids}
    if len(kinds) == 1:
        assert len(hash_ids(ids, seed="s")) == len(ids)
        return
    with pytest.raises(SchemaError, match="ids of two types mixed") as info:
        hash_ids(ids, seed="s")
    other = [i for i, v in enumerate(ids) if type(v) is not type(ids[0])]
    assert info.value.total == len(other)
    assert list(info.value.rows) == other[: len(info.value.rows)]
