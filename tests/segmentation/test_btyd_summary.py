"""btyd_summary() and calibration_holdout(): parity with lifetimes, calendar units, invariants.

lifetimes 0.11.3 is the reference (a dev dependency). Its wheel ships real transaction
logs (CDNOW, a synthetic 2014 log) and the CDNOW summaries its docs are built on; every
``freq`` both libraries support is compared on them and on hypothesis-generated logs.
"""

from __future__ import annotations

import importlib.resources
import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.segmentation import btyd_summary, calibration_holdout
from tests.strategies import examples, transaction_logs

#: The ``freq`` values lifetimes handles (it cannot do "M", "Q", "Y" or "min") and
#: that crmkit supports, each with the multipliers worth checking.
SHARED_FREQS = [("D", 1), ("D", 7), ("W", 1), ("h", 1), ("h", 24), ("s", 1), ("s", 86_400)]


def _lifetimes_utils() -> ModuleType:
    with warnings.catch_warnings():
        # lifetimes sets a pandas option that pandas 3 deprecates, at import time.
        warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option")
        import lifetimes.utils

    return lifetimes.utils


@pytest.fixture(scope="module")
def lt() -> ModuleType:
    return _lifetimes_utils()


def _dataset(name: str) -> Any:
    _lifetimes_utils()  # imports the package quietly first
    return importlib.resources.files("lifetimes") / "datasets" / name


@pytest.fixture(scope="module")
def cdnow_master() -> pd.DataFrame:
    frame = pd.read_csv(
        _dataset("CDNOW_master.txt"),
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "cds", "amount"],
    )
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return frame


