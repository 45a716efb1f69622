"""Invariants of summarize(), btyd_summary() and calibration_holdout().

Row order and id labels never matter, more spend never lowers monetary, a later purchase
never raises recency, and the caller's frame is never modified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmkit.segmentation import btyd_summary, calibration_holdout, summarize
from tests.strategies import transaction_logs

Summary = Callable[[pd.DataFrame], pd.DataFrame]

FUNCTIONS: dict[str, Summary] = {
    "summarize": summarize,
    "summarize-order-drop": lambda f: summarize(f, order="order_id", refunds="drop"),
    "btyd-D": lambda f: btyd_summary(f, amount="amount"),
    "btyd-W-first": lambda f: btyd_summary(
        f, amount="amount", freq="W", include_first_transaction=True
    ),
    "btyd-M": lambda f: btyd_summary(f, amount="amount", freq="M"),
    "btyd-h-drop": lambda f: btyd_summary(f, amount="amount", freq="h", refunds="drop"),
}

functions = st.sampled_from(sorted(FUNCTIONS))


def _calibration(frame: pd.DataFrame) -> pd.DataFrame | None:
    lo, hi = frame["date"].min(), frame["date"].max()
    cal = (lo + (hi - lo) / 2).floor("s")
    if not (frame["date"] <= cal).any() or not (frame["date"] > cal).any():
        return None
    return calibration_holdout(frame, amount="amount", calibration_end=cal, freq="D")


def _purchasers(log: pd.DataFrame) -> bool:
    return bool((log["amount"] >= 0).any())


@given(log=transaction_logs(refunds=True), name=functions, seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(log: pd.DataFrame, name: str, seed: int) -> None:
    func = FUNCTIONS[name]
    shuffled = log.sample(frac=1.0, random_state=np.random.default_rng(seed))
    if not _purchasers(log) and name.startswith("summarize"):
        return
    expected = func(log)
    got = func(shuffled)
    # Bit for bit: amounts in whole cents are summed exactly, in any order.
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs


@given(log=transaction_logs(refunds=True), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter_for_calibration_holdout(log: pd.DataFrame, seed: int) -> None:
    expected = _calibration(log)
    if expected is None:
        return
    got = _calibration(log.sample(frac=1.0, random_state=np.random.default_rng(seed)))
    assert got is not None
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@given(
    log=transaction_logs(refunds=True),
    name=functions,
    relabel=st.sampled_from(["string", "negative", "shuffled", "sparse"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_customer_labels_do_not_matter(
    log: pd.DataFrame, name: str, relabel: str, seed: int
) -> None:
    if not _purchasers(log) and name.startswith("summarize"):
        return
    func = FUNCTIONS[name]
    ids = np.sort(log["customer_id"].unique())
    rng = np.random.default_rng(seed)
    new: dict[int, Any]
    if relabel == "string":
        new = {i: f"customer-{rng.integers(10**9)}-{i}" for i in ids}
    elif relabel == "negative":
        new = {i: -int(i) * 3 for i in ids}
    elif relabel == "shuffled":
        new = dict(zip(ids, rng.permutation(ids) + 1000, strict=True))
    else:
        new = {i: int(i) * 10**15 + int(rng.integers(10**6)) for i in ids}
    relabelled = log.assign(customer_id=log["customer_id"].map(new))
    got = func(relabelled)
    expected = func(log).rename(index=new).sort_index()
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)


@given(
    log=transaction_logs(refunds=True),
    customer=st.integers(1, 12),
    extra=st.integers(1, 100_000),
    where=st.floats(0.0, 1.0),
)
def test_more_spend_never_lowers_monetary(
    log: pd.DataFrame, customer: int, extra: int, where: float
) -> None:
    if not _purchasers(log):
        return
    before = summarize(log)
    lo, hi = log["date"].min(), log["date"].max()
    when = (lo + (hi - lo) * where).floor("s")
    row = pd.DataFrame(
        {
            "customer_id": [customer],
            "order_id": [10**6],
            "date": [when],
            "amount": [extra / 100],
        }
    )
    after = summarize(pd.concat([log, row], ignore_index=True))
    assert after.attrs["as_of"] == before.attrs["as_of"]
    common = before.index
    assert (after.loc[common, "monetary"] >= before["monetary"] - 1e-9).all()
    assert (after.loc[common, "frequency"] >= before["frequency"]).all()
    # A purchase can only make a customer more recent (lower recency_days).
    assert (after.loc[common, "recency_days"] <= before["recency_days"]).all()
    assert (after.loc[common, "tenure_days"] >= before["tenure_days"]).all()
    others = common.drop(customer, errors="ignore")
    pd.testing.assert_frame_equal(after.loc[others], before.loc[others])


@given(log=transaction_logs(), factor=st.floats(1.0, 10.0))
def test_scaling_amounts_scales_money(log: pd.DataFrame, factor: float) -> None:
    before = summarize(log)
    after = summarize(log.assign(amount=log["amount"] * factor))
    np.testing.assert_allclose(after["monetary"], before["monetary"] * factor, rtol=1e-12)
    assert (after["monetary"] >= before["monetary"]).all()
    pd.testing.assert_series_equal(after["frequency"], before["frequency"])


@given(log=transaction_logs(refunds=True), later=st.integers(0, 400))
def test_later_as_of_only_adds_days(log: pd.DataFrame, later: int) -> None:
    if not _purchasers(log):
        return
    base = summarize(log)
    shifted = summarize(log, as_of=base.attrs["as_of"] + pd.Timedelta(days=later))
    np.testing.assert_array_equal(shifted["recency_days"], base["recency_days"] + later)
    np.testing.assert_array_equal(shifted["tenure_days"], base["tenure_days"] + later)
    assert (base["recency_days"] <= base["tenure_days"]).all()
    assert (base["recency_days"] >= 0).all()


@given(log=transaction_logs(refunds=True), name=functions)
def test_input_is_never_modified(log: pd.DataFrame, name: str) -> None:
    if not _purchasers(log) and name.startswith("summarize"):
        return
    snapshot = log.copy(deep=True)
    FUNCTIONS[name](log)
    _calibration(log)
    pd.testing.assert_frame_equal(log, snapshot)


def test_result_is_a_new_frame() -> None:
    log = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02"]),
            "amount": [1.0, 2.0],
        }
    )
    result = summarize(log)
    result.loc[1, "monetary"] = 99.0
    assert log["amount"].tolist() == [1.0, 2.0]
    assert summarize(log).loc[1, "monetary"] == 1.0


def test_sums_of_cents_are_exact_in_any_order() -> None:
    amounts = [0.1, 0.2, 0.3]
    # Plain float sums differ in the last bit with the order of the terms.
    assert 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1
    for values in (amounts, amounts[::-1]):
        frame = pd.DataFrame(
            {
                "customer_id": [1] * 3,
                "date": pd.date_range("2025-01-01", periods=3, freq="D"),
                "amount": values,
            }
        )
        assert summarize(frame).loc[1, "monetary"] == 0.6
        got = btyd_summary(frame, amount="amount", include_first_transaction=True)
        assert got.loc[1, "monetary_value"] == 0.6 / 3


def test_amounts_that_are_not_cents_are_summed_as_floats() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02"]),
            "amount": [0.125, 1 / 3],
        }
    )
    assert summarize(frame).loc[1, "monetary"] == 0.125 + 1 / 3
