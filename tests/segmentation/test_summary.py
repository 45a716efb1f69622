"""summarize(): hand-checked examples, as_of and refund semantics, and a pandas oracle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.segmentation import summarize
from tests.strategies import transaction_logs


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 1, 3],
            "order_id": [10, 11, 12, 11, 13],
            "date": pd.to_datetime(
                [
                    "2025-01-05 10:00",
                    "2025-03-01 12:00",
                    "2025-03-10 09:30",
                    "2025-03-12 18:00",
                    "2025-03-31 20:00",
                ]
            ),
            "amount": [40.0, 60.0, 25.0, -10.0, 80.0],
        },
        index=["r0", "r1", "r2", "r3", "r4"],
    )


def reference_summary(
    tx: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None = None,
    refunds: str = "net",
    order: str | None = None,
    frequency: str | None = None,
    zero_amount: str = "ignore",
) -> pd.DataFrame:
    """An independent, slow pandas group-by implementation of the documented rules."""
    cutoff = tx["date"].max() if as_of is None else as_of
    kept = tx[tx["date"] <= cutoff]
    purchases = kept[kept["amount"] >= 0] if zero_amount == "purchase" else kept[kept["amount"] > 0]
    money_rows = kept if refunds == "net" else kept[kept["amount"] >= 0]
    grouped = purchases.groupby("customer_id")
    out = pd.DataFrame(
        {
            "first_purchase": grouped["date"].min(),
            "last_purchase": grouped["date"].max(),
        }
    )
    day = cutoff.normalize()
    out["recency_days"] = (day - out["last_purchase"].dt.normalize()).dt.days.astype(np.int64)
    rule = frequency or ("orders" if order else "days")
    if rule == "orders":
        freq = grouped[order].nunique()
    elif rule == "days":
        days = purchases.assign(day=purchases["date"].dt.normalize())
        freq = days.groupby("customer_id")["day"].nunique()
    else:
        freq = grouped.size()
    out["frequency"] = freq.astype(np.int64)
    out["monetary"] = money_rows.groupby("customer_id")["amount"].sum().reindex(out.index)
    out["average_order_value"] = out["monetary"] / out["frequency"]
    out["tenure_days"] = (day - out["first_purchase"].dt.normalize()).dt.days.astype(np.int64)
    return out.sort_index()


def test_hand_checked_example() -> None:
    s = summarize(_tx())
    assert list(s.columns) == [
        "first_purchase",
        "last_purchase",
        "recency_days",
        "frequency",
        "monetary",
        "average_order_value",
        "tenure_days",
    ]
    assert s.index.name == "customer_id"
    assert s.index.tolist() == [1, 2, 3]
    # Customer 1: purchases 5 Jan and 1 Mar, a 10.00 refund on 12 Mar (not a purchase).
    # as_of = 31 Mar 20:00: 30 days since 1 Mar, 85 days since 5 Jan (26 + 28 + 31).
    row = s.loc[1]
    assert row["first_purchase"] == pd.Timestamp("2025-01-05 10:00")
    assert row["last_purchase"] == pd.Timestamp("2025-03-01 12:00")
    assert (row["recency_days"], row["frequency"], row["tenure_days"]) == (30, 2, 85)
    assert row["monetary"] == 90.0
    assert row["average_order_value"] == 45.0
    assert s["recency_days"].tolist() == [30, 21, 0]
    assert s["frequency"].dtype == np.int64
    assert s["recency_days"].dtype == np.int64
    assert s.attrs == {
        "as_of": pd.Timestamp("2025-03-31 20:00"),
        "rows": 5,
        "rows_after_as_of": 0,
        "refunds": "net",
        "refund_rows": 1,
        "zero_amount_rows": 0,
        "frequency": "days",
        "customers_without_purchase": 0,
    }


def test_refund_policies() -> None:
    tx = _tx()
    assert summarize(tx, refunds="net")["monetary"].tolist() == [90.0, 25.0, 80.0]
    dropped = summarize(tx, refunds="drop")
    assert dropped["monetary"].tolist() == [100.0, 25.0, 80.0]
    assert dropped["frequency"].tolist() == [2, 1, 1]
    assert dropped.attrs["refund_rows"] == 1
    # A refund never moves the purchase dates: 12 Mar is not customer 1's last purchase.
    assert dropped.loc[1, "last_purchase"] == pd.Timestamp("2025-03-01 12:00")


def test_refund_only_customers_are_left_out_and_counted() -> None:
    tx = pd.concat(
        [
            _tx(),
            pd.DataFrame(
                {
                    "customer_id": [9],
                    "order_id": [99],
                    "date": [pd.Timestamp("2025-02-01")],
                    "amount": [-5.0],
                },
                index=["r5"],
            ),
        ]
    )
    for policy in ("net", "drop"):
        s = summarize(tx, refunds=policy)
        assert 9 not in s.index
        assert s.attrs["customers_without_purchase"] == 1
        assert s.attrs["refund_rows"] == 2


def test_as_of_date_is_the_whole_day() -> None:
    tx = _tx()
    for as_of in ("2025-03-10", dt.date(2025, 3, 10)):
        s = summarize(tx, as_of=as_of)
        # Customer 2 bought at 09:30 on the as_of day: in, recency 0.
        assert s.index.tolist() == [1, 2]
        assert s.loc[2, "recency_days"] == 0
        assert s.loc[1, "recency_days"] == 9
        assert s.attrs["rows_after_as_of"] == 2
        # The last instant included, at the date column's precision (microseconds here).
        assert s.attrs["as_of"] == pd.Timestamp("2025-03-10 23:59:59.999999")


def test_as_of_instant_excludes_later_rows_of_the_same_day() -> None:
    s = summarize(_tx(), as_of=pd.Timestamp("2025-03-10 09:00"))
    assert s.index.tolist() == [1]
    assert s.attrs["rows_after_as_of"] == 3
    assert s.loc[1, "recency_days"] == 9
    # A datetime with a time works the same, and so does an ISO string with a time.
    same = summarize(_tx(), as_of=dt.datetime(2025, 3, 10, 9))
    pd.testing.assert_frame_equal(s, same)
    pd.testing.assert_frame_equal(s, summarize(_tx(), as_of="2025-03-10T09:00"))


def test_as_of_after_the_data_adds_days() -> None:
    s = summarize(_tx(), as_of="2025-04-30")
    assert s["recency_days"].tolist() == [60, 51, 30]
    assert s.attrs["rows_after_as_of"] == 0


def test_order_counts_distinct_orders() -> None:
    tx = _tx()
    tx.loc["r1", "order_id"] = 10  # customer 1's two purchases become lines of one order
    s = summarize(tx, order="order_id")
    assert s.loc[1, "frequency"] == 1
    assert s.loc[1, "monetary"] == 90.0
    assert s.loc[1, "average_order_value"] == 90.0
    # The refund row reuses order 11: it adds no order.
    assert summarize(_tx(), order="order_id").loc[1, "frequency"] == 2


def test_order_ids_shared_between_customers_and_strings() -> None:
    tx = _tx()
    tx["order_id"] = ["a", "b", "a", "b", "a"]  # per-customer order numbers
    s = summarize(tx, order="order_id")
    assert s["frequency"].tolist() == [2, 1, 1]
    tx["order_id"] = [1, 2, 1, 2, 1]
    assert summarize(tx, order="order_id")["frequency"].tolist() == [2, 1, 1]


def test_aware_dates_count_days_in_their_own_zone() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "date": pd.to_datetime(["2025-03-01 23:30", "2025-03-02 00:30"]).tz_localize(
                "Asia/Shanghai"
            ),
            "amount": [10.0, 20.0],
        }
    )
    s = summarize(tx)
    # Both instants are on 1 March in UTC, but on different local days.
    assert s["recency_days"].tolist() == [1, 0]
    assert s["first_purchase"].dtype == tx["date"].dtype
    # A naive as_of is read in the column's zone; an aware one is converted to it.
    assert summarize(tx, as_of="2025-03-02")["recency_days"].tolist() == [1, 0]
    utc = pd.Timestamp("2025-03-01 16:00", tz="UTC")  # 00:00 on 2 March in Shanghai
    s2 = summarize(tx, as_of=utc)
    assert s2.index.tolist() == [1]
    assert s2.attrs["as_of"] == pd.Timestamp("2025-03-02 00:00", tz="Asia/Shanghai")


def test_dates_as_strings_and_other_units() -> None:
    tx = _tx()
    expected = summarize(tx)
    as_text = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    pd.testing.assert_frame_equal(summarize(as_text), expected, check_dtype=False)
    for unit in ("s", "ms", "us", "ns"):
        got = summarize(tx.assign(date=tx["date"].dt.as_unit(unit)))
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert got["first_purchase"].dtype == f"datetime64[{unit}]"


@pytest.mark.parametrize(
    "relabel",
    [
        lambda i: f"cust-{i:03d}",
        lambda i: -i,
        lambda i: i * 10**12,
        np.uint32,
        lambda i: float(i) + 0.5,
    ],
    ids=["strings", "negative", "sparse", "uint32", "float"],
)
def test_customer_id_types(relabel: object) -> None:
    tx = datasets.transactions(60, seed=4)
    mapping = {i: relabel(i) for i in tx["customer_id"].unique()}  # type: ignore[operator]
    other = tx.assign(customer_id=tx["customer_id"].map(mapping))
    got = summarize(other)
    expected = summarize(tx).rename(index=mapping).sort_index()
    assert got.index.tolist() == expected.index.tolist()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


def test_categorical_customer_ids() -> None:
    tx = _tx().assign(customer_id=pd.Categorical(["b", "b", "a", "b", "c"]))
    s = summarize(tx)
    assert s.index.tolist() == ["a", "b", "c"]
    assert s.loc["b", "monetary"] == 90.0


def test_single_customer_and_all_one_time_buyers() -> None:
    one = _tx().loc[["r0"]]
    s = summarize(one)
    assert s.to_dict("list")["frequency"] == [1]
    assert s["recency_days"].tolist() == [0]
    assert s["tenure_days"].tolist() == [0]
    once = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    s = summarize(once)
    assert s["frequency"].tolist() == [1, 1, 1]
    assert s["recency_days"].tolist() == [2, 1, 0]


def test_duplicate_rows_are_kept_as_documented() -> None:
    tx = _tx()
    doubled = pd.concat([tx, tx.loc[["r0"]]])
    s = summarize(doubled)
    assert s.loc[1, "frequency"] == 2  # the copy falls on the same purchase day
    assert s.loc[1, "monetary"] == 130.0
    rows = summarize(doubled, frequency="rows")
    assert rows.loc[1, "frequency"] == 3  # two identical purchases counted as rows
    by_order = summarize(doubled, order="order_id")
    assert by_order.loc[1, "frequency"] == 2  # one order, its amount counted twice
    assert by_order.loc[1, "monetary"] == 130.0


def test_zero_amount_rows_are_not_purchases_unless_asked() -> None:
    # Regression (issue 12): summarize counted $0 rows as purchases while lifecycle,
    # cohorts and rates did not; one purchase rule now decides for all of them.
    tx = _tx()
    tx.loc["r4", "amount"] = 0.0
    s = summarize(tx)
    assert 3 not in s.index  # customer 3's only row is a zero amount: no purchase
    assert s.attrs["zero_amount_rows"] == 1
    assert s.attrs["customers_without_purchase"] == 1
    kept = summarize(tx, zero_amount="purchase")
    assert kept.loc[3, "frequency"] == 1
    assert kept.loc[3, "monetary"] == 0.0
    assert kept.loc[3, "average_order_value"] == 0.0


def test_matches_the_pandas_oracle_on_sample_data() -> None:
    tx = datasets.transactions(2_000, seed=11)
    pd.testing.assert_frame_equal(summarize(tx), reference_summary(tx))
    pd.testing.assert_frame_equal(
        summarize(tx, order="order_id"), reference_summary(tx, order="order_id")
    )
    as_of = pd.Timestamp("2024-06-30 12:00")
    pd.testing.assert_frame_equal(
        summarize(tx, as_of=as_of, refunds="drop"),
        reference_summary(tx, as_of=as_of, refunds="drop"),
    )


@given(
    log=transaction_logs(refunds=True),
    policy=st.sampled_from(["net", "drop"]),
    use_order=st.booleans(),
    cut=st.floats(0.0, 1.2),
    frequency=st.sampled_from([None, "days", "rows"]),
    zero_amount=st.sampled_from(["ignore", "purchase"]),
)
def test_matches_the_pandas_oracle(
    log: pd.DataFrame,
    *,
    policy: str,
    use_order: bool,
    cut: float,
    frequency: str | None,
    zero_amount: str,
) -> None:
    lo, hi = log["date"].min(), log["date"].max()
    as_of = (lo + (hi - lo) * cut).floor("s")
    order = "order_id" if use_order else None
    options: dict[str, Any] = {
        "refunds": policy,
        "order": order,
        "frequency": frequency,
        "zero_amount": zero_amount,
    }
    expected = reference_summary(log, as_of=as_of, **options)
    if expected.empty:
        return  # no purchase on or before as_of: an error, tested elsewhere
    got = summarize(log, as_of=as_of, **options)
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)
    assert got.attrs["rows_after_as_of"] == int((log["date"] > as_of).sum())
    in_window = log["date"] <= as_of
    assert got.attrs["refund_rows"] == int(((log["amount"] < 0) & in_window).sum())
