"""How the segmentation results write their cut-offs: a date stays a date.

crmkit reads a date given as a cut-off as the end of that day. :class:`Rate` writes such a
bound as the date alone; :class:`CohortTable` (``as_of``) and :class:`TransitionMatrix`
(``start``, ``end``) wrote it, in ``to_dict()`` and the ``repr``, as the midnight that
*begins* the day (``"2025-03-31T00:00:00"``), so a client read the window a day short. They
now write it as the date, and an instant as its exact ISO 8601 text, as :class:`Rate`
does, so that the written text, read back by crmkit's cut-off reader, is the cut given.

The retention :class:`Rate` also writes its ``base_start`` (given or derived), which a
client could only read from the definition text before; the other rates write None.
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

from crmkit.segmentation import (
    CohortTable,
    Rate,
    TransitionMatrix,
    churn_rate,
    cohort_retention,
    lifecycle_history,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
    transition_matrix,
)
from crmkit.segmentation._lifecycle_engine import make_cut
from tests.strategies import examples, purchase_logs

ZONES = (None, "Asia/Shanghai", "Europe/Berlin", "America/New_York")


def jan_to_mar() -> pd.DataFrame:
    """1 first buys in January and again at 23:30 on 31 March; 2 buys in January only."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-03-31 23:30", "2025-01-20"], format="ISO8601"
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


# --------------------------------------------------------------------------- cohort tables


def test_a_date_as_of_of_a_cohort_table_is_written_as_that_date() -> None:
    """Observed to the end of 31 March: 1's 23:30 purchase that day is in the March cell.

    Before the fix the JSON and the repr said ``2025-03-31T00:00:00``: a window that leaves
    out the purchase the table counts.
    """
    table = cohort_retention(jan_to_mar(), as_of="2025-03-31", amount=None)
    assert table.counts.loc["2025-01"].tolist() == [2.0, 0.0, 1.0]  # March: customer 1
    assert table.future_rows == 0
    d = as_json(table)
    assert d["as_of"] == "2025-03-31"
    assert "as_of_whole_day" not in d  # the text says it is a day
    assert "as_of='2025-03-31'" in repr(table)
    assert "Timestamp" not in repr(table)
    # The attribute keeps its Timestamp label, the flag saying it is a day.
    assert table.as_of == pd.Timestamp("2025-03-31")
    assert table.as_of_whole_day


def test_the_default_as_of_of_a_cohort_table_is_the_last_day_in_the_data() -> None:
    """No ``as_of``: the end of the last purchase day, written as that day (was midnight)."""
    table = cohort_retention(jan_to_mar(), amount=None)
    assert as_json(table)["as_of"] == "2025-03-31"
    assert table.counts.loc["2025-01", 2] == 1.0  # the 23:30 purchase is in


def test_an_instant_as_of_of_a_cohort_table_is_written_exactly() -> None:
    """Noon on 31 March in Shanghai stays noon +08:00; March is then not complete."""
    table = cohort_retention(
        jan_to_mar(), as_of="2025-03-31 12:00", amount=None, timezone="Asia/Shanghai"
    )
    assert as_json(table)["as_of"] == "2025-03-31T12:00:00+08:00"
    assert not table.as_of_whole_day
    assert table.future_rows == 1  # the 23:30 purchase
    assert list(table.counts.columns) == [0, 1]  # March is not complete by noon
    naive = cohort_retention(jan_to_mar(), as_of="2025-03-31 00:00", amount=None)
    assert as_json(naive)["as_of"] == "2025-03-31T00:00:00"  # this one is the midnight


def test_a_date_as_of_in_a_zone_is_written_as_the_date() -> None:
    """In a zone the date is the end of the day there, and written without an offset."""
    table = cohort_retention(
        jan_to_mar(), as_of="2025-03-31", amount=None, timezone="Europe/Berlin"
    )
    assert as_json(table)["as_of"] == "2025-03-31"


def test_the_dask_cohort_table_writes_as_of_the_same(dask_client: Any) -> None:
    """The Dask path writes the same ``as_of`` (default and given)."""
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(jan_to_mar(), npartitions=2)
    assert as_json(cohort_retention(ddf, amount=None))["as_of"] == "2025-03-31"
    given_day = cohort_retention(ddf, as_of=dt.date(2025, 3, 31), amount=None)
    assert as_json(given_day) == as_json(
        cohort_retention(jan_to_mar(), as_of="2025-03-31", amount=None)
    )


