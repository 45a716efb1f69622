"""Review s17: a date snapshot beside the instant at its first midnight is named, not "repeated".

A date snapshot means the end of that day (``attrs["date_snapshots"]``), and
:func:`lifecycle_history` labels it by the midnight that begins it. ``"2025-01-31"`` and
``"2025-01-31T00:00"`` are therefore two snapshots a day apart that would share one column
label. They used to be refused as "a repeated one", which they are not. They are still
refused (a history cannot hold two columns with one label, and ``date_snapshots`` could not
tell them apart), by a message that names both, says what each means and how to state
both; a true repeat is refused as one, naming it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from crmkit.errors import ConfigError
from crmkit.segmentation import classify_lifecycle, lifecycle_history


def tx() -> pd.DataFrame:
    """Two customers, with a purchase exactly at the midnight that begins 31 January."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-01-31 00:00", "2025-01-20 10:00"], format="ISO8601"
            ),
        }
    )


@pytest.mark.parametrize(
    "as_of",
    [["2025-01-31", "2025-01-31T00:00"], ["2025-01-31 00:00:00", "2025-01-15", "2025-01-31"]],
)
def test_a_date_and_its_first_midnight_are_refused_as_a_label_clash(as_of: list[str]) -> None:
    """The message says they differ, why they clash, and how to state both."""
    with pytest.raises(ConfigError) as info:
        lifecycle_history(tx(), amount=None, as_of=as_of)
    message = str(info.value)
    assert "repeated" not in message
    assert "'2025-01-31' (a date: the end of that day)" in message
    assert "'2025-01-31 00:00:00' (an instant: the midnight that begins that day)" in message
    assert "both labelled 2025-01-31 00:00:00" in message
    assert "If both mean the end of 2025-01-31, pass the date alone" in message
    assert "pass the date '2025-01-30'" in message


def test_the_ways_the_message_suggests_are_accepted() -> None:
    """The date alone, the date with the day before (each under its own label), and the
    midnight instant in a call of its own all work; the instant holds the midnight purchase."""
    alone = lifecycle_history(tx(), amount=None, as_of=["2025-01-31"])
    assert alone.attrs["date_snapshots"] == ["2025-01-31"]
    pair = lifecycle_history(tx(), amount=None, as_of=["2025-01-30", "2025-01-31"])
    assert pair.attrs["date_snapshots"] == ["2025-01-30", "2025-01-31"]
    assert list(pair.columns) == [pd.Timestamp("2025-01-30"), pd.Timestamp("2025-01-31")]
    instant = lifecycle_history(tx(), amount=None, as_of=["2025-01-31T00:00"])
    assert instant.attrs["date_snapshots"] == []
    midnight = classify_lifecycle(tx(), amount=None, as_of="2025-01-31T00:00")
    assert midnight.loc[1, "purchase_days"] == 2  # the purchase at that very midnight is in


@pytest.mark.parametrize(
    ("as_of", "named"),
    [
        (["2025-01-31", "2025-01-31"], "'2025-01-31' twice"),
        (["2025-01-31T00:00", "2025-01-31 00:00:00"], "'2025-01-31 00:00:00' twice"),
    ],
)
def test_a_true_repeat_is_refused_naming_it(as_of: list[str], named: str) -> None:
    """The same snapshot twice is a repeat, said so and named."""
    with pytest.raises(ConfigError, match=f"must be distinct snapshots; found {named}"):
        lifecycle_history(tx(), amount=None, as_of=as_of)


def test_an_aware_history_takes_a_date_and_its_first_midnight() -> None:
    """In aware data an instant is labelled with its offset, a date by its naive midnight:
    the two labels differ, so both snapshots are taken (as before)."""
    aware = tx().assign(date=tx()["date"].dt.tz_localize("Europe/Berlin"))
    h = lifecycle_history(aware, amount=None, as_of=["2025-01-31", "2025-01-31T00:00"])
    assert len(h.columns) == 2
    assert h.attrs["date_snapshots"] == ["2025-01-31"]


@pytest.mark.slow
def test_on_dask_the_same_message(dask_client: Any) -> None:
    """The Dask history reads its snapshots on the driver with the same check."""
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(tx(), npartitions=2)
    with pytest.raises(ConfigError, match="both labelled 2025-01-31 00:00:00"):
        lifecycle_history(ddf, amount=None, as_of=["2025-01-31", "2025-01-31T00:00"])
