"""measure() and assign() on Dask, on a real two-process cluster: equal to the pandas path.

The project standard: batch engines accept Dask DataFrames where the work partitions, and
the results equal the pandas results exactly, whatever the partitioning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.campaigns import assign, measure
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation._dask import is_dask
from tests.strategies import examples

dd = pytest.importorskip("dask.dataframe")

WINDOW = {"start": "2025-03-01", "end": "2025-03-31"}


@pytest.fixture(scope="module")
def campaign() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sample log with a woken-up treatment arm; 80 % of its customers assigned, by
    segment, so that unassigned buyers and segments are in play too."""
    tx = datasets.transactions(600, seed=3)
    ids = np.sort(tx["customer_id"].unique())
    rng = np.random.default_rng(7)
    customers = pd.DataFrame(
        {"customer_id": ids, "tier": pd.Categorical(rng.choice(["gold", "silver", "bronze"], len(ids)),
                                                    categories=["gold", "silver", "bronze"])}
    ).iloc[: int(len(ids) * 0.8)]  # fmt: skip
    a = assign(customers, campaign="wake-up", control_share=0.3, strata="tier")
    orders = datasets.campaign_orders(tx, a, **WINDOW, seed=2)
    return a, pd.concat([tx, orders], ignore_index=True)


# ----------------------------------------------------------------------------- measure()
@pytest.mark.usefixtures("dask_client")
@pytest.mark.parametrize("npartitions", [1, 4, 9])
def test_measure_on_dask_equals_pandas_on_the_sample_data(
    campaign: tuple[pd.DataFrame, pd.DataFrame], npartitions: int
) -> None:
    """Every figure (arms, uplift, Welch, CUPED, segments, SRM, unassigned) is the pandas one."""
    a, tx = campaign
    ddf = dd.from_pandas(tx, npartitions=npartitions)
    for kwargs in (
        {},
        {"pre_start": "2024-09-01"},
        {"pre_start": "2024-01-01", "order": "order_id", "level": 0.9},
    ):
        expected = measure(a, tx, **WINDOW, **kwargs)
        got = measure(a, ddf, **WINDOW, **kwargs)
        assert got.to_dict() == expected.to_dict()
        assert got == expected
    assert expected.unassigned_customers > 0
    assert expected.arms["treatment"].responders > 0
    assert len(expected.by_segment) == 3


