"""Review s16, lifecycle: a transition matrix writes a date snapshot as its date.

:func:`lifecycle_history` labels a snapshot given as a date (the end of that day) by the
naive midnight that begins it. Named by that column label (``h.columns[0]``, the way a
notebook loops over a history), :func:`transition_matrix` used to write the snapshot in
``to_dict()`` and the ``repr`` as ``"...T00:00:00"``: an instant a whole day before the
snapshot the flows were counted at. The history now records its date snapshots
(``attrs["date_snapshots"]``, also on a Dask history's metadata), and the matrix writes
each snapshot as the history took it, however the caller names it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit.segmentation import lifecycle_history, stage_flows, transition_matrix
from crmkit.segmentation._lifecycle_engine import make_cut
from tests.strategies import examples, purchase_logs

ZONES = (None, "Asia/Shanghai", "Europe/Berlin", "America/New_York")


def jan_to_mar() -> pd.DataFrame:
    """1 buys in January and at 23:30 on 31 March; 2 in January; 3 first at 23:30 on 31 March."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-03-31 23:30", "2025-01-20", "2025-03-31 23:30"],
                format="ISO8601",
            ),
        }
    )


def as_json(result: Any) -> dict[str, Any]:
    """``result.to_dict()`` through a JSON round trip, as an API client gets it."""
    data: dict[str, Any] = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    return data


def same_cut(written: object, given: object, zone: str | None) -> bool:
    """Whether crmkit's cut-off reader reads the written text as the cut given."""
    tz = None if zone is None else ZoneInfo(zone)
    return make_cut(written, tz, "t", "x") == make_cut(given, tz, "t", "x")


def test_date_snapshots_named_by_their_column_labels_are_written_as_dates() -> None:
    """``transition_matrix(h, h.columns[0], h.columns[1])`` writes the two dates.

    Before the fix: ``"2025-01-31T00:00:00"`` and ``"2025-03-31T00:00:00"``, which read
    back as the start of 31 March, before customer 3's first purchase that the matrix
    counts among the arrivals.
    """
    h = lifecycle_history(jan_to_mar(), as_of=["2025-01-31", "2025-03-31"], amount=None)
    assert h.attrs["date_snapshots"] == ["2025-01-31", "2025-03-31"]
    tm = transition_matrix(h, h.columns[0], h.columns[1])
    assert int(tm.entered["new"]) == 1  # customer 3, at 23:30 on 31 March
    d = as_json(tm)
    assert (d["start"], d["end"]) == ("2025-01-31", "2025-03-31")
    assert "start='2025-01-31', end='2025-03-31'" in repr(tm)
    assert tm.start_whole_day
    assert tm.end_whole_day
    # The same matrix whichever way the snapshots are named.
    for start, end in (("2025-01-31", dt.date(2025, 3, 31)), (h.columns[0], "2025-03-31")):
        assert as_json(transition_matrix(h, start, end)) == d


def test_freq_snapshots_are_date_snapshots() -> None:
    """``freq=`` snapshots are the ends of periods (dates): written as dates."""
    h = lifecycle_history(jan_to_mar(), freq="M", amount=None)
    assert h.attrs["date_snapshots"] == ["2025-01-31", "2025-02-28", "2025-03-31"]
    d = as_json(transition_matrix(h, h.columns[1], h.columns[2]))
    assert (d["start"], d["end"]) == ("2025-02-28", "2025-03-31")


def test_an_instant_snapshot_at_midnight_stays_an_instant_however_named() -> None:
    """A snapshot given as the instant ``2025-03-31 00:00`` is written as that instant.

    Named by the date ``"2025-03-31"`` (which finds that column), the old code wrote
    ``"2025-03-31"``, the end of the day: customer 3 would then be among the arrivals,
    but the history took the snapshot before the purchase.
    """
    h = lifecycle_history(jan_to_mar(), as_of=["2025-01-31", "2025-03-31 00:00"], amount=None)
    assert h.attrs["date_snapshots"] == ["2025-01-31"]
    tm = transition_matrix(h, "2025-01-31", "2025-03-31")
    assert int(tm.entered.sum()) == 0
    d = as_json(tm)
    assert (d["start"], d["end"]) == ("2025-01-31", "2025-03-31T00:00:00")
    assert same_cut(d["end"], "2025-03-31 00:00", None)