@st.composite
def cutoffs(draw: st.DrawFn, first: int = 0, last: int = 1100) -> str:
    """A cut-off over the purchase_logs years: a day (ISO) or an instant on a day."""
    stamp = pd.Timestamp("2023-01-01") + pd.Timedelta(days=draw(st.integers(first, last)))
    if draw(st.booleans()):
        return stamp.date().isoformat()
    return str(stamp + pd.Timedelta(seconds=draw(st.integers(0, 86_399))))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tx=purchase_logs(),
    as_of=cutoffs(),
    zone=st.sampled_from(ZONES),
    freq=st.sampled_from(["W", "M", "Q"]),
)
def test_the_written_as_of_read_back_is_the_same_cut(
    tx: pd.DataFrame, as_of: str, zone: str | None, freq: str
) -> None:
    """Property: to_dict()'s ``as_of`` read by crmkit's reader is the cut given.

    And the table computed again from the written ``as_of`` writes the same JSON.
    """
    table = cohort_retention(tx, as_of=as_of, freq=freq, timezone=zone)
    d = as_json(table)
    assert same_cut(d["as_of"], as_of, zone)
    again = cohort_retention(tx, as_of=d["as_of"], freq=freq, timezone=zone)
    assert as_json(again) == d
    assert repr(again) == repr(table)


# --------------------------------------------------------------------------- transitions


def test_date_snapshots_of_a_transition_matrix_are_written_as_the_dates() -> None:
    """Snapshots at the end of 31 January and of 31 March (3's 23:30 purchase is in).

    Before the fix: ``"2025-01-31T00:00:00"`` and ``"2025-03-31T00:00:00"``, so the JSON
    named snapshots a day before those the flows were counted at.
    """
    newcomer = pd.DataFrame({"customer_id": [3], "date": [pd.Timestamp("2025-03-31 23:30")]})
    tx = pd.concat([jan_to_mar(), newcomer], ignore_index=True)
    h = lifecycle_history(tx, as_of=["2025-01-31", "2025-03-31"], amount=None)
    tm = transition_matrix(h, "2025-01-31", dt.date(2025, 3, 31))
    assert int(tm.counts.loc["new", "active"]) == 2  # 1 and 2, new at the end of January
    assert int(tm.entered["new"]) == 1  # 3, who first bought at 23:30 on 31 March
    d = as_json(tm)
    assert (d["start"], d["end"]) == ("2025-01-31", "2025-03-31")
    assert "start_whole_day" not in d
    assert "end_whole_day" not in d
    assert "start='2025-01-31', end='2025-03-31'" in repr(tm)
    assert "Timestamp" not in repr(tm)
    assert tm.start == pd.Timestamp("2025-01-31")  # the history's column label
    assert tm.start_whole_day
    assert tm.end_whole_day


def test_instant_snapshots_of_a_transition_matrix_are_written_exactly() -> None:
    """An instant snapshot keeps its time and offset; the date one stays a date."""
    h = lifecycle_history(
        jan_to_mar(), as_of=["2025-01-31", "2025-03-31 12:00"], amount=None,
        timezone="Asia/Shanghai",
    )  # fmt: skip
    tm = transition_matrix(h, "2025-01-31", "2025-03-31 12:00")
    assert (as_json(tm)["start"], as_json(tm)["end"]) == ("2025-01-31", "2025-03-31T12:00:00+08:00")
    assert not tm.end_whole_day


def test_a_date_snapshot_named_by_its_column_label_is_written_as_the_date() -> None:
    """The history records its date snapshots (``attrs["date_snapshots"]``): named by its
    column label (the midnight beginning the day), a date snapshot is still written as the
    date (review s16; it was written ``"2025-01-31T00:00:00"``, a day short).
    """
    h = lifecycle_history(jan_to_mar(), as_of=["2025-01-31", "2025-03-31"], amount=None)
    tm = transition_matrix(h, h.columns[0], "2025-03-31")
    d = as_json(tm)
    assert (d["start"], d["end"]) == ("2025-01-31", "2025-03-31")
    assert same_cut(d["start"], "2025-01-31", None)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tx=purchase_logs(),
    first=cutoffs(0, 500),
    second=cutoffs(502, 1100),
    zone=st.sampled_from(ZONES),
)
def test_the_written_snapshots_read_back_are_the_cuts_given(
    tx: pd.DataFrame, first: str, second: str, zone: str | None
) -> None:
    """Property: to_dict()'s ``start``/``end`` read back are the snapshots named.

    And naming the snapshots by the written text finds the same columns, same matrix.
    """
    h = lifecycle_history(tx, as_of=[first, second], amount="amount", timezone=zone)
    tm = transition_matrix(h, first, second)
    d = as_json(tm)
    assert same_cut(d["start"], first, zone)
    assert same_cut(d["end"], second, zone)
    again = transition_matrix(h, d["start"], d["end"])
    assert as_json(again) == d


# --------------------------------------------------------------------------- base_start