@pytest.mark.usefixtures("dask_client")
def test_measure_on_dask_with_aware_dates_and_a_datetime_window(
    campaign: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Zoned dates: the bounds are read in the data's zone, on Dask as on pandas."""
    a, tx = campaign
    aware = tx.assign(date=tx["date"].dt.tz_localize("Asia/Shanghai"))
    ddf = dd.from_pandas(aware, npartitions=3)
    for kwargs in (
        {"start": "2025-03-01", "end": "2025-03-31", "pre_start": "2024-12-01"},
        {"start": pd.Timestamp("2025-03-01 12:00"), "end": pd.Timestamp("2025-03-20 08:00")},
    ):
        assert measure(a, ddf, **kwargs).to_dict() == measure(a, aware, **kwargs).to_dict()


@pytest.mark.usefixtures("dask_client")
def test_measure_on_dask_with_a_timezone_equals_pandas(
    campaign: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """``timezone=``: each partition's naive dates are localized to the zone, aware ones
    converted, and the bounds read there: the pandas result exactly, which differs from the
    result in the data's own days (the window moves by 8 hours)."""
    a, tx = campaign
    utc = tx.assign(date=tx["date"].dt.tz_localize("UTC"))
    kwargs: dict[str, Any] = {**WINDOW, "pre_start": "2024-12-01", "timezone": "Asia/Shanghai"}
    for log in (tx, utc):
        expected = measure(a, log, **kwargs)
        got = measure(a, dd.from_pandas(log, npartitions=4), **kwargs)
        assert got.to_dict() == expected.to_dict()
        assert got.start == "2025-03-01T00:00:00+08:00"
    in_utc_days = measure(a, utc, **WINDOW, pre_start="2024-12-01")
    assert measure(a, utc, **kwargs).to_dict()["arms"] != in_utc_days.to_dict()["arms"]
    # The boundary purchases of tests/campaigns/test_measure_timezone.py, on two partitions:
    # 2025-07-31T17:30Z is 1 August in Shanghai (out), 2025-06-30T16:30Z is 1 July (in).
    arms = pd.DataFrame(
        {"arm": ["treatment", "treatment", "control"]},
        index=pd.Index(["t1", "t3", "c1"], name="customer_id"),
    )
    small = pd.DataFrame(
        {
            "customer_id": ["t1", "c1", "t3"],
            "date": pd.to_datetime(
                ["2025-07-31T17:30:00Z", "2025-06-30T16:30:00Z", "2025-07-15T02:00:00Z"]
            ),
            "amount": [100.0, 60.0, 40.0],
        }
    )
    july = {"start": "2025-07-01", "end": "2025-07-31", "timezone": "Asia/Shanghai"}
    got = measure(arms, dd.from_pandas(small, npartitions=2), **july)
    assert (got.arms["treatment"].responders, got.arms["control"].responders) == (1, 1)
    assert got.to_dict() == measure(arms, small, **july).to_dict()


@pytest.mark.usefixtures("dask_client")
def test_revenue_is_summed_in_the_tables_order_not_by_partial_sums() -> None:
    """A customer's amounts 0.1, 0.2, 0.3 split over two partitions.

    In float64, (0.1 + 0.2) + 0.3 = 0.6000000000000001 (the pandas path adds the rows in
    table order) while 0.1 + (0.2 + 0.3) = 0.6 (adding per-partition partial sums). The
    Dask path puts each customer's rows back in table order, so it gives the first.
    Hand check: ``python -c "print((0.1 + 0.2) + 0.3, 0.1 + (0.2 + 0.3))"``.
    """
    a = pd.DataFrame(
        {"arm": pd.Categorical(["treatment", "control"], categories=["control", "treatment"])},
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    tx = pd.DataFrame(
        {
            "customer_id": ["b", "b", "a", "a", "a"],
            "date": pd.to_datetime(["2025-03-02"] * 3 + ["2025-03-03", "2025-03-04"]),
            "amount": [0.5, 0.5, 0.1, 0.2, 0.3],
        }
    )
    # Partitions [b, b, a 0.1] and [a 0.2, a 0.3]: by position within a partition alone,
    # 0.2 and 0.3 (rows 0 and 1) would come before 0.1 (row 2), giving 0.6.
    ddf = dd.from_pandas(tx, chunksize=3)
    assert [len(p) for p in ddf.partitions] == [3, 2]
    got = measure(a, ddf, **WINDOW)
    assert got.arms["treatment"].revenue_per_customer.value == 0.6000000000000001
    assert got.incremental_revenue.value == 0.6000000000000001 - 1.0
    assert got.to_dict() == measure(a, tx, **WINDOW).to_dict()


@pytest.mark.usefixtures("dask_client")
def test_measure_on_an_empty_dask_log_means_nobody_responded(
    campaign: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """No rows: both arms silent, as on pandas."""
    a, tx = campaign
    empty = tx.iloc[:0]
    got = measure(a, dd.from_pandas(empty, npartitions=1), **WINDOW)
    assert got.to_dict() == measure(a, empty, **WINDOW).to_dict()
    assert got.arms["treatment"].responders == 0


@pytest.mark.usefixtures("dask_client")
def test_measure_on_dask_refuses_a_log_of_no_assigned_customer(
    campaign: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Ids of another type (text against the assignment's integers) match nobody: refused
    as on pandas, also when no row falls in the window (every row's id is looked at)."""
    a, tx = campaign
    text = tx.assign(customer_id=tx["customer_id"].astype(str))
    for log in (text, text[text["date"] < pd.Timestamp("2024-01-01")]):
        with pytest.raises(SchemaError) as pandas_error:
            measure(a, log, **WINDOW)
        with pytest.raises(SchemaError) as dask_error:
            measure(a, dd.from_pandas(log, npartitions=3), **WINDOW)
        assert dask_error.value.field == pandas_error.value.field == "customer_id"
    # Some rows of assigned customers outside the window: not refused, nobody responded.
    before = tx[tx["date"] < pd.Timestamp("2024-01-01")]
    got = measure(a, dd.from_pandas(before, npartitions=3), **WINDOW)
    assert got.to_dict() == measure(a, before, **WINDOW).to_dict()


@pytest.mark.usefixtures("dask_client")
@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("amount", float("nan"), InvalidInputError),
        ("amount", float("inf"), InvalidInputError),
        ("customer_id", None, InvalidInputError),
        ("date", pd.NaT, InvalidInputError),
    ],
)
def test_bad_rows_raise_on_the_workers_with_their_labels(
    campaign: tuple[pd.DataFrame, pd.DataFrame], column: str, value: Any, error: type
) -> None:
    """The same error class, field and row label as the pandas path (labels kept by
    ``from_pandas``); the bad row sits in the window's partition or not, it is found."""
    a, tx = campaign
    bad = tx.copy()
    if column == "customer_id":
        bad[column] = bad[column].astype("Int64")
    label = bad.index[len(bad) // 2]
    bad.loc[label, column] = value
    with pytest.raises(error) as pandas_error:
        measure(a, bad, **WINDOW)
    with pytest.raises(error) as dask_error:
        measure(a, dd.from_pandas(bad, npartitions=4), **WINDOW)
    assert dask_error.value.field == pandas_error.value.field == column
    assert dask_error.value.rows == pandas_error.value.rows == (label,)


@pytest.mark.usefixtures("dask_client")
def test_text_amounts_are_refused_on_the_workers(
    campaign: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """A non-numeric amount is a SchemaError naming the column, as on pandas."""
    a, tx = campaign
    bad = tx.assign(amount=tx["amount"].astype(object))
    bad.loc[bad.index[7], "amount"] = "12,50"
    with pytest.raises(SchemaError) as info:
        measure(a, dd.from_pandas(bad, npartitions=3), **WINDOW)
    assert info.value.field == "amount"


def test_dask_schema_problems_are_refused_before_any_computation(
    campaign: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Missing columns, text dates, bad bounds and a Dask assignment: no cluster needed."""
    a, tx = campaign
    ddf = dd.from_pandas(tx, npartitions=2)
    with pytest.raises(SchemaError) as info:
        measure(a, ddf, **WINDOW, amount="revenue")
    assert info.value.field == "revenue"
    text = dd.from_pandas(tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")), npartitions=2)
    with pytest.raises(SchemaError, match="datetime64 column on Dask input"):
        measure(a, text, **WINDOW)
    with pytest.raises(ConfigError, match="end"):
        measure(a, ddf, start="2025-03-31", end="2025-03-01")
    with pytest.raises(ConfigError, match="pre_start"):
        measure(a, ddf, **WINDOW, pre_start="2025-04-01")
    with pytest.raises(SchemaError, match=r"assignment\.compute\(\)"):
        measure(dd.from_pandas(a, npartitions=1), tx, **WINDOW)


_AMOUNTS = st.sampled_from([0.1, 0.2, 0.3, 19.99, 7.5, 120.0, 0.0, -5.25, 1e-3, 33.33])


@st.composite
def _logs(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Assigned customers (both arms), a log of their rows and a few strangers' rows from
    before the pre-period to after the window, and a number of partitions."""
    n = draw(st.integers(2, 12))
    arms = draw(st.lists(st.sampled_from(["control", "treatment"]), min_size=n, max_size=n))
    arms[0], arms[1] = "control", "treatment"
    a = pd.DataFrame(
        {"arm": pd.Categorical(arms, categories=["control", "treatment"])},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )
    size = draw(st.integers(0, 50))
    who = draw(st.lists(st.integers(0, n + 2), min_size=size, max_size=size))
    days = draw(st.lists(st.integers(-200, 60), min_size=size, max_size=size))
    amounts = draw(st.lists(_AMOUNTS, min_size=size, max_size=size))
    orders = draw(st.lists(st.integers(1, 6), min_size=size, max_size=size))
    tx = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in who],  # c{n}..c{n+2}: not assigned
            "date": pd.Timestamp("2025-03-01") + pd.to_timedelta(days, unit="D"),
            "amount": np.asarray(amounts, dtype=np.float64),
            "order_id": np.asarray(orders, dtype=np.int64),
        }
    )
    if not (tx["customer_id"].isin(a.index)).any() and size:
        tx.loc[0, "customer_id"] = "c0"
    return a, tx, draw(st.integers(1, 5))


@pytest.mark.usefixtures("dask_client")
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_logs(), order=st.booleans())
def test_measure_on_dask_equals_pandas_for_any_log_and_partitioning(
    case: tuple[pd.DataFrame, pd.DataFrame, int], order: bool
) -> None:
    """Property: the Dask result's to_dict() is the pandas one, exactly."""
    a, tx, npartitions = case
    kwargs: dict[str, Any] = {**WINDOW, "pre_start": "2024-12-01"}
    if order:
        kwargs["order"] = "order_id"
    expected = measure(a, tx, **kwargs)
    got = measure(a, dd.from_pandas(tx, npartitions=npartitions), **kwargs)
    assert got.to_dict() == expected.to_dict()


# ------------------------------------------------------------------------------ assign()
@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 2_000
    return pd.DataFrame(
        {
            "customer_id": [f"客户-{i:05d}" if i % 7 == 0 else f"c{i}" for i in range(n)],
            "stage": pd.Categorical(rng.choice(["new", "active", "lapsed"], n),
                                    categories=["new", "active", "lapsed"], ordered=True),
            "spend": rng.gamma(2.0, 50.0, n),
        },
        index=pd.RangeIndex(100, 100 + n),
    )  # fmt: skip


@pytest.mark.usefixtures("dask_client")
@pytest.mark.parametrize("npartitions", [1, 3, 8])
def test_assign_on_dask_equals_pandas(customers: pd.DataFrame, npartitions: int) -> None:
    """A lazy frame of the same rows (in the same order), columns, dtypes and attrs."""
    ddf = dd.from_pandas(customers, npartitions=npartitions)
    lazy = assign(ddf, campaign="spring-2025", control_share=0.2)
    assert is_dask(lazy)
    got = lazy.compute()
    # Dask stores text as its own string dtype; the pandas path on that frame is equal.
    pd.testing.assert_frame_equal(got, assign(ddf.compute(), campaign="spring-2025",
                                              control_share=0.2))  # fmt: skip
    expected = assign(customers, campaign="spring-2025", control_share=0.2)
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)
    assert got.attrs == expected.attrs


@pytest.mark.usefixtures("dask_client")
def test_assign_on_dask_with_strata_equals_pandas(customers: pd.DataFrame) -> None:
    """Exact per-stratum shares: each stratum is assigned whole (rows grouped by stratum)."""
    expected = assign(customers, campaign="spring-2025", control_share=0.25, strata="stage")
    lazy = assign(dd.from_pandas(customers, npartitions=5), campaign="spring-2025",
                  control_share=0.25, strata="stage")  # fmt: skip
    got = lazy.compute()
    pd.testing.assert_frame_equal(got.loc[expected.index], expected, check_index_type=False)
    assert got.attrs == expected.attrs
    # round(0.25 * n) control customers per stratum, as the pandas path
    counts = got.groupby("stage", observed=True)["arm"].value_counts().unstack()
    sizes = customers["stage"].value_counts()
    for stage in sizes.index:
        assert counts.loc[stage, "control"] == np.floor(0.25 * sizes[stage] + 0.5)


@pytest.mark.usefixtures("dask_client")
def test_assign_on_a_dask_series_of_integer_ids() -> None:
    """Integer ids are hashed as their decimal text, on Dask as on pandas."""
    ids = pd.Series(np.arange(-50, 950, dtype=np.int64), name="id")
    got = assign(dd.from_pandas(ids, npartitions=4), campaign="c").compute()
    pd.testing.assert_frame_equal(got, assign(ids, campaign="c"))


@pytest.mark.usefixtures("dask_client")
def test_assign_then_measure_on_dask(campaign: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """A Dask assignment, computed, is the pandas one for measure() (attrs and all)."""
    a, tx = campaign
    customers = a.reset_index()[["customer_id", "tier"]]
    lazy = assign(dd.from_pandas(customers, npartitions=3), campaign="wake-up",
                  control_share=0.3, strata="tier")  # fmt: skip
    computed = lazy.compute().loc[a.index]
    got = measure(computed, dd.from_pandas(tx, npartitions=3), **WINDOW, pre_start="2024-09-01")
    assert got.to_dict() == measure(a, tx, **WINDOW, pre_start="2024-09-01").to_dict()


@pytest.mark.usefixtures("dask_client")
def test_assign_on_dask_refuses_bad_ids_per_partition(customers: pd.DataFrame) -> None:
    """Repeated ids within a partition and float ids are refused when computed, naming
    the rows; missing columns at once."""
    repeated = customers.copy()
    repeated.loc[101, "customer_id"] = repeated.loc[100, "customer_id"]
    with pytest.raises(InvalidInputError) as info:
        assign(dd.from_pandas(repeated, npartitions=2), campaign="c").compute()
    assert info.value.field == "customer_id"
    assert info.value.rows == (101,)
    floats = pd.DataFrame({"customer_id": [1.5, 2.0, 3.0]})
    with pytest.raises(SchemaError):
        assign(dd.from_pandas(floats, npartitions=2), campaign="c").compute()
    with pytest.raises(SchemaError) as missing:
        assign(dd.from_pandas(customers, npartitions=2), campaign="c", customer="id")
    assert missing.value.field == "id"
    with pytest.raises(ConfigError, match="strata"):
        assign(dd.from_pandas(customers["customer_id"], npartitions=2), campaign="c",
               strata="stage")  # fmt: skip


@pytest.mark.usefixtures("dask_client")
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60, unique=True),
    npartitions=st.integers(1, 6),
    share=st.floats(0.01, 0.99),
)
def test_dask_arms_equal_pandas_arms_for_any_partitioning(
    ids: list[str], npartitions: int, share: float
) -> None:
    """Property: each row's arm and bucket depend on its id alone, so any partitioning
    gives the pandas arms (emoji and other astral characters included)."""
    frame = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object)})
    expected = assign(frame, campaign="p", control_share=share)
    got = assign(dd.from_pandas(frame, npartitions=npartitions), campaign="p",
                 control_share=share).compute()  # fmt: skip
    assert got.index.tolist() == expected.index.tolist()
    np.testing.assert_array_equal(got["arm"].to_numpy(), expected["arm"].to_numpy())
    np.testing.assert_array_equal(got["bucket"].to_numpy(), expected["bucket"].to_numpy())