@pytest.fixture(scope="module")
def cdnow_sample() -> pd.DataFrame:
    frame = pd.read_csv(
        _dataset("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["original_id", "customer_id", "date", "cds", "amount"],
    )
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return frame


def _ref(lt: ModuleType, frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    result: pd.DataFrame = lt.summary_data_from_transaction_data(
        frame, "customer_id", "date", **kwargs
    )
    return result.sort_index()


def _assert_close(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert got.index.equals(expected.index)
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------- the shipped datasets


def test_cdnow_sample_reproduces_the_shipped_summary(cdnow_sample: pd.DataFrame) -> None:
    # cdnow_customers_summary*.csv: daily periods reported in weeks, observed to
    # 1997-09-30, rounded to 2 decimals (so agreement is within 0.005).
    shipped = pd.read_csv(_dataset("cdnow_customers_summary_with_transactions.csv"))
    shipped = shipped.set_index("ID")
    got = btyd_summary(
        cdnow_sample,
        amount="amount",
        freq="D",
        freq_multiplier=7,
        as_of="1997-09-30",
    )
    assert len(got) == 2357
    assert (got["frequency"] == shipped["x"]).all()
    assert (got["recency"] - shipped["t_x"]).abs().max() < 0.006
    assert (got["T"] - shipped["T"]).abs().max() < 0.006
    assert (got["monetary_value"] - shipped["zbar"]).abs().max() < 0.006
    plain = pd.read_csv(_dataset("cdnow_customers_summary.csv")).set_index("ID")
    assert (got["frequency"] == plain["frequency"]).all()


@pytest.mark.parametrize(("freq", "multiplier"), SHARED_FREQS)
@pytest.mark.parametrize("include_first", [False, True])
def test_parity_on_cdnow_master(
    lt: ModuleType,
    cdnow_master: pd.DataFrame,
    freq: str,
    multiplier: int,
    include_first: bool,
) -> None:
    kwargs = {"freq": freq, "freq_multiplier": multiplier}
    expected = _ref(
        lt,
        cdnow_master,
        monetary_value_col="amount",
        include_first_transaction=include_first,
        **kwargs,
    )
    got = btyd_summary(
        cdnow_master, amount="amount", include_first_transaction=include_first, **kwargs
    )
    _assert_close(got, expected)


@pytest.mark.parametrize(("freq", "multiplier"), [("D", 1), ("W", 1), ("h", 24)])
def test_parity_on_cdnow_master_with_an_observation_end(
    lt: ModuleType, cdnow_master: pd.DataFrame, freq: str, multiplier: int
) -> None:
    end = "1997-06-15 13:00"
    kwargs = {"freq": freq, "freq_multiplier": multiplier}
    expected = _ref(
        lt, cdnow_master, monetary_value_col="amount", observation_period_end=end, **kwargs
    )
    got = btyd_summary(cdnow_master, amount="amount", as_of=end, **kwargs)
    _assert_close(got, expected)
    assert got.attrs["rows_after_as_of"] == int(
        (cdnow_master["date"] >= pd.Timestamp("1997-06-16")).sum()
        if freq != "h"
        else (cdnow_master["date"] > pd.Timestamp(end)).sum()
    )


@pytest.mark.parametrize("freq", ["D", "W", "h"])
def test_parity_on_example_transactions(lt: ModuleType, freq: str) -> None:
    frame = pd.read_csv(_dataset("example_transactions.csv"), parse_dates=["date"])
    frame = frame.rename(columns={"id": "customer_id"})
    _assert_close(btyd_summary(frame, freq=freq, amount=None), _ref(lt, frame, freq=freq))


@pytest.mark.parametrize("freq", ["D", "W", "h"])
def test_calibration_holdout_parity_on_cdnow_master(
    lt: ModuleType, cdnow_master: pd.DataFrame, freq: str
) -> None:
    expected = lt.calibration_and_holdout_data(
        cdnow_master,
        "customer_id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq=freq,
        monetary_value_col="amount",
    ).sort_index()
    got = calibration_holdout(
        cdnow_master,
        amount="amount",
        calibration_end="1997-09-30",
        as_of="1998-06-30",
        freq=freq,
    )
    _assert_close(got, expected)
    if freq == "W":
        assert got["duration_holdout"].iloc[0] == 39.0
    assert got.attrs["holdout_only_customers"] == 0


def test_parity_on_sample_data_with_refunds(lt: ModuleType) -> None:
    tx = datasets.transactions(1_500, seed=5)
    for freq, multiplier in SHARED_FREQS:
        expected = _ref(lt, tx, monetary_value_col="amount", freq=freq, freq_multiplier=multiplier)
        got = btyd_summary(tx, amount="amount", freq=freq, freq_multiplier=multiplier)
        _assert_close(got, expected)
    expected = lt.calibration_and_holdout_data(
        tx, "customer_id", "date", "2024-12-31", monetary_value_col="amount", freq="W"
    ).sort_index()
    got = calibration_holdout(tx, amount="amount", calibration_end="2024-12-31", freq="W")
    _assert_close(got, expected)
    assert got.attrs["holdout_only_customers"] > 0


# ----------------------------------------------------------------- hypothesis parity


#: lifetimes takes ~10-50 ms a call: fewer examples keep the suite quick on 2 cores.
LIFETIMES_EXAMPLES = settings(max_examples=examples(60))


@LIFETIMES_EXAMPLES
@given(
    log=transaction_logs(refunds=True),
    shared=st.sampled_from(SHARED_FREQS),
    include_first=st.booleans(),
    with_amount=st.booleans(),
    cut=st.floats(0.3, 1.3),
)
def test_parity_with_lifetimes(
    log: pd.DataFrame,
    shared: tuple[str, int],
    include_first: bool,
    with_amount: bool,
    cut: float,
) -> None:
    lt = _lifetimes_utils()
    freq, multiplier = shared
    lo, hi = log["date"].min(), log["date"].max()
    end = (lo + (hi - lo) * cut).floor("s")
    amount = "amount" if with_amount else None
    expected = _ref(
        lt,
        log,
        monetary_value_col=amount,
        freq=freq,
        freq_multiplier=multiplier,
        include_first_transaction=include_first,
        observation_period_end=end,
    )
    got = btyd_summary(
        log,
        amount=amount,
        freq=freq,
        freq_multiplier=multiplier,
        include_first_transaction=include_first,
        as_of=end,
    )
    pd.testing.assert_frame_equal(
        got, expected, check_exact=False, rtol=1e-9, atol=1e-6, check_index_type=False
    )


@LIFETIMES_EXAMPLES
@given(
    log=transaction_logs(min_rows=2, refunds=True),
    freq=st.sampled_from(["D", "W", "h"]),
    cut=st.floats(0.1, 0.9),
)
def test_calibration_holdout_parity_with_lifetimes(
    log: pd.DataFrame, freq: str, cut: float
) -> None:
    lt = _lifetimes_utils()
    lo, hi = log["date"].min(), log["date"].max()
    cal = (lo + (hi - lo) * cut).floor("s")
    if not (log["date"] <= cal).any() or not (log["date"] > cal).any():
        return  # an empty period: an error in both libraries, tested elsewhere
    expected = lt.calibration_and_holdout_data(
        log, "customer_id", "date", cal, freq=freq, monetary_value_col="amount"
    ).sort_index()
    got = calibration_holdout(log, amount="amount", calibration_end=cal, freq=freq)
    # lifetimes' holdout counts stay int64 when every customer bought in the holdout
    # (nothing to fill); crmkit's columns are always float.
    assert (got.dtypes == np.float64).all()
    pd.testing.assert_frame_equal(
        got,
        expected,
        check_exact=False,
        rtol=1e-9,
        atol=1e-6,
        check_index_type=False,
        check_dtype=False,
    )


# ----------------------------------------------------------------- calendar units


def _period_oracle(log: pd.DataFrame, freq: str, end: pd.Timestamp) -> pd.DataFrame:
    """frequency/recency/T from pandas Period ordinals (an independent implementation)."""
    pandas_freq = {"M": "M", "Q": "Q", "Y": "Y"}[freq]
    periods = log["date"].dt.to_period(pandas_freq)
    end_ordinal = end.to_period(pandas_freq).ordinal
    ordinals = pd.Series(periods.map(lambda p: p.ordinal), index=log.index)
    kept = log.assign(p=ordinals)[ordinals <= end_ordinal]
    grouped = kept.groupby("customer_id")["p"]
    first, last, count = grouped.min(), grouped.max(), grouped.nunique()
    return pd.DataFrame(
        {
            "frequency": (count - 1).astype(float),
            "recency": (last - first).astype(float),
            "T": (end_ordinal - first).astype(float),
        }
    )


def test_calendar_units_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "date": pd.to_datetime(["2024-01-31", "2024-02-01", "2024-11-15", "2024-03-31"]),
            "amount": [10.0, 20.0, 30.0, 40.0],
        }
    )
    months = btyd_summary(tx, amount="amount", freq="M", as_of="2025-01-10")
    # Customer 1 bought in Jan, Feb and Nov 2024: 2 repeat months, Jan -> Nov = 10 months,
    # Jan 2024 -> Jan 2025 = 12 months; repeat spend (20 + 30) / 2.
    assert months.loc[1].tolist() == [2.0, 10.0, 12.0, 25.0]
    assert months.loc[2].tolist() == [0.0, 0.0, 10.0, 0.0]
    quarters = btyd_summary(tx, amount="amount", freq="Q", as_of="2025-01-10")
    assert quarters.loc[1].tolist() == [1.0, 3.0, 4.0, 30.0]  # Q1 (twice) and Q4
    assert quarters.loc[2].tolist() == [0.0, 0.0, 4.0, 0.0]
    years = btyd_summary(tx, amount="amount", freq="Y", as_of="2025-01-10")
    assert years.loc[1].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert years.attrs["as_of"] == pd.Timestamp("2025-01-01")
    assert quarters.attrs["as_of"] == pd.Timestamp("2025-01-01")
    # Months in years: freq_multiplier=12.
    in_years = btyd_summary(tx, freq="M", freq_multiplier=12, as_of="2025-01-10", amount=None)
    assert in_years.loc[1, "T"] == 1.0


def test_weeks_run_monday_to_sunday() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            # Sunday 5 Jan and Monday 6 Jan 2025: two weeks; Monday and Sunday: one.
            "date": pd.to_datetime(["2025-01-05", "2025-01-06", "2025-01-06", "2025-01-12"]),
        }
    )
    weeks = btyd_summary(tx, freq="W", as_of="2025-01-31", amount=None)
    assert weeks["frequency"].tolist() == [1.0, 0.0]
    assert weeks.attrs["as_of"] == pd.Timestamp("2025-01-27")  # a Monday


