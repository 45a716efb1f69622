"""TransactionLog: one reader, one purchase rule, the same customers in every analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import (
    TransactionLog,
    btyd_summary,
    classify_lifecycle,
    cohort_retention,
    lifecycle_history,
    rates_by_period,
    repurchase_rate,
    retention_rate,
    rfm,
    summarize,
)


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3, 4],
            "order_id": [10, 10, 11, 20, 30, 31, 40],
            "date": pd.to_datetime(
                [
                    "2025-01-05 09:00",
                    "2025-01-05 17:00",  # the same day as the row above, another order line
                    "2025-02-10 12:00",
                    "2025-02-01 10:00",  # customer 2 only ever has a $0 row
                    "2025-01-20 10:00",
                    "2025-03-01 10:00",  # customer 3's refund
                    "2025-03-15 10:00",
                ]
            ),
            "amount": [20.0, 10.0, 15.0, 0.0, 50.0, -5.0, 30.0],
        },
        index=["a", "b", "c", "d", "e", "f", "g"],
    )


def test_the_purchase_rule_is_read_once() -> None:
    log = TransactionLog.from_frame(_tx())
    assert log.purchase.tolist() == [True, True, True, False, True, False, True]
    assert (log.n_rows, log.purchase_rows, log.refund_rows, log.zero_amount_rows) == (7, 5, 1, 1)
    assert list(log.ids[log.counts > 0]) == [1, 2, 3, 4]
    kept = TransactionLog.from_frame(_tx(), zero_amount="purchase")
    assert kept.purchase.tolist() == [True, True, True, True, True, False, True]
    everything = TransactionLog.from_frame(_tx(), amount=None)
    assert everything.purchase.all()
    assert everything.refund_rows == 0


def test_every_analysis_sees_the_same_customers() -> None:
    # Regression (issue 12): summarize and rfm counted $0 rows as purchases while
    # lifecycle, cohorts and rates dropped them; customer 2 (only a $0 row) was a
    # customer for the first and not for the others.
    tx = _tx()
    buyers = [1, 3, 4]
    assert summarize(tx).index.tolist() == buyers
    assert rfm(tx).index.tolist() == buyers
    assert classify_lifecycle(tx, as_of="2025-03-31", amount="amount").index.tolist() == buyers
    assert cohort_retention(tx, amount="amount").sizes.sum() == len(buyers)
    history = lifecycle_history(tx, as_of=["2025-03-31"], amount="amount")
    assert history.index.tolist() == buyers
    # With zero_amount="purchase", customer 2 is a customer everywhere.
    log = TransactionLog.from_frame(tx, zero_amount="purchase")
    assert summarize(log).index.tolist() == [1, 2, 3, 4]
    assert classify_lifecycle(log, as_of="2025-03-31").index.tolist() == [1, 2, 3, 4]
    assert cohort_retention(log).sizes.sum() == 4


def test_frequency_counts_days_orders_or_rows() -> None:
    tx = _tx()
    # Customer 1: two lines of one order on 5 January, one order on 10 February.
    assert summarize(tx).loc[1, "frequency"] == 2  # distinct purchase days (default)
    assert summarize(tx, frequency="rows").loc[1, "frequency"] == 3
    by_order = summarize(tx, order="order_id")
    assert by_order.attrs["frequency"] == "orders"
    assert by_order.loc[1, "frequency"] == 2
    assert summarize(tx, order="order_id", frequency="days").loc[1, "frequency"] == 2
    with pytest.raises(ConfigError, match="when no order column is given"):
        summarize(tx, frequency="orders")
    with pytest.raises(ConfigError, match="frequency"):
        summarize(tx, frequency="visits")  # type: ignore[arg-type]


def test_days_are_local_calendar_days() -> None:
    # 23:30 and 00:30 UTC on consecutive UTC days are one day in New York.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2025-01-05 23:30", "2025-01-06 00:30"]).tz_localize("UTC"),
            "amount": [5.0, 5.0],
        }
    )
    assert summarize(tx)["frequency"].tolist() == [2]
    assert summarize(tx, timezone="America/New_York")["frequency"].tolist() == [1]


def test_a_log_built_once_gives_the_frame_results() -> None:
    from crmkit import datasets

    tx = datasets.transactions(1_500, seed=3)
    log = TransactionLog.from_frame(tx, order="order_id")
    pd.testing.assert_frame_equal(summarize(log), summarize(tx, order="order_id"))
    pd.testing.assert_frame_equal(
        classify_lifecycle(log, as_of="2025-06-30"),
        classify_lifecycle(tx, as_of="2025-06-30", amount="amount"),
    )
    pd.testing.assert_frame_equal(
        cohort_retention(log, freq="Q").counts,
        cohort_retention(tx, freq="Q", amount="amount").counts,
    )
    pd.testing.assert_frame_equal(
        rates_by_period(log, "repurchase", end="2025-06-30"),
        rates_by_period(tx, "repurchase", end="2025-06-30", amount="amount"),
    )
    a = retention_rate(log, start="2025-03-31", end="2025-06-30")
    b = retention_rate(tx, start="2025-03-31", end="2025-06-30", amount="amount")
    assert (a.numerator, a.denominator) == (b.numerator, b.denominator)
    a = repurchase_rate(log, start="2025-03-31", end="2025-06-30")
    b = repurchase_rate(tx, start="2025-03-31", end="2025-06-30", amount="amount")
    assert (a.numerator, a.denominator) == (b.numerator, b.denominator)
    pd.testing.assert_frame_equal(
        btyd_summary(log, amount="amount"), btyd_summary(tx, amount="amount")
    )


def test_the_callers_frame_is_not_modified() -> None:
    tx = _tx()
    before = tx.copy(deep=True)
    log = TransactionLog.from_frame(tx, refunds="drop", timezone="Asia/Shanghai")
    summarize(log)
    classify_lifecycle(log, as_of="2025-03-31")
    pd.testing.assert_frame_equal(tx, before)


def test_refunds_error_is_refused_when_reading() -> None:
    with pytest.raises(InvalidInputError) as info:
        TransactionLog.from_frame(_tx(), refunds="error")
    assert info.value.rows == ("f",)
    with pytest.raises(ConfigError, match="zero_amount"):
        TransactionLog.from_frame(_tx(), zero_amount="keep")  # type: ignore[arg-type]


def test_drop_removes_refund_money_everywhere() -> None:
    log = TransactionLog.from_frame(_tx(), refunds="drop")
    assert summarize(log).loc[3, "monetary"] == 50.0
    assert summarize(_tx()).loc[3, "monetary"] == 45.0
    revenue = cohort_retention(log, metric="revenue", as_of="2025-03-31").counts
    assert np.nansum(revenue.to_numpy()) == 125.0  # 45 + 50 + 30, no -5


def test_a_log_refuses_another_zone() -> None:
    log = TransactionLog.from_frame(_tx(), timezone="Europe/Paris")
    with pytest.raises(ConfigError, match="timezone"):
        retention_rate(log, start="2025-02-28", end="2025-03-31", timezone="Asia/Tokyo")
    same = retention_rate(log, start="2025-02-28", end="2025-03-31", timezone="Europe/Paris")
    assert (same.numerator, same.denominator) == (0, 1)  # customer 1; 2 only had $0


def test_cdnow_every_analysis_agrees_on_who_bought(cdnow: pd.DataFrame) -> None:
    """The real CDNOW log: 80 $0 rows, 68 customers with nothing but $0 rows."""
    log = TransactionLog.from_frame(cdnow)
    assert (log.zero_amount_rows, log.refund_rows) == (80, 0)
    summary = summarize(log)
    assert len(summary) == 23_570 - 68
    assert summary.attrs["customers_without_purchase"] == 68  # only $0 rows
    stages = classify_lifecycle(log, as_of="1998-06-30")
    assert stages.index.equals(summary.index)
    cohorts = cohort_retention(log, freq="Q")
    # Cohorts are the quarters of the first purchases summarize reports, no other.
    first = summary["first_purchase"].dt.to_period("Q").value_counts().sort_index()
    assert cohorts.sizes[cohorts.sizes > 0].to_dict() == first.to_dict()
    # Every CDNOW customer first had a row in 1997Q1; counting $0 rows as purchases
    # everywhere puts them all in that cohort.
    everyone = TransactionLog.from_frame(cdnow, zero_amount="purchase")
    assert [str(p) for p in cohort_retention(everyone, freq="Q").sizes.index] == ["1997Q1"]
    assert len(summarize(everyone)) == 23_570
    # Purchase days, not rows: with every row a purchase, lifetimes' frequency + 1.
    btyd = btyd_summary(cdnow, amount=None)
    days = summarize(everyone)["frequency"]
    assert days.tolist() == (btyd["frequency"] + 1).astype(np.int64).tolist()
    # 1,157 customers have two or more rows on one day: counting rows would inflate them.
    assert (summarize(everyone, frequency="rows")["frequency"] > days).sum() == 1_157
