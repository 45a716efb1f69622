"""metric_table and the ticket KPIs on Dask, on a real two-process LocalCluster.

The standard (docs/DESIGN "Scale"): batch engines accept Dask DataFrames where the work
partitions, and the result equals the pandas path's. The sample data are
``crmkit.datasets.survey_responses`` and ``crmkit.datasets.tickets``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.service import (
    BusinessCalendar,
    backlog,
    complaint_rate,
    duration_quantiles,
    first_contact_resolution,
    followup_completion,
    metric_table,
    reopen_rate,
    repeat_complaint_rate,
)
from tests.strategies import examples

dd = pytest.importorskip("dask.dataframe")

DESK = BusinessCalendar(
    "Asia/Shanghai",
    {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]},
    holidays=["2025-05-01", "2025-05-02"],
)
AS_OF = pd.Timestamp("2025-05-20 12:00", tz="Asia/Shanghai")


def _responses() -> pd.DataFrame:
    frame = datasets.survey_responses()
    # Post-stratification weights per segment; binary fractions, so every weighted sum is
    # exact in float64 and the partitions' sums must add up bit for bit.
    weights = dict(zip(frame["segment"].cat.categories, [0.5, 1.25, 2.0], strict=True))
    frame["w"] = frame["segment"].map(weights).astype(np.float64)
    return frame


@pytest.mark.parametrize("metric", ["nps", "csat", "csat_mean", "ces", "ces_mean"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"by": "segment"},
        {"by": ["region", "channel"], "freq": "Q"},
        {"freq": None},
        {"by": "segment", "weights": "w"},
        {"by": "region", "freq": None, "weights": "w", "weights_kind": "sampling"},
    ],
)
def test_metric_table_on_dask_equals_pandas(
    dask_client: Any, metric: str, options: dict[str, Any]
) -> None:
    """Per-group sums per partition, added up: the same frame, attrs and to_dict()."""
    frame = _responses()
    expected = metric_table(frame, metric, **options)
    got = metric_table(dd.from_pandas(frame, npartitions=4), metric, **options)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs
    assert got.to_dict() == expected.to_dict()


def test_metric_table_on_dask_counts_and_bootstrap(dask_client: Any) -> None:
    """Missing and off-scale scores are counted across partitions; the unweighted
    bootstrap draws from the summed counts, so it equals pandas too."""
    frame = _responses()
    frame["nps"] = frame["nps"].astype("float64")
    frame.loc[[3, 400, 801], "nps"] = np.nan
    n_missing = int(frame["nps"].isna().sum())
    frame.loc[[10, 650], "nps"] = 11.0  # off the 0-10 scale
    lazy = dd.from_pandas(frame, npartitions=3)
    for kw in (
        {"by": "segment", "invalid": "exclude"},
        {"by": "segment", "invalid": "exclude", "missing": "include"},
        {"by": "channel", "invalid": "exclude", "ci": "bootstrap", "n_boot": 500},
    ):
        expected = metric_table(frame, "nps", **kw)
        got = metric_table(lazy, "nps", **kw)
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs == expected.attrs
    assert got.attrs["n_invalid"] == 2
    assert int(got["n_missing"].sum()) == n_missing


def test_metric_table_on_dask_refusals(dask_client: Any) -> None:
    """Same error classes as pandas, naming the column and the (partition's) row label;
    the weighted bootstrap (it resamples rows) is refused with a ConfigError."""
    frame = _responses()
    lazy = dd.from_pandas(frame, npartitions=4)
    with pytest.raises(SchemaError, match="'score_x'"):
        metric_table(lazy, "nps", score="score_x")
    with pytest.raises(ConfigError, match="'bootstrap'"):
        metric_table(lazy, "nps", weights="w", ci="bootstrap")
    bad = frame.copy()
    bad["nps"] = bad["nps"].astype("float64")
    bad.loc[777, "nps"] = 12.0
    with pytest.raises(InvalidInputError, match=r"'nps'.*777"):
        metric_table(dd.from_pandas(bad, npartitions=4), "nps")
    bad_w = frame.copy()
    bad_w.loc[42, "w"] = -1.0
    with pytest.raises(InvalidInputError, match=r"'w'.*42"):
        metric_table(dd.from_pandas(bad_w, npartitions=4), "nps", weights="w")


def _tickets() -> tuple[pd.DataFrame, pd.DataFrame]:
    tickets = datasets.tickets()
    return tickets, datasets.ticket_events(tickets)


@pytest.mark.parametrize("definition", ["one_touch", "no_customer_followup", "no_recontact_within"])
@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_first_contact_resolution_on_dask(dask_client: Any, definition: str, as_of: Any) -> None:
    """Shuffled on the ticket (events) or the customer (re-contacts): the same result."""
    tickets, events = _tickets()
    expected = first_contact_resolution(tickets, events, definition=definition, as_of=as_of)  # type: ignore[arg-type]
    got = first_contact_resolution(
        dd.from_pandas(tickets, npartitions=4),
        dd.from_pandas(events, npartitions=5),
        definition=definition,  # type: ignore[arg-type]
        as_of=as_of,
    )
    assert got.to_dict() == expected.to_dict()
    # Pandas events next to Dask tickets work too.
    mixed = first_contact_resolution(
        dd.from_pandas(tickets, npartitions=3),
        events,
        definition=definition,  # type: ignore[arg-type]
        as_of=as_of,
    )
    assert mixed.to_dict() == expected.to_dict()


def test_first_contact_resolution_on_dask_refuses_no_events(dask_client: Any) -> None:
    """No event anywhere cannot tell one touch from many: refused on Dask as on pandas
    (a partition without events is fine)."""
    tickets, events = _tickets()
    with pytest.raises(InvalidInputError, match="'events'"):
        first_contact_resolution(
            dd.from_pandas(tickets, npartitions=2), dd.from_pandas(events.iloc[:0], npartitions=1)
        )


def test_reopen_and_complaint_rates_on_dask(dask_client: Any) -> None:
    """Counts per partition, added up."""
    tickets, _ = _tickets()
    lazy = dd.from_pandas(tickets, npartitions=4)
    assert reopen_rate(lazy).to_dict() == reopen_rate(tickets).to_dict()
    complaints = tickets[tickets["kind"] == "complaint"]
    got = complaint_rate(dd.from_pandas(complaints, npartitions=3), exposure=20_000)
    assert got.to_dict() == complaint_rate(complaints, exposure=20_000).to_dict()
    assert got.count == len(complaints)
    broken = tickets.copy()
    broken["reopened"] = broken["reopened"].astype("boolean")
    label = int(np.flatnonzero(broken["resolved_at"].notna().to_numpy())[-1])
    broken.loc[label, "reopened"] = pd.NA
    with pytest.raises(InvalidInputError, match=rf"'reopened'.*{label}"):
        reopen_rate(dd.from_pandas(broken, npartitions=4))


@pytest.mark.parametrize("as_of", [None, AS_OF])
@pytest.mark.parametrize("window", [dt.timedelta(days=30), dt.timedelta(days=3)])
def test_repeat_complaint_rate_on_dask(dask_client: Any, as_of: Any, window: dt.timedelta) -> None:
    """Shuffled on the customer (each complainant's complaints in one partition): the
    pandas counts, anonymous complaints (counted wherever they land) included."""
    tickets, _ = _tickets()
    complaints = tickets[tickets["kind"] == "complaint"].copy()
    complaints["customer_id"] = complaints["customer_id"].astype(object)
    complaints.loc[complaints.index[[0, 5, 9]], "customer_id"] = None
    expected = repeat_complaint_rate(complaints, window=window, as_of=as_of)
    assert expected.n_excluded >= 3
    assert expected.successes > 0
    got = repeat_complaint_rate(
        dd.from_pandas(complaints, npartitions=4), window=window, as_of=as_of
    )
    assert got.to_dict() == expected.to_dict()


def test_repeat_complaint_rate_on_dask_hand_checked(dask_client: Any) -> None:
    """The docstring case split so that customer 1's two complaints start in different
    partitions: 19 days apart (a repeat within 30 days), 2 and 3 not; 1 of 3."""
    c = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 1, 3],
            "created_at": pd.to_datetime(
                ["2025-01-01", "2025-01-05", "2025-01-01", "2025-01-20", "2025-03-01"]
            ),
        }
    )
    got = repeat_complaint_rate(dd.from_pandas(c, npartitions=2, sort=False))
    assert (got.successes, got.n) == (1, 3)
    with pytest.raises(ConfigError, match="'window'"):
        repeat_complaint_rate(dd.from_pandas(c, npartitions=2), window=dt.timedelta(0))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"as_of": AS_OF},
        {"on_time": False, "as_of": AS_OF},
        {"kinds": None, "due": dt.timedelta(days=1)},
    ],
)
def test_followup_completion_on_dask(dask_client: Any, options: dict[str, Any]) -> None:
    """Each follow-up reads its own row: counts per partition, added up."""
    tickets, _ = _tickets()
    expected = followup_completion(tickets, **options)
    assert expected.n > 0
    got = followup_completion(dd.from_pandas(tickets, npartitions=4), **options)
    assert got.to_dict() == expected.to_dict()


def test_followup_completion_on_dask_hand_checked(dask_client: Any) -> None:
    """The docstring case, one ticket per partition: solved 1 January, followed up on
    2 January (within 3 days), 9 January (late) and never: 1 of 3."""
    t = pd.DataFrame(
        {
            "kind": ["complaint"] * 3,
            "resolved_at": pd.to_datetime(["2025-01-01"] * 3),
            "followed_up_at": pd.to_datetime(["2025-01-02", "2025-01-09", None]),
        }
    )
    got = followup_completion(dd.from_pandas(t, npartitions=3))
    assert (got.successes, got.n) == (1, 3)
    with pytest.raises(SchemaError, match="'kind'"):
        followup_completion(dd.from_pandas(t.drop(columns="kind"), npartitions=2))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"by": "priority"},
        {"by": "channel", "calendar": DESK},
        {"calendar": DESK, "age_days": "24h"},
    ],
)
def test_backlog_on_dask(dask_client: Any, options: dict[str, Any]) -> None:
    """Age buckets counted per partition and added up: the same frame and attrs."""
    tickets, _ = _tickets()
    expected = backlog(tickets, as_of=AS_OF, **options)
    got = backlog(dd.from_pandas(tickets, npartitions=4), as_of=AS_OF, **options)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs


@pytest.mark.parametrize(
    "options",
    [
        {"as_of": AS_OF},
        {"as_of": AS_OF, "calendar": DESK, "method": "midpoint"},
        {"end": "resolved_at", "as_of": AS_OF, "calendar": DESK, "subtract": "waiting_seconds"},
        {"end": "resolved_at", "censoring": "exclude", "method": "linear"},
    ],
)
def test_duration_quantiles_on_dask(dask_client: Any, options: dict[str, Any]) -> None:
    """Durations (business time too) per partition; Kaplan-Meier on the collected array."""
    tickets, _ = _tickets()
    expected = duration_quantiles(tickets, **options)
    got = duration_quantiles(dd.from_pandas(tickets, npartitions=4), **options)
    assert got.to_dict() == expected.to_dict()
    pd.testing.assert_frame_equal(got.to_frame(), expected.to_frame())


def test_duration_quantiles_on_dask_needs_as_of(dask_client: Any) -> None:
    """Tickets still waiting without as_of: the pandas ConfigError, with the total count."""
    tickets, _ = _tickets()
    waiting = int(tickets["resolved_at"].isna().sum())
    assert waiting > 0
    with pytest.raises(ConfigError, match=f"None with {waiting} tickets"):
        duration_quantiles(dd.from_pandas(tickets, npartitions=4), end="resolved_at")
    with pytest.raises(ConfigError, match=f"None with {waiting} tickets"):
        duration_quantiles(tickets, end="resolved_at")


def test_inputs_untouched_on_dask(dask_client: Any) -> None:
    """The caller's frames are not modified."""
    tickets, _ = _tickets()
    before = tickets.copy()
    lazy = dd.from_pandas(tickets, npartitions=2)
    backlog(lazy, as_of=AS_OF, calendar=DESK)
    duration_quantiles(lazy, as_of=AS_OF, calendar=DESK)
    first_contact_resolution(lazy, definition="no_recontact_within", window=dt.timedelta(days=3))
    pd.testing.assert_frame_equal(tickets, before)


@settings(max_examples=examples(30), deadline=None)
@given(
    scores=st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=1, max_size=60),
    groups=st.lists(st.sampled_from(["a", "b", "c"]), min_size=60, max_size=60),
    weights=st.lists(st.sampled_from([0.0, 0.25, 1.0, 1.5, 3.0]), min_size=60, max_size=60),
    npartitions=st.integers(1, 5),
    metric=st.sampled_from(["nps", "csat", "ces_mean"]),
    weighted=st.booleans(),
)
def test_partition_sums_add_up_to_the_pandas_table(
    *,
    scores: list[int | None],
    groups: list[str],
    weights: list[float],
    npartitions: int,
    metric: str,
    weighted: bool,
) -> None:
    """Property: however the rows are split into partitions, the summed per-partition
    sums give the pandas table exactly (binary-fraction weights: every sum is exact).
    Run on Dask's synchronous scheduler (the cluster tests above cover pickling)."""
    import dask

    n = len(scores)
    top = {"nps": 10, "csat": 5, "ces_mean": 7}[metric]
    frame = pd.DataFrame(
        {
            "g": groups[:n],
            "score": pd.array([None if s is None else min(s, top) or 1 for s in scores], "Int64"),
            "w": weights[:n],
        }
    )
    kw: dict[str, Any] = {"by": "g", "freq": None, "score": "score", "min_n": 1}
    if weighted:
        kw["weights"] = "w"
    expected = metric_table(frame, metric, **kw)
    with dask.config.set(scheduler="synchronous"):
        got = metric_table(dd.from_pandas(frame, npartitions=npartitions), metric, **kw)
    # Dask stores text as string[pyarrow] (its "dataframe.convert-string"): the key
    # column keeps the Dask frame's dtype; the values are the same.
    assert str(got["g"].dtype) == "string"
    pd.testing.assert_frame_equal(got.astype({"g": object}), expected.astype({"g": object}))
    assert got.attrs == expected.attrs


@pytest.mark.parametrize("weights_kind", ["frequency", "sampling"])
def test_metric_table_on_dask_reports_parse_counts(dask_client: Any, weights_kind: str) -> None:
    """The table's ``n_invalid`` / ``n_zero_weight`` are :func:`parse`'s own counts, on
    pandas and added up over Dask partitions (one reader, no second count beside it).

    Hand count: rows 10 and 650 are off the 0-10 scale with weights 3 and 2, so
    frequency weights count 3 + 2 = 5 off-scale answers, sampling weights 2 rows; rows
    20, 21 and 700 have weight 0 (answered), which only sampling weights leave out as
    zero-weight rows (a frequency weight of 0 is an answer repeated zero times).
    """
    frame = _responses()
    frame["nps"] = frame["nps"].astype("float64")
    frame["w"] = 1.0
    frame.loc[[10, 650], "nps"] = 11.0
    frame.loc[10, "w"] = 3.0
    frame.loc[650, "w"] = 2.0
    frame.loc[[20, 21, 700], "w"] = 0.0
    kw: dict[str, Any] = {
        "by": "segment",
        "weights": "w",
        "weights_kind": weights_kind,
        "invalid": "exclude",
    }
    expected = metric_table(frame, "nps", **kw)
    got = metric_table(dd.from_pandas(frame, npartitions=4), "nps", **kw)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs
    if weights_kind == "frequency":
        assert (got.attrs["n_invalid"], got.attrs["n_zero_weight"]) == (5, 0)
    else:
        assert (got.attrs["n_invalid"], got.attrs["n_zero_weight"]) == (2, 3)
