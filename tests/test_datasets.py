"""Sample data: deterministic per seed, the documented columns, realistic shapes."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from crmkit import datasets
from crmkit.errors import ConfigError


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy()).hexdigest()


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: datasets.transactions(n_customers=300, seed=seed),
        lambda seed: datasets.tickets(n_tickets=200, seed=seed),
        lambda seed: datasets.survey_responses(n_responses=300, seed=seed),
        lambda seed: datasets.loyalty_events(n_members=10, seed=seed),
    ],
)
def test_same_seed_same_data_other_seed_other_data(make: object) -> None:
    assert callable(make)
    assert _digest(make(5)) == _digest(make(5))
    assert _digest(make(5)) != _digest(make(6))


def test_transactions_shape_and_realism() -> None:
    tx = datasets.transactions(n_customers=2_000, seed=1)
    assert list(tx.columns) == ["order_id", "customer_id", "date", "amount", "channel", "category"]
    assert tx["customer_id"].nunique() == 2_000
    assert tx["date"].is_monotonic_increasing
    assert tx["date"].min() >= pd.Timestamp("2023-01-01")
    assert tx["date"].max() <= pd.Timestamp("2025-12-31")
    purchases = tx[tx["amount"] > 0]
    refunds = tx[tx["amount"] < 0]
    assert purchases["order_id"].is_unique
    # Every refund refers to an earlier purchase of the same customer, for at most its amount.
    joined = refunds.merge(purchases, on="order_id", suffixes=("_r", "_p"))
    assert len(joined) == len(refunds) > 0
    assert (joined["customer_id_r"] == joined["customer_id_p"]).all()
    assert (joined["date_r"] > joined["date_p"]).all()
    assert (-joined["amount_r"] <= joined["amount_p"] + 1e-9).all()
    per_customer = purchases.groupby("customer_id").size()
    assert 0.3 < (per_customer == 1).mean() < 0.55  # many one-time buyers
    assert 5 < len(tx) / 2_000 < 9
    # Pareto-like: the top 20% of customers bring well over half of the revenue.
    revenue = purchases.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    assert revenue.head(400).sum() / revenue.sum() > 0.55
    assert np.allclose(tx["amount"], tx["amount"].round(2))


def test_tickets_are_consistent() -> None:
    t = datasets.tickets(n_tickets=400, seed=2)
    assert t["ticket_id"].is_unique
    assert str(t["created_at"].dt.tz) == "Asia/Shanghai"
    assert list(t["priority"].cat.categories) == ["P1", "P2", "P3", "P4"]
    assert t["priority"].cat.ordered
    assert (t["first_reply_at"] >= t["created_at"]).all()
    solved = t["resolved_at"].notna()
    assert 0 < (~solved).sum() < 0.15 * len(t)
    assert (t.loc[solved, "resolved_at"] >= t.loc[solved, "first_reply_at"]).all()
    assert (t["waiting_seconds"] >= 0).all()
    assert not (t["reopened"] & ~solved).any()
    # P1 tickets are answered faster than P4 tickets.
    reply = (t["first_reply_at"] - t["created_at"]).dt.total_seconds()
    assert reply[t["priority"] == "P1"].median() < reply[t["priority"] == "P4"].median()


def test_ticket_events_follow_the_ticket_rows() -> None:
    t = datasets.tickets(n_tickets=300, seed=3)
    ev = datasets.ticket_events(t)
    assert list(ev.columns) == ["ticket_id", "time", "event"]
    assert (ev.groupby("ticket_id")["event"].first() == "created").all()
    counts = ev["event"].value_counts()
    assert counts["created"] == len(t)
    assert counts["pending"] == counts["open"] == (t["waiting_seconds"] > 0).sum()
    assert counts["reopened"] == t["reopened"].sum()
    assert counts["solved"] == t["resolved_at"].notna().sum() + t["reopened"].sum()
    assert ev.groupby("ticket_id")["time"].apply(lambda s: s.is_monotonic_increasing).all()
    assert str(ev["time"].dt.tz) == "Asia/Shanghai"


def test_survey_nps_rises_over_the_year() -> None:
    s = datasets.survey_responses(n_responses=6_000, seed=4)
    scores = s.dropna(subset=["nps"])
    quarter = scores["date"].dt.quarter
    nps = scores.groupby(quarter)["nps"].apply(lambda x: 100 * ((x >= 9).mean() - (x <= 6).mean()))
    assert nps.iloc[0] < nps.iloc[-1]
    assert 35 < nps.iloc[0] < 58
    assert 58 < nps.iloc[-1] < 80
    for column, (lo, hi) in {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}.items():
        assert str(s[column].dtype) == "Int64"
        assert s[column].min() >= lo
        assert s[column].max() <= hi
        assert 0 < s[column].isna().mean() < 0.1


def test_loyalty_events_reference_earlier_events() -> None:
    ev = datasets.loyalty_events(n_members=40, seed=5)
    assert ev["event_id"].is_unique
    assert (ev.groupby("member_id")["kind"].first() == "enroll").all()
    by_id = ev.set_index("event_id")
    for kind, target in [("refund", "purchase"), ("cancel_redemption", "redeem")]:
        rows = ev[ev["kind"] == kind]
        assert (by_id.loc[rows["ref"], "kind"].to_numpy() == target).all()
        assert (by_id.loc[rows["ref"], "time"].to_numpy() < rows["time"].to_numpy()).all()


def test_loyalty_events_take_the_program_timezone() -> None:
    """Issue 12: ``loyalty_events(timezone=...)``; the same local times in another zone,
    and the autumn clock change (a local hour that occurs twice) never gives NaT."""
    shanghai = datasets.loyalty_events(n_members=300, seed=2)
    paris = datasets.loyalty_events(n_members=300, seed=2, timezone="Europe/Paris")
    assert str(shanghai["time"].dt.tz) == "Asia/Shanghai"
    assert str(paris["time"].dt.tz) == "Europe/Paris"
    assert paris["time"].notna().all()
    local = paris["time"].dt.tz_localize(None)
    assert (
        local.dt.floor("h") == shanghai["time"].dt.tz_localize(None).dt.floor("h")
    ).mean() > 0.99
    assert paris.drop(columns="time").equals(shanghai.drop(columns="time"))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: datasets.transactions(n_customers=0), "n_customers"),
        (lambda: datasets.transactions(seed=-1), "seed"),
        (lambda: datasets.transactions(start="2025-01-01", end="2024-01-01"), "end"),
        (lambda: datasets.tickets(n_tickets=10, tz="Mars/Base"), "tz"),
        (lambda: datasets.survey_responses(months=0), "months"),
        (lambda: datasets.loyalty_events(n_members=True), "n_members"),
        (lambda: datasets.loyalty_events(n_members=1, timezone="Mars/Base"), "timezone"),
    ],
)
def test_bad_sizes_and_seeds_are_config_errors(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(ConfigError) as info:
        call()
    assert info.value.field == field
