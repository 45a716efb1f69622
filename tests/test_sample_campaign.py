"""A known coupon effect for the sample data (``datasets.campaign_orders``), and the
report's campaigns section measuring it on the built-in sample."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit._cli_support import DemoData
from crmkit._report import SAMPLE_WAKE_RATE, ReportData, sample_campaign, sections
from crmkit.campaigns import assign, measure
from crmkit.errors import ConfigError
from tests.strategies import examples

START, END = pd.Timestamp("2025-10-01"), pd.Timestamp("2025-11-30")


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return datasets.transactions(n_customers=600, seed=9)


@pytest.fixture(scope="module")
def arms() -> pd.DataFrame:
    return assign(pd.Index(range(1, 601), name="customer_id"), campaign="t", control_share=0.3)


def test_orders_are_seeded_treated_only_and_inside_the_window(
    tx: pd.DataFrame, arms: pd.DataFrame
) -> None:
    orders = datasets.campaign_orders(tx, arms, start=START, end=END, wake_rate=0.5, seed=3)
    again = datasets.campaign_orders(tx, arms, start=START, end=END, wake_rate=0.5, seed=3)
    pd.testing.assert_frame_equal(orders, again)
    other = datasets.campaign_orders(tx, arms, start=START, end=END, wake_rate=0.5, seed=4)
    assert not orders.equals(other)
    assert set(arms.loc[orders["customer_id"], "arm"]) == {"treatment"}
    assert orders["customer_id"].is_unique  # one order per woken customer
    assert orders["date"].min() >= START
    assert orders["date"].max() < END + pd.Timedelta(days=1)
    assert bool((orders["date"].dt.hour >= 8).all())
    assert bool((orders["date"].dt.hour < 22).all())
    assert (orders.dtypes == tx.dtypes).all()
    assert orders["order_id"].tolist() == list(
        range(int(tx["order_id"].max()) + 1, int(tx["order_id"].max()) + 1 + len(orders))
    )
    assert bool((orders["amount"] >= 1.0).all())


def test_wake_rate_zero_adds_nothing_and_one_wakes_every_treated(
    tx: pd.DataFrame, arms: pd.DataFrame
) -> None:
    none = datasets.campaign_orders(tx, arms, start=START, end=END, wake_rate=0.0)
    assert none.empty
    assert none.columns.equals(tx.columns)
    every = datasets.campaign_orders(tx, arms, start=START, end=END, wake_rate=1.0)
    treated = arms.index[arms["arm"] == "treatment"]
    assert sorted(every["customer_id"]) == sorted(treated)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"wake_rate": 1.5}, "wake_rate"),
        ({"wake_rate": True}, "wake_rate"),
        ({"seed": -1}, "seed"),
        ({"end": START}, "end"),
    ],
)
def test_bad_options_are_config_errors(
    tx: pd.DataFrame, arms: pd.DataFrame, kwargs: dict[str, object], field: str
) -> None:
    options: dict[str, object] = {"start": START, "end": END, **kwargs}
    with pytest.raises(ConfigError) as info:
        datasets.campaign_orders(tx, arms, **options)  # type: ignore[arg-type]
    assert info.value.field == field
    with pytest.raises(ConfigError, match="'arm' column"):
        datasets.campaign_orders(tx, arms.drop(columns="arm"), start=START, end=END)


@settings(max_examples=examples(20), deadline=None)
@given(wake_rate=st.floats(0.0, 1.0), seed=st.integers(0, 2**32))
def test_measure_sees_exactly_the_woken_customers_who_would_not_have_bought(
    tx: pd.DataFrame, arms: pd.DataFrame, wake_rate: float, seed: int
) -> None:
    """Invariant: treated responders = those who buy anyway plus those the coupon woke;
    the control arm is untouched."""
    orders = datasets.campaign_orders(
        tx, arms, start=START, end=END, wake_rate=wake_rate, seed=seed
    )
    after = pd.concat([tx, orders], ignore_index=True)
    # Whole days, as the orders' window (a Timestamp end would stop at its midnight).
    before = measure(arms, tx, start="2025-10-01", end="2025-11-30")
    with_coupon = measure(arms, after, start="2025-10-01", end="2025-11-30")
    assert with_coupon.arms["control"].responders == before.arms["control"].responders
    days = tx["date"].dt.normalize()
    anyway = set(tx.loc[(days >= START) & (days <= END) & (tx["amount"] > 0), "customer_id"])
    treated = set(arms.index[arms["arm"] == "treatment"])
    expected = len((anyway & treated) | set(orders["customer_id"]))
    assert with_coupon.arms["treatment"].responders == expected


def test_report_sample_measures_the_simulated_uplift() -> None:
    """The sample report's campaign has an effect: an uplift whose interval is above zero
    and holds the true uplift, and a reading that says the coupon is simulated."""
    data = ReportData.sample(DemoData(seed=7))
    assert data.transactions is not None
    section = next(s for s in sections(data) if s.id == "campaigns")
    text = " ".join(section.reading)
    assert "The campaign beats the control group" in text
    assert "The coupon is simulated" in text
    assert f"probability {SAMPLE_WAKE_RATE:.0%}" in text
    assert "no coupon was sent" not in text
    arms, start = sample_campaign(DemoData(seed=7).transactions)
    end = start + dt.timedelta(days=89)
    assert data.campaign_transactions is not None
    result = measure(arms, data.campaign_transactions, start=start, end=end)
    true = float(text.split("the true uplift is ")[1].split(" points")[0]) / 100
    assert result.uplift.lower is not None
    assert result.uplift.upper is not None
    assert 0 < result.uplift.lower <= true <= result.uplift.upper
    # Only the campaign section sees the simulated coupon orders; the other sections read
    # the sample transactions as `crmkit sample` writes them, so `crmkit rfm` on that file
    # shows the report's figures.
    assert len(data.campaign_transactions) > len(DemoData(seed=7).transactions)
    assert data.transactions.equals(DemoData(seed=7).transactions)
    dates = data.campaign_transactions["date"].to_numpy()
    assert bool(np.all(np.diff(dates) >= np.timedelta64(0)))