def may_june() -> pd.DataFrame:
    """May buyers 1, 2, 3; 5 bought on 30 April at 23:00; in June 1, 3 and newcomer 4."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4, 5, 5],
            "date": pd.to_datetime(
                [
                    "2025-05-03",
                    "2025-06-09",
                    "2025-05-20",
                    "2025-05-28",
                    "2025-06-30 23:30",
                    "2025-06-02",
                    "2025-04-30 23:00",
                    "2025-06-15",
                ],
                format="ISO8601",
            ),
        }
    )


def test_retention_writes_the_base_start_it_was_given() -> None:
    """Base period (end of 30 April, end of 31 May]: 5's purchase at 23:00 on 30 April is
    out, so 5 is not in the base (3 of May's 1, 2, 3; 1 and 3 retained).

    Before: no ``base_start`` in the JSON (only in the definition text).
    """
    r = retention_rate(
        may_june(), base_start="2025-04-30", start="2025-05-31", end="2025-06-30", amount=None
    )
    assert (r.numerator, r.denominator) == (2, 3)
    d = as_json(r)
    assert (d["base_start"], d["start"], d["end"]) == ("2025-04-30", "2025-05-31", "2025-06-30")
    assert "base_start_whole_day" not in d
    assert repr(r).endswith("base_start='2025-04-30')")
    assert r.base_start == pd.Timestamp("2025-04-30")
    assert r.base_start_whole_day
    # An instant base start writes its instant: 5's 23:00 purchase is then in the base.
    late = retention_rate(
        may_june(), base_start="2025-04-30 22:00", start="2025-05-31", end="2025-06-30",
        amount=None,
    )  # fmt: skip
    assert (late.numerator, late.denominator) == (3, 4)
    assert as_json(late)["base_start"] == "2025-04-30T22:00:00"


def test_retention_writes_the_base_start_it_derived() -> None:
    """Without ``base_start``: 30 days before the end of 31 May is the end of 1 May."""
    r = retention_rate(may_june(), start="2025-05-31", end="2025-06-30", amount=None)
    assert as_json(r)["base_start"] == "2025-05-01"
    assert "(2025-05-01, 2025-05-31]" in r.definition
    instant = retention_rate(
        may_june(), start="2025-05-31 12:00", end="2025-06-30 12:00", amount=None,
        timezone="Asia/Shanghai",
    )  # fmt: skip
    assert as_json(instant)["base_start"] == "2025-05-01T12:00:00+08:00"


def test_the_other_rates_write_no_base_start() -> None:
    """Churn, repurchase and reactivation have no base period: ``base_start`` is None."""
    window = {"start": "2025-05-31", "end": "2025-06-30", "amount": None}
    rates = [
        churn_rate(may_june(), **window),
        repurchase_rate(may_june(), **window),
        reactivation_rate(may_june(), **window),
        Rate("churn", "", None, None, numerator=3, denominator=12),
    ]
    for r in rates:
        d = as_json(r)
        assert d["base_start"] is None
        assert "base_start=None" in repr(r)
        assert set(d) == set(as_json(rates[0]))  # the same keys for every rate


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tx=purchase_logs(),
    base_start=st.none() | cutoffs(0, 400),
    start=cutoffs(401, 700),
    end=cutoffs(701, 1100),
    zone=st.sampled_from(ZONES),
)
def test_the_written_base_start_read_back_is_the_base_period(
    tx: pd.DataFrame, base_start: str | None, start: str, end: str, zone: str | None
) -> None:
    """Property: the written ``base_start`` read back is the base start used (given or
    derived), and retention from the written bounds is the same rate.
    """
    r = retention_rate(tx, base_start=base_start, start=start, end=end, timezone=zone)
    d = as_json(r)
    if base_start is not None:
        assert same_cut(d["base_start"], base_start, zone)
    assert f"({d['base_start'].replace('T', ' ')}, " in r.definition  # the words agree
    again = retention_rate(
        tx, base_start=d["base_start"], start=d["start"], end=d["end"], timezone=zone
    )
    assert as_json(again) == d


def test_result_classes_keep_their_timestamp_attributes() -> None:
    """The attributes keep their types (Timestamps), the flags are plain bools."""
    table = cohort_retention(jan_to_mar(), as_of="2025-03-31", amount=None)
    h = lifecycle_history(jan_to_mar(), as_of=["2025-01-31", "2025-03-31"], amount=None)
    tm = transition_matrix(h, "2025-01-31", "2025-03-31")
    r = retention_rate(may_june(), start="2025-05-31", end="2025-06-30", amount=None)
    assert isinstance(table, CohortTable)
    assert isinstance(tm, TransitionMatrix)
    for stamp in (table.as_of, tm.start, tm.end, r.start, r.end, r.base_start):
        assert isinstance(stamp, pd.Timestamp)
