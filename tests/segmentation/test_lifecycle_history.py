"""Stage history across snapshots, transition matrices and stage flows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import (
    LifecyclePolicy,
    TransitionMatrix,
    classify_lifecycle,
    lifecycle_history,
    stage_flows,
    transition_matrix,
)


def small_log() -> pd.DataFrame:
    # ann buys monthly then sleeps; bob buys once; cy wakes after half a year.
    dates = {
        "ann": ["2024-01-05", "2024-02-03", "2024-03-07", "2024-04-02"],
        "bob": ["2024-03-20"],
        "cy": ["2024-01-10", "2024-08-15"],
    }
    rows = [(c, pd.Timestamp(d)) for c, ds in dates.items() for d in ds]
    return pd.DataFrame(rows, columns=["customer_id", "date"])


def test_monthly_history_hand_checked() -> None:
    h = lifecycle_history(small_log(), freq="M", end="2024-12-31", amount=None)
    assert list(h.columns[:3]) == [
        pd.Timestamp("2024-01-31"),
        pd.Timestamp("2024-02-29"),
        pd.Timestamp("2024-03-31"),
    ]
    assert h.columns[-1] == pd.Timestamp("2024-12-31")
    assert h.columns.name == "snapshot"
    assert h.loc["ann"].astype(str).tolist() == [
        "new",  # Jan: first purchase 26 days ago
        "active",
        "active",
        "active",
        "active",
        "active",
        "at_risk",  # Jul 31: 120 days since 2 April
        "at_risk",
        "dormant",  # Sep 30: 181 days, half a year
        "dormant",
        "dormant",
        "dormant",
    ]
    assert pd.isna(h.loc["bob", pd.Timestamp("2024-02-29")])
    assert h.loc["cy", pd.Timestamp("2024-07-31")] == "dormant"  # 203 days
    assert h.loc["cy", pd.Timestamp("2024-08-31")] == "reactivated"
    assert h.loc["cy", pd.Timestamp("2024-11-30")] == "at_risk"  # 107 days after waking
    for column in h.columns:
        assert (
            h[column].dtype
            == classify_lifecycle(small_log(), as_of="2024-12-31", amount=None)["stage"].dtype
        )


def test_history_equals_classify_at_every_snapshot_on_sample_data() -> None:
    tx = datasets.transactions(n_customers=400, seed=3)
    for policy in (
        LifecyclePolicy(),
        LifecyclePolicy(basis="quantile"),
        LifecyclePolicy(basis="mean_sd", k=0.5),
    ):
        h = lifecycle_history(tx, freq="Q", start="2023-06-01", amount="amount", policy=policy)
        for snap in h.columns[::3]:
            one = classify_lifecycle(tx, as_of=snap.date(), amount="amount", policy=policy)
            col = h[snap].dropna()
            assert col.index.equals(one.index)
            assert (col == one["stage"]).all()


def test_freq_periods_and_end() -> None:
    tx = small_log()
    assert lifecycle_history(tx, freq="Q", amount=None).columns.tolist() == [
        pd.Timestamp("2024-03-31"),
        pd.Timestamp("2024-06-30"),
    ]  # the last purchase is on 15 August: Q3 has not ended
    weeks = lifecycle_history(tx, freq="W", start="2024-08-01", end="2024-08-31", amount=None)
    assert [d.day_name() for d in weeks.columns] == ["Sunday"] * 4
    years = lifecycle_history(tx, freq="Y", end="2025-12-31", amount=None)
    assert years.columns.tolist() == [pd.Timestamp("2024-12-31"), pd.Timestamp("2025-12-31")]
    days = lifecycle_history(tx, freq="D", start="2024-04-01", end="2024-04-03", amount=None)
    assert len(days.columns) == 3


def test_at_accepts_dates_datetimes_and_strings_in_any_order() -> None:
    tx = small_log()
    h = lifecycle_history(
        tx,
        as_of=[dt.date(2024, 6, 30), "2024-03-31", pd.Timestamp("2024-04-02 09:00")],
        amount=None,
    )
    assert h.columns.tolist() == [
        pd.Timestamp("2024-03-31"),
        pd.Timestamp("2024-04-02 09:00"),
        pd.Timestamp("2024-06-30"),
    ]
    assert h.attrs["future_rows"] == 1  # cy's August purchase


def test_history_is_vectorised_not_mutating_and_order_free() -> None:
    tx = small_log()
    shuffled = tx.sample(frac=1, random_state=1)
    kept = shuffled.copy()
    a = lifecycle_history(tx, freq="M", amount=None)
    b = lifecycle_history(shuffled, freq="M", amount=None)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(shuffled, kept)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "as_of"),
        ({"as_of": ["2024-05-31"], "freq": "M"}, "as_of"),
        ({"freq": "fortnight"}, "freq"),
        ({"as_of": []}, "as_of"),
        ({"as_of": "2024-05-31"}, "as_of"),
        ({"as_of": ["2024-05-31", dt.date(2024, 5, 31)]}, "as_of"),
        ({"freq": "M", "end": "2024-01-15"}, "freq"),
    ],
)
def test_history_config_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        lifecycle_history(small_log(), amount=None, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_history_bad_snapshot_value() -> None:
    with pytest.raises(ConfigError) as info:
        lifecycle_history(small_log(), as_of=["2024-05-31", "later"], amount=None)
    assert info.value.field == "as_of"


# --------------------------------------------------------------------------- transitions


def test_transition_matrix_hand_checked() -> None:
    h = lifecycle_history(small_log(), as_of=["2024-03-31", "2024-10-31"], amount=None)
    tm = transition_matrix(h, "2024-03-31", "2024-10-31")
    assert isinstance(tm, TransitionMatrix)
    assert tm.start == pd.Timestamp("2024-03-31")
    # On 31 March: cy's last purchase was 81 days ago (active); on 31 October cy has been
    # back for 77 days after a 218-day sleep (reactivated).
    assert h["2024-03-31"].astype(str).to_dict() == {"ann": "active", "bob": "new", "cy": "active"}
    assert h["2024-10-31"].astype(str).to_dict() == {
        "ann": "dormant",
        "bob": "dormant",
        "cy": "reactivated",
    }
    assert tm.counts.loc["active", "dormant"] == 1
    assert tm.counts.loc["active", "reactivated"] == 1
    assert tm.counts.loc["new", "dormant"] == 1
    assert tm.counts.to_numpy().sum() == 3
    assert tm.shares.loc["active", "dormant"] == 0.5
    assert tm.shares.loc["churned"].isna().all()  # nobody was churned: 0/0
    assert tm.entered.sum() == 0
    assert list(tm.counts.index) == list(LifecyclePolicy().stages)
    assert tm.counts.index.name == "stage at start"


def test_transition_matrix_counts_arrivals_apart() -> None:
    h = lifecycle_history(small_log(), as_of=["2024-01-31", "2024-03-31"], amount=None)
    tm = transition_matrix(h, pd.Timestamp("2024-01-31"), dt.date(2024, 3, 31))
    assert tm.entered["new"] == 1  # bob
    assert tm.counts.to_numpy().sum() == 2


def test_transition_matrix_errors() -> None:
    h = lifecycle_history(small_log(), as_of=["2024-01-31", "2024-03-31"], amount=None)
    with pytest.raises(ConfigError, match="snapshot of the history") as info:
        transition_matrix(h, "2024-02-29", "2024-03-31")
    assert info.value.field == "start"
    with pytest.raises(ConfigError, match="after start"):
        transition_matrix(h, "2024-03-31", "2024-01-31")
    with pytest.raises(InvalidInputError, match="lifecycle stage categorical"):
        transition_matrix(h.astype(str), "2024-01-31", "2024-03-31")
    with pytest.raises(InvalidInputError, match="DataFrame"):
        transition_matrix([1, 2], "a", "b")  # type: ignore[arg-type]


def test_stage_flows_cover_every_customer_at_every_step() -> None:
    h = lifecycle_history(datasets.transactions(n_customers=300, seed=5), freq="Q", amount="amount")
    flows = stage_flows(h)
    assert list(flows.columns) == [
        "from_snapshot",
        "to_snapshot",
        "from_stage",
        "to_stage",
        "customers",
    ]
    assert (flows["customers"] > 0).all()
    per_step = flows.groupby("to_snapshot")["customers"].sum()
    present = h.notna().sum()
    assert per_step.to_dict() == present.iloc[1:].to_dict()
    arrivals = flows[flows["from_stage"].isna()]
    assert (arrivals["to_stage"].isin(["new", "active", "at_risk", "dormant", "churned"])).all()
    assert flows["from_stage"].dtype == h.iloc[:, 0].dtype


def test_stage_flows_needs_two_snapshots() -> None:
    h = lifecycle_history(small_log(), as_of=["2024-03-31"], amount=None)
    with pytest.raises(ConfigError, match="two snapshots"):
        stage_flows(h)


def test_history_on_a_relative_policy_uses_only_past_gaps() -> None:
    # ann's gaps up to 31 March are 29 and 33 days; the later gap of 26 must not count yet.
    h = lifecycle_history(
        small_log(),
        as_of=["2024-03-31", "2024-05-15"],
        policy=LifecyclePolicy(basis="mean_sd", k=0),
        amount=None,
    )
    one = classify_lifecycle(
        small_log(), as_of="2024-03-31", policy=LifecyclePolicy(basis="mean_sd", k=0), amount=None
    )
    assert one.loc["ann", "typical_gap_days"] == pytest.approx(31.0)
    assert h.loc["ann", pd.Timestamp("2024-03-31")] == one.loc["ann", "stage"]
    later = classify_lifecycle(
        small_log(), as_of="2024-05-15", policy=LifecyclePolicy(basis="mean_sd", k=0), amount=None
    )
    assert later.loc["ann", "typical_gap_days"] == pytest.approx(np.mean([29, 33, 26]))
    assert h.loc["ann", pd.Timestamp("2024-05-15")] == later.loc["ann", "stage"] == "at_risk"


def test_aware_data_snapshots_are_days_in_the_data_zone() -> None:
    # 15:30 UTC is 23:30 on 31 March in Shanghai; 17:00 UTC is already 1 April there.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "date": pd.to_datetime(["2025-03-31 15:30", "2025-03-31 17:00"], utc=True).tz_convert(
                "Asia/Shanghai"
            ),
        }
    )
    h = lifecycle_history(tx, as_of=["2025-03-31", "2025-04-30"], amount=None)
    assert h[pd.Timestamp("2025-03-31")].notna().tolist() == [True, False]
    in_utc = lifecycle_history(
        tx, as_of=["2025-03-31", "2025-04-30"], policy=LifecyclePolicy(timezone="UTC"), amount=None
    )
    assert in_utc[pd.Timestamp("2025-03-31")].notna().tolist() == [True, True]
    with pytest.raises(ConfigError, match="naive"):
        lifecycle_history(
            tx.assign(date=tx["date"].dt.tz_localize(None)),
            as_of=[pd.Timestamp("2025-03-31", tz="UTC")],
            amount=None,
        )