def test_single_customer_and_one_time_buyers() -> None:
    once = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
            "amount": [5.0, 6.0, 7.0],
        }
    )
    got = btyd_summary(once, amount="amount")
    assert got["frequency"].tolist() == [0.0, 0.0, 0.0]
    assert got["recency"].tolist() == [0.0, 0.0, 0.0]
    assert got["T"].tolist() == [2.0, 1.0, 0.0]
    assert got["monetary_value"].tolist() == [0.0, 0.0, 0.0]
    single = btyd_summary(once.iloc[[0]], amount="amount", include_first_transaction=True)
    assert single.loc[1].tolist() == [1.0, 0.0, 0.0, 5.0]


def test_minutes() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "date": pd.to_datetime(
                ["2025-01-01 10:00:05", "2025-01-01 10:00:55", "2025-01-01 10:03:00"]
            ),
        }
    )
    got = btyd_summary(tx, freq="min", amount=None)
    assert got.loc[1].tolist() == [1.0, 3.0, 3.0]


@given(
    log=transaction_logs(),
    freq=st.sampled_from(["M", "Q", "Y"]),
    extra_days=st.integers(0, 800),
)
def test_calendar_units_match_pandas_periods(log: pd.DataFrame, freq: str, extra_days: int) -> None:
    end = log["date"].max() + pd.Timedelta(days=extra_days)
    got = btyd_summary(log, freq=freq, as_of=end, amount=None)
    expected = _period_oracle(log, freq, end)
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_index_type=False)


