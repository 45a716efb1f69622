"""Lifecycle stages: the policy, hand-checked examples per rule kind, bad input, the scalar API."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation import LifecyclePolicy, StageResult, classify_lifecycle

D0 = pd.Timestamp("2025-01-01")


def days(*offsets: int) -> list[pd.Timestamp]:
    return [D0 + pd.Timedelta(days=o) for o in offsets]


def log(**customers: list[int]) -> pd.DataFrame:
    """A transaction log from day offsets after 2025-01-01, one list per customer."""
    rows = [(c, d) for c, offsets in customers.items() for d in days(*offsets)]
    return pd.DataFrame(rows, columns=["customer_id", "date"])


# --------------------------------------------------------------------------- the policy


def test_defaults_are_the_documented_ones() -> None:
    p = LifecyclePolicy()
    assert (p.basis, p.new_days, p.at_risk_days, p.dormant_days, p.churned_days) == (
        "fixed",
        30.0,
        90.0,
        180.0,
        365.0,
    )
    assert p.reactivated_days == 90.0
    assert LifecyclePolicy().stages == (
        "new",
        "reactivated",
        "active",
        "at_risk",
        "dormant",
        "churned",
    )


@pytest.mark.parametrize(
    "policy",
    [
        LifecyclePolicy(),
        LifecyclePolicy(basis="quantile", quantile=0.9, dormant_multiple=2.5, churned_multiple=5),
        LifecyclePolicy(basis="mean_sd", k=1.5, min_gaps=3, timezone="Asia/Shanghai"),
        LifecyclePolicy(new_days=0, at_risk_days=30, dormant_days=60, churned_days=90),
    ],
)
def test_round_trip_through_json(policy: LifecyclePolicy) -> None:
    again = LifecyclePolicy.from_dict(json.loads(json.dumps(policy.to_dict())))
    assert again == policy
    assert again.to_dict() == policy.to_dict()


def test_from_dict_rejects_unknown_keys_and_non_mappings() -> None:
    with pytest.raises(ConfigError, match="'sleeping_days'"):
        LifecyclePolicy.from_dict({"sleeping_days": 180})
    with pytest.raises(ConfigError, match="mapping"):
        LifecyclePolicy.from_dict([("dormant_days", 180)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"at_risk_days": 200}, "dormant_days"),
        ({"dormant_days": 400}, "churned_days"),
        ({"dormant_days": 90}, "dormant_days"),
        ({"new_days": 100}, "new_days"),
        ({"churned_multiple": 1.5}, "churned_multiple"),
        ({"dormant_multiple": 1.0}, "dormant_multiple"),
    ],
)
def test_thresholds_out_of_order_say_which(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        LifecyclePolicy(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert "in order" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"basis": "rfm"}, "basis"),
        ({"at_risk_days": 0, "new_days": 0}, "at_risk_days"),
        ({"reactivated_days": -1}, "reactivated_days"),
        ({"quantile": 0}, "quantile"),
        ({"quantile": 1.5}, "quantile"),
        ({"k": -0.5}, "k"),
        ({"min_gaps": 0}, "min_gaps"),
        ({"min_gaps": 1.5}, "min_gaps"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"timezone": 8}, "timezone"),
        ({"churned_days": float("inf")}, "churned_days"),
    ],
)
def test_bad_values_are_config_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        LifecyclePolicy(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_policy_is_frozen() -> None:
    import attrs

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        LifecyclePolicy().dormant_days = 100  # type: ignore[misc]


# --------------------------------------------------------------------------- fixed thresholds


def test_fixed_thresholds_hand_checked() -> None:
    # as_of is day 400 (2026-02-05); each customer's last purchase is placed to test one edge.
    tx = log(
        new=[380],  # first purchase 20 days ago
        new_edge=[370],  # exactly 30 days: no longer new, active
        active=[300, 350],  # 50 days
        at_risk_edge=[250, 310],  # exactly 90 days
        just_active=[250, 311],  # 89 days
        sleeper=[10, 220],  # 180 days: half a year, dormant
        almost_lost=[0, 36],  # 364 days: dormant
        lost=[0, 35],  # 365 days: churned
    )
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=400), amount=None)
    assert out["stage"].to_dict() == {
        "active": "active",
        "almost_lost": "dormant",
        "at_risk_edge": "at_risk",
        "just_active": "active",
        "lost": "churned",
        "new": "new",
        "new_edge": "active",
        "sleeper": "dormant",
    }
    assert out.loc["sleeper", "recency_days"] == 180
    assert out.loc["sleeper", "tenure_days"] == 390
    assert out.loc["active", "purchase_days"] == 2
    assert (out["gap_source"] == "fixed").all()
    assert out["typical_gap_days"].isna().all()
    assert (out["dormant_after_days"] == 180).all()
    assert out.attrs["population_gap_days"] is None


def test_stage_is_an_ordered_categorical_youngest_first() -> None:
    out = classify_lifecycle(log(a=[0], b=[300]), as_of=D0 + pd.Timedelta(days=320), amount=None)
    assert isinstance(out["stage"].dtype, pd.CategoricalDtype)
    assert out["stage"].cat.ordered
    assert list(out["stage"].cat.categories) == list(LifecyclePolicy().stages)
    assert out["stage"].min() == "new"
    assert out.sort_values("stage").index.tolist() == ["b", "a"]


def test_reactivated_after_a_half_year_gap_for_the_configured_period() -> None:
    # Woke up on day 200 after 200 days without buying (dormant at that moment).
    tx = log(woken=[0, 200], steady=[0, 100, 170])
    policy = LifecyclePolicy(reactivated_days=60)
    at = {
        d: classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=d), policy=policy, amount=None)
        for d in (230, 259, 260)
    }
    assert at[230].loc["woken", "stage"] == "reactivated"
    assert at[230].loc["woken", "last_wake_up"] == D0 + pd.Timedelta(days=200)
    assert at[259].loc["woken", "stage"] == "reactivated"
    assert at[260].loc["woken", "stage"] == "active"  # 60 days after waking
    assert at[230].loc["steady", "stage"] == "active"  # gaps of 100 and 70: never dormant
    assert pd.isna(at[230].loc["steady", "last_wake_up"])


def test_reactivated_customer_who_slips_again_is_at_risk() -> None:
    tx = log(woken=[0, 200])
    policy = LifecyclePolicy(reactivated_days=120)
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=295), policy=policy, amount=None)
    assert out.loc["woken", "stage"] == "at_risk"  # 95 days since waking: recency wins


def test_reactivated_off_and_new_off() -> None:
    tx = log(woken=[0, 200], fresh=[190])
    policy = LifecyclePolicy(reactivated_days=0, new_days=0)
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=210), policy=policy, amount=None)
    assert out["stage"].to_dict() == {"fresh": "active", "woken": "active"}


# --------------------------------------------------------------------------- relative thresholds


def test_quantile_of_own_gaps_hand_checked() -> None:
    # Gaps 10, 20, 10, 60 -> sorted 10, 10, 20, 60; the 0.8 quantile: h = 3 * 0.8 = 2.4,
    # 20 + 0.4 * (60 - 20) = 36 days. Dormant at 2 x 36 = 72, churned at 4 x 36 = 144.
    tx = log(a=[0, 10, 30, 40, 100])
    policy = LifecyclePolicy(basis="quantile", quantile=0.8)
    for after, stage in [
        (35, "active"),
        (36, "at_risk"),
        (71, "at_risk"),
        (72, "dormant"),
        (144, "churned"),
    ]:
        out = classify_lifecycle(
            tx, as_of=D0 + pd.Timedelta(days=100 + after), policy=policy, amount=None
        )
        row = out.loc["a"]
        assert row["stage"] == stage, after
        assert row["typical_gap_days"] == pytest.approx(36.0)
        assert (
            row["at_risk_after_days"],
            row["dormant_after_days"],
            row["churned_after_days"],
        ) == pytest.approx((36.0, 72.0, 144.0))
        assert row["gap_source"] == "own"
    assert np.quantile([10, 20, 10, 60], 0.8) == pytest.approx(36.0)


def test_mean_plus_k_sd_of_own_gaps_hand_checked() -> None:
    # Gaps 10, 20, 10, 60: mean 25, population SD sqrt(425) = 20.6155; k = 1 -> 45.6155.
    tx = log(a=[0, 10, 30, 40, 100])
    policy = LifecyclePolicy(basis="mean_sd", k=1.0)
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=146), policy=policy, amount=None)
    assert out.loc["a", "typical_gap_days"] == pytest.approx(25 + math.sqrt(425))
    assert out.loc["a", "stage"] == "at_risk"  # 46 >= 45.6
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=145), policy=policy, amount=None)
    assert out.loc["a", "stage"] == "active"  # 45 < 45.6
    k0 = classify_lifecycle(
        tx,
        as_of=D0 + pd.Timedelta(days=125),
        policy=LifecyclePolicy(basis="mean_sd", k=0),
        amount=None,
    )
    assert k0.loc["a", "typical_gap_days"] == pytest.approx(25.0)
    assert k0.loc["a", "stage"] == "at_risk"


def test_one_time_buyers_fall_back_to_the_population_gaps() -> None:
    # Pooled gaps: 10, 20 (a) and 30 (b) -> 0.5 quantile 20. One-time buyer c uses 20.
    tx = log(a=[0, 10, 30], b=[0, 30], c=[50])
    policy = LifecyclePolicy(basis="quantile", quantile=0.5)
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=90), policy=policy, amount=None)
    assert out.attrs["population_gap_days"] == pytest.approx(20.0)
    assert out.loc["c", "gap_source"] == "population"
    assert out.loc["c", "typical_gap_days"] == pytest.approx(20.0)
    assert out.loc["c", "stage"] == "dormant"  # 40 days >= 2 x 20
    assert out.loc["a", "gap_source"] == "own"
    assert out.loc["a", "typical_gap_days"] == pytest.approx(15.0)


def test_min_gaps_sends_thin_histories_to_the_population() -> None:
    tx = log(a=[0, 10, 30, 40], b=[0, 100])
    policy = LifecyclePolicy(basis="mean_sd", k=0, min_gaps=2)
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=120), policy=policy, amount=None)
    assert out.loc["b", "gap_source"] == "population"
    assert out.loc["b", "typical_gap_days"] == pytest.approx((10 + 20 + 10 + 100) / 4)


def test_relative_basis_with_only_one_time_buyers_uses_fixed_days() -> None:
    tx = log(a=[0], b=[100])
    out = classify_lifecycle(
        tx, as_of=D0 + pd.Timedelta(days=200), policy=LifecyclePolicy(basis="quantile"), amount=None
    )
    assert (out["gap_source"] == "fixed").all()
    assert out["stage"].to_dict() == {"a": "dormant", "b": "at_risk"}
    assert out.attrs["population_gap_days"] is None


def test_several_purchases_on_one_day_are_one_purchase_day() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a"] * 4,
            "date": pd.to_datetime(
                ["2025-01-01 09:00", "2025-01-01 21:00", "2025-01-11 10:00", "2025-01-11 10:00"]
            ),
        }
    )
    out = classify_lifecycle(
        tx, as_of="2025-02-10", policy=LifecyclePolicy(basis="mean_sd"), amount=None
    )
    assert out.loc["a", "purchase_days"] == 2
    assert out.loc["a", "typical_gap_days"] == pytest.approx(10.0)  # one gap of 10, SD 0
    assert out.loc["a", "last_purchase"] == pd.Timestamp("2025-01-11 10:00")
    assert out.loc["a", "first_purchase"] == pd.Timestamp("2025-01-01 09:00")


# --------------------------------------------------------------------------- as_of, time zones


def test_as_of_date_means_the_end_of_that_day() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-03-10 18:00")],
        }
    )
    by_date = classify_lifecycle(tx, as_of=dt.date(2025, 3, 10), amount=None)
    by_str = classify_lifecycle(tx, as_of="2025-03-10", amount=None)
    assert by_date.loc[1, "purchase_days"] == by_str.loc[1, "purchase_days"] == 2
    assert by_date.attrs["future_rows"] == 0
    noon = classify_lifecycle(tx, as_of="2025-03-10 12:00", amount=None)
    assert noon.loc[1, "purchase_days"] == 1
    assert noon.attrs["future_rows"] == 1
    assert noon.loc[1, "recency_days"] == 68


def test_future_rows_are_excluded_and_counted() -> None:
    tx = log(a=[0, 10, 500], b=[600])
    out = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=100), amount=None)
    assert list(out.index) == ["a"]
    assert out.attrs["future_rows"] == 2
    assert out.loc["a", "purchase_days"] == 2


def test_refunds_are_not_purchases_when_amount_is_named() -> None:
    tx = log(a=[0, 170])
    tx["amount"] = [120.0, -120.0]  # a refund on day 170 does not make the customer active
    with_amount = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=200), amount="amount")
    assert with_amount.loc["a", "stage"] == "dormant"
    assert with_amount.attrs["non_purchase_rows"] == 1
    without = classify_lifecycle(tx, as_of=D0 + pd.Timedelta(days=200), amount=None)
    assert without.loc["a", "stage"] == "active"


def test_aware_dates_count_days_in_their_zone() -> None:
    # 2025-03-01 23:30 in Shanghai is 15:30 UTC; the day is 1 March in Shanghai.
    tx = pd.DataFrame(
        {
            "customer_id": [1],
            "date": pd.to_datetime(["2025-03-01 15:30"])
            .tz_localize("UTC")
            .tz_convert("Asia/Shanghai"),
        }
    )
    out = classify_lifecycle(tx, as_of="2025-03-31", amount=None)
    assert out.loc[1, "recency_days"] == 30
    utc = classify_lifecycle(
        tx, as_of="2025-03-31", policy=LifecyclePolicy(timezone="UTC"), amount=None
    )
    assert utc.loc[1, "recency_days"] == 30
    la = classify_lifecycle(
        tx, as_of="2025-03-31", policy=LifecyclePolicy(timezone="America/Los_Angeles"), amount=None
    )
    assert la.loc[1, "recency_days"] == 30  # 1 March 07:30 there
    tokyo_naive = classify_lifecycle(
        tx.assign(date=tx["date"].dt.tz_localize(None)),
        as_of="2025-03-31",
        policy=LifecyclePolicy(timezone="Asia/Tokyo"),
        amount=None,
    )
    assert str(tokyo_naive.loc[1, "last_purchase"].tz) == "Asia/Tokyo"


def test_aware_as_of_with_naive_data_is_an_error() -> None:
    with pytest.raises(ConfigError, match="naive"):
        classify_lifecycle(log(a=[0]), as_of=pd.Timestamp("2025-03-01", tz="UTC"), amount=None)


def test_naive_as_of_with_aware_data_is_read_in_the_data_zone() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1], "date": [pd.Timestamp("2025-03-01 20:00", tz="Asia/Shanghai")]}
    )
    before = classify_lifecycle(tx, as_of=dt.datetime(2025, 3, 1, 19), amount=None)
    assert len(before) == 0
    assert before.attrs["future_rows"] == 1
    after = classify_lifecycle(tx, as_of=dt.datetime(2025, 3, 1, 21), amount=None)
    assert len(after) == 1


@pytest.mark.parametrize("as_of", [None, "soon", 20250101, pd.NaT])
def test_bad_as_of(as_of: object) -> None:
    with pytest.raises(ConfigError) as info:
        classify_lifecycle(log(a=[0]), as_of=as_of, amount=None)
    assert info.value.field == "as_of"


# --------------------------------------------------------------------------- bad input


def test_named_columns() -> None:
    tx = log(a=[0, 200]).rename(columns={"customer_id": "member", "date": "paid_at"})
    tx["net"] = 10.0
    out = classify_lifecycle(
        tx, as_of="2025-08-01", customer="member", date="paid_at", amount="net"
    )
    assert out.index.name == "member"
    assert out.loc["a", "stage"] == "reactivated"


def test_missing_column_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="'customer_id'"):
        classify_lifecycle(
            log(a=[0]).rename(columns={"customer_id": "cid"}), as_of="2025-06-01", amount=None
        )
    with pytest.raises(SchemaError, match="'amount'"):
        classify_lifecycle(log(a=[0]), as_of="2025-06-01", amount="amount")


def test_missing_ids_and_dates_name_the_rows() -> None:
    tx = pd.DataFrame({"customer_id": ["a", None, "b"], "date": days(0, 1, 2)}, index=[10, 11, 12])
    with pytest.raises(InvalidInputError) as info:
        classify_lifecycle(tx, as_of="2025-06-01", amount=None)
    assert info.value.field == "customer_id"
    assert info.value.rows == (11,)
    tx = pd.DataFrame({"customer_id": ["a", "b"], "date": [D0, pd.NaT]}, index=[10, 11])
    with pytest.raises(InvalidInputError) as info:
        classify_lifecycle(tx, as_of="2025-06-01", amount=None)
    assert info.value.field == "date"
    assert info.value.rows == (11,)


def test_nan_amount_and_text_dates() -> None:
    tx = log(a=[0, 1])
    tx["amount"] = [1.0, float("nan")]
    with pytest.raises(InvalidInputError, match="'amount'"):
        classify_lifecycle(tx, as_of="2025-06-01", amount="amount")
    tx = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2025-01-01", "someday"]})
    with pytest.raises(SchemaError, match="'date'"):
        classify_lifecycle(tx, as_of="2025-06-01", amount=None)


def test_mixed_naive_and_aware_dates_are_an_error() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "date": [dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 2, tzinfo=dt.UTC)],
        }
    )
    with pytest.raises(InvalidInputError, match="naive or all timezone-aware"):
        classify_lifecycle(tx, as_of="2025-06-01", amount=None)


def test_empty_and_non_frame_input() -> None:
    with pytest.raises(InvalidInputError, match="at least one row"):
        classify_lifecycle(log(a=[0]).iloc[:0], as_of="2025-06-01", amount=None)
    with pytest.raises(InvalidInputError, match="DataFrame"):
        classify_lifecycle([("a", D0)], as_of="2025-06-01", amount=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="LifecyclePolicy"):
        classify_lifecycle(
            log(a=[0]), as_of="2025-06-01", policy={"dormant_days": 180}, amount=None
        )  # type: ignore[arg-type]


def test_only_future_rows_give_an_empty_result() -> None:
    out = classify_lifecycle(log(a=[100]), as_of="2025-01-31", amount=None)
    assert len(out) == 0
    assert out.attrs["future_rows"] == 1
    assert out.columns[0] == "stage"


def test_unsorted_duplicated_input_gives_the_same_result_and_is_not_modified() -> None:
    tx = log(a=[0, 40, 200], b=[5, 300], c=[310])
    messy = pd.concat([tx, tx.iloc[[1, 3]]]).iloc[::-1].reset_index(drop=True)
    before = messy.copy(deep=True)
    a = classify_lifecycle(tx, as_of="2025-11-30", amount=None)
    b = classify_lifecycle(messy, as_of="2025-11-30", amount=None)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(messy, before)


def test_integer_and_string_ids_keep_their_type() -> None:
    tx = pd.DataFrame({"customer_id": [3, 1, 2], "date": days(0, 1, 2)})
    out = classify_lifecycle(tx, as_of="2025-06-01", amount=None)
    assert out.index.tolist() == [1, 2, 3]
    assert out.index.dtype == np.int64


# --------------------------------------------------------------------------- the scalar API


def test_scalar_classify_half_year_sleeper() -> None:
    r = LifecyclePolicy().classify(["2024-11-20", "2025-01-01"], as_of="2025-07-10")
    assert isinstance(r, StageResult)
    assert (r.stage, r.recency_days, r.tenure_days, r.purchase_days) == ("dormant", 190, 232, 2)
    assert r.gap_source == "fixed"
    assert r.typical_gap_days is None
    assert r.last_wake_up is None
    assert r.last_purchase == pd.Timestamp("2025-01-01")


def test_scalar_classify_ignores_later_purchases_and_counts_them() -> None:
    r = LifecyclePolicy().classify(
        [dt.date(2025, 1, 1), dt.date(2025, 9, 1)], as_of=dt.date(2025, 3, 1)
    )
    assert r.excluded_purchases == 1
    assert r.purchase_days == 1
    assert r.stage == "active"


def test_scalar_classify_errors() -> None:
    with pytest.raises(InvalidInputError, match="at least one purchase"):
        LifecyclePolicy().classify([], as_of="2025-01-01")
    with pytest.raises(InvalidInputError, match="up to as_of"):
        LifecyclePolicy().classify(["2025-05-01"], as_of="2025-01-01")
    relative = LifecyclePolicy(basis="quantile")
    alone = relative.classify(["2025-01-01"], as_of="2025-03-01")
    assert (alone.stage, alone.gap_source, alone.at_risk_after_days) == ("active", "fixed", 90.0)
    with pytest.raises(ConfigError, match="population_gap_days"):
        relative.classify(["2025-01-01"], as_of="2025-03-01", population_gap_days=0)
    r = relative.classify(["2025-01-01"], as_of="2025-03-01", population_gap_days=20)
    assert (r.stage, r.gap_source, r.typical_gap_days) == ("dormant", "population", 20.0)


def test_scalar_matches_batch_on_the_hand_checked_log() -> None:
    tx = log(a=[0, 10, 30, 40, 100], b=[0, 200], c=[250], d=[5, 6, 7])
    for policy in (
        LifecyclePolicy(),
        LifecyclePolicy(basis="quantile"),
        LifecyclePolicy(basis="mean_sd"),
    ):
        batch = classify_lifecycle(tx, as_of="2025-10-01", policy=policy, amount=None)
        pop = batch.attrs["population_gap_days"]
        for cid, group in tx.groupby("customer_id"):
            one = policy.classify(group["date"], as_of="2025-10-01", population_gap_days=pop)
            row = batch.loc[cid]
            assert one.stage == row["stage"]
            assert one.recency_days == row["recency_days"]
            assert one.at_risk_after_days == row["at_risk_after_days"]


# --------------------------------------------------------------------------- the stage set as data


ZH = {"new": "新客", "reactivated": "回流", "active": "活跃", "dormant": "沉睡", "churned": "流失"}


def test_stage_set_and_labels_round_trip_and_drive_the_categorical() -> None:
    policy = LifecyclePolicy(
        stages=["new", "reactivated", "active", "dormant", "churned"], labels=ZH
    )
    again = LifecyclePolicy.from_dict(json.loads(json.dumps(policy.to_dict())))
    assert again == policy
    assert again.stage_names == ("新客", "回流", "活跃", "沉睡", "流失")
    assert policy.to_dict()["stages"] == ["new", "reactivated", "active", "dormant", "churned"]
    # ann 41 days (would be active), bob 100 days (at risk folds into active), cy new,
    # dee 200 days (dormant), eve 400 days (churned)
    tx = log(ann=[140], bob=[81], cy=[170], dee=[-19], eve=[-219])
    out = classify_lifecycle(tx, as_of="2025-06-30", policy=policy, amount=None)
    assert out["stage"].dtype == pd.CategoricalDtype(list(policy.stage_names), ordered=True)
    assert out["stage"].astype(str).to_dict() == {
        "ann": "活跃", "bob": "活跃", "cy": "新客", "dee": "沉睡", "eve": "流失",
    }  # fmt: skip
    assert policy.classify(days(81), as_of="2025-06-30").stage == "活跃"
    assert policy.stage_key("沉睡") == "dormant"


def test_defaults_keep_the_six_stages_and_their_keys_as_names() -> None:
    p = LifecyclePolicy()
    assert p.stages == p.stage_names
    assert p.to_dict()["labels"] == {key: key for key in p.stages}


def test_left_out_threshold_stages_hand_over_to_the_stage_below() -> None:
    tx = log(a=[-19], b=[-219])  # 200 and 400 days without a purchase on 2025-06-30
    no_dormant = LifecyclePolicy(stages=["new", "reactivated", "active", "at_risk", "churned"])
    out = classify_lifecycle(tx, as_of="2025-06-30", policy=no_dormant, amount=None)
    assert out["stage"].astype(str).tolist() == ["at_risk", "churned"]
    only = LifecyclePolicy(stages=["active", "dormant"])
    out = classify_lifecycle(tx, as_of="2025-06-30", policy=only, amount=None)
    assert out["stage"].astype(str).tolist() == ["dormant", "dormant"]
    # Without at_risk, a woken customer stays reactivated until at_risk would have ended it.
    woke = log(w=[-300, 80])  # wake-up after 380 days, 101 days before 2025-06-30
    plain = classify_lifecycle(
        woke, as_of="2025-06-30", policy=LifecyclePolicy(reactivated_days=120), amount=None
    )
    folded = classify_lifecycle(
        woke,
        as_of="2025-06-30",
        policy=LifecyclePolicy(
            reactivated_days=120, stages=["new", "reactivated", "active", "dormant", "churned"]
        ),
        amount=None,
    )
    assert (plain.loc["w", "stage"], folded.loc["w", "stage"]) == ("at_risk", "reactivated")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stages": ["new", "churned"]}, "'active'"),
        ({"stages": ["active", "new"]}, "'new' after 'active'"),
        ({"stages": ["active", "active"]}, "twice"),
        ({"stages": ["active", "sleeping"]}, "'sleeping'"),
        ({"stages": "active"}, "list of stage keys"),
        ({"labels": {"sleeping": "x"}}, "'sleeping'"),
        ({"labels": {"dormant": ""}}, "non-empty name for stage 'dormant'"),
        ({"labels": {"dormant": "gone", "churned": "gone"}}, "'gone' for both 'dormant'"),
        ({"labels": 3}, "mapping from stage key"),
    ],
)
def test_bad_stage_sets_and_labels_are_config_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        LifecyclePolicy(**kwargs)  # type: ignore[arg-type]


def test_history_transitions_and_rates_follow_the_policy_names() -> None:
    from crmkit.segmentation import (
        churn_rate,
        lifecycle_history,
        reactivation_rate,
        stage_flows,
        transition_matrix,
    )

    policy = LifecyclePolicy(
        stages=["new", "reactivated", "active", "dormant", "churned"], labels=ZH
    )
    tx = log(a=[-19, 190], b=[-100], c=[100])
    history = lifecycle_history(tx, as_of=["2025-06-30", "2025-07-31"], policy=policy, amount=None)
    assert list(history.iloc[:, 0].cat.categories) == list(policy.stage_names)
    tm = transition_matrix(history, "2025-06-30", "2025-07-31")
    assert list(tm.counts.index) == list(policy.stage_names)
    assert int(tm.counts.loc["沉睡", "回流"]) == 1
    flows = stage_flows(history)
    assert set(flows["to_stage"].astype(str)) <= set(policy.stage_names)
    wake = reactivation_rate(
        tx, start="2025-06-30", end="2025-07-31", policy=policy, from_stages=["沉睡"], amount=None
    )
    assert (wake.numerator, wake.denominator) == (1, 2)
    with pytest.raises(ConfigError, match="'churned' stage"):
        churn_rate(
            tx,
            start="2025-06-30",
            end="2025-07-31",
            policy=LifecyclePolicy(stages=["active"]),
            amount=None,
        )
    with pytest.raises(InvalidInputError, match="same"):
        transition_matrix(
            pd.concat(
                [history.iloc[:, :1], lifecycle_history(tx, as_of=["2025-07-31"], amount=None)],
                axis=1,
            ),
            "2025-06-30",
            "2025-07-31",
        )


# --------------------------------------------------------------------------- the scalar call


def test_scalar_classify_takes_what_an_app_has() -> None:
    policy = LifecyclePolicy()
    as_of = dt.datetime(2025, 6, 30, 18, 0)
    expected = policy.classify(["2025-01-05", "2025-04-01"], as_of=as_of)
    for purchases in (
        pd.Series(pd.to_datetime(["2025-04-01", "2025-01-05"])),
        np.array(["2025-01-05", "2025-04-01"], dtype="datetime64[ns]"),
        (dt.date(2025, 1, 5), dt.datetime(2025, 4, 1, 9, 30)),
        iter(["2025-04-01", "2025-01-05"]),
    ):
        got = policy.classify(purchases, as_of=as_of)
        assert (got.stage, got.recency_days, got.purchase_days) == (
            expected.stage,
            expected.recency_days,
            expected.purchase_days,
        )
    one = policy.classify(pd.Timestamp("2025-06-20"), as_of=as_of)
    assert (one.stage, one.purchase_days) == ("new", 1)
    assert policy.classify("2025-06-20", as_of=as_of).purchase_days == 1
    with pytest.raises(InvalidInputError, match="'purchases'"):
        policy.classify(["2025-06-20", None], as_of=as_of)
    with pytest.raises(InvalidInputError, match="'purchases'"):
        policy.classify(42, as_of=as_of)


# --------------------------------------------------------------------------- regressions (audit)


def test_a_numeric_date_column_is_a_schema_error_not_epoch_nanoseconds() -> None:
    """Regression: numbers in the date column were read as nanoseconds since 1970 and
    every customer came out churned."""
    tx = pd.DataFrame({"customer_id": [1, 2], "date": [20250105.0, 20250301.0]})
    with pytest.raises(SchemaError, match=r"'date' must be dates or datetimes; found numbers"):
        classify_lifecycle(tx, as_of="2025-06-30", amount=None)


@pytest.mark.parametrize("value", [True, "90", None])
def test_policy_numbers_refuse_bools_and_strings(value: object) -> None:
    """Regression: ``float`` converters turned ``True`` into 1 day and ``"90"`` into 90."""
    with pytest.raises(ConfigError, match="'at_risk_days' must be a number"):
        LifecyclePolicy(at_risk_days=value)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'at_risk_days' must be a number"):
        LifecyclePolicy.from_dict({"at_risk_days": value})


def test_period_order_errors_show_dates_as_given() -> None:
    from crmkit.segmentation import churn_rate

    with pytest.raises(ConfigError, match=r"after start \(2025-03-31\); found 2025-03-31\."):
        churn_rate(log(a=[1]), start="2025-03-31", end="2025-03-31", amount=None)


def test_policy_json_carries_the_schema_version_and_0_1_json_still_loads() -> None:
    policy = LifecyclePolicy(stages=["active", "dormant", "churned"], labels={"dormant": "zz"})
    data = policy.to_dict()
    assert data["schema_version"] == 1
    assert data["labels"]["dormant"] == "zz"
    assert data["stages"] == ["active", "dormant", "churned"]
    old = {k: v for k, v in data.items() if k != "schema_version"}  # as 0.1 wrote it
    assert LifecyclePolicy.from_dict(old) == policy
    with pytest.raises(ConfigError, match=r"'schema_version' must be 1"):
        LifecyclePolicy.from_dict({**data, "schema_version": 7})


def test_policy_numbers_are_stored_as_floats_and_numpy_ints_as_ints() -> None:
    policy = LifecyclePolicy(at_risk_days=np.int64(60), min_gaps=np.int64(2))
    assert type(policy.at_risk_days) is float
    assert type(policy.min_gaps) is int
    assert json.loads(json.dumps(policy.to_dict()))["min_gaps"] == 2


def test_evolve_keeps_the_threshold_order() -> None:
    import attrs

    with pytest.raises(
        ConfigError, match=r"'churned_days' must be greater than dormant_days \(180\)"
    ):
        attrs.evolve(LifecyclePolicy(), churned_days=100)
    with pytest.raises(ConfigError, match=r"'new_days' must be at most at_risk_days \(90\)"):
        attrs.evolve(LifecyclePolicy(), new_days=91)