def test_zone_aware_history_writes_dates_and_instants_as_given() -> None:
    """In a zone a date snapshot's label is a naive midnight, an instant's is aware."""
    h = lifecycle_history(
        jan_to_mar(), as_of=["2025-01-31", "2025-03-31 12:00"], amount=None,
        timezone="Asia/Shanghai",
    )  # fmt: skip
    d = as_json(transition_matrix(h, h.columns[0], h.columns[1]))
    assert (d["start"], d["end"]) == ("2025-01-31", "2025-03-31T12:00:00+08:00")


def test_without_the_record_the_name_decides() -> None:
    """A frame whose ``attrs`` were dropped: a date names a date snapshot, a label an instant."""
    h = lifecycle_history(jan_to_mar(), as_of=["2025-01-31", "2025-03-31"], amount=None)
    bare = h.copy()
    bare.attrs = {}
    assert as_json(transition_matrix(bare, "2025-01-31", "2025-03-31"))["end"] == "2025-03-31"
    assert as_json(transition_matrix(bare, bare.columns[0], "2025-03-31"))["start"] == (
        "2025-01-31T00:00:00"
    )


def test_a_dask_history_writes_date_snapshots_as_dates(dask_client: Any) -> None:
    """The Dask history's metadata (and its computed frame) carry the record too."""
    dd = pytest.importorskip("dask.dataframe")
    tx = jan_to_mar()
    lazy = lifecycle_history(
        dd.from_pandas(tx, npartitions=2), as_of=["2025-01-31", "2025-03-31"], amount=None
    )
    eager = lifecycle_history(tx, as_of=["2025-01-31", "2025-03-31"], amount=None)
    expected = as_json(transition_matrix(eager, eager.columns[0], eager.columns[1]))
    got = as_json(transition_matrix(lazy, lazy.columns[0], lazy.columns[1]))
    assert got == expected
    assert (got["start"], got["end"]) == ("2025-01-31", "2025-03-31")
    computed = lazy.compute()
    assert computed.attrs["date_snapshots"] == ["2025-01-31", "2025-03-31"]
    assert as_json(transition_matrix(computed, computed.columns[0], computed.columns[1])) == got
    pd.testing.assert_frame_equal(stage_flows(lazy), stage_flows(eager))


@st.composite
def cutoffs(draw: st.DrawFn, first: int = 0, last: int = 1100) -> str:
    """A cut-off over the purchase_logs years: a day, its midnight, or an instant on it."""
    stamp = pd.Timestamp("2023-01-01") + pd.Timedelta(days=draw(st.integers(first, last)))
    kind = draw(st.sampled_from(["date", "midnight", "instant"]))
    if kind == "date":
        return stamp.date().isoformat()
    seconds = 0 if kind == "midnight" else draw(st.integers(1, 86_399))
    return str(stamp + pd.Timedelta(seconds=seconds))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tx=purchase_logs(),
    first=cutoffs(0, 500),
    second=cutoffs(502, 1100),
    zone=st.sampled_from(ZONES),
    by_label=st.booleans(),
)
def test_the_written_snapshots_are_the_snapshots_of_the_history(
    tx: pd.DataFrame, first: str, second: str, zone: str | None, by_label: bool
) -> None:
    """Property: whether named by column label or as given, ``start``/``end`` read back
    are the cuts given to :func:`lifecycle_history`, and name the same matrix again.
    """
    h = lifecycle_history(tx, as_of=[first, second], amount="amount", timezone=zone)
    start, end = (h.columns[0], h.columns[1]) if by_label else (first, second)
    d = as_json(transition_matrix(h, start, end))
    assert same_cut(d["start"], first, zone)
    assert same_cut(d["end"], second, zone)
    assert as_json(transition_matrix(h, d["start"], d["end"])) == d