def test_aware_dates_are_floored_in_their_zone() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2025-03-01 23:30", "2025-03-02 00:30"]).tz_localize(
                "Asia/Shanghai"
            ),
        }
    )
    got = btyd_summary(tx, amount=None)
    assert got.loc[1].tolist() == [1.0, 1.0, 1.0]  # two local days, though one UTC day
    naive = btyd_summary(tx.assign(date=tx["date"].dt.tz_localize(None)), amount=None)
    pd.testing.assert_frame_equal(got, naive)
    # An aware end is converted to the column's zone; a naive end is read in it.
    utc_end = pd.Timestamp("2025-03-09 16:00", tz="UTC")  # 10 March, 00:00 in Shanghai
    assert btyd_summary(tx, as_of=utc_end, amount=None).loc[1, "T"] == 9.0
    assert btyd_summary(tx, as_of="2025-03-10", amount=None).loc[1, "T"] == 9.0


# ----------------------------------------------------------------- invariants


@given(
    log=transaction_logs(refunds=True),
    freq=st.sampled_from(["Y", "Q", "M", "W", "D", "h", "min", "s"]),
    include_first=st.booleans(),
)
def test_invariants(log: pd.DataFrame, freq: str, include_first: bool) -> None:
    got = btyd_summary(log, amount="amount", freq=freq, include_first_transaction=include_first)
    assert (got["recency"] >= 0).all()
    assert (got["recency"] <= got["T"]).all()
    assert got.index.is_monotonic_increasing
    if not include_first:
        one_period = got["frequency"] == 0
        assert (got.loc[one_period, "recency"] == 0).all()
        assert (got.loc[one_period, "monetary_value"] == 0).all()
    else:
        assert (got["frequency"] >= 1).all()
    # An extra row in a customer's last period never changes frequency, recency or T.
    last = log.loc[log["date"].idxmax()]
    twin = pd.concat([log, last.to_frame().T.astype(log.dtypes.to_dict())], ignore_index=True)
    again = btyd_summary(twin, amount="amount", freq=freq, include_first_transaction=include_first)
    pd.testing.assert_frame_equal(
        again[["frequency", "recency", "T"]], got[["frequency", "recency", "T"]]
    )


def test_calibration_holdout_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3],
            "date": pd.to_datetime(
                [
                    "2025-01-01 00:00",
                    "2025-01-20 00:00",
                    "2025-02-10 09:00",
                    "2025-02-10 18:00",
                    "2025-01-15 00:00",
                    "2025-02-05 00:00",
                ]
            ),
            "amount": [10.0, 20.0, 30.0, 10.0, 5.0, 7.0],
        }
    )
    split = calibration_holdout(
        tx, amount="amount", calibration_end="2025-01-31", as_of="2025-02-28"
    )
    assert list(split.columns) == [
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "monetary_value_cal",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    assert split.loc[1].tolist() == [1.0, 19.0, 30.0, 20.0, 1.0, 20.0, 28.0]
    assert split.loc[2].tolist() == [0.0, 0.0, 16.0, 0.0, 0.0, 0.0, 28.0]
    assert split.attrs["holdout_only_customers"] == 1  # customer 3
    # PyMC-Marketing's convention: the mean of per-period sums (one day, 40.0).
    periods = calibration_holdout(
        tx,
        amount="amount",
        calibration_end="2025-01-31",
        as_of="2025-02-28",
        holdout_monetary="periods",
    )
    assert periods.loc[1, "monetary_value_holdout"] == 40.0
    # Without an amount there are no monetary columns.
    bare = calibration_holdout(tx, calibration_end="2025-01-31", freq="W", amount=None)
    assert list(bare.columns) == [
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "frequency_holdout",
        "duration_holdout",
    ]


def test_refund_policies_for_btyd() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "date": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-09"]),
            "amount": [10.0, 30.0, -30.0],
        }
    )
    kept = btyd_summary(tx, amount="amount")
    assert kept.loc[1].tolist() == [2.0, 8.0, 8.0, 0.0]  # as lifetimes: the refund day counts
    dropped = btyd_summary(tx, amount="amount", refunds="drop")
    assert dropped.loc[1].tolist() == [1.0, 4.0, 8.0, 30.0]
    assert dropped.attrs["refund_rows_dropped"] == 1
    drop_split = calibration_holdout(
        tx, amount="amount", calibration_end="2025-01-02", refunds="drop"
    )
    assert drop_split.loc[1, "frequency_holdout"] == 1.0
    assert drop_split.attrs["refund_rows_dropped"] == 1
